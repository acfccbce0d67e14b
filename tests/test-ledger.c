/* The ledger: hash chain, projections, verify catching tampering, schema. */
#include <glib/gstdio.h>

#include "mdn-db.h"
#include "mdn-entry-codec.h"
#include "mdn-error.h"
#include "mdn-id.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-member-figures.h"
#include "mdn-test-util.h"
#include "mdn-sync.h"

static void
exec_sql (MdnTestBranch *b,
          const char    *sql)
{
  g_assert_cmpint (sqlite3_exec (mdn_db_handle (b->store->db), sql, NULL, NULL, NULL), ==, SQLITE_OK);
}

/* A branch with a few members and money movements. */
static MdnTestBranch *
populated_branch (void)
{
  MdnTestBranch *b = mdn_test_branch_new ("B01", 1);

  g_autoptr(JsonObject) r1 = mdn_test_ok (b->admin, "{\"op\":\"deposit_rule.upsert\",\"min_fen\":10000,\"bonus_fen\":1500}");
  g_autoptr(JsonObject) r2 = mdn_test_ok (b->admin, "{\"op\":\"member.issue\",\"name\":\"张三\",\"phone\":\"13800000001\",\"deposit_fen\":20000}");
  g_autoptr(JsonObject) r3 = mdn_test_ok (b->admin, "{\"op\":\"member.issue\",\"name\":\"李四\",\"phone\":\"13800000002\"}");
  g_autoptr(JsonObject) r4 = mdn_test_ok (b->admin, "{\"op\":\"member.deposit\",\"card\":\"13800000002\",\"amount_fen\":5000}");
  g_autoptr(JsonObject) r5 = mdn_test_ok (b->admin, "{\"op\":\"member.withdraw\",\"card\":\"13800000001\",\"amount_fen\":700}");
  return b;
}

static void
test_chain (void)
{
  g_autoptr(MdnTestBranch) b = populated_branch ();
  g_autoptr(sqlite3_stmt) stmt = NULL;
  char prev[65] = MDN_GENESIS_HASH;
  gint64 expect = 1;

  sqlite3_prepare_v2 (mdn_db_handle (b->store->db),
                      "SELECT seq, prev_hash, hash, id FROM entries WHERE branch = 'B01' ORDER BY seq",
                      -1, &stmt, NULL);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr(MdnEntry) e = NULL;
      g_autofree char *hash = NULL;

      g_assert_cmpint (sqlite3_column_int64 (stmt, 0), ==, expect++);
      g_assert_cmpstr ((const char *) sqlite3_column_text (stmt, 1), ==, prev);
      e = mdn_entry_load (b->store->db, (const char *) sqlite3_column_text (stmt, 3), NULL);
      g_assert_nonnull (e);
      hash = mdn_entry_compute_hash (e);
      g_assert_cmpstr (hash, ==, (const char *) sqlite3_column_text (stmt, 2));
      g_strlcpy (prev, hash, sizeof prev);
    }
  /* level.upsert at init, rule, issue, issue+deposit, issue, deposit, withdraw */
  g_assert_cmpint (expect - 1, ==, 7);
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
}

static void
test_entry_json_round_trip (void)
{
  g_autoptr(MdnTestBranch) b = populated_branch ();
  g_autoptr(sqlite3_stmt) stmt = NULL;

  sqlite3_prepare_v2 (mdn_db_handle (b->store->db), "SELECT id FROM entries", -1, &stmt, NULL);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr(MdnEntry) e = mdn_entry_load (b->store->db, (const char *) sqlite3_column_text (stmt, 0), NULL);
      g_autoptr(JsonObject) o = mdn_entry_to_json (e, TRUE);
      g_autoptr(GError) error = NULL;
      g_autoptr(MdnEntry) back = mdn_entry_from_json (o, &error);
      g_autofree char *hash = NULL;

      g_assert_no_error (error);
      hash = mdn_entry_compute_hash (back);
      g_assert_cmpstr (hash, ==, e->hash);
    }
}

/* mdn_entry_compute_hash writes the canonical text directly; it must be the
 * same bytes as canonicalizing the entry's JSON tree, for every shape:
 * NULL member and expiry, escapes, control bytes, non-ASCII, nested bodies,
 * large and negative integers, and object keys that need sorting. */
static const char *
reference_hash (MdnEntry *e)
{
  g_autoptr(JsonObject) o = mdn_entry_to_json (e, FALSE);
  g_autofree char *canonical = mdn_json_object_canonical (o);
  g_autofree char *sum = g_compute_checksum_for_string (G_CHECKSUM_SHA256, canonical, -1);
  static char hash[65];

  g_strlcpy (hash, sum, sizeof hash);
  return hash;
}

