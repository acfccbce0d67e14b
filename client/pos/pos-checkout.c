/* pos-checkout.c: the home screen. One entry always has the focus; what is
 * scanned or typed into it is resolved in order: a member QR payload or
 * card number attaches the member; a product barcode or SKU adds a line
 * (again: one more); anything else searches products by name. */
#define G_LOG_DOMAIN "pos-checkout"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <string.h>

#include "mdn-error.h"
#include "mdn-id.h"
#include "mdn-members.h"
#include "mdn-money.h"
#include "pos-cart.h"
#include "pos-checkout.h"
#include "pos-forms.h"
#include "pos-member-view.h"
#include "pos-pay-dialog.h"
#include "pos-printer.h"
#include "pos-views.h"
#include "pos-window.h"

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

G_DEFINE_FINAL_TYPE (PosCheckout, pos_checkout, ADW_TYPE_BIN)

static void
refocus (PosCheckout *self)
{
  if (gtk_widget_get_mapped (self->scan_entry))
    gtk_widget_grab_focus (self->scan_entry);
}

static void
show_error (PosCheckout *self,
            const char  *text)
{
  gtk_label_set_text (GTK_LABEL (self->error_label), text ? text : "");
  gtk_revealer_set_reveal_child (GTK_REVEALER (self->error_revealer), text != NULL);
  if (text)
    gtk_widget_error_bell (GTK_WIDGET (self));
}

static void
show_gerror (PosCheckout  *self,
             const GError *error)
{
  g_autofree char *hint = pos_error_dup_hint (error);

  show_error (self, hint);
}

/* Totals ------------------------------------------------------------------ */

static gint64
total_fen (PosCheckout *self)
{
  if (self->has_preview)
    return self->preview.total_fen;
  return pos_cart_list_total (self->cart);
}

static void
set_money (GtkWidget *label,
           gint64     fen)
{
  g_autofree char *text = pos_money (fen);

  gtk_label_set_text (GTK_LABEL (label), text);
}

/* Prices the cart with "sale.preview" (common/mdn-pricing.c), the same
 * rule as "sale" in a read transaction: the discount and points shown are
 * the ones the sale will write, and a cart change never takes the write
 * lock. */
static void
update_preview (PosCheckout *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) args = NULL;
  g_autoptr(JsonObject) preview = NULL;

  self->has_preview = FALSE;
  if (pos_cart_get_n_lines (self->cart) == 0 || !pos_session_is_logged_in (self->session))
    return;
  args = pos_cart_sale_args (self->cart, NULL, NULL);
  preview = pos_session_run (self->session, "sale.preview", args, &error);
  self->has_preview = preview && pos_sale_preview_parse (preview, &self->preview, &error);
  if (!self->has_preview)
    show_gerror (self, error);
}

static GtkWidget *
line_row_new (PosLine *line,
              guint    index)
{
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *qty, *amount, *box;
  g_autofree char *unit = pos_money (line->price_fen);
  g_autofree char *sub = g_strdup_printf ("%s · %s", line->sku, unit);
  g_autofree char *q = g_strdup_printf ("× %" PRId64, line->qty);
  g_autofree char *total = pos_money (pos_line_total (line));
  g_autofree char *title = g_markup_escape_text (line->name, -1);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), sub);
  gtk_widget_add_css_class (row, "sale-line");
  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 24);
  qty = gtk_label_new (q);
  gtk_widget_add_css_class (qty, "title-4");
  gtk_widget_add_css_class (qty, "numeric");
  amount = gtk_label_new (total);
  gtk_label_set_xalign (GTK_LABEL (amount), 1);
  gtk_label_set_width_chars (GTK_LABEL (amount), 10);
  gtk_widget_add_css_class (amount, "title-4");
  gtk_widget_add_css_class (amount, "numeric");
  gtk_box_append (GTK_BOX (box), qty);
  gtk_box_append (GTK_BOX (box), amount);
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), box);
  gtk_widget_set_can_focus (row, FALSE);
  g_object_set_data (G_OBJECT (row), "index", GUINT_TO_POINTER (index));
  return row;
}

