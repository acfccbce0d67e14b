/* pos-members.h: the Members page: find a member, their page, every card
 * job. Takes the session once and is told when it is shown. */
#pragma once

#include <adwaita.h>

#include "pos-session.h"

G_BEGIN_DECLS

#define POS_TYPE_MEMBERS (pos_members_get_type ())
G_DECLARE_FINAL_TYPE (PosMembers, pos_members, POS, MEMBERS, AdwBin)

void        pos_members_set_session    (PosMembers *self, PosSession *session);
void        pos_members_shown          (PosMembers *self);
void        pos_members_show_card      (PosMembers *self, const char *card);
GtkWidget  *pos_members_get_search_entry (PosMembers *self);
const char *pos_members_get_card       (PosMembers *self);
/* The reminders' count on the page's badge and button (pos-reminders.c). */
void        pos_members_refresh_reminders (PosMembers *self);

/* The SMS choices of the member on the page, as the SMS Choices dialog
 * sets them (member.sms_prefs). */
gboolean    pos_members_set_sms_prefs (PosMembers *self,
                                       gboolean    consent,
                                       gboolean    opt_out,
                                       GError    **error);

G_END_DECLS
