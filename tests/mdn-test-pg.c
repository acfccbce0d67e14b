/* mdn-test-pg.c: a throw-away PostgreSQL cluster for tests (mdn-test-pg.h). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <glib/gstdio.h>
#include <gio/gio.h>

#include "mdn-test-pg.h"

#define PG_USER        "mendian-test"   /* the OS user the cluster runs as when we are root */
#define PG_ROLE        "mendian"        /* the cluster's superuser */
#define READY_ATTEMPTS 3000             /* connection attempts, 20 ms apart at least */
#define PORT_ATTEMPTS  5

static const char *
bindir (void)
{
  const char *dir = g_getenv ("MENDIAN_PG_BINDIR");

  return dir && *dir ? dir : "/usr/lib/postgresql/15/bin";
}

static char *
program (const char *name)
{
  return g_build_filename (bindir (), name, NULL);
}

gboolean
mdn_test_pg_available (void)
{
  g_autofree char *initdb = program ("initdb");
  g_autofree char *postgres = program ("postgres");

  return g_file_test (initdb, G_FILE_TEST_IS_EXECUTABLE) && g_file_test (postgres, G_FILE_TEST_IS_EXECUTABLE);
}

/* What the children run as: root may not run PostgreSQL. */
typedef struct
{
  gboolean drop;
  uid_t    uid;
  gid_t    gid;
  int      log_fd;   /* stdout and stderr, or -1 */
} ChildSetup;

static void
child_setup (gpointer data)
{
  ChildSetup *c = data;

  if (c->log_fd >= 0)
    {
      dup2 (c->log_fd, STDOUT_FILENO);
      dup2 (c->log_fd, STDERR_FILENO);
    }
  if (c->drop && (setgroups (0, NULL) != 0 || setgid (c->gid) != 0 || setuid (c->uid) != 0))
    _exit (127);
  /* After setuid, which clears it: the cluster dies with the test. */
  prctl (PR_SET_PDEATHSIG, SIGQUIT);
}

static gboolean
child_setup_init (ChildSetup *c,
                  GError    **error)
{
  struct passwd *pw;

  c->drop = geteuid () == 0;
  c->log_fd = -1;
  if (!c->drop)
    return TRUE;
  if (getpwnam (PG_USER) == NULL)
    {
      const char *argv[] = { "useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
                             "--shell", "/usr/sbin/nologin", PG_USER, NULL };
      int status = 0;

      if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, error))
        return FALSE;
      /* Another test process may have made it at the same moment. */
      if (getpwnam (PG_USER) == NULL)
        {
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "could not create the user %s", PG_USER);
          return FALSE;
        }
    }
  pw = getpwnam (PG_USER);
  c->uid = pw->pw_uid;
  c->gid = pw->pw_gid;
  return TRUE;
}

static guint16
free_port (void)
{
  struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl (INADDR_LOOPBACK) };
  socklen_t len = sizeof sa;
  int fd = socket (AF_INET, SOCK_STREAM, 0);
  guint16 port = 0;

  g_assert_cmpint (fd, >=, 0);
  if (bind (fd, (struct sockaddr *) &sa, sizeof sa) == 0 && getsockname (fd, (struct sockaddr *) &sa, &len) == 0)
    port = ntohs (sa.sin_port);
  close (fd);
  g_assert_cmpuint (port, >, 0);
  return port;
}

static char *
read_log (MdnTestPg *pg)
{
  g_autofree char *path = g_build_filename (pg->dir, "postgres.log", NULL);
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return g_strdup ("(no log)");
  return text;
}

