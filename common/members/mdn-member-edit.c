/* mdn-member-edit.c: a member's details changed after the card was issued
 * (member.update: name, phone, birthdays, note), and the level in force
 * (upgrade by spend: a level's upgrade_spent_fen / upgrade_deposit_fen
 * against the member's cumulative sums).
 *
 * Details are not sums: like the card state (mdn-members.c, "Member
 * state") they are re-derived on every member.update applied, from the
 * member's issue and all its updates in one order every terminal knows
 * (time, branch, seq), so updates arriving in any order end alike.
 *
 * The level in force needs no entry: it is derived when read from sums
 * every terminal holding the member's entries agrees on (what the
 * member's receipts add up to, what their deposits add up to). */
#define G_LOG_DOMAIN "mdn-member-edit"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-member-edit.h"
#include "mdn-members.h"

static const char *const detail_fields[] = { "name", "phone", "birthday", "birthday_lunar", "note", NULL };

/* sms_consent / sms_opt_out given to member.update: a member.sms_prefs
 * entry (its kind and apply are crm/mdn-sms.c's) with what is not given
 * kept as it is. */
static gboolean
append_sms_prefs (MdnOpCtx   *ctx,
                  MdnMember  *m,
                  JsonObject *args,
                  JsonObject *result,
                  GError    **error)
{
  gboolean has_consent = json_object_has_member (args, "sms_consent");
  gboolean has_opt_out = json_object_has_member (args, "sms_opt_out");
  gboolean consent = FALSE, opt_out = FALSE;
  g_autoptr(MdnEntry) entry = NULL;
  g_autoptr(JsonObject) sub = json_object_new ();
  sqlite3_stmt *stmt;

  if (!mdn_args_bool (args, "sms_consent", &consent, error) || !mdn_args_bool (args, "sms_opt_out", &opt_out, error))
    return FALSE;
  stmt = mdn_db_query (ctx->db, error, "SELECT sms_consent, sms_opt_out FROM members WHERE id = ?", "s", m->id);
  if (stmt == NULL || mdn_db_step (ctx->db, stmt, error) != SQLITE_ROW)
    return FALSE;
  if (!has_consent)
    consent = sqlite3_column_int (stmt, 0);
  if (!has_opt_out)
    opt_out = sqlite3_column_int (stmt, 1);
  sqlite3_reset (stmt);
  entry = mdn_entry_new ("member.sms_prefs", m->id);
  json_object_set_string_member (entry->body, "card_no", m->card_no);
  json_object_set_boolean_member (entry->body, "sms_consent", consent);
  json_object_set_boolean_member (entry->body, "sms_opt_out", opt_out);
  if (!mdn_ops_append_entry (ctx, entry, sub, error))
    return FALSE;
  json_object_set_string_member (result, "sms_entry_id", json_object_get_string_member (sub, "entry_id"));
  json_object_set_boolean_member (result, "sms_consent", consent);
  json_object_set_boolean_member (result, "sms_opt_out", opt_out);
  return TRUE;
}

/* {card, name?, phone?, birthday?, birthday_lunar?, note?, sms_consent?,
 * sms_opt_out?}: what is given changes; null (or "") clears a birthday or
 * the note. */
