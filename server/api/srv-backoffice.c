/* srv-backoffice.c: the back office's routes. A branch pushes its
 * operation log (POST /api/v1/sync/oplog) after its entries; head office
 * reads every branch's (GET /api/v1/oplog); a branch whose database was
 * lost or restored from an old backup fetches its own entries back
 * (GET /api/v1/sync/own), authenticated by its own token and given only
 * its own. */
#define G_LOG_DOMAIN "srv-backoffice"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-json.h"
#include "srv-server.h"

#define MAX_OPLOG_ROWS 500

/* POST /api/v1/sync/oplog {"rows": [{id, at, staff?, op, ok, detail?,
 * terminal?, entry_id?}]} → {"stored"}. */
static void
handle_oplog_push (SrvRequest *req)
{
  JsonObject *body = json_node_get_object (req->body);
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) rows = g_array_new (FALSE, TRUE, sizeof (SrvOplogRow));
  g_autoptr(JsonObject) out = NULL;
  JsonArray *list = mdn_args_array (body, "rows", TRUE, &error);
  gint64 stored = 0;

  if (list == NULL)
    {
      srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                       error ? error->message : _("The body needs “rows”, an array"));
      return;
    }
  if (json_array_get_length (list) > MAX_OPLOG_ROWS)
    {
      srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request", _("At most 500 log rows in one push"));
      return;
    }
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *o = mdn_args_element_object (list, i, "rows", &error);
      SrvOplogRow r = { 0 };

      if (o == NULL ||
          !mdn_args_int (o, "id", TRUE, &r.id, &error) ||
          !mdn_args_string (o, "at", TRUE, &r.at, &error) ||
          !mdn_args_string (o, "staff", FALSE, &r.staff, &error) ||
          !mdn_args_string (o, "op", TRUE, &r.op, &error) ||
          !mdn_args_bool (o, "ok", &r.ok, &error) ||
          !mdn_args_string (o, "detail", FALSE, &r.detail, &error) ||
          !mdn_args_string (o, "terminal", FALSE, &r.terminal, &error) ||
          !mdn_args_string (o, "entry_id", FALSE, &r.entry_id, &error))
        {
          srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request", error->message);
          return;
        }
      if (r.id < 1 || strlen (r.at) > 40 || strlen (r.op) > 64 ||
          (r.staff && strlen (r.staff) > 64) || (r.detail && strlen (r.detail) > 256) ||
          (r.terminal && strlen (r.terminal) > 128) || (r.entry_id && strlen (r.entry_id) > 64))
        {
          srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request", _("A log row is out of range"));
          return;
        }
      g_array_append_val (rows, r);
    }
  if (!srv_store_oplog_add (req->store, req->branch->code, (const SrvOplogRow *) rows->data, rows->len,
                            &stored, &error))
    {
      srv_reply_gerror (req, error);
      return;
    }
  out = json_object_new ();
  json_object_set_int_member (out, "stored", stored);
  srv_reply_ok (req, out);
}

static gboolean
query_int (SrvRequest *req,
           const char *name,
           gint64      fallback,
           gint64     *out)
{
  const char *text = srv_query_get (req, name);

  *out = fallback;
  if (text == NULL || *text == '\0')
    return TRUE;
  if (!g_ascii_string_to_signed (text, 10, 0, G_MAXINT64, out, NULL))
    {
      g_autofree char *message = g_strdup_printf (_("“%s” must be a whole number ≥ 0"), name);

      srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request", message);
      return FALSE;
    }
  return TRUE;
}

static const char *
query_opt (SrvRequest *req,
           const char *name)
{
  const char *v = srv_query_get (req, name);

  return v && *v ? v : NULL;
}

/* The page's cursor: before=BRANCH:ID (the previous page's next), or, with
 * branch=, the row's id alone. */
static gboolean
oplog_cursor (SrvRequest  *req,
              char       **out_branch,
              gint64      *out_id)
{
  const char *text = query_opt (req, "before");
  const char *colon = text ? strrchr (text, ':') : NULL;
  const char *branch = query_opt (req, "branch");

  *out_branch = NULL;
  *out_id = 0;
  if (text == NULL)
    return TRUE;
  if (colon == NULL && branch != NULL && g_ascii_string_to_signed (text, 10, 0, G_MAXINT64, out_id, NULL))
    {
      *out_branch = g_strdup (branch);
      return TRUE;
    }
  if (colon != NULL && colon > text && g_ascii_string_to_signed (colon + 1, 10, 0, G_MAXINT64, out_id, NULL))
    {
      *out_branch = g_strndup (text, colon - text);
      return TRUE;
    }
  srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                   _("“before” is the previous page's “next” (BRANCH:ID), or a row's id with branch="));
  return FALSE;
}

