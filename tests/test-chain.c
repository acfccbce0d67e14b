/* test-chain.c: branches that disagree, through the real mendian-server on
 * 127.0.0.1 port 0 (docs/server.md, "What happens when two branches
 * disagree"):
 *
 *   returns      one sale returned at two branches: refused online (the
 *                server holds what remains returnable chain-wide), an
 *                over-refund exception on the sale when both were offline
 *   cards        a loss report and a replacement, two replacements of one
 *                card, at two branches: authorized online, resolved by one
 *                rule offline, the same card state at every terminal
 *   packages     uses judged per service net across lots; an overdraft
 *                through offline use or a package return holds the card,
 *                and each kind of hold is lifted by what it documents
 */
#include <signal.h>
#include <string.h>

#include "mdn-db.h"
#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-sync.h"
#include "mdn-test-server.h"

/* Helpers ------------------------------------------------------------------------- */

static void
at (const char *hhmm)
{
  g_autofree char *iso = g_strdup_printf ("2026-11-20T%s:00+08:00", hhmm);

  mdn_test_set_now (iso);
}

/* A branch registered and linked; its own products and its "normal" level
 * allowing @offline_limit a day offline (branch master data stays local). */
static MdnTestBranch *
branch_new (MdnTestServer *s,
            const char    *code,
            int            number,
            const char    *offline_limit)
{
  const char *products[] = {
    "{\"op\":\"product.upsert\",\"sku\":\"TEA\",\"name\":\"Tea\",\"kind\":\"goods\",\"price_fen\":1500}",
    "{\"op\":\"product.upsert\",\"sku\":\"CUT\",\"name\":\"Cut\",\"kind\":\"service\",\"price_fen\":3000}",
    "{\"op\":\"product.upsert\",\"sku\":\"CUT5A\",\"name\":\"Cut x5, 30 days\",\"kind\":\"package\","
    "\"price_fen\":12000,\"package_sku\":\"CUT\",\"package_count\":5,\"package_days\":30}",
    "{\"op\":\"product.upsert\",\"sku\":\"CUT5B\",\"name\":\"Cut x5\",\"kind\":\"package\",\"price_fen\":13000,"
    "\"package_sku\":\"CUT\",\"package_count\":5}",
  };
  MdnTestBranch *b = mdn_test_branch_new (code, number);

  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"level.upsert\",\"code\":\"normal\",\"name\":\"Normal\","
                                            "\"price_percent\":100,\"points_per_yuan\":1,\"offline_limit\":\"%s\"}",
                                  offline_limit));
  for (guint i = 0; i < G_N_ELEMENTS (products); i++)
    json_object_unref (mdn_test_ok (b->admin, "%s", products[i]));
  mdn_test_server_add_branch (s, code, number, FALSE);
  mdn_test_server_link (s, b);
  return b;
}

static void
restart (MdnTestServer *s,
         MdnTestBranch **branches,
         guint           n)
{
  mdn_test_server_start (s, NULL);
  for (guint i = 0; i < n; i++)
    mdn_test_server_link (s, branches[i]);
}

static void
sync_all (MdnTestBranch **branches,
          guint           n)
{
  /* Twice round: the first pushes everything, the second pulls it all. */
  for (int round = 0; round < 2; round++)
    for (guint i = 0; i < n; i++)
      mdn_test_sync_ok (branches[i]);
}

static JsonObject *
show (MdnTestBranch *b,
      const char    *card)
{
  return mdn_test_ok (b->admin, "{\"op\":\"member.show\",\"card\":\"%s\"}", card);
}

static JsonObject *
exceptions (MdnTestServer *s,
            const char    *status)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/exceptions%s%s", status ? "?status=" : "", status ? status : "");
  JsonObject *out = NULL;

  g_assert_cmpuint (mdn_test_http (s, "GET", path, s->hq_token, NULL, 0, &out), ==, 200);
  return out;
}

static guint
n_exceptions (MdnTestServer *s,
              const char    *status)
{
  g_autoptr(JsonObject) out = exceptions (s, status);

  return json_array_get_length (json_object_get_array_member (out, "exceptions"));
}

static JsonObject *
summary (MdnTestServer *s)
{
  JsonObject *out = NULL;

  g_assert_cmpuint (mdn_test_http (s, "GET", "/api/v1/reports/summary?from=2026-11-01&to=2026-11-30",
                                   s->hq_token, NULL, 0, &out), ==, 200);
  return out;
}

static gint64
chain_figure (MdnTestServer *s,
              const char    *name)
{
  g_autoptr(JsonObject) out = summary (s);

  return mdn_test_int (json_object_get_object_member (out, "chain"), name);
}

static gboolean
offline_of (JsonObject *r)
{
  g_assert_true (json_object_has_member (r, "offline"));
  return json_object_get_boolean_member (r, "offline");
}

/* The members, their cards and their package lots, as every terminal must
 * show them once it has every entry. */
static void
assert_same (MdnTestServer  *s,
             MdnTestBranch **branches,
             guint           n)
{
  static const char *const tables[] = { "members", "cards", "member_packages", NULL };
  g_autoptr(MdnDb) server = mdn_test_server_db (s);
  g_autofree char *expected = NULL;

  expected = mdn_test_dump (server, tables);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *found = mdn_test_dump (branches[i]->store->db, tables);

      g_assert_cmpstr (found, ==, expected);
      g_assert_cmpuint (mdn_test_verify (branches[i]), ==, 0);
    }
}

/* Returns ------------------------------------------------------------------------- */

/* Issue 10, 1: B01 sells tea ×2 for 30.00 from the balance and returns it;
 * B02, which has not pulled that return, returns it too. Online the server
 * refuses B02's, before and after B01 pushed its return. */
