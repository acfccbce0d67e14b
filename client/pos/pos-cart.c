/* pos-cart.c: the cart, and the parsers of product.search and
 * sale.preview (see pos-cart.h). */
#include "mdn-money.h"
#include "pos-cart.h"
#include "pos-reader.h"

struct _PosCart
{
  GPtrArray *lines;
  char      *card_no;
};

static void
line_free (PosLine *line)
{
  g_free (line->sku);
  g_free (line->name);
  g_free (line->kind);
  g_free (line->staff);
  g_free (line->staff_name);
  g_free (line);
}

void
pos_product_free (PosProduct *product)
{
  if (product == NULL)
    return;
  g_free (product->sku);
  g_free (product->name);
  g_free (product->kind);
  g_free (product->match);
  g_free (product);
}

GPtrArray *
pos_product_list_parse (JsonObject *result,
                        GError    **error)
{
  PosReader r;
  g_autoptr(GPtrArray) products = g_ptr_array_new_with_free_func ((GDestroyNotify) pos_product_free);
  JsonArray *list;

  g_return_val_if_fail (result != NULL, NULL);
  pos_reader_init (&r, "product.search");
  list = pos_reader_array (&r, result, "products");
  for (guint i = 0; list && i < json_array_get_length (list); i++)
    {
      JsonObject *o = pos_reader_element (&r, list, i);
      PosProduct *p = g_new0 (PosProduct, 1);

      p->sku = pos_reader_dup_string (&r, o, "sku");
      p->name = pos_reader_dup_string (&r, o, "name");
      p->kind = pos_reader_dup_string (&r, o, "kind");
      p->price_fen = pos_reader_int (&r, o, "price_fen");
      p->no_discount = pos_reader_bool (&r, o, "no_discount");
      p->match = pos_reader_dup_string (&r, o, "match");
      g_ptr_array_add (products, p);
    }
  if (!pos_reader_finish (&r, error))
    return NULL;
  return g_steal_pointer (&products);
}

gboolean
pos_sale_preview_parse (JsonObject     *result,
                        PosSalePreview *out,
                        GError        **error)
{
  PosReader r;

  g_return_val_if_fail (result != NULL && out != NULL, FALSE);
  pos_reader_init (&r, "sale.preview");
  out->list_total_fen = pos_reader_int (&r, result, "list_total_fen");
  out->discount_fen = pos_reader_int (&r, result, "discount_fen");
  out->total_fen = pos_reader_int (&r, result, "total_fen");
  out->points_earned = pos_reader_int (&r, result, "points_earned");
  return pos_reader_finish (&r, error);
}

PosCart *
pos_cart_new (void)
{
  PosCart *cart = g_new0 (PosCart, 1);

  cart->lines = g_ptr_array_new_with_free_func ((GDestroyNotify) line_free);
  return cart;
}

void
pos_cart_free (PosCart *cart)
{
  if (cart == NULL)
    return;
  g_ptr_array_unref (cart->lines);
  g_free (cart->card_no);
  g_free (cart);
}

void
pos_cart_clear (PosCart *cart)
{
  g_ptr_array_set_size (cart->lines, 0);
  g_clear_pointer (&cart->card_no, g_free);
}

guint
pos_cart_get_n_lines (PosCart *cart)
{
  return cart->lines->len;
}

PosLine *
pos_cart_get_line (PosCart *cart,
                   guint    index)
{
  g_return_val_if_fail (index < cart->lines->len, NULL);
  return g_ptr_array_index (cart->lines, index);
}

/* Scanning the same product again adds to its line. Returns the line. */
guint
pos_cart_add (PosCart          *cart,
              const PosProduct *product,
              gint64            qty)
{
  const char *sku;
  PosLine *line;

  g_return_val_if_fail (cart != NULL && product != NULL, 0);
  sku = product->sku;

  for (guint i = 0; i < cart->lines->len; i++)
    {
      line = g_ptr_array_index (cart->lines, i);
      if (g_str_equal (line->sku, sku))
        {
          line->qty += qty;
          return i;
        }
    }
  line = g_new0 (PosLine, 1);
  line->sku = g_strdup (sku);
  line->name = g_strdup (product->name);
  line->kind = g_strdup (product->kind);
  line->price_fen = product->price_fen;
  line->no_discount = product->no_discount;
  line->qty = qty;
  g_ptr_array_add (cart->lines, line);
  return cart->lines->len - 1;
}

void
pos_cart_set_staff (PosCart    *cart,
                    guint       index,
                    const char *staff,
                    const char *staff_name)
{
  PosLine *line;

  g_return_if_fail (cart != NULL && index < cart->lines->len);
  line = g_ptr_array_index (cart->lines, index);
  g_free (line->staff);
  g_free (line->staff_name);
  line->staff = g_strdup (staff);
  line->staff_name = g_strdup (staff ? staff_name : NULL);
}

void
pos_cart_set_qty (PosCart *cart,
                  guint    index,
                  gint64   qty)
{
  g_return_if_fail (index < cart->lines->len);
  if (qty <= 0)
    pos_cart_remove (cart, index);
  else
    ((PosLine *) g_ptr_array_index (cart->lines, index))->qty = qty;
}

void
pos_cart_remove (PosCart *cart,
                 guint    index)
{
  g_return_if_fail (index < cart->lines->len);
  g_ptr_array_remove_index (cart->lines, index);
}

gint64
pos_cart_count_items (PosCart *cart)
{
  gint64 n = 0;

  for (guint i = 0; i < cart->lines->len; i++)
    n += ((PosLine *) g_ptr_array_index (cart->lines, i))->qty;
  return n;
}

/* For display only; an overflow shows as 0 and the operation refuses it. */
gint64
pos_line_total (PosLine *line)
{
  gint64 out = 0;

  if (!mdn_money_mul (line->price_fen, line->qty, &out, NULL))
    return 0;
  return out;
}

gint64
pos_cart_list_total (PosCart *cart)
{
  gint64 sum = 0;

  for (guint i = 0; i < cart->lines->len; i++)
    if (!mdn_money_add (sum, pos_line_total (g_ptr_array_index (cart->lines, i)), &sum, NULL))
      return 0;
  return sum;
}

void
pos_cart_set_card (PosCart    *cart,
                   const char *card_no)
{
  g_free (cart->card_no);
  cart->card_no = g_strdup (card_no);
}

const char *
pos_cart_get_card (PosCart *cart)
{
  return cart->card_no;
}

JsonObject *
pos_cart_sale_args (PosCart    *cart,
                    JsonArray  *tenders,
                    const char *pin)
{
  JsonObject *args = json_object_new ();
  JsonArray *lines = json_array_new ();

  if (cart->card_no)
    json_object_set_string_member (args, "card", cart->card_no);
  for (guint i = 0; i < cart->lines->len; i++)
    {
      PosLine *line = g_ptr_array_index (cart->lines, i);
      JsonObject *o = json_object_new ();

      json_object_set_string_member (o, "sku", line->sku);
      json_object_set_int_member (o, "qty", line->qty);
      if (line->staff)
        json_object_set_string_member (o, "staff", line->staff);
      json_array_add_object_element (lines, o);
    }
  json_object_set_array_member (args, "lines", lines);
  if (tenders)
    json_object_set_array_member (args, "tenders", json_array_ref (tenders));
  if (pin && *pin)
    json_object_set_string_member (args, "pin", pin);
  return args;
}
