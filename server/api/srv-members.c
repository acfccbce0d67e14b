/* srv-members.c: online authorization against chain-wide balances, card
 * state and what remains returnable of a sale, and the member exceptions
 * head office settles. */
#define G_LOG_DOMAIN "srv-members"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "srv-api-private.h"
#include "srv-authorize.h"
#include "srv-server.h"

JsonArray *
srv_json_holds (const char *const *holds)
{
  JsonArray *array = json_array_new ();

  for (gsize i = 0; holds && holds[i]; i++)
    json_array_add_string_element (array, holds[i]);
  return array;
}

JsonArray *
srv_json_pin_locks (GPtrArray *locks)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; locks && i < locks->len; i++)
    {
      SrvPinLock *lock = g_ptr_array_index (locks, i);
      JsonObject *o = json_object_new ();

      json_object_set_string_member (o, "member_id", lock->member_id);
      json_object_set_int_member (o, "locked_until", lock->locked_until);
      json_array_add_object_element (array, o);
    }
  return array;
}

static JsonObject *
grant_json (const SrvGrant *grant)
{
  JsonObject *out = json_object_new ();

  json_object_set_string_member (out, "auth_id", grant->auth_id);
  json_object_set_string_member (out, "kind", grant->kind);
  json_object_set_string_member (out, "item", grant->item);
  json_object_set_int_member (out, "amount", grant->amount);
  if (g_str_equal (grant->kind, "card"))
    json_object_set_int_member (out, "rev", grant->amount);
  json_object_set_boolean_member (out, "granted", TRUE);
  json_object_set_boolean_member (out, "duplicate", grant->duplicate);
  return out;
}

/* POST /api/v1/members/{member_id}/authorize
 *   {"auth_id", "amount_fen" | "amount", "kind": balance|points|package, "item", "pin"}
 * A balance spend of a card with a PIN needs "pin": the server checks it
 * and counts wrong ones chain-wide (403 wrong_pin with attempts_left, 423
 * pin_locked with locked_until, 403 pin_required). */
static void
handle_authorize (SrvRequest *req)
{
  JsonObject *body = json_node_get_object (req->body);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) out = NULL;
  g_auto(GStrv) parts = g_strsplit (req->path + strlen ("/api/v1/members/"), "/", -1);
  const char *auth_id = NULL, *kind = NULL, *item = NULL, *pin = NULL;
  g_autoptr(SrvAuthorization) auth = NULL;
  SrvPinRefusal refusal = { 0 };
  gint64 amount = 0;

  if (g_strv_length (parts) != 2 || *parts[0] == '\0' || !g_str_equal (parts[1], "authorize"))
    {
      srv_reply_error (req, SOUP_STATUS_NOT_FOUND, "not_found", _("No such resource"));
      return;
    }
  if (!mdn_args_string (body, "auth_id", TRUE, &auth_id, &error) ||
      !mdn_args_string (body, "kind", TRUE, &kind, &error) ||
      !mdn_args_string (body, "item", FALSE, &item, &error) ||
      !mdn_args_string (body, "pin", FALSE, &pin, &error) ||
      !mdn_args_int (body, json_object_has_member (body, "amount_fen") ? "amount_fen" : "amount",
                     TRUE, &amount, &error))
    {
      srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request", error->message);
      return;
    }
  if (pin && strlen (pin) > 64)
    {
      srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request", _("A PIN is 4 or 6 digits"));
      return;
    }
  srv_server_counters (req->srv)->authorizations++;
  auth = srv_authorize (req->store, req->branch->code, parts[0], auth_id, kind, item, amount,
                              pin, &refusal, &error);
  if (auth == NULL)
    {
      if (g_error_matches (error, MDN_ERROR, MDN_ERROR_WRONG_PIN) ||
          g_error_matches (error, MDN_ERROR, MDN_ERROR_PIN_LOCKED))
        {
          g_autoptr(JsonObject) err = srv_error_json (srv_error_code_name (error), error->message);
          JsonObject *e = json_object_get_object_member (err, "error");

          if (error->code == MDN_ERROR_WRONG_PIN)
            json_object_set_int_member (e, "attempts_left", refusal.attempts_left);
          else
            json_object_set_int_member (e, "locked_until", refusal.locked_until);
          srv_reply_json (req, srv_error_status (error), err);
          return;
        }
      srv_reply_gerror (req, error);
      return;
    }
  out = json_object_new ();
  json_object_set_string_member (out, "auth_id", auth->auth_id);
  json_object_set_string_member (out, "member_id", auth->member_id);
  json_object_set_string_member (out, "branch", auth->branch);
  json_object_set_string_member (out, "kind", auth->kind);
  json_object_set_string_member (out, "item", auth->item);
  json_object_set_int_member (out, "amount", auth->amount);
  json_object_set_string_member (out, "status", auth->status);
  json_object_set_int_member (out, "expires_at", auth->expires_at);
  json_object_set_boolean_member (out, "granted", TRUE);
  json_object_set_boolean_member (out, "duplicate", auth->duplicate);
  if (!auth->duplicate)
    {
      json_object_set_boolean_member (out, "pin_checked", auth->pin_checked);
      json_object_set_int_member (out, "available", auth->available);
    }
  srv_reply_ok (req, out);
}

