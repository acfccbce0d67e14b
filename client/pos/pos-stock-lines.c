/* pos-stock-lines.c: the line editor of the stock documents. Scanning a
 * code looks the product up (product.search, exact) and adds its line or
 * one more of it; each row has a quantity, a cost for a receipt, and a
 * button that takes it off. */
#define G_LOG_DOMAIN "pos-stock-lines"

#include <glib/gi18n.h>

#include "pos-stock-lines.h"
#include "pos-stock-views.h"

typedef struct
{
  char      *sku;
  GtkWidget *row;
  GtkWidget *spin;
  GtkWidget *cost;
} Line;

struct _PosStockLines
{
  AdwBin      parent_instance;

  PosSession *session;
  gboolean    with_cost;
  gint64      min_qty;
  char       *qty_name;
  GPtrArray  *lines;      /* Line */

  GtkWidget  *scan_entry;
  GtkWidget  *error_label;
  GtkWidget  *list;
};

G_DEFINE_FINAL_TYPE (PosStockLines, pos_stock_lines, ADW_TYPE_BIN)

static void
line_free (Line *l)
{
  g_free (l->sku);
  g_free (l);
}

static void
show_error (PosStockLines *self,
            const char    *text)
{
  gtk_label_set_text (GTK_LABEL (self->error_label), text ? text : "");
  gtk_widget_set_visible (self->error_label, text != NULL);
}

static void
remove_clicked (GtkButton     *button,
                PosStockLines *self)
{
  GtkWidget *row = gtk_widget_get_ancestor (GTK_WIDGET (button), GTK_TYPE_LIST_BOX_ROW);

  for (guint i = 0; i < self->lines->len; i++)
    if (((Line *) g_ptr_array_index (self->lines, i))->row == row)
      {
        gtk_list_box_remove (GTK_LIST_BOX (self->list), row);
        g_ptr_array_remove_index (self->lines, i);
        break;
      }
}

void
pos_stock_lines_add (PosStockLines *self,
                     const char    *sku,
                     const char    *name,
                     gint64         qty)
{
  Line *l;
  GtkWidget *remove;
  g_autofree char *title = NULL;

  g_return_if_fail (POS_IS_STOCK_LINES (self));

  for (guint i = 0; i < self->lines->len; i++)
    {
      l = g_ptr_array_index (self->lines, i);
      if (g_str_equal (l->sku, sku))
        {
          GtkSpinButton *spin = GTK_SPIN_BUTTON (l->spin);

          gtk_spin_button_set_value (spin, self->min_qty == 0 ? (double) qty : gtk_spin_button_get_value (spin) + (double) qty);
          return;
        }
    }
  l = g_new0 (Line, 1);
  l->sku = g_strdup (sku);
  l->row = adw_action_row_new ();
  title = g_markup_escape_text (name, -1);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (l->row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (l->row), sku);
  l->spin = gtk_spin_button_new_with_range ((double) self->min_qty, 1000000, 1);
  gtk_spin_button_set_value (GTK_SPIN_BUTTON (l->spin), (double) qty);
  gtk_widget_set_valign (l->spin, GTK_ALIGN_CENTER);
  gtk_accessible_update_property (GTK_ACCESSIBLE (l->spin), GTK_ACCESSIBLE_PROPERTY_LABEL, _("Quantity"), -1);
  if (self->with_cost)
    {
      l->cost = gtk_entry_new ();
      gtk_entry_set_placeholder_text (GTK_ENTRY (l->cost), _("Cost each"));
      gtk_editable_set_width_chars (GTK_EDITABLE (l->cost), 8);
      gtk_widget_set_valign (l->cost, GTK_ALIGN_CENTER);
      adw_action_row_add_suffix (ADW_ACTION_ROW (l->row), l->cost);
    }
  adw_action_row_add_suffix (ADW_ACTION_ROW (l->row), l->spin);
  remove = gtk_button_new_from_icon_name ("user-trash-symbolic");
  gtk_widget_set_tooltip_text (remove, _("Remove the line"));
  gtk_widget_set_valign (remove, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (remove, "flat");
  g_signal_connect (remove, "clicked", G_CALLBACK (remove_clicked), self);
  adw_action_row_add_suffix (ADW_ACTION_ROW (l->row), remove);
  gtk_list_box_append (GTK_LIST_BOX (self->list), l->row);
  g_ptr_array_add (self->lines, l);
}

gboolean
pos_stock_lines_scan (PosStockLines *self,
                      const char    *code,
                      GError       **error)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) found = NULL;
  g_autofree char *sku = NULL;
  g_autofree char *name = NULL;

  g_return_val_if_fail (POS_IS_STOCK_LINES (self) && self->session != NULL, FALSE);

  json_object_set_string_member (args, "query", code);
  json_object_set_boolean_member (args, "exact", TRUE);
  json_object_set_boolean_member (args, "include_inactive", TRUE);
  found = pos_session_run (self->session, "product.search", args, error);
  if (found == NULL || !pos_stock_scan_parse (found, code, &sku, &name, error))
    return FALSE;
  pos_stock_lines_add (self, sku, name, self->min_qty == 0 ? 0 : 1);
  return TRUE;
}

