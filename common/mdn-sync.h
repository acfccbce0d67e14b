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

#include "mdn-store.h"

G_BEGIN_DECLS

typedef struct
{
  gint64 pushed;          /* entries the server stored in this sync */
  gint64 pulled;          /* other branches' entries applied here */
  gint64 acked_seq;       /* highest seq of this branch the server holds */
  gint64 feed_position;   /* feed position applied up to */
} MdnSyncResult;

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

G_END_DECLS
