/* mdn-sales.c: sales of products (商品消费), quick sales of an amount
 * (快速消费), returns (退货) and finding a sale by its receipt.
 *
 * A sale's entry carries everything a reader needs: its receipt number,
 * every line with its price and what it cost, the tenders, the balance
 * drawn, the points earned. A return is a new entry that names the sale;
 * what was returned before is found through the sale_returns projection
 * and read back from those entries' bodies. */
#define G_LOG_DOMAIN "mdn-sales"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-money.h"
#include "mdn-op.h"
#include "mdn-pricing.h"
#include "mdn-sales.h"
#include "mdn-commission.h"
#include "mdn-selling.h"
#include "mdn-stock.h"

/* Sale ---------------------------------------------------------------------------- */

static gboolean
op_sale (MdnOpCtx   *ctx,
         JsonObject *args,
         JsonObject *result,
         GError    **error)
{
  g_auto(MdnCheckout) co = { 0 };
  g_auto(MdnSaleRequest) req = { 0 };
  g_autoptr(GArray) lines = NULL;
  JsonArray *body_lines;

  if (!mdn_sale_request_parse (args, TRUE, &req, error))
    return FALSE;
  /* Priced by the same call as "sale.preview". */
  lines = mdn_pricing_price_cart (&co, ctx, &req, error);
  if (lines == NULL || !mdn_checkout_settle (&co, &req.pay, error))
    return FALSE;

  body_lines = json_array_new ();
  json_object_set_array_member (co.entry->body, "lines", body_lines);
  for (guint i = 0; i < lines->len; i++)
    {
      MdnPricedLine *l = &g_array_index (lines, MdnPricedLine, i);
      MdnProduct *p = l->product;
      JsonObject *o = mdn_pricing_line_json (l, i);
      gint64 unit_cost, cost;

      /* What the line cost the shop, for the gross margin: goods at their
         moving average (else the standard cost), others at the standard
         cost; not recorded when none is known. */
      unit_cost = g_str_equal (p->kind, "goods")
                  ? mdn_stock_unit_cost (ctx->db, ctx->store->branch_code, p->sku, p->cost_fen, error)
                  : p->cost_fen;
      if (unit_cost == G_MININT64)
        return FALSE;
      if (unit_cost >= 0)
        {
          if (!mdn_money_mul (unit_cost, l->qty, &cost, error))
            return FALSE;
          json_object_set_int_member (o, "unit_cost_fen", unit_cost);
          json_object_set_int_member (o, "cost_fen", cost);
        }

      if (g_str_equal (p->kind, "goods"))
        mdn_entry_add_movement (co.entry, NULL, "stock", p->sku, NULL, NULL, -l->qty);
      else if (g_str_equal (p->kind, "package"))
        {
          g_autofree char *lot = g_strdup_printf ("%s/%u", co.receipt_no, i + 1);
          g_autofree char *expires_on = NULL;
          gint64 uses;

          if (!mdn_money_mul (l->qty, p->package_count, &uses, error))
            return FALSE;
          if (p->package_days > 0)
            expires_on = mdn_date_add_days (ctx->business_date, (int) p->package_days);
          json_object_set_string_member (o, "package_sku", p->package_sku);
          json_object_set_int_member (o, "package_count", p->package_count);
          json_object_set_int_member (o, "uses", uses);
          json_object_set_string_member (o, "lot", lot);
          mdn_json_set_opt_string (o, "expires_on", expires_on);
          mdn_entry_add_movement (co.entry, co.member->id, "package", p->package_sku, lot, expires_on, uses);
        }
      json_array_add_object_element (body_lines, o);
      if (!mdn_commission_add (ctx, co.entry, "sale_line", p->sku, l->staff, i + 1, l->amount_fen, l->list_fen,
                               l->qty, error))
        return FALSE;
    }

  /* Warns of (or refuses) a sale that takes goods below zero. */
  if (!mdn_stock_check_sale (ctx, co.entry, result, error) ||
      !mdn_checkout_commit (&co, result, error))
    return FALSE;
  json_object_set_array_member (result, "lines", json_array_ref (body_lines));
  return TRUE;
}

static gboolean
apply_receipt (MdnDb    *db,
               MdnEntry *entry,
               GError  **error)
{
  gint64 total = mdn_body_int (entry->body, "total_fen", -1);

  if (total < 0)
    return mdn_entry_malformed (entry, "total_fen", error);
  return mdn_receipt_apply (db, entry, total, error);
}

/* Quick sale ------------------------------------------------------------------------ */

static gboolean
op_sale_quick (MdnOpCtx   *ctx,
               JsonObject *args,
               JsonObject *result,
               GError    **error)
{
  g_auto(MdnCheckout) co = { 0 };
  g_auto(MdnPaymentRequest) pay = { 0 };
  g_autoptr(MdnMember) m = NULL;
  g_autofree char *clean_note = NULL;
  const char *note = NULL;
  gint64 amount = 0;

  if (!mdn_args_money (args, "amount", TRUE, &amount, error) ||
      !mdn_money_check_amount (amount, FALSE, error) ||
      !mdn_args_string (args, "note", FALSE, &note, error) ||
      !mdn_payment_request_parse (args, &pay, error))
    return FALSE;
  if (note)
    {
      clean_note = g_strstrip (g_strdup (note));
      if (g_utf8_strlen (clean_note, -1) > 200)
        {
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                               _("A note can have at most 200 characters"));
          return FALSE;
        }
    }
  if (!mdn_selling_card (ctx, pay.card, &m, error) ||
      !mdn_checkout_init (&co, ctx, "sale.quick", g_steal_pointer (&m), error))
    return FALSE;
  co.list_total_fen = amount;
  if (!mdn_money_percent (amount, mdn_checkout_percent (&co), &co.total_fen, error) ||
      !mdn_checkout_settle (&co, &pay, error))
    return FALSE;
  json_object_set_int_member (co.entry->body, "amount_fen", amount);
  mdn_json_set_opt_string (co.entry->body, "note", clean_note && *clean_note ? clean_note : NULL);
  return mdn_checkout_commit (&co, result, error);
}

/* What was returned before ----------------------------------------------------------- */

