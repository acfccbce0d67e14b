/* pos-checkout-private.h: what pos-checkout.c (the scan entry, the cart
 * on screen, the attached member) and pos-checkout-actions.c (the
 * checkout.* actions: pay, lines, void, member, reprint) share. Nothing
 * else includes it. */
#pragma once

#include "pos-cart.h"
#include "pos-checkout.h"
#include "pos-member-view.h"
#include "pos-pay-dialog.h"

G_BEGIN_DECLS

struct _PosCheckout
{
  AdwBin      parent_instance;

  PosSession *session;
  PosCart    *cart;
  PosMemberView *member;     /* the attached card */
  gboolean    has_preview;
  PosSalePreview preview;    /* the sale op's own figures for this cart */
  char       *last_receipt;
  int         selected;
  PosPayDialog *pay_dialog;

  GtkWidget  *scan_entry;
  GtkWidget  *error_revealer;
  GtkWidget  *error_label;
  GtkWidget  *member_box;
  GtkWidget  *member_avatar;
  GtkWidget  *member_name;
  GtkWidget  *member_detail;
  GtkWidget  *member_hints;     /* “今天生日 · 余额不足 ¥20.00”: reminder.member */
  char       *hints_text;       /* read when the member is attached */
  GtkWidget  *member_balance;
  GtkWidget  *member_points;
  GtkWidget  *lines_stack;
  GtkWidget  *lines_scroller;
  GtkWidget  *lines_list;
  GtkWidget  *items_label;
  GtkWidget  *subtotal_label;
  GtkWidget  *discount_label;
  GtkWidget  *points_label;
  GtkWidget  *total_label;
  GtkWidget  *pay_button;
  GtkWidget  *last_box;
  GtkWidget  *last_change;
  GtkWidget  *last_detail;
};

/* pos-checkout.c */
/* The focus back to the scan entry. */
void     pos_checkout_refocus             (PosCheckout    *self);
/* The error line under the scan entry; NULL hides it. */
void     pos_checkout_show_error          (PosCheckout    *self,
                                           const char     *text);
/* Prices the cart again and redraws the lines, totals and member. */
void     pos_checkout_refresh             (PosCheckout    *self);
/* Prices the cart with sale.preview; shows why if it can't be sold. */
void     pos_checkout_update_preview      (PosCheckout    *self);
void     pos_checkout_scroll_to_selected  (PosCheckout    *self);
void     pos_checkout_detach_member       (PosCheckout    *self);

/* pos-checkout-actions.c */
/* Installs the checkout.* actions and their keys on the class. */
void     pos_checkout_class_add_actions   (GtkWidgetClass *wc);

G_END_DECLS
