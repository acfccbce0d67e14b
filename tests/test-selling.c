/* Selling: catalogue, sales, quick sales, packages, timed consumption,
 * points and returns, each rule with exact figures and every refusal. */
#include "mdn-db.h"
#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-members.h"
#include "mdn-pricing.h"
#include "mdn-test-util.h"
#include "mdn-sync.h"

#define DAY1 "2026-11-22T10:00:00+08:00"

/* A branch with levels, a deposit bonus rule, products, plans and resources:
 *   gold   88 %, 2 points per yuan      silver 90 %, 1 point per yuan
 *   normal 100 %, 1 point per yuan (created by init)
 *   deposit of 100.00 or more earns 15.00 bonus */
static MdnTestBranch *
selling_branch (void)
{
  MdnTestBranch *b;
  const char *setup[] = {
    "{\"op\":\"level.upsert\",\"code\":\"gold\",\"name\":\"Gold\",\"price_percent\":88,\"points_per_yuan\":2}",
    "{\"op\":\"level.upsert\",\"code\":\"silver\",\"name\":\"Silver\",\"price_percent\":90,\"points_per_yuan\":1}",
    "{\"op\":\"deposit_rule.upsert\",\"min_fen\":10000,\"bonus_fen\":1500}",
    "{\"op\":\"product.upsert\",\"sku\":\"TEA\",\"name\":\"绿茶\",\"price_fen\":1250,\"kind\":\"goods\","
    "\"category\":\"饮品/茶/绿茶\",\"barcode\":\"6901234567890\"}",
    "{\"op\":\"product.upsert\",\"sku\":\"COLA\",\"name\":\"可乐\",\"price_fen\":300,\"kind\":\"goods\","
    "\"category\":\"饮品/汽水\"}",
    "{\"op\":\"product.upsert\",\"sku\":\"GUM\",\"name\":\"口香糖\",\"price_fen\":125,\"kind\":\"goods\"}",
    "{\"op\":\"product.upsert\",\"sku\":\"BAG\",\"name\":\"购物袋\",\"price_fen\":50,\"kind\":\"goods\",\"no_discount\":true}",
    "{\"op\":\"product.upsert\",\"sku\":\"CUT\",\"name\":\"理发\",\"price_fen\":3000,\"kind\":\"service\"}",
    "{\"op\":\"product.upsert\",\"sku\":\"CUT10\",\"name\":\"理发10次卡\",\"price_fen\":25000,\"kind\":\"package\","
    "\"package_sku\":\"CUT\",\"package_count\":10,\"package_days\":30}",
    "{\"op\":\"product.upsert\",\"sku\":\"CUT5\",\"name\":\"理发5次卡\",\"price_fen\":14000,\"kind\":\"package\","
    "\"package_sku\":\"CUT\",\"package_count\":5,\"package_days\":90,\"no_discount\":true}",
    "{\"op\":\"product.upsert\",\"sku\":\"CUT3\",\"name\":\"理发3次卡\",\"price_fen\":8000,\"kind\":\"package\","
    "\"package_sku\":\"CUT\",\"package_count\":3,\"no_discount\":true}",
    "{\"op\":\"plan.upsert\",\"code\":\"BIL\",\"name\":\"台球\",\"unit_minutes\":30,\"unit_price_fen\":1500,"
    "\"free_minutes\":5,\"min_minutes\":60,\"cap_fen\":10000}",
    "{\"op\":\"plan.upsert\",\"code\":\"HOUR\",\"name\":\"包间\",\"unit_minutes\":60,\"unit_price_fen\":2000}",
    "{\"op\":\"resource.upsert\",\"code\":\"T1\",\"name\":\"1号台\",\"plan\":\"BIL\"}",
    "{\"op\":\"resource.upsert\",\"code\":\"T2\",\"name\":\"2号台\",\"plan\":\"BIL\"}",
    "{\"op\":\"resource.upsert\",\"code\":\"R1\",\"name\":\"包间1\",\"plan\":\"HOUR\"}",
  };

  mdn_test_set_now (DAY1);
  b = mdn_test_branch_new ("B01", 1);
  for (guint i = 0; i < G_N_ELEMENTS (setup); i++)
    json_object_unref (mdn_test_ok (b->admin, "%s", setup[i]));
  return b;
}

static void
done (MdnTestBranch *b)
{
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
  mdn_test_set_now (NULL);
}

/* Issues a card; returns its number. deposit 0: none. */
static char *
issue (MdnTestBranch *b,
       const char    *phone,
       const char    *level,
       gint64         deposit)
{
  g_autoptr(JsonObject) r = mdn_test_ok (b->admin,
                                         "{\"op\":\"member.issue\",\"name\":\"会员%s\",\"phone\":\"%s\","
                                         "\"level\":\"%s\",\"deposit_fen\":%" G_GINT64_FORMAT "}",
                                         phone, phone, level, deposit);

  return g_strdup (mdn_test_str (r, "card_no"));
}

static gint64
member_int (MdnTestBranch *b,
            const char    *card,
            const char    *field)
{
  g_autoptr(JsonObject) r = mdn_test_ok (b->admin, "{\"op\":\"member.show\",\"card\":\"%s\"}", card);

  return mdn_test_int (r, field);
}

/* Remaining uses of @sku shown by member.show, 0 when none. */
static gint64
member_uses (MdnTestBranch *b,
             const char    *card,
             const char    *sku)
{
  g_autoptr(JsonObject) r = mdn_test_ok (b->admin, "{\"op\":\"member.show\",\"card\":\"%s\"}", card);
  JsonArray *list = json_object_get_array_member (r, "packages");

  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *p = json_array_get_object_element (list, i);

      if (g_str_equal (json_object_get_string_member (p, "sku"), sku))
        return json_object_get_int_member (p, "remaining");
    }
  return 0;
}

static gint64
stock_of (MdnTestBranch *b,
          const char    *sku)
{
  g_autofree char *sql = g_strdup_printf ("SELECT COALESCE (SUM (qty), 0) FROM stock WHERE item = '%s'", sku);

  return mdn_test_count (b, sql);
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

static guint
length_of (JsonObject *o,
           const char *array)
{
  JsonArray *a = json_object_get_array_member (o, array);

  g_assert_nonnull (a);
  return json_array_get_length (a);
}

/* Tender amount of @type in @o's "tenders", 0 when absent. */
static gint64
tender (JsonObject *o,
        const char *type)
{
  JsonArray *a = json_object_get_array_member (o, "tenders");

  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *t = json_array_get_object_element (a, i);

      if (g_str_equal (json_object_get_string_member (t, "type"), type))
        return json_object_get_int_member (t, "amount_fen");
    }
  return 0;
}

/* Catalogue ------------------------------------------------------------------------ */

static void
test_product_search (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  g_autoptr(JsonObject) by_barcode = NULL, by_sku = NULL, by_name = NULL, fragment = NULL;
  g_autoptr(JsonObject) category = NULL, top = NULL, none = NULL, off = NULL, off_all = NULL;

  by_barcode = mdn_test_ok (b->admin, "{\"op\":\"product.search\",\"query\":\"6901234567890\"}");
  g_assert_cmpuint (length_of (by_barcode, "products"), ==, 1);
  g_assert_cmpstr (mdn_test_str (element (by_barcode, "products", 0), "sku"), ==, "TEA");
  g_assert_cmpstr (mdn_test_str (element (by_barcode, "products", 0), "match"), ==, "barcode");
  g_assert_cmpint (mdn_test_int (element (by_barcode, "products", 0), "price_fen"), ==, 1250);
  g_assert_cmpstr (mdn_test_str (element (by_barcode, "products", 0), "category"), ==, "饮品/茶/绿茶");

  by_sku = mdn_test_ok (b->admin, "{\"op\":\"product.search\",\"query\":\"CUT10\"}");
  g_assert_cmpstr (mdn_test_str (element (by_sku, "products", 0), "sku"), ==, "CUT10");
  g_assert_cmpstr (mdn_test_str (element (by_sku, "products", 0), "match"), ==, "sku");
  g_assert_cmpstr (mdn_test_str (element (by_sku, "products", 0), "package_sku"), ==, "CUT");
  g_assert_cmpint (mdn_test_int (element (by_sku, "products", 0), "package_count"), ==, 10);
  g_assert_cmpint (mdn_test_int (element (by_sku, "products", 0), "package_days"), ==, 30);

  /* Name prefix first, then names containing the fragment. */
  by_name = mdn_test_ok (b->admin, "{\"op\":\"product.search\",\"query\":\"理发\"}");
  g_assert_cmpuint (length_of (by_name, "products"), ==, 4);
  for (guint i = 0; i < 4; i++)
    g_assert_cmpstr (mdn_test_str (element (by_name, "products", i), "match"), ==, "name");
  fragment = mdn_test_ok (b->admin, "{\"op\":\"product.search\",\"query\":\"次卡\"}");
  g_assert_cmpuint (length_of (fragment, "products"), ==, 3);
  g_assert_cmpstr (mdn_test_str (element (fragment, "products", 0), "match"), ==, "contains");

  category = mdn_test_ok (b->admin, "{\"op\":\"product.search\",\"category\":\"饮品\"}");
  g_assert_cmpuint (length_of (category, "products"), ==, 2);
  top = mdn_test_ok (b->admin, "{\"op\":\"product.search\",\"query\":\"茶\",\"category\":\"饮品/汽水\"}");
  g_assert_cmpuint (length_of (top, "products"), ==, 0);
  none = mdn_test_ok (b->admin, "{\"op\":\"product.search\",\"query\":\"nothing-like-this\"}");
  g_assert_cmpuint (length_of (none, "products"), ==, 0);

  /* A product taken off sale is not found, nor sold. */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"product.upsert\",\"sku\":\"COLA\",\"name\":\"可乐\","
                                  "\"price_fen\":300,\"kind\":\"goods\",\"active\":false}"));
  off = mdn_test_ok (b->admin, "{\"op\":\"product.search\",\"query\":\"COLA\"}");
  g_assert_cmpuint (length_of (off, "products"), ==, 0);
  off_all = mdn_test_ok (b->admin, "{\"op\":\"product.search\",\"query\":\"COLA\",\"include_inactive\":true}");
  g_assert_cmpuint (length_of (off_all, "products"), ==, 1);
  mdn_test_fails (b->admin, "unknown_product",
                  "{\"op\":\"sale\",\"lines\":[{\"sku\":\"COLA\",\"qty\":1}],"
                  "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":300}]}");
  done (b);
}

