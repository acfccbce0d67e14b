/* mdn-pricing.h: what a cart of products costs; the one place a sale's
 * lines are read and priced.
 *
 * The rule of a sale's line: unit price × quantity at the member level's
 * price percent (100 for a product marked no_discount or without a card),
 * rounded half up per line (mdn_money_line_cost); points are earned on
 * the total (mdn_checkout_points). "sale" and "sale.preview" both price
 * through mdn_pricing_price_cart (), so the preview gives the sale's
 * figures (tests/test-reports.c checks it on random carts) in a read
 * transaction: the POS calls it on every cart change without taking the
 * write lock. "sale.return" gives back by the same mdn_money_line_cost ().
 *
 * Internal to libmendian; front ends go through mdn_ops_run(). */
#pragma once

#include "mdn-selling.h"

G_BEGIN_DECLS

typedef struct
{
  MdnProduct *product;
  gint64      qty;
  gint64      percent;     /* of the list price */
  gint64      list_fen;    /* unit price × qty */
  gint64      amount_fen;  /* what the line costs */
  char       *staff;       /* who served it (commission), or NULL */
} MdnPricedLine;

/* A "sale" (or "sale.preview") as asked: read once from its JSON arguments
 * at the operation's boundary ({lines: [{sku, qty?, staff?}], card?, pin?,
 * tenders?}); pricing and the checkout work on this. Without
 * @with_payment (a preview) only the lines and the card are read: pay.pin
 * is NULL and pay.tenders NULL. */
typedef struct
{
  char   *sku;         /* SKU or barcode as given */
  gint64  qty;         /* 1 … 1 000 000 */
  char   *staff;       /* who served (the technician), or NULL */
} MdnSaleLineRequest;

typedef struct
{
  GArray            *lines;   /* of MdnSaleLineRequest, at least one, in order */
  MdnPaymentRequest  pay;
} MdnSaleRequest;

gboolean    mdn_sale_request_parse  (JsonObject      *args,
                                     gboolean         with_payment,
                                     MdnSaleRequest  *out,
                                     GError         **error);
void        mdn_sale_request_clear  (MdnSaleRequest  *req);

/* A line's quantity: a whole number from 1 to 1 000 000. */
gboolean    mdn_pricing_check_qty   (gint64       qty,
                                     GError     **error);
/* The whole cart of a "sale": its lines (SKU or barcode; the same product
 * twice is one line; inactive products are refused), then the optional
 * card (mdn_selling_card ()), then
 * mdn_checkout_init (@co, "sale"), then each line priced for the card's
 * level and added to co->list_total_fen and co->total_fen (a package needs
 * a card). An array of MdnPricedLine, or NULL; the caller clears @co
 * either way. */
GArray     *mdn_pricing_price_cart  (MdnCheckout          *co,
                                     MdnOpCtx             *ctx,
                                     const MdnSaleRequest *req,
                                     GError              **error);
/* Lines priced for a checkout already begun (mdn_checkout_init ()): the
 * goods and services added to a running table (timed.add), billed with
 * the session at timed.stop. @lines is of MdnSaleLineRequest; the rules
 * are mdn_pricing_price_cart ()'s, and the lines' costs are added to
 * co->list_total_fen and co->total_fen. */
GArray     *mdn_pricing_price_lines (MdnCheckout          *co,
                                     MdnOpCtx             *ctx,
                                     GArray               *lines,
                                     GError              **error);
/* A priced line as "sale" and "sale.preview" show it: {line (@index + 1),
 * sku, name, kind, qty, unit_price_fen, percent, list_fen, amount_fen}. */
JsonObject *mdn_pricing_line_json   (const MdnPricedLine *l,
                                     guint                index);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MdnSaleRequest, mdn_sale_request_clear)

extern const MdnOpDef   mdn_pricing_ops[];

G_END_DECLS
