/* test-report.c: the reports (common/reports/mdn-report.h) on a scripted
 * ledger whose figures are worked out by hand below, at the branch
 * (report.run) and at the real mendian-server after sync
 * (GET /api/v1/reports/NAME), which must agree row by row; the Excel file
 * read back (python3's zipfile and the sheet XML), the CSV decoded as
 * UTF-8 with its BOM, and the settlement between two branches (a card
 * topped up at B01 and spent at B02).
 *
 * The ledger, business date 2026-11-22, every amount in fen:
 *   HQ      master data: deposit 100.00 or more gives 15.00 bonus; TEA 12.50
 *           (goods, 饮品/茶), CUT 30.00 (service), CUT10 250.00 (10 × CUT),
 *           plan BIL 15.00 per 30 minutes
 *   B01     card A issued with a 200.00 cash deposit (+15.00 bonus)
 *           sale 0001: TEA × 3 = 37.50, CUT × 1 = 30.00 → 67.50, paid
 *             50.00 from the balance (principal first) + 17.50 cash; 67 points
 *           sale 0002: CUT10 × 1 = 250.00 by Alipay; 250 points, 10 uses
 *           package use: CUT × 2 (8 left)
 *           return 0003 of 0001: TEA × 1 = 12.50 back to the balance
 *             (principal), points back floor (67 × 1250 / 6750) = 12
 *           points: redeem 10 (杯子), adjust −5 (纠正)
 *           timed: T1 from 11:00 to 12:00 = 2 units = 30.00 by WeChat; 30 points
 *   B02     sale 0001: TEA × 2 = 25.00 from A's balance; 25 points
 *   commission rules (HQ): CUT lines 10 % of what was paid; lines of
 *           饮品 5 %; a deposit 5.00. Technician t01 cut the hair of sale
 *           0001: 3.00; the cashier m01 earns 5 % of 37.50 = 1.875 → 1.88
 *           for the tea and 5.00 for the deposit; the return of one tea in
 *           three takes back 1.88 × 1 / 3 = 0.627 → 0.63; m02 at B02 earns
 *           5 % of 25.00 = 1.25
 */
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "mdn-json.h"
#include "mdn-error.h"
#include "mdn-reports.h"
#include "mdn-sync-reports.h"
#include "mdn-test-pg.h"
#include "mdn-test-server.h"

#define DAY "2026-11-22"

typedef struct
{
  MdnTestServer *s;
  MdnTestBranch *hq, *b1, *b2;
  MdnOpCtx      *m1, *m2;
  char          *card;
} World;

static void
world_free (World *w)
{
  g_clear_pointer (&w->m1, mdn_op_ctx_free);
  g_clear_pointer (&w->m2, mdn_op_ctx_free);
  g_clear_pointer (&w->b1, mdn_test_branch_free);
  g_clear_pointer (&w->b2, mdn_test_branch_free);
  g_clear_pointer (&w->hq, mdn_test_branch_free);
  g_clear_pointer (&w->s, mdn_test_server_free);
  g_clear_pointer (&w->card, g_free);
}

static void
ok (MdnOpCtx   *ctx,
    const char *json)
{
  json_object_unref (mdn_test_ok (ctx, "%s", json));
}

static void
world_init (World *w)
{
  static const char *const master[] = {
    "{\"op\":\"deposit_rule.upsert\",\"min_fen\":10000,\"bonus_fen\":1500}",
    "{\"op\":\"product.upsert\",\"sku\":\"TEA\",\"name\":\"绿茶\",\"price_fen\":1250,\"kind\":\"goods\",\"category\":\"饮品/茶\"}",
    "{\"op\":\"product.upsert\",\"sku\":\"CUT\",\"name\":\"理发\",\"price_fen\":3000,\"kind\":\"service\"}",
    "{\"op\":\"product.upsert\",\"sku\":\"CUT10\",\"name\":\"理发10次卡\",\"price_fen\":25000,\"kind\":\"package\","
    "\"package_sku\":\"CUT\",\"package_count\":10}",
    "{\"op\":\"plan.upsert\",\"code\":\"BIL\",\"name\":\"台球\",\"unit_minutes\":30,\"unit_price_fen\":1500}",
    "{\"op\":\"commission_rule.upsert\",\"code\":\"R-CUT\",\"name\":\"理发提成\",\"applies_to\":{\"kind\":"
    "\"sale_line\",\"sku\":\"CUT\"},\"base\":\"paid\",\"percent_bp\":1000}",
    "{\"op\":\"commission_rule.upsert\",\"code\":\"R-DRINK\",\"name\":\"饮品提成\",\"applies_to\":{\"kind\":"
    "\"sale_line\",\"category\":\"饮品\"},\"base\":\"paid\",\"percent_bp\":500}",
    "{\"op\":\"commission_rule.upsert\",\"code\":\"R-DEP\",\"name\":\"充值提成\",\"applies_to\":{\"kind\":"
    "\"deposit\"},\"fixed\":\"5.00\"}",
  };
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(JsonObject) t = NULL;
  g_autofree char *stop = NULL;

  mdn_test_set_now (DAY "T09:00:00+08:00");
  w->s = mdn_test_server_new ("report", NULL);
  w->hq = mdn_test_server_branch_new (w->s, "HQ", 0, TRUE);
  w->b1 = mdn_test_server_branch_new (w->s, "B01", 1, FALSE);
  w->b2 = mdn_test_server_branch_new (w->s, "B02", 2, FALSE);
  for (guint i = 0; i < G_N_ELEMENTS (master); i++)
    ok (w->hq->admin, master[i]);
  mdn_test_sync_ok (w->hq);
  mdn_test_sync_ok (w->b1);
  mdn_test_sync_ok (w->b2);
  w->m1 = mdn_test_staff (w->b1, "m01", "manager");
  mdn_op_ctx_free (mdn_test_staff (w->b1, "t01", "cashier"));
  w->m2 = mdn_test_staff (w->b2, "m02", "manager");
  ok (w->b1->admin, "{\"op\":\"resource.upsert\",\"code\":\"T1\",\"name\":\"1号台\",\"plan\":\"BIL\"}");

  mdn_test_set_now (DAY "T10:00:00+08:00");
  r = mdn_test_ok (w->m1, "{\"op\":\"member.issue\",\"name\":\"张三\",\"phone\":\"13800000001\",\"level\":\"normal\","
                          "\"deposit_fen\":20000,\"tender\":\"cash\"}");
  w->card = g_strdup (mdn_test_str (r, "card_no"));
  mdn_test_set_now (DAY "T11:00:00+08:00");
  json_object_unref (mdn_test_ok (w->m1, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"TEA\",\"qty\":3},"
                                         "{\"sku\":\"CUT\",\"qty\":1,\"staff\":\"t01\"}],\"tenders\":[{\"type\":\"balance\","
                                         "\"amount_fen\":5000},{\"type\":\"cash\",\"amount_fen\":1750}]}", w->card));
  json_object_unref (mdn_test_ok (w->m1, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"CUT10\"}],"
                                         "\"tenders\":[{\"type\":\"alipay\",\"amount_fen\":25000}]}", w->card));
  json_object_unref (mdn_test_ok (w->m1, "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"CUT\",\"count\":2}",
                                  w->card));
  ok (w->m1, "{\"op\":\"sale.return\",\"receipt_no\":\"B01-20261122-0001\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1}]}");
  json_object_unref (mdn_test_ok (w->m1, "{\"op\":\"points.redeem\",\"card\":\"%s\",\"points\":10,\"gift\":\"杯子\"}",
                                  w->card));
  json_object_unref (mdn_test_ok (w->m1, "{\"op\":\"points.adjust\",\"card\":\"%s\",\"delta\":-5,\"reason\":\"纠正\"}",
                                  w->card));
  t = mdn_test_ok (w->m1, "{\"op\":\"timed.start\",\"resource\":\"T1\",\"card\":\"%s\"}", w->card);
  mdn_test_set_now (DAY "T12:00:00+08:00");
  json_object_unref (mdn_test_ok (w->m1, "{\"op\":\"timed.stop\",\"session_id\":\"%s\",\"tenders\":[{\"type\":"
                                         "\"wechat\",\"amount_fen\":3000}]}", mdn_test_str (t, "session_id")));
  mdn_test_sync_ok (w->b1);
  mdn_test_sync_ok (w->b2);
  mdn_test_set_now (DAY "T13:00:00+08:00");
  json_object_unref (mdn_test_ok (w->m2, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"TEA\",\"qty\":2}],"
                                         "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":2500}]}", w->card));
  mdn_test_sync_ok (w->b2);
  mdn_test_sync_ok (w->b1);
  mdn_test_sync_ok (w->hq);
}

/* Reports ---------------------------------------------------------------------------- */

