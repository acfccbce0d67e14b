/* mdn-catalog.h: products, the catalogue head office defines (mdn-catalog.c).
 *
 * Internal to libmendian; front ends go through mdn_ops_run(). */
#pragma once

#include "mdn-db.h"
#include "mdn-op.h"

G_BEGIN_DECLS

typedef struct
{
  char    *sku;
  char    *name;
  char    *kind;            /* goods | service | package */
  gint64   price_fen;
  char    *category;
  char    *barcode;
  gboolean no_discount;
  char    *package_sku;     /* package: the service it buys uses of */
  gint64   package_count;   /* package: uses per unit sold */
  gint64   package_days;    /* package: validity in days, 0 = no expiry */
  gboolean active;
  gint64   cost_fen;        /* the standard cost (进价), -1 when none */
} MdnProduct;

void        mdn_product_free        (MdnProduct  *product);
MdnProduct *mdn_product_load        (MdnDb       *db,
                                     const char  *sku,
                                     GError     **error);
MdnProduct *mdn_product_find        (MdnDb       *db,
                                     const char  *sku_or_barcode,
                                     GError     **error);

/* The product.upsert entry @args describe, checked as the operation checks
 * them (codes free, the package's service known); not appended. */
MdnEntry   *mdn_product_entry_new   (MdnDb       *db,
                                     JsonObject  *args,
                                     GError     **error);

extern const MdnOpDef   mdn_catalog_ops[];
extern const MdnKindDef mdn_catalog_kinds[];

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MdnProduct, mdn_product_free)

G_END_DECLS
