/* bench-pos-start: how long mendian-pos takes from process start to a
 * ready checkout screen, and its memory, on a branch with 1,000,000
 * members and 100,000 products, against baselines measured in the same
 * run: a bare GtkWindow with an entry, and the same POS on a small branch
 * (100 products, no members). Then the scan-to-line latency of a product
 * barcode among the 100,000 products. Budget (DESIGN.md): start under
 * 0.5 s, memory under 100 MB.
 *
 * Run under a display (xvfb-run -a build/bench/bench-pos-start). Each
 * measurement is a fresh child process (this program with --child) that
 * runs the real PosApplication, as mendian-pos's main() does, and reports
 * on CLOCK_MONOTONIC when, after a painted frame:
 *   login   the login page is shown (what mendian-pos shows at start);
 *   ready   after the staff member's password is taken (argon2id, as at
 *           the counter, minus the typing), the checkout page is shown
 *           with the scan entry mapped and focused.
 * Start-to-ready is process start to login plus login to ready.
 *
 * The members and products are written straight into the projection
 * tables in one transaction, as bench-lookup does: the POS only reads
 * them. Usage: bench-pos-start [MEMBERS [PRODUCTS [RUNS]]] */
#define _GNU_SOURCE
#include <adwaita.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench-util.h"
#include "mdn-db.h"
#include "mdn-id.h"
#include "mdn-ops.h"
#include "mdn-store.h"
#include "pos-application.h"
#include "pos-checkout.h"
#include "pos-login.h"
#include "pos-window.h"
#include "mdn-sync.h"

#define STAFF "1001"
#define PASSWORD "bench-cashier"
#define SCAN_ROUNDS 10
#define SCANS_PER_ROUND 20

/* Set-up -------------------------------------------------------------------------------- */

static char *
barcode_of (int i)
{
  return g_strdup_printf ("69%011d", i);
}

