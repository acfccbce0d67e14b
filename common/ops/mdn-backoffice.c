/* mdn-backoffice.c: the shop's details (shop.show, shop.update: what a
 * receipt prints above and below) and the operation log (oplog.list).
 * The shop's details belong to this branch (meta rows, like its name);
 * the operation log is written by mdn_ops_run (mdn-ops.c) and pushed to
 * the server with the entries (sync/mdn-sync.c). */
#define G_LOG_DOMAIN "mdn-backoffice"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-backoffice.h"
#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-ops.h"
#include "mdn-roles.h"

/* shop.* --------------------------------------------------------------------------- */

static const struct { const char *field; const char *meta; int max; } shop_fields[] = {
  { "name",           "branch_name",    64 },
  { "address",        "shop_address",   128 },
  { "phone",          "shop_phone",     32 },
  { "receipt_header", "receipt_header", 256 },
  { "receipt_footer", "receipt_footer", 256 },
};

static gboolean
op_shop_show (MdnOpCtx   *ctx,
              JsonObject *args,
              JsonObject *result,
              GError    **error)
{
  json_object_set_string_member (result, "branch", ctx->store->branch_code);
  json_object_set_boolean_member (result, "hq", ctx->store->hq);
  for (guint i = 0; i < G_N_ELEMENTS (shop_fields); i++)
    {
      g_autofree char *value = mdn_db_meta_dup (ctx->db, shop_fields[i].meta);

      json_object_set_string_member (result, shop_fields[i].field, value ? value : "");
    }
  return TRUE;
}

/* {name?, address?, phone?, receipt_header?, receipt_footer?}: changes
 * what is given; "" clears (not the name). */
static gboolean
op_shop_update (MdnOpCtx   *ctx,
                JsonObject *args,
                JsonObject *result,
                GError    **error)
{
  const char *values[G_N_ELEMENTS (shop_fields)] = { NULL };
  g_autoptr(MdnEntry) entry = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (shop_fields); i++)
    {
      if (!mdn_args_string (args, shop_fields[i].field, FALSE, &values[i], error))
        return FALSE;
      if (values[i] && g_utf8_strlen (values[i], -1) > shop_fields[i].max)
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                       _("“%s” can have at most %d characters"), shop_fields[i].field, shop_fields[i].max);
          return FALSE;
        }
    }
  if (values[0] && values[0][strspn (values[0], " \t")] == '\0')
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("The shop needs a name"));
      return FALSE;
    }
  /* A branch-local entry (shop.update): kept by the server, so a branch
     rebuilt from it (mdn_sync_recover_new) or restored from an older
     backup gets its receipt lines back. */
  entry = mdn_entry_new ("shop.update", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (shop_fields); i++)
    if (values[i])
      json_object_set_string_member (entry->body, shop_fields[i].field, values[i]);
  if (json_object_get_size (entry->body) == 0)
    return op_shop_show (ctx, args, result, error);
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  if (values[0])
    {
      g_free (ctx->store->branch_name);
      ctx->store->branch_name = g_strdup (values[0]);
    }
  return op_shop_show (ctx, args, result, error);
}

/* The shop's details from a shop.update entry: the fields it names. */
static gboolean
apply_shop_update (MdnDb    *db,
                   MdnEntry *entry,
                   GError  **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (shop_fields); i++)
    {
      const char *value = mdn_body_string (entry->body, shop_fields[i].field);

      if (value != NULL && !mdn_db_meta_set (db, shop_fields[i].meta, value, error))
        return FALSE;
    }
  return TRUE;
}

const MdnKindDef mdn_backoffice_kinds[] = {
  { "shop.update", apply_shop_update, 0 },
  { NULL }
};

/* oplog.list ------------------------------------------------------------------------ */

/* {from?, to?, staff?, operation?, outcome? (ok | refused), terminal?,
 *  before?, limit?} → {rows: [{id, at, staff, op, title, ok, detail,
 *  terminal, entry_id}], next}: newest first; "next" is the "before" of
 *  the next page (null on the last). from/to are dates, both included. */
