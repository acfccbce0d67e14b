/* mdn-stock.c: stock (库存): receiving goods (进货), issuing them (出库 /
 * 报损), counts that don't close the shop (盘点), transfers between
 * branches with an in-transit state (调拨), low and high thresholds, and
 * the stock of a branch (stock.show, stock.list) or of the chain (the
 * server's rows, mdn_stock_chain_rows).
 *
 * Every change of a quantity is an entry with stock movements; the rest
 * (average costs, thresholds, counts, transfers) are projections of the
 * same entries, rebuilt by the apply functions below. docs/stock.md says
 * what each operation does and the one rounding rule of the average cost.
 */
#define G_LOG_DOMAIN "mdn-stock"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <string.h>

#include "mdn-catalog.h"
#include "mdn-error.h"
#include "mdn-id.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-money.h"
#include "mdn-op.h"
#include "mdn-settings.h"
#include "mdn-stock.h"

static const char *const issue_reasons[] = { "damage", "internal", "other", NULL };

/* Helpers ----------------------------------------------------------------------- */

static gboolean
invalid (GError    **error,
         const char *message)
{
  g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, message);
  return FALSE;
}

static gint64
on_hand (MdnDb      *db,
         const char *branch,
         const char *sku,
         GError    **error)
{
  sqlite3_stmt *stmt = mdn_db_query (db, error, "SELECT qty FROM stock WHERE branch = ? AND item = ?",
                                     "ss", branch, sku);
  gint64 qty = 0;
  int rc;

  if (stmt == NULL || (rc = mdn_db_step (db, stmt, error)) < 0)
    return G_MININT64;
  if (rc == SQLITE_ROW)
    qty = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return qty;
}

/* The average cost of @sku at @branch; -1 if none was ever recorded. */
static gint64
avg_cost (MdnDb      *db,
          const char *branch,
          const char *sku,
          GError    **error)
{
  sqlite3_stmt *stmt = mdn_db_query (db, error,
                                     "SELECT avg_cost_fen FROM stock_costs WHERE branch = ? AND item = ?",
                                     "ss", branch, sku);
  gint64 cost = -1;
  int rc;

  if (stmt == NULL || (rc = mdn_db_step (db, stmt, error)) < 0)
    return G_MININT64;
  if (rc == SQLITE_ROW)
    cost = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return cost;
}

gint64
mdn_stock_unit_cost (MdnDb      *db,
                     const char *branch,
                     const char *sku,
                     gint64      standard_cost_fen,
                     GError    **error)
{
  gint64 cost;

  g_return_val_if_fail (db != NULL && branch != NULL && sku != NULL, G_MININT64);

  cost = avg_cost (db, branch, sku, error);
  if (cost == G_MININT64 || cost >= 0)
    return cost;
  return standard_cost_fen >= 0 ? standard_cost_fen : -1;
}

/* "RK-B01-20261120-0001": a document number per prefix, branch and day. */
static char *
doc_no_new (MdnOpCtx   *ctx,
            const char *prefix,
            GError    **error)
{
  g_autofree char *day = g_strdup (ctx->business_date);
  g_autofree char *counter = NULL;
  gint64 n = 0;
  char *w = day;

  for (const char *r = ctx->business_date; *r; r++)
    if (*r != '-')
      *w++ = *r;
  *w = '\0';
  counter = g_strdup_printf ("doc/%s/%s", prefix, day);
  if (!mdn_db_counter_next (ctx->db, counter, &n, error))
    return NULL;
  return g_strdup_printf ("%s-%s-%s-%04" PRId64, prefix, ctx->store->branch_code, day, n);
}

static gboolean
optional_text (JsonObject  *args,
               const char  *name,
               glong        max,
               char       **out,
               GError     **error)
{
  const char *text = NULL;

  if (!mdn_args_string (args, name, FALSE, &text, error))
    return FALSE;
  if (text == NULL)
    return TRUE;
  *out = g_strstrip (g_strdup (text));
  if (**out == '\0')
    g_clear_pointer (out, g_free);
  else if (g_utf8_strlen (*out, -1) > max)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("“%s” can have at most %ld characters"), name, max);
      return FALSE;
    }
  return TRUE;
}

/* One requested line: a goods product and a quantity. */
typedef struct
{
  MdnProduct *product;
  gint64      qty;
  gint64      cost_fen;    /* stock.receive: -1 when not given */
} Line;

static void
line_clear (gpointer data)
{
  Line *l = data;

  mdn_product_free (l->product);
}

/* The "lines" of @args: [{sku (or barcode), qty (or @qty_name), cost_fen?}].
 * With @merge, a sku given twice is one line of the sum. Only goods have
 * stock; an archived product is refused when @active_only. */
static GArray *
parse_lines (MdnOpCtx   *ctx,
             JsonObject *args,
             const char *qty_name,
             gint64      qty_min,
             gboolean    with_cost,
             gboolean    merge,
             gboolean    active_only,
             GError    **error)
{
  g_autoptr(GArray) lines = g_array_new (FALSE, TRUE, sizeof (Line));
  JsonArray *array = mdn_args_array (args, "lines", TRUE, error);

  g_array_set_clear_func (lines, line_clear);
  if (array == NULL)
    return NULL;
  if (json_array_get_length (array) == 0)
    return invalid (error, _("Add at least one product")), NULL;
  if (json_array_get_length (array) > 1000)
    return invalid (error, _("One document can have at most 1000 lines")), NULL;
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonObject *o = mdn_args_element_object (array, i, "lines", error);
      const char *sku = NULL;
      gint64 qty = 0, cost = -1;
      g_autoptr(MdnProduct) p = NULL;
      gboolean merged = FALSE;

      if (o == NULL || !mdn_args_string (o, "sku", TRUE, &sku, error) ||
          !mdn_args_int (o, qty_name, TRUE, &qty, error))
        return NULL;
      if (with_cost && !mdn_args_money (o, "cost", FALSE, &cost, error))
        return NULL;
      if ((p = mdn_product_find (ctx->db, sku, error)) == NULL)
        return NULL;
      if (!g_str_equal (p->kind, "goods"))
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                       _("%s is not goods and has no stock"), p->name);
          return NULL;
        }
      if (active_only && !p->active)
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                       _("%s is archived and can't be received"), p->name);
          return NULL;
        }
      if (qty < qty_min || qty > MDN_STOCK_QTY_MAX)
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                       _("The quantity of %s must be a whole number from %" PRId64 " to %" PRId64),
                       p->name, qty_min, MDN_STOCK_QTY_MAX);
          return NULL;
        }
      if ((cost != -1 || json_object_has_member (o, "cost_fen")) && (cost < 0 || cost > MDN_MONEY_MAX))
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                       _("The cost of %s must be 0 or more"), p->name);
          return NULL;
        }
      for (guint j = 0; merge && j < lines->len && !merged; j++)
        {
          Line *l = &g_array_index (lines, Line, j);

          if (g_str_equal (l->product->sku, p->sku))
            {
              if (qty_min == 0)
                l->qty = qty;   /* a count: the last one wins */
              else
                l->qty += qty;
              if (l->qty > MDN_STOCK_QTY_MAX)
                return invalid (error, _("Too many units of one product in one document")), NULL;
              merged = TRUE;
            }
        }
      if (!merged)
        {
          Line l = { g_steal_pointer (&p), qty, cost };

          g_array_append_val (lines, l);
        }
    }
  return g_steal_pointer (&lines);
}

static JsonObject *
line_json (Line *l)
{
  JsonObject *o = json_object_new ();

  json_object_set_string_member (o, "sku", l->product->sku);
  json_object_set_string_member (o, "name", l->product->name);
  return o;
}

/* The body's "lines" of an entry that takes @lines out of stock (an issue,
 * a transfer out), each {sku, name, qty}, with their stock movements. */
