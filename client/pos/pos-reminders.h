/* pos-reminders.h: the reminders window of the Members page: members to
 * call or message (birthdays, low balance, inactivity, card and package
 * expiry), each with call, SMS and done. */
#pragma once

#include <adwaita.h>

#include "pos-session.h"

G_BEGIN_DECLS

#define POS_TYPE_REMINDERS (pos_reminders_get_type ())
G_DECLARE_FINAL_TYPE (PosReminders, pos_reminders, POS, REMINDERS, AdwWindow)

PosReminders *pos_reminders_new          (GtkWidget    *parent,
                                          PosSession   *session);
/* Shows @kind (birthday, low_balance, inactive, expiry, package_expiry). */
void          pos_reminders_show_kind    (PosReminders *self,
                                          const char   *kind);
/* The number of rows shown, for tests. */
guint         pos_reminders_get_n_rows   (PosReminders *self);
/* Marks the reminder of row @index done, as its button does. */
gboolean      pos_reminders_mark_done    (PosReminders *self,
                                          guint         index,
                                          GError      **error);

/* What the checkout says of the member of @card (reminder.member), the
 * hints joined by “ · ”; NULL when there is none or it can't be read. */
char         *pos_reminders_dup_hints    (PosSession   *session,
                                          const char   *card);

/* The total of every kind (reminder.counts), for the Members page's badge;
 * 0 when it can't be read. */
gint64        pos_reminders_count_total  (PosSession   *session);

G_END_DECLS
