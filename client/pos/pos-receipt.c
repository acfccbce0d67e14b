/* pos-receipt.c */
#define G_LOG_DOMAIN "pos-receipt"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <string.h>

#include "mdn-money.h"
#include "pos-receipt.h"

typedef enum {
  ROW_TITLE,
  ROW_CENTER,
  ROW_TEXT,
  ROW_PAIR,
  ROW_BIG,
  ROW_RULE,
  ROW_BARCODE,
} RowKind;

typedef struct
{
  RowKind kind;
  char   *left;
  char   *right;
} Row;

struct _PosReceipt
{
  int        width;
  gboolean   drawer;
  GPtrArray *rows;
};

static void
row_free (Row *row)
{
  g_free (row->left);
  g_free (row->right);
  g_free (row);
}

PosReceipt *
pos_receipt_new (int width)
{
  PosReceipt *r = g_new0 (PosReceipt, 1);

  r->width = CLAMP (width, 16, 64);
  r->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) row_free);
  return r;
}

void
pos_receipt_free (PosReceipt *receipt)
{
  if (receipt == NULL)
    return;
  g_ptr_array_unref (receipt->rows);
  g_free (receipt);
}

void
pos_receipt_set_drawer (PosReceipt *receipt,
                        gboolean    kick)
{
  receipt->drawer = kick;
}

static void
add (PosReceipt *r,
     RowKind     kind,
     const char *left,
     const char *right)
{
  Row *row = g_new0 (Row, 1);

  row->kind = kind;
  row->left = g_strdup (left ? left : "");
  row->right = g_strdup (right);
  g_ptr_array_add (r->rows, row);
}

void pos_receipt_add_title  (PosReceipt *r, const char *text) { add (r, ROW_TITLE, text, NULL); }
void pos_receipt_add_center (PosReceipt *r, const char *text) { add (r, ROW_CENTER, text, NULL); }
void pos_receipt_add_text   (PosReceipt *r, const char *text) { add (r, ROW_TEXT, text, NULL); }
void pos_receipt_add_rule   (PosReceipt *r) { add (r, ROW_RULE, NULL, NULL); }
void pos_receipt_add_barcode (PosReceipt *r, const char *code) { add (r, ROW_BARCODE, code, NULL); }

void
pos_receipt_add_pair (PosReceipt *r,
                      const char *left,
                      const char *right)
{
  add (r, ROW_PAIR, left, right);
}

void
pos_receipt_add_money (PosReceipt *r,
                       const char *left,
                       gint64      fen)
{
  g_autofree char *amount = mdn_money_format (fen);

  add (r, ROW_PAIR, left, amount);
}

void
pos_receipt_add_big (PosReceipt *r,
                     const char *left,
                     gint64      fen)
{
  g_autofree char *amount = mdn_money_format (fen);

  add (r, ROW_BIG, left, amount);
}

void
pos_receipt_add_item (PosReceipt *r,
                      const char *name,
                      gint64      qty,
                      gint64      unit_fen,
                      gint64      total_fen)
{
  g_autofree char *unit = mdn_money_format (unit_fen);
  g_autofree char *total = mdn_money_format (total_fen);
  g_autofree char *detail = g_strdup_printf ("  %" PRId64 " x %s", qty, unit);

  add (r, ROW_TEXT, name, NULL);
  add (r, ROW_PAIR, detail, total);
}

/* Layout ------------------------------------------------------------------ */

int
pos_text_width (const char *text)
{
  int w = 0;

  for (const char *p = text; p && *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);

      if (g_unichar_iszerowidth (c))
        continue;
      w += g_unichar_iswide (c) || g_unichar_iswide_cjk (c) ? 2 : 1;
    }
  return w;
}

/* The longest prefix of @text that fits @width columns. */
static char *
fit (const char *text,
     int         width)
{
  int w = 0;
  const char *p;

  for (p = text; *p; p = g_utf8_next_char (p))
    {
      gunichar c = g_utf8_get_char (p);
      int cw = g_unichar_iswide (c) || g_unichar_iswide_cjk (c) ? 2 : 1;

      if (w + cw > width)
        break;
      w += cw;
    }
  return g_strndup (text, p - text);
}

static void
append_spaces (GString *s,
               int      n)
{
  for (int i = 0; i < n; i++)
    g_string_append_c (s, ' ');
}

