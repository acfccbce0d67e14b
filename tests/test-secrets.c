/* test-secrets.c: what a branch token and a stolen card can't get, against
 * the real mendian-server on 127.0.0.1 port 0: the chain key is handed to a
 * branch's token at most once; PINs of online spending are checked by the
 * server with a chain-wide count of wrong ones (a lock at one branch holds
 * at every other, online and, once heard of, offline); wrong PINs checked
 * offline reach that count at the next sync; the server's database is
 * readable by its owner only.
 *
 * Lock windows move with MENDIAN_NOW: the server reads it when it starts,
 * so a test moves the server's clock by restarting it. */
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-lockout.h"
#include "mdn-members.h"
#include "mdn-store.h"
#include "mdn-sync.h"
#include "mdn-test-server.h"

#define T0       "2026-11-22T10:00:00+08:00"
#define T0_14MIN "2026-11-22T10:14:00+08:00"
#define T0_15MIN "2026-11-22T10:15:01+08:00"
#define PIN      "246810"

/* A branch registered and linked whose "normal" level may spend 50.00 a day
 * offline. */
static MdnTestBranch *
branch_new (MdnTestServer *s,
            const char    *code,
            int            number)
{
  MdnTestBranch *b = mdn_test_branch_new (code, number);

  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"level.upsert\",\"code\":\"normal\",\"name\":\"Normal\","
                                            "\"price_percent\":100,\"points_per_yuan\":1,\"offline_limit\":\"50.00\"}"));
  mdn_test_server_add_branch (s, code, number, FALSE);
  mdn_test_server_link (s, b);
  return b;
}

/* The server again, with the clock at @now, every branch linked to it. */
static void
restart_at (MdnTestServer  *s,
            const char     *now,
            MdnTestBranch **branches)
{
  if (s->proc)
    g_assert_cmpint (mdn_test_server_stop (s, SIGTERM), ==, 0);
  mdn_test_set_now (now);
  mdn_test_server_start (s, NULL);
  for (guint i = 0; branches[i]; i++)
    mdn_test_server_link (s, branches[i]);
}

#define PAY "{\"op\":\"sale.quick\",\"card\":\"%s\",\"pin\":\"%s\",\"amount_fen\":100," \
            "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":100}]}"

static gboolean
pay (MdnTestBranch *b,
     const char    *card,
     const char    *pin)
{
  g_autoptr(JsonObject) r = mdn_test_ok (b->admin, PAY, card, pin);

  return json_object_get_boolean_member (r, "offline");
}

static void
pay_fails (MdnTestBranch *b,
           const char    *code,
           const char    *card,
           const char    *pin)
{
  mdn_test_fails (b->admin, code, PAY, card, pin);
}

static gint64
server_failures (MdnTestServer *s)
{
  return mdn_test_server_count (s, "SELECT COALESCE (MAX (failures), 0) FROM lockouts WHERE what = 'pin'");
}

static gboolean
server_locked (MdnTestServer *s)
{
  return mdn_test_server_count (s, "SELECT count(*) FROM lockouts WHERE what = 'pin' AND locked_until > 0") > 0;
}

/* A member with PIN and ¥100 issued at @b and synced to the server; its
 * card number in *out_card, its id returned. */
static char *
issue_synced (MdnTestBranch  *b,
              char          **out_card)
{
  g_autoptr(JsonObject) r = mdn_test_ok (b->admin, "{\"op\":\"member.issue\",\"name\":\"张三\",\"phone\":\"13800000001\","
                                                   "\"deposit\":\"100.00\",\"pin\":\"" PIN "\"}");

  mdn_test_sync_ok (b);
  *out_card = g_strdup (mdn_test_str (r, "card_no"));
  return g_strdup (mdn_test_str (r, "member_id"));
}

/* PIN ------------------------------------------------------------------------------ */

/* The server checks the PIN of an online balance spend itself, against the
 * hash it holds: the branch's own copy is not what decides. */
