/* mdn-commission.c: commission rules and the commission an entry records
 * (mdn-commission.h). */
#define G_LOG_DOMAIN "mdn-commission"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-commission.h"
#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-money.h"

#define PERCENT_BP_MAX ((gint64) 10000)   /* 100 % */

static const char *const rule_kinds[] = { "sale_line", "card_issue", "deposit", "package_use", "timed", NULL };

gboolean
mdn_commission_check_staff (MdnOpCtx   *ctx,
                            const char *staff,
                            GError    **error)
{
  sqlite3_stmt *stmt;
  int rc;

  if (staff == NULL)
    return TRUE;
  stmt = mdn_db_query (ctx->db, error, "SELECT 1 FROM staff WHERE code = ? AND active = 1", "s", staff);
  if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) < 0)
    return FALSE;
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_STAFF,
                   _("No staff member %s works at this branch (who served?)"), staff);
      return FALSE;
    }
  return TRUE;
}

typedef struct
{
  char  *code;
  char  *base;
  gint64 percent_bp;
  gint64 fixed_fen;
} Rule;

/* The rule in force for @kind and @sku, most specific first: one naming
 * the sku, then the longest category, then the first code. Picked here
 * from the few matching rows rather than by ORDER BY, which would build a
 * temporary B-tree on every sale line even when there is no rule. */
static gboolean
find_rule (MdnOpCtx   *ctx,
           const char *kind,
           const char *sku,
           Rule       *out,
           GError    **error)
{
  sqlite3_stmt *stmt;
  gint64 best_general = 0, best_len = 0;
  int rc;

  stmt = mdn_db_query (ctx->db, error,
                       "SELECT r.code, r.base, r.percent_bp, r.fixed_fen, r.sku IS NULL, "
                       "length (COALESCE (r.category, '')) FROM commission_rules r "
                       "LEFT JOIN products p ON p.sku = ?2 "
                       "WHERE r.active = 1 AND r.kind = ?1 AND (r.sku IS NULL OR r.sku = ?2) "
                       "AND (r.category IS NULL OR p.category = r.category "
                       "     OR substr (p.category, 1, length (r.category) + 1) = r.category || '/')",
                       "ss", kind, sku);
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
    {
      const char *code = mdn_db_col_text (stmt, 0);
      gint64 general = sqlite3_column_int64 (stmt, 4);
      gint64 len = sqlite3_column_int64 (stmt, 5);

      if (out->code != NULL &&
          (general > best_general ||
           (general == best_general && (len < best_len ||
                                        (len == best_len && strcmp (code, out->code) >= 0)))))
        continue;
      g_free (out->code);
      g_free (out->base);
      out->code = g_strdup (code);
      out->base = g_strdup (mdn_db_col_text (stmt, 1));
      out->percent_bp = sqlite3_column_int64 (stmt, 2);
      out->fixed_fen = sqlite3_column_int64 (stmt, 3);
      best_general = general;
      best_len = len;
    }
  sqlite3_reset (stmt);
  if (rc < 0)
    {
      g_clear_pointer (&out->code, g_free);
      g_clear_pointer (&out->base, g_free);
      return FALSE;
    }
  return TRUE;
}

static JsonArray *
commission_list (MdnEntry *entry)
{
  JsonArray *list = mdn_body_array (entry->body, "commission");

  if (list == NULL)
    {
      list = json_array_new ();
      json_object_set_array_member (entry->body, "commission", list);
    }
  return list;
}

gboolean
mdn_commission_add (MdnOpCtx    *ctx,
                    MdnEntry    *entry,
                    const char  *kind,
                    const char  *sku,
                    const char  *staff,
                    gint64       line,
                    gint64       paid_fen,
                    gint64       list_fen,
                    gint64       qty,
                    GError     **error)
{
  Rule r = { 0 };
  gint64 base, amount;
  JsonObject *o;
  gboolean ok = TRUE;

  g_return_val_if_fail (ctx != NULL && entry != NULL && g_strv_contains (rule_kinds, kind), FALSE);

  if (!mdn_commission_check_staff (ctx, staff, error) || !find_rule (ctx, kind, sku, &r, error))
    return FALSE;
  if (r.code == NULL)
    return TRUE;
  base = g_strcmp0 (r.base, "list") == 0 ? list_fen : paid_fen;
  if (!mdn_money_commission (MAX (base, 0), r.percent_bp, r.fixed_fen, MAX (qty, 0), &amount))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_MONEY_OVERFLOW, _("The commission is too large"));
      ok = FALSE;
    }
  else if (amount > 0)
    {
      o = json_object_new ();
      if (line > 0)
        json_object_set_int_member (o, "line", line);
      json_object_set_string_member (o, "staff", staff ? staff : ctx->staff);
      json_object_set_string_member (o, "rule", r.code);
      mdn_json_set_opt_string (o, "sku", sku);
      json_object_set_int_member (o, "base_fen", MAX (base, 0));
      json_object_set_int_member (o, "qty", MAX (qty, 0));
      json_object_set_int_member (o, "percent_bp", r.percent_bp);
      json_object_set_int_member (o, "fixed_fen", r.fixed_fen);
      json_object_set_int_member (o, "amount_fen", amount);
      json_array_add_object_element (commission_list (entry), o);
    }
  g_free (r.code);
  g_free (r.base);
  return ok;
}