typedef struct
{
  MdnEntry   *sale;
  gint64      total_fen;
  gint64      points_earned;
  gint64      refunded_fen;
  gint64      points_taken;
  gint64      principal_back;
  gint64      bonus_back;
  gint64      amount_back;      /* refunded by returns by amount (no lines) */
  GHashTable *qty_back;         /* sku → gint64 * */
  GHashTable *tender_back;      /* type → gint64 * */
  GPtrArray  *returns;          /* MdnEntry * of earlier returns */
} SaleState;

static void
sale_state_clear (SaleState *st)
{
  g_clear_pointer (&st->sale, mdn_entry_free);
  g_clear_pointer (&st->qty_back, g_hash_table_unref);
  g_clear_pointer (&st->tender_back, g_hash_table_unref);
  g_clear_pointer (&st->returns, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SaleState, sale_state_clear)

static void
add_to (GHashTable *table,
        const char *key,
        gint64      value)
{
  gint64 *v = g_hash_table_lookup (table, key);

  if (v == NULL)
    {
      v = g_new0 (gint64, 1);
      g_hash_table_insert (table, g_strdup (key), v);
    }
  *v += value;
}

static gint64
get_from (GHashTable *table,
          const char *key)
{
  gint64 *v = g_hash_table_lookup (table, key);

  return v ? *v : 0;
}

static gboolean
is_sale_kind (const char *kind)
{
  return g_str_equal (kind, "sale") || g_str_equal (kind, "sale.quick") || g_str_equal (kind, "timed.stop") ||
         g_str_equal (kind, "timed.prepay") || g_str_equal (kind, "timed.extend");
}

/* @entry_id or @receipt_no → the sale entry (a timed session → its stop
 * entry). */
static char *
find_sale (MdnOpCtx   *ctx,
           const char *entry_id,
           const char *receipt_no,
           GError    **error)
{
  sqlite3_stmt *stmt;
  char *id = NULL;
  int rc;

  if (entry_id)
    {
      /* A timed session's id is its start entry; it is paid by the stop.
         A prepaid one's is its timed.prepay, a receipt of its own. */
      stmt = mdn_db_query (ctx->db, error, "SELECT stop_entry FROM timed_sessions WHERE id = ? AND prepaid_minutes IS NULL",
                           "s", entry_id);
      if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) < 0)
        return NULL;
      if (rc == SQLITE_ROW && mdn_db_col_text (stmt, 0) == NULL)
        {
          sqlite3_reset (stmt);
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                               _("This timed session is still running; stop it first"));
          return NULL;
        }
      id = g_strdup (rc == SQLITE_ROW ? mdn_db_col_text (stmt, 0) : entry_id);
      sqlite3_reset (stmt);
      return id;
    }
  if (receipt_no == NULL)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("Give the receipt number (or “entry_id”) of the sale"));
      return NULL;
    }
  stmt = mdn_db_query (ctx->db, error, "SELECT entry_id FROM receipts WHERE receipt_no = ?", "s", receipt_no);
  if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) < 0)
    return NULL;
  if (rc == SQLITE_ROW)
    id = g_strdup (mdn_db_col_text (stmt, 0));
  else
    g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_ENTRY, _("There is no receipt %s at this branch"), receipt_no);
  sqlite3_reset (stmt);
  return id;
}

/* The sale that @args name by "entry_id" or "receipt_no". */
static char *
find_sale_id (MdnOpCtx   *ctx,
              JsonObject *args,
              GError    **error)
{
  const char *entry_id = NULL, *receipt_no = NULL;

  if (!mdn_args_string (args, "entry_id", FALSE, &entry_id, error) ||
      !mdn_args_string (args, "receipt_no", FALSE, &receipt_no, error))
    return NULL;
  return find_sale (ctx, entry_id, receipt_no, error);
}

static gboolean
load_sale_state (MdnDb      *db,
                 const char *sale_id,
                 SaleState  *st,
                 GError    **error)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt;
  int rc;

  st->qty_back = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  st->tender_back = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  st->returns = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_entry_free);
  st->sale = mdn_entry_load (db, sale_id, error);
  if (st->sale == NULL)
    return FALSE;
  if (!is_sale_kind (st->sale->kind))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("Entry %s is a %s, not a sale"), sale_id, st->sale->kind);
      return FALSE;
    }
  st->total_fen = mdn_body_int (st->sale->body, "total_fen", 0);
  st->points_earned = mdn_body_int (st->sale->body, "points_earned", 0);

  stmt = mdn_db_query (db, error,
                       "SELECT entry_id FROM sale_returns WHERE sale_entry = ? ORDER BY entry_id", "s", sale_id);
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (db, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (ids, g_strdup (mdn_db_col_text (stmt, 0)));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return FALSE;

  for (guint i = 0; i < ids->len; i++)
    {
      MdnEntry *ret = mdn_entry_load (db, g_ptr_array_index (ids, i), error);
      JsonArray *lines, *tenders;

      if (ret == NULL)
        return FALSE;
      g_ptr_array_add (st->returns, ret);
      st->refunded_fen += mdn_body_int (ret->body, "refund_fen", 0);
      st->points_taken += mdn_body_int (ret->body, "points_taken", 0);
      st->principal_back += mdn_body_int (ret->body, "principal_fen", 0);
      st->bonus_back += mdn_body_int (ret->body, "bonus_fen", 0);
      lines = mdn_body_array (ret->body, "lines");
      if (lines == NULL)
        st->amount_back += mdn_body_int (ret->body, "refund_fen", 0);
      for (guint j = 0; lines && j < json_array_get_length (lines); j++)
        {
          JsonObject *o = json_array_get_object_element (lines, j);

          if (o && mdn_body_string (o, "sku"))
            add_to (st->qty_back, mdn_body_string (o, "sku"), mdn_body_int (o, "qty", 0));
        }
      tenders = mdn_body_array (ret->body, "tenders");
      for (guint j = 0; tenders && j < json_array_get_length (tenders); j++)
        {
          JsonObject *o = json_array_get_object_element (tenders, j);

          if (o && mdn_body_string (o, "type"))
            add_to (st->tender_back, mdn_body_string (o, "type"), mdn_body_int (o, "amount_fen", 0));
        }
    }
  return TRUE;
}

