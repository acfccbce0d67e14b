/* bench-report-pg: a one-day detail report on the PostgreSQL store
 * (issue 18: flat as history grows), on a throw-away cluster
 * (tests/mdn-test-pg.c). One branch pushes a day of DAY entries (a member
 * and its deposits) over HTTP; the `income` report of that day for that
 * branch is asked over HTTP (GET /api/v1/reports/income, built on the
 * PostgreSQL store's scratch database: srv-store-pg-report.c) of two
 * server databases holding that day, one with SMALL entries of other days,
 * the other with BIG (written straight in SQL over ~3 years of days, the
 * same month's partition included), each behind a server process, asked
 * in turn; it prints the medians and their ratio (budget: within 1.2).
 * Then the consolidated summary of TODAY's month (GET /api/v1/reports/summary,
 * the rollups), with the rollup rows of a chain of 100 branches over the
 * days before that month, a branch-day for every 100 entries of history
 * (SMALL: 1 day, BIG 1000000: 100 days), asked the same way.
 * The cluster runs with fsync off. With MENDIAN_BENCH_KEEP set it prints
 * both databases' URIs at the end and keeps them until a line on stdin.
 *
 *   bench-report-pg [BIG [DAY]]    (defaults 1000000 and 2000; SMALL is 10000)
 */
#include <glib/gstdio.h>
#include <libpq-fe.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "bench-pg.h"
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
#define ROUNDS 9
#define SMALL  10000
#define TODAY  "2026-11-20"
#define MONTH1 "2026-11-01"

/* The day's push bodies: a member issued, then deposits. */
static GPtrArray *
day_bodies (const char *dir,
            int         n)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, "B01.db", NULL);
  MdnStoreInit init = { .branch_code = "B01", .branch_name = "B01", .branch_number = 1,
                        .admin_password = "bench-password" };
  g_autoptr(MdnStore) store = mdn_store_init (path, &init, &error);
  g_autoptr(MdnOpCtx) ctx = NULL;
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_entry_free);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  GPtrArray *bodies = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
  g_autofree char *card = NULL;
  sqlite3_stmt *stmt;

  g_assert_no_error (error);
  ctx = mdn_op_ctx_new_trusted (store, "admin", &error);
  g_assert_no_error (error);
  r = mdn_ops_run_line (ctx, "{\"op\":\"member.issue\",\"name\":\"Bench\",\"phone\":\"13800000001\"}");
  card = g_strdup (json_object_get_string_member (r, "card_no"));
  mdn_db_exec_script (store->db, "PRAGMA synchronous = OFF", NULL);
  for (int i = 2; i < n; i++)
    {
      g_autofree char *op = g_strdup_printf ("{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"%d.%02d\","
                                             "\"tender\":\"%s\"}", card, 1 + i % 50, i % 100,
                                             i % 2 ? "cash" : "wechat");
      g_autoptr(JsonObject) o = mdn_ops_run_line (ctx, op);
    }
  stmt = mdn_db_query (store->db, NULL, "SELECT id FROM entries WHERE branch = 'B01' ORDER BY seq", "");
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (ids, g_strdup (mdn_db_col_text (stmt, 0)));
  sqlite3_reset (stmt);
  for (guint i = 0; i < ids->len; i++)
    g_ptr_array_add (entries, mdn_entry_load (store->db, g_ptr_array_index (ids, i), NULL));
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
  g_unlink (path);
  return bodies;
}

/* The rollups of 100 branches on the days before TODAY's month, a
 * branch-day per 100 entries of @history: rows this month's summary must
 * not read. A day at a time, each its own transaction, as pushes write
 * them: the trigger keeping srv_branch_balance (postgres/0009) adds to each
 * branch's row once per transaction, so its old versions are pruned as a
 * deployment's are. (All days in one statement would leave the table a page
 * per 100 branch-days for 100 live rows, read whole by every summary.) */
