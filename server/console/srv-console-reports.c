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
  MdnReportExportOptions o = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = NULL, *disposition = NULL, *exported = NULL;
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GDateTime) now = mdn_clock_now ();
  SoupMessageHeaders *headers;
  const char *const *mine = srv_page_branches (page);
  int fd;

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
  exported = g_date_time_format (now, "%Y-%m-%d %H:%M");
  o.exported_at = exported;
  o.shop = branch ? branch : _("whole chain");
  fd = g_file_open_tmp ("mendian-console-report-XXXXXX", &tmp, &error);
  if (fd < 0)
    {
      srv_page_error (page, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  close (fd);
  if (!srv_store_report (page->console->store, def, &q, format, tmp, &o, NULL, &error) ||
      (mapped = g_mapped_file_new (tmp, FALSE, &error)) == NULL)
    {
      g_unlink (tmp);
      srv_page_error (page, srv_error_status (error), error->message);
      return;
    }
  g_unlink (tmp);
  bytes = g_mapped_file_get_bytes (mapped);
  headers = soup_server_message_get_response_headers (page->req->msg);
  soup_message_headers_set_content_type (headers, mdn_report_format_content_type (format), NULL);
  disposition = g_strdup_printf ("attachment; filename=\"%s-%s-%s.%s\"", def->name, q.from, q.to,
                                 format == MDN_REPORT_CSV ? "csv" : "xlsx");
  soup_message_headers_replace (headers, "Content-Disposition", disposition);
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
  soup_server_message_set_status (page->req->msg, SOUP_STATUS_OK, NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body (page->req->msg), bytes);
}
