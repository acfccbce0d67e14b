/* pos-member-import.h: the member import dialog of the Members page
 * (manager): choose an old system's CSV, see what it would issue and every
 * bad line named by its line in the file (member.import with preview),
 * confirm, and the result. */
#pragma once

#include <adwaita.h>

#include "pos-session.h"

G_BEGIN_DECLS

#define POS_TYPE_MEMBER_IMPORT (pos_member_import_get_type ())
G_DECLARE_FINAL_TYPE (PosMemberImport, pos_member_import, POS, MEMBER_IMPORT, AdwWindow)

PosMemberImport *pos_member_import_new      (GtkWidget       *parent,
                                             PosSession      *session);
/* Previews @data as the file @name, as choosing it does. */
void             pos_member_import_load     (PosMemberImport *self,
                                             const char      *name,
                                             GBytes          *data);
/* For tests: rows and bad lines of the preview; imports as the confirmed
 * dialog does (FALSE and @error when refused). */
guint            pos_member_import_n_rows   (PosMemberImport *self);
guint            pos_member_import_n_errors (PosMemberImport *self);
gboolean         pos_member_import_run      (PosMemberImport *self,
                                             GError         **error);
const char      *pos_member_import_get_status (PosMemberImport *self);

G_END_DECLS
