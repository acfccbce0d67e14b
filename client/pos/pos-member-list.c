/* pos-member-list.c: the member filter window (pos-member-list.h). The
 * conditions become member.filter's arguments; the count, the export and
 * the campaign are common/'s (member.filter, mdn_member_filter_export,
 * sms.campaign), each checking that the staff member is a manager. The
 * export runs in a worker thread on its own connection, as the reports'. */
#define G_LOG_DOMAIN "pos-member-list"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "mdn-member-filter.h"
#include "mdn-store.h"
#include "pos-forms.h"
#include "pos-member-list.h"

#define SHOWN_ROWS 100

static const char *const segments[] = {
  NULL, "important_value", "important_development", "important_retention", "important_winback",
  "general_value", "general_development", "general_retention", "general_winback",
};

struct _PosMemberList
{
  AdwWindow     parent_instance;

  PosSession   *session;
  GCancellable *cancellable;   /* an export running */
  guint         n_rows;
  gint64        preview_count; /* -1: no preview of the current text and filter */

  GtkWidget    *toasts;
  GtkWidget    *level_row;
  GtkWidget    *balance_min_row;
  GtkWidget    *balance_max_row;
  GtkWidget    *last_visit_row;
  GtkWidget    *birthday_month_row;
  GtkWidget    *segment_row;
  GtkWidget    *period_row;    /* the segments' window: whole history, 30, 90, 365 days */
  GtkWidget    *count_label;
  GtkWidget    *list;
  GtkWidget    *text_view;
  GtkWidget    *preview_label;
  GtkWidget    *segments_label;
};

G_DEFINE_FINAL_TYPE (PosMemberList, pos_member_list, ADW_TYPE_WINDOW)

enum { EXPORTED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
toast (PosMemberList *self,
       const char    *text)
{
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (self->toasts), adw_toast_new (text));
}

static char *
row_text (GtkWidget *row)
{
  g_autofree char *t = g_strdup (gtk_editable_get_text (GTK_EDITABLE (row)));

  g_strstrip (t);
  return *t ? g_steal_pointer (&t) : NULL;
}

/* A condition that doesn't read is left out of @filter and named in
 * @error; FALSE then. */
/* The days the segments are scored over (0: the whole history). */
static gint64
period_days (PosMemberList *self)
{
  static const gint64 days[] = { 0, 30, 90, 365 };
  guint i = adw_combo_row_get_selected (ADW_COMBO_ROW (self->period_row));

  return i < G_N_ELEMENTS (days) ? days[i] : 0;
}

static gboolean
read_filter (PosMemberList *self,
             JsonObject    *filter,
             GError       **error)
{
  g_autofree char *level = row_text (self->level_row);
  g_autofree char *min = row_text (self->balance_min_row);
  g_autofree char *max = row_text (self->balance_max_row);
  g_autofree char *before = row_text (self->last_visit_row);
  g_autofree char *month = row_text (self->birthday_month_row);
  guint seg = adw_combo_row_get_selected (ADW_COMBO_ROW (self->segment_row));
  gint64 fen;

  if (level)
    json_object_set_string_member (filter, "level", level);
  if (min)
    {
      if (!pos_parse_money (min, &fen))
        goto bad_money;
      json_object_set_int_member (filter, "balance_min_fen", fen);
    }
  if (max)
    {
      if (!pos_parse_money (max, &fen))
        {
          g_free (min);
          min = g_steal_pointer (&max);
          goto bad_money;
        }
      json_object_set_int_member (filter, "balance_max_fen", fen);
    }
  if (before)
    json_object_set_string_member (filter, "last_visit_before", before);
  if (month)
    {
      gint64 m = 0;

      if (!g_ascii_string_to_signed (month, 10, 1, 12, &m, NULL))
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA,
                       _("“%s” is not a month: give a number from 1 to 12"), month);
          return FALSE;
        }
      json_object_set_int_member (filter, "birthday_month", m);
    }
  if (seg > 0 && seg < G_N_ELEMENTS (segments))
    {
      json_object_set_string_member (filter, "segment", segments[seg]);
      if (period_days (self) > 0)
        json_object_set_int_member (filter, "days", period_days (self));
    }
  return TRUE;

bad_money:
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("“%s” is not an amount of money; write it like 20.00"),
               min);
  return FALSE;
}

