/* mdn-commission.h: staff commission (业务提成). Rules are master data
 * (commission_rule.upsert, from the HQ terminal); the rule in force is
 * applied when a sale line, card issue, deposit, package use or timed
 * session is written, and what it gave is recorded in that entry's body
 * as "commission": [{line?, staff, rule, sku?, base_fen, qty, percent_bp,
 * fixed_fen, amount_fen}], so changing a rule never rewrites the past.
 *
 * amount_fen = round_half_up (base_fen × percent_bp / 10000) + fixed_fen ×
 * qty (mdn_money_commission: integers, one rounding rule); base_fen is
 * what was paid (base "paid") or the list amount (base "list"). A return
 * reverses the commission of what it returns: per returned line
 * amount × qty returned / qty sold, by amount amount × refund / total,
 * rounded half up, recorded negative with "reverses": true.
 *
 * Of the rules of a kind, the most specific applies: one naming the sku,
 * then one naming the product's category (the longest), then one naming
 * neither; among equals the first code. Here, below catalog/, because
 * deposits and card issues (members/) take commission too. */
#pragma once

#include "mdn-ledger.h"
#include "mdn-op.h"

G_BEGIN_DECLS

/* NULL, or the code of an active staff member of this branch (the
 * technician who served); an error naming it otherwise. */
gboolean mdn_commission_check_staff (MdnOpCtx   *ctx,
                                     const char *staff,
                                     GError    **error);

/* Appends to @entry's "commission" what the rule in force for @kind
 * (sale_line, card_issue, deposit, package_use, timed) and @sku gives
 * @staff (NULL: the cashier) for one item; nothing without a rule.
 * @line: the sale line's number, or 0. */
gboolean mdn_commission_add     (MdnOpCtx    *ctx,
                                 MdnEntry    *entry,
                                 const char  *kind,
                                 const char  *sku,
                                 const char  *staff,
                                 gint64       line,
                                 gint64       paid_fen,
                                 gint64       list_fen,
                                 gint64       qty,
                                 GError     **error);

/* Appends to @ret's "commission" the reversal of @sale's commission for
 * the lines returned (@lines: [{line, qty}], NULL: by amount, @refund of
 * @sale_total). */
gboolean mdn_commission_reverse (MdnEntry       *ret,
                                 const MdnEntry *sale,
                                 JsonArray      *lines,
                                 gint64          refund,
                                 gint64          sale_total,
                                 GError        **error);

extern const MdnOpDef   mdn_commission_ops[];
extern const MdnKindDef mdn_commission_kinds[];

G_END_DECLS
