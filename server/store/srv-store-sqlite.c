/* srv-store-sqlite.c: the embedded SQLite backend of the server's storage. */
#define G_LOG_DOMAIN "srv-store"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-db.h"
#include "mdn-entry-check.h"
#include "mdn-error.h"
#include "mdn-figures.h"
#include "mdn-id.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-lockout.h"
#include "mdn-members.h"
#include "mdn-money.h"
#include "mdn-ops.h"
#include "mdn-sales.h"
#include "mdn-selling.h"
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
  g_free (store->timezone);
  g_free (store);
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

  /* The new token may receive the chain key once (a branch set up again). */
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

/* Push ------------------------------------------------------------------------ */

/* What one push changes, kept until it commits: the rollups per business
 * date (one upsert per day instead of one per entry), and the members with
 * an open exception (so that only entries that could open or settle one
 * look at the member's accounts). */
typedef struct
{
  GHashTable *days;          /* business_date → MdnFigures of the branch-day */
  GHashTable *open_members;  /* member_id set */
  GHashTable *moved;         /* member_id → the last MdnEntry of the push moving their accounts */
  char       *now;           /* ISO time of the push */
} PushBatch;

static void
push_batch_clear (PushBatch *batch)
{
  g_clear_pointer (&batch->days, g_hash_table_unref);
  g_clear_pointer (&batch->open_members, g_hash_table_unref);
  g_clear_pointer (&batch->moved, g_hash_table_unref);
  g_clear_pointer (&batch->now, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PushBatch, push_batch_clear)

static gboolean
push_batch_init (SrvStore  *store,
                 PushBatch *batch,
                 GError   **error)
{
  sqlite3_stmt *stmt;
  int rc;

  batch->days = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  batch->open_members = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  batch->moved = g_hash_table_new (g_str_hash, g_str_equal);
  batch->now = now_iso ();
  stmt = mdn_db_query (store->db, error,
                       "SELECT DISTINCT member_id FROM srv_exceptions WHERE status = 'open' "
                       "AND kind = 'overdraft'", "");
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (store->db, stmt, error)) == SQLITE_ROW)
    g_hash_table_add (batch->open_members, g_strdup (mdn_db_col_text (stmt, 0)));
  sqlite3_reset (stmt);
  return rc == SQLITE_DONE;
}

/* Adds what @entry contributes to its branch's day (mdn-figures.h: the
 * branch's day end sums the same way). Runs exactly once per entry, inside
 * the push transaction, so the figures are exact. @hq: the HQ terminal
 * pushed it. */
static void
rollup_entry (PushBatch *batch,
              MdnEntry  *entry,
              gboolean   hq)
{
  MdnFigures *r = g_hash_table_lookup (batch->days, entry->business_date);

  if (r == NULL)
    {
      r = g_new0 (MdnFigures, 1);
      g_hash_table_insert (batch->days, g_strdup (entry->business_date), r);
    }
  mdn_figures_add_entry (r, entry, hq ? MDN_FIGURES_HQ : MDN_FIGURES_NONE);
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

/* Writes the push's rollups, in the push's transaction: each branch-day's
 * row plus the push's figures, added by mdn_figures_add, so a day whose
 * figures would overflow refuses the push instead of wrapping. */
static gboolean
rollup_flush (SrvStore   *store,
              PushBatch  *batch,
              const char *branch_code,
              GError    **error)
{
  GHashTableIter iter;
  gpointer key, value;
  guint n;
  const MdnFigureField *fields = mdn_figures_fields (&n);

  rollup_sql_init ();
  g_hash_table_iter_init (&iter, batch->days);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      MdnFigures day = { 0 };
      sqlite3_stmt *stmt;
      int rc;

      stmt = mdn_db_query (store->db, error, rollup_select_sql, "ss", (const char *) key, branch_code);
      if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
        return FALSE;
      if (rc == SQLITE_ROW)
        for (guint i = 0; i < n; i++)
          mdn_figures_set (&day, &fields[i], sqlite3_column_int64 (stmt, (int) i));
      sqlite3_reset (stmt);
      mdn_figures_add (&day, value);
      if (day.overflow)
        {
          g_set_error (error, SRV_ERROR, SRV_ERROR_INVALID,
                       _("The figures of branch %s on %s would be too large to add up"),
                       branch_code, (const char *) key);
          return FALSE;
        }

      stmt = mdn_db_query (store->db, error, rollup_upsert_sql, "ss", branch_code, (const char *) key);
      if (stmt == NULL)
        return FALSE;
      for (guint i = 0; i < n; i++)
        if (sqlite3_bind_int64 (stmt, (int) i + 3, mdn_figures_get (&day, &fields[i])) != SQLITE_OK)
          {
            mdn_db_set_database_error (store->db, error);
            return FALSE;
          }
      rc = mdn_db_step (store->db, stmt, error);
      sqlite3_reset (stmt);
      if (rc < 0)
        return FALSE;
    }
  return TRUE;
}

/* After @entry moved a member's accounts: each account below zero is an
 * overdraft (offline spending the server learns of late) with an open
 * exception of its own, which puts the card on hold; an exception whose
 * account is back at zero or above is settled by the entry. So after every
 * entry the open exceptions are exactly the member's accounts below zero,
 * whatever order the entries came in. */
static gboolean
check_overdraft (SrvStore   *store,
                 PushBatch  *batch,
                 MdnEntry   *entry,
                 const char *member_id,
                 GError    **error)
{
  MdnDb *db = store->db;
  g_autoptr(GArray) below = NULL;
  g_autoptr(JsonArray) uses = NULL;
  sqlite3_stmt *stmt;
  gint64 principal, bonus, points;
  int rc;

  stmt = mdn_db_query (db, error, "SELECT principal_fen, bonus_fen, points FROM members WHERE id = ?",
                       "s", member_id);
  if (stmt == NULL || (rc = mdn_db_step (db, stmt, error)) < 0)
    return FALSE;
  if (rc != SQLITE_ROW)
    {
      sqlite3_reset (stmt);
      return TRUE;
    }
  principal = sqlite3_column_int64 (stmt, 0);
  bonus = sqlite3_column_int64 (stmt, 1);
  points = sqlite3_column_int64 (stmt, 2);
  sqlite3_reset (stmt);
  uses = mdn_package_overdrawn (db, member_id, error);
  if (uses == NULL)
    return FALSE;

  below = srv_rules_overdrawn (principal, bonus, points, uses);

  if (g_hash_table_contains (batch->open_members, member_id))
    {
      g_autoptr(GArray) settle = g_array_new (FALSE, FALSE, sizeof (gint64));

      stmt = mdn_db_query (db, error,
                           "SELECT id, account, item FROM srv_exceptions WHERE member_id = ? "
                           "AND kind = 'overdraft' AND status = 'open'", "s", member_id);
      if (stmt == NULL)
        return FALSE;
      while ((rc = mdn_db_step (db, stmt, error)) == SQLITE_ROW)
        {
          gint64 id = sqlite3_column_int64 (stmt, 0);
          gboolean still = FALSE;

          for (guint i = 0; i < below->len; i++)
            {
              SrvOverdrawn *o = &g_array_index (below, SrvOverdrawn, i);

              if (g_str_equal (o->account, mdn_db_col_text (stmt, 1)) &&
                  g_str_equal (o->item, mdn_db_col_text (stmt, 2)))
                still = o->open = TRUE;
            }
          if (!still)
            g_array_append_val (settle, id);
        }
      sqlite3_reset (stmt);
      if (rc != SQLITE_DONE)
        return FALSE;
      for (guint i = 0; i < settle->len; i++)
        if (!mdn_db_exec (db, error,
                          "UPDATE srv_exceptions SET status = 'settled', settled_at = ?, settled_by = ? WHERE id = ?",
                          "ssi", batch->now, entry->id, g_array_index (settle, gint64, i)))
          return FALSE;
    }

  for (guint i = 0; i < below->len; i++)
    {
      SrvOverdrawn *o = &g_array_index (below, SrvOverdrawn, i);

      if (o->open)
        {
          if (!mdn_db_exec (db, error,
                            "UPDATE srv_exceptions SET amount = ? WHERE member_id = ? AND kind = 'overdraft' "
                            "AND status = 'open' AND account = ? AND item = ?",
                            "isss", o->amount, member_id, o->account, o->item))
            return FALSE;
          continue;
        }
      g_message ("member %s: %s%s%s below zero by %" G_GINT64_FORMAT " after entry %s#%" G_GINT64_FORMAT
                 ": exception opened, card on hold", member_id, o->account, *o->item ? " " : "", o->item,
                 o->amount, entry->branch, entry->seq);
      if (!mdn_db_exec (db, error,
                        "INSERT INTO srv_exceptions (kind, member_id, entry_id, branch, account, item, amount, "
                        "status, found_at) VALUES ('overdraft', ?, ?, ?, ?, ?, ?, 'open', ?)",
                        "sssssis", member_id, entry->id, entry->branch, o->account, o->item, o->amount,
                        batch->now))
        return FALSE;
    }
  if (below->len > 0)
    g_hash_table_add (batch->open_members, g_strdup (member_id));
  else
    g_hash_table_remove (batch->open_members, member_id);
  return TRUE;
}

