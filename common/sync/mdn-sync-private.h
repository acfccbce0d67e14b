/* mdn-sync-private.h: what the sync client (mdn-sync.c) shares with the
 * spend protocol (mdn-spend.c): the HTTP client of the server and the
 * steps of a sync. Internal to sync/. */
#pragma once

#include <libsoup/soup.h>

#include "mdn-sync.h"

G_BEGIN_DECLS

typedef struct
{
  MdnStore    *store;
  SoupSession *session;
  char        *base;     /* URL without the trailing slash */
  char        *token;
  char        *pin;      /* hex SHA-256 of the server certificate (DER), or NULL */
} Client;


void mdn_sync_client_clear (Client *c);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Client, mdn_sync_client_clear)

gboolean
mdn_sync_client_init (Client   *c,
                      MdnStore *store,
                      GError  **error);

/* A request to the server with the branch's token and its certificate
 * check (pinned or CA); NULL for a bad URL. */
SoupMessage *
mdn_sync_client_message (Client     *c,
                         const char *method,
                         const char *path_and_query);

JsonObject *
mdn_sync_client_call (Client        *c,
                      const char    *method,
                      const char    *path_and_query,
                      JsonObject    *body,
                      GCancellable  *cancellable,
                      JsonObject   **out_refusal,
                      GError       **error);

gboolean
mdn_sync_check_state (Client        *c,
                      GCancellable  *cancellable,
                      gint64        *out_acked,
                      GError       **error);

gboolean
mdn_sync_push (Client        *c,
               gint64         acked,
               MdnSyncResult *result,
               GCancellable  *cancellable,
               GError       **error);

gboolean
mdn_sync_pull (Client        *c,
               MdnSyncResult *result,
               GCancellable  *cancellable,
               GError       **error);

/* mdn-recover.c: the operation log's unsent rows to the server. */
gboolean
mdn_sync_push_oplog (Client        *c,
                     GCancellable  *cancellable,
                     GError       **error);

gboolean
mdn_sync_report_pin_failures (Client        *c,
                              GCancellable  *cancellable,
                              GError       **error);

G_END_DECLS
