/* test-pos-views.c: the POS's view-model parsers (pos-member-view.c,
 * pos-cart.c, pos-views.c) fed the real answers of the real operations on a
 * real branch database, through the POS's own session. Every field of every
 * view is checked against what the operation did, so a field renamed in
 * common/ fails here, in its parser, and never reaches a widget as an
 * empty label. Each answer is then broken one field at a time: removing a
 * field the parser requires, or giving any field it reads another type,
 * must fail with MDN_ERROR_INTERNAL naming that field. No display needed. */
#include <glib.h>
#include <string.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-sync.h"
#include "mdn-test-util.h"
#include "pos-cart.h"
#include "pos-member-view.h"
#include "pos-session.h"
#include "pos-views.h"

typedef struct
{
  MdnTestBranch *branch;
  PosSession    *session;
  char          *card;       /* 张三: gold, PIN, 2030-01-01 */
  char          *member_id;
} Fixture;

/* Runs {"op": ...} through the POS's session; asserts it succeeded. */
static JsonObject *
run_full (PosSession *session,
          gboolean    preview,
          const char *format,
          va_list     ap)
{
  g_autofree char *json = g_strdup_vprintf (format, ap);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) args = mdn_json_parse_object (json, &error);
  g_autofree char *name = NULL;
  JsonObject *out;

  g_assert_no_error (error);
  name = g_strdup (json_object_get_string_member (args, "op"));
  json_object_remove_member (args, "op");
  out = preview ? pos_session_preview (session, name, args, &error)
                : pos_session_run (session, name, args, &error);
  g_assert_no_error (error);
  g_assert_nonnull (out);
  return out;
}

static JsonObject *run (Fixture *f, const char *format, ...) G_GNUC_PRINTF (2, 3);

static JsonObject *
run (Fixture    *f,
     const char *format,
     ...)
{
  va_list ap;
  JsonObject *out;

  va_start (ap, format);
  out = run_full (f->session, FALSE, format, ap);
  va_end (ap);
  return out;
}

static JsonObject *preview (Fixture *f, const char *format, ...) G_GNUC_PRINTF (2, 3);

static JsonObject *
preview (Fixture    *f,
         const char *format,
         ...)
{
  va_list ap;
  JsonObject *out;

  va_start (ap, format);
  out = run_full (f->session, TRUE, format, ap);
  va_end (ap);
  return out;
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) m = NULL;
  static const char *const setup[] = {
    "{\"op\":\"level.upsert\",\"code\":\"gold\",\"name\":\"金卡\",\"price_percent\":90,"
    "\"points_per_yuan\":2,\"offline_limit_fen\":50000}",
    "{\"op\":\"deposit_rule.upsert\",\"min_fen\":50000,\"bonus_fen\":5000}",
    "{\"op\":\"product.upsert\",\"sku\":\"COLA\",\"name\":\"可口可乐 330ml\",\"price_fen\":350,"
    "\"kind\":\"goods\",\"barcode\":\"6901234567892\"}",
    "{\"op\":\"product.upsert\",\"sku\":\"BAG\",\"name\":\"购物袋\",\"price_fen\":50,\"kind\":\"goods\","
    "\"no_discount\":true}",
    "{\"op\":\"product.upsert\",\"sku\":\"CUT\",\"name\":\"洗剪吹\",\"price_fen\":6800,\"kind\":\"service\"}",
    "{\"op\":\"product.upsert\",\"sku\":\"CUT10\",\"name\":\"洗剪吹 10 次卡\",\"price_fen\":50000,"
    "\"kind\":\"package\",\"package_sku\":\"CUT\",\"package_count\":10,\"package_days\":90}",
    "{\"op\":\"plan.upsert\",\"code\":\"HOUR\",\"name\":\"按小时\",\"unit_minutes\":60,\"unit_price_fen\":3000}",
    "{\"op\":\"resource.upsert\",\"code\":\"T1\",\"name\":\"台球 1 号台\",\"plan\":\"HOUR\"}",
    "{\"op\":\"resource.upsert\",\"code\":\"T2\",\"name\":\"台球 2 号台\",\"plan\":\"HOUR\"}",
  };

  mdn_test_set_now ("2026-11-22T10:00:00+08:00");
  f->branch = mdn_test_branch_new ("B01", 1);
  for (guint i = 0; i < G_N_ELEMENTS (setup); i++)
    json_object_unref (mdn_test_ok (f->branch->admin, "%s", setup[i]));
  f->session = pos_session_new ();
  g_assert_true (pos_session_open (f->session, f->branch->path, &error));
  g_assert_no_error (error);
  g_assert_true (pos_session_login (f->session, "admin", MDN_TEST_PASSWORD, &error));
  g_assert_no_error (error);
  m = run (f, "{\"op\":\"member.issue\",\"name\":\"张三\",\"phone\":\"13800000001\",\"level\":\"gold\","
              "\"pin\":\"123400\",\"deposit_fen\":20000,\"expires_on\":\"2030-01-01\"}");
  f->card = g_strdup (mdn_test_str (m, "card_no"));
  f->member_id = g_strdup (mdn_test_str (m, "member_id"));
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->session);
  g_clear_pointer (&f->branch, mdn_test_branch_free);
  g_free (f->card);
  g_free (f->member_id);
  mdn_test_set_now (NULL);
}

/* Breaking an answer ------------------------------------------------------------ */

typedef gboolean (*ParseFunc) (JsonObject *answer, GError **error);

static gboolean
in_list (const char *const *list,
         const char        *name)
{
  return list && g_strv_contains (list, name);
}

/* Breaks @answer's top-level field @name (removed, or given another type:
 * an array for a value or an object, a string for an array) and parses it. */
