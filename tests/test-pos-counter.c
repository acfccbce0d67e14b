/* test-pos-counter.c: the counter as cashiers found it (issue 13), driven
 * through the real widgets under Xvfb with the ledger checked afterwards:
 * refusals in words, F9 on a short balance, reprint after a restart, names
 * instead of codes, the returns page after a switch, the table's payment.
 * Each flow saves a screenshot next to the test log. The receipt of every
 * kind is tested from its bytes without a display.
 *
 * Run under Xvfb (xvfb-run -a meson test); without a display the UI cases
 * skip. */
#define _GNU_SOURCE
#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-sync.h"
#include "mdn-test-ui.h"
#include "mdn-test-util.h"
#include "pos-application.h"
#include "mdn-entry-check.h"
#include "mdn-ops.h"
#include "pos-checkout.h"
#include "pos-dayend.h"
#include "pos-forms.h"
#include "pos-handover.h"
#include "pos-login.h"
#include "pos-members.h"
#include "pos-pay-dialog.h"
#include "pos-printer.h"
#include "pos-receipt.h"
#include "pos-returns.h"
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
  char          *receipts;
  char          *card;       /* 张三: gold, PIN 123456, ¥200 */
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
  g_assert_true (mdn_test_ui_screenshot (widget, "pos-counter", name));
}

static JsonObject *
run (PosSession *session,
     const char *format,
     ...) G_GNUC_PRINTF (2, 3);

static JsonObject *
run (PosSession *session,
     const char *format,
     ...)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *json = NULL;
  g_autoptr(JsonObject) args = NULL;
  g_autofree char *name = NULL;
  JsonObject *out;
  va_list ap;

  va_start (ap, format);
  json = g_strdup_vprintf (format, ap);
  va_end (ap);
  args = mdn_json_parse_object (json, &error);
  g_assert_no_error (error);
  name = g_strdup (json_object_get_string_member (args, "op"));
  json_object_remove_member (args, "op");
  out = pos_session_run (session, name, args, &error);
  g_assert_no_error (error);
  return out;
}

static void
open_window (Fixture *f)
{
  f->session = pos_session_new ();
  f->window = pos_window_new (NULL, f->session, f->branch->path);
  gtk_window_set_default_size (GTK_WINDOW (f->window), 1024, 768);
  gtk_window_present (GTK_WINDOW (f->window));
  pump (200);
  g_assert_cmpstr (pos_window_get_page (f->window), ==, "login");
}

static void
close_window (Fixture *f)
{
  gtk_window_destroy (GTK_WINDOW (f->window));
  pump (50);
  f->window = NULL;
  g_clear_object (&f->session);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(JsonObject) m = NULL;
  g_autofree char *ini = NULL;

  if (!have_display)
    return;
  /* 10:00 at the branch (Asia/Shanghai), 02:00 UTC: every printed time
     is branch time whatever the PC's zone. */
  mdn_test_set_now ("2026-11-22T02:00:00Z");
  f->branch = mdn_test_branch_new ("B01", 1);
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"staff.add\",\"code\":\"c01\",\"name\":\"王小丽\","
                                  "\"role\":\"cashier\",\"password\":\"%s\"}", MDN_TEST_PASSWORD));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"staff.add\",\"code\":\"m01\",\"name\":\"李店长\","
                                  "\"role\":\"manager\",\"password\":\"%s\"}", MDN_TEST_PASSWORD));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"level.upsert\",\"code\":\"gold\",\"name\":\"金卡\","
                                  "\"price_percent\":90,\"points_per_yuan\":2,\"offline_limit_fen\":50000}"));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"product.upsert\",\"sku\":\"COLA\",\"name\":\"可口可乐 330ml\","
                                  "\"price_fen\":350,\"kind\":\"goods\",\"barcode\":\"6901234567892\"}"));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"product.upsert\",\"sku\":\"CUT\",\"name\":\"洗剪吹\","
                                  "\"price_fen\":6800,\"kind\":\"service\"}"));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"product.upsert\",\"sku\":\"CUT10\",\"name\":\"洗剪吹 10 次卡\","
                                  "\"price_fen\":50000,\"kind\":\"package\",\"package_sku\":\"CUT\",\"package_count\":10}"));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"plan.upsert\",\"code\":\"HOUR\",\"name\":\"按小时\","
                                  "\"unit_minutes\":60,\"unit_price_fen\":3000}"));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"resource.upsert\",\"code\":\"T1\",\"name\":\"台球 1 号台\","
                                  "\"plan\":\"HOUR\"}"));
  m = mdn_test_ok (f->branch->admin, "{\"op\":\"member.issue\",\"name\":\"张三\",\"phone\":\"13800000001\","
                   "\"level\":\"gold\",\"pin\":\"123456\",\"deposit_fen\":20000}");
  f->card = g_strdup (mdn_test_str (m, "card_no"));

  f->config = g_build_filename (f->branch->dir, "pos.ini", NULL);
  f->receipts = g_build_filename (f->branch->dir, "receipts.bin", NULL);
  ini = g_strdup_printf ("[pos]\nprinter=file:%s\nprinter-width=32\n", f->receipts);
  g_assert_true (g_file_set_contents (f->config, ini, -1, NULL));
  g_setenv ("MENDIAN_POS_CONFIG", f->config, TRUE);
  open_window (f);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  if (!have_display)
    return;
  if (f->window)
    close_window (f);
  g_clear_pointer (&f->branch, mdn_test_branch_free);
  g_free (f->config);
  g_free (f->receipts);
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
login (Fixture    *f,
       const char *staff)
{
  pos_login_submit (POS_LOGIN (pos_window_get_login (f->window)), staff, MDN_TEST_PASSWORD);
  pump (100);
  g_assert_true (pos_session_is_logged_in (f->session));
  g_assert_cmpstr (pos_window_get_page (f->window), !=, "login");
}