JsonObject *
pos_member_list_dup_filter (PosMemberList *self)
{
  JsonObject *filter = json_object_new ();

  g_return_val_if_fail (POS_IS_MEMBER_LIST (self), NULL);
  read_filter (self, filter, NULL);
  return filter;
}

static void
clear_list (PosMemberList *self)
{
  GtkListBoxRow *row;

  while ((row = gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->list), 0)))
    gtk_list_box_remove (GTK_LIST_BOX (self->list), GTK_WIDGET (row));
  self->n_rows = 0;
}

gint64
pos_member_list_find (PosMemberList *self,
                      GError       **error)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) result = NULL;
  g_autofree char *count = NULL;
  JsonArray *members;
  gint64 n;

  g_return_val_if_fail (POS_IS_MEMBER_LIST (self), -1);

  clear_list (self);
  self->preview_count = -1;
  gtk_label_set_text (GTK_LABEL (self->preview_label), "");
  if (!read_filter (self, args, error))
    return -1;
  json_object_set_int_member (args, "limit", SHOWN_ROWS);
  result = pos_session_run (self->session, "member.filter", args, error);
  if (result == NULL)
    return -1;
  n = json_object_get_int_member_with_default (result, "count", 0);
  members = json_object_get_array_member (result, "members");
  for (guint i = 0; members && i < json_array_get_length (members); i++)
    {
      JsonObject *m = json_array_get_object_element (members, i);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *name = g_markup_escape_text (json_object_get_string_member_with_default (m, "name", ""), -1);
      g_autofree char *balance = pos_money (json_object_get_int_member_with_default (m, "balance_fen", 0));
      const char *last = json_object_get_string_member_with_default (m, "last_visit", NULL);
      g_autofree char *sub = g_strdup_printf (_("%s · %s · last visit %s%s"),
                                              json_object_get_string_member_with_default (m, "card_no", ""),
                                              json_object_get_string_member_with_default (m, "phone", ""),
                                              last ? last : _("never"),
                                              json_object_get_boolean_member_with_default (m, "sms_consent", FALSE)
                                                ? _(" · takes SMS") : "");
      g_autofree char *sub_markup = g_markup_escape_text (sub, -1);
      GtkWidget *l = gtk_label_new (balance);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), sub_markup);
      gtk_widget_add_css_class (l, "numeric");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), l);
      gtk_list_box_append (GTK_LIST_BOX (self->list), row);
      self->n_rows++;
    }
  count = n > self->n_rows ? g_strdup_printf (_("%" PRId64 " members (the first %u shown; an export has them all)"),
                                              n, self->n_rows)
                           : g_strdup_printf (_("%" PRId64 " members"), n);
  gtk_label_set_text (GTK_LABEL (self->count_label), count);
  return n;
}

guint
pos_member_list_n_rows (PosMemberList *self)
{
  return self->n_rows;
}

static void
find_action (GtkWidget *widget, const char *action, GVariant *param)
{
  PosMemberList *self = POS_MEMBER_LIST (widget);
  g_autoptr(GError) error = NULL;

  if (pos_member_list_find (self, &error) < 0)
    pos_show_error (widget, _("The members can't be listed"), error);
}

/* Export ----------------------------------------------------------------------------- */

typedef struct
{
  char           *db_path;
  char           *staff;
  JsonObject     *filter;
  char           *path;
  MdnReportFormat format;
} Export;

static void
export_free (Export *e)
{
  g_free (e->db_path);
  g_free (e->staff);
  g_clear_pointer (&e->filter, json_object_unref);
  g_free (e->path);
  g_free (e);
}

static void
export_job (GTask        *task,
            gpointer      source,
            gpointer      task_data,
            GCancellable *cancellable)
{
  Export *e = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MdnStore) store = mdn_store_open (e->db_path, &error);
  g_autoptr(MdnOpCtx) ctx = store ? mdn_op_ctx_new_trusted (store, e->staff, &error) : NULL;
  MdnReportExportOptions o = { NULL, NULL, NULL, NULL, cancellable };
  gint64 rows = 0;

  if (ctx == NULL || !mdn_member_filter_export (ctx, e->filter, e->format, e->path, &o, &rows, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_int (task, rows);
}

static void
exported (GObject      *source,
          GAsyncResult *res,
          gpointer      data)
{
  PosMemberList *self = POS_MEMBER_LIST (source);
  g_autofree char *path = data;   /* the task's, handed to us */
  g_autoptr(GError) error = NULL;
  gint64 rows = g_task_propagate_int (G_TASK (res), &error);

  g_clear_object (&self->cancellable);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "filter.export", TRUE);
  if (error)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        pos_show_error (GTK_WIDGET (self), _("The members were not exported"), error);
      g_signal_emit (self, signals[EXPORTED], 0, error->message);
      return;
    }
  {
    g_autofree char *text = g_strdup_printf (_("%" PRId64 " members exported to %s"), rows, path);

    toast (self, text);
  }
  g_signal_emit (self, signals[EXPORTED], 0, NULL);
}

