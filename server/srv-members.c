/* srv-members.c: online authorization against chain-wide balances, and the
 * member exceptions head office settles. */
#define G_LOG_DOMAIN "srv-members"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-json.h"
#include "srv-server.h"

/* POST /api/v1/members/{member_id}/authorize
 *   {"auth_id", "amount_fen" | "amount", "kind": balance|points|package, "item"} */
static void
handle_authorize (SrvRequest *req)
{
  JsonObject *body = json_node_get_object (req->body);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) out = NULL;
  g_auto(GStrv) parts = g_strsplit (req->path + strlen ("/api/v1/members/"), "/", -1);
  const char *auth_id = NULL, *kind = NULL, *item = NULL;
  gint64 amount = 0;

  if (g_strv_length (parts) != 2 || *parts[0] == '\0' || !g_str_equal (parts[1], "authorize"))
    {
      srv_reply_error (req, SOUP_STATUS_NOT_FOUND, "not_found", _("No such resource"));
      return;
    }
  if (!mdn_args_string (body, "auth_id", TRUE, &auth_id, &error) ||
      !mdn_args_string (body, "kind", TRUE, &kind, &error) ||
      !mdn_args_string (body, "item", FALSE, &item, &error) ||
      !mdn_args_int (body, json_object_has_member (body, "amount_fen") ? "amount_fen" : "amount",
                     TRUE, &amount, &error))
    {
      srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request", error->message);
      return;
    }
  srv_server_counters (req->srv)->authorizations++;
  out = srv_store_authorize (req->store, req->branch->code, parts[0], auth_id, kind, item, amount, &error);
  if (out == NULL)
    {
      srv_reply_gerror (req, error);
      return;
    }
  json_object_set_boolean_member (out, "ok", TRUE);
  srv_reply_json (req, SOUP_STATUS_OK, out);
}

/* GET /api/v1/exceptions[?status=open|settled] (hq token) */
static void
handle_exceptions (SrvRequest *req)
{
  const char *status = srv_query_get (req, "status");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) out = NULL;

  if (status && !g_str_equal (status, "open") && !g_str_equal (status, "settled"))
    {
      srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request", _("status is open or settled"));
      return;
    }
  out = srv_store_exceptions (req->store, status, &error);
  if (out == NULL)
    {
      srv_reply_gerror (req, error);
      return;
    }
  json_object_set_boolean_member (out, "ok", TRUE);
  srv_reply_json (req, SOUP_STATUS_OK, out);
}

const SrvRoute srv_member_routes[] = {
  { "POST", "/api/v1/members/",   SRV_AUTH_BRANCH, handle_authorize },
  { "GET",  "/api/v1/exceptions", SRV_AUTH_HQ,     handle_exceptions },
  { NULL }
};
