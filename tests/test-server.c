/* test-server.c: the real mendian-server process on 127.0.0.1 port 0,
 * branches syncing with it through common/mdn-sync.c and raw HTTP. */
#include <signal.h>
#include <glib/gstdio.h>
#include <string.h>

#include "mdn-db.h"
#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-sync.h"
#include "mdn-test-push.h"
#include "mdn-test-server.h"

/* Every server here runs with a 600 s auth TTL, but test_refusals's. */
#define AUTH_TTL "--auth-ttl=600"

/* Raw HTTP ------------------------------------------------------------------------------ */

static const char *
error_code (JsonObject *o)
{
  g_assert_nonnull (o);
  g_assert_true (json_object_has_member (o, "error"));
  return json_object_get_string_member (json_object_get_object_member (o, "error"), "code");
}

/* {"entries": [own entries with seq in [from, to]]} as JSON text. */
static char *
batch_json (MdnTestBranch *b,
            gint64         from,
            gint64         to,
            void         (*tamper) (JsonObject *entry, gint64 seq))
{
  g_autoptr(JsonObject) body = json_object_new ();
  JsonArray *list = json_array_new ();

  json_object_set_array_member (body, "entries", list);
  for (gint64 seq = from; seq <= to; seq++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *id = NULL;
      g_autoptr(MdnEntry) entry = NULL;
      sqlite3_stmt *stmt = mdn_db_query (b->store->db, &error, "SELECT id FROM entries WHERE branch = ? AND seq = ?",
                                         "si", b->store->branch_code, seq);
      JsonObject *o;

      g_assert_no_error (error);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
      id = g_strdup (mdn_db_col_text (stmt, 0));
      sqlite3_reset (stmt);
      entry = mdn_entry_load (b->store->db, id, &error);
      g_assert_no_error (error);
      o = mdn_entry_to_json (entry, TRUE);
      if (tamper)
        tamper (o, seq);
      json_array_add_object_element (list, o);
    }
  return mdn_json_object_to_string (body);
}

static gint64
branch_entries (MdnTestBranch *b)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM entries WHERE branch = '%s'", b->store->branch_code);

  return mdn_test_count (b, sql);
}

static char *
issue_member (MdnTestBranch *b,
              const char    *phone,
              const char    *deposit)
{
  g_autoptr(JsonObject) r = mdn_test_ok (b->admin, "{\"op\":\"member.issue\",\"name\":\"M\",\"phone\":\"%s\",\"deposit\":\"%s\"}",
                                         phone, deposit);

  return g_strdup (mdn_test_str (r, "card_no"));
}

static gint64
balance (MdnTestBranch *b,
         const char    *card)
{
  g_autoptr(JsonObject) r = mdn_test_ok (b->admin, "{\"op\":\"member.show\",\"card\":\"%s\"}", card);

  return mdn_test_int (r, "balance_fen");
}

/* Tests ---------------------------------------------------------------------------------- */

static void
test_cross_branch (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("server", AUTH_TTL);
  g_autoptr(MdnTestBranch) b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  g_autoptr(MdnTestBranch) b2 = mdn_test_server_branch_new (s, "B02", 2, FALSE);
  g_autoptr(JsonObject) sum = NULL;
  g_autofree char *card = NULL;
  g_autofree char *card2 = NULL;
  g_autofree char *path = NULL;
  MdnSyncResult r;
  JsonObject *chain;
  JsonArray *branches;

  mdn_test_set_now ("2026-11-20T10:00:00+08:00");
  card = issue_member (b1, "13800000001", "100.00");
  r = mdn_test_sync_ok (b1);
  g_assert_cmpint (r.pushed, ==, 3);       /* level.upsert, issue, deposit */
  g_assert_cmpint (r.acked_seq, ==, 3);
  g_assert_cmpint (r.pulled, ==, 0);

  /* The card issued and topped up at B01 pays at B02. */
  r = mdn_test_sync_ok (b2);
  g_assert_cmpint (r.pulled, ==, 2);       /* issue + deposit; B01's level stays at B01 */
  g_assert_cmpint (balance (b2, card), ==, 10000);
  mdn_test_set_now ("2026-11-21T10:00:00+08:00");
  g_clear_pointer (&sum, json_object_unref);
  sum = mdn_test_ok (b2->admin, "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount\":\"30.00\"}", card);
  card2 = issue_member (b2, "13800000002", "50.00");
  r = mdn_test_sync_ok (b2);
  g_assert_cmpint (r.pushed, ==, 3);       /* its level.upsert went with its first sync */
  r = mdn_test_sync_ok (b1);
  g_assert_cmpint (r.pulled, ==, 3);
  g_assert_cmpint (balance (b1, card), ==, 7000);
  g_assert_cmpint (balance (b1, card2), ==, 5000);

  /* Repeating changes nothing. */
  r = mdn_test_sync_ok (b1);
  g_assert_cmpint (r.pushed + r.pulled, ==, 0);

  g_assert_cmpuint (mdn_test_verify (b1), ==, 0);
  g_assert_cmpuint (mdn_test_verify (b2), ==, 0);

  /* Server totals equal the branches' ledgers. */
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM entries"), ==, branch_entries (b1) + branch_entries (b2));
  g_assert_cmpint (mdn_test_server_count (s, "SELECT SUM (principal_fen + bonus_fen) FROM members"), ==, 12000);
  g_assert_cmpint (mdn_test_count (b1, "SELECT SUM (principal_fen + bonus_fen) FROM members"), ==, 12000);
  g_assert_cmpint (mdn_test_count (b2, "SELECT SUM (principal_fen + bonus_fen) FROM members"), ==, 12000);

  /* The summary, exact. */
  g_clear_pointer (&sum, json_object_unref);
  g_assert_cmpuint (mdn_test_http (s, "GET", "/api/v1/reports/summary?from=2026-11-01&to=2026-11-30", s->hq_token,
                          NULL, 0, &sum), ==, 200);
  chain = json_object_get_object_member (sum, "chain");
  g_assert_cmpint (json_object_get_int_member (chain, "deposit_principal_fen"), ==, 15000);
  g_assert_cmpint (json_object_get_int_member (chain, "withdraw_fen"), ==, 3000);
  g_assert_cmpint (json_object_get_int_member (chain, "members_issued"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (chain, "liability_fen"), ==, 12000);
  branches = json_object_get_array_member (sum, "branches");
  g_assert_cmpuint (json_array_get_length (branches), ==, 2);
  {
    JsonObject *o1 = json_array_get_object_element (branches, 0);
    JsonObject *o2 = json_array_get_object_element (branches, 1);

    g_assert_cmpstr (json_object_get_string_member (o1, "branch"), ==, "B01");
    g_assert_cmpint (json_object_get_int_member (o1, "deposit_principal_fen"), ==, 10000);
    g_assert_cmpint (json_object_get_int_member (o1, "withdraw_fen"), ==, 0);
    g_assert_cmpint (json_object_get_int_member (o1, "liability_principal_fen"), ==, 10000);
    g_assert_cmpint (json_object_get_int_member (o2, "deposit_principal_fen"), ==, 5000);
    g_assert_cmpint (json_object_get_int_member (o2, "withdraw_fen"), ==, 3000);
    g_assert_cmpint (json_object_get_int_member (o2, "members_issued"), ==, 1);
    g_assert_cmpint (json_object_get_int_member (o2, "liability_principal_fen"), ==, 2000);
  }

  /* The period matters: only 20 Nov, one branch, and the liability then. */
  g_clear_pointer (&sum, json_object_unref);
  g_assert_cmpuint (mdn_test_http (s, "GET", "/api/v1/reports/summary?from=2026-11-20&to=2026-11-20&branch=B01",
                          s->hq_token, NULL, 0, &sum), ==, 200);
  chain = json_object_get_object_member (sum, "chain");
  g_assert_cmpint (json_object_get_int_member (chain, "deposit_principal_fen"), ==, 10000);
  g_assert_cmpint (json_object_get_int_member (chain, "liability_fen"), ==, 10000);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (sum, "branches")), ==, 1);

  /* Reports need the hq token; a branch token is not one. */
  g_assert_cmpuint (mdn_test_http (s, "GET", "/api/v1/reports/summary?from=2026-11-01&to=2026-11-30",
                          g_hash_table_lookup (s->tokens, "B01"), NULL, 0, NULL), ==, 401);
  g_clear_pointer (&sum, json_object_unref);
  g_assert_cmpuint (mdn_test_http (s, "GET", "/api/v1/reports/summary?from=2026-11-31&to=2026-11-30",
                          s->hq_token, NULL, 0, &sum), ==, 400);

  path = g_strdup ("/metrics");
  g_assert_cmpuint (mdn_test_http (s, "GET", path, s->hq_token, NULL, 0, NULL), ==, 200);
  mdn_test_set_now ("");
  g_assert_cmpint (mdn_test_server_stop (s, SIGTERM), ==, 0);
}