/* POST /api/v1/sync/pin-failures {"failures": [{"member_id", "count"}]}
 * → {"counted", "pin_locks": [{member_id, locked_until}]}: wrong PINs the
 * branch checked while offline, added to the chain-wide count. */
static void
handle_pin_failures (SrvRequest *req)
{
  JsonObject *body = json_node_get_object (req->body);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) out = NULL;
  g_autoptr(GArray) list = g_array_new (FALSE, FALSE, sizeof (SrvPinFailure));
  g_autoptr(GPtrArray) locks = NULL;
  JsonArray *failures = mdn_args_array (body, "failures", TRUE, &error);
  gint64 counted = 0;

  if (failures == NULL)
    {
      srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                       error ? error->message : _("The body needs “failures”, an array"));
      return;
    }
  if (json_array_get_length (failures) > SRV_MAX_PIN_FAILURES)
    {
      srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request", _("At most 500 failures in one report"));
      return;
    }
  for (guint i = 0; i < json_array_get_length (failures); i++)
    {
      JsonObject *o = mdn_args_element_object (failures, i, "failures", &error);
      SrvPinFailure failure = { NULL, 0 };

      if (o == NULL ||
          !mdn_args_string (o, "member_id", TRUE, &failure.member_id, &error) ||
          !mdn_args_int (o, "count", TRUE, &failure.count, &error))
        {
          srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request", error->message);
          return;
        }
      if (failure.count < 1 || failure.count > 100)
        {
          srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request", _("A count of wrong PINs is 1 to 100"));
          return;
        }
      g_array_append_val (list, failure);
    }
  locks = srv_pin_failures (req->store, (const SrvPinFailure *) list->data, list->len, &counted, &error);
  if (locks == NULL)
    {
      srv_reply_gerror (req, error);
      return;
    }
  out = json_object_new ();
  json_object_set_array_member (out, "pin_locks", srv_json_pin_locks (locks));
  json_object_set_int_member (out, "counted", counted);
  srv_reply_ok (req, out);
}

/* POST /api/v1/members/{member_id}/card
 *   {"auth_id", "op": member.lose|member.unlock|member.replace, "card_no", "rev"} */
static void
handle_card (SrvRequest *req,
             const char *member_id)
{
  JsonObject *body = json_node_get_object (req->body);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) out = NULL;
  g_autoptr(SrvGrant) grant = NULL;
  const char *auth_id = NULL, *op = NULL, *card_no = NULL;
  gint64 rev = 0;

  if (!mdn_args_string (body, "auth_id", TRUE, &auth_id, &error) ||
      !mdn_args_string (body, "op", TRUE, &op, &error) ||
      !mdn_args_string (body, "card_no", TRUE, &card_no, &error) ||
      !mdn_args_int (body, "rev", FALSE, &rev, &error))
    {
      srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request", error->message);
      return;
    }
  srv_server_counters (req->srv)->authorizations++;
  grant = srv_authorize_card (req->store, req->branch->code, member_id, auth_id, op, card_no, rev, &error);
  if (grant == NULL)
    {
      srv_reply_gerror (req, error);
      return;
    }
  out = grant_json (grant);
  srv_reply_ok (req, out);
}

/* POST /api/v1/members/{member_id}/authorize | /card */
static void
handle_member_post (SrvRequest *req)
{
  g_auto(GStrv) parts = g_strsplit (req->path + strlen ("/api/v1/members/"), "/", -1);

  if (g_strv_length (parts) == 2 && *parts[0] != '\0' && g_str_equal (parts[1], "card"))
    handle_card (req, parts[0]);
  else
    handle_authorize (req);
}

