/* mdn-backup.c: backups of the ledger into a folder, their schedule and
 * their record (mdn-backup.h). */
#define G_LOG_DOMAIN "mdn-backup"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "mdn-backup.h"
#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-settings.h"

char *
mdn_backup_dir_dup (MdnStore *store)
{
  g_autofree char *dir = NULL, *parent = NULL;

  g_return_val_if_fail (store != NULL, NULL);

  dir = mdn_settings_dup_string (store->db, "backup.dir");
  if (*dir != '\0')
    return g_steal_pointer (&dir);
  parent = g_path_get_dirname (mdn_db_path (store->db));
  return g_build_filename (parent, "backups", NULL);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

gboolean
mdn_backup_prune (const char *dir,
                  const char *branch_code,
                  guint       keep,
                  GError    **error)
{
  g_autofree char *prefix = NULL;
  g_autoptr(GPtrArray) old = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDir) d = NULL;
  const char *name;

  g_return_val_if_fail (dir != NULL && branch_code != NULL, FALSE);

  if (keep == 0)
    return TRUE;
  prefix = g_strdup_printf ("mendian-%s-", branch_code);
  d = g_dir_open (dir, 0, error);
  if (d == NULL)
    return FALSE;
  while ((name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, prefix) && g_str_has_suffix (name, ".db"))
      g_ptr_array_add (old, g_strdup (name));
  /* Named to sort by time: the oldest first. */
  g_ptr_array_sort (old, compare_names);
  for (guint i = 0; old->len > keep && i < old->len - keep; i++)
    {
      g_autofree char *path = g_build_filename (dir, g_ptr_array_index (old, i), NULL);

      if (g_unlink (path) != 0 && errno != ENOENT)
        g_warning ("an old backup %s was not deleted: %s", path, g_strerror (errno));
    }
  return TRUE;
}

/* Whether @dir is a folder this process can write to; the reason in words
 * otherwise. */
static gboolean
dir_ready (const char *dir,
           gboolean    create,
           GError    **error)
{
  if (!g_file_test (dir, G_FILE_TEST_EXISTS))
    {
      if (create && g_mkdir_with_parents (dir, 0700) == 0)
        return TRUE;
      if (create)
        {
          int saved = errno;

          g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                       _("The backup folder %s cannot be made: %s"), dir, g_strerror (saved));
        }
      else
        g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                     _("The backup folder %s does not exist: connect the drive it is on, "
                       "or choose another folder in the settings (Backup folder)"), dir);
      return FALSE;
    }
  if (!g_file_test (dir, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("The backup folder %s is a file, not a folder: choose another folder in the settings "
                     "(Backup folder)"), dir);
      return FALSE;
    }
  if (access (dir, W_OK | X_OK) != 0)
    {
      int saved = errno;

      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("The backup folder %s cannot be written to (%s): let this computer's user write there, "
                     "or choose another folder in the settings (Backup folder)"), dir, g_strerror (saved));
      return FALSE;
    }
  return TRUE;
}

gboolean
mdn_backup_to_dir (MdnDb       *db,
                   const char  *branch_code,
                   const char  *dir,
                   guint        keep,
                   GDateTime   *now,
                   gboolean     create,
                   char       **out_path,
                   GError     **error)
{
  g_autofree char *stamp = NULL, *prefix = NULL, *to = NULL;
  int usec;

  g_return_val_if_fail (db != NULL && branch_code != NULL && dir != NULL && now != NULL, FALSE);

  if (!dir_ready (dir, create, error))
    return FALSE;
  stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  prefix = g_strdup_printf ("mendian-%s-", branch_code);
  /* mendian-B01-20261122-230000-000123.db: named to sort by time, never
     over an earlier one and after every one of the same second (a fixed
     clock gives the same second each time). */
  usec = g_date_time_get_microsecond (now);
  {
    g_autofree char *second = g_strdup_printf ("%s%s-", prefix, stamp);
    g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
    const char *name;

    while (d && (name = g_dir_read_name (d)) != NULL)
      if (g_str_has_prefix (name, second) && g_str_has_suffix (name, ".db"))
        {
          gint64 n = g_ascii_strtoll (name + strlen (second), NULL, 10);

          if (n >= usec)
            usec = (int) MIN (n + 1, 999999);
        }
  }
  for (; to == NULL || g_file_test (to, G_FILE_TEST_EXISTS); usec++)
    {
      g_autofree char *name = g_strdup_printf ("%s%s-%06d.db", prefix, stamp, usec % 1000000);

      g_free (to);
      to = g_build_filename (dir, name, NULL);
    }
  if (!mdn_db_backup (db, to, error))
    {
      g_unlink (to);
      return FALSE;
    }
  if (!mdn_backup_prune (dir, branch_code, keep, error))
    return FALSE;
  if (out_path)
    *out_path = g_steal_pointer (&to);
  return TRUE;
}

