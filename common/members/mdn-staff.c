/* mdn-staff.c */
#define G_LOG_DOMAIN "mdn-staff"

#include <glib/gi18n-lib.h>
#include <sodium.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-lockout.h"
#include "mdn-staff.h"

/* Interactive limits: ~0.1 s and 64 MiB on a counter PC, once per login. */
#define PWHASH_OPS crypto_pwhash_OPSLIMIT_INTERACTIVE
#define PWHASH_MEM crypto_pwhash_MEMLIMIT_INTERACTIVE

/* What a login with an unknown staff code is checked against, so that it
 * costs one argon2id verification like a known code (made once with
 * PWHASH_OPS and PWHASH_MEM; /members/staff/unknown-costs-the-same checks
 * the parameters still match). Nothing verifies against it. */
static const char dummy_hash[] =
  "$argon2id$v=19$m=65536,t=2,p=1$kw1NWsSQ/I8WoqogFkfmIw$fthvPTx8uGsWAy2zjRADio60E6qtkN9NwmFJxxUkcyU";

static gint verifications;

gboolean
mdn_password_acceptable (const char *password,
                         GError    **error)
{
  if (password == NULL || g_utf8_strlen (password, -1) < 6)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("A password needs at least 6 characters"));
      return FALSE;
    }
  if (strlen (password) > 256)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("A password can have at most 256 characters"));
      return FALSE;
    }
  return TRUE;
}

char *
mdn_secret_hash (const char *secret,
                 GError    **error)
{
  char out[crypto_pwhash_STRBYTES];

  if (crypto_pwhash_str (out, secret, strlen (secret), PWHASH_OPS, PWHASH_MEM) != 0)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INTERNAL,
                           _("Out of memory while hashing a password"));
      return NULL;
    }
  return g_strdup (out);
}

gboolean
mdn_secret_verify (const char *hash,
                   const char *secret)
{
  char padded[crypto_pwhash_STRBYTES] = { 0 };
  gsize len;

  if (hash == NULL || secret == NULL)
    return FALSE;
  /* libsodium takes the hash as a char[crypto_pwhash_STRBYTES]: a stored
     hash is shorter, so it is handed over in a buffer of that size. */
  len = strlen (hash);
  if (len >= sizeof padded)
    return FALSE;
  memcpy (padded, hash, len);
  g_atomic_int_inc (&verifications);
  return crypto_pwhash_str_verify (padded, secret, strlen (secret)) == 0;
}

const char *
mdn_secret_dummy_hash (void)
{
  return dummy_hash;
}

gboolean
mdn_secret_hash_current (const char *hash)
{
  return hash != NULL && crypto_pwhash_str_needs_rehash (hash, PWHASH_OPS, PWHASH_MEM) == 0;
}

guint
mdn_secret_verifications (void)
{
  return (guint) g_atomic_int_get (&verifications);
}

/* @role is a row of roles (ops/mdn-roles.h: read here as a table, so that
 * staff need nothing above members/). */
gboolean
mdn_staff_check_role (MdnDb      *db,
                      const char *role,
                      GError    **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (db != NULL && role != NULL, FALSE);

  stmt = mdn_db_query (db, error, "SELECT 1 FROM roles WHERE code = ?", "s", role);
  if (stmt == NULL || (rc = mdn_db_step (db, stmt, error)) < 0)
    return FALSE;
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("There is no role “%s”; see the roles under 系统设置, or use cashier, manager or admin"), role);
      return FALSE;
    }
  return TRUE;
}

static gboolean
valid_staff_code (const char *code)
{
  gsize len = code ? strlen (code) : 0;

  if (len < 1 || len > 32)
    return FALSE;
  for (const char *p = code; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_' && *p != '.')
      return FALSE;
  return TRUE;
}

gboolean
mdn_staff_insert (MdnDb      *db,
                  const char *code,
                  const char *name,
                  const char *role,
                  const char *password,
                  GError    **error)
{
  g_autofree char *hash = NULL;
  g_autoptr(GDateTime) now = mdn_clock_now ();
  g_autofree char *at = mdn_clock_format (now);
  sqlite3_stmt *stmt;
  int rc;

  if (!valid_staff_code (code))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("A staff code is 1 to 32 letters or digits, like 1001"));
      return FALSE;
    }
  if (!mdn_password_acceptable (password, error) || !mdn_staff_check_role (db, role, error))
    return FALSE;

  stmt = mdn_db_query (db, error, "SELECT 1 FROM staff WHERE code = ?", "s", code);
  if (stmt == NULL || (rc = mdn_db_step (db, stmt, error)) < 0)
    return FALSE;
  sqlite3_reset (stmt);
  if (rc == SQLITE_ROW)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_DUPLICATE,
                   _("There is already a staff member with code %s"), code);
      return FALSE;
    }

  hash = mdn_secret_hash (password, error);
  if (hash == NULL)
    return FALSE;
  return mdn_db_exec (db, error,
                      "INSERT INTO staff (code, name, role, pw_hash, active, created_at) "
                      "VALUES (?, ?, ?, ?, 1, ?)",
                      "sssss", code, name, role, hash, at);
}