static void
add_lines_out (MdnEntry *entry,
               GArray   *lines)
{
  JsonArray *body_lines = json_array_new ();

  json_object_set_array_member (entry->body, "lines", body_lines);
  for (guint i = 0; i < lines->len; i++)
    {
      Line *l = &g_array_index (lines, Line, i);
      JsonObject *o = line_json (l);

      json_object_set_int_member (o, "qty", l->qty);
      json_array_add_object_element (body_lines, o);
      mdn_entry_add_movement (entry, NULL, "stock", l->product->sku, NULL, NULL, -l->qty);
    }
}

/* Refuses a line that takes more than is on hand. */
static gboolean
check_enough (MdnOpCtx *ctx,
              Line     *l,
              GError  **error)
{
  gint64 have = on_hand (ctx->db, ctx->store->branch_code, l->product->sku, error);

  if (have == G_MININT64)
    return FALSE;
  if (have < l->qty)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INSUFFICIENT_STOCK,
                   _("Only %" PRId64 " of %s on hand, not %" PRId64 "; count it first if the books are wrong"),
                   have, l->product->name, l->qty);
      return FALSE;
    }
  return TRUE;
}

/* stock.receive ------------------------------------------------------------------- */

/* The moving average after receiving @qty units at @cost (fen each) onto
 * @have units at @avg: round_half_up ((have × avg + qty × cost) / (have +
 * qty)); when nothing (or less than nothing) was on hand, or no average was
 * known, the receipt's cost. */
static gboolean
moving_average (gint64  have,
                gint64  avg,
                gint64  qty,
                gint64  cost,
                gint64 *out,
                GError **error)
{
  gint64 old_value, new_value, total, units;

  if (have <= 0 || avg < 0)
    {
      *out = cost;
      return TRUE;
    }
  if (!mdn_money_mul (have, avg, &old_value, error) || !mdn_money_mul (qty, cost, &new_value, error) ||
      !mdn_money_add (old_value, new_value, &total, error))
    return FALSE;
  units = have + qty;
  return mdn_money_mul_div (total, 1, units, TRUE, out, error);
}

static gboolean
op_receive (MdnOpCtx   *ctx,
            JsonObject *args,
            JsonObject *result,
            GError    **error)
{
  g_autoptr(GArray) lines = NULL;
  g_autofree char *supplier = NULL;
  g_autofree char *note = NULL;
  g_autofree char *doc_no = NULL;
  g_autoptr(MdnEntry) entry = NULL;
  JsonArray *body_lines;
  gint64 total = 0;

  if (!optional_text (args, "supplier", 64, &supplier, error) ||
      !optional_text (args, "note", 200, &note, error) ||
      (lines = parse_lines (ctx, args, "qty", 1, TRUE, FALSE, TRUE, error)) == NULL ||
      (doc_no = doc_no_new (ctx, "RK", error)) == NULL)
    return FALSE;

  entry = mdn_entry_new ("stock.receive", NULL);
  json_object_set_string_member (entry->body, "doc_no", doc_no);
  mdn_json_set_opt_string (entry->body, "supplier", supplier);
  mdn_json_set_opt_string (entry->body, "note", note);
  body_lines = json_array_new ();
  json_object_set_array_member (entry->body, "lines", body_lines);
  for (guint i = 0; i < lines->len; i++)
    {
      Line *l = &g_array_index (lines, Line, i);
      JsonObject *o = line_json (l);
      gint64 cost = l->cost_fen, value;

      /* No cost given: the product's standard cost, else the average. */
      if (cost < 0)
        cost = l->product->cost_fen;
      if (cost < 0 && (cost = avg_cost (ctx->db, ctx->store->branch_code, l->product->sku, error)) == G_MININT64)
        return FALSE;
      if (cost < 0)
        cost = 0;
      if (!mdn_money_mul (l->qty, cost, &value, error) || !mdn_money_add (total, value, &total, error))
        return FALSE;
      json_object_set_int_member (o, "qty", l->qty);
      json_object_set_int_member (o, "cost_fen", cost);
      json_array_add_object_element (body_lines, o);
      mdn_entry_add_movement (entry, NULL, "stock", l->product->sku, NULL, NULL, l->qty);
    }
  json_object_set_int_member (entry->body, "total_cost_fen", total);
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "doc_no", doc_no);
  json_object_set_int_member (result, "total_cost_fen", total);
  return TRUE;
}

/* Runs before the entry's movements: the stock table holds what was on hand
 * before it. Lines of one sku apply one after the other. */
static gboolean
apply_receive (MdnDb    *db,
               MdnEntry *entry,
               GError  **error)
{
  JsonArray *lines = mdn_body_array (entry->body, "lines");
  g_autoptr(GHashTable) added = g_hash_table_new (g_str_hash, g_str_equal);

  if (lines == NULL)
    return mdn_entry_malformed (entry, "lines", error);
  for (guint i = 0; i < json_array_get_length (lines); i++)
    {
      JsonObject *o = json_array_get_object_element (lines, i);
      const char *sku = o ? mdn_body_string (o, "sku") : NULL;
      gint64 qty = o ? mdn_body_int (o, "qty", 0) : 0;
      gint64 cost = o ? mdn_body_int (o, "cost_fen", -1) : -1;
      gint64 have, avg, next;

      if (sku == NULL || qty < 1 || cost < 0)
        return mdn_entry_malformed (entry, "line", error);
      if ((have = on_hand (db, entry->branch, sku, error)) == G_MININT64 ||
          (avg = avg_cost (db, entry->branch, sku, error)) == G_MININT64)
        return FALSE;
      have += GPOINTER_TO_SIZE (g_hash_table_lookup (added, sku));
      if (!moving_average (have, avg, qty, cost, &next, error))
        return FALSE;
      g_hash_table_insert (added, (gpointer) sku,
                           GSIZE_TO_POINTER (GPOINTER_TO_SIZE (g_hash_table_lookup (added, sku)) + qty));
      if (!mdn_db_exec (db, error,
                        "INSERT INTO stock_costs (branch, item, avg_cost_fen) VALUES (?, ?, ?) "
                        "ON CONFLICT (branch, item) DO UPDATE SET avg_cost_fen = excluded.avg_cost_fen",
                        "ssi", entry->branch, sku, next))
        return FALSE;
    }
  return TRUE;
}

/* stock.issue -------------------------------------------------------------------- */

static gboolean
op_issue (MdnOpCtx   *ctx,
          JsonObject *args,
          JsonObject *result,
          GError    **error)
{
  g_autoptr(GArray) lines = NULL;
  g_autofree char *note = NULL;
  g_autofree char *doc_no = NULL;
  g_autoptr(MdnEntry) entry = NULL;
  const char *reason = NULL;

  if (!mdn_args_string (args, "reason", TRUE, &reason, error) ||
      !optional_text (args, "note", 200, &note, error))
    return FALSE;
  if (!g_strv_contains (issue_reasons, reason))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("Unknown reason “%s”; use damage, internal or other"), reason);
      return FALSE;
    }
  if ((lines = parse_lines (ctx, args, "qty", 1, FALSE, TRUE, FALSE, error)) == NULL)
    return FALSE;
  for (guint i = 0; i < lines->len; i++)
    if (!check_enough (ctx, &g_array_index (lines, Line, i), error))
      return FALSE;
  if ((doc_no = doc_no_new (ctx, "CK", error)) == NULL)
    return FALSE;

  entry = mdn_entry_new ("stock.issue", NULL);
  json_object_set_string_member (entry->body, "doc_no", doc_no);
  json_object_set_string_member (entry->body, "reason", reason);
  mdn_json_set_opt_string (entry->body, "note", note);
  add_lines_out (entry, lines);
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "doc_no", doc_no);
  return TRUE;
}

