/* mdn-qr.c: signed QR member card payloads and their PNG rendering. */
#define G_LOG_DOMAIN "mdn-qr"

#include <glib/gi18n-lib.h>
#include <nettle/hmac.h>
#include <png.h>
#include <qrencode.h>
#include <sodium.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mdn-error.h"
#include "mdn-id.h"
#include "mdn-qr.h"
#include "mdn-settings.h"
#include "mdn-store.h"

#define QR_PREFIX "MDN1."

/* HMAC-SHA256 through nettle (SHA-NI where the CPU has it): GLib's GHmac
 * cost about as much as the card's database lookup (bench-lookup). */
static char *
signature_with_key (const guint8 *key,
                    const char   *card_no)
{
  struct hmac_sha256_ctx hmac;
  guint8 digest[SHA256_DIGEST_SIZE];
  char b64[sodium_base64_ENCODED_LEN (SHA256_DIGEST_SIZE, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];

  hmac_sha256_set_key (&hmac, MDN_CHAIN_KEY_LEN, key);
  hmac_sha256_update (&hmac, strlen (QR_PREFIX), (const guint8 *) QR_PREFIX);
  hmac_sha256_update (&hmac, strlen (card_no), (const guint8 *) card_no);
  hmac_sha256_digest (&hmac, SHA256_DIGEST_SIZE, digest);
  sodium_bin2base64 (b64, sizeof b64, digest, sizeof digest, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero (&hmac, sizeof hmac);
  return g_strdup (b64);
}

static char *
signature (MdnStore   *store,
           const char *card_no)
{
  return signature_with_key (store->chain_key, card_no);
}

/* The payload in a member page's address, URL/m/MDN1.…, as a phone's
 * camera or the scanner reads a card printed with the chain's public URL;
 * the text itself otherwise. */
static const char *
strip_url (const char *text)
{
  const char *m;

  if (text == NULL || !(g_str_has_prefix (text, "https://") || g_str_has_prefix (text, "http://")))
    return text;
  m = strstr (text, "/m/" QR_PREFIX);
  return m ? m + 3 : text;
}

char *
mdn_qr_payload (MdnStore   *store,
                const char *card_no)
{
  g_autofree char *sig = NULL;

  g_return_val_if_fail (mdn_card_no_looks_like (card_no), NULL);

  sig = signature (store, card_no);
  return g_strconcat (QR_PREFIX, card_no, ".", sig, NULL);
}

char *
mdn_qr_card_text (MdnStore   *store,
                  const char *card_no)
{
  g_autofree char *payload = NULL;
  g_autofree char *url = NULL;
  gsize len;

  g_return_val_if_fail (store != NULL, NULL);

  payload = mdn_qr_payload (store, card_no);
  if (payload == NULL)
    return NULL;
  url = mdn_settings_dup_string (store->db, "member.public_url");
  len = url ? strlen (url) : 0;
  while (len > 0 && url[len - 1] == '/')
    url[--len] = '\0';
  if (len == 0)
    return g_steal_pointer (&payload);
  return g_strconcat (url, "/m/", payload, NULL);
}

gboolean
mdn_qr_is_payload (const char *text)
{
  text = strip_url (text);
  return text != NULL && g_str_has_prefix (text, QR_PREFIX);
}

/* The card number in a genuine payload; a forged or altered one is refused. */
char *
mdn_qr_parse (MdnStore   *store,
              const char *payload,
              GError    **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  return mdn_qr_parse_with_key (store->chain_key, payload, error);
}

char *
mdn_qr_parse_with_key (const guint8 *key,
                       const char   *payload,
                       GError      **error)
{
  g_auto(GStrv) parts = NULL;
  g_autofree char *expected = NULL;

  payload = strip_url (payload);

  parts = g_strsplit (payload, ".", -1);
  if (g_strv_length (parts) != 3 || !g_str_equal (parts[0], "MDN1") ||
      !mdn_card_no_looks_like (parts[1]))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_FORGED_QR,
                           _("This QR code is not a Mendian member card"));
      return NULL;
    }
  expected = signature_with_key (key, parts[1]);
  if (strlen (expected) != strlen (parts[2]) ||
      sodium_memcmp (expected, parts[2], strlen (expected)) != 0)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_FORGED_QR,
                           _("This member QR code is forged or damaged; ask for the physical card"));
      return NULL;
    }
  return g_strdup (parts[1]);
}

/* libpng reports errors by longjmp: keep that inside one small frame. */
static gboolean
write_png (FILE   *fp,
           QRcode *qr,
           int     scale,
           int     margin)
{
  png_structp png;
  png_infop info;
  png_bytep row;
  int size = (qr->width + 2 * margin) * scale;

  png = png_create_write_struct (PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
  if (png == NULL)
    return FALSE;
  info = png_create_info_struct (png);
  row = g_malloc ((gsize) size);
  if (info == NULL || setjmp (png_jmpbuf (png)))
    {
      png_destroy_write_struct (&png, &info);
      g_free (row);
      return FALSE;
    }
  png_init_io (png, fp);
  png_set_IHDR (png, info, (png_uint_32) size, (png_uint_32) size, 8, PNG_COLOR_TYPE_GRAY,
                PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
  png_write_info (png, info);
  for (int y = 0; y < size; y++)
    {
      int my = y / scale - margin;

      for (int x = 0; x < size; x++)
        {
          int mx = x / scale - margin;
          gboolean dark = mx >= 0 && my >= 0 && mx < qr->width && my < qr->width &&
                          (qr->data[my * qr->width + mx] & 1);

          row[x] = dark ? 0 : 255;
        }
      png_write_row (png, row);
    }
  png_write_end (png, NULL);
  png_destroy_write_struct (&png, &info);
  g_free (row);
  return TRUE;
}

/* 8 pixels a module and a quiet zone of 4 modules, black on white. */
gboolean
mdn_qr_write_png (const char *payload,
                  const char *path,
                  GError    **error)
{
  QRcode *qr;
  FILE *fp;
  gboolean ok;

  qr = QRcode_encodeString8bit (payload, 0, QR_ECLEVEL_M);
  if (qr == NULL)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INTERNAL, _("Cannot encode the QR code"));
      return FALSE;
    }
  fp = fopen (path, "wb");
  if (fp == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("Cannot write %s: %s"), path, g_strerror (errno));
      QRcode_free (qr);
      return FALSE;
    }
  ok = write_png (fp, qr, 8, 4);
  if (fclose (fp) != 0)
    ok = FALSE;
  QRcode_free (qr);
  if (!ok)
    g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("Cannot write %s"), path);
  return ok;
}
