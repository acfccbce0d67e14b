/* mdn-test-server.c */
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include <libpq-fe.h>

#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-test-entry.h"
#include "mdn-test-pg.h"
#include "mdn-test-server.h"

/* MENDIAN_TEST_BACKEND=pg: each server on a database of its own in this
 * test process's throw-away PostgreSQL cluster (mdn-test-pg.h). */
gboolean
mdn_test_backend_pg (void)
{
  return g_strcmp0 (g_getenv ("MENDIAN_TEST_BACKEND"), "pg") == 0;
}

/* Child processes --------------------------------------------------------------------- */

/* Children die with the test, even when an assertion aborts it. */
static void
die_with_parent (gpointer user_data)
{
  prctl (PR_SET_PDEATHSIG, SIGKILL);
}

GSubprocess *
mdn_test_spawnv (GSubprocessFlags    flags,
                 const char *const  *argv,
                 GError            **error)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (flags);

  g_subprocess_launcher_set_child_setup (launcher, die_with_parent, NULL, NULL);
  return g_subprocess_launcher_spawnv (launcher, argv, error);
}

/* Appends the NULL-terminated strings of @ap and the final NULL. */
static void
add_args (GPtrArray *argv,
          va_list    ap)
{
  const char *arg;

  while ((arg = va_arg (ap, const char *)))
    g_ptr_array_add (argv, (char *) arg);
  g_ptr_array_add (argv, NULL);
}

GSubprocess *
mdn_test_spawn (GSubprocessFlags   flags,
                GError           **error,
                ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  va_list ap;

  va_start (ap, error);
  add_args (argv, ap);
  va_end (ap);
  return mdn_test_spawnv (flags, (const char *const *) argv->pdata, error);
}

char *
mdn_test_run_ok (const char *const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) proc = mdn_test_spawnv (G_SUBPROCESS_FLAGS_STDOUT_PIPE, argv, &error);
  char *out = NULL;

  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  if (!g_subprocess_get_successful (proc))
    {
      g_autofree char *cmd = g_strjoinv (" ", (char **) argv);

      g_error ("%s failed: %s", cmd, out);
    }
  return out;
}

GSubprocess *
mdn_test_cli_spawn (GSubprocessFlags  flags,
                    const char       *db,
                    ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GError) error = NULL;
  const char *cli = g_getenv ("MENDIAN_CLI");
  GSubprocess *proc;
  va_list ap;

  g_assert_nonnull (cli);
  g_ptr_array_add (argv, (char *) cli);
  g_ptr_array_add (argv, (char *) "--db");
  g_ptr_array_add (argv, (char *) db);
  va_start (ap, db);
  add_args (argv, ap);
  va_end (ap);
  proc = mdn_test_spawnv (flags, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  return proc;
}

/* The server process ------------------------------------------------------------------ */

const char *
mdn_test_server_binary (void)
{
  const char *path = g_getenv ("MENDIAN_SERVER");

  g_assert_nonnull (path);
  return path;
}

char *
mdn_test_token_of (const char *json)
{
  g_autoptr(JsonObject) o = mdn_json_parse_object (json, NULL);

  g_assert_nonnull (o);
  return g_strdup (json_object_get_string_member (o, "token"));
}

char *
mdn_test_server_cmd (MdnTestServer *s,
                     ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  va_list ap;

  g_ptr_array_add (argv, (char *) mdn_test_server_binary ());
  g_ptr_array_add (argv, (char *) "--db");
  g_ptr_array_add (argv, s->db);
  va_start (ap, s);
  add_args (argv, ap);
  va_end (ap);
  return mdn_test_run_ok ((const char *const *) argv->pdata);
}