void
pos_member_list_export_to (PosMemberList *self,
                           const char    *path)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GError) error = NULL;
  Export *e;

  g_return_if_fail (POS_IS_MEMBER_LIST (self) && path != NULL);

  if (self->cancellable || !pos_session_is_logged_in (self->session))
    return;
  e = g_new0 (Export, 1);
  e->filter = json_object_new ();
  if (!read_filter (self, e->filter, &error))
    {
      export_free (e);
      pos_show_error (GTK_WIDGET (self), _("The members were not exported"), error);
      g_signal_emit (self, signals[EXPORTED], 0, error->message);
      return;
    }
  e->db_path = g_strdup (pos_session_get_path (self->session));
  e->staff = g_strdup (pos_session_get_staff (self->session));
  e->path = g_strdup (path);
  e->format = g_str_has_suffix (path, ".csv") || g_str_has_suffix (path, ".CSV") ? MDN_REPORT_CSV : MDN_REPORT_XLSX;
  self->cancellable = g_cancellable_new ();
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "filter.export", FALSE);
  task = g_task_new (self, self->cancellable, exported, g_strdup (path));
  g_task_set_task_data (task, e, (GDestroyNotify) export_free);
  g_task_run_in_thread (task, export_job);
}

static void
chooser_done (GtkNativeDialog *dialog,
              int              response,
              gpointer         data)
{
  PosMemberList *self = POS_MEMBER_LIST (data);

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path)
        pos_member_list_export_to (self, path);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
export_action (GtkWidget *widget, const char *action, GVariant *param)
{
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new (_("Export Members"), GTK_WINDOW (widget),
                                                               GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"),
                                                               _("_Cancel"));

  /* .xlsx for Excel; a name ending in .csv writes CSV. */
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), _("members.xlsx"));
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_done), g_object_ref (widget));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

/* Campaign --------------------------------------------------------------------------- */

void
pos_member_list_set_text (PosMemberList *self,
                          const char    *text)
{
  gtk_text_buffer_set_text (gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->text_view)), text, -1);
}

static JsonObject *
campaign_args (PosMemberList *self,
               gboolean       preview,
               GError       **error)
{
  g_autoptr(JsonObject) args = json_object_new ();
  JsonObject *filter = json_object_new ();
  GtkTextBuffer *buffer = gtk_text_view_get_buffer (GTK_TEXT_VIEW (self->text_view));
  GtkTextIter start, end;
  g_autofree char *text = NULL;

  json_object_set_object_member (args, "filter", filter);
  if (!read_filter (self, filter, error))
    return NULL;
  gtk_text_buffer_get_bounds (buffer, &start, &end);
  text = g_strstrip (gtk_text_buffer_get_text (buffer, &start, &end, FALSE));
  if (*text == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("Write the message first"));
      return NULL;
    }
  json_object_set_string_member (args, "template", text);
  json_object_set_object_member (args, "params", json_object_new ());
  json_object_set_boolean_member (args, "preview", preview);
  return g_steal_pointer (&args);
}

gint64
pos_member_list_preview (PosMemberList *self,
                         char         **out_text,
                         GError       **error)
{
  g_autoptr(JsonObject) args = NULL;
  g_autoptr(JsonObject) result = NULL;
  g_autofree char *label = NULL;
  gint64 n;

  g_return_val_if_fail (POS_IS_MEMBER_LIST (self), -1);

  self->preview_count = -1;
  args = campaign_args (self, TRUE, error);
  if (args == NULL || (result = pos_session_run (self->session, "sms.campaign", args, error)) == NULL)
    {
      gtk_label_set_text (GTK_LABEL (self->preview_label), "");
      return -1;
    }
  n = json_object_get_int_member_with_default (result, "count", 0);
  label = g_strdup_printf (_("%" PRId64 " members who agreed to SMS will get: “%s”"), n,
                           json_object_get_string_member_with_default (result, "text", ""));
  gtk_label_set_text (GTK_LABEL (self->preview_label), label);
  if (out_text)
    *out_text = g_strdup (json_object_get_string_member_with_default (result, "text", ""));
  self->preview_count = n;
  return n;
}

