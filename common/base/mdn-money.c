/* mdn-money.c */
#define G_LOG_DOMAIN "mdn-money"

#include <glib/gi18n-lib.h>

#include "mdn-error.h"
#include "mdn-money.h"

const char *const mdn_money_tenders[] = { "cash", "bank", "wechat", "alipay", NULL };
const char *const mdn_all_tenders[] = { "cash", "bank", "wechat", "alipay", "balance", NULL };

static gboolean
malformed (const char *text,
           GError    **error)
{
  g_set_error (error, MDN_ERROR, MDN_ERROR_MALFORMED_MONEY,
               _("“%s” is not an amount of money; write it like 1234.50"), text);
  return FALSE;
}

/* Accepts "1234", "1234.5", "1234.50", "1,234.50", "-0.01", "+3", "¥12".
 * Commas are only accepted as thousands separators in the right places. */
gboolean
mdn_money_parse (const char *text,
                 gint64     *out_fen,
                 GError    **error)
{
  const char *p;
  gboolean negative = FALSE;
  gint64 yuan = 0;
  gint64 fen = 0;
  int int_digits = 0;
  int group_len = -1;           /* digits since last comma, -1 = no comma seen */
  int frac_digits = 0;

  g_return_val_if_fail (out_fen != NULL, FALSE);

  if (text == NULL)
    return malformed ("", error);

  p = text;
  while (g_ascii_isspace (*p))
    p++;
  if (*p == '-' || *p == '+')
    negative = (*p++ == '-');
  if (g_str_has_prefix (p, "¥"))
    p += strlen ("¥");

  for (; *p != '\0' && *p != '.'; p++)
    {
      if (*p == ',')
        {
          if (int_digits == 0 || (group_len >= 0 && group_len != 3) ||
              (group_len < 0 && int_digits > 3))
            return malformed (text, error);
          group_len = 0;
          continue;
        }
      if (!g_ascii_isdigit (*p))
        break;
      if (yuan > (MDN_MONEY_MAX / 100) / 10 + 1)
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_MONEY_OVERFLOW,
                       _("The amount %s is too large"), text);
          return FALSE;
        }
      yuan = yuan * 10 + (*p - '0');
      int_digits++;
      if (group_len >= 0)
        group_len++;
    }
  if (group_len >= 0 && group_len != 3)
    return malformed (text, error);

  if (*p == '.')
    {
      p++;
      for (; g_ascii_isdigit (*p); p++)
        {
          if (frac_digits == 2)
            return malformed (text, error);
          fen = fen * 10 + (*p - '0');
          frac_digits++;
        }
      if (frac_digits == 0 && int_digits == 0)
        return malformed (text, error);
      if (frac_digits == 1)
        fen *= 10;
    }
  while (g_ascii_isspace (*p))
    p++;
  if (*p != '\0' || (int_digits == 0 && frac_digits == 0))
    return malformed (text, error);

  if (yuan > MDN_MONEY_MAX / 100 || yuan * 100 + fen > MDN_MONEY_MAX)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_MONEY_OVERFLOW,
                   _("The amount %s is too large"), text);
      return FALSE;
    }

  *out_fen = (yuan * 100 + fen) * (negative ? -1 : 1);
  return TRUE;
}

static char *
format_impl (gint64   fen,
             gboolean grouping)
{
  GString *s = g_string_new (NULL);
  guint64 abs_fen;
  g_autofree char *digits = NULL;
  gsize len, i;

  abs_fen = fen < 0 ? (guint64) 0 - (guint64) fen : (guint64) fen;
  digits = g_strdup_printf ("%" G_GUINT64_FORMAT, abs_fen / 100);
  len = strlen (digits);

  if (fen < 0)
    g_string_append_c (s, '-');
  for (i = 0; i < len; i++)
    {
      if (grouping && i > 0 && (len - i) % 3 == 0)
        g_string_append_c (s, ',');
      g_string_append_c (s, digits[i]);
    }
  g_string_append_printf (s, ".%02u", (guint) (abs_fen % 100));
  return g_string_free (s, FALSE);
}

/* "1,234.50" */
char *
mdn_money_format (gint64 fen)
{
  return format_impl (fen, TRUE);
}

/* "1234.50" */
char *
mdn_money_format_plain (gint64 fen)
{
  return format_impl (fen, FALSE);
}

static gboolean
overflow (GError **error)
{
  g_set_error_literal (error, MDN_ERROR, MDN_ERROR_MONEY_OVERFLOW,
                       _("The amount is too large"));
  return FALSE;
}

gboolean
mdn_money_add (gint64  a,
               gint64  b,
               gint64 *out,
               GError **error)
{
  gint64 r;

  if (__builtin_add_overflow (a, b, &r) || r > MDN_MONEY_MAX || r < -MDN_MONEY_MAX)
    return overflow (error);
  *out = r;
  return TRUE;
}

