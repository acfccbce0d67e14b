/* pos-forms.c */
#define G_LOG_DOMAIN "pos-forms"

#include <glib/gi18n.h>
#include <string.h>

#include "pos-forms.h"
#include "pos-session.h"
#include "pos-window.h"

struct _PosForm
{
  AdwWindow      parent_instance;
  GtkWidget     *accept_button;
  GtkWidget     *cancel_button;
  GtkWidget     *content;
  GtkWidget     *body_label;
  GtkWidget     *hint_label;
  GtkWidget     *error_label;
  PosBusyLine    busy_line;
  GtkWidget     *group;
  GHashTable    *fields;     /* key → row */
  GtkWidget     *first;
  PosFormAccept  accept;
  gpointer       user_data;
  GDestroyNotify destroy;
  gboolean       busy;
  GCancellable  *cancellable;
};

G_DEFINE_FINAL_TYPE (PosForm, pos_form, ADW_TYPE_WINDOW)

static void
refuse_while_busy (PosForm *self)
{
  gtk_label_set_text (GTK_LABEL (self->busy_line.label),
                      _("Checking with head office… This can't be cancelled now; wait for the outcome."));
  gtk_widget_error_bell (GTK_WIDGET (self));
}

static void
form_accept_action (GtkWidget *widget, const char *name, GVariant *param)
{
  pos_form_accept (POS_FORM (widget));
}

static void
form_cancel_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosForm *self = POS_FORM (widget);

  if (self->busy)
    refuse_while_busy (self);
  else
    gtk_window_close (GTK_WINDOW (widget));
}

static gboolean
close_request (PosForm *self)
{
  if (self->busy)
    {
      refuse_while_busy (self);
      return TRUE;
    }
  return FALSE;
}

static void
pos_form_dispose (GObject *object)
{
  PosForm *self = POS_FORM (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  pos_busy_line_clear (&self->busy_line);
  if (self->destroy)
    g_clear_pointer (&self->user_data, self->destroy);
  g_clear_pointer (&self->fields, g_hash_table_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), POS_TYPE_FORM);
  G_OBJECT_CLASS (pos_form_parent_class)->dispose (object);
}

static void
pos_form_class_init (PosFormClass *klass)
{
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);

  pos_ensure_resources ();
  G_OBJECT_CLASS (klass)->dispose = pos_form_dispose;
  gtk_widget_class_set_template_from_resource (wc, "/org/mendian/Pos/pos-form.ui");
  gtk_widget_class_bind_template_child (wc, PosForm, accept_button);
  gtk_widget_class_bind_template_child (wc, PosForm, cancel_button);
  gtk_widget_class_bind_template_child (wc, PosForm, content);
  gtk_widget_class_bind_template_child (wc, PosForm, body_label);
  gtk_widget_class_bind_template_child (wc, PosForm, hint_label);
  gtk_widget_class_bind_template_child (wc, PosForm, error_label);
  gtk_widget_class_bind_template_child_full (wc, "busy_box", FALSE,
                                             G_STRUCT_OFFSET (PosForm, busy_line.box));
  gtk_widget_class_bind_template_child_full (wc, "spinner", FALSE,
                                             G_STRUCT_OFFSET (PosForm, busy_line.spinner));
  gtk_widget_class_bind_template_child_full (wc, "busy_label", FALSE,
                                             G_STRUCT_OFFSET (PosForm, busy_line.label));
  gtk_widget_class_bind_template_child (wc, PosForm, group);
  gtk_widget_class_install_action (wc, "form.accept", NULL, form_accept_action);
  gtk_widget_class_install_action (wc, "form.cancel", NULL, form_cancel_action);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_Escape, 0, "form.cancel", NULL);
}

static void
pos_form_init (PosForm *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->fields = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->cancellable = g_cancellable_new ();
  g_signal_connect (self, "close-request", G_CALLBACK (close_request), NULL);
}

PosForm *
pos_form_new (GtkWidget  *parent,
              const char *title,
              const char *accept_label)
{
  PosForm *self = g_object_new (POS_TYPE_FORM, "title", title, NULL);
  GtkRoot *root = parent ? gtk_widget_get_root (parent) : NULL;

  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (self), GTK_WINDOW (root));
  gtk_button_set_label (GTK_BUTTON (self->accept_button), accept_label);
  return self;
}

void
pos_form_set_body (PosForm    *self,
                   const char *text)
{
  gtk_label_set_text (GTK_LABEL (self->body_label), text);
  gtk_widget_set_visible (self->body_label, text && *text);
}

