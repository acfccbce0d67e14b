/* test-converge.c: the chain agrees whatever order entries arrive in.
 *
 * A chain of an HQ terminal and three branches, in this process, with a
 * simulated server: a branch "pushes" its shared entries onto one feed and
 * "pulls" the others' from it, at random moments, so that every branch
 * works offline for a while on what it has seen: lost cards replaced
 * elsewhere, two replacements of one card, returns of one sale at two
 * branches, package uses of one lot at two branches, clocks that disagree.
 *
 * Then every branch must show the same members, cards and package lots,
 * and the union of all entries, applied with mdn_ledger_apply into fresh
 * databases in many random orders (each branch's own entries in seq order,
 * and after whatever the branch had seen when it wrote them, as any real
 * arrival order is), must give the same rows in every projection table.
 *
 * MENDIAN_TEST_SEED=N repeats a run. */
#include <string.h>

#include "mdn-clock.h"
#include "mdn-db.h"
#include "mdn-json.h"
#include "mdn-members.h"
#include "mdn-test-util.h"
#include "mdn-sync.h"

#define N_NODES 4    /* HQ, B01, B02, B03 */

typedef struct
{
  MdnTestBranch *b;
  gint64         pushed;     /* own seq pushed up to */
  guint          pulled;     /* feed position pulled up to */
  int            skew_s;     /* this terminal's clock error */
} Node;

typedef struct
{
  GRand     *rand;
  Node       nodes[N_NODES];
  GPtrArray *feed;           /* MdnEntry *, the server's order */
  GDateTime *now;
  guint      ops;
} Chain;

static gint64
rnd (Chain *c,
     gint64 lo,
     gint64 hi)
{
  return g_rand_int_range (c->rand, (gint32) lo, (gint32) hi + 1);
}

static void
set_clock (Chain *c,
           Node  *n)
{
  g_autoptr(GDateTime) t = g_date_time_add_seconds (c->now, n->skew_s);
  g_autofree char *iso = g_date_time_format_iso8601 (t);

  mdn_test_set_now (iso);
}

static void
tick (Chain *c)
{
  GDateTime *next = g_date_time_add_seconds (c->now, (gdouble) rnd (c, 1, 90));

  g_date_time_unref (c->now);
  c->now = next;
}

static gboolean
is_shared (Node     *n,
           MdnEntry *e)
{
  return mdn_entry_is_shared (e) && (!mdn_ledger_kind_is_master (e->kind) || n->b->store->hq);
}

static void
push (Chain *c,
      Node  *n)
{
  MdnDb *db = n->b->store->db;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (mdn_db_handle (db), "SELECT id, seq FROM entries WHERE branch = ? "
                                       "AND seq > ? ORDER BY seq", -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, n->b->store->branch_code, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64 (stmt, 2, n->pushed);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      g_ptr_array_add (ids, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
      n->pushed = sqlite3_column_int64 (stmt, 1);
    }
  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(GError) error = NULL;
      MdnEntry *e = mdn_entry_load (db, g_ptr_array_index (ids, i), &error);

      g_assert_no_error (error);
      if (is_shared (n, e))
        g_ptr_array_add (c->feed, e);
      else
        mdn_entry_free (e);
    }
}

static gboolean
known (MdnDb      *db,
       const char *id)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  sqlite3_prepare_v2 (mdn_db_handle (db), "SELECT 1 FROM entries WHERE id = ?", -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  return sqlite3_step (stmt) == SQLITE_ROW;
}

/* What sync's pull does: the feed's entries of other branches, in its
 * order, with the same apply code, in one transaction. */
