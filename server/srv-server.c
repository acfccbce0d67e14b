/* srv-server.c: route, authenticate, check each request's headers, reply;
 * the notify WebSockets and their pings; clean exit on SIGTERM. Listening
 * and the connections themselves are srv-conn.c. */
#define G_LOG_DOMAIN "srv-server"

#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "srv-conn.h"
#include "srv-console.h"
#include "srv-server.h"

#define NOTIFY_PATH "/api/v1/sync/notify"
/* A WebSocket that answered none of this many pings in a row is dropped. */
#define WS_MISSED_PINGS 3

typedef struct
{
  SrvServer               *srv;
  SoupWebsocketConnection *ws;
  gint64                   seen;      /* monotonic time of its last frame */
  char                    *branch;
  gboolean                 dropped;
} SrvNotifyClient;

struct _SrvServer
{
  SoupServer  *soup;
  SrvConns    *conns;
  SrvStore    *store;
  GMainLoop   *loop;
  gsize        max_body;
  guint        ws_ping;   /* seconds */
  guint        ws_check_id;
  gboolean     stopping;
  GPtrArray   *sockets;   /* SrvNotifyClient, the notify WebSockets */
  GHashTable  *feed_seen; /* branch code -> SrvFeedSeen, its last feed request */
  SrvConsole  *console;
  gboolean     tls;
  SrvCounters  counters;
  const char  *db_path;          /* options->db */
  const char  *report_dsn;       /* options->report_dsn */
  guint        reports_running;  /* report workers, main thread only */
};

static const SrvRoute *const route_tables[] = {
  srv_sync_routes,
  srv_member_routes,
  srv_report_routes,
  srv_backoffice_routes,
  srv_stock_routes,
  srv_member_page_routes,
  srv_console_routes,
};

SrvCounters *
srv_server_counters (SrvServer *srv)
{
  return &srv->counters;
}

SrvStore *
srv_server_store (SrvServer *srv)
{
  return srv->store;
}

const char *
srv_server_db_path (SrvServer *srv)
{
  return srv->db_path;
}

const char *
srv_server_report_dsn (SrvServer *srv)
{
  return srv->report_dsn;
}

gboolean
srv_server_report_slot_take (SrvServer *srv,
                             guint      max)
{
  if (srv->reports_running >= max)
    return FALSE;
  srv->reports_running++;
  return TRUE;
}

void
srv_server_hold_request (SrvServer         *srv,
                         SoupServerMessage *msg,
                         gboolean           held)
{
  if (srv->conns)
    srv_conns_hold (srv->conns, msg, held);
}

void
srv_server_report_slot_give (SrvServer *srv)
{
  g_assert (srv->reports_running > 0);
  srv->reports_running--;
}

/* Replies --------------------------------------------------------------------- */

void
srv_reply_text (SrvRequest *req,
                guint       status,
                const char *content_type,
                char       *text)
{
  soup_server_message_set_status (req->msg, status, NULL);
  soup_server_message_set_response (req->msg, content_type, SOUP_MEMORY_TAKE, text, strlen (text));
}

void
srv_reply_json (SrvRequest *req,
                guint       status,
                JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), object);

  srv_reply_text (req, status, "application/json", json_to_string (node, FALSE));
}

JsonObject *
srv_json_ok (JsonObject *object)
{
  g_return_val_if_fail (object != NULL, NULL);

  json_object_set_boolean_member (object, "ok", TRUE);
  return object;
}

void
srv_reply_ok (SrvRequest *req,
              JsonObject *object)
{
  g_return_if_fail (req != NULL && object != NULL);

  srv_reply_json (req, SOUP_STATUS_OK, srv_json_ok (object));
}

JsonObject *
srv_error_json (const char *code,
                const char *message)
{
  JsonObject *o = json_object_new ();
  JsonObject *e = json_object_new ();

  json_object_set_boolean_member (o, "ok", FALSE);
  json_object_set_string_member (e, "code", code);
  json_object_set_string_member (e, "message", message);
  json_object_set_object_member (o, "error", e);
  return o;
}

void
srv_reply_error (SrvRequest *req,
                 guint       status,
                 const char *code,
                 const char *message)
{
  g_autoptr(JsonObject) o = srv_error_json (code, message);

  if (status == SOUP_STATUS_BAD_REQUEST)
    req->srv->counters.bad_requests++;
  srv_reply_json (req, status, o);
}

