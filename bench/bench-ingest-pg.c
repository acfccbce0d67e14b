/* bench-ingest-pg: server ingest on PostgreSQL (issue 18), on a throw-away
 * cluster (tests/mdn-test-pg.c), as ratios measured in the same run:
 *   - pushes over HTTP to one server process against a bare COPY of the
 *     same rows into the same tables (entry_keys, entries, movements), in
 *     the same batches, one transaction each (budget: at least 0.5);
 *   - two branches pushing in parallel to two server processes against the
 *     same two branches pushing in parallel to one (budget: at least 1.6).
 * For reference it also prints what the machine gives two writers at all:
 * the bare COPY of both branches through two connections at once against
 * the same one after the other.
 * The cluster runs with fsync off (a test cluster): both sides alike.
 *
 *   bench-ingest-pg [N_ENTRIES per branch]      (default 3000)
 */
#include <glib/gstdio.h>
#include <libpq-fe.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "bench-server.h"
#include "mdn-db.h"
#include "mdn-entry-codec.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-ops.h"
#include "mdn-store.h"
#include "mdn-sync.h"
#include "mdn-test-pg.h"

#define BATCH  500
#define ROUNDS 3

/* A branch's ledger: @n entries (a member, then deposits), and its push
 * bodies in batches. */
typedef struct
{
  char      *code;
  GPtrArray *entries;   /* MdnEntry */
  GPtrArray *bodies;    /* GBytes */
} Ledger;

static Ledger *
ledger_new (const char *dir,
            const char *code,
            int         number,
            int         n)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_strdup_printf ("%s/%s.db", dir, code);
  MdnStoreInit init = { .branch_code = code, .branch_name = code, .branch_number = number,
                        .admin_password = "bench-password" };
  g_autoptr(MdnStore) store = mdn_store_init (path, &init, &error);
  g_autoptr(MdnOpCtx) ctx = NULL;
  g_autoptr(JsonObject) r = NULL;
  g_autofree char *card = NULL;
  g_autofree char *phone = g_strdup_printf ("1380000%04d", number);
  g_autofree char *issue = g_strdup_printf ("{\"op\":\"member.issue\",\"name\":\"Bench\",\"phone\":\"%s\"}", phone);
  Ledger *l = g_new0 (Ledger, 1);
  sqlite3_stmt *stmt;

  g_assert_no_error (error);
  l->code = g_strdup (code);
  l->entries = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_entry_free);
  l->bodies = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  ctx = mdn_op_ctx_new_trusted (store, "admin", &error);
  g_assert_no_error (error);
  r = mdn_ops_run_line (ctx, issue);
  card = g_strdup (json_object_get_string_member (r, "card_no"));
  mdn_db_exec_script (store->db, "PRAGMA synchronous = OFF", NULL);
  for (int i = 2; i < n; i++)
    {
      g_autofree char *op = g_strdup_printf ("{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"%d.%02d\"}",
                                             card, 1 + i % 50, i % 100);
      g_autoptr(JsonObject) o = mdn_ops_run_line (ctx, op);
    }
  {
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);

    stmt = mdn_db_query (store->db, NULL, "SELECT id FROM entries WHERE branch = ? ORDER BY seq", "s", code);
    while (sqlite3_step (stmt) == SQLITE_ROW)
      g_ptr_array_add (ids, g_strdup (mdn_db_col_text (stmt, 0)));
    sqlite3_reset (stmt);
    for (guint i = 0; i < ids->len; i++)
      g_ptr_array_add (l->entries, mdn_entry_load (store->db, g_ptr_array_index (ids, i), NULL));
  }
  for (guint i = 0; i < l->entries->len; i += BATCH)
    {
      GString *text = g_string_new ("{\"entries\":[");
      gsize len;

      for (guint k = i; k < MIN (l->entries->len, i + BATCH); k++)
        {
          if (k > i)
            g_string_append_c (text, ',');
          mdn_entry_codec_write (text, g_ptr_array_index (l->entries, k), TRUE, NULL, NULL);
        }
      g_string_append (text, "]}");
      len = text->len;
      g_ptr_array_add (l->bodies, g_bytes_new_take (g_string_free (text, FALSE), len));
    }
  g_unlink (path);
  return l;
}

