/* mdn-reports.c: read-only figures for the counter: the shift summary
 * (day end) by tender, by staff and by kind of business, and how many of
 * this branch's entries still wait to reach the server.
 *
 * Money taken counts what each entry's body says changed hands: the
 * tenders of sales, quick sales and timed sessions (cash net of change),
 * minus the tenders refunded by returns, plus deposits and minus
 * withdrawals by their tender. A member's balance (or package uses) paying
 * for a sale is listed by tender but is not money taken that day: it came
 * in with the deposit, which is counted when it is made. */
#define G_LOG_DOMAIN "mdn-reports"

#include <glib/gi18n-lib.h>
#include <stdlib.h>

#include "mdn-db.h"
#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-money.h"
#include "mdn-op.h"
#include "mdn-store.h"

typedef struct
{
  gint64 count;
  gint64 amount_fen;
} Sum;

typedef struct
{
  GHashTable *by_tender;   /* tender → Sum */
  GHashTable *by_staff;    /* staff → Sum (net money) */
  GHashTable *by_kind;     /* kind → Sum */
  gint64      net_fen;
  gint64      entries;
} Shift;

static Sum *
sum_of (GHashTable *table,
        const char *key)
{
  Sum *s = g_hash_table_lookup (table, key);

  if (s == NULL)
    {
      s = g_new0 (Sum, 1);
      g_hash_table_insert (table, g_strdup (key), s);
    }
  return s;
}

/* Stored value (balance, package uses, points) is not money changing hands. */
static gboolean
is_money (const char *tender)
{
  return !g_str_equal (tender, "balance") && !g_str_equal (tender, "package") &&
         !g_str_equal (tender, "points");
}

static gboolean
add_money (Shift      *sh,
           const char *tender,
           const char *staff,
           gint64      delta,
           GError    **error)
{
  Sum *t, *s;

  tender = tender ? tender : "cash";
  t = sum_of (sh->by_tender, tender);
  s = sum_of (sh->by_staff, staff);
  t->count++;
  if (!mdn_money_add (t->amount_fen, delta, &t->amount_fen, error))
    return FALSE;
  if (!is_money (tender))
    return TRUE;
  return mdn_money_add (s->amount_fen, delta, &s->amount_fen, error) &&
         mdn_money_add (sh->net_fen, delta, &sh->net_fen, error);
}

static gint64
body_int (JsonObject *body,
          const char *name)
{
  JsonNode *n = json_object_get_member (body, name);

  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64
         ? json_node_get_int (n) : 0;
}

