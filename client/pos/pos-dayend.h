/* pos-dayend.h: the Day End page: the shift summary. Takes the session
 * once and is told when it is shown. */
#pragma once

#include <adwaita.h>

#include "pos-session.h"
#include "pos-views.h"

G_BEGIN_DECLS

#define POS_TYPE_DAY_END (pos_day_end_get_type ())
G_DECLARE_FINAL_TYPE (PosDayEnd, pos_day_end, POS, DAY_END, AdwBin)

void        pos_day_end_set_session    (PosDayEnd *self, PosSession *session);
void        pos_day_end_shown          (PosDayEnd *self);
void        pos_day_end_set_date       (PosDayEnd *self, const char *date);
PosShiftList *pos_day_end_get_shifts   (PosDayEnd *self);

G_END_DECLS