MdnTestServer *
mdn_test_server_init (const char *name)
{
  MdnTestServer *s = g_new0 (MdnTestServer, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *tmpl = g_strdup_printf ("mendian-%s-XXXXXX", name);

  s->dir = g_dir_make_tmp (tmpl, &error);
  g_assert_no_error (error);
  if (mdn_test_backend_pg ())
    {
      MdnTestPg *pg = mdn_test_pg_shared ();
      g_autofree char *prefix = g_strdup (name);

      g_assert_nonnull (pg);
      for (char *p = prefix; *p; p++)
        if (!g_ascii_isalnum (*p))
          *p = '_';
      s->db = mdn_test_pg_create_db (pg, prefix);
    }
  else
    s->db = g_build_filename (s->dir, "server.db", NULL);
  s->tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_free (mdn_test_server_cmd (s, "init", NULL));
  return s;
}

void
mdn_test_server_add_hq_token (MdnTestServer *s)
{
  g_autofree char *out = mdn_test_server_cmd (s, "token", "add", "--name", "boss", "--role", "hq", NULL);

  g_free (s->hq_token);
  s->hq_token = mdn_test_token_of (out);
}

void
mdn_test_server_start (MdnTestServer *s,
                       const char    *extra)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autofree char *line = NULL;

  g_assert_null (s->proc);
  if (mdn_test_backend_pg ())
    {
      /* The console's head-office terminal: a file of its own on PostgreSQL. */
      g_autofree char *hq = g_build_filename (s->dir, "console-hq.db", NULL);

      s->proc = mdn_test_spawn (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                                mdn_test_server_binary (), "--db", s->db, "serve", "--listen", "127.0.0.1:0",
                                "--console-hq", hq, "--console-hq-code", s->hq_code ? s->hq_code : "WEB",
                                extra, NULL);
    }
  else
    s->proc = mdn_test_spawn (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                              mdn_test_server_binary (), "--db", s->db, "serve", "--listen", "127.0.0.1:0",
                              extra, NULL);
  g_assert_no_error (error);
  in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (s->proc));
  line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "listening on http://127.0.0.1:"));
  g_free (s->url);
  s->url = g_strdup (line + strlen ("listening on "));
  s->port = (guint16) atoi (s->url + strlen ("http://127.0.0.1:"));
}

MdnTestServer *
mdn_test_server_new (const char *name,
                     const char *extra)
{
  MdnTestServer *s = mdn_test_server_init (name);

  mdn_test_server_add_hq_token (s);
  mdn_test_server_start (s, extra);
  return s;
}

int
mdn_test_server_stop (MdnTestServer *s,
                      int            sig)
{
  g_autoptr(GError) error = NULL;
  int status;

  g_subprocess_send_signal (s->proc, sig);
  g_subprocess_wait (s->proc, NULL, &error);
  g_assert_no_error (error);
  status = g_subprocess_get_if_exited (s->proc) ? g_subprocess_get_exit_status (s->proc)
                                                : -g_subprocess_get_term_sig (s->proc);
  g_clear_object (&s->proc);
  return status;
}

void
mdn_test_server_free (MdnTestServer *s)
{
  if (s == NULL)
    return;
  if (s->proc)
    mdn_test_server_stop (s, SIGKILL);
  g_hash_table_unref (s->tokens);
  if (g_getenv ("MENDIAN_KEEP_TEST_DB") == NULL && !mdn_test_backend_pg ())
    {
      for (const char *const *suffix = (const char *const[]) { "", "-wal", "-shm", NULL }; *suffix; suffix++)
        {
          g_autofree char *path = g_strconcat (s->db, *suffix, NULL);

          g_unlink (path);
        }
      g_rmdir (s->dir);
    }
  else if (g_getenv ("MENDIAN_KEEP_TEST_DB") == NULL)
    {
      /* The console's terminal lives beside (mdn_test_server_start). */
      for (const char *const *suffix = (const char *const[]) { "", "-wal", "-shm", NULL }; *suffix; suffix++)
        {
          g_autofree char *path = g_strconcat (s->dir, "/console-hq.db", *suffix, NULL);

          g_unlink (path);
        }
      g_rmdir (s->dir);
    }
  g_free (s->db);
  g_free (s->dir);
  g_free (s->url);
  g_free (s->hq_token);
  g_free (s->hq_code);
  g_free (s);
}

