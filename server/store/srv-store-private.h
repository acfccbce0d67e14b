/* srv-store-private.h: the SQLite store's handle, shared by the files of
 * its implementation (srv-store-sqlite.c, srv-store-console.c). */
#pragma once

/* In mendian-server the SrvStore callers hold is the front of
 * srv-store-front.h: a file using this handle is compiled as the SQLite
 * backend, under the generated srv-store-sqlite-names.h (as
 * srv-store-console-sqlite-impl.c does), and its functions' header is read
 * by gen-backends.py (server/store/meson.build). Compiled directly it
 * would take the front for this struct. */

#include "mdn-db.h"
#include "srv-store.h"
#include "srv-store-console.h"

struct _SrvStore
{
  MdnDb     *db;
  char      *timezone;
  /* The feed rows of the open write transaction, (entry id, addressee or
   * NULL) pairs in the order appended: written by a few multi-row inserts
   * before it commits (srv-store-sqlite.c, feed_flush), dropped with a
   * rollback. */
  GPtrArray *feed_pending;
  /* The chain settings the SMS rules read for every pushed entry
   * (srv_store_sms_setting_*, srv-store-sms-sqlite.c), as read inside a
   * transaction: key → gint64, valid while the file's data version
   * (SQLITE_FCNTL_DATA_VERSION: it moves with every commit, of this
   * connection or any other, seen when a transaction starts) is
   * @settings_version. @settings_written: this connection wrote a setting
   * in the open transaction; until it ends every read goes to the file. */
  GHashTable  *settings;
  unsigned int settings_version;
  gboolean     settings_written;
};

/* The open transaction wrote (or may have written) a chain setting; its
 * end (srv_sqlite_settings_ended) drops what the cache read meanwhile. */
G_GNUC_INTERNAL void srv_sqlite_settings_written (SrvStore *store);
G_GNUC_INTERNAL void srv_sqlite_settings_ended (SrvStore *store);

/* Every row of @stmt as a GStrv, "" for SQL NULL (srv-store-console.c);
 * NULL with @error set if a step fails. */
G_GNUC_INTERNAL SrvRows *srv_sqlite_rows_of (SrvStore     *store,
                                             sqlite3_stmt *stmt,
                                             GError      **error);