guint
srv_error_status (const GError *error)
{
  if (error->domain == SRV_ERROR)
    switch ((SrvErrorCode) error->code)
      {
      case SRV_ERROR_INVALID:
      case SRV_ERROR_BAD_HASH:          return SOUP_STATUS_BAD_REQUEST;
      case SRV_ERROR_UNAUTHORIZED:      return SOUP_STATUS_UNAUTHORIZED;
      case SRV_ERROR_FORBIDDEN:
      case SRV_ERROR_WRONG_BRANCH:      return SOUP_STATUS_FORBIDDEN;
      case SRV_ERROR_NOT_FOUND:         return SOUP_STATUS_NOT_FOUND;
      case SRV_ERROR_CONFLICTING_ENTRY:
      case SRV_ERROR_SEQUENCE_GAP:
      case SRV_ERROR_BROKEN_CHAIN:
      case SRV_ERROR_DUPLICATE:
      case SRV_ERROR_INSUFFICIENT:      return SOUP_STATUS_CONFLICT;
      case SRV_ERROR_APPLY_FAILED:
      case SRV_ERROR_REFUSED_ENTRY:     return SOUP_STATUS_UNPROCESSABLE_ENTITY;
      case SRV_ERROR_INTERNAL:          return SOUP_STATUS_INTERNAL_SERVER_ERROR;
      case SRV_ERROR_NOT_SUPPORTED:     return SOUP_STATUS_NOT_IMPLEMENTED;
      }
  if (error->domain == MDN_ERROR)
    switch ((MdnErrorCode) error->code)
      {
      case MDN_ERROR_DATABASE:
      case MDN_ERROR_CORRUPT:
      case MDN_ERROR_INTERNAL:          return SOUP_STATUS_INTERNAL_SERVER_ERROR;
      case MDN_ERROR_PIN_REQUIRED:
      case MDN_ERROR_WRONG_PIN:         return SOUP_STATUS_FORBIDDEN;
      case MDN_ERROR_PIN_LOCKED:        return SOUP_STATUS_LOCKED;
      /* The chain-wide state refuses a card operation or a return. */
      case MDN_ERROR_CARD_LOST:
      case MDN_ERROR_CARD_NOT_LOST:
      case MDN_ERROR_CARD_REPLACED:
      case MDN_ERROR_RETURN_EXCEEDS:
      case MDN_ERROR_PACKAGE_CONSUMED:  return SOUP_STATUS_CONFLICT;
      default:                          return SOUP_STATUS_BAD_REQUEST;
      }
  return SOUP_STATUS_INTERNAL_SERVER_ERROR;
}

void
srv_reply_gerror (SrvRequest   *req,
                  const GError *error)
{
  guint status = srv_error_status (error);

  if (status >= 500)
    g_warning ("%s %s: %s", soup_server_message_get_method (req->msg), req->path, error->message);
  srv_reply_error (req, status, srv_error_code_name (error), error->message);
}

const char *
srv_query_get (SrvRequest *req,
               const char *name)
{
  return req->query ? g_hash_table_lookup (req->query, name) : NULL;
}

/* Dispatch --------------------------------------------------------------------- */

static const SrvRoute *
find_route (const char *method,
            const char *path,
            gboolean   *path_known)
{
  *path_known = FALSE;
  for (guint t = 0; t < G_N_ELEMENTS (route_tables); t++)
    for (const SrvRoute *r = route_tables[t]; r->path; r++)
      {
        /* "/" itself is exact, not a prefix of every path */
        gboolean match = r->path[1] != '\0' && g_str_has_suffix (r->path, "/") ? g_str_has_prefix (path, r->path)
                                                                               : g_str_equal (path, r->path);

        if (!match)
          continue;
        *path_known = TRUE;
        if (g_str_equal (method, r->method))
          return r;
      }
  return NULL;
}

static char *
bearer_token (SoupServerMessage *msg)
{
  const char *auth = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                   "Authorization");

  if (auth == NULL || g_ascii_strncasecmp (auth, "Bearer ", 7) != 0)
    return NULL;
  return g_strstrip (g_strdup (auth + 7));
}

