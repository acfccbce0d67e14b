/* mdn-pricing.c: the one pricing of a sale's lines. "sale" prices its cart
 * here before taking the payment; "sale.preview" prices the same cart in a
 * read transaction, so a front end can show the lines, member discount,
 * total and points on every change of the cart without the write lock; a
 * return gives back what the same line rule charged. See mdn-pricing.h. */
#define G_LOG_DOMAIN "mdn-pricing"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <string.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-money.h"
#include "mdn-op.h"
#include "mdn-pricing.h"

#define QTY_MAX ((gint64) 1000000)

static void
line_clear (gpointer data)
{
  MdnPricedLine *l = data;

  g_clear_pointer (&l->product, mdn_product_free);
  g_clear_pointer (&l->staff, g_free);
}

gboolean
mdn_pricing_check_qty (gint64   qty,
                       GError **error)
{
  if (qty < 1 || qty > QTY_MAX)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("A quantity is a whole number from 1 to %" PRId64), QTY_MAX);
      return FALSE;
    }
  return TRUE;
}

static void
line_request_clear (gpointer data)
{
  MdnSaleLineRequest *l = data;

  g_clear_pointer (&l->sku, g_free);
  g_clear_pointer (&l->staff, g_free);
}

void
mdn_sale_request_clear (MdnSaleRequest *req)
{
  g_clear_pointer (&req->lines, g_array_unref);
  mdn_payment_request_clear (&req->pay);
}

gboolean
mdn_sale_request_parse (JsonObject      *args,
                        gboolean         with_payment,
                        MdnSaleRequest  *out,
                        GError         **error)
{
  JsonArray *list;

  g_return_val_if_fail (args != NULL && out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  out->lines = g_array_new (FALSE, TRUE, sizeof (MdnSaleLineRequest));
  g_array_set_clear_func (out->lines, line_request_clear);
  list = mdn_args_array (args, "lines", TRUE, error);
  if (list == NULL)
    return FALSE;
  if (json_array_get_length (list) == 0)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("A sale needs at least one line; use a quick sale for an amount"));
      return FALSE;
    }
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *o = mdn_args_element_object (list, i, "lines", error);
      const char *sku = NULL, *staff = NULL;
      gint64 qty = 1;
      MdnSaleLineRequest l;

      if (o == NULL ||
          !mdn_args_string (o, "sku", TRUE, &sku, error) ||
          !mdn_args_string (o, "staff", FALSE, &staff, error) ||
          !mdn_args_int (o, "qty", FALSE, &qty, error) ||
          !mdn_pricing_check_qty (qty, error))
        return FALSE;
      l.sku = g_strdup (sku);
      l.qty = qty;
      l.staff = g_strdup (staff);
      g_array_append_val (out->lines, l);
    }
  if (!with_payment)
    {
      /* A preview: the card prices the cart; PIN and tenders are not read. */
      const char *card = NULL;

      if (!mdn_args_string (args, "card", FALSE, &card, error))
        return FALSE;
      out->pay.card = g_strdup (card);
      return TRUE;
    }
  return mdn_payment_request_parse (args, &out->pay, error);
}

/* The request's lines → an array of MdnPricedLine, not yet priced. */
static GArray *
find_lines (MdnOpCtx             *ctx,
            GArray               *requests,
            GError              **error)
{
  g_autoptr(GArray) lines = g_array_new (FALSE, TRUE, sizeof (MdnPricedLine));

  g_assert (ctx != NULL && requests != NULL);

  g_array_set_clear_func (lines, line_clear);
  for (guint i = 0; i < requests->len; i++)
    {
      const MdnSaleLineRequest *asked = &g_array_index (requests, MdnSaleLineRequest, i);
      g_autoptr(MdnProduct) p = NULL;
      MdnPricedLine *line = NULL;

      p = mdn_product_find (ctx->db, asked->sku, error);
      if (p == NULL)
        return NULL;
      if (!p->active)
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_PRODUCT,
                       _("%s (%s) is no longer sold"), p->name, p->sku);
          return NULL;
        }
      for (guint j = 0; j < lines->len && line == NULL; j++)
        if (g_str_equal (g_array_index (lines, MdnPricedLine, j).product->sku, p->sku))
          line = &g_array_index (lines, MdnPricedLine, j);
      if (line && g_strcmp0 (line->staff, asked->staff) != 0)
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                       _("%s is on the sale twice, served by different staff; sell it once"), p->name);
          return NULL;
        }
      if (line)
        {
          line->qty += asked->qty;
          if (!mdn_pricing_check_qty (line->qty, error))
            return NULL;
        }
      else
        {
          MdnPricedLine nl = { g_steal_pointer (&p), asked->qty, 100, 0, 0, g_strdup (asked->staff) };

          g_array_append_val (lines, nl);
        }
    }
  return g_steal_pointer (&lines);
}

