/* srv-reports.c: the consolidated summary and /metrics. */
#define G_LOG_DOMAIN "srv-reports"

#include <glib/gi18n-lib.h>

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "mdn-figures.h"
#include "mdn-report-export.h"
#include "srv-server.h"

static JsonObject *
summary_json (const SrvSummaryRow *row)
{
  JsonObject *o = json_object_new ();

  if (row->branch)
    json_object_set_string_member (o, "branch", row->branch);
  mdn_figures_to_json (&row->flows, o, TRUE);
  json_object_set_int_member (o, "liability_principal_fen", row->principal);
  json_object_set_int_member (o, "liability_bonus_fen", row->bonus);
  json_object_set_int_member (o, "liability_fen", row->principal + row->bonus);   /* checked by the store */
  return o;
}

/* GET /api/v1/reports/NAME?from=&to=[&branch=B01][&format=json|csv|xlsx]
 * [&staff=][&member=][&sku=][&category=]: every row of a report of the
 * chain (or one branch), written to a temporary file in constant memory
 * and sent from it (mapped, not read into memory); never capped. */
static void
handle_report_named (SrvRequest *req,
                     const char *name)
{
  const MdnReportDef *def = mdn_report_lookup (name);
  const char *format_name = srv_query_get (req, "format");
  MdnReportFormat format = MDN_REPORT_JSON;
  MdnReportQuery q = { 0 };
  MdnReportExportOptions o = { 0 };
  g_autoptr(GError) error = NULL;
  g_autofree char *tmp = NULL, *exported = NULL, *disposition = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GBytes) bytes = NULL;
  SoupMessageHeaders *headers;
  int fd;

  if (def == NULL)
    {
      srv_reply_error (req, SOUP_STATUS_NOT_FOUND, "invalid_request", _("There is no such report"));
      return;
    }
  if (format_name && !mdn_report_format_parse (format_name, &format))
    {
      srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request", _("format is json, csv or xlsx"));
      return;
    }
  q.from = srv_query_get (req, "from");
  q.to = srv_query_get (req, "to");
  q.branch = srv_query_get (req, "branch");
  q.staff = srv_query_get (req, "staff");
  q.member = srv_query_get (req, "member");
  q.sku = srv_query_get (req, "sku");
  q.category = srv_query_get (req, "category");
  if (q.from == NULL || q.to == NULL)
    {
      srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                       _("Give from=YYYY-MM-DD and to=YYYY-MM-DD"));
      return;
    }
  exported = g_date_time_format (now, "%Y-%m-%d %H:%M");
  o.exported_at = exported;
  o.shop = q.branch ? q.branch : _("whole chain");
  fd = g_file_open_tmp ("mendian-report-XXXXXX", &tmp, &error);
  if (fd < 0)
    {
      srv_reply_gerror (req, error);
      return;
    }
  close (fd);
  if (!srv_store_report (req->store, def, &q, format, tmp, &o, NULL, &error) ||
      (mapped = g_mapped_file_new (tmp, FALSE, &error)) == NULL)
    {
      g_unlink (tmp);
      srv_reply_gerror (req, error);
      return;
    }
  /* The mapping stays readable after the name is gone. */
  g_unlink (tmp);
  bytes = g_mapped_file_get_bytes (mapped);
  headers = soup_server_message_get_response_headers (req->msg);
  soup_message_headers_set_content_type (headers, mdn_report_format_content_type (format), NULL);
  if (format != MDN_REPORT_JSON)
    {
      disposition = g_strdup_printf ("attachment; filename=\"%s-%s-%s.%s\"", def->name, q.from, q.to,
                                     format == MDN_REPORT_CSV ? "csv" : "xlsx");
      soup_message_headers_replace (headers, "Content-Disposition", disposition);
    }
  soup_server_message_set_status (req->msg, SOUP_STATUS_OK, NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body (req->msg), bytes);
}

static void
handle_report (SrvRequest *req)
{
  handle_report_named (req, req->path + strlen ("/api/v1/reports/"));
}

