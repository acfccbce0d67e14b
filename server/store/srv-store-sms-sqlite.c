/* srv-store-sms-sqlite.c: the SMS outbox, gateway and templates
 * (schema/server/0010_sms.sql) and the member data the SMS rules read
 * (srv-store-sms.h), SQLite implementation. One server process per file:
 * a message is claimed by a conditional update, and a message found
 * "sending" that is not this sender's is one a previous process left. */
#define G_LOG_DOMAIN "srv-store"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-member-filter.h"
#include "mdn-members.h"
#include "mdn-settings.h"
#include "srv-store-private.h"
#include "srv-store-sms.h"

gboolean
srv_store_sms_enqueue (SrvStore   *store,
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
  return mdn_db_exec (store->db, error,
                      "INSERT INTO srv_sms_outbox (entry_id, event, member_id, phone, text, params, marketing, "
                      "status, last_error, next_at, created_at) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, CASE WHEN ?8 IS NULL THEN 'queued' ELSE 'failed' END, ?8, ?, ?) "
                      "ON CONFLICT DO NOTHING",
                      "ssssssisis", key, event, member_id, phone, text, params, (gint64) (marketing ? 1 : 0),
                      failed, next_at, created_at);
}

gboolean
srv_store_sms_template (SrvStore   *store,
                        const char *event,
                        char      **out_text,
                        char      **out_code,
                        GError    **error)
{
  sqlite3_stmt *stmt = mdn_db_query (store->db, error,
                                     "SELECT text, template_code FROM srv_sms_templates WHERE event = ?", "s", event);
  int rc;

  *out_text = *out_code = NULL;
  if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      *out_text = g_strdup (mdn_db_col_text (stmt, 0));
      *out_code = g_strdup (mdn_db_col_text (stmt, 1));
    }
  sqlite3_reset (stmt);
  return TRUE;
}

gboolean
srv_store_sms_template_set (SrvStore   *store,
                            const char *event,
                            const char *text,
                            const char *template_code,
                            GError    **error)
{
  if (!mdn_db_begin (store->db, TRUE, error))
    return FALSE;
  if (!mdn_db_exec (store->db, error,
                    "INSERT INTO srv_sms_templates (event, text, template_code) VALUES (?1, ?2, ?3) "
                    "ON CONFLICT (event) DO UPDATE SET text = coalesce (?2, text), "
                    "template_code = coalesce (?3, template_code)",
                    "sss", event, text, template_code) ||
      !mdn_db_commit (store->db, error))
    {
      mdn_db_rollback (store->db);
      return FALSE;
    }
  return TRUE;
}

gboolean
srv_store_sms_gateway (SrvStore      *store,
                       SrvSmsGateway *out,
                       gboolean      *out_found,
                       GError       **error)
{
  sqlite3_stmt *stmt = mdn_db_query (store->db, error, "SELECT driver, url, key_id, secret, sign_name, app_id, set_at "
                                                       "FROM srv_sms_gateway WHERE id = 1", "");
  int rc;

  memset (out, 0, sizeof *out);
  *out_found = FALSE;
  if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      out->driver = g_strdup (mdn_db_col_text (stmt, 0));
      out->url = g_strdup (mdn_db_col_text (stmt, 1));
      out->key_id = g_strdup (mdn_db_col_text (stmt, 2));
      out->secret = g_strdup (mdn_db_col_text (stmt, 3));
      out->sign_name = g_strdup (mdn_db_col_text (stmt, 4));
      out->app_id = g_strdup (mdn_db_col_text (stmt, 5));
      out->set_at = g_strdup (mdn_db_col_text (stmt, 6));
      *out_found = TRUE;
    }
  sqlite3_reset (stmt);
  return TRUE;
}

gboolean
srv_store_sms_gateway_set (SrvStore            *store,
                           const SrvSmsGateway *g,
                           GError             **error)
{
  if (!mdn_db_begin (store->db, TRUE, error))
    return FALSE;
  if (!mdn_db_exec (store->db, error,
                    "INSERT OR REPLACE INTO srv_sms_gateway (id, driver, url, key_id, secret, sign_name, app_id, "
                    "set_at) VALUES (1, ?, ?, ?, ?, ?, ?, ?)",
                    "sssssss", g->driver, g->url, g->key_id, g->secret, g->sign_name, g->app_id, g->set_at) ||
      !mdn_db_commit (store->db, error))
    {
      mdn_db_rollback (store->db);
      return FALSE;
    }
  return TRUE;
}

