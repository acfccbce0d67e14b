/* pos-returns.c: find a sale by its receipt, pick the lines and
 * quantities, see the refund split by tender (from sale.return itself, in
 * a transaction rolled back), confirm. */
#define G_LOG_DOMAIN "pos-returns"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <string.h>

#include "pos-forms.h"
#include "pos-printer.h"
#include "pos-returns.h"
#include "pos-views.h"

struct _PosReturns
{
  AdwBin      parent_instance;

  PosSession *session;
  PosSaleRecord *sale;       /* receipt.show */
  GPtrArray  *spins;         /* per sale line: its quantity to return */

  GtkWidget  *receipt_entry;
  GtkWidget  *error_label;
  GtkWidget  *stack;
  GtkWidget  *lines_group;
  GtkWidget  *lines_list;
  GtkWidget  *refund_label;
  GtkWidget  *split_label;
  GtkWidget  *confirm_button;
  gboolean    running;       /* a return is being made */
};

G_DEFINE_FINAL_TYPE (PosReturns, pos_returns, ADW_TYPE_BIN)

static void
set_error (PosReturns *self,
           const char *text)
{
  gtk_label_set_text (GTK_LABEL (self->error_label), text ? text : "");
  gtk_widget_set_visible (self->error_label, text != NULL);
}

static JsonObject *
return_args (PosReturns *self,
             gboolean    with_probe_tender)
{
  JsonObject *args = json_object_new ();
  JsonArray *lines = json_array_new ();
  GPtrArray *sold = self->sale ? self->sale->lines : NULL;

  json_object_set_string_member (args, "entry_id", self->sale && self->sale->entry_id ? self->sale->entry_id : "");
  for (guint i = 0; sold && i < self->spins->len; i++)
    {
      int qty = gtk_spin_button_get_value_as_int (g_ptr_array_index (self->spins, i));
      JsonObject *o;

      if (qty <= 0)
        continue;
      o = json_object_new ();
      json_object_set_string_member (o, "sku", ((PosSoldLine *) g_ptr_array_index (sold, i))->sku);
      json_object_set_int_member (o, "qty", qty);
      json_array_add_object_element (lines, o);
    }
  json_object_set_array_member (args, "lines", lines);
  return args;
}

static guint
n_picked (PosReturns *self)
{
  guint n = 0;

  for (guint i = 0; self->spins && i < self->spins->len; i++)
    n += gtk_spin_button_get_value_as_int (g_ptr_array_index (self->spins, i)) > 0;
  return n;
}

static void
update_refund (PosReturns *self)
{
  g_autoptr(JsonObject) args = NULL;
  g_autoptr(JsonObject) preview = NULL;
  g_autoptr(PosRefund) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GString) split = g_string_new (NULL);
  g_autofree char *refund = NULL;

  set_error (self, NULL);
  if (self->sale == NULL || n_picked (self) == 0)
    {
      gtk_label_set_text (GTK_LABEL (self->refund_label), "—");
      gtk_label_set_text (GTK_LABEL (self->split_label), _("Choose what comes back"));
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "returns.confirm", FALSE);
      return;
    }
  args = return_args (self, FALSE);
  preview = pos_session_preview (self->session, "sale.return", args, &error);
  if (preview)
    back = pos_refund_parse (preview, &error);
  if (back == NULL)
    {
      g_autofree char *hint = pos_error_dup_hint (error);
      set_error (self, hint);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "returns.confirm", FALSE);
      return;
    }
  refund = pos_money (back->refund_fen);
  gtk_label_set_text (GTK_LABEL (self->refund_label), refund);
  for (guint i = 0; i < back->tenders->len; i++)
    {
      PosTenderAmount *t = g_ptr_array_index (back->tenders, i);
      g_autofree char *a = pos_money (t->amount_fen);

      g_string_append_printf (split, "%s%s %s", split->len ? "\n" : "", pos_tender_label (t->type), a);
    }
  if (back->points_taken > 0)
    g_string_append_printf (split, _("\n%" PRId64 " points taken back"), back->points_taken);
  gtk_label_set_text (GTK_LABEL (self->split_label), split->str);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "returns.confirm", pos_session_can (self->session, "sale.return"));
}

