/* mdn-sales.h: sales, quick sales and returns (mdn-sales.c).
 *
 * Internal to libmendian; front ends go through mdn_ops_run(). */
#pragma once

#include <json-glib/json-glib.h>

#include "mdn-op.h"

G_BEGIN_DECLS

extern const MdnOpDef   mdn_sales_ops[];
extern const MdnKindDef mdn_sales_kinds[];

/* Returns across the chain. */
gboolean    mdn_sale_return_check   (MdnDb       *db,
                                     const char  *sale_id,
                                     gint64       refund_fen,
                                     JsonArray   *lines,
                                     gint64       held_refund,
                                     JsonArray   *held_lines,
                                     JsonObject  *held_uses,
                                     GError     **error);
gboolean    mdn_sale_refunded       (MdnDb       *db,
                                     const char  *sale_id,
                                     gint64      *total_fen,
                                     gint64      *refunded_fen,
                                     GError     **error);

G_END_DECLS
