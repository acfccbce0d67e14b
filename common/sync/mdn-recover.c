/* mdn-recover.c: what the back office adds to sync: the operation log
 * pushed after the entries (POST /api/v1/sync/oplog), a branch made whole
 * again from the server's copy of its own entries (mdn_sync_recover, GET
 * /api/v1/sync/own), also from nothing but its token
 * (mdn_sync_recover_new), and a restore from a backup file
 * (mdn_store_restore). */
#define G_LOG_DOMAIN "mdn-recover"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-entry-check.h"
#include "mdn-entry-codec.h"
#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-ops.h"
#include "mdn-staff.h"
#include "mdn-sync-private.h"
#include "mdn-sync.h"

#define OPLOG_BATCH 500
#define OWN_PAGE    500

/* The operation log --------------------------------------------------------------------- */

gboolean
mdn_sync_push_oplog (Client        *c,
                     GCancellable  *cancellable,
                     GError       **error)
{
  MdnDb *db = c->store->db;

  for (;;)
    {
      g_autoptr(JsonObject) body = json_object_new ();
      g_autoptr(JsonObject) answer = NULL;
      g_autoptr(JsonObject) refusal = NULL;
      g_autoptr(GError) local_error = NULL;
      JsonArray *rows = json_array_new ();
      gint64 first = 0, last = 0;
      guint n = 0;
      sqlite3_stmt *stmt;
      int rc;

      json_object_set_array_member (body, "rows", rows);
      stmt = mdn_db_query (db, error,
                           "SELECT id, at, staff, op, ok, detail, terminal, entry_id FROM oplog "
                           "WHERE sent = 0 ORDER BY id LIMIT ?", "i", (gint64) OPLOG_BATCH);
      if (stmt == NULL)
        return FALSE;
      while ((rc = mdn_db_step (db, stmt, error)) == SQLITE_ROW)
        {
          JsonObject *o = json_object_new ();

          last = sqlite3_column_int64 (stmt, 0);
          if (n++ == 0)
            first = last;
          json_object_set_int_member (o, "id", last);
          json_object_set_string_member (o, "at", mdn_db_col_text (stmt, 1));
          mdn_json_set_opt_string (o, "staff", mdn_db_col_text (stmt, 2));
          json_object_set_string_member (o, "op", mdn_db_col_text (stmt, 3));
          json_object_set_boolean_member (o, "ok", sqlite3_column_int (stmt, 4) != 0);
          mdn_json_set_opt_string (o, "detail", mdn_db_col_text (stmt, 5));
          mdn_json_set_opt_string (o, "terminal", mdn_db_col_text (stmt, 6));
          mdn_json_set_opt_string (o, "entry_id", mdn_db_col_text (stmt, 7));
          json_array_add_object_element (rows, o);
        }
      sqlite3_reset (stmt);
      if (rc != SQLITE_DONE)
        return FALSE;
      if (n == 0)
        return TRUE;
      answer = mdn_sync_client_call (c, "POST", "/api/v1/sync/oplog", body, cancellable, &refusal, &local_error);
      if (answer == NULL)
        {
          /* An older server without the route, or a refusal: the rows wait
             for the next sync, the entries' sync goes on. */
          if (g_error_matches (local_error, MDN_ERROR, MDN_ERROR_SYNC_REFUSED))
            {
              g_warning ("operation log not pushed: %s", local_error->message);
              return TRUE;
            }
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if (!mdn_db_begin (db, TRUE, error))
        return FALSE;
      if (!mdn_db_exec (db, error, "UPDATE oplog SET sent = 1 WHERE id BETWEEN ? AND ? AND sent = 0",
                        "ii", first, last) ||
          !mdn_db_commit (db, error))
        {
          mdn_db_rollback (db);
          return FALSE;
        }
      if (n < OPLOG_BATCH)
        return TRUE;
    }
}

/* Recovery ------------------------------------------------------------------------------- */

static gboolean
own_head (MdnStore *store,
          gint64   *out_seq,
          char    **out_hash,
          GError  **error)
{
  sqlite3_stmt *stmt = mdn_db_query (store->db, error,
                                     "SELECT seq, hash FROM entries WHERE branch = ? ORDER BY seq DESC LIMIT 1",
                                     "s", store->branch_code);
  int rc;

  if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
    return FALSE;
  *out_seq = rc == SQLITE_ROW ? sqlite3_column_int64 (stmt, 0) : 0;
  *out_hash = rc == SQLITE_ROW ? g_strdup (mdn_db_col_text (stmt, 1)) : NULL;
  sqlite3_reset (stmt);
  return TRUE;
}

/* One page of own entries, each the next of the chain, in one transaction. */
static gboolean
apply_own_page (MdnStore  *store,
                JsonArray *list,
                gint64    *seq,
                char     **hash,
                gint64    *recovered,
                GError   **error)
{
  MdnDb *db = store->db;
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_entry_free);
  g_autoptr(JsonObject) wrap = json_object_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) read_error = NULL;
  g_autofree char *text = NULL;
  gint index = -1;

  /* Read by the one entry codec, as pushes and feed pages are. */
  json_object_set_array_member (wrap, "entries", json_array_ref (list));
  node = json_node_init_object (json_node_alloc (), wrap);
  text = json_to_string (node, FALSE);
  if (!mdn_entry_codec_read_push (text, strlen (text), OWN_PAGE + 1, entries, &index, &read_error))
    {
      if (read_error->domain == MDN_ERROR)
        g_propagate_error (error, g_steal_pointer (&read_error));
      else
        g_set_error_literal (error, MDN_ERROR, MDN_ERROR_SYNC_REFUSED, _("The server's answer is malformed"));
      return FALSE;
    }
  if (!mdn_db_begin (db, TRUE, error))
    return FALSE;
  for (guint i = 0; i < entries->len; i++)
    {
      MdnEntry *entry = g_ptr_array_index (entries, i);
      g_autofree char *computed = NULL;

      computed = mdn_entry_compute_hash (entry);
      if (!g_str_equal (entry->branch, store->branch_code) || entry->seq != *seq + 1 ||
          !g_str_equal (computed, entry->hash) ||
          (*hash != NULL && g_strcmp0 (entry->prev_hash, *hash) != 0))
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_CORRUPT,
                       _("Entry %s#%" PRId64 " from the server does not follow this branch's history; "
                         "nothing was recovered from it"), entry->branch, entry->seq);
          goto fail;
        }
      if (!mdn_entry_check (entry, error) || !mdn_ledger_apply (db, entry, error))
        {
          g_prefix_error (error, _("Recovering %s#%" PRId64 ": "), entry->branch, entry->seq);
          goto fail;
        }
      *seq = entry->seq;
      g_free (*hash);
      *hash = g_strdup (entry->hash);
      (*recovered)++;
    }
  return mdn_db_commit (db, error);

