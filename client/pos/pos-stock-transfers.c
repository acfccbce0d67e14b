/* pos-stock-transfers.c: 待收货 and the transfer list (transfer.list);
 * receiving one asks what arrived of each line (transfer.receive). */
#define G_LOG_DOMAIN "pos-stock-transfers"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "pos-forms.h"
#include "pos-stock-transfers.h"
#include "pos-stock-views.h"

struct _PosStockTransfers
{
  AdwBin      parent_instance;

  PosSession *session;
  GPtrArray  *transfers;    /* PosTransfer */
  guint       n_waiting;

  GtkWidget  *waiting_list;
  GtkWidget  *all_list;
};

G_DEFINE_FINAL_TYPE (PosStockTransfers, pos_stock_transfers, ADW_TYPE_BIN)

static void reload (PosStockTransfers *self);

/* The transfer a Receive button or form is about. */
typedef struct
{
  PosStockTransfers *self;   /* a strong reference */
  guint              index;  /* in self->transfers when made */
  char              *id;
} Receive;

static void
receive_free (gpointer data)
{
  Receive *r = data;

  g_clear_object (&r->self);
  g_free (r->id);
  g_free (r);
}

static PosTransfer *
transfer_of (Receive *r)
{
  PosTransfer *t;

  if (r->self->transfers == NULL || r->index >= r->self->transfers->len)
    return NULL;
  t = g_ptr_array_index (r->self->transfers, r->index);
  return g_str_equal (t->id, r->id) ? t : NULL;
}

static gboolean
receive_accepted (PosForm  *form,
                  gpointer  user_data)
{
  Receive *r = user_data;
  PosTransfer *t = transfer_of (r);
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;
  JsonArray *lines = json_array_new ();

  json_object_set_string_member (args, "transfer_id", r->id);
  json_object_set_array_member (args, "lines", lines);
  for (guint i = 0; t && i < t->lines->len; i++)
    {
      PosTransferLine *l = g_ptr_array_index (t->lines, i);
      g_autofree char *key = g_strdup_printf ("line%u", i);
      const char *text = pos_form_get (form, key);
      gint64 qty;
      JsonObject *o;

      if (text == NULL || !g_ascii_string_to_signed (text, 10, 0, l->sent, &qty, NULL))
        {
          g_autofree char *e = g_strdup_printf (_("Received of %s: a whole number from 0 to %" PRId64),
                                                l->name ? l->name : l->sku, l->sent);
          pos_form_set_error (form, e);
          return FALSE;
        }
      o = json_object_new ();
      json_object_set_string_member (o, "sku", l->sku);
      json_object_set_int_member (o, "qty", qty);
      json_array_add_object_element (lines, o);
    }
  result = pos_session_run (r->self->session, "transfer.receive", args, &error);
  if (result == NULL)
    {
      g_autofree char *hint = pos_error_dup_hint (error);

      pos_form_set_error (form, hint);
      return FALSE;
    }
  if (json_object_get_int_member (result, "shortfall") > 0)
    message = g_strdup_printf (_("Received %s; %" PRId64 " short, recorded on the transfer"),
                               json_object_get_string_member (result, "doc_no"),
                               json_object_get_int_member (result, "shortfall"));
  else
    message = g_strdup_printf (_("Received %s in full"), json_object_get_string_member (result, "doc_no"));
  pos_toast (GTK_WIDGET (r->self), message);
  reload (r->self);
  return TRUE;
}

static void
receive_clicked (GtkButton *button,
                 Receive   *r)
{
  PosTransfer *t = transfer_of (r);
  PosForm *form;
  g_autofree char *body = NULL;
  Receive *copy;

  if (t == NULL)
    return;
  form = pos_form_new (GTK_WIDGET (r->self), _("Receive Transfer"), _("_Receive"));
  body = g_strdup_printf (_("%s from %s: type what actually arrived; what is missing is recorded as a shortfall"),
                          t->doc_no, t->from);
  pos_form_set_body (form, body);
  for (guint i = 0; i < t->lines->len; i++)
    {
      PosTransferLine *l = g_ptr_array_index (t->lines, i);
      g_autofree char *key = g_strdup_printf ("line%u", i);
      g_autofree char *label = g_strdup_printf (_("%s (sent %" PRId64 ")"), l->name ? l->name : l->sku, l->sent);
      g_autofree char *sent = g_strdup_printf ("%" PRId64, l->sent);

      pos_form_add_field (form, key, label, POS_FIELD_NUMBER, sent);
    }
  copy = g_new0 (Receive, 1);
  copy->self = g_object_ref (r->self);
  copy->index = r->index;
  copy->id = g_strdup (r->id);
  pos_form_run (form, receive_accepted, copy, receive_free);
}

