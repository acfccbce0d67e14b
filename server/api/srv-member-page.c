/* srv-member-page.c: a member's own page (GET /m/<signed QR payload>), for a
 * member who scans their card with a phone: balance, points, package uses
 * with expiry, level and validity, in Chinese, escaped, no script. The
 * payload's signature is checked with the chain key; a forged one is a
 * 404 like an unknown card.
 *
 * POST /m/<payload> with the card's PIN in the form body (never in the
 * address, never logged) shows the history and the member's messages with
 * their replies, and takes a new message (message.add at the console's HQ
 * terminal, so it is a shared entry every branch sees). The PIN is checked
 * against the chain's hash with the chain-wide count of wrong ones, the
 * same rule and lockout as the counter's (srv_store_pin_verify,
 * srv_store_pin_fail, as srv-authorize.c); and a client address may post
 * at most PAGE_POSTS_PER_MINUTE times a minute (behind a proxy on this
 * host, the address it forwards). Public exposure goes behind
 * a reverse proxy with TLS (docs/members.md). */
#define G_LOG_DOMAIN "srv-member-page"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <string.h>

#include "mdn-lockout.h"
#include "mdn-money.h"
#include "mdn-qr.h"
#include "mdn-store.h"
#include "srv-api-private.h"
#include "srv-console.h"
#include "srv-server.h"
#include "srv-store.h"
#include "srv-store-console.h"
#include "srv-store-sms.h"

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

/* The card number of the page's signed payload; NULL for a forged one. */
static char *
page_card (SrvRequest *req)
{
  g_autofree char *hex = srv_store_chain_key_dup (req->store);
  guint8 key[MDN_CHAIN_KEY_LEN];

  if (hex == NULL || strlen (hex) != 2 * MDN_CHAIN_KEY_LEN)
    return NULL;
  for (int i = 0; i < MDN_CHAIN_KEY_LEN; i++)
    key[i] = (guint8) ((g_ascii_xdigit_value (hex[2 * i]) << 4) | g_ascii_xdigit_value (hex[2 * i + 1]));
  return mdn_qr_parse_with_key (key, req->path + strlen ("/m/"), NULL);
}

static void
pin_form (GString    *s,
          const char *path,
          gboolean    with_message)
{
  g_autofree char *action = g_markup_escape_text (path, -1);
  g_autofree char *h = g_markup_escape_text (with_message ? _("Leave a message") : _("History and messages"), -1);
  g_autofree char *pin = g_markup_escape_text (_("Card PIN"), -1);
  g_autofree char *text = g_markup_escape_text (_("Your message"), -1);
  g_autofree char *go = g_markup_escape_text (with_message ? _("Send") : _("Show"), -1);

  g_string_append_printf (s, "<h2>%s</h2>\n<form method=\"post\" action=\"%s\" autocomplete=\"off\">\n", h, action);
  if (with_message)
    g_string_append_printf (s, "<p><label>%s<br><textarea name=\"message\" maxlength=\"500\" rows=\"3\" "
                               "required></textarea></label></p>\n", text);
  g_string_append_printf (s, "<p><label>%s <input type=\"password\" name=\"pin\" inputmode=\"numeric\" "
                             "maxlength=\"12\" required></label> <button type=\"submit\">%s</button></p>\n"
                             "</form>\n", pin, go);
}

