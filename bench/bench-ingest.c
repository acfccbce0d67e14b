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
#include <time.h>
#include <unistd.h>

#include "bench-server.h"
#include "mdn-db.h"
#include "mdn-entry-codec.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-ops.h"
#include "mdn-store.h"
#include "mdn-sync.h"

#define BATCH 500

/* Bare baseline: the same entry and movement rows (values ready in memory,
 * as a bulk loader would have them), prepared statements, one transaction
 * per batch, WAL + synchronous=FULL, no Mendian code in the timed loop.
 *
 * With @server_tables, the rows go into the tables the server stores them
 * in (the branch schema, created by the same migration: entries with its
 * unique (branch, seq) and two secondary indexes, movements with its
 * foreign key and member index). Without, into two bare tables with only
 * their keys: a lower bound, printed for reference. */
static double
bare_insert (const char *path,
             GPtrArray  *entries,
             GPtrArray  *bodies,
             gboolean    server_tables,
             double     *cpu_seconds)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *e = NULL, *m = NULL;
  MdnDb *mdb = NULL;
  gint64 t0;
  double cpu0;

  if (server_tables)
    {
      g_autoptr(GError) error = NULL;

      mdb = mdn_db_open (path, "branch", &error);
      g_assert_no_error (error);
      db = mdn_db_handle (mdb);
    }
  else
    {
      sqlite3_open (path, &db);
      sqlite3_exec (db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                    "CREATE TABLE entries (id TEXT PRIMARY KEY, branch TEXT NOT NULL, seq INTEGER NOT NULL, "
                    "kind TEXT NOT NULL, at TEXT NOT NULL, business_date TEXT NOT NULL, staff TEXT NOT NULL, "
                    "member_id TEXT, body TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL, UNIQUE (branch, seq));"
                    "CREATE TABLE movements (entry_id TEXT NOT NULL, idx INTEGER NOT NULL, member_id TEXT, "
                    "account TEXT NOT NULL, item TEXT NOT NULL, lot TEXT NOT NULL, expires_on TEXT, "
                    "delta INTEGER NOT NULL, PRIMARY KEY (entry_id, idx)) WITHOUT ROWID;", NULL, NULL, NULL);
    }
  sqlite3_prepare_v2 (db, "INSERT INTO entries (id, branch, seq, kind, at, business_date, staff, member_id, "
                      "body, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, &e, NULL);
  sqlite3_prepare_v2 (db, "INSERT INTO movements (entry_id, idx, member_id, account, item, lot, expires_on, delta) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1, &m, NULL);

  t0 = g_get_monotonic_time ();
  cpu0 = bench_thread_cpu_seconds ();
  for (guint i = 0; i < entries->len; i++)
    {
      MdnEntry *x = g_ptr_array_index (entries, i);

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
      sqlite3_bind_text (e, 9, g_ptr_array_index (bodies, i), -1, SQLITE_STATIC);
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
          if (sqlite3_step (m) != SQLITE_DONE)
            g_error ("bare insert: %s", sqlite3_errmsg (db));
          sqlite3_reset (m);
        }
      if (i % BATCH == BATCH - 1 || i == entries->len - 1)
        if (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
          g_error ("bare commit: %s", sqlite3_errmsg (db));
    }
  t0 = g_get_monotonic_time () - t0;
  if (cpu_seconds)
    *cpu_seconds = bench_thread_cpu_seconds () - cpu0;
  sqlite3_finalize (e);
  sqlite3_finalize (m);
  if (mdb)
    mdn_db_close (mdb);
  else
    sqlite3_close (db);
  return t0 / 1e6;
}

static void
remove_db (const char *path)
{
  for (const char *const *suffix = (const char *const[]) { "", "-wal", "-shm", NULL }; *suffix; suffix++)
    {
      g_autofree char *p = g_strconcat (path, *suffix, NULL);

      g_unlink (p);
    }
}

/* User + system CPU seconds a process has used so far (Linux). */
static double
process_cpu_seconds (const char *pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/stat", pid ? pid : "self");
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after;

  if (!g_file_get_contents (path, &text, NULL, NULL) || (after = strrchr (text, ')')) == NULL)
    return 0;
  fields = g_strsplit (after + 2, " ", -1);
  if (g_strv_length (fields) < 13)
    return 0;
  /* state is field 3; utime and stime are fields 14 and 15 */
  if (g_getenv ("MENDIAN_BENCH_CPU_SPLIT"))
    g_printerr ("server user %.3f s, system %.3f s\n", g_ascii_strtod (fields[11], NULL) / sysconf (_SC_CLK_TCK),
                g_ascii_strtod (fields[12], NULL) / sysconf (_SC_CLK_TCK));
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL)) / sysconf (_SC_CLK_TCK);
}

