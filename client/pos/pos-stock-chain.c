/* pos-stock-chain.c: stock.chain, the server's view of every branch's
 * stock and of the transfers in transit, at the HQ terminal. */
#define G_LOG_DOMAIN "pos-stock-chain"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "pos-forms.h"
#include "pos-stock-chain.h"
#include "pos-stock-views.h"

struct _PosStockChain
{
  AdwBin      parent_instance;

  PosSession   *session;
  guint         n_rows;
  GCancellable *cancellable;   /* the question asked, while it is out */

  GtkWidget  *sku_entry;
  GtkWidget  *category_entry;
  GtkWidget  *branch_entry;
  GtkWidget  *status_label;
  GtkWidget  *row_list;
  GtkWidget  *transit_list;
};

G_DEFINE_FINAL_TYPE (PosStockChain, pos_stock_chain, ADW_TYPE_BIN)

static void
clear (GtkWidget *list)
{
  GtkListBoxRow *row;

  while ((row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 0)))
    gtk_list_box_remove (GTK_LIST_BOX (list), GTK_WIDGET (row));
}

static void
filter (JsonObject *args,
        const char *name,
        GtkWidget  *entry)
{
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (entry))));

  if (*text)
    json_object_set_string_member (args, name, text);
}

static void
add_row (GtkWidget  *list,
         const char *title,
         const char *subtitle,
         const char *value)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *t = g_markup_escape_text (title, -1);
  g_autofree char *s = g_markup_escape_text (subtitle, -1);
  GtkWidget *l = gtk_label_new (value);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), t);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), s);
  gtk_widget_add_css_class (l, "title-4");
  gtk_widget_add_css_class (l, "numeric");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), l);
  gtk_list_box_append (GTK_LIST_BOX (list), row);
}

/* The server's answer, on the main thread. */
static void
search_done (GObject      *source,
             GAsyncResult *res,
             gpointer      user_data)
{
  g_autoptr(PosStockChain) self = user_data;
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(GPtrArray) transfers = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *status = NULL;

  result = pos_session_run_finish (POS_SESSION (source), res, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* a newer search, or the page is gone */
  g_clear_object (&self->cancellable);
  if (result && (rows = pos_stock_items_parse (result, "rows", &error)) != NULL)
    transfers = pos_transfers_parse (result, &error);
  if (transfers == NULL)
    {
      g_autofree char *hint = pos_error_dup_hint (error);

      gtk_label_set_text (GTK_LABEL (self->status_label), hint);
      return;
    }
  for (guint i = 0; i < rows->len; i++)
    {
      PosStockItem *it = g_ptr_array_index (rows, i);
      g_autofree char *title = g_strdup_printf ("%s · %s", it->branch, it->name ? it->name : it->sku);
      g_autofree char *sub = g_strdup_printf (_("%s · %" PRId64 " on the way in · %" PRId64 " on the way out"),
                                              it->sku, it->in_transit_in, it->in_transit_out);
      g_autofree char *qty = g_strdup_printf ("%" PRId64, it->on_hand);

      add_row (self->row_list, title, sub, qty);
      self->n_rows++;
    }
  for (guint i = 0; i < transfers->len; i++)
    {
      PosTransfer *t = g_ptr_array_index (transfers, i);
      g_autofree char *title = g_strdup_printf (_("%s: %s → %s"), t->doc_no, t->from, t->to);
      g_autoptr(GString) what = g_string_new (NULL);
      gint64 units = 0;
      g_autofree char *total = NULL;

      for (guint j = 0; j < t->lines->len; j++)
        {
          PosTransferLine *l = g_ptr_array_index (t->lines, j);

          g_string_append_printf (what, "%s%s ×%" PRId64, j ? "、" : "", l->name ? l->name : l->sku, l->sent);
          units += l->sent;
        }
      total = g_strdup_printf ("%" PRId64, units);
      add_row (self->transit_list, title, what->str, total);
    }
  status = g_strdup_printf (_("%u rows, as head office has them from the branches' last sync · "
                              "%u transfers in transit"), rows->len, transfers->len);
  gtk_label_set_text (GTK_LABEL (self->status_label), status);
}

/* Asks the server (stock.chain) off the UI thread: the page says it is
 * asking, and a new search replaces one still out. */
void
pos_stock_chain_search (PosStockChain *self)
{
  g_autoptr(JsonObject) args = json_object_new ();

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  clear (self->row_list);
  clear (self->transit_list);
  self->n_rows = 0;
  filter (args, "sku", self->sku_entry);
  filter (args, "category", self->category_entry);
  filter (args, "branch", self->branch_entry);
  gtk_label_set_text (GTK_LABEL (self->status_label), _("Asking head office…"));
  pos_session_run_async (self->session, "stock.chain", args, self->cancellable, search_done, g_object_ref (self));
}

gboolean
pos_stock_chain_busy (PosStockChain *self)
{
  return self->cancellable != NULL;
}

static void
search_action (GtkWidget *widget, const char *action, GVariant *param)
{
  pos_stock_chain_search (POS_STOCK_CHAIN (widget));
}

void
pos_stock_chain_set_session (PosStockChain *self,
                             PosSession    *session)
{
  g_set_object (&self->session, session);
}

void
pos_stock_chain_shown (PosStockChain *self)
{
  gtk_widget_grab_focus (self->sku_entry);
}

guint
pos_stock_chain_n_rows (PosStockChain *self)
{
  return self->n_rows;
}

static void
pos_stock_chain_dispose (GObject *object)
{
  PosStockChain *self = POS_STOCK_CHAIN (object);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->session);
  gtk_widget_dispose_template (GTK_WIDGET (self), POS_TYPE_STOCK_CHAIN);
  G_OBJECT_CLASS (pos_stock_chain_parent_class)->dispose (object);
}

static void
pos_stock_chain_class_init (PosStockChainClass *klass)
{
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);

  pos_ensure_resources ();
  G_OBJECT_CLASS (klass)->dispose = pos_stock_chain_dispose;
  gtk_widget_class_set_template_from_resource (wc, "/org/mendian/Pos/pos-stock-chain.ui");
  gtk_widget_class_bind_template_child (wc, PosStockChain, sku_entry);
  gtk_widget_class_bind_template_child (wc, PosStockChain, category_entry);
  gtk_widget_class_bind_template_child (wc, PosStockChain, branch_entry);
  gtk_widget_class_bind_template_child (wc, PosStockChain, status_label);
  gtk_widget_class_bind_template_child (wc, PosStockChain, row_list);
  gtk_widget_class_bind_template_child (wc, PosStockChain, transit_list);
  gtk_widget_class_install_action (wc, "chain.search", NULL, search_action);
}

static void
pos_stock_chain_init (PosStockChain *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->sku_entry, "activate", G_CALLBACK (pos_stock_chain_search), self);
  g_signal_connect_swapped (self->category_entry, "activate", G_CALLBACK (pos_stock_chain_search), self);
  g_signal_connect_swapped (self->branch_entry, "activate", G_CALLBACK (pos_stock_chain_search), self);
}
