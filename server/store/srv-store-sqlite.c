/* srv-store-sqlite.c: the embedded SQLite backend of the server's storage
 * (srv-store.h): reads and writes rows; the push (srv-push.c) and the
 * authorizations (srv-authorize.c) decide above it. */
#define G_LOG_DOMAIN "srv-store"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-db.h"
#include "mdn-error.h"
#include "mdn-figures.h"
#include "mdn-id.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-member-figures.h"
#include "mdn-lockout.h"
#include "mdn-members.h"
#include "mdn-money.h"
#include "mdn-ops.h"
#include "mdn-sales.h"
#include "mdn-selling.h"
#include "mdn-stock.h"
#include "mdn-store.h"
#include "srv-rules.h"
#include "srv-store.h"
#include "srv-store-private.h"

G_DEFINE_QUARK (srv-error-quark, srv_error)


static const char *const error_names[] = {
  [SRV_ERROR_INVALID] = "invalid_request",
  [SRV_ERROR_UNAUTHORIZED] = "unauthorized",
  [SRV_ERROR_FORBIDDEN] = "forbidden",
  [SRV_ERROR_WRONG_BRANCH] = "wrong_branch",
  [SRV_ERROR_NOT_FOUND] = "not_found",
  [SRV_ERROR_CONFLICTING_ENTRY] = "conflicting_entry",
  [SRV_ERROR_SEQUENCE_GAP] = "sequence_gap",
  [SRV_ERROR_BROKEN_CHAIN] = "broken_chain",
  [SRV_ERROR_BAD_HASH] = "bad_hash",
  [SRV_ERROR_APPLY_FAILED] = "apply_failed",
  [SRV_ERROR_DUPLICATE] = "duplicate",
  [SRV_ERROR_INSUFFICIENT] = "insufficient_balance",
  [SRV_ERROR_INTERNAL] = "internal",
  [SRV_ERROR_REFUSED_ENTRY] = "refused_entry",
  [SRV_ERROR_NOT_SUPPORTED] = "not_supported",
};

const char *
srv_error_code_name (const GError *error)
{
  if (error->domain == SRV_ERROR && error->code >= 0 && (gsize) error->code < G_N_ELEMENTS (error_names))
    return error_names[error->code];
  if (error->domain == MDN_ERROR)
    return mdn_error_name (error);
  return "internal";
}

/* Open ---------------------------------------------------------------------- */

void
srv_store_free (SrvStore *store)
{
  if (store == NULL)
    return;
  g_clear_pointer (&store->db, mdn_db_close);
  g_clear_pointer (&store->feed_pending, g_ptr_array_unref);
  g_clear_pointer (&store->settings, g_hash_table_unref);
  g_free (store->timezone);
  g_free (store);
}

const char *
srv_store_get_timezone (SrvStore *store)
{
  g_return_val_if_fail (store != NULL, NULL);
  return store->timezone ? store->timezone : MDN_DEFAULT_TIMEZONE;
}

/* Opens the server database at @path; with @create, makes a new one (and
 * its chain key) and refuses an existing one. */
SrvStore *
srv_store_open (const char *path,
                gboolean    create,
                GError    **error)
{
  g_autoptr(SrvStore) store = g_new0 (SrvStore, 1);
  g_autofree char *role = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  mdn_library_init ();
  if (!create && !g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_NOT_INITIALIZED,
                   _("There is no server database at %s; create it with “mendian-server --db %s init”"),
                   path, path);
      return NULL;
    }
  store->db = mdn_db_open (path, "branch", error);
  if (store->db == NULL || !mdn_db_migrate (store->db, "server", "server_schema", error))
    return NULL;
  /* Ingest: a member's balance and figures UPDATEs and the movement rows
     held within a transaction until something names their table
     (docs/speed.md). */
  mdn_ledger_hold_balances (store->db);
  mdn_ledger_hold_movements (store->db);
  mdn_member_figures_hold (store->db);

  role = mdn_db_meta_dup (store->db, "role");
  if (create)
    {
      g_autofree char *key = NULL;

      g_autofree char *branch_code = mdn_db_meta_dup (store->db, "branch_code");

      if (role != NULL || branch_code != NULL)
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_ALREADY_INITIALIZED,
                       _("%s is already a Mendian database"), path);
          return NULL;
        }
      key = mdn_random_hex (MDN_CHAIN_KEY_LEN);
      if (!mdn_db_begin (store->db, TRUE, error))
        return NULL;
      if (!mdn_db_meta_set (store->db, "role", "server", error) ||
          !mdn_db_meta_set (store->db, "chain_key", key, error) ||
          !mdn_db_meta_set (store->db, "timezone", MDN_DEFAULT_TIMEZONE, error) ||
          !mdn_db_commit (store->db, error))
        {
          mdn_db_rollback (store->db);
          return NULL;
        }
    }
  else if (g_strcmp0 (role, "server") != 0)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_NOT_INITIALIZED,
                   _("%s is not a Mendian server database; create one with “mendian-server init”"), path);
      return NULL;
    }
  store->timezone = mdn_db_meta_dup (store->db, "timezone");
  if (store->timezone == NULL)
    store->timezone = g_strdup (MDN_DEFAULT_TIMEZONE);
  return g_steal_pointer (&store);
}

char *
srv_store_chain_key_dup (SrvStore *store)
{
  return mdn_db_meta_dup (store->db, "chain_key");
}

gboolean
srv_store_backup (SrvStore   *store,
                  const char *path,
                  GError    **error)
{
  return mdn_db_backup (store->db, path, error);
}

char *
srv_store_feed_epoch_dup (SrvStore *store)
{
  return mdn_db_meta_dup (store->db, "feed_epoch");
}

gboolean
srv_store_feed_epoch_renew (SrvStore *store,
                            gboolean  only_if_missing,
                            GError  **error)
{
  g_autofree char *epoch = mdn_random_hex (16);
  g_autofree char *old = NULL;

  if (!mdn_db_begin (store->db, TRUE, error))
    return FALSE;
  if (only_if_missing && (old = mdn_db_meta_dup (store->db, "feed_epoch")) != NULL)
    {
      mdn_db_rollback (store->db);
      return TRUE;
    }
  if (!mdn_db_meta_set (store->db, "feed_epoch", epoch, error) || !mdn_db_commit (store->db, error))
    {
      mdn_db_rollback (store->db);
      return FALSE;
    }
  return TRUE;
}

static char *
now_iso (void)
{
  g_autoptr(GDateTime) now = mdn_clock_now ();

  return mdn_clock_format (now);
}

static gint64
now_unix (void)
{
  g_autoptr(GDateTime) now = mdn_clock_now ();

  return g_date_time_to_unix (now);
}

static char *
token_hash (const char *token)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
}

/* Administration ------------------------------------------------------------ */

static gboolean
valid_code (const char *code)
{
  gsize len = code ? strlen (code) : 0;

  if (len < 1 || len > 16)
    return FALSE;
  for (const char *p = code; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

static gboolean
write_done (SrvStore *store,
            gboolean  ok,
            GError  **error)
{
  if (ok && mdn_db_commit (store->db, error))
    return TRUE;
  mdn_db_rollback (store->db);
  return FALSE;
}

char *
srv_store_branch_add (SrvStore   *store,
                      const char *code,
                      const char *name,
                      gint64      number,
                      gboolean    hq,
                      GError    **error)
{
  g_autofree char *token = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *at = now_iso ();
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  if (!valid_code (code))
    {
      g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID,
                           _("The branch code must be 1 to 16 letters, digits, “-” or “_”, like B01"));
      return NULL;
    }
  if (name == NULL || *name == '\0' || number < 0 || number > 999)
    {
      g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID,
                           _("A branch needs a name and a number between 0 and 999"));
      return NULL;
    }
  token = mdn_random_hex (32);
  hash = token_hash (token);
  if (!mdn_db_begin (store->db, TRUE, error))
    return NULL;
  stmt = mdn_db_query (store->db, error, "SELECT code FROM srv_branches WHERE code = ? OR number = ?",
                       "si", code, number);
  if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
    goto fail;
  sqlite3_reset (stmt);
  if (rc == SQLITE_ROW)
    {
      g_set_error (error, SRV_ERROR, SRV_ERROR_DUPLICATE,
                   _("There is already a branch with code %s or number %" PRId64),
                   code, number);
      goto fail;
    }
  if (!write_done (store,
                   mdn_db_exec (store->db, error,
                                "INSERT INTO srv_branches (code, name, number, hq, token_hash, last_hash, created_at) "
                                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                                "ssiisss", code, name, number, (gint64) hq, hash, MDN_GENESIS_HASH, at),
                   error))
    return NULL;
  return g_steal_pointer (&token);

fail:
  mdn_db_rollback (store->db);
  return NULL;
}

static gboolean
update_branch (SrvStore   *store,
               const char *sql,
               const char *code,
               const char *value,
               GError    **error)
{
  if (!mdn_db_begin (store->db, TRUE, error))
    return FALSE;
  if (!mdn_db_exec (store->db, error, sql, value ? "ss" : "s", value ? value : code, code))
    goto fail;
  if (sqlite3_changes (mdn_db_handle (store->db)) != 1)
    {
      g_set_error (error, SRV_ERROR, SRV_ERROR_NOT_FOUND, _("There is no branch %s"), code);
      goto fail;
    }
  return write_done (store, TRUE, error);

fail:
  mdn_db_rollback (store->db);
  return FALSE;
}