/* One timed push of every batch into a fresh server database, over HTTP.
 * Checks afterwards that the server acknowledged every entry. */
static double
server_round (const char *dir,
              GPtrArray  *bodies,
              guint       n_entries,
              double     *cpu_seconds,
              double     *push_cpu_seconds)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *server_db = g_build_filename (dir, "server.db", NULL);
  g_autofree char *token = NULL, *out = NULL, *base = NULL, *url = NULL, *line = NULL, *auth = NULL;
  g_autoptr(GSubprocess) server = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autoptr(SoupSession) session = soup_session_new ();
  double seconds, push_cpu0;
  gint64 t0;

  {
    const char *init_argv[] = { MENDIAN_SERVER_PATH, "--db", server_db, "init", NULL };
    const char *add_argv[] = { MENDIAN_SERVER_PATH, "--db", server_db, "branch", "add", "--code", "B01",
                               "--name", "B01", "--number", "1", NULL };
    g_autoptr(JsonObject) t = NULL;

    remove_db (server_db);
    g_free (bench_run (init_argv));
    out = bench_run (add_argv);
    t = mdn_json_parse_object (out, NULL);
    token = g_strdup (json_object_get_string_member (t, "token"));
    auth = g_strconcat ("Bearer ", token, NULL);
  }
  {
    /* MENDIAN_BENCH_WRAP="valgrind --tool=callgrind" (a wrapper that passes SIGTERM on)
     * runs the server under a profiler. */
    g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
    g_auto(GStrv) wrap = g_strsplit_set (g_getenv ("MENDIAN_BENCH_WRAP") ? g_getenv ("MENDIAN_BENCH_WRAP") : "", " ", -1);
    g_auto(GStrv) argv_server = NULL;

    for (guint i = 0; wrap[i]; i++)
      if (*wrap[i])
        g_strv_builder_add (b, wrap[i]);
    g_strv_builder_addv (b, (const char *[]) { MENDIAN_SERVER_PATH, "--db", server_db, "serve",
                                               "--listen", "127.0.0.1:0", NULL });
    argv_server = g_strv_builder_end (b);
    server = g_subprocess_newv ((const char *const *) argv_server,
                                G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error);
  }
  g_assert_no_error (error);
  in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error);
  g_assert_nonnull (line);
  base = g_strdup (line + strlen ("listening on "));
  url = g_strconcat (base, "api/v1/sync/push", NULL);

  t0 = g_get_monotonic_time ();
  push_cpu0 = bench_task_cpu_seconds (g_subprocess_get_identifier (server));
  for (guint i = 0; i < bodies->len; i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
      g_autoptr(GBytes) reply = NULL;

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
      soup_message_set_request_body_from_bytes (msg, "application/json", g_ptr_array_index (bodies, i));
      reply = soup_session_send_and_read (session, msg, NULL, &error);
      if (reply == NULL || soup_message_get_status (msg) != 200)
        g_error ("push failed: %s", error ? error->message : soup_message_get_reason_phrase (msg));
    }
  seconds = (g_get_monotonic_time () - t0) / 1e6;
  *push_cpu_seconds = bench_task_cpu_seconds (g_subprocess_get_identifier (server)) - push_cpu0;

  {
    g_autofree char *state_url = g_strconcat (base, "api/v1/sync/state", NULL);
    g_autoptr(SoupMessage) msg = soup_message_new ("GET", state_url);
    g_autoptr(GBytes) reply = NULL;
    g_autoptr(JsonObject) state = NULL;

    soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
    reply = soup_session_send_and_read (session, msg, NULL, &error);
    g_assert_no_error (error);
    state = mdn_json_parse_object (g_bytes_get_data (reply, NULL), &error);
    g_assert_no_error (error);
    if (json_object_get_int_member (state, "acked_seq") != (gint64) n_entries)
      g_error ("the server acknowledged %" G_GINT64_FORMAT " entries of %u",
               json_object_get_int_member (state, "acked_seq"), n_entries);
  }
  if (cpu_seconds)
    *cpu_seconds = process_cpu_seconds (g_subprocess_get_identifier (server));
  g_subprocess_send_signal (server, SIGTERM);
  g_subprocess_wait (server, NULL, NULL);
  remove_db (server_db);
  return seconds;
}

