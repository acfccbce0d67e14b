/* The connections of the real mendian-server, from raw sockets on loopback:
 * thousands of connect-request-close cycles leave its descriptors and
 * memory where they were; it accepts again after running out of
 * descriptors; idle and header timeouts; WebSocket pings; requests refused
 * at their headers (413 without reading the body, 411, 431, two
 * Authorization headers, a WebSocket without a token) and libsoup's own
 * refusals, all with a JSON error. No pass/fail depends on a duration:
 * every wait is for an event, bounded generously. */
#define _GNU_SOURCE   /* strcasestr */
#include <errno.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "mdn-json.h"
#include "mdn-test-server.h"

#define WAIT_SECONDS 60   /* bound of every wait for an event */

/* The server process, with its standard error collected ------------------------------ */

typedef struct
{
  MdnTestServer *s;
  const char    *token;     /* branch B01 */
  GThread       *reader;
  GInputStream  *err;       /* its standard error (the reader's reference) */
  GMutex         lock;
  GString       *log;       /* its standard error so far */
  int            nofile;    /* RLIMIT_NOFILE soft | hard << 16 for the child, 0: inherited */
} Server;

static void
child_setup (gpointer user_data)
{
  int nofile = GPOINTER_TO_INT (user_data);

  prctl (PR_SET_PDEATHSIG, SIGKILL);
  if (nofile > 0)
    {
      struct rlimit rl = { (rlim_t) (nofile & 0xffff), (rlim_t) (nofile >> 16) };

      setrlimit (RLIMIT_NOFILE, &rl);
    }
}

static gpointer
read_log (gpointer user_data)
{
  Server *srv = user_data;
  char buf[4096];
  gssize n;

  while ((n = g_input_stream_read (srv->err, buf, sizeof buf, NULL, NULL)) > 0)
    {
      g_mutex_lock (&srv->lock);
      g_string_append_len (srv->log, buf, n);
      g_mutex_unlock (&srv->lock);
    }
  return NULL;
}

static gboolean
log_has (Server     *srv,
         const char *text)
{
  gboolean found;

  g_mutex_lock (&srv->lock);
  found = strstr (srv->log->str, text) != NULL;
  g_mutex_unlock (&srv->lock);
  return found;
}

/* Waits until the server's log says @text. */
static void
wait_log (Server     *srv,
          const char *text)
{
  gint64 end = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  while (!log_has (srv, text) && g_get_monotonic_time () < end)
    g_usleep (20 * G_TIME_SPAN_MILLISECOND);
  if (!log_has (srv, text))
    g_error ("the server never logged “%s”; its log:\n%s", text, srv->log->str);
}

/* serve --listen 127.0.0.1:0 @extra... (NULL-terminated), with @env added
 * to its environment if not NULL. */
static Server *
server_start (const char *name,
              int         nofile,
              const char *env,
              ...)
{
  Server *srv = g_new0 (Server, 1);
  g_autoptr(GSubprocessLauncher) launcher =
    g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *line = NULL;
  const char *arg;
  va_list ap;

  srv->s = mdn_test_server_init (name);
  mdn_test_server_add_hq_token (srv->s);
  srv->token = mdn_test_server_add_branch (srv->s, "B01", 1, FALSE);
  srv->nofile = nofile;
  srv->log = g_string_new (NULL);
  g_mutex_init (&srv->lock);

  g_ptr_array_add (argv, (char *) mdn_test_server_binary ());
  g_ptr_array_add (argv, (char *) "--db");
  g_ptr_array_add (argv, srv->s->db);
  g_ptr_array_add (argv, (char *) "serve");
  g_ptr_array_add (argv, (char *) "--listen");
  g_ptr_array_add (argv, (char *) "127.0.0.1:0");
  va_start (ap, env);
  while ((arg = va_arg (ap, const char *)))
    g_ptr_array_add (argv, (char *) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  if (env)
    {
      g_auto(GStrv) kv = g_strsplit (env, "=", 2);

      g_subprocess_launcher_setenv (launcher, kv[0], kv[1], TRUE);
    }
  g_subprocess_launcher_set_child_setup (launcher, child_setup, GINT_TO_POINTER (nofile), NULL);
  srv->s->proc = g_subprocess_launcher_spawnv (launcher, (const char *const *) argv->pdata, &error);
  g_assert_no_error (error);
  srv->err = g_object_ref (g_subprocess_get_stderr_pipe (srv->s->proc));
  srv->reader = g_thread_new ("server-log", read_log, srv);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (srv->s->proc));
  line = g_data_input_stream_read_line_utf8 (out, NULL, NULL, &error);
  g_assert_no_error (error);
  if (line == NULL)
    g_error ("the server did not start; its log:\n%s", srv->log->str);
  g_assert_true (g_str_has_prefix (line, "listening on http"));
  srv->s->url = g_strdup (line + strlen ("listening on "));
  srv->s->port = (guint16) atoi (strrchr (srv->s->url, ':') + 1);
  return srv;
}

