/* test-pos-ui.c: the POS driven through its real widgets, the way a
 * cashier and a scanner drive it (actions, typed entries, the scanner's
 * Enter), with the ledger checked afterwards through the operations.
 * Each flow saves a screenshot next to the test log. The receipt bytes
 * are tested without a display.
 *
 * Run under Xvfb (xvfb-run -a meson test); without a display the UI
 * cases skip. */
#define _GNU_SOURCE
#include <adwaita.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-sync.h"
#include "mdn-test-server.h"
#include "mdn-test-ui.h"
#include "pos-application.h"
#include "pos-checkout.h"
#include "pos-forms.h"
#include "pos-login.h"
#include "pos-members.h"
#include "pos-pay-dialog.h"
#include "pos-receipt.h"
#include "pos-returns.h"
#include "pos-session.h"
#include "pos-timed.h"
#include "pos-window.h"

static gboolean have_display = FALSE;

typedef struct
{
  MdnTestBranch *branch;
  MdnOpCtx      *cashier;
  MdnOpCtx      *manager;
  PosSession    *session;
  PosWindow     *window;
  char          *config;
  char          *receipts;
  char          *card;       /* 张三: gold, PIN 123400, ¥200 */
  char          *qr;
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
  g_assert_true (mdn_test_ui_screenshot (widget, "pos-ui", name));
}

static JsonObject *
run (PosSession *session,
     const char *json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) args = mdn_json_parse_object (json, &error);
  JsonObject *op;
  g_autofree char *name = NULL;
  JsonObject *out;

  g_assert_no_error (error);
  name = g_strdup (json_object_get_string_member (args, "op"));
  op = json_object_ref (args);
  json_object_remove_member (op, "op");
  out = pos_session_run (session, name, op, &error);
  g_assert_no_error (error);
  json_object_unref (op);
  return out;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(JsonObject) m = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *ini = NULL;

  if (!have_display)
    return;
  mdn_test_set_now (NULL);
  f->branch = mdn_test_branch_new ("B01", 1);
  f->cashier = mdn_test_staff (f->branch, "c01", "cashier");
  f->manager = mdn_test_staff (f->branch, "m01", "manager");
  g_clear_pointer (&f->cashier, mdn_op_ctx_free);
  g_clear_pointer (&f->manager, mdn_op_ctx_free);
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"level.upsert\",\"code\":\"gold\",\"name\":\"金卡\","
                                  "\"price_percent\":90,\"points_per_yuan\":2,\"offline_limit_fen\":50000}"));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"deposit_rule.upsert\",\"min_fen\":50000,\"bonus_fen\":5000}"));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"product.upsert\",\"sku\":\"COLA\",\"name\":\"可口可乐 330ml\","
                                  "\"price_fen\":350,\"kind\":\"goods\",\"barcode\":\"6901234567892\"}"));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"product.upsert\",\"sku\":\"TEA\",\"name\":\"东方树叶 500ml\","
                                  "\"price_fen\":500,\"kind\":\"goods\",\"barcode\":\"6901234567908\"}"));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"product.upsert\",\"sku\":\"CUT\",\"name\":\"洗剪吹\","
                                  "\"price_fen\":6800,\"kind\":\"service\"}"));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"product.upsert\",\"sku\":\"CUT10\",\"name\":\"洗剪吹 10 次卡\","
                                  "\"price_fen\":50000,\"kind\":\"package\",\"package_sku\":\"CUT\",\"package_count\":10}"));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"plan.upsert\",\"code\":\"HOUR\",\"name\":\"按小时\","
                                  "\"unit_minutes\":60,\"unit_price_fen\":3000}"));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"resource.upsert\",\"code\":\"T1\",\"name\":\"台球 1 号台\","
                                  "\"plan\":\"HOUR\"}"));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"resource.upsert\",\"code\":\"T2\",\"name\":\"台球 2 号台\","
                                  "\"plan\":\"HOUR\"}"));
  m = mdn_test_ok (f->branch->admin, "{\"op\":\"member.issue\",\"name\":\"张三\",\"phone\":\"13800000001\","
                   "\"level\":\"gold\",\"pin\":\"123400\",\"deposit_fen\":20000}");
  f->card = g_strdup (mdn_test_str (m, "card_no"));
  f->qr = g_strdup (mdn_test_str (m, "qr"));

  f->config = g_build_filename (f->branch->dir, "pos.ini", NULL);
  f->receipts = g_build_filename (f->branch->dir, "receipts.bin", NULL);
  ini = g_strdup_printf ("[pos]\nprinter=file:%s\nprinter-width=32\n", f->receipts);
  g_assert_true (g_file_set_contents (f->config, ini, -1, NULL));
  g_setenv ("MENDIAN_POS_CONFIG", f->config, TRUE);

  f->session = pos_session_new ();
  f->window = pos_window_new (NULL, f->session, f->branch->path);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1024, 768);
  gtk_window_present (GTK_WINDOW (f->window));
  pump (200);
  g_assert_cmpstr (pos_window_get_page (f->window), ==, "login");
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
  g_free (f->receipts);
  g_free (f->card);
  g_free (f->qr);
  g_unsetenv ("MENDIAN_POS_CONFIG");
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
login (Fixture    *f,
       const char *staff)
{
  pos_login_submit (POS_LOGIN (pos_window_get_login (f->window)), staff, MDN_TEST_PASSWORD);
  pump (100);
  g_assert_true (pos_session_is_logged_in (f->session));
  g_assert_cmpstr (pos_window_get_page (f->window), ==, "checkout");
}

/* What a USB scanner does: types the code into the focused entry, then Enter. */
static void
scan (GtkWidget  *entry,
      const char *code)
{
  gtk_editable_set_text (GTK_EDITABLE (entry), code);
  g_signal_emit_by_name (entry, "activate");
  pump (50);
}

static gint64
member_int (Fixture    *f,
            const char *member)
{
  g_autofree char *json = g_strdup_printf ("{\"op\":\"member.show\",\"card\":\"%s\"}", f->card);
  g_autoptr(JsonObject) m = run (f->session, json);

  return json_object_get_int_member (m, member);
}

static gsize
receipt_bytes (Fixture    *f,
               const char *needle)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  g_autofree char *gb = g_convert (needle, -1, "GB18030", "UTF-8", NULL, NULL, NULL);

  /* The receipt is written by a worker thread. */
  for (int i = 0; i < 100 && !g_file_test (f->receipts, G_FILE_TEST_EXISTS); i++)
    pump (20);
  pump (50);
  if (!g_file_get_contents (f->receipts, &data, &len, NULL))
    return 0;
  return memmem (data, len, gb, strlen (gb)) ? len : 0;
}

/* Cash sale ------------------------------------------------------------------ */

