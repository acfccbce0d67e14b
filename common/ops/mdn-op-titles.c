/* mdn-op-titles.c: every operation as a cashier names it (退货, not
 * "sale.return"), and the refusal of an operation a role may not run, in
 * those words. */
#include <glib/gi18n-lib.h>

#include "mdn-error.h"
#include "mdn-op-titles.h"

static const struct { const char *op; const char *title; } titles[] = {
  { "sale",                N_("sell") },
  { "sale.quick",          N_("make a quick sale") },
  { "sale.return",         N_("take back a return") },
  { "sale.list",           N_("list the receipts") },
  { "sale.preview",        N_("price a sale") },
  { "receipt.show",        N_("show a receipt") },
  { "member.issue",        N_("issue a card") },
  { "member.deposit",      N_("take a deposit") },
  { "member.withdraw",     N_("pay out a balance") },
  { "member.replace",      N_("replace a card") },
  { "member.extend",       N_("extend a card") },
  { "member.lose",         N_("report a card lost") },
  { "member.unlock",       N_("unlock a card") },
  { "member.upgrade",      N_("change a member's level") },
  { "member.set_pin",      N_("set a card's PIN") },
  { "member.show",         N_("look up a member") },
  { "member.search",       N_("search members") },
  { "member.history",      N_("show a member's history") },
  { "member.qr",           N_("make a QR card") },
  { "deposit.preview",     N_("work out a deposit bonus") },
  { "deposit_rule.list",   N_("list the deposit rules") },
  { "deposit_rule.upsert", N_("change the deposit rules") },
  { "level.list",          N_("list the member levels") },
  { "level.upsert",        N_("change the member levels") },
  { "package.consume",     N_("use a package") },
  { "package.list",        N_("list packages") },
  { "points.redeem",       N_("redeem points") },
  { "points.adjust",       N_("adjust points") },
  { "product.search",      N_("look up products") },
  { "product.upsert",      N_("change products and prices") },
  { "plan.list",           N_("list the rate plans") },
  { "plan.upsert",         N_("change the rate plans") },
  { "resource.list",       N_("list tables and rooms") },
  { "resource.upsert",     N_("change tables and rooms") },
  { "timed.list",          N_("show the timed board") },
  { "timed.start",         N_("start a table") },
  { "timed.stop",          N_("stop a table") },
  { "timed.move",          N_("move a session to another table") },
  { "timed.pause",         N_("pause a table") },
  { "timed.resume",        N_("resume a table") },
  { "report.shift",        N_("show the day end") },
  { "staff.add",           N_("add staff") },
  { "staff.disable",       N_("disable a staff member") },
  { "staff.enable",        N_("enable a staff member") },
  { "staff.list",          N_("list the staff") },
  { "staff.me",            N_("show who is logged in") },
  { "staff.passwd",        N_("change a password") },
  { "staff.unlock",        N_("unlock a staff login") },
  { "exception.write_off", N_("write off a member exception") },
  { "sync.link",           N_("link this counter to head office") },
  { "sync.status",         N_("show the sync status") },
  { "shift.preview",       N_("show the open shift") },
  { "shift.close",         N_("hand over the shift") },
  { "shift.list",          N_("show the day's shifts") },
};

const char *
mdn_op_title (const char *op)
{
  g_return_val_if_fail (op != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    if (g_str_equal (titles[i].op, op))
      return _(titles[i].title);
  return _("do this");
}

/* Who may: the least role, and whom to ask (a manager, or an
 * administrator for what only an administrator may do). */
void
mdn_op_set_refusal (GError    **error,
                    MdnRole     role,
                    MdnRole     needed,
                    const char *op)
{
  if (needed >= MDN_ROLE_ADMIN)
    g_set_error (error, MDN_ERROR, MDN_ERROR_PERMISSION_DENIED,
                 /* TRANSLATORS: "A cashier may not add staff; ask an administrator" */
                 _("A %s may not %s; ask an administrator"), mdn_role_title (role), mdn_op_title (op));
  else
    g_set_error (error, MDN_ERROR, MDN_ERROR_PERMISSION_DENIED,
                 /* TRANSLATORS: "A cashier may not take back a return; ask a manager" */
                 _("A %s may not %s; ask a manager"), mdn_role_title (role), mdn_op_title (op));
}