static gboolean
add_tenders (Shift      *sh,
             JsonObject *body,
             const char *staff,
             int         sign,
             GError    **error)
{
  JsonNode *n = json_object_get_member (body, "tenders");
  JsonArray *list = n && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;

  for (guint i = 0; list && i < json_array_get_length (list); i++)
    {
      JsonNode *e = json_array_get_element (list, i);
      JsonObject *t = JSON_NODE_HOLDS_OBJECT (e) ? json_node_get_object (e) : NULL;

      if (t && json_object_has_member (t, "type") &&
          !add_money (sh, json_object_get_string_member (t, "type"), staff,
                      sign * body_int (t, "amount_fen"), error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
add_entry (Shift      *sh,
           const char *kind,
           const char *staff,
           JsonObject *body,
           GError    **error)
{
  Sum *k;
  gint64 amount = 0;
  const char *tender = json_object_has_member (body, "tender")
                       ? json_object_get_string_member (body, "tender") : "cash";

  if (g_str_equal (kind, "sale") || g_str_equal (kind, "sale.quick") || g_str_equal (kind, "timed.stop"))
    {
      amount = body_int (body, "total_fen");
      if (!add_tenders (sh, body, staff, 1, error))
        return FALSE;
    }
  else if (g_str_equal (kind, "sale.return"))
    {
      amount = -body_int (body, "refund_fen");
      if (!add_tenders (sh, body, staff, -1, error))
        return FALSE;
    }
  else if (g_str_equal (kind, "member.deposit"))
    {
      amount = body_int (body, "amount_fen");
      if (!add_money (sh, tender, staff, amount, error))
        return FALSE;
    }
  else if (g_str_equal (kind, "member.withdraw"))
    {
      amount = -body_int (body, "amount_fen");
      if (!add_money (sh, tender, staff, amount, error))
        return FALSE;
    }
  else if (!g_str_equal (kind, "package.consume") && !g_str_equal (kind, "member.issue"))
    return TRUE;
  k = sum_of (sh->by_kind, kind);
  k->count++;
  sum_of (sh->by_staff, staff)->count++;
  sh->entries++;
  return mdn_money_add (k->amount_fen, amount, &k->amount_fen, error);
}

/* by_staff rows also carry the staff member's name. */
static gboolean
add_staff_names (MdnOpCtx   *ctx,
                 JsonArray  *by_staff,
                 GError    **error)
{
  for (guint i = 0; i < json_array_get_length (by_staff); i++)
    {
      JsonObject *o = json_array_get_object_element (by_staff, i);
      sqlite3_stmt *stmt;
      int rc;

      stmt = mdn_db_query (ctx->db, error, "SELECT name FROM staff WHERE code = ?", "s",
                           json_object_get_string_member (o, "staff"));
      if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) < 0)
        return FALSE;
      if (rc == SQLITE_ROW)
        json_object_set_string_member (o, "name", mdn_db_col_text (stmt, 0));
      sqlite3_reset (stmt);
    }
  return TRUE;
}

static JsonArray *
sums_json (GHashTable *table,
           const char *key_name)
{
  JsonArray *list = json_array_new ();
  g_autoptr(GList) keys = g_list_sort (g_hash_table_get_keys (table), (GCompareFunc) g_strcmp0);

  for (GList *l = keys; l; l = l->next)
    {
      Sum *s = g_hash_table_lookup (table, l->data);
      JsonObject *o = json_object_new ();

      json_object_set_string_member (o, key_name, l->data);
      json_object_set_int_member (o, "count", s->count);
      json_object_set_int_member (o, "amount_fen", s->amount_fen);
      json_array_add_object_element (list, o);
    }
  return list;
}

/* {date?, staff?} → the money of this branch's business day (one staff
 * member's shift when @staff is given): by_tender, by_staff (with each
 * one's name), by_kind, net. */
static gboolean
op_report_shift (MdnOpCtx   *ctx,
                 JsonObject *args,
                 JsonObject *result,
                 GError    **error)
{
  const char *date = NULL, *staff = NULL;
  Shift sh = { 0 };
  sqlite3_stmt *stmt;
  int rc;
  gboolean ok = FALSE;

  if (!mdn_args_date (args, "date", FALSE, &date, error) ||
      !mdn_args_string (args, "staff", FALSE, &staff, error))
    return FALSE;
  if (date == NULL)
    date = ctx->business_date;
  sh.by_tender = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  sh.by_staff = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  sh.by_kind = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  stmt = mdn_db_query (ctx->db, error,
                       "SELECT kind, staff, body FROM entries WHERE branch = ? AND business_date = ? "
                       "AND (?3 IS NULL OR staff = ?3) ORDER BY seq",
                       "sss", ctx->store->branch_code, date, staff);
  if (stmt == NULL)
    goto out;
  while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
    {
      g_autoptr(JsonObject) body = mdn_json_parse_object (mdn_db_col_text (stmt, 2), NULL);

      if (body == NULL)
        {
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_CORRUPT,
                               _("An entry of the day can't be read; run “mendian-cli verify”"));
          sqlite3_reset (stmt);
          goto out;
        }
      if (!add_entry (&sh, mdn_db_col_text (stmt, 0), mdn_db_col_text (stmt, 1), body, error))
        {
          sqlite3_reset (stmt);
          goto out;
        }
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    goto out;

  json_object_set_string_member (result, "date", date);
  if (staff)
    json_object_set_string_member (result, "staff", staff);
  json_object_set_string_member (result, "branch", ctx->store->branch_code);
  json_object_set_int_member (result, "entries", sh.entries);
  json_object_set_int_member (result, "net_fen", sh.net_fen);
  json_object_set_array_member (result, "by_tender", sums_json (sh.by_tender, "tender"));
  json_object_set_array_member (result, "by_staff", sums_json (sh.by_staff, "staff"));
  if (!add_staff_names (ctx, json_object_get_array_member (result, "by_staff"), error))
    goto out;
  json_object_set_array_member (result, "by_kind", sums_json (sh.by_kind, "kind"));
  ok = TRUE;
out:
  g_hash_table_unref (sh.by_tender);
  g_hash_table_unref (sh.by_staff);
  g_hash_table_unref (sh.by_kind);
  return ok;
}

const MdnOpDef mdn_report_ops[] = {
  { "report.shift",        MDN_ROLE_CASHIER, MDN_OP_READ, op_report_shift },
  { NULL }
};
