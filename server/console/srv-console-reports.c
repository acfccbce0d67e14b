/* srv-console-reports.c: the reports page (报表): every report of
 * common/reports (mdn_reports) with its filters, its rows on the page
 * (PAGE_ROWS at a time, through mdn_report_page's after/next) and the
 * totals of every row, and downloaded as Excel or CSV through
 * srv_store_report, the same export the report API streams (every row). */
#define G_LOG_DOMAIN "srv-console"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "mdn-clock.h"
#include "mdn-report-export.h"
#include "mdn-report.h"
#include "srv-console-private.h"

#define PAGE_ROWS 50

static const struct
{
  const char *name;
  const char *label;
} filter_labels[] = {
  { "staff",    N_("Staff") },
  { "member",   N_("Card number") },
  { "sku",      N_("Product code") },
  { "category", N_("Category") },
};

static gboolean
takes (const MdnReportDef *def,
       const char         *filter)
{
  return def->filters && g_strv_contains ((const char *const *) def->filters, filter);
}

static char *
first_of_month (const char *today)
{
  char *first = g_strdup (today);

  first[8] = '0';
  first[9] = '1';
  return first;
}

void
srv_console_reports (SrvPage *page)
{
  g_autoptr(GHashTable) vars = srv_vars_new ();
  g_autofree char *today = srv_console_today (page->console->store);
  g_autofree char *first = first_of_month (today);
  const char *const *mine = srv_page_branches (page);
  const char *branch = mine && mine[0] && !mine[1] ? mine[0] : "";
  SrvHtml *list = srv_html_new ();

  srv_html_append (list, "<table><thead><tr><th>%s</th><th>%s</th></tr></thead><tbody>", _("Report"),
                   _("Period, branch and download"));
  for (const MdnReportDef *const *d = mdn_reports (); *d; d++)
    srv_html_append (list,
                     "<tr><td><a href=\"/console/reports/%s?from=%s&amp;to=%s&amp;branch=%s\">%s</a></td>"
                     "<td><form method=\"get\" action=\"/console/reports/%s\" class=\"filters\">"
                     "<label>%s <input type=\"date\" name=\"from\" value=\"%s\" required></label>"
                     "<label>%s <input type=\"date\" name=\"to\" value=\"%s\" required></label>"
                     "<label>%s <input name=\"branch\" size=\"6\" value=\"%s\"></label>"
                     "<button type=\"submit\">%s</button>"
                     "<button type=\"submit\" name=\"format\" value=\"xlsx\">%s</button>"
                     "<button type=\"submit\" name=\"format\" value=\"csv\">%s</button></form></td></tr>",
                     (*d)->name, first, today, branch, _((*d)->title), (*d)->name, _("From"), first, _("To"), today,
                     _("Branch"), branch, _("Show"), _("Excel"), _("CSV"));
  srv_html_append (list, "</tbody></table>");
  srv_vars_text (vars, "title", _("Reports"));
  srv_vars_text (vars, "what", _("Every report of the chain, from the same definitions the branches run: open one to "
                                 "see its rows page by page with the totals of every row; the download holds every "
                                 "row with its totals."));
  srv_vars_html (vars, "list", list);
  srv_page_reply (page, "reports", _("Reports"), srv_template_render ("reports", vars));
}

/* A cell of a report page, as people read it. */
static void
append_cell (SrvPage               *page,
             SrvHtml               *h,
             const MdnReportColumn *col,
             JsonNode              *node)
{
  gint64 v;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      srv_html_append (h, "<td></td>");
      return;
    }
  switch (col->type)
    {
    case MDN_COL_FEN:
      srv_html_append (h, "<td class=\"num\">%M</td>", json_node_get_int (node));
      break;
    case MDN_COL_INT:
      srv_html_append (h, "<td class=\"num\">%L</td>", json_node_get_int (node));
      break;
    case MDN_COL_PERCENT:
      {
        g_autofree char *pct = NULL;

        v = json_node_get_int (node);
        pct = g_strdup_printf ("%s%" G_GINT64_FORMAT ".%02d %%", v < 0 ? "-" : "", ABS (v) / 100,
                               (int) (ABS (v) % 100));
        srv_html_append (h, "<td class=\"num\">%s</td>", pct);
      }
      break;
    case MDN_COL_TIME:
      {
        g_autofree char *at = srv_page_time (page, json_node_get_string (node));

        srv_html_append (h, "<td>%s</td>", at);
      }
      break;
    default:
      srv_html_append (h, "<td>%s</td>", json_node_get_string (node));
    }
}

