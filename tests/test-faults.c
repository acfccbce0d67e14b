/* test-faults.c: the connection between a branch and the real
 * mendian-server cut before, during and after the server commits a push,
 * and the branch process killed in the middle of a push. A small TCP proxy
 * on 127.0.0.1 (a GThreadedSocketService, so that the branch's blocking
 * sync can run on the test's thread) sits between them and drops the
 * connection at the chosen point. After each fault the next sync must
 * converge: nothing lost, nothing doubled, every ledger verifies. */
#include <signal.h>
#include <string.h>

#include "mdn-db.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-sync.h"
#include "mdn-test-server.h"

/* The server process ------------------------------------------------------------------ */

/* mendian-server without an hq token, freed with a clean stop. */
typedef MdnTestServer Server;

static Server *
server_new (void)
{
  Server *s = mdn_test_server_init ("faults");

  mdn_test_server_start (s, NULL);
  return s;
}

static void
server_free (Server *s)
{
  gint64 t0 = g_get_monotonic_time ();

  /* A clean stop, at once: no cut connection left counted as in flight. */
  g_assert_cmpint (mdn_test_server_stop (s, SIGTERM), ==, 0);
  g_assert_cmpint (g_get_monotonic_time () - t0, <, 5 * G_TIME_SPAN_SECOND);
  mdn_test_server_free (s);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Server, server_free)

/* The proxy ---------------------------------------------------------------------------- */

typedef enum {
  FAULT_NONE,
  FAULT_CUT_BEFORE_REQUEST,   /* the push never reaches the server */
  FAULT_CUT_AFTER_REQUEST,    /* the server commits, the branch hears nothing */
  FAULT_CUT_MID_RESPONSE,     /* the server commits, the branch hears half */
  FAULT_HOLD_RESPONSE,        /* the server commits, the answer waits for release */
} Fault;

typedef struct
{
  GSocketService *service;
  GMainContext   *context;
  GMainLoop      *loop;
  GThread        *thread;
  char           *url;
  guint16         upstream_port;
  GMutex          lock;
  GCond           cond;
  Fault           fault;      /* armed for one push, after @skip pushes went through */
  guint           skip;
  guint           faults;     /* faults carried out */
  guint           pushes;     /* pushes forwarded whole */
  gboolean        holding;
  gboolean        release;
} Proxy;

/* Reads one HTTP message (start line, headers, a Content-Length body) into
 * @out; FALSE at the end of the stream. */
static gboolean
read_http (GDataInputStream *in,
           GByteArray       *out,
           char            **start_line)
{
  gint64 length = 0;
  gboolean first = TRUE;

  g_byte_array_set_size (out, 0);
  for (;;)
    {
      gsize len = 0;
      g_autofree char *line = g_data_input_stream_read_line (in, &len, NULL, NULL);

      if (line == NULL)
        return FALSE;
      g_byte_array_append (out, (const guint8 *) line, len);
      g_byte_array_append (out, (const guint8 *) "\r\n", 2);
      if (first && start_line)
        *start_line = g_strdup (line);
      first = FALSE;
      if (len == 0)
        break;
      if (g_ascii_strncasecmp (line, "Content-Length:", 15) == 0)
        length = g_ascii_strtoll (line + 15, NULL, 10);
      g_assert_false (g_ascii_strncasecmp (line, "Transfer-Encoding:", 18) == 0);
    }
  if (length > 0)
    {
      gsize at = out->len, got = 0;

      g_byte_array_set_size (out, at + (guint) length);
      if (!g_input_stream_read_all (G_INPUT_STREAM (in), out->data + at, (gsize) length, &got, NULL, NULL) ||
          got != (gsize) length)
        return FALSE;
    }
  return TRUE;
}