/* Uses still in the lot a package line bought. */
static gboolean
lot_remaining (MdnDb      *db,
               const char *member_id,
               JsonObject *line,
               gint64     *out,
               GError    **error)
{
  sqlite3_stmt *stmt;
  int rc;

  *out = 0;
  stmt = mdn_db_query (db, error,
                       "SELECT remaining FROM member_packages WHERE member_id = ? AND item = ? AND lot = ?",
                       "sss", member_id, mdn_body_string (line, "package_sku"), mdn_body_string (line, "lot"));
  if (stmt == NULL || (rc = mdn_db_step (db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    *out = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return TRUE;
}

/* How many of a sale line can still be returned. */
static gboolean
line_returnable (MdnOpCtx   *ctx,
                 SaleState  *st,
                 JsonObject *line,
                 gint64     *out,
                 GError    **error)
{
  gint64 qty = mdn_body_int (line, "qty", 0);
  gint64 left = qty - get_from (st->qty_back, mdn_body_string (line, "sku"));

  if (g_strcmp0 (mdn_body_string (line, "kind"), "package") == 0 && left > 0)
    {
      gint64 remaining, per = mdn_body_int (line, "package_count", 1);

      if (!lot_remaining (ctx->db, st->sale->member_id, line, &remaining, error))
        return FALSE;
      left = MIN (left, remaining / MAX (per, 1));
    }
  *out = MAX (left, 0);
  return TRUE;
}

static JsonObject *find_line (SaleState *st, const char *sku);
static gboolean return_exceeds (GError **error, const char *format, ...) G_GNUC_PRINTF (2, 3);

/* Chain-wide returns --------------------------------------------------------------------- */

static gint64
qty_in (GArray     *lines,
        const char *sku)
{
  gint64 sum = 0;

  for (guint i = 0; lines && i < lines->len; i++)
    {
      const MdnSaleLineRequest *l = &g_array_index (lines, MdnSaleLineRequest, i);

      /* Beyond any sale or lot: what can't be added up is refused. */
      if (g_strcmp0 (l->sku, sku) == 0 && !mdn_money_add (sum, l->qty, &sum, NULL))
        return MDN_MONEY_MAX;
    }
  return sum;
}

/* Whether a return of @refund_fen (and, for a sale by lines, of @lines:
 * [{sku, qty}]) still fits what is returnable of @sale_id by the entries
 * in @db, after what live authorizations hold: returns (@held_refund,
 * @held_lines) and package spends (each service and its uses in
 * @held_uses). A
 * package line takes its uses back from its own lot, which must have them,
 * and must not take the service below zero net across its lots (an
 * overdraft) once the held spends are made. The server asks this of its
 * chain-wide copy before it authorizes a return at a branch
 * (return_exceeds, package_consumed otherwise). */
gboolean
mdn_sale_return_check (MdnDb      *db,
                       const char *sale_id,
                       gint64      refund_fen,
                       GArray     *lines,
                       gint64      held_refund,
                       GArray     *held_lines,
                       GArray     *held_uses,
                       GError    **error)
{
  g_auto(SaleState) st = { 0 };
  const char *receipt_no;
  gint64 left;

  g_return_val_if_fail (db != NULL && sale_id != NULL, FALSE);

  if (!load_sale_state (db, sale_id, &st, error))
    return FALSE;
  receipt_no = mdn_body_string (st.sale->body, "receipt_no");
  for (guint i = 0; lines && i < lines->len; i++)
    {
      const MdnSaleLineRequest *asked = &g_array_index (lines, MdnSaleLineRequest, i);
      const char *sku = asked->sku;
      gint64 qty = asked->qty;
      JsonObject *line = sku ? find_line (&st, sku) : NULL;
      gint64 sold, back;

      if (line == NULL || qty < 1)
        return return_exceeds (error, _("%s was not sold on receipt %s"), sku ? sku : "?", receipt_no);
      sold = mdn_body_int (line, "qty", 0);
      back = get_from (st.qty_back, sku) + qty_in (held_lines, sku);
      if (qty > sold - back)
        return return_exceeds (error,
                               _("%s: %" PRId64 " sold on receipt %s, %" PRId64 " returned already "
                                 "(here or at another branch); %" PRId64 " more cannot be returned"),
                               mdn_body_string (line, "name"), sold, receipt_no, back, qty);
      if (g_strcmp0 (mdn_body_string (line, "kind"), "package") == 0)
        {
          const char *service = mdn_body_string (line, "package_sku");
          gint64 per = mdn_body_int (line, "package_count", 0);
          gint64 uses = qty * per, returning = qty_in (held_lines, sku) * per;
          gint64 in_lot, net, left_uses;

          if (service == NULL)
            return mdn_entry_malformed (st.sale, "package_sku", error);
          if (!lot_remaining (db, st.sale->member_id, line, &in_lot, error) ||
              !mdn_package_net (db, st.sale->member_id, service, &net, error))
            return FALSE;
          left_uses = MIN (in_lot - returning,
                           net - returning - qty_in (held_uses, service));
          if (left_uses < uses)
            {
              g_set_error (error, MDN_ERROR, MDN_ERROR_PACKAGE_CONSUMED,
                           _("%s: only %" PRId64 " of the uses it bought are left across the chain, "
                             "%" PRId64 " are needed to return it; used uses cannot be returned"),
                           mdn_body_string (line, "name"), MAX (left_uses, 0), uses);
              return FALSE;
            }
        }
    }
  left = st.total_fen - st.refunded_fen - held_refund;
  if (refund_fen > left)
    {
      g_autofree char *a = mdn_money_format (refund_fen);
      g_autofree char *l = mdn_money_format (MAX (left, 0));

      return return_exceeds (error, _("Only %s of receipt %s can still be refunded across the chain, not %s "
                                      "(part was refunded at another branch)"), l, receipt_no, a);
    }
  return TRUE;
}

/* What @sale_id took in and what its returns in @db paid back. */
gboolean
mdn_sale_refunded (MdnDb      *db,
                   const char *sale_id,
                   gint64     *total_fen,
                   gint64     *refunded_fen,
                   GError    **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (db != NULL && sale_id != NULL, FALSE);

  stmt = mdn_db_query (db, error,
                       "SELECT r.total_fen, (SELECT COALESCE (SUM (refund_fen), 0) FROM sale_returns "
                       "WHERE sale_entry = r.entry_id) FROM receipts r WHERE r.entry_id = ?", "s", sale_id);
  if (stmt == NULL || (rc = mdn_db_step (db, stmt, error)) < 0)
    return FALSE;
  if (rc != SQLITE_ROW)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_ENTRY, _("No sale %s here"), sale_id);
      return FALSE;
    }
  *total_fen = sqlite3_column_int64 (stmt, 0);
  *refunded_fen = sqlite3_column_int64 (stmt, 1);
  sqlite3_reset (stmt);
  return TRUE;
}

/* Return ------------------------------------------------------------------------------ */

typedef struct
{
  JsonObject *line;      /* the sale's line (borrowed) */
  gint64      qty;
  gint64      refund_fen;
} ReturnLine;

static JsonObject *
find_line (SaleState  *st,
           const char *sku)
{
  JsonArray *lines = mdn_body_array (st->sale->body, "lines");

  for (guint i = 0; lines && i < json_array_get_length (lines); i++)
    {
      JsonObject *o = json_array_get_object_element (lines, i);

      if (o && g_strcmp0 (mdn_body_string (o, "sku"), sku) == 0)
        return o;
    }
  return NULL;
}

static gboolean
return_exceeds (GError    **error,
                const char *format,
                ...)
{
  va_list ap;
  g_autofree char *message = NULL;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error_literal (error, MDN_ERROR, MDN_ERROR_RETURN_EXCEEDS, message);
  return FALSE;
}

static void
return_line_clear (gpointer data)
{
  g_free (((MdnSaleLineRequest *) data)->sku);
}

GArray *
mdn_return_lines_new (void)
{
  GArray *lines = g_array_new (FALSE, TRUE, sizeof (MdnSaleLineRequest));

  g_array_set_clear_func (lines, return_line_clear);
  return lines;
}

gboolean
mdn_return_lines_parse (JsonArray *lines,
                        GArray    *out,
                        GError   **error)
{
  g_return_val_if_fail (lines != NULL && out != NULL, FALSE);

  for (guint i = 0; i < json_array_get_length (lines); i++)
    {
      JsonObject *o = mdn_args_element_object (lines, i, "lines", error);
      const char *sku = NULL;
      gint64 qty = 0;
      MdnSaleLineRequest l = { 0 };

      if (o == NULL ||
          !mdn_args_string (o, "sku", TRUE, &sku, error) ||
          !mdn_args_int (o, "qty", TRUE, &qty, error))
        return FALSE;
      l.sku = g_strdup (sku);
      l.qty = qty;
      g_array_append_val (out, l);
    }
  return TRUE;
}

void
mdn_return_request_clear (MdnReturnRequest *req)
{
  g_clear_pointer (&req->entry_id, g_free);
  g_clear_pointer (&req->receipt_no, g_free);
  g_clear_pointer (&req->lines, g_array_unref);
}

/* The arguments of "sale.return", read once: which sale, the lines asked
 * for (each a quantity from 1) and the amount. Whether the lines or the
 * amount fit the sale is the return's to say. */
gboolean
mdn_return_request_parse (JsonObject       *args,
                          MdnReturnRequest *out,
                          GError          **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *entry_id = NULL, *receipt_no = NULL;
  JsonArray *asked;

  g_return_val_if_fail (args != NULL && out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  out->amount_fen = G_MININT64;
  if (!mdn_args_string (args, "entry_id", FALSE, &entry_id, error) ||
      !mdn_args_string (args, "receipt_no", FALSE, &receipt_no, error))
    return FALSE;
  out->entry_id = g_strdup (entry_id);
  out->receipt_no = g_strdup (receipt_no);
  out->has_lines = json_object_has_member (args, "lines");
  out->has_amount = json_object_has_member (args, "amount_fen") || json_object_has_member (args, "amount");
  asked = mdn_args_array (args, "lines", FALSE, &local_error);
  if (local_error)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (asked)
    {
      out->lines = mdn_return_lines_new ();
      if (!mdn_return_lines_parse (asked, out->lines, error))
        return FALSE;
      for (guint i = 0; i < out->lines->len; i++)
        if (!mdn_pricing_check_qty (g_array_index (out->lines, MdnSaleLineRequest, i).qty, error))
          return FALSE;
    }
  if (!mdn_args_money (args, "amount", FALSE, &out->amount_fen, error))
    return FALSE;
  return TRUE;
}

/* The lines to return: those asked for, or everything still returnable. */
static GArray *
return_lines (MdnOpCtx               *ctx,
              const MdnReturnRequest *req,
              SaleState              *st,
              GError                **error)
{
  g_autoptr(GArray) out = g_array_new (FALSE, TRUE, sizeof (ReturnLine));
  JsonArray *sold = mdn_body_array (st->sale->body, "lines");
  const char *receipt_no = mdn_body_string (st->sale->body, "receipt_no");

  if (req->lines == NULL)
    {
      for (guint i = 0; sold && i < json_array_get_length (sold); i++)
        {
          JsonObject *line = json_array_get_object_element (sold, i);
          gint64 left = mdn_body_int (line, "qty", 0) - get_from (st->qty_back, mdn_body_string (line, "sku"));
          ReturnLine r = { line, left, 0 };

          if (left > 0)
            g_array_append_val (out, r);
        }
      if (out->len == 0)
        return return_exceeds (error, _("Everything on receipt %s has already been returned"), receipt_no), NULL;
      return g_steal_pointer (&out);
    }

  if (req->lines->len == 0)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("Say which lines to return, or leave out “lines” to return everything"));
      return NULL;
    }
  for (guint i = 0; i < req->lines->len; i++)
    {
      const MdnSaleLineRequest *asked = &g_array_index (req->lines, MdnSaleLineRequest, i);
      const char *sku = asked->sku;
      gint64 qty = asked->qty;
      JsonObject *line;
      ReturnLine *r = NULL;

      line = find_line (st, sku);
      if (line == NULL)
        {
          /* A scanned barcode names the product too. */
          g_autoptr(MdnProduct) p = mdn_product_find (ctx->db, sku, NULL);

          if (p)
            line = find_line (st, p->sku);
        }
      if (line == NULL)
        return return_exceeds (error, _("%s was not sold on receipt %s"), sku, receipt_no), NULL;
      for (guint j = 0; j < out->len && r == NULL; j++)
        if (g_array_index (out, ReturnLine, j).line == line)
          r = &g_array_index (out, ReturnLine, j);
      if (r)
        r->qty += qty;
      else
        {
          ReturnLine nr = { line, qty, 0 };

          g_array_append_val (out, nr);
        }
    }
  for (guint i = 0; i < out->len; i++)
    {
      ReturnLine *r = &g_array_index (out, ReturnLine, i);
      gint64 sold_qty = mdn_body_int (r->line, "qty", 0);
      gint64 back = get_from (st->qty_back, mdn_body_string (r->line, "sku"));

      if (r->qty > sold_qty - back)
        return return_exceeds (error,
                               _("%s: %" PRId64 " sold on receipt %s, %" PRId64
                                 " returned already; %" PRId64 " more cannot be returned"),
                               mdn_body_string (r->line, "name"), sold_qty, receipt_no, back, r->qty), NULL;
    }
  return g_steal_pointer (&out);
}

