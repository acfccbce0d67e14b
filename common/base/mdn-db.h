/* mdn-db.h: SQLite with Mendian's durability settings, embedded migrations
 * and a cache of prepared statements.
 *
 * Values are bound, never formatted into SQL. Binding takes a type string:
 *   's' const char * (NULL binds NULL)   'i' gint64   'n' NULL
 */
#pragma once

#include <sqlite3.h>
#include <glib.h>

#include "mdn-types.h"

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* Process-wide SQLite settings for speed (no memory statistics): call
 * first thing in main, before anything touches SQLite (mendian-server). */
void          mdn_db_library_init    (void);
MdnDb        *mdn_db_open            (const char  *path,
                                      const char  *schema,
                                      GError     **error);
void          mdn_db_close           (MdnDb       *db);
sqlite3      *mdn_db_handle          (MdnDb       *db);
const char   *mdn_db_path            (MdnDb       *db);
int           mdn_db_schema_version  (const char  *schema);
/* The one migration runner (mdn_db_open runs it for its schema, versioned
 * by PRAGMA user_version); a schema stacked on top, like the server's
 * tables, is versioned by the meta row @version_key. */
gboolean      mdn_db_migrate         (MdnDb       *db,
                                      const char  *schema,
                                      const char  *version_key,
                                      GError     **error);

sqlite3_stmt *mdn_db_query           (MdnDb       *db,
                                      GError     **error,
                                      const char  *sql,
                                      const char  *types,
                                      ...);
gboolean      mdn_db_exec            (MdnDb       *db,
                                      GError     **error,
                                      const char  *sql,
                                      const char  *types,
                                      ...);
int           mdn_db_step            (MdnDb       *db,
                                      sqlite3_stmt *stmt,
                                      GError     **error);
gboolean      mdn_db_exec_script     (MdnDb       *db,
                                      const char  *sql,
                                      GError     **error);

gboolean      mdn_db_begin           (MdnDb       *db,
                                      gboolean     write,
                                      GError     **error);
gboolean      mdn_db_commit          (MdnDb       *db,
                                      GError     **error);
void          mdn_db_rollback        (MdnDb       *db);
gboolean      mdn_db_in_transaction  (MdnDb       *db);

char         *mdn_db_meta_dup        (MdnDb       *db,
                                      const char  *key);
gboolean      mdn_db_meta_set        (MdnDb       *db,
                                      const char  *key,
                                      const char  *value,
                                      GError     **error);
gboolean      mdn_db_counter_next    (MdnDb       *db,
                                      const char  *name,
                                      gint64      *out,
                                      GError     **error);
gboolean      mdn_db_set_database_error (MdnDb    *db,
                                      GError     **error);
gboolean      mdn_db_backup          (MdnDb       *db,
                                      const char  *dest_path,
                                      GError     **error);

/* Writes held back (server ingest, docs/speed.md): an owner keeps writes
 * it would make to @table (a table name, matched in the SQL text) and
 * calls mdn_db_held_pending when it holds some; @flush writes them before
 * the next statement whose SQL names @table (so every reader and writer
 * of it sees them, in order), before mdn_db_exec_script, and at commit
 * (a failure rolls back). @end is called with (@data, @db) when a
 * transaction ends, committed or rolled back: what it held for that
 * transaction is forgotten (on rollback, never written). Registered
 * before the first transaction, at most 4 per connection; @destroy frees
 * @data at mdn_db_close. */
typedef gboolean (*MdnDbFlushFunc) (MdnDb    *db,
                                    gpointer  data,
                                    GError  **error);
void          mdn_db_hold_writes     (MdnDb       *db,
                                      const char  *table,
                                      MdnDbFlushFunc flush,
                                      GFunc        end,
                                      gpointer     data,
                                      GDestroyNotify destroy);
/* The same with @data a hash table of string keys and g_free'd values,
 * emptied when a transaction ends (what most holders keep: per member);
 * nothing if @flush holds already. */
void          mdn_db_hold_writes_by_key (MdnDb        *db,
                                         const char   *table,
                                         MdnDbFlushFunc flush);
/* The @data of the holder whose flush is @flush, NULL if none. */
gpointer      mdn_db_held            (MdnDb       *db,
                                      MdnDbFlushFunc flush);
void          mdn_db_held_pending    (MdnDb       *db,
                                      MdnDbFlushFunc flush);
/* Writes what the holder whose flush is @flush holds, now. */
gboolean      mdn_db_held_flush      (MdnDb       *db,
                                      MdnDbFlushFunc flush,
                                      GError     **error);
/* Writes everything held now. */
gboolean      mdn_db_flush_held      (MdnDb       *db,
                                      GError     **error);
#define mdn_db_col_text(stmt, i) ((const char *) sqlite3_column_text ((stmt), (i)))

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MdnDb, mdn_db_close)

G_END_DECLS