static void
test_return_online (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("chain", NULL);
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autoptr(MdnTestBranch) b2 = NULL;
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(JsonObject) sale = NULL;
  g_autofree char *card = NULL;
  const char *sale_id;
  MdnTestBranch *all[2];

  at ("10:00");
  b1 = branch_new (s, "B01", 1, "0");
  b2 = branch_new (s, "B02", 2, "0");
  all[0] = b1, all[1] = b2;
  r = mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"M\",\"phone\":\"13800000001\",\"deposit\":\"100.00\"}");
  card = g_strdup (mdn_test_str (r, "card_no"));
  sale = mdn_test_ok (b1->admin, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"TEA\",\"qty\":2}],"
                                 "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":3000}]}", card);
  sale_id = mdn_test_str (sale, "entry_id");
  sync_all (all, 2);

  at ("10:05");
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b1->admin, "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}", sale_id);
  g_assert_false (offline_of (r));
  g_assert_cmpint (mdn_test_int (r, "refund_fen"), ==, 3000);
  /* B01 has not pushed it: the server's hold on the sale refuses B02. */
  at ("10:06");
  mdn_test_fails (b2->admin, "return_exceeds", "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}", sale_id);
  mdn_test_fails (b2->admin, "return_exceeds", "{\"op\":\"sale.return\",\"entry_id\":\"%s\","
                                               "\"lines\":[{\"sku\":\"TEA\",\"qty\":1}]}", sale_id);
  /* Pushed: B02 pulls it before asking, and its own view refuses. */
  mdn_test_sync_ok (b1);
  mdn_test_fails (b2->admin, "return_exceeds", "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}", sale_id);

  /* Half a sale at each branch is fine; a third half is not. */
  g_clear_pointer (&sale, json_object_unref);
  sale = mdn_test_ok (b1->admin, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"TEA\",\"qty\":2}],"
                                 "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":3000}]}", card);
  sale_id = mdn_test_str (sale, "entry_id");
  sync_all (all, 2);
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b1->admin, "{\"op\":\"sale.return\",\"entry_id\":\"%s\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1}]}",
                   sale_id);
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b2->admin, "{\"op\":\"sale.return\",\"entry_id\":\"%s\",\"lines\":[{\"sku\":\"TEA\",\"qty\":1}]}",
                   sale_id);
  g_assert_false (offline_of (r));
  mdn_test_fails (b2->admin, "return_exceeds", "{\"op\":\"sale.return\",\"entry_id\":\"%s\","
                                               "\"lines\":[{\"sku\":\"TEA\",\"qty\":1}]}", sale_id);
  sync_all (all, 2);

  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(JsonObject) m = show (all[i], card);
      g_autoptr(JsonObject) shown = mdn_test_ok (all[i]->admin, "{\"op\":\"receipt.show\",\"entry_id\":\"%s\"}",
                                                 sale_id);

      g_assert_cmpint (mdn_test_int (m, "balance_fen"), ==, 10000);
      g_assert_cmpint (mdn_test_int (shown, "refunded_fen"), ==, 3000);
      g_assert_false (json_object_has_member (shown, "over_refunded_fen"));
    }
  g_assert_cmpuint (n_exceptions (s, NULL), ==, 0);
  g_assert_cmpint (chain_figure (s, "refund_fen"), ==, 6000);
  g_assert_cmpint (chain_figure (s, "over_refund_fen"), ==, 0);
  assert_same (s, all, 2);
  mdn_test_set_now (NULL);
}

/* Both offline: both returns are made, and the excess is an exception on
 * the sale, in the summary and on the receipt at every terminal, until
 * head office writes it off. */
static void
test_return_offline (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("chain", NULL);
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autoptr(MdnTestBranch) b2 = NULL;
  g_autoptr(MdnTestBranch) hq = NULL;
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(JsonObject) sale = NULL;
  g_autoptr(JsonObject) out = NULL;
  g_autofree char *card = NULL;
  const char *sale_id;
  JsonObject *ex;
  MdnTestBranch *all[3];

  at ("10:00");
  b1 = branch_new (s, "B01", 1, "0");
  b2 = branch_new (s, "B02", 2, "0");
  hq = mdn_test_server_branch_new (s, "HQ", 0, TRUE);
  all[0] = b1, all[1] = b2, all[2] = hq;
  r = mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"M\",\"phone\":\"13800000001\",\"deposit\":\"100.00\"}");
  card = g_strdup (mdn_test_str (r, "card_no"));
  sale = mdn_test_ok (b1->admin, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"TEA\",\"qty\":2}],"
                                 "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":3000}]}", card);
  sale_id = mdn_test_str (sale, "entry_id");
  sync_all (all, 3);
  g_assert_cmpint (mdn_test_server_stop (s, SIGTERM), ==, 0);

  at ("10:05");
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b1->admin, "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}", sale_id);
  g_assert_true (offline_of (r));
  at ("10:06");
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b2->admin, "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}", sale_id);
  g_assert_true (offline_of (r));

  restart (s, all, 3);
  sync_all (all, 3);
  /* The excess on the sale; and the sale's 30 points taken back twice
     leave the card 30 points short, an overdraft of its own. */
  out = exceptions (s, "open");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (out, "exceptions")), ==, 2);
  ex = json_array_get_object_element (json_object_get_array_member (out, "exceptions"), 1);
  g_assert_cmpstr (mdn_test_str (ex, "kind"), ==, "overdraft");
  g_assert_cmpstr (mdn_test_str (ex, "account"), ==, "points");
  g_assert_cmpint (mdn_test_int (ex, "amount"), ==, 30);
  ex = json_array_get_object_element (json_object_get_array_member (out, "exceptions"), 0);
  g_assert_cmpstr (mdn_test_str (ex, "kind"), ==, "over_refund");
  g_assert_cmpstr (mdn_test_str (ex, "sale_entry"), ==, sale_id);
  g_assert_cmpstr (mdn_test_str (ex, "sale_receipt_no"), ==, mdn_test_str (sale, "receipt_no"));
  g_assert_cmpstr (mdn_test_str (ex, "branch"), ==, "B02");
  g_assert_cmpint (mdn_test_int (ex, "amount"), ==, 3000);
  g_assert_cmpint (chain_figure (s, "refund_fen"), ==, 6000);
  g_assert_cmpint (chain_figure (s, "over_refund_fen"), ==, 3000);
  /* The member's figures by day (member.segments {days}), kept on apply at
     the server as at the terminals, whichever return arrived first: one
     visit, 30.00 spent, 30.00 refunded twice. */
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM member_days WHERE business_date = '2026-11-20' "
                                             "AND visits = 1 AND spent_fen = -3000"), ==, 1);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM member_days"), ==, 1);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(JsonObject) m = show (all[i], card);
      g_autoptr(JsonObject) shown = mdn_test_ok (all[i]->admin, "{\"op\":\"receipt.show\",\"entry_id\":\"%s\"}",
                                                 sale_id);

      g_assert_true (json_object_get_boolean_member (m, "on_hold"));
      g_assert_cmpint (mdn_test_int (m, "hold_points"), ==, 30);
      g_assert_cmpint (mdn_test_int (m, "balance_fen"), ==, 13000);
      g_assert_cmpint (mdn_test_int (shown, "refunded_fen"), ==, 6000);
      g_assert_cmpint (mdn_test_int (shown, "over_refunded_fen"), ==, 3000);
      g_assert_cmpint (mdn_test_int (shown, "refundable_fen"), ==, 0);
    }
  assert_same (s, all, 3);

  /* Head office closes it. */
  mdn_test_fails (b1->admin, "hq_only", "{\"op\":\"exception.write_off\",\"sale\":\"%s\",\"reason\":\"x\"}",
                  mdn_test_str (sale, "receipt_no"));
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (hq->admin, "{\"op\":\"exception.write_off\",\"sale\":\"%s\",\"reason\":\"两店重复退货\"}",
                   mdn_test_str (sale, "receipt_no"));
  g_assert_cmpint (mdn_test_int (r, "written_off_fen"), ==, 3000);
  mdn_test_sync_ok (hq);
  g_assert_cmpuint (n_exceptions (s, "open"), ==, 1);
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (hq->admin, "{\"op\":\"exception.write_off\",\"card\":\"%s\",\"reason\":\"重复退货的积分\"}", card);
  g_assert_cmpint (mdn_test_int (r, "written_off_points"), ==, 30);
  sync_all (all, 3);
  g_assert_cmpuint (n_exceptions (s, "open"), ==, 0);
  g_clear_pointer (&out, json_object_unref);
  out = exceptions (s, "settled");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (out, "exceptions")), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      ex = json_array_get_object_element (json_object_get_array_member (out, "exceptions"), i);
      g_assert_cmpstr (mdn_test_str (ex, "settled_by_kind"), ==, "exception.write_off");
    }
  g_assert_cmpint (chain_figure (s, "written_off_fen"), ==, 3000);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(JsonObject) m = show (all[i], card);

      g_assert_false (json_object_get_boolean_member (m, "on_hold"));
    }
  assert_same (s, all, 3);
  mdn_test_set_now (NULL);
}

