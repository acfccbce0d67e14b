/* pos-stock-import.c: product.import with "preview" first, then for real;
 * product.import_template saved where the manager chooses. */
#define G_LOG_DOMAIN "pos-stock-import"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <string.h>

#include "pos-forms.h"
#include "pos-stock-import.h"
#include "pos-stock-views.h"

struct _PosStockImport
{
  AdwBin            parent_instance;

  PosSession       *session;
  GBytes           *data;      /* the chosen file */
  char             *name;
  PosImportPreview *preview;

  GtkWidget        *import_button;
  GtkWidget        *status_label;
  GtkWidget        *error_list;
  GtkWidget        *row_list;
};

G_DEFINE_FINAL_TYPE (PosStockImport, pos_stock_import, ADW_TYPE_BIN)

static void
clear (GtkWidget *list)
{
  GtkListBoxRow *row;

  while ((row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 0)))
    gtk_list_box_remove (GTK_LIST_BOX (list), GTK_WIDGET (row));
}

static JsonObject *
import_args (PosStockImport *self,
             gboolean        preview)
{
  JsonObject *args = json_object_new ();
  gsize len = 0;
  const guchar *bytes = g_bytes_get_data (self->data, &len);
  g_autofree char *b64 = g_base64_encode (bytes, len);

  json_object_set_string_member (args, "data_base64", b64);
  json_object_set_boolean_member (args, "preview", preview);
  return args;
}

static void
show_preview (PosStockImport *self)
{
  g_autoptr(JsonObject) args = NULL;
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *status = NULL;
  PosImportPreview *p;

  clear (self->error_list);
  clear (self->row_list);
  gtk_widget_set_visible (self->error_list, FALSE);
  g_clear_pointer (&self->preview, pos_import_preview_free);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "import.run", FALSE);
  if (self->data == NULL)
    return;
  args = import_args (self, TRUE);
  result = pos_session_run (self->session, "product.import", args, &error);
  if (result)
    self->preview = pos_import_preview_parse (result, &error);
  if (self->preview == NULL)
    {
      g_autofree char *hint = pos_error_dup_hint (error);

      gtk_label_set_text (GTK_LABEL (self->status_label), hint);
      return;
    }
  p = self->preview;
  for (guint i = 0; i < p->errors->len; i++)
    {
      PosImportError *e = g_ptr_array_index (p->errors, i);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *title = g_strdup_printf (_("Line %u"), e->line);
      g_autofree char *reason = g_markup_escape_text (e->reason, -1);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), reason);
      gtk_widget_add_css_class (row, "error");
      gtk_list_box_append (GTK_LIST_BOX (self->error_list), row);
    }
  gtk_widget_set_visible (self->error_list, p->errors->len > 0);
  for (guint i = 0; i < p->rows->len; i++)
    {
      PosImportRow *r = g_ptr_array_index (p->rows, i);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *price = pos_money (r->price_fen);
      g_autofree char *title = g_markup_escape_text (r->name, -1);
      g_autofree char *sub = g_strdup_printf (_("Line %u · %s · %s%s%s"), r->line, r->sku,
                                              r->is_new ? _("new") : _("changed"),
                                              r->category ? " · " : "", r->category ? r->category : "");
      g_autofree char *sub_markup = g_markup_escape_text (sub, -1);
      GtkWidget *l = gtk_label_new (price);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), sub_markup);
      gtk_widget_add_css_class (l, "numeric");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), l);
      gtk_list_box_append (GTK_LIST_BOX (self->row_list), row);
    }
  if (p->errors->len > 0)
    status = g_strdup_printf (_("%s (%s): %u bad lines, listed below. Nothing can be imported until the file is "
                                "corrected."), self->name, p->encoding, p->errors->len);
  else
    status = g_strdup_printf (_("%s (%s): %" PRId64 " new and %" PRId64 " changed products, ready to import."),
                              self->name, p->encoding, p->created, p->updated);
  gtk_label_set_text (GTK_LABEL (self->status_label), status);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "import.run", p->errors->len == 0 && p->rows->len > 0);
}

void
pos_stock_import_load (PosStockImport *self,
                       const char     *name,
                       GBytes         *data)
{
  g_return_if_fail (POS_IS_STOCK_IMPORT (self));

  g_clear_pointer (&self->data, g_bytes_unref);
  g_free (self->name);
  self->data = g_bytes_ref (data);
  self->name = g_strdup (name);
  show_preview (self);
}

