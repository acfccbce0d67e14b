/* mdn-money.h: money is gint64 fen (0.01 yuan). This module is the only place
 * that turns text into fen and fen into text, and the only place with the
 * rounding rule for rates.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Largest amount accepted anywhere: 10^15 fen (ten trillion yuan). Keeps
 * every sum of a few million amounts far from gint64 overflow. */
#define MDN_MONEY_MAX ((gint64) 1000000000000000)

gboolean  mdn_money_parse          (const char *text,
                                    gint64     *out_fen,
                                    GError    **error);
char     *mdn_money_format         (gint64      fen);
char     *mdn_money_format_plain   (gint64      fen);

gboolean  mdn_money_add            (gint64      a,
                                    gint64      b,
                                    gint64     *out,
                                    GError    **error);
gboolean  mdn_money_mul            (gint64      fen,
                                    gint64      factor,
                                    gint64     *out,
                                    GError    **error);
gboolean  mdn_money_percent        (gint64      fen,
                                    gint64      percent,
                                    gint64     *out,
                                    GError    **error);
gint64    mdn_div_round_half_up    (gint64      num,
                                    gint64      den);
gint64    mdn_div_ceil             (gint64      num,
                                    gint64      den);
gboolean  mdn_money_check_amount   (gint64      fen,
                                    gboolean    allow_zero,
                                    GError    **error);
/* a × b / c for c > 0, rounded half up or down (floor); refuses overflow. */
gboolean  mdn_money_mul_div        (gint64      a,
                                    gint64      b,
                                    gint64      c,
                                    gboolean    round_half_up,
                                    gint64     *out,
                                    GError    **error);
/* round_half_up (unit × qty × percent / 100): what a sale line costs. */
gboolean  mdn_money_line_cost      (gint64      unit_price_fen,
                                    gint64      qty,
                                    gint64      percent,
                                    gint64     *list_fen,
                                    gint64     *amount_fen,
                                    GError    **error);
/* floor (paid_fen / 100) × points_per_yuan: the points a payment earns. */
gint64    mdn_money_points_for     (gint64      paid_fen,
                                    gint64      points_per_yuan);

/* The tenders, NULL-terminated: money handed over (cash, bank card, WeChat
 * Pay, Alipay), and with it the member's stored balance. The one list: the
 * operations check against it, the entry check, and the figures' tenders
 * (mdn-figures.h) name the same. */
extern const char *const mdn_money_tenders[];      /* cash bank wechat alipay */
extern const char *const mdn_all_tenders[];        /* the same and balance */

/* A commission (mdn-commission.h): round_half_up (base_fen × percent_bp /
 * 10000) + fixed_fen × qty, for base_fen and qty ≥ 0, percent_bp 0 …
 * 10000; FALSE when out of range or beyond MDN_MONEY_MAX. */
gboolean  mdn_money_commission     (gint64      base_fen,
                                    gint64      percent_bp,
                                    gint64      fixed_fen,
                                    gint64      qty,
                                    gint64     *out);

G_END_DECLS