MdnTestServer *
mdn_test_server_second (MdnTestServer *a,
                        const char    *name,
                        const char    *hq_code,
                        const char    *extra)
{
  MdnTestServer *b = g_new0 (MdnTestServer, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *base = g_strndup (a->db, strcspn (a->db, "?"));
  GHashTableIter iter;
  gpointer key, value;

  g_assert_true (mdn_test_backend_pg ());
  b->dir = g_dir_make_tmp ("mendian-two-b-XXXXXX", &error);
  g_assert_no_error (error);
  b->db = g_strconcat (base, "?application_name=", name, NULL);
  b->hq_code = g_strdup (hq_code);
  b->hq_token = g_strdup (a->hq_token);
  b->tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_iter_init (&iter, a->tokens);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (b->tokens, g_strdup (key), g_strdup (value));
  mdn_test_server_start (b, extra);
  return b;
}

/* Branches ---------------------------------------------------------------------------- */

const char *
mdn_test_server_add_branch (MdnTestServer *s,
                            const char    *code,
                            int            number,
                            gboolean       hq)
{
  g_autofree char *num = g_strdup_printf ("%d", number);
  g_autofree char *out = mdn_test_server_cmd (s, "branch", "add", "--code", code, "--name", code, "--number", num,
                                              hq ? "--hq" : NULL, NULL);

  g_hash_table_insert (s->tokens, g_strdup (code), mdn_test_token_of (out));
  return g_hash_table_lookup (s->tokens, code);
}

void
mdn_test_link (MdnTestBranch *b,
               const char    *url,
               const char    *token)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (mdn_sync_link (b->store, url, token, NULL, NULL, &error));
  g_assert_no_error (error);
}

void
mdn_test_server_link (MdnTestServer *s,
                      MdnTestBranch *b)
{
  mdn_test_link (b, s->url, g_hash_table_lookup (s->tokens, b->store->branch_code));
}

MdnTestBranch *
mdn_test_server_branch_new (MdnTestServer *s,
                            const char    *code,
                            int            number,
                            gboolean       hq)
{
  MdnTestBranch *b = mdn_test_branch_new_full (code, number, hq);

  mdn_test_server_add_branch (s, code, number, hq);
  mdn_test_server_link (s, b);
  return b;
}

/* Queries ----------------------------------------------------------------------------- */

MdnDb *
mdn_test_server_db (MdnTestServer *s)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MdnDb) db = NULL;
  PGconn *conn;
  PGresult *res;

  if (!mdn_test_backend_pg ())
    {
      db = mdn_db_open (s->db, "branch", &error);
      g_assert_no_error (error);
      return g_steal_pointer (&db);
    }
  /* The server's ledger on PostgreSQL, applied in the order it applied it. */
  db = mdn_db_open (":memory:", "branch", &error);
  g_assert_no_error (error);
  conn = PQconnectdb (s->db);
  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  res = PQexec (conn, "SELECT e.doc FROM entry_keys k JOIN entries e ON e.business_date = k.business_date "
                      "AND e.id = k.id WHERE k.projected ORDER BY k.applied");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_TUPLES_OK);
  g_assert_true (mdn_db_begin (db, TRUE, &error));
  for (int r = 0; r < PQntuples (res); r++)
    {
      g_autoptr(JsonObject) o = mdn_json_parse_object (PQgetvalue (res, r, 0), &error);
      g_autoptr(MdnEntry) entry = NULL;

      g_assert_no_error (error);
      entry = mdn_entry_from_json (o, &error);
      g_assert_no_error (error);
      if (!mdn_ledger_apply (db, entry, &error))
        g_error ("re-projecting %s#%" G_GINT64_FORMAT " (%s): %s", entry->branch, entry->seq, entry->kind,
                 error->message);
    }
  g_assert_true (mdn_db_commit (db, &error));
  PQclear (res);
  PQfinish (conn);
  return g_steal_pointer (&db);
}

gint64
mdn_test_server_count (MdnTestServer *s,
                       const char    *sql)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  sqlite3 *db = NULL;
  gint64 n;

  if (mdn_test_backend_pg ())
    {
      /* The server's own tables on PostgreSQL; a query of the branch
         schema's projections (which the PostgreSQL store keeps only in
         part) on the server's ledger re-projected. */
      PGconn *conn = PQconnectdb (s->db);
      PGresult *res;
      gboolean fallback;

      g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
      res = PQexec (conn, sql);
      fallback = PQresultStatus (res) != PGRES_TUPLES_OK;
      if (fallback)
        {
          const char *state = PQresultErrorField (res, PG_DIAG_SQLSTATE);

          if (state == NULL || strncmp (state, "42", 2) != 0)
            g_error ("%s: %s", sql, PQerrorMessage (conn));
        }
      else
        {
          g_assert_cmpint (PQntuples (res), ==, 1);
          n = g_ascii_strtoll (PQgetvalue (res, 0, 0), NULL, 10);
        }
      PQclear (res);
      PQfinish (conn);
      if (!fallback)
        return n;
      {
        g_autoptr(MdnDb) projected = mdn_test_server_db (s);

        g_assert_cmpint (sqlite3_prepare_v2 (mdn_db_handle (projected), sql, -1, &stmt, NULL), ==, SQLITE_OK);
        g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
        n = sqlite3_column_int64 (stmt, 0);
        g_clear_pointer (&stmt, sqlite3_finalize);
        return n;
      }
    }
  g_assert_cmpint (sqlite3_open_v2 (s->db, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  g_clear_pointer (&stmt, sqlite3_finalize);
  sqlite3_close (db);
  return n;
}

static char *
sqlite_value (sqlite3    *db,
              const char *sql,
              const char *param)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  char *out = NULL;

  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK)
    g_error ("%s: %s", sql, sqlite3_errmsg (db));
  if (param != NULL)
    sqlite3_bind_text (stmt, 1, param, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    out = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  return out;
}

