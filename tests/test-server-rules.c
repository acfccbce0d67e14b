/* test-server-rules.c: the server's decisions (server/srv-rules.c) on
 * their own, without a database: the same answers every storage backend
 * must give. */
#include <glib.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "srv-rules.h"
#include "srv-store.h"

static void
test_spend (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (srv_rules_check_spend_request ("balance", NULL, 100, &error));
  g_assert_no_error (error);
  g_assert_false (srv_rules_check_spend_request ("cash", NULL, 100, &error));
  g_assert_error (error, SRV_ERROR, SRV_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (srv_rules_check_spend_request ("balance", NULL, 0, &error));
  g_assert_error (error, SRV_ERROR, SRV_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (srv_rules_check_spend_request ("package", "", 1, &error));
  g_assert_error (error, SRV_ERROR, SRV_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_true (srv_rules_check_spend_request ("package", "WASH", 1, &error));

  /* 1000 held of 5000: 4000 may be spent, not 4001. */
  g_assert_true (srv_rules_check_spend (5000, 1000, 4000, &error));
  g_assert_no_error (error);
  g_assert_false (srv_rules_check_spend (5000, 1000, 4001, &error));
  g_assert_error (error, SRV_ERROR, SRV_ERROR_INSUFFICIENT);
}

static void
test_card (void)
{
  g_auto(SrvCardState) card = { FALSE, NULL, 3 };
  g_autoptr(GError) error = NULL;

  g_assert_true (srv_rules_check_card_request ("a1", "member.lose", "C1", 0, &error));
  g_assert_false (srv_rules_check_card_request ("a1", "member.delete", "C1", 0, &error));
  g_assert_error (error, SRV_ERROR, SRV_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (srv_rules_check_card_request ("", "member.lose", "C1", 0, &error));
  g_assert_error (error, SRV_ERROR, SRV_ERROR_INVALID);
  g_clear_error (&error);

  /* Not lost: it may be lost, not unlocked; the rev comes after every other. */
  g_assert_true (srv_rules_check_card (&card, "C1", "member.lose", "C1", &error));
  g_assert_false (srv_rules_check_card (&card, "C1", "member.unlock", "C1", &error));
  g_assert_error (error, MDN_ERROR, MDN_ERROR_CARD_NOT_LOST);
  g_clear_error (&error);
  g_assert_false (srv_rules_check_card (&card, "C2", "member.lose", "C1", &error));
  g_assert_error (error, MDN_ERROR, MDN_ERROR_CARD_REPLACED);
  g_clear_error (&error);
  g_assert_cmpint (srv_rules_card_rev (&card, 0), ==, 4);
  g_assert_cmpint (srv_rules_card_rev (&card, 9), ==, 9);

  /* Another branch was authorized to report it lost (rev 5). */
  srv_rules_card_fold (&card, "member.lose", "B02", 5);
  g_assert_false (srv_rules_check_card (&card, "C1", "member.lose", "C1", &error));
  g_assert_error (error, MDN_ERROR, MDN_ERROR_CARD_LOST);
  g_clear_error (&error);
  g_assert_true (srv_rules_check_card (&card, "C1", "member.unlock", "C1", &error));
  g_assert_cmpint (srv_rules_card_rev (&card, 0), ==, 6);

  /* ... and then to replace it: every operation waits for that push. */
  srv_rules_card_fold (&card, "member.replace", "B03", 6);
  g_assert_false (card.lost);
  g_assert_cmpstr (card.pending_branch, ==, "B03");
  g_assert_false (srv_rules_check_card (&card, "C1", "member.lose", "C1", &error));
  g_assert_error (error, MDN_ERROR, MDN_ERROR_CARD_REPLACED);
}

static void
test_return_request (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) good = json_from_string ("[{\"sku\": \"A\", \"qty\": 2}]", NULL);
  g_autoptr(JsonNode) bad = json_from_string ("[{\"sku\": \"A\", \"qty\": 0}]", NULL);

  g_assert_true (srv_rules_check_return_request ("r1", 100, json_node_get_array (good), &error));
  g_assert_no_error (error);
  g_assert_false (srv_rules_check_return_request ("r1", 100, json_node_get_array (bad), &error));
  g_assert_error (error, SRV_ERROR, SRV_ERROR_INVALID);
  g_clear_error (&error);
  g_assert_false (srv_rules_check_return_request ("r1", -1, json_node_get_array (good), &error));
  g_assert_error (error, SRV_ERROR, SRV_ERROR_INVALID);
}

static void
test_overdrawn (void)
{
  g_autoptr(JsonNode) uses = json_from_string ("[{\"sku\": \"WASH\", \"owed\": 2}]", NULL);
  g_autoptr(GArray) none = srv_rules_overdrawn (100, -50, 0, NULL);
  g_autoptr(GArray) below = srv_rules_overdrawn (-100, 40, -3, json_node_get_array (uses));
  SrvOverdrawn *o;

  /* Principal and bonus are judged together. */
  g_assert_cmpuint (none->len, ==, 0);
  g_assert_cmpuint (below->len, ==, 3);
  o = &g_array_index (below, SrvOverdrawn, 0);
  g_assert_cmpstr (o->account, ==, "balance");
  g_assert_cmpstr (o->item, ==, "");
  g_assert_cmpint (o->amount, ==, 60);
  o = &g_array_index (below, SrvOverdrawn, 1);
  g_assert_cmpstr (o->account, ==, "points");
  g_assert_cmpint (o->amount, ==, 3);
  o = &g_array_index (below, SrvOverdrawn, 2);
  g_assert_cmpstr (o->account, ==, "package");
  g_assert_cmpstr (o->item, ==, "WASH");
  g_assert_cmpint (o->amount, ==, 2);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/server-rules/spend", test_spend);
  g_test_add_func ("/server-rules/card", test_card);
  g_test_add_func ("/server-rules/return-request", test_return_request);
  g_test_add_func ("/server-rules/overdrawn", test_overdrawn);
  return g_test_run ();
}
