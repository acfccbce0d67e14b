/* mdn-sync.h: the branch side of sync with mendian-server.
 *
 * A sync pushes the branch's entries the server doesn't hold yet, in seq
 * order (idempotent: retries are always safe), then pulls the chain-wide
 * feed and applies other branches' entries with mdn_ledger_apply, one
 * transaction per page, storing the feed position with them.
 *
 * The server URL, token and TLS pin live in the branch database's meta
 * table (sync_url, sync_token, sync_ca, sync_pin_sha256); sync_acked_seq and
 * sync_feed_position record progress.
 */
#pragma once

#include <gio/gio.h>

#include "mdn-ops.h"
#include "mdn-store.h"

G_BEGIN_DECLS

typedef struct
{
  gint64 pushed;          /* entries the server stored in this sync */
  gint64 pulled;          /* other branches' entries applied here */
  gint64 acked_seq;       /* highest seq of this branch the server holds */
  gint64 feed_position;   /* feed position applied up to */
} MdnSyncResult;

/* Once per process in a branch program (POS, CLI), instead of
 * mdn_library_init: adds the branch's operations (sync.link, sync.status)
 * to the registry and has every spend at a linked branch authorized by the
 * server (mdn_spend_prepare / mdn_spend_finish as the registry's spend
 * hooks). */
void     mdn_branch_init           (void);

gboolean mdn_sync_link             (MdnStore       *store,
                                    const char     *url,
                                    const char     *token,
                                    const char     *ca_file,
                                    const char     *pin_sha256,
                                    GError        **error);
gboolean mdn_sync_run              (MdnStore       *store,
                                    MdnSyncResult  *result,
                                    GCancellable   *cancellable,
                                    GError        **error);

/* The same in a worker thread with its own connection to the database at
 * @db_path, for the POS: never blocks the caller's main loop. */
void     mdn_sync_run_async        (const char          *db_path,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data);
gboolean mdn_sync_run_finish       (GAsyncResult        *result,
                                    MdnSyncResult       *out,
                                    GError             **error);

/* Keeps syncing until @cancellable is cancelled: at once, whenever the
 * server's notify WebSocket says the feed moved, and every @interval_s
 * seconds; while the server is down it retries with backoff (1 s doubling
 * to 60 s). @report is called after every attempt. Runs its own main loop
 * on the calling thread's default context. Returns FALSE only for errors
 * that retrying can't cure (not linked, history behind the server, token
 * refused). */
typedef void (*MdnSyncReportFunc) (const MdnSyncResult *result,
                                   const GError        *error,
                                   gpointer             user_data);

gboolean mdn_sync_watch            (MdnStore          *store,
                                    guint              interval_s,
                                    MdnSyncReportFunc  report,
                                    gpointer           user_data,
                                    GCancellable      *cancellable,
                                    GError           **error);

/* Whether the server has put this member's card on hold (an overdraft found
 * after merging offline spending), as of the last sync. */
gboolean mdn_sync_member_on_hold   (MdnStore       *store,
                                    const char     *member_id);
/* Whether this branch is linked to a server (mdn_sync_link was run). */
gboolean mdn_sync_is_linked        (MdnStore       *store);

/* Spending stored value at a linked branch ----------------------------------
 *
 * mdn_ops_run() calls mdn_spend_prepare() before the write transaction of
 * an operation flagged MDN_OP_SPEND (sale, sale.quick, timed.stop,
 * package.consume, points.redeem), so that no network call is ever made
 * while BEGIN IMMEDIATE is held, and mdn_spend_finish() after it:
 *
 * 1. A branch not linked to a server: nothing (single-store mode).
 * 2. The probe: the operation runs once in a transaction that is rolled
 *    back, with ctx->spend in MDN_SPEND_PROBE. It checks everything it will
 *    check for real and records, through mdn_card_spend(), what it would
 *    take from the card. Refused here, it is refused without asking the
 *    server; nothing to take from a card (a cash sale), it just runs.
 * 3. The server is asked (POST /api/v1/members/{id}/authorize with a fresh
 *    auth_id, at most MDN_SPEND_TIMEOUT_S seconds):
 *      granted                 MDN_SPEND_ONLINE: the entry carries "auth_id"
 *      409 insufficient_...    refused: insufficient_balance (points, package)
 *      404 (member unknown)    MDN_SPEND_LOCAL: the card has not reached the
 *                              server yet, so only this branch can spend it
 *      no answer, 5xx, other   MDN_SPEND_OFFLINE: the offline allowance
 * 4. The operation runs for real at the probe's instant; mdn_card_spend()
 *    holds it to what was authorized, or to the offline allowance, and marks
 *    the entry body ("auth_id" or "offline": true).
 *
 * Changes the server authorizes: an operation flagged MDN_OP_CHAIN as well
 * (sale.return, member.lose, member.unlock, member.replace) depends on what
 * other branches did to the sale or the card, so before its probe the
 * branch pushes and pulls (same timeouts); the probe records, through
 * mdn_card_chain_check(), a "return" (the sale, the refund, the lines)
 * or a "card" change (the entry kind, the card, the rev it would have),
 * and the server is asked at POST /api/v1/sales/{entry}/return or
 * /api/v1/members/{id}/card: granted → online (the body carries "auth_id",
 * a card change the server's "rev"); 409 return_exceeds, package_consumed,
 * card_lost, card_not_lost or card_replaced → refused with the server's
 * message; 404 → local; no answer → offline, with no allowance: conflicts
 * are resolved on merging (docs/server.md, "What happens when two branches
 * disagree").
 */
#define MDN_SPEND_TIMEOUT_S 3

gboolean mdn_spend_prepare         (MdnOpCtx       *ctx,
                                    const MdnOpDef *def,
                                    JsonObject     *args,
                                    GError        **error);
void     mdn_spend_finish          (MdnOpCtx       *ctx,
                                    JsonObject     *result);

/* The back office (mdn-recover.c): this branch's own entries the server
 * holds beyond the local high-water mark, applied, then a sync; a branch
 * rebuilt from its token alone; a restore from a backup file. */
gboolean  mdn_sync_recover         (MdnStore      *store,
                                    gint64        *out_recovered,
                                    GCancellable  *cancellable,
                                    GError       **error);
MdnStore *mdn_sync_recover_new     (const char    *path,
                                    const char    *url,
                                    const char    *token,
                                    const char    *ca_file,
                                    const char    *pin_sha256,
                                    const char    *admin_password,
                                    const char    *chain_key_hex,
                                    const char    *timezone,
                                    gint64        *out_recovered,
                                    GError       **error);
/* Gives every staff code that wrote an entry of this branch and has no
 * staff row one again: a cashier without a password (mdn-recover.c);
 * run by both recoveries. */
gboolean  mdn_sync_restore_staff   (MdnStore      *store,
                                    gint64        *out_added,
                                    GError       **error);
gboolean  mdn_store_restore        (const char    *path,
                                    const char    *from,
                                    char         **out_side,
                                    GError       **error);

G_END_DECLS
