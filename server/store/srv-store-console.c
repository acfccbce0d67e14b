/* srv-store-console.c: the web console's accounts, sessions, audit log and
 * page rows (srv-store-console.h), SQLite implementation. */
#define G_LOG_DOMAIN "srv-store"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-id.h"
#include "mdn-json.h"
#include "mdn-lockout.h"
#include "mdn-report.h"
#include "mdn-staff.h"
#include "srv-store-console.h"
#include "srv-store-private.h"

#define LOCKOUT_WHAT "staff"   /* lockouts.what allows pin or staff */

void
srv_console_user_free (SrvConsoleUser *user)
{
  if (user == NULL)
    return;
  g_free (user->name);
  g_free (user->role);
  g_strfreev (user->branches);
  g_free (user->csrf);
  g_free (user);
}

static gboolean
valid_role (const char *role)
{
  return g_strcmp0 (role, "hq-admin") == 0 || g_strcmp0 (role, "hq-viewer") == 0 ||
         g_strcmp0 (role, "region") == 0;
}

static gboolean
valid_name (const char *name)
{
  gsize len = name ? strlen (name) : 0;

  if (len < 1 || len > 64 || !g_utf8_validate (name, -1, NULL))
    return FALSE;
  for (const char *p = name; *p; p++)
    if ((guchar) *p < 0x20 || *p == '/' || *p == ' ')
      return FALSE;
  return TRUE;
}

static char *
lock_key (const char *name)
{
  return g_strconcat ("console/", name, NULL);
}

static char *
now_text (void)
{
  g_autoptr(GDateTime) now = mdn_clock_now ();

  return mdn_clock_format (now);
}

static gboolean
done (SrvStore *store,
      gboolean  ok,
      GError  **error)
{
  if (ok && mdn_db_commit (store->db, error))
    return TRUE;
  mdn_db_rollback (store->db);
  return FALSE;
}

gboolean
srv_console_user_add (SrvStore          *store,
                      const char        *name,
                      const char        *role,
                      const char        *password,
                      const char *const *branches,
                      GError           **error)
{
  g_autofree char *hash = NULL, *at = now_text ();
  gboolean ok;

  g_return_val_if_fail (store != NULL, FALSE);

  if (!valid_name (name))
    {
      g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID,
                           _("A console user name is 1 to 64 characters without spaces or “/”"));
      return FALSE;
    }
  if (!valid_role (role))
    {
      g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID,
                           _("The role is hq-admin, hq-viewer or region"));
      return FALSE;
    }
  if (password == NULL || g_utf8_strlen (password, -1) < 8)
    {
      g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID,
                           _("A console password has at least 8 characters"));
      return FALSE;
    }
  if (g_str_equal (role, "region") && (branches == NULL || branches[0] == NULL))
    {
      g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID,
                           _("A region user needs its branches (--branches B01,B02)"));
      return FALSE;
    }
  hash = mdn_secret_hash (password, error);
  if (hash == NULL || !mdn_db_begin (store->db, TRUE, error))
    return FALSE;
  for (guint i = 0; branches && branches[i]; i++)
    {
      sqlite3_stmt *stmt = mdn_db_query (store->db, error, "SELECT 1 FROM srv_branches WHERE code = ?", "s",
                                         branches[i]);
      int rc;

      if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
        return done (store, FALSE, error);
      sqlite3_reset (stmt);
      if (rc != SQLITE_ROW)
        {
          g_set_error (error, SRV_ERROR, SRV_ERROR_NOT_FOUND, _("There is no branch %s"), branches[i]);
          return done (store, FALSE, error);
        }
    }
  ok = mdn_db_exec (store->db, error,
                    "INSERT INTO srv_console_users (name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4) "
                    "ON CONFLICT (name) DO UPDATE SET role = ?2, password_hash = ?3, disabled = 0",
                    "ssss", name, role, hash, at) &&
       mdn_db_exec (store->db, error, "DELETE FROM srv_console_user_branches WHERE name = ?", "s", name);
  for (guint i = 0; ok && g_str_equal (role, "region") && branches[i]; i++)
    ok = mdn_db_exec (store->db, error,
                      "INSERT OR IGNORE INTO srv_console_user_branches (name, branch) VALUES (?, ?)",
                      "ss", name, branches[i]);
  return done (store, ok, error);
}