static char *
business_date (GDateTime *dt,
               GTimeZone *tz)
{
  g_autoptr(GTimeZone) fallback = tz ? NULL : g_time_zone_new_offset (8 * 3600);
  g_autoptr(GDateTime) local = g_date_time_to_timezone (dt, tz ? tz : fallback);

  return g_date_time_format (local, "%Y-%m-%d");
}

gboolean
mdn_backup_due (GDateTime *last_ok,
                GDateTime *last_failed,
                GDateTime *now,
                GTimeZone *tz)
{
  g_return_val_if_fail (now != NULL, FALSE);

  if (last_ok != NULL)
    {
      g_autofree char *done = business_date (last_ok, tz);
      g_autofree char *today = business_date (now, tz);

      /* Done today (or, with the clock set back, on a later day). */
      if (strcmp (done, today) >= 0)
        return FALSE;
    }
  if (last_failed != NULL)
    {
      GTimeSpan since = g_date_time_difference (now, last_failed);

      if (since >= 0 && since < (GTimeSpan) MDN_BACKUP_RETRY_SECONDS * G_TIME_SPAN_SECOND)
        return FALSE;
    }
  return TRUE;
}

void
mdn_backup_state_clear (MdnBackupState *state)
{
  g_return_if_fail (state != NULL);

  g_clear_pointer (&state->last_at, g_date_time_unref);
  g_clear_pointer (&state->last_detail, g_free);
  g_clear_pointer (&state->last_op, g_free);
  g_clear_pointer (&state->last_ok_at, g_date_time_unref);
  g_clear_pointer (&state->last_failed_at, g_date_time_unref);
  state->last_ok = FALSE;
}

