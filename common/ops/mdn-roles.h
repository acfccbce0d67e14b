/* mdn-roles.h: roles as data and the permission check of mdn_ops_run
 * (mdn-roles.c).
 *
 * A role is a row of the roles table: a code, a name people read, and its
 * permissions, each an operation name ("member.withdraw"), a group
 * ("members.*", see mdn_perm_groups), a family ("stock.*": every operation
 * whose name starts with "stock."), a default set ("@cashier", "@manager":
 * every operation whose least role in its MdnOpDef is at most that), or
 * "*" (everything; the admin role always holds it). The default sets keep
 * MdnOpDef.min_role the definition of what the cashier and manager of a
 * new database may do, so an operation added to a family's table belongs
 * to them without an edit here. */
#pragma once

#include "mdn-db.h"
#include "mdn-op.h"

G_BEGIN_DECLS

typedef struct
{
  const char        *code;      /* "members.*" */
  const char        *title;     /* N_() English; _() for people */
  const char *const *families;  /* operation families: "member" covers member and member.* */
} MdnPermGroup;

/* The groups, NULL-terminated by code; "other.*" last, for operations no
 * other group names. */
const MdnPermGroup *mdn_perm_groups   (void);
/* The group @op belongs to (never NULL: "other.*" at worst). */
const MdnPermGroup *mdn_perm_group_of (const char *op);
/* What @op does in words, translated ("办卡"); for an operation without a
 * title here, its group's title. Never an internal name. */
const char    *mdn_op_title           (const char *op);

typedef struct
{
  char   *code;
  char   *name;
  char  **permissions;
} MdnRoleRow;

void           mdn_role_row_free      (MdnRoleRow  *row);
/* The role @code, or NULL with MDN_ERROR_PERMISSION_DENIED naming it. */
MdnRoleRow    *mdn_role_row_load      (MdnDb       *db,
                                       const char  *code,
                                       GError     **error);
gboolean       mdn_perms_allow        (const char *const *permissions,
                                       const MdnOpDef *def);
/* The name of a role that may do @def (the manager's, the administrator's,
 * then any other's), for a refusal to say whom to ask; NULL if none. */
char          *mdn_roles_dup_who_may  (MdnDb          *db,
                                       const MdnOpDef *def);
/* The rank internal checks of a few operations use (ctx->role): admin
 * for "*", manager for a role holding "@manager", else cashier. */
MdnRole        mdn_perms_rank         (const char *const *permissions);

extern const MdnOpDef   mdn_role_ops[];
extern const MdnKindDef mdn_role_kinds[];

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MdnRoleRow, mdn_role_row_free)

G_END_DECLS
