/* test-offline.c: spending stored value at branches linked to the real
 * mendian-server process on 127.0.0.1 port 0: authorized online, held to
 * the level's offline allowance while the server is down, and refused on a
 * card the server put on hold after merging an offline overdraft.
 */
#include <signal.h>
#include <string.h>

#include "mdn-db.h"
#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-sync.h"
#include "mdn-test-server.h"

#define DAY1 "2026-11-20T10:00:00+08:00"
#define DAY2 "2026-11-21T10:00:00+08:00"

/* A branch registered with the server and linked to it; its own "normal"
 * level (branch master data stays at the branch) allows @offline_limit a
 * day offline. */
static MdnTestBranch *
branch_new (MdnTestServer *s,
            const char    *code,
            int            number,
            const char    *offline_limit)
{
  MdnTestBranch *b = mdn_test_branch_new (code, number);

  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"level.upsert\",\"code\":\"normal\",\"name\":\"Normal\","
                                            "\"price_percent\":100,\"points_per_yuan\":1,\"offline_limit\":\"%s\"}",
                                  offline_limit));
  mdn_test_server_add_branch (s, code, number, FALSE);
  mdn_test_server_link (s, b);
  return b;
}

/* A clean stop: SIGTERM, exit status 0. */
static void
server_stop (MdnTestServer *s)
{
  g_assert_cmpint (mdn_test_server_stop (s, SIGTERM), ==, 0);
}

/* Helpers ------------------------------------------------------------------------- */

static JsonObject *
issue (MdnTestBranch *b,
       const char    *phone,
       const char    *deposit)
{
  return mdn_test_ok (b->admin, "{\"op\":\"member.issue\",\"name\":\"M\",\"phone\":\"%s\",\"deposit\":\"%s\"}",
                      phone, deposit);
}

static JsonObject *
show (MdnTestBranch *b,
      const char    *card)
{
  return mdn_test_ok (b->admin, "{\"op\":\"member.show\",\"card\":\"%s\"}", card);
}

static gint64
balance (MdnTestBranch *b,
         const char    *card)
{
  g_autoptr(JsonObject) r = show (b, card);

  return mdn_test_int (r, "balance_fen");
}

/* A quick sale of @fen paid wholly from the card's balance. */
static JsonObject *
pay (MdnTestBranch *b,
     const char    *card,
     gint64         fen)
{
  return mdn_test_ok (b->admin, "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":%" G_GINT64_FORMAT ","
                                "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":%" G_GINT64_FORMAT "}]}",
                      card, fen, fen);
}

static void
pay_fails (MdnTestBranch *b,
           const char    *code,
           const char    *card,
           gint64         fen)
{
  mdn_test_fails (b->admin, code,
                  "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":%" G_GINT64_FORMAT ","
                  "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":%" G_GINT64_FORMAT "}]}",
                  card, fen, fen);
}

static gboolean
result_offline (JsonObject *r)
{
  g_assert_true (json_object_has_member (r, "offline"));
  return json_object_get_boolean_member (r, "offline");
}

/* The body of entry @id as JSON text. */
static char *
entry_body (MdnTestBranch *b,
            const char    *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MdnEntry) entry = mdn_entry_load (b->store->db, id, &error);

  g_assert_no_error (error);
  return mdn_json_object_to_string (entry->body);
}

static gint64
sum_balances (MdnTestBranch *b)
{
  return mdn_test_count (b, "SELECT SUM (principal_fen + bonus_fen) FROM members");
}

/* Tests ---------------------------------------------------------------------------------- */

/* Online: the server authorizes every spend; the chain-wide balance is what
 * counts (also a deposit this branch hasn't pulled yet), the entry carries
 * the auth_id and the server debits once. */
