/* srv-store-pg-sms.c: the SMS outbox, gateway and templates
 * (schema/server/postgres/0007_sms.sql) and the member data the SMS rules
 * read (srv-store-sms.h), PostgreSQL implementation, and the console's SMS
 * rows (srv_console_sms_*).
 *
 * Several server processes share one outbox. A sender claims the next due
 * message in one statement that row-locks it (FOR UPDATE SKIP LOCKED) and
 * makes it "sending": two senders never claim one message, and neither
 * waits for the other. Each sender has an id it holds as a session
 * advisory lock (SMS_SENDER_CLASS, id) on the store's connection; a
 * message "sending" under an id nobody holds was left by a process that is
 * gone (or lost its connection), and is marked failed, never sent again.
 *
 * Members: srv_members has what the rules read (refresh_member keeps it);
 * the balance is the accounts' principal and bonus. A campaign's members
 * are chosen in srv-store-pg-crm.c (the members' figures). */
#define G_LOG_DOMAIN "srv-store-pg"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-settings.h"
#include "srv-store-pg-private.h"

#define SMS_SENDER_CLASS 1835298410   /* advisory locks (class, sender id) of the SMS senders */

#define INTERRUPTED "interrupted while sending: not sent again (it may have reached the gateway)"

gboolean
srv_pg_sms_enqueue (SrvPg      *pg,
                    const char *key,
                    const char *event,
                    const char *member_id,
                    const char *phone,
                    const char *text,
                    const char *params,
                    gboolean    marketing,
                    const char *failed,
                    gint64      next_at,
                    const char *created_at,
                    GError    **error)
{
  return pq_exec (pg, error,
                  "INSERT INTO srv_sms_outbox (entry_id, event, member_id, phone, text, params, marketing, "
                  "status, last_error, next_at, created_at) "
                  "VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $8::text IS NULL THEN 'queued' ELSE 'failed' END, "
                  "$8, $9, $10) ON CONFLICT (entry_id, event, member_id) DO NOTHING",
                  "ssssssisis", key, event, member_id, phone, text, params, (gint64) (marketing ? 1 : 0), failed,
                  next_at, created_at);
}

gboolean
srv_pg_sms_template (SrvPg      *pg,
                     const char *event,
                     char      **out_text,
                     char      **out_code,
                     GError    **error)
{
  g_autoptr(PGresult) res = pq (pg, error, "SELECT text, template_code FROM srv_sms_templates WHERE event = $1",
                                "s", event);

  *out_text = *out_code = NULL;
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 1)
    {
      *out_text = g_strdup (col (res, 0, 0));
      *out_code = g_strdup (col (res, 0, 1));
    }
  return TRUE;
}

/* Ends the write transaction its caller began: COMMIT if @ok, else ROLLBACK. */
static gboolean
write_one (SrvPg      *pg,
           GError    **error,
           gboolean    ok)
{
  if (!ok)
    {
      srv_pg_rollback (pg);
      return FALSE;
    }
  return srv_pg_commit (pg, error);
}

gboolean
srv_pg_sms_template_set (SrvPg      *pg,
                         const char *event,
                         const char *text,
                         const char *template_code,
                         GError    **error)
{
  if (!srv_pg_begin (pg, TRUE, error))
    return FALSE;
  return write_one (pg, error,
                    pq_exec (pg, error,
                             "INSERT INTO srv_sms_templates (event, text, template_code) VALUES ($1, $2, $3) "
                             "ON CONFLICT (event) DO UPDATE SET text = coalesce ($2, srv_sms_templates.text), "
                             "template_code = coalesce ($3, srv_sms_templates.template_code)",
                             "sss", event, text, template_code));
}

gboolean
srv_pg_sms_gateway (SrvPg         *pg,
                    SrvSmsGateway *out,
                    gboolean      *out_found,
                    GError       **error)
{
  g_autoptr(PGresult) res = pq (pg, error, "SELECT driver, url, key_id, secret, sign_name, app_id, set_at "
                                "FROM srv_sms_gateway WHERE id = 1", "");

  memset (out, 0, sizeof *out);
  *out_found = FALSE;
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 1)
    {
      out->driver = g_strdup (col (res, 0, 0));
      out->url = g_strdup (col (res, 0, 1));
      out->key_id = g_strdup (col (res, 0, 2));
      out->secret = g_strdup (col (res, 0, 3));
      out->sign_name = g_strdup (col (res, 0, 4));
      out->app_id = g_strdup (col (res, 0, 5));
      out->set_at = g_strdup (col (res, 0, 6));
      *out_found = TRUE;
    }
  return TRUE;
}

