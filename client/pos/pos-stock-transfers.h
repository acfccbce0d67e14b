/* pos-stock-transfers.h: transfers (调拨单): the goods on their way to this
 * branch (待收货), each received with what actually arrived, and every
 * transfer in or out with its state and shortfall. */
#pragma once

#include <adwaita.h>

#include "pos-session.h"

G_BEGIN_DECLS

#define POS_TYPE_STOCK_TRANSFERS (pos_stock_transfers_get_type ())
G_DECLARE_FINAL_TYPE (PosStockTransfers, pos_stock_transfers, POS, STOCK_TRANSFERS, AdwBin)

void        pos_stock_transfers_set_session (PosStockTransfers *self,
                                             PosSession        *session);
void        pos_stock_transfers_shown       (PosStockTransfers *self);
/* Transfers waiting to be received here (for tests). */
guint       pos_stock_transfers_n_waiting   (PosStockTransfers *self);

G_END_DECLS
