/* bench-sale: a member sale commit at the branch (5 lines, balance + cash,
 * points) through mdn_ops_run, as a ratio to one bare SQLite insert+commit
 * with the same durability (WAL, synchronous=FULL) measured in the same run.
 * Budget (DESIGN.md): within 1.5x.
 *
 * Usage: bench-sale [SALES] [DIR]   DIR defaults to the current directory,
 * which should be on the disk the branch would use (not a tmpfs). */
#include <glib/gstdio.h>
#include <stdio.h>
#include <time.h>

#include "mdn-db.h"
#include "mdn-json.h"
#include "mdn-ops.h"
#include "mdn-store.h"
#include "mdn-sync.h"

#define ROUNDS 10

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

/* The baseline: one row inserted and committed per transaction. */
typedef struct {
  sqlite3      *db;
  sqlite3_stmt *insert;
} Bare;

static void
bare_open (Bare       *b,
           const char *path,
           Counts     *c)
{
  sqlite3_open (path, &b->db);
  sqlite3_exec (b->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
                       "CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)", NULL, NULL, NULL);
  sqlite3_prepare_v2 (b->db, "INSERT INTO t (body) VALUES (?)", -1, &b->insert, NULL);
  count_on (b->db, c);
}

static void
bare_commit (Bare *b)
{
  sqlite3_exec (b->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
  sqlite3_bind_text (b->insert, 1, "{\"kind\":\"sale\",\"lines\":[1,2,3,4,5],\"tenders\":[\"balance\",\"cash\"]}", -1,
                     SQLITE_STATIC);
  sqlite3_step (b->insert);
  sqlite3_reset (b->insert);
  sqlite3_exec (b->db, "COMMIT", NULL, NULL, NULL);
}

static void
bare_close (Bare *b)
{
  sqlite3_finalize (b->insert);
  sqlite3_close (b->db);
}

/* One sale as the POS runs it: the arguments built as a JsonObject (the
 * CLI's JSON text line is parsed by json-glib first; not the counter's
 * path), then mdn_ops_run. 5 lines at 88 %: 1037+1074+1111+1148+1185 =
 * 5555 list, 4888 member; balance 4000 + cash 889. */
static void
sale_once (MdnOpCtx   *ctx,
           const char *card)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) result = NULL;
  JsonArray *lines = json_array_new ();
  JsonArray *tenders = json_array_new ();
  static const struct { const char *type; gint64 fen; } pay[] = { { "balance", 4000 }, { "cash", 889 } };

  json_object_set_string_member (args, "card", card);
  for (int i = 1; i <= 5; i++)
    {
      JsonObject *l = json_object_new ();
      g_autofree char *sku = g_strdup_printf ("G%d", i);

      json_object_set_string_member (l, "sku", sku);
      json_object_set_int_member (l, "qty", 1);
      json_array_add_object_element (lines, l);
    }
  json_object_set_array_member (args, "lines", lines);
  for (guint i = 0; i < G_N_ELEMENTS (pay); i++)
    {
      JsonObject *t = json_object_new ();

      json_object_set_string_member (t, "type", pay[i].type);
      json_object_set_int_member (t, "amount_fen", pay[i].fen);
      json_array_add_object_element (tenders, t);
    }
  json_object_set_array_member (args, "tenders", tenders);
  result = mdn_ops_run (ctx, "sale", args, &error);
  if (result == NULL)
    g_error ("sale: %s", error->message);
}

static gint64
cpu_now (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (gint64) ts.tv_sec * G_USEC_PER_SEC + ts.tv_nsec / 1000;
}

/* Wall and CPU time of one side, summed over the rounds. */
typedef struct {
  gint64 wall;
  gint64 cpu;
} Spent;

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
  Counts bare_c = { 0 }, sale_c = { 0 };
  Bare bare_db = { 0 };
  Spent bare_t = { 0 }, sale_t = { 0 };
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

  bare_open (&bare_db, bare_path, &bare_c);
  if (list)
    sale_c.by_sql = g_hash_table_new (g_str_hash, g_str_equal);
  {
    sqlite3 *h = mdn_db_handle (store->db);
    int log = 0, ckpt = 0;

    sqlite3_wal_checkpoint_v2 (h, NULL, SQLITE_CHECKPOINT_TRUNCATE, &log, &ckpt);
    count_on (h, &sale_c);
  }
  /* Rounds of bare commits and sales in turn (which goes first alternates),
   * so both sides meet the same load and the same disk: on a shared
   * machine the flush time moves by a factor of two within a minute. */
  for (int r = 0; r < ROUNDS; r++)
    for (int side = 0; side < 2; side++)
      {
        gboolean sales = (side + r) % 2 == 1;
        int count = n / ROUNDS + (r < n % ROUNDS);
        gint64 w0 = g_get_monotonic_time (), c0 = cpu_now ();

        for (int i = 0; i < count; i++)
          {
            if (sales)
              sale_once (ctx, card);
            else
              bare_commit (&bare_db);
          }
        (sales ? &sale_t : &bare_t)->wall += g_get_monotonic_time () - w0;
        (sales ? &sale_t : &bare_t)->cpu += cpu_now () - c0;
      }
  bare_close (&bare_db);
  sqlite3_trace_v2 (mdn_db_handle (store->db), 0, NULL, NULL);
  sqlite3_wal_hook (mdn_db_handle (store->db), NULL, NULL);
  bare = (double) bare_t.wall / n;
  sale = (double) sale_t.wall / n;

  printf ("sales: %d in %s\n", n, dir);
  printf ("bare insert+commit (WAL, synchronous=FULL): %8.1f us  (CPU %6.1f us)\n", bare, (double) bare_t.cpu / n);
  printf ("member sale, 5 lines, balance + cash:       %8.1f us  (CPU %6.1f us)  ratio %.2f (budget 1.50)\n",
          sale, (double) sale_t.cpu / n, sale / bare);
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