static JsonObject *
at_branch (MdnOpCtx   *ctx,
           const char *name)
{
  return mdn_test_ok (ctx, "{\"op\":\"report.run\",\"name\":\"%s\",\"from\":\"" DAY "\",\"to\":\"" DAY "\"}", name);
}

static GBytes *
http_get (World      *w,
          const char *path,
          guint      *status,
          char      **content_type)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (w->s->url, path + 1, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autofree char *auth = g_strconcat ("Bearer ", w->s->hq_token, NULL);
  g_autoptr(GError) error = NULL;
  GBytes *reply;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  reply = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  *status = soup_message_get_status (msg);
  if (content_type)
    *content_type = g_strdup (soup_message_headers_get_content_type (soup_message_get_response_headers (msg), NULL));
  return reply;
}

static JsonObject *
at_server (World      *w,
           const char *name,
           const char *branch)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/reports/%s?format=json&from=" DAY "&to=" DAY "%s%s", name,
                                           branch ? "&branch=" : "", branch ? branch : "");
  guint status;
  g_autoptr(GBytes) body = http_get (w, path, &status, NULL);
  g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_autoptr(GError) error = NULL;
  JsonObject *o;

  g_assert_cmpuint (status, ==, 200);
  o = mdn_json_parse_object (text, &error);
  g_assert_no_error (error);
  return o;
}

static char *
member_text (JsonObject *o,
             const char *member)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();

  if (!json_object_has_member (o, member))
    g_error ("no %s in %s", member, mdn_json_object_to_string (o));
  json_generator_set_root (gen, json_object_get_member (o, member));
  return json_generator_to_data (gen, NULL);
}

static JsonObject *
row (JsonObject *report,
     guint       i)
{
  JsonArray *rows = json_object_get_array_member (report, "rows");

  g_assert_cmpuint (i, <, json_array_get_length (rows));
  return json_array_get_object_element (rows, i);
}

static guint
n_rows (JsonObject *report)
{
  return json_array_get_length (json_object_get_array_member (report, "rows"));
}

static gint64
total (JsonObject *report,
       const char *key)
{
  return mdn_test_int (json_object_get_object_member (report, "totals"), key);
}

/* The row whose @key is @value. */
static JsonObject *
row_where (JsonObject *report,
           const char *key,
           const char *value)
{
  for (guint i = 0; i < n_rows (report); i++)
    if (g_strcmp0 (json_object_get_string_member_with_default (row (report, i), key, NULL), value) == 0)
      return row (report, i);
  g_error ("no row with %s = %s", key, value);
  return NULL;
}

/* Every report, at B01 and at the server for B01, row for row. */
static void
test_agree (World *w)
{
  const MdnReportDef *const *all = mdn_reports ();

  for (guint i = 0; all[i]; i++)
    {
      g_autoptr(JsonObject) here = at_branch (w->m1, all[i]->name);
      g_autoptr(JsonObject) there = at_server (w, all[i]->name, "B01");
      g_autofree char *a = member_text (here, "rows"), *b = member_text (there, "rows");
      g_autofree char *ta = member_text (here, "totals"), *tb = member_text (there, "totals");
      g_autofree char *ca = member_text (here, "columns"), *cb = member_text (there, "columns");

      g_test_message ("%s: %s", all[i]->name, a);
      g_assert_cmpstr (ca, ==, cb);
      if (g_str_equal (all[i]->name, "members") || g_str_equal (all[i]->name, "products"))
        continue;   /* what each database knows of the whole chain: below */
      g_assert_cmpstr (a, ==, b);
      g_assert_cmpstr (ta, ==, tb);
    }
}

static void
test_figures (World *w)
{
  g_autoptr(JsonObject) income = at_branch (w->m1, "income");
  g_autoptr(JsonObject) deposits = at_branch (w->m1, "deposits");
  g_autoptr(JsonObject) consumption = at_branch (w->m1, "consumption");
  g_autoptr(JsonObject) products = at_branch (w->m1, "product_sales");
  g_autoptr(JsonObject) returns = at_branch (w->m1, "returns");
  g_autoptr(JsonObject) uses = at_branch (w->m1, "package_uses");
  g_autoptr(JsonObject) packages = at_branch (w->m1, "package_sales");
  g_autoptr(JsonObject) redeemed = at_branch (w->m1, "points_redeemed");
  g_autoptr(JsonObject) adjusted = at_branch (w->m1, "points_adjusted");
  g_autoptr(JsonObject) stock = at_branch (w->m1, "stock_moves");
  g_autoptr(JsonObject) timed = at_branch (w->m1, "timed");
  g_autoptr(JsonObject) summary = at_branch (w->m1, "summary");
  g_autoptr(JsonObject) liability = at_branch (w->m1, "liability");
  g_autoptr(JsonObject) members = at_branch (w->m1, "members");
  JsonObject *r;

  /* income: deposit 200.00 cash; 50.00 balance + 17.50 cash; 250.00
     Alipay; −12.50 back to the balance; 30.00 WeChat. */
  g_assert_cmpuint (n_rows (income), ==, 6);
  g_assert_cmpint (total (income, "amount_fen"), ==, 20000 + 5000 + 1750 + 25000 - 1250 + 3000);
  g_assert_cmpint (mdn_test_int (row (income, 0), "amount_fen"), ==, 20000);
  g_assert_cmpint (mdn_test_int (row (income, 2), "amount_fen"), ==, 1750);
  g_assert_cmpint (mdn_test_int (row (income, 2), "running_fen"), ==, 21750);   /* cash so far */
  g_assert_cmpint (mdn_test_int (row (income, 4), "amount_fen"), ==, -1250);
  g_assert_cmpint (mdn_test_int (row (income, 4), "running_fen"), ==, 3750);    /* balance: 50.00 − 12.50 */
  g_assert_cmpstr (mdn_test_str (row (income, 4), "receipt_no"), ==, "B01-20261122-0003");
  g_assert_cmpstr (mdn_test_str (row (income, 0), "member"), ==, "张三");

  /* deposits: 200.00 + 15.00 bonus, 215.00 on the card after it. */
  g_assert_cmpuint (n_rows (deposits), ==, 1);
  r = row (deposits, 0);
  g_assert_cmpint (mdn_test_int (r, "principal_fen"), ==, 20000);
  g_assert_cmpint (mdn_test_int (r, "bonus_fen"), ==, 1500);
  g_assert_cmpint (mdn_test_int (r, "balance_after_fen"), ==, 21500);
  g_assert_cmpstr (mdn_test_str (r, "card_no"), ==, w->card);
  g_assert_cmpstr (mdn_test_str (r, "staff"), ==, "m01");

  /* consumption: TEA 3, CUT 1, CUT10 1, the 60 minutes at T1. */
  g_assert_cmpuint (n_rows (consumption), ==, 4);
  g_assert_cmpint (total (consumption, "qty"), ==, 3 + 1 + 1 + 60);
  g_assert_cmpint (total (consumption, "paid_fen"), ==, 3750 + 3000 + 25000 + 3000);
  g_assert_cmpint (total (consumption, "discount_fen"), ==, 0);
  g_assert_cmpstr (mdn_test_str (row (consumption, 2), "kind"), ==, "Package");
  g_assert_cmpstr (mdn_test_str (row (consumption, 0), "category"), ==, "饮品/茶");

  /* product_sales: TEA 3 sold, 1 returned, 37.50 − 12.50 = 25.00 net. */
  r = row_where (products, "sku", "TEA");
  g_assert_cmpint (mdn_test_int (r, "qty_sold"), ==, 3);
  g_assert_cmpint (mdn_test_int (r, "qty_returned"), ==, 1);
  g_assert_cmpint (mdn_test_int (r, "qty_net"), ==, 2);
  g_assert_cmpint (mdn_test_int (r, "sold_fen"), ==, 3750);
  g_assert_cmpint (mdn_test_int (r, "refund_fen"), ==, 1250);
  g_assert_cmpint (mdn_test_int (r, "net_fen"), ==, 2500);
  g_assert_cmpint (total (products, "net_fen"), ==, 2500 + 3000 + 25000);

  g_assert_cmpuint (n_rows (returns), ==, 1);
  r = row (returns, 0);
  g_assert_cmpint (mdn_test_int (r, "refund_fen"), ==, 1250);
  g_assert_cmpint (mdn_test_int (r, "principal_fen"), ==, 1250);
  g_assert_cmpint (mdn_test_int (r, "bonus_fen"), ==, 0);
  g_assert_cmpint (mdn_test_int (r, "points_taken"), ==, 67 * 1250 / 6750);
  g_assert_cmpstr (mdn_test_str (r, "sale_receipt_no"), ==, "B01-20261122-0001");

  g_assert_cmpuint (n_rows (packages), ==, 1);
  g_assert_cmpint (mdn_test_int (row (packages, 0), "uses"), ==, 10);
  g_assert_cmpint (total (packages, "paid_fen"), ==, 25000);
  g_assert_cmpuint (n_rows (uses), ==, 1);
  g_assert_cmpint (mdn_test_int (row (uses, 0), "uses"), ==, 2);
  g_assert_cmpint (mdn_test_int (row (uses, 0), "remaining"), ==, 8);

  g_assert_cmpint (total (redeemed, "points"), ==, 10);
  g_assert_cmpstr (mdn_test_str (row (redeemed, 0), "gift"), ==, "杯子");
  g_assert_cmpint (total (adjusted, "points"), ==, -5);

  /* stock: 3 TEA out with sale 0001, 1 back with return 0003. */
  g_assert_cmpuint (n_rows (stock), ==, 2);
  g_assert_cmpint (total (stock, "qty_out"), ==, 3);
  g_assert_cmpint (total (stock, "qty_in"), ==, 1);

  g_assert_cmpuint (n_rows (timed), ==, 1);
  g_assert_cmpint (mdn_test_int (row (timed, 0), "minutes"), ==, 60);
  g_assert_cmpint (mdn_test_int (row (timed, 0), "paid_fen"), ==, 3000);

  /* summary: sales 67.50 + 250.00 + 30.00; money taken: cash 217.50,
     Alipay 250.00, WeChat 30.00 (the balance is not money taken). */
  g_assert_cmpuint (n_rows (summary), ==, 1);
  r = row (summary, 0);
  g_assert_cmpint (mdn_test_int (r, "sales_fen"), ==, 6750 + 25000 + 3000);
  g_assert_cmpint (mdn_test_int (r, "refund_fen"), ==, 1250);
  g_assert_cmpint (mdn_test_int (r, "deposit_principal_fen"), ==, 20000);
  g_assert_cmpint (mdn_test_int (r, "deposit_bonus_fen"), ==, 1500);
  g_assert_cmpint (mdn_test_int (r, "members_issued"), ==, 1);
  g_assert_cmpint (mdn_test_int (r, "tender_cash_fen"), ==, 21750);
  g_assert_cmpint (mdn_test_int (r, "tender_balance_fen"), ==, 5000 - 1250);
  g_assert_cmpint (mdn_test_int (r, "net_fen"), ==, 21750 + 25000 + 3000);

  /* liability at B01: 200.00 in, 50.00 spent, 12.50 back = 162.50. */
  r = row_where (liability, "branch", "B01");
  g_assert_cmpint (mdn_test_int (r, "opening_principal_fen"), ==, 0);
  g_assert_cmpint (mdn_test_int (r, "principal_spent_fen"), ==, 5000);
  g_assert_cmpint (mdn_test_int (r, "principal_refunded_fen"), ==, 1250);
  g_assert_cmpint (mdn_test_int (r, "principal_corrections_fen"), ==, 0);
  g_assert_cmpint (mdn_test_int (r, "closing_principal_fen"), ==, 16250);
  g_assert_cmpint (mdn_test_int (r, "closing_bonus_fen"), ==, 1500);

  /* The card after B02's sale too: 200.00 − 50.00 + 12.50 − 25.00;
     points 67 + 250 − 12 − 10 − 5 + 30 + 25. */
  r = row_where (members, "card_no", w->card);
  g_assert_cmpint (mdn_test_int (r, "principal_fen"), ==, 13750);
  g_assert_cmpint (mdn_test_int (r, "bonus_fen"), ==, 1500);
  g_assert_cmpint (mdn_test_int (r, "points"), ==, 67 + 250 - 12 - 10 - 5 + 30 + 25);
  g_assert_cmpint (mdn_test_int (r, "package_uses"), ==, 8);
  g_assert_cmpint (mdn_test_int (r, "spent_fen"), ==, 6750 + 25000 - 1250 + 3000 + 2500);
}

