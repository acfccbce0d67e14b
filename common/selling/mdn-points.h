/* mdn-points.h: points redeemed and adjusted (mdn-points.c).
 *
 * Internal to libmendian; front ends go through mdn_ops_run(). */
#pragma once

#include <json-glib/json-glib.h>

#include "mdn-op.h"

G_BEGIN_DECLS

extern const MdnOpDef   mdn_points_ops[];
extern const MdnKindDef mdn_points_kinds[];

G_END_DECLS
