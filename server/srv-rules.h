/* srv-rules.h: the server's business decisions, apart from any storage:
 * which requests are well formed, whether a spend is covered, whether a
 * card operation may go ahead, which accounts a push overdrew. Every
 * backend of srv-store.h asks these, so SQLite and PostgreSQL decide the
 * same way; the backend only reads and writes what they decide on. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* A spend authorization's kind (balance, points, package), @item (a
 * package's service) and @amount: SRV_ERROR_INVALID otherwise. */
gboolean srv_rules_check_spend_request  (const char *kind,
                                         const char *item,
                                         gint64      amount,
                                         GError    **error);
/* Granted when what the member holds chain-wide (@available), less what
 * live authorizations hold (@held), covers @amount; else
 * SRV_ERROR_INSUFFICIENT. */
gboolean srv_rules_check_spend          (gint64      available,
                                         gint64      held,
                                         gint64      amount,
                                         GError    **error);

/* A card authorization's @auth_id, @op (member.lose, member.unlock,
 * member.replace), @card_no and @rev: SRV_ERROR_INVALID otherwise. */
gboolean srv_rules_check_card_request   (const char *auth_id,
                                         const char *op,
                                         const char *card_no,
                                         gint64      rev,
                                         GError    **error);

/* A member's card state, chain-wide: the projected card, then the card
 * operations authorized and not pushed yet, folded in the order of their
 * revs (srv_rules_card_fold). */
typedef struct
{
  gboolean lost;
  char    *pending_branch;   /* a replacement is authorized there */
  gint64   max_rev;          /* of every state entry and card authorization */
} SrvCardState;

void     srv_card_state_clear           (SrvCardState *state);
void     srv_rules_card_fold            (SrvCardState *state,
                                         const char   *held_op,
                                         const char   *branch,
                                         gint64        rev);
/* @current: the member's card now. card_replaced, card_lost or
 * card_not_lost (MDN_ERROR) when @op of @card_no can't go ahead. */
gboolean srv_rules_check_card           (const SrvCardState *state,
                                         const char   *current,
                                         const char   *op,
                                         const char   *card_no,
                                         GError      **error);
/* The rev the granted operation's entry takes: after every other. */
gint64   srv_rules_card_rev             (const SrvCardState *state,
                                         gint64        rev);

/* A return authorization's @auth_id, @refund_fen and @lines
 * [{sku, qty}]: SRV_ERROR_INVALID otherwise. */
gboolean srv_rules_check_return_request (const char *auth_id,
                                         gint64      refund_fen,
                                         JsonArray  *lines,
                                         GError    **error);

/* One account of a member below zero: "balance" (principal and bonus
 * together), "points", or "package" with the service in @item (the sum of
 * its lots: uses are judged per service, net across lots). */
typedef struct
{
  const char *account;
  char       *item;
  gint64      amount;     /* how far below zero */
  gboolean    open;       /* an open exception exists for it */
} SrvOverdrawn;

/* The member's accounts below zero, SrvOverdrawn: from the balances and
 * @uses, mdn_package_overdrawn's [{sku, owed}]. */
GArray  *srv_rules_overdrawn            (gint64      principal,
                                         gint64      bonus,
                                         gint64      points,
                                         JsonArray  *uses);

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SrvCardState, srv_card_state_clear)

G_END_DECLS
