/* test-figures.c: the one figures module (common/mdn-figures.h).
 *
 *   kinds         what each entry kind contributes, figure by figure, on
 *                 entries written by the real operations
 *   write-off     only the HQ terminal's exception.write_off counts
 *   overflow      adds that would overflow are refused and flagged
 *   over-refund   the over-refund rule, whatever order the returns came in
 *   differential  random ledgers at an HQ terminal and two branches
 *                 (mixed tenders, quick sales, timed sessions, returns by
 *                 line and by amount, deposits with bonuses, withdrawals,
 *                 packages, points, offline rounds, write-offs) pushed to
 *                 the real mendian-server: each branch's day end
 *                 (report.shift's figures) and the server's rollups
 *                 (GET /api/v1/reports/summary) agree to the fen on every
 *                 figure, day by day and over the period, and both agree
 *                 with sums taken straight from the branch's ledger in SQL
 *
 * The seeds are chosen so that each run has overdrafts and over-refunds
 * written off; MENDIAN_TEST_SEED=N runs the differential test with seed N. */
#include <signal.h>
#include <string.h>

#include "mdn-db.h"
#include "mdn-figures.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-money.h"
#include "mdn-test-server.h"

/* Helpers ------------------------------------------------------------------------- */

static MdnFigures
figures_of (MdnTestBranch  *b,
            JsonObject     *result,
            MdnFiguresFlags flags)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MdnEntry) entry = mdn_entry_load (b->store->db, mdn_test_str (result, "entry_id"), &error);
  MdnFigures f = { 0 };

  g_assert_no_error (error);
  mdn_figures_add_entry (&f, entry, flags);
  return f;
}

/* @spec: "name=value …"; every figure not named must be 0. */
static void
assert_figures (const MdnFigures *f,
                const char       *spec)
{
  g_auto(GStrv) parts = g_strsplit (spec, " ", -1);
  guint n;
  const MdnFigureField *fields = mdn_figures_fields (&n);

  g_assert_false (f->overflow);
  for (guint i = 0; i < n; i++)
    {
      gint64 want = 0;

      for (guint j = 0; parts[j]; j++)
        {
          gsize len = strlen (fields[i].name);

          if (strncmp (parts[j], fields[i].name, len) == 0 && parts[j][len] == '=')
            want = g_ascii_strtoll (parts[j] + len + 1, NULL, 10);
        }
      if (mdn_figures_get (f, &fields[i]) != want)
        g_error ("%s is %" G_GINT64_FORMAT ", not %" G_GINT64_FORMAT " (%s)", fields[i].name,
                 mdn_figures_get (f, &fields[i]), want, spec);
    }
  /* Every name in @spec is a figure. */
  for (guint j = 0; parts[j]; j++)
    {
      gboolean known = FALSE;

      for (guint i = 0; i < n && !known; i++)
        known = g_str_has_prefix (parts[j], fields[i].name) && parts[j][strlen (fields[i].name)] == '=';
      g_assert_true (known);
    }
}

static void
assert_same_figures (const MdnFigures *a,
                     const MdnFigures *b)
{
  guint n;
  const MdnFigureField *fields = mdn_figures_fields (&n);

  for (guint i = 0; i < n; i++)
    if (mdn_figures_get (a, &fields[i]) != mdn_figures_get (b, &fields[i]))
      g_error ("%s: %" G_GINT64_FORMAT " and %" G_GINT64_FORMAT, fields[i].name,
               mdn_figures_get (a, &fields[i]), mdn_figures_get (b, &fields[i]));
}

/* The "figures" of a report.shift answer (or any JSON object of figures). */
static MdnFigures
figures_from_json (JsonObject *o,
                   gboolean    with_chain)
{
  MdnFigures f = { 0 };
  guint n;
  const MdnFigureField *fields = mdn_figures_fields (&n);

  for (guint i = 0; i < n; i++)
    {
      if (fields[i].chain && !with_chain)
        {
          g_assert_false (json_object_has_member (o, fields[i].name));
          continue;
        }
      g_assert_true (json_object_has_member (o, fields[i].name));
      mdn_figures_set (&f, &fields[i], json_object_get_int_member (o, fields[i].name));
    }
  return f;
}

/* Per kind ------------------------------------------------------------------------ */

#define DAY "2026-11-22"

static MdnTestBranch *
kinds_branch (void)
{
  const char *setup[] = {
    "{\"op\":\"level.upsert\",\"code\":\"gold\",\"name\":\"Gold\",\"price_percent\":88,\"points_per_yuan\":2}",
    "{\"op\":\"deposit_rule.upsert\",\"min_fen\":10000,\"bonus_fen\":1500}",
    "{\"op\":\"product.upsert\",\"sku\":\"TEA\",\"name\":\"绿茶\",\"price_fen\":1250,\"kind\":\"goods\"}",
    "{\"op\":\"product.upsert\",\"sku\":\"BAG\",\"name\":\"购物袋\",\"price_fen\":50,\"kind\":\"goods\",\"no_discount\":true}",
    "{\"op\":\"product.upsert\",\"sku\":\"CUT\",\"name\":\"理发\",\"price_fen\":3000,\"kind\":\"service\"}",
    "{\"op\":\"product.upsert\",\"sku\":\"CUT10\",\"name\":\"理发10次卡\",\"price_fen\":25000,\"kind\":\"package\","
    "\"package_sku\":\"CUT\",\"package_count\":10}",
    "{\"op\":\"plan.upsert\",\"code\":\"BIL\",\"name\":\"台球\",\"unit_minutes\":30,\"unit_price_fen\":1500,"
    "\"free_minutes\":5,\"min_minutes\":60,\"cap_fen\":10000}",
    "{\"op\":\"resource.upsert\",\"code\":\"T1\",\"name\":\"一号台\",\"plan\":\"BIL\"}",
  };
  MdnTestBranch *b;

  mdn_test_set_now (DAY "T10:00:00+08:00");
  b = mdn_test_branch_new ("B01", 1);
  for (guint i = 0; i < G_N_ELEMENTS (setup); i++)
    json_object_unref (mdn_test_ok (b->admin, "%s", setup[i]));
  return b;
}

/* Every kind through the real operations, each entry's figures exact; the
 * day end's figures are their sum. */
