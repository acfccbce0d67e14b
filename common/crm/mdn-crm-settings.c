/* mdn-crm-settings.c: the settings member keeping reads. Until the settings
 * module (ledger/mdn-settings) is merged, every key reads as its fallback. */
#define G_LOG_DOMAIN "mdn-crm-settings"

#include "mdn-crm-settings.h"

gint64
mdn_crm_setting_int (MdnDb      *db,
                     const char *key,
                     gint64      fallback)
{
  g_return_val_if_fail (db != NULL && key != NULL, fallback);
  return fallback;
}

gboolean
mdn_crm_setting_bool (MdnDb      *db,
                      const char *key,
                      gboolean    fallback)
{
  g_return_val_if_fail (db != NULL && key != NULL, fallback);
  return fallback;
}
