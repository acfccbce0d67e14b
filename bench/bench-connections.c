/* bench-connections: connection churn, three servers measured in the same
 * run, each answering GET /nothing with the same 404 JSON:
 *
 *   baseline       a bare SoupServer on libsoup's own listener
 *                  (soup_server_listen: what mendian-server used before)
 *   srv-conn       the same bare SoupServer and handler on srv-conn.c
 *                  (our listener and connection records): the ratio of the
 *                  two is the cost of the connection layer alone
 *   mendian-server the real server (routing, JSON replies, its store open)
 *
 * For each, a fresh process per round and mode, warmed up, then N
 * sequential connect-request-close cycles from raw sockets on loopback:
 *
 *   close        the request says Connection: close; the server closes
 *   keep-alive   the request is kept alive; the client closes after the
 *                answer (what a branch's sync does when it finishes)
 *
 * It prints requests per second, the growth of the server's open
 * descriptors and resident memory per 10,000 connections (memory over the
 * second half of the cycles; medians of interleaved rounds), and the
 * ratios of the rates to the baseline's.
 *
 *   bench-connections [N]          (default 10000)
 *   bench-connections --baseline-server      (used by itself)
 */
#include <errno.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <libsoup/soup.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench-server.h"
#include "srv-conn.h"

#define ROUNDS   3
#define WARM_UP  2000

enum { BASELINE, SRV_CONN, MENDIAN, N_SERVERS };
static const char *const server_names[] = { "baseline (libsoup)", "srv-conn", "mendian-server" };

static const char reply[] = "{\"ok\":false,\"error\":{\"code\":\"not_found\",\"message\":\"No such resource\"}}";

/* The baseline server ------------------------------------------------------------- */

static void
baseline_handler (SoupServer        *server,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, reply, strlen (reply));
}

static gboolean
quit (gpointer loop)
{
  g_main_loop_quit (loop);
  return G_SOURCE_REMOVE;
}

static char *
error_json (guint    status,
            gpointer user_data)
{
  return g_strdup (reply);
}

/* A bare SoupServer, on libsoup's listener or (@own) on srv-conn.c. */
static int
bare_server (gboolean own)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);
  g_autoptr(SoupServer) server = soup_server_new ("server-header", "baseline ", NULL);
  g_autoptr(GInetAddress) lo = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new (lo, 0);
  g_autoptr(GError) error = NULL;
  SrvConnsOptions options = { .error_json = error_json };
  SrvConns *conns = NULL;

  soup_server_add_handler (server, NULL, baseline_handler, NULL, NULL);
  if (own)
    {
      g_autofree char *url = NULL;

      conns = srv_conns_new (server, addr, &options, &error);
      if (conns == NULL)
        g_error ("%s", error->message);
      url = srv_conns_dup_url (conns);
      printf ("listening on %s\n", url);
    }
  else
    {
      GSList *uris;

      if (!soup_server_listen (server, addr, 0, &error))
        g_error ("%s", error->message);
      uris = soup_server_get_uris (server);
      printf ("listening on http://127.0.0.1:%d/\n", g_uri_get_port (uris->data));
      g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
    }
  fflush (stdout);
  g_unix_signal_add (SIGTERM, quit, loop);
  g_main_loop_run (loop);
  soup_server_disconnect (server);
  srv_conns_free (conns);
  return 0;
}

/* A server process ---------------------------------------------------------------- */

typedef struct
{
  GSubprocess *proc;
  char        *dir;
  guint16      port;
} Server;

static void
server_start (Server     *s,
              int         which,
              const char *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autofree char *line = NULL;

  s->dir = g_dir_make_tmp ("bench-connections-XXXXXX", &error);
  g_assert_no_error (error);
  if (which == MENDIAN)
    {
      g_autofree char *db = g_build_filename (s->dir, "server.db", NULL);
      const char *init_argv[] = { MENDIAN_SERVER_PATH, "--db", db, "init", NULL };
      const char *serve_argv[] = { MENDIAN_SERVER_PATH, "--db", db, "serve", "--listen", "127.0.0.1:0", NULL };

      g_free (bench_run (init_argv));
      s->proc = g_subprocess_newv (serve_argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                                   &error);
    }
  else
    s->proc = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, self,
                                which == SRV_CONN ? "--srv-conn-server" : "--baseline-server", NULL);
  g_assert_no_error (error);
  in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (s->proc));
  line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  s->port = (guint16) atoi (strrchr (line, ':') + 1);
}

static void
server_stop (Server *s)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  g_subprocess_send_signal (s->proc, SIGKILL);
  g_subprocess_wait (s->proc, NULL, NULL);
  g_clear_object (&s->proc);
  dir = g_dir_open (s->dir, 0, NULL);
  while (dir && (name = g_dir_read_name (dir)))
    {
      g_autofree char *path = g_build_filename (s->dir, name, NULL);

      g_unlink (path);
    }
  g_rmdir (s->dir);
  g_clear_pointer (&s->dir, g_free);
}

static guint64
rss_kib (Server *s)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/status", g_subprocess_get_identifier (s->proc));
  g_autofree char *text = NULL;
  const char *line;

  if (!g_file_get_contents (path, &text, NULL, NULL) || !(line = strstr (text, "VmRSS:")))
    return 0;
  return g_ascii_strtoull (line + strlen ("VmRSS:"), NULL, 10);
}