static void
test_pin_server_checks (void)
{
  g_autoptr(MdnTestServer) s = NULL;
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autoptr(JsonObject) out = NULL;
  g_autofree char *card = NULL, *member = NULL, *path = NULL;
  const char *token;
  JsonObject *e;

  mdn_test_set_now (T0);
  s = mdn_test_server_new ("secrets", NULL);
  b1 = branch_new (s, "B01", 1);
  member = issue_synced (b1, &card);
  token = g_hash_table_lookup (s->tokens, "B01");
  path = g_strdup_printf ("/api/v1/members/%s/authorize", member);

  g_assert_cmpuint (mdn_test_http (s, "POST", path, token,
                                   "{\"auth_id\":\"B01-a1\",\"amount_fen\":100,\"kind\":\"balance\"}", -1, &out),
                    ==, 403);
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (out, "error"), "code"), ==, "pin_required");
  g_clear_pointer (&out, json_object_unref);
  g_assert_cmpuint (mdn_test_http (s, "POST", path, token,
                                   "{\"auth_id\":\"B01-a2\",\"amount_fen\":100,\"kind\":\"balance\",\"pin\":\"000000\"}",
                                   -1, &out), ==, 403);
  e = json_object_get_object_member (out, "error");
  g_assert_cmpstr (json_object_get_string_member (e, "code"), ==, "wrong_pin");
  g_assert_cmpint (json_object_get_int_member (e, "attempts_left"), ==, MDN_LOCKOUT_MAX_FAILURES - 1);
  g_clear_pointer (&out, json_object_unref);
  g_assert_cmpint (server_failures (s), ==, 1);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_authorizations"), ==, 0);

  g_assert_cmpuint (mdn_test_http (s, "POST", path, token,
                                   "{\"auth_id\":\"B01-a3\",\"amount_fen\":100,\"kind\":\"balance\",\"pin\":\"" PIN "\"}",
                                   -1, &out), ==, 200);
  g_assert_true (json_object_get_boolean_member (out, "granted"));
  g_assert_true (json_object_get_boolean_member (out, "pin_checked"));
  g_clear_pointer (&out, json_object_unref);
  g_assert_cmpint (server_failures (s), ==, 0);
  /* Points and package uses need no PIN (as at the counter). */
  g_assert_cmpuint (mdn_test_http (s, "POST", path, token,
                                   "{\"auth_id\":\"B01-a4\",\"amount\":1,\"kind\":\"points\"}", -1, &out), ==, 409);
  g_clear_pointer (&out, json_object_unref);

  /* Through the branch: a wrong PIN is refused online without a local check. */
  pay_fails (b1, "wrong_pin", card, "111111");
  g_assert_cmpint (server_failures (s), ==, 1);
  g_assert_cmpint (mdn_test_count (b1, "SELECT count(*) FROM lockouts"), ==, 0);
  g_assert_false (pay (b1, card, PIN));
  g_assert_cmpint (server_failures (s), ==, 0);
  mdn_test_set_now (NULL);
}

/* 5 wrong PINs in a row anywhere in the chain lock the card everywhere for
 * 15 minutes: at the branches that ask the server, and at those that heard
 * of the lock (state, or the refusal) also while the server is down. */
