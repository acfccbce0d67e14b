/* mdn-id.c */
#define G_LOG_DOMAIN "mdn-id"

#include <sodium.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-id.h"

/* RFC 9562 UUIDv7: 48-bit Unix milliseconds, version 7, 74 random bits. */
char *
mdn_uuid7_new (void)
{
  g_autoptr(GDateTime) now = mdn_clock_now ();
  guint64 ms;
  guint8 b[16];

  ms = (guint64) g_date_time_to_unix (now) * 1000 +
       (guint64) g_date_time_get_microsecond (now) / 1000;
  randombytes_buf (b, sizeof b);
  for (int i = 0; i < 6; i++)
    b[i] = (guint8) (ms >> (8 * (5 - i)));
  b[6] = (guint8) (0x70 | (b[6] & 0x0f));
  b[8] = (guint8) (0x80 | (b[8] & 0x3f));

  return g_strdup_printf ("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                          b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
                          b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

/* The Luhn digit to append to @digits (all ASCII digits). */
int
mdn_luhn_check_digit (const char *digits)
{
  int sum = 0;
  gsize len = strlen (digits);

  for (gsize i = 0; i < len; i++)
    {
      int d = digits[len - 1 - i] - '0';

      if (i % 2 == 0)
        {
          d *= 2;
          if (d > 9)
            d -= 9;
        }
      sum += d;
    }
  return (10 - sum % 10) % 10;
}

/* Branch number (3 digits) + sequence (7 digits) + Luhn digit. */
char *
mdn_card_no_make (int    branch_number,
                  gint64 seq)
{
  char body[MDN_CARD_NO_LEN];

  g_return_val_if_fail (branch_number >= 0 && branch_number <= 999, NULL);
  g_return_val_if_fail (seq >= 0 && seq <= 9999999, NULL);

  g_snprintf (body, sizeof body, "%03d%07" G_GINT64_FORMAT, branch_number, seq);
  return g_strdup_printf ("%s%d", body, mdn_luhn_check_digit (body));
}

gboolean
mdn_card_no_looks_like (const char *text)
{
  if (text == NULL || strlen (text) != MDN_CARD_NO_LEN)
    return FALSE;
  for (const char *p = text; *p; p++)
    if (!g_ascii_isdigit (*p))
      return FALSE;
  return TRUE;
}

gboolean
mdn_card_no_valid (const char *text)
{
  char body[MDN_CARD_NO_LEN];

  if (!mdn_card_no_looks_like (text))
    return FALSE;
  memcpy (body, text, MDN_CARD_NO_LEN - 1);
  body[MDN_CARD_NO_LEN - 1] = '\0';
  return mdn_luhn_check_digit (body) == text[MDN_CARD_NO_LEN - 1] - '0';
}

char *
mdn_random_hex (gsize n_bytes)
{
  g_autofree guint8 *buf = g_malloc (n_bytes);
  g_autofree char *hex = g_malloc (n_bytes * 2 + 1);

  randombytes_buf (buf, n_bytes);
  sodium_bin2hex (hex, n_bytes * 2 + 1, buf, n_bytes);
  return g_steal_pointer (&hex);
}
