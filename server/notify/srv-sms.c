/* srv-sms.c: the SMS outbox and its sender (srv-sms.h).
 *
 * Queueing happens inside the push's transaction (srv_sms_note_entry), so a
 * message exists exactly when its entry does: a repeated push stores
 * nothing new, and the outbox's UNIQUE (entry_id, event, member_id) keeps
 * a campaign's members once each.
 *
 * Sending: one message at a time. It is marked "sending" and committed
 * before the request goes out; the answer makes it "sent", "retrying"
 * (5xx, network: after retry_base × 2^(attempts − 1) seconds, at most
 * MAX_ATTEMPTS) or "failed" (a refusal). A message a previous process left
 * "sending" may or may not have reached the gateway, and gateways are not
 * idempotent: it is marked failed, never sent twice.
 *
 * Marketing messages (campaigns) go out only between 08:00 and 22:00 in
 * the chain's time zone, with the opt-out line already in their text, and
 * at most sms.daily_cap a day per phone number; outside the window or over
 * the cap they wait for the next 08:00.
 *
 * Drivers: aliyun (dysmsapi SendSms 2017-05-25, RPC signature v1:
 * HMAC-SHA1 over the sorted, percent-encoded parameters, POST form),
 * tencent (SendSms 2021-01-11, TC3-HMAC-SHA256), webhook (JSON body signed
 * in X-Mendian-Signature, hex HMAC-SHA256), log (one JSON line per message
 * appended to a file). Secrets are never logged.
 *
 * Besides the entries' events: sms.send (one reminder chosen at a
 * terminal's reminders window) and, when sms.birthday is on, the birthday
 * greetings the sender queues once a day from 09:00 in the chain's zone
 * (srv_sms_queue_birthdays, keyed "birthday:YEAR" in the outbox: once a
 * year per member, across restarts and processes). A message is claimed
 * for sending by a conditional update, so two server processes never both
 * send it. */
#define G_LOG_DOMAIN "srv-sms"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <inttypes.h>
#include <string.h>

#include "mdn-birthday.h"
#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-member-filter.h"
#include "mdn-members.h"
#include "mdn-money.h"
#include "mdn-settings.h"
#include "mdn-sms.h"
#include "srv-sms.h"

#define MAX_ATTEMPTS 5
#define WINDOW_OPEN  8
#define WINDOW_CLOSE 22

static const char *const drivers[] = { "aliyun", "tencent", "webhook", "log", NULL };

/* Queueing ------------------------------------------------------------------------- */

static gboolean
enqueue_key (MdnDb      *db,
             const char *key,
             const char *event,
             const char *member_id,
             const char *phone,
             const char *text,
             JsonObject *params,
             gboolean    marketing,
             GError    **error)
{
  g_autoptr(GDateTime) now = mdn_clock_now ();
  g_autofree char *now_iso = mdn_clock_format (now);
  g_autofree char *params_text = mdn_json_object_to_string (params);

  return mdn_db_exec (db, error,
                      "INSERT INTO srv_sms_outbox (entry_id, event, member_id, phone, text, params, marketing, "
                      "status, next_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?) "
                      "ON CONFLICT DO NOTHING",
                      "ssssssiis", key, event, member_id, phone, text, params_text,
                      (gint64) (marketing ? 1 : 0), g_date_time_to_unix (now), now_iso);
}

static gboolean
enqueue (MdnDb      *db,
         MdnEntry   *entry,
         const char *event,
         const char *member_id,
         const char *phone,
         const char *text,
         JsonObject *params,
         gboolean    marketing,
         GError    **error)
{
  return enqueue_key (db, entry->id, event, member_id, phone, text, params, marketing, error);
}

static char *
template_text (MdnDb      *db,
               const char *event)
{
  sqlite3_stmt *stmt = mdn_db_query (db, NULL, "SELECT text FROM srv_sms_templates WHERE event = ?", "s", event);
  char *text = NULL;

  if (stmt && mdn_db_step (db, stmt, NULL) == SQLITE_ROW && mdn_db_col_text (stmt, 0))
    text = g_strdup (mdn_db_col_text (stmt, 0));
  if (stmt)
    sqlite3_reset (stmt);
  return text ? text : g_strdup (mdn_sms_default_text (event));
}

static char *
shop_of (MdnDb      *db,
         const char *branch)
{
  sqlite3_stmt *stmt = mdn_db_query (db, NULL, "SELECT name FROM srv_branches WHERE code = ?", "s", branch);
  char *name = NULL;

  if (stmt && mdn_db_step (db, stmt, NULL) == SQLITE_ROW)
    name = g_strdup (mdn_db_col_text (stmt, 0));
  if (stmt)
    sqlite3_reset (stmt);
  return name ? name : g_strdup (branch);
}

/* The amount an event names: a deposit's or withdrawal's amount, what a
 * spend took from the balance. */
static gint64
amount_of (MdnEntry   *entry,
           const char *event)
{
  gint64 sum = 0;

  if (g_str_equal (event, "deposit") || g_str_equal (event, "withdraw"))
    return mdn_body_int (entry->body, "amount_fen", 0);
  for (guint i = 0; i < entry->movements->len; i++)
    {
      MdnMovement *m = &g_array_index (entry->movements, MdnMovement, i);

      if ((g_str_equal (m->account, "principal") || g_str_equal (m->account, "bonus")) && m->delta < 0 &&
          m->delta > -MDN_MONEY_MAX)
        sum -= m->delta;
    }
  return MIN (sum, MDN_MONEY_MAX);
}

static gboolean
opted_out (MdnDb      *db,
           const char *member_id,
           gboolean   *consent)
{
  sqlite3_stmt *stmt = mdn_db_query (db, NULL, "SELECT sms_opt_out, sms_consent FROM members WHERE id = ?",
                                     "s", member_id);
  gboolean out = TRUE;

  *consent = FALSE;
  if (stmt && mdn_db_step (db, stmt, NULL) == SQLITE_ROW)
    {
      out = sqlite3_column_int (stmt, 0) != 0;
      *consent = sqlite3_column_int (stmt, 1) != 0;
    }
  if (stmt)
    sqlite3_reset (stmt);
  return out;
}

typedef struct
{
  MdnDb      *db;
  MdnEntry   *entry;
  const char *text;
  JsonObject *params;
  const char *shop;
  GError    **error;
  gboolean    ok;
} Campaign;