static void
update_member (PosCheckout *self)
{
  PosMemberView *m = self->member;
  g_autofree char *detail = NULL;
  g_autofree char *bal = NULL;
  g_autofree char *pts = NULL;

  gtk_widget_set_visible (self->member_box, m != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "checkout.detach-member", m != NULL);
  if (m == NULL)
    return;
  adw_avatar_set_text (ADW_AVATAR (self->member_avatar), m->name);
  gtk_label_set_text (GTK_LABEL (self->member_name), m->name);
  detail = g_strdup_printf ("%s · %s · %s", m->card_no, m->level_name, pos_member_status_label (m->status));
  gtk_label_set_text (GTK_LABEL (self->member_detail), detail);
  bal = pos_money (m->balance_fen);
  gtk_label_set_text (GTK_LABEL (self->member_balance), bal);
  pts = g_strdup_printf (_("%" PRId64 " points"), m->points);
  gtk_label_set_text (GTK_LABEL (self->member_points), pts);
}

static void
refresh (PosCheckout *self)
{
  guint n = pos_cart_get_n_lines (self->cart);
  gint64 list_total = pos_cart_list_total (self->cart);
  g_autofree char *items = g_strdup_printf ("%" PRId64, pos_cart_count_items (self->cart));
  g_autofree char *points = NULL;
  GtkWidget *child;

  update_preview (self);
  while ((child = gtk_widget_get_first_child (self->lines_list)))
    gtk_list_box_remove (GTK_LIST_BOX (self->lines_list), child);
  for (guint i = 0; i < n; i++)
    gtk_list_box_append (GTK_LIST_BOX (self->lines_list), line_row_new (pos_cart_get_line (self->cart, i), i));
  if (self->selected >= (int) n)
    self->selected = (int) n - 1;
  if (self->selected >= 0)
    {
      GtkListBoxRow *row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->lines_list), self->selected);
      gtk_list_box_select_row (GTK_LIST_BOX (self->lines_list), row);
    }
  gtk_stack_set_visible_child_name (GTK_STACK (self->lines_stack), n ? "lines" : "empty");

  gtk_label_set_text (GTK_LABEL (self->items_label), items);
  set_money (self->subtotal_label, list_total);
  set_money (self->discount_label, -(self->has_preview ? self->preview.discount_fen : 0));
  points = g_strdup_printf ("%" PRId64, self->has_preview ? self->preview.points_earned : 0);
  gtk_label_set_text (GTK_LABEL (self->points_label), points);
  set_money (self->total_label, total_fen (self));

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "checkout.pay", n > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "checkout.quantity", n > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "checkout.remove-line", n > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "checkout.void", n > 0 || self->member);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "checkout.reprint", self->last_receipt != NULL);
  update_member (self);
}

static void
scroll_to_selected (PosCheckout *self)
{
  GtkListBoxRow *row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->lines_list), self->selected);
  GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (self->lines_scroller));
  graphene_rect_t bounds;

  if (row && gtk_widget_compute_bounds (GTK_WIDGET (row), self->lines_list, &bounds))
    gtk_adjustment_clamp_page (adj, bounds.origin.y, bounds.origin.y + bounds.size.height);
}

/* Member ------------------------------------------------------------------ */