gboolean
srv_store_branch_revoke (SrvStore   *store,
                         const char *code,
                         GError    **error)
{
  return update_branch (store, "UPDATE srv_branches SET revoked = 1 WHERE code = ?", code, NULL, error);
}

/* A new token for @code; the old one stops working at once. Also lifts a
 * revocation. */
char *
srv_store_branch_rotate (SrvStore   *store,
                         const char *code,
                         GError    **error)
{
  g_autofree char *token = mdn_random_hex (32);
  g_autofree char *hash = token_hash (token);

  /* The new token may receive the chain key until it proves it holds it (a
     branch set up again). */
  if (!update_branch (store, "UPDATE srv_branches SET token_hash = ?, revoked = 0, chain_key_at = NULL "
                      "WHERE code = ?", code, hash, error))
    return NULL;
  return g_steal_pointer (&token);
}

void
srv_branch_info_free (SrvBranchInfo *info)
{
  if (info == NULL)
    return;
  g_free (info->code);
  g_free (info->name);
  g_free (info->last_push_at);
  g_free (info);
}

GPtrArray *
srv_store_branch_list (SrvStore *store,
                       GError  **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) srv_branch_info_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = mdn_db_query (store->db, error,
                       "SELECT code, name, number, hq, revoked, acked_seq, last_push_at "
                       "FROM srv_branches ORDER BY code", "");
  if (stmt == NULL)
    return NULL;
  while ((rc = mdn_db_step (store->db, stmt, error)) == SQLITE_ROW)
    {
      SrvBranchInfo *info = g_new0 (SrvBranchInfo, 1);

      info->code = g_strdup (mdn_db_col_text (stmt, 0));
      info->name = g_strdup (mdn_db_col_text (stmt, 1));
      info->number = sqlite3_column_int64 (stmt, 2);
      info->hq = sqlite3_column_int (stmt, 3) != 0;
      info->revoked = sqlite3_column_int (stmt, 4) != 0;
      info->acked_seq = sqlite3_column_int64 (stmt, 5);
      info->last_push_at = g_strdup (mdn_db_col_text (stmt, 6));
      g_ptr_array_add (list, info);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return NULL;
  return g_steal_pointer (&list);
}

char *
srv_store_token_add (SrvStore   *store,
                     const char *name,
                     const char *role,
                     GError    **error)
{
  g_autofree char *token = mdn_random_hex (32);
  g_autofree char *hash = token_hash (token);
  g_autofree char *at = now_iso ();

  if (name == NULL || *name == '\0' || g_strcmp0 (role, "hq") != 0)
    {
      g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID,
                           _("A token needs a name and the role hq"));
      return NULL;
    }
  if (!mdn_db_begin (store->db, TRUE, error))
    return NULL;
  if (!write_done (store,
                   mdn_db_exec (store->db, error,
                                "INSERT INTO srv_tokens (name, role, token_hash, created_at) VALUES (?, ?, ?, ?)",
                                "ssss", name, role, hash, at),
                   error))
    return NULL;
  return g_steal_pointer (&token);
}

/* Authentication ------------------------------------------------------------ */

void
srv_branch_free (SrvBranch *branch)
{
  if (branch == NULL)
    return;
  g_free (branch->code);
  g_free (branch->name);
  g_free (branch->last_hash);
  g_free (branch);
}

static SrvBranch *
load_branch (SrvStore   *store,
             const char *sql,
             const char *key)
{
  sqlite3_stmt *stmt = mdn_db_query (store->db, NULL, sql, "s", key);
  SrvBranch *b = NULL;

  if (stmt == NULL)
    return NULL;
  if (mdn_db_step (store->db, stmt, NULL) == SQLITE_ROW)
    {
      b = g_new0 (SrvBranch, 1);
      b->code = g_strdup (mdn_db_col_text (stmt, 0));
      b->name = g_strdup (mdn_db_col_text (stmt, 1));
      b->number = sqlite3_column_int64 (stmt, 2);
      b->hq = sqlite3_column_int (stmt, 3) != 0;
      b->acked_seq = sqlite3_column_int64 (stmt, 4);
      b->last_hash = g_strdup (mdn_db_col_text (stmt, 5));
    }
  sqlite3_reset (stmt);
  return b;
}

#define BRANCH_COLUMNS "code, name, number, hq, acked_seq, last_hash"

SrvBranch *
srv_store_auth_branch (SrvStore   *store,
                       const char *token)
{
  g_autofree char *hash = NULL;

  if (token == NULL || *token == '\0')
    return NULL;
  hash = token_hash (token);
  return load_branch (store, "SELECT " BRANCH_COLUMNS " FROM srv_branches WHERE token_hash = ? AND revoked = 0",
                      hash);
}

gboolean
srv_store_auth_hq (SrvStore   *store,
                   const char *token)
{
  g_autofree char *hash = NULL;
  sqlite3_stmt *stmt;
  gboolean ok;

  if (token == NULL || *token == '\0')
    return FALSE;
  hash = token_hash (token);
  stmt = mdn_db_query (store->db, NULL,
                       "SELECT 1 FROM srv_tokens WHERE token_hash = ? AND revoked = 0 AND role = 'hq'", "s", hash);
  if (stmt == NULL)
    return FALSE;
  ok = mdn_db_step (store->db, stmt, NULL) == SQLITE_ROW;
  sqlite3_reset (stmt);
  return ok;
}

/* Transactions and primitives ---------------------------------------------- */

/* What srv-push.c builds a push from: each reads or writes rows in the
 * caller's transaction and decides nothing. */

/* The feed rows a push appends go in at its end, FEED_CHUNK to an insert,
 * which saves the statement's own cost per row (about a quarter of the
 * row's: server ingest, docs/speed.md). Same rows, same order, so the same
 * positions, in the same transaction. */
#define FEED_CHUNK 50

static const char *
feed_chunk_sql (void)
{
  static gsize sql;

  /* Placeholders only, never a value: the text is the same every time. */
  if (g_once_init_enter (&sql))
    {
      GString *s = g_string_new ("INSERT INTO srv_feed (entry_id, to_branch) VALUES (?, ?)");

      for (guint i = 1; i < FEED_CHUNK; i++)
        g_string_append (s, ", (?, ?)");
      g_once_init_leave (&sql, (gsize) g_string_free (s, FALSE));
    }
  return (const char *) sql;
}

static gboolean
feed_flush (SrvStore *store,
            GError  **error)
{
  GPtrArray *rows = store->feed_pending;
  guint n, done = 0;
  gboolean ok = TRUE;

  if (rows == NULL || rows->len == 0)
    return TRUE;
  n = rows->len / 2;
  while (ok && done < n)
    {
      guint take = n - done >= FEED_CHUNK ? FEED_CHUNK : 1;
      sqlite3_stmt *stmt = mdn_db_query (store->db, error, take == FEED_CHUNK ? feed_chunk_sql ()
                                         : "INSERT INTO srv_feed (entry_id, to_branch) VALUES (?, ?)", "");
      int rc = SQLITE_OK;

      if (stmt == NULL)
        {
          ok = FALSE;
          break;
        }
      for (guint i = 0; i < 2 * take && rc == SQLITE_OK; i++)
        {
          const char *text = g_ptr_array_index (rows, 2 * done + i);

          rc = text ? sqlite3_bind_text (stmt, i + 1, text, -1, SQLITE_STATIC) : sqlite3_bind_null (stmt, i + 1);
        }
      if (rc != SQLITE_OK)
        ok = mdn_db_set_database_error (store->db, error);
      else
        ok = mdn_db_step (store->db, stmt, error) == SQLITE_DONE;
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      done += take;
    }
  /* On failure the transaction can't commit (srv_store_commit rolls it
     back, which drops them). */
  if (ok)
    g_ptr_array_set_size (rows, 0);
  return ok;
}

gboolean
srv_store_begin (SrvStore *store,
                 gboolean  write,
                 GError  **error)
{
  g_return_val_if_fail (store != NULL, FALSE);

  if (store->feed_pending)
    g_ptr_array_set_size (store->feed_pending, 0);
  return mdn_db_begin (store->db, write, error);
}

/* The SMS rules' settings cache (srv-store-sms-sqlite.c). */
void
srv_sqlite_settings_written (SrvStore *store)
{
  store->settings_written = TRUE;
  if (store->settings)
    g_hash_table_remove_all (store->settings);
}

void
srv_sqlite_settings_ended (SrvStore *store)
{
  if (!store->settings_written)
    return;
  store->settings_written = FALSE;
  if (store->settings)
    g_hash_table_remove_all (store->settings);
}

gboolean
srv_store_commit (SrvStore *store,
                  GError  **error)
{
  g_return_val_if_fail (store != NULL, FALSE);

  srv_sqlite_settings_ended (store);
  if (!feed_flush (store, error))
    {
      mdn_db_rollback (store->db);
      return FALSE;
    }
  return mdn_db_commit (store->db, error);
}

