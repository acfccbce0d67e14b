/* pos-timed.h: the timed consumption board (tables, rooms). Takes the
 * session once and is told when it is shown. */
#pragma once

#include <adwaita.h>

#include "pos-session.h"

G_BEGIN_DECLS

#define POS_TYPE_TIMED (pos_timed_get_type ())
G_DECLARE_FINAL_TYPE (PosTimed, pos_timed, POS, TIMED, AdwBin)

void        pos_timed_set_session      (PosTimed *self, PosSession *session);
void        pos_timed_shown            (PosTimed *self);
guint       pos_timed_get_n_tiles      (PosTimed *self);
void        pos_timed_activate_tile    (PosTimed *self, const char *code);
/* Change table (Ctrl+M on the selected tile): the form for @code's session. */
void        pos_timed_move_tile        (PosTimed *self, const char *code);
/* Pause / resume (F3 on the selected tile) the session on @code. */
void        pos_timed_pause_tile       (PosTimed *self, const char *code);
const char *pos_timed_get_tile_state   (PosTimed *self, const char *code);
/* Goods on a running table (F4): the form for @code's session. */
void        pos_timed_add_tile         (PosTimed *self, const char *code);
/* More prepaid time (Ctrl+E): the form for @code's prepaid session. */
void        pos_timed_extend_tile      (PosTimed *self, const char *code);

G_END_DECLS