/* stock.limits -------------------------------------------------------------------- */

static gboolean
op_limits (MdnOpCtx   *ctx,
           JsonObject *args,
           JsonObject *result,
           GError    **error)
{
  const char *sku = NULL;
  gint64 low = -1, high = -1;
  g_autoptr(MdnProduct) p = NULL;
  g_autoptr(MdnEntry) entry = NULL;

  if (!mdn_args_string (args, "sku", TRUE, &sku, error) ||
      !mdn_args_int (args, "low_stock", FALSE, &low, error) ||
      !mdn_args_int (args, "high_stock", FALSE, &high, error))
    return FALSE;
  if ((p = mdn_product_find (ctx->db, sku, error)) == NULL)
    return FALSE;
  if (!g_str_equal (p->kind, "goods"))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("%s is not goods and has no stock"), p->name);
      return FALSE;
    }
  if ((json_object_has_member (args, "low_stock") && !JSON_NODE_HOLDS_NULL (json_object_get_member (args, "low_stock")) &&
       (low < 0 || low > MDN_STOCK_QTY_MAX)) ||
      (json_object_has_member (args, "high_stock") && !JSON_NODE_HOLDS_NULL (json_object_get_member (args, "high_stock")) &&
       (high < 0 || high > MDN_STOCK_QTY_MAX)))
    return invalid (error, _("A stock threshold is a whole number from 0 to 1000000"));
  if (low >= 0 && high >= 0 && low > high)
    return invalid (error, _("The low stock threshold can't be above the high one"));

  entry = mdn_entry_new ("stock.limits", NULL);
  json_object_set_string_member (entry->body, "sku", p->sku);
  if (low >= 0)
    json_object_set_int_member (entry->body, "low_stock", low);
  else
    json_object_set_null_member (entry->body, "low_stock");
  if (high >= 0)
    json_object_set_int_member (entry->body, "high_stock", high);
  else
    json_object_set_null_member (entry->body, "high_stock");
  return mdn_ops_append_entry (ctx, entry, result, error);
}

static gboolean
apply_limits (MdnDb    *db,
              MdnEntry *entry,
              GError  **error)
{
  const char *sku = mdn_body_string (entry->body, "sku");
  gint64 low = mdn_body_int (entry->body, "low_stock", -1);
  gint64 high = mdn_body_int (entry->body, "high_stock", -1);

  if (sku == NULL)
    return mdn_entry_malformed (entry, "sku", error);
  return mdn_db_exec (db, error,
                      "INSERT INTO stock_limits (branch, item, low_stock, high_stock) "
                      "VALUES (?1, ?2, NULLIF (?3, -1), NULLIF (?4, -1)) ON CONFLICT (branch, item) "
                      "DO UPDATE SET low_stock = excluded.low_stock, high_stock = excluded.high_stock",
                      "ssii", entry->branch, sku, low, high);
}

/* stock.show, stock.list ---------------------------------------------------------- */

void
mdn_stock_row_clear (MdnStockRow *row)
{
  g_clear_pointer (&row->branch, g_free);
  g_clear_pointer (&row->sku, g_free);
  g_clear_pointer (&row->name, g_free);
}

static GArray *
rows_new (void)
{
  GArray *rows = g_array_new (FALSE, TRUE, sizeof (MdnStockRow));

  g_array_set_clear_func (rows, (GDestroyNotify) mdn_stock_row_clear);
  return rows;
}

/* Columns: branch, sku, name, on_hand, in_transit_in, in_transit_out, low, high, avg_cost */
static void
row_from_stmt (MdnStockRow  *r,
               sqlite3_stmt *stmt)
{
  r->branch = g_strdup (mdn_db_col_text (stmt, 0));
  r->sku = g_strdup (mdn_db_col_text (stmt, 1));
  r->name = g_strdup (mdn_db_col_text (stmt, 2));
  r->on_hand = sqlite3_column_int64 (stmt, 3);
  r->in_transit_in = sqlite3_column_int64 (stmt, 4);
  r->in_transit_out = sqlite3_column_int64 (stmt, 5);
  r->has_low = sqlite3_column_type (stmt, 6) != SQLITE_NULL;
  r->low_stock = sqlite3_column_int64 (stmt, 6);
  r->has_high = sqlite3_column_type (stmt, 7) != SQLITE_NULL;
  r->high_stock = sqlite3_column_int64 (stmt, 7);
  r->avg_cost_fen = sqlite3_column_int64 (stmt, 8);
}

/* The quantities of every (branch, sku) that has stock or a transfer in
 * transit, as one subquery. */
#define STOCK_QUANTITIES \
  "SELECT branch, item, SUM (q) AS on_hand, SUM (tin) AS tin, SUM (tout) AS tout FROM (" \
  "SELECT branch, item, qty AS q, 0 AS tin, 0 AS tout FROM stock " \
  "UNION ALL SELECT t.to_branch, l.item, 0, l.sent, 0 FROM transfers t " \
  "JOIN transfer_lines l ON l.transfer_id = t.id WHERE t.status = 'in_transit' " \
  "UNION ALL SELECT t.from_branch, l.item, 0, 0, l.sent FROM transfers t " \
  "JOIN transfer_lines l ON l.transfer_id = t.id WHERE t.status = 'in_transit') GROUP BY branch, item"

#define IN_CATEGORY(col, param) \
  "(" param " IS NULL OR " col " = " param " OR substr (" col ", 1, length (" param ") + 1) = " param " || '/')"