static void
add_rollups (PGconn *conn,
             gint64  history)
{
  gint64 days = MAX (1, history / 10000);

  for (gint64 d = 0; d < days; d++)
    {
      g_autofree char *sql = g_strdup_printf (
        "INSERT INTO srv_rollup_day (business_date, branch, entries, sales_fen, net_fen, counted_entries, "
        "  tender_cash_fen, tender_cash_count, deposit_principal_fen, principal_delta_fen) "
        "SELECT date '" MONTH1 "' - 1 - %" G_GINT64_FORMAT ", 'R' || lpad (b::text, 3, '0'), 100, 1000000, "
        "  1000000, 100, 1000000, 100, 50000, 50000 FROM generate_series (1, 100) b", d);

      mdn_test_pg_exec (conn, sql);
    }
  mdn_test_pg_exec (conn, "ANALYZE srv_rollup_day");
}

/* A server database holding the day (pushed over HTTP) and @history
 * entries of other days; its server process, its HQ token. */
typedef struct
{
  char        *uri;
  char        *base;
  char        *hq_token;
  char        *report_url;
  char        *summary_url;
  GSubprocess *server;
} Chain;

static void
chain_init (Chain       *c,
            MdnTestPg   *pg,
            const char  *name,
            GPtrArray   *bodies,
            gint64       history,
            SoupSession *session)
{
  const char *init_argv[] = { MENDIAN_SERVER_PATH, "--db", NULL, "init", NULL };
  const char *add_argv[] = { MENDIAN_SERVER_PATH, "--db", NULL, "branch", "add", "--code", "B01", "--name", "B01",
                             "--number", "1", NULL };
  const char *token_argv[] = { MENDIAN_SERVER_PATH, "--db", NULL, "token", "add", "--name", "boss", "--role", "hq",
                               NULL };
  g_autofree char *out = NULL, *tout = NULL, *branch_token = NULL, *push_url = NULL;
  g_autoptr(JsonObject) t = NULL, h = NULL;
  PGconn *conn;

  c->uri = mdn_test_pg_create_db (pg, name);
  init_argv[2] = add_argv[2] = token_argv[2] = c->uri;
  g_free (bench_run (init_argv));
  out = bench_run (add_argv);
  t = mdn_json_parse_object (out, NULL);
  branch_token = g_strconcat ("Bearer ", json_object_get_string_member (t, "token"), NULL);
  tout = bench_run (token_argv);
  h = mdn_json_parse_object (tout, NULL);
  c->hq_token = g_strconcat ("Bearer ", json_object_get_string_member (h, "token"), NULL);
  c->server = bench_serve (c->uri, &c->base);
  push_url = g_strconcat (c->base, "api/v1/sync/push", NULL);
  c->report_url = g_strconcat (c->base, "api/v1/reports/income?format=json&from=" TODAY "&to=" TODAY "&branch=B01",
                               NULL);
  c->summary_url = g_strconcat (c->base, "api/v1/reports/summary?from=" MONTH1 "&to=" TODAY, NULL);
  for (guint i = 0; i < bodies->len; i++)
    g_bytes_unref (bench_http (session, "POST", push_url, branch_token, g_ptr_array_index (bodies, i)));
  conn = PQconnectdb (c->uri);
  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  mdn_test_pg_exec (conn, "SELECT mdn_month_partition (d::date) FROM generate_series (date '2024-01-01', "
                 "date '" TODAY "', interval '1 month') d");
  /* rows the report must not read (their documents are never parsed) */
  bench_pg_history (conn, 0, history, "sale.quick", TRUE, "{}");
  add_rollups (conn, history);
  PQfinish (conn);
}

static void
chain_clear (Chain *c)
{
  g_subprocess_send_signal (c->server, SIGTERM);
  g_subprocess_wait (c->server, NULL, NULL);
  g_clear_object (&c->server);
  g_free (c->uri);
  g_free (c->base);
  g_free (c->hq_token);
  g_free (c->report_url);
  g_free (c->summary_url);
}

/* Seconds of one summary of TODAY's month; @fen its sales. */
static double
one_summary (SoupSession *session,
             Chain       *c,
             gint64      *fen)
{
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr(GBytes) reply = bench_http (session, "GET", c->summary_url, c->hq_token, NULL);
  double seconds = (g_get_monotonic_time () - t0) / 1e6;
  g_autofree char *text = g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
  g_autoptr(JsonObject) o = mdn_json_parse_object (text, NULL);

  g_assert_nonnull (o);
  *fen = json_object_get_int_member_with_default (json_object_get_object_member (o, "chain"), "deposit_principal_fen", -1);
  return seconds;
}