static gboolean
op_member_update (MdnOpCtx   *ctx,
                  JsonObject *args,
                  JsonObject *result,
                  GError    **error)
{
  g_autoptr(MdnMember) m = NULL;
  g_autoptr(MdnEntry) entry = NULL;
  guint changed = 0;
  gboolean sms;

  m = mdn_member_resolve_arg (ctx, args, error);
  if (m == NULL)
    return FALSE;
  entry = mdn_entry_new ("member.update", m->id);
  json_object_set_string_member (entry->body, "card_no", m->card_no);
  for (guint i = 0; detail_fields[i]; i++)
    {
      const char *f = detail_fields[i];
      JsonNode *node = json_object_get_member (args, f);
      const char *value = NULL;
      g_autofree char *clean = NULL;

      if (node == NULL)
        continue;
      if (!JSON_NODE_HOLDS_NULL (node) && !mdn_args_string (args, f, FALSE, &value, error))
        return FALSE;
      clean = value ? g_strstrip (g_strdup (value)) : NULL;
      if (clean && *clean == '\0')
        g_clear_pointer (&clean, g_free);
      if (g_str_equal (f, "name") || g_str_equal (f, "phone"))
        {
          if (clean == NULL)
            {
              g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           g_str_equal (f, "name") ? _("A member needs a name") : _("A member needs a phone number"));
              return FALSE;
            }
          if (g_str_equal (f, "name") && g_utf8_strlen (clean, -1) > 64)
            {
              g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                                   _("A name can have at most 64 characters"));
              return FALSE;
            }
          if (g_str_equal (f, "phone") && !mdn_member_valid_phone (clean, error))
            return FALSE;
        }
      else if (clean && g_str_equal (f, "birthday"))
        {
          const char *date = NULL;

          if (!mdn_args_date (args, f, FALSE, &date, error))
            return FALSE;
        }
      else if (clean && g_str_equal (f, "birthday_lunar") && !mdn_member_valid_lunar (clean, error))
        return FALSE;
      else if (clean && g_str_equal (f, "note") && g_utf8_strlen (clean, -1) > 500)
        {
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                               _("A note can have at most 500 characters"));
          return FALSE;
        }
      mdn_json_set_opt_string (entry->body, f, clean);
      changed++;
    }
  sms = json_object_has_member (args, "sms_consent") || json_object_has_member (args, "sms_opt_out");
  if (changed == 0 && !sms)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("Nothing to change: give a name, phone, birthday, lunar birthday or note"));
      return FALSE;
    }
  if (changed > 0 && !mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  if (sms && !append_sms_prefs (ctx, m, args, result, error))
    return FALSE;
  json_object_set_string_member (result, "card_no", m->card_no);
  json_object_set_string_member (result, "member_id", m->id);
  return TRUE;
}

typedef struct
{
  gint64  at_usec;
  char   *at;
  char   *branch;
  gint64  seq;
  char   *body;
} DetailEntry;

static void
detail_entry_clear (gpointer data)
{
  DetailEntry *e = data;

  g_free (e->at);
  g_free (e->branch);
  g_free (e->body);
}

static int
detail_entry_compare (gconstpointer a,
                      gconstpointer b)
{
  const DetailEntry *x = a, *y = b;
  int c;

  if (x->at_usec != y->at_usec)
    return x->at_usec < y->at_usec ? -1 : 1;
  if ((c = g_strcmp0 (x->at, y->at)) != 0)
    return c;
  if ((c = g_strcmp0 (x->branch, y->branch)) != 0)
    return c;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static gint64
usec_of (const char *at)
{
  g_autoptr(GDateTime) dt = at ? g_date_time_new_from_iso8601 (at, NULL) : NULL;

  return dt ? g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt) : G_MININT64;
}

/* The details of the member of @entry: the issue's, then every update in
 * order. */
