/* mdn-figures.h: what an entry contributes to the business figures, the one
 * place that says it. The branch's day end (report.shift, mdn-reports.c)
 * and the server's rollups (srv_rollup_day, srv-store.c) both sum entries
 * through mdn_figures_add_entry, so the same entries give the same figures
 * on both sides to the fen (tests/test-figures.c checks it on random
 * ledgers pushed to a real server).
 *
 * MdnFigures is a plain struct of gint64 sums: zero it to start, add
 * entries or other figures to it. Every add is checked: a figure never
 * leaves ±MDN_MONEY_MAX (counts and points included, so that sums of many
 * rows stay far from gint64 overflow); an add that would is not made and
 * sets @overflow instead, which the caller turns into an error.
 *
 * Money comes from the entry's body (the tenders and amounts are what
 * changed hands; they are not movements); points, package uses, stock and
 * stored value come from the entry's movements, which the server checks
 * against the body before it applies an entry.
 *
 * Per kind (a kind not listed, master data included, adds only to
 * `entries`):
 *
 *   sale, sale.quick, timed.stop
 *     sales_fen += total_fen (what was charged after discounts, whatever
 *     paid it); discount_fen += discount_fen; each tender of `tenders`
 *     (already net of change) to its tender_*; the money tenders to
 *     net_fen; points_earned += its points movements; package_uses_sold +=
 *     its package movements (a package line); stock_sold_qty -= its stock
 *     movements (goods lines); principal_spent_fen and bonus_spent_fen −=
 *     its principal and bonus movements (the stored value it took); counted.
 *   sale.return (by lines or by amount)
 *     refund_fen += refund_fen (≥ 0, what this return paid back); each
 *     tender of its `tenders` (how the refund was paid back) subtracted
 *     from its tender_*, the money ones from net_fen; points_returned -=
 *     its points movements; package_uses_returned -= its package
 *     movements; stock_returned_qty += its stock movements;
 *     principal_refunded_fen and bonus_refunded_fen += its principal and
 *     bonus movements (stored value given back to the card); counted.
 *     over_refund_fen is not the entry's to say: it is the part of the
 *     refund beyond what the sale took in, judged on the chain's order of
 *     returns, which only the server knows (mdn_figures_over_refund gives
 *     it, mdn_figures_add_over_refund adds it). It is a "chain" figure.
 *   member.deposit
 *     deposit_principal_fen += amount_fen; deposit_bonus_fen += bonus_fen;
 *     amount_fen to the tender of `tender` (cash if none) and, if money,
 *     to net_fen; counted.
 *   member.withdraw
 *     withdraw_fen += amount_fen; subtracted from its tender (cash if none)
 *     and, if money, from net_fen; counted.
 *   member.issue
 *     members_issued += 1; counted.
 *   member.opening (a member imported with the balance of an old system)
 *     opening_principal_fen, opening_bonus_fen, opening_points += its
 *     principal, bonus and points; not a deposit, no tender; counted. (An opening deposit is its own
 *     member.deposit entry.)
 *   package.consume
 *     package_uses_consumed -= its package movements; counted.
 *   points.redeem
 *     points_redeemed -= its points movements.
 *   points.adjust
 *     points_adjusted += its points movements (signed).
 *   exception.write_off, only with MDN_FIGURES_HQ (written by the HQ
 *   terminal: an HQ-only kind; the server applies a branch's copy to
 *   nothing, so a branch's contributes nothing but its count)
 *     written_off_fen += written_off_fen (stored value owed, or a sale's
 *     over-refund); points_written_off += its points movements;
 *     package_uses_written_off += its package movements.
 *   stock.receive (mdn-stock.c)
 *     stock_received_qty += its stock movements; stock_received_cost_fen
 *     += total_cost_fen.
 *   stock.issue
 *     stock_issued_qty -= its stock movements.
 *   stocktake.finish
 *     stock_adjusted_qty += its stock movements (signed).
 *   transfer.out
 *     stock_transferred_out_qty -= its stock movements.
 *   transfer.receive
 *     stock_transferred_in_qty += its stock movements;
 *     stock_transfer_shortfall_qty += shortfall (at the receiving branch).
 *
 *   shift.close (a count of the drawer at a shift handover, mdn-shifts.c)
 *     it moves no money and no account (the money it counts was counted
 *     when it changed hands): shifts_closed += 1; over_short_fen +=
 *     over_short_fen (长短款, counted − expected over every money tender);
 *     cash_over_short_fen += its cash tender's over_short_fen. Kept in
 *     the rollup, so a report of any period reads the over/short of its
 *     days without reading their shifts.
 *
 * And for every entry: entries += 1; principal_delta_fen and
 * bonus_delta_fen += its principal and bonus movements (the change of the
 * members' stored value; summed up to a day it is the stored-value
 * liability), except an exception.write_off without MDN_FIGURES_HQ.
 *
 * counted_entries counts the kinds marked "counted": the day end's
 * business (what report.shift calls entries). net_fen is money that
 * changed hands: every tender but balance (stored value, counted when it
 * was deposited) and "other" (a tender name outside the known set, which
 * no operation writes). gross (mdn_figures_gross_fen) is sales − refunds +
 * deposited principal − withdrawals, whatever paid them: report.shift's
 * amount per kind.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "mdn-ledger.h"

G_BEGIN_DECLS

/* The tenders an entry can name, in the order of mdn_all_tenders
 * (mdn-money.h); anything else is counted as OTHER. */
