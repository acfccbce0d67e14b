/* Keeping members (common/crm/): solar and lunar birthdays against known
 * dates, every kind of reminder with its window and done marks, the
 * checkout's hints, member messages across branches, per-member figures. */
#include <string.h>

#include "mdn-birthday.h"
#include "mdn-error.h"
#include "mdn-ledger.h"
#include "mdn-sync.h"
#include "mdn-member-filter.h"
#include "mdn-test-util.h"

static void
assert_lunar (int         lunar_year,
              const char *text,
              const char *expected)
{
  MdnLunarDay day;
  GDate d;
  char buf[16];
  g_autoptr(GError) error = NULL;

  g_assert_true (mdn_lunar_day_parse (text, &day));
  g_date_clear (&d, 1);
  g_assert_true (mdn_lunar_day_in_year (&day, lunar_year, &d, &error));
  g_assert_no_error (error);
  g_date_strftime (buf, sizeof buf, "%Y-%m-%d", &d);
  g_assert_cmpstr (buf, ==, expected);
}

static void
assert_next_lunar (const char *from,
                   const char *text,
                   const char *expected)
{
  MdnLunarDay day;
  GDate f, d;
  char buf[16];
  g_autoptr(GError) error = NULL;

  g_assert_true (mdn_lunar_day_parse (text, &day));
  g_date_clear (&f, 1);
  g_date_set_parse (&f, from);
  g_assert_true (g_date_valid (&f));
  g_assert_true (mdn_lunar_day_next (&day, &f, &d, &error));
  g_assert_no_error (error);
  g_date_strftime (buf, sizeof buf, "%Y-%m-%d", &d);
  g_assert_cmpstr (buf, ==, expected);
}

static void
test_lunar_known (void)
{
  /* The issue's dates: mid-autumn and the new year. */
  assert_lunar (2026, "08-15", "2026-09-25");
  assert_lunar (2027, "08-15", "2027-09-15");
  assert_lunar (2028, "08-15", "2028-10-03");
  assert_lunar (2026, "01-01", "2026-02-17");
  assert_lunar (2027, "01-01", "2027-02-06");
  assert_lunar (2028, "01-01", "2028-01-26");
  /* With a year in front, as member.issue stores it. */
  assert_lunar (2026, "1990-08-15", "2026-09-25");
}

static void
test_lunar_leap_and_day_30 (void)
{
  /* 2025 has a leap 6th month (闰六月初一 = 2025-07-25); 2026 has none, so
     the birthday falls in the ordinary 6th month (六月初一 = 2026-07-14). */
  assert_lunar (2025, "L06-01", "2025-07-25");
  assert_lunar (2025, "06-01", "2025-06-25");
  assert_lunar (2026, "L06-01", "2026-07-14");
  assert_lunar (2026, "1990-L06-01", "2026-07-14");
  /* 2023 闰二月初一 = 2023-03-22; 2028 闰五月初一 = 2028-06-23. */
  assert_lunar (2023, "L02-01", "2023-03-22");
  assert_lunar (2028, "L05-01", "2028-06-23");
  /* Day 30 of a month of 29 days falls on day 29: the 12th month of lunar
     2025 has 29 days (除夕 2026-02-16), the leap 6th of 2025 too. */
  assert_lunar (2025, "12-30", "2026-02-16");
  assert_lunar (2025, "12-29", "2026-02-16");
  assert_lunar (2025, "L06-30", "2025-08-22");
  /* A month of 30 days keeps day 30 (2026 一月三十 = 2026-03-18). */
  assert_lunar (2026, "01-30", "2026-03-18");
}

static void
test_lunar_next (void)
{
  /* A 12th-month birthday in January of the next solar year. */
  assert_next_lunar ("2026-01-10", "12-15", "2026-02-02");
  assert_next_lunar ("2026-02-03", "12-15", "2027-01-22");
  assert_next_lunar ("2026-12-01", "12-15", "2027-01-22");
  assert_next_lunar ("2026-02-17", "01-01", "2026-02-17");
  assert_next_lunar ("2026-02-18", "01-01", "2027-02-06");
  assert_next_lunar ("2026-09-26", "08-15", "2027-09-15");
  assert_next_lunar ("2027-12-31", "01-01", "2028-01-26");
}

static void
test_lunar_names (void)
{
  MdnLunarDay d = { 8, 15, FALSE };
  g_autofree char *a = mdn_lunar_day_name (&d);
  MdnLunarDay e = { 4, 1, TRUE };
  g_autofree char *b = mdn_lunar_day_name (&e);
  MdnLunarDay f = { 12, 30, FALSE };
  g_autofree char *c = mdn_lunar_day_name (&f);
  MdnLunarDay g = { 11, 21, FALSE };
  g_autofree char *h = mdn_lunar_day_name (&g);
  MdnLunarDay bad;

  g_assert_cmpstr (a, ==, "八月十五");
  g_assert_cmpstr (b, ==, "闰四月初一");
  g_assert_cmpstr (c, ==, "十二月三十");
  g_assert_cmpstr (h, ==, "十一月廿一");
  g_assert_false (mdn_lunar_day_parse ("13-01", &bad));
  g_assert_false (mdn_lunar_day_parse ("08-31", &bad));
  g_assert_false (mdn_lunar_day_parse ("8-15", &bad));
  g_assert_false (mdn_lunar_day_parse ("X06-01", &bad));
  g_assert_false (mdn_lunar_day_parse (NULL, &bad));
}

