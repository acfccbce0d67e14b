/* pos-printer.c */
#define G_LOG_DOMAIN "pos-printer"

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "mdn-clock.h"
#include "pos-forms.h"
#include "pos-printer.h"
#include "pos-views.h"

int
pos_printer_width (PosSession *session)
{
  g_autofree char *w = pos_session_dup_setting (session, "printer-width");

  return w && atoi (w) >= 16 ? atoi (w) : POS_RECEIPT_WIDTH_58MM;
}

/* Sending bytes ------------------------------------------------------------ */

static void
send_file_thread (GTask        *task,
                  gpointer      source,
                  gpointer      task_data,
                  GCancellable *cancellable)
{
  const char *path = g_object_get_data (G_OBJECT (task), "path");
  GBytes *data = task_data;
  gsize len = 0;
  const guint8 *p = g_bytes_get_data (data, &len);
  int fd = g_open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);

  if (fd < 0)
    {
      int e = errno;
      g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (e),
                               _("The receipt printer %s can't be opened: %s"), path, g_strerror (e));
      return;
    }
  while (len > 0)
    {
      gssize n = write (fd, p, len);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        {
          int e = errno;
          close (fd);
          g_task_return_new_error (task, G_IO_ERROR, g_io_error_from_errno (e),
                                   _("Writing to the receipt printer %s failed: %s"), path, g_strerror (e));
          return;
        }
      p += n;
      len -= n;
    }
  close (fd);
  g_task_return_boolean (task, TRUE);
}

static void
tcp_written (GObject      *stream,
             GAsyncResult *result,
             gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (stream), result, NULL, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
tcp_connected (GObject      *client,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(GSocketConnection) conn = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (client), result, &error);
  GBytes *data = g_task_get_task_data (task);
  GOutputStream *out;

  if (conn == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, error->code,
                               _("The network receipt printer can't be reached: %s"), error->message);
      g_error_free (error);
      return;
    }
  g_object_set_data_full (G_OBJECT (task), "conn", g_object_ref (conn), g_object_unref);
  out = g_io_stream_get_output_stream (G_IO_STREAM (conn));
  g_output_stream_write_all_async (out, g_bytes_get_data (data, NULL), g_bytes_get_size (data),
                                   G_PRIORITY_DEFAULT, g_task_get_cancellable (task),
                                   tcp_written, g_steal_pointer (&task));
}

void
pos_printer_send_async (const char          *target,
                        GBytes              *data,
                        GCancellable        *cancellable,
                        GAsyncReadyCallback  callback,
                        gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_task_set_source_tag (task, pos_printer_send_async);
  g_task_set_task_data (task, g_bytes_ref (data), (GDestroyNotify) g_bytes_unref);
  if (g_str_has_prefix (target, "file:"))
    {
      g_object_set_data_full (G_OBJECT (task), "path", g_strdup (target + 5), g_free);
      g_task_run_in_thread (task, send_file_thread);
    }
  else if (g_str_has_prefix (target, "tcp:"))
    {
      g_autoptr(GSocketClient) client = g_socket_client_new ();

      g_socket_client_set_timeout (client, 5);
      g_socket_client_connect_to_host_async (client, target + 4, 9100, cancellable,
                                             tcp_connected, g_steal_pointer (&task));
    }
  else
    g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                             _("“%s” is not a receipt printer; set it up from the menu"), target);
}

