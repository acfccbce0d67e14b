/* pos-stock-views.h: the answers of the stock operations (stock.list,
 * stock.chain, transfer.list, stocktake.show, product.import) parsed once
 * into typed views for the stock screens (pos-stock-*.c). */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  char    *branch;        /* stock.chain rows; NULL in stock.list */
  char    *sku;
  char    *name;
  gint64   on_hand;
  gint64   in_transit_in;
  gint64   in_transit_out;
  gboolean has_low, has_high;
  gint64   low_stock, high_stock;
  gboolean below_low;
  gint64   avg_cost_fen;
} PosStockItem;

typedef struct
{
  char  *sku;
  char  *name;
  gint64 sent;
  gint64 received;        /* -1 while in transit */
} PosTransferLine;

typedef struct
{
  char      *id;
  char      *doc_no;
  char      *from;
  char      *to;
  char      *direction;   /* in | out; NULL from the server */
  char      *status;      /* in_transit | received | shortfall */
  char      *sent_at;
  gint64     shortfall;
  GPtrArray *lines;       /* PosTransferLine */
} PosTransfer;

typedef struct
{
  char  *sku;
  char  *name;
  gint64 counted;         /* -1: not counted */
  gint64 on_hand;
} PosCountLine;

typedef struct
{
  char      *count_id;    /* NULL: no count open */
  char      *status;
  char      *category;
  GPtrArray *counted;     /* PosCountLine */
  GPtrArray *uncounted;   /* PosCountLine */
} PosCountSheet;

typedef struct
{
  guint  line;
  char  *sku;
  char  *name;
  char  *kind;
  char  *category;
  gint64 price_fen;
  gboolean is_new;
} PosImportRow;

typedef struct
{
  guint  line;
  char  *reason;
} PosImportError;

typedef struct
{
  char      *encoding;
  GPtrArray *rows;        /* PosImportRow */
  GPtrArray *errors;      /* PosImportError */
  gint64     created, updated;
} PosImportPreview;

/* The first product of a product.search answer (a scan), if it is goods:
 * its sku and name. FALSE with @error when none or not goods. */
gboolean          pos_stock_scan_parse    (JsonObject *result,
                                           const char *code,
                                           char      **sku,
                                           char      **name,
                                           GError    **error);

/* @member of @result ("items" or "rows"): PosStockItem. */
GPtrArray        *pos_stock_items_parse   (JsonObject *result,
                                           const char *member,
                                           GError    **error);
GPtrArray        *pos_transfers_parse     (JsonObject *result,
                                           GError    **error);
PosCountSheet    *pos_count_sheet_parse   (JsonObject *result,
                                           GError    **error);
void              pos_count_sheet_free    (PosCountSheet *sheet);
PosImportPreview *pos_import_preview_parse (JsonObject *result,
                                            GError    **error);
void              pos_import_preview_free (PosImportPreview *preview);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PosCountSheet, pos_count_sheet_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (PosImportPreview, pos_import_preview_free)

G_END_DECLS