static gboolean
price_lines (MdnCheckout *co,
             GArray      *lines,
             GError     **error)
{
  g_assert (co != NULL && lines != NULL);

  for (guint i = 0; i < lines->len; i++)
    {
      MdnPricedLine *l = &g_array_index (lines, MdnPricedLine, i);

      if (g_str_equal (l->product->kind, "package") && co->member == NULL)
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_CARD_REQUIRED,
                       _("%s is a package; its uses go on a member card, so give the card"), l->product->name);
          return FALSE;
        }
      l->percent = l->product->no_discount ? 100 : mdn_checkout_percent (co);
      if (!mdn_money_line_cost (l->product->price_fen, l->qty, l->percent, &l->list_fen, &l->amount_fen, error) ||
          !mdn_money_add (co->list_total_fen, l->list_fen, &co->list_total_fen, error) ||
          !mdn_money_add (co->total_fen, l->amount_fen, &co->total_fen, error))
        return FALSE;
    }
  return TRUE;
}

/* The cart of a "sale" (or its preview): its lines, then its card, read
 * and priced in that order, so both refuse the same cart the same way. */
GArray *
mdn_pricing_price_cart (MdnCheckout          *co,
                        MdnOpCtx             *ctx,
                        const MdnSaleRequest *req,
                        GError              **error)
{
  g_autoptr(MdnMember) m = NULL;
  g_autoptr(GArray) lines = NULL;

  g_return_val_if_fail (co != NULL && ctx != NULL && req != NULL, NULL);

  lines = find_lines (ctx, req->lines, error);
  if (lines == NULL ||
      !mdn_selling_card (ctx, req->pay.card, &m, error) ||
      !mdn_checkout_init (co, ctx, "sale", g_steal_pointer (&m), error) ||
      !price_lines (co, lines, error))
    return NULL;
  return g_steal_pointer (&lines);
}

GArray *
mdn_pricing_price_lines (MdnCheckout *co,
                         MdnOpCtx    *ctx,
                         GArray      *requests,
                         GError     **error)
{
  g_autoptr(GArray) lines = NULL;

  g_return_val_if_fail (co != NULL && ctx != NULL && requests != NULL, NULL);

  lines = find_lines (ctx, requests, error);
  if (lines == NULL || !price_lines (co, lines, error))
    return NULL;
  return g_steal_pointer (&lines);
}

JsonObject *
mdn_pricing_line_json (const MdnPricedLine *l,
                       guint                index)
{
  JsonObject *o;

  g_return_val_if_fail (l != NULL && l->product != NULL, NULL);

  o = json_object_new ();
  json_object_set_int_member (o, "line", index + 1);
  json_object_set_string_member (o, "sku", l->product->sku);
  json_object_set_string_member (o, "name", l->product->name);
  json_object_set_string_member (o, "kind", l->product->kind);
  json_object_set_int_member (o, "qty", l->qty);
  json_object_set_int_member (o, "unit_price_fen", l->product->price_fen);
  json_object_set_int_member (o, "percent", l->percent);
  json_object_set_int_member (o, "list_fen", l->list_fen);
  json_object_set_int_member (o, "amount_fen", l->amount_fen);
  mdn_json_set_opt_string (o, "staff", l->staff);
  return o;
}

/* {lines: [{sku, qty}], card?} → {lines, list_total_fen, total_fen,
 * discount_fen, points_earned, card_no?, level?, balance_fen?, points?}:
 * what "sale" with these arguments would charge; tenders, PIN and the
 * balance are not checked (the payment does that). Writes nothing. */
static gboolean
op_sale_preview (MdnOpCtx   *ctx,
                 JsonObject *args,
                 JsonObject *result,
                 GError    **error)
{
  g_auto(MdnCheckout) co = { 0 };
  g_auto(MdnSaleRequest) req = { 0 };
  g_autoptr(GArray) lines = NULL;
  JsonArray *out;

  if (!mdn_sale_request_parse (args, FALSE, &req, error))
    return FALSE;
  lines = mdn_pricing_price_cart (&co, ctx, &req, error);
  if (lines == NULL)
    return FALSE;

  out = json_array_new ();
  for (guint i = 0; i < lines->len; i++)
    json_array_add_object_element (out, mdn_pricing_line_json (&g_array_index (lines, MdnPricedLine, i), i));
  json_object_set_array_member (result, "lines", out);
  json_object_set_int_member (result, "list_total_fen", co.list_total_fen);
  json_object_set_int_member (result, "total_fen", co.total_fen);
  json_object_set_int_member (result, "discount_fen", co.list_total_fen - co.total_fen);
  json_object_set_int_member (result, "points_earned", mdn_checkout_points (&co));
  if (co.member)
    {
      json_object_set_string_member (result, "card_no", co.member->card_no);
      json_object_set_string_member (result, "level", co.level->code);
      json_object_set_int_member (result, "balance_fen", co.member->principal_fen + co.member->bonus_fen);
      json_object_set_int_member (result, "points", co.member->points);
    }
  return TRUE;
}

const MdnOpDef mdn_pricing_ops[] = {
  { "sale.preview", MDN_ROLE_CASHIER, MDN_OP_READ, op_sale_preview },
  { NULL }
};