static void
populate (MdnStore *store,
          int       members,
          int       products)
{
  sqlite3 *db = mdn_db_handle (store->db);
  g_autoptr(sqlite3_stmt) p = NULL;

  sqlite3_exec (db, "BEGIN", NULL, NULL, NULL);
  bench_add_members (store, members);
  sqlite3_prepare_v2 (db, "INSERT INTO products (sku, name, kind, price_fen, category, barcode) "
                          "VALUES (?, ?, 'goods', ?, ?, ?)", -1, &p, NULL);
  for (int i = 1; i <= products; i++)
    {
      g_autofree char *sku = g_strdup_printf ("SKU%06d", i);
      g_autofree char *name = g_strdup_printf ("商品 %06d 号", i);
      g_autofree char *category = g_strdup_printf ("分类%02d", i % 50);
      g_autofree char *barcode = barcode_of (i);

      sqlite3_bind_text (p, 1, sku, -1, SQLITE_STATIC);
      sqlite3_bind_text (p, 2, name, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (p, 3, 100 + i % 10000);
      sqlite3_bind_text (p, 4, category, -1, SQLITE_STATIC);
      sqlite3_bind_text (p, 5, barcode, -1, SQLITE_STATIC);
      sqlite3_step (p);
      sqlite3_reset (p);
    }
  if (sqlite3_exec (db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
    g_error ("populate: %s", sqlite3_errmsg (db));
}

static char *
make_branch (const char *dir,
             const char *name,
             int         members,
             int         products)
{
  char *path = g_build_filename (dir, name, NULL);
  MdnStoreInit init = { .branch_code = "B01", .branch_name = "bench", .branch_number = 1,
                        .admin_password = "bench-password" };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) r = NULL;
  MdnStore *store;
  MdnOpCtx *ctx;

  store = mdn_store_init (path, &init, &error);
  g_assert_no_error (error);
  ctx = mdn_op_ctx_new_trusted (store, "admin", &error);
  g_assert_no_error (error);
  json_object_set_string_member (args, "code", STAFF);
  json_object_set_string_member (args, "name", "bench");
  json_object_set_string_member (args, "role", "cashier");
  json_object_set_string_member (args, "password", PASSWORD);
  r = mdn_ops_run (ctx, "staff.add", args, &error);
  g_assert_no_error (error);
  populate (store, members, products);
  mdn_op_ctx_free (ctx);
  mdn_store_free (store);
  return path;
}

/* Child: one measured start ------------------------------------------------------------- */

static gint64
proc_kb (const char *file,
         const char *field)
{
  g_autofree char *status = NULL;
  const char *p;

  if (!g_file_get_contents (file, &status, NULL, NULL) ||
      (p = strstr (status, field)) == NULL)
    return 0;
  return g_ascii_strtoll (p + strlen (field), NULL, 10);
}

/* Resident, peak resident (VmHWM), and anonymous memory (the process's
 * own, without the mapped font and library files it shares). */
static void
print_memory (void)
{
  printf ("rss %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n",
          proc_kb ("/proc/self/status", "VmRSS:"), proc_kb ("/proc/self/status", "VmHWM:"),
          proc_kb ("/proc/self/smaps_rollup", "Anonymous:"));
}

static gboolean
entry_focused (GtkWidget *entry)
{
  return gtk_widget_get_mapped (entry) &&
         (gtk_widget_has_focus (entry) || gtk_widget_get_focus_child (entry) != NULL);
}

typedef enum { WAIT_LOGIN, WAIT_READY, SCANNING, DONE } Phase;

typedef struct
{
  PosWindow *window;
  Phase      phase;
  int        products;
  int        scans;
  gboolean   painted;      /* a frame was painted since the last scan */
  gint64     scan_start;
  GArray    *handler_us;   /* scan → line in the cart */
  GArray    *paint_us;     /* scan → the next painted frame */
  GRand     *rand;
} Child;

static int
cmp_gint64 (gconstpointer a, gconstpointer b)
{
  gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;

  return x < y ? -1 : x > y;
}

static void
print_stats (const char *name,
             GArray     *us)
{
  g_array_sort (us, cmp_gint64);
  printf ("%s %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT "\n", name,
          g_array_index (us, gint64, us->len / 2), g_array_index (us, gint64, us->len * 95 / 100),
          g_array_index (us, gint64, us->len - 1));
}

static gboolean
scan_one (gpointer user_data)
{
  Child *ch = user_data;
  PosCheckout *checkout = POS_CHECKOUT (pos_window_get_checkout (ch->window));
  GtkWidget *entry = pos_checkout_get_entry (checkout);
  g_autofree char *code = barcode_of (g_rand_int_range (ch->rand, 1, ch->products + 1));
  gint64 before;

  if (ch->scans > 0 && ch->scans % SCANS_PER_ROUND == 0)
    pos_checkout_void (checkout);
  before = pos_checkout_get_total (checkout);
  /* What a USB scanner does: the code typed into the focused entry, Enter. */
  gtk_editable_set_text (GTK_EDITABLE (entry), code);
  ch->painted = FALSE;
  ch->scan_start = g_get_monotonic_time ();
  g_signal_emit_by_name (entry, "activate");
  {
    gint64 us = g_get_monotonic_time () - ch->scan_start;

    if (pos_checkout_get_total (checkout) <= before)
      g_error ("scanning %s did not add to the cart", code);
    g_array_append_val (ch->handler_us, us);
  }
  ch->scans++;
  return G_SOURCE_REMOVE;
}

static gboolean
login_now (gpointer user_data)
{
  Child *ch = user_data;

  printf ("submit %" G_GINT64_FORMAT "\n", g_get_monotonic_time ());
  pos_login_submit (POS_LOGIN (pos_window_get_login (ch->window)), STAFF, PASSWORD);
  return G_SOURCE_REMOVE;
}

static void
after_paint (GdkFrameClock *clock,
             Child         *ch)
{
  gint64 now = g_get_monotonic_time ();

  switch (ch->phase)
    {
    case WAIT_LOGIN:
      if (g_strcmp0 (pos_window_get_page (ch->window), "login") == 0 &&
          gtk_widget_get_mapped (pos_window_get_login (ch->window)))
        {
          printf ("login %" G_GINT64_FORMAT "\n", now);
          ch->phase = WAIT_READY;
          g_idle_add (login_now, ch);
        }
      break;
    case WAIT_READY:
      if (g_strcmp0 (pos_window_get_page (ch->window), "checkout") == 0 &&
          entry_focused (pos_checkout_get_entry (POS_CHECKOUT (pos_window_get_checkout (ch->window)))))
        {
          printf ("ready %" G_GINT64_FORMAT "\n", now);
          print_memory ();
          fflush (stdout);
          ch->phase = ch->products > 0 ? SCANNING : DONE;
          if (ch->phase == SCANNING)
            g_idle_add (scan_one, ch);
        }
      break;
    case SCANNING:
      if (!ch->painted && ch->scans > 0)
        {
          gint64 us = now - ch->scan_start;

          ch->painted = TRUE;
          g_array_append_val (ch->paint_us, us);
          if (ch->scans < SCAN_ROUNDS * SCANS_PER_ROUND)
            g_idle_add (scan_one, ch);
          else
            {
              print_stats ("scan-handler", ch->handler_us);
              print_stats ("scan-paint", ch->paint_us);
              ch->phase = DONE;
            }
        }
      break;
    case DONE:
      break;
    }
  if (ch->phase == DONE)
    {
      printf ("done\n");
      fflush (stdout);
      _exit (0);
    }
}

static void
activated (GApplication *app,
           Child        *ch)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  ch->window = POS_WINDOW (window);
  g_signal_connect (gtk_widget_get_frame_clock (GTK_WIDGET (window)), "after-paint",
                    G_CALLBACK (after_paint), ch);
}

static int
child_app (const char *db,
           int         products)
{
  g_autoptr(PosApplication) app = NULL;
  char *argv[] = { (char *) "mendian-pos", (char *) "--db", (char *) db, NULL };
  Child ch = { .products = products };

  ch.handler_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  ch.paint_us = g_array_new (FALSE, FALSE, sizeof (gint64));
  ch.rand = g_rand_new_with_seed (7);
  /* As mendian-pos's main(). */
  pos_i18n_init ();
  app = pos_application_new ();
  g_signal_connect_after (app, "activate", G_CALLBACK (activated), &ch);
  return g_application_run (G_APPLICATION (app), 3, argv);
}

static void
bare_painted (GdkFrameClock *clock,
              GtkWidget     *entry)
{
  if (!entry_focused (entry))
    return;
  printf ("login %" G_GINT64_FORMAT "\n", g_get_monotonic_time ());
  printf ("ready %" G_GINT64_FORMAT "\n", g_get_monotonic_time ());
  print_memory ();
  printf ("done\n");
  fflush (stdout);
  _exit (0);
}

/* The baseline: a GtkWindow with an entry, nothing else. */
static int
child_bare (void)
{
  GtkWidget *window, *entry;

  gtk_init ();
  window = gtk_window_new ();
  entry = gtk_entry_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1024, 768);
  gtk_window_set_child (GTK_WINDOW (window), entry);
  gtk_window_present (GTK_WINDOW (window));
  gtk_widget_grab_focus (entry);
  g_signal_connect (gtk_widget_get_frame_clock (window), "after-paint", G_CALLBACK (bare_painted), entry);
  while (TRUE)
    g_main_context_iteration (NULL, TRUE);
  return 0;
}