gboolean
srv_pg_sms_gateway_set (SrvPg               *pg,
                        const SrvSmsGateway *g,
                        GError             **error)
{
  if (!srv_pg_begin (pg, TRUE, error))
    return FALSE;
  return write_one (pg, error,
                    pq_exec (pg, error,
                             "INSERT INTO srv_sms_gateway (id, driver, url, key_id, secret, sign_name, app_id, set_at) "
                             "VALUES (1, $1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET "
                             "driver = excluded.driver, url = excluded.url, key_id = excluded.key_id, "
                             "secret = excluded.secret, sign_name = excluded.sign_name, app_id = excluded.app_id, "
                             "set_at = excluded.set_at",
                             "sssssss", g->driver, g->url, g->key_id, g->secret, g->sign_name, g->app_id,
                             g->set_at));
}

SrvRows *
srv_pg_sms_outbox (SrvPg      *pg,
                   const char *status,
                   GError    **error)
{
  return console_rows (pq (pg, error,
                       "SELECT id, entry_id, event, member_id, phone, text, marketing, status, attempts, last_error, "
                       "created_at, sent_at FROM srv_sms_outbox WHERE ($1::text IS NULL OR status = $1) "
                       "ORDER BY id DESC", "s", status));
}

gboolean
srv_pg_sms_member (SrvPg        *pg,
                   const char   *member_id,
                   SrvSmsMember *out,
                   gboolean     *out_found,
                   GError      **error)
{
  g_autoptr(PGresult) res = pq (pg, error,
                                "SELECT m.id, m.card_no, m.name, m.phone, m.issued_branch, "
                                "COALESCE ((SELECT sum (a.balance) FROM accounts a WHERE a.member_id = m.id "
                                "  AND a.account IN ('principal', 'bonus')), 0), m.sms_consent, m.sms_opt_out "
                                "FROM srv_members m WHERE m.id = $1", "s", member_id);

  memset (out, 0, sizeof *out);
  *out_found = FALSE;
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 1)
    {
      out->id = g_strdup (col (res, 0, 0));
      out->card_no = g_strdup (col (res, 0, 1));
      out->name = g_strdup (col (res, 0, 2));
      out->phone = g_strdup (col (res, 0, 3));
      out->issued_branch = g_strdup (col (res, 0, 4));
      out->balance_fen = col_int (res, 0, 5);
      out->consent = col_bool (res, 0, 6);
      out->opt_out = col_bool (res, 0, 7);
      *out_found = TRUE;
    }
  return TRUE;
}

char *
srv_pg_sms_shop (SrvPg      *pg,
                 const char *code)
{
  g_autoptr(PGresult) res = pq (pg, NULL, "SELECT name FROM srv_branches WHERE code = $1", "s", code);

  return res && PQntuples (res) == 1 ? g_strdup (col (res, 0, 0)) : NULL;
}

/* The chain's settings as the SMS rules read them, for every pushed entry
 * with an SMS event: a branch schema in memory holding the setting.chain
 * entries re-projected (project_settings), kept until a setting.chain is
 * stored: in this process at once (srv_pg_sms_settings_changed), in the
 * others when its transaction commits (NOTIFY SETTINGS_CHANNEL, which the
 * store's connection listens to), so a push reads no settings from the
 * database. Without the LISTEN (before the sender starts it, or after the
 * connection was made again inside a transaction) every read projects the
 * settings again. One per process: its store's (mendian-server opens one).
 * The values read are kept with it; inside a transaction the notices are
 * looked at once (PostgreSQL hands a session its notices only between
 * transactions), not at every pushed entry. */
#define SETTINGS_CHANNEL "mendian_sms_settings"