/* @text wrapped to lines of @width columns. */
static void
wrap (GString    *out,
      const char *text,
      int         width)
{
  const char *p = text;

  do
    {
      g_autofree char *line = fit (p, width);

      if (*line == '\0' && *p)     /* a character wider than the line */
        line = g_strndup (p, g_utf8_next_char (p) - p);
      g_string_append (out, line);
      g_string_append_c (out, '\n');
      p += strlen (line);
    }
  while (*p);
}

static void
pair (GString    *out,
      const char *left,
      const char *right,
      int         width)
{
  int lw = pos_text_width (left), rw = pos_text_width (right);

  if (lw + 1 + rw <= width)
    {
      g_string_append (out, left);
      append_spaces (out, width - lw - rw);
      g_string_append (out, right);
      g_string_append_c (out, '\n');
    }
  else
    {
      wrap (out, left, width);
      append_spaces (out, MAX (width - rw, 0));
      g_string_append (out, right);
      g_string_append_c (out, '\n');
    }
}

static void
center (GString    *out,
        const char *text,
        int         width)
{
  int w = pos_text_width (text);

  if (w >= width)
    {
      wrap (out, text, width);
      return;
    }
  append_spaces (out, (width - w) / 2);
  g_string_append (out, text);
  g_string_append_c (out, '\n');
}

static void
rule (GString *out,
      int      width)
{
  for (int i = 0; i < width; i++)
    g_string_append_c (out, '-');
  g_string_append_c (out, '\n');
}

char *
pos_receipt_render_text (PosReceipt *r)
{
  GString *out = g_string_new (NULL);

  for (guint i = 0; i < r->rows->len; i++)
    {
      Row *row = g_ptr_array_index (r->rows, i);

      switch (row->kind)
        {
        case ROW_TITLE:
        case ROW_CENTER:
          center (out, row->left, r->width);
          break;
        case ROW_TEXT:
          wrap (out, row->left, r->width);
          break;
        case ROW_PAIR:
        case ROW_BIG:
          pair (out, row->left, row->right, r->width);
          break;
        case ROW_RULE:
          rule (out, r->width);
          break;
        case ROW_BARCODE:
          center (out, row->left, r->width);
          break;
        default:
          g_assert_not_reached ();
        }
    }
  return g_string_free (out, FALSE);
}

/* ESC/POS ----------------------------------------------------------------- */

#define ESC 0x1b
#define GS  0x1d
#define FS  0x1c

static void
bytes (GByteArray *out,
       const guint8 *data,
       gsize         len)
{
  g_byte_array_append (out, data, len);
}

#define CMD(out, ...) G_STMT_START { \
    static const guint8 cmd_[] = { __VA_ARGS__ }; \
    bytes ((out), cmd_, sizeof cmd_); \
  } G_STMT_END

static gboolean
text_gb18030 (GByteArray *out,
              const char *utf8,
              GError    **error)
{
  gsize len = 0;
  g_autofree char *gb = g_convert (utf8, -1, "GB18030", "UTF-8", NULL, &len, error);

  if (gb == NULL)
    return FALSE;
  bytes (out, (const guint8 *) gb, len);
  return TRUE;
}

