/* bench-report: the reports' speed and memory (common/reports/), each as a
 * ratio against a baseline measured in the same run. Budgets (docs/reports.md):
 *
 *   summary  the chain `summary` for 200 branches × 365 days under 100 ms,
 *            and the same query on 3 years of history within 1.2× of 1 year
 *            (it reads rollup rows of the period only)
 *   detail   a one-day detail report (consumption) at a branch with BIG
 *            entries of history within 2× of the same with 10 thousand
 *   xlsx     an Excel export of ROWS rows under 50 MB RSS and at least half
 *            the rate of a bare libxlsxwriter loop writing the same cells
 *
 *   bench-report [BIG [ROWS]]   (defaults 1000000 and 1000000; the budget's
 *                                10 million entries: bench-report 10000000)
 *   BENCH_PARTS=summary,detail,xlsx  runs only those parts (all when unset)
 *
 * The databases are written straight in SQL (synthetic rollup rows, sale
 * entries with their movements, products), in a temporary directory. */
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "mdn-db.h"
#include "mdn-figures.h"
#include "mdn-ops.h"
#include "mdn-report-export.h"
#include "mdn-report.h"
#include "mdn-sync.h"

static double
now_s (void)
{
  return (double) g_get_monotonic_time () / 1e6;
}

/* CPU seconds of this process: the machine may be shared; wall time is
 * printed beside it. */
static double
cpu_s (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static gint64
peak_rss_kb (void)
{
  g_autofree char *status = NULL;
  const char *p;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) || (p = strstr (status, "VmHWM:")) == NULL)
    return -1;
  return g_ascii_strtoll (p + 6, NULL, 10);
}

static void
exec_or_die (sqlite3    *h,
             const char *sql)
{
  char *err = NULL;

  if (sqlite3_exec (h, sql, NULL, NULL, &err) != SQLITE_OK)
    g_error ("%s: %s", sql, err);
}

static gboolean
count_row (gpointer data, const MdnReportDef *def, const MdnReportCell *cells, GError **error)
{
  (*(gint64 *) data)++;
  return TRUE;
}

/* A chain database with @days of rollup rows for @branches. */
static MdnDb *
chain_db (const char *path,
          int         branches,
          int         days)
{
  g_autoptr(GError) error = NULL;
  MdnDb *db = mdn_db_open (path, "branch", &error);
  sqlite3 *h;
  sqlite3_stmt *st = NULL;
  g_autoptr(GDate) d = g_date_new_dmy (1, G_DATE_JANUARY, 2024);

  if (db == NULL || !mdn_db_migrate (db, "server", "server_schema", &error))
    g_error ("%s", error->message);
  h = mdn_db_handle (db);
  exec_or_die (h, "PRAGMA synchronous = OFF; BEGIN");
  sqlite3_prepare_v2 (h, "INSERT INTO srv_rollup_day (branch, business_date, entries, counted_entries, sales_fen, "
                         "net_fen, tender_cash_fen, deposit_principal_fen) VALUES (?, ?, 100, 90, 123456, 100000, "
                         "100000, 50000)", -1, &st, NULL);
  for (int day = 0; day < days; day++, g_date_add_days (d, 1))
    {
      char date[16];

      g_date_strftime (date, sizeof date, "%Y-%m-%d", d);
      for (int b = 0; b < branches; b++)
        {
          char code[8];

          g_snprintf (code, sizeof code, "B%03d", b + 1);
          sqlite3_bind_text (st, 1, code, -1, SQLITE_TRANSIENT);
          sqlite3_bind_text (st, 2, date, -1, SQLITE_TRANSIENT);
          if (sqlite3_step (st) != SQLITE_DONE)
            g_error ("rollup insert: %s", sqlite3_errmsg (h));
          sqlite3_reset (st);
        }
    }
  sqlite3_finalize (st);
  exec_or_die (h, "COMMIT; PRAGMA synchronous = FULL");
  return db;
}

/* The period's totals per branch straight from the rollup (what
 * GET /api/v1/reports/summary without format sums). */
