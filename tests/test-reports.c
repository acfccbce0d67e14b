/* The counter's read-only figures: the cart pricing "sale.preview"
 * (common/mdn-pricing.c) against "sale" itself, and the reports
 * "report.shift" (common/mdn-reports.c) and "sync.status"
 * (common/mdn-sync.c), each
 * with exact figures. */
#include <sqlite3.h>

#include "mdn-db.h"
#include "mdn-error.h"
#include "mdn-sync.h"
#include "mdn-test-util.h"

#define DAY1 "2026-11-22T10:00:00+08:00"
#define DAY2 "2026-11-23T10:00:00+08:00"

/* gold 88 %, 2 points per yuan · silver 90 %, 1 point per yuan ·
 * normal 100 %, 1 point per yuan (init) · deposit of 100.00 or more: 15.00 bonus */
static MdnTestBranch *
reports_branch (void)
{
  MdnTestBranch *b;
  const char *setup[] = {
    "{\"op\":\"level.upsert\",\"code\":\"gold\",\"name\":\"Gold\",\"price_percent\":88,\"points_per_yuan\":2}",
    "{\"op\":\"level.upsert\",\"code\":\"silver\",\"name\":\"Silver\",\"price_percent\":90,\"points_per_yuan\":1}",
    "{\"op\":\"deposit_rule.upsert\",\"min_fen\":10000,\"bonus_fen\":1500}",
    "{\"op\":\"product.upsert\",\"sku\":\"TEA\",\"name\":\"绿茶\",\"price_fen\":1250,\"kind\":\"goods\","
    "\"barcode\":\"6901234567890\"}",
    "{\"op\":\"product.upsert\",\"sku\":\"COLA\",\"name\":\"可乐\",\"price_fen\":300,\"kind\":\"goods\"}",
    "{\"op\":\"product.upsert\",\"sku\":\"GUM\",\"name\":\"口香糖\",\"price_fen\":125,\"kind\":\"goods\"}",
    "{\"op\":\"product.upsert\",\"sku\":\"BAG\",\"name\":\"购物袋\",\"price_fen\":50,\"kind\":\"goods\",\"no_discount\":true}",
    "{\"op\":\"product.upsert\",\"sku\":\"CUT\",\"name\":\"理发\",\"price_fen\":3000,\"kind\":\"service\"}",
    "{\"op\":\"product.upsert\",\"sku\":\"CUT10\",\"name\":\"理发10次卡\",\"price_fen\":25000,\"kind\":\"package\","
    "\"package_sku\":\"CUT\",\"package_count\":10}",
    "{\"op\":\"product.upsert\",\"sku\":\"OLD\",\"name\":\"旧货\",\"price_fen\":100,\"kind\":\"goods\"}",
    "{\"op\":\"product.upsert\",\"sku\":\"OLD\",\"name\":\"旧货\",\"price_fen\":100,\"kind\":\"goods\",\"active\":false}",
  };

  mdn_test_set_now (DAY1);
  b = mdn_test_branch_new ("B01", 1);
  for (guint i = 0; i < G_N_ELEMENTS (setup); i++)
    json_object_unref (mdn_test_ok (b->admin, "%s", setup[i]));
  return b;
}

static char *
issue (MdnOpCtx   *ctx,
       const char *phone,
       const char *level,
       gint64      deposit,
       const char *tender)
{
  g_autoptr(JsonObject) r = mdn_test_ok (ctx,
                                         "{\"op\":\"member.issue\",\"name\":\"会员%s\",\"phone\":\"%s\","
                                         "\"level\":\"%s\",\"deposit_fen\":%" G_GINT64_FORMAT ","
                                         "\"tender\":\"%s\"}",
                                         phone, phone, level, deposit, tender);

  return g_strdup (mdn_test_str (r, "card_no"));
}