static void
test_cash_sale (Fixture       *f,
                gconstpointer  data)
{
  PosCheckout *checkout;
  GtkWidget *entry;
  PosPayDialog *pay;
  g_autoptr(JsonObject) list = NULL;
  JsonArray *receipts;

  if (skip_without_display ())
    return;
  login (f, "c01");
  checkout = POS_CHECKOUT (pos_window_get_checkout (f->window));
  entry = pos_checkout_get_entry (checkout);
  g_assert_true (gtk_widget_has_focus (entry) || gtk_widget_is_focus (entry) ||
                 gtk_widget_get_focus_child (entry) != NULL);

  scan (entry, "6901234567892");        /* cola by barcode */
  scan (entry, "6901234567892");        /* again: quantity 2 */
  scan (entry, "TEA");                  /* by SKU */
  g_assert_cmpuint (pos_checkout_get_n_lines (checkout), ==, 2);
  g_assert_cmpint (pos_checkout_get_total (checkout), ==, 2 * 350 + 500);
  screenshot (GTK_WIDGET (f->window), "cash-sale-lines");

  /* Enter on the empty entry opens the payment with the cash prefilled;
     the customer hands over 20 yuan. */
  scan (entry, "");
  pay = POS_PAY_DIALOG (pos_checkout_get_pay_dialog (checkout));
  g_assert_nonnull (pay);
  pos_pay_dialog_set_tender (pay, "cash", "20");
  pump (50);
  g_assert_cmpint (pos_pay_dialog_get_change (pay), ==, 2000 - 1200);
  screenshot (GTK_WIDGET (pay), "cash-sale-pay");
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.confirm", NULL);
  pump (100);
  g_assert_null (pos_checkout_get_pay_dialog (checkout));
  g_assert_cmpuint (pos_checkout_get_n_lines (checkout), ==, 0);
  g_assert_nonnull (pos_checkout_get_last_receipt (checkout));
  screenshot (GTK_WIDGET (f->window), "cash-sale-done");

  /* The ledger: one sale of 12.00 by c01, receipt printed. */
  list = run (f->session, "{\"op\":\"sale.list\"}");
  receipts = json_object_get_array_member (list, "receipts");
  g_assert_cmpuint (json_array_get_length (receipts), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (receipts, 0), "total_fen"), ==, 1200);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (receipts, 0), "staff"), ==, "c01");
  g_assert_cmpuint (receipt_bytes (f, pos_checkout_get_last_receipt (checkout)), >, 0);
  g_assert_cmpuint (mdn_test_verify (f->branch), ==, 0);
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

static guint
choice_index (GtkWidget  *row,
              const char *suffix)
{
  GListModel *model = adw_combo_row_get_model (ADW_COMBO_ROW (row));

  for (guint i = 0; i < g_list_model_get_n_items (model); i++)
    if (g_str_has_suffix (gtk_string_list_get_string (GTK_STRING_LIST (model), i), suffix))
      return i;
  g_error ("no choice ending in %s", suffix);
  return 0;
}

static void
set_row (GtkWidget  *row,
         const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (row), text);
  pump (30);
}

/* Member sale with PIN --------------------------------------------------------- */

static void
test_member_sale_pin (Fixture       *f,
                      gconstpointer  data)
{
  PosCheckout *checkout;
  GtkWidget *entry;
  PosPayDialog *pay;
  gint64 before;

  if (skip_without_display ())
    return;
  login (f, "c01");
  checkout = POS_CHECKOUT (pos_window_get_checkout (f->window));
  entry = pos_checkout_get_entry (checkout);
  before = member_int (f, "balance_fen");

  scan (entry, f->qr);                  /* the member's QR card */
  scan (entry, "CUT");
  g_assert_cmpuint (pos_checkout_get_n_lines (checkout), ==, 1);
  /* Gold level: 90 % of 68.00, from the sale operation itself. */
  g_assert_cmpint (pos_checkout_get_total (checkout), ==, 6120);
  screenshot (GTK_WIDGET (f->window), "member-sale-lines");

  gtk_widget_activate_action (GTK_WIDGET (checkout), "checkout.pay", NULL);
  pay = POS_PAY_DIALOG (pos_checkout_get_pay_dialog (checkout));
  g_assert_nonnull (pay);
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.fill", "s", "balance");   /* F9 */
  pump (30);
  g_assert_cmpint (pos_pay_dialog_get_change (pay), ==, 0);

  /* A wrong PIN is refused; the dialog stays to try again. */
  pos_pay_dialog_set_pin (pay, "0000");
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.confirm", NULL);
  pump (50);
  g_assert_nonnull (pos_checkout_get_pay_dialog (checkout));
  g_assert_nonnull (pos_pay_dialog_get_error (pay));
  g_assert_cmpint (member_int (f, "balance_fen"), ==, before);
  screenshot (GTK_WIDGET (pay), "member-sale-wrong-pin");

  pos_pay_dialog_set_pin (pay, "123400");
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.confirm", NULL);
  pump (100);
  g_assert_null (pos_checkout_get_pay_dialog (checkout));
  g_assert_cmpint (member_int (f, "balance_fen"), ==, before - 6120);
  g_assert_cmpint (member_int (f, "points"), >, 0);
  screenshot (GTK_WIDGET (f->window), "member-sale-done");
  g_assert_cmpuint (mdn_test_verify (f->branch), ==, 0);
}

/* Spending at a linked branch whose server doesn't answer ---------------------- */

/* A "server" on 127.0.0.1 port 0 that accepts connections and never
 * answers: every request to it waits for its timeout. */
typedef struct
{
  GSocketService *service;
  GPtrArray      *connections;
  char           *url;
} Silent;

static gboolean
silent_incoming (GSocketService    *service,
                 GSocketConnection *connection,
                 GObject           *source,
                 gpointer           user_data)
{
  g_ptr_array_add (user_data, g_object_ref (connection));
  return TRUE;
}

static Silent *
silent_start (void)
{
  Silent *s = g_new0 (Silent, 1);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, 0);
  g_autoptr(GSocketAddress) bound = NULL;
  g_autoptr(GError) error = NULL;

  s->service = g_socket_service_new ();
  s->connections = g_ptr_array_new_with_free_func (g_object_unref);
  g_socket_listener_add_address (G_SOCKET_LISTENER (s->service), addr, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &bound, &error);
  g_assert_no_error (error);
  g_signal_connect (s->service, "incoming", G_CALLBACK (silent_incoming), s->connections);
  g_socket_service_start (s->service);
  s->url = g_strdup_printf ("http://127.0.0.1:%u/",
                            g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (bound)));
  return s;
}

static void
silent_stop (Silent *s)
{
  g_socket_service_stop (s->service);
  g_socket_listener_close (G_SOCKET_LISTENER (s->service));
  for (guint i = 0; i < s->connections->len; i++)
    g_io_stream_close (g_ptr_array_index (s->connections, i), NULL, NULL);
  g_ptr_array_unref (s->connections);
  g_object_unref (s->service);
  g_free (s->url);
  g_free (s);
}

/* The balance as the branch's admin sees it, logged in at the POS or not. */
static gint64
balance_now (Fixture *f)
{
  g_autoptr(JsonObject) m = mdn_test_ok (f->branch->admin, "{\"op\":\"member.show\",\"card\":\"%s\"}", f->card);

  return mdn_test_int (m, "balance_fen");
}

static gboolean
count_tick (gpointer user_data)
{
  (*(guint *) user_data)++;
  return G_SOURCE_CONTINUE;
}

/* Links the branch to @url and pays 张三's 61.20 haircut from the balance
 * with the PIN; returns the pay dialog once the payment has been running
 * for a second, asserting the counter stayed responsive and busy. */
static PosPayDialog *
pay_from_balance_linked (Fixture    *f,
                         const char *url,
                         guint      *ticks)
{
  PosCheckout *checkout;
  GtkWidget *entry;
  PosPayDialog *pay;

  mdn_test_link (f->branch, url, "0123456789abcdef0123456789abcdef0123456789abcdef");
  login (f, "c01");
  checkout = POS_CHECKOUT (pos_window_get_checkout (f->window));
  entry = pos_checkout_get_entry (checkout);
  scan (entry, f->card);
  scan (entry, "CUT");
  g_assert_cmpint (pos_checkout_get_total (checkout), ==, 6120);
  gtk_widget_activate_action (GTK_WIDGET (checkout), "checkout.pay", NULL);
  pay = POS_PAY_DIALOG (pos_checkout_get_pay_dialog (checkout));
  g_assert_nonnull (pay);
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.fill", "s", "balance");
  pos_pay_dialog_set_pin (pay, "123400");
  pump (30);
  g_assert_null (pos_pay_dialog_get_busy (pay));

  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.confirm", NULL);
  /* Head office is asked from a worker: the confirm returns at once and the
     main loop goes on (a timer fires while the server is silent)... */
  g_assert_true (pos_pay_dialog_is_busy (pay));
  *ticks = 0;
  {
    guint id = g_timeout_add (50, count_tick, ticks);

    pump (1000);
    g_source_remove (id);
  }
  g_assert_cmpuint (*ticks, >=, 10);
  /* ...while the dialog says what it waits for. */
  g_assert_true (pos_pay_dialog_is_busy (pay));
  g_assert_nonnull (pos_pay_dialog_get_busy (pay));
  g_assert_nonnull (strstr (pos_pay_dialog_get_busy (pay), "head office"));
  g_assert_true (pos_checkout_get_pay_dialog (checkout) == GTK_WIDGET (pay));
  screenshot (GTK_WIDGET (pay), "offline-sale-busy");

  /* Esc doesn't drop a payment that may be committing; nor does a second
     confirm start another. */
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.escape", NULL);
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.confirm", NULL);   /* counted below: one sale */
  pump (50);
  g_assert_true (pos_checkout_get_pay_dialog (checkout) == GTK_WIDGET (pay));
  g_assert_nonnull (pos_pay_dialog_get_busy (pay));
  return pay;
}

