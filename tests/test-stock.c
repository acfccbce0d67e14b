/* test-stock.c: stock (common/stock/mdn-stock.c, docs/stock.md): each
 * operation and its refusals on a throwaway branch, and a transfer between
 * two branches through the real mendian-server on 127.0.0.1 port 0, with
 * the HQ terminal and the server's stock query. */
#include <string.h>

#include "mdn-db.h"
#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-sync.h"
#include "mdn-test-server.h"

#define DAY "2026-11-20T10:00:00+08:00"

static MdnTestBranch *
stock_branch (const char *code,
              int         number)
{
  MdnTestBranch *b = mdn_test_branch_new (code, number);

  mdn_test_set_now (DAY);
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"product.upsert\",\"sku\":\"TEA\",\"name\":\"绿茶\","
                                            "\"kind\":\"goods\",\"price\":\"15.00\",\"category\":\"饮品/茶\","
                                            "\"barcode\":\"6901234567890\"}"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"product.upsert\",\"sku\":\"COLA\",\"name\":\"可乐\","
                                            "\"kind\":\"goods\",\"price\":\"3.00\",\"category\":\"饮品/汽水\"}"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"product.upsert\",\"sku\":\"CUT\",\"name\":\"剪发\","
                                            "\"kind\":\"service\",\"price\":\"30.00\"}"));
  return b;
}

static gint64
on_hand (MdnTestBranch *b,
         const char    *sku)
{
  g_autoptr(JsonObject) r = mdn_test_ok (b->admin, "{\"op\":\"stock.show\",\"sku\":\"%s\"}", sku);

  return mdn_test_int (r, "on_hand");
}

static gint64
stock_field (MdnTestBranch *b,
             const char    *sku,
             const char    *field)
{
  g_autoptr(JsonObject) r = mdn_test_ok (b->admin, "{\"op\":\"stock.show\",\"sku\":\"%s\"}", sku);

  return mdn_test_int (r, field);
}

static void
done (MdnTestBranch *b)
{
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
  mdn_test_set_now (NULL);
}

static void
receive (MdnTestBranch *b,
         const char    *sku,
         gint64         qty,
         const char    *cost)
{
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"stock.receive\",\"lines\":[{\"sku\":\"%s\",\"qty\":%" G_GINT64_FORMAT
                                            ",\"cost\":\"%s\"}]}", sku, qty, cost));
}

/* Receive ----------------------------------------------------------------------- */

static void
test_receive (void)
{
  g_autoptr(MdnTestBranch) b = stock_branch ("B01", 1);
  g_autoptr(JsonObject) r = NULL;

  r = mdn_test_ok (b->admin, "{\"op\":\"stock.receive\",\"supplier\":\"茶厂\",\"lines\":"
                             "[{\"sku\":\"6901234567890\",\"qty\":10,\"cost\":\"6.00\"},{\"sku\":\"COLA\",\"qty\":24,\"cost_fen\":120}]}");
  g_assert_cmpstr (mdn_test_str (r, "doc_no"), ==, "RK-B01-20261120-0001");
  g_assert_cmpint (mdn_test_int (r, "total_cost_fen"), ==, 10 * 600 + 24 * 120);
  g_assert_cmpint (on_hand (b, "TEA"), ==, 10);
  g_assert_cmpint (on_hand (b, "COLA"), ==, 24);
  g_assert_cmpint (stock_field (b, "TEA", "avg_cost_fen"), ==, 600);

  /* Refused: an archived product, a service, a quantity of 0, a negative
     cost, an unknown product. */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"product.upsert\",\"sku\":\"OLD\",\"name\":\"旧货\","
                                            "\"kind\":\"goods\",\"price\":\"1.00\",\"active\":false}"));
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"stock.receive\",\"lines\":[{\"sku\":\"OLD\",\"qty\":1}]}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"stock.receive\",\"lines\":[{\"sku\":\"CUT\",\"qty\":1}]}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"stock.receive\",\"lines\":[{\"sku\":\"TEA\",\"qty\":0}]}");
  mdn_test_fails (b->admin, "invalid_argument",
                  "{\"op\":\"stock.receive\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1,\"cost_fen\":-1}]}");
  mdn_test_fails (b->admin, "unknown_product", "{\"op\":\"stock.receive\",\"lines\":[{\"sku\":\"NOPE\",\"qty\":1}]}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"stock.receive\",\"lines\":[]}");
  /* A cashier may look, not receive. */
  {
    g_autoptr(MdnOpCtx) cashier = mdn_test_staff (b, "c1", "cashier");

    mdn_test_fails (cashier, "permission_denied", "{\"op\":\"stock.receive\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1}]}");
    json_object_unref (mdn_test_ok (cashier, "{\"op\":\"stock.show\",\"sku\":\"TEA\"}"));
  }
  g_assert_cmpint (on_hand (b, "TEA"), ==, 10);
  done (b);
}