/* Seconds of one report of TODAY at B01; @rows its rows. */
static double
one_report (SoupSession *session,
            Chain       *c,
            gint64      *rows)
{
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr(GBytes) reply = bench_http (session, "GET", c->report_url, c->hq_token, NULL);
  double seconds = (g_get_monotonic_time () - t0) / 1e6;
  g_autofree char *text = g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
  g_autoptr(JsonObject) o = mdn_json_parse_object (text, NULL);

  g_assert_nonnull (o);
  *rows = json_object_get_int_member (o, "count");
  return seconds;
}

typedef double (*OneFunc) (SoupSession *session, Chain *c, gint64 *value);

/* @one asked of both chains, warmed, then in turn (a busy machine slows
 * both alike); the medians and their ratio. Both must answer the same
 * value: @what names it. */
static void
compare (SoupSession *session,
         Chain       *small,
         Chain       *large,
         gint64       big,
         OneFunc      one,
         const char  *what)
{
  double small_s[ROUNDS], big_s[ROUNDS];
  gint64 v_small = 0, v_big = 0;

  one (session, small, &v_small);
  one (session, large, &v_big);
  for (guint k = 0; k < ROUNDS; k++)
    {
      small_s[k] = one (session, small, &v_small);
      big_s[k] = one (session, large, &v_big);
    }
  g_assert_cmpint (v_small, ==, v_big);
  g_print ("%s %" G_GINT64_FORMAT " (median of %d, over HTTP, interleaved):\n", what, v_big, ROUNDS);
  g_print ("history %8d:       %.1f ms\n", SMALL, bench_median (small_s, ROUNDS) * 1000);
  g_print ("history %8" G_GINT64_FORMAT ":       %.1f ms\n", big, bench_median (big_s, ROUNDS) * 1000);
  g_print ("ratio:                  %.2f (budget: within 1.2)\n",
           bench_median (big_s, ROUNDS) / bench_median (small_s, ROUNDS));
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("mendian-bench-report-pg-XXXXXX", &error);
  gint64 big = bench_arg (argc, argv, 1, 1000000, SMALL, G_MAXINT32, "bench-report-pg [BIG [DAY]]");
  int day = (int) bench_arg (argc, argv, 2, 2000, 1, 1000000, "bench-report-pg [BIG [DAY]]");
  g_autoptr(GPtrArray) bodies = NULL;
  g_autoptr(SoupSession) session = soup_session_new ();
  Chain small = { 0 }, large = { 0 };
  MdnTestPg *pg;

  g_setenv ("MENDIAN_NOW", TODAY "T10:00:00+08:00", TRUE);
  mdn_branch_init ();
  if (!mdn_test_pg_available ())
    {
      g_print ("bench-report-pg: PostgreSQL 15 is not installed\n");
      return 0;
    }
  g_print ("bench-report-pg: a day of %d entries, history %d and %" G_GINT64_FORMAT " entries...\n", day, SMALL,
           big);
  bodies = day_bodies (dir, day);
  pg = mdn_test_pg_start (&error);
  g_assert_no_error (error);
  chain_init (&small, pg, "small", bodies, SMALL, session);
  chain_init (&large, pg, "large", bodies, big, session);

  compare (session, &small, &large, big, one_report, "one-day income report, rows");
  compare (session, &small, &large, big, one_summary,
           "summary of " MONTH1 " to " TODAY " (the chain, rollups), deposits in fen");
  if (g_getenv ("MENDIAN_BENCH_KEEP"))
    {
      char line[16];

      /* For EXPLAIN by hand: the databases stay until a line on stdin. */
      g_print ("small: %s\nlarge: %s\n(Enter ends)\n", small.uri, large.uri);
      if (fgets (line, sizeof line, stdin) == NULL)
        line[0] = '\0';
    }
  chain_clear (&small);
  chain_clear (&large);
  mdn_test_pg_free (pg);
  g_rmdir (dir);
  return 0;
}
