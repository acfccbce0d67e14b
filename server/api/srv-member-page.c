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
  MdnDb *db = srv_store_get_db (req->store);
  g_autofree char *hex = srv_store_chain_key_dup (req->store);
  g_autofree char *card_no = NULL;
  g_autoptr(GString) s = g_string_new (NULL);
  guint8 key[MDN_CHAIN_KEY_LEN];
  sqlite3_stmt *stmt;
  int rc;

  if (db == NULL)
    {
      /* The PostgreSQL store has no member page yet (docs/server.md). */
      page_start (s, _("Not available"));
      {
        g_autofree char *m = g_markup_escape_text (_("The member page is not available on the PostgreSQL store yet."), -1);

        g_string_append_printf (s, "<p>%s</p></body></html>\n", m);
      }
      reply_html (req, SOUP_STATUS_NOT_IMPLEMENTED, s);
      return;
    }
  if (hex == NULL || strlen (hex) != 2 * MDN_CHAIN_KEY_LEN)
    goto not_found;
  for (int i = 0; i < MDN_CHAIN_KEY_LEN; i++)
    key[i] = (guint8) ((g_ascii_xdigit_value (hex[2 * i]) << 4) | g_ascii_xdigit_value (hex[2 * i + 1]));
  card_no = mdn_qr_parse_with_key (key, req->path + strlen ("/m/"), NULL);
  if (card_no == NULL)
    goto not_found;

  stmt = mdn_db_query (db, NULL,
                       "SELECT m.id, m.name, m.card_no, coalesce (l.name, m.level), m.status, m.expires_on, "
                       "m.principal_fen + m.bonus_fen, m.points FROM cards c JOIN members m ON m.id = c.member_id "
                       "LEFT JOIN levels l ON l.code = m.level WHERE c.card_no = ? AND c.status = 'current'",
                       "s", card_no);
  if (stmt == NULL || (rc = mdn_db_step (db, stmt, NULL)) != SQLITE_ROW)
    {
      if (stmt)
        sqlite3_reset (stmt);
      goto not_found;
    }
  {
    g_autofree char *member_id = g_strdup (mdn_db_col_text (stmt, 0));
    g_autofree char *balance = mdn_money_format (sqlite3_column_int64 (stmt, 6));
    g_autofree char *yuan = g_strdup_printf ("¥%s", balance);
    g_autofree char *points = g_strdup_printf ("%" PRId64, (gint64) sqlite3_column_int64 (stmt, 7));
    const char *status = mdn_db_col_text (stmt, 4);

    page_start (s, mdn_db_col_text (stmt, 1));
    g_string_append (s, "<table>\n");
    row (s, _("Card"), mdn_db_col_text (stmt, 2));
    row (s, _("Level"), mdn_db_col_text (stmt, 3));
    row (s, _("Balance"), yuan);
    row (s, _("Points"), points);
    row (s, _("Valid until"), mdn_db_col_text (stmt, 5) ? mdn_db_col_text (stmt, 5) : _("no expiry"));
    if (g_strcmp0 (status, "lost") == 0)
      row (s, _("Status"), _("reported lost"));
    g_string_append (s, "</table>\n");
    sqlite3_reset (stmt);

    stmt = mdn_db_query (db, NULL,
                         "SELECT coalesce (p.name, mp.item), sum (mp.remaining), min (mp.expires_on) "
                         "FROM member_packages mp LEFT JOIN products p ON p.sku = mp.item "
                         "WHERE mp.member_id = ? AND mp.remaining > 0 GROUP BY mp.item ORDER BY mp.item",
                         "s", member_id);
    if (stmt)
      {
        gboolean any = FALSE;

        while ((rc = mdn_db_step (db, stmt, NULL)) == SQLITE_ROW)
          {
            g_autofree char *uses = NULL;

            if (!any)
              {
                g_autofree char *h = g_markup_escape_text (_("Packages"), -1);

                g_string_append_printf (s, "<h2>%s</h2>\n<table>\n", h);
                any = TRUE;
              }
            uses = mdn_db_col_text (stmt, 2)
                   ? g_strdup_printf (_("%" PRId64 " uses, until %s"), (gint64) sqlite3_column_int64 (stmt, 1),
                                      mdn_db_col_text (stmt, 2))
                   : g_strdup_printf (_("%" PRId64 " uses"), (gint64) sqlite3_column_int64 (stmt, 1));
            row (s, mdn_db_col_text (stmt, 0), uses);
          }
        sqlite3_reset (stmt);
        if (any)
          g_string_append (s, "</table>\n");
      }
  }
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