static void
test_solar_feb_29 (void)
{
  GDate from, next;
  int month, day;
  char buf[16];

  g_assert_true (mdn_solar_day_parse ("2000-02-29", &month, &day));
  g_assert_cmpint (month, ==, 2);
  g_assert_cmpint (day, ==, 29);
  g_date_clear (&from, 1);
  g_date_set_dmy (&from, 1, 1, 2027);
  mdn_solar_day_next (month, day, &from, &next);
  g_date_strftime (buf, sizeof buf, "%Y-%m-%d", &next);
  g_assert_cmpstr (buf, ==, "2027-02-28");
  g_date_set_dmy (&from, 1, 3, 2027);
  mdn_solar_day_next (month, day, &from, &next);
  g_date_strftime (buf, sizeof buf, "%Y-%m-%d", &next);
  g_assert_cmpstr (buf, ==, "2028-02-29");
  g_assert_true (mdn_solar_day_parse ("12-31", &month, &day));
  g_assert_false (mdn_solar_day_parse ("02-30", &month, &day));
  g_assert_false (mdn_solar_day_parse ("2026-13-01", &month, &day));
}

/* Reminders ----------------------------------------------------------------------- */

static char *
issue (MdnTestBranch *b,
       const char    *name,
       const char    *phone,
       const char    *extra)
{
  g_autoptr(JsonObject) r = mdn_test_ok (b->admin, "{\"op\":\"member.issue\",\"name\":\"%s\",\"phone\":\"%s\"%s}",
                                         name, phone, extra ? extra : "");
  return g_strdup (mdn_test_str (r, "card_no"));
}

static JsonArray *
reminders (JsonObject *r)
{
  return json_object_get_array_member (r, "reminders");
}

static const char *
nth (JsonObject *r,
     guint       i,
     const char *member)
{
  return json_object_get_string_member (json_array_get_object_element (reminders (r), i), member);
}

static void
test_birthdays (void)
{
  g_autoptr(MdnTestBranch) b = NULL;
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(JsonObject) r2 = NULL;
  g_autoptr(JsonObject) r3 = NULL;
  g_autoptr(JsonObject) done = NULL;
  g_autofree char *a = NULL, *c = NULL, *d = NULL, *e = NULL;

  mdn_test_set_now ("2026-09-22T10:00:00+08:00");
  b = mdn_test_branch_new ("B01", 1);
  a = issue (b, "中秋", "13800000001", ",\"birthday_lunar\":\"08-15\"");           /* 2026-09-25 */
  c = issue (b, "阳历", "13800000002", ",\"birthday\":\"1990-09-29\"");            /* day 7: in */
  d = issue (b, "太远", "13800000003", ",\"birthday\":\"1990-09-30\"");            /* day 8: out */
  e = issue (b, "今天", "13800000004", ",\"birthday\":\"1985-09-22\",\"birthday_lunar\":\"1985-12-15\"");

  r = mdn_test_ok (b->admin, "{\"op\":\"reminder.list\",\"kind\":\"birthday\"}");
  g_assert_cmpuint (json_array_get_length (reminders (r)), ==, 3);
  g_assert_cmpstr (nth (r, 0, "card_no"), ==, e);
  g_assert_cmpstr (nth (r, 0, "due_on"), ==, "2026-09-22");
  g_assert_cmpstr (nth (r, 1, "card_no"), ==, a);
  g_assert_cmpstr (nth (r, 1, "due_on"), ==, "2026-09-25");
  g_assert_cmpstr (nth (r, 1, "detail"), ==, "Lunar birthday 八月十五");
  g_assert_cmpstr (nth (r, 1, "name"), ==, "中秋");
  g_assert_cmpstr (nth (r, 1, "phone"), ==, "13800000001");
  g_assert_cmpstr (nth (r, 2, "card_no"), ==, c);
  g_assert_cmpstr (nth (r, 2, "due_on"), ==, "2026-09-29");

  /* days 0: today only; the lunar 12-15 of 今天 is 2027-01-22, within 122. */
  r2 = mdn_test_ok (b->admin, "{\"op\":\"reminder.list\",\"kind\":\"birthday\",\"days\":0}");
  g_assert_cmpuint (json_array_get_length (reminders (r2)), ==, 1);
  g_clear_pointer (&r2, json_object_unref);
  r2 = mdn_test_ok (b->admin, "{\"op\":\"reminder.list\",\"kind\":\"birthday\",\"days\":122}");
  g_assert_cmpuint (json_array_get_length (reminders (r2)), ==, 5);
  g_assert_cmpstr (nth (r2, 4, "due_on"), ==, "2027-01-22");
  g_assert_cmpstr (nth (r2, 4, "card_no"), ==, e);

  /* Done: gone from the list, not from another due date. */
  done = mdn_test_ok (b->admin, "{\"op\":\"reminder.done\",\"member_id\":\"%s\",\"kind\":\"birthday\","
                                "\"due_on\":\"2026-09-25\"}", nth (r, 1, "member_id"));
  r3 = mdn_test_ok (b->admin, "{\"op\":\"reminder.list\",\"kind\":\"birthday\"}");
  g_assert_cmpuint (json_array_get_length (reminders (r3)), ==, 2);
  g_assert_cmpstr (nth (r3, 1, "card_no"), ==, c);

  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"reminder.list\",\"kind\":\"wedding\"}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"reminder.list\",\"kind\":\"birthday\",\"days\":-1}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"reminder.list\",\"kind\":\"birthday\",\"days\":400}");
  mdn_test_fails (b->admin, "unknown_card", "{\"op\":\"reminder.done\",\"member_id\":\"x\",\"kind\":\"birthday\","
                                            "\"due_on\":\"2026-09-25\"}");
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
  mdn_test_set_now (NULL);
}

