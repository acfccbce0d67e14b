/* test-pos-layout.c: the POS laid out in Chinese at 1024×768 (the default)
 * and at 1920×1080 (issue 13): every page a manager sees, and the dialogs
 * of the timed board, each saved as a screenshot (layout-WxH-name.png) and
 * held to what the issue asks: the page switcher stays in the header (no
 * bottom bar, with the manager's eight pages), the tender hint and the
 * printer type are not cut off, toasts don't cover the last-sale card, the
 * member page shows packages and history without scrolling.
 *
 * Runs in Chinese: LANGUAGE=zh_CN with the catalogue of the build tree
 * (MENDIAN_LOCALEDIR, set by tests/meson.build). On the fixed clock
 * (MENDIAN_NOW); nothing waits on time. */
#define _GNU_SOURCE
#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "mdn-json.h"
#include "mdn-sync.h"
#include "mdn-test-ui.h"
#include "mdn-test-util.h"
#include "pos-application.h"
#include "pos-checkout.h"
#include "pos-forms.h"
#include "pos-login.h"
#include "pos-members.h"
#include "pos-pay-dialog.h"
#include "pos-session.h"
#include "pos-timed.h"
#include "pos-window.h"

static gboolean have_display = FALSE;

typedef struct
{
  MdnTestBranch *branch;
  PosSession    *session;
  PosWindow     *window;
  char          *config;
  char          *card;
  int            width, height;
} Fixture;

static void
pump (guint ms)
{
  mdn_test_ui_pump (ms);
}