typedef struct
{
  SrvPg      *pg;
  int         listen_pid;   /* the backend whose session LISTENs, 0 none */
  MdnDb      *db;
  GHashTable *values;       /* key → its value read from @db (a string) */
  guint64     looked_tx;    /* the transaction whose notices were looked at (0: none) */
} SettingsCache;

static SettingsCache settings_cache;

/* What is kept, dropped: read again at the next look. */
static void
cache_drop (SettingsCache *c)
{
  g_clear_pointer (&c->db, mdn_db_close);
  if (c->values)
    g_hash_table_remove_all (c->values);
  c->looked_tx = 0;
}

/* LISTEN on the store's connection, outside a transaction (one that
 * rolls back would take the LISTEN with it). */
static void
ensure_listen (SrvPg *pg)
{
  SettingsCache *c = &settings_cache;
  int pid = PQbackendPID (pg->conn);
  g_autoptr(GError) error = NULL;

  if (pg->in_tx || PQtransactionStatus (pg->conn) != PQTRANS_IDLE || (c->pg == pg && c->listen_pid == pid))
    return;
  if (!pq_simple (pg, "LISTEN " SETTINGS_CHANNEL, &error))
    {
      g_warning ("LISTEN " SETTINGS_CHANNEL ": %s", error->message);
      return;
    }
  c->pg = pg;
  c->listen_pid = PQbackendPID (pg->conn);
  cache_drop (c);   /* what changed before the LISTEN */
}

/* Whether a settings change was announced since the last look. */
static gboolean
settings_announced (SrvPg *pg)
{
  PGnotify *n;
  gboolean any = FALSE;

  PQconsumeInput (pg->conn);
  while ((n = PQnotifies (pg->conn)) != NULL)
    {
      if (g_str_equal (n->relname, SETTINGS_CHANNEL))
        any = TRUE;
      PQfreemem (n);
    }
  return any;
}

static MdnDb *
settings_db (SrvPg *pg)
{
  SettingsCache *c = &settings_cache;
  g_autoptr(GError) error = NULL;

  ensure_listen (pg);
  if (c->db && c->pg == pg && pg->in_tx && c->looked_tx == pg->tx_serial &&
      c->listen_pid == PQbackendPID (pg->conn))
    return c->db;
  if (settings_announced (pg) || c->pg != pg || c->listen_pid != PQbackendPID (pg->conn))
    cache_drop (c);
  if (c->db)
    {
      c->looked_tx = pg->in_tx ? pg->tx_serial : 0;
      return c->db;
    }
  if ((c->db = mdn_db_open (":memory:", "branch", &error)) == NULL ||
      !mdn_db_exec_script (c->db, "PRAGMA foreign_keys = OFF", &error) || !mdn_db_begin (c->db, TRUE, &error) ||
      !project_settings (pg, c->db, &error) || !mdn_db_commit (c->db, &error))
    {
      g_warning ("the chain's settings could not be read: %s", error ? error->message : "?");
      cache_drop (c);
      return NULL;
    }
  if (c->values == NULL)
    c->values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  c->looked_tx = pg->in_tx ? pg->tx_serial : 0;
  return c->db;
}

/* A setting.chain was stored in this transaction: this process reads the
 * settings again at once (seeing it inside the transaction), the others
 * when it commits. */
gboolean
srv_pg_sms_settings_changed (SrvPg   *pg,
                             GError **error)
{
  cache_drop (&settings_cache);
  return pq_exec (pg, error, "SELECT pg_notify ('" SETTINGS_CHANNEL "', '')", "");
}

/* Not listening: not kept. */
static void
settings_done (SrvPg *pg)
{
  if (settings_cache.listen_pid != PQbackendPID (pg->conn))
    cache_drop (&settings_cache);
}

/* @key's value (a bool as 0 or 1) as read from the settings, kept. */
static gint64
setting_value (SrvPg      *pg,
               const char *key,
               gboolean    is_bool)
{
  MdnDb *db = settings_db (pg);
  gint64 *kept, value;

  if (db == NULL)
    {
      const char *def = mdn_settings_lookup (key)->def;

      return is_bool ? g_strcmp0 (def, "true") == 0 : g_ascii_strtoll (def, NULL, 10);
    }
  if ((kept = g_hash_table_lookup (settings_cache.values, key)) != NULL)
    return *kept;
  value = is_bool ? mdn_settings_get_bool (db, key) : mdn_settings_get_int (db, key);
  if (settings_cache.db == db)
    g_hash_table_insert (settings_cache.values, g_strdup (key), g_memdup2 (&value, sizeof value));
  settings_done (pg);
  return value;
}

