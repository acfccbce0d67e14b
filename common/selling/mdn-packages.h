/* mdn-packages.h: count-based consumption, package.consume (mdn-packages.c).
 * What a card holds of packages is mdn-card.h.
 *
 * Internal to libmendian; front ends go through mdn_ops_run(). */
#pragma once

#include <json-glib/json-glib.h>

#include "mdn-op.h"

G_BEGIN_DECLS

extern const MdnOpDef   mdn_package_ops[];
extern const MdnKindDef mdn_package_kinds[];

G_END_DECLS