GArray *
mdn_stock_chain_rows (MdnDb       *db,
                      const char  *sku,
                      const char  *category,
                      const char  *branch,
                      GError     **error)
{
  g_autoptr(GArray) rows = rows_new ();
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (db != NULL, NULL);

  stmt = mdn_db_query (db, error,
                       "SELECT q.branch, q.item, p.name, q.on_hand, q.tin, q.tout, k.low_stock, k.high_stock, "
                       "COALESCE (c.avg_cost_fen, 0) FROM (" STOCK_QUANTITIES ") q "
                       "LEFT JOIN products p ON p.sku = q.item "
                       "LEFT JOIN stock_limits k ON k.branch = q.branch AND k.item = q.item "
                       "LEFT JOIN stock_costs c ON c.branch = q.branch AND c.item = q.item "
                       "WHERE (?1 IS NULL OR q.item = ?1) AND (?3 IS NULL OR q.branch = ?3) "
                       "AND (?2 IS NULL OR " IN_CATEGORY ("p.category", "?2") ") "
                       "ORDER BY q.branch, q.item",
                       "sss", sku, category, branch);
  if (stmt == NULL)
    return NULL;
  while ((rc = mdn_db_step (db, stmt, error)) == SQLITE_ROW)
    {
      MdnStockRow r = { 0 };

      row_from_stmt (&r, stmt);
      g_array_append_val (rows, r);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return NULL;
  return g_steal_pointer (&rows);
}

/* This branch's goods, with or without stock. */
static GArray *
branch_rows (MdnOpCtx   *ctx,
             const char *sku,
             const char *category,
             GError    **error)
{
  g_autoptr(GArray) rows = rows_new ();
  sqlite3_stmt *stmt;
  int rc;

  stmt = mdn_db_query (ctx->db, error,
                       "SELECT ?3, p.sku, p.name, COALESCE (q.on_hand, 0), COALESCE (q.tin, 0), "
                       "COALESCE (q.tout, 0), k.low_stock, k.high_stock, COALESCE (c.avg_cost_fen, 0) "
                       "FROM products p "
                       "LEFT JOIN (" STOCK_QUANTITIES ") q ON q.branch = ?3 AND q.item = p.sku "
                       "LEFT JOIN stock_limits k ON k.branch = ?3 AND k.item = p.sku "
                       "LEFT JOIN stock_costs c ON c.branch = ?3 AND c.item = p.sku "
                       "WHERE p.kind = 'goods' AND (?1 IS NULL OR p.sku = ?1) "
                       "AND (?1 IS NOT NULL OR p.active OR COALESCE (q.on_hand, 0) <> 0) "
                       "AND (?2 IS NULL OR " IN_CATEGORY ("p.category", "?2") ") "
                       "ORDER BY p.category, p.sku",
                       "sss", sku, category, ctx->store->branch_code);
  if (stmt == NULL)
    return NULL;
  while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
    {
      MdnStockRow r = { 0 };

      row_from_stmt (&r, stmt);
      g_array_append_val (rows, r);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return NULL;
  return g_steal_pointer (&rows);
}

static JsonObject *
row_json (const MdnStockRow *r)
{
  JsonObject *o = json_object_new ();

  json_object_set_string_member (o, "sku", r->sku);
  mdn_json_set_opt_string (o, "name", r->name);
  json_object_set_int_member (o, "on_hand", r->on_hand);
  json_object_set_int_member (o, "in_transit_in", r->in_transit_in);
  json_object_set_int_member (o, "in_transit_out", r->in_transit_out);
  if (r->has_low)
    json_object_set_int_member (o, "low_stock", r->low_stock);
  else
    json_object_set_null_member (o, "low_stock");
  if (r->has_high)
    json_object_set_int_member (o, "high_stock", r->high_stock);
  else
    json_object_set_null_member (o, "high_stock");
  json_object_set_boolean_member (o, "below_low", r->has_low && r->on_hand < r->low_stock);
  json_object_set_boolean_member (o, "above_high", r->has_high && r->on_hand > r->high_stock);
  json_object_set_int_member (o, "avg_cost_fen", r->avg_cost_fen);
  return o;
}

static gboolean
category_arg (JsonObject  *args,
              char       **out,
              GError     **error)
{
  const char *category = NULL;

  if (!mdn_args_string (args, "category", FALSE, &category, error))
    return FALSE;
  if (category && *category)
    *out = g_strstrip (g_strdup (category));
  return TRUE;
}

static gboolean
op_show (MdnOpCtx   *ctx,
         JsonObject *args,
         JsonObject *result,
         GError    **error)
{
  const char *sku = NULL;
  g_autoptr(MdnProduct) p = NULL;
  g_autoptr(GArray) rows = NULL;
  g_autoptr(JsonObject) o = NULL;
  JsonObjectIter iter;
  const char *name;
  JsonNode *node;

  if (!mdn_args_string (args, "sku", TRUE, &sku, error) || (p = mdn_product_find (ctx->db, sku, error)) == NULL)
    return FALSE;
  if (!g_str_equal (p->kind, "goods"))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("%s is not goods and has no stock"), p->name);
      return FALSE;
    }
  if ((rows = branch_rows (ctx, p->sku, NULL, error)) == NULL)
    return FALSE;
  g_assert (rows->len == 1);
  o = row_json (&g_array_index (rows, MdnStockRow, 0));
  json_object_iter_init (&iter, o);
  while (json_object_iter_next (&iter, &name, &node))
    json_object_set_member (result, name, json_node_copy (node));
  return TRUE;
}

static gboolean
op_list (MdnOpCtx   *ctx,
         JsonObject *args,
         JsonObject *result,
         GError    **error)
{
  g_autofree char *category = NULL;
  gboolean below_low = FALSE;
  g_autoptr(GArray) rows = NULL;
  JsonArray *items;

  if (!category_arg (args, &category, error) || !mdn_args_bool (args, "below_low", &below_low, error) ||
      (rows = branch_rows (ctx, NULL, category, error)) == NULL)
    return FALSE;
  items = json_array_new ();
  json_object_set_array_member (result, "items", items);
  for (guint i = 0; i < rows->len; i++)
    {
      MdnStockRow *r = &g_array_index (rows, MdnStockRow, i);

      if (!below_low || (r->has_low && r->on_hand < r->low_stock))
        json_array_add_object_element (items, row_json (r));
    }
  return TRUE;
}

/* The checkout's rule ------------------------------------------------------------- */

gboolean
mdn_stock_check_sale (MdnOpCtx   *ctx,
                      MdnEntry   *entry,
                      JsonObject *result,
                      GError    **error)
{
  JsonArray *warnings = NULL;
  gboolean refuse;

  g_return_val_if_fail (ctx != NULL && entry != NULL, FALSE);

  refuse = mdn_settings_get_bool (ctx->db, "stock.refuse_negative");
  for (guint i = 0; i < entry->movements->len; i++)
    {
      MdnMovement *m = &g_array_index (entry->movements, MdnMovement, i);
      gint64 have, after;
      g_autoptr(MdnProduct) p = NULL;

      if (!g_str_equal (m->account, "stock") || m->delta >= 0)
        continue;
      if ((have = on_hand (ctx->db, ctx->store->branch_code, m->item, error)) == G_MININT64)
        return FALSE;
      after = have + m->delta;
      if (after >= 0)
        continue;
      p = mdn_product_load (ctx->db, m->item, NULL);
      if (refuse)
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_INSUFFICIENT_STOCK,
                       _("Only %" PRId64 " of %s in stock, and this branch doesn't sell below zero"),
                       have, p ? p->name : m->item);
          return FALSE;
        }
      if (warnings == NULL)
        {
          warnings = json_array_new ();
          json_object_set_array_member (result, "stock_warnings", warnings);
        }
      {
        JsonObject *w = json_object_new ();

        json_object_set_string_member (w, "sku", m->item);
        mdn_json_set_opt_string (w, "name", p ? p->name : NULL);
        json_object_set_int_member (w, "on_hand", have);
        json_object_set_int_member (w, "after", after);
        json_array_add_object_element (warnings, w);
      }
    }
  return TRUE;
}

/* Counts (盘点) ------------------------------------------------------------------ */

typedef struct
{
  char *id;
  char *category;
  char *status;
} Count;

static void
count_clear (Count *c)
{
  g_free (c->id);
  g_free (c->category);
  g_free (c->status);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Count, count_clear)

static gboolean
count_load (MdnOpCtx   *ctx,
            JsonObject *args,
            gboolean    open,
            Count      *c,
            GError    **error)
{
  const char *id = NULL;
  sqlite3_stmt *stmt;
  int rc;

  if (!mdn_args_string (args, "count_id", TRUE, &id, error))
    return FALSE;
  stmt = mdn_db_query (ctx->db, error, "SELECT id, category, status FROM stocktakes WHERE id = ? AND branch = ?",
                       "ss", id, ctx->store->branch_code);
  if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      c->id = g_strdup (mdn_db_col_text (stmt, 0));
      c->category = g_strdup (mdn_db_col_text (stmt, 1));
      c->status = g_strdup (mdn_db_col_text (stmt, 2));
    }
  sqlite3_reset (stmt);
  if (c->id == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_STOCKTAKE, _("There is no count “%s” at this branch"), id);
      return FALSE;
    }
  if (open && !g_str_equal (c->status, "open"))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_WRONG_STATE,
                   g_str_equal (c->status, "cancelled") ? _("This count was cancelled") : _("This count is already finished"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
in_category (const char *category,
             const char *cat)
{
  gsize len;

  if (cat == NULL)
    return TRUE;
  if (category == NULL)
    return FALSE;
  len = strlen (cat);
  return strncmp (category, cat, len) == 0 && (category[len] == '\0' || category[len] == '/');
}

static gboolean
op_stocktake_start (MdnOpCtx   *ctx,
                    JsonObject *args,
                    JsonObject *result,
                    GError    **error)
{
  g_autofree char *category = NULL;
  g_autofree char *id = NULL;
  g_autofree char *doc_no = NULL;
  g_autoptr(MdnEntry) entry = NULL;
  sqlite3_stmt *stmt;
  int rc;

  if (!category_arg (args, &category, error))
    return FALSE;
  stmt = mdn_db_query (ctx->db, error, "SELECT id FROM stocktakes WHERE branch = ? AND status = 'open' LIMIT 1",
                       "s", ctx->store->branch_code);
  if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) < 0)
    return FALSE;
  sqlite3_reset (stmt);
  if (rc == SQLITE_ROW)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_WRONG_STATE,
                           _("A count is already open at this branch; finish or cancel it first"));
      return FALSE;
    }
  if ((doc_no = doc_no_new (ctx, "PD", error)) == NULL)
    return FALSE;
  id = mdn_uuid7_new ();
  entry = mdn_entry_new ("stocktake.start", NULL);
  json_object_set_string_member (entry->body, "count_id", id);
  json_object_set_string_member (entry->body, "doc_no", doc_no);
  mdn_json_set_opt_string (entry->body, "category", category);
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "count_id", id);
  json_object_set_string_member (result, "doc_no", doc_no);
  return TRUE;
}