static void
pull (Chain *c,
      Node  *n)
{
  MdnDb *db = n->b->store->db;
  g_autoptr(GError) error = NULL;

  g_assert_true (mdn_db_begin (db, TRUE, &error));
  for (; n->pulled < c->feed->len; n->pulled++)
    {
      MdnEntry *e = g_ptr_array_index (c->feed, n->pulled);

      if (g_str_equal (e->branch, n->b->store->branch_code) || known (db, e->id))
        continue;
      if (!mdn_ledger_apply (db, e, &error))
        g_error ("applying %s#%" G_GINT64_FORMAT " (%s) at %s: %s", e->branch, e->seq, e->kind,
                 n->b->store->branch_code, error->message);
    }
  g_assert_true (mdn_db_commit (db, &error));
}

/* Runs an operation; refusals are fine (the rules refuse), breakage is not. */
static void
attempt (Chain      *c,
         Node       *n,
         const char *format,
         ...) G_GNUC_PRINTF (3, 4);

static void
attempt (Chain      *c,
         Node       *n,
         const char *format,
         ...)
{
  static const char *const broken[] = { "internal", "corrupt", "database", NULL };
  g_autofree char *line = NULL;
  g_autoptr(JsonObject) out = NULL;
  va_list ap;

  va_start (ap, format);
  line = g_strdup_vprintf (format, ap);
  va_end (ap);
  set_clock (c, n);
  out = mdn_ops_run_line (n->b->admin, line);
  c->ops++;
  if (!json_object_get_boolean_member (out, "ok"))
    {
      const char *code = json_object_get_string_member (json_object_get_object_member (out, "error"), "code");

      if (g_strv_contains (broken, code))
        {
          g_autofree char *text = mdn_json_object_to_string (out);

          g_error ("%s at %s: %s", line, n->b->store->branch_code, text);
        }
    }
}

/* A random row's first column of @sql at @n, or NULL. */
static char *
pick (Chain      *c,
      Node       *n,
      const char *sql)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func (g_free);

  g_assert_cmpint (sqlite3_prepare_v2 (mdn_db_handle (n->b->store->db), sql, -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (all, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
  if (all->len == 0)
    return NULL;
  return g_strdup (g_ptr_array_index (all, rnd (c, 0, all->len - 1)));
}

static void
random_op (Chain *c,
           Node  *n)
{
  g_autofree char *card = pick (c, n, "SELECT card_no FROM members ORDER BY id");
  int op = (int) rnd (c, 0, 19);

  if (card == NULL || op == 0)
    {
      attempt (c, n, "{\"op\":\"member.issue\",\"name\":\"M\",\"phone\":\"139%08u\",\"deposit\":\"%d.00\"}",
               c->ops, (int) rnd (c, 0, 300));
      return;
    }
  switch (op)
    {
    case 1:
      attempt (c, n, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":%d}", card, (int) rnd (c, 100, 20000));
      break;
    case 2:
      {
        int fen = (int) rnd (c, 100, 8000);

        attempt (c, n, "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":%d,"
                       "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":%d}]}", card, fen, fen);
      }
      break;
    case 3:
      attempt (c, n, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"TEA\",\"qty\":%d}],"
                     "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":100000}]}", card, (int) rnd (c, 1, 3));
      break;
    case 4:
      attempt (c, n, "{\"op\":\"sale\",\"card\":\"%s\",\"lines\":[{\"sku\":\"%s\",\"qty\":1}],"
                     "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":100000}]}", card, rnd (c, 0, 1) ? "CUT5" : "CUT3");
      break;
    case 5:
    case 6:
      attempt (c, n, "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"CUT\",\"count\":%d}", card,
               (int) rnd (c, 1, 3));
      break;
    case 7:
    case 8:
      {
        /* Any sale with a card this terminal knows, whoever sold it. */
        g_autofree char *sale = pick (c, n, "SELECT entry_id FROM receipts WHERE member_id IS NOT NULL "
                                            "AND kind IN ('sale', 'sale.quick') ORDER BY entry_id");

        if (sale)
          attempt (c, n, "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}", sale);
      }
      break;
    case 9:
      attempt (c, n, "{\"op\":\"member.lose\",\"card\":\"%s\"}", card);
      break;
    case 10:
      attempt (c, n, "{\"op\":\"member.unlock\",\"card\":\"%s\"}", card);
      break;
    case 11:
    case 12:
      attempt (c, n, "{\"op\":\"member.replace\",\"card\":\"%s\"}", card);
      break;
    case 13:
      attempt (c, n, "{\"op\":\"member.extend\",\"card\":\"%s\",\"expires_on\":\"2027-0%d-01\"}", card,
               (int) rnd (c, 1, 9));
      break;
    case 14:
      attempt (c, n, "{\"op\":\"member.upgrade\",\"card\":\"%s\",\"level\":\"%s\"}", card,
               rnd (c, 0, 1) ? "gold" : "normal");
      break;
    case 15:
      /* Rarely: a PIN is hashed with argon2, slow on purpose. */
      if (rnd (c, 0, 3) == 0)
        attempt (c, n, "{\"op\":\"member.set_pin\",\"card\":\"%s\",\"pin\":\"%s\"}", card,
                 rnd (c, 0, 1) ? "1234" : "");
      break;
    case 16:
      attempt (c, n, "{\"op\":\"points.redeem\",\"card\":\"%s\",\"points\":%d}", card, (int) rnd (c, 1, 60));
      break;
    default:
      if (rnd (c, 0, 1))
        push (c, n);
      else
        pull (c, n);
      break;
    }
}

