/* pos-backup.c: the daily backup and "back up now" of the POS
 * (pos-backup.h). The copy is common/sync/mdn-backup.c's, made in a
 * worker thread from a connection of its own (the UI thread's is never
 * touched there); the record and the notices are made back on the main
 * thread. */
#define G_LOG_DOMAIN "pos-backup"

#include <glib/gi18n.h>

#include "mdn-backup.h"
#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-settings.h"
#include "pos-backup.h"
#include "pos-window.h"

#define CHECK_SECONDS 600

struct _PosBackup
{
  GObject     parent_instance;

  PosSession *session;     /* weak: the session owns this */
  GWeakRef    window;
  guint       timer_id;
  guint       idle_id;
  gboolean    running;
};

G_DEFINE_FINAL_TYPE (PosBackup, pos_backup, G_TYPE_OBJECT)

enum { FINISHED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* What the worker needs, copied: it never reads the session. */
typedef struct
{
  char      *op;          /* backup.now, backup.daily */
  char      *staff;
  char      *path;        /* the ledger */
  char      *branch;
  char      *dir;
  guint      keep;
  gboolean   create;
  GDateTime *now;
  char      *made;        /* out: the backup file */
} Job;

static void
job_free (Job *job)
{
  g_free (job->op);
  g_free (job->staff);
  g_free (job->path);
  g_free (job->branch);
  g_free (job->dir);
  g_clear_pointer (&job->now, g_date_time_unref);
  g_free (job->made);
  g_free (job);
}

static void
pos_backup_dispose (GObject *object)
{
  PosBackup *self = POS_BACKUP (object);

  g_clear_handle_id (&self->timer_id, g_source_remove);
  g_clear_handle_id (&self->idle_id, g_source_remove);
  g_weak_ref_set (&self->window, NULL);
  if (self->session)
    g_object_remove_weak_pointer (G_OBJECT (self->session), (gpointer *) &self->session);
  self->session = NULL;
  G_OBJECT_CLASS (pos_backup_parent_class)->dispose (object);
}

static void
pos_backup_finalize (GObject *object)
{
  PosBackup *self = POS_BACKUP (object);

  g_weak_ref_clear (&self->window);
  G_OBJECT_CLASS (pos_backup_parent_class)->finalize (object);
}

static void
pos_backup_class_init (PosBackupClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = pos_backup_dispose;
  object_class->finalize = pos_backup_finalize;
  signals[FINISHED] =
    g_signal_new ("finished", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_BOOLEAN, G_TYPE_STRING);
}

static void
pos_backup_init (PosBackup *self)
{
  g_weak_ref_init (&self->window, NULL);
}

PosBackup *
pos_backup_get (PosSession *session)
{
  PosBackup *self;

  g_return_val_if_fail (POS_IS_SESSION (session), NULL);

  self = g_object_get_data (G_OBJECT (session), "pos-backup");
  if (self == NULL)
    {
      self = g_object_new (POS_TYPE_BACKUP, NULL);
      /* Weak: a backup under way holds this object, not the session. */
      self->session = session;
      g_object_add_weak_pointer (G_OBJECT (session), (gpointer *) &self->session);
      g_object_set_data_full (G_OBJECT (session), "pos-backup", self, g_object_unref);
    }
  return self;
}

static void
run_in_worker (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  Job *job = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MdnDb) db = mdn_db_open (job->path, "branch", &error);

  if (db == NULL || !mdn_backup_to_dir (db, job->branch, job->dir, job->keep, job->now, job->create,
                                        &job->made, &error))
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_boolean (task, TRUE);
}

static void
job_done (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  PosBackup *self = POS_BACKUP (source);
  GTask *task = G_TASK (result);
  Job *job = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) record_error = NULL;
  g_autoptr(GtkWidget) window = g_weak_ref_get (&self->window);
  gboolean ok = g_task_propagate_boolean (task, &error);
  const char *detail = ok ? job->made : error->message;
  MdnStore *store = self->session ? pos_session_get_store (self->session) : NULL;

  self->running = FALSE;
  /* The same ledger still open (not restored away meanwhile): recorded. */
  if (store != NULL && g_strcmp0 (mdn_db_path (store->db), job->path) == 0 &&
      !mdn_backup_record (store, job->op, job->staff, NULL, ok, detail, &record_error))
    g_warning ("the backup was not recorded: %s", record_error->message);
  if (!ok)
    g_message ("%s: %s", job->op, error->message);
  if (!ok && window != NULL && POS_IS_WINDOW (window))
    {
      g_autofree char *text = g_strdup_printf (g_str_equal (job->op, "backup.daily")
                                               ? _("The daily backup was not made: %s")
                                               : _("No backup was made: %s"), error->message);

      /* Stays until dismissed: someone must act on it. */
      pos_window_toast_full (POS_WINDOW (window), text, ADW_TOAST_PRIORITY_HIGH, 0);
    }
  g_signal_emit (self, signals[FINISHED], 0, ok, detail);
}