gboolean
mdn_money_mul (gint64  fen,
               gint64  factor,
               gint64 *out,
               GError **error)
{
  gint64 r;

  if (__builtin_mul_overflow (fen, factor, &r) || r > MDN_MONEY_MAX || r < -MDN_MONEY_MAX)
    return overflow (error);
  *out = r;
  return TRUE;
}

/* Rounds num/den to the nearest integer, halves away from zero. den > 0. */
gint64
mdn_div_round_half_up (gint64 num,
                       gint64 den)
{
  g_assert (den > 0);
  if (num >= 0)
    return (num + den / 2) / den;
  return -((-num + den / 2) / den);
}

/* Ceiling of num/den for num >= 0, den > 0. */
gint64
mdn_div_ceil (gint64 num,
              gint64 den)
{
  g_assert (den > 0);
  g_assert (num >= 0);
  return (num + den - 1) / den;
}

/* round_half_up (fen × percent / 100): the one rule for member prices. */
gboolean
mdn_money_percent (gint64  fen,
                   gint64  percent,
                   gint64 *out,
                   GError **error)
{
  gint64 product;

  if (__builtin_mul_overflow (fen, percent, &product))
    return overflow (error);
  *out = mdn_div_round_half_up (product, 100);
  if (*out > MDN_MONEY_MAX || *out < -MDN_MONEY_MAX)
    return overflow (error);
  return TRUE;
}

/* Amounts a cashier types must be positive (or zero where allowed) and in range. */
gboolean
mdn_money_check_amount (gint64   fen,
                        gboolean allow_zero,
                        GError **error)
{
  if (fen < 0 || (fen == 0 && !allow_zero))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           allow_zero ? _("The amount cannot be negative")
                                      : _("The amount must be greater than zero"));
      return FALSE;
    }
  if (fen > MDN_MONEY_MAX)
    return overflow (error);
  return TRUE;
}

/* a × b / c for c > 0, rounded half up or down (floor), refusing overflow
 * instead of wrapping. */
gboolean
mdn_money_mul_div (gint64   a,
                   gint64   b,
                   gint64   c,
                   gboolean round_half_up,
                   gint64  *out,
                   GError **error)
{
  gint64 product;

  g_return_val_if_fail (c > 0, FALSE);

  if (__builtin_mul_overflow (a, b, &product))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_MONEY_OVERFLOW, _("The amount is too large"));
      return FALSE;
    }
  if (round_half_up)
    *out = mdn_div_round_half_up (product, c);
  else
    {
      *out = product / c;
      if (product % c != 0 && product < 0)
        (*out)--;
    }
  return TRUE;
}

/* floor (paid_fen / 100) × points_per_yuan: every whole yuan paid earns. */
gint64
mdn_money_points_for (gint64 paid_fen,
                      gint64 points_per_yuan)
{
  if (paid_fen <= 0 || points_per_yuan <= 0)
    return 0;
  return (paid_fen / 100) * points_per_yuan;
}

/* round_half_up (unit × qty × percent / 100): what a line costs. A return
 * gives back the cost of all units returned after it less the cost of those
 * returned before, so returning a whole line gives back its amount. */
gboolean
mdn_money_line_cost (gint64   unit_price_fen,
                     gint64   qty,
                     gint64   percent,
                     gint64  *list_fen,
                     gint64  *amount_fen,
                     GError **error)
{
  gint64 list;

  g_return_val_if_fail (amount_fen != NULL, FALSE);

  if (!mdn_money_mul (unit_price_fen, qty, &list, error) ||
      !mdn_money_percent (list, percent, amount_fen, error))
    return FALSE;
  if (list_fen)
    *list_fen = list;
  return TRUE;
}

gboolean
mdn_money_commission (gint64  base_fen,
                      gint64  percent_bp,
                      gint64  fixed_fen,
                      gint64  qty,
                      gint64 *out)
{
  gint64 part, fixed, sum;

  g_return_val_if_fail (out != NULL, FALSE);

  if (base_fen < 0 || qty < 0 || percent_bp < 0 || percent_bp > 10000 || fixed_fen < 0 ||
      base_fen > MDN_MONEY_MAX || fixed_fen > MDN_MONEY_MAX)
    return FALSE;
  /* base ≤ 10^15 and bp ≤ 10^4: the product stays inside gint64. */
  part = mdn_div_round_half_up (base_fen * percent_bp, 10000);
  if (__builtin_mul_overflow (fixed_fen, qty, &fixed) || __builtin_add_overflow (part, fixed, &sum) ||
      sum > MDN_MONEY_MAX)
    return FALSE;
  *out = sum;
  return TRUE;
}
