/* pos-backup.h: the POS's backups (数据备份): the daily backup while
 * mendian-pos runs (checked at start, then every ten minutes; whether one
 * is due is common/sync/mdn-backup.c's decision) and "back up now", each
 * made by a worker thread with its own connection to the ledger, so the
 * counter never waits, and recorded in the operation log. A failure is
 * told in the window (the folder missing or not writable) and shown on
 * the 系统设置 page's backup section. */
#pragma once

#include <gtk/gtk.h>

#include "pos-session.h"

G_BEGIN_DECLS

#define POS_TYPE_BACKUP (pos_backup_get_type ())
G_DECLARE_FINAL_TYPE (PosBackup, pos_backup, POS, BACKUP, GObject)

/* The one of @session, made on first use (kept on the session). */
PosBackup  *pos_backup_get        (PosSession *session);

/* Starts the daily schedule: a check now (at the next idle) and every ten
 * minutes while @window lives; failures are toasted in @window. */
void        pos_backup_schedule   (PosBackup  *self,
                                   GtkWidget  *window);

/* The daily check: starts the daily backup if it is due; TRUE if it
 * started one. */
gboolean    pos_backup_check      (PosBackup  *self);

/* Starts a backup asked for by the logged-in staff member (backup.now,
 * checked against their role in common/); FALSE with the reason if they
 * may not, no ledger is open or one is already under way. */
gboolean    pos_backup_start_now  (PosBackup  *self,
                                   GError    **error);

gboolean    pos_backup_is_running (PosBackup  *self);

/* The last backup in words ("上次备份：… 成功 …"), and whether it failed. */
char       *pos_backup_dup_status (PosBackup  *self,
                                   gboolean   *failed);

/* Signal "finished" (gboolean ok, const char *detail): a backup ended and
 * was recorded; @detail is the file or why it failed. */

G_END_DECLS