static gboolean
run_initdb (MdnTestPg  *pg,
            ChildSetup *c,
            GError    **error)
{
  g_autofree char *initdb = program ("initdb");
  g_autofree char *data = g_build_filename (pg->dir, "data", NULL);
  g_autofree char *log = g_build_filename (pg->dir, "initdb.log", NULL);
  const char *argv[] = { initdb, "-D", data, "-U", PG_ROLE, "-A", "trust", "-E", "UTF8",
                         "--locale=C", "-N", NULL };
  int status = 0;
  gboolean ok;

  c->log_fd = open (log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ok = g_spawn_sync (pg->dir, (char **) argv, NULL, G_SPAWN_DEFAULT, child_setup, c, NULL, NULL, &status, error);
  close (c->log_fd);
  c->log_fd = -1;
  if (ok && !g_spawn_check_wait_status (status, NULL))
    {
      g_autofree char *text = NULL;

      g_file_get_contents (log, &text, NULL, NULL);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "initdb failed: %s", text ? text : "");
      ok = FALSE;
    }
  return ok;
}

/* Starts the postmaster on a fresh port; TRUE once it accepts
 * connections, FALSE if it exited (*@exited) or never became ready. */
static gboolean
run_postgres (MdnTestPg  *pg,
              ChildSetup *c,
              gboolean   *exited,
              GError    **error)
{
  g_autofree char *postgres = program ("postgres");
  g_autofree char *data = g_build_filename (pg->dir, "data", NULL);
  g_autofree char *log = g_build_filename (pg->dir, "postgres.log", NULL);
  g_autofree char *port = NULL;
  g_autofree char *conninfo = NULL;
  const char *argv[] = { postgres, "-D", data, "-p", NULL, "-c", "listen_addresses=127.0.0.1",
                         "-c", "unix_socket_directories=", "-c", "fsync=off", "-c", "synchronous_commit=off",
                         "-c", "full_page_writes=off", "-c", "max_connections=200", NULL };
  gboolean ok;

  *exited = FALSE;
  pg->port = free_port ();
  port = g_strdup_printf ("%u", pg->port);
  argv[4] = port;
  c->log_fd = open (log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  ok = g_spawn_async (pg->dir, (char **) argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, child_setup, c, &pg->pid, error);
  close (c->log_fd);
  c->log_fd = -1;
  if (!ok)
    return FALSE;

  conninfo = g_strdup_printf ("host=127.0.0.1 port=%u user=" PG_ROLE " dbname=postgres connect_timeout=5",
                              pg->port);
  for (guint i = 0; i < READY_ATTEMPTS; i++)
    {
      int status;

      if (PQping (conninfo) == PQPING_OK)
        return TRUE;
      if (waitpid (pg->pid, &status, WNOHANG) == pg->pid)
        {
          pg->pid = 0;
          *exited = TRUE;
          return FALSE;
        }
      g_usleep (20 * 1000);   /* between bounded attempts; readiness is the successful connection */
    }
  g_set_error (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT, "PostgreSQL did not accept connections");
  return FALSE;
}

MdnTestPg *
mdn_test_pg_start (GError **error)
{
  g_autoptr(MdnTestPg) pg = g_new0 (MdnTestPg, 1);
  ChildSetup c = { 0 };

  if (!mdn_test_pg_available ())
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "PostgreSQL 15 is not installed in %s", bindir ());
      return NULL;
    }
  if (!child_setup_init (&c, error))
    return NULL;
  pg->dir = g_dir_make_tmp ("mendian-pg-XXXXXX", error);
  if (pg->dir == NULL)
    return NULL;
  if (c.drop && chown (pg->dir, c.uid, c.gid) != 0)
    {
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (errno), "chown %s: %s", pg->dir, g_strerror (errno));
      return NULL;
    }
  if (!run_initdb (pg, &c, error))
    return NULL;
  for (guint attempt = 0; attempt < PORT_ATTEMPTS; attempt++)
    {
      gboolean exited;
      g_autoptr(GError) local = NULL;

      if (run_postgres (pg, &c, &exited, &local))
        {
          pg->uri = g_strdup_printf ("postgresql://" PG_ROLE "@127.0.0.1:%u/postgres", pg->port);
          return g_steal_pointer (&pg);
        }
      if (!exited)
        {
          g_propagate_error (error, g_steal_pointer (&local));
          return NULL;
        }
      /* Exited: most likely another process took the port first. */
    }
  {
    g_autofree char *log = read_log (pg);

    g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "PostgreSQL would not start: %s", log);
  }
  return NULL;
}