/* Waits (the main loop running) until the payment's outcome is in. */
static void
wait_not_busy (PosPayDialog *pay)
{
  g_object_ref (pay);
  for (int i = 0; i < 1000 && pos_pay_dialog_is_busy (pay); i++)
    pump (20);
  g_assert_false (pos_pay_dialog_is_busy (pay));
  pump (50);
  g_object_unref (pay);
}

static void
test_offline_sale (Fixture       *f,
                   gconstpointer  data)
{
  Silent *server;
  PosPayDialog *pay;
  PosCheckout *checkout;
  guint ticks = 0;
  gint64 before;
  gint64 t0;

  if (skip_without_display ())
    return;
  server = silent_start ();
  before = balance_now (f);
  t0 = g_get_monotonic_time ();
  pay = pay_from_balance_linked (f, server->url, &ticks);
  wait_not_busy (pay);
  /* The state request timed out (3 s): the spend went offline, within the
     gold level's 500.00 a day. */
  g_assert_cmpint (g_get_monotonic_time () - t0, >=, (MDN_SPEND_TIMEOUT_S - 1) * G_USEC_PER_SEC);
  checkout = POS_CHECKOUT (pos_window_get_checkout (f->window));
  g_assert_null (pos_checkout_get_pay_dialog (checkout));
  g_assert_cmpuint (pos_checkout_get_n_lines (checkout), ==, 0);
  g_assert_nonnull (pos_checkout_get_last_receipt (checkout));
  g_assert_nonnull (pos_window_get_last_toast (f->window));
  g_assert_true (g_str_has_prefix (pos_window_get_last_toast (f->window), "Offline spending:"));
  screenshot (GTK_WIDGET (f->window), "offline-sale-done");

  /* The ledger: one sale, from the balance, marked offline. */
  g_assert_cmpint (balance_now (f), ==, before - 6120);
  g_assert_cmpint (mdn_test_count (f->branch, "SELECT COUNT(*) FROM entries WHERE kind = 'sale' "
                                   "AND json_extract (body, '$.offline') = 1"), ==, 1);
  g_assert_cmpint (mdn_test_count (f->branch, "SELECT COUNT(*) FROM entries WHERE kind = 'sale'"), ==, 1);
  g_assert_cmpuint (mdn_test_verify (f->branch), ==, 0);
  silent_stop (server);
}

static void
test_offline_refused (Fixture       *f,
                      gconstpointer  data)
{
  Silent *server;
  PosPayDialog *pay;
  PosCheckout *checkout;
  guint ticks = 0;
  gint64 before;

  if (skip_without_display ())
    return;
  /* A level with no offline allowance. */
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"level.upsert\",\"code\":\"gold\",\"name\":\"金卡\","
                                  "\"price_percent\":90,\"points_per_yuan\":2,\"offline_limit_fen\":0}"));
  server = silent_start ();
  before = balance_now (f);
  pay = pay_from_balance_linked (f, server->url, &ticks);
  wait_not_busy (pay);

  /* Refused: the dialog stays with the reason, nothing is written. */
  checkout = POS_CHECKOUT (pos_window_get_checkout (f->window));
  g_assert_true (pos_checkout_get_pay_dialog (checkout) == GTK_WIDGET (pay));
  g_assert_nonnull (pos_pay_dialog_get_error (pay));
  g_assert_nonnull (strstr (pos_pay_dialog_get_error (pay), "offline"));
  g_assert_nonnull (strstr (pos_pay_dialog_get_error (pay), f->card));
  screenshot (GTK_WIDGET (pay), "offline-sale-refused");
  g_assert_cmpint (balance_now (f), ==, before);
  g_assert_cmpint (mdn_test_count (f->branch, "SELECT COUNT(*) FROM entries WHERE kind = 'sale'"), ==, 0);
  g_assert_cmpuint (pos_checkout_get_n_lines (checkout), ==, 1);

  /* Paid another way, it goes through at once (no card spend, no server). */
  pos_pay_dialog_set_tender (pay, "balance", "");
  pos_pay_dialog_set_tender (pay, "cash", "61.20");
  pump (30);
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.confirm", NULL);
  pump (100);
  g_assert_null (pos_checkout_get_pay_dialog (checkout));
  g_assert_cmpint (mdn_test_count (f->branch, "SELECT COUNT(*) FROM entries WHERE kind = 'sale'"), ==, 1);
  g_assert_cmpint (balance_now (f), ==, before);
  g_assert_cmpuint (mdn_test_verify (f->branch), ==, 0);
  silent_stop (server);
}

/* A package use at a linked branch whose server doesn't answer: the form
 * waits for head office with the counter live, then the use goes offline
 * (the gold level allows offline spending). */
static void
test_offline_package (Fixture       *f,
                      gconstpointer  data)
{
  Silent *server;
  PosCheckout *checkout;
  PosMembers *members;
  PosPayDialog *pay;
  PosForm *form;
  GtkWidget *entry;
  guint ticks = 0;
  g_autofree char *json = NULL;
  g_autoptr(JsonObject) m = NULL;

  if (skip_without_display ())
    return;
  server = silent_start ();
  mdn_test_link (f->branch, server->url, "0123456789abcdef0123456789abcdef0123456789abcdef");
  login (f, "c01");
  checkout = POS_CHECKOUT (pos_window_get_checkout (f->window));
  entry = pos_checkout_get_entry (checkout);
  /* Bought with WeChat: nothing taken from the card, so the server is not
     asked and it goes through at once. */
  scan (entry, f->card);
  scan (entry, "CUT10");
  gtk_widget_activate_action (GTK_WIDGET (checkout), "checkout.pay", NULL);
  pay = POS_PAY_DIALOG (pos_checkout_get_pay_dialog (checkout));
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.fill", "s", "wechat");
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.confirm", NULL);
  pump (300);
  g_assert_null (pos_checkout_get_pay_dialog (checkout));

  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.page", "s", "members");
  members = POS_MEMBERS (pos_window_get_members (f->window));
  scan (pos_members_get_search_entry (members), f->card);
  gtk_widget_activate_action (GTK_WIDGET (members), "member.consume", NULL);
  pump (50);
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  g_assert_nonnull (form);
  g_object_ref (form);
  set_row (pos_form_get_widget (form, "count"), "1");
  pos_form_accept (form);
  g_assert_true (pos_form_is_busy (form));
  {
    guint id = g_timeout_add (50, count_tick, &ticks);

    pump (1000);
    g_source_remove (id);
  }
  g_assert_cmpuint (ticks, >=, 10);
  g_assert_nonnull (pos_form_get_busy (form));
  /* Esc doesn't drop it. */
  gtk_widget_activate_action (GTK_WIDGET (form), "form.cancel", NULL);
  pump (20);
  g_assert_true (find_toplevel (POS_TYPE_FORM) == GTK_WIDGET (form));
  for (int i = 0; i < 1000 && pos_form_is_busy (form); i++)
    pump (20);
  pump (50);
  g_assert_null (pos_form_get_error (form));
  g_assert_null (find_toplevel (POS_TYPE_FORM));
  g_object_unref (form);
  g_assert_true (g_str_has_prefix (pos_window_get_last_toast (f->window), "Offline spending:"));

  json = g_strdup_printf ("{\"op\":\"member.show\",\"card\":\"%s\"}", f->card);
  m = run (f->session, json);
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (
                     json_object_get_array_member (m, "packages"), 0), "remaining"), ==, 9);
  g_assert_cmpint (mdn_test_count (f->branch, "SELECT COUNT(*) FROM entries WHERE kind = 'package.consume' "
                                   "AND json_extract (body, '$.offline') = 1"), ==, 1);
  g_assert_cmpuint (mdn_test_verify (f->branch), ==, 0);
  silent_stop (server);
}

