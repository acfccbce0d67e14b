/* mdn-roles.c: roles as data (role.upsert, role.list, role.show,
 * role.remove, permission.groups), the permission groups and the words
 * for what each operation does, used by the refusal mdn_ops_run gives.
 * role.upsert and role.remove are master data: written at the head-office
 * terminal they reach every branch; the roles table is their projection
 * over the three rows of schema/branch/0005_backoffice.sql. */
#define G_LOG_DOMAIN "mdn-roles"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-ops.h"
#include "mdn-roles.h"

/* Groups ------------------------------------------------------------------------------ */

static const char *const members_f[] = { "member", "deposit", "points", "package", NULL };
static const char *const selling_f[] = { "sale", "receipt", "timed", NULL };
static const char *const catalog_f[] = { "product", "category", "level", "deposit_rule", "plan", "resource", NULL };
static const char *const stock_f[] = { "stock", "stocktake", "transfer", NULL };
static const char *const reports_f[] = { "report", "shift", NULL };
static const char *const crm_f[] = { "reminder", "message", "segment", "sms", "campaign", NULL };
static const char *const staff_f[] = { "staff", "role", "permission", NULL };
static const char *const system_f[] = { "shop", "settings", "oplog", "sync", "backup", "restore", "recover", NULL };
static const char *const exceptions_f[] = { "exception", NULL };
static const char *const other_f[] = { NULL };

static const MdnPermGroup groups[] = {
  { "members.*",    N_("Members"),             members_f },
  { "selling.*",    N_("Checkout"),            selling_f },
  { "catalog.*",    N_("Products and prices"), catalog_f },
  { "stock.*",      N_("Stock"),               stock_f },
  { "reports.*",    N_("Reports"),             reports_f },
  { "crm.*",        N_("Member care"),         crm_f },
  { "staff.*",      N_("Staff and roles"),     staff_f },
  { "system.*",     N_("System settings"),     system_f },
  { "exceptions.*", N_("Exceptions"),          exceptions_f },
  { "other.*",      N_("Other"),               other_f },
  { NULL }
};

const MdnPermGroup *
mdn_perm_groups (void)
{
  return groups;
}

/* @op is @family or family.something. */
static gboolean
in_family (const char *op,
           const char *family)
{
  gsize len = strlen (family);

  return strncmp (op, family, len) == 0 && (op[len] == '\0' || op[len] == '.');
}

const MdnPermGroup *
mdn_perm_group_of (const char *op)
{
  g_return_val_if_fail (op != NULL, NULL);

  for (const MdnPermGroup *g = groups; g->code; g++)
    for (const char *const *f = g->families; *f; f++)
      if (in_family (op, *f))
        return g;
  return &groups[G_N_ELEMENTS (groups) - 2];
}

/* What each operation does, in words. An operation missing here is named
 * by its group. */
