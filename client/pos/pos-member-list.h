/* pos-member-list.h: the member filter window of the Members page
 * (manager): member.filter's conditions, the count and the first members,
 * export of every one to Excel or CSV (mdn_member_filter_export), and an
 * SMS campaign to them (sms.campaign: preview of the count and the text,
 * then sent after a confirmation). */
#pragma once

#include <adwaita.h>

#include "mdn-report-export.h"
#include "pos-session.h"

G_BEGIN_DECLS

#define POS_TYPE_MEMBER_LIST (pos_member_list_get_type ())
G_DECLARE_FINAL_TYPE (PosMemberList, pos_member_list, POS, MEMBER_LIST, AdwWindow)

PosMemberList *pos_member_list_new       (GtkWidget     *parent,
                                          PosSession    *session);
/* The conditions as member.filter's arguments (caller owns). */
JsonObject    *pos_member_list_dup_filter (PosMemberList *self);
/* For tests, what the buttons do: find (the count, or -1 and @error),
 * export to @path (async; "exported" is emitted with NULL or the error's
 * message), preview and send the campaign with @text. */
gint64         pos_member_list_find      (PosMemberList *self,
                                          GError       **error);
guint          pos_member_list_n_rows    (PosMemberList *self);
void           pos_member_list_export_to (PosMemberList *self,
                                          const char    *path);
void           pos_member_list_set_text  (PosMemberList *self,
                                          const char    *text);
gint64         pos_member_list_preview   (PosMemberList *self,
                                          char         **out_text,
                                          GError       **error);
gboolean       pos_member_list_send      (PosMemberList *self,
                                          GError       **error);
/* Sets the condition of @field (level, balance_min, balance_max,
 * last_visit_before, birthday_month, segment, period: the days the segment
 * is scored over, "30", "90", "365" or "" for the whole history) as typed. */
void           pos_member_list_set_field (PosMemberList *self,
                                          const char    *field,
                                          const char    *text);

G_END_DECLS
