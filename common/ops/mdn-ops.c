/* mdn-ops.c: the operation registry, permission check and transaction. */
#define G_LOG_DOMAIN "mdn-ops"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-backoffice.h"
#include "mdn-catalog.h"
#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-exceptions.h"
#include "mdn-json.h"
#include "mdn-lockout.h"
#include "mdn-master.h"
#include "mdn-member-edit.h"
#include "mdn-members.h"
#include "mdn-ops.h"
#include "mdn-packages.h"
#include "mdn-points.h"
#include "mdn-pricing.h"
#include "mdn-roles.h"
#include "mdn-sales.h"
#include "mdn-shifts.h"
#include "mdn-settings.h"
#include "mdn-staff.h"
#include "mdn-timed.h"
#include "mdn-stock.h"
#include "mdn-commission.h"
#include "mdn-import.h"
#include "mdn-member-filter.h"
#include "mdn-member-import.h"
#include "mdn-messages.h"
#include "mdn-reminders.h"
#include "mdn-sms.h"

static const MdnOpDef *const op_tables[] = {
  mdn_member_ops,
  mdn_master_ops,
  mdn_staff_ops,
  mdn_catalog_ops,
  mdn_sales_ops,
  mdn_package_ops,
  mdn_timed_ops,
  mdn_points_ops,
  mdn_report_ops,
  mdn_pricing_ops,
  mdn_exception_ops,
  mdn_role_ops,
  mdn_member_edit_ops,
  mdn_backoffice_ops,
  mdn_commission_ops,
  mdn_settings_ops,
  mdn_stock_ops,
  mdn_reminder_ops,
  mdn_message_ops,
  mdn_member_filter_ops,
  mdn_sms_ops,
  mdn_import_ops,
  mdn_member_import_ops,
  mdn_shift_ops,
  mdn_plan_ops,
};

/* Tables of the branch library (mdn_ops_register) and its spend hooks. */
#define MAX_EXTRA_TABLES 4
static const MdnOpDef *extra_tables[MAX_EXTRA_TABLES];
static guint n_extra_tables;
static const MdnSpendHooks *spend_hooks;

void
mdn_ops_register (const MdnOpDef *table)
{
  g_return_if_fail (table != NULL);

  for (guint i = 0; i < n_extra_tables; i++)
    if (extra_tables[i] == table)
      return;
  g_return_if_fail (n_extra_tables < MAX_EXTRA_TABLES);
  extra_tables[n_extra_tables++] = table;
}

void
mdn_ops_set_spend_hooks (const MdnSpendHooks *hooks)
{
  spend_hooks = hooks;
}

static gboolean
spend_prepare (MdnOpCtx       *ctx,
               const MdnOpDef *def,
               JsonObject     *args,
               GError        **error)
{
  if (spend_hooks != NULL)
    return spend_hooks->prepare (ctx, def, args, error);
  /* A linked branch whose program did not install the hooks would spend
     without the server's authorization: a programming error, refused. */
  if (mdn_store_is_linked (ctx->store))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INTERNAL,
                           "mdn_branch_init () was not called: this program can't have a spend authorized");
      return FALSE;
    }
  return TRUE;
}

static void
spend_finish (MdnOpCtx   *ctx,
              JsonObject *result)
{
  if (spend_hooks != NULL)
    spend_hooks->finish (ctx, result);
}

/* A kind is master data when the operation of the same name is written at
 * the head-office terminal (MDN_OP_HQ): its MDN_KIND_MASTER flag must say
 * so, or the ledger and the registry disagree about what reaches the chain.
 * Run once by mdn_branch_init, so by every branch program and test. */
void
mdn_ops_check_kinds (void)
{
  for (guint t = 0; t < G_N_ELEMENTS (op_tables); t++)
    for (const MdnOpDef *d = op_tables[t]; d->name; d++)
      {
        const MdnKindDef *k = mdn_ledger_lookup_kind (d->name);
        gboolean hq = (d->flags & MDN_OP_HQ) != 0;

        if (k != NULL && hq != ((k->flags & MDN_KIND_MASTER) != 0))
          g_error ("kind %s: MDN_KIND_MASTER does not match its operation's MDN_OP_HQ", k->kind);
      }
}