static void
test_hq_master_data (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("server", AUTH_TTL);
  g_autoptr(MdnTestBranch) hq = mdn_test_server_branch_new (s, "HQ", 0, TRUE);
  g_autoptr(MdnTestBranch) b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  g_autoptr(MdnTestBranch) b2 = mdn_test_server_branch_new (s, "B02", 2, FALSE);
  g_autoptr(JsonObject) r = NULL;

  r = mdn_test_ok (hq->admin, "{\"op\":\"level.upsert\",\"code\":\"gold\",\"name\":\"Gold\",\"price_percent\":90,"
                              "\"points_per_yuan\":2,\"offline_limit\":\"200.00\"}");
  g_clear_pointer (&r, json_object_unref);
  /* A linked branch writing chain master data is refused, unless it asks
     for a branch override ("local": true), which stays at the branch. */
  mdn_test_fails (b1->admin, "hq_only", "{\"op\":\"level.upsert\",\"code\":\"local\",\"name\":\"Local\","
                  "\"price_percent\":80,\"points_per_yuan\":1}");
  g_assert_cmpint (mdn_test_count (b1, "SELECT count(*) FROM oplog WHERE op = 'level.upsert' AND detail = 'hq_only'"), ==, 1);
  r = mdn_test_ok (b1->admin, "{\"op\":\"level.upsert\",\"local\":true,\"code\":\"local\",\"name\":\"Local\",\"price_percent\":80,"
                              "\"points_per_yuan\":1}");
  mdn_test_sync_ok (hq);
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  mdn_test_sync_ok (b1);

  /* HQ's level reaches every branch; B01's own stays at B01. */
  g_assert_cmpint (mdn_test_count (b1, "SELECT offline_limit_fen FROM levels WHERE code = 'gold'"), ==, 20000);
  g_assert_cmpint (mdn_test_count (b2, "SELECT count(*) FROM levels WHERE code = 'gold'"), ==, 1);
  g_assert_cmpint (mdn_test_count (b1, "SELECT count(*) FROM levels WHERE code = 'local'"), ==, 1);
  g_assert_cmpint (mdn_test_count (b2, "SELECT count(*) FROM levels WHERE code = 'local'"), ==, 0);
  if (!mdn_test_backend_pg ())   /* the PostgreSQL store projects no master data */
    g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM levels WHERE code = 'local'"), ==, 0);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM entries WHERE kind = 'level.upsert'"), ==, 5);
  g_assert_cmpuint (mdn_test_verify (b1), ==, 0);
  g_assert_cmpuint (mdn_test_verify (b2), ==, 0);
  g_assert_cmpuint (mdn_test_verify (hq), ==, 0);
}

static void
set_string (JsonObject *o, const char *name, const char *value)
{
  json_object_set_string_member (o, name, value);
}

static void
tamper_body (JsonObject *o, gint64 seq)
{
  /* Changes a fact and re-hashes it: a well-formed entry that conflicts. */
  g_autoptr(GError) error = NULL;
  g_autoptr(MdnEntry) e = NULL;
  g_autofree char *hash = NULL;

  json_object_set_string_member (json_object_get_object_member (o, "body"), "name", "Forged");
  e = mdn_entry_from_json (o, &error);
  g_assert_no_error (error);
  hash = mdn_entry_compute_hash (e);
  set_string (o, "hash", hash);
}

static void
tamper_hash_only (JsonObject *o, gint64 seq)
{
  json_object_set_string_member (json_object_get_object_member (o, "body"), "name", "Forged");
}

static void
tamper_prev (JsonObject *o, gint64 seq)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MdnEntry) e = NULL;
  g_autofree char *hash = NULL;

  set_string (o, "prev_hash", MDN_GENESIS_HASH);
  e = mdn_entry_from_json (o, &error);
  hash = mdn_entry_compute_hash (e);
  set_string (o, "hash", hash);
}

static void
tamper_kind (JsonObject *o, gint64 seq)
{
  set_string (o, "kind", "member.steal");
}

static void
tamper_type (JsonObject *o, gint64 seq)
{
  json_object_set_string_member (o, "seq", "two");
}

static void
assert_refused (MdnTestServer *s,
                const char    *token,
                const char    *body,
                guint          status,
                const char    *code)
{
  g_autoptr(JsonObject) out = NULL;
  gint64 before = mdn_test_server_count (s, "SELECT count(*) FROM entries");

  g_assert_cmpuint (mdn_test_http (s, "POST", "/api/v1/sync/push", token, body, -1, &out), ==, status);
  g_assert_cmpstr (error_code (out), ==, code);
  g_assert_false (json_object_get_boolean_member (out, "ok"));
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM entries"), ==, before);
}