static void
show_sale (PosReturns *self)
{
  GPtrArray *lines = self->sale ? self->sale->lines : NULL;
  GtkWidget *child;
  g_autofree char *title = NULL;

  g_ptr_array_set_size (self->spins, 0);
  while ((child = gtk_widget_get_first_child (self->lines_list)))
    gtk_list_box_remove (GTK_LIST_BOX (self->lines_list), child);
  if (self->sale == NULL)
    {
      gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "empty");
      return;
    }
  {
    g_autofree char *total = pos_money (self->sale->total_fen);
    g_autofree char *at = pos_session_branch_time (self->session, self->sale->at);

    title = g_strdup_printf (_("Receipt %s · %s · %s · total %s"),
                             self->sale->receipt_no ? self->sale->receipt_no : "", at,
                             self->sale->staff_name ? self->sale->staff_name : self->sale->staff, total);
  }
  adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (self->lines_group), title);
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self->lines_group), self->sale->card_no);
  for (guint i = 0; lines && i < lines->len; i++)
    {
      PosSoldLine *l = g_ptr_array_index (lines, i);
      GtkWidget *row = adw_action_row_new ();
      gint64 can = l->returnable_qty;
      GtkWidget *spin = gtk_spin_button_new_with_range (0, MAX (can, 0), 1);
      g_autofree char *amount = pos_money (l->amount_fen);
      g_autofree char *sub = NULL;

      /* Nothing may come back: say why, so the cashier can tell the customer. */
      if (can > 0)
        sub = g_strdup_printf (_("Sold %" PRId64 " for %s · %" PRId64 " may come back"), l->qty, amount, can);
      else if (l->returned_qty >= l->qty)
        sub = g_strdup_printf (_("Sold %" PRId64 " for %s · all of it came back already"), l->qty, amount);
      else if (g_strcmp0 (l->kind, "package") == 0)
        sub = g_strdup_printf (_("Sold %" PRId64 " for %s · none may come back: its uses have been used "
                                 "(a package comes back only with all its uses left)"), l->qty, amount);
      else
        sub = g_strdup_printf (_("Sold %" PRId64 " for %s · none may come back"), l->qty, amount);
      g_autofree char *name = g_markup_escape_text (l->name, -1);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), sub);
      gtk_spin_button_set_value (GTK_SPIN_BUTTON (spin), 0);
      gtk_widget_set_valign (spin, GTK_ALIGN_CENTER);
      gtk_widget_set_sensitive (spin, can > 0);
      g_signal_connect_swapped (spin, "value-changed", G_CALLBACK (update_refund), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), spin);
      gtk_list_box_append (GTK_LIST_BOX (self->lines_list), row);
      g_ptr_array_add (self->spins, spin);
    }
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "sale");
  update_refund (self);
}

void
pos_returns_find (PosReturns *self,
                  const char *receipt_no)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *code = g_strstrip (g_strdup (receipt_no ? receipt_no : ""));
  g_autoptr(JsonObject) shown = NULL;
  PosSaleRecord *sale = NULL;

  gtk_editable_set_text (GTK_EDITABLE (self->receipt_entry), "");
  if (*code == '\0')
    return;
  json_object_set_string_member (args, "receipt_no", code);
  shown = pos_session_run (self->session, "receipt.show", args, &error);
  if (shown)
    sale = pos_sale_record_parse (shown, &error);
  g_clear_pointer (&self->sale, pos_sale_record_free);
  if (sale == NULL)
    {
      g_autofree char *hint = pos_error_dup_hint (error);
      show_sale (self);
      set_error (self, hint);
      gtk_widget_error_bell (GTK_WIDGET (self));
      return;
    }
  if (!g_str_equal (sale->kind, "sale") && sale->lines->len == 0)
    {
      g_autofree char *msg = g_strdup_printf (_("Receipt %s is a %s, not a sale; only sales take returns"),
                                              code, pos_kind_label (sale->kind));
      pos_sale_record_free (sale);
      show_sale (self);
      set_error (self, msg);
      return;
    }
  self->sale = sale;
  show_sale (self);
  /* Everything still returnable is picked; the cashier lowers what stays. */
  for (guint i = 0; i < self->spins->len; i++)
    {
      GtkSpinButton *spin = g_ptr_array_index (self->spins, i);
      double lo, hi;

      gtk_spin_button_get_range (spin, &lo, &hi);
      gtk_spin_button_set_value (spin, hi);
    }
  update_refund (self);
}

static void
return_done (GObject      *source,
             GAsyncResult *res,
             gpointer      user_data)
{
  g_autoptr(PosReturns) self = user_data;
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(PosRefund) back = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *refund = NULL, *msg = NULL;

  r = pos_session_run_finish (POS_SESSION (source), res, &error);
  self->running = FALSE;
  if (r == NULL)
    {
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "returns.confirm",
                                     pos_session_can (self->session, "sale.return"));
      pos_show_error (GTK_WIDGET (self), _("Return Not Made"), error);
      return;
    }
  /* The return is written whatever its answer says. */
  back = pos_refund_parse (r, &error);
  if (back == NULL)
    g_warning ("%s", error->message);
  refund = pos_money (back ? back->refund_fen : 0);
  msg = g_strdup_printf (_("Returned: refund %s"), refund);
  pos_toast (GTK_WIDGET (self), msg);
  pos_printer_print_result (GTK_WIDGET (self), self->session, _("Return Receipt"), r);
  g_clear_pointer (&self->sale, pos_sale_record_free);
  show_sale (self);
  gtk_widget_grab_focus (self->receipt_entry);
}