const MdnOpDef *
mdn_ops_lookup (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);

  for (guint t = 0; t < G_N_ELEMENTS (op_tables); t++)
    for (const MdnOpDef *d = op_tables[t]; d->name; d++)
      if (g_str_equal (d->name, name))
        return d;
  for (guint t = 0; t < n_extra_tables; t++)
    for (const MdnOpDef *d = extra_tables[t]; d->name; d++)
      if (g_str_equal (d->name, name))
        return d;
  return NULL;
}

static int
compare_op_names (gconstpointer a,
                  gconstpointer b)
{
  const MdnOpDef *da = *(const MdnOpDef *const *) a;
  const MdnOpDef *db = *(const MdnOpDef *const *) b;

  return strcmp (da->name, db->name);
}

/* Every registered operation, sorted by name. */
GPtrArray *
mdn_ops_list_all (void)
{
  GPtrArray *defs = g_ptr_array_new ();

  for (guint t = 0; t < G_N_ELEMENTS (op_tables); t++)
    for (const MdnOpDef *d = op_tables[t]; d->name; d++)
      g_ptr_array_add (defs, (gpointer) d);
  for (guint t = 0; t < n_extra_tables; t++)
    for (const MdnOpDef *d = extra_tables[t]; d->name; d++)
      g_ptr_array_add (defs, (gpointer) d);
  g_ptr_array_sort (defs, compare_op_names);
  return defs;
}

/* Reads the acting staff member's role again: code, name, permissions
 * and the rank of mdn_perms_rank. */
static gboolean
ctx_load_role (MdnOpCtx   *ctx,
               const char *password,
               GError    **error)
{
  g_autofree char *code = NULL;
  g_autoptr(MdnRoleRow) row = NULL;

  if (!mdn_staff_lookup_role (ctx->db, ctx->staff, password, &code, error))
    return FALSE;
  row = mdn_role_row_load (ctx->db, code, error);
  if (row == NULL)
    return FALSE;
  g_free (ctx->role_code);
  ctx->role_code = g_steal_pointer (&row->code);
  g_free (ctx->role_name);
  ctx->role_name = g_steal_pointer (&row->name);
  g_strfreev (ctx->permissions);
  ctx->permissions = g_steal_pointer (&row->permissions);
  ctx->role = g_str_equal (ctx->role_code, "admin") ? MDN_ROLE_ADMIN
                                                    : mdn_perms_rank ((const char *const *) ctx->permissions);
  return TRUE;
}

static void oplog (MdnOpCtx *ctx, const char *op, gboolean ok, const char *detail, const char *entry_id);

static MdnOpCtx *
ctx_new (MdnStore   *store,
         const char *staff,
         const char *password,
         GError    **error)
{
  g_autoptr(MdnOpCtx) ctx = g_new0 (MdnOpCtx, 1);
  g_autoptr(GError) local_error = NULL;

  ctx->store = store;
  ctx->db = store->db;
  ctx->staff = g_strdup (staff);
  if (!ctx_load_role (ctx, password, &local_error))
    {
      /* A login, right or wrong, is in the operation log. */
      if (password != NULL && !mdn_db_in_transaction (ctx->db) && mdn_db_begin (ctx->db, TRUE, NULL))
        {
          oplog (ctx, "login", FALSE, mdn_error_name (local_error), NULL);
          mdn_db_commit (ctx->db, NULL);
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (password != NULL && !mdn_db_in_transaction (ctx->db) && mdn_db_begin (ctx->db, TRUE, NULL))
    {
      oplog (ctx, "login", TRUE, NULL, NULL);
      mdn_db_commit (ctx->db, NULL);
    }
  return g_steal_pointer (&ctx);
}

/* Logs @staff in: the context acts with their role until freed. */
MdnOpCtx *
mdn_op_ctx_new (MdnStore   *store,
                const char *staff,
                const char *password,
                GError    **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  g_return_val_if_fail (staff != NULL, NULL);

  if (password == NULL)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_AUTH_FAILED,
                           _("Give the staff password"));
      return NULL;
    }
  return ctx_new (store, staff, password, error);
}