gboolean
pos_printer_send_finish (GAsyncResult *result,
                         GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

/* Printing ------------------------------------------------------------------ */

static void
sent (GObject      *source,
      GAsyncResult *result,
      gpointer      user_data)
{
  g_autoptr(GtkWidget) widget = user_data;
  g_autoptr(GError) error = NULL;

  if (!pos_printer_send_finish (result, &error))
    {
      g_autofree char *msg = g_strdup_printf (_("Receipt not printed: %s. The sale is saved; "
                                                "reprint it from the history."), error->message);
      g_warning ("%s", error->message);
      pos_toast (widget, msg);
    }
}

typedef struct
{
  char  **lines;
  guint   n_lines;
  guint   per_page;
} PrintJob;

static void
print_job_free (PrintJob *job)
{
  g_strfreev (job->lines);
  g_free (job);
}

static void
begin_print (GtkPrintOperation *op,
             GtkPrintContext   *context,
             PrintJob          *job)
{
  double height = gtk_print_context_get_height (context);

  job->per_page = MAX ((guint) (height / 14.0), 1);
  gtk_print_operation_set_n_pages (op, MAX ((job->n_lines + job->per_page - 1) / job->per_page, 1));
}

static void
draw_page (GtkPrintOperation *op,
           GtkPrintContext   *context,
           int                page,
           PrintJob          *job)
{
  cairo_t *cr = gtk_print_context_get_cairo_context (context);
  PangoLayout *layout = gtk_print_context_create_pango_layout (context);
  PangoFontDescription *font = pango_font_description_from_string ("Monospace 10");
  GString *text = g_string_new (NULL);

  for (guint i = page * job->per_page; i < MIN ((page + 1) * job->per_page, job->n_lines); i++)
    {
      g_string_append (text, job->lines[i]);
      g_string_append_c (text, '\n');
    }
  pango_layout_set_font_description (layout, font);
  pango_layout_set_text (layout, text->str, -1);
  cairo_move_to (cr, 0, 0);
  pango_cairo_show_layout (cr, layout);
  pango_font_description_free (font);
  g_object_unref (layout);
  g_string_free (text, TRUE);
}

static void
print_with_dialog (GtkWidget  *widget,
                   PosReceipt *receipt)
{
  g_autoptr(GtkPrintOperation) op = gtk_print_operation_new ();
  g_autofree char *text = pos_receipt_render_text (receipt);
  PrintJob *job = g_new0 (PrintJob, 1);
  GtkRoot *root = gtk_widget_get_root (widget);
  g_autoptr(GError) error = NULL;

  job->lines = g_strsplit (text, "\n", -1);
  job->n_lines = g_strv_length (job->lines);
  g_signal_connect (op, "begin-print", G_CALLBACK (begin_print), job);
  g_signal_connect (op, "draw-page", G_CALLBACK (draw_page), job);
  g_object_set_data_full (G_OBJECT (op), "job", job, (GDestroyNotify) print_job_free);
  gtk_print_operation_set_embed_page_setup (op, TRUE);
  if (gtk_print_operation_run (op, GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG,
                               GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, &error) ==
      GTK_PRINT_OPERATION_RESULT_ERROR)
    pos_show_error (widget, _("Printing Failed"), error);
}

/* Sends @receipt to the configured printer. Without one, nothing is
 * printed (the sale is in the ledger; reprint from the history). */
void
pos_printer_print (GtkWidget  *widget,
                   PosSession *session,
                   PosReceipt *receipt)
{
  g_autofree char *target = pos_session_dup_setting (session, "printer");
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) data = NULL;

  if (target == NULL || *target == '\0' || g_str_equal (target, "none"))
    return;
  if (g_str_equal (target, "gtk"))
    {
      print_with_dialog (widget, receipt);
      return;
    }
  data = pos_receipt_render_escpos (receipt, &error);
  if (data == NULL)
    {
      pos_show_error (widget, _("Receipt Not Printed"), error);
      return;
    }
  pos_printer_send_async (target, data, NULL, sent, g_object_ref (widget));
}

/* The receipt's lines ({name, qty, price_fen, total_fen}) from a sale's own. */
static JsonArray *
receipt_lines (GPtrArray *sold)
{
  JsonArray *lines = json_array_new ();

  for (guint i = 0; i < sold->len; i++)
    {
      PosSoldLine *l = g_ptr_array_index (sold, i);
      JsonObject *o = json_object_new ();

      json_object_set_string_member (o, "sku", l->sku);
      json_object_set_string_member (o, "name", l->name);
      json_object_set_int_member (o, "qty", l->qty);
      json_object_set_int_member (o, "price_fen", l->unit_price_fen);
      json_object_set_int_member (o, "total_fen", l->amount_fen);
      json_array_add_object_element (lines, o);
    }
  return lines;
}

