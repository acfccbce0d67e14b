/* srv-sync.c: push, state, feed and the notify WebSocket. */
#define G_LOG_DOMAIN "srv-sync"

#include <glib/gi18n-lib.h>
#include <stdlib.h>
#include <string.h>

#include "mdn-entry-codec.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "srv-api-private.h"
#include "srv-push.h"
#include "srv-server.h"
#include "srv-store-console.h"

#define MAX_BATCH 5000

/* POST /api/v1/sync/push {"entries": [...]} → {"ok", "acked_seq", ...}
 * The body is read straight into entries by mdn-entry-codec.c (the hot
 * path); srv_push (srv-push.c) checks and applies them. */
static void
handle_push (SrvRequest *req)
{
  SrvCounters *counters = srv_server_counters (req->srv);
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_entry_free);
  g_autoptr(JsonObject) out = NULL;
  g_autoptr(GError) error = NULL;
  SrvPushResult result;
  gsize size = 0;
  const char *data = g_bytes_get_data (req->raw_body, &size);
  gint index = -1;

  counters->pushes++;
  if (!mdn_entry_codec_read_push (data, size, MAX_BATCH, entries, &index, &error))
    {
      counters->push_failures++;
      if (g_error_matches (error, MDN_ENTRY_CODEC_ERROR, MDN_ENTRY_CODEC_ERROR_NO_ENTRIES))
        srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                         _("The body needs “entries”, an array of entries in seq order"));
      else if (g_error_matches (error, MDN_ENTRY_CODEC_ERROR, MDN_ENTRY_CODEC_ERROR_TOO_MANY))
        srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                         _("Too many entries in one push; send at most 5000"));
      else if (g_error_matches (error, MDN_ENTRY_CODEC_ERROR, MDN_ENTRY_CODEC_ERROR_NOT_AN_ENTRY))
        srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                         _("Every element of “entries” must be an entry object"));
      else if (g_error_matches (error, MDN_ENTRY_CODEC_ERROR, MDN_ENTRY_CODEC_ERROR_SYNTAX))
        srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_json", error->message);
      else if (index < 0)
        srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request", error->message);
      else
        {
          g_autofree char *message = g_strdup_printf ("entries[%d]: %s", index, error->message);

          srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_entry", message);
        }
      return;
    }
  for (guint i = 1; i < entries->len; i++)
    if (((MdnEntry *) g_ptr_array_index (entries, i))->seq !=
        ((MdnEntry *) g_ptr_array_index (entries, i - 1))->seq + 1)
      {
        counters->push_failures++;
        srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request",
                         _("The entries of a push must be in seq order without gaps"));
        return;
      }

  if (!srv_push (req->store, req->branch->code, entries, &result, &error))
    {
      g_autoptr(JsonObject) err = srv_error_json (srv_error_code_name (error), error->message);
      guint status = srv_error_status (error);

      counters->push_failures++;
      json_object_set_int_member (err, "acked_seq", req->branch->acked_seq);
      if (g_error_matches (error, SRV_ERROR, SRV_ERROR_SEQUENCE_GAP))
        json_object_set_int_member (err, "expected_seq", result.expected_seq);
      if (result.failed_seq)
        {
          json_object_set_int_member (err, "seq", result.failed_seq);
          /* Which entry, for head office: B01#17 and its kind. */
          for (guint i = 0; i < entries->len; i++)
            {
              MdnEntry *e = g_ptr_array_index (entries, i);

              if (e->seq == result.failed_seq)
                {
                  g_autofree char *name = g_strdup_printf ("%s#%" G_GINT64_FORMAT, e->branch, e->seq);

                  json_object_set_string_member (err, "entry", name);
                  json_object_set_string_member (err, "kind", e->kind);
                  break;
                }
            }
        }
      if (status >= 500)
        g_warning ("push from %s failed: %s", req->branch->code, error->message);
      else if (g_error_matches (error, SRV_ERROR, SRV_ERROR_REFUSED_ENTRY))
        g_warning ("ALARM: branch %s pushed an entry the server refuses: %s", req->branch->code, error->message);
      srv_reply_json (req, status, err);
      return;
    }
  counters->push_entries += result.applied;
  counters->push_duplicates += result.duplicates;

  out = json_object_new ();
  json_object_set_int_member (out, "acked_seq", result.acked_seq);
  json_object_set_int_member (out, "applied", result.applied);
  json_object_set_int_member (out, "duplicates", result.duplicates);
  json_object_set_int_member (out, "feed_position", result.feed_position);
  srv_reply_ok (req, out);
  if (result.applied > 0)
    srv_notify_feed (req->srv, result.feed_position);
}

/* GET /api/v1/sync/state[?key_id=HEX] → this branch's high-water mark at
 * the server; key_id (mdn_chain_key_id) proves the branch holds the chain
 * key, which it is otherwise handed once. */
static gboolean
valid_version (const char *v)
{
  gsize n = strlen (v);

  if (n == 0 || n > 40)
    return FALSE;
  for (gsize i = 0; i < n; i++)
    if (!g_ascii_isalnum (v[i]) && !strchr (".-+_~", v[i]))
      return FALSE;
  return TRUE;
}

