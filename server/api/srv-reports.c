/* srv-reports.c: the consolidated summary, the reports (built by worker
 * threads, see below) and /metrics. */
#define G_LOG_DOMAIN "srv-reports"

#include <glib/gi18n-lib.h>

#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "mdn-clock.h"
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

/* Report workers ---------------------------------------------------------------
 *
 * A report is built off the main loop, in a GTask thread with a store of its
 * own opened from the server's --db value by srv_store_open (so pushes,
 * feeds and the console go on while a large export is written), at most
 * SRV_REPORTS_AT_ONCE at a time; one more is answered 503 with Retry-After.
 * The message is paused meanwhile and answered from the main thread. */


typedef struct
{
  SrvServer          *srv;
  SoupServerMessage  *msg;
  gulong              finished_id;
  gboolean            gone;        /* the client went away */
  gboolean            hold;        /* the tests' hook, see test_hold */
  gboolean            download;    /* the console's: always an attachment, not cached */
  char               *db_path;
  char               *report_dsn;  /* --report-dsn: the worker reads the replica too */
  const MdnReportDef *def;
  MdnReportFormat     format;
  char               *from, *to, *branch, *staff, *member, *sku, *category;
  char               *exported_at, *shop, *tmp;
} ReportJob;

static void
report_job_free (gpointer data)
{
  ReportJob *job = data;

  if (job->finished_id)
    g_signal_handler_disconnect (job->msg, job->finished_id);
  g_clear_object (&job->msg);
  if (job->tmp)
    g_unlink (job->tmp);
  g_free (job->tmp);
  g_free (job->db_path);
  g_free (job->report_dsn);
  g_free (job->from);
  g_free (job->to);
  g_free (job->branch);
  g_free (job->staff);
  g_free (job->member);
  g_free (job->sku);
  g_free (job->category);
  g_free (job->exported_at);
  g_free (job->shop);
  g_free (job);
}

static void
report_msg_finished (SoupServerMessage *msg,
                     gpointer           data)
{
  ReportJob *job = data;

  job->gone = TRUE;
}

/* The tests' hook (tests/test-report.c /report/worker): with
 * MENDIAN_TEST_REPORT_HOLD=DIR in the environment, a report asked with
 * test_hold=1 writes a byte to the FIFO DIR/held once its worker runs and
 * then waits for a byte on DIR/release: the test knows the worker is busy
 * and decides when it ends, without timing. */
static void
test_hold (void)
{
  const char *dir = g_getenv ("MENDIAN_TEST_REPORT_HOLD");
  g_autofree char *held = NULL, *release = NULL;
  char c = 'h';
  int fd;

  if (dir == NULL)
    return;
  held = g_build_filename (dir, "held", NULL);
  release = g_build_filename (dir, "release", NULL);
  if ((fd = open (held, O_WRONLY)) >= 0)
    {
      if (write (fd, &c, 1) != 1)
        g_warning ("test hold: %s", g_strerror (errno));
      close (fd);
    }
  if ((fd = open (release, O_RDONLY)) >= 0)
    {
      if (read (fd, &c, 1) != 1)
        g_warning ("test release: %s", g_strerror (errno));
      close (fd);
    }
}