/* Splits @refund over the sale's tenders: balance first, then the others in
 * the sale's order, never more per tender than it paid minus earlier
 * refunds. Balance goes back to principal and bonus in the proportion the
 * sale drew them (cumulatively, so a full return restores both exactly). */
static gboolean
refund_tenders (SaleState  *st,
                gint64      refund,
                JsonArray  *out,
                gint64     *principal_out,
                gint64     *bonus_out,
                GError    **error)
{
  JsonArray *paid = mdn_body_array (st->sale->body, "tenders");
  gint64 left = refund;

  *principal_out = *bonus_out = 0;
  for (int pass = 0; pass < 2; pass++)
    for (guint i = 0; paid && i < json_array_get_length (paid) && left > 0; i++)
      {
        JsonObject *t = json_array_get_object_element (paid, i);
        const char *type = mdn_body_string (t, "type");
        gint64 give;
        JsonObject *o;

        if (type == NULL || (pass == 0) != g_str_equal (type, "balance"))
          continue;
        give = MIN (left, mdn_body_int (t, "amount_fen", 0) - get_from (st->tender_back, type));
        if (give <= 0)
          continue;
        left -= give;
        o = json_object_new ();
        json_object_set_string_member (o, "type", type);
        json_object_set_int_member (o, "amount_fen", give);
        json_array_add_object_element (out, o);

        if (g_str_equal (type, "balance"))
          {
            gint64 drawn_p = mdn_body_int (st->sale->body, "principal_fen", 0);
            gint64 drawn_b = mdn_body_int (st->sale->body, "bonus_fen", 0);
            gint64 after = get_from (st->tender_back, "balance") + give;
            gint64 p_target;

            if (drawn_p + drawn_b <= 0)
              p_target = st->principal_back + give;
            else if (!mdn_money_mul_div (drawn_p, after, drawn_p + drawn_b, TRUE, &p_target, error))
              return FALSE;
            *principal_out = CLAMP (p_target - st->principal_back, 0, give);
            *bonus_out = give - *principal_out;
          }
      }
  if (left != 0)
    {
      /* The tenders always cover what is refundable; this is a damaged sale. */
      g_set_error (error, MDN_ERROR, MDN_ERROR_CORRUPT,
                   _("The payments of receipt %s do not cover its refund"),
                   mdn_body_string (st->sale->body, "receipt_no"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
op_sale_return (MdnOpCtx   *ctx,
                JsonObject *args,
                JsonObject *result,
                GError    **error)
{
  g_auto(MdnReturnRequest) req = { 0 };
  g_auto(SaleState) st = { 0 };
  g_autoptr(MdnMember) m = NULL;
  g_autoptr(MdnEntry) entry = NULL;
  g_autoptr(GArray) rlines = NULL;
  g_autofree char *sale_id = NULL;
  g_autofree char *receipt_no = NULL;
  JsonObject *sale_body, *body;
  JsonArray *tenders, *body_lines = NULL;
  gint64 refund = 0, amount, principal = 0, bonus = 0, points = 0, rounding = 0;
  gboolean complete, by_lines;
  const char *member_id;

  if (!mdn_return_request_parse (args, &req, error))
    return FALSE;
  sale_id = find_sale (ctx, req.entry_id, req.receipt_no, error);
  if (sale_id == NULL || !load_sale_state (ctx->db, sale_id, &st, error))
    return FALSE;
  sale_body = st.sale->body;
  member_id = st.sale->member_id;

  /* A timed session's goods (timed.add, its stop's lines) come back by
     line like a sale's; its time by amount. */
  by_lines = g_str_equal (st.sale->kind, "sale") ||
             (g_str_equal (st.sale->kind, "timed.stop") && req.has_lines &&
              mdn_body_array (sale_body, "lines") != NULL);
  if (by_lines)
    {
      if (req.has_amount)
        {
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                               _("Goods are returned by line (“lines”), not by amount"));
          return FALSE;
        }
      rlines = return_lines (ctx, &req, &st, error);
      if (rlines == NULL)
        return FALSE;
      complete = TRUE;
      for (guint i = 0; i < rlines->len; i++)
        {
          ReturnLine *r = &g_array_index (rlines, ReturnLine, i);
          gint64 unit = mdn_body_int (r->line, "unit_price_fen", 0);
          gint64 percent = mdn_body_int (r->line, "percent", 100);
          gint64 back = get_from (st.qty_back, mdn_body_string (r->line, "sku"));
          gint64 before, after;

          if (!mdn_money_line_cost (unit, back, percent, NULL, &before, error) ||
              !mdn_money_line_cost (unit, back + r->qty, percent, NULL, &after, error))
            return FALSE;
          r->refund_fen = after - before;
          refund += r->refund_fen;

          if (g_strcmp0 (mdn_body_string (r->line, "kind"), "package") == 0)
            {
              gint64 remaining, uses = r->qty * mdn_body_int (r->line, "package_count", 0);

              if (!lot_remaining (ctx->db, member_id, r->line, &remaining, error))
                return FALSE;
              if (remaining < uses)
                {
                  g_set_error (error, MDN_ERROR, MDN_ERROR_PACKAGE_CONSUMED,
                               _("%s: only %" PRId64 " of the uses it bought are left, "
                                 "%" PRId64 " are needed to return it; used uses cannot be returned"),
                               mdn_body_string (r->line, "name"), remaining, uses);
                  return FALSE;
                }
            }
        }
      /* Complete when every line of the sale is back after this return. */
      {
        JsonArray *sold = mdn_body_array (sale_body, "lines");

        for (guint i = 0; sold && i < json_array_get_length (sold); i++)
          {
            JsonObject *line = json_array_get_object_element (sold, i);
            gint64 back = get_from (st.qty_back, mdn_body_string (line, "sku"));

            for (guint j = 0; j < rlines->len; j++)
              if (g_array_index (rlines, ReturnLine, j).line == line)
                back += g_array_index (rlines, ReturnLine, j).qty;
            if (back < mdn_body_int (line, "qty", 0))
              complete = FALSE;
          }
      }
      /* A sale paid in cash with 抹零 took its lines less the rounding:
         the return that brings the last line back keeps it back. A
         timed session's time carries its rounding (below); what its
         lines can't get back of it is what the receipt has left. */
      if (!g_str_equal (st.sale->kind, "sale"))
        {
          gint64 left = st.total_fen - st.refunded_fen;

          rounding = refund > left ? refund - left : 0;
          refund -= rounding;
          complete = st.refunded_fen + refund == st.total_fen;
        }
      else if (complete)
        {
          rounding = MIN (mdn_body_int (sale_body, "rounding_fen", 0), refund);
          refund -= rounding;
        }
    }
  else
    {
      gint64 left = st.total_fen - st.refunded_fen;

      if (req.has_lines)
        {
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                               _("A quick sale or a timed session is returned by amount (“amount_fen”)"));
          return FALSE;
        }
      /* A session with goods on it: its time alone is refunded by amount,
         the goods by line (they go back on the shelf). */
      if (json_object_has_member (sale_body, "time_fen"))
        left = MIN (left, MAX (mdn_body_int (sale_body, "time_fen", 0) - mdn_body_int (sale_body, "rounding_fen", 0), 0) -
                          st.amount_back);
      amount = req.amount_fen;
      if (left <= 0 && json_object_has_member (sale_body, "time_fen") && st.total_fen > st.refunded_fen)
        return return_exceeds (error, _("The time on receipt %s has been refunded; its goods are returned by line"),
                               mdn_body_string (sale_body, "receipt_no"));
      if (left <= 0)
        return return_exceeds (error, _("Receipt %s has already been refunded in full"),
                               mdn_body_string (sale_body, "receipt_no"));
      if (amount == G_MININT64)
        amount = left;
      if (!mdn_money_check_amount (amount, FALSE, error))
        return FALSE;
      if (amount > left)
        {
          g_autofree char *a = mdn_money_format (amount);
          g_autofree char *l = mdn_money_format (left);

          return return_exceeds (error, _("Only %s of receipt %s can still be refunded, not %s"),
                                 l, mdn_body_string (sale_body, "receipt_no"), a);
        }
      refund = amount;
      complete = st.refunded_fen + refund == st.total_fen;
    }

  /* Points: floor (earned × refund / total), all that remain on a full return. */
  if (complete)
    points = st.points_earned - st.points_taken;
  else if (st.total_fen > 0 && !mdn_money_mul_div (st.points_earned, refund, st.total_fen, FALSE, &points, error))
    return FALSE;

  tenders = json_array_new ();
  entry = mdn_entry_new ("sale.return", member_id);
  body = entry->body;
  json_object_set_array_member (body, "tenders", tenders);
  if (!refund_tenders (&st, refund, tenders, &principal, &bonus, error) ||
      !mdn_receipt_next (ctx, &receipt_no, error))
    return FALSE;
  if (member_id && (m = mdn_member_load (ctx->db, member_id, error)) == NULL)
    return FALSE;

  json_object_set_string_member (body, "receipt_no", receipt_no);
  json_object_set_string_member (body, "sale_entry", st.sale->id);
  json_object_set_string_member (body, "sale_kind", st.sale->kind);
  json_object_set_string_member (body, "sale_receipt_no", mdn_body_string (sale_body, "receipt_no"));
  mdn_json_set_opt_string (body, "card_no", m ? m->card_no : NULL);
  json_object_set_int_member (body, "refund_fen", refund);
  if (rounding > 0)
    json_object_set_int_member (body, "rounding_fen", rounding);
  json_object_set_int_member (body, "principal_fen", principal);
  json_object_set_int_member (body, "bonus_fen", bonus);
  json_object_set_int_member (body, "points_taken", points);
  json_object_set_boolean_member (body, "complete", complete);
  if (m)
    {
      mdn_entry_add_movement (entry, m->id, "principal", NULL, NULL, NULL, principal);
      mdn_entry_add_movement (entry, m->id, "bonus", NULL, NULL, NULL, bonus);
      mdn_entry_add_movement (entry, m->id, "points", NULL, NULL, NULL, -points);
    }
  if (rlines)
    {
      body_lines = json_array_new ();
      json_object_set_array_member (body, "lines", body_lines);
      for (guint i = 0; i < rlines->len; i++)
        {
          ReturnLine *r = &g_array_index (rlines, ReturnLine, i);
          const char *sku = mdn_body_string (r->line, "sku");
          const char *kind = mdn_body_string (r->line, "kind");
          JsonObject *o = json_object_new ();

          json_object_set_int_member (o, "line", mdn_body_int (r->line, "line", i + 1));
          json_object_set_string_member (o, "sku", sku);
          mdn_json_set_opt_string (o, "name", mdn_body_string (r->line, "name"));
          mdn_json_set_opt_string (o, "kind", kind);
          json_object_set_int_member (o, "qty", r->qty);
          json_object_set_int_member (o, "refund_fen", r->refund_fen);
          /* The cost comes back at what the sale recorded. */
          if (json_object_has_member (r->line, "unit_cost_fen"))
            {
              gint64 unit_cost = mdn_body_int (r->line, "unit_cost_fen", 0), cost;

              if (!mdn_money_mul (unit_cost, r->qty, &cost, error))
                return FALSE;
              json_object_set_int_member (o, "unit_cost_fen", unit_cost);
              json_object_set_int_member (o, "cost_fen", cost);
            }
          if (g_strcmp0 (kind, "goods") == 0)
            mdn_entry_add_movement (entry, NULL, "stock", sku, NULL, NULL, r->qty);
          else if (g_strcmp0 (kind, "package") == 0)
            {
              gint64 uses = r->qty * mdn_body_int (r->line, "package_count", 0);

              json_object_set_string_member (o, "package_sku", mdn_body_string (r->line, "package_sku"));
              json_object_set_int_member (o, "uses", uses);
              json_object_set_string_member (o, "lot", mdn_body_string (r->line, "lot"));
              mdn_entry_add_movement (entry, member_id, "package", mdn_body_string (r->line, "package_sku"),
                                      mdn_body_string (r->line, "lot"),
                                      mdn_body_string (r->line, "expires_on"), -uses);
            }
          json_array_add_object_element (body_lines, o);
        }
    }
  {
    /* At a linked branch the server checks it against the chain (see
       mdn_sale_return_check); the lines are the sale's own skus. */
    g_autoptr(JsonObject) detail = json_object_new ();
    JsonArray *asked = json_array_new ();

    json_object_set_array_member (detail, "lines", asked);
    for (guint i = 0; rlines && i < rlines->len; i++)
      {
        ReturnLine *r = &g_array_index (rlines, ReturnLine, i);
        JsonObject *o = json_object_new ();

        json_object_set_string_member (o, "sku", mdn_body_string (r->line, "sku"));
        json_object_set_int_member (o, "qty", r->qty);
        json_array_add_object_element (asked, o);
      }
    if (!mdn_card_chain_check (ctx, member_id, "return", st.sale->id, refund, detail, body, error))
      return FALSE;
  }
  /* The commission of what comes back is taken back. */
  if (!mdn_commission_reverse (entry, st.sale, body_lines, refund, st.total_fen, error))
    return FALSE;
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "receipt_no", receipt_no);
  json_object_set_string_member (result, "sale_entry", st.sale->id);
  json_object_set_string_member (result, "sale_receipt_no", mdn_body_string (sale_body, "receipt_no"));
  json_object_set_int_member (result, "refund_fen", refund);
  json_object_set_array_member (result, "tenders", json_array_ref (tenders));
  json_object_set_int_member (result, "principal_fen", principal);
  json_object_set_int_member (result, "bonus_fen", bonus);
  json_object_set_int_member (result, "points_taken", points);
  json_object_set_boolean_member (result, "complete", complete);
  if (body_lines)
    json_object_set_array_member (result, "lines", json_array_ref (body_lines));
  if (m)
    {
      json_object_set_string_member (result, "card_no", m->card_no);
      json_object_set_int_member (result, "balance_fen", m->principal_fen + principal + m->bonus_fen + bonus);
      json_object_set_int_member (result, "points", m->points - points);
    }
  return TRUE;
}

static gboolean
apply_sale_return (MdnDb    *db,
                   MdnEntry *entry,
                   GError  **error)
{
  const char *sale = mdn_body_string (entry->body, "sale_entry");
  gint64 refund = mdn_body_int (entry->body, "refund_fen", -1);

  if (sale == NULL || refund < 0)
    return mdn_entry_malformed (entry, "sale_entry", error);
  return mdn_db_exec (db, error,
                      "INSERT INTO sale_returns (entry_id, sale_entry, refund_fen) VALUES (?, ?, ?)",
                      "ssi", entry->id, sale, refund) &&
         mdn_receipt_apply (db, entry, -refund, error);
}

/* Receipts ----------------------------------------------------------------------------- */

static void
copy_members (JsonObject *from,
              JsonObject *to)
{
  g_autoptr(GList) names = json_object_get_members (from);

  for (GList *l = names; l; l = l->next)
    json_object_set_member (to, l->data, json_node_copy (json_object_get_member (from, l->data)));
}

/* A sale (or a return) by receipt number: its lines with what can still be
 * returned, its payments with what was refunded, and its returns. */
/* The other entries a cashier prints a receipt for, reprinted by entry id
 * (from the member's history): a return, a card issued with its deposit, a
 * deposit, a withdrawal, a package use. */
static gboolean
has_receipt (const char *kind)
{
  static const char *const kinds[] = {
    "sale.return", "member.issue", "member.deposit", "member.withdraw", "package.consume", NULL
  };

  return g_strv_contains (kinds, kind);
}

/* What the receipt prints as people say it: the staff member's name (when
 * this branch knows them), the table's, the package service's. */
static gboolean
receipt_names (MdnOpCtx   *ctx,
               MdnEntry   *entry,
               JsonObject *result,
               GError    **error)
{
  static const struct { const char *member; const char *name; const char *sql; } names[] = {
    { "resource", "resource_name", "SELECT name FROM resources WHERE code = ?" },
    { "sku", "name", "SELECT name FROM products WHERE sku = ?" },
  };
  sqlite3_stmt *stmt;
  int rc;

  if (g_str_equal (entry->branch, ctx->store->branch_code))
    {
      stmt = mdn_db_query (ctx->db, error, "SELECT name FROM staff WHERE code = ?", "s", entry->staff);
      if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) < 0)
        return FALSE;
      if (rc == SQLITE_ROW)
        json_object_set_string_member (result, "staff_name", mdn_db_col_text (stmt, 0));
      sqlite3_reset (stmt);
    }
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      const char *code = mdn_body_string (entry->body, names[i].member);

      if (code == NULL || json_object_has_member (result, names[i].name))
        continue;
      stmt = mdn_db_query (ctx->db, error, names[i].sql, "s", code);
      if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) < 0)
        return FALSE;
      if (rc == SQLITE_ROW)
        json_object_set_string_member (result, names[i].name, mdn_db_col_text (stmt, 0));
      sqlite3_reset (stmt);
    }
  return TRUE;
}

