/* test-pos-reports.c: the POS's 报表 page (client/pos/pos-reports.c) driven
 * through its widget: a manager shows a report and exports it (the worker
 * thread, its progress, the file it leaves), a cashier is refused by
 * common/'s permission check. Waits on the page's own "loaded" and
 * "exported" signals, never on time. Saves screenshots next to the log.
 * Run under Xvfb; without a display it skips. */
#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "mdn-test-ui.h"
#include "mdn-test-util.h"
#include "mdn-sync.h"
#include "pos-application.h"
#include "pos-login.h"
#include "pos-reports.h"
#include "pos-session.h"
#include "pos-window.h"

#define DAY "2026-11-22"

static gboolean have_display = FALSE;

typedef struct
{
  MdnTestBranch *branch;
  PosSession    *session;
  PosWindow     *window;
  gboolean       done;
  char          *message;
} Fixture;

static void
iterate_until (gboolean *flag)
{
  while (!*flag)
    g_main_context_iteration (NULL, TRUE);
}

/* Lays out and draws what is pending (no waiting on the clock). */
static void
settle (void)
{
  for (int i = 0; i < 50 && g_main_context_pending (NULL); i++)
    g_main_context_iteration (NULL, FALSE);
}

static void
screenshot (GtkWidget  *widget,
            const char *name)
{
  settle ();
  /* Nothing drawn yet is no failure here: the page may still be loading. */
  mdn_test_ui_screenshot (widget, "pos-reports", name);
}

static void
on_loaded (PosReports *page,
           Fixture    *f)
{
  f->done = TRUE;
}

static void
on_exported (PosReports *page,
             const char *message,
             Fixture    *f)
{
  g_free (f->message);
  f->message = g_strdup (message);
  f->done = TRUE;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(JsonObject) m = NULL;
  MdnOpCtx *a;

  if (!have_display)
    return;
  mdn_test_set_now (DAY "T10:00:00+08:00");
  f->branch = mdn_test_branch_new ("B01", 1);
  a = f->branch->admin;
  mdn_op_ctx_free (mdn_test_staff (f->branch, "c01", "cashier"));
  mdn_op_ctx_free (mdn_test_staff (f->branch, "m01", "manager"));
  json_object_unref (mdn_test_ok (a, "{\"op\":\"deposit_rule.upsert\",\"min_fen\":10000,\"bonus_fen\":1500}"));
  json_object_unref (mdn_test_ok (a, "{\"op\":\"product.upsert\",\"sku\":\"TEA\",\"name\":\"东方树叶 500ml\","
                                     "\"price_fen\":500,\"kind\":\"goods\",\"category\":\"饮品/茶\"}"));
  json_object_unref (mdn_test_ok (a, "{\"op\":\"product.upsert\",\"sku\":\"CUT\",\"name\":\"洗剪吹\","
                                     "\"price_fen\":6800,\"kind\":\"service\"}"));
  m = mdn_test_ok (a, "{\"op\":\"member.issue\",\"name\":\"张三\",\"phone\":\"13800000001\",\"deposit_fen\":200000}");
  for (int i = 0; i < 30; i++)
    {
      g_autofree char *card = i % 3 == 0 ? g_strdup_printf ("\"card\":\"%s\",", mdn_test_str (m, "card_no"))
                                         : g_strdup ("");

      json_object_unref (mdn_test_ok (a, "{\"op\":\"sale\",%s\"lines\":[{\"sku\":\"TEA\",\"qty\":%d},"
                                         "{\"sku\":\"CUT\"}],\"tenders\":[{\"type\":\"%s\",\"amount_fen\":%d}]}",
                                      card, 1 + i % 4, i % 3 == 0 ? "balance" : "cash", 500 * (1 + i % 4) + 6800));
    }
  f->session = pos_session_new ();
  f->window = pos_window_new (NULL, f->session, f->branch->path);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1024, 768);
  gtk_window_present (GTK_WINDOW (f->window));
  settle ();
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  if (!have_display)
    return;
  gtk_window_destroy (GTK_WINDOW (f->window));
  settle ();
  g_clear_object (&f->session);
  g_clear_pointer (&f->branch, mdn_test_branch_free);
  g_clear_pointer (&f->message, g_free);
  mdn_test_set_now (NULL);
}

static PosReports *
open_page (Fixture    *f,
           const char *staff)
{
  PosReports *page = POS_REPORTS (pos_window_get_reports (f->window));

  pos_login_submit (POS_LOGIN (pos_window_get_login (f->window)), staff, MDN_TEST_PASSWORD);
  settle ();
  g_assert_true (pos_session_is_logged_in (f->session));
  pos_window_show_page (f->window, "reports");
  settle ();
  g_assert_cmpstr (pos_window_get_page (f->window), ==, "reports");
  g_signal_connect (page, "loaded", G_CALLBACK (on_loaded), f);
  g_signal_connect (page, "exported", G_CALLBACK (on_exported), f);
  return page;
}

