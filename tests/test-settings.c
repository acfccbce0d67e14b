/* test-settings.c: the system settings (common/ledger/mdn-settings.c):
 * typed values, defaults, refusals, where each key is decided, and the
 * chain's keys reaching a branch through the real server. */
#include <glib.h>

#include "mdn-init.h"
#include "mdn-settings.h"
#include "mdn-sync.h"
#include "mdn-test-server.h"
#include "mdn-test-util.h"

static void
test_defaults (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(JsonObject) r = mdn_test_ok (b->admin, "{\"op\":\"settings.list\"}");
  JsonArray *list = json_object_get_array_member (r, "settings");
  g_autofree char *rounding = mdn_settings_dup_choice (b->store->db, "checkout.cash_rounding");
  guint n = 0;

  for (const MdnSettingDef *d = mdn_settings_table (); d->key; d++)
    n++;
  g_assert_cmpuint (json_array_get_length (list), ==, n);
  g_assert_cmpuint (n, >=, 13);
  for (guint i = 0; i < n; i++)
    {
      JsonObject *o = json_array_get_object_element (list, i);

      g_assert_cmpstr (mdn_test_str (o, "value"), ==, mdn_test_str (o, "default"));
      g_assert_nonnull (mdn_settings_lookup (mdn_test_str (o, "key")));
    }
  g_assert_cmpstr (rounding, ==, "none");
  g_assert_false (mdn_settings_get_bool (b->store->db, "stock.refuse_negative"));
  g_assert_cmpint (mdn_settings_get_int (b->store->db, "member.pin_lockout_attempts"), ==, 5);
  g_assert_cmpint (mdn_settings_get_int (b->store->db, "reminder.low_balance_fen"), ==, 2000);
  g_assert_null (mdn_settings_lookup ("no.such"));
}

static void
test_branch_keys (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(MdnOpCtx) cashier = mdn_test_staff (b, "c1", "cashier");
  g_autoptr(JsonObject) r = NULL;
  g_autofree char *rounding = NULL;

  r = mdn_test_ok (b->admin, "{\"op\":\"settings.set\",\"key\":\"checkout.cash_rounding\",\"value\":\"jiao\"}");
  g_assert_cmpstr (mdn_test_str (r, "value"), ==, "jiao");
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b->admin, "{\"op\":\"settings.set\",\"key\":\"stock.refuse_negative\",\"value\":true}");
  rounding = mdn_settings_dup_choice (b->store->db, "checkout.cash_rounding");
  g_assert_cmpstr (rounding, ==, "jiao");
  g_assert_true (mdn_settings_get_bool (b->store->db, "stock.refuse_negative"));
  g_assert_cmpint (mdn_test_count (b, "SELECT count(*) FROM entries WHERE kind = 'setting.branch'"), ==, 2);

  /* Refused, and nothing written. */
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"settings.set\",\"key\":\"no.such\",\"value\":1}");
  mdn_test_fails (b->admin, "invalid_argument",
                  "{\"op\":\"settings.set\",\"key\":\"checkout.cash_rounding\",\"value\":\"fen\"}");
  mdn_test_fails (b->admin, "invalid_argument",
                  "{\"op\":\"settings.set\",\"key\":\"stock.refuse_negative\",\"value\":\"yes\"}");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"settings.set\",\"key\":\"stock.refuse_negative\"}");
  mdn_test_fails (b->admin, "invalid_argument",
                  "{\"op\":\"settings.set\",\"key\":\"stock.refuse_negative\",\"value\":1.5}");
  mdn_test_fails (cashier, "permission_denied",
                  "{\"op\":\"settings.set\",\"key\":\"checkout.cash_rounding\",\"value\":\"yuan\"}");
  /* A chain key is head office's: a branch is told so. */
  mdn_test_fails (b->admin, "hq_only", "{\"op\":\"settings.set\",\"key\":\"member.pin_length\",\"value\":4}");
  g_assert_cmpint (mdn_settings_get_int (b->store->db, "member.pin_lockout_attempts"), ==, 5);
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
}

