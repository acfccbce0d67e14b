/* pos-admin.h: the 系统设置 page (back office): the permission matrix and
 * staff, settings by topic, the shop's details, products with the
 * category tree, levels, top-up rules, rate plans and tables, the
 * operation log, and backup, restore and recovery. Every change runs an
 * operation of common/ through the session; what the role may not do is
 * refused there. */
#pragma once

#include <adwaita.h>

#include "pos-session.h"

G_BEGIN_DECLS

#define POS_TYPE_ADMIN (pos_admin_get_type ())
G_DECLARE_FINAL_TYPE (PosAdmin, pos_admin, POS, ADMIN, AdwBin)

void        pos_admin_set_session    (PosAdmin   *self,
                                      PosSession *session);
void        pos_admin_shown          (PosAdmin   *self);
/* For tests: show the sub-page @name (roles, settings, shop, products,
 * master, oplog, backup). */
void        pos_admin_show           (PosAdmin   *self,
                                      const char *name);
/* For tests: the matrix's check box of @role × @group, NULL if none. */
GtkWidget  *pos_admin_get_check      (PosAdmin   *self,
                                      const char *role,
                                      const char *group);
/* For tests: the row widget of setting @key (a GtkSwitch, GtkSpinButton,
 * GtkDropDown or, for a text, its GtkEntry), NULL if none. */
GtkWidget  *pos_admin_get_setting    (PosAdmin   *self,
                                      const char *key);
/* For tests: opens the edit form of product @sku. */
GtkWidget  *pos_admin_edit_product   (PosAdmin   *self,
                                      const char *sku);
/* For tests: the text under the backup section (the last backup). */
const char *pos_admin_get_backup_status (PosAdmin *self);
/* Saves the matrix (admin.roles-save). */
void        pos_admin_save_roles     (PosAdmin   *self);

/* From the member page: the form editing a member's details
 * (member.update). */
void        pos_member_edit_form     (GtkWidget  *parent,
                                      PosSession *session,
                                      JsonObject *member);

G_END_DECLS