static gboolean
apply_stocktake_start (MdnDb    *db,
                       MdnEntry *entry,
                       GError  **error)
{
  const char *id = mdn_body_string (entry->body, "count_id");

  if (id == NULL)
    return mdn_entry_malformed (entry, "count_id", error);
  return mdn_db_exec (db, error,
                      "INSERT INTO stocktakes (id, branch, category, status, started_at) VALUES (?, ?, ?, 'open', ?)",
                      "ssss", id, entry->branch, mdn_body_string (entry->body, "category"), entry->at);
}

static gboolean
op_stocktake_count (MdnOpCtx   *ctx,
                    JsonObject *args,
                    JsonObject *result,
                    GError    **error)
{
  g_auto(Count) c = { 0 };
  g_autoptr(GArray) lines = NULL;
  g_autoptr(MdnEntry) entry = NULL;
  JsonArray *body_lines;

  if (!count_load (ctx, args, TRUE, &c, error) ||
      (lines = parse_lines (ctx, args, "counted", 0, FALSE, TRUE, FALSE, error)) == NULL)
    return FALSE;
  entry = mdn_entry_new ("stocktake.count", NULL);
  json_object_set_string_member (entry->body, "count_id", c.id);
  body_lines = json_array_new ();
  json_object_set_array_member (entry->body, "lines", body_lines);
  for (guint i = 0; i < lines->len; i++)
    {
      Line *l = &g_array_index (lines, Line, i);
      JsonObject *o;
      gint64 have;

      if (!in_category (l->product->category, c.category))
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                       _("%s is not in %s, the category of this count"), l->product->name, c.category);
          return FALSE;
        }
      if ((have = on_hand (ctx->db, ctx->store->branch_code, l->product->sku, error)) == G_MININT64)
        return FALSE;
      o = line_json (l);
      json_object_set_int_member (o, "counted", l->qty);
      json_object_set_int_member (o, "on_hand", have);
      json_array_add_object_element (body_lines, o);
    }
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_int_member (result, "lines", lines->len);
  return TRUE;
}

static gboolean
apply_stocktake_count (MdnDb    *db,
                       MdnEntry *entry,
                       GError  **error)
{
  const char *id = mdn_body_string (entry->body, "count_id");
  JsonArray *lines = mdn_body_array (entry->body, "lines");

  if (id == NULL || lines == NULL)
    return mdn_entry_malformed (entry, "count_id", error);
  for (guint i = 0; i < json_array_get_length (lines); i++)
    {
      JsonObject *o = json_array_get_object_element (lines, i);
      const char *sku = o ? mdn_body_string (o, "sku") : NULL;

      if (sku == NULL)
        return mdn_entry_malformed (entry, "line", error);
      if (!mdn_db_exec (db, error,
                        "INSERT INTO stocktake_counts (count_id, item, counted, on_hand, entry_id) "
                        "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (count_id, item) DO UPDATE SET "
                        "counted = excluded.counted, on_hand = excluded.on_hand, entry_id = excluded.entry_id",
                        "ssiis", id, sku, mdn_body_int (o, "counted", 0), mdn_body_int (o, "on_hand", 0),
                        entry->id))
        return FALSE;
    }
  return TRUE;
}

/* Each counted sku is set to what was counted, plus what moved since its
 * count (sales, receipts): delta = counted - on hand at the count. */
static gboolean
op_stocktake_finish (MdnOpCtx   *ctx,
                     JsonObject *args,
                     JsonObject *result,
                     GError    **error)
{
  g_auto(Count) c = { 0 };
  g_autoptr(MdnEntry) entry = NULL;
  g_autofree char *doc_no = NULL;
  JsonArray *body_lines;
  sqlite3_stmt *stmt;
  gint64 n = 0, changed = 0;
  int rc;

  if (!count_load (ctx, args, TRUE, &c, error) || (doc_no = doc_no_new (ctx, "PD", error)) == NULL)
    return FALSE;
  entry = mdn_entry_new ("stocktake.finish", NULL);
  json_object_set_string_member (entry->body, "count_id", c.id);
  json_object_set_string_member (entry->body, "doc_no", doc_no);
  body_lines = json_array_new ();
  json_object_set_array_member (entry->body, "lines", body_lines);
  stmt = mdn_db_query (ctx->db, error,
                       "SELECT k.item, COALESCE (p.name, k.item), k.counted, k.on_hand, COALESCE (s.qty, 0) "
                       "FROM stocktake_counts k LEFT JOIN products p ON p.sku = k.item "
                       "LEFT JOIN stock s ON s.branch = ?2 AND s.item = k.item "
                       "WHERE k.count_id = ?1 ORDER BY k.item", "ss", c.id, ctx->store->branch_code);
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
    {
      JsonObject *o = json_object_new ();
      gint64 counted = sqlite3_column_int64 (stmt, 2), at_count = sqlite3_column_int64 (stmt, 3);
      gint64 now = sqlite3_column_int64 (stmt, 4);
      gint64 delta = counted - at_count;

      json_object_set_string_member (o, "sku", mdn_db_col_text (stmt, 0));
      json_object_set_string_member (o, "name", mdn_db_col_text (stmt, 1));
      json_object_set_int_member (o, "counted", counted);
      json_object_set_int_member (o, "counted_on_hand", at_count);
      json_object_set_int_member (o, "on_hand", now);
      json_object_set_int_member (o, "delta", delta);
      json_array_add_object_element (body_lines, o);
      if (delta != 0)
        {
          mdn_entry_add_movement (entry, NULL, "stock", mdn_db_col_text (stmt, 0), NULL, NULL, delta);
          changed++;
        }
      n++;
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return FALSE;
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "doc_no", doc_no);
  json_object_set_int_member (result, "counted", n);
  json_object_set_int_member (result, "adjusted", changed);
  json_object_set_array_member (result, "lines", json_array_ref (body_lines));
  return TRUE;
}

static gboolean
apply_stocktake_close (MdnDb    *db,
                       MdnEntry *entry,
                       GError  **error)
{
  const char *id = mdn_body_string (entry->body, "count_id");
  gboolean finish = g_str_equal (entry->kind, "stocktake.finish");

  if (id == NULL)
    return mdn_entry_malformed (entry, "count_id", error);
  if (!mdn_db_exec (db, error,
                    "UPDATE stocktakes SET status = ?, closed_entry = ? WHERE id = ? AND branch = ? AND status = 'open'",
                    "ssss", finish ? "finished" : "cancelled", entry->id, id, entry->branch))
    return FALSE;
  if (sqlite3_changes (mdn_db_handle (db)) != 1)
    return mdn_entry_malformed (entry, "count not open", error);
  return TRUE;
}

