/* mdn-clock.c */
#define G_LOG_DOMAIN "mdn-clock"

#include <string.h>

#include "mdn-clock.h"

GDateTime *
mdn_clock_now (void)
{
  const char *fixed = g_getenv ("MENDIAN_NOW");

  if (fixed != NULL && *fixed != '\0')
    {
      GDateTime *dt = g_date_time_new_from_iso8601 (fixed, NULL);

      if (dt != NULL)
        return dt;
      g_warning ("MENDIAN_NOW=%s is not ISO 8601 with an offset; using the system clock", fixed);
    }
  return g_date_time_new_now_utc ();
}

/* 2026-11-22T10:00:00.123+08:00 in the time's own offset. */
char *
mdn_clock_format (GDateTime *dt)
{
  g_autofree char *base = NULL;
  g_autofree char *offset = NULL;

  g_return_val_if_fail (dt != NULL, NULL);

  base = g_date_time_format (dt, "%Y-%m-%dT%H:%M:%S");
  offset = g_date_time_format (dt, "%:z");
  return g_strdup_printf ("%s.%03d%s", base,
                          g_date_time_get_microsecond (dt) / 1000, offset);
}

GDateTime *
mdn_clock_parse (const char *iso)
{
  g_return_val_if_fail (iso != NULL, NULL);
  return g_date_time_new_from_iso8601 (iso, NULL);
}

/* The calendar date of @dt in the branch's time zone. */
char *
mdn_clock_business_date (GDateTime  *dt,
                         const char *tz_name)
{
  g_autoptr(GTimeZone) tz = NULL;
  g_autoptr(GDateTime) local = NULL;

  g_return_val_if_fail (dt != NULL, NULL);

  tz = g_time_zone_new_identifier (tz_name ? tz_name : MDN_DEFAULT_TIMEZONE);
  if (tz == NULL)
    tz = g_time_zone_new_offset (8 * 3600);
  local = g_date_time_to_timezone (dt, tz);
  return g_date_time_format (local, "%Y-%m-%d");
}

/* Strict YYYY-MM-DD, a real calendar date. */
gboolean
mdn_date_valid (const char *ymd)
{
  guint y, m, d;

  if (ymd == NULL || strlen (ymd) != 10 || ymd[4] != '-' || ymd[7] != '-')
    return FALSE;
  for (int i = 0; i < 10; i++)
    if (i != 4 && i != 7 && !g_ascii_isdigit (ymd[i]))
      return FALSE;
  y = (guint) g_ascii_strtoull (ymd, NULL, 10);
  m = (guint) g_ascii_strtoull (ymd + 5, NULL, 10);
  d = (guint) g_ascii_strtoull (ymd + 8, NULL, 10);
  return y >= 1900 && y <= 9999 && g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y);
}

char *
mdn_date_add_days (const char *ymd,
                   int         days)
{
  g_autoptr(GDate) date = NULL;
  char buf[16];

  g_return_val_if_fail (mdn_date_valid (ymd), NULL);

  date = g_date_new_dmy ((GDateDay) g_ascii_strtoull (ymd + 8, NULL, 10),
                         (GDateMonth) g_ascii_strtoull (ymd + 5, NULL, 10),
                         (GDateYear) g_ascii_strtoull (ymd, NULL, 10));
  if (days >= 0)
    g_date_add_days (date, (guint) days);
  else
    g_date_subtract_days (date, (guint) -days);
  g_date_strftime (buf, sizeof buf, "%Y-%m-%d", date);
  return g_strdup (buf);
}
