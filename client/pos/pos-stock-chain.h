/* pos-stock-chain.h: the chain's stock at the HQ terminal (总部库存查询):
 * every branch's stock of a product or category, as the server holds it,
 * and the transfers in transit. */
#pragma once

#include <adwaita.h>

#include "pos-session.h"

G_BEGIN_DECLS

#define POS_TYPE_STOCK_CHAIN (pos_stock_chain_get_type ())
G_DECLARE_FINAL_TYPE (PosStockChain, pos_stock_chain, POS, STOCK_CHAIN, AdwBin)

void        pos_stock_chain_set_session (PosStockChain *self,
                                         PosSession    *session);
void        pos_stock_chain_shown       (PosStockChain *self);
/* Asks the server again with the filters shown (for tests). */
void        pos_stock_chain_search      (PosStockChain *self);
guint       pos_stock_chain_n_rows      (PosStockChain *self);
/* Whether a search is still out at the server. */
gboolean    pos_stock_chain_busy        (PosStockChain *self);

G_END_DECLS