static void
test_commission (World *w)
{
  g_autoptr(JsonObject) c = at_branch (w->m1, "commission");
  g_autoptr(JsonObject) t01 = mdn_test_ok (w->m1, "{\"op\":\"report.run\",\"name\":\"commission\",\"from\":\""
                                                  DAY "\",\"staff\":\"t01\"}");
  g_autoptr(JsonObject) chain = at_server (w, "commission", NULL);
  g_autoptr(JsonObject) rules = mdn_test_ok (w->m1, "{\"op\":\"commission_rule.list\"}");

  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (rules, "rules")), ==, 3);
  g_assert_cmpuint (n_rows (c), ==, 4);
  g_assert_cmpint (mdn_test_int (row (c, 0), "commission_fen"), ==, 500);       /* the deposit */
  g_assert_cmpstr (mdn_test_str (row (c, 0), "rule"), ==, "R-DEP");
  g_assert_cmpint (mdn_test_int (row (c, 1), "commission_fen"), ==, 188);       /* 5 % of 37.50 */
  g_assert_cmpint (mdn_test_int (row (c, 1), "base_fen"), ==, 3750);
  g_assert_cmpint (mdn_test_int (row (c, 1), "percent_bp"), ==, 500);
  g_assert_cmpstr (mdn_test_str (row (c, 2), "staff"), ==, "t01");
  g_assert_cmpint (mdn_test_int (row (c, 2), "commission_fen"), ==, 300);
  g_assert_cmpint (mdn_test_int (row (c, 3), "commission_fen"), ==, -63);      /* the tea returned */
  g_assert_cmpstr (mdn_test_str (row (c, 3), "receipt_no"), ==, "B01-20261122-0003");
  g_assert_cmpint (total (c, "commission_fen"), ==, 500 + 188 + 300 - 63);
  g_assert_cmpuint (n_rows (t01), ==, 1);
  g_assert_cmpint (total (t01, "commission_fen"), ==, 300);
  g_assert_cmpint (total (chain, "commission_fen"), ==, 500 + 188 + 300 - 63 + 125);
  /* The consumption report names who served the line. */
  {
    g_autoptr(JsonObject) lines = at_branch (w->m1, "consumption");

    g_assert_cmpstr (mdn_test_str (row_where (lines, "sku", "CUT"), "staff"), ==, "t01");
    g_assert_cmpstr (mdn_test_str (row_where (lines, "sku", "TEA"), "staff"), ==, "m01");
  }
  /* A rule changed later does not touch what was recorded. */
  ok (w->hq->admin, "{\"op\":\"commission_rule.upsert\",\"code\":\"R-CUT\",\"name\":\"理发提成\","
                    "\"applies_to\":{\"kind\":\"sale_line\",\"sku\":\"CUT\"},\"percent_bp\":2000}");
  mdn_test_sync_ok (w->hq);
  mdn_test_sync_ok (w->b1);
  {
    g_autoptr(JsonObject) again = at_branch (w->m1, "commission");

    g_assert_cmpint (total (again, "commission_fen"), ==, 500 + 188 + 300 - 63);
  }
  /* Who served must work here. */
  mdn_test_fails (w->m1, "unknown_staff", "{\"op\":\"sale\",\"lines\":[{\"sku\":\"CUT\",\"staff\":\"nobody\"}],"
                                          "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":3000}]}");
  g_assert_cmpuint (mdn_test_verify (w->b1), ==, 0);
}

/* A card topped up at B01 and spent at B02: B01 owes head office what it
 * took in and others served; head office owes B02 what it served. */