static gboolean
op_stocktake_cancel (MdnOpCtx   *ctx,
                     JsonObject *args,
                     JsonObject *result,
                     GError    **error)
{
  g_auto(Count) c = { 0 };
  g_autoptr(MdnEntry) entry = NULL;

  if (!count_load (ctx, args, TRUE, &c, error))
    return FALSE;
  entry = mdn_entry_new ("stocktake.cancel", NULL);
  json_object_set_string_member (entry->body, "count_id", c.id);
  return mdn_ops_append_entry (ctx, entry, result, error);
}

/* The count sheet: what was counted, and the goods of its category not
 * counted yet. */
static gboolean
op_stocktake_show (MdnOpCtx   *ctx,
                   JsonObject *args,
                   JsonObject *result,
                   GError    **error)
{
  static const MdnListColumn counted[] = {
    { "sku", 's' }, { "name", 's' }, { "counted", 'i' }, { "on_hand", 'i' }, { NULL }
  };
  static const MdnListColumn uncounted[] = { { "sku", 's' }, { "name", 's' }, { "on_hand", 'i' }, { NULL } };
  g_auto(Count) c = { 0 };
  g_autoptr(JsonObject) open_args = NULL;
  sqlite3_stmt *stmt;
  int rc;

  /* Without a count_id: the branch's open count, if any. */
  if (!json_object_has_member (args, "count_id"))
    {
      stmt = mdn_db_query (ctx->db, error, "SELECT id FROM stocktakes WHERE branch = ? AND status = 'open' LIMIT 1",
                           "s", ctx->store->branch_code);
      if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) < 0)
        return FALSE;
      open_args = json_object_new ();
      if (rc == SQLITE_ROW)
        json_object_set_string_member (open_args, "count_id", mdn_db_col_text (stmt, 0));
      sqlite3_reset (stmt);
      if (rc != SQLITE_ROW)
        {
          json_object_set_string_member (result, "status", "none");
          return TRUE;
        }
      args = open_args;
    }
  if (!count_load (ctx, args, FALSE, &c, error))
    return FALSE;
  json_object_set_string_member (result, "count_id", c.id);
  json_object_set_string_member (result, "status", c.status);
  mdn_json_set_opt_string (result, "category", c.category);
  stmt = mdn_db_query (ctx->db, error,
                       "SELECT k.item, COALESCE (p.name, k.item), k.counted, k.on_hand FROM stocktake_counts k "
                       "LEFT JOIN products p ON p.sku = k.item WHERE k.count_id = ? ORDER BY k.item", "s", c.id);
  if (stmt == NULL || !mdn_ops_list_rows (ctx, stmt, counted, result, "counted", error))
    return FALSE;
  stmt = mdn_db_query (ctx->db, error,
                       "SELECT p.sku, p.name, COALESCE (s.qty, 0) FROM products p "
                       "LEFT JOIN stock s ON s.branch = ?3 AND s.item = p.sku "
                       "WHERE p.kind = 'goods' AND p.active AND " IN_CATEGORY ("p.category", "?2") " "
                       "AND p.sku NOT IN (SELECT item FROM stocktake_counts WHERE count_id = ?1) "
                       "ORDER BY p.category, p.sku", "sss", c.id, c.category, ctx->store->branch_code);
  return stmt != NULL && mdn_ops_list_rows (ctx, stmt, uncounted, result, "uncounted", error);
}

/* Transfers (调拨) -------------------------------------------------------------- */

static gboolean
valid_branch_code (const char *code)
{
  gsize len = strlen (code);

  if (len < 1 || len > 16)
    return FALSE;
  for (const char *p = code; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

static gboolean
op_transfer_out (MdnOpCtx   *ctx,
                 JsonObject *args,
                 JsonObject *result,
                 GError    **error)
{
  const char *to = NULL;
  g_autofree char *note = NULL;
  g_autofree char *doc_no = NULL;
  g_autofree char *id = NULL;
  g_autoptr(GArray) lines = NULL;
  g_autoptr(MdnEntry) entry = NULL;

  if (!mdn_args_string (args, "to", TRUE, &to, error) || !optional_text (args, "note", 200, &note, error))
    return FALSE;
  if (!valid_branch_code (to))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("“%s” is not a branch code"), to);
      return FALSE;
    }
  if (g_str_equal (to, ctx->store->branch_code))
    return invalid (error, _("A transfer goes to another branch"));
  if ((lines = parse_lines (ctx, args, "qty", 1, FALSE, TRUE, FALSE, error)) == NULL)
    return FALSE;
  for (guint i = 0; i < lines->len; i++)
    if (!check_enough (ctx, &g_array_index (lines, Line, i), error))
      return FALSE;
  if ((doc_no = doc_no_new (ctx, "DB", error)) == NULL)
    return FALSE;
  id = mdn_uuid7_new ();

  entry = mdn_entry_new ("transfer.out", NULL);
  json_object_set_string_member (entry->body, "transfer_id", id);
  json_object_set_string_member (entry->body, "doc_no", doc_no);
  json_object_set_string_member (entry->body, "to", to);
  json_object_set_string_member (entry->body, "deliver_to", to);
  mdn_json_set_opt_string (entry->body, "note", note);
  add_lines_out (entry, lines);
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "transfer_id", id);
  json_object_set_string_member (result, "doc_no", doc_no);
  return TRUE;
}

static gboolean
apply_transfer_out (MdnDb    *db,
                    MdnEntry *entry,
                    GError  **error)
{
  JsonObject *b = entry->body;
  const char *id = mdn_body_string (b, "transfer_id");
  const char *doc_no = mdn_body_string (b, "doc_no");
  const char *to = mdn_body_string (b, "to");
  JsonArray *lines = mdn_body_array (b, "lines");

  if (id == NULL || doc_no == NULL || to == NULL || lines == NULL)
    return mdn_entry_malformed (entry, "transfer", error);
  if (!mdn_db_exec (db, error,
                    "INSERT INTO transfers (id, doc_no, from_branch, to_branch, status, sent_at, note, out_entry) "
                    "VALUES (?, ?, ?, ?, 'in_transit', ?, ?, ?)",
                    "sssssss", id, doc_no, entry->branch, to, entry->at, mdn_body_string (b, "note"), entry->id))
    return FALSE;
  for (guint i = 0; i < json_array_get_length (lines); i++)
    {
      JsonObject *o = json_array_get_object_element (lines, i);
      const char *sku = o ? mdn_body_string (o, "sku") : NULL;
      gint64 qty = o ? mdn_body_int (o, "qty", 0) : 0;

      if (sku == NULL || qty < 1)
        return mdn_entry_malformed (entry, "line", error);
      if (!mdn_db_exec (db, error, "INSERT INTO transfer_lines (transfer_id, item, sent) VALUES (?, ?, ?)",
                        "ssi", id, sku, qty))
        return FALSE;
    }
  return TRUE;
}

static void
transfer_line_clear (gpointer data)
{
  MdnTransferLine *l = data;

  g_free (l->sku);
  g_free (l->name);
}