gboolean
srv_pg_sms_setting_bool (SrvPg      *pg,
                         const char *key)
{
  return setting_value (pg, key, TRUE) != 0;
}

gint64
srv_pg_sms_setting_int (SrvPg      *pg,
                        const char *key)
{
  return setting_value (pg, key, FALSE);
}

SrvRows *
srv_pg_sms_birthday_candidates (SrvPg   *pg,
                                GError **error)
{
  return console_rows (pq (pg, error,
                       "SELECT id, birthday, birthday_lunar, issued_branch FROM srv_members "
                       "WHERE status = 'active' AND phone <> '' AND NOT sms_opt_out "
                       "AND (birthday IS NOT NULL OR birthday_lunar IS NOT NULL) ORDER BY id", ""));
}

/* The session that holds this process's sender id (0: none yet). */
static int sender_pid;

gboolean
srv_pg_sms_sender_begin (SrvPg   *pg,
                         gint64  *out_sender,
                         GError **error)
{
  for (int attempt = 0; attempt < 16; attempt++)
    {
      gint64 id = g_random_int_range (1, G_MAXINT32);
      g_autoptr(PGresult) res = pq (pg, error, "SELECT pg_try_advisory_lock ($1, $2::integer)", "ii",
                                    (gint64) SMS_SENDER_CLASS, id);

      if (res == NULL)
        return FALSE;
      if (col_bool (res, 0, 0))
        {
          *out_sender = id;
          sender_pid = PQbackendPID (pg->conn);
          ensure_listen (pg);
          return TRUE;
        }
    }
  g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INTERNAL, _("No free id for the SMS sender"));
  return FALSE;
}

/* A sender that is gone holds no lock on its id: taking it for this
 * statement's transaction succeeds. */
gint64
srv_pg_sms_recover (SrvPg   *pg,
                    gint64   sender,
                    gint64   busy,
                    GError **error)
{
  return pq_changes (pg, error,
                     "UPDATE srv_sms_outbox SET status = 'failed', last_error = '" INTERRUPTED "' "
                     "WHERE id IN (SELECT id FROM srv_sms_outbox WHERE status = 'sending' AND id <> $2 "
                     "  AND claimed_by IS DISTINCT FROM $1::integer FOR UPDATE SKIP LOCKED) "
                     "AND status = 'sending' AND pg_try_advisory_xact_lock ($3, claimed_by)",
                     "iii", sender, busy, (gint64) SMS_SENDER_CLASS);
}

/* The sender's id held again by a connection made again (the old
 * session's lock went with it). */
static void
hold_sender (SrvPg  *pg,
             gint64  sender)
{
  g_autoptr(PGresult) res = NULL;

  if (sender == 0 || sender_pid == PQbackendPID (pg->conn) || pg->in_tx)
    return;
  res = pq (pg, NULL, "SELECT pg_try_advisory_lock ($1, $2::integer)", "ii", (gint64) SMS_SENDER_CLASS, sender);
  if (res && col_bool (res, 0, 0))
    sender_pid = PQbackendPID (pg->conn);
  else
    g_warning ("the SMS sender's id %" G_GINT64_FORMAT " is held by another session", sender);
}