static double
time_totals (MdnDb      *db,
             const char *from,
             const char *to)
{
  sqlite3_stmt *st = NULL;
  double t0, best = 1e9;

  sqlite3_prepare_v2 (mdn_db_handle (db), "SELECT branch, SUM (sales_fen), SUM (net_fen), SUM (deposit_principal_fen) "
                                          "FROM srv_rollup_day WHERE business_date BETWEEN ? AND ? GROUP BY branch",
                      -1, &st, NULL);
  for (int rep = 0; rep < 5; rep++)
    {
      t0 = cpu_s ();
      sqlite3_bind_text (st, 1, from, -1, SQLITE_STATIC);
      sqlite3_bind_text (st, 2, to, -1, SQLITE_STATIC);
      while (sqlite3_step (st) == SQLITE_ROW)
        ;
      sqlite3_reset (st);
      best = MIN (best, cpu_s () - t0);
    }
  sqlite3_finalize (st);
  return best;
}

static double
time_summary (MdnDb      *db,
              const char *from,
              const char *to,
              gint64     *rows)
{
  MdnReportQuery q = { from, to };
  gint64 totals[32];
  MdnReportSink sink = { count_row, rows, NULL };
  g_autoptr(GError) error = NULL;
  double t0, best = 1e9;

  for (int rep = 0; rep < 5; rep++)
    {
      *rows = 0;
      t0 = cpu_s ();
      if (!mdn_report_run (db, mdn_report_lookup ("summary"), &q, &sink, totals, NULL, &error))
        g_error ("%s", error->message);
      best = MIN (best, cpu_s () - t0);
    }
  return best;
}

/* The floor under the summary report: the same rollup rows and columns
 * stepped by a bare loop, no report framework. */
static double
time_bare_days (MdnDb      *db,
                const char *from,
                const char *to)
{
  sqlite3_stmt *st = NULL;
  double t0, best = 1e9;
  gint64 sink = 0;

  sqlite3_prepare_v2 (mdn_db_handle (db),
                      "SELECT business_date, branch, counted_entries, sales_fen, discount_fen, refund_fen, "
                      "deposit_principal_fen, deposit_bonus_fen, withdraw_fen, members_issued, tender_cash_fen, "
                      "tender_bank_fen, tender_wechat_fen, tender_alipay_fen, tender_balance_fen, net_fen "
                      "FROM srv_rollup_day WHERE business_date BETWEEN ? AND ? ORDER BY business_date, branch",
                      -1, &st, NULL);
  for (int rep = 0; rep < 5; rep++)
    {
      t0 = cpu_s ();
      sqlite3_bind_text (st, 1, from, -1, SQLITE_STATIC);
      sqlite3_bind_text (st, 2, to, -1, SQLITE_STATIC);
      while (sqlite3_step (st) == SQLITE_ROW)
        for (int c = 2; c < 16; c++)
          sink += sqlite3_column_int64 (st, c);
      sqlite3_reset (st);
      best = MIN (best, cpu_s () - t0);
    }
  sqlite3_finalize (st);
  g_assert (sink != 0);
  return best;
}

static void
bench_summary (const char *dir)
{
  g_autofree char *p1 = g_build_filename (dir, "chain1.db", NULL), *p3 = g_build_filename (dir, "chain3.db", NULL);
  g_autoptr(MdnDb) one = chain_db (p1, 200, 365);
  g_autoptr(MdnDb) three = chain_db (p3, 200, 3 * 365);
  gint64 r1 = 0, r3 = 0;
  /* The last year of each. */
  double t1 = time_summary (one, "2024-01-01", "2024-12-30", &r1);
  double t3 = time_summary (three, "2026-01-01", "2026-12-31", &r3);

  double s1 = time_totals (one, "2024-01-01", "2024-12-30"), s3 = time_totals (three, "2026-01-01", "2026-12-31");

  printf ("summary: period totals of 200 branches × 365 days (the summary endpoint): %.1f ms CPU (budget < 100 ms); "
          "on 3 years of history %.1f ms, ratio %.2f (budget ≤ 1.2)\n", s1 * 1000, s3 * 1000, s3 / s1);
  printf ("summary: the summary report, every branch-day of the year: %.1f ms CPU (%" G_GINT64_FORMAT " rows); "
          "on 3 years of history %.1f ms (%" G_GINT64_FORMAT " rows), ratio %.2f (budget ≤ 1.2)\n",
          t1 * 1000, r1, t3 * 1000, r3, t3 / t1);
  {
    double b1 = time_bare_days (one, "2024-01-01", "2024-12-30");

    printf ("summary: a bare loop over the same rollup rows and columns: %.1f ms CPU; the report is %.2f× it; "
            "the report against the budget of 100 ms: %.2f (≤ 1 meets it)\n", b1 * 1000, t1 / b1, t1 / 0.1);
  }
}