gboolean
pos_checkout_attach_member (PosCheckout *self,
                            const char  *card,
                            GError     **error)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) shown = NULL;
  PosMemberView *m;

  json_object_set_string_member (args, "card", card);
  shown = pos_session_run (self->session, "member.show", args, error);
  if (shown == NULL)
    return FALSE;
  m = pos_member_view_parse (shown, error);
  if (m == NULL)
    return FALSE;
  if (m->status != POS_MEMBER_ACTIVE)
    {
      if (m->status == POS_MEMBER_REPLACED)
        g_set_error (error, MDN_ERROR, MDN_ERROR_CARD_REPLACED,
                     _("Card %s was replaced by card %s; scan the new card"),
                     m->card_no, m->replaced_by ? m->replaced_by : "");
      else if (m->status == POS_MEMBER_LOST)
        g_set_error (error, MDN_ERROR, MDN_ERROR_CARD_LOST,
                     _("Card %s is reported lost; a manager can unlock it on the Members page"),
                     m->card_no);
      else
        g_set_error (error, MDN_ERROR, MDN_ERROR_CARD_EXPIRED,
                     _("Card %s has expired; extend it on the Members page first"),
                     m->card_no);
      pos_member_view_unref (m);
      return FALSE;
    }
  g_clear_pointer (&self->member, pos_member_view_unref);
  self->member = m;
  pos_cart_set_card (self->cart, m->card_no);
  refresh (self);
  return TRUE;
}

static void
detach_member (PosCheckout *self)
{
  g_clear_pointer (&self->member, pos_member_view_unref);
  pos_cart_set_card (self->cart, NULL);
  refresh (self);
}

/* Scanning ---------------------------------------------------------------- */

static void
add_product (PosCheckout      *self,
             const PosProduct *product,
             gint64            qty)
{
  self->selected = (int) pos_cart_add (self->cart, product, qty);
  refresh (self);
  scroll_to_selected (self);
}

typedef struct
{
  PosCheckout *self;
  GPtrArray   *products;    /* of PosProduct */
  gint64       qty;
  GtkWidget   *window;
} SearchData;

static void
search_data_free (SearchData *d)
{
  g_ptr_array_unref (d->products);
  g_free (d);
}

static void
search_row_activated (GtkListBox    *list,
                      GtkListBoxRow *row,
                      SearchData    *d)
{
  guint i = gtk_list_box_row_get_index (row);
  PosCheckout *self = d->self;

  add_product (self, g_ptr_array_index (d->products, i), d->qty);
  gtk_window_close (GTK_WINDOW (d->window));
  refocus (self);
}

/* Not a code: the products whose names match, to pick with the arrows. */
static void
show_search (PosCheckout *self,
             const char  *query,
             GPtrArray   *products,
             gint64       qty)
{
  PosForm *form = pos_form_new (GTK_WIDGET (self), _("Choose a Product"), _("_Add"));
  GtkWidget *list = gtk_list_box_new ();
  GtkWidget *scroller = gtk_scrolled_window_new ();
  SearchData *d = g_new0 (SearchData, 1);
  g_autofree char *body = g_strdup_printf (_("Products matching “%s”. Use the arrow keys and Enter."), query);

  d->self = self;
  d->products = g_ptr_array_ref (products);
  d->qty = qty;
  d->window = GTK_WIDGET (form);
  gtk_widget_add_css_class (list, "boxed-list");
  for (guint i = 0; i < products->len; i++)
    {
      PosProduct *p = g_ptr_array_index (products, i);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *price = pos_money (p->price_fen);
      g_autofree char *title = g_markup_escape_text (p->name, -1);
      GtkWidget *label = gtk_label_new (price);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), p->sku);
      gtk_widget_add_css_class (label, "numeric");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      gtk_list_box_append (GTK_LIST_BOX (list), row);
    }
  g_signal_connect_data (list, "row-activated", G_CALLBACK (search_row_activated), d,
                         (GClosureNotify) (void (*)(void)) search_data_free, 0);
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scroller), list);
  gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scroller), GTK_POLICY_NEVER, GTK_POLICY_AUTOMATIC);
  gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scroller), 320);
  pos_form_set_body (form, body);
  pos_form_add_widget (form, scroller);
  pos_form_run (form, NULL, NULL, NULL);
  gtk_widget_grab_focus (gtk_widget_get_first_child (list));
  g_signal_connect_swapped (form, "destroy", G_CALLBACK (refocus), self);
}