/* GET /api/v1/oplog?branch=&from=&to=&staff=&op=&limit=&before= (HQ) →
 * {"rows": [{branch, id, at, staff, op, ok, detail, terminal, entry_id}],
 *  "next": "BRANCH:ID" of the last row when the page is full, else null}. */
static void
handle_oplog_list (SrvRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(JsonObject) out = NULL;
  g_autofree char *before_branch = NULL;
  JsonArray *list;
  gint64 limit, before_id;

  if (!query_int (req, "limit", 100, &limit) || !oplog_cursor (req, &before_branch, &before_id))
    return;
  limit = CLAMP (limit, 1, 1000);
  rows = srv_store_oplog_list (req->store, query_opt (req, "branch"), query_opt (req, "from"),
                               query_opt (req, "to"), query_opt (req, "staff"), query_opt (req, "op"),
                               limit, before_branch, before_id, &error);
  if (rows == NULL)
    {
      srv_reply_gerror (req, error);
      return;
    }
  out = json_object_new ();
  list = json_array_new ();
  json_object_set_array_member (out, "rows", list);
  for (guint i = 0; i < rows->len; i++)
    {
      SrvOplogRow *r = g_ptr_array_index (rows, i);
      JsonObject *o = json_object_new ();

      json_object_set_string_member (o, "branch", r->branch);
      json_object_set_int_member (o, "id", r->id);
      json_object_set_string_member (o, "at", r->at);
      mdn_json_set_opt_string (o, "staff", r->staff);
      json_object_set_string_member (o, "op", r->op);
      json_object_set_boolean_member (o, "ok", r->ok);
      mdn_json_set_opt_string (o, "detail", r->detail);
      mdn_json_set_opt_string (o, "terminal", r->terminal);
      mdn_json_set_opt_string (o, "entry_id", r->entry_id);
      json_array_add_object_element (list, o);
    }
  if (rows->len > 0 && rows->len == (guint) limit)
    {
      SrvOplogRow *last = g_ptr_array_index (rows, rows->len - 1);
      g_autofree char *next = g_strdup_printf ("%s:%" G_GINT64_FORMAT, last->branch, last->id);

      json_object_set_string_member (out, "next", next);
    }
  else
    json_object_set_null_member (out, "next");
  srv_reply_ok (req, out);
}

/* GET /api/v1/sync/own?after=N&limit=M → {"branch": {code, name, number,
 * hq}, "entries": [...], "more"}: the asking branch's own entries beyond
 * its seq N, for a branch rebuilding its database. */
static void
handle_own (SrvRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(JsonObject) out = NULL;
  JsonObject *branch;
  JsonArray *list;
  gint64 after, limit;
  gboolean more = FALSE;

  if (!query_int (req, "after", 0, &after) || !query_int (req, "limit", 500, &limit))
    return;
  entries = srv_store_own_entries (req->store, req->branch->code, after, limit, &more, &error);
  if (entries == NULL)
    {
      srv_reply_gerror (req, error);
      return;
    }
  out = json_object_new ();
  branch = json_object_new ();
  json_object_set_string_member (branch, "code", req->branch->code);
  mdn_json_set_opt_string (branch, "name", req->branch->name);
  json_object_set_int_member (branch, "number", req->branch->number);
  json_object_set_boolean_member (branch, "hq", req->branch->hq);
  json_object_set_object_member (out, "branch", branch);
  list = json_array_new ();
  json_object_set_array_member (out, "entries", list);
  for (guint i = 0; i < entries->len; i++)
    json_array_add_object_element (list, mdn_entry_to_json (g_ptr_array_index (entries, i), TRUE));
  json_object_set_boolean_member (out, "more", more);
  srv_reply_ok (req, out);
}

const SrvRoute srv_backoffice_routes[] = {
  { "POST", "/api/v1/sync/oplog", SRV_AUTH_BRANCH, handle_oplog_push },
  { "GET",  "/api/v1/sync/own",   SRV_AUTH_BRANCH, handle_own },
  { "GET",  "/api/v1/oplog",      SRV_AUTH_HQ,     handle_oplog_list },
  { NULL }
};