static GStrv
load_branches (SrvStore   *store,
               const char *name)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  sqlite3_stmt *stmt = mdn_db_query (store->db, NULL,
                                     "SELECT branch FROM srv_console_user_branches WHERE name = ? ORDER BY branch",
                                     "s", name);

  while (stmt && mdn_db_step (store->db, stmt, NULL) == SQLITE_ROW)
    g_strv_builder_add (b, mdn_db_col_text (stmt, 0));
  if (stmt)
    sqlite3_reset (stmt);
  return g_strv_builder_end (b);
}

gboolean
srv_console_audit (SrvStore   *store,
                   const char *name,
                   const char *action,
                   const char *target,
                   gboolean    ok,
                   const char *detail,
                   const char *entry_id)
{
  g_autofree char *at = now_text ();
  g_autoptr(GError) error = NULL;
  gboolean own = !mdn_db_in_transaction (store->db);

  if (own && !mdn_db_begin (store->db, TRUE, &error))
    goto fail;
  if (!mdn_db_exec (store->db, &error,
                    "INSERT INTO srv_console_audit (at, name, action, target, ok, detail, entry_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    "ssssiss", at, name ? name : "", action, target, (gint64) ok, detail, entry_id))
    {
      if (own)
        mdn_db_rollback (store->db);
      goto fail;
    }
  if (own && !mdn_db_commit (store->db, &error))
    goto fail;
  return TRUE;

fail:
  g_warning ("the console's audit log could not be written: %s", error->message);
  return FALSE;
}

SrvConsoleUser *
srv_console_login (SrvStore   *store,
                   const char *name,
                   const char *password,
                   GError    **error)
{
  g_autofree char *key = NULL, *hash = NULL, *role = NULL;
  g_autoptr(SrvConsoleUser) user = NULL;
  MdnLockout lock = { 0 }, after = { 0 };
  gint64 now = mdn_lockout_now ();
  gboolean found = FALSE, right;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  if (name == NULL || password == NULL || !valid_name (name))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_AUTH_FAILED, _("Wrong user name or password"));
      srv_console_audit (store, name && g_utf8_validate (name, -1, NULL) ? name : "?", "login", NULL, FALSE,
                         "invalid", NULL);
      return NULL;
    }
  key = lock_key (name);
  if (!mdn_lockout_get (store->db, LOCKOUT_WHAT, key, now, &lock, error))
    return NULL;
  if (lock.locked_until > now)
    {
      mdn_set_locked_error (error, MDN_ERROR_STAFF_LOCKED, lock.locked_until, now);
      srv_console_audit (store, name, "login", NULL, FALSE, "locked", NULL);
      return NULL;
    }
  stmt = mdn_db_query (store->db, error,
                       "SELECT password_hash, role FROM srv_console_users WHERE name = ? AND disabled = 0", "s", name);
  if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
    return NULL;
  if (rc == SQLITE_ROW)
    {
      found = TRUE;
      hash = g_strdup (mdn_db_col_text (stmt, 0));
      role = g_strdup (mdn_db_col_text (stmt, 1));
    }
  sqlite3_reset (stmt);
  /* An unknown name costs one verification too, and locks like a known one. */
  right = mdn_secret_verify (found ? hash : mdn_secret_dummy_hash (), password) && found;
  if (!mdn_db_begin (store->db, TRUE, error))
    return NULL;
  if (!right)
    {
      if (!mdn_lockout_fail (store->db, LOCKOUT_WHAT, key, now, 1, FALSE, &after, error) ||
          !mdn_db_commit (store->db, error))
        {
          mdn_db_rollback (store->db);
          return NULL;
        }
      srv_console_audit (store, name, "login", NULL, FALSE, after.locked_until > now ? "locked" : "wrong password",
                         NULL);
      if (after.locked_until > now)
        mdn_set_locked_error (error, MDN_ERROR_STAFF_LOCKED, after.locked_until, now);
      else
        g_set_error_literal (error, MDN_ERROR, MDN_ERROR_AUTH_FAILED, _("Wrong user name or password"));
      return NULL;
    }
  if (!mdn_lockout_clear (store->db, LOCKOUT_WHAT, key, now, error) || !mdn_db_commit (store->db, error))
    {
      mdn_db_rollback (store->db);
      return NULL;
    }
  user = g_new0 (SrvConsoleUser, 1);
  user->name = g_strdup (name);
  user->role = g_steal_pointer (&role);
  user->branches = load_branches (store, name);
  return g_steal_pointer (&user);
}