static void
shot (Fixture    *f,
      GtkWidget  *widget,
      const char *name)
{
  g_autofree char *full = g_strdup_printf ("%dx%d-%s", f->width, f->height, name);

  g_assert_true (mdn_test_ui_screenshot (widget, "layout", full));
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
ok (Fixture    *f,
    const char *json)
{
  json_object_unref (mdn_test_ok (f->branch->admin, "%s", json));
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  const int *size = data;
  g_autoptr(JsonObject) m = NULL;
  g_autofree char *ini = NULL;
  g_autofree char *receipts = NULL;

  if (!have_display)
    return;
  f->width = size[0];
  f->height = size[1];
  mdn_test_set_now ("2026-11-22T02:00:00Z");
  f->branch = mdn_test_branch_new ("B01", 1);
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"staff.add\",\"code\":\"m01\",\"name\":\"李店长\","
                                  "\"role\":\"manager\",\"password\":\"%s\"}", MDN_TEST_PASSWORD));
  ok (f, "{\"op\":\"level.upsert\",\"code\":\"gold\",\"name\":\"金卡\",\"price_percent\":90,\"points_per_yuan\":2}");
  ok (f, "{\"op\":\"product.upsert\",\"sku\":\"COLA\",\"name\":\"可口可乐 330ml\",\"price_fen\":350,\"kind\":\"goods\","
         "\"barcode\":\"6901234567892\"}");
  ok (f, "{\"op\":\"product.upsert\",\"sku\":\"TEA\",\"name\":\"茉莉花茶\",\"price_fen\":1200,\"kind\":\"goods\"}");
  ok (f, "{\"op\":\"product.upsert\",\"sku\":\"CUT\",\"name\":\"洗剪吹\",\"price_fen\":6800,\"kind\":\"service\"}");
  ok (f, "{\"op\":\"product.upsert\",\"sku\":\"CUT10\",\"name\":\"洗剪吹 10 次卡\",\"price_fen\":50000,\"kind\":\"package\","
         "\"package_sku\":\"CUT\",\"package_count\":10}");
  ok (f, "{\"op\":\"product.upsert\",\"sku\":\"FOOT\",\"name\":\"足疗\",\"price_fen\":9800,\"kind\":\"service\"}");
  ok (f, "{\"op\":\"product.upsert\",\"sku\":\"FOOT5\",\"name\":\"足疗 5 次卡\",\"price_fen\":40000,\"kind\":\"package\","
         "\"package_sku\":\"FOOT\",\"package_count\":5}");
  ok (f, "{\"op\":\"plan.upsert\",\"code\":\"HOUR\",\"name\":\"按小时\",\"unit_minutes\":60,\"unit_price_fen\":3000}");
  ok (f, "{\"op\":\"resource.upsert\",\"code\":\"T1\",\"name\":\"台球 1 号台\",\"plan\":\"HOUR\"}");
  ok (f, "{\"op\":\"resource.upsert\",\"code\":\"T2\",\"name\":\"台球 2 号台\",\"plan\":\"HOUR\"}");
  ok (f, "{\"op\":\"resource.upsert\",\"code\":\"K1\",\"name\":\"KTV 小包 1\",\"plan\":\"HOUR\"}");
  ok (f, "{\"op\":\"resource.upsert\",\"code\":\"K2\",\"name\":\"KTV 大包 2\",\"plan\":\"HOUR\"}");
  m = mdn_test_ok (f->branch->admin, "{\"op\":\"member.issue\",\"name\":\"张三\",\"phone\":\"13800000001\","
                   "\"level\":\"gold\",\"pin\":\"123456\",\"deposit_fen\":200000}");
  f->card = g_strdup (mdn_test_str (m, "card_no"));
  /* A member with packages and a history to show. */
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"sale\",\"card\":\"%s\",\"pin\":\"123456\","
                                  "\"lines\":[{\"sku\":\"CUT10\"},{\"sku\":\"FOOT5\"}],"
                                  "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":81000}]}", f->card));
  for (int i = 0; i < 6; i++)
    json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"COLA\","
                                    "\"qty\":%d}],\"tenders\":[{\"type\":\"cash\",\"amount_fen\":10000}]}", f->card, i + 1));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"FOOT\","
                                  "\"count\":1}", f->card));
  /* The timed board: a table with goods, a prepaid room. */
  {
    g_autoptr(JsonObject) s = mdn_test_ok (f->branch->admin, "{\"op\":\"timed.start\",\"resource\":\"T1\"}");

    json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"timed.add\",\"session_id\":\"%s\",\"sku\":\"COLA\","
                                    "\"qty\":2}", mdn_test_str (s, "session_id")));
    ok (f, "{\"op\":\"timed.prepay\",\"resource\":\"K1\",\"minutes\":60,"
           "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":3000}]}");
  }
  f->config = g_build_filename (f->branch->dir, "pos.ini", NULL);
  receipts = g_build_filename (f->branch->dir, "receipts.bin", NULL);
  ini = g_strdup_printf ("[pos]\nprinter=file:%s\nprinter-width=32\n", receipts);
  g_assert_true (g_file_set_contents (f->config, ini, -1, NULL));
  g_setenv ("MENDIAN_POS_CONFIG", f->config, TRUE);

  f->session = pos_session_new ();
  f->window = pos_window_new (NULL, f->session, f->branch->path);
  gtk_window_set_default_size (GTK_WINDOW (f->window), f->width, f->height);
  gtk_window_present (GTK_WINDOW (f->window));
  pump (200);
  /* 10:55 at the branch: the room's prepaid hour ends in five minutes. */
  mdn_test_set_now ("2026-11-22T02:55:00Z");
  pos_login_submit (POS_LOGIN (pos_window_get_login (f->window)), "m01", MDN_TEST_PASSWORD);
  pump (150);
  g_assert_true (pos_session_is_logged_in (f->session));
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
  g_free (f->config);
  g_free (f->card);
  g_unsetenv ("MENDIAN_POS_CONFIG");
  mdn_test_set_now (NULL);
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

static void
show_page (Fixture    *f,
           const char *page)
{
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.page", "s", page);
  pump (150);
  g_assert_cmpstr (pos_window_get_page (f->window), ==, page);
}

/* @w is shown whole: allocated at least the width it asks for. */
static void
assert_fits (GtkWidget  *w,
             const char *what)
{
  int min = 0;

  g_assert_nonnull (w);
  gtk_widget_measure (w, GTK_ORIENTATION_HORIZONTAL, -1, &min, NULL, NULL, NULL);
  g_test_message ("%s: %d of %d px", what, gtk_widget_get_width (w), min);
  g_assert_true (gtk_widget_get_mapped (w));
  g_assert_cmpint (gtk_widget_get_width (w), >=, min);
}