static void
test_refusals (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("server", "--max-body=65536");
  g_autoptr(MdnTestBranch) b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  g_autoptr(MdnTestBranch) b2 = mdn_test_server_branch_new (s, "B02", 2, FALSE);
  const char *t1 = g_hash_table_lookup (s->tokens, "B01");
  const char *t2 = g_hash_table_lookup (s->tokens, "B02");
  g_autofree char *card = issue_member (b1, "13800000001", "100.00");
  g_autofree char *first = batch_json (b1, 1, 2, NULL);
  g_autofree char *all = batch_json (b1, 1, 3, NULL);
  g_autofree char *second = batch_json (b1, 2, 2, NULL);
  g_autofree char *conflict = batch_json (b1, 2, 2, tamper_body);
  g_autofree char *bad_hash = batch_json (b1, 3, 3, tamper_hash_only);
  g_autofree char *broken = batch_json (b1, 3, 3, tamper_prev);
  g_autofree char *unknown_kind = batch_json (b1, 3, 3, tamper_kind);
  g_autofree char *wrong_type = batch_json (b1, 3, 3, tamper_type);
  g_autofree char *oversize = NULL;
  g_autoptr(JsonObject) out = NULL;

  /* Unknown and revoked tokens: 401, nothing stored. */
  assert_refused (s, "0000000000000000000000000000000000000000000000000000000000000000", all, 401, "unauthorized");
  assert_refused (s, NULL, all, 401, "unauthorized");

  /* A token of B02 pushing B01's entries. */
  assert_refused (s, t2, all, 403, "wrong_branch");

  /* Malformed, wrong types, unknown kinds, oversize: 400/413. */
  assert_refused (s, t1, "{\"entries\": [", 400, "invalid_json");
  assert_refused (s, t1, "[1, 2]", 400, "invalid_json");
  assert_refused (s, t1, "{\"entries\": 5}", 400, "invalid_request");
  assert_refused (s, t1, "{\"entries\": [5]}", 400, "invalid_request");
  assert_refused (s, t1, unknown_kind, 400, "invalid_entry");
  assert_refused (s, t1, wrong_type, 400, "invalid_entry");
  oversize = g_strnfill (70000, ' ');
  assert_refused (s, t1, oversize, 413, "too_large");

  /* The first two, then a gap, a changed entry, a bad hash, a broken chain. */
  g_assert_cmpuint (mdn_test_http (s, "POST", "/api/v1/sync/push", t1, first, -1, &out), ==, 200);
  g_assert_cmpint (json_object_get_int_member (out, "acked_seq"), ==, 2);
  g_clear_pointer (&out, json_object_unref);
  g_assert_cmpuint (mdn_test_http (s, "POST", "/api/v1/sync/push", t1, second, -1, &out), ==, 200);
  g_assert_cmpint (json_object_get_int_member (out, "duplicates"), ==, 1);
  g_clear_pointer (&out, json_object_unref);

  assert_refused (s, t1, conflict, 409, "conflicting_entry");
  assert_refused (s, t1, bad_hash, 400, "bad_hash");
  assert_refused (s, t1, broken, 409, "broken_chain");
  {
    /* Seq 4 alone: the server expects 3. */
    g_autoptr(JsonObject) r = mdn_test_ok (b1->admin, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"1.00\"}", card);
    g_autofree char *later = batch_json (b1, 4, 4, NULL);

    g_assert_cmpuint (mdn_test_http (s, "POST", "/api/v1/sync/push", t1, later, -1, &out), ==, 409);
    g_assert_cmpstr (error_code (out), ==, "sequence_gap");
    g_assert_cmpint (json_object_get_int_member (out, "expected_seq"), ==, 3);
    g_clear_pointer (&out, json_object_unref);
  }

  /* Revoked: 401 from then on; rotated: the new token works. */
  g_free (mdn_test_server_cmd (s, "branch", "revoke", "--code", "B01", NULL));
  assert_refused (s, t1, all, 401, "unauthorized");
  {
    g_autofree char *rotated = mdn_test_server_cmd (s, "branch", "rotate", "--code", "B01", NULL);

    g_hash_table_insert (s->tokens, g_strdup ("B01"), mdn_test_token_of (rotated));
  }
  mdn_test_server_link (s, b1);

  /* The server kept serving through all of it. */
  mdn_test_sync_ok (b1);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM entries"), ==, branch_entries (b1));
  g_assert_cmpint (mdn_test_server_count (s, "SELECT acked_seq FROM srv_branches WHERE code = 'B01'"), ==, 4);
  (void) b2;
}

typedef struct
{
  MdnTestServer *s;
  const char    *token;
  const char    *body;
  guint          status;
} PushJob;

static gpointer
push_thread (gpointer data)
{
  PushJob *job = data;

  job->status = mdn_test_http (job->s, "POST", "/api/v1/sync/push", job->token, job->body, -1, NULL);
  return NULL;
}

static void
test_duplicate_batches (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("server", AUTH_TTL);
  g_autoptr(MdnTestBranch) b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  const char *t1 = g_hash_table_lookup (s->tokens, "B01");
  g_autofree char *body = NULL;
  PushJob jobs[4];
  GThread *threads[4];
  gint64 n;

  for (int i = 0; i < 20; i++)
    {
      g_autofree char *phone = g_strdup_printf ("1390000%04d", i);
      g_autofree char *card = issue_member (b1, phone, "10.00");
    }
  n = branch_entries (b1);
  body = batch_json (b1, 1, n, NULL);

  /* The same batch twice in a row... */
  g_assert_cmpuint (mdn_test_http (s, "POST", "/api/v1/sync/push", t1, body, -1, NULL), ==, 200);
  g_assert_cmpuint (mdn_test_http (s, "POST", "/api/v1/sync/push", t1, body, -1, NULL), ==, 200);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM entries"), ==, n);

  /* ...and four times at once, on top of new entries. */
  {
    g_autofree char *card = issue_member (b1, "13911111111", "5.00");
    g_autofree char *more = batch_json (b1, 1, branch_entries (b1), NULL);

    for (int i = 0; i < 4; i++)
      {
        jobs[i] = (PushJob) { s, t1, more, 0 };
        threads[i] = g_thread_new ("push", push_thread, &jobs[i]);
      }
    for (int i = 0; i < 4; i++)
      {
        g_thread_join (threads[i]);
        g_assert_cmpuint (jobs[i].status, ==, 200);
      }
  }
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM entries"), ==, branch_entries (b1));
  g_assert_cmpint (mdn_test_server_count (s, "SELECT SUM (principal_fen) FROM members"), ==, 20500);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT SUM (deposit_principal_fen) FROM srv_rollup_day"), ==, 20500);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_feed"), ==, 42);
}

/* SIGKILL the server while a branch pushes, restart it on the same
 * database: nothing acknowledged is lost, nothing doubled. */
