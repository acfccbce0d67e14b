/* mdn-pricing.h: what a cart of products costs, without writing anything.
 *
 * The rule of a sale's line: unit price × quantity at the member level's
 * price percent (100 for a product marked no_discount or without a card),
 * rounded half up per line (mdn_money_percent); points are earned on the
 * total (mdn_points_for). "sale.preview" gives the same figures as "sale"
 * (tests/test-reports.c checks it on random carts) in a read transaction:
 * the POS calls it on every cart change without taking the write lock.
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
} MdnPricedLine;

/* lines: [{sku, qty}] (SKU or barcode, qty 1 by default); the same product
 * twice is one line. An array of MdnPricedLine, not yet priced. */
GArray   *mdn_pricing_parse_lines (MdnOpCtx    *ctx,
                                   JsonObject  *args,
                                   GError     **error);
/* Prices @lines for @co's member (co->level) and adds them to
 * co->list_total_fen and co->total_fen. A package needs a card. */
gboolean  mdn_pricing_price_lines (MdnCheckout *co,
                                   GArray      *lines,
                                   GError     **error);

G_END_DECLS