fail:
  mdn_db_rollback (db);
  return FALSE;
}

/* Staff rows are this branch's own and never leave it (their passwords
 * least of all), so a branch rebuilt from the server's copy, or restored
 * from a backup older than some of its staff, lacks them. Everyone who
 * wrote an entry of this branch comes back under the same code (so the
 * history, commissions and the log still name them) as a cashier without
 * a password: nobody can log in with it until the administrator gives it
 * one (staff.passwd) and sets the right role and name (staff.update). */
gboolean
mdn_sync_restore_staff (MdnStore *store,
                        gint64   *out_added,
                        GError  **error)
{
  g_return_val_if_fail (store != NULL, FALSE);

  if (!mdn_db_begin (store->db, TRUE, error))
    return FALSE;
  if (!mdn_db_exec (store->db, error,
                    "INSERT INTO staff (code, name, role, pw_hash, active, created_at) "
                    "SELECT e.staff, e.staff, 'cashier', ?, 1, min (e.at) FROM entries e "
                    "WHERE e.branch = ? AND e.staff IS NOT NULL AND e.staff <> '' "
                    "AND NOT EXISTS (SELECT 1 FROM staff s WHERE s.code = e.staff) GROUP BY e.staff",
                    "ss", MDN_STAFF_NO_PASSWORD, store->branch_code))
    {
      mdn_db_rollback (store->db);
      return FALSE;
    }
  if (out_added)
    *out_added = sqlite3_changes (mdn_db_handle (store->db));
  return mdn_db_commit (store->db, error);
}

