/* pos-members-reminders.c: the Members page's reminders: the count on the
 * page's badge (AdwViewStackPage:badge-number) and on its button, and the
 * member.reminders action that opens the window (pos-reminders.c); and
 * member.import, the member import dialog (pos-member-import.c),
 * member.filter, the member filter window (pos-member-list.c), and
 * member.messages, the messages window (pos-messages.c). */
#define G_LOG_DOMAIN "pos-members"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "pos-members-private.h"
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