static gboolean
proxy_run (GThreadedSocketService *service,
           GSocketConnection      *connection,
           GObject                *source_object,
           gpointer                user_data)
{
  Proxy *proxy = user_data;
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) upstream = NULL;
  g_autoptr(GDataInputStream) in = NULL, up_in = NULL;
  g_autoptr(GByteArray) request = g_byte_array_new ();
  g_autoptr(GByteArray) response = g_byte_array_new ();
  GOutputStream *out = g_io_stream_get_output_stream (G_IO_STREAM (connection));
  GOutputStream *up_out;

  upstream = g_socket_client_connect_to_host (client, "127.0.0.1", proxy->upstream_port, NULL, NULL);
  g_assert_nonnull (upstream);
  up_out = g_io_stream_get_output_stream (G_IO_STREAM (upstream));
  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  up_in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (upstream)));
  g_data_input_stream_set_newline_type (in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  g_data_input_stream_set_newline_type (up_in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);

  for (;;)
    {
      g_autofree char *start = NULL;
      Fault fault = FAULT_NONE;
      gboolean push;

      if (!read_http (in, request, &start))
        break;
      push = g_str_has_prefix (start, "POST /api/v1/sync/push ");
      g_mutex_lock (&proxy->lock);
      if (push && proxy->fault != FAULT_NONE)
        {
          if (proxy->skip > 0)
            proxy->skip--;
          else
            {
              fault = proxy->fault;
              proxy->fault = FAULT_NONE;
            }
        }
      g_mutex_unlock (&proxy->lock);

      if (fault == FAULT_CUT_BEFORE_REQUEST)
        goto faulted;
      if (!g_output_stream_write_all (up_out, request->data, request->len, NULL, NULL, NULL) ||
          !read_http (up_in, response, NULL))
        break;
      if (fault == FAULT_CUT_AFTER_REQUEST)
        goto faulted;
      if (fault == FAULT_CUT_MID_RESPONSE)
        {
          g_output_stream_write_all (out, response->data, response->len / 2, NULL, NULL, NULL);
          g_output_stream_flush (out, NULL, NULL);
          goto faulted;
        }
      if (fault == FAULT_HOLD_RESPONSE)
        {
          g_mutex_lock (&proxy->lock);
          proxy->holding = TRUE;
          g_cond_broadcast (&proxy->cond);
          while (!proxy->release)
            g_cond_wait (&proxy->cond, &proxy->lock);
          g_mutex_unlock (&proxy->lock);
          /* Whoever asked is gone by now; this write may well fail. */
          g_output_stream_write_all (out, response->data, response->len, NULL, NULL, NULL);
          goto faulted;
        }
      if (!g_output_stream_write_all (out, response->data, response->len, NULL, NULL, NULL))
        break;
      if (push)
        {
          g_mutex_lock (&proxy->lock);
          proxy->pushes++;
          g_mutex_unlock (&proxy->lock);
        }
    }
  g_io_stream_close (G_IO_STREAM (upstream), NULL, NULL);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return TRUE;

faulted:
  g_mutex_lock (&proxy->lock);
  proxy->faults++;
  g_cond_broadcast (&proxy->cond);
  g_mutex_unlock (&proxy->lock);
  g_io_stream_close (G_IO_STREAM (upstream), NULL, NULL);
  g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
  return TRUE;
}

static GPtrArray *dead_proxies;

/* The listener accepts from its own thread's main context: the test's
 * thread is blocked in a synchronous sync while the proxy works. */
static gpointer
proxy_thread (gpointer data)
{
  Proxy *proxy = data;
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;
  g_autoptr(GError) error = NULL;

  g_main_context_push_thread_default (proxy->context);
  proxy->service = g_threaded_socket_service_new (8);
  g_socket_listener_add_address (G_SOCKET_LISTENER (proxy->service), address, G_SOCKET_TYPE_STREAM,
                                 G_SOCKET_PROTOCOL_TCP, NULL, &effective, &error);
  g_assert_no_error (error);
  g_signal_connect (proxy->service, "run", G_CALLBACK (proxy_run), proxy);
  g_socket_service_start (proxy->service);
  g_mutex_lock (&proxy->lock);
  proxy->url = g_strdup_printf ("http://127.0.0.1:%u/",
                                g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective)));
  g_cond_broadcast (&proxy->cond);
  g_mutex_unlock (&proxy->lock);
  g_main_loop_run (proxy->loop);
  g_socket_service_stop (proxy->service);
  g_socket_listener_close (G_SOCKET_LISTENER (proxy->service));
  g_clear_object (&proxy->service);
  g_main_context_pop_thread_default (proxy->context);
  return NULL;
}

static Proxy *
proxy_new (Server *s)
{
  Proxy *proxy = g_new0 (Proxy, 1);

  g_mutex_init (&proxy->lock);
  g_cond_init (&proxy->cond);
  proxy->upstream_port = s->port;
  proxy->context = g_main_context_new ();
  proxy->loop = g_main_loop_new (proxy->context, FALSE);
  proxy->thread = g_thread_new ("proxy", proxy_thread, proxy);
  g_mutex_lock (&proxy->lock);
  while (proxy->url == NULL)
    g_cond_wait (&proxy->cond, &proxy->lock);
  g_mutex_unlock (&proxy->lock);
  return proxy;
}

static void
proxy_free (Proxy *proxy)
{
  g_mutex_lock (&proxy->lock);
  proxy->release = TRUE;
  g_cond_broadcast (&proxy->cond);
  g_mutex_unlock (&proxy->lock);
  g_main_loop_quit (proxy->loop);
  g_thread_join (proxy->thread);
  g_main_loop_unref (proxy->loop);
  g_main_context_unref (proxy->context);
  g_free (proxy->url);
  /* A worker thread may still be closing a connection with @proxy in
   * hand: it is freed when the program ends. */
  g_ptr_array_add (dead_proxies, proxy);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Proxy, proxy_free)