/* A campaign's params that are strings, as template variables. */
static void
copy_string (JsonObject *o,
             const char *name,
             JsonNode   *node,
             gpointer    data)
{
  if (JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == G_TYPE_STRING)
    json_object_set_string_member (data, name, json_node_get_string (node));
}

static gboolean
campaign_member (sqlite3_stmt *row,
                 gpointer      user_data)
{
  Campaign *c = user_data;
  g_autoptr(JsonObject) vars = json_object_new ();
  g_autofree char *body = NULL;
  g_autofree char *text = NULL;
  const char *phone = mdn_db_col_text (row, 3);

  if (!sqlite3_column_int (row, 7) || sqlite3_column_int (row, 8) || phone == NULL || *phone == '\0')
    return TRUE;
  json_object_foreach_member (c->params, copy_string, vars);
  json_object_set_string_member (vars, "name", mdn_db_col_text (row, 2));
  json_object_set_string_member (vars, "card", mdn_db_col_text (row, 1));
  json_object_set_string_member (vars, "shop", c->shop);
  body = mdn_sms_render (c->text, vars);
  text = g_strconcat (body, MDN_SMS_OPT_OUT_LINE, NULL);
  c->ok = enqueue (c->db, c->entry, "campaign", mdn_db_col_text (row, 0), phone, text, vars, TRUE, c->error);
  return c->ok;
}

/* The variables of a message to member @m: name, card, balance, shop. */
static JsonObject *
member_vars (MdnMember  *m,
             const char *shop)
{
  JsonObject *vars = json_object_new ();
  g_autofree char *balance = mdn_money_format (m->principal_fen + m->bonus_fen);

  json_object_set_string_member (vars, "name", m->name);
  json_object_set_string_member (vars, "card", m->card_no);
  json_object_set_string_member (vars, "balance", balance);
  json_object_set_string_member (vars, "shop", shop);
  return vars;
}

/* sms.send: one reminder chosen at a terminal. The member's choices are
 * read again here (they may have changed on the way): opted out, nothing;
 * marketing (inactive) needs consent and gets the opt-out line. */
static gboolean
note_reminder_send (MdnDb    *db,
                    MdnEntry *entry,
                    GError  **error)
{
  const char *event = mdn_body_string (entry->body, "event");
  const char *due_on = mdn_body_string (entry->body, "due_on");
  const char *shop = mdn_body_string (entry->body, "shop");
  g_autoptr(MdnMember) m = NULL;
  g_autoptr(JsonObject) vars = NULL;
  g_autofree char *tmpl = NULL, *body = NULL, *text = NULL;
  gboolean consent = FALSE, marketing;

  if (!mdn_sms_send_event_valid (event) || shop == NULL)
    return mdn_entry_malformed (entry, "event", error);
  marketing = mdn_sms_send_is_marketing (event);
  m = mdn_member_load (db, entry->member_id, NULL);
  if (m == NULL || m->phone == NULL || *m->phone == '\0' || opted_out (db, m->id, &consent) ||
      (marketing && !consent))
    return TRUE;
  vars = member_vars (m, shop);
  json_object_set_string_member (vars, "due_on", due_on ? due_on : "");
  tmpl = template_text (db, event);
  body = mdn_sms_render (tmpl, vars);
  text = marketing ? g_strconcat (body, MDN_SMS_OPT_OUT_LINE, NULL) : g_strdup (body);
  return enqueue (db, entry, event, m->id, m->phone, text, vars, marketing, error);
}

gboolean
srv_sms_note_entry (MdnDb    *db,
                    MdnEntry *entry,
                    GError  **error)
{
  const char *event, *setting;
  g_autoptr(MdnMember) m = NULL;
  g_autoptr(JsonObject) vars = NULL;
  g_autofree char *text = NULL;
  g_autofree char *tmpl = NULL;
  g_autofree char *shop = NULL;
  g_autofree char *amount = NULL;
  g_autofree char *balance = NULL;
  gboolean consent;

  g_return_val_if_fail (db != NULL && entry != NULL, FALSE);

  if (g_str_equal (entry->kind, "sms.campaign"))
    {
      JsonNode *filter = json_object_get_member (entry->body, "filter");
      JsonNode *params = json_object_get_member (entry->body, "params");
      g_autoptr(GDateTime) now = mdn_clock_now ();
      g_autofree char *today = mdn_clock_business_date (now, NULL);
      Campaign c = { db, entry, mdn_body_string (entry->body, "template"), NULL,
                     mdn_body_string (entry->body, "shop"), error, TRUE };

      if (filter == NULL || !JSON_NODE_HOLDS_OBJECT (filter) || params == NULL || !JSON_NODE_HOLDS_OBJECT (params) ||
          c.text == NULL || c.shop == NULL)
        return mdn_entry_malformed (entry, "filter", error);
      c.params = json_node_get_object (params);
      if (!mdn_member_filter_each (db, json_node_get_object (filter), today, campaign_member, &c, error))
        return FALSE;
      return c.ok;
    }

  if (g_str_equal (entry->kind, "sms.send"))
    return note_reminder_send (db, entry, error);

  event = mdn_sms_event_of_entry (entry);
  if (event == NULL || (setting = mdn_sms_setting_of_event (event)) == NULL || !mdn_settings_get_bool (db, setting))
    return TRUE;
  m = mdn_member_load (db, entry->member_id, NULL);
  if (m == NULL || m->phone == NULL || *m->phone == '\0' || opted_out (db, m->id, &consent))
    return TRUE;
  shop = shop_of (db, entry->branch);
  amount = mdn_money_format (amount_of (entry, event));
  balance = mdn_money_format (m->principal_fen + m->bonus_fen);
  vars = json_object_new ();
  json_object_set_string_member (vars, "name", m->name);
  json_object_set_string_member (vars, "card", m->card_no);
  json_object_set_string_member (vars, "amount", amount);
  json_object_set_string_member (vars, "balance", balance);
  json_object_set_string_member (vars, "shop", shop);
  tmpl = template_text (db, event);
  text = mdn_sms_render (tmpl, vars);
  return enqueue (db, entry, event, m->id, m->phone, text, vars, FALSE, error);
}

/* Birthdays ---------------------------------------------------------------------- */

/* Members who may get a birthday greeting: id, solar, lunar birthday, the
 * issuing branch. */
static sqlite3_stmt *
birthday_candidates (MdnDb   *db,
                     GError **error)
{
  return mdn_db_query (db, error,
                       "SELECT id, birthday, birthday_lunar, issued_branch FROM members "
                       "WHERE status = 'active' AND phone IS NOT NULL AND phone != '' AND sms_opt_out = 0 "
                       "AND (birthday IS NOT NULL OR birthday_lunar IS NOT NULL) ORDER BY id", "");
}

