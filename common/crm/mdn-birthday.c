/* mdn-birthday.c: solar and lunar birthdays to solar dates (the rules are in
 * mdn-birthday.h); the lunar calendar is liblunar-date's. */
#define G_LOG_DOMAIN "mdn-birthday"

#include <glib/gi18n-lib.h>
#include <lunar-date/lunar-date.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdn-birthday.h"
#include "mdn-error.h"

static gboolean
two_digits (const char *p,
            int        *out)
{
  if (!g_ascii_isdigit (p[0]) || !g_ascii_isdigit (p[1]))
    return FALSE;
  *out = (p[0] - '0') * 10 + (p[1] - '0');
  return TRUE;
}

gboolean
mdn_lunar_day_parse (const char  *text,
                     MdnLunarDay *out)
{
  const char *md;
  gsize len;

  g_return_val_if_fail (out != NULL, FALSE);

  if (text == NULL)
    return FALSE;
  len = strlen (text);
  md = text;
  if (len == 10 || len == 11)
    {
      for (int i = 0; i < 4; i++)
        if (!g_ascii_isdigit (text[i]))
          return FALSE;
      if (text[4] != '-')
        return FALSE;
      md = text + 5;
    }
  out->leap = *md == 'L';
  if (out->leap)
    md++;
  if (strlen (md) != 5 || md[2] != '-' || !two_digits (md, &out->month) || !two_digits (md + 3, &out->day))
    return FALSE;
  return out->month >= 1 && out->month <= 12 && out->day >= 1 && out->day <= 30;
}

/* One LunarDate for the process, behind a lock: liblunar-date 3.0.1's
 * instances allocate in their init what their finalize never frees, so
 * one object is made once instead of one per conversion. */
static GMutex lunar_lock;
static LunarDate *lunar_shared;

/* The solar date of lunar @year-@month-@day, or FALSE with the library's
 * error (LUNAR_DATE_ERROR_LEAP: no such leap month that year;
 * LUNAR_DATE_ERROR_DAY: the month is shorter). */
static gboolean
convert (int       year,
         int       month,
         int       day,
         gboolean  leap,
         GDate    *out,
         GError  **error)
{
  g_autofree char *solar = NULL;
  GError *local_error = NULL;
  int y, m, d;

  g_mutex_lock (&lunar_lock);
  if (lunar_shared == NULL)
    lunar_shared = lunar_date_new ();
  lunar_date_set_lunar_date (lunar_shared, year, month, day, 0, leap, &local_error);
  /* The library keeps the solar date it converted to; strftime is its one
     way to read it (%(year) is the solar year, %(month), %(day) alike). */
  if (local_error == NULL)
    solar = lunar_date_strftime (lunar_shared, "%(year) %(month) %(day)");
  g_mutex_unlock (&lunar_lock);
  if (local_error)
    {
      g_propagate_error (error, local_error);
      return FALSE;
    }
  if (solar == NULL || sscanf (solar, "%d %d %d", &y, &m, &d) != 3 || !g_date_valid_dmy (d, m, y))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INTERNAL,
                   _("The lunar calendar has no date for %d-%02d-%02d"), year, month, day);
      return FALSE;
    }
  g_date_set_dmy (out, d, m, y);
  return TRUE;
}

gboolean
mdn_lunar_day_in_year (const MdnLunarDay *day,
                       int                lunar_year,
                       GDate             *out,
                       GError           **error)
{
  g_autoptr(GError) local_error = NULL;
  gboolean leap;

  g_return_val_if_fail (day != NULL && out != NULL, FALSE);

  leap = day->leap;
  if (leap && !convert (lunar_year, day->month, 1, TRUE, out, &local_error))
    {
      /* No such leap month this year: the ordinary month of that number. */
      if (!g_error_matches (local_error, LUNAR_DATE_ERROR, LUNAR_DATE_ERROR_LEAP))
        goto fail;
      leap = FALSE;
      g_clear_error (&local_error);
    }
  if (convert (lunar_year, day->month, day->day, leap, out, &local_error))
    return TRUE;
  /* Day 30 of a month of 29 days this year: day 29. */
  if (day->day == 30 && g_error_matches (local_error, LUNAR_DATE_ERROR, LUNAR_DATE_ERROR_DAY))
    {
      g_clear_error (&local_error);
      if (convert (lunar_year, day->month, 29, leap, out, &local_error))
        return TRUE;
    }
fail:
  g_debug ("lunar %d-%s%02d-%02d: %s", lunar_year, day->leap ? "L" : "", day->month, day->day,
           local_error ? local_error->message : "?");
  g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
               _("The lunar calendar has no date for %d-%02d-%02d"), lunar_year, day->month, day->day);
  return FALSE;
}

