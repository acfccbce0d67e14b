/* test-pg.c: the throw-away PostgreSQL cluster (mdn-test-pg.h) and
 * mendian-server's PostgreSQL store on it: init, migrations, the branch and
 * token commands, answering like the SQLite store. */
#include <glib/gstdio.h>
#include <libpq-fe.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-test-pg.h"
#include "mdn-test-push.h"
#include "mdn-test-server.h"

#define AUTH_TTL "--auth-ttl=600"

/* A cluster of its own starts, takes a database and is gone after. */
static void
test_cluster (void)
{
  g_autoptr(GError) error = NULL;
  MdnTestPg *pg;
  g_autofree char *dir = NULL;
  g_autofree char *uri = NULL;

  if (!mdn_test_pg_available ())
    {
      g_test_skip ("PostgreSQL 15 is not installed");
      return;
    }
  pg = mdn_test_pg_start (&error);
  g_assert_no_error (error);
  g_assert_nonnull (pg);
  g_assert_cmpuint (pg->port, >, 0);
  dir = g_strdup (pg->dir);
  g_assert_true (g_file_test (dir, G_FILE_TEST_IS_DIR));
  g_assert_cmpint (mdn_test_pg_count (pg->uri, "SELECT 41 + 1"), ==, 42);
  uri = mdn_test_pg_create_db (pg, "harness");
  g_assert_cmpint (mdn_test_pg_count (uri, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), ==, 0);
  g_assert_cmpint (mdn_test_pg_count (uri, "SELECT (current_setting('listen_addresses') = '127.0.0.1')::int"), ==, 1);
  mdn_test_pg_free (pg);
  if (g_getenv ("MENDIAN_KEEP_TEST_DB") == NULL)
    g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
}


/* Two server processes on one database ------------------------------------------ */

/* Server A on a database of its own: application_name=srvA, so a test can
 * see its sessions in pg_stat_activity. */
static MdnTestServer *
server_a (void)
{
  MdnTestServer *s = mdn_test_server_init ("two");
  char *db = g_strconcat (s->db, "?application_name=srvA", NULL);

  g_free (s->db);
  s->db = db;
  mdn_test_server_add_hq_token (s);
  mdn_test_server_start (s, AUTH_TTL);
  return s;
}

/* Server B: a second process on A's database, with A's tokens. */
static MdnTestServer *
server_b (MdnTestServer *a)
{
  return mdn_test_server_second (a, "srvB", "WEB2", AUTH_TTL);
}

static void
link_to (MdnTestServer *s,
         MdnTestBranch *b)
{
  mdn_test_link (b, s->url, g_hash_table_lookup (s->tokens, b->store->branch_code));
}

static gint64
own_entries (MdnTestBranch *b)
{
  g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM entries WHERE branch = '%s'", b->store->branch_code);

  return mdn_test_count (b, sql);
}

static char *
issue (MdnTestBranch *b,
       const char    *phone,
       const char    *deposit,
       char         **member_id)
{
  g_autoptr(JsonObject) r = mdn_test_ok (b->admin, "{\"op\":\"member.issue\",\"name\":\"M\",\"phone\":\"%s\","
                                         "\"deposit\":\"%s\"}", phone, deposit);

  if (member_id)
    *member_id = g_strdup (mdn_test_str (r, "member_id"));
  return g_strdup (mdn_test_str (r, "card_no"));
}

static void
deposits (MdnTestBranch *b,
          const char    *card,
          int            n)
{
  for (int i = 0; i < n; i++)
    {
      g_autoptr(JsonObject) o = mdn_test_ok (b->admin, "{\"op\":\"member.deposit\",\"card\":\"%s\","
                                             "\"amount\":\"0.01\"}", card);
    }
}

/* A branch that syncs through one process and then the other misses no
 * entry and sees none twice; a push through one is announced by the other
 * (LISTEN/NOTIFY) to a branch watching it. */
static void
test_two_sync (void)
{
  g_autoptr(MdnTestServer) a = NULL;
  g_autoptr(MdnTestServer) b = NULL;
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autoptr(MdnTestBranch) b2 = NULL;
  g_autoptr(GSubprocess) watch = NULL;
  g_autoptr(GDataInputStream) lines = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *card = NULL;
  gint64 seen = 0;

  if (mdn_test_pg_shared () == NULL)
    return;
  a = server_a ();
  b1 = mdn_test_server_branch_new (a, "B01", 1, FALSE);
  b2 = mdn_test_server_branch_new (a, "B02", 2, FALSE);
  b = server_b (a);
  card = issue (b1, "13800000001", "10.00", NULL);
  deposits (b1, card, 30);
  mdn_test_sync_ok (b1);               /* through A */
  link_to (b, b2);
  mdn_test_sync_ok (b2);               /* through B */
  g_assert_cmpint (mdn_test_count (b2, "SELECT principal_fen FROM members"), ==, 1000 + 30);

  /* B01 goes on through B, B02 through A, then each back. */
  link_to (b, b1);
  deposits (b1, card, 20);
  mdn_test_sync_ok (b1);
  link_to (a, b2);
  mdn_test_sync_ok (b2);
  deposits (b1, card, 5);
  link_to (a, b1);
  mdn_test_sync_ok (b1);
  link_to (b, b2);
  mdn_test_sync_ok (b2);
  g_assert_cmpint (mdn_test_count (b2, "SELECT principal_fen FROM members"), ==, 1000 + 55);
  /* Every shared entry of B01 once (a branch's private entries stay at the server). */
  g_assert_cmpint (mdn_test_count (b2, "SELECT count(*) FROM entries WHERE branch = 'B01'"), ==,
                   mdn_test_server_count (a, "SELECT count(*) FROM entry_keys WHERE branch = 'B01' AND projected"));
  g_assert_cmpint (mdn_test_server_count (a, "SELECT count(*) FROM entry_keys WHERE branch = 'B01'"), ==,
                   own_entries (b1));
  g_assert_cmpuint (mdn_test_verify (b1), ==, 0);
  g_assert_cmpuint (mdn_test_verify (b2), ==, 0);

  /* B02 watches through B; B01's push through A reaches it by NOTIFY (the
     watch's own interval is an hour). */
  watch = mdn_test_cli_spawn (G_SUBPROCESS_FLAGS_STDOUT_PIPE, b2->path, "sync", "--watch", "--interval", "3600", NULL);
  lines = g_data_input_stream_new (g_subprocess_get_stdout_pipe (watch));
  for (int i = 0; i < 2; i++)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (line);
    }
  g_free (issue (b1, "13800000002", "7.00", NULL));
  mdn_test_sync_ok (b1);               /* through A */
  for (int i = 0; i < 20 && seen < 2; i++)
    {
      g_autofree char *line = g_data_input_stream_read_line_utf8 (lines, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (line);
      seen = mdn_test_count (b2, "SELECT count(*) FROM members");
    }
  g_assert_cmpint (seen, ==, 2);
  g_subprocess_send_signal (watch, SIGTERM);
  g_subprocess_wait (watch, NULL, &error);
  g_assert_cmpint (mdn_test_server_stop (b, SIGTERM), ==, 0);
  g_assert_cmpint (mdn_test_server_stop (a, SIGTERM), ==, 0);
}

