/* mdn-test-pg.h: a throw-away PostgreSQL 15 cluster for tests: initdb into
 * a temporary directory as an unprivileged user (mendian-test, created when
 * the tests run as root), postgres on a random port of 127.0.0.1 with no
 * Unix socket, ready when a connection succeeds (polled, bounded), and
 * stopped and removed by mdn_test_pg_free. The server dies with the test
 * process even when an assertion aborts it. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  char   *dir;        /* the temporary directory: data/ and the log */
  guint16 port;
  GPid    pid;        /* the postmaster */
  char   *uri;        /* postgresql://mendian@127.0.0.1:PORT/postgres */
  guint   n_dbs;      /* databases made by mdn_test_pg_create_db */
} MdnTestPg;

/* Whether the PostgreSQL 15 server programs are installed (or named by
 * $MENDIAN_PG_BINDIR). */
gboolean   mdn_test_pg_available  (void);
/* Starts a new cluster; FALSE with @error if it could not. */
MdnTestPg *mdn_test_pg_start      (GError    **error);
/* The cluster of this test process, started on first use and stopped at
 * exit; g_test_skip()s and returns NULL if PostgreSQL isn't installed. */
MdnTestPg *mdn_test_pg_shared     (void);
/* A new, empty database; its libpq URI. Asserts it worked. */
char      *mdn_test_pg_create_db  (MdnTestPg  *pg,
                                   const char *prefix);
/* One integer from @sql on @uri (a test's own look at the data). */
gint64     mdn_test_pg_count      (const char *uri,
                                   const char *sql);
/* @sql on @conn (a PGconn), which must succeed: a bench's own writes. */
struct pg_conn;
void       mdn_test_pg_exec       (struct pg_conn *conn,
                                   const char     *sql);
/* Stops the cluster (fast shutdown, waited for) and removes its files. */
void       mdn_test_pg_free       (MdnTestPg  *pg);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MdnTestPg, mdn_test_pg_free)

G_END_DECLS
