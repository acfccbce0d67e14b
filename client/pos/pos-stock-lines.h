/* pos-stock-lines.h: the lines of a stock document (receive, issue,
 * transfer, count): a scan field that adds a product (or one more of it)
 * and one row per product with its quantity and, for a receipt, its cost. */
#pragma once

#include <adwaita.h>

#include "pos-session.h"

G_BEGIN_DECLS

#define POS_TYPE_STOCK_LINES (pos_stock_lines_get_type ())
G_DECLARE_FINAL_TYPE (PosStockLines, pos_stock_lines, POS, STOCK_LINES, AdwBin)

void        pos_stock_lines_set_session (PosStockLines *self,
                                         PosSession    *session);
/* With a cost field per line (a receipt); the least quantity (0 for a
 * count, else 1); the member the quantity goes in ("qty" or "counted"). */
void        pos_stock_lines_set_mode    (PosStockLines *self,
                                         gboolean       with_cost,
                                         gint64         min_qty,
                                         const char    *qty_name);
/* A scanned or typed code: the product's line, one more of it if there. */
gboolean    pos_stock_lines_scan        (PosStockLines *self,
                                         const char    *code,
                                         GError       **error);
void        pos_stock_lines_add         (PosStockLines *self,
                                         const char    *sku,
                                         const char    *name,
                                         gint64         qty);
guint       pos_stock_lines_count       (PosStockLines *self);
/* [{sku, <qty_name>, cost?}], or NULL with @error for a cost that is not
 * money. */
JsonArray  *pos_stock_lines_to_json     (PosStockLines *self,
                                         GError       **error);
void        pos_stock_lines_clear       (PosStockLines *self);
void        pos_stock_lines_focus       (PosStockLines *self);
/* The scan field (what a scanner types into; for tests). */
GtkWidget  *pos_stock_lines_get_scan_entry (PosStockLines *self);

G_END_DECLS