static void
receive_closure_free (gpointer data,
                      GClosure *closure)
{
  Receive *r = data;

  r->self = NULL;   /* borrowed while the row lives */
  receive_free (r);
}

static const char *
status_label (const char *status)
{
  if (g_str_equal (status, "in_transit"))
    return _("in transit");
  if (g_str_equal (status, "shortfall"))
    return _("received with a shortfall");
  return _("received");
}

static void
clear (GtkWidget *list)
{
  GtkListBoxRow *row;

  while ((row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 0)))
    gtk_list_box_remove (GTK_LIST_BOX (list), GTK_WIDGET (row));
}

static void
reload (PosStockTransfers *self)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(GError) error = NULL;

  if (!pos_session_is_logged_in (self->session))
    return;
  clear (self->waiting_list);
  clear (self->all_list);
  self->n_waiting = 0;
  g_clear_pointer (&self->transfers, g_ptr_array_unref);
  result = pos_session_run (self->session, "transfer.list", args, &error);
  if (result)
    self->transfers = pos_transfers_parse (result, &error);
  if (self->transfers == NULL)
    {
      g_autofree char *hint = pos_error_dup_hint (error);

      pos_toast (GTK_WIDGET (self), hint);
      return;
    }
  for (guint i = 0; i < self->transfers->len; i++)
    {
      PosTransfer *t = g_ptr_array_index (self->transfers, i);
      gboolean in = g_strcmp0 (t->direction, "in") == 0;
      GtkWidget *row = adw_action_row_new ();
      g_autoptr(GString) what = g_string_new (NULL);
      g_autofree char *title = NULL;
      g_autofree char *sub = NULL;
      g_autofree char *markup = NULL;

      for (guint j = 0; j < t->lines->len; j++)
        {
          PosTransferLine *l = g_ptr_array_index (t->lines, j);

          if (what->len)
            g_string_append (what, "、");
          g_string_append_printf (what, "%s ×%" PRId64, l->name ? l->name : l->sku, l->sent);
          if (l->received >= 0 && l->received != l->sent)
            g_string_append_printf (what, _(" (%" PRId64 " arrived)"), l->received);
        }
      title = in ? g_strdup_printf (_("%s from %s"), t->doc_no, t->from)
                 : g_strdup_printf (_("%s to %s"), t->doc_no, t->to);
      if (t->shortfall > 0)
        sub = g_strdup_printf (_("%s · %s · %" PRId64 " short"), status_label (t->status), what->str, t->shortfall);
      else
        sub = g_strdup_printf ("%s · %s", status_label (t->status), what->str);
      markup = g_markup_escape_text (title, -1);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), markup);
      g_free (markup);
      markup = g_markup_escape_text (sub, -1);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), markup);
      if (in && g_str_equal (t->status, "in_transit"))
        {
          GtkWidget *b = gtk_button_new_with_mnemonic (_("_Receive…"));
          Receive *r = g_new0 (Receive, 1);

          r->self = self;
          r->index = i;
          r->id = g_strdup (t->id);
          gtk_widget_set_valign (b, GTK_ALIGN_CENTER);
          gtk_widget_add_css_class (b, "suggested-action");
          g_signal_connect_data (b, "clicked", G_CALLBACK (receive_clicked), r, receive_closure_free, 0);
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), b);
          gtk_list_box_append (GTK_LIST_BOX (self->waiting_list), row);
          self->n_waiting++;
        }
      else
        gtk_list_box_append (GTK_LIST_BOX (self->all_list), row);
    }
}

void
pos_stock_transfers_set_session (PosStockTransfers *self,
                                 PosSession        *session)
{
  g_set_object (&self->session, session);
}

void
pos_stock_transfers_shown (PosStockTransfers *self)
{
  reload (self);
}

guint
pos_stock_transfers_n_waiting (PosStockTransfers *self)
{
  return self->n_waiting;
}

static void
pos_stock_transfers_dispose (GObject *object)
{
  PosStockTransfers *self = POS_STOCK_TRANSFERS (object);

  g_clear_object (&self->session);
  g_clear_pointer (&self->transfers, g_ptr_array_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), POS_TYPE_STOCK_TRANSFERS);
  G_OBJECT_CLASS (pos_stock_transfers_parent_class)->dispose (object);
}

static void
pos_stock_transfers_class_init (PosStockTransfersClass *klass)
{
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);

  pos_ensure_resources ();
  G_OBJECT_CLASS (klass)->dispose = pos_stock_transfers_dispose;
  gtk_widget_class_set_template_from_resource (wc, "/org/mendian/Pos/pos-stock-transfers.ui");
  gtk_widget_class_bind_template_child (wc, PosStockTransfers, waiting_list);
  gtk_widget_class_bind_template_child (wc, PosStockTransfers, all_list);
}

static void
pos_stock_transfers_init (PosStockTransfers *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
