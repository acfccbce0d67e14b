/* mdn-selling.h: what the selling families (sales, packages, timed
 * consumption, points) share: the checkout (tenders, the member's balance,
 * points, receipt numbers) and returns. Products are mdn-catalog.h; what a
 * card holds and may spend is mdn-card.h.
 *
 * Internal to libmendian; front ends go through mdn_ops_run().
 *
 * A checkout runs in four steps inside the operation's transaction:
 *   mdn_checkout_init ()    the member (or none) and their level
 *   ... the caller prices its lines into list_total_fen and total_fen
 *       (a sale's cart: mdn_pricing_price_cart (), mdn-pricing.h) ...
 *   mdn_checkout_settle ()  tenders, balance and PIN, points, receipt number;
 *                           writes the common body fields and movements
 *   ... the caller adds its own body fields and movements ...
 *   mdn_checkout_commit ()  appends the entry and fills the common result
 */
#pragma once

#include "mdn-card.h"
#include "mdn-catalog.h"
#include "mdn-ledger.h"
#include "mdn-members.h"
#include "mdn-op.h"

G_BEGIN_DECLS

typedef struct
{
  char  *type;        /* balance | cash | bank | wechat | alipay */
  gint64 amount_fen;  /* what this tender paid (cash: net of change) */
} MdnTender;

typedef struct
{
  MdnOpCtx   *ctx;
  MdnMember  *member;          /* NULL: no card */
  MdnLevel   *level;           /* the member's level, NULL without a card */
  MdnEntry   *entry;
  gint64      list_total_fen;  /* set by the caller before settling */
  gint64      total_fen;       /* set by the caller before settling */
  GArray     *tenders;         /* of MdnTender, merged by type, net */
  gint64      given_fen;       /* everything handed over */
  gint64      change_fen;
  gint64      principal_fen;   /* drawn from the member's balance */
  gint64      bonus_fen;
  gint64      points_earned;
  char       *receipt_no;
  gint64      rounding_fen;    /* 抹零: dropped from a cash-only payment by
                                  the setting checkout.cash_rounding, set by
                                  settle; part of the discount */
} MdnCheckout;

/* What a payment of @total_fen in cash only drops under the setting
 * checkout.cash_rounding (none | jiao | yuan): the fen, or the jiao and fen,
 * of it, and nothing when that would leave less than one jiao (one yuan). */
gint64   mdn_cash_rounding      (MdnDb  *db,
                                 gint64  total_fen);

/* How a customer pays, as the operation was asked: read once from its JSON
 * arguments at the operation's boundary ({card?, pin?, tenders?: [{type,
 * amount}]}); the checkout works on this, never on the JSON. */
typedef struct
{
  char   *card;        /* card number, phone or QR as given; NULL: none */
  char   *pin;         /* NULL: none given */
  GArray *tenders;     /* of MdnTender, merged by type in order of first appearance */
  gint64  given_fen;   /* what the tenders add up to */
} MdnPaymentRequest;

gboolean    mdn_payment_request_parse (JsonObject        *args,
                                       MdnPaymentRequest *out,
                                       GError           **error);
void        mdn_payment_request_clear (MdnPaymentRequest *req);

/* The optional card of a selling operation (@card as given, NULL or blank:
 * none): NULL without one, refused (error set) when the card is unknown,
 * replaced, lost or expired. */
gboolean    mdn_selling_card        (MdnOpCtx    *ctx,
                                     const char  *card,
                                     MdnMember  **out,
                                     GError     **error);
gboolean    mdn_checkout_init       (MdnCheckout *co,
                                     MdnOpCtx    *ctx,
                                     const char  *kind,
                                     MdnMember   *member,
                                     GError     **error);
void        mdn_checkout_clear      (MdnCheckout *co);
gint64      mdn_checkout_percent    (MdnCheckout *co);
/* The points co->total_fen earns at the member's level: 0 without a card. */
gint64      mdn_checkout_points     (MdnCheckout *co);
gboolean    mdn_checkout_settle     (MdnCheckout *co,
                                     const MdnPaymentRequest *pay,
                                     GError     **error);
gboolean    mdn_checkout_commit     (MdnCheckout *co,
                                     JsonObject  *result,
                                     GError     **error);

/* The next receipt number of the branch and business day. */
gboolean    mdn_receipt_next        (MdnOpCtx    *ctx,
                                     char       **out,
                                     GError     **error);
/* Apply helper: the receipts row of an entry with a receipt number. */
gboolean    mdn_receipt_apply       (MdnDb       *db,
                                     MdnEntry    *entry,
                                     gint64       total_fen,
                                     GError     **error);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MdnCheckout, mdn_checkout_clear)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MdnPaymentRequest, mdn_payment_request_clear)

G_END_DECLS
