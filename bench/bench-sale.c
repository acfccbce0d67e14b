/* bench-sale: a member sale commit at the branch (5 lines, balance + cash,
 * points) through mdn_ops_run, as a ratio to one bare SQLite insert+commit
 * with the same durability (WAL, synchronous=FULL) measured in the same run.
 * Budget (DESIGN.md): within 1.5x.
 *
 * Usage: bench-sale [SALES] [DIR]   DIR defaults to the current directory,
 * which should be on the disk the branch would use (not a tmpfs). */
#include <glib/gstdio.h>
#include <stdio.h>

#include "mdn-db.h"
#include "mdn-json.h"
#include "mdn-ops.h"
#include "mdn-store.h"
#include "mdn-sync.h"

static void
must (JsonObject *r,
      const char *what)
{
  if (r == NULL)
    g_error ("%s failed", what);
  json_object_unref (r);
}

static JsonObject *
run_line (MdnOpCtx   *ctx,
          const char *line)
{
  g_autoptr(JsonObject) out = mdn_ops_run_line (ctx, line);

  if (!json_object_get_boolean_member (out, "ok"))
    {
      g_autofree char *text = mdn_json_object_to_string (out);
      g_error ("%s -> %s", line, text);
    }
  return g_steal_pointer (&out);
}

/* Counters for one run: statements begun (every sqlite3_step of a fresh or
 * reset statement shows up as one SQLITE_TRACE_STMT), WAL frames committed
 * (sqlite3_wal_hook reports the WAL's size in frames after each commit). */
typedef struct {
  gint64      stmts;
  int         wal_last;
  gint64      wal_frames;
  gint64      commits;
  GHashTable *by_sql;   /* SQL -> count, only when listing */
} Counts;

static int
count_stmt (unsigned    type,
            void       *data,
            void       *p,
            void       *x)
{
  Counts *c = data;

  (void) x;
  if (type == SQLITE_TRACE_STMT)
    {
      c->stmts++;
      if (c->by_sql != NULL)
        {
          const char *sql = sqlite3_sql (p);
          gpointer n = g_hash_table_lookup (c->by_sql, sql);

          g_hash_table_insert (c->by_sql, (gpointer) sql, GINT_TO_POINTER (GPOINTER_TO_INT (n) + 1));
        }
    }
  return 0;
}