/* The months' partitions of @l's entries, made before a round is timed on
 * either side (the server makes a month's once, at its first push into
 * it; the bare COPY needs them made). */
static void
make_partitions (PGconn *conn,
                 Ledger *l)
{
  for (guint i = 0; i < l->entries->len; i++)
    {
      MdnEntry *e = g_ptr_array_index (l->entries, i);

      if (i == 0 || strncmp (e->business_date, ((MdnEntry *) g_ptr_array_index (l->entries, i - 1))->business_date, 7))
        {
          const char *values[] = { e->business_date };
          PGresult *res = PQexecParams (conn, "SELECT mdn_month_partition ($1::date)", 1, NULL, values, NULL, NULL, 0);

          if (PQresultStatus (res) != PGRES_TUPLES_OK)
            g_error ("mdn_month_partition: %s", PQerrorMessage (conn));
          PQclear (res);
        }
    }
}

/* A fresh server database with the branches registered: their tokens. */
static char *
server_db (MdnTestPg  *pg,
           Ledger    **ledgers,
           guint       n,
           char      **tokens)
{
  char *uri = mdn_test_pg_create_db (pg, "bench");
  const char *init_argv[] = { MENDIAN_SERVER_PATH, "--db", uri, "init", NULL };

  g_free (bench_run (init_argv));
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *number = g_strdup_printf ("%u", i + 1);
      const char *add_argv[] = { MENDIAN_SERVER_PATH, "--db", uri, "branch", "add", "--code", ledgers[i]->code,
                                 "--name", ledgers[i]->code, "--number", number, NULL };
      g_autofree char *out = bench_run (add_argv);
      g_autoptr(JsonObject) t = mdn_json_parse_object (out, NULL);

      tokens[i] = g_strconcat ("Bearer ", json_object_get_string_member (t, "token"), NULL);
    }
  {
    PGconn *conn = PQconnectdb (uri);

    g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
    for (guint i = 0; i < n; i++)
      make_partitions (conn, ledgers[i]);
    PQfinish (conn);
  }
  return uri;
}

/* CPU seconds so far of @conn's database session. */
static double
backend_cpu (PGconn *conn)
{
  g_autofree char *pid = g_strdup_printf ("%d", PQbackendPID (conn));

  return bench_task_cpu_seconds (pid);
}

/* CPU seconds so far of the server processes @servers and of every
 * session of the database @uri but the one that asks. */
static double
server_cpu (const char   *uri,
            GSubprocess **servers,
            guint         n)
{
  PGconn *conn = PQconnectdb (uri);
  PGresult *res = PQexec (conn, "SELECT pid FROM pg_stat_activity WHERE datname = current_database () "
                                "AND pid <> pg_backend_pid ()");
  double sum = 0;

  if (PQresultStatus (res) != PGRES_TUPLES_OK)
    g_error ("pg_stat_activity: %s", PQerrorMessage (conn));
  for (int r = 0; r < PQntuples (res); r++)
    sum += bench_task_cpu_seconds (PQgetvalue (res, r, 0));
  for (guint i = 0; i < n; i++)
    sum += bench_task_cpu_seconds (g_subprocess_get_identifier (servers[i]));
  PQclear (res);
  PQfinish (conn);
  return sum;
}

typedef struct
{
  Ledger     *ledger;
  const char *base;
  const char *auth;
} Pusher;

static gpointer
push_all (gpointer data)
{
  Pusher *p = data;
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (p->base, "api/v1/sync/push", NULL);

  for (guint i = 0; i < p->ledger->bodies->len; i++)
    {
      g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
      g_autoptr(GBytes) reply = NULL;
      g_autoptr(GError) error = NULL;

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", p->auth);
      soup_message_set_request_body_from_bytes (msg, "application/json", g_ptr_array_index (p->ledger->bodies, i));
      reply = soup_session_send_and_read (session, msg, NULL, &error);
      if (reply == NULL || soup_message_get_status (msg) != 200)
        g_error ("push failed: %s", error ? error->message : soup_message_get_reason_phrase (msg));
    }
  return NULL;
}

/* The ledgers pushed in parallel, each through server process
 * (@processes 1: all through one). Seconds. */
