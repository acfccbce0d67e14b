/* mdn-test-push.c */
#include <sqlite3.h>
#include <string.h>

#include "mdn-backoffice.h"
#include "mdn-catalog.h"
#include "mdn-db.h"
#include "mdn-exceptions.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-master.h"
#include "mdn-member-edit.h"
#include "mdn-members.h"
#include "mdn-ops.h"
#include "mdn-packages.h"
#include "mdn-points.h"
#include "mdn-roles.h"
#include "mdn-sales.h"
#include "mdn-shifts.h"
#include "mdn-test-push.h"
#include "mdn-timed.h"
#include "mdn-messages.h"
#include "mdn-sms.h"
#include "mdn-member-import.h"

/* Kinds ---------------------------------------------------------------------------------- */

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

GPtrArray *
mdn_test_all_kinds (void)
{
  const MdnKindDef *const tables[] = {
    mdn_member_kinds, mdn_master_kinds, mdn_catalog_kinds, mdn_sales_kinds, mdn_package_kinds,
    mdn_timed_kinds, mdn_points_kinds, mdn_exception_kinds, mdn_role_kinds, mdn_member_edit_kinds,
    mdn_message_kinds, mdn_sms_kinds, mdn_member_import_kinds, mdn_shift_kinds,
    mdn_backoffice_kinds,
  };
  GPtrArray *kinds = g_ptr_array_new_with_free_func (g_free);

  for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
    for (const MdnKindDef *k = tables[t]; k->kind; k++)
      g_ptr_array_add (kinds, g_strdup (k->kind));
  g_ptr_array_sort (kinds, compare_strings);
  return kinds;
}