static void
check_broken (ParseFunc   parse,
              JsonObject *answer,
              const char *name,
              gboolean    remove,
              gboolean    must_fail)
{
  g_autofree char *json = mdn_json_object_to_string (answer);
  g_autoptr(JsonObject) copy = mdn_json_parse_object (json, NULL);
  g_autoptr(GError) error = NULL;
  gboolean ok;

  if (remove)
    json_object_remove_member (copy, name);
  else if (JSON_NODE_HOLDS_ARRAY (json_object_get_member (copy, name)))
    json_object_set_string_member (copy, name, "not an array");
  else
    json_object_set_array_member (copy, name, json_array_new ());
  ok = parse (copy, &error);
  if (must_fail)
    {
      if (ok)
        g_error ("the parser took %s “%s”", remove ? "a missing" : "a mistyped", name);
      g_assert_error (error, MDN_ERROR, MDN_ERROR_INTERNAL);
      g_assert_nonnull (strstr (error->message, name));
    }
  else
    {
      if (!ok)
        g_error ("the parser refused %s “%s”: %s", remove ? "a missing" : "a mistyped", name, error->message);
    }
}

/* @required: the fields whose absence fails; @optional: the other fields
 * the parser reads (their absence is allowed, another type is not). Every
 * other field of the answer is not read: breaking it changes nothing. And
 * every field named is in the real answer. */
static void
check_fields (ParseFunc          parse,
              JsonObject        *answer,
              const char *const *required,
              const char *const *optional)
{
  g_autoptr(GList) names = json_object_get_members (answer);
  g_autoptr(GError) error = NULL;

  g_assert_true (parse (answer, &error));
  g_assert_no_error (error);
  for (guint i = 0; required && required[i]; i++)
    if (!json_object_has_member (answer, required[i]))
      g_error ("the answer has no “%s”", required[i]);
  for (guint i = 0; optional && optional[i]; i++)
    if (!json_object_has_member (answer, optional[i]))
      g_error ("the answer has no “%s”: the test can't check it", optional[i]);
  for (GList *l = names; l; l = l->next)
    {
      const char *name = l->data;
      gboolean req = in_list (required, name);
      gboolean read = req || in_list (optional, name);

      check_broken (parse, answer, name, TRUE, req);
      check_broken (parse, answer, name, FALSE, read);
    }
}

/* Adapters: every parser as a ParseFunc. */

static gboolean
parse_member (JsonObject *o, GError **error)
{
  g_autoptr(PosMemberView) m = pos_member_view_parse (o, error);
  return m != NULL;
}

static gboolean
parse_search (JsonObject *o, GError **error)
{
  g_autoptr(GPtrArray) a = pos_member_search_parse (o, error);
  return a != NULL;
}

static gboolean
parse_history (JsonObject *o, GError **error)
{
  g_autoptr(GPtrArray) a = pos_member_history_parse (o, error);
  return a != NULL;
}

static gboolean
parse_levels (JsonObject *o, GError **error)
{
  g_autoptr(GPtrArray) a = pos_level_list_parse (o, error);
  return a != NULL;
}

static gboolean
parse_bonus (JsonObject *o, GError **error)
{
  gint64 bonus;
  return pos_deposit_bonus_parse (o, &bonus, error);
}

static gboolean
parse_new_card (JsonObject *o, GError **error)
{
  g_autofree char *card = pos_new_card_parse (o, error);
  return card != NULL;
}

static gboolean
parse_package_use (JsonObject *o, GError **error)
{
  g_autoptr(PosPackageLot) lot = pos_package_use_parse (o, error);
  return lot != NULL;
}

static gboolean
parse_products (JsonObject *o, GError **error)
{
  g_autoptr(GPtrArray) a = pos_product_list_parse (o, error);
  return a != NULL;
}

static gboolean
parse_sale_preview (JsonObject *o, GError **error)
{
  PosSalePreview p;
  return pos_sale_preview_parse (o, &p, error);
}

static gboolean
parse_sale_paid (JsonObject *o, GError **error)
{
  g_autoptr(PosPaid) p = pos_paid_parse (o, "sale", error);
  return p != NULL;
}

static gboolean
parse_timed_paid (JsonObject *o, GError **error)
{
  g_autoptr(PosPaid) p = pos_paid_parse (o, "timed.stop", error);
  return p != NULL;
}

static gboolean
parse_resources (JsonObject *o, GError **error)
{
  g_autoptr(GPtrArray) a = pos_resource_list_parse (o, error);
  return a != NULL;
}

static gboolean
parse_sessions (JsonObject *o, GError **error)
{
  g_autoptr(GPtrArray) a = pos_timed_list_parse (o, error);
  return a != NULL;
}

static gboolean
parse_record (JsonObject *o, GError **error)
{
  g_autoptr(PosSaleRecord) r = pos_sale_record_parse (o, error);
  return r != NULL;
}

static gboolean
parse_refund (JsonObject *o, GError **error)
{
  g_autoptr(PosRefund) r = pos_refund_parse (o, error);
  return r != NULL;
}

static gboolean
parse_shift (JsonObject *o, GError **error)
{
  g_autoptr(PosShift) s = pos_shift_parse (o, error);
  return s != NULL;
}

static gboolean
parse_sync (JsonObject *o, GError **error)
{
  g_autoptr(PosSyncStatus) s = pos_sync_status_parse (o, error);
  return s != NULL;
}

static gboolean
parse_staff (JsonObject *o, GError **error)
{
  g_autofree char *name = pos_staff_name_parse (o, error);
  return name != NULL;
}

/* The element @index of @answer's array @array, as an answer of its own
 * with only that element, for check_fields on the element's fields. */
static JsonObject *
element_answer (JsonObject *answer,
                const char *array,
                guint       index)
{
  JsonObject *element = json_array_get_object_element (json_object_get_array_member (answer, array), index);
  g_autofree char *json = mdn_json_object_to_string (element);

  return mdn_json_parse_object (json, NULL);
}

/* Wraps @element in {array: [element]} plus the other fields of @answer. */
typedef struct
{
  ParseFunc   parse;
  JsonObject *answer;
  const char *array;
} Nested;

static Nested nested;

static gboolean
parse_nested (JsonObject *element,
              GError    **error)
{
  g_autofree char *json = mdn_json_object_to_string (nested.answer);
  g_autoptr(JsonObject) copy = mdn_json_parse_object (json, NULL);
  JsonArray *a = json_array_new ();

  json_array_add_object_element (a, json_object_ref (element));
  json_object_set_array_member (copy, nested.array, a);
  return nested.parse (copy, error);
}

