/* mdn-members.h: member cards, shared by every operation that takes a card. */
#pragma once

#include "mdn-op.h"
#include "mdn-qr.h"

G_BEGIN_DECLS

typedef struct
{
  char    *id;
  char    *card_no;        /* the current card number */
  char    *presented;      /* the number that was presented, when it was replaced */
  char    *name;
  char    *phone;
  char    *level;
  char    *status;         /* active | lost (stored); see mdn_member_status */
  char    *expires_on;
  char    *pin_hash;
  char    *birthday;
  char    *birthday_lunar;
  char    *issued_at;
  char    *issued_branch;
  gint64   principal_fen;
  gint64   bonus_fen;
  gint64   points;
} MdnMember;

typedef struct
{
  char  *code;
  char  *name;
  gint64 price_percent;
  gint64 points_per_yuan;
  gint64 offline_limit_fen;
} MdnLevel;

typedef enum {
  MDN_RESOLVE_DEFAULT = 0,
  MDN_RESOLVE_ALLOW_REPLACED = 1 << 0,   /* for showing what became of an old card */
} MdnResolveFlags;

void        mdn_member_free        (MdnMember   *member);
void        mdn_level_free         (MdnLevel    *level);
MdnMember  *mdn_member_resolve     (MdnOpCtx    *ctx,
                                    const char  *card,
                                    MdnResolveFlags flags,
                                    GError     **error);
MdnMember  *mdn_member_resolve_arg (MdnOpCtx    *ctx,
                                    JsonObject  *args,
                                    GError     **error);
MdnMember  *mdn_member_load        (MdnDb       *db,
                                    const char  *member_id,
                                    GError     **error);
const char *mdn_member_status      (MdnOpCtx    *ctx,
                                    MdnMember   *member);
gboolean    mdn_member_check_usable (MdnOpCtx   *ctx,
                                    MdnMember   *member,
                                    GError     **error);
gboolean    mdn_member_check_pin   (MdnOpCtx    *ctx,
                                    MdnMember   *member,
                                    const char  *pin,
                                    GError     **error);
gint64      mdn_pin_max_failures   (MdnDb       *db);
gboolean    mdn_member_valid_phone (const char  *phone,
                                    GError     **error);
gboolean    mdn_member_valid_lunar (const char  *text,
                                    GError     **error);
/* What member.show adds from the back office (mdn-member-edit.c): the
 * note, and the level in force with the reason (upgrade by spend). */
gboolean    mdn_member_show_details (MdnOpCtx   *ctx,
                                    MdnMember   *member,
                                    JsonObject  *result,
                                    GError     **error);
gboolean    mdn_pin_verify         (MdnDb       *db,
                                    const char  *member_id,
                                    const char  *pin_hash,
                                    const char  *pin,
                                    gint64       now,
                                    gboolean    *out_wrong,
                                    GError     **error);
MdnLevel   *mdn_level_load         (MdnDb       *db,
                                    const char  *code,
                                    GError     **error);
gboolean    mdn_tender_valid       (const char  *tender,
                                    gboolean     allow_balance,
                                    GError     **error);

/* Card state across branches (see mdn-members.c, "Member state"). */
typedef struct
{
  char  *entry_id;
  char  *branch;
  gint64 seq;
  char  *kind;              /* member.replace | member.lose | member.unlock */
  char  *reason;            /* replaced_twice | lost_after_replace | unlock_not_lost */
  char  *card_no;           /* the number the entry named */
  char  *current_card_no;   /* the member's current card at that point of the order */
} MdnCardConflict;

void        mdn_card_conflict_free (MdnCardConflict *conflict);
gint64      mdn_member_state_rev   (MdnDb       *db,
                                    const char  *member_id,
                                    GError     **error);
GPtrArray  *mdn_member_card_conflicts (MdnDb    *db,
                                    const char  *member_id,
                                    GError     **error);

/* The card numbering of member.issue, for the member import
 * (crm/mdn-member-import.c). */
gboolean    mdn_card_no_next       (MdnOpCtx    *ctx,
                                    char       **out,
                                    GError     **error);

extern const MdnOpDef   mdn_member_ops[];
extern const MdnKindDef mdn_member_kinds[];

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MdnMember, mdn_member_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MdnLevel, mdn_level_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (MdnCardConflict, mdn_card_conflict_free)

G_END_DECLS