gboolean
mdn_commission_reverse (MdnEntry       *ret,
                        const MdnEntry *sale,
                        JsonArray      *lines,
                        gint64          refund,
                        gint64          sale_total,
                        GError        **error)
{
  JsonArray *given = mdn_body_array (sale->body, "commission");

  for (guint i = 0; given && i < json_array_get_length (given); i++)
    {
      JsonNode *n = json_array_get_element (given, i);
      JsonObject *c = JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
      gint64 amount, qty, back = 0, num = 0, den = 0;
      JsonObject *o;

      if (c == NULL)
        continue;
      amount = mdn_body_int (c, "amount_fen", 0);
      qty = mdn_body_int (c, "qty", 0);
      if (lines)
        {
          gint64 line = mdn_body_int (c, "line", 0);

          for (guint j = 0; j < json_array_get_length (lines); j++)
            {
              JsonObject *l = json_array_get_object_element (lines, j);

              if (l && mdn_body_int (l, "line", -1) == line)
                num = mdn_body_int (l, "qty", 0);
            }
          den = qty;
        }
      else
        {
          num = refund;
          den = sale_total;
        }
      if (num <= 0 || den <= 0 || amount <= 0)
        continue;
      if (!mdn_money_mul_div (amount, MIN (num, den), den, TRUE, &back, error))
        return FALSE;
      if (back == 0)
        continue;
      o = json_object_new ();
      if (json_object_has_member (c, "line"))
        json_object_set_int_member (o, "line", mdn_body_int (c, "line", 0));
      json_object_set_string_member (o, "staff", mdn_body_string (c, "staff"));
      json_object_set_string_member (o, "rule", mdn_body_string (c, "rule"));
      mdn_json_set_opt_string (o, "sku", mdn_body_string (c, "sku"));
      json_object_set_int_member (o, "base_fen", 0);
      json_object_set_int_member (o, "qty", lines ? -MIN (num, den) : 0);
      json_object_set_int_member (o, "percent_bp", mdn_body_int (c, "percent_bp", 0));
      json_object_set_int_member (o, "fixed_fen", mdn_body_int (c, "fixed_fen", 0));
      json_object_set_int_member (o, "amount_fen", -back);
      json_object_set_boolean_member (o, "reverses", TRUE);
      json_array_add_object_element (commission_list (ret), o);
    }
  return TRUE;
}

/* commission_rule.upsert {code, name, applies_to: {kind, sku?, category?},
 * base: "paid" | "list", percent_bp?, fixed_fen? (or fixed: "1.50"),
 * active?} */
