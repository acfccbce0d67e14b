/* mdn-master.c: member levels and deposit bonus rules (master data). */
#define G_LOG_DOMAIN "mdn-master"

#include <glib/gi18n-lib.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-money.h"
#include "mdn-ops.h"

static gboolean
append_master (MdnOpCtx   *ctx,
               const char *kind,
               JsonObject *body,
               JsonObject *result,
               GError    **error)
{
  g_autoptr(MdnEntry) entry = mdn_entry_new (kind, NULL);
  g_autoptr(GList) members = json_object_get_members (body);

  for (GList *l = members; l; l = l->next)
    json_object_set_member (entry->body, l->data, json_node_copy (json_object_get_member (body, l->data)));
  if (!mdn_ledger_append (ctx->store, ctx, entry, error))
    return FALSE;
  json_object_set_string_member (result, "entry_id", entry->id);
  return TRUE;
}

static gboolean
op_level_upsert (MdnOpCtx   *ctx,
                 JsonObject *args,
                 JsonObject *result,
                 GError    **error)
{
  const char *code = NULL, *name = NULL;
  gint64 percent = 100, points = 1, offline = 0;
  g_autoptr(JsonObject) body = json_object_new ();

  if (!mdn_args_string (args, "code", TRUE, &code, error) ||
      !mdn_args_string (args, "name", TRUE, &name, error) ||
      !mdn_args_int (args, "price_percent", TRUE, &percent, error) ||
      !mdn_args_int (args, "points_per_yuan", TRUE, &points, error) ||
      !mdn_args_money (args, "offline_limit", FALSE, &offline, error))
    return FALSE;
  if (percent < 1 || percent > 100)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("price_percent is what a member pays, from 1 to 100 (90 means ten percent off)"));
      return FALSE;
    }
  if (points < 0 || points > 1000)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("points_per_yuan must be between 0 and 1000"));
      return FALSE;
    }
  if (!mdn_money_check_amount (offline, TRUE, error))
    return FALSE;

  json_object_set_string_member (body, "code", code);
  json_object_set_string_member (body, "name", name);
  json_object_set_int_member (body, "price_percent", percent);
  json_object_set_int_member (body, "points_per_yuan", points);
  json_object_set_int_member (body, "offline_limit_fen", offline);
  if (!append_master (ctx, "level.upsert", body, result, error))
    return FALSE;
  json_object_set_string_member (result, "code", code);
  return TRUE;
}

static gboolean
apply_level_upsert (MdnDb    *db,
                    MdnEntry *entry,
                    GError  **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *code = NULL, *name = NULL;
  gint64 percent = 0, points = 0, offline = 0;

  if (!mdn_args_string (entry->body, "code", TRUE, &code, &local_error) ||
      !mdn_args_string (entry->body, "name", TRUE, &name, &local_error) ||
      !mdn_args_int (entry->body, "price_percent", TRUE, &percent, &local_error) ||
      !mdn_args_int (entry->body, "points_per_yuan", TRUE, &points, &local_error) ||
      !mdn_args_int (entry->body, "offline_limit_fen", TRUE, &offline, &local_error))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("The entry is malformed: %s"), local_error->message);
      return FALSE;
    }
  return mdn_db_exec (db, error,
                      "INSERT INTO levels (code, name, price_percent, points_per_yuan, offline_limit_fen) "
                      "VALUES (?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET name = excluded.name, "
                      "price_percent = excluded.price_percent, points_per_yuan = excluded.points_per_yuan, "
                      "offline_limit_fen = excluded.offline_limit_fen",
                      "ssiii", code, name, percent, points, offline);
}

static gboolean
op_level_list (MdnOpCtx   *ctx,
               JsonObject *args,
               JsonObject *result,
               GError    **error)
{
  JsonArray *list = json_array_new ();
  sqlite3_stmt *stmt;
  int rc;

  json_object_set_array_member (result, "levels", list);
  stmt = mdn_db_query (ctx->db, error,
                       "SELECT code, name, price_percent, points_per_yuan, offline_limit_fen "
                       "FROM levels ORDER BY price_percent DESC, code", "");
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
    {
      JsonObject *o = json_object_new ();

      json_object_set_string_member (o, "code", mdn_db_col_text (stmt, 0));
      json_object_set_string_member (o, "name", mdn_db_col_text (stmt, 1));
      json_object_set_int_member (o, "price_percent", sqlite3_column_int64 (stmt, 2));
      json_object_set_int_member (o, "points_per_yuan", sqlite3_column_int64 (stmt, 3));
      json_object_set_int_member (o, "offline_limit_fen", sqlite3_column_int64 (stmt, 4));
      json_array_add_object_element (list, o);
    }
  sqlite3_reset (stmt);
  return rc == SQLITE_DONE;
}