static void
test_kinds (void)
{
  g_autoptr(MdnTestBranch) b = kinds_branch ();
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(JsonObject) cash_sale = NULL;
  g_autoptr(JsonObject) member_sale = NULL;
  g_autoptr(JsonObject) quick = NULL;
  g_autoptr(JsonObject) package = NULL;
  g_autofree char *card = NULL;
  g_autofree char *session = NULL;
  g_autofree char *count_id = NULL;
  MdnFigures day = { 0 }, f, shift;
  gint64 setup = mdn_test_count (b, "SELECT count(*) FROM entries");

#define STEP(var, spec, ...) \
  G_STMT_START { \
    g_clear_pointer (&var, json_object_unref); \
    var = mdn_test_ok (b->admin, __VA_ARGS__); \
    f = figures_of (b, var, MDN_FIGURES_NONE); \
    assert_figures (&f, spec); \
    mdn_figures_add (&day, &f); \
  } G_STMT_END

  /* Master data and other bookkeeping: counted as an entry, nothing else. */
  STEP (r, "entries=1", "{\"op\":\"level.upsert\",\"code\":\"silver\",\"name\":\"Silver\",\"price_percent\":90,"
        "\"points_per_yuan\":1}");
  STEP (r, "entries=1 counted_entries=1 members_issued=1",
        "{\"op\":\"member.issue\",\"name\":\"会员\",\"phone\":\"13800000001\",\"level\":\"gold\"}");
  card = g_strdup (mdn_test_str (r, "card_no"));
  /* 200.00 by WeChat earns 15.00: principal and bonus, money in by WeChat. */
  STEP (r, "entries=1 counted_entries=1 deposit_principal_fen=20000 deposit_bonus_fen=1500 "
        "tender_wechat_fen=20000 tender_wechat_count=1 net_fen=20000 principal_delta_fen=20000 bonus_delta_fen=1500",
        "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":20000,\"tender\":\"wechat\"}", card);
  /* 2 × 12.50 paid with 30.00 cash: 5.00 change, the till keeps 25.00. */
  STEP (cash_sale, "entries=1 counted_entries=1 sales_fen=2500 tender_cash_fen=2500 tender_cash_count=1 net_fen=2500 "
        "stock_sold_qty=2",
        "{\"op\":\"sale\",\"lines\":[{\"sku\":\"TEA\",\"qty\":2}],\"tenders\":[{\"type\":\"cash\",\"amount_fen\":3000}]}");
  /* Gold: 30.00 at 88 % = 26.40 + the bag 0.50: 26.90, 3.60 off; 20.00
     from the balance (principal first) is not money taken; 26 yuan × 2
     points. */
  STEP (member_sale, "entries=1 counted_entries=1 sales_fen=2690 discount_fen=360 tender_balance_fen=2000 "
        "tender_balance_count=1 tender_bank_fen=690 tender_bank_count=1 net_fen=690 principal_delta_fen=-2000 "
        "principal_spent_fen=2000 points_earned=52 stock_sold_qty=1",
        "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"CUT\"},{\"sku\":\"BAG\"}],"
        "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":2000},{\"type\":\"bank\",\"amount_fen\":690}]}", card);
  /* A package: 10 uses sold. */
  STEP (package, "entries=1 counted_entries=1 sales_fen=22000 discount_fen=3000 tender_alipay_fen=22000 "
        "tender_alipay_count=1 net_fen=22000 points_earned=440 package_uses_sold=10",
        "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"CUT10\"}],"
        "\"tenders\":[{\"type\":\"alipay\",\"amount_fen\":22000}]}", card);
  STEP (r, "entries=1 counted_entries=1 package_uses_consumed=1",
        "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"CUT\",\"count\":1}", card);
  STEP (r, "entries=1 points_redeemed=100",
        "{\"op\":\"points.redeem\",\"card\":\"%s\",\"points\":100,\"gift\":\"毛巾\"}", card);
  STEP (r, "entries=1 points_adjusted=-7",
        "{\"op\":\"points.adjust\",\"card\":\"%s\",\"delta\":-7,\"reason\":\"更正\"}", card);
  STEP (r, "entries=1 points_adjusted=3",
        "{\"op\":\"points.adjust\",\"card\":\"%s\",\"delta\":3,\"reason\":\"更正\"}", card);
  STEP (r, "entries=1 counted_entries=1 withdraw_fen=5000 tender_cash_fen=-5000 tender_cash_count=1 net_fen=-5000 "
        "principal_delta_fen=-5000",
        "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount_fen\":5000,\"tender\":\"cash\"}", card);
  /* Returns: the cash sale whole (the tea back in stock, the cash out). */
  STEP (r, "entries=1 counted_entries=1 refund_fen=2500 tender_cash_fen=-2500 tender_cash_count=1 net_fen=-2500 "
        "stock_returned_qty=2",
        "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}", mdn_test_str (cash_sale, "entry_id"));
  /* By line: the haircut, 26.40: balance back first (20.00 to principal),
     6.40 to the bank card; floor (52 × 2640 / 2690) = 51 points back. */
  STEP (r, "entries=1 counted_entries=1 refund_fen=2640 tender_balance_fen=-2000 tender_balance_count=1 "
        "tender_bank_fen=-640 tender_bank_count=1 net_fen=-640 principal_delta_fen=2000 "
        "principal_refunded_fen=2000 points_returned=51",
        "{\"op\":\"sale.return\",\"entry_id\":\"%s\",\"lines\":[{\"sku\":\"CUT\",\"qty\":1}]}",
        mdn_test_str (member_sale, "entry_id"));
  /* A quick sale of 10.00 at 88 %: 8.80, paid 10.00 cash; 8 yuan × 2 points. */
  STEP (quick, "entries=1 counted_entries=1 sales_fen=880 discount_fen=120 tender_cash_fen=880 tender_cash_count=1 "
        "net_fen=880 points_earned=16",
        "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":1000,"
        "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":1000}]}", card);
  /* Returned by amount: 3.00; floor (16 × 300 / 880) = 5 points back. */
  STEP (r, "entries=1 counted_entries=1 refund_fen=300 tender_cash_fen=-300 tender_cash_count=1 net_fen=-300 "
        "points_returned=5",
        "{\"op\":\"sale.return\",\"entry_id\":\"%s\",\"amount_fen\":300}", mdn_test_str (quick, "entry_id"));
  /* A timed session: the start is nothing; 95 minutes, 5 free, 3 units of
     30 minutes at 15.00 = 45.00. */
  STEP (r, "entries=1", "{\"op\":\"timed.start\",\"resource\":\"T1\"}");
  session = g_strdup (mdn_test_str (r, "session_id"));
  mdn_test_set_now (DAY "T11:35:00+08:00");
  STEP (r, "entries=1 counted_entries=1 sales_fen=4500 tender_cash_fen=4500 tender_cash_count=1 net_fen=4500",
        "{\"op\":\"timed.stop\",\"session_id\":\"%s\",\"tenders\":[{\"type\":\"cash\",\"amount_fen\":5000}]}", session);
  g_assert_cmpint (mdn_test_int (r, "total_fen"), ==, 4500);
  /* A package returned whole: its uses go back, all its points are taken. */
  STEP (package, "entries=1 counted_entries=1 sales_fen=22000 discount_fen=3000 tender_cash_fen=22000 "
        "tender_cash_count=1 net_fen=22000 points_earned=440 package_uses_sold=10",
        "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"CUT10\"}],"
        "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":22000}]}", card);
  STEP (r, "entries=1 counted_entries=1 refund_fen=22000 tender_cash_fen=-22000 tender_cash_count=1 net_fen=-22000 "
        "points_returned=440 package_uses_returned=10",
        "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}", mdn_test_str (package, "entry_id"));
  /* A card operation moves nothing. */
  STEP (r, "entries=1", "{\"op\":\"member.extend\",\"card\":\"%s\",\"expires_on\":\"2027-12-31\"}", card);
  /* Stock (mdn-stock.c): received with its cost, issued, counted (the bag
     at -1 counted 3: +4), sent to another branch. */
  STEP (r, "entries=1 stock_received_qty=10 stock_received_cost_fen=5000",
        "{\"op\":\"stock.receive\",\"lines\":[{\"sku\":\"TEA\",\"qty\":10,\"cost\":\"5.00\"}]}");
  STEP (r, "entries=1 stock_issued_qty=1",
        "{\"op\":\"stock.issue\",\"reason\":\"damage\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1}]}");
  STEP (r, "entries=1", "{\"op\":\"stocktake.start\"}");
  count_id = g_strdup (mdn_test_str (r, "count_id"));
  STEP (r, "entries=1", "{\"op\":\"stocktake.count\",\"count_id\":\"%s\",\"lines\":[{\"sku\":\"BAG\",\"counted\":3}]}",
        count_id);
  STEP (r, "entries=1 stock_adjusted_qty=4", "{\"op\":\"stocktake.finish\",\"count_id\":\"%s\"}", count_id);
  STEP (r, "entries=1 stock_transferred_out_qty=2",
        "{\"op\":\"transfer.out\",\"to\":\"B02\",\"lines\":[{\"sku\":\"TEA\",\"qty\":2}]}");