/* The moving average: round_half_up ((have × avg + qty × cost) / (have + qty)). */
static void
test_average_rounding (void)
{
  g_autoptr(MdnTestBranch) b = stock_branch ("B01", 1);

  receive (b, "TEA", 1, "1.00");
  receive (b, "TEA", 1, "1.01");           /* 201 / 2 = 100.5 → 101 (half up) */
  g_assert_cmpint (stock_field (b, "TEA", "avg_cost_fen"), ==, 101);
  receive (b, "TEA", 1, "1.00");           /* (2 × 101 + 100) / 3 = 100.67 → 101 */
  g_assert_cmpint (stock_field (b, "TEA", "avg_cost_fen"), ==, 101);
  receive (b, "TEA", 3, "0.99");           /* (3 × 101 + 297) / 6 = 100 */
  g_assert_cmpint (stock_field (b, "TEA", "avg_cost_fen"), ==, 100);
  receive (b, "COLA", 3, "0.10");
  receive (b, "COLA", 1, "0.11");          /* 41 / 4 = 10.25 → 10 (down below a half) */
  g_assert_cmpint (stock_field (b, "COLA", "avg_cost_fen"), ==, 10);

  /* Nothing on hand: the new cost, whatever came before. */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"stock.issue\",\"reason\":\"other\",\"lines\":[{\"sku\":\"COLA\",\"qty\":4}]}"));
  receive (b, "COLA", 2, "0.50");
  g_assert_cmpint (stock_field (b, "COLA", "avg_cost_fen"), ==, 50);

  /* Without a cost: the product's standard cost (进价), else the average. */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"stock.receive\",\"lines\":[{\"sku\":\"COLA\",\"qty\":2}]}"));
  g_assert_cmpint (stock_field (b, "COLA", "avg_cost_fen"), ==, 50);
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"product.upsert\",\"sku\":\"COLA\",\"name\":\"可乐\","
                                            "\"kind\":\"goods\",\"price\":\"3.00\",\"cost\":\"0.80\"}"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"stock.receive\",\"lines\":[{\"sku\":\"COLA\",\"qty\":4}]}"));
  g_assert_cmpint (stock_field (b, "COLA", "avg_cost_fen"), ==, 65);   /* (4 × 50 + 4 × 80) / 8 */
  done (b);
}

/* Issue, thresholds, list ------------------------------------------------------------ */

static void
test_issue (void)
{
  g_autoptr(MdnTestBranch) b = stock_branch ("B01", 1);
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(JsonObject) low = NULL;

  receive (b, "TEA", 10, "6.00");
  r = mdn_test_ok (b->admin, "{\"op\":\"stock.issue\",\"reason\":\"damage\",\"note\":\"摔碎\","
                             "\"lines\":[{\"sku\":\"TEA\",\"qty\":2},{\"sku\":\"TEA\",\"qty\":1}]}");
  g_assert_cmpstr (mdn_test_str (r, "doc_no"), ==, "CK-B01-20261120-0001");
  g_assert_cmpint (on_hand (b, "TEA"), ==, 7);
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"stock.issue\",\"reason\":\"lost\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1}]}");
  mdn_test_fails (b->admin, "insufficient_stock", "{\"op\":\"stock.issue\",\"reason\":\"internal\",\"lines\":[{\"sku\":\"TEA\",\"qty\":8}]}");
  mdn_test_fails (b->admin, "insufficient_stock", "{\"op\":\"stock.issue\",\"reason\":\"internal\",\"lines\":[{\"sku\":\"COLA\",\"qty\":1}]}");

  /* Thresholds: the list's low-stock filter. */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"stock.limits\",\"sku\":\"TEA\",\"low_stock\":8,\"high_stock\":50}"));
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"stock.limits\",\"sku\":\"TEA\",\"low_stock\":9,\"high_stock\":5}");
  g_assert_cmpint (stock_field (b, "TEA", "low_stock"), ==, 8);
  low = mdn_test_ok (b->admin, "{\"op\":\"stock.list\",\"below_low\":true}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (low, "items")), ==, 1);
  g_clear_pointer (&low, json_object_unref);
  low = mdn_test_ok (b->admin, "{\"op\":\"stock.list\",\"category\":\"饮品\"}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (low, "items")), ==, 2);
  done (b);
}

/* The checkout warns of a sale below zero (the sale is made). */
static void
test_sale_warning (void)
{
  g_autoptr(MdnTestBranch) b = stock_branch ("B01", 1);
  g_autoptr(JsonObject) ok = NULL;
  g_autoptr(JsonObject) warned = NULL;
  JsonArray *w;

  receive (b, "TEA", 3, "6.00");
  ok = mdn_test_ok (b->admin, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"TEA\",\"qty\":3}],"
                              "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":4500}]}");
  g_assert_false (json_object_has_member (ok, "stock_warnings"));
  warned = mdn_test_ok (b->admin, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"TEA\",\"qty\":2}],"
                                  "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":3000}]}");
  w = json_object_get_array_member (warned, "stock_warnings");
  g_assert_nonnull (w);
  g_assert_cmpuint (json_array_get_length (w), ==, 1);
  g_assert_cmpstr (mdn_test_str (json_array_get_object_element (w, 0), "name"), ==, "绿茶");
  g_assert_cmpint (mdn_test_int (json_array_get_object_element (w, 0), "after"), ==, -2);
  g_assert_cmpint (on_hand (b, "TEA"), ==, -2);

  /* The branch's setting “refuse negative stock”: refused, nothing sold. */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"settings.set\",\"key\":\"stock.refuse_negative\",\"value\":true}"));
  mdn_test_fails (b->admin, "insufficient_stock", "{\"op\":\"sale\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1}],"
                                                  "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":1500}]}");
  receive (b, "TEA", 3, "6.00");
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1}],"
                                            "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":1500}]}"));
  g_assert_cmpint (on_hand (b, "TEA"), ==, 0);
  done (b);
}

