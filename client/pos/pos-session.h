/* pos-session.h: the POS's one door into libmendian: the open branch
 * store, the logged-in cashier, and every operation run through
 * mdn_ops_run, so the rules and permission checks of common/ apply. */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "mdn-ops.h"
#include "mdn-store.h"

G_BEGIN_DECLS

#define POS_TYPE_SESSION (pos_session_get_type ())
G_DECLARE_FINAL_TYPE (PosSession, pos_session, POS, SESSION, GObject)

PosSession  *pos_session_new          (void);
gboolean     pos_session_open         (PosSession         *self,
                                       const char         *path,
                                       GError            **error);
gboolean     pos_session_create       (PosSession         *self,
                                       const char         *path,
                                       const MdnStoreInit *init,
                                       GError            **error);
gboolean     pos_session_is_open      (PosSession         *self);
const char  *pos_session_get_path     (PosSession         *self);
MdnStore    *pos_session_get_store    (PosSession         *self);

gboolean     pos_session_login        (PosSession         *self,
                                       const char         *staff,
                                       const char         *password,
                                       GError            **error);
void         pos_session_logout       (PosSession         *self);
gboolean     pos_session_is_logged_in (PosSession         *self);
const char  *pos_session_get_staff    (PosSession         *self);
const char  *pos_session_get_staff_name (PosSession       *self);
gint64       pos_session_cash_rounding (PosSession        *self,
                                        gint64             due_fen);
char        *pos_session_branch_time  (PosSession         *self,
                                       const char         *iso);
MdnRole      pos_session_get_role     (PosSession         *self);
gboolean     pos_session_can          (PosSession         *self,
                                       const char         *op);

/* The operation log's row of a front-end event: "lock", "switch". */
void         pos_session_log_event    (PosSession         *self,
                                       const char         *what);
JsonObject  *pos_session_run          (PosSession         *self,
                                       const char         *op,
                                       JsonObject         *args,
                                       GError            **error);
/* Whether @op may ask head office before it writes or answers (MDN_OP_SPEND
 * or MDN_OP_NETWORK at a branch linked to a server): such an operation can
 * take seconds, so it must go through pos_session_run_async(). */
gboolean     pos_session_op_may_wait  (PosSession         *self,
                                       const char         *op);
/* Runs @op like pos_session_run(). One that may wait for the server runs
 * in a worker thread with its own connection to the database and its own
 * context for the logged-in staff member; any other runs at once. Either
 * way @callback is called on the caller's main context. Cancelling
 * @cancellable does not stop an operation already started (it may be
 * committing): the callback then gets G_IO_ERROR_CANCELLED, and
 * "ledger-changed" is still emitted if it was written. */
void         pos_session_run_async    (PosSession         *self,
                                       const char         *op,
                                       JsonObject         *args,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
JsonObject  *pos_session_run_finish   (PosSession         *self,
                                       GAsyncResult       *result,
                                       GError            **error);
JsonObject  *pos_session_preview      (PosSession         *self,
                                       const char         *op,
                                       JsonObject         *args,
                                       GError            **error);

char        *pos_session_dup_setting  (PosSession         *self,
                                       const char         *key);
gboolean     pos_session_set_setting  (PosSession         *self,
                                       const char         *key,
                                       const char         *value,
                                       GError            **error);

/* Small helpers shared by the pages. */
char        *pos_error_dup_hint       (const GError       *error);
char        *pos_offline_notice       (JsonObject         *result);
char        *pos_money                (gint64              fen);
gboolean     pos_parse_money          (const char         *text,
                                       gint64             *out_fen);
const char  *pos_tender_label         (const char         *tender);
const char  *pos_kind_label           (const char         *kind);
void         pos_ensure_resources     (void);
void         pos_ensure_style         (void);

G_END_DECLS