static void
chain_init (Chain  *c,
            guint32 seed)
{
  static const char *const codes[N_NODES] = { "HQ", "B01", "B02", "B03" };
  static const int skews[N_NODES] = { 0, -300, 170, 45 };
  const char *master[] = {
    "{\"op\":\"level.upsert\",\"code\":\"gold\",\"name\":\"Gold\",\"price_percent\":90,\"points_per_yuan\":2}",
    "{\"op\":\"product.upsert\",\"sku\":\"TEA\",\"name\":\"Tea\",\"kind\":\"goods\",\"price_fen\":1500}",
    "{\"op\":\"product.upsert\",\"sku\":\"CUT\",\"name\":\"Cut\",\"kind\":\"service\",\"price_fen\":3000}",
    "{\"op\":\"product.upsert\",\"sku\":\"CUT5\",\"name\":\"Cut x5\",\"kind\":\"package\",\"price_fen\":12000,"
    "\"package_sku\":\"CUT\",\"package_count\":5,\"package_days\":30}",
    "{\"op\":\"product.upsert\",\"sku\":\"CUT3\",\"name\":\"Cut x3\",\"kind\":\"package\",\"price_fen\":8000,"
    "\"package_sku\":\"CUT\",\"package_count\":3}",
  };

  c->rand = g_rand_new_with_seed (seed);
  c->feed = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_entry_free);
  c->now = g_date_time_new_from_iso8601 ("2026-11-22T10:00:00+08:00", NULL);
  for (int i = 0; i < N_NODES; i++)
    {
      c->nodes[i].b = mdn_test_branch_new_full (codes[i], i, i == 0);
      c->nodes[i].skew_s = skews[i];
      /* Durability is not what this test is about: no fsync per operation. */
      g_assert_cmpint (sqlite3_exec (mdn_db_handle (c->nodes[i].b->store->db), "PRAGMA synchronous = OFF",
                                     NULL, NULL, NULL), ==, SQLITE_OK);
    }
  set_clock (c, &c->nodes[0]);
  for (guint i = 0; i < G_N_ELEMENTS (master); i++)
    json_object_unref (mdn_test_ok (c->nodes[0].b->admin, "%s", master[i]));
  push (c, &c->nodes[0]);
  for (int i = 1; i < N_NODES; i++)
    pull (c, &c->nodes[i]);
}

static void
chain_clear (Chain *c)
{
  for (int i = 0; i < N_NODES; i++)
    mdn_test_branch_free (c->nodes[i].b);
  g_ptr_array_unref (c->feed);
  g_date_time_unref (c->now);
  g_rand_free (c->rand);
  mdn_test_set_now (NULL);
}