GBytes *
pos_receipt_render_escpos (PosReceipt *r,
                           GError    **error)
{
  g_autoptr(GByteArray) out = g_byte_array_new ();

  CMD (out, ESC, '@');              /* initialise */
  CMD (out, FS, '&');               /* Chinese (GB18030) character mode */
  for (guint i = 0; i < r->rows->len; i++)
    {
      Row *row = g_ptr_array_index (r->rows, i);
      g_autoptr(GString) line = g_string_new (NULL);

      switch (row->kind)
        {
        case ROW_TITLE:
          CMD (out, ESC, 'a', 1, ESC, 'E', 1, GS, '!', 0x11);
          wrap (line, row->left, r->width / 2);
          if (!text_gb18030 (out, line->str, error))
            return NULL;
          CMD (out, GS, '!', 0x00, ESC, 'E', 0, ESC, 'a', 0);
          break;
        case ROW_CENTER:
          CMD (out, ESC, 'a', 1);
          wrap (line, row->left, r->width);
          if (!text_gb18030 (out, line->str, error))
            return NULL;
          CMD (out, ESC, 'a', 0);
          break;
        case ROW_TEXT:
          wrap (line, row->left, r->width);
          if (!text_gb18030 (out, line->str, error))
            return NULL;
          break;
        case ROW_PAIR:
          pair (line, row->left, row->right, r->width);
          if (!text_gb18030 (out, line->str, error))
            return NULL;
          break;
        case ROW_BIG:
          /* Double height only: the columns stay the same. */
          CMD (out, ESC, 'E', 1, GS, '!', 0x01);
          pair (line, row->left, row->right, r->width);
          if (!text_gb18030 (out, line->str, error))
            return NULL;
          CMD (out, GS, '!', 0x00, ESC, 'E', 0);
          break;
        case ROW_RULE:
          rule (line, r->width);
          bytes (out, (const guint8 *) line->str, line->len);
          break;
        case ROW_BARCODE:
          {
            gsize n = strlen (row->left);
            guint8 len;

            if (n == 0 || n > 60)
              break;
            len = (guint8) (n + 2);
            CMD (out, ESC, 'a', 1, GS, 'h', 60, GS, 'w', 2, GS, 'H', 2);
            CMD (out, GS, 'k', 73);       /* CODE128, length-prefixed */
            g_byte_array_append (out, &len, 1);
            CMD (out, '{', 'B');
            bytes (out, (const guint8 *) row->left, n);
            CMD (out, '\n', ESC, 'a', 0);
          }
          break;
        default:
          g_assert_not_reached ();
        }
    }
  CMD (out, ESC, 'd', 4);            /* feed past the cutter */
  CMD (out, GS, 'V', 66, 0);         /* partial cut */
  if (r->drawer)
    CMD (out, ESC, 'p', 0, 25, 250); /* kick drawer 1 */
  return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

/* The usual receipts -------------------------------------------------------- */

static const char *
tender_name (const char *t)
{
  if (g_strcmp0 (t, "cash") == 0) return _("Cash");
  if (g_strcmp0 (t, "bank") == 0) return _("Bank card");
  if (g_strcmp0 (t, "wechat") == 0) return _("WeChat Pay");
  if (g_strcmp0 (t, "alipay") == 0) return _("Alipay");
  if (g_strcmp0 (t, "balance") == 0) return _("Member balance");
  return t ? t : "";
}

static const char *
str (JsonObject *o, const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
         ? json_node_get_string (n) : NULL;
}

static gint64
num (JsonObject *o, const char *name, gint64 fallback)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64
         ? json_node_get_int (n) : fallback;
}

/* The shop's details (shop.show), printed on every receipt: set by the
 * System page when someone logs in or saves them (pos-admin.c). */
static char *shop_name, *shop_lines, *shop_footer;

void
pos_receipt_set_shop (const char *name,
                      const char *lines,
                      const char *footer)
{
  g_free (shop_name);
  g_free (shop_lines);
  g_free (shop_footer);
  shop_name = name && *name ? g_strdup (name) : NULL;
  shop_lines = lines && *lines ? g_strdup (lines) : NULL;
  shop_footer = footer && *footer ? g_strdup (footer) : NULL;
}

static void
shop_top (PosReceipt *r)
{
  g_auto(GStrv) lines = shop_lines ? g_strsplit (shop_lines, "\n", -1) : NULL;

  for (guint i = 0; lines && lines[i]; i++)
    if (*lines[i])
      pos_receipt_add_center (r, lines[i]);
}

static const char *
thanks (void)
{
  return shop_footer ? shop_footer : _("Thank you, please come again");
}

static void
header (PosReceipt *r,
        const char *branch,
        const char *title,
        const char *staff,
        const char *at,
        const char *receipt_no)
{
  pos_receipt_add_title (r, shop_name ? shop_name : branch);
  shop_top (r);
  pos_receipt_add_center (r, title);
  pos_receipt_add_rule (r);
  if (receipt_no)
    pos_receipt_add_pair (r, _("Receipt"), receipt_no);
  if (at)
    pos_receipt_add_pair (r, _("Time"), at);
  if (staff)
    pos_receipt_add_pair (r, _("Cashier"), staff);
  pos_receipt_add_rule (r);
}