/* Threads that start a request at the same moment. */
typedef struct
{
  GMutex         lock;
  GCond          go;
  gboolean       started;
} Barrier;

static void
barrier_wait (Barrier *bar)
{
  g_mutex_lock (&bar->lock);
  while (!bar->started)
    g_cond_wait (&bar->go, &bar->lock);
  g_mutex_unlock (&bar->lock);
}

static void
barrier_open (Barrier *bar)
{
  g_mutex_lock (&bar->lock);
  bar->started = TRUE;
  g_cond_broadcast (&bar->go);
  g_mutex_unlock (&bar->lock);
}

typedef struct
{
  Barrier       *bar;
  MdnTestServer *s;
  const char    *method;
  char          *path;
  const char    *token;
  char          *body;
  guint          status;
  JsonObject    *reply;
} Request;

static gpointer
request_thread (gpointer data)
{
  Request *r = data;

  barrier_wait (r->bar);
  r->status = mdn_test_http (r->s, r->method, r->path, r->token, r->body, -1, &r->reply);
  return NULL;
}

static void
request_clear (Request *r)
{
  g_free (r->path);
  g_free (r->body);
  g_clear_pointer (&r->reply, json_object_unref);
}

/* @a and @b sent at once, to two processes; waits for both. */
static void
race (Request *ra,
      Request *rb)
{
  Barrier bar = { 0 };
  GThread *ta, *tb;

  ra->bar = rb->bar = &bar;
  ta = g_thread_new ("a", request_thread, ra);
  tb = g_thread_new ("b", request_thread, rb);
  barrier_open (&bar);
  g_thread_join (ta);
  g_thread_join (tb);
}

/* One branch's batch pushed to both processes at once: stored once, the
 * two answers' applied adding up to the batch. */
static void
test_two_same_push (void)
{
  g_autoptr(MdnTestServer) a = NULL;
  g_autoptr(MdnTestServer) b = NULL;
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autofree char *card = NULL;
  const char *token;
  gint64 from = 1;

  if (mdn_test_pg_shared () == NULL)
    return;
  a = server_a ();
  b1 = mdn_test_server_branch_new (a, "B01", 1, FALSE);
  b = server_b (a);
  token = g_hash_table_lookup (a->tokens, "B01");
  card = issue (b1, "13800000001", "10.00", NULL);
  for (int round = 0; round < 6; round++)
    {
      g_autoptr(GPtrArray) batch = NULL;
      Request ra = { 0 }, rb = { 0 };
      gint64 n, applied = 0;

      deposits (b1, card, 40);
      batch = mdn_test_own_entries (b1, from, -1);
      n = batch->len;
      ra.s = a, rb.s = b;
      ra.method = rb.method = "POST";
      ra.path = g_strdup ("/api/v1/sync/push");
      rb.path = g_strdup (ra.path);
      ra.token = rb.token = token;
      ra.body = mdn_test_push_text (batch);
      rb.body = g_strdup (ra.body);
      race (&ra, &rb);
      /* Answered 200, or 409 when the other stored it at the same moment. */
      for (Request *r = &ra; r; r = r == &ra ? &rb : NULL)
        {
          g_assert_true (r->status == 200 || r->status == 409);
          if (r->status == 200)
            applied += mdn_test_int (r->reply, "applied");
        }
      g_assert_cmpint (applied, ==, n);
      from += n;
      g_assert_cmpint (mdn_test_server_count (a, "SELECT count(*) FROM entry_keys"), ==, from - 1);
      g_assert_cmpint (mdn_test_server_count (a, "SELECT acked_seq FROM srv_branches WHERE code = 'B01'"), ==, from - 1);
      request_clear (&ra);
      request_clear (&rb);
    }
  g_assert_cmpint (mdn_test_server_count (a, "SELECT principal_fen FROM members"), ==, 1000 + 6 * 40);
  g_assert_cmpint (mdn_test_server_count (a, "SELECT SUM (deposit_principal_fen) FROM srv_rollup_day"), ==, 1000 + 6 * 40);
  g_assert_cmpint (mdn_test_server_count (a, "SELECT count(*) FROM srv_feed"), ==,
                   mdn_test_server_count (a, "SELECT count(*) FROM entry_keys WHERE projected"));
  /* The branch agrees: nothing more to push. */
  g_assert_cmpint (mdn_test_sync_ok (b1).pushed, ==, 0);
}

/* Two authorizations of one member at once through two processes: one
 * balance can't be spent twice. */
static void
test_two_authorize (void)
{
  g_autoptr(MdnTestServer) a = NULL;
  g_autoptr(MdnTestServer) b = NULL;
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autoptr(MdnTestBranch) b2 = NULL;
  g_autoptr(GPtrArray) members = g_ptr_array_new_with_free_func (g_free);
  const char *t1, *t2;

  if (mdn_test_pg_shared () == NULL)
    return;
  a = server_a ();
  b1 = mdn_test_server_branch_new (a, "B01", 1, FALSE);
  b2 = mdn_test_server_branch_new (a, "B02", 2, FALSE);
  b = server_b (a);
  t1 = g_hash_table_lookup (a->tokens, "B01");
  t2 = g_hash_table_lookup (a->tokens, "B02");
  for (int i = 0; i < 8; i++)
    {
      g_autofree char *phone = g_strdup_printf ("1380000010%d", i);
      char *member = NULL;
      g_autofree char *card = issue (b1, phone, "100.00", &member);

      g_ptr_array_add (members, member);
    }
  mdn_test_sync_ok (b1);
  for (guint i = 0; i < members->len; i++)
    {
      const char *member = g_ptr_array_index (members, i);
      Request ra = { 0 }, rb = { 0 };

      ra.s = a, rb.s = b;
      ra.method = rb.method = "POST";
      ra.path = g_strdup_printf ("/api/v1/members/%s/authorize", member);
      rb.path = g_strdup (ra.path);
      ra.token = t1, rb.token = t2;
      ra.body = g_strdup_printf ("{\"auth_id\":\"race-a-%u\",\"amount_fen\":6000,\"kind\":\"balance\"}", i);
      rb.body = g_strdup_printf ("{\"auth_id\":\"race-b-%u\",\"amount_fen\":6000,\"kind\":\"balance\"}", i);
      race (&ra, &rb);
      /* Exactly one is granted; the other is refused for the balance. */
      g_assert_cmpuint ((ra.status == 200) + (rb.status == 200), ==, 1);
      g_assert_cmpuint (ra.status == 200 ? rb.status : ra.status, ==, 409);
      request_clear (&ra);
      request_clear (&rb);
    }
  g_assert_cmpint (mdn_test_server_count (a, "SELECT count(*) FROM srv_authorizations WHERE status = 'held'"), ==,
                   members->len);
}

/* One of two processes killed in the middle of a push: nothing lost or
 * doubled once the branch syncs through the other. */
