/* The POS's member keeping under Xvfb: the checkout's hints for an attached
 * member (lunar birthday, low balance, card expiry), the reminders window
 * of the Members page with its badge, and marking a reminder done. Saves
 * screenshots at 1024×768 next to the test log. The clock is fixed
 * (MENDIAN_NOW). */
#include <adwaita.h>
#include <string.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-sync.h"
#include "mdn-test-ui.h"
#include "mdn-test-util.h"
#include "pos-application.h"
#include "pos-checkout.h"
#include "pos-login.h"
#include "pos-member-import.h"
#include "pos-member-list.h"
#include "pos-messages.h"
#include "pos-members.h"
#include "pos-reminder-view.h"
#include "pos-reminders.h"
#include "pos-session.h"
#include "pos-window.h"

static gboolean have_display;

static void
pump (guint ms)
{
  mdn_test_ui_pump (ms);
}

static void
screenshot (GtkWidget  *widget,
            const char *name)
{
  g_assert_true (mdn_test_ui_screenshot (widget, "pos-reminders", name));
}

static void
test_hints_and_reminders (void)
{
  g_autoptr(MdnTestBranch) b = NULL;
  g_autoptr(PosSession) session = NULL;
  g_autoptr(JsonObject) m = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *card = NULL;
  PosWindow *window;
  PosCheckout *checkout;
  PosReminders *reminders;
  GtkWidget *entry;
  AdwViewStackPage *page;
  GtkWidget *stack;

  if (!have_display)
    {
      g_test_skip ("no display: run under xvfb-run");
      return;
    }
  mdn_test_set_now ("2026-09-22T10:00:00+08:00");
  b = mdn_test_branch_new ("B01", 1);
  mdn_op_ctx_free (mdn_test_staff (b, "c01", "cashier"));
  m = mdn_test_ok (b->admin, "{\"op\":\"member.issue\",\"name\":\"中秋\",\"phone\":\"13800000001\","
                             "\"birthday_lunar\":\"08-15\",\"deposit\":\"20.00\",\"expires_on\":\"2026-10-10\"}");
  card = g_strdup (mdn_test_str (m, "card_no"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.issue\",\"name\":\"阳历\",\"phone\":\"13800000002\","
                                            "\"birthday\":\"1990-09-24\"}"));

  session = pos_session_new ();
  window = pos_window_new (NULL, session, b->path);
  gtk_window_set_default_size (GTK_WINDOW (window), 1024, 768);
  gtk_window_present (GTK_WINDOW (window));
  pump (200);
  pos_login_submit (POS_LOGIN (pos_window_get_login (window)), "c01", MDN_TEST_PASSWORD);
  pump (100);
  g_assert_true (pos_session_is_logged_in (session));

  /* The badge of the Members page: two birthdays, a low balance, an expiry;
     the first member is also low on balance (¥20.00 < ¥50.00). */
  stack = gtk_widget_get_ancestor (pos_window_get_members (window), ADW_TYPE_VIEW_STACK);
  g_assert_nonnull (stack);
  page = adw_view_stack_get_page (ADW_VIEW_STACK (stack), pos_window_get_members (window));
  g_assert_cmpuint (adw_view_stack_page_get_badge_number (page), ==, 4);

  /* At the checkout, the member's hints. */
  checkout = POS_CHECKOUT (pos_window_get_checkout (window));
  entry = pos_checkout_get_entry (checkout);
  gtk_editable_set_text (GTK_EDITABLE (entry), card);
  g_signal_emit_by_name (entry, "activate");
  pump (100);
  /* In Chinese (LANGUAGE=zh_CN, for the screenshots) as the issue says it. */
  if (g_str_has_prefix (g_getenv ("LANGUAGE") ? g_getenv ("LANGUAGE") : "", "zh"))
    g_assert_cmpstr (pos_checkout_get_hints (checkout), ==,
                     "农历八月十五生日（3 天后） · 余额不足 ¥20.00 · 卡将于 10-10 到期");
  else
    g_assert_cmpstr (pos_checkout_get_hints (checkout), ==,
                     "Lunar 八月十五 birthday (in 3 days) · Low balance ¥20.00 · The card expires on 10-10");
  screenshot (GTK_WIDGET (window), "checkout-hints");
  /* A card printed with the chain's public URL scans too: the second
     member, by the address of their member page. */
  {
    g_autoptr(JsonObject) qr = mdn_test_ok (b->admin, "{\"op\":\"member.qr\",\"card\":\"13800000002\"}");
    g_autofree char *url = g_strdup_printf ("https://vip.example.com/m/%s", mdn_test_str (qr, "payload"));

    gtk_editable_set_text (GTK_EDITABLE (entry), url);
    g_signal_emit_by_name (entry, "activate");
    pump (100);
    g_assert_nonnull (pos_checkout_get_hints (checkout));
    g_assert_null (strstr (pos_checkout_get_hints (checkout), "八月十五"));   /* the other member now */
  }

  /* The reminders window: birthdays, nearest first; one marked done. */
  reminders = pos_reminders_new (GTK_WIDGET (window), session);
  gtk_window_set_default_size (GTK_WINDOW (reminders), 760, 560);
  gtk_window_present (GTK_WINDOW (reminders));
  pump (100);
  g_assert_cmpuint (pos_reminders_get_n_rows (reminders), ==, 2);
  screenshot (GTK_WIDGET (reminders), "birthdays");
  g_assert_true (pos_reminders_mark_done (reminders, 0, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (pos_reminders_get_n_rows (reminders), ==, 1);
  pos_reminders_show_kind (reminders, "low_balance");
  pump (50);
  g_assert_cmpuint (pos_reminders_get_n_rows (reminders), ==, 1);
  screenshot (GTK_WIDGET (reminders), "low-balance");
  gtk_window_close (GTK_WINDOW (reminders));
  pump (50);
  pos_members_refresh_reminders (POS_MEMBERS (pos_window_get_members (window)));
  g_assert_cmpuint (adw_view_stack_page_get_badge_number (page), ==, 3);

  gtk_window_destroy (GTK_WINDOW (window));
  pump (50);
  mdn_test_set_now (NULL);
}

/* The member import dialog: a bad file's lines named, a good one
 * previewed, confirmed and imported; a cashier is refused. */
static void
test_member_import (void)
{
  static const char bad[] = "姓名,手机,本金\n张三,13800000011,100.00\n李四,abc,5\n王五,13800000011,1.2.3\n";
  static const char good[] = "姓名,手机,等级,本金,赠送,积分,旧卡号\n张三,13800000011,,100.00,20.00,300,OLD-1\n"
                             "李四,13800000012,,,,,\n";
  g_autoptr(MdnTestBranch) b = NULL;
  g_autoptr(PosSession) session = NULL, cashier = NULL;
  g_autoptr(GBytes) bad_bytes = g_bytes_new_static (bad, sizeof bad - 1);
  g_autoptr(GBytes) good_bytes = g_bytes_new_static (good, sizeof good - 1);
  g_autoptr(GError) error = NULL;
  PosWindow *window;
  PosMemberImport *dialog;

  if (!have_display)
    {
      g_test_skip ("no display: run under xvfb-run");
      return;
    }
  mdn_test_set_now ("2026-09-22T10:00:00+08:00");
  b = mdn_test_branch_new ("B01", 1);
  mdn_op_ctx_free (mdn_test_staff (b, "m01", "manager"));
  mdn_op_ctx_free (mdn_test_staff (b, "c01", "cashier"));
  session = pos_session_new ();
  window = pos_window_new (NULL, session, b->path);
  gtk_window_set_default_size (GTK_WINDOW (window), 1024, 768);
  gtk_window_present (GTK_WINDOW (window));
  pump (200);
  pos_login_submit (POS_LOGIN (pos_window_get_login (window)), "m01", MDN_TEST_PASSWORD);
  pump (100);
  g_assert_true (pos_session_is_logged_in (session));

  dialog = pos_member_import_new (GTK_WIDGET (window), session);
  gtk_window_set_default_size (GTK_WINDOW (dialog), 1024, 768);
  gtk_window_present (GTK_WINDOW (dialog));
  pos_member_import_load (dialog, "old.csv", bad_bytes);
  pump (100);
  /* Line 3: not a phone; line 4: bad money and the phone of line 2. */
  g_assert_cmpuint (pos_member_import_n_errors (dialog), ==, 3);
  g_assert_cmpuint (pos_member_import_n_rows (dialog), ==, 0);
  screenshot (GTK_WIDGET (dialog), "import-errors");
  g_assert_false (pos_member_import_run (dialog, &error));
  g_assert_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_cmpint (mdn_test_count (b, "SELECT count (*) FROM members"), ==, 0);

  pos_member_import_load (dialog, "old.csv", good_bytes);
  pump (100);
  g_assert_cmpuint (pos_member_import_n_errors (dialog), ==, 0);
  g_assert_cmpuint (pos_member_import_n_rows (dialog), ==, 2);
  screenshot (GTK_WIDGET (dialog), "import-preview");
  g_assert_true (pos_member_import_run (dialog, &error));
  g_assert_no_error (error);
  pump (100);
  g_assert_cmpint (mdn_test_count (b, "SELECT count (*) FROM members"), ==, 2);
  g_assert_nonnull (strstr (pos_member_import_get_status (dialog), "2"));
  screenshot (GTK_WIDGET (dialog), "import-done");
  gtk_window_destroy (GTK_WINDOW (dialog));

  /* A cashier: refused by common/, and the dialog says so. */
  cashier = pos_session_new ();
  g_assert_true (pos_session_open (cashier, b->path, &error));
  g_assert_true (pos_session_login (cashier, "c01", MDN_TEST_PASSWORD, &error));
  dialog = pos_member_import_new (GTK_WIDGET (window), cashier);
  pos_member_import_load (dialog, "old.csv", good_bytes);
  g_assert_cmpuint (pos_member_import_n_rows (dialog), ==, 0);
  g_assert_false (pos_member_import_run (dialog, &error));
  g_assert_error (error, MDN_ERROR, MDN_ERROR_PERMISSION_DENIED);
  gtk_window_destroy (GTK_WINDOW (dialog));
  gtk_window_destroy (GTK_WINDOW (window));
  pump (50);
  mdn_test_set_now (NULL);
}

static void
on_exported (PosMemberList *list,
             const char    *error,
             char         **out)
{
  *out = g_strdup (error ? error : "ok");
}

/* The member filter window: find, export (CSV with a BOM), an SMS
 * campaign previewed and sent; a cashier is refused by common/. */
static void
test_member_filter_window (void)
{
  g_autoptr(MdnTestBranch) b = NULL;
  g_autoptr(PosSession) session = NULL, cashier = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *csv = NULL, *text = NULL, *preview = NULL, *done = NULL;
  PosWindow *window;
  PosMemberList *list;

  if (!have_display)
    {
      g_test_skip ("no display: run under xvfb-run");
      return;
    }
  mdn_test_set_now ("2026-09-22T10:00:00+08:00");
  b = mdn_test_branch_new ("B01", 1);
  mdn_op_ctx_free (mdn_test_staff (b, "m01", "manager"));
  mdn_op_ctx_free (mdn_test_staff (b, "c01", "cashier"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.issue\",\"name\":\"大客\",\"phone\":\"13800000031\","
                                            "\"deposit\":\"500.00\"}"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.issue\",\"name\":\"中客\",\"phone\":\"13800000032\","
                                            "\"deposit\":\"80.00\"}"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.issue\",\"name\":\"小客\",\"phone\":\"13800000033\","
                                            "\"deposit\":\"10.00\"}"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.sms_prefs\",\"card\":\"13800000031\",\"sms_consent\":true}"));
  session = pos_session_new ();
  window = pos_window_new (NULL, session, b->path);
  gtk_window_set_default_size (GTK_WINDOW (window), 1024, 768);
  gtk_window_present (GTK_WINDOW (window));
  pump (200);
  pos_login_submit (POS_LOGIN (pos_window_get_login (window)), "m01", MDN_TEST_PASSWORD);
  pump (100);
  g_assert_true (pos_session_is_logged_in (session));

  list = pos_member_list_new (GTK_WIDGET (window), session);
  gtk_window_set_default_size (GTK_WINDOW (list), 1024, 768);
  gtk_window_present (GTK_WINDOW (list));
  pos_member_list_set_field (list, "balance_min", "50.00");
  g_assert_cmpint (pos_member_list_find (list, &error), ==, 2);
  g_assert_no_error (error);
  g_assert_cmpuint (pos_member_list_n_rows (list), ==, 2);
  pump (100);
  screenshot (GTK_WIDGET (list), "filter-found");
  /* A segment is scored over the window chosen, as the counts are. */
  pos_member_list_set_field (list, "segment", "general_value");
  pos_member_list_set_field (list, "period", "90");
  {
    g_autoptr(JsonObject) f = pos_member_list_dup_filter (list);

    g_assert_cmpstr (json_object_get_string_member (f, "segment"), ==, "general_value");
    g_assert_cmpint (json_object_get_int_member (f, "days"), ==, 90);
  }
  pos_member_list_set_field (list, "period", "");
  pos_member_list_set_field (list, "segment", "");
  {
    g_autoptr(JsonObject) f = pos_member_list_dup_filter (list);

    g_assert_false (json_object_has_member (f, "days"));
  }

  /* Export: every member of the filter, in a worker; wait for its signal. */
  csv = g_build_filename (b->dir, "members.csv", NULL);
  g_signal_connect (list, "exported", G_CALLBACK (on_exported), &done);
  pos_member_list_export_to (list, csv);
  while (done == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpstr (done, ==, "ok");
  g_assert_true (g_file_get_contents (csv, &text, NULL, NULL));
  g_assert_true (g_str_has_prefix (text, "\xEF\xBB\xBF"));
  g_assert_nonnull (strstr (text, "大客"));
  g_assert_nonnull (strstr (text, "中客"));
  g_assert_null (strstr (text, "小客"));

  /* The campaign: the count of those who agreed, the text, then sent. */
  pos_member_list_set_text (list, "{name}您好，本周会员日八折");
  g_assert_cmpint (pos_member_list_preview (list, &preview, &error), ==, 1);
  g_assert_no_error (error);
  g_assert_cmpstr (preview, ==, "大客您好，本周会员日八折拒收请回复R");
  pump (100);
  screenshot (GTK_WIDGET (list), "filter-campaign-preview");
  g_assert_true (pos_member_list_send (list, &error));
  g_assert_no_error (error);
  g_assert_cmpint (mdn_test_count (b, "SELECT count (*) FROM entries WHERE kind = 'sms.campaign'"), ==, 1);
  pump (100);
  screenshot (GTK_WIDGET (list), "filter-campaign-sent");
  gtk_window_destroy (GTK_WINDOW (list));

  /* A cashier may neither list, nor send. */
  cashier = pos_session_new ();
  g_assert_true (pos_session_open (cashier, b->path, &error));
  g_assert_true (pos_session_login (cashier, "c01", MDN_TEST_PASSWORD, &error));
  list = pos_member_list_new (GTK_WIDGET (window), cashier);
  g_assert_cmpint (pos_member_list_find (list, &error), ==, -1);
  g_assert_error (error, MDN_ERROR, MDN_ERROR_PERMISSION_DENIED);
  g_clear_error (&error);
  pos_member_list_set_text (list, "hi");
  g_assert_false (pos_member_list_send (list, &error));
  g_assert_error (error, MDN_ERROR, MDN_ERROR_PERMISSION_DENIED);
  g_assert_cmpint (mdn_test_count (b, "SELECT count (*) FROM entries WHERE kind = 'sms.campaign'"), ==, 1);
  gtk_window_destroy (GTK_WINDOW (list));
  gtk_window_destroy (GTK_WINDOW (window));
  pump (50);
  mdn_test_set_now (NULL);
}

/* The messages window: a message for the member on the page, a reply,
 * open and replied. */
static void
test_messages_window (void)
{
  g_autoptr(MdnTestBranch) b = NULL;
  g_autoptr(PosSession) session = NULL;
  g_autoptr(GError) error = NULL;
  PosWindow *window;
  PosMessages *messages;

  if (!have_display)
    {
      g_test_skip ("no display: run under xvfb-run");
      return;
    }
  mdn_test_set_now ("2026-09-22T10:00:00+08:00");
  b = mdn_test_branch_new ("B01", 1);
  mdn_op_ctx_free (mdn_test_staff (b, "c01", "cashier"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.issue\",\"name\":\"王芳\",\"phone\":\"13800000041\"}"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"message.add\",\"card\":\"13800000041\",\"text\":\"周日几点开门？\"}"));
  session = pos_session_new ();
  window = pos_window_new (NULL, session, b->path);
  gtk_window_set_default_size (GTK_WINDOW (window), 1024, 768);
  gtk_window_present (GTK_WINDOW (window));
  pump (200);
  pos_login_submit (POS_LOGIN (pos_window_get_login (window)), "c01", MDN_TEST_PASSWORD);
  pump (100);

  messages = pos_messages_new (GTK_WIDGET (window), session, "13800000041");
  gtk_window_set_default_size (GTK_WINDOW (messages), 1024, 768);
  gtk_window_present (GTK_WINDOW (messages));
  g_assert_cmpuint (pos_messages_show (messages, "open", &error), ==, 1);
  mdn_test_set_now ("2026-09-22T10:05:00+08:00");
  g_assert_true (pos_messages_send (messages, G_MAXUINT, "想预约周六下午", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (pos_messages_show (messages, "open", &error), ==, 2);
  pump (100);
  screenshot (GTK_WIDGET (messages), "messages-open");
  /* Newest first: row 1 is the question about Sunday. */
  g_assert_true (pos_messages_send (messages, 1, "周日 10 点开门", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (pos_messages_show (messages, "open", &error), ==, 1);
  g_assert_cmpuint (pos_messages_show (messages, "replied", &error), ==, 1);
  g_assert_cmpuint (pos_messages_show (messages, NULL, &error), ==, 2);
  pump (100);
  screenshot (GTK_WIDGET (messages), "messages-all");
  g_assert_cmpint (mdn_test_count (b, "SELECT count (*) FROM entries WHERE kind = 'message.reply'"), ==, 1);
  gtk_window_destroy (GTK_WINDOW (messages));

  /* The member's SMS choices from the member page. */
  {
    PosMembers *members = POS_MEMBERS (pos_window_get_members (window));

    pos_members_show_card (members, "13800000041");
    g_assert_true (pos_members_set_sms_prefs (members, TRUE, FALSE, &error));
    g_assert_no_error (error);
    g_assert_cmpint (mdn_test_count (b, "SELECT sms_consent * 10 + sms_opt_out FROM members"), ==, 10);
  }
  gtk_window_destroy (GTK_WINDOW (window));
  pump (50);
  mdn_test_set_now (NULL);
}

/* The view parsers on real answers. */
static void
test_views (void)
{
  g_autoptr(MdnTestBranch) b = NULL;
  g_autoptr(JsonObject) list = NULL, hints = NULL, counts = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) texts = NULL;
  gint64 total = -1;

  mdn_test_set_now ("2026-09-25T10:00:00+08:00");
  b = mdn_test_branch_new ("B01", 1);
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.issue\",\"name\":\"中秋\",\"phone\":\"13800000001\","
                                            "\"birthday_lunar\":\"08-15\"}"));
  list = mdn_test_ok (b->admin, "{\"op\":\"reminder.list\",\"kind\":\"birthday\"}");
  rows = pos_reminder_list_parse (list, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (rows->len, ==, 1);
  g_assert_cmpstr (((PosReminder *) rows->pdata[0])->due_on, ==, "2026-09-25");
  g_assert_cmpint (((PosReminder *) rows->pdata[0])->days, ==, 0);
  hints = mdn_test_ok (b->admin, "{\"op\":\"reminder.member\",\"card\":\"13800000001\"}");
  texts = pos_reminder_hints_parse (hints, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (texts[0], ==, "Lunar birthday today");
  counts = mdn_test_ok (b->admin, "{\"op\":\"reminder.counts\"}");
  g_assert_true (pos_reminder_total_parse (counts, &total, &error));
  g_assert_cmpint (total, ==, 1);
  json_object_remove_member (list, "reminders");
  g_clear_pointer (&rows, g_ptr_array_unref);
  rows = pos_reminder_list_parse (list, &error);
  g_assert_null (rows);
  g_assert_error (error, MDN_ERROR, MDN_ERROR_INTERNAL);
  mdn_test_set_now (NULL);
}

/* Under LeakSanitizer: fontconfig and the GL drivers keep process-lifetime
 * caches that are never freed (as in test-pos-ui.c). */
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
  pos_i18n_init ();
  mdn_branch_init ();
  if (display && *display)
    {
      have_display = gtk_init_check ();
      if (have_display)
        adw_init ();
    }
  g_test_add_func ("/pos/reminders/views", test_views);
  g_test_add_func ("/pos/reminders/hints-and-window", test_hints_and_reminders);
  g_test_add_func ("/pos/members/import-dialog", test_member_import);
  g_test_add_func ("/pos/members/filter-export-campaign", test_member_filter_window);
  g_test_add_func ("/pos/members/messages", test_messages_window);
  return g_test_run ();
}