/* Deposit with bonus ------------------------------------------------------------- */

static void
test_deposit_bonus (Fixture       *f,
                    gconstpointer  data)
{
  PosMembers *members;
  PosForm *form;
  gint64 before, bonus_before;

  if (skip_without_display ())
    return;
  login (f, "c01");
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.page", "s", "members");
  pump (50);
  members = POS_MEMBERS (pos_window_get_members (f->window));
  /* The scanner types the card into the search entry and presses Enter. */
  scan (pos_members_get_search_entry (members), f->card);
  g_assert_cmpstr (pos_members_get_card (members), ==, f->card);
  before = member_int (f, "balance_fen");
  bonus_before = member_int (f, "bonus_fen");

  gtk_widget_activate_action (GTK_WIDGET (members), "member.deposit", NULL);
  pump (50);
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  g_assert_nonnull (form);
  set_row (pos_form_get_widget (form, "amount"), "500");
  /* The bonus of the deposit rules shows before confirming. */
  g_assert_nonnull (strstr (pos_form_get_hint (form), "50.00"));
  screenshot (GTK_WIDGET (form), "deposit-bonus-preview");
  pos_form_accept (form);
  pump (100);
  g_assert_cmpint (member_int (f, "balance_fen"), ==, before + 55000);
  g_assert_cmpint (member_int (f, "bonus_fen"), ==, bonus_before + 5000);
  screenshot (GTK_WIDGET (f->window), "member-page");
  g_assert_cmpuint (receipt_bytes (f, "550.00") + receipt_bytes (f, "500.00"), >, 0);
  g_assert_cmpuint (mdn_test_verify (f->branch), ==, 0);
}

/* Package consumption ------------------------------------------------------------- */

static void
test_package_consume (Fixture       *f,
                      gconstpointer  data)
{
  PosCheckout *checkout;
  PosMembers *members;
  PosPayDialog *pay;
  PosForm *form;
  GtkWidget *entry;
  g_autofree char *json = NULL;
  g_autoptr(JsonObject) m = NULL;
  JsonArray *packages;

  if (skip_without_display ())
    return;
  login (f, "c01");
  checkout = POS_CHECKOUT (pos_window_get_checkout (f->window));
  entry = pos_checkout_get_entry (checkout);
  /* Sell the 10-use package to the member, paid by WeChat. */
  scan (entry, f->card);
  scan (entry, "CUT10");
  gtk_widget_activate_action (GTK_WIDGET (checkout), "checkout.pay", NULL);
  pay = POS_PAY_DIALOG (pos_checkout_get_pay_dialog (checkout));
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.fill", "s", "wechat");
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.confirm", NULL);
  pump (100);
  g_assert_null (pos_checkout_get_pay_dialog (checkout));

  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.page", "s", "members");
  members = POS_MEMBERS (pos_window_get_members (f->window));
  scan (pos_members_get_search_entry (members), f->card);
  gtk_widget_activate_action (GTK_WIDGET (members), "member.consume", NULL);   /* Ctrl+U */
  pump (50);
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  g_assert_nonnull (form);
  set_row (pos_form_get_widget (form, "count"), "2");
  /* The stylist m01 gave the service (who served, for commission). */
  {
    GtkWidget *row = pos_form_get_widget (form, "staff");

    adw_combo_row_set_selected (ADW_COMBO_ROW (row), choice_index (row, "(m01)"));
  }
  pos_form_accept (form);
  pump (100);
  g_assert_null (find_toplevel (POS_TYPE_FORM));
  screenshot (GTK_WIDGET (f->window), "package-consumed");

  json = g_strdup_printf ("{\"op\":\"member.show\",\"card\":\"%s\"}", f->card);
  m = run (f->session, json);
  packages = json_object_get_array_member (m, "packages");
  g_assert_cmpuint (json_array_get_length (packages), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (packages, 0), "sku"), ==, "CUT");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (packages, 0), "remaining"), ==, 8);
  g_assert_cmpint (mdn_test_count (f->branch, "SELECT COUNT(*) FROM entries WHERE kind = 'package.consume' AND "
                                   "json_extract (body, '$.staff') = 'm01'"), ==, 1);
  g_assert_cmpuint (mdn_test_verify (f->branch), ==, 0);
}

/* Timed session -------------------------------------------------------------------- */

static void
test_timed_session (Fixture       *f,
                    gconstpointer  data)
{
  PosTimed *timed;
  PosForm *form;
  PosPayDialog *pay;
  g_autoptr(JsonObject) list = NULL;
  g_autoptr(JsonObject) sales = NULL;
  JsonArray *receipts;

  if (skip_without_display ())
    return;
  login (f, "c01");
  mdn_test_set_now ("2026-11-22T10:00:00+08:00");
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.page", "s", "timed");
  pump (50);
  timed = POS_TIMED (pos_window_get_timed (f->window));
  g_assert_cmpuint (pos_timed_get_n_tiles (timed), ==, 2);

  pos_timed_activate_tile (timed, "T1");
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  g_assert_nonnull (form);
  set_row (pos_form_get_widget (form, "card"), f->card);
  pos_form_accept (form);
  pump (50);
  list = run (f->session, "{\"op\":\"timed.list\"}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list, "sessions")), ==, 1);
  /* Whose card it runs on, by name. */
  {
    JsonObject *ses = json_array_get_object_element (json_object_get_array_member (list, "sessions"), 0);

    g_assert_cmpstr (json_object_get_string_member (ses, "member_name"), ==, "张三");
    g_assert_cmpstr (json_object_get_string_member (ses, "card_no"), ==, f->card);
  }

  /* An hour and a half later: two started hours at 30.00, gold 90 %. */
  mdn_test_set_now ("2026-11-22T11:30:00+08:00");
  pos_timed_shown (timed);
  g_assert_nonnull (strstr (pos_timed_get_tile_state (timed, "T1"), "张三"));
  g_assert_null (strstr (pos_timed_get_tile_state (timed, "T2"), "张三"));
  screenshot (GTK_WIDGET (f->window), "timed-board");
  pos_timed_activate_tile (timed, "T1");
  pump (50);
  pay = POS_PAY_DIALOG (find_toplevel (POS_TYPE_PAY_DIALOG));
  g_assert_nonnull (pay);
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.confirm", NULL);   /* cash, exact */
  pump (100);
  g_assert_null (find_toplevel (POS_TYPE_PAY_DIALOG));
  g_clear_pointer (&list, json_object_unref);
  list = run (f->session, "{\"op\":\"timed.list\"}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list, "sessions")), ==, 0);
  sales = run (f->session, "{\"op\":\"sale.list\"}");
  receipts = json_object_get_array_member (sales, "receipts");
  g_assert_cmpuint (json_array_get_length (receipts), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (receipts, 0), "kind"), ==, "timed.stop");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (receipts, 0), "total_fen"), >, 0);
  mdn_test_set_now (NULL);
  g_assert_cmpuint (mdn_test_verify (f->branch), ==, 0);
}