static void
test_two_kill (void)
{
  g_autoptr(MdnTestServer) a = NULL;
  g_autoptr(MdnTestServer) b = NULL;
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autoptr(GSubprocess) cli = NULL;
  g_autofree char *card = NULL;
  g_autofree char *base = NULL;
  gboolean caught = FALSE;
  gint64 held;
  PGconn *conn;

  if (mdn_test_pg_shared () == NULL)
    return;
  a = server_a ();
  b1 = mdn_test_server_branch_new (a, "B01", 1, FALSE);
  b = server_b (a);
  card = issue (b1, "13800000001", "10.00", NULL);
  deposits (b1, card, 1500);
  base = g_strndup (a->db, strcspn (a->db, "?"));
  conn = PQconnectdb (base);
  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);

  cli = mdn_test_cli_spawn (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                            b1->path, "sync", NULL);
  /* Until A is inside a push's transaction (bounded: a fast machine may
     finish first, and then A is killed after it). */
  for (int i = 0; i < 20000 && !caught; i++)
    {
      PGresult *res = PQexec (conn, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'srvA' "
                                    "AND xact_start IS NOT NULL AND state <> 'idle' AND pid <> pg_backend_pid ()");

      g_assert_cmpint (PQresultStatus (res), ==, PGRES_TUPLES_OK);
      caught = g_ascii_strtoll (PQgetvalue (res, 0, 0), NULL, 10) > 0;
      PQclear (res);
    }
  g_assert_cmpint (mdn_test_server_stop (a, SIGKILL), ==, -SIGKILL);
  g_subprocess_wait (cli, NULL, NULL);
  PQfinish (conn);
  held = mdn_test_server_count (b, "SELECT count(*) FROM entry_keys");
  g_test_message ("A killed %s a push; the database held %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " entries",
                  caught ? "inside" : "after", held, own_entries (b1));
  /* Whole batches only. */
  g_assert_cmpint (held, ==, mdn_test_server_count (b, "SELECT acked_seq FROM srv_branches WHERE code = 'B01'"));

  link_to (b, b1);
  g_assert_cmpint (mdn_test_sync_ok (b1).acked_seq, ==, own_entries (b1));
  g_assert_cmpint (mdn_test_server_count (b, "SELECT count(*) FROM entry_keys"), ==, own_entries (b1));
  g_assert_cmpint (mdn_test_server_count (b, "SELECT principal_fen FROM members"), ==, 1000 + 1500);
  g_assert_cmpint (mdn_test_server_count (b, "SELECT SUM (deposit_principal_fen) FROM srv_rollup_day"), ==, 1000 + 1500);
  g_assert_cmpint (mdn_test_server_count (b, "SELECT count(*) FROM srv_feed"), ==,
                   mdn_test_server_count (b, "SELECT count(*) FROM entry_keys WHERE projected"));
}

/* The feed's stable head stops below a position a live transaction holds,
 * so a reader never skips an entry that commits later with a lower
 * position. */
static void
test_feed_stable (void)
{
  MdnTestPg *pg = mdn_test_pg_shared ();
  g_autoptr(MdnTestServer) s = NULL;
  PGconn *w1, *w2, *r;
  PGresult *res;

  if (pg == NULL)
    return;
  s = mdn_test_server_init ("feed");
  w1 = PQconnectdb (s->db);
  w2 = PQconnectdb (s->db);
  r = PQconnectdb (s->db);
#define EXEC(c, sql) do { res = PQexec (c, sql); \
    g_assert_cmpint (PQresultStatus (res) == PGRES_TUPLES_OK || PQresultStatus (res) == PGRES_COMMAND_OK, ==, 1); \
    PQclear (res); } while (0)
  EXEC (w1, "BEGIN");
  EXEC (w1, "SELECT mdn_feed_take (1)");                 /* position 1, in flight */
  EXEC (w2, "BEGIN");
  EXEC (w2, "SELECT mdn_feed_take (2)");                 /* 2 and 3 */
  EXEC (w2, "COMMIT");
  g_assert_cmpint (mdn_test_pg_count (s->db, "SELECT mdn_feed_stable_head ()"), ==, 0);
  EXEC (w1, "COMMIT");
  g_assert_cmpint (mdn_test_pg_count (s->db, "SELECT mdn_feed_stable_head ()"), ==, 3);
  EXEC (w1, "BEGIN");
  EXEC (w1, "SELECT mdn_feed_take (1)");                 /* 4, then rolled back: a hole */
  g_assert_cmpint (mdn_test_pg_count (s->db, "SELECT mdn_feed_stable_head ()"), ==, 3);
  EXEC (w1, "ROLLBACK");
  g_assert_cmpint (mdn_test_pg_count (s->db, "SELECT mdn_feed_stable_head ()"), ==, 4);
#undef EXEC
  PQfinish (w1);
  PQfinish (w2);
  PQfinish (r);
}

/* A push whose writes the store held back (srv-store-pg-push.c) fails when
 * they are sent: a key another process took at that moment (23505), any
 * other database error, or a write sent with the COMMIT. Each time nothing
 * of the push is stored and the answer is one the branch sends it again
 * on (409, 500); once the fault is gone its sync stores it once. */
static void
test_held_write_fails (void)
{
  static const struct
  {
    const char *trigger;
    guint       status;
  } faults[] = {
    { "CREATE TRIGGER fault BEFORE INSERT ON srv_feed FOR EACH STATEMENT EXECUTE FUNCTION fault_taken ()", 409 },
    { "CREATE TRIGGER fault BEFORE INSERT ON srv_feed FOR EACH STATEMENT EXECUTE FUNCTION fault_other ()", 500 },
    { "CREATE TRIGGER fault BEFORE UPDATE ON srv_branches FOR EACH STATEMENT EXECUTE FUNCTION fault_other ()", 500 },
  };
  g_autoptr(MdnTestServer) a = NULL;
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autoptr(GPtrArray) batch = NULL;
  g_autofree char *card = NULL, *body = NULL;
  const char *token;
  gint64 acked, keys, feed, deposited;
  PGconn *c;
  PGresult *res;

  if (mdn_test_pg_shared () == NULL)
    return;
  a = server_a ();
  b1 = mdn_test_server_branch_new (a, "B01", 1, FALSE);
  token = g_hash_table_lookup (a->tokens, "B01");
  card = issue (b1, "13800000001", "10.00", NULL);
  mdn_test_sync_ok (b1);
  acked = mdn_test_server_count (a, "SELECT acked_seq FROM srv_branches WHERE code = 'B01'");
  keys = mdn_test_server_count (a, "SELECT count(*) FROM entry_keys");
  feed = mdn_test_server_count (a, "SELECT count(*) FROM srv_feed");
  deposited = mdn_test_server_count (a, "SELECT coalesce (sum (deposits), 0) FROM srv_member_figures");
  deposits (b1, card, 5);
  batch = mdn_test_own_entries (b1, acked + 1, -1);
  g_assert_cmpuint (batch->len, ==, 5);
  body = mdn_test_push_text (batch);

  c = PQconnectdb (a->db);
#define EXEC(sql) do { res = PQexec (c, sql); \
    g_assert_cmpint (PQresultStatus (res), ==, PGRES_COMMAND_OK); PQclear (res); } while (0)
  EXEC ("CREATE FUNCTION fault_taken () RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'taken meanwhile' USING ERRCODE = 'unique_violation'; END $$");
  EXEC ("CREATE FUNCTION fault_other () RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'the disk is full'; END $$");
  for (guint i = 0; i < G_N_ELEMENTS (faults); i++)
    {
      g_autoptr(JsonObject) reply = NULL;

      EXEC (faults[i].trigger);
      g_assert_cmpuint (mdn_test_http (a, "POST", "/api/v1/sync/push", token, body, -1, &reply), ==,
                        faults[i].status);
      g_assert_cmpint (mdn_test_server_count (a, "SELECT acked_seq FROM srv_branches WHERE code = 'B01'"), ==, acked);
      g_assert_cmpint (mdn_test_server_count (a, "SELECT count(*) FROM entry_keys"), ==, keys);
      g_assert_cmpint (mdn_test_server_count (a, "SELECT count(*) FROM srv_feed"), ==, feed);
      g_assert_cmpint (mdn_test_server_count (a, "SELECT count(*) FROM entries"), ==, keys);
      g_assert_cmpint (mdn_test_server_count (a, "SELECT count(*) FROM movements m WHERE NOT EXISTS "
                                                 "(SELECT 1 FROM entry_keys k WHERE k.id = m.entry_id)"), ==, 0);
      g_assert_cmpint (mdn_test_server_count (a, "SELECT principal_fen FROM members"), ==, 1000);
      /* the members' figures, held back with the entries, likewise */
      g_assert_cmpint (mdn_test_server_count (a, "SELECT coalesce (sum (deposits), 0) FROM srv_member_figures"), ==,
                       deposited);
      EXEC ("SET client_min_messages = warning; DROP TRIGGER IF EXISTS fault ON srv_feed; "
            "DROP TRIGGER IF EXISTS fault ON srv_branches");
    }