static void
scan (GtkWidget  *entry,
      const char *code)
{
  gtk_editable_set_text (GTK_EDITABLE (entry), code);
  g_signal_emit_by_name (entry, "activate");
  pump (50);
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

/* Whether the receipts written so far hold every needle (UTF-8, printed
 * as GB18030). The printer is a worker thread: waited for, not slept on. */
static gboolean
printed (Fixture            *f,
         const char *const  *needles)
{
  for (int tries = 0; tries < 250; tries++)
    {
      g_autofree char *data = NULL;
      gsize len = 0;
      gboolean all = TRUE;

      if (g_file_get_contents (f->receipts, &data, &len, NULL))
        for (guint i = 0; needles[i] && all; i++)
          {
            g_autofree char *gb = g_convert (needles[i], -1, "GB18030", "UTF-8", NULL, NULL, NULL);

            all = gb != NULL && memmem (data, len, gb, strlen (gb)) != NULL;
          }
      else
        all = FALSE;
      if (all)
        return TRUE;
      pump (20);
    }
  return FALSE;
}

static void
forget_receipts (Fixture *f)
{
  g_unlink (f->receipts);
}

/* Refusals in words ----------------------------------------------------------------- */

static void
test_refusal_words (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(GError) error = NULL;

  if (skip_without_display ())
    return;
  login (f, "c01");
  json_object_set_string_member (args, "receipt_no", "B01-20261122-0001");
  r = pos_session_run (f->session, "sale.return", args, &error);
  g_assert_null (r);
  g_assert_error (error, MDN_ERROR, MDN_ERROR_PERMISSION_DENIED);
  /* The role and the job as a cashier says them, never "sale.return". */
  g_assert_nonnull (strstr (error->message, "take a return"));
  g_assert_null (strstr (error->message, "sale.return"));
  /* And whom to ask: the role that may (the manager's, by its name). */
  g_assert_nonnull (strstr (error->message, "; ask a "));
  g_assert_null (strstr (error->message, "someone whose role"));
  g_clear_error (&error);
  g_clear_pointer (&r, json_object_unref);
  /* The same words from common/ (the CLI, any caller). */
  json_object_unref (args);
  args = json_object_new ();
  json_object_set_string_member (args, "code", "x1");
  {
    MdnOpCtx *ctx = mdn_op_ctx_new (f->branch->store, "c01", MDN_TEST_PASSWORD, &error);

    g_assert_no_error (error);
    r = mdn_ops_run (ctx, "staff.add", args, &error);
    mdn_op_ctx_free (ctx);
  }
  g_assert_null (r);
  g_assert_error (error, MDN_ERROR, MDN_ERROR_PERMISSION_DENIED);
  g_assert_null (strstr (error->message, "staff.add"));
  g_assert_nonnull (strstr (error->message, "add a staff member"));
}

/* F9 on a short balance --------------------------------------------------------------- */

static void
test_f9_short_balance (Fixture       *f,
                       gconstpointer  data)
{
  PosCheckout *checkout;
  GtkWidget *entry;
  PosPayDialog *pay;
  g_autoptr(JsonObject) shown = NULL;
  g_autoptr(JsonObject) member = NULL;
  JsonArray *tenders;
  gint64 on_balance = 0, on_cash = 0;

  if (skip_without_display ())
    return;
  login (f, "c01");
  checkout = POS_CHECKOUT (pos_window_get_checkout (f->window));
  entry = pos_checkout_get_entry (checkout);
  scan (entry, f->card);
  scan (entry, "4*CUT");                 /* 4 × 68.00 at 90 %: 244.80, the card has 200.00 */
  g_assert_cmpint (pos_checkout_get_total (checkout), ==, 24480);
  gtk_widget_activate_action (GTK_WIDGET (checkout), "checkout.pay", NULL);
  pay = POS_PAY_DIALOG (pos_checkout_get_pay_dialog (checkout));
  g_assert_nonnull (pay);

  /* F9: the balance pays what it holds, the rest stays due and is said. */
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.fill", "s", "balance");
  pump (30);
  g_assert_nonnull (pos_pay_dialog_get_error (pay));
  g_assert_nonnull (strstr (pos_pay_dialog_get_error (pay), "44.80"));
  g_assert_nonnull (strstr (pos_pay_dialog_get_error (pay), "200.00"));
  g_assert_null (strstr (pos_pay_dialog_get_error (pay), "another branch"));
  screenshot (GTK_WIDGET (pay), "f9-short-balance");

  /* More than the card holds is refused before it is tried. */
  pos_pay_dialog_set_tender (pay, "balance", "250");
  pump (30);
  g_assert_nonnull (strstr (pos_pay_dialog_get_error (pay), "50.00"));

  /* F9 again, then F5: cash takes the rest; the PIN; paid. */
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.fill", "s", "balance");
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.fill", "s", "cash");
  pos_pay_dialog_set_pin (pay, "123456");
  pump (30);
  g_assert_cmpint (pos_pay_dialog_get_change (pay), ==, 0);
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.confirm", NULL);
  pump (100);
  g_assert_null (pos_checkout_get_pay_dialog (checkout));

  /* The ledger: 200.00 from the balance, 44.80 in cash, the card empty. */
  shown = run (f->session, "{\"op\":\"receipt.show\",\"receipt_no\":\"%s\"}", pos_checkout_get_last_receipt (checkout));
  tenders = json_object_get_array_member (shown, "tenders");
  for (guint i = 0; i < json_array_get_length (tenders); i++)
    {
      JsonObject *t = json_array_get_object_element (tenders, i);

      if (g_str_equal (json_object_get_string_member (t, "type"), "balance"))
        on_balance += json_object_get_int_member (t, "amount_fen");
      else if (g_str_equal (json_object_get_string_member (t, "type"), "cash"))
        on_cash += json_object_get_int_member (t, "amount_fen");
    }
  g_assert_cmpint (on_balance, ==, 20000);
  g_assert_cmpint (on_cash, ==, 4480);
  member = run (f->session, "{\"op\":\"member.show\",\"card\":\"%s\"}", f->card);
  g_assert_cmpint (json_object_get_int_member (member, "balance_fen"), ==, 0);
  g_assert_cmpuint (mdn_test_verify (f->branch), ==, 0);
}

/* Reprint after a restart ---------------------------------------------------------------- */

static void
test_reprint_after_restart (Fixture       *f,
                            gconstpointer  data)
{
  PosCheckout *checkout;
  g_autoptr(JsonObject) dep = NULL;
  g_autoptr(JsonObject) buy = NULL;
  g_autoptr(JsonObject) use = NULL;
  g_autofree char *receipt = NULL;
  PosMembers *members;

  if (skip_without_display ())
    return;
  login (f, "c01");
  checkout = POS_CHECKOUT (pos_window_get_checkout (f->window));
  scan (pos_checkout_get_entry (checkout), "2*COLA");
  scan (pos_checkout_get_entry (checkout), "");
  gtk_widget_activate_action (GTK_WIDGET (pos_checkout_get_pay_dialog (checkout)), "pay.confirm", NULL);
  pump (100);
  receipt = g_strdup (pos_checkout_get_last_receipt (checkout));
  g_assert_nonnull (receipt);
  dep = run (f->session, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":10000,\"tender\":\"wechat\"}", f->card);
  buy = run (f->session, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"CUT10\",\"qty\":1}],"
             "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":45000}]}", f->card);
  use = run (f->session, "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"CUT\",\"count\":2}", f->card);
  g_assert_cmpstr (json_object_get_string_member (use, "name"), ==, "洗剪吹");

  /* The POS is closed and started again: nothing of it is in memory. */
  close_window (f);
  forget_receipts (f);
  mdn_test_set_now ("2026-11-22T07:30:00Z");
  open_window (f);
  login (f, "m01");

  /* By the receipt's number: its own time (branch time) and cashier by name. */
  pos_printer_reprint (GTK_WIDGET (f->window), f->session, receipt);
  {
    const char *const want[] = { receipt, "可口可乐 330ml", "2026-11-22 10:00", "王小丽", "*** Reprint ***", NULL };
    g_assert_true (printed (f, want));
  }
  /* From the member's history: the deposit and the package use. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.page", "s", "members");
  pump (50);
  members = POS_MEMBERS (pos_window_get_members (f->window));
  pos_members_show_card (members, f->card);
  pump (100);
  screenshot (GTK_WIDGET (f->window), "member-history-names");
  forget_receipts (f);
  pos_printer_reprint_entry (GTK_WIDGET (f->window), f->session, json_object_get_string_member (dep, "entry_id"));
  {
    const char *const want[] = { "Deposit", "100.00", "WeChat Pay", "王小丽", "*** Reprint ***", NULL };
    g_assert_true (printed (f, want));
  }
  forget_receipts (f);
  pos_printer_reprint_entry (GTK_WIDGET (f->window), f->session, json_object_get_string_member (use, "entry_id"));
  {
    const char *const want[] = { "Package use", "洗剪吹", "Uses left", "8 uses", "*** Reprint ***", NULL };
    g_assert_true (printed (f, want));
  }
  g_assert_cmpuint (mdn_test_verify (f->branch), ==, 0);
}

/* Names: history, packages, lock screen --------------------------------------------------- */

static void
test_names (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(JsonObject) hist = NULL;
  g_autoptr(JsonObject) shown = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(PosMemberView) view = NULL;
  g_autoptr(GError) error = NULL;
  PosMemberEvent *e;
  PosPackageLot *lot;
  const char *message;

  if (skip_without_display ())
    return;
  login (f, "c01");
  json_object_unref (run (f->session, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"CUT10\",\"qty\":1}],"
                          "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":45000}]}", f->card));
  hist = run (f->session, "{\"op\":\"member.history\",\"card\":\"%s\"}", f->card);
  events = pos_member_history_parse (hist, &error);
  g_assert_no_error (error);
  e = g_ptr_array_index (events, 0);
  g_assert_cmpstr (e->staff, ==, "c01");
  g_assert_cmpstr (e->staff_name, ==, "王小丽");
  shown = run (f->session, "{\"op\":\"member.show\",\"card\":\"%s\"}", f->card);
  view = pos_member_view_parse (shown, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (view->packages->len, ==, 1);
  lot = g_ptr_array_index (view->packages, 0);
  g_assert_cmpstr (lot->sku, ==, "CUT");
  g_assert_cmpstr (lot->name, ==, "洗剪吹");

  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.lock", NULL);
  pump (50);
  message = pos_login_get_message (POS_LOGIN (pos_window_get_login (f->window)));
  g_assert_nonnull (strstr (message, "王小丽"));
  g_assert_null (strstr (message, "c01"));
  screenshot (GTK_WIDGET (f->window), "locked-by-name");
}

/* The returns page after a switch ------------------------------------------------------------ */

static void
test_returns_switch (Fixture       *f,
                     gconstpointer  data)
{
  PosReturns *returns;
  g_autoptr(JsonObject) sold = NULL;
  g_autoptr(JsonObject) used = NULL;

  if (skip_without_display ())
    return;
  login (f, "c01");
  /* A package bought and one of its uses taken: it may not come back. */
  sold = run (f->session, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"CUT10\",\"qty\":1},"
              "{\"sku\":\"COLA\",\"qty\":1}],\"tenders\":[{\"type\":\"cash\",\"amount_fen\":50000}]}", f->card);
  used = run (f->session, "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"CUT\",\"count\":1}", f->card);
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.page", "s", "returns");
  pump (50);
  returns = POS_RETURNS (pos_window_get_returns (f->window));
  scan (pos_returns_get_entry (returns), json_object_get_string_member (sold, "receipt_no"));
  g_assert_nonnull (pos_returns_get_error (returns));    /* a cashier: ask a manager */
  g_assert_nonnull (strstr (pos_returns_get_line_note (returns, 0), "uses have been used"));
  g_assert_nonnull (strstr (pos_returns_get_line_note (returns, 1), "1 may come back"));

  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.switch-cashier", NULL);
  pump (50);
  login (f, "m01");
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.page", "s", "returns");
  pump (50);
  /* The cashier's refusal is gone; the sale is still there for the manager. */
  g_assert_null (pos_returns_get_error (returns));
  g_assert_nonnull (pos_returns_get_line_note (returns, 0));
  screenshot (GTK_WIDGET (f->window), "returns-after-switch");
  pos_returns_confirm_now (returns);
  pump (100);
  {
    g_autoptr(JsonObject) shown = run (f->session, "{\"op\":\"receipt.show\",\"receipt_no\":\"%s\"}",
                                       json_object_get_string_member (sold, "receipt_no"));
    JsonArray *lines = json_object_get_array_member (shown, "lines");

    g_assert_cmpint (json_object_get_int_member (shown, "refunded_fen"), ==, 350 * 90 / 100);
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (lines, 1), "returned_qty"), ==, 1);
    g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (lines, 0), "returned_qty"), ==, 0);
  }
  {
    const char *const want[] = { "Return Receipt", "可口可乐 330ml", "1 back", NULL };
    g_assert_true (printed (f, want));
  }
  g_assert_cmpuint (mdn_test_verify (f->branch), ==, 0);
}

