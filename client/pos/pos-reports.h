/* pos-reports.h: the 报表 page: pick a report, a period and filters, see
 * the rows and totals, export every row to Excel or CSV off the UI thread
 * with a progress bar and Cancel. A branch's reports are read from its own
 * database; at the HQ terminal the chain's come from the server. */
#pragma once

#include <adwaita.h>

#include "pos-session.h"

G_BEGIN_DECLS

#define POS_TYPE_REPORTS (pos_reports_get_type ())
G_DECLARE_FINAL_TYPE (PosReports, pos_reports, POS, REPORTS, AdwBin)

void        pos_reports_set_session    (PosReports *self, PosSession *session);
void        pos_reports_shown          (PosReports *self);
/* Types into a filter entry: @key staff, member, sku, category or branch
 * (the HQ terminal's); NULL or "" clears it. */
void        pos_reports_set_filter     (PosReports *self,
                                        const char *key,
                                        const char *text);
/* For tests: runs the report @name for @from..@to as if picked and
 * "Show" pressed; the rows arrive on the main loop ("loaded" is emitted). */
void        pos_reports_run            (PosReports *self,
                                        const char *name,
                                        const char *from,
                                        const char *to);
/* For tests: exports what is picked to @path (format by its extension),
 * as the Export button does after the file dialog; "exported" is emitted
 * with the error message or NULL. */
void        pos_reports_export_to      (PosReports *self,
                                        const char *path);
guint       pos_reports_get_n_rows     (PosReports *self);

G_END_DECLS
