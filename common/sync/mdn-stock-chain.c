/* mdn-stock-chain.c: stock.chain, the chain's stock and transfers in
 * transit as the server holds them (GET /api/v1/stock, /api/v1/transfers),
 * for the HQ terminal's chain stock screen. Only a branch program runs it:
 * it asks the server with the terminal's own token. */
#define G_LOG_DOMAIN "mdn-stock-chain"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-op.h"
#include "mdn-stock-chain.h"
#include "mdn-sync-private.h"

static void
append_param (GString    *path,
              const char *name,
              const char *value)
{
  g_autofree char *escaped = NULL;

  if (value == NULL || *value == '\0')
    return;
  escaped = g_uri_escape_string (value, NULL, FALSE);
  g_string_append_printf (path, "%s%s=%s", strchr (path->str, '?') ? "&" : "?", name, escaped);
}

/* {sku?, category?, branch?} → {rows:[{branch, sku, name, on_hand,
 * in_transit_in, in_transit_out}], transfers:[… in transit …]} */
static gboolean
op_stock_chain (MdnOpCtx   *ctx,
                JsonObject *args,
                JsonObject *result,
                GError    **error)
{
  const char *sku = NULL, *category = NULL, *branch = NULL;
  g_auto(Client) c = { 0 };
  g_autoptr(GString) path = g_string_new ("/api/v1/stock");
  g_autoptr(GString) tpath = g_string_new ("/api/v1/transfers?status=in_transit");
  g_autoptr(JsonObject) stock = NULL;
  g_autoptr(JsonObject) transfers = NULL;
  JsonArray *rows, *list;

  if (!mdn_args_string (args, "sku", FALSE, &sku, error) ||
      !mdn_args_string (args, "category", FALSE, &category, error) ||
      !mdn_args_string (args, "branch", FALSE, &branch, error))
    return FALSE;
  if (!ctx->store->hq)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_HQ_ONLY,
                           _("The chain's stock is shown at the head-office terminal"));
      return FALSE;
    }
  append_param (path, "sku", sku);
  append_param (path, "category", category);
  append_param (path, "branch", branch);
  append_param (tpath, "branch", branch);
  if (!mdn_sync_client_init (&c, ctx->store, error) ||
      (stock = mdn_sync_client_call (&c, "GET", path->str, NULL, NULL, NULL, error)) == NULL ||
      (transfers = mdn_sync_client_call (&c, "GET", tpath->str, NULL, NULL, NULL, error)) == NULL)
    return FALSE;
  rows = mdn_args_array (stock, "rows", TRUE, error);
  list = mdn_args_array (transfers, "transfers", TRUE, error);
  if (rows == NULL || list == NULL)
    return FALSE;
  json_object_set_array_member (result, "rows", json_array_ref (rows));
  json_object_set_array_member (result, "transfers", json_array_ref (list));
  return TRUE;
}

const MdnOpDef mdn_stock_chain_ops[] = {
  { "stock.chain", MDN_ROLE_MANAGER, MDN_OP_READ | MDN_OP_NETWORK, op_stock_chain },
  { NULL }
};
