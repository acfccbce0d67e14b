/* mdn-backup.h: backups of a branch's ledger into a folder (数据备份):
 * the one copy-and-keep routine that `mendian-cli backup --to-dir DIR
 * --keep N`, the operation backup.now and the POS's daily backup use, the
 * decision whether the daily backup is due (driven by the clock given, so
 * tests fix it with MENDIAN_NOW), and the record of each backup in the
 * operation log (op "backup.now" or "backup.daily", detail: the file or
 * the reason it failed), which is also where the last backup is read from. */
#pragma once

#include "mdn-op.h"
#include "mdn-store.h"

G_BEGIN_DECLS

/* After a failed daily backup the next try waits this long. */
#define MDN_BACKUP_RETRY_SECONDS 3600

/* The folder daily backups go to: the setting backup.dir, or a folder
 * "backups" beside the ledger when it is empty. */
char     *mdn_backup_dir_dup   (MdnStore    *store);

/* Copies @db consistently (SQLite's online backup; selling goes on) to
 * @dir/mendian-<branch>-YYYYMMDD-HHMMSS-UUUUUU.db, named by @now as given
 * (never over an earlier file), then deletes all but the newest @keep of
 * this branch's backups there (0: keeps all). With @create a missing
 * folder is made; otherwise a missing folder, one that is not a folder or
 * that cannot be written to is refused with a message saying so. */
gboolean  mdn_backup_to_dir    (MdnDb       *db,
                                const char  *branch_code,
                                const char  *dir,
                                guint        keep,
                                GDateTime   *now,
                                gboolean     create,
                                char       **out_path,
                                GError     **error);

/* Deletes all but the newest @keep backups of @branch_code in @dir. */
gboolean  mdn_backup_prune     (const char  *dir,
                                const char  *branch_code,
                                guint        keep,
                                GError     **error);

/* Whether the daily backup is due at @now: none succeeded yet on @now's
 * business day (the calendar date in @tz, NULL: UTC+8), and none failed in
 * the MDN_BACKUP_RETRY_SECONDS before @now. @last_ok, @last_failed: the
 * newest successful and failed backups, NULL if none. */
gboolean  mdn_backup_due       (GDateTime   *last_ok,
                                GDateTime   *last_failed,
                                GDateTime   *now,
                                GTimeZone   *tz);

/* What the operation log says of the backups (every NULL/FALSE if none). */
typedef struct
{
  GDateTime *last_at;        /* the newest backup line, done or failed */
  gboolean   last_ok;
  char      *last_detail;    /* its file, or why it failed */
  char      *last_op;        /* "backup.now" or "backup.daily" */
  GDateTime *last_ok_at;     /* the newest successful backup */
  GDateTime *last_failed_at; /* the newest failed one */
} MdnBackupState;

gboolean  mdn_backup_state_load  (MdnDb          *db,
                                  MdnBackupState *state,
                                  GError        **error);
void      mdn_backup_state_clear (MdnBackupState *state);

/* Whether @store's daily backup is due at @now (mdn_clock_now() if NULL):
 * backup.daily is on and mdn_backup_due() says so. */
gboolean  mdn_backup_daily_due (MdnStore    *store,
                                GDateTime   *now);

/* Writes the operation log's line of a backup made outside an operation
 * (the POS's worker thread): @op "backup.now" or "backup.daily", @staff who
 * asked (NULL: the schedule), @detail the file or the reason. */
gboolean  mdn_backup_record    (MdnStore    *store,
                                const char  *op,
                                const char  *staff,
                                const char  *terminal,
                                gboolean     ok,
                                const char  *detail,
                                GError     **error);

/* backup.now: {dir?} → {backup, dir}: a backup into @dir or the daily
 * folder, keeping backup.keep files (registered by mdn_branch_init). */
extern const MdnOpDef mdn_backup_ops[];

G_END_DECLS