/* Cards --------------------------------------------------------------------------- */

static JsonObject *
issue (MdnTestBranch *b,
       const char    *phone)
{
  return mdn_test_ok (b->admin, "{\"op\":\"member.issue\",\"name\":\"M\",\"phone\":\"%s\",\"deposit\":\"50.00\"}", phone);
}

static const char *
status_of (MdnTestBranch *b,
           const char    *card,
           char         **current)
{
  g_autoptr(JsonObject) m = show (b, card);
  static char status[16];

  g_strlcpy (status, mdn_test_str (m, "status"), sizeof status);
  if (current)
    *current = g_strdup (json_object_has_member (m, "replaced_by") ? mdn_test_str (m, "replaced_by")
                                                                  : mdn_test_str (m, "card_no"));
  return status;
}

/* Issue 10, 2, online: B02 reports C lost; B01, not synced, replaces C.
 * The server authorized both, in that order: C2 is active everywhere. */
static void
test_card_online (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("chain", NULL);
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autoptr(MdnTestBranch) b2 = NULL;
  g_autoptr(JsonObject) c = NULL;
  g_autoptr(JsonObject) d = NULL;
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(JsonObject) c2 = NULL;
  g_autoptr(JsonObject) d2 = NULL;
  MdnTestBranch *all[2];

  at ("10:00");
  b1 = branch_new (s, "B01", 1, "0");
  b2 = branch_new (s, "B02", 2, "0");
  all[0] = b1, all[1] = b2;
  c = issue (b1, "13800000001");
  d = issue (b1, "13800000002");
  sync_all (all, 2);

  /* B02's clock is behind: the rev, not the time, orders them. */
  at ("10:30");
  r = mdn_test_ok (b2->admin, "{\"op\":\"member.lose\",\"card\":\"%s\"}", mdn_test_str (c, "card_no"));
  g_assert_false (offline_of (r));
  at ("10:10");
  c2 = mdn_test_ok (b1->admin, "{\"op\":\"member.replace\",\"card\":\"%s\"}", mdn_test_str (c, "card_no"));
  g_assert_false (offline_of (c2));
  sync_all (all, 2);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *current = NULL;
      g_autoptr(JsonObject) dep = NULL;

      g_assert_cmpstr (status_of (all[i], mdn_test_str (c, "card_no"), &current), ==, "replaced");
      g_assert_cmpstr (current, ==, mdn_test_str (c2, "card_no"));
      g_assert_cmpstr (status_of (all[i], mdn_test_str (c2, "card_no"), NULL), ==, "active");
      dep = mdn_test_ok (all[i]->admin, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"1.00\"}",
                         mdn_test_str (c2, "card_no"));
    }

  /* B01 replaces D; B02, not synced, is refused a loss report of D while
   * the replacement is on its way, and after it by its own view. */
  at ("11:00");
  d2 = mdn_test_ok (b1->admin, "{\"op\":\"member.replace\",\"card\":\"%s\"}", mdn_test_str (d, "card_no"));
  mdn_test_fails (b2->admin, "card_replaced", "{\"op\":\"member.lose\",\"card\":\"%s\"}", mdn_test_str (d, "card_no"));
  mdn_test_sync_ok (b1);
  mdn_test_fails (b2->admin, "card_replaced", "{\"op\":\"member.lose\",\"card\":\"%s\"}", mdn_test_str (d, "card_no"));
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b2->admin, "{\"op\":\"member.lose\",\"card\":\"%s\"}", mdn_test_str (d2, "card_no"));
  /* Reported lost at B02, not pushed yet: B01 may not report it again (the
     server holds B02's report), nor unlock it (it has not heard of it). */
  mdn_test_fails (b1->admin, "card_lost", "{\"op\":\"member.lose\",\"card\":\"%s\"}", mdn_test_str (d2, "card_no"));
  mdn_test_fails (b1->admin, "card_not_lost", "{\"op\":\"member.unlock\",\"card\":\"%s\"}",
                  mdn_test_str (d2, "card_no"));
  /* Pushed: B01 pulls it first and unlocks; B02, which has not pulled the
     unlock, is one unlock too many. */
  mdn_test_sync_ok (b2);
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b1->admin, "{\"op\":\"member.unlock\",\"card\":\"%s\"}", mdn_test_str (d2, "card_no"));
  g_assert_false (offline_of (r));
  mdn_test_fails (b2->admin, "card_not_lost", "{\"op\":\"member.unlock\",\"card\":\"%s\"}", mdn_test_str (d2, "card_no"));
  sync_all (all, 2);
  for (guint i = 0; i < 2; i++)
    g_assert_cmpstr (status_of (all[i], mdn_test_str (d2, "card_no"), NULL), ==, "active");
  g_assert_cmpuint (n_exceptions (s, NULL), ==, 0);
  assert_same (s, all, 2);
  mdn_test_set_now (NULL);
}

/* Issue 10, 2, offline: the same conflicts with the server down, resolved
 * by the one rule at every terminal and reported to head office. */
