/* test-pg.c: the throw-away PostgreSQL cluster (mdn-test-pg.h) and
 * mendian-server's PostgreSQL store on it: init, migrations, the branch and
 * token commands, answering like the SQLite store. */
#include <glib/gstdio.h>

#include "mdn-test-pg.h"
#include "mdn-test-server.h"

/* A cluster of its own starts, takes a database and is gone after. */
static void
test_cluster (void)
{
  g_autoptr(GError) error = NULL;
  MdnTestPg *pg;
  g_autofree char *dir = NULL;
  g_autofree char *uri = NULL;

  if (!mdn_test_pg_available ())
    {
      g_test_skip ("PostgreSQL 15 is not installed");
      return;
    }
  pg = mdn_test_pg_start (&error);
  g_assert_no_error (error);
  g_assert_nonnull (pg);
  g_assert_cmpuint (pg->port, >, 0);
  dir = g_strdup (pg->dir);
  g_assert_true (g_file_test (dir, G_FILE_TEST_IS_DIR));
  g_assert_cmpint (mdn_test_pg_count (pg->uri, "SELECT 41 + 1"), ==, 42);
  uri = mdn_test_pg_create_db (pg, "harness");
  g_assert_cmpint (mdn_test_pg_count (uri, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"), ==, 0);
  g_assert_cmpint (mdn_test_pg_count (uri, "SELECT (current_setting('listen_addresses') = '127.0.0.1')::int"), ==, 1);
  mdn_test_pg_free (pg);
  if (g_getenv ("MENDIAN_KEEP_TEST_DB") == NULL)
    g_assert_false (g_file_test (dir, G_FILE_TEST_EXISTS));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/pg/cluster", test_cluster);
  return g_test_run ();
}