/* The table's payment ------------------------------------------------------------------------ */

static void
test_table_payment (Fixture       *f,
                    gconstpointer  data)
{
  PosTimed *timed;
  PosForm *form;
  PosPayDialog *pay;
  const char *subject;
  g_autoptr(JsonObject) sales = NULL;

  if (skip_without_display ())
    return;
  login (f, "c01");
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.page", "s", "timed");
  pump (50);
  timed = POS_TIMED (pos_window_get_timed (f->window));
  pos_timed_activate_tile (timed, "T1");
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  g_assert_nonnull (form);
  pos_form_accept (form);                          /* a walk-in */
  pump (50);
  mdn_test_set_now ("2026-11-22T03:25:00Z");       /* 85 minutes later */
  pos_timed_shown (timed);
  pos_timed_activate_tile (timed, "T1");
  pump (50);
  pay = POS_PAY_DIALOG (find_toplevel (POS_TYPE_PAY_DIALOG));
  g_assert_nonnull (pay);
  subject = pos_pay_dialog_get_subject (pay);
  g_assert_nonnull (subject);
  g_assert_nonnull (strstr (subject, "台球 1 号台"));
  g_assert_nonnull (strstr (subject, "85 min"));
  g_assert_nonnull (strstr (subject, "10:00–11:25"));
  screenshot (GTK_WIDGET (pay), "table-payment");
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.confirm", NULL);
  pump (100);
  sales = run (f->session, "{\"op\":\"sale.list\"}");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (json_object_get_array_member (sales, "receipts"), 0),
                                               "total_fen"), ==, 6000);
  {
    const char *const want[] = { "台球 1 号台", "85 min", "60.00", NULL };
    g_assert_true (printed (f, want));
  }
  g_assert_cmpuint (mdn_test_verify (f->branch), ==, 0);
}

static JsonObject *parse (const char *json);
static void check_receipt (PosReceipt *r, const char *const *needles);
static void
set_field (PosForm    *form,
           const char *name,
           const char *text)
{
  GtkWidget *w = pos_form_get_widget (form, name);

  g_assert_nonnull (w);
  gtk_editable_set_text (GTK_EDITABLE (w), text);
}

/* Goods on a running table (F4): two colas go on 台球 1 号台 and are paid
 * with its time on one receipt; the stock leaves with the stop. */
static void
test_table_goods (Fixture       *f,
                  gconstpointer  data)
{
  PosTimed *timed;
  PosForm *form;
  PosPayDialog *pay;
  g_autoptr(JsonObject) sales = NULL;
  g_autoptr(JsonObject) list = NULL;
  g_autoptr(JsonObject) show = NULL;
  JsonObject *receipt;

  if (skip_without_display ())
    return;
  login (f, "c01");
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.page", "s", "timed");
  pump (50);
  timed = POS_TIMED (pos_window_get_timed (f->window));
  pos_timed_activate_tile (timed, "T1");
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  pos_form_accept (form);
  pump (50);

  /* F4 on the selected tile: by barcode, two. */
  pos_timed_add_tile (timed, "T1");
  pump (50);
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  g_assert_nonnull (form);
  set_field (form, "sku", "6901234567892");
  set_field (form, "qty", "2");
  screenshot (GTK_WIDGET (form), "table-add-goods");
  pos_form_accept (form);
  pump (50);
  g_assert_null (find_toplevel (POS_TYPE_FORM));
  /* A package is refused, the form says why and stays. */
  pos_timed_add_tile (timed, "T1");
  pump (50);
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  set_field (form, "sku", "CUT10");
  pos_form_accept (form);
  pump (30);
  g_assert_nonnull (find_toplevel (POS_TYPE_FORM));
  g_assert_cmpint (mdn_test_count (f->branch, "SELECT count(*) FROM entries WHERE kind = 'timed.add'"), ==, 1);
  gtk_window_destroy (GTK_WINDOW (form));
  pump (30);
  list = run (f->session, "{\"op\":\"timed.list\"}");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (json_object_get_array_member (list, "sessions"), 0),
                                               "items"), ==, 2);
  g_assert_cmpint (mdn_test_count (f->branch, "SELECT count(*) FROM movements WHERE account = 'stock'"), ==, 0);

  mdn_test_set_now ("2026-11-22T03:25:00Z");       /* 85 minutes: 60.00 + 2 × 3.50 */
  pos_timed_shown (timed);
  screenshot (GTK_WIDGET (f->window), "board-goods");
  forget_receipts (f);
  pos_timed_activate_tile (timed, "T1");
  pump (50);
  pay = POS_PAY_DIALOG (find_toplevel (POS_TYPE_PAY_DIALOG));
  g_assert_nonnull (pay);
  g_assert_nonnull (strstr (pos_pay_dialog_get_subject (pay), "2 items"));
  screenshot (GTK_WIDGET (pay), "table-goods-payment");
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.confirm", NULL);
  pump (100);
  sales = run (f->session, "{\"op\":\"sale.list\"}");
  receipt = json_array_get_object_element (json_object_get_array_member (sales, "receipts"), 0);
  g_assert_cmpint (json_object_get_int_member (receipt, "total_fen"), ==, 6700);
  g_assert_cmpint (mdn_test_count (f->branch, "SELECT -SUM (delta) FROM movements WHERE account = 'stock' "
                                              "AND item = 'COLA'"), ==, 2);
  {
    const char *const want[] = { "台球 1 号台", "85 min", "可口可乐 330ml", "2 × 3.50", "7.00", "67.00", NULL };
    g_assert_true (printed (f, want));
  }
  /* The receipt says the same after the fact: one line, returnable. */
  show = run (f->session, "{\"op\":\"receipt.show\",\"receipt_no\":\"%s\"}",
              json_object_get_string_member (receipt, "receipt_no"));
  g_assert_cmpint (json_object_get_int_member (show, "time_fen"), ==, 6000);
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (show, "lines")), ==, 1);

  /* The returns page takes the goods back by line (a manager's job). */
  close_window (f);
  open_window (f);
  login (f, "m01");
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.page", "s", "returns");
  pump (50);
  pos_returns_find (POS_RETURNS (pos_window_get_returns (f->window)), json_object_get_string_member (receipt, "receipt_no"));
  pump (50);
  screenshot (GTK_WIDGET (f->window), "table-goods-return");
  pos_returns_confirm_now (POS_RETURNS (pos_window_get_returns (f->window)));
  /* The return runs on a worker: waited for, not slept on. */
  for (int tries = 0; tries < 500 && mdn_test_count (f->branch, "SELECT count(*) FROM sale_returns") == 0; tries++)
    pump (20);
  g_assert_cmpint (mdn_test_count (f->branch, "SELECT -SUM (delta) FROM movements WHERE account = 'stock' "
                                              "AND item = 'COLA'"), ==, 0);
  g_assert_cmpint (mdn_test_count (f->branch, "SELECT -total_fen FROM receipts WHERE entry_id IN "
                                              "(SELECT entry_id FROM sale_returns)"), ==, 700);
  g_assert_cmpuint (mdn_test_verify (f->branch), ==, 0);
}

/* 预付计时: a table paid for an hour up front counts down, warns five
 * minutes before its end, is extended by half an hour, and is stopped
 * early with nothing more to pay. */
