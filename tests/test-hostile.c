/* test-hostile.c: a branch's real token used against the chain. Each
 * attack is an entry of the attacking branch, correctly chained and
 * re-hashed (mdn_entry_compute_hash) as an attacker would: the server
 * refuses it (422 refused_entry, naming the entry and the reason), stores
 * nothing of its batch, and the other branches keep syncing and verifying.
 * What the server can't tell from a real operation (a cash deposit that
 * never happened) is accepted and stays attributed to its branch. */
#include <signal.h>
#include <sqlite3.h>
#include <string.h>

#include "mdn-db.h"
#include "mdn-entry-check.h"
#include "mdn-id.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-test-push.h"

typedef struct
{
  MdnTestServer *s;
  MdnTestBranch *b1;      /* the victim */
  MdnTestBranch *b2;      /* another honest branch */
  MdnTestBranch *b3;      /* the attacker's own branch database */
  const char    *t2;
  const char    *t3;
} Chain;

static JsonObject *
entry_of (MdnTestBranch *b,
          const char    *kind,
          guint          nth)
{
  g_autoptr(GPtrArray) entries = mdn_test_own_entries (b, 1, -1);

  for (guint i = 0; i < entries->len; i++)
    {
      JsonObject *o = g_ptr_array_index (entries, i);

      if (g_str_equal (json_object_get_string_member (o, "kind"), kind) && nth-- == 0)
        {
          g_autofree char *text = mdn_json_object_to_string (o);
          g_autoptr(JsonNode) node = json_from_string (text, NULL);

          return json_node_dup_object (node);
        }
    }
  g_error ("%s has no %s", b->store->branch_code, kind);
  return NULL;
}

static char *
server_text (MdnTestServer *s,
             const char    *sql,
             const char    *param)
{
  return mdn_test_server_value (s, sql, param);
}

/* @o as the attacker's next entries: its branch, the next seq after what
 * the server holds of it, chained, a new id (unless @keep_id), re-hashed. */
static void
as_attacker (Chain      *c,
             GPtrArray  *batch,
             gboolean    keep_id)
{
  g_autofree char *acked = server_text (c->s, "SELECT acked_seq FROM srv_branches WHERE code = ?", "B03");
  g_autofree char *last = server_text (c->s, "SELECT last_hash FROM srv_branches WHERE code = ?", "B03");
  gint64 seq = g_ascii_strtoll (acked, NULL, 10);

  for (guint i = 0; i < batch->len; i++)
    {
      JsonObject *o = g_ptr_array_index (batch, i);

      json_object_set_string_member (o, "branch", "B03");
      json_object_set_int_member (o, "seq", ++seq);
      json_object_set_string_member (o, "prev_hash", last);
      if (!keep_id)
        {
          g_autofree char *id = mdn_uuid7_new ();

          json_object_set_string_member (o, "id", id);
        }
      g_assert_true (mdn_test_rehash (o));
      g_free (last);
      last = g_strdup (json_object_get_string_member (o, "hash"));
    }
}

/* Pushes @batch with the attacker's token: refused with 422 refused_entry
 * naming @kind, nothing stored, and the honest branches still sync and
 * verify. */
static void
assert_refused (Chain      *c,
                GPtrArray  *batch,
                const char *kind,
                const char *reason)
{
  g_autofree char *before = mdn_test_server_digest (c->s);
  g_autofree char *after = NULL;
  g_autofree char *text = mdn_test_push_text (batch);
  g_autoptr(JsonObject) out = NULL;
  JsonObject *e;

  g_assert_cmpuint (mdn_test_http (c->s, "POST", "/api/v1/sync/push", c->t3, text, -1, &out), ==, 422);
  e = json_object_get_object_member (out, "error");
  g_test_message ("%s: %s", reason, json_object_get_string_member (e, "message"));
  g_assert_cmpstr (json_object_get_string_member (e, "code"), ==, "refused_entry");
  g_assert_cmpstr (json_object_get_string_member (out, "kind"), ==, kind);
  g_assert_true (g_str_has_prefix (json_object_get_string_member (out, "entry"), "B03#"));
  g_assert_true (json_object_has_member (out, "seq"));
  g_assert_nonnull (strstr (json_object_get_string_member (e, "message"), reason));
  after = mdn_test_server_digest (c->s);
  g_assert_cmpstr (before, ==, after);

  mdn_test_sync_ok (c->b1);
  mdn_test_sync_ok (c->b2);
  g_assert_cmpuint (mdn_test_verify (c->b1), ==, 0);
  g_assert_cmpuint (mdn_test_verify (c->b2), ==, 0);
}