/* Parent --------------------------------------------------------------------------------- */

typedef struct
{
  double login_ms;     /* process start → login page painted */
  double ready_ms;     /* + login → checkout ready (minus the idle before the login) */
  double password_ms;  /* the password check and the switch to the checkout */
  double rss_mb;
  double hwm_mb;
  double anon_mb;
  double scan_ms[3];   /* handler median, p95, max */
  double paint_ms[3];  /* to the painted frame: median, p95, max */
} Run;

static Run
run_child (const char *self_exe,
           const char *mode,
           const char *db,
           int         products,
           gboolean    no_gl)
{
  g_autofree char *n = g_strdup_printf ("%d", products);
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_auto(GStrv) lines = NULL;
  gint64 start, login = 0, submit = 0, ready = 0;
  Run r = { 0 };

  if (no_gl)
    g_subprocess_launcher_setenv (launcher, "GDK_DEBUG", "gl-disable", TRUE);
  start = g_get_monotonic_time ();
  proc = g_subprocess_launcher_spawn (launcher, &error, self_exe, "--child", mode, db ? db : "-", n, NULL);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, NULL, NULL, &out, NULL, &error);
  g_assert_no_error (error);
  lines = g_strsplit (out ? out : "", "\n", -1);
  for (guint i = 0; lines[i]; i++)
    {
      gint64 a = 0, b = 0, c = 0;

      if (sscanf (lines[i], "login %" G_GINT64_FORMAT, &a) == 1)
        login = a;
      else if (sscanf (lines[i], "submit %" G_GINT64_FORMAT, &a) == 1)
        submit = a;
      else if (sscanf (lines[i], "ready %" G_GINT64_FORMAT, &a) == 1)
        ready = a;
      else if (sscanf (lines[i], "rss %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT,
                       &a, &b, &c) == 3)
        r.rss_mb = a / 1024.0, r.hwm_mb = b / 1024.0, r.anon_mb = c / 1024.0;
      else if (sscanf (lines[i], "scan-handler %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT,
                       &a, &b, &c) == 3)
        r.scan_ms[0] = a / 1e3, r.scan_ms[1] = b / 1e3, r.scan_ms[2] = c / 1e3;
      else if (sscanf (lines[i], "scan-paint %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %" G_GINT64_FORMAT,
                       &a, &b, &c) == 3)
        r.paint_ms[0] = a / 1e3, r.paint_ms[1] = b / 1e3, r.paint_ms[2] = c / 1e3;
    }
  if (login == 0 || ready == 0 || !strstr (out, "done"))
    g_error ("the %s child did not get ready:\n%s", mode, out ? out : "");
  if (submit == 0)
    submit = login;
  r.login_ms = (login - start) / 1e3;
  r.password_ms = (ready - submit) / 1e3;
  r.ready_ms = r.login_ms + r.password_ms;
  return r;
}

