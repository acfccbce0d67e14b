/* srv-authorize.h: what the server authorizes while a branch is online,
 * above the storage interface: spends of stored value, points and
 * packages held against the chain-wide balance, card operations against
 * the chain-wide card state, returns against what remains returnable, and
 * the wrong PINs branches counted offline. Each runs in one store
 * transaction (srv-store.h's primitives) and asks srv-rules.h. */
#pragma once

#include "srv-store.h"

G_BEGIN_DECLS

/* An authorization not used by a sale entry within @seconds (default 600)
 * is released. */
void              srv_authorize_set_ttl (gint64       seconds);

/* A conditional debit of @amount (@kind balance, points or package with
 * the service in @item). A balance authorization of a card with a PIN
 * needs @pin: pin_required, wrong_pin or pin_locked (MDN_ERROR) otherwise,
 * with @refusal (may be NULL) filled in. */
SrvAuthorization *srv_authorize         (SrvStore    *store,
                                         const char  *branch_code,
                                         const char  *member_id,
                                         const char  *auth_id,
                                         const char  *kind,
                                         const char  *item,
                                         gint64       amount,
                                         const char  *pin,
                                         SrvPinRefusal *refusal,
                                         GError     **error);
/* Adds @failures to the chain-wide counts (*@counted: how many wrong PINs
 * were counted, unknown members are skipped) and returns every PIN lock
 * now, SrvPinLock. */
GPtrArray        *srv_pin_failures      (SrvStore            *store,
                                         const SrvPinFailure *failures,
                                         guint                n_failures,
                                         gint64              *counted,
                                         GError             **error);
SrvGrant         *srv_authorize_card    (SrvStore    *store,
                                         const char  *branch_code,
                                         const char  *member_id,
                                         const char  *auth_id,
                                         const char  *op,
                                         const char  *card_no,
                                         gint64       rev,
                                         GError     **error);
SrvGrant         *srv_authorize_return  (SrvStore    *store,
                                         const char  *branch_code,
                                         const char  *sale_id,
                                         const char  *auth_id,
                                         gint64       refund_fen,
                                         JsonArray   *lines,
                                         GError     **error);

G_END_DECLS