static void
test_pin_chain_wide (void)
{
  g_autoptr(MdnTestServer) s = NULL;
  g_autoptr(MdnTestBranch) b1 = NULL, b2 = NULL, b3 = NULL;
  g_autofree char *card = NULL, *member = NULL;
  MdnTestBranch *all[4];

  mdn_test_set_now (T0);
  s = mdn_test_server_new ("secrets", NULL);
  b1 = branch_new (s, "B01", 1);
  b2 = branch_new (s, "B02", 2);
  b3 = branch_new (s, "B03", 3);
  all[0] = b1, all[1] = b2, all[2] = b3, all[3] = NULL;
  member = issue_synced (b1, &card);
  mdn_test_sync_ok (b2);
  mdn_test_sync_ok (b3);

  for (int i = 0; i < 3; i++)
    pay_fails (b2, "wrong_pin", card, "000000");
  g_assert_cmpint (server_failures (s), ==, 3);
  pay_fails (b1, "wrong_pin", card, "000000");
  pay_fails (b1, "pin_locked", card, "000000");     /* the 5th in a row, at another branch */
  g_assert_true (server_locked (s));
  pay_fails (b2, "pin_locked", card, PIN);
  pay_fails (b1, "pin_locked", card, PIN);
  /* B03 never saw a wrong PIN: it hears of the lock at its next sync. */
  mdn_test_sync_ok (b3);
  g_assert_cmpint (mdn_test_count (b3, "SELECT count(*) FROM lockouts WHERE what = 'pin' AND locked_until > 0"), ==, 1);

  /* The server goes down: every branch still refuses the card's balance. */
  g_assert_cmpint (mdn_test_server_stop (s, SIGTERM), ==, 0);
  pay_fails (b1, "pin_locked", card, PIN);
  pay_fails (b2, "pin_locked", card, PIN);
  pay_fails (b3, "pin_locked", card, PIN);

  /* 14 minutes on, still locked online; 15 minutes on, it pays online. */
  restart_at (s, T0_14MIN, all);
  pay_fails (b3, "pin_locked", card, PIN);
  restart_at (s, T0_15MIN, all);
  g_assert_false (pay (b2, card, PIN));
  g_assert_cmpint (server_failures (s), ==, 0);
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  mdn_test_sync_ok (b3);
  for (guint i = 0; all[i]; i++)
    g_assert_cmpuint (mdn_test_verify (all[i]), ==, 0);
  mdn_test_set_now (NULL);
}

/* Wrong PINs a branch checks itself while the server is down are counted
 * there, and added to the server's count at its next sync. */
static void
test_pin_offline_reported (void)
{
  g_autoptr(MdnTestServer) s = NULL;
  g_autoptr(MdnTestBranch) b1 = NULL, b2 = NULL;
  g_autofree char *card = NULL, *member = NULL;
  MdnTestBranch *all[3];

  mdn_test_set_now (T0);
  s = mdn_test_server_new ("secrets", NULL);
  b1 = branch_new (s, "B01", 1);
  b2 = branch_new (s, "B02", 2);
  all[0] = b1, all[1] = b2, all[2] = NULL;
  member = issue_synced (b1, &card);
  mdn_test_sync_ok (b2);

  g_assert_cmpint (mdn_test_server_stop (s, SIGTERM), ==, 0);
  for (int i = 0; i < 3; i++)
    pay_fails (b2, "wrong_pin", card, "000000");
  g_assert_cmpint (mdn_test_count (b2, "SELECT unreported FROM lockouts WHERE what = 'pin'"), ==, 3);

  restart_at (s, T0, all);
  mdn_test_sync_ok (b2);
  g_assert_cmpint (server_failures (s), ==, 3);
  g_assert_cmpint (mdn_test_count (b2, "SELECT unreported FROM lockouts WHERE what = 'pin'"), ==, 0);
  /* So two more wrong ones elsewhere lock the card. */
  pay_fails (b1, "wrong_pin", card, "000000");
  pay_fails (b1, "pin_locked", card, "000000");
  pay_fails (b2, "pin_locked", card, PIN);
  mdn_test_set_now (NULL);
}

/* Chain key ---------------------------------------------------------------------- */

static char *
server_key (MdnTestServer *s)
{
  g_autofree char *out = mdn_test_server_cmd (s, "chain-key", NULL);

  return g_strstrip (g_strdup (out));
}

static guint
get_state (MdnTestServer *s,
           const char    *token,
           const char    *key_id,
           JsonObject   **out)
{
  g_autofree char *path = key_id ? g_strconcat ("/api/v1/sync/state?key_id=", key_id, NULL)
                                 : g_strdup ("/api/v1/sync/state");

  return mdn_test_http (s, "GET", path, token, NULL, 0, out);
}