static char *
session_hash (const char *id)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, id, -1);
}

char *
srv_console_session_new (SrvStore   *store,
                         const char *name,
                         char      **csrf,
                         GError    **error)
{
  g_autofree char *id = mdn_random_hex (32);
  g_autofree char *token = mdn_random_hex (32);
  g_autofree char *hash = session_hash (id);
  gint64 now = mdn_lockout_now ();

  g_return_val_if_fail (store != NULL && name != NULL && csrf != NULL, NULL);

  if (!mdn_db_begin (store->db, TRUE, error) ||
      !done (store,
             mdn_db_exec (store->db, error,
                          "INSERT INTO srv_console_sessions (id_hash, name, csrf, created_at, last_seen) "
                          "VALUES (?, ?, ?, ?, ?)",
                          "sssii", hash, name, token, now, now),
             error))
    return NULL;
  *csrf = g_steal_pointer (&token);
  return g_steal_pointer (&id);
}

SrvConsoleUser *
srv_console_session_get (SrvStore   *store,
                         const char *id,
                         gint64      idle)
{
  g_autofree char *hash = NULL;
  g_autoptr(SrvConsoleUser) user = NULL;
  gint64 now = mdn_lockout_now (), seen = 0;
  sqlite3_stmt *stmt;

  g_return_val_if_fail (store != NULL, NULL);

  if (id == NULL || strlen (id) != 64)
    return NULL;
  hash = session_hash (id);
  stmt = mdn_db_query (store->db, NULL,
                       "SELECT s.name, s.csrf, s.last_seen, u.role FROM srv_console_sessions s "
                       "JOIN srv_console_users u ON u.name = s.name AND u.disabled = 0 WHERE s.id_hash = ?",
                       "s", hash);
  if (stmt == NULL)
    return NULL;
  if (mdn_db_step (store->db, stmt, NULL) == SQLITE_ROW)
    {
      user = g_new0 (SrvConsoleUser, 1);
      user->name = g_strdup (mdn_db_col_text (stmt, 0));
      user->csrf = g_strdup (mdn_db_col_text (stmt, 1));
      seen = sqlite3_column_int64 (stmt, 2);
      user->role = g_strdup (mdn_db_col_text (stmt, 3));
    }
  sqlite3_reset (stmt);
  if (user == NULL)
    return NULL;
  if (now - seen >= idle || now < seen - 300)
    {
      srv_console_session_end (store, id);
      return NULL;
    }
  if (now > seen && mdn_db_begin (store->db, TRUE, NULL))
    done (store, mdn_db_exec (store->db, NULL, "UPDATE srv_console_sessions SET last_seen = ? WHERE id_hash = ?",
                              "is", now, hash), NULL);
  user->branches = load_branches (store, user->name);
  return g_steal_pointer (&user);
}

void
srv_console_session_end (SrvStore   *store,
                         const char *id)
{
  g_autofree char *hash = NULL;

  if (id == NULL)
    return;
  hash = session_hash (id);
  if (mdn_db_begin (store->db, TRUE, NULL))
    done (store, mdn_db_exec (store->db, NULL, "DELETE FROM srv_console_sessions WHERE id_hash = ?", "s", hash),
          NULL);
}

/* Rows ------------------------------------------------------------------------ */

