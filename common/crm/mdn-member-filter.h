/* mdn-member-filter.h: a filtered set of members (member.filter, the
 * target of an SMS campaign) and the RFM segments (member.segments), both
 * read from the members table and the per-member figures kept on apply
 * (mdn-member-figures.h), at a branch and at the server alike. */
#pragma once

#include "mdn-op.h"
#include "mdn-report-export.h"

G_BEGIN_DECLS

/* Steps @func over every member @filter selects (the arguments of
 * member.filter without limit and after), ordered by id; @func returns
 * FALSE to stop. The row's columns: id, card_no, name, phone, level,
 * balance_fen, points, sms_consent, sms_opt_out. */
typedef gboolean (*MdnMemberFunc) (sqlite3_stmt *row,
                                   gpointer      user_data);

gboolean mdn_member_filter_each (MdnDb        *db,
                                 JsonObject   *filter,
                                 const char   *today,
                                 MdnMemberFunc func,
                                 gpointer      user_data,
                                 GError      **error);

/* The segments' window @filter names, as the filter reads member_days:
 * @out_as_of (default @today) and @out_from, its first day: NULL when the
 * filter reads the whole history from member_figures alone (neither as_of
 * nor days), "0000-00-00" for every day up to as_of (as_of without days).
 * Both owned by the caller. For a store that copies the figures a filter
 * reads into a branch schema (the PostgreSQL server). */
gboolean mdn_member_filter_window (JsonObject *filter,
                                   const char *today,
                                   char      **out_as_of,
                                   char      **out_from,
                                   GError    **error);

/* Writes every member @filter (member.filter's arguments; limit and after
 * are ignored, NULL: every member) selects to @path as CSV (UTF-8 with a
 * BOM) or xlsx, through the report export; a manager's job, checked here. */
gboolean mdn_member_filter_export (MdnOpCtx                     *ctx,
                                   JsonObject                   *filter,
                                   MdnReportFormat               format,
                                   const char                   *path,
                                   const MdnReportExportOptions *options,
                                   gint64                       *n_rows,
                                   GError                      **error);

extern const MdnOpDef mdn_member_filter_ops[];

G_END_DECLS
