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
#include "pos-checkout-private.h"
#include "pos-forms.h"
#include "pos-reminders.h"

G_DEFINE_FINAL_TYPE (PosCheckout, pos_checkout, ADW_TYPE_BIN)

void
pos_checkout_refocus (PosCheckout *self)
{
  if (gtk_widget_get_mapped (self->scan_entry))
    gtk_widget_grab_focus (self->scan_entry);
}

void
pos_checkout_show_error (PosCheckout *self,
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

  pos_checkout_show_error (self, hint);
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
void
pos_checkout_update_preview (PosCheckout *self)
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
  g_autofree char *who = line->staff ? g_markup_escape_text (line->staff_name ? line->staff_name : line->staff, -1)
                                     : NULL;
  g_autofree char *sub = who ? g_strdup_printf (_("%s · %s · served by %s"), line->sku, unit, who)
                             : g_strdup_printf ("%s · %s", line->sku, unit);
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
  gtk_label_set_text (GTK_LABEL (self->member_hints), self->hints_text ? self->hints_text : "");
  gtk_widget_set_visible (self->member_hints, self->hints_text != NULL);
  bal = pos_money (m->balance_fen);
  gtk_label_set_text (GTK_LABEL (self->member_balance), bal);
  pts = g_strdup_printf (_("%" PRId64 " points"), m->points);
  gtk_label_set_text (GTK_LABEL (self->member_points), pts);
}

void
pos_checkout_refresh (PosCheckout *self)
{
  guint n = pos_cart_get_n_lines (self->cart);
  gint64 list_total = pos_cart_list_total (self->cart);
  g_autofree char *items = g_strdup_printf ("%" PRId64, pos_cart_count_items (self->cart));
  g_autofree char *points = NULL;
  GtkWidget *child;

  pos_checkout_update_preview (self);
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
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "checkout.served-by", n > 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "checkout.void", n > 0 || self->member);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "checkout.reprint", self->last_receipt != NULL);
  update_member (self);
}

void
pos_checkout_scroll_to_selected (PosCheckout *self)
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
  g_free (self->hints_text);
  self->hints_text = pos_reminders_dup_hints (self->session, m->card_no);
  pos_cart_set_card (self->cart, m->card_no);
  pos_checkout_refresh (self);
  return TRUE;
}

const char *
pos_checkout_get_hints (PosCheckout *self)
{
  g_return_val_if_fail (POS_IS_CHECKOUT (self), NULL);
  return self->member ? self->hints_text : NULL;
}

void
pos_checkout_detach_member (PosCheckout *self)
{
  g_clear_pointer (&self->member, pos_member_view_unref);
  g_clear_pointer (&self->hints_text, g_free);
  pos_cart_set_card (self->cart, NULL);
  pos_checkout_refresh (self);
}

/* Scanning ---------------------------------------------------------------- */

static void
add_product (PosCheckout      *self,
             const PosProduct *product,
             gint64            qty)
{
  self->selected = (int) pos_cart_add (self->cart, product, qty);
  pos_checkout_refresh (self);
  pos_checkout_scroll_to_selected (self);
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
  pos_checkout_refocus (self);
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
  g_signal_connect_swapped (form, "destroy", G_CALLBACK (pos_checkout_refocus), self);
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

  pos_checkout_show_error (self, NULL);
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
    pos_checkout_show_error (self, msg);
  }
}

static void
scan_activated (PosCheckout *self)
{
  g_autofree char *text = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->scan_entry)));

  pos_checkout_scan (self, text);
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
        pos_checkout_detach_member (self);
    }
}

static void
login_changed (PosCheckout *self)
{
  pos_checkout_refresh (self);
}

void
pos_checkout_set_session (PosCheckout *self,
                          PosSession  *session)
{
  g_set_object (&self->session, session);
  g_signal_connect_object (session, "ledger-changed", G_CALLBACK (ledger_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (session, "login-changed", G_CALLBACK (login_changed), self, G_CONNECT_SWAPPED);
  pos_checkout_refresh (self);
}

void
pos_checkout_shown (PosCheckout *self)
{
  pos_checkout_refresh (self);
  pos_checkout_refocus (self);
}

static gboolean
refocus_idle (gpointer user_data)
{
  pos_checkout_refocus (user_data);
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
  g_clear_pointer (&self->hints_text, g_free);
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
  gtk_widget_class_bind_template_child (wc, PosCheckout, member_hints);
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

  pos_checkout_class_add_actions (wc);
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