static int
cmp_double (gconstpointer a, gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* The run with the median start-to-ready time, from @runs children. */
static Run
median_run (const char *self_exe,
            const char *mode,
            const char *db,
            int         products,
            int         runs)
{
  g_autofree Run *all = g_new0 (Run, runs);
  g_autofree double *ready = g_new0 (double, runs);
  double mid;

  for (int i = 0; i < runs; i++)
    {
      all[i] = run_child (self_exe, mode, db, products, FALSE);
      ready[i] = all[i].ready_ms;
    }
  qsort (ready, runs, sizeof (double), cmp_double);
  mid = ready[runs / 2];
  for (int i = 0; i < runs; i++)
    if (all[i].ready_ms == mid)
      return all[i];
  return all[0];
}

static void
remove_db (const char *path)
{
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);

  g_unlink (path);
  g_unlink (wal);
  g_unlink (shm);
}

int
main (int argc, char **argv)
{
  int members, products, runs;
  g_autofree char *dir = NULL;
  g_autofree char *self_exe = NULL;
  g_autofree char *small = NULL;
  g_autofree char *big = NULL;
  g_autofree char *config = NULL;
  Run bare, base, full, bare_nogl, full_nogl;
  gint64 t0;

  if (argc == 5 && g_str_equal (argv[1], "--child"))
    {
      if (g_str_equal (argv[2], "bare"))
        return child_bare ();
      return child_app (argv[3], atoi (argv[4]));
    }
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      fprintf (stderr, "bench-pos-start needs a display: xvfb-run -a %s\n", argv[0]);
      return 77;
    }
  members = argc > 1 ? atoi (argv[1]) : 1000000;
  products = argc > 2 ? atoi (argv[2]) : 100000;
  runs = argc > 3 ? MAX (atoi (argv[3]), 1) : 5;
  self_exe = g_file_read_link ("/proc/self/exe", NULL);
  dir = g_dir_make_tmp ("mendian-bench-XXXXXX", NULL);
  /* The POS's terminal settings go to the scratch folder, not ~/.config. */
  config = g_build_filename (dir, "pos.ini", NULL);
  g_setenv ("MENDIAN_POS_CONFIG", config, TRUE);
  g_setenv ("ADW_DISABLE_PORTAL", "1", FALSE);
  g_setenv ("GTK_A11Y", "none", FALSE);

  mdn_branch_init ();
  t0 = g_get_monotonic_time ();
  small = make_branch (dir, "small.db", 0, 100);
  big = make_branch (dir, "big.db", members, products);
  printf ("branch: %d members, %d products (written in %.1f s); renderer %s; median of %d starts\n",
          members, products, (g_get_monotonic_time () - t0) / 1e6,
          g_getenv ("GSK_RENDERER") ? g_getenv ("GSK_RENDERER") : "default", runs);

  /* Warm the page cache and the font caches once, as on a counter PC that
     has run before. */
  run_child (self_exe, "bare", NULL, 0, FALSE);
  run_child (self_exe, "app", big, 0, FALSE);

  bare = median_run (self_exe, "bare", NULL, 0, runs);
  base = median_run (self_exe, "app", small, 100, runs);
  full = median_run (self_exe, "app", big, products, runs);
  /* The same without GDK's GL context (GDK_DEBUG=gl-disable): under Xvfb
     GL is Mesa's software rasterizer, whose libraries and buffers weigh
     more than the POS itself. */
  bare_nogl = run_child (self_exe, "bare", NULL, 0, TRUE);
  full_nogl = run_child (self_exe, "app", big, 0, TRUE);

  {
    g_autofree char *label = g_strdup_printf ("mendian-pos, %d members, %d products", members, products);

    printf ("\n%-44s %9s %9s %9s %8s %8s %8s\n", "ms / MB", "to login", "password", "to ready",
            "RSS", "anon", "peak");
    printf ("%-44s %9.1f %9s %9.1f %8.1f %8.1f %8.1f\n", "bare GtkWindow with an entry (baseline)",
            bare.login_ms, "", bare.ready_ms, bare.rss_mb, bare.anon_mb, bare.hwm_mb);
    printf ("%-44s %9.1f %9.1f %9.1f %8.1f %8.1f %8.1f\n", "mendian-pos, 0 members, 100 products",
            base.login_ms, base.password_ms, base.ready_ms, base.rss_mb, base.anon_mb, base.hwm_mb);
    printf ("%-44s %9.1f %9.1f %9.1f %8.1f %8.1f %8.1f\n", label,
            full.login_ms, full.password_ms, full.ready_ms, full.rss_mb, full.anon_mb, full.hwm_mb);
    printf ("(password: the argon2id check of the login, which takes 64 MiB for a moment, and the\n"
            " switch to the checkout; the peak column includes it)\n");
  }
  printf ("\nstart to ready checkout: %.0f ms (budget 500 ms: %s); ratio %.2f to the bare window, "
          "%.2f to the small branch\n",
          full.ready_ms, full.ready_ms < 500 ? "within" : "OVER",
          full.ready_ms / bare.ready_ms, full.ready_ms / base.ready_ms);
  printf ("memory at ready: %.1f MB RSS (budget 100 MB: %s), %.1f MB of it anonymous; peak %.1f MB; "
          "RSS ratio %.2f to the bare window\n",
          full.rss_mb, full.rss_mb < 100 ? "within" : "OVER", full.anon_mb, full.hwm_mb,
          full.rss_mb / bare.rss_mb);
  printf ("without GL (GDK_DEBUG=gl-disable): mendian-pos %.1f MB RSS (%.1f anonymous, peak %.1f), "
          "bare window %.1f MB; ready in %.0f ms\n",
          full_nogl.rss_mb, full_nogl.anon_mb, full_nogl.hwm_mb, bare_nogl.rss_mb, full_nogl.ready_ms);
  printf ("scan to line, barcode among %d products (%d scans, carts of up to %d lines):\n"
          "  in the handler         median %6.2f ms  p95 %6.2f ms  max %6.2f ms\n"
          "  to the painted frame   median %6.2f ms  p95 %6.2f ms  max %6.2f ms\n"
          "  ratio to 100 products  %.2f (handler), %.2f (painted)\n",
          products, SCAN_ROUNDS * SCANS_PER_ROUND, SCANS_PER_ROUND,
          full.scan_ms[0], full.scan_ms[1], full.scan_ms[2],
          full.paint_ms[0], full.paint_ms[1], full.paint_ms[2],
          full.scan_ms[0] / base.scan_ms[0], full.paint_ms[0] / base.paint_ms[0]);

  remove_db (small);
  remove_db (big);
  g_unlink (config);
  g_rmdir (dir);
  return 0;
}