#undef STEP

  /* The day end sums the same figures: by_kind's amount is the gross. */
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b->admin, "{\"op\":\"report.shift\",\"date\":\"" DAY "\"}");
  shift = figures_from_json (json_object_get_object_member (r, "figures"), FALSE);
  day.entries += setup;   /* master data: entries, nothing else */
  assert_same_figures (&shift, &day);
  g_assert_cmpint (mdn_test_int (r, "entries"), ==, day.counted_entries);
  g_assert_cmpint (mdn_test_int (r, "net_fen"), ==, day.net_fen);
  g_assert_cmpint (day.net_fen, ==, 20000 + 2500 + 690 + 22000 - 5000 - 2500 - 640 + 880 - 300 + 4500);
  mdn_test_set_now (NULL);
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
}

/* exception.write_off counts only as the HQ terminal's (the server applies
 * a branch's copy of an HQ-only kind to nothing); a kind the module does
 * not know counts as an entry and by its stored-value movements. */
static void
test_write_off (void)
{
  g_autoptr(MdnEntry) w = mdn_entry_new ("exception.write_off", "m1");
  g_autoptr(MdnEntry) x = mdn_entry_new ("some.future_kind", "m1");
  MdnFigures f = { 0 };

  json_object_set_int_member (w->body, "written_off_fen", 6000);
  json_object_set_int_member (w->body, "written_off_points", 5);
  mdn_entry_add_movement (w, "m1", "principal", NULL, NULL, NULL, 6500);
  mdn_entry_add_movement (w, "m1", "bonus", NULL, NULL, NULL, -500);
  mdn_entry_add_movement (w, "m1", "points", NULL, NULL, NULL, 5);
  mdn_entry_add_movement (w, "m1", "package", "CUT", "L1", NULL, 3);
  mdn_entry_add_movement (w, "m1", "package", "CUT", "L2", NULL, -1);
  mdn_figures_add_entry (&f, w, MDN_FIGURES_HQ);
  assert_figures (&f, "entries=1 written_off_fen=6000 points_written_off=5 package_uses_written_off=2 "
                  "principal_delta_fen=6500 bonus_delta_fen=-500");
  memset (&f, 0, sizeof f);
  mdn_figures_add_entry (&f, w, MDN_FIGURES_NONE);
  assert_figures (&f, "entries=1");

  mdn_entry_add_movement (x, "m1", "principal", NULL, NULL, NULL, 100);
  json_object_set_int_member (x->body, "total_fen", 999);
  memset (&f, 0, sizeof f);
  mdn_figures_add_entry (&f, x, MDN_FIGURES_HQ);
  assert_figures (&f, "entries=1 principal_delta_fen=100");
  g_assert_false (mdn_figures_kind_counted ("some.future_kind"));
  g_assert_true (mdn_figures_kind_counted ("sale.return"));
  g_assert_false (mdn_figures_kind_counted ("points.redeem"));
}

/* A damaged body reads as zeros, an unknown tender as "other" (not money). */
static void
test_lenient (void)
{
  g_autoptr(MdnEntry) s = mdn_entry_new ("sale", NULL);
  g_autoptr(JsonArray) tenders = json_array_new ();
  g_autoptr(JsonObject) t = json_object_new ();
  MdnFigures f = { 0 };

  json_object_set_string_member (s->body, "total_fen", "12.00");
  json_object_set_string_member (t, "type", "coupon");
  json_object_set_int_member (t, "amount_fen", 700);
  json_array_add_object_element (tenders, json_object_ref (t));
  json_array_add_string_element (tenders, "cash");
  json_object_set_array_member (s->body, "tenders", json_array_ref (tenders));
  mdn_figures_add_entry (&f, s, MDN_FIGURES_NONE);
  assert_figures (&f, "entries=1 counted_entries=1 tender_other_fen=700 tender_other_count=1");
  g_assert_cmpint (mdn_tender_kind ("coupon"), ==, MDN_TENDER_OTHER);
  g_assert_cmpint (mdn_tender_kind (NULL), ==, MDN_TENDER_OTHER);
  g_assert_cmpstr (mdn_tender_name (MDN_TENDER_WECHAT), ==, "wechat");
  /* Each tender the operations take has its own figure, and its own name. */
  g_assert_cmpint (mdn_tender_kind ("cash"), ==, MDN_TENDER_CASH);
  g_assert_cmpint (mdn_tender_kind ("bank"), ==, MDN_TENDER_BANK);
  g_assert_cmpint (mdn_tender_kind ("alipay"), ==, MDN_TENDER_ALIPAY);
  g_assert_cmpint (mdn_tender_kind ("balance"), ==, MDN_TENDER_BALANCE);
  g_assert_cmpstr (mdn_tender_name (MDN_TENDER_OTHER), ==, "other");
  for (int k = 0; mdn_all_tenders[k]; k++)
    g_assert_cmpstr (mdn_tender_name (mdn_tender_kind (mdn_all_tenders[k])), ==, mdn_all_tenders[k]);
  g_assert_false (mdn_tender_is_money (MDN_TENDER_BALANCE));
  g_assert_true (mdn_tender_is_money (MDN_TENDER_CASH));
}

/* No add wraps: it is refused, the figure stays, overflow is set; under
 * UBSan nothing is undefined, G_MININT64 and G_MAXINT64 included. */
