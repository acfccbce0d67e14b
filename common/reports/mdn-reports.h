/* mdn-reports.h: the branch's reports for a terminal (mdn-reports.c): the
 * day end (report.shift), report.list, report.run, and the export of a
 * report of this branch to a file. */
#pragma once

#include "mdn-op.h"
#include "mdn-report-export.h"

G_BEGIN_DECLS

/* Exports report @name of this branch (query->branch NULL or this
 * branch) to @path; a manager's job, checked here. */
gboolean mdn_report_branch_export (MdnOpCtx                     *ctx,
                                   const char                   *name,
                                   const MdnReportQuery         *query,
                                   MdnReportFormat               format,
                                   const char                   *path,
                                   const MdnReportExportOptions *options,
                                   gint64                       *n_rows,
                                   GError                      **error);

G_END_DECLS
