/* pos-reminder-view.h: the answers of reminder.list, reminder.counts and
 * reminder.member as the POS shows them, parsed once (tests/test-pos-views.c
 * feeds them real answers). */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  char   *member_id;
  char   *card_no;
  char   *name;
  char   *phone;
  char   *kind;
  char   *due_on;
  gint64  days;       /* from today; negative: overdue */
  char   *detail;
} PosReminder;

void       pos_reminder_free          (PosReminder *reminder);
/* reminder.list: a GPtrArray of PosReminder, nearest first. */
GPtrArray *pos_reminder_list_parse    (JsonObject  *result,
                                       GError     **error);
/* reminder.counts: the total. */
gboolean   pos_reminder_total_parse   (JsonObject  *result,
                                       gint64      *total,
                                       GError     **error);
/* reminder.member: the hints' texts (“今天生日”, “余额不足 ¥20.00”). */
GStrv      pos_reminder_hints_parse   (JsonObject  *result,
                                       GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PosReminder, pos_reminder_free)

G_END_DECLS
