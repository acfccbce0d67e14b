/* pos-stock-import.h: the product import (商品导入): choose a CSV file,
 * see every row it would import and every bad line with its reason, then
 * import all of it (or nothing); save the template. */
#pragma once

#include <adwaita.h>

#include "pos-session.h"

G_BEGIN_DECLS

#define POS_TYPE_STOCK_IMPORT (pos_stock_import_get_type ())
G_DECLARE_FINAL_TYPE (PosStockImport, pos_stock_import, POS, STOCK_IMPORT, AdwBin)

void        pos_stock_import_set_session (PosStockImport *self,
                                          PosSession     *session);
void        pos_stock_import_shown       (PosStockImport *self);
/* Previews @data as the chosen file (the file chooser calls it; tests do). */
void        pos_stock_import_load        (PosStockImport *self,
                                          const char     *name,
                                          GBytes         *data);
/* The preview's good rows and bad lines (for tests). */
guint       pos_stock_import_n_rows      (PosStockImport *self);
guint       pos_stock_import_n_errors    (PosStockImport *self);

G_END_DECLS