static void
test_online (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("offline", NULL);
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autoptr(MdnTestBranch) b2 = NULL;
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(JsonObject) sum = NULL;
  g_autofree char *card = NULL;
  g_autofree char *body = NULL;
  JsonObject *chain;

  mdn_test_set_now (DAY1);
  b1 = branch_new (s, "B01", 1, "0.00");
  b2 = branch_new (s, "B02", 2, "0.00");
  r = issue (b1, "13800000001", "100.00");
  card = g_strdup (mdn_test_str (r, "card_no"));
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);

  /* Online, an allowance of 0 doesn't matter: the server authorizes. */
  g_clear_pointer (&r, json_object_unref);
  r = pay (b2, card, 3000);
  g_assert_false (result_offline (r));
  g_assert_true (g_str_has_prefix (mdn_test_str (r, "auth_id"), "B02-"));
  body = entry_body (b2, mdn_test_str (r, "entry_id"));
  g_assert_nonnull (strstr (body, mdn_test_str (r, "auth_id")));
  g_assert_null (strstr (body, "\"offline\""));
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_authorizations WHERE status = 'held' "
                                    "AND amount = 3000 AND branch = 'B02'"), ==, 1);

  /* A deposit at B01 that B02 hasn't pulled: the server vouches for it. */
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b1->admin, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"50.00\"}", card);
  mdn_test_sync_ok (b1);
  g_assert_cmpint (balance (b2, card), ==, 7000);
  g_clear_pointer (&r, json_object_unref);
  r = pay (b2, card, 10000);
  g_assert_false (result_offline (r));
  g_assert_cmpint (mdn_test_int (r, "balance_fen"), ==, -3000);   /* until B02 pulls the deposit */

  /* 150 - 30 - 100 held: the server refuses 40, B02 writes nothing. */
  pay_fails (b2, "insufficient_balance", card, 4000);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_authorizations"), ==, 2);

  /* Points and package uses are authorized too. */
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b2->admin, "{\"op\":\"points.redeem\",\"card\":\"%s\",\"points\":10}", card);
  g_assert_false (result_offline (r));
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_authorizations WHERE kind = 'points' "
                                    "AND amount = 10"), ==, 1);
  /* More points than the chain has: refused by the server's figure. */
  mdn_test_fails (b2->admin, "insufficient_points", "{\"op\":\"points.redeem\",\"card\":\"%s\",\"points\":200}", card);

  /* A cash sale with the card asks nothing and says nothing about it. */
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b2->admin, "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":500,"
                              "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":500}]}", card);
  g_assert_false (json_object_has_member (r, "offline"));
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_authorizations"), ==, 3);

  /* After sync every authorization is used, nothing was debited twice. */
  mdn_test_sync_ok (b2);
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_authorizations WHERE status = 'used'"), ==, 3);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT SUM (principal_fen + bonus_fen) FROM members"), ==, 2000);
  g_assert_cmpint (sum_balances (b1), ==, 2000);
  g_assert_cmpint (sum_balances (b2), ==, 2000);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT points FROM members"), ==, 130 + 5 - 10);
  g_assert_cmpint (mdn_test_count (b1, "SELECT points FROM members"), ==, 125);
  g_assert_cmpint (mdn_test_count (b2, "SELECT points FROM members"), ==, 125);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_exceptions"), ==, 0);

  g_assert_cmpuint (mdn_test_http (s, "GET", "/api/v1/reports/summary?from=2026-11-01&to=2026-11-30", s->hq_token,
                                   NULL, 0, &sum), ==, 200);
  chain = json_object_get_object_member (sum, "chain");
  g_assert_cmpint (json_object_get_int_member (chain, "sales_fen"), ==, 13500);
  g_assert_cmpint (json_object_get_int_member (chain, "deposit_principal_fen"), ==, 15000);
  g_assert_cmpint (json_object_get_int_member (chain, "liability_fen"), ==, 2000);
  g_assert_cmpuint (mdn_test_verify (b1), ==, 0);
  g_assert_cmpuint (mdn_test_verify (b2), ==, 0);
  mdn_test_set_now (NULL);
}

/* The server down: a card spends up to its level's allowance per day at
 * this branch, counted from the ledger; beyond it, offline_limit. */