static void
test_prepaid_table (Fixture       *f,
                    gconstpointer  data)
{
  PosTimed *timed;
  PosForm *form;
  PosPayDialog *pay;
  g_autoptr(JsonObject) sales = NULL;
  JsonArray *receipts;

  if (skip_without_display ())
    return;
  login (f, "c01");
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.page", "s", "timed");
  pump (50);
  timed = POS_TIMED (pos_window_get_timed (f->window));
  pos_timed_activate_tile (timed, "T1");
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  set_field (form, "minutes", "60");
  screenshot (GTK_WIDGET (form), "prepay-start");
  forget_receipts (f);
  pos_form_accept (form);
  pump (50);
  pay = POS_PAY_DIALOG (find_toplevel (POS_TYPE_PAY_DIALOG));
  g_assert_nonnull (pay);
  g_assert_nonnull (strstr (pos_pay_dialog_get_subject (pay), "prepaid 60 min"));
  screenshot (GTK_WIDGET (pay), "prepay-payment");
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.confirm", NULL);
  pump (100);
  {
    const char *const want[] = { "台球 1 号台", "Prepaid time", "60 min", "30.00", NULL };
    g_assert_true (printed (f, want));
  }
  g_assert_nonnull (strstr (pos_timed_get_tile_state (timed, "T1"), "Prepaid"));

  /* 10:55: five minutes left, the tile says so. */
  mdn_test_set_now ("2026-11-22T02:55:00Z");
  pos_timed_shown (timed);
  pump (30);
  g_assert_nonnull (strstr (pos_timed_get_tile_state (timed, "T1"), "ending soon"));
  screenshot (GTK_WIDGET (f->window), "prepay-ending");

  /* Ctrl+E: half an hour more, 30.00 (a started hour). */
  pos_timed_extend_tile (timed, "T1");
  pump (50);
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  g_assert_nonnull (form);
  set_field (form, "minutes", "30");
  screenshot (GTK_WIDGET (form), "prepay-extend");
  pos_form_accept (form);
  pump (50);
  pay = POS_PAY_DIALOG (find_toplevel (POS_TYPE_PAY_DIALOG));
  g_assert_nonnull (pay);
  g_assert_nonnull (strstr (pos_pay_dialog_get_subject (pay), "90 in all"));
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.confirm", NULL);
  pump (100);
  pos_timed_shown (timed);
  g_assert_null (strstr (pos_timed_get_tile_state (timed, "T1"), "ending"));

  /* 11:10, 20 minutes early: nothing more to pay. */
  mdn_test_set_now ("2026-11-22T03:10:00Z");
  pos_timed_shown (timed);
  pos_timed_activate_tile (timed, "T1");
  pump (50);
  pay = POS_PAY_DIALOG (find_toplevel (POS_TYPE_PAY_DIALOG));
  g_assert_nonnull (pay);
  g_assert_nonnull (strstr (pos_pay_dialog_get_subject (pay), "90 min prepaid"));
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.confirm", NULL);
  pump (100);
  sales = run (f->session, "{\"op\":\"sale.list\"}");
  receipts = json_object_get_array_member (sales, "receipts");
  g_assert_cmpuint (json_array_get_length (receipts), ==, 3);
  g_assert_cmpint (mdn_test_count (f->branch, "SELECT SUM (total_fen) FROM receipts"), ==, 6000);
  g_assert_cmpuint (mdn_test_verify (f->branch), ==, 0);
}


/* Change table: the session moves with its time and is paid on the new table. */
static void
test_change_table (Fixture       *f,
                   gconstpointer  data)
{
  PosTimed *timed;
  PosForm *form;
  PosPayDialog *pay;
  g_autoptr(JsonObject) list = NULL;
  JsonObject *ses;

  if (skip_without_display ())
    return;
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"resource.upsert\",\"code\":\"T2\",\"name\":\"台球 2 号台\","
                                  "\"plan\":\"HOUR\"}"));
  login (f, "c01");
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.page", "s", "timed");
  pump (50);
  timed = POS_TIMED (pos_window_get_timed (f->window));
  pos_timed_activate_tile (timed, "T1");
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  pos_form_accept (form);
  pump (50);

  mdn_test_set_now ("2026-11-22T02:30:00Z");
  pos_timed_shown (timed);
  pos_timed_move_tile (timed, "T1");
  pump (50);
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  g_assert_nonnull (form);
  g_assert_cmpstr (pos_form_get (form, "to"), ==, "T2");
  screenshot (GTK_WIDGET (form), "change-table");
  pos_form_accept (form);
  pump (50);
  list = run (f->session, "{\"op\":\"timed.list\"}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list, "sessions")), ==, 1);
  ses = json_array_get_object_element (json_object_get_array_member (list, "sessions"), 0);
  g_assert_cmpstr (json_object_get_string_member (ses, "resource"), ==, "T2");
  g_assert_cmpstr (json_object_get_string_member (ses, "started_at"), ==, "2026-11-22T10:00:00.000+08:00");
  g_assert_nonnull (strstr (pos_timed_get_tile_state (timed, "T2"), "Running"));
  g_assert_null (strstr (pos_timed_get_tile_state (timed, "T1"), "Running"));
  /* T1 is free again; T2 can't be taken twice. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) args = json_object_new ();
    g_autoptr(JsonObject) r = NULL;

    json_object_set_string_member (args, "session_id", json_object_get_string_member (ses, "session_id"));
    json_object_set_string_member (args, "resource", "T2");
    r = pos_session_run (f->session, "timed.move", args, &error);
    g_assert_null (r);
    g_assert_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT);
  }
  screenshot (GTK_WIDGET (f->window), "board-after-move");

  /* Paid on T2 for the whole 85 minutes. */
  mdn_test_set_now ("2026-11-22T03:25:00Z");
  pos_timed_shown (timed);
  forget_receipts (f);
  pos_timed_activate_tile (timed, "T2");
  pump (50);
  pay = POS_PAY_DIALOG (find_toplevel (POS_TYPE_PAY_DIALOG));
  g_assert_nonnull (pay);
  g_assert_nonnull (strstr (pos_pay_dialog_get_subject (pay), "台球 2 号台 · 85 min"));
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.confirm", NULL);
  pump (100);
  {
    const char *const want[] = { "台球 2 号台", "85 min", "60.00", NULL };
    g_assert_true (printed (f, want));
  }
  g_assert_cmpuint (mdn_test_verify (f->branch), ==, 0);
}

/* Pause and resume: the pause is not billed. */
static void
test_pause_table (Fixture       *f,
                  gconstpointer  data)
{
  PosTimed *timed;
  PosForm *form;
  PosPayDialog *pay;
  g_autoptr(JsonObject) list = NULL;
  g_autoptr(JsonObject) sales = NULL;
  JsonObject *ses;

  if (skip_without_display ())
    return;
  login (f, "c01");
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.page", "s", "timed");
  pump (50);
  timed = POS_TIMED (pos_window_get_timed (f->window));
  pos_timed_activate_tile (timed, "T1");                   /* 10:00 */
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  pos_form_accept (form);
  pump (50);
  mdn_test_set_now ("2026-11-22T02:20:00Z");                /* 10:20: paused */
  pos_timed_shown (timed);
  pos_timed_pause_tile (timed, "T1");
  pump (30);
  mdn_test_set_now ("2026-11-22T02:50:00Z");                /* 10:50: still 20 minutes */
  pos_timed_shown (timed);
  g_assert_nonnull (strstr (pos_timed_get_tile_state (timed, "T1"), "Paused"));
  list = run (f->session, "{\"op\":\"timed.list\"}");
  ses = json_array_get_object_element (json_object_get_array_member (list, "sessions"), 0);
  g_assert_true (json_object_get_boolean_member (ses, "paused"));
  g_assert_cmpint (json_object_get_int_member (ses, "run_seconds"), ==, 20 * 60);
  screenshot (GTK_WIDGET (f->window), "timed-paused");
  mdn_test_set_now ("2026-11-22T03:00:00Z");                /* 11:00: resumed after 40 minutes */
  pos_timed_pause_tile (timed, "T1");
  pump (30);
  g_assert_nonnull (strstr (pos_timed_get_tile_state (timed, "T1"), "Running"));

  /* 11:25: 85 minutes on the clock, 45 of them ran: one hour, 30.00. */
  mdn_test_set_now ("2026-11-22T03:25:00Z");
  pos_timed_shown (timed);
  pos_timed_activate_tile (timed, "T1");
  pump (50);
  pay = POS_PAY_DIALOG (find_toplevel (POS_TYPE_PAY_DIALOG));
  g_assert_nonnull (pay);
  g_assert_nonnull (strstr (pos_pay_dialog_get_subject (pay), "45 min"));
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.confirm", NULL);
  pump (100);
  sales = run (f->session, "{\"op\":\"sale.list\"}");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (json_object_get_array_member (sales, "receipts"), 0),
                                               "total_fen"), ==, 3000);
  g_assert_cmpuint (mdn_test_verify (f->branch), ==, 0);
}

/* Shift handover ------------------------------------------------------------------------------- */

static void
set_spin (GtkWidget *spin,
          int        value)
{
  g_assert_nonnull (spin);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), value);
  pump (20);
}

