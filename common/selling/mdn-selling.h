/* mdn-selling.h: what the selling families (catalogue, sales, packages,
 * timed consumption, points) share: products and the checkout (tenders, the
 * member's balance, points, receipt numbers).
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

#include "mdn-ledger.h"
#include "mdn-members.h"
#include "mdn-ops.h"

G_BEGIN_DECLS

typedef struct
{
  char    *sku;
  char    *name;
  char    *kind;            /* goods | service | package */
  gint64   price_fen;
  char    *category;
  char    *barcode;
  gboolean no_discount;
  char    *package_sku;     /* package: the service it buys uses of */
  gint64   package_count;   /* package: uses per unit sold */
  gint64   package_days;    /* package: validity in days, 0 = no expiry */
  gboolean active;
} MdnProduct;

void        mdn_product_free        (MdnProduct  *product);
MdnProduct *mdn_product_load        (MdnDb       *db,
                                     const char  *sku,
                                     GError     **error);
MdnProduct *mdn_product_find        (MdnDb       *db,
                                     const char  *sku_or_barcode,
                                     GError     **error);

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
} MdnCheckout;

/* The optional "card" argument of a selling operation: NULL without one,
 * refused (error set) when the card is unknown, replaced, lost or expired. */
gboolean    mdn_selling_card        (MdnOpCtx    *ctx,
                                     JsonObject  *args,
                                     MdnMember  **out,
                                     GError     **error);
/* A card the server has put on hold (an overdraft found after merging
 * offline spending) can't pay from its balance, packages or points; it can
 * still take deposits, which settle it. */
gboolean    mdn_selling_check_hold  (MdnOpCtx    *ctx,
                                     MdnMember   *member,
                                     GError     **error);
/* Every spend of stored value (kind balance: fen; points; package: uses of
 * @item) goes through here inside the operation's transaction, after the
 * operation's own checks: at a branch linked to a server it is held to the
 * server's authorization or, offline, to the level's offline allowance,
 * and @body is marked ("auth_id", or "offline": true). See mdn-sync.h. */
gboolean    mdn_selling_spend       (MdnOpCtx    *ctx,
                                     MdnMember   *member,
                                     const char  *kind,
                                     const char  *item,
                                     gint64       amount,
                                     JsonObject  *body,
                                     GError     **error);
/* A card operation (@kind "card": @item the entry kind, @amount the rev it
 * would have) or a return (@kind "return": @item the sale entry, @amount
 * the refund in fen, @detail its lines) at a linked branch: authorized by
 * the server against the chain-wide state, like a spend; @body is marked
 * ("auth_id", and for a card the server's "rev"; or "offline": true). */
gboolean    mdn_selling_chain_check (MdnOpCtx    *ctx,
                                     const char  *member_id,
                                     const char  *kind,
                                     const char  *item,
                                     gint64       amount,
                                     JsonObject  *detail,
                                     JsonObject  *body,
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
                                     JsonObject  *args,
                                     GError     **error);
gboolean    mdn_checkout_commit     (MdnCheckout *co,
                                     JsonObject  *result,
                                     GError     **error);

gint64      mdn_points_for          (gint64       paid_fen,
                                     gint64       points_per_yuan);
gboolean    mdn_mul_div             (gint64       a,
                                     gint64       b,
                                     gint64       c,
                                     gboolean     round_half_up,
                                     gint64      *out,
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

/* Package uses, judged per service net across lots (mdn-packages.c). */
gboolean    mdn_package_available   (MdnDb       *db,
                                     const char  *member_id,
                                     const char  *item,
                                     const char  *date,
                                     gint64      *out,
                                     GError     **error);
gboolean    mdn_package_net         (MdnDb       *db,
                                     const char  *member_id,
                                     const char  *item,
                                     gint64      *out,
                                     GError     **error);
JsonArray  *mdn_package_overdrawn   (MdnDb       *db,
                                     const char  *member_id,
                                     GError     **error);
gboolean    mdn_package_summary     (MdnOpCtx    *ctx,
                                     const char  *member_id,
                                     JsonObject  *result,
                                     GError     **error);

/* Returns across the chain (mdn-sales.c). */
gboolean    mdn_sale_return_check   (MdnDb       *db,
                                     const char  *sale_id,
                                     gint64       refund_fen,
                                     JsonArray   *lines,
                                     gint64       held_refund,
                                     JsonArray   *held_lines,
                                     JsonObject  *held_uses,
                                     GError     **error);
gboolean    mdn_sale_refunded       (MdnDb       *db,
                                     const char  *sale_id,
                                     gint64      *total_fen,
                                     gint64      *refunded_fen,
                                     GError     **error);

/* For apply functions: an entry that lacks what its kind needs. */
gboolean    mdn_entry_malformed     (MdnEntry    *entry,
                                     const char  *what,
                                     GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MdnProduct, mdn_product_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MdnCheckout, mdn_checkout_clear)

G_END_DECLS