#define ROUNDS 3

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("mendian-bench-XXXXXX", &error);
  g_autofree char *branch_db = g_build_filename (dir, "branch.db", NULL);
  g_autofree char *bare_db = g_build_filename (dir, "bare.db", NULL);
  g_autofree char *card = NULL;
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_entry_free);
  g_autoptr(GPtrArray) bodies = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autoptr(GPtrArray) body_texts = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(MdnStore) store = NULL;
  g_autoptr(MdnOpCtx) ctx = NULL;
  g_autoptr(JsonObject) r = NULL;
  int n = (int) bench_arg (argc, argv, 1, 5000, 1, 10000000, "bench-ingest [N_ENTRIES]");
  MdnStoreInit init = { .branch_code = "B01", .branch_name = "B01", .branch_number = 1,
                        .admin_password = "bench-password" };
  double http[ROUNDS], cpu[ROUNDS], same[ROUNDS], narrow[ROUNDS], http_s, bare_s, narrow_s;
  double push_cpu[ROUNDS], bare_cpu[ROUNDS];

  /* mendian-server turns SQLite's memory statistics off (mdn_db_library_init);
   * the bare baseline keeps SQLite's defaults, as any program gets them.
   * MENDIAN_BENCH_BARE_TUNED=1 gives the baseline the same setting, to
   * show what it is worth on each side (docs/speed.md). */
  if (g_getenv ("MENDIAN_BENCH_BARE_TUNED"))
    mdn_db_library_init ();
  mdn_branch_init ();
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
    sqlite3_stmt *stmt = mdn_db_query (store->db, NULL, "SELECT id, body FROM entries ORDER BY seq", "");
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);

    while (sqlite3_step (stmt) == SQLITE_ROW)
      {
        g_ptr_array_add (ids, g_strdup (mdn_db_col_text (stmt, 0)));
        g_ptr_array_add (body_texts, g_strdup (mdn_db_col_text (stmt, 1)));
      }
    sqlite3_reset (stmt);
    for (guint i = 0; i < ids->len; i++)
      g_ptr_array_add (entries, mdn_entry_load (store->db, g_ptr_array_index (ids, i), NULL));
  }
  /* The push bodies, as the branch's sync sends them (mdn_sync_push: each
   * entry in the codec's canonical form; PUSH_BATCH = BATCH). */
  for (guint i = 0; i < entries->len; i += BATCH)
    {
      GString *text = g_string_new ("{\"entries\":[");
      gsize len;

      for (guint k = i; k < MIN (entries->len, i + BATCH); k++)
        {
          if (k > i)
            g_string_append_c (text, ',');
          mdn_entry_codec_write (text, g_ptr_array_index (entries, k), TRUE, NULL, NULL);
        }
      g_string_append (text, "]}");
      len = text->len;
      g_ptr_array_add (bodies, g_bytes_new_take (g_string_free (text, FALSE), len));
    }

  /* Rounds interleaved, medians compared: a busy machine slows both sides. */
  for (guint k = 0; k < ROUNDS; k++)
    {
      http[k] = server_round (dir, bodies, entries->len, &cpu[k], &push_cpu[k]);
      remove_db (bare_db);
      same[k] = bare_insert (bare_db, entries, body_texts, TRUE, &bare_cpu[k]);
      remove_db (bare_db);
      narrow[k] = bare_insert (bare_db, entries, body_texts, FALSE, NULL);
      remove_db (bare_db);
    }
  http_s = bench_median (http, ROUNDS);
  bare_s = bench_median (same, ROUNDS);
  narrow_s = bench_median (narrow, ROUNDS);

  g_print ("entries:            %u (batches of %d, WAL, synchronous=FULL; median of %d rounds)\n",
           entries->len, BATCH, ROUNDS);
  g_print ("server over HTTP:   %.0f entries/s (%.3f s; parse, auth, hash check, apply, feed, rollups)\n",
           entries->len / http_s, http_s);
  g_print ("server CPU:         %.1f us per entry (user + system, whole process life)\n",
           bench_median (cpu, ROUNDS) * 1e6 / entries->len);
  g_print ("bare SQLite insert: %.0f entries/s (%.3f s; same rows into the server's tables, same batches)\n",
           entries->len / bare_s, bare_s);
  g_print ("ratio:              %.2f (budget: at least 0.50)\n", bare_s / http_s);
  g_print ("for reference:      %.0f entries/s into two tables with only their keys (ratio %.2f)\n",
           entries->len / narrow_s, narrow_s / http_s);
  /* On a machine shared with other work the rates above move with the
     load; CPU time moves much less. Not the budget's measure (it leaves
     out the waits for fsync, the same on both sides), a check of it. */
  {
    double push_cpu_s = bench_median (push_cpu, ROUNDS), bare_cpu_s = bench_median (bare_cpu, ROUNDS);

    g_print ("CPU while timed:    server %.1f us per entry (every thread, pushes only), bare insert %.1f us; "
             "ratio %.2f\n", push_cpu_s * 1e6 / entries->len, bare_cpu_s * 1e6 / entries->len,
             bare_cpu_s / push_cpu_s);
  }

  remove_db (branch_db);
  g_rmdir (dir);
  return 0;
}