/* SIGTERM: the exit status (0 for a clean stop; under AddressSanitizer a
 * leak found at exit makes it fail). */
static int
server_stop (Server *srv)
{
  int status = mdn_test_server_stop (srv->s, SIGTERM);

  g_thread_join (g_steal_pointer (&srv->reader));   /* the whole log */
  if (status != 0)
    g_printerr ("mendian-server exited with %d; its log:\n%s\n", status, srv->log->str);
  return status;
}

static void
server_free (Server *srv)
{
  mdn_test_server_free (srv->s);   /* kills it if still running: the log pipe closes */
  if (srv->reader)
    g_thread_join (srv->reader);
  g_clear_object (&srv->err);
  g_string_free (srv->log, TRUE);
  g_mutex_clear (&srv->lock);
  g_free (srv);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Server, server_free)

static char *
proc_path (Server     *srv,
           const char *what)
{
  return g_strdup_printf ("/proc/%s/%s", g_subprocess_get_identifier (srv->s->proc), what);
}

/* The server's open descriptors (only its sockets if @sockets). */
static guint
open_fds (Server  *srv,
          gboolean sockets)
{
  g_autofree char *path = proc_path (srv, "fd");
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;
  guint n = 0;

  g_assert_nonnull (dir);
  while ((name = g_dir_read_name (dir)))
    {
      g_autofree char *fd = g_build_filename (path, name, NULL);
      g_autofree char *target = sockets ? g_file_read_link (fd, NULL) : NULL;

      if (!sockets || (target && g_str_has_prefix (target, "socket:")))
        n++;
    }
  return n;
}

/* Waits until the server has @n descriptors (or sockets) open: closing a
 * connection the client closed takes it a moment. Its count then. */
static guint
wait_fds (Server  *srv,
          gboolean sockets,
          guint    n)
{
  gint64 end = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;

  while (open_fds (srv, sockets) != n && g_get_monotonic_time () < end)
    g_usleep (20 * G_TIME_SPAN_MILLISECOND);
  return open_fds (srv, sockets);
}

/* The server's resident memory, in KiB. */
static guint64
rss_kib (Server *srv)
{
  g_autofree char *path = proc_path (srv, "status");
  g_autofree char *text = NULL;
  const char *line;

  g_assert_true (g_file_get_contents (path, &text, NULL, NULL));
  line = strstr (text, "VmRSS:");
  g_assert_nonnull (line);
  return g_ascii_strtoull (line + strlen ("VmRSS:"), NULL, 10);
}

static guint64
metric (Server     *srv,
        const char *name)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (srv->s->url, "metrics", NULL);
  g_autofree char *auth = g_strconcat ("Bearer ", srv->s->hq_token, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_autofree char *key = g_strconcat ("\n", name, " ", NULL);
  const char *at;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  /* closed by the server as soon as it answered: the next request sees
   * this connection gone */
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Connection", "close");
  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (soup_message_get_status (msg), ==, 200);
  text = g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
  at = strstr (text, key);
  if (at == NULL)
    g_error ("no %s in /metrics:\n%s", name, text);
  return g_ascii_strtoull (at + strlen (key), NULL, 10);
}

/* Raw HTTP ------------------------------------------------------------------------- */

/* A blocking TCP connection to the server; reads give up after
 * WAIT_SECONDS. */
static int
tcp_connect (Server *srv)
{
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (srv->s->port) };
  struct timeval tv = { WAIT_SECONDS, 0 };
  int one = 1;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

  g_assert_cmpint (fd, >=, 0);
  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  g_assert_cmpint (connect (fd, (struct sockaddr *) &addr, sizeof addr), ==, 0);
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

static void
send_all (int         fd,
          const void *data,
          gsize       len)
{
  const char *p = data;

  while (len > 0)
    {
      ssize_t n = send (fd, p, len, MSG_NOSIGNAL);

      if (n < 0 && errno == EINTR)
        continue;
      g_assert_cmpint (n, >, 0);
      p += n;
      len -= (gsize) n;
    }
}