static void
test_server_killed (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("server", AUTH_TTL);
  g_autoptr(MdnTestBranch) b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  g_autoptr(GSubprocess) cli = NULL;
  g_autofree char *card = issue_member (b1, "13800000001", "1000.00");
  MdnSyncResult r;
  gint64 held;

  /* Many small entries, pushed by the CLI in batches of 500. */
  for (int i = 0; i < 1500; i++)
    {
      g_autoptr(JsonObject) o = mdn_test_ok (b1->admin, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"0.01\"}", card);
    }
  cli = mdn_test_cli_spawn (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                            b1->path, "sync", NULL);
  g_usleep (150 * 1000);
  g_assert_cmpint (mdn_test_server_stop (s, SIGKILL), ==, -SIGKILL);
  g_subprocess_wait (cli, NULL, NULL);

  held = mdn_test_server_count (s, "SELECT count(*) FROM entries");
  g_test_message ("server held %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " entries when killed",
                  held, branch_entries (b1));
  /* Whole batches only: a batch is one transaction. */
  g_assert_cmpint (held, ==, mdn_test_server_count (s, "SELECT acked_seq FROM srv_branches WHERE code = 'B01'"));

  mdn_test_server_start (s, AUTH_TTL);
  mdn_test_server_link (s, b1);
  r = mdn_test_sync_ok (b1);
  g_assert_cmpint (r.acked_seq, ==, branch_entries (b1));
  g_assert_cmpint (r.pushed, ==, branch_entries (b1) - held);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM entries"), ==, branch_entries (b1));
  g_assert_cmpint (mdn_test_server_count (s, "SELECT SUM (principal_fen) FROM members"), ==, 100000 + 1500);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT SUM (deposit_principal_fen) FROM srv_rollup_day"), ==, 100000 + 1500);
  g_assert_cmpuint (mdn_test_verify (b1), ==, 0);
}

/* The branch process killed mid-sync: the next sync finishes the job. */
static void
test_branch_killed (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("server", AUTH_TTL);
  g_autoptr(MdnTestBranch) b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  g_autoptr(MdnTestBranch) b2 = mdn_test_server_branch_new (s, "B02", 2, FALSE);
  g_autoptr(GSubprocess) cli = NULL;
  g_autofree char *card = issue_member (b1, "13800000001", "10.00");
  MdnSyncResult r;

  for (int i = 0; i < 1200; i++)
    {
      g_autoptr(JsonObject) o = mdn_test_ok (b1->admin, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"0.01\"}", card);
    }
  mdn_test_sync_ok (b1);
  /* B02 pulls 1202 entries in pages; kill it part way. */
  cli = mdn_test_cli_spawn (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                            b2->path, "sync", NULL);
  g_usleep (120 * 1000);
  g_subprocess_force_exit (cli);
  g_subprocess_wait (cli, NULL, NULL);

  r = mdn_test_sync_ok (b2);
  g_test_message ("after the kill, the second sync pulled %" G_GINT64_FORMAT, r.pulled);
  g_assert_cmpint (mdn_test_count (b2, "SELECT count(*) FROM entries WHERE branch = 'B01'"), ==, 1202);
  g_assert_cmpint (balance (b2, card), ==, 1000 + 1200);
  g_assert_cmpuint (mdn_test_verify (b2), ==, 0);
}

static void
test_restored_backup (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("server", AUTH_TTL);
  g_autoptr(MdnTestBranch) b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  g_autoptr(GError) error = NULL;
  g_autofree char *backup = g_build_filename (b1->dir, "old.db", NULL);
  g_autofree char *card = issue_member (b1, "13800000001", "10.00");
  g_autoptr(MdnStore) old = NULL;
  g_autoptr(JsonObject) r = NULL;
  MdnSyncResult res;

  g_assert_true (mdn_db_backup (b1->store->db, backup, &error));
  r = mdn_test_ok (b1->admin, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"5.00\"}", card);
  mdn_test_sync_ok (b1);

  old = mdn_store_open (backup, &error);
  g_assert_no_error (error);
  g_assert_false (mdn_sync_run (old, &res, NULL, &error));
  g_assert_error (error, MDN_ERROR, MDN_ERROR_HISTORY_BEHIND);
  g_clear_error (&error);

  /* A forked history (a new sale on the old copy) is refused too, and the
   * server keeps its own. */
  g_clear_pointer (&r, json_object_unref);
  {
    g_autoptr(MdnOpCtx) ctx = mdn_op_ctx_new (old, "admin", MDN_TEST_PASSWORD, &error);

    g_assert_no_error (error);
    r = mdn_test_ok (ctx, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"7.00\"}", card);
  }
  g_assert_false (mdn_sync_run (old, &res, NULL, &error));
  g_assert_error (error, MDN_ERROR, MDN_ERROR_HISTORY_BEHIND);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT SUM (principal_fen) FROM members"), ==, 1500);
}

static guint
authorize (MdnTestServer *s,
           const char    *token,
           const char    *member_id,
           const char    *auth_id,
           gint64         amount,
           JsonObject   **out)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/members/%s/authorize", member_id);
  g_autofree char *body = g_strdup_printf ("{\"auth_id\":\"%s\",\"amount_fen\":%" G_GINT64_FORMAT ",\"kind\":\"balance\"}",
                                           auth_id, amount);

  return mdn_test_http (s, "POST", path, token, body, -1, out);
}

static void
test_authorize (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("server", AUTH_TTL);
  g_autoptr(MdnTestBranch) b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  g_autoptr(MdnTestBranch) b2 = mdn_test_server_branch_new (s, "B02", 2, FALSE);
  const char *t2 = g_hash_table_lookup (s->tokens, "B02");
  g_autoptr(JsonObject) r = mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"M\",\"phone\":\"13800000001\",\"deposit\":\"100.00\"}");
  g_autofree char *member = g_strdup (mdn_test_str (r, "member_id"));
  g_autoptr(JsonObject) out = NULL;

  mdn_test_sync_ok (b1);
  g_assert_cmpuint (authorize (s, t2, member, "a1", 6000, &out), ==, 200);
  g_assert_true (json_object_get_boolean_member (out, "granted"));
  g_clear_pointer (&out, json_object_unref);
  /* Same auth_id again: the same answer, nothing more held. */
  g_assert_cmpuint (authorize (s, t2, member, "a1", 6000, &out), ==, 200);
  g_assert_true (json_object_get_boolean_member (out, "duplicate"));
  g_clear_pointer (&out, json_object_unref);
  /* 60 held of 100: another 50 is refused, 40 is granted. */
  g_assert_cmpuint (authorize (s, t2, member, "a2", 5000, &out), ==, 409);
  g_assert_cmpstr (error_code (out), ==, "insufficient_balance");
  g_clear_pointer (&out, json_object_unref);
  g_assert_cmpuint (authorize (s, t2, member, "a3", 4000, &out), ==, 200);
  g_clear_pointer (&out, json_object_unref);
  /* The same auth_id for something else is refused; bad input is 400. */
  g_assert_cmpuint (authorize (s, t2, member, "a1", 10, &out), ==, 409);
  g_clear_pointer (&out, json_object_unref);
  g_assert_cmpuint (mdn_test_http (s, "POST", "/api/v1/members/x/authorize", t2, "{\"auth_id\":\"z\",\"amount_fen\":\"1\",\"kind\":\"balance\"}",
                          -1, &out), ==, 400);
  g_clear_pointer (&out, json_object_unref);
  g_assert_cmpuint (mdn_test_http (s, "POST", "/api/v1/members/x/authorize", t2, "{\"auth_id\":\"z\",\"amount_fen\":1,\"kind\":\"gold\"}",
                          -1, &out), ==, 400);
  g_clear_pointer (&out, json_object_unref);
  g_assert_cmpuint (authorize (s, t2, "no-such-member", "a9", 1, &out), ==, 404);
  g_clear_pointer (&out, json_object_unref);
  g_assert_cmpuint (authorize (s, "bad-token", member, "a8", 1, &out), ==, 401);
}

