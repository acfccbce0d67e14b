/* srv-sms.c: the SMS outbox's rules and its sender (srv-sms.h). What is
 * stored and read (the outbox, gateway, templates, the members' data) goes
 * through the store (srv-store-sms.h), SQLite or PostgreSQL alike.
 *
 * Queueing happens inside the push's transaction (srv_sms_note_entry), so a
 * message exists exactly when its entry does: a repeated push stores
 * nothing new, and the outbox's UNIQUE (entry_id, event, member_id) keeps
 * a campaign's members once each.
 *
 * Sending: one message at a time. It is marked "sending" and committed
 * before the request goes out; the answer makes it "sent", "retrying"
 * (5xx, network: after retry_base × 2^(attempts − 1) seconds, at most
 * MAX_ATTEMPTS) or "failed" (a refusal). A message a process that is gone
 * left "sending" may or may not have reached the gateway, and gateways are
 * not idempotent: it is marked failed (srv_store_sms_recover, at the
 * start and every RECOVER_TICKS), never sent twice.
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
 * for sending by the store (srv_store_sms_claim), so two server processes
 * on one database never both send it.
 *
 * A campaign's members are chosen by the member filter over the members'
 * figures (mdn-member-filter.c), which both stores keep on apply. */
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
#include "mdn-money.h"
#include "mdn-sms.h"
#include "srv-sms.h"
#include "srv-store-sms.h"

#define MAX_ATTEMPTS 5
#define WINDOW_OPEN  8
#define WINDOW_CLOSE 22

static const char *const drivers[] = { "aliyun", "tencent", "webhook", "log", NULL };

/* Queueing ------------------------------------------------------------------------- */

static void
member_clear (SrvSmsMember *m)
{
  g_free (m->id);
  g_free (m->card_no);
  g_free (m->name);
  g_free (m->phone);
  g_free (m->issued_branch);
  memset (m, 0, sizeof *m);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SrvSmsMember, member_clear)

static gboolean
enqueue_key (SrvStore   *store,
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

  return srv_store_sms_enqueue (store, key, event, member_id, phone, text, params_text, marketing, NULL,
                                g_date_time_to_unix (now), now_iso, error);
}

static gboolean
enqueue (SrvStore   *store,
         MdnEntry   *entry,
         const char *event,
         const char *member_id,
         const char *phone,
         const char *text,
         JsonObject *params,
         gboolean    marketing,
         GError    **error)
{
  return enqueue_key (store, entry->id, event, member_id, phone, text, params, marketing, error);
}

static char *
template_text (SrvStore   *store,
               const char *event)
{
  g_autofree char *code = NULL;
  char *text = NULL;

  if (!srv_store_sms_template (store, event, &text, &code, NULL))
    text = NULL;
  return text ? text : g_strdup (mdn_sms_default_text (event));
}