/* "3*6901234567890": three of them. */
static char *
split_quantity (const char *text,
                gint64     *qty)
{
  const char *star = strchr (text, '*');
  guint64 n;

  *qty = 1;
  if (star && star > text)
    {
      g_autofree char *num = g_strndup (text, star - text);

      if (g_ascii_string_to_unsigned (num, 10, 1, 9999, &n, NULL))
        {
          *qty = (gint64) n;
          return g_strstrip (g_strdup (star + 1));
        }
    }
  return g_strdup (text);
}

void
pos_checkout_scan (PosCheckout *self,
                   const char  *text)
{
  g_autofree char *code = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) args = NULL;
  g_autoptr(JsonObject) found = NULL;
  g_autoptr(GPtrArray) products = NULL;
  gint64 qty;

  g_return_if_fail (POS_IS_CHECKOUT (self));

  show_error (self, NULL);
  code = g_strstrip (g_strdup (text ? text : ""));
  gtk_editable_set_text (GTK_EDITABLE (self->scan_entry), "");
  if (*code == '\0')
    {
      /* Enter on an empty entry: take the payment. */
      if (pos_cart_get_n_lines (self->cart) > 0)
        gtk_widget_activate_action (GTK_WIDGET (self), "checkout.pay", NULL);
      return;
    }
  {
    char *c = split_quantity (code, &qty);
    g_free (code);
    code = c;
  }

  /* 1. A member card: the signed QR payload or a card number. */
  if (mdn_qr_is_payload (code) || mdn_card_no_valid (code))
    {
      if (pos_checkout_attach_member (self, code, &error))
        return;
      if (!g_error_matches (error, MDN_ERROR, MDN_ERROR_UNKNOWN_CARD) || mdn_qr_is_payload (code))
        {
          show_gerror (self, error);
          return;
        }
      g_clear_error (&error);
    }

  /* 2. A product barcode or SKU: index lookups only, so a scan costs the
     same among 100 or 100,000 products. */
  args = json_object_new ();
  json_object_set_string_member (args, "query", code);
  json_object_set_boolean_member (args, "exact", TRUE);
  found = pos_session_run (self->session, "product.search", args, &error);
  products = found ? pos_product_list_parse (found, &error) : NULL;
  if (products == NULL)
    {
      show_gerror (self, error);
      return;
    }
  if (products->len > 0)
    {
      add_product (self, g_ptr_array_index (products, 0), qty);
      return;
    }
  g_clear_pointer (&found, json_object_unref);
  g_clear_pointer (&products, g_ptr_array_unref);

  /* 3. A name, or part of one. */
  json_object_remove_member (args, "exact");
  json_object_set_int_member (args, "limit", 30);
  found = pos_session_run (self->session, "product.search", args, &error);
  products = found ? pos_product_list_parse (found, &error) : NULL;
  if (products == NULL)
    {
      show_gerror (self, error);
      return;
    }
  if (products->len > 0)
    {
      PosProduct *first = g_ptr_array_index (products, 0);
      const char *match = first->match;

      if (g_str_equal (match, "sku") || g_str_equal (match, "barcode") || products->len == 1)
        add_product (self, first, qty);
      else
        show_search (self, code, products, qty);
      return;
    }

  /* A phone number the member says at the counter. */
  if (strlen (code) >= 7 && strspn (code, "0123456789") == strlen (code) &&
      pos_checkout_attach_member (self, code, NULL))
    return;

  {
    g_autofree char *msg = g_strdup_printf (_("Nothing found for “%s”. Check the code, or type "
                                              "part of the product name."), code);
    show_error (self, msg);
  }
}

static void
scan_activated (PosCheckout *self)
{
  g_autofree char *text = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->scan_entry)));

  pos_checkout_scan (self, text);
}

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
  refresh (self);
  pos_toast (GTK_WIDGET (self), title);
}