/* Both branches synced, then offline: each sees the card's 100 and pays
 * out 80; B01, B02, B01 sync, so the server merges the overdraft (B02's). */
static void
overdraw (MdnTestBranch *b1,
          MdnTestBranch *b2,
          const char    *card)
{
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount\":\"80.00\"}", card));
  json_object_unref (mdn_test_ok (b2->admin, "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount\":\"80.00\"}", card));
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  mdn_test_sync_ok (b1);
}

/* Two branches spend the same balance offline; the server finds the
 * overdraft after merging, opens an exception and puts the card on hold
 * at every branch until a deposit settles it. */
static void
test_offline_overdraft (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("server", AUTH_TTL);
  g_autoptr(MdnTestBranch) b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  g_autoptr(MdnTestBranch) b2 = mdn_test_server_branch_new (s, "B02", 2, FALSE);
  g_autoptr(JsonObject) r = mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"M\",\"phone\":\"13800000001\",\"deposit\":\"100.00\"}");
  g_autofree char *member = g_strdup (mdn_test_str (r, "member_id"));
  g_autofree char *card = g_strdup (mdn_test_str (r, "card_no"));
  g_autoptr(JsonObject) out = NULL;
  JsonArray *list;

  overdraw (b1, b2, card);

  g_assert_cmpuint (mdn_test_http (s, "GET", "/api/v1/exceptions", s->hq_token, NULL, 0, &out), ==, 200);
  list = json_object_get_array_member (out, "exceptions");
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 0), "status"), ==, "open");
  g_assert_cmpint (json_object_get_int_member (json_array_get_object_element (list, 0), "amount"), ==, 6000);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (list, 0), "branch"), ==, "B02");
  g_assert_true (mdn_sync_member_on_hold (b1->store, member));
  g_assert_true (mdn_sync_member_on_hold (b2->store, member));
  g_assert_cmpint (balance (b1, card), ==, -6000);

  /* A deposit that clears it settles the exception; the hold goes. */
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b1->admin, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"60.00\"}", card);
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  g_assert_false (mdn_sync_member_on_hold (b1->store, member));
  g_assert_false (mdn_sync_member_on_hold (b2->store, member));
  g_clear_pointer (&out, json_object_unref);
  g_assert_cmpuint (mdn_test_http (s, "GET", "/api/v1/exceptions?status=open", s->hq_token, NULL, 0, &out), ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (out, "exceptions")), ==, 0);
  g_assert_cmpuint (mdn_test_verify (b1), ==, 0);
  g_assert_cmpuint (mdn_test_verify (b2), ==, 0);
}

/* The seq tamper_one changes (a test's own, set before batch_json). */
static gint64 tamper_seq;

static void
tamper_one (JsonObject *o, gint64 seq)
{
  if (seq == tamper_seq)
    json_object_set_string_member (json_object_get_object_member (o, "body"), "note", "Forged");
}

/* One push whose later entries read what its earlier ones changed (the
 * SQLite store holds a member's balance and deposits UPDATEs after their
 * first in a push: docs/speed.md): B01 takes the card from 100 to 20; B02,
 * offline, deposits 10 and 10, withdraws 80, deposits 10, 30, 5 and 5, and
 * pushes it all at once. The withdrawal sees 40 (both deposits), so the
 * overdraft opened is 40, not 50; the next deposit makes it 30, the one
 * after settles it; the server holds 10. A push refused at its last entry
 * leaves nothing of its deposits. */
static void
test_push_reads_held (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("server", AUTH_TTL);
  g_autoptr(MdnTestBranch) b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  g_autoptr(MdnTestBranch) b2 = mdn_test_server_branch_new (s, "B02", 2, FALSE);
  const char *t2 = g_hash_table_lookup (s->tokens, "B02");
  g_autoptr(JsonObject) r = mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"M\",\"phone\":\"13800000001\",\"deposit\":\"100.00\"}");
  g_autofree char *member = g_strdup (mdn_test_str (r, "member_id"));
  g_autofree char *card = g_strdup (mdn_test_str (r, "card_no"));
  const char *const b2_ops[] = { "deposit\",\"amount\":\"10.00", "deposit\",\"amount\":\"10.00",
                                 "withdraw\",\"amount\":\"80.00", "deposit\",\"amount\":\"10.00",
                                 "deposit\",\"amount\":\"30.00", "deposit\",\"amount\":\"5.00",
                                 "deposit\",\"amount\":\"5.00" };
  g_autoptr(JsonObject) out = NULL;
  g_autofree char *before = NULL, *after = NULL, *refused = NULL;
  JsonObject *x;
  gint64 last;

  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount\":\"80.00\"}", card));
  for (guint i = 0; i < G_N_ELEMENTS (b2_ops); i++)
    json_object_unref (mdn_test_ok (b2->admin, "{\"op\":\"member.%s\",\"card\":\"%s\"}", b2_ops[i], card));
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);

  g_assert_cmpuint (mdn_test_http (s, "GET", "/api/v1/exceptions", s->hq_token, NULL, 0, &out), ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (out, "exceptions")), ==, 1);
  x = json_array_get_object_element (json_object_get_array_member (out, "exceptions"), 0);
  g_assert_cmpstr (json_object_get_string_member (x, "status"), !=, "open");
  g_assert_cmpint (json_object_get_int_member (x, "amount"), ==, 3000);
  g_assert_cmpstr (json_object_get_string_member (x, "branch"), ==, "B02");
  g_clear_pointer (&out, json_object_unref);
  mdn_test_sync_ok (b1);
  g_assert_cmpint (balance (b1, card), ==, 1000);
  g_assert_cmpint (balance (b2, card), ==, 1000);
  g_assert_false (mdn_sync_member_on_hold (b1->store, member));
  g_assert_cmpuint (mdn_test_verify (b1), ==, 0);
  g_assert_cmpuint (mdn_test_verify (b2), ==, 0);

  /* Three deposits in a push refused at the third: nothing changes. */
  last = branch_entries (b2);
  for (int i = 0; i < 3; i++)
    json_object_unref (mdn_test_ok (b2->admin, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"7.00\"}", card));
  tamper_seq = last + 3;
  refused = batch_json (b2, last + 1, last + 3, tamper_one);
  before = mdn_test_server_digest (s);
  g_assert_cmpuint (mdn_test_http (s, "POST", "/api/v1/sync/push", t2, refused, -1, &out), ==, 400);
  g_assert_cmpstr (error_code (out), ==, "bad_hash");
  g_clear_pointer (&out, json_object_unref);
  after = mdn_test_server_digest (s);
  g_assert_cmpstr (after, ==, before);
  mdn_test_sync_ok (b2);

  /* The server's balance, committed: 10 + 21 = 31.00. */
  g_assert_cmpuint (authorize (s, t2, member, "h1", 3101, &out), ==, 409);
  g_assert_cmpstr (error_code (out), ==, "insufficient_balance");
  g_clear_pointer (&out, json_object_unref);
  g_assert_cmpuint (authorize (s, t2, member, "h2", 3100, &out), ==, 200);
  g_assert_true (json_object_get_boolean_member (out, "granted"));
}