static void
set_auth_failed (GError          **error,
                 const MdnLockout *after,
                 gint64            now)
{
  if (after && after->locked_until > now)
    mdn_set_locked_error (error, MDN_ERROR_STAFF_LOCKED, after->locked_until, now);
  else if (after && after->failures >= MDN_LOCKOUT_MAX_FAILURES - 2)
    g_set_error (error, MDN_ERROR, MDN_ERROR_AUTH_FAILED,
                 g_dngettext (GETTEXT_PACKAGE,
                              "Wrong staff code or password; %d more wrong try locks this login for 15 minutes",
                              "Wrong staff code or password; %d more wrong tries lock this login for 15 minutes",
                              (gulong) (MDN_LOCKOUT_MAX_FAILURES - after->failures)),
                 (int) (MDN_LOCKOUT_MAX_FAILURES - after->failures));
  else
    g_set_error_literal (error, MDN_ERROR, MDN_ERROR_AUTH_FAILED,
                         _("Wrong staff code or password"));
}

/* Looks up an active staff member; checks @password unless it is NULL.
 *
 * With a password it is a login: MDN_LOCKOUT_MAX_FAILURES wrong ones in a
 * row lock that code for MDN_LOCKOUT_SECONDS (staff_locked), counted in
 * this database (staff belong to one branch database; every terminal on it
 * sees the lock). An unknown code costs what a known one does: one argon2id
 * verification (against dummy_hash), the same count and the same lock, so
 * neither time nor answers tell which codes exist. */
gboolean
mdn_staff_lookup_role (MdnDb      *db,
                       const char *code,
                       const char *password,
                       char      **out_role,
                       GError    **error)
{
  sqlite3_stmt *stmt;
  g_autofree char *hash = NULL;
  g_autofree char *role = NULL;
  gboolean active = FALSE, found, counted;
  gint64 now = mdn_lockout_now ();
  MdnLockout lock = { 0 };
  int rc;

  g_return_val_if_fail (db != NULL && code != NULL, FALSE);

  /* Codes that can't exist are not counted (nothing to guess), but are
     verified all the same. */
  counted = password != NULL && valid_staff_code (code);
  if (counted)
    {
      if (!mdn_lockout_get (db, "staff", code, now, &lock, error))
        return FALSE;
      if (lock.locked_until > now)
        {
          mdn_set_locked_error (error, MDN_ERROR_STAFF_LOCKED, lock.locked_until, now);
          return FALSE;
        }
    }

  stmt = mdn_db_query (db, error, "SELECT pw_hash, role, active FROM staff WHERE code = ?", "s", code);
  if (stmt == NULL || (rc = mdn_db_step (db, stmt, error)) < 0)
    return FALSE;
  found = rc == SQLITE_ROW;
  if (found)
    {
      hash = g_strdup (mdn_db_col_text (stmt, 0));
      role = g_strdup (mdn_db_col_text (stmt, 1));
      active = sqlite3_column_int (stmt, 2) != 0;
    }
  sqlite3_reset (stmt);

  if (password != NULL)
    {
      /* No password yet: refused like a wrong one, after the same cost. */
      gboolean usable = found && g_strcmp0 (hash, MDN_STAFF_NO_PASSWORD) != 0;
      gboolean right = mdn_secret_verify (usable ? hash : dummy_hash, password) && usable;

      if (!right)
        {
          MdnLockout after = { 0 };
          g_autoptr(GError) local_error = NULL;

          /* Counted outside any transaction of the caller's when there is
             none (a login); a failure to count still refuses. */
          if (counted && !mdn_lockout_fail (db, "staff", code, now, 1, FALSE, &after, &local_error))
            g_warning ("wrong password for %s not counted: %s", code, local_error->message);
          set_auth_failed (error, counted ? &after : NULL, now);
          return FALSE;
        }
      if ((lock.failures > 0 || lock.locked_until > 0) && !mdn_lockout_clear (db, "staff", code, now, error))
        return FALSE;
    }
  else if (!found)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_STAFF,
                   _("There is no staff member %s"), code);
      return FALSE;
    }
  if (!active)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_STAFF_DISABLED,
                   _("Staff member %s is disabled; ask the administrator"), code);
      return FALSE;
    }
  if (out_role)
    *out_role = g_steal_pointer (&role);
  return TRUE;
}

/* Operations --------------------------------------------------------------- */