static void
test_settlement (World *w)
{
  g_autoptr(JsonObject) s = at_server (w, "settlement", NULL);
  g_autoptr(JsonObject) l = at_server (w, "liability", NULL);
  JsonObject *b1 = row_where (s, "branch", "B01"), *b2 = row_where (s, "branch", "B02");

  g_assert_cmpint (mdn_test_int (b1, "net_fen"), ==, 20000 - 5000 + 1250);
  g_assert_cmpint (mdn_test_int (b2, "net_fen"), ==, -2500);
  g_assert_cmpint (mdn_test_int (b2, "principal_spent_fen"), ==, 2500);
  g_assert_cmpint (mdn_test_int (b1, "deposit_bonus_fen"), ==, 1500);
  g_assert_cmpstr (mdn_test_str (b1, "direction"), ==, "owes head office 162.50");
  g_assert_cmpstr (mdn_test_str (b2, "direction"), ==, "head office owes 25.00");
  /* The nets sum to the change of the chain's principal liability. */
  g_assert_cmpint (total (s, "net_fen"), ==, 13750);
  g_assert_cmpint (total (l, "closing_principal_fen") - total (l, "opening_principal_fen"), ==, 13750);
  g_assert_cmpint (total (l, "closing_principal_fen"), ==,
                   mdn_test_server_count (w->s, "SELECT SUM (principal_fen) FROM members"));
  /* The HQ terminal asks the server with its own token, for a manager. */
  {
    g_autoptr(MdnOpCtx) hqm = mdn_test_staff (w->hq, "h01", "manager");
    g_autoptr(MdnOpCtx) hqc = mdn_test_staff (w->hq, "h02", "cashier");
    MdnReportQuery q = { DAY, DAY };
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) fetched = mdn_sync_report_fetch (hqm, "settlement", &q, NULL, &error);
    g_autofree char *dir = g_dir_make_tmp ("mendian-report-XXXXXX", NULL);
    g_autofree char *path = g_build_filename (dir, "s.csv", NULL);
    g_autofree char *a = NULL, *b = NULL, *text = NULL;

    g_assert_no_error (error);
    a = member_text (fetched, "rows");
    b = member_text (s, "rows");
    g_assert_cmpstr (a, ==, b);
    g_assert_true (mdn_sync_report_download (hqm, "settlement", &q, MDN_REPORT_CSV, path, NULL, NULL, NULL, &error));
    g_assert_no_error (error);
    g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
    g_assert_true (g_str_has_prefix (text, "\xEF\xBB\xBF"));
    g_assert_nonnull (strstr (text, "B02,0.00,0.00,25.00,0.00,-25.00,head office owes 25.00"));
    g_unlink (path);
    g_rmdir (dir);
    g_assert_null (mdn_sync_report_fetch (hqc, "settlement", &q, NULL, &error));
    g_assert_error (error, MDN_ERROR, MDN_ERROR_PERMISSION_DENIED);
    g_clear_error (&error);
    g_assert_null (mdn_sync_report_fetch (w->m1, "settlement", &q, NULL, &error));
    g_assert_error (error, MDN_ERROR, MDN_ERROR_HQ_ONLY);
  }
  /* The summary without format stays the period's totals. */
  {
    g_autoptr(JsonObject) sum = NULL;

    g_assert_cmpuint (mdn_test_http (w->s, "GET", "/api/v1/reports/summary?from=" DAY "&to=" DAY, w->s->hq_token,
                                     NULL, 0, &sum), ==, 200);
    g_assert_true (json_object_has_member (sum, "chain"));
    g_assert_false (json_object_has_member (sum, "rows"));
  }
}

/* Paging: the same rows in pages of 4, next null on the last. */
static void
test_pages (World *w)
{
  g_autoptr(JsonObject) all = at_branch (w->m1, "income");
  g_autoptr(JsonObject) p1 = mdn_test_ok (w->m1, "{\"op\":\"report.run\",\"name\":\"income\",\"from\":\"" DAY "\","
                                                 "\"limit\":4}");
  g_autoptr(JsonObject) p2 = NULL;

  g_assert_cmpuint (n_rows (p1), ==, 4);
  g_assert_cmpstr (mdn_test_str (p1, "next"), ==, "4");
  g_assert_cmpint (total (p1, "amount_fen"), ==, total (all, "amount_fen"));
  p2 = mdn_test_ok (w->m1, "{\"op\":\"report.run\",\"name\":\"income\",\"from\":\"" DAY "\",\"limit\":4,\"after\":\"4\"}");
  g_assert_cmpuint (n_rows (p2), ==, 2);
  g_assert_true (json_object_get_null_member (p2, "next"));
  g_assert_cmpint (mdn_test_int (row (p2, 1), "amount_fen"), ==, mdn_test_int (row (all, 5), "amount_fen"));
  /* Not a manager's: refused; an unknown report, another branch: refused. */
  {
    g_autoptr(MdnOpCtx) cashier = mdn_test_staff (w->b1, "c01", "cashier");

    mdn_test_fails (cashier, "permission_denied", "{\"op\":\"report.run\",\"name\":\"income\",\"from\":\"" DAY "\"}");
  }
  mdn_test_fails (w->m1, "invalid_argument", "{\"op\":\"report.run\",\"name\":\"nope\",\"from\":\"" DAY "\"}");
  mdn_test_fails (w->m1, "invalid_argument", "{\"op\":\"report.run\",\"name\":\"income\",\"from\":\"" DAY "\","
                                             "\"branch\":\"B02\"}");
  mdn_test_fails (w->m1, "invalid_argument", "{\"op\":\"report.run\",\"name\":\"income\",\"from\":\"2026-11-23\","
                                             "\"to\":\"" DAY "\"}");
}

/* Files ------------------------------------------------------------------------------ */

/* Every sheet's cells, as JSON {sheets: [{name, cells: {A1: value}, pane,
 * autofilter, formats: {A1: numFmt}}]}, read by python3 from the zip. */
static const char xlsx_reader[] =
  "import json, re, sys, zipfile\n"
  "z = zipfile.ZipFile(sys.argv[1])\n"
  "wb = z.read('xl/workbook.xml').decode()\n"
  "styles = z.read('xl/styles.xml').decode()\n"
  "fmts = dict(re.findall(r'<numFmt numFmtId=\"(\\d+)\" formatCode=\"([^\"]*)\"', styles))\n"
  "xfs = re.search(r'<cellXfs[^>]*>(.*?)</cellXfs>', styles, re.S).group(1)\n"
  "xf = [dict(re.findall(r'(\\w+)=\"([^\"]*)\"', x)) for x in re.findall(r'<xf [^>]*', xfs)]\n"
  "out = []\n"
  "for i, name in enumerate(re.findall(r'<sheet name=\"([^\"]*)\"', wb)):\n"
  "    s = z.read('xl/worksheets/sheet%d.xml' % (i + 1)).decode()\n"
  "    cells, formats = {}, {}\n"
  "    for ref, attrs, body in re.findall(r'<c r=\"([A-Z]+\\d+)\"([^>]*)>(.*?)</c>', s):\n"
  "        t = re.search(r'<t[^>]*>(.*?)</t>', body)\n"
  "        v = re.search(r'<v>(.*?)</v>', body)\n"
  "        cells[ref] = t.group(1) if t else (v.group(1) if v else None)\n"
  "        st = re.search(r's=\"(\\d+)\"', attrs)\n"
  "        if st:\n"
  "            formats[ref] = fmts.get(xf[int(st.group(1))].get('numFmtId', ''), '')\n"
  "    pane = re.search(r'<pane [^>]*ySplit=\"(\\d+)\"[^>]*state=\"frozen\"', s)\n"
  "    af = re.search(r'<autoFilter ref=\"([^\"]*)\"', s)\n"
  "    out.append({'name': name, 'cells': cells, 'formats': formats,\n"
  "                'pane': int(pane.group(1)) if pane else 0, 'autofilter': af.group(1) if af else None})\n"
  "print(json.dumps({'sheets': out}, ensure_ascii=False))\n";

static JsonObject *
read_xlsx (const char *path)
{
  const char *argv[] = { "python3", "-c", xlsx_reader, path, NULL };
  g_autofree char *out = mdn_test_run_ok (argv);
  g_autoptr(GError) error = NULL;
  JsonObject *o = mdn_json_parse_object (out, &error);

  g_assert_no_error (error);
  return o;
}

static const char *
cell (JsonObject *sheet,
      const char *ref)
{
  JsonObject *cells = json_object_get_object_member (sheet, "cells");

  g_assert_true (json_object_has_member (cells, ref));
  return json_object_get_string_member (cells, ref);
}

static JsonObject *
sheet (JsonObject *book,
       guint       i)
{
  JsonArray *sheets = json_object_get_array_member (book, "sheets");

  g_assert_cmpuint (i, <, json_array_get_length (sheets));
  return json_array_get_object_element (sheets, i);
}

static void
test_xlsx (World *w)
{
  g_autofree char *dir = g_dir_make_tmp ("mendian-report-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "income.xlsx", NULL);
  g_autofree char *split = g_build_filename (dir, "split.xlsx", NULL);
  MdnReportQuery q = { DAY, DAY };
  MdnReportExportOptions o = { "B01 一店", "2026-11-22 18:00" };
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) book = NULL, parts = NULL;
  JsonObject *s;
  gint64 rows = 0;

  g_assert_true (mdn_report_branch_export (w->m1, "income", &q, MDN_REPORT_XLSX, path, &o, &rows, &error));
  g_assert_no_error (error);
  g_assert_cmpint (rows, ==, 6);
  book = read_xlsx (path);
  s = sheet (book, 0);
  g_assert_true (strstr (cell (s, "A1"), "B01 一店") != NULL);
  g_assert_true (strstr (cell (s, "A1"), "2026-11-22 18:00") != NULL);
  g_assert_cmpstr (cell (s, "A2"), ==, "Business date");
  g_assert_cmpstr (cell (s, "J2"), ==, "Amount");
  /* Row 3: the deposit, a date, a date-time, 200 yuan as a number. */
  g_assert_cmpstr (cell (s, "A3"), ==, "46348");            /* 2026-11-22 as an Excel date */
  g_assert_cmpstr (cell (s, "G3"), ==, "张三");
  g_assert_cmpstr (cell (s, "J3"), ==, "200");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (s, "formats"), "J3"), ==, "#,##0.00");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (s, "formats"), "A3"), ==, "yyyy-mm-dd");
  g_assert_cmpstr (cell (s, "J5"), ==, "17.5");
  g_assert_cmpstr (cell (s, "J7"), ==, "-12.5");
  /* Totals row under the six rows; header frozen; filter over header and rows. */
  g_assert_cmpstr (cell (s, "A9"), ==, "Total");
  g_assert_cmpstr (cell (s, "J9"), ==, "535");
  g_assert_cmpint (json_object_get_int_member (s, "pane"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (s, "autofilter"), ==, "A2:K8");

  /* Sheets of 5 rows (3 data rows under title and header): 3 + 2 + 1 and
     the totals on the third. */
  o.sheet_rows = 5;
  g_assert_true (mdn_report_branch_export (w->m1, "income", &q, MDN_REPORT_XLSX, split, &o, &rows, &error));
  parts = read_xlsx (split);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (parts, "sheets")), ==, 3);
  g_assert_cmpstr (cell (sheet (parts, 0), "J3"), ==, "200");
  g_assert_cmpstr (cell (sheet (parts, 1), "A2"), ==, "Business date");
  g_assert_cmpstr (cell (sheet (parts, 1), "J3"), ==, "250");
  g_assert_cmpstr (cell (sheet (parts, 2), "J3"), ==, "30");
  g_assert_cmpstr (cell (sheet (parts, 2), "J4"), ==, "535");
  g_assert_cmpstr (json_object_get_string_member (sheet (parts, 0), "autofilter"), ==, "A2:K5");
  g_assert_cmpstr (json_object_get_string_member (sheet (parts, 2), "autofilter"), ==, "A2:K3");

  g_unlink (path);
  g_unlink (split);
  g_rmdir (dir);
}