static char *
shop_of (SrvStore   *store,
         const char *branch)
{
  char *name = srv_store_sms_shop (store, branch);

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

/* Member @member_id into @m if there is one with a phone who has not
 * opted out. */
static gboolean
reachable (SrvStore     *store,
           const char   *member_id,
           SrvSmsMember *m,
           GError      **error)
{
  gboolean found = FALSE;

  if (member_id == NULL || !srv_store_sms_member (store, member_id, m, &found, error))
    return FALSE;
  return found && m->phone != NULL && *m->phone != '\0' && !m->opt_out;
}

typedef struct
{
  SrvStore   *store;
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
campaign_member (const SrvSmsMember *m,
                 gpointer            user_data)
{
  Campaign *c = user_data;
  g_autoptr(JsonObject) vars = json_object_new ();
  g_autofree char *body = NULL;
  g_autofree char *text = NULL;

  if (!m->consent || m->opt_out || m->phone == NULL || *m->phone == '\0')
    return TRUE;
  json_object_foreach_member (c->params, copy_string, vars);
  json_object_set_string_member (vars, "name", m->name);
  json_object_set_string_member (vars, "card", m->card_no);
  json_object_set_string_member (vars, "shop", c->shop);
  body = mdn_sms_render (c->text, vars);
  text = g_strconcat (body, MDN_SMS_OPT_OUT_LINE, NULL);
  c->ok = enqueue (c->store, c->entry, "campaign", m->id, m->phone, text, vars, TRUE, c->error);
  return c->ok;
}

/* The variables of a message to member @m: name, card, balance, shop. */
static JsonObject *
member_vars (const SrvSmsMember *m,
             const char         *shop)
{
  JsonObject *vars = json_object_new ();
  g_autofree char *balance = mdn_money_format (m->balance_fen);

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
note_reminder_send (SrvStore *store,
                    MdnEntry *entry,
                    GError  **error)
{
  const char *event = mdn_body_string (entry->body, "event");
  const char *due_on = mdn_body_string (entry->body, "due_on");
  const char *shop = mdn_body_string (entry->body, "shop");
  g_auto(SrvSmsMember) m = { 0 };
  g_autoptr(JsonObject) vars = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *tmpl = NULL, *body = NULL, *text = NULL;
  gboolean marketing;

  if (!mdn_sms_send_event_valid (event) || shop == NULL)
    return mdn_entry_malformed (entry, "event", error);
  marketing = mdn_sms_send_is_marketing (event);
  if (!reachable (store, entry->member_id, &m, &local) || (marketing && !m.consent))
    {
      if (local)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      return TRUE;
    }
  vars = member_vars (&m, shop);
  json_object_set_string_member (vars, "due_on", due_on ? due_on : "");
  tmpl = template_text (store, event);
  body = mdn_sms_render (tmpl, vars);
  text = marketing ? g_strconcat (body, MDN_SMS_OPT_OUT_LINE, NULL) : g_strdup (body);
  return enqueue (store, entry, event, m.id, m.phone, text, vars, marketing, error);
}

gboolean
srv_sms_note_entry (SrvStore *store,
                    MdnEntry *entry,
                    GError  **error)
{
  const char *event, *setting;
  g_auto(SrvSmsMember) m = { 0 };
  g_autoptr(JsonObject) vars = NULL;
  g_autoptr(GError) local = NULL;
  g_autofree char *text = NULL;
  g_autofree char *tmpl = NULL;
  g_autofree char *shop = NULL;
  g_autofree char *amount = NULL;
  g_autofree char *balance = NULL;

  g_return_val_if_fail (store != NULL && entry != NULL, FALSE);

  /* The settings these rules read (sms.on_*, sms.birthday, the cap). */
  if (g_str_equal (entry->kind, "setting.chain"))
    return srv_store_sms_settings_changed (store, error);
  if (g_str_equal (entry->kind, "sms.campaign"))
    {
      JsonNode *filter = json_object_get_member (entry->body, "filter");
      JsonNode *params = json_object_get_member (entry->body, "params");
      g_autoptr(GDateTime) now = mdn_clock_now ();
      g_autofree char *today = mdn_clock_business_date (now, NULL);
      Campaign c = { store, entry, mdn_body_string (entry->body, "template"), NULL,
                     mdn_body_string (entry->body, "shop"), error, TRUE };

      if (filter == NULL || !JSON_NODE_HOLDS_OBJECT (filter) || params == NULL || !JSON_NODE_HOLDS_OBJECT (params) ||
          c.text == NULL || c.shop == NULL)
        return mdn_entry_malformed (entry, "filter", error);
      c.params = json_node_get_object (params);
      if (!srv_store_sms_campaign_members (store, json_node_get_object (filter), today, campaign_member, &c, &local))
        {
          if (local)
            g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      return c.ok;
    }

  if (g_str_equal (entry->kind, "sms.send"))
    return note_reminder_send (store, entry, error);

  event = mdn_sms_event_of_entry (entry);
  if (event == NULL || (setting = mdn_sms_setting_of_event (event)) == NULL ||
      !srv_store_sms_setting_bool (store, setting))
    return TRUE;
  if (!reachable (store, entry->member_id, &m, &local))
    {
      if (local)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return FALSE;
        }
      return TRUE;
    }
  shop = shop_of (store, entry->branch);
  amount = mdn_money_format (amount_of (entry, event));
  balance = mdn_money_format (m.balance_fen);
  vars = json_object_new ();
  json_object_set_string_member (vars, "name", m.name);
  json_object_set_string_member (vars, "card", m.card_no);
  json_object_set_string_member (vars, "amount", amount);
  json_object_set_string_member (vars, "balance", balance);
  json_object_set_string_member (vars, "shop", shop);
  tmpl = template_text (store, event);
  text = mdn_sms_render (tmpl, vars);
  return enqueue (store, entry, event, m.id, m.phone, text, vars, FALSE, error);
}

/* Birthdays ---------------------------------------------------------------------- */

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

/* The greetings of the candidates (srv_store_sms_birthday_candidates)
 * whose birthday is @day, in the caller's transaction. */
static gboolean
queue_birthdays (SrvStore    *store,
                 const char  *key,
                 const GDate *day,
                 GError     **error)
{
  g_autoptr(SrvRows) rows = srv_store_sms_birthday_candidates (store, error);

  if (rows == NULL)
    return FALSE;
  for (guint i = 0; i < rows->len; i++)
    {
      char **row = g_ptr_array_index (rows, i);
      g_auto(SrvSmsMember) m = { 0 };
      g_autoptr(JsonObject) vars = NULL;
      g_autofree char *shop = NULL, *tmpl = NULL, *text = NULL;
      gboolean found = FALSE;

      if (!birthday_is (*row[1] ? row[1] : NULL, *row[2] ? row[2] : NULL, day))
        continue;
      if (!srv_store_sms_member (store, row[0], &m, &found, error))
        return FALSE;
      if (!found)
        continue;
      shop = shop_of (store, row[3]);
      vars = member_vars (&m, shop);
      tmpl = template_text (store, "birthday");
      text = mdn_sms_render (tmpl, vars);
      if (!enqueue_key (store, key, "birthday", m.id, m.phone, text, vars, FALSE, error))
        return FALSE;
    }
  return TRUE;
}

/* The birthday greetings of @today (YYYY-MM-DD in the chain's zone), when
 * sms.birthday is on: every active member with a phone, not opted out,
 * whose solar or lunar birthday is today. Keyed "birthday:YEAR" in the
 * outbox, so a member is greeted once a year however often this runs,
 * after a restart or in several server processes at once. */
gboolean
srv_sms_queue_birthdays (SrvStore   *store,
                         const char *today,
                         GError    **error)
{
  g_autofree char *key = NULL;
  GDate day;

  g_return_val_if_fail (store != NULL && today != NULL, FALSE);

  if (!srv_store_sms_setting_bool (store, "sms.birthday"))
    return TRUE;
  g_date_clear (&day, 1);
  g_date_set_parse (&day, today);
  if (!mdn_date_valid (today) || !g_date_valid (&day))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("“%s” is not a date"), today);
      return FALSE;
    }
  key = g_strdup_printf ("birthday:%.4s", today);
  if (!srv_store_begin (store, TRUE, error))
    return FALSE;
  if (!queue_birthdays (store, key, &day, error) || !srv_store_commit (store, error))
    {
      srv_store_rollback (store);
      return FALSE;
    }
  return TRUE;
}

/* Configuration -------------------------------------------------------------------- */

gboolean
srv_sms_set_gateway (SrvStore                  *store,
                     const SrvSmsGatewayConfig *config,
                     GError                   **error)
{
  g_autoptr(GDateTime) now = mdn_clock_now ();
  g_autofree char *now_iso = mdn_clock_format (now);
  SrvSmsGateway g;

  g_return_val_if_fail (store != NULL && config != NULL, FALSE);

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
  g = (SrvSmsGateway) { (char *) config->driver, (char *) config->url, (char *) config->key_id,
                        (char *) config->secret, (char *) config->sign_name, (char *) config->app_id, now_iso };
  return srv_store_sms_gateway_set (store, &g, error);
}

static void
gateway_clear (SrvSmsGateway *g)
{
  g_free (g->driver);
  g_free (g->url);
  g_free (g->key_id);
  if (g->secret)
    memset (g->secret, 0, strlen (g->secret));
  g_free (g->secret);
  g_free (g->sign_name);
  g_free (g->app_id);
  g_free (g->set_at);
  memset (g, 0, sizeof *g);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SrvSmsGateway, gateway_clear)

JsonObject *
srv_sms_gateway_show (SrvStore *store,
                      GError  **error)
{
  g_autoptr(JsonObject) o = json_object_new ();
  g_auto(SrvSmsGateway) g = { 0 };
  gboolean found = FALSE;

  if (!srv_store_sms_gateway (store, &g, &found, error))
    return NULL;
  if (found)
    {
      json_object_set_string_member (o, "driver", g.driver);
      mdn_json_set_opt_string (o, "url", g.url);
      mdn_json_set_opt_string (o, "key_id", g.key_id);
      mdn_json_set_opt_string (o, "sign_name", g.sign_name);
      mdn_json_set_opt_string (o, "app_id", g.app_id);
      json_object_set_boolean_member (o, "has_secret", g.secret != NULL);
      json_object_set_string_member (o, "set_at", g.set_at);
    }
  else
    json_object_set_string_member (o, "driver", "log");
  return g_steal_pointer (&o);
}

gboolean
srv_sms_set_template (SrvStore   *store,
                      const char *event,
                      const char *text,
                      const char *template_code,
                      GError    **error)
{
  g_return_val_if_fail (store != NULL, FALSE);

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
  return srv_store_sms_template_set (store, event, text, template_code, error);
}

/* SQL NULL is "" in store rows: NULL again here. */
static const char *
opt (const char *value)
{
  return value && *value ? value : NULL;
}

JsonArray *
srv_sms_outbox_list (SrvStore   *store,
                     const char *status,
                     GError    **error)
{
  g_autoptr(JsonArray) list = json_array_new ();
  g_autoptr(SrvRows) rows = srv_store_sms_outbox (store, status, error);

  if (rows == NULL)
    return NULL;
  for (guint i = 0; i < rows->len; i++)
    {
      char **row = g_ptr_array_index (rows, i);
      JsonObject *o = json_object_new ();

      json_object_set_int_member (o, "id", g_ascii_strtoll (row[0], NULL, 10));
      json_object_set_string_member (o, "entry_id", row[1]);
      json_object_set_string_member (o, "event", row[2]);
      json_object_set_string_member (o, "member_id", row[3]);
      json_object_set_string_member (o, "phone", row[4]);
      json_object_set_string_member (o, "text", row[5]);
      json_object_set_boolean_member (o, "marketing", g_ascii_strtoll (row[6], NULL, 10) != 0);
      json_object_set_string_member (o, "status", row[7]);
      json_object_set_int_member (o, "attempts", g_ascii_strtoll (row[8], NULL, 10));
      mdn_json_set_opt_string (o, "last_error", opt (row[9]));
      json_object_set_string_member (o, "created_at", row[10]);
      mdn_json_set_opt_string (o, "sent_at", opt (row[11]));
      json_array_add_object_element (list, o);
    }
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

typedef SrvSmsMessage Message;

static void
message_clear (Message *m)
{
  g_free (m->entry_id);
  g_free (m->event);
  g_free (m->member_id);
  g_free (m->phone);
  g_free (m->text);
  g_free (m->params);
  g_free (m->status);
  memset (m, 0, sizeof *m);
}

/* How often (in ticks) the sender looks for messages a process that is
 * gone left "sending". */
#define RECOVER_TICKS 240

struct _SrvSmsSender
{
  SrvStore    *store;
  GTimeZone   *tz;
  gint64       retry_base;
  gint64       id;                /* srv_store_sms_sender_begin */
  SoupSession *session;
  GCancellable *cancel;
  guint        timer;
  guint        ticks;
  gboolean     busy;
  Message      current;
  char        *birthdays_done;   /* the local day whose greetings are queued */
};

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

  if (!srv_store_sms_finish (self->store, id, status, next_at, last_error, now_iso, day, &error))
    {
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
build_request (SrvSmsSender  *self,
               SrvSmsGateway *g,
               Message      *m,
               GError      **error)
{
  g_autoptr(GDateTime) now = mdn_clock_now ();
  SoupMessage *msg = NULL;
  g_autoptr(JsonObject) params = mdn_json_parse_object (m->params, NULL);
  g_autofree char *code = NULL;
  g_autofree char *tmpl = NULL;

  if (!srv_store_sms_template (self->store, m->event, &tmpl, &code, NULL))
    tmpl = code = NULL;

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
      g_auto(GStrv) names = NULL;
      g_autofree char *payload = NULL;
      g_autofree char *auth = NULL;
      g_autofree char *host = NULL;
      g_autofree char *phone = strlen (m->phone) == 11 && m->phone[0] == '1' ? g_strconcat ("+86", m->phone, NULL)
                                                                             : g_strdup (m->phone);
      gint64 ts = g_date_time_to_unix (now);
      GUri *uri;

      /* Positional parameters: the template's {names} in order. */
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
send_log (SrvSmsGateway *g,
          Message       *m,
          GError       **error)
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
  gint64 cap, sent = 0;

  if (hour < WINDOW_OPEN || hour >= WINDOW_CLOSE)
    {
      *later = next_window (self, now);
      return FALSE;
    }
  cap = srv_store_sms_setting_int (self->store, "sms.daily_cap");
  if (!srv_store_sms_daily_sent (self->store, m->phone, day, &sent, NULL))
    sent = 0;
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

/* Claims the next due message for this sender (srv_store_sms_claim: no
 * other process has it), or FALSE. Marketing messages outside the window
 * or over the cap are given back for when they may go. */
static gboolean
next_message (SrvSmsSender *self,
              GDateTime    *now,
              Message      *m)
{
  gint64 t = g_date_time_to_unix (now);

  for (int guard = 0; guard < 1000; guard++)
    {
      g_autoptr(GError) error = NULL;
      gboolean found = FALSE;
      gint64 later = 0;

      if (!srv_store_sms_claim (self->store, self->id, t, m, &found, &error))
        {
          g_warning ("SMS outbox: %s", error->message);
          return FALSE;
        }
      if (!found)
        return FALSE;
      if (!m->marketing || marketing_may_go (self, m, now, &later))
        return TRUE;
      if (!srv_store_sms_release (self->store, m->id, m->status, m->attempts - 1, later, &error))
        {
          g_warning ("SMS %" PRId64 ": %s", m->id, error->message);
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
      !srv_store_sms_setting_bool (self->store, "sms.birthday"))   /* switched on later today: greeted then */
    return;
  if (!srv_sms_queue_birthdays (self->store, today, &error))
    {
      g_warning ("SMS birthdays of %s: %s", today, error->message);
      return;
    }
  g_free (self->birthdays_done);
  self->birthdays_done = g_steal_pointer (&today);
}

/* Messages a sender that is gone left "sending": failed, never resent. */
static void
recover (SrvSmsSender *self)
{
  g_autoptr(GError) error = NULL;
  gint64 n = srv_store_sms_recover (self->store, self->id, self->busy ? self->current.id : 0, &error);

  if (n < 0)
    g_warning ("SMS outbox: %s", error->message);
  else if (n > 0)
    g_message ("SMS outbox: %" PRId64 " message(s) interrupted while sending marked failed", n);
}

static gboolean
tick (gpointer user_data)
{
  SrvSmsSender *self = user_data;
  g_autoptr(GDateTime) now = NULL;
  g_autoptr(GError) error = NULL;
  g_auto(SrvSmsGateway) g = { 0 };
  gboolean found = FALSE;
  Message *m = &self->current;
  SoupMessage *msg;

  if (++self->ticks % RECOVER_TICKS == 0)
    recover (self);
  if (self->busy)
    return G_SOURCE_CONTINUE;
  now = mdn_clock_now ();
  queue_birthdays_once (self, now);
  /* Claimed: handed over from here on; a crash leaves it "sending", never
     resent. */
  if (!next_message (self, now, m))
    return G_SOURCE_CONTINUE;
  if (!srv_store_sms_gateway (self->store, &g, &found, &error) || !found)
    {
      if (error)
        g_warning ("SMS gateway: %s", error->message);
      g_clear_error (&error);
      gateway_clear (&g);
      g.driver = g_strdup ("log");
      g.url = g_strdup ("sms.log");
    }
  self->busy = TRUE;
  if (g_str_equal (g.driver, "log"))
    {
      gboolean ok = send_log (&g, m, &error);

      finish (self, ok ? OUTCOME_SENT : OUTCOME_RETRY, ok ? NULL : error->message);
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
  return G_SOURCE_CONTINUE;
}

SrvSmsSender *
srv_sms_sender_start (SrvStore   *store,
                      const char *timezone,
                      gint64      retry_base_s)
{
  g_autoptr(GError) error = NULL;
  SrvSmsSender *self;
  gint64 id = 0;

  g_return_val_if_fail (store != NULL, NULL);

  if (!srv_store_sms_sender_begin (store, &id, &error))
    {
      g_warning ("SMS sender: %s", error->message);
      return NULL;
    }
  self = g_new0 (SrvSmsSender, 1);
  self->store = store;
  self->id = id;
  self->tz = g_time_zone_new_identifier (timezone ? timezone : MDN_DEFAULT_TIMEZONE);
  if (self->tz == NULL)
    self->tz = g_time_zone_new_utc ();
  self->retry_base = CLAMP (retry_base_s, 0, 86400);
  self->session = soup_session_new_with_options ("timeout", 30, "user-agent", "mendian-server", NULL);
  self->cancel = g_cancellable_new ();
  recover (self);
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