static gboolean
op_staff_add (MdnOpCtx   *ctx,
              JsonObject *args,
              JsonObject *result,
              GError    **error)
{
  const char *code = NULL, *name = NULL, *role = NULL, *password = NULL;

  if (!mdn_args_string (args, "code", TRUE, &code, error) ||
      !mdn_args_string (args, "name", TRUE, &name, error) ||
      !mdn_args_string (args, "role", TRUE, &role, error) ||
      !mdn_args_string (args, "password", TRUE, &password, error))
    return FALSE;
  if (!mdn_staff_insert (ctx->db, code, name, role, password, error))
    return FALSE;
  json_object_set_string_member (result, "code", code);
  json_object_set_string_member (result, "role", role);
  return TRUE;
}

/* {code, name?, role?} → {code, name, role}: changes only what is given.
 * The last active administrator keeps the admin role. */
static gboolean
op_staff_update (MdnOpCtx   *ctx,
                 JsonObject *args,
                 JsonObject *result,
                 GError    **error)
{
  const char *code = NULL, *name = NULL, *role = NULL;
  g_autofree char *old_role = NULL;
  g_autofree char *old_name = NULL;
  sqlite3_stmt *stmt;
  int rc;

  if (!mdn_args_string (args, "code", TRUE, &code, error) ||
      !mdn_args_string (args, "name", FALSE, &name, error) ||
      !mdn_args_string (args, "role", FALSE, &role, error))
    return FALSE;
  stmt = mdn_db_query (ctx->db, error, "SELECT name, role FROM staff WHERE code = ?", "s", code);
  if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      old_name = g_strdup (mdn_db_col_text (stmt, 0));
      old_role = g_strdup (mdn_db_col_text (stmt, 1));
    }
  sqlite3_reset (stmt);
  if (old_role == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_STAFF, _("There is no staff member %s"), code);
      return FALSE;
    }
  if (name != NULL && (*name == '\0' || g_utf8_strlen (name, -1) > 64))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("A staff name is 1 to 64 characters"));
      return FALSE;
    }
  if (role != NULL && !mdn_staff_check_role (ctx->db, role, error))
    return FALSE;
  if (role != NULL && g_str_equal (old_role, "admin") && !g_str_equal (role, "admin"))
    {
      stmt = mdn_db_query (ctx->db, error,
                           "SELECT count (*) FROM staff WHERE role = 'admin' AND active AND code <> ?", "s", code);
      if (stmt == NULL || mdn_db_step (ctx->db, stmt, error) != SQLITE_ROW)
        return FALSE;
      rc = sqlite3_column_int (stmt, 0);
      sqlite3_reset (stmt);
      if (rc == 0)
        {
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                               _("This is the last administrator: give another staff member the administrator role first"));
          return FALSE;
        }
    }
  if (!mdn_db_exec (ctx->db, error, "UPDATE staff SET name = ?, role = ? WHERE code = ?", "sss",
                    name ? name : old_name, role ? role : old_role, code))
    return FALSE;
  json_object_set_string_member (result, "code", code);
  json_object_set_string_member (result, "name", name ? name : old_name);
  json_object_set_string_member (result, "role", role ? role : old_role);
  return TRUE;
}

static gboolean
set_active (MdnOpCtx   *ctx,
            JsonObject *args,
            JsonObject *result,
            gboolean    active,
            GError    **error)
{
  const char *code = NULL;

  if (!mdn_args_string (args, "code", TRUE, &code, error))
    return FALSE;
  if (!active && g_str_equal (code, ctx->staff))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("You cannot disable yourself"));
      return FALSE;
    }
  if (!mdn_db_exec (ctx->db, error, "UPDATE staff SET active = ? WHERE code = ?", "is",
                    (gint64) active, code))
    return FALSE;
  if (sqlite3_changes (mdn_db_handle (ctx->db)) == 0)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_STAFF, _("There is no staff member %s"), code);
      return FALSE;
    }
  json_object_set_string_member (result, "code", code);
  json_object_set_boolean_member (result, "active", active);
  return TRUE;
}

static gboolean
op_staff_disable (MdnOpCtx *ctx, JsonObject *args, JsonObject *result, GError **error)
{
  return set_active (ctx, args, result, FALSE, error);
}

static gboolean
op_staff_enable (MdnOpCtx *ctx, JsonObject *args, JsonObject *result, GError **error)
{
  return set_active (ctx, args, result, TRUE, error);
}

/* Anyone may change their own password (giving the old one); an admin may
 * set anyone's. */