void
pos_printer_print_sale (GtkWidget  *widget,
                        PosSession *session,
                        JsonObject *sale,
                        PosCart    *cart,
                        PosMemberView *member)
{
  MdnStore *store = pos_session_get_store (session);
  g_autoptr(JsonArray) lines = NULL;
  g_autoptr(PosReceipt) receipt = NULL;
  g_autofree char *at = pos_session_branch_time (session, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(PosPaid) paid = pos_paid_parse (sale, "sale", &error);

  if (paid == NULL)
    g_warning ("%s", error->message);
  if (paid && paid->lines->len > 0)
    lines = receipt_lines (paid->lines);
  else
    {
      lines = json_array_new ();
      for (guint i = 0; cart && i < pos_cart_get_n_lines (cart); i++)
        {
          PosLine *l = pos_cart_get_line (cart, i);
          JsonObject *o = json_object_new ();

          json_object_set_string_member (o, "name", l->name);
          json_object_set_int_member (o, "qty", l->qty);
          json_object_set_int_member (o, "price_fen", l->price_fen);
          json_array_add_object_element (lines, o);
        }
    }
  receipt = pos_receipt_for_sale (pos_printer_width (session), store->branch_name,
                                  pos_session_get_staff_name (session), at, sale, lines);
  pos_printer_print (widget, session, receipt);
}

void
pos_printer_print_result (GtkWidget  *widget,
                          PosSession *session,
                          const char *title,
                          JsonObject *result)
{
  MdnStore *store = pos_session_get_store (session);
  g_autofree char *at = pos_session_branch_time (session, NULL);
  g_autoptr(PosReceipt) receipt = pos_receipt_for_entry (pos_printer_width (session), store->branch_name,
                                                         pos_session_get_staff_name (session), at, title,
                                                         result);

  pos_printer_print (widget, session, receipt);
}

/* The receipt of a sale, return, deposit, package use or timed session
 * as receipt.show reads it again from the ledger (after a restart too):
 * its own time in branch time, its own cashier by name. */
PosReceipt *
pos_printer_receipt_for_record (PosSession *session,
                                JsonObject *shown,
                                GError    **error)
{
  g_autoptr(PosSaleRecord) record = pos_sale_record_parse (shown, error);
  MdnStore *store = pos_session_get_store (session);
  g_autofree char *at = NULL;
  const char *staff;
  PosReceipt *receipt;

  if (record == NULL)
    return NULL;
  at = pos_session_branch_time (session, record->at);
  staff = record->staff_name ? record->staff_name : record->staff;
  if (g_str_equal (record->kind, "sale"))
    {
      g_autoptr(JsonArray) lines = receipt_lines (record->lines);

      receipt = pos_receipt_for_sale (pos_printer_width (session), store->branch_name,
                                      staff, at, shown, lines);
    }
  else
    receipt = pos_receipt_for_entry (pos_printer_width (session), store->branch_name,
                                     staff, at, pos_kind_label (record->kind), shown);
  pos_receipt_add_center (receipt, _("*** Reprint ***"));
  return receipt;
}

static void
reprint (GtkWidget  *widget,
         PosSession *session,
         JsonObject *args)
{
  g_autoptr(JsonObject) shown = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(PosReceipt) receipt = NULL;
  g_autofree char *target = pos_session_dup_setting (session, "printer");

  shown = pos_session_run (session, "receipt.show", args, &error);
  if (shown)
    receipt = pos_printer_receipt_for_record (session, shown, &error);
  if (receipt == NULL)
    {
      pos_show_error (widget, _("Receipt Not Found"), error);
      return;
    }
  if (target == NULL || *target == '\0' || g_str_equal (target, "none"))
    {
      pos_toast (widget, _("No receipt printer is set up; choose one in the menu under Receipt Printer"));
      return;
    }
  pos_printer_print (widget, session, receipt);
  pos_toast (widget, _("Receipt sent to the printer"));
}

/* By the number printed on it (a sale, a return, a timed session). */
void
pos_printer_reprint (GtkWidget  *widget,
                     PosSession *session,
                     const char *receipt_no)
{
  g_autoptr(JsonObject) args = json_object_new ();

  json_object_set_string_member (args, "receipt_no", receipt_no);
  reprint (widget, session, args);
}

/* By the entry (a deposit, a card issued with a deposit, a withdrawal, a
 * package use: from the member's history). */
void
pos_printer_reprint_entry (GtkWidget  *widget,
                           PosSession *session,
                           const char *entry_id)
{
  g_autoptr(JsonObject) args = json_object_new ();

  json_object_set_string_member (args, "entry_id", entry_id);
  reprint (widget, session, args);
}

/* Settings ------------------------------------------------------------------ */

static gboolean
settings_accepted (PosForm *form,
                   gpointer user_data)
{
  PosSession *session = user_data;
  const char *kind = pos_form_get (form, "kind");
  /* A copy: the entry row owns its text. */
  g_autofree char *address = g_strstrip (g_strdup (pos_form_get (form, "address")));
  const char *width = pos_form_get (form, "width");
  g_autofree char *target = NULL;
  g_autoptr(GError) error = NULL;

  if (g_str_equal (kind, "file") || g_str_equal (kind, "tcp"))
    {
      if (*address == '\0')
        {
          pos_form_set_error (form, g_str_equal (kind, "file")
                              ? _("Type the printer's device file, like /dev/usb/lp0")
                              : _("Type the printer's address, like 192.168.1.50 or 192.168.1.50:9100"));
          return FALSE;
        }
      target = g_strconcat (kind, ":", address, NULL);
    }
  else
    target = g_strdup (kind);
  if (!pos_session_set_setting (session, "printer", target, &error) ||
      !pos_session_set_setting (session, "printer-width", width, &error))
    {
      pos_form_set_error (form, error->message);
      return FALSE;
    }
  pos_toast (GTK_WIDGET (form), _("Receipt printer saved"));
  return TRUE;
}

void
pos_printer_show_settings (GtkWidget  *widget,
                           PosSession *session)
{
  static const char *const ids[] = { "none", "file", "tcp", "gtk", NULL };
  const char *labels[] = { _("No printer"), _("ESC/POS printer on a device file"),
                           _("ESC/POS network printer (port 9100)"), _("System printer (print dialog)"), NULL };
  static const char *const widths[] = { "32", "48", NULL };
  const char *width_labels[] = { _("58 mm paper (32 columns)"), _("80 mm paper (48 columns)"), NULL };
  g_autofree char *target = pos_session_dup_setting (session, "printer");
  g_autofree char *width = pos_session_dup_setting (session, "printer-width");
  PosForm *form = pos_form_new (widget, _("Receipt Printer"), _("_Save"));
  guint kind = 0;
  const char *address = "";

  if (target && g_str_has_prefix (target, "file:"))
    kind = 1, address = target + 5;
  else if (target && g_str_has_prefix (target, "tcp:"))
    kind = 2, address = target + 4;
  else if (g_strcmp0 (target, "gtk") == 0)
    kind = 3;
  pos_form_set_body (form, _("Receipts print in Chinese (GB18030) with a cut and a cash-drawer kick."));
  /* The kind as the row's subtitle: whole, however long in Chinese. */
  adw_combo_row_set_use_subtitle (ADW_COMBO_ROW (pos_form_add_choice (form, "kind", _("Printer"), ids, labels, kind)),
                                  TRUE);
  pos_form_add_field (form, "address", _("Device file or network address"), POS_FIELD_TEXT, address);
  pos_form_add_choice (form, "width", _("Paper"), widths, width_labels, g_strcmp0 (width, "48") == 0);
  pos_form_run (form, settings_accepted, session, NULL);
}