static double
http_round (MdnTestPg *pg,
            Ledger   **ledgers,
            guint      n,
            guint      processes,
            double    *cpu)
{
  char *tokens[2] = { NULL, NULL };
  g_autofree char *uri = server_db (pg, ledgers, n, tokens);
  GSubprocess *servers[2] = { NULL, NULL };
  char *bases[2] = { NULL, NULL };
  Pusher pushers[2];
  GThread *threads[2];
  gint64 t0;
  double seconds;

  for (guint i = 0; i < processes; i++)
    servers[i] = bench_serve (uri, &bases[i]);
  *cpu = -server_cpu (uri, servers, processes);
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    {
      pushers[i] = (Pusher) { ledgers[i], bases[processes == 1 ? 0 : i], tokens[i] };
      threads[i] = g_thread_new ("push", push_all, &pushers[i]);
    }
  for (guint i = 0; i < n; i++)
    g_thread_join (threads[i]);
  seconds = (g_get_monotonic_time () - t0) / 1e6;
  *cpu += server_cpu (uri, servers, processes);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT acked_seq FROM srv_branches WHERE code = '%s'", ledgers[i]->code);

      if (mdn_test_pg_count (uri, sql) != (gint64) ledgers[i]->entries->len)
        g_error ("the server did not acknowledge every entry of %s", ledgers[i]->code);
      g_free (tokens[i]);
    }
  for (guint i = 0; i < processes; i++)
    {
      g_subprocess_send_signal (servers[i], SIGTERM);
      g_subprocess_wait (servers[i], NULL, NULL);
      g_object_unref (servers[i]);
      g_free (bases[i]);
    }
  return seconds;
}

/* COPY's text format: backslash, tab, newline and return escaped. */
static void
copy_field (GString    *row,
            const char *value,
            gboolean    last)
{
  if (value == NULL)
    g_string_append (row, "\\N");
  else
    for (const char *p = value; *p; p++)
      switch (*p)
        {
        case '\\': g_string_append (row, "\\\\"); break;
        case '\t': g_string_append (row, "\\t"); break;
        case '\n': g_string_append (row, "\\n"); break;
        case '\r': g_string_append (row, "\\r"); break;
        default: g_string_append_c (row, *p);
        }
  g_string_append_c (row, last ? '\n' : '\t');
}

static void
copy_rows (PGconn     *conn,
           const char *sql,
           GString    *rows)
{
  PGresult *res = PQexec (conn, sql);

  if (PQresultStatus (res) != PGRES_COPY_IN)
    g_error ("%s: %s", sql, PQerrorMessage (conn));
  PQclear (res);
  if (PQputCopyData (conn, rows->str, (int) rows->len) != 1 || PQputCopyEnd (conn, NULL) != 1)
    g_error ("COPY: %s", PQerrorMessage (conn));
  res = PQgetResult (conn);
  if (PQresultStatus (res) != PGRES_COMMAND_OK)
    g_error ("COPY: %s", PQerrorMessage (conn));
  PQclear (res);
}

/* A ledger's rows by COPY into @conn's database, one transaction per
 * batch; its documents ready in @docs. */
typedef struct
{
  PGconn    *conn;
  Ledger    *l;
  GPtrArray *docs;
  double     cpu;    /* the thread's CPU seconds in it */
} Bare;