/* A walk-in table: started with the card field left empty. The empty text
 * of a fresh entry is a string GTK keeps in read-only memory; the start
 * used to strip it in place and crashed. */
static void
test_timed_start_without_card (Fixture       *f,
                               gconstpointer  data)
{
  PosTimed *timed;
  PosForm *form;
  g_autoptr(JsonObject) list = NULL;
  JsonObject *ses;

  if (skip_without_display ())
    return;
  login (f, "c01");
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.page", "s", "timed");
  pump (50);
  timed = POS_TIMED (pos_window_get_timed (f->window));
  pos_timed_activate_tile (timed, "T2");
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  g_assert_nonnull (form);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (pos_form_get_widget (form, "card"))), ==, "");
  pos_form_accept (form);
  pump (50);
  g_assert_null (find_toplevel (POS_TYPE_FORM));
  list = run (f->session, "{\"op\":\"timed.list\"}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list, "sessions")), ==, 1);
  ses = json_array_get_object_element (json_object_get_array_member (list, "sessions"), 0);
  g_assert_cmpstr (json_object_get_string_member (ses, "resource"), ==, "T2");
  g_assert_false (json_object_has_member (ses, "card_no") &&
                  json_object_get_string_member (ses, "card_no") != NULL);
  screenshot (GTK_WIDGET (f->window), "timed-walk-in");

  /* A card typed with blanks around it (a scanner's, a paste) is found. */
  pos_timed_activate_tile (timed, "T1");
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  g_assert_nonnull (form);
  {
    g_autofree char *padded = g_strdup_printf ("  %s ", f->card);

    set_row (pos_form_get_widget (form, "card"), padded);
  }
  pos_form_accept (form);
  pump (50);
  g_assert_null (find_toplevel (POS_TYPE_FORM));
  g_clear_pointer (&list, json_object_unref);
  list = run (f->session, "{\"op\":\"timed.list\"}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list, "sessions")), ==, 2);
  g_assert_cmpuint (mdn_test_verify (f->branch), ==, 0);
}

/* Printer settings: "No printer" with the address left empty (crashed the
 * same way), a network printer typed with blanks, and a device file
 * missing its path (refused, the dialog stays). */
static void
test_printer_settings (Fixture       *f,
                       gconstpointer  data)
{
  PosForm *form;
  g_autofree char *target = NULL;

  if (skip_without_display ())
    return;
  login (f, "c01");
  g_assert_true (pos_session_set_setting (f->session, "printer", "none", NULL));

  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.printer", NULL);
  pump (50);
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  g_assert_nonnull (form);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (pos_form_get_widget (form, "address"))), ==, "");
  pos_form_accept (form);
  pump (50);
  g_assert_null (find_toplevel (POS_TYPE_FORM));
  target = pos_session_dup_setting (f->session, "printer");
  g_assert_cmpstr (target, ==, "none");
  g_clear_pointer (&target, g_free);

  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.printer", NULL);
  pump (50);
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  g_assert_nonnull (form);
  adw_combo_row_set_selected (ADW_COMBO_ROW (pos_form_get_widget (form, "kind")), 2);
  set_row (pos_form_get_widget (form, "address"), " 192.168.1.50:9100  ");
  pos_form_accept (form);
  pump (50);
  g_assert_null (find_toplevel (POS_TYPE_FORM));
  target = pos_session_dup_setting (f->session, "printer");
  g_assert_cmpstr (target, ==, "tcp:192.168.1.50:9100");
  g_clear_pointer (&target, g_free);

  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.printer", NULL);
  pump (50);
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  g_assert_nonnull (form);
  adw_combo_row_set_selected (ADW_COMBO_ROW (pos_form_get_widget (form, "kind")), 1);
  set_row (pos_form_get_widget (form, "address"), "   ");
  pos_form_accept (form);
  pump (50);
  g_assert_true (find_toplevel (POS_TYPE_FORM) == GTK_WIDGET (form));
  g_assert_nonnull (pos_form_get_error (form));
  /* What the cashier typed is still there, untouched. */
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (pos_form_get_widget (form, "address"))), ==, "   ");
  screenshot (GTK_WIDGET (form), "printer-settings");
  gtk_window_close (GTK_WINDOW (form));
  pump (50);
  target = pos_session_dup_setting (f->session, "printer");
  g_assert_cmpstr (target, ==, "tcp:192.168.1.50:9100");
}

/* Return ------------------------------------------------------------------------------ */