#undef EXEC
  PQfinish (c);
  /* The server still answers, and the branch's next sync stores the push once. */
  g_assert_cmpint (mdn_test_sync_ok (b1).pushed, ==, 5);
  g_assert_cmpint (mdn_test_server_count (a, "SELECT count(*) FROM entry_keys"), ==, keys + 5);
  g_assert_cmpint (mdn_test_server_count (a, "SELECT count(*) FROM srv_feed"), ==, feed + 5);
  g_assert_cmpint (mdn_test_server_count (a, "SELECT acked_seq FROM srv_branches WHERE code = 'B01'"), ==, acked + 5);
  g_assert_cmpint (mdn_test_server_count (a, "SELECT principal_fen FROM members"), ==, 1005);
  g_assert_cmpint (mdn_test_server_count (a, "SELECT SUM (deposit_principal_fen) FROM srv_rollup_day"), ==, 1005);
  g_assert_cmpint (mdn_test_server_count (a, "SELECT sum (deposits) FROM srv_member_figures"), ==, deposited + 5);
  g_assert_cmpint (mdn_test_sync_ok (b1).pushed, ==, 0);
}

/* The entries held back go to PostgreSQL as arrays in the binary format
 * (srv-store-pg-push.c): dates on both sides of 2000-01-01 (the binary
 * date's zero) and a leap day, a text with quotes, backslashes, a tab and
 * Chinese, a movement's NULL columns: each stored as pushed, its document
 * the pushed text, and the feed hands it to another branch unchanged. */
static void
test_held_binary (void)
{
  static const char *const days[] = { "1999-12-31", "2000-01-01", "2000-02-29", "2040-12-31" };
  static const char *note = "备注 \"引号\" \\反斜杠\\ \ttab";
  g_autoptr(MdnTestServer) a = NULL;
  g_autoptr(MdnTestBranch) b1 = NULL, b2 = NULL;
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *card = NULL, *body = NULL;
  gint64 acked;
  PGconn *c;

  if (mdn_test_pg_shared () == NULL)
    return;
  a = server_a ();
  b1 = mdn_test_server_branch_new (a, "B01", 1, FALSE);
  b2 = mdn_test_server_branch_new (a, "B02", 2, FALSE);
  card = issue (b1, "13800000001", "10.00", NULL);
  mdn_test_sync_ok (b1);
  acked = mdn_test_server_count (a, "SELECT acked_seq FROM srv_branches WHERE code = 'B01'");
  deposits (b1, card, G_N_ELEMENTS (days));
  batch = mdn_test_own_entries (b1, acked + 1, -1);
  g_assert_cmpuint (batch->len, ==, G_N_ELEMENTS (days));
  for (guint i = 0; i < batch->len; i++)
    {
      JsonObject *e = g_ptr_array_index (batch, i);

      json_object_set_string_member (e, "business_date", days[i]);
      if (i == 2)
        json_object_set_string_member (json_object_get_object_member (e, "body"), "note", note);
      if (i > 0)
        json_object_set_string_member (e, "prev_hash",
                                       json_object_get_string_member (g_ptr_array_index (batch, i - 1), "hash"));
      g_assert_true (mdn_test_rehash (e));
    }
  body = mdn_test_push_text (batch);
  g_assert_cmpuint (mdn_test_http (a, "POST", "/api/v1/sync/push", g_hash_table_lookup (a->tokens, "B01"), body, -1,
                                   &reply), ==, 200);
  g_assert_cmpint (mdn_test_int (reply, "applied"), ==, G_N_ELEMENTS (days));

  c = PQconnectdb (a->db);
  g_assert_cmpint (PQstatus (c), ==, CONNECTION_OK);
  for (guint i = 0; i < batch->len; i++)
    {
      JsonObject *e = g_ptr_array_index (batch, i);
      const char *id = json_object_get_string_member (e, "id");
      const char *values[] = { id };
      PGresult *res = PQexecParams (c, "SELECT k.business_date::text, e.business_date::text, e.doc, k.seq, k.projected, "
                                    "  (SELECT string_agg (m.business_date::text || ' ' || coalesce (m.member_id, '-') "
                                    "     || ' ' || m.account || ' ' || m.delta || ' ' || m.idx "
                                    "     || ' ' || coalesce (m.expires_on::text, 'null'), ',') "
                                    "   FROM movements m WHERE m.entry_id = k.id) "
                                    "FROM entry_keys k JOIN entries e ON e.id = k.id WHERE k.id = $1",
                                    1, NULL, values, NULL, NULL, 0);
      g_autoptr(JsonObject) doc = NULL;
      g_autofree char *moves = NULL;

      g_assert_cmpint (PQresultStatus (res), ==, PGRES_TUPLES_OK);
      g_assert_cmpint (PQntuples (res), ==, 1);
      g_assert_cmpstr (PQgetvalue (res, 0, 0), ==, days[i]);
      g_assert_cmpstr (PQgetvalue (res, 0, 1), ==, days[i]);
      doc = mdn_json_parse_object (PQgetvalue (res, 0, 2), NULL);
      g_assert_nonnull (doc);
      g_assert_cmpstr (json_object_get_string_member (doc, "hash"), ==, json_object_get_string_member (e, "hash"));
      g_assert_cmpstr (json_object_get_string_member (doc, "business_date"), ==, days[i]);
      g_assert_cmpint (g_ascii_strtoll (PQgetvalue (res, 0, 3), NULL, 10), ==, json_object_get_int_member (e, "seq"));
      g_assert_cmpstr (PQgetvalue (res, 0, 4), ==, "t");
      if (i == 2)
        g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (doc, "body"), "note"), ==, note);
      moves = g_strdup_printf ("%s %s principal 1 0 null", days[i], json_object_get_string_member (e, "member"));
      g_assert_cmpstr (PQgetvalue (res, 0, 5), ==, moves);
      PQclear (res);
    }
  PQfinish (c);
  g_assert_cmpint (mdn_test_server_count (a, "SELECT principal_fen FROM members"), ==, 1000 + G_N_ELEMENTS (days));
  g_assert_cmpint (mdn_test_server_count (a, "SELECT count(*) FROM srv_deposit_balances"), ==,
                   1 + G_N_ELEMENTS (days));
  g_assert_cmpint (mdn_test_server_count (a, "SELECT balance_after_fen FROM srv_deposit_balances d "
                                             "JOIN entry_keys k ON k.id = d.entry_id WHERE k.business_date = '2040-12-31'"),
                   ==, 1000 + G_N_ELEMENTS (days));
  /* another branch reads them from the feed, the note as it was pushed */
  mdn_test_sync_ok (b2);
  {
    g_autoptr(MdnEntry) got = NULL;
    g_autoptr(GError) error = NULL;

    got = mdn_entry_load (b2->store->db, json_object_get_string_member (g_ptr_array_index (batch, 2), "id"), &error);
    g_assert_no_error (error);
    g_assert_nonnull (got);
    g_assert_cmpstr (got->business_date, ==, days[2]);
    g_assert_cmpstr (mdn_body_string (got->body, "note"), ==, note);
  }
}