void
srv_store_rollback (SrvStore *store)
{
  g_return_if_fail (store != NULL);

  if (store->feed_pending)
    g_ptr_array_set_size (store->feed_pending, 0);
  srv_sqlite_settings_ended (store);
  mdn_db_rollback (store->db);
}

SrvBranch *
srv_store_branch_get (SrvStore   *store,
                      const char *code)
{
  g_return_val_if_fail (store != NULL, NULL);

  return load_branch (store, "SELECT " BRANCH_COLUMNS " FROM srv_branches WHERE code = ?", code);
}

gboolean
srv_store_branch_advance (SrvStore   *store,
                          const char *code,
                          gint64      acked_seq,
                          const char *last_hash,
                          const char *at,
                          GError    **error)
{
  g_return_val_if_fail (store != NULL, FALSE);

  return mdn_db_exec (store->db, error,
                      "UPDATE srv_branches SET acked_seq = ?, last_hash = ?, last_push_at = ? WHERE code = ?",
                      "isss", acked_seq, last_hash, at, code);
}

/* The first column of the row @sql finds for @key, or NULL (*found says
 * whether there was a row). */
static gboolean
lookup_text (SrvStore   *store,
             const char *sql,
             const char *key,
             gboolean   *found,
             char      **out,
             GError    **error)
{
  sqlite3_stmt *stmt = mdn_db_query (store->db, error, sql, "s", key);
  int rc;

  *found = FALSE;
  if (out)
    *out = NULL;
  if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      *found = TRUE;
      if (out)
        *out = g_strdup (mdn_db_col_text (stmt, 0));
    }
  sqlite3_reset (stmt);
  return TRUE;
}

gboolean
srv_store_entry_hash (SrvStore   *store,
                      const char *branch,
                      gint64      seq,
                      char      **out_hash,
                      GError    **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (store != NULL && out_hash != NULL, FALSE);

  *out_hash = NULL;
  stmt = mdn_db_query (store->db, error, "SELECT hash FROM entries WHERE branch = ? AND seq = ?",
                       "si", branch, seq);
  if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    *out_hash = g_strdup (mdn_db_col_text (stmt, 0));
  sqlite3_reset (stmt);
  return TRUE;
}

/* A hint for stores that batch a push's reads and writes: SQLite's are
   in-process already. */
gboolean
srv_store_push_prepare (SrvStore   *store,
                        const char *branch_code,
                        GPtrArray  *entries,
                        GError    **error)
{
  return TRUE;
}

void
srv_store_warm_up (SrvStore *store)
{
}

gboolean
srv_store_entry_apply (SrvStore *store,
                       MdnEntry *entry,
                       GError  **error)
{
  g_return_val_if_fail (store != NULL && entry != NULL, FALSE);

  /* The settings projection is written by the setting kinds' apply only. */
  if (g_str_has_prefix (entry->kind, "setting."))
    srv_sqlite_settings_written (store);
  return mdn_ledger_apply (store->db, entry, error);
}

gboolean
srv_store_entry_keep (SrvStore *store,
                      MdnEntry *entry,
                      GError  **error)
{
  g_return_val_if_fail (store != NULL && entry != NULL, FALSE);

  /* A branch-local entry: stored, and its stock projected (every
     branch's stock, for head office). */
  return mdn_ledger_apply_stock (store->db, entry, error);
}

gboolean
srv_store_feed_append (SrvStore   *store,
                       const char *entry_id,
                       GError    **error)
{
  return srv_store_feed_append_to (store, entry_id, NULL, error);
}

gboolean
srv_store_feed_append_to (SrvStore   *store,
                          const char *entry_id,
                          const char *to_branch,
                          GError    **error)
{
  g_return_val_if_fail (store != NULL && entry_id != NULL, FALSE);

  /* Outside a transaction (no caller does that today) there is nothing to
     wait for. */
  if (!mdn_db_in_transaction (store->db))
    return mdn_db_exec (store->db, error, "INSERT INTO srv_feed (entry_id, to_branch) VALUES (?, ?)",
                        "ss", entry_id, to_branch);
  if (store->feed_pending == NULL)
    store->feed_pending = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (store->feed_pending, g_strdup (entry_id));
  g_ptr_array_add (store->feed_pending, g_strdup (to_branch));
  return TRUE;
}

MdnEntry *
srv_store_entry_load (SrvStore   *store,
                      const char *entry_id,
                      GError    **error)
{
  g_return_val_if_fail (store != NULL, NULL);

  return mdn_entry_load (store->db, entry_id, error);
}

void
srv_entry_ref_clear (SrvEntryRef *ref)
{
  g_clear_pointer (&ref->branch, g_free);
  g_clear_pointer (&ref->kind, g_free);
  ref->found = FALSE;
  ref->seq = 0;
}

gboolean
srv_store_entry_ref (SrvStore    *store,
                     const char  *entry_id,
                     SrvEntryRef *out,
                     GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (store != NULL && out != NULL, FALSE);

  srv_entry_ref_clear (out);
  stmt = mdn_db_query (store->db, error, "SELECT branch, seq, kind FROM entries WHERE id = ?", "s", entry_id);
  if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      out->found = TRUE;
      out->branch = g_strdup (mdn_db_col_text (stmt, 0));
      out->seq = sqlite3_column_int64 (stmt, 1);
      out->kind = g_strdup (mdn_db_col_text (stmt, 2));
    }
  sqlite3_reset (stmt);
  return TRUE;
}

gboolean
srv_store_receipt_entry (SrvStore   *store,
                         const char *receipt_no,
                         char      **out_entry_id,
                         GError    **error)
{
  gboolean found;

  g_return_val_if_fail (store != NULL && out_entry_id != NULL, FALSE);

  return lookup_text (store, "SELECT entry_id FROM receipts WHERE receipt_no = ?", receipt_no, &found,
                      out_entry_id, error);
}

gboolean
srv_store_member_exists (SrvStore   *store,
                         const char *member_id,
                         gboolean   *out_found,
                         GError    **error)
{
  g_return_val_if_fail (store != NULL && out_found != NULL, FALSE);

  return lookup_text (store, "SELECT issued_branch FROM members WHERE id = ?", member_id, out_found, NULL, error);
}

gboolean
srv_store_card_taken (SrvStore   *store,
                      const char *card_no,
                      gboolean   *out_taken,
                      GError    **error)
{
  g_return_val_if_fail (store != NULL && out_taken != NULL, FALSE);

  return lookup_text (store, "SELECT member_id FROM cards WHERE card_no = ?", card_no, out_taken, NULL, error);
}

gboolean
srv_store_member_accounts (SrvStore    *store,
                           const char  *member_id,
                           gboolean    *out_found,
                           SrvAccounts *out,
                           GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (store != NULL && out_found != NULL && out != NULL, FALSE);

  *out_found = FALSE;
  memset (out, 0, sizeof *out);
  stmt = mdn_db_query (store->db, error, "SELECT principal_fen, bonus_fen, points FROM members WHERE id = ?",
                       "s", member_id);
  if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      *out_found = TRUE;
      out->principal = sqlite3_column_int64 (stmt, 0);
      out->bonus = sqlite3_column_int64 (stmt, 1);
      out->points = sqlite3_column_int64 (stmt, 2);
    }
  sqlite3_reset (stmt);
  return TRUE;
}

JsonArray *
srv_store_package_overdrawn (SrvStore   *store,
                             const char *member_id,
                             GError    **error)
{
  g_return_val_if_fail (store != NULL, NULL);

  return mdn_package_overdrawn (store->db, member_id, error);
}

/* SQLite turns an overflowing sum into a REAL: each account must still be
 * an integer, and within the bound. */
gboolean
srv_store_accounts_bounded (SrvStore   *store,
                            const char *member_id,
                            gint64      bound,
                            gboolean   *out_ok,
                            GError    **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (store != NULL && out_ok != NULL, FALSE);

  stmt = mdn_db_query (store->db, error,
                       "SELECT 1 FROM members WHERE id = ?1 AND NOT ("
                       "typeof (principal_fen) = 'integer' AND typeof (bonus_fen) = 'integer' AND "
                       "typeof (points) = 'integer' AND principal_fen BETWEEN -?2 AND ?2 AND "
                       "bonus_fen BETWEEN -?2 AND ?2 AND points BETWEEN -?2 AND ?2) "
                       "UNION ALL SELECT 1 FROM member_packages WHERE member_id = ?1 AND NOT ("
                       "typeof (remaining) = 'integer' AND remaining BETWEEN -?2 AND ?2) LIMIT 1",
                       "si", member_id, bound);
  if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
    return FALSE;
  sqlite3_reset (stmt);
  *out_ok = rc != SQLITE_ROW;
  return TRUE;
}

gboolean
srv_store_sale_refunded (SrvStore   *store,
                         const char *sale_id,
                         gint64     *out_total,
                         gint64     *out_refunded,
                         GError    **error)
{
  g_return_val_if_fail (store != NULL, FALSE);

  return mdn_sale_refunded (store->db, sale_id, out_total, out_refunded, error);
}

GPtrArray *
srv_store_card_conflicts (SrvStore   *store,
                          const char *member_id,
                          GError    **error)
{
  g_return_val_if_fail (store != NULL, NULL);

  return mdn_member_card_conflicts (store->db, member_id, error);
}