/* Acts as @staff without a password: for set-up and tests, never for a
 * front end's login. */
MdnOpCtx *
mdn_op_ctx_new_trusted (MdnStore   *store,
                        const char *staff,
                        GError    **error)
{
  g_return_val_if_fail (store != NULL, NULL);
  return ctx_new (store, staff, NULL, error);
}

gboolean
mdn_ops_allowed (MdnOpCtx   *ctx,
                 const char *name)
{
  const MdnOpDef *def = mdn_ops_lookup (name);

  return def != NULL && mdn_perms_allow ((const char *const *) ctx->permissions, def);
}

/* Runs @def inside the caller's open transaction. */
JsonObject *
mdn_ops_call_in_transaction (MdnOpCtx       *ctx,
                             const MdnOpDef *def,
                             JsonObject     *args,
                             GError        **error)
{
  g_autoptr(JsonObject) result = json_object_new ();
  g_autoptr(GDateTime) local = NULL;
  GTimeZone *tz = ctx->store->tz;
  gboolean ok;

  g_return_val_if_fail (def != NULL, NULL);
  g_return_val_if_fail (mdn_db_in_transaction (ctx->db), NULL);

  mdn_op_ctx_clear_time (ctx);
  /* A spend's probe and its real run happen at the same instant. */
  ctx->now = ctx->spend && ctx->spend->now ? g_date_time_ref (ctx->spend->now) : mdn_clock_now ();
  local = tz ? g_date_time_to_timezone (ctx->now, tz) : g_date_time_ref (ctx->now);
  ctx->now_iso = mdn_clock_format (local);
  /* What mdn_clock_business_date() gives, without loading the zone again. */
  ctx->business_date = tz ? g_date_time_format (local, "%Y-%m-%d")
                          : mdn_clock_business_date (ctx->now, ctx->store->timezone);

  ok = def->func (ctx, args, result, error);
  mdn_op_ctx_clear_time (ctx);
  return ok ? g_steal_pointer (&result) : NULL;
}

/* One row of the operation log, in the caller's write transaction. */
static void
oplog (MdnOpCtx   *ctx,
       const char *op,
       gboolean    ok,
       const char *detail,
       const char *entry_id)
{
  g_autoptr(GDateTime) now = mdn_clock_now ();
  /* In the branch's time zone, so that a day of the log is a business day. */
  g_autoptr(GDateTime) local = ctx->store->tz ? g_date_time_to_timezone (now, ctx->store->tz) : g_date_time_ref (now);
  g_autofree char *at = mdn_clock_format (local);

  mdn_db_exec (ctx->db, NULL,
               "INSERT INTO oplog (at, staff, op, ok, detail, terminal, entry_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
               "sssisss", at, ctx->staff, op, (gint64) ok, detail,
               ctx->terminal ? ctx->terminal : g_get_host_name (), entry_id);
}

/* Logs what happened at a front end that is no operation: a lock, an
 * unlock, a switch of staff at the till (@what: "lock", "unlock",
 * "switch"), in a transaction of its own. */
void
mdn_ops_log_event (MdnOpCtx   *ctx,
                   const char *what,
                   gboolean    ok,
                   const char *detail)
{
  g_return_if_fail (ctx != NULL && what != NULL);

  if (!mdn_db_in_transaction (ctx->db) && mdn_db_begin (ctx->db, TRUE, NULL))
    {
      oplog (ctx, what, ok, detail, NULL);
      mdn_db_commit (ctx->db, NULL);
    }
}

