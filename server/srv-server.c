/* srv-server.c: listen, route, authenticate, reply; clean exit on SIGTERM. */
#define G_LOG_DOMAIN "srv-server"

#include <glib-unix.h>
#include <glib/gi18n-lib.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "srv-server.h"

struct _SrvServer
{
  SoupServer  *soup;
  SrvStore    *store;
  GMainLoop   *loop;
  gsize        max_body;
  guint        in_flight;
  gboolean     stopping;
  GPtrArray   *sockets;   /* SoupWebsocketConnection, notify clients */
  SrvCounters  counters;
};

static const SrvRoute *const route_tables[] = {
  srv_sync_routes,
  srv_member_routes,
  srv_report_routes,
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
        gboolean match = g_str_has_suffix (r->path, "/") ? g_str_has_prefix (path, r->path)
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
      if (size > 0 && (route->flags & SRV_ROUTE_RAW_BODY) && g_utf8_validate (data, (gssize) size, NULL))
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

/* Refuses a body over the limit from its headers, before reading it. A body
 * without a length (chunked) is refused too, so none is read unbounded. */
static void
early_request (SoupServer        *soup,
               SoupServerMessage *msg,
               const char        *path,
               GHashTable        *query,
               gpointer           user_data)
{
  SrvServer *srv = user_data;
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);
  SoupEncoding encoding = soup_message_headers_get_encoding (headers);
  const char *text = NULL;
  guint status = 0;

  if (encoding == SOUP_ENCODING_CONTENT_LENGTH &&
      (gsize) soup_message_headers_get_content_length (headers) > srv->max_body)
    {
      status = SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE;
      text = "{\"ok\":false,\"error\":{\"code\":\"too_large\",\"message\":\"The request body is too large\"}}";
    }
  else if (encoding == SOUP_ENCODING_CHUNKED || encoding == SOUP_ENCODING_EOF)
    {
      status = SOUP_STATUS_LENGTH_REQUIRED;
      text = "{\"ok\":false,\"error\":{\"code\":\"length_required\",\"message\":\"Send a Content-Length\"}}";
    }
  if (status)
    {
      srv->counters.bad_requests++;
      soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Connection", "close");
      soup_server_message_set_status (msg, status, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, text, strlen (text));
    }
}

/* In-flight accounting for a clean stop ------------------------------------------ */

/* A request is in flight from its headers on. libsoup starts a message as
 * soon as a connection is open (and after each response on a kept-alive
 * one) but says nothing when the client then closes without sending: such
 * a message must not count, or a stop waits 10 s for it. */
static void
request_got_headers (SoupServerMessage *msg,
                     gpointer           user_data)
{
  SrvServer *srv = user_data;

  if (g_object_get_data (G_OBJECT (msg), "srv-counted"))
    return;
  g_object_set_data (G_OBJECT (msg), "srv-counted", GINT_TO_POINTER (1));
  srv->in_flight++;
}

static void
request_started (SoupServer        *soup,
                 SoupServerMessage *msg,
                 gpointer           user_data)
{
  g_signal_connect (msg, "got-headers", G_CALLBACK (request_got_headers), user_data);
}

static void
request_done (SoupServer        *soup,
              SoupServerMessage *msg,
              gpointer           user_data)
{
  SrvServer *srv = user_data;

  if (g_object_get_data (G_OBJECT (msg), "srv-upgraded"))
    return;   /* already counted out by srv_server_websocket_started */
  if (!g_object_get_data (G_OBJECT (msg), "srv-counted"))
    return;   /* closed before a request arrived */
  g_assert (srv->in_flight > 0);
  srv->in_flight--;
  if (srv->stopping && srv->in_flight == 0)
    g_main_loop_quit (srv->loop);
}

static gboolean
stop_deadline (gpointer user_data)
{
  SrvServer *srv = user_data;

  g_warning ("%u requests still in flight after 10 s; exiting", srv->in_flight);
  g_main_loop_quit (srv->loop);
  return G_SOURCE_REMOVE;
}

/* SIGTERM/SIGINT: stop accepting, let requests in flight finish (handlers
 * run to completion on this thread, so a push is committed or not), exit. */