/* A return that takes a sale's refunds above its total (two branches
 * returned it without seeing each other's return, one of them offline):
 * an exception on the sale for head office, and the excess in the
 * summary. Over the whole history the excess is max (0, refunds - total)
 * whatever order the returns came in; each return is charged what it
 * added to it. */
static gboolean
check_over_refund (SrvStore  *store,
                   PushBatch *batch,
                   MdnEntry  *entry,
                   GError   **error)
{
  const char *sale = mdn_body_string (entry->body, "sale_entry");
  gint64 refund = mdn_body_int (entry->body, "refund_fen", 0);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *detail = NULL;
  gint64 total = 0, refunded = 0, excess;
  MdnFigures *r;

  if (sale == NULL || entry->member_id == NULL)
    return TRUE;
  if (!mdn_sale_refunded (store->db, sale, &total, &refunded, &local_error))
    {
      if (g_error_matches (local_error, MDN_ERROR, MDN_ERROR_UNKNOWN_ENTRY))
        return TRUE;   /* a sale the chain does not share */
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  excess = mdn_figures_over_refund (total, refunded, refund);
  if (excess <= 0)
    return TRUE;
  g_message ("sale %s refunded %" G_GINT64_FORMAT " fen above its total by entry %s#%" G_GINT64_FORMAT,
             sale, excess, entry->branch, entry->seq);
  r = g_hash_table_lookup (batch->days, entry->business_date);
  g_assert (r != NULL);
  mdn_figures_add_over_refund (r, excess);
  detail = g_strdup_printf ("{\"total_fen\":%" G_GINT64_FORMAT ",\"refunded_fen\":%" G_GINT64_FORMAT "}",
                            total, refunded);
  return mdn_db_exec (store->db, error,
                      "INSERT INTO srv_exceptions (kind, member_id, entry_id, branch, account, amount, status, "
                      "found_at, sale_entry, detail) VALUES ('over_refund', ?, ?, ?, 'refund', ?, 'open', ?, ?, ?)",
                      "sssisss", entry->member_id, entry->id, entry->branch, excess, batch->now, sale, detail);
}

/* After a card operation: the card conflicts of the member, as the fold
 * over every state entry the server holds sees them now ('noted'
 * exceptions for head office; an entry that arrived late can make an
 * earlier one a conflict, or stop one being one). */
static gboolean
note_card_conflicts (SrvStore   *store,
                     PushBatch  *batch,
                     const char *member_id,
                     GError    **error)
{
  g_autoptr(GPtrArray) conflicts = mdn_member_card_conflicts (store->db, member_id, error);
  g_autoptr(GPtrArray) noted = g_ptr_array_new_with_free_func (g_free);
  sqlite3_stmt *stmt;
  int rc;

  if (conflicts == NULL)
    return FALSE;
  stmt = mdn_db_query (store->db, error,
                       "SELECT entry_id FROM srv_exceptions WHERE member_id = ? AND kind = 'card_conflict'",
                       "s", member_id);
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (store->db, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (noted, g_strdup (mdn_db_col_text (stmt, 0)));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return FALSE;

  for (guint i = 0; i < noted->len; i++)
    {
      gboolean still = FALSE;

      for (guint j = 0; j < conflicts->len && !still; j++)
        still = g_str_equal (((MdnCardConflict *) g_ptr_array_index (conflicts, j))->entry_id,
                             g_ptr_array_index (noted, i));
      if (!still && !mdn_db_exec (store->db, error,
                                  "DELETE FROM srv_exceptions WHERE member_id = ? AND kind = 'card_conflict' "
                                  "AND entry_id = ?", "ss", member_id, g_ptr_array_index (noted, i)))
        return FALSE;
    }
  for (guint j = 0; j < conflicts->len; j++)
    {
      MdnCardConflict *c = g_ptr_array_index (conflicts, j);
      g_autoptr(JsonObject) d = json_object_new ();
      g_autofree char *detail = NULL;

      if (g_ptr_array_find_with_equal_func (noted, c->entry_id, g_str_equal, NULL))
        continue;
      json_object_set_string_member (d, "kind", c->kind);
      json_object_set_string_member (d, "reason", c->reason);
      mdn_json_set_opt_string (d, "card_no", c->card_no);
      mdn_json_set_opt_string (d, "current_card_no", c->current_card_no);
      detail = mdn_json_object_canonical (d);
      g_message ("member %s: card conflict %s (%s#%" G_GINT64_FORMAT ")", member_id, c->reason,
                 c->branch, c->seq);
      if (!mdn_db_exec (store->db, error,
                        "INSERT INTO srv_exceptions (kind, member_id, entry_id, branch, account, amount, status, "
                        "found_at, detail) VALUES ('card_conflict', ?, ?, ?, 'card', 0, 'noted', ?, ?)",
                        "sssss", member_id, c->entry_id, c->branch, batch->now, detail))
        return FALSE;
    }
  return TRUE;
}

/* Whether @entry can change @member_id's exception: it can open one only by
 * moving one of the member's accounts down, and settle or resize one only
 * when one is open. A member below zero always has an open exception (the
 * entry that took them there opened it), so nothing else needs a look. */
static gboolean
may_change_exception (PushBatch  *batch,
                      MdnEntry   *entry,
                      const char *member_id)
{
  if (g_hash_table_contains (batch->open_members, member_id))
    return TRUE;
  for (guint i = 0; i < entry->movements->len; i++)
    {
      MdnMovement *m = &g_array_index (entry->movements, MdnMovement, i);

      if (m->delta < 0 && g_strcmp0 (m->member_id, member_id) == 0 && !g_str_equal (m->account, "stock"))
        return TRUE;
    }
  return FALSE;
}

static gboolean
apply_pushed (SrvStore  *store,
              PushBatch *batch,
              SrvBranch *branch,
              MdnEntry  *entry,
              GError   **error)
{
  gboolean master = mdn_ledger_kind_is_master (entry->kind);
  gboolean shared = mdn_entry_is_shared (entry) && (!master || branch->hq);
  const char *auth_id = mdn_body_string (entry->body, "auth_id");
  g_autoptr(GPtrArray) members = NULL;

  if (shared)
    {
      g_autoptr(GError) apply_error = NULL;

      if (!mdn_ledger_apply (store->db, entry, &apply_error))
        {
          g_set_error (error, SRV_ERROR, SRV_ERROR_APPLY_FAILED,
                       _("Entry %s#%" PRId64 " (%s) cannot be applied: %s"),
                       entry->branch, entry->seq, entry->kind, apply_error->message);
          return FALSE;
        }
      if (!mdn_db_exec (store->db, error, "INSERT INTO srv_feed (entry_id) VALUES (?)", "s", entry->id))
        return FALSE;
    }
  else if (!mdn_ledger_store (store->db, entry, error))
    return FALSE;

  rollup_entry (batch, entry, branch->hq);

  /* The sale that used an authorization: its movements now debit the
   * balance, so the hold stops counting. */
  if (auth_id && !mdn_db_exec (store->db, error,
                               "UPDATE srv_authorizations SET status = 'used', entry_id = ? "
                               "WHERE auth_id = ? AND status != 'used'", "ss", entry->id, auth_id))
    return FALSE;

  if (!shared)
    return TRUE;
  if (g_str_equal (entry->kind, "sale.return") && !check_over_refund (store, batch, entry, error))
    return FALSE;
  if (g_str_equal (entry->kind, "exception.write_off") && mdn_body_string (entry->body, "sale_entry") &&
      !mdn_db_exec (store->db, error,
                    "UPDATE srv_exceptions SET status = 'settled', settled_at = ?, settled_by = ? "
                    "WHERE kind = 'over_refund' AND sale_entry = ? AND status = 'open'",
                    "sss", batch->now, entry->id, mdn_body_string (entry->body, "sale_entry")))
    return FALSE;
  if (entry->member_id &&
      (g_str_equal (entry->kind, "member.replace") || g_str_equal (entry->kind, "member.lose") ||
       g_str_equal (entry->kind, "member.unlock")) &&
      !note_card_conflicts (store, batch, entry->member_id, error))
    return FALSE;
  /* The members this entry touches, each once. */
  members = g_ptr_array_new ();
  if (entry->member_id)
    g_ptr_array_add (members, entry->member_id);
  for (guint i = 0; i < entry->movements->len; i++)
    {
      MdnMovement *m = &g_array_index (entry->movements, MdnMovement, i);

      if (m->member_id && !g_str_equal (m->account, "stock") &&
          !g_ptr_array_find_with_equal_func (members, m->member_id, g_str_equal, NULL))
        g_ptr_array_add (members, m->member_id);
    }
  for (guint i = 0; i < members->len; i++)
    {
      const char *member_id = g_ptr_array_index (members, i);

      if (may_change_exception (batch, entry, member_id) &&
          !check_overdraft (store, batch, entry, member_id, error))
        return FALSE;
    }
  return TRUE;
}

/* What the server checks of a pushed entry ------------------------------------------ */

static gboolean
refuse (GError    **error,
        MdnEntry   *entry,
        const char *format,
        ...) G_GNUC_PRINTF (3, 4);

static gboolean
refuse (GError    **error,
        MdnEntry   *entry,
        const char *format,
        ...)
{
  va_list ap;
  g_autofree char *reason = NULL;

  va_start (ap, format);
  reason = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, SRV_ERROR, SRV_ERROR_REFUSED_ENTRY, _("Entry %s#%" PRId64 " (%s) is refused: %s"),
               entry->branch, entry->seq, entry->kind, reason);
  return FALSE;
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

/* A card number the pushing branch may give out: its own range (the first
 * three digits are its number, mdn_card_no_make) and not given before. */
static gboolean
check_new_card (SrvStore   *store,
                SrvBranch  *branch,
                MdnEntry   *entry,
                const char *card_no,
                GError    **error)
{
  char prefix[8];
  gboolean taken;

  g_snprintf (prefix, sizeof prefix, "%03" PRId64, branch->number);
  if (!g_str_has_prefix (card_no, prefix))
    return refuse (error, entry, _("card number %s is not in the range of branch %s (%s…)"),
                   card_no, branch->code, prefix);
  if (!lookup_text (store, "SELECT member_id FROM cards WHERE card_no = ?", card_no, &taken, NULL, error))
    return FALSE;
  if (taken)
    return refuse (error, entry, _("card number %s was given out before"), card_no);
  return TRUE;
}

/* What an entry made under an authorization took: its kind at the server
 * (srv_store_authorize, _card, _return), the item and the amount. FALSE
 * for a kind that is made under no authorization. */
static gboolean
spent_under_auth (MdnEntry    *entry,
                  const char **kind,
                  const char **item,
                  gint64      *amount)
{
  JsonObject *b = entry->body;

  *item = "";
  if (g_str_equal (entry->kind, "sale.return"))
    {
      /* srv_store_authorize_return: held against the sale */
      *kind = "return";
      *item = mdn_body_string (b, "sale_entry");
      *amount = mdn_body_int (b, "refund_fen", 0);
    }
  else if (g_str_equal (entry->kind, "member.lose") || g_str_equal (entry->kind, "member.unlock") ||
           g_str_equal (entry->kind, "member.replace"))
    {
      /* srv_store_authorize_card: the amount is the rev it gave */
      *kind = "card";
      *item = entry->kind;
      *amount = mdn_body_int (b, "rev", 0);
    }
  else if (g_str_equal (entry->kind, "package.consume"))
    {
      *kind = "package";
      *item = mdn_body_string (b, "sku");
      *amount = mdn_body_int (b, "count", 0);
    }
  else if (g_str_equal (entry->kind, "points.redeem"))
    {
      *kind = "points";
      *amount = mdn_body_int (b, "points", 0);
    }
  else if (g_str_equal (entry->kind, "sale") || g_str_equal (entry->kind, "sale.quick") ||
           g_str_equal (entry->kind, "timed.stop"))
    {
      /* Both within MDN_ENTRY_AMOUNT_MAX (mdn_entry_check): no overflow. */
      *kind = "balance";
      *amount = mdn_body_int (b, "principal_fen", 0) + mdn_body_int (b, "bonus_fen", 0);
    }
  else
    return FALSE;
  return TRUE;
}

/* An authorization an entry names is one this branch was given, for this
 * member and spend, not used before, and covers what the entry takes. */
static gboolean
check_auth (SrvStore   *store,
            SrvBranch  *branch,
            MdnEntry   *entry,
            const char *auth_id,
            GError    **error)
{
  g_autofree char *prefix = g_strconcat (branch->code, "-", NULL);
  const char *kind, *item;
  gint64 amount;
  sqlite3_stmt *stmt;
  gboolean ok = TRUE;
  int rc;

  if (!g_str_has_prefix (auth_id, prefix))
    return refuse (error, entry, _("authorization %s is not one of branch %s"), auth_id, branch->code);
  if (!spent_under_auth (entry, &kind, &item, &amount))
    return refuse (error, entry, _("an entry of this kind is made under no authorization"));
  stmt = mdn_db_query (store->db, error,
                       "SELECT branch, member_id, kind, item, amount, status FROM srv_authorizations "
                       "WHERE auth_id = ?", "s", auth_id);
  if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      if (!g_str_equal (mdn_db_col_text (stmt, 0), branch->code))
        ok = refuse (error, entry, _("authorization %s was given to branch %s"), auth_id, mdn_db_col_text (stmt, 0));
      else if (g_strcmp0 (mdn_db_col_text (stmt, 1), entry->member_id) != 0)
        ok = refuse (error, entry, _("authorization %s is for another member"), auth_id);
      else if (!g_str_equal (mdn_db_col_text (stmt, 2), kind) || g_strcmp0 (mdn_db_col_text (stmt, 3), item) != 0)
        ok = refuse (error, entry, _("authorization %s is for another kind of spending"), auth_id);
      else if (g_str_equal (kind, "card") ? amount != sqlite3_column_int64 (stmt, 4)
                                          : amount > sqlite3_column_int64 (stmt, 4))
        ok = refuse (error, entry, _("it takes %" PRId64 " under authorization %s, which is for %" PRId64),
                     amount, auth_id, (gint64) sqlite3_column_int64 (stmt, 4));
      else if (g_str_equal (mdn_db_col_text (stmt, 5), "used"))
        ok = refuse (error, entry, _("authorization %s was used before"), auth_id);
    }
  /* Unknown here: a server restored from a backup may have lost it; the
     entry's movements do the debit all the same. */
  sqlite3_reset (stmt);
  return ok;
}

/* A return names a sale this server holds, of its member and kind, and
 * gives back no more than that sale took (each return on its own: two
 * branches may each return the same sale while offline, and refusing the
 * second would stop that branch's sync for good). */
static gboolean
check_return_of_sale (SrvStore  *store,
                      MdnEntry  *entry,
                      GError   **error)
{
  g_autoptr(MdnEntry) sale = NULL;
  g_autoptr(GError) load_error = NULL;
  const char *sale_id = mdn_body_string (entry->body, "sale_entry");
  JsonObject *b = entry->body;

  sale = mdn_entry_load (store->db, sale_id, &load_error);
  if (sale == NULL)
    {
      if (g_error_matches (load_error, MDN_ERROR, MDN_ERROR_UNKNOWN_ENTRY))
        return refuse (error, entry, _("it returns sale %s, which the server does not hold"), sale_id);
      g_propagate_error (error, g_steal_pointer (&load_error));
      return FALSE;
    }
  if (!g_str_equal (sale->kind, mdn_body_string (b, "sale_kind")) ||
      g_strcmp0 (sale->member_id, entry->member_id) != 0)
    return refuse (error, entry, _("it returns %s as a %s of another member or kind"), sale_id, sale->kind);
  if (mdn_body_int (b, "refund_fen", 0) > mdn_body_int (sale->body, "total_fen", 0) ||
      mdn_body_int (b, "principal_fen", 0) + mdn_body_int (b, "bonus_fen", 0) >
        mdn_body_int (sale->body, "principal_fen", 0) + mdn_body_int (sale->body, "bonus_fen", 0) ||
      mdn_body_int (b, "points_taken", 0) > mdn_body_int (sale->body, "points_earned", 0))
    return refuse (error, entry, _("it gives back more than sale %s took"), sale_id);
  return TRUE;
}

/* A timed session is stopped by the branch that started it. */
static gboolean
check_session (SrvStore  *store,
               SrvBranch *branch,
               MdnEntry  *entry,
               GError   **error)
{
  const char *session = mdn_body_string (entry->body, "session_id");
  sqlite3_stmt *stmt;
  gboolean ok;
  int rc;

  stmt = mdn_db_query (store->db, error, "SELECT branch, kind FROM entries WHERE id = ?", "s", session);
  if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
    return FALSE;
  ok = rc == SQLITE_ROW && g_str_equal (mdn_db_col_text (stmt, 0), branch->code) &&
       g_str_equal (mdn_db_col_text (stmt, 1), "timed.start");
  sqlite3_reset (stmt);
  if (!ok)
    return refuse (error, entry, _("it stops session %s, which branch %s did not start"), session, branch->code);
  return TRUE;
}

/* Before a pushed entry is applied: its kind's check (mdn_entry_check,
 * what the branch ran when it wrote it), then what only the server can
 * see: ids and numbers already taken, card numbers out of the branch's
 * range, another branch's authorization or session, a write-off not from
 * the HQ terminal. */
static gboolean
check_pushed (SrvStore  *store,
              SrvBranch *branch,
              MdnEntry  *entry,
              GError   **error)
{
  g_autoptr(GError) check_error = NULL;
  const char *kind = entry->kind;
  const char *auth_id = mdn_body_string (entry->body, "auth_id");
  gboolean found;

  if (!mdn_entry_check (entry, &check_error))
    return refuse (error, entry, "%s", check_error->message);

  if (g_str_equal (kind, "member.issue"))
    {
      if (!lookup_text (store, "SELECT issued_branch FROM members WHERE id = ?", entry->member_id,
                        &found, NULL, error))
        return FALSE;
      if (found)
        return refuse (error, entry, _("member id %s is taken"), entry->member_id);
      if (!check_new_card (store, branch, entry, mdn_body_string (entry->body, "card_no"), error))
        return FALSE;
    }
  else if (g_str_equal (kind, "member.replace"))
    {
      if (!check_new_card (store, branch, entry, mdn_body_string (entry->body, "card_no"), error))
        return FALSE;
    }
  else if (g_str_equal (kind, "exception.write_off") && !branch->hq)
    return refuse (error, entry, _("only the head-office terminal writes exceptions off"));
  else if (g_str_equal (kind, "timed.stop") && !check_session (store, branch, entry, error))
    return FALSE;
  else if (g_str_equal (kind, "sale.return") && !check_return_of_sale (store, entry, error))
    return FALSE;

  if (auth_id && !check_auth (store, branch, entry, auth_id, error))
    return FALSE;
  return TRUE;
}

/* After @entry failed to apply: whether that was because its id or its
 * receipt number is taken (a UNIQUE constraint), said as a refusal. Looked
 * at only then, so that the ingest path pays nothing for it; what this
 * entry itself stored before it failed doesn't count. FALSE with @error
 * set if so. */
static gboolean
refuse_taken (SrvStore  *store,
              MdnEntry  *entry,
              GError   **error)
{
  const char *receipt_no = mdn_body_string (entry->body, "receipt_no");
  sqlite3_stmt *stmt;
  gboolean taken;
  int rc;

  stmt = mdn_db_query (store->db, error, "SELECT branch, seq FROM entries WHERE id = ?", "s", entry->id);
  if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
    return FALSE;
  taken = rc == SQLITE_ROW && (!g_str_equal (mdn_db_col_text (stmt, 0), entry->branch) ||
                               sqlite3_column_int64 (stmt, 1) != entry->seq);
  if (taken)
    {
      g_autofree char *holder = g_strdup (mdn_db_col_text (stmt, 0));

      sqlite3_reset (stmt);
      return refuse (error, entry, _("its id %s is taken by an entry of branch %s"), entry->id, holder);
    }
  sqlite3_reset (stmt);
  if (receipt_no == NULL)
    return TRUE;
  stmt = mdn_db_query (store->db, error, "SELECT entry_id FROM receipts WHERE receipt_no = ?", "s", receipt_no);
  if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
    return FALSE;
  taken = rc == SQLITE_ROW && !g_str_equal (mdn_db_col_text (stmt, 0), entry->id);
  sqlite3_reset (stmt);
  if (taken)
    return refuse (error, entry, _("receipt number %s is taken"), receipt_no);
  return TRUE;
}

/* After a push's entries are applied: the balances they moved stay far
 * from gint64 (each entry moves at most MDN_ENTRY_AMOUNT_MAX, a push holds
 * at most 5000, so nothing wraps before this looks), or the push is
 * refused: SQLite would turn an overflowing sum into a REAL. */
static gboolean
check_balances (SrvStore  *store,
                PushBatch *batch,
                gint64    *failed_seq,
                GError   **error)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, batch->moved);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      sqlite3_stmt *stmt;
      int rc;

      stmt = mdn_db_query (store->db, error,
                           "SELECT 1 FROM members WHERE id = ?1 AND NOT ("
                           "typeof (principal_fen) = 'integer' AND typeof (bonus_fen) = 'integer' AND "
                           "typeof (points) = 'integer' AND principal_fen BETWEEN -?2 AND ?2 AND "
                           "bonus_fen BETWEEN -?2 AND ?2 AND points BETWEEN -?2 AND ?2) "
                           "UNION ALL SELECT 1 FROM member_packages WHERE member_id = ?1 AND NOT ("
                           "typeof (remaining) = 'integer' AND remaining BETWEEN -?2 AND ?2) LIMIT 1",
                           "si", (const char *) key, MDN_MONEY_MAX);
      if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
        return FALSE;
      sqlite3_reset (stmt);
      if (rc == SQLITE_ROW)
        {
          *failed_seq = ((MdnEntry *) value)->seq;
          return refuse (error, value, _("it takes the accounts of member %s beyond what a card can hold"),
                         (const char *) key);
        }
    }
  return TRUE;
}