/* Counts -------------------------------------------------------------------------- */

static char *
start_count (MdnTestBranch *b,
             const char    *category)
{
  g_autoptr(JsonObject) r = NULL;

  if (category)
    r = mdn_test_ok (b->admin, "{\"op\":\"stocktake.start\",\"category\":\"%s\"}", category);
  else
    r = mdn_test_ok (b->admin, "{\"op\":\"stocktake.start\"}");
  return g_strdup (mdn_test_str (r, "count_id"));
}

/* Counted 8 while the books said 10; 2 sold and 5 received before the
 * finish: the finish sets 8 - 2 + 5 = 11, not 8. The last count wins, and
 * what was not counted is untouched. */
static void
test_count_corrected (void)
{
  g_autoptr(MdnTestBranch) b = stock_branch ("B01", 1);
  g_autofree char *id = NULL;
  g_autoptr(JsonObject) sheet = NULL;
  g_autoptr(JsonObject) fin = NULL;

  receive (b, "TEA", 10, "6.00");
  receive (b, "COLA", 24, "1.20");
  id = start_count (b, NULL);
  mdn_test_fails (b->admin, "wrong_state", "{\"op\":\"stocktake.start\"}");
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"stocktake.count\",\"count_id\":\"%s\","
                                            "\"lines\":[{\"sku\":\"6901234567890\",\"counted\":7}]}", id));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"stocktake.count\",\"count_id\":\"%s\","
                                            "\"lines\":[{\"sku\":\"TEA\",\"counted\":8}]}", id));
  sheet = mdn_test_ok (b->admin, "{\"op\":\"stocktake.show\",\"count_id\":\"%s\"}", id);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (sheet, "counted")), ==, 1);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (sheet, "uncounted")), ==, 1);
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"TEA\",\"qty\":2}],"
                                            "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":3000}]}"));
  receive (b, "TEA", 5, "6.00");
  g_assert_cmpint (on_hand (b, "TEA"), ==, 13);
  fin = mdn_test_ok (b->admin, "{\"op\":\"stocktake.finish\",\"count_id\":\"%s\"}", id);
  g_assert_cmpint (mdn_test_int (fin, "adjusted"), ==, 1);
  g_assert_cmpint (on_hand (b, "TEA"), ==, 11);
  g_assert_cmpint (on_hand (b, "COLA"), ==, 24);
  mdn_test_fails (b->admin, "wrong_state", "{\"op\":\"stocktake.finish\",\"count_id\":\"%s\"}", id);
  mdn_test_fails (b->admin, "unknown_stocktake", "{\"op\":\"stocktake.finish\",\"count_id\":\"nope\"}");
  done (b);
}

static void
test_count_cancelled (void)
{
  g_autoptr(MdnTestBranch) b = stock_branch ("B01", 1);
  g_autofree char *id = NULL;
  g_autofree char *id2 = NULL;

  receive (b, "TEA", 10, "6.00");
  id = start_count (b, "饮品/茶");
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"stocktake.count\",\"count_id\":\"%s\","
                                            "\"lines\":[{\"sku\":\"TEA\",\"counted\":1}]}", id));
  /* Outside the count's category. */
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"stocktake.count\",\"count_id\":\"%s\","
                                                "\"lines\":[{\"sku\":\"COLA\",\"counted\":1}]}", id);
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"stocktake.cancel\",\"count_id\":\"%s\"}", id));
  mdn_test_fails (b->admin, "wrong_state", "{\"op\":\"stocktake.finish\",\"count_id\":\"%s\"}", id);
  mdn_test_fails (b->admin, "wrong_state", "{\"op\":\"stocktake.count\",\"count_id\":\"%s\","
                                           "\"lines\":[{\"sku\":\"TEA\",\"counted\":1}]}", id);
  g_assert_cmpint (on_hand (b, "TEA"), ==, 10);
  /* A new count may start once the last is closed. */
  id2 = start_count (b, NULL);
  g_assert_cmpstr (id2, !=, id);
  done (b);
}

