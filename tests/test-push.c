/* test-push.c: pushes to the real mendian-server: every kind of entry,
 * empty and zero-valued variants too, goes through unchanged; what no push
 * may do (fractions, deep nesting, a damaged row) doesn't stop the chain;
 * and a bounded fuzzer of re-hashed mutations of real pushes: the server
 * never crashes or answers 5xx, stores nothing of a refused batch, and
 * every branch still syncs and verifies. */
#include <signal.h>
#include <sqlite3.h>
#include <string.h>

#include "mdn-db.h"
#include "mdn-id.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-test-pg.h"
#include "mdn-test-push.h"

#define AUTH_TTL "--auth-ttl=600"

static const char *
error_code (JsonObject *o)
{
  g_assert_nonnull (o);
  g_assert_true (json_object_has_member (o, "error"));
  return json_object_get_string_member (json_object_get_object_member (o, "error"), "code");
}

/* The first column of @sql with @param bound to ?1, on @db; NULL if none. */
static char *
lookup (sqlite3    *db,
        const char *sql,
        const char *param)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  char *out = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, param, -1, SQLITE_TRANSIENT);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    out = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  return out;
}

static char *
server_text (MdnTestServer *s,
             const char    *sql,
             const char    *param)
{
  return mdn_test_server_value (s, sql, param);
}

static char *
branch_text (MdnTestBranch *b,
             const char    *sql,
             const char    *param)
{
  return lookup (mdn_db_handle (b->store->db), sql, param);
}

/* The HQ terminal's master data, and an overdraft it writes off. */
static void
hq_master_and_write_off (MdnTestServer *s,
                         MdnTestBranch *hq,
                         MdnTestBranch *b1,
                         MdnTestBranch *b2)
{
  g_autoptr(JsonObject) r = NULL;
  g_autofree char *card = NULL;

  json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"level.upsert\",\"code\":\"vip\",\"name\":\"VIP\","
                                             "\"price_percent\":80,\"points_per_yuan\":3}"));
  json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"deposit_rule.upsert\",\"min\":\"1000.00\",\"bonus\":\"0\"}"));
  json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"product.upsert\",\"sku\":\"HQ1\",\"name\":\"Chain tea\","
                                             "\"kind\":\"goods\",\"price\":\"0.00\"}"));
  json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"plan.upsert\",\"code\":\"HQT\",\"name\":\"Chain plan\","
                                             "\"unit_minutes\":15,\"unit_price\":\"5.00\"}"));
  r = mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"O\",\"phone\":\"13900000009\",\"deposit\":\"100.00\"}");
  card = g_strdup (mdn_test_str (r, "card_no"));
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount\":\"80.00\"}", card));
  json_object_unref (mdn_test_ok (b2->admin, "{\"op\":\"member.withdraw\",\"card\":\"%s\",\"amount\":\"80.00\"}", card));
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  mdn_test_sync_ok (hq);
  json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"exception.write_off\",\"card\":\"%s\",\"reason\":\"x\"}", card));
  mdn_test_sync_ok (hq);
}

/* Every entry of @b is at the server (and, when shared, at @other) with
 * the same hash and the same body text. */