/* Two entries of one push with the same id: the first is held back
 * (srv-store-pg-push.c), the second is stored at once and refused as taken
 * as ever; nothing of the push stays. */
static void
test_held_same_id (void)
{
  g_autoptr(MdnTestServer) a = NULL;
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autoptr(GPtrArray) batch = NULL;
  g_autoptr(JsonObject) reply = NULL;
  g_autofree char *card = NULL, *body = NULL;
  JsonObject *second;
  gint64 acked, keys;

  if (mdn_test_pg_shared () == NULL)
    return;
  a = server_a ();
  b1 = mdn_test_server_branch_new (a, "B01", 1, FALSE);
  card = issue (b1, "13800000001", "10.00", NULL);
  mdn_test_sync_ok (b1);
  acked = mdn_test_server_count (a, "SELECT acked_seq FROM srv_branches WHERE code = 'B01'");
  keys = mdn_test_server_count (a, "SELECT count(*) FROM entry_keys");
  deposits (b1, card, 3);
  batch = mdn_test_own_entries (b1, acked + 1, -1);
  g_assert_cmpuint (batch->len, ==, 3);
  /* the second takes the first's id; the chain of hashes made again */
  second = g_ptr_array_index (batch, 1);
  json_object_set_string_member (second, "id",
                                 json_object_get_string_member (g_ptr_array_index (batch, 0), "id"));
  g_assert_true (mdn_test_rehash (second));
  json_object_set_string_member (g_ptr_array_index (batch, 2), "prev_hash",
                                 json_object_get_string_member (second, "hash"));
  g_assert_true (mdn_test_rehash (g_ptr_array_index (batch, 2)));
  body = mdn_test_push_text (batch);
  g_assert_cmpuint (mdn_test_http (a, "POST", "/api/v1/sync/push", g_hash_table_lookup (a->tokens, "B01"), body, -1,
                                   &reply), ==, 422);
  g_assert_nonnull (strstr (mdn_test_str (json_object_get_object_member (reply, "error"), "message"),
                           "is taken by an entry of branch B01"));
  g_assert_cmpint (mdn_test_int (reply, "seq"), ==, json_object_get_int_member (second, "seq"));
  g_assert_cmpint (mdn_test_server_count (a, "SELECT count(*) FROM entry_keys"), ==, keys);
  g_assert_cmpint (mdn_test_server_count (a, "SELECT acked_seq FROM srv_branches WHERE code = 'B01'"), ==, acked);
  g_assert_cmpint (mdn_test_server_count (a, "SELECT principal_fen FROM members"), ==, 1000);
}

/* The database ends a server's sessions (a restart, a failover): the
 * server connects again and the next sync goes through, and it still hears
 * of another process's pushes. */
static void
test_reconnect (void)
{
  g_autoptr(MdnTestServer) a = NULL;
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autofree char *card = NULL;
  g_autofree char *base = NULL;

  if (mdn_test_pg_shared () == NULL)
    return;
  a = server_a ();
  b1 = mdn_test_server_branch_new (a, "B01", 1, FALSE);
  card = issue (b1, "13800000001", "10.00", NULL);
  mdn_test_sync_ok (b1);
  base = g_strndup (a->db, strcspn (a->db, "?"));
  g_assert_cmpint (mdn_test_pg_count (base, "SELECT count(pg_terminate_backend (pid)) FROM pg_stat_activity "
                                            "WHERE application_name = 'srvA'"), ==, 2);
  deposits (b1, card, 3);
  g_assert_cmpint (mdn_test_sync_ok (b1).pushed, ==, 3);
  g_assert_cmpint (mdn_test_server_count (a, "SELECT principal_fen FROM members"), ==, 1003);
  g_assert_cmpint (mdn_test_server_stop (a, SIGTERM), ==, 0);
}

/* init, branch and token commands answer on PostgreSQL as on SQLite. */
static void
test_commands (void)
{
  g_autoptr(MdnTestServer) s = NULL;
  g_autofree char *list = NULL, *key = NULL;
  g_autoptr(JsonObject) o = NULL;

  if (mdn_test_pg_shared () == NULL)
    return;
  s = mdn_test_server_init ("commands");
  g_free (mdn_test_server_cmd (s, "init", NULL));        /* again: a no-op */
  {
    /* The highest of schema/server/postgres/ (the resource the server has). */
    g_auto(GStrv) names = g_resources_enumerate_children ("/org/mendian/schema/server/postgres/", 0, NULL);
    int latest = 0;

    g_assert_nonnull (names);
    for (guint i = 0; names[i]; i++)
      latest = MAX (latest, atoi (names[i]));
    g_assert_cmpint (latest, >=, 11);
    g_assert_cmpint (mdn_test_pg_count (s->db, "SELECT value::int FROM srv_meta WHERE key = 'schema_version'"), ==,
                     latest);
  }
  mdn_test_server_add_branch (s, "B02", 2, FALSE);
  mdn_test_server_add_branch (s, "B01", 1, FALSE);
  mdn_test_server_add_branch (s, "HQ", 0, TRUE);
  mdn_test_server_add_hq_token (s);
  g_free (mdn_test_server_cmd (s, "branch", "revoke", "--code", "B02", NULL));
  list = mdn_test_server_cmd (s, "branch", "list", NULL);
  o = mdn_json_parse_object (list, NULL);
  g_assert_nonnull (o);
  g_assert_cmpstr (list, ==,
                   "{\"branches\":[{\"code\":\"B01\",\"name\":\"B01\",\"number\":1,\"hq\":false,\"revoked\":false,"
                   "\"acked_seq\":0,\"last_push_at\":null},{\"code\":\"B02\",\"name\":\"B02\",\"number\":2,\"hq\":false,"
                   "\"revoked\":true,\"acked_seq\":0,\"last_push_at\":null},{\"code\":\"HQ\",\"name\":\"HQ\",\"number\":0,"
                   "\"hq\":true,\"revoked\":false,\"acked_seq\":0,\"last_push_at\":null}]}\n");
  g_assert_cmpint (mdn_test_pg_count (s->db, "SELECT count(*) FROM srv_tokens"), ==, 1);
  key = mdn_test_server_cmd (s, "chain-key", NULL);
  g_assert_cmpint (strlen (key), ==, 65);
}