/* Members with an open overdraft, by id. */
static GStrv
load_holds (SrvStore *store,
            GError  **error)
{
  g_autoptr(GStrvBuilder) holds = g_strv_builder_new ();
  sqlite3_stmt *stmt;
  int rc;

  stmt = mdn_db_query (store->db, error,
                       "SELECT DISTINCT member_id FROM srv_exceptions WHERE status = 'open' "
                       "AND kind = 'overdraft' ORDER BY member_id", "");
  if (stmt == NULL)
    return NULL;
  while ((rc = mdn_db_step (store->db, stmt, error)) == SQLITE_ROW)
    g_strv_builder_add (holds, mdn_db_col_text (stmt, 0));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return NULL;
  return g_strv_builder_end (holds);
}

GStrv
srv_store_holds (SrvStore *store,
                 GError  **error)
{
  g_return_val_if_fail (store != NULL, NULL);

  return load_holds (store, error);
}

GPtrArray *
srv_store_open_overdrafts (SrvStore   *store,
                           const char *member_id,
                           GError    **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) srv_exception_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = mdn_db_query (store->db, error,
                       "SELECT id, account, item FROM srv_exceptions WHERE member_id = ? "
                       "AND kind = 'overdraft' AND status = 'open'", "s", member_id);
  if (stmt == NULL)
    return NULL;
  while ((rc = mdn_db_step (store->db, stmt, error)) == SQLITE_ROW)
    {
      SrvException *x = g_new0 (SrvException, 1);

      x->id = sqlite3_column_int64 (stmt, 0);
      x->kind = g_strdup ("overdraft");
      x->member_id = g_strdup (member_id);
      x->account = g_strdup (mdn_db_col_text (stmt, 1));
      x->item = g_strdup (mdn_db_col_text (stmt, 2));
      x->status = g_strdup ("open");
      g_ptr_array_add (list, x);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return NULL;
  return g_steal_pointer (&list);
}

gboolean
srv_store_exception_add (SrvStore           *store,
                         const SrvException *x,
                         GError            **error)
{
  g_return_val_if_fail (store != NULL && x != NULL, FALSE);

  return mdn_db_exec (store->db, error,
                      "INSERT INTO srv_exceptions (kind, member_id, entry_id, branch, account, item, amount, "
                      "status, found_at, sale_entry, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      "ssssssissss", x->kind, x->member_id, x->entry_id, x->branch, x->account,
                      x->item ? x->item : "", x->amount, x->status, x->found_at, x->sale_entry, x->detail);
}

gboolean
srv_store_exception_set_amount (SrvStore *store,
                                gint64    id,
                                gint64    amount,
                                GError  **error)
{
  g_return_val_if_fail (store != NULL, FALSE);

  return mdn_db_exec (store->db, error, "UPDATE srv_exceptions SET amount = ? WHERE id = ?", "ii", amount, id);
}

gboolean
srv_store_exception_settle (SrvStore   *store,
                            gint64      id,
                            const char *at,
                            const char *settled_by,
                            GError    **error)
{
  g_return_val_if_fail (store != NULL, FALSE);

  return mdn_db_exec (store->db, error,
                      "UPDATE srv_exceptions SET status = 'settled', settled_at = ?, settled_by = ? WHERE id = ?",
                      "ssi", at, settled_by, id);
}

gboolean
srv_store_exceptions_settle_sale (SrvStore   *store,
                                  const char *kind,
                                  const char *sale_entry,
                                  const char *at,
                                  const char *settled_by,
                                  GError    **error)
{
  g_return_val_if_fail (store != NULL, FALSE);

  return mdn_db_exec (store->db, error,
                      "UPDATE srv_exceptions SET status = 'settled', settled_at = ?, settled_by = ? "
                      "WHERE kind = ? AND sale_entry = ? AND status = 'open'",
                      "ssss", at, settled_by, kind, sale_entry);
}

GStrv
srv_store_exception_entries (SrvStore   *store,
                             const char *member_id,
                             const char *kind,
                             GError    **error)
{
  g_autoptr(GStrvBuilder) ids = g_strv_builder_new ();
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = mdn_db_query (store->db, error,
                       "SELECT entry_id FROM srv_exceptions WHERE member_id = ? AND kind = ?",
                       "ss", member_id, kind);
  if (stmt == NULL)
    return NULL;
  while ((rc = mdn_db_step (store->db, stmt, error)) == SQLITE_ROW)
    g_strv_builder_add (ids, mdn_db_col_text (stmt, 0));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return NULL;
  return g_strv_builder_end (ids);
}

gboolean
srv_store_exception_remove (SrvStore   *store,
                            const char *member_id,
                            const char *kind,
                            const char *entry_id,
                            GError    **error)
{
  g_return_val_if_fail (store != NULL, FALSE);

  return mdn_db_exec (store->db, error,
                      "DELETE FROM srv_exceptions WHERE member_id = ? AND kind = ? AND entry_id = ?",
                      "sss", member_id, kind, entry_id);
}

/* "SELECT c1, c2 … FROM srv_rollup_day WHERE business_date = ?1 AND
 * branch = ?2" and "INSERT OR REPLACE INTO srv_rollup_day (branch,
 * business_date, c1, c2 …) VALUES (?1, ?2, ?3 …)" over every figure
 * (mdn_figures_fields), made once: the column names are the figures'. */
static const char *rollup_select_sql, *rollup_upsert_sql;

static void
rollup_sql_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      guint n;
      const MdnFigureField *fields = mdn_figures_fields (&n);
      GString *select = g_string_new ("SELECT ");
      GString *insert = g_string_new ("INSERT OR REPLACE INTO srv_rollup_day (branch, business_date");
      GString *values = g_string_new (") VALUES (?1, ?2");

      for (guint i = 0; i < n; i++)
        {
          g_string_append_printf (select, "%s%s", i ? ", " : "", fields[i].name);
          g_string_append_printf (insert, ", %s", fields[i].name);
          g_string_append_printf (values, ", ?%u", i + 3);
        }
      g_string_append (select, " FROM srv_rollup_day WHERE business_date = ?1 AND branch = ?2");
      g_string_append (values, ")");
      g_string_append (insert, values->str);
      g_string_free (values, TRUE);
      rollup_select_sql = g_string_free (select, FALSE);
      rollup_upsert_sql = g_string_free (insert, FALSE);
      g_once_init_leave (&done, 1);
    }
}

