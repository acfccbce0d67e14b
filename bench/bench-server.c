/* bench-server.c: what the server benchmarks share (bench-server.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench-server.h"

char *
bench_run (const char *const *argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) p = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
  char *out = NULL;

  if (p == NULL || !g_subprocess_communicate_utf8 (p, NULL, NULL, &out, NULL, &error) ||
      !g_subprocess_get_successful (p))
    g_error ("%s failed: %s", argv[0], error ? error->message : "exit status");
  return out;
}

GSubprocess *
bench_serve (const char *db,
             char      **base)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  const char *wrap_env = g_getenv ("MENDIAN_BENCH_WRAP");
  g_auto(GStrv) wrap = g_strsplit_set (wrap_env ? wrap_env : "", " ", -1);
  g_auto(GStrv) argv = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autofree char *line = NULL;
  GSubprocess *p;

  for (guint i = 0; wrap[i]; i++)
    if (*wrap[i])
      g_strv_builder_add (b, wrap[i]);
  g_strv_builder_addv (b, (const char *[]) { MENDIAN_SERVER_PATH, "--db", db, "serve", "--listen", "127.0.0.1:0", NULL });
  argv = g_strv_builder_end (b);
  p = g_subprocess_newv ((const char *const *) argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE,
                         &error);
  if (p == NULL)
    g_error ("%s: %s", MENDIAN_SERVER_PATH, error->message);
  in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (p));
  line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error);
  if (line == NULL || !g_str_has_prefix (line, "listening on "))
    g_error ("%s serve didn't start: %s", MENDIAN_SERVER_PATH, error ? error->message : line ? line : "no output");
  *base = g_strdup (line + strlen ("listening on "));
  return p;
}

GBytes *
bench_http (SoupSession *session,
            const char  *method,
            const char  *url,
            const char  *auth,
            GBytes      *body)
{
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GError) error = NULL;
  GBytes *reply;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  if (body)
    soup_message_set_request_body_from_bytes (msg, "application/json", body);
  reply = soup_session_send_and_read (session, msg, NULL, &error);
  if (reply == NULL || soup_message_get_status (msg) != 200)
    g_error ("%s %s failed: %s", method, url, error ? error->message : soup_message_get_reason_phrase (msg));
  return reply;
}

static int
compare_double (gconstpointer a,
                gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

double
bench_median (const double *v,
              guint         n)
{
  g_autofree double *copy = g_memdup2 (v, n * sizeof (double));

  g_return_val_if_fail (n > 0, 0);
  qsort (copy, n, sizeof (double), compare_double);
  return copy[n / 2];
}

gint64
bench_arg (int         argc,
           char      **argv,
           int         i,
           gint64      fallback,
           gint64      min,
           gint64      max,
           const char *usage)
{
  gint64 v;

  for (int k = 1; k < argc; k++)
    if (!g_ascii_string_to_signed (argv[k], 10, G_MININT64, G_MAXINT64, NULL, NULL))
      {
        fprintf (stderr, "usage: %s\n", usage);
        exit (g_str_equal (argv[k], "--help") ? 0 : 2);
      }
  if (argc <= i)
    return fallback;
  if (!g_ascii_string_to_signed (argv[i], 10, min, max, &v, NULL))
    {
      fprintf (stderr, "usage: %s\n(%s: a number from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT ")\n", usage, argv[i],
               min, max);
      exit (2);
    }
  return v;
}

/* CPU time of the calling thread, in seconds. */
double
bench_thread_cpu_seconds (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* CPU time (ns, from the scheduler) of every thread of process @pid so far. */
double
bench_task_cpu_seconds (const char *pid)
{
  g_autofree char *dir_path = g_strdup_printf ("/proc/%s/task", pid);
  g_autoptr(GDir) dir = g_dir_open (dir_path, 0, NULL);
  const char *tid;
  double sum = 0;

  while (dir && (tid = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *path = g_strdup_printf ("%s/%s/schedstat", dir_path, tid);
      g_autofree char *text = NULL;

      if (g_file_get_contents (path, &text, NULL, NULL))
        sum += g_ascii_strtod (text, NULL) / 1e9;
    }
  return sum;
}
