/* test-backup.c: backups into a folder (common/sync/mdn-backup.c): when the
 * daily backup is due (a fixed clock, MENDIAN_NOW), how many are kept, the
 * refusal of a missing or unusable folder, the operation backup.now and
 * the record of each backup in the operation log. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "mdn-backup.h"
#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-settings.h"
#include "mdn-sync.h"
#include "mdn-test-util.h"

static GDateTime *
at (const char *iso)
{
  GDateTime *dt = mdn_clock_parse (iso);

  g_assert_nonnull (dt);
  return dt;
}

/* Never done: due. Done today: not. Done yesterday: due. A failure waits an
 * hour. Days are the branch's (Asia/Shanghai), not UTC's. */
static void
test_due (void)
{
  g_autoptr(GTimeZone) sh = g_time_zone_new_identifier ("Asia/Shanghai");
  g_autoptr(GDateTime) now = at ("2026-11-23T09:00:00+08:00");
  g_autoptr(GDateTime) today = at ("2026-11-23T00:05:00+08:00");
  g_autoptr(GDateTime) yesterday = at ("2026-11-22T23:55:00+08:00");
  g_autoptr(GDateTime) failed_30m = at ("2026-11-23T08:30:00+08:00");
  g_autoptr(GDateTime) failed_2h = at ("2026-11-23T07:00:00+08:00");
  g_autoptr(GDateTime) later = at ("2026-11-24T10:00:00+08:00");
  /* 15:30Z is 23:30 on the 22nd in Shanghai, 16:30Z 00:30 on the 23rd: a
     new day there, the same day in UTC. */
  g_autoptr(GDateTime) before_midnight = at ("2026-11-22T15:30:00Z");
  g_autoptr(GDateTime) after_midnight = at ("2026-11-22T16:30:00Z");
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();

  g_assert_true (sh != NULL);
  g_assert_true (mdn_backup_due (NULL, NULL, now, sh));
  g_assert_false (mdn_backup_due (today, NULL, now, sh));
  g_assert_true (mdn_backup_due (yesterday, NULL, now, sh));
  g_assert_false (mdn_backup_due (yesterday, failed_30m, now, sh));
  g_assert_true (mdn_backup_due (yesterday, failed_2h, now, sh));
  g_assert_false (mdn_backup_due (NULL, failed_30m, now, sh));
  /* The clock set back behind the last backup: not again. */
  g_assert_false (mdn_backup_due (later, NULL, now, sh));
  /* A failure "in the future" (clock set back) does not block for ever. */
  g_assert_true (mdn_backup_due (yesterday, later, now, sh));
  g_assert_true (mdn_backup_due (before_midnight, NULL, after_midnight, sh));
  g_assert_true (mdn_backup_due (before_midnight, NULL, after_midnight, NULL));
  g_assert_false (mdn_backup_due (before_midnight, NULL, after_midnight, utc));
}

static guint
count_files (const char *dir,
             const char *prefix)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;
  guint n = 0;

  while (d && (name = g_dir_read_name (d)) != NULL)
    if (g_str_has_prefix (name, prefix))
      n++;
  return n;
}