/* The form with the hash, from the text the hash was computed over (what
 * the PostgreSQL store writes as the entry's doc), is the writer's. */
static void
assert_hashed_form (MdnEntry *e)
{
  g_autoptr(GString) direct = g_string_new (NULL);
  g_autoptr(GString) kept = g_string_new ("x");

  mdn_entry_codec_write (direct, e, TRUE, NULL, NULL);
  g_string_prepend_c (direct, 'x');
  mdn_entry_codec_write_hashed (kept, e);
  g_assert_cmpstr (kept->str, ==, direct->str);
}

static void
test_hash_direct_canonical (void)
{
  g_autoptr(MdnTestBranch) b = populated_branch ();
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(MdnEntry) odd = mdn_entry_new ("member.deposit", NULL);
  g_autoptr(JsonObject) nested = json_object_new ();
  g_autoptr(JsonArray) lines = json_array_new ();
  g_autofree char *hash = NULL;
  g_autofree char *body = NULL;
  guint n = 0;

  sqlite3_prepare_v2 (mdn_db_handle (b->store->db), "SELECT id FROM entries", -1, &stmt, NULL);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_autoptr(MdnEntry) e = mdn_entry_load (b->store->db, (const char *) sqlite3_column_text (stmt, 0), NULL);
      g_autofree char *h = mdn_entry_compute_hash (e);

      g_assert_cmpstr (h, ==, reference_hash (e));
      g_assert_cmpstr (h, ==, e->hash);
      assert_hashed_form (e);
      n++;
    }
  g_assert_cmpuint (n, >, 5);

  odd->id = g_strdup ("0190-\"quoted\"-\\-\n\r\t-\x01\x1f");
  odd->branch = g_strdup ("B01");
  odd->seq = G_MAXINT64;
  odd->at = g_strdup ("2024-01-01T00:00:00+08:00");
  odd->business_date = g_strdup ("2024-01-01");
  odd->staff = g_strdup ("收银员 ✓");
  odd->prev_hash = g_strdup (MDN_GENESIS_HASH);
  json_object_set_int_member (odd->body, "zeta", G_MININT64);
  json_object_set_string_member (odd->body, "alpha", "a\"b\\c\u00e9\x7f");
  json_object_set_null_member (odd->body, "mid");
  json_object_set_boolean_member (odd->body, "Beta", TRUE);
  json_object_set_int_member (nested, "y", -1);
  json_object_set_string_member (nested, "b", "");
  json_array_add_object_element (lines, json_object_ref (nested));
  json_array_add_int_element (lines, 7);
  json_object_set_array_member (odd->body, "lines", json_array_ref (lines));
  json_object_set_object_member (odd->body, "nested", json_object_ref (nested));
  for (int i = 0; i < 20; i++)
    {
      g_autofree char *key = g_strdup_printf ("k%02d", 19 - i);

      json_object_set_int_member (odd->body, key, i);
    }
  mdn_entry_add_movement (odd, NULL, "stock", "SKU-1", NULL, NULL, -3);
  mdn_entry_add_movement (odd, "m-1", "package", "SKU-2", "lot-1", "2025-12-31", 10);
  hash = mdn_entry_compute_hash (odd);
  g_assert_cmpstr (hash, ==, reference_hash (odd));
  body = mdn_json_object_canonical (odd->body);
  g_assert_cmpstr (odd->canonical_body, ==, body);
  odd->hash = g_strdup (hash);
  assert_hashed_form (odd);
  g_clear_pointer (&odd->hash, g_free);
  odd->hash = g_strdup ("\"odd\\");
  assert_hashed_form (odd);
}

typedef struct { GPtrArray *what; } Caught;

static void
collect (const char *what, const char *expected, const char *found, gpointer user_data)
{
  g_ptr_array_add (user_data, g_strdup_printf ("%s: %s / %s", what, expected, found));
}

static guint
verify_collect (MdnTestBranch *b,
                const char    *must_contain)
{
  g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GError) error = NULL;
  gboolean seen = FALSE;
  guint n = 0;

  g_assert_true (mdn_ledger_verify (b->store, collect, found, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, found->len);
  for (guint i = 0; i < found->len; i++)
    {
      g_test_message ("%s", (char *) g_ptr_array_index (found, i));
      seen |= strstr (g_ptr_array_index (found, i), must_contain) != NULL;
    }
  g_assert_true (seen);
  return n;
}