/* The lines of transfer @id, in sku order. */
static GArray *
transfer_lines (MdnDb      *db,
                const char *id,
                GError    **error)
{
  g_autoptr(GArray) lines = g_array_new (FALSE, TRUE, sizeof (MdnTransferLine));
  sqlite3_stmt *stmt;
  int rc;

  g_array_set_clear_func (lines, transfer_line_clear);
  stmt = mdn_db_query (db, error,
                       "SELECT l.item, COALESCE (p.name, l.item), l.sent, COALESCE (l.received, -1) "
                       "FROM transfer_lines l LEFT JOIN products p ON p.sku = l.item "
                       "WHERE l.transfer_id = ? ORDER BY l.item", "s", id);
  if (stmt == NULL)
    return NULL;
  while ((rc = mdn_db_step (db, stmt, error)) == SQLITE_ROW)
    {
      MdnTransferLine l = { g_strdup (mdn_db_col_text (stmt, 0)), g_strdup (mdn_db_col_text (stmt, 1)),
                         sqlite3_column_int64 (stmt, 2), sqlite3_column_int64 (stmt, 3) };

      g_array_append_val (lines, l);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return NULL;
  return g_steal_pointer (&lines);
}

/* A receive names the transfer, which reached this branch through the feed
 * only after the source pushed it: a receive before that is refused here
 * (there is nothing to receive yet). */
static gboolean
op_transfer_receive (MdnOpCtx   *ctx,
                     JsonObject *args,
                     JsonObject *result,
                     GError    **error)
{
  const char *key = NULL;
  g_autofree char *id = NULL;
  g_autofree char *from = NULL;
  g_autofree char *doc_no = NULL;
  g_autofree char *status = NULL;
  g_autoptr(GArray) sent = NULL;
  g_autoptr(MdnEntry) entry = NULL;
  JsonArray *given = NULL, *body_lines;
  gint64 shortfall = 0;
  sqlite3_stmt *stmt;
  int rc;

  if (!mdn_args_string (args, "transfer_id", TRUE, &key, error))
    return FALSE;
  if (json_object_has_member (args, "lines") && (given = mdn_args_array (args, "lines", TRUE, error)) == NULL)
    return FALSE;
  /* By its id or its document number. */
  stmt = mdn_db_query (ctx->db, error,
                       "SELECT id, from_branch, doc_no, status FROM transfers "
                       "WHERE (id = ?1 OR doc_no = ?1) AND to_branch = ?2 LIMIT 1",
                       "ss", key, ctx->store->branch_code);
  if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      id = g_strdup (mdn_db_col_text (stmt, 0));
      from = g_strdup (mdn_db_col_text (stmt, 1));
      doc_no = g_strdup (mdn_db_col_text (stmt, 2));
      status = g_strdup (mdn_db_col_text (stmt, 3));
    }
  sqlite3_reset (stmt);
  if (id == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_TRANSFER,
                   _("No transfer “%s” is on its way to this branch (has the sending branch synced?)"), key);
      return FALSE;
    }
  if (!g_str_equal (status, "in_transit"))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_WRONG_STATE, _("Transfer %s was already received"), doc_no);
      return FALSE;
    }
  if ((sent = transfer_lines (ctx->db, id, error)) == NULL)
    return FALSE;
  entry = mdn_entry_new ("transfer.receive", NULL);
  json_object_set_string_member (entry->body, "transfer_id", id);
  /* What arrived: all of it without lines, else what the lines say (a sku
     not named arrived not at all). */
  for (guint i = 0; i < sent->len; i++)
    g_array_index (sent, MdnTransferLine, i).received = given ? 0 : g_array_index (sent, MdnTransferLine, i).sent;
  for (guint i = 0; given && i < json_array_get_length (given); i++)
    {
      JsonObject *o = mdn_args_element_object (given, i, "lines", error);
      const char *sku = NULL;
      gint64 qty = 0;
      g_autoptr(MdnProduct) p = NULL;
      MdnTransferLine *match = NULL;

      if (o == NULL || !mdn_args_string (o, "sku", TRUE, &sku, error) || !mdn_args_int (o, "qty", TRUE, &qty, error))
        return FALSE;
      p = mdn_product_find (ctx->db, sku, NULL);
      for (guint j = 0; j < sent->len && match == NULL; j++)
        if (g_str_equal (g_array_index (sent, MdnTransferLine, j).sku, p ? p->sku : sku))
          match = &g_array_index (sent, MdnTransferLine, j);
      if (match == NULL)
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                       _("%s was not sent with transfer %s"), p ? p->name : sku, doc_no);
          return FALSE;
        }
      if (qty < 0 || qty > match->sent)
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_RECEIVE_EXCEEDS,
                       _("%" PRId64 " of %s were sent; receive from 0 to %" PRId64), match->sent, match->name,
                       match->sent);
          return FALSE;
        }
      match->received = qty;
    }

  json_object_set_string_member (entry->body, "doc_no", doc_no);
  json_object_set_string_member (entry->body, "from", from);
  json_object_set_string_member (entry->body, "deliver_to", from);
  body_lines = json_array_new ();
  json_object_set_array_member (entry->body, "lines", body_lines);
  for (guint i = 0; i < sent->len; i++)
    {
      MdnTransferLine *l = &g_array_index (sent, MdnTransferLine, i);
      JsonObject *o = json_object_new ();

      json_object_set_string_member (o, "sku", l->sku);
      json_object_set_string_member (o, "name", l->name);
      json_object_set_int_member (o, "sent", l->sent);
      json_object_set_int_member (o, "received", l->received);
      json_array_add_object_element (body_lines, o);
      shortfall += l->sent - l->received;
      mdn_entry_add_movement (entry, NULL, "stock", l->sku, NULL, NULL, l->received);
    }
  json_object_set_int_member (entry->body, "shortfall", shortfall);
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "transfer_id", id);
  json_object_set_string_member (result, "doc_no", doc_no);
  json_object_set_int_member (result, "shortfall", shortfall);
  return TRUE;
}

/* The one check of a receive against its transfer, wherever it is applied
 * (the destination, the server, the source): the transfer is in transit
 * to the entry's branch from "from", and every line's "sent" is the
 * transfer's. */
static gboolean
apply_transfer_receive (MdnDb    *db,
                        MdnEntry *entry,
                        GError  **error)
{
  JsonObject *b = entry->body;
  const char *id = mdn_body_string (b, "transfer_id");
  const char *from = mdn_body_string (b, "from");
  JsonArray *lines = mdn_body_array (b, "lines");
  gint64 shortfall = mdn_body_int (b, "shortfall", -1);
  g_autoptr(GArray) sent = NULL;
  sqlite3_stmt *stmt;
  int rc;

  if (id == NULL || from == NULL || lines == NULL || shortfall < 0)
    return mdn_entry_malformed (entry, "transfer", error);
  stmt = mdn_db_query (db, error,
                       "SELECT 1 FROM transfers WHERE id = ? AND from_branch = ? AND to_branch = ? AND status = 'in_transit'",
                       "sss", id, from, entry->branch);
  if (stmt == NULL || (rc = mdn_db_step (db, stmt, error)) < 0)
    return FALSE;
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_TRANSFER,
                   _("Entry %s receives transfer %s, which is not in transit from %s to %s"),
                   entry->id, id, from, entry->branch);
      return FALSE;
    }
  if ((sent = transfer_lines (db, id, error)) == NULL)
    return FALSE;
  if (sent->len != json_array_get_length (lines))
    return mdn_entry_malformed (entry, "lines of another transfer", error);
  for (guint i = 0; i < json_array_get_length (lines); i++)
    {
      JsonObject *o = json_array_get_object_element (lines, i);
      const char *sku = o ? mdn_body_string (o, "sku") : NULL;
      gint64 qty = o ? mdn_body_int (o, "sent", -1) : -1;
      gint64 received = o ? mdn_body_int (o, "received", -1) : -1;
      gboolean found = FALSE;

      for (guint j = 0; j < sent->len && !found && sku; j++)
        found = g_str_equal (g_array_index (sent, MdnTransferLine, j).sku, sku) &&
                g_array_index (sent, MdnTransferLine, j).sent == qty;
      if (!found || received < 0 || received > qty)
        return mdn_entry_malformed (entry, "line of another transfer", error);
      if (!mdn_db_exec (db, error, "UPDATE transfer_lines SET received = ? WHERE transfer_id = ? AND item = ?",
                        "iss", received, id, sku))
        return FALSE;
    }
  return mdn_db_exec (db, error,
                      "UPDATE transfers SET status = ?, receive_entry = ?, received_at = ? WHERE id = ?",
                      "ssss", shortfall > 0 ? "shortfall" : "received", entry->id, entry->at, id);
}