/* A branch set up without the chain key gets it in its first state answer,
 * proves it within that sync, and nobody with that token gets it again; a
 * branch that has it proves it (key_id) and is never sent it; a rotated
 * token may receive it again until it proves it. */
static void
test_chain_key_once (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("secrets", NULL);
  g_autoptr(MdnTestBranch) b1 = branch_new (s, "B01", 1);
  g_autoptr(MdnTestBranch) b2 = NULL;
  g_autoptr(JsonObject) out = NULL;
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *key = server_key (s);
  g_autofree char *key_id = mdn_chain_key_id_from_hex (key);
  g_autofree char *before = mdn_db_meta_dup (b1->store->db, "chain_key");
  g_autofree char *after = NULL;
  g_autofree char *card = NULL;
  g_autofree char *rotated = NULL;
  g_autofree char *new_token = NULL;
  const char *token1 = g_hash_table_lookup (s->tokens, "B01");
  MdnSyncResult res;

  g_assert_cmpstr (before, !=, key);
  mdn_test_sync_ok (b1);
  after = mdn_db_meta_dup (b1->store->db, "chain_key");
  g_assert_cmpstr (after, ==, key);

  /* The token alone (a copy of it) gets the key no more. */
  g_assert_cmpuint (get_state (s, token1, NULL, &out), ==, 200);
  g_assert_false (json_object_has_member (out, "chain_key"));
  g_assert_false (json_object_get_boolean_member (out, "chain_key_ok"));
  g_clear_pointer (&out, json_object_unref);
  g_assert_cmpuint (get_state (s, token1, key_id, &out), ==, 200);
  g_assert_false (json_object_has_member (out, "chain_key"));
  g_assert_true (json_object_get_boolean_member (out, "chain_key_ok"));
  g_clear_pointer (&out, json_object_unref);
  mdn_test_sync_ok (b1);

  /* A branch that already holds the chain key (init --chain-key-file)
     proves it and is never sent it; a copy of its token gets nothing. */
  b2 = mdn_test_branch_new ("B02", 2);
  g_assert_true (mdn_store_set_chain_key (b2->store, key, NULL));
  mdn_test_server_add_branch (s, "B02", 2, FALSE);
  mdn_test_server_link (s, b2);
  mdn_test_sync_ok (b2);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_branches WHERE chain_key_at IS NOT NULL"), ==, 2);
  g_assert_cmpuint (get_state (s, g_hash_table_lookup (s->tokens, "B02"), NULL, &out), ==, 200);
  g_assert_false (json_object_has_member (out, "chain_key"));
  g_clear_pointer (&out, json_object_unref);

  /* Both check each other's QR cards. */
  r = mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"张三\",\"phone\":\"13800000001\"}");
  card = g_strdup (mdn_test_str (r, "qr"));
  g_clear_pointer (&r, json_object_unref);
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  r = mdn_test_ok (b2->admin, "{\"op\":\"member.show\",\"card\":\"%s\"}", card);
  g_clear_pointer (&r, json_object_unref);

  /* A branch holding another key after the key was handed out stops: this
     is what a copied token looks like from the real branch. */
  g_assert_true (mdn_store_set_chain_key (b1->store,
                 "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100", NULL));
  g_assert_false (mdn_sync_run (b1->store, &res, NULL, &error));
  g_assert_error (error, MDN_ERROR, MDN_ERROR_SYNC_REFUSED);
  g_clear_error (&error);

  /* Head office rotates the token: the new one may receive the key once. */
  rotated = mdn_test_server_cmd (s, "branch", "rotate", "--code", "B01", NULL);
  new_token = mdn_test_token_of (rotated);
  mdn_test_link (b1, s->url, new_token);
  mdn_test_sync_ok (b1);
  g_clear_pointer (&after, g_free);
  after = mdn_db_meta_dup (b1->store->db, "chain_key");
  g_assert_cmpstr (after, ==, key);
  g_assert_cmpuint (get_state (s, new_token, NULL, &out), ==, 200);
  g_assert_false (json_object_has_member (out, "chain_key"));
}