static void
test_product_upsert (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  g_autoptr(JsonObject) r = NULL, found = NULL;

  /* Replaced whole: price and category change, barcode goes. */
  r = mdn_test_ok (b->admin, "{\"op\":\"product.upsert\",\"sku\":\"TEA\",\"name\":\"绿茶 500ml\","
                   "\"price\":\"13.50\",\"kind\":\"goods\",\"category\":\" 饮品 / 茶 \"}");
  g_assert_cmpstr (mdn_test_str (r, "sku"), ==, "TEA");
  found = mdn_test_ok (b->admin, "{\"op\":\"product.search\",\"query\":\"TEA\"}");
  g_assert_cmpint (mdn_test_int (element (found, "products", 0), "price_fen"), ==, 1350);
  g_assert_cmpstr (mdn_test_str (element (found, "products", 0), "category"), ==, "饮品/茶");
  g_assert_true (json_object_get_null_member (element (found, "products", 0), "barcode"));
  g_assert_cmpint (mdn_test_count (b, "SELECT count(*) FROM entries WHERE kind = 'product.upsert'"), ==, 9);

  mdn_test_fails (b->admin, "invalid_argument",
                  "{\"op\":\"product.upsert\",\"sku\":\"X\",\"name\":\"x\",\"price_fen\":1,\"kind\":\"thing\"}");
  mdn_test_fails (b->admin, "invalid_argument",
                  "{\"op\":\"product.upsert\",\"sku\":\"X\",\"name\":\"x\",\"price_fen\":-1,\"kind\":\"goods\"}");
  mdn_test_fails (b->admin, "invalid_argument",
                  "{\"op\":\"product.upsert\",\"sku\":\"X Y\",\"name\":\"x\",\"price_fen\":1,\"kind\":\"goods\"}");
  mdn_test_fails (b->admin, "invalid_argument",
                  "{\"op\":\"product.upsert\",\"sku\":\"X\",\"name\":\"x\",\"price_fen\":1,\"kind\":\"goods\","
                  "\"category\":\"a/b/c/d\"}");
  mdn_test_fails (b->admin, "invalid_argument",
                  "{\"op\":\"product.upsert\",\"sku\":\"X\",\"name\":\"x\",\"price_fen\":1,\"kind\":\"goods\","
                  "\"category\":\"a//c\"}");
  mdn_test_fails (b->admin, "duplicate",
                  "{\"op\":\"product.upsert\",\"sku\":\"X\",\"name\":\"x\",\"price_fen\":1,\"kind\":\"goods\","
                  "\"barcode\":\"COLA\"}");
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"product.upsert\",\"sku\":\"X\",\"name\":\"x\","
                                  "\"price_fen\":1,\"kind\":\"goods\",\"barcode\":\"111\"}"));
  mdn_test_fails (b->admin, "duplicate",
                  "{\"op\":\"product.upsert\",\"sku\":\"Y\",\"name\":\"y\",\"price_fen\":1,\"kind\":\"goods\","
                  "\"barcode\":\"111\"}");
  mdn_test_fails (b->admin, "invalid_argument",
                  "{\"op\":\"product.upsert\",\"sku\":\"P\",\"name\":\"p\",\"price_fen\":1,\"kind\":\"package\","
                  "\"package_count\":3}");
  mdn_test_fails (b->admin, "unknown_product",
                  "{\"op\":\"product.upsert\",\"sku\":\"P\",\"name\":\"p\",\"price_fen\":1,\"kind\":\"package\","
                  "\"package_sku\":\"NOPE\",\"package_count\":3}");
  mdn_test_fails (b->admin, "invalid_argument",
                  "{\"op\":\"product.upsert\",\"sku\":\"P\",\"name\":\"p\",\"price_fen\":1,\"kind\":\"package\","
                  "\"package_sku\":\"TEA\",\"package_count\":3}");
  mdn_test_fails (b->admin, "invalid_argument",
                  "{\"op\":\"product.upsert\",\"sku\":\"P\",\"name\":\"p\",\"price_fen\":1,\"kind\":\"package\","
                  "\"package_sku\":\"CUT\",\"package_count\":0}");
  mdn_test_fails (b->admin, "invalid_argument",
                  "{\"op\":\"product.upsert\",\"sku\":\"P\",\"name\":\"p\",\"price_fen\":1,\"kind\":\"service\","
                  "\"package_count\":3}");
  done (b);
}

static void
test_roles (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  g_autoptr(MdnOpCtx) cashier = mdn_test_staff (b, "c1", "cashier");
  g_autofree char *card = issue (b, "13900000001", "normal", 0);
  g_autoptr(JsonObject) sale = NULL, quick = NULL, start = NULL;

  mdn_test_fails (cashier, "permission_denied",
                  "{\"op\":\"product.upsert\",\"sku\":\"X\",\"name\":\"x\",\"price_fen\":1,\"kind\":\"goods\"}");
  mdn_test_fails (cashier, "permission_denied",
                  "{\"op\":\"plan.upsert\",\"code\":\"P\",\"name\":\"p\",\"unit_minutes\":1,\"unit_price_fen\":1}");
  mdn_test_fails (cashier, "permission_denied",
                  "{\"op\":\"resource.upsert\",\"code\":\"T9\",\"name\":\"t\",\"plan\":\"BIL\"}");
  mdn_test_fails (cashier, "permission_denied",
                  "{\"op\":\"points.adjust\",\"card\":\"%s\",\"delta\":5,\"reason\":\"gift\"}", card);

  sale = mdn_test_ok (cashier, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1}],"
                      "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":1250}]}", card);
  mdn_test_fails (cashier, "permission_denied",
                  "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}", mdn_test_str (sale, "entry_id"));
  quick = mdn_test_ok (cashier, "{\"op\":\"sale.quick\",\"amount_fen\":100,"
                       "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":100}]}");
  start = mdn_test_ok (cashier, "{\"op\":\"timed.start\",\"resource\":\"T1\"}");
  json_object_unref (mdn_test_ok (cashier, "{\"op\":\"timed.stop\",\"session_id\":\"%s\"}",
                                  mdn_test_str (start, "session_id")));
  json_object_unref (mdn_test_ok (cashier, "{\"op\":\"points.redeem\",\"card\":\"%s\",\"points\":12}", card));
  json_object_unref (mdn_test_ok (cashier, "{\"op\":\"product.search\",\"query\":\"TEA\"}"));
  json_object_unref (mdn_test_ok (cashier, "{\"op\":\"receipt.show\",\"receipt_no\":\"%s\"}",
                                  mdn_test_str (sale, "receipt_no")));
  done (b);
}

/* Sale --------------------------------------------------------------------------------- */

static void
test_sale_list_price (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  g_autoptr(JsonObject) r = NULL;

  /* Without a card: list price, no points; the barcode names the product. */
  r = mdn_test_ok (b->admin, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"6901234567890\",\"qty\":2},"
                   "{\"sku\":\"COLA\",\"qty\":3}],\"tenders\":[{\"type\":\"cash\",\"amount_fen\":3400}]}");
  g_assert_cmpint (mdn_test_int (r, "total_fen"), ==, 3400);
  g_assert_cmpint (mdn_test_int (r, "discount_fen"), ==, 0);
  g_assert_cmpint (mdn_test_int (r, "change_fen"), ==, 0);
  g_assert_cmpint (mdn_test_int (r, "points_earned"), ==, 0);
  g_assert_cmpstr (mdn_test_str (r, "receipt_no"), ==, "B01-20261122-0001");
  g_assert_cmpstr (mdn_test_str (element (r, "lines", 0), "sku"), ==, "TEA");
  g_assert_cmpint (mdn_test_int (element (r, "lines", 0), "amount_fen"), ==, 2500);
  g_assert_cmpint (mdn_test_int (element (r, "lines", 1), "amount_fen"), ==, 900);
  /* Goods leave the branch's stock. */
  g_assert_cmpint (stock_of (b, "TEA"), ==, -2);
  g_assert_cmpint (stock_of (b, "COLA"), ==, -3);
  g_assert_cmpint (mdn_test_count (b, "SELECT count(*) FROM stock WHERE branch = 'B01'"), ==, 2);
  done (b);
}

static void
test_sale_member_discount (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  g_autofree char *gold = issue (b, "13900000001", "gold", 0);
  g_autofree char *silver = issue (b, "13900000002", "silver", 0);
  g_autoptr(JsonObject) r = NULL, half = NULL, three = NULL;

  /* gold 88 %: TEA 3 × 12.50 = 37.50 → 33.00; COLA 3.00 → 2.64;
     BAG 2 × 0.50 is no_discount → 1.00. List 41.50, total 36.64. */
  r = mdn_test_ok (b->admin, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"TEA\",\"qty\":3},"
                   "{\"sku\":\"COLA\",\"qty\":1},{\"sku\":\"BAG\",\"qty\":2}],"
                   "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":5000}]}", gold);
  g_assert_cmpint (mdn_test_int (r, "list_total_fen"), ==, 4150);
  g_assert_cmpint (mdn_test_int (r, "total_fen"), ==, 3664);
  g_assert_cmpint (mdn_test_int (r, "discount_fen"), ==, 486);
  g_assert_cmpint (mdn_test_int (r, "change_fen"), ==, 1336);
  g_assert_cmpint (tender (r, "cash"), ==, 3664);
  g_assert_cmpint (mdn_test_int (element (r, "lines", 0), "amount_fen"), ==, 3300);
  g_assert_cmpint (mdn_test_int (element (r, "lines", 1), "amount_fen"), ==, 264);
  g_assert_cmpint (mdn_test_int (element (r, "lines", 2), "amount_fen"), ==, 100);
  g_assert_cmpint (mdn_test_int (element (r, "lines", 2), "percent"), ==, 100);
  /* floor (3664 / 100) × 2 */
  g_assert_cmpint (mdn_test_int (r, "points_earned"), ==, 72);
  g_assert_cmpint (member_int (b, gold, "points"), ==, 72);

  /* Half up, not to even: 1.25 × 90 % = 1.125 → 1.13; 3.75 × 90 % = 3.375 → 3.38. */
  half = mdn_test_ok (b->admin, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"GUM\",\"qty\":1}],"
                      "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":113}]}", silver);
  g_assert_cmpint (mdn_test_int (half, "total_fen"), ==, 113);
  g_assert_cmpint (mdn_test_int (half, "points_earned"), ==, 1);
  three = mdn_test_ok (b->admin, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"GUM\",\"qty\":2},"
                       "{\"sku\":\"GUM\",\"qty\":1}],\"tenders\":[{\"type\":\"wechat\",\"amount_fen\":338}]}", silver);
  g_assert_cmpint (length_of (three, "lines"), ==, 1);
  g_assert_cmpint (mdn_test_int (element (three, "lines", 0), "qty"), ==, 3);
  g_assert_cmpint (mdn_test_int (three, "total_fen"), ==, 338);
  g_assert_cmpint (mdn_test_int (three, "points_earned"), ==, 3);
  g_assert_cmpint (member_int (b, silver, "points"), ==, 4);
  done (b);
}

static void
test_sale_tenders (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  g_autoptr(JsonObject) split = NULL, change = NULL, all = NULL;
#define sale "{\"op\":\"sale\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1}],\"tenders\":[%s]}"

  /* Total 12.50. Short, non-cash over, several non-cash over, none. */
  mdn_test_fails (b->admin, "tender_mismatch", sale, "{\"type\":\"cash\",\"amount_fen\":1000}");
  mdn_test_fails (b->admin, "tender_mismatch", sale, "{\"type\":\"wechat\",\"amount_fen\":1300}");
  mdn_test_fails (b->admin, "tender_mismatch", sale,
                  "{\"type\":\"wechat\",\"amount_fen\":1000},{\"type\":\"bank\",\"amount_fen\":300}");
  mdn_test_fails (b->admin, "tender_mismatch", sale,
                  "{\"type\":\"alipay\",\"amount_fen\":1300},{\"type\":\"cash\",\"amount_fen\":100}");
  mdn_test_fails (b->admin, "tender_mismatch", sale, "");
  mdn_test_fails (b->admin, "invalid_argument", sale, "{\"type\":\"card\",\"amount_fen\":1250}");
  mdn_test_fails (b->admin, "invalid_argument", sale, "{\"type\":\"cash\",\"amount_fen\":0}");
  mdn_test_fails (b->admin, "invalid_argument", sale, "{\"type\":\"cash\",\"amount_fen\":-1250}");
  mdn_test_fails (b->admin, "invalid_argument",
                  "{\"op\":\"sale\",\"lines\":[{\"sku\":\"TEA\",\"qty\":0}],"
                  "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":1250}]}");
  mdn_test_fails (b->admin, "invalid_argument",
                  "{\"op\":\"sale\",\"lines\":[],\"tenders\":[{\"type\":\"cash\",\"amount_fen\":1250}]}");
  mdn_test_fails (b->admin, "unknown_product",
                  "{\"op\":\"sale\",\"lines\":[{\"sku\":\"NOPE\",\"qty\":1}],"
                  "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":1250}]}");
  g_assert_cmpint (stock_of (b, "TEA"), ==, 0);

  /* Exact in two tenders; cash over the rest gives change; the refused
     sales took no receipt number. */
  split = mdn_test_ok (b->admin, sale, "{\"type\":\"cash\",\"amount_fen\":1000},{\"type\":\"alipay\",\"amount_fen\":250}");
  g_assert_cmpstr (mdn_test_str (split, "receipt_no"), ==, "B01-20261122-0001");
  g_assert_cmpint (mdn_test_int (split, "change_fen"), ==, 0);
  change = mdn_test_ok (b->admin, sale, "{\"type\":\"wechat\",\"amount_fen\":1000},{\"type\":\"cash\",\"amount_fen\":500}");
  g_assert_cmpint (mdn_test_int (change, "change_fen"), ==, 250);
  g_assert_cmpint (tender (change, "cash"), ==, 250);
  g_assert_cmpint (tender (change, "wechat"), ==, 1000);
  all = mdn_test_ok (b->admin, sale, "{\"type\":\"cash\",\"amount_fen\":2000},{\"type\":\"cash\",\"amount_fen\":50}");
  g_assert_cmpint (mdn_test_int (all, "change_fen"), ==, 800);
  g_assert_cmpint (length_of (all, "tenders"), ==, 1);
  g_assert_cmpint (tender (all, "cash"), ==, 1250);
  g_assert_cmpstr (mdn_test_str (all, "receipt_no"), ==, "B01-20261122-0003");
  done (b);