/* The same overdraft, settled by head office writing it off: only the HQ
 * terminal may (a branch gets hq_only), a manager or admin, with a reason;
 * the entry brings principal and bonus back to zero, the server settles the
 * exception (settled_by_kind exception.write_off), the hold is lifted at
 * both branches and the summary reports written_off_fen. */
static void
test_write_off (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("server", AUTH_TTL);
  g_autoptr(MdnTestBranch) hq = mdn_test_server_branch_new (s, "HQ", 0, TRUE);
  g_autoptr(MdnTestBranch) b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  g_autoptr(MdnTestBranch) b2 = mdn_test_server_branch_new (s, "B02", 2, FALSE);
  g_autoptr(JsonObject) r = mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"M\",\"phone\":\"13800000001\",\"deposit\":\"100.00\"}");
  g_autofree char *member = g_strdup (mdn_test_str (r, "member_id"));
  g_autofree char *card = g_strdup (mdn_test_str (r, "card_no"));
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) out = NULL;
  JsonObject *x, *chain;

  overdraw (b1, b2, card);
  mdn_test_sync_ok (hq);
  g_assert_true (mdn_sync_member_on_hold (b1->store, member));
  g_assert_true (mdn_sync_member_on_hold (b2->store, member));
  g_assert_true (mdn_sync_member_on_hold (hq->store, member));
  g_assert_cmpint (balance (hq, card), ==, -6000);

  /* Not at a branch, not without a reason, not on stale figures, not by a cashier. */
  mdn_test_fails (b1->admin, "hq_only",
                "{\"op\":\"exception.write_off\",\"card\":\"%s\",\"reason\":\"x\"}", card);
  mdn_test_fails (hq->admin, "invalid_argument", "{\"op\":\"exception.write_off\",\"card\":\"%s\"}", card);
  mdn_test_fails (hq->admin, "invalid_argument",
                "{\"op\":\"exception.write_off\",\"card\":\"%s\",\"reason\":\"  \"}", card);
  mdn_test_fails (hq->admin, "invalid_argument",
                "{\"op\":\"exception.write_off\",\"card\":\"%s\",\"reason\":\"x\",\"amount\":\"50.00\"}", card);
  g_clear_pointer (&r, json_object_unref);
  {
    g_autoptr(MdnOpCtx) cashier = mdn_test_staff (hq, "c1", "cashier");

    mdn_test_fails (cashier, "permission_denied",
                    "{\"op\":\"exception.write_off\",\"card\":\"%s\",\"reason\":\"x\"}", card);
  }
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (hq->admin, "{\"op\":\"exception.write_off\",\"card\":\"%s\",\"amount\":\"60.00\","
                   "\"reason\":\"两店离线重复取款，总部核销\"}", card);
  g_assert_cmpint (mdn_test_int (r, "written_off_fen"), ==, 6000);
  g_assert_cmpint (balance (hq, card), ==, 0);
  /* Nothing left to write off. */
  mdn_test_fails (hq->admin, "invalid_argument",
                "{\"op\":\"exception.write_off\",\"card\":\"%s\",\"reason\":\"again\"}", card);
  mdn_test_sync_ok (hq);
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  g_assert_false (mdn_sync_member_on_hold (b1->store, member));
  g_assert_false (mdn_sync_member_on_hold (b2->store, member));
  g_assert_false (mdn_sync_member_on_hold (hq->store, member));
  g_assert_cmpint (balance (b1, card), ==, 0);
  g_assert_cmpint (balance (b2, card), ==, 0);

  g_assert_cmpuint (mdn_test_http (s, "GET", "/api/v1/exceptions", s->hq_token, NULL, 0, &out), ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (out, "exceptions")), ==, 1);
  x = json_array_get_object_element (json_object_get_array_member (out, "exceptions"), 0);
  g_assert_cmpstr (json_object_get_string_member (x, "status"), ==, "settled");
  g_assert_cmpstr (json_object_get_string_member (x, "settled_by_kind"), ==, "exception.write_off");

  path = g_strdup ("/api/v1/reports/summary?from=2000-01-01&to=2099-12-31");
  g_clear_pointer (&out, json_object_unref);
  g_assert_cmpuint (mdn_test_http (s, "GET", path, s->hq_token, NULL, 0, &out), ==, 200);
  chain = json_object_get_object_member (out, "chain");
  g_assert_cmpint (json_object_get_int_member (chain, "written_off_fen"), ==, 6000);
  g_assert_cmpint (json_object_get_int_member (chain, "withdraw_fen"), ==, 16000);
  /* 100 in, 160 out, 60 written off: nothing owed either way. */
  g_assert_cmpint (json_object_get_int_member (chain, "liability_fen"), ==, 0);

  g_assert_cmpuint (mdn_test_verify (hq), ==, 0);
  g_assert_cmpuint (mdn_test_verify (b1), ==, 0);
  g_assert_cmpuint (mdn_test_verify (b2), ==, 0);
}

/* sync --watch at B02 sees B01's top-up through the WebSocket, without
 * waiting for its 60 s interval. The watcher prints a line per sync: the
 * first at start, the second when the server's greeting on the WebSocket
 * arrives, so after two lines its WebSocket is registered at the server
 * and B01's push must reach it; no real time is assumed. */
