/* pos-stock-count.c: the count sheet: stocktake.start, .count (the counts
 * scanned and typed in, saved as often as wanted: the last count of a
 * product wins), .show (what is counted and what not), .finish, .cancel. */
#define G_LOG_DOMAIN "pos-stock-count"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "pos-forms.h"
#include "pos-stock-count.h"
#include "pos-stock-lines.h"
#include "pos-stock-views.h"

struct _PosStockCount
{
  AdwBin         parent_instance;

  PosSession    *session;
  PosCountSheet *sheet;

  GtkWidget     *title_label;
  GtkWidget     *status_label;
  GtkWidget     *start_box;
  GtkWidget     *category_entry;
  GtkWidget     *sheet_box;
  GtkWidget     *lines;
  GtkWidget     *counted_list;
  GtkWidget     *uncounted_list;
};

G_DEFINE_FINAL_TYPE (PosStockCount, pos_stock_count, ADW_TYPE_BIN)

static void
clear (GtkWidget *list)
{
  GtkListBoxRow *row;

  while ((row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 0)))
    gtk_list_box_remove (GTK_LIST_BOX (list), GTK_WIDGET (row));
}

static void
add_row (GtkWidget    *list,
         PosCountLine *l)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *title = g_markup_escape_text (l->name ? l->name : l->sku, -1);
  g_autofree char *sub = l->counted >= 0
    ? g_strdup_printf (_("%s · the books said %" PRId64 " when counted"), l->sku, l->on_hand)
    : g_strdup_printf (_("%s · %" PRId64 " in the books"), l->sku, l->on_hand);
  g_autofree char *qty = l->counted >= 0 ? g_strdup_printf ("%" PRId64, l->counted) : g_strdup ("—");
  GtkWidget *label = gtk_label_new (qty);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), sub);
  gtk_widget_add_css_class (label, "title-4");
  gtk_widget_add_css_class (label, "numeric");
  adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
  gtk_list_box_append (GTK_LIST_BOX (list), row);
}

static void
reload (PosStockCount *self)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(GError) error = NULL;
  gboolean open;

  if (!pos_session_is_logged_in (self->session))
    return;
  g_clear_pointer (&self->sheet, pos_count_sheet_free);
  result = pos_session_run (self->session, "stocktake.show", args, &error);
  if (result)
    self->sheet = pos_count_sheet_parse (result, &error);
  if (self->sheet == NULL)
    {
      g_autofree char *hint = pos_error_dup_hint (error);

      gtk_label_set_text (GTK_LABEL (self->status_label), hint);
      return;
    }
  open = self->sheet->count_id != NULL;
  gtk_widget_set_visible (self->start_box, !open);
  gtk_widget_set_visible (self->sheet_box, open);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "count.save", open);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "count.finish", open);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "count.cancel", open);
  clear (self->counted_list);
  clear (self->uncounted_list);
  if (!open)
    {
      gtk_label_set_text (GTK_LABEL (self->status_label),
                          _("No count is open. Start one: the shop keeps selling, and what is sold or "
                            "received after a product is counted is taken into account at the finish."));
      return;
    }
  {
    g_autofree char *status = g_strdup_printf (_("Count of %s: %u counted, %u not counted yet. "
                                                 "Scan each product and type what is on the shelf."),
                                               self->sheet->category ? self->sheet->category : _("everything"),
                                               self->sheet->counted->len, self->sheet->uncounted->len);
    gtk_label_set_text (GTK_LABEL (self->status_label), status);
  }
  for (guint i = 0; i < self->sheet->counted->len; i++)
    add_row (self->counted_list, g_ptr_array_index (self->sheet->counted, i));
  for (guint i = 0; i < self->sheet->uncounted->len; i++)
    add_row (self->uncounted_list, g_ptr_array_index (self->sheet->uncounted, i));
}

static JsonObject *
run (PosStockCount *self,
     const char    *op,
     JsonObject    *args)
{
  g_autoptr(GError) error = NULL;
  JsonObject *result;

  if (self->sheet && self->sheet->count_id && !json_object_has_member (args, "count_id"))
    json_object_set_string_member (args, "count_id", self->sheet->count_id);
  result = pos_session_run (self->session, op, args, &error);
  if (result == NULL)
    {
      g_autofree char *hint = pos_error_dup_hint (error);

      pos_show_error (GTK_WIDGET (self), _("The count was not changed"), error);
      gtk_label_set_text (GTK_LABEL (self->status_label), hint);
    }
  return result;
}

static void
start_action (GtkWidget *widget, const char *action, GVariant *param)
{
  PosStockCount *self = POS_STOCK_COUNT (widget);
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) result = NULL;
  g_autofree char *category = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->category_entry))));

  if (*category)
    json_object_set_string_member (args, "category", category);
  if ((result = run (self, "stocktake.start", args)) == NULL)
    return;
  pos_stock_lines_clear (POS_STOCK_LINES (self->lines));
  reload (self);
  pos_stock_lines_focus (POS_STOCK_LINES (self->lines));
}

