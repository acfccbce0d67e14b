/* test-pos-admin.c: the POS's System page (系统设置) driven through its
 * real widgets at an HQ terminal: the permission matrix, a product edit,
 * a settings change, the operation log; each checked through the
 * operations afterwards and saved as a screenshot (pos-admin-*.png next
 * to the test log). Run under Xvfb; without a display the cases skip. */
#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "mdn-json.h"
#include "mdn-settings.h"
#include "mdn-sync.h"
#include "mdn-test-ui.h"
#include "mdn-test-util.h"
#include "pos-admin.h"
#include "pos-application.h"
#include "pos-backup.h"
#include "pos-forms.h"
#include "pos-login.h"
#include "pos-session.h"
#include "pos-window.h"

static gboolean have_display = FALSE;

typedef struct
{
  MdnTestBranch *branch;
  PosSession    *session;
  PosWindow     *window;
  PosAdmin      *admin;
} Fixture;

static void
pump (guint ms)
{
  mdn_test_ui_pump (ms);
}

static void
screenshot (GtkWidget  *widget,
            const char *name)
{
  g_assert_true (mdn_test_ui_screenshot (widget, "pos-admin", name));
}

static GtkWidget *
find_toplevel (GType type)
{
  GListModel *list = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr(GObject) w = g_list_model_get_item (list, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (w, type) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return GTK_WIDGET (w);
    }
  return NULL;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(MdnOpCtx) m = NULL;

  if (!have_display)
    return;
  mdn_test_set_now (NULL);
  f->branch = mdn_test_branch_new_full ("HQ", 0, TRUE);
  m = mdn_test_staff (f->branch, "m01", "manager");
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"level.upsert\",\"code\":\"gold\",\"name\":\"金卡\","
                                  "\"price_percent\":90,\"points_per_yuan\":2,\"upgrade_spent\":\"2000.00\"}"));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"deposit_rule.upsert\",\"min_fen\":50000,\"bonus_fen\":5000}"));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"category.upsert\",\"path\":\"饮品\"}"));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"category.upsert\",\"path\":\"饮品/茶\"}"));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"product.upsert\",\"sku\":\"TEA\",\"name\":\"东方树叶 500ml\","
                                  "\"price_fen\":500,\"kind\":\"goods\",\"category\":\"饮品/茶\",\"barcode\":\"6901234567908\"}"));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"product.upsert\",\"sku\":\"COLA\",\"name\":\"可口可乐 330ml\","
                                  "\"price_fen\":350,\"kind\":\"goods\",\"category\":\"饮品\"}"));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"plan.upsert\",\"code\":\"HOUR\",\"name\":\"按小时\","
                                  "\"unit_minutes\":60,\"unit_price_fen\":3000}"));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"resource.upsert\",\"code\":\"T1\",\"name\":\"台球 1 号台\","
                                  "\"plan\":\"HOUR\"}"));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"role.upsert\",\"code\":\"senior\",\"name\":\"高级收银\","
                                  "\"permissions\":[\"@cashier\",\"catalog.*\"]}"));
  mdn_test_fails (m, "permission_denied", "{\"op\":\"role.upsert\",\"code\":\"x\",\"name\":\"X\",\"permissions\":[]}");

  f->session = pos_session_new ();
  f->window = pos_window_new (NULL, f->session, f->branch->path);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1024, 768);
  gtk_window_present (GTK_WINDOW (f->window));
  pump (200);
  pos_login_submit (POS_LOGIN (pos_window_get_login (f->window)), "admin", MDN_TEST_PASSWORD);
  pump (100);
  g_assert_true (pos_session_is_logged_in (f->session));
  pos_window_show_page (f->window, "admin");
  pump (100);
  f->admin = NULL;
  {
    /* The page is a descendant: found by walking from the window. */
    GtkWidget *w = GTK_WIDGET (f->window);
    GQueue q = G_QUEUE_INIT;

    g_queue_push_tail (&q, w);
    while (!g_queue_is_empty (&q) && f->admin == NULL)
      {
        GtkWidget *c = g_queue_pop_head (&q);

        if (POS_IS_ADMIN (c))
          f->admin = POS_ADMIN (c);
        for (GtkWidget *k = gtk_widget_get_first_child (c); k; k = gtk_widget_get_next_sibling (k))
          g_queue_push_tail (&q, k);
      }
    g_queue_clear (&q);
  }
  g_assert_nonnull (f->admin);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  if (!have_display)
    return;
  gtk_window_destroy (GTK_WINDOW (f->window));
  pump (50);
  g_clear_object (&f->session);
  g_clear_pointer (&f->branch, mdn_test_branch_free);
}