GPtrArray *
mdn_test_kinds_in (MdnTestBranch *b)
{
  GPtrArray *kinds = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (mdn_db_handle (b->store->db),
                                       "SELECT DISTINCT kind FROM entries ORDER BY kind", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (kinds, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  return kinds;
}

/* Every kind ------------------------------------------------------------------------------- */

static JsonObject *
ok (MdnTestBranch *b,
    const char    *format,
    ...) G_GNUC_PRINTF (2, 3);

static JsonObject *
ok (MdnTestBranch *b,
    const char    *format,
    ...)
{
  va_list ap;
  g_autofree char *line = NULL;
  JsonObject *out;

  va_start (ap, format);
  line = g_strdup_vprintf (format, ap);
  va_end (ap);
  out = mdn_ops_run_line (b->admin, line);
  if (!json_object_get_boolean_member (out, "ok"))
    {
      g_autofree char *text = mdn_json_object_to_string (out);

      g_error ("%s failed: %s", line, text);
    }
  return out;
}

#define RUN(...) json_object_unref (ok (b, __VA_ARGS__))

static char *
dup_member (JsonObject *o,
            const char *name)
{
  char *s = g_strdup (json_object_get_string_member (o, name));

  json_object_unref (o);
  return s;
}

void
mdn_test_every_kind (MdnTestBranch *b)
{
  g_autofree char *card_a = NULL, *card_b = NULL, *card_z = NULL;
  g_autofree char *r_goods = NULL, *r_zero = NULL, *r_quick = NULL, *r_package = NULL;
  g_autofree char *r_zero_member = NULL, *r_timed = NULL, *r_table = NULL;
  g_autofree char *s1 = NULL, *s2 = NULL, *s3 = NULL;

  mdn_test_set_now ("2026-11-20T10:00:00+08:00");

  /* Master data: levels (one with nothing: no points, no allowance), rules
     (one of bonus 0: none), products (one of 0.00, a package of 0.00),
     plans (one free of charge, no cap), tables. */
  RUN ("{\"op\":\"level.upsert\",\"local\":true,\"code\":\"gold\",\"name\":\"金卡\",\"price_percent\":90,"
       "\"points_per_yuan\":2,\"offline_limit\":\"200.00\"}");
  RUN ("{\"op\":\"level.upsert\",\"local\":true,\"code\":\"plain\",\"name\":\"Plain\",\"price_percent\":100,"
       "\"points_per_yuan\":0}");
  RUN ("{\"op\":\"deposit_rule.upsert\",\"local\":true,\"min\":\"100.00\",\"bonus\":\"10.00\"}");
  RUN ("{\"op\":\"deposit_rule.upsert\",\"local\":true,\"min\":\"5000.00\",\"bonus\":\"0\"}");
  RUN ("{\"op\":\"product.upsert\",\"local\":true,\"sku\":\"G1\",\"name\":\"绿茶\",\"kind\":\"goods\",\"price\":\"12.50\","
       "\"category\":\"饮品/茶\",\"barcode\":\"6900000000017\"}");
  RUN ("{\"op\":\"product.upsert\",\"local\":true,\"sku\":\"G0\",\"name\":\"Free water\",\"kind\":\"goods\",\"price\":\"0.00\"}");
  RUN ("{\"op\":\"product.upsert\",\"local\":true,\"sku\":\"S1\",\"name\":\"Haircut\",\"kind\":\"service\",\"price\":\"30.00\","
       "\"no_discount\":true}");
  RUN ("{\"op\":\"product.upsert\",\"local\":true,\"sku\":\"P1\",\"name\":\"5 haircuts\",\"kind\":\"package\",\"price\":\"100.00\","
       "\"package_sku\":\"S1\",\"package_count\":5,\"package_days\":30}");
  RUN ("{\"op\":\"product.upsert\",\"local\":true,\"sku\":\"P0\",\"name\":\"Trial\",\"kind\":\"package\",\"price\":\"0.00\","
       "\"package_sku\":\"S1\",\"package_count\":1}");
  RUN ("{\"op\":\"product.upsert\",\"local\":true,\"sku\":\"OLD\",\"name\":\"Old\",\"kind\":\"goods\",\"price\":\"1.00\","
       "\"active\":false}");
  RUN ("{\"op\":\"plan.upsert\",\"local\":true,\"code\":\"T1\",\"name\":\"Pool\",\"unit_minutes\":30,\"unit_price\":\"20.00\","
       "\"free_minutes\":10,\"min_minutes\":30,\"cap\":\"100.00\"}");
  RUN ("{\"op\":\"plan.upsert\",\"local\":true,\"code\":\"T0\",\"name\":\"Free\",\"unit_minutes\":60,\"unit_price\":\"0.00\"}");
  RUN ("{\"op\":\"resource.upsert\",\"code\":\"R1\",\"name\":\"Table 1\",\"plan\":\"T1\"}");
  RUN ("{\"op\":\"resource.upsert\",\"code\":\"R2\",\"name\":\"Table 2\",\"plan\":\"T0\"}");
  RUN ("{\"op\":\"resource.upsert\",\"code\":\"R3\",\"name\":\"Room 3\",\"plan\":\"T1\"}");

  /* Cards: one with nothing optional, one with everything, one plain. */
  card_a = dup_member (ok (b, "{\"op\":\"member.issue\",\"name\":\"A\",\"phone\":\"13800000001\"}"), "card_no");
  card_b = dup_member (ok (b, "{\"op\":\"member.issue\",\"name\":\"  Bee 蜂 \",\"phone\":\"13800000002\","
                              "\"level\":\"gold\",\"birthday\":\"1990-02-28\",\"birthday_lunar\":\"L04-15\","
                              "\"pin\":\"123400\",\"deposit\":\"500.00\",\"tender\":\"wechat\","
                              "\"expires_on\":\"2030-12-31\"}"), "card_no");
  card_z = dup_member (ok (b, "{\"op\":\"member.issue\",\"name\":\"Z\",\"phone\":\"13800000003\","
                              "\"level\":\"plain\",\"deposit\":\"0\"}"), "card_no");
  RUN ("{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"50.00\"}", card_a);
  RUN ("{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":1,\"tender\":\"alipay\"}", card_a);
  RUN ("{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"10.00\",\"tender\":\"bank\"}", card_z);
  RUN ("{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount\":\"10.00\"}", card_a);
  RUN ("{\"op\":\"member.upgrade\",\"card\":\"%s\",\"level\":\"gold\"}", card_a);
  RUN ("{\"op\":\"member.extend\",\"card\":\"%s\",\"expires_on\":\"2031-01-01\"}", card_a);
  RUN ("{\"op\":\"member.set_pin\",\"card\":\"%s\",\"pin\":\"654321\"}", card_a);
  /* The back office: details (one cleared), categories, roles. */
  RUN ("{\"op\":\"member.update\",\"card\":\"%s\",\"name\":\"Bee\",\"note\":\"常客\",\"birthday\":null}", card_b);
  RUN ("{\"op\":\"member.update\",\"card\":\"%s\",\"phone\":\"13800000009\"}", card_z);
  RUN ("{\"op\":\"category.upsert\",\"local\":true,\"path\":\"饮品\"}");
  RUN ("{\"op\":\"category.upsert\",\"local\":true,\"path\":\"饮品/茶\",\"name\":\"茶饮\"}");
  RUN ("{\"op\":\"category.archive\",\"local\":true,\"path\":\"饮品/茶\"}");
  RUN ("{\"op\":\"role.upsert\",\"local\":true,\"code\":\"temp\",\"name\":\"临时\",\"permissions\":[\"sale\",\"members.*\"]}");
  RUN ("{\"op\":\"role.upsert\",\"local\":true,\"code\":\"none\",\"name\":\"None\",\"permissions\":[]}");
  RUN ("{\"op\":\"role.remove\",\"local\":true,\"code\":\"none\"}");
  RUN ("{\"op\":\"shop.update\",\"address\":\"人民路 1 号\",\"receipt_footer\":\"\"}");
  RUN ("{\"op\":\"member.set_pin\",\"card\":\"%s\",\"pin\":\"\"}", card_a);
  RUN ("{\"op\":\"member.lose\",\"card\":\"%s\"}", card_a);
  RUN ("{\"op\":\"member.unlock\",\"card\":\"%s\"}", card_a);
  {
    g_autofree char *old = g_steal_pointer (&card_a);

    card_a = dup_member (ok (b, "{\"op\":\"member.replace\",\"card\":\"%s\"}", old), "card_no");
  }

  /* Sales: cash without a card; a 0.00 product with nothing paid (no
     tenders at all), without and with a card; goods and a package on the
     balance (PIN) and cash; a 0.00 package; quick sales. */
  r_goods = dup_member (ok (b, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"G1\",\"qty\":2},{\"sku\":\"6900000000017\"}],"
                               "\"tenders\":[{\"type\":\"cash\",\"amount\":\"50.00\"}]}"), "receipt_no");
  r_zero = dup_member (ok (b, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"G0\"}]}"), "receipt_no");
  r_zero_member = dup_member (ok (b, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"G0\",\"qty\":3}],\"card\":\"%s\"}", card_z),
                              "receipt_no");
  r_package = dup_member (ok (b, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"G1\"},{\"sku\":\"P1\",\"qty\":2},{\"sku\":\"S1\"}],"
                                 "\"card\":\"%s\",\"pin\":\"123400\",\"tenders\":[{\"type\":\"balance\",\"amount\":\"200.00\"},"
                                 "{\"type\":\"cash\",\"amount\":\"41.25\"}]}", card_b), "receipt_no");
  RUN ("{\"op\":\"sale\",\"lines\":[{\"sku\":\"P0\"}],\"card\":\"%s\"}", card_b);
  r_quick = dup_member (ok (b, "{\"op\":\"sale.quick\",\"amount\":\"8.80\",\"note\":\"洗车\","
                               "\"tenders\":[{\"type\":\"bank\",\"amount\":\"8.80\"}]}"), "receipt_no");
  RUN ("{\"op\":\"sale.quick\",\"amount\":\"20.00\",\"card\":\"%s\",\"pin\":\"123400\","
       "\"tenders\":[{\"type\":\"balance\",\"amount\":\"18.00\"}]}", card_b);

  /* Package uses, points. */
  RUN ("{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"S1\",\"count\":2}", card_b);
  RUN ("{\"op\":\"points.adjust\",\"card\":\"%s\",\"delta\":100,\"reason\":\"opening\"}", card_b);
  RUN ("{\"op\":\"points.adjust\",\"card\":\"%s\",\"delta\":-3,\"reason\":\"correction\"}", card_b);
  RUN ("{\"op\":\"points.redeem\",\"card\":\"%s\",\"points\":10,\"gift\":\"cup\"}", card_b);
  RUN ("{\"op\":\"points.redeem\",\"card\":\"%s\",\"points\":1}", card_b);

  /* Timed: stopped within the free minutes (total 0, "tenders": []),
     with and without a card; a free plan for two hours; a paid hour and a
     half on the balance. */
  s1 = dup_member (ok (b, "{\"op\":\"timed.start\",\"resource\":\"R1\"}"), "session_id");
  s2 = dup_member (ok (b, "{\"op\":\"timed.start\",\"resource\":\"R2\",\"card\":\"%s\"}", card_z), "session_id");
  s3 = dup_member (ok (b, "{\"op\":\"timed.start\",\"resource\":\"R3\",\"card\":\"%s\"}", card_b), "session_id");
  mdn_test_set_now ("2026-11-20T10:05:00+08:00");
  RUN ("{\"op\":\"timed.stop\",\"session_id\":\"%s\"}", s1);
  s1 = (g_free (s1), dup_member (ok (b, "{\"op\":\"timed.start\",\"resource\":\"R1\",\"card\":\"%s\"}", card_z),
                                 "session_id"));
  mdn_test_set_now ("2026-11-20T10:09:00+08:00");
  RUN ("{\"op\":\"timed.stop\",\"session_id\":\"%s\"}", s1);
  /* Change table: the free plan's session moves to the table just freed. */
  RUN ("{\"op\":\"timed.move\",\"session_id\":\"%s\",\"resource\":\"R1\"}", s2);
  RUN ("{\"op\":\"timed.pause\",\"session_id\":\"%s\"}", s2);
  mdn_test_set_now ("2026-11-20T10:30:00+08:00");
  RUN ("{\"op\":\"timed.resume\",\"session_id\":\"%s\"}", s2);
  mdn_test_set_now ("2026-11-20T12:00:00+08:00");
  RUN ("{\"op\":\"timed.stop\",\"session_id\":\"%s\"}", s2);
  mdn_test_set_now ("2026-11-20T11:35:00+08:00");
  r_timed = dup_member (ok (b, "{\"op\":\"timed.stop\",\"session_id\":\"%s\",\"pin\":\"123400\","
                               "\"tenders\":[{\"type\":\"balance\",\"amount\":\"54.00\"}]}", s3), "receipt_no");

  /* Goods on a running table (timed.add, one taken back off), billed
     with its time at the stop; a prepaid session (timed.prepay) on a
     card, extended (timed.extend) and stopped in overtime. */
  {
    g_autofree char *s4 = NULL, *s5 = NULL;

    mdn_test_set_now ("2026-11-20T12:00:00+08:00");
    s4 = dup_member (ok (b, "{\"op\":\"timed.start\",\"resource\":\"R3\"}"), "session_id");
    RUN ("{\"op\":\"timed.add\",\"session_id\":\"%s\",\"sku\":\"G1\",\"qty\":2}", s4);
    RUN ("{\"op\":\"timed.add\",\"session_id\":\"%s\",\"sku\":\"S1\",\"staff\":\"admin\"}", s4);
    RUN ("{\"op\":\"timed.add\",\"session_id\":\"%s\",\"sku\":\"G1\",\"qty\":-1}", s4);
    s5 = dup_member (ok (b, "{\"op\":\"timed.prepay\",\"resource\":\"R1\",\"minutes\":60,\"card\":\"%s\","
                            "\"pin\":\"123400\",\"tenders\":[{\"type\":\"balance\",\"amount\":\"36.00\"}]}", card_b),
                     "session_id");
    RUN ("{\"op\":\"timed.extend\",\"session_id\":\"%s\",\"minutes\":30,"
         "\"tenders\":[{\"type\":\"cash\",\"amount\":\"18.00\"}]}", s5);
    mdn_test_set_now ("2026-11-20T12:40:00+08:00");
    r_table = dup_member (ok (b, "{\"op\":\"timed.stop\",\"session_id\":\"%s\","
                                 "\"tenders\":[{\"type\":\"cash\",\"amount\":\"82.50\"}]}", s4), "receipt_no");
    mdn_test_set_now ("2026-11-20T13:45:00+08:00");
    RUN ("{\"op\":\"timed.stop\",\"session_id\":\"%s\",\"pin\":\"123400\","
         "\"tenders\":[{\"type\":\"balance\",\"amount\":\"18.00\"}]}", s5);
  }

  /* Returns: everything of a cash sale; a 0.00 sale (refund 0, no
     tenders); part of a quick sale; a package line; a timed session. */
  mdn_test_set_now ("2026-11-21T09:00:00+08:00");
  RUN ("{\"op\":\"sale.return\",\"receipt_no\":\"%s\"}", r_goods);
  RUN ("{\"op\":\"sale.return\",\"receipt_no\":\"%s\"}", r_zero);
  RUN ("{\"op\":\"sale.return\",\"receipt_no\":\"%s\",\"lines\":[{\"sku\":\"G0\",\"qty\":1}]}", r_zero_member);
  RUN ("{\"op\":\"sale.return\",\"receipt_no\":\"%s\",\"amount\":\"1.00\"}", r_quick);
  RUN ("{\"op\":\"sale.return\",\"receipt_no\":\"%s\",\"lines\":[{\"sku\":\"P1\",\"qty\":1},{\"sku\":\"G1\",\"qty\":1}]}",
       r_package);
  RUN ("{\"op\":\"sale.return\",\"receipt_no\":\"%s\",\"amount\":\"12.00\"}", r_timed);
  /* The table's goods by line, its time by amount. */
  RUN ("{\"op\":\"sale.return\",\"receipt_no\":\"%s\",\"lines\":[{\"sku\":\"G1\",\"qty\":1}]}", r_table);
  RUN ("{\"op\":\"sale.return\",\"receipt_no\":\"%s\",\"amount\":\"5.00\"}", r_table);

  /* Keeping members: a message and its reply (crm/mdn-messages.c). */
  {
    g_autofree char *message = dup_member (ok (b, "{\"op\":\"message.add\",\"card\":\"%s\",\"text\":\"留言 a\"}",
                                               card_b), "message_id");

    RUN ("{\"op\":\"message.reply\",\"message_id\":\"%s\",\"text\":\"回复\"}", message);
  }
  /* Import: a member with an opening balance and an old card number. */
  {
    const char *csv = "姓名,手机,本金,赠送,积分,旧卡号\n导入,13800000099,12.34,1.00,5,OLD-1\n";
    g_autofree char *b64 = g_base64_encode ((const guchar *) csv, strlen (csv));

    RUN ("{\"op\":\"member.import\",\"data_base64\":\"%s\"}", b64);
  }
  /* SMS: a member's consent, a campaign to those who gave it, a reminder. */
  RUN ("{\"op\":\"member.sms_prefs\",\"card\":\"%s\",\"sms_consent\":true}", card_b);
  RUN ("{\"op\":\"sms.campaign\",\"filter\":{},\"template\":\"{name}，周末八折\",\"params\":{}}");
  /* One reminder SMS, as the reminders window sends it. */
  RUN ("{\"op\":\"sms.send\",\"card\":\"%s\",\"event\":\"expiry\",\"due_on\":\"2026-12-31\"}", card_b);
  /* The shift handed over: cash by note and coin, 1.00 short; WeChat by total. */
  RUN ("{\"op\":\"shift.close\",\"float_fen\":10000,\"denominations\":[{\"value_fen\":10000,\"count\":1},"
       "{\"value_fen\":50,\"count\":3}],\"counted\":{\"wechat\":50000}}");
  mdn_test_set_now (NULL);
}

/* Entries as pushed -------------------------------------------------------------------------- */

GPtrArray *
mdn_test_own_entries (MdnTestBranch *b,
                      gint64         from,
                      gint64         to)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (mdn_db_handle (b->store->db),
                                       "SELECT id FROM entries WHERE branch = ?1 AND seq >= ?2 "
                                       "AND (?3 < 0 OR seq <= ?3) ORDER BY seq", -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, b->store->branch_code, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, from);
  sqlite3_bind_int64 (stmt, 3, to);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (ids, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MdnEntry) entry = mdn_entry_load (b->store->db, g_ptr_array_index (ids, i), &error);

      g_assert_no_error (error);
      g_ptr_array_add (out, mdn_entry_to_json (entry, TRUE));
    }
  return out;
}