static gboolean
op_oplog_list (MdnOpCtx   *ctx,
               JsonObject *args,
               JsonObject *result,
               GError    **error)
{
  const char *from = NULL, *to = NULL, *staff = NULL, *op = NULL, *outcome = NULL, *terminal = NULL;
  gint64 before = G_MAXINT64, limit = 100, ok = -1, last = 0;
  JsonArray *rows;
  sqlite3_stmt *stmt;
  guint n = 0;
  int rc;

  if (!mdn_args_date (args, "from", FALSE, &from, error) ||
      !mdn_args_date (args, "to", FALSE, &to, error) ||
      !mdn_args_string (args, "staff", FALSE, &staff, error) ||
      !mdn_args_string (args, "operation", FALSE, &op, error) ||
      !mdn_args_string (args, "outcome", FALSE, &outcome, error) ||
      !mdn_args_string (args, "terminal", FALSE, &terminal, error) ||
      !mdn_args_int (args, "before", FALSE, &before, error) ||
      !mdn_args_int (args, "limit", FALSE, &limit, error))
    return FALSE;
  if (outcome && *outcome)
    {
      if (g_str_equal (outcome, "ok"))
        ok = 1;
      else if (g_str_equal (outcome, "refused"))
        ok = 0;
      else
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                       _("Unknown outcome “%s”; use ok or refused"), outcome);
          return FALSE;
        }
    }
  limit = CLAMP (limit, 1, 1000);
  /* An operation filter "member.*" takes the family. */
  stmt = mdn_db_query (ctx->db, error,
                       "SELECT id, at, staff, op, ok, detail, terminal, entry_id FROM oplog "
                       "WHERE id < ?1 AND (?2 IS NULL OR substr (at, 1, 10) >= ?2) "
                       "AND (?3 IS NULL OR substr (at, 1, 10) <= ?3) AND (?4 IS NULL OR staff = ?4) "
                       "AND (?5 IS NULL OR op = ?5 OR (substr (?5, -2) = '.*' AND "
                       "     (op = substr (?5, 1, length (?5) - 2) OR substr (op, 1, length (?5) - 1) = substr (?5, 1, length (?5) - 1)))) "
                       "AND (?6 < 0 OR ok = ?6) AND (?7 IS NULL OR terminal = ?7) "
                       "ORDER BY id DESC LIMIT ?8",
                       "issssisi", before, from, to, staff && *staff ? staff : NULL,
                       op && *op ? op : NULL, ok, terminal && *terminal ? terminal : NULL, limit + 1);
  if (stmt == NULL)
    return FALSE;
  rows = json_array_new ();
  json_object_set_array_member (result, "rows", rows);
  while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
    {
      JsonObject *o;
      const char *name = mdn_db_col_text (stmt, 3);

      if (n++ == (guint) limit)
        break;
      o = json_object_new ();
      last = sqlite3_column_int64 (stmt, 0);
      json_object_set_int_member (o, "id", last);
      json_object_set_string_member (o, "at", mdn_db_col_text (stmt, 1));
      mdn_json_set_opt_string (o, "staff", mdn_db_col_text (stmt, 2));
      json_object_set_string_member (o, "op", name);
      json_object_set_string_member (o, "title", mdn_oplog_title (name));
      json_object_set_boolean_member (o, "ok", sqlite3_column_int (stmt, 4) != 0);
      mdn_json_set_opt_string (o, "detail", mdn_db_col_text (stmt, 5));
      mdn_json_set_opt_string (o, "terminal", mdn_db_col_text (stmt, 6));
      mdn_json_set_opt_string (o, "entry_id", mdn_db_col_text (stmt, 7));
      json_array_add_object_element (rows, o);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE && rc != SQLITE_ROW)
    return FALSE;
  if (n > (guint) limit)
    json_object_set_int_member (result, "next", last);
  else
    json_object_set_null_member (result, "next");
  return TRUE;
}

const char *
mdn_oplog_title (const char *op)
{
  g_return_val_if_fail (op != NULL, NULL);

  if (g_str_equal (op, "login"))
    return _("log in");
  if (g_str_equal (op, "lock"))
    return _("lock the till");
  if (g_str_equal (op, "unlock"))
    return _("unlock the till");
  if (g_str_equal (op, "switch"))
    return _("switch staff");
  return mdn_op_title (op);
}

const MdnOpDef mdn_backoffice_ops[] = {
  { "shop.show",   MDN_ROLE_CASHIER, MDN_OP_READ,  op_shop_show },
  { "shop.update", MDN_ROLE_MANAGER, MDN_OP_WRITE, op_shop_update },
  { "oplog.list",  MDN_ROLE_MANAGER, MDN_OP_READ,  op_oplog_list },
  { NULL }
};