#undef sale
}

static void
test_sale_balance (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  /* 100.00 paid in earns 15.00 bonus. */
  g_autofree char *card = issue (b, "13900000001", "normal", 10000);
  g_autoptr(JsonObject) first = NULL, second = NULL, last = NULL;

  g_assert_cmpint (member_int (b, card, "bonus_fen"), ==, 1500);

  /* Principal first: 90.00 leaves 10.00 principal, 15.00 bonus. */
  first = mdn_test_ok (b->admin, "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":9000,"
                       "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":9000}]}", card);
  g_assert_cmpint (mdn_test_int (first, "balance_fen"), ==, 2500);
  g_assert_cmpint (mdn_test_int (first, "points_earned"), ==, 90);
  g_assert_cmpint (member_int (b, card, "principal_fen"), ==, 1000);
  g_assert_cmpint (member_int (b, card, "bonus_fen"), ==, 1500);

  /* Then bonus: 20.00 takes the last 10.00 principal and 10.00 bonus. */
  second = mdn_test_ok (b->admin, "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":2000,"
                        "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":2000}]}", card);
  g_assert_cmpint (member_int (b, card, "principal_fen"), ==, 0);
  g_assert_cmpint (member_int (b, card, "bonus_fen"), ==, 500);
  g_assert_cmpint (mdn_test_count (b, "SELECT count(*) FROM movements WHERE account = 'bonus' AND delta = -1000"), ==, 1);

  mdn_test_fails (b->admin, "insufficient_balance",
                  "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":600,"
                  "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":600}]}", card);
  /* Balance without a card. */
  mdn_test_fails (b->admin, "card_required",
                  "{\"op\":\"sale.quick\",\"amount_fen\":100,\"tenders\":[{\"type\":\"balance\",\"amount_fen\":100}]}");

  last = mdn_test_ok (b->admin, "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":600,"
                      "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":500},{\"type\":\"cash\",\"amount_fen\":100}]}",
                      card);
  g_assert_cmpint (mdn_test_int (last, "balance_fen"), ==, 0);
  g_assert_cmpint (member_int (b, card, "bonus_fen"), ==, 0);
  /* Every tender earns points: 90 + 20 + 6. */
  g_assert_cmpint (member_int (b, card, "points"), ==, 116);
  done (b);
}

static void
test_sale_pin (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  g_autoptr(JsonObject) issued = NULL, cash = NULL, paid = NULL;
  const char *card;

  issued = mdn_test_ok (b->admin, "{\"op\":\"member.issue\",\"name\":\"王五\",\"phone\":\"13900000009\","
                        "\"pin\":\"246800\",\"deposit_fen\":5000}");
  card = mdn_test_str (issued, "card_no");
  mdn_test_fails (b->admin, "pin_required",
                  "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1}],"
                  "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":1250}]}", card);
  mdn_test_fails (b->admin, "wrong_pin",
                  "{\"op\":\"sale\",\"card\":\"%s\",\"pin\":\"135700\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1}],"
                  "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":1250}]}", card);
  /* Cash needs no PIN. */
  cash = mdn_test_ok (b->admin, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1}],"
                      "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":1250}]}", card);
  paid = mdn_test_ok (b->admin, "{\"op\":\"sale\",\"card\":\"%s\",\"pin\":\"246800\","
                      "\"lines\":[{\"sku\":\"TEA\",\"qty\":1}],"
                      "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":1250}]}", card);
  g_assert_cmpint (mdn_test_int (paid, "balance_fen"), ==, 3750);
  done (b);
}

static void
test_sale_card_states (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  g_autofree char *lost = issue (b, "13900000001", "gold", 5000);
  g_autofree char *old = issue (b, "13900000002", "gold", 5000);
  g_autoptr(JsonObject) replaced = NULL, expiring = NULL, anon = NULL;
  const char *expiring_card;
#define buy "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1}]," \
            "\"tenders\":[{\"type\":\"%s\",\"amount_fen\":1100}]}"

  /* A lost card can neither pay nor be used for its discount. */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.lose\",\"card\":\"%s\"}", lost));
  mdn_test_fails (b->admin, "card_lost", buy, lost, "balance");
  mdn_test_fails (b->admin, "card_lost", buy, lost, "cash");

  /* A replaced card number is refused; the new one works. */
  replaced = mdn_test_ok (b->admin, "{\"op\":\"member.replace\",\"card\":\"%s\"}", old);
  mdn_test_fails (b->admin, "card_replaced", buy, old, "balance");
  json_object_unref (mdn_test_ok (b->admin, buy, mdn_test_str (replaced, "card_no"), "balance"));

  /* An expired card. */
  expiring = mdn_test_ok (b->admin, "{\"op\":\"member.issue\",\"name\":\"赵六\",\"phone\":\"13900000003\","
                          "\"level\":\"gold\",\"deposit_fen\":5000,\"expires_on\":\"2026-11-30\"}");
  expiring_card = mdn_test_str (expiring, "card_no");
  json_object_unref (mdn_test_ok (b->admin, buy, expiring_card, "balance"));
  mdn_test_set_now ("2026-12-01T09:00:00+08:00");
  mdn_test_fails (b->admin, "card_expired", buy, expiring_card, "balance");
  mdn_test_fails (b->admin, "card_expired", buy, expiring_card, "cash");
  mdn_test_fails (b->admin, "card_expired",
                  "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"CUT\",\"count\":1}", expiring_card);
  mdn_test_fails (b->admin, "card_expired",
                  "{\"op\":\"points.redeem\",\"card\":\"%s\",\"points\":1}", expiring_card);
  /* Sold without the card: list price. */
  anon = mdn_test_ok (b->admin, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1}],"
                      "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":1250}]}");
  g_assert_cmpint (mdn_test_int (anon, "total_fen"), ==, 1250);
  g_assert_cmpstr (mdn_test_str (anon, "receipt_no"), ==, "B01-20261201-0001");
  done (b);
#undef buy
}

static void
test_sale_receipts (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  g_autoptr(JsonObject) list = NULL, other_day = NULL;
  const char *sale = "{\"op\":\"sale.quick\",\"amount_fen\":100,\"tenders\":[{\"type\":\"cash\",\"amount_fen\":100}]}";

  for (int i = 1; i <= 3; i++)
    {
      g_autoptr(JsonObject) r = mdn_test_ok (b->admin, "%s", sale);
      g_autofree char *want = g_strdup_printf ("B01-20261122-%04d", i);

      g_assert_cmpstr (mdn_test_str (r, "receipt_no"), ==, want);
    }
  mdn_test_set_now ("2026-11-23T08:00:00+08:00");
  {
    g_autoptr(JsonObject) r = mdn_test_ok (b->admin, "%s", sale);

    g_assert_cmpstr (mdn_test_str (r, "receipt_no"), ==, "B01-20261123-0001");
  }
  /* The business date is the branch's: 23:30 UTC is already the 24th in Shanghai. */
  mdn_test_set_now ("2026-11-23T23:30:00+00:00");
  {
    g_autoptr(JsonObject) r = mdn_test_ok (b->admin, "%s", sale);

    g_assert_cmpstr (mdn_test_str (r, "receipt_no"), ==, "B01-20261124-0001");
  }
  list = mdn_test_ok (b->admin, "{\"op\":\"sale.list\",\"date\":\"2026-11-22\"}");
  g_assert_cmpint (mdn_test_int (list, "count"), ==, 3);
  g_assert_cmpint (mdn_test_int (list, "net_fen"), ==, 300);
  other_day = mdn_test_ok (b->admin, "{\"op\":\"sale.list\"}");
  g_assert_cmpstr (mdn_test_str (other_day, "date"), ==, "2026-11-24");
  g_assert_cmpint (mdn_test_int (other_day, "count"), ==, 1);
  g_assert_cmpint (mdn_test_count (b, "SELECT count(DISTINCT receipt_no) FROM receipts"), ==, 5);
  done (b);
}

/* Quick sale ----------------------------------------------------------------------------- */

static void
test_quick (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  g_autofree char *gold = issue (b, "13900000001", "gold", 0);
  g_autoptr(JsonObject) member = NULL, anon = NULL, shown = NULL;

  /* 100.01 × 88 % = 88.0088 → 88.01; floor (88.01) × 2 points. */
  member = mdn_test_ok (b->admin, "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":10001,\"note\":\"茶位费\","
                        "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":10000}]}", gold);
  g_assert_cmpint (mdn_test_int (member, "total_fen"), ==, 8801);
  g_assert_cmpint (mdn_test_int (member, "discount_fen"), ==, 1200);
  g_assert_cmpint (mdn_test_int (member, "change_fen"), ==, 1199);
  g_assert_cmpint (mdn_test_int (member, "points_earned"), ==, 176);
  shown = mdn_test_ok (b->admin, "{\"op\":\"receipt.show\",\"receipt_no\":\"%s\"}", mdn_test_str (member, "receipt_no"));
  g_assert_cmpstr (mdn_test_str (shown, "note"), ==, "茶位费");
  g_assert_cmpint (mdn_test_int (shown, "amount_fen"), ==, 10001);

  anon = mdn_test_ok (b->admin, "{\"op\":\"sale.quick\",\"amount\":\"55.55\","
                      "\"tenders\":[{\"type\":\"bank\",\"amount_fen\":5555}]}");
  g_assert_cmpint (mdn_test_int (anon, "total_fen"), ==, 5555);
  g_assert_cmpint (mdn_test_int (anon, "points_earned"), ==, 0);

  mdn_test_fails (b->admin, "tender_mismatch",
                  "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":10001,"
                  "\"tenders\":[{\"type\":\"wechat\",\"amount_fen\":10001}]}", gold);
  mdn_test_fails (b->admin, "invalid_argument",
                  "{\"op\":\"sale.quick\",\"amount_fen\":0,\"tenders\":[]}");
  done (b);
}

/* Packages --------------------------------------------------------------------------------- */

