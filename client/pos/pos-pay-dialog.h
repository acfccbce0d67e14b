/* pos-pay-dialog.h: taking payment for a sale or a timed session: any mix
 * of tenders, the member's PIN on a pad, change computed. It runs the
 * operation itself (pos_session_run_async: at a linked branch a balance
 * payment waits for head office, with the dialog busy and the counter
 * responsive), so the dialog stays open on an error to correct. */
#pragma once

#include <adwaita.h>

#include "pos-member-view.h"
#include "pos-session.h"

G_BEGIN_DECLS

#define POS_TYPE_PAY_DIALOG (pos_pay_dialog_get_type ())
G_DECLARE_FINAL_TYPE (PosPayDialog, pos_pay_dialog, POS, PAY_DIALOG, AdwWindow)

typedef void (*PosPaidFunc) (JsonObject *result, gpointer user_data);

/* @args: the operation's arguments without tenders and pin; @member:
 * the card's member, or NULL. */
PosPayDialog *pos_pay_dialog_new        (GtkWidget   *parent,
                                         PosSession  *session,
                                         const char  *op,
                                         JsonObject  *args,
                                         gint64       due_fen,
                                         PosMemberView *member,
                                         PosPaidFunc  paid,
                                         gpointer     user_data);
void          pos_pay_dialog_set_tender (PosPayDialog *self,
                                         const char   *tender,
                                         const char   *amount);
void          pos_pay_dialog_set_subject (PosPayDialog *self,
                                         const char   *text);
const char   *pos_pay_dialog_get_subject (PosPayDialog *self);
void          pos_pay_dialog_set_pin    (PosPayDialog *self,
                                         const char   *pin);
gint64        pos_pay_dialog_get_change (PosPayDialog *self);
const char   *pos_pay_dialog_get_error  (PosPayDialog *self);
gboolean      pos_pay_dialog_is_busy    (PosPayDialog *self);
const char   *pos_pay_dialog_get_busy   (PosPayDialog *self);
void          pos_pay_dialog_confirm    (PosPayDialog *self);
/* A "who served" choice (Ctrl+T), the cashier preselected; the chosen
 * staff code goes to the operation as staff. FALSE with @error when the
 * staff can't be read. */
gboolean      pos_pay_dialog_add_staff_choice (PosPayDialog *self,
                                               GError      **error);
GtkWidget    *pos_pay_dialog_get_staff_row (PosPayDialog *self);
/* The chosen staff code, "" for the cashier, NULL without the choice. */
const char   *pos_pay_dialog_get_staff  (PosPayDialog *self);

G_END_DECLS