char *
mdn_test_push_text (GPtrArray *entries)
{
  g_autoptr(JsonObject) body = json_object_new ();
  JsonArray *list = json_array_new ();

  json_object_set_array_member (body, "entries", list);
  for (guint i = 0; i < entries->len; i++)
    json_array_add_object_element (list, json_object_ref (g_ptr_array_index (entries, i)));
  return mdn_json_object_to_string (body);
}

gboolean
mdn_test_rehash (JsonObject *o)
{
  g_autoptr(MdnEntry) entry = mdn_entry_from_json (o, NULL);
  g_autofree char *hash = NULL;

  if (entry == NULL)
    return FALSE;
  hash = mdn_entry_compute_hash (entry);
  json_object_set_string_member (o, "hash", hash);
  return TRUE;
}

/* Mutations ------------------------------------------------------------------------------------- */

typedef struct
{
  JsonNode *node;
  JsonNode *parent;   /* NULL for the entry itself */
  char     *key;      /* member name in an object parent, else NULL */
} Slot;

static void
slot_clear (gpointer data)
{
  g_free (((Slot *) data)->key);
}

static void
collect (JsonNode   *node,
         JsonNode   *parent,
         const char *key,
         GArray     *slots)
{
  Slot s = { node, parent, g_strdup (key) };

  g_array_append_val (slots, s);
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      const char *name;
      JsonNode *member;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, &name, &member))
        collect (member, node, name, slots);
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        collect (json_array_get_element (array, i), node, NULL, slots);
    }
}