static gboolean
stored_hash (SrvStore   *store,
             const char *branch,
             gint64      seq,
             char      **out_hash,
             GError    **error)
{
  sqlite3_stmt *stmt;
  int rc;

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

/* Stores a batch of @branch_code's entries, idempotently, in one
 * transaction: entries the server holds with the same hash are no-ops; the
 * same seq with another hash, a gap, a broken chain or an entry of another
 * branch refuse the whole batch. */
gboolean
srv_store_push (SrvStore      *store,
                const char    *branch_code,
                GPtrArray     *entries,
                SrvPushResult *result,
                GError       **error)
{
  g_autoptr(SrvBranch) branch = NULL;
  g_auto(PushBatch) batch = { NULL };
  g_autofree char *at = now_iso ();
  gint64 acked;
  g_autofree char *last_hash = NULL;

  g_return_val_if_fail (store != NULL && entries != NULL && result != NULL, FALSE);

  memset (result, 0, sizeof *result);
  if (!mdn_db_begin (store->db, TRUE, error))
    return FALSE;
  if (!push_batch_init (store, &batch, error))
    goto fail;
  /* Read inside the write transaction: another server process may have
   * moved the high-water mark meanwhile. */
  branch = load_branch (store, "SELECT " BRANCH_COLUMNS " FROM srv_branches WHERE code = ?", branch_code);
  if (branch == NULL)
    {
      g_set_error (error, SRV_ERROR, SRV_ERROR_UNAUTHORIZED, _("Unknown branch %s"), branch_code);
      goto fail;
    }
  acked = branch->acked_seq;
  last_hash = g_strdup (branch->last_hash);

  for (guint i = 0; i < entries->len; i++)
    {
      MdnEntry *entry = g_ptr_array_index (entries, i);
      g_autofree char *hash = NULL;
      g_autoptr(GError) apply_error = NULL;

      result->failed_seq = entry->seq;
      if (!g_str_equal (entry->branch, branch_code))
        {
          g_set_error (error, SRV_ERROR, SRV_ERROR_WRONG_BRANCH,
                       _("Entry %s#%" PRId64 " belongs to branch %s, not to %s; "
                         "each branch pushes only its own entries"),
                       entry->branch, entry->seq, entry->branch, branch_code);
          goto fail;
        }
      hash = mdn_entry_compute_hash (entry);
      if (!g_str_equal (hash, entry->hash))
        {
          g_set_error (error, SRV_ERROR, SRV_ERROR_BAD_HASH,
                       _("Entry %s#%" PRId64 " does not match its hash; it was altered"),
                       entry->branch, entry->seq);
          goto fail;
        }
      if (entry->seq <= acked)
        {
          g_autofree char *held = NULL;

          if (!stored_hash (store, branch_code, entry->seq, &held, error))
            goto fail;
          if (g_strcmp0 (held, entry->hash) != 0)
            {
              g_set_error (error, SRV_ERROR, SRV_ERROR_CONFLICTING_ENTRY,
                           _("The server holds another entry %s#%" PRId64 "; "
                             "this branch's history has forked (restored from a backup?)"),
                           entry->branch, entry->seq);
              g_warning ("ALARM: branch %s pushed a conflicting entry at seq %" G_GINT64_FORMAT,
                         branch_code, entry->seq);
              goto fail;
            }
          result->duplicates++;
          continue;
        }
      if (entry->seq != acked + 1)
        {
          result->expected_seq = acked + 1;
          g_set_error (error, SRV_ERROR, SRV_ERROR_SEQUENCE_GAP,
                       _("Entry %s#%" PRId64 " leaves a gap; the server expects seq %" PRId64),
                       entry->branch, entry->seq, acked + 1);
          goto fail;
        }
      if (!g_str_equal (entry->prev_hash, last_hash))
        {
          g_set_error (error, SRV_ERROR, SRV_ERROR_BROKEN_CHAIN,
                       _("Entry %s#%" PRId64 " does not follow the entry before it (prev_hash)"),
                       entry->branch, entry->seq);
          goto fail;
        }
      if (!check_pushed (store, branch, entry, error))
        goto fail;
      if (!apply_pushed (store, &batch, branch, entry, &apply_error))
        {
          if (refuse_taken (store, entry, error))
            g_propagate_error (error, g_steal_pointer (&apply_error));
          goto fail;
        }
      for (guint m = 0; m < entry->movements->len; m++)
        {
          MdnMovement *mv = &g_array_index (entry->movements, MdnMovement, m);

          if (mv->member_id)
            g_hash_table_insert (batch.moved, mv->member_id, entry);
        }
      acked = entry->seq;
      g_free (last_hash);
      last_hash = g_strdup (entry->hash);
      result->applied++;
    }
  if (!check_balances (store, &batch, &result->failed_seq, error))
    goto fail;
  result->failed_seq = 0;

  if (!rollup_flush (store, &batch, branch_code, error))
    goto fail;
  if (result->applied > 0 &&
      !mdn_db_exec (store->db, error,
                    "UPDATE srv_branches SET acked_seq = ?, last_hash = ?, last_push_at = ? WHERE code = ?",
                    "isss", acked, last_hash, at, branch_code))
    goto fail;
  if (!mdn_db_commit (store->db, error))
    return FALSE;
  result->acked_seq = acked;
  result->feed_position = srv_store_feed_head (store);
  return TRUE;

fail:
  mdn_db_rollback (store->db);
  return FALSE;
}

/* State and feed ------------------------------------------------------------ */

gint64
srv_store_feed_head (SrvStore *store)
{
  sqlite3_stmt *stmt = mdn_db_query (store->db, NULL, "SELECT COALESCE (MAX (pos), 0) FROM srv_feed", "");
  gint64 head = 0;

  if (stmt && mdn_db_step (store->db, stmt, NULL) == SQLITE_ROW)
    head = sqlite3_column_int64 (stmt, 0);
  if (stmt)
    sqlite3_reset (stmt);
  return head;
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
 * a branch's token at most once: a branch that proves it holds the key
 * (@key_id, mdn_chain_key_id) never gets it, and from then on neither does
 * anyone else with that token; one that doesn't gets it in the first answer
 * only ("chain_key"), "chain_key_ok": false after that. */
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
  gboolean handed = FALSE;
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
  handed = sqlite3_column_int (stmt, 0) != 0;
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

  if (!handed)
    {
      /* Once: the first state answer of this token that finds it not handed. */
      g_autofree char *at = now_iso ();

      if (!mdn_db_begin (store->db, TRUE, error))
        return NULL;
      if (!mdn_db_exec (store->db, error,
                        "UPDATE srv_branches SET chain_key_at = ? WHERE code = ? AND chain_key_at IS NULL",
                        "ss", at, branch_code))
        goto fail;
      handed = sqlite3_changes (mdn_db_handle (store->db)) == 0;
      if (!mdn_db_commit (store->db, error))
        return NULL;
      if (!handed)
        {
          g_message ("branch %s %s the chain key", branch_code, holds_key ? "proved it holds" : "was handed");
          if (!holds_key)
            out->chain_key = g_steal_pointer (&key);
        }
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
srv_store_feed (SrvStore *store,
                gint64    after,
                gint64    limit,
                GError  **error)
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
                       "SELECT pos, entry_id FROM srv_feed WHERE pos > ? ORDER BY pos LIMIT ?",
                       "ii", after, limit);
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

static gint64 auth_ttl_seconds = 600;

void
srv_store_set_auth_ttl (gint64 seconds)
{
  auth_ttl_seconds = MAX (seconds, 1);
}

/* A conditional debit against the chain-wide balance: granted when what the
 * member holds, less what other live authorizations hold, covers @amount.
 * The same @auth_id again returns the first answer and holds nothing more. */
SrvAuthorization *
srv_store_authorize (SrvStore   *store,
                     const char *branch_code,
                     const char *member_id,
                     const char *auth_id,
                     const char *kind,
                     const char *item,
                     gint64      amount,
                     const char *pin,
                     SrvPinRefusal *refusal,
                     GError    **error)
{
  g_autoptr(SrvAuthorization) out = NULL;
  g_autofree char *at = now_iso ();
  g_autofree char *today = NULL;
  gint64 now = now_unix (), available = 0, held = 0;
  gboolean pin_checked = FALSE;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (store != NULL, NULL);

  if (refusal)
    refusal->locked_until = refusal->attempts_left = 0;
  if (!srv_rules_check_spend_request (kind, item, amount, error))
    return NULL;
  if (item == NULL)
    item = "";
  {
    g_autoptr(GDateTime) dt = mdn_clock_now ();
    today = mdn_clock_business_date (dt, store->timezone);
  }

  if (!mdn_db_begin (store->db, TRUE, error))
    return NULL;

  stmt = mdn_db_query (store->db, error,
                       "SELECT auth_id, member_id, branch, kind, item, amount, status, expires_at "
                       "FROM srv_authorizations WHERE auth_id = ?", "s", auth_id);
  if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
    goto fail;
  if (rc == SQLITE_ROW)
    {
      gboolean same = g_str_equal (mdn_db_col_text (stmt, 1), member_id) &&
                      g_str_equal (mdn_db_col_text (stmt, 3), kind) &&
                      g_str_equal (mdn_db_col_text (stmt, 4), item) &&
                      sqlite3_column_int64 (stmt, 5) == amount;

      if (same)
        {
          out = auth_from_row (stmt);
          out->duplicate = TRUE;
        }
      sqlite3_reset (stmt);
      mdn_db_rollback (store->db);
      if (!same)
        {
          g_set_error (error, SRV_ERROR, SRV_ERROR_DUPLICATE,
                       _("Authorization %s was already given for something else"), auth_id);
          return NULL;
        }
      return g_steal_pointer (&out);
    }
  sqlite3_reset (stmt);

  /* Expired holds release themselves. */
  if (!mdn_db_exec (store->db, error,
                    "UPDATE srv_authorizations SET status = 'released' "
                    "WHERE member_id = ? AND status = 'held' AND expires_at <= ?", "si", member_id, now))
    goto fail;

  if (g_str_equal (kind, "package"))
    {
      /* Net across the service's lots, as the branch judges it. */
      if (!mdn_package_available (store->db, member_id, item, today, &available, error))
        goto fail;
      stmt = mdn_db_query (store->db, error,
                           "SELECT ?2, EXISTS (SELECT 1 FROM members WHERE id = ?1)", "si", member_id, available);
    }
  else if (g_str_equal (kind, "points"))
    stmt = mdn_db_query (store->db, error,
                         "SELECT points, 1 FROM members WHERE id = ?", "s", member_id);
  else
    stmt = mdn_db_query (store->db, error,
                         "SELECT principal_fen + bonus_fen, 1 FROM members WHERE id = ?", "s", member_id);
  if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
    goto fail;
  if (rc != SQLITE_ROW || sqlite3_column_int (stmt, 1) == 0)
    {
      sqlite3_reset (stmt);
      g_set_error (error, SRV_ERROR, SRV_ERROR_NOT_FOUND, _("No member %s in the chain"), member_id);
      goto fail;
    }
  available = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);

  /* Stored value needs the card's PIN, checked here against the hash the
     chain holds, with the chain-wide count of wrong ones (mdn_pin_verify,
     the branches' rule). A wrong one is counted and committed. */
  if (g_str_equal (kind, "balance"))
    {
      g_autofree char *pin_hash = NULL;
      gboolean wrong = FALSE;

      stmt = mdn_db_query (store->db, error, "SELECT pin_hash FROM members WHERE id = ?", "s", member_id);
      if (stmt == NULL || mdn_db_step (store->db, stmt, error) != SQLITE_ROW)
        goto fail;
      pin_hash = g_strdup (mdn_db_col_text (stmt, 0));
      sqlite3_reset (stmt);
      pin_checked = pin_hash != NULL && *pin_hash != '\0';
      if (!mdn_pin_verify (store->db, member_id, pin_hash, pin, now, &wrong, error))
        {
          MdnLockout after = { 0 }, before = { 0 };

          if (!wrong)
            mdn_lockout_get (store->db, "pin", member_id, now, &before, NULL);
          if (wrong && (!mdn_lockout_fail (store->db, "pin", member_id, now, 1, FALSE, &after, NULL) ||
                        !mdn_db_commit (store->db, NULL)))
            g_warning ("a wrong PIN for %s was not counted", member_id);
          mdn_db_rollback (store->db);
          if (refusal)
            {
              refusal->locked_until = wrong ? after.locked_until : before.locked_until;
              refusal->attempts_left = MDN_LOCKOUT_MAX_FAILURES - after.failures;
            }
          return NULL;
        }
    }

  stmt = mdn_db_query (store->db, error,
                       "SELECT COALESCE (SUM (amount), 0) FROM srv_authorizations "
                       "WHERE member_id = ? AND kind = ? AND item = ? AND status = 'held'",
                       "sss", member_id, kind, item);
  if (stmt == NULL || mdn_db_step (store->db, stmt, error) != SQLITE_ROW)
    goto fail;
  held = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);

  if (!srv_rules_check_spend (available, held, amount, error))
    goto fail;
  if (!mdn_db_exec (store->db, error,
                    "INSERT INTO srv_authorizations (auth_id, member_id, branch, kind, item, amount, status, "
                    "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, 'held', ?, ?)",
                    "sssssisi", auth_id, member_id, branch_code, kind, item, amount, at,
                    now + auth_ttl_seconds))
    goto fail;
  if (!mdn_db_commit (store->db, error))
    return NULL;

  out = auth_new (auth_id, member_id, branch_code, kind, item, amount, "held", now + auth_ttl_seconds);
  out->duplicate = FALSE;
  out->pin_checked = pin_checked;
  out->available = available - held - amount;
  return g_steal_pointer (&out);

fail:
  mdn_db_rollback (store->db);
  return NULL;
}