static MdnTestPg *shared_pg;

static void
shared_stop (void)
{
  g_clear_pointer (&shared_pg, mdn_test_pg_free);
}

MdnTestPg *
mdn_test_pg_shared (void)
{
  g_autoptr(GError) error = NULL;

  if (shared_pg)
    return shared_pg;
  if (!mdn_test_pg_available ())
    {
      g_test_skip ("PostgreSQL 15 is not installed");
      return NULL;
    }
  shared_pg = mdn_test_pg_start (&error);
  g_assert_no_error (error);
  atexit (shared_stop);
  return shared_pg;
}

static PGconn *
connect_ok (const char *uri)
{
  PGconn *conn = PQconnectdb (uri);

  if (PQstatus (conn) != CONNECTION_OK)
    g_error ("connecting to %s: %s", uri, PQerrorMessage (conn));
  return conn;
}

char *
mdn_test_pg_create_db (MdnTestPg  *pg,
                       const char *prefix)
{
  PGconn *conn = connect_ok (pg->uri);
  g_autofree char *name = NULL;
  g_autofree char *sql = NULL;
  PGresult *res;

  g_assert_nonnull (prefix);
  for (const char *p = prefix; *p; p++)
    g_assert_true (g_ascii_isalnum (*p) || *p == '_');
  /* An identifier we made from checked characters: it can't be bound. */
  name = g_strdup_printf ("%s_%u", prefix, ++pg->n_dbs);
  sql = g_strdup_printf ("CREATE DATABASE \"%s\"", name);
  res = PQexec (conn, sql);
  if (PQresultStatus (res) != PGRES_COMMAND_OK)
    g_error ("%s: %s", sql, PQerrorMessage (conn));
  PQclear (res);
  PQfinish (conn);
  return g_strdup_printf ("postgresql://" PG_ROLE "@127.0.0.1:%u/%s", pg->port, name);
}

void
mdn_test_pg_exec (PGconn     *conn,
                  const char *sql)
{
  PGresult *res = PQexec (conn, sql);

  if (PQresultStatus (res) != PGRES_COMMAND_OK && PQresultStatus (res) != PGRES_TUPLES_OK)
    g_error ("%s: %s", sql, PQerrorMessage (conn));
  PQclear (res);
}

gint64
mdn_test_pg_count (const char *uri,
                   const char *sql)
{
  PGconn *conn = connect_ok (uri);
  PGresult *res = PQexec (conn, sql);
  gint64 n;

  if (PQresultStatus (res) != PGRES_TUPLES_OK || PQntuples (res) != 1)
    g_error ("%s: %s", sql, PQerrorMessage (conn));
  n = g_ascii_strtoll (PQgetvalue (res, 0, 0), NULL, 10);
  PQclear (res);
  PQfinish (conn);
  return n;
}

static void
remove_tree (const char *path)
{
  GDir *dir = g_dir_open (path, 0, NULL);
  const char *name;

  if (dir == NULL)
    {
      g_remove (path);
      return;
    }
  while ((name = g_dir_read_name (dir)))
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR) && !g_file_test (child, G_FILE_TEST_IS_SYMLINK))
        remove_tree (child);
      else
        g_remove (child);
    }
  g_dir_close (dir);
  g_rmdir (path);
}

void
mdn_test_pg_free (MdnTestPg *pg)
{
  if (pg == NULL)
    return;
  if (pg->pid > 0)
    {
      int status;

      kill (pg->pid, SIGINT);   /* fast shutdown: ends every session */
      while (waitpid (pg->pid, &status, 0) < 0 && errno == EINTR)
        ;
    }
  if (pg->dir && g_getenv ("MENDIAN_KEEP_TEST_DB") == NULL)
    remove_tree (pg->dir);
  g_free (pg->dir);
  g_free (pg->uri);
  g_free (pg);
}