/* Whether a solar (@solar) or lunar (@lunar) birthday falls on @today. */
static gboolean
birthday_is (const char  *solar,
             const char  *lunar,
             const GDate *today)
{
  GDate next;
  int month, day;
  MdnLunarDay ld;

  if (solar && mdn_solar_day_parse (solar, &month, &day))
    {
      mdn_solar_day_next (month, day, today, &next);
      if (g_date_compare (&next, today) == 0)
        return TRUE;
    }
  if (lunar && mdn_lunar_day_parse (lunar, &ld) && mdn_lunar_day_next (&ld, today, &next, NULL))
    return g_date_compare (&next, today) == 0;
  return FALSE;
}

/* The birthday greetings of @today (YYYY-MM-DD in the chain's zone), when
 * sms.birthday is on: every active member with a phone, not opted out,
 * whose solar or lunar birthday is today. Keyed "birthday:YEAR" in the
 * outbox, so a member is greeted once a year however often this runs,
 * after a restart or in several server processes at once. */
gboolean
srv_sms_queue_birthdays (MdnDb      *db,
                         const char *today,
                         GError    **error)
{
  g_autofree char *key = NULL;
  GDate day;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (db != NULL && today != NULL, FALSE);

  if (!mdn_settings_get_bool (db, "sms.birthday"))
    return TRUE;
  g_date_clear (&day, 1);
  g_date_set_parse (&day, today);
  if (!mdn_date_valid (today) || !g_date_valid (&day))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("“%s” is not a date"), today);
      return FALSE;
    }
  key = g_strdup_printf ("birthday:%.4s", today);
  stmt = birthday_candidates (db, error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (db, stmt, error)) == SQLITE_ROW)
    {
      g_autoptr(MdnMember) m = NULL;
      g_autoptr(JsonObject) vars = NULL;
      g_autofree char *shop = NULL, *tmpl = NULL, *text = NULL;

      if (!birthday_is (mdn_db_col_text (stmt, 1), mdn_db_col_text (stmt, 2), &day))
        continue;
      m = mdn_member_load (db, mdn_db_col_text (stmt, 0), NULL);
      if (m == NULL)
        continue;
      shop = shop_of (db, mdn_db_col_text (stmt, 3));
      vars = member_vars (m, shop);
      tmpl = template_text (db, "birthday");
      text = mdn_sms_render (tmpl, vars);
      if (!enqueue_key (db, key, "birthday", m->id, m->phone, text, vars, FALSE, error))
        {
          rc = -1;
          break;
        }
    }
  sqlite3_reset (stmt);
  return rc >= 0;
}

/* Configuration -------------------------------------------------------------------- */

gboolean
srv_sms_set_gateway (MdnDb                     *db,
                     const SrvSmsGatewayConfig *config,
                     GError                   **error)
{
  g_autoptr(GDateTime) now = mdn_clock_now ();
  g_autofree char *now_iso = mdn_clock_format (now);

  g_return_val_if_fail (db != NULL && config != NULL, FALSE);

  if (config->driver == NULL || !g_strv_contains (drivers, config->driver))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not an SMS driver (aliyun, tencent, webhook, log)"), config->driver ? config->driver : "");
      return FALSE;
    }
  if ((g_str_equal (config->driver, "log") || g_str_equal (config->driver, "webhook")) && config->url == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("The %s driver needs --url (the log driver: the file to write)"), config->driver);
      return FALSE;
    }
  if ((g_str_equal (config->driver, "aliyun") || g_str_equal (config->driver, "tencent")) &&
      (config->key_id == NULL || config->secret == NULL || config->sign_name == NULL ||
       (g_str_equal (config->driver, "tencent") && config->app_id == NULL)))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("The %s driver needs --key-id, --secret-file and --sign-name (tencent also --app-id)"),
                   config->driver);
      return FALSE;
    }
  return mdn_db_begin (db, TRUE, error) &&
         mdn_db_exec (db, error,
                      "INSERT OR REPLACE INTO srv_sms_gateway (id, driver, url, key_id, secret, sign_name, app_id, "
                      "set_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
                      "sssssss", config->driver, config->url, config->key_id, config->secret, config->sign_name,
                      config->app_id, now_iso) &&
         mdn_db_commit (db, error);
}

JsonObject *
srv_sms_gateway_show (MdnDb   *db,
                      GError **error)
{
  g_autoptr(JsonObject) o = json_object_new ();
  sqlite3_stmt *stmt;
  int rc;

  stmt = mdn_db_query (db, error, "SELECT driver, url, key_id, sign_name, app_id, secret IS NOT NULL, set_at "
                                  "FROM srv_sms_gateway WHERE id = 1", "");
  if (stmt == NULL || (rc = mdn_db_step (db, stmt, error)) < 0)
    return NULL;
  if (rc == SQLITE_ROW)
    {
      json_object_set_string_member (o, "driver", mdn_db_col_text (stmt, 0));
      mdn_json_set_opt_string (o, "url", mdn_db_col_text (stmt, 1));
      mdn_json_set_opt_string (o, "key_id", mdn_db_col_text (stmt, 2));
      mdn_json_set_opt_string (o, "sign_name", mdn_db_col_text (stmt, 3));
      mdn_json_set_opt_string (o, "app_id", mdn_db_col_text (stmt, 4));
      json_object_set_boolean_member (o, "has_secret", sqlite3_column_int (stmt, 5));
      json_object_set_string_member (o, "set_at", mdn_db_col_text (stmt, 6));
    }
  else
    json_object_set_string_member (o, "driver", "log");
  sqlite3_reset (stmt);
  return g_steal_pointer (&o);
}

gboolean
srv_sms_set_template (MdnDb      *db,
                      const char *event,
                      const char *text,
                      const char *template_code,
                      GError    **error)
{
  g_return_val_if_fail (db != NULL, FALSE);

  if (event == NULL || mdn_sms_default_text (event) == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not an SMS event (issue, deposit, spend, withdraw, lost, birthday, campaign)"),
                   event ? event : "");
      return FALSE;
    }
  if (text == NULL && template_code == NULL)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("Give --text or --template-code"));
      return FALSE;
    }
  return mdn_db_begin (db, TRUE, error) &&
         mdn_db_exec (db, error,
                      "INSERT INTO srv_sms_templates (event, text, template_code) VALUES (?1, ?2, ?3) "
                      "ON CONFLICT (event) DO UPDATE SET text = coalesce (?2, text), "
                      "template_code = coalesce (?3, template_code)",
                      "sss", event, text, template_code) &&
         mdn_db_commit (db, error);
}

