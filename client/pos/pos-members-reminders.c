/* pos-members-reminders.c: the Members page's reminders: the count on the
 * page's badge (AdwViewStackPage:badge-number) and on its button, and the
 * member.reminders action that opens the window (pos-reminders.c); and
 * member.import, the member import dialog (pos-member-import.c),
 * member.filter, the member filter window (pos-member-list.c), and
 * member.messages, the messages window (pos-messages.c); the member's SMS
 * choices (member.sms-prefs). */
#define G_LOG_DOMAIN "pos-members"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "pos-members-private.h"
#include "pos-forms.h"
#include "pos-member-import.h"
#include "pos-member-list.h"
#include "pos-messages.h"
#include "pos-reminders.h"

void
pos_members_refresh_reminders (PosMembers *self)
{
  GtkWidget *parent;
  gint64 total;
  g_autofree char *label = NULL;

  g_return_if_fail (POS_IS_MEMBERS (self));

  total = self->session ? pos_reminders_count_total (self->session) : 0;
  label = total > 0 ? g_strdup_printf (_("_Reminders (%" PRId64 ")…  Ctrl+R"), total)
                    : g_strdup (_("_Reminders…  Ctrl+R"));
  gtk_button_set_label (GTK_BUTTON (self->reminders_button), label);
  /* The page sits in the window's view stack: its badge. */
  for (parent = gtk_widget_get_parent (GTK_WIDGET (self)); parent; parent = gtk_widget_get_parent (parent))
    if (ADW_IS_VIEW_STACK (parent))
      {
        AdwViewStackPage *page = adw_view_stack_get_page (ADW_VIEW_STACK (parent), GTK_WIDGET (self));

        if (page)
          adw_view_stack_page_set_badge_number (page, (guint) CLAMP (total, 0, G_MAXUINT));
        break;
      }
}

static gboolean
reminders_closed (PosMembers *self)
{
  pos_members_refresh_reminders (self);
  return FALSE;
}

void
pos_members_reminders_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  PosMembers *self = POS_MEMBERS (widget);
  PosReminders *win;

  if (self->session == NULL || !pos_session_is_logged_in (self->session))
    return;
  win = pos_reminders_new (widget, self->session);
  g_signal_connect_object (win, "close-request", G_CALLBACK (reminders_closed), self, G_CONNECT_SWAPPED);
  gtk_window_present (GTK_WINDOW (win));
}

/* member.import: the member import dialog (a manager's; common/ refuses
 * anyone else, and the dialog shows why). */
void
pos_members_import_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  PosMembers *self = POS_MEMBERS (widget);
  PosMemberImport *win;

  if (self->session == NULL || !pos_session_is_logged_in (self->session))
    return;
  win = pos_member_import_new (widget, self->session);
  gtk_window_present (GTK_WINDOW (win));
}

/* member.filter: the member filter window (export, SMS campaign). */
void
pos_members_filter_action (GtkWidget  *widget,
                           const char *action_name,
                           GVariant   *parameter)
{
  PosMembers *self = POS_MEMBERS (widget);
  PosMemberList *win;

  if (self->session == NULL || !pos_session_is_logged_in (self->session))
    return;
  win = pos_member_list_new (widget, self->session);
  gtk_window_present (GTK_WINDOW (win));
}

/* member.messages: the member messages window; a new message is the
 * member's on the page, if one is. */
void
pos_members_messages_action (GtkWidget  *widget,
                             const char *action_name,
                             GVariant   *parameter)
{
  PosMembers *self = POS_MEMBERS (widget);
  PosMessages *win;

  if (self->session == NULL || !pos_session_is_logged_in (self->session))
    return;
  win = pos_messages_new (widget, self->session, self->member ? self->member->card_no : NULL);
  gtk_window_present (GTK_WINDOW (win));
}

gboolean
pos_members_set_sms_prefs (PosMembers *self,
                           gboolean    consent,
                           gboolean    opt_out,
                           GError    **error)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) result = NULL;

  g_return_val_if_fail (POS_IS_MEMBERS (self), FALSE);

  if (self->member == NULL)
    return FALSE;
  json_object_set_string_member (args, "card", self->member->card_no);
  json_object_set_boolean_member (args, "sms_consent", consent);
  json_object_set_boolean_member (args, "sms_opt_out", opt_out);
  result = pos_session_run (self->session, "member.sms_prefs", args, error);
  return result != NULL;
}

static void
sms_prefs_chosen (AdwMessageDialog *dialog,
                  const char       *response,
                  PosMembers       *self)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;

  if (g_str_equal (response, "consent"))
    ok = pos_members_set_sms_prefs (self, TRUE, FALSE, &error);
  else if (g_str_equal (response, "service"))
    ok = pos_members_set_sms_prefs (self, FALSE, FALSE, &error);
  else if (g_str_equal (response, "opt_out"))
    ok = pos_members_set_sms_prefs (self, FALSE, TRUE, &error);
  if (!ok)
    pos_show_error (GTK_WIDGET (self), _("The SMS choices were not saved"), error);
  else if (!g_str_equal (response, "cancel"))
    pos_toast (GTK_WIDGET (self), _("SMS choices saved"));
  g_object_unref (self);
}

/* member.sms-prefs: what the member agrees to receive. */
void
pos_members_sms_prefs_action (GtkWidget  *widget,
                              const char *action_name,
                              GVariant   *parameter)
{
  PosMembers *self = POS_MEMBERS (widget);
  GtkWidget *dialog;
  g_autofree char *body = NULL;

  if (self->member == NULL)
    return;
  body = g_strdup_printf (_("What may head office's server send to %s? Card messages are top-ups, payments and "
                            "reminders about the card; offers are marketing, sent 08:00–22:00 with a way to "
                            "unsubscribe."), self->member->name);
  dialog = adw_message_dialog_new (GTK_WINDOW (gtk_widget_get_root (widget)), _("SMS Choices"), body);
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog), "cancel", _("_Cancel"),
                                    "opt_out", _("_No SMS at all"), "service", _("Card _messages only"),
                                    "consent", _("Card messages and _offers"), NULL);
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
  g_signal_connect (dialog, "response", G_CALLBACK (sms_prefs_chosen), g_object_ref (self));
  gtk_window_present (GTK_WINDOW (dialog));
}