static void
test_show_and_export (Fixture       *f,
                      gconstpointer  data)
{
  PosReports *page;
  g_autofree char *path = NULL, *text = NULL;
  gsize len;

  if (!have_display)
    {
      g_test_skip ("no display: run under xvfb-run");
      return;
    }
  page = open_page (f, "m01");
  f->done = FALSE;
  pos_reports_run (page, "consumption", DAY, DAY);
  iterate_until (&f->done);
  g_assert_cmpuint (pos_reports_get_n_rows (page), ==, 60);   /* 30 sales of two lines */
  screenshot (GTK_WIDGET (f->window), "consumption");

  /* Filtered by product, then by category (饮品 and what is under it). */
  pos_reports_set_filter (page, "sku", "CUT");
  f->done = FALSE;
  pos_reports_run (page, "consumption", DAY, DAY);
  iterate_until (&f->done);
  g_assert_cmpuint (pos_reports_get_n_rows (page), ==, 30);
  pos_reports_set_filter (page, "sku", NULL);
  pos_reports_set_filter (page, "category", "饮品");
  f->done = FALSE;
  pos_reports_run (page, "consumption", DAY, DAY);
  iterate_until (&f->done);
  g_assert_cmpuint (pos_reports_get_n_rows (page), ==, 30);
  screenshot (GTK_WIDGET (f->window), "consumption-category");
  pos_reports_set_filter (page, "category", NULL);

  f->done = FALSE;
  pos_reports_run (page, "summary", DAY, DAY);
  iterate_until (&f->done);
  g_assert_cmpuint (pos_reports_get_n_rows (page), ==, 1);
  screenshot (GTK_WIDGET (f->window), "summary");

  path = g_build_filename (f->branch->dir, "summary.xlsx", NULL);
  f->done = FALSE;
  pos_reports_export_to (page, path);
  iterate_until (&f->done);
  g_assert_null (f->message);
  g_assert_true (g_file_get_contents (path, &text, &len, NULL));
  g_assert_cmpuint (len, >, 4);
  g_assert_cmpmem (text, 2, "PK", 2);
  g_clear_pointer (&text, g_free);
  g_free (path);

  path = g_build_filename (f->branch->dir, "lines.csv", NULL);
  f->done = FALSE;
  pos_reports_run (page, "consumption", DAY, DAY);
  iterate_until (&f->done);
  f->done = FALSE;
  pos_reports_export_to (page, path);
  iterate_until (&f->done);
  g_assert_null (f->message);
  g_assert_true (g_file_get_contents (path, &text, &len, NULL));
  g_assert_true (g_str_has_prefix (text, "\xEF\xBB\xBF"));
  g_assert_nonnull (strstr (text, "东方树叶 500ml"));
  screenshot (GTK_WIDGET (f->window), "exported");
}

static void
test_cashier_refused (Fixture       *f,
                      gconstpointer  data)
{
  PosReports *page;
  g_autofree char *path = NULL;

  if (!have_display)
    {
      g_test_skip ("no display: run under xvfb-run");
      return;
    }
  page = open_page (f, "c01");
  f->done = FALSE;
  pos_reports_run (page, "income", DAY, DAY);
  iterate_until (&f->done);
  g_assert_cmpuint (pos_reports_get_n_rows (page), ==, 0);
  path = g_build_filename (f->branch->dir, "no.xlsx", NULL);
  f->done = FALSE;
  pos_reports_export_to (page, path);
  iterate_until (&f->done);
  g_assert_nonnull (f->message);
  g_assert_false (g_file_test (path, G_FILE_TEST_EXISTS));
  screenshot (GTK_WIDGET (f->window), "cashier");
}

/* Under LeakSanitizer (./run test builds with ASan): fontconfig and the
 * GL drivers keep process-lifetime caches that are never freed. */
const char *__lsan_default_suppressions (void);

const char *
__lsan_default_suppressions (void)
{
  return "leak:libfontconfig.so\n"
         "leak:libEGL_mesa.so\n"
         "leak:libGLX_mesa.so\n";
}

int
main (int argc, char **argv)
{
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  g_setenv ("GDK_DEBUG", "gl-disable", FALSE);
  g_setenv ("GTK_A11Y", "none", FALSE);
  g_setenv ("ADW_DISABLE_PORTAL", "1", TRUE);
  g_test_init (&argc, &argv, NULL);
  pos_i18n_init ();
  mdn_branch_init ();
  have_display = g_getenv ("DISPLAY") != NULL || g_getenv ("WAYLAND_DISPLAY") != NULL;
  if (have_display)
    {
      have_display = gtk_init_check ();
      if (have_display)
        adw_init ();
    }
  g_test_add ("/pos-reports/show-and-export", Fixture, NULL, fixture_set_up, test_show_and_export,
              fixture_tear_down);
  g_test_add ("/pos-reports/cashier-refused", Fixture, NULL, fixture_set_up, test_cashier_refused,
              fixture_tear_down);
  return g_test_run ();
}