static void
test_package_buy_consume (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  g_autofree char *card = issue (b, "13900000001", "gold", 0);
  g_autoptr(JsonObject) buy = NULL, use = NULL, show = NULL, lots = NULL;

  /* CUT10 at 88 %: 250.00 → 220.00; 10 uses of CUT until 2026-12-22. */
  buy = mdn_test_ok (b->admin, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"CUT10\",\"qty\":1}],"
                     "\"tenders\":[{\"type\":\"wechat\",\"amount_fen\":22000}]}", card);
  g_assert_cmpint (mdn_test_int (buy, "total_fen"), ==, 22000);
  g_assert_cmpint (mdn_test_int (element (buy, "lines", 0), "uses"), ==, 10);
  g_assert_cmpstr (mdn_test_str (element (buy, "lines", 0), "expires_on"), ==, "2026-12-22");
  g_assert_cmpstr (mdn_test_str (element (buy, "lines", 0), "lot"), ==, "B01-20261122-0001/1");
  g_assert_cmpint (member_uses (b, card, "CUT"), ==, 10);
  /* Buying a package moves no stock. */
  g_assert_cmpint (mdn_test_count (b, "SELECT count(*) FROM stock"), ==, 0);

  use = mdn_test_ok (b->admin, "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"CUT\",\"count\":3}", card);
  g_assert_cmpint (mdn_test_int (use, "remaining"), ==, 7);
  g_assert_cmpint (member_uses (b, card, "CUT"), ==, 7);
  show = mdn_test_ok (b->admin, "{\"op\":\"member.show\",\"card\":\"%s\"}", card);
  g_assert_cmpstr (mdn_test_str (element (show, "packages", 0), "expires_on"), ==, "2026-12-22");

  /* The package's own SKU names the service too. */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"CUT10\","
                                  "\"count\":7}", card));
  mdn_test_fails (b->admin, "insufficient_package",
                  "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"CUT\",\"count\":1}", card);
  mdn_test_fails (b->admin, "unknown_product",
                  "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"NOPE\",\"count\":1}", card);
  mdn_test_fails (b->admin, "invalid_argument",
                  "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"CUT\",\"count\":0}", card);
  lots = mdn_test_ok (b->admin, "{\"op\":\"package.list\",\"card\":\"%s\"}", card);
  g_assert_cmpuint (length_of (lots, "lots"), ==, 0);

  /* A package needs a card. */
  mdn_test_fails (b->admin, "card_required",
                  "{\"op\":\"sale\",\"lines\":[{\"sku\":\"CUT10\",\"qty\":1}],"
                  "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":25000}]}");
  done (b);
}

static void
test_package_topup_order (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  g_autofree char *card = issue (b, "13900000001", "normal", 0);
  g_autoptr(JsonObject) use = NULL, lots = NULL, late = NULL;

  /* Three lots: no expiry (3 uses), 90 days (5), 30 days (2 × 10 = 20). */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"CUT3\",\"qty\":1}],"
                                  "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":8000}]}", card));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"CUT5\",\"qty\":1}],"
                                  "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":14000}]}", card));
  /* 计次续费: buying again adds uses. */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"CUT10\",\"qty\":2}],"
                                  "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":50000}]}", card));
  g_assert_cmpint (member_uses (b, card, "CUT"), ==, 28);

  /* Earliest expiry first: 20 from the 30-day lot, then 2 of the 90-day one. */
  use = mdn_test_ok (b->admin, "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"CUT\",\"count\":22}", card);
  g_assert_cmpuint (length_of (use, "lots"), ==, 2);
  g_assert_cmpstr (mdn_test_str (element (use, "lots", 0), "lot"), ==, "B01-20261122-0003/1");
  g_assert_cmpint (mdn_test_int (element (use, "lots", 0), "count"), ==, 20);
  g_assert_cmpstr (mdn_test_str (element (use, "lots", 1), "lot"), ==, "B01-20261122-0002/1");
  g_assert_cmpint (mdn_test_int (element (use, "lots", 1), "count"), ==, 2);
  lots = mdn_test_ok (b->admin, "{\"op\":\"package.list\",\"card\":\"%s\"}", card);
  g_assert_cmpuint (length_of (lots, "lots"), ==, 2);
  g_assert_cmpint (mdn_test_int (element (lots, "lots", 0), "remaining"), ==, 3);
  g_assert_cmpstr (mdn_test_str (element (lots, "lots", 0), "expires_on"), ==, "2027-02-20");
  g_assert_true (json_object_get_null_member (element (lots, "lots", 1), "expires_on"));

  /* After 90 days the 3 left in that lot are gone; the lot without expiry stays. */
  mdn_test_set_now ("2027-02-21T10:00:00+08:00");
  g_assert_cmpint (member_uses (b, card, "CUT"), ==, 3);
  mdn_test_fails (b->admin, "insufficient_package",
                  "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"CUT\",\"count\":4}", card);
  late = mdn_test_ok (b->admin, "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"CUT\",\"count\":3}", card);
  g_assert_cmpstr (mdn_test_str (element (late, "lots", 0), "lot"), ==, "B01-20261122-0001/1");
  g_assert_cmpint (mdn_test_int (late, "remaining"), ==, 0);
  done (b);
}

static void
test_package_lost_card (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  g_autofree char *card = issue (b, "13900000001", "normal", 0);

  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"CUT3\",\"qty\":1}],"
                                  "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":8000}]}", card));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.lose\",\"card\":\"%s\"}", card));
  mdn_test_fails (b->admin, "card_lost",
                  "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"CUT\",\"count\":1}", card);
  g_assert_cmpint (member_uses (b, card, "CUT"), ==, 3);
  done (b);
}

/* Timed consumption ------------------------------------------------------------------------ */

/* Starts a session on @resource at DAY1 and stops it at @stop_at, paying
 * the charge in cash; returns the stop result. */
static JsonObject *
timed (MdnTestBranch *b,
       const char    *resource,
       const char    *card,
       const char    *stop_at)
{
  g_autoptr(JsonObject) start = NULL;
  g_autoptr(JsonObject) list = NULL;
  g_autofree char *card_arg = card ? g_strdup_printf (",\"card\":\"%s\"", card) : g_strdup ("");
  gint64 charge = -1;

  mdn_test_set_now (DAY1);
  start = mdn_test_ok (b->admin, "{\"op\":\"timed.start\",\"resource\":\"%s\"%s}", resource, card_arg);
  g_assert_cmpstr (mdn_test_str (start, "started_at"), ==, "2026-11-22T10:00:00.000+08:00");
  mdn_test_set_now (stop_at);
  list = mdn_test_ok (b->admin, "{\"op\":\"timed.list\"}");
  for (guint i = 0; i < length_of (list, "sessions"); i++)
    if (g_str_equal (mdn_test_str (element (list, "sessions", i), "session_id"), mdn_test_str (start, "session_id")))
      charge = mdn_test_int (element (list, "sessions", i), "charge_fen");
  g_assert_cmpint (charge, >=, 0);
  if (charge == 0)
    return mdn_test_ok (b->admin, "{\"op\":\"timed.stop\",\"session_id\":\"%s\"}", mdn_test_str (start, "session_id"));
  return mdn_test_ok (b->admin, "{\"op\":\"timed.stop\",\"session_id\":\"%s\","
                      "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":%" G_GINT64_FORMAT "}]}",
                      mdn_test_str (start, "session_id"), charge);
}