static void
test_handover (Fixture       *f,
               gconstpointer  data)
{
  PosCheckout *checkout;
  PosDayEnd *dayend;
  PosForm *form;
  GtkWidget *entry;
  g_autoptr(JsonObject) list = NULL;
  g_autoptr(JsonObject) open = NULL;
  PosShiftList *shown;
  JsonObject *shift, *cash = NULL;
  JsonArray *tenders;

  if (skip_without_display ())
    return;
  login (f, "c01");
  checkout = POS_CHECKOUT (pos_window_get_checkout (f->window));
  entry = pos_checkout_get_entry (checkout);
  scan (entry, "2*COLA");

  /* A sale on the counter: no handover yet. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.page", "s", "dayend");
  pump (50);
  dayend = POS_DAY_END (pos_window_get_dayend (f->window));
  gtk_widget_activate_action (GTK_WIDGET (dayend), "dayend.handover", NULL);
  pump (50);
  g_assert_null (find_toplevel (POS_TYPE_FORM));
  {
    GtkWidget *refusal = find_toplevel (ADW_TYPE_MESSAGE_DIALOG);

    g_assert_nonnull (refusal);
    g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (refusal)), "sale is open"));
    screenshot (refusal, "handover-refused");
    gtk_window_destroy (GTK_WINDOW (refusal));
  }
  open = run (f->session, "{\"op\":\"shift.list\"}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (open, "shifts")), ==, 0);

  /* The sale is paid in cash (7.00); a deposit of 50.00 in cash too. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.page", "s", "checkout");
  scan (entry, "");
  gtk_widget_activate_action (GTK_WIDGET (pos_checkout_get_pay_dialog (checkout)), "pay.confirm", NULL);
  pump (100);
  json_object_unref (run (f->session, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":5000,\"tender\":\"cash\"}",
                          f->card));

  /* The drawer started with 200.00: 257.00 expected, 255.00 counted. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.page", "s", "dayend");
  pump (50);
  forget_receipts (f);
  gtk_widget_activate_action (GTK_WIDGET (dayend), "dayend.handover", NULL);
  pump (50);
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  g_assert_nonnull (form);
  set_spin (pos_handover_get_denomination (form, 10000), 2);
  set_spin (pos_handover_get_denomination (form, 5000), 1);
  set_spin (pos_handover_get_denomination (form, 500), 1);
  g_assert_cmpstr (gtk_editable_get_text (GTK_EDITABLE (pos_form_get_widget (form, "cash"))), ==, "255.00");
  gtk_editable_set_text (GTK_EDITABLE (pos_form_get_widget (form, "float")), "200");
  pump (20);
  screenshot (GTK_WIDGET (form), "handover-count");
  pos_form_accept (form);
  pump (150);

  /* The next cashier logs in to a new shift. */
  g_assert_cmpstr (pos_window_get_page (f->window), ==, "login");
  {
    GtkWidget *result = find_toplevel (ADW_TYPE_MESSAGE_DIALOG);

    g_assert_nonnull (result);
    g_assert_nonnull (strstr (adw_message_dialog_get_heading (ADW_MESSAGE_DIALOG (result)), "2.00 Short"));
    g_assert_nonnull (strstr (adw_message_dialog_get_body (ADW_MESSAGE_DIALOG (result)), "expected ¥257.00, counted ¥255.00"));
    screenshot (result, "handover-result");
    gtk_window_destroy (GTK_WINDOW (result));
  }
  {
    const char *const want[] = { "Shift Handover", "王小丽", "expected", "257.00", "counted", "255.00", "short",
                                 "-2.00", "100.00 × 2", NULL };
    g_assert_true (printed (f, want));
  }

  /* The ledger: one shift.close with the count, checked and verified. */
  login (f, "m01");
  list = run (f->session, "{\"op\":\"shift.list\"}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list, "shifts")), ==, 1);
  shift = json_array_get_object_element (json_object_get_array_member (list, "shifts"), 0);
  g_assert_cmpstr (json_object_get_string_member (shift, "staff"), ==, "c01");
  g_assert_cmpstr (json_object_get_string_member (shift, "staff_name"), ==, "王小丽");
  g_assert_cmpint (json_object_get_int_member (shift, "over_short_fen"), ==, -200);
  tenders = json_object_get_array_member (shift, "tenders");
  for (guint i = 0; i < json_array_get_length (tenders); i++)
    if (g_str_equal (json_object_get_string_member (json_array_get_object_element (tenders, i), "tender"), "cash"))
      cash = json_array_get_object_element (tenders, i);
  g_assert_nonnull (cash);
  g_assert_cmpint (json_object_get_int_member (cash, "expected_fen"), ==, 20000 + 700 + 5000);
  g_assert_cmpint (json_object_get_int_member (cash, "counted_fen"), ==, 25500);
  g_assert_true (json_object_get_boolean_member (cash, "counted"));

  /* The day end sums the shifts; an earlier day has none. */
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.page", "s", "dayend");
  pump (50);
  shown = pos_day_end_get_shifts (dayend);
  g_assert_nonnull (shown);
  g_assert_cmpuint (shown->shifts->len, ==, 1);
  g_assert_cmpint (shown->over_short_fen, ==, -200);
  screenshot (GTK_WIDGET (f->window), "day-end-shifts");
  pos_day_end_set_date (dayend, "2026-11-21");
  g_assert_cmpuint (pos_day_end_get_shifts (dayend)->shifts->len, ==, 0);
  g_assert_cmpstr (pos_day_end_get_shifts (dayend)->date, ==, "2026-11-21");
  pos_day_end_set_date (dayend, NULL);
  g_assert_cmpuint (pos_day_end_get_shifts (dayend)->shifts->len, ==, 1);

  /* The manager's own shift starts empty: c01's count was c01's. */
  {
    g_autoptr(JsonObject) mine = run (f->session, "{\"op\":\"shift.preview\"}");
    g_assert_cmpint (json_object_get_int_member (mine, "entries"), ==, 0);
  }
  g_assert_cmpuint (mdn_test_verify (f->branch), ==, 0);
}

/* The rules of shift.close, from common/ (no display). */
static void
test_shift_rules (void)
{
  g_autoptr(MdnTestBranch) b = NULL;
  MdnOpCtx *c = NULL;
  g_autoptr(JsonObject) closed = NULL;
  g_autoptr(MdnEntry) e = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *tenders;

  mdn_test_set_now ("2026-11-22T02:00:00Z");
  b = mdn_test_branch_new ("B01", 1);
  c = mdn_test_staff (b, "c1", "cashier");
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"product.upsert\",\"sku\":\"COLA\",\"name\":\"可乐\","
                                  "\"price_fen\":350,\"kind\":\"goods\"}"));
  json_object_unref (mdn_test_ok (c, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"COLA\",\"qty\":2}],"
                                  "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":700}]}"));
  json_object_unref (mdn_test_ok (c, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"COLA\",\"qty\":1}],"
                                  "\"tenders\":[{\"type\":\"alipay\",\"amount_fen\":350}]}"));
  /* Cash must be counted; notes and coins are the yuan's; they add up. */
  mdn_test_fails (c, "invalid_argument", "{\"op\":\"shift.close\",\"counted\":{\"alipay\":350}}");
  mdn_test_fails (c, "invalid_argument", "{\"op\":\"shift.close\",\"denominations\":[{\"value_fen\":300,\"count\":1}]}");
  mdn_test_fails (c, "invalid_argument", "{\"op\":\"shift.close\",\"denominations\":[{\"value_fen\":100,\"count\":-1}]}");
  mdn_test_fails (c, "invalid_argument", "{\"op\":\"shift.close\",\"denominations\":[{\"value_fen\":500,\"count\":1}],"
                  "\"counted\":{\"cash\":700}}");
  mdn_test_fails (c, "invalid_argument", "{\"op\":\"shift.close\",\"counted\":{\"cash\":-1}}");
  mdn_test_fails (c, "invalid_argument", "{\"op\":\"shift.close\",\"counted\":{\"cash\":700},\"float_fen\":-5}");
  /* 7.00 cash and 3.50 Alipay expected; 7.50 and 3.50 counted: 0.50 over. */
  closed = mdn_test_ok (c, "{\"op\":\"shift.close\",\"denominations\":[{\"value_fen\":500,\"count\":1},"
                        "{\"value_fen\":100,\"count\":2},{\"value_fen\":50,\"count\":1}],\"counted\":{\"alipay\":350}}");
  g_assert_cmpint (mdn_test_int (closed, "over_short_fen"), ==, 50);
  g_assert_cmpint (mdn_test_int (closed, "entries"), ==, 2);

  /* The entry's check: the over/short is what counted − expected says. */
  e = mdn_entry_load (b->store->db, mdn_test_str (closed, "entry_id"), &error);
  g_assert_no_error (error);
  g_assert_true (mdn_entry_check (e, &error));
  g_assert_no_error (error);
  tenders = json_object_get_array_member (e->body, "tenders");
  json_object_set_int_member (json_array_get_object_element (tenders, 0), "over_short_fen", 0);
  g_assert_false (mdn_entry_check (e, &error));
  g_assert_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  json_object_set_int_member (json_array_get_object_element (tenders, 0), "over_short_fen", 50);
  json_object_set_int_member (json_array_get_object_element (json_object_get_array_member (e->body, "denominations"), 0),
                              "count", 2);
  g_assert_false (mdn_entry_check (e, &error));
  g_clear_error (&error);
  json_object_set_int_member (json_array_get_object_element (json_object_get_array_member (e->body, "denominations"), 0),
                              "count", 1);
  g_assert_true (mdn_entry_check (e, &error));
  /* No movements: a count moves no account. */
  mdn_entry_add_movement (e, NULL, "stock", "COLA", NULL, NULL, 1);
  g_assert_false (mdn_entry_check (e, &error));
  g_clear_error (&error);

  /* The next shift starts after the count. */
  {
    g_autoptr(JsonObject) next = mdn_test_ok (c, "{\"op\":\"shift.preview\"}");
    g_assert_cmpint (mdn_test_int (next, "entries"), ==, 0);
    g_assert_cmpint (mdn_test_int (json_array_get_object_element (json_object_get_array_member (next, "tenders"), 0),
                                   "expected_fen"), ==, 0);
  }
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
  mdn_op_ctx_free (c);
  mdn_test_set_now (NULL);
}