static void
refuse_one (Chain      *c,
            JsonObject *o,
            gboolean    keep_id,
            const char *reason)
{
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g_autofree char *kind = g_strdup (json_object_get_string_member (o, "kind"));

  g_ptr_array_add (batch, o);
  as_attacker (c, batch, keep_id);
  assert_refused (c, batch, kind, reason);
}

static JsonObject *
movement (JsonObject *o,
          guint       i)
{
  return json_array_get_object_element (json_object_get_array_member (o, "movements"), i);
}

static void
add_movement (JsonObject *o,
              const char *account,
              gint64      delta)
{
  JsonObject *m = json_object_new ();

  mdn_json_set_opt_string (m, "member", mdn_body_string (o, "member"));
  json_object_set_string_member (m, "account", account);
  json_object_set_string_member (m, "item", "");
  json_object_set_string_member (m, "lot", "");
  json_object_set_null_member (m, "expires_on");
  json_object_set_int_member (m, "delta", delta);
  json_array_add_object_element (json_object_get_array_member (o, "movements"), m);
}

/* Only a principal movement of @delta. */
static void
set_principal (JsonObject *o,
               gint64      delta)
{
  json_object_set_array_member (o, "movements", json_array_new ());
  add_movement (o, "principal", delta);
}

/* A receipt number of the attacker's that is still free: its last four
 * digits @counter. */
static void
set_receipt (JsonObject *body,
             const char *counter)
{
  g_autofree char *receipt = g_strdup (mdn_body_string (body, "receipt_no"));

  strcpy (receipt + strlen (receipt) - 4, counter);
  json_object_set_string_member (body, "receipt_no", receipt);
}