/* Every node of @o, the entry's node first. */
static GArray *
slots_of (JsonObject *o,
          JsonNode  **root)
{
  GArray *slots = g_array_new (FALSE, TRUE, sizeof (Slot));

  g_array_set_clear_func (slots, slot_clear);
  *root = json_node_init_object (json_node_alloc (), o);
  collect (*root, NULL, NULL, slots);
  return slots;
}

static Slot *
pick (GRand   *rand,
      GArray  *slots,
      gboolean (*want) (Slot *s))
{
  guint n = 0;
  Slot *chosen = NULL;

  /* Reservoir sampling over the slots @want takes. */
  for (guint i = 0; i < slots->len; i++)
    {
      Slot *s = &g_array_index (slots, Slot, i);

      if (want && !want (s))
        continue;
      if (g_rand_int_range (rand, 0, (gint32) ++n) == 0)
        chosen = s;
    }
  return chosen;
}

static gboolean
is_int (Slot *s)
{
  return JSON_NODE_HOLDS_VALUE (s->node) && json_node_get_value_type (s->node) == G_TYPE_INT64;
}

static gboolean
is_string (Slot *s)
{
  return JSON_NODE_HOLDS_VALUE (s->node) && json_node_get_value_type (s->node) == G_TYPE_STRING;
}