SrvRows *
srv_store_sms_outbox (SrvStore   *store,
                      const char *status,
                      GError    **error)
{
  return srv_sqlite_rows_of (store,
                   mdn_db_query (store->db, error,
                                 "SELECT id, entry_id, event, member_id, phone, text, marketing, status, attempts, "
                                 "last_error, created_at, sent_at FROM srv_sms_outbox "
                                 "WHERE (?1 IS NULL OR status = ?1) ORDER BY id DESC",
                                 "s", status),
                   error);
}

gboolean
srv_store_sms_member (SrvStore     *store,
                      const char   *member_id,
                      SrvSmsMember *out,
                      gboolean     *out_found,
                      GError      **error)
{
  g_autoptr(MdnMember) m = mdn_member_load (store->db, member_id, NULL);
  sqlite3_stmt *stmt;

  memset (out, 0, sizeof *out);
  *out_found = FALSE;
  if (m == NULL)
    return TRUE;
  stmt = mdn_db_query (store->db, error, "SELECT sms_opt_out, sms_consent FROM members WHERE id = ?", "s", m->id);
  if (stmt == NULL)
    return FALSE;
  /* Not found there: as opted out. */
  out->opt_out = TRUE;
  if (mdn_db_step (store->db, stmt, NULL) == SQLITE_ROW)
    {
      out->opt_out = sqlite3_column_int (stmt, 0) != 0;
      out->consent = sqlite3_column_int (stmt, 1) != 0;
    }
  sqlite3_reset (stmt);
  out->id = g_strdup (m->id);
  out->card_no = g_strdup (m->card_no);
  out->name = g_strdup (m->name);
  out->phone = g_strdup (m->phone);
  out->issued_branch = g_strdup (m->issued_branch);
  out->balance_fen = m->principal_fen + m->bonus_fen;
  *out_found = TRUE;
  return TRUE;
}

char *
srv_store_sms_shop (SrvStore   *store,
                    const char *code)
{
  sqlite3_stmt *stmt = mdn_db_query (store->db, NULL, "SELECT name FROM srv_branches WHERE code = ?", "s", code);
  char *name = NULL;

  if (stmt && mdn_db_step (store->db, stmt, NULL) == SQLITE_ROW)
    name = g_strdup (mdn_db_col_text (stmt, 0));
  if (stmt)
    sqlite3_reset (stmt);
  return name;
}

/* The chain settings, cached per data version of the file (the SMS rules
 * read one for every pushed entry; a SELECT each before). Correct across
 * connections and processes: SQLITE_FCNTL_DATA_VERSION moves with every
 * commit to the file, by this connection or any other (seen when a
 * transaction starts), so the cache is used only inside a transaction
 * holding at least a read lock, and refilled when the version moved. A
 * write of this connection moves it only at its commit: a setting applied
 * in the open transaction (srv_store_entry_apply of a setting kind, or
 * srv_store_sms_settings_changed) makes every read go to the file until
 * that transaction ends, committed or rolled back, and nothing read
 * meanwhile is kept. */
gboolean
srv_store_sms_settings_changed (SrvStore *store,
                                GError  **error)
{
  (void) error;
  srv_sqlite_settings_written (store);
  return TRUE;
}

/* The cached value of @key, if the cache may answer (else FALSE: read the
 * file; *@usable says whether to keep what is read). */
static gboolean
setting_cached (SrvStore   *store,
                const char *key,
                gint64     *out,
                gboolean   *usable)
{
  sqlite3 *handle = mdn_db_handle (store->db);
  unsigned int version = 0;
  gint64 *value;

  *usable = FALSE;
  if (store->settings_written || sqlite3_txn_state (handle, "main") < SQLITE_TXN_READ ||
      sqlite3_file_control (handle, "main", SQLITE_FCNTL_DATA_VERSION, &version) != SQLITE_OK)
    return FALSE;
  if (store->settings == NULL)
    store->settings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (version != store->settings_version)
    {
      g_hash_table_remove_all (store->settings);
      store->settings_version = version;
    }
  *usable = TRUE;
  if ((value = g_hash_table_lookup (store->settings, key)) == NULL)
    return FALSE;
  *out = *value;
  return TRUE;
}

