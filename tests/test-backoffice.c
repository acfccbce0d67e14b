/* test-backoffice.c: the back office (系统设置): roles as data, head-office
 * master data at a branch, the shop's details, products and categories,
 * member edits, upgrade by spend, and the operation log. The chain cases
 * run the real mendian-server on loopback. */
#include <glib/gstdio.h>
#include <string.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-ops.h"
#include "mdn-settings.h"
#include "mdn-sync.h"
#include "mdn-test-server.h"
#include "mdn-test-util.h"

static char *
issue (MdnOpCtx   *ctx,
       const char *phone,
       const char *extra)
{
  g_autoptr(JsonObject) r = mdn_test_ok (ctx, "{\"op\":\"member.issue\",\"name\":\"张三\",\"phone\":\"%s\"%s}",
                                         phone, extra ? extra : "");

  return g_strdup (mdn_test_str (r, "card_no"));
}

static JsonObject *
run (MdnOpCtx   *ctx,
     const char *line)
{
  return mdn_ops_run_line (ctx, line);
}

static const char *
error_message (JsonObject *out)
{
  return json_object_get_string_member (json_object_get_object_member (out, "error"), "message");
}

/* Roles ------------------------------------------------------------------------------ */

/* A role made of an operation, a group and a default set: allowed what it
 * names, refused the rest in words (its name, what the operation does). */
static void
test_custom_role (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new_full ("HQ", 0, TRUE);
  g_autoptr(MdnOpCtx) s1 = NULL;
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(JsonObject) out = NULL;
  g_autofree char *card = issue (b->admin, "13800000001", ",\"deposit_fen\":10000");

  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"role.upsert\",\"code\":\"senior\",\"name\":\"高级收银\","
                                            "\"permissions\":[\"@cashier\",\"member.withdraw\",\"catalog.*\"]}"));
  s1 = mdn_test_staff (b, "s1", "senior");
  /* member.withdraw (a manager's by default) by name; level.upsert by group. */
  json_object_unref (mdn_test_ok (s1, "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount_fen\":100}", card));
  json_object_unref (mdn_test_ok (s1, "{\"op\":\"level.upsert\",\"code\":\"gold\",\"name\":\"金卡\","
                                      "\"price_percent\":90,\"points_per_yuan\":2}"));
  /* A cashier's operation by the default set. */
  json_object_unref (mdn_test_ok (s1, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":100}", card));
  /* Not named: refused, saying who and what in words, not the op name. */
  out = run (s1, "{\"op\":\"member.extend\",\"card\":\"x\",\"expires_on\":\"2030-01-01\"}");
  g_assert_false (json_object_get_boolean_member (out, "ok"));
  g_assert_nonnull (strstr (error_message (out), "高级收银"));
  g_assert_nonnull (strstr (error_message (out), "extend a card"));
  g_assert_null (strstr (error_message (out), "member.extend"));
  mdn_test_fails (s1, "permission_denied", "{\"op\":\"staff.list\"}");
  mdn_test_fails (s1, "permission_denied", "{\"op\":\"points.adjust\",\"card\":\"%s\",\"points\":5,\"reason\":\"x\"}", card);
  g_assert_cmpint (mdn_test_count (b, "SELECT count (*) FROM oplog WHERE staff = 's1' AND detail = 'permission_denied'"), ==, 3);

  /* The role changes while s1 is logged in: the next operation sees it. */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"role.upsert\",\"code\":\"senior\",\"name\":\"高级收银\","
                                            "\"permissions\":[\"@cashier\"]}"));
  mdn_test_fails (s1, "permission_denied", "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount_fen\":100}", card);

  /* role.show: what the permissions come to, per operation and group. */
  r = mdn_test_ok (b->admin, "{\"op\":\"role.show\",\"code\":\"manager\"}");
  g_assert_cmpint (mdn_test_int (r, "staff"), ==, 0);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (r, "operations")), >, 30);

  /* Unknown permissions and roles are refused. */
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"role.upsert\",\"code\":\"x\",\"name\":\"X\",\"permissions\":[\"nope.*\"]}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"role.upsert\",\"code\":\"x\",\"name\":\"X\",\"permissions\":[\"member.fly\"]}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"role.upsert\",\"code\":\"x y\",\"name\":\"X\",\"permissions\":[]}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"staff.add\",\"code\":\"s2\",\"name\":\"x\",\"role\":\"ghost\",\"password\":\"longenough\"}");
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
}