static void
proxy_arm (Proxy *proxy,
           Fault  fault,
           guint  skip)
{
  g_mutex_lock (&proxy->lock);
  proxy->fault = fault;
  proxy->skip = skip;
  proxy->faults = 0;
  proxy->holding = FALSE;
  proxy->release = FALSE;
  g_mutex_unlock (&proxy->lock);
}

static guint
proxy_faults (Proxy *proxy)
{
  guint n;

  g_mutex_lock (&proxy->lock);
  n = proxy->faults;
  g_mutex_unlock (&proxy->lock);
  return n;
}

/* Branches ----------------------------------------------------------------------------- */

static MdnTestBranch *
branch_new (Server     *s,
            Proxy      *proxy,
            const char *code,
            int         number)
{
  MdnTestBranch *b = mdn_test_branch_new (code, number);

  mdn_test_link (b, proxy->url, mdn_test_server_add_branch (s, code, number, FALSE));
  return b;
}

static gboolean
try_sync (MdnTestBranch *b,
          GError       **error)
{
  MdnSyncResult r = { 0 };

  return mdn_sync_run (b->store, &r, NULL, error);
}

static void
cli_verify_ok (MdnTestBranch *b)
{
  g_autofree char *out = mdn_test_run_ok ((const char *[]) { g_getenv ("MENDIAN_CLI"), "--db", b->path, "verify", NULL });

  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
}

static char *
issue (MdnTestBranch *b,
       const char    *phone)
{
  g_autoptr(JsonObject) r = mdn_test_ok (b->admin,
                                         "{\"op\":\"member.issue\",\"name\":\"M\",\"phone\":\"%s\",\"deposit\":\"100.00\"}",
                                         phone);

  return g_strdup (mdn_test_str (r, "card_no"));
}

static void
deposits (MdnTestBranch *b,
          const char    *card,
          int            n)
{
  for (int i = 0; i < n; i++)
    {
      g_autoptr(JsonObject) r = mdn_test_ok (b->admin, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"0.%02d\"}",
                                             card, 1 + i % 99);
    }
}

/* Converged: the server holds exactly every entry of both branches (none
 * lost, none twice), its balances are those the branches hold, and every
 * ledger verifies, by the library and by mendian-cli verify. */
static void
assert_converged (Server        *s,
                  MdnTestBranch *b1,
                  MdnTestBranch *b2)
{
  const char *q1 = "SELECT count(*) FROM entries WHERE branch = 'B01'";
  const char *q2 = "SELECT count(*) FROM entries WHERE branch = 'B02'";
  const char *sum = "SELECT COALESCE (SUM (principal_fen + bonus_fen), 0) FROM members";
  gint64 server_sum;

  g_assert_cmpint (mdn_test_server_count (s, q1), ==, mdn_test_count (b1, q1));
  g_assert_cmpint (mdn_test_server_count (s, q2), ==, mdn_test_count (b2, q2));
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM entries"), ==,
                   mdn_test_count (b1, q1) + mdn_test_count (b2, q2));
  g_assert_cmpint (mdn_test_server_count (s, "SELECT acked_seq FROM srv_branches WHERE code = 'B01'"), ==,
                   mdn_test_count (b1, q1));
  g_assert_cmpint (mdn_test_server_count (s, "SELECT acked_seq FROM srv_branches WHERE code = 'B02'"), ==,
                   mdn_test_count (b2, q2));
  server_sum = mdn_test_server_count (s, sum);
  g_assert_cmpint (mdn_test_count (b1, sum), ==, server_sum);
  g_assert_cmpint (mdn_test_count (b2, sum), ==, server_sum);
  /* The balances are the sum of the movements, on the server too. */
  g_assert_cmpint (mdn_test_server_count (s, "SELECT COALESCE (SUM (delta), 0) FROM movements "
                                    "WHERE account IN ('principal', 'bonus')"), ==, server_sum);
  cli_verify_ok (b1);
  cli_verify_ok (b2);
}

/* Tests -------------------------------------------------------------------------------- */

typedef struct
{
  Fault       fault;
  const char *what;
} Case;