static void
test_card_offline (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("chain", NULL);
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autoptr(MdnTestBranch) b2 = NULL;
  g_autoptr(JsonObject) p = NULL;
  g_autoptr(JsonObject) q = NULL;
  g_autoptr(JsonObject) t = NULL;
  g_autoptr(JsonObject) p2 = NULL;
  g_autoptr(JsonObject) q2 = NULL;
  g_autoptr(JsonObject) t2 = NULL;
  g_autoptr(JsonObject) t3 = NULL;
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(JsonObject) out = NULL;
  JsonArray *list;
  MdnTestBranch *all[2];
  gboolean seen_lost = FALSE, seen_twice = FALSE;

  at ("10:00");
  b1 = branch_new (s, "B01", 1, "0");
  b2 = branch_new (s, "B02", 2, "0");
  all[0] = b1, all[1] = b2;
  p = issue (b1, "13800000001");
  q = issue (b1, "13800000002");
  t = issue (b1, "13800000003");
  sync_all (all, 2);
  g_assert_cmpint (mdn_test_server_stop (s, SIGTERM), ==, 0);

  /* P: lost at B02, then replaced at B01: the replacement is active. */
  at ("10:10");
  r = mdn_test_ok (b2->admin, "{\"op\":\"member.lose\",\"card\":\"%s\"}", mdn_test_str (p, "card_no"));
  g_assert_true (offline_of (r));
  at ("10:11");
  p2 = mdn_test_ok (b1->admin, "{\"op\":\"member.replace\",\"card\":\"%s\"}", mdn_test_str (p, "card_no"));
  g_assert_true (offline_of (p2));
  /* Q: replaced at B01, then reported lost at B02 by its old number: the
     loss reaches the replacement, lost everywhere. */
  at ("10:20");
  q2 = mdn_test_ok (b1->admin, "{\"op\":\"member.replace\",\"card\":\"%s\"}", mdn_test_str (q, "card_no"));
  at ("10:21");
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b2->admin, "{\"op\":\"member.lose\",\"card\":\"%s\"}", mdn_test_str (q, "card_no"));
  /* T: replaced at both: the later replacement is the card. */
  at ("10:30");
  t2 = mdn_test_ok (b1->admin, "{\"op\":\"member.replace\",\"card\":\"%s\"}", mdn_test_str (t, "card_no"));
  at ("10:31");
  t3 = mdn_test_ok (b2->admin, "{\"op\":\"member.replace\",\"card\":\"%s\"}", mdn_test_str (t, "card_no"));

  restart (s, all, 2);
  sync_all (all, 2);
  for (guint i = 0; i < 2; i++)
    {
      g_autofree char *current = NULL;
      g_autoptr(JsonObject) dep = NULL;

      g_assert_cmpstr (status_of (all[i], mdn_test_str (p2, "card_no"), NULL), ==, "active");
      dep = mdn_test_ok (all[i]->admin, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"1.00\"}",
                         mdn_test_str (p2, "card_no"));
      g_assert_cmpstr (status_of (all[i], mdn_test_str (q2, "card_no"), NULL), ==, "lost");
      mdn_test_fails (all[i]->admin, "card_lost", "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"1.00\"}",
                      mdn_test_str (q2, "card_no"));
      g_assert_cmpstr (status_of (all[i], mdn_test_str (t2, "card_no"), &current), ==, "replaced");
      g_assert_cmpstr (current, ==, mdn_test_str (t3, "card_no"));
      g_assert_cmpstr (status_of (all[i], mdn_test_str (t3, "card_no"), NULL), ==, "active");
    }
  sync_all (all, 2);
  assert_same (s, all, 2);

  out = exceptions (s, "noted");
  list = json_object_get_array_member (out, "exceptions");
  g_assert_cmpuint (json_array_get_length (list), ==, 2);
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *ex = json_array_get_object_element (list, i);
      JsonObject *detail = json_object_get_object_member (ex, "detail");
      const char *reason = mdn_test_str (detail, "reason");

      g_assert_cmpstr (mdn_test_str (ex, "kind"), ==, "card_conflict");
      g_assert_cmpstr (mdn_test_str (ex, "branch"), ==, "B02");
      if (g_str_equal (reason, "lost_after_replace"))
        {
          seen_lost = TRUE;
          g_assert_cmpstr (mdn_test_str (detail, "card_no"), ==, mdn_test_str (q, "card_no"));
          g_assert_cmpstr (mdn_test_str (detail, "current_card_no"), ==, mdn_test_str (q2, "card_no"));
        }
      else
        {
          seen_twice = TRUE;
          g_assert_cmpstr (reason, ==, "replaced_twice");
          g_assert_cmpstr (mdn_test_str (detail, "current_card_no"), ==, mdn_test_str (t2, "card_no"));
        }
    }
  g_assert_true (seen_lost && seen_twice);
  /* No hold for any of it. */
  g_assert_cmpuint (n_exceptions (s, "open"), ==, 0);

  /* The member shows ID at B01: the lost replacement is unlocked. */
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b1->admin, "{\"op\":\"member.unlock\",\"card\":\"%s\"}", mdn_test_str (q2, "card_no"));
  g_assert_false (offline_of (r));
  sync_all (all, 2);
  g_assert_cmpstr (status_of (b2, mdn_test_str (q2, "card_no"), NULL), ==, "active");
  assert_same (s, all, 2);
  mdn_test_set_now (NULL);
}

/* Packages ------------------------------------------------------------------------ */

static gint64
uses_of (JsonObject *m,
         const char *sku,
         gint64     *overdrawn)
{
  JsonArray *list = json_object_get_array_member (m, "packages");

  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *o = json_array_get_object_element (list, i);

      if (g_str_equal (mdn_test_str (o, "sku"), sku))
        {
          if (overdrawn)
            *overdrawn = mdn_test_int (o, "overdrawn_uses");
          return mdn_test_int (o, "remaining");
        }
    }
  if (overdrawn)
    *overdrawn = 0;
  return 0;
}

static JsonObject *
buy (MdnTestBranch *b,
     const char    *card,
     const char    *sku,
     gint64         fen)
{
  return mdn_test_ok (b->admin, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"%s\",\"qty\":1}],"
                                "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":%" G_GINT64_FORMAT "}]}",
                      card, sku, fen);
}

static JsonObject *
consume (MdnTestBranch *b,
         const char    *card,
         int            count)
{
  return mdn_test_ok (b->admin, "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"CUT\",\"count\":%d}",
                      card, count);
}

/* Issue 10, 3: lot A (30 days, 5 uses) and lot B (5 uses) of one service.
 * B01 uses 5 (from A) and syncs; B02, not synced, uses 2, also from A, and
 * the server authorizes it: 3 remain net. No exception, no hold, and every
 * terminal says so, lot A at -2 included. */