static void
test_watch (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("server", AUTH_TTL);
  g_autoptr(MdnTestBranch) b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  g_autoptr(MdnTestBranch) b2 = mdn_test_server_branch_new (s, "B02", 2, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) watch = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autofree char *card = issue_member (b1, "13800000001", "10.00");
  gint64 seen = 0;

  watch = mdn_test_cli_spawn (G_SUBPROCESS_FLAGS_STDOUT_PIPE, b2->path, "sync", "--watch",
                              "--interval", "60", NULL);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (watch));
  for (int i = 0; i < 2; i++)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (line);
      g_assert_true (g_str_has_prefix (line, "{\"ok\":true"));
    }
  g_assert_cmpint (mdn_test_count (b2, "SELECT count(*) FROM members"), ==, 0);
  mdn_test_sync_ok (b1);
  /* Each notice makes one sync and one line; the one that pulls B01's
     member comes within a few (a notice of B01's own push, say). */
  for (int i = 0; i < 20 && seen == 0; i++)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (line);
      seen = mdn_test_count (b2, "SELECT count(*) FROM members");
    }
  g_assert_cmpint (seen, ==, 1);
  g_subprocess_send_signal (watch, SIGTERM);
  g_subprocess_wait (watch, NULL, &error);
  g_assert_true (g_subprocess_get_if_exited (watch));
  g_assert_cmpint (g_subprocess_get_exit_status (watch), ==, 0);
  g_assert_cmpint (mdn_test_server_stop (s, SIGTERM), ==, 0);
}

/* mendian-server branch list / revoke: the command line's JSON. */
static void
test_branch_list (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_init ("branch-list");
  g_autofree char *out = NULL, *revoked = NULL, *after = NULL;
  g_autoptr(JsonObject) list = NULL, gone = NULL, again = NULL;
  JsonArray *branches;
  JsonObject *b;

  mdn_test_server_add_branch (s, "B02", 2, FALSE);
  mdn_test_server_add_branch (s, "B01", 1, FALSE);
  out = mdn_test_server_cmd (s, "branch", "list", NULL);
  list = mdn_json_parse_object (out, NULL);
  g_assert_nonnull (list);
  branches = json_object_get_array_member (list, "branches");
  g_assert_cmpuint (json_array_get_length (branches), ==, 2);
  b = json_array_get_object_element (branches, 0);
  g_assert_cmpstr (json_object_get_string_member (b, "code"), ==, "B01");
  g_assert_cmpstr (json_object_get_string_member (b, "name"), ==, "B01");
  g_assert_cmpint (json_object_get_int_member (b, "number"), ==, 1);
  g_assert_false (json_object_get_boolean_member (b, "hq"));
  g_assert_false (json_object_get_boolean_member (b, "revoked"));
  g_assert_cmpint (json_object_get_int_member (b, "acked_seq"), ==, 0);
  g_assert_true (json_object_get_null_member (b, "last_push_at"));

  revoked = mdn_test_server_cmd (s, "branch", "revoke", "--code", "B02", NULL);
  gone = mdn_json_parse_object (revoked, NULL);
  g_assert_nonnull (gone);
  g_assert_true (json_object_get_boolean_member (gone, "ok"));
  g_assert_cmpstr (json_object_get_string_member (gone, "revoked"), ==, "B02");
  after = mdn_test_server_cmd (s, "branch", "list", NULL);
  again = mdn_json_parse_object (after, NULL);
  b = json_array_get_object_element (json_object_get_array_member (again, "branches"), 1);
  g_assert_cmpstr (json_object_get_string_member (b, "code"), ==, "B02");
  g_assert_true (json_object_get_boolean_member (b, "revoked"));
}

/* backup --to while the server serves: a copy that opens as the server
 * database, with every branch and its acknowledged entries; on PostgreSQL
 * the command says to use PostgreSQL's own backup. */
static void
test_backup (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("backup", AUTH_TTL);
  g_autoptr(MdnTestBranch) b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  g_autofree char *card = issue_member (b1, "13800000001", "100.00");
  g_autofree char *to = g_build_filename (s->dir, "copy.db", NULL);
  g_autofree char *out = NULL, *list = NULL;
  g_autoptr(JsonObject) done = NULL, branches = NULL;
  MdnSyncResult r = mdn_test_sync_ok (b1);

  if (mdn_test_backend_pg ())
    {
      g_autoptr(GSubprocess) p = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *err = NULL;

      p = mdn_test_spawn (G_SUBPROCESS_FLAGS_STDERR_PIPE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
                          mdn_test_server_binary (), "--db", s->db, "backup", "--to", to, NULL);
      g_assert_no_error (error);
      g_assert_true (g_subprocess_communicate_utf8 (p, NULL, NULL, NULL, &err, &error));
      g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 2);
      g_assert_nonnull (strstr (err, "pg_dump"));
      g_assert_false (g_file_test (to, G_FILE_TEST_EXISTS));
      return;
    }
  out = mdn_test_server_cmd (s, "backup", "--to", to, NULL);
  done = mdn_json_parse_object (out, NULL);
  g_assert_nonnull (done);
  g_assert_cmpstr (json_object_get_string_member (done, "server"), ==, to);
  g_assert_true (json_object_get_null_member (done, "console_hq"));
  {
    const char *argv[] = { mdn_test_server_binary (), "--db", to, "branch", "list", NULL };
    JsonObject *b;

    list = mdn_test_run_ok (argv);
    branches = mdn_json_parse_object (list, NULL);
    g_assert_nonnull (branches);
    b = json_array_get_object_element (json_object_get_array_member (branches, "branches"), 0);
    g_assert_cmpstr (json_object_get_string_member (b, "code"), ==, "B01");
    g_assert_cmpint (json_object_get_int_member (b, "acked_seq"), ==, r.acked_seq);
  }
  /* never over an earlier copy */
  {
    g_autoptr(GSubprocess) p = NULL;
    g_autoptr(GError) error = NULL;

    p = mdn_test_spawn (G_SUBPROCESS_FLAGS_STDERR_SILENCE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
                        mdn_test_server_binary (), "--db", s->db, "backup", "--to", to, NULL);
    g_assert_no_error (error);
    g_assert_true (g_subprocess_wait (p, NULL, &error));
    g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 2);
  }
  g_unlink (to);
}

/* The server's database put back from a backup while the branches went on:
 * B01's later deposit is pushed again (the server's acked_seq is behind),
 * and a member issued at B02 after the restore, whose feed position may be
 * one B01 had passed already, still reaches B01: the restore gave the feed
 * a new epoch and B01 pulls it again from 0. On PostgreSQL (restored by
 * PostgreSQL's own tools) only the marking is tested: a branch pulls the
 * feed again after `restored`, and nothing is applied twice. */
