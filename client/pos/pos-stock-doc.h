/* pos-stock-doc.h: a stock document screen: receive goods (进货), issue
 * or write off (出库 / 报损), or send a transfer to another branch (调拨),
 * each a header and its lines (PosStockLines). */
#pragma once

#include <adwaita.h>

#include "pos-session.h"

G_BEGIN_DECLS

typedef enum {
  POS_STOCK_DOC_RECEIVE,
  POS_STOCK_DOC_ISSUE,
  POS_STOCK_DOC_TRANSFER,
} PosStockDocMode;

#define POS_TYPE_STOCK_DOC (pos_stock_doc_get_type ())
G_DECLARE_FINAL_TYPE (PosStockDoc, pos_stock_doc, POS, STOCK_DOC, AdwBin)

void        pos_stock_doc_setup        (PosStockDoc     *self,
                                        PosSession      *session,
                                        PosStockDocMode  mode);
void        pos_stock_doc_shown        (PosStockDoc     *self);
/* For tests: the lines editor. */
GtkWidget  *pos_stock_doc_get_lines    (PosStockDoc     *self);

G_END_DECLS