static void
handle_request (SoupServer        *soup,
                SoupServerMessage *msg,
                const char        *path,
                GHashTable        *query,
                gpointer           user_data)
{
  SrvServer *srv = user_data;
  const char *method = soup_server_message_get_method (msg);
  SrvRequest req = { .srv = srv, .store = srv->store, .msg = msg, .path = path, .query = query };
  g_autoptr(SrvBranch) branch = NULL;
  g_autoptr(JsonNode) body = NULL;
  const SrvRoute *route;
  gboolean path_known;

  srv->counters.requests++;
  if (soup_server_message_get_status (msg) != 0)
    return;   /* refused early (size) */

  route = find_route (method, path, &path_known);
  if (route == NULL)
    {
      if (path_known)
        srv_reply_error (&req, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                         _("This method is not allowed here"));
      else
        srv_reply_error (&req, SOUP_STATUS_NOT_FOUND, "not_found", _("No such resource"));
      return;
    }

  if (route->auth != SRV_AUTH_NONE)
    {
      g_autofree char *token = bearer_token (msg);
      gboolean ok;

      if (route->auth == SRV_AUTH_BRANCH)
        ok = (branch = srv_store_auth_branch (srv->store, token)) != NULL;
      else if (route->auth == SRV_AUTH_HEAD_OFFICE && !srv_store_auth_hq (srv->store, token))
        ok = (branch = srv_store_auth_branch (srv->store, token)) != NULL && branch->hq;
      else
        ok = srv_store_auth_hq (srv->store, token);
      if (!ok)
        {
          srv->counters.auth_failures++;
          soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                        "WWW-Authenticate", "Bearer");
          srv_reply_error (&req, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                           _("Unknown or revoked token"));
          return;
        }
      req.branch = branch;
    }

  if (g_str_equal (method, "POST"))
    {
      SoupMessageBody *request_body = soup_server_message_get_request_body (msg);
      g_autoptr(GBytes) bytes = soup_message_body_flatten (request_body);
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      gsize size = 0;
      const char *data = g_bytes_get_data (bytes, &size);

      if (size > srv->max_body)
        {
          srv_reply_error (&req, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large",
                           _("The request body is too large"));
          return;
        }
      if (size > 0 && (route->flags & SRV_ROUTE_RAW_BODY) && mdn_json_utf8_valid (data, size))
        {
          req.raw_body = bytes;
          route->handler (&req);
          return;
        }
      /* json-glib recurses without a limit: the depth (and the rest of
         strict JSON) is checked first. */
      if (size == 0 || !mdn_json_check_text (data, (gssize) size, &error) ||
          !json_parser_load_from_data (parser, data, (gssize) size, &error))
        {
          srv_reply_error (&req, SOUP_STATUS_BAD_REQUEST, "invalid_json",
                           error ? error->message : _("The request body is not UTF-8 JSON"));
          return;
        }
      if (!JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        {
          srv_reply_error (&req, SOUP_STATUS_BAD_REQUEST, "invalid_json",
                           _("The request body must be a JSON object"));
          return;
        }
      body = json_node_copy (json_parser_get_root (parser));
      req.body = body;
    }

  route->handler (&req);
}

/* Request headers -------------------------------------------------------------- */

static guint
count_headers (SoupMessageHeaders *headers,
               const char         *name)
{
  SoupMessageHeadersIter iter;
  const char *n, *v;
  guint count = 0;

  soup_message_headers_iter_init (&iter, headers);
  while (soup_message_headers_iter_next (&iter, &n, &v))
    if (g_ascii_strcasecmp (n, name) == 0)
      count++;
  return count;
}

static void
refuse (SrvServer         *srv,
        SoupServerMessage *msg,
        guint              status,
        const char        *code,
        const char        *message)
{
  g_autoptr(JsonObject) o = srv_error_json (code, message);
  g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), o);
  g_autofree char *json = json_to_string (node, FALSE);

  srv->counters.bad_requests++;
  srv_conns_refuse (srv->conns, msg, status, json);
}

/* Each request's headers, before its body is read. A body over --max-body,
 * or one without a Content-Length, is refused at once and the connection
 * closed: nothing of it is read. */