/* check_fields on the fields of the first element of @answer's @array. */
static void
check_element_fields (ParseFunc          parse,
                      JsonObject        *answer,
                      const char        *array,
                      const char *const *required,
                      const char *const *optional)
{
  g_autoptr(JsonObject) element = element_answer (answer, array, 0);

  nested = (Nested) { parse, answer, array };
  check_fields (parse_nested, element, required, optional);
  nested = (Nested) { 0 };
}

/* Members ------------------------------------------------------------------------- */

static void
test_member (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(JsonObject) shown = NULL;
  g_autoptr(JsonObject) sale = NULL;
  g_autoptr(PosMemberView) m = NULL;
  g_autoptr(GError) error = NULL;
  PosPackageLot *lot;

  json_object_unref (run (f, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":50000,\"tender\":\"cash\"}",
                          f->card));
  sale = run (f, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"CUT10\",\"qty\":1}],"
                 "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":45000}],\"pin\":\"123400\"}", f->card);
  shown = run (f, "{\"op\":\"member.show\",\"card\":\"%s\"}", f->card);
  m = pos_member_view_parse (shown, &error);
  g_assert_no_error (error);
  g_assert_nonnull (m);

  g_assert_cmpstr (m->member_id, ==, f->member_id);
  g_assert_cmpstr (m->card_no, ==, f->card);
  g_assert_cmpstr (m->name, ==, "张三");
  g_assert_cmpstr (m->phone, ==, "13800000001");
  g_assert_cmpstr (m->level, ==, "gold");
  g_assert_cmpint (m->status, ==, POS_MEMBER_ACTIVE);
  /* 200 + 500 paid in and 50 bonus; the package's 450 came from the principal. */
  g_assert_cmpint (m->principal_fen, ==, 20000 + 50000 - 45000);
  g_assert_cmpint (m->bonus_fen, ==, 5000);
  g_assert_cmpint (m->balance_fen, ==, 25000 + 5000);
  /* 450 yuan at 2 points a yuan. */
  g_assert_cmpint (m->points, ==, 900);
  g_assert_cmpint (m->points, ==, mdn_test_int (sale, "points"));
  g_assert_cmpstr (m->expires_on, ==, "2030-01-01");
  g_assert_null (m->replaced_by);
  g_assert_cmpstr (m->level_name, ==, "金卡");
  g_assert_cmpint (m->price_percent, ==, 90);
  g_assert_cmpint (m->points_per_yuan, ==, 2);
  g_assert_true (m->has_pin);
  g_assert_false (m->on_hold);
  g_assert_cmpint (m->hold_fen, ==, 0);
  g_assert_true (g_str_has_prefix (m->issued_at, "2026-11-22T10:00:00"));
  g_assert_cmpstr (m->issued_branch, ==, "B01");
  g_assert_cmpuint (m->packages->len, ==, 1);
  lot = g_ptr_array_index (m->packages, 0);
  g_assert_cmpstr (lot->sku, ==, "CUT");
  g_assert_cmpint (lot->remaining, ==, 10);
  g_assert_cmpstr (lot->expires_on, ==, "2027-02-20");
  g_assert_cmpstr (pos_member_status_label (m->status), ==, "Active");

  {
    static const char *const required[] = {
      "member_id", "card_no", "name", "phone", "level", "status", "balance_fen", "principal_fen",
      "bonus_fen", "points", "has_pin", "on_hold", "issued_at", "issued_branch", "packages", NULL };
    static const char *const optional[] = {
      "expires_on", "level_name", "price_percent", "points_per_yuan", NULL };
    static const char *const lot_required[] = { "sku", "remaining", NULL };
    static const char *const lot_optional[] = { "expires_on", "name", NULL };

    check_fields (parse_member, shown, required, optional);
    check_element_fields (parse_member, shown, "packages", lot_required, lot_optional);
  }
  /* A status the POS doesn't know is refused, not shown as active. */
  json_object_set_string_member (shown, "status", "frozen");
  g_assert_null (pos_member_view_parse (shown, &error));
  g_assert_error (error, MDN_ERROR, MDN_ERROR_INTERNAL);
}