/* A member's own page on PostgreSQL: through the console's store
 * (srv_console_card_member, member_row, package_rows), as on SQLite
 * (test sms, /member-page/...). */
static char *
get_page (MdnTestServer *s,
          const char    *path,
          guint         *status)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", s->port, path);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read (session, msg, NULL, &error);

  g_assert_no_error (error);
  *status = soup_message_get_status (msg);
  return g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
}

static void
test_member_page (void)
{
  g_autoptr(MdnTestServer) s = NULL;
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autoptr(JsonObject) m = NULL;
  g_autofree char *path = NULL, *page = NULL, *forged = NULL, *bad = NULL;
  guint status = 0;

  if (mdn_test_pg_shared () == NULL)
    return;
  s = mdn_test_server_new ("mpage", NULL);
  b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  mdn_test_sync_ok (b1);     /* the chain's key reaches the branch */
  m = mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"<b>张三</b>\",\"phone\":\"13800000001\","
                              "\"deposit\":\"88.50\",\"expires_on\":\"2027-12-31\"}");
  mdn_test_sync_ok (b1);
  path = g_strdup_printf ("/m/%s", mdn_test_str (m, "qr"));
  page = get_page (s, path, &status);
  if (status != 200)
    g_test_message ("page %s: %s", path, page);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (page, "88.50"));
  g_assert_nonnull (strstr (page, "2027-12-31"));
  g_assert_nonnull (strstr (page, "&lt;b&gt;张三&lt;/b&gt;"));   /* escaped */
  g_assert_null (strstr (page, "<b>张三"));
  forged = g_strdup (path);
  forged[strlen (forged) - 2] = forged[strlen (forged) - 2] == 'A' ? 'B' : 'A';
  bad = get_page (s, forged, &status);
  g_assert_cmpuint (status, ==, 404);
  /* The PIN-gated history and messages (covered in full by sms-pg): this
     card has no PIN, so the page says so. */
  {
    g_autoptr(SoupSession) session = soup_session_new ();
    g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", s->port, path);
    g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
    g_autoptr(GBytes) form = g_bytes_new_static ("pin=1234", 8);
    g_autoptr(GError) error = NULL;
    g_autoptr(GBytes) body = NULL;

    soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", form);
    body = soup_session_send_and_read (session, msg, NULL, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (soup_message_get_status (msg), ==, 403);
    g_assert_null (g_strstr_len (g_bytes_get_data (body, NULL), g_bytes_get_size (body), "PostgreSQL"));
  }
}

/* serve --report-dsn: the summary, stock and the console's reads from a
 * replica (here the same database through a connection of its own,
 * application_name=srvR, read-only); pushes and decisions stay on the
 * primary. A --report-dsn beside a SQLite store is refused. */
static void
test_report_dsn (void)
{
  g_autoptr(MdnTestServer) s = NULL;
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autoptr(JsonObject) sum = NULL, stock = NULL;
  g_autofree char *card = NULL, *arg = NULL, *base = NULL, *out = NULL;
  g_autofree char *sqlite_db = NULL, *err = NULL;
  g_autoptr(GError) error = NULL;
  int status = 0;

  if (mdn_test_pg_shared () == NULL)
    return;
  s = mdn_test_server_init ("rdsn");
  mdn_test_server_add_hq_token (s);
  arg = g_strconcat ("--report-dsn=", s->db, "?application_name=srvR", NULL);
  mdn_test_server_start (s, arg);
  b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  card = issue (b1, "13800000001", "100.00", NULL);
  mdn_test_sync_ok (b1);
  g_assert_cmpint (mdn_test_pg_count (s->db, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'srvR'"),
                   ==, 1);
  g_assert_cmpuint (mdn_test_http (s, "GET", "/api/v1/reports/summary?from=2026-11-01&to=2026-11-30",
                                   s->hq_token, NULL, 0, &sum), ==, 200);
  out = json_to_string (json_node_init_object (json_node_alloc (), sum), FALSE);
  g_assert_nonnull (strstr (out, "\"deposit_principal_fen\":10000"));
  g_assert_cmpuint (mdn_test_http (s, "GET", "/api/v1/stock", s->hq_token, NULL, 0, &stock), ==, 200);
  g_assert_cmpint (mdn_test_server_stop (s, SIGTERM), ==, 0);

  /* Beside SQLite: refused, with the reason. */
  sqlite_db = g_build_filename (s->dir, "server.db", NULL);
  {
    const char *argv[] = { mdn_test_server_binary (), "--db", sqlite_db, "init", NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                                 NULL, NULL, NULL, NULL, &status, &error));
    g_assert_no_error (error);
  }
  {
    const char *argv[] = { mdn_test_server_binary (), "--db", sqlite_db, "serve", "--listen", "127.0.0.1:0",
                           arg, NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &err,
                                 &status, &error));
    g_assert_no_error (error);
    g_assert_false (g_spawn_check_wait_status (status, NULL));
    g_assert_nonnull (strstr (err, "--report-dsn"));
  }
}

/* serve --report-dsn and the named reports, built by the report workers on
 * stores of their own: they read the replica too. The "replica" here is
 * another server database, empty: a report from it has none of the
 * primary's rows, while the primary holds them (a deposit). */
static void
test_report_dsn_named (void)
{
  g_autoptr(MdnTestServer) s = NULL, other = NULL;
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autoptr(JsonObject) rep = NULL;
  g_autofree char *card = NULL, *arg = NULL;

  if (mdn_test_pg_shared () == NULL)
    return;
  other = mdn_test_server_init ("rdsn_other");
  s = mdn_test_server_init ("rdsn_named");
  mdn_test_server_add_hq_token (s);
  mdn_test_server_start (s, NULL);
  b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  card = issue (b1, "13800000001", "100.00", NULL);
  mdn_test_sync_ok (b1);
  g_assert_cmpuint (mdn_test_http (s, "GET", "/api/v1/reports/deposits?format=json&from=2026-11-20&to=2026-11-20",
                                   s->hq_token, NULL, 0, &rep), ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (rep, "rows")), ==, 1);
  g_clear_pointer (&rep, json_object_unref);
  g_assert_cmpint (mdn_test_server_stop (s, SIGTERM), ==, 0);

  arg = g_strconcat ("--report-dsn=", other->db, NULL);
  mdn_test_server_start (s, arg);
  g_assert_cmpuint (mdn_test_http (s, "GET", "/api/v1/reports/deposits?format=json&from=2026-11-20&to=2026-11-20",
                                   s->hq_token, NULL, 0, &rep), ==, 200);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (rep, "rows")), ==, 0);
  g_assert_cmpint (mdn_test_server_stop (s, SIGTERM), ==, 0);
}

/* The stock projection (srv-store-pg-projection.c) ------------------------------- */

/* Arrival positions (apply_order) like the feed's: the stable head stops
 * below one taken by a transaction still open, and passes a hole. */