static void
assert_round_trip (MdnTestServer *s,
                   MdnTestBranch *b,
                   MdnTestBranch *other)
{
  g_autoptr(GPtrArray) entries = mdn_test_own_entries (b, 1, -1);

  for (guint i = 0; i < entries->len; i++)
    {
      JsonObject *o = g_ptr_array_index (entries, i);
      const char *id = json_object_get_string_member (o, "id");
      g_autofree char *body = branch_text (b, "SELECT body FROM entries WHERE id = ?", id);
      g_autofree char *server_hash = NULL, *server_body = NULL;
      g_autofree char *fed = server_text (s, "SELECT pos FROM srv_feed WHERE entry_id = ?", id);

      if (mdn_test_backend_pg ())
        {
          /* PostgreSQL keeps the hash in entry_keys and the entry as its
             canonical JSON (entries.doc). */
          g_autofree char *doc = server_text (s, "SELECT doc FROM entries WHERE id = ?", id);
          g_autoptr(JsonObject) stored = NULL;

          server_hash = server_text (s, "SELECT hash FROM entry_keys WHERE id = ?", id);
          g_assert_nonnull (doc);
          stored = mdn_json_parse_object (doc, NULL);
          g_assert_nonnull (stored);
          server_body = mdn_json_object_canonical (json_object_get_object_member (stored, "body"));
        }
      else
        {
          server_hash = server_text (s, "SELECT hash FROM entries WHERE id = ?", id);
          server_body = server_text (s, "SELECT body FROM entries WHERE id = ?", id);
        }
      g_assert_cmpstr (server_hash, ==, json_object_get_string_member (o, "hash"));
      g_assert_cmpstr (server_body, ==, body);
      if (fed && other)
        {
          g_autofree char *other_hash = branch_text (other, "SELECT hash FROM entries WHERE id = ?", id);
          g_autofree char *other_body = branch_text (other, "SELECT body FROM entries WHERE id = ?", id);

          g_assert_cmpstr (other_hash, ==, server_hash);
          g_assert_cmpstr (other_body, ==, body);
        }
    }
}

/* Every kind, with its empty and zero-valued variants ("tenders": [] of a
 * timed session stopped within its free minutes, a sale of 0.00, ...), is
 * pushed, stored and fed on unchanged; the branch's sync never wedges. */