static gboolean
is_member (Slot *s)
{
  return s->key != NULL;
}

static gboolean
is_container (Slot *s)
{
  return JSON_NODE_HOLDS_OBJECT (s->node) || JSON_NODE_HOLDS_ARRAY (s->node);
}

static gboolean
is_object (Slot *s)
{
  return JSON_NODE_HOLDS_OBJECT (s->node);
}

static gint64
interesting_int (GRand  *rand,
                 gint64  v)
{
  static const gint64 values[] = {
    0, 1, -1, 2, 100, 9999, 1000000, 1000001, 1000000000000, 1000000000001, -1000000000000,
    1000000000000000, 9007199254740993, G_MAXINT64, G_MININT64, G_MAXINT64 - 1, G_MININT64 + 1,
    G_MAXINT32, (gint64) G_MAXINT32 + 1,
  };

  switch (g_rand_int_range (rand, 0, 5))
    {
    case 0:  return v == G_MAXINT64 ? v : v + 1;
    case 1:  return v == G_MININT64 ? v : v - 1;
    case 2:  return v == G_MININT64 ? v : -v;
    case 3:  return (gint64) g_rand_int (rand) * (g_rand_boolean (rand) ? 1 : -1);
    default: return values[g_rand_int_range (rand, 0, G_N_ELEMENTS (values))];
    }
}