/* Wrong PINs a branch checked while it could not ask (offline): added to
 * the chain-wide count of each card. Unknown members are skipped (a card
 * not pushed yet). The answer is every PIN lock now. */
GPtrArray *
srv_store_pin_failures (SrvStore            *store,
                        const SrvPinFailure *failures,
                        guint                n_failures,
                        gint64              *counted,
                        GError             **error)
{
  g_autoptr(GPtrArray) locks = NULL;
  gint64 now = now_unix (), total = 0;

  g_return_val_if_fail (store != NULL && (failures != NULL || n_failures == 0), NULL);
  g_return_val_if_fail (counted != NULL, NULL);

  if (n_failures > SRV_MAX_PIN_FAILURES)
    {
      g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID, _("At most 500 failures in one report"));
      return NULL;
    }
  for (guint i = 0; i < n_failures; i++)
    if (failures[i].member_id == NULL || failures[i].count < 1 || failures[i].count > 100)
      {
        g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID, _("A count of wrong PINs is 1 to 100"));
        return NULL;
      }
  if (!mdn_db_begin (store->db, TRUE, error))
    return NULL;
  for (guint i = 0; i < n_failures; i++)
    {
      const char *member = failures[i].member_id;
      sqlite3_stmt *stmt;
      int rc;

      stmt = mdn_db_query (store->db, error, "SELECT 1 FROM members WHERE id = ?", "s", member);
      if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
        goto fail;
      sqlite3_reset (stmt);
      if (rc != SQLITE_ROW)
        continue;
      if (!mdn_lockout_fail (store->db, "pin", member, now, failures[i].count, FALSE, NULL, error))
        goto fail;
      total += failures[i].count;
    }
  if ((locks = load_pin_locks (store, now, error)) == NULL || !mdn_db_commit (store->db, error))
    goto fail;
  *counted = total;
  return g_steal_pointer (&locks);

