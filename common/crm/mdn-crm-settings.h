/* mdn-crm-settings.h: the chain's settings the member keeping reads
 * (reminder thresholds, SMS toggles), with the value it falls back on. */
#pragma once

#include "mdn-db.h"

G_BEGIN_DECLS

gint64   mdn_crm_setting_int  (MdnDb      *db,
                               const char *key,
                               gint64      fallback);
gboolean mdn_crm_setting_bool (MdnDb      *db,
                               const char *key,
                               gboolean    fallback);

G_END_DECLS
