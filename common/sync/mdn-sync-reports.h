/* mdn-sync-reports.h: the chain's reports for the HQ terminal, asked of
 * the server with the terminal's own token (GET /api/v1/hq/reports/NAME):
 * a branch's database holds only its own business, head office's the
 * chain's. */
#pragma once

#include "mdn-op.h"
#include "mdn-report-export.h"

G_BEGIN_DECLS

/* Report @name over the chain (query->branch NULL) or one branch as
 * report.run's JSON document, every row. A manager at the HQ terminal. */
JsonObject *mdn_sync_report_fetch    (MdnOpCtx              *ctx,
                                      const char            *name,
                                      const MdnReportQuery  *query,
                                      GCancellable          *cancellable,
                                      GError               **error);
/* The same as a file of @format at @path, streamed from the server (the
 * file is written beside its name and renamed; nothing is left on
 * failure or cancel). @progress gets the bytes so far (fraction -1). */
gboolean    mdn_sync_report_download (MdnOpCtx              *ctx,
                                      const char            *name,
                                      const MdnReportQuery  *query,
                                      MdnReportFormat        format,
                                      const char            *path,
                                      MdnReportProgress      progress,
                                      gpointer               progress_data,
                                      GCancellable          *cancellable,
                                      GError               **error);

G_END_DECLS