static void
test_every_kind (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("push", AUTH_TTL);
  g_autoptr(MdnTestBranch) hq = mdn_test_server_branch_new (s, "HQ", 0, TRUE);
  g_autoptr(MdnTestBranch) b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  g_autoptr(MdnTestBranch) b2 = mdn_test_server_branch_new (s, "B02", 2, FALSE);
  g_autoptr(GPtrArray) all = mdn_test_all_kinds ();
  g_autofree char *kinds = NULL;
  g_autofree char *expected = NULL;
  gboolean pg;
  MdnSyncResult r;

  mdn_test_every_kind (b1);
  r = mdn_test_sync_ok (b1);
  g_assert_cmpint (r.acked_seq, ==, mdn_test_count (b1, "SELECT max (seq) FROM entries WHERE branch = 'B01'"));
  hq_master_and_write_off (s, hq, b1, b2);
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  mdn_test_sync_ok (hq);

  /* All of them, at the server. */
  g_ptr_array_add (all, NULL);
  expected = g_strjoinv (",", (char **) all->pdata);
  /* Every stored entry (applied or kept): on PostgreSQL entries.doc is
     the entry's canonical JSON, its body under "body". */
  pg = mdn_test_backend_pg ();
  kinds = mdn_test_server_text (s, pg ? "SELECT string_agg (kind, ',' ORDER BY kind) FROM (SELECT DISTINCT kind FROM entries) k"
                                     : "SELECT group_concat (kind, ',') FROM (SELECT DISTINCT kind FROM entries ORDER BY kind)");
  g_assert_cmpstr (kinds, ==, expected);
  g_assert_cmpint (mdn_test_server_count (s, pg ? "SELECT count(*) FROM entries WHERE doc::json->>'body' LIKE '%\"tenders\":[]%'"
                                                : "SELECT count(*) FROM entries WHERE body LIKE '%\"tenders\":[]%'"), >=, 4);
  /* The handover's over/short (长短款) is in the day rollup, as the entry says. */
  g_assert_cmpint (mdn_test_server_count (s, "SELECT SUM (shifts_closed) FROM srv_rollup_day WHERE branch = 'B01'"), ==, 1);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT SUM (over_short_fen) FROM srv_rollup_day WHERE branch = 'B01'"), ==,
                   mdn_test_server_count (s, pg ? "SELECT SUM ((doc::json->'body'->>'over_short_fen')::bigint) FROM entries "
                                                  "WHERE kind = 'shift.close' AND branch = 'B01'"
                                                : "SELECT SUM (json_extract (body, '$.over_short_fen')) FROM entries "
                                                  "WHERE kind = 'shift.close' AND branch = 'B01'"));
  g_assert_cmpint (mdn_test_server_count (s, "SELECT SUM (over_short_fen) FROM srv_rollup_day WHERE branch = 'B01'"), !=, 0);
  /* And the daily summary reads it from there (a named report). */
  {
    g_autoptr(JsonObject) out = NULL;

    g_assert_cmpuint (mdn_test_http (s, "GET", "/api/v1/hq/reports/summary?from=2026-11-01&to=2026-11-30&branch=B01",
                                     g_hash_table_lookup (s->tokens, "HQ"), NULL, -1, &out), ==, 200);
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (out, "totals"), "over_short_fen"), ==,
                     mdn_test_server_count (s, "SELECT SUM (over_short_fen) FROM srv_rollup_day WHERE branch = 'B01'"));
    g_assert_cmpint (json_object_get_int_member (json_object_get_object_member (out, "totals"), "shifts_closed"), ==, 1);
  }
  g_assert_cmpint (mdn_test_server_count (s, "SELECT SUM (cash_over_short_fen) FROM srv_rollup_day WHERE branch = 'B01'"),
                   ==, mdn_test_server_count (s, pg ? "SELECT SUM ((t->>'over_short_fen')::bigint) FROM entries e, "
                                                      "json_array_elements (e.doc::json->'body'->'tenders') t "
                                                      "WHERE e.kind = 'shift.close' AND e.branch = 'B01' AND t->>'tender' = 'cash'"
                                                    : "SELECT SUM (json_extract (t.value, '$.over_short_fen')) FROM entries e, "
                                                      "json_each (e.body, '$.tenders') t WHERE e.kind = 'shift.close' "
                                                      "AND e.branch = 'B01' AND json_extract (t.value, '$.tender') = 'cash'"));

  assert_round_trip (s, b1, b2);
  assert_round_trip (s, hq, b1);
  assert_round_trip (s, b2, b1);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT acked_seq FROM srv_branches WHERE code = 'B01'"), ==,
                   mdn_test_count (b1, "SELECT max (seq) FROM entries WHERE branch = 'B01'"));
  g_assert_cmpuint (mdn_test_verify (b1), ==, 0);
  g_assert_cmpuint (mdn_test_verify (b2), ==, 0);
  g_assert_cmpuint (mdn_test_verify (hq), ==, 0);
  g_assert_cmpint (mdn_test_server_stop (s, SIGTERM), ==, 0);
}

/* A fraction or an exponent anywhere in a pushed entry is 400
 * invalid_entry and nothing is stored; the feed keeps working. */
static void
test_non_integers (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("push", AUTH_TTL);
  g_autoptr(MdnTestBranch) b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  g_autoptr(MdnTestBranch) b2 = mdn_test_server_branch_new (s, "B02", 2, FALSE);
  const char *t1 = g_hash_table_lookup (s->tokens, "B01");
  static const char *const numbers[] = { "1e999", "1.5", "-0.0", "2E3" };
  g_autoptr(JsonObject) r = mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"A\",\"phone\":\"13800000001\","
                                                    "\"deposit\":\"10.00\"}");

  for (guint i = 0; i < G_N_ELEMENTS (numbers); i++)
    {
      g_autoptr(GPtrArray) entries = mdn_test_own_entries (b1, 1, -1);
      g_autofree char *before = mdn_test_server_digest (s);
      g_autofree char *after = NULL;
      g_autofree char *text = NULL;
      g_auto(GStrv) parts = NULL;
      g_autoptr(JsonObject) out = NULL;
      JsonObject *deposit = g_ptr_array_index (entries, entries->len - 1);

      json_object_set_string_member (json_object_get_object_member (deposit, "body"), "x", "@");
      text = mdn_test_push_text (entries);
      parts = g_strsplit (text, "\"@\"", 2);
      g_free (text);
      text = g_strconcat (parts[0], numbers[i], parts[1], NULL);
      g_assert_cmpuint (mdn_test_http (s, "POST", "/api/v1/sync/push", t1, text, -1, &out), ==, 400);
      g_assert_cmpstr (error_code (out), ==, "invalid_entry");
      after = mdn_test_server_digest (s);
      g_assert_cmpstr (before, ==, after);
    }
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  g_assert_cmpint (mdn_test_count (b2, "SELECT count(*) FROM members"), ==, 1);
  g_assert_cmpuint (mdn_test_verify (b2), ==, 0);
}