static void
test_overflow (void)
{
  g_autoptr(MdnEntry) d = mdn_entry_new ("member.deposit", "m1");
  g_autoptr(MdnEntry) r = mdn_entry_new ("sale.return", "m1");
  g_autoptr(MdnEntry) m = mdn_entry_new ("sale", "m1");
  g_autoptr(JsonArray) tenders = json_array_new ();
  g_autoptr(JsonObject) t = json_object_new ();
  MdnFigures f = { 0 }, g = { 0 };
  gint64 gross = 0;

  json_object_set_int_member (d->body, "amount_fen", MDN_MONEY_MAX);
  mdn_figures_add_entry (&f, d, MDN_FIGURES_NONE);
  g_assert_false (f.overflow);
  g_assert_cmpint (f.deposit_principal_fen, ==, MDN_MONEY_MAX);
  mdn_figures_add_entry (&f, d, MDN_FIGURES_NONE);
  g_assert_true (f.overflow);
  g_assert_cmpint (f.deposit_principal_fen, ==, MDN_MONEY_MAX);
  g_assert_cmpint (f.entries, ==, 2);

  /* Extremes in a body: refused, never negated into undefined behaviour. */
  json_object_set_int_member (r->body, "refund_fen", G_MININT64);
  json_object_set_string_member (t, "type", "cash");
  json_object_set_int_member (t, "amount_fen", G_MININT64);
  json_array_add_object_element (tenders, json_object_ref (t));
  json_object_set_array_member (r->body, "tenders", json_array_ref (tenders));
  mdn_entry_add_movement (r, "m1", "points", NULL, NULL, NULL, G_MININT64);
  mdn_entry_add_movement (r, "m1", "principal", NULL, NULL, NULL, G_MAXINT64);
  mdn_entry_add_movement (r, "m1", "principal", NULL, NULL, NULL, G_MAXINT64);
  mdn_figures_add_entry (&g, r, MDN_FIGURES_NONE);
  g_assert_true (g.overflow);
  g_assert_cmpint (g.refund_fen, ==, 0);
  g_assert_cmpint (g.tenders[MDN_TENDER_CASH].amount_fen, ==, 0);
  g_assert_cmpint (g.net_fen, ==, 0);
  g_assert_cmpint (g.points_returned, ==, 0);
  g_assert_cmpint (g.principal_delta_fen, ==, 0);
  g_assert_cmpint (g.counted_entries, ==, 1);

  json_object_set_int_member (m->body, "total_fen", G_MAXINT64);
  json_object_set_int_member (m->body, "discount_fen", -MDN_MONEY_MAX);
  memset (&g, 0, sizeof g);
  mdn_figures_add_entry (&g, m, MDN_FIGURES_NONE);
  g_assert_true (g.overflow);
  g_assert_cmpint (g.sales_fen, ==, 0);
  g_assert_cmpint (g.discount_fen, ==, -MDN_MONEY_MAX);

  /* Adding figures: checked per figure, overflow carries over. */
  memset (&g, 0, sizeof g);
  g.refund_fen = 1;
  mdn_figures_add (&g, &f);
  g_assert_true (g.overflow);
  g_assert_cmpint (g.deposit_principal_fen, ==, MDN_MONEY_MAX);
  g_assert_cmpint (g.refund_fen, ==, 1);
  memset (&g, 0, sizeof g);
  g.deposit_principal_fen = 1;
  f.overflow = FALSE;
  mdn_figures_add (&g, &f);
  g_assert_true (g.overflow);
  g_assert_cmpint (g.deposit_principal_fen, ==, 1);

  /* The gross: sales − refunds + deposits − withdrawals, checked. */
  memset (&g, 0, sizeof g);
  g.sales_fen = 5000;
  g.refund_fen = 700;
  g.deposit_principal_fen = 1000;
  g.withdraw_fen = 300;
  g_assert_true (mdn_figures_gross_fen (&g, &gross));
  g_assert_cmpint (gross, ==, 5000);
  g.sales_fen = MDN_MONEY_MAX;
  g.refund_fen = 0;
  g_assert_false (mdn_figures_gross_fen (&g, &gross));

  memset (&g, 0, sizeof g);
  mdn_figures_add_over_refund (&g, MDN_MONEY_MAX);
  mdn_figures_add_over_refund (&g, 1);
  g_assert_true (g.overflow);
  g_assert_cmpint (g.over_refund_fen, ==, MDN_MONEY_MAX);
}

/* Each return is charged what it adds to max (0, refunds − total). */
static void
test_over_refund (void)
{
  /* A sale of 100.00 returned in full at two branches: the second is over. */
  g_assert_cmpint (mdn_figures_over_refund (10000, 10000, 10000), ==, 0);
  g_assert_cmpint (mdn_figures_over_refund (10000, 20000, 10000), ==, 10000);
  /* 80 + 50 of 100: the second goes 30 over, whichever came first. */
  g_assert_cmpint (mdn_figures_over_refund (10000, 8000, 8000) + mdn_figures_over_refund (10000, 13000, 5000), ==, 3000);
  g_assert_cmpint (mdn_figures_over_refund (10000, 5000, 5000) + mdn_figures_over_refund (10000, 13000, 8000), ==, 3000);
  /* Already over: all of a further return is over. */
  g_assert_cmpint (mdn_figures_over_refund (10000, 14000, 1000), ==, 1000);
  /* Damaged figures over-refund nothing rather than overflow. */
  g_assert_cmpint (mdn_figures_over_refund (G_MININT64, G_MAXINT64, 0), ==, 0);
  g_assert_cmpint (mdn_figures_over_refund (0, G_MININT64, G_MAXINT64), ==, 0);
}

/* Differential --------------------------------------------------------------------- */

#define N_TERMINALS 3   /* HQ, B01, B02 */
#define FIRST_DAY "2026-11-20"

typedef struct
{
  MdnTestServer *s;
  MdnTestBranch *b[N_TERMINALS];
  MdnOpCtx      *cashier[N_TERMINALS];
  MdnOpCtx      *manager[N_TERMINALS];
  GRand         *rand;
  GDateTime     *now;
  gboolean       up;
  guint          ops, done;
} World;

static gint64
rnd (World *w,
     gint64 lo,
     gint64 hi)
{
  return g_rand_int_range (w->rand, (gint32) lo, (gint32) hi + 1);
}

