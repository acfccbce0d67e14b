/* mdn-card.h: what a member's card holds beside its balance and points
 * (package uses, per service net across lots) and what it may spend: the
 * hold head office puts on an overdrawn card and the authorization of a
 * spend at a linked branch (the spend record ctx->spend, mdn-op.h; the
 * protocol, mdn-sync.h). In members/ because the card operations
 * (member.show, member.lose ...) need it as much as selling does.
 *
 * Internal to libmendian; front ends go through mdn_ops_run(). */
#pragma once

#include <json-glib/json-glib.h>

#include "mdn-members.h"
#include "mdn-op.h"

G_BEGIN_DECLS

/* Whether the server has put this member's card on hold (an overdraft found
 * after merging offline spending), as of the last sync. */
gboolean    mdn_member_on_hold      (MdnStore    *store,
                                     const char  *member_id);
/* A card the server has put on hold (an overdraft found after merging
 * offline spending) can't pay from its balance, packages or points; it can
 * still take deposits, which settle it. */
gboolean    mdn_card_check_hold  (MdnOpCtx    *ctx,
                                     MdnMember   *member,
                                     GError     **error);
/* Every spend of stored value (kind balance: fen; points; package: uses of
 * @item) goes through here inside the operation's transaction, after the
 * operation's own checks: at a branch linked to a server it is held to the
 * server's authorization or, offline, to the level's offline allowance,
 * and @body is marked ("auth_id", or "offline": true). See mdn-sync.h. */
gboolean    mdn_card_spend       (MdnOpCtx    *ctx,
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
gboolean    mdn_card_chain_check (MdnOpCtx    *ctx,
                                     const char  *member_id,
                                     const char  *kind,
                                     const char  *item,
                                     gint64       amount,
                                     JsonObject  *detail,
                                     JsonObject  *body,
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

G_END_DECLS