/* Transfers on their own: what reaches B02 is B01's entry, applied as the
 * feed applies it. */
static void
feed (MdnTestBranch *from,
      MdnTestBranch *to,
      const char    *entry_id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MdnEntry) e = mdn_entry_load (from->store->db, entry_id, &error);

  g_assert_no_error (error);
  g_assert_true (mdn_db_begin (to->store->db, TRUE, &error));
  g_assert_true (mdn_ledger_apply (to->store->db, e, &error));
  g_assert_true (mdn_db_commit (to->store->db, &error));
}

static void
test_transfer_refusals (void)
{
  g_autoptr(MdnTestBranch) b1 = stock_branch ("B01", 1);
  g_autoptr(MdnTestBranch) b2 = stock_branch ("B02", 2);
  g_autoptr(JsonObject) out = NULL;
  g_autoptr(JsonObject) got = NULL;
  g_autoptr(JsonObject) list = NULL;
  const char *id;

  receive (b1, "TEA", 10, "6.00");
  mdn_test_fails (b1->admin, "invalid_argument", "{\"op\":\"transfer.out\",\"to\":\"B01\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1}]}");
  mdn_test_fails (b1->admin, "invalid_argument", "{\"op\":\"transfer.out\",\"to\":\"B 2\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1}]}");
  mdn_test_fails (b1->admin, "insufficient_stock", "{\"op\":\"transfer.out\",\"to\":\"B02\",\"lines\":[{\"sku\":\"TEA\",\"qty\":11}]}");
  out = mdn_test_ok (b1->admin, "{\"op\":\"transfer.out\",\"to\":\"B02\",\"lines\":[{\"sku\":\"TEA\",\"qty\":4}]}");
  id = mdn_test_str (out, "transfer_id");
  g_assert_cmpint (on_hand (b1, "TEA"), ==, 6);
  g_assert_cmpint (stock_field (b1, "TEA", "in_transit_out"), ==, 4);

  /* Not at B02 yet: nothing to receive. */
  mdn_test_fails (b2->admin, "unknown_transfer", "{\"op\":\"transfer.receive\",\"transfer_id\":\"%s\"}", id);
  feed (b1, b2, mdn_test_str (out, "entry_id"));
  g_assert_cmpint (stock_field (b2, "TEA", "in_transit_in"), ==, 4);
  /* The source can't receive its own transfer. */
  mdn_test_fails (b1->admin, "unknown_transfer", "{\"op\":\"transfer.receive\",\"transfer_id\":\"%s\"}", id);
  mdn_test_fails (b2->admin, "receive_exceeds", "{\"op\":\"transfer.receive\",\"transfer_id\":\"%s\","
                                                "\"lines\":[{\"sku\":\"TEA\",\"qty\":5}]}", id);
  mdn_test_fails (b2->admin, "invalid_argument", "{\"op\":\"transfer.receive\",\"transfer_id\":\"%s\","
                                                 "\"lines\":[{\"sku\":\"COLA\",\"qty\":1}]}", id);
  /* By its document number, all of it. */
  got = mdn_test_ok (b2->admin, "{\"op\":\"transfer.receive\",\"transfer_id\":\"%s\"}", mdn_test_str (out, "doc_no"));
  g_assert_cmpint (mdn_test_int (got, "shortfall"), ==, 0);
  g_assert_cmpint (on_hand (b2, "TEA"), ==, 4);
  g_assert_cmpint (stock_field (b2, "TEA", "in_transit_in"), ==, 0);
  mdn_test_fails (b2->admin, "wrong_state", "{\"op\":\"transfer.receive\",\"transfer_id\":\"%s\"}", id);
  list = mdn_test_ok (b2->admin, "{\"op\":\"transfer.list\",\"status\":\"received\"}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list, "transfers")), ==, 1);
  done (b1);
  g_assert_cmpuint (mdn_test_verify (b2), ==, 0);
}

/* Import ------------------------------------------------------------------------- */

static JsonObject *
import (MdnTestBranch *b,
        const char    *data,
        gssize         len,
        gboolean       preview)
{
  g_autofree char *b64 = g_base64_encode ((const guchar *) data, len < 0 ? strlen (data) : (gsize) len);

  return mdn_test_ok (b->admin, "{\"op\":\"product.import\",\"preview\":%s,\"data_base64\":\"%s\"}",
                      preview ? "true" : "false", b64);
}

/* What Excel in China saves: GB18030, Chinese headers in another order,
 * kinds in words. */
static void
test_import_gb18030 (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("HQ", 0);
  const char *utf8 = "名称,货号,售价,分类,条码,类型,进价\r\n"
                     "龙井茶,LJ01,88.00,饮品/茶,6900000000011,商品,50.00\r\n"
                     "\"洗剪吹, 男士\",CUT01,30,服务项目,,服务,\r\n";
  g_autoptr(GError) error = NULL;
  gsize len = 0;
  g_autofree char *gb = g_convert (utf8, -1, "GB18030", "UTF-8", NULL, &len, &error);
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(JsonObject) found = NULL;
  JsonObject *p;

  g_assert_no_error (error);
  mdn_test_set_now (DAY);
  r = import (b, gb, (gssize) len, FALSE);
  g_assert_cmpstr (mdn_test_str (r, "encoding"), ==, "GB18030");
  g_assert_cmpint (mdn_test_int (r, "imported"), ==, 2);
  g_assert_cmpint (mdn_test_int (r, "created"), ==, 2);
  found = mdn_test_ok (b->admin, "{\"op\":\"product.search\",\"query\":\"6900000000011\",\"exact\":true}");
  p = json_array_get_object_element (json_object_get_array_member (found, "products"), 0);
  g_assert_cmpstr (mdn_test_str (p, "name"), ==, "龙井茶");
  g_assert_cmpint (mdn_test_int (p, "price_fen"), ==, 8800);
  g_assert_cmpstr (mdn_test_str (p, "category"), ==, "饮品/茶");
  g_assert_cmpint (mdn_test_count (b, "SELECT cost_fen FROM products WHERE sku = 'LJ01'"), ==, 5000);
  g_assert_cmpint (mdn_test_count (b, "SELECT COUNT(*) FROM products WHERE sku = 'CUT01' AND kind = 'service' "
                                      "AND name = '洗剪吹, 男士'"), ==, 1);
  /* Master data: product.upsert entries. */
  g_assert_cmpint (mdn_test_count (b, "SELECT COUNT(*) FROM entries WHERE kind = 'product.upsert'"), ==, 2);
  /* The receive takes the standard cost. */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"stock.receive\",\"lines\":[{\"sku\":\"LJ01\",\"qty\":2}]}"));
  g_assert_cmpint (stock_field (b, "LJ01", "avg_cost_fen"), ==, 5000);
  done (b);
}