static gpointer
copy_ledger (gpointer data)
{
  Bare *bare = data;
  PGconn *conn = bare->conn;
  Ledger *l = bare->l;
  GPtrArray *docs = bare->docs;
  double cpu0 = bench_thread_cpu_seconds ();

  for (guint i = 0; i < l->entries->len; i += BATCH)
    {
      g_autoptr(GString) keys = g_string_new (NULL);
      g_autoptr(GString) rows = g_string_new (NULL);
      g_autoptr(GString) moves = g_string_new (NULL);

      for (guint k = i; k < MIN (l->entries->len, i + BATCH); k++)
        {
          MdnEntry *e = g_ptr_array_index (l->entries, k);
          g_autofree char *seq = g_strdup_printf ("%" G_GINT64_FORMAT, e->seq);
          g_autofree char *applied = g_strdup_printf ("%u", k + 1);

          copy_field (keys, e->branch, FALSE);
          copy_field (keys, seq, FALSE);
          copy_field (keys, e->id, FALSE);
          copy_field (keys, e->business_date, FALSE);
          copy_field (keys, e->kind, FALSE);
          copy_field (keys, e->member_id, FALSE);
          copy_field (keys, e->hash, FALSE);
          copy_field (keys, "t", FALSE);
          copy_field (keys, applied, TRUE);
          copy_field (rows, e->business_date, FALSE);
          copy_field (rows, e->id, FALSE);
          copy_field (rows, e->branch, FALSE);
          copy_field (rows, seq, FALSE);
          copy_field (rows, e->kind, FALSE);
          copy_field (rows, e->at, FALSE);
          copy_field (rows, e->member_id, FALSE);
          copy_field (rows, g_ptr_array_index (docs, k), TRUE);
          for (guint m = 0; m < e->movements->len; m++)
            {
              MdnMovement *mv = &g_array_index (e->movements, MdnMovement, m);
              g_autofree char *idx = g_strdup_printf ("%u", m);
              g_autofree char *delta = g_strdup_printf ("%" G_GINT64_FORMAT, mv->delta);

              copy_field (moves, e->business_date, FALSE);
              copy_field (moves, e->id, FALSE);
              copy_field (moves, idx, FALSE);
              copy_field (moves, mv->member_id, FALSE);
              copy_field (moves, mv->account, FALSE);
              copy_field (moves, mv->item, FALSE);
              copy_field (moves, mv->lot, FALSE);
              copy_field (moves, mv->expires_on, FALSE);
              copy_field (moves, delta, TRUE);
            }
        }
      mdn_test_pg_exec (conn, "BEGIN");
      copy_rows (conn, "COPY entry_keys (branch, seq, id, business_date, kind, member_id, hash, projected, applied) "
                 "FROM STDIN", keys);
      copy_rows (conn, "COPY entries (business_date, id, branch, seq, kind, at, member_id, doc) FROM STDIN", rows);
      copy_rows (conn, "COPY movements (business_date, entry_id, idx, member_id, account, item, lot, expires_on, delta) "
                 "FROM STDIN", moves);
      mdn_test_pg_exec (conn, "COMMIT");
    }
  bare->cpu = bench_thread_cpu_seconds () - cpu0;
  return NULL;
}

/* The bare baseline: the same rows (ready in memory) into the same tables
 * of a fresh server database by COPY, one transaction per batch: @n
 * ledgers, each through its own connection, in turn or (@parallel) at
 * once. Seconds. */