static const struct { const char *op; const char *title; } titles[] = {
  { "member.issue",        N_("issue a member card") },
  { "member.show",         N_("look up a member") },
  { "member.search",       N_("search members") },
  { "member.history",      N_("see a member's history") },
  { "member.qr",           N_("show a member's QR card") },
  { "member.deposit",      N_("top up a card") },
  { "deposit.preview",     N_("preview a top-up") },
  { "member.withdraw",     N_("pay out a card's balance") },
  { "member.replace",      N_("replace a card") },
  { "member.extend",       N_("extend a card's validity") },
  { "member.lose",         N_("report a card lost") },
  { "member.unlock",       N_("unlock a lost card") },
  { "member.upgrade",      N_("change a member's level") },
  { "member.set_pin",      N_("set a card's PIN") },
  { "member.update",       N_("edit a member's details") },
  { "staff.add",           N_("add a staff member") },
  { "staff.update",        N_("change a staff member") },
  { "staff.disable",       N_("disable a staff member") },
  { "staff.enable",        N_("enable a staff member") },
  { "staff.unlock",        N_("unlock a staff login") },
  { "staff.passwd",        N_("change a password") },
  { "staff.list",          N_("list the staff") },
  { "staff.me",            N_("see who is logged in") },
  { "role.upsert",         N_("define a role") },
  { "role.list",           N_("list the roles") },
  { "role.show",           N_("see a role") },
  { "role.remove",         N_("remove a role") },
  { "permission.groups",   N_("see the permission groups") },
  { "sale",                N_("sell") },
  { "sale.quick",          N_("make a quick sale") },
  { "sale.return",         N_("take a return") },
  { "sale.list",           N_("list sales") },
  { "sale.preview",        N_("price a cart") },
  { "sale.staff",          N_("list who may serve a sale line") },
  { "receipt.show",        N_("show a receipt") },
  { "product.upsert",      N_("define a product") },
  { "product.update",      N_("edit a product") },
  { "product.archive",     N_("archive a product") },
  { "product.unarchive",   N_("bring back an archived product") },
  { "product.search",      N_("search products") },
  { "category.upsert",     N_("define a category") },
  { "category.list",       N_("list the categories") },
  { "category.archive",    N_("archive a category") },
  { "level.upsert",        N_("define a member level") },
  { "level.list",          N_("list the member levels") },
  { "deposit_rule.upsert", N_("define a top-up bonus rule") },
  { "deposit_rule.list",   N_("list the top-up bonus rules") },
  { "plan.upsert",         N_("define a rate plan") },
  { "plan.list",           N_("list the rate plans") },
  { "resource.upsert",     N_("define a table or room") },
  { "resource.list",       N_("list the tables and rooms") },
  { "timed.start",         N_("start timing") },
  { "timed.stop",          N_("stop timing and charge") },
  { "timed.list",          N_("list running sessions") },
  { "timed.move",          N_("move a session to another table") },
  { "timed.pause",         N_("pause a table") },
  { "timed.resume",        N_("resume a table") },
  { "timed.add",           N_("add goods to a table") },
  { "timed.lines",         N_("see the goods on a table") },
  { "timed.prepay",        N_("sell prepaid time") },
  { "timed.extend",        N_("extend prepaid time") },
  { "shift.preview",       N_("see the open shift") },
  { "shift.close",         N_("hand over the shift") },
  { "shift.list",          N_("see the day's shifts") },
  { "package.consume",     N_("use a package") },
  { "package.list",        N_("list a member's packages") },
  { "points.redeem",       N_("redeem points") },
  { "points.adjust",       N_("adjust points") },
  { "report.shift",        N_("see the day end") },
  { "exception.write_off", N_("write off an overdraft") },
  { "sync.link",           N_("link this branch to the server") },
  { "sync.status",         N_("see the sync status") },
  { "shop.show",           N_("see the shop details") },
  { "shop.update",         N_("change the shop details") },
  { "settings.list",       N_("see the settings") },
  { "settings.set",        N_("change a setting") },
  { "oplog.list",          N_("read the operation log") },
  { "backup.now",          N_("back up the database") },
  { "backup.daily",        N_("make the daily backup") },
};

const char *
mdn_op_title (const char *op)
{
  g_return_val_if_fail (op != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (titles); i++)
    if (g_str_equal (titles[i].op, op))
      return _(titles[i].title);
  return _(mdn_perm_group_of (op)->title);
}

/* Rows and the check ---------------------------------------------------------------------- */

void
mdn_role_row_free (MdnRoleRow *row)
{
  if (row == NULL)
    return;
  g_free (row->code);
  g_free (row->name);
  g_strfreev (row->permissions);
  g_free (row);
}

static char **
parse_permissions (const char *json)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) out = g_ptr_array_new ();
  JsonNode *root;

  if (json == NULL || !json_parser_load_from_data (parser, json, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_ARRAY (root))
    return NULL;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (root)); i++)
    {
      JsonNode *n = json_array_get_element (json_node_get_array (root), i);

      if (JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
        g_ptr_array_add (out, g_strdup (json_node_get_string (n)));
    }
  g_ptr_array_add (out, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}

MdnRoleRow *
mdn_role_row_load (MdnDb      *db,
                   const char *code,
                   GError    **error)
{
  g_autoptr(MdnRoleRow) row = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (db != NULL && code != NULL, NULL);

  stmt = mdn_db_query (db, error, "SELECT code, name, permissions FROM roles WHERE code = ?", "s", code);
  if (stmt == NULL || (rc = mdn_db_step (db, stmt, error)) < 0)
    return NULL;
  if (rc == SQLITE_ROW)
    {
      row = g_new0 (MdnRoleRow, 1);
      row->code = g_strdup (mdn_db_col_text (stmt, 0));
      row->name = g_strdup (mdn_db_col_text (stmt, 1));
      row->permissions = parse_permissions (mdn_db_col_text (stmt, 2));
    }
  sqlite3_reset (stmt);
  if (row == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_PERMISSION_DENIED,
                   _("The role “%s” no longer exists; ask an administrator to give you another"), code);
      return NULL;
    }
  if (row->permissions == NULL)
    row->permissions = g_new0 (char *, 1);
  return g_steal_pointer (&row);
}

