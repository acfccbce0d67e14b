/* bench-stock-pg: the chain's stock read on the PostgreSQL store (issue
 * 18: flat as history grows), on a throw-away cluster (tests/mdn-test-pg.c).
 * A branch's products, a receipt of stock and one sale are pushed over
 * HTTP to two server databases; then one gets SMALL more sales of stock
 * goods, the other BIG (written straight in SQL from the pushed sale's
 * document, one stock movement each: what replaying history has to read).
 * GET /api/v1/stock is asked of each database's server process in turn;
 * the first read of each builds the projection (as after an upgrade,
 * srv-store-pg-projection.c) and is printed on its own, then the medians
 * of ROUNDS reads with a few new sales pushed before each (the tail after
 * the image), and their ratio (budget: within 1.2). The same read of a
 * process that replays all history (MENDIAN_PG_REPLAY=1, as before
 * version 12) is printed for comparison, for BIG up to 100000. The cluster
 * runs with fsync off.
 *
 *   bench-stock-pg [BIG]    (default 1000000; SMALL is 10000)
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

#define ROUNDS 9
#define SMALL  10000
#define TAIL   20          /* sales pushed before each timed read */
#define TODAY  "2026-11-20"

/* The branch: its own products (the branch schema lets a plain branch
 * keep them), a receipt of stock, then sales of one unit each. */
typedef struct
{
  MdnStore *store;
  MdnOpCtx *ctx;
  gint64    pushed;     /* seq pushed up to */
} Branch;

static void
branch_op (Branch     *b,
           const char *op)
{
  g_autoptr(JsonObject) r = mdn_ops_run_line (b->ctx, op);

  if (r == NULL || json_object_has_member (r, "error"))
    {
      g_autoptr(JsonObject) err = r ? json_object_get_object_member (r, "error") : NULL;

      if (err)
        json_object_ref (err);
      g_error ("%s failed: %s", op, err ? json_object_get_string_member_with_default (err, "message", "") : "");
    }
}

/* The push body of the branch's entries after @b->pushed. */
static GBytes *
branch_unpushed (Branch *b)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  GString *text = g_string_new ("{\"entries\":[");
  sqlite3_stmt *stmt = mdn_db_query (b->store->db, NULL, "SELECT id, seq FROM entries WHERE seq > ? ORDER BY seq",
                                     "i", b->pushed);
  gsize len;

  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_ptr_array_add (ids, g_strdup (mdn_db_col_text (stmt, 0)));
      b->pushed = sqlite3_column_int64 (stmt, 1);
    }
  sqlite3_reset (stmt);
  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(MdnEntry) e = mdn_entry_load (b->store->db, g_ptr_array_index (ids, i), NULL);

      if (i)
        g_string_append_c (text, ',');
      mdn_entry_codec_write (text, e, TRUE, NULL, NULL);
    }
  g_string_append (text, "]}");
  len = text->len;
  return g_bytes_new_take (g_string_free (text, FALSE), len);
}

static void
sales (Branch *b,
       int     n)
{
  for (int i = 0; i < n; i++)
    branch_op (b, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1}],"
                  "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":1500}]}");
}

typedef struct
{
  char        *uri;
  char        *base;
  char        *hq_token;
  char        *branch_token;
  char        *stock_url;
  char        *push_url;
  GSubprocess *server;
  Branch       branch;
  char        *dir;
} Chain;

/* @history sales of stock goods in SQL, each a copy of the pushed sale's
 * document with an id and seq of its own, on days before TODAY. */
static void
add_history (PGconn *conn,
             gint64  history)
{
  PGresult *res = PQexec (conn, "SELECT id, seq, doc FROM entries WHERE kind = 'sale' ORDER BY seq LIMIT 1");
  g_autofree char *seq_text = NULL;
  g_autoptr(GString) tpl = NULL;

  g_assert_cmpint (PQntuples (res), ==, 1);
  tpl = g_string_new (PQgetvalue (res, 0, 2));
  seq_text = g_strdup_printf ("\"seq\":%s,", PQgetvalue (res, 0, 1));
  g_assert_cmpuint (g_string_replace (tpl, PQgetvalue (res, 0, 0), "@ID@", 0), >=, 1);
  g_assert_cmpuint (g_string_replace (tpl, seq_text, "\"seq\":@SEQ@,", 1), ==, 1);
  PQclear (res);
  bench_pg_history (conn, 0, history, "sale", FALSE, tpl->str);
}