static void
test_apply_stable (void)
{
  MdnTestPg *pg = mdn_test_pg_shared ();
  g_autoptr(MdnTestServer) s = NULL;
  PGconn *w1, *w2;
  PGresult *res;

  if (pg == NULL)
    return;
  s = mdn_test_server_init ("apply");
  w1 = PQconnectdb (s->db);
  w2 = PQconnectdb (s->db);
#define EXEC(c, sql) do { res = PQexec (c, sql); \
    g_assert_cmpint (PQresultStatus (res) == PGRES_TUPLES_OK || PQresultStatus (res) == PGRES_COMMAND_OK, ==, 1); \
    PQclear (res); } while (0)
#define HEAD() mdn_test_pg_count (s->db, "SELECT mdn_apply_stable_head ()")
  EXEC (w1, "BEGIN");
  EXEC (w1, "SELECT mdn_apply_hold ()");                 /* before its first position */
  g_assert_cmpint (HEAD (), ==, 0);
  EXEC (w2, "BEGIN");
  EXEC (w2, "SELECT CASE WHEN mdn_apply_hold () THEN nextval ('apply_order') END");   /* 1 */
  EXEC (w2, "SELECT CASE WHEN mdn_apply_hold () THEN nextval ('apply_order') END");   /* 2 */
  EXEC (w1, "SELECT nextval ('apply_order')");           /* 3, w1 holds from 1 */
  EXEC (w2, "COMMIT");
  g_assert_cmpint (HEAD (), ==, 0);
  EXEC (w1, "COMMIT");
  g_assert_cmpint (HEAD (), ==, 3);
  EXEC (w2, "BEGIN");
  EXEC (w2, "SELECT CASE WHEN mdn_apply_hold () THEN nextval ('apply_order') END");   /* 4, rolled back */
  g_assert_cmpint (HEAD (), ==, 3);
  EXEC (w2, "ROLLBACK");
  g_assert_cmpint (HEAD (), ==, 4);
#undef HEAD
#undef EXEC
  PQfinish (w1);
  PQfinish (w2);
}

static char *
reply_text (MdnTestServer *s,
            const char    *path)
{
  g_autoptr(JsonObject) reply = NULL;
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  g_assert_cmpuint (mdn_test_http (s, "GET", path, s->hq_token, NULL, 0, &reply), ==, 200);
  json_node_set_object (node, reply);
  return json_to_string (node, FALSE);
}

/* What @s answers for the chain's stock, transfers and the reports on the
 * catalogue and stock projections equals what @ref (a process replaying all history) answers. */
static void
assert_same_stock (MdnTestServer *ref,
                   MdnTestServer *s)
{
  static const char *const paths[] = { "/api/v1/stock", "/api/v1/stock?sku=TEA", "/api/v1/transfers",
                                       "/api/v1/reports/products?format=json&from=2026-11-20&to=2026-11-20",
                                       "/api/v1/reports/product_sales?format=json&from=2026-11-20&to=2026-11-20",
                                       "/api/v1/reports/stock_moves?format=json&from=2026-11-20&to=2026-11-20" };

  for (guint i = 0; i < G_N_ELEMENTS (paths); i++)
    {
      g_autofree char *want = reply_text (ref, paths[i]);
      g_autofree char *got = reply_text (s, paths[i]);

      g_assert_cmpstr (got, ==, want);
    }
}

/* A process that replays every entry at each read, as before version 12. */
static MdnTestServer *
server_replaying (MdnTestServer *a,
                  const char    *name,
                  const char    *hq_code)
{
  MdnTestServer *s;

  g_setenv ("MENDIAN_PG_REPLAY", "1", TRUE);
  s = mdn_test_server_second (a, name, hq_code, AUTH_TTL);
  g_unsetenv ("MENDIAN_PG_REPLAY");
  return s;
}

static void
stock_chain (MdnTestServer  *a,
             MdnTestBranch **hq,
             MdnTestBranch **b1,
             MdnTestBranch **b2)
{
  *hq = mdn_test_server_branch_new (a, "HQ", 0, TRUE);
  *b1 = mdn_test_server_branch_new (a, "B01", 1, FALSE);
  *b2 = mdn_test_server_branch_new (a, "B02", 2, FALSE);
  json_object_unref (mdn_test_ok ((*hq)->admin, "{\"op\":\"product.upsert\",\"sku\":\"TEA\",\"name\":\"绿茶\","
                                                "\"kind\":\"goods\",\"price\":\"15.00\",\"category\":\"饮品/茶\"}"));
  json_object_unref (mdn_test_ok ((*hq)->admin, "{\"op\":\"product.upsert\",\"sku\":\"COLA\",\"name\":\"可乐\","
                                                "\"kind\":\"goods\",\"price\":\"3.00\",\"category\":\"饮品/汽水\"}"));
  mdn_test_sync_ok (*hq);
  mdn_test_sync_ok (*b1);
  mdn_test_sync_ok (*b2);
  for (MdnTestBranch *b = *b1; b; b = b == *b1 ? *b2 : NULL)
    json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"stock.receive\",\"lines\":[{\"sku\":\"TEA\",\"qty\":500,"
                                              "\"cost_fen\":600},{\"sku\":\"COLA\",\"qty\":300}]}"));
}

/* @n sales of stock goods at @b (private entries that move stock). */
static void
stock_sales (MdnTestBranch *b,
             int            n)
{
  for (int i = 0; i < n; i++)
    json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"%s\",\"qty\":%d}],"
                                              "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":%d}]}",
                                    i % 3 ? "TEA" : "COLA", 1 + i % 2, (i % 3 ? 1500 : 300) * (1 + i % 2)));
}

typedef struct
{
  Barrier       *bar;
  MdnTestServer *s[2];
  guint          ok;
} Reader;

/* Reads the chain's stock from both processes while the pushes run:
 * each read may move the projection's position. */
static gpointer
reader_thread (gpointer data)
{
  Reader *r = data;

  barrier_wait (r->bar);
  for (int i = 0; i < 8; i++)
    r->ok += mdn_test_http (r->s[i % 2], "GET", "/api/v1/stock", r->s[i % 2]->hq_token, NULL, 0, NULL) == 200;
  return NULL;
}

/* Two branches push stock-moving entries to two processes at once while
 * both read the chain's stock (with a projection step of 3 positions, so
 * that the reads move it and store its image under the pushes); what both
 * answer then equals a replay of every entry, and so does a process that
 * starts from the stored image. */