static void
pay_closed (PosCheckout *self)
{
  self->pay_dialog = NULL;
  refocus (self);
}

static void
pay_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosCheckout *self = POS_CHECKOUT (widget);
  g_autoptr(JsonObject) args = NULL;

  if (pos_cart_get_n_lines (self->cart) == 0)
    return;
  update_preview (self);
  if (!self->has_preview)
    {
      /* update_preview showed why the sale can't go through. */
      return;
    }
  args = pos_cart_sale_args (self->cart, NULL, NULL);
  self->pay_dialog = pos_pay_dialog_new (widget, self->session, "sale", args, total_fen (self),
                                         self->member, sale_paid, self);
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
  refresh (self);
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
  g_signal_connect_swapped (form, "destroy", G_CALLBACK (refocus), self);
  pos_form_run (form, quantity_accepted, self, NULL);
}

static void
remove_line_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosCheckout *self = POS_CHECKOUT (widget);

  if (self->selected < 0 || self->selected >= (int) pos_cart_get_n_lines (self->cart))
    return;
  pos_cart_remove (self->cart, self->selected);
  refresh (self);
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
  scroll_to_selected (self);
}

static void
void_confirmed (gpointer user_data)
{
  PosCheckout *self = user_data;

  pos_cart_clear (self->cart);
  g_clear_pointer (&self->member, pos_member_view_unref);
  self->selected = -1;
  show_error (self, NULL);
  refresh (self);
  refocus (self);
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
  detach_member (POS_CHECKOUT (widget));
  refocus (POS_CHECKOUT (widget));
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
  g_signal_connect_swapped (form, "destroy", G_CALLBACK (refocus), self);
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
  refocus (POS_CHECKOUT (widget));
}

/* Session ----------------------------------------------------------------- */

static void
ledger_changed (PosCheckout *self,
                const char  *op)
{
  /* A deposit on the Members page shows in the attached member's balance. */
  if (self->member && !g_str_equal (op, "sale"))
    {
      g_autofree char *card = g_strdup (self->member->card_no);
      if (!pos_checkout_attach_member (self, card, NULL))
        detach_member (self);
    }
}

static void
login_changed (PosCheckout *self)
{
  refresh (self);
}