static gboolean
op_receipt_show (MdnOpCtx   *ctx,
                 JsonObject *args,
                 JsonObject *result,
                 GError    **error)
{
  g_auto(SaleState) st = { 0 };
  g_autofree char *id = NULL;
  g_autoptr(MdnEntry) entry = NULL;
  JsonArray *lines, *tenders, *returns;
  gint64 refundable;

  id = find_sale_id (ctx, args, error);
  if (id == NULL)
    return FALSE;
  entry = mdn_entry_load (ctx->db, id, error);
  if (entry == NULL)
    return FALSE;
  if (!is_sale_kind (entry->kind))
    {
      if (!has_receipt (entry->kind))
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                       _("Entry %s is a %s, not a sale"), id, entry->kind);
          return FALSE;
        }
      copy_members (entry->body, result);
      json_object_remove_member (result, "pin_hash");
      json_object_set_string_member (result, "entry_id", entry->id);
      json_object_set_string_member (result, "kind", entry->kind);
      json_object_set_string_member (result, "at", entry->at);
      json_object_set_string_member (result, "business_date", entry->business_date);
      json_object_set_string_member (result, "staff", entry->staff);
      return receipt_names (ctx, entry, result, error);
    }
  if (!load_sale_state (ctx->db, id, &st, error) ||
      !receipt_names (ctx, st.sale, result, error))
    return FALSE;

  copy_members (st.sale->body, result);
  json_object_set_string_member (result, "entry_id", st.sale->id);
  json_object_set_string_member (result, "kind", st.sale->kind);
  json_object_set_string_member (result, "at", st.sale->at);
  json_object_set_string_member (result, "business_date", st.sale->business_date);
  json_object_set_string_member (result, "staff", st.sale->staff);

  lines = mdn_body_array (result, "lines");
  for (guint i = 0; lines && i < json_array_get_length (lines); i++)
    {
      JsonObject *line = json_array_get_object_element (lines, i);
      gint64 returnable;

      if (!line_returnable (ctx, &st, line, &returnable, error))
        return FALSE;
      json_object_set_int_member (line, "returned_qty", get_from (st.qty_back, mdn_body_string (line, "sku")));
      json_object_set_int_member (line, "returnable_qty", returnable);
    }
  tenders = mdn_body_array (result, "tenders");
  for (guint i = 0; tenders && i < json_array_get_length (tenders); i++)
    {
      JsonObject *t = json_array_get_object_element (tenders, i);

      json_object_set_int_member (t, "refunded_fen", get_from (st.tender_back, mdn_body_string (t, "type")));
    }
  refundable = st.total_fen - st.refunded_fen;
  json_object_set_int_member (result, "refunded_fen", st.refunded_fen);
  json_object_set_int_member (result, "refundable_fen", MAX (refundable, 0));
  /* Returned at two branches that had not seen each other's return (one of
     them offline): more was paid back than the sale took in. The server
     holds it as an exception on the sale for head office. */
  if (refundable < 0)
    json_object_set_int_member (result, "over_refunded_fen", -refundable);
  json_object_set_int_member (result, "points_taken", st.points_taken);

  returns = json_array_new ();
  json_object_set_array_member (result, "returns", returns);
  for (guint i = 0; i < st.returns->len; i++)
    {
      MdnEntry *ret = g_ptr_array_index (st.returns, i);
      JsonObject *o = json_object_new ();

      json_object_set_string_member (o, "entry_id", ret->id);
      mdn_json_set_opt_string (o, "receipt_no", mdn_body_string (ret->body, "receipt_no"));
      json_object_set_string_member (o, "at", ret->at);
      json_object_set_string_member (o, "staff", ret->staff);
      json_object_set_int_member (o, "refund_fen", mdn_body_int (ret->body, "refund_fen", 0));
      json_array_add_object_element (returns, o);
    }
  return TRUE;
}

