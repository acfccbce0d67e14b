/* srv-conn.c: the listening socket, the accept loop and one record per
 * connection (see srv-conn.h).
 *
 * Why not libsoup's own listener (libsoup 3.2.3, what Debian 12 ships):
 * - its accept watch is removed at the first failed accept(), so once the
 *   process ran out of descriptors it never accepts again;
 * - it leaks the accepted GSocket (344 bytes per connection; upstream
 *   b545d5f0), and its listen backlog is 10;
 * - a kept-alive connection the client closes between two requests is never
 *   closed on our side (CLOSE-WAIT, one descriptor and ~1.7 KB for good;
 *   upstream d20c6601): after a response libsoup starts the next message
 *   without its completion callback, so when that message then reads EOF it
 *   just ends and nobody disconnects the connection.
 *
 * So each accepted connection reaches libsoup through a SrvConnStream: a
 * GIOStream over the socket (or the TLS connection) whose input and output
 * pass through here. Between two requests (CONN_IDLE) an EOF or a read error
 * is not handed to libsoup; the connection is taken back from libsoup with
 * soup_server_message_steal_connection() (public, and safe while libsoup's
 * message I/O waits for input) and closed. The same take-back closes a
 * connection at its idle or header timeout, and answers a request refused
 * at its headers (413, 411, 431, 408) without reading its body.
 *
 * libsoup keeps a connection alive after a response only while the server
 * has a listener (soup-server.c, request_finished); a connected socketpair
 * nobody ever writes to is that listener. */
#define G_LOG_DOMAIN "srv-conn"

#include <errno.h>
#include <glib/gi18n-lib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "srv-conn.h"

#define ACCEPT_BATCH      64      /* accepts per wake-up, to stay fair to the open connections */
#define ACCEPT_PAUSE_MS   100     /* out of descriptors: try again after this */
#define LINGER_SECONDS    2       /* after our own answer, read and drop what the client still sends */
#define LINGER_BYTES      (1024 * 1024)

typedef enum {
  CONN_HANDSHAKE,   /* TLS handshake; not yet given to libsoup */
  CONN_HEADERS,     /* a request's headers are arriving */
  CONN_REQUEST,     /* headers read: the body is read, handled and answered */
  CONN_IDLE,        /* kept alive between requests */
  CONN_WEBSOCKET,   /* upgraded: belongs to its SoupWebsocketConnection */
  CONN_CLOSING,     /* taken back from libsoup: our own answer, then close */
} ConnState;

typedef enum {
  PENDING_NONE,
  PENDING_CLOSE,    /* the peer closed an idle connection */
  PENDING_REFUSE,   /* refused while its headers arrived: refuse_status */
} ConnPending;

typedef struct _SrvConnStream SrvConnStream;

typedef struct
{
  SrvConns          *conns;
  GSocket           *socket;
  GIOStream         *base;         /* GSocketConnection, or a GTlsServerConnection over it */
  GSocketAddress    *local;
  GSocketAddress    *remote;       /* the key: libsoup hands it back with each message */
  SrvConnStream     *stream;       /* what libsoup reads and writes */
  GIOStream         *stolen;       /* CONN_CLOSING: taken back from libsoup */
  SoupServerMessage *msg;          /* the current or the last message */
  GCancellable      *cancellable;
  GSource           *timer;        /* fires at or before the deadline */
  gint64             deadline;     /* monotonic; -1: none */
  GSource           *linger;
  GBytes            *answer;
  ConnState          state;
  ConnPending        pending;
  gboolean           counted;      /* a request in flight */
  gboolean           stalled;      /* libsoup gets no more input */
  gboolean           answered;     /* libsoup's answer to an unparsable request was replaced */
  gboolean           head_checked; /* the current request's framing headers were checked */
  guint              refuse_status;
  GByteArray        *head;         /* CONN_HEADERS: the request's bytes until its blank line */
  gsize              header_bytes;
  gsize              lingered;
  gint64             activity;     /* CONN_REQUEST: last progress */
  gboolean           held;         /* CONN_REQUEST answered by a worker: no idle timeout */
} SrvConn;

struct _SrvConns
{
  SoupServer      *soup;
  SrvConnsOptions  options;
  GSocket         *socket;
  GSource         *accept_source;
  guint            resume_id;
  gboolean         at_limit;
  guint64          failures_at_limit;
  GSocket         *keepalive[2];   /* the socketpair that keeps libsoup's keep-alive on */
  GHashTable      *conns;          /* remote GSocketAddress → SrvConn */
  guint            in_flight;
  SrvConnsStats    stats;
};

static void conn_closed        (SrvConn *conn);
static void conn_close         (SrvConn *conn);
static void conn_refuse        (SrvConn *conn,
                                guint    status,
                                char    *json);
static gssize conn_input       (SrvConn    *conn,
                                const void *buffer,
                                gssize      n,
                                GError    **error);
static gssize conn_output      (SrvConn       *conn,
                                GOutputStream *base,
                                const void    *buffer,
                                gsize          count,
                                gboolean       blocking,
                                GError       **error);

/* The streams libsoup gets ----------------------------------------------------------- */

#define SRV_TYPE_CONN_INPUT (srv_conn_input_get_type ())
G_DECLARE_FINAL_TYPE (SrvConnInput, srv_conn_input, SRV, CONN_INPUT, GInputStream)

struct _SrvConnInput
{
  GInputStream  parent_instance;
  GInputStream *base;
  SrvConn      *conn;   /* NULL once closed */
};

static void srv_conn_input_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SrvConnInput, srv_conn_input, G_TYPE_INPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM,
                                                      srv_conn_input_pollable_init))

static gssize
would_block (GError **error)
{
  g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK, "would block");
  return -1;
}