JsonArray *
srv_sms_outbox_list (MdnDb      *db,
                     const char *status,
                     GError    **error)
{
  g_autoptr(JsonArray) list = json_array_new ();
  sqlite3_stmt *stmt;
  int rc;

  stmt = mdn_db_query (db, error,
                       "SELECT id, entry_id, event, member_id, phone, text, marketing, status, attempts, last_error, "
                       "created_at, sent_at FROM srv_sms_outbox WHERE (?1 IS NULL OR status = ?1) ORDER BY id DESC",
                       "s", status);
  if (stmt == NULL)
    return NULL;
  while ((rc = mdn_db_step (db, stmt, error)) == SQLITE_ROW)
    {
      JsonObject *o = json_object_new ();

      json_object_set_int_member (o, "id", sqlite3_column_int64 (stmt, 0));
      json_object_set_string_member (o, "entry_id", mdn_db_col_text (stmt, 1));
      json_object_set_string_member (o, "event", mdn_db_col_text (stmt, 2));
      json_object_set_string_member (o, "member_id", mdn_db_col_text (stmt, 3));
      json_object_set_string_member (o, "phone", mdn_db_col_text (stmt, 4));
      json_object_set_string_member (o, "text", mdn_db_col_text (stmt, 5));
      json_object_set_boolean_member (o, "marketing", sqlite3_column_int (stmt, 6));
      json_object_set_string_member (o, "status", mdn_db_col_text (stmt, 7));
      json_object_set_int_member (o, "attempts", sqlite3_column_int64 (stmt, 8));
      mdn_json_set_opt_string (o, "last_error", mdn_db_col_text (stmt, 9));
      json_object_set_string_member (o, "created_at", mdn_db_col_text (stmt, 10));
      mdn_json_set_opt_string (o, "sent_at", mdn_db_col_text (stmt, 11));
      json_array_add_object_element (list, o);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return NULL;
  return g_steal_pointer (&list);
}

/* Signatures ----------------------------------------------------------------------- */

static char *
hmac_hex (GChecksumType type,
          const guint8 *key,
          gsize         key_len,
          const char   *data)
{
  g_autoptr(GHmac) h = g_hmac_new (type, key, key_len);

  g_hmac_update (h, (const guchar *) data, strlen (data));
  return g_strdup (g_hmac_get_string (h));
}

static void
hmac_raw (GChecksumType type,
          const guint8 *key,
          gsize         key_len,
          const char   *data,
          guint8       *out,
          gsize        *out_len)
{
  g_autoptr(GHmac) h = g_hmac_new (type, key, key_len);

  g_hmac_update (h, (const guchar *) data, strlen (data));
  g_hmac_get_digest (h, out, out_len);
}

/* RFC 3986: everything but A-Z a-z 0-9 - _ . ~ as %XX (what Alibaba Cloud's
 * signature calls percentEncode). */
static char *
pct (const char *s)
{
  return g_uri_escape_string (s, NULL, FALSE);
}

static int
compare_strs (gconstpointer a,
              gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Alibaba Cloud RPC signature v1 over @params (key, value, …, NULL):
 * returns the form body with Signature. */
static char *
aliyun_body (const char  *secret,
             const char **params)
{
  g_autoptr(GPtrArray) pairs = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *canonical = NULL;
  g_autofree char *canonical_pct = NULL;
  g_autofree char *to_sign = NULL;
  g_autofree char *key = g_strconcat (secret, "&", NULL);
  g_autofree char *sig = NULL;
  g_autofree char *sig_pct = NULL;
  guint8 digest[20];
  gsize len = sizeof digest;
  GString *s = g_string_new (NULL);

  for (guint i = 0; params[i]; i += 2)
    {
      g_autofree char *k = pct (params[i]);
      g_autofree char *v = pct (params[i + 1]);

      g_ptr_array_add (pairs, g_strconcat (k, "=", v, NULL));
    }
  g_ptr_array_sort (pairs, compare_strs);
  for (guint i = 0; i < pairs->len; i++)
    {
      if (i)
        g_string_append_c (s, '&');
      g_string_append (s, g_ptr_array_index (pairs, i));
    }
  canonical = g_string_free (s, FALSE);
  canonical_pct = pct (canonical);
  to_sign = g_strconcat ("POST&%2F&", canonical_pct, NULL);
  hmac_raw (G_CHECKSUM_SHA1, (const guint8 *) key, strlen (key), to_sign, digest, &len);
  sig = g_base64_encode (digest, len);
  sig_pct = pct (sig);
  return g_strconcat ("Signature=", sig_pct, "&", canonical, NULL);
}

static char *
sha256_hex (const char *data)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, data, -1);
}

/* Tencent Cloud TC3-HMAC-SHA256: the Authorization header of a POST of
 * @payload to @host at @timestamp. */
static char *
tencent_authorization (const char *secret_id,
                       const char *secret_key,
                       const char *host,
                       const char *payload,
                       gint64      timestamp)
{
  g_autoptr(GDateTime) t = g_date_time_new_from_unix_utc (timestamp);
  g_autofree char *date = g_date_time_format (t, "%Y-%m-%d");
  g_autofree char *payload_hash = sha256_hex (payload);
  g_autofree char *canonical = g_strdup_printf ("POST\n/\n\ncontent-type:application/json; charset=utf-8\n"
                                                "host:%s\n\ncontent-type;host\n%s", host, payload_hash);
  g_autofree char *canonical_hash = sha256_hex (canonical);
  g_autofree char *to_sign = g_strdup_printf ("TC3-HMAC-SHA256\n%" PRId64 "\n%s/sms/tc3_request\n%s",
                                              timestamp, date, canonical_hash);
  g_autofree char *k0 = g_strconcat ("TC3", secret_key, NULL);
  guint8 k_date[32], k_service[32], k_signing[32];
  gsize len = 32;
  g_autofree char *signature = NULL;

  hmac_raw (G_CHECKSUM_SHA256, (const guint8 *) k0, strlen (k0), date, k_date, &len);
  len = 32;
  hmac_raw (G_CHECKSUM_SHA256, k_date, 32, "sms", k_service, &len);
  len = 32;
  hmac_raw (G_CHECKSUM_SHA256, k_service, 32, "tc3_request", k_signing, &len);
  signature = hmac_hex (G_CHECKSUM_SHA256, k_signing, 32, to_sign);
  return g_strdup_printf ("TC3-HMAC-SHA256 Credential=%s/%s/sms/tc3_request, SignedHeaders=content-type;host, "
                          "Signature=%s", secret_id, date, signature);
}

