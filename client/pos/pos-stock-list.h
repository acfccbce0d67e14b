/* pos-stock-list.h: the branch's stock (库存查询): every goods product with
 * what is on hand and in transit, a category filter and a low-stock
 * filter; a manager sets a product's thresholds from its row. */
#pragma once

#include <adwaita.h>

#include "pos-session.h"

G_BEGIN_DECLS

#define POS_TYPE_STOCK_LIST (pos_stock_list_get_type ())
G_DECLARE_FINAL_TYPE (PosStockList, pos_stock_list, POS, STOCK_LIST, AdwBin)

void        pos_stock_list_set_session (PosStockList *self,
                                        PosSession   *session);
void        pos_stock_list_shown       (PosStockList *self);
/* The rows shown (for tests). */
guint       pos_stock_list_count       (PosStockList *self);

G_END_DECLS