static const char *
query_value (const MdnReportQuery *q,
             const char           *name)
{
  if (g_str_equal (name, "staff"))
    return q->staff;
  if (g_str_equal (name, "member"))
    return q->member;
  if (g_str_equal (name, "sku"))
    return q->sku;
  return q->category;
}

/* The query string of this report's filters (without after and format). */
static char *
query_of (const MdnReportQuery *q)
{
  g_autoptr(GHashTable) f = g_hash_table_new (g_str_hash, g_str_equal);

  g_hash_table_insert (f, "from", (gpointer) q->from);
  g_hash_table_insert (f, "to", (gpointer) q->to);
  if (q->branch)
    g_hash_table_insert (f, "branch", (gpointer) q->branch);
  if (q->staff)
    g_hash_table_insert (f, "staff", (gpointer) q->staff);
  if (q->member)
    g_hash_table_insert (f, "member", (gpointer) q->member);
  if (q->sku)
    g_hash_table_insert (f, "sku", (gpointer) q->sku);
  if (q->category)
    g_hash_table_insert (f, "category", (gpointer) q->category);
  return soup_form_encode_hash (f);
}

static const char *
opt_arg (SrvPage    *page,
         const char *name)
{
  const char *v = srv_page_arg (page, name);

  return v && *v ? v : NULL;
}

/* GET /console/reports/NAME?from=&to=&branch=&…[&after=]: the report on
 * the page, PAGE_ROWS rows at a time (mdn_report_page's after and next),
 * with the totals of every row. */