static void
chain_init (Chain       *c,
            MdnTestPg   *pg,
            const char  *name,
            gint64       history,
            SoupSession *session)
{
  const char *init_argv[] = { MENDIAN_SERVER_PATH, "--db", NULL, "init", NULL };
  const char *add_argv[] = { MENDIAN_SERVER_PATH, "--db", NULL, "branch", "add", "--code", "B01", "--name", "B01",
                             "--number", "1", NULL };
  const char *token_argv[] = { MENDIAN_SERVER_PATH, "--db", NULL, "token", "add", "--name", "boss", "--role", "hq",
                               NULL };
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL, *tout = NULL, *path = NULL;
  g_autoptr(JsonObject) t = NULL, h = NULL;
  g_autoptr(GBytes) body = NULL;
  MdnStoreInit init = { .branch_code = "B01", .branch_name = "B01", .branch_number = 1,
                        .admin_password = "bench-password" };
  PGconn *conn;

  c->dir = g_dir_make_tmp ("mendian-bench-stock-pg-XXXXXX", &error);
  g_assert_no_error (error);
  path = g_build_filename (c->dir, "B01.db", NULL);
  c->branch.store = mdn_store_init (path, &init, &error);
  g_assert_no_error (error);
  c->branch.ctx = mdn_op_ctx_new_trusted (c->branch.store, "admin", &error);
  g_assert_no_error (error);
  mdn_db_exec_script (c->branch.store->db, "PRAGMA synchronous = OFF", NULL);
  for (int i = 0; i < 50; i++)
    {
      g_autofree char *op = g_strdup_printf ("{\"op\":\"product.upsert\",\"sku\":\"%s%02d\",\"name\":\"货品%d\","
                                             "\"kind\":\"goods\",\"price\":\"15.00\",\"category\":\"饮品\"}",
                                             i ? "P" : "TEA", i, i);

      if (i == 0)
        {
          g_free (op);
          op = g_strdup ("{\"op\":\"product.upsert\",\"sku\":\"TEA\",\"name\":\"绿茶\",\"kind\":\"goods\","
                         "\"price\":\"15.00\",\"category\":\"饮品\"}");
        }
      branch_op (&c->branch, op);
    }
  branch_op (&c->branch, "{\"op\":\"stock.receive\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1000000}]}");
  sales (&c->branch, 1);

  c->uri = mdn_test_pg_create_db (pg, name);
  init_argv[2] = add_argv[2] = token_argv[2] = c->uri;
  g_free (bench_run (init_argv));
  out = bench_run (add_argv);
  t = mdn_json_parse_object (out, NULL);
  c->branch_token = g_strconcat ("Bearer ", json_object_get_string_member (t, "token"), NULL);
  tout = bench_run (token_argv);
  h = mdn_json_parse_object (tout, NULL);
  c->hq_token = g_strconcat ("Bearer ", json_object_get_string_member (h, "token"), NULL);
  c->server = bench_serve (c->uri, &c->base);
  c->push_url = g_strconcat (c->base, "api/v1/sync/push", NULL);
  c->stock_url = g_strconcat (c->base, "api/v1/stock?sku=TEA", NULL);
  body = branch_unpushed (&c->branch);
  g_bytes_unref (bench_http (session, "POST", c->push_url, c->branch_token, body));
  conn = PQconnectdb (c->uri);
  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  mdn_test_pg_exec (conn, "SELECT mdn_month_partition (d::date) FROM generate_series (date '2024-01-01', "
                 "date '" TODAY "', interval '1 month') d");
  add_history (conn, history);
  PQfinish (conn);
}

static void
chain_clear (Chain *c)
{
  g_autofree char *path = g_build_filename (c->dir, "B01.db", NULL);

  g_subprocess_send_signal (c->server, SIGTERM);
  g_subprocess_wait (c->server, NULL, NULL);
  g_clear_object (&c->server);
  g_clear_pointer (&c->branch.ctx, mdn_op_ctx_free);
  g_clear_pointer (&c->branch.store, mdn_store_free);
  g_unlink (path);
  g_rmdir (c->dir);
  g_free (c->dir);
  g_free (c->uri);
  g_free (c->base);
  g_free (c->hq_token);
  g_free (c->branch_token);
  g_free (c->stock_url);
  g_free (c->push_url);
}