/* Starts @op for @staff (NULL: the schedule). */
static gboolean
start (PosBackup  *self,
       const char *op,
       const char *staff,
       GError    **error)
{
  MdnStore *store = pos_session_get_store (self->session);
  g_autoptr(GTask) task = NULL;
  g_autofree char *set = NULL;
  g_autoptr(GDateTime) now = NULL;
  Job *job;

  if (store == NULL)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_NOT_INITIALIZED, _("No branch database is open"));
      return FALSE;
    }
  if (self->running)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_RESOURCE_BUSY, _("A backup is being made; wait for it to end"));
      return FALSE;
    }
  now = mdn_clock_now ();
  job = g_new0 (Job, 1);
  job->op = g_strdup (op);
  job->staff = g_strdup (staff);
  job->path = g_strdup (mdn_db_path (store->db));
  job->branch = g_strdup (store->branch_code);
  job->dir = mdn_backup_dir_dup (store);
  job->keep = (guint) mdn_settings_get_int (store->db, "backup.keep");
  set = mdn_settings_dup_string (store->db, "backup.dir");
  /* The default folder beside the ledger is made; a chosen one must be
     there (a drive not plugged in is said so, not papered over). */
  job->create = *set == '\0';
  job->now = store->tz ? g_date_time_to_timezone (now, store->tz) : g_date_time_ref (now);
  self->running = TRUE;
  task = g_task_new (self, NULL, job_done, NULL);
  g_task_set_source_tag (task, start);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, run_in_worker);
  return TRUE;
}

gboolean
pos_backup_check (PosBackup *self)
{
  MdnStore *store;

  g_return_val_if_fail (POS_IS_BACKUP (self), FALSE);

  store = self->session ? pos_session_get_store (self->session) : NULL;
  if (store == NULL || self->running || !mdn_backup_daily_due (store, NULL))
    return FALSE;
  return start (self, "backup.daily", NULL, NULL);
}

static gboolean
tick (gpointer user_data)
{
  PosBackup *self = user_data;
  g_autoptr(GtkWidget) window = g_weak_ref_get (&self->window);

  if (window == NULL)
    {
      self->timer_id = 0;
      return G_SOURCE_REMOVE;
    }
  pos_backup_check (self);
  return G_SOURCE_CONTINUE;
}

static gboolean
first_check (gpointer user_data)
{
  PosBackup *self = user_data;

  self->idle_id = 0;
  pos_backup_check (self);
  return G_SOURCE_REMOVE;
}

void
pos_backup_schedule (PosBackup *self,
                     GtkWidget *window)
{
  g_return_if_fail (POS_IS_BACKUP (self));

  g_weak_ref_set (&self->window, window);
  if (self->timer_id == 0)
    self->timer_id = g_timeout_add_seconds (CHECK_SECONDS, tick, self);
  if (self->idle_id == 0)
    self->idle_id = g_idle_add (first_check, self);
}

gboolean
pos_backup_start_now (PosBackup *self,
                      GError   **error)
{
  g_return_val_if_fail (POS_IS_BACKUP (self), FALSE);

  if (self->session == NULL || !pos_session_can (self->session, "backup.now"))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_PERMISSION_DENIED,
                           _("Your role may not back up the database; ask a manager"));
      return FALSE;
    }
  return start (self, "backup.now", pos_session_get_staff (self->session), error);
}

gboolean
pos_backup_is_running (PosBackup *self)
{
  g_return_val_if_fail (POS_IS_BACKUP (self), FALSE);

  return self->running;
}

char *
pos_backup_dup_status (PosBackup *self,
                       gboolean  *failed)
{
  MdnStore *store;
  MdnBackupState state;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = NULL, *when = NULL, *iso = NULL, *ok_when = NULL, *ok_iso = NULL;
  GString *text;
  gboolean daily;

  g_return_val_if_fail (POS_IS_BACKUP (self), NULL);

  if (failed)
    *failed = FALSE;
  store = self->session ? pos_session_get_store (self->session) : NULL;
  if (store == NULL)
    return g_strdup ("");
  if (!mdn_backup_state_load (store->db, &state, &error))
    return g_strdup (error->message);
  dir = mdn_backup_dir_dup (store);
  daily = mdn_settings_get_bool (store->db, "backup.daily");
  text = g_string_new (NULL);
  if (self->running)
    g_string_append_printf (text, "%s\n", _("A backup is being made…"));
  if (state.last_at == NULL)
    g_string_append (text, _("No backup has been made yet."));
  else
    {
      iso = mdn_clock_format (state.last_at);
      when = pos_session_branch_time (self->session, iso);
      if (state.last_ok)
        g_string_append_printf (text, _("Last backup: %s, done: %s"), when,
                                state.last_detail ? state.last_detail : dir);
      else
        {
          g_string_append_printf (text, _("Last backup: %s, FAILED: %s"), when,
                                  state.last_detail ? state.last_detail : "");
          if (state.last_ok_at != NULL)
            {
              ok_iso = mdn_clock_format (state.last_ok_at);
              ok_when = pos_session_branch_time (self->session, ok_iso);
              g_string_append_c (text, '\n');
              g_string_append_printf (text, _("Last good backup: %s"), ok_when);
            }
          else
            g_string_append_printf (text, "\n%s", _("There is no good backup yet."));
          if (failed)
            *failed = TRUE;
        }
    }
  g_string_append (text, "\n");
  if (daily)
    g_string_append_printf (text, _("Daily backups go to %s; the newest %d are kept."), dir,
                            (int) mdn_settings_get_int (store->db, "backup.keep"));
  else
    g_string_append (text, _("Daily backups are off (settings: Daily backup)."));
  mdn_backup_state_clear (&state);
  return g_string_free (text, FALSE);
}