/* Line 7 is bad (and line 5, a code twice): nothing is imported, the
 * refusal names both lines; the preview lists them. */
static void
test_import_bad_line (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("HQ", 0);
  const char *csv = "sku,name,price,category\n"       /* 1 */
                    "P1,One,1.00,A\n"                 /* 2 */
                    "P2,Two,2.00,A\n"                 /* 3 */
                    "\n"                              /* 4: blank, left out */
                    "P3,Three,3.00,A\n"               /* 5 */
                    "P4,\"Four\nlines\",4.00,A\n"     /* 6-7? no: a quoted newline */
                    "P5,Five,five,A\n"                /* 8 */
                    "P6,Six,6.00,A\n";                /* 9 */
  const char *csv7 = "sku,name,price,category\n"
                     "P1,One,1.00,A\n"
                     "P2,Two,2.00,A\n"
                     "P3,Three,3.00,A\n"
                     "P4,Four,4.00,A\n"
                     "P5,Five,5.00,A\n"
                     "P6,Six,6.00 yuan,A\n"           /* line 7 */
                     "P7,Seven,7.00,A\n";
  g_autoptr(JsonObject) preview = NULL;
  g_autoptr(JsonObject) multi = NULL;
  g_autofree char *b64 = g_base64_encode ((const guchar *) csv7, strlen (csv7));
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) args = NULL;
  g_autoptr(JsonObject) out = NULL;
  JsonArray *errors;

  mdn_test_set_now (DAY);
  mdn_test_fails (b->admin, "import_refused", "{\"op\":\"product.import\",\"data_base64\":\"%s\"}", b64);
  g_assert_cmpint (mdn_test_count (b, "SELECT COUNT(*) FROM products"), ==, 0);
  args = mdn_json_parse_object ("{}", &error);
  json_object_set_string_member (args, "data_base64", b64);
  out = mdn_ops_run (b->admin, "product.import", args, &error);
  g_assert_null (out);
  g_assert_error (error, MDN_ERROR, MDN_ERROR_IMPORT_REFUSED);
  g_assert_nonnull (strstr (error->message, "line 7:"));

  preview = import (b, csv7, -1, TRUE);
  errors = json_object_get_array_member (preview, "errors");
  g_assert_cmpuint (json_array_get_length (errors), ==, 1);
  g_assert_cmpint (mdn_test_int (json_array_get_object_element (errors, 0), "line"), ==, 7);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (preview, "rows")), ==, 6);
  g_assert_cmpint (mdn_test_count (b, "SELECT COUNT(*) FROM products"), ==, 0);

  /* Lines counted through blank lines and quoted newlines. */
  multi = import (b, csv, -1, TRUE);
  errors = json_object_get_array_member (multi, "errors");
  g_assert_cmpuint (json_array_get_length (errors), ==, 1);
  g_assert_cmpint (mdn_test_int (json_array_get_object_element (errors, 0), "line"), ==, 8);
  done (b);
}

