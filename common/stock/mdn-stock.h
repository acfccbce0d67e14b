/* mdn-stock.h: stock (库存), the family of mdn-stock.c: receiving goods,
 * issuing them (damage, internal use), counts (盘点), transfers between
 * branches (调拨) with an in-transit state, thresholds, and the stock of a
 * branch or of the chain as rows. docs/stock.md says how it works.
 *
 * Internal to libmendian; front ends go through mdn_ops_run(). */
#pragma once

#include "mdn-db.h"
#include "mdn-op.h"

G_BEGIN_DECLS

/* Most units one line of a stock entry moves. */
#define MDN_STOCK_QTY_MAX ((gint64) 1000000)

/* The stock of one sku at one branch. */
typedef struct
{
  char    *branch;
  char    *sku;
  char    *name;            /* NULL when the product is not known here */
  gint64   on_hand;
  gint64   in_transit_in;   /* sent to this branch, not received yet */
  gint64   in_transit_out;  /* sent by this branch, not received yet */
  gboolean has_low, has_high;
  gint64   low_stock, high_stock;
  gint64   avg_cost_fen;
} MdnStockRow;

void        mdn_stock_row_clear      (MdnStockRow *row);

/* Every branch's stock as the server holds it (or a branch database, which
 * holds its own and what other branches' entries moved), one row per
 * branch and sku, filtered by @sku, @category (and below it) and @branch
 * when not NULL. An array of MdnStockRow, cleared by its free. */
GArray     *mdn_stock_chain_rows     (MdnDb       *db,
                                      const char  *sku,
                                      const char  *category,
                                      const char  *branch,
                                      GError     **error);

typedef struct
{
  char  *sku;
  char  *name;
  gint64 sent;
  gint64 received;          /* -1 until received */
} MdnTransferLine;

/* A transfer as the branches and the server hold it. */
typedef struct
{
  char   *id;
  char   *doc_no;
  char   *from;
  char   *to;
  char   *status;           /* in_transit | received | shortfall */
  char   *sent_at;
  char   *received_at;      /* NULL while in transit */
  char   *note;
  GArray *lines;            /* of MdnTransferLine, by sku */
  gint64  shortfall;        /* sent - received over the lines, once received */
} MdnTransfer;

void        mdn_transfer_free        (MdnTransfer *t);
/* The transfers from or to @branch (any, if NULL), @direction "in" or
 * "out" of it (either, if NULL), of @status (any, if NULL); newest first,
 * at most 500. A GPtrArray of MdnTransfer. */
GPtrArray  *mdn_stock_transfers      (MdnDb       *db,
                                      const char  *branch,
                                      const char  *direction,
                                      const char  *status,
                                      GError     **error);

/* The checkout's stock rule (mdn-sales.c): for each goods line of @entry
 * that takes a sku below zero at this branch, a warning in
 * @result["stock_warnings"]; refused instead when the branch's setting
 * stock.refuse_negative is on. */
gboolean    mdn_stock_check_sale     (MdnOpCtx    *ctx,
                                      MdnEntry    *entry,
                                      JsonObject  *result,
                                      GError     **error);

/* What one unit of @sku costs at @branch now, for a sale line: the moving
 * average cost of its receipts (stock_costs), else @standard_cost_fen
 * (the product's 进价, -1 when none); -1 when neither is known, G_MININT64
 * on a database error. A sale does not change the average. */
gint64      mdn_stock_unit_cost      (MdnDb       *db,
                                      const char  *branch,
                                      const char  *sku,
                                      gint64       standard_cost_fen,
                                      GError     **error);

extern const MdnOpDef   mdn_stock_ops[];
extern const MdnKindDef mdn_stock_kinds[];

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MdnTransfer, mdn_transfer_free)

G_END_DECLS