static int
count_wal (void       *data,
           sqlite3    *db,
           const char *name,
           int         frames)
{
  Counts *c = data;

  (void) db;
  (void) name;
  /* After a checkpoint reset the WAL restarts from frame 0. */
  c->wal_frames += frames >= c->wal_last ? frames - c->wal_last : frames;
  c->wal_last = frames;
  c->commits++;
  /* Keep SQLite's default auto-checkpoint (1000 frames). */
  if (frames >= 1000)
    sqlite3_wal_checkpoint_v2 (db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
  return SQLITE_OK;
}

static void
count_on (sqlite3 *db,
          Counts  *c)
{
  sqlite3_trace_v2 (db, SQLITE_TRACE_STMT, count_stmt, c);
  sqlite3_wal_hook (db, count_wal, c);
}

static double
bare_commits (const char *path,
              int         n,
              Counts     *c)
{
  sqlite3 *db = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 start;

  sqlite3_open (path, &db);
  sqlite3_exec (db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                    "CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)", NULL, NULL, NULL);
  sqlite3_prepare_v2 (db, "INSERT INTO t (body) VALUES (?)", -1, &stmt, NULL);
  count_on (db, c);
  start = g_get_monotonic_time ();
  for (int i = 0; i < n; i++)
    {
      sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
      sqlite3_bind_text (stmt, 1, "{\"kind\":\"sale\",\"lines\":[1,2,3,4,5],\"tenders\":[\"balance\",\"cash\"]}", -1, SQLITE_STATIC);
      sqlite3_step (stmt);
      sqlite3_reset (stmt);
      sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
    }
  {
    double us = (double) (g_get_monotonic_time () - start) / n;

    sqlite3_finalize (g_steal_pointer (&stmt));
    sqlite3_close (db);
    return us;
  }
}

int
main (int argc, char **argv)
{
  int n = argc > 1 ? atoi (argv[1]) : 500;
  const char *base = argc > 2 ? argv[2] : ".";
  g_autofree char *tmpl = g_build_filename (base, "mendian-bench-XXXXXX", NULL);
  g_autofree char *dir = g_mkdtemp (g_strdup (tmpl));
  g_autofree char *path = g_build_filename (dir, "branch.db", NULL);
  g_autofree char *bare_path = g_build_filename (dir, "bare.db", NULL);
  MdnStoreInit init = { .branch_code = "B01", .branch_name = "bench", .branch_number = 1,
                        .admin_password = "bench-password" };
  g_autoptr(GError) error = NULL;
  g_autofree char *card = NULL;
  MdnStore *store;
  MdnOpCtx *ctx;
  double bare, sale;
  gint64 start;
  Counts bare_c = { 0 }, bare_c2 = { 0 }, sale_c = { 0 };
  gboolean list = g_getenv ("BENCH_SALE_LIST") != NULL;

  mdn_branch_init ();
  store = mdn_store_init (path, &init, &error);
  g_assert_no_error (error);
  ctx = mdn_op_ctx_new_trusted (store, "admin", &error);
  g_assert_no_error (error);

  must (run_line (ctx, "{\"op\":\"level.upsert\",\"code\":\"gold\",\"name\":\"gold\",\"price_percent\":88,\"points_per_yuan\":2}"), "level");
  for (int i = 1; i <= 5; i++)
    {
      g_autofree char *line = g_strdup_printf ("{\"op\":\"product.upsert\",\"sku\":\"G%d\",\"name\":\"goods %d\","
                                               "\"price_fen\":%d,\"kind\":\"goods\"}", i, i, 1000 + i * 37);
      must (run_line (ctx, line), "product");
    }
  {
    g_autoptr(JsonObject) r = run_line (ctx, "{\"op\":\"member.issue\",\"name\":\"bench\",\"phone\":\"13800000001\","
                                             "\"level\":\"gold\",\"deposit_fen\":100000000}");
    card = g_strdup (json_object_get_string_member (r, "card_no"));
  }

  bare = bare_commits (bare_path, n, &bare_c);

  if (list)
    sale_c.by_sql = g_hash_table_new (g_str_hash, g_str_equal);
  {
    sqlite3 *h = mdn_db_handle (store->db);
    int log = 0, ckpt = 0;

    sqlite3_wal_checkpoint_v2 (h, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &ckpt);
    count_on (h, &sale_c);
  }
  start = g_get_monotonic_time ();
  for (int i = 0; i < n; i++)
    {
      /* 5 lines at 88%: 1037+1074+1111+1148+1185 = 5555 list, 4888 member;
       * balance 4000 + cash 889. */
      g_autofree char *line = g_strdup_printf (
        "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"G1\",\"qty\":1},{\"sku\":\"G2\",\"qty\":1},"
        "{\"sku\":\"G3\",\"qty\":1},{\"sku\":\"G4\",\"qty\":1},{\"sku\":\"G5\",\"qty\":1}],"
        "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":4000},{\"type\":\"cash\",\"amount_fen\":889}]}", card);

      must (run_line (ctx, line), "sale");
    }
  sale = (double) (g_get_monotonic_time () - start) / n;
  bare = MIN (bare, bare_commits (bare_path, n, &bare_c2));
  sqlite3_trace_v2 (mdn_db_handle (store->db), 0, NULL, NULL);
  sqlite3_wal_hook (mdn_db_handle (store->db), NULL, NULL);

  printf ("sales: %d in %s\n", n, dir);
  printf ("bare insert+commit (WAL, synchronous=FULL): %8.1f us\n", bare);
  printf ("member sale, 5 lines, balance + cash:       %8.1f us  ratio %.2f (budget 1.50)\n", sale, sale / bare);
  printf ("per bare commit: %5.1f statements, %5.2f WAL pages, %.2f commits\n",
          (double) bare_c.stmts / n, (double) bare_c.wal_frames / n, (double) bare_c.commits / n);
  printf ("per sale:        %5.1f statements, %5.2f WAL pages, %.2f commits\n",
          (double) sale_c.stmts / n, (double) sale_c.wal_frames / n, (double) sale_c.commits / n);
  if (list)
    {
      GHashTableIter it;
      gpointer k, v;

      printf ("statements run per sale (BENCH_SALE_LIST):\n");
      g_hash_table_iter_init (&it, sale_c.by_sql);
      while (g_hash_table_iter_next (&it, &k, &v))
        printf ("%6.2f  %s\n", (double) GPOINTER_TO_INT (v) / n, (const char *) k);
      g_hash_table_destroy (sale_c.by_sql);
    }

  if (g_getenv ("BENCH_SALE_KEEP") != NULL)
    {
      /* The WAL as the sales left it, for tools/wal-pages.py. */
      g_autofree char *wal = g_strconcat (path, "-wal", NULL);
      g_autofree char *keep = g_strconcat (path, "-wal.keep", NULL);
      g_autofree char *data = NULL;
      gsize len = 0;

      if (g_file_get_contents (wal, &data, &len, NULL))
        g_file_set_contents (keep, data, (gssize) len, NULL);
      printf ("kept %s\n", keep);
    }
  mdn_op_ctx_free (ctx);
  mdn_store_free (store);
  if (g_getenv ("BENCH_SALE_KEEP") != NULL)
    return 0;
  {
    const char *const names[] = { "branch.db", "branch.db-wal", "branch.db-shm", "bare.db", "bare.db-wal", "bare.db-shm" };

    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        g_autofree char *p = g_build_filename (dir, names[i], NULL);
        g_unlink (p);
      }
  }
  g_rmdir (dir);
  return 0;
}