static void
test_import_duplicates (void)
{
  g_autoptr(MdnTestBranch) b = stock_branch ("HQ", 0);
  g_autoptr(MdnTestBranch) fresh = NULL;
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(JsonObject) t = NULL;
  g_autoptr(JsonObject) again = NULL;
  JsonArray *errors;

  /* Two rows with one barcode; a barcode another product has. */
  r = import (b, "货号,名称,售价,条码\nX1,甲,1,111\nX2,乙,2,111\nX3,丙,3,6901234567890\n", -1, TRUE);
  errors = json_object_get_array_member (r, "errors");
  g_assert_cmpuint (json_array_get_length (errors), ==, 2);
  g_assert_cmpint (mdn_test_int (json_array_get_object_element (errors, 0), "line"), ==, 3);
  g_assert_cmpint (mdn_test_int (json_array_get_object_element (errors, 1), "line"), ==, 4);
  /* An existing product keeps what the file leaves blank (its category). */
  json_object_unref (import (b, "sku,name,price\nTEA,绿茶(大),16.00\n", -1, FALSE));
  g_assert_cmpint (mdn_test_count (b, "SELECT COUNT(*) FROM products WHERE sku = 'TEA' AND price_fen = 1600 "
                                      "AND category = '饮品/茶' AND barcode = '6901234567890'"), ==, 1);
  done (b);

  /* The template imports as it is. */
  fresh = mdn_test_branch_new ("B09", 9);
  t = mdn_test_ok (fresh->admin, "{\"op\":\"product.import_template\"}");
  again = import (fresh, mdn_test_str (t, "csv"), -1, FALSE);
  g_assert_cmpint (mdn_test_int (again, "imported"), ==, 1);
  g_assert_cmpuint (mdn_test_verify (fresh), ==, 0);
}

/* mendian-cli import products: the same refusal, exit status 1; then the
 * corrected file imports. */
static void
test_import_cli (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("HQ", 0);
  g_autofree char *bad = g_build_filename (b->dir, "bad.csv", NULL);
  g_autofree char *good = g_build_filename (b->dir, "good.csv", NULL);
  g_autofree char *tpl = g_build_filename (b->dir, "tpl.csv", NULL);
  const char *lines = "货号,名称,售价\nP1,一,1\nP2,二,2\nP3,三,3\nP4,四,4\nP5,五,5\n";
  g_autofree char *bad_text = g_strconcat (lines, "P6,六,六元\n", NULL);
  g_autofree char *good_text = g_strconcat (lines, "P6,六,6\n", NULL);
  const char *cli = g_getenv ("MENDIAN_CLI");
  struct { const char *file; int status; const char *needle; } runs[] = {
    { bad, 1, "line 7:" }, { good, 0, "\"imported\":6" },
  };

  g_assert_nonnull (cli);
  g_assert_true (g_file_set_contents (bad, bad_text, -1, NULL));
  g_assert_true (g_file_set_contents (good, good_text, -1, NULL));
  for (guint i = 0; i < G_N_ELEMENTS (runs); i++)
    {
      g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
      g_autoptr(GSubprocess) p = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *out = NULL;

      g_subprocess_launcher_setenv (l, "MENDIAN_PASSWORD", MDN_TEST_PASSWORD, TRUE);
      p = g_subprocess_launcher_spawn (l, &error, cli, "--db", b->path, "--staff", "admin", "import", "products",
                                       runs[i].file, NULL);
      g_assert_no_error (error);
      g_assert_true (g_subprocess_communicate_utf8 (p, NULL, NULL, &out, NULL, &error));
      g_assert_no_error (error);
      g_assert_cmpint (g_subprocess_get_exit_status (p), ==, runs[i].status);
      g_assert_nonnull (strstr (out, runs[i].needle));
      g_assert_cmpint (mdn_test_count (b, "SELECT COUNT(*) FROM products"), ==, i == 0 ? 0 : 6);
    }
  {
    g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
    g_autoptr(GSubprocess) p = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree char *text = NULL;

    g_subprocess_launcher_setenv (l, "MENDIAN_PASSWORD", MDN_TEST_PASSWORD, TRUE);
    p = g_subprocess_launcher_spawn (l, &error, cli, "--db", b->path, "--staff", "admin", "import", "template", tpl, NULL);
    g_assert_no_error (error);
    g_assert_true (g_subprocess_wait_check (p, NULL, &error));
    g_assert_true (g_file_get_contents (tpl, &text, NULL, NULL));
    g_assert_true (g_str_has_prefix (text, "\xef\xbb\xbf货号,名称,售价"));
  }
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
}

