/* pos-checkout-actions.c: the checkout.* actions of the home screen,
 * installed on the class (gtk_widget_class_install_action) and bound to the
 * function keys: pay (F12, Ctrl+Enter, Enter on the empty entry), attach a
 * member (F2), quantity (F3), remove a line (F4), who served the line
 * (Ctrl+T), select (Up/Down), void (F10), reprint (Ctrl+P), back to the
 * scan entry (Esc). */
#define G_LOG_DOMAIN "pos-checkout"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "pos-checkout-private.h"
#include "pos-forms.h"
#include "pos-printer.h"
#include "pos-views.h"

/* Paying ------------------------------------------------------------------ */

static void
sale_paid (JsonObject *result,
           gpointer    user_data)
{
  PosCheckout *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PosPaid) paid = pos_paid_parse (result, "sale", &error);
  g_autofree char *change = NULL, *title = NULL, *total = NULL, *receipt = NULL, *detail = NULL;

  /* The sale is written whatever its answer says: the counter goes on. */
  if (paid == NULL)
    {
      g_warning ("%s", error->message);
      paid = g_new0 (PosPaid, 1);
    }
  change = pos_money (paid->change_fen);
  title = paid->change_fen > 0 ? g_strdup_printf (_("Change %s"), change) : g_strdup (_("Paid, no change"));
  total = pos_money (paid->total_fen);
  receipt = g_strdup_printf (_("Receipt %s · total %s · %" PRId64 " points"),
                             paid->receipt_no ? paid->receipt_no : "", total, paid->points_earned);
  /* Paid from the card while head office couldn't be reached. */
  detail = paid->offline ? g_strdup_printf (_("%s · spent offline"), receipt) : g_strdup (receipt);

  g_free (self->last_receipt);
  self->last_receipt = g_strdup (paid->receipt_no);
  gtk_label_set_text (GTK_LABEL (self->last_change), title);
  gtk_label_set_text (GTK_LABEL (self->last_detail), detail);
  gtk_widget_set_visible (self->last_box, TRUE);

  pos_printer_print_sale (GTK_WIDGET (self), self->session, result, self->cart, self->member);
  pos_cart_clear (self->cart);
  g_clear_pointer (&self->member, pos_member_view_unref);
  self->selected = -1;
  pos_checkout_refresh (self);
  pos_toast (GTK_WIDGET (self), title);
}

static void
pay_closed (PosCheckout *self)
{
  self->pay_dialog = NULL;
  pos_checkout_refocus (self);
}

static void
pay_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosCheckout *self = POS_CHECKOUT (widget);
  g_autoptr(JsonObject) args = NULL;

  if (pos_cart_get_n_lines (self->cart) == 0)
    return;
  pos_checkout_update_preview (self);
  if (!self->has_preview)
    {
      /* pos_checkout_update_preview showed why the sale can't go through. */
      return;
    }
  args = pos_cart_sale_args (self->cart, NULL, NULL);
  self->pay_dialog = pos_pay_dialog_new (widget, self->session, "sale", args,
                                         pos_checkout_get_total (self), self->member, sale_paid, self);
  g_signal_connect_swapped (self->pay_dialog, "destroy", G_CALLBACK (pay_closed), self);
}

/* Line editing ------------------------------------------------------------ */

static gboolean
quantity_accepted (PosForm *form,
                   gpointer user_data)
{
  PosCheckout *self = user_data;
  guint64 n;

  if (!g_ascii_string_to_unsigned (pos_form_get (form, "qty"), 10, 0, 9999, &n, NULL))
    {
      pos_form_set_error (form, _("Type a whole number from 0 to 9999 (0 removes the line)"));
      return FALSE;
    }
  pos_cart_set_qty (self->cart, self->selected, (gint64) n);
  pos_checkout_refresh (self);
  return TRUE;
}

static void
quantity_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosCheckout *self = POS_CHECKOUT (widget);
  PosLine *line;
  PosForm *form;
  g_autofree char *qty = NULL;

  if (self->selected < 0 || self->selected >= (int) pos_cart_get_n_lines (self->cart))
    return;
  line = pos_cart_get_line (self->cart, self->selected);
  qty = g_strdup_printf ("%" PRId64, line->qty);
  form = pos_form_new (widget, _("Quantity"), _("_Set"));
  pos_form_set_body (form, line->name);
  pos_form_add_field (form, "qty", _("Quantity"), POS_FIELD_NUMBER, qty);
  g_signal_connect_swapped (form, "destroy", G_CALLBACK (pos_checkout_refocus), self);
  pos_form_run (form, quantity_accepted, self, NULL);
}

/* Who served the line (the technician, for commission): any active staff
 * member of the branch (sale.staff), or the cashier. */
static gboolean
served_by_accepted (PosForm *form,
                    gpointer user_data)
{
  PosCheckout *self = user_data;
  const char *code = pos_form_get (form, "staff");

  if (self->selected < 0 || self->selected >= (int) pos_cart_get_n_lines (self->cart))
    return TRUE;
  if (code && *code)
    pos_cart_set_staff (self->cart, self->selected, code, pos_form_get_label (form, "staff"));
  else
    pos_cart_set_staff (self->cart, self->selected, NULL, NULL);
  pos_checkout_refresh (self);
  return TRUE;
}