static void
test_typed_values (void)
{
  g_autoptr(MdnTestBranch) hq = mdn_test_branch_new_full ("HQ", 0, TRUE);
  g_autoptr(JsonObject) r = NULL;
  g_autofree char *pin = NULL;

  /* Integers as numbers or as text; the text stored is canonical. */
  r = mdn_test_ok (hq->admin, "{\"op\":\"settings.set\",\"key\":\"reminder.low_balance_fen\",\"value\":\"5000\"}");
  g_assert_cmpstr (mdn_test_str (r, "value"), ==, "5000");
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (hq->admin, "{\"op\":\"settings.set\",\"key\":\"member.pin_length\",\"value\":4}");
  g_assert_cmpstr (mdn_test_str (r, "value"), ==, "4");
  pin = mdn_settings_dup_choice (hq->store->db, "member.pin_length");
  g_assert_cmpstr (pin, ==, "4");
  g_assert_cmpint (mdn_settings_get_int (hq->store->db, "reminder.low_balance_fen"), ==, 5000);
  for (guint i = 0; i < 4; i++)
    {
      static const char *const bad[] = { "\"05\"", "-1", "\"1e3\"", "1000000000001" };

      mdn_test_fails (hq->admin, "invalid_argument",
                      "{\"op\":\"settings.set\",\"key\":\"reminder.low_balance_fen\",\"value\":%s}", bad[i]);
    }
  mdn_test_fails (hq->admin, "invalid_argument",
                  "{\"op\":\"settings.set\",\"key\":\"member.pin_lockout_attempts\",\"value\":2}");
  mdn_test_fails (hq->admin, "invalid_argument",
                  "{\"op\":\"settings.set\",\"key\":\"member.pin_length\",\"value\":5}");
  g_assert_cmpint (mdn_settings_get_int (hq->store->db, "reminder.low_balance_fen"), ==, 5000);
  g_assert_cmpint (mdn_test_count (hq, "SELECT count(*) FROM entries WHERE kind = 'setting.chain'"), ==, 2);
  g_assert_cmpuint (mdn_test_verify (hq), ==, 0);
}

/* Text settings: the default is empty, a value is kept as given (trimmed),
 * and a value too long, with a control character, a web address that is
 * not http(s) with a host, or a folder not from the root is refused with
 * nothing written. */
static void
test_strings (void)
{
  g_autoptr(MdnTestBranch) hq = mdn_test_branch_new_full ("HQ", 0, TRUE);
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(JsonObject) r = NULL;
  g_autofree char *url = NULL, *dir = NULL, *empty = NULL, *longer = NULL;
  const char *bad_urls[] = { "vip.example.com", "ftp://vip.example.com", "https://", "https:///x",
                             "https://vip example.com", "http://vip.example.com/a b", "javascript:alert(1)" };
  const char *bad_texts[] = { "/srv/a\\nb", "/srv/a\\tb", "/srv/\\u001b[0m", "backups", "./backups" };

  empty = mdn_settings_dup_string (hq->store->db, "member.public_url");
  g_assert_cmpstr (empty, ==, "");
  g_assert_cmpint (mdn_settings_lookup ("member.public_url")->type, ==, MDN_SETTING_STRING);
  g_assert_cmpint (mdn_settings_get_int (b->store->db, "backup.keep"), ==, 14);
  g_assert_true (mdn_settings_get_bool (b->store->db, "backup.daily"));

  r = mdn_test_ok (hq->admin, "{\"op\":\"settings.set\",\"key\":\"member.public_url\","
                              "\"value\":\" https://vip.example.com/card \"}");
  g_assert_cmpstr (mdn_test_str (r, "value"), ==, "https://vip.example.com/card");
  url = mdn_settings_dup_string (hq->store->db, "member.public_url");
  g_assert_cmpstr (url, ==, "https://vip.example.com/card");
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (hq->admin, "{\"op\":\"settings.set\",\"key\":\"member.public_url\",\"value\":\"HTTP://会员.example.com:8080\"}");
  for (guint i = 0; i < G_N_ELEMENTS (bad_urls); i++)
    mdn_test_fails (hq->admin, "invalid_argument",
                    "{\"op\":\"settings.set\",\"key\":\"member.public_url\",\"value\":\"%s\"}", bad_urls[i]);
  /* A chain key at a branch. */
  mdn_test_fails (b->admin, "hq_only",
                  "{\"op\":\"settings.set\",\"key\":\"member.public_url\",\"value\":\"https://a.example\"}");

  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b->admin, "{\"op\":\"settings.set\",\"key\":\"backup.dir\",\"value\":\"/srv/备份 1\"}");
  dir = mdn_settings_dup_string (b->store->db, "backup.dir");
  g_assert_cmpstr (dir, ==, "/srv/备份 1");
  for (guint i = 0; i < G_N_ELEMENTS (bad_texts); i++)
    mdn_test_fails (b->admin, "invalid_argument",
                    "{\"op\":\"settings.set\",\"key\":\"backup.dir\",\"value\":\"%s\"}", bad_texts[i]);
  longer = g_strnfill (501, 'a');
  longer[0] = '/';
  mdn_test_fails (b->admin, "invalid_argument",
                  "{\"op\":\"settings.set\",\"key\":\"backup.dir\",\"value\":\"%s\"}", longer);
  longer[500] = '\0';   /* 500 characters: the limit */
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b->admin, "{\"op\":\"settings.set\",\"key\":\"backup.dir\",\"value\":\"%s\"}", longer);
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b->admin, "{\"op\":\"settings.set\",\"key\":\"backup.dir\",\"value\":\"\"}");
  g_clear_pointer (&dir, g_free);
  dir = mdn_settings_dup_string (b->store->db, "backup.dir");
  g_assert_cmpstr (dir, ==, "");
  mdn_test_fails (b->admin, "invalid_argument", "{\"op\":\"settings.set\",\"key\":\"backup.keep\",\"value\":0}");
  g_assert_cmpint (mdn_test_count (b, "SELECT count(*) FROM entries WHERE kind = 'setting.branch'"), ==, 3);
  g_assert_cmpint (mdn_test_count (hq, "SELECT count(*) FROM entries WHERE kind = 'setting.chain'"), ==, 2);
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
  g_assert_cmpuint (mdn_test_verify (hq), ==, 0);
}