static void
test_receipt_handover (void)
{
  g_autoptr(JsonObject) o = parse ("{\"staff\":\"c01\",\"closed_at\":\"2026-11-22T14:00:00+08:00\",\"opened_at\":null,"
                                   "\"entries\":12,\"float_fen\":20000,\"over_short_fen\":-200,"
                                   "\"tenders\":[{\"tender\":\"cash\",\"expected_fen\":25700,\"counted_fen\":25500,"
                                   "\"over_short_fen\":-200,\"counted\":true},"
                                   "{\"tender\":\"wechat\",\"expected_fen\":3500,\"counted_fen\":3500,"
                                   "\"over_short_fen\":0,\"counted\":false}],"
                                   "\"denominations\":[{\"value_fen\":10000,\"count\":2},{\"value_fen\":5000,\"count\":1},"
                                   "{\"value_fen\":500,\"count\":1}]}");
  g_autoptr(GError) error = NULL;
  g_autoptr(PosHandover) h = pos_handover_parse (o, "shift.close", &error);
  g_autoptr(PosReceipt) r = NULL;
  const char *const want[] = { "一号店", "Shift Handover", "王小丽", "first shift", "2026-11-22 14:00", "12",
                               "Float", "200.00", "Cash", "257.00", "255.00", "short", "-2.00", "WeChat Pay",
                               "not counted", "100.00 × 2", "Short", NULL };

  g_assert_no_error (error);
  r = pos_receipt_for_handover (32, "一号店", "王小丽", NULL, "2026-11-22 14:00", h,
                                json_object_get_array_member (o, "denominations"));
  check_receipt (r, want);
}

/* 抹零 ------------------------------------------------------------------------------------- */

/* The ledger of a rounded cash sale and of its returns, from common/. */
static void
test_rounding_rules (void)
{
  g_autoptr(MdnTestBranch) b = NULL;
  g_autoptr(JsonObject) sold = NULL;
  g_autoptr(JsonObject) mixed = NULL;
  g_autoptr(JsonObject) back1 = NULL;
  g_autoptr(JsonObject) back2 = NULL;
  g_autoptr(JsonObject) shown = NULL;
  g_autoptr(MdnEntry) e = NULL;
  g_autoptr(GError) error = NULL;

  mdn_test_set_now ("2026-11-22T02:00:00Z");
  b = mdn_test_branch_new ("B01", 1);
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"product.upsert\",\"sku\":\"GUM\",\"name\":\"口香糖\","
                                  "\"price_fen\":1234,\"kind\":\"goods\"}"));
  /* None by default. */
  sold = mdn_test_ok (b->admin, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"GUM\",\"qty\":1}],"
                      "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":2000}]}");
  g_assert_cmpint (mdn_test_int (sold, "total_fen"), ==, 1234);
  g_assert_cmpint (mdn_test_int (sold, "rounding_fen"), ==, 0);
  g_clear_pointer (&sold, json_object_unref);

  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"settings.set\",\"key\":\"checkout.cash_rounding\",\"value\":\"yuan\"}"));
  /* Two at 12.34 in cash: 24.68 → 24.00, 0.68 as a discount. */
  sold = mdn_test_ok (b->admin, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"GUM\",\"qty\":2}],"
                      "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":5000}]}");
  g_assert_cmpint (mdn_test_int (sold, "total_fen"), ==, 2400);
  g_assert_cmpint (mdn_test_int (sold, "rounding_fen"), ==, 68);
  g_assert_cmpint (mdn_test_int (sold, "discount_fen"), ==, 68);
  g_assert_cmpint (mdn_test_int (sold, "change_fen"), ==, 2600);
  /* Not with another tender. */
  mixed = mdn_test_ok (b->admin, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"GUM\",\"qty\":1}],"
                       "\"tenders\":[{\"type\":\"wechat\",\"amount_fen\":1234}]}");
  g_assert_cmpint (mdn_test_int (mixed, "total_fen"), ==, 1234);
  g_assert_cmpint (mdn_test_int (mixed, "rounding_fen"), ==, 0);
  /* Cash given short of the unrounded total but covering the rounded one. */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"GUM\",\"qty\":1}],"
                                  "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":1200}]}"));

  /* One back: its line's refund; the other: the rest of what was paid. */
  back1 = mdn_test_ok (b->admin, "{\"op\":\"sale.return\",\"entry_id\":\"%s\",\"lines\":[{\"sku\":\"GUM\",\"qty\":1}]}",
                       mdn_test_str (sold, "entry_id"));
  g_assert_cmpint (mdn_test_int (back1, "refund_fen"), ==, 1234);
  back2 = mdn_test_ok (b->admin, "{\"op\":\"sale.return\",\"entry_id\":\"%s\",\"lines\":[{\"sku\":\"GUM\",\"qty\":1}]}",
                       mdn_test_str (sold, "entry_id"));
  g_assert_cmpint (mdn_test_int (back2, "refund_fen"), ==, 2400 - 1234);
  shown = mdn_test_ok (b->admin, "{\"op\":\"receipt.show\",\"entry_id\":\"%s\"}", mdn_test_str (sold, "entry_id"));
  g_assert_cmpint (mdn_test_int (shown, "refunded_fen"), ==, 2400);
  g_assert_cmpint (mdn_test_int (shown, "refundable_fen"), ==, 0);

  /* The check: the rounding is 1–99 fen of a payment in cash alone. */
  e = mdn_entry_load (b->store->db, mdn_test_str (sold, "entry_id"), &error);
  g_assert_no_error (error);
  g_assert_true (mdn_entry_check (e, &error));
  json_object_set_int_member (e->body, "rounding_fen", 100);
  g_assert_false (mdn_entry_check (e, &error));
  g_clear_error (&error);
  json_object_set_int_member (e->body, "rounding_fen", 67);
  g_assert_false (mdn_entry_check (e, &error));
  g_clear_error (&error);
  json_object_set_int_member (e->body, "rounding_fen", 68);
  json_object_set_string_member (json_array_get_object_element (json_object_get_array_member (e->body, "tenders"), 0),
                                 "type", "wechat");
  g_assert_false (mdn_entry_check (e, &error));
  g_clear_error (&error);
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
  mdn_test_set_now (NULL);
}

/* The pay dialog at a branch that rounds to the yuan. */
static void
test_cash_rounding (Fixture       *f,
                    gconstpointer  data)
{
  PosCheckout *checkout;
  PosPayDialog *pay;
  g_autoptr(JsonObject) shown = NULL;

  if (skip_without_display ())
    return;
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"product.upsert\",\"sku\":\"GUM\",\"name\":\"口香糖\","
                                  "\"price_fen\":1234,\"kind\":\"goods\"}"));
  json_object_unref (mdn_test_ok (f->branch->admin, "{\"op\":\"settings.set\",\"key\":\"checkout.cash_rounding\","
                                  "\"value\":\"yuan\"}"));
  login (f, "c01");
  checkout = POS_CHECKOUT (pos_window_get_checkout (f->window));
  scan (pos_checkout_get_entry (checkout), "GUM");
  scan (pos_checkout_get_entry (checkout), "");
  pay = POS_PAY_DIALOG (pos_checkout_get_pay_dialog (checkout));
  g_assert_nonnull (pay);
  /* Cash alone: 12.00 is prefilled, no change. */
  g_assert_cmpint (pos_pay_dialog_get_change (pay), ==, 0);
  screenshot (GTK_WIDGET (pay), "cash-rounding");
  /* With WeChat the whole 12.34 is due. */
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.fill", "s", "wechat");
  pump (30);
  g_assert_cmpint (pos_pay_dialog_get_change (pay), ==, 0);
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.fill", "s", "cash");
  pos_pay_dialog_set_tender (pay, "wechat", "");
  pos_pay_dialog_set_tender (pay, "cash", "20");
  pump (30);
  g_assert_cmpint (pos_pay_dialog_get_change (pay), ==, 800);
  gtk_widget_activate_action (GTK_WIDGET (pay), "pay.confirm", NULL);
  pump (100);
  g_assert_null (pos_checkout_get_pay_dialog (checkout));
  shown = run (f->session, "{\"op\":\"receipt.show\",\"receipt_no\":\"%s\"}", pos_checkout_get_last_receipt (checkout));
  g_assert_cmpint (json_object_get_int_member (shown, "total_fen"), ==, 1200);
  g_assert_cmpint (json_object_get_int_member (shown, "rounding_fen"), ==, 34);
  g_assert_cmpint (json_object_get_int_member (shown, "change_fen"), ==, 800);
  {
    const char *const want[] = { "12.00", "Rounding", "-0.34", NULL };
    g_assert_true (printed (f, want));
  }
  g_assert_cmpuint (mdn_test_verify (f->branch), ==, 0);
}

