/* mdn-birthday.h: when a member's birthday falls, solar or lunar.
 *
 * A solar birthday is a month and day (stored as YYYY-MM-DD or MM-DD); 29
 * February falls on 28 February in a common year.
 *
 * A lunar birthday is a month, a day and a leap flag (stored as MM-DD,
 * LMM-DD for a leap month, optionally after a year: YYYY-MM-DD). It is
 * turned into the solar date of each lunar year with liblunar-date (the
 * calendar's tables are the library's, not ours), with two rules for the
 * years where the lunar date does not exist:
 *   - a birthday in a leap month falls in the ordinary month of the same
 *     number in a year without that leap month;
 *   - day 30 of a month that has 29 days in that year falls on day 29.
 * A birthday in the 11th or 12th lunar month of lunar year Y falls in
 * January or February of solar year Y + 1, so the next birthday from a
 * solar date is looked for in the lunar years before, of and after it
 * (two solar years ahead).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  int      month;   /* 1 … 12 */
  int      day;     /* 1 … 30 */
  gboolean leap;    /* in the leap month after @month */
} MdnLunarDay;

/* FALSE when @text is not a lunar birthday as stored. */
gboolean  mdn_lunar_day_parse      (const char        *text,
                                    MdnLunarDay       *out);
/* The solar date of @day in lunar year @lunar_year, with the rules above;
 * FALSE (and @error) only outside the library's years. */
gboolean  mdn_lunar_day_in_year    (const MdnLunarDay *day,
                                    int                lunar_year,
                                    GDate             *out,
                                    GError           **error);
/* The first solar date on or after @from on which @day falls. */
gboolean  mdn_lunar_day_next       (const MdnLunarDay *day,
                                    const GDate       *from,
                                    GDate             *out,
                                    GError           **error);
/* Its name in Chinese, as people say it: 八月十五, 闰四月初一, 正月初一 is
 * written 一月初一 the way the checkout shows it (“农历八月十五”). */
char     *mdn_lunar_day_name       (const MdnLunarDay *day);

/* A solar birthday's month and day from YYYY-MM-DD or MM-DD. */
gboolean  mdn_solar_day_parse      (const char        *text,
                                    int               *month,
                                    int               *day);
/* The first solar date on or after @from on which the birthday falls. */
void      mdn_solar_day_next       (int                month,
                                    int                day,
                                    const GDate       *from,
                                    GDate             *out);

G_END_DECLS