static void
test_timed_charge (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  struct {
    const char *resource;
    const char *stop_at;
    gint64 minutes, billable, units, charge;
  } cases[] = {
    /* BIL: 30-minute units of 15.00, 5 free minutes, at least 60, at most 100.00. */
    { "T1", "2026-11-22T10:00:00+08:00", 0, 0, 0, 0 },
    { "T1", "2026-11-22T10:04:30+08:00", 5, 0, 0, 0 },        /* 270 s: 5 minutes, all free */
    { "T1", "2026-11-22T10:05:01+08:00", 6, 60, 2, 3000 },    /* 1 billable minute → 60 */
    { "T1", "2026-11-22T11:05:00+08:00", 65, 60, 2, 3000 },
    { "T1", "2026-11-22T11:05:01+08:00", 66, 61, 3, 4500 },
    { "T1", "2026-11-22T11:36:01+08:00", 97, 92, 4, 6000 },
    { "T1", "2026-11-22T12:45:00+08:00", 165, 160, 6, 9000 },
    { "T1", "2026-11-22T13:05:00+08:00", 185, 180, 6, 9000 },
    { "T1", "2026-11-22T13:06:00+08:00", 186, 181, 7, 10000 }, /* 105.00 capped */
    { "T1", "2026-11-22T20:00:00+08:00", 600, 595, 20, 10000 },
    /* HOUR: 60-minute units of 20.00, nothing free, no minimum, no cap. */
    { "R1", "2026-11-22T10:00:01+08:00", 1, 1, 1, 2000 },
    { "R1", "2026-11-22T11:00:00+08:00", 60, 60, 1, 2000 },
    { "R1", "2026-11-22T11:00:59+08:00", 61, 61, 2, 4000 },
    { "R1", "2026-11-23T10:00:00+08:00", 1440, 1440, 24, 48000 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(JsonObject) r = timed (b, cases[i].resource, NULL, cases[i].stop_at);

      g_test_message ("case %u: %s until %s", i, cases[i].resource, cases[i].stop_at);
      g_assert_cmpint (mdn_test_int (r, "minutes"), ==, cases[i].minutes);
      g_assert_cmpint (mdn_test_int (r, "billable_minutes"), ==, cases[i].billable);
      g_assert_cmpint (mdn_test_int (r, "units"), ==, cases[i].units);
      g_assert_cmpint (mdn_test_int (r, "charge_fen"), ==, cases[i].charge);
      g_assert_cmpint (mdn_test_int (r, "total_fen"), ==, cases[i].charge);
      g_assert_cmpint (mdn_test_int (r, "points_earned"), ==, 0);
    }
  done (b);
}

/* Goods on a running table (timed.add): added, some taken back off,
 * priced at the stop with the time at the member's level, on one receipt;
 * goods leave the shelf with the stop and come back by line; the time is
 * refunded by amount, never the goods'. */
static void
test_timed_goods (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  g_autofree char *gold = issue (b, "13900000011", "gold", 100000);
  g_autoptr(JsonObject) start = NULL, added = NULL, lines = NULL, list = NULL, stop = NULL;
  g_autoptr(JsonObject) show = NULL, back = NULL, time_back = NULL;
  const char *id;

  mdn_test_set_now (DAY1);
  start = mdn_test_ok (b->admin, "{\"op\":\"timed.start\",\"resource\":\"T1\",\"card\":\"%s\"}", gold);
  id = mdn_test_str (start, "session_id");
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"timed.add\",\"session_id\":\"%s\",\"sku\":\"TEA\",\"qty\":2}", id));
  /* By barcode, then one taken back off. */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"timed.add\",\"session_id\":\"%s\",\"sku\":\"6901234567890\"}", id));
  added = mdn_test_ok (b->admin, "{\"op\":\"timed.add\",\"session_id\":\"%s\",\"sku\":\"TEA\",\"qty\":-1}", id);
  g_assert_cmpint (mdn_test_int (added, "qty"), ==, 2);
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"timed.add\",\"session_id\":\"%s\",\"sku\":\"BAG\"}", id));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"timed.add\",\"session_id\":\"%s\",\"sku\":\"COLA\"}", id));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"timed.add\",\"session_id\":\"%s\",\"sku\":\"COLA\",\"qty\":-1}", id));
  /* Refused: more off than on, a package, nothing, an unknown session. */
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"timed.add\",\"session_id\":\"%s\",\"sku\":\"TEA\",\"qty\":-3}", id);
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"timed.add\",\"session_id\":\"%s\",\"sku\":\"CUT10\"}", id);
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"timed.add\",\"session_id\":\"%s\",\"sku\":\"TEA\",\"qty\":0}", id);
  /* The largest and the smallest whole numbers JSON may carry. */
  mdn_test_fails (b->admin, "invalid_argument",
                  "{\"op\":\"timed.add\",\"session_id\":\"%s\",\"sku\":\"TEA\",\"qty\":9223372036854775807}", id);
  mdn_test_fails (b->admin, "invalid_argument",
                  "{\"op\":\"timed.add\",\"session_id\":\"%s\",\"sku\":\"TEA\",\"qty\":-9223372036854775808}", id);
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"timed.add\",\"session_id\":\"%s\",\"sku\":\"TEA\",\"qty\":1000001}", id);
  mdn_test_fails (b->admin, "unknown_product", "{\"op\":\"timed.add\",\"session_id\":\"%s\",\"sku\":\"NOPE\"}", id);
  mdn_test_fails (b->admin, "unknown_session",
                  "{\"op\":\"timed.add\",\"session_id\":\"01a20b14-5100-7000-8000-000000000000\",\"sku\":\"TEA\"}");
  g_assert_cmpint (mdn_test_count (b, "SELECT count(*) FROM entries WHERE kind = 'timed.add'"), ==, 6);
  /* Nothing left the shelf yet. */
  g_assert_cmpint (stock_of (b, "TEA"), ==, 0);

  lines = mdn_test_ok (b->admin, "{\"op\":\"timed.lines\",\"session_id\":\"%s\"}", id);
  g_assert_cmpuint (length_of (lines, "lines"), ==, 2);
  g_assert_cmpstr (mdn_test_str (element (lines, "lines", 0), "name"), ==, "绿茶");
  g_assert_cmpint (mdn_test_int (element (lines, "lines", 0), "qty"), ==, 2);
  g_assert_cmpstr (mdn_test_str (element (lines, "lines", 1), "sku"), ==, "BAG");

  mdn_test_set_now ("2026-11-22T11:05:00+08:00");
  list = mdn_test_ok (b->admin, "{\"op\":\"timed.list\"}");
  g_assert_cmpint (mdn_test_int (element (list, "sessions", 0), "items"), ==, 3);
  /* 65 minutes: 2 units of 15.00 = 30.00 at 88 % = 26.40; TEA 2 × 12.50 at
     88 % = 22.00, BAG 0.50 (no discount): 48.90 on one receipt. */
  stop = mdn_test_ok (b->admin, "{\"op\":\"timed.stop\",\"session_id\":\"%s\","
                      "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":4890}]}", id);
  g_assert_cmpint (mdn_test_int (stop, "time_fen"), ==, 2640);
  g_assert_cmpint (mdn_test_int (stop, "total_fen"), ==, 4890);
  g_assert_cmpint (mdn_test_int (stop, "list_total_fen"), ==, 3000 + 2500 + 50);
  g_assert_cmpuint (length_of (stop, "lines"), ==, 2);
  g_assert_cmpint (mdn_test_int (element (stop, "lines", 0), "amount_fen"), ==, 2200);
  g_assert_cmpint (mdn_test_int (element (stop, "lines", 1), "amount_fen"), ==, 50);
  g_assert_cmpint (stock_of (b, "TEA"), ==, -2);
  g_assert_cmpint (stock_of (b, "BAG"), ==, -1);
  g_assert_cmpint (stock_of (b, "COLA"), ==, 0);
  g_assert_cmpint (member_int (b, gold, "balance_fen"), ==, 100000 + 1500 - 4890);
  mdn_test_fails (b->admin, "unknown_session", "{\"op\":\"timed.add\",\"session_id\":\"%s\",\"sku\":\"TEA\"}", id);

  /* The receipt shows the table, the time and the goods. */
  show = mdn_test_ok (b->admin, "{\"op\":\"receipt.show\",\"receipt_no\":\"%s\"}", mdn_test_str (stop, "receipt_no"));
  g_assert_cmpstr (mdn_test_str (show, "resource_name"), ==, "1号台");
  g_assert_cmpint (mdn_test_int (element (show, "lines", 0), "returnable_qty"), ==, 2);

  /* A tea comes back by line (to the shelf and the balance); the time by
     amount, no more than the time cost. */
  back = mdn_test_ok (b->admin, "{\"op\":\"sale.return\",\"receipt_no\":\"%s\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1}]}",
                      mdn_test_str (stop, "receipt_no"));
  g_assert_cmpint (mdn_test_int (back, "refund_fen"), ==, 1100);
  g_assert_cmpint (stock_of (b, "TEA"), ==, -1);
  mdn_test_fails (b->admin, "return_exceeds", "{\"op\":\"sale.return\",\"receipt_no\":\"%s\",\"amount\":\"26.41\"}",
                  mdn_test_str (stop, "receipt_no"));
  time_back = mdn_test_ok (b->admin, "{\"op\":\"sale.return\",\"receipt_no\":\"%s\",\"amount\":\"26.40\"}",
                           mdn_test_str (stop, "receipt_no"));
  g_assert_false (json_object_get_boolean_member (time_back, "complete"));
  mdn_test_fails (b->admin, "return_exceeds", "{\"op\":\"sale.return\",\"receipt_no\":\"%s\",\"amount\":\"0.01\"}",
                  mdn_test_str (stop, "receipt_no"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"sale.return\",\"receipt_no\":\"%s\","
                                  "\"lines\":[{\"sku\":\"TEA\",\"qty\":1},{\"sku\":\"BAG\",\"qty\":1}]}",
                                  mdn_test_str (stop, "receipt_no")));
  g_assert_cmpint (stock_of (b, "TEA"), ==, 0);
  g_assert_cmpint (member_int (b, gold, "balance_fen"), ==, 100000 + 1500);
  done (b);
}

/* 预付计时: paid up front, counted down with a warning before the end,
 * extended, ended early (nothing more to pay, nothing back by itself) or
 * in overtime (only the time beyond is billed). */
static void
test_timed_prepaid (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  g_autoptr(JsonObject) pre = NULL, list = NULL, ext = NULL, stop = NULL, pre2 = NULL, stop2 = NULL, refund = NULL;
  g_autoptr(JsonObject) normal = NULL;
  const char *id;

  mdn_test_set_now (DAY1);
  /* R1 (HOUR): 60-minute units of 20.00. Two hours: 40.00. */
  mdn_test_fails (b->admin, "tender_mismatch", "{\"op\":\"timed.prepay\",\"resource\":\"R1\",\"minutes\":120}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"timed.prepay\",\"resource\":\"R1\",\"minutes\":0,"
                  "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":0}]}");
  pre = mdn_test_ok (b->admin, "{\"op\":\"timed.prepay\",\"resource\":\"R1\",\"minutes\":120,"
                     "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":4000}]}");
  id = mdn_test_str (pre, "session_id");
  g_assert_cmpint (mdn_test_int (pre, "total_fen"), ==, 4000);
  g_assert_nonnull (mdn_test_str (pre, "receipt_no"));
  mdn_test_fails (b->admin, "resource_busy", "{\"op\":\"timed.start\",\"resource\":\"R1\"}");

  mdn_test_set_now ("2026-11-22T11:54:59+08:00");
  list = mdn_test_ok (b->admin, "{\"op\":\"timed.list\"}");
  g_assert_cmpint (mdn_test_int (list, "warn_minutes"), ==, 5);
  g_assert_cmpint (mdn_test_int (element (list, "sessions", 0), "remaining_seconds"), ==, 301);
  g_assert_false (json_object_get_boolean_member (element (list, "sessions", 0), "ending"));
  g_assert_cmpint (mdn_test_int (element (list, "sessions", 0), "charge_fen"), ==, 0);
  g_clear_pointer (&list, json_object_unref);
  mdn_test_set_now ("2026-11-22T11:55:00+08:00");
  list = mdn_test_ok (b->admin, "{\"op\":\"timed.list\"}");
  g_assert_true (json_object_get_boolean_member (element (list, "sessions", 0), "ending"));

  /* One more hour: 20.00. */
  ext = mdn_test_ok (b->admin, "{\"op\":\"timed.extend\",\"session_id\":\"%s\",\"minutes\":60,"
                     "\"tenders\":[{\"type\":\"wechat\",\"amount_fen\":2000}]}", id);
  g_assert_cmpint (mdn_test_int (ext, "total_fen"), ==, 2000);
  g_assert_cmpint (mdn_test_int (ext, "prepaid_minutes"), ==, 180);

  /* Ended early at 2:30: nothing more to pay, 30 minutes unused. */
  mdn_test_set_now ("2026-11-22T12:30:00+08:00");
  stop = mdn_test_ok (b->admin, "{\"op\":\"timed.stop\",\"session_id\":\"%s\"}", id);
  g_assert_cmpint (mdn_test_int (stop, "total_fen"), ==, 0);
  g_assert_cmpint (mdn_test_int (stop, "unused_minutes"), ==, 30);
  /* The shop may give the unused half hour back: the prepay by amount. */
  refund = mdn_test_ok (b->admin, "{\"op\":\"sale.return\",\"receipt_no\":\"%s\",\"amount\":\"10.00\"}",
                        mdn_test_str (pre, "receipt_no"));
  g_assert_cmpint (mdn_test_int (refund, "refund_fen"), ==, 1000);
  mdn_test_fails (b->admin, "unknown_session", "{\"op\":\"timed.extend\",\"session_id\":\"%s\",\"minutes\":60,"
                  "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":2000}]}", id);

  /* T1 (BIL): an hour prepaid is 30.00 (60 billable minutes after 5 free);
     stopped at 1:40, the overtime is C (100 min) − C (60 min) = 60.00 −
     30.00. */
  mdn_test_set_now (DAY1);
  pre2 = mdn_test_ok (b->admin, "{\"op\":\"timed.prepay\",\"resource\":\"T1\",\"minutes\":60,"
                      "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":3000}]}");
  mdn_test_set_now ("2026-11-22T11:40:00+08:00");
  stop2 = mdn_test_ok (b->admin, "{\"op\":\"timed.stop\",\"session_id\":\"%s\","
                       "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":3000}]}", mdn_test_str (pre2, "session_id"));
  g_assert_cmpint (mdn_test_int (stop2, "total_fen"), ==, 3000);
  g_assert_cmpint (mdn_test_int (stop2, "minutes"), ==, 100);
  g_assert_cmpint (mdn_test_int (stop2, "unused_minutes"), ==, 0);

  /* A session billed at the stop has nothing to extend. */
  normal = mdn_test_ok (b->admin, "{\"op\":\"timed.start\",\"resource\":\"T2\"}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"timed.extend\",\"session_id\":\"%s\",\"minutes\":60,"
                  "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":3000}]}", mdn_test_str (normal, "session_id"));
  done (b);
}

static void
test_timed_member (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  g_autofree char *gold = issue (b, "13900000001", "gold", 0);
  g_autoptr(JsonObject) r = NULL;

  /* 97 minutes of BIL: 60.00 gross, 88 % → 52.80, floor (52.80) × 2 points. */
  r = timed (b, "T1", gold, "2026-11-22T11:36:01+08:00");
  g_assert_cmpint (mdn_test_int (r, "gross_fen"), ==, 6000);
  g_assert_cmpint (mdn_test_int (r, "charge_fen"), ==, 5280);
  g_assert_cmpint (mdn_test_int (r, "discount_fen"), ==, 720);
  g_assert_cmpint (mdn_test_int (r, "points_earned"), ==, 104);
  g_assert_cmpint (member_int (b, gold, "points"), ==, 104);
  done (b);
}