static void
request_headers (SrvConns          *conns,
                 SoupServerMessage *msg,
                 gpointer           user_data)
{
  SrvServer *srv = user_data;
  SrvRequest req = { .srv = srv, .store = srv->store, .msg = msg };
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);
  const char *method = soup_server_message_get_method (msg);
  GUri *uri = soup_server_message_get_uri (msg);

  req.path = uri ? g_uri_get_path (uri) : "";
  if (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
      (guint64) soup_message_headers_get_content_length (headers) > srv->max_body)
    {
      refuse (srv, msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "too_large", _("The request body is too large"));
      return;
    }
  if (encoding != SOUP_ENCODING_CONTENT_LENGTH &&
      (encoding != SOUP_ENCODING_NONE || g_str_equal (method, "POST") || g_str_equal (method, "PUT") ||
       g_str_equal (method, "PATCH")))
    {
      refuse (srv, msg, SOUP_STATUS_LENGTH_REQUIRED, "length_required",
              _("Send the request body with a Content-Length"));
      return;
    }
  if (soup_server_message_get_status (msg) != 0)
    {
      /* libsoup refused it (a path with %00, an absolute URI of another scheme) */
      srv_reply_error (&req, soup_server_message_get_status (msg), "bad_request",
                       _("The request is not valid HTTP"));
      return;
    }
  if (count_headers (headers, "Authorization") > 1)
    {
      srv_reply_error (&req, SOUP_STATUS_BAD_REQUEST, "bad_request", _("Send one Authorization header, not several"));
      return;
    }
  if (g_str_equal (req.path, NOTIFY_PATH))
    {
      g_autofree char *token = bearer_token (msg);
      g_autoptr(SrvBranch) branch = token ? srv_store_auth_branch (srv->store, token) : NULL;

      if (branch == NULL)
        {
          srv->counters.auth_failures++;
          soup_message_headers_replace (soup_server_message_get_response_headers (msg), "WWW-Authenticate", "Bearer");
          srv_reply_error (&req, SOUP_STATUS_UNAUTHORIZED, "unauthorized", _("Unknown or revoked token"));
        }
    }
}

/* The body of an error the connection layer answers itself. */
static char *
connection_error_json (guint    status,
                       gpointer user_data)
{
  SrvServer *srv = user_data;
  g_autoptr(JsonObject) o = NULL;
  g_autoptr(JsonNode) node = NULL;

  srv->counters.bad_requests++;
  switch (status)
    {
    case SOUP_STATUS_REQUEST_TIMEOUT:
      o = srv_error_json ("timeout", _("The request headers did not arrive in time"));
      break;
    case SRV_STATUS_HEADERS_TOO_LARGE:
      o = srv_error_json ("headers_too_large", _("The request headers are too large"));
      break;
    case SOUP_STATUS_NOT_IMPLEMENTED:
      o = srv_error_json ("not_implemented", _("This Transfer-Encoding is not supported"));
      break;
    default:
      o = srv_error_json ("bad_request", _("The request is not valid HTTP"));
      break;
    }
  node = json_node_init_object (json_node_alloc (), o);
  return json_to_string (node, FALSE);
}

/* Stopping ----------------------------------------------------------------------- */

static gboolean
requests_drained (gpointer user_data)
{
  SrvServer *srv = user_data;

  if (srv->stopping)
    g_main_loop_quit (srv->loop);
  return G_SOURCE_REMOVE;
}

static gboolean
stop_deadline (gpointer user_data)
{
  SrvServer *srv = user_data;

  g_warning ("%u requests still in flight after 10 s; exiting", srv_conns_in_flight (srv->conns));
  g_main_loop_quit (srv->loop);
  return G_SOURCE_REMOVE;
}

/* SIGTERM/SIGINT: stop accepting, let requests in flight finish (handlers
 * run to completion on this thread, so a push is committed or not), exit. */
