/* pos-handover.h: the shift handover dialog (交班), pos-handover.c. */
#pragma once

#include "pos-forms.h"
#include "pos-session.h"

G_BEGIN_DECLS

/* Opens the count of the drawer for the logged-in cashier; refused (and
 * said why) while a sale is open at the checkout of @parent's window. */
void        pos_handover_run               (GtkWidget  *parent,
                                            PosSession *session);
/* For tests: the count of the note or coin of @value_fen in @form. */
GtkWidget  *pos_handover_get_denomination  (PosForm    *form,
                                            gint64      value_fen);

G_END_DECLS