/* A refusal: “收银员 may not top up a card”, in words. */
static void
set_denied (GError        **error,
            MdnOpCtx       *ctx,
            const MdnOpDef *def)
{
  g_autofree char *who = mdn_roles_dup_who_may (ctx->db, def);
  const char *role = ctx->role_name ? ctx->role_name : ctx->role_code;

  if (who != NULL)
    g_set_error (error, MDN_ERROR, MDN_ERROR_PERMISSION_DENIED,
                 _("A %s may not %s; ask a %s"), role, mdn_op_title (def->name), who);
  else
    g_set_error (error, MDN_ERROR, MDN_ERROR_PERMISSION_DENIED,
                 _("A %s may not %s; ask someone whose role allows it"), role, mdn_op_title (def->name));
}

/* A wrong PIN is counted although the operation it was given for is rolled
 * back; at a linked branch the server is told at the next sync. Inside the
 * write transaction that logs the refusal. */
static void
count_failed_pin (MdnOpCtx *ctx)
{
  g_autofree char *member = g_steal_pointer (&ctx->failed_pin);
  g_autoptr(GError) error = NULL;

  if (member != NULL &&
      !mdn_lockout_fail_max (ctx->db, "pin", member, mdn_lockout_now (), 1, mdn_store_is_linked (ctx->store),
                             mdn_pin_max_failures (ctx->db), NULL, &error))
    g_warning ("a wrong PIN was not counted: %s", error->message);
}

/* Checks the acting staff member may run @name, then runs it in one
 * transaction: all of it is written, or nothing. */
JsonObject *
mdn_ops_run (MdnOpCtx   *ctx,
             const char *name,
             JsonObject *args,
             GError    **error)
{
  const MdnOpDef *def;

  g_return_val_if_fail (ctx != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (args != NULL, NULL);

  def = mdn_ops_lookup (name);
  if (def == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_OP, _("Unknown operation “%s”"), name);
      return NULL;
    }
  return mdn_ops_run_def (ctx, def, args, error);
}

/* The operation @name of one family's @table, or NULL. */
const MdnOpDef *
mdn_ops_find (const MdnOpDef *table,
              const char     *name)
{
  g_return_val_if_fail (table != NULL && name != NULL, NULL);

  for (const MdnOpDef *d = table; d->name; d++)
    if (g_str_equal (d->name, name))
      return d;
  return NULL;
}

/* mdn_ops_run of an operation the caller found in its family's table
 * (mdn_ops_find): the same permission check, transaction and log, without
 * the registry, so a program that runs a few operations (the server's
 * console, as the head-office terminal) links only their families. */
