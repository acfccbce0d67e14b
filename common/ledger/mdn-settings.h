/* mdn-settings.h: the fixed set of typed system settings (系统设置 / 常规参数)
 * with their defaults, where each one is decided (the chain or the branch),
 * and the operations settings.list / settings.set (mdn-settings.c).
 *
 * A setting is changed by an entry, like every other master data:
 * `setting.chain` (MDN_KIND_MASTER; written at the head-office terminal, it
 * reaches every branch and the server through the feed) or `setting.branch`
 * (a branch's own, never leaves it). Readers below ops/ call the getters;
 * a key that was never set reads as its default. */
#pragma once

#include "mdn-db.h"
#include "mdn-op.h"

G_BEGIN_DECLS

typedef enum {
  MDN_SETTING_BOOL,     /* "true" / "false" */
  MDN_SETTING_INT,      /* a whole number within [min, max] */
  MDN_SETTING_FEN,      /* money, integer fen within [min, max] */
  MDN_SETTING_CHOICE,   /* one of the words in choices */
  MDN_SETTING_STRING,   /* a line of text of at most max characters, no
                           control characters; empty allowed; see format */
} MdnSettingType;

/* What a STRING must also be, when not empty. */
typedef enum {
  MDN_SETTING_TEXT = 0, /* any line of text */
  MDN_SETTING_URL,      /* http:// or https:// with a host, no spaces */
  MDN_SETTING_PATH,     /* an absolute file system path (a folder) */
} MdnSettingFormat;

typedef enum {
  MDN_SETTING_CHAIN,    /* decided by head office (HQ terminal), flows down */
  MDN_SETTING_BRANCH,   /* decided by each branch, stays local */
} MdnSettingScope;

typedef struct
{
  const char     *key;
  MdnSettingType  type;
  MdnSettingScope scope;
  const char     *def;            /* the default, as text */
  gint64          min, max;       /* INT and FEN; STRING: max = characters */
  const char     *const *choices; /* CHOICE: NULL-terminated */
  const char     *topic;          /* checkout, stock, member, reminder, sms, backup */
  const char     *title;          /* N_(): what a manager reads */
  const char     *help;           /* N_(): the effect, in one line */
  MdnSettingFormat format;        /* STRING only */
} MdnSettingDef;

/* The table, NULL-key terminated; and one key's definition (NULL if unknown). */
const MdnSettingDef *mdn_settings_table  (void);
const MdnSettingDef *mdn_settings_lookup (const char *key);

/* The value in force (the default when never set). The key must be known
 * and of the getter's type (programming error otherwise). _get_int serves
 * INT and FEN; _dup_choice returns a newly allocated word, _dup_string a
 * newly allocated text ("" when empty, never NULL). */
gboolean mdn_settings_get_bool   (MdnDb      *db,
                                  const char *key);
gint64   mdn_settings_get_int    (MdnDb      *db,
                                  const char *key);
char    *mdn_settings_dup_choice (MdnDb      *db,
                                  const char *key);
char    *mdn_settings_dup_string (MdnDb      *db,
                                  const char *key);

/* Whether @value is a valid value of @def as stored (canonical text);
 * the reason in Chinese otherwise. */
gboolean mdn_settings_value_valid (const MdnSettingDef *def,
                                   const char          *value,
                                   GError             **error);

/* The entry check of setting.chain / setting.branch (mdn-entry-check.c). */
gboolean mdn_settings_check_entry (MdnEntry *entry,
                                   GError  **error);

extern const MdnOpDef   mdn_settings_ops[];
extern const MdnKindDef mdn_settings_kinds[];

G_END_DECLS