static char *
nested (int depth)
{
  GString *s = g_string_new ("{\"entries\":");

  for (int i = 0; i < depth; i++)
    g_string_append_c (s, '[');
  for (int i = 0; i < depth; i++)
    g_string_append_c (s, ']');
  g_string_append_c (s, '}');
  return g_string_free (s, FALSE);
}

/* 100,000 nested '[' (it segfaulted json-glib) on every route with a
 * body: a clear 400, and the server goes on. */
static void
test_deep_nesting (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("push", AUTH_TTL);
  g_autoptr(MdnTestBranch) b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  const char *t1 = g_hash_table_lookup (s->tokens, "B01");
  g_autofree char *deep = nested (100000);
  g_autofree char *edge = nested (32);
  const char *routes[] = { "/api/v1/sync/push", "/api/v1/members/x/authorize" };

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      g_autoptr(JsonObject) out = NULL;

      g_assert_cmpuint (mdn_test_http (s, "POST", routes[i], t1, deep, -1, &out), ==, 400);
      g_assert_cmpstr (error_code (out), ==, "invalid_json");
      g_assert_nonnull (strstr (json_object_get_string_member (json_object_get_object_member (out, "error"),
                                                               "message"), "32"));
    }
  {
    /* 33 levels with the outer object: refused; 32: read (not entries). */
    g_autoptr(JsonObject) out = NULL;
    g_autofree char *ok_depth = nested (31);

    g_assert_cmpuint (mdn_test_http (s, "POST", routes[0], t1, edge, -1, &out), ==, 400);
    g_assert_cmpstr (error_code (out), ==, "invalid_json");
    g_clear_pointer (&out, json_object_unref);
    g_assert_cmpuint (mdn_test_http (s, "POST", routes[0], t1, ok_depth, -1, &out), ==, 400);
    g_assert_cmpstr (error_code (out), ==, "invalid_request");
  }
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"A\",\"phone\":\"13800000001\"}"));
  mdn_test_sync_ok (b1);
  g_assert_cmpint (mdn_test_server_stop (s, SIGTERM), ==, 0);
}

/* A stored row that can't be read back (only a damaged database has one:
 * every push is checked) is left out of the feed instead of making every
 * page covering it fail for every branch. */
