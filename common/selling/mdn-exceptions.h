/* mdn-exceptions.h: the exceptions head office writes off (mdn-exceptions.c).
 *
 * Internal to libmendian; front ends go through mdn_ops_run(). */
#pragma once

#include <json-glib/json-glib.h>

#include "mdn-op.h"

G_BEGIN_DECLS

extern const MdnOpDef   mdn_exception_ops[];
extern const MdnKindDef mdn_exception_kinds[];

G_END_DECLS