static void
test_package_lots_net (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("chain", NULL);
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autoptr(MdnTestBranch) b2 = NULL;
  g_autoptr(JsonObject) m = NULL;
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(JsonObject) lots = NULL;
  g_autofree char *card = NULL;
  MdnTestBranch *all[2];
  JsonArray *list;
  gboolean seen = FALSE;

  at ("10:00");
  b1 = branch_new (s, "B01", 1, "0");
  b2 = branch_new (s, "B02", 2, "0");
  all[0] = b1, all[1] = b2;
  m = issue (b1, "13800000001");
  card = g_strdup (mdn_test_str (m, "card_no"));
  json_object_unref (buy (b1, card, "CUT5A", 12000));
  json_object_unref (buy (b1, card, "CUT5B", 13000));
  sync_all (all, 2);

  r = consume (b1, card, 5);
  g_assert_false (offline_of (r));
  mdn_test_sync_ok (b1);
  g_clear_pointer (&r, json_object_unref);
  r = consume (b2, card, 2);
  g_assert_false (offline_of (r));
  sync_all (all, 2);

  g_assert_cmpuint (n_exceptions (s, NULL), ==, 0);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(JsonObject) shown = show (all[i], card);
      gint64 overdrawn = 0;

      g_assert_false (json_object_get_boolean_member (shown, "on_hold"));
      g_assert_cmpint (uses_of (shown, "CUT", &overdrawn), ==, 3);
      g_assert_cmpint (overdrawn, ==, 2);
    }
  lots = mdn_test_ok (b2->admin, "{\"op\":\"package.list\",\"card\":\"%s\"}", card);
  list = json_object_get_array_member (lots, "lots");
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *o = json_array_get_object_element (list, i);

      if (mdn_test_int (o, "remaining") < 0)
        {
          seen = TRUE;
          g_assert_cmpint (mdn_test_int (o, "remaining"), ==, -2);
          g_assert_true (json_object_get_boolean_member (o, "overdrawn"));
        }
    }
  g_assert_true (seen);
  /* The card spends as usual, up to the 3 uses left. */
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b2->admin, "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":100,"
                              "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":100}]}", card);
  g_clear_pointer (&r, json_object_unref);
  r = consume (b2, card, 3);
  mdn_test_fails (b2->admin, "insufficient_package", "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"CUT\","
                                                     "\"count\":1}", card);
  sync_all (all, 2);
  mdn_test_fails (b1->admin, "insufficient_package", "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"CUT\","
                                                     "\"count\":1}", card);
  g_assert_cmpuint (n_exceptions (s, NULL), ==, 0);
  assert_same (s, all, 2);
  mdn_test_set_now (NULL);
}

static void
assert_on_hold (MdnTestBranch *b,
                const char    *member_id,
                const char    *card,
                gboolean       held)
{
  g_autoptr(JsonObject) shown = show (b, card);

  g_assert_cmpint (mdn_sync_member_on_hold (b->store, member_id), ==, held);
  g_assert_cmpint (json_object_get_boolean_member (shown, "on_hold"), ==, held);
}

/* Issue 10, 4, offline use: one lot of 5 uses, 4 used at B01 and 3 at B02
 * while offline. The service is 2 uses short: the card is on hold, which a
 * deposit does not lift, and a package of the service does. */
static void
test_package_overdraft_purchase (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("chain", NULL);
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autoptr(MdnTestBranch) b2 = NULL;
  g_autoptr(JsonObject) m = NULL;
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(JsonObject) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *card = NULL;
  g_autofree char *member = NULL;
  JsonObject *ex;
  MdnTestBranch *all[2];

  at ("10:00");
  b1 = branch_new (s, "B01", 1, "50.00");
  b2 = branch_new (s, "B02", 2, "50.00");
  all[0] = b1, all[1] = b2;
  m = issue (b1, "13800000001");
  card = g_strdup (mdn_test_str (m, "card_no"));
  member = g_strdup (mdn_test_str (m, "member_id"));
  json_object_unref (buy (b1, card, "CUT5B", 13000));
  sync_all (all, 2);
  g_assert_cmpint (mdn_test_server_stop (s, SIGTERM), ==, 0);

  r = consume (b1, card, 4);
  g_assert_true (offline_of (r));
  g_clear_pointer (&r, json_object_unref);
  r = consume (b2, card, 3);
  g_assert_true (offline_of (r));
  restart (s, all, 2);
  sync_all (all, 2);

  out = exceptions (s, "open");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (out, "exceptions")), ==, 1);
  ex = json_array_get_object_element (json_object_get_array_member (out, "exceptions"), 0);
  g_assert_cmpstr (mdn_test_str (ex, "kind"), ==, "overdraft");
  g_assert_cmpstr (mdn_test_str (ex, "account"), ==, "package");
  g_assert_cmpstr (mdn_test_str (ex, "item"), ==, "CUT");
  g_assert_cmpint (mdn_test_int (ex, "amount"), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(JsonObject) shown = show (all[i], card);
      g_autoptr(JsonObject) args = mdn_json_parse_object ("{\"amount_fen\":100,\"tenders\":"
                                                          "[{\"type\":\"balance\",\"amount_fen\":100}]}", NULL);
      JsonObject *owed;

      g_assert_true (json_object_get_boolean_member (shown, "on_hold"));
      g_assert_cmpint (uses_of (shown, "CUT", NULL), ==, -2);
      owed = json_array_get_object_element (json_object_get_array_member (shown, "hold_uses"), 0);
      g_assert_cmpstr (mdn_test_str (owed, "sku"), ==, "CUT");
      g_assert_cmpint (mdn_test_int (owed, "owed"), ==, 2);
      json_object_set_string_member (args, "card", card);
      g_assert_null (mdn_ops_run (all[i]->admin, "sale.quick", args, &error));
      g_assert_error (error, MDN_ERROR, MDN_ERROR_CARD_ON_HOLD);
      g_assert_nonnull (strstr (error->message, "package of CUT"));
      g_clear_error (&error);
    }

  /* A deposit is welcome but owes nothing here: still on hold. */
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b2->admin, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"10.00\"}", card);
  sync_all (all, 2);
  assert_on_hold (b1, member, card, TRUE);
  /* A package of the service, paid in cash, makes it good. */
  g_clear_pointer (&r, json_object_unref);
  r = buy (b2, card, "CUT5B", 13000);
  sync_all (all, 2);
  g_assert_cmpuint (n_exceptions (s, "open"), ==, 0);
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr(JsonObject) shown = show (all[i], card);

      assert_on_hold (all[i], member, card, FALSE);
      g_assert_cmpint (uses_of (shown, "CUT", NULL), ==, 3);
    }
  g_clear_pointer (&out, json_object_unref);
  out = exceptions (s, "settled");
  ex = json_array_get_object_element (json_object_get_array_member (out, "exceptions"), 0);
  g_assert_cmpstr (mdn_test_str (ex, "settled_by_kind"), ==, "sale");
  assert_same (s, all, 2);
  mdn_test_set_now (NULL);
}

/* Issue 10, 4, a package return: B01 sells a package, B02 uses 3 of it
 * online. Online, B01's return of the package is refused (the server knows
 * of the uses, pushed or only authorized); offline it is made, the service
 * is 3 uses short, and head office writes the uses off. */