static void
setting_keep (SrvStore   *store,
              const char *key,
              gint64      value)
{
  g_hash_table_replace (store->settings, g_strdup (key), g_memdup2 (&value, sizeof value));
}

gboolean
srv_store_sms_setting_bool (SrvStore   *store,
                            const char *key)
{
  gint64 value;
  gboolean usable;

  if (setting_cached (store, key, &value, &usable))
    return value != 0;
  value = mdn_settings_get_bool (store->db, key);
  if (usable)
    setting_keep (store, key, value);
  return value != 0;
}

gint64
srv_store_sms_setting_int (SrvStore   *store,
                           const char *key)
{
  gint64 value;
  gboolean usable;

  if (setting_cached (store, key, &value, &usable))
    return value;
  value = mdn_settings_get_int (store->db, key);
  if (usable)
    setting_keep (store, key, value);
  return value;
}

SrvRows *
srv_store_sms_birthday_candidates (SrvStore *store,
                                   GError  **error)
{
  return srv_sqlite_rows_of (store,
                   mdn_db_query (store->db, error,
                                 "SELECT id, birthday, birthday_lunar, issued_branch FROM members "
                                 "WHERE status = 'active' AND phone IS NOT NULL AND phone != '' AND sms_opt_out = 0 "
                                 "AND (birthday IS NOT NULL OR birthday_lunar IS NOT NULL) ORDER BY id", ""),
                   error);
}

typedef struct
{
  SrvSmsMemberFunc each;
  gpointer         data;
} Each;

/* mdn_member_filter_each's row: id, card_no, name, phone, level,
 * balance_fen, points, sms_consent, sms_opt_out. */
static gboolean
campaign_row (sqlite3_stmt *row,
              gpointer      user_data)
{
  Each *e = user_data;
  SrvSmsMember m = {
    .id = (char *) mdn_db_col_text (row, 0),
    .card_no = (char *) mdn_db_col_text (row, 1),
    .name = (char *) mdn_db_col_text (row, 2),
    .phone = (char *) mdn_db_col_text (row, 3),
    .balance_fen = sqlite3_column_int64 (row, 5),
    .consent = sqlite3_column_int (row, 7) != 0,
    .opt_out = sqlite3_column_int (row, 8) != 0,
  };

  return e->each (&m, e->data);
}

gboolean
srv_sms_filter_members (MdnDb           *db,
                        JsonObject      *filter,
                        const char      *today,
                        SrvSmsMemberFunc each,
                        gpointer         user_data,
                        GError         **error)
{
  Each e = { each, user_data };

  return mdn_member_filter_each (db, filter, today, campaign_row, &e, error);
}

gboolean
srv_store_sms_campaign_members (SrvStore        *store,
                                JsonObject      *filter,
                                const char      *today,
                                SrvSmsMemberFunc each,
                                gpointer         user_data,
                                GError         **error)
{
  return srv_sms_filter_members (store->db, filter, today, each, user_data, error);
}

gboolean
srv_store_sms_sender_begin (SrvStore *store,
                            gint64   *out_sender,
                            GError  **error)
{
  (void) store;
  (void) error;
  *out_sender = 0;
  return TRUE;
}

gint64
srv_store_sms_recover (SrvStore *store,
                       gint64    sender,
                       gint64    busy,
                       GError  **error)
{
  (void) sender;
  if (!mdn_db_exec (store->db, error,
                    "UPDATE srv_sms_outbox SET status = 'failed', "
                    "last_error = 'interrupted while sending: not sent again (it may have reached the gateway)' "
                    "WHERE status = 'sending' AND id != ?", "i", busy))
    return -1;
  return sqlite3_changes (mdn_db_handle (store->db));
}