static void
test_tamper_movement (void)
{
  g_autoptr(MdnTestBranch) b = populated_branch ();

  /* Someone adds 100 yuan to a deposit movement and to the balance. */
  exec_sql (b, "UPDATE movements SET delta = delta + 10000 WHERE account = 'principal' AND delta = 5000");
  exec_sql (b, "UPDATE members SET principal_fen = principal_fen + 10000 WHERE phone = '13800000002'");
  g_assert_cmpuint (verify_collect (b, "hash"), >=, 1);
}

static void
test_tamper_projection (void)
{
  g_autoptr(MdnTestBranch) b = populated_branch ();

  exec_sql (b, "UPDATE members SET bonus_fen = bonus_fen + 1 WHERE phone = '13800000001'");
  g_assert_cmpuint (verify_collect (b, "bonus_fen 00100000017: 1500 / 1501"), >=, 1);
}

static void
test_tamper_body (void)
{
  g_autoptr(MdnTestBranch) b = populated_branch ();

  exec_sql (b, "UPDATE entries SET body = replace (body, '\"amount_fen\":700', '\"amount_fen\":70') "
               "WHERE kind = 'member.withdraw'");
  g_assert_cmpuint (verify_collect (b, "hash"), >=, 1);
}

static void
test_tamper_state (void)
{
  g_autoptr(MdnTestBranch) b = populated_branch ();

  g_autoptr(JsonObject) r = mdn_test_ok (b->admin, "{\"op\":\"level.upsert\",\"code\":\"vip\",\"name\":\"VIP\",\"price_percent\":80,\"points_per_yuan\":2}");
  exec_sql (b, "UPDATE members SET level = 'vip' WHERE phone = '13800000001'");
  g_assert_cmpuint (verify_collect (b, "projection members"), >=, 1);
}

static void
test_deleted_entry (void)
{
  g_autoptr(MdnTestBranch) b = populated_branch ();

  exec_sql (b, "PRAGMA foreign_keys = OFF");
  exec_sql (b, "DELETE FROM movements WHERE entry_id = (SELECT id FROM entries WHERE seq = 6)");
  exec_sql (b, "DELETE FROM entries WHERE seq = 6");
  g_assert_cmpuint (verify_collect (b, "sequence"), >=, 1);
}

/* Raw reads, past mdn_db (so past the held writes): what the file holds. */
static gint64
raw_int (MdnTestBranch *b,
         const char    *sql)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (mdn_db_handle (b->store->db), sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  return sqlite3_column_int64 (stmt, 0);
}

/* The same reads through mdn_db: what every statement of the program sees. */
static gint64
db_int (MdnTestBranch *b,
        const char    *sql)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = mdn_db_query (b->store->db, &error, sql, "");
  gint64 v;

  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  v = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return v;
}

#define MOVEMENTS_SQL "SELECT count (*) FROM movements"
#define BALANCE_SQL "SELECT principal_fen FROM members WHERE phone = '13800000002'"
#define DEPOSITS_SQL "SELECT deposits FROM member_figures WHERE member_id = " \
                     "(SELECT id FROM members WHERE phone = '13800000002')"

/* A copy of the deposit of 50.00 to 李四 as another entry (id, seq). */
static MdnEntry *
deposit_copy (MdnTestBranch *b,
              gint64         seq)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  MdnEntry *e;

  g_assert_cmpint (sqlite3_prepare_v2 (mdn_db_handle (b->store->db),
                                       "SELECT id FROM entries WHERE kind = 'member.deposit' AND member_id = "
                                       "(SELECT id FROM members WHERE phone = '13800000002')",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  e = mdn_entry_load (b->store->db, (const char *) sqlite3_column_text (stmt, 0), &error);

  g_assert_no_error (error);
  g_free (e->id);
  e->id = mdn_uuid7_new ();
  e->seq = seq;
  return e;
}

static void
apply_ok (MdnTestBranch *b,
          MdnEntry      *e)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (mdn_ledger_apply (b->store->db, e, &error));
  g_assert_no_error (error);
}

/* mdn_ledger_hold_balances, mdn_ledger_hold_movements and
 * mdn_member_figures_hold (what the server's SQLite store turns on): a
 * member's first balance and deposits UPDATE in a transaction goes in at
 * once, later ones are held, movement rows are all held; every statement
 * that names the table sees them (they go in first), commit writes them,
 * rollback drops them; an unknown member is refused as before. */
