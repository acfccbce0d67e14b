/* mdn-library.c: mdn_library_init, the one place that names every family's
 * kind table (mdn-ops.c names their operation tables). Apart from the
 * registry so that a program that runs no operation (the server) links
 * the families' apply functions without their operations. */
#define G_LOG_DOMAIN "mdn-library"

#include "mdn-backoffice.h"
#include "mdn-catalog.h"
#include "mdn-exceptions.h"
#include "mdn-init.h"
#include "mdn-master.h"
#include "mdn-member-edit.h"
#include "mdn-members.h"
#include "mdn-ops.h"
#include "mdn-packages.h"
#include "mdn-points.h"
#include "mdn-settings.h"
#include "mdn-pricing.h"
#include "mdn-roles.h"
#include "mdn-sales.h"
#include "mdn-shifts.h"
#include "mdn-staff.h"
#include "mdn-timed.h"
#include "mdn-stock.h"
#include "mdn-commission.h"
#include "mdn-member-figures.h"
#include "mdn-member-import.h"
#include "mdn-messages.h"
#include "mdn-sms.h"

/* Every family's entry kinds, handed to the ledger. */
static const MdnKindDef *const kind_tables[] = {
  mdn_member_kinds,
  mdn_master_kinds,
  mdn_catalog_kinds,
  mdn_sales_kinds,
  mdn_package_kinds,
  mdn_timed_kinds,
  mdn_points_kinds,
  mdn_exception_kinds,
  mdn_role_kinds,
  mdn_member_edit_kinds,
  mdn_commission_kinds,
  mdn_settings_kinds,
  mdn_stock_kinds,
  mdn_message_kinds,
  mdn_sms_kinds,
  mdn_member_import_kinds,
  mdn_shift_kinds,
  mdn_backoffice_kinds,
};

void
mdn_library_init (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      mdn_base_init ();
      for (guint t = 0; t < G_N_ELEMENTS (kind_tables); t++)
        mdn_ledger_register_kinds (kind_tables[t]);
      mdn_ledger_add_apply_hook (mdn_member_figures_apply);
      g_once_init_leave (&once, 1);
    }
}