fail:
  mdn_db_rollback (store->db);
  return NULL;
}

/* Card operations and returns ------------------------------------------------------ */

/* An earlier authorization with @auth_id: *out_same says whether it was
 * given for the same thing (then *out_amount is what it held); FALSE on a
 * database error. */
static gboolean
auth_lookup (SrvStore   *store,
             const char *auth_id,
             const char *member_id,
             const char *kind,
             const char *item,
             const char *detail,
             gboolean   *out_found,
             gboolean   *out_same,
             gint64     *out_amount,
             GError    **error)
{
  sqlite3_stmt *stmt;
  int rc;

  *out_found = *out_same = FALSE;
  stmt = mdn_db_query (store->db, error,
                       "SELECT member_id, kind, item, amount, detail FROM srv_authorizations WHERE auth_id = ?",
                       "s", auth_id);
  if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      *out_found = TRUE;
      *out_same = g_strcmp0 (mdn_db_col_text (stmt, 0), member_id) == 0 &&
                  g_str_equal (mdn_db_col_text (stmt, 1), kind) &&
                  g_str_equal (mdn_db_col_text (stmt, 2), item) &&
                  g_strcmp0 (mdn_db_col_text (stmt, 4), detail) == 0;
      *out_amount = sqlite3_column_int64 (stmt, 3);
    }
  sqlite3_reset (stmt);
  return TRUE;
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