static void
send_text (int         fd,
           const char *text)
{
  send_all (fd, text, strlen (text));
}

typedef struct
{
  guint       status;
  char       *head;   /* status line and headers */
  char       *body;
} Reply;

static void
reply_clear (Reply *r)
{
  g_clear_pointer (&r->head, g_free);
  g_clear_pointer (&r->body, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Reply, reply_clear)

typedef gssize (*ReadFunc) (gpointer source,
                           char    *buf,
                           gsize    size);

static gssize
read_fd (gpointer source,
         char    *buf,
         gsize    size)
{
  for (;;)
    {
      ssize_t n = recv (GPOINTER_TO_INT (source), buf, size, 0);

      if (n >= 0 || errno != EINTR)
        return n;
    }
}

static gssize
read_stream (gpointer source,
             char    *buf,
             gsize    size)
{
  return g_input_stream_read (source, buf, size, NULL, NULL);
}

/* Reads one response (headers and a Content-Length body) with @read. */
static void
read_reply_with (ReadFunc read,
                 gpointer source,
                 Reply   *r)
{
  g_autoptr(GString) buf = g_string_new (NULL);
  gsize head = 0, want = 0;   /* offsets: the end of the headers, of the body */
  char chunk[8192];

  for (;;)
    {
      const char *end, *cl;
      ssize_t n;

      if (head == 0 && (end = strstr (buf->str, "\r\n\r\n")))
        {
          cl = strcasestr (buf->str, "\r\nContent-Length:");
          g_assert_true (cl != NULL && cl < end);
          head = (gsize) (end - buf->str);
          want = head + 4 + g_ascii_strtoull (cl + strlen ("\r\nContent-Length:"), NULL, 10);
        }
      if (head && buf->len >= want)
        break;
      n = read (source, chunk, sizeof chunk);
      if (n <= 0)
        g_error ("no complete answer (%s); got: %s", n == 0 ? "EOF" : g_strerror (errno), buf->str);
      g_string_append_len (buf, chunk, n);
    }
  g_assert_true (g_str_has_prefix (buf->str, "HTTP/1.1 "));
  r->status = (guint) g_ascii_strtoull (buf->str + strlen ("HTTP/1.1 "), NULL, 10);
  r->head = g_strndup (buf->str, head);
  r->body = g_strndup (buf->str + head + 4, want - head - 4);
}

static void
read_reply (int    fd,
            Reply *r)
{
  read_reply_with (read_fd, GINT_TO_POINTER (fd), r);
}

/* TRUE once the server closed the connection (any data before is dropped). */
static gboolean
reads_eof (int fd)
{
  char chunk[8192];

  for (;;)
    {
      ssize_t n = recv (fd, chunk, sizeof chunk, 0);

      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return n == 0 || errno == ECONNRESET;
    }
}

/* The error code of a JSON error reply. */
static void
assert_json_error (const Reply *r,
                   guint        status,
                   const char  *code)
{
  g_autoptr(JsonObject) o = mdn_json_parse_object (r->body, NULL);

  if (r->status != status || o == NULL)
    g_error ("expected %u with a JSON error “%s”, got:\n%s\n\n%s", status, code, r->head, r->body);
  g_assert_true (strcasestr (r->head, "\r\nContent-Type: application/json") != NULL);
  g_assert_false (json_object_get_boolean_member (o, "ok"));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (o, "error"), "code"), ==, code);
}

/* One connect-request-close cycle: GET /api/v1/sync/state with @token,
 * kept alive or not. Kept alive, the client closes its side after the
 * answer (a FIN, what a branch does when its sync is over) and waits for
 * the server to close its own: one connection at a time, and a server that
 * left it in CLOSE-WAIT fails here. */
static void
cycle (Server  *srv,
       gboolean keep_alive)
{
  g_autofree char *request =
    g_strdup_printf ("GET /api/v1/sync/state HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n%s\r\n",
                     srv->token, keep_alive ? "" : "Connection: close\r\n");
  g_auto(Reply) r = { 0 };
  int fd = tcp_connect (srv);

  send_text (fd, request);
  read_reply (fd, &r);
  g_assert_cmpuint (r.status, ==, 200);
  if (keep_alive)
    shutdown (fd, SHUT_WR);
  g_assert_true (reads_eof (fd));
  close (fd);
}

/* Churn --------------------------------------------------------------------------- */

#define CYCLES 10000

/* The memory checks want the allocator's recycling, not AddressSanitizer's
 * quarantine of freed blocks (256 MB by default). */
#define ASAN_SMALL_QUARANTINE "ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:quarantine_size_mb=1"