static gboolean
on_signal (gpointer user_data)
{
  SrvServer *srv = user_data;

  if (srv->stopping)
    return G_SOURCE_CONTINUE;
  srv->stopping = TRUE;
  g_message ("stopping: %u request(s) in flight", srv_conns_in_flight (srv->conns));
  srv_conns_stop_accepting (srv->conns);
  for (guint i = 0; i < srv->sockets->len; i++)
    {
      SrvNotifyClient *c = g_ptr_array_index (srv->sockets, i);

      if (soup_websocket_connection_get_state (c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (c->ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "server stopping");
    }
  if (srv_conns_in_flight (srv->conns) == 0)
    g_main_loop_quit (srv->loop);
  else
    g_timeout_add_seconds (10, stop_deadline, srv);
  return G_SOURCE_CONTINUE;
}

/* Notify ------------------------------------------------------------------------ */

static void
notify_client_free (SrvNotifyClient *c)
{
  g_signal_handlers_disconnect_by_data (c->ws, c);
  g_object_unref (c->ws);
  g_free (c->branch);
  g_free (c);
}

static void
socket_closed (SoupWebsocketConnection *ws,
               gpointer                 user_data)
{
  SrvNotifyClient *c = user_data;

  g_ptr_array_remove_fast (c->srv->sockets, c);
}

/* Any frame from the client (a pong above all) shows it is alive. */
static void
socket_pong (SoupWebsocketConnection *ws,
             GBytes                  *message,
             gpointer                 user_data)
{
  ((SrvNotifyClient *) user_data)->seen = g_get_monotonic_time ();
}

static void
socket_message (SoupWebsocketConnection *ws,
                gint                     type,
                GBytes                  *message,
                gpointer                 user_data)
{
  ((SrvNotifyClient *) user_data)->seen = g_get_monotonic_time ();
}

/* libsoup pings every --ws-ping seconds; a client that answered none of
 * the last WS_MISSED_PINGS is dead (a proxy or a network that dropped it
 * silently) and is closed. */
static gboolean
check_sockets (gpointer user_data)
{
  SrvServer *srv = user_data;
  gint64 limit = g_get_monotonic_time () - (gint64) srv->ws_ping * WS_MISSED_PINGS * G_USEC_PER_SEC;
  g_autoptr(GPtrArray) dead = g_ptr_array_new_with_free_func (g_object_unref);

  for (guint i = 0; i < srv->sockets->len; i++)
    {
      SrvNotifyClient *c = g_ptr_array_index (srv->sockets, i);

      if (!c->dropped && c->seen < limit &&
          soup_websocket_connection_get_state (c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        {
          c->dropped = TRUE;
          g_ptr_array_add (dead, g_object_ref (c->ws));
        }
    }
  for (guint i = 0; i < dead->len; i++)
    soup_websocket_connection_close (g_ptr_array_index (dead, i), SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                                     "no answer to pings");
  return G_SOURCE_CONTINUE;
}

/* An upgraded request is a long-lived WebSocket, not a request in flight:
 * a clean stop does not wait for it, and it has no idle timeout. */
void
srv_server_websocket_started (SrvServer         *srv,
                              SoupServerMessage *msg)
{
  srv_conns_upgraded (srv->conns, msg);
}

void
srv_server_add_socket (SrvServer               *srv,
                       SoupWebsocketConnection *ws,
                       const char              *branch)
{
  SrvNotifyClient *c = g_new0 (SrvNotifyClient, 1);

  c->srv = srv;
  c->branch = g_strdup (branch);
  c->ws = g_object_ref (ws);
  c->seen = g_get_monotonic_time ();
  soup_websocket_connection_set_keepalive_interval (ws, srv->ws_ping);
  g_ptr_array_add (srv->sockets, c);
  g_signal_connect (ws, "closed", G_CALLBACK (socket_closed), c);
  g_signal_connect (ws, "pong", G_CALLBACK (socket_pong), c);
  g_signal_connect (ws, "message", G_CALLBACK (socket_message), c);
  srv->counters.notify_clients++;
}

guint
srv_server_online (SrvServer  *srv,
                   const char *branch)
{
  guint n = 0;

  for (guint i = 0; i < srv->sockets->len; i++)
    {
      SrvNotifyClient *c = g_ptr_array_index (srv->sockets, i);

      if (g_strcmp0 (c->branch, branch) == 0 &&
          soup_websocket_connection_get_state (c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        n++;
    }
  return n;
}

typedef struct
{
  gint64  after;
  char   *agent;
} SrvFeedSeen;

static void
feed_seen_free (SrvFeedSeen *seen)
{
  g_free (seen->agent);
  g_free (seen);
}

gint64
srv_server_feed_seen (SrvServer   *srv,
                      const char  *branch,
                      const char **agent)
{
  SrvFeedSeen *p = g_hash_table_lookup (srv->feed_seen, branch);

  if (agent)
    *agent = p ? p->agent : NULL;
  return p ? p->after : -1;
}

void
srv_server_note_feed (SrvServer  *srv,
                      const char *branch,
                      gint64      after,
                      const char *agent)
{
  SrvFeedSeen *p = g_hash_table_lookup (srv->feed_seen, branch);

  if (p == NULL)
    {
      p = g_new0 (SrvFeedSeen, 1);
      g_hash_table_insert (srv->feed_seen, g_strdup (branch), p);
    }
  p->after = after;
  if (g_strcmp0 (p->agent, agent) != 0)
    {
      g_free (p->agent);
      p->agent = agent ? g_utf8_make_valid (agent, MIN ((gssize) strlen (agent), 80)) : NULL;
    }
}

SrvConsole *
srv_server_console (SrvServer *srv)
{
  return srv->console;
}

gboolean
srv_server_is_tls (SrvServer *srv)
{
  return srv->tls;
}

/* One Prometheus sample with its HELP and TYPE (counter or gauge) lines. */
void
srv_metric (GString    *out,
            const char *type,
            const char *name,
            const char *help,
            guint64     value)
{
  g_string_append_printf (out, "# HELP %s %s\n# TYPE %s %s\n%s %" G_GUINT64_FORMAT "\n",
                          name, help, name, type, name, value);
}

void
srv_server_write_metrics (SrvServer *srv,
                          GString   *out)
{
  const SrvConnsStats *stats = srv_conns_get_stats (srv->conns);

  srv_metric (out, "gauge", "mendian_connections_open", "Open client connections, WebSockets included.", stats->open);
  srv_metric (out, "gauge", "mendian_websockets_open", "Open notify WebSockets.", srv->sockets->len);
  srv_metric (out, "counter", "mendian_connections_accepted_total", "Connections accepted.", stats->accepted);
  srv_metric (out, "counter", "mendian_accept_failures_total", "Failed accepts (out of file descriptors, ...).",
              stats->accept_failures);
  srv_metric (out, "counter", "mendian_connection_timeouts_total", "Connections closed by the idle or header timeout.",
              stats->timeouts);
}

/* Tells every notify client the feed moved to @head. */
void
srv_notify_feed (SrvServer *srv,
                 gint64     head)
{
  g_autofree char *text = g_strdup_printf ("{\"feed_position\":%" G_GINT64_FORMAT "}", head);

  for (guint i = 0; i < srv->sockets->len; i++)
    {
      SrvNotifyClient *c = g_ptr_array_index (srv->sockets, i);

      if (soup_websocket_connection_get_state (c->ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_send_text (c->ws, text);
    }
}

/* Another server process on the same database moved the feed. */
static void
feed_moved (gpointer data)
{
  SrvServer *srv = data;

  srv_notify_feed (srv, srv_store_feed_head (srv->store));
}

/* Listen ------------------------------------------------------------------------ */

static GSocketAddress *
parse_listen (const char *listen,
              GError    **error)
{
  g_autofree char *host = NULL;
  const char *colon = listen ? strrchr (listen, ':') : NULL;
  g_autoptr(GInetAddress) addr = NULL;
  guint64 port = 0;

  if (colon == NULL || !g_ascii_string_to_unsigned (colon + 1, 10, 0, 65535, &port, NULL))
    goto bad;
  host = g_strndup (listen, colon - listen);
  if (host[0] == '[' && host[strlen (host) - 1] == ']')
    {
      char *inner = g_strndup (host + 1, strlen (host) - 2);

      g_free (host);
      host = inner;
    }
  if (g_str_equal (host, "localhost"))
    {
      g_free (host);
      host = g_strdup ("127.0.0.1");
    }
  addr = g_inet_address_new_from_string (host);
  if (addr == NULL)
    goto bad;
  return g_inet_socket_address_new (addr, (guint16) port);

bad:
  g_set_error (error, SRV_ERROR, SRV_ERROR_INVALID,
               _("--listen takes HOST:PORT with a numeric address, like 127.0.0.1:8080 (got “%s”)"),
               listen ? listen : "");
  return NULL;
}

/* Raises the soft limit on open files to the hard one, and says what it is. */
static void
raise_open_files_limit (void)
{
  struct rlimit rl;

  if (getrlimit (RLIMIT_NOFILE, &rl) != 0)
    return;
  if (rl.rlim_cur < rl.rlim_max)
    {
      struct rlimit raised = { rl.rlim_max, rl.rlim_max };

      if (setrlimit (RLIMIT_NOFILE, &raised) == 0)
        rl = raised;
    }
  if (rl.rlim_cur == RLIM_INFINITY)
    g_message ("open-file limit: unlimited");
  else
    g_message ("open-file limit: %llu descriptors", (unsigned long long) rl.rlim_cur);
}

int
srv_serve (SrvStore               *store,
           const SrvServerOptions *options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GTlsCertificate) cert = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *url = NULL;
  SrvServer srv = { 0 };
  SrvConnsOptions conn_options = { 0 };
  guint sig_term, sig_int;
  gboolean loopback;

  address = parse_listen (options->listen ? options->listen : "127.0.0.1:8080", &error);
  if (address == NULL)
    goto fail;
  loopback = g_inet_address_get_is_loopback (g_inet_socket_address_get_address (G_INET_SOCKET_ADDRESS (address)));
  if ((options->tls_cert == NULL) != (options->tls_key == NULL))
    {
      g_set_error_literal (&error, SRV_ERROR, SRV_ERROR_INVALID, _("--tls-cert and --tls-key go together"));
      goto fail;
    }
  if (!loopback && options->tls_cert == NULL && !options->insecure)
    {
      g_set_error_literal (&error, SRV_ERROR, SRV_ERROR_INVALID,
                           _("Refusing to serve plain HTTP on a non-loopback address: give --tls-cert and "
                             "--tls-key, or --insecure if a TLS proxy stands in front"));
      goto fail;
    }
  if (options->tls_cert)
    {
      cert = g_tls_certificate_new_from_files (options->tls_cert, options->tls_key, &error);
      if (cert == NULL)
        goto fail;
    }
  raise_open_files_limit ();

  loop = g_main_loop_new (NULL, FALSE);
  srv.store = store;
  srv.db_path = options->db;
  srv.report_dsn = options->report_dsn;
  srv.loop = loop;
  srv.max_body = options->max_body ? options->max_body : SRV_DEFAULT_MAX_BODY;
  srv.ws_ping = options->ws_ping ? options->ws_ping : SRV_DEFAULT_WS_PING;
  srv.sockets = g_ptr_array_new_with_free_func ((GDestroyNotify) notify_client_free);
  srv.feed_seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) feed_seen_free);
  srv.tls = cert != NULL;
  srv.console = srv_console_new (&srv, options, &error);
  if (srv.console == NULL)
    goto fail;
  srv.soup = soup_server_new ("server-header", "mendian-server ", NULL);

  if (!srv_store_watch_feed (store, feed_moved, &srv, &error))
    goto fail;
  soup_server_add_handler (srv.soup, NULL, handle_request, &srv, NULL);
  soup_server_add_websocket_handler (srv.soup, NOTIFY_PATH, NULL, NULL, srv_sync_notify_handler, &srv, NULL);

  conn_options.tls_certificate = cert;
  conn_options.idle_timeout = options->idle_timeout;
  conn_options.header_timeout = options->header_timeout;
  conn_options.got_headers = request_headers;
  conn_options.error_json = connection_error_json;
  conn_options.drained = requests_drained;
  conn_options.user_data = &srv;
  srv.conns = srv_conns_new (srv.soup, address, &conn_options, &error);
  if (srv.conns == NULL)
    goto fail;

  url = srv_conns_dup_url (srv.conns);
  fprintf (stdout, "listening on %s\n", url);
  fflush (stdout);

  srv.ws_check_id = g_timeout_add_seconds (srv.ws_ping, check_sockets, &srv);
  sig_term = g_unix_signal_add (SIGTERM, on_signal, &srv);
  sig_int = g_unix_signal_add (SIGINT, on_signal, &srv);
  g_main_loop_run (loop);
  g_source_remove (sig_term);
  g_source_remove (sig_int);
  g_clear_handle_id (&srv.ws_check_id, g_source_remove);

  g_message ("stopped cleanly");
  soup_server_disconnect (srv.soup);
  g_ptr_array_unref (srv.sockets);
  srv_conns_free (srv.conns);
  g_clear_object (&srv.soup);
  g_hash_table_unref (srv.feed_seen);
  srv_console_free (srv.console);
  return 0;

fail:
  g_printerr ("mendian-server: %s\n", error->message);
  g_clear_object (&srv.soup);
  g_clear_pointer (&srv.sockets, g_ptr_array_unref);
  g_clear_pointer (&srv.feed_seen, g_hash_table_unref);
  g_clear_pointer (&srv.console, srv_console_free);
  return 2;
}
