/* pos-checkout.h: the home screen: scan, the cart, the attached member,
 * payment. Takes the session once and is told when it is shown, to
 * refresh and take the focus. */
#pragma once

#include <adwaita.h>

#include "pos-session.h"

G_BEGIN_DECLS

#define POS_TYPE_CHECKOUT (pos_checkout_get_type ())
G_DECLARE_FINAL_TYPE (PosCheckout, pos_checkout, POS, CHECKOUT, AdwBin)

void        pos_checkout_set_session   (PosCheckout *self, PosSession *session);
void        pos_checkout_shown         (PosCheckout *self);
/* What the scanner does: the code, then Enter. */
void        pos_checkout_scan          (PosCheckout *self, const char *code);
gboolean    pos_checkout_attach_member (PosCheckout *self, const char *card, GError **error);
guint       pos_checkout_get_n_lines   (PosCheckout *self);
gint64      pos_checkout_get_total     (PosCheckout *self);
GtkWidget  *pos_checkout_get_entry     (PosCheckout *self);
/* The attached member's hints as shown (“今天生日 · 余额不足 ¥20.00”), or NULL. */
const char *pos_checkout_get_hints     (PosCheckout *self);
const char *pos_checkout_get_last_receipt (PosCheckout *self);
GtkWidget  *pos_checkout_get_pay_dialog (PosCheckout *self);
/* Voids the sale on the counter without asking (F10 asks first). */
void        pos_checkout_void          (PosCheckout *self);

G_END_DECLS