/* @n cycles closed by the server, then @n kept alive and closed by the
 * client; afterwards the server is back at @idle descriptors. */
static void
churn (Server *srv,
       guint   n,
       guint   idle)
{
  for (guint i = 0; i < n; i++)
    cycle (srv, FALSE);
  g_assert_cmpuint (wait_fds (srv, FALSE, idle), ==, idle);
  /* Kept alive, the client closing between two requests: libsoup 3.2 alone
   * leaves each of these in CLOSE-WAIT for good. */
  for (guint i = 0; i < n; i++)
    cycle (srv, TRUE);
  g_assert_cmpuint (wait_fds (srv, FALSE, idle), ==, idle);
}

static void
test_churn (void)
{
  g_autoptr(Server) srv = server_start ("churn", 0, g_getenv ("ASAN_OPTIONS") ? ASAN_SMALL_QUARANTINE : NULL, NULL);
  guint sockets = open_fds (srv, TRUE);   /* listening: no connection yet */
  guint idle;
  guint64 rss0, rss1;

  /* Warm up: every lazy allocation and descriptor of a request made. */
  for (guint i = 0; i < 1000; i++)
    cycle (srv, i % 2);
  g_assert_cmpuint (wait_fds (srv, TRUE, sockets), ==, sockets);
  idle = open_fds (srv, FALSE);
  rss0 = rss_kib (srv);

  churn (srv, CYCLES, idle);
  rss1 = rss_kib (srv);

  /* Memory flat: libsoup's listener alone leaks 344 bytes a connection
   * (6.9 MB here), and 1.7 KB more for each one left in CLOSE-WAIT. */
  g_test_message ("descriptors %u; RSS %" G_GUINT64_FORMAT " KiB, after 2 x %u cycles %" G_GUINT64_FORMAT " KiB",
                  idle, rss0, CYCLES, rss1);
  g_assert_cmpuint (rss1, <, rss0 + 4 * 1024);
  g_assert_cmpuint (metric (srv, "mendian_connections_accepted_total"), >=, 2 * CYCLES);
  g_assert_cmpint (server_stop (srv), ==, 0);
}

/* Kept alive over TLS, the client closing (close_notify, then FIN) between
 * two requests; and closed by the server. */
static gboolean
accept_any (GTlsConnection       *conn,
            GTlsCertificate      *cert,
            GTlsCertificateFlags  errors,
            gpointer              user_data)
{
  return TRUE;
}

static void
tls_cycle (guint16     port,
           const char *token,
           gboolean    keep_alive)
{
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) tcp = NULL;
  g_autoptr(GIOStream) tls = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *request =
    g_strdup_printf ("GET /api/v1/sync/state HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n%s\r\n",
                     token, keep_alive ? "" : "Connection: close\r\n");
  g_auto(Reply) r = { 0 };
  char byte;

  tcp = g_socket_client_connect_to_host (client, "127.0.0.1", port, NULL, &error);
  g_assert_no_error (error);
  g_socket_set_timeout (g_socket_connection_get_socket (tcp), WAIT_SECONDS);
  g_socket_set_option (g_socket_connection_get_socket (tcp), IPPROTO_TCP, TCP_NODELAY, TRUE, NULL);
  /* Any certificate (accept_any): no database, which would otherwise be
   * loaded from the system's CA bundle for each connection. */
  tls = g_initable_new (g_tls_backend_get_client_connection_type (g_tls_backend_get_default ()), NULL, &error,
                        "base-io-stream", tcp, "database", NULL, NULL);
  g_assert_no_error (error);
  g_signal_connect (tls, "accept-certificate", G_CALLBACK (accept_any), NULL);
  g_assert_true (g_tls_connection_handshake (G_TLS_CONNECTION (tls), NULL, &error));
  g_assert_no_error (error);
  g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (tls), request, strlen (request),
                                            NULL, NULL, &error));
  read_reply_with (read_stream, g_io_stream_get_input_stream (tls), &r);
  g_assert_cmpuint (r.status, ==, 200);
  if (!keep_alive)
    g_assert_cmpint (g_input_stream_read (g_io_stream_get_input_stream (tls), &byte, 1, NULL, NULL), <=, 0);
  g_io_stream_close (tls, NULL, NULL);
}

/* test-connections --tls-client PORT TOKEN N: N TLS cycles, 1 of 3
 * closed by the server. A process of its own: under AddressSanitizer,
 * LeakSanitizer's tracer crashes at exit on the threads glib-networking's
 * handshakes leave behind (see test-tls.c), so this one skips the leak
 * check and the test process never does TLS. */