/* admin holds everything and stays; a role held by someone stays. */
static void
test_admin_and_removal (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new_full ("HQ", 0, TRUE);
  g_autoptr(MdnOpCtx) s1 = NULL;
  g_autoptr(JsonObject) r = NULL;

  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"role.upsert\",\"code\":\"admin\",\"name\":\"A\",\"permissions\":[]}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"role.upsert\",\"code\":\"admin\",\"name\":\"A\",\"permissions\":[\"@manager\"]}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"role.remove\",\"code\":\"admin\"}");
  /* Its name may change; it still holds everything. */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"role.upsert\",\"code\":\"admin\",\"name\":\"老板\"}"));
  g_assert_cmpint (mdn_test_count (b, "SELECT count (*) FROM roles WHERE code = 'admin' AND name = '老板' "
                                      "AND permissions = '[\"*\"]'"), ==, 1);

  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"role.upsert\",\"code\":\"temp\",\"name\":\"临时工\","
                                            "\"permissions\":[\"sale\",\"product.search\"]}"));
  s1 = mdn_test_staff (b, "s1", "temp");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"role.remove\",\"code\":\"temp\"}");
  /* staff.update moves s1; then the role goes. */
  r = mdn_test_ok (b->admin, "{\"op\":\"staff.update\",\"code\":\"s1\",\"role\":\"cashier\",\"name\":\"小李\"}");
  g_assert_cmpstr (mdn_test_str (r, "role"), ==, "cashier");
  g_assert_cmpstr (mdn_test_str (r, "name"), ==, "小李");
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"role.remove\",\"code\":\"temp\"}"));
  g_assert_cmpint (mdn_test_count (b, "SELECT count (*) FROM roles"), ==, 3);
  /* The last administrator keeps the role. */
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"staff.update\",\"code\":\"admin\",\"role\":\"manager\"}");
  mdn_test_fails (b->admin, "unknown_staff", "{\"op\":\"staff.update\",\"code\":\"nobody\",\"name\":\"x\"}");
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
}

/* Head office's roles and settings reach a branch; the branch may not
 * write chain master data unless it asks for a branch override. */
static void
test_chain_master_data (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("backoffice", NULL);
  g_autoptr(MdnTestBranch) hq = mdn_test_server_branch_new (s, "HQ", 0, TRUE);
  g_autoptr(MdnTestBranch) b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  g_autoptr(MdnOpCtx) s1 = NULL;
  g_autoptr(JsonObject) r = NULL;

  json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"role.upsert\",\"code\":\"stock_clerk\",\"name\":\"库管\","
                                             "\"permissions\":[\"@cashier\",\"catalog.*\"]}"));
  json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"settings.set\",\"key\":\"member.pin_length\",\"value\":\"4\"}"));
  json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"product.upsert\",\"sku\":\"TEA\",\"name\":\"绿茶\","
                                             "\"kind\":\"goods\",\"price\":\"12.50\"}"));
  mdn_test_sync_ok (hq);
  mdn_test_sync_ok (b1);
  g_assert_cmpint (mdn_test_count (b1, "SELECT count (*) FROM roles WHERE code = 'stock_clerk'"), ==, 1);
  /* The HQ setting is in force at the branch: a 4-digit PIN. */
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"x\",\"phone\":\"13800000009\","
                                             "\"pin\":\"1234\"}"));
  s1 = mdn_test_staff (b1, "k1", "stock_clerk");

  /* A branch writes chain master data only as an override. */
  r = run (b1->admin, "{\"op\":\"product.update\",\"sku\":\"TEA\",\"price\":\"9.90\"}");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (r, "error"), "code"), ==, "hq_only");
  g_clear_pointer (&r, json_object_unref);
  mdn_test_fails (b1->admin, "hq_only", "{\"op\":\"role.upsert\",\"code\":\"x\",\"name\":\"X\",\"permissions\":[\"sale\"]}");
  mdn_test_fails (s1, "hq_only", "{\"op\":\"category.upsert\",\"path\":\"饮品\"}");
  mdn_test_fails (b1->admin, "hq_only", "{\"op\":\"settings.set\",\"key\":\"member.pin_length\",\"value\":\"6\"}");
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"product.update\",\"local\":true,\"sku\":\"TEA\",\"price\":\"9.90\"}"));
  g_assert_cmpint (mdn_test_count (b1, "SELECT price_fen FROM products WHERE sku = 'TEA'"), ==, 990);
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (hq);
  g_assert_cmpint (mdn_test_count (hq, "SELECT price_fen FROM products WHERE sku = 'TEA'"), ==, 1250);
  g_assert_cmpint (mdn_test_count (b1, "SELECT count (*) FROM oplog WHERE detail = 'hq_only'"), ==, 4);

  /* A role removed at head office leaves its holders with nothing. */
  json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"role.remove\",\"code\":\"stock_clerk\"}"));
  mdn_test_sync_ok (hq);
  mdn_test_sync_ok (b1);
  mdn_test_fails (s1, "permission_denied", "{\"op\":\"product.search\",\"query\":\"茶\"}");
  g_assert_cmpuint (mdn_test_verify (b1), ==, 0);
  g_assert_cmpuint (mdn_test_verify (hq), ==, 0);
}

/* Shop, products, categories ------------------------------------------------------------ */

static void
test_shop (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(MdnOpCtx) cashier = mdn_test_staff (b, "c1", "cashier");
  g_autoptr(JsonObject) r = NULL;

  r = mdn_test_ok (b->admin, "{\"op\":\"shop.update\",\"address\":\"人民路 1 号\",\"receipt_footer\":\"谢谢惠顾\"}");
  g_assert_cmpstr (mdn_test_str (r, "name"), ==, "B01");
  g_assert_cmpstr (mdn_test_str (r, "receipt_footer"), ==, "谢谢惠顾");
  g_clear_pointer (&r, json_object_unref);
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"shop.update\",\"name\":\"  \"}");
  mdn_test_fails (cashier, "permission_denied", "{\"op\":\"shop.update\",\"phone\":\"1\"}");
  r = mdn_test_ok (cashier, "{\"op\":\"shop.show\"}");
  g_assert_cmpstr (mdn_test_str (r, "address"), ==, "人民路 1 号");
  g_assert_cmpstr (mdn_test_str (r, "receipt_header"), ==, "");
}