static JsonObject *
element (JsonObject *o,
         const char *array,
         guint       i)
{
  JsonArray *a = json_object_get_array_member (o, array);

  g_assert_nonnull (a);
  g_assert_cmpuint (i, <, json_array_get_length (a));
  return json_array_get_object_element (a, i);
}

/* Everything a write would leave behind: entries, receipts, counters, log. */
static gint64
footprint (MdnTestBranch *b)
{
  return mdn_test_count (b, "SELECT COUNT (*) FROM entries") * 1000000 +
         mdn_test_count (b, "SELECT COUNT (*) FROM receipts") * 10000 +
         mdn_test_count (b, "SELECT COUNT (*) FROM oplog") * 10 +
         mdn_test_count (b, "SELECT COUNT (*) FROM counters");
}

/* sale.preview ---------------------------------------------------------------------- */

static void
test_preview_figures (void)
{
  g_autoptr(MdnTestBranch) b = reports_branch ();
  g_autofree char *gold = issue (b->admin, "13800000001", "gold", 20000, "cash");
  g_autofree char *silver = issue (b->admin, "13800000002", "silver", 0, "cash");
  g_autoptr(MdnOpCtx) cashier = mdn_test_staff (b, "c01", "cashier");
  g_autoptr(JsonObject) p = NULL;
  JsonObject *line;
  gint64 before = footprint (b);

  /* No card: list prices; the same product twice is one line; by barcode. */
  p = mdn_test_ok (cashier, "{\"op\":\"sale.preview\",\"lines\":[{\"sku\":\"TEA\",\"qty\":2},"
                   "{\"sku\":\"BAG\"},{\"sku\":\"6901234567890\"}]}");
  g_assert_cmpint (mdn_test_int (p, "list_total_fen"), ==, 3 * 1250 + 50);
  g_assert_cmpint (mdn_test_int (p, "total_fen"), ==, 3800);
  g_assert_cmpint (mdn_test_int (p, "discount_fen"), ==, 0);
  g_assert_cmpint (mdn_test_int (p, "points_earned"), ==, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (p, "lines")), ==, 2);
  line = element (p, "lines", 0);
  g_assert_cmpstr (mdn_test_str (line, "sku"), ==, "TEA");
  g_assert_cmpint (mdn_test_int (line, "qty"), ==, 3);
  g_assert_false (json_object_has_member (p, "card_no"));
  g_clear_pointer (&p, json_object_unref);

  /* Gold: 88 % of 37.50 = 33.00; the bag is never discounted; 33 yuan
     and 50 fen earn 2 × 33 points. */
  p = mdn_test_ok (cashier, "{\"op\":\"sale.preview\",\"card\":\"%s\",\"lines\":[{\"sku\":\"TEA\",\"qty\":3},"
                   "{\"sku\":\"BAG\",\"qty\":1}]}", gold);
  g_assert_cmpint (mdn_test_int (p, "list_total_fen"), ==, 3800);
  g_assert_cmpint (mdn_test_int (p, "total_fen"), ==, 3300 + 50);
  g_assert_cmpint (mdn_test_int (p, "discount_fen"), ==, 450);
  g_assert_cmpint (mdn_test_int (p, "points_earned"), ==, 66);
  g_assert_cmpstr (mdn_test_str (p, "card_no"), ==, gold);
  g_assert_cmpstr (mdn_test_str (p, "level"), ==, "gold");
  g_assert_cmpint (mdn_test_int (p, "balance_fen"), ==, 21500);
  line = element (p, "lines", 0);
  g_assert_cmpint (mdn_test_int (line, "percent"), ==, 88);
  g_assert_cmpint (mdn_test_int (line, "list_fen"), ==, 3750);
  g_assert_cmpint (mdn_test_int (line, "amount_fen"), ==, 3300);
  line = element (p, "lines", 1);
  g_assert_cmpint (mdn_test_int (line, "percent"), ==, 100);
  g_assert_cmpint (mdn_test_int (line, "amount_fen"), ==, 50);
  g_clear_pointer (&p, json_object_unref);

  /* Rounding per line, half up: 90 % of 1.25 is 1.125 → 1.13; of 3 × 1.25
     is 3.375 → 3.38. A package sells on a card, at the member's price. */
  p = mdn_test_ok (cashier, "{\"op\":\"sale.preview\",\"card\":\"%s\",\"lines\":[{\"sku\":\"GUM\"}]}", silver);
  g_assert_cmpint (mdn_test_int (p, "total_fen"), ==, 113);
  g_assert_cmpint (mdn_test_int (p, "points_earned"), ==, 1);
  g_clear_pointer (&p, json_object_unref);
  p = mdn_test_ok (cashier, "{\"op\":\"sale.preview\",\"card\":\"%s\",\"lines\":[{\"sku\":\"GUM\",\"qty\":3},"
                   "{\"sku\":\"CUT10\"}]}", silver);
  g_assert_cmpint (mdn_test_int (p, "total_fen"), ==, 338 + 22500);
  g_assert_cmpint (mdn_test_int (p, "discount_fen"), ==, 375 + 25000 - 338 - 22500);
  g_assert_cmpint (mdn_test_int (p, "points_earned"), ==, 228);
  g_clear_pointer (&p, json_object_unref);

  /* What "sale" refuses, the preview refuses the same way. */
  mdn_test_fails (cashier, "card_required", "{\"op\":\"sale.preview\",\"lines\":[{\"sku\":\"CUT10\"}]}");
  mdn_test_fails (cashier, "unknown_product", "{\"op\":\"sale.preview\",\"lines\":[{\"sku\":\"NOPE\"}]}");
  mdn_test_fails (cashier, "unknown_product", "{\"op\":\"sale.preview\",\"lines\":[{\"sku\":\"OLD\"}]}");
  mdn_test_fails (cashier, "invalid_argument", "{\"op\":\"sale.preview\",\"lines\":[]}");
  mdn_test_fails (cashier, "invalid_argument", "{\"op\":\"sale.preview\",\"lines\":[{\"sku\":\"TEA\",\"qty\":0}]}");
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.lose\",\"card\":\"%s\"}", silver));
  before = footprint (b);
  mdn_test_fails (cashier, "card_lost", "{\"op\":\"sale.preview\",\"card\":\"%s\",\"lines\":[{\"sku\":\"TEA\"}]}",
                  silver);

  /* Nothing written: no entry, receipt number, counter or log line. */
  g_assert_cmpint (footprint (b), ==, before);
  mdn_test_set_now (NULL);
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
}