static void
handle_state (SrvRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SrvState) state = srv_store_state (req->store, req->branch->code,
                                               srv_query_get (req, "key_id"), &error);
  g_autoptr(JsonObject) out = NULL;
  g_autofree char *epoch = NULL;
  const char *version = soup_message_headers_get_one (soup_server_message_get_request_headers (req->msg),
                                                      "X-Mendian-Version");

  if (state == NULL)
    {
      srv_reply_gerror (req, error);
      return;
    }
  /* The version the branch reports (optional: an older branch sends none),
   * for the console's 门店 page; a version that is not short printable
   * text is not noted, and never refuses the sync. */
  if (version && valid_version (version))
    {
      g_autoptr(GError) ignored = NULL;

      if (!srv_console_branch_note_version (req->store, req->branch->code, version, &ignored))
        g_warning ("branch %s: version not noted: %s", req->branch->code, ignored->message);
    }
  out = json_object_new ();
  json_object_set_string_member (out, "branch", state->branch);
  json_object_set_boolean_member (out, "hq", state->hq);
  json_object_set_int_member (out, "acked_seq", state->acked_seq);
  json_object_set_string_member (out, "last_hash", state->last_hash);
  json_object_set_int_member (out, "feed_position", state->feed_position);
  epoch = srv_store_feed_epoch_dup (req->store);
  mdn_json_set_opt_string (out, "feed_epoch", epoch);
  json_object_set_array_member (out, "holds", srv_json_holds ((const char *const *) state->holds));
  json_object_set_array_member (out, "pin_locks", srv_json_pin_locks (state->pin_locks));
  if (state->chain_key)
    json_object_set_string_member (out, "chain_key", state->chain_key);
  json_object_set_boolean_member (out, "chain_key_ok", state->chain_key_ok);
  srv_reply_ok (req, out);
}

static gboolean
query_int (SrvRequest *req,
           const char *name,
           gint64      fallback,
           gint64     *out)
{
  const char *text = srv_query_get (req, name);
  gint64 value;

  *out = fallback;
  if (text == NULL)
    return TRUE;
  if (!g_ascii_string_to_signed (text, 10, 0, G_MAXINT64, &value, NULL))
    {
      g_autofree char *message = g_strdup_printf (_("“%s” must be a whole number ≥ 0"), name);

      srv_reply_error (req, SOUP_STATUS_BAD_REQUEST, "invalid_request", message);
      return FALSE;
    }
  *out = value;
  return TRUE;
}

/* GET /api/v1/sync/feed?after=N&limit=M → a page of the chain-wide feed. */
static void
handle_feed (SrvRequest *req)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SrvFeedPage) page = NULL;
  g_autoptr(JsonObject) out = NULL;
  JsonArray *list;
  gint64 after, limit;

  if (!query_int (req, "after", 0, &after) || !query_int (req, "limit", 500, &limit))
    return;
  srv_server_note_feed (req->srv, req->branch->code, after,
                        soup_message_headers_get_one (soup_server_message_get_request_headers (req->msg),
                                                      "User-Agent"));
  page = srv_store_feed (req->store, req->branch->code, after, limit, &error);
  if (page == NULL)
    {
      srv_reply_gerror (req, error);
      return;
    }
  out = json_object_new ();
  list = json_array_new ();
  json_object_set_array_member (out, "entries", list);
  for (guint i = 0; i < page->rows->len; i++)
    {
      SrvFeedRow *row = g_ptr_array_index (page->rows, i);
      JsonObject *item = json_object_new ();

      json_object_set_int_member (item, "position", row->position);
      json_object_set_object_member (item, "entry", mdn_entry_to_json (row->entry, TRUE));
      json_array_add_object_element (list, item);
    }
  json_object_set_array_member (out, "holds", srv_json_holds ((const char *const *) page->holds));
  json_object_set_int_member (out, "after", page->after);
  json_object_set_int_member (out, "feed_position", page->feed_position);
  json_object_set_int_member (out, "head", page->head);
  json_object_set_boolean_member (out, "more", page->more);
  srv_reply_ok (req, out);
}

/* WebSocket /api/v1/sync/notify: the branch's token in Authorization; the
 * server sends {"feed_position": N} whenever the feed moves. */
void
srv_sync_notify_handler (SoupServer              *server,
                         SoupServerMessage       *msg,
                         const char              *path,
                         SoupWebsocketConnection *connection,
                         gpointer                 user_data)
{
  SrvServer *srv = user_data;
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                   "Authorization");
  g_autoptr(SrvBranch) branch = NULL;
  g_autofree char *hello = NULL;

  srv_server_websocket_started (srv, msg);
  if (auth && g_ascii_strncasecmp (auth, "Bearer ", 7) == 0)
    {
      g_autofree char *token = g_strstrip (g_strdup (auth + 7));

      branch = srv_store_auth_branch (srv_server_store (srv), token);
    }
  if (branch == NULL)
    {
      srv_server_counters (srv)->auth_failures++;
      soup_websocket_connection_close (connection, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION, "unauthorized");
      return;
    }
  srv_server_add_socket (srv, connection, branch->code);
  hello = g_strdup_printf ("{\"feed_position\":%" G_GINT64_FORMAT "}",
                           srv_store_feed_head (srv_server_store (srv)));
  soup_websocket_connection_send_text (connection, hello);
}

const SrvRoute srv_sync_routes[] = {
  { "POST", "/api/v1/sync/push",  SRV_AUTH_BRANCH, handle_push, SRV_ROUTE_RAW_BODY },
  { "GET",  "/api/v1/sync/state", SRV_AUTH_BRANCH, handle_state },
  { "GET",  "/api/v1/sync/feed",  SRV_AUTH_BRANCH, handle_feed },
  { NULL }
};