static void
test_balance_activity_expiry (void)
{
  g_autoptr(MdnTestBranch) b = NULL;
  g_autoptr(JsonObject) low = NULL, inactive = NULL, expiry = NULL, later = NULL, counts = NULL;
  g_autofree char *rich = NULL, *poor = NULL, *idle = NULL;

  mdn_test_set_now ("2026-06-01T10:00:00+08:00");
  /* The head-office terminal, where the chain's thresholds are set: 90 days
     without a visit, a balance of ¥25.00 or less. */
  b = mdn_test_branch_new_full ("B01", 1, TRUE);
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"settings.set\",\"key\":\"reminder.inactive_days\",\"value\":90}"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"settings.set\",\"key\":\"reminder.low_balance_fen\",\"value\":2500}"));
  rich = issue (b, "有钱", "13800000011", ",\"deposit\":\"500.00\"");
  poor = issue (b, "没钱", "13800000012", ",\"deposit\":\"100.00\",\"expires_on\":\"2026-12-31\"");
  idle = issue (b, "没来", "13800000013", NULL);     /* never had stored value: no low_balance */

  mdn_test_set_now ("2026-08-01T10:00:00+08:00");
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":8000,"
                                            "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":8000}]}", poor));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":1000,"
                                            "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":1000}]}", rich));
  g_assert_cmpint (mdn_test_count (b, "SELECT visits * 1000000 + spent_fen FROM member_figures f "
                                      "JOIN members m ON m.id = f.member_id WHERE m.name = '没钱'"), ==, 1008000);

  mdn_test_set_now ("2026-12-20T10:00:00+08:00");
  low = mdn_test_ok (b->admin, "{\"op\":\"reminder.list\",\"kind\":\"low_balance\"}");
  g_assert_cmpuint (json_array_get_length (reminders (low)), ==, 1);
  g_assert_cmpstr (nth (low, 0, "card_no"), ==, poor);
  g_assert_cmpstr (nth (low, 0, "due_on"), ==, "2026-08-01");    /* when it went low */
  g_assert_cmpstr (nth (low, 0, "detail"), ==, "Balance ¥20.00");

  /* 90 days without a visit: 没来 since its issue (2026-06-01 + 90), the
     other two since their sales (2026-08-01 + 90). */
  inactive = mdn_test_ok (b->admin, "{\"op\":\"reminder.list\",\"kind\":\"inactive\"}");
  g_assert_cmpuint (json_array_get_length (reminders (inactive)), ==, 3);
  g_assert_cmpstr (nth (inactive, 0, "card_no"), ==, idle);
  g_assert_cmpstr (nth (inactive, 0, "due_on"), ==, "2026-08-30");
  g_assert_cmpstr (nth (inactive, 1, "due_on"), ==, "2026-10-30");

  /* Card expiry: within reminder.expiry_days (30) by default. */
  expiry = mdn_test_ok (b->admin, "{\"op\":\"reminder.list\",\"kind\":\"expiry\"}");
  g_assert_cmpuint (json_array_get_length (reminders (expiry)), ==, 1);
  g_assert_cmpstr (nth (expiry, 0, "due_on"), ==, "2026-12-31");
  later = mdn_test_ok (b->admin, "{\"op\":\"reminder.list\",\"kind\":\"expiry\",\"days\":11}");
  g_assert_cmpuint (json_array_get_length (reminders (later)), ==, 1);
  g_clear_pointer (&later, json_object_unref);
  later = mdn_test_ok (b->admin, "{\"op\":\"reminder.list\",\"kind\":\"expiry\",\"days\":10}");
  g_assert_cmpuint (json_array_get_length (reminders (later)), ==, 0);

  counts = mdn_test_ok (b->admin, "{\"op\":\"reminder.counts\"}");
  g_assert_cmpint (mdn_test_int (json_object_get_object_member (counts, "counts"), "inactive"), ==, 3);
  g_assert_cmpint (mdn_test_int (counts, "total"), ==, 5);
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
  mdn_test_set_now (NULL);
}

static void
test_member_hints (void)
{
  g_autoptr(MdnTestBranch) b = NULL;
  g_autoptr(JsonObject) h = NULL;
  g_autofree char *card = NULL;
  JsonArray *hints;

  mdn_test_set_now ("2026-09-22T10:00:00+08:00");
  b = mdn_test_branch_new ("B01", 1);
  card = issue (b, "中秋", "13800000021", ",\"birthday_lunar\":\"08-15\",\"deposit\":\"20.00\","
                                          "\"expires_on\":\"2026-12-31\"");
  mdn_test_set_now ("2026-12-20T10:00:00+08:00");
  h = mdn_test_ok (b->admin, "{\"op\":\"reminder.member\",\"card\":\"%s\"}", card);
  hints = json_object_get_array_member (h, "hints");
  g_assert_cmpuint (json_array_get_length (hints), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (hints, 0), "text"), ==,
                   "Low balance ¥20.00");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (hints, 1), "text"), ==,
                   "The card expires on 12-31");
  g_clear_pointer (&h, json_object_unref);

  mdn_test_set_now ("2026-09-22T10:00:00+08:00");
  h = mdn_test_ok (b->admin, "{\"op\":\"reminder.member\",\"card\":\"%s\"}", card);
  hints = json_object_get_array_member (h, "hints");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (hints, 0), "text"), ==,
                   "Lunar 八月十五 birthday (in 3 days)");
  g_clear_pointer (&h, json_object_unref);
  mdn_test_set_now ("2026-09-25T10:00:00+08:00");
  h = mdn_test_ok (b->admin, "{\"op\":\"reminder.member\",\"card\":\"%s\"}", card);
  hints = json_object_get_array_member (h, "hints");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (hints, 0), "text"), ==,
                   "Lunar birthday today");
  mdn_test_set_now (NULL);
}

/* Messages ------------------------------------------------------------------------ */