/* One of the values the query gives, or NULL. */
static char *
pick (World         *w,
      MdnTestBranch *b,
      const char    *sql)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_free);

  g_assert_cmpint (sqlite3_prepare_v2 (mdn_db_handle (b->store->db), sql, -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (all, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  if (all->len == 0)
    return NULL;
  return g_strdup (g_ptr_array_index (all, g_rand_int_range (w->rand, 0, (gint32) all->len)));
}

/* Runs an operation that may be refused (then it writes nothing); only a
 * broken state fails the test. */
static JsonObject *
try_op (World      *w,
        MdnOpCtx   *ctx,
        const char *format,
        ...) G_GNUC_PRINTF (3, 4);

static JsonObject *
try_op (World      *w,
        MdnOpCtx   *ctx,
        const char *format,
        ...)
{
  static const char *const broken[] = { "internal", "corrupt", "database", "sync_refused", "money_overflow", NULL };
  g_autofree char *line = NULL;
  g_autoptr(JsonObject) out = NULL;
  va_list ap;
  const char *code;

  va_start (ap, format);
  line = g_strdup_vprintf (format, ap);
  va_end (ap);
  out = mdn_ops_run_line (ctx, line);
  w->ops++;
  if (json_object_get_boolean_member (out, "ok"))
    {
      w->done++;
      return g_steal_pointer (&out);
    }
  code = json_object_get_string_member (json_object_get_object_member (out, "error"), "code");
  if (g_strv_contains (broken, code))
    {
      g_autofree char *text = mdn_json_object_to_string (out);

      g_error ("%s: %s", line, text);
    }
  return NULL;
}

static void
drop (JsonObject *o)
{
  if (o)
    json_object_unref (o);
}

/* Tenders for @total: cash (with change), one other tender, a split, or
 * the card's balance in part or whole. */
static char *
tenders_for (World   *w,
             gint64   total,
             gboolean card)
{
  static const char *const others[] = { "wechat", "alipay", "bank" };
  const char *other = others[rnd (w, 0, 2)];
  int how = (int) rnd (w, 0, card ? 9 : 5);
  gint64 part = total > 1 ? rnd (w, 1, total - 1) : 0;

  if (total == 0)
    return g_strdup ("[]");
  switch (how)
    {
    case 0:
    case 1:
      return g_strdup_printf ("[{\"type\":\"cash\",\"amount_fen\":%" G_GINT64_FORMAT "}]", total + rnd (w, 0, 3) * 500);
    case 2:
    case 3:
      return g_strdup_printf ("[{\"type\":\"%s\",\"amount_fen\":%" G_GINT64_FORMAT "}]", other, total);
    case 4:
    case 5:
      if (part == 0)
        return g_strdup_printf ("[{\"type\":\"cash\",\"amount_fen\":%" G_GINT64_FORMAT "}]", total);
      return g_strdup_printf ("[{\"type\":\"%s\",\"amount_fen\":%" G_GINT64_FORMAT "},"
                              "{\"type\":\"cash\",\"amount_fen\":%" G_GINT64_FORMAT "}]",
                              other, part, total - part + rnd (w, 0, 1) * 1000);
    case 6:
    case 7:
      return g_strdup_printf ("[{\"type\":\"balance\",\"amount_fen\":%" G_GINT64_FORMAT "}]", total);
    default:
      if (part == 0)
        return g_strdup_printf ("[{\"type\":\"balance\",\"amount_fen\":%" G_GINT64_FORMAT "}]", total);
      return g_strdup_printf ("[{\"type\":\"balance\",\"amount_fen\":%" G_GINT64_FORMAT "},"
                              "{\"type\":\"%s\",\"amount_fen\":%" G_GINT64_FORMAT "}]",
                              part, how == 8 ? "cash" : other, total - part);
    }
}

/* ,"card":"…" for a random member known here, or "" (a walk-in). */
static char *
card_arg (World         *w,
          MdnTestBranch *b,
          char         **card)
{
  *card = rnd (w, 0, 3) ? pick (w, b, "SELECT card_no FROM members ORDER BY card_no") : NULL;
  return *card ? g_strdup_printf (",\"card\":\"%s\"", *card) : g_strdup ("");
}

static const char *const skus[] = { "TEA", "COLA", "BAG", "CUT", "WASH", "CUT10", "WASH5" };
static const char *const money_tenders[] = { "cash", "wechat", "alipay", "bank" };

static void
do_sale (World *w,
         int    t)
{
  MdnTestBranch *b = w->b[t];
  g_autofree char *card = NULL;
  g_autofree char *card_json = card_arg (w, b, &card);
  g_autoptr(GString) lines = g_string_new ("[");
  g_autoptr(JsonObject) preview = NULL;
  g_autofree char *tenders = NULL;
  int n = (int) rnd (w, 1, 3);

  for (int i = 0; i < n; i++)
    g_string_append_printf (lines, "%s{\"sku\":\"%s\",\"qty\":%d}", i ? "," : "",
                            skus[rnd (w, 0, card ? G_N_ELEMENTS (skus) - 1 : 4)], (int) rnd (w, 1, 3));
  g_string_append (lines, "]");
  preview = try_op (w, w->cashier[t], "{\"op\":\"sale.preview\"%s,\"lines\":%s}", card_json, lines->str);
  if (preview == NULL)
    return;
  tenders = tenders_for (w, mdn_test_int (preview, "total_fen"), card != NULL);
  drop (try_op (w, w->cashier[t], "{\"op\":\"sale\"%s,\"lines\":%s,\"tenders\":%s}",
                             card_json, lines->str, tenders));
}

static void
do_quick (World *w,
          int    t)
{
  MdnTestBranch *b = w->b[t];
  g_autofree char *card = NULL;
  g_autofree char *card_json = card_arg (w, b, &card);
  g_autofree char *tenders = NULL;
  gint64 amount = rnd (w, 1, 400) * 25, percent = 100, total = 0;

  if (card)
    {
      g_autoptr(JsonObject) show = try_op (w, w->cashier[t], "{\"op\":\"member.show\",\"card\":\"%s\"}", card);

      if (show == NULL)
        return;
      percent = mdn_test_int (show, "price_percent");
    }
  g_assert_true (mdn_money_percent (amount, percent, &total, NULL));
  tenders = tenders_for (w, total, card != NULL);
  drop (try_op (w, w->cashier[t], "{\"op\":\"sale.quick\"%s,\"amount_fen\":%" G_GINT64_FORMAT
                                               ",\"tenders\":%s}", card_json, amount, tenders));
}

static void
do_timed (World *w,
          int    t)
{
  MdnTestBranch *b = w->b[t];
  g_autoptr(JsonObject) list = try_op (w, w->cashier[t], "{\"op\":\"timed.list\"}");
  JsonArray *sessions = json_object_get_array_member (list, "sessions");

  if (json_array_get_length (sessions) > 0 && rnd (w, 0, 1))
    {
      JsonObject *s = json_array_get_object_element (sessions, (guint) rnd (w, 0, json_array_get_length (sessions) - 1));
      g_autofree char *tenders = tenders_for (w, mdn_test_int (s, "charge_fen"),
                                              !json_object_get_null_member (s, "card_no"));

      drop (try_op (w, w->cashier[t], "{\"op\":\"timed.stop\",\"session_id\":\"%s\",\"tenders\":%s}",
                                 mdn_test_str (s, "session_id"), tenders));
    }
  else
    {
      g_autofree char *card = NULL;
      g_autofree char *card_json = card_arg (w, b, &card);

      drop (try_op (w, w->cashier[t], "{\"op\":\"timed.start\",\"resource\":\"%s\"%s}",
                                 rnd (w, 0, 1) ? "T1" : "R1", card_json));
    }
}

/* A return of any sale known here: whole, by some of a line, or by part
 * of the amount. */
static void
do_return (World *w,
           int    t)
{
  MdnTestBranch *b = w->b[t];
  /* Any sale, or the first member's sale with money left to refund here,
     which two branches offline both refund. */
  g_autofree char *id = pick (w, b, rnd (w, 0, 2)
                              ? "SELECT entry_id FROM receipts WHERE kind IN ('sale', 'sale.quick', 'timed.stop') "
                                "ORDER BY receipt_no"
                              : "SELECT entry_id FROM receipts r WHERE member_id IS NOT NULL AND total_fen > "
                                "(SELECT COALESCE (SUM (refund_fen), 0) FROM sale_returns s WHERE s.sale_entry = r.entry_id) "
                                "ORDER BY receipt_no LIMIT 1");
  g_autoptr(MdnEntry) sale = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *lines;

  if (id == NULL)
    return;
  sale = mdn_entry_load (b->store->db, id, &error);
  g_assert_no_error (error);
  lines = mdn_body_array (sale->body, "lines");
  if (rnd (w, 0, 2) == 0)
    drop (try_op (w, w->manager[t], "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}", id)
                      );
  else if (lines && json_array_get_length (lines) > 0)
    {
      JsonObject *l = json_array_get_object_element (lines, (guint) rnd (w, 0, json_array_get_length (lines) - 1));

      drop (try_op (w, w->manager[t], "{\"op\":\"sale.return\",\"entry_id\":\"%s\","
                                                   "\"lines\":[{\"sku\":\"%s\",\"qty\":%d}]}",
                                 id, mdn_body_string (l, "sku"), (int) rnd (w, 1, mdn_body_int (l, "qty", 1)))
                        );
    }
  else
    drop (try_op (w, w->manager[t], "{\"op\":\"sale.return\",\"entry_id\":\"%s\",\"amount_fen\":%d}",
                               id, (int) rnd (w, 1, MAX (mdn_body_int (sale->body, "total_fen", 1) / 2, 1)))
                      );
}

static void
world_step (World *w)
{
  int t = (int) rnd (w, 0, N_TERMINALS - 1);
  MdnTestBranch *b = w->b[t];
  g_autofree char *card = pick (w, b, "SELECT card_no FROM members ORDER BY card_no");
  g_autoptr(GDateTime) next = g_date_time_add_seconds (w->now, (gdouble) rnd (w, 60, 1500));
  g_autofree char *iso = NULL;
  static const gint64 deposits[] = { 5000, 10000, 20000, 30000, 1234 };
  JsonObject *r = NULL;
  int op = (int) rnd (w, 0, 19);

  g_date_time_unref (w->now);
  w->now = g_date_time_ref (next);
  iso = g_date_time_format_iso8601 (w->now);
  mdn_test_set_now (iso);
  if (card == NULL)
    op = 0;
  switch (op)
    {
    case 0:
      r = try_op (w, w->cashier[t], "{\"op\":\"member.issue\",\"name\":\"M\",\"phone\":\"139%08u\",\"level\":\"%s\","
                                    "\"deposit_fen\":%" G_GINT64_FORMAT ",\"tender\":\"%s\"}",
                  w->ops, rnd (w, 0, 1) ? "gold" : "normal", deposits[rnd (w, 0, 4)] * rnd (w, 0, 1),
                  money_tenders[rnd (w, 0, 3)]);
      break;
    case 1:
    case 2:
      r = try_op (w, w->cashier[t], "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":%" G_GINT64_FORMAT ","
                                    "\"tender\":\"%s\"}", card, deposits[rnd (w, 0, 4)], money_tenders[rnd (w, 0, 3)]);
      break;
    case 3:
      r = try_op (w, w->manager[t], "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount_fen\":%d,\"tender\":\"%s\"}",
                  card, (int) rnd (w, 1, 80) * 100, money_tenders[rnd (w, 0, 3)]);
      break;
    case 4:
    case 5:
    case 6:
      do_sale (w, t);
      break;
    case 7:
    case 8:
      do_quick (w, t);
      break;
    case 9:
    case 10:
      do_timed (w, t);
      break;
    case 11:
    case 12:
      do_return (w, t);
      break;
    case 13:
      {
        /* Mostly a card with uses left here. */
        g_autofree char *lot = pick (w, b, "SELECT m.card_no || ' ' || p.item FROM members m "
                                           "JOIN member_packages p ON p.member_id = m.id WHERE p.remaining > 0 "
                                           "ORDER BY m.card_no, p.item");
        g_auto(GStrv) card_sku = lot && rnd (w, 0, 4) ? g_strsplit (lot, " ", 2) : NULL;

        r = try_op (w, w->cashier[t], "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"%s\",\"count\":%d}",
                    card_sku ? card_sku[0] : card, card_sku ? card_sku[1] : "CUT", (int) rnd (w, 1, 2));
      }
      break;
    case 14:
      r = try_op (w, w->cashier[t], "{\"op\":\"points.redeem\",\"card\":\"%s\",\"points\":%d,\"gift\":\"礼品\"}", card,
                  (int) rnd (w, 1, 60));
      break;
    case 15:
      r = try_op (w, w->manager[t], "{\"op\":\"points.adjust\",\"card\":\"%s\",\"delta\":%d,\"reason\":\"调整\"}", card,
                  (int) rnd (w, -20, 40));
      break;
    case 16:
      {
        /* Spend what the first card with money has here (offline: up to
           its allowance), so that two branches offline overdraw it. */
        g_autofree char *first = pick (w, b, "SELECT card_no FROM members WHERE principal_fen + bonus_fen > 0 "
                                             "AND status = 'active' ORDER BY card_no LIMIT 1");
        g_autoptr(JsonObject) show = first ? try_op (w, w->cashier[t], "{\"op\":\"member.show\",\"card\":\"%s\"}",
                                                     first) : NULL;
        gint64 amount = show ? MIN (mdn_test_int (show, "balance_fen"), 8000) : 0, total = 0;

        if (amount <= 0)
          break;
        g_assert_true (mdn_money_percent (amount, mdn_test_int (show, "price_percent"), &total, NULL));
        r = try_op (w, w->cashier[t], "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":%" G_GINT64_FORMAT ","
                                      "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":%" G_GINT64_FORMAT "}]}",
                    first, amount, total);
      }
      break;
    default:
      if (w->up)
        mdn_test_sync_ok (b);
      break;
    }
  g_clear_pointer (&r, json_object_unref);
}

