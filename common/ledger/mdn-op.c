/* mdn-op.c: the operation context and the helpers of the families'
 * operations. */
#define G_LOG_DOMAIN "mdn-op"

#include "mdn-db.h"
#include "mdn-json.h"
#include "mdn-op.h"

void
mdn_op_ctx_clear_time (MdnOpCtx *ctx)
{
  g_clear_pointer (&ctx->now, g_date_time_unref);
  g_clear_pointer (&ctx->now_iso, g_free);
  g_clear_pointer (&ctx->business_date, g_free);
}

void
mdn_op_ctx_free (MdnOpCtx *ctx)
{
  if (ctx == NULL)
    return;
  mdn_op_ctx_clear_time (ctx);
  g_free (ctx->failed_pin);
  g_free (ctx->staff);
  g_free (ctx->role_code);
  g_free (ctx->role_name);
  g_strfreev (ctx->permissions);
  g_free (ctx->terminal);
  g_free (ctx);
}

gboolean
mdn_ops_append_entry (MdnOpCtx   *ctx,
                      MdnEntry   *entry,
                      JsonObject *result,
                      GError    **error)
{
  g_return_val_if_fail (ctx != NULL, FALSE);
  g_return_val_if_fail (entry != NULL, FALSE);
  g_return_val_if_fail (result != NULL, FALSE);

  if (!mdn_ledger_append (ctx->store, ctx, entry, error))
    return FALSE;
  json_object_set_string_member (result, "entry_id", entry->id);
  return TRUE;
}

gboolean
mdn_ops_list_rows (MdnOpCtx            *ctx,
                   sqlite3_stmt        *stmt,
                   const MdnListColumn *columns,
                   JsonObject          *result,
                   const char          *name,
                   GError             **error)
{
  JsonArray *list;
  int rc;

  g_return_val_if_fail (ctx != NULL, FALSE);
  g_return_val_if_fail (stmt != NULL, FALSE);
  g_return_val_if_fail (columns != NULL, FALSE);
  g_return_val_if_fail (result != NULL, FALSE);

  list = json_array_new ();
  json_object_set_array_member (result, name, list);
  while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
    {
      JsonObject *o = json_object_new ();

      for (int i = 0; columns[i].name != NULL; i++)
        switch (columns[i].type)
          {
          case 's':
            mdn_json_set_opt_string (o, columns[i].name, mdn_db_col_text (stmt, i));
            break;
          case 'i':
            json_object_set_int_member (o, columns[i].name, sqlite3_column_int64 (stmt, i));
            break;
          case 'n':
            if (sqlite3_column_type (stmt, i) == SQLITE_NULL)
              json_object_set_null_member (o, columns[i].name);
            else
              json_object_set_int_member (o, columns[i].name, sqlite3_column_int64 (stmt, i));
            break;
          case 'b':
            json_object_set_boolean_member (o, columns[i].name, sqlite3_column_int (stmt, i) != 0);
            break;
          default:
            g_assert_not_reached ();
          }
      json_array_add_object_element (list, o);
    }
  sqlite3_reset (stmt);
  return rc == SQLITE_DONE;
}