gboolean
srv_store_rollup_get (SrvStore   *store,
                      const char *branch,
                      const char *business_date,
                      MdnFigures *out,
                      GError    **error)
{
  guint n;
  const MdnFigureField *fields = mdn_figures_fields (&n);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (store != NULL && out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  rollup_sql_init ();
  stmt = mdn_db_query (store->db, error, rollup_select_sql, "ss", business_date, branch);
  if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    for (guint i = 0; i < n; i++)
      mdn_figures_set (out, &fields[i], sqlite3_column_int64 (stmt, (int) i));
  sqlite3_reset (stmt);
  return TRUE;
}

gboolean
srv_store_rollup_put (SrvStore         *store,
                      const char       *branch,
                      const char       *business_date,
                      const MdnFigures *day,
                      GError          **error)
{
  guint n;
  const MdnFigureField *fields = mdn_figures_fields (&n);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (store != NULL && day != NULL, FALSE);

  rollup_sql_init ();
  stmt = mdn_db_query (store->db, error, rollup_upsert_sql, "ss", branch, business_date);
  if (stmt == NULL)
    return FALSE;
  for (guint i = 0; i < n; i++)
    if (sqlite3_bind_int64 (stmt, (int) i + 3, mdn_figures_get (day, &fields[i])) != SQLITE_OK)
      {
        mdn_db_set_database_error (store->db, error);
        sqlite3_reset (stmt);
        return FALSE;
      }
  rc = mdn_db_step (store->db, stmt, error);
  sqlite3_reset (stmt);
  return rc >= 0;
}

/* State and feed ------------------------------------------------------------ */

gint64
srv_store_feed_head (SrvStore *store)
{
  sqlite3_stmt *stmt;
  gint64 head = 0;

  /* Inside a push (no caller asks there today), its rows count. */
  if (mdn_db_in_transaction (store->db) && !feed_flush (store, NULL))
    return 0;
  stmt = mdn_db_query (store->db, NULL, "SELECT COALESCE (MAX (pos), 0) FROM srv_feed", "");
  if (stmt && mdn_db_step (store->db, stmt, NULL) == SQLITE_ROW)
    head = sqlite3_column_int64 (stmt, 0);
  if (stmt)
    sqlite3_reset (stmt);
  return head;
}

void
srv_pin_lock_free (SrvPinLock *lock)
{
  if (lock == NULL)
    return;
  g_free (lock->member_id);
  g_free (lock);
}

static GPtrArray *
pin_lock_array_new (void)
{
  return g_ptr_array_new_with_free_func ((GDestroyNotify) srv_pin_lock_free);
}

static void
pin_lock_add (GPtrArray  *locks,
              const char *member_id,
              gint64      locked_until)
{
  SrvPinLock *lock = g_new0 (SrvPinLock, 1);

  lock->member_id = g_strdup (member_id);
  lock->locked_until = locked_until;
  g_ptr_array_add (locks, lock);
}

/* Cards whose PIN is locked now, chain-wide: every branch keeps them. */
static GPtrArray *
load_pin_locks (SrvStore *store,
                gint64    now,
                GError  **error)
{
  g_autoptr(GPtrArray) locks = pin_lock_array_new ();
  sqlite3_stmt *stmt;
  int rc;

  stmt = mdn_db_query (store->db, error,
                       "SELECT key, locked_until FROM lockouts WHERE what = 'pin' AND locked_until > ? "
                       "ORDER BY key", "i", now);
  if (stmt == NULL)
    return NULL;
  while ((rc = mdn_db_step (store->db, stmt, error)) == SQLITE_ROW)
    pin_lock_add (locks, mdn_db_col_text (stmt, 0), sqlite3_column_int64 (stmt, 1));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return NULL;
  return g_steal_pointer (&locks);
}

void
srv_state_free (SrvState *state)
{
  if (state == NULL)
    return;
  g_free (state->branch);
  g_free (state->last_hash);
  g_strfreev (state->holds);
  g_clear_pointer (&state->pin_locks, g_ptr_array_unref);
  if (state->chain_key)
    memset (state->chain_key, 0, strlen (state->chain_key));
  g_free (state->chain_key);
  g_free (state);
}

/* The branch's high-water mark, holds and PIN locks. The chain key goes to
 * a branch's token until a holder of that token proves it holds the key
 * (@key_id, mdn_chain_key_id): from then on (chain_key_at set) nobody with
 * that token gets it, "chain_key_ok": false for anyone who doesn't prove it.
 * Handing it out does not close the door: the answer carrying the key may be
 * lost (the branch killed, the connection cut, the server killed after its
 * commit), and a branch must never be left unable to sync by a lost reply.
 * The branch proves the key as soon as it took it (mdn_sync_check_state). */
SrvState *
srv_store_state (SrvStore   *store,
                 const char *branch_code,
                 const char *key_id,
                 GError    **error)
{
  g_autoptr(SrvState) out = NULL;
  g_autoptr(SrvBranch) branch = NULL;
  g_autofree char *key = NULL;
  g_autofree char *our_id = NULL;
  gboolean holds_key;
  gboolean proven = FALSE;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (store != NULL && branch_code != NULL, NULL);

  key = srv_store_chain_key_dup (store);
  our_id = mdn_chain_key_id_from_hex (key);
  holds_key = key_id != NULL && our_id != NULL && g_str_equal (key_id, our_id);
  if (our_id == NULL)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_CORRUPT, _("The server database has no valid chain key"));
      return NULL;
    }
  if (!mdn_db_begin (store->db, FALSE, error))
    return NULL;
  branch = load_branch (store, "SELECT " BRANCH_COLUMNS " FROM srv_branches WHERE code = ?", branch_code);
  if (branch == NULL)
    {
      mdn_db_rollback (store->db);
      g_set_error (error, SRV_ERROR, SRV_ERROR_NOT_FOUND, _("There is no branch %s"), branch_code);
      return NULL;
    }
  stmt = mdn_db_query (store->db, error, "SELECT chain_key_at IS NOT NULL FROM srv_branches WHERE code = ?",
                       "s", branch_code);
  if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) != SQLITE_ROW)
    goto fail;
  proven = sqlite3_column_int (stmt, 0) != 0;
  sqlite3_reset (stmt);
  out = g_new0 (SrvState, 1);
  out->branch = g_strdup (branch->code);
  out->hq = branch->hq;
  out->acked_seq = branch->acked_seq;
  out->last_hash = g_strdup (branch->last_hash);
  out->feed_position = srv_store_feed_head (store);
  if ((out->holds = load_holds (store, error)) == NULL ||
      (out->pin_locks = load_pin_locks (store, now_unix (), error)) == NULL)
    goto fail;
  mdn_db_rollback (store->db);

  if (!proven && holds_key)
    {
      /* The first proof closes the door for this token. */
      g_autofree char *at = now_iso ();

      if (!mdn_db_begin (store->db, TRUE, error))
        return NULL;
      if (!mdn_db_exec (store->db, error,
                        "UPDATE srv_branches SET chain_key_at = ? WHERE code = ? AND chain_key_at IS NULL",
                        "ss", at, branch_code))
        goto fail;
      if (sqlite3_changes (mdn_db_handle (store->db)) > 0)
        g_message ("branch %s proved it holds the chain key", branch_code);
      if (!mdn_db_commit (store->db, error))
        return NULL;
    }
  else if (!proven)
    {
      /* Not proven yet by anyone with this token: handed (again, if an
         earlier answer was lost or two syncs of the branch ask at once). */
      g_message ("branch %s was handed the chain key", branch_code);
      out->chain_key = g_steal_pointer (&key);
    }
  out->chain_key_ok = holds_key;
  return g_steal_pointer (&out);

fail:
  mdn_db_rollback (store->db);
  return NULL;
}

static void
feed_row_free (SrvFeedRow *row)
{
  mdn_entry_free (row->entry);
  g_free (row);
}

void
srv_feed_page_free (SrvFeedPage *page)
{
  if (page == NULL)
    return;
  g_clear_pointer (&page->rows, g_ptr_array_unref);
  g_strfreev (page->holds);
  g_free (page);
}

SrvFeedPage *
srv_store_feed (SrvStore   *store,
                const char *branch,
                gint64      after,
                gint64      limit,
                GError    **error)
{
  g_autoptr(SrvFeedPage) out = NULL;
  g_autoptr(GArray) positions = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt;
  gint64 head, last = after;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  limit = CLAMP (limit, 1, 1000);
  if (!mdn_db_begin (store->db, FALSE, error))
    return NULL;
  stmt = mdn_db_query (store->db, error,
                       "SELECT pos, entry_id FROM srv_feed WHERE pos > ?1 "
                       "AND (to_branch IS NULL OR to_branch = ?3) ORDER BY pos LIMIT ?2",
                       "iis", after, limit, branch);
  if (stmt == NULL)
    goto fail;
  while ((rc = mdn_db_step (store->db, stmt, error)) == SQLITE_ROW)
    {
      gint64 pos = sqlite3_column_int64 (stmt, 0);

      g_array_append_val (positions, pos);
      g_ptr_array_add (ids, g_strdup (mdn_db_col_text (stmt, 1)));
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    goto fail;

  out = g_new0 (SrvFeedPage, 1);
  out->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) feed_row_free);
  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(GError) load_error = NULL;
      g_autoptr(MdnEntry) entry = mdn_entry_load (store->db, g_ptr_array_index (ids, i), &load_error);
      SrvFeedRow *row;

      if (entry == NULL && g_error_matches (load_error, MDN_ERROR, MDN_ERROR_CORRUPT))
        {
          /* A row that can't be read back (a push checks every entry, so
             only a damaged database has one) is left out: the rest of the
             chain keeps syncing, and head office has the alarm. */
          last = g_array_index (positions, gint64, i);
          g_warning ("ALARM: feed position %" G_GINT64_FORMAT " (entry %s) can't be read and is skipped: %s",
                     last, (const char *) g_ptr_array_index (ids, i), load_error->message);
          continue;
        }
      if (entry == NULL)
        {
          g_propagate_error (error, g_steal_pointer (&load_error));
          goto fail;
        }
      last = g_array_index (positions, gint64, i);
      row = g_new0 (SrvFeedRow, 1);
      row->position = last;
      row->entry = g_steal_pointer (&entry);
      g_ptr_array_add (out->rows, row);
    }
  head = srv_store_feed_head (store);
  /* A short page is the end of this branch's feed: what lies beyond its
     last row is addressed to other branches. */
  if (ids->len < (guint) limit)
    last = MAX (last, head);
  if ((out->holds = load_holds (store, error)) == NULL)
    goto fail;
  mdn_db_rollback (store->db);

  out->after = after;
  out->feed_position = last;
  out->head = head;
  out->more = last < head;
  return g_steal_pointer (&out);

fail:
  mdn_db_rollback (store->db);
  return NULL;
}

/* Authorizations --------------------------------------------------------------- */

void
srv_authorization_free (SrvAuthorization *auth)
{
  if (auth == NULL)
    return;
  g_free (auth->auth_id);
  g_free (auth->member_id);
  g_free (auth->branch);
  g_free (auth->kind);
  g_free (auth->item);
  g_free (auth->status);
  g_free (auth->detail);
  g_free (auth);
}

static SrvAuthorization *
auth_new (const char *auth_id,
          const char *member_id,
          const char *branch,
          const char *kind,
          const char *item,
          gint64      amount,
          const char *status,
          gint64      expires_at)
{
  SrvAuthorization *auth = g_new0 (SrvAuthorization, 1);

  auth->auth_id = g_strdup (auth_id);
  auth->member_id = g_strdup (member_id);
  auth->branch = g_strdup (branch);
  auth->kind = g_strdup (kind);
  auth->item = g_strdup (item);
  auth->amount = amount;
  auth->status = g_strdup (status);
  auth->expires_at = expires_at;
  return auth;
}