static void
tenders (PosReceipt *r,
         JsonObject *o)
{
  JsonArray *list = o && json_object_has_member (o, "tenders")
                    ? json_object_get_array_member (o, "tenders") : NULL;

  for (guint i = 0; list && i < json_array_get_length (list); i++)
    {
      JsonObject *t = json_array_get_object_element (list, i);

      pos_receipt_add_money (r, tender_name (str (t, "type")), num (t, "amount_fen", 0));
    }
}

static void
member_footer (PosReceipt *r,
               JsonObject *o)
{
  if (str (o, "card_no") == NULL)
    return;
  pos_receipt_add_rule (r);
  pos_receipt_add_pair (r, _("Member card"), str (o, "card_no"));
  if (json_object_has_member (o, "balance_fen"))
    pos_receipt_add_money (r, _("Balance"), num (o, "balance_fen", 0));
  if (json_object_has_member (o, "points"))
    {
      g_autofree char *p = g_strdup_printf ("%" PRId64, num (o, "points", 0));
      pos_receipt_add_pair (r, _("Points"), p);
    }
}

/* @lines: [{name, qty, price_fen, total_fen?}]. */
PosReceipt *
pos_receipt_for_sale (int         width,
                      const char *branch,
                      const char *staff,
                      const char *at,
                      JsonObject *sale,
                      JsonArray  *lines)
{
  PosReceipt *r = pos_receipt_new (width);
  gint64 change = num (sale, "change_fen", 0);

  header (r, branch, _("Sales Receipt"), staff, at, str (sale, "receipt_no"));
  for (guint i = 0; lines && i < json_array_get_length (lines); i++)
    {
      JsonObject *l = json_array_get_object_element (lines, i);
      gint64 qty = num (l, "qty", 1), price = num (l, "price_fen", 0);

      pos_receipt_add_item (r, str (l, "name") ? str (l, "name") : str (l, "sku"), qty, price,
                            num (l, "total_fen", price * qty));
    }
  pos_receipt_add_rule (r);
  if (num (sale, "discount_fen", 0) != 0)
    {
      /* The discount is the member's and the cash rounding (抹零) together. */
      gint64 rounding = num (sale, "rounding_fen", 0);
      gint64 member = num (sale, "discount_fen", 0) - rounding;

      pos_receipt_add_money (r, _("Subtotal"), num (sale, "list_total_fen", 0));
      if (member != 0)
        pos_receipt_add_money (r, _("Member discount"), -member);
      if (rounding != 0)
        pos_receipt_add_money (r, _("Rounding"), -rounding);
    }
  pos_receipt_add_big (r, _("Total"), num (sale, "total_fen", 0));
  tenders (r, sale);
  if (change > 0)
    pos_receipt_add_money (r, _("Change"), change);
  if (num (sale, "points_earned", 0) > 0)
    {
      g_autofree char *p = g_strdup_printf ("%" PRId64, num (sale, "points_earned", 0));
      pos_receipt_add_pair (r, _("Points earned"), p);
    }
  member_footer (r, sale);
  pos_receipt_add_rule (r);
  if (str (sale, "receipt_no"))
    pos_receipt_add_barcode (r, str (sale, "receipt_no"));
  pos_receipt_add_center (r, thanks ());
  /* A cash payment opens the drawer. */
  {
    JsonArray *list = json_object_has_member (sale, "tenders")
                      ? json_object_get_array_member (sale, "tenders") : NULL;

    for (guint i = 0; list && i < json_array_get_length (list); i++)
      if (g_strcmp0 (str (json_array_get_object_element (list, i), "type"), "cash") == 0)
        r->drawer = TRUE;
    if (change > 0)
      r->drawer = TRUE;
  }
  return r;
}

/* The lines a return takes back: {name, sku, qty, refund_fen, uses?}. */
static void
returned_lines (PosReceipt *r,
                JsonObject *o)
{
  JsonArray *list = o && json_object_has_member (o, "lines")
                    && JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "lines"))
                    ? json_object_get_array_member (o, "lines") : NULL;

  for (guint i = 0; list && i < json_array_get_length (list); i++)
    {
      JsonObject *l = json_array_get_object_element (list, i);
      g_autofree char *detail = NULL;

      if (l == NULL)
        continue;
      pos_receipt_add_text (r, str (l, "name") ? str (l, "name") : str (l, "sku"));
      if (num (l, "uses", 0) > 0)
        detail = g_strdup_printf (_("  %" PRId64 " back (%" PRId64 " uses)"),
                                  num (l, "qty", 0), num (l, "uses", 0));
      else
        detail = g_strdup_printf (_("  %" PRId64 " back"), num (l, "qty", 0));
      if (json_object_has_member (l, "refund_fen"))
        pos_receipt_add_money (r, detail, num (l, "refund_fen", 0));
      else
        pos_receipt_add_text (r, detail);
    }
  if (list && json_array_get_length (list) > 0)
    pos_receipt_add_rule (r);
}