/* The time of the newest backup line with ok = @ok (-1: either). */
static gboolean
newest (MdnDb           *db,
        int              ok,
        MdnBackupState  *state,
        GDateTime      **at,
        GError         **error)
{
  sqlite3_stmt *stmt;
  int rc;

  /* A backup.now refused to someone who may not is no backup that failed;
     and only the schedule's own failures make it wait before trying again. */
  stmt = mdn_db_query (db, error,
                       "SELECT at, ok, detail, op FROM oplog WHERE op IN ('backup.now', 'backup.daily') "
                       "AND NOT (ok = 0 AND detail IS 'permission_denied') "
                       "AND (? < 0 OR ok = ?) AND (? <> 0 OR op = 'backup.daily') ORDER BY id DESC LIMIT 1",
                       "iii", (gint64) ok, (gint64) ok, (gint64) ok);
  if (stmt == NULL)
    return FALSE;
  rc = mdn_db_step (db, stmt, error);
  if (rc == SQLITE_ROW)
    {
      *at = mdn_clock_parse (mdn_db_col_text (stmt, 0));
      if (ok < 0)
        {
          state->last_ok = sqlite3_column_int (stmt, 1) != 0;
          state->last_detail = g_strdup (mdn_db_col_text (stmt, 2));
          state->last_op = g_strdup (mdn_db_col_text (stmt, 3));
        }
    }
  sqlite3_reset (stmt);
  return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

gboolean
mdn_backup_state_load (MdnDb          *db,
                       MdnBackupState *state,
                       GError        **error)
{
  g_return_val_if_fail (db != NULL && state != NULL, FALSE);

  memset (state, 0, sizeof *state);
  if (!newest (db, -1, state, &state->last_at, error) ||
      !newest (db, 1, state, &state->last_ok_at, error) ||
      !newest (db, 0, state, &state->last_failed_at, error))
    {
      mdn_backup_state_clear (state);
      return FALSE;
    }
  return TRUE;
}

gboolean
mdn_backup_daily_due (MdnStore  *store,
                      GDateTime *now)
{
  MdnBackupState state;
  g_autoptr(GDateTime) clock = NULL;
  g_autoptr(GError) error = NULL;
  gboolean due;

  g_return_val_if_fail (store != NULL, FALSE);

  if (!mdn_settings_get_bool (store->db, "backup.daily"))
    return FALSE;
  if (!mdn_backup_state_load (store->db, &state, &error))
    {
      g_warning ("the backups of the operation log were not read: %s", error->message);
      return FALSE;
    }
  if (now == NULL)
    now = clock = mdn_clock_now ();
  due = mdn_backup_due (state.last_ok_at, state.last_failed_at, now, store->tz);
  mdn_backup_state_clear (&state);
  return due;
}

gboolean
mdn_backup_record (MdnStore   *store,
                   const char *op,
                   const char *staff,
                   const char *terminal,
                   gboolean    ok,
                   const char *detail,
                   GError    **error)
{
  g_autoptr(GDateTime) now = mdn_clock_now ();
  g_autoptr(GDateTime) local = NULL;
  g_autofree char *at = NULL;

  g_return_val_if_fail (store != NULL && op != NULL, FALSE);
  g_return_val_if_fail (!mdn_db_in_transaction (store->db), FALSE);

  /* As mdn_ops_run's own lines: in the branch's time zone. */
  local = store->tz ? g_date_time_to_timezone (now, store->tz) : g_date_time_ref (now);
  at = mdn_clock_format (local);
  if (!mdn_db_begin (store->db, TRUE, error))
    return FALSE;
  if (!mdn_db_exec (store->db, error,
                    "INSERT INTO oplog (at, staff, op, ok, detail, terminal) VALUES (?, ?, ?, ?, ?, ?)",
                    "sssiss", at, staff, op, (gint64) ok, detail, terminal ? terminal : g_get_host_name ()))
    {
      mdn_db_rollback (store->db);
      return FALSE;
    }
  return mdn_db_commit (store->db, error);
}

/* backup.now {dir?}: into @dir (which must exist) or the daily folder
 * (made if it is the default one beside the ledger). */
static gboolean
op_backup_now (MdnOpCtx   *ctx,
               JsonObject *args,
               JsonObject *result,
               GError    **error)
{
  const char *dir = NULL;
  g_autofree char *daily = NULL, *path = NULL, *set = NULL;
  g_autoptr(GDateTime) local = NULL;
  g_autoptr(MdnDb) source = NULL;
  gboolean create;

  if (!mdn_args_string (args, "dir", FALSE, &dir, error))
    return FALSE;
  if (dir == NULL)
    dir = daily = mdn_backup_dir_dup (ctx->store);
  set = mdn_settings_dup_string (ctx->db, "backup.dir");
  create = daily != NULL && *set == '\0';
  local = ctx->store->tz ? g_date_time_to_timezone (ctx->now, ctx->store->tz) : g_date_time_ref (ctx->now);
  /* From a connection of its own: this one holds the operation's write
     transaction, which SQLite's backup cannot copy from; the other reads
     the last committed state, whole (WAL). */
  source = mdn_db_open (mdn_db_path (ctx->db), "branch", error);
  if (source == NULL ||
      !mdn_backup_to_dir (source, ctx->store->branch_code, dir,
                          (guint) mdn_settings_get_int (ctx->db, "backup.keep"), local, create, &path, error))
    return FALSE;
  json_object_set_string_member (result, "backup", path);
  json_object_set_string_member (result, "dir", dir);
  return TRUE;
}

const MdnOpDef mdn_backup_ops[] = {
  /* MDN_OP_WRITE: its attempt and outcome go to the operation log. */
  { "backup.now", MDN_ROLE_MANAGER, MDN_OP_WRITE, op_backup_now },
  { NULL }
};