gboolean
mdn_lunar_day_next (const MdnLunarDay *day,
                    const GDate       *from,
                    GDate             *out,
                    GError           **error)
{
  int year;
  gboolean found = FALSE;

  g_return_val_if_fail (day != NULL && from != NULL && g_date_valid (from) && out != NULL, FALSE);

  year = g_date_get_year (from);
  /* Lunar year Y runs from late January or February of Y to early in Y + 1. */
  for (int y = year - 1; y <= year + 1 && !found; y++)
    {
      GDate d;

      g_date_clear (&d, 1);
      if (!mdn_lunar_day_in_year (day, y, &d, error))
        return FALSE;
      if (g_date_compare (&d, from) >= 0)
        {
          *out = d;
          found = TRUE;
        }
    }
  if (!found)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INTERNAL,
                   _("The lunar calendar has no date for %02d-%02d"), day->month, day->day);
      return FALSE;
    }
  return TRUE;
}

char *
mdn_lunar_day_name (const MdnLunarDay *day)
{
  static const char *const digits[] = { "", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十" };
  GString *s = g_string_new (NULL);

  g_return_val_if_fail (day != NULL && day->month >= 1 && day->month <= 12 &&
                        day->day >= 1 && day->day <= 30, NULL);

  if (day->leap)
    g_string_append (s, "闰");
  if (day->month <= 10)
    g_string_append (s, digits[day->month]);
  else
    g_string_append_printf (s, "十%s", digits[day->month - 10]);
  g_string_append (s, "月");
  if (day->day <= 10)
    g_string_append_printf (s, "初%s", digits[day->day]);
  else if (day->day < 20)
    g_string_append_printf (s, "十%s", digits[day->day - 10]);
  else if (day->day == 20)
    g_string_append (s, "二十");
  else if (day->day < 30)
    g_string_append_printf (s, "廿%s", digits[day->day - 20]);
  else
    g_string_append (s, "三十");
  return g_string_free (s, FALSE);
}

gboolean
mdn_solar_day_parse (const char *text,
                     int        *month,
                     int        *day)
{
  gsize len;
  const char *md;

  g_return_val_if_fail (month != NULL && day != NULL, FALSE);

  if (text == NULL)
    return FALSE;
  len = strlen (text);
  if (len != 5 && len != 10)
    return FALSE;
  md = text + len - 5;
  if (md[2] != '-' || !two_digits (md, month) || !two_digits (md + 3, day))
    return FALSE;
  /* 2000 is a leap year: 02-29 is a birthday. */
  return g_date_valid_dmy (*day, *month, 2000);
}

static void
solar_in_year (int    month,
               int    day,
               int    year,
               GDate *out)
{
  if (month == 2 && day == 29 && !g_date_is_leap_year (year))
    day = 28;
  g_date_set_dmy (out, day, month, year);
}

void
mdn_solar_day_next (int          month,
                    int          day,
                    const GDate *from,
                    GDate       *out)
{
  int year;

  g_return_if_fail (from != NULL && g_date_valid (from) && out != NULL);

  year = g_date_get_year (from);
  g_date_clear (out, 1);
  solar_in_year (month, day, year, out);
  if (g_date_compare (out, from) < 0)
    solar_in_year (month, day, year + 1, out);
}