/* columns: auth_id, member_id, branch, kind, item, amount, status, expires_at */
static SrvAuthorization *
auth_from_row (sqlite3_stmt *stmt)
{
  return auth_new (mdn_db_col_text (stmt, 0), mdn_db_col_text (stmt, 1), mdn_db_col_text (stmt, 2),
                   mdn_db_col_text (stmt, 3), mdn_db_col_text (stmt, 4), sqlite3_column_int64 (stmt, 5),
                   mdn_db_col_text (stmt, 6), sqlite3_column_int64 (stmt, 7));
}

SrvAuthorization *
srv_store_authorization_get (SrvStore   *store,
                             const char *auth_id,
                             GError    **error)
{
  SrvAuthorization *auth = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (store != NULL && auth_id != NULL, NULL);

  stmt = mdn_db_query (store->db, error,
                       "SELECT auth_id, member_id, branch, kind, item, amount, status, expires_at, detail "
                       "FROM srv_authorizations WHERE auth_id = ?", "s", auth_id);
  if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
    return NULL;
  if (rc == SQLITE_ROW)
    {
      auth = auth_from_row (stmt);
      auth->detail = g_strdup (mdn_db_col_text (stmt, 8));
    }
  sqlite3_reset (stmt);
  return auth;
}

gboolean
srv_store_authorization_use (SrvStore   *store,
                             const char *auth_id,
                             const char *entry_id,
                             GError    **error)
{
  g_return_val_if_fail (store != NULL && auth_id != NULL, FALSE);

  return mdn_db_exec (store->db, error,
                      "UPDATE srv_authorizations SET status = 'used', entry_id = ? "
                      "WHERE auth_id = ? AND status != 'used'", "ss", entry_id, auth_id);
}

GPtrArray *
srv_store_authorizations_held (SrvStore   *store,
                               const char *member_id,
                               const char *kind,
                               const char *item,
                               GError    **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) srv_authorization_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (store != NULL && kind != NULL && (member_id != NULL || item != NULL), NULL);

  /* By member through its index; a sale's returns by item. */
  if (member_id != NULL)
    stmt = mdn_db_query (store->db, error,
                         "SELECT auth_id, member_id, branch, kind, item, amount, status, expires_at, detail "
                         "FROM srv_authorizations WHERE member_id = ?1 AND status = 'held' AND kind = ?2 "
                         "AND (?3 IS NULL OR item = ?3) ORDER BY amount, created_at", "sss", member_id, kind, item);
  else
    stmt = mdn_db_query (store->db, error,
                         "SELECT auth_id, member_id, branch, kind, item, amount, status, expires_at, detail "
                         "FROM srv_authorizations WHERE kind = ?1 AND item = ?2 AND status = 'held' "
                         "ORDER BY amount, created_at", "ss", kind, item);
  if (stmt == NULL)
    return NULL;
  while ((rc = mdn_db_step (store->db, stmt, error)) == SQLITE_ROW)
    {
      SrvAuthorization *auth = auth_from_row (stmt);

      auth->detail = g_strdup (mdn_db_col_text (stmt, 8));
      g_ptr_array_add (list, auth);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return NULL;
  return g_steal_pointer (&list);
}

gboolean
srv_store_authorizations_release_expired (SrvStore   *store,
                                          const char *member_id,
                                          gint64      now,
                                          GError    **error)
{
  g_return_val_if_fail (store != NULL, FALSE);

  return mdn_db_exec (store->db, error,
                      "UPDATE srv_authorizations SET status = 'released' "
                      "WHERE member_id = ? AND status = 'held' AND expires_at <= ?", "si", member_id, now);
}

gboolean
srv_store_authorization_hold (SrvStore               *store,
                              const SrvAuthorization *auth,
                              const char             *created_at,
                              GError                **error)
{
  g_return_val_if_fail (store != NULL && auth != NULL, FALSE);

  return mdn_db_exec (store->db, error,
                      "INSERT INTO srv_authorizations (auth_id, member_id, branch, kind, item, amount, status, "
                      "created_at, expires_at, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                      "sssssissis", auth->auth_id, auth->member_id, auth->branch, auth->kind,
                      auth->item ? auth->item : "", auth->amount, auth->status, created_at, auth->expires_at,
                      auth->detail);
}

/* Members, for the authorizations ------------------------------------------------ */

const char *
srv_store_timezone (SrvStore *store)
{
  g_return_val_if_fail (store != NULL, NULL);

  return store->timezone;
}

gboolean
srv_store_package_available (SrvStore   *store,
                             const char *member_id,
                             const char *item,
                             const char *date,
                             gint64     *out,
                             GError    **error)
{
  g_return_val_if_fail (store != NULL, FALSE);

  return mdn_package_available (store->db, member_id, item, date, out, error);
}

gboolean
srv_store_member_pin_hash (SrvStore   *store,
                           const char *member_id,
                           char      **out_hash,
                           GError    **error)
{
  gboolean found;

  g_return_val_if_fail (store != NULL && out_hash != NULL, FALSE);

  if (!lookup_text (store, "SELECT pin_hash FROM members WHERE id = ?", member_id, &found, out_hash, error))
    return FALSE;
  if (!found)
    {
      g_set_error (error, SRV_ERROR, SRV_ERROR_NOT_FOUND, _("No member %s in the chain"), member_id);
      return FALSE;
    }
  return TRUE;
}

gboolean
srv_store_pin_verify (SrvStore   *store,
                      const char *member_id,
                      const char *pin_hash,
                      const char *pin,
                      gint64      now,
                      gboolean   *out_wrong,
                      GError    **error)
{
  g_return_val_if_fail (store != NULL, FALSE);

  return mdn_pin_verify (store->db, member_id, pin_hash, pin, now, out_wrong, error);
}

gboolean
srv_store_pin_lockout (SrvStore   *store,
                       const char *member_id,
                       gint64      now,
                       MdnLockout *out,
                       GError    **error)
{
  g_return_val_if_fail (store != NULL, FALSE);

  return mdn_lockout_get (store->db, "pin", member_id, now, out, error);
}

gboolean
srv_store_pin_fail (SrvStore   *store,
                    const char *member_id,
                    gint64      now,
                    gint64      count,
                    MdnLockout *out_after,
                    GError    **error)
{
  g_return_val_if_fail (store != NULL, FALSE);

  /* The chain's setting member.pin_lockout_attempts, as at the branches. */
  return mdn_lockout_fail_max (store->db, "pin", member_id, now, count, FALSE,
                               mdn_pin_max_failures (store->db), out_after, error);
}

gint64
srv_store_pin_max_failures (SrvStore *store)
{
  g_return_val_if_fail (store != NULL, MDN_LOCKOUT_MAX_FAILURES);
  return mdn_pin_max_failures (store->db);
}

GPtrArray *
srv_store_pin_locks (SrvStore *store,
                     gint64    now,
                     GError  **error)
{
  g_return_val_if_fail (store != NULL, NULL);

  return load_pin_locks (store, now, error);
}

gboolean
srv_store_member_card (SrvStore   *store,
                       const char *member_id,
                       char      **out_card_no,
                       gboolean   *out_lost,
                       GError    **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (store != NULL && out_card_no != NULL && out_lost != NULL, FALSE);

  *out_card_no = NULL;
  *out_lost = FALSE;
  stmt = mdn_db_query (store->db, error, "SELECT card_no, status = 'lost' FROM members WHERE id = ?", "s", member_id);
  if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      *out_card_no = g_strdup (mdn_db_col_text (stmt, 0));
      *out_lost = sqlite3_column_int (stmt, 1) != 0;
    }
  sqlite3_reset (stmt);
  return TRUE;
}

gint64
srv_store_member_state_rev (SrvStore   *store,
                            const char *member_id,
                            GError    **error)
{
  g_return_val_if_fail (store != NULL, -1);

  return mdn_member_state_rev (store->db, member_id, error);
}

gboolean
srv_store_sale_member (SrvStore   *store,
                       const char *sale_id,
                       char      **out_member_id,
                       GError    **error)
{
  gboolean found;

  g_return_val_if_fail (store != NULL && out_member_id != NULL, FALSE);

  return lookup_text (store, "SELECT member_id FROM receipts WHERE entry_id = ?", sale_id, &found,
                      out_member_id, error);
}

gboolean
srv_store_return_check (SrvStore   *store,
                        const char *sale_id,
                        gint64      refund_fen,
                        GArray     *lines,
                        gint64      held_refund,
                        GArray     *held_lines,
                        GArray     *held_uses,
                        GError    **error)
{
  g_return_val_if_fail (store != NULL, FALSE);

  return mdn_sale_return_check (store->db, sale_id, refund_fen, lines, held_refund, held_lines, held_uses, error);
}

void
srv_grant_free (SrvGrant *grant)
{
  if (grant == NULL)
    return;
  g_free (grant->auth_id);
  g_free (grant->kind);
  g_free (grant->item);
  g_free (grant);
}

void
srv_exception_free (SrvException *x)
{
  if (x == NULL)
    return;
  g_free (x->kind);
  g_free (x->item);
  g_free (x->sale_entry);
  g_free (x->sale_receipt_no);
  g_free (x->detail);
  g_free (x->member_id);
  g_free (x->card_no);
  g_free (x->entry_id);
  g_free (x->branch);
  g_free (x->account);
  g_free (x->status);
  g_free (x->found_at);
  g_free (x->settled_at);
  g_free (x->settled_by);
  g_free (x->settled_by_kind);
  g_free (x);
}

