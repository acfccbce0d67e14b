/* pos-returns.h: the Returns page: a sale by its receipt, the lines that
 * come back, the refund. Takes the session once and is told when it is
 * shown. */
#pragma once

#include <adwaita.h>

#include "pos-session.h"

G_BEGIN_DECLS

#define POS_TYPE_RETURNS (pos_returns_get_type ())
G_DECLARE_FINAL_TYPE (PosReturns, pos_returns, POS, RETURNS, AdwBin)

void        pos_returns_set_session    (PosReturns *self, PosSession *session);
void        pos_returns_shown          (PosReturns *self);
void        pos_returns_find           (PosReturns *self, const char *receipt_no);
GtkWidget  *pos_returns_get_entry      (PosReturns *self);
void        pos_returns_confirm_now    (PosReturns *self);
/* The error shown on the page, or NULL. */
const char *pos_returns_get_error      (PosReturns *self);
/* The subtitle of sale line @i (what may come back, or why nothing may). */
const char *pos_returns_get_line_note  (PosReturns *self, guint i);

G_END_DECLS