static void
handle_page (SrvRequest *req)
{
  g_autofree char *card_no = NULL, *member_id = NULL;
  g_autoptr(GString) s = g_string_new (NULL);
  g_autoptr(SrvRows) member = NULL, lots = NULL;
  gboolean any = FALSE;

  card_no = page_card (req);
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
  pin_form (s, req->path, FALSE);
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

/* POST: the PIN-gated part ------------------------------------------------------- */

#define PAGE_POSTS_PER_MINUTE 10
#define PAGE_HISTORY_ROWS     30

/* Posts per client address in the current minute: one process's memory
 * (several processes each hold their own; the PIN lockout is the chain's). */
typedef struct
{
  gint64 minute;
  guint  posts;
} Rate;

/* The client's address: behind a reverse proxy on this host (loopback),
 * the last address of its X-Forwarded-For (the one nginx appended); the
 * peer's otherwise. */
static char *
client_address (SrvRequest *req)
{
  const char *host = soup_server_message_get_remote_host (req->msg);
  const char *fwd = soup_message_headers_get_one (soup_server_message_get_request_headers (req->msg),
                                                  "X-Forwarded-For");

  if (fwd && host && (g_str_equal (host, "127.0.0.1") || g_str_equal (host, "::1")))
    {
      const char *last = strrchr (fwd, ',');
      g_autofree char *a = g_strstrip (g_strndup (last ? last + 1 : fwd, 64));

      if (*a)
        return g_steal_pointer (&a);
    }
  return g_strdup (host ? host : "");
}

static gboolean
rate_ok (SrvRequest *req,
         gint64      now)
{
  static GHashTable *rates;
  g_autofree char *host = client_address (req);
  Rate *r;

  if (rates == NULL)
    rates = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (g_hash_table_size (rates) > 10000)
    g_hash_table_remove_all (rates);
  r = g_hash_table_lookup (rates, host);
  if (r == NULL)
    {
      r = g_new0 (Rate, 1);
      g_hash_table_insert (rates, g_strdup (host), r);
    }
  if (r->minute != now / 60)
    {
      r->minute = now / 60;
      r->posts = 0;
    }
  return ++r->posts <= PAGE_POSTS_PER_MINUTE;
}

static void
message_page (SrvRequest *req,
              guint       status,
              const char *title,
              const char *text)
{
  g_autoptr(GString) s = g_string_new (NULL);
  g_autofree char *m = g_markup_escape_text (text, -1);
  g_autofree char *back = g_markup_escape_text (req->path, -1);
  g_autofree char *b = g_markup_escape_text (_("Back to the card"), -1);

  page_start (s, title);
  g_string_append_printf (s, "<p role=\"alert\">%s</p>\n<p><a href=\"%s\">%s</a></p></body></html>\n", m, back, b);
  reply_html (req, status, s);
}

/* The member of @card_no (id and name), through the console's store as
 * the GET's; FALSE when unknown. */
static gboolean
page_member (SrvStore    *store,
             const char  *card_no,
             char       **member_id,
             char       **name)
{
  g_autofree char *id = srv_console_card_member (store, card_no);
  g_autoptr(SrvRows) member = id ? srv_console_member_row (store, id, NULL) : NULL;

  if (member == NULL || member->len != 1)
    return FALSE;
  *name = g_strdup (((char **) g_ptr_array_index (member, 0))[2]);
  *member_id = g_steal_pointer (&id);
  return TRUE;
}

/* What a kind is called on the member's page. */
static const char *
kind_name (const char *kind)
{
  static const struct { const char *kind; const char *name; } names[] = {
    { "member.issue", N_("Card issued") },       { "member.deposit", N_("Top-up") },
    { "member.withdraw", N_("Withdrawal") },     { "member.opening", N_("Opening balance") },
    { "sale", N_("Purchase") },                  { "sale.quick", N_("Purchase") },
    { "sale.return", N_("Return") },             { "package.buy", N_("Package bought") },
    { "package.consume", N_("Package used") },   { "package.topup", N_("Package topped up") },
    { "timed.stop", N_("Timed use") },           { "points.adjust", N_("Points adjusted") },
    { "points.redeem", N_("Points redeemed") },  { "member.lose", N_("Reported lost") },
    { "member.unlock", N_("Unlocked") },         { "member.replace", N_("Card replaced") },
    { "member.extend", N_("Validity extended") }, { "member.upgrade", N_("Level changed") },
    { "message.add", N_("Message") },            { "message.reply", N_("Reply") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_str_equal (names[i].kind, kind))
      return _(names[i].name);
  return NULL;
}

/* The member's latest entries that change something of theirs: date,
 * what, the balance and points moved (srv_console_history_rows: id,
 * branch, seq, kind, at, business_date, staff, principal, bonus, points). */
static void
history (GString    *s,
         SrvStore   *store,
         const char *member_id)
{
  g_autoptr(SrvRows) rows = srv_console_history_rows (store, member_id, PAGE_HISTORY_ROWS, NULL);
  g_autoptr(GHashTable) shops = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autofree char *h = g_markup_escape_text (_("History"), -1);

  g_string_append_printf (s, "<h2>%s</h2>\n<table>\n", h);
  for (guint i = 0; rows && i < rows->len; i++)
    {
      char **r = g_ptr_array_index (rows, i);
      const char *what = kind_name (r[3]);
      gint64 money = g_ascii_strtoll (r[7], NULL, 10) + g_ascii_strtoll (r[8], NULL, 10);
      gint64 points = g_ascii_strtoll (r[9], NULL, 10);
      g_autoptr(GString) v = g_string_new (NULL);
      g_autofree char *label = NULL;
      const char *shop;

      if (what == NULL)
        continue;
      if ((shop = g_hash_table_lookup (shops, r[1])) == NULL)
        {
          char *name = srv_store_sms_shop (store, r[1]);

          g_hash_table_insert (shops, r[1], name ? name : g_strdup (r[1]));
          shop = g_hash_table_lookup (shops, r[1]);
        }
      if (money != 0)
        {
          g_autofree char *yuan = mdn_money_format (money < 0 ? -money : money);

          g_string_append_printf (v, "%s¥%s", money < 0 ? "−" : "+", yuan);
        }
      if (points != 0)
        g_string_append_printf (v, _("%s%s%" PRId64 " points"), v->len ? " " : "", points < 0 ? "−" : "+",
                                points < 0 ? -points : points);
      label = g_strdup_printf ("%s %s · %s", r[5], what, shop);
      row (s, label, v->str);
    }
  g_string_append (s, "</table>\n");
}

/* The member's messages, newest first, each followed by its replies
 * (srv_console_message_rows: id, branch, at, staff, text;
 * srv_console_reply_rows: message id, id, branch, at, staff, text). */
static void
messages (GString    *s,
          SrvStore   *store,
          const char *member_id)
{
  g_autoptr(SrvRows) asked = srv_console_message_rows (store, member_id, NULL);
  g_autoptr(SrvRows) replies = asked ? srv_console_reply_rows (store, member_id, NULL) : NULL;
  g_autofree char *h = g_markup_escape_text (_("Messages"), -1);
  gboolean any = FALSE;

  for (guint i = 0; replies && i < asked->len && i < 100; i++)
    {
      char **m = g_ptr_array_index (asked, i);
      g_autofree char *at = g_strndup (m[2], 16);
      g_autofree char *label = g_strdup_printf ("%s %s", at, _("You"));

      if (!any)
        g_string_append_printf (s, "<h2>%s</h2>\n<table>\n", h);
      any = TRUE;
      row (s, label, m[4]);
      for (guint k = 0; k < replies->len; k++)
        {
          char **r = g_ptr_array_index (replies, k);
          g_autofree char *rat = NULL, *rlabel = NULL;

          if (!g_str_equal (r[0], m[0]))
            continue;
          rat = g_strndup (r[3], 16);
          rlabel = g_strdup_printf ("%s %s", rat, _("Reply"));
          row (s, rlabel, r[5]);
        }
    }
  if (any)
    g_string_append (s, "</table>\n");
}

static void
handle_post (SrvRequest *req)
{
  g_autofree char *card_no = page_card (req);
  g_autofree char *member_id = NULL, *name = NULL, *pin_hash = NULL;
  g_autoptr(GHashTable) form = NULL;
  g_autoptr(GString) s = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  const char *pin, *text;
  gint64 now = mdn_lockout_now ();
  gboolean wrong = FALSE;

  if (card_no == NULL || !page_member (req->store, card_no, &member_id, &name))
    {
      message_page (req, SOUP_STATUS_NOT_FOUND, _("Card not found"), _("This is not a member card of this chain."));
      return;
    }
  if (!rate_ok (req, now))
    {
      message_page (req, 429, name, _("Too many tries; wait a minute and try again."));
      return;
    }
  if (req->raw_body)
    form = soup_form_decode (g_bytes_get_data (req->raw_body, NULL));
  pin = form ? g_hash_table_lookup (form, "pin") : NULL;
  text = form ? g_hash_table_lookup (form, "message") : NULL;
  if (pin == NULL || *pin == '\0')
    {
      message_page (req, SOUP_STATUS_BAD_REQUEST, name, _("Enter the card's PIN."));
      return;
    }
  if (!srv_store_begin (req->store, TRUE, &error))
    {
      message_page (req, SOUP_STATUS_SERVICE_UNAVAILABLE, name, error->message);
      return;
    }
  if (!srv_store_member_pin_hash (req->store, member_id, &pin_hash, NULL))
    {
      srv_store_rollback (req->store);
      message_page (req, SOUP_STATUS_NOT_FOUND, _("Card not found"), _("This is not a member card of this chain."));
      return;
    }
  if (pin_hash == NULL || *pin_hash == '\0')
    {
      srv_store_rollback (req->store);
      message_page (req, SOUP_STATUS_FORBIDDEN, name,
                    _("This card has no PIN. Ask at the counter to set one, then the history can be seen here."));
      return;
    }
  /* The counter's rule: the chain-wide count of wrong PINs, committed. */
  if (!srv_store_pin_verify (req->store, member_id, pin_hash, pin, now, &wrong, &error))
    {
      if (wrong)
        {
          MdnLockout after = { 0 };

          if (!srv_store_pin_fail (req->store, member_id, now, 1, &after, NULL) || !srv_store_commit (req->store, NULL))
            g_warning ("a wrong PIN on the member page was not counted");
        }
      srv_store_rollback (req->store);
      message_page (req, SOUP_STATUS_FORBIDDEN, name, error->message);
      return;
    }
  if (!srv_store_commit (req->store, &error))
    {
      srv_store_rollback (req->store);
      message_page (req, SOUP_STATUS_INTERNAL_SERVER_ERROR, name, error->message);
      return;
    }

  page_start (s, name);
  if (text != NULL)
    {
      SrvConsole *console = srv_server_console (req->srv);
      g_autoptr(JsonObject) args = json_object_new ();
      g_autoptr(JsonObject) result = NULL;
      g_autofree char *clean = g_strstrip (g_strdup (text));

      json_object_set_string_member (args, "card", card_no);
      json_object_set_string_member (args, "text", clean);
      result = console && srv_console_has_hq (console) ? srv_console_run_hq_op (console, "message.add", args, &error)
                                                       : NULL;
      {
        g_autofree char *m = g_markup_escape_text (result ? _("Thank you: your message reached the shop.")
                                                   : error ? error->message
                                                           : _("Messages can't be left here yet; please tell the "
                                                               "shop."), -1);

        g_string_append_printf (s, "<p role=\"status\">%s</p>\n", m);
      }
    }
  history (s, req->store, member_id);
  messages (s, req->store, member_id);
  if (srv_console_has_hq (srv_server_console (req->srv)))
    pin_form (s, req->path, TRUE);
  g_string_append (s, "</body></html>\n");
  reply_html (req, SOUP_STATUS_OK, s);
}

const SrvRoute srv_member_page_routes[] = {
  { "GET", "/m/", SRV_AUTH_NONE, handle_page },
  { "POST", "/m/", SRV_AUTH_NONE, handle_post, SRV_ROUTE_RAW_BODY },
  { NULL }
};