static void
test_timed_busy (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  g_autoptr(JsonObject) first = NULL, other = NULL, again = NULL, resources = NULL;

  first = mdn_test_ok (b->admin, "{\"op\":\"timed.start\",\"resource\":\"T1\"}");
  mdn_test_fails (b->admin, "resource_busy", "{\"op\":\"timed.start\",\"resource\":\"T1\"}");
  other = mdn_test_ok (b->admin, "{\"op\":\"timed.start\",\"resource\":\"T2\"}");
  mdn_test_fails (b->admin, "unknown_resource", "{\"op\":\"timed.start\",\"resource\":\"T9\"}");
  mdn_test_fails (b->admin, "unknown_plan", "{\"op\":\"resource.upsert\",\"code\":\"T9\",\"name\":\"9\",\"plan\":\"NOPE\"}");
  mdn_test_fails (b->admin, "unknown_session",
                  "{\"op\":\"timed.stop\",\"session_id\":\"01a20b14-5100-7000-8000-000000000000\"}");
  resources = mdn_test_ok (b->admin, "{\"op\":\"resource.list\"}");
  g_assert_cmpuint (length_of (resources, "resources"), ==, 3);
  g_assert_true (json_object_get_boolean_member (element (resources, "resources", 1), "busy"));
  g_assert_false (json_object_get_boolean_member (element (resources, "resources", 0), "busy"));

  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"timed.stop\",\"session_id\":\"%s\"}",
                                  mdn_test_str (first, "session_id")));
  mdn_test_fails (b->admin, "unknown_session", "{\"op\":\"timed.stop\",\"session_id\":\"%s\"}",
                  mdn_test_str (first, "session_id"));
  again = mdn_test_ok (b->admin, "{\"op\":\"timed.start\",\"resource\":\"T1\"}");
  g_assert_cmpstr (mdn_test_str (again, "session_id"), !=, mdn_test_str (first, "session_id"));
  g_assert_cmpint (mdn_test_count (b, "SELECT count(*) FROM timed_sessions WHERE stop_entry IS NULL"), ==, 2);
  done (b);
}

static void
test_timed_restart (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) start = NULL, list = NULL, stop = NULL;

  start = mdn_test_ok (b->admin, "{\"op\":\"timed.start\",\"resource\":\"R1\"}");

  /* The program (or the machine) restarts. */
  mdn_op_ctx_free (b->admin);
  mdn_store_free (b->store);
  b->store = mdn_store_open (b->path, &error);
  g_assert_no_error (error);
  b->admin = mdn_op_ctx_new (b->store, "admin", MDN_TEST_PASSWORD, &error);
  g_assert_no_error (error);

  mdn_test_set_now ("2026-11-22T12:30:00+08:00");
  list = mdn_test_ok (b->admin, "{\"op\":\"timed.list\"}");
  g_assert_cmpuint (length_of (list, "sessions"), ==, 1);
  g_assert_cmpstr (mdn_test_str (element (list, "sessions", 0), "session_id"), ==, mdn_test_str (start, "session_id"));
  g_assert_cmpstr (mdn_test_str (element (list, "sessions", 0), "resource_name"), ==, "包间1");
  g_assert_cmpint (mdn_test_int (element (list, "sessions", 0), "minutes"), ==, 150);
  g_assert_cmpint (mdn_test_int (element (list, "sessions", 0), "charge_fen"), ==, 6000);
  mdn_test_fails (b->admin, "resource_busy", "{\"op\":\"timed.start\",\"resource\":\"R1\"}");
  stop = mdn_test_ok (b->admin, "{\"op\":\"timed.stop\",\"session_id\":\"%s\","
                      "\"tenders\":[{\"type\":\"alipay\",\"amount_fen\":6000}]}", mdn_test_str (start, "session_id"));
  g_assert_cmpint (mdn_test_int (stop, "charge_fen"), ==, 6000);
  done (b);
}

static void
test_timed_terms_and_cards (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  g_autofree char *gold = issue (b, "13900000001", "gold", 10000);
  g_autoptr(JsonObject) start = NULL, member_start = NULL, stop = NULL, paid = NULL, show = NULL;

  /* A price change does not reprice a running session. */
  start = mdn_test_ok (b->admin, "{\"op\":\"timed.start\",\"resource\":\"R1\"}");
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"plan.upsert\",\"code\":\"HOUR\",\"name\":\"包间\","
                                  "\"unit_minutes\":60,\"unit_price_fen\":9900}"));
  /* The card shown at the end gives its discount and points. */
  mdn_test_set_now ("2026-11-22T11:00:00+08:00");
  mdn_test_fails (b->admin, "tender_mismatch", "{\"op\":\"timed.stop\",\"session_id\":\"%s\",\"card\":\"%s\","
                  "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":1700}]}", mdn_test_str (start, "session_id"), gold);
  stop = mdn_test_ok (b->admin, "{\"op\":\"timed.stop\",\"session_id\":\"%s\",\"card\":\"%s\","
                      "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":1760}]}", mdn_test_str (start, "session_id"), gold);
  g_assert_cmpint (mdn_test_int (stop, "gross_fen"), ==, 2000);
  g_assert_cmpint (mdn_test_int (stop, "charge_fen"), ==, 1760);
  g_assert_cmpint (mdn_test_int (stop, "points_earned"), ==, 34);
  g_assert_cmpint (mdn_test_count (b, "SELECT count(*) FROM timed_sessions WHERE member_id IS NOT NULL"), ==, 1);

  /* A card lost during the session can no longer pay from its balance. */
  member_start = mdn_test_ok (b->admin, "{\"op\":\"timed.start\",\"resource\":\"R1\",\"card\":\"%s\"}", gold);
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.lose\",\"card\":\"%s\"}", gold));
  mdn_test_set_now ("2026-11-22T12:00:00+08:00");
  mdn_test_fails (b->admin, "card_lost", "{\"op\":\"timed.stop\",\"session_id\":\"%s\","
                  "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":8712}]}", mdn_test_str (member_start, "session_id"));
  /* 99.00 at 88 % = 87.12, paid in cash. */
  paid = mdn_test_ok (b->admin, "{\"op\":\"timed.stop\",\"session_id\":\"%s\","
                      "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":8712}]}", mdn_test_str (member_start, "session_id"));
  g_assert_cmpint (mdn_test_int (paid, "charge_fen"), ==, 8712);
  show = mdn_test_ok (b->admin, "{\"op\":\"receipt.show\",\"entry_id\":\"%s\"}", mdn_test_str (member_start, "session_id"));
  g_assert_cmpstr (mdn_test_str (show, "kind"), ==, "timed.stop");
  g_assert_cmpint (mdn_test_int (show, "unit_price_fen"), ==, 9900);
  done (b);
}

/* Points --------------------------------------------------------------------------------------- */

static void
test_points (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  g_autoptr(MdnOpCtx) manager = mdn_test_staff (b, "m1", "manager");
  g_autofree char *card = issue (b, "13900000001", "normal", 0);
  g_autoptr(JsonObject) redeem = NULL, add = NULL, take = NULL;

  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":12399,"
                                  "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":12399}]}", card));
  g_assert_cmpint (member_int (b, card, "points"), ==, 123);

  redeem = mdn_test_ok (b->admin, "{\"op\":\"points.redeem\",\"card\":\"%s\",\"points\":100,\"gift\":\"毛巾\"}", card);
  g_assert_cmpint (mdn_test_int (redeem, "points"), ==, 23);
  mdn_test_fails (b->admin, "insufficient_points", "{\"op\":\"points.redeem\",\"card\":\"%s\",\"points\":24}", card);
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"points.redeem\",\"card\":\"%s\",\"points\":0}", card);

  add = mdn_test_ok (manager, "{\"op\":\"points.adjust\",\"card\":\"%s\",\"delta\":50,\"reason\":\"生日赠送\"}", card);
  g_assert_cmpint (mdn_test_int (add, "points"), ==, 73);
  mdn_test_fails (manager, "invalid_argument", "{\"op\":\"points.adjust\",\"card\":\"%s\",\"delta\":5}", card);
  mdn_test_fails (manager, "invalid_argument",
                  "{\"op\":\"points.adjust\",\"card\":\"%s\",\"delta\":5,\"reason\":\"  \"}", card);
  mdn_test_fails (manager, "invalid_argument",
                  "{\"op\":\"points.adjust\",\"card\":\"%s\",\"delta\":0,\"reason\":\"x\"}", card);
  mdn_test_fails (manager, "insufficient_points",
                  "{\"op\":\"points.adjust\",\"card\":\"%s\",\"delta\":-74,\"reason\":\"x\"}", card);
  take = mdn_test_ok (manager, "{\"op\":\"points.adjust\",\"card\":\"%s\",\"delta\":-73,\"reason\":\"录入错误\"}", card);
  g_assert_cmpint (mdn_test_int (take, "points"), ==, 0);
  g_assert_cmpint (member_int (b, card, "points"), ==, 0);

  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.lose\",\"card\":\"%s\"}", card));
  mdn_test_fails (b->admin, "card_lost", "{\"op\":\"points.redeem\",\"card\":\"%s\",\"points\":1}", card);
  done (b);
}

/* Returns ---------------------------------------------------------------------------------------- */

static void
test_return_lines (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  g_autofree char *silver = issue (b, "13900000001", "silver", 0);
  g_autoptr(JsonObject) sale = NULL, r1 = NULL, r2 = NULL, r3 = NULL, rest = NULL, shown = NULL;
  const char *id;

  /* silver 90 %: GUM 3 × 1.25 → 3.38, TEA 2 × 12.50 → 22.50; 25.88, 25 points. */
  sale = mdn_test_ok (b->admin, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"GUM\",\"qty\":3},"
                      "{\"sku\":\"TEA\",\"qty\":2}],\"tenders\":[{\"type\":\"cash\",\"amount_fen\":2588}]}", silver);
  id = mdn_test_str (sale, "entry_id");
  g_assert_cmpint (mdn_test_int (sale, "total_fen"), ==, 2588);
  g_assert_cmpint (mdn_test_int (sale, "points_earned"), ==, 25);

  /* What 1 of 3 cost: 1.25 × 90 % = 1.125 → 1.13; points floor (25 × 113 / 2588) = 1. */
  r1 = mdn_test_ok (b->admin, "{\"op\":\"sale.return\",\"entry_id\":\"%s\",\"lines\":[{\"sku\":\"GUM\",\"qty\":1}]}", id);
  g_assert_cmpint (mdn_test_int (r1, "refund_fen"), ==, 113);
  g_assert_cmpint (mdn_test_int (r1, "points_taken"), ==, 1);
  g_assert_cmpint (tender (r1, "cash"), ==, 113);
  g_assert_false (json_object_get_boolean_member (r1, "complete"));
  /* The second costs 2.25 - 1.13 = 1.12, so the three add up to 3.38. */
  r2 = mdn_test_ok (b->admin, "{\"op\":\"sale.return\",\"receipt_no\":\"%s\",\"lines\":[{\"sku\":\"GUM\",\"qty\":1}]}",
                    mdn_test_str (sale, "receipt_no"));
  g_assert_cmpint (mdn_test_int (r2, "refund_fen"), ==, 112);
  g_assert_cmpint (mdn_test_int (r2, "points_taken"), ==, 1);

  mdn_test_fails (b->admin, "return_exceeds",
                  "{\"op\":\"sale.return\",\"entry_id\":\"%s\",\"lines\":[{\"sku\":\"GUM\",\"qty\":2}]}", id);
  mdn_test_fails (b->admin, "return_exceeds",
                  "{\"op\":\"sale.return\",\"entry_id\":\"%s\",\"lines\":[{\"sku\":\"COLA\",\"qty\":1}]}", id);
  mdn_test_fails (b->admin, "return_exceeds",
                  "{\"op\":\"sale.return\",\"entry_id\":\"%s\",\"lines\":[{\"sku\":\"TEA\",\"qty\":2},"
                  "{\"sku\":\"TEA\",\"qty\":1}]}", id);
  mdn_test_fails (b->admin, "invalid_argument",
                  "{\"op\":\"sale.return\",\"entry_id\":\"%s\",\"amount_fen\":100}", id);

  /* floor (25 × 1125 / 2588) = 10 */
  r3 = mdn_test_ok (b->admin, "{\"op\":\"sale.return\",\"entry_id\":\"%s\",\"lines\":[{\"sku\":\"6901234567890\",\"qty\":1}]}", id);
  g_assert_cmpint (mdn_test_int (r3, "refund_fen"), ==, 1125);
  g_assert_cmpint (mdn_test_int (r3, "points_taken"), ==, 10);

  shown = mdn_test_ok (b->admin, "{\"op\":\"receipt.show\",\"receipt_no\":\"%s\"}", mdn_test_str (sale, "receipt_no"));
  g_assert_cmpint (mdn_test_int (element (shown, "lines", 0), "returned_qty"), ==, 2);
  g_assert_cmpint (mdn_test_int (element (shown, "lines", 0), "returnable_qty"), ==, 1);
  g_assert_cmpint (mdn_test_int (element (shown, "lines", 1), "returnable_qty"), ==, 1);
  g_assert_cmpint (mdn_test_int (shown, "refunded_fen"), ==, 1350);
  g_assert_cmpint (mdn_test_int (shown, "refundable_fen"), ==, 1238);
  g_assert_cmpint (mdn_test_int (element (shown, "tenders", 0), "refunded_fen"), ==, 1350);
  g_assert_cmpuint (length_of (shown, "returns"), ==, 3);

  /* The rest: 3.38 - 2.25 + 22.50 - 11.25, and every point left. */
  rest = mdn_test_ok (b->admin, "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}", id);
  g_assert_cmpint (mdn_test_int (rest, "refund_fen"), ==, 1238);
  g_assert_cmpint (mdn_test_int (rest, "points_taken"), ==, 13);
  g_assert_true (json_object_get_boolean_member (rest, "complete"));
  g_assert_cmpint (member_int (b, silver, "points"), ==, 0);
  g_assert_cmpint (stock_of (b, "GUM"), ==, 0);
  g_assert_cmpint (stock_of (b, "TEA"), ==, 0);
  mdn_test_fails (b->admin, "return_exceeds", "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}", id);
  done (b);
}