static const MdnPermGroup *
lookup_group (const char *code)
{
  for (const MdnPermGroup *g = groups; g->code; g++)
    if (g_str_equal (g->code, code))
      return g;
  return NULL;
}

static gboolean
perm_allows (const char     *perm,
             const MdnOpDef *def)
{
  const MdnPermGroup *g;
  gsize len = strlen (perm);

  if (g_str_equal (perm, "*"))
    return TRUE;
  if (g_str_equal (perm, "@cashier"))
    return def->min_role <= MDN_ROLE_CASHIER;
  if (g_str_equal (perm, "@manager"))
    return def->min_role <= MDN_ROLE_MANAGER;
  if ((g = lookup_group (perm)) != NULL)
    return mdn_perm_group_of (def->name) == g;
  if (len > 2 && g_str_has_suffix (perm, ".*"))
    {
      g_autofree char *family = g_strndup (perm, len - 2);

      return in_family (def->name, family);
    }
  return g_str_equal (perm, def->name);
}

gboolean
mdn_perms_allow (const char *const *permissions,
                 const MdnOpDef    *def)
{
  g_return_val_if_fail (def != NULL, FALSE);

  for (const char *const *p = permissions; p && *p; p++)
    if (perm_allows (*p, def))
      return TRUE;
  return FALSE;
}

/* The name of a role that may do @def, for a refusal to say whom to ask:
 * the manager, then the administrator, then any other role that may (by
 * code); NULL if none may. */
char *
mdn_roles_dup_who_may (MdnDb          *db,
                       const MdnOpDef *def)
{
  sqlite3_stmt *stmt;
  char *name = NULL;

  g_return_val_if_fail (db != NULL && def != NULL, NULL);

  stmt = mdn_db_query (db, NULL,
                       "SELECT name, permissions FROM roles WHERE code != 'cashier' ORDER BY "
                       "CASE code WHEN 'manager' THEN 0 WHEN 'admin' THEN 1 ELSE 2 END, code", "");
  if (stmt == NULL)
    return NULL;
  while (name == NULL && mdn_db_step (db, stmt, NULL) == SQLITE_ROW)
    {
      g_auto(GStrv) perms = parse_permissions (mdn_db_col_text (stmt, 1));

      if (perms != NULL && mdn_perms_allow ((const char *const *) perms, def))
        name = g_strdup (mdn_db_col_text (stmt, 0));
    }
  sqlite3_reset (stmt);
  return name;
}

MdnRole
mdn_perms_rank (const char *const *permissions)
{
  if (permissions && g_strv_contains (permissions, "*"))
    return MDN_ROLE_ADMIN;
  if (permissions && g_strv_contains (permissions, "@manager"))
    return MDN_ROLE_MANAGER;
  return MDN_ROLE_CASHIER;
}

/* Operations ------------------------------------------------------------------------------ */