/* Another process (the sync worker, a second POS) holds the write lock:
 * the preview still answers at once; the sale itself would have to wait. */
static void
test_preview_no_write_lock (void)
{
  g_autoptr(MdnTestBranch) b = reports_branch ();
  g_autoptr(JsonObject) p = NULL;
  sqlite3 *writer = NULL;
  gint64 start;

  g_assert_cmpint (sqlite3_open (b->path, &writer), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (writer, "BEGIN IMMEDIATE", NULL, NULL, NULL), ==, SQLITE_OK);
  start = g_get_monotonic_time ();
  p = mdn_test_ok (b->admin, "{\"op\":\"sale.preview\",\"lines\":[{\"sku\":\"COLA\",\"qty\":2}]}");
  g_assert_cmpint (mdn_test_int (p, "total_fen"), ==, 600);
  g_assert_cmpint (g_get_monotonic_time () - start, <, G_USEC_PER_SEC / 2);
  g_assert_cmpint (sqlite3_exec (writer, "ROLLBACK", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (writer);
  mdn_test_set_now (NULL);
}

/* The preview's figures are the sale's, on random carts of every level. */
static void
test_preview_matches_sale (void)
{
  g_autoptr(MdnTestBranch) b = reports_branch ();
  g_autoptr(GRand) rand = g_rand_new_with_seed (20261122);
  const char *skus[] = { "TEA", "COLA", "GUM", "BAG", "CUT", "CUT10", "6901234567890" };
  char *cards[4] = { NULL };

  cards[1] = issue (b->admin, "13800000011", "gold", 0, "cash");
  cards[2] = issue (b->admin, "13800000012", "silver", 0, "cash");
  cards[3] = issue (b->admin, "13800000013", "normal", 0, "cash");
  for (int round = 0; round < 150; round++)
    {
      const char *card = cards[g_rand_int_range (rand, 0, 4)];
      g_autoptr(GString) lines = g_string_new ("[");
      g_autofree char *card_arg = card ? g_strdup_printf ("\"card\":\"%s\",", card) : g_strdup ("");
      g_autoptr(JsonObject) p = NULL;
      g_autoptr(JsonObject) s = NULL;
      int n = g_rand_int_range (rand, 1, 5);

      for (int i = 0; i < n; i++)
        {
          /* A package only with a card (else both refuse it alike). */
          const char *sku = skus[g_rand_int_range (rand, 0, card ? 7 : 5)];

          g_string_append_printf (lines, "%s{\"sku\":\"%s\",\"qty\":%d}", i ? "," : "", sku,
                                  g_rand_int_range (rand, 1, 13));
        }
      g_string_append_c (lines, ']');
      p = mdn_test_ok (b->admin, "{\"op\":\"sale.preview\",%s\"lines\":%s}", card_arg, lines->str);
      s = mdn_test_ok (b->admin, "{\"op\":\"sale\",%s\"lines\":%s,\"tenders\":[{\"type\":\"cash\","
                       "\"amount_fen\":%" G_GINT64_FORMAT "}]}",
                       card_arg, lines->str, mdn_test_int (p, "total_fen"));
      g_assert_cmpint (mdn_test_int (p, "list_total_fen"), ==, mdn_test_int (s, "list_total_fen"));
      g_assert_cmpint (mdn_test_int (p, "total_fen"), ==, mdn_test_int (s, "total_fen"));
      g_assert_cmpint (mdn_test_int (p, "discount_fen"), ==, mdn_test_int (s, "discount_fen"));
      g_assert_cmpint (mdn_test_int (p, "points_earned"), ==, mdn_test_int (s, "points_earned"));
      g_assert_cmpint (mdn_test_int (s, "change_fen"), ==, 0);
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (p, "lines")), ==,
                        json_array_get_length (json_object_get_array_member (s, "lines")));
      for (guint i = 0; i < json_array_get_length (json_object_get_array_member (p, "lines")); i++)
        {
          JsonObject *pl = element (p, "lines", i);
          JsonObject *sl = element (s, "lines", i);

          g_assert_cmpstr (mdn_test_str (pl, "sku"), ==, mdn_test_str (sl, "sku"));
          g_assert_cmpint (mdn_test_int (pl, "qty"), ==, mdn_test_int (sl, "qty"));
          g_assert_cmpint (mdn_test_int (pl, "percent"), ==, mdn_test_int (sl, "percent"));
          g_assert_cmpint (mdn_test_int (pl, "amount_fen"), ==, mdn_test_int (sl, "amount_fen"));
        }
    }
  for (guint i = 0; i < G_N_ELEMENTS (cards); i++)
    g_free (cards[i]);
  mdn_test_set_now (NULL);
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
}