void
pos_form_set_hint (PosForm    *self,
                   const char *markup)
{
  gtk_label_set_markup (GTK_LABEL (self->hint_label), markup ? markup : "");
  gtk_widget_set_visible (self->hint_label, markup && *markup);
}

void
pos_form_set_error (PosForm    *self,
                    const char *text)
{
  gtk_label_set_text (GTK_LABEL (self->error_label), text ? text : "");
  gtk_widget_set_visible (self->error_label, text && *text);
  if (text && *text)
    gtk_widget_error_bell (GTK_WIDGET (self));
}

void
pos_form_set_info_only (PosForm *self)
{
  g_return_if_fail (POS_IS_FORM (self));

  gtk_widget_set_visible (self->cancel_button, FALSE);
}

void
pos_form_set_destructive (PosForm  *self,
                          gboolean  destructive)
{
  if (destructive)
    {
      gtk_widget_remove_css_class (self->accept_button, "suggested-action");
      gtk_widget_add_css_class (self->accept_button, "destructive-action");
    }
}

static void
row_activated (AdwEntryRow *row,
               PosForm     *self)
{
  pos_form_accept (self);
}

/* Tab goes from field to field: the "show password" button of a PIN row
 * takes no focus (a cashier tabbing on from the PIN and typing the next
 * field's digits lost them to it). It still works with the mouse. */
static void
skip_buttons_on_tab (GtkWidget *widget)
{
  for (GtkWidget *c = gtk_widget_get_first_child (widget); c; c = gtk_widget_get_next_sibling (c))
    {
      if (GTK_IS_BUTTON (c) || GTK_IS_TOGGLE_BUTTON (c))
        {
          gtk_widget_set_focusable (c, FALSE);
          gtk_widget_set_focus_on_click (c, FALSE);
        }
      skip_buttons_on_tab (c);
    }
}

GtkWidget *
pos_form_add_field (PosForm      *self,
                    const char   *key,
                    const char   *label,
                    PosFieldKind  kind,
                    const char   *initial)
{
  GtkWidget *row;

  if (kind == POS_FIELD_PASSWORD)
    row = adw_password_entry_row_new ();
  else
    row = adw_entry_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), label);
  switch (kind)
    {
    case POS_FIELD_MONEY:
    case POS_FIELD_NUMBER:
      adw_entry_row_set_input_purpose (ADW_ENTRY_ROW (row), GTK_INPUT_PURPOSE_NUMBER);
      break;
    case POS_FIELD_PASSWORD:
      adw_entry_row_set_input_purpose (ADW_ENTRY_ROW (row), GTK_INPUT_PURPOSE_PIN);
      break;
    case POS_FIELD_DATE:
    case POS_FIELD_TEXT:
    default:
      break;
    }
  if (kind == POS_FIELD_PASSWORD)
    skip_buttons_on_tab (row);
  if (initial)
    gtk_editable_set_text (GTK_EDITABLE (row), initial);
  g_signal_connect (row, "entry-activated", G_CALLBACK (row_activated), self);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self->group), row);
  g_hash_table_insert (self->fields, g_strdup (key), row);
  if (self->first == NULL)
    self->first = row;
  return row;
}

GtkWidget *
pos_form_add_choice (PosForm           *self,
                     const char        *key,
                     const char        *label,
                     const char *const *ids,
                     const char *const *labels,
                     guint              selected)
{
  GtkWidget *row = adw_combo_row_new ();
  g_autoptr(GtkStringList) model = gtk_string_list_new ((const char *const *) labels);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), label);
  adw_combo_row_set_model (ADW_COMBO_ROW (row), G_LIST_MODEL (model));
  adw_combo_row_set_selected (ADW_COMBO_ROW (row), selected);
  g_object_set_data_full (G_OBJECT (row), "ids", g_strdupv ((char **) ids), (GDestroyNotify) g_strfreev);
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (self->group), row);
  g_hash_table_insert (self->fields, g_strdup (key), row);
  if (self->first == NULL)
    self->first = row;
  return row;
}

void
pos_form_add_widget (PosForm   *self,
                     GtkWidget *widget)
{
  gtk_box_insert_child_after (GTK_BOX (self->content), widget, self->group);
}