static gboolean
valid_role_code (const char *code)
{
  gsize len = strlen (code);

  if (len < 1 || len > 32)
    return FALSE;
  for (const char *p = code; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

/* A permission names something that exists: "*", a default set, a group,
 * a family with at least one operation, or an operation. */
static gboolean
valid_permission (const char *perm)
{
  gsize len = strlen (perm);

  if (g_str_equal (perm, "*") || g_str_equal (perm, "@cashier") || g_str_equal (perm, "@manager") ||
      lookup_group (perm) != NULL)
    return TRUE;
  if (len > 2 && g_str_has_suffix (perm, ".*"))
    {
      g_autofree char *family = g_strndup (perm, len - 2);
      g_autoptr(GPtrArray) all = mdn_ops_list_all ();

      for (guint i = 0; i < all->len; i++)
        if (in_family (((const MdnOpDef *) g_ptr_array_index (all, i))->name, family))
          return TRUE;
      return FALSE;
    }
  return mdn_ops_lookup (perm) != NULL;
}

static JsonArray *
strv_to_array (const char *const *strv)
{
  JsonArray *a = json_array_new ();

  for (const char *const *p = strv; p && *p; p++)
    json_array_add_string_element (a, *p);
  return a;
}

static char *
strv_to_json (const char *const *strv)
{
  g_autoptr(JsonNode) node = json_node_init_array (json_node_alloc (), strv_to_array (strv));

  return json_to_string (node, FALSE);
}

static gboolean
op_role_upsert (MdnOpCtx   *ctx,
                JsonObject *args,
                JsonObject *result,
                GError    **error)
{
  const char *code = NULL, *name = NULL;
  g_autoptr(GPtrArray) perms = g_ptr_array_new ();
  g_autoptr(MdnEntry) entry = NULL;
  JsonArray *list;

  if (!mdn_args_string (args, "code", TRUE, &code, error) ||
      !mdn_args_string (args, "name", TRUE, &name, error))
    return FALSE;
  if (!valid_role_code (code))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("A role code is 1 to 32 letters, digits, “-” or “_”, like senior_cashier"));
      return FALSE;
    }
  if (g_utf8_strlen (name, -1) > 32)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("A role name can have at most 32 characters"));
      return FALSE;
    }
  {
    g_autoptr(GError) local_error = NULL;

    list = mdn_args_array (args, "permissions", FALSE, &local_error);
    if (local_error != NULL)
      {
        g_propagate_error (error, g_steal_pointer (&local_error));
        return FALSE;
      }
  }
  if (list == NULL && !g_str_equal (code, "admin"))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("Give the role its permissions: operations, groups like members.* or *"));
      return FALSE;
    }
  for (guint i = 0; list && i < json_array_get_length (list); i++)
    {
      JsonNode *n = json_array_get_element (list, i);
      const char *perm;

      if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
        {
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                               _("Each permission is text: an operation, a group like members.* or *"));
          return FALSE;
        }
      perm = json_node_get_string (n);
      if (!valid_permission (perm))
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                       _("“%s” is not a permission: give an operation, a group like members.* or *"), perm);
          return FALSE;
        }
      if (perms->len >= 256)
        {
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                               _("A role can have at most 256 permissions; use groups like members.*"));
          return FALSE;
        }
      if (!g_ptr_array_find_with_equal_func (perms, perm, g_str_equal, NULL))
        g_ptr_array_add (perms, (gpointer) perm);
    }
  g_ptr_array_add (perms, NULL);
  if (g_str_equal (code, "admin") && list != NULL &&
      (perms->len != 2 || !g_str_equal (g_ptr_array_index (perms, 0), "*")))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("The administrator role always holds every permission; only its name can change"));
      return FALSE;
    }

  entry = mdn_entry_new ("role.upsert", NULL);
  json_object_set_string_member (entry->body, "code", code);
  json_object_set_string_member (entry->body, "name", name);
  json_object_set_array_member (entry->body, "permissions",
                                g_str_equal (code, "admin") ? strv_to_array ((const char *const[]) { "*", NULL })
                                                            : strv_to_array ((const char *const *) perms->pdata));
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "code", code);
  return TRUE;
}

static gboolean
apply_role_upsert (MdnDb    *db,
                   MdnEntry *entry,
                   GError  **error)
{
  const char *code = mdn_body_string (entry->body, "code");
  const char *name = mdn_body_string (entry->body, "name");
  JsonArray *perms = mdn_body_array (entry->body, "permissions");
  g_autoptr(GPtrArray) list = g_ptr_array_new ();
  g_autofree char *json = NULL;

  if (code == NULL || name == NULL || perms == NULL)
    return mdn_entry_malformed (entry, code ? code : "", error);
  for (guint i = 0; i < json_array_get_length (perms); i++)
    {
      const char *p = json_array_get_string_element (perms, i);

      if (p == NULL)
        return mdn_entry_malformed (entry, code, error);
      g_ptr_array_add (list, (gpointer) p);
    }
  g_ptr_array_add (list, NULL);
  /* admin holds everything, whatever an entry says. */
  json = g_str_equal (code, "admin") ? g_strdup ("[\"*\"]") : strv_to_json ((const char *const *) list->pdata);
  return mdn_db_exec (db, error,
                      "INSERT INTO roles (code, name, permissions) VALUES (?, ?, ?) "
                      "ON CONFLICT (code) DO UPDATE SET name = excluded.name, permissions = excluded.permissions",
                      "sss", code, name, json);
}