/* At a branch linked to a server the return is authorized by head office
 * against the sale's returns at every branch: from a worker, never on the
 * UI thread. */
static void
returned_confirmed (gpointer user_data)
{
  PosReturns *self = user_data;
  g_autoptr(JsonObject) args = NULL;

  if (self->running)
    return;
  args = return_args (self, FALSE);
  self->running = TRUE;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "returns.confirm", FALSE);
  pos_session_run_async (self->session, "sale.return", args, NULL, return_done, g_object_ref (self));
}

static void
confirm_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosReturns *self = POS_RETURNS (widget);
  g_autofree char *body = NULL;

  if (self->sale == NULL || n_picked (self) == 0)
    return;
  body = g_strdup_printf (_("%s is paid back as shown. This can't be undone."),
                          gtk_label_get_text (GTK_LABEL (self->refund_label)));
  pos_confirm (widget, _("Confirm Return?"), body, _("_Return"), TRUE, returned_confirmed, self);
}

/* Confirms without asking again (the question was answered elsewhere). */
void
pos_returns_confirm_now (PosReturns *self)
{
  returned_confirmed (self);
}

static void
entry_activated (PosReturns *self)
{
  g_autofree char *text = g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->receipt_entry)));

  pos_returns_find (self, text);
}

/* Another staff member logged in (a manager to confirm the return): the
 * sale on the page stays, what was said to the one before goes. */
static void
login_changed (PosReturns *self)
{
  set_error (self, NULL);
  if (pos_session_is_logged_in (self->session) && self->sale)
    update_refund (self);
}

void
pos_returns_set_session (PosReturns *self,
                         PosSession *session)
{
  if (self->session)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_set_object (&self->session, session);
  if (session)
    g_signal_connect_object (session, "login-changed", G_CALLBACK (login_changed), self, G_CONNECT_SWAPPED);
}

void
pos_returns_shown (PosReturns *self)
{
  set_error (self, NULL);
  if (self->sale)
    update_refund (self);
  if (!pos_session_can (self->session, "sale.return"))
    set_error (self, _("A cashier may look up receipts; a manager confirms the return "
                       "(Switch Cashier, Ctrl+Shift+L)."));
  gtk_widget_grab_focus (self->receipt_entry);
}

const char *
pos_returns_get_error (PosReturns *self)
{
  g_return_val_if_fail (POS_IS_RETURNS (self), NULL);

  return gtk_widget_get_visible (self->error_label) ? gtk_label_get_text (GTK_LABEL (self->error_label)) : NULL;
}

const char *
pos_returns_get_line_note (PosReturns *self,
                           guint       i)
{
  GtkListBoxRow *row;

  g_return_val_if_fail (POS_IS_RETURNS (self), NULL);

  row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->lines_list), (int) i);
  return row && ADW_IS_ACTION_ROW (row) ? adw_action_row_get_subtitle (ADW_ACTION_ROW (row)) : NULL;
}

GtkWidget *
pos_returns_get_entry (PosReturns *self)
{
  return self->receipt_entry;
}

static void
pos_returns_dispose (GObject *object)
{
  PosReturns *self = POS_RETURNS (object);

  g_clear_object (&self->session);
  g_clear_pointer (&self->sale, pos_sale_record_free);
  g_clear_pointer (&self->spins, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), POS_TYPE_RETURNS);
  G_OBJECT_CLASS (pos_returns_parent_class)->dispose (object);
}

static void
pos_returns_class_init (PosReturnsClass *klass)
{
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);

  pos_ensure_resources ();
  G_OBJECT_CLASS (klass)->dispose = pos_returns_dispose;
  gtk_widget_class_set_template_from_resource (wc, "/org/mendian/Pos/pos-returns.ui");
  gtk_widget_class_bind_template_child (wc, PosReturns, receipt_entry);
  gtk_widget_class_bind_template_child (wc, PosReturns, error_label);
  gtk_widget_class_bind_template_child (wc, PosReturns, stack);
  gtk_widget_class_bind_template_child (wc, PosReturns, lines_group);
  gtk_widget_class_bind_template_child (wc, PosReturns, lines_list);
  gtk_widget_class_bind_template_child (wc, PosReturns, refund_label);
  gtk_widget_class_bind_template_child (wc, PosReturns, split_label);
  gtk_widget_class_bind_template_child (wc, PosReturns, confirm_button);
  gtk_widget_class_install_action (wc, "returns.confirm", NULL, confirm_action);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_F12, 0, "returns.confirm", NULL);
}

static void
pos_returns_init (PosReturns *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->spins = g_ptr_array_new ();
  g_signal_connect_swapped (self->receipt_entry, "activate", G_CALLBACK (entry_activated), self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "returns.confirm", FALSE);
}
