/* mdn-report-export.h: a report, every row, as a file: Excel (.xlsx, with
 * libxlsxwriter in constant-memory mode), CSV (UTF-8 with a BOM, so that
 * a Chinese Excel opens it) or JSON (one document of report.run's shape).
 * Memory stays flat however many rows there are. */
#pragma once

#include <gio/gio.h>

#include "mdn-report.h"

G_BEGIN_DECLS

typedef enum
{
  MDN_REPORT_JSON,
  MDN_REPORT_CSV,
  MDN_REPORT_XLSX,
} MdnReportFormat;

/* "json", "csv", "xlsx" → the format; FALSE for anything else. */
gboolean     mdn_report_format_parse (const char      *name,
                                      MdnReportFormat *out);
const char  *mdn_report_format_content_type (MdnReportFormat format);

/* Called every few thousand rows: @rows written so far, and @fraction
 * 0..1 once the total is known (-1 before). */
typedef void (*MdnReportProgress) (gint64   rows,
                                   double   fraction,
                                   gpointer user_data);

typedef struct
{
  const char       *shop;         /* branch or chain name for the title row */
  const char       *exported_at;  /* ISO time of the export, for the title row */
  MdnReportProgress progress;
  gpointer          progress_data;
  GCancellable     *cancellable;
  gint64            sheet_rows;   /* 0: Excel's 1,048,576; tests set fewer */
} MdnReportExportOptions;

/* Writes @def over @db to @path (created 0600, replaced whole: written
 * beside it and renamed). On failure or cancel nothing is left at @path. */
gboolean     mdn_report_export_file  (MdnDb                        *db,
                                      const MdnReportDef           *def,
                                      const MdnReportQuery         *query,
                                      MdnReportFormat               format,
                                      const char                   *path,
                                      const MdnReportExportOptions *options,
                                      gint64                       *n_rows,
                                      GError                      **error);

G_END_DECLS