static guint
open_fds (Server *s)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/fd", g_subprocess_get_identifier (s->proc));
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  guint n = 0;

  while (dir && g_dir_read_name (dir))
    n++;
  return n;
}

/* The client ----------------------------------------------------------------------- */

/* One cycle; FALSE if the server did not answer within 5 s. */
static gboolean
cycle (guint16  port,
       gboolean keep_alive)
{
  static const char close_req[] = "GET /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
  static const char keep_req[] = "GET /nothing HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  const char *req = keep_alive ? keep_req : close_req;
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons (port) };
  struct timeval tv = { 5, 0 };
  char buf[4096];
  gsize got = 0;
  int one = 1;
  int fd = socket (AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  gboolean ok = FALSE;

  addr.sin_addr.s_addr = htonl (INADDR_LOOPBACK);
  setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) != 0 ||
      send (fd, req, strlen (req), MSG_NOSIGNAL) != (ssize_t) strlen (req))
    goto out;
  /* the answer ends with the JSON body */
  while (got < sizeof buf - 1)
    {
      ssize_t n = recv (fd, buf + got, sizeof buf - 1 - got, 0);

      if (n <= 0)
        break;
      got += (gsize) n;
      buf[got] = '\0';
      if (g_str_has_suffix (buf, "}}"))
        {
          ok = TRUE;
          break;
        }
    }
out:
  close (fd);
  return ok;
}

typedef struct
{
  double  rate;        /* requests per second */
  double  rss_kib;     /* growth per 10,000 connections */
  double  fds;         /* growth per 10,000 connections */
  guint   stopped_at;  /* 0, or the cycle at which the server stopped answering */
} Result;

static Result
measure (int         which,
         gboolean    keep_alive,
         guint       n,
         const char *self)
{
  Server s = { 0 };
  Result r = { 0 };
  guint64 rss_half = 0, fds0;
  gint64 t0, t1;

  server_start (&s, which, self);
  for (guint i = 0; i < WARM_UP; i++)
    if (!cycle (s.port, i % 2))
      g_error ("no answer during the warm-up");
  g_usleep (200 * G_TIME_SPAN_MILLISECOND);
  fds0 = open_fds (&s);
  t0 = g_get_monotonic_time ();
  for (guint i = 0; i < n; i++)
    {
      if (i == n / 2)   /* memory grows over the second half only: the first raises high-water marks */
        rss_half = rss_kib (&s);
      if (!cycle (s.port, keep_alive))
        {
          r.stopped_at = i + 1;
          break;
        }
    }
  t1 = g_get_monotonic_time ();
  g_usleep (200 * G_TIME_SPAN_MILLISECOND);   /* let it close what the clients closed */
  r.rate = (r.stopped_at ? r.stopped_at - 1 : n) / ((t1 - t0) / 1e6);
  r.rss_kib = ((double) rss_kib (&s) - (double) rss_half) * 10000.0 / (n - n / 2);
  r.fds = ((double) open_fds (&s) - (double) fds0) * 10000.0 / n;
  server_stop (&s);
  return r;
}

int
main (int argc, char **argv)
{
  static const char *const modes[] = { "close", "keep-alive" };
  guint n = 10000;

  if (argc > 1 && g_str_equal (argv[1], "--baseline-server"))
    return bare_server (FALSE);
  if (argc > 1 && g_str_equal (argv[1], "--srv-conn-server"))
    return bare_server (TRUE);
  if (argc > 1)
    n = (guint) atoi (argv[1]);
  signal (SIGPIPE, SIG_IGN);

  g_print ("connections: %u sequential connect-request-close cycles per round, %d interleaved rounds, medians\n",
           n, ROUNDS);
  g_print ("%-11s %-19s %11s %17s %13s\n", "mode", "server", "requests/s", "RSS KiB/10k conn", "fds/10k conn");
  for (guint m = 0; m < G_N_ELEMENTS (modes); m++)
    {
      double rate[N_SERVERS][ROUNDS], rss[N_SERVERS][ROUNDS], fds[N_SERVERS][ROUNDS];
      guint stopped[N_SERVERS] = { 0 };

      for (guint round = 0; round < ROUNDS; round++)
        for (int srv = 0; srv < N_SERVERS; srv++)
          {
            Result r = measure (srv, m == 1, n, argv[0]);

            rate[srv][round] = r.rate;
            rss[srv][round] = r.rss_kib;
            fds[srv][round] = r.fds;
            if (r.stopped_at)
              stopped[srv] = r.stopped_at;
          }
      for (int srv = 0; srv < N_SERVERS; srv++)
        {
          g_print ("%-11s %-19s %11.0f %17.0f %13.0f", modes[m], server_names[srv],
                   bench_median (rate[srv], ROUNDS), bench_median (rss[srv], ROUNDS), bench_median (fds[srv], ROUNDS));
          if (stopped[srv])
            g_print ("   stopped answering at cycle %u", stopped[srv]);
          g_print ("\n");
        }
      g_print ("%-11s requests/s ratio srv-conn / baseline: %.2f   mendian-server / baseline: %.2f\n", modes[m],
               bench_median (rate[SRV_CONN], ROUNDS) / bench_median (rate[BASELINE], ROUNDS),
               bench_median (rate[MENDIAN], ROUNDS) / bench_median (rate[BASELINE], ROUNDS));
    }
  return 0;
}