static void
sync_all (World *w)
{
  for (int round = 0; round < 2; round++)
    for (int i = 0; i < N_TERMINALS; i++)
      mdn_test_sync_ok (w->b[i]);
}

/* @expr summed straight from the branch's own entries of @date that
 * satisfy @cond, as an oracle. */
static gint64
ledger_sum (MdnTestBranch *b,
            const char    *date,
            const char    *expr,
            const char    *cond)
{
  g_autofree char *sql = g_strdup_printf ("SELECT COALESCE (SUM (%s), 0) FROM entries e WHERE e.branch = '%s' "
                                          "AND e.business_date = '%s' AND %s",
                                          expr, b->store->branch_code, date, cond);

  return mdn_test_count (b, sql);
}

#define SALES "e.kind IN ('sale', 'sale.quick', 'timed.stop')"
#define ALL "1"

/* The branch's day end and the server's rollup of @date at terminal @t. */
static void
compare_day (World      *w,
             int         t,
             const char *date,
             MdnFigures *branch_total,
             MdnFigures *server_total)
{
  MdnTestBranch *b = w->b[t];
  g_autoptr(JsonObject) shift = mdn_test_ok (b->admin, "{\"op\":\"report.shift\",\"date\":\"%s\"}", date);
  g_autofree char *path = g_strdup_printf ("/api/v1/reports/summary?from=%s&to=%s&branch=%s", date, date,
                                           b->store->branch_code);
  g_autoptr(JsonObject) summary = NULL;
  JsonArray *branches;
  MdnFigures mine, theirs;
  guint n;
  const MdnFigureField *fields = mdn_figures_fields (&n);

  g_assert_cmpuint (mdn_test_http (w->s, "GET", path, w->s->hq_token, NULL, 0, &summary), ==, 200);
  branches = json_object_get_array_member (summary, "branches");
  g_assert_cmpuint (json_array_get_length (branches), ==, 1);
  mine = figures_from_json (json_object_get_object_member (shift, "figures"), FALSE);
  theirs = figures_from_json (json_array_get_object_element (branches, 0), TRUE);
  for (guint i = 0; i < n; i++)
    if (!fields[i].chain && mdn_figures_get (&mine, &fields[i]) != mdn_figures_get (&theirs, &fields[i]))
      g_error ("%s on %s: %s is %" G_GINT64_FORMAT " at the branch, %" G_GINT64_FORMAT " at the server",
               b->store->branch_code, date, fields[i].name, mdn_figures_get (&mine, &fields[i]),
               mdn_figures_get (&theirs, &fields[i]));
  mdn_figures_add (branch_total, &mine);
  mdn_figures_add (server_total, &theirs);

  /* The day end's own lines are the same figures. */
  g_assert_cmpint (mdn_test_int (shift, "entries"), ==, mine.counted_entries);
  g_assert_cmpint (mdn_test_int (shift, "net_fen"), ==, mine.net_fen);

  /* And the figures are what the ledger says, summed another way. */
  g_assert_cmpint (mine.entries, ==, ledger_sum (b, date, "1", ALL));
  g_assert_cmpint (mine.sales_fen, ==, ledger_sum (b, date, "json_extract (e.body, '$.total_fen')", SALES));
  g_assert_cmpint (mine.discount_fen, ==, ledger_sum (b, date, "json_extract (e.body, '$.discount_fen')", SALES));
  g_assert_cmpint (mine.refund_fen, ==, ledger_sum (b, date, "json_extract (e.body, '$.refund_fen')", "e.kind = 'sale.return'"));
  g_assert_cmpint (mine.deposit_principal_fen, ==,
                   ledger_sum (b, date, "json_extract (e.body, '$.amount_fen')", "e.kind = 'member.deposit'"));
  g_assert_cmpint (mine.deposit_bonus_fen, ==,
                   ledger_sum (b, date, "json_extract (e.body, '$.bonus_fen')", "e.kind = 'member.deposit'"));
  g_assert_cmpint (mine.withdraw_fen, ==,
                   ledger_sum (b, date, "json_extract (e.body, '$.amount_fen')", "e.kind = 'member.withdraw'"));
  g_assert_cmpint (mine.members_issued, ==, ledger_sum (b, date, "1", "e.kind = 'member.issue'"));
  g_assert_cmpint (mine.written_off_fen, ==,
                   ledger_sum (b, date, "json_extract (e.body, '$.written_off_fen')", "e.kind = 'exception.write_off'"));
  g_assert_cmpint (mine.tenders[MDN_TENDER_CASH].amount_fen, ==,
                   ledger_sum (b, date, "(SELECT SUM (json_extract (t.value, '$.amount_fen')) FROM json_each "
                                        "(e.body, '$.tenders') t WHERE json_extract (t.value, '$.type') = 'cash') "
                                        "* (CASE e.kind WHEN 'sale.return' THEN -1 ELSE 1 END)",
                               "e.kind IN ('sale', 'sale.quick', 'timed.stop', 'sale.return')") +
                   ledger_sum (b, date, "json_extract (e.body, '$.amount_fen') "
                                        "* (CASE e.kind WHEN 'member.withdraw' THEN -1 ELSE 1 END)",
                               "e.kind IN ('member.deposit', 'member.withdraw') "
                               "AND json_extract (e.body, '$.tender') = 'cash'"));
  g_assert_cmpint (mine.stock_sold_qty - mine.stock_returned_qty, ==,
                   -ledger_sum (b, date, "(SELECT SUM (delta) FROM movements m WHERE m.entry_id = e.id "
                                         "AND m.account = 'stock')", ALL));
  g_assert_cmpint (mine.package_uses_consumed, ==,
                   ledger_sum (b, date, "json_extract (e.body, '$.count')", "e.kind = 'package.consume'"));
  g_assert_cmpint (mine.principal_delta_fen + mine.bonus_delta_fen, ==,
                   ledger_sum (b, date, "(SELECT SUM (delta) FROM movements m WHERE m.entry_id = e.id "
                                        "AND m.account IN ('principal', 'bonus'))", ALL));
}