static void
sync_all (Chain *c)
{
  for (int i = 0; i < N_NODES; i++)
    push (c, &c->nodes[i]);
  for (int i = 0; i < N_NODES; i++)
    pull (c, &c->nodes[i]);
}

/* The permutations -------------------------------------------------------------------- */

typedef struct
{
  MdnEntry *entry;
  gint64    deps[N_NODES];   /* the seq of each branch it was written after */
} Fact;

static void
fact_free (gpointer data)
{
  Fact *f = data;

  mdn_entry_free (f->entry);
  g_free (f);
}

static int
node_of (Chain      *c,
         const char *branch)
{
  for (int i = 0; i < N_NODES; i++)
    if (g_str_equal (c->nodes[i].b->store->branch_code, branch))
      return i;
  g_assert_not_reached ();
}

/* Every node's own entries in seq order, each with what its node had
 * applied before it (its causal past, as rowid order at its node says). */
static GPtrArray *
collect_facts (Chain *c,
               int    i)
{
  GPtrArray *facts = g_ptr_array_new_with_free_func (fact_free);
  MdnDb *db = c->nodes[i].b->store->db;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 seen[N_NODES] = { 0 };

  g_assert_cmpint (sqlite3_prepare_v2 (mdn_db_handle (db), "SELECT id, branch, seq FROM entries ORDER BY rowid",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      int from = node_of (c, (const char *) sqlite3_column_text (stmt, 1));

      if (from == i)
        {
          g_autoptr(GError) error = NULL;
          Fact *f = g_new0 (Fact, 1);

          f->entry = mdn_entry_load (db, (const char *) sqlite3_column_text (stmt, 0), &error);
          g_assert_no_error (error);
          memcpy (f->deps, seen, sizeof seen);
          g_ptr_array_add (facts, f);
        }
      seen[from] = MAX (seen[from], sqlite3_column_int64 (stmt, 2));
    }
  return facts;
}

/* Applies every fact into a fresh database in a random order that keeps
 * each node's seq order and each entry after its causal past. */
static MdnDb *
replay (Chain     *c,
        GPtrArray *facts[N_NODES],
        GRand     *order)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(MdnDb) db = mdn_db_open (":memory:", "branch", &error);
  guint next[N_NODES] = { 0 };
  gint64 done[N_NODES] = { 0 };

  g_assert_no_error (error);
  g_assert_true (mdn_db_begin (db, TRUE, &error));
  for (;;)
    {
      int ready[N_NODES], n_ready = 0;
      Fact *f;
      int k;

      for (int i = 0; i < N_NODES; i++)
        {
          gboolean ok = next[i] < facts[i]->len;

          for (int j = 0; ok && j < N_NODES; j++)
            ok = j == i || done[j] >= ((Fact *) g_ptr_array_index (facts[i], next[i]))->deps[j];
          if (ok)
            ready[n_ready++] = i;
        }
      if (n_ready == 0)
        break;
      k = ready[g_rand_int_range (order, 0, n_ready)];
      f = g_ptr_array_index (facts[k], next[k]++);
      if (!mdn_ledger_apply (db, f->entry, &error))
        g_error ("replaying %s#%" G_GINT64_FORMAT ": %s", f->entry->branch, f->entry->seq, error->message);
      done[k] = f->entry->seq;
    }
  for (int i = 0; i < N_NODES; i++)
    g_assert_cmpuint (next[i], ==, facts[i]->len);
  g_assert_true (mdn_db_commit (db, &error));
  return g_steal_pointer (&db);
}

