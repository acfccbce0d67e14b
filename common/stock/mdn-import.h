/* mdn-import.h: the product import (商品导入) from CSV and its template
 * (mdn-import.c). Internal to libmendian; front ends go through
 * mdn_ops_run(). */
#pragma once

#include "mdn-op.h"

G_BEGIN_DECLS

extern const MdnOpDef mdn_import_ops[];

G_END_DECLS