const char *
pos_form_get (PosForm    *self,
              const char *key)
{
  GtkWidget *row = g_hash_table_lookup (self->fields, key);

  g_return_val_if_fail (row != NULL, NULL);
  if (ADW_IS_COMBO_ROW (row))
    {
      char **ids = g_object_get_data (G_OBJECT (row), "ids");
      guint i = adw_combo_row_get_selected (ADW_COMBO_ROW (row));

      return ids && i < g_strv_length (ids) ? ids[i] : NULL;
    }
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

const char *
pos_form_get_label (PosForm    *self,
                    const char *key)
{
  GtkWidget *row = g_hash_table_lookup (self->fields, key);
  GListModel *model;
  guint i;

  g_return_val_if_fail (row != NULL && ADW_IS_COMBO_ROW (row), NULL);
  model = adw_combo_row_get_model (ADW_COMBO_ROW (row));
  i = adw_combo_row_get_selected (ADW_COMBO_ROW (row));
  return i < g_list_model_get_n_items (model) ? gtk_string_list_get_string (GTK_STRING_LIST (model), i) : NULL;
}

gboolean
pos_staff_choices (PosSession  *session,
                   const char  *current,
                   char      ***ids_out,
                   char      ***labels_out,
                   guint       *selected_out,
                   GError     **error)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  JsonArray *staff;
  guint selected = 0;

  g_return_val_if_fail (session != NULL && ids_out != NULL && labels_out != NULL, FALSE);

  result = pos_session_run (session, "sale.staff", args, error);
  if (result == NULL)
    return FALSE;
  g_ptr_array_add (ids, g_strdup (""));
  g_ptr_array_add (labels, g_strdup_printf (_("The cashier (%s)"), pos_session_get_staff_name (session)));
  staff = json_object_get_array_member (result, "staff");
  for (guint i = 0; staff && i < json_array_get_length (staff); i++)
    {
      JsonObject *o = json_array_get_object_element (staff, i);
      const char *code = json_object_get_string_member_with_default (o, "code", NULL);
      const char *name = json_object_get_string_member_with_default (o, "name", NULL);

      if (code == NULL)
        continue;
      if (g_strcmp0 (code, current) == 0)
        selected = ids->len;
      g_ptr_array_add (ids, g_strdup (code));
      g_ptr_array_add (labels, g_strdup_printf ("%s (%s)", name ? name : code, code));
    }
  g_ptr_array_add (ids, NULL);
  g_ptr_array_add (labels, NULL);
  *ids_out = (char **) g_ptr_array_steal (ids, NULL);
  *labels_out = (char **) g_ptr_array_steal (labels, NULL);
  if (selected_out)
    *selected_out = selected;
  return TRUE;
}

gboolean
pos_form_add_staff_choice (PosForm     *self,
                           PosSession  *session,
                           const char  *key,
                           const char  *current,
                           GError     **error)
{
  g_auto(GStrv) ids = NULL;
  g_auto(GStrv) labels = NULL;
  guint selected = 0;

  g_return_val_if_fail (POS_IS_FORM (self) && session != NULL && key != NULL, FALSE);

  if (!pos_staff_choices (session, current, &ids, &labels, &selected, error))
    return FALSE;
  pos_form_add_choice (self, key, _("Who served"), (const char *const *) ids,
                       (const char *const *) labels, selected);
  return TRUE;
}

/* FALSE (with the error shown) when the field is not an amount. */
gboolean
pos_form_get_money (PosForm    *self,
                    const char *key,
                    gint64     *out_fen)
{
  const char *text = pos_form_get (self, key);

  if (!pos_parse_money (text, out_fen))
    {
      g_autofree char *msg = g_strdup_printf (_("“%s” is not an amount; type yuan like 100 or 12.50"), text);
      pos_form_set_error (self, msg);
      return FALSE;
    }
  return TRUE;
}

GtkWidget *
pos_form_get_widget (PosForm    *self,
                     const char *key)
{
  return g_hash_table_lookup (self->fields, key);
}

const char *
pos_form_get_hint (PosForm *self)
{
  return gtk_label_get_text (GTK_LABEL (self->hint_label));
}

void
pos_form_accept (PosForm *self)
{
  if (self->busy)
    return;
  g_object_ref (self);
  if (self->accept == NULL || self->accept (self, self->user_data))
    gtk_window_close (GTK_WINDOW (self));
  g_object_unref (self);
}