static void
test_csv (World *w)
{
  g_autofree char *dir = g_dir_make_tmp ("mendian-report-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "deposits.csv", NULL);
  MdnReportQuery q = { DAY, DAY };
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) lines = NULL;
  gsize len;
  guint status;
  g_autofree char *type = NULL;
  g_autoptr(GBytes) body = NULL;

  g_assert_true (mdn_report_branch_export (w->m1, "deposits", &q, MDN_REPORT_CSV, path, NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &text, &len, NULL));
  g_assert_true (g_str_has_prefix (text, "\xEF\xBB\xBF"));
  g_assert_true (g_utf8_validate (text + 3, (gssize) len - 3, NULL));
  lines = g_strsplit (text + 3, "\r\n", -1);
  g_assert_cmpstr (lines[0], ==, "Business date,Time,Branch,Card number,Member,Principal,Bonus,Tender,Staff,Balance after");
  {
    g_autofree char *want = g_strdup_printf ("2026-11-22,2026-11-22T10:00:00.000+08:00,B01,%s,张三,200.00,15.00,Cash,m01,215.00",
                                             w->card);

    g_assert_cmpstr (lines[1], ==, want);
  }
  g_assert_cmpstr (lines[2], ==, "");

  /* mendian-cli report: the same rows on standard output. */
  {
    const char *cli = g_getenv ("MENDIAN_CLI");
    const char *argv[] = { cli, "--db", w->b1->path, "--staff", "m01", "report", "deposits", "--from", DAY,
                           "--format", "csv", NULL };
    g_autofree char *out = NULL;

    g_assert_nonnull (cli);
    g_setenv ("MENDIAN_PASSWORD", MDN_TEST_PASSWORD, TRUE);
    out = mdn_test_run_ok (argv);
    g_assert_cmpstr (out, ==, text);
  }

  /* The same from the server, streamed as a file. */
  body = http_get (w, "/api/v1/reports/deposits?from=" DAY "&to=" DAY "&branch=B01&format=csv", &status, &type);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (type, ==, "text/csv");
  g_assert_cmpmem (g_bytes_get_data (body, NULL), g_bytes_get_size (body), text, len);
  g_clear_pointer (&body, g_bytes_unref);
  g_clear_pointer (&type, g_free);
  body = http_get (w, "/api/v1/reports/summary?from=" DAY "&to=" DAY "&format=xlsx", &status, &type);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpstr (type, ==, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");
  g_assert_true (g_bytes_get_size (body) > 4 && memcmp (g_bytes_get_data (body, NULL), "PK", 2) == 0);
  g_clear_pointer (&body, g_bytes_unref);
  body = http_get (w, "/api/v1/reports/nope?from=" DAY "&to=" DAY, &status, NULL);
  g_assert_cmpuint (status, ==, 404);

  g_unlink (path);
  g_rmdir (dir);
}

/* product_sales' cost and margin, on a later day (DAY2) so the ledger
 * above keeps its figures. HQ: SOAP 20.00 (goods) with a standard cost of
 * 8.00. B01 receives 10 at 9.00 and 10 at 10.00 (moving average
 * (10 × 900 + 10 × 1000) / 20 = 9.50), sells 3 (cost 28.50) and one TEA
 * (no cost known), takes 1 SOAP back (at the 9.50 it was sold at):
 * net 60.00 − 20.00 = 40.00, cost 19.00, margin 21.00 = 52.50 %. B02,
 * which received none, sells 2 at the standard cost: cost 16.00, net
 * 40.00, margin 24.00 = 60.00 %. */
#define DAY2 "2026-11-23"

static JsonObject *
day2_at_branch (MdnOpCtx *ctx)
{
  return mdn_test_ok (ctx, "{\"op\":\"report.run\",\"name\":\"product_sales\",\"from\":\"" DAY2 "\",\"to\":\"" DAY2 "\"}");
}

static JsonObject *
day2_at_server (World      *w,
                const char *branch)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/reports/product_sales?format=json&from=" DAY2 "&to=" DAY2
                                           "&branch=%s", branch);
  guint status;
  g_autoptr(GBytes) body = http_get (w, path, &status, NULL);
  g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  JsonObject *o;

  g_assert_cmpuint (status, ==, 200);
  o = mdn_json_parse_object (text, NULL);
  g_assert_nonnull (o);
  return o;
}

