/* mdn-stock-chain.h: stock.chain, the chain's stock from the server for
 * the HQ terminal (mdn-stock-chain.c); registered by mdn_branch_init. */
#pragma once

#include "mdn-op.h"

G_BEGIN_DECLS

extern const MdnOpDef mdn_stock_chain_ops[];

G_END_DECLS