static void
test_cut (gconstpointer data)
{
  const Case *c = data;
  g_autoptr(Server) s = server_new ();
  g_autoptr(Proxy) proxy = proxy_new (s);
  g_autoptr(MdnTestBranch) b1 = branch_new (s, proxy, "B01", 1);
  g_autoptr(MdnTestBranch) b2 = branch_new (s, proxy, "B02", 2);
  g_autofree char *card = issue (b1, "13800000001");
  g_autoptr(GError) error = NULL;
  gint64 expected;

  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  /* B01 has 1200 entries to push, three batches; the second is cut. */
  deposits (b1, card, 1200);
  proxy_arm (proxy, c->fault, 1);
  if (try_sync (b1, &error))
    g_test_message ("%s: the sync still succeeded (the client retried)", c->what);
  else
    g_test_message ("%s: the sync failed: %s", c->what, error->message);
  g_assert_cmpuint (proxy_faults (proxy), ==, 1);
  expected = mdn_test_count (b1, "SELECT SUM (principal_fen + bonus_fen) FROM members");
  /* What the server holds is a prefix of B01's chain, never more, never twice. */
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM entries WHERE branch = 'B01'"), <=,
                   mdn_test_count (b1, "SELECT count(*) FROM entries WHERE branch = 'B01'"));

  /* B02 works meanwhile: a deposit of its own. */
  {
    g_autoptr(JsonObject) r = mdn_test_ok (b2->admin, "{\"op\":\"member.issue\",\"name\":\"N\",\"phone\":\"13800000002\",\"deposit\":\"5.00\"}");
  }

  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  mdn_test_sync_ok (b1);
  g_assert_cmpint (mdn_test_count (b2, "SELECT SUM (principal_fen + bonus_fen) FROM members"), ==, expected + 500);
  assert_converged (s, b1, b2);
}

/* The branch process is killed while its push is at the server: the server
 * has committed the second batch, the answer never arrives. */
static void
test_branch_killed_pushing (void)
{
  g_autoptr(Server) s = server_new ();
  g_autoptr(Proxy) proxy = proxy_new (s);
  g_autoptr(MdnTestBranch) b1 = branch_new (s, proxy, "B01", 1);
  g_autoptr(MdnTestBranch) b2 = branch_new (s, proxy, "B02", 2);
  g_autofree char *card = issue (b1, "13800000001");
  g_autoptr(GSubprocess) cli = NULL;
  gint64 held;

  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  deposits (b1, card, 1200);
  proxy_arm (proxy, FAULT_HOLD_RESPONSE, 1);
  cli = mdn_test_cli_spawn (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                            b1->path, "sync", NULL);
  g_mutex_lock (&proxy->lock);
  while (!proxy->holding)
    g_cond_wait (&proxy->cond, &proxy->lock);
  g_mutex_unlock (&proxy->lock);
  g_subprocess_force_exit (cli);
  g_subprocess_wait (cli, NULL, NULL);
  g_assert_false (g_subprocess_get_if_exited (cli));
  g_mutex_lock (&proxy->lock);
  proxy->release = TRUE;
  g_cond_broadcast (&proxy->cond);
  while (proxy->faults == 0)
    g_cond_wait (&proxy->cond, &proxy->lock);
  g_mutex_unlock (&proxy->lock);

  /* The server took two batches the branch never heard about. */
  held = mdn_test_server_count (s, "SELECT acked_seq FROM srv_branches WHERE code = 'B01'");
  g_assert_cmpint (held, >=, 1000);
  g_assert_cmpint (held, <, mdn_test_count (b1, "SELECT count(*) FROM entries WHERE branch = 'B01'"));

  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (b2);
  assert_converged (s, b1, b2);
  g_assert_cmpint (mdn_test_count (b2, "SELECT SUM (principal_fen + bonus_fen) FROM members"), ==,
                   mdn_test_count (b1, "SELECT SUM (principal_fen + bonus_fen) FROM members"));
}

int
main (int argc, char **argv)
{
  static const Case cases[] = {
    { FAULT_CUT_BEFORE_REQUEST, "cut before the request reaches the server" },
    { FAULT_CUT_AFTER_REQUEST,  "cut after the server committed, before the answer" },
    { FAULT_CUT_MID_RESPONSE,   "cut in the middle of the answer" },
  };
  int status;

  g_test_init (&argc, &argv, NULL);
  mdn_branch_init ();

  g_test_add_data_func ("/faults/push/cut-before-request", &cases[0], test_cut);
  g_test_add_data_func ("/faults/push/cut-after-commit", &cases[1], test_cut);
  g_test_add_data_func ("/faults/push/cut-mid-response", &cases[2], test_cut);
  g_test_add_func ("/faults/push/branch-killed", test_branch_killed_pushing);
  dead_proxies = g_ptr_array_new_with_free_func (g_free);
  status = g_test_run ();
  g_usleep (100 * 1000);
  g_ptr_array_unref (dead_proxies);
  return status;
}
