/* mdn-timed.h: timed consumption: plans, resources, sessions (mdn-timed.c).
 *
 * Internal to libmendian; front ends go through mdn_ops_run(). */
#pragma once

#include <json-glib/json-glib.h>

#include "mdn-op.h"

G_BEGIN_DECLS

extern const MdnOpDef   mdn_timed_ops[];
extern const MdnOpDef   mdn_plan_ops[];
extern const MdnKindDef mdn_timed_kinds[];

G_END_DECLS