/* The receipts of one business day, newest last. */
static gboolean
op_sale_list (MdnOpCtx   *ctx,
              JsonObject *args,
              JsonObject *result,
              GError    **error)
{
  const char *date = NULL;
  gint64 limit = 200, count = 0, total = 0;
  JsonArray *list;
  sqlite3_stmt *stmt;
  int rc;

  if (!mdn_args_date (args, "date", FALSE, &date, error) ||
      !mdn_args_int (args, "limit", FALSE, &limit, error))
    return FALSE;
  if (date == NULL)
    date = ctx->business_date;
  list = json_array_new ();
  json_object_set_string_member (result, "date", date);
  json_object_set_array_member (result, "receipts", list);
  stmt = mdn_db_query (ctx->db, error,
                       "SELECT r.receipt_no, r.entry_id, r.kind, r.total_fen, e.at, e.staff, m.card_no "
                       "FROM receipts r JOIN entries e ON e.id = r.entry_id "
                       "LEFT JOIN members m ON m.id = r.member_id "
                       "WHERE r.branch = ? AND r.business_date = ? ORDER BY r.receipt_no LIMIT ?",
                       "ssi", ctx->store->branch_code, date, CLAMP (limit, 1, 10000));
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
    {
      JsonObject *o = json_object_new ();

      json_object_set_string_member (o, "receipt_no", mdn_db_col_text (stmt, 0));
      json_object_set_string_member (o, "entry_id", mdn_db_col_text (stmt, 1));
      json_object_set_string_member (o, "kind", mdn_db_col_text (stmt, 2));
      json_object_set_int_member (o, "total_fen", sqlite3_column_int64 (stmt, 3));
      json_object_set_string_member (o, "at", mdn_db_col_text (stmt, 4));
      json_object_set_string_member (o, "staff", mdn_db_col_text (stmt, 5));
      mdn_json_set_opt_string (o, "card_no", mdn_db_col_text (stmt, 6));
      json_array_add_object_element (list, o);
      count++;
      total += sqlite3_column_int64 (stmt, 3);
    }
  sqlite3_reset (stmt);
  json_object_set_int_member (result, "count", count);
  json_object_set_int_member (result, "net_fen", total);
  return rc == SQLITE_DONE;
}

