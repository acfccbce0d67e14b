/* mdn-master.h: master data beside products: member levels, deposit rules
 * (mdn-master.c).
 *
 * Internal to libmendian; front ends go through mdn_ops_run(). */
#pragma once

#include <json-glib/json-glib.h>

#include "mdn-op.h"

G_BEGIN_DECLS

extern const MdnOpDef   mdn_master_ops[];
extern const MdnKindDef mdn_master_kinds[];

G_END_DECLS