static JsonNode *
deep_node (int depth)
{
  JsonNode *node = json_node_init_int (json_node_alloc (), 1);

  for (int i = 0; i < depth; i++)
    {
      JsonArray *a = json_array_new ();

      json_array_add_element (a, node);
      node = json_node_init_array (json_node_alloc (), a);
      json_array_unref (a);
    }
  return node;
}

static JsonNode *
random_value (GRand *rand)
{
  switch (g_rand_int_range (rand, 0, 9))
    {
    case 0: return json_node_init_null (json_node_alloc ());
    case 1: return json_node_init_boolean (json_node_alloc (), g_rand_boolean (rand));
    case 2: return json_node_init_int (json_node_alloc (), interesting_int (rand, 0));
    case 3: return json_node_init_string (json_node_alloc (), "");
    case 4: return json_node_init_string (json_node_alloc (), "x");
    case 5: return json_node_init_double (json_node_alloc (), 1.5);
    case 6:
      {
        g_autoptr(JsonArray) a = json_array_new ();

        return json_node_init_array (json_node_alloc (), a);
      }
    case 7:
      {
        g_autoptr(JsonObject) o = json_object_new ();

        return json_node_init_object (json_node_alloc (), o);
      }
    default: return deep_node (g_rand_int_range (rand, 25, 40));
    }
}

/* Puts @value (taken) where the member @s is. */
static void
replace (Slot     *s,
         JsonNode *value)
{
  g_assert (s->parent && s->key);
  json_object_set_member (json_node_get_object (s->parent), s->key, value);
}

/* Takes everything out of the array or object @s. */
static void
empty (Slot *s)
{
  if (JSON_NODE_HOLDS_ARRAY (s->node))
    {
      JsonArray *a = json_node_get_array (s->node);

      while (json_array_get_length (a) > 0)
        json_array_remove_element (a, json_array_get_length (a) - 1);
    }
  else
    {
      JsonObject *o = json_node_get_object (s->node);
      g_autoptr(GList) names = json_object_get_members (o);
      g_autoptr(GPtrArray) copies = g_ptr_array_new_with_free_func (g_free);

      for (GList *l = names; l; l = l->next)
        g_ptr_array_add (copies, g_strdup (l->data));
      for (guint i = 0; i < copies->len; i++)
        json_object_remove_member (o, g_ptr_array_index (copies, i));
    }
}

static const char *const strings[] = {
  "", " ", "principal", "bonus", "points", "package", "stock", "balance", "cash", "member.deposit",
  "sale", "sale.return", "timed.stop", "2026-02-30", "2026-11-20", "9999-12-31", "00100000017",
  "99900000014", "B02-20261120-0001", "B01-20261120-9999", "00000000-0000-7000-8000-000000000000",
  "\xe9\x87\x91\xe5\x8d\xa1", "\t\n\"\\", "\x7f", "null", "1", "1.5", "{}",
};