static void
test_return (Fixture       *f,
             gconstpointer  data)
{
  PosCheckout *checkout;
  PosReturns *returns;
  PosPayDialog *pay;
  GtkWidget *entry;
  g_autofree char *receipt = NULL;
  g_autofree char *json = NULL;
  g_autoptr(JsonObject) shown = NULL;
  g_autoptr(JsonObject) shift = NULL;

  if (skip_without_display ())
    return;
  login (f, "c01");
  checkout = POS_CHECKOUT (pos_window_get_checkout (f->window));
  entry = pos_checkout_get_entry (checkout);
  scan (entry, "3*COLA");
  scan (entry, "TEA");
  scan (entry, "");
  pay = POS_PAY_DIALOG (pos_checkout_get_pay_dialog (checkout));
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.confirm", NULL);
  pump (100);
  receipt = g_strdup (pos_checkout_get_last_receipt (checkout));
  g_assert_nonnull (receipt);

  /* A cashier may not return: the manager switches in. */
  g_assert_false (pos_session_can (f->session, "sale.return"));
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.switch-cashier", NULL);
  pump (50);
  g_assert_cmpstr (pos_window_get_page (f->window), ==, "login");
  login (f, "m01");
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.page", "s", "returns");
  pump (50);
  returns = POS_RETURNS (pos_window_get_returns (f->window));
  scan (pos_returns_get_entry (returns), receipt);     /* the receipt's barcode */
  screenshot (GTK_WIDGET (f->window), "return-preview");
  pos_returns_confirm_now (returns);
  pump (100);

  json = g_strdup_printf ("{\"op\":\"receipt.show\",\"receipt_no\":\"%s\"}", receipt);
  shown = run (f->session, json);
  g_assert_cmpint (json_object_get_int_member (shown, "refunded_fen"), ==, 3 * 350 + 500);
  g_assert_cmpint (json_object_get_int_member (shown, "refundable_fen"), ==, 0);

  /* Day end: the manager's shift paid the refund back; the cashier's took the sale. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.page", "s", "dayend");
  shift = run (f->session, "{\"op\":\"report.shift\",\"staff\":\"m01\"}");
  g_assert_cmpint (json_object_get_int_member (shift, "net_fen"), ==, -(3 * 350 + 500));
  g_clear_pointer (&shift, json_object_unref);
  shift = run (f->session, "{\"op\":\"report.shift\",\"staff\":\"c01\"}");
  g_assert_cmpint (json_object_get_int_member (shift, "net_fen"), ==, 3 * 350 + 500);
  screenshot (GTK_WIDGET (f->window), "day-end");
  g_assert_cmpuint (mdn_test_verify (f->branch), ==, 0);
}

/* Lock screen and errors ---------------------------------------------------------------- */

static void
test_lock_and_errors (Fixture       *f,
                      gconstpointer  data)
{
  PosCheckout *checkout;
  GtkWidget *entry;

  if (skip_without_display ())
    return;
  /* A wrong password keeps the login page. */
  pos_login_submit (POS_LOGIN (pos_window_get_login (f->window)), "c01", "wrong-password");
  pump (50);
  g_assert_false (pos_session_is_logged_in (f->session));
  g_assert_cmpstr (pos_window_get_page (f->window), ==, "login");
  login (f, "c01");
  checkout = POS_CHECKOUT (pos_window_get_checkout (f->window));
  entry = pos_checkout_get_entry (checkout);
  scan (entry, "NO-SUCH-THING");
  g_assert_cmpuint (pos_checkout_get_n_lines (checkout), ==, 0);
  scan (entry, "COLA");
  screenshot (GTK_WIDGET (f->window), "unknown-code");

  /* Locking keeps the sale on the counter for the same cashier. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.lock", NULL);
  pump (50);
  g_assert_false (pos_session_is_logged_in (f->session));
  g_assert_cmpstr (pos_window_get_page (f->window), ==, "login");
  screenshot (GTK_WIDGET (f->window), "locked");
  login (f, "c01");
  g_assert_cmpuint (pos_checkout_get_n_lines (checkout), ==, 1);
  /* The lock and the unlock are in the operation log. */
  g_assert_cmpint (mdn_test_count (f->branch, "SELECT count (*) FROM oplog WHERE op = 'lock' AND staff = 'c01'"), ==, 1);
  g_assert_cmpint (mdn_test_count (f->branch, "SELECT count (*) FROM oplog WHERE op = 'unlock' AND staff = 'c01'"), ==, 1);
}

/* Link to a head-office server ------------------------------------------------------ */

/* Waits until the header's sync status is @state (online, offline…). */
static gboolean
wait_sync_state (Fixture    *f,
                 const char *state)
{
  for (int i = 0; i < 500; i++)
    {
      if (g_str_equal (pos_window_get_sync_state (f->window), state))
        return TRUE;
      pump (20);
    }
  g_test_message ("sync status: %s", pos_window_get_sync_status (f->window));
  return FALSE;
}

/* Linking after the first run: Menu → Head-Office Server… (admin only)
 * stores the link with mdn_sync_link and syncs at once; the header follows.
 * With MENDIAN_SERVER set, against a real server on loopback. */
static void
test_link_server (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(MdnTestServer) server = NULL;
  g_autoptr(JsonObject) backlog = NULL;
  g_autofree char *url = NULL;
  g_autofree char *token = NULL;
  PosForm *form;

  if (skip_without_display ())
    return;
  login (f, "c01");
  g_assert_cmpstr (pos_window_get_sync_state (f->window), ==, "standalone");

  /* A cashier can't: the menu item is hidden and the action does nothing. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.link", NULL);
  pump (50);
  g_assert_null (find_toplevel (POS_TYPE_FORM));

  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.switch-cashier", NULL);
  pump (50);
  login (f, "admin");
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.link", NULL);
  pump (50);
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  g_assert_nonnull (form);

  /* Not a server address: refused in the dialog, nothing stored. */
  set_row (pos_form_get_widget (form, "url"), "ftp://hq.example.com/");
  set_row (pos_form_get_widget (form, "token"), "0123456789abcdef0123456789abcdef0123456789abcdef");
  pos_form_accept (form);
  pump (50);
  g_assert_true (find_toplevel (POS_TYPE_FORM) == GTK_WIDGET (form));
  backlog = run (f->session, "{\"op\":\"sync.status\"}");
  g_assert_false (json_object_get_boolean_member (backlog, "linked"));
  g_clear_pointer (&backlog, json_object_unref);

  if (g_getenv ("MENDIAN_SERVER"))
    {
      /* A real mendian-server on 127.0.0.1 port 0 with branch B01 registered. */
      server = mdn_test_server_init ("pos-ui");
      token = g_strdup (mdn_test_server_add_branch (server, "B01", 1, FALSE));
      mdn_test_server_start (server, NULL);
      url = g_strdup (server->url);
    }
  else
    {
      /* Nothing listens on the discard port: linked, but offline. */
      url = g_strdup ("http://127.0.0.1:9/");
      token = g_strdup ("0123456789abcdef0123456789abcdef0123456789abcdef");
    }
  set_row (pos_form_get_widget (form, "url"), url);
  set_row (pos_form_get_widget (form, "token"), token);
  screenshot (GTK_WIDGET (form), "link-dialog");
  pos_form_accept (form);
  pump (50);
  g_assert_null (find_toplevel (POS_TYPE_FORM));

  backlog = run (f->session, "{\"op\":\"sync.status\"}");
  g_assert_true (json_object_get_boolean_member (backlog, "linked"));
  g_assert_cmpstr (json_object_get_string_member (backlog, "server"), ==, url);
  g_clear_pointer (&backlog, json_object_unref);

  if (server == NULL)
    {
      g_assert_true (wait_sync_state (f, "offline"));
      return;
    }
  /* The first sync runs at once: every entry of the branch reaches the server. */
  g_assert_true (wait_sync_state (f, "online"));
  backlog = run (f->session, "{\"op\":\"sync.status\"}");
  g_assert_cmpint (json_object_get_int_member (backlog, "waiting"), ==, 0);
  g_assert_cmpint (json_object_get_int_member (backlog, "acked_seq"), ==,
                   json_object_get_int_member (backlog, "last_seq"));
  g_assert_cmpint (json_object_get_int_member (backlog, "last_seq"), >, 5);
  screenshot (GTK_WIDGET (f->window), "linked");

  /* Opened again: the address is shown; an empty token keeps the one stored. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.link", NULL);
  pump (50);
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  g_assert_nonnull (form);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (pos_form_get_widget (form, "url"))), ==, url);
  pos_form_accept (form);
  pump (50);
  g_assert_null (find_toplevel (POS_TYPE_FORM));
  g_assert_true (wait_sync_state (f, "online"));

  /* The server stops: the header says so; selling goes on. */
  mdn_test_server_stop (server, SIGTERM);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.link", NULL);
  pump (50);
  pos_form_accept (POS_FORM (find_toplevel (POS_TYPE_FORM)));
  g_assert_true (wait_sync_state (f, "offline"));
  g_assert_cmpuint (mdn_test_verify (f->branch), ==, 0);
}

/* Receipt bytes (no display) ----------------------------------------------------- */

static void
test_receipt_escpos (void)
{
  g_autoptr(PosReceipt) r = pos_receipt_new (32);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  const guint8 *p;
  gsize len;
  g_autofree char *gb_name = g_convert ("可口可乐", -1, "GB18030", "UTF-8", NULL, NULL, NULL);
  static const guint8 init[] = { 0x1b, '@', 0x1c, '&' };
  static const guint8 cut_kick[] = { 0x1b, 'd', 4, 0x1d, 'V', 66, 0, 0x1b, 'p', 0, 25, 250 };
  static const guint8 barcode[] = { 0x1d, 'k', 73, 12, '{', 'B', 'R', '0', '1', '-', '0', '0', '0', '1', '2', '3' };

  pos_receipt_add_title (r, "一号店");
  pos_receipt_add_item (r, "可口可乐", 2, 350, 700);
  pos_receipt_add_money (r, "合计", 700);
  pos_receipt_add_barcode (r, "R01-0001");
  pos_receipt_set_drawer (r, TRUE);
  bytes = pos_receipt_render_escpos (r, &error);
  g_assert_no_error (error);
  p = g_bytes_get_data (bytes, &len);

  /* ESC @ and Chinese mode first; feed, GS V cut and ESC p drawer kick last. */
  g_assert_cmpmem (p, sizeof init, init, sizeof init);
  g_assert_cmpmem (p + len - sizeof cut_kick, sizeof cut_kick, cut_kick, sizeof cut_kick);
  /* GB18030 text, not UTF-8. */
  g_assert_nonnull (memmem (p, len, gb_name, strlen (gb_name)));
  g_assert_null (memmem (p, len, "可口可乐", strlen ("可口可乐")));
  (void) barcode;
  g_assert_nonnull (memmem (p, len, "{BR01-0001", 10));

  /* Columns: CJK characters count two; pairs fill the line exactly. */
  g_assert_cmpint (pos_text_width ("可口可乐 x2"), ==, 11);
  text = pos_receipt_render_text (r);
  {
    g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
    gboolean found = FALSE;

    for (guint i = 0; lines[i]; i++)
      if (g_str_has_prefix (lines[i], "合计"))
        {
          g_assert_cmpint (pos_text_width (lines[i]), ==, 32);
          g_assert_true (g_str_has_suffix (lines[i], "7.00"));
          found = TRUE;
        }
    g_assert_true (found);
  }

  /* Without a cash tender, no drawer kick. */
  {
    g_autoptr(PosReceipt) r2 = pos_receipt_new (48);
    g_autoptr(GBytes) b2 = NULL;
    static const guint8 cut[] = { 0x1d, 'V', 66, 0 };

    pos_receipt_add_text (r2, "x");
    b2 = pos_receipt_render_escpos (r2, &error);
    g_assert_no_error (error);
    p = g_bytes_get_data (b2, &len);
    g_assert_cmpmem (p + len - sizeof cut, sizeof cut, cut, sizeof cut);
  }
}

static void
test_receipt_sale (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) sale = mdn_json_parse_object (
    "{\"receipt_no\":\"B01-20261122-0001\",\"list_total_fen\":1200,\"total_fen\":1080,"
    "\"discount_fen\":120,\"change_fen\":920,\"points_earned\":20,"
    "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":1080}],\"card_no\":\"00100000017\","
    "\"balance_fen\":20000,\"points\":20}", &error);
  g_autoptr(JsonObject) holder = mdn_json_parse_object (
    "{\"lines\":[{\"name\":\"可口可乐\",\"qty\":2,\"price_fen\":350,\"total_fen\":630},"
    "{\"name\":\"东方树叶 500ml\",\"qty\":1,\"price_fen\":500,\"total_fen\":450}]}", &error);
  g_autoptr(PosReceipt) r = pos_receipt_for_sale (32, "一号店", "c01", "2026-11-22 10:00", sale,
                                                   json_object_get_array_member (holder, "lines"));
  g_autofree char *text = pos_receipt_render_text (r);
  g_autoptr(GBytes) bytes = pos_receipt_render_escpos (r, &error);
  static const guint8 kick[] = { 0x1b, 'p', 0, 25, 250 };
  gsize len;
  const guint8 *p = g_bytes_get_data (bytes, &len);

  g_assert_no_error (error);
  g_assert_nonnull (strstr (text, "B01-20261122-0001"));
  g_assert_nonnull (strstr (text, "10.80"));
  g_assert_nonnull (strstr (text, "9.20"));       /* change */
  g_assert_nonnull (strstr (text, "-1.20"));      /* member discount */
  g_assert_nonnull (strstr (text, "00100000017"));
  /* A cash sale opens the drawer. */
  g_assert_cmpmem (p + len - sizeof kick, sizeof kick, kick, sizeof kick);
  {
    g_auto(GStrv) lines = g_strsplit (text, "\n", -1);

    for (guint i = 0; lines[i]; i++)
      g_assert_cmpint (pos_text_width (lines[i]), <=, 32);
  }
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