static void
test_held_balances (void)
{
  g_autoptr(MdnTestBranch) b = populated_branch ();
  g_autoptr(GError) error = NULL;
  gint64 balance = raw_int (b, BALANCE_SQL), deposits = raw_int (b, DEPOSITS_SQL);
  gint64 movements = raw_int (b, MOVEMENTS_SQL);
  /* Made before: loading an entry reads its movements. */
  g_autoptr(GPtrArray) pool = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_entry_free);
  guint next = 0;

  for (gint64 seq = 100; seq < 112; seq++)
    g_ptr_array_add (pool, deposit_copy (b, seq));

  mdn_ledger_hold_balances (b->store->db);
  mdn_ledger_hold_movements (b->store->db);
  mdn_member_figures_hold (b->store->db);

  g_assert_true (mdn_db_begin (b->store->db, TRUE, &error));
  for (int i = 0; i < 3; i++)
    apply_ok (b, g_ptr_array_index (pool, next++));
  /* The first went in, two are held; a statement naming the tables sees all three. */
  g_assert_cmpint (raw_int (b, BALANCE_SQL), ==, balance + 5000);
  g_assert_cmpint (raw_int (b, DEPOSITS_SQL), ==, deposits + 1);
  g_assert_cmpint (db_int (b, BALANCE_SQL), ==, balance + 3 * 5000);
  g_assert_cmpint (raw_int (b, BALANCE_SQL), ==, balance + 3 * 5000);
  g_assert_cmpint (db_int (b, DEPOSITS_SQL), ==, deposits + 3);
  /* The movement rows too (all three held), 50 to an insert. */
  g_assert_cmpint (raw_int (b, MOVEMENTS_SQL), ==, movements);
  g_assert_cmpint (db_int (b, MOVEMENTS_SQL), ==, movements + 3);
  g_assert_cmpint (raw_int (b, MOVEMENTS_SQL), ==, movements + 3);
  /* Held again after the read, written at commit. */
  apply_ok (b, g_ptr_array_index (pool, next++));
  g_assert_cmpint (raw_int (b, BALANCE_SQL), ==, balance + 3 * 5000);
  g_assert_true (mdn_db_commit (b->store->db, &error));
  g_assert_no_error (error);
  balance += 4 * 5000;
  deposits += 4;
  g_assert_cmpint (raw_int (b, BALANCE_SQL), ==, balance);
  g_assert_cmpint (raw_int (b, DEPOSITS_SQL), ==, deposits);
  g_assert_cmpint (raw_int (b, MOVEMENTS_SQL), ==, movements + 4);

  /* Rolled back: nothing of it, held or not; the next transaction starts afresh. */
  g_assert_true (mdn_db_begin (b->store->db, TRUE, &error));
  for (int i = 0; i < 3; i++)
    apply_ok (b, g_ptr_array_index (pool, next++));
  mdn_db_rollback (b->store->db);
  g_assert_cmpint (raw_int (b, BALANCE_SQL), ==, balance);
  g_assert_cmpint (db_int (b, DEPOSITS_SQL), ==, deposits);
  g_assert_cmpint (db_int (b, MOVEMENTS_SQL), ==, movements + 4);
  g_assert_true (mdn_db_begin (b->store->db, TRUE, &error));
  for (int i = 0; i < 2; i++)
    apply_ok (b, g_ptr_array_index (pool, next++));
  g_assert_cmpint (raw_int (b, BALANCE_SQL), ==, balance + 5000);
  /* A script (any statement at all) goes after them too. */
  g_assert_true (mdn_db_exec_script (b->store->db, "SELECT 1", &error));
  g_assert_cmpint (raw_int (b, BALANCE_SQL), ==, balance + 2 * 5000);
  /* A member this transaction hasn't seen, after a held one: refused as before. */
  {
    MdnEntry *held = g_ptr_array_index (pool, next++);
    MdnEntry *e = g_ptr_array_index (pool, next++);
    MdnMovement *m = &g_array_index (e->movements, MdnMovement, 0);

    apply_ok (b, held);
    g_free (m->member_id);
    m->member_id = g_strdup ("no-such-member");
    g_assert_false (mdn_ledger_apply (b->store->db, e, &error));
    g_assert_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_CARD);
    g_clear_error (&error);
  }
  mdn_db_rollback (b->store->db);
  g_assert_cmpint (raw_int (b, BALANCE_SQL), ==, balance);
  g_assert_cmpint (raw_int (b, DEPOSITS_SQL), ==, deposits);
  g_assert_cmpint (raw_int (b, MOVEMENTS_SQL), ==, movements + 4);
}