static gboolean
op_rule_upsert (MdnOpCtx   *ctx,
                JsonObject *args,
                JsonObject *result,
                GError    **error)
{
  const char *code = NULL, *name = NULL, *kind = NULL, *sku = NULL, *category = NULL, *base = "paid";
  gint64 bp = 0, fixed = 0;
  gboolean active = TRUE;
  JsonObject *applies;
  g_autoptr(MdnEntry) entry = NULL;

  if (!mdn_args_string (args, "code", TRUE, &code, error) ||
      !mdn_args_string (args, "name", TRUE, &name, error) ||
      !mdn_args_string (args, "base", FALSE, &base, error) ||
      !mdn_args_int (args, "percent_bp", FALSE, &bp, error) ||
      !mdn_args_money (args, "fixed", FALSE, &fixed, error) ||
      !mdn_args_bool (args, "active", &active, error))
    return FALSE;
  base = base ? base : "paid";
  applies = json_object_has_member (args, "applies_to") &&
            JSON_NODE_HOLDS_OBJECT (json_object_get_member (args, "applies_to"))
            ? json_object_get_object_member (args, "applies_to") : NULL;
  if (applies == NULL)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("Say what the rule applies to: applies_to {kind, sku?, category?}"));
      return FALSE;
    }
  if (!mdn_args_string (applies, "kind", TRUE, &kind, error) ||
      !mdn_args_string (applies, "sku", FALSE, &sku, error) ||
      !mdn_args_string (applies, "category", FALSE, &category, error))
    return FALSE;
  if (!g_strv_contains (rule_kinds, kind))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("A commission rule applies to sale_line, card_issue, deposit, package_use or timed, not “%s”"),
                   kind);
      return FALSE;
    }
  if (!g_str_equal (base, "paid") && !g_str_equal (base, "list"))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("A commission is on what was paid (“paid”) or the list price (“list”)"));
      return FALSE;
    }
  if (bp < 0 || bp > PERCENT_BP_MAX)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("percent_bp is in basis points, from 0 to 10000 (100 %)"));
      return FALSE;
    }
  if (!mdn_money_check_amount (fixed, TRUE, error))
    return FALSE;
  if (bp == 0 && fixed == 0)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("Give the rule a rate (percent_bp) or a fixed amount per unit"));
      return FALSE;
    }
  entry = mdn_entry_new ("commission_rule.upsert", NULL);
  json_object_set_string_member (entry->body, "code", code);
  json_object_set_string_member (entry->body, "name", name);
  json_object_set_string_member (entry->body, "kind", kind);
  mdn_json_set_opt_string (entry->body, "sku", sku);
  mdn_json_set_opt_string (entry->body, "category", category);
  json_object_set_string_member (entry->body, "base", base);
  json_object_set_int_member (entry->body, "percent_bp", bp);
  json_object_set_int_member (entry->body, "fixed_fen", fixed);
  json_object_set_boolean_member (entry->body, "active", active);
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "code", code);
  return TRUE;
}

static gboolean
apply_rule_upsert (MdnDb    *db,
                   MdnEntry *entry,
                   GError  **error)
{
  JsonObject *b = entry->body;
  const char *code = mdn_body_string (b, "code"), *name = mdn_body_string (b, "name");
  const char *kind = mdn_body_string (b, "kind"), *base = mdn_body_string (b, "base");

  if (code == NULL || name == NULL || kind == NULL || base == NULL)
    return mdn_entry_malformed (entry, "code, name, kind, base", error);
  return mdn_db_exec (db, error,
                      "INSERT INTO commission_rules (code, name, kind, sku, category, base, percent_bp, fixed_fen, active) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET name = excluded.name, "
                      "kind = excluded.kind, sku = excluded.sku, category = excluded.category, base = excluded.base, "
                      "percent_bp = excluded.percent_bp, fixed_fen = excluded.fixed_fen, active = excluded.active",
                      "ssssssiii", code, name, kind, mdn_body_string (b, "sku"), mdn_body_string (b, "category"),
                      base, mdn_body_int (b, "percent_bp", 0), mdn_body_int (b, "fixed_fen", 0),
                      (gint64) (!json_object_has_member (b, "active") || json_object_get_boolean_member (b, "active")));
}

static gboolean
op_rule_list (MdnOpCtx   *ctx,
              JsonObject *args,
              JsonObject *result,
              GError    **error)
{
  static const MdnListColumn columns[] = {
    { "code", 's' }, { "name", 's' }, { "kind", 's' }, { "sku", 's' }, { "category", 's' }, { "base", 's' },
    { "percent_bp", 'i' }, { "fixed_fen", 'i' }, { "active", 'b' }, { NULL }
  };
  sqlite3_stmt *stmt = mdn_db_query (ctx->db, error,
                                     "SELECT code, name, kind, sku, category, base, percent_bp, fixed_fen, active "
                                     "FROM commission_rules ORDER BY kind, code", "");

  return stmt != NULL && mdn_ops_list_rows (ctx, stmt, columns, result, "rules", error);
}

const MdnOpDef mdn_commission_ops[] = {
  { "commission_rule.upsert", MDN_ROLE_MANAGER, MDN_OP_WRITE | MDN_OP_HQ, op_rule_upsert },
  { "commission_rule.list",   MDN_ROLE_CASHIER, MDN_OP_READ,              op_rule_list },
  { NULL }
};

const MdnKindDef mdn_commission_kinds[] = {
  { "commission_rule.upsert", apply_rule_upsert, MDN_KIND_MASTER },
  { NULL }
};
