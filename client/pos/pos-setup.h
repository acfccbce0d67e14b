/* pos-setup.h: the first-run assistant: create or open the branch
 * database, set the admin password, optionally link to a server. */
#pragma once

#include <adwaita.h>

#include "pos-session.h"

G_BEGIN_DECLS

#define POS_TYPE_SETUP (pos_setup_get_type ())
G_DECLARE_FINAL_TYPE (PosSetup, pos_setup, POS, SETUP, AdwBin)

void pos_setup_set_session (PosSetup   *self,
                            PosSession *session,
                            const char *db_path);
void pos_setup_set_message (PosSetup   *self,
                            const char *message);

G_END_DECLS
