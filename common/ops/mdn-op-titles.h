/* mdn-op-titles.h: operations named as cashiers name them, and the
 * refusal of an operation to a role that may not run it. */
#pragma once

#include <glib.h>

#include "mdn-role.h"

G_BEGIN_DECLS

/* Translated; an operation without a title is "do this". */
const char *mdn_op_title        (const char  *op);
/* Sets MDN_ERROR_PERMISSION_DENIED naming @role, the operation and @needed. */
void        mdn_op_set_refusal  (GError     **error,
                                 MdnRole      role,
                                 MdnRole      needed,
                                 const char  *op);

G_END_DECLS