static void
report_thread (GTask        *task,
               gpointer      source,
               gpointer      data,
               GCancellable *cancellable)
{
  ReportJob *job = data;
  g_autoptr(SrvStore) store = NULL;
  g_autoptr(GError) error = NULL;
  MdnReportQuery q = { job->from, job->to, job->branch, job->staff, job->member, job->sku, job->category };
  MdnReportExportOptions o = { 0 };

  if (job->hold)
    test_hold ();
  o.exported_at = job->exported_at;
  o.shop = job->shop;
  /* Its own store: a read transaction on its own connection (any backend),
     and on PostgreSQL with --report-dsn its own connection to the replica,
     which srv_store_report reads (REPLICA_READS). */
  store = srv_store_open (job->db_path, FALSE, &error);
  if (store && job->report_dsn && !srv_store_set_report_dsn (store, job->report_dsn, &error))
    g_clear_pointer (&store, srv_store_free);
  if (store == NULL || !srv_store_report (store, job->def, &q, job->format, job->tmp, &o, NULL, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
report_done (GObject      *source,
             GAsyncResult *result,
             gpointer      data)
{
  ReportJob *job = g_task_get_task_data (G_TASK (result));
  SrvRequest req = { .srv = job->srv, .msg = job->msg, .path = g_uri_get_path (soup_server_message_get_uri (job->msg)) };
  g_autoptr(GError) error = NULL;
  g_autoptr(GMappedFile) mapped = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autofree char *disposition = NULL;
  SoupMessageHeaders *headers;

  srv_server_report_slot_give (job->srv);
  if (job->gone)
    return;
  srv_server_hold_request (job->srv, job->msg, FALSE);
  if (!g_task_propagate_boolean (G_TASK (result), &error) ||
      (mapped = g_mapped_file_new (job->tmp, FALSE, &error)) == NULL)
    {
      srv_reply_gerror (&req, error);
      soup_server_message_unpause (job->msg);
      return;
    }
  /* The mapping stays readable after the name is gone. */
  g_unlink (job->tmp);
  bytes = g_mapped_file_get_bytes (mapped);
  headers = soup_server_message_get_response_headers (job->msg);
  soup_message_headers_set_content_type (headers, mdn_report_format_content_type (job->format), NULL);
  if (job->format != MDN_REPORT_JSON)
    {
      disposition = g_strdup_printf ("attachment; filename=\"%s-%s-%s.%s\"", job->def->name, job->from, job->to,
                                     job->format == MDN_REPORT_CSV ? "csv" : "xlsx");
      soup_message_headers_replace (headers, "Content-Disposition", disposition);
    }
  if (job->download)
    {
      soup_message_headers_replace (headers, "Cache-Control", "no-store");
      soup_message_headers_replace (headers, "X-Content-Type-Options", "nosniff");
    }
  soup_server_message_set_status (job->msg, SOUP_STATUS_OK, NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body (job->msg), bytes);
  soup_server_message_unpause (job->msg);
}

/* GET /api/v1/reports/NAME?from=&to=[&branch=B01][&format=json|csv|xlsx]
 * [&staff=][&member=][&sku=][&category=]: every row of a report of the
 * chain (or one branch), written by a worker to a temporary file in
 * constant memory and sent from it (mapped, not read into memory); never
 * capped. */
static void
handle_report_named (SrvRequest *req,
                     const char *name)
{
  const MdnReportDef *def = mdn_report_lookup (name);
  const char *format_name = srv_query_get (req, "format");
  MdnReportFormat format = MDN_REPORT_JSON;
  MdnReportQuery q = { 0 };
  g_autoptr(GError) error = NULL;
  gboolean busy = FALSE;

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
  if (!srv_report_start (req->srv, req->msg, def, &q, format, q.branch ? q.branch : _("whole chain"), FALSE,
                         g_strcmp0 (srv_query_get (req, "test_hold"), "1") == 0, &busy, &error))
    {
      if (busy)
        {
          soup_message_headers_replace (soup_server_message_get_response_headers (req->msg), "Retry-After",
                                        SRV_REPORT_RETRY_AFTER);
          srv_reply_error (req, SOUP_STATUS_SERVICE_UNAVAILABLE, "busy",
                           _("Other reports are being prepared; ask again in a few seconds"));
        }
      else
        srv_reply_gerror (req, error);
    }
}

gboolean
srv_report_start (SrvServer            *srv,
                  SoupServerMessage    *msg,
                  const MdnReportDef   *def,
                  const MdnReportQuery *q,
                  MdnReportFormat       format,
                  const char           *shop,
                  gboolean              download,
                  gboolean              hold,
                  gboolean             *busy,
                  GError              **error)
{
  g_autoptr(GDateTime) now = mdn_clock_now ();
  g_autoptr(GTask) task = NULL;
  ReportJob *job;
  int fd;

  g_return_val_if_fail (srv != NULL && msg != NULL && def != NULL && q != NULL && busy != NULL, FALSE);

  *busy = FALSE;
  if (srv_server_db_path (srv) == NULL)
    {
      g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INTERNAL, _("The server's database is not known"));
      return FALSE;
    }
  if (!srv_server_report_slot_take (srv, SRV_REPORTS_AT_ONCE))
    {
      *busy = TRUE;
      return FALSE;
    }

  job = g_new0 (ReportJob, 1);
  job->srv = srv;
  job->msg = g_object_ref (msg);
  job->db_path = g_strdup (srv_server_db_path (srv));
  job->report_dsn = g_strdup (srv_server_report_dsn (srv));
  job->def = def;
  job->format = format;
  job->from = g_strdup (q->from);
  job->to = g_strdup (q->to);
  job->branch = g_strdup (q->branch);
  job->staff = g_strdup (q->staff);
  job->member = g_strdup (q->member);
  job->sku = g_strdup (q->sku);
  job->category = g_strdup (q->category);
  job->exported_at = g_date_time_format (now, "%Y-%m-%d %H:%M");
  job->shop = g_strdup (shop);
  job->hold = hold;
  job->download = download;
  fd = g_file_open_tmp ("mendian-report-XXXXXX", &job->tmp, error);
  if (fd < 0)
    {
      srv_server_report_slot_give (srv);
      report_job_free (job);
      return FALSE;
    }
  close (fd);
  job->finished_id = g_signal_connect (job->msg, "finished", G_CALLBACK (report_msg_finished), job);

  soup_server_message_pause (msg);
  srv_server_hold_request (srv, msg, TRUE);
  task = g_task_new (NULL, NULL, report_done, NULL);
  g_task_set_task_data (task, job, report_job_free);
  g_task_run_in_thread (task, report_thread);
  return TRUE;
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
