/* bench-server.h: what the server benchmarks share (bench-ingest,
 * bench-ingest-pg, bench-report-pg, bench-stock-pg, bench-connections):
 * running a command, a mendian-server process, a request to it, a median. */
#pragma once

#include <libsoup/soup.h>

/* The standard output of @argv, which must succeed (else the bench stops). */
char *bench_run (const char *const *argv);

/* `mendian-server --db @db serve --listen 127.0.0.1:0` (MENDIAN_SERVER_PATH),
 * its base URL in @base once it listens. MENDIAN_BENCH_WRAP="perf record -g
 * -o FILE" (a wrapper that passes SIGTERM on) runs it under a profiler. */
GSubprocess *bench_serve (const char *db,
                          char      **base);

/* @method @url with the Authorization header @auth and the JSON @body (or
 * none): the reply's body, which must be a 200. */
GBytes *bench_http (SoupSession *session,
                    const char  *method,
                    const char  *url,
                    const char  *auth,
                    GBytes      *body);

/* The median of @n values (@v is left as it was). */
double bench_median (const double *v,
                     guint         n);

/* argv[@i] as a whole number in [@min, @max], or @fallback when it isn't
 * given; anything else (--help too) prints "usage: @usage" and exits. */
gint64 bench_arg (int         argc,
                  char      **argv,
                  int         i,
                  gint64      fallback,
                  gint64      min,
                  gint64      max,
                  const char *usage);

/* CPU time of the calling thread; of every thread of process @pid so far
 * (the scheduler's, /proc/PID/task/TID/schedstat). Seconds. */
double bench_thread_cpu_seconds (void);
double bench_task_cpu_seconds   (const char *pid);