GPtrArray *
srv_store_exceptions (SrvStore   *store,
                      const char *status,
                      GError    **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) srv_exception_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  stmt = mdn_db_query (store->db, error,
                       "SELECT x.id, x.member_id, m.card_no, x.entry_id, x.branch, x.account, x.amount, "
                       "x.status, x.found_at, x.settled_at, x.settled_by, s.kind, x.kind, x.item, "
                       "x.sale_entry, x.detail, r.receipt_no FROM srv_exceptions x "
                       "LEFT JOIN receipts r ON r.entry_id = x.sale_entry "
                       "LEFT JOIN members m ON m.id = x.member_id "
                       "LEFT JOIN entries s ON s.id = x.settled_by "
                       "WHERE ?1 IS NULL OR x.status = ?1 ORDER BY x.id", "s", status);
  if (stmt == NULL)
    return NULL;
  while ((rc = mdn_db_step (store->db, stmt, error)) == SQLITE_ROW)
    {
      SrvException *x = g_new0 (SrvException, 1);
      const char *item = mdn_db_col_text (stmt, 13);

      x->id = sqlite3_column_int64 (stmt, 0);
      x->member_id = g_strdup (mdn_db_col_text (stmt, 1));
      x->card_no = g_strdup (mdn_db_col_text (stmt, 2));
      x->entry_id = g_strdup (mdn_db_col_text (stmt, 3));
      x->branch = g_strdup (mdn_db_col_text (stmt, 4));
      x->account = g_strdup (mdn_db_col_text (stmt, 5));
      x->amount = sqlite3_column_int64 (stmt, 6);
      x->status = g_strdup (mdn_db_col_text (stmt, 7));
      x->found_at = g_strdup (mdn_db_col_text (stmt, 8));
      x->settled_at = g_strdup (mdn_db_col_text (stmt, 9));
      x->settled_by = g_strdup (mdn_db_col_text (stmt, 10));
      x->settled_by_kind = g_strdup (mdn_db_col_text (stmt, 11));
      x->kind = g_strdup (mdn_db_col_text (stmt, 12));
      x->item = item && *item ? g_strdup (item) : NULL;
      x->sale_entry = g_strdup (mdn_db_col_text (stmt, 14));
      x->detail = g_strdup (mdn_db_col_text (stmt, 15));
      x->sale_receipt_no = g_strdup (mdn_db_col_text (stmt, 16));
      g_ptr_array_add (list, x);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return NULL;
  return g_steal_pointer (&list);
}

/* Reports ------------------------------------------------------------------------ */

/* "SELECT branch, SUM (c1), SUM (c2) … FROM srv_rollup_day WHERE
 * business_date BETWEEN ?1 AND ?2 AND (?3 IS NULL OR branch = ?3) GROUP BY
 * branch" over every figure, made once. SQLite's SUM fails with "integer
 * overflow" rather than wrap. */
static const char *
summary_sql (void)
{
  static const char *sql;
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      guint n;
      const MdnFigureField *fields = mdn_figures_fields (&n);
      GString *s = g_string_new ("SELECT branch");

      for (guint i = 0; i < n; i++)
        g_string_append_printf (s, ", SUM (%s)", fields[i].name);
      g_string_append (s, " FROM srv_rollup_day WHERE business_date BETWEEN ?1 AND ?2 "
                       "AND (?3 IS NULL OR branch = ?3) GROUP BY branch");
      sql = g_string_free (s, FALSE);
      g_once_init_leave (&done, 1);
    }
  return sql;
}

static void
summary_row_free (gpointer data)
{
  SrvSummaryRow *row = data;

  g_free (row->branch);
  g_free (row);
}

void
srv_summary_free (SrvSummary *summary)
{
  if (summary == NULL)
    return;
  g_clear_pointer (&summary->branches, g_ptr_array_unref);
  g_free (summary->chain.branch);
  g_free (summary);
}

gboolean
srv_store_report (SrvStore                     *store,
                  const MdnReportDef           *def,
                  const MdnReportQuery         *query,
                  MdnReportFormat               format,
                  const char                   *path,
                  const MdnReportExportOptions *options,
                  gint64                       *n_rows,
                  GError                      **error)
{
  gboolean ok;

  if (!mdn_db_begin (store->db, FALSE, error))
    return FALSE;
  ok = mdn_report_export_file (store->db, def, query, format, path, options, n_rows, error);
  mdn_db_rollback (store->db);
  return ok;
}

/* Per branch and for the chain, from the daily rollups: flows over
 * [from, to] (every figure of mdn-figures.h), and the stored-value
 * liability at the end of @to (the sum of every balance change up to
 * then). Reads rollup rows only, never entries. */
SrvSummary *
srv_store_summary (SrvStore   *store,
                   const char *from,
                   const char *to,
                   const char *branch_code,
                   GError    **error)
{
  g_autoptr(SrvSummary) out = NULL;
  g_autoptr(GHashTable) by_branch = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) order = g_ptr_array_new_with_free_func (summary_row_free);
  MdnFigures chain = { 0 };
  gint64 chain_principal = 0, chain_bonus = 0, chain_total = 0;
  gboolean too_large = FALSE;
  guint n;
  const MdnFigureField *fields = mdn_figures_fields (&n);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (store != NULL && from != NULL && to != NULL, NULL);

  if (!mdn_date_valid (from) || !mdn_date_valid (to) || strcmp (from, to) > 0)
    {
      g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID,
                           _("from and to must be dates YYYY-MM-DD with from not after to"));
      return NULL;
    }
  if (!mdn_db_begin (store->db, FALSE, error))
    return NULL;

  stmt = mdn_db_query (store->db, error,
                       "SELECT code FROM srv_branches WHERE ?1 IS NULL OR code = ?1 ORDER BY code",
                       "s", branch_code);
  if (stmt == NULL)
    goto fail;
  while ((rc = mdn_db_step (store->db, stmt, error)) == SQLITE_ROW)
    {
      SrvSummaryRow *row = g_new0 (SrvSummaryRow, 1);

      row->branch = g_strdup (mdn_db_col_text (stmt, 0));
      g_hash_table_insert (by_branch, row->branch, row);
      g_ptr_array_add (order, row);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    goto fail;
  if (branch_code && order->len == 0)
    {
      g_set_error (error, SRV_ERROR, SRV_ERROR_NOT_FOUND, _("There is no branch %s"), branch_code);
      goto fail;
    }

  stmt = mdn_db_query (store->db, error, summary_sql (), "sss", from, to, branch_code);
  if (stmt == NULL)
    goto fail;
  while ((rc = mdn_db_step (store->db, stmt, error)) == SQLITE_ROW)
    {
      SrvSummaryRow *row = g_hash_table_lookup (by_branch, mdn_db_col_text (stmt, 0));
      MdnFigures f = { 0 };

      for (guint i = 0; i < n; i++)
        mdn_figures_set (&f, &fields[i], sqlite3_column_int64 (stmt, (int) i + 1));
      if (row)
        row->flows = f;
      mdn_figures_add (&chain, &f);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    goto fail;

  stmt = mdn_db_query (store->db, error,
                       /* The liability now less the days after the period
                          (srv_branch_balance, server/0014): flat as history grows. */
                       "SELECT b.branch, b.principal_fen - COALESCE ((SELECT SUM (r.principal_delta_fen) "
                       "  FROM srv_rollup_day r WHERE r.branch = b.branch AND r.business_date > ?1), 0), "
                       "b.bonus_fen - COALESCE ((SELECT SUM (r.bonus_delta_fen) FROM srv_rollup_day r "
                       "  WHERE r.branch = b.branch AND r.business_date > ?1), 0) "
                       "FROM srv_branch_balance b WHERE ?2 IS NULL OR b.branch = ?2",
                       "ss", to, branch_code);
  if (stmt == NULL)
    goto fail;
  while ((rc = mdn_db_step (store->db, stmt, error)) == SQLITE_ROW)
    {
      SrvSummaryRow *row = g_hash_table_lookup (by_branch, mdn_db_col_text (stmt, 0));
      gint64 p = sqlite3_column_int64 (stmt, 1), q = sqlite3_column_int64 (stmt, 2), t;

      /* Within the figures' bounds, like every figure. */
      if (!mdn_money_add (p, q, &t, NULL) ||
          !mdn_money_add (chain_principal, p, &chain_principal, NULL) ||
          !mdn_money_add (chain_bonus, q, &chain_bonus, NULL))
        too_large = TRUE;
      if (row)
        {
          row->principal = p;
          row->bonus = q;
        }
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    goto fail;
  mdn_db_rollback (store->db);
  if (chain.overflow || too_large || !mdn_money_add (chain_principal, chain_bonus, &chain_total, NULL))
    {
      g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INTERNAL,
                           _("The summary's figures are too large to add up"));
      return NULL;
    }

  out = g_new0 (SrvSummary, 1);
  out->branches = g_steal_pointer (&order);
  out->chain.flows = chain;
  out->chain.principal = chain_principal;
  out->chain.bonus = chain_bonus;
  return g_steal_pointer (&out);

fail:
  mdn_db_rollback (store->db);
  return NULL;
}

/* Gauges from the database, in Prometheus text format. */
gboolean
srv_store_metrics (SrvStore *store,
                   GString  *out,
                   GError  **error)
{
  g_autoptr(GDateTime) now = mdn_clock_now ();
  sqlite3_stmt *stmt;
  int rc;

  g_string_append (out,
                   "# HELP mendian_feed_position Head of the chain-wide feed.\n"
                   "# TYPE mendian_feed_position gauge\n");
  g_string_append_printf (out, "mendian_feed_position %" G_GINT64_FORMAT "\n", srv_store_feed_head (store));

  g_string_append (out,
                   "# HELP mendian_branch_acked_seq Highest contiguous seq the server holds per branch.\n"
                   "# TYPE mendian_branch_acked_seq gauge\n"
                   "# HELP mendian_branch_lag_seconds Seconds since the branch last pushed an entry (-1: never).\n"
                   "# TYPE mendian_branch_lag_seconds gauge\n");
  stmt = mdn_db_query (store->db, error, "SELECT code, acked_seq, last_push_at FROM srv_branches ORDER BY code", "");
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (store->db, stmt, error)) == SQLITE_ROW)
    {
      const char *code = mdn_db_col_text (stmt, 0);
      const char *last = mdn_db_col_text (stmt, 2);
      g_autoptr(GDateTime) last_dt = last ? mdn_clock_parse (last) : NULL;
      gint64 lag = last_dt ? g_date_time_difference (now, last_dt) / G_TIME_SPAN_SECOND : -1;

      /* Branch codes are [A-Za-z0-9_-]: safe inside a label value. */
      g_string_append_printf (out, "mendian_branch_acked_seq{branch=\"%s\"} %" G_GINT64_FORMAT "\n",
                              code, (gint64) sqlite3_column_int64 (stmt, 1));
      g_string_append_printf (out, "mendian_branch_lag_seconds{branch=\"%s\"} %" G_GINT64_FORMAT "\n",
                              code, lag);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return FALSE;

  stmt = mdn_db_query (store->db, error,
                       "SELECT (SELECT count(*) FROM entries), "
                       "(SELECT count(*) FROM srv_exceptions WHERE status = 'open')", "");
  if (stmt == NULL || mdn_db_step (store->db, stmt, error) != SQLITE_ROW)
    return FALSE;
  g_string_append_printf (out,
                          "# HELP mendian_entries_stored Entries the server holds, all branches.\n"
                          "# TYPE mendian_entries_stored gauge\n"
                          "mendian_entries_stored %" G_GINT64_FORMAT "\n"
                          "# HELP mendian_exceptions_open Member exceptions not yet settled.\n"
                          "# TYPE mendian_exceptions_open gauge\n"
                          "mendian_exceptions_open %" G_GINT64_FORMAT "\n",
                          (gint64) sqlite3_column_int64 (stmt, 0), (gint64) sqlite3_column_int64 (stmt, 1));
  sqlite3_reset (stmt);
  return TRUE;
}