static int
tls_client (char **argv)
{
  guint16 port = (guint16) atoi (argv[2]);
  guint n = (guint) atoi (argv[4]);

  for (guint i = 0; i < n; i++)
    tls_cycle (port, argv[3], i % 3 != 0);
  return 0;
}

static void
run_tls_client (Server *srv,
                guint   n)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autofree char *port = g_strdup_printf ("%u", srv->s->port);
  g_autofree char *count = g_strdup_printf ("%u", n);
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  const char *asan = g_getenv ("ASAN_OPTIONS");
  g_autofree char *no_leaks = g_strconcat (asan ? asan : "", asan && *asan ? ":" : "", "detect_leaks=0", NULL);
  g_autoptr(GSubprocess) client = NULL;
  g_autoptr(GError) error = NULL;

  g_subprocess_launcher_setenv (launcher, "ASAN_OPTIONS", no_leaks, TRUE);
  g_subprocess_launcher_set_child_setup (launcher, child_setup, NULL, NULL);
  client = g_subprocess_launcher_spawn (launcher, &error, self, "--tls-client", port, srv->token, count, NULL);
  g_assert_no_error (error);
  g_assert_true (g_subprocess_wait_check (client, NULL, &error));
  g_assert_no_error (error);
}

static void
test_churn_tls (void)
{
  g_autofree char *cert = g_test_build_filename (G_TEST_DIST, "data", "test-server.crt", NULL);
  g_autofree char *key = g_test_build_filename (G_TEST_DIST, "data", "test-server.key", NULL);
  const char *asan = g_getenv ("ASAN_OPTIONS");
  /* As in test-tls.c: LeakSanitizer's tracer crashes at exit on
   * glib-networking's threads, so this server skips the leak check. */
  g_autofree char *env = asan ? g_strconcat ("ASAN_OPTIONS=", asan, ":detect_leaks=0", NULL) : NULL;
  g_autoptr(Server) srv = server_start ("churn-tls", 0, env, "--tls-cert", cert, "--tls-key", key,
                                       "--header-timeout", "1", NULL);
  guint sockets = open_fds (srv, TRUE);
  guint idle;
  int silent;

  run_tls_client (srv, 20);
  g_assert_cmpuint (wait_fds (srv, TRUE, sockets), ==, sockets);
  idle = open_fds (srv, FALSE);
  run_tls_client (srv, 300);
  g_assert_cmpuint (wait_fds (srv, FALSE, idle), ==, idle);

  /* A client that never starts its handshake is dropped at the header
   * timeout (glib-networking's handshake has no timeout of its own). */
  silent = tcp_connect (srv);
  g_assert_true (reads_eof (silent));
  close (silent);
  g_assert_cmpuint (wait_fds (srv, FALSE, idle), ==, idle);
  g_assert_cmpint (server_stop (srv), ==, 0);
}

/* The descriptor limit ------------------------------------------------------------ */

static void
test_descriptor_limit (void)
{
  /* soft 32, hard 96: the server raises the soft limit to 96 and says so */
  g_autoptr(Server) srv = server_start ("limit", 32 | (96 << 16), NULL, "--header-timeout", "600", NULL);
  g_autoptr(GArray) fds = g_array_new (FALSE, FALSE, sizeof (int));

  wait_log (srv, "open-file limit: 96 descriptors");
  /* More connections than it has descriptors for: it accepts until it
   * runs out; the rest wait in the listen backlog. Held open (and sending
   * nothing, under a long header timeout), none is closed by the server. */
  for (guint i = 0; i < 150 && !log_has (srv, "hit the open-file limit"); i++)
    {
      int fd = tcp_connect (srv);

      g_array_append_val (fds, fd);
    }
  wait_log (srv, "hit the open-file limit");

  /* Released, it accepts again: a request now is answered (it waits in the
   * backlog until the server accepts it). */
  for (guint i = 0; i < fds->len; i++)
    close (g_array_index (fds, int, i));
  cycle (srv, FALSE);
  wait_log (srv, "accepting again");
  cycle (srv, TRUE);
  g_assert_cmpuint (metric (srv, "mendian_accept_failures_total"), >, 0);
  g_assert_cmpint (server_stop (srv), ==, 0);
}

/* Timeouts ------------------------------------------------------------------------ */