/* {} → {staff: [{code, name}]}: who may be named as having served a sale
 * line (the technician, for commission: mdn_commission_check_staff takes
 * any active staff member of the branch), by code, for the checkout's
 * picker; a cashier may ask (staff.list, with roles, is a manager's). */
static gboolean
op_sale_staff (MdnOpCtx   *ctx,
               JsonObject *args,
               JsonObject *result,
               GError    **error)
{
  static const MdnListColumn columns[] = { { "code", 's' }, { "name", 's' }, { NULL } };
  sqlite3_stmt *stmt = mdn_db_query (ctx->db, error, "SELECT code, name FROM staff WHERE active = 1 ORDER BY code", "");

  return stmt != NULL && mdn_ops_list_rows (ctx, stmt, columns, result, "staff", error);
}

const MdnOpDef mdn_sales_ops[] = {
  { "sale",         MDN_ROLE_CASHIER, MDN_OP_WRITE | MDN_OP_SPEND, op_sale },
  { "sale.quick",   MDN_ROLE_CASHIER, MDN_OP_WRITE | MDN_OP_SPEND, op_sale_quick },
  { "sale.return",  MDN_ROLE_MANAGER, MDN_OP_WRITE | MDN_OP_SPEND | MDN_OP_CHAIN, op_sale_return },
  { "sale.list",    MDN_ROLE_CASHIER, MDN_OP_READ,  op_sale_list },
  { "receipt.show", MDN_ROLE_CASHIER, MDN_OP_READ,  op_receipt_show },
  { "sale.staff",   MDN_ROLE_CASHIER, MDN_OP_READ,  op_sale_staff },
  { NULL }
};

const MdnKindDef mdn_sales_kinds[] = {
  { "sale",        apply_receipt },
  { "sale.quick",  apply_receipt },
  { "sale.return", apply_sale_return },
  { NULL }
};