/* Two branches and HQ through the server -------------------------------------------- */

static JsonObject *
transfer_at (MdnTestBranch *b)
{
  g_autoptr(JsonObject) list = mdn_test_ok (b->admin, "{\"op\":\"transfer.list\"}");
  JsonArray *a = json_object_get_array_member (list, "transfers");

  g_assert_cmpuint (json_array_get_length (a), ==, 1);
  return json_object_ref (json_array_get_object_element (a, 0));
}

static gint64
server_on_hand (JsonArray  *rows,
                const char *branch,
                const char *sku,
                const char *field)
{
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *r = json_array_get_object_element (rows, i);

      if (g_str_equal (mdn_test_str (r, "branch"), branch) && g_str_equal (mdn_test_str (r, "sku"), sku))
        return mdn_test_int (r, field);
    }
  return G_MININT64;
}

/* B01 sends 10 to B02 while B02 is offline; B02 receives 9; both sync:
 * the shortfall of 1 shows at B01, B02 and the server, the server's stock
 * of each branch is the branch's own, verify is clean everywhere. */
static void
test_transfer_sync (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("stock", NULL);
  g_autoptr(MdnTestBranch) hq = mdn_test_server_branch_new (s, "HQ", 0, TRUE);
  g_autoptr(MdnTestBranch) b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  g_autoptr(MdnTestBranch) b2 = mdn_test_server_branch_new (s, "B02", 2, FALSE);
  g_autoptr(JsonObject) out = NULL;
  g_autoptr(JsonObject) t1 = NULL;
  g_autoptr(JsonObject) t2 = NULL;
  g_autoptr(JsonObject) stock = NULL;
  g_autoptr(JsonObject) transfers = NULL;
  g_autoptr(JsonObject) tea = NULL;
  g_autofree char *id = NULL;
  JsonArray *rows;
  MdnTestBranch *all[] = { hq, b1, b2 };

  mdn_test_set_now (DAY);
  /* The chain's product, from head office. */
  json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"product.upsert\",\"sku\":\"TEA\",\"name\":\"绿茶\","
                                             "\"kind\":\"goods\",\"price\":\"15.00\",\"category\":\"饮品/茶\"}"));
  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    mdn_test_sync_ok (all[i]);
  mdn_test_sync_ok (hq);

  receive (b1, "TEA", 30, "6.00");
  /* Every stock kind goes through the server's checks. */
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"stock.issue\",\"reason\":\"damage\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1}]}"));
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"stock.limits\",\"sku\":\"TEA\",\"low_stock\":5}"));
  {
    g_autofree char *c1 = start_count (b1, NULL);
    g_autofree char *c2 = NULL;

    json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"stocktake.count\",\"count_id\":\"%s\","
                                               "\"lines\":[{\"sku\":\"TEA\",\"counted\":30}]}", c1));
    json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"stocktake.finish\",\"count_id\":\"%s\"}", c1));
    c2 = start_count (b1, NULL);
    json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"stocktake.cancel\",\"count_id\":\"%s\"}", c2));
  }
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1}],"
                                             "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":1500}]}"));
  out = mdn_test_ok (b1->admin, "{\"op\":\"transfer.out\",\"to\":\"B02\",\"note\":\"补货\","
                                "\"lines\":[{\"sku\":\"TEA\",\"qty\":10}]}");
  id = g_strdup (mdn_test_str (out, "transfer_id"));
  /* B02 is offline: it can't receive what it hasn't got. */
  mdn_test_fails (b2->admin, "unknown_transfer", "{\"op\":\"transfer.receive\",\"transfer_id\":\"%s\"}", id);
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (hq);
  mdn_test_sync_ok (b2);
  /* The HQ terminal's feed doesn't carry it; B02's does. */
  g_assert_cmpint (mdn_test_count (hq, "SELECT COUNT(*) FROM transfers"), ==, 0);
  g_assert_cmpint (stock_field (b2, "TEA", "in_transit_in"), ==, 10);
  {
    g_autoptr(JsonObject) chain = NULL;

    g_assert_cmpuint (mdn_test_http (s, "GET", "/api/v1/transfers?status=in_transit", s->hq_token, NULL, 0, &chain), ==, 200);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (chain, "transfers")), ==, 1);
  }

  json_object_unref (mdn_test_ok (b2->admin, "{\"op\":\"transfer.receive\",\"transfer_id\":\"%s\","
                                             "\"lines\":[{\"sku\":\"TEA\",\"qty\":9}]}", id));
  mdn_test_sync_ok (b2);
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (hq);

  t1 = transfer_at (b1);
  t2 = transfer_at (b2);
  g_assert_cmpstr (mdn_test_str (t1, "status"), ==, "shortfall");
  g_assert_cmpstr (mdn_test_str (t2, "status"), ==, "shortfall");
  g_assert_cmpint (mdn_test_int (t1, "shortfall"), ==, 1);
  g_assert_cmpint (mdn_test_int (t2, "shortfall"), ==, 1);
  g_assert_cmpint (on_hand (b1, "TEA"), ==, 19);
  g_assert_cmpint (on_hand (b2, "TEA"), ==, 9);
  g_assert_cmpint (stock_field (b1, "TEA", "in_transit_out"), ==, 0);

  g_assert_cmpuint (mdn_test_http (s, "GET", "/api/v1/transfers?status=shortfall", s->hq_token, NULL, 0, &transfers), ==, 200);
  rows = json_object_get_array_member (transfers, "transfers");
  g_assert_cmpuint (json_array_get_length (rows), ==, 1);
  g_assert_cmpint (mdn_test_int (json_array_get_object_element (rows, 0), "shortfall"), ==, 1);

  /* The server's stock of each branch is the branch's own. */
  g_assert_cmpuint (mdn_test_http (s, "GET", "/api/v1/stock?sku=TEA", s->hq_token, NULL, 0, &stock), ==, 200);
  rows = json_object_get_array_member (stock, "rows");
  g_assert_cmpint (server_on_hand (rows, "B01", "TEA", "on_hand"), ==, 19);
  g_assert_cmpint (server_on_hand (rows, "B02", "TEA", "on_hand"), ==, 9);
  g_assert_cmpint (server_on_hand (rows, "B01", "TEA", "in_transit_out"), ==, 0);
  g_assert_cmpuint (mdn_test_http (s, "GET", "/api/v1/stock?category=饮品&branch=B02", s->hq_token, NULL, 0, &tea), ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (tea, "rows")), ==, 1);
  /* ... and the sum of every stock movement it holds. */
  g_assert_cmpint (mdn_test_server_count (s, "SELECT COUNT(*) FROM stock k LEFT JOIN "
                                             "(SELECT e.branch, m.item, SUM (m.delta) v FROM movements m "
                                             "JOIN entries e ON e.id = m.entry_id WHERE m.account = 'stock' "
                                             "GROUP BY e.branch, m.item) s ON s.branch = k.branch AND s.item = k.item "
                                             "WHERE k.qty IS NOT s.v"), ==, 0);
  /* The query is head office's: a branch's token is refused, the HQ
     terminal's accepted. */
  g_assert_cmpuint (mdn_test_http (s, "GET", "/api/v1/stock", g_hash_table_lookup (s->tokens, "B01"), NULL, 0, NULL), ==, 401);
  g_assert_cmpuint (mdn_test_http (s, "GET", "/api/v1/stock", g_hash_table_lookup (s->tokens, "HQ"), NULL, 0, NULL), ==, 200);

  /* The HQ terminal's chain stock screen asks the server. */
  {
    g_autoptr(JsonObject) chain = mdn_test_ok (hq->admin, "{\"op\":\"stock.chain\",\"sku\":\"TEA\"}");

    g_assert_cmpint (server_on_hand (json_object_get_array_member (chain, "rows"), "B02", "TEA", "on_hand"), ==, 9);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (chain, "transfers")), ==, 0);
    mdn_test_fails (b1->admin, "hq_only", "{\"op\":\"stock.chain\"}");
  }

  for (guint i = 0; i < G_N_ELEMENTS (all); i++)
    g_assert_cmpuint (mdn_test_verify (all[i]), ==, 0);
  mdn_test_set_now (NULL);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);
  mdn_branch_init ();

  g_test_add_func ("/stock/receive", test_receive);
  g_test_add_func ("/stock/receive/average-rounding", test_average_rounding);
  g_test_add_func ("/stock/issue", test_issue);
  g_test_add_func ("/stock/sale/warning", test_sale_warning);
  g_test_add_func ("/stock/stocktake/corrected-for-sale", test_count_corrected);
  g_test_add_func ("/stock/stocktake/cancelled", test_count_cancelled);
  g_test_add_func ("/stock/transfer/refusals", test_transfer_refusals);
  g_test_add_func ("/stock/transfer/sync", test_transfer_sync);
  g_test_add_func ("/stock/import/gb18030", test_import_gb18030);
  g_test_add_func ("/stock/import/bad-line-7", test_import_bad_line);
  g_test_add_func ("/stock/import/duplicates", test_import_duplicates);
  g_test_add_func ("/stock/import/cli", test_import_cli);
  return g_test_run ();
}