/* The sender ------------------------------------------------------------------------- */

typedef struct
{
  char *driver, *url, *key_id, *secret, *sign_name, *app_id;
} Gateway;

static void
gateway_clear (Gateway *g)
{
  g_free (g->driver);
  g_free (g->url);
  g_free (g->key_id);
  if (g->secret)
    memset (g->secret, 0, strlen (g->secret));
  g_free (g->secret);
  g_free (g->sign_name);
  g_free (g->app_id);
  memset (g, 0, sizeof *g);
}

typedef struct
{
  gint64  id;
  char   *entry_id, *event, *member_id, *phone, *text, *params;
  gint64  attempts;
  gboolean marketing;
} Message;

static void
message_clear (Message *m)
{
  g_free (m->entry_id);
  g_free (m->event);
  g_free (m->member_id);
  g_free (m->phone);
  g_free (m->text);
  g_free (m->params);
  memset (m, 0, sizeof *m);
}

struct _SrvSmsSender
{
  MdnDb       *db;
  GTimeZone   *tz;
  gint64       retry_base;
  SoupSession *session;
  GCancellable *cancel;
  guint        timer;
  gboolean     busy;
  Message      current;
  char        *birthdays_done;   /* the local day whose greetings are queued */
};

static gboolean
load_gateway (MdnDb   *db,
              Gateway *g)
{
  sqlite3_stmt *stmt = mdn_db_query (db, NULL, "SELECT driver, url, key_id, secret, sign_name, app_id "
                                               "FROM srv_sms_gateway WHERE id = 1", "");
  gboolean found = FALSE;

  if (stmt && mdn_db_step (db, stmt, NULL) == SQLITE_ROW)
    {
      g->driver = g_strdup (mdn_db_col_text (stmt, 0));
      g->url = g_strdup (mdn_db_col_text (stmt, 1));
      g->key_id = g_strdup (mdn_db_col_text (stmt, 2));
      g->secret = g_strdup (mdn_db_col_text (stmt, 3));
      g->sign_name = g_strdup (mdn_db_col_text (stmt, 4));
      g->app_id = g_strdup (mdn_db_col_text (stmt, 5));
      found = TRUE;
    }
  if (stmt)
    sqlite3_reset (stmt);
  return found;
}

static char *
template_code (MdnDb      *db,
               const char *event)
{
  sqlite3_stmt *stmt = mdn_db_query (db, NULL, "SELECT template_code FROM srv_sms_templates WHERE event = ?",
                                     "s", event);
  char *code = NULL;

  if (stmt && mdn_db_step (db, stmt, NULL) == SQLITE_ROW && mdn_db_col_text (stmt, 0))
    code = g_strdup (mdn_db_col_text (stmt, 0));
  if (stmt)
    sqlite3_reset (stmt);
  return code;
}

static gboolean
write_state (SrvSmsSender *self,
             gint64        id,
             const char   *status,
             gint64        next_at,
             const char   *last_error)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = mdn_clock_now ();
  g_autofree char *now_iso = mdn_clock_format (now);
  g_autoptr(GDateTime) local = g_date_time_to_timezone (now, self->tz);
  g_autofree char *day = g_date_time_format (local, "%Y-%m-%d");
  gboolean sent = g_str_equal (status, "sent");

  if (!mdn_db_begin (self->db, TRUE, &error) ||
      !mdn_db_exec (self->db, &error,
                    "UPDATE srv_sms_outbox SET status = ?, next_at = ?, last_error = ?, "
                    "sent_at = CASE WHEN ? THEN ? ELSE sent_at END WHERE id = ?",
                    "sisisi", status, next_at, last_error, (gint64) sent, now_iso, id) ||
      (sent && !mdn_db_exec (self->db, &error,
                             "INSERT INTO srv_sms_daily (phone, day, sent) "
                             "SELECT phone, ?, 1 FROM srv_sms_outbox WHERE id = ? "
                             "ON CONFLICT (phone, day) DO UPDATE SET sent = sent + 1",
                             "si", day, id)) ||
      !mdn_db_commit (self->db, &error))
    {
      mdn_db_rollback (self->db);
      g_warning ("SMS %" PRId64 ": cannot record “%s”: %s", id, status, error->message);
      return FALSE;
    }
  return TRUE;
}

/* The outcome of one attempt: sent, or retry (a 5xx, the network), or a refusal. */
typedef enum { OUTCOME_SENT, OUTCOME_RETRY, OUTCOME_REFUSED } Outcome;

static void
finish (SrvSmsSender *self,
        Outcome       outcome,
        const char   *detail)
{
  Message *m = &self->current;
  g_autoptr(GDateTime) now = mdn_clock_now ();
  gint64 t = g_date_time_to_unix (now);

  if (outcome == OUTCOME_SENT)
    {
      g_message ("SMS %" PRId64 " (%s) sent", m->id, m->event);
      write_state (self, m->id, "sent", t, NULL);
    }
  else if (outcome == OUTCOME_RETRY && m->attempts < MAX_ATTEMPTS)
    {
      gint64 delay = self->retry_base << MIN (m->attempts - 1, 20);

      g_message ("SMS %" PRId64 " (%s): %s; retrying in %" PRId64 " s", m->id, m->event, detail, delay);
      write_state (self, m->id, "retrying", t + delay, detail);
    }
  else
    {
      g_message ("SMS %" PRId64 " (%s) failed: %s", m->id, m->event, detail);
      write_state (self, m->id, "failed", t, detail);
    }
  message_clear (m);
  self->busy = FALSE;
}

static Outcome
status_outcome (guint status)
{
  if (status >= 200 && status < 300)
    return OUTCOME_SENT;
  if (status >= 500 || status == 429 || status == 0)
    return OUTCOME_RETRY;
  return OUTCOME_REFUSED;
}

