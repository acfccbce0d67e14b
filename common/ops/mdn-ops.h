/* mdn-ops.h: every business operation by name, JSON arguments in, JSON
 * result out. The CLI, the POS and the server all come through here, so the
 * permission check and the transaction are the same for all of them. */
#pragma once

#include <json-glib/json-glib.h>

#include "mdn-ledger.h"
#include "mdn-store.h"
#include "mdn-types.h"

G_BEGIN_DECLS

typedef enum {
  MDN_ROLE_CASHIER = 1,
  MDN_ROLE_MANAGER = 2,
  MDN_ROLE_ADMIN = 3,
} MdnRole;

typedef enum {
  MDN_OP_READ = 0,
  MDN_OP_WRITE = 1 << 0,
  MDN_OP_HQ = 1 << 1,       /* master data: written at the head-office terminal */
  MDN_OP_SPEND = 1 << 2,    /* may spend stored value (balance, package uses,
                               points): authorized by the server first at a
                               linked branch, see mdn_spend_prepare() */
  MDN_OP_CHAIN = 1 << 3,    /* with MDN_OP_SPEND: a return or a card operation,
                               authorized against the chain-wide state after
                               the branch pulled (mdn_selling_chain_check) */
} MdnOpFlags;

typedef struct _MdnSpend MdnSpend;

struct _MdnOpCtx
{
  MdnStore   *store;
  MdnDb      *db;
  char       *staff;
  MdnRole     role;
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

/* Each family file defines one NULL-terminated table. */
extern const MdnOpDef mdn_member_ops[];
extern const MdnOpDef mdn_staff_ops[];
extern const MdnOpDef mdn_master_ops[];
extern const MdnKindDef mdn_member_kinds[];
extern const MdnKindDef mdn_master_kinds[];
extern const MdnOpDef mdn_catalog_ops[];
extern const MdnOpDef mdn_sales_ops[];
extern const MdnOpDef mdn_package_ops[];
extern const MdnOpDef mdn_timed_ops[];
extern const MdnOpDef mdn_points_ops[];
extern const MdnOpDef mdn_report_ops[];
extern const MdnOpDef mdn_pricing_ops[];
extern const MdnKindDef mdn_catalog_kinds[];
extern const MdnKindDef mdn_sales_kinds[];
extern const MdnKindDef mdn_package_kinds[];
extern const MdnKindDef mdn_timed_kinds[];
extern const MdnKindDef mdn_points_kinds[];
extern const MdnOpDef mdn_exception_ops[];
extern const MdnKindDef mdn_exception_kinds[];
extern const MdnOpDef mdn_sync_ops[];

MdnOpCtx       *mdn_op_ctx_new      (MdnStore    *store,
                                     const char  *staff,
                                     const char  *password,
                                     GError     **error);
MdnOpCtx       *mdn_op_ctx_new_trusted (MdnStore *store,
                                     const char  *staff,
                                     GError     **error);
void            mdn_op_ctx_free     (MdnOpCtx    *ctx);
JsonObject     *mdn_ops_call_in_transaction (MdnOpCtx *ctx,
                                     const MdnOpDef *def,
                                     JsonObject  *args,
                                     GError     **error);
const MdnOpDef *mdn_ops_lookup      (const char  *name);
GPtrArray      *mdn_ops_list_all    (void);
gboolean        mdn_ops_allowed     (MdnOpCtx    *ctx,
                                     const char  *name);
JsonObject     *mdn_ops_run         (MdnOpCtx    *ctx,
                                     const char  *name,
                                     JsonObject  *args,
                                     GError     **error);
JsonObject     *mdn_ops_run_line    (MdnOpCtx    *ctx,
                                     const char  *line);

/* For the families' operations: appends @entry and reports it in @result
 * as "entry_id". */
gboolean        mdn_ops_append_entry (MdnOpCtx   *ctx,
                                     MdnEntry    *entry,
                                     JsonObject  *result,
                                     GError     **error);

/* Column i of a list's rows: the member it becomes in the row's object and
 * how: 's' text (NULL: null), 'i' integer, 'b' boolean (non-zero). */
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

const char     *mdn_role_name       (MdnRole      role);
gboolean        mdn_role_parse      (const char  *name,
                                     MdnRole     *out);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MdnOpCtx, mdn_op_ctx_free)

G_END_DECLS