const char *
mdn_test_mutate_entry (GRand      *rand,
                       JsonObject *o)
{
  JsonNode *root = NULL;
  g_autoptr(GArray) slots = slots_of (o, &root);
  const char *what = "nothing";
  Slot *s;

  switch (g_rand_int_range (rand, 0, 12))
    {
    case 0:
    case 1:
      if ((s = pick (rand, slots, is_int)))
        {
          json_node_set_int (s->node, interesting_int (rand, json_node_get_int (s->node)));
          what = "an integer";
        }
      break;
    case 2:
      if ((s = pick (rand, slots, is_string)))
        {
          json_node_set_string (s->node, strings[g_rand_int_range (rand, 0, G_N_ELEMENTS (strings))]);
          what = "a string";
        }
      break;
    case 3:
      if ((s = pick (rand, slots, is_member)))
        {
          replace (s, random_value (rand));
          what = "a value's type";
        }
      break;
    case 4:
      if ((s = pick (rand, slots, is_member)))
        {
          json_object_remove_member (json_node_get_object (s->parent), s->key);
          what = "a member removed";
        }
      break;
    case 5:
      if ((s = pick (rand, slots, is_object)))
        {
          g_autofree char *name = g_strdup_printf ("x%d", g_rand_int_range (rand, 0, 3));

          json_object_set_member (json_node_get_object (s->node), name, random_value (rand));
          what = "a member added";
        }
      break;
    case 6:
      if ((s = pick (rand, slots, is_int)))
        {
          static const double doubles[] = { 1.5, 1e300, -0.0, 100.0, 1e-9 };

          json_node_set_double (s->node, doubles[g_rand_int_range (rand, 0, G_N_ELEMENTS (doubles))]);
          what = "a fraction";
        }
      break;
    case 7:
      if ((s = pick (rand, slots, is_container)) && s->parent)
        {
          empty (s);
          what = "emptied";
        }
      break;
    case 8:
      {
        /* A movement: changed, copied or one more. */
        JsonArray *moves = json_object_has_member (o, "movements") &&
                           JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "movements"))
                           ? json_object_get_array_member (o, "movements") : NULL;
        guint n = moves ? json_array_get_length (moves) : 0;

        if (moves == NULL)
          break;
        if (n > 0 && g_rand_boolean (rand))
          {
            JsonNode *m = json_array_get_element (moves, g_rand_int_range (rand, 0, (gint32) n));

            json_array_add_element (moves, json_node_copy (m));
            what = "a movement twice";
          }
        else
          {
            JsonObject *m = json_object_new ();
            static const char *const accounts[] = { "principal", "bonus", "points", "package", "stock" };

            mdn_json_set_opt_string (m, "member", mdn_body_string (o, "member"));
            json_object_set_string_member (m, "account", accounts[g_rand_int_range (rand, 0, 5)]);
            json_object_set_string_member (m, "item", "");
            json_object_set_string_member (m, "lot", "");
            json_object_set_null_member (m, "expires_on");
            json_object_set_int_member (m, "delta", g_rand_boolean (rand) ? G_MAXINT64 : interesting_int (rand, 100));
            json_array_add_object_element (moves, m);
            what = "a movement more";
          }
      }
      break;
    case 9:
      if ((s = pick (rand, slots, is_member)))
        {
          replace (s, deep_node (g_rand_int_range (rand, 26, 34)));
          what = "nested deep";
        }
      break;
    case 10:
      {
        const char *kinds[] = { "member.deposit", "member.issue", "sale", "sale.return", "timed.stop",
                                "exception.write_off", "points.adjust", "member.lose", "nope" };

        json_object_set_string_member (o, "kind", kinds[g_rand_int_range (rand, 0, G_N_ELEMENTS (kinds))]);
        what = "the kind";
      }
      break;
    default:
      {
        const char *keys[] = { "member", "id", "business_date", "at", "staff" };
        const char *key = keys[g_rand_int_range (rand, 0, G_N_ELEMENTS (keys))];

        if (g_rand_boolean (rand))
          json_object_set_null_member (o, key);
        else
          json_object_set_string_member (o, key, strings[g_rand_int_range (rand, 0, G_N_ELEMENTS (strings))]);
        what = "an envelope member";
      }
      break;
    }
  json_node_unref (root);
  return what;
}

char *
mdn_test_mutate_bytes (GRand      *rand,
                       const char *text)
{
  static const char specials[] = "{}[],:\"\\-0123456789.eE+ntfrul \t\n\x01\x7f\xc3\xa9\xff";
  GString *s = g_string_new (text);
  int n = g_rand_int_range (rand, 1, 4);

  for (int i = 0; i < n && s->len > 0; i++)
    {
      gsize at = (gsize) g_rand_int_range (rand, 0, (gint32) s->len);
      gsize some = (gsize) g_rand_int_range (rand, 1, 40);   /* MIN evaluates twice: no calls in it */

      switch (g_rand_int_range (rand, 0, 6))
        {
        case 0:
          s->str[at] ^= (char) (1 << g_rand_int_range (rand, 0, 8));
          break;
        case 1:
          g_string_insert_c (s, (gssize) at, specials[g_rand_int_range (rand, 0, sizeof specials - 1)]);
          break;
        case 2:
          g_string_erase (s, (gssize) at, (gssize) MIN (some % 8, s->len - at));
          break;
        case 3:
          {
            gsize len = MIN (some, s->len - at);
            g_autofree char *piece = g_strndup (s->str + at, len);

            g_string_insert (s, (gssize) at, piece);
          }
          break;
        case 4:
          g_string_truncate (s, at);
          break;
        default:
          s->str[at] = specials[g_rand_int_range (rand, 0, sizeof specials - 1)];
          break;
        }
    }
  return g_string_free (s, FALSE);
}

/* The server's database ------------------------------------------------------------------------ */

char *
mdn_test_server_text (MdnTestServer *s,
                      const char    *sql)
{
  return mdn_test_server_value (s, sql, NULL);
}

/* The server's own tables on PostgreSQL, then the branch projections of
 * its ledger re-projected: the same figures as on SQLite. */
