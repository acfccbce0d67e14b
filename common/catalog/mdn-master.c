/* mdn-master.c: member levels and deposit bonus rules (master data). */
#define G_LOG_DOMAIN "mdn-master"

#include <glib/gi18n-lib.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-master.h"
#include "mdn-money.h"
#include "mdn-op.h"

static gboolean
op_level_upsert (MdnOpCtx   *ctx,
                 JsonObject *args,
                 JsonObject *result,
                 GError    **error)
{
  const char *code = NULL, *name = NULL;
  gint64 percent = 100, points = 1, offline = 0, up_spent = -1, up_deposit = -1;
  g_autoptr(MdnEntry) entry = NULL;

  if (!mdn_args_money (args, "upgrade_spent", FALSE, &up_spent, error) ||
      !mdn_args_money (args, "upgrade_deposit", FALSE, &up_deposit, error) ||
      (up_spent != -1 && !mdn_money_check_amount (up_spent, FALSE, error)) ||
      (up_deposit != -1 && !mdn_money_check_amount (up_deposit, FALSE, error)))
    return FALSE;
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

  entry = mdn_entry_new ("level.upsert", NULL);
  json_object_set_string_member (entry->body, "code", code);
  json_object_set_string_member (entry->body, "name", name);
  json_object_set_int_member (entry->body, "price_percent", percent);
  json_object_set_int_member (entry->body, "points_per_yuan", points);
  json_object_set_int_member (entry->body, "offline_limit_fen", offline);
  /* Upgrade by spend: only when given, so a level without thresholds
     writes the body it always did. */
  if (up_spent != -1)
    json_object_set_int_member (entry->body, "upgrade_spent_fen", up_spent);
  if (up_deposit != -1)
    json_object_set_int_member (entry->body, "upgrade_deposit_fen", up_deposit);
  if (!mdn_ops_append_entry (ctx, entry, result, error))
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
                      "INSERT INTO levels (code, name, price_percent, points_per_yuan, offline_limit_fen, "
                      "upgrade_spent_fen, upgrade_deposit_fen) "
                      "VALUES (?, ?, ?, ?, ?, NULLIF (?, -1), NULLIF (?, -1)) ON CONFLICT (code) DO UPDATE SET "
                      "name = excluded.name, "
                      "price_percent = excluded.price_percent, points_per_yuan = excluded.points_per_yuan, "
                      "offline_limit_fen = excluded.offline_limit_fen, upgrade_spent_fen = excluded.upgrade_spent_fen, "
                      "upgrade_deposit_fen = excluded.upgrade_deposit_fen",
                      "ssiiiii", code, name, percent, points, offline,
                      mdn_body_int (entry->body, "upgrade_spent_fen", -1),
                      mdn_body_int (entry->body, "upgrade_deposit_fen", -1));
}

static gboolean
op_level_list (MdnOpCtx   *ctx,
               JsonObject *args,
               JsonObject *result,
               GError    **error)
{
  static const MdnListColumn columns[] = {
    { "code", 's' }, { "name", 's' }, { "price_percent", 'i' }, { "points_per_yuan", 'i' },
    { "offline_limit_fen", 'i' }, { "upgrade_spent_fen", 'n' }, { "upgrade_deposit_fen", 'n' }, { NULL }
  };
  sqlite3_stmt *stmt = mdn_db_query (ctx->db, error,
                                     "SELECT code, name, price_percent, points_per_yuan, offline_limit_fen, "
                                     "upgrade_spent_fen, upgrade_deposit_fen "
                                     "FROM levels ORDER BY price_percent DESC, code", "");

  return stmt != NULL && mdn_ops_list_rows (ctx, stmt, columns, result, "levels", error);
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
  g_autoptr(MdnEntry) entry = NULL;

  if (!mdn_args_money (args, "min", TRUE, &min_fen, error) ||
      !mdn_args_money (args, "bonus", TRUE, &bonus_fen, error) ||
      !mdn_money_check_amount (min_fen, FALSE, error) ||
      !mdn_money_check_amount (bonus_fen, TRUE, error))
    return FALSE;
  entry = mdn_entry_new ("deposit_rule.upsert", NULL);
  json_object_set_int_member (entry->body, "min_fen", min_fen);
  json_object_set_int_member (entry->body, "bonus_fen", bonus_fen);
  if (!mdn_ops_append_entry (ctx, entry, result, error))
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
  static const MdnListColumn columns[] = { { "min_fen", 'i' }, { "bonus_fen", 'i' }, { NULL } };
  sqlite3_stmt *stmt = mdn_db_query (ctx->db, error,
                                     "SELECT min_fen, bonus_fen FROM deposit_rules ORDER BY min_fen", "");

  return stmt != NULL && mdn_ops_list_rows (ctx, stmt, columns, result, "rules", error);
}

const MdnOpDef mdn_master_ops[] = {
  { "level.upsert",        MDN_ROLE_MANAGER, MDN_OP_WRITE | MDN_OP_HQ, op_level_upsert },
  { "level.list",          MDN_ROLE_CASHIER, MDN_OP_READ,              op_level_list },
  { "deposit_rule.upsert", MDN_ROLE_MANAGER, MDN_OP_WRITE | MDN_OP_HQ, op_deposit_rule_upsert },
  { "deposit_rule.list",   MDN_ROLE_CASHIER, MDN_OP_READ,              op_deposit_rule_list },
  { NULL }
};

const MdnKindDef mdn_master_kinds[] = {
  { "level.upsert",        apply_level_upsert,        MDN_KIND_MASTER },
  { "deposit_rule.upsert", apply_deposit_rule_upsert, MDN_KIND_MASTER },
  { NULL }
};