static gboolean
save (PosStockCount *self)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *lines;

  if (pos_stock_lines_count (POS_STOCK_LINES (self->lines)) == 0)
    return TRUE;
  if ((lines = pos_stock_lines_to_json (POS_STOCK_LINES (self->lines), &error)) == NULL)
    return FALSE;
  json_object_set_array_member (args, "lines", lines);
  if ((result = run (self, "stocktake.count", args)) == NULL)
    return FALSE;
  pos_stock_lines_clear (POS_STOCK_LINES (self->lines));
  reload (self);
  return TRUE;
}

static void
save_action (GtkWidget *widget, const char *action, GVariant *param)
{
  PosStockCount *self = POS_STOCK_COUNT (widget);

  if (save (self))
    pos_toast (widget, _("Counts saved"));
}

static void
finish_confirmed (gpointer user_data)
{
  PosStockCount *self = user_data;
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) result = NULL;
  g_autofree char *message = NULL;

  if (!save (self) || (result = run (self, "stocktake.finish", args)) == NULL)
    return;
  message = g_strdup_printf (_("Count finished (%s): %" PRId64 " products set to what was counted"),
                             json_object_get_string_member (result, "doc_no"),
                             json_object_get_int_member (result, "adjusted"));
  pos_toast (GTK_WIDGET (self), message);
  reload (self);
}

static void
finish_action (GtkWidget *widget, const char *action, GVariant *param)
{
  pos_confirm (widget, _("Finish the Count?"),
               _("Each counted product is set to its count, corrected for what was sold or received since. "
                 "Products not counted keep their stock."),
               _("_Finish"), FALSE, finish_confirmed, widget);
}

static void
cancel_confirmed (gpointer user_data)
{
  PosStockCount *self = user_data;
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) result = run (self, "stocktake.cancel", args);

  if (result == NULL)
    return;
  pos_stock_lines_clear (POS_STOCK_LINES (self->lines));
  pos_toast (GTK_WIDGET (self), _("Count cancelled; no stock was changed"));
  reload (self);
}

static void
cancel_action (GtkWidget *widget, const char *action, GVariant *param)
{
  pos_confirm (widget, _("Cancel the Count?"), _("Its counts are dropped and no stock changes."),
               _("Cancel _Count"), TRUE, cancel_confirmed, widget);
}

void
pos_stock_count_set_session (PosStockCount *self,
                             PosSession    *session)
{
  g_set_object (&self->session, session);
  pos_stock_lines_set_session (POS_STOCK_LINES (self->lines), session);
}

void
pos_stock_count_shown (PosStockCount *self)
{
  reload (self);
}

GtkWidget *
pos_stock_count_get_lines (PosStockCount *self)
{
  return self->lines;
}

static void
pos_stock_count_dispose (GObject *object)
{
  PosStockCount *self = POS_STOCK_COUNT (object);

  g_clear_object (&self->session);
  g_clear_pointer (&self->sheet, pos_count_sheet_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), POS_TYPE_STOCK_COUNT);
  G_OBJECT_CLASS (pos_stock_count_parent_class)->dispose (object);
}

static void
pos_stock_count_class_init (PosStockCountClass *klass)
{
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);

  pos_ensure_resources ();
  g_type_ensure (POS_TYPE_STOCK_LINES);
  G_OBJECT_CLASS (klass)->dispose = pos_stock_count_dispose;
  gtk_widget_class_set_template_from_resource (wc, "/org/mendian/Pos/pos-stock-count.ui");
  gtk_widget_class_bind_template_child (wc, PosStockCount, title_label);
  gtk_widget_class_bind_template_child (wc, PosStockCount, status_label);
  gtk_widget_class_bind_template_child (wc, PosStockCount, start_box);
  gtk_widget_class_bind_template_child (wc, PosStockCount, category_entry);
  gtk_widget_class_bind_template_child (wc, PosStockCount, sheet_box);
  gtk_widget_class_bind_template_child (wc, PosStockCount, lines);
  gtk_widget_class_bind_template_child (wc, PosStockCount, counted_list);
  gtk_widget_class_bind_template_child (wc, PosStockCount, uncounted_list);
  gtk_widget_class_install_action (wc, "count.start", NULL, start_action);
  gtk_widget_class_install_action (wc, "count.save", NULL, save_action);
  gtk_widget_class_install_action (wc, "count.finish", NULL, finish_action);
  gtk_widget_class_install_action (wc, "count.cancel", NULL, cancel_action);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_s, GDK_CONTROL_MASK, "count.save", NULL);
}

static void
pos_stock_count_init (PosStockCount *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  pos_stock_lines_set_mode (POS_STOCK_LINES (self->lines), FALSE, 0, "counted");
  gtk_widget_set_visible (self->sheet_box, FALSE);
}