/* The goods and services of a table (timed.add), billed with its time:
 * {name, qty, unit_price_fen, amount_fen}; the time's own part first. */
static void
table_lines (PosReceipt *r,
             JsonObject *o)
{
  JsonArray *list = json_object_has_member (o, "lines") && JSON_NODE_HOLDS_ARRAY (json_object_get_member (o, "lines"))
                    ? json_object_get_array_member (o, "lines") : NULL;

  pos_receipt_add_money (r, _("Time"), num (o, "time_fen", 0));
  for (guint i = 0; list && i < json_array_get_length (list); i++)
    {
      JsonObject *l = json_array_get_object_element (list, i);
      g_autofree char *price = NULL;
      g_autofree char *detail = NULL;

      if (l == NULL)
        continue;
      price = mdn_money_format (num (l, "unit_price_fen", 0));
      pos_receipt_add_text (r, str (l, "name") ? str (l, "name") : str (l, "sku"));
      detail = g_strdup_printf ("  %" PRId64 " × %s", num (l, "qty", 0), price);
      pos_receipt_add_money (r, detail, num (l, "amount_fen", 0));
    }
  pos_receipt_add_rule (r);
}

/* A package use: the service by name, the uses taken and those left. */
static void
package_use (PosReceipt *r,
             JsonObject *o)
{
  g_autofree char *count = g_strdup_printf (_("%" PRId64 " uses"), num (o, "count", 0));
  g_autofree char *left = g_strdup_printf (_("%" PRId64 " uses"), num (o, "remaining", 0));

  pos_receipt_add_pair (r, _("Service"), str (o, "name") ? str (o, "name") : str (o, "sku"));
  pos_receipt_add_pair (r, _("Used now"), count);
  pos_receipt_add_pair (r, _("Uses left"), left);
}

/* A deposit, withdrawal, return, package use or timed session: its
 * amounts, lines and table as the operation (or receipt.show) gave them. */
PosReceipt *
pos_receipt_for_entry (int         width,
                       const char *branch,
                       const char *staff,
                       const char *at,
                       const char *title,
                       JsonObject *result)
{
  PosReceipt *r = pos_receipt_new (width);
  static const struct { const char *member; const char *label; } amounts[] = {
    { "amount_fen", N_("Amount") },
    { "bonus_fen", N_("Bonus") },
    { "refund_fen", N_("Refund") },
    { "total_fen", N_("Total") },
    { "change_fen", N_("Change") },
  };

  header (r, branch, title, staff, at, str (result, "receipt_no"));
  if (str (result, "sale_receipt_no"))
    pos_receipt_add_pair (r, _("Original receipt"), str (result, "sale_receipt_no"));
  if (str (result, "resource"))
    pos_receipt_add_pair (r, _("Table"), str (result, "resource_name") ? str (result, "resource_name")
                                                                       : str (result, "resource"));
  if (json_object_has_member (result, "minutes") && json_object_has_member (result, "prepaid_minutes") &&
      !json_object_has_member (result, "stopped_at"))
    {
      /* 预付计时: the time bought now, and all there is. */
      g_autofree char *m = g_strdup_printf (_("%" PRId64 " min"), num (result, "minutes", 0));
      g_autofree char *all = g_strdup_printf (_("%" PRId64 " min"), num (result, "prepaid_minutes", 0));

      pos_receipt_add_pair (r, _("Prepaid time"), m);
      if (num (result, "prepaid_minutes", 0) != num (result, "minutes", 0))
        pos_receipt_add_pair (r, _("Prepaid in all"), all);
    }
  else if (json_object_has_member (result, "minutes"))
    {
      g_autofree char *m = g_strdup_printf (_("%" PRId64 " min"), num (result, "minutes", 0));
      pos_receipt_add_pair (r, _("Time used"), m);
      if (json_object_has_member (result, "prepaid_minutes"))
        {
          g_autofree char *p = g_strdup_printf (_("%" PRId64 " min"), num (result, "prepaid_minutes", 0));

          pos_receipt_add_pair (r, _("Prepaid time"), p);
        }
    }
  if (json_object_has_member (result, "count") && json_object_has_member (result, "remaining"))
    package_use (r, result);
  if (json_object_has_member (result, "time_fen") && json_object_has_member (result, "lines"))
    table_lines (r, result);
  else
    returned_lines (r, result);
  for (guint i = 0; i < G_N_ELEMENTS (amounts); i++)
    if (json_object_has_member (result, amounts[i].member) &&
        (num (result, amounts[i].member, 0) != 0 || g_str_equal (amounts[i].member, "amount_fen")))
      {
        if (g_str_equal (amounts[i].member, "total_fen") || g_str_equal (amounts[i].member, "refund_fen"))
          pos_receipt_add_big (r, _(amounts[i].label), num (result, amounts[i].member, 0));
        else
          pos_receipt_add_money (r, _(amounts[i].label), num (result, amounts[i].member, 0));
      }
  if (str (result, "tender"))
    pos_receipt_add_pair (r, _("Paid by"), tender_name (str (result, "tender")));
  tenders (r, result);
  member_footer (r, result);
  pos_receipt_add_rule (r);
  if (str (result, "receipt_no"))
    pos_receipt_add_barcode (r, str (result, "receipt_no"));
  pos_receipt_add_center (r, thanks ());
  return r;
}