static gboolean
op_role_remove (MdnOpCtx   *ctx,
                JsonObject *args,
                JsonObject *result,
                GError    **error)
{
  const char *code = NULL;
  g_autoptr(MdnRoleRow) row = NULL;
  g_autoptr(MdnEntry) entry = NULL;
  sqlite3_stmt *stmt;
  int rc;

  if (!mdn_args_string (args, "code", TRUE, &code, error))
    return FALSE;
  if (g_str_equal (code, "admin"))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("The administrator role can't be removed"));
      return FALSE;
    }
  row = mdn_role_row_load (ctx->db, code, NULL);
  if (row == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("There is no role “%s”"), code);
      return FALSE;
    }
  stmt = mdn_db_query (ctx->db, error, "SELECT count (*), min (name) FROM staff WHERE role = ?", "s", code);
  if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) != SQLITE_ROW)
    return FALSE;
  if (sqlite3_column_int64 (stmt, 0) == 1)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("The role “%s” is still held by %s; give them another role first"),
                   row->name, mdn_db_col_text (stmt, 1));
      sqlite3_reset (stmt);
      return FALSE;
    }
  if (sqlite3_column_int64 (stmt, 0) > 1)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   g_dngettext (GETTEXT_PACKAGE,
                                "The role “%s” is still held by %s and %d other; give them another role first",
                                "The role “%s” is still held by %s and %d others; give them another role first",
                                (gulong) (sqlite3_column_int64 (stmt, 0) - 1)),
                   row->name, mdn_db_col_text (stmt, 1), (int) (sqlite3_column_int64 (stmt, 0) - 1));
      sqlite3_reset (stmt);
      return FALSE;
    }
  sqlite3_reset (stmt);
  entry = mdn_entry_new ("role.remove", NULL);
  json_object_set_string_member (entry->body, "code", code);
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "code", code);
  return TRUE;
}

/* A branch whose staff still hold the role removed at head office: they
 * are refused everything until given another (mdn_role_row_load). */
static gboolean
apply_role_remove (MdnDb    *db,
                   MdnEntry *entry,
                   GError  **error)
{
  const char *code = mdn_body_string (entry->body, "code");

  if (code == NULL)
    return mdn_entry_malformed (entry, "", error);
  if (g_str_equal (code, "admin"))
    return TRUE;
  return mdn_db_exec (db, error, "DELETE FROM roles WHERE code = ?", "s", code);
}

static JsonObject *
role_json (MdnOpCtx          *ctx,
           const char        *code,
           const char        *name,
           const char *const *perms,
           gboolean           with_ops)
{
  JsonObject *o = json_object_new ();
  gint64 holders = 0;
  sqlite3_stmt *stmt;

  json_object_set_string_member (o, "code", code);
  json_object_set_string_member (o, "name", name);
  json_object_set_array_member (o, "permissions", strv_to_array (perms));
  stmt = mdn_db_query (ctx->db, NULL, "SELECT count (*) FROM staff WHERE role = ?", "s", code);
  if (stmt != NULL && mdn_db_step (ctx->db, stmt, NULL) == SQLITE_ROW)
    holders = sqlite3_column_int64 (stmt, 0);
  if (stmt != NULL)
    sqlite3_reset (stmt);
  json_object_set_int_member (o, "staff", holders);
  if (with_ops)
    {
      g_autoptr(GPtrArray) all = mdn_ops_list_all ();
      JsonArray *ops = json_array_new ();
      JsonArray *gs = json_array_new ();

      for (guint i = 0; i < all->len; i++)
        {
          const MdnOpDef *d = g_ptr_array_index (all, i);

          if (mdn_perms_allow (perms, d))
            json_array_add_string_element (ops, d->name);
        }
      /* Per group: all, some or none of its operations. */
      for (const MdnPermGroup *g = groups; g->code; g++)
        {
          guint n = 0, yes = 0;
          JsonObject *go = json_object_new ();

          for (guint i = 0; i < all->len; i++)
            {
              const MdnOpDef *d = g_ptr_array_index (all, i);

              if (mdn_perm_group_of (d->name) != g)
                continue;
              n++;
              yes += mdn_perms_allow (perms, d);
            }
          if (n == 0)
            {
              json_object_unref (go);
              continue;
            }
          json_object_set_string_member (go, "group", g->code);
          json_object_set_string_member (go, "holds", yes == n ? "all" : yes ? "some" : "none");
          json_array_add_object_element (gs, go);
        }
      json_object_set_array_member (o, "operations", ops);
      json_object_set_array_member (o, "groups", gs);
    }
  return o;
}