static gssize
srv_conn_input_read (GInputStream *stream,
                     void         *buffer,
                     gsize         count,
                     GCancellable *cancellable,
                     GError      **error)
{
  SrvConnInput *self = SRV_CONN_INPUT (stream);

  if (self->conn && self->conn->stalled)
    return would_block (error);
  return conn_input (self->conn, buffer, g_input_stream_read (self->base, buffer, count, cancellable, error), error);
}

static gboolean
srv_conn_input_close (GInputStream *stream,
                      GCancellable *cancellable,
                      GError      **error)
{
  return TRUE;   /* SrvConnStream closes the base stream */
}

static gboolean
srv_conn_input_can_poll (GPollableInputStream *stream)
{
  return TRUE;
}

static gboolean
srv_conn_input_is_readable (GPollableInputStream *stream)
{
  SrvConnInput *self = SRV_CONN_INPUT (stream);

  if (self->conn && self->conn->stalled)
    return FALSE;
  return g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (self->base));
}

static GSource *
srv_conn_input_create_source (GPollableInputStream *stream,
                              GCancellable         *cancellable)
{
  SrvConnInput *self = SRV_CONN_INPUT (stream);
  g_autoptr(GSource) base = NULL;

  if (self->conn && self->conn->stalled)
    return g_pollable_source_new_full (stream, NULL, cancellable);   /* never ready */
  base = g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (self->base), NULL);
  return g_pollable_source_new_full (stream, base, cancellable);
}

static gssize
srv_conn_input_read_nonblocking (GPollableInputStream *stream,
                                 void                 *buffer,
                                 gsize                 count,
                                 GError              **error)
{
  SrvConnInput *self = SRV_CONN_INPUT (stream);

  if (self->conn && self->conn->stalled)
    return would_block (error);
  return conn_input (self->conn, buffer,
                     g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (self->base),
                                                               buffer, count, NULL, error),
                     error);
}

static void
srv_conn_input_finalize (GObject *object)
{
  g_clear_object (&SRV_CONN_INPUT (object)->base);
  G_OBJECT_CLASS (srv_conn_input_parent_class)->finalize (object);
}

static void
srv_conn_input_class_init (SrvConnInputClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = srv_conn_input_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = srv_conn_input_read;
  G_INPUT_STREAM_CLASS (klass)->close_fn = srv_conn_input_close;
}

static void
srv_conn_input_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = srv_conn_input_can_poll;
  iface->is_readable = srv_conn_input_is_readable;
  iface->create_source = srv_conn_input_create_source;
  iface->read_nonblocking = srv_conn_input_read_nonblocking;
}

static void
srv_conn_input_init (SrvConnInput *self)
{
}

#define SRV_TYPE_CONN_OUTPUT (srv_conn_output_get_type ())
G_DECLARE_FINAL_TYPE (SrvConnOutput, srv_conn_output, SRV, CONN_OUTPUT, GOutputStream)

struct _SrvConnOutput
{
  GOutputStream  parent_instance;
  GOutputStream *base;
  SrvConn       *conn;   /* NULL once closed */
};

static void srv_conn_output_pollable_init (GPollableOutputStreamInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (SrvConnOutput, srv_conn_output, G_TYPE_OUTPUT_STREAM,
                               G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_OUTPUT_STREAM,
                                                      srv_conn_output_pollable_init))

static gssize
srv_conn_output_write (GOutputStream *stream,
                       const void    *buffer,
                       gsize          count,
                       GCancellable  *cancellable,
                       GError       **error)
{
  SrvConnOutput *self = SRV_CONN_OUTPUT (stream);

  if (self->conn)
    return conn_output (self->conn, self->base, buffer, count, TRUE, error);
  return g_output_stream_write (self->base, buffer, count, cancellable, error);
}

static gboolean
srv_conn_output_flush (GOutputStream *stream,
                       GCancellable  *cancellable,
                       GError       **error)
{
  return g_output_stream_flush (SRV_CONN_OUTPUT (stream)->base, cancellable, error);
}

static gboolean
srv_conn_output_close (GOutputStream *stream,
                       GCancellable  *cancellable,
                       GError       **error)
{
  return TRUE;   /* SrvConnStream closes the base stream */
}

static gboolean
srv_conn_output_can_poll (GPollableOutputStream *stream)
{
  return TRUE;
}

static gboolean
srv_conn_output_is_writable (GPollableOutputStream *stream)
{
  return g_pollable_output_stream_is_writable (G_POLLABLE_OUTPUT_STREAM (SRV_CONN_OUTPUT (stream)->base));
}

static GSource *
srv_conn_output_create_source (GPollableOutputStream *stream,
                               GCancellable          *cancellable)
{
  g_autoptr(GSource) base =
    g_pollable_output_stream_create_source (G_POLLABLE_OUTPUT_STREAM (SRV_CONN_OUTPUT (stream)->base), NULL);

  return g_pollable_source_new_full (stream, base, cancellable);
}

static gssize
srv_conn_output_write_nonblocking (GPollableOutputStream *stream,
                                   const void            *buffer,
                                   gsize                  count,
                                   GError               **error)
{
  SrvConnOutput *self = SRV_CONN_OUTPUT (stream);

  if (self->conn)
    return conn_output (self->conn, self->base, buffer, count, FALSE, error);
  return g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (self->base),
                                                     buffer, count, NULL, error);
}

static void
srv_conn_output_finalize (GObject *object)
{
  g_clear_object (&SRV_CONN_OUTPUT (object)->base);
  G_OBJECT_CLASS (srv_conn_output_parent_class)->finalize (object);
}

static void
srv_conn_output_class_init (SrvConnOutputClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = srv_conn_output_finalize;
  G_OUTPUT_STREAM_CLASS (klass)->write_fn = srv_conn_output_write;
  G_OUTPUT_STREAM_CLASS (klass)->flush = srv_conn_output_flush;
  G_OUTPUT_STREAM_CLASS (klass)->close_fn = srv_conn_output_close;
}

