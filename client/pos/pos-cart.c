/* pos-cart.c */
#include "mdn-money.h"
#include "pos-cart.h"
#include "pos-session.h"

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
  g_free (line);
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
pos_cart_add (PosCart    *cart,
              JsonObject *product,
              gint64      qty)
{
  const char *sku = pos_json_str (product, "sku", "");
  PosLine *line;

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
  line->name = g_strdup (pos_json_str (product, "name", sku));
  line->kind = g_strdup (pos_json_str (product, "kind", "goods"));
  line->price_fen = pos_json_int (product, "price_fen", 0);
  line->no_discount = pos_json_int (product, "no_discount", FALSE);
  line->qty = qty;
  g_ptr_array_add (cart->lines, line);
  return cart->lines->len - 1;
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
      json_array_add_object_element (lines, o);
    }
  json_object_set_array_member (args, "lines", lines);
  if (tenders)
    json_object_set_array_member (args, "tenders", json_array_ref (tenders));
  if (pin && *pin)
    json_object_set_string_member (args, "pin", pin);
  return args;
}