/* What the gateway's 2xx body says. */
static Outcome
body_outcome (const char *driver,
              GBytes     *body,
              char      **detail)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  gsize len = 0;
  const char *data = body ? g_bytes_get_data (body, &len) : NULL;
  JsonObject *o;

  if (g_str_equal (driver, "webhook"))
    return OUTCOME_SENT;
  if (data == NULL || !json_parser_load_from_data (parser, data, (gssize) len, NULL) ||
      !JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
    {
      *detail = g_strdup ("the gateway's answer is not JSON");
      return OUTCOME_RETRY;
    }
  o = json_node_get_object (json_parser_get_root (parser));
  if (g_str_equal (driver, "aliyun"))
    {
      const char *code = json_object_has_member (o, "Code") ? json_object_get_string_member (o, "Code") : NULL;

      if (g_strcmp0 (code, "OK") == 0)
        return OUTCOME_SENT;
      *detail = g_strdup_printf ("aliyun: %s", code ? code : "?");
      return OUTCOME_REFUSED;
    }
  /* tencent: Response.SendStatusSet[0].Code = "Ok", or Response.Error. */
  {
    JsonObject *r = json_object_has_member (o, "Response") ? json_object_get_object_member (o, "Response") : NULL;
    JsonArray *set = r && json_object_has_member (r, "SendStatusSet") ?
                     json_object_get_array_member (r, "SendStatusSet") : NULL;
    JsonObject *first = set && json_array_get_length (set) ? json_array_get_object_element (set, 0) : NULL;
    const char *code = first && json_object_has_member (first, "Code") ?
                       json_object_get_string_member (first, "Code") : NULL;

    if (g_strcmp0 (code, "Ok") == 0)
      return OUTCOME_SENT;
    if (r && json_object_has_member (r, "Error"))
      {
        JsonObject *e = json_object_get_object_member (r, "Error");
        const char *ecode = e && json_object_has_member (e, "Code") ? json_object_get_string_member (e, "Code") : "?";

        *detail = g_strdup_printf ("tencent: %s", ecode);
        return g_str_has_prefix (ecode, "InternalError") ? OUTCOME_RETRY : OUTCOME_REFUSED;
      }
    *detail = g_strdup_printf ("tencent: %s", code ? code : "?");
    return OUTCOME_REFUSED;
  }
}

typedef struct
{
  SrvSmsSender *self;
  char         *driver;
} SendData;

static void
sent_cb (GObject      *source,
         GAsyncResult *res,
         gpointer      user_data)
{
  SendData *d = user_data;
  SrvSmsSender *self = d->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), res, &error);
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), res);
  g_autofree char *detail = NULL;
  Outcome outcome;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_free (d->driver);
      g_free (d);
      return;
    }
  if (body == NULL)
    {
      outcome = OUTCOME_RETRY;
      detail = g_strdup (error ? error->message : "no answer");
    }
  else
    {
      guint status = soup_message_get_status (msg);

      outcome = status_outcome (status);
      if (outcome == OUTCOME_SENT)
        outcome = body_outcome (d->driver, body, &detail);
      else
        detail = g_strdup_printf ("HTTP %u", status);
    }
  finish (self, outcome, detail);
  g_free (d->driver);
  g_free (d);
}

static SoupMessage *
build_request (SrvSmsSender *self,
               Gateway      *g,
               Message      *m,
               GError      **error)
{
  g_autoptr(GDateTime) now = mdn_clock_now ();
  SoupMessage *msg = NULL;
  g_autoptr(JsonObject) params = mdn_json_parse_object (m->params, NULL);
  g_autofree char *code = template_code (self->db, m->event);

  if (params == NULL)
    params = json_object_new ();
  if (g_str_equal (g->driver, "aliyun"))
    {
      g_autofree char *nonce = g_uuid_string_random ();
      g_autoptr(GDateTime) utc = g_date_time_to_utc (now);
      g_autofree char *stamp = g_date_time_format (utc, "%Y-%m-%dT%H:%M:%SZ");
      g_autofree char *tparam = mdn_json_object_to_string (params);
      const char *p[] = {
        "AccessKeyId", g->key_id, "Action", "SendSms", "Format", "JSON", "PhoneNumbers", m->phone,
        "RegionId", "cn-hangzhou", "SignName", g->sign_name, "SignatureMethod", "HMAC-SHA1",
        "SignatureNonce", nonce, "SignatureVersion", "1.0", "TemplateCode", code ? code : "",
        "TemplateParam", tparam, "Timestamp", stamp, "Version", "2017-05-25", NULL,
      };
      g_autofree char *body = aliyun_body (g->secret, p);

      msg = soup_message_new ("POST", g->url ? g->url : "https://dysmsapi.aliyuncs.com/");
      if (msg)
        soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded",
                                                  g_bytes_new_take (g_steal_pointer (&body), strlen (body)));
    }
  else if (g_str_equal (g->driver, "tencent"))
    {
      g_autoptr(JsonObject) req = json_object_new ();
      JsonArray *phones = json_array_new ();
      JsonArray *tps = json_array_new ();
      g_autofree char *tmpl = NULL;
      g_auto(GStrv) names = NULL;
      g_autofree char *payload = NULL;
      g_autofree char *auth = NULL;
      g_autofree char *host = NULL;
      g_autofree char *phone = strlen (m->phone) == 11 && m->phone[0] == '1' ? g_strconcat ("+86", m->phone, NULL)
                                                                             : g_strdup (m->phone);
      gint64 ts = g_date_time_to_unix (now);
      GUri *uri;

      /* Positional parameters: the template's {names} in order. */
      {
        sqlite3_stmt *stmt = mdn_db_query (self->db, NULL, "SELECT text FROM srv_sms_templates WHERE event = ?",
                                           "s", m->event);

        if (stmt && mdn_db_step (self->db, stmt, NULL) == SQLITE_ROW && mdn_db_col_text (stmt, 0))
          tmpl = g_strdup (mdn_db_col_text (stmt, 0));
        if (stmt)
          sqlite3_reset (stmt);
      }
      names = mdn_sms_placeholders (tmpl ? tmpl : mdn_sms_default_text (m->event));
      for (guint i = 0; names[i]; i++)
        json_array_add_string_element (tps, json_object_has_member (params, names[i]) ?
                                            json_object_get_string_member (params, names[i]) : "");
      json_array_add_string_element (phones, phone);
      json_object_set_array_member (req, "PhoneNumberSet", phones);
      json_object_set_string_member (req, "SmsSdkAppId", g->app_id);
      json_object_set_string_member (req, "SignName", g->sign_name);
      json_object_set_string_member (req, "TemplateId", code ? code : "");
      json_object_set_array_member (req, "TemplateParamSet", tps);
      payload = mdn_json_object_to_string (req);
      msg = soup_message_new ("POST", g->url ? g->url : "https://sms.tencentcloudapi.com/");
      if (msg)
        {
          SoupMessageHeaders *h = soup_message_get_request_headers (msg);
          g_autofree char *ts_text = g_strdup_printf ("%" PRId64, ts);
          int port;

          uri = soup_message_get_uri (msg);
          port = g_uri_get_port (uri);
          host = port > 0 && port != (g_str_equal (g_uri_get_scheme (uri), "https") ? 443 : 80)
                 ? g_strdup_printf ("%s:%d", g_uri_get_host (uri), port) : g_strdup (g_uri_get_host (uri));
          auth = tencent_authorization (g->key_id, g->secret, host, payload, ts);
          soup_message_headers_replace (h, "Authorization", auth);
          soup_message_headers_replace (h, "Host", host);
          soup_message_headers_replace (h, "X-TC-Action", "SendSms");
          soup_message_headers_replace (h, "X-TC-Version", "2021-01-11");
          soup_message_headers_replace (h, "X-TC-Region", "ap-guangzhou");
          soup_message_headers_replace (h, "X-TC-Timestamp", ts_text);
          soup_message_set_request_body_from_bytes (msg, "application/json; charset=utf-8",
                                                    g_bytes_new_take (g_steal_pointer (&payload), strlen (payload)));
        }
    }
  else
    {
      g_autoptr(JsonObject) req = json_object_new ();
      g_autofree char *payload = NULL;
      g_autofree char *sig = NULL;

      json_object_set_int_member (req, "id", m->id);
      json_object_set_string_member (req, "phone", m->phone);
      json_object_set_string_member (req, "text", m->text);
      json_object_set_string_member (req, "event", m->event);
      json_object_set_string_member (req, "member_id", m->member_id);
      json_object_set_string_member (req, "entry_id", m->entry_id);
      payload = mdn_json_object_to_string (req);
      sig = hmac_hex (G_CHECKSUM_SHA256, (const guint8 *) (g->secret ? g->secret : ""),
                      g->secret ? strlen (g->secret) : 0, payload);
      msg = soup_message_new ("POST", g->url);
      if (msg)
        {
          soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Mendian-Signature", sig);
          soup_message_set_request_body_from_bytes (msg, "application/json",
                                                    g_bytes_new_take (g_steal_pointer (&payload), strlen (payload)));
        }
    }
  if (msg == NULL)
    g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("The SMS gateway's URL is not valid"));
  return msg;
}