static gboolean
apply_member_update (MdnDb    *db,
                     MdnEntry *entry,
                     GError  **error)
{
  g_autoptr(GArray) list = g_array_new (FALSE, TRUE, sizeof (DetailEntry));
  g_autoptr(GHashTable) values = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  sqlite3_stmt *stmt;
  int rc;

  if (entry->member_id == NULL || mdn_body_string (entry->body, "card_no") == NULL)
    return mdn_entry_malformed (entry, "card_no", error);
  g_array_set_clear_func (list, detail_entry_clear);
  /* Issue first, whatever its time says. */
  stmt = mdn_db_query (db, error,
                       "SELECT json_extract (body, '$.name'), json_extract (body, '$.phone'), "
                       "json_extract (body, '$.birthday'), json_extract (body, '$.birthday_lunar') "
                       "FROM entries WHERE member_id = ? AND kind = 'member.issue'", "s", entry->member_id);
  if (stmt == NULL)
    return FALSE;
  rc = mdn_db_step (db, stmt, error);
  if (rc == SQLITE_ROW)
    for (int i = 0; i < 4; i++)
      if (mdn_db_col_text (stmt, i))
        g_hash_table_insert (values, (gpointer) detail_fields[i], g_strdup (mdn_db_col_text (stmt, i)));
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW)
    {
      if (rc == SQLITE_DONE)
        g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_CARD,
                     _("The entry is malformed: %s %s"), entry->kind, "member");
      return FALSE;
    }

  stmt = mdn_db_query (db, error,
                       "SELECT at, branch, seq, body FROM entries WHERE member_id = ? AND kind = 'member.update'",
                       "s", entry->member_id);
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (db, stmt, error)) == SQLITE_ROW)
    {
      DetailEntry e = {
        .at = g_strdup (mdn_db_col_text (stmt, 0)),
        .branch = g_strdup (mdn_db_col_text (stmt, 1)),
        .seq = sqlite3_column_int64 (stmt, 2),
        .body = g_strdup (mdn_db_col_text (stmt, 3)),
      };

      e.at_usec = usec_of (e.at);
      g_array_append_val (list, e);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return FALSE;
  g_array_sort (list, detail_entry_compare);
  for (guint i = 0; i < list->len; i++)
    {
      g_autoptr(JsonObject) body = mdn_json_parse_object (g_array_index (list, DetailEntry, i).body, NULL);

      if (body == NULL)
        continue;
      for (guint f = 0; detail_fields[f]; f++)
        {
          JsonNode *n = json_object_get_member (body, detail_fields[f]);

          if (n == NULL)
            continue;
          if (JSON_NODE_HOLDS_NULL (n))
            g_hash_table_remove (values, detail_fields[f]);
          else if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
            g_hash_table_insert (values, (gpointer) detail_fields[f], g_strdup (json_node_get_string (n)));
        }
    }
  if (g_hash_table_lookup (values, "name") == NULL || g_hash_table_lookup (values, "phone") == NULL)
    return mdn_entry_malformed (entry, "name", error);
  return mdn_db_exec (db, error,
                      "UPDATE members SET name = ?, phone = ?, birthday = ?, birthday_lunar = ?, note = ? "
                      "WHERE id = ?", "ssssss",
                      g_hash_table_lookup (values, "name"), g_hash_table_lookup (values, "phone"),
                      g_hash_table_lookup (values, "birthday"), g_hash_table_lookup (values, "birthday_lunar"),
                      g_hash_table_lookup (values, "note"), entry->member_id);
}

/* The level in force -------------------------------------------------------------------- */

gboolean
mdn_member_sums (MdnDb      *db,
                 const char *member_id,
                 gint64     *out_spent_fen,
                 gint64     *out_deposited_fen,
                 GError    **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (db != NULL && member_id != NULL, FALSE);

  /* Receipts: sales, quick sales, timed sessions, and returns (negative). */
  stmt = mdn_db_query (db, error,
                       "SELECT (SELECT COALESCE (SUM (r.total_fen), 0) FROM entries e "
                       " JOIN receipts r ON r.entry_id = e.id WHERE e.member_id = ?1), "
                       "(SELECT COALESCE (SUM (json_extract (body, '$.amount_fen')), 0) FROM entries "
                       " WHERE member_id = ?1 AND kind = 'member.deposit')", "s", member_id);
  if (stmt == NULL || mdn_db_step (db, stmt, error) != SQLITE_ROW)
    return FALSE;
  *out_spent_fen = MAX (sqlite3_column_int64 (stmt, 0), 0);
  *out_deposited_fen = MAX (sqlite3_column_int64 (stmt, 1), 0);
  sqlite3_reset (stmt);
  return TRUE;
}

/* Levels, best first: the lower a level's price_percent, the higher it is
 * (then more points per yuan, then its code). */
#define LEVEL_ORDER "price_percent ASC, points_per_yuan DESC, code ASC"