/* Seconds of one stock read of @url; @qty the on-hand it answers. */
static double
one_read (SoupSession *session,
          const char  *url,
          const char  *token,
          gint64      *qty)
{
  gint64 t0 = g_get_monotonic_time ();
  g_autoptr(GBytes) reply = bench_http (session, "GET", url, token, NULL);
  double seconds = (g_get_monotonic_time () - t0) / 1e6;
  g_autofree char *text = g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
  g_autoptr(JsonObject) o = mdn_json_parse_object (text, NULL);
  JsonArray *rows;

  g_assert_nonnull (o);
  rows = json_object_get_array_member (o, "rows");
  g_assert_cmpuint (json_array_get_length (rows), ==, 1);
  *qty = json_object_get_int_member (json_array_get_object_element (rows, 0), "on_hand");
  return seconds;
}

/* The read of a process on @c's database that replays all history. */
static double
replay_read (SoupSession *session,
             Chain       *c)
{
  g_autofree char *base = NULL, *url = NULL;
  GSubprocess *p;
  double s;
  gint64 qty;

  g_setenv ("MENDIAN_PG_REPLAY", "1", TRUE);
  p = bench_serve (c->uri, &base);
  g_unsetenv ("MENDIAN_PG_REPLAY");
  url = g_strconcat (base, "api/v1/stock?sku=TEA", NULL);
  s = one_read (session, url, c->hq_token, &qty);
  g_subprocess_send_signal (p, SIGTERM);
  g_subprocess_wait (p, NULL, NULL);
  g_object_unref (p);
  return s;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  gint64 big = bench_arg (argc, argv, 1, 1000000, SMALL, G_MAXINT32, "bench-stock-pg [BIG]");
  g_autoptr(SoupSession) session = soup_session_new_with_options ("timeout", 0, NULL);
  Chain small = { 0 }, large = { 0 };
  double small_s[ROUNDS], big_s[ROUNDS], first_small, first_big;
  gint64 q_small, q_big;
  MdnTestPg *pg;

  g_setenv ("MENDIAN_NOW", TODAY "T10:00:00+08:00", TRUE);
  mdn_branch_init ();
  if (!mdn_test_pg_available ())
    {
      g_print ("bench-stock-pg: PostgreSQL 15 is not installed\n");
      return 0;
    }
  g_print ("bench-stock-pg: stock of one branch, history of %d and %" G_GINT64_FORMAT " sales...\n", SMALL, big);
  pg = mdn_test_pg_start (&error);
  g_assert_no_error (error);
  chain_init (&small, pg, "small", SMALL, session);
  chain_init (&large, pg, "large", big, session);

  first_small = one_read (session, small.stock_url, small.hq_token, &q_small);
  first_big = one_read (session, large.stock_url, large.hq_token, &q_big);
  g_print ("first read, building the projection (as after the upgrade): %.1f ms and %.1f ms\n",
           first_small * 1000, first_big * 1000);
  if (big <= 100000)
    {
      double r_small = replay_read (session, &small), r_big = replay_read (session, &large);

      g_print ("replaying all history (before version 12): %.1f ms and %.1f ms, ratio %.2f\n", r_small * 1000,
               r_big * 1000, r_big / r_small);
    }
  for (guint k = 0; k < ROUNDS; k++)
    {
      for (Chain *c = &small; c; c = c == &small ? &large : NULL)
        {
          g_autoptr(GBytes) body = NULL;

          sales (&c->branch, TAIL);
          body = branch_unpushed (&c->branch);
          g_bytes_unref (bench_http (session, "POST", c->push_url, c->branch_token, body));
        }
      small_s[k] = one_read (session, small.stock_url, small.hq_token, &q_small);
      big_s[k] = one_read (session, large.stock_url, large.hq_token, &q_big);
    }
  g_assert_cmpint (q_small - q_big, ==, big - SMALL);
  g_print ("GET /api/v1/stock?sku=TEA, %d new sales pushed before each (median of %d, over HTTP, interleaved):\n",
           TAIL, ROUNDS);
  g_print ("history %8d:       %.1f ms\n", SMALL, bench_median (small_s, ROUNDS) * 1000);
  g_print ("history %8" G_GINT64_FORMAT ":       %.1f ms\n", big, bench_median (big_s, ROUNDS) * 1000);
  g_print ("ratio:                  %.2f (budget: within 1.2)\n",
           bench_median (big_s, ROUNDS) / bench_median (small_s, ROUNDS));
  chain_clear (&small);
  chain_clear (&large);
  mdn_test_pg_free (pg);
  return 0;
}