gboolean
srv_store_sms_claim (SrvStore      *store,
                     gint64         sender,
                     gint64         now,
                     SrvSmsMessage *out,
                     gboolean      *out_found,
                     GError       **error)
{
  (void) sender;
  memset (out, 0, sizeof *out);
  *out_found = FALSE;
  for (int guard = 0; guard < 100; guard++)
    {
      sqlite3_stmt *stmt = mdn_db_query (store->db, error,
                                         "SELECT id, entry_id, event, member_id, phone, text, params, attempts, "
                                         "marketing, status FROM srv_sms_outbox WHERE status IN ('queued', 'retrying') "
                                         "AND next_at <= ? ORDER BY next_at, id LIMIT 1", "i", now);
      int rc;

      if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
        return FALSE;
      if (rc != SQLITE_ROW)
        {
          sqlite3_reset (stmt);
          return TRUE;
        }
      out->id = sqlite3_column_int64 (stmt, 0);
      out->entry_id = g_strdup (mdn_db_col_text (stmt, 1));
      out->event = g_strdup (mdn_db_col_text (stmt, 2));
      out->member_id = g_strdup (mdn_db_col_text (stmt, 3));
      out->phone = g_strdup (mdn_db_col_text (stmt, 4));
      out->text = g_strdup (mdn_db_col_text (stmt, 5));
      out->params = g_strdup (mdn_db_col_text (stmt, 6));
      out->attempts = sqlite3_column_int64 (stmt, 7) + 1;
      out->marketing = sqlite3_column_int (stmt, 8) != 0;
      out->status = g_strdup (mdn_db_col_text (stmt, 9));
      sqlite3_reset (stmt);
      /* Conditional: nobody else has it meanwhile. */
      if (!mdn_db_exec (store->db, error, "UPDATE srv_sms_outbox SET status = 'sending', attempts = ? "
                                          "WHERE id = ? AND status IN ('queued', 'retrying')",
                        "ii", out->attempts, out->id))
        return FALSE;
      if (sqlite3_changes (mdn_db_handle (store->db)) == 1)
        {
          *out_found = TRUE;
          return TRUE;
        }
      g_free (out->entry_id);
      g_free (out->event);
      g_free (out->member_id);
      g_free (out->phone);
      g_free (out->text);
      g_free (out->params);
      g_free (out->status);
      memset (out, 0, sizeof *out);
    }
  return TRUE;
}

gboolean
srv_store_sms_release (SrvStore   *store,
                       gint64      id,
                       const char *status,
                       gint64      attempts,
                       gint64      next_at,
                       GError    **error)
{
  return mdn_db_exec (store->db, error,
                      "UPDATE srv_sms_outbox SET status = ?, attempts = ?, next_at = ? "
                      "WHERE id = ? AND status = 'sending'", "siii", status, attempts, next_at, id);
}

gboolean
srv_store_sms_finish (SrvStore   *store,
                      gint64      id,
                      const char *status,
                      gint64      next_at,
                      const char *last_error,
                      const char *at,
                      const char *day,
                      GError    **error)
{
  gboolean sent = g_str_equal (status, "sent");

  if (!mdn_db_begin (store->db, TRUE, error))
    return FALSE;
  if (!mdn_db_exec (store->db, error,
                    "UPDATE srv_sms_outbox SET status = ?, next_at = ?, last_error = ?, "
                    "sent_at = CASE WHEN ? THEN ? ELSE sent_at END WHERE id = ?",
                    "sisisi", status, next_at, last_error, (gint64) sent, at, id) ||
      (sent && !mdn_db_exec (store->db, error,
                             "INSERT INTO srv_sms_daily (phone, day, sent) "
                             "SELECT phone, ?, 1 FROM srv_sms_outbox WHERE id = ? "
                             "ON CONFLICT (phone, day) DO UPDATE SET sent = sent + 1",
                             "si", day, id)) ||
      !mdn_db_commit (store->db, error))
    {
      mdn_db_rollback (store->db);
      return FALSE;
    }
  return TRUE;
}

gboolean
srv_store_sms_daily_sent (SrvStore   *store,
                          const char *phone,
                          const char *day,
                          gint64     *out,
                          GError    **error)
{
  sqlite3_stmt *stmt = mdn_db_query (store->db, error, "SELECT sent FROM srv_sms_daily WHERE phone = ? AND day = ?",
                                     "ss", phone, day);
  int rc;

  *out = 0;
  if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    *out = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return TRUE;
}