static void
report_page (SrvPage              *page,
             const MdnReportDef   *def,
             const MdnReportQuery *q)
{
  g_autoptr(GHashTable) vars = srv_vars_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) result = NULL;
  g_autofree char *query = query_of (q);
  const char *after = opt_arg (page, "after");
  SrvHtml *form = srv_html_new (), *table = srv_html_new (), *pager = srv_html_new ();
  JsonObject *totals;
  JsonArray *rows;
  gint64 count, skip = 0;
  const char *next;
  gboolean any_total = FALSE;

  srv_html_append (form,
                   "<form method=\"get\" action=\"/console/reports/%s\" class=\"filters\">"
                   "<label>%s <input type=\"date\" name=\"from\" value=\"%s\" required></label>"
                   "<label>%s <input type=\"date\" name=\"to\" value=\"%s\" required></label>"
                   "<label>%s <input name=\"branch\" size=\"6\" value=\"%s\"></label>",
                   def->name, _("From"), q->from, _("To"), q->to, _("Branch"), q->branch ? q->branch : "");
  for (guint i = 0; i < G_N_ELEMENTS (filter_labels); i++)
    if (takes (def, filter_labels[i].name))
      {
        const char *v = query_value (q, filter_labels[i].name);

        srv_html_append (form, "<label>%s <input name=\"%s\" size=\"10\" value=\"%s\"></label>",
                         _(filter_labels[i].label), filter_labels[i].name, v ? v : "");
      }
  srv_html_append (form,
                   "<button type=\"submit\">%s</button>"
                   "<button type=\"submit\" name=\"format\" value=\"xlsx\">%s</button>"
                   "<button type=\"submit\" name=\"format\" value=\"csv\">%s</button></form>",
                   _("Show"), _("Download Excel"), _("Download CSV"));
  srv_vars_html (vars, "form", form);
  srv_vars_text (vars, "title", _(def->title));

  result = srv_console_report_page (page->console->store, def, q, PAGE_ROWS, after, &error);
  if (result == NULL)
    {
      srv_html_append (table, "<p class=\"error\" role=\"alert\">%s</p>", error->message);
      srv_vars_html (vars, "table", table);
      srv_vars_html (vars, "pager", pager);
      srv_vars_text (vars, "count", "");
      srv_page_reply (page, "reports", _(def->title), srv_template_render ("report", vars));
      return;
    }
  rows = json_object_get_array_member (result, "rows");
  totals = json_object_get_object_member (result, "totals");
  count = json_object_get_int_member (result, "count");
  next = json_object_get_null_member (result, "next") ? NULL : json_object_get_string_member (result, "next");
  if (after)
    g_ascii_string_to_signed (after, 10, 0, G_MAXINT64, &skip, NULL);

  srv_html_append (table, "<table class=\"report\"><thead><tr>");
  for (guint i = 0; def->columns[i].key; i++)
    {
      MdnColType t = def->columns[i].type;
      gboolean num = t == MDN_COL_FEN || t == MDN_COL_INT || t == MDN_COL_PERCENT;

      if (num)
        srv_html_append (table, "<th class=\"num\">%s</th>", _(def->columns[i].title));
      else
        srv_html_append (table, "<th>%s</th>", _(def->columns[i].title));
      any_total |= def->columns[i].total;
    }
  srv_html_append (table, "</tr></thead><tbody>");
  for (guint r = 0; r < json_array_get_length (rows); r++)
    {
      JsonObject *row = json_array_get_object_element (rows, r);

      srv_html_append (table, "<tr>");
      for (guint i = 0; def->columns[i].key; i++)
        append_cell (page, table, &def->columns[i], json_object_get_member (row, def->columns[i].key));
      srv_html_append (table, "</tr>");
    }
  srv_html_append (table, "</tbody>");
  if (any_total)
    {
      srv_html_append (table, "<tfoot><tr class=\"totals\">");
      for (guint i = 0; def->columns[i].key; i++)
        {
          if (i == 0 && !def->columns[i].total)
            srv_html_append (table, "<th>%s</th>", _("Total (every row)"));
          else if (def->columns[i].total)
            {
              MdnColType t = def->columns[i].type;
              gint64 v = json_object_get_int_member_with_default (totals, def->columns[i].key, 0);

              if (t == MDN_COL_FEN)
                srv_html_append (table, "<th class=\"num\">%M</th>", v);
              else
                srv_html_append (table, "<th class=\"num\">%L</th>", v);
            }
          else
            srv_html_append (table, "<th></th>");
        }
      srv_html_append (table, "</tr></tfoot>");
    }
  srv_html_append (table, "</table>");
  if (json_array_get_length (rows) == 0)
    srv_html_append (table, "<p class=\"empty\">%s</p>", _("No rows in this period."));

  if (skip > 0)
    {
      g_autofree char *prev = g_strdup_printf ("%" G_GINT64_FORMAT, MAX (skip - PAGE_ROWS, 0));

      if (skip - PAGE_ROWS > 0)
        srv_html_append (pager, "<a rel=\"prev\" href=\"/console/reports/%s?%s&amp;after=%s\">%s</a> ",
                         def->name, query, prev, _("Previous page"));
      else
        srv_html_append (pager, "<a rel=\"prev\" href=\"/console/reports/%s?%s\">%s</a> ", def->name, query,
                         _("Previous page"));
    }
  if (next)
    srv_html_append (pager, "<a rel=\"next\" href=\"/console/reports/%s?%s&amp;after=%s\">%s</a>", def->name,
                     query, next, _("Next page"));
  {
    g_autofree char *shown = g_strdup_printf (_("Rows %" PRId64 "–%" PRId64 " of %" PRId64),
                                              json_array_get_length (rows) ? skip + 1 : 0,
                                              json_array_get_length (rows) ? skip + json_array_get_length (rows) : 0,
                                              count);

    srv_vars_text (vars, "count", shown);
  }
  srv_vars_html (vars, "table", table);
  srv_vars_html (vars, "pager", pager);
  srv_page_reply (page, "reports", _(def->title), srv_template_render ("report", vars));
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
  q.from = srv_page_arg (page, "from");
  q.to = srv_page_arg (page, "to");
  q.branch = branch;
  q.staff = takes (def, "staff") ? opt_arg (page, "staff") : NULL;
  q.member = takes (def, "member") ? opt_arg (page, "member") : NULL;
  q.sku = takes (def, "sku") ? opt_arg (page, "sku") : NULL;
  q.category = takes (def, "category") ? opt_arg (page, "category") : NULL;
  if (format_name == NULL || *format_name == '\0')
    {
      g_autofree char *today = srv_console_today (page->console->store);
      g_autofree char *first = first_of_month (today);

      if (q.from == NULL || *q.from == '\0')
        q.from = first;
      if (q.to == NULL || *q.to == '\0')
        q.to = today;
      report_page (page, def, &q);
      return;
    }
  if ((!g_str_equal (format_name, "xlsx") && !g_str_equal (format_name, "csv")) ||
      !mdn_report_format_parse (format_name, &format))
    format = MDN_REPORT_XLSX;
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