/* The daily decision at a real branch, through the log lines it writes. */
static void
test_daily_due (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(GError) error = NULL;
  MdnBackupState state;

  mdn_test_set_now ("2026-11-23T09:00:00+08:00");
  g_assert_true (mdn_backup_daily_due (b->store, NULL));
  g_assert_true (mdn_backup_state_load (b->store->db, &state, &error));
  g_assert_null (state.last_at);
  mdn_backup_state_clear (&state);

  g_assert_true (mdn_backup_record (b->store, "backup.daily", NULL, "till-1", FALSE,
                                    "The backup folder /x does not exist", &error));
  g_assert_false (mdn_backup_daily_due (b->store, NULL));
  mdn_test_set_now ("2026-11-23T10:01:00+08:00");
  g_assert_true (mdn_backup_daily_due (b->store, NULL));
  g_assert_true (mdn_backup_record (b->store, "backup.daily", NULL, "till-1", TRUE, "/b/mendian-B01-x.db", &error));
  g_assert_false (mdn_backup_daily_due (b->store, NULL));
  mdn_test_set_now ("2026-11-23T23:59:59+08:00");
  g_assert_false (mdn_backup_daily_due (b->store, NULL));
  mdn_test_set_now ("2026-11-24T00:00:01+08:00");
  g_assert_true (mdn_backup_daily_due (b->store, NULL));

  g_assert_true (mdn_backup_state_load (b->store->db, &state, &error));
  g_assert_true (state.last_ok);
  g_assert_cmpstr (state.last_detail, ==, "/b/mendian-B01-x.db");
  g_assert_cmpstr (state.last_op, ==, "backup.daily");
  g_assert_nonnull (state.last_ok_at);
  g_assert_nonnull (state.last_failed_at);
  g_assert_cmpint (g_date_time_compare (state.last_at, state.last_ok_at), ==, 0);
  mdn_backup_state_clear (&state);

  /* Switched off: never due. */
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"settings.set\",\"key\":\"backup.daily\",\"value\":false}"));
  g_assert_false (mdn_backup_daily_due (b->store, NULL));
  /* Both lines are in the operation log, as head office will read them. */
  g_assert_cmpint (mdn_test_count (b, "SELECT count(*) FROM oplog WHERE op = 'backup.daily' AND staff IS NULL"), ==, 2);
  mdn_test_set_now (NULL);
}

/* Five backups with keep 3: the newest three of this branch stay; another
 * branch's and other files are left alone. */
static void
test_keep (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (b->dir, "bk", NULL);
  g_autofree char *other = g_build_filename (dir, "mendian-B02-20200101-000000-000000.db", NULL);
  g_autofree char *note = g_build_filename (dir, "notes.txt", NULL);
  g_autofree char *last = NULL;
  g_autoptr(GDateTime) now = at ("2026-11-23T09:00:00+08:00");
  GPtrArray *made = g_ptr_array_new_with_free_func (g_free);

  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  g_assert_true (g_file_set_contents (other, "x", 1, NULL));
  g_assert_true (g_file_set_contents (note, "x", 1, NULL));
  for (guint i = 0; i < 5; i++)
    {
      char *path = NULL;

      g_assert_true (mdn_backup_to_dir (b->store->db, "B01", dir, 3, now, FALSE, &path, &error));
      g_assert_no_error (error);
      g_ptr_array_add (made, path);
    }
  g_assert_cmpuint (count_files (dir, "mendian-B01-"), ==, 3);
  g_assert_false (g_file_test (g_ptr_array_index (made, 0), G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (g_ptr_array_index (made, 1), G_FILE_TEST_EXISTS));
  for (guint i = 2; i < 5; i++)
    g_assert_true (g_file_test (g_ptr_array_index (made, i), G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (other, G_FILE_TEST_EXISTS));
  g_assert_true (g_file_test (note, G_FILE_TEST_EXISTS));

  /* keep 0 keeps all; a later keep 1 leaves the newest. */
  g_assert_true (mdn_backup_to_dir (b->store->db, "B01", dir, 0, now, FALSE, &last, &error));
  g_assert_cmpuint (count_files (dir, "mendian-B01-"), ==, 4);
  g_assert_true (mdn_backup_prune (dir, "B01", 1, &error));
  g_assert_cmpuint (count_files (dir, "mendian-B01-"), ==, 1);
  g_assert_true (g_file_test (last, G_FILE_TEST_EXISTS));

  /* The newest is a whole ledger that verifies. */
  {
    g_autoptr(MdnStore) copy = mdn_store_open (last, &error);

    g_assert_no_error (error);
    g_assert_cmpstr (copy->branch_code, ==, "B01");
  }
  g_ptr_array_unref (made);
}

/* A missing folder, a file in its place, and the default folder beside the
 * ledger (made when missing). */
static void
test_folder (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GDateTime) now = at ("2026-11-23T09:00:00+08:00");
  g_autofree char *missing = g_build_filename (b->dir, "usb", "backups", NULL);
  g_autofree char *file = g_build_filename (b->dir, "afile", NULL);
  g_autofree char *beside = g_build_filename (b->dir, "backups", NULL);
  g_autofree char *dir = NULL, *path = NULL;

  g_assert_false (mdn_backup_to_dir (b->store->db, "B01", missing, 3, now, FALSE, &path, &error));
  g_assert_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT);
  g_assert_nonnull (strstr (error->message, missing));
  g_assert_false (g_file_test (missing, G_FILE_TEST_EXISTS));
  g_assert_null (path);
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (file, "x", 1, NULL));
  g_assert_false (mdn_backup_to_dir (b->store->db, "B01", file, 3, now, TRUE, &path, &error));
  g_assert_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);

  dir = mdn_backup_dir_dup (b->store);
  g_assert_cmpstr (dir, ==, beside);
  g_assert_true (mdn_backup_to_dir (b->store->db, "B01", dir, 3, now, TRUE, &path, &error));
  g_assert_true (g_file_test (path, G_FILE_TEST_IS_REGULAR));

  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"settings.set\",\"key\":\"backup.dir\",\"value\":\"%s\"}", missing));
  g_clear_pointer (&dir, g_free);
  dir = mdn_backup_dir_dup (b->store);
  g_assert_cmpstr (dir, ==, missing);
}