PosReceipt *
pos_receipt_for_handover (int                width,
                          const char        *branch,
                          const char        *staff,
                          const char        *opened,
                          const char        *closed,
                          const PosHandover *h,
                          JsonArray         *denominations)
{
  PosReceipt *r = pos_receipt_new (width);
  g_autofree char *n = g_strdup_printf ("%" PRId64, h->entries);

  pos_receipt_add_title (r, branch);
  pos_receipt_add_center (r, _("Shift Handover"));
  pos_receipt_add_rule (r);
  pos_receipt_add_pair (r, _("Cashier"), staff);
  pos_receipt_add_pair (r, _("From"), opened ? opened : _("first shift"));
  pos_receipt_add_pair (r, _("To"), closed);
  pos_receipt_add_pair (r, _("Transactions"), n);
  if (h->float_fen > 0)
    pos_receipt_add_money (r, _("Float"), h->float_fen);
  pos_receipt_add_rule (r);
  for (guint i = 0; i < h->tenders->len; i++)
    {
      PosTenderCount *t = g_ptr_array_index (h->tenders, i);

      if (t->expected_fen == 0 && t->counted_fen == 0 && !t->counted)
        continue;
      pos_receipt_add_text (r, tender_name (t->tender));
      pos_receipt_add_money (r, _("  expected"), t->expected_fen);
      if (t->counted)
        {
          pos_receipt_add_money (r, _("  counted"), t->counted_fen);
          pos_receipt_add_money (r, t->over_short_fen >= 0 ? _("  over") : _("  short"), t->over_short_fen);
        }
      else
        pos_receipt_add_text (r, _("  not counted"));
    }
  for (guint i = 0; denominations && i < json_array_get_length (denominations); i++)
    {
      JsonObject *d = json_array_get_object_element (denominations, i);
      g_autofree char *value = d ? mdn_money_format (num (d, "value_fen", 0)) : NULL;
      g_autofree char *left = NULL;

      if (d == NULL)
        continue;
      if (i == 0)
        {
          pos_receipt_add_rule (r);
          pos_receipt_add_text (r, _("Cash by note and coin"));
        }
      left = g_strdup_printf ("  %s × %" PRId64, value, num (d, "count", 0));
      pos_receipt_add_money (r, left, num (d, "value_fen", 0) * num (d, "count", 0));
    }
  pos_receipt_add_rule (r);
  pos_receipt_add_big (r, h->over_short_fen >= 0 ? _("Over") : _("Short"), h->over_short_fen);
  pos_receipt_add_rule (r);
  pos_receipt_add_text (r, _("Handed over by:"));
  pos_receipt_add_text (r, _("Taken over by:"));
  return r;
}