/* A deposit earns the bonus of the one rule with the largest min_fen not
 * above the amount. bonus_fen 0 removes the rule. */
static gboolean
op_deposit_rule_upsert (MdnOpCtx   *ctx,
                        JsonObject *args,
                        JsonObject *result,
                        GError    **error)
{
  gint64 min_fen = 0, bonus_fen = 0;
  g_autoptr(JsonObject) body = json_object_new ();

  if (!mdn_args_money (args, "min", TRUE, &min_fen, error) ||
      !mdn_args_money (args, "bonus", TRUE, &bonus_fen, error) ||
      !mdn_money_check_amount (min_fen, FALSE, error) ||
      !mdn_money_check_amount (bonus_fen, TRUE, error))
    return FALSE;
  json_object_set_int_member (body, "min_fen", min_fen);
  json_object_set_int_member (body, "bonus_fen", bonus_fen);
  if (!append_master (ctx, "deposit_rule.upsert", body, result, error))
    return FALSE;
  json_object_set_int_member (result, "min_fen", min_fen);
  json_object_set_int_member (result, "bonus_fen", bonus_fen);
  return TRUE;
}

static gboolean
apply_deposit_rule_upsert (MdnDb    *db,
                           MdnEntry *entry,
                           GError  **error)
{
  g_autoptr(GError) local_error = NULL;
  gint64 min_fen = 0, bonus_fen = 0;

  if (!mdn_args_int (entry->body, "min_fen", TRUE, &min_fen, &local_error) ||
      !mdn_args_int (entry->body, "bonus_fen", TRUE, &bonus_fen, &local_error))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("The entry is malformed: %s"), local_error->message);
      return FALSE;
    }
  if (bonus_fen == 0)
    return mdn_db_exec (db, error, "DELETE FROM deposit_rules WHERE min_fen = ?", "i", min_fen);
  return mdn_db_exec (db, error,
                      "INSERT INTO deposit_rules (min_fen, bonus_fen) VALUES (?, ?) "
                      "ON CONFLICT (min_fen) DO UPDATE SET bonus_fen = excluded.bonus_fen",
                      "ii", min_fen, bonus_fen);
}

static gboolean
op_deposit_rule_list (MdnOpCtx   *ctx,
                      JsonObject *args,
                      JsonObject *result,
                      GError    **error)
{
  JsonArray *list = json_array_new ();
  sqlite3_stmt *stmt;
  int rc;

  json_object_set_array_member (result, "rules", list);
  stmt = mdn_db_query (ctx->db, error, "SELECT min_fen, bonus_fen FROM deposit_rules ORDER BY min_fen", "");
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
    {
      JsonObject *o = json_object_new ();

      json_object_set_int_member (o, "min_fen", sqlite3_column_int64 (stmt, 0));
      json_object_set_int_member (o, "bonus_fen", sqlite3_column_int64 (stmt, 1));
      json_array_add_object_element (list, o);
    }
  sqlite3_reset (stmt);
  return rc == SQLITE_DONE;
}

const MdnOpDef mdn_master_ops[] = {
  { "level.upsert",        MDN_ROLE_MANAGER, MDN_OP_WRITE | MDN_OP_HQ, op_level_upsert },
  { "level.list",          MDN_ROLE_CASHIER, MDN_OP_READ,              op_level_list },
  { "deposit_rule.upsert", MDN_ROLE_MANAGER, MDN_OP_WRITE | MDN_OP_HQ, op_deposit_rule_upsert },
  { "deposit_rule.list",   MDN_ROLE_CASHIER, MDN_OP_READ,              op_deposit_rule_list },
  { NULL }
};

const MdnKindDef mdn_master_kinds[] = {
  { "level.upsert",        apply_level_upsert },
  { "deposit_rule.upsert", apply_deposit_rule_upsert },
  { NULL }
};
