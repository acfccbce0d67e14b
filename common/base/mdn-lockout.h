/* mdn-lockout.h: the one rule against guessing, for member PINs and staff
 * passwords, at a branch and at the server (table `lockouts`).
 *
 * MDN_LOCKOUT_MAX_FAILURES wrong attempts in a row lock the key (a member
 * id for "pin", a staff code for "staff") for MDN_LOCKOUT_SECONDS; a right
 * attempt starts the count again; a lock that ran out starts it again too.
 * Times are unix seconds of mdn_clock_now () (MENDIAN_NOW moves them). */
#pragma once

#include "mdn-db.h"
#include "mdn-error.h"

G_BEGIN_DECLS

#define MDN_LOCKOUT_MAX_FAILURES 5
#define MDN_LOCKOUT_SECONDS      (15 * 60)

typedef struct
{
  gint64 failures;       /* wrong in a row, not counting a lock that ran out */
  gint64 locked_until;   /* unix seconds; 0: not locked at the time asked */
  gint64 unreported;     /* "pin" at a branch: failures not yet told to the server */
} MdnLockout;

gint64   mdn_lockout_now    (void);
gboolean mdn_lockout_get    (MdnDb       *db,
                             const char  *what,
                             const char  *key,
                             gint64       now,
                             MdnLockout  *out,
                             GError     **error);
/* Counts @n wrong attempts at @now (and as unreported if @unreported);
 * @out (may be NULL) is the state after. */
gboolean mdn_lockout_fail   (MdnDb       *db,
                             const char  *what,
                             const char  *key,
                             gint64       now,
                             gint64       n,
                             gboolean     unreported,
                             MdnLockout  *out,
                             GError     **error);
/* The same with a threshold of its own (member PINs: the setting
 * member.pin_lockout_attempts, mdn_pin_max_failures). */
gboolean mdn_lockout_fail_max (MdnDb     *db,
                             const char  *what,
                             const char  *key,
                             gint64       now,
                             gint64       n,
                             gboolean     unreported,
                             gint64       max_failures,
                             MdnLockout  *out,
                             GError     **error);
/* A right attempt: the count starts again. */
gboolean mdn_lockout_clear  (MdnDb       *db,
                             const char  *what,
                             const char  *key,
                             gint64       now,
                             GError     **error);
/* Lifts a lock at once (an administrator's decision). */
gboolean mdn_lockout_lift   (MdnDb       *db,
                             const char  *what,
                             const char  *key,
                             GError     **error);
/* Another place (the server) locked @key until @until: at least as long here. */
gboolean mdn_lockout_mirror (MdnDb       *db,
                             const char  *what,
                             const char  *key,
                             gint64       until,
                             GError     **error);
/* @reported of the unreported failures of @key reached the server. */
gboolean mdn_lockout_reported (MdnDb     *db,
                             const char  *what,
                             const char  *key,
                             gint64       reported,
                             GError     **error);

/* pin_locked or staff_locked, for a lock running until @until: the
 * cashier's message, in minutes left. */
void     mdn_set_locked_error (GError   **error,
                             MdnErrorCode code,
                             gint64      until,
                             gint64      now);

G_END_DECLS