static gboolean
skip_without_display (void)
{
  if (!have_display)
    {
      g_test_skip ("no display: run under xvfb-run");
      return TRUE;
    }
  return FALSE;
}

/* The matrix: tick stock and reports for the cashier, save; the role's
 * permissions say so and a cashier may now read the day end of all. */
static void
test_permission_matrix (Fixture       *f,
                        gconstpointer  data)
{
  GtkWidget *check, *admin_check;

  if (skip_without_display ())
    return;
  pos_admin_show (f->admin, "roles");
  pump (100);
  check = pos_admin_get_check (f->admin, "cashier", "catalog.*");
  g_assert_nonnull (check);
  /* The cashier may search products but not define them: half. */
  g_assert_true (gtk_check_button_get_inconsistent (GTK_CHECK_BUTTON (check)));
  admin_check = pos_admin_get_check (f->admin, "admin", "staff.*");
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (admin_check)));
  g_assert_false (gtk_widget_get_sensitive (admin_check));
  g_assert_true (gtk_check_button_get_active (GTK_CHECK_BUTTON (pos_admin_get_check (f->admin, "senior", "catalog.*"))));

  gtk_check_button_set_active (GTK_CHECK_BUTTON (check), TRUE);
  pump (50);
  g_assert_false (gtk_check_button_get_inconsistent (GTK_CHECK_BUTTON (check)));
  screenshot (GTK_WIDGET (f->window), "permissions");
  pos_admin_save_roles (f->admin);
  pump (100);
  {
    g_autoptr(JsonObject) r = mdn_test_ok (f->branch->admin, "{\"op\":\"role.show\",\"code\":\"cashier\"}");
    g_autofree char *perms = NULL;
    g_autoptr(JsonNode) node = json_node_init_array (json_node_alloc (),
                                                      json_object_get_array_member (r, "permissions"));

    perms = json_to_string (node, FALSE);
    g_assert_nonnull (strstr (perms, "\"catalog.*\""));
    /* What the cashier had of the other groups is kept by name. */
    g_assert_nonnull (strstr (perms, "\"member.issue\""));
    g_assert_null (strstr (perms, "\"member.withdraw\""));
  }
  {
    g_autoptr(MdnOpCtx) c = mdn_test_staff (f->branch, "c01", "cashier");

    json_object_unref (mdn_test_ok (c, "{\"op\":\"level.upsert\",\"code\":\"x\",\"name\":\"X\",\"price_percent\":100,"
                                       "\"points_per_yuan\":1}"));
    mdn_test_fails (c, "permission_denied", "{\"op\":\"member.withdraw\",\"card\":\"x\",\"amount_fen\":1}");
  }
  g_assert_cmpuint (mdn_test_verify (f->branch), ==, 0);
}

/* A product edited in its form: only the price changes. */
static void
test_product_edit (Fixture       *f,
                   gconstpointer  data)
{
  PosForm *form;

  if (skip_without_display ())
    return;
  pos_admin_show (f->admin, "products");
  pump (100);
  screenshot (GTK_WIDGET (f->window), "products");
  form = POS_FORM (pos_admin_edit_product (f->admin, "TEA"));
  g_assert_nonnull (form);
  g_assert_true (find_toplevel (POS_TYPE_FORM) == GTK_WIDGET (form));
  pump (100);
  gtk_editable_set_text (GTK_EDITABLE (pos_form_get_widget (form, "price")), "5.50");
  pump (30);
  screenshot (GTK_WIDGET (form), "product-edit");
  pos_form_accept (form);
  pump (200);
  g_assert_cmpint (mdn_test_count (f->branch, "SELECT price_fen FROM products WHERE sku = 'TEA'"), ==, 550);
  g_assert_cmpint (mdn_test_count (f->branch, "SELECT count (*) FROM products WHERE sku = 'TEA' "
                                              "AND category = '饮品/茶' AND barcode = '6901234567908'"), ==, 1);
  g_assert_cmpuint (mdn_test_verify (f->branch), ==, 0);
}