/* The back office -------------------------------------------------------------------- */

gboolean
srv_store_oplog_add (SrvStore          *store,
                     const char        *branch_code,
                     const SrvOplogRow *rows,
                     guint              n,
                     gint64            *out_stored,
                     GError           **error)
{
  gint64 stored = 0;

  g_return_val_if_fail (store != NULL && branch_code != NULL && (rows != NULL || n == 0), FALSE);

  if (!mdn_db_begin (store->db, TRUE, error))
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      const SrvOplogRow *r = &rows[i];

      if (!mdn_db_exec (store->db, error,
                        "INSERT INTO srv_oplog (branch, id, at, staff, op, ok, detail, terminal, entry_id) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (branch, id) DO NOTHING",
                        "sisssisss", branch_code, r->id, r->at, r->staff, r->op, (gint64) r->ok,
                        r->detail, r->terminal, r->entry_id))
        {
          mdn_db_rollback (store->db);
          return FALSE;
        }
      stored += sqlite3_changes (mdn_db_handle (store->db));
    }
  if (!mdn_db_commit (store->db, error))
    return FALSE;
  if (out_stored)
    *out_stored = stored;
  return TRUE;
}

static void
oplog_row_free (gpointer data)
{
  SrvOplogRow *r = data;

  g_free ((char *) r->at);
  g_free ((char *) r->staff);
  g_free ((char *) r->op);
  g_free ((char *) r->detail);
  g_free ((char *) r->terminal);
  g_free ((char *) r->entry_id);
  g_free ((char *) r->branch);
  g_free (r);
}

GPtrArray *
srv_store_oplog_list (SrvStore   *store,
                      const char *branch_code,
                      const char *from,
                      const char *to,
                      const char *staff,
                      const char *op,
                      gint64      limit,
                      const char *before_branch,
                      gint64      before_id,
                      GError    **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (oplog_row_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  /* Newest first by the time the branch wrote them. */
  stmt = mdn_db_query (store->db, error,
                       "SELECT branch, id, at, staff, op, ok, detail, terminal, entry_id FROM srv_oplog "
                       "WHERE (?1 IS NULL OR branch = ?1) AND (?2 IS NULL OR substr (at, 1, 10) >= ?2) "
                       "AND (?3 IS NULL OR substr (at, 1, 10) <= ?3) AND (?4 IS NULL OR staff = ?4) "
                       "AND (?5 IS NULL OR op = ?5) AND (?8 IS NULL OR at < (SELECT at FROM srv_oplog "
                       "  WHERE branch = ?8 AND id = ?7) OR (at = (SELECT at FROM srv_oplog WHERE branch = ?8 "
                       "  AND id = ?7) AND (branch > ?8 OR (branch = ?8 AND id < ?7)))) "
                       "ORDER BY at DESC, branch, id DESC LIMIT ?6",
                       "sssssiis", branch_code, from, to, staff, op, CLAMP (limit, 1, 1000), before_id,
                       before_branch);
  if (stmt == NULL)
    return NULL;
  while ((rc = mdn_db_step (store->db, stmt, error)) == SQLITE_ROW)
    {
      SrvOplogRow *r = g_new0 (SrvOplogRow, 1);

      r->branch = g_strdup (mdn_db_col_text (stmt, 0));
      r->id = sqlite3_column_int64 (stmt, 1);
      r->at = g_strdup (mdn_db_col_text (stmt, 2));
      r->staff = g_strdup (mdn_db_col_text (stmt, 3));
      r->op = g_strdup (mdn_db_col_text (stmt, 4));
      r->ok = sqlite3_column_int (stmt, 5) != 0;
      r->detail = g_strdup (mdn_db_col_text (stmt, 6));
      r->terminal = g_strdup (mdn_db_col_text (stmt, 7));
      r->entry_id = g_strdup (mdn_db_col_text (stmt, 8));
      g_ptr_array_add (rows, r);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return NULL;
  return g_steal_pointer (&rows);
}

GPtrArray *
srv_store_own_entries (SrvStore   *store,
                       const char *branch_code,
                       gint64      after,
                       gint64      limit,
                       gboolean   *out_more,
                       GError    **error)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_entry_free);
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (store != NULL && branch_code != NULL, NULL);

  limit = CLAMP (limit, 1, 1000);
  if (!mdn_db_begin (store->db, FALSE, error))
    return NULL;
  stmt = mdn_db_query (store->db, error,
                       "SELECT id FROM entries WHERE branch = ? AND seq > ? ORDER BY seq LIMIT ?",
                       "sii", branch_code, after, limit + 1);
  if (stmt == NULL)
    goto fail;
  while ((rc = mdn_db_step (store->db, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (ids, g_strdup (mdn_db_col_text (stmt, 0)));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    goto fail;
  if (out_more)
    *out_more = ids->len > (guint) limit;
  for (guint i = 0; i < ids->len && i < (guint) limit; i++)
    {
      MdnEntry *entry = mdn_entry_load (store->db, g_ptr_array_index (ids, i), error);

      if (entry == NULL)
        goto fail;
      g_ptr_array_add (entries, entry);
    }
  mdn_db_rollback (store->db);
  return g_steal_pointer (&entries);

fail:
  mdn_db_rollback (store->db);
  return NULL;
}

/* Stock ------------------------------------------------------------------------ */

GArray *
srv_store_stock (SrvStore   *store,
                 const char *sku,
                 const char *category,
                 const char *branch,
                 GError    **error)
{
  GArray *rows;

  g_return_val_if_fail (store != NULL, NULL);

  if (!mdn_db_begin (store->db, FALSE, error))
    return NULL;
  rows = mdn_stock_chain_rows (store->db, sku, category, branch, error);
  mdn_db_rollback (store->db);
  return rows;
}

GPtrArray *
srv_store_transfers (SrvStore   *store,
                     const char *branch,
                     const char *status,
                     GError    **error)
{
  GPtrArray *transfers;

  g_return_val_if_fail (store != NULL, NULL);

  if (!mdn_db_begin (store->db, FALSE, error))
    return NULL;
  transfers = mdn_stock_transfers (store->db, branch, NULL, status, error);
  mdn_db_rollback (store->db);
  return transfers;
}