static void
test_idle_timeout (void)
{
  g_autoptr(Server) srv = server_start ("idle", 0, NULL, "--idle-timeout", "1", NULL);
  g_autofree char *request =
    g_strdup_printf ("GET /api/v1/sync/state HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n\r\n",
                     srv->token);
  g_auto(Reply) r = { 0 };
  g_auto(Reply) r2 = { 0 };
  int fd = tcp_connect (srv);

  /* Kept alive: a second request on the same connection is answered ... */
  send_text (fd, request);
  read_reply (fd, &r);
  g_assert_cmpuint (r.status, ==, 200);
  send_text (fd, request);
  read_reply (fd, &r2);
  g_assert_cmpuint (r2.status, ==, 200);
  /* ... and then, idle, the server closes it. */
  g_assert_true (reads_eof (fd));
  close (fd);
  g_assert_cmpuint (metric (srv, "mendian_connection_timeouts_total"), ==, 1);
  g_assert_cmpuint (metric (srv, "mendian_connections_open"), ==, 1);   /* the one asking */
  g_assert_cmpint (server_stop (srv), ==, 0);
}

static void
test_header_timeout (void)
{
  g_autoptr(Server) srv = server_start ("headers", 0, NULL, "--header-timeout", "1", NULL);
  g_auto(Reply) r = { 0 };
  int slow = tcp_connect (srv);
  int silent = tcp_connect (srv);

  /* Headers that never end: 408, then closed. */
  send_text (slow, "GET /api/v1/sync/state HTTP/1.1\r\nHost: 127.0.0.1\r\n");
  read_reply (slow, &r);
  assert_json_error (&r, 408, "timeout");
  g_assert_true (reads_eof (slow));
  /* Nothing at all: closed. */
  g_assert_true (reads_eof (silent));
  close (slow);
  close (silent);
  g_assert_cmpuint (metric (srv, "mendian_connection_timeouts_total"), ==, 2);
  g_assert_cmpint (server_stop (srv), ==, 0);
}

/* Refusals at the headers, and libsoup's own ------------------------------------------ */

/* Sends @request on a new connection; its answer in @r; whether the server
 * closed the connection after it. */
static gboolean
ask (Server     *srv,
     const char *request,
     Reply      *r)
{
  int fd = tcp_connect (srv);
  gboolean closed;

  send_text (fd, request);
  read_reply (fd, r);
  closed = strcasestr (r->head, "\r\nConnection: close") != NULL && reads_eof (fd);
  close (fd);
  return closed;
}