typedef enum
{
  MDN_TENDER_CASH,
  MDN_TENDER_BANK,
  MDN_TENDER_WECHAT,
  MDN_TENDER_ALIPAY,
  MDN_TENDER_BALANCE,
  MDN_TENDER_OTHER,
  MDN_N_TENDERS
} MdnTenderKind;

typedef struct
{
  gint64 count;        /* tender lines */
  gint64 amount_fen;   /* paid in, less paid back */
} MdnTenderSum;

typedef struct
{
  gint64       entries;
  gint64       counted_entries;
  gint64       sales_fen;
  gint64       discount_fen;
  gint64       refund_fen;
  gint64       over_refund_fen;
  gint64       deposit_principal_fen;
  gint64       deposit_bonus_fen;
  gint64       withdraw_fen;
  gint64       written_off_fen;
  gint64       net_fen;
  gint64       principal_delta_fen;
  gint64       bonus_delta_fen;
  gint64       members_issued;
  gint64       points_earned;
  gint64       points_returned;
  gint64       points_redeemed;
  gint64       points_adjusted;
  gint64       points_written_off;
  gint64       package_uses_sold;
  gint64       package_uses_returned;
  gint64       package_uses_consumed;
  gint64       package_uses_written_off;
  gint64       stock_sold_qty;
  gint64       stock_returned_qty;
  gint64       stock_received_qty;
  gint64       stock_received_cost_fen;
  gint64       stock_issued_qty;
  gint64       stock_adjusted_qty;
  gint64       stock_transferred_out_qty;
  gint64       stock_transferred_in_qty;
  gint64       stock_transfer_shortfall_qty;
  gint64       principal_spent_fen;
  gint64       bonus_spent_fen;
  gint64       principal_refunded_fen;
  gint64       bonus_refunded_fen;
  gint64       opening_principal_fen;   /* member.opening: balances brought from an old system */
  gint64       opening_bonus_fen;
  gint64       opening_points;
  gint64       shifts_closed;           /* shift.close: handovers, and their 长短款 */
  gint64       over_short_fen;
  gint64       cash_over_short_fen;
  MdnTenderSum tenders[MDN_N_TENDERS];
  gboolean     overflow;    /* an add was refused: the figures are short */
} MdnFigures;

typedef enum
{
  MDN_FIGURES_NONE = 0,
  MDN_FIGURES_HQ   = 1 << 0,   /* the entry was written by the HQ terminal */
} MdnFiguresFlags;

/* Adds what @entry contributes (see above). */
void        mdn_figures_add_entry       (MdnFigures       *f,
                                         const MdnEntry   *entry,
                                         MdnFiguresFlags   flags);
/* @into += @from, figure by figure; @from's overflow carries over. */
void        mdn_figures_add             (MdnFigures       *into,
                                         const MdnFigures *from);
/* Whether an entry of @kind is in counted_entries (the day end lists it). */
gboolean    mdn_figures_kind_counted    (const char       *kind);
/* sales − refunds + deposited principal − withdrawals; FALSE on overflow. */
gboolean    mdn_figures_gross_fen       (const MdnFigures *f,
                                         gint64           *out);

/* The over-refund a return of @refund adds to a sale of @total whose
 * returns add up to @refunded with it: max (0, refunded − total) less the
 * same before it, so over the whole history the excess is
 * max (0, refunds − total) whatever order the returns came in. */
gint64      mdn_figures_over_refund     (gint64            total,
                                         gint64            refunded,
                                         gint64            refund);
void        mdn_figures_add_over_refund (MdnFigures       *f,
                                         gint64            excess);

MdnTenderKind mdn_tender_kind           (const char       *name);
const char   *mdn_tender_name           (MdnTenderKind     tender);
/* Cash, bank, WeChat, Alipay: money changing hands (not stored value). */
gboolean      mdn_tender_is_money       (MdnTenderKind     tender);

/* Every figure by name: the columns of srv_rollup_day and the members of
 * the figures objects in JSON answers. */
typedef struct
{
  const char *name;
  gsize       offset;    /* of its gint64 in MdnFigures */
  gboolean    chain;     /* known only to the server (over_refund_fen) */
} MdnFigureField;

const MdnFigureField *mdn_figures_fields (guint *n_fields);
/* One figure; set stores @value as given (figures read back from storage)
 * and is the only write that is not checked. */
gint64      mdn_figures_get             (const MdnFigures     *f,
                                         const MdnFigureField *field);
void        mdn_figures_set             (MdnFigures           *f,
                                         const MdnFigureField *field,
                                         gint64                value);
/* Every figure as an integer member of @o; the chain figures only if
 * @with_chain. */
void        mdn_figures_to_json         (const MdnFigures     *f,
                                         JsonObject           *o,
                                         gboolean              with_chain);

G_END_DECLS
