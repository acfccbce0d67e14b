/* test-sync-ops.c: linking a branch to a server through the operations
 * "sync.link" (administrators only, checked in common/) and "sync.status"
 * (what the POS header shows; never the token). mdn_sync_link itself, the
 * CLI's `link`, acts on the database file and is tested in test-cli.c and
 * test-server.c. */
#include <string.h>

#include "mdn-db.h"
#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-sync.h"
#include "mdn-test-util.h"

#define TOKEN  "branch-token-B01-0123456789-0123456789-0123456789"
#define TOKEN2 "fedcba9876543210fedcba9876543210fedcba9876543210"
#define PIN    "AB:CD:EF:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:01:23:45:67:89"

static char *
meta (MdnTestBranch *b,
      const char    *key)
{
  return mdn_db_meta_dup (b->store->db, key);
}

static void
test_link_permission (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(MdnOpCtx) c01 = mdn_test_staff (b, "c01", "cashier");
  g_autoptr(MdnOpCtx) m01 = mdn_test_staff (b, "m01", "manager");
  g_autoptr(JsonObject) r = NULL;
  g_autofree char *url = NULL;

  /* A cashier and a manager are refused, and nothing is stored. */
  mdn_test_fails (c01, "permission_denied",
                  "{\"op\":\"sync.link\",\"server\":\"http://127.0.0.1:8080/\",\"token\":\"%s\"}", TOKEN);
  mdn_test_fails (m01, "permission_denied",
                  "{\"op\":\"sync.link\",\"server\":\"http://127.0.0.1:8080/\",\"token\":\"%s\"}", TOKEN);
  url = meta (b, "sync_url");
  g_assert_true (url == NULL || *url == '\0');
  g_assert_false (mdn_sync_is_linked (b->store));
  g_assert_false (mdn_ops_allowed (c01, "sync.link"));
  g_assert_false (mdn_ops_allowed (m01, "sync.link"));
  g_assert_true (mdn_ops_allowed (b->admin, "sync.link"));
  /* The refusal is in the operation log. */
  g_assert_cmpint (mdn_test_count (b, "SELECT COUNT(*) FROM oplog WHERE op = 'sync.link' AND ok = 0 "
                                      "AND detail = 'permission_denied'"), ==, 2);

  /* A cashier may read the status: not linked. */
  r = mdn_test_ok (c01, "{\"op\":\"sync.status\"}");
  g_assert_false (json_object_get_boolean_member (r, "linked"));
  g_assert_false (json_object_has_member (r, "server"));

  /* An administrator disabled after logging in can't either: the role is
     read again for every operation. */
  {
    g_autoptr(MdnOpCtx) a02 = mdn_test_staff (b, "a02", "admin");

    json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"staff.disable\",\"code\":\"a02\"}"));
    mdn_test_fails (a02, "staff_disabled",
                    "{\"op\":\"sync.link\",\"server\":\"http://127.0.0.1:8080/\",\"token\":\"%s\"}", TOKEN);
  }
  g_assert_false (mdn_sync_is_linked (b->store));
}

