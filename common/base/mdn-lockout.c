/* mdn-lockout.c: wrong attempts in a row and the locks they set. */
#define G_LOG_DOMAIN "mdn-lockout"

#include <glib/gi18n-lib.h>

#include "mdn-clock.h"
#include "mdn-lockout.h"

gint64
mdn_lockout_now (void)
{
  g_autoptr(GDateTime) now = mdn_clock_now ();

  return g_date_time_to_unix (now);
}

gboolean
mdn_lockout_get (MdnDb       *db,
                 const char  *what,
                 const char  *key,
                 gint64       now,
                 MdnLockout  *out,
                 GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (db != NULL && what != NULL && key != NULL && out != NULL, FALSE);

  out->failures = out->locked_until = out->unreported = 0;
  stmt = mdn_db_query (db, error,
                       "SELECT failures, locked_until, unreported FROM lockouts WHERE what = ? AND key = ?",
                       "ss", what, key);
  if (stmt == NULL || (rc = mdn_db_step (db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      gint64 until = sqlite3_column_int64 (stmt, 1);

      /* A lock that ran out counts nothing any more. */
      if (until == 0 || until > now)
        {
          out->failures = sqlite3_column_int64 (stmt, 0);
          out->locked_until = until;
        }
      out->unreported = sqlite3_column_int64 (stmt, 2);
    }
  sqlite3_reset (stmt);
  return TRUE;
}

static gboolean
put (MdnDb            *db,
     const char       *what,
     const char       *key,
     const MdnLockout *l,
     GError          **error)
{
  return mdn_db_exec (db, error,
                      "INSERT INTO lockouts (what, key, failures, locked_until, unreported) "
                      "VALUES (?, ?, ?, ?, ?) ON CONFLICT (what, key) DO UPDATE SET "
                      "failures = excluded.failures, locked_until = excluded.locked_until, "
                      "unreported = excluded.unreported",
                      "ssiii", what, key, l->failures, l->locked_until, l->unreported);
}

gboolean
mdn_lockout_fail (MdnDb       *db,
                  const char  *what,
                  const char  *key,
                  gint64       now,
                  gint64       n,
                  gboolean     unreported,
                  MdnLockout  *out,
                  GError     **error)
{
  return mdn_lockout_fail_max (db, what, key, now, n, unreported, MDN_LOCKOUT_MAX_FAILURES, out, error);
}

gboolean
mdn_lockout_fail_max (MdnDb       *db,
                      const char  *what,
                      const char  *key,
                      gint64       now,
                      gint64       n,
                      gboolean     unreported,
                      gint64       max_failures,
                      MdnLockout  *out,
                      GError     **error)
{
  MdnLockout l;

  g_return_val_if_fail (n > 0 && n <= MDN_LOCKOUT_MAX_FAILURES * 100, FALSE);
  g_return_val_if_fail (max_failures >= 1, FALSE);

  if (!mdn_lockout_get (db, what, key, now, &l, error))
    return FALSE;
  if (unreported)
    l.unreported = MIN (l.unreported + n, (gint64) MDN_LOCKOUT_MAX_FAILURES * 100);
  if (l.locked_until == 0)
    {
      l.failures += n;
      if (l.failures >= max_failures)
        {
          l.failures = 0;
          l.locked_until = now + MDN_LOCKOUT_SECONDS;
        }
    }
  /* Wrong attempts while locked (reported from elsewhere) change nothing:
     the lock runs its course. */
  if (!put (db, what, key, &l, error))
    return FALSE;
  if (out)
    *out = l;
  return TRUE;
}

gboolean
mdn_lockout_clear (MdnDb       *db,
                   const char  *what,
                   const char  *key,
                   gint64       now,
                   GError     **error)
{
  g_return_val_if_fail (db != NULL && what != NULL && key != NULL, FALSE);

  /* A lock still running stays (a right attempt is refused before it
     reaches here); a lock that ran out goes with the count. */
  return mdn_db_exec (db, error,
                      "UPDATE lockouts SET failures = 0, unreported = 0, "
                      "locked_until = CASE WHEN locked_until > ? THEN locked_until ELSE 0 END "
                      "WHERE what = ? AND key = ? AND (failures > 0 OR unreported > 0 OR locked_until > 0)",
                      "iss", now, what, key);
}

gboolean
mdn_lockout_lift (MdnDb       *db,
                  const char  *what,
                  const char  *key,
                  GError     **error)
{
  g_return_val_if_fail (db != NULL && what != NULL && key != NULL, FALSE);

  return mdn_db_exec (db, error, "DELETE FROM lockouts WHERE what = ? AND key = ?", "ss", what, key);
}

gboolean
mdn_lockout_mirror (MdnDb       *db,
                    const char  *what,
                    const char  *key,
                    gint64       until,
                    GError     **error)
{
  g_return_val_if_fail (db != NULL && what != NULL && key != NULL, FALSE);

  return mdn_db_exec (db, error,
                      "INSERT INTO lockouts (what, key, failures, locked_until, unreported) "
                      "VALUES (?, ?, 0, ?, 0) ON CONFLICT (what, key) DO UPDATE SET "
                      "failures = CASE WHEN excluded.locked_until > locked_until THEN 0 ELSE failures END, "
                      "locked_until = MAX (locked_until, excluded.locked_until)",
                      "ssi", what, key, until);
}

gboolean
mdn_lockout_reported (MdnDb       *db,
                      const char  *what,
                      const char  *key,
                      gint64       reported,
                      GError     **error)
{
  g_return_val_if_fail (db != NULL && what != NULL && key != NULL, FALSE);

  return mdn_db_exec (db, error,
                      "UPDATE lockouts SET unreported = MAX (unreported - ?, 0) WHERE what = ? AND key = ?",
                      "iss", reported, what, key);
}

/* Minutes (rounded up) from @now until @until. */
static int
minutes_left (gint64 until,
              gint64 now)
{
  return (int) MAX ((until - now + 59) / 60, 1);
}

void
mdn_set_locked_error (GError    **error,
                      MdnErrorCode code,
                      gint64      until,
                      gint64      now)
{
  int minutes = minutes_left (until, now);

  if (code == MDN_ERROR_PIN_LOCKED)
    g_set_error (error, MDN_ERROR, code,
                 g_dngettext (GETTEXT_PACKAGE,
                              "The PIN of this card was entered wrong %d times in a row: paying from its "
                              "balance is locked for %d more minute. Pay another way, or try again later",
                              "The PIN of this card was entered wrong %d times in a row: paying from its "
                              "balance is locked for %d more minutes. Pay another way, or try again later",
                              minutes),
                 MDN_LOCKOUT_MAX_FAILURES, minutes);
  else
    g_set_error (error, MDN_ERROR, code,
                 g_dngettext (GETTEXT_PACKAGE,
                              "This staff login is locked after %d wrong passwords in a row; try again in "
                              "%d minute or ask an administrator to unlock it",
                              "This staff login is locked after %d wrong passwords in a row; try again in "
                              "%d minutes or ask an administrator to unlock it",
                              minutes),
                 MDN_LOCKOUT_MAX_FAILURES, minutes);
}