static gboolean
send_log (Gateway  *g,
          Message  *m,
          GError  **error)
{
  g_autoptr(JsonObject) o = json_object_new ();
  g_autofree char *line = NULL;
  g_autoptr(GFile) file = g_file_new_for_path (g->url);
  g_autoptr(GFileOutputStream) out = NULL;
  g_autoptr(GDateTime) now = mdn_clock_now ();
  g_autofree char *now_iso = mdn_clock_format (now);

  json_object_set_int_member (o, "id", m->id);
  json_object_set_string_member (o, "at", now_iso);
  json_object_set_string_member (o, "phone", m->phone);
  json_object_set_string_member (o, "event", m->event);
  json_object_set_string_member (o, "text", m->text);
  json_object_set_string_member (o, "entry_id", m->entry_id);
  line = mdn_json_object_to_string (o);
  out = g_file_append_to (file, G_FILE_CREATE_PRIVATE, NULL, error);
  return out && g_output_stream_write_all (G_OUTPUT_STREAM (out), line, strlen (line), NULL, NULL, error) &&
         g_output_stream_write_all (G_OUTPUT_STREAM (out), "\n", 1, NULL, NULL, error) &&
         g_output_stream_close (G_OUTPUT_STREAM (out), NULL, error);
}

/* The next 08:00 in the chain's time zone after @now. */
static gint64
next_window (SrvSmsSender *self,
             GDateTime    *now)
{
  g_autoptr(GDateTime) local = g_date_time_to_timezone (now, self->tz);
  g_autoptr(GDateTime) day = g_date_time_new (self->tz, g_date_time_get_year (local), g_date_time_get_month (local),
                                              g_date_time_get_day_of_month (local), WINDOW_OPEN, 0, 0);
  g_autoptr(GDateTime) next = NULL;

  if (g_date_time_compare (day, local) > 0)
    return g_date_time_to_unix (day);
  next = g_date_time_add_days (day, 1);
  return g_date_time_to_unix (next);
}

/* Whether marketing message @m may go now; else when it may. */
static gboolean
marketing_may_go (SrvSmsSender *self,
                  Message      *m,
                  GDateTime    *now,
                  gint64       *later)
{
  g_autoptr(GDateTime) local = g_date_time_to_timezone (now, self->tz);
  g_autofree char *day = g_date_time_format (local, "%Y-%m-%d");
  int hour = g_date_time_get_hour (local);
  gint64 cap = mdn_settings_get_int (self->db, "sms.daily_cap");
  gint64 sent = 0;
  sqlite3_stmt *stmt;

  if (hour < WINDOW_OPEN || hour >= WINDOW_CLOSE)
    {
      *later = next_window (self, now);
      return FALSE;
    }
  stmt = mdn_db_query (self->db, NULL, "SELECT sent FROM srv_sms_daily WHERE phone = ? AND day = ?", "ss",
                       m->phone, day);
  if (stmt && mdn_db_step (self->db, stmt, NULL) == SQLITE_ROW)
    sent = sqlite3_column_int64 (stmt, 0);
  if (stmt)
    sqlite3_reset (stmt);
  if (sent >= cap)
    {
      g_autoptr(GDateTime) tomorrow = g_date_time_add_days (local, 1);
      g_autoptr(GDateTime) open = g_date_time_new (self->tz, g_date_time_get_year (tomorrow),
                                                   g_date_time_get_month (tomorrow),
                                                   g_date_time_get_day_of_month (tomorrow), WINDOW_OPEN, 0, 0);

      *later = g_date_time_to_unix (open);
      return FALSE;
    }
  return TRUE;
}

/* The next due message, or FALSE. Marketing messages outside the window or
 * over the cap are moved to when they may go. */