static void
test_cost (World *w)
{
  g_autoptr(JsonObject) sale = NULL, ret = NULL, b1 = NULL, b2 = NULL, s1 = NULL, s2 = NULL;
  JsonObject *line, *r;

  mdn_test_set_now (DAY2 "T09:00:00+08:00");
  ok (w->hq->admin, "{\"op\":\"product.upsert\",\"sku\":\"SOAP\",\"name\":\"香皂\",\"price_fen\":2000,"
                    "\"kind\":\"goods\",\"category\":\"日用\",\"cost\":\"8.00\"}");
  mdn_test_sync_ok (w->hq);
  mdn_test_sync_ok (w->b1);
  mdn_test_sync_ok (w->b2);
  ok (w->m1, "{\"op\":\"stock.receive\",\"lines\":[{\"sku\":\"SOAP\",\"qty\":10,\"cost\":\"9.00\"}]}");
  ok (w->m1, "{\"op\":\"stock.receive\",\"lines\":[{\"sku\":\"SOAP\",\"qty\":10,\"cost\":\"10.00\"}]}");
  mdn_test_set_now (DAY2 "T10:00:00+08:00");
  sale = mdn_test_ok (w->m1, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"SOAP\",\"qty\":3},{\"sku\":\"TEA\"}],"
                             "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":7250}]}");
  line = json_array_get_object_element (json_object_get_array_member (sale, "lines"), 0);
  g_assert_cmpint (mdn_test_int (line, "unit_cost_fen"), ==, 950);
  g_assert_cmpint (mdn_test_int (line, "cost_fen"), ==, 2850);
  line = json_array_get_object_element (json_object_get_array_member (sale, "lines"), 1);
  g_assert_false (json_object_has_member (line, "cost_fen"));
  /* A later receipt moves the average; the return comes back at 9.50. */
  ok (w->m1, "{\"op\":\"stock.receive\",\"lines\":[{\"sku\":\"SOAP\",\"qty\":17,\"cost\":\"20.00\"}]}");
  ret = mdn_test_ok (w->m1, "{\"op\":\"sale.return\",\"receipt_no\":\"%s\",\"lines\":[{\"sku\":\"SOAP\",\"qty\":1}]}",
                     mdn_test_str (sale, "receipt_no"));
  line = json_array_get_object_element (json_object_get_array_member (ret, "lines"), 0);
  g_assert_cmpint (mdn_test_int (line, "cost_fen"), ==, 950);
  json_object_unref (mdn_test_ok (w->m2, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"SOAP\",\"qty\":2}],"
                                         "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":4000}]}"));
  mdn_test_sync_ok (w->b1);
  mdn_test_sync_ok (w->b2);

  b1 = day2_at_branch (w->m1);
  r = row_where (b1, "sku", "SOAP");
  g_assert_cmpint (mdn_test_int (r, "net_fen"), ==, 4000);
  g_assert_cmpint (mdn_test_int (r, "cost_fen"), ==, 2850 - 950);
  g_assert_cmpint (mdn_test_int (r, "margin_fen"), ==, 4000 - 1900);
  g_assert_cmpint (mdn_test_int (r, "margin_percent"), ==, 5250);
  /* No cost known for the tea: empty, not 0. */
  r = row_where (b1, "sku", "TEA");
  g_assert_cmpint (mdn_test_int (r, "net_fen"), ==, 1250);
  g_assert_true (json_object_get_null_member (r, "cost_fen"));
  g_assert_true (json_object_get_null_member (r, "margin_fen"));
  g_assert_true (json_object_get_null_member (r, "margin_percent"));
  g_assert_cmpint (total (b1, "cost_fen"), ==, 1900);
  g_assert_cmpint (total (b1, "margin_fen"), ==, 2100);

  b2 = day2_at_branch (w->m2);
  r = row_where (b2, "sku", "SOAP");
  g_assert_cmpint (mdn_test_int (r, "cost_fen"), ==, 1600);
  g_assert_cmpint (mdn_test_int (r, "margin_fen"), ==, 2400);
  g_assert_cmpint (mdn_test_int (r, "margin_percent"), ==, 6000);

  /* products: the standard cost, and B01's moving average after the third
     receipt, (17 × 950 + 17 × 2000) / 34 = 14.75; its thresholds. */
  ok (w->m1, "{\"op\":\"stock.limits\",\"sku\":\"SOAP\",\"low_stock\":5,\"high_stock\":50}");
  {
    g_autoptr(JsonObject) p = at_branch (w->m1, "products");

    r = row_where (p, "sku", "SOAP");
    g_assert_cmpint (mdn_test_int (r, "cost_fen"), ==, 800);
    g_assert_cmpint (mdn_test_int (r, "avg_cost_fen"), ==, 1475);
    g_assert_cmpint (mdn_test_int (r, "stock"), ==, 20 - 3 + 17 + 1);
    g_assert_cmpint (mdn_test_int (r, "low_stock"), ==, 5);
    g_assert_cmpint (mdn_test_int (r, "high_stock"), ==, 50);
    r = row_where (p, "sku", "CUT");
    g_assert_true (json_object_get_null_member (r, "cost_fen"));
    g_assert_true (json_object_get_null_member (r, "avg_cost_fen"));
  }

  /* The server, from the same entries, agrees to the fen. */
  s1 = day2_at_server (w, "B01");
  s2 = day2_at_server (w, "B02");
  {
    g_autofree char *a = member_text (b1, "rows"), *b = member_text (s1, "rows");
    g_autofree char *c = member_text (b2, "rows"), *d = member_text (s2, "rows");
    g_autofree char *ta = member_text (b1, "totals"), *tb = member_text (s1, "totals");

    g_assert_cmpstr (a, ==, b);
    g_assert_cmpstr (c, ==, d);
    g_assert_cmpstr (ta, ==, tb);
  }
  /* The chain's Excel file from the server: the cost columns typed, the
     tea's cost cells empty. Columns: L cost, M margin, N margin %. */
  {
    g_autofree char *dir = g_dir_make_tmp ("mendian-report-XXXXXX", NULL);
    g_autofree char *path = g_build_filename (dir, "product_sales.xlsx", NULL);
    guint status;
    g_autoptr(GBytes) body = http_get (w, "/api/v1/reports/product_sales?format=xlsx&from=" DAY2 "&to=" DAY2
                                          "&branch=B01", &status, NULL);
    g_autoptr(JsonObject) book = NULL;
    JsonObject *sh, *cells, *formats;

    g_assert_cmpuint (status, ==, 200);
    g_assert_true (g_file_set_contents (path, g_bytes_get_data (body, NULL), (gssize) g_bytes_get_size (body), NULL));
    book = read_xlsx (path);
    sh = sheet (book, 0);
    cells = json_object_get_object_member (sh, "cells");
    formats = json_object_get_object_member (sh, "formats");
    g_assert_cmpstr (cell (sh, "L2"), ==, "Cost");
    g_assert_cmpstr (cell (sh, "B3"), ==, "SOAP");
    g_assert_cmpstr (cell (sh, "L3"), ==, "19");
    g_assert_cmpstr (cell (sh, "M3"), ==, "21");
    g_assert_cmpstr (cell (sh, "N3"), ==, "0.525");
    g_assert_cmpstr (json_object_get_string_member (formats, "L3"), ==, "#,##0.00");
    g_assert_cmpstr (json_object_get_string_member (formats, "N3"), ==, "0.00%");
    g_assert_cmpstr (cell (sh, "B4"), ==, "TEA");
    g_assert_cmpstr (cell (sh, "K4"), ==, "12.5");
    g_assert_false (json_object_has_member (cells, "L4"));
    g_assert_false (json_object_has_member (cells, "M4"));
    g_assert_false (json_object_has_member (cells, "N4"));
    g_assert_cmpstr (cell (sh, "L5"), ==, "19");   /* the totals: of the rows with a cost */
    g_unlink (path);
    g_rmdir (dir);
  }
}

/* Reports are built by workers off the server's main loop: while one is
 * held (the test hook, MENDIAN_TEST_REPORT_HOLD), a push is answered; a
 * third while two are held is refused 503 with Retry-After; released,
 * both are answered whole. */
static char *hold_dir;

typedef struct
{
  World  *w;
  guint   status;
  GBytes *body;
} HeldReport;

static gpointer
held_report (gpointer data)
{
  HeldReport *h = data;

  h->body = http_get (h->w, "/api/v1/reports/consumption?format=xlsx&from=" DAY "&to=" DAY "&branch=B01&test_hold=1",
                      &h->status, NULL);
  return NULL;
}

static void
wait_held (int fd)
{
  char c;

  /* Blocks until a worker has written its byte: no timing. */
  g_assert_cmpint (read (fd, &c, 1), ==, 1);
  g_assert_cmpint (c, ==, 'h');
}

static void
test_worker (World *w)
{
  g_autofree char *held = g_build_filename (hold_dir, "held", NULL);
  g_autofree char *release = g_build_filename (hold_dir, "release", NULL);
  /* Read-write: neither open blocks, and neither end sees end-of-file. */
  int hfd = open (held, O_RDWR), rfd = open (release, O_RDWR);
  HeldReport a = { w }, b = { w };
  GThread *ta, *tb;
  guint status;
  g_autofree char *type = NULL;
  g_autoptr(GBytes) busy = NULL, after = NULL;
  g_autoptr(JsonObject) r = NULL;

  g_assert_cmpint (hfd, >=, 0);
  g_assert_cmpint (rfd, >=, 0);
  ta = g_thread_new ("report-a", held_report, &a);
  wait_held (hfd);

  /* A branch's push is answered while the report is being built. */
  mdn_test_set_now (DAY2 "T15:00:00+08:00");
  r = mdn_test_ok (w->m1, "{\"op\":\"sale.quick\",\"amount_fen\":100,\"tenders\":[{\"type\":\"cash\",\"amount_fen\":100}]}");
  mdn_test_sync_ok (w->b1);

  tb = g_thread_new ("report-b", held_report, &b);
  wait_held (hfd);
  busy = http_get (w, "/api/v1/reports/summary?format=csv&from=" DAY "&to=" DAY, &status, &type);
  g_assert_cmpuint (status, ==, 503);
  {
    g_autofree char *text = g_strndup (g_bytes_get_data (busy, NULL), g_bytes_get_size (busy));

    g_assert_nonnull (strstr (text, "\"busy\""));
  }

  g_assert_cmpint (write (rfd, "rr", 2), ==, 2);
  g_thread_join (ta);
  g_thread_join (tb);
  g_assert_cmpuint (a.status, ==, 200);
  g_assert_cmpuint (b.status, ==, 200);
  g_assert_true (g_bytes_get_size (a.body) > 4 && memcmp (g_bytes_get_data (a.body, NULL), "PK", 2) == 0);
  g_assert_true (g_bytes_get_size (b.body) > 4 && memcmp (g_bytes_get_data (b.body, NULL), "PK", 2) == 0);
  g_bytes_unref (a.body);
  g_bytes_unref (b.body);
  /* The slots are free again. */
  after = http_get (w, "/api/v1/reports/summary?format=csv&from=" DAY "&to=" DAY, &status, NULL);
  g_assert_cmpuint (status, ==, 200);
  close (hfd);
  close (rfd);
}

/* A period over two months (two partitions of the PostgreSQL store's
 * entries): card A gets 100.00 (+15.00 bonus) at B01 on 11-30, spends
 * 12.50 at B02 on 12-01, gets 100.00 (+15.00) at B01 again. The balance
 * after each deposit counts every earlier entry of the card, also those
 * outside the period and at another branch; the liability's opening on
 * 12-01 is the closing of 11-30; the branch and the server agree. */
#define NOV30 "2026-11-30"
#define DEC01 "2026-12-01"