char *
mdn_member_effective_level (MdnDb      *db,
                            const char *member_id,
                            const char *assigned,
                            char      **out_reason,
                            GError    **error)
{
  gint64 spent = 0, deposited = 0;
  g_autofree char *best = NULL;
  g_autofree char *why = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (db != NULL && member_id != NULL && assigned != NULL, NULL);

  /* No level has a threshold (the usual case): nothing to add up. */
  stmt = mdn_db_query (db, error, "SELECT 1 FROM levels WHERE upgrade_spent_fen IS NOT NULL "
                       "OR upgrade_deposit_fen IS NOT NULL LIMIT 1", "");
  if (stmt == NULL || (rc = mdn_db_step (db, stmt, error)) < 0)
    return NULL;
  sqlite3_reset (stmt);
  if (rc == SQLITE_DONE)
    {
      if (out_reason)
        *out_reason = g_strdup ("assigned");
      return g_strdup (assigned);
    }
  if (!mdn_member_sums (db, member_id, &spent, &deposited, error))
    return NULL;
  /* The best level reached by spend or deposits, if better than the one
     assigned (a level without a row ranks lowest). */
  stmt = mdn_db_query (db, error,
                       "SELECT code, upgrade_spent_fen IS NOT NULL AND ?2 >= upgrade_spent_fen FROM levels "
                       "WHERE ((upgrade_spent_fen IS NOT NULL AND ?2 >= upgrade_spent_fen) OR "
                       "       (upgrade_deposit_fen IS NOT NULL AND ?3 >= upgrade_deposit_fen)) "
                       "AND (NOT EXISTS (SELECT 1 FROM levels a WHERE a.code = ?1) OR "
                       "     (price_percent, -points_per_yuan, code) < (SELECT price_percent, -points_per_yuan, code "
                       "                                               FROM levels a WHERE a.code = ?1)) "
                       "ORDER BY " LEVEL_ORDER " LIMIT 1", "sii", assigned, spent, deposited);
  if (stmt == NULL || (rc = mdn_db_step (db, stmt, error)) < 0)
    return NULL;
  if (rc == SQLITE_ROW)
    {
      best = g_strdup (mdn_db_col_text (stmt, 0));
      why = g_strdup (sqlite3_column_int (stmt, 1) ? "spent" : "deposited");
    }
  sqlite3_reset (stmt);
  if (out_reason)
    *out_reason = best ? g_steal_pointer (&why) : g_strdup ("assigned");
  return best ? g_steal_pointer (&best) : g_strdup (assigned);
}

gboolean
mdn_member_show_details (MdnOpCtx   *ctx,
                         MdnMember  *m,
                         JsonObject *result,
                         GError    **error)
{
  g_autofree char *reason = NULL;
  g_autofree char *level = NULL;
  gint64 spent = 0, deposited = 0;
  sqlite3_stmt *stmt;

  g_return_val_if_fail (ctx != NULL && m != NULL && result != NULL, FALSE);

  stmt = mdn_db_query (ctx->db, error, "SELECT note FROM members WHERE id = ?", "s", m->id);
  if (stmt == NULL || mdn_db_step (ctx->db, stmt, error) != SQLITE_ROW)
    return FALSE;
  mdn_json_set_opt_string (result, "note", mdn_db_col_text (stmt, 0));
  sqlite3_reset (stmt);

  if (!mdn_member_sums (ctx->db, m->id, &spent, &deposited, error))
    return FALSE;
  level = mdn_member_effective_level (ctx->db, m->id, m->level, &reason, error);
  if (level == NULL)
    return FALSE;
  json_object_set_int_member (result, "spent_fen", spent);
  json_object_set_int_member (result, "deposited_fen", deposited);
  json_object_set_string_member (result, "assigned_level", m->level);
  json_object_set_string_member (result, "effective_level", level);
  /* assigned | spent | deposited: why the level in force is what it is. */
  json_object_set_string_member (result, "level_reason", reason);
  return TRUE;
}

const MdnOpDef mdn_member_edit_ops[] = {
  { "member.update", MDN_ROLE_CASHIER, MDN_OP_WRITE, op_member_update },
  { NULL }
};

const MdnKindDef mdn_member_edit_kinds[] = {
  { "member.update", apply_member_update, 0 },
  { NULL }
};