static gboolean
op_role_list (MdnOpCtx   *ctx,
              JsonObject *args,
              JsonObject *result,
              GError    **error)
{
  JsonArray *list = json_array_new ();
  sqlite3_stmt *stmt;
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_role_row_free);
  gboolean detail = FALSE;
  int rc;

  if (!mdn_args_bool (args, "detail", &detail, error))
    return FALSE;
  json_object_set_array_member (result, "roles", list);
  /* The three of every database first, then the rest by code. */
  stmt = mdn_db_query (ctx->db, error,
                       "SELECT code, name, permissions FROM roles ORDER BY "
                       "CASE code WHEN 'cashier' THEN 0 WHEN 'manager' THEN 1 WHEN 'admin' THEN 2 ELSE 3 END, code", "");
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
    {
      MdnRoleRow *row = g_new0 (MdnRoleRow, 1);

      row->code = g_strdup (mdn_db_col_text (stmt, 0));
      row->name = g_strdup (mdn_db_col_text (stmt, 1));
      row->permissions = parse_permissions (mdn_db_col_text (stmt, 2));
      g_ptr_array_add (rows, row);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return FALSE;
  for (guint i = 0; i < rows->len; i++)
    {
      MdnRoleRow *row = g_ptr_array_index (rows, i);

      json_array_add_object_element (list, role_json (ctx, row->code, row->name,
                                                      (const char *const *) row->permissions, detail));
    }
  return TRUE;
}

static gboolean
op_role_show (MdnOpCtx   *ctx,
              JsonObject *args,
              JsonObject *result,
              GError    **error)
{
  const char *code = NULL;
  g_autoptr(MdnRoleRow) row = NULL;
  g_autoptr(JsonObject) o = NULL;
  g_autoptr(GList) members = NULL;

  if (!mdn_args_string (args, "code", TRUE, &code, error))
    return FALSE;
  row = mdn_role_row_load (ctx->db, code, NULL);
  if (row == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("There is no role “%s”"), code);
      return FALSE;
    }
  o = role_json (ctx, row->code, row->name, (const char *const *) row->permissions, TRUE);
  members = json_object_get_members (o);
  for (GList *l = members; l; l = l->next)
    json_object_set_member (result, l->data, json_node_copy (json_object_get_member (o, l->data)));
  return TRUE;
}

/* {} → {groups: [{code, title, operations: [{op, title, min_role}]}]}: what
 * the permission matrix shows. */
static gboolean
op_permission_groups (MdnOpCtx   *ctx,
                      JsonObject *args,
                      JsonObject *result,
                      GError    **error)
{
  g_autoptr(GPtrArray) all = mdn_ops_list_all ();
  JsonArray *list = json_array_new ();

  json_object_set_array_member (result, "groups", list);
  for (const MdnPermGroup *g = groups; g->code; g++)
    {
      JsonObject *go = json_object_new ();
      JsonArray *ops = json_array_new ();

      for (guint i = 0; i < all->len; i++)
        {
          const MdnOpDef *d = g_ptr_array_index (all, i);
          JsonObject *oo;

          if (mdn_perm_group_of (d->name) != g)
            continue;
          oo = json_object_new ();
          json_object_set_string_member (oo, "op", d->name);
          json_object_set_string_member (oo, "title", mdn_op_title (d->name));
          json_object_set_string_member (oo, "min_role", mdn_role_name (d->min_role));
          json_array_add_object_element (ops, oo);
        }
      if (json_array_get_length (ops) == 0)
        {
          json_array_unref (ops);
          json_object_unref (go);
          continue;
        }
      json_object_set_string_member (go, "code", g->code);
      json_object_set_string_member (go, "title", _(g->title));
      json_object_set_array_member (go, "operations", ops);
      json_array_add_object_element (list, go);
    }
  return TRUE;
}

const MdnOpDef mdn_role_ops[] = {
  { "role.upsert",       MDN_ROLE_ADMIN,   MDN_OP_WRITE | MDN_OP_HQ, op_role_upsert },
  { "role.remove",       MDN_ROLE_ADMIN,   MDN_OP_WRITE | MDN_OP_HQ, op_role_remove },
  { "role.list",         MDN_ROLE_MANAGER, MDN_OP_READ,              op_role_list },
  { "role.show",         MDN_ROLE_MANAGER, MDN_OP_READ,              op_role_show },
  { "permission.groups", MDN_ROLE_MANAGER, MDN_OP_READ,              op_permission_groups },
  { NULL }
};

const MdnKindDef mdn_role_kinds[] = {
  { "role.upsert", apply_role_upsert, MDN_KIND_MASTER },
  { "role.remove", apply_role_remove, MDN_KIND_MASTER },
  { NULL }
};