static void
test_permutations (void)
{
  const char *seed_env = g_getenv ("MENDIAN_TEST_SEED");
  guint32 seeds[] = { 7, 1001, 424242 };
  static const char *const shared[] = { "members", "cards", "member_packages", NULL };

  for (guint s = 0; s < (seed_env ? 1 : G_N_ELEMENTS (seeds)); s++)
    {
      guint32 seed = seed_env ? (guint32) g_ascii_strtoull (seed_env, NULL, 10) : seeds[s];
      GPtrArray *facts[N_NODES];
      g_autoptr(GRand) order = g_rand_new_with_seed (seed ^ 0x5eed);
      g_autofree char *first = NULL;
      g_autofree char *members = NULL;
      gint64 lost, replaced, conflicts = 0;
      Chain c = { 0 };

      g_test_message ("MENDIAN_TEST_SEED=%u", seed);
      chain_init (&c, seed);
      for (int round = 0; round < 12; round++)
        {
          /* Each round, each terminal works on what it has seen. */
          for (int k = 0; k < 60; k++)
            {
              tick (&c);
              random_op (&c, &c.nodes[rnd (&c, 0, N_NODES - 1)]);
            }
          if (round % 4 == 3)
            sync_all (&c);
        }
      sync_all (&c);
      sync_all (&c);

      /* Every terminal shows the same members, cards and package lots. */
      members = mdn_test_dump (c.nodes[0].b->store->db, shared);
      for (int i = 0; i < N_NODES; i++)
        {
          g_autofree char *other = mdn_test_dump (c.nodes[i].b->store->db, shared);

          g_assert_cmpstr (other, ==, members);
          g_assert_cmpuint (mdn_test_verify (c.nodes[i].b), ==, 0);
        }
      /* The run exercised what it is about. */
      lost = mdn_test_count (c.nodes[0].b, "SELECT count(*) FROM entries WHERE kind = 'member.lose'");
      replaced = mdn_test_count (c.nodes[0].b, "SELECT count(*) FROM entries WHERE kind = 'member.replace'");
      {
        g_autoptr(sqlite3_stmt) stmt = NULL;

        sqlite3_prepare_v2 (mdn_db_handle (c.nodes[0].b->store->db), "SELECT id FROM members", -1, &stmt, NULL);
        while (sqlite3_step (stmt) == SQLITE_ROW)
          {
            g_autoptr(GError) error = NULL;
            g_autoptr(GPtrArray) list = mdn_member_card_conflicts (c.nodes[0].b->store->db,
                                                                   (const char *) sqlite3_column_text (stmt, 0),
                                                                   &error);

            g_assert_no_error (error);
            conflicts += list->len;
          }
      }
      g_test_message ("%u ops, %u shared entries, %" G_GINT64_FORMAT " losses, %" G_GINT64_FORMAT
                      " replacements, %" G_GINT64_FORMAT " card conflicts, %" G_GINT64_FORMAT
                      " returns, %" G_GINT64_FORMAT " lots below zero", c.ops, c.feed->len, lost, replaced,
                      conflicts,
                      mdn_test_count (c.nodes[0].b, "SELECT count(*) FROM sale_returns"),
                      mdn_test_count (c.nodes[0].b, "SELECT count(*) FROM member_packages WHERE remaining < 0"));
      g_assert_cmpint (lost, >, 3);
      g_assert_cmpint (replaced, >, 3);

      for (int i = 0; i < N_NODES; i++)
        facts[i] = collect_facts (&c, i);
      for (int k = 0; k < 24; k++)
        {
          g_autoptr(MdnDb) db = replay (&c, facts, order);
          g_autofree char *dump = mdn_test_dump (db, NULL);

          if (first == NULL)
            {
              /* The union's members, cards and lots are every terminal's. */
              g_autofree char *union_members = mdn_test_dump (db, shared);

              g_assert_cmpstr (union_members, ==, members);
              first = g_steal_pointer (&dump);
            }
          else
            g_assert_cmpstr (dump, ==, first);
        }
      for (int i = 0; i < N_NODES; i++)
        g_ptr_array_unref (facts[i]);
      chain_clear (&c);
    }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  mdn_branch_init ();
  g_test_add_func ("/converge/permutations", test_permutations);
  return g_test_run ();
}