static gboolean
recover_with (Client        *c,
              gint64        *out_recovered,
              GCancellable  *cancellable,
              GError       **error)
{
  g_autofree char *hash = NULL;
  gint64 seq = 0, recovered = 0;

  if (!own_head (c->store, &seq, &hash, error))
    return FALSE;
  for (;;)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/sync/own?after=%" G_GINT64_FORMAT "&limit=%d", seq, OWN_PAGE);
      g_autoptr(JsonObject) page = mdn_sync_client_call (c, "GET", path, NULL, cancellable, NULL, error);
      JsonNode *items;

      if (page == NULL)
        return FALSE;
      items = json_object_get_member (page, "entries");
      if (items == NULL || !JSON_NODE_HOLDS_ARRAY (items))
        {
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_SYNC_REFUSED, _("The server's answer is malformed"));
          return FALSE;
        }
      if (!apply_own_page (c->store, json_node_get_array (items), &seq, &hash, &recovered, error))
        return FALSE;
      if (!json_object_get_boolean_member_with_default (page, "more", FALSE) ||
          json_array_get_length (json_node_get_array (items)) == 0)
        break;
    }
  if (out_recovered)
    *out_recovered = recovered;
  {
    gint64 added = 0;

    if (!mdn_sync_restore_staff (c->store, &added, error))
      return FALSE;
    if (added > 0)
      g_message ("%" G_GINT64_FORMAT " staff members restored from the ledger, without a password", added);
  }
  return TRUE;
}

/* Fetches this branch's own entries the server holds beyond the local
 * high-water mark and applies them, then syncs as usual. The server
 * answers only the branch its token belongs to. */
gboolean
mdn_sync_recover (MdnStore      *store,
                  gint64        *out_recovered,
                  GCancellable  *cancellable,
                  GError       **error)
{
  g_auto(Client) c = { 0 };

  g_return_val_if_fail (store != NULL, FALSE);

  if (!mdn_sync_client_init (&c, store, error) ||
      !recover_with (&c, out_recovered, cancellable, error))
    return FALSE;
  return mdn_sync_run (store, NULL, cancellable, error);
}

/* A branch database made at @path from nothing but the branch's token: its
 * identity from the server, its admin with @admin_password, the chain key
 * from @chain_key_hex (the one head office holds; NULL: the sync refuses
 * until head office rotates the token, see take_chain_key), then every
 * entry of its own and the feed. */
MdnStore *
mdn_sync_recover_new (const char  *path,
                      const char  *url,
                      const char  *token,
                      const char  *ca_file,
                      const char  *pin_sha256,
                      const char  *admin_password,
                      const char  *chain_key_hex,
                      const char  *timezone,
                      gint64      *out_recovered,
                      GError     **error)
{
  g_autofree char *tmpdir = NULL;
  g_autofree char *tmp = NULL;
  g_autoptr(MdnStore) probe = NULL;
  g_autoptr(MdnStore) store = NULL;
  g_autoptr(JsonObject) page = NULL;
  g_autofree char *code = NULL;
  g_autofree char *name = NULL;
  JsonObject *branch;
  gint64 number;
  gboolean hq;

  g_return_val_if_fail (path != NULL && url != NULL && token != NULL && admin_password != NULL, NULL);

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_ALREADY_INITIALIZED,
                   _("%s already exists: recover it in place, or give a new file"), path);
      return NULL;
    }
  /* Who we are: asked with the token from a throw-away database. */
  tmpdir = g_dir_make_tmp ("mendian-recover-XXXXXX", error);
  if (tmpdir == NULL)
    return NULL;
  tmp = g_build_filename (tmpdir, "probe.db", NULL);
  {
    MdnStoreInit init = { .branch_code = "RECOVER", .branch_name = "RECOVER", .branch_number = 0,
                          .admin_password = admin_password };
    g_auto(Client) c = { 0 };

    probe = mdn_store_init (tmp, &init, error);
    if (probe == NULL || !mdn_sync_link (probe, url, token, ca_file, pin_sha256, error) ||
        !mdn_sync_client_init (&c, probe, error))
      goto out;
    page = mdn_sync_client_call (&c, "GET", "/api/v1/sync/own?after=0&limit=1", NULL, NULL, NULL, error);
  }
  if (page == NULL)
    goto out;
  branch = json_object_get_object_member (page, "branch");
  if (branch == NULL || json_object_get_string_member_with_default (branch, "code", NULL) == NULL)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_SYNC_REFUSED, _("The server's answer is malformed"));
      goto out;
    }
  code = g_strdup (json_object_get_string_member (branch, "code"));
  name = g_strdup (json_object_get_string_member_with_default (branch, "name", code));
  number = json_object_get_int_member_with_default (branch, "number", 0);
  hq = json_object_get_boolean_member_with_default (branch, "hq", FALSE);
  {
    MdnStoreInit init = { .branch_code = code, .branch_name = name ? name : code, .branch_number = (int) number,
                          .hq = hq, .timezone = timezone, .admin_password = admin_password,
                          .chain_key_hex = chain_key_hex, .no_entries = TRUE };
    g_auto(Client) c = { 0 };

    store = mdn_store_init (path, &init, error);
    if (store == NULL || !mdn_sync_link (store, url, token, ca_file, pin_sha256, error) ||
        !mdn_sync_client_init (&c, store, error) ||
        !recover_with (&c, out_recovered, NULL, error))
      {
        g_clear_pointer (&store, mdn_store_free);
        goto out;
      }
  }
  if (!mdn_sync_run (store, NULL, NULL, error))
    g_clear_pointer (&store, mdn_store_free);