/* The issue-card form and the printable card ------------------------------------------------ */

static void
test_issue_card (Fixture       *f,
                 gconstpointer  data)
{
  PosMembers *members;
  PosForm *form, *card_form;
  GtkWidget *pin, *deposit, *focus, *calendar;
  g_autoptr(JsonObject) found = NULL;
  g_autoptr(JsonObject) shown = NULL;
  g_autoptr(GdkTexture) png = NULL;
  g_autofree char *card_png = NULL;
  g_autoptr(GError) error = NULL;
  const char *card;

  if (skip_without_display ())
    return;
  login (f, "c01");
  gtk_widget_activate_action (GTK_WIDGET (f->window), "pos.page", "s", "members");
  pump (50);
  members = POS_MEMBERS (pos_window_get_members (f->window));
  gtk_widget_activate_action (GTK_WIDGET (members), "member.issue", NULL);
  pump (50);
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  g_assert_nonnull (form);
  gtk_editable_set_text (GTK_EDITABLE (pos_form_get_widget (form, "name")), "李四");
  gtk_editable_set_text (GTK_EDITABLE (pos_form_get_widget (form, "phone")), "13800000002");
  calendar = pos_form_get_widget (form, "calendar");
  g_assert_nonnull (calendar);
  adw_combo_row_set_selected (ADW_COMBO_ROW (calendar), 1);                /* lunar */
  gtk_editable_set_text (GTK_EDITABLE (pos_form_get_widget (form, "birthday")), "08-15");
  gtk_editable_set_text (GTK_EDITABLE (pos_form_get_widget (form, "expires_on")), "2027-12-31");
  pin = pos_form_get_widget (form, "pin");
  deposit = pos_form_get_widget (form, "deposit");
  gtk_editable_set_text (GTK_EDITABLE (pin), "246810");
  /* Tab from the PIN lands in the deposit, not on the PIN's eye button. */
  gtk_widget_grab_focus (pin);
  pump (20);
  g_assert_true (gtk_widget_child_focus (GTK_WIDGET (form), GTK_DIR_TAB_FORWARD));
  pump (20);
  focus = gtk_root_get_focus (GTK_ROOT (form));
  g_assert_nonnull (focus);
  g_assert_true (focus == deposit || gtk_widget_is_ancestor (focus, deposit));
  gtk_editable_set_text (GTK_EDITABLE (deposit), "300");
  pump (20);
  screenshot (GTK_WIDGET (form), "issue-card-form");
  forget_receipts (f);
  pos_form_accept (form);
  pump (150);

  /* The ledger: the card with its lunar birthday, validity and deposit. */
  found = run (f->session, "{\"op\":\"member.search\",\"query\":\"13800000002\"}");
  card = json_object_get_string_member (json_array_get_object_element (json_object_get_array_member (found, "members"), 0),
                                        "card_no");
  shown = run (f->session, "{\"op\":\"member.show\",\"card\":\"%s\"}", card);
  g_assert_cmpstr (json_object_get_string_member (shown, "birthday_lunar"), ==, "08-15");
  g_assert_null (json_object_get_string_member (shown, "birthday"));
  g_assert_cmpstr (json_object_get_string_member (shown, "expires_on"), ==, "2027-12-31");
  g_assert_cmpint (json_object_get_int_member (shown, "balance_fen"), ==, 30000);
  {
    const char *const want[] = { "Deposit Receipt", "Amount", "300.00", "Paid by", "Cash", NULL };
    g_assert_true (printed (f, want));
  }

  /* The printable card: shown with Done only, written as a PNG. */
  card_form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  g_assert_nonnull (card_form);
  g_assert_true (card_form != form || gtk_widget_get_visible (GTK_WIDGET (card_form)));
  screenshot (GTK_WIDGET (card_form), "member-card");
  {
    g_autofree char *file = g_strdup_printf ("card-%s.png", card);
    card_png = g_build_filename (g_get_user_cache_dir (), "mendian", file, NULL);
  }
  png = gdk_texture_new_from_filename (card_png, &error);
  g_assert_no_error (error);
  g_assert_cmpint (gdk_texture_get_width (png), ==, 1012);
  g_assert_cmpint (gdk_texture_get_height (png), ==, 638);
  g_assert_cmpuint (mdn_test_verify (f->branch), ==, 0);
}

/* Receipt bytes of every kind (no display) ---------------------------------------------------- */

static JsonObject *
parse (const char *json)
{
  g_autoptr(GError) error = NULL;
  JsonObject *o = mdn_json_parse_object (json, &error);

  g_assert_no_error (error);
  return o;
}

/* The receipt rendered both ways: the text holds every needle, the
 * ESC/POS bytes hold them in GB18030, and no line is wider than the paper. */
static void
check_receipt (PosReceipt         *r,
               const char *const  *needles)
{
  g_autofree char *text = pos_receipt_render_text (r);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = pos_receipt_render_escpos (r, &error);
  g_auto(GStrv) lines = g_strsplit (text, "\n", -1);
  static const guint8 init[] = { 0x1b, '@', 0x1c, '&' };
  gsize len;
  const guint8 *p;

  g_assert_no_error (error);
  p = g_bytes_get_data (bytes, &len);
  g_assert_cmpmem (p, sizeof init, init, sizeof init);
  for (guint i = 0; needles[i]; i++)
    {
      g_autofree char *gb = g_convert (needles[i], -1, "GB18030", "UTF-8", NULL, NULL, NULL);

      if (strstr (text, needles[i]) == NULL)
        g_error ("the receipt has no “%s”:\n%s", needles[i], text);
      g_assert_nonnull (memmem (p, len, gb, strlen (gb)));
    }
  for (guint i = 0; lines[i]; i++)
    g_assert_cmpint (pos_text_width (lines[i]), <=, 32);
}

static void
test_receipt_package_use (void)
{
  g_autoptr(JsonObject) o = parse ("{\"card_no\":\"00100000017\",\"sku\":\"MASSAGE\",\"name\":\"足疗\","
                                   "\"count\":1,\"remaining\":5,\"lots\":[]}");
  g_autoptr(PosReceipt) r = pos_receipt_for_entry (32, "一号店", "王小丽", "2026-11-22 10:00", "Package Use", o);
  const char *const want[] = { "一号店", "Package Use", "王小丽", "2026-11-22 10:00", "足疗", "Used now", "1 uses",
                               "Uses left", "5 uses", "00100000017", NULL };

  check_receipt (r, want);
  {
    g_autofree char *text = pos_receipt_render_text (r);
    g_assert_null (strstr (text, "MASSAGE"));
  }
}

static void
test_receipt_deposit_at_issue (void)
{
  /* member.issue's answer with a deposit. */
  g_autoptr(JsonObject) o = parse ("{\"member_id\":\"m\",\"card_no\":\"00100000017\",\"qr\":\"q\",\"entry_id\":\"e\","
                                   "\"deposit_entry_id\":\"d\",\"amount_fen\":50000,\"bonus_fen\":5000,"
                                   "\"tender\":\"alipay\",\"balance_fen\":55000}");
  g_autoptr(PosReceipt) r = pos_receipt_for_entry (32, "一号店", "王小丽", "2026-11-22 10:00", "Deposit Receipt", o);
  const char *const want[] = { "Deposit Receipt", "Amount", "500.00", "Bonus", "50.00", "Paid by", "Alipay",
                               "Balance", "550.00", NULL };

  check_receipt (r, want);
}

static void
test_receipt_return (void)
{
  g_autoptr(JsonObject) o = parse ("{\"receipt_no\":\"B01-20261122-0002\",\"sale_receipt_no\":\"B01-20261122-0001\","
                                   "\"refund_fen\":630,\"tenders\":[{\"type\":\"cash\",\"amount_fen\":630}],"
                                   "\"lines\":[{\"line\":1,\"sku\":\"COLA\",\"name\":\"可口可乐\",\"kind\":\"goods\","
                                   "\"qty\":2,\"refund_fen\":630},"
                                   "{\"line\":2,\"sku\":\"CUT10\",\"name\":\"洗剪吹 10 次卡\",\"kind\":\"package\","
                                   "\"qty\":1,\"refund_fen\":0,\"uses\":10}]}");
  g_autoptr(PosReceipt) r = pos_receipt_for_entry (32, "一号店", "李店长", "2026-11-22 10:05", "Return Receipt", o);
  const char *const want[] = { "B01-20261122-0002", "Original receipt", "B01-20261122-0001", "可口可乐", "2 back",
                               "6.30", "洗剪吹 10 次卡", "1 back (10 uses)", "Refund", "Cash", NULL };

  check_receipt (r, want);
}