/* Applies every entry of @from that @to lacks, in @order (1: as written, -1:
 * backwards), as a feed would. */
static void
copy_entries (MdnTestBranch *from,
              MdnTestBranch *to,
              int            order)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (mdn_db_handle (from->store->db),
                                       "SELECT id FROM entries WHERE kind LIKE 'message.%' AND branch = ? "
                                       "ORDER BY seq", -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, from->store->branch_code, -1, SQLITE_STATIC);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (ids, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  g_assert_true (mdn_db_begin (to->store->db, TRUE, &error));
  for (guint k = 0; k < ids->len; k++)
    {
      guint i = order > 0 ? k : ids->len - 1 - k;
      g_autoptr(MdnEntry) e = mdn_entry_load (from->store->db, g_ptr_array_index (ids, i), &error);

      g_assert_no_error (error);
      g_assert_true (mdn_entry_is_shared (e));
      g_assert_true (mdn_ledger_apply (to->store->db, e, &error));
      g_assert_no_error (error);
    }
  g_assert_true (mdn_db_commit (to->store->db, &error));
}

static void
test_messages (void)
{
  g_autoptr(MdnTestBranch) a = NULL;
  g_autoptr(MdnTestBranch) b = NULL;
  g_autoptr(JsonObject) m = NULL, r = NULL, open = NULL, replied = NULL, at_b = NULL, issued = NULL;
  g_autoptr(JsonObject) second = NULL;
  g_autoptr(MdnEntry) issue_entry = NULL;
  g_autoptr(GError) error = NULL;

  mdn_test_set_now ("2026-09-22T10:00:00+08:00");
  a = mdn_test_branch_new ("B01", 1);
  b = mdn_test_branch_new ("B02", 2);
  issued = mdn_test_ok (a->admin, "{\"op\":\"member.issue\",\"name\":\"留言\",\"phone\":\"13800000031\"}");
  /* B02 knows the member (as from the feed). */
  issue_entry = mdn_entry_load (a->store->db, mdn_test_str (issued, "entry_id"), &error);
  g_assert_true (mdn_db_begin (b->store->db, TRUE, &error));
  g_assert_true (mdn_ledger_apply (b->store->db, issue_entry, &error));
  g_assert_true (mdn_db_commit (b->store->db, &error));

  m = mdn_test_ok (a->admin, "{\"op\":\"message.add\",\"card\":\"13800000031\",\"text\":\"  周六还有位置吗？ \"}");
  second = mdn_test_ok (a->admin, "{\"op\":\"message.add\",\"card\":\"13800000031\",\"text\":\"谢谢\"}");
  mdn_test_fails (a->admin, "invalid_argument", "{\"op\":\"message.add\",\"card\":\"13800000031\",\"text\":\"  \"}");
  mdn_test_fails (a->admin, "unknown_card", "{\"op\":\"message.add\",\"card\":\"13899999999\",\"text\":\"x\"}");
  mdn_test_fails (a->admin, "unknown_entry", "{\"op\":\"message.reply\",\"message_id\":\"nope\",\"text\":\"x\"}");
  mdn_test_fails (a->admin, "invalid_argument", "{\"op\":\"message.list\",\"status\":\"closed\"}");

  /* Answered at the other branch. */
  copy_entries (a, b, 1);
  r = mdn_test_ok (b->admin, "{\"op\":\"message.reply\",\"message_id\":\"%s\",\"text\":\"有的，欢迎\"}",
                   mdn_test_str (m, "message_id"));
  at_b = mdn_test_ok (b->admin, "{\"op\":\"message.list\",\"status\":\"replied\"}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (at_b, "messages")), ==, 1);

  /* Back at B01, the reply arrives; a third branch might see it first. */
  copy_entries (b, a, -1);
  open = mdn_test_ok (a->admin, "{\"op\":\"message.list\",\"status\":\"open\"}");
  replied = mdn_test_ok (a->admin, "{\"op\":\"message.list\",\"status\":\"replied\",\"card\":\"13800000031\"}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (open, "messages")), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (
                     json_object_get_array_member (open, "messages"), 0), "text"), ==, "谢谢");
  {
    JsonObject *o = json_array_get_object_element (json_object_get_array_member (replied, "messages"), 0);
    JsonObject *reply = json_array_get_object_element (json_object_get_array_member (o, "replies"), 0);

    g_assert_cmpstr (json_object_get_string_member (o, "text"), ==, "周六还有位置吗？");
    g_assert_cmpstr (json_object_get_string_member (o, "status"), ==, "replied");
    g_assert_cmpstr (json_object_get_string_member (o, "branch"), ==, "B01");
    g_assert_cmpstr (json_object_get_string_member (reply, "branch"), ==, "B02");
    g_assert_cmpstr (json_object_get_string_member (reply, "text"), ==, "有的，欢迎");
  }
  g_assert_cmpint (mdn_test_count (a, "SELECT count(*) FROM member_message_replies"), ==, 1);
  g_assert_cmpuint (mdn_test_verify (a), ==, 0);
  mdn_test_set_now (NULL);
}

/* Import ------------------------------------------------------------------------- */

static JsonObject *
import_csv (MdnTestBranch *b,
            const char    *csv,
            gssize         len,
            gboolean       ok,
            gboolean       dry_run)
{
  g_autofree char *b64 = g_base64_encode ((const guchar *) csv, len < 0 ? strlen (csv) : (gsize) len);
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *r;

  json_object_set_string_member (args, "data_base64", b64);
  json_object_set_boolean_member (args, "dry_run", dry_run);
  r = mdn_ops_run (b->admin, "member.import", args, &error);
  if (ok)
    {
      g_assert_no_error (error);
      g_assert_nonnull (r);
      return r;
    }
  g_assert_null (r);
  g_assert_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT);
  r = json_object_new ();
  json_object_set_string_member (r, "message", error->message);
  return r;
}