static void
test_feed_survives_a_damaged_row (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("push", AUTH_TTL);
  g_autoptr(MdnTestBranch) b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  g_autoptr(MdnTestBranch) b2 = mdn_test_server_branch_new (s, "B02", 2, FALSE);
  g_autoptr(JsonObject) out = NULL;
  sqlite3 *db = NULL;

  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"A\",\"phone\":\"13800000001\"}"));
  mdn_test_sync_ok (b1);
  if (mdn_test_backend_pg ())
    g_assert_cmpint (mdn_test_pg_count (s->db,
                                        "SELECT mdn_month_partition ('2026-01-01'); "
                                        "INSERT INTO entry_keys (branch, seq, id, business_date, kind, hash, projected, "
                                        "applied) VALUES ('ZZ', 1, 'damaged', '2026-01-01', 'member.lose', 'x', true, "
                                        "nextval ('apply_order')); "
                                        "INSERT INTO entries (business_date, id, branch, seq, kind, at, doc) VALUES "
                                        "('2026-01-01', 'damaged', 'ZZ', 1, 'member.lose', 'x', '{\"amount\":inf}'); "
                                        "INSERT INTO srv_feed (pos, entry_id) VALUES (nextval ('feed_pos'), 'damaged'); "
                                        "SELECT 1"), ==, 1);
  else
    {
      g_assert_cmpint (sqlite3_open (s->db, &db), ==, SQLITE_OK);
      sqlite3_busy_timeout (db, 10000);
      g_assert_cmpint (sqlite3_exec (db,
                                     "INSERT INTO entries (id, branch, seq, kind, at, business_date, staff, member_id, "
                                     "body, prev_hash, hash) VALUES ('damaged', 'ZZ', 1, 'member.lose', 'x', "
                                     "'2026-01-01', 'x', NULL, '{\"amount\":inf}', 'x', 'x'); "
                                     "INSERT INTO srv_feed (entry_id) VALUES ('damaged');", NULL, NULL, NULL), ==, SQLITE_OK);
      sqlite3_close (db);
    }
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"B\",\"phone\":\"13800000002\"}"));
  mdn_test_sync_ok (b1);

  g_assert_cmpuint (mdn_test_http (s, "GET", "/api/v1/sync/feed?after=0", g_hash_table_lookup (s->tokens, "B02"),
                                   NULL, 0, &out), ==, 200);
  g_assert_cmpint (json_object_get_int_member (out, "feed_position"), ==, 3);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (out, "entries")), ==, 2);
  mdn_test_sync_ok (b2);
  g_assert_cmpint (mdn_test_count (b2, "SELECT count(*) FROM members"), ==, 2);
  g_assert_cmpuint (mdn_test_verify (b2), ==, 0);
}

/* The fuzzer ----------------------------------------------------------------------------------- */

/* Another branch's entries, re-written as entries of @code: its branch,
 * new ids (a session's stop follows its start's), its receipt numbers. */
typedef struct
{
  char       *code;
  int         number;
  gint64      acked;
  char       *last_hash;
  GHashTable *ids;        /* id at the victim → id here */
  gint64      card_seq;
} Hostile;

static void
hostile_clear (Hostile *h)
{
  g_free (h->code);
  g_free (h->last_hash);
  g_clear_pointer (&h->ids, g_hash_table_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Hostile, hostile_clear)

static void
rewrite_strings (JsonNode   *node,
                 const char *from,
                 const char *to)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObjectIter iter;
      JsonNode *member;

      json_object_iter_init (&iter, json_node_get_object (node));
      while (json_object_iter_next (&iter, NULL, &member))
        rewrite_strings (member, from, to);
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *a = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (a); i++)
        rewrite_strings (json_array_get_element (a, i), from, to);
    }
  else if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING &&
           g_str_has_prefix (json_node_get_string (node), from))
    {
      g_autofree char *s = g_strconcat (to, json_node_get_string (node) + strlen (from), NULL);

      json_node_set_string (node, s);
    }
}