static void
test_package_return_write_off (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("chain", NULL);
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autoptr(MdnTestBranch) b2 = NULL;
  g_autoptr(MdnTestBranch) hq = NULL;
  g_autoptr(JsonObject) m = NULL;
  g_autoptr(JsonObject) n = NULL;
  g_autoptr(JsonObject) sale = NULL;
  g_autoptr(JsonObject) sale2 = NULL;
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(JsonObject) out = NULL;
  g_autofree char *card = NULL;
  g_autofree char *card2 = NULL;
  g_autofree char *member2 = NULL;
  MdnTestBranch *all[3];
  JsonObject *ex;

  at ("10:00");
  b1 = branch_new (s, "B01", 1, "50.00");
  b2 = branch_new (s, "B02", 2, "50.00");
  hq = mdn_test_server_branch_new (s, "HQ", 0, TRUE);
  all[0] = b1, all[1] = b2, all[2] = hq;
  m = issue (b1, "13800000001");
  n = issue (b1, "13800000002");
  card = g_strdup (mdn_test_str (m, "card_no"));
  card2 = g_strdup (mdn_test_str (n, "card_no"));
  member2 = g_strdup (mdn_test_str (n, "member_id"));
  sale = buy (b1, card, "CUT5B", 13000);
  sale2 = buy (b1, card2, "CUT5B", 13000);
  sync_all (all, 3);

  /* Online: refused while B02's uses are only authorized, and once they
     are pushed. */
  r = consume (b2, card, 3);
  g_assert_false (offline_of (r));
  mdn_test_fails (b1->admin, "package_consumed", "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}",
                  mdn_test_str (sale, "entry_id"));
  mdn_test_sync_ok (b2);
  mdn_test_fails (b1->admin, "package_consumed", "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}",
                  mdn_test_str (sale, "entry_id"));

  /* Offline: B01 has not heard of the uses of the second card. */
  g_clear_pointer (&r, json_object_unref);
  r = consume (b2, card2, 3);
  g_assert_false (offline_of (r));
  mdn_test_sync_ok (b2);
  g_assert_cmpint (mdn_test_server_stop (s, SIGTERM), ==, 0);
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b1->admin, "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}", mdn_test_str (sale2, "entry_id"));
  g_assert_true (offline_of (r));
  restart (s, all, 3);
  sync_all (all, 3);

  out = exceptions (s, "open");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (out, "exceptions")), ==, 1);
  ex = json_array_get_object_element (json_object_get_array_member (out, "exceptions"), 0);
  g_assert_cmpstr (mdn_test_str (ex, "account"), ==, "package");
  g_assert_cmpstr (mdn_test_str (ex, "item"), ==, "CUT");
  g_assert_cmpint (mdn_test_int (ex, "amount"), ==, 3);
  for (guint i = 0; i < 3; i++)
    assert_on_hold (all[i], member2, card2, TRUE);

  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (hq->admin, "{\"op\":\"exception.write_off\",\"card\":\"%s\",\"reason\":\"退了已用的次卡\"}",
                   card2);
  g_assert_cmpint (mdn_test_int (r, "written_off_fen"), ==, 0);
  ex = json_array_get_object_element (json_object_get_array_member (r, "written_off_uses"), 0);
  g_assert_cmpstr (mdn_test_str (ex, "sku"), ==, "CUT");
  g_assert_cmpint (mdn_test_int (ex, "uses"), ==, 3);
  sync_all (all, 3);
  g_assert_cmpuint (n_exceptions (s, "open"), ==, 0);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(JsonObject) shown = show (all[i], card2);

      assert_on_hold (all[i], member2, card2, FALSE);
      g_assert_cmpint (uses_of (shown, "CUT", NULL), ==, 0);
    }
  mdn_test_fails (hq->admin, "invalid_argument", "{\"op\":\"exception.write_off\",\"card\":\"%s\",\"reason\":\"x\"}",
                  card2);
  assert_same (s, all, 3);
  mdn_test_set_now (NULL);
}

/* Points below zero (redeemed at two branches offline): on hold until
 * head office writes them off, or, for a second card, until a sale earns
 * them back. */
static void
test_points_hold (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("chain", NULL);
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autoptr(MdnTestBranch) b2 = NULL;
  g_autoptr(MdnTestBranch) hq = NULL;
  g_autoptr(JsonObject) m = NULL;
  g_autoptr(JsonObject) n = NULL;
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *card = NULL;
  g_autofree char *card2 = NULL;
  MdnTestBranch *all[3];

  at ("10:00");
  b1 = branch_new (s, "B01", 1, "50.00");
  b2 = branch_new (s, "B02", 2, "50.00");
  hq = mdn_test_server_branch_new (s, "HQ", 0, TRUE);
  all[0] = b1, all[1] = b2, all[2] = hq;
  /* Head office's level is the chain's: it allows offline spending too. */
  json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"level.upsert\",\"code\":\"normal\",\"name\":\"Normal\","
                                             "\"price_percent\":100,\"points_per_yuan\":1,\"offline_limit\":\"50.00\"}"));
  m = issue (b1, "13800000001");
  n = issue (b1, "13800000002");
  card = g_strdup (mdn_test_str (m, "card_no"));
  card2 = g_strdup (mdn_test_str (n, "card_no"));
  /* 100.00 in cash earns 100 points each. */
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":10000,"
                                             "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":10000}]}", card));
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":10000,"
                                             "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":10000}]}", card2));
  sync_all (all, 3);
  g_assert_cmpint (mdn_test_server_stop (s, SIGTERM), ==, 0);
  for (guint i = 0; i < 2; i++)
    {
      json_object_unref (mdn_test_ok (all[i]->admin, "{\"op\":\"points.redeem\",\"card\":\"%s\",\"points\":80}", card));
      json_object_unref (mdn_test_ok (all[i]->admin, "{\"op\":\"points.redeem\",\"card\":\"%s\",\"points\":80}", card2));
    }
  restart (s, all, 3);
  sync_all (all, 3);
  g_assert_cmpuint (n_exceptions (s, "open"), ==, 2);
  {
    g_autoptr(JsonObject) shown = show (b2, card);

    g_assert_true (json_object_get_boolean_member (shown, "on_hold"));
    g_assert_cmpint (mdn_test_int (shown, "hold_points"), ==, 60);
    mdn_test_fails (b2->admin, "card_on_hold", "{\"op\":\"points.redeem\",\"card\":\"%s\",\"points\":1}", card);
  }

  r = mdn_test_ok (hq->admin, "{\"op\":\"exception.write_off\",\"card\":\"%s\",\"reason\":\"两店离线兑换\"}", card);
  g_assert_cmpint (mdn_test_int (r, "written_off_points"), ==, 60);
  /* The second card earns them back: 60.00 in cash. */
  json_object_unref (mdn_test_ok (b2->admin, "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":6000,"
                                             "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":6000}]}", card2));
  sync_all (all, 3);
  g_assert_cmpuint (n_exceptions (s, "open"), ==, 0);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(JsonObject) a = show (all[i], card);
      g_autoptr(JsonObject) b = show (all[i], card2);

      g_assert_false (json_object_get_boolean_member (a, "on_hold"));
      g_assert_false (json_object_get_boolean_member (b, "on_hold"));
      g_assert_cmpint (mdn_test_int (a, "points"), ==, 0);
      g_assert_cmpint (mdn_test_int (b, "points"), ==, 0);
    }
  assert_same (s, all, 3);
  mdn_test_set_now (NULL);
}

/* Random ------------------------------------------------------------------------------ */

#define N_RANDOM 4   /* HQ, B01, B02, B03 */

typedef struct
{
  MdnTestServer *s;
  MdnTestBranch *b[N_RANDOM];
  GRand         *rand;
  GDateTime     *now;
  gboolean       up;
  guint          ops, refused, offline;
  GHashTable    *codes;      /* refusals by code */
} World;