static void
test_product_update (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(JsonObject) r = NULL;
  JsonObject *p;

  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"product.upsert\",\"sku\":\"TEA\",\"name\":\"绿茶\",\"kind\":\"goods\","
                                            "\"price\":\"12.50\",\"category\":\"饮品/茶\",\"barcode\":\"6901234567890\","
                                            "\"no_discount\":true}"));
  /* Only the price changes: category, barcode and no_discount stay. */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"product.update\",\"sku\":\"TEA\",\"price\":\"13.00\"}"));
  r = mdn_test_ok (b->admin, "{\"op\":\"product.search\",\"query\":\"TEA\",\"exact\":true}");
  p = json_array_get_object_element (json_object_get_array_member (r, "products"), 0);
  g_assert_cmpint (mdn_test_int (p, "price_fen"), ==, 1300);
  g_assert_cmpstr (mdn_test_str (p, "category"), ==, "饮品/茶");
  g_assert_cmpstr (mdn_test_str (p, "barcode"), ==, "6901234567890");
  g_assert_true (json_object_get_boolean_member (p, "no_discount"));
  g_clear_pointer (&r, json_object_unref);
  /* null clears; a bad value changes nothing. */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"product.update\",\"sku\":\"TEA\",\"barcode\":null,\"name\":\"龙井\"}"));
  g_assert_cmpint (mdn_test_count (b, "SELECT count (*) FROM products WHERE sku = 'TEA' AND barcode IS NULL "
                                      "AND name = '龙井' AND category = '饮品/茶' AND price_fen = 1300"), ==, 1);
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"product.update\",\"sku\":\"TEA\",\"kind\":\"gadget\"}");
  mdn_test_fails (b->admin, "unknown_product", "{\"op\":\"product.update\",\"sku\":\"NOPE\",\"price\":\"1.00\"}");

  /* Archived: not sold, history kept, back again. */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"TEA\"}],"
                                            "\"tenders\":[{\"type\":\"cash\",\"amount\":\"13.00\"}]}"));
  r = mdn_test_ok (b->admin, "{\"op\":\"product.archive\",\"sku\":\"TEA\"}");
  g_assert_true (json_object_get_boolean_member (r, "archived"));
  g_clear_pointer (&r, json_object_unref);
  mdn_test_fails (b->admin, "unknown_product", "{\"op\":\"sale\",\"lines\":[{\"sku\":\"TEA\"}],"
                                               "\"tenders\":[{\"type\":\"cash\",\"amount\":\"13.00\"}]}");
  g_assert_cmpint (mdn_test_count (b, "SELECT count (*) FROM receipts"), ==, 1);
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"product.unarchive\",\"sku\":\"TEA\"}"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"TEA\"}],"
                                            "\"tenders\":[{\"type\":\"cash\",\"amount\":\"13.00\"}]}"));
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
}

static void
test_categories (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(JsonObject) r = NULL;
  JsonArray *list;

  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"category.upsert\",\"path\":\"饮品\"}"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"category.upsert\",\"path\":\"饮品/茶\",\"name\":\"茶饮\"}"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"category.upsert\",\"path\":\"饮品 / 茶 / 绿茶\"}"));
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"category.upsert\",\"path\":\"食品/零食\"}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"category.upsert\",\"path\":\"a/b/c/d\"}");
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"product.upsert\",\"sku\":\"G1\",\"name\":\"龙井\",\"kind\":\"goods\","
                                            "\"price\":\"20.00\",\"category\":\"饮品/茶/绿茶\"}"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"product.upsert\",\"sku\":\"S1\",\"name\":\"薯片\",\"kind\":\"goods\","
                                            "\"price\":\"5.00\",\"category\":\"食品/零食\"}"));
  r = mdn_test_ok (b->admin, "{\"op\":\"category.list\"}");
  list = json_object_get_array_member (r, "categories");
  /* 食品, 食品/零食, 饮品, 饮品/茶, 饮品/茶/绿茶: by path. */
  g_assert_cmpuint (json_array_get_length (list), ==, 5);
  g_assert_cmpstr (mdn_test_str (json_array_get_object_element (list, 3), "name"), ==, "茶饮");
  g_assert_cmpint (mdn_test_int (json_array_get_object_element (list, 4), "level"), ==, 3);
  g_assert_cmpint (mdn_test_int (json_array_get_object_element (list, 2), "products"), ==, 1);
  g_clear_pointer (&r, json_object_unref);

  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"category.archive\",\"path\":\"饮品/茶\"}"));
  r = mdn_test_ok (b->admin, "{\"op\":\"category.list\"}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (r, "categories")), ==, 3);
  g_clear_pointer (&r, json_object_unref);
  /* The product keeps its category and is still sold. */
  g_assert_cmpint (mdn_test_count (b, "SELECT count (*) FROM products WHERE sku = 'G1' AND category = '饮品/茶/绿茶' AND active"), ==, 1);
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
}

/* Members ------------------------------------------------------------------------------ */