gboolean
pos_member_list_send (PosMemberList *self,
                      GError       **error)
{
  g_autoptr(JsonObject) args = NULL;
  g_autoptr(JsonObject) result = NULL;
  g_autofree char *done = NULL;

  g_return_val_if_fail (POS_IS_MEMBER_LIST (self), FALSE);

  args = campaign_args (self, FALSE, error);
  if (args == NULL || (result = pos_session_run (self->session, "sms.campaign", args, error)) == NULL)
    return FALSE;
  done = g_strdup_printf (_("Campaign to %" PRId64 " members handed to head office's server for sending"),
                          json_object_get_int_member_with_default (result, "count", 0));
  toast (self, done);
  gtk_label_set_text (GTK_LABEL (self->preview_label), done);
  self->preview_count = -1;
  return TRUE;
}

static void
preview_action (GtkWidget *widget, const char *action, GVariant *param)
{
  g_autoptr(GError) error = NULL;

  if (pos_member_list_preview (POS_MEMBER_LIST (widget), NULL, &error) < 0)
    pos_show_error (widget, _("No preview"), error);
}

static void
send_confirmed (AdwMessageDialog *dialog,
                const char       *response,
                PosMemberList    *self)
{
  g_autoptr(GError) error = NULL;

  if (g_str_equal (response, "send") && !pos_member_list_send (self, &error))
    pos_show_error (GTK_WIDGET (self), _("The campaign was not sent"), error);
  g_object_unref (self);
}

static void
send_action (GtkWidget *widget, const char *action, GVariant *param)
{
  PosMemberList *self = POS_MEMBER_LIST (widget);
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL, *body = NULL;
  GtkWidget *dialog;
  gint64 n;

  /* The confirmation shows the count and the text as they are now. */
  n = pos_member_list_preview (self, &text, &error);
  if (n < 0)
    {
      pos_show_error (widget, _("The campaign was not sent"), error);
      return;
    }
  if (n == 0)
    {
      toast (self, _("No member of this selection takes marketing SMS"));
      return;
    }
  body = g_strdup_printf (_("Send this SMS to %" PRId64 " members? It can't be called back.\n\n%s"), n, text);
  dialog = adw_message_dialog_new (GTK_WINDOW (widget), _("Send the campaign?"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"), "send", _("_Send"), NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "send", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (send_confirmed), g_object_ref (self));
  gtk_window_present (GTK_WINDOW (dialog));
}

void
pos_member_list_set_field (PosMemberList *self,
                           const char    *field,
                           const char    *text)
{
  GtkWidget *row = g_str_equal (field, "level") ? self->level_row
                   : g_str_equal (field, "balance_min") ? self->balance_min_row
                   : g_str_equal (field, "balance_max") ? self->balance_max_row
                   : g_str_equal (field, "last_visit_before") ? self->last_visit_row
                   : g_str_equal (field, "birthday_month") ? self->birthday_month_row
                                                           : NULL;

  if (row)
    gtk_editable_set_text (GTK_EDITABLE (row), text);
  else if (g_str_equal (field, "period"))    /* days: "", "30", "90" or "365" */
    adw_combo_row_set_selected (ADW_COMBO_ROW (self->period_row), g_str_equal (text, "30") ? 1
                                : g_str_equal (text, "90") ? 2 : g_str_equal (text, "365") ? 3 : 0);
  else if (g_str_equal (field, "segment"))
    {
      guint selected = 0;    /* anything else: any segment */

      for (guint i = 1; i < G_N_ELEMENTS (segments); i++)
        if (g_strcmp0 (segments[i], text) == 0)
          selected = i;
      adw_combo_row_set_selected (ADW_COMBO_ROW (self->segment_row), selected);
    }
}

/* The RFM segments' counts (member.segments), under the conditions. */
static void
show_segments (PosMemberList *self)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) result = NULL;
  JsonArray *list;
  g_autoptr(GString) text = g_string_new (NULL);

  if (self->session == NULL)
    return;
  if (period_days (self) > 0)
    json_object_set_int_member (args, "days", period_days (self));
  result = pos_session_run (self->session, "member.segments", args, NULL);
  list = result ? json_object_get_array_member (result, "segments") : NULL;
  if (list == NULL)
    return;
  g_string_append_printf (text, _("Segments of the %" PRId64 " members with visits (RFM):"),
                          json_object_get_int_member_with_default (result, "members", 0));
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *o = json_array_get_object_element (list, i);

      g_string_append_printf (text, "%s%s %" PRId64, i % 2 ? " · " : "\n",
                              json_object_get_string_member_with_default (o, "name", ""),
                              json_object_get_int_member_with_default (o, "count", 0));
    }
  gtk_label_set_text (GTK_LABEL (self->segments_label), text->str);
}

