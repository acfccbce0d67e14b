/* pos-reminders.c: the reminders window (reminder.list, reminder.done):
 * one kind at a time, nearest first; a row's buttons call the member (the
 * number is put on the clipboard for the phone), send an SMS (when the
 * chain's server sends them: the operation sms.send exists) and mark the
 * reminder done. */
#define G_LOG_DOMAIN "pos-reminders"

#include <glib/gi18n.h>

#include "pos-reminder-view.h"
#include "pos-reminders.h"

struct _PosReminders
{
  AdwWindow   parent_instance;

  PosSession *session;
  GPtrArray  *reminders;     /* of PosReminder, the rows */

  GtkWidget  *toasts;
  GtkWidget  *kind_dropdown;
  GtkWidget  *stack;
  GtkWidget  *empty_page;
  GtkWidget  *list;
};

G_DEFINE_FINAL_TYPE (PosReminders, pos_reminders, ADW_TYPE_WINDOW)

static const char *const kinds[] = { "birthday", "low_balance", "inactive", "expiry", "package_expiry" };

static void
toast (PosReminders *self,
       const char   *text)
{
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (self->toasts), adw_toast_new (text));
}

static char *
due_text (PosReminder *r)
{
  if (r->days == 0)
    return g_strdup (_("today"));
  if (r->days > 0)
    return g_strdup_printf (_("in %d days"), (int) r->days);
  return g_strdup_printf (_("%d days ago"), (int) -r->days);
}

static void
call_clicked (GtkButton    *button,
              PosReminders *self)
{
  guint i = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "pos-row"));
  PosReminder *r;
  g_autofree char *text = NULL;

  if (self->reminders == NULL || i >= self->reminders->len)
    return;
  r = g_ptr_array_index (self->reminders, i);
  gdk_clipboard_set_text (gtk_widget_get_clipboard (GTK_WIDGET (self)), r->phone);
  text = g_strdup_printf (_("Call %s on %s (the number is copied)"), r->name, r->phone);
  toast (self, text);
}

static void
sms_clicked (GtkButton    *button,
             PosReminders *self)
{
  guint i = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "pos-row"));
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(GError) error = NULL;
  PosReminder *r;
  g_autofree char *text = NULL;

  if (self->reminders == NULL || i >= self->reminders->len)
    return;
  r = g_ptr_array_index (self->reminders, i);
  json_object_set_string_member (args, "member_id", r->member_id);
  json_object_set_string_member (args, "event", r->kind);
  if (r->due_on && (g_str_equal (r->kind, "expiry") || g_str_equal (r->kind, "package_expiry")))
    json_object_set_string_member (args, "due_on", r->due_on);
  result = pos_session_run (self->session, "sms.send", args, &error);
  if (result == NULL)
    {
      toast (self, error->message);
      return;
    }
  text = g_strdup_printf (_("An SMS to %s is queued"), r->name);
  toast (self, text);
}

static void
done_clicked (GtkButton    *button,
              PosReminders *self)
{
  guint i = GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "pos-row"));
  g_autoptr(GError) error = NULL;

  if (!pos_reminders_mark_done (self, i, &error))
    toast (self, error->message);
}

static GtkWidget *
row_button (PosReminders *self,
            const char   *icon,
            const char   *tooltip,
            guint         index,
            GCallback     callback)
{
  GtkWidget *b = gtk_button_new_from_icon_name (icon);

  gtk_widget_set_tooltip_text (b, tooltip);
  gtk_widget_set_valign (b, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (b, "flat");
  g_object_set_data (G_OBJECT (b), "pos-row", GUINT_TO_POINTER (index));
  g_signal_connect (b, "clicked", callback, self);
  return b;
}

static void
fill (PosReminders *self)
{
  GtkWidget *child;
  gboolean can_sms = pos_session_can (self->session, "sms.send");

  while ((child = gtk_widget_get_first_child (self->list)))
    gtk_list_box_remove (GTK_LIST_BOX (self->list), child);
  for (guint i = 0; self->reminders && i < self->reminders->len; i++)
    {
      PosReminder *r = g_ptr_array_index (self->reminders, i);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *title = g_strdup_printf ("%s · %s", r->name, r->card_no);
      g_autofree char *when = due_text (r);
      g_autofree char *subtitle = g_strdup_printf ("%s · %s (%s) · %s", r->detail, r->due_on, when, r->phone);
      GtkWidget *sms;

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 row_button (self, "call-start-symbolic", _("Call"), i, G_CALLBACK (call_clicked)));
      sms = row_button (self, "mail-send-symbolic", _("Send an SMS"), i, G_CALLBACK (sms_clicked));
      gtk_widget_set_sensitive (sms, can_sms);
      if (!can_sms)
        gtk_widget_set_tooltip_text (sms, _("SMS is sent by the chain's server; it is not set up"));
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), sms);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                 row_button (self, "object-select-symbolic", _("Done"), i, G_CALLBACK (done_clicked)));
      gtk_list_box_append (GTK_LIST_BOX (self->list), row);
    }
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack),
                                    self->reminders && self->reminders->len ? "list" : "empty");
}