static void
test_restore (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("restore", AUTH_TTL);
  g_autoptr(MdnTestBranch) b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  g_autoptr(MdnTestBranch) b2 = mdn_test_server_branch_new (s, "B02", 2, FALSE);
  g_autofree char *card = issue_member (b1, "13800000001", "100.00");
  g_autofree char *to = g_build_filename (s->dir, "copy.db", NULL);
  g_autofree char *out = NULL, *epoch_before = NULL, *epoch_after = NULL, *card2 = NULL;
  g_autoptr(JsonObject) deposit = NULL, done = NULL;
  MdnSyncResult r;

  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  epoch_before = mdn_db_meta_dup (b1->store->db, "sync_feed_epoch");
  g_assert_nonnull (epoch_before);
  g_assert_cmpuint (strlen (epoch_before), ==, 32);

  if (mdn_test_backend_pg ())
    {
      gint64 entries = mdn_test_count (b1, "SELECT count(*) FROM entries");

      out = mdn_test_server_cmd (s, "restored", NULL);
      done = mdn_json_parse_object (out, NULL);
      g_assert_nonnull (done);
      g_assert_cmpstr (json_object_get_string_member (done, "feed_epoch"), !=, epoch_before);
      r = mdn_test_sync_ok (b1);
      g_assert_cmpint (r.pulled, ==, 0);   /* all of it known: skipped */
      epoch_after = mdn_db_meta_dup (b1->store->db, "sync_feed_epoch");
      g_assert_cmpstr (epoch_after, ==, json_object_get_string_member (done, "feed_epoch"));
      g_assert_cmpint (mdn_test_count (b1, "SELECT count(*) FROM entries"), ==, entries);
      g_assert_cmpuint (mdn_test_verify (b1), ==, 0);
      return;
    }

  out = mdn_test_server_cmd (s, "backup", "--to", to, NULL);
  g_clear_pointer (&out, g_free);
  /* after the backup: a deposit at B01, pulled by B02 */
  deposit = mdn_test_ok (b1->admin, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"5.00\"}", card);
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  r = mdn_test_sync_ok (b1);   /* B01's feed position past its deposit */
  g_assert_cmpint (r.feed_position, ==, mdn_test_server_count (s, "SELECT max (pos) FROM srv_feed"));
  g_assert_cmpint (balance (b2, card), ==, 10500);

  g_assert_cmpint (mdn_test_server_stop (s, SIGTERM), ==, 0);
  out = mdn_test_server_cmd (s, "restore", "--from", to, NULL);
  done = mdn_json_parse_object (out, NULL);
  g_assert_nonnull (done);
  g_assert_cmpstr (json_object_get_string_member (done, "feed_epoch"), !=, epoch_before);
  g_assert_true (g_file_test (json_object_get_string_member (done, "replaced"), G_FILE_TEST_EXISTS));
  g_assert_cmpint (mdn_test_server_count (s, "SELECT acked_seq FROM srv_branches WHERE code = 'B01'"),
                   <, branch_entries (b1));
  mdn_test_server_start (s, AUTH_TTL);
  /* The same server to the branches (in a shop: the same address; here a
     new port, so the address is set as it was, not linked anew, which
     would start the feed from 0 by itself). */
  for (MdnTestBranch **b = (MdnTestBranch *[]) { b1, b2, NULL }; *b; b++)
    {
      g_autoptr(GError) error = NULL;

      g_assert_true (mdn_db_begin ((*b)->store->db, TRUE, &error));
      g_assert_true (mdn_db_meta_set ((*b)->store->db, "sync_url", s->url, &error));
      g_assert_true (mdn_db_commit ((*b)->store->db, &error));
      g_assert_no_error (error);
    }

  /* B02 first: a new member, at a feed position the old server gave out already */
  card2 = issue_member (b2, "13800000002", "20.00");
  mdn_test_sync_ok (b2);
  r = mdn_test_sync_ok (b1);
  g_assert_cmpint (r.acked_seq, ==, branch_entries (b1));   /* the deposit pushed again */
  g_assert_cmpint (balance (b1, card2), ==, 2000);
  epoch_after = mdn_db_meta_dup (b1->store->db, "sync_feed_epoch");
  g_assert_cmpstr (epoch_after, ==, json_object_get_string_member (done, "feed_epoch"));
  mdn_test_sync_ok (b2);
  g_assert_cmpint (balance (b2, card), ==, 10500);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_branches WHERE code = 'B01' "
                                             "AND acked_seq = (SELECT max (seq) FROM entries WHERE branch = 'B01')"), ==, 1);
  g_assert_cmpuint (mdn_test_verify (b1), ==, 0);
  g_assert_cmpuint (mdn_test_verify (b2), ==, 0);
  /* a file that is no server database changes nothing */
  {
    g_autofree char *bad = g_build_filename (s->dir, "not-a-db", NULL);
    g_autoptr(GSubprocess) p = NULL;
    g_autoptr(GError) error = NULL;

    g_assert_cmpint (mdn_test_server_stop (s, SIGTERM), ==, 0);
    g_assert_true (g_file_set_contents (bad, "hello", -1, NULL));
    p = mdn_test_spawn (G_SUBPROCESS_FLAGS_STDERR_SILENCE | G_SUBPROCESS_FLAGS_STDOUT_SILENCE, &error,
                        mdn_test_server_binary (), "--db", s->db, "restore", "--from", bad, NULL);
    g_assert_no_error (error);
    g_assert_true (g_subprocess_wait (p, NULL, &error));
    g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 2);
    g_assert_cmpint (mdn_test_server_count (s, "SELECT acked_seq FROM srv_branches WHERE code = 'B01'"),
                     ==, branch_entries (b1));
    g_unlink (bad);
  }
  g_unlink (to);
  g_unlink (json_object_get_string_member (done, "replaced"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  mdn_branch_init ();

  g_test_add_func ("/server/sync/cross-branch-summary", test_cross_branch);
  g_test_add_func ("/server/sync/hq-master-data", test_hq_master_data);
  g_test_add_func ("/server/push/refusals", test_refusals);
  g_test_add_func ("/server/push/duplicate-batches", test_duplicate_batches);
  g_test_add_func ("/server/fault/server-sigkill", test_server_killed);
  g_test_add_func ("/server/fault/branch-killed", test_branch_killed);
  g_test_add_func ("/server/sync/restored-backup", test_restored_backup);
  g_test_add_func ("/server/members/authorize", test_authorize);
  g_test_add_func ("/server/members/offline-overdraft", test_offline_overdraft);
  g_test_add_func ("/server/members/write-off", test_write_off);
  g_test_add_func ("/server/members/push-reads-held", test_push_reads_held);
  g_test_add_func ("/server/sync/watch", test_watch);
  g_test_add_func ("/server/admin/branch-list", test_branch_list);
  g_test_add_func ("/server/admin/backup", test_backup);
  g_test_add_func ("/server/admin/restore", test_restore);
  return g_test_run ();
}