static void
test_allowance (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("offline", NULL);
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autoptr(JsonObject) r = NULL;
  g_autofree char *card = NULL;
  g_autofree char *body = NULL;

  mdn_test_set_now (DAY1);
  b1 = branch_new (s, "B01", 1, "50.00");
  r = issue (b1, "13800000001", "200.00");
  card = g_strdup (mdn_test_str (r, "card_no"));
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"plan.upsert\",\"local\":true,\"code\":\"HOUR\",\"name\":\"包间\","
                                             "\"unit_minutes\":60,\"unit_price_fen\":2000}"));
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"resource.upsert\",\"code\":\"R1\",\"name\":\"包间1\","
                                             "\"plan\":\"HOUR\"}"));
  mdn_test_sync_ok (b1);
  server_stop (s);

  g_clear_pointer (&r, json_object_unref);
  r = pay (b1, card, 3000);
  g_assert_true (result_offline (r));
  g_assert_false (json_object_has_member (r, "auth_id"));
  body = entry_body (b1, mdn_test_str (r, "entry_id"));
  g_assert_nonnull (strstr (body, "\"offline\":true"));

  /* 30 of 50 spent: 30 more is refused and nothing is written. */
  pay_fails (b1, "offline_limit", card, 3000);
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonObject) args = mdn_json_parse_object ("{\"amount_fen\":3000,\"tenders\":"
                                                        "[{\"type\":\"balance\",\"amount_fen\":3000}]}", NULL);

    json_object_set_string_member (args, "card", card);
    g_assert_null (mdn_ops_run (b1->admin, "sale.quick", args, &error));
    g_assert_error (error, MDN_ERROR, MDN_ERROR_OFFLINE_LIMIT);
    g_assert_nonnull (strstr (error->message, "offline allowance"));
    g_assert_nonnull (strstr (error->message, "20.00 left"));
  }

  /* A timed session paid from the balance counts the same: 20.00 an hour. */
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b1->admin, "{\"op\":\"timed.start\",\"resource\":\"R1\",\"card\":\"%s\"}", card);
  mdn_test_set_now ("2026-11-20T11:00:00+08:00");
  {
    g_autoptr(JsonObject) stop = mdn_test_ok (b1->admin, "{\"op\":\"timed.stop\",\"session_id\":\"%s\","
                                                         "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":2000}]}",
                                              mdn_test_str (r, "session_id"));

    g_assert_true (result_offline (stop));
    g_assert_cmpint (mdn_test_int (stop, "charge_fen"), ==, 2000);
  }
  pay_fails (b1, "offline_limit", card, 1);

  /* Earning, deposits and sales without a card are always allowed. */
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b1->admin, "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":8000,"
                              "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":10000}]}", card);
  g_assert_cmpint (mdn_test_int (r, "points_earned"), ==, 80);
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b1->admin, "{\"op\":\"sale.quick\",\"amount_fen\":1500,"
                              "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":1500}]}");
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b1->admin, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"10.00\"}", card);
  /* Points: the level allows offline spending, so they may be redeemed. */
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b1->admin, "{\"op\":\"points.redeem\",\"card\":\"%s\",\"points\":20}", card);
  g_assert_true (result_offline (r));

  /* The allowance is per business day. */
  mdn_test_set_now (DAY2);
  g_clear_pointer (&r, json_object_unref);
  r = pay (b1, card, 5000);
  g_assert_true (result_offline (r));
  pay_fails (b1, "offline_limit", card, 1);
  g_assert_cmpint (balance (b1, card), ==, 20000 - 3000 - 2000 + 1000 - 5000);

  /* The server back: everything offline reaches it, exactly once. */
  mdn_test_server_start (s, NULL);
  mdn_test_server_link (s, b1);
  mdn_test_sync_ok (b1);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM entries"), ==, mdn_test_count (b1, "SELECT count(*) FROM entries"));
  g_assert_cmpint (mdn_test_server_count (s, "SELECT SUM (principal_fen + bonus_fen) FROM members"), ==, 11000);
  g_assert_cmpint (sum_balances (b1), ==, 11000);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_exceptions"), ==, 0);

  /* Online again: the server authorizes, beyond the allowance too. */
  g_clear_pointer (&r, json_object_unref);
  r = pay (b1, card, 6000);
  g_assert_false (result_offline (r));
  g_assert_cmpuint (mdn_test_verify (b1), ==, 0);
  mdn_test_set_now (NULL);
}