static void
test_member_states (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(JsonObject) other = NULL;
  g_autoptr(JsonObject) replaced = NULL;
  g_autoptr(JsonObject) shown = NULL;
  g_autoptr(PosMemberView) m = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *card = NULL;
  g_autofree char *new_card = NULL;

  /* Issued: the new card's number. */
  other = run (f, "{\"op\":\"member.issue\",\"name\":\"李四\",\"phone\":\"13900000002\",\"level\":\"normal\"}");
  card = pos_new_card_parse (other, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (card, ==, mdn_test_str (other, "card_no"));
  {
    static const char *const required[] = { "card_no", NULL };

    check_fields (parse_new_card, other, required, NULL);
  }

  /* No PIN, no expiry, the default level. */
  shown = run (f, "{\"op\":\"member.show\",\"card\":\"%s\"}", card);
  m = pos_member_view_parse (shown, &error);
  g_assert_no_error (error);
  g_assert_false (m->has_pin);
  g_assert_null (m->expires_on);
  g_assert_cmpstr (m->level, ==, "normal");
  g_assert_cmpint (m->price_percent, ==, 100);
  g_assert_cmpint (m->points_per_yuan, ==, 1);
  g_assert_cmpuint (m->packages->len, ==, 0);
  g_clear_pointer (&m, pos_member_view_unref);
  g_clear_pointer (&shown, json_object_unref);

  /* Reported lost. */
  json_object_unref (run (f, "{\"op\":\"member.lose\",\"card\":\"%s\"}", card));
  shown = run (f, "{\"op\":\"member.show\",\"card\":\"%s\"}", card);
  m = pos_member_view_parse (shown, &error);
  g_assert_no_error (error);
  g_assert_cmpint (m->status, ==, POS_MEMBER_LOST);
  g_clear_pointer (&m, pos_member_view_unref);
  g_clear_pointer (&shown, json_object_unref);

  /* Replaced: the new card's number, and the old card says where it went. */
  replaced = run (f, "{\"op\":\"member.replace\",\"card\":\"%s\"}", card);
  new_card = pos_new_card_parse (replaced, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (new_card, !=, card);
  shown = run (f, "{\"op\":\"member.show\",\"card\":\"%s\"}", card);
  m = pos_member_view_parse (shown, &error);
  g_assert_no_error (error);
  g_assert_cmpint (m->status, ==, POS_MEMBER_REPLACED);
  g_assert_cmpstr (m->card_no, ==, card);
  g_assert_cmpstr (m->replaced_by, ==, new_card);
  {
    static const char *const required[] = {
      "member_id", "card_no", "name", "phone", "level", "status", "balance_fen", "principal_fen",
      "bonus_fen", "points", "has_pin", "on_hold", "issued_at", "issued_branch", "packages", NULL };
    static const char *const optional[] = {
      "expires_on", "replaced_by", "level_name", "price_percent", "points_per_yuan", NULL };

    check_fields (parse_member, shown, required, optional);
  }
  g_clear_pointer (&m, pos_member_view_unref);
  g_clear_pointer (&shown, json_object_unref);

  /* Expired: 张三's card after 2030-01-01. */
  mdn_test_set_now ("2030-01-02T10:00:00+08:00");
  shown = run (f, "{\"op\":\"member.show\",\"card\":\"%s\"}", f->card);
  m = pos_member_view_parse (shown, &error);
  g_assert_no_error (error);
  g_assert_cmpint (m->status, ==, POS_MEMBER_EXPIRED);
}

static void
test_member_search (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(JsonObject) found = run (f, "{\"op\":\"member.search\",\"query\":\"张\"}");
  g_autoptr(GPtrArray) hits = NULL;
  g_autoptr(GError) error = NULL;
  PosMemberView *m;

  hits = pos_member_search_parse (found, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (hits->len, ==, 1);
  m = g_ptr_array_index (hits, 0);
  g_assert_cmpstr (m->member_id, ==, f->member_id);
  g_assert_cmpstr (m->card_no, ==, f->card);
  g_assert_cmpstr (m->name, ==, "张三");
  g_assert_cmpstr (m->phone, ==, "13800000001");
  g_assert_cmpstr (m->level, ==, "gold");
  g_assert_cmpint (m->status, ==, POS_MEMBER_ACTIVE);
  g_assert_cmpint (m->balance_fen, ==, 20000);
  g_assert_cmpint (m->principal_fen, ==, 20000);
  g_assert_cmpint (m->bonus_fen, ==, 0);
  g_assert_cmpint (m->points, ==, 0);
  g_assert_cmpstr (m->expires_on, ==, "2030-01-01");
  {
    static const char *const required[] = { "members", NULL };
    static const char *const hit_required[] = {
      "member_id", "card_no", "name", "phone", "level", "status", "balance_fen", "principal_fen",
      "bonus_fen", "points", NULL };
    static const char *const hit_optional[] = { "expires_on", NULL };

    check_fields (parse_search, found, required, NULL);
    check_element_fields (parse_search, found, "members", hit_required, hit_optional);
  }
}

static void
test_member_history (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(JsonObject) sale = NULL;
  g_autoptr(JsonObject) hist = NULL;
  g_autoptr(JsonObject) used = NULL;
  g_autoptr(PosPackageLot) lot = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;
  PosMemberEvent *e;

  sale = run (f, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"CUT10\",\"qty\":1}],"
                 "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":45000}]}", f->card);
  used = run (f, "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"CUT\",\"count\":1}", f->card);
  lot = pos_package_use_parse (used, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (lot->sku, ==, "CUT");
  g_assert_cmpint (lot->remaining, ==, 9);
  g_assert_null (lot->expires_on);
  {
    static const char *const required[] = { "sku", "remaining", NULL };
    static const char *const optional[] = { "name", NULL };

    check_fields (parse_package_use, used, required, optional);
  }

  hist = run (f, "{\"op\":\"member.history\",\"card\":\"%s\",\"limit\":15}", f->card);
  events = pos_member_history_parse (hist, &error);
  g_assert_no_error (error);
  /* Newest first: the use, the sale, the first deposit, the issue. */
  g_assert_cmpuint (events->len, ==, 4);
  e = g_ptr_array_index (events, 0);
  g_assert_cmpstr (e->entry_id, ==, mdn_test_str (used, "entry_id"));
  g_assert_cmpstr (e->kind, ==, "package.consume");
  g_assert_true (g_str_has_prefix (e->at, "2026-11-22T10:00:00"));
  g_assert_cmpstr (e->branch, ==, "B01");
  g_assert_cmpstr (e->staff, ==, "admin");
  g_assert_null (e->receipt_no);
  g_assert_false (e->has_amount);
  e = g_ptr_array_index (events, 1);
  g_assert_cmpstr (e->entry_id, ==, mdn_test_str (sale, "entry_id"));
  g_assert_cmpstr (e->kind, ==, "sale");
  g_assert_cmpstr (e->receipt_no, ==, mdn_test_str (sale, "receipt_no"));
  g_assert_true (e->has_amount);
  g_assert_cmpint (e->amount_fen, ==, 45000);
  e = g_ptr_array_index (events, 2);
  g_assert_cmpstr (e->kind, ==, "member.deposit");
  g_assert_null (e->receipt_no);
  g_assert_true (e->has_amount);
  g_assert_cmpint (e->amount_fen, ==, 20000);
  e = g_ptr_array_index (events, 3);
  g_assert_cmpstr (e->kind, ==, "member.issue");
  g_assert_false (e->has_amount);
  {
    static const char *const required[] = { "entries", NULL };
    static const char *const entry_required[] = { "entry_id", "kind", "at", "branch", "staff", NULL };
    static const char *const entry_optional[] = { "body", "staff_name", NULL };
    g_autoptr(JsonObject) sale_only = element_answer (hist, "entries", 1);

    check_fields (parse_history, hist, required, NULL);
    nested = (Nested) { parse_history, hist, "entries" };
    check_fields (parse_nested, sale_only, entry_required, entry_optional);
    nested = (Nested) { 0 };
  }
}

static void
test_levels_and_deposit (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(JsonObject) levels = run (f, "{\"op\":\"level.list\"}");
  g_autoptr(JsonObject) bonus = run (f, "{\"op\":\"deposit.preview\",\"amount_fen\":50000}");
  g_autoptr(JsonObject) none = run (f, "{\"op\":\"deposit.preview\",\"amount_fen\":100}");
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GError) error = NULL;
  PosLevel *l;
  gint64 fen = -1;

  list = pos_level_list_parse (levels, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  l = g_ptr_array_index (list, 0);
  g_assert_cmpstr (l->code, ==, "normal");
  g_assert_cmpint (l->price_percent, ==, 100);
  l = g_ptr_array_index (list, 1);
  g_assert_cmpstr (l->code, ==, "gold");
  g_assert_cmpstr (l->name, ==, "金卡");
  g_assert_cmpint (l->price_percent, ==, 90);
  {
    static const char *const required[] = { "levels", NULL };
    static const char *const level_required[] = { "code", "name", "price_percent", NULL };

    check_fields (parse_levels, levels, required, NULL);
    check_element_fields (parse_levels, levels, "levels", level_required, NULL);
  }

  g_assert_true (pos_deposit_bonus_parse (bonus, &fen, &error));
  g_assert_cmpint (fen, ==, 5000);
  g_assert_true (pos_deposit_bonus_parse (none, &fen, &error));
  g_assert_cmpint (fen, ==, 0);
  {
    static const char *const required[] = { "bonus_fen", NULL };

    check_fields (parse_bonus, bonus, required, NULL);
  }
}

/* The cart ------------------------------------------------------------------------- */

static void
test_cart (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(JsonObject) by_sku = run (f, "{\"op\":\"product.search\",\"query\":\"COLA\",\"exact\":true}");
  g_autoptr(JsonObject) by_code = run (f, "{\"op\":\"product.search\",\"query\":\"6901234567892\",\"exact\":true}");
  g_autoptr(JsonObject) by_name = run (f, "{\"op\":\"product.search\",\"query\":\"洗\",\"limit\":30}");
  g_autoptr(JsonObject) bag = run (f, "{\"op\":\"product.search\",\"query\":\"BAG\",\"exact\":true}");
  g_autoptr(GPtrArray) products = NULL;
  g_autoptr(PosCart) cart = pos_cart_new ();
  g_autoptr(JsonObject) args = NULL;
  g_autoptr(JsonObject) priced = NULL;
  g_autoptr(JsonObject) sold = NULL;
  g_autoptr(PosPaid) paid = NULL;
  g_autoptr(GError) error = NULL;
  PosSalePreview p = { 0 };
  PosProduct *prod;
  PosLine *line;
  PosSoldLine *sl;
  JsonArray *tenders;

  products = pos_product_list_parse (by_sku, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (products->len, ==, 1);
  prod = g_ptr_array_index (products, 0);
  g_assert_cmpstr (prod->sku, ==, "COLA");
  g_assert_cmpstr (prod->name, ==, "可口可乐 330ml");
  g_assert_cmpstr (prod->kind, ==, "goods");
  g_assert_cmpint (prod->price_fen, ==, 350);
  g_assert_false (prod->no_discount);
  g_assert_cmpstr (prod->match, ==, "sku");
  pos_cart_add (cart, prod, 2);
  g_clear_pointer (&products, g_ptr_array_unref);
  {
    static const char *const required[] = { "products", NULL };
    static const char *const product_required[] = { "sku", "name", "kind", "price_fen", "no_discount", "match", NULL };

    check_fields (parse_products, by_sku, required, NULL);
    check_element_fields (parse_products, by_sku, "products", product_required, NULL);
  }

  products = pos_product_list_parse (by_code, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (products->len, ==, 1);
  g_assert_cmpstr (((PosProduct *) g_ptr_array_index (products, 0))->match, ==, "barcode");
  g_clear_pointer (&products, g_ptr_array_unref);

  products = pos_product_list_parse (bag, &error);
  g_assert_no_error (error);
  g_assert_true (((PosProduct *) g_ptr_array_index (products, 0))->no_discount);
  g_clear_pointer (&products, g_ptr_array_unref);

  products = pos_product_list_parse (by_name, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (products->len, ==, 2);
  prod = g_ptr_array_index (products, 0);
  g_assert_cmpstr (prod->sku, ==, "CUT");
  g_assert_cmpstr (prod->kind, ==, "service");
  g_assert_cmpstr (prod->match, ==, "name");
  pos_cart_add (cart, prod, 1);
  g_assert_cmpstr (((PosProduct *) g_ptr_array_index (products, 1))->kind, ==, "package");

  /* The cart's lines, typed. */
  g_assert_cmpuint (pos_cart_get_n_lines (cart), ==, 2);
  line = pos_cart_get_line (cart, 0);
  g_assert_cmpstr (line->sku, ==, "COLA");
  g_assert_cmpstr (line->name, ==, "可口可乐 330ml");
  g_assert_cmpstr (line->kind, ==, "goods");
  g_assert_cmpint (line->price_fen, ==, 350);
  g_assert_cmpint (line->qty, ==, 2);
  g_assert_false (line->no_discount);
  g_assert_cmpint (pos_cart_list_total (cart), ==, 2 * 350 + 6800);

  /* sale.preview of the cart with the gold card: 90 %. */
  pos_cart_set_card (cart, f->card);
  args = pos_cart_sale_args (cart, NULL, NULL);
  priced = pos_session_run (f->session, "sale.preview", args, &error);
  g_assert_no_error (error);
  g_assert_true (pos_sale_preview_parse (priced, &p, &error));
  g_assert_no_error (error);
  g_assert_cmpint (p.list_total_fen, ==, 7500);
  g_assert_cmpint (p.total_fen, ==, 630 + 6120);
  g_assert_cmpint (p.discount_fen, ==, 7500 - 6750);
  g_assert_cmpint (p.points_earned, >, 0);
  {
    static const char *const required[] = { "list_total_fen", "discount_fen", "total_fen", "points_earned", NULL };

    check_fields (parse_sale_preview, priced, required, NULL);
  }

  /* The sale itself: the same figures, and what was paid. */
  tenders = json_array_new ();
  {
    JsonObject *cash = json_object_new ();

    json_object_set_string_member (cash, "type", "cash");
    json_object_set_int_member (cash, "amount_fen", 10000);
    json_array_add_object_element (tenders, cash);
  }
  g_clear_pointer (&args, json_object_unref);
  args = pos_cart_sale_args (cart, tenders, NULL);
  json_array_unref (tenders);
  sold = pos_session_run (f->session, "sale", args, &error);
  g_assert_no_error (error);
  paid = pos_paid_parse (sold, "sale", &error);
  g_assert_no_error (error);
  g_assert_cmpstr (paid->receipt_no, ==, "B01-20261122-0001");
  g_assert_cmpint (paid->total_fen, ==, p.total_fen);
  g_assert_cmpint (paid->points_earned, ==, p.points_earned);
  g_assert_cmpint (paid->change_fen, ==, 10000 - p.total_fen);
  g_assert_false (paid->offline);
  g_assert_cmpuint (paid->lines->len, ==, 2);
  sl = g_ptr_array_index (paid->lines, 1);
  g_assert_cmpstr (sl->sku, ==, "CUT");
  g_assert_cmpstr (sl->name, ==, "洗剪吹");
  g_assert_cmpint (sl->qty, ==, 1);
  g_assert_cmpint (sl->unit_price_fen, ==, 6800);
  g_assert_cmpint (sl->amount_fen, ==, 6120);
  g_assert_false (pos_spent_offline (sold));
  {
    static const char *const required[] = {
      "receipt_no", "total_fen", "change_fen", "points_earned", "lines", NULL };
    static const char *const line_required[] = { "sku", "name", "qty", "unit_price_fen", "amount_fen", NULL };

    check_fields (parse_sale_paid, sold, required, NULL);
    check_element_fields (parse_sale_paid, sold, "lines", line_required, NULL);
  }
  /* A spend made offline says so. */
  json_object_set_boolean_member (sold, "offline", TRUE);
  g_clear_pointer (&paid, pos_paid_free);
  paid = pos_paid_parse (sold, "sale", &error);
  g_assert_true (paid->offline);
  g_assert_true (pos_spent_offline (sold));
}

/* The timed board ---------------------------------------------------------------------- */

static void
test_timed (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(JsonObject) resources = run (f, "{\"op\":\"resource.list\"}");
  g_autoptr(JsonObject) started = NULL;
  g_autoptr(JsonObject) sessions = NULL;
  g_autoptr(JsonObject) due = NULL;
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(PosPaid) paid = NULL;
  g_autoptr(GError) error = NULL;
  PosResource *r;
  PosTimedSession *s;

  list = pos_resource_list_parse (resources, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  r = g_ptr_array_index (list, 0);
  g_assert_cmpstr (r->code, ==, "T1");
  g_assert_cmpstr (r->name, ==, "台球 1 号台");
  g_assert_cmpstr (r->plan, ==, "HOUR");
  g_assert_cmpstr (r->plan_name, ==, "按小时");
  {
    static const char *const required[] = { "resources", NULL };
    static const char *const res_required[] = { "code", "name", "plan", NULL };
    static const char *const res_optional[] = { "plan_name", NULL };

    check_fields (parse_resources, resources, required, NULL);
    check_element_fields (parse_resources, resources, "resources", res_required, res_optional);
  }
  g_clear_pointer (&list, g_ptr_array_unref);

  started = run (f, "{\"op\":\"timed.start\",\"resource\":\"T1\",\"card\":\"%s\"}", f->card);
  json_object_unref (run (f, "{\"op\":\"timed.start\",\"resource\":\"T2\"}"));
  /* An hour and a half later: two started hours at 30.00, gold 90 %. */
  mdn_test_set_now ("2026-11-22T11:30:00+08:00");
  sessions = run (f, "{\"op\":\"timed.list\"}");
  list = pos_timed_list_parse (sessions, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (list->len, ==, 2);
  s = g_ptr_array_index (list, 0);
  if (!g_str_equal (s->resource, "T1"))
    s = g_ptr_array_index (list, 1);
  g_assert_cmpstr (s->session_id, ==, mdn_test_str (started, "session_id"));
  g_assert_cmpstr (s->resource, ==, "T1");
  g_assert_true (g_str_has_prefix (s->started_at, "2026-11-22T10:00:00"));
  g_assert_cmpint (s->charge_fen, ==, 2 * 3000 * 90 / 100);
  g_assert_cmpstr (s->card_no, ==, f->card);
  g_assert_cmpstr (s->member_name, ==, "张三");
  s = g_ptr_array_index (list, s == g_ptr_array_index (list, 0) ? 1 : 0);
  g_assert_cmpstr (s->resource, ==, "T2");
  g_assert_null (s->card_no);
  g_assert_null (s->member_name);
  g_assert_cmpint (s->charge_fen, ==, 2 * 3000);
  {
    static const char *const required[] = { "sessions", NULL };
    static const char *const ses_required[] = { "session_id", "resource", "started_at", "charge_fen", "paused",
                                                "run_seconds", NULL };
    static const char *const ses_optional[] = { "card_no", "member_name", "items", NULL };
    g_autoptr(JsonObject) t1_first = NULL;

    check_fields (parse_sessions, sessions, required, NULL);
    /* The member's session, whichever comes first. */
    t1_first = element_answer (sessions, "sessions",
                               g_str_equal (mdn_test_str (json_array_get_object_element (
                                 json_object_get_array_member (sessions, "sessions"), 0), "resource"), "T1") ? 0 : 1);
    nested = (Nested) { parse_sessions, sessions, "sessions" };
    check_fields (parse_nested, t1_first, ses_required, ses_optional);
    nested = (Nested) { 0 };
  }

  /* What stopping costs, from timed.stop itself rolled back. */
  due = preview (f, "{\"op\":\"timed.stop\",\"session_id\":\"%s\","
                    "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":100000}]}", mdn_test_str (started, "session_id"));
  paid = pos_paid_parse (due, "timed.stop", &error);
  g_assert_no_error (error);
  g_assert_cmpint (paid->total_fen, ==, 5400);
  g_assert_cmpint (paid->change_fen, ==, 100000 - 5400);
  g_assert_cmpint (paid->points_earned, ==, 54 * 2);
  g_assert_nonnull (paid->receipt_no);
  g_assert_cmpuint (paid->lines->len, ==, 0);
  g_assert_cmpint (paid->minutes, ==, mdn_test_int (due, "minutes"));
  g_assert_nonnull (paid->started_at);
  g_assert_nonnull (paid->stopped_at);
  {
    static const char *const required[] = { "receipt_no", "total_fen", "change_fen", "points_earned", "minutes",
                                            "started_at", "stopped_at", NULL };
    static const char *const optional[] = { "resource_name", "time_fen", NULL };

    check_fields (parse_timed_paid, due, required, optional);
  }
}

/* A receipt and its return ---------------------------------------------------------------- */

static void
test_return (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(JsonObject) sale = NULL;
  g_autoptr(JsonObject) shown = NULL;
  g_autoptr(JsonObject) back = NULL;
  g_autoptr(JsonObject) done = NULL;
  g_autoptr(JsonObject) shown_return = NULL;
  g_autoptr(PosSaleRecord) rec = NULL;
  g_autoptr(PosRefund) refund = NULL;
  g_autoptr(GError) error = NULL;
  PosSoldLine *l;
  PosTenderAmount *t;

  sale = run (f, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"COLA\",\"qty\":3},{\"sku\":\"CUT\",\"qty\":1}],"
                 "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":7065}]}", f->card);
  shown = run (f, "{\"op\":\"receipt.show\",\"receipt_no\":\"%s\"}", mdn_test_str (sale, "receipt_no"));
  rec = pos_sale_record_parse (shown, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rec->kind, ==, "sale");
  g_assert_cmpstr (rec->receipt_no, ==, mdn_test_str (sale, "receipt_no"));
  g_assert_cmpstr (rec->entry_id, ==, mdn_test_str (sale, "entry_id"));
  g_assert_true (g_str_has_prefix (rec->at, "2026-11-22T10:00:00"));
  g_assert_cmpstr (rec->staff, ==, "admin");
  g_assert_cmpstr (rec->card_no, ==, f->card);
  g_assert_cmpint (rec->total_fen, ==, 945 + 6120);
  g_assert_cmpuint (rec->lines->len, ==, 2);
  l = g_ptr_array_index (rec->lines, 0);
  g_assert_cmpstr (l->sku, ==, "COLA");
  g_assert_cmpstr (l->name, ==, "可口可乐 330ml");
  g_assert_cmpint (l->qty, ==, 3);
  g_assert_cmpint (l->unit_price_fen, ==, 350);
  g_assert_cmpint (l->amount_fen, ==, 945);
  g_assert_cmpint (l->returnable_qty, ==, 3);
  {
    static const char *const required[] = { "kind", "entry_id", "at", "staff", "total_fen", "lines", NULL };
    static const char *const optional[] = { "card_no", "receipt_no", "staff_name", NULL };
    static const char *const line_required[] = {
      "sku", "name", "qty", "unit_price_fen", "amount_fen", "returnable_qty", "returned_qty", NULL };
    static const char *const line_optional[] = { "kind", NULL };

    check_fields (parse_record, shown, required, optional);
    check_element_fields (parse_record, shown, "lines", line_required, line_optional);
  }

  /* Two colas back: the refund from sale.return itself, rolled back. */
  back = preview (f, "{\"op\":\"sale.return\",\"entry_id\":\"%s\",\"lines\":[{\"sku\":\"COLA\",\"qty\":2}]}",
                  rec->entry_id);
  refund = pos_refund_parse (back, &error);
  g_assert_no_error (error);
  g_assert_cmpint (refund->refund_fen, ==, 630);
  g_assert_cmpint (refund->points_taken, ==, mdn_test_int (back, "points_taken"));
  g_assert_cmpint (refund->points_taken, >, 0);
  g_assert_cmpuint (refund->tenders->len, ==, 1);
  t = g_ptr_array_index (refund->tenders, 0);
  g_assert_cmpstr (t->type, ==, "cash");
  g_assert_cmpint (t->amount_fen, ==, 630);
  {
    static const char *const required[] = { "refund_fen", "points_taken", "tenders", NULL };
    static const char *const tender_required[] = { "type", "amount_fen", NULL };

    check_fields (parse_refund, back, required, NULL);
    check_element_fields (parse_refund, back, "tenders", tender_required, NULL);
  }

  /* The return's own receipt: its kind and number, no lines to return. */
  done = run (f, "{\"op\":\"sale.return\",\"entry_id\":\"%s\",\"lines\":[{\"sku\":\"COLA\",\"qty\":2}]}",
              rec->entry_id);
  shown_return = run (f, "{\"op\":\"receipt.show\",\"receipt_no\":\"%s\"}", mdn_test_str (done, "receipt_no"));
  g_clear_pointer (&rec, pos_sale_record_free);
  rec = pos_sale_record_parse (shown_return, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (rec->kind, ==, "sale.return");
  g_assert_cmpstr (rec->receipt_no, ==, mdn_test_str (done, "receipt_no"));
  g_assert_cmpstr (rec->entry_id, ==, mdn_test_str (done, "entry_id"));
  g_assert_cmpuint (rec->lines->len, ==, 0);
  {
    static const char *const required[] = { "kind", "entry_id", "at", "staff", NULL };
    static const char *const optional[] = { "receipt_no", "staff_name", NULL };

    check_fields (parse_record, shown_return, required, optional);
  }
}

/* The shift summary, head office, staff ------------------------------------------------------- */

static PosShiftSum *
find_sum (GPtrArray  *sums,
          const char *code)
{
  for (guint i = 0; i < sums->len; i++)
    if (g_str_equal (((PosShiftSum *) g_ptr_array_index (sums, i))->code, code))
      return g_ptr_array_index (sums, i);
  g_error ("no sum for %s", code);
  return NULL;
}

static void
test_shift (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(JsonObject) report = NULL;
  g_autoptr(PosShift) shift = NULL;
  g_autoptr(GError) error = NULL;
  PosShiftSum *s;

  json_object_unref (run (f, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"COLA\",\"qty\":2}],"
                             "\"tenders\":[{\"type\":\"wechat\",\"amount_fen\":700}]}"));
  report = run (f, "{\"op\":\"report.shift\"}");
  shift = pos_shift_parse (report, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (shift->date, ==, "2026-11-22");
  g_assert_cmpint (shift->net_fen, ==, 20000 + 700);
  g_assert_cmpint (shift->entries, ==, mdn_test_int (report, "entries"));
  g_assert_cmpint (shift->entries, >=, 2);
  s = find_sum (shift->by_tender, "cash");
  g_assert_null (s->name);
  g_assert_cmpint (s->count, ==, 1);
  g_assert_cmpint (s->amount_fen, ==, 20000);
  s = find_sum (shift->by_tender, "wechat");
  g_assert_cmpint (s->amount_fen, ==, 700);
  s = find_sum (shift->by_staff, "admin");
  g_assert_cmpstr (s->name, ==, "Administrator");
  g_assert_cmpint (s->amount_fen, ==, 20700);
  s = find_sum (shift->by_kind, "sale");
  g_assert_cmpint (s->count, ==, 1);
  g_assert_cmpint (s->amount_fen, ==, 700);
  s = find_sum (shift->by_kind, "member.deposit");
  g_assert_cmpint (s->amount_fen, ==, 20000);
  {
    static const char *const required[] = { "date", "net_fen", "entries", "by_tender", "by_staff", "by_kind", NULL };
    static const char *const tender_required[] = { "tender", "count", "amount_fen", NULL };
    static const char *const staff_required[] = { "staff", "count", "amount_fen", NULL };
    static const char *const staff_optional[] = { "name", NULL };
    static const char *const kind_required[] = { "kind", "count", "amount_fen", NULL };

    check_fields (parse_shift, report, required, NULL);
    check_element_fields (parse_shift, report, "by_tender", tender_required, NULL);
    check_element_fields (parse_shift, report, "by_staff", staff_required, staff_optional);
    check_element_fields (parse_shift, report, "by_kind", kind_required, NULL);
  }
}

static void
test_sync_and_staff (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(JsonObject) alone = run (f, "{\"op\":\"sync.status\"}");
  g_autoptr(JsonObject) pinned = NULL;
  g_autoptr(JsonObject) with_ca = NULL;
  g_autoptr(JsonObject) me = run (f, "{\"op\":\"staff.me\"}");
  g_autoptr(PosSyncStatus) st = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *name = NULL;
  g_autofree char *ca = g_build_filename (f->branch->dir, "ca.pem", NULL);
  static const char *const token = "0123456789abcdef0123456789abcdef0123456789abcdef";
  static const char *const pin = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

  st = pos_sync_status_parse (alone, &error);
  g_assert_no_error (error);
  g_assert_false (st->linked);
  g_assert_null (st->server);
  g_assert_null (st->ca);
  g_assert_null (st->pin_sha256);
  g_assert_cmpint (st->waiting, ==, mdn_test_int (alone, "last_seq"));
  g_assert_cmpint (st->waiting, >, 0);
  g_clear_pointer (&st, pos_sync_status_free);

  g_assert_true (mdn_sync_link (f->branch->store, "https://hq.example.com:8443/", token, NULL, pin, &error));
  g_assert_no_error (error);
  pinned = run (f, "{\"op\":\"sync.status\"}");
  st = pos_sync_status_parse (pinned, &error);
  g_assert_no_error (error);
  g_assert_true (st->linked);
  g_assert_cmpstr (st->server, ==, "https://hq.example.com:8443/");
  g_assert_cmpstr (st->pin_sha256, ==, pin);
  g_assert_null (st->ca);
  {
    static const char *const required[] = { "linked", "waiting", NULL };
    static const char *const optional[] = { "server", "pin_sha256", NULL };

    check_fields (parse_sync, pinned, required, optional);
  }
  g_clear_pointer (&st, pos_sync_status_free);

  g_assert_true (g_file_set_contents (ca, "-----BEGIN CERTIFICATE-----\n", -1, NULL));
  g_assert_true (mdn_sync_link (f->branch->store, "https://hq.example.com:8443/", token, ca, NULL, &error));
  g_assert_no_error (error);
  with_ca = run (f, "{\"op\":\"sync.status\"}");
  st = pos_sync_status_parse (with_ca, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (st->ca, ==, ca);
  g_assert_null (st->pin_sha256);
  {
    static const char *const required[] = { "linked", "waiting", NULL };
    static const char *const optional[] = { "server", "ca", NULL };

    check_fields (parse_sync, with_ca, required, optional);
  }

  name = pos_staff_name_parse (me, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (name, ==, "Administrator");
  {
    static const char *const required[] = { "name", NULL };

    check_fields (parse_staff, me, required, NULL);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  mdn_branch_init ();

#define ADD(path, func) g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
  ADD ("/pos/views/member", test_member);
  ADD ("/pos/views/member-states", test_member_states);
  ADD ("/pos/views/member-search", test_member_search);
  ADD ("/pos/views/member-history", test_member_history);
  ADD ("/pos/views/levels-and-deposit", test_levels_and_deposit);
  ADD ("/pos/views/cart", test_cart);
  ADD ("/pos/views/timed", test_timed);
  ADD ("/pos/views/return", test_return);
  ADD ("/pos/views/shift", test_shift);
  ADD ("/pos/views/sync-and-staff", test_sync_and_staff);
#undef ADD
  return g_test_run ();
}