static void
test_return_tenders (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  g_autofree char *card = issue (b, "13900000001", "normal", 1000);
  g_autoptr(JsonObject) sale = NULL, r1 = NULL, r2 = NULL, r3 = NULL, shown = NULL;
  const char *id;

  sale = mdn_test_ok (b->admin, "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":3500,"
                      "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":2500},{\"type\":\"wechat\",\"amount_fen\":500},"
                      "{\"type\":\"balance\",\"amount_fen\":1000}]}", card);
  id = mdn_test_str (sale, "entry_id");
  g_assert_cmpint (mdn_test_int (sale, "change_fen"), ==, 500);
  g_assert_cmpint (member_int (b, card, "balance_fen"), ==, 0);

  /* Balance first, then the others in the sale's order, each capped. */
  r1 = mdn_test_ok (b->admin, "{\"op\":\"sale.return\",\"entry_id\":\"%s\",\"amount_fen\":1200}", id);
  g_assert_cmpint (length_of (r1, "tenders"), ==, 2);
  g_assert_cmpstr (mdn_test_str (element (r1, "tenders", 0), "type"), ==, "balance");
  g_assert_cmpint (tender (r1, "balance"), ==, 1000);
  g_assert_cmpint (tender (r1, "cash"), ==, 200);
  g_assert_cmpint (member_int (b, card, "principal_fen"), ==, 1000);
  r2 = mdn_test_ok (b->admin, "{\"op\":\"sale.return\",\"entry_id\":\"%s\",\"amount\":\"20.00\"}", id);
  g_assert_cmpint (tender (r2, "cash"), ==, 1800);
  g_assert_cmpint (tender (r2, "wechat"), ==, 200);
  mdn_test_fails (b->admin, "return_exceeds", "{\"op\":\"sale.return\",\"entry_id\":\"%s\",\"amount_fen\":301}", id);
  mdn_test_fails (b->admin, "invalid_argument",
                  "{\"op\":\"sale.return\",\"entry_id\":\"%s\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1}]}", id);
  r3 = mdn_test_ok (b->admin, "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}", id);
  g_assert_cmpint (mdn_test_int (r3, "refund_fen"), ==, 300);
  g_assert_cmpint (tender (r3, "wechat"), ==, 300);
  /* 35 points: floor (35 × 1200 / 3500) = 12, floor (35 × 2000 / 3500) = 20, the last 3. */
  g_assert_cmpint (mdn_test_int (r1, "points_taken"), ==, 12);
  g_assert_cmpint (mdn_test_int (r2, "points_taken"), ==, 20);
  g_assert_cmpint (mdn_test_int (r3, "points_taken"), ==, 3);

  shown = mdn_test_ok (b->admin, "{\"op\":\"receipt.show\",\"entry_id\":\"%s\"}", id);
  g_assert_cmpint (mdn_test_int (shown, "refundable_fen"), ==, 0);
  for (guint i = 0; i < 3; i++)
    g_assert_cmpint (mdn_test_int (element (shown, "tenders", i), "refunded_fen"), ==,
                     mdn_test_int (element (shown, "tenders", i), "amount_fen"));
  mdn_test_fails (b->admin, "return_exceeds", "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}", id);
  done (b);
}

static void
test_return_balance_proportion (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  /* 100.00 principal + 15.00 bonus. */
  g_autofree char *card = issue (b, "13900000001", "normal", 10000);
  g_autoptr(JsonObject) sale = NULL, r1 = NULL, r2 = NULL;
  const char *id;

  /* 105.00 from the balance draws 100.00 principal and 5.00 bonus. */
  sale = mdn_test_ok (b->admin, "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":10500,"
                      "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":10500}]}", card);
  id = mdn_test_str (sale, "entry_id");
  g_assert_cmpint (member_int (b, card, "principal_fen"), ==, 0);
  g_assert_cmpint (member_int (b, card, "bonus_fen"), ==, 1000);

  /* 42.00 back: 10000 × 4200 / 10500 = 40.00 principal, 2.00 bonus. */
  r1 = mdn_test_ok (b->admin, "{\"op\":\"sale.return\",\"entry_id\":\"%s\",\"amount_fen\":4200}", id);
  g_assert_cmpint (mdn_test_int (r1, "principal_fen"), ==, 4000);
  g_assert_cmpint (mdn_test_int (r1, "bonus_fen"), ==, 200);
  g_assert_cmpint (mdn_test_int (r1, "points_taken"), ==, 42);
  /* 0.01 back: round half up (10000 × 4201 / 10500 = 4000.95) → 40.01 principal. */
  r2 = mdn_test_ok (b->admin, "{\"op\":\"sale.return\",\"entry_id\":\"%s\",\"amount_fen\":1}", id);
  g_assert_cmpint (mdn_test_int (r2, "principal_fen"), ==, 1);
  g_assert_cmpint (mdn_test_int (r2, "bonus_fen"), ==, 0);
  g_assert_cmpint (mdn_test_int (r2, "points_taken"), ==, 0);
  /* The rest restores exactly what was drawn. */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}", id));
  g_assert_cmpint (member_int (b, card, "principal_fen"), ==, 10000);
  g_assert_cmpint (member_int (b, card, "bonus_fen"), ==, 1500);
  g_assert_cmpint (member_int (b, card, "points"), ==, 0);
  done (b);
}

static void
test_return_points_negative (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  g_autofree char *card = issue (b, "13900000001", "gold", 0);
  g_autoptr(JsonObject) sale = NULL, back = NULL;

  sale = mdn_test_ok (b->admin, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"TEA\",\"qty\":10}],"
                      "\"tenders\":[{\"type\":\"bank\",\"amount_fen\":11000}]}", card);
  g_assert_cmpint (mdn_test_int (sale, "points_earned"), ==, 220);
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"points.redeem\",\"card\":\"%s\",\"points\":200}", card));
  back = mdn_test_ok (b->admin, "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}", mdn_test_str (sale, "entry_id"));
  g_assert_cmpint (mdn_test_int (back, "refund_fen"), ==, 11000);
  g_assert_cmpint (tender (back, "bank"), ==, 11000);
  g_assert_cmpint (mdn_test_int (back, "points_taken"), ==, 220);
  g_assert_cmpint (mdn_test_int (back, "points"), ==, -200);
  g_assert_cmpint (member_int (b, card, "points"), ==, -200);
  g_assert_cmpint (stock_of (b, "TEA"), ==, 0);
  mdn_test_fails (b->admin, "insufficient_points", "{\"op\":\"points.redeem\",\"card\":\"%s\",\"points\":1}", card);
  done (b);
}

static void
test_return_package (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  g_autofree char *card = issue (b, "13900000001", "normal", 0);
  g_autoptr(JsonObject) two = NULL, whole = NULL, back = NULL, shown = NULL;

  /* An unused package goes back whole. */
  whole = mdn_test_ok (b->admin, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"CUT5\",\"qty\":1}],"
                       "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":14000}]}", card);
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}",
                                  mdn_test_str (whole, "entry_id")));
  g_assert_cmpint (member_uses (b, card, "CUT"), ==, 0);
  g_assert_cmpint (mdn_test_count (b, "SELECT remaining FROM member_packages WHERE lot = 'B01-20261122-0001/1'"), ==, 0);

  /* Two packages of 10, 5 uses taken: one can go back, not the second. */
  two = mdn_test_ok (b->admin, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"CUT10\",\"qty\":2},"
                     "{\"sku\":\"TEA\",\"qty\":1}],\"tenders\":[{\"type\":\"cash\",\"amount_fen\":51250}]}", card);
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"CUT\",\"count\":5}", card));
  mdn_test_fails (b->admin, "package_consumed", "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}", mdn_test_str (two, "entry_id"));
  mdn_test_fails (b->admin, "package_consumed", "{\"op\":\"sale.return\",\"entry_id\":\"%s\","
                  "\"lines\":[{\"sku\":\"CUT10\",\"qty\":2}]}", mdn_test_str (two, "entry_id"));
  shown = mdn_test_ok (b->admin, "{\"op\":\"receipt.show\",\"entry_id\":\"%s\"}", mdn_test_str (two, "entry_id"));
  g_assert_cmpint (mdn_test_int (element (shown, "lines", 0), "returnable_qty"), ==, 1);
  back = mdn_test_ok (b->admin, "{\"op\":\"sale.return\",\"entry_id\":\"%s\",\"lines\":[{\"sku\":\"CUT10\",\"qty\":1}]}",
                      mdn_test_str (two, "entry_id"));
  g_assert_cmpint (mdn_test_int (back, "refund_fen"), ==, 25000);
  g_assert_cmpint (mdn_test_int (element (back, "lines", 0), "uses"), ==, 10);
  g_assert_cmpint (member_uses (b, card, "CUT"), ==, 5);
  mdn_test_fails (b->admin, "package_consumed", "{\"op\":\"sale.return\",\"entry_id\":\"%s\","
                  "\"lines\":[{\"sku\":\"CUT10\",\"qty\":1}]}", mdn_test_str (two, "entry_id"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"sale.return\",\"entry_id\":\"%s\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1}]}",
                                  mdn_test_str (two, "entry_id")));
  done (b);
}