/* An allowance of 0 refuses every offline spend from the card; a branch
 * that is not linked to a server (single-store mode) has no limit. */
static void
test_allowance_zero (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("offline", NULL);
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autoptr(MdnTestBranch) solo = NULL;
  g_autoptr(JsonObject) r = NULL;
  g_autofree char *card = NULL;
  g_autofree char *solo_card = NULL;

  mdn_test_set_now (DAY1);
  b1 = branch_new (s, "B01", 1, "0.00");
  r = issue (b1, "13800000001", "100.00");
  card = g_strdup (mdn_test_str (r, "card_no"));
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"product.upsert\",\"local\":true,\"sku\":\"CUT\",\"name\":\"理发\","
                                             "\"price_fen\":3000,\"kind\":\"service\"}"));
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"product.upsert\",\"local\":true,\"sku\":\"CUT3\",\"name\":\"理发3次卡\","
                                             "\"price_fen\":8000,\"kind\":\"package\",\"package_sku\":\"CUT\","
                                             "\"package_count\":3}"));
  /* The package bought online, from the balance: authorized. */
  g_clear_pointer (&r, json_object_unref);
  mdn_test_sync_ok (b1);
  r = mdn_test_ok (b1->admin, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"CUT3\"}],"
                              "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":8000}]}", card);
  g_assert_false (result_offline (r));
  mdn_test_sync_ok (b1);
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b1->admin, "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"CUT\",\"count\":1}", card);
  g_assert_false (result_offline (r));
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_authorizations WHERE kind = 'package' "
                                    "AND item = 'CUT' AND amount = 1"), ==, 1);
  server_stop (s);

  pay_fails (b1, "offline_limit", card, 100);
  mdn_test_fails (b1->admin, "offline_limit", "{\"op\":\"points.redeem\",\"card\":\"%s\",\"points\":1}", card);
  mdn_test_fails (b1->admin, "offline_limit", "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"CUT\",\"count\":1}",
                  card);
  /* Cash with the card, and deposits, go on. */
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b1->admin, "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":1000,"
                              "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":1000}]}", card);
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b1->admin, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"10.00\"}", card);
  g_assert_cmpint (balance (b1, card), ==, 10000 - 8000 + 1000);

  /* Single-store mode: no server, no allowance, no "offline" field. */
  solo = mdn_test_branch_new ("B09", 9);
  g_clear_pointer (&r, json_object_unref);
  r = issue (solo, "13800000009", "100.00");
  solo_card = g_strdup (mdn_test_str (r, "card_no"));
  g_clear_pointer (&r, json_object_unref);
  r = pay (solo, solo_card, 9000);
  g_assert_false (json_object_has_member (r, "offline"));
  g_assert_cmpint (balance (solo, solo_card), ==, 1000);
  mdn_test_set_now (NULL);
}

/* Two branches spend one balance offline within their allowances; after
 * the server is back and both sync, the overdraft is an exception and the
 * card is on hold at both until a deposit clears it. */