/* A setting switched on the settings page reaches the ledger. */
static void
test_settings_change (Fixture       *f,
                      gconstpointer  data)
{
  GtkWidget *sw, *spin, *entry;
  g_autofree char *url = NULL;

  if (skip_without_display ())
    return;
  pos_admin_show (f->admin, "settings");
  pump (100);
  sw = pos_admin_get_setting (f->admin, "sms.on_deposit");
  g_assert_true (GTK_IS_SWITCH (sw));
  g_assert_true (gtk_widget_get_sensitive (sw));
  gtk_switch_set_active (GTK_SWITCH (sw), TRUE);
  pump (50);
  spin = pos_admin_get_setting (f->admin, "reminder.low_balance_fen");
  g_assert_true (GTK_IS_SPIN_BUTTON (spin));
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), 35.5);
  pump (50);
  /* A text setting is saved by Enter. */
  entry = pos_admin_get_setting (f->admin, "member.public_url");
  g_assert_true (GTK_IS_ENTRY (entry));
  gtk_editable_set_text (GTK_EDITABLE (entry), "https://vip.example.com");
  g_signal_emit_by_name (entry, "activate");
  pump (50);
  screenshot (GTK_WIDGET (f->window), "settings");
  url = mdn_settings_dup_string (f->branch->store->db, "member.public_url");
  g_assert_cmpstr (url, ==, "https://vip.example.com");
  g_assert_cmpint (mdn_test_count (f->branch, "SELECT count (*) FROM settings WHERE key = 'sms.on_deposit' "
                                              "AND value = 'true'"), ==, 1);
  g_assert_cmpint (mdn_test_count (f->branch, "SELECT value FROM settings WHERE key = 'reminder.low_balance_fen'"), ==, 3550);
  g_assert_cmpint (mdn_test_count (f->branch, "SELECT count (*) FROM entries WHERE kind = 'setting.chain'"), ==, 3);
}

/* The other pages draw (levels and plans, the log, the shop, backup). */
static void
test_other_pages (Fixture       *f,
                  gconstpointer  data)
{
  if (skip_without_display ())
    return;
  pos_admin_show (f->admin, "master");
  screenshot (GTK_WIDGET (f->window), "levels");
  pos_admin_show (f->admin, "oplog");
  gtk_widget_activate_action (GTK_WIDGET (f->admin), "admin.log-search", NULL);
  screenshot (GTK_WIDGET (f->window), "oplog");
  pos_admin_show (f->admin, "shop");
  screenshot (GTK_WIDGET (f->window), "shop");
  pos_admin_show (f->admin, "backup");
  screenshot (GTK_WIDGET (f->window), "backup");
}

static guint
count_backups (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while (d && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, "mendian-HQ-") && g_str_has_suffix (name, ".db"))
      n++;
  return n;
}

static void
backup_finished (PosBackup  *backup,
                 gboolean    ok,
                 const char *detail,
                 guint      *n)
{
  (*n)++;
}

/* Waits for the @n-th end of a backup: the worker's result, not a time. */
static void
wait_backups (guint *finished,
              guint  n)
{
  while (*finished < n)
    g_main_context_iteration (NULL, TRUE);
  pump (50);
}

/* The daily backup while the POS runs, on a fixed clock: made at start,
 * not again the same day, again the next; a missing folder is told in the
 * window and on the backup page; 备份现在 makes one at once. */