JsonObject *
mdn_ops_run_def (MdnOpCtx       *ctx,
                 const MdnOpDef *def,
                 JsonObject     *args,
                 GError        **error)
{
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(GError) local_error = NULL;
  gboolean local = FALSE;
  const char *name;

  g_return_val_if_fail (ctx != NULL, NULL);
  g_return_val_if_fail (def != NULL, NULL);
  g_return_val_if_fail (args != NULL, NULL);
  name = def->name;

  /* The role is read again: a staff member disabled meanwhile, or whose
     role changed, gets what the role says now. */
  if (!ctx_load_role (ctx, NULL, &local_error))
    {
      if (mdn_db_begin (ctx->db, TRUE, NULL))
        {
          oplog (ctx, name, FALSE, mdn_error_name (local_error), NULL);
          mdn_db_commit (ctx->db, NULL);
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (!mdn_perms_allow ((const char *const *) ctx->permissions, def))
    {
      set_denied (error, ctx, def);
      if (mdn_db_begin (ctx->db, TRUE, NULL))
        {
          oplog (ctx, name, FALSE, "permission_denied", NULL);
          mdn_db_commit (ctx->db, NULL);
        }
      return NULL;
    }
  /* Chain master data is written at the head-office terminal: at a
     branch linked to a server it would stay in this branch alone, so it
     is refused there unless asked for as a branch override ("local":
     true, docs/cli.md). */
  if ((def->flags & MDN_OP_HQ) && !ctx->store->hq && !mdn_args_bool (args, "local", &local, error))
    return NULL;
  if ((def->flags & MDN_OP_HQ) && !ctx->store->hq && mdn_store_is_linked (ctx->store) && !local)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_HQ_ONLY,
                   _("Only head office can %s for the chain: do it at the head-office terminal. "
                     "To change it at this branch alone, ask for a branch override"),
                   mdn_op_title (def->name));
      if (mdn_db_begin (ctx->db, TRUE, NULL))
        {
          oplog (ctx, name, FALSE, "hq_only", NULL);
          mdn_db_commit (ctx->db, NULL);
        }
      return NULL;
    }
  /* Spending stored value at a linked branch: the server authorizes it
   * first, with no transaction open (see mdn-sync.h), through the hooks
   * the branch library installed; without them (the server) nothing. */
  if ((def->flags & MDN_OP_SPEND) && !spend_prepare (ctx, def, args, &local_error))
    {
      spend_finish (ctx, NULL);
      if (!mdn_db_in_transaction (ctx->db) && mdn_db_begin (ctx->db, TRUE, NULL))
        {
          oplog (ctx, name, FALSE, mdn_error_name (local_error), NULL);
          mdn_db_commit (ctx->db, NULL);
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  if (!mdn_db_begin (ctx->db, (def->flags & MDN_OP_WRITE) != 0, error))
    {
      spend_finish (ctx, NULL);
      return NULL;
    }
  g_clear_pointer (&ctx->failed_pin, g_free);
  result = mdn_ops_call_in_transaction (ctx, def, args, &local_error);
  if (result == NULL)
    {
      spend_finish (ctx, NULL);
      mdn_db_rollback (ctx->db);
      if ((def->flags & MDN_OP_WRITE) && mdn_db_begin (ctx->db, TRUE, NULL))
        {
          oplog (ctx, name, FALSE, mdn_error_name (local_error), NULL);
          count_failed_pin (ctx);
          mdn_db_commit (ctx->db, NULL);
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  g_clear_pointer (&ctx->failed_pin, g_free);
  if (def->flags & MDN_OP_WRITE)
    oplog (ctx, name, TRUE, NULL,
           json_object_get_string_member_with_default (result, "entry_id", NULL));
  if (!mdn_db_commit (ctx->db, error))
    {
      spend_finish (ctx, NULL);
      return NULL;
    }
  spend_finish (ctx, result);
  return g_steal_pointer (&result);
}

static JsonObject *
error_result (const GError *error)
{
  JsonObject *out = json_object_new ();
  JsonObject *e = json_object_new ();

  json_object_set_boolean_member (out, "ok", FALSE);
  json_object_set_string_member (e, "code", mdn_error_name (error));
  json_object_set_string_member (e, "message", error->message);
  json_object_set_object_member (out, "error", e);
  return out;
}

/* One JSON line in ({"op": NAME, ...arguments}), one JSON object out:
 * {"ok": true, ...result} or {"ok": false, "error": {code, message}}. */
JsonObject *
mdn_ops_run_line (MdnOpCtx   *ctx,
                  const char *line)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) args = NULL;
  g_autoptr(JsonObject) result = NULL;
  const char *op = NULL;
  JsonObject *out;

  args = mdn_json_parse_object (line, &error);
  if (args == NULL || !mdn_args_string (args, "op", TRUE, &op, &error))
    return error_result (error);
  result = mdn_ops_run (ctx, op, args, &error);
  if (result == NULL)
    return error_result (error);

  out = json_object_new ();
  json_object_set_boolean_member (out, "ok", TRUE);
  {
    g_autoptr(GList) members = json_object_get_members (result);

    for (GList *l = members; l; l = l->next)
      json_object_set_member (out, l->data, json_node_copy (json_object_get_member (result, l->data)));
  }
  return out;
}