static void
test_member_update (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(MdnOpCtx) cashier = mdn_test_staff (b, "c1", "cashier");
  g_autofree char *card = issue (b->admin, "13800000001", ",\"birthday\":\"1990-01-02\"");
  g_autoptr(JsonObject) r = NULL;

  mdn_test_set_now ("2026-11-20T10:00:00+08:00");
  json_object_unref (mdn_test_ok (cashier, "{\"op\":\"member.update\",\"card\":\"%s\",\"name\":\"张三丰\","
                                           "\"note\":\"喜欢绿茶\",\"birthday_lunar\":\"08-15\"}", card));
  mdn_test_set_now ("2026-11-20T10:05:00+08:00");
  json_object_unref (mdn_test_ok (cashier, "{\"op\":\"member.update\",\"card\":\"%s\",\"phone\":\"13900000002\","
                                           "\"birthday\":null}", card));
  mdn_test_set_now (NULL);
  r = mdn_test_ok (cashier, "{\"op\":\"member.show\",\"card\":\"%s\"}", card);
  g_assert_cmpstr (mdn_test_str (r, "name"), ==, "张三丰");
  g_assert_cmpstr (mdn_test_str (r, "phone"), ==, "13900000002");
  g_assert_cmpstr (mdn_test_str (r, "note"), ==, "喜欢绿茶");
  g_assert_cmpstr (mdn_test_str (r, "birthday_lunar"), ==, "08-15");
  g_assert_null (mdn_test_str (r, "birthday"));
  g_clear_pointer (&r, json_object_unref);
  /* By the new phone. */
  json_object_unref (mdn_test_ok (cashier, "{\"op\":\"member.show\",\"card\":\"13900000002\"}"));

  mdn_test_fails (cashier, "invalid_argument", "{\"op\":\"member.update\",\"card\":\"%s\"}", card);
  mdn_test_fails (cashier, "invalid_argument", "{\"op\":\"member.update\",\"card\":\"%s\",\"name\":\" \"}", card);
  mdn_test_fails (cashier, "invalid_argument", "{\"op\":\"member.update\",\"card\":\"%s\",\"phone\":\"abc\"}", card);
  mdn_test_fails (cashier, "invalid_argument", "{\"op\":\"member.update\",\"card\":\"%s\",\"birthday\":\"1990-13-01\"}", card);
  mdn_test_fails (cashier, "invalid_argument", "{\"op\":\"member.update\",\"card\":\"%s\",\"birthday_lunar\":\"14-01\"}", card);
  g_assert_cmpint (mdn_test_count (b, "SELECT count (*) FROM entries WHERE kind = 'member.update'"), ==, 2);
  /* The replay gives the same details. */
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
}

/* A level reached by spend or deposits serves the member when better than
 * the one assigned; member.show says which and why. */
static void
test_upgrade_by_spend (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autofree char *card = NULL;
  g_autoptr(JsonObject) r = NULL;

  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"level.upsert\",\"code\":\"silver\",\"name\":\"银卡\","
                                            "\"price_percent\":95,\"points_per_yuan\":1,\"upgrade_spent\":\"100.00\"}"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"level.upsert\",\"code\":\"gold\",\"name\":\"金卡\","
                                            "\"price_percent\":90,\"points_per_yuan\":2,\"upgrade_deposit\":\"1000.00\"}"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"product.upsert\",\"sku\":\"TEA\",\"name\":\"绿茶\","
                                            "\"kind\":\"goods\",\"price\":\"60.00\"}"));
  card = issue (b->admin, "13800000001", NULL);
  r = mdn_test_ok (b->admin, "{\"op\":\"member.show\",\"card\":\"%s\"}", card);
  g_assert_cmpstr (mdn_test_str (r, "effective_level"), ==, "normal");
  g_assert_cmpstr (mdn_test_str (r, "level_reason"), ==, "assigned");
  g_clear_pointer (&r, json_object_unref);

  /* 2 × 60.00 spent: silver (95 %) for the next sale. */
  for (int i = 0; i < 2; i++)
    json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"TEA\"}],"
                                              "\"tenders\":[{\"type\":\"cash\",\"amount\":\"60.00\"}]}", card));
  r = mdn_test_ok (b->admin, "{\"op\":\"member.show\",\"card\":\"%s\"}", card);
  g_assert_cmpstr (mdn_test_str (r, "effective_level"), ==, "silver");
  g_assert_cmpstr (mdn_test_str (r, "level_reason"), ==, "spent");
  g_assert_cmpstr (mdn_test_str (r, "assigned_level"), ==, "normal");
  g_assert_cmpint (mdn_test_int (r, "spent_fen"), ==, 12000);
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b->admin, "{\"op\":\"sale.preview\",\"card\":\"%s\",\"lines\":[{\"sku\":\"TEA\"}]}", card);
  g_assert_cmpint (mdn_test_int (r, "total_fen"), ==, 5700);
  g_clear_pointer (&r, json_object_unref);

  /* 1000.00 deposited: gold beats silver. */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"1000.00\"}", card));
  r = mdn_test_ok (b->admin, "{\"op\":\"member.show\",\"card\":\"%s\"}", card);
  g_assert_cmpstr (mdn_test_str (r, "effective_level"), ==, "gold");
  g_assert_cmpstr (mdn_test_str (r, "level_reason"), ==, "deposited");
  g_clear_pointer (&r, json_object_unref);

  /* An assigned level better than any reached stays. */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"level.upsert\",\"code\":\"vip\",\"name\":\"VIP\","
                                            "\"price_percent\":80,\"points_per_yuan\":3}"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.upgrade\",\"card\":\"%s\",\"level\":\"vip\"}", card));
  r = mdn_test_ok (b->admin, "{\"op\":\"member.show\",\"card\":\"%s\"}", card);
  g_assert_cmpstr (mdn_test_str (r, "effective_level"), ==, "vip");
  g_assert_cmpstr (mdn_test_str (r, "level_reason"), ==, "assigned");
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
}