/* report.shift ------------------------------------------------------------------------ */

static JsonObject *
sum_for (JsonObject *report,
         const char *array,
         const char *key,
         const char *value)
{
  JsonArray *a = json_object_get_array_member (report, array);

  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *o = json_array_get_object_element (a, i);

      if (g_str_equal (mdn_test_str (o, key), value))
        return o;
    }
  g_error ("%s has no %s %s", array, key, value);
  return NULL;
}

static void
assert_sum (JsonObject *report,
            const char *array,
            const char *key,
            const char *value,
            gint64      count,
            gint64      amount_fen)
{
  JsonObject *o = sum_for (report, array, key, value);

  g_assert_cmpint (mdn_test_int (o, "count"), ==, count);
  g_assert_cmpint (mdn_test_int (o, "amount_fen"), ==, amount_fen);
}

/* A day of one cashier (c01) and one manager (m01):
 *   c01  card issued with a deposit of 200.00 by WeChat (+15.00 bonus)
 *   c01  cash sale: 2 × tea 12.50 = 25.00, handed 30.00, change 5.00
 *   c01  member sale: haircut 30.00 at 88 % = 26.40 + bag 0.50 = 26.90,
 *        20.00 from the balance and 6.90 by bank card
 *   c01  member sale: 10-use package 250.00 at 88 % = 220.00 by Alipay
 *   c01  one use of the package
 *   m01  withdrawal of 50.00 in cash
 *   m01  the cash sale returned: 25.00 back in cash
 * Money taken: 200.00 + 6.90 + 220.00 - 50.00 (cash: 25.00 - 25.00 - 50.00)
 * = 376.90; the 20.00 from the balance is not new money (it came in with
 * the deposit), so it shows by tender but not in the net. */