SrvRows *
srv_sqlite_rows_of (SrvStore     *store,
                    sqlite3_stmt *stmt,
                    GError      **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  int rc, n;

  if (stmt == NULL)
    return NULL;
  n = sqlite3_column_count (stmt);
  while ((rc = mdn_db_step (store->db, stmt, error)) == SQLITE_ROW)
    {
      char **row = g_new0 (char *, n + 1);

      /* SQL NULL is "": a GStrv ends at its first NULL */
      for (int i = 0; i < n; i++)
        row[i] = g_strdup (mdn_db_col_text (stmt, i) ? mdn_db_col_text (stmt, i) : "");
      g_ptr_array_add (rows, row);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return NULL;
  return g_steal_pointer (&rows);
}

/* The JSON array text of @branches, or NULL for every branch. */
static char *
branches_json (const char *const *branches)
{
  g_autoptr(JsonArray) a = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (branches == NULL)
    return NULL;
  a = json_array_new ();
  for (guint i = 0; branches[i]; i++)
    json_array_add_string_element (a, branches[i]);
  node = json_node_init_array (json_node_alloc (), a);
  return json_to_string (node, FALSE);
}

SrvRows *
srv_console_audit_rows (SrvStore   *store,
                        const char *name,
                        gint64      limit,
                        gint64      offset,
                        GError    **error)
{
  return srv_sqlite_rows_of (store,
                  mdn_db_query (store->db, error,
                                "SELECT at, name, action, target, ok, detail, entry_id FROM srv_console_audit "
                                "WHERE ?1 IS NULL OR name = ?1 ORDER BY id DESC LIMIT ?2 OFFSET ?3",
                                "sii", name, limit, offset),
                  error);
}

SrvRows *
srv_console_trend_rows (SrvStore          *store,
                        const char        *from,
                        const char        *to,
                        const char *const *branches,
                        GError           **error)
{
  g_autofree char *only = branches_json (branches);

  return srv_sqlite_rows_of (store,
                  mdn_db_query (store->db, error,
                                "SELECT business_date, SUM (sales_fen), SUM (deposit_principal_fen), SUM (refund_fen) "
                                "FROM srv_rollup_day WHERE business_date BETWEEN ?1 AND ?2 "
                                "AND (?3 IS NULL OR branch IN (SELECT value FROM json_each (?3))) "
                                "GROUP BY business_date ORDER BY business_date",
                                "sss", from, to, only),
                  error);
}

#define MEMBER_COLUMNS \
  "m.id, m.card_no, m.name, m.phone, COALESCE (l.name, m.level), m.status, m.principal_fen, m.bonus_fen, " \
  "m.points, m.issued_branch"

SrvRows *
srv_console_member_rows (SrvStore          *store,
                         const char        *q,
                         const char *const *branches,
                         gint64             limit,
                         GError           **error)
{
  g_autofree char *only = branches_json (branches);
  g_autoptr(GString) like = g_string_new ("%");

  for (const char *p = q ? q : ""; *p; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (like, '\\');
      g_string_append_c (like, *p);
    }
  g_string_append_c (like, '%');
  return srv_sqlite_rows_of (store,
                  mdn_db_query (store->db, error,
                                "SELECT " MEMBER_COLUMNS " FROM members m LEFT JOIN levels l ON l.code = m.level "
                                "WHERE (m.card_no = ?1 OR m.phone = ?1 OR m.name = ?1 "
                                "       OR m.card_no LIKE ?2 ESCAPE '\\' OR m.phone LIKE ?2 ESCAPE '\\' "
                                "       OR m.name LIKE ?2 ESCAPE '\\' "
                                "       OR m.id IN (SELECT member_id FROM cards WHERE card_no = ?1)) "
                                "AND (?3 IS NULL OR m.issued_branch IN (SELECT value FROM json_each (?3))) "
                                "ORDER BY (m.card_no = ?1 OR m.phone = ?1) DESC, m.name, m.card_no LIMIT ?4",
                                "sssi", q ? q : "", like->str, only, limit),
                  error);
}

SrvRows *
srv_console_member_row (SrvStore   *store,
                        const char *member_id,
                        GError    **error)
{
  return srv_sqlite_rows_of (store,
                  mdn_db_query (store->db, error,
                                "SELECT " MEMBER_COLUMNS ", m.expires_on, m.issued_at, m.birthday "
                                "FROM members m LEFT JOIN levels l ON l.code = m.level WHERE m.id = ?",
                                "s", member_id),
                  error);
}

/* The first column of the first row of @stmt (NULL: none, or the query
 * failed), and @stmt reset. */
static char *
first_text (SrvStore     *store,
            sqlite3_stmt *stmt)
{
  char *out = NULL;

  if (stmt && mdn_db_step (store->db, stmt, NULL) == SQLITE_ROW)
    out = g_strdup (mdn_db_col_text (stmt, 0));
  if (stmt)
    sqlite3_reset (stmt);
  return out;
}

char *
srv_console_member_branch (SrvStore   *store,
                           const char *member_id)
{
  return first_text (store, mdn_db_query (store->db, NULL, "SELECT issued_branch FROM members WHERE id = ?",
                                          "s", member_id));
}

char *
srv_console_card_member (SrvStore   *store,
                         const char *card_no)
{
  return first_text (store, mdn_db_query (store->db, NULL,
                                          "SELECT member_id FROM cards WHERE card_no = ? AND status = 'current'",
                                          "s", card_no));
}

SrvRows *
srv_console_package_rows (SrvStore   *store,
                          const char *member_id,
                          GError    **error)
{
  return srv_sqlite_rows_of (store,
                  mdn_db_query (store->db, error,
                                "SELECT p.item, COALESCE (pr.name, p.item), p.lot, p.expires_on, p.remaining "
                                "FROM member_packages p LEFT JOIN products pr ON pr.sku = p.item "
                                "WHERE p.member_id = ? ORDER BY p.item, p.expires_on",
                                "s", member_id),
                  error);
}

SrvRows *
srv_console_history_rows (SrvStore   *store,
                          const char *member_id,
                          gint64      limit,
                          GError    **error)
{
  return srv_sqlite_rows_of (store,
                  mdn_db_query (store->db, error,
                                "SELECT e.id, e.branch, e.seq, e.kind, e.at, e.business_date, e.staff, "
                                "  (SELECT COALESCE (SUM (delta), 0) FROM movements v WHERE v.entry_id = e.id "
                                "     AND v.member_id = ?1 AND v.account = 'principal'), "
                                "  (SELECT COALESCE (SUM (delta), 0) FROM movements v WHERE v.entry_id = e.id "
                                "     AND v.member_id = ?1 AND v.account = 'bonus'), "
                                "  (SELECT COALESCE (SUM (delta), 0) FROM movements v WHERE v.entry_id = e.id "
                                "     AND v.member_id = ?1 AND v.account = 'points') "
                                "FROM entries e WHERE e.member_id = ?1 "
                                "   OR e.id IN (SELECT entry_id FROM movements WHERE member_id = ?1) "
                                "ORDER BY e.at DESC, e.branch, e.seq DESC LIMIT ?2",
                                "si", member_id, limit),
                  error);
}

SrvRows *
srv_console_product_rows (SrvStore *store,
                          GError  **error)
{
  return srv_sqlite_rows_of (store,
                  mdn_db_query (store->db, error,
                                "SELECT sku, name, kind, price_fen, category, barcode, no_discount, package_sku, "
                                "package_count, package_days, active FROM products ORDER BY sku",
                                ""),
                  error);
}

SrvRows *
srv_console_level_rows (SrvStore *store,
                        GError  **error)
{
  return srv_sqlite_rows_of (store,
                  mdn_db_query (store->db, error,
                                "SELECT code, name, price_percent, points_per_yuan, offline_limit_fen FROM levels "
                                "ORDER BY price_percent DESC, code",
                                ""),
                  error);
}

SrvRows *
srv_console_rule_rows (SrvStore *store,
                       GError  **error)
{
  return srv_sqlite_rows_of (store,
                  mdn_db_query (store->db, error, "SELECT min_fen, bonus_fen FROM deposit_rules ORDER BY min_fen", ""),
                  error);
}

SrvRows *
srv_console_plan_rows (SrvStore *store,
                       GError  **error)
{
  return srv_sqlite_rows_of (store,
                  mdn_db_query (store->db, error,
                                "SELECT code, name, unit_minutes, unit_price_fen, free_minutes, min_minutes, cap_fen "
                                "FROM plans ORDER BY code",
                                ""),
                  error);
}

char *
srv_console_today (SrvStore *store)
{
  g_autoptr(GDateTime) now = mdn_clock_now ();

  return mdn_clock_business_date (now, store->timezone);
}

const char *
srv_console_timezone (SrvStore *store)
{
  return store->timezone;
}

SrvRows *
srv_console_setting_rows (SrvStore *store,
                          GError  **error)
{
  return srv_sqlite_rows_of (store, mdn_db_query (store->db, error, "SELECT key, value FROM settings ORDER BY key", ""), error);
}

/* The pages added later: reports on the page, messages, the operation
 * logs, branch versions, SMS. Each is one small query (or a call of the
 * module that owns the table) so another store can provide the same. */

JsonObject *
srv_console_report_page (SrvStore             *store,
                         const MdnReportDef   *def,
                         const MdnReportQuery *query,
                         gint64                limit,
                         const char           *after,
                         GError              **error)
{
  JsonObject *page;

  if (!mdn_db_begin (store->db, FALSE, error))
    return NULL;
  page = mdn_report_page (store->db, def, query, limit, after, error);
  mdn_db_rollback (store->db);
  return page;
}

SrvRows *
srv_console_message_rows (SrvStore   *store,
                          const char *member_id,
                          GError    **error)
{
  return srv_sqlite_rows_of (store,
                  mdn_db_query (store->db, error,
                                "SELECT id, branch, at, staff, text FROM member_messages "
                                "WHERE member_id = ? ORDER BY at DESC, id DESC LIMIT 200",
                                "s", member_id),
                  error);
}

SrvRows *
srv_console_reply_rows (SrvStore   *store,
                        const char *member_id,
                        GError    **error)
{
  return srv_sqlite_rows_of (store,
                  mdn_db_query (store->db, error,
                                "SELECT message_id, id, branch, at, staff, text FROM member_message_replies "
                                "WHERE member_id = ? ORDER BY at, id",
                                "s", member_id),
                  error);
}

SrvRows *
srv_console_oplog_rows (SrvStore          *store,
                        const char *const *branches,
                        const char        *branch,
                        const char        *from,
                        const char        *to,
                        const char        *staff,
                        const char        *op,
                        int                ok,
                        gint64             limit,
                        gint64             offset,
                        GError           **error)
{
  g_autofree char *only = branches_json (branches);

  return srv_sqlite_rows_of (store,
                  mdn_db_query (store->db, error,
                                "SELECT branch, id, at, staff, op, ok, detail, terminal, entry_id FROM srv_oplog "
                                "WHERE (?1 IS NULL OR branch IN (SELECT value FROM json_each (?1))) "
                                "AND (?2 IS NULL OR branch = ?2) AND (?3 IS NULL OR substr (at, 1, 10) >= ?3) "
                                "AND (?4 IS NULL OR substr (at, 1, 10) <= ?4) AND (?5 IS NULL OR staff = ?5) "
                                "AND (?6 IS NULL OR op = ?6) AND (?9 < 0 OR ok = ?9) "
                                "ORDER BY at DESC, branch, id DESC LIMIT ?7 OFFSET ?8",
                                "ssssssiii", only, branch, from, to, staff, op, CLAMP (limit, 1, 1001),
                                MAX (offset, 0), (gint64) ok),
                  error);
}

SrvRows *
srv_console_oplog_ops (SrvStore *store,
                       GError  **error)
{
  return srv_sqlite_rows_of (store, mdn_db_query (store->db, error, "SELECT DISTINCT op FROM srv_oplog ORDER BY op", ""),
                  error);
}

gboolean
srv_console_branch_note_version (SrvStore   *store,
                                 const char *branch_code,
                                 const char *version,
                                 GError    **error)
{
  g_autofree char *at = NULL;

  if (version == NULL || *version == '\0')
    return TRUE;
  at = now_text ();
  return mdn_db_exec (store->db, error,
                      "UPDATE srv_branches SET version = ?2, version_at = ?3 "
                      "WHERE code = ?1 AND (version IS NOT ?2 OR version_at IS NULL OR version_at < ?3)",
                      "sss", branch_code, version, at);
}

SrvRows *
srv_console_branch_versions (SrvStore *store,
                             GError  **error)
{
  return srv_sqlite_rows_of (store,
                  mdn_db_query (store->db, error,
                                "SELECT code, version, version_at FROM srv_branches WHERE version IS NOT NULL "
                                "ORDER BY code", ""),
                  error);
}

SrvRows *
srv_console_category_rows (SrvStore *store,
                           GError  **error)
{
  return srv_sqlite_rows_of (store,
                  mdn_db_query (store->db, error,
                                "SELECT path, name FROM categories WHERE NOT archived ORDER BY path", ""),
                  error);
}

SrvRows *
srv_console_sms_rows (SrvStore   *store,
                      const char *status,
                      gint64      limit,
                      GError    **error)
{
  return srv_sqlite_rows_of (store,
                  mdn_db_query (store->db, error,
                                "SELECT created_at, event, phone, text, status, attempts, sent_at, last_error "
                                "FROM srv_sms_outbox WHERE ?1 IS NULL OR status = ?1 ORDER BY id DESC LIMIT ?2",
                                "si", status, CLAMP (limit, 1, 1000)),
                  error);
}

SrvRows *
srv_console_sms_counts (SrvStore *store,
                        GError  **error)
{
  return srv_sqlite_rows_of (store,
                  mdn_db_query (store->db, error,
                                "SELECT status, count (*), "
                                "  (SELECT last_error FROM srv_sms_outbox o WHERE o.status = s.status "
                                "   AND last_error IS NOT NULL ORDER BY id DESC LIMIT 1) "
                                "FROM srv_sms_outbox s GROUP BY status ORDER BY status", ""),
                  error);
}
