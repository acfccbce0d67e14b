/* pos-messages.c: the member messages window (pos-messages.h). The
 * messages are shared entries (common/crm/mdn-messages.c): what a branch
 * or head office answers, every other one sees after its next pull. */
#define G_LOG_DOMAIN "pos-messages"

#include <glib/gi18n.h>

#include "pos-messages.h"

static const char *const statuses[] = { "open", "replied", NULL };

struct _PosMessages
{
  AdwWindow   parent_instance;

  PosSession *session;
  char       *card;         /* the member on the page, or NULL */
  GPtrArray  *ids;          /* message id of each row */
  GPtrArray  *names;        /* the member's name of each row */
  guint       reply_to;     /* a row, or G_MAXUINT: a new message for card */
  gulong      status_handler;

  GtkWidget  *toasts;
  GtkWidget  *status_dropdown;
  GtkWidget  *list;
  GtkWidget  *to_label;
  GtkWidget  *text_entry;
  GtkWidget  *send_button;
};

G_DEFINE_FINAL_TYPE (PosMessages, pos_messages, ADW_TYPE_WINDOW)

static void
set_target (PosMessages *self,
            guint        row)
{
  g_autofree char *to = NULL;

  self->reply_to = row < self->ids->len ? row : G_MAXUINT;
  if (self->reply_to != G_MAXUINT)
    to = g_strdup_printf (_("Reply to %s:"), (const char *) g_ptr_array_index (self->names, row));
  else if (self->card)
    to = g_strdup_printf (_("Message of card %s:"), self->card);
  else
    to = g_strdup (_("Press Reply on a message"));
  gtk_label_set_text (GTK_LABEL (self->to_label), to);
  gtk_widget_set_sensitive (self->send_button, self->reply_to != G_MAXUINT || self->card != NULL);
  gtk_widget_set_sensitive (self->text_entry, self->reply_to != G_MAXUINT || self->card != NULL);
}

static void
reply_clicked (GtkButton   *button,
               PosMessages *self)
{
  set_target (self, GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "pos-row")));
  gtk_widget_grab_focus (self->text_entry);
}

guint
pos_messages_show (PosMessages *self,
                   const char  *status,
                   GError     **error)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) result = NULL;
  GtkListBoxRow *old;
  JsonArray *messages;

  g_return_val_if_fail (POS_IS_MESSAGES (self), 0);

  while ((old = gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->list), 0)))
    gtk_list_box_remove (GTK_LIST_BOX (self->list), GTK_WIDGET (old));
  g_ptr_array_set_size (self->ids, 0);
  g_ptr_array_set_size (self->names, 0);
  set_target (self, G_MAXUINT);
  if (status)
    json_object_set_string_member (args, "status", status);
  /* The dropdown shows what is listed. */
  g_signal_handler_block (self->status_dropdown, self->status_handler);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (self->status_dropdown),
                              g_strcmp0 (status, "open") == 0 ? 0 : g_strcmp0 (status, "replied") == 0 ? 1 : 2);
  g_signal_handler_unblock (self->status_dropdown, self->status_handler);
  json_object_set_int_member (args, "limit", 200);
  result = pos_session_run (self->session, "message.list", args, error);
  if (result == NULL)
    return 0;
  messages = json_object_get_array_member (result, "messages");
  for (guint i = 0; messages && i < json_array_get_length (messages); i++)
    {
      JsonObject *m = json_array_get_object_element (messages, i);
      JsonArray *replies = json_object_get_array_member (m, "replies");
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *button = gtk_button_new_with_label (_("Reply"));
      g_autoptr(GString) sub = g_string_new (NULL);
      g_autofree char *title = g_markup_escape_text (json_object_get_string_member_with_default (m, "text", ""), -1);
      g_autofree char *at = g_strndup (json_object_get_string_member_with_default (m, "at", ""), 16);

      g_string_append_printf (sub, _("%s · card %s · %s · %s"), json_object_get_string_member_with_default (m, "name", ""),
                              json_object_get_string_member_with_default (m, "card_no", ""),
                              json_object_get_string_member_with_default (m, "branch", ""), at);
      for (guint j = 0; replies && j < json_array_get_length (replies); j++)
        {
          JsonObject *r = json_array_get_object_element (replies, j);

          g_string_append_printf (sub, _("\n↳ %s (%s): %s"), json_object_get_string_member_with_default (r, "branch", ""),
                                  json_object_get_string_member_with_default (r, "staff", ""),
                                  json_object_get_string_member_with_default (r, "text", ""));
        }
      {
        g_autofree char *sub_markup = g_markup_escape_text (sub->str, -1);

        adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
        adw_action_row_set_subtitle (ADW_ACTION_ROW (row), sub_markup);
      }
      gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
      g_object_set_data (G_OBJECT (button), "pos-row", GUINT_TO_POINTER (self->ids->len));
      g_signal_connect_object (button, "clicked", G_CALLBACK (reply_clicked), self, 0);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), button);
      gtk_list_box_append (GTK_LIST_BOX (self->list), row);
      g_ptr_array_add (self->ids, g_strdup (json_object_get_string_member_with_default (m, "message_id", "")));
      g_ptr_array_add (self->names, g_strdup (json_object_get_string_member_with_default (m, "name", "")));
    }
  return self->ids->len;
}