static void
test_report_shift (void)
{
  g_autoptr(MdnTestBranch) b = reports_branch ();
  g_autoptr(MdnOpCtx) c01 = mdn_test_staff (b, "c01", "cashier");
  g_autoptr(MdnOpCtx) m01 = mdn_test_staff (b, "m01", "manager");
  g_autofree char *card = issue (c01, "13800000001", "gold", 20000, "wechat");
  g_autoptr(JsonObject) cash_sale = NULL;
  g_autoptr(JsonObject) r = NULL;

  cash_sale = mdn_test_ok (c01, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"TEA\",\"qty\":2}],"
                           "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":3000}]}");
  g_assert_cmpint (mdn_test_int (cash_sale, "change_fen"), ==, 500);
  json_object_unref (mdn_test_ok (c01, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"CUT\"},{\"sku\":\"BAG\"}],"
                                  "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":2000},"
                                  "{\"type\":\"bank\",\"amount_fen\":690}]}", card));
  json_object_unref (mdn_test_ok (c01, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"CUT10\"}],"
                                  "\"tenders\":[{\"type\":\"alipay\",\"amount_fen\":22000}]}", card));
  json_object_unref (mdn_test_ok (c01, "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"CUT\",\"count\":1}", card));
  json_object_unref (mdn_test_ok (m01, "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount_fen\":5000,"
                                  "\"tender\":\"cash\"}", card));
  json_object_unref (mdn_test_ok (m01, "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}",
                                  mdn_test_str (cash_sale, "entry_id")));
  /* The next day's business is not in this day's report. */
  mdn_test_set_now (DAY2);
  json_object_unref (mdn_test_ok (c01, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"COLA\"}],"
                                  "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":300}]}"));

  /* The whole branch, that day. */
  r = mdn_test_ok (c01, "{\"op\":\"report.shift\",\"date\":\"2026-11-22\"}");
  g_assert_cmpstr (mdn_test_str (r, "date"), ==, "2026-11-22");
  g_assert_cmpstr (mdn_test_str (r, "branch"), ==, "B01");
  g_assert_cmpint (mdn_test_int (r, "entries"), ==, 8);
  g_assert_cmpint (mdn_test_int (r, "net_fen"), ==, 37690);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (r, "by_tender")), ==, 5);
  assert_sum (r, "by_tender", "tender", "alipay", 1, 22000);
  assert_sum (r, "by_tender", "tender", "balance", 1, 2000);
  assert_sum (r, "by_tender", "tender", "bank", 1, 690);
  assert_sum (r, "by_tender", "tender", "cash", 3, 2500 - 5000 - 2500);
  assert_sum (r, "by_tender", "tender", "wechat", 1, 20000);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (r, "by_kind")), ==, 6);
  assert_sum (r, "by_kind", "kind", "member.issue", 1, 0);
  assert_sum (r, "by_kind", "kind", "member.deposit", 1, 20000);
  assert_sum (r, "by_kind", "kind", "sale", 3, 2500 + 2690 + 22000);
  assert_sum (r, "by_kind", "kind", "package.consume", 1, 0);
  assert_sum (r, "by_kind", "kind", "member.withdraw", 1, -5000);
  assert_sum (r, "by_kind", "kind", "sale.return", 1, -2500);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (r, "by_staff")), ==, 2);
  assert_sum (r, "by_staff", "staff", "c01", 6, 20000 + 2500 + 690 + 22000);
  assert_sum (r, "by_staff", "staff", "m01", 2, -5000 - 2500);
  /* Sorted by key, for a stable screen and print-out. */
  g_assert_cmpstr (mdn_test_str (element (r, "by_tender", 0), "tender"), ==, "alipay");
  g_assert_cmpstr (mdn_test_str (element (r, "by_staff", 1), "staff"), ==, "m01");
  g_clear_pointer (&r, json_object_unref);

  /* One shift. */
  r = mdn_test_ok (c01, "{\"op\":\"report.shift\",\"date\":\"2026-11-22\",\"staff\":\"m01\"}");
  g_assert_cmpstr (mdn_test_str (r, "staff"), ==, "m01");
  g_assert_cmpint (mdn_test_int (r, "entries"), ==, 2);
  g_assert_cmpint (mdn_test_int (r, "net_fen"), ==, -7500);
  assert_sum (r, "by_tender", "tender", "cash", 2, -7500);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (r, "by_tender")), ==, 1);
  g_clear_pointer (&r, json_object_unref);

  /* Without a date: today's (DAY2) business only. */
  r = mdn_test_ok (c01, "{\"op\":\"report.shift\"}");
  g_assert_cmpstr (mdn_test_str (r, "date"), ==, "2026-11-23");
  g_assert_cmpint (mdn_test_int (r, "entries"), ==, 1);
  g_assert_cmpint (mdn_test_int (r, "net_fen"), ==, 300);
  g_clear_pointer (&r, json_object_unref);

  /* A day without business. */
  r = mdn_test_ok (c01, "{\"op\":\"report.shift\",\"date\":\"2026-01-01\"}");
  g_assert_cmpint (mdn_test_int (r, "entries"), ==, 0);
  g_assert_cmpint (mdn_test_int (r, "net_fen"), ==, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (r, "by_tender")), ==, 0);
  g_clear_pointer (&r, json_object_unref);
  mdn_test_fails (c01, "invalid_argument", "{\"op\":\"report.shift\",\"date\":\"22.11.2026\"}");

  mdn_test_set_now (NULL);
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
}

