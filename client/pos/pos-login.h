/* pos-login.h: staff code + password; also the lock screen. */
#pragma once

#include <adwaita.h>

#include "pos-session.h"

G_BEGIN_DECLS

#define POS_TYPE_LOGIN (pos_login_get_type ())
G_DECLARE_FINAL_TYPE (PosLogin, pos_login, POS, LOGIN, AdwBin)

void pos_login_set_session (PosLogin   *self,
                            PosSession *session);
/* @locked_by: the cashier who locked the screen, or NULL for a fresh login. */
void pos_login_reset       (PosLogin   *self,
                            const char *locked_by,
                            const char *locked_name);
/* What the page says above the fields ("Locked by 王小丽…"). */
const char *pos_login_get_message (PosLogin *self);
void pos_login_submit      (PosLogin   *self,
                            const char *staff,
                            const char *password);

G_END_DECLS