static void
test_receipt_timed (void)
{
  g_autoptr(JsonObject) o = parse ("{\"receipt_no\":\"B01-20261122-0003\",\"resource\":\"T1\","
                                   "\"resource_name\":\"台球 1 号台\",\"minutes\":85,\"total_fen\":6000,"
                                   "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":6000}]}");
  g_autoptr(PosReceipt) r = pos_receipt_for_entry (32, "一号店", "王小丽", "2026-11-22 11:25", "Timed Session", o);
  const char *const want[] = { "台球 1 号台", "85 min", "60.00", "B01-20261122-0003", NULL };
  g_autofree char *text = pos_receipt_render_text (r);

  check_receipt (r, want);
  g_assert_null (strstr (text, "T1\n"));
}

/* A table with goods on it: the time, then every product. */
static void
test_receipt_timed_goods (void)
{
  g_autoptr(JsonObject) o = parse ("{\"receipt_no\":\"B01-20261122-0004\",\"resource\":\"T1\","
                                   "\"resource_name\":\"台球 1 号台\",\"minutes\":85,\"time_fen\":6000,"
                                   "\"lines\":[{\"sku\":\"COLA\",\"name\":\"可口可乐 330ml\",\"qty\":2,"
                                   "\"unit_price_fen\":350,\"amount_fen\":700}],\"total_fen\":6700,"
                                   "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":6700}]}");
  g_autoptr(PosReceipt) r = pos_receipt_for_entry (32, "一号店", "王小丽", "2026-11-22 11:25", "Timed Session", o);
  const char *const want[] = { "台球 1 号台", "85 min", "Time", "60.00", "可口可乐 330ml", "2 × 3.50", "7.00",
                               "67.00", NULL };
  g_autofree char *text = pos_receipt_render_text (r);

  check_receipt (r, want);
  g_assert_null (strstr (text, "back"));
}

/* Prepaid time: what was bought now and all there is. */
static void
test_receipt_prepaid (void)
{
  g_autoptr(JsonObject) o = parse ("{\"receipt_no\":\"B01-20261122-0005\",\"resource\":\"K1\","
                                   "\"resource_name\":\"KTV 小包 1\",\"minutes\":60,\"prepaid_minutes\":120,"
                                   "\"total_fen\":3000,\"tenders\":[{\"type\":\"cash\",\"amount_fen\":3000}]}");
  g_autoptr(PosReceipt) r = pos_receipt_for_entry (32, "一号店", "王小丽", "2026-11-22 10:55", "Prepaid Time", o);
  const char *const want[] = { "KTV 小包 1", "Prepaid time", "60 min", "Prepaid in all", "120 min", "30.00", NULL };
  g_autofree char *text = pos_receipt_render_text (r);

  check_receipt (r, want);
  g_assert_null (strstr (text, "Time used"));
}

static void
test_receipt_withdraw (void)
{
  g_autoptr(JsonObject) o = parse ("{\"card_no\":\"00100000017\",\"amount_fen\":3000,\"principal_fen\":17000,"
                                   "\"balance_fen\":17000}");
  g_autoptr(PosReceipt) r = pos_receipt_for_entry (32, "一号店", "李店长", "2026-11-22 10:00", "Withdrawal", o);
  const char *const want[] = { "Withdrawal", "Amount", "30.00", "Balance", "170.00", NULL };

  check_receipt (r, want);
}

static void
test_receipt_sale_reprint (void)
{
  /* receipt.show's answer of a member sale, paid partly from the balance. */
  g_autoptr(JsonObject) o = parse ("{\"kind\":\"sale\",\"receipt_no\":\"B01-20261122-0001\",\"entry_id\":\"e\","
                                   "\"at\":\"2026-11-22T02:00:00Z\",\"staff\":\"c01\",\"staff_name\":\"王小丽\","
                                   "\"card_no\":\"00100000017\",\"list_total_fen\":27200,\"total_fen\":24480,"
                                   "\"discount_fen\":2720,\"change_fen\":0,\"points_earned\":488,"
                                   "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":20000},"
                                   "{\"type\":\"cash\",\"amount_fen\":4480}]}");
  g_autoptr(JsonObject) holder = parse ("{\"lines\":[{\"name\":\"洗剪吹\",\"qty\":4,\"price_fen\":6800,\"total_fen\":24480}]}");
  g_autoptr(PosReceipt) r = pos_receipt_for_sale (32, "一号店", "王小丽", "2026-11-22 10:00", o,
                                                   json_object_get_array_member (holder, "lines"));
  const char *const want[] = { "洗剪吹", "244.80", "Member balance", "200.00", "Cash", "44.80", "王小丽", NULL };

  check_receipt (r, want);
}

/* Under LeakSanitizer: fontconfig and the GL drivers keep process-lifetime
 * caches that are never freed. */
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
  const char *wayland = g_getenv ("WAYLAND_DISPLAY");

  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  g_setenv ("GDK_DEBUG", "gl-disable", FALSE);
  g_setenv ("GTK_A11Y", "none", FALSE);
  g_setenv ("ADW_DISABLE_PORTAL", "1", TRUE);
  /* The tests read the English messages; the PC's zone is not the branch's. */
  g_setenv ("LANGUAGE", "C", TRUE);
  g_setenv ("TZ", "UTC", TRUE);
  g_test_init (&argc, &argv, NULL);
  pos_i18n_init ();
  mdn_branch_init ();
  if ((display && *display) || (wayland && *wayland))
    {
      have_display = gtk_init_check ();
      if (have_display)
        adw_init ();
    }

  g_test_add_func ("/pos/counter/receipt/package-use", test_receipt_package_use);
  g_test_add_func ("/pos/counter/receipt/deposit-at-issue", test_receipt_deposit_at_issue);
  g_test_add_func ("/pos/counter/receipt/return", test_receipt_return);
  g_test_add_func ("/pos/counter/receipt/timed", test_receipt_timed);
  g_test_add_func ("/pos/counter/receipt/timed-goods", test_receipt_timed_goods);
  g_test_add_func ("/pos/counter/receipt/prepaid", test_receipt_prepaid);
  g_test_add_func ("/pos/counter/receipt/withdraw", test_receipt_withdraw);
  g_test_add_func ("/pos/counter/receipt/sale-reprint", test_receipt_sale_reprint);
  g_test_add_func ("/pos/counter/receipt/handover", test_receipt_handover);
  g_test_add_func ("/pos/counter/shift/rules", test_shift_rules);
  g_test_add_func ("/pos/counter/rounding/rules", test_rounding_rules);
  g_test_add ("/pos/counter/ui/refusal-words", Fixture, NULL, fixture_set_up, test_refusal_words, fixture_tear_down);
  g_test_add ("/pos/counter/ui/f9-short-balance", Fixture, NULL, fixture_set_up, test_f9_short_balance, fixture_tear_down);
  g_test_add ("/pos/counter/ui/reprint-after-restart", Fixture, NULL, fixture_set_up, test_reprint_after_restart,
              fixture_tear_down);
  g_test_add ("/pos/counter/ui/names", Fixture, NULL, fixture_set_up, test_names, fixture_tear_down);
  g_test_add ("/pos/counter/ui/returns-switch", Fixture, NULL, fixture_set_up, test_returns_switch, fixture_tear_down);
  g_test_add ("/pos/counter/ui/table-payment", Fixture, NULL, fixture_set_up, test_table_payment, fixture_tear_down);
  g_test_add ("/pos/counter/ui/handover", Fixture, NULL, fixture_set_up, test_handover, fixture_tear_down);
  g_test_add ("/pos/counter/ui/cash-rounding", Fixture, NULL, fixture_set_up, test_cash_rounding, fixture_tear_down);
  g_test_add ("/pos/counter/ui/issue-card", Fixture, NULL, fixture_set_up, test_issue_card, fixture_tear_down);
  g_test_add ("/pos/counter/ui/change-table", Fixture, NULL, fixture_set_up, test_change_table, fixture_tear_down);
  g_test_add ("/pos/counter/ui/pause-table", Fixture, NULL, fixture_set_up, test_pause_table, fixture_tear_down);
  g_test_add ("/pos/counter/ui/table-goods", Fixture, NULL, fixture_set_up, test_table_goods, fixture_tear_down);
  g_test_add ("/pos/counter/ui/prepaid-table", Fixture, NULL, fixture_set_up, test_prepaid_table, fixture_tear_down);
  return g_test_run ();
}