/* A branch database with @n sale entries spread over the days before
 * 2026-11-22 and 200 on that day. */
static MdnStore *
branch_db (const char *path,
           int         n)
{
  g_autoptr(GError) error = NULL;
  MdnStoreInit init = { "B01", "一店", 1, FALSE, NULL, "bench-pass-123", NULL };
  MdnStore *store = mdn_store_init (path, &init, &error);
  sqlite3 *h;
  sqlite3_stmt *e = NULL, *m = NULL;
  g_autoptr(GDate) d = g_date_new_dmy (22, G_DATE_NOVEMBER, 2026);
  const char *body = "{\"receipt_no\":\"R\",\"lines\":[{\"line\":1,\"sku\":\"TEA\",\"name\":\"绿茶\",\"kind\":\"goods\","
                     "\"qty\":2,\"unit_price_fen\":500,\"percent\":100,\"list_fen\":1000,\"amount_fen\":1000},"
                     "{\"line\":2,\"sku\":\"CUT\",\"name\":\"理发\",\"kind\":\"service\",\"qty\":1,\"unit_price_fen\":3000,"
                     "\"percent\":100,\"list_fen\":3000,\"amount_fen\":3000}],\"list_total_fen\":4000,\"total_fen\":4000,"
                     "\"discount_fen\":0,\"tenders\":[{\"type\":\"cash\",\"amount_fen\":4000}]}";
  int per_day = 2000;

  if (store == NULL)
    g_error ("%s", error->message);
  h = mdn_db_handle (store->db);
  exec_or_die (h, "PRAGMA synchronous = OFF; BEGIN");
  sqlite3_prepare_v2 (h, "INSERT INTO entries (id, branch, seq, kind, at, business_date, staff, member_id, body, "
                         "prev_hash, hash) VALUES (?, 'B01', ?, 'sale', ?, ?, 'admin', NULL, ?, 'x', 'x')",
                      -1, &e, NULL);
  sqlite3_prepare_v2 (h, "INSERT INTO movements (entry_id, idx, account, item, delta) VALUES (?, 0, 'stock', 'TEA', -2)",
                      -1, &m, NULL);
  g_date_subtract_days (d, (n - 200) / per_day + 1);
  for (int i = 0; i < n; i++)
    {
      char id[40], date[16], at[40];

      if (i == n - 200)
        g_date_set_dmy (d, 22, G_DATE_NOVEMBER, 2026);
      else if (i < n - 200 && i % per_day == 0)
        g_date_add_days (d, 1);
      g_date_strftime (date, sizeof date, "%Y-%m-%d", d);
      g_snprintf (at, sizeof at, "%sT10:00:00+08:00", date);
      g_snprintf (id, sizeof id, "00000000-0000-7000-8000-%012d", i + 1000);
      sqlite3_bind_text (e, 1, id, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (e, 2, i + 1000);
      sqlite3_bind_text (e, 3, at, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (e, 4, date, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (e, 5, body, -1, SQLITE_STATIC);
      if (sqlite3_step (e) != SQLITE_DONE)
        g_error ("entry insert: %s", sqlite3_errmsg (h));
      sqlite3_reset (e);
      sqlite3_bind_text (m, 1, id, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (m) != SQLITE_DONE)
        g_error ("movement insert: %s", sqlite3_errmsg (h));
      sqlite3_reset (m);
    }
  sqlite3_finalize (e);
  sqlite3_finalize (m);
  exec_or_die (h, "COMMIT; PRAGMA synchronous = FULL; ANALYZE");
  return store;
}

static double
time_branch_report (MdnStore   *store,
                    const char *name,
                    gint64     *rows)
{
  MdnReportQuery q = { "2026-11-22", "2026-11-22", "B01" };
  gint64 totals[32];
  MdnReportSink sink = { count_row, rows, NULL };
  g_autoptr(GError) error = NULL;
  double t0, best = 1e9;

  for (int rep = 0; rep < 5; rep++)
    {
      *rows = 0;
      t0 = cpu_s ();
      if (!mdn_report_run (store->db, mdn_report_lookup (name), &q, &sink, totals, NULL, &error))
        g_error ("%s", error->message);
      best = MIN (best, cpu_s () - t0);
    }
  return best;
}

static void
bench_detail (const char *dir,
              int         big)
{
  g_autofree char *ps = g_build_filename (dir, "small.db", NULL), *pb = g_build_filename (dir, "big.db", NULL);
  g_autoptr(MdnStore) small = branch_db (ps, 10000);
  g_autoptr(MdnStore) large = branch_db (pb, big);
  gint64 rs = 0, rb = 0, ss = 0, sb = 0;
  double ts = time_branch_report (small, "consumption", &rs), tb = time_branch_report (large, "consumption", &rb);
  /* The branch's one-day summary: the day's entries summed by the figures module. */
  double us = time_branch_report (small, "summary", &ss), ub = time_branch_report (large, "summary", &sb);

  printf ("detail: one day (consumption, %" G_GINT64_FORMAT " rows) with 10k entries of history: %.2f ms CPU\n", rs, ts * 1000);
  printf ("detail: the same with %d entries: %.2f ms CPU (%" G_GINT64_FORMAT " rows); ratio %.2f (budget ≤ 2; "
          "flat ≤ 1.2)\n", big, tb * 1000, rb, tb / ts);
  printf ("detail: one day's summary at the branch (%" G_GINT64_FORMAT " row) with 10k entries: %.2f ms CPU; with %d: "
          "%.2f ms CPU; ratio %.2f (flat ≤ 1.2)\n", ss, us * 1000, big, ub * 1000, ub / us);
}

/* xlsx ------------------------------------------------------------------------------ */

static void
products_db (const char *path,
             int         n)
{
  g_autoptr(GError) error = NULL;
  MdnStoreInit init = { "B01", "一店", 1, FALSE, NULL, "bench-pass-123", NULL };
  g_autoptr(MdnStore) store = mdn_store_init (path, &init, &error);
  sqlite3 *h;
  sqlite3_stmt *st = NULL;

  if (store == NULL)
    g_error ("%s", error->message);
  h = mdn_db_handle (store->db);
  exec_or_die (h, "PRAGMA synchronous = OFF; BEGIN");
  sqlite3_prepare_v2 (h, "INSERT INTO products (sku, name, kind, price_fen, category, barcode) "
                         "VALUES (?, ?, 'service', ?, '饮品/茶', ?)", -1, &st, NULL);
  for (int i = 0; i < n; i++)
    {
      char sku[16], name[48], bar[16];

      g_snprintf (sku, sizeof sku, "S%07d", i);
      g_snprintf (name, sizeof name, "商品 %d 号", i);
      g_snprintf (bar, sizeof bar, "69%011d", i);
      sqlite3_bind_text (st, 1, sku, -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (st, 2, name, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (st, 3, 100 + i % 100000);
      sqlite3_bind_text (st, 4, bar, -1, SQLITE_TRANSIENT);
      if (sqlite3_step (st) != SQLITE_DONE)
        g_error ("product insert: %s", sqlite3_errmsg (h));
      sqlite3_reset (st);
    }
  sqlite3_finalize (st);
  exec_or_die (h, "COMMIT; PRAGMA synchronous = FULL");
}

/* The same cells (8 columns: 6 strings, a money number, an empty cell) by
 * libxlsxwriter alone, constant memory. */
static void
bare_xlsx (const char *path,
           int         n)
{
  lxw_workbook_options o = { .constant_memory = LXW_TRUE, .tmpdir = (char *) g_get_tmp_dir (), .use_zip64 = LXW_TRUE };
  lxw_workbook *wb = workbook_new_opt (path, &o);
  lxw_worksheet *ws = workbook_add_worksheet (wb, NULL);
  lxw_format *money = workbook_add_format (wb);

  format_set_num_format (money, "#,##0.00");
  for (int i = 0; i < n; i++)
    {
      char sku[16], name[48], bar[16];
      lxw_row_t r = (lxw_row_t) i + 2;

      g_snprintf (sku, sizeof sku, "S%07d", i);
      g_snprintf (name, sizeof name, "商品 %d 号", i);
      g_snprintf (bar, sizeof bar, "69%011d", i);
      worksheet_write_string (ws, r, 0, sku, NULL);
      worksheet_write_string (ws, r, 1, name, NULL);
      worksheet_write_string (ws, r, 2, "Service", NULL);
      worksheet_write_string (ws, r, 3, "饮品/茶", NULL);
      worksheet_write_string (ws, r, 4, bar, NULL);
      worksheet_write_number (ws, r, 5, (double) (100 + i % 100000) / 100.0, money);
      worksheet_write_string (ws, r, 7, "yes", NULL);
    }
  workbook_close (wb);
}

/* In a child process, so that its peak RSS is its own. */
static void
child_measure (const char *what,
               const char *db_path,
               const char *out,
               int         n,
               double     *seconds,
               gint64     *rss_kb)
{
  int fds[2];
  pid_t pid;

  g_assert (pipe (fds) == 0);
  pid = fork ();
  if (pid == 0)
    {
      double t0 = now_s (), r[2];

      close (fds[0]);
      if (g_str_equal (what, "bare"))
        bare_xlsx (out, n);
      else
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(MdnStore) store = mdn_store_open (db_path, &error);
          MdnReportQuery q = { "2026-11-22", "2026-11-22", "B01" };

          if (store == NULL || !mdn_report_export_file (store->db, mdn_report_lookup ("products"), &q, MDN_REPORT_XLSX,
                                                        out, NULL, NULL, &error))
            g_error ("%s", error->message);
        }
      r[0] = now_s () - t0;
      r[1] = (double) peak_rss_kb ();
      if (write (fds[1], r, sizeof r) != sizeof r)
        _exit (1);
      _exit (0);
    }
  close (fds[1]);
  {
    double r[2] = { 0, 0 };
    int status;

    if (read (fds[0], r, sizeof r) != sizeof r)
      g_error ("the %s child died", what);
    waitpid (pid, &status, 0);
    *seconds = r[0];
    *rss_kb = (gint64) r[1];
  }
  close (fds[0]);
}

static void
bench_xlsx (const char *dir,
            int         n)
{
  g_autofree char *db = g_build_filename (dir, "products.db", NULL);
  g_autofree char *a = g_build_filename (dir, "bare.xlsx", NULL), *b = g_build_filename (dir, "report.xlsx", NULL);
  double tb, tr;
  gint64 rb, rr;

  products_db (db, n);
  child_measure ("bare", NULL, a, n, &tb, &rb);
  child_measure ("report", db, b, n, &tr, &rr);
  printf ("xlsx: bare libxlsxwriter loop, %d rows × 8 columns: %.2f s (%.0f rows/s), peak RSS %.1f MB\n",
          n, tb, n / tb, rb / 1024.0);
  printf ("xlsx: products report export, %d rows: %.2f s (%.0f rows/s), peak RSS %.1f MB (budget < 50 MB); "
          "rate ratio %.2f (budget ≥ 0.5)\n", n, tr, n / tr, rr / 1024.0, tb / tr);
  g_unlink (a);
  g_unlink (b);
}

int
main (int argc, char **argv)
{
  int big = argc > 1 ? atoi (argv[1]) : 1000000;
  int rows = argc > 2 ? atoi (argv[2]) : 1000000;
  g_autofree char *dir = g_dir_make_tmp ("mendian-bench-report-XXXXXX", NULL);
  g_autofree char *cmd = NULL;

  const char *parts = g_getenv ("BENCH_PARTS");   /* e.g. "summary,detail"; all when unset */

  mdn_branch_init ();
  if (parts == NULL || strstr (parts, "summary"))
    bench_summary (dir);
  if (parts == NULL || strstr (parts, "detail"))
    bench_detail (dir, MAX (big, 10000));
  if (parts == NULL || strstr (parts, "xlsx"))
    bench_xlsx (dir, MAX (rows, 1000));
  cmd = g_strdup_printf ("rm -rf '%s'", dir);
  if (system (cmd) != 0)
    g_printerr ("could not remove %s\n", dir);
  return 0;
}
