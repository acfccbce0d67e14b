/* srv-console-reports.c: the reports page (报表): every report of
 * common/reports (mdn_reports) with its period and branch, downloaded as
 * Excel or CSV through srv_store_report, the same export the report API
 * streams (every row). */
#define G_LOG_DOMAIN "srv-console"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "mdn-clock.h"
#include "mdn-report-export.h"
#include "mdn-report.h"
#include "srv-console-private.h"

void
srv_console_reports (SrvPage *page)
{
  g_autoptr(GHashTable) vars = srv_vars_new ();
  g_autofree char *today = srv_console_today (page->console->store);
  g_autofree char *first = g_strdup (today);
  const char *const *mine = srv_page_branches (page);
  SrvHtml *list = srv_html_new ();

  first[8] = '0';
  first[9] = '1';
  srv_html_append (list, "<table><thead><tr><th>%s</th><th>%s</th></tr></thead><tbody>", _("Report"),
                   _("Period, branch and download"));
  for (const MdnReportDef *const *d = mdn_reports (); *d; d++)
    srv_html_append (list,
                     "<tr><td>%s</td><td><form method=\"get\" action=\"/console/reports/%s\" class=\"filters\">"
                     "<label>%s <input type=\"date\" name=\"from\" value=\"%s\" required></label>"
                     "<label>%s <input type=\"date\" name=\"to\" value=\"%s\" required></label>"
                     "<label>%s <input name=\"branch\" size=\"6\" value=\"%s\"></label>"
                     "<button type=\"submit\" name=\"format\" value=\"xlsx\">%s</button>"
                     "<button type=\"submit\" name=\"format\" value=\"csv\">%s</button></form></td></tr>",
                     _((*d)->title), (*d)->name, _("From"), first, _("To"), today, _("Branch"),
                     mine && mine[0] && !mine[1] ? mine[0] : "", _("Excel"), _("CSV"));
  srv_html_append (list, "</tbody></table>");
  srv_vars_text (vars, "title", _("Reports"));
  srv_vars_text (vars, "what", _("Every report of the chain, from the same definitions the branches run; the "
                                 "download holds every row with its totals."));
  srv_vars_html (vars, "list", list);
  srv_page_reply (page, "reports", _("Reports"), srv_template_render ("reports", vars));
}

void
srv_console_report (SrvPage *page)
{
  const MdnReportDef *def = mdn_report_lookup (page->sub + strlen ("reports/"));
  const char *format_name = srv_page_arg (page, "format");
  const char *branch = srv_page_arg (page, "branch");
  MdnReportFormat format = MDN_REPORT_XLSX;
  MdnReportQuery q = { 0 };
  g_autoptr(GError) error = NULL;
  const char *const *mine = srv_page_branches (page);
  gboolean busy = FALSE;

  if (def == NULL)
    {
      srv_page_error (page, SOUP_STATUS_NOT_FOUND, _("There is no such page"));
      return;
    }
  if (branch && *branch == '\0')
    branch = NULL;
  if (branch == NULL && mine && mine[0] && !mine[1])
    branch = mine[0];
  if ((branch && !srv_page_sees_branch (page, branch)) || (branch == NULL && mine))
    {
      srv_page_audit (page, "refused", branch, FALSE, "report of another region", NULL);
      srv_page_error (page, SOUP_STATUS_FORBIDDEN, _("This branch is not one of yours"));
      return;
    }
  if (format_name == NULL || (!g_str_equal (format_name, "xlsx") && !g_str_equal (format_name, "csv")) ||
      !mdn_report_format_parse (format_name, &format))
    format = MDN_REPORT_XLSX;
  q.from = srv_page_arg (page, "from");
  q.to = srv_page_arg (page, "to");
  q.branch = branch;
  if (q.from == NULL || q.to == NULL)
    {
      srv_page_error (page, SOUP_STATUS_BAD_REQUEST, _("Give from=YYYY-MM-DD and to=YYYY-MM-DD"));
      return;
    }
  /* Built by a report worker off the main loop (srv-reports.c). */
  if (!srv_report_start (page->req->srv, page->req->msg, def, &q, format, branch ? branch : _("whole chain"), TRUE,
                         FALSE, &busy, &error))
    {
      if (busy)
        {
          soup_message_headers_replace (soup_server_message_get_response_headers (page->req->msg), "Retry-After",
                                        SRV_REPORT_RETRY_AFTER);
          srv_page_error (page, SOUP_STATUS_SERVICE_UNAVAILABLE,
                          _("Other reports are being prepared; ask again in a few seconds"));
        }
      else
        srv_page_error (page, srv_error_status (error), error->message);
    }
}