static void
test_pragmas (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);

  g_assert_cmpint (mdn_test_count (b, "PRAGMA synchronous"), ==, 2);
  g_assert_cmpint (mdn_test_count (b, "PRAGMA foreign_keys"), ==, 1);
  g_assert_cmpint (mdn_test_count (b, "SELECT count(*) FROM pragma_journal_mode WHERE journal_mode = 'wal'"), ==, 1);
  g_assert_cmpint (mdn_test_count (b, "PRAGMA user_version"), ==, mdn_db_schema_version ("branch"));
}

static void
test_schema_too_new (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(MdnStore) again = NULL;
  g_autofree char *pragma = g_strdup_printf ("PRAGMA user_version = %d", mdn_db_schema_version ("branch") + 1);

  exec_sql (b, pragma);
  again = mdn_store_open (b->path, &error);
  g_assert_null (again);
  g_assert_error (error, MDN_ERROR, MDN_ERROR_SCHEMA_TOO_NEW);
  g_assert_nonnull (strstr (error->message, "newer"));
}

static void
test_schema_upgrade (void)
{
  g_autofree char *dir = g_dir_make_tmp ("mendian-schema-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "old.db", NULL);
  g_autoptr(GBytes) first = NULL;
  g_autoptr(GError) error = NULL;
  sqlite3 *raw = NULL;
  MdnDb *db;

  /* A database as the first release left it: migration 0001 only. */
  mdn_db_close (mdn_db_open (":memory:", "branch", NULL));   /* registers resources */
  first = g_resources_lookup_data ("/org/mendian/schema/branch/0001_init.sql", 0, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_open (path, &raw), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (raw, g_bytes_get_data (first, NULL), NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (raw, "PRAGMA user_version = 1; INSERT INTO meta VALUES ('probe', 'kept')",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (raw);

  db = mdn_db_open (path, "branch", &error);
  g_assert_no_error (error);
  {
    g_autofree char *probe = mdn_db_meta_dup (db, "probe");
    sqlite3_stmt *stmt = mdn_db_query (db, NULL, "PRAGMA user_version", "");

    g_assert_cmpstr (probe, ==, "kept");
    g_assert_cmpint (mdn_db_step (db, stmt, NULL), ==, SQLITE_ROW);
    g_assert_cmpint (sqlite3_column_int (stmt, 0), ==, mdn_db_schema_version ("branch"));
    sqlite3_reset (stmt);
  }
  mdn_db_close (db);
  g_unlink (path);
  g_rmdir (dir);
}

static void
test_not_initialized (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MdnStore) store = mdn_store_open ("/nonexistent/branch.db", &error);

  g_assert_null (store);
  g_assert_error (error, MDN_ERROR, MDN_ERROR_NOT_INITIALIZED);
}

static void
test_init_twice (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(GError) error = NULL;
  MdnStoreInit init = { .branch_code = "B09", .branch_name = "x", .branch_number = 9,
                        .admin_password = MDN_TEST_PASSWORD };
  g_autoptr(MdnStore) again = mdn_store_init (b->path, &init, &error);

  g_assert_null (again);
  g_assert_error (error, MDN_ERROR, MDN_ERROR_ALREADY_INITIALIZED);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  mdn_branch_init ();
  g_test_add_func ("/ledger/hash-chain", test_chain);
  g_test_add_func ("/ledger/entry-json-round-trip", test_entry_json_round_trip);
  g_test_add_func ("/ledger/hash/direct-canonical", test_hash_direct_canonical);
  g_test_add_func ("/ledger/verify/tampered-movement", test_tamper_movement);
  g_test_add_func ("/ledger/verify/tampered-projection", test_tamper_projection);
  g_test_add_func ("/ledger/verify/tampered-body", test_tamper_body);
  g_test_add_func ("/ledger/verify/tampered-state", test_tamper_state);
  g_test_add_func ("/ledger/verify/deleted-entry", test_deleted_entry);
  g_test_add_func ("/ledger/store/pragmas", test_pragmas);
  g_test_add_func ("/ledger/store/held-balances", test_held_balances);
  g_test_add_func ("/ledger/store/schema-too-new", test_schema_too_new);
  g_test_add_func ("/ledger/store/schema-upgrade", test_schema_upgrade);
  g_test_add_func ("/ledger/store/not-initialized", test_not_initialized);
  g_test_add_func ("/ledger/store/init-twice", test_init_twice);
  return g_test_run ();
}
