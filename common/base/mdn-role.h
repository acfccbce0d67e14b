/* mdn-role.h: the roles of staff members, lowest first. Here, not in ops/,
 * because staff (members/) and the operation context (ledger/) both name
 * them. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  MDN_ROLE_CASHIER = 1,
  MDN_ROLE_MANAGER = 2,
  MDN_ROLE_ADMIN = 3,
} MdnRole;

const char     *mdn_role_name       (MdnRole      role);
gboolean        mdn_role_parse      (const char  *name,
                                     MdnRole     *out);

G_END_DECLS
