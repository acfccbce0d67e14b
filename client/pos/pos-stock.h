/* pos-stock.h: the Stock page (库存管理): the branch's stock, receiving,
 * issuing, the count sheet, transfers out and to receive, the product
 * import, and at the HQ terminal the chain's stock; one screen each
 * (pos-stock-*.c), chosen from a sidebar. */
#pragma once

#include <adwaita.h>

#include "pos-session.h"

G_BEGIN_DECLS

#define POS_TYPE_STOCK (pos_stock_get_type ())
G_DECLARE_FINAL_TYPE (PosStock, pos_stock, POS, STOCK, AdwBin)

void        pos_stock_set_session  (PosStock   *self,
                                    PosSession *session);
void        pos_stock_shown        (PosStock   *self);
/* Shows one screen: list, receive, issue, count, transfer, incoming,
 * import or chain. */
void        pos_stock_show_screen  (PosStock   *self,
                                    const char *name);
GtkWidget  *pos_stock_get_screen   (PosStock   *self,
                                    const char *name);

G_END_DECLS