static void
test_return_timed_and_refusals (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  g_autofree char *card = issue (b, "13900000001", "normal", 0);
  g_autoptr(JsonObject) stop = NULL, back = NULL, deposit = NULL, running = NULL;

  stop = timed (b, "R1", NULL, "2026-11-22T11:30:00+08:00");
  g_assert_cmpint (mdn_test_int (stop, "charge_fen"), ==, 4000);
  /* By amount, found by the session's id. */
  back = mdn_test_ok (b->admin, "{\"op\":\"sale.return\",\"entry_id\":\"%s\",\"amount_fen\":1500}",
                      mdn_test_str (stop, "session_id"));
  g_assert_cmpint (mdn_test_int (back, "refund_fen"), ==, 1500);
  g_assert_cmpstr (mdn_test_str (back, "sale_entry"), ==, mdn_test_str (stop, "entry_id"));
  mdn_test_fails (b->admin, "return_exceeds", "{\"op\":\"sale.return\",\"entry_id\":\"%s\",\"amount_fen\":2501}",
                  mdn_test_str (stop, "entry_id"));

  running = mdn_test_ok (b->admin, "{\"op\":\"timed.start\",\"resource\":\"T1\"}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}",
                  mdn_test_str (running, "session_id"));
  mdn_test_fails (b->admin, "unknown_entry",
                  "{\"op\":\"sale.return\",\"entry_id\":\"01a20b14-5100-7000-8000-000000000000\"}");
  mdn_test_fails (b->admin, "unknown_entry", "{\"op\":\"sale.return\",\"receipt_no\":\"B01-20261122-9999\"}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"sale.return\"}");
  deposit = mdn_test_ok (b->admin, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":500}", card);
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}",
                  mdn_test_str (deposit, "entry_id"));
  done (b);
}

/* A sale's arguments are read once into a typed request: lines as given,
 * tenders merged by type with their sum, card and PIN; anything malformed
 * is refused there, before pricing looks at a product. */
static void
test_sale_request (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) args = mdn_json_parse_object (
    "{\"lines\":[{\"sku\":\"TEA\",\"qty\":2},{\"sku\":\"6901234567892\"},{\"sku\":\"TEA\",\"qty\":1}],"
    "\"card\":\"00100000017\",\"pin\":\"123456\","
    "\"tenders\":[{\"type\":\"cash\",\"amount\":\"10.00\"},{\"type\":\"balance\",\"amount\":\"5.50\"},"
    "{\"type\":\"cash\",\"amount\":\"0.50\"}]}", &error);
  g_auto(MdnSaleRequest) req = { 0 };
  const MdnTender *t;

  g_assert_no_error (error);
  g_assert_true (mdn_sale_request_parse (args, TRUE, &req, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (req.lines->len, ==, 3);
  g_assert_cmpstr (g_array_index (req.lines, MdnSaleLineRequest, 0).sku, ==, "TEA");
  g_assert_cmpint (g_array_index (req.lines, MdnSaleLineRequest, 0).qty, ==, 2);
  g_assert_cmpint (g_array_index (req.lines, MdnSaleLineRequest, 1).qty, ==, 1);
  g_assert_cmpstr (req.pay.card, ==, "00100000017");
  g_assert_cmpstr (req.pay.pin, ==, "123456");
  g_assert_cmpint (req.pay.given_fen, ==, 1600);
  g_assert_cmpuint (req.pay.tenders->len, ==, 2);
  t = &g_array_index (req.pay.tenders, MdnTender, 0);
  g_assert_cmpstr (t->type, ==, "cash");
  g_assert_cmpint (t->amount_fen, ==, 1050);
  t = &g_array_index (req.pay.tenders, MdnTender, 1);
  g_assert_cmpstr (t->type, ==, "balance");
  g_assert_cmpint (t->amount_fen, ==, 550);

  {
    static const char *const refused[] = {
      "{\"lines\":[]}",
      "{\"lines\":[{\"qty\":1}]}",
      "{\"lines\":[{\"sku\":\"TEA\",\"qty\":0}]}",
      "{\"lines\":[{\"sku\":\"TEA\"}],\"tenders\":[{\"type\":\"gold\",\"amount\":\"1.00\"}]}",
      "{\"lines\":[{\"sku\":\"TEA\"}],\"tenders\":[{\"type\":\"cash\",\"amount\":\"0.00\"}]}",
      "{\"lines\":[{\"sku\":\"TEA\"}],\"tenders\":{\"type\":\"cash\"}}",
      "{\"lines\":[{\"sku\":\"TEA\"}],\"card\":17}",
    };

    for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
      {
        g_autoptr(JsonObject) bad = mdn_json_parse_object (refused[i], NULL);
        g_auto(MdnSaleRequest) r = { 0 };
        g_autoptr(GError) e = NULL;

        g_assert_nonnull (bad);
        g_assert_false (mdn_sale_request_parse (bad, TRUE, &r, &e));
        g_assert_error (e, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT);
      }
  }
  {
    /* A preview reads the lines and the card only: tenders it doesn't
       read can't refuse it. */
    g_autoptr(JsonObject) preview = mdn_json_parse_object (
      "{\"lines\":[{\"sku\":\"TEA\"}],\"card\":\"00100000017\","
      "\"tenders\":[{\"type\":\"gold\",\"amount\":\"1.00\"}]}", NULL);
    g_auto(MdnSaleRequest) r = { 0 };
    g_autoptr(GError) e = NULL;

    g_assert_true (mdn_sale_request_parse (preview, FALSE, &r, &e));
    g_assert_no_error (e);
    g_assert_cmpstr (r.pay.card, ==, "00100000017");
    g_assert_null (r.pay.pin);
    g_assert_null (r.pay.tenders);
  }
}

/* The commission rule in force for a line is the most specific: one naming
 * the sku, then the longest category the product is in, then the first
 * code; an inactive rule or another kind's never. */
static void
test_commission_rule_order (void)
{
  g_autoptr(MdnTestBranch) b = selling_branch ();
  const char *rules[] = {
    "{\"op\":\"commission_rule.upsert\",\"code\":\"R-ALL\",\"name\":\"all\",\"applies_to\":{\"kind\":\"sale_line\"},\"percent_bp\":100}",
    "{\"op\":\"commission_rule.upsert\",\"code\":\"R-DRINK\",\"name\":\"drink\",\"applies_to\":{\"kind\":\"sale_line\",\"category\":\"饮品\"},\"percent_bp\":200}",
    "{\"op\":\"commission_rule.upsert\",\"code\":\"R-TEA-B\",\"name\":\"tea b\",\"applies_to\":{\"kind\":\"sale_line\",\"category\":\"饮品/茶\"},\"percent_bp\":400}",
    "{\"op\":\"commission_rule.upsert\",\"code\":\"R-TEA-A\",\"name\":\"tea a\",\"applies_to\":{\"kind\":\"sale_line\",\"category\":\"饮品/茶\"},\"percent_bp\":300}",
    "{\"op\":\"commission_rule.upsert\",\"code\":\"R-GUM\",\"name\":\"gum\",\"applies_to\":{\"kind\":\"sale_line\",\"sku\":\"GUM\"},\"percent_bp\":1000}",
    "{\"op\":\"commission_rule.upsert\",\"code\":\"R-DEP\",\"name\":\"deposit\",\"applies_to\":{\"kind\":\"deposit\",\"sku\":\"COLA\"},\"percent_bp\":5000}",
  };
  /* line sku -> the rule that must pay it */
  const char *const want[][2] = { { "TEA", "R-TEA-A" }, { "COLA", "R-DRINK" }, { "GUM", "R-GUM" }, { "BAG", "R-ALL" } };
  g_autoptr(JsonObject) sale = NULL;
  g_autoptr(MdnEntry) entry = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *commission;

  for (guint i = 0; i < G_N_ELEMENTS (rules); i++)
    json_object_unref (mdn_test_ok (b->admin, "%s", rules[i]));
  sale = mdn_test_ok (b->admin, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"TEA\",\"qty\":4},{\"sku\":\"COLA\",\"qty\":5},"
                                "{\"sku\":\"GUM\",\"qty\":8},{\"sku\":\"BAG\",\"qty\":10}],"
                                "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":10000}]}");
  entry = mdn_entry_load (b->store->db, mdn_test_str (sale, "entry_id"), &error);
  g_assert_no_error (error);
  commission = json_object_get_array_member (entry->body, "commission");
  g_assert_cmpuint (json_array_get_length (commission), ==, G_N_ELEMENTS (want));
  for (guint i = 0; i < G_N_ELEMENTS (want); i++)
    {
      JsonObject *c = json_array_get_object_element (commission, i);

      g_assert_cmpstr (mdn_test_str (c, "sku"), ==, want[i][0]);
      g_assert_cmpstr (mdn_test_str (c, "rule"), ==, want[i][1]);
    }
  /* TEA 4 × 12.50 at 3 %, COLA 5 × 3.00 at 2 %, GUM 8 × 1.25 at 10 %, BAG 10 × 0.50 at 1 % */
  g_assert_cmpint (mdn_test_int (json_array_get_object_element (commission, 0), "amount_fen"), ==, 150);
  g_assert_cmpint (mdn_test_int (json_array_get_object_element (commission, 1), "amount_fen"), ==, 30);
  g_assert_cmpint (mdn_test_int (json_array_get_object_element (commission, 2), "amount_fen"), ==, 100);
  g_assert_cmpint (mdn_test_int (json_array_get_object_element (commission, 3), "amount_fen"), ==, 5);
  done (b);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  mdn_branch_init ();
  g_test_add_func ("/selling/product/search", test_product_search);
  g_test_add_func ("/selling/product/upsert", test_product_upsert);
  g_test_add_func ("/selling/roles", test_roles);
  g_test_add_func ("/selling/sale/typed-request", test_sale_request);
  g_test_add_func ("/selling/sale/commission-rule-order", test_commission_rule_order);
  g_test_add_func ("/selling/sale/list-price", test_sale_list_price);
  g_test_add_func ("/selling/sale/member-discount", test_sale_member_discount);
  g_test_add_func ("/selling/sale/tenders", test_sale_tenders);
  g_test_add_func ("/selling/sale/balance", test_sale_balance);
  g_test_add_func ("/selling/sale/pin", test_sale_pin);
  g_test_add_func ("/selling/sale/card-states", test_sale_card_states);
  g_test_add_func ("/selling/sale/receipt-numbers", test_sale_receipts);
  g_test_add_func ("/selling/quick", test_quick);
  g_test_add_func ("/selling/package/buy-consume", test_package_buy_consume);
  g_test_add_func ("/selling/package/topup-expiry-order", test_package_topup_order);
  g_test_add_func ("/selling/package/lost-card", test_package_lost_card);
  g_test_add_func ("/selling/timed/charge", test_timed_charge);
  g_test_add_func ("/selling/timed/member", test_timed_member);
  g_test_add_func ("/selling/timed/busy", test_timed_busy);
  g_test_add_func ("/selling/timed/restart", test_timed_restart);
  g_test_add_func ("/selling/timed/terms-and-cards", test_timed_terms_and_cards);
  g_test_add_func ("/selling/timed/goods", test_timed_goods);
  g_test_add_func ("/selling/timed/prepaid", test_timed_prepaid);
  g_test_add_func ("/selling/points", test_points);
  g_test_add_func ("/selling/return/lines", test_return_lines);
  g_test_add_func ("/selling/return/tenders", test_return_tenders);
  g_test_add_func ("/selling/return/balance-proportion", test_return_balance_proportion);
  g_test_add_func ("/selling/return/points-negative", test_return_points_negative);
  g_test_add_func ("/selling/return/package", test_return_package);
  g_test_add_func ("/selling/return/timed-and-refusals", test_return_timed_and_refusals);
  return g_test_run ();
}
