/* pos-member-import.c: the member import dialog (pos-member-import.h):
 * member.import with preview: true for the lines it would issue and every
 * bad line (named by its line in the file), then, confirmed, for real. The
 * rules (manager only, all or nothing) are common/'s (mdn-member-import.c). */
#define G_LOG_DOMAIN "pos-member-import"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "pos-forms.h"
#include "pos-member-import.h"

struct _PosMemberImport
{
  AdwWindow   parent_instance;

  PosSession *session;
  GBytes     *data;      /* the chosen file */
  char       *name;
  char       *status;
  guint       n_rows;
  guint       n_errors;

  GtkWidget  *toasts;
  GtkWidget  *import_button;
  GtkWidget  *status_label;
  GtkWidget  *error_list;
  GtkWidget  *row_list;
};

G_DEFINE_FINAL_TYPE (PosMemberImport, pos_member_import, ADW_TYPE_WINDOW)

static void
clear (GtkWidget *list)
{
  GtkListBoxRow *row;

  while ((row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (list), 0)))
    gtk_list_box_remove (GTK_LIST_BOX (list), GTK_WIDGET (row));
}

static void
set_status (PosMemberImport *self,
            const char      *text)
{
  g_free (self->status);
  self->status = g_strdup (text);
  gtk_label_set_text (GTK_LABEL (self->status_label), text);
}

static JsonObject *
import_args (PosMemberImport *self,
             gboolean         preview)
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
add_row (GtkWidget  *list,
         const char *title,
         const char *subtitle,
         const char *suffix,
         gboolean    error)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *t = g_markup_escape_text (title, -1);
  g_autofree char *s = g_markup_escape_text (subtitle, -1);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), t);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), s);
  if (suffix)
    {
      GtkWidget *l = gtk_label_new (suffix);

      gtk_widget_add_css_class (l, "numeric");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), l);
    }
  if (error)
    gtk_widget_add_css_class (row, "error");
  gtk_list_box_append (GTK_LIST_BOX (list), row);
}

static void
show_preview (PosMemberImport *self)
{
  g_autoptr(JsonObject) args = NULL;
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *status = NULL;
  JsonArray *errors, *rows;
  gint64 members, problems;

  clear (self->error_list);
  clear (self->row_list);
  gtk_widget_set_visible (self->error_list, FALSE);
  gtk_widget_set_visible (self->row_list, FALSE);
  self->n_rows = self->n_errors = 0;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "import.run", FALSE);
  if (self->data == NULL)
    return;
  args = import_args (self, TRUE);
  result = pos_session_run (self->session, "member.import", args, &error);
  if (result == NULL)
    {
      g_autofree char *hint = pos_error_dup_hint (error);

      set_status (self, hint);
      return;
    }
  errors = json_object_get_array_member (result, "errors");
  rows = json_object_get_array_member (result, "rows");
  members = json_object_get_int_member_with_default (result, "members", 0);
  problems = json_object_get_int_member_with_default (result, "problems", 0);
  for (guint i = 0; errors && i < json_array_get_length (errors); i++)
    {
      JsonObject *e = json_array_get_object_element (errors, i);
      g_autofree char *title = g_strdup_printf (_("Line %u"), (guint) json_object_get_int_member (e, "line"));

      add_row (self->error_list, title, json_object_get_string_member_with_default (e, "reason", ""), NULL, TRUE);
      self->n_errors++;
    }
  for (guint i = 0; problems == 0 && rows && i < json_array_get_length (rows); i++)
    {
      JsonObject *r = json_array_get_object_element (rows, i);
      g_autofree char *principal = pos_money (json_object_get_int_member (r, "principal_fen"));
      g_autofree char *bonus = pos_money (json_object_get_int_member (r, "bonus_fen"));
      g_autofree char *money = g_strdup_printf (_("%s + %s bonus · %" PRId64 " points"), principal, bonus,
                                                json_object_get_int_member (r, "points"));
      const char *level = json_object_get_string_member_with_default (r, "level", NULL);
      const char *old = json_object_get_string_member_with_default (r, "old_card_no", NULL);
      g_autofree char *sub = g_strdup_printf (_("Line %u · %s%s%s%s%s"), (guint) json_object_get_int_member (r, "line"),
                                              json_object_get_string_member_with_default (r, "phone", ""),
                                              level ? " · " : "", level ? level : "",
                                              old ? _(" · old card ") : "", old ? old : "");

      add_row (self->row_list, json_object_get_string_member_with_default (r, "name", ""), sub, money, FALSE);
      self->n_rows++;
    }
  gtk_widget_set_visible (self->error_list, self->n_errors > 0);
  gtk_widget_set_visible (self->row_list, self->n_rows > 0);
  if (problems > 0)
    status = g_strdup_printf (_("%s (%s): %" PRId64 " bad lines, listed below by their line in the file. Nothing "
                                "can be imported until the file is corrected."),
                              self->name, json_object_get_string_member_with_default (result, "encoding", ""), problems);
  else
    {
      g_autofree char *principal = pos_money (json_object_get_int_member (result, "principal_fen"));
      g_autofree char *bonus = pos_money (json_object_get_int_member (result, "bonus_fen"));

      status = g_strdup_printf (_("%s (%s): %" PRId64 " members, opening balances %s and %s bonus, %" PRId64
                                  " points: ready to import."),
                                self->name, json_object_get_string_member_with_default (result, "encoding", ""),
                                members, principal, bonus, json_object_get_int_member (result, "points"));
    }
  set_status (self, status);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "import.run", problems == 0 && members > 0);
}