static void
add_action (GtkWidget  *widget,
            const char *action,
            GVariant   *param)
{
  PosStockLines *self = POS_STOCK_LINES (widget);
  g_autofree char *code = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->scan_entry))));
  g_autoptr(GError) error = NULL;

  if (*code == '\0')
    return;
  if (!pos_stock_lines_scan (self, code, &error))
    {
      g_autofree char *hint = pos_error_dup_hint (error);

      show_error (self, hint);
      return;
    }
  show_error (self, NULL);
  gtk_editable_set_text (GTK_EDITABLE (self->scan_entry), "");
}

static void
scan_activate (GtkEntry      *entry,
               PosStockLines *self)
{
  add_action (GTK_WIDGET (self), "lines.add", NULL);
}

guint
pos_stock_lines_count (PosStockLines *self)
{
  g_return_val_if_fail (POS_IS_STOCK_LINES (self), 0);
  return self->lines->len;
}

JsonArray *
pos_stock_lines_to_json (PosStockLines *self,
                         GError       **error)
{
  g_autoptr(JsonArray) out = json_array_new ();

  g_return_val_if_fail (POS_IS_STOCK_LINES (self), NULL);

  for (guint i = 0; i < self->lines->len; i++)
    {
      Line *l = g_ptr_array_index (self->lines, i);
      JsonObject *o = json_object_new ();
      const char *cost = l->cost ? gtk_editable_get_text (GTK_EDITABLE (l->cost)) : "";

      json_array_add_object_element (out, o);
      json_object_set_string_member (o, "sku", l->sku);
      json_object_set_int_member (o, self->qty_name,
                                  (gint64) gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (l->spin)));
      if (*cost)
        {
          gint64 fen = 0;

          if (!pos_parse_money (cost, &fen))
            {
              g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("The cost “%s” is not an amount"), cost);
              return NULL;
            }
          json_object_set_int_member (o, "cost_fen", fen);
        }
    }
  return g_steal_pointer (&out);
}

void
pos_stock_lines_clear (PosStockLines *self)
{
  g_return_if_fail (POS_IS_STOCK_LINES (self));

  for (guint i = 0; i < self->lines->len; i++)
    gtk_list_box_remove (GTK_LIST_BOX (self->list), ((Line *) g_ptr_array_index (self->lines, i))->row);
  g_ptr_array_set_size (self->lines, 0);
  show_error (self, NULL);
}

void
pos_stock_lines_focus (PosStockLines *self)
{
  gtk_widget_grab_focus (self->scan_entry);
}

GtkWidget *
pos_stock_lines_get_scan_entry (PosStockLines *self)
{
  return self->scan_entry;
}

void
pos_stock_lines_set_session (PosStockLines *self,
                             PosSession    *session)
{
  g_set_object (&self->session, session);
}

void
pos_stock_lines_set_mode (PosStockLines *self,
                          gboolean       with_cost,
                          gint64         min_qty,
                          const char    *qty_name)
{
  g_return_if_fail (POS_IS_STOCK_LINES (self) && self->lines->len == 0);

  self->with_cost = with_cost;
  self->min_qty = min_qty;
  g_free (self->qty_name);
  self->qty_name = g_strdup (qty_name);
}

static void
pos_stock_lines_dispose (GObject *object)
{
  PosStockLines *self = POS_STOCK_LINES (object);

  g_clear_object (&self->session);
  gtk_widget_dispose_template (GTK_WIDGET (self), POS_TYPE_STOCK_LINES);
  G_OBJECT_CLASS (pos_stock_lines_parent_class)->dispose (object);
}

static void
pos_stock_lines_finalize (GObject *object)
{
  PosStockLines *self = POS_STOCK_LINES (object);

  g_ptr_array_unref (self->lines);
  g_free (self->qty_name);
  G_OBJECT_CLASS (pos_stock_lines_parent_class)->finalize (object);
}

static void
pos_stock_lines_class_init (PosStockLinesClass *klass)
{
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);

  pos_ensure_resources ();
  G_OBJECT_CLASS (klass)->dispose = pos_stock_lines_dispose;
  G_OBJECT_CLASS (klass)->finalize = pos_stock_lines_finalize;
  gtk_widget_class_set_template_from_resource (wc, "/org/mendian/Pos/pos-stock-lines.ui");
  gtk_widget_class_bind_template_child (wc, PosStockLines, scan_entry);
  gtk_widget_class_bind_template_child (wc, PosStockLines, error_label);
  gtk_widget_class_bind_template_child (wc, PosStockLines, list);
  gtk_widget_class_install_action (wc, "lines.add", NULL, add_action);
}

static void
pos_stock_lines_init (PosStockLines *self)
{
  self->lines = g_ptr_array_new_with_free_func ((GDestroyNotify) line_free);
  self->min_qty = 1;
  self->qty_name = g_strdup ("qty");
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (self->scan_entry, "activate", G_CALLBACK (scan_activate), self);
}
