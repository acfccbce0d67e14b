/* bench-ingest: server ingest of pushed entries over HTTP on loopback, as a
 * ratio to a bare SQLite bulk insert of the same rows (same durability,
 * same batch size) measured in the same run. Budget: ratio ≥ 0.5.
 *
 *   bench-ingest [N_ENTRIES]      (default 5000)
 */
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "mdn-db.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-ops.h"
#include "mdn-store.h"

#define BATCH 500

static char *
run (const char *const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) p = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  char *out = NULL;

  if (p == NULL || !g_subprocess_communicate_utf8 (p, NULL, NULL, &out, NULL, &error) ||
      !g_subprocess_get_successful (p))
    g_error ("%s failed: %s", argv[0], error ? error->message : "exit status");
  return out;
}

/* Bare baseline: the same entry and movement rows, prepared statements,
 * one transaction per batch, WAL + synchronous=FULL, no Mendian code. */
static double
bare_insert (const char *path,
             GPtrArray  *entries)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *e = NULL, *m = NULL;
  gint64 t0;

  sqlite3_open (path, &db);
  sqlite3_exec (db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                "CREATE TABLE entries (id TEXT PRIMARY KEY, branch TEXT NOT NULL, seq INTEGER NOT NULL, "
                "kind TEXT NOT NULL, at TEXT NOT NULL, business_date TEXT NOT NULL, staff TEXT NOT NULL, "
                "member_id TEXT, body TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, UNIQUE (branch, seq));"
                "CREATE TABLE movements (entry_id TEXT NOT NULL, idx INTEGER NOT NULL, member_id TEXT, "
                "account TEXT NOT NULL, item TEXT NOT NULL, lot TEXT NOT NULL, expires_on TEXT, "
                "delta INTEGER NOT NULL, PRIMARY KEY (entry_id, idx)) WITHOUT ROWID;", NULL, NULL, NULL);
  sqlite3_prepare_v2 (db, "INSERT INTO entries VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &e, NULL);
  sqlite3_prepare_v2 (db, "INSERT INTO movements VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1, &m, NULL);

  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < entries->len; i++)
    {
      MdnEntry *x = g_ptr_array_index (entries, i);
      g_autofree char *body = mdn_json_object_canonical (x->body);

      if (i % BATCH == 0)
        sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
      sqlite3_bind_text (e, 1, x->id, -1, SQLITE_STATIC);
      sqlite3_bind_text (e, 2, x->branch, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (e, 3, x->seq);
      sqlite3_bind_text (e, 4, x->kind, -1, SQLITE_STATIC);
      sqlite3_bind_text (e, 5, x->at, -1, SQLITE_STATIC);
      sqlite3_bind_text (e, 6, x->business_date, -1, SQLITE_STATIC);
      sqlite3_bind_text (e, 7, x->staff, -1, SQLITE_STATIC);
      sqlite3_bind_text (e, 8, x->member_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (e, 9, body, -1, SQLITE_STATIC);
      sqlite3_bind_text (e, 10, x->prev_hash, -1, SQLITE_STATIC);
      sqlite3_bind_text (e, 11, x->hash, -1, SQLITE_STATIC);
      if (sqlite3_step (e) != SQLITE_DONE)
        g_error ("bare insert: %s", sqlite3_errmsg (db));
      sqlite3_reset (e);
      for (guint k = 0; k < x->movements->len; k++)
        {
          MdnMovement *mv = &g_array_index (x->movements, MdnMovement, k);

          sqlite3_bind_text (m, 1, x->id, -1, SQLITE_STATIC);
          sqlite3_bind_int64 (m, 2, k);
          sqlite3_bind_text (m, 3, mv->member_id, -1, SQLITE_STATIC);
          sqlite3_bind_text (m, 4, mv->account, -1, SQLITE_STATIC);
          sqlite3_bind_text (m, 5, mv->item, -1, SQLITE_STATIC);
          sqlite3_bind_text (m, 6, mv->lot, -1, SQLITE_STATIC);
          sqlite3_bind_text (m, 7, mv->expires_on, -1, SQLITE_STATIC);
          sqlite3_bind_int64 (m, 8, mv->delta);
          sqlite3_step (m);
          sqlite3_reset (m);
        }
      if (i % BATCH == BATCH - 1 || i == entries->len - 1)
        sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
    }
  sqlite3_finalize (e);
  sqlite3_finalize (m);
  sqlite3_close (db);
  return (g_get_monotonic_time () - t0) / 1e6;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("mendian-bench-XXXXXX", &error);
  g_autofree char *branch_db = g_build_filename (dir, "branch.db", NULL);
  g_autofree char *server_db = g_build_filename (dir, "server.db", NULL);
  g_autofree char *bare_db = g_build_filename (dir, "bare.db", NULL);
  g_autofree char *token = NULL, *out = NULL, *url = NULL, *line = NULL, *card = NULL;
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_entry_free);
  g_autoptr(GPtrArray) bodies = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(MdnStore) store = NULL;
  g_autoptr(MdnOpCtx) ctx = NULL;
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autoptr(JsonObject) r = NULL;
  int n = argc > 1 ? atoi (argv[1]) : 5000;
  MdnStoreInit init = { .branch_code = "B01", .branch_name = "B01", .branch_number = 1,
                        .admin_password = "bench-password" };
  double http_s, bare_s;
  gint64 t0;

  mdn_library_init ();
  g_print ("bench-ingest: preparing %d entries...\n", n);
  store = mdn_store_init (branch_db, &init, &error);
  g_assert_no_error (error);
  ctx = mdn_op_ctx_new_trusted (store, "admin", &error);
  r = mdn_ops_run_line (ctx, "{\"op\":\"member.issue\",\"name\":\"Bench\",\"phone\":\"13800000000\"}");
  card = g_strdup (json_object_get_string_member (r, "card_no"));
  /* One transaction for the preparation: it is not what is measured. */
  mdn_db_exec_script (store->db, "PRAGMA synchronous = OFF", NULL);
  for (int i = 2; i < n; i++)
    {
      g_autofree char *op = g_strdup_printf ("{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"%d.%02d\"}",
                                             card, 1 + i % 50, i % 100);
      g_autoptr(JsonObject) o = mdn_ops_run_line (ctx, op);
    }
  {
    sqlite3_stmt *stmt = mdn_db_query (store->db, NULL, "SELECT id FROM entries ORDER BY seq", "");
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);

    while (sqlite3_step (stmt) == SQLITE_ROW)
      g_ptr_array_add (ids, g_strdup (mdn_db_col_text (stmt, 0)));
    sqlite3_reset (stmt);
    for (guint i = 0; i < ids->len; i++)
      g_ptr_array_add (entries, mdn_entry_load (store->db, g_ptr_array_index (ids, i), NULL));
  }
  for (guint i = 0; i < entries->len; i += BATCH)
    {
      g_autoptr(JsonObject) body = json_object_new ();
      JsonArray *list = json_array_new ();
      g_autofree char *text = NULL;
      gsize len;

      for (guint k = i; k < MIN (entries->len, i + BATCH); k++)
        json_array_add_object_element (list, mdn_entry_to_json (g_ptr_array_index (entries, k), TRUE));
      json_object_set_array_member (body, "entries", list);
      text = mdn_json_object_to_string (body);
      len = strlen (text);
      g_ptr_array_add (bodies, g_bytes_new_take (g_steal_pointer (&text), len));
    }

  {
    const char *init_argv[] = { MENDIAN_SERVER_PATH, "--db", server_db, "init", NULL };
    const char *add_argv[] = { MENDIAN_SERVER_PATH, "--db", server_db, "branch", "add", "--code", "B01",
                               "--name", "B01", "--number", "1", NULL };
    g_autoptr(JsonObject) t = NULL;

    g_free (run (init_argv));
    out = run (add_argv);
    t = mdn_json_parse_object (out, NULL);
    token = g_strdup (json_object_get_string_member (t, "token"));
  }
  server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error,
                             MENDIAN_SERVER_PATH, "--db", server_db, "serve", "--listen", "127.0.0.1:0", NULL);
  g_assert_no_error (error);
  in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error);
  g_assert_nonnull (line);
  url = g_strconcat (line + strlen ("listening on "), "api/v1/sync/push", NULL);

  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < bodies->len; i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
      g_autofree char *auth = g_strconcat ("Bearer ", token, NULL);
      g_autoptr(GBytes) reply = NULL;

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
      soup_message_set_request_body_from_bytes (msg, "application/json", g_ptr_array_index (bodies, i));
      reply = soup_session_send_and_read (session, msg, NULL, &error);
      if (reply == NULL || soup_message_get_status (msg) != 200)
        g_error ("push failed: %s", error ? error->message : soup_message_get_reason_phrase (msg));
    }
  http_s = (g_get_monotonic_time () - t0) / 1e6;
  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);

  bare_s = bare_insert (bare_db, entries);

  g_print ("entries:            %u (batches of %d, WAL, synchronous=FULL)\n", entries->len, BATCH);
  g_print ("server over HTTP:   %.0f entries/s (%.3f s; parse, auth, hash check, apply, feed, rollups)\n",
           entries->len / http_s, http_s);
  g_print ("bare SQLite insert: %.0f entries/s (%.3f s; same rows, same batches)\n",
           entries->len / bare_s, bare_s);
  g_print ("ratio:              %.2f (budget: at least 0.50)\n", bare_s / http_s);

  g_unlink (branch_db);
  g_unlink (server_db);
  g_unlink (bare_db);
  for (const char *const *suffix = (const char *const[]) { "-wal", "-shm", NULL }; *suffix; suffix++)
    {
      g_autofree char *a = g_strconcat (branch_db, *suffix, NULL);
      g_autofree char *b = g_strconcat (server_db, *suffix, NULL);
      g_autofree char *c = g_strconcat (bare_db, *suffix, NULL);

      g_unlink (a);
      g_unlink (b);
      g_unlink (c);
    }
  g_rmdir (dir);
  return 0;
}