static void
srv_conn_output_pollable_init (GPollableOutputStreamInterface *iface)
{
  iface->can_poll = srv_conn_output_can_poll;
  iface->is_writable = srv_conn_output_is_writable;
  iface->create_source = srv_conn_output_create_source;
  iface->write_nonblocking = srv_conn_output_write_nonblocking;
}

static void
srv_conn_output_init (SrvConnOutput *self)
{
}

#define SRV_TYPE_CONN_STREAM (srv_conn_stream_get_type ())
G_DECLARE_FINAL_TYPE (SrvConnStream, srv_conn_stream, SRV, CONN_STREAM, GIOStream)

struct _SrvConnStream
{
  GIOStream      parent_instance;
  GIOStream     *base;
  SrvConnInput  *input;
  SrvConnOutput *output;
  SrvConn       *conn;   /* NULL once closed */
};

G_DEFINE_FINAL_TYPE (SrvConnStream, srv_conn_stream, G_TYPE_IO_STREAM)

static GInputStream *
srv_conn_stream_get_input_stream (GIOStream *stream)
{
  return G_INPUT_STREAM (SRV_CONN_STREAM (stream)->input);
}

static GOutputStream *
srv_conn_stream_get_output_stream (GIOStream *stream)
{
  return G_OUTPUT_STREAM (SRV_CONN_STREAM (stream)->output);
}

/* Whoever closes it (libsoup's disconnect, a WebSocket's close, our own
 * take-back) ends the connection's record. */
static gboolean
srv_conn_stream_close (GIOStream    *stream,
                       GCancellable *cancellable,
                       GError      **error)
{
  SrvConnStream *self = SRV_CONN_STREAM (stream);
  SrvConn *conn = g_steal_pointer (&self->conn);
  gboolean ok;

  self->input->conn = NULL;
  self->output->conn = NULL;
  ok = g_io_stream_close (self->base, NULL, error);
  if (conn)
    conn_closed (conn);
  return ok;
}

/* Closing is immediate (as for a GSocketConnection); GIOStream's default
 * would run close_fn in another thread. */