/* GET /api/v1/hq/reports/NAME?…: the same for the HQ terminal, with its
 * own sync token (the POS's 报表 page there); other branches' tokens are
 * refused. */
static void
handle_hq_report (SrvRequest *req)
{
  if (req->branch == NULL || !req->branch->hq)
    {
      srv_reply_error (req, SOUP_STATUS_FORBIDDEN, "unauthorized",
                       _("The chain's reports are for head office"));
      return;
    }
  handle_report_named (req, req->path + strlen ("/api/v1/hq/reports/"));
}

/* GET /api/v1/reports/summary?from=YYYY-MM-DD&to=YYYY-MM-DD[&branch=B01]:
 * the period's totals; with format=, the summary report (per day and
 * branch). */
static void
handle_summary (SrvRequest *req)
{
  const char *from = srv_query_get (req, "from");
  const char *to = srv_query_get (req, "to");
  g_autoptr(GError) error = NULL;
  g_autoptr(SrvSummary) summary = NULL;
  g_autoptr(JsonObject) out = NULL;
  JsonArray *list;

  if (srv_query_get (req, "format"))
    {
      handle_report_named (req, "summary");
      return;
    }
  if (from == NULL || to == NULL)
    {
      srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                       _("Give from=YYYY-MM-DD and to=YYYY-MM-DD"));
      return;
    }
  summary = srv_store_summary (req->store, from, to, srv_query_get (req, "branch"), &error);
  if (summary == NULL)
    {
      srv_reply_gerror (req, error);
      return;
    }
  out = json_object_new ();
  list = json_array_new ();
  for (guint i = 0; i < summary->branches->len; i++)
    json_array_add_object_element (list, summary_json (g_ptr_array_index (summary->branches, i)));
  json_object_set_string_member (out, "from", from);
  json_object_set_string_member (out, "to", to);
  json_object_set_array_member (out, "branches", list);
  json_object_set_object_member (out, "chain", summary_json (&summary->chain));
  srv_reply_ok (req, out);
}

/* GET /metrics in Prometheus text format. */
static void
handle_metrics (SrvRequest *req)
{
  SrvCounters *c = srv_server_counters (req->srv);
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(GError) error = NULL;

  srv_metric (out, "counter", "mendian_http_requests_total", "HTTP requests received.", c->requests);
  srv_metric (out, "counter", "mendian_pushes_total", "Push requests received.", c->pushes);
  srv_metric (out, "counter", "mendian_push_entries_total", "Entries stored from pushes.", c->push_entries);
  srv_metric (out, "counter", "mendian_push_duplicates_total", "Pushed entries the server already held.", c->push_duplicates);
  srv_metric (out, "counter", "mendian_push_failures_total", "Push requests refused.", c->push_failures);
  srv_metric (out, "counter", "mendian_auth_failures_total", "Requests with an unknown or revoked token.", c->auth_failures);
  srv_metric (out, "counter", "mendian_bad_requests_total", "Requests refused as malformed.", c->bad_requests);
  srv_metric (out, "counter", "mendian_authorizations_total", "Authorization requests.", c->authorizations);
  srv_metric (out, "counter", "mendian_notify_connections_total", "Notify WebSocket connections accepted.", c->notify_clients);
  srv_server_write_metrics (req->srv, out);
  if (!srv_store_metrics (req->store, out, &error))
    {
      srv_reply_gerror (req, error);
      return;
    }
  srv_reply_text (req, SOUP_STATUS_OK, "text/plain; version=0.0.4", g_string_free (g_steal_pointer (&out), FALSE));
}

const SrvRoute srv_report_routes[] = {
  { "GET", "/api/v1/reports/summary", SRV_AUTH_HQ,   handle_summary },
  { "GET", "/metrics",                SRV_AUTH_HQ,   handle_metrics },
  { "GET", "/api/v1/reports/",        SRV_AUTH_HQ,   handle_report },
  { "GET", "/api/v1/hq/reports/",     SRV_AUTH_BRANCH, handle_hq_report },
  { NULL }
};