/* The answer that carried the chain key was lost: the server handed it out
 * (here twice: two syncs of one branch asking at once, or a first sync
 * killed after the server answered) and the branch never stored it. Raw
 * GETs with the branch's own token stand for those lost answers, so the
 * interleaving is forced, not waited for. The branch's next sync still takes
 * the key and proves it at once; after that the token alone gets nothing. */
static void
test_chain_key_reply_lost (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("secrets", NULL);
  g_autoptr(MdnTestBranch) b1 = branch_new (s, "B01", 1);
  g_autoptr(JsonObject) out = NULL;
  g_autofree char *key = server_key (s);
  g_autofree char *after = NULL;
  const char *token1 = g_hash_table_lookup (s->tokens, "B01");

  for (int i = 0; i < 2; i++)
    {
      g_assert_cmpuint (get_state (s, token1, NULL, &out), ==, 200);
      g_assert_cmpstr (json_object_get_string_member_with_default (out, "chain_key", NULL), ==, key);
      g_clear_pointer (&out, json_object_unref);
    }
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_branches WHERE chain_key_at IS NOT NULL"), ==, 0);

  mdn_test_sync_ok (b1);
  after = mdn_db_meta_dup (b1->store->db, "chain_key");
  g_assert_cmpstr (after, ==, key);
  /* Proven within that same sync: the door is shut for copies of the token. */
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_branches WHERE chain_key_at IS NOT NULL"), ==, 1);
  g_assert_cmpuint (get_state (s, token1, NULL, &out), ==, 200);
  g_assert_false (json_object_has_member (out, "chain_key"));
  g_assert_false (json_object_get_boolean_member (out, "chain_key_ok"));
  g_clear_pointer (&out, json_object_unref);
  mdn_test_sync_ok (b1);
}

/* Files ------------------------------------------------------------------------------ */

static guint
mode_of (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_mode & 0777;
}

/* The server's database holds the token hashes, the chain key and every
 * member's PIN hash: its owner alone may read it, and its -wal/-shm. */
static void
test_server_db_private (void)
{
  g_autoptr(MdnTestServer) s = NULL;
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autofree char *wal = NULL, *shm = NULL;
  mode_t old = umask (022);

  s = mdn_test_server_new ("secrets", NULL);
  b1 = branch_new (s, "B01", 1);
  mdn_test_sync_ok (b1);
  if (mdn_test_backend_pg ())
    {
      /* No file on PostgreSQL: who may read is the cluster's roles, and
         the store grants nothing of its tables to PUBLIC. */
      g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM information_schema.table_privileges "
                                                 "WHERE grantee = 'PUBLIC' AND table_schema = 'public'"), ==, 0);
      g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' "
                                                 "AND tablename = 'srv_branches'"), ==, 1);
      umask (old);
      return;
    }
  wal = g_strconcat (s->db, "-wal", NULL);
  shm = g_strconcat (s->db, "-shm", NULL);
  g_assert_cmpuint (mode_of (s->db), ==, 0600);
  g_assert_cmpuint (mode_of (wal), ==, 0600);
  g_assert_cmpuint (mode_of (shm), ==, 0600);
  umask (old);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/secrets/pin/server-checks", test_pin_server_checks);
  g_test_add_func ("/secrets/pin/chain-wide-lock", test_pin_chain_wide);
  g_test_add_func ("/secrets/pin/offline-failures-reported", test_pin_offline_reported);
  g_test_add_func ("/secrets/chain-key/handed-once", test_chain_key_once);
  g_test_add_func ("/secrets/chain-key/reply-lost", test_chain_key_reply_lost);
  g_test_add_func ("/secrets/files/server-db-private", test_server_db_private);
  return g_test_run ();
}
