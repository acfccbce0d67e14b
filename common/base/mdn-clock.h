/* mdn-clock.h: the one source of "now" in Mendian.
 *
 * MENDIAN_NOW (ISO 8601 with an offset, e.g. 2026-11-22T10:00:00+08:00)
 * overrides the system clock, for tests and replays.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MDN_DEFAULT_TIMEZONE "Asia/Shanghai"

GDateTime *mdn_clock_now            (void);
char      *mdn_clock_format         (GDateTime  *dt);
char      *mdn_clock_business_date  (GDateTime  *dt,
                                     const char *tz_name);
GDateTime *mdn_clock_parse          (const char *iso);
gboolean   mdn_date_valid           (const char *ymd);
char      *mdn_date_add_days        (const char *ymd,
                                     int         days);

G_END_DECLS