static JsonObject *
at_server_period (World      *w,
                  const char *name,
                  const char *from,
                  const char *to,
                  const char *branch)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/reports/%s?format=json&from=%s&to=%s%s%s", name, from, to,
                                           branch ? "&branch=" : "", branch ? branch : "");
  guint status;
  g_autoptr(GBytes) body = http_get (w, path, &status, NULL);
  g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  g_autoptr(GError) error = NULL;
  JsonObject *o;

  g_assert_cmpuint (status, ==, 200);
  o = mdn_json_parse_object (text, &error);
  g_assert_no_error (error);
  return o;
}

static void
test_months (World *w)
{
  g_autoptr(JsonObject) both = NULL, dec = NULL, chain = NULL, l_nov = NULL, l_dec = NULL, summary = NULL;
  g_autoptr(JsonObject) here = NULL, there = NULL;
  g_autofree char *count_sql = g_strdup_printf ("SELECT principal_fen + bonus_fen FROM members WHERE card_no = '%s'",
                                                w->card);
  g_autofree char *a = NULL, *b = NULL;
  gint64 now;

  mdn_test_set_now (NOV30 "T10:00:00+08:00");
  json_object_unref (mdn_test_ok (w->m1, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":10000,"
                                         "\"tender\":\"cash\"}", w->card));
  mdn_test_sync_ok (w->b1);
  mdn_test_sync_ok (w->b2);
  mdn_test_set_now (DEC01 "T10:00:00+08:00");
  json_object_unref (mdn_test_ok (w->m2, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1}],"
                                         "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":1250}]}", w->card));
  mdn_test_sync_ok (w->b2);
  mdn_test_sync_ok (w->b1);
  mdn_test_set_now (DEC01 "T11:00:00+08:00");
  json_object_unref (mdn_test_ok (w->m1, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":10000,"
                                         "\"tender\":\"cash\"}", w->card));
  mdn_test_sync_ok (w->b1);
  now = mdn_test_server_count (w->s, count_sql);

  both = at_server_period (w, "deposits", NOV30, DEC01, "B01");
  g_assert_cmpuint (n_rows (both), ==, 2);
  g_assert_cmpint (mdn_test_int (row (both, 0), "balance_after_fen"), ==, now - 11500 + 1250);
  g_assert_cmpint (mdn_test_int (row (both, 1), "balance_after_fen"), ==, now);
  g_assert_cmpint (total (both, "principal_fen"), ==, 20000);
  g_assert_cmpint (total (both, "bonus_fen"), ==, 3000);
  dec = at_server_period (w, "deposits", DEC01, DEC01, "B01");
  g_assert_cmpuint (n_rows (dec), ==, 1);
  g_assert_cmpint (mdn_test_int (row (dec, 0), "balance_after_fen"), ==, now);
  chain = at_server_period (w, "deposits", NOV30, DEC01, NULL);
  g_assert_cmpuint (n_rows (chain), ==, 2);
  g_assert_cmpint (mdn_test_int (row (chain, 0), "balance_after_fen"), ==, now - 11500 + 1250);

  /* The liability: 12-01 opens where 11-30 closed, and closes at the cards. */
  l_nov = at_server_period (w, "liability", NOV30, NOV30, NULL);
  l_dec = at_server_period (w, "liability", DEC01, DEC01, NULL);
  g_assert_cmpint (total (l_dec, "opening_principal_fen"), ==, total (l_nov, "closing_principal_fen"));
  g_assert_cmpint (total (l_dec, "opening_bonus_fen"), ==, total (l_nov, "closing_bonus_fen"));
  g_assert_cmpint (total (l_dec, "closing_principal_fen"), ==,
                   mdn_test_server_count (w->s, "SELECT SUM (principal_fen) FROM members"));
  g_assert_cmpint (total (l_dec, "closing_principal_fen") + total (l_dec, "closing_bonus_fen"), ==,
                   mdn_test_server_count (w->s, "SELECT SUM (principal_fen + bonus_fen) FROM members"));

  /* The summary over both months: a row per branch-day. */
  summary = at_server_period (w, "summary", NOV30, DEC01, NULL);
  g_assert_cmpuint (n_rows (summary), ==, 3);
  g_assert_cmpint (total (summary, "deposit_principal_fen"), ==, 20000);
  g_assert_cmpint (total (summary, "sales_fen"), ==, 1250);

  /* The branch and the server, row for row, over both months. */
  here = mdn_test_ok (w->m1, "{\"op\":\"report.run\",\"name\":\"income\",\"from\":\"" NOV30 "\",\"to\":\"" DEC01 "\"}");
  there = at_server_period (w, "income", NOV30, DEC01, "B01");
  a = member_text (here, "rows");
  b = member_text (there, "rows");
  g_assert_cmpstr (a, ==, b);
  g_assert_cmpuint (n_rows (there), ==, 2);
  /* And over years (most days without an entry). */
  {
    g_autoptr(JsonObject) all_here = mdn_test_ok (w->m1, "{\"op\":\"report.run\",\"name\":\"income\",\"from\":"
                                                  "\"2000-01-01\",\"to\":\"2030-12-31\"}");
    g_autoptr(JsonObject) all_there = at_server_period (w, "income", "2000-01-01", "2030-12-31", "B01");
    g_autofree char *ya = member_text (all_here, "rows"), *yb = member_text (all_there, "rows");

    g_assert_cmpstr (ya, ==, yb);
    g_assert_cmpuint (n_rows (all_there), >, 8);
  }

  /* The products of B01: the branch and the server agree on each
     product's price and B01's stock (the moving average cost and the
     thresholds are the branch's own: empty at the server, on SQLite too). */
  {
    g_autoptr(JsonObject) mine = mdn_test_ok (w->m1, "{\"op\":\"report.run\",\"name\":\"products\",\"from\":\""
                                              DEC01 "\",\"to\":\"" DEC01 "\"}");
    g_autoptr(JsonObject) theirs = at_server_period (w, "products", DEC01, DEC01, "B01");

    g_assert_cmpuint (n_rows (theirs), ==, n_rows (mine));
    for (guint i = 0; i < n_rows (mine); i++)
      {
        JsonObject *x = row (mine, i), *y = row (theirs, i);

        g_assert_cmpstr (mdn_test_str (x, "sku"), ==, mdn_test_str (y, "sku"));
        g_assert_cmpint (mdn_test_int (x, "price_fen"), ==, mdn_test_int (y, "price_fen"));
        g_assert_cmpint (json_object_get_int_member_with_default (x, "stock", -999), ==,
                         json_object_get_int_member_with_default (y, "stock", -999));
      }
    g_assert_cmpint (mdn_test_int (row_where (theirs, "sku", "TEA"), "stock"), !=, 0);
  }

  /* The members report of card A: the branch (which applied B02's sale
     from the feed) and the server agree; its last visit is B02's sale. */
  {
    g_autoptr(JsonObject) mine = mdn_test_ok (w->m1, "{\"op\":\"report.run\",\"name\":\"members\",\"from\":\""
                                              DEC01 "\",\"to\":\"" DEC01 "\",\"member\":\"%s\"}", w->card);
    g_autofree char *path = g_strdup_printf ("/api/v1/reports/members?format=json&from=" DEC01 "&to=" DEC01
                                             "&member=%s", w->card);
    g_autoptr(JsonObject) theirs = NULL;
    g_autofree char *ma = NULL, *mb = NULL;
    guint status;
    g_autoptr(GBytes) body = http_get (w, path, &status, NULL);
    g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));

    g_assert_cmpuint (status, ==, 200);
    theirs = mdn_json_parse_object (text, NULL);
    g_assert_nonnull (theirs);
    ma = member_text (mine, "rows");
    mb = member_text (theirs, "rows");
    g_assert_cmpstr (ma, ==, mb);
    g_assert_cmpuint (n_rows (theirs), ==, 1);
    g_assert_cmpstr (mdn_test_str (row (theirs, 0), "last_visit"), ==, DEC01);
    g_assert_cmpint (mdn_test_int (row (theirs, 0), "balance_fen"), ==, now);
    g_assert_cmpint (mdn_test_int (row (theirs, 0), "package_uses"), ==, 8);

    /* PostgreSQL: the receipt figures of a ledger from before version 6
       are filled by its migration (postgres/0006_member_receipts.sql). */
    if (mdn_test_backend_pg ())
      {
        g_autoptr(GBytes) again = NULL;
        g_autofree char *again_text = NULL, *mc = NULL;
        g_autoptr(JsonObject) migrated = NULL;
        g_autofree char *file = g_test_build_filename (G_TEST_DIST, "..", "schema", "server", "postgres",
                                                       "0006_member_receipts.sql", NULL);
        g_autofree char *migration = NULL, *sql = NULL;

        /* The migration itself, on a database without its table (later
           migrations are applied already: the file is run, not init). */
        g_assert_true (g_file_get_contents (file, &migration, NULL, NULL));
        sql = g_strconcat ("DROP TABLE srv_member_receipts; ", migration, "; SELECT 1", NULL);
        g_assert_cmpint (mdn_test_pg_count (w->s->db, sql), ==, 1);
        g_assert_cmpint (mdn_test_pg_count (w->s->db, "SELECT count(*) FROM srv_member_receipts"), >=, 1);
        again = http_get (w, path, &status, NULL);
        g_assert_cmpuint (status, ==, 200);
        again_text = g_strndup (g_bytes_get_data (again, NULL), g_bytes_get_size (again));
        migrated = mdn_json_parse_object (again_text, NULL);
        g_assert_nonnull (migrated);
        mc = member_text (migrated, "rows");
        g_assert_cmpstr (mc, ==, mb);
      }
  }
}