static double
copy_round (MdnTestPg *pg,
            Ledger   **ledgers,
            guint      n,
            gboolean   parallel,
            double    *cpu)
{
  g_autofree char *uri = mdn_test_pg_create_db (pg, "bare");
  const char *init_argv[] = { MENDIAN_SERVER_PATH, "--db", uri, "init", NULL };
  Bare bare[2];
  GThread *threads[2];
  gint64 t0;
  double seconds;

  g_free (bench_run (init_argv));
  for (guint k = 0; k < n; k++)
    {
      Ledger *l = ledgers[k];

      bare[k] = (Bare) { PQconnectdb (uri), l, g_ptr_array_new_with_free_func (g_free) };
      g_assert_cmpint (PQstatus (bare[k].conn), ==, CONNECTION_OK);
      for (guint i = 0; i < l->entries->len; i++)
        {
          MdnEntry *e = g_ptr_array_index (l->entries, i);
          GString *doc = g_string_new (NULL);

          mdn_entry_codec_write (doc, e, TRUE, NULL, NULL);
          g_ptr_array_add (bare[k].docs, g_string_free (doc, FALSE));
        }
      make_partitions (bare[k].conn, l);
    }

  *cpu = 0;
  for (guint k = 0; k < n; k++)
    *cpu -= backend_cpu (bare[k].conn);
  t0 = g_get_monotonic_time ();
  for (guint k = 0; k < n; k++)
    {
      if (parallel)
        threads[k] = g_thread_new ("copy", copy_ledger, &bare[k]);
      else
        copy_ledger (&bare[k]);
    }
  for (guint k = 0; parallel && k < n; k++)
    g_thread_join (threads[k]);
  seconds = (g_get_monotonic_time () - t0) / 1e6;
  for (guint k = 0; k < n; k++)
    *cpu += backend_cpu (bare[k].conn) + bare[k].cpu;
  for (guint k = 0; k < n; k++)
    {
      PQfinish (bare[k].conn);
      g_ptr_array_unref (bare[k].docs);
    }
  return seconds;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("mendian-bench-pg-XXXXXX", &error);
  int n = (int) bench_arg (argc, argv, 1, 3000, 1, 10000000, "bench-ingest-pg [N_ENTRIES per branch]");
  MdnTestPg *pg;
  Ledger *ledgers[2];
  double one[ROUNDS], bare[ROUNDS], single[ROUNDS], two[ROUNDS], bare_turn[ROUNDS], bare_both[ROUNDS];
  double one_cpu[ROUNDS], bare_cpu[ROUNDS], unused;

  mdn_branch_init ();
  if (!mdn_test_pg_available ())
    {
      g_print ("bench-ingest-pg: PostgreSQL 15 is not installed\n");
      return 0;
    }
  g_print ("bench-ingest-pg: preparing 2 branches of %d entries...\n", n);
  ledgers[0] = ledger_new (dir, "B01", 1, n);
  ledgers[1] = ledger_new (dir, "B02", 2, n);
  pg = mdn_test_pg_start (&error);
  g_assert_no_error (error);

  /* Rounds interleaved, medians compared: a busy machine slows every side. */
  for (guint k = 0; k < ROUNDS; k++)
    {
      one[k] = http_round (pg, ledgers, 1, 1, &one_cpu[k]);
      bare[k] = copy_round (pg, ledgers, 1, FALSE, &bare_cpu[k]);
      single[k] = http_round (pg, ledgers, 2, 1, &unused);
      two[k] = http_round (pg, ledgers, 2, 2, &unused);
      bare_turn[k] = copy_round (pg, ledgers, 2, FALSE, &unused);
      bare_both[k] = copy_round (pg, ledgers, 2, TRUE, &unused);
    }
  g_print ("entries:              %u per branch (batches of %d; median of %d rounds)\n",
           ledgers[0]->entries->len, BATCH, ROUNDS);
  g_print ("one process, HTTP:    %.0f entries/s\n", ledgers[0]->entries->len / bench_median (one, ROUNDS));
  g_print ("bare COPY:            %.0f entries/s (entry_keys, entries, movements)\n",
           ledgers[0]->entries->len / bench_median (bare, ROUNDS));
  g_print ("ratio:                %.2f (budget: at least 0.50)\n",
           bench_median (bare, ROUNDS) / bench_median (one, ROUNDS));
  /* CPU moves far less with the machine's load than the rates do. */
  g_print ("CPU while timed:      server %.1f us per entry (its process and its database sessions), "
           "bare COPY %.1f us (its session and the thread writing the rows); ratio %.2f\n",
           bench_median (one_cpu, ROUNDS) * 1e6 / ledgers[0]->entries->len,
           bench_median (bare_cpu, ROUNDS) * 1e6 / ledgers[0]->entries->len,
           bench_median (bare_cpu, ROUNDS) / bench_median (one_cpu, ROUNDS));
  g_print ("2 branches, 1 process:  %.0f entries/s\n", 2 * ledgers[0]->entries->len / bench_median (single, ROUNDS));
  g_print ("2 branches, 2 processes: %.0f entries/s\n", 2 * ledgers[0]->entries->len / bench_median (two, ROUNDS));
  g_print ("scaling:              %.2f (budget: at least 1.60; this machine has %u cores)\n",
           bench_median (single, ROUNDS) / bench_median (two, ROUNDS), g_get_num_processors ());
  /* What the machine gives two writers at all: the bare COPY of the same
     two branches, two connections at once against one after the other. */
  g_print ("for reference:        bare COPY of both branches, at once / in turn: %.2f\n",
           bench_median (bare_turn, ROUNDS) / bench_median (bare_both, ROUNDS));
  mdn_test_pg_free (pg);
  /* The ledgers' -wal and -shm, left by their unlink while open. */
  {
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name (d)))
      {
        g_autofree char *path = g_build_filename (dir, name, NULL);

        g_unlink (path);
      }
  }
  g_rmdir (dir);
  return 0;
}