/* @real (an entry of the victim branch) as the next entry of @h. */
static JsonObject *
as_hostile (Hostile    *h,
            JsonObject *real)
{
  g_autofree char *text = mdn_json_object_to_string (real);
  g_autoptr(JsonNode) node = json_from_string (text, NULL);
  JsonObject *o = json_node_dup_object (node);
  JsonObject *body = json_object_get_object_member (o, "body");
  g_autofree char *victim_receipts = g_strdup_printf ("%s-", json_object_get_string_member (o, "branch"));
  g_autofree char *receipts = g_strdup_printf ("%s-", h->code);
  g_autofree char *id = mdn_uuid7_new ();
  const char *kind = json_object_get_string_member (o, "kind");

  g_hash_table_insert (h->ids, g_strdup (json_object_get_string_member (o, "id")), g_strdup (id));
  rewrite_strings (node, victim_receipts, receipts);
  json_object_set_string_member (o, "id", id);
  json_object_set_string_member (o, "branch", h->code);
  json_object_set_int_member (o, "seq", h->acked + 1);
  json_object_set_string_member (o, "prev_hash", h->last_hash);
  if (g_str_equal (kind, "member.issue") || g_str_equal (kind, "member.replace"))
    {
      g_autofree char *card = mdn_card_no_make (h->number, ++h->card_seq);

      json_object_set_string_member (body, "card_no", card);
    }
  if (g_str_equal (kind, "member.issue"))
    {
      g_autofree char *member = mdn_uuid7_new ();

      json_object_set_string_member (o, "member", member);
    }
  if (g_str_equal (kind, "timed.stop") && mdn_body_string (body, "session_id"))
    {
      const char *start = g_hash_table_lookup (h->ids, mdn_body_string (body, "session_id"));

      if (start)
        json_object_set_string_member (body, "session_id", start);
    }
  json_object_remove_member (body, "auth_id");
  mdn_test_rehash (o);
  return o;
}

static guint
env_uint (const char *name,
          guint       fallback)
{
  const char *text = g_getenv (name);
  guint64 v;

  if (text && g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT, &v, NULL))
    return (guint) v;
  return fallback;
}

/* Mutations of real pushes, re-hashed so they pass the hash check, pushed
 * by a third branch with its own token; the honest branches work and sync
 * in between. Bounded and deterministic: fixed seeds, printed
 * (MENDIAN_FUZZ_SEED and MENDIAN_FUZZ_PUSHES run others). */