static void
differential (guint32  seed,
              gboolean chosen)
{
  static const char *const codes[N_TERMINALS] = { "HQ", "B01", "B02" };
  const char *master[] = {
    "{\"op\":\"level.upsert\",\"code\":\"normal\",\"name\":\"Normal\",\"price_percent\":100,"
    "\"points_per_yuan\":1,\"offline_limit\":\"80.00\"}",
    "{\"op\":\"level.upsert\",\"code\":\"gold\",\"name\":\"Gold\",\"price_percent\":88,"
    "\"points_per_yuan\":2,\"offline_limit\":\"150.00\"}",
    "{\"op\":\"deposit_rule.upsert\",\"min_fen\":10000,\"bonus_fen\":1500}",
    "{\"op\":\"deposit_rule.upsert\",\"min_fen\":20000,\"bonus_fen\":4000}",
    "{\"op\":\"product.upsert\",\"sku\":\"TEA\",\"name\":\"Tea\",\"kind\":\"goods\",\"price_fen\":1250}",
    "{\"op\":\"product.upsert\",\"sku\":\"COLA\",\"name\":\"Cola\",\"kind\":\"goods\",\"price_fen\":300}",
    "{\"op\":\"product.upsert\",\"sku\":\"BAG\",\"name\":\"Bag\",\"kind\":\"goods\",\"price_fen\":50,"
    "\"no_discount\":true}",
    "{\"op\":\"product.upsert\",\"sku\":\"CUT\",\"name\":\"Cut\",\"kind\":\"service\",\"price_fen\":3000}",
    "{\"op\":\"product.upsert\",\"sku\":\"WASH\",\"name\":\"Wash\",\"kind\":\"service\",\"price_fen\":1500,"
    "\"no_discount\":true}",
    "{\"op\":\"product.upsert\",\"sku\":\"CUT10\",\"name\":\"Cut x10\",\"kind\":\"package\",\"price_fen\":25000,"
    "\"package_sku\":\"CUT\",\"package_count\":10,\"package_days\":60}",
    "{\"op\":\"product.upsert\",\"sku\":\"WASH5\",\"name\":\"Wash x5\",\"kind\":\"package\",\"price_fen\":6000,"
    "\"package_sku\":\"WASH\",\"package_count\":5}",
    "{\"op\":\"plan.upsert\",\"code\":\"BIL\",\"name\":\"Billiards\",\"unit_minutes\":30,\"unit_price_fen\":1500,"
    "\"free_minutes\":5,\"min_minutes\":60,\"cap_fen\":10000}",
    "{\"op\":\"plan.upsert\",\"code\":\"HOUR\",\"name\":\"Room\",\"unit_minutes\":60,\"unit_price_fen\":2000}",
  };
  World w = { 0 };
  MdnFigures branch_total = { 0 }, server_total = { 0 };
  g_autofree char *last_day = NULL;
  g_autofree char *overdrawn = NULL;
  g_autofree char *over_refunded = NULL;

  g_test_message ("seed %u", seed);
  w.rand = g_rand_new_with_seed (seed);
  w.now = g_date_time_new_from_iso8601 (FIRST_DAY "T09:00:00+08:00", NULL);
  mdn_test_set_now (FIRST_DAY "T09:00:00+08:00");
  w.s = mdn_test_server_new ("figures", NULL);
  w.up = TRUE;
  for (int i = 0; i < N_TERMINALS; i++)
    {
      w.b[i] = mdn_test_server_branch_new (w.s, codes[i], i, i == 0);
      w.cashier[i] = mdn_test_staff (w.b[i], "c01", "cashier");
      w.manager[i] = mdn_test_staff (w.b[i], "m01", "manager");
    }
  for (guint i = 0; i < G_N_ELEMENTS (master); i++)
    json_object_unref (mdn_test_ok (w.b[0]->admin, "%s", master[i]));
  sync_all (&w);
  /* Tables and rooms are each branch's own, on the chain's plans. */
  for (int i = 0; i < N_TERMINALS; i++)
    {
      json_object_unref (mdn_test_ok (w.b[i]->admin, "{\"op\":\"resource.upsert\",\"code\":\"T1\",\"name\":\"T1\","
                                                     "\"plan\":\"BIL\"}"));
      json_object_unref (mdn_test_ok (w.b[i]->admin, "{\"op\":\"resource.upsert\",\"code\":\"R1\",\"name\":\"R1\","
                                                     "\"plan\":\"HOUR\"}"));
    }
  sync_all (&w);

  /* Online, offline, online …: offline rounds make overdrafts and
     over-refunds the server finds when they arrive. */
  for (int round = 0; round < 8; round++)
    {
      gboolean offline = round % 2 == 1;

      if (offline && w.up)
        {
          mdn_test_server_stop (w.s, rnd (&w, 0, 1) ? SIGKILL : SIGTERM);
          w.up = FALSE;
        }
      else if (!offline && !w.up)
        {
          mdn_test_server_start (w.s, NULL);
          for (int i = 0; i < N_TERMINALS; i++)
            mdn_test_server_link (w.s, w.b[i]);
          w.up = TRUE;
          sync_all (&w);
        }
      for (int k = 0; k < 50; k++)
        world_step (&w);
    }
  if (!w.up)
    {
      mdn_test_server_start (w.s, NULL);
      for (int i = 0; i < N_TERMINALS; i++)
        mdn_test_server_link (w.s, w.b[i]);
    }
  sync_all (&w);

  /* Head office writes off what the chain is owed: cards below zero and
     sales refunded beyond their total. */
  overdrawn = pick (&w, w.b[0], "SELECT group_concat (card_no, ' ') FROM members WHERE principal_fen + bonus_fen < 0 "
                                "OR points < 0");
  over_refunded = pick (&w, w.b[0], "SELECT group_concat (receipt_no, ' ') FROM receipts r WHERE total_fen < "
                                    "(SELECT SUM (refund_fen) FROM sale_returns s WHERE s.sale_entry = r.entry_id)");
  {
    g_auto(GStrv) cards = g_strsplit (overdrawn ? overdrawn : "", " ", -1);
    g_auto(GStrv) receipts = g_strsplit (over_refunded ? over_refunded : "", " ", -1);

    for (guint i = 0; cards[i] && *cards[i]; i++)
      json_object_unref (mdn_test_ok (w.manager[0], "{\"op\":\"exception.write_off\",\"card\":\"%s\","
                                                    "\"reason\":\"核销\"}", cards[i]));
    for (guint i = 0; receipts[i] && *receipts[i]; i++)
      json_object_unref (mdn_test_ok (w.manager[0], "{\"op\":\"exception.write_off\",\"sale\":\"%s\","
                                                    "\"reason\":\"核销\"}", receipts[i]));
    g_test_message ("%u operations, %u done; %s written off; %s over-refunded, written off", w.ops, w.done,
                    overdrawn ? overdrawn : "no card", over_refunded ? over_refunded : "no sale");
  }
  sync_all (&w);

  /* Every terminal's every day, and the whole period. */
  last_day = g_date_time_format (w.now, "%Y-%m-%d");
  for (int t = 0; t < N_TERMINALS; t++)
    {
      g_autoptr(GDateTime) day = g_date_time_new_from_iso8601 (FIRST_DAY "T12:00:00+08:00", NULL);
      MdnFigures mine = { 0 }, theirs = { 0 };
      g_autoptr(JsonObject) summary = NULL;
      g_autofree char *path = g_strdup_printf ("/api/v1/reports/summary?from=%s&to=%s&branch=%s", FIRST_DAY,
                                               last_day, w.b[t]->store->branch_code);
      MdnFigures period;

      for (;;)
        {
          g_autofree char *date = g_date_time_format (day, "%Y-%m-%d");
          GDateTime *next;

          compare_day (&w, t, date, &mine, &theirs);
          if (strcmp (date, last_day) >= 0)
            break;
          next = g_date_time_add_days (day, 1);
          g_date_time_unref (day);
          day = next;
        }
      g_assert_cmpuint (mdn_test_http (w.s, "GET", path, w.s->hq_token, NULL, 0, &summary), ==, 200);
      period = figures_from_json (json_array_get_object_element (json_object_get_array_member (summary, "branches"), 0),
                                  TRUE);
      assert_same_figures (&period, &theirs);
      theirs.over_refund_fen = 0;
      assert_same_figures (&mine, &theirs);
      mdn_figures_add (&branch_total, &mine);
      mdn_figures_add (&server_total, &period);
      {
        g_autofree char *sql = g_strdup_printf ("SELECT max (seq) FROM entries WHERE branch = '%s'",
                                                w.b[t]->store->branch_code);

        g_assert_cmpint (mine.entries, ==, mdn_test_count (w.b[t], sql));
      }
    }
  {
    /* The chain: the sum of the branches; its over-refunds are the
       exceptions the server opened, and head office wrote them off. */
    g_autoptr(JsonObject) summary = NULL;
    g_autofree char *path = g_strdup_printf ("/api/v1/reports/summary?from=%s&to=%s", FIRST_DAY, last_day);
    MdnFigures chain;

    g_assert_cmpuint (mdn_test_http (w.s, "GET", path, w.s->hq_token, NULL, 0, &summary), ==, 200);
    chain = figures_from_json (json_object_get_object_member (summary, "chain"), TRUE);
    assert_same_figures (&chain, &server_total);
    g_assert_cmpint (chain.over_refund_fen, ==,
                     mdn_test_server_count (w.s, "SELECT COALESCE (SUM (amount), 0) FROM srv_exceptions "
                                                 "WHERE kind = 'over_refund'"));
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (summary, "chain"), "liability_fen"), ==,
                     mdn_test_server_count (w.s, "SELECT COALESCE (SUM (principal_fen + bonus_fen), 0) FROM members"));
    /* Each branch's running liability (the summary's, kept by a trigger on
       the rollups) is the sum of its days, as the migration fills it. */
    g_assert_cmpint (mdn_test_server_count (w.s, "SELECT count (*) FROM srv_branch_balance b WHERE "
                                                 "b.principal_fen <> (SELECT SUM (r.principal_delta_fen) FROM srv_rollup_day r "
                                                 "  WHERE r.branch = b.branch) OR b.bonus_fen <> (SELECT "
                                                 "  SUM (r.bonus_delta_fen) FROM srv_rollup_day r WHERE r.branch = b.branch)"),
                     ==, 0);
    g_assert_cmpint (mdn_test_server_count (w.s, "SELECT count (DISTINCT branch) FROM srv_rollup_day"), ==,
                     mdn_test_server_count (w.s, "SELECT count (*) FROM srv_branch_balance"));
    /* PostgreSQL: the balance after each deposit, kept on apply with the
       push's held-back writes (srv_deposit_balances), is what the ledger
       sums to. */
    if (mdn_test_backend_pg ())
      {
        g_assert_cmpint (mdn_test_server_count (w.s, "SELECT count (*) FROM srv_deposit_balances"), >, 0);
        g_assert_cmpint (mdn_test_pg_deposits_drift (w.s), ==, 0);
      }
    g_test_message ("chain: %" G_GINT64_FORMAT " entries, sales %" G_GINT64_FORMAT ", refunds %" G_GINT64_FORMAT
                    ", over-refunds %" G_GINT64_FORMAT ", written off %" G_GINT64_FORMAT ", net %" G_GINT64_FORMAT,
                    chain.entries, chain.sales_fen, chain.refund_fen, chain.over_refund_fen, chain.written_off_fen,
                    chain.net_fen);
    /* The run did exercise what it is meant to. */
    g_assert_cmpint (chain.sales_fen, >, 0);
    g_assert_cmpint (chain.refund_fen, >, 0);
    g_assert_cmpint (chain.deposit_bonus_fen, >, 0);
    g_assert_cmpint (chain.withdraw_fen, >, 0);
    g_assert_cmpint (chain.package_uses_consumed, >, 0);
    g_assert_cmpint (chain.points_redeemed, >, 0);
    g_assert_cmpint (chain.tenders[MDN_TENDER_BALANCE].count, >, 0);
    if (chosen)
      {
        g_assert_cmpint (chain.over_refund_fen, >, 0);
        g_assert_cmpint (chain.written_off_fen, >, chain.over_refund_fen);
      }
  }

  for (int i = 0; i < N_TERMINALS; i++)
    {
      g_assert_cmpuint (mdn_test_verify (w.b[i]), ==, 0);
      g_clear_pointer (&w.cashier[i], mdn_op_ctx_free);
      g_clear_pointer (&w.manager[i], mdn_op_ctx_free);
      g_clear_pointer (&w.b[i], mdn_test_branch_free);
    }
  g_clear_pointer (&w.s, mdn_test_server_free);
  g_date_time_unref (w.now);
  g_rand_free (w.rand);
  mdn_test_set_now (NULL);
}

static void
test_differential (gconstpointer data)
{
  const char *seed_env = g_getenv ("MENDIAN_TEST_SEED");

  differential (seed_env ? (guint32) g_ascii_strtoull (seed_env, NULL, 10) : GPOINTER_TO_UINT (data), seed_env == NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/figures/kinds", test_kinds);
  g_test_add_func ("/figures/write-off", test_write_off);
  g_test_add_func ("/figures/lenient", test_lenient);
  g_test_add_func ("/figures/overflow", test_overflow);
  g_test_add_func ("/figures/over-refund", test_over_refund);
  g_test_add_data_func ("/figures/differential/1", GUINT_TO_POINTER (20261120), test_differential);
  g_test_add_data_func ("/figures/differential/2", GUINT_TO_POINTER (1), test_differential);
  g_test_add_data_func ("/figures/differential/3", GUINT_TO_POINTER (9), test_differential);
  return g_test_run ();
}