static void
test_link_admin (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(MdnOpCtx) c01 = mdn_test_staff (b, "c01", "cashier");
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(JsonObject) s = NULL;
  g_autofree char *token = NULL;
  g_autofree char *pin = NULL;
  g_autofree char *status_text = NULL;
  gint64 last = mdn_test_count (b, "SELECT COALESCE (MAX (seq), 0) FROM entries WHERE branch = 'B01'");

  /* Refusals of the link code itself: bad address, plain http elsewhere
     than loopback, no token, short token, both CA and pin. */
  mdn_test_fails (b->admin, "invalid_argument",
                  "{\"op\":\"sync.link\",\"server\":\"ftp://hq.example.com/\",\"token\":\"%s\"}", TOKEN);
  mdn_test_fails (b->admin, "invalid_argument",
                  "{\"op\":\"sync.link\",\"server\":\"http://hq.example.com/\",\"token\":\"%s\"}", TOKEN);
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"sync.link\",\"server\":\"http://127.0.0.1:8080/\"}");
  mdn_test_fails (b->admin, "invalid_argument",
                  "{\"op\":\"sync.link\",\"server\":\"http://127.0.0.1:8080/\",\"token\":\"short\"}");
  mdn_test_fails (b->admin, "invalid_argument",
                  "{\"op\":\"sync.link\",\"server\":\"https://hq.example.com/\",\"token\":\"%s\","
                  "\"ca\":\"/etc/hostname\",\"pin_sha256\":\"%s\"}", TOKEN, PIN);
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"sync.link\",\"token\":\"%s\"}", TOKEN);
  g_assert_false (mdn_sync_is_linked (b->store));

  /* Linked by the admin, with a pin (normalized). */
  r = mdn_test_ok (b->admin, "{\"op\":\"sync.link\",\"server\":\"https://hq.example.com:8443/\",\"token\":\"%s\","
                             "\"pin_sha256\":\"%s\"}", TOKEN, PIN);
  g_assert_true (json_object_get_boolean_member (r, "linked"));
  g_assert_true (json_object_get_boolean_member (r, "new_server"));
  g_assert_true (mdn_sync_is_linked (b->store));
  token = meta (b, "sync_token");
  g_assert_cmpstr (token, ==, TOKEN);
  pin = meta (b, "sync_pin_sha256");
  g_assert_cmpstr (pin, ==, "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789");

  /* The status, for a cashier: never the token. */
  s = mdn_test_ok (c01, "{\"op\":\"sync.status\"}");
  g_assert_true (json_object_get_boolean_member (s, "linked"));
  g_assert_cmpstr (mdn_test_str (s, "server"), ==, "https://hq.example.com:8443/");
  g_assert_cmpstr (mdn_test_str (s, "pin_sha256"), ==, pin);
  g_assert_false (json_object_has_member (s, "ca"));
  g_assert_false (json_object_has_member (s, "last_sync_at"));
  g_assert_cmpint (mdn_test_int (s, "last_seq"), ==, last);
  g_assert_cmpint (mdn_test_int (s, "acked_seq"), ==, 0);
  g_assert_cmpint (mdn_test_int (s, "waiting"), ==, last);
  status_text = mdn_json_object_to_string (s);
  g_assert_null (strstr (status_text, TOKEN));
  g_clear_pointer (&s, json_object_unref);

  /* Again without a token: the stored one stays; same server, so the feed
     position is kept; no pin given: none. */
  g_assert_true (mdn_db_meta_set (b->store->db, "sync_feed_position", "7", NULL));
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b->admin, "{\"op\":\"sync.link\",\"server\":\"https://hq.example.com:8443/\"}");
  g_assert_false (json_object_get_boolean_member (r, "new_server"));
  g_clear_pointer (&token, g_free);
  token = meta (b, "sync_token");
  g_assert_cmpstr (token, ==, TOKEN);
  g_assert_cmpint (mdn_test_count (b, "SELECT value FROM meta WHERE key = 'sync_feed_position'"), ==, 7);
  s = mdn_test_ok (c01, "{\"op\":\"sync.status\"}");
  g_assert_false (json_object_has_member (s, "pin_sha256"));
  g_clear_pointer (&s, json_object_unref);

  /* A new server and token: the feed starts from 0 there. */
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b->admin, "{\"op\":\"sync.link\",\"server\":\"http://127.0.0.1:9999/\",\"token\":\"%s\"}", TOKEN2);
  g_assert_true (json_object_get_boolean_member (r, "new_server"));
  g_clear_pointer (&token, g_free);
  token = meta (b, "sync_token");
  g_assert_cmpstr (token, ==, TOKEN2);
  g_assert_cmpint (mdn_test_count (b, "SELECT value FROM meta WHERE key = 'sync_feed_position'"), ==, 0);
  g_assert_cmpint (mdn_test_count (b, "SELECT COUNT(*) FROM oplog WHERE op = 'sync.link' AND ok = 1"), ==, 3);
  /* No ledger entry: the link is this terminal's, not the chain's. */
  g_assert_cmpint (mdn_test_count (b, "SELECT COALESCE (MAX (seq), 0) FROM entries WHERE branch = 'B01'"), ==, last);
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  mdn_branch_init ();
  g_test_add_func ("/sync/ops/link-permission", test_link_permission);
  g_test_add_func ("/sync/ops/link-admin", test_link_admin);
  return g_test_run ();
}