char *
mdn_test_server_value (MdnTestServer *s,
                       const char    *sql,
                       const char    *param)
{
  sqlite3 *db = NULL;
  char *out = NULL;

  if (mdn_test_backend_pg ())
    {
      g_auto(GStrv) parts = g_strsplit (sql, "?", -1);
      g_autofree char *pg_sql = g_strjoinv ("$1", parts);
      const char *values[1] = { param };
      PGconn *conn = PQconnectdb (s->db);
      PGresult *res;
      gboolean fallback;

      g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
      res = PQexecParams (conn, pg_sql, param != NULL ? 1 : 0, NULL, values, NULL, NULL, 0);
      fallback = PQresultStatus (res) != PGRES_TUPLES_OK;
      if (fallback)
        {
          const char *state = PQresultErrorField (res, PG_DIAG_SQLSTATE);

          if (state == NULL || strncmp (state, "42", 2) != 0)
            g_error ("%s: %s", sql, PQerrorMessage (conn));
        }
      else if (PQntuples (res) > 0 && !PQgetisnull (res, 0, 0))
        out = g_strdup (PQgetvalue (res, 0, 0));
      PQclear (res);
      PQfinish (conn);
      if (!fallback)
        return out;
      {
        g_autoptr(MdnDb) projected = mdn_test_server_db (s);

        return sqlite_value (mdn_db_handle (projected), sql, param);
      }
    }
  g_assert_cmpint (sqlite3_open_v2 (s->db, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  out = sqlite_value (db, sql, param);
  sqlite3_close (db);
  return out;
}

guint
mdn_test_http (MdnTestServer *s,
               const char    *method,
               const char    *path,
               const char    *token,
               const char    *body,
               gssize         len,
               JsonObject   **out)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (s->url, path + 1, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;

  if (token)
    {
      g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    }
  if (body)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, len < 0 ? strlen (body) : (gsize) len);

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  reply = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  text = g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
  if (out)
    *out = mdn_json_parse_object (text, NULL);
  return soup_message_get_status (msg);
}

MdnSyncResult
mdn_test_sync_ok (MdnTestBranch *b)
{
  g_autoptr(GError) error = NULL;
  MdnSyncResult r = { 0 };

  if (!mdn_sync_run (b->store, &r, NULL, &error))
    g_error ("sync of %s failed: %s", b->store->branch_code, error->message);
  return r;
}

gint64
mdn_test_pg_deposits_drift (MdnTestServer *s)
{
  g_assert_true (mdn_test_backend_pg ());
  return mdn_test_server_count (s,
                                "SELECT (SELECT count (*) FROM entry_keys d "
                                "  LEFT JOIN srv_deposit_balances b ON b.entry_id = d.id "
                                "  WHERE d.kind = 'member.deposit' AND d.member_id IS NOT NULL "
                                "  AND b.balance_after_fen IS DISTINCT FROM (SELECT COALESCE (SUM (m.delta), 0) "
                                "    FROM movements m JOIN entry_keys k ON k.business_date = m.business_date "
                                "    AND k.id = m.entry_id WHERE m.member_id = d.member_id "
                                "    AND m.account IN ('principal', 'bonus') AND k.applied <= d.applied)) "
                                "+ (SELECT count (*) FROM srv_deposit_balances b WHERE NOT EXISTS (SELECT 1 "
                                "  FROM entry_keys d WHERE d.id = b.entry_id AND d.kind = 'member.deposit'))");
}