static void
test_daily_backup (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *dir = NULL, *usb = NULL;
  PosBackup *backup;
  guint finished = 0;
  const char *status, *toast;

  if (skip_without_display ())
    return;
  dir = g_build_filename (f->branch->dir, "bk", NULL);
  usb = g_build_filename (f->branch->dir, "usb", NULL);
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"settings.set\",\"key\":\"backup.dir\",\"value\":\"%s\"}", dir));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"settings.set\",\"key\":\"backup.keep\",\"value\":2}"));
  mdn_test_set_now ("2026-11-23T09:00:00+08:00");
  backup = pos_backup_get (f->session);
  g_signal_connect (backup, "finished", G_CALLBACK (backup_finished), &finished);

  /* At start. */
  pos_backup_schedule (backup, GTK_WIDGET (f->window));
  wait_backups (&finished, 1);
  g_assert_cmpuint (count_backups (dir), ==, 1);
  g_assert_cmpint (mdn_test_count (f->branch, "SELECT count(*) FROM oplog WHERE op = 'backup.daily' AND ok = 1"), ==, 1);
  /* Not again today; again tomorrow. */
  mdn_test_set_now ("2026-11-23T22:00:00+08:00");
  g_assert_false (pos_backup_check (backup));
  mdn_test_set_now ("2026-11-24T08:00:00+08:00");
  g_assert_true (pos_backup_check (backup));
  g_assert_true (pos_backup_is_running (backup));
  g_assert_false (pos_backup_check (backup));
  wait_backups (&finished, 2);
  g_assert_cmpuint (count_backups (dir), ==, 2);

  /* The folder is on a drive that is not there. */
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"settings.set\",\"key\":\"backup.dir\",\"value\":\"%s\"}", usb));
  mdn_test_set_now ("2026-11-25T08:00:00+08:00");
  g_assert_true (pos_backup_check (backup));
  wait_backups (&finished, 3);
  g_assert_false (g_file_test (usb, G_FILE_TEST_EXISTS));
  toast = pos_window_get_last_toast (f->window);
  g_assert_nonnull (toast);
  g_assert_nonnull (strstr (toast, usb));
  /* Not tried again within the hour. */
  mdn_test_set_now ("2026-11-25T08:30:00+08:00");
  g_assert_false (pos_backup_check (backup));
  pos_admin_show (f->admin, "backup");
  pos_admin_shown (f->admin);
  pump (100);
  status = pos_admin_get_backup_status (f->admin);
  g_assert_nonnull (strstr (status, usb));
  screenshot (GTK_WIDGET (f->window), "backup-failed");

  /* 备份现在, into the folder set back. */
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"settings.set\",\"key\":\"backup.dir\",\"value\":\"%s\"}", dir));
  gtk_widget_activate_action (GTK_WIDGET (f->admin), "admin.backup-now", NULL);
  wait_backups (&finished, 4);
  g_assert_cmpuint (count_backups (dir), ==, 2);
  g_assert_cmpint (mdn_test_count (f->branch, "SELECT count(*) FROM oplog WHERE op = 'backup.now' AND ok = 1 "
                                              "AND staff = 'admin'"), ==, 1);
  status = pos_admin_get_backup_status (f->admin);
  g_assert_nonnull (strstr (status, dir));
  g_assert_null (strstr (status, usb));
  screenshot (GTK_WIDGET (f->window), "backup-daily");
  g_signal_handlers_disconnect_by_data (backup, &finished);
  mdn_test_set_now (NULL);
}

/* Under LeakSanitizer (./run test builds with ASan): fontconfig and the
 * GL drivers keep process-lifetime caches that are never freed (as
 * test-pos-ui.c). */
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
  const char *display = g_getenv ("DISPLAY");

  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  g_setenv ("GDK_DEBUG", "gl-disable", FALSE);
  g_setenv ("GTK_A11Y", "none", FALSE);
  g_setenv ("ADW_DISABLE_PORTAL", "1", TRUE);
  g_test_init (&argc, &argv, NULL);
  /* LANGUAGE=zh_CN and MENDIAN_LOCALEDIR=<build>/locale: the Chinese
     screenshots of docs/pos.md. */
  pos_i18n_init ();
  mdn_branch_init ();
  if (display && *display)
    {
      have_display = gtk_init_check ();
      if (have_display)
        adw_init ();
    }

  g_test_add ("/pos-admin/ui/permission-matrix", Fixture, NULL, fixture_set_up, test_permission_matrix, fixture_tear_down);
  g_test_add ("/pos-admin/ui/product-edit", Fixture, NULL, fixture_set_up, test_product_edit, fixture_tear_down);
  g_test_add ("/pos-admin/ui/settings-change", Fixture, NULL, fixture_set_up, test_settings_change, fixture_tear_down);
  g_test_add ("/pos-admin/ui/other-pages", Fixture, NULL, fixture_set_up, test_other_pages, fixture_tear_down);
  g_test_add ("/pos-admin/ui/daily-backup", Fixture, NULL, fixture_set_up, test_daily_backup, fixture_tear_down);
  return g_test_run ();
}