static void
srv_conn_stream_close_async (GIOStream          *stream,
                             int                 io_priority,
                             GCancellable       *cancellable,
                             GAsyncReadyCallback callback,
                             gpointer            user_data)
{
  g_autoptr(GTask) task = g_task_new (stream, cancellable, callback, user_data);
  GError *error = NULL;

  if (srv_conn_stream_close (stream, cancellable, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static gboolean
srv_conn_stream_close_finish (GIOStream    *stream,
                              GAsyncResult *result,
                              GError      **error)
{
  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
srv_conn_stream_finalize (GObject *object)
{
  SrvConnStream *self = SRV_CONN_STREAM (object);

  g_assert (self->conn == NULL);
  g_clear_object (&self->input);
  g_clear_object (&self->output);
  g_clear_object (&self->base);
  G_OBJECT_CLASS (srv_conn_stream_parent_class)->finalize (object);
}

static void
srv_conn_stream_class_init (SrvConnStreamClass *klass)
{
  GIOStreamClass *io_class = G_IO_STREAM_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = srv_conn_stream_finalize;
  io_class->get_input_stream = srv_conn_stream_get_input_stream;
  io_class->get_output_stream = srv_conn_stream_get_output_stream;
  io_class->close_fn = srv_conn_stream_close;
  io_class->close_async = srv_conn_stream_close_async;
  io_class->close_finish = srv_conn_stream_close_finish;
}

static void
srv_conn_stream_init (SrvConnStream *self)
{
}

static SrvConnStream *
srv_conn_stream_new (SrvConn *conn)
{
  SrvConnStream *self = g_object_new (SRV_TYPE_CONN_STREAM, NULL);

  self->base = g_object_ref (conn->base);
  self->conn = conn;
  self->input = g_object_new (SRV_TYPE_CONN_INPUT, NULL);
  self->input->base = g_object_ref (g_io_stream_get_input_stream (conn->base));
  self->input->conn = conn;
  self->output = g_object_new (SRV_TYPE_CONN_OUTPUT, NULL);
  self->output->base = g_object_ref (g_io_stream_get_output_stream (conn->base));
  self->output->conn = conn;
  return self;
}

/* One connection ------------------------------------------------------------------- */

/* The timer's ready time only ever moves earlier here (each change wakes
 * the main context up: a write to its eventfd); when it fires early it
 * moves on to the deadline. */
static void
conn_set_deadline (SrvConn *conn,
                   gint64   deadline)
{
  gint64 ready = g_source_get_ready_time (conn->timer);

  conn->deadline = deadline;
  if (deadline >= 0 && (ready < 0 || deadline < ready))
    g_source_set_ready_time (conn->timer, deadline);
}

static void
conn_arm (SrvConn *conn,
          guint    seconds)
{
  conn_set_deadline (conn, g_get_monotonic_time () + (gint64) seconds * G_USEC_PER_SEC);
}

static void
conn_disarm (SrvConn *conn)
{
  conn->deadline = -1;
}

/* Runs conn_timer from the main loop at once. */
static void
conn_schedule (SrvConn    *conn,
               ConnPending pending)
{
  conn->pending = pending;
  conn_set_deadline (conn, 0);
}

static void
conn_uncount (SrvConn *conn)
{
  SrvConns *conns = conn->conns;

  if (!conn->counted)
    return;
  conn->counted = FALSE;
  g_assert (conns->in_flight > 0);
  conns->in_flight--;
  if (conns->in_flight == 0 && conns->options.drained)
    conns->options.drained (conns->options.user_data);
}

static void
conn_enter_headers (SrvConn *conn)
{
  conn->state = CONN_HEADERS;
  conn->header_bytes = 0;
  conn->answered = FALSE;
  conn->head_checked = FALSE;
  g_byte_array_set_size (conn->head, 0);
  conn_arm (conn, conn->conns->options.header_timeout);
}

static const char *
status_phrase (guint status)
{
  return status == SRV_STATUS_HEADERS_TOO_LARGE ? "Request Header Fields Too Large" : soup_status_get_phrase (status);
}

static gboolean
is_would_block (const GError *error)
{
  return g_error_matches (error, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK);
}

static gboolean
header_is (const char *line,
           const char *end,
           const char *name)
{
  gsize len = strlen (name);

  return (gsize) (end - line) > len && g_ascii_strncasecmp (line, name, len) == 0 && line[len] == ':';
}

/* The status to refuse a request with whose headers are @block (up to its
 * blank line), or 0. libsoup 3.2.3 leaks the request's path when it refuses
 * a request for its framing (an unknown Transfer-Encoding, a Content-Length
 * that is not a number; fixed upstream by 450d43c4), so such a request
 * must not reach it. */
static guint
framing_refusal (const char *block,
                 gsize       len)
{
  g_autoptr(SoupMessageHeaders) headers = NULL;
  const char *end = block + len;
  gboolean framed = FALSE;

  for (const char *line = block; line && line < end && !framed; line = memchr (line, '\n', end - line))
    {
      line += *line == '\n';
      framed = header_is (line, end, "Transfer-Encoding") || header_is (line, end, "Content-Length");
    }
  if (!framed)
    return 0;   /* a request without a body: nothing to check */
  headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  if (!SOUP_STATUS_IS_SUCCESSFUL (soup_headers_parse_request (block, (int) len, headers, NULL, NULL, NULL)))
    return 0;   /* libsoup refuses it too, without the leak */
  if (soup_message_headers_get_encoding (headers) != SOUP_ENCODING_UNRECOGNIZED)
    return 0;
  return soup_message_headers_get_list (headers, "Transfer-Encoding") ? SOUP_STATUS_NOT_IMPLEMENTED
                                                                      : SOUP_STATUS_BAD_REQUEST;
}

/* Collects a request's bytes until its blank line, then checks them. */
static guint
conn_check_head (SrvConn    *conn,
                 const void *buffer,
                 gsize       n)
{
  gsize from = conn->head->len > 3 ? conn->head->len - 3 : 0;
  const char *data, *blank = NULL;

  g_byte_array_append (conn->head, buffer, (guint) n);
  data = (const char *) conn->head->data;
  for (gsize i = from; i + 1 < conn->head->len && blank == NULL; i++)
    if (data[i] == '\n' && (data[i + 1] == '\n' || (data[i + 1] == '\r' && i + 2 < conn->head->len &&
                                                   data[i + 2] == '\n')))
      blank = data + i + 1;
  if (blank == NULL)
    return 0;
  conn->head_checked = TRUE;
  return framing_refusal (data, (gsize) (blank - data));
}

static gssize
conn_stall_and_refuse (SrvConn *conn,
                       guint    status,
                       GError **error)
{
  conn->stalled = TRUE;
  conn->refuse_status = status;
  conn_schedule (conn, PENDING_REFUSE);
  return would_block (error);
}

/* Every read libsoup makes: @n bytes into @buffer, or an error. */
static gssize
conn_input (SrvConn    *conn,
            const void *buffer,
            gssize      n,
            GError    **error)
{
  guint status;

  if (conn == NULL)
    return n;
  if (n > 0)
    {
      switch (conn->state)
        {
        case CONN_IDLE:
          conn_enter_headers (conn);
          G_GNUC_FALLTHROUGH;
        case CONN_HEADERS:
          conn->header_bytes += (gsize) n;
          if (conn->header_bytes > SRV_HEADER_LIMIT)
            return conn_stall_and_refuse (conn, SRV_STATUS_HEADERS_TOO_LARGE, error);
          if (!conn->head_checked && (status = conn_check_head (conn, buffer, (gsize) n)))
            return conn_stall_and_refuse (conn, status, error);
          break;
        case CONN_REQUEST:
          conn->activity = g_get_monotonic_time ();
          break;
        default:
          break;
        }
      return n;
    }
  if (conn->state == CONN_IDLE && (n == 0 || !is_would_block (*error)))
    {
      /* The peer closed (or broke) the connection between two requests.
       * libsoup 3.2 would end its waiting message here and never close the
       * connection; keep the EOF from it and close from the main loop. */
      g_clear_error (error);
      conn->stalled = TRUE;
      conn_schedule (conn, PENDING_CLOSE);
      return would_block (error);
    }
  return n;
}

/* libsoup answers a request it refused while parsing its headers (bad
 * framing, an unknown Transfer-Encoding, a bad request line) with a status
 * and no body, and then closes: send our JSON error instead. */
static gssize
conn_answer_unparsed (SrvConn       *conn,
                      GOutputStream *base,
                      const void    *buffer,
                      gsize          count,
                      gboolean       blocking,
                      GError       **error)
{
  SrvConns *conns = conn->conns;
  g_autofree char *head = g_strndup (buffer, MIN (count, 32));
  g_autofree char *json = NULL;
  g_autofree char *text = NULL;
  const char *space = strchr (head, ' ');
  char digits[4] = { 0 };
  guint64 status = 0;

  if (conn->answered)
    return (gssize) count;   /* the rest of libsoup's answer */
  conn->answered = TRUE;
  if (space)
    memcpy (digits, space + 1, MIN (strlen (space + 1), 3));
  if (!g_ascii_string_to_unsigned (digits, 10, 400, 599, &status, NULL))
    status = SOUP_STATUS_BAD_REQUEST;
  json = conns->options.error_json ((guint) status, conns->options.user_data);
  text = g_strdup_printf ("HTTP/1.1 %u %s\r\nConnection: close\r\nContent-Type: application/json\r\n"
                          "Content-Length: %zu\r\n\r\n%s",
                          (guint) status, status_phrase ((guint) status), strlen (json), json);
  /* Best effort: a short answer on a connection about to close. */
  if (blocking)
    g_output_stream_write_all (base, text, strlen (text), NULL, NULL, NULL);
  else
    g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (base), text, strlen (text), NULL, NULL);
  return (gssize) count;
}

static gssize
conn_output (SrvConn       *conn,
             GOutputStream *base,
             const void    *buffer,
             gsize          count,
             gboolean       blocking,
             GError       **error)
{
  gssize n;

  if (conn->state == CONN_HEADERS && conn->conns->options.error_json)
    return conn_answer_unparsed (conn, base, buffer, count, blocking, error);
  if (blocking)
    n = g_output_stream_write (base, buffer, count, NULL, error);
  else
    n = g_pollable_output_stream_write_nonblocking (G_POLLABLE_OUTPUT_STREAM (base), buffer, count, NULL, error);
  if (n > 0 && conn->state == CONN_REQUEST)
    conn->activity = g_get_monotonic_time ();
  return n;
}

/* Frees the record; the streams are closed or never were handed on. */
static void
conn_closed (SrvConn *conn)
{
  SrvConns *conns = conn->conns;

  g_hash_table_remove (conns->conns, conn->remote);
  conns->stats.open--;
  g_cancellable_cancel (conn->cancellable);
  if (conn->linger)
    g_source_destroy (conn->linger);
  g_clear_pointer (&conn->linger, g_source_unref);
  g_source_destroy (conn->timer);
  g_clear_pointer (&conn->timer, g_source_unref);
  g_clear_object (&conn->msg);
  g_clear_object (&conn->stream);
  g_clear_object (&conn->cancellable);
  g_clear_object (&conn->base);
  g_clear_object (&conn->socket);
  g_clear_object (&conn->local);
  g_clear_object (&conn->remote);
  g_clear_pointer (&conn->answer, g_bytes_unref);
  g_clear_pointer (&conn->head, g_byte_array_unref);
  g_assert (conn->stolen == NULL);
  conn_uncount (conn);   /* may call drained: last */
  g_free (conn);
}

/* Closes the stream we took back (or the base stream, if libsoup never had
 * it), which ends the record. @conn is gone afterwards. */
static void
conn_finish (SrvConn *conn)
{
  g_autoptr(GIOStream) stolen = g_steal_pointer (&conn->stolen);

  if (stolen)
    g_io_stream_close (stolen, NULL, NULL);   /* → srv_conn_stream_close → conn_closed */
  else
    {
      g_io_stream_close (conn->base, NULL, NULL);
      conn_closed (conn);
    }
}

/* Takes the connection back from libsoup, which forgets it: safe whenever
 * libsoup's message I/O waits on the connection (not from inside a read
 * or write it makes). */
static void
conn_take_back (SrvConn *conn)
{
  g_autoptr(SoupServerMessage) msg = g_steal_pointer (&conn->msg);

  g_assert (msg != NULL);
  conn->stalled = TRUE;
  conn->state = CONN_CLOSING;
  conn_disarm (conn);
  conn_uncount (conn);
  conn->stolen = soup_server_message_steal_connection (msg);
  if (conn->stolen == NULL)
    conn->stolen = g_object_ref (G_IO_STREAM (conn->stream));
}

/* Closes a connection, whatever its state. @conn is gone afterwards unless
 * it is a WebSocket (closed by its SoupWebsocketConnection) or in its TLS
 * handshake: that runs in a thread of glib-networking's, and closing the
 * TLS connection would wait for it; shutting the socket down makes it fail
 * at once, and handshake_done closes (the descriptor stays open until
 * then, so no other connection can get its number meanwhile). */
static void
conn_close (SrvConn *conn)
{
  switch (conn->state)
    {
    case CONN_HANDSHAKE:
      g_socket_shutdown (conn->socket, TRUE, TRUE, NULL);
      break;
    case CONN_HEADERS:
    case CONN_REQUEST:
    case CONN_IDLE:
      conn_take_back (conn);
      conn_finish (conn);
      break;
    case CONN_CLOSING:
      conn_finish (conn);
      break;
    case CONN_WEBSOCKET:
      break;
    }
}

static gboolean
linger_ready (GSocket     *socket,
              GIOCondition condition,
              gpointer     user_data)
{
  SrvConn *conn = user_data;
  char buf[16384];

  for (;;)
    {
      g_autoptr(GError) error = NULL;
      gssize n = g_socket_receive_with_blocking (socket, buf, sizeof buf, FALSE, NULL, &error);

      if (n < 0 && is_would_block (error))
        return G_SOURCE_CONTINUE;
      conn->lingered += n > 0 ? (gsize) n : 0;
      if (n <= 0 || conn->lingered > LINGER_BYTES)
        break;
    }
  g_clear_pointer (&conn->linger, g_source_unref);
  conn_finish (conn);
  return G_SOURCE_REMOVE;
}

static void
answer_written (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  SrvConn *conn = user_data;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, &error) &&
      g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;   /* the record is gone */
  if (error)
    {
      conn_finish (conn);
      return;
    }
  /* FIN after the answer; then read what the client still sends for a
   * moment, since closing with unread data would reset the connection and
   * could destroy the answer before the client reads it. */
  g_socket_shutdown (conn->socket, FALSE, TRUE, NULL);
  conn->linger = g_socket_create_source (conn->socket, G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
  g_source_set_callback (conn->linger, G_SOURCE_FUNC (linger_ready), conn, NULL);
  g_source_attach (conn->linger, g_main_context_get_thread_default ());
}

/* Answers @status with @json (taken; NULL: no answer) and closes, without
 * reading further. */
static void
conn_refuse (SrvConn *conn,
             guint    status,
             char    *json)
{
  g_autofree char *body = json;
  char *text;
  gsize size;

  if (conn->state != CONN_CLOSING)
    conn_take_back (conn);
  if (body == NULL)
    {
      conn_finish (conn);
      return;
    }
  text = g_strdup_printf ("HTTP/1.1 %u %s\r\nConnection: close\r\nContent-Type: application/json\r\n"
                          "Content-Length: %zu\r\n\r\n%s",
                          status, status_phrase (status), strlen (body), body);
  size = strlen (text);
  conn->answer = g_bytes_new_take (text, size);
  conn_arm (conn, LINGER_SECONDS);
  g_output_stream_write_all_async (g_io_stream_get_output_stream (conn->base), text, size,
                                   G_PRIORITY_DEFAULT, conn->cancellable, answer_written, conn);
}

static char *
conn_error_json (SrvConn *conn,
                 guint    status)
{
  SrvConns *conns = conn->conns;

  return conns->options.error_json ? conns->options.error_json (status, conns->options.user_data) : NULL;
}

static gboolean
conn_timer (gpointer user_data)
{
  SrvConn *conn = user_data;
  SrvConns *conns = conn->conns;
  ConnPending pending = conn->pending;
  gint64 now = g_get_monotonic_time ();
  gint64 idle = (gint64) conns->options.idle_timeout * G_USEC_PER_SEC;

  if (pending == PENDING_NONE && (conn->deadline < 0 || now < conn->deadline))
    {
      /* early: the deadline moved on since the timer was set */
      g_source_set_ready_time (conn->timer, conn->deadline);
      return G_SOURCE_CONTINUE;
    }
  g_source_set_ready_time (conn->timer, -1);
  conn->deadline = -1;
  conn->pending = PENDING_NONE;
  if (pending == PENDING_CLOSE)
    {
      conn_close (conn);
      return G_SOURCE_CONTINUE;
    }
  if (pending == PENDING_REFUSE)
    {
      conn_refuse (conn, conn->refuse_status, conn_error_json (conn, conn->refuse_status));
      return G_SOURCE_CONTINUE;
    }
  switch (conn->state)
    {
    case CONN_REQUEST:
      if (conn->held)
        conn->activity = now;
      if (now - conn->activity < idle)
        {
          conn_set_deadline (conn, conn->activity + idle);
          break;
        }
      conns->stats.timeouts++;
      conn_close (conn);
      break;
    case CONN_HEADERS:
      conns->stats.timeouts++;
      if (conn->header_bytes > 0)
        conn_refuse (conn, SOUP_STATUS_REQUEST_TIMEOUT, conn_error_json (conn, SOUP_STATUS_REQUEST_TIMEOUT));
      else
        conn_close (conn);
      break;
    case CONN_HANDSHAKE:
    case CONN_IDLE:
      conns->stats.timeouts++;
      conn_close (conn);
      break;
    case CONN_CLOSING:
      conn_finish (conn);
      break;
    case CONN_WEBSOCKET:
      break;
    }
  return G_SOURCE_CONTINUE;
}

static gboolean
timer_dispatch (GSource    *source,
                GSourceFunc callback,
                gpointer    user_data)
{
  return callback (user_data);
}

static GSourceFuncs timer_funcs = { NULL, NULL, timer_dispatch, NULL, NULL, NULL };

static SrvConn *
conn_for_msg (SrvConns          *conns,
              SoupServerMessage *msg)
{
  return g_hash_table_lookup (conns->conns, soup_server_message_get_remote_address (msg));
}

/* Gives the connection to libsoup. @conn may be gone afterwards. */
static void
conn_hand_over (SrvConn *conn)
{
  g_autoptr(SrvConnStream) stream = srv_conn_stream_new (conn);
  SoupServer *soup = conn->conns->soup;

  conn->stream = g_object_ref (stream);
  conn_enter_headers (conn);
  /* Emits request-started (conn->msg) at once. */
  soup_server_accept_iostream (soup, G_IO_STREAM (stream), conn->local, conn->remote, NULL);
}

static void
handshake_done (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;
  SrvConn *conn = user_data;

  if (!g_tls_connection_handshake_finish (G_TLS_CONNECTION (source), result, &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;   /* the record is gone */
      g_debug ("TLS handshake failed: %s", error->message);
      conn_finish (conn);
      return;
    }
  conn_hand_over (conn);
}

static void
conn_accept (SrvConns *conns,
             GSocket  *socket)
{
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (socket, NULL);
  g_autoptr(GSocketAddress) remote = g_socket_get_remote_address (socket, NULL);
  g_autoptr(GIOStream) base = NULL;
  g_autoptr(GError) error = NULL;
  SrvConn *conn;

  if (local == NULL || remote == NULL)
    return;   /* already gone */
  g_socket_set_option (socket, IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  base = G_IO_STREAM (g_socket_connection_factory_create_connection (socket));
  if (conns->options.tls_certificate)
    {
      static const char *const protocols[] = { "http/1.1", "http/1.0", NULL };
      /* As libsoup does: "database" NULL at construction (no client
       * certificates), or each connection loads the system's CA bundle
       * (twice, ~40 ms of CPU). */
      GIOStream *tls = g_initable_new (g_tls_backend_get_server_connection_type (g_tls_backend_get_default ()),
                                       NULL, &error,
                                       "base-io-stream", base,
                                       "certificate", conns->options.tls_certificate,
                                       "database", NULL,
                                       "require-close-notify", FALSE,
                                       "advertised-protocols", protocols,
                                       NULL);

      if (tls == NULL)
        {
          g_warning ("TLS: %s", error->message);
          return;
        }
      g_object_unref (base);
      base = tls;
    }

  conn = g_new0 (SrvConn, 1);
  conn->conns = conns;
  conn->socket = g_object_ref (socket);
  conn->base = g_steal_pointer (&base);
  conn->local = g_steal_pointer (&local);
  conn->remote = g_steal_pointer (&remote);
  conn->cancellable = g_cancellable_new ();
  conn->head = g_byte_array_new ();
  conn->timer = g_source_new (&timer_funcs, sizeof (GSource));
  g_source_set_callback (conn->timer, conn_timer, conn, NULL);
  g_source_set_ready_time (conn->timer, -1);
  conn->deadline = -1;
  g_source_attach (conn->timer, g_main_context_get_thread_default ());
  g_hash_table_insert (conns->conns, conn->remote, conn);
  conns->stats.accepted++;
  conns->stats.open++;

  if (G_IS_TLS_CONNECTION (conn->base))
    {
      conn->state = CONN_HANDSHAKE;
      conn_arm (conn, conns->options.header_timeout);
      g_tls_connection_handshake_async (G_TLS_CONNECTION (conn->base), G_PRIORITY_DEFAULT, conn->cancellable,
                                        handshake_done, conn);
      return;
    }
  conn_hand_over (conn);
}

/* libsoup's signals ---------------------------------------------------------------- */

static void
msg_got_headers (SoupServerMessage *msg,
                 gpointer           user_data)
{
  SrvConns *conns = user_data;
  SrvConn *conn = conn_for_msg (conns, msg);

  if (conn == NULL || conn->state == CONN_CLOSING)
    return;
  conn->state = CONN_REQUEST;
  conn->held = FALSE;
  conn->activity = g_get_monotonic_time ();
  conn_arm (conn, conns->options.idle_timeout);
  if (!conn->counted)
    {
      conn->counted = TRUE;
      conns->in_flight++;
    }
  if (conns->options.got_headers)
    conns->options.got_headers (conns, msg, conns->options.user_data);
}

/* A connection's first message starts when it is accepted; a kept-alive
 * connection's next one when its first bytes arrive. */
static void
request_started (SoupServer        *soup,
                 SoupServerMessage *msg,
                 gpointer           user_data)
{
  SrvConns *conns = user_data;
  SrvConn *conn = conn_for_msg (conns, msg);

  if (conn == NULL)
    return;
  g_set_object (&conn->msg, msg);
  if (conn->state == CONN_IDLE)
    conn_enter_headers (conn);   /* a request read ahead with the last one */
  g_signal_connect (msg, "got-headers", G_CALLBACK (msg_got_headers), conns);
}

/* The answer is written. If libsoup keeps the connection it waits for the
 * next request (CONN_IDLE); if not, it closes our stream right after. */
static void
request_done (SoupServer        *soup,
              SoupServerMessage *msg,
              gpointer           user_data)
{
  SrvConns *conns = user_data;
  SrvConn *conn = conn_for_msg (conns, msg);

  if (conn == NULL || conn->msg != msg || conn->state == CONN_CLOSING || conn->state == CONN_WEBSOCKET)
    return;
  conn->state = CONN_IDLE;
  conn_arm (conn, conns->options.idle_timeout);
  conn_uncount (conn);
}

void
srv_conns_hold (SrvConns          *conns,
                SoupServerMessage *msg,
                gboolean           held)
{
  SrvConn *conn = conn_for_msg (conns, msg);

  if (conn == NULL || conn->msg != msg)
    return;
  conn->held = held;
  conn->activity = g_get_monotonic_time ();
}

void
srv_conns_upgraded (SrvConns          *conns,
                    SoupServerMessage *msg)
{
  SrvConn *conn;

  g_return_if_fail (conns != NULL);
  conn = conn_for_msg (conns, msg);
  if (conn == NULL)
    return;
  conn->state = CONN_WEBSOCKET;
  conn_disarm (conn);
  g_clear_object (&conn->msg);
  conn_uncount (conn);
}

void
srv_conns_refuse (SrvConns          *conns,
                  SoupServerMessage *msg,
                  guint              status,
                  const char        *json)
{
  SrvConn *conn;

  g_return_if_fail (conns != NULL);
  conn = conn_for_msg (conns, msg);
  if (conn == NULL || conn->state != CONN_REQUEST)
    {
      soup_server_message_set_status (msg, status, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, json, strlen (json));
      return;
    }
  conn_refuse (conn, status, g_strdup (json));
}

/* The listening socket -------------------------------------------------------------- */

static gboolean on_accept_ready (GSocket     *socket,
                                 GIOCondition condition,
                                 gpointer     user_data);

static void
watch_accept (SrvConns *conns)
{
  conns->accept_source = g_socket_create_source (conns->socket, G_IO_IN, NULL);
  g_source_set_callback (conns->accept_source, G_SOURCE_FUNC (on_accept_ready), conns, NULL);
  g_source_attach (conns->accept_source, g_main_context_get_thread_default ());
}

static gboolean
resume_accept (gpointer user_data)
{
  SrvConns *conns = user_data;

  conns->resume_id = 0;
  watch_accept (conns);
  return G_SOURCE_REMOVE;
}

static gboolean
on_accept_ready (GSocket     *listen_socket,
                 GIOCondition condition,
                 gpointer     user_data)
{
  SrvConns *conns = user_data;

  for (guint i = 0; i < ACCEPT_BATCH; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSocket) socket = g_socket_accept (listen_socket, NULL, &error);

      if (socket == NULL)
        {
          if (is_would_block (error))
            return G_SOURCE_CONTINUE;
          conns->stats.accept_failures++;
          if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CONNECTION_CLOSED))
            continue;   /* aborted by the client before we got it */
          /* Out of descriptors (or memory): stop watching, or the listening
           * socket stays readable and this spins; try again shortly. */
          if (!conns->at_limit)
            {
              if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TOO_MANY_OPEN_FILES))
                g_warning ("hit the open-file limit (%s) with %u connections open; accepting again "
                           "as descriptors free up", error->message, conns->stats.open);
              else
                g_warning ("accept failed (%s); trying again shortly", error->message);
            }
          conns->at_limit = TRUE;
          conns->failures_at_limit++;
          g_clear_pointer (&conns->accept_source, g_source_unref);
          conns->resume_id = g_timeout_add (ACCEPT_PAUSE_MS, resume_accept, conns);
          return G_SOURCE_REMOVE;
        }
      if (conns->at_limit)
        {
          g_message ("accepting again, after %" G_GUINT64_FORMAT " failed attempts", conns->failures_at_limit);
          conns->at_limit = FALSE;
          conns->failures_at_limit = 0;
        }
      conn_accept (conns, socket);
    }
  return G_SOURCE_CONTINUE;
}