static void
reload (PosMessages *self)
{
  g_autoptr(GError) error = NULL;
  guint i = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->status_dropdown));

  pos_messages_show (self, i < G_N_ELEMENTS (statuses) ? statuses[i] : NULL, &error);
  if (error)
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (self->toasts), adw_toast_new (error->message));
}

gboolean
pos_messages_send (PosMessages *self,
                   guint        index,
                   const char  *text,
                   GError     **error)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) result = NULL;
  gboolean reply = index < self->ids->len;

  g_return_val_if_fail (POS_IS_MESSAGES (self) && text != NULL, FALSE);

  if (reply)
    json_object_set_string_member (args, "message_id", g_ptr_array_index (self->ids, index));
  else if (self->card)
    json_object_set_string_member (args, "card", self->card);
  else
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, _("Press Reply on a message"));
      return FALSE;
    }
  json_object_set_string_member (args, "text", text);
  result = pos_session_run (self->session, reply ? "message.reply" : "message.add", args, error);
  if (result == NULL)
    return FALSE;
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (self->toasts),
                               adw_toast_new (reply ? _("Reply saved; every branch sees it after its next sync")
                                                    : _("Message saved")));
  gtk_editable_set_text (GTK_EDITABLE (self->text_entry), "");
  reload (self);
  return TRUE;
}

static void
send_clicked (PosMessages *self)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *text = g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (self->text_entry))));

  if (*text == '\0')
    return;
  if (!pos_messages_send (self, self->reply_to, text, &error))
    adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (self->toasts), adw_toast_new (error->message));
}

PosMessages *
pos_messages_new (GtkWidget  *parent,
                  PosSession *session,
                  const char *card)
{
  PosMessages *self = g_object_new (POS_TYPE_MESSAGES, NULL);
  GtkRoot *root = parent ? gtk_widget_get_root (parent) : NULL;

  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (self), GTK_WINDOW (root));
  self->session = g_object_ref (session);
  self->card = g_strdup (card);
  reload (self);
  return self;
}

static void
pos_messages_dispose (GObject *object)
{
  PosMessages *self = POS_MESSAGES (object);

  gtk_widget_dispose_template (GTK_WIDGET (self), POS_TYPE_MESSAGES);
  g_clear_object (&self->session);
  g_clear_pointer (&self->card, g_free);
  g_clear_pointer (&self->ids, g_ptr_array_unref);
  g_clear_pointer (&self->names, g_ptr_array_unref);
  G_OBJECT_CLASS (pos_messages_parent_class)->dispose (object);
}

static void
pos_messages_class_init (PosMessagesClass *klass)
{
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = pos_messages_dispose;
  gtk_widget_class_set_template_from_resource (wc, "/org/mendian/Pos/pos-messages.ui");
  gtk_widget_class_bind_template_child (wc, PosMessages, toasts);
  gtk_widget_class_bind_template_child (wc, PosMessages, status_dropdown);
  gtk_widget_class_bind_template_child (wc, PosMessages, list);
  gtk_widget_class_bind_template_child (wc, PosMessages, to_label);
  gtk_widget_class_bind_template_child (wc, PosMessages, text_entry);
  gtk_widget_class_bind_template_child (wc, PosMessages, send_button);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
pos_messages_init (PosMessages *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->ids = g_ptr_array_new_with_free_func (g_free);
  self->names = g_ptr_array_new_with_free_func (g_free);
  self->reply_to = G_MAXUINT;
  self->status_handler = g_signal_connect_object (self->status_dropdown, "notify::selected", G_CALLBACK (reload), self,
                                                  G_CONNECT_SWAPPED);
  g_signal_connect_object (self->send_button, "clicked", G_CALLBACK (send_clicked), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->text_entry, "activate", G_CALLBACK (send_clicked), self, G_CONNECT_SWAPPED);
}
