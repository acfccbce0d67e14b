/* mdn-op.h: what an operation is (its definition, flags and context) and
 * the helpers every family's operations use. The registry that names every
 * operation and runs them is ops/mdn-ops.h; the families below it see only
 * this. */
#pragma once

#include <json-glib/json-glib.h>
#include <sqlite3.h>

#include "mdn-ledger.h"
#include "mdn-role.h"
#include "mdn-store.h"
#include "mdn-types.h"

G_BEGIN_DECLS

typedef enum {
  MDN_OP_READ = 0,
  MDN_OP_WRITE = 1 << 0,
  MDN_OP_HQ = 1 << 1,       /* master data: written at the head-office terminal */
  MDN_OP_SPEND = 1 << 2,    /* may spend stored value (balance, package uses,
                               points): authorized by the server first at a
                               linked branch, see mdn_spend_prepare() */
  MDN_OP_CHAIN = 1 << 3,    /* with MDN_OP_SPEND: a return or a card operation,
                               authorized against the chain-wide state after
                               the branch pulled (mdn_card_chain_check) */
  MDN_OP_NETWORK = 1 << 4,  /* asks the server before it answers (seconds on a
                               slow line): a front end runs it off its UI
                               thread */
} MdnOpFlags;

/* What an MDN_OP_SPEND operation takes from a card, between the probe and
 * the real run (the protocol: mdn-sync.h). Set on the context by the
 * spend hooks the branch library installs (mdn_ops_set_spend_hooks); read
 * by members/mdn-card.c. */
#define MDN_SPEND_TIMEOUT_S 3

typedef enum {
  MDN_SPEND_PROBE,
  MDN_SPEND_NONE,       /* the probe took nothing from a card */
  MDN_SPEND_ONLINE,
  MDN_SPEND_LOCAL,
  MDN_SPEND_OFFLINE,
} MdnSpendMode;

struct _MdnSpend
{
  MdnSpendMode mode;
  GDateTime   *now;        /* the instant of the probe and of the real run */
  gboolean     recorded;   /* the probe found a spend */
  gboolean     used;       /* the real run made it */
  char        *member_id;
  char        *kind;       /* balance | points | package */
  char        *item;       /* package: the service sku; else NULL */
  gint64       amount;     /* fen, points or uses */
  char        *auth_id;    /* MDN_SPEND_ONLINE */
  gboolean     pin_checked; /* MDN_SPEND_ONLINE: the server checked the PIN */
  /* Changes the server authorizes (kind "card" or "return", see
     mdn_card_chain_check): */
  JsonObject  *detail;     /* sent with the request: the card, the lines */
  gint64       granted;    /* card: the rev the server gave */
};

typedef struct _MdnSpend MdnSpend;


struct _MdnOpCtx
{
  MdnStore   *store;
  MdnDb      *db;
  char       *staff;
  /* The rank a few operations check inside (mdn_perms_rank, ops/mdn-roles.h);
   * what the staff member may run is the role's permissions. */
  MdnRole     role;
  char       *role_code;
  char       *role_name;
  char      **permissions;
  /* Where the operation comes from, for the operation log: the program
   * and host ("pos@till-1"); NULL: this host's name. */
  char       *terminal;
  /* Set for the duration of one operation: */
  GDateTime  *now;
  char       *now_iso;
  char       *business_date;
  /* Set by mdn_ops_run around an MDN_OP_SPEND operation at a branch linked
   * to a server: the authorization, or the offline mode (mdn-sync.h). */
  MdnSpend   *spend;
  /* Set by mdn_member_check_pin on a wrong PIN: the member id, counted by
   * mdn_ops_run after the operation's rollback (mdn-lockout.h). */
  char       *failed_pin;
};

typedef gboolean (*MdnOpFunc) (MdnOpCtx   *ctx,
                               JsonObject *args,
                               JsonObject *result,
                               GError    **error);

typedef struct
{
  const char *name;
  MdnRole     min_role;
  MdnOpFlags  flags;
  MdnOpFunc   func;
} MdnOpDef;

/* For the families' operations: appends @entry and reports it in @result
 * as "entry_id". */
gboolean        mdn_ops_append_entry (MdnOpCtx   *ctx,
                                     MdnEntry    *entry,
                                     JsonObject  *result,
                                     GError     **error);

/* Column i of a list's rows: the member it becomes in the row's object and
 * how: 's' text (NULL: null), 'i' integer, 'n' integer or null, 'b'
 * boolean (non-zero). */
typedef struct
{
  const char *name;     /* NULL ends the columns */
  char        type;
} MdnListColumn;

/* Steps @stmt (from mdn_db_query ()) to its end and sets the array @name of
 * @result to one object per row, built from @columns. */
gboolean        mdn_ops_list_rows   (MdnOpCtx    *ctx,
                                     sqlite3_stmt *stmt,
                                     const MdnListColumn *columns,
                                     JsonObject  *result,
                                     const char  *name,
                                     GError     **error);

void            mdn_op_ctx_free     (MdnOpCtx    *ctx);
/* Forgets the instant of the last operation (now, now_iso, business_date). */
void            mdn_op_ctx_clear_time (MdnOpCtx  *ctx);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MdnOpCtx, mdn_op_ctx_free)

G_END_DECLS