SrvConns *
srv_conns_new (SoupServer            *soup,
               GSocketAddress        *address,
               const SrvConnsOptions *options,
               GError               **error)
{
  SrvConns *conns = g_new0 (SrvConns, 1);
  int pair[2];

  conns->soup = g_object_ref (soup);
  conns->options = *options;
  if (conns->options.tls_certificate)
    g_object_ref (conns->options.tls_certificate);
  if (conns->options.idle_timeout == 0)
    conns->options.idle_timeout = SRV_DEFAULT_IDLE_TIMEOUT;
  if (conns->options.header_timeout == 0)
    conns->options.header_timeout = SRV_DEFAULT_HEADER_TIMEOUT;
  conns->conns = g_hash_table_new (g_direct_hash, g_direct_equal);

  conns->socket = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                                G_SOCKET_PROTOCOL_TCP, error);
  if (conns->socket == NULL)
    goto fail;
  g_socket_set_blocking (conns->socket, FALSE);
  g_socket_set_listen_backlog (conns->socket, SRV_LISTEN_BACKLOG);
  if (!g_socket_bind (conns->socket, address, TRUE, error) || !g_socket_listen (conns->socket, error))
    goto fail;

  if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "socketpair: %s", g_strerror (errno));
      goto fail;
    }
  conns->keepalive[0] = g_socket_new_from_fd (pair[0], NULL);
  conns->keepalive[1] = g_socket_new_from_fd (pair[1], NULL);
  if (conns->keepalive[0] == NULL || conns->keepalive[1] == NULL ||
      !soup_server_listen_socket (soup, conns->keepalive[0], 0, error))
    goto fail;

  g_signal_connect (soup, "request-started", G_CALLBACK (request_started), conns);
  g_signal_connect (soup, "request-finished", G_CALLBACK (request_done), conns);
  g_signal_connect (soup, "request-aborted", G_CALLBACK (request_done), conns);
  watch_accept (conns);
  return conns;