/* No label under @w is cut short by an ellipsis (the tender hint, the
 * printer kind, a button): every text shows whole. */
static void
assert_nothing_cut (GtkWidget  *w,
                    const char *where)
{
  if (GTK_IS_LABEL (w) && gtk_widget_get_mapped (w))
    {
      PangoLayout *layout = gtk_label_get_layout (GTK_LABEL (w));

      if (pango_layout_is_ellipsized (layout))
        g_error ("%s: “%s” is cut off", where, gtk_label_get_text (GTK_LABEL (w)));
    }
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    assert_nothing_cut (c, where);
}

/* The first row of @list is inside the window, unscrolled. */
static void
assert_in_view (Fixture   *f,
                GtkWidget *list)
{
  GtkWidget *row;
  graphene_rect_t r;

  g_assert_nonnull (list);
  row = GTK_WIDGET (gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 0));
  g_assert_nonnull (row);
  g_assert_true (gtk_widget_compute_bounds (row, GTK_WIDGET (f->window), &r));
  g_test_message ("row at %.0f–%.0f of %d", r.origin.y, r.origin.y + r.size.height,
                  gtk_widget_get_height (GTK_WIDGET (f->window)));
  g_assert_cmpfloat (r.origin.y, >=, 0);
  g_assert_cmpfloat (r.origin.y + r.size.height, <=, gtk_widget_get_height (GTK_WIDGET (f->window)));
}

/* The switcher in the header (there is no bottom bar), every page's
 * button in it and whole. */
static void
assert_switcher_on_top (Fixture *f)
{
  GtkWidget *switcher = (GtkWidget *) gtk_widget_get_template_child (GTK_WIDGET (f->window), POS_TYPE_WINDOW, "switcher");
  GtkWidget *header = gtk_widget_get_ancestor (switcher, ADW_TYPE_HEADER_BAR);
  graphene_rect_t r;
  guint buttons = 0;

  g_assert_true (ADW_IS_VIEW_SWITCHER (switcher));
  assert_fits (switcher, "page switcher");
  g_assert_true (gtk_widget_compute_bounds (switcher, header, &r));
  g_assert_cmpfloat (r.origin.x, >=, 0);
  g_assert_cmpfloat (r.origin.x + r.size.width, <=, gtk_widget_get_width (header));
  for (GtkWidget *c = gtk_widget_get_first_child (switcher); c; c = gtk_widget_get_next_sibling (c))
    for (GtkWidget *b = gtk_widget_get_first_child (c); b; b = gtk_widget_get_next_sibling (b))
      if (gtk_widget_get_visible (b))
        buttons++;
  g_assert_cmpuint (buttons, ==, 8);
}

static void
test_pages (Fixture       *f,
            gconstpointer  data)
{
  static const char *const pages[] = { "checkout", "members", "timed", "returns", "dayend", "stock", "admin", "reports" };

  if (skip_without_display ())
    return;
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      show_page (f, pages[i]);
      if (g_str_equal (pages[i], "members"))
        {
          GtkWidget *members = pos_window_get_members (f->window);

          pos_members_show_card (POS_MEMBERS (members), f->card);
          pump (150);
          /* Packages and history in sight, their first rows whole. */
          assert_in_view (f, (GtkWidget *) gtk_widget_get_template_child (members, POS_TYPE_MEMBERS, "packages_list"));
          assert_in_view (f, (GtkWidget *) gtk_widget_get_template_child (members, POS_TYPE_MEMBERS, "history_list"));
        }
      shot (f, GTK_WIDGET (f->window), pages[i]);
      assert_switcher_on_top (f);
    }
}

/* Any widget of type @name under @w, depth first. */
static GtkWidget *
find_child_of_type (GtkWidget  *w,
                    const char *name)
{
  if (g_str_equal (G_OBJECT_TYPE_NAME (w), name))
    return w;
  for (GtkWidget *c = gtk_widget_get_first_child (w); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *found = find_child_of_type (c, name);

      if (found)
        return found;
    }
  return NULL;
}

/* A cash sale: the toast that says so and the last-sale card don't
 * overlap. */