static gboolean
next_message (SrvSmsSender *self,
              GDateTime    *now,
              Message      *m)
{
  gint64 t = g_date_time_to_unix (now);

  for (int guard = 0; guard < 1000; guard++)
    {
      sqlite3_stmt *stmt = mdn_db_query (self->db, NULL,
                                         "SELECT id, entry_id, event, member_id, phone, text, params, attempts, "
                                         "marketing FROM srv_sms_outbox WHERE status IN ('queued', 'retrying') "
                                         "AND next_at <= ? ORDER BY next_at, id LIMIT 1", "i", t);
      gint64 later = 0;

      if (stmt == NULL || mdn_db_step (self->db, stmt, NULL) != SQLITE_ROW)
        {
          if (stmt)
            sqlite3_reset (stmt);
          return FALSE;
        }
      m->id = sqlite3_column_int64 (stmt, 0);
      m->entry_id = g_strdup (mdn_db_col_text (stmt, 1));
      m->event = g_strdup (mdn_db_col_text (stmt, 2));
      m->member_id = g_strdup (mdn_db_col_text (stmt, 3));
      m->phone = g_strdup (mdn_db_col_text (stmt, 4));
      m->text = g_strdup (mdn_db_col_text (stmt, 5));
      m->params = g_strdup (mdn_db_col_text (stmt, 6));
      m->attempts = sqlite3_column_int64 (stmt, 7);
      m->marketing = sqlite3_column_int (stmt, 8) != 0;
      sqlite3_reset (stmt);
      if (!m->marketing || marketing_may_go (self, m, now, &later))
        return TRUE;
      if (!mdn_db_exec (self->db, NULL, "UPDATE srv_sms_outbox SET next_at = ? WHERE id = ?", "ii", later, m->id))
        {
          message_clear (m);
          return FALSE;
        }
      message_clear (m);
    }
  return FALSE;
}

/* Birthday greetings go out from BIRTHDAY_HOUR local time, once a day per
 * process (the outbox's key keeps them once a year per member). */
#define BIRTHDAY_HOUR 9

static void
queue_birthdays_once (SrvSmsSender *self,
                      GDateTime    *now)
{
  g_autoptr(GDateTime) local = g_date_time_to_timezone (now, self->tz);
  g_autofree char *today = g_date_time_format (local, "%Y-%m-%d");
  g_autoptr(GError) error = NULL;
  int hour = g_date_time_get_hour (local);

  if (g_strcmp0 (self->birthdays_done, today) == 0 || hour < BIRTHDAY_HOUR || hour >= WINDOW_CLOSE ||
      !mdn_settings_get_bool (self->db, "sms.birthday"))   /* switched on later today: greeted then */
    return;
  if (!mdn_db_begin (self->db, TRUE, &error) || !srv_sms_queue_birthdays (self->db, today, &error) ||
      !mdn_db_commit (self->db, &error))
    {
      mdn_db_rollback (self->db);
      g_warning ("SMS birthdays of %s: %s", today, error->message);
      return;
    }
  g_free (self->birthdays_done);
  self->birthdays_done = g_steal_pointer (&today);
}

/* Claims message @id for this process: FALSE when another one (a second
 * server process) already has. */
static gboolean
claim_message (MdnDb   *db,
               gint64   id,
               gint64   attempts,
               GError **error)
{
  if (!mdn_db_exec (db, error, "UPDATE srv_sms_outbox SET status = 'sending', attempts = ? "
                               "WHERE id = ? AND status IN ('queued', 'retrying')", "ii", attempts, id))
    return FALSE;
  return sqlite3_changes (mdn_db_handle (db)) == 1;
}

static gboolean
tick (gpointer user_data)
{
  SrvSmsSender *self = user_data;
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GError) error = NULL;
  Gateway g = { 0 };
  Message *m = &self->current;
  SoupMessage *msg;

  if (self->busy)
    return G_SOURCE_CONTINUE;
  now = mdn_clock_now ();
  queue_birthdays_once (self, now);
  if (!next_message (self, now, m))
    return G_SOURCE_CONTINUE;
  if (!load_gateway (self->db, &g))
    {
      g.driver = g_strdup ("log");
      g.url = g_strdup ("sms.log");
    }
  /* Handed over from here on: a crash leaves it "sending", never resent. */
  m->attempts++;
  if (!claim_message (self->db, m->id, m->attempts, &error))
    {
      if (error)
        g_warning ("SMS %" PRId64 ": %s", m->id, error->message);
      message_clear (m);
      gateway_clear (&g);
      return G_SOURCE_CONTINUE;
    }
  self->busy = TRUE;
  if (g_str_equal (g.driver, "log"))
    {
      gboolean ok = send_log (&g, m, &error);

      finish (self, ok ? OUTCOME_SENT : OUTCOME_RETRY, ok ? NULL : error->message);
      gateway_clear (&g);
      return G_SOURCE_CONTINUE;
    }
  msg = build_request (self, &g, m, &error);
  if (msg == NULL)
    finish (self, OUTCOME_REFUSED, error->message);
  else
    {
      SendData *d = g_new0 (SendData, 1);

      d->self = self;
      d->driver = g_strdup (g.driver);
      soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, self->cancel, sent_cb, d);
      g_object_unref (msg);
    }
  gateway_clear (&g);
  return G_SOURCE_CONTINUE;
}

SrvSmsSender *
srv_sms_sender_start (MdnDb      *db,
                      const char *timezone,
                      gint64      retry_base_s)
{
  SrvSmsSender *self = g_new0 (SrvSmsSender, 1);
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (db != NULL, NULL);

  self->db = db;
  self->tz = g_time_zone_new_identifier (timezone ? timezone : MDN_DEFAULT_TIMEZONE);
  if (self->tz == NULL)
    self->tz = g_time_zone_new_utc ();
  self->retry_base = CLAMP (retry_base_s, 0, 86400);
  self->session = soup_session_new_with_options ("timeout", 30, "user-agent", "mendian-server", NULL);
  self->cancel = g_cancellable_new ();
  if (!mdn_db_exec (db, &error,
                    "UPDATE srv_sms_outbox SET status = 'failed', "
                    "last_error = 'interrupted while sending: not sent again (it may have reached the gateway)' "
                    "WHERE status = 'sending'", ""))
    g_warning ("SMS outbox: %s", error->message);
  self->timer = g_timeout_add (250, tick, self);
  return self;
}

void
srv_sms_sender_free (SrvSmsSender *self)
{
  if (self == NULL)
    return;
  g_cancellable_cancel (self->cancel);
  g_clear_handle_id (&self->timer, g_source_remove);
  g_clear_object (&self->cancel);
  g_clear_object (&self->session);
  g_clear_pointer (&self->tz, g_time_zone_unref);
  message_clear (&self->current);
  g_free (self->birthdays_done);
  g_free (self);
}