gboolean
srv_pg_sms_claim (SrvPg         *pg,
                  gint64         sender,
                  gint64         now,
                  SrvSmsMessage *out,
                  gboolean      *out_found,
                  GError       **error)
{
  g_autoptr(PGresult) res = NULL;

  hold_sender (pg, sender);
  res = pq (pg, error,
            "WITH c AS (SELECT id, status FROM srv_sms_outbox "
            "  WHERE status IN ('queued', 'retrying') AND next_at <= $2 "
            "  ORDER BY next_at, id LIMIT 1 FOR UPDATE SKIP LOCKED) "
            "UPDATE srv_sms_outbox o SET status = 'sending', attempts = o.attempts + 1, "
            "claimed_by = $1::integer FROM c WHERE o.id = c.id "
            "RETURNING o.id, o.entry_id, o.event, o.member_id, o.phone, o.text, o.params, "
            "o.attempts, o.marketing, c.status",
            "ii", sender, now);

  ensure_listen (pg);   /* again after the connection was made again */

  memset (out, 0, sizeof *out);
  *out_found = FALSE;
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 1)
    {
      out->id = col_int (res, 0, 0);
      out->entry_id = g_strdup (col (res, 0, 1));
      out->event = g_strdup (col (res, 0, 2));
      out->member_id = g_strdup (col (res, 0, 3));
      out->phone = g_strdup (col (res, 0, 4));
      out->text = g_strdup (col (res, 0, 5));
      out->params = g_strdup (col (res, 0, 6));
      out->attempts = col_int (res, 0, 7);
      out->marketing = col_int (res, 0, 8) != 0;
      out->status = g_strdup (col (res, 0, 9));
      *out_found = TRUE;
    }
  return TRUE;
}

gboolean
srv_pg_sms_release (SrvPg      *pg,
                    gint64      id,
                    const char *status,
                    gint64      attempts,
                    gint64      next_at,
                    GError    **error)
{
  return pq_exec (pg, error,
                  "UPDATE srv_sms_outbox SET status = $2, attempts = $3, next_at = $4, claimed_by = NULL "
                  "WHERE id = $1 AND status = 'sending'", "isii", id, status, attempts, next_at);
}

gboolean
srv_pg_sms_finish (SrvPg      *pg,
                   gint64      id,
                   const char *status,
                   gint64      next_at,
                   const char *last_error,
                   const char *at,
                   const char *day,
                   GError    **error)
{
  gboolean sent = g_str_equal (status, "sent");

  if (!srv_pg_begin (pg, TRUE, error))
    return FALSE;
  return write_one (pg, error,
                    pq_exec (pg, error,
                             "UPDATE srv_sms_outbox SET status = $2, next_at = $3, last_error = $4, claimed_by = NULL, "
                             "sent_at = CASE WHEN $5 THEN $6 ELSE sent_at END WHERE id = $1",
                             "isisbs", id, status, next_at, last_error, sent, at) &&
                    (!sent || pq_exec (pg, error,
                                       "INSERT INTO srv_sms_daily (phone, day, sent) "
                                       "SELECT phone, $2, 1 FROM srv_sms_outbox WHERE id = $1 "
                                       "ON CONFLICT (phone, day) DO UPDATE SET sent = srv_sms_daily.sent + 1",
                                       "is", id, day)));
}

gboolean
srv_pg_sms_daily_sent (SrvPg      *pg,
                       const char *phone,
                       const char *day,
                       gint64     *out,
                       GError    **error)
{
  g_autoptr(PGresult) res = pq (pg, error, "SELECT sent FROM srv_sms_daily WHERE phone = $1 AND day = $2",
                                "ss", phone, day);

  *out = 0;
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 1)
    *out = col_int (res, 0, 0);
  return TRUE;
}

/* The console's SMS page ------------------------------------------------------------- */

SrvRows *
srv_pg_console_sms_rows (SrvPg      *pg,
                         const char *status,
                         gint64      limit,
                         GError    **error)
{
  return console_rows (pq (pg, error,
                       "SELECT created_at, event, phone, text, status, attempts, sent_at, last_error "
                       "FROM srv_sms_outbox WHERE $1::text IS NULL OR status = $1 ORDER BY id DESC LIMIT $2",
                       "si", status, CLAMP (limit, 1, 1000)));
}

SrvRows *
srv_pg_console_sms_counts (SrvPg   *pg,
                           GError **error)
{
  return console_rows (pq (pg, error,
                       "SELECT status, count (*), "
                       "  (SELECT last_error FROM srv_sms_outbox o WHERE o.status = s.status "
                       "   AND last_error IS NOT NULL ORDER BY id DESC LIMIT 1) "
                       "FROM srv_sms_outbox s GROUP BY status ORDER BY status", ""));
}