static void
test_last_sale (Fixture       *f,
                gconstpointer  data)
{
  PosCheckout *checkout;
  GtkWidget *entry, *pay, *last, *toast, *toasts;
  graphene_rect_t a, b;

  if (skip_without_display ())
    return;
  show_page (f, "checkout");
  checkout = POS_CHECKOUT (pos_window_get_checkout (f->window));
  entry = pos_checkout_get_entry (checkout);
  gtk_editable_set_text (GTK_EDITABLE (entry), "6901234567892");
  g_signal_emit_by_name (entry, "activate");
  pump (100);
  gtk_widget_activate_action (GTK_WIDGET (checkout), "checkout.pay", NULL);
  pump (150);
  pay = pos_checkout_get_pay_dialog (checkout);
  g_assert_nonnull (pay);
  shot (f, pay, "pay-dialog");
  assert_nothing_cut (pay, "pay dialog");
  gtk_widget_activate_action (pay, "pay.confirm", NULL);
  pump (300);
  pos_window_toast (f->window, "已收款 ¥3.50，找零 ¥0.00");
  pump (300);
  shot (f, GTK_WIDGET (f->window), "checkout-after-sale");
  last = (GtkWidget *) gtk_widget_get_template_child (GTK_WIDGET (checkout), POS_TYPE_CHECKOUT, "last_box");
  toasts = (GtkWidget *) gtk_widget_get_template_child (GTK_WIDGET (f->window), POS_TYPE_WINDOW, "toasts");
  g_assert_true (gtk_widget_get_visible (last));
  toast = find_child_of_type (toasts, "AdwToastWidget");
  g_assert_nonnull (toast);
  g_assert_true (gtk_widget_compute_bounds (last, GTK_WIDGET (f->window), &a));
  g_assert_true (gtk_widget_compute_bounds (toast, GTK_WIDGET (f->window), &b));
  g_test_message ("last sale %.0f–%.0f, toast %.0f–%.0f", a.origin.y, a.origin.y + a.size.height,
                  b.origin.y, b.origin.y + b.size.height);
  g_assert_false (graphene_rect_intersection (&a, &b, NULL));
}

/* The receipt printer's form (the menu): its printer kinds whole. */
static void
test_printer_form (Fixture       *f,
                   gconstpointer  data)
{
  GtkWidget *form, *kind;

  if (skip_without_display ())
    return;
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.printer", NULL);
  pump (150);
  form = find_toplevel (POS_TYPE_FORM);
  g_assert_nonnull (form);
  shot (f, form, "printer");
  assert_nothing_cut (form, "printer");
  kind = pos_form_get_widget (POS_FORM (form), "kind");
  g_assert_nonnull (kind);
  assert_fits (kind, "printer kind");
  gtk_window_destroy (GTK_WINDOW (form));
  pump (50);
}

/* The header's popovers (the sync state, the main menu): their text in
 * lines, not a character a line. */
static void
test_header_popovers (Fixture       *f,
                      gconstpointer  data)
{
  GtkWidget *sync = (GtkWidget *) gtk_widget_get_template_child (GTK_WIDGET (f->window), POS_TYPE_WINDOW, "sync_button");
  GtkWidget *detail = (GtkWidget *) gtk_widget_get_template_child (GTK_WIDGET (f->window), POS_TYPE_WINDOW, "sync_detail");
  GtkPopover *popover;

  if (skip_without_display ())
    return;
  g_assert_nonnull (sync);
  gtk_menu_button_popup (GTK_MENU_BUTTON (sync));
  pump (200);
  popover = gtk_menu_button_get_popover (GTK_MENU_BUTTON (sync));
  g_assert_true (gtk_widget_get_mapped (GTK_WIDGET (popover)));
  g_test_message ("sync detail: “%s”, %d × %d px", gtk_label_get_text (GTK_LABEL (detail)),
                  gtk_widget_get_width (detail), gtk_widget_get_height (detail));
  shot (f, GTK_WIDGET (popover), "sync-popover");
  /* Some room for a line: at least ten characters wide. */
  g_assert_cmpint (gtk_widget_get_width (detail), >=, 10 * 12);
  gtk_menu_button_popdown (GTK_MENU_BUTTON (sync));
  pump (50);
}

/* The timed board's dialogs: goods on a table, prepaid time, its
 * extension, the payment of a table with goods. */