/* Operation log ------------------------------------------------------------------------- */

static void
test_oplog (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(MdnOpCtx) cashier = mdn_test_staff (b, "c1", "cashier");
  g_autoptr(GError) error = NULL;
  g_autoptr(MdnOpCtx) nobody = NULL;
  g_autoptr(JsonObject) r = NULL;
  g_autofree char *card = issue (cashier, "13800000001", NULL);
  g_autofree char *next = NULL;
  JsonArray *rows;
  JsonObject *row;
  gint64 before;

  /* A failed login, a refused operation, a permission denial, a lock. */
  nobody = mdn_op_ctx_new (b->store, "c1", "wrong-password", &error);
  g_assert_null (nobody);
  g_assert_error (error, MDN_ERROR, MDN_ERROR_AUTH_FAILED);
  mdn_test_fails (cashier, "invalid_argument", "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[],"
                                                   "\"tenders\":[{\"type\":\"balance\",\"amount\":\"1.00\"}]}", card);
  mdn_test_fails (cashier, "permission_denied", "{\"op\":\"oplog.list\"}");
  mdn_ops_log_event (cashier, "lock", TRUE, NULL);

  r = mdn_test_ok (b->admin, "{\"op\":\"oplog.list\",\"staff\":\"c1\"}");
  rows = json_object_get_array_member (r, "rows");
  /* Newest first: lock, oplog.list denied, sale refused, login failed,
     member.issue, login. */
  g_assert_cmpuint (json_array_get_length (rows), ==, 6);
  row = json_array_get_object_element (rows, 0);
  g_assert_cmpstr (mdn_test_str (row, "op"), ==, "lock");
  row = json_array_get_object_element (rows, 1);
  g_assert_cmpstr (mdn_test_str (row, "detail"), ==, "permission_denied");
  row = json_array_get_object_element (rows, 2);
  g_assert_cmpstr (mdn_test_str (row, "op"), ==, "sale");
  g_assert_false (json_object_get_boolean_member (row, "ok"));
  row = json_array_get_object_element (rows, 3);
  g_assert_cmpstr (mdn_test_str (row, "op"), ==, "login");
  g_assert_cmpstr (mdn_test_str (row, "detail"), ==, "auth_failed");
  row = json_array_get_object_element (rows, 4);
  g_assert_cmpstr (mdn_test_str (row, "op"), ==, "member.issue");
  g_assert_nonnull (mdn_test_str (row, "entry_id"));
  g_assert_nonnull (mdn_test_str (row, "terminal"));
  g_assert_cmpstr (mdn_test_str (row, "title"), ==, "issue a member card");
  g_clear_pointer (&r, json_object_unref);

  /* Filters: outcome, operation family, dates; paging by "before". */
  r = mdn_test_ok (b->admin, "{\"op\":\"oplog.list\",\"outcome\":\"refused\"}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (r, "rows")), ==, 3);
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b->admin, "{\"op\":\"oplog.list\",\"operation\":\"member.*\"}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (r, "rows")), ==, 1);
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b->admin, "{\"op\":\"oplog.list\",\"to\":\"2000-01-01\"}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (r, "rows")), ==, 0);
  g_clear_pointer (&r, json_object_unref);
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"oplog.list\",\"outcome\":\"maybe\"}");

  r = mdn_test_ok (b->admin, "{\"op\":\"oplog.list\",\"limit\":2}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (r, "rows")), ==, 2);
  before = mdn_test_int (r, "next");
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b->admin, "{\"op\":\"oplog.list\",\"limit\":100,\"before\":%" G_GINT64_FORMAT "}", before);
  g_assert_cmpint (json_array_get_length (json_object_get_array_member (r, "rows")) + 2, ==,
                   mdn_test_count (b, "SELECT count (*) FROM oplog"));
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (r, "next")));
}

/* Restore and recovery ---------------------------------------------------------------- */