out:
  g_clear_pointer (&probe, mdn_store_free);
  if (tmp)
    {
      g_autofree char *wal = g_strconcat (tmp, "-wal", NULL);
      g_autofree char *shm = g_strconcat (tmp, "-shm", NULL);

      g_unlink (tmp);
      g_unlink (wal);
      g_unlink (shm);
      g_rmdir (tmpdir);
    }
  return g_steal_pointer (&store);
}

/* Restore -------------------------------------------------------------------------------- */

static void
count_mismatch (const char *what,
                const char *expected,
                const char *found,
                gpointer    user_data)
{
  g_message ("restore: %s: expected %s, found %s", what, expected, found);
}

/* Replaces the database at @path by the backup @from, after checking that
 * it is a Mendian branch database of the same branch that verifies clean.
 * The database it replaces is kept beside it (@out_side: its name). */
gboolean
mdn_store_restore (const char  *path,
                   const char  *from,
                   char       **out_side,
                   GError     **error)
{
  g_autoptr(MdnStore) backup = NULL;
  g_autoptr(MdnStore) current = NULL;
  g_autofree char *side = NULL;
  g_autofree char *copy_dir = NULL;
  g_autofree char *copy = NULL;
  guint mismatches = 0;
  gboolean ok = FALSE;

  g_return_val_if_fail (path != NULL && from != NULL, FALSE);

  if (!g_file_test (from, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("There is no backup file %s"), from);
      return FALSE;
    }
  /* Checked on a copy: opening migrates, and the backup stays as it was. */
  copy_dir = g_dir_make_tmp ("mendian-restore-XXXXXX", error);
  if (copy_dir == NULL)
    return FALSE;
  copy = g_build_filename (copy_dir, "backup.db", NULL);
  {
    g_autoptr(GFile) src = g_file_new_for_path (from);
    g_autoptr(GFile) dst = g_file_new_for_path (copy);

    if (!g_file_copy (src, dst, G_FILE_COPY_NONE, NULL, NULL, NULL, error))
      goto out;
    g_chmod (copy, 0600);
  }
  backup = mdn_store_open (copy, NULL);
  if (backup == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("%s is not a Mendian branch database"), from);
      goto out;
    }
  if (!mdn_ledger_verify (backup, count_mismatch, NULL, &mismatches, error))
    goto out;
  if (mismatches > 0)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_CORRUPT,
                   _("The backup %s fails verification (%u mismatches); it was not restored"), from, mismatches);
      goto out;
    }
  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autoptr(GDateTime) now = mdn_clock_now ();
      g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");

      current = mdn_store_open (path, error);
      if (current == NULL)
        goto out;
      if (!g_str_equal (current->branch_code, backup->branch_code))
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                       _("The backup is of branch %s, this database of branch %s; it was not restored"),
                       backup->branch_code, current->branch_code);
          goto out;
        }
      side = g_strdup_printf ("%s.before-restore-%s", path, stamp);
      if (!mdn_db_backup (current->db, side, error))
        goto out;
      g_clear_pointer (&current, mdn_store_free);
    }
  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (path, "-shm", NULL);

    g_unlink (wal);
    g_unlink (shm);
    g_unlink (path);
  }
  if (!mdn_db_backup (backup->db, path, error))
    goto out;
  ok = TRUE;
  if (out_side)
    *out_side = g_steal_pointer (&side);

out:
  g_clear_pointer (&backup, mdn_store_free);
  {
    g_autofree char *wal = g_strconcat (copy, "-wal", NULL);
    g_autofree char *shm = g_strconcat (copy, "-shm", NULL);

    g_unlink (copy);
    g_unlink (wal);
    g_unlink (shm);
    g_rmdir (copy_dir);
  }
  return ok;
}