static gint64
rnd (World *w,
     gint64 lo,
     gint64 hi)
{
  return g_rand_int_range (w->rand, (gint32) lo, (gint32) hi + 1);
}

static char *
pick (MdnTestBranch *b,
      GRand         *rand,
      const char    *sql)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_free);

  g_assert_cmpint (sqlite3_prepare_v2 (mdn_db_handle (b->store->db), sql, -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (all, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  if (all->len == 0)
    return NULL;
  return g_strdup (g_ptr_array_index (all, g_rand_int_range (rand, 0, (gint32) all->len)));
}

static void
world_op (World         *w,
          MdnTestBranch *b,
          const char    *format,
          ...) G_GNUC_PRINTF (3, 4);

static void
world_op (World         *w,
          MdnTestBranch *b,
          const char    *format,
          ...)
{
  static const char *const broken[] = { "internal", "corrupt", "database", "sync_refused", NULL };
  g_autofree char *line = NULL;
  g_autoptr(JsonObject) out = NULL;
  va_list ap;

  va_start (ap, format);
  line = g_strdup_vprintf (format, ap);
  va_end (ap);
  out = mdn_ops_run_line (b->admin, line);
  w->ops++;
  if (json_object_get_boolean_member (out, "ok"))
    {
      if (json_object_has_member (out, "offline") && json_object_get_boolean_member (out, "offline"))
        w->offline++;
      return;
    }
  w->refused++;
  {
    const char *code = json_object_get_string_member (json_object_get_object_member (out, "error"), "code");
    guint n = GPOINTER_TO_UINT (g_hash_table_lookup (w->codes, code));

    g_hash_table_insert (w->codes, g_strdup (code), GUINT_TO_POINTER (n + 1));
  }
  if (g_strv_contains (broken, json_object_get_string_member (json_object_get_object_member (out, "error"), "code")))
    {
      g_autofree char *text = mdn_json_object_to_string (out);

      g_error ("%s at %s: %s", line, b->store->branch_code, text);
    }
}

static void
world_step (World *w)
{
  MdnTestBranch *b = w->b[rnd (w, 0, N_RANDOM - 1)];
  g_autofree char *card = pick (b, w->rand, "SELECT card_no FROM members ORDER BY id");
  g_autoptr(GDateTime) next = g_date_time_add_seconds (w->now, (gdouble) rnd (w, 5, 400));
  g_autofree char *iso = NULL;
  int op = (int) rnd (w, 0, 15);

  g_date_time_unref (w->now);
  w->now = g_date_time_ref (next);
  /* Each terminal's clock is a little off, differently. */
  {
    g_autoptr(GDateTime) skewed = g_date_time_add_seconds (w->now, (gdouble) (b->store->branch_number * 37 - 60));

    iso = g_date_time_format_iso8601 (skewed);
    mdn_test_set_now (iso);
  }
  if (card == NULL)
    op = 0;
  switch (op)
    {
    case 0:
      world_op (w, b, "{\"op\":\"member.issue\",\"name\":\"M\",\"phone\":\"138%08u\",\"deposit\":\"%d.00\"}",
                w->ops, (int) rnd (w, 50, 300));
      break;
    case 1:
      world_op (w, b, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":%d}", card,
                (int) rnd (w, 100, 20000));
      break;
    case 2:
    case 3:
      {
        int fen = (int) rnd (w, 100, 6000);

        world_op (w, b, "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":%d,"
                        "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":%d}]}", card, fen, fen);
      }
      break;
    case 4:
      world_op (w, b, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"%s\",\"qty\":1}],"
                      "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":20000}]}", card,
                rnd (w, 0, 2) ? "CUT5B" : "CUT5A");
      break;
    case 5:
    case 6:
      world_op (w, b, "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"CUT\",\"count\":%d}", card,
                (int) rnd (w, 1, 3));
      break;
    case 7:
    case 8:
      {
        /* Any sale with a card, whichever branch sold it. */
        g_autofree char *sale = pick (b, w->rand, "SELECT entry_id FROM receipts WHERE member_id IS NOT NULL "
                                                  "AND kind IN ('sale', 'sale.quick') ORDER BY entry_id");

        if (sale)
          world_op (w, b, "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}", sale);
      }
      break;
    case 9:
      world_op (w, b, "{\"op\":\"member.lose\",\"card\":\"%s\"}", card);
      break;
    case 10:
      world_op (w, b, "{\"op\":\"member.unlock\",\"card\":\"%s\"}", card);
      break;
    case 11:
      world_op (w, b, "{\"op\":\"member.replace\",\"card\":\"%s\"}", card);
      break;
    case 12:
      world_op (w, b, "{\"op\":\"points.redeem\",\"card\":\"%s\",\"points\":%d}", card, (int) rnd (w, 1, 80));
      break;
    default:
      if (w->up)
        mdn_test_sync_ok (b);
      break;
    }
}

/* The members with an account below zero in @db: stored value, points, or
 * a service's uses net across its lots. */
