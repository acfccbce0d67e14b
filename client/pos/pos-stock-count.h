/* pos-stock-count.h: the count sheet (盘点): start a count (of a category or
 * everything) while the shop stays open, scan and type counts, see what
 * is not counted yet, finish or cancel. */
#pragma once

#include <adwaita.h>

#include "pos-session.h"

G_BEGIN_DECLS

#define POS_TYPE_STOCK_COUNT (pos_stock_count_get_type ())
G_DECLARE_FINAL_TYPE (PosStockCount, pos_stock_count, POS, STOCK_COUNT, AdwBin)

void        pos_stock_count_set_session (PosStockCount *self,
                                         PosSession    *session);
void        pos_stock_count_shown       (PosStockCount *self);
GtkWidget  *pos_stock_count_get_lines   (PosStockCount *self);

G_END_DECLS
