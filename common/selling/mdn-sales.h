/* mdn-sales.h: sales, quick sales and returns (mdn-sales.c).
 *
 * Internal to libmendian; front ends go through mdn_ops_run(). */
#pragma once

#include <json-glib/json-glib.h>

#include "mdn-op.h"
#include "mdn-pricing.h"

G_BEGIN_DECLS

extern const MdnOpDef   mdn_sales_ops[];
extern const MdnKindDef mdn_sales_kinds[];

/* A "sale.return" as asked, read once from its JSON arguments at the
 * operation's boundary ({entry_id | receipt_no, lines?: [{sku, qty}],
 * amount_fen?}); the return works on this. */
typedef struct
{
  char    *entry_id;     /* the sale (a timed session: its start), or NULL */
  char    *receipt_no;   /* or the sale's receipt */
  gboolean has_lines;    /* "lines" was given (a sale by lines only) */
  GArray  *lines;        /* of MdnSaleLineRequest, NULL: everything still returnable */
  gboolean has_amount;   /* "amount_fen" or "amount" was given (by amount only) */
  gint64   amount_fen;   /* G_MININT64 when not given: all that is left */
} MdnReturnRequest;

gboolean    mdn_return_request_parse (JsonObject      *args,
                                     MdnReturnRequest *out,
                                     GError          **error);
void        mdn_return_request_clear (MdnReturnRequest *req);
/* [{sku, qty}] into @out (MdnSaleLineRequest, made by
 * mdn_return_lines_new): each an object with a sku and a quantity. */
GArray     *mdn_return_lines_new    (void);
gboolean    mdn_return_lines_parse  (JsonArray   *lines,
                                     GArray      *out,
                                     GError     **error);

/* Returns across the chain: @lines, @held_lines (MdnSaleLineRequest,
 * either may be NULL) and @held_uses (MdnSaleLineRequest of a package
 * service and its uses held, may be NULL). */
gboolean    mdn_sale_return_check   (MdnDb       *db,
                                     const char  *sale_id,
                                     gint64       refund_fen,
                                     GArray      *lines,
                                     gint64       held_refund,
                                     GArray      *held_lines,
                                     GArray      *held_uses,
                                     GError     **error);
gboolean    mdn_sale_refunded       (MdnDb       *db,
                                     const char  *sale_id,
                                     gint64      *total_fen,
                                     gint64      *refunded_fen,
                                     GError     **error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MdnReturnRequest, mdn_return_request_clear)

G_END_DECLS
