/* pos-printer.h: where receipts go: an ESC/POS printer on a device file
 * (/dev/usb/lp0) or the network (host:9100), or the GTK print dialog.
 * Printing never blocks the counter; a failure says how to reprint. */
#pragma once

#include <gtk/gtk.h>

#include "pos-cart.h"
#include "pos-member-view.h"
#include "pos-receipt.h"
#include "pos-session.h"

G_BEGIN_DECLS

void pos_printer_print         (GtkWidget  *widget,
                                PosSession *session,
                                PosReceipt *receipt);
void pos_printer_print_sale    (GtkWidget  *widget,
                                PosSession *session,
                                JsonObject *sale,
                                PosCart    *cart,
                                PosMemberView *member);
void pos_printer_print_result  (GtkWidget  *widget,
                                PosSession *session,
                                const char *title,
                                JsonObject *result);
void pos_printer_reprint       (GtkWidget  *widget,
                                PosSession *session,
                                const char *receipt_no);
void pos_printer_reprint_entry (GtkWidget  *widget,
                                PosSession *session,
                                const char *entry_id);
/* receipt.show's answer as its receipt, marked as a reprint. */
PosReceipt *pos_printer_receipt_for_record (PosSession *session,
                                JsonObject *shown,
                                GError    **error);
int  pos_printer_width         (PosSession *session);
void pos_printer_show_settings (GtkWidget  *widget,
                                PosSession *session);

/* Writes @data to "file:PATH" or "tcp:HOST:PORT" (a printer target). */
void     pos_printer_send_async  (const char          *target,
                                  GBytes              *data,
                                  GCancellable        *cancellable,
                                  GAsyncReadyCallback  callback,
                                  gpointer             user_data);
gboolean pos_printer_send_finish (GAsyncResult        *result,
                                  GError             **error);

G_END_DECLS