static void
test_import (void)
{
  g_autoptr(MdnTestBranch) b = NULL;
  g_autoptr(JsonObject) dry = NULL, done = NULL, bad = NULL, shown = NULL, shift = NULL, gb = NULL;
  g_autofree char *gb_text = NULL;
  const char *csv =
    "\xEF\xBB\xBF姓名,手机,等级,生日,农历生日,本金,赠送,积分,旧卡号\r\n"
    "张三,13800000001,normal,1990/5/1,08-15,123.45,10.00,300,A001\r\n"
    "李四,13800000002,,,,,,,\r\n";
  const char *broken =
    "name,phone,principal,old_card_no\n"
    "王五,13800000001,1.00,\n"          /* a member's phone already */
    "赵六,abc,x,\n"                     /* two problems on line 3 */
    "钱七,13800000009,5,A001\n"         /* an old card number taken */
    "钱八,13800000009,5,\n";            /* twice in the file */
  gsize gb_len = 0;
  gint64 entries;

  mdn_test_set_now ("2026-09-22T10:00:00+08:00");
  b = mdn_test_branch_new ("B01", 1);
  dry = import_csv (b, csv, -1, TRUE, TRUE);
  g_assert_cmpint (mdn_test_int (dry, "members"), ==, 2);
  g_assert_cmpint (mdn_test_count (b, "SELECT count(*) FROM members"), ==, 0);
  done = import_csv (b, csv, -1, TRUE, FALSE);
  g_assert_cmpint (mdn_test_int (done, "principal_fen"), ==, 12345);
  g_assert_cmpint (mdn_test_int (done, "bonus_fen"), ==, 1000);
  g_assert_cmpint (mdn_test_int (done, "points"), ==, 300);
  g_assert_cmpstr (mdn_test_str (done, "encoding"), ==, "UTF-8");
  /* The old card number finds the member, like the new one. */
  shown = mdn_test_ok (b->admin, "{\"op\":\"member.show\",\"card\":\"A001\"}");
  g_assert_cmpstr (mdn_test_str (shown, "name"), ==, "张三");
  g_assert_cmpstr (mdn_test_str (shown, "birthday"), ==, "1990-05-01");
  g_assert_cmpint (mdn_test_int (shown, "balance_fen"), ==, 13345);
  g_assert_cmpint (mdn_test_int (shown, "points"), ==, 300);
  /* Shown apart from deposits. */
  shift = mdn_test_ok (b->admin, "{\"op\":\"report.shift\"}");
  {
    JsonObject *f = json_object_get_object_member (shift, "figures");

    g_assert_cmpint (mdn_test_int (f, "deposit_principal_fen"), ==, 0);
    g_assert_cmpint (mdn_test_int (f, "opening_principal_fen"), ==, 12345);
    g_assert_cmpint (mdn_test_int (f, "opening_bonus_fen"), ==, 1000);
    g_assert_cmpint (mdn_test_int (f, "net_fen"), ==, 0);
  }
  g_assert_cmpint (mdn_test_count (b, "SELECT count(*) FROM entries WHERE kind = 'member.opening'"), ==, 1);

  /* All or nothing, every problem with its line. */
  entries = mdn_test_count (b, "SELECT count(*) FROM entries");
  bad = import_csv (b, broken, -1, FALSE, FALSE);
  g_assert_nonnull (strstr (mdn_test_str (bad, "message"), "5 problems"));
  g_assert_nonnull (strstr (mdn_test_str (bad, "message"), "line 2: phone 13800000001 is already a member's"));
  g_assert_nonnull (strstr (mdn_test_str (bad, "message"), "line 3: “abc” is not a phone number"));
  g_assert_nonnull (strstr (mdn_test_str (bad, "message"), "line 4: old card number A001 is taken"));
  g_assert_nonnull (strstr (mdn_test_str (bad, "message"), "line 5: phone 13800000009 is also on line 4"));
  g_assert_cmpint (mdn_test_count (b, "SELECT count(*) FROM entries"), ==, entries);

  /* GB18030, as Excel saves it in China. */
  gb_text = g_convert ("姓名,手机\n孙九,13800000010\n", -1, "GB18030", "UTF-8", NULL, &gb_len, NULL);
  g_assert_nonnull (gb_text);
  gb = import_csv (b, gb_text, (gssize) gb_len, TRUE, FALSE);
  g_assert_cmpstr (mdn_test_str (gb, "encoding"), ==, "GB18030");
  g_clear_pointer (&shown, json_object_unref);
  shown = mdn_test_ok (b->admin, "{\"op\":\"member.show\",\"card\":\"13800000010\"}");
  g_assert_cmpstr (mdn_test_str (shown, "name"), ==, "孙九");
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
  mdn_test_set_now (NULL);
}

/* Filter, segments, SMS preferences ------------------------------------------------------ */