static SrvGrant *
chain_granted (const char *auth_id,
               const char *kind,
               const char *item,
               gint64      amount,
               gboolean    duplicate)
{
  SrvGrant *out = g_new0 (SrvGrant, 1);

  out->auth_id = g_strdup (auth_id);
  out->kind = g_strdup (kind);
  out->item = g_strdup (item);
  out->amount = amount;
  out->duplicate = duplicate;
  return out;
}

/* A card operation (@op: member.lose, member.unlock or member.replace) of
 * the card @card_no at a branch, against the chain-wide card state: the
 * member's projected card, then the card operations other branches were
 * authorized for and have not pushed yet, in the order of their revs.
 * Refused with card_replaced (the branch is behind: the card was replaced,
 * or is being replaced, elsewhere), card_lost (reported lost already) or
 * card_not_lost (unlocked already). Granted, it holds like a spend and
 * gives the entry's rev: one more than every state entry and card
 * authorization of the member, so operations authorized one after the
 * other are ordered as they happened whatever the branches' clocks say.
 * The same @auth_id again gives the first answer. */
SrvGrant *
srv_store_authorize_card (SrvStore   *store,
                          const char *branch_code,
                          const char *member_id,
                          const char *auth_id,
                          const char *op,
                          const char *card_no,
                          gint64      rev,
                          GError    **error)
{
  g_autofree char *at = now_iso ();
  g_autofree char *current = NULL;
  g_auto(SrvCardState) card = { FALSE, NULL, 0 };
  gint64 now = now_unix (), amount = 0;
  gboolean found, same;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (store != NULL && member_id != NULL && auth_id != NULL, NULL);

  if (!srv_rules_check_card_request (auth_id, op, card_no, rev, error))
    return NULL;
  if (!mdn_db_begin (store->db, TRUE, error))
    return NULL;
  if (!auth_lookup (store, auth_id, member_id, "card", op, card_no, &found, &same, &amount, error))
    goto fail;
  if (found)
    {
      mdn_db_rollback (store->db);
      if (!same)
        {
          g_set_error (error, SRV_ERROR, SRV_ERROR_DUPLICATE,
                       _("Authorization %s was already given for something else"), auth_id);
          return NULL;
        }
      return chain_granted (auth_id, "card", op, amount, TRUE);
    }
  if (!mdn_db_exec (store->db, error,
                    "UPDATE srv_authorizations SET status = 'released' "
                    "WHERE member_id = ? AND status = 'held' AND expires_at <= ?", "si", member_id, now))
    goto fail;

  stmt = mdn_db_query (store->db, error, "SELECT card_no, status = 'lost' FROM members WHERE id = ?", "s", member_id);
  if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
    goto fail;
  if (rc == SQLITE_ROW)
    {
      current = g_strdup (mdn_db_col_text (stmt, 0));
      card.lost = sqlite3_column_int (stmt, 1) != 0;
    }
  sqlite3_reset (stmt);
  if (current == NULL)
    {
      g_set_error (error, SRV_ERROR, SRV_ERROR_NOT_FOUND, _("No member %s in the chain"), member_id);
      goto fail;
    }
  card.max_rev = mdn_member_state_rev (store->db, member_id, error);
  if (card.max_rev < 0)
    goto fail;

  stmt = mdn_db_query (store->db, error,
                       "SELECT branch, item, amount FROM srv_authorizations WHERE member_id = ? AND kind = 'card' "
                       "AND status = 'held' ORDER BY amount, created_at", "s", member_id);
  if (stmt == NULL)
    goto fail;
  while ((rc = mdn_db_step (store->db, stmt, error)) == SQLITE_ROW)
    srv_rules_card_fold (&card, mdn_db_col_text (stmt, 1), mdn_db_col_text (stmt, 0),
                         sqlite3_column_int64 (stmt, 2));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    goto fail;

  if (!srv_rules_check_card (&card, current, op, card_no, error))
    goto fail;

  rev = srv_rules_card_rev (&card, rev);
  if (!mdn_db_exec (store->db, error,
                    "INSERT INTO srv_authorizations (auth_id, member_id, branch, kind, item, amount, status, "
                    "created_at, expires_at, detail) VALUES (?, ?, ?, 'card', ?, ?, 'held', ?, ?, ?)",
                    "ssssisis", auth_id, member_id, branch_code, op, rev, at, now + auth_ttl_seconds, card_no) ||
      !mdn_db_commit (store->db, error))
    goto fail;
  return chain_granted (auth_id, "card", op, rev, FALSE);

fail:
  mdn_db_rollback (store->db);
  return NULL;
}

