/* pos-application.h */
#pragma once

#include <adwaita.h>

#include "pos-session.h"

G_BEGIN_DECLS

#define POS_TYPE_APPLICATION (pos_application_get_type ())
G_DECLARE_FINAL_TYPE (PosApplication, pos_application, POS, APPLICATION, AdwApplication)

PosApplication *pos_application_new         (void);
void            pos_i18n_init               (void);
char           *pos_default_db_path         (void);

G_END_DECLS