static void
test_timed_dialogs (Fixture       *f,
                    gconstpointer  data)
{
  PosTimed *timed;
  GtkWidget *w;

  if (skip_without_display ())
    return;
  show_page (f, "timed");
  timed = POS_TIMED (pos_window_get_timed (f->window));
  shot (f, GTK_WIDGET (f->window), "timed-board");

  pos_timed_add_tile (timed, "T1");
  pump (100);
  w = find_toplevel (POS_TYPE_FORM);
  g_assert_nonnull (w);
  shot (f, w, "timed-add");
  assert_nothing_cut (w, "timed-add");
  gtk_window_destroy (GTK_WINDOW (w));
  pump (50);

  pos_timed_activate_tile (timed, "T2");
  pump (100);
  w = find_toplevel (POS_TYPE_FORM);
  g_assert_nonnull (w);
  shot (f, w, "timed-start");
  assert_nothing_cut (w, "timed-start");
  gtk_window_destroy (GTK_WINDOW (w));
  pump (50);

  pos_timed_extend_tile (timed, "K1");
  pump (100);
  w = find_toplevel (POS_TYPE_FORM);
  g_assert_nonnull (w);
  shot (f, w, "timed-extend");
  assert_nothing_cut (w, "timed-extend");
  pos_form_accept (POS_FORM (w));
  pump (150);
  w = find_toplevel (POS_TYPE_PAY_DIALOG);
  g_assert_nonnull (w);
  shot (f, w, "timed-extend-pay");
  assert_nothing_cut (w, "timed-extend-pay");
  gtk_window_destroy (GTK_WINDOW (w));
  pump (50);

  pos_timed_activate_tile (timed, "T1");
  pump (150);
  w = find_toplevel (POS_TYPE_PAY_DIALOG);
  g_assert_nonnull (w);
  shot (f, w, "timed-stop-pay");
  assert_nothing_cut (w, "timed-stop-pay");
  gtk_window_destroy (GTK_WINDOW (w));
  pump (50);
}

int
main (int argc, char **argv)
{
  static const int small[] = { 1024, 768 }, large[] = { 1920, 1080 };
  const char *display = g_getenv ("DISPLAY");

  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  g_setenv ("GDK_DEBUG", "gl-disable", FALSE);
  g_setenv ("GTK_A11Y", "none", FALSE);
  g_setenv ("ADW_DISABLE_PORTAL", "1", TRUE);
  g_setenv ("TZ", "UTC", TRUE);
  /* In Chinese, as cashiers see it. */
  g_setenv ("LANGUAGE", "zh_CN", TRUE);
  g_test_init (&argc, &argv, NULL);
  pos_i18n_init ();
  mdn_branch_init ();
  if (display && *display)
    {
      have_display = gtk_init_check ();
      if (have_display)
        adw_init ();
    }

  g_test_add ("/pos/layout/1024x768/pages", Fixture, small, fixture_set_up, test_pages, fixture_tear_down);
  g_test_add ("/pos/layout/1920x1080/pages", Fixture, large, fixture_set_up, test_pages, fixture_tear_down);
  g_test_add ("/pos/layout/1024x768/timed-dialogs", Fixture, small, fixture_set_up, test_timed_dialogs, fixture_tear_down);
  g_test_add ("/pos/layout/1920x1080/timed-dialogs", Fixture, large, fixture_set_up, test_timed_dialogs,
              fixture_tear_down);
  g_test_add ("/pos/layout/1024x768/last-sale", Fixture, small, fixture_set_up, test_last_sale, fixture_tear_down);
  g_test_add ("/pos/layout/1920x1080/last-sale", Fixture, large, fixture_set_up, test_last_sale, fixture_tear_down);
  g_test_add ("/pos/layout/1024x768/printer", Fixture, small, fixture_set_up, test_printer_form, fixture_tear_down);
  g_test_add ("/pos/layout/1920x1080/printer", Fixture, large, fixture_set_up, test_printer_form, fixture_tear_down);
  g_test_add ("/pos/layout/1024x768/header-popovers", Fixture, small, fixture_set_up, test_header_popovers,
              fixture_tear_down);
  return g_test_run ();
}