static void
test_filter_and_segments (void)
{
  g_autoptr(MdnTestBranch) b = NULL;
  g_autoptr(JsonObject) page1 = NULL, page2 = NULL, sept = NULL, seg = NULL, top = NULL, prefs = NULL, again = NULL;
  JsonArray *segs;

  mdn_test_set_now ("2026-09-01T10:00:00+08:00");
  b = mdn_test_branch_new ("B01", 1);
  g_free (issue (b, "大客", "13800000041", ",\"birthday\":\"1990-09-24\",\"deposit\":\"1000.00\""));
  g_free (issue (b, "小客", "13800000042", ",\"deposit\":\"100.00\""));
  g_free (issue (b, "老客", "13800000043", ",\"deposit\":\"500.00\""));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"sale.quick\",\"card\":\"13800000043\",\"amount_fen\":50000,"
                                            "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":50000}]}"));
  mdn_test_set_now ("2026-09-20T10:00:00+08:00");
  for (int i = 0; i < 3; i++)
    json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"sale.quick\",\"card\":\"13800000041\",\"amount_fen\":30000,"
                                              "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":30000}]}"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"sale.quick\",\"card\":\"13800000042\",\"amount_fen\":1000,"
                                            "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":1000}]}"));

  /* Paging with next. */
  page1 = mdn_test_ok (b->admin, "{\"op\":\"member.filter\",\"limit\":2}");
  g_assert_cmpint (mdn_test_int (page1, "count"), ==, 3);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (page1, "members")), ==, 2);
  page2 = mdn_test_ok (b->admin, "{\"op\":\"member.filter\",\"limit\":2,\"after\":\"%s\"}", mdn_test_str (page1, "next"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (page2, "members")), ==, 1);
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (page2, "next")));
  sept = mdn_test_ok (b->admin, "{\"op\":\"member.filter\",\"birthday_month\":9,\"spent_min_fen\":50000}");
  g_assert_cmpint (mdn_test_int (sept, "count"), ==, 1);

  /* RFM: averages over those who visited: 大客 recent, frequent, big. */
  seg = mdn_test_ok (b->admin, "{\"op\":\"member.segments\"}");
  segs = json_object_get_array_member (seg, "segments");
  g_assert_cmpint (mdn_test_int (seg, "members"), ==, 3);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (segs, 0), "segment"), ==,
                   "important_value");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (segs, 0), "count"), ==, 1);
  /* 老客: long ago, once, 500.00 (above the 470.00 average): 重要挽留. */
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (segs, 3), "count"), ==, 1);
  /* 小客: recent, once, little: 一般发展. */
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (segs, 5), "count"), ==, 1);
  top = mdn_test_ok (b->admin, "{\"op\":\"member.filter\",\"segment\":\"important_value\"}");
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (
                     json_object_get_array_member (top, "members"), 0), "name"), ==, "大客");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.filter\",\"segment\":\"vip\"}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.filter\",\"birthday_month\":13}");
  /* issued_at: the month or the day the card was issued. */
  {
    g_autoptr(JsonObject) sep = mdn_test_ok (b->admin, "{\"op\":\"member.filter\",\"issued_at\":\"2026-09\"}");
    g_autoptr(JsonObject) day = mdn_test_ok (b->admin, "{\"op\":\"member.filter\",\"issued_at\":\"2026-09-01\"}");
    g_autoptr(JsonObject) aug = mdn_test_ok (b->admin, "{\"op\":\"member.filter\",\"issued_at\":\"2026-08\"}");
    g_autoptr(JsonObject) next = mdn_test_ok (b->admin, "{\"op\":\"member.filter\",\"issued_at\":\"2026-09-02\"}");

    g_assert_cmpint (mdn_test_int (sep, "count"), ==, 3);
    g_assert_cmpint (mdn_test_int (day, "count"), ==, 3);
    g_assert_cmpint (mdn_test_int (aug, "count"), ==, 0);
    g_assert_cmpint (mdn_test_int (next, "count"), ==, 0);
    mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.filter\",\"issued_at\":\"2026/09\"}");
    mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.filter\",\"issued_at\":\"2026-09\","
                                                  "\"issued_from\":\"2026-09-01\"}");
  }

  /* Export: the filtered set, every row, CSV with a BOM and xlsx; a manager's job. */
  {
    g_autoptr(JsonNode) fnode = json_from_string ("{\"balance_min_fen\":50000}", NULL);
    g_autoptr(MdnOpCtx) cashier = mdn_test_staff (b, "c01", "cashier");
    g_autoptr(GError) error = NULL;
    g_autofree char *csv = g_build_filename (b->dir, "members.csv", NULL);
    g_autofree char *xlsx = g_build_filename (b->dir, "members.xlsx", NULL);
    g_autofree char *text = NULL;
    gint64 rows = 0;

    mdn_member_filter_export (b->admin, json_node_get_object (fnode), MDN_REPORT_CSV, csv, NULL, &rows, &error);
    g_assert_no_error (error);
    /* 大客 (1000.00 − 900.00 = 100.00) is out; 老客 spent all; 小客 100.00 in cash. */
    g_assert_cmpint (rows, ==, 0);
    json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.deposit\",\"card\":\"13800000043\","
                                              "\"amount\":\"600.00\",\"tender\":\"cash\"}"));
    g_assert_true (mdn_member_filter_export (b->admin, json_node_get_object (fnode), MDN_REPORT_CSV, csv,
                                             NULL, &rows, &error));
    g_assert_cmpint (rows, ==, 1);
    g_assert_true (g_file_get_contents (csv, &text, NULL, NULL));
    g_assert_true (g_str_has_prefix (text, "\xEF\xBB\xBF"));
    g_assert_nonnull (strstr (text, "老客"));
    g_assert_nonnull (strstr (text, "13800000043"));
    g_assert_nonnull (strstr (text, "600.00"));
    g_assert_null (strstr (text, "小客"));
    g_clear_pointer (&text, g_free);
    g_assert_true (mdn_member_filter_export (b->admin, NULL, MDN_REPORT_XLSX, xlsx, NULL, &rows, &error));
    g_assert_cmpint (rows, ==, 3);
    g_assert_true (g_file_get_contents (xlsx, &text, NULL, NULL));
    g_assert_true (g_str_has_prefix (text, "PK"));
    g_assert_false (mdn_member_filter_export (cashier, NULL, MDN_REPORT_CSV, csv, NULL, &rows, &error));
    g_assert_error (error, MDN_ERROR, MDN_ERROR_PERMISSION_DENIED);
  }

  /* SMS preferences: what is not given stays. */
  prefs = mdn_test_ok (b->admin, "{\"op\":\"member.sms_prefs\",\"card\":\"13800000041\",\"sms_consent\":true}");
  again = mdn_test_ok (b->admin, "{\"op\":\"member.sms_prefs\",\"card\":\"13800000041\",\"sms_opt_out\":true}");
  g_assert_true (json_object_get_boolean_member (again, "sms_consent"));
  g_assert_cmpint (mdn_test_count (b, "SELECT sms_consent * 10 + sms_opt_out FROM members WHERE phone = '13800000041'"), ==, 11);
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.sms_prefs\",\"card\":\"13800000041\"}");
  /* member.update changes them too (a member.sms_prefs entry). */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.update\",\"card\":\"13800000041\",\"sms_opt_out\":false}"));
  g_assert_cmpint (mdn_test_count (b, "SELECT sms_consent * 10 + sms_opt_out FROM members WHERE phone = '13800000041'"), ==, 10);
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
  mdn_test_set_now (NULL);
}