static gint64
count_in (MdnDb      *db,
          const char *sql)
{
  sqlite3_stmt *stmt = mdn_db_query (db, NULL, sql, "");
  gint64 n;

  g_assert_nonnull (stmt);
  g_assert_cmpint (mdn_db_step (db, stmt, NULL), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return n;
}

/* The projections and the ledger of two databases, as text. */
static char *
dump_all (MdnStore *store)
{
  static const char *const tables[] = { "entries", "movements", "members", "cards", "levels", "products",
                                        "receipts", "roles", "stock", "member_packages", NULL };

  return mdn_test_dump (store->db, tables);
}

/* A branch restored from a backup a hundred entries old, and one rebuilt
 * from nothing but its token, end with the same ledger and verify clean;
 * the operation log reached head office on the way. */
static void
test_restore_and_recover (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("backoffice", NULL);
  g_autoptr(MdnTestBranch) hq = mdn_test_server_branch_new (s, "HQ", 0, TRUE);
  g_autoptr(MdnTestBranch) b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *backup = g_build_filename (b1->dir, "old.db", NULL);
  g_autofree char *restored = g_build_filename (b1->dir, "restored.db", NULL);
  g_autofree char *rebuilt = g_build_filename (b1->dir, "rebuilt.db", NULL);
  g_autofree char *card = NULL;
  g_autofree char *want = NULL;
  g_autofree char *side = NULL;
  g_autoptr(MdnStore) r = NULL;
  g_autoptr(MdnStore) n = NULL;
  g_autoptr(JsonObject) out = NULL;
  MdnSyncResult res;
  g_autoptr(MdnOpCtx) c01 = NULL;
  g_autoptr(MdnOpCtx) c02 = NULL;
  gint64 recovered = 0;
  guint mismatches = 99;
  guint status;

  json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"product.upsert\",\"sku\":\"TEA\",\"name\":\"绿茶\","
                                             "\"kind\":\"goods\",\"price\":\"12.50\"}"));
  mdn_test_sync_ok (hq);
  mdn_test_sync_ok (b1);
  card = issue (b1->admin, "13800000001", ",\"deposit_fen\":100000");
  /* The branch's own roles, settings and staff; a category from head office. */
  json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"category.upsert\",\"path\":\"饮品\"}"));
  mdn_test_sync_ok (hq);
  mdn_test_sync_ok (b1);
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"role.upsert\",\"code\":\"senior\",\"name\":\"高级收银\","
                                             "\"permissions\":[\"@cashier\"],\"local\":true}"));
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"settings.set\",\"key\":\"checkout.cash_rounding\","
                                             "\"value\":\"jiao\"}"));
  c01 = mdn_test_staff (b1, "c01", "senior");
  json_object_unref (mdn_test_ok (c01, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"TEA\"}],"
                                       "\"tenders\":[{\"type\":\"cash\",\"amount\":\"12.50\"}]}"));
  g_assert_true (mdn_db_backup (b1->store->db, backup, &error));
  g_assert_no_error (error);
  /* A hundred entries after the backup. */
  for (int i = 0; i < 50; i++)
    {
      json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":%d}",
                                      card, 100 + i));
      json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"TEA\"}],"
                                                 "\"tenders\":[{\"type\":\"cash\",\"amount\":\"12.50\"}]}", card));
    }
  mdn_test_fails (b1->admin, "invalid_argument", "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":-1}", card);
  /* The receipt lines changed after the backup. */
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"shop.update\",\"address\":\"人民路 1 号\","
                                             "\"receipt_footer\":\"谢谢惠顾\"}"));
  /* Someone taken on after the backup. */
  c02 = mdn_test_staff (b1, "c02", "cashier");
  json_object_unref (mdn_test_ok (c02, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"TEA\"}],"
                                       "\"tenders\":[{\"type\":\"cash\",\"amount\":\"12.50\"}]}"));
  mdn_test_sync_ok (b1);
  want = dump_all (b1->store);

  /* The operation log is at head office, refusal included. */
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count (*) FROM srv_oplog WHERE branch = 'B01' AND op = 'sale'"), ==, 52);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count (*) FROM srv_oplog WHERE branch = 'B01' AND ok = 0"), ==, 1);
  g_assert_cmpint (mdn_test_count (b1, "SELECT count (*) FROM oplog WHERE sent = 0"), ==, 0);
  status = mdn_test_http (s, "GET", "/api/v1/oplog?branch=B01&limit=5", s->hq_token, NULL, 0, &out);
  g_assert_cmpuint (status, ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (out, "rows")), ==, 5);
  g_clear_pointer (&out, json_object_unref);
  /* Every branch's log, page by page through "next": each row once, newest first. */
  {
    g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    g_autofree char *next = NULL, *last_at = NULL;
    gint64 total = mdn_test_server_count (s, "SELECT count (*) FROM srv_oplog");
    guint pages = 0;

    g_assert_cmpint (mdn_test_server_count (s, "SELECT count (DISTINCT branch) FROM srv_oplog"), >=, 2);
    do
      {
        g_autofree char *path = next ? g_strdup_printf ("/api/v1/oplog?limit=7&before=%s", next)
                                     : g_strdup ("/api/v1/oplog?limit=7");
        JsonArray *rows;

        status = mdn_test_http (s, "GET", path, s->hq_token, NULL, 0, &out);
        g_assert_cmpuint (status, ==, 200);
        rows = json_object_get_array_member (out, "rows");
        for (guint i = 0; i < json_array_get_length (rows); i++)
          {
            JsonObject *row = json_array_get_object_element (rows, i);
            const char *at = json_object_get_string_member (row, "at");

            g_assert_true (g_hash_table_add (seen, g_strdup_printf ("%s:%" G_GINT64_FORMAT,
                                                                    json_object_get_string_member (row, "branch"),
                                                                    json_object_get_int_member (row, "id"))));
            if (last_at)
              g_assert_cmpstr (at, <=, last_at);
            g_free (last_at);
            last_at = g_strdup (at);
          }
        g_free (next);
        next = g_strdup (json_object_get_string_member_with_default (out, "next", NULL));
        g_clear_pointer (&out, json_object_unref);
        pages++;
      }
    while (next && pages < 100);
    g_assert_cmpint (g_hash_table_size (seen), ==, total);
    /* a row's id alone pages one branch; without branch= it is refused */
    status = mdn_test_http (s, "GET", "/api/v1/oplog?branch=B01&before=3", s->hq_token, NULL, 0, &out);
    g_assert_cmpuint (status, ==, 200);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (out, "rows")), ==, 2);
    g_clear_pointer (&out, json_object_unref);
    status = mdn_test_http (s, "GET", "/api/v1/oplog?before=3", s->hq_token, NULL, 0, NULL);
    g_assert_cmpuint (status, ==, 400);
  }
  /* A branch token reads no log, and its own entries only. */
  status = mdn_test_http (s, "GET", "/api/v1/oplog", g_hash_table_lookup (s->tokens, "B01"), NULL, 0, NULL);
  g_assert_cmpuint (status, ==, 401);
  status = mdn_test_http (s, "GET", "/api/v1/sync/own?after=0&limit=1000", g_hash_table_lookup (s->tokens, "HQ"),
                          NULL, 0, &out);
  g_assert_cmpuint (status, ==, 200);
  {
    JsonArray *list = json_object_get_array_member (out, "entries");

    for (guint i = 0; i < json_array_get_length (list); i++)
      g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, i), "branch"), ==, "HQ");
  }
  g_clear_pointer (&out, json_object_unref);

  /* Restored from the old backup: behind the server, so sync stops... */
  g_assert_true (mdn_store_restore (restored, backup, &side, &error));
  g_assert_no_error (error);
  g_assert_null (side);
  r = mdn_store_open (restored, &error);
  g_assert_no_error (error);
  g_assert_false (mdn_sync_run (r, &res, NULL, &error));
  g_assert_error (error, MDN_ERROR, MDN_ERROR_HISTORY_BEHIND);
  g_clear_error (&error);
  /* ... and recover makes it whole. */
  g_assert_true (mdn_sync_recover (r, &recovered, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (recovered, ==, 102);
  {
    g_autofree char *got = dump_all (r);

    g_assert_cmpstr (got, ==, want);
  }
  {
    g_autofree char *address = mdn_db_meta_dup (r->db, "shop_address");

    g_assert_cmpstr (address, ==, "人民路 1 号");
  }
  /* Its staff: c01 as in the backup, with the password; c02, taken on
     later, back under the same code without a password until given one. */
  {
    g_autoptr(MdnOpCtx) ctx = mdn_op_ctx_new (r, "c01", MDN_TEST_PASSWORD, &error);

    g_assert_no_error (error);
    g_assert_null (mdn_op_ctx_new (r, "c02", MDN_TEST_PASSWORD, &error));
    g_assert_error (error, MDN_ERROR, MDN_ERROR_AUTH_FAILED);
    g_clear_error (&error);
  }
  g_assert_true (mdn_ledger_verify (r, NULL, NULL, &mismatches, &error));
  g_assert_cmpuint (mismatches, ==, 0);

  /* Restoring over it keeps it beside; a backup of another branch or a
     file that is no database is refused. */
  g_assert_true (mdn_store_restore (restored, backup, &side, &error));
  g_assert_no_error (error);
  g_assert_nonnull (side);
  g_assert_true (g_file_test (side, G_FILE_TEST_IS_REGULAR));
  g_assert_false (mdn_store_restore (restored, hq->path, NULL, &error));
  g_assert_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  {
    g_autofree char *junk = g_build_filename (b1->dir, "junk.db", NULL);

    g_assert_true (g_file_set_contents (junk, "not a database", -1, NULL));
    g_assert_false (mdn_store_restore (restored, junk, NULL, &error));
    g_assert_nonnull (error);
    g_clear_error (&error);
  }

  /* From nothing but the token (and the chain key head office holds). */
  {
    g_autoptr(GString) key = g_string_new (NULL);

    for (guint i = 0; i < MDN_CHAIN_KEY_LEN; i++)
      g_string_append_printf (key, "%02x", b1->store->chain_key[i]);
    n = mdn_sync_recover_new (rebuilt, s->url, g_hash_table_lookup (s->tokens, "B01"), NULL, NULL,
                              "rebuilt-pass", key->str, NULL, &recovered, &error);
  }
  g_assert_no_error (error);
  g_assert_nonnull (n);
  g_assert_cmpint (recovered, ==, mdn_test_count (b1, "SELECT count (*) FROM entries WHERE branch = 'B01'"));
  g_assert_cmpstr (n->branch_code, ==, "B01");
  {
    g_autofree char *got = dump_all (n);

    g_assert_cmpstr (got, ==, want);
  }
  mismatches = 99;
  g_assert_true (mdn_ledger_verify (n, NULL, NULL, &mismatches, &error));
  g_assert_cmpuint (mismatches, ==, 0);
  /* Its roles, settings and categories came back with the entries and the
     feed; its staff who wrote anything under their codes, as cashiers
     without a password that the administrator gives them. */
  {
    g_autofree char *rounding = mdn_settings_dup_choice (n->db, "checkout.cash_rounding");
    g_autoptr(MdnOpCtx) admin = mdn_op_ctx_new (n, "admin", "rebuilt-pass", &error);
    g_autoptr(MdnOpCtx) staff = NULL;
    g_autoptr(JsonObject) list = NULL;
    JsonArray *rows;
    guint seen = 0;

    g_assert_no_error (error);
    g_assert_cmpstr (rounding, ==, "jiao");
    list = mdn_test_ok (admin, "{\"op\":\"shop.show\"}");
    g_assert_cmpstr (json_object_get_string_member (list, "address"), ==, "人民路 1 号");
    g_assert_cmpstr (json_object_get_string_member (list, "receipt_footer"), ==, "谢谢惠顾");
    g_clear_pointer (&list, json_object_unref);
    g_assert_cmpint (count_in (n->db, "SELECT count (*) FROM roles WHERE code = 'senior'"), ==, 1);
    g_assert_cmpint (count_in (n->db, "SELECT count (*) FROM categories WHERE path = '饮品'"), ==, 1);
    list = mdn_test_ok (admin, "{\"op\":\"staff.list\"}");
    rows = json_object_get_array_member (list, "staff");
    for (guint i = 0; i < json_array_get_length (rows); i++)
      {
        JsonObject *o = json_array_get_object_element (rows, i);
        const char *code = json_object_get_string_member (o, "code");

        if (g_str_equal (code, "c01") || g_str_equal (code, "c02"))
          {
            seen++;
            g_assert_false (json_object_get_boolean_member (o, "has_password"));
            g_assert_cmpstr (json_object_get_string_member (o, "role"), ==, "cashier");
          }
        else
          g_assert_cmpstr (code, ==, "admin");
      }
    g_assert_cmpuint (seen, ==, 2);
    g_assert_null (mdn_op_ctx_new (n, "c01", "", &error));
    g_clear_error (&error);
    g_assert_null (mdn_op_ctx_new (n, "c01", MDN_TEST_PASSWORD, &error));
    g_assert_error (error, MDN_ERROR, MDN_ERROR_AUTH_FAILED);
    g_clear_error (&error);
    json_object_unref (mdn_test_ok (admin, "{\"op\":\"staff.passwd\",\"code\":\"c01\",\"password\":\"new-pass-1\"}"));
    json_object_unref (mdn_test_ok (admin, "{\"op\":\"staff.update\",\"code\":\"c01\",\"role\":\"senior\"}"));
    staff = mdn_op_ctx_new (n, "c01", "new-pass-1", &error);
    g_assert_no_error (error);
    json_object_unref (mdn_test_ok (staff, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"TEA\"}],"
                                           "\"tenders\":[{\"type\":\"cash\",\"amount\":\"12.50\"}]}"));
  }
  /* It sells on, numbering after the recovered entries. */
  {
    g_autoptr(MdnOpCtx) ctx = mdn_op_ctx_new (n, "admin", "rebuilt-pass", &error);

    g_assert_no_error (error);
    json_object_unref (mdn_test_ok (ctx, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"TEA\"}],"
                                         "\"tenders\":[{\"type\":\"cash\",\"amount\":\"12.50\"}]}", card));
  }
  g_assert_true (mdn_sync_run (n, &res, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (res.pushed, ==, 2);
}

/* backup --to-dir DIR --keep N: the newest N of this branch stay. */
static void
test_backup_keep (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autofree char *dir = g_build_filename (b->dir, "backups", NULL);
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *last = NULL;
  g_autoptr(GDir) d = NULL;
  const char *name;

  g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
  for (int i = 0; i < 3; i++)
    {
      const char *argv[] = { g_getenv ("MENDIAN_CLI"), "--db", b->path, "backup", "--to-dir", dir, "--keep", "2", NULL };
      g_autofree char *out = mdn_test_run_ok (argv);
      g_autoptr(JsonObject) o = mdn_json_parse_object (out, NULL);

      g_assert_nonnull (o);
      g_free (last);
      last = g_path_get_basename (json_object_get_string_member (o, "backup"));
    }
  d = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    g_ptr_array_add (names, g_strdup (name));
  g_assert_cmpuint (names->len, ==, 2);
  g_assert_true (g_ptr_array_find_with_equal_func (names, last, g_str_equal, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  mdn_branch_init ();

  g_test_add_func ("/backoffice/roles/custom", test_custom_role);
  g_test_add_func ("/backoffice/roles/admin-and-removal", test_admin_and_removal);
  g_test_add_func ("/backoffice/chain/master-data", test_chain_master_data);
  g_test_add_func ("/backoffice/shop", test_shop);
  g_test_add_func ("/backoffice/product/update-and-archive", test_product_update);
  g_test_add_func ("/backoffice/categories", test_categories);
  g_test_add_func ("/backoffice/member/update", test_member_update);
  g_test_add_func ("/backoffice/levels/upgrade-by-spend", test_upgrade_by_spend);
  g_test_add_func ("/backoffice/oplog/complete", test_oplog);
  g_test_add_func ("/backoffice/recover/restore-and-rebuild", test_restore_and_recover);
  g_test_add_func ("/backoffice/backup/keep", test_backup_keep);
  return g_test_run ();
}