static void
test_too_large (void)
{
  g_autoptr(Server) srv = server_start ("too-large", 0, NULL, "--max-body", "1000000", NULL);
  g_autofree char *head =
    g_strdup_printf ("POST /api/v1/sync/push HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                     "Content-Type: application/json\r\nContent-Length: 9437184\r\n\r\n", srv->token);
  g_autofree char *part = g_malloc0 (65536);
  g_auto(Reply) r = { 0 };
  int fd = tcp_connect (srv);

  /* 9 MiB declared, 64 KiB sent: answered at once, without the rest of
   * the body (which never comes), and closed. */
  send_text (fd, head);
  send_all (fd, part, 65536);
  read_reply (fd, &r);
  assert_json_error (&r, 413, "too_large");
  g_assert_true (reads_eof (fd));
  close (fd);

  /* Within the limit: read and handled as usual. */
  {
    g_autofree char *ok = g_strdup_printf ("POST /api/v1/sync/push HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           "Authorization: Bearer %s\r\nContent-Length: 2\r\n\r\n{}", srv->token);
    g_auto(Reply) r2 = { 0 };

    g_assert_false (ask (srv, ok, &r2));
    assert_json_error (&r2, 400, "invalid_request");
  }
  g_assert_cmpint (server_stop (srv), ==, 0);
}

static void
test_length_required (void)
{
  g_autoptr(Server) srv = server_start ("length", 0, NULL, NULL);
  g_autofree char *none = g_strdup_printf ("POST /api/v1/sync/push HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           "Authorization: Bearer %s\r\n\r\n", srv->token);
  g_autofree char *chunked = g_strdup_printf ("POST /api/v1/sync/push HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                              "Authorization: Bearer %s\r\nTransfer-Encoding: chunked\r\n\r\n"
                                              "2\r\n{}\r\n0\r\n\r\n", srv->token);
  g_auto(Reply) r1 = { 0 };
  g_auto(Reply) r2 = { 0 };

  g_assert_true (ask (srv, none, &r1));
  assert_json_error (&r1, 411, "length_required");
  g_assert_true (ask (srv, chunked, &r2));
  assert_json_error (&r2, 411, "length_required");
  g_assert_cmpint (server_stop (srv), ==, 0);
}

static void
test_bad_http (void)
{
  g_autoptr(Server) srv = server_start ("bad-http", 0, NULL, NULL);
  g_autofree char *huge = g_strdup_printf ("GET /api/v1/sync/state HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: %0*d\r\n\r\n",
                                           40000, 0);
  static const struct {
    const char *request;
    guint       status;
    const char *code;
  } cases[] = {
    { "POST /api/v1/sync/push HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "not_implemented" },
    { "POST /api/v1/sync/push HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1x\r\n\r\n", 400, "bad_request" },
    { "GARBAGE\r\n\r\n", 400, "bad_request" },
    { "GET /api/v1/sync/state%00 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", 400, "bad_request" },
  };
  g_auto(Reply) big = { 0 };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_auto(Reply) r = { 0 };

      ask (srv, cases[i].request, &r);
      assert_json_error (&r, cases[i].status, cases[i].code);
    }
  g_assert_true (ask (srv, huge, &big));
  assert_json_error (&big, 431, "headers_too_large");
  g_assert_cmpint (server_stop (srv), ==, 0);
}

static void
test_duplicate_authorization (void)
{
  g_autoptr(Server) srv = server_start ("two-auth", 0, NULL, NULL);
  g_autofree char *last = g_strdup_printf ("GET /api/v1/sync/state HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           "Authorization: Bearer nobody\r\nAuthorization: Bearer %s\r\n\r\n",
                                           srv->token);
  g_autofree char *first = g_strdup_printf ("GET /api/v1/sync/state HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                            "Authorization: Bearer %s\r\nauthorization: Bearer nobody\r\n\r\n",
                                            srv->token);
  g_autofree char *one = g_strdup_printf ("GET /api/v1/sync/state HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                          "Authorization: Bearer %s\r\n\r\n", srv->token);
  g_auto(Reply) r1 = { 0 };
  g_auto(Reply) r2 = { 0 };
  g_auto(Reply) r3 = { 0 };

  ask (srv, last, &r1);
  assert_json_error (&r1, 400, "bad_request");
  ask (srv, first, &r2);
  assert_json_error (&r2, 400, "bad_request");
  ask (srv, one, &r3);
  g_assert_cmpuint (r3.status, ==, 200);
  g_assert_cmpint (server_stop (srv), ==, 0);
}

/* WebSockets --------------------------------------------------------------------- */

/* Sends the upgrade request for /api/v1/sync/notify (with @token if not
 * NULL) and reads the answer's status line and headers, byte by byte so
 * that no frame after them is taken. */
static char *
ws_upgrade (int         fd,
            const char *token)
{
  g_autofree char *auth = token ? g_strdup_printf ("Authorization: Bearer %s\r\n", token) : g_strdup ("");
  g_autofree char *request =
    g_strdup_printf ("GET /api/v1/sync/notify HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                     "Sec-WebSocket-Version: 13\r\n%s\r\n", auth);
  GString *head = g_string_new (NULL);

  send_text (fd, request);
  while (!g_str_has_suffix (head->str, "\r\n\r\n"))
    {
      char c;

      if (read_fd (GINT_TO_POINTER (fd), &c, 1) != 1)
        g_error ("no answer to the upgrade: %s", head->str);
      g_string_append_c (head, c);
    }
  return g_string_free (head, FALSE);
}

static void
test_websocket_unauthorized (void)
{
  g_autoptr(Server) srv = server_start ("ws-auth", 0, NULL, NULL);
  const char *tokens[] = { NULL, "0000", "" };

  for (guint i = 0; i < G_N_ELEMENTS (tokens); i++)
    {
      g_autofree char *auth = tokens[i] ? g_strdup_printf ("Authorization: Bearer %s\r\n", tokens[i]) : g_strdup ("");
      g_autofree char *request =
        g_strdup_printf ("GET /api/v1/sync/notify HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                         "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                         "Sec-WebSocket-Version: 13\r\n%s\r\n", auth);
      g_auto(Reply) r = { 0 };

      ask (srv, request, &r);
      assert_json_error (&r, 401, "unauthorized");
      g_assert_true (strcasestr (r.head, "\r\nWWW-Authenticate: Bearer") != NULL);
    }

  /* With the branch's token: upgraded. */
  {
    int fd = tcp_connect (srv);
    g_autofree char *head = ws_upgrade (fd, srv->token);

    g_assert_true (g_str_has_prefix (head, "HTTP/1.1 101 "));
    close (fd);
  }
  g_assert_cmpint (server_stop (srv), ==, 0);
}

/* Reads one frame from the server (unmasked); its opcode, or -1 at EOF. */
static int
ws_read_frame (int fd)
{
  guint8 h[2];
  guint64 len;
  g_autofree guint8 *payload = NULL;

  if (recv (fd, h, 2, MSG_WAITALL) != 2)
    return -1;
  g_assert_cmpint (h[1] & 0x80, ==, 0);
  len = h[1] & 0x7f;
  if (len == 126)
    {
      guint8 ext[2];

      g_assert_cmpint (recv (fd, ext, 2, MSG_WAITALL), ==, 2);
      len = ((guint64) ext[0] << 8) | ext[1];
    }
  g_assert_cmpuint (len, <, 126 * 256);
  payload = g_malloc (len + 1);
  if (len > 0)
    g_assert_cmpint (recv (fd, payload, len, MSG_WAITALL), ==, (gssize) len);
  return h[0] & 0x0f;
}

/* Iterates this thread's main context (for the libsoup client) until @fd
 * is readable. */
static gboolean
wait_readable (int fd)
{
  gint64 end = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  struct pollfd p = { .fd = fd, .events = POLLIN };

  while (g_get_monotonic_time () < end)
    {
      while (g_main_context_iteration (NULL, FALSE))
        ;
      if (poll (&p, 1, 20) == 1)
        return TRUE;
    }
  return FALSE;
}

static void
ws_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  SoupWebsocketConnection **ws = user_data;
  g_autoptr(GError) error = NULL;

  *ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  g_assert_no_error (error);
}

static void
test_websocket_ping (void)
{
  g_autoptr(Server) srv = server_start ("ws-ping", 0, NULL, "--ws-ping", "1", NULL);
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strconcat (srv->s->url, "api/v1/sync/notify", NULL);
  g_autofree char *auth = g_strconcat ("Bearer ", srv->token, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(SoupWebsocketConnection) live = NULL;
  g_autofree char *head = NULL;
  gboolean pinged = FALSE, closed = FALSE;
  gint64 end = g_get_monotonic_time () + WAIT_SECONDS * G_USEC_PER_SEC;
  int dead = tcp_connect (srv);
  int op;

  /* A libsoup client, which answers pings (as the branches do) ... */
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_session_websocket_connect_async (session, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL, ws_connected, &live);
  while (live == NULL)
    g_main_context_iteration (NULL, TRUE);

  /* ... and one that reads but never answers. */
  head = ws_upgrade (dead, srv->token);
  g_assert_true (g_str_has_prefix (head, "HTTP/1.1 101 "));
  g_assert_cmpint (ws_read_frame (dead), ==, 0x1);   /* {"feed_position": N} */
  while (!closed && g_get_monotonic_time () < end && wait_readable (dead))
    {
      op = ws_read_frame (dead);
      pinged |= op == 0x9;
      closed = op == 0x8 || op == -1;
    }
  g_assert_true (pinged);
  g_assert_true (closed);   /* dropped, after pings it never answered */
  g_assert_cmpint (soup_websocket_connection_get_state (live), ==, SOUP_WEBSOCKET_STATE_OPEN);
  close (dead);
  soup_websocket_connection_close (live, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  while (soup_websocket_connection_get_state (live) != SOUP_WEBSOCKET_STATE_CLOSED)
    g_main_context_iteration (NULL, TRUE);
  g_assert_cmpint (server_stop (srv), ==, 0);
}

int
main (int argc, char **argv)
{
  if (argc == 5 && g_str_equal (argv[1], "--tls-client"))
    return tls_client (argv);
  g_test_init (&argc, &argv, NULL);
  mdn_library_init ();
  g_test_add_func ("/connections/churn", test_churn);
  g_test_add_func ("/connections/churn-tls", test_churn_tls);
  g_test_add_func ("/connections/descriptor-limit", test_descriptor_limit);
  g_test_add_func ("/connections/idle-timeout", test_idle_timeout);
  g_test_add_func ("/connections/header-timeout", test_header_timeout);
  g_test_add_func ("/connections/too-large", test_too_large);
  g_test_add_func ("/connections/length-required", test_length_required);
  g_test_add_func ("/connections/bad-http", test_bad_http);
  g_test_add_func ("/connections/duplicate-authorization", test_duplicate_authorization);
  g_test_add_func ("/connections/websocket-unauthorized", test_websocket_unauthorized);
  g_test_add_func ("/connections/websocket-ping", test_websocket_ping);
  return g_test_run ();
}