/* Who served a line (Ctrl+T) ---------------------------------------------------- */

static void
test_served_by (Fixture       *f,
                gconstpointer  data)
{
  PosCheckout *checkout;
  GtkWidget *entry, *row;
  PosPayDialog *pay;
  PosForm *form;
  g_autoptr(JsonObject) c = NULL;

  if (skip_without_display ())
    return;
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"commission_rule.upsert\",\"code\":\"R-CUT\","
                                  "\"name\":\"剪发提成\",\"applies_to\":{\"kind\":\"sale_line\",\"sku\":\"CUT\"},"
                                  "\"base\":\"paid\",\"percent_bp\":1000}"));
  login (f, "c01");
  checkout = POS_CHECKOUT (pos_window_get_checkout (f->window));
  entry = pos_checkout_get_entry (checkout);
  scan (entry, "CUT");
  scan (entry, "6901234567892");
  /* Up to the haircut, Ctrl+T: the stylist m01 cut the hair. */
  gtk_widget_activate_action (GTK_WIDGET (checkout), "checkout.select", "i", -1);
  gtk_widget_activate_action (GTK_WIDGET (checkout), "checkout.served-by", NULL);
  pump (50);
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  g_assert_nonnull (form);
  row = pos_form_get_widget (form, "staff");
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (row)), ==, 0);   /* the cashier */
  adw_combo_row_set_selected (ADW_COMBO_ROW (row), choice_index (row, "(m01)"));
  screenshot (GTK_WIDGET (form), "served-by");
  pos_form_accept (form);
  pump (50);
  g_assert_null (find_toplevel (POS_TYPE_FORM));
  screenshot (GTK_WIDGET (f->window), "served-by-lines");

  scan (entry, "");
  pay = POS_PAY_DIALOG (pos_checkout_get_pay_dialog (checkout));
  g_assert_nonnull (pay);
  pos_pay_dialog_set_tender (pay, "cash", "71.50");
  pump (50);
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.confirm", NULL);
  pump (100);
  g_assert_cmpuint (pos_checkout_get_n_lines (checkout), ==, 0);

  /* The sale names m01 on the haircut and no one on the cola; the
     commission is m01's: 10 % of 68.00. */
  g_assert_cmpint (mdn_test_count (f->branch, "SELECT COUNT(*) FROM entries WHERE kind = 'sale' AND "
                                   "json_extract (body, '$.lines[0].sku') = 'CUT' AND "
                                   "json_extract (body, '$.lines[0].staff') = 'm01' AND "
                                   "json_extract (body, '$.lines[1].staff') IS NULL"), ==, 1);
  c = mdn_test_ok (f->branch->admin, "{\"op\":\"report.run\",\"name\":\"commission\",\"from\":\"2000-01-01\",\"to\":\"2100-01-01\","
                       "\"staff\":\"m01\"}");
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (c, "totals"), "commission_fen"), ==, 680);
  g_assert_cmpuint (mdn_test_verify (f->branch), ==, 0);
}

/* Who served a deposit, a card issue and a timed stop ---------------------------- */

static gint64
commission_of (Fixture    *f,
               const char *staff)
{
  g_autoptr(JsonObject) c = mdn_test_ok (f->branch->admin, "{\"op\":\"report.run\",\"name\":\"commission\","
                                         "\"from\":\"2000-01-01\",\"to\":\"2100-01-01\",\"staff\":\"%s\"}", staff);

  return json_object_get_int_member (json_object_get_object_member (c, "totals"), "commission_fen");
}