static char *
server_digest_pg (MdnTestServer *s)
{
  g_autofree char *own = NULL;
  g_autoptr(MdnDb) projected = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;

  own = mdn_test_server_text (s,
    "SELECT (SELECT count(*) || '/' || COALESCE (max (applied), 0) FROM entry_keys) || ' e' || "
    "(SELECT count(*) FROM entries) || ' m' || "
    "(SELECT count(*) || '/' || COALESCE (sum (delta), 0) FROM movements) || ' f' || "
    "(SELECT COALESCE (max (pos), 0) FROM srv_feed) || ' b' || "
    "(SELECT COALESCE (string_agg (code || ':' || acked_seq || ':' || last_hash, ',' ORDER BY code), '') "
    " FROM srv_branches) || ' a' || "
    "(SELECT count(*) || COALESCE (string_agg (status, '' ORDER BY auth_id), '') FROM srv_authorizations) || ' x' || "
    "(SELECT count(*) || COALESCE (string_agg (status || amount, '' ORDER BY id), '') FROM srv_exceptions) || ' d' || "
    "(SELECT COALESCE (sum (entries), 0) || '/' || COALESCE (sum (sales_fen), 0) || '/' || "
    " COALESCE (sum (principal_delta_fen), 0) || '/' || COALESCE (sum (bonus_delta_fen), 0) FROM srv_rollup_day)");
  projected = mdn_test_server_db (s);
  g_assert_cmpint (sqlite3_prepare_v2 (mdn_db_handle (projected),
    "SELECT ' $' || "
    "(SELECT count(*) || '/' || COALESCE (sum (principal_fen), 0) || '/' || COALESCE (sum (bonus_fen), 0) || '/' || "
    " COALESCE (sum (points), 0) || '/' || COALESCE (group_concat (status || level || COALESCE (pin_hash, '') || "
    " COALESCE (expires_on, '') || card_no, ''), '') FROM members) || ' c' || "
    "(SELECT count(*) || COALESCE (group_concat (status, ''), '') FROM cards) || ' p' || "
    "(SELECT count(*) || '/' || COALESCE (sum (remaining), 0) FROM member_packages) || ' s' || "
    "(SELECT count(*) || '/' || COALESCE (sum (qty), 0) FROM stock) || ' r' || "
    "(SELECT count(*) FROM receipts) || '/' || (SELECT count(*) FROM sale_returns) || ' t' || "
    "(SELECT count(*) || '/' || count (stop_entry) FROM timed_sessions) || ' l' || "
    "(SELECT count(*) FROM levels) || '/' || (SELECT count(*) FROM products) || '/' || "
    "(SELECT count(*) FROM plans) || '/' || (SELECT count(*) FROM deposit_rules)", -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  return g_strconcat (own, (const char *) sqlite3_column_text (stmt, 0), NULL);
}

char *
mdn_test_server_digest (MdnTestServer *s)
{
  if (mdn_test_backend_pg ())
    return server_digest_pg (s);
  return mdn_test_server_text (s,
    "SELECT (SELECT count(*) || '/' || COALESCE (max (rowid), 0) FROM entries) || ' m' || "
    "(SELECT count(*) || '/' || COALESCE (sum (delta), 0) FROM movements) || ' f' || "
    "(SELECT COALESCE (max (pos), 0) FROM srv_feed) || ' b' || "
    "(SELECT group_concat (code || ':' || acked_seq || ':' || last_hash, ',') FROM srv_branches) || ' $' || "
    "(SELECT count(*) || '/' || COALESCE (sum (principal_fen), 0) || '/' || COALESCE (sum (bonus_fen), 0) || '/' || "
    " COALESCE (sum (points), 0) || '/' || COALESCE (group_concat (status || level || COALESCE (pin_hash, '') || "
    " COALESCE (expires_on, '') || card_no, ''), '') FROM members) || ' c' || "
    "(SELECT count(*) || group_concat (status, '') FROM cards) || ' p' || "
    "(SELECT count(*) || '/' || COALESCE (sum (remaining), 0) FROM member_packages) || ' s' || "
    "(SELECT count(*) || '/' || COALESCE (sum (qty), 0) FROM stock) || ' r' || "
    "(SELECT count(*) FROM receipts) || '/' || (SELECT count(*) FROM sale_returns) || ' t' || "
    "(SELECT count(*) || '/' || count (stop_entry) FROM timed_sessions) || ' a' || "
    "(SELECT count(*) || COALESCE (group_concat (status, ''), '') FROM srv_authorizations) || ' x' || "
    "(SELECT count(*) || COALESCE (group_concat (status || amount, ''), '') FROM srv_exceptions) || ' d' || "
    "(SELECT COALESCE (sum (entries), 0) || '/' || COALESCE (sum (sales_fen), 0) || '/' || "
    " COALESCE (sum (principal_delta_fen), 0) || '/' || COALESCE (sum (bonus_delta_fen), 0) FROM srv_rollup_day) || "
    "' l' || (SELECT count(*) FROM levels) || '/' || (SELECT count(*) FROM products) || '/' || "
    "(SELECT count(*) FROM plans) || '/' || (SELECT count(*) FROM deposit_rules)");
}