static void
test_overdraft_hold (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("offline", NULL);
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autoptr(MdnTestBranch) b2 = NULL;
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(JsonObject) out = NULL;
  g_autofree char *card = NULL;
  g_autofree char *member = NULL;
  JsonObject *ex;
  MdnTestBranch *both[2];

  mdn_test_set_now (DAY1);
  b1 = branch_new (s, "B01", 1, "80.00");
  b2 = branch_new (s, "B02", 2, "80.00");
  both[0] = b1;
  both[1] = b2;
  r = issue (b1, "13800000001", "100.00");
  card = g_strdup (mdn_test_str (r, "card_no"));
  member = g_strdup (mdn_test_str (r, "member_id"));
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  server_stop (s);

  g_clear_pointer (&r, json_object_unref);
  r = pay (b1, card, 7000);
  g_assert_true (result_offline (r));
  g_clear_pointer (&r, json_object_unref);
  r = pay (b2, card, 7000);
  g_assert_true (result_offline (r));

  mdn_test_server_start (s, NULL);
  mdn_test_server_link (s, b1);
  mdn_test_server_link (s, b2);
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  mdn_test_sync_ok (b1);

  g_assert_cmpuint (mdn_test_http (s, "GET", "/api/v1/exceptions?status=open", s->hq_token, NULL, 0, &out), ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (out, "exceptions")), ==, 1);
  ex = json_array_get_object_element (json_object_get_array_member (out, "exceptions"), 0);
  g_assert_cmpint (json_object_get_int_member (ex, "amount"), ==, 4000);
  g_assert_cmpstr (json_object_get_string_member (ex, "branch"), ==, "B02");

  for (guint i = 0; i < G_N_ELEMENTS (both); i++)
    {
      MdnTestBranch *b = both[i];
      g_autoptr(JsonObject) m = show (b, card);
      g_autoptr(JsonObject) cash = NULL;
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) args = mdn_json_parse_object ("{\"amount_fen\":100,\"tenders\":"
                                                          "[{\"type\":\"balance\",\"amount_fen\":100}]}", NULL);

      g_assert_true (mdn_sync_member_on_hold (b->store, member));
      g_assert_true (json_object_get_boolean_member (m, "on_hold"));
      g_assert_cmpint (mdn_test_int (m, "hold_fen"), ==, 4000);
      g_assert_cmpint (mdn_test_int (m, "balance_fen"), ==, -4000);
      pay_fails (b, "card_on_hold", card, 100);
      mdn_test_fails (b->admin, "card_on_hold", "{\"op\":\"points.redeem\",\"card\":\"%s\",\"points\":1}", card);
      json_object_set_string_member (args, "card", card);
      g_assert_null (mdn_ops_run (b->admin, "sale.quick", args, &error));
      g_assert_error (error, MDN_ERROR, MDN_ERROR_CARD_ON_HOLD);
      g_assert_nonnull (strstr (error->message, "deposit of at least 40.00"));
      /* Paying cash with the card is not spending it. */
      cash = mdn_test_ok (b->admin, "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":100,"
                                    "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":100}]}", card);
    }

  /* A deposit is allowed on hold; once it has reached the server the hold
   * lifts everywhere at the next sync. */
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b2->admin, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"50.00\"}", card);
  pay_fails (b2, "card_on_hold", card, 100);    /* not synced yet */
  mdn_test_sync_ok (b2);
  mdn_test_sync_ok (b1);
  g_clear_pointer (&out, json_object_unref);
  g_assert_cmpuint (mdn_test_http (s, "GET", "/api/v1/exceptions?status=open", s->hq_token, NULL, 0, &out), ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (out, "exceptions")), ==, 0);
  for (guint i = 0; i < G_N_ELEMENTS (both); i++)
    {
      g_autoptr(JsonObject) m = show (both[i], card);

      g_assert_false (json_object_get_boolean_member (m, "on_hold"));
      g_assert_false (json_object_has_member (m, "hold_fen"));
      g_assert_cmpint (mdn_test_int (m, "balance_fen"), ==, 1000);
    }
  g_clear_pointer (&r, json_object_unref);
  r = pay (b1, card, 600);
  g_assert_false (result_offline (r));
  pay_fails (b2, "insufficient_balance", card, 600);   /* the server holds 6.00 for B01 */
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT SUM (principal_fen + bonus_fen) FROM members"), ==, 400);
  g_assert_cmpint (sum_balances (b1), ==, 400);
  g_assert_cmpint (sum_balances (b2), ==, 400);
  g_assert_cmpuint (mdn_test_verify (b1), ==, 0);
  g_assert_cmpuint (mdn_test_verify (b2), ==, 0);
  mdn_test_set_now (NULL);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  mdn_branch_init ();

  g_test_add_func ("/offline/online/authorized", test_online);
  g_test_add_func ("/offline/allowance/per-day", test_allowance);
  g_test_add_func ("/offline/allowance/zero", test_allowance_zero);
  g_test_add_func ("/offline/hold/overdraft", test_overdraft_hold);
  return g_test_run ();
}