static void
test_served_by_member_timed (Fixture       *f,
                             gconstpointer  data)
{
  PosMembers *members;
  PosTimed *timed;
  PosPayDialog *pay;
  PosForm *form;
  GtkWidget *row, *focus;

  if (skip_without_display ())
    return;
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"commission_rule.upsert\",\"code\":\"R-DEP\","
                                  "\"name\":\"充值提成\",\"applies_to\":{\"kind\":\"deposit\"},"
                                  "\"base\":\"paid\",\"percent_bp\":200}"));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"commission_rule.upsert\",\"code\":\"R-CARD\","
                                  "\"name\":\"开卡提成\",\"applies_to\":{\"kind\":\"card_issue\"},"
                                  "\"base\":\"paid\",\"fixed_fen\":1000}"));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"commission_rule.upsert\",\"code\":\"R-TIME\","
                                  "\"name\":\"计时提成\",\"applies_to\":{\"kind\":\"timed\"},"
                                  "\"base\":\"paid\",\"fixed_fen\":500}"));
  login (f, "c01");
  mdn_test_set_now ("2026-11-22T10:00:00+08:00");

  /* A deposit of 500.00 that m01 sold (Ctrl+D): 2 % of it is m01's. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.page", "s", "members");
  pump (50);
  members = POS_MEMBERS (pos_window_get_members (f->window));
  scan (pos_members_get_search_entry (members), f->card);
  gtk_widget_activate_action (GTK_WIDGET (members), "member.deposit", NULL);
  pump (50);
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  g_assert_nonnull (form);
  set_row (pos_form_get_widget (form, "amount"), "500");
  row = pos_form_get_widget (form, "staff");
  g_assert_nonnull (row);
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (row)), ==, 0);   /* the cashier */
  adw_combo_row_set_selected (ADW_COMBO_ROW (row), choice_index (row, "(m01)"));
  screenshot (GTK_WIDGET (form), "deposit-served-by");
  pos_form_accept (form);
  pump (100);
  g_assert_null (find_toplevel (POS_TYPE_FORM));
  g_assert_cmpint (mdn_test_count (f->branch, "SELECT COUNT(*) FROM entries WHERE kind = 'member.deposit' AND "
                                   "json_extract (body, '$.amount_fen') = 50000 AND "
                                   "json_extract (body, '$.commission[0].staff') = 'm01' AND "
                                   "json_extract (body, '$.commission[0].amount_fen') = 1000"), ==, 1);

  /* A card issued by m01 with an opening deposit of 100.00: the issue's
     10.00 and 2 % of the deposit. */
  gtk_widget_activate_action (GTK_WIDGET (members), "member.issue", NULL);
  pump (50);
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  g_assert_nonnull (form);
  set_row (pos_form_get_widget (form, "name"), "李四");
  set_row (pos_form_get_widget (form, "phone"), "13800000002");
  set_row (pos_form_get_widget (form, "deposit"), "100");
  row = pos_form_get_widget (form, "staff");
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (row)), ==, 0);
  adw_combo_row_set_selected (ADW_COMBO_ROW (row), choice_index (row, "(m01)"));
  screenshot (GTK_WIDGET (form), "issue-served-by");
  pos_form_accept (form);
  pump (100);
  /* The new card's QR form: closed. */
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  if (form)
    gtk_window_destroy (GTK_WINDOW (form));
  pump (50);
  g_assert_cmpint (mdn_test_count (f->branch, "SELECT COUNT(*) FROM entries WHERE kind = 'member.issue' AND "
                                   "json_extract (body, '$.name') = '李四' AND "
                                   "json_extract (body, '$.commission[0].staff') = 'm01'"), ==, 1);
  g_assert_cmpint (mdn_test_count (f->branch, "SELECT COUNT(*) FROM entries WHERE kind = 'member.deposit' AND "
                                   "json_extract (body, '$.amount_fen') = 10000 AND "
                                   "json_extract (body, '$.commission[0].staff') = 'm01'"), ==, 1);

  /* A walk-in table for an hour and a half (60.00) that m01 looked after:
     Ctrl+T in the payment goes to who served. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.page", "s", "timed");
  pump (50);
  timed = POS_TIMED (pos_window_get_timed (f->window));
  pos_timed_activate_tile (timed, "T1");
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  g_assert_nonnull (form);
  pos_form_accept (form);
  pump (50);
  mdn_test_set_now ("2026-11-22T11:30:00+08:00");
  pos_timed_shown (timed);
  pos_timed_activate_tile (timed, "T1");
  pump (50);
  pay = POS_PAY_DIALOG (find_toplevel (POS_TYPE_PAY_DIALOG));
  g_assert_nonnull (pay);
  row = pos_pay_dialog_get_staff_row (pay);
  g_assert_nonnull (row);
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (row)), ==, 0);
  g_assert_cmpstr (pos_pay_dialog_get_staff (pay), ==, "");
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.served-by", NULL);
  pump (20);
  focus = gtk_root_get_focus (GTK_ROOT (pay));
  g_assert_true (focus == row || (focus && gtk_widget_is_ancestor (focus, row)));
  adw_combo_row_set_selected (ADW_COMBO_ROW (row), choice_index (row, "(m01)"));
  g_assert_cmpstr (pos_pay_dialog_get_staff (pay), ==, "m01");
  screenshot (GTK_WIDGET (pay), "timed-served-by");
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.confirm", NULL);   /* cash, exact */
  pump (100);
  g_assert_null (find_toplevel (POS_TYPE_PAY_DIALOG));
  g_assert_cmpint (mdn_test_count (f->branch, "SELECT COUNT(*) FROM entries WHERE kind = 'timed.stop' AND "
                                   "json_extract (body, '$.staff') = 'm01' AND "
                                   "json_extract (body, '$.commission[0].staff') = 'm01' AND "
                                   "json_extract (body, '$.commission[0].amount_fen') = 500"), ==, 1);

  /* The commission report credits m01: 10.00 + 2.00 + 10.00 + 5.00; the
     cashier c01 nothing. */
  g_assert_cmpint (commission_of (f, "m01"), ==, 1000 + 200 + 1000 + 500);
  g_assert_cmpint (commission_of (f, "c01"), ==, 0);
  mdn_test_set_now (NULL);
  g_assert_cmpuint (mdn_test_verify (f->branch), ==, 0);
}

int
main (int argc, char **argv)
{
  const char *display = g_getenv ("DISPLAY");
  const char *wayland = g_getenv ("WAYLAND_DISPLAY");

  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  g_setenv ("GDK_DEBUG", "gl-disable", FALSE);
  g_setenv ("GTK_A11Y", "none", FALSE);
  g_setenv ("ADW_DISABLE_PORTAL", "1", TRUE);
  g_test_init (&argc, &argv, NULL);
  /* The UI follows LANGUAGE; run with LANGUAGE=zh_CN and MENDIAN_LOCALEDIR
     set to the build tree's locale/ for the Chinese screenshots. */
  pos_i18n_init ();
  mdn_branch_init ();
  if ((display && *display) || (wayland && *wayland))
    {
      have_display = gtk_init_check ();
      if (have_display)
        adw_init ();
    }

  g_test_add_func ("/pos/receipt/escpos", test_receipt_escpos);
  g_test_add_func ("/pos/receipt/sale", test_receipt_sale);
  g_test_add ("/pos/ui/cash-sale", Fixture, NULL, fixture_set_up, test_cash_sale, fixture_tear_down);
  g_test_add ("/pos/ui/served-by", Fixture, NULL, fixture_set_up, test_served_by, fixture_tear_down);
  g_test_add ("/pos/ui/served-by-member-timed", Fixture, NULL, fixture_set_up, test_served_by_member_timed,
              fixture_tear_down);
  g_test_add ("/pos/ui/member-sale-pin", Fixture, NULL, fixture_set_up, test_member_sale_pin, fixture_tear_down);
  g_test_add ("/pos/ui/offline-sale", Fixture, NULL, fixture_set_up, test_offline_sale, fixture_tear_down);
  g_test_add ("/pos/ui/offline-refused", Fixture, NULL, fixture_set_up, test_offline_refused, fixture_tear_down);
  g_test_add ("/pos/ui/offline-package", Fixture, NULL, fixture_set_up, test_offline_package, fixture_tear_down);
  g_test_add ("/pos/ui/deposit-bonus", Fixture, NULL, fixture_set_up, test_deposit_bonus, fixture_tear_down);
  g_test_add ("/pos/ui/package-consume", Fixture, NULL, fixture_set_up, test_package_consume, fixture_tear_down);
  g_test_add ("/pos/ui/timed-session", Fixture, NULL, fixture_set_up, test_timed_session, fixture_tear_down);
  g_test_add ("/pos/ui/timed-start-without-card", Fixture, NULL, fixture_set_up, test_timed_start_without_card, fixture_tear_down);
  g_test_add ("/pos/ui/printer-settings", Fixture, NULL, fixture_set_up, test_printer_settings, fixture_tear_down);
  g_test_add ("/pos/ui/return", Fixture, NULL, fixture_set_up, test_return, fixture_tear_down);
  g_test_add ("/pos/ui/lock-and-errors", Fixture, NULL, fixture_set_up, test_lock_and_errors, fixture_tear_down);
  g_test_add ("/pos/ui/link-server", Fixture, NULL, fixture_set_up, test_link_server, fixture_tear_down);
  return g_test_run ();
}