/* Deposits one after another, a spend between them, and a deposit of
 * another branch, in one push each (held back together on PostgreSQL): the balance after each
 * deposit is the card's once it was applied at the server, whatever the
 * period, branch or card asked for; the branch shows the same. On
 * PostgreSQL it is a kept figure (srv_deposit_balances, postgres/0011),
 * which must be what the ledger sums to, also as its migration fills it. */
#define DEC05 "2026-12-05"

static void
test_deposits_kept (World *w)
{
  g_autofree char *count_sql = g_strdup_printf ("SELECT principal_fen + bonus_fen FROM members WHERE card_no = '%s'",
                                                w->card);
  g_autofree char *card_path = g_strdup_printf ("/api/v1/reports/deposits?format=json&from=" DEC05 "&to=" DEC05
                                                "&member=%s", w->card);
  g_autoptr(JsonObject) b01 = NULL, chain = NULL, mine = NULL;
  gint64 before, now;

  mdn_test_sync_ok (w->b1);
  mdn_test_sync_ok (w->b2);
  mdn_test_sync_ok (w->b1);
  before = mdn_test_server_count (w->s, count_sql);
  mdn_test_set_now (DEC05 "T10:00:00+08:00");
  /* B01: 100.00 (+15.00) twice, 12.50 spent, 100.00 (+15.00): one push. */
  for (guint i = 0; i < 2; i++)
    json_object_unref (mdn_test_ok (w->m1, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":10000,"
                                           "\"tender\":\"cash\"}", w->card));
  json_object_unref (mdn_test_ok (w->m1, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1}],"
                                         "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":1250}]}", w->card));
  json_object_unref (mdn_test_ok (w->m1, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":10000,"
                                         "\"tender\":\"cash\"}", w->card));
  mdn_test_sync_ok (w->b1);
  /* B02: 12.50 spent, 100.00 (+15.00). */
  mdn_test_set_now (DEC05 "T11:00:00+08:00");
  json_object_unref (mdn_test_ok (w->m2, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1}],"
                                         "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":1250}]}", w->card));
  json_object_unref (mdn_test_ok (w->m2, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":10000,"
                                         "\"tender\":\"cash\"}", w->card));
  mdn_test_sync_ok (w->b2);
  mdn_test_sync_ok (w->b1);
  now = mdn_test_server_count (w->s, count_sql);
  g_assert_cmpint (now, ==, before + 4 * 11500 - 2 * 1250);

  b01 = at_server_period (w, "deposits", DEC05, DEC05, "B01");
  g_assert_cmpuint (n_rows (b01), ==, 3);
  g_assert_cmpint (mdn_test_int (row (b01, 0), "balance_after_fen"), ==, before + 11500);
  g_assert_cmpint (mdn_test_int (row (b01, 1), "balance_after_fen"), ==, before + 2 * 11500);
  g_assert_cmpint (mdn_test_int (row (b01, 2), "balance_after_fen"), ==, before + 3 * 11500 - 1250);
  chain = at_server_period (w, "deposits", DEC05, DEC05, NULL);
  g_assert_cmpuint (n_rows (chain), ==, 4);
  g_assert_cmpint (mdn_test_int (row_where (chain, "branch", "B02"), "balance_after_fen"), ==, now);
  {
    guint status;
    g_autoptr(GBytes) body = http_get (w, card_path, &status, NULL);
    g_autofree char *text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
    g_autoptr(JsonObject) card = mdn_json_parse_object (text, NULL);
    g_autofree char *a = NULL, *b = NULL;

    g_assert_cmpuint (status, ==, 200);
    g_assert_nonnull (card);
    a = member_text (card, "rows");
    b = member_text (chain, "rows");
    g_assert_cmpstr (a, ==, b);
  }
  /* B01 applied B02's entries from the feed after its own: its own
     deposits show what the server shows. */
  mine = mdn_test_ok (w->m1, "{\"op\":\"report.run\",\"name\":\"deposits\",\"from\":\"" DEC05 "\",\"to\":\""
                      DEC05 "\",\"branch\":\"B01\"}");
  g_assert_cmpuint (n_rows (mine), ==, 3);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (mdn_test_int (row (mine, i), "balance_after_fen"), ==,
                     mdn_test_int (row (b01, i), "balance_after_fen"));

  if (mdn_test_backend_pg ())
    {
      g_autofree char *file = g_test_build_filename (G_TEST_DIST, "..", "schema", "server", "postgres",
                                                     "0011_deposit_balances.sql", NULL);
      g_autofree char *migration = NULL, *sql = NULL, *a = NULL, *b = NULL;
      g_autoptr(JsonObject) again = NULL;

      g_assert_cmpint (mdn_test_pg_deposits_drift (w->s), ==, 0);
      g_assert_cmpint (mdn_test_server_count (w->s, "SELECT count (*) FROM srv_deposit_balances"), >=, 5);
      /* A figure gone wrong is seen (the check can fail) ... */
      g_assert_cmpint (mdn_test_pg_count (w->s->db, "UPDATE srv_deposit_balances SET balance_after_fen = "
                                                    "balance_after_fen + 1 WHERE entry_id = (SELECT min (entry_id) "
                                                    "FROM srv_deposit_balances) RETURNING 1"), ==, 1);
      g_assert_cmpint (mdn_test_pg_deposits_drift (w->s), ==, 1);
      /* ... and the migration, run on a database without its table (later
         migrations are applied already: the file is run, not init), fills
         what the apply kept. */
      g_assert_true (g_file_get_contents (file, &migration, NULL, NULL));
      sql = g_strconcat ("DROP TABLE srv_deposit_balances; ", migration, "; SELECT 1", NULL);
      g_assert_cmpint (mdn_test_pg_count (w->s->db, sql), ==, 1);
      g_assert_cmpint (mdn_test_pg_deposits_drift (w->s), ==, 0);
      again = at_server_period (w, "deposits", DEC05, DEC05, NULL);
      a = member_text (again, "rows");
      b = member_text (chain, "rows");
      g_assert_cmpstr (a, ==, b);
    }
}

static World world;

static void
run (gconstpointer data)
{
  void (*fn) (World *) = data;

  if (world.s == NULL)
    world_init (&world);
  fn (&world);
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  /* The report workers' hold (srv-reports.c test_hold): two FIFOs. */
  hold_dir = g_dir_make_tmp ("mendian-report-hold-XXXXXX", NULL);
  {
    g_autofree char *held = g_build_filename (hold_dir, "held", NULL);
    g_autofree char *release = g_build_filename (hold_dir, "release", NULL);

    g_assert_cmpint (mkfifo (held, 0600), ==, 0);
    g_assert_cmpint (mkfifo (release, 0600), ==, 0);
    g_setenv ("MENDIAN_TEST_REPORT_HOLD", hold_dir, TRUE);
  }
  g_test_add_data_func ("/report/agree", (gconstpointer) test_agree, run);
  g_test_add_data_func ("/report/figures", (gconstpointer) test_figures, run);
  g_test_add_data_func ("/report/settlement", (gconstpointer) test_settlement, run);
  g_test_add_data_func ("/report/pages", (gconstpointer) test_pages, run);
  g_test_add_data_func ("/report/commission", (gconstpointer) test_commission, run);
  g_test_add_data_func ("/report/xlsx", (gconstpointer) test_xlsx, run);
  g_test_add_data_func ("/report/csv", (gconstpointer) test_csv, run);
  g_test_add_data_func ("/report/cost", (gconstpointer) test_cost, run);
  g_test_add_data_func ("/report/worker", (gconstpointer) test_worker, run);
  g_test_add_data_func ("/report/months", (gconstpointer) test_months, run);
  g_test_add_data_func ("/report/deposits-kept", (gconstpointer) test_deposits_kept, run);
  rc = g_test_run ();
  world_free (&world);
  {
    g_autofree char *held = g_build_filename (hold_dir, "held", NULL);
    g_autofree char *release = g_build_filename (hold_dir, "release", NULL);

    g_unlink (held);
    g_unlink (release);
    g_rmdir (hold_dir);
    g_free (hold_dir);
  }
  return rc;
}