fail:
  srv_conns_free (conns);
  return NULL;
}

char *
srv_conns_dup_url (SrvConns *conns)
{
  g_autoptr(GSocketAddress) local = g_socket_get_local_address (conns->socket, NULL);
  GInetSocketAddress *inet = G_INET_SOCKET_ADDRESS (local);
  GInetAddress *addr = g_inet_socket_address_get_address (inet);
  g_autofree char *host = g_inet_address_to_string (addr);
  gboolean v6 = g_inet_address_get_family (addr) == G_SOCKET_FAMILY_IPV6;

  return g_strdup_printf ("%s://%s%s%s:%u/", conns->options.tls_certificate ? "https" : "http",
                          v6 ? "[" : "", host, v6 ? "]" : "", g_inet_socket_address_get_port (inet));
}

void
srv_conns_stop_accepting (SrvConns *conns)
{
  g_autoptr(GPtrArray) idle = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer value;

  g_return_if_fail (conns != NULL);
  if (conns->accept_source)
    g_source_destroy (conns->accept_source);
  g_clear_pointer (&conns->accept_source, g_source_unref);
  g_clear_handle_id (&conns->resume_id, g_source_remove);
  if (conns->socket)
    g_socket_close (conns->socket, NULL);

  g_hash_table_iter_init (&iter, conns->conns);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      SrvConn *conn = value;

      if (conn->state == CONN_IDLE || conn->state == CONN_HANDSHAKE ||
          (conn->state == CONN_HEADERS && conn->header_bytes == 0))
        g_ptr_array_add (idle, conn);
    }
  for (guint i = 0; i < idle->len; i++)
    conn_close (g_ptr_array_index (idle, i));
}

