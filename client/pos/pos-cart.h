/* pos-cart.h: the sale being rung up, before it is paid. No widgets, no
 * rules: the products and their prices come from product.search and the
 * totals from sale.preview, each answer read once by its parser here into
 * a typed struct (MDN_ERROR_INTERNAL on a field missing or of another
 * type; tests/test-pos-views.c feeds them real answers). */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  char    *sku;
  char    *name;
  char    *kind;
  gint64   price_fen;
  gint64   qty;
  gboolean no_discount;
  char    *staff;         /* who served the line (the technician), NULL: the cashier */
  char    *staff_name;
} PosLine;

/* One product of product.search. */
typedef struct
{
  char    *sku;
  char    *name;
  char    *kind;           /* goods, service, package */
  gint64   price_fen;
  gboolean no_discount;
  char    *match;          /* what the query matched: sku, barcode, name… */
} PosProduct;

void        pos_product_free       (PosProduct  *product);
/* product.search: of PosProduct, best match first. */
GPtrArray  *pos_product_list_parse (JsonObject  *result,
                                    GError     **error);

/* sale.preview: the figures the sale will write for this cart. */
typedef struct
{
  gint64 list_total_fen;
  gint64 discount_fen;
  gint64 total_fen;
  gint64 points_earned;
} PosSalePreview;

gboolean    pos_sale_preview_parse (JsonObject     *result,
                                    PosSalePreview *out,
                                    GError        **error);

typedef struct _PosCart PosCart;

PosCart    *pos_cart_new          (void);
void        pos_cart_free         (PosCart     *cart);
void        pos_cart_clear        (PosCart     *cart);
guint       pos_cart_get_n_lines  (PosCart     *cart);
PosLine    *pos_cart_get_line     (PosCart     *cart,
                                   guint        index);
guint       pos_cart_add          (PosCart     *cart,
                                   const PosProduct *product,
                                   gint64       qty);
void        pos_cart_set_qty      (PosCart     *cart,
                                   guint        index,
                                   gint64       qty);
/* Who served line @index (a staff code and name; NULL: the cashier). */
void        pos_cart_set_staff    (PosCart     *cart,
                                   guint        index,
                                   const char  *staff,
                                   const char  *staff_name);
void        pos_cart_remove       (PosCart     *cart,
                                   guint        index);
gint64      pos_cart_count_items  (PosCart     *cart);
gint64      pos_line_total        (PosLine     *line);
gint64      pos_cart_list_total   (PosCart     *cart);
void        pos_cart_set_card     (PosCart     *cart,
                                   const char  *card_no);
const char *pos_cart_get_card     (PosCart     *cart);
/* {card?, lines: [{sku, qty, staff?}], tenders, pin?} for the "sale" operation. */
JsonObject *pos_cart_sale_args    (PosCart     *cart,
                                   JsonArray   *tenders,
                                   const char  *pin);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PosCart, pos_cart_free)

G_END_DECLS