/* backup.now: a manager backs up into the daily folder, keeping
 * backup.keep; a cashier may not; a missing folder is refused; each
 * attempt is a line of the operation log. */
static void
test_backup_now (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(MdnOpCtx) manager = mdn_test_staff (b, "m01", "manager");
  g_autoptr(MdnOpCtx) cashier = mdn_test_staff (b, "c01", "cashier");
  g_autofree char *dir = g_build_filename (b->dir, "bk", NULL);
  g_autofree char *gone = g_build_filename (b->dir, "gone", NULL);
  g_autoptr(JsonObject) r = NULL;
  MdnBackupState state;

  mdn_test_set_now ("2026-11-23T09:00:00+08:00");
  g_assert_cmpint (g_mkdir (dir, 0700), ==, 0);
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"settings.set\",\"key\":\"backup.dir\",\"value\":\"%s\"}", dir));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"settings.set\",\"key\":\"backup.keep\",\"value\":2}"));
  for (guint i = 0; i < 3; i++)
    {
      g_clear_pointer (&r, json_object_unref);
      r = mdn_test_ok (manager, "{\"op\":\"backup.now\"}");
    }
  g_assert_true (g_str_has_prefix (mdn_test_str (r, "backup"), dir));
  g_assert_true (g_str_has_suffix (mdn_test_str (r, "backup"), ".db"));
  g_assert_true (g_file_test (mdn_test_str (r, "backup"), G_FILE_TEST_IS_REGULAR));
  g_assert_cmpuint (count_files (dir, "mendian-B01-20261123-090000-"), ==, 2);
  mdn_test_fails (cashier, "permission_denied", "{\"op\":\"backup.now\"}");
  mdn_test_fails (manager, "invalid_argument", "{\"op\":\"backup.now\",\"dir\":\"%s\"}", gone);
  g_assert_cmpint (mdn_test_count (b, "SELECT count(*) FROM oplog WHERE op = 'backup.now' AND ok = 1"), ==, 3);
  g_assert_cmpint (mdn_test_count (b, "SELECT count(*) FROM oplog WHERE op = 'backup.now' AND ok = 0"), ==, 2);
  g_assert_true (mdn_backup_state_load (b->store->db, &state, NULL));
  g_assert_false (state.last_ok);
  g_assert_nonnull (state.last_ok_at);
  mdn_backup_state_clear (&state);
  /* A backup made by hand today counts as today's. */
  g_assert_false (mdn_backup_daily_due (b->store, NULL));
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
  mdn_test_set_now (NULL);
}

int
main (int   argc,
      char *argv[])
{
  mdn_branch_init ();
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/backup/due", test_due);
  g_test_add_func ("/backup/daily-due", test_daily_due);
  g_test_add_func ("/backup/keep", test_keep);
  g_test_add_func ("/backup/folder", test_folder);
  g_test_add_func ("/backup/now", test_backup_now);
  return g_test_run ();
}