PosMemberList *
pos_member_list_new (GtkWidget  *parent,
                     PosSession *session)
{
  PosMemberList *self = g_object_new (POS_TYPE_MEMBER_LIST, NULL);
  GtkRoot *root = parent ? gtk_widget_get_root (parent) : NULL;

  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (self), GTK_WINDOW (root));
  self->session = g_object_ref (session);
  show_segments (self);
  return self;
}

static void
pos_member_list_dispose (GObject *object)
{
  PosMemberList *self = POS_MEMBER_LIST (object);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), POS_TYPE_MEMBER_LIST);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (pos_member_list_parent_class)->dispose (object);
}

static void
pos_member_list_class_init (PosMemberListClass *klass)
{
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = pos_member_list_dispose;
  signals[EXPORTED] = g_signal_new ("exported", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                    G_TYPE_NONE, 1, G_TYPE_STRING);
  gtk_widget_class_set_template_from_resource (wc, "/org/mendian/Pos/pos-member-list.ui");
  gtk_widget_class_bind_template_child (wc, PosMemberList, toasts);
  gtk_widget_class_bind_template_child (wc, PosMemberList, level_row);
  gtk_widget_class_bind_template_child (wc, PosMemberList, balance_min_row);
  gtk_widget_class_bind_template_child (wc, PosMemberList, balance_max_row);
  gtk_widget_class_bind_template_child (wc, PosMemberList, last_visit_row);
  gtk_widget_class_bind_template_child (wc, PosMemberList, birthday_month_row);
  gtk_widget_class_bind_template_child (wc, PosMemberList, segment_row);
  gtk_widget_class_bind_template_child (wc, PosMemberList, period_row);
  gtk_widget_class_bind_template_child (wc, PosMemberList, count_label);
  gtk_widget_class_bind_template_child (wc, PosMemberList, list);
  gtk_widget_class_bind_template_child (wc, PosMemberList, text_view);
  gtk_widget_class_bind_template_child (wc, PosMemberList, preview_label);
  gtk_widget_class_bind_template_child (wc, PosMemberList, segments_label);
  gtk_widget_class_install_action (wc, "filter.find", NULL, find_action);
  gtk_widget_class_install_action (wc, "filter.export", NULL, export_action);
  gtk_widget_class_install_action (wc, "filter.preview", NULL, preview_action);
  gtk_widget_class_install_action (wc, "filter.send", NULL, send_action);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_Return, GDK_CONTROL_MASK, "filter.find", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_e, GDK_CONTROL_MASK, "filter.export", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
entry_activated (PosMemberList *self)
{
  find_action (GTK_WIDGET (self), "filter.find", NULL);
}

static void
pos_member_list_init (PosMemberList *self)
{
  GtkWidget *rows[5];

  gtk_widget_init_template (GTK_WIDGET (self));
  rows[0] = self->level_row;
  rows[1] = self->balance_min_row;
  rows[2] = self->balance_max_row;
  rows[3] = self->last_visit_row;
  rows[4] = self->birthday_month_row;
  self->preview_count = -1;
  /* Enter in any condition finds. */
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    g_signal_connect_object (rows[i], "entry-activated", G_CALLBACK (entry_activated), self, G_CONNECT_SWAPPED);
  /* Another window rescores the counts. */
  g_signal_connect_object (self->period_row, "notify::selected", G_CALLBACK (show_segments), self, G_CONNECT_SWAPPED);
}