/* A return of @refund_fen (and, for a sale by lines, of @lines
 * [{sku, qty}]) of @sale_id at a branch, against what remains returnable
 * of it chain-wide: what the returns the server holds left, less what live
 * return authorizations hold (mdn_sale_return_check, the branch's rules).
 * Refused with return_exceeds or package_consumed; 404 for a sale the
 * chain does not share (no card: only its own branch knows it). */
SrvGrant *
srv_store_authorize_return (SrvStore   *store,
                            const char *branch_code,
                            const char *sale_id,
                            const char *auth_id,
                            gint64      refund_fen,
                            JsonArray  *lines,
                            GError    **error)
{
  g_autoptr(JsonArray) held_lines = json_array_new ();
  g_autoptr(JsonObject) held_uses = json_object_new ();
  g_autoptr(JsonNode) node = json_node_init_array (json_node_alloc (), lines);
  g_autofree char *at = now_iso ();
  g_autofree char *detail = NULL;
  g_autofree char *member_id = NULL;
  gint64 now = now_unix (), held_refund = 0, amount = 0;
  gboolean found, same;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (store != NULL && sale_id != NULL && auth_id != NULL && lines != NULL, NULL);

  if (!srv_rules_check_return_request (auth_id, refund_fen, lines, error))
    return NULL;
  detail = mdn_json_canonical (node);
  if (!mdn_db_begin (store->db, TRUE, error))
    return NULL;

  stmt = mdn_db_query (store->db, error, "SELECT member_id FROM receipts WHERE entry_id = ?", "s", sale_id);
  if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
    goto fail;
  if (rc == SQLITE_ROW)
    member_id = g_strdup (mdn_db_col_text (stmt, 0));
  sqlite3_reset (stmt);
  if (member_id == NULL)
    {
      g_set_error (error, SRV_ERROR, SRV_ERROR_NOT_FOUND, _("No sale %s with a card in the chain"), sale_id);
      goto fail;
    }
  if (!auth_lookup (store, auth_id, member_id, "return", sale_id, detail, &found, &same, &amount, error))
    goto fail;
  if (found)
    {
      mdn_db_rollback (store->db);
      if (!same || amount != refund_fen)
        {
          g_set_error (error, SRV_ERROR, SRV_ERROR_DUPLICATE,
                       _("Authorization %s was already given for something else"), auth_id);
          return NULL;
        }
      return chain_granted (auth_id, "return", sale_id, amount, TRUE);
    }
  if (!mdn_db_exec (store->db, error,
                    "UPDATE srv_authorizations SET status = 'released' "
                    "WHERE member_id = ? AND status = 'held' AND expires_at <= ?", "si", member_id, now))
    goto fail;

  stmt = mdn_db_query (store->db, error,
                       "SELECT amount, detail FROM srv_authorizations WHERE kind = 'return' AND item = ? "
                       "AND status = 'held'", "s", sale_id);
  if (stmt == NULL)
    goto fail;
  while ((rc = mdn_db_step (store->db, stmt, error)) == SQLITE_ROW)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonNode *root;

      held_refund += sqlite3_column_int64 (stmt, 0);
      if (mdn_db_col_text (stmt, 1) && json_parser_load_from_data (parser, mdn_db_col_text (stmt, 1), -1, NULL) &&
          (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_ARRAY (root))
        for (guint i = 0; i < json_array_get_length (json_node_get_array (root)); i++)
          json_array_add_element (held_lines, json_node_copy (json_array_get_element (json_node_get_array (root), i)));
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    goto fail;

  /* Package uses other branches were authorized to spend and have not
     pushed yet: a return of a package must leave them covered. */
  stmt = mdn_db_query (store->db, error,
                       "SELECT item, SUM (amount) FROM srv_authorizations WHERE member_id = ? AND kind = 'package' "
                       "AND status = 'held' GROUP BY item", "s", member_id);
  if (stmt == NULL)
    goto fail;
  while ((rc = mdn_db_step (store->db, stmt, error)) == SQLITE_ROW)
    json_object_set_int_member (held_uses, mdn_db_col_text (stmt, 0), sqlite3_column_int64 (stmt, 1));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    goto fail;

  if (!mdn_sale_return_check (store->db, sale_id, refund_fen, lines, held_refund, held_lines, held_uses, error))
    goto fail;
  if (!mdn_db_exec (store->db, error,
                    "INSERT INTO srv_authorizations (auth_id, member_id, branch, kind, item, amount, status, "
                    "created_at, expires_at, detail) VALUES (?, ?, ?, 'return', ?, ?, 'held', ?, ?, ?)",
                    "ssssisis", auth_id, member_id, branch_code, sale_id, refund_fen, at,
                    now + auth_ttl_seconds, detail) ||
      !mdn_db_commit (store->db, error))
    goto fail;
  return chain_granted (auth_id, "return", sale_id, refund_fen, FALSE);

fail:
  mdn_db_rollback (store->db);
  return NULL;
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
                       "SELECT branch, SUM (principal_delta_fen), SUM (bonus_delta_fen) FROM srv_rollup_day "
                       "WHERE business_date <= ?1 AND (?2 IS NULL OR branch = ?2) GROUP BY branch",
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