/* Segments over a window: member_days, kept on apply ---------------------------------------- */

static gint64
segment_count (JsonObject *r,
               const char *code)
{
  JsonArray *segs = json_object_get_array_member (r, "segments");

  for (guint i = 0; i < json_array_get_length (segs); i++)
    if (g_str_equal (json_object_get_string_member (json_array_get_object_element (segs, i), "segment"), code))
      return json_object_get_int_member (json_array_get_object_element (segs, i), "count");
  g_assert_not_reached ();
}

static char *
quick_sale (MdnTestBranch *b,
            const char    *when,
            const char    *card,
            gint64         fen)
{
  g_autoptr(JsonObject) r = NULL;

  mdn_test_set_now (when);
  r = mdn_test_ok (b->admin, "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":%" G_GINT64_FORMAT ","
                             "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":%" G_GINT64_FORMAT "}]}", card, fen, fen);
  return g_strdup (mdn_test_str (r, "entry_id"));
}

static void
test_segments_window (void)
{
  g_autoptr(MdnTestBranch) b = NULL;
  g_autoptr(JsonObject) oct = NULL, nov = NULL, whole = NULL, list = NULL, upto = NULL;
  g_autofree char *a = NULL, *bb = NULL, *c = NULL, *d = NULL, *e = NULL, *b_sale = NULL, *d_sale = NULL;

  mdn_test_set_now ("2026-07-01T10:00:00+08:00");
  b = mdn_test_branch_new ("B01", 1);
  a = issue (b, "甲", "13800000051", NULL);
  bb = issue (b, "乙", "13800000052", NULL);
  c = issue (b, "丙", "13800000053", NULL);
  d = issue (b, "丁", "13800000054", NULL);
  e = issue (b, "戊", "13800000055", NULL);
  /* 甲: 100.00 before the window, 200.00 twice inside it. */
  g_free (quick_sale (b, "2026-08-01T10:00:00+08:00", a, 10000));
  g_free (quick_sale (b, "2026-10-10T10:00:00+08:00", a, 20000));
  g_free (quick_sale (b, "2026-10-20T10:00:00+08:00", a, 20000));
  /* 乙: 300.00 on 10-05, returned on 10-06: inside the window. */
  b_sale = quick_sale (b, "2026-10-05T10:00:00+08:00", bb, 30000);
  mdn_test_set_now ("2026-10-06T10:00:00+08:00");
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}", b_sale));
  /* 丙: 500.00 on 09-01 only, before the window. */
  g_free (quick_sale (b, "2026-09-01T10:00:00+08:00", c, 50000));
  /* 丁: 100.00 on 10-25, returned on 11-05: after the window of 10-31. */
  d_sale = quick_sale (b, "2026-10-25T10:00:00+08:00", d, 10000);
  /* 戊: only after as_of, so not scored at 10-31. */
  g_free (quick_sale (b, "2026-11-03T10:00:00+08:00", e, 40000));
  mdn_test_set_now ("2026-11-05T10:00:00+08:00");
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}", d_sale));
  g_assert_cmpint (mdn_test_count (b, "SELECT count(*) FROM member_days"), ==, 9);
  g_assert_cmpint (mdn_test_count (b, "SELECT spent_fen FROM member_days d JOIN members m ON m.id = d.member_id "
                                      "WHERE m.name = '乙' AND d.business_date = '2026-10-06'"), ==, -30000);
  /* What migration 0015 fills member_days with from an older ledger is
     what the apply hook kept (the same statement as the migration). */
  g_assert_cmpint (mdn_test_count (b, "SELECT count(*) FROM (SELECT member_id, business_date, "
    "sum (kind IN ('sale', 'sale.quick', 'timed.stop', 'package.consume')) AS v, "
    "sum (CASE WHEN kind IN ('sale', 'sale.quick', 'timed.stop') THEN coalesce (json_extract (body, '$.total_fen'), 0) "
    "          WHEN kind = 'sale.return' THEN -coalesce (json_extract (body, '$.refund_fen'), 0) ELSE 0 END) AS s "
    "FROM entries WHERE member_id IS NOT NULL "
    "AND kind IN ('sale', 'sale.quick', 'timed.stop', 'package.consume', 'sale.return') "
    "GROUP BY member_id, business_date) x JOIN member_days d USING (member_id, business_date) "
    "WHERE d.visits = x.v AND d.spent_fen = x.s"), ==, 9);

  /* 30 days ending 10-31 (10-02 … 10-31), over the four who came by then:
   *        last   R   F  M
   *   甲  10-20  11   2  400.00
   *   乙  10-05  26   1    0.00   (the return is inside)
   *   丙  09-01  60   0    0.00
   *   丁  10-25   6   1  100.00   (the return is after)
   * averages: R 103/4 = 25 days, F 4/4 = 1.000, M 500.00/4 = 125.00:
   * 甲 + + + 重要价值, 乙 − + − 一般保持, 丙 − − − 一般挽留, 丁 + + − 一般价值. */
  oct = mdn_test_ok (b->admin, "{\"op\":\"member.segments\",\"as_of\":\"2026-10-31\",\"days\":30}");
  g_assert_cmpstr (mdn_test_str (oct, "from"), ==, "2026-10-02");
  g_assert_cmpint (mdn_test_int (oct, "members"), ==, 4);
  g_assert_cmpint (mdn_test_int (oct, "average_recency_days"), ==, 25);
  g_assert_cmpint (mdn_test_int (oct, "average_visits_milli"), ==, 1000);
  g_assert_cmpint (mdn_test_int (oct, "average_spent_fen"), ==, 12500);
  g_assert_cmpint (segment_count (oct, "important_value"), ==, 1);
  g_assert_cmpint (segment_count (oct, "general_retention"), ==, 1);
  g_assert_cmpint (segment_count (oct, "general_winback"), ==, 1);
  g_assert_cmpint (segment_count (oct, "general_value"), ==, 1);
  g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (
                     json_array_get_object_element (json_object_get_array_member (oct, "segments"), 0),
                     "branches"), "B01"), ==, 1);
  /* member.filter takes the same window for its segment. */
  list = mdn_test_ok (b->admin, "{\"op\":\"member.filter\",\"segment\":\"general_value\",\"as_of\":\"2026-10-31\","
                                "\"days\":30}");
  g_assert_cmpint (mdn_test_int (list, "count"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (
                     json_object_get_array_member (list, "members"), 0), "name"), ==, "丁");

  /* 30 days ending 11-10 (10-12 … 11-10): 丁's return now inside, 乙's sale
   * and return both outside; 戊 counts.
   *        last   R   F  M
   *   甲  10-20  21   1  200.00
   *   乙  10-05  36   0    0.00
   *   丙  09-01  70   0    0.00
   *   丁  10-25  16   1    0.00
   *   戊  11-03   7   1  400.00
   * averages: R 150/5 = 30, F 3/5 = 0.600, M 600.00/5 = 120.00:
   * 甲 + + + 重要价值, 乙 − − − 一般挽留, 丙 − − − 一般挽留, 丁 + + − 一般价值,
   * 戊 + + + 重要价值. */
  nov = mdn_test_ok (b->admin, "{\"op\":\"member.segments\",\"as_of\":\"2026-11-10\",\"days\":30}");
  g_assert_cmpint (mdn_test_int (nov, "members"), ==, 5);
  g_assert_cmpint (mdn_test_int (nov, "average_recency_days"), ==, 30);
  g_assert_cmpint (mdn_test_int (nov, "average_visits_milli"), ==, 600);
  g_assert_cmpint (mdn_test_int (nov, "average_spent_fen"), ==, 12000);
  g_assert_cmpint (segment_count (nov, "important_value"), ==, 2);
  g_assert_cmpint (segment_count (nov, "general_winback"), ==, 2);
  g_assert_cmpint (segment_count (nov, "general_value"), ==, 1);

  /* as_of alone: every day up to it. At 10-31: 甲 3 / 500.00, 乙 1 / 0,
   * 丙 1 / 500.00, 丁 1 / 100.00 (its return is later). */
  upto = mdn_test_ok (b->admin, "{\"op\":\"member.segments\",\"as_of\":\"2026-10-31\"}");
  g_assert_cmpint (mdn_test_int (upto, "members"), ==, 4);
  g_assert_cmpint (mdn_test_int (upto, "average_visits_milli"), ==, 1500);
  g_assert_cmpint (mdn_test_int (upto, "average_spent_fen"), ==, 27500);
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (upto, "from")));
  /* Neither: the whole history as kept in member_figures (today 11-05). */
  whole = mdn_test_ok (b->admin, "{\"op\":\"member.segments\"}");
  g_assert_cmpint (mdn_test_int (whole, "members"), ==, 5);
  g_assert_cmpint (mdn_test_int (whole, "average_spent_fen"), ==, (50000 + 0 + 50000 + 0 + 40000) / 5);

  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.segments\",\"days\":0}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.segments\",\"days\":4000}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.segments\",\"days\":\"30\"}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.segments\",\"as_of\":\"2026-13-01\",\"days\":3}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"member.filter\",\"segment\":\"general_value\",\"days\":-1}");
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
  mdn_test_set_now (NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  mdn_branch_init ();
  g_test_add_func ("/crm/lunar/known-dates", test_lunar_known);
  g_test_add_func ("/crm/lunar/leap-month-and-day-30", test_lunar_leap_and_day_30);
  g_test_add_func ("/crm/lunar/next-across-the-year", test_lunar_next);
  g_test_add_func ("/crm/lunar/names-and-refusals", test_lunar_names);
  g_test_add_func ("/crm/solar/feb-29", test_solar_feb_29);
  g_test_add_func ("/crm/reminders/birthday", test_birthdays);
  g_test_add_func ("/crm/reminders/balance-activity-expiry", test_balance_activity_expiry);
  g_test_add_func ("/crm/reminders/checkout-hints", test_member_hints);
  g_test_add_func ("/crm/messages/across-branches", test_messages);
  g_test_add_func ("/crm/import/all-or-nothing", test_import);
  g_test_add_func ("/crm/filter-and-segments", test_filter_and_segments);
  g_test_add_func ("/crm/segments/window", test_segments_window);
  return g_test_run ();
}