static void
test_hostile_branch (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_new ("hostile", "--auth-ttl=600");
  g_autoptr(MdnTestBranch) hq = mdn_test_server_branch_new (s, "HQ", 0, TRUE);
  g_autoptr(MdnTestBranch) b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  g_autoptr(MdnTestBranch) b2 = mdn_test_server_branch_new (s, "B02", 2, FALSE);
  g_autoptr(MdnTestBranch) b3 = mdn_test_server_branch_new (s, "B03", 3, FALSE);
  Chain c = { s, b1, b2, b3, g_hash_table_lookup (s->tokens, "B02"), g_hash_table_lookup (s->tokens, "B03") };
  g_autoptr(JsonObject) r = NULL;
  g_autofree char *member = NULL, *card = NULL, *session = NULL, *own_auth = NULL;

  /* The chain at work: a card of B01 with money on it, spent online, a
     table running; B03 with a card and an online sale of its own. */
  json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"level.upsert\",\"code\":\"normal\",\"name\":\"Normal\","
                                             "\"price_percent\":100,\"points_per_yuan\":1,\"offline_limit\":\"0\"}"));
  mdn_test_sync_ok (hq);
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"plan.upsert\",\"local\":true,\"code\":\"T\",\"name\":\"T\",\"unit_minutes\":30,"
                                             "\"unit_price\":\"10.00\"}"));
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"resource.upsert\",\"code\":\"R\",\"name\":\"R\",\"plan\":\"T\"}"));
  r = mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"V\",\"phone\":\"13800000001\",\"deposit\":\"100.00\"}");
  member = g_strdup (mdn_test_str (r, "member_id"));
  card = g_strdup (mdn_test_str (r, "card_no"));
  mdn_test_sync_ok (b1);
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b1->admin, "{\"op\":\"sale.quick\",\"amount\":\"30.00\",\"card\":\"%s\","
                              "\"tenders\":[{\"type\":\"balance\",\"amount\":\"30.00\"}]}", card);
  g_assert_false (json_object_get_boolean_member (r, "offline"));
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b1->admin, "{\"op\":\"timed.start\",\"resource\":\"R\",\"card\":\"%s\"}", card);
  session = g_strdup (mdn_test_str (r, "session_id"));
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  mdn_test_sync_ok (b3);
  json_object_unref (mdn_test_ok (b3->admin, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"10.00\"}", card));
  g_clear_pointer (&r, json_object_unref);
  r = mdn_test_ok (b3->admin, "{\"op\":\"sale.quick\",\"amount\":\"5.00\",\"card\":\"%s\","
                              "\"tenders\":[{\"type\":\"balance\",\"amount\":\"5.00\"}]}", card);
  own_auth = g_strdup (mdn_test_str (r, "auth_id"));
  mdn_test_sync_ok (b3);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT principal_fen FROM members"), ==, 7500);

  /* Replaying B01's deposit under a new id with a forged movement. */
  {
    JsonObject *o = entry_of (b1, "member.deposit", 0);

    json_object_set_int_member (movement (o, 0), "delta", 10000000);
    refuse_one (&c, o, FALSE, "movements are not the ones its body implies");
  }
  /* Two movements of 2^63-1 (the balance became a REAL). */
  {
    JsonObject *o = entry_of (b1, "member.deposit", 0);

    add_movement (o, "principal", G_MAXINT64);
    add_movement (o, "principal", G_MAXINT64);
    refuse_one (&c, o, FALSE, "movements are not the ones its body implies");
  }
  /* The same, consistent with its body. */
  {
    JsonObject *o = entry_of (b1, "member.deposit", 0);

    json_object_set_int_member (json_object_get_object_member (o, "body"), "amount_fen", G_MAXINT64);
    json_object_set_int_member (movement (o, 0), "delta", G_MAXINT64);
    refuse_one (&c, o, FALSE, "more than an entry may hold");
  }
  /* Deposits each in range whose sum would take the card beyond 10^15
     fen: the whole batch is refused. */
  {
    g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);

    for (int i = 0; i < 1001; i++)
      {
        JsonObject *o = entry_of (b1, "member.deposit", 0);

        json_object_set_int_member (json_object_get_object_member (o, "body"), "amount_fen", MDN_ENTRY_AMOUNT_MAX);
        json_object_set_int_member (json_object_get_object_member (o, "body"), "bonus_fen", 0);
        set_principal (o, MDN_ENTRY_AMOUNT_MAX);
        g_ptr_array_add (batch, o);
      }
    as_attacker (&c, batch, FALSE);
    assert_refused (&c, batch, "member.deposit", "beyond what a card can hold");
  }
  /* A card number in B01's range: the very next one B01 would give out. */
  {
    JsonObject *o = entry_of (b1, "member.issue", 0);
    g_autofree char *next = mdn_card_no_make (1, 2);
    g_autofree char *id = mdn_uuid7_new ();

    json_object_set_string_member (json_object_get_object_member (o, "body"), "card_no", next);
    json_object_set_string_member (o, "member", id);
    refuse_one (&c, o, FALSE, "is not in the range of branch B03");
    g_clear_pointer (&r, json_object_unref);
    r = mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"W\",\"phone\":\"13800000002\"}");
    g_assert_cmpstr (mdn_test_str (r, "card_no"), ==, next);
    mdn_test_sync_ok (b1);
  }
  /* Ids taken: B01's member id, B01's entry id, a card number B03 gave out. */
  {
    JsonObject *o = entry_of (b1, "member.issue", 0);
    g_autofree char *mine = mdn_card_no_make (3, 1);

    json_object_set_string_member (json_object_get_object_member (o, "body"), "card_no", mine);
    refuse_one (&c, o, FALSE, "member id");
  }
  {
    JsonObject *o = entry_of (b1, "member.deposit", 0);

    refuse_one (&c, o, TRUE, "is taken by an entry of branch B01");
  }
  {
    /* A replacement card with a number of B01's. */
    JsonObject *o = entry_of (b1, "member.issue", 0);
    JsonObject *body = json_object_new ();
    g_autofree char *theirs = mdn_card_no_make (1, 5);

    json_object_set_string_member (o, "kind", "member.replace");
    json_object_set_string_member (body, "old_card_no", card);
    json_object_set_string_member (body, "card_no", theirs);
    json_object_set_object_member (o, "body", body);
    refuse_one (&c, o, FALSE, "is not in the range of branch B03");
  }
  /* Receipt numbers: another branch's, and one B03 used already. */
  {
    JsonObject *o = entry_of (b3, "sale.quick", 0);
    const char *receipt = mdn_body_string (json_object_get_object_member (o, "body"), "receipt_no");
    g_autofree char *theirs = g_strconcat ("B01", receipt + 3, NULL);

    json_object_set_string_member (json_object_get_object_member (o, "body"), "receipt_no", theirs);
    json_object_remove_member (json_object_get_object_member (o, "body"), "auth_id");
    refuse_one (&c, o, FALSE, "not a receipt number of branch B03");
  }
  {
    JsonObject *o = entry_of (b3, "sale.quick", 0);

    json_object_remove_member (json_object_get_object_member (o, "body"), "auth_id");
    refuse_one (&c, o, FALSE, "is taken");
  }
  /* Authorizations: B01's, one B02 took under B03's name, B03's own again. */
  {
    JsonObject *o = entry_of (b3, "sale.quick", 0);
    JsonObject *body = json_object_get_object_member (o, "body");
    g_autofree char *b1_auth = server_text (s, "SELECT auth_id FROM srv_authorizations WHERE branch = ?", "B01");
    g_autofree char *path = g_strdup_printf ("/api/v1/members/%s/authorize", member);
    g_autoptr(JsonObject) granted = NULL;

    set_receipt (body, "0099");
    json_object_set_string_member (body, "auth_id", b1_auth);
    refuse_one (&c, json_object_ref (o), FALSE, "is not one of branch B03");

    g_assert_cmpuint (mdn_test_http (s, "POST", path, c.t2,
                                     "{\"auth_id\":\"B03-taken-by-B02\",\"amount_fen\":500,\"kind\":\"balance\"}",
                                     -1, &granted), ==, 200);
    json_object_set_string_member (body, "auth_id", "B03-taken-by-B02");
    refuse_one (&c, json_object_ref (o), FALSE, "was given to branch B02");

    json_object_set_string_member (body, "auth_id", own_auth);
    refuse_one (&c, o, FALSE, "was used before");
  }
  /* An authorization named by a kind that is made under none. */
  {
    JsonObject *o = entry_of (b3, "member.deposit", 0);

    json_object_set_string_member (json_object_get_object_member (o, "body"), "auth_id", own_auth);
    refuse_one (&c, o, FALSE, "is made under no authorization");
  }
  /* Stopping B01's table: B01's own stop (made now, not pushed yet) as B03's. */
  {
    JsonObject *o;
    JsonObject *body;

    json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"timed.stop\",\"session_id\":\"%s\","
                                               "\"tenders\":[{\"type\":\"cash\",\"amount\":\"100.00\"}]}", session));
    o = entry_of (b1, "timed.stop", 0);
    body = json_object_get_object_member (o, "body");
    {
      g_autofree char *receipt = g_strconcat ("B03", mdn_body_string (body, "receipt_no") + 3, NULL);

      json_object_set_string_member (body, "receipt_no", receipt);
    }
    refuse_one (&c, o, FALSE, "which branch B03 did not start");
  }
  /* A write-off, from a branch that isn't the HQ terminal. */
  {
    JsonObject *o = entry_of (b1, "member.deposit", 0);
    JsonObject *body = json_object_new ();

    json_object_set_string_member (o, "kind", "exception.write_off");
    json_object_set_string_member (body, "card_no", card);
    json_object_set_string_member (body, "reason", "x");
    json_object_set_int_member (body, "written_off_fen", 10000);
    json_object_set_int_member (body, "written_off_points", 0);
    json_object_set_object_member (o, "body", body);
    set_principal (o, 10000);
    refuse_one (&c, o, FALSE, "only the head-office terminal");
  }
  /* A return giving the card back more than the sale took from it. */
  {
    JsonObject *o = entry_of (b3, "sale.quick", 0);
    JsonObject *body = json_object_new ();
    JsonArray *tenders = json_array_new ();
    JsonObject *t = json_object_new ();
    g_autofree char *sale = server_text (s, "SELECT id FROM entries WHERE branch = 'B01' AND kind = ?", "sale.quick");

    json_object_set_string_member (body, "receipt_no",
                                   mdn_body_string (json_object_get_object_member (o, "body"), "receipt_no"));
    set_receipt (body, "0098");
    json_object_set_string_member (o, "kind", "sale.return");
    json_object_set_string_member (body, "sale_entry", sale);
    json_object_set_string_member (body, "sale_kind", "sale.quick");
    json_object_set_string_member (body, "sale_receipt_no", "B01-x");
    json_object_set_string_member (body, "card_no", card);
    json_object_set_int_member (body, "refund_fen", 100000);
    json_object_set_int_member (body, "principal_fen", 100000);
    json_object_set_int_member (body, "bonus_fen", 0);
    json_object_set_int_member (body, "points_taken", 0);
    json_object_set_boolean_member (body, "complete", TRUE);
    json_object_set_string_member (t, "type", "balance");
    json_object_set_int_member (t, "amount_fen", 100000);
    json_array_add_object_element (tenders, t);
    json_object_set_array_member (body, "tenders", tenders);
    json_object_set_object_member (o, "body", body);
    set_principal (o, 100000);
    refuse_one (&c, o, FALSE, "gives back more than sale");
  }

  /* What can't be told from a real operation is accepted and attributed:
     a cash deposit B03 says it took, a card reported lost at B03. */
  {
    g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
    g_autoptr(JsonObject) out = NULL;
    g_autofree char *text = NULL;
    g_autofree char *staff = NULL;
    JsonObject *o = entry_of (b1, "member.deposit", 0);

    g_ptr_array_add (batch, o);
    as_attacker (&c, batch, FALSE);
    text = mdn_test_push_text (batch);
    g_assert_cmpuint (mdn_test_http (s, "POST", "/api/v1/sync/push", c.t3, text, -1, &out), ==, 200);
    staff = server_text (s, "SELECT branch || '/' || staff FROM entries WHERE id = ?",
                         json_object_get_string_member (o, "id"));
    g_assert_cmpstr (staff, ==, "B03/admin");
  }

  /* Everyone, the attacker's own database included, still syncs and verifies. */
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  mdn_test_sync_ok (hq);
  g_assert_cmpuint (mdn_test_verify (b1), ==, 0);
  g_assert_cmpuint (mdn_test_verify (b2), ==, 0);
  g_assert_cmpuint (mdn_test_verify (hq), ==, 0);
  g_assert_cmpint (mdn_test_count (b2, "SELECT count(*) FROM members"), ==, 2);
  g_assert_cmpint (mdn_test_server_stop (s, SIGTERM), ==, 0);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/hostile/branch-token", test_hostile_branch);
  return g_test_run ();
}