void
mdn_transfer_free (MdnTransfer *t)
{
  if (t == NULL)
    return;
  g_free (t->id);
  g_free (t->doc_no);
  g_free (t->from);
  g_free (t->to);
  g_free (t->status);
  g_free (t->sent_at);
  g_free (t->received_at);
  g_free (t->note);
  g_clear_pointer (&t->lines, g_array_unref);
  g_free (t);
}

GPtrArray *
mdn_stock_transfers (MdnDb      *db,
                     const char *branch,
                     const char *direction,
                     const char *status,
                     GError    **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_transfer_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (db != NULL, NULL);

  stmt = mdn_db_query (db, error,
                       "SELECT id, doc_no, from_branch, to_branch, status, sent_at, note, received_at FROM transfers "
                       "WHERE (?3 IS NULL OR (?1 IS NULL OR ?1 = 'in') AND to_branch = ?3 "
                       "OR (?1 IS NULL OR ?1 = 'out') AND from_branch = ?3) "
                       "AND (?2 IS NULL OR status = ?2) ORDER BY sent_at DESC, id DESC LIMIT 500",
                       "sss", direction, status, branch);
  if (stmt == NULL)
    return NULL;
  while ((rc = mdn_db_step (db, stmt, error)) == SQLITE_ROW)
    {
      MdnTransfer *t = g_new0 (MdnTransfer, 1);

      t->id = g_strdup (mdn_db_col_text (stmt, 0));
      t->doc_no = g_strdup (mdn_db_col_text (stmt, 1));
      t->from = g_strdup (mdn_db_col_text (stmt, 2));
      t->to = g_strdup (mdn_db_col_text (stmt, 3));
      t->status = g_strdup (mdn_db_col_text (stmt, 4));
      t->sent_at = g_strdup (mdn_db_col_text (stmt, 5));
      t->note = g_strdup (mdn_db_col_text (stmt, 6));
      t->received_at = g_strdup (mdn_db_col_text (stmt, 7));
      g_ptr_array_add (out, t);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return NULL;
  for (guint i = 0; i < out->len; i++)
    {
      MdnTransfer *t = g_ptr_array_index (out, i);

      if ((t->lines = transfer_lines (db, t->id, error)) == NULL)
        return NULL;
      for (guint j = 0; j < t->lines->len; j++)
        {
          MdnTransferLine *l = &g_array_index (t->lines, MdnTransferLine, j);

          if (l->received >= 0)
            t->shortfall += l->sent - l->received;
        }
    }
  return g_steal_pointer (&out);
}

static gboolean
op_transfer_list (MdnOpCtx   *ctx,
                  JsonObject *args,
                  JsonObject *result,
                  GError    **error)
{
  static const char *const directions[] = { "in", "out", NULL };
  static const char *const statuses[] = { "in_transit", "received", "shortfall", NULL };
  const char *direction = NULL, *status = NULL;
  g_autoptr(GPtrArray) transfers = NULL;
  JsonArray *list;

  if (!mdn_args_string (args, "direction", FALSE, &direction, error) ||
      !mdn_args_string (args, "status", FALSE, &status, error))
    return FALSE;
  if (direction && !g_strv_contains (directions, direction))
    return invalid (error, _("“direction” is in or out"));
  if (status && !g_strv_contains (statuses, status))
    return invalid (error, _("“status” is in_transit, received or shortfall"));
  transfers = mdn_stock_transfers (ctx->db, ctx->store->branch_code, direction, status, error);
  if (transfers == NULL)
    return FALSE;
  list = json_array_new ();
  json_object_set_array_member (result, "transfers", list);
  for (guint i = 0; i < transfers->len; i++)
    {
      MdnTransfer *t = g_ptr_array_index (transfers, i);
      JsonObject *o = json_object_new ();
      JsonArray *out = json_array_new ();

      json_object_set_string_member (o, "transfer_id", t->id);
      json_object_set_string_member (o, "doc_no", t->doc_no);
      json_object_set_string_member (o, "from", t->from);
      json_object_set_string_member (o, "to", t->to);
      json_object_set_string_member (o, "direction", g_str_equal (t->to, ctx->store->branch_code) ? "in" : "out");
      json_object_set_string_member (o, "status", t->status);
      json_object_set_string_member (o, "sent_at", t->sent_at);
      mdn_json_set_opt_string (o, "received_at", t->received_at);
      mdn_json_set_opt_string (o, "note", t->note);
      for (guint j = 0; j < t->lines->len; j++)
        {
          MdnTransferLine *l = &g_array_index (t->lines, MdnTransferLine, j);
          JsonObject *lo = json_object_new ();

          json_object_set_string_member (lo, "sku", l->sku);
          json_object_set_string_member (lo, "name", l->name);
          json_object_set_int_member (lo, "sent", l->sent);
          if (l->received >= 0)
            json_object_set_int_member (lo, "received", l->received);
          else
            json_object_set_null_member (lo, "received");
          json_array_add_object_element (out, lo);
        }
      json_object_set_array_member (o, "lines", out);
      json_object_set_int_member (o, "shortfall", t->shortfall);
      json_array_add_object_element (list, o);
    }
  return TRUE;
}

const MdnOpDef mdn_stock_ops[] = {
  { "stock.receive",     MDN_ROLE_MANAGER, MDN_OP_WRITE, op_receive },
  { "stock.issue",       MDN_ROLE_MANAGER, MDN_OP_WRITE, op_issue },
  { "stock.limits",      MDN_ROLE_MANAGER, MDN_OP_WRITE, op_limits },
  { "stock.show",        MDN_ROLE_CASHIER, MDN_OP_READ,  op_show },
  { "stock.list",        MDN_ROLE_CASHIER, MDN_OP_READ,  op_list },
  { "stocktake.start",   MDN_ROLE_MANAGER, MDN_OP_WRITE, op_stocktake_start },
  { "stocktake.count",   MDN_ROLE_MANAGER, MDN_OP_WRITE, op_stocktake_count },
  { "stocktake.finish",  MDN_ROLE_MANAGER, MDN_OP_WRITE, op_stocktake_finish },
  { "stocktake.cancel",  MDN_ROLE_MANAGER, MDN_OP_WRITE, op_stocktake_cancel },
  { "stocktake.show",    MDN_ROLE_MANAGER, MDN_OP_READ,  op_stocktake_show },
  { "transfer.out",      MDN_ROLE_MANAGER, MDN_OP_WRITE, op_transfer_out },
  { "transfer.receive",  MDN_ROLE_MANAGER, MDN_OP_WRITE, op_transfer_receive },
  { "transfer.list",     MDN_ROLE_MANAGER, MDN_OP_READ,  op_transfer_list },
  { NULL }
};

const MdnKindDef mdn_stock_kinds[] = {
  { "stock.receive",    apply_receive,          0 },
  { "stock.issue",      NULL,                   0 },
  { "stock.limits",     apply_limits,           0 },
  { "stocktake.start",  apply_stocktake_start,  0 },
  { "stocktake.count",  apply_stocktake_count,  0 },
  { "stocktake.finish", apply_stocktake_close,  0 },
  { "stocktake.cancel", apply_stocktake_close,  0 },
  { "transfer.out",     apply_transfer_out,     MDN_KIND_ADDRESSED },
  { "transfer.receive", apply_transfer_receive, MDN_KIND_ADDRESSED },
  { NULL }
};