static void
chosen (GtkNativeDialog *dialog,
        int              response,
        PosStockImport  *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autoptr(GBytes) bytes = NULL;
      g_autoptr(GError) error = NULL;
      g_autofree char *base = g_file_get_basename (file);

      bytes = g_file_load_bytes (file, NULL, NULL, &error);
      if (bytes == NULL)
        pos_show_error (GTK_WIDGET (self), _("The file can't be read"), error);
      else
        pos_stock_import_load (self, base, bytes);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
choose_action (GtkWidget *widget, const char *action, GVariant *param)
{
  GtkWindow *parent = GTK_WINDOW (gtk_widget_get_root (widget));
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (_("Choose the Products File"), parent,
                                                              GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"), _("_Cancel"));
  GtkFileFilter *filter = gtk_file_filter_new ();

  gtk_file_filter_set_name (filter, _("CSV files"));
  gtk_file_filter_add_pattern (filter, "*.csv");
  gtk_file_filter_add_pattern (filter, "*.CSV");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), filter);
  g_object_unref (filter);
  g_signal_connect (dialog, "response", G_CALLBACK (chosen), g_object_ref (widget));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
template_saved (GtkNativeDialog *dialog,
                int              response,
                PosStockImport  *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autoptr(JsonObject) args = json_object_new ();
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonObject) result = pos_session_run (self->session, "product.import_template", args, &error);
      const char *csv = result ? json_object_get_string_member (result, "csv") : NULL;

      if (csv == NULL || !g_file_replace_contents (file, csv, strlen (csv), NULL, FALSE, G_FILE_CREATE_NONE,
                                                   NULL, NULL, &error))
        pos_show_error (GTK_WIDGET (self), _("The template was not saved"), error);
      else
        pos_toast (GTK_WIDGET (self), _("Template saved: fill it in with Excel and save it as CSV"));
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
template_action (GtkWidget *widget, const char *action, GVariant *param)
{
  GtkWindow *parent = GTK_WINDOW (gtk_widget_get_root (widget));
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (_("Save the Import Template"), parent,
                                                              GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));

  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), "products-template.csv");
  g_signal_connect (dialog, "response", G_CALLBACK (template_saved), g_object_ref (widget));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
run_action (GtkWidget *widget, const char *action, GVariant *param)
{
  PosStockImport *self = POS_STOCK_IMPORT (widget);
  g_autoptr(JsonObject) args = NULL;
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *message = NULL;

  if (self->data == NULL)
    return;
  args = import_args (self, FALSE);
  result = pos_session_run (self->session, "product.import", args, &error);
  if (result == NULL)
    {
      pos_show_error (widget, _("Nothing was imported"), error);
      show_preview (self);
      return;
    }
  message = g_strdup_printf (_("%" PRId64 " products imported"), json_object_get_int_member (result, "imported"));
  pos_toast (widget, message);
  gtk_label_set_text (GTK_LABEL (self->status_label), message);
  g_clear_pointer (&self->data, g_bytes_unref);
  gtk_widget_action_set_enabled (widget, "import.run", FALSE);
}

void
pos_stock_import_set_session (PosStockImport *self,
                              PosSession     *session)
{
  g_set_object (&self->session, session);
}

void
pos_stock_import_shown (PosStockImport *self)
{
}

guint
pos_stock_import_n_rows (PosStockImport *self)
{
  return self->preview ? self->preview->rows->len : 0;
}

guint
pos_stock_import_n_errors (PosStockImport *self)
{
  return self->preview ? self->preview->errors->len : 0;
}

static void
pos_stock_import_dispose (GObject *object)
{
  PosStockImport *self = POS_STOCK_IMPORT (object);

  g_clear_object (&self->session);
  g_clear_pointer (&self->data, g_bytes_unref);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->preview, pos_import_preview_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), POS_TYPE_STOCK_IMPORT);
  G_OBJECT_CLASS (pos_stock_import_parent_class)->dispose (object);
}

static void
pos_stock_import_class_init (PosStockImportClass *klass)
{
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);

  pos_ensure_resources ();
  G_OBJECT_CLASS (klass)->dispose = pos_stock_import_dispose;
  gtk_widget_class_set_template_from_resource (wc, "/org/mendian/Pos/pos-stock-import.ui");
  gtk_widget_class_bind_template_child (wc, PosStockImport, import_button);
  gtk_widget_class_bind_template_child (wc, PosStockImport, status_label);
  gtk_widget_class_bind_template_child (wc, PosStockImport, error_list);
  gtk_widget_class_bind_template_child (wc, PosStockImport, row_list);
  gtk_widget_class_install_action (wc, "import.choose", NULL, choose_action);
  gtk_widget_class_install_action (wc, "import.template", NULL, template_action);
  gtk_widget_class_install_action (wc, "import.run", NULL, run_action);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_o, GDK_CONTROL_MASK, "import.choose", NULL);
}

static void
pos_stock_import_init (PosStockImport *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "import.run", FALSE);
}