/* The head-office terminal's chain keys reach every branch and the server;
 * a branch's own keys stay where they were set. */
static void
test_flow_down (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("settings", NULL);
  g_autoptr(MdnTestBranch) hq = mdn_test_server_branch_new (s, "HQ", 0, TRUE);
  g_autoptr(MdnTestBranch) b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  g_autoptr(MdnTestBranch) b2 = mdn_test_server_branch_new (s, "B02", 2, FALSE);
  g_autoptr(JsonObject) r = NULL;
  g_autofree char *r1 = NULL, *r2 = NULL, *url = NULL;

  r = mdn_test_ok (hq->admin, "{\"op\":\"settings.set\",\"key\":\"sms.on_deposit\",\"value\":true}");
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (hq->admin, "{\"op\":\"settings.set\",\"key\":\"reminder.inactive_days\",\"value\":90}");
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (hq->admin, "{\"op\":\"settings.set\",\"key\":\"member.public_url\",\"value\":\"https://vip.example.com\"}");
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b1->admin, "{\"op\":\"settings.set\",\"key\":\"checkout.cash_rounding\",\"value\":\"yuan\"}");
  mdn_test_sync_ok (hq);
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  mdn_test_sync_ok (b1);

  g_assert_true (mdn_settings_get_bool (b1->store->db, "sms.on_deposit"));
  g_assert_true (mdn_settings_get_bool (b2->store->db, "sms.on_deposit"));
  g_assert_cmpint (mdn_settings_get_int (b2->store->db, "reminder.inactive_days"), ==, 90);
  r1 = mdn_settings_dup_choice (b1->store->db, "checkout.cash_rounding");
  r2 = mdn_settings_dup_choice (b2->store->db, "checkout.cash_rounding");
  g_assert_cmpstr (r1, ==, "yuan");
  g_assert_cmpstr (r2, ==, "none");
  url = mdn_settings_dup_string (b2->store->db, "member.public_url");
  g_assert_cmpstr (url, ==, "https://vip.example.com");
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM settings WHERE key = 'sms.on_deposit' "
                                             "AND value = 'true'"), ==, 1);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM settings WHERE key = 'reminder.inactive_days' "
                                             "AND value = '90'"), ==, 1);
  g_assert_cmpint (mdn_test_count (b2, "SELECT count(*) FROM entries WHERE kind = 'setting.branch'"), ==, 0);
  g_assert_cmpuint (mdn_test_verify (b1), ==, 0);
  g_assert_cmpuint (mdn_test_verify (b2), ==, 0);
}

int
main (int   argc,
      char *argv[])
{
  mdn_branch_init ();
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/settings/defaults", test_defaults);
  g_test_add_func ("/settings/branch-keys", test_branch_keys);
  g_test_add_func ("/settings/typed-values", test_typed_values);
  g_test_add_func ("/settings/flow-down", test_flow_down);
  g_test_add_func ("/settings/strings", test_strings);
  return g_test_run ();
}