static gboolean
op_staff_passwd (MdnOpCtx   *ctx,
                 JsonObject *args,
                 JsonObject *result,
                 GError    **error)
{
  const char *code = ctx->staff, *password = NULL, *old = NULL;
  g_autofree char *hash = NULL;

  if (!mdn_args_string (args, "code", FALSE, &code, error) ||
      !mdn_args_string (args, "password", TRUE, &password, error) ||
      !mdn_args_string (args, "old_password", FALSE, &old, error))
    return FALSE;
  if (!g_str_equal (code, ctx->staff))
    {
      if (ctx->role < MDN_ROLE_ADMIN)
        {
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_PERMISSION_DENIED,
                               _("Only an administrator can set another staff member’s password"));
          return FALSE;
        }
    }
  else if (old == NULL || !mdn_staff_lookup_role (ctx->db, code, old, NULL, NULL))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_AUTH_FAILED,
                           _("Give your current password (old_password) to change it"));
      return FALSE;
    }
  if (!mdn_password_acceptable (password, error))
    return FALSE;
  hash = mdn_secret_hash (password, error);
  if (hash == NULL ||
      !mdn_db_exec (ctx->db, error, "UPDATE staff SET pw_hash = ? WHERE code = ?", "ss", hash, code))
    return FALSE;
  if (sqlite3_changes (mdn_db_handle (ctx->db)) == 0)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_STAFF, _("There is no staff member %s"), code);
      return FALSE;
    }
  /* A new password: what was guessed against the old one no longer counts. */
  if (!mdn_lockout_lift (ctx->db, "staff", code, error))
    return FALSE;
  json_object_set_string_member (result, "code", code);
  return TRUE;
}

/* {code} → {code, unlocked}: lifts a login lock before it runs out. */
static gboolean
op_staff_unlock (MdnOpCtx   *ctx,
                 JsonObject *args,
                 JsonObject *result,
                 GError    **error)
{
  const char *code = NULL;
  MdnLockout lock;

  if (!mdn_args_string (args, "code", TRUE, &code, error) ||
      !mdn_lockout_get (ctx->db, "staff", code, g_date_time_to_unix (ctx->now), &lock, error) ||
      !mdn_lockout_lift (ctx->db, "staff", code, error))
    return FALSE;
  json_object_set_string_member (result, "code", code);
  json_object_set_boolean_member (result, "unlocked", lock.locked_until > 0);
  return TRUE;
}

static gboolean
op_staff_list (MdnOpCtx   *ctx,
               JsonObject *args,
               JsonObject *result,
               GError    **error)
{
  static const MdnListColumn columns[] = {
    { "code", 's' }, { "name", 's' }, { "role", 's' }, { "active", 'b' }, { "role_name", 's' },
    { "has_password", 'b' }, { NULL }
  };
  sqlite3_stmt *stmt = mdn_db_query (ctx->db, error,
                                     "SELECT s.code, s.name, s.role, s.active, r.name, s.pw_hash <> ? FROM staff s "
                                     "LEFT JOIN roles r ON r.code = s.role ORDER BY s.code", "s", MDN_STAFF_NO_PASSWORD);

  return stmt != NULL && mdn_ops_list_rows (ctx, stmt, columns, result, "staff", error);
}

/* {} → {code, name, role}: who is acting, for a front end's header. */
static gboolean
op_staff_me (MdnOpCtx   *ctx,
             JsonObject *args,
             JsonObject *result,
             GError    **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = mdn_db_query (ctx->db, error, "SELECT code, name, role FROM staff WHERE code = ?", "s", ctx->staff);
  if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      json_object_set_string_member (result, "code", mdn_db_col_text (stmt, 0));
      json_object_set_string_member (result, "name", mdn_db_col_text (stmt, 1));
      json_object_set_string_member (result, "role", mdn_db_col_text (stmt, 2));
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_ROW)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_AUTH_FAILED, _("Staff member %s is unknown"), ctx->staff);
      return FALSE;
    }
  return TRUE;
}

const MdnOpDef mdn_staff_ops[] = {
  { "staff.add",     MDN_ROLE_ADMIN,   MDN_OP_WRITE, op_staff_add },
  { "staff.update",  MDN_ROLE_ADMIN,   MDN_OP_WRITE, op_staff_update },
  { "staff.disable", MDN_ROLE_ADMIN,   MDN_OP_WRITE, op_staff_disable },
  { "staff.enable",  MDN_ROLE_ADMIN,   MDN_OP_WRITE, op_staff_enable },
  { "staff.unlock",  MDN_ROLE_ADMIN,   MDN_OP_WRITE, op_staff_unlock },
  { "staff.passwd",  MDN_ROLE_CASHIER, MDN_OP_WRITE, op_staff_passwd },
  { "staff.list",    MDN_ROLE_MANAGER, MDN_OP_READ,  op_staff_list },
  { "staff.me",      MDN_ROLE_CASHIER, MDN_OP_READ,  op_staff_me },
  { NULL }
};