static void
load (PosReminders *self)
{
  guint selected = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->kind_dropdown));
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&self->reminders, g_ptr_array_unref);
  if (selected >= G_N_ELEMENTS (kinds))
    selected = 0;
  json_object_set_string_member (args, "kind", kinds[selected]);
  result = pos_session_run (self->session, "reminder.list", args, &error);
  if (result)
    self->reminders = pos_reminder_list_parse (result, &error);
  if (error)
    {
      adw_status_page_set_description (ADW_STATUS_PAGE (self->empty_page), error->message);
      toast (self, error->message);
    }
  else
    adw_status_page_set_description (ADW_STATUS_PAGE (self->empty_page), NULL);
  fill (self);
}

static void
kind_changed (PosReminders *self)
{
  load (self);
}

void
pos_reminders_show_kind (PosReminders *self,
                         const char   *kind)
{
  g_return_if_fail (POS_IS_REMINDERS (self));

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_strcmp0 (kinds[i], kind) == 0)
      {
        if (gtk_drop_down_get_selected (GTK_DROP_DOWN (self->kind_dropdown)) == i)
          load (self);
        else
          gtk_drop_down_set_selected (GTK_DROP_DOWN (self->kind_dropdown), i);
      }
}

guint
pos_reminders_get_n_rows (PosReminders *self)
{
  g_return_val_if_fail (POS_IS_REMINDERS (self), 0);
  return self->reminders ? self->reminders->len : 0;
}

gboolean
pos_reminders_mark_done (PosReminders *self,
                         guint         index,
                         GError      **error)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) result = NULL;
  PosReminder *r;

  g_return_val_if_fail (POS_IS_REMINDERS (self), FALSE);

  if (self->reminders == NULL || index >= self->reminders->len)
    return TRUE;
  r = g_ptr_array_index (self->reminders, index);
  json_object_set_string_member (args, "member_id", r->member_id);
  json_object_set_string_member (args, "kind", r->kind);
  json_object_set_string_member (args, "due_on", r->due_on);
  result = pos_session_run (self->session, "reminder.done", args, error);
  if (result == NULL)
    return FALSE;
  load (self);
  return TRUE;
}

char *
pos_reminders_dup_hints (PosSession *session,
                         const char *card)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) result = NULL;
  g_auto(GStrv) hints = NULL;

  g_return_val_if_fail (POS_IS_SESSION (session) && card != NULL, NULL);

  if (!pos_session_can (session, "reminder.member"))
    return NULL;
  json_object_set_string_member (args, "card", card);
  result = pos_session_run (session, "reminder.member", args, NULL);
  if (result == NULL || (hints = pos_reminder_hints_parse (result, NULL)) == NULL || hints[0] == NULL)
    return NULL;
  return g_strjoinv (" · ", hints);
}

gint64
pos_reminders_count_total (PosSession *session)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) result = NULL;
  gint64 total = 0;

  if (!pos_session_is_logged_in (session) || !pos_session_can (session, "reminder.counts"))
    return 0;
  result = pos_session_run (session, "reminder.counts", args, NULL);
  if (result == NULL || !pos_reminder_total_parse (result, &total, NULL))
    return 0;
  return total;
}

PosReminders *
pos_reminders_new (GtkWidget  *parent,
                   PosSession *session)
{
  PosReminders *self = g_object_new (POS_TYPE_REMINDERS, NULL);
  GtkRoot *root = parent ? gtk_widget_get_root (parent) : NULL;

  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (self), GTK_WINDOW (root));
  self->session = g_object_ref (session);
  load (self);
  g_signal_connect_swapped (self->kind_dropdown, "notify::selected", G_CALLBACK (kind_changed), self);
  return self;
}

static void
pos_reminders_dispose (GObject *object)
{
  PosReminders *self = POS_REMINDERS (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), POS_TYPE_REMINDERS);
  g_clear_pointer (&self->reminders, g_ptr_array_unref);
  g_clear_object (&self->session);
  G_OBJECT_CLASS (pos_reminders_parent_class)->dispose (object);
}

static void
pos_reminders_class_init (PosRemindersClass *klass)
{
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = pos_reminders_dispose;
  gtk_widget_class_set_template_from_resource (wc, "/org/mendian/Pos/pos-reminders.ui");
  gtk_widget_class_bind_template_child (wc, PosReminders, toasts);
  gtk_widget_class_bind_template_child (wc, PosReminders, kind_dropdown);
  gtk_widget_class_bind_template_child (wc, PosReminders, stack);
  gtk_widget_class_bind_template_child (wc, PosReminders, empty_page);
  gtk_widget_class_bind_template_child (wc, PosReminders, list);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
pos_reminders_init (PosReminders *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