guint
srv_conns_in_flight (SrvConns *conns)
{
  return conns->in_flight;
}

const SrvConnsStats *
srv_conns_get_stats (SrvConns *conns)
{
  return &conns->stats;
}

/* After soup_server_disconnect(), which closed every connection libsoup had. */
void
srv_conns_free (SrvConns *conns)
{
  g_autoptr(GList) rest = NULL;

  if (conns == NULL)
    return;
  g_signal_handlers_disconnect_by_data (conns->soup, conns);
  rest = g_hash_table_get_values (conns->conns);
  for (GList *l = rest; l; l = l->next)
    {
      SrvConn *conn = l->data;

      if (conn->state == CONN_HANDSHAKE)
        {
          /* its callback will not run any more: cancelled, it would not
           * touch the record */
          g_socket_shutdown (conn->socket, TRUE, TRUE, NULL);
          conn_closed (conn);
        }
      else if (conn->state == CONN_CLOSING || conn->stream == NULL)
        conn_finish (conn);
      else
        {
          /* Still held by a WebSocket: forget the record. */
          conn->stream->conn = NULL;
          conn->stream->input->conn = NULL;
          conn->stream->output->conn = NULL;
          conn_closed (conn);
        }
    }
  if (conns->accept_source)
    g_source_destroy (conns->accept_source);
  g_clear_pointer (&conns->accept_source, g_source_unref);
  g_clear_handle_id (&conns->resume_id, g_source_remove);
  g_clear_object (&conns->socket);
  g_clear_object (&conns->keepalive[0]);
  g_clear_object (&conns->keepalive[1]);
  g_clear_object (&conns->options.tls_certificate);
  g_clear_pointer (&conns->conns, g_hash_table_unref);
  g_clear_object (&conns->soup);
  g_free (conns);
}