/* Names instead of codes: the day end lists staff by name, the header
 * shows who is logged in by name. */
static void
test_staff_names (void)
{
  g_autoptr(MdnTestBranch) b = reports_branch ();
  g_autoptr(MdnOpCtx) wang = NULL;
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(GError) error = NULL;

  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"staff.add\",\"code\":\"1001\",\"name\":\"小王\","
                                  "\"role\":\"cashier\",\"password\":\"%s\"}", MDN_TEST_PASSWORD));
  wang = mdn_op_ctx_new (b->store, "1001", MDN_TEST_PASSWORD, &error);
  g_assert_no_error (error);
  r = mdn_test_ok (wang, "{\"op\":\"staff.me\"}");
  g_assert_cmpstr (mdn_test_str (r, "code"), ==, "1001");
  g_assert_cmpstr (mdn_test_str (r, "name"), ==, "小王");
  g_assert_cmpstr (mdn_test_str (r, "role"), ==, "cashier");
  g_clear_pointer (&r, json_object_unref);

  json_object_unref (mdn_test_ok (wang, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"COLA\"}],"
                                  "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":300}]}"));
  r = mdn_test_ok (wang, "{\"op\":\"report.shift\"}");
  g_assert_cmpstr (mdn_test_str (sum_for (r, "by_staff", "staff", "1001"), "name"), ==, "小王");
  assert_sum (r, "by_staff", "staff", "1001", 1, 300);
  mdn_test_set_now (NULL);
}