void
pos_form_run (PosForm        *self,
              PosFormAccept   accept,
              gpointer        user_data,
              GDestroyNotify  destroy)
{
  self->accept = accept;
  self->user_data = user_data;
  self->destroy = destroy;
  gtk_widget_set_visible (self->group, self->first != NULL);
  gtk_window_present (GTK_WINDOW (self));
  if (self->first)
    gtk_widget_grab_focus (self->first);
  else
    gtk_widget_grab_focus (self->accept_button);
}

/* Operations ------------------------------------------------------------ */

#define BUSY_DELAY_MS 250

static gboolean
show_busy_line (gpointer user_data)
{
  PosBusyLine *line = user_data;

  line->delay_id = 0;
  gtk_widget_set_visible (line->box, TRUE);
  gtk_spinner_start (GTK_SPINNER (line->spinner));
  return G_SOURCE_REMOVE;
}

void
pos_busy_line_set (PosBusyLine *line,
                   gboolean     busy,
                   gboolean     waiting)
{
  g_return_if_fail (line != NULL && GTK_IS_LABEL (line->label));

  gtk_label_set_text (GTK_LABEL (line->label), _("Checking with head office…"));
  /* The spinner only once it is worth it: a spend that takes nothing
     from a card never asks the server, and a flash would only distract. */
  g_clear_handle_id (&line->delay_id, g_source_remove);
  gtk_widget_set_visible (line->box, FALSE);
  gtk_spinner_stop (GTK_SPINNER (line->spinner));
  if (busy && waiting)
    line->delay_id = g_timeout_add (BUSY_DELAY_MS, show_busy_line, line);
}

const char *
pos_busy_line_get_text (PosBusyLine *line)
{
  g_return_val_if_fail (line != NULL, NULL);

  return gtk_widget_get_visible (line->box) ? gtk_label_get_text (GTK_LABEL (line->label)) : NULL;
}

void
pos_busy_line_clear (PosBusyLine *line)
{
  g_return_if_fail (line != NULL);

  g_clear_handle_id (&line->delay_id, g_source_remove);
}

static void
set_busy (PosForm  *self,
          gboolean  busy,
          gboolean  waiting)
{
  self->busy = busy;
  pos_busy_line_set (&self->busy_line, busy, waiting);
  if (busy)
    {
      /* Let go of the entry before it goes insensitive; the keys still
         reach the form (Esc says why it can't cancel now). */
      gtk_window_set_focus (GTK_WINDOW (self), NULL);
      pos_form_set_error (self, NULL);
    }
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "form.accept", !busy);
  gtk_widget_set_sensitive (self->cancel_button, !busy);
  gtk_widget_set_sensitive (self->group, !busy);
  if (!busy && self->first)
    gtk_widget_grab_focus (self->first);
}

typedef struct
{
  PosForm       *form;
  PosFormDone    done;
  gpointer       user_data;
  GDestroyNotify destroy;
} OpData;

static void
op_data_free (OpData *d)
{
  if (d->destroy)
    d->destroy (d->user_data);
  g_object_unref (d->form);
  g_free (d);
}

static void
op_done (GObject      *source,
         GAsyncResult *res,
         gpointer      user_data)
{
  OpData *d = user_data;
  PosForm *self = d->form;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) result = pos_session_run_finish (POS_SESSION (source), res, &error);

  /* The form was destroyed meanwhile: nothing left to show. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      op_data_free (d);
      return;
    }
  set_busy (self, FALSE, FALSE);
  if (result == NULL)
    {
      g_autofree char *hint = pos_error_dup_hint (error);

      pos_form_set_error (self, hint);
    }
  else
    {
      if (d->done)
        d->done (self, result, d->user_data);
      pos_toast_offline (GTK_WIDGET (self), result);
      gtk_window_close (GTK_WINDOW (self));
    }
  op_data_free (d);
}

void
pos_form_run_op (PosForm        *self,
                 PosSession     *session,
                 const char     *op,
                 JsonObject     *args,
                 PosFormDone     done,
                 gpointer        user_data,
                 GDestroyNotify  destroy)
{
  OpData *d;

  g_return_if_fail (POS_IS_FORM (self));
  g_return_if_fail (POS_IS_SESSION (session));

  d = g_new0 (OpData, 1);
  d->form = g_object_ref (self);
  d->done = done;
  d->user_data = user_data;
  d->destroy = destroy;
  set_busy (self, TRUE, pos_session_op_may_wait (session, op));
  pos_session_run_async (session, op, args, self->cancellable, op_done, d);
}

gboolean
pos_form_is_busy (PosForm *self)
{
  return self->busy;
}

const char *
pos_form_get_busy (PosForm *self)
{
  return self->busy ? pos_busy_line_get_text (&self->busy_line) : NULL;
}

const char *
pos_form_get_error (PosForm *self)
{
  return gtk_widget_get_visible (self->error_label)
         ? gtk_label_get_text (GTK_LABEL (self->error_label)) : NULL;
}

/* PIN pad ----------------------------------------------------------------- */

