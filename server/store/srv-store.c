/* srv-store.c: a store is SQLite (--db FILE) or PostgreSQL (--db
 * postgresql://...); every other srv_store_* forwards to it (the
 * dispatcher generated from srv-store.h, srv-store-dispatch.c). */
#include <glib/gi18n-lib.h>

#include "srv-store-front.h"

gboolean
srv_store_is_pg_uri (const char *path)
{
  return path && (g_str_has_prefix (path, "postgresql://") || g_str_has_prefix (path, "postgres://"));
}

SrvStore *
srv_store_open (const char *path,
                gboolean    create,
                GError    **error)
{
  g_autofree SrvStore *store = g_new0 (SrvStore, 1);

  g_return_val_if_fail (path != NULL, NULL);

  if (srv_store_is_pg_uri (path))
    store->pg = srv_pg_open (path, create, error);
  else
    store->sqlite = srv_sqlite_open (path, create, error);
  if (store->pg == NULL && store->sqlite == NULL)
    return NULL;
  return g_steal_pointer (&store);
}

void
srv_store_free (SrvStore *store)
{
  if (store == NULL)
    return;
  if (store->report)
    srv_pg_free (store->report);
  if (store->pg)
    srv_pg_free (store->pg);
  if (store->sqlite)
    srv_sqlite_free (store->sqlite);
  g_free (store);
}

gboolean
srv_store_is_pg (SrvStore *store)
{
  return store->pg != NULL;
}

gboolean
srv_store_watch_feed (SrvStore     *store,
                      SrvFeedMoved  moved,
                      gpointer      user_data,
                      GError      **error)
{
  g_return_val_if_fail (store != NULL && moved != NULL, FALSE);

  if (store->pg)
    return srv_pg_watch_feed (store->pg, moved, user_data, error);
  return TRUE;   /* one process: srv_notify_feed after each push says it all */
}

gboolean
srv_store_set_report_dsn (SrvStore   *store,
                          const char *uri,
                          GError    **error)
{
  g_return_val_if_fail (store != NULL && uri != NULL, FALSE);

  if (store->pg == NULL || !srv_store_is_pg_uri (uri))
    {
      g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID,
                           _("--report-dsn is a postgresql:// replica of a PostgreSQL store (--db postgresql://...)"));
      return FALSE;
    }
  if (store->report)
    srv_pg_free (store->report);
  store->report = srv_pg_open_replica (uri, error);
  return store->report != NULL;
}