/* What a scanner types: "exact" finds the SKU or barcode only. */
static void
test_search_exact (void)
{
  g_autoptr(MdnTestBranch) b = reports_branch ();
  g_autoptr(JsonObject) r = NULL;

  r = mdn_test_ok (b->admin, "{\"op\":\"product.search\",\"query\":\"6901234567890\",\"exact\":true}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (r, "products")), ==, 1);
  g_assert_cmpstr (mdn_test_str (element (r, "products", 0), "sku"), ==, "TEA");
  g_assert_cmpstr (mdn_test_str (element (r, "products", 0), "match"), ==, "barcode");
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b->admin, "{\"op\":\"product.search\",\"query\":\"CUT\",\"exact\":true}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (r, "products")), ==, 1);
  g_assert_cmpstr (mdn_test_str (element (r, "products", 0), "match"), ==, "sku");
  g_clear_pointer (&r, json_object_unref);
  /* Without "exact", the names and SKUs containing it follow. */
  r = mdn_test_ok (b->admin, "{\"op\":\"product.search\",\"query\":\"CUT\"}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (r, "products")), ==, 2);
  g_clear_pointer (&r, json_object_unref);
  /* A name is not a code; an inactive product is not sold. */
  r = mdn_test_ok (b->admin, "{\"op\":\"product.search\",\"query\":\"绿茶\",\"exact\":true}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (r, "products")), ==, 0);
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b->admin, "{\"op\":\"product.search\",\"query\":\"OLD\",\"exact\":true}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (r, "products")), ==, 0);
  mdn_test_set_now (NULL);
}

/* sync.status: what is waiting to be sent ------------------------------------------------------------------ */

static void
test_sync_status (void)
{
  g_autoptr(MdnTestBranch) b = reports_branch ();
  g_autoptr(MdnTestBranch) other = NULL;
  g_autoptr(MdnOpCtx) c01 = mdn_test_staff (b, "c01", "cashier");
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(JsonObject) issued = NULL;
  g_autoptr(MdnEntry) entry = NULL;
  g_autoptr(GError) error = NULL;
  gint64 last = mdn_test_count (b, "SELECT MAX (seq) FROM entries WHERE branch = 'B01'");

  /* Not linked: everything of this branch waits. */
  g_assert_cmpint (last, >, 10);
  r = mdn_test_ok (c01, "{\"op\":\"sync.status\"}");
  g_assert_false (json_object_get_boolean_member (r, "linked"));
  g_assert_false (json_object_has_member (r, "server"));
  g_assert_cmpint (mdn_test_int (r, "last_seq"), ==, last);
  g_assert_cmpint (mdn_test_int (r, "acked_seq"), ==, 0);
  g_assert_cmpint (mdn_test_int (r, "waiting"), ==, last);
  g_clear_pointer (&r, json_object_unref);

  /* Linked; the server has acknowledged up to last - 3. */
  g_assert_true (mdn_sync_link (b->store, "http://127.0.0.1:9/", "0123456789abcdef0123456789abcdef",
                                NULL, NULL, &error));
  g_assert_no_error (error);
  {
    g_autofree char *acked = g_strdup_printf ("%" G_GINT64_FORMAT, last - 3);

    g_assert_true (mdn_db_begin (b->store->db, TRUE, &error));
    g_assert_true (mdn_db_meta_set (b->store->db, "sync_acked_seq", acked, &error));
    g_assert_true (mdn_db_commit (b->store->db, &error));
  }
  r = mdn_test_ok (c01, "{\"op\":\"sync.status\"}");
  g_assert_true (json_object_get_boolean_member (r, "linked"));
  g_assert_cmpstr (mdn_test_str (r, "server"), ==, "http://127.0.0.1:9/");
  g_assert_cmpint (mdn_test_int (r, "last_seq"), ==, last);
  g_assert_cmpint (mdn_test_int (r, "acked_seq"), ==, last - 3);
  g_assert_cmpint (mdn_test_int (r, "waiting"), ==, 3);
  g_clear_pointer (&r, json_object_unref);

  /* A sale adds one entry to send. */
  json_object_unref (mdn_test_ok (c01, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"COLA\"}],"
                                  "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":300}]}"));
  r = mdn_test_ok (c01, "{\"op\":\"sync.status\"}");
  g_assert_cmpint (mdn_test_int (r, "last_seq"), ==, last + 1);
  g_assert_cmpint (mdn_test_int (r, "waiting"), ==, 4);
  g_clear_pointer (&r, json_object_unref);

  /* Another branch's entry pulled from the feed is not this branch's to send. */
  other = mdn_test_branch_new ("B02", 2);
  issued = mdn_test_ok (other->admin, "{\"op\":\"member.issue\",\"name\":\"外店会员\",\"phone\":\"13900000001\"}");
  {
    sqlite3_stmt *stmt = mdn_db_query (other->store->db, &error,
                                       "SELECT id FROM entries WHERE kind = 'member.issue'", "");

    g_assert_no_error (error);
    g_assert_cmpint (mdn_db_step (other->store->db, stmt, &error), ==, SQLITE_ROW);
    entry = mdn_entry_load (other->store->db, mdn_db_col_text (stmt, 0), &error);
    sqlite3_reset (stmt);
    g_assert_no_error (error);
  }
  g_assert_true (mdn_db_begin (b->store->db, TRUE, &error));
  g_assert_true (mdn_ledger_apply (b->store->db, entry, &error));
  g_assert_no_error (error);
  g_assert_true (mdn_db_commit (b->store->db, &error));
  g_assert_cmpint (mdn_test_count (b, "SELECT COUNT (*) FROM entries WHERE branch = 'B02'"), ==, 1);
  r = mdn_test_ok (c01, "{\"op\":\"sync.status\"}");
  g_assert_cmpint (mdn_test_int (r, "last_seq"), ==, last + 1);
  g_assert_cmpint (mdn_test_int (r, "waiting"), ==, 4);
  g_clear_pointer (&r, json_object_unref);

  /* Everything acknowledged: nothing waits (and never less than nothing). */
  {
    g_autofree char *acked = g_strdup_printf ("%" G_GINT64_FORMAT, last + 5);

    g_assert_true (mdn_db_begin (b->store->db, TRUE, &error));
    g_assert_true (mdn_db_meta_set (b->store->db, "sync_acked_seq", acked, &error));
    g_assert_true (mdn_db_commit (b->store->db, &error));
  }
  r = mdn_test_ok (c01, "{\"op\":\"sync.status\"}");
  g_assert_cmpint (mdn_test_int (r, "waiting"), ==, 0);
  mdn_test_set_now (NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  mdn_branch_init ();

  g_test_add_func ("/pricing/preview/figures", test_preview_figures);
  g_test_add_func ("/pricing/preview/no-write-lock", test_preview_no_write_lock);
  g_test_add_func ("/pricing/preview/matches-sale", test_preview_matches_sale);
  g_test_add_func ("/reports/shift", test_report_shift);
  g_test_add_func ("/reports/sync-status", test_sync_status);
  g_test_add_func ("/reports/staff-names", test_staff_names);
  g_test_add_func ("/catalog/search/exact", test_search_exact);
  return g_test_run ();
}