static gboolean
on_signal (gpointer user_data)
{
  SrvServer *srv = user_data;
  GSList *listeners;

  if (srv->stopping)
    return G_SOURCE_CONTINUE;
  srv->stopping = TRUE;
  g_message ("stopping: %u request(s) in flight", srv->in_flight);
  listeners = soup_server_get_listeners (srv->soup);
  for (GSList *l = listeners; l; l = l->next)
    g_socket_close (l->data, NULL);
  g_slist_free (listeners);
  for (guint i = 0; i < srv->sockets->len; i++)
    {
      SoupWebsocketConnection *ws = g_ptr_array_index (srv->sockets, i);

      if (soup_websocket_connection_get_state (ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (ws, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, "server stopping");
    }
  if (srv->in_flight == 0)
    g_main_loop_quit (srv->loop);
  else
    g_timeout_add_seconds (10, stop_deadline, srv);
  return G_SOURCE_CONTINUE;
}

/* Notify ------------------------------------------------------------------------ */

static void
socket_closed (SoupWebsocketConnection *ws,
               gpointer                 user_data)
{
  SrvServer *srv = user_data;

  g_ptr_array_remove (srv->sockets, ws);
}

/* An upgraded request is a long-lived WebSocket, not a request in flight:
 * a clean stop does not wait for it. */
void
srv_server_websocket_started (SrvServer         *srv,
                              SoupServerMessage *msg)
{
  g_object_set_data (G_OBJECT (msg), "srv-upgraded", GINT_TO_POINTER (1));
  if (!g_object_get_data (G_OBJECT (msg), "srv-counted"))
    return;
  g_assert (srv->in_flight > 0);
  srv->in_flight--;
}

void
srv_server_add_socket (SrvServer               *srv,
                       SoupWebsocketConnection *ws)
{
  g_ptr_array_add (srv->sockets, g_object_ref (ws));
  g_signal_connect (ws, "closed", G_CALLBACK (socket_closed), srv);
  srv->counters.notify_clients++;
}

/* Tells every notify client the feed moved to @head. */
void
srv_notify_feed (SrvServer *srv,
                 gint64     head)
{
  g_autofree char *text = g_strdup_printf ("{\"feed_position\":%" G_GINT64_FORMAT "}", head);

  for (guint i = 0; i < srv->sockets->len; i++)
    {
      SoupWebsocketConnection *ws = g_ptr_array_index (srv->sockets, i);

      if (soup_websocket_connection_get_state (ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_send_text (ws, text);
    }
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

int
srv_serve (SrvStore               *store,
           const SrvServerOptions *options)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketAddress) address = NULL;
  g_autoptr(GTlsCertificate) cert = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  SrvServer srv = { 0 };
  GSList *uris;
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

  loop = g_main_loop_new (NULL, FALSE);
  srv.store = store;
  srv.loop = loop;
  srv.max_body = options->max_body ? options->max_body : SRV_DEFAULT_MAX_BODY;
  srv.sockets = g_ptr_array_new_with_free_func (g_object_unref);
  srv.soup = soup_server_new ("server-header", "mendian-server ", NULL);
  if (cert)
    soup_server_set_tls_certificate (srv.soup, cert);

  soup_server_add_early_handler (srv.soup, NULL, early_request, &srv, NULL);
  soup_server_add_handler (srv.soup, NULL, handle_request, &srv, NULL);
  soup_server_add_websocket_handler (srv.soup, "/api/v1/sync/notify", NULL, NULL,
                                     srv_sync_notify_handler, &srv, NULL);
  g_signal_connect (srv.soup, "request-started", G_CALLBACK (request_started), &srv);
  g_signal_connect (srv.soup, "request-finished", G_CALLBACK (request_done), &srv);
  g_signal_connect (srv.soup, "request-aborted", G_CALLBACK (request_done), &srv);

  if (!soup_server_listen (srv.soup, address, cert ? SOUP_SERVER_LISTEN_HTTPS : 0, &error))
    goto fail;

  uris = soup_server_get_uris (srv.soup);
  if (uris)
    {
      g_autofree char *text = g_uri_to_string (uris->data);

      fprintf (stdout, "listening on %s\n", text);
      fflush (stdout);
    }
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  sig_term = g_unix_signal_add (SIGTERM, on_signal, &srv);
  sig_int = g_unix_signal_add (SIGINT, on_signal, &srv);
  g_main_loop_run (loop);
  g_source_remove (sig_term);
  g_source_remove (sig_int);

  g_message ("stopped cleanly");
  soup_server_disconnect (srv.soup);
  g_clear_object (&srv.soup);
  for (guint i = 0; i < srv.sockets->len; i++)
    g_signal_handlers_disconnect_by_func (g_ptr_array_index (srv.sockets, i), socket_closed, &srv);
  g_ptr_array_unref (srv.sockets);
  return 0;

fail:
  g_printerr ("mendian-server: %s\n", error->message);
  g_clear_object (&srv.soup);
  g_clear_pointer (&srv.sockets, g_ptr_array_unref);
  return 2;
}