void
pos_checkout_set_session (PosCheckout *self,
                          PosSession  *session)
{
  g_set_object (&self->session, session);
  g_signal_connect_object (session, "ledger-changed", G_CALLBACK (ledger_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (session, "login-changed", G_CALLBACK (login_changed), self, G_CONNECT_SWAPPED);
  refresh (self);
}

void
pos_checkout_shown (PosCheckout *self)
{
  refresh (self);
  refocus (self);
}

static gboolean
refocus_idle (gpointer user_data)
{
  refocus (user_data);
  return G_SOURCE_REMOVE;
}

static void
entry_mapped (PosCheckout *self)
{
  g_idle_add_full (G_PRIORITY_DEFAULT_IDLE, refocus_idle, g_object_ref (self), g_object_unref);
}

guint
pos_checkout_get_n_lines (PosCheckout *self)
{
  return pos_cart_get_n_lines (self->cart);
}

gint64
pos_checkout_get_total (PosCheckout *self)
{
  return total_fen (self);
}

GtkWidget *
pos_checkout_get_entry (PosCheckout *self)
{
  return self->scan_entry;
}

const char *
pos_checkout_get_last_receipt (PosCheckout *self)
{
  return self->last_receipt;
}

GtkWidget *
pos_checkout_get_pay_dialog (PosCheckout *self)
{
  return self->pay_dialog ? GTK_WIDGET (self->pay_dialog) : NULL;
}

static void
pos_checkout_dispose (GObject *object)
{
  PosCheckout *self = POS_CHECKOUT (object);

  g_clear_object (&self->session);
  g_clear_pointer (&self->cart, pos_cart_free);
  g_clear_pointer (&self->member, pos_member_view_unref);
  g_clear_pointer (&self->last_receipt, g_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), POS_TYPE_CHECKOUT);
  G_OBJECT_CLASS (pos_checkout_parent_class)->dispose (object);
}

static void
pos_checkout_class_init (PosCheckoutClass *klass)
{
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);

  pos_ensure_resources ();
  G_OBJECT_CLASS (klass)->dispose = pos_checkout_dispose;
  gtk_widget_class_set_template_from_resource (wc, "/org/mendian/Pos/pos-checkout.ui");
  gtk_widget_class_bind_template_child (wc, PosCheckout, scan_entry);
  gtk_widget_class_bind_template_child (wc, PosCheckout, error_revealer);
  gtk_widget_class_bind_template_child (wc, PosCheckout, error_label);
  gtk_widget_class_bind_template_child (wc, PosCheckout, member_box);
  gtk_widget_class_bind_template_child (wc, PosCheckout, member_avatar);
  gtk_widget_class_bind_template_child (wc, PosCheckout, member_name);
  gtk_widget_class_bind_template_child (wc, PosCheckout, member_detail);
  gtk_widget_class_bind_template_child (wc, PosCheckout, member_balance);
  gtk_widget_class_bind_template_child (wc, PosCheckout, member_points);
  gtk_widget_class_bind_template_child (wc, PosCheckout, lines_stack);
  gtk_widget_class_bind_template_child (wc, PosCheckout, lines_scroller);
  gtk_widget_class_bind_template_child (wc, PosCheckout, lines_list);
  gtk_widget_class_bind_template_child (wc, PosCheckout, items_label);
  gtk_widget_class_bind_template_child (wc, PosCheckout, subtotal_label);
  gtk_widget_class_bind_template_child (wc, PosCheckout, discount_label);
  gtk_widget_class_bind_template_child (wc, PosCheckout, points_label);
  gtk_widget_class_bind_template_child (wc, PosCheckout, total_label);
  gtk_widget_class_bind_template_child (wc, PosCheckout, pay_button);
  gtk_widget_class_bind_template_child (wc, PosCheckout, last_box);
  gtk_widget_class_bind_template_child (wc, PosCheckout, last_change);
  gtk_widget_class_bind_template_child (wc, PosCheckout, last_detail);

  gtk_widget_class_install_action (wc, "checkout.pay", NULL, pay_action);
  gtk_widget_class_install_action (wc, "checkout.member", NULL, member_action);
  gtk_widget_class_install_action (wc, "checkout.detach-member", NULL, detach_action);
  gtk_widget_class_install_action (wc, "checkout.quantity", NULL, quantity_action);
  gtk_widget_class_install_action (wc, "checkout.remove-line", NULL, remove_line_action);
  gtk_widget_class_install_action (wc, "checkout.select", "i", select_action);
  gtk_widget_class_install_action (wc, "checkout.void", NULL, void_action);
  gtk_widget_class_install_action (wc, "checkout.reprint", NULL, reprint_action);
  gtk_widget_class_install_action (wc, "checkout.focus-scan", NULL, focus_scan_action);

  gtk_widget_class_add_binding_action (wc, GDK_KEY_F12, 0, "checkout.pay", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_Return, GDK_CONTROL_MASK, "checkout.pay", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_F2, 0, "checkout.member", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_F3, 0, "checkout.quantity", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_F4, 0, "checkout.remove-line", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_F10, 0, "checkout.void", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_p, GDK_CONTROL_MASK, "checkout.reprint", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_Up, 0, "checkout.select", "i", -1);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_Down, 0, "checkout.select", "i", 1);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_Escape, 0, "checkout.focus-scan", NULL);
}

static void
pos_checkout_init (PosCheckout *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cart = pos_cart_new ();
  self->selected = -1;
  g_signal_connect_swapped (self->scan_entry, "activate", G_CALLBACK (scan_activated), self);
  g_signal_connect_swapped (self->scan_entry, "map", G_CALLBACK (entry_mapped), self);
}
