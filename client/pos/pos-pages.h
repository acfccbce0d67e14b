/* pos-pages.h: the pages of the main window. Each takes the session once
 * and is told when it is shown, to refresh and take the focus. */
#pragma once

#include <adwaita.h>

#include "pos-session.h"

G_BEGIN_DECLS

#define POS_TYPE_CHECKOUT (pos_checkout_get_type ())
G_DECLARE_FINAL_TYPE (PosCheckout, pos_checkout, POS, CHECKOUT, AdwBin)
#define POS_TYPE_MEMBERS (pos_members_get_type ())
G_DECLARE_FINAL_TYPE (PosMembers, pos_members, POS, MEMBERS, AdwBin)
#define POS_TYPE_TIMED (pos_timed_get_type ())
G_DECLARE_FINAL_TYPE (PosTimed, pos_timed, POS, TIMED, AdwBin)
#define POS_TYPE_RETURNS (pos_returns_get_type ())
G_DECLARE_FINAL_TYPE (PosReturns, pos_returns, POS, RETURNS, AdwBin)
#define POS_TYPE_DAY_END (pos_day_end_get_type ())
G_DECLARE_FINAL_TYPE (PosDayEnd, pos_day_end, POS, DAY_END, AdwBin)

void        pos_checkout_set_session   (PosCheckout *self, PosSession *session);
void        pos_checkout_shown         (PosCheckout *self);
/* What the scanner does: the code, then Enter. */
void        pos_checkout_scan          (PosCheckout *self, const char *code);
gboolean    pos_checkout_attach_member (PosCheckout *self, const char *card, GError **error);
guint       pos_checkout_get_n_lines   (PosCheckout *self);
gint64      pos_checkout_get_total     (PosCheckout *self);
GtkWidget  *pos_checkout_get_entry     (PosCheckout *self);
const char *pos_checkout_get_last_receipt (PosCheckout *self);
GtkWidget  *pos_checkout_get_pay_dialog (PosCheckout *self);
/* Voids the sale on the counter without asking (F10 asks first). */
void        pos_checkout_void          (PosCheckout *self);

void        pos_members_set_session    (PosMembers *self, PosSession *session);
void        pos_members_shown          (PosMembers *self);
void        pos_members_show_card      (PosMembers *self, const char *card);
GtkWidget  *pos_members_get_search_entry (PosMembers *self);
const char *pos_members_get_card       (PosMembers *self);

void        pos_timed_set_session      (PosTimed *self, PosSession *session);
void        pos_timed_shown            (PosTimed *self);
guint       pos_timed_get_n_tiles      (PosTimed *self);
void        pos_timed_activate_tile    (PosTimed *self, const char *code);
const char *pos_timed_get_tile_state   (PosTimed *self, const char *code);

void        pos_returns_set_session    (PosReturns *self, PosSession *session);
void        pos_returns_shown          (PosReturns *self);
void        pos_returns_find           (PosReturns *self, const char *receipt_no);
GtkWidget  *pos_returns_get_entry      (PosReturns *self);
void        pos_returns_confirm_now    (PosReturns *self);

void        pos_day_end_set_session    (PosDayEnd *self, PosSession *session);
void        pos_day_end_shown          (PosDayEnd *self);

G_END_DECLS
