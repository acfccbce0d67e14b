/* srv-member-page.c: a member's own page (GET /m/<signed QR payload>), for a
 * member who scans their card with a phone: balance, points, package uses
 * with expiry, level and validity, in Chinese, escaped, no script. The
 * payload's signature is checked with the chain key; a forged one is a
 * 404 like an unknown card. History and leaving a message behind the PIN
 * are not done yet. Public exposure goes behind a reverse proxy with TLS
 * (docs/members.md). */
#define G_LOG_DOMAIN "srv-member-page"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <string.h>

#include "mdn-money.h"
#include "mdn-qr.h"
#include "mdn-store.h"
#include "srv-api-private.h"
#include "srv-server.h"
#include "srv-store.h"
#include "srv-store-console.h"

static void
reply_html (SrvRequest *req,
            guint       status,
            GString    *body)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (req->msg);

  soup_message_headers_replace (h, "Cache-Control", "no-store");
  soup_message_headers_replace (h, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (h, "Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'");
  soup_server_message_set_status (req->msg, status, NULL);
  soup_server_message_set_response (req->msg, "text/html; charset=utf-8", SOUP_MEMORY_COPY, body->str, body->len);
}

static void
row (GString    *s,
     const char *label,
     const char *value)
{
  g_autofree char *l = g_markup_escape_text (label, -1);
  g_autofree char *v = g_markup_escape_text (value ? value : "", -1);

  g_string_append_printf (s, "<tr><th>%s</th><td>%s</td></tr>\n", l, v);
}

static void
page_start (GString    *s,
            const char *title)
{
  g_autofree char *t = g_markup_escape_text (title, -1);

  g_string_append_printf (s, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
                             "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
                             "<title>%s</title><style>body{font-family:sans-serif;margin:1em;max-width:32em}"
                             "th{text-align:left;padding-right:1em;color:#555}td{font-weight:bold}"
                             "table{border-collapse:collapse;margin-bottom:1em}</style></head><body>\n"
                             "<h1>%s</h1>\n", t, t);
}

static void
handle_page (SrvRequest *req)
{
  g_autofree char *hex = srv_store_chain_key_dup (req->store);
  g_autofree char *card_no = NULL, *member_id = NULL;
  g_autoptr(GString) s = g_string_new (NULL);
  g_autoptr(SrvRows) member = NULL, lots = NULL;
  gboolean any = FALSE;
  guint8 key[MDN_CHAIN_KEY_LEN];

  if (hex == NULL || strlen (hex) != 2 * MDN_CHAIN_KEY_LEN)
    goto not_found;
  for (int i = 0; i < MDN_CHAIN_KEY_LEN; i++)
    key[i] = (guint8) ((g_ascii_xdigit_value (hex[2 * i]) << 4) | g_ascii_xdigit_value (hex[2 * i + 1]));
  card_no = mdn_qr_parse_with_key (key, req->path + strlen ("/m/"), NULL);
  if (card_no == NULL)
    goto not_found;

  /* Through the console's store (srv-store-console.h): the member of the
     current card, its row and its lots. */
  member_id = srv_console_card_member (req->store, card_no);
  if (member_id == NULL || (member = srv_console_member_row (req->store, member_id, NULL)) == NULL ||
      member->len != 1)
    goto not_found;
  {
    /* id, card_no, name, phone, level, status, principal_fen, bonus_fen,
       points, issued_branch, expires_on, issued_at, birthday */
    char **m = g_ptr_array_index (member, 0);
    gint64 principal = g_ascii_strtoll (m[6], NULL, 10), bonus = g_ascii_strtoll (m[7], NULL, 10);
    g_autofree char *balance = mdn_money_format (principal + bonus);
    g_autofree char *yuan = g_strdup_printf ("¥%s", balance);

    page_start (s, m[2]);
    g_string_append (s, "<table>\n");
    row (s, _("Card"), m[1]);
    row (s, _("Level"), m[4]);
    row (s, _("Balance"), yuan);
    row (s, _("Points"), m[8]);
    row (s, _("Valid until"), *m[10] ? m[10] : _("no expiry"));
    if (g_strcmp0 (m[5], "lost") == 0)
      row (s, _("Status"), _("reported lost"));
    g_string_append (s, "</table>\n");
  }

  /* item, name, lot, expires_on, remaining, by item and expiry: each
     item's remaining uses and its soonest expiry. */
  lots = srv_console_package_rows (req->store, member_id, NULL);
  for (guint i = 0; lots && i < lots->len;)
    {
      char **first = g_ptr_array_index (lots, i);
      const char *until = NULL;
      gint64 uses = 0;
      g_autofree char *text = NULL;

      for (; i < lots->len && g_str_equal (((char **) g_ptr_array_index (lots, i))[0], first[0]); i++)
        {
          char **lot = g_ptr_array_index (lots, i);
          gint64 left = g_ascii_strtoll (lot[4], NULL, 10);

          if (left <= 0)
            continue;
          uses += left;
          if (until == NULL && *lot[3])
            until = lot[3];
        }
      if (uses <= 0)
        continue;
      if (!any)
        {
          g_autofree char *h = g_markup_escape_text (_("Packages"), -1);

          g_string_append_printf (s, "<h2>%s</h2>\n<table>\n", h);
          any = TRUE;
        }
      text = until ? g_strdup_printf (_("%" PRId64 " uses, until %s"), uses, until)
                   : g_strdup_printf (_("%" PRId64 " uses"), uses);
      row (s, first[1], text);
    }
  if (any)
    g_string_append (s, "</table>\n");
  g_string_append (s, "</body></html>\n");
  reply_html (req, SOUP_STATUS_OK, s);
  return;

not_found:
  g_string_truncate (s, 0);
  page_start (s, _("Card not found"));
  {
    g_autofree char *m = g_markup_escape_text (_("This is not a member card of this chain."), -1);

    g_string_append_printf (s, "<p>%s</p></body></html>\n", m);
  }
  reply_html (req, SOUP_STATUS_NOT_FOUND, s);
}

const SrvRoute srv_member_page_routes[] = {
  { "GET", "/m/", SRV_AUTH_NONE, handle_page },
  { NULL }
};