void
pos_member_import_load (PosMemberImport *self,
                        const char      *name,
                        GBytes          *data)
{
  g_return_if_fail (POS_IS_MEMBER_IMPORT (self));

  g_clear_pointer (&self->data, g_bytes_unref);
  g_free (self->name);
  self->data = g_bytes_ref (data);
  self->name = g_strdup (name);
  show_preview (self);
}

static void
chosen (GtkNativeDialog *dialog,
        int              response,
        PosMemberImport *self)
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
        pos_member_import_load (self, base, bytes);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
choose_action (GtkWidget *widget, const char *action, GVariant *param)
{
  GtkFileChooserNative *dialog = gtk_file_chooser_native_new (_("Choose the Members File"), GTK_WINDOW (widget),
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

gboolean
pos_member_import_run (PosMemberImport *self,
                       GError         **error)
{
  g_autoptr(JsonObject) args = NULL;
  g_autoptr(JsonObject) result = NULL;
  g_autofree char *message = NULL;

  g_return_val_if_fail (POS_IS_MEMBER_IMPORT (self), FALSE);

  if (self->data == NULL)
    return FALSE;
  args = import_args (self, FALSE);
  result = pos_session_run (self->session, "member.import", args, error);
  if (result == NULL)
    {
      show_preview (self);
      return FALSE;
    }
  message = g_strdup_printf (_("%" PRId64 " members imported from %s"),
                             json_object_get_int_member (result, "members"), self->name);
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (self->toasts), adw_toast_new (message));
  set_status (self, message);
  g_clear_pointer (&self->data, g_bytes_unref);
  clear (self->row_list);
  gtk_widget_set_visible (self->row_list, FALSE);
  self->n_rows = 0;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "import.run", FALSE);
  return TRUE;
}

static void
confirmed (AdwMessageDialog *dialog,
           const char       *response,
           PosMemberImport  *self)
{
  g_autoptr(GError) error = NULL;

  if (g_str_equal (response, "import") && !pos_member_import_run (self, &error))
    pos_show_error (GTK_WIDGET (self), _("Nothing was imported"), error);
  g_object_unref (self);
}

static void
run_action (GtkWidget *widget, const char *action, GVariant *param)
{
  PosMemberImport *self = POS_MEMBER_IMPORT (widget);
  g_autofree char *body = g_strdup_printf (_("Issue a card to each of the %u members of %s, with their opening "
                                             "balances? This can't be undone as a whole."), self->n_rows, self->name);
  GtkWidget *dialog = adw_message_dialog_new (GTK_WINDOW (widget), _("Import these members?"), body);

  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "import", _("_Import"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "import", ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (confirmed), g_object_ref (self));
  gtk_window_present (GTK_WINDOW (dialog));
}

PosMemberImport *
pos_member_import_new (GtkWidget  *parent,
                       PosSession *session)
{
  PosMemberImport *self = g_object_new (POS_TYPE_MEMBER_IMPORT, NULL);
  GtkRoot *root = parent ? gtk_widget_get_root (parent) : NULL;

  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (self), GTK_WINDOW (root));
  self->session = g_object_ref (session);
  return self;
}

guint
pos_member_import_n_rows (PosMemberImport *self)
{
  return self->n_rows;
}

guint
pos_member_import_n_errors (PosMemberImport *self)
{
  return self->n_errors;
}

const char *
pos_member_import_get_status (PosMemberImport *self)
{
  return self->status;
}

static void
pos_member_import_dispose (GObject *object)
{
  PosMemberImport *self = POS_MEMBER_IMPORT (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), POS_TYPE_MEMBER_IMPORT);
  g_clear_object (&self->session);
  g_clear_pointer (&self->data, g_bytes_unref);
  g_clear_pointer (&self->name, g_free);
  g_clear_pointer (&self->status, g_free);
  G_OBJECT_CLASS (pos_member_import_parent_class)->dispose (object);
}

static void
pos_member_import_class_init (PosMemberImportClass *klass)
{
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = pos_member_import_dispose;
  gtk_widget_class_set_template_from_resource (wc, "/org/mendian/Pos/pos-member-import.ui");
  gtk_widget_class_bind_template_child (wc, PosMemberImport, toasts);
  gtk_widget_class_bind_template_child (wc, PosMemberImport, import_button);
  gtk_widget_class_bind_template_child (wc, PosMemberImport, status_label);
  gtk_widget_class_bind_template_child (wc, PosMemberImport, error_list);
  gtk_widget_class_bind_template_child (wc, PosMemberImport, row_list);
  gtk_widget_class_install_action (wc, "import.choose", NULL, choose_action);
  gtk_widget_class_install_action (wc, "import.run", NULL, run_action);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_o, GDK_CONTROL_MASK, "import.choose", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
pos_member_import_init (PosMemberImport *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "import.run", FALSE);
}