static void
test_two_stock (void)
{
  g_autoptr(MdnTestServer) a = NULL;
  g_autoptr(MdnTestServer) b = NULL;
  g_autoptr(MdnTestServer) ref = NULL;
  g_autoptr(MdnTestServer) fresh = NULL;
  g_autoptr(MdnTestBranch) hq = NULL;
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autoptr(MdnTestBranch) b2 = NULL;
  gint64 from1 = 1, from2 = 1;

  if (mdn_test_pg_shared () == NULL)
    return;
  g_setenv ("MENDIAN_PG_PROJECTION_STEP", "3", TRUE);
  a = server_a ();
  stock_chain (a, &hq, &b1, &b2);
  b = server_b (a);
  for (int round = 0; round < 5; round++)
    {
      g_autoptr(GPtrArray) batch1 = NULL;
      g_autoptr(GPtrArray) batch2 = NULL;
      Request r1 = { 0 }, r2 = { 0 };
      Reader reader = { 0 };
      Barrier bar = { 0 };
      GThread *t1, *t2, *tr;

      stock_sales (b1, 30 + round);
      stock_sales (b2, 25);
      if (round == 2)
        json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"transfer.out\",\"to\":\"B02\","
                                                   "\"lines\":[{\"sku\":\"TEA\",\"qty\":10}]}"));
      /* The catalogue moves too: a product renamed through A. */
      json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"product.upsert\",\"sku\":\"COLA\",\"name\":\"可乐%d\","
                                                 "\"kind\":\"goods\",\"price\":\"3.00\",\"category\":\"饮品/汽水\"}",
                                      round));
      mdn_test_sync_ok (hq);
      batch1 = mdn_test_own_entries (b1, from1, -1);
      batch2 = mdn_test_own_entries (b2, from2, -1);
      r1.s = a, r2.s = b;
      r1.method = r2.method = "POST";
      r1.path = g_strdup ("/api/v1/sync/push");
      r2.path = g_strdup (r1.path);
      r1.token = g_hash_table_lookup (a->tokens, "B01");
      r2.token = g_hash_table_lookup (a->tokens, "B02");
      r1.body = mdn_test_push_text (batch1);
      r2.body = mdn_test_push_text (batch2);
      r1.bar = r2.bar = reader.bar = &bar;
      reader.s[0] = a, reader.s[1] = b;
      t1 = g_thread_new ("b01", request_thread, &r1);
      t2 = g_thread_new ("b02", request_thread, &r2);
      tr = g_thread_new ("reader", reader_thread, &reader);
      barrier_open (&bar);
      g_thread_join (t1);
      g_thread_join (t2);
      g_thread_join (tr);
      g_assert_cmpuint (r1.status, ==, 200);
      g_assert_cmpuint (r2.status, ==, 200);
      g_assert_cmpuint (reader.ok, ==, 8);
      from1 += batch1->len;
      from2 += batch2->len;
      request_clear (&r1);
      request_clear (&r2);
    }
  /* The branches learn what was acked; B02 gets the transfer. */
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  ref = server_replaying (a, "srvR", "WEB3");
  assert_same_stock (ref, a);
  assert_same_stock (ref, b);
  /* The stock reads (outside a transaction) moved and stored the image. */
  g_assert_cmpint (mdn_test_server_count (a, "SELECT count(*) FROM srv_projections WHERE name = 'stock' "
                                             "AND covers > 0"), ==, 1);
  fresh = mdn_test_server_second (a, "srvF", "WEB4", AUTH_TTL);
  assert_same_stock (ref, fresh);
  /* The sums the projection holds are those of the stock movements stored. */
  {
    g_autoptr(JsonObject) stock = NULL;
    JsonArray *rows;
    gint64 sum = 0;

    g_assert_cmpuint (mdn_test_http (fresh, "GET", "/api/v1/stock", fresh->hq_token, NULL, 0, &stock), ==, 200);
    rows = json_object_get_array_member (stock, "rows");
    for (guint i = 0; i < json_array_get_length (rows); i++)
      sum += mdn_test_int (json_array_get_object_element (rows, i), "on_hand");
    g_assert_cmpint (sum, ==, mdn_test_server_count (a, "SELECT sum (delta) FROM movements WHERE account = 'stock'"));
  }
  g_unsetenv ("MENDIAN_PG_PROJECTION_STEP");
}

/* A database upgraded to version 12 has entries and no image: the first
 * read builds the projection from the stored rows, equal to the replay,
 * and stores it covering every entry. */
static void
test_projection_upgrade (void)
{
  g_autoptr(MdnTestServer) a = NULL;
  g_autoptr(MdnTestServer) ref = NULL;
  g_autoptr(MdnTestServer) up = NULL;
  g_autoptr(MdnTestServer) again = NULL;
  g_autoptr(MdnTestBranch) hq = NULL;
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autoptr(MdnTestBranch) b2 = NULL;
  g_autoptr(JsonObject) out = NULL;
  PGconn *c;
  PGresult *res;

  if (mdn_test_pg_shared () == NULL)
    return;
  a = server_a ();
  stock_chain (a, &hq, &b1, &b2);
  stock_sales (b1, 40);
  stock_sales (b2, 20);
  out = mdn_test_ok (b1->admin, "{\"op\":\"transfer.out\",\"to\":\"B02\",\"lines\":[{\"sku\":\"TEA\",\"qty\":7}]}");
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  json_object_unref (mdn_test_ok (b2->admin, "{\"op\":\"transfer.receive\",\"transfer_id\":\"%s\","
                                             "\"lines\":[{\"sku\":\"TEA\",\"qty\":6}]}",
                                  mdn_test_str (out, "transfer_id")));
  mdn_test_sync_ok (b2);
  /* Stopped before any read: no image, as after the migration. */
  g_assert_cmpint (mdn_test_server_stop (a, SIGTERM), ==, 0);
  c = PQconnectdb (a->db);
  res = PQexec (c, "DELETE FROM srv_projections");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COMMAND_OK);
  PQclear (res);
  PQfinish (c);
  g_assert_cmpint (mdn_test_server_count (a, "SELECT count(*) FROM srv_projections"), ==, 0);

  ref = server_replaying (a, "srvR", "WEB3");
  up = mdn_test_server_second (a, "srvU", "WEB4", AUTH_TTL);
  assert_same_stock (ref, up);
  g_assert_cmpint (mdn_test_server_count (a, "SELECT count(*) FROM srv_projections WHERE name = 'stock'"), ==, 1);
  g_assert_cmpint (mdn_test_server_count (a, "SELECT covers FROM srv_projections WHERE name = 'stock'"), ==,
                   mdn_test_server_count (a, "SELECT max (applied) FROM entry_keys"));
  /* A process started on the image stored answers the same. */
  again = mdn_test_server_second (a, "srvA2", "WEB5", AUTH_TTL);
  assert_same_stock (ref, again);
  g_assert_cmpint (mdn_test_server_stop (ref, SIGTERM), ==, 0);
}

int
main (int argc, char **argv)
{
  g_setenv ("MENDIAN_TEST_BACKEND", "pg", TRUE);
  mdn_test_set_now ("2026-11-20T10:00:00+08:00");
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pg/cluster", test_cluster);
  g_test_add_func ("/pg/commands", test_commands);
  g_test_add_func ("/pg/feed/stable-head", test_feed_stable);
  g_test_add_func ("/pg/two/sync-through-both", test_two_sync);
  g_test_add_func ("/pg/two/same-push", test_two_same_push);
  g_test_add_func ("/pg/two/authorize", test_two_authorize);
  g_test_add_func ("/pg/two/kill-mid-push", test_two_kill);
  g_test_add_func ("/pg/reconnect", test_reconnect);
  g_test_add_func ("/pg/push/held-write-fails", test_held_write_fails);
  g_test_add_func ("/pg/push/held-same-id", test_held_same_id);
  g_test_add_func ("/pg/push/held-binary", test_held_binary);
  g_test_add_func ("/pg/member-page", test_member_page);
  g_test_add_func ("/pg/report-dsn", test_report_dsn);
  g_test_add_func ("/pg/report-dsn/named", test_report_dsn_named);
  g_test_add_func ("/pg/projection/stable-head", test_apply_stable);
  g_test_add_func ("/pg/projection/two-processes", test_two_stock);
  g_test_add_func ("/pg/projection/upgrade", test_projection_upgrade);
  return g_test_run ();
}