/* POST /api/v1/sales/{sale_entry}/return
 *   {"auth_id", "refund_fen", "lines": [{"sku", "qty"}]} */
static void
handle_return (SrvRequest *req)
{
  JsonObject *body = json_node_get_object (req->body);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) out = NULL;
  g_auto(GStrv) parts = g_strsplit (req->path + strlen ("/api/v1/sales/"), "/", -1);
  g_autoptr(SrvGrant) grant = NULL;
  const char *auth_id = NULL;
  JsonArray *lines = NULL;
  gint64 refund = 0;

  if (g_strv_length (parts) != 2 || *parts[0] == '\0' || !g_str_equal (parts[1], "return"))
    {
      srv_reply_error (req, SOUP_STATUS_NOT_FOUND, "not_found", _("No such resource"));
      return;
    }
  if (mdn_args_string (body, "auth_id", TRUE, &auth_id, &error) &&
      mdn_args_int (body, "refund_fen", TRUE, &refund, &error))
    lines = mdn_args_array (body, "lines", FALSE, &error);
  if (error != NULL)
    {
      srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request", error->message);
      return;
    }
  srv_server_counters (req->srv)->authorizations++;
  {
    g_autoptr(JsonArray) none = json_array_new ();

    grant = srv_authorize_return (req->store, req->branch->code, parts[0], auth_id, refund,
                                        lines ? lines : none, &error);
  }
  if (grant == NULL)
    {
      srv_reply_gerror (req, error);
      return;
    }
  out = grant_json (grant);
  srv_reply_ok (req, out);
}

static JsonObject *
exception_json (const SrvException *x)
{
  JsonObject *o = json_object_new ();

  json_object_set_int_member (o, "id", x->id);
  json_object_set_string_member (o, "kind", x->kind);
  if (x->item)
    json_object_set_string_member (o, "item", x->item);
  if (x->sale_entry)
    {
      json_object_set_string_member (o, "sale_entry", x->sale_entry);
      mdn_json_set_opt_string (o, "sale_receipt_no", x->sale_receipt_no);
    }
  if (x->detail)
    {
      JsonObject *detail = mdn_json_parse_object (x->detail, NULL);

      if (detail)
        json_object_set_object_member (o, "detail", detail);
    }
  json_object_set_string_member (o, "member_id", x->member_id);
  json_object_set_string_member (o, "card_no", x->card_no);
  json_object_set_string_member (o, "entry_id", x->entry_id);
  json_object_set_string_member (o, "branch", x->branch);
  json_object_set_string_member (o, "account", x->account);
  json_object_set_int_member (o, "amount", x->amount);
  json_object_set_string_member (o, "status", x->status);
  json_object_set_string_member (o, "found_at", x->found_at);
  if (x->settled_at)
    {
      json_object_set_string_member (o, "settled_at", x->settled_at);
      json_object_set_string_member (o, "settled_by", x->settled_by);
      /* exception.write_off, or the entry (a deposit ...) that cleared it */
      json_object_set_string_member (o, "settled_by_kind", x->settled_by_kind);
    }
  return o;
}

/* GET /api/v1/exceptions[?status=open|settled|noted] (hq token) */
static void
handle_exceptions (SrvRequest *req)
{
  const char *status = srv_query_get (req, "status");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) exceptions = NULL;
  g_autoptr(JsonObject) out = NULL;
  JsonArray *list;

  if (status && !g_str_equal (status, "open") && !g_str_equal (status, "settled") &&
      !g_str_equal (status, "noted"))
    {
      srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request", _("status is open, settled or noted"));
      return;
    }
  exceptions = srv_store_exceptions (req->store, status, &error);
  if (exceptions == NULL)
    {
      srv_reply_gerror (req, error);
      return;
    }
  out = json_object_new ();
  list = json_array_new ();
  json_object_set_array_member (out, "exceptions", list);
  for (guint i = 0; i < exceptions->len; i++)
    json_array_add_object_element (list, exception_json (g_ptr_array_index (exceptions, i)));
  srv_reply_ok (req, out);
}

const SrvRoute srv_member_routes[] = {
  { "POST", "/api/v1/sync/pin-failures", SRV_AUTH_BRANCH, handle_pin_failures },
  { "POST", "/api/v1/members/",   SRV_AUTH_BRANCH, handle_member_post },
  { "POST", "/api/v1/sales/",     SRV_AUTH_BRANCH, handle_return },
  { "GET",  "/api/v1/exceptions", SRV_AUTH_HQ,     handle_exceptions },
  { NULL }
};