static void
pin_key_clicked (GtkButton *button,
                 GtkEditable *entry)
{
  const char *key = g_object_get_data (G_OBJECT (button), "key");
  g_autofree char *text = NULL;

  if (g_str_equal (key, "C"))
    text = g_strdup ("");
  else if (g_str_equal (key, "<"))
    {
      const char *cur = gtk_editable_get_text (entry);
      text = g_strndup (cur, *cur ? strlen (cur) - 1 : 0);
    }
  else
    text = g_strconcat (gtk_editable_get_text (entry), key, NULL);
  gtk_editable_set_text (entry, text);
  gtk_editable_set_position (entry, -1);
}

GtkWidget *
pos_pin_pad_new (GtkEditable *entry)
{
  static const char *const keys[] = { "1", "2", "3", "4", "5", "6", "7", "8", "9", "C", "0", "<" };
  GtkWidget *grid = gtk_grid_new ();

  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  gtk_grid_set_column_spacing (GTK_GRID (grid), 6);
  gtk_grid_set_row_homogeneous (GTK_GRID (grid), TRUE);
  gtk_grid_set_column_homogeneous (GTK_GRID (grid), TRUE);
  gtk_widget_set_halign (grid, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (grid, "pin-pad");
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      GtkWidget *b = gtk_button_new_with_label (g_str_equal (keys[i], "<") ? "⌫" : keys[i]);

      g_object_set_data (G_OBJECT (b), "key", (gpointer) keys[i]);
      gtk_widget_set_focus_on_click (b, FALSE);
      gtk_widget_set_size_request (b, 64, 48);
      gtk_widget_add_css_class (b, "title-3");
      g_signal_connect (b, "clicked", G_CALLBACK (pin_key_clicked), entry);
      gtk_grid_attach (GTK_GRID (grid), b, i % 3, i / 3, 1, 1);
    }
  return grid;
}

/* Errors, toasts, confirmations ------------------------------------------ */

void
pos_show_error (GtkWidget    *widget,
                const char   *heading,
                const GError *error)
{
  GtkRoot *root = widget ? gtk_widget_get_root (widget) : NULL;
  g_autofree char *hint = pos_error_dup_hint (error);
  GtkWidget *dialog;

  g_message ("%s: %s", heading, error->message);
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, hint);
  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_OK"));
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "close");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "close");
  gtk_widget_error_bell (dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

void
pos_toast (GtkWidget  *widget,
           const char *message)
{
  PosWindow *win = pos_window_from_widget (widget);

  if (win)
    pos_window_toast (win, message);
}

void
pos_toast_offline (GtkWidget  *widget,
                   JsonObject *result)
{
  PosWindow *win = pos_window_from_widget (widget);
  g_autofree char *notice = pos_offline_notice (result);

  if (win && notice)
    pos_window_toast_full (win, notice, ADW_TOAST_PRIORITY_HIGH, 10);
}

typedef struct
{
  PosConfirmed confirmed;
  gpointer     user_data;
} ConfirmData;

static void
confirm_response (AdwMessageDialog *dialog,
                  const char       *response,
                  ConfirmData      *data)
{
  if (g_str_equal (response, "accept"))
    data->confirmed (data->user_data);
}

void
pos_confirm (GtkWidget    *widget,
             const char   *heading,
             const char   *body,
             const char   *accept_label,
             gboolean      destructive,
             PosConfirmed  confirmed,
             gpointer      user_data)
{
  GtkRoot *root = widget ? gtk_widget_get_root (widget) : NULL;
  GtkWidget *dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                              heading, body);
  ConfirmData *data = g_new0 (ConfirmData, 1);

  data->confirmed = confirmed;
  data->user_data = user_data;
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "cancel", _("_Cancel"), "accept", accept_label, NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "accept",
                                              destructive ? ADW_RESPONSE_DESTRUCTIVE
                                                          : ADW_RESPONSE_SUGGESTED);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "accept");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect_data (dialog, "response", G_CALLBACK (confirm_response), data,
                         (GClosureNotify) (void (*)(void)) g_free, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}
