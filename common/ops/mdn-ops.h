/* mdn-ops.h: every business operation by name, JSON arguments in, JSON
 * result out. The CLI, the POS and the server all come through here, so the
 * permission check and the transaction are the same for all of them. */
#pragma once

#include <json-glib/json-glib.h>

#include "mdn-ledger.h"
#include "mdn-op.h"
#include "mdn-store.h"
#include "mdn-types.h"

G_BEGIN_DECLS

/* Each family's header declares its NULL-terminated tables; the reports'
 * is declared here until reports/ has its header. */
extern const MdnOpDef mdn_report_ops[];

MdnOpCtx       *mdn_op_ctx_new      (MdnStore    *store,
                                     const char  *staff,
                                     const char  *password,
                                     GError     **error);
MdnOpCtx       *mdn_op_ctx_new_trusted (MdnStore *store,
                                     const char  *staff,
                                     GError     **error);
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
/* One family's operation @name (NULL if it has none), and mdn_ops_run of
 * it: for a program that runs only a few families' operations. */
const MdnOpDef *mdn_ops_find        (const MdnOpDef *table,
                                     const char  *name);
JsonObject     *mdn_ops_run_def     (MdnOpCtx    *ctx,
                                     const MdnOpDef *def,
                                     JsonObject  *args,
                                     GError     **error);
JsonObject     *mdn_ops_run_line    (MdnOpCtx    *ctx,
                                     const char  *line);
/* A front end's event in the operation log: "lock", "unlock", "switch". */
void            mdn_ops_log_event   (MdnOpCtx    *ctx,
                                     const char  *what,
                                     gboolean     ok,
                                     const char  *detail);

/* Once per process, before anything else of libmendian: gettext, libsodium,
 * and the families' kind tables handed to the ledger (mdn-library.c). */
void            mdn_library_init    (void);

/* The branch library (libmendian-branch, mdn_branch_init) adds what only a
 * branch runs: its own operation table, and the hooks through which
 * mdn_ops_run has a spend authorized by the server (mdn-sync.h) around an
 * MDN_OP_SPEND operation. Without hooks (the server) a spend runs as in
 * single-store mode. */
typedef struct
{
  /* Before the operation's transaction; FALSE refuses it. */
  gboolean (*prepare) (MdnOpCtx       *ctx,
                       const MdnOpDef *def,
                       JsonObject     *args,
                       GError        **error);
  /* After it, with its result or NULL; called for every operation. */
  void     (*finish)  (MdnOpCtx       *ctx,
                       JsonObject     *result);
} MdnSpendHooks;

void            mdn_ops_register    (const MdnOpDef *table);
/* Aborts if a kind's MDN_KIND_MASTER and its operation's MDN_OP_HQ differ. */
void            mdn_ops_check_kinds (void);
void            mdn_ops_set_spend_hooks (const MdnSpendHooks *hooks);

/* Creates a new branch database: identity, chain key, the admin staff
 * member and the default member level “normal” (mdn-store-init.c: here, not
 * in ledger/, because it runs the operation level.upsert). */
MdnStore       *mdn_store_init      (const char          *path,
                                     const MdnStoreInit  *init,
                                     GError             **error);



G_END_DECLS