static void
test_fuzz (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("fuzz", AUTH_TTL);
  g_autoptr(MdnTestBranch) b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  g_autoptr(MdnTestBranch) b2 = mdn_test_server_branch_new (s, "B02", 2, FALSE);
  const char *t3 = mdn_test_server_add_branch (s, "B03", 3, FALSE);
  g_autoptr(GPtrArray) real = NULL;
  g_auto(Hostile) h = { g_strdup ("B03"), 3, 0, g_strdup (MDN_GENESIS_HASH),
                        g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free), 0 };
  guint seeds[] = { 8, 20261122 };
  guint n_seeds = G_N_ELEMENTS (seeds);
  guint pushes = env_uint ("MENDIAN_FUZZ_PUSHES", 250);
  guint next = 0, accepted = 0, refused = 0;
  g_autoptr(GHashTable) codes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  mdn_test_every_kind (b1);
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  real = mdn_test_own_entries (b1, 1, -1);
  if (g_getenv ("MENDIAN_FUZZ_SEED"))
    {
      seeds[0] = env_uint ("MENDIAN_FUZZ_SEED", 1);
      n_seeds = 1;
    }

  for (guint k = 0; k < n_seeds; k++)
    {
      g_autoptr(GRand) rand = g_rand_new_with_seed (seeds[k]);

      g_test_message ("fuzz: seed %u, %u pushes", seeds[k], pushes);
      for (guint i = 0; i < pushes; i++)
        {
          g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
          g_autoptr(JsonObject) out = NULL;
          g_autofree char *before = mdn_test_server_digest (s);
          g_autofree char *text = NULL;
          guint n = g_rand_int_range (rand, 1, 4), mutated = g_rand_int_range (rand, 0, 4);
          gint64 acked = h.acked;
          g_autofree char *last_hash = g_strdup (h.last_hash);
          guint status;

          /* A few entries in a row, one of them (usually) mutated, each
             chained to the one before and re-hashed. */
          for (guint j = 0; j < n; j++)
            {
              JsonObject *o = as_hostile (&h, g_ptr_array_index (real, (next + j) % real->len));

              if (j == mutated)
                for (int m = g_rand_int_range (rand, 1, 3); m > 0; m--)
                  mdn_test_mutate_entry (rand, o);
              json_object_set_int_member (o, "seq", h.acked + 1);
              json_object_set_string_member (o, "prev_hash", h.last_hash);
              if (mdn_test_rehash (o))
                {
                  h.acked++;
                  g_free (h.last_hash);
                  h.last_hash = g_strdup (json_object_get_string_member (o, "hash"));
                }
              g_ptr_array_add (batch, o);
            }
          text = mdn_test_push_text (batch);
          if (g_rand_int_range (rand, 0, 8) == 0)
            {
              char *bytes = mdn_test_mutate_bytes (rand, text);

              g_free (text);
              text = bytes;
            }
          status = mdn_test_http (s, "POST", "/api/v1/sync/push", t3, text, -1, &out);
          if (status >= 500 || status < 200)
            g_error ("seed %u, push %u: %u: %s", seeds[k], i, status, text);
          if (status == 200)
            {
              /* The server holds what it acknowledged. */
              accepted++;
              g_assert_cmpint (json_object_get_int_member (out, "acked_seq"), ==, h.acked);
              next += n;
            }
          else
            {
              g_autofree char *after = mdn_test_server_digest (s);

              refused++;
              if (out && json_object_has_member (out, "error"))
                {
                  const char *code = error_code (out);

                  g_hash_table_insert (codes, g_strdup (code),
                                       GUINT_TO_POINTER (GPOINTER_TO_UINT (g_hash_table_lookup (codes, code)) + 1));
                }
              if (g_strcmp0 (before, after) != 0)
                g_error ("seed %u, push %u refused (%u) but the server changed:\n%s\n%s\n%s", seeds[k], i, status,
                         before, after, text);
              h.acked = acked;
              g_free (h.last_hash);
              h.last_hash = g_steal_pointer (&last_hash);
              if (g_rand_boolean (rand))
                next += n;
            }

          /* The honest branches keep working and syncing meanwhile. */
          if (i % 25 == 24)
            {
              g_autofree char *phone = g_strdup_printf ("1370%03u%04u", k, i);

              json_object_unref (mdn_test_ok (b2->admin, "{\"op\":\"member.issue\",\"name\":\"N\",\"phone\":\"%s\","
                                                         "\"deposit\":\"5.00\"}", phone));
              mdn_test_sync_ok (b2);
              mdn_test_sync_ok (b1);
            }
        }
    }
  g_test_message ("fuzz: %u pushes accepted, %u refused", accepted, refused);
  {
    GHashTableIter iter;
    gpointer key, value;

    g_hash_table_iter_init (&iter, codes);
    while (g_hash_table_iter_next (&iter, &key, &value))
      g_test_message ("fuzz: refused %u times with %s", GPOINTER_TO_UINT (value), (const char *) key);
  }
  /* The mutations reach the entry checks, not only the parser. */
  g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (codes, "refused_entry")), >, 0);
  g_assert_cmpuint (accepted, >, 0);
  g_assert_cmpuint (refused, >, accepted);

  /* Whatever was accepted, every branch syncs and verifies. */
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  mdn_test_sync_ok (b1);
  g_assert_cmpuint (mdn_test_verify (b1), ==, 0);
  g_assert_cmpuint (mdn_test_verify (b2), ==, 0);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT acked_seq FROM srv_branches WHERE code = 'B03'"), ==, h.acked);
  g_assert_cmpint (mdn_test_server_stop (s, SIGTERM), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/push/every-kind/round-trip", test_every_kind);
  g_test_add_func ("/push/refused/non-integers", test_non_integers);
  g_test_add_func ("/push/refused/deep-nesting", test_deep_nesting);
  g_test_add_func ("/push/feed/damaged-row", test_feed_survives_a_damaged_row);
  g_test_add_func ("/push/fuzz", test_fuzz);
  return g_test_run ();
}