static char *
overdrawn_members (MdnDb *db)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  GString *out = g_string_new (NULL);

  g_assert_cmpint (sqlite3_prepare_v2 (mdn_db_handle (db),
                                       "SELECT id FROM members WHERE principal_fen + bonus_fen < 0 OR points < 0 "
                                       "OR id IN (SELECT member_id FROM member_packages GROUP BY member_id, item "
                                       "HAVING SUM (remaining) < 0) ORDER BY id", -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (out, "%s\n", sqlite3_column_text (stmt, 0));
  return g_string_free (out, FALSE);
}

static char *
held_members (World         *w,
              MdnTestBranch *b)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  GString *out = g_string_new (NULL);

  g_assert_cmpint (sqlite3_prepare_v2 (mdn_db_handle (b->store->db), "SELECT id FROM members ORDER BY id",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    if (mdn_sync_member_on_hold (b->store, (const char *) sqlite3_column_text (stmt, 0)))
      g_string_append_printf (out, "%s\n", sqlite3_column_text (stmt, 0));
  return g_string_free (out, FALSE);
}

/* Several branches selling on shared members, offline rounds, the server
 * killed and restarted, returns at other branches, card operations
 * anywhere. At the end every terminal shows the same members, cards and
 * lots as the server; every hold is a member with an account below zero
 * and an open exception for it, every such member is held everywhere; the
 * over-refunds are the summary's; and head office's write-off lifts every
 * hold. */
static void
test_random (void)
{
  const char *seed_env = g_getenv ("MENDIAN_TEST_SEED");
  guint32 seed = seed_env ? (guint32) g_ascii_strtoull (seed_env, NULL, 10) : 20261120;
  static const char *const codes[N_RANDOM] = { "HQ", "B01", "B02", "B03" };
  const char *master[] = {
    "{\"op\":\"level.upsert\",\"code\":\"normal\",\"name\":\"Normal\",\"price_percent\":100,"
    "\"points_per_yuan\":1,\"offline_limit\":\"80.00\"}",
    "{\"op\":\"product.upsert\",\"sku\":\"CUT\",\"name\":\"Cut\",\"kind\":\"service\",\"price_fen\":3000}",
    "{\"op\":\"product.upsert\",\"sku\":\"CUT5A\",\"name\":\"Cut x5, 30 days\",\"kind\":\"package\","
    "\"price_fen\":12000,\"package_sku\":\"CUT\",\"package_count\":5,\"package_days\":30}",
    "{\"op\":\"product.upsert\",\"sku\":\"CUT5B\",\"name\":\"Cut x5\",\"kind\":\"package\",\"price_fen\":13000,"
    "\"package_sku\":\"CUT\",\"package_count\":5}",
  };
  g_autofree char *overdrawn = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) open = NULL;
  World w = { 0 };
  MdnDb *db;
  gint64 over_refunds = 0;
  JsonArray *list;

  g_test_message ("MENDIAN_TEST_SEED=%u", seed);
  w.rand = g_rand_new_with_seed (seed);
  w.codes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  w.now = g_date_time_new_from_iso8601 ("2026-11-20T09:00:00+08:00", NULL);
  mdn_test_set_now ("2026-11-20T09:00:00+08:00");
  w.s = mdn_test_server_new ("chain", NULL);
  w.up = TRUE;
  for (int i = 0; i < N_RANDOM; i++)
    w.b[i] = mdn_test_server_branch_new (w.s, codes[i], i, i == 0);
  for (guint i = 0; i < G_N_ELEMENTS (master); i++)
    json_object_unref (mdn_test_ok (w.b[0]->admin, "%s", master[i]));
  sync_all (w.b, N_RANDOM);

  for (int round = 0; round < 10; round++)
    {
      /* Every other round the server is down; some rounds it is killed. */
      gboolean offline = round % 2 == 1;

      if (offline && w.up)
        {
          mdn_test_server_stop (w.s, rnd (&w, 0, 1) ? SIGKILL : SIGTERM);
          w.up = FALSE;
        }
      else if (!offline && !w.up)
        {
          restart (w.s, w.b, N_RANDOM);
          w.up = TRUE;
        }
      for (int k = 0; k < 30; k++)
        world_step (&w);
    }
  if (!w.up)
    restart (w.s, w.b, N_RANDOM);
  mdn_test_set_now ("2026-11-21T09:00:00+08:00");
  sync_all (w.b, N_RANDOM);
  sync_all (w.b, N_RANDOM);
  g_test_message ("%u operations, %u refused, %u made offline", w.ops, w.refused, w.offline);
  {
    GHashTableIter iter;
    gpointer key, value;

    g_hash_table_iter_init (&iter, w.codes);
    while (g_hash_table_iter_next (&iter, &key, &value))
      g_test_message ("  refused %s: %u", (char *) key, GPOINTER_TO_UINT (value));
  }
  g_assert_cmpuint (w.offline, >, 5);

  /* Every terminal is the server's. */
  assert_same (w.s, w.b, N_RANDOM);

  /* Every hold is explained, and every overdraft is held everywhere. */
  db = mdn_test_server_db (w.s);
  overdrawn = overdrawn_members (db);
  for (int i = 0; i < N_RANDOM; i++)
    {
      g_autofree char *held = held_members (&w, w.b[i]);
      g_autofree char *here = overdrawn_members (w.b[i]->store->db);

      g_assert_cmpstr (held, ==, overdrawn);
      g_assert_cmpstr (here, ==, overdrawn);
    }
  open = exceptions (w.s, "open");
  list = json_object_get_array_member (open, "exceptions");
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *ex = json_array_get_object_element (list, i);

      if (g_str_equal (mdn_test_str (ex, "kind"), "overdraft"))
        {
          g_autofree char *line = g_strdup_printf ("%s\n", mdn_test_str (ex, "member_id"));

          g_assert_nonnull (strstr (overdrawn, line));
        }
      else
        {
          g_assert_cmpstr (mdn_test_str (ex, "kind"), ==, "over_refund");
          over_refunds += mdn_test_int (ex, "amount");
        }
    }
  g_assert_cmpint (chain_figure (w.s, "over_refund_fen"), ==, over_refunds);
  {
    /* Each over-refund is a sale refunded beyond its total. */
    g_autofree char *sql = g_strdup ("SELECT COALESCE (SUM (x), 0) FROM (SELECT MAX (SUM (s.refund_fen) - r.total_fen, 0) x "
                                     "FROM receipts r JOIN sale_returns s ON s.sale_entry = r.entry_id GROUP BY r.entry_id)");

    g_assert_cmpint (mdn_test_server_count (w.s, sql), ==, over_refunds);
  }
  mdn_db_close (db);
  g_test_message ("%u open exceptions, %" G_GINT64_FORMAT " fen over-refunded", json_array_get_length (list),
                  over_refunds);

  /* Head office writes off every hold; they lift everywhere. */
  {
    g_auto(GStrv) ids = g_strsplit (overdrawn, "\n", -1);

    for (guint i = 0; ids[i] && *ids[i]; i++)
      {
        g_autofree char *sql = g_strdup_printf ("SELECT card_no FROM members WHERE id = '%s'", ids[i]);
        g_autofree char *card = pick (w.b[0], w.rand, sql);
        g_autoptr(JsonObject) r = mdn_test_ok (w.b[0]->admin, "{\"op\":\"exception.write_off\",\"card\":\"%s\","
                                                              "\"reason\":\"随机测试\"}", card);
      }
  }
  sync_all (w.b, N_RANDOM);
  for (int i = 0; i < N_RANDOM; i++)
    {
      g_autofree char *held = held_members (&w, w.b[i]);

      g_assert_cmpstr (held, ==, "");
    }
  g_assert_cmpint (mdn_test_server_count (w.s, "SELECT count(*) FROM srv_exceptions WHERE kind = 'overdraft' "
                                               "AND status = 'open'"), ==, 0);
  assert_same (w.s, w.b, N_RANDOM);

  for (int i = 0; i < N_RANDOM; i++)
    mdn_test_branch_free (w.b[i]);
  mdn_test_server_free (w.s);
  g_date_time_unref (w.now);
  g_rand_free (w.rand);
  g_hash_table_unref (w.codes);
  mdn_test_set_now (NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  mdn_branch_init ();

  g_test_add_func ("/chain/return/online", test_return_online);
  g_test_add_func ("/chain/return/offline-over-refund", test_return_offline);
  g_test_add_func ("/chain/card/online", test_card_online);
  g_test_add_func ("/chain/card/offline-one-rule", test_card_offline);
  g_test_add_func ("/chain/package/lots-net", test_package_lots_net);
  g_test_add_func ("/chain/package/overdraft-lifted-by-purchase", test_package_overdraft_purchase);
  g_test_add_func ("/chain/package/return-written-off", test_package_return_write_off);
  g_test_add_func ("/chain/points/hold-lifted", test_points_hold);
  g_test_add_func ("/chain/random", test_random);
  return g_test_run ();
}
