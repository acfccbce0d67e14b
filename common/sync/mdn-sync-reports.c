/* mdn-sync-reports.c: the chain's reports at the HQ terminal, from the
 * server (mdn-sync-reports.h). */
#define G_LOG_DOMAIN "mdn-sync"

#include <glib/gi18n-lib.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "mdn-error.h"
#include "mdn-sync-private.h"
#include "mdn-sync-reports.h"

static gboolean
allowed (MdnOpCtx *ctx,
         GError  **error)
{
  if (!ctx->store->hq)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_HQ_ONLY,
                           _("The chain's reports are head office's: use the HQ terminal"));
      return FALSE;
    }
  if (ctx->role < MDN_ROLE_MANAGER)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_PERMISSION_DENIED, _("Only a manager may export reports"));
      return FALSE;
    }
  return TRUE;
}

static void
add_param (GString    *s,
           const char *name,
           const char *value)
{
  g_autofree char *v = NULL;

  if (value == NULL)
    return;
  v = g_uri_escape_string (value, NULL, FALSE);
  g_string_append_printf (s, "&%s=%s", name, v);
}

static char *
report_path (const char           *name,
             const MdnReportQuery *q,
             const char           *format)
{
  g_autofree char *n = g_uri_escape_string (name, NULL, FALSE);
  GString *s = g_string_new (NULL);

  g_string_append_printf (s, "/api/v1/hq/reports/%s?format=%s", n, format);
  add_param (s, "from", q->from);
  add_param (s, "to", q->to);
  add_param (s, "branch", q->branch);
  add_param (s, "staff", q->staff);
  add_param (s, "member", q->member);
  add_param (s, "sku", q->sku);
  add_param (s, "category", q->category);
  return g_string_free (s, FALSE);
}

JsonObject *
mdn_sync_report_fetch (MdnOpCtx             *ctx,
                       const char           *name,
                       const MdnReportQuery *query,
                       GCancellable         *cancellable,
                       GError              **error)
{
  g_auto(Client) c = { 0 };
  g_autofree char *path = NULL;

  g_return_val_if_fail (ctx != NULL && name != NULL && query != NULL, NULL);

  if (!allowed (ctx, error) || !mdn_sync_client_init (&c, ctx->store, error))
    return NULL;
  path = report_path (name, query, "json");
  return mdn_sync_client_call (&c, "GET", path, NULL, cancellable, NULL, error);
}

gboolean
mdn_sync_report_download (MdnOpCtx             *ctx,
                          const char           *name,
                          const MdnReportQuery *query,
                          MdnReportFormat       format,
                          const char           *path,
                          MdnReportProgress     progress,
                          gpointer              progress_data,
                          GCancellable         *cancellable,
                          GError              **error)
{
  static const char *const names[] = { "json", "csv", "xlsx" };
  g_auto(Client) c = { 0 };
  g_autofree char *url_path = NULL, *part = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GInputStream) in = NULL;
  g_autoptr(GFile) file = NULL;
  g_autoptr(GFileOutputStream) out = NULL;
  g_autoptr(GError) local_error = NULL;
  char buf[65536];
  gint64 total = 0;
  gssize n;
  int fd;

  g_return_val_if_fail (ctx != NULL && name != NULL && query != NULL && path != NULL, FALSE);

  if (!allowed (ctx, error) || !mdn_sync_client_init (&c, ctx->store, error))
    return FALSE;
  url_path = report_path (name, query, names[format]);
  msg = mdn_sync_client_message (&c, "GET", url_path);
  if (msg == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("Bad server URL %s"), c.base);
      return FALSE;
    }
  in = soup_session_send (c.session, msg, cancellable, &local_error);
  if (in == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, MDN_ERROR, MDN_ERROR_OFFLINE, _("The server at %s can't be reached: %s"), c.base,
                     local_error->message);
      return FALSE;
    }
  if (soup_message_get_status (msg) != SOUP_STATUS_OK)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_SYNC_REFUSED, _("The server answered %u %s"),
                   soup_message_get_status (msg), soup_message_get_reason_phrase (msg));
      return FALSE;
    }
  part = g_strdup_printf ("%s.part", path);
  fd = g_open (part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      int e = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), _("Could not write %s: %s"), path, g_strerror (e));
      return FALSE;
    }
  close (fd);
  file = g_file_new_for_path (part);
  out = g_file_append_to (file, G_FILE_CREATE_PRIVATE, cancellable, error);
  if (out == NULL)
    goto fail;
  while ((n = g_input_stream_read (in, buf, sizeof buf, cancellable, error)) > 0)
    {
      if (!g_output_stream_write_all (G_OUTPUT_STREAM (out), buf, (gsize) n, NULL, cancellable, error))
        goto fail;
      total += n;
      if (progress)
        progress (total, -1, progress_data);
    }
  if (n < 0 || !g_output_stream_close (G_OUTPUT_STREAM (out), cancellable, error))
    goto fail;
  if (g_rename (part, path) < 0)
    {
      int e = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e), _("Could not write %s: %s"), path, g_strerror (e));
      goto fail;
    }
  return TRUE;

fail:
  g_unlink (part);
  return FALSE;
}