static void
served_by_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosCheckout *self = POS_CHECKOUT (widget);
  g_autoptr(GError) error = NULL;
  PosLine *line;
  PosForm *form;

  if (self->selected < 0 || self->selected >= (int) pos_cart_get_n_lines (self->cart))
    return;
  line = pos_cart_get_line (self->cart, self->selected);
  form = pos_form_new (widget, _("Served By"), _("_Set"));
  pos_form_set_body (form, line->name);
  if (!pos_form_add_staff_choice (form, self->session, "staff", line->staff, &error))
    {
      gtk_window_destroy (GTK_WINDOW (form));
      pos_show_error (widget, _("Served By"), error);
      return;
    }
  g_signal_connect_swapped (form, "destroy", G_CALLBACK (pos_checkout_refocus), self);
  pos_form_run (form, served_by_accepted, self, NULL);
}

static void
remove_line_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosCheckout *self = POS_CHECKOUT (widget);

  if (self->selected < 0 || self->selected >= (int) pos_cart_get_n_lines (self->cart))
    return;
  pos_cart_remove (self->cart, self->selected);
  pos_checkout_refresh (self);
}

static void
select_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosCheckout *self = POS_CHECKOUT (widget);
  int n = (int) pos_cart_get_n_lines (self->cart);

  if (n == 0)
    return;
  self->selected = CLAMP (self->selected + g_variant_get_int32 (param), 0, n - 1);
  gtk_list_box_select_row (GTK_LIST_BOX (self->lines_list),
                           gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->lines_list), self->selected));
  pos_checkout_scroll_to_selected (self);
}

static void
void_confirmed (gpointer user_data)
{
  PosCheckout *self = user_data;

  pos_cart_clear (self->cart);
  g_clear_pointer (&self->member, pos_member_view_unref);
  self->selected = -1;
  pos_checkout_show_error (self, NULL);
  pos_checkout_refresh (self);
  pos_checkout_refocus (self);
}

void
pos_checkout_void (PosCheckout *self)
{
  g_return_if_fail (POS_IS_CHECKOUT (self));
  void_confirmed (self);
}

static void
void_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosCheckout *self = POS_CHECKOUT (widget);

  if (pos_cart_get_n_lines (self->cart) == 0)
    void_confirmed (self);
  else
    pos_confirm (widget, _("Void This Sale?"), _("All lines are removed. Nothing has been charged."),
                 _("_Void Sale"), TRUE, void_confirmed, self);
}

static void
detach_action (GtkWidget *widget, const char *name, GVariant *param)
{
  pos_checkout_detach_member (POS_CHECKOUT (widget));
  pos_checkout_refocus (POS_CHECKOUT (widget));
}

static gboolean
member_accepted (PosForm *form,
                 gpointer user_data)
{
  PosCheckout *self = user_data;
  g_autoptr(GError) error = NULL;

  if (!pos_checkout_attach_member (self, pos_form_get (form, "card"), &error))
    {
      g_autofree char *hint = pos_error_dup_hint (error);
      pos_form_set_error (form, hint);
      return FALSE;
    }
  return TRUE;
}

static void
member_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosCheckout *self = POS_CHECKOUT (widget);
  PosForm *form = pos_form_new (widget, _("Member"), _("_Attach"));

  pos_form_set_body (form, _("Scan the member's QR card, or type the card number or phone number."));
  pos_form_add_field (form, "card", _("Card, phone or QR"), POS_FIELD_TEXT, NULL);
  g_signal_connect_swapped (form, "destroy", G_CALLBACK (pos_checkout_refocus), self);
  pos_form_run (form, member_accepted, self, NULL);
}

static void
reprint_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosCheckout *self = POS_CHECKOUT (widget);

  if (self->last_receipt)
    pos_printer_reprint (widget, self->session, self->last_receipt);
}

static void
focus_scan_action (GtkWidget *widget, const char *name, GVariant *param)
{
  pos_checkout_refocus (POS_CHECKOUT (widget));
}

/* Installing -------------------------------------------------------------- */

void
pos_checkout_class_add_actions (GtkWidgetClass *wc)
{
  gtk_widget_class_install_action (wc, "checkout.pay", NULL, pay_action);
  gtk_widget_class_install_action (wc, "checkout.member", NULL, member_action);
  gtk_widget_class_install_action (wc, "checkout.detach-member", NULL, detach_action);
  gtk_widget_class_install_action (wc, "checkout.quantity", NULL, quantity_action);
  gtk_widget_class_install_action (wc, "checkout.remove-line", NULL, remove_line_action);
  gtk_widget_class_install_action (wc, "checkout.served-by", NULL, served_by_action);
  gtk_widget_class_install_action (wc, "checkout.select", "i", select_action);
  gtk_widget_class_install_action (wc, "checkout.void", NULL, void_action);
  gtk_widget_class_install_action (wc, "checkout.reprint", NULL, reprint_action);
  gtk_widget_class_install_action (wc, "checkout.focus-scan", NULL, focus_scan_action);

  gtk_widget_class_add_binding_action (wc, GDK_KEY_F12, 0, "checkout.pay", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_Return, GDK_CONTROL_MASK, "checkout.pay", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_F2, 0, "checkout.member", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_F3, 0, "checkout.quantity", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_F4, 0, "checkout.remove-line", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_t, GDK_CONTROL_MASK, "checkout.served-by", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_F10, 0, "checkout.void", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_p, GDK_CONTROL_MASK, "checkout.reprint", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_Up, 0, "checkout.select", "i", -1);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_Down, 0, "checkout.select", "i", 1);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_Escape, 0, "checkout.focus-scan", NULL);
}
