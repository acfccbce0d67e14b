/* mendian-cli as a user runs it: init, exec, verify, backup, link, and refusals. */
#include <gio/gio.h>
#include <signal.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>

typedef struct
{
  char *dir;
  char *db;
  char *pwfile;
} Fixture;

static void
fixture_setup (Fixture *f, gconstpointer data)
{
  f->dir = g_dir_make_tmp ("mendian-cli-XXXXXX", NULL);
  f->db = g_build_filename (f->dir, "branch.db", NULL);
  f->pwfile = g_build_filename (f->dir, "pw", NULL);
  g_assert_true (g_file_set_contents (f->pwfile, "admin-pass\n", -1, NULL));
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
  g_autoptr(GDir) d = g_dir_open (f->dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *p = g_build_filename (f->dir, name, NULL);
      g_unlink (p);
    }
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->db);
  g_free (f->pwfile);
}

/* Runs mendian-cli with @args, @input on stdin; returns the exit status. */
static int
run_cli (const char  *input,
         char       **out,
         char       **err,
         const char  *password,
         ...)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                        G_SUBPROCESS_FLAGS_STDERR_PIPE);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GError) error = NULL;
  const char *cli = g_getenv ("MENDIAN_CLI");
  const char *arg;
  va_list ap;

  g_ptr_array_add (argv, (gpointer) (cli ? cli : "mendian-cli"));
  va_start (ap, password);
  while ((arg = va_arg (ap, const char *)))
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);

  if (password)
    g_subprocess_launcher_setenv (launcher, "MENDIAN_PASSWORD", password, TRUE);
  else
    g_subprocess_launcher_unsetenv (launcher, "MENDIAN_PASSWORD");
  proc = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata, &error);
  g_assert_no_error (error);
  g_subprocess_communicate_utf8 (proc, input, NULL, out, err, &error);
  g_assert_no_error (error);
  return g_subprocess_get_exit_status (proc);
}

static void
init_branch (Fixture *f)
{
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (run_cli (NULL, &out, &err, NULL, "--db", f->db, "init", "--branch-code", "B01",
                            "--branch-name", "一号店", "--branch-number", "1",
                            "--admin-password-file", f->pwfile, NULL), ==, 0);
  g_assert_nonnull (strstr (out, "\"branch_code\":\"B01\""));
}

static void
test_exec (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;
  g_auto(GStrv) lines = NULL;
  const char *input =
    "{\"op\":\"deposit_rule.upsert\",\"min_fen\":10000,\"bonus_fen\":1000}\n"
    "\n"
    "# a comment\n"
    "{\"op\":\"member.issue\",\"name\":\"张三\",\"phone\":\"13800000001\",\"deposit_fen\":20000}\n"
    "{\"op\":\"member.withdraw\",\"card\":\"13800000001\",\"amount_fen\":99999}\n"
    "this is not json\n"
    "{\"op\":\"member.show\",\"card\":\"00100000017\"}\n";

  init_branch (f);
  g_assert_cmpint (run_cli (input, &out, &err, "admin-pass", "--db", f->db, "--staff", "admin", "exec", NULL), ==, 1);
  lines = g_strsplit (g_strstrip (out), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 5);
  g_assert_true (g_str_has_prefix (lines[0], "{\"ok\":true"));
  g_assert_nonnull (strstr (lines[1], "\"card_no\":\"00100000017\""));
  g_assert_nonnull (strstr (lines[1], "\"balance_fen\":21000"));
  g_assert_nonnull (strstr (lines[2], "{\"ok\":false,\"error\":{\"code\":\"insufficient_principal\""));
  g_assert_nonnull (strstr (lines[3], "\"code\":\"invalid_argument\""));
  g_assert_nonnull (strstr (lines[4], "\"principal_fen\":20000"));
  g_assert_nonnull (strstr (lines[4], "\"bonus_fen\":1000"));

  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (NULL, &out, &err, NULL, "--db", f->db, "verify", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "verify: ok"));
}

/* One exec line of 100,000 nested '[' (json-glib recursed on it until the
 * CLI crashed), one of more than 1 MiB, then a good one: two clear
 * refusals, and the CLI goes on. */
static void
test_exec_hostile_lines (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;
  g_auto(GStrv) lines = NULL;
  g_autoptr(GString) input = g_string_new ("{\"op\":\"level.list\",\"x\":");

  for (int i = 0; i < 100000; i++)
    g_string_append_c (input, '[');
  g_string_append (input, "\n{\"op\":\"level.list\",\"x\":\"");
  for (int i = 0; i < 1100000; i++)
    g_string_append_c (input, 'x');
  g_string_append (input, "\"}\n{\"op\":\"level.list\"}\n");

  init_branch (f);
  g_assert_cmpint (run_cli (input->str, &out, &err, "admin-pass", "--db", f->db, "--staff", "admin", "exec", NULL),
                   ==, 1);
  lines = g_strsplit (g_strstrip (out), "\n", -1);
  g_assert_cmpuint (g_strv_length (lines), ==, 3);
  g_assert_nonnull (strstr (lines[0], "\"code\":\"invalid_argument\""));
  g_assert_nonnull (strstr (lines[0], "nested more than 32 levels deep"));
  g_assert_nonnull (strstr (lines[1], "\"code\":\"invalid_argument\""));
  g_assert_nonnull (strstr (lines[1], "longer than 1048576 bytes"));
  g_assert_true (g_str_has_prefix (lines[2], "{\"ok\":true"));
}

static void
test_all_ok_exit_zero (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;

  init_branch (f);
  g_assert_cmpint (run_cli ("{\"op\":\"level.list\"}\n", &out, &err, "admin-pass",
                            "--db", f->db, "--staff", "admin", "exec", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "\"code\":\"normal\""));
}

static void
test_login_refused (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;

  init_branch (f);
  g_assert_cmpint (run_cli ("{\"op\":\"level.list\"}\n", &out, &err, "wrong",
                            "--db", f->db, "--staff", "admin", "exec", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "auth_failed"));
  g_assert_cmpstr (out, ==, "");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli ("{\"op\":\"level.list\"}\n", &out, &err, NULL,
                            "--db", f->db, "--staff", "admin", "exec", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "password"));
}

static void
sql (Fixture    *f,
     const char *statement)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (f->db, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, statement, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

static void
test_verify_tampered (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;

  init_branch (f);
  g_assert_cmpint (run_cli ("{\"op\":\"member.issue\",\"name\":\"张三\",\"phone\":\"13800000001\",\"deposit_fen\":20000}\n",
                            &out, &err, "admin-pass", "--db", f->db, "--staff", "admin", "exec", NULL), ==, 0);
  sql (f, "UPDATE members SET principal_fen = 9990000");
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (NULL, &out, &err, NULL, "--db", f->db, "verify", NULL), ==, 1);
  g_assert_nonnull (strstr (out, "MISMATCH principal_fen 00100000017: expected 20000, found 9990000"));
}

static void
test_newer_schema (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;

  init_branch (f);
  sql (f, "PRAGMA user_version = 999");
  g_assert_cmpint (run_cli (NULL, &out, &err, NULL, "--db", f->db, "verify", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "schema_too_new"));
  g_assert_nonnull (strstr (err, "999"));
}

static void
test_init_refusals (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (run_cli (NULL, &out, &err, NULL, "--db", f->db, "init", "--branch-code", "B 1",
                            "--branch-name", "x", "--branch-number", "1",
                            "--admin-password-file", f->pwfile, NULL), ==, 2);
  g_assert_nonnull (strstr (err, "invalid_argument"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  init_branch (f);
  g_assert_cmpint (run_cli (NULL, &out, &err, NULL, "--db", f->db, "init", "--branch-code", "B02",
                            "--branch-name", "x", "--branch-number", "2",
                            "--admin-password-file", f->pwfile, NULL), ==, 2);
  g_assert_nonnull (strstr (err, "already_initialized"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli ("", &out, &err, "x", "--db", "/nonexistent/x.db", "--staff", "admin", "exec", NULL), ==, 2);
  g_assert_nonnull (strstr (err, "not_initialized"));
}

static void
test_backup (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *copy = g_build_filename (f->dir, "copy.db", NULL);

  init_branch (f);
  g_assert_cmpint (run_cli ("{\"op\":\"member.issue\",\"name\":\"张三\",\"phone\":\"13800000001\",\"deposit_fen\":100}\n",
                            &out, &err, "admin-pass", "--db", f->db, "--staff", "admin", "exec", NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (NULL, &out, &err, NULL, "--db", f->db, "backup", "--to", copy, NULL), ==, 0);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli ("{\"op\":\"member.show\",\"card\":\"13800000001\"}\n", &out, &err, "admin-pass",
                            "--db", copy, "--staff", "admin", "exec", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "\"balance_fen\":100"));
}

/* Every line exec answered ok is on disk, even if the process is killed
 * the next instant. */
static void
test_killed_midway (Fixture *f, gconstpointer data)
{
  g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                                        G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_autoptr(GSubprocess) proc = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GString) input = g_string_new ("{\"op\":\"member.issue\",\"name\":\"张三\",\"phone\":\"13800000001\"}\n");
  g_autoptr(GError) error = NULL;
  g_autofree char *show = NULL, *err = NULL;
  g_autofree char *expect = NULL;
  const char *cli = g_getenv ("MENDIAN_CLI");
  int acked = -1;

  init_branch (f);
  for (int i = 0; i < 400; i++)
    g_string_append (input, "{\"op\":\"member.deposit\",\"card\":\"13800000001\",\"amount_fen\":100}\n");

  g_subprocess_launcher_setenv (launcher, "MENDIAN_PASSWORD", "admin-pass", TRUE);
  proc = g_subprocess_launcher_spawn (launcher, &error, cli ? cli : "mendian-cli",
                                      "--db", f->db, "--staff", "admin", "exec", NULL);
  g_assert_no_error (error);
  g_output_stream_write_all (g_subprocess_get_stdin_pipe (proc), input->str, input->len, NULL, NULL, &error);
  g_assert_no_error (error);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (proc));
  /* Read 30 answers (the issue and 29 deposits), then kill it hard. */
  for (int i = 0; i < 30; i++)
    {
      g_autofree char *line = g_data_input_stream_read_line (out, NULL, NULL, &error);

      g_assert_no_error (error);
      g_assert_nonnull (line);
      g_assert_true (g_str_has_prefix (line, "{\"ok\":true"));
      acked++;
    }
  g_subprocess_send_signal (proc, SIGKILL);
  g_subprocess_wait (proc, NULL, NULL);

  g_assert_cmpint (run_cli ("{\"op\":\"member.show\",\"card\":\"13800000001\"}\n", &show, &err, "admin-pass",
                            "--db", f->db, "--staff", "admin", "exec", NULL), ==, 0);
  /* At least every acknowledged deposit, at most all of them. */
  {
    const char *p = strstr (show, "\"principal_fen\":");
    gint64 principal;

    g_assert_nonnull (p);
    principal = g_ascii_strtoll (p + strlen ("\"principal_fen\":"), NULL, 10);
    g_assert_cmpint (principal, >=, acked * 100);
    g_assert_cmpint (principal, <=, 400 * 100);
    g_assert_cmpint (principal % 100, ==, 0);
  }
  g_clear_pointer (&show, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (NULL, &show, &err, NULL, "--db", f->db, "verify", NULL), ==, 0);
}

static void
test_ops_list (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;

  g_assert_cmpint (run_cli (NULL, &out, &err, NULL, "ops", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "member.withdraw        manager  writes\n"));
  g_assert_nonnull (strstr (out, "member.show            cashier  reads\n"));
  g_assert_nonnull (strstr (out, "level.upsert           manager  writes, master data\n"));
  g_assert_nonnull (strstr (out, "staff.add              admin    writes\n"));
}

static guint
mode_of (const char *path)
{
  GStatBuf st;

  g_assert_cmpint (g_stat (path, &st), ==, 0);
  return st.st_mode & 0777;
}

/* A raw connection holding a read transaction, so that -wal and -shm exist. */
static sqlite3 *
open_reader (const char *path)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "BEGIN; SELECT count(*) FROM entries;", NULL, NULL, NULL), ==, SQLITE_OK);
  return db;
}

/* The database, its -wal and -shm, and backups hold the sync token, the
 * chain key and password and PIN hashes: 0600 whatever the umask, and a
 * database left 0644 by an older Mendian is made 0600 when opened. */
static void
test_files_private (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *copy = g_build_filename (f->dir, "copy.db", NULL);
  g_autofree char *wal = g_strconcat (f->db, "-wal", NULL);
  g_autofree char *shm = g_strconcat (f->db, "-shm", NULL);
  mode_t old = umask (022);
  sqlite3 *raw;

  init_branch (f);
  g_assert_cmpuint (mode_of (f->db), ==, 0600);
  raw = open_reader (f->db);
  g_assert_cmpuint (mode_of (wal), ==, 0600);
  g_assert_cmpuint (mode_of (shm), ==, 0600);
  sqlite3_close (raw);

  g_assert_cmpint (run_cli (NULL, &out, &err, NULL, "--db", f->db, "backup", "--to", copy, NULL), ==, 0);
  g_assert_cmpuint (mode_of (copy), ==, 0600);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  /* As an older Mendian left it. */
  g_assert_cmpint (g_chmod (f->db, 0644), ==, 0);
  raw = open_reader (f->db);
  g_assert_cmpuint (mode_of (wal), ==, 0644);
  g_assert_cmpint (run_cli (NULL, &out, &err, NULL, "--db", f->db, "verify", NULL), ==, 0);
  g_assert_cmpuint (mode_of (f->db), ==, 0600);
  g_assert_cmpuint (mode_of (wal), ==, 0600);
  g_assert_cmpuint (mode_of (shm), ==, 0600);
  sqlite3_close (raw);
  umask (old);
}

static char *
stored_token (Fixture *f)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  char *token = NULL;

  g_assert_cmpint (sqlite3_open (f->db, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT value FROM meta WHERE key = 'sync_token'", -1, &stmt, NULL), ==, SQLITE_OK);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    token = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  return token;
}

/* The token from a file or standard input, so that ps never shows it;
 * --token still works, with a warning. */
static void
test_link_token_file (Fixture *f, gconstpointer data)
{
  static const char tok1[] = "1111111111111111111111111111111111111111111111111111111111111111";
  static const char tok2[] = "2222222222222222222222222222222222222222222222222222222222222222";
  g_autofree char *out = NULL, *err = NULL, *token = NULL;
  g_autofree char *file = g_build_filename (f->dir, "token", NULL);
  g_autofree char *text = g_strdup_printf ("  %s \n", tok1);

  init_branch (f);
  g_assert_true (g_file_set_contents (file, text, -1, NULL));
  g_assert_cmpint (run_cli (NULL, &out, &err, NULL, "--db", f->db, "link", "--server", "http://127.0.0.1:9/",
                            "--token-file", file, NULL), ==, 0);
  g_assert_null (strstr (err, "warning"));
  token = stored_token (f);
  g_assert_cmpstr (token, ==, tok1);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&token, g_free);

  g_assert_cmpint (run_cli ("2222222222222222222222222222222222222222222222222222222222222222\n", &out, &err, NULL,
                            "--db", f->db, "link", "--server", "http://127.0.0.1:9/", "--token-file", "-", NULL), ==, 0);
  token = stored_token (f);
  g_assert_cmpstr (token, ==, tok2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_clear_pointer (&token, g_free);

  g_assert_cmpint (run_cli (NULL, &out, &err, NULL, "--db", f->db, "link", "--server", "http://127.0.0.1:9/",
                            "--token", tok1, NULL), ==, 0);
  g_assert_nonnull (strstr (err, "warning: --token"));
  token = stored_token (f);
  g_assert_cmpstr (token, ==, tok1);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);

  g_assert_cmpint (run_cli (NULL, &out, &err, NULL, "--db", f->db, "link", "--server", "http://127.0.0.1:9/",
                            "--token", tok1, "--token-file", file, NULL), ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli ("", &out, &err, NULL, "--db", f->db, "link", "--server", "http://127.0.0.1:9/",
                            "--token-file", "-", NULL), ==, 2);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (run_cli (NULL, &out, &err, NULL, "--db", f->db, "link", "--server", "http://127.0.0.1:9/",
                            "--token-file", "/nonexistent/token", NULL), ==, 2);
}

/* --help names every command, in English and, for a Chinese desktop, in
 * Chinese (every block of the usage translated, the option's words too). */
static void
test_help (Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL, *zh = NULL, *zh_err = NULL;
  g_autofree char *root = NULL, *localedir = NULL;
  g_autofree char *old_language = g_strdup (g_getenv ("LANGUAGE"));
  g_autofree char *old_lc_all = g_strdup (g_getenv ("LC_ALL"));
  const char *cli = g_getenv ("MENDIAN_CLI");

  g_assert_cmpint (run_cli (NULL, &out, &err, NULL, "--help", NULL), ==, 0);
  g_assert_nonnull (strstr (out, "Commands:"));
  g_assert_nonnull (strstr (out, "create a new branch database"));
  g_assert_nonnull (strstr (out, "Acting staff code"));

  if (cli == NULL)
    {
      g_test_skip ("MENDIAN_CLI is not set: no build tree to find the translations in");
      return;
    }
  /* build/client/cli/mendian-cli -> build/locale */
  root = g_path_get_dirname (cli);
  for (int i = 0; i < 2; i++)
    {
      char *up = g_path_get_dirname (root);

      g_free (root);
      root = up;
    }
  localedir = g_build_filename (root, "locale", NULL);
  g_setenv ("LANGUAGE", "zh_CN", TRUE);
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_setenv ("MENDIAN_LOCALEDIR", localedir, TRUE);
  g_assert_cmpint (run_cli (NULL, &zh, &zh_err, NULL, "--help", NULL), ==, 0);
  g_unsetenv ("MENDIAN_LOCALEDIR");
  if (old_language)
    g_setenv ("LANGUAGE", old_language, TRUE);
  else
    g_unsetenv ("LANGUAGE");
  if (old_lc_all)
    g_setenv ("LC_ALL", old_lc_all, TRUE);
  else
    g_unsetenv ("LC_ALL");

  g_assert_nonnull (strstr (zh, "命令："));
  g_assert_nonnull (strstr (zh, "新建门店数据库"));
  g_assert_nonnull (strstr (zh, "操作员工的工号"));
  g_assert_nonnull (strstr (zh, "Mendian 门店命令行"));
  g_assert_nonnull (strstr (zh, "环境变量："));
  /* The commands and their options stay as typed. */
  g_assert_nonnull (strstr (zh, "  export members --out FILE"));
  g_assert_null (strstr (zh, "Commands:"));
  g_assert_null (strstr (zh, "create a new branch database"));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/cli/help", Fixture, NULL, fixture_setup, test_help, fixture_teardown);
  g_test_add ("/cli/exec", Fixture, NULL, fixture_setup, test_exec, fixture_teardown);
  g_test_add ("/cli/exec/hostile-lines", Fixture, NULL, fixture_setup, test_exec_hostile_lines, fixture_teardown);
  g_test_add ("/cli/exec/all-ok-exits-zero", Fixture, NULL, fixture_setup, test_all_ok_exit_zero, fixture_teardown);
  g_test_add ("/cli/exec/login-refused", Fixture, NULL, fixture_setup, test_login_refused, fixture_teardown);
  g_test_add ("/cli/verify/tampered", Fixture, NULL, fixture_setup, test_verify_tampered, fixture_teardown);
  g_test_add ("/cli/newer-schema-refused", Fixture, NULL, fixture_setup, test_newer_schema, fixture_teardown);
  g_test_add ("/cli/init/refusals", Fixture, NULL, fixture_setup, test_init_refusals, fixture_teardown);
  g_test_add ("/cli/backup", Fixture, NULL, fixture_setup, test_backup, fixture_teardown);
  g_test_add ("/cli/files-private", Fixture, NULL, fixture_setup, test_files_private, fixture_teardown);
  g_test_add ("/cli/link/token-file", Fixture, NULL, fixture_setup, test_link_token_file, fixture_teardown);
  g_test_add ("/cli/ops", Fixture, NULL, fixture_setup, test_ops_list, fixture_teardown);
  g_test_add ("/cli/exec/killed-midway", Fixture, NULL, fixture_setup, test_killed_midway, fixture_teardown);
  return g_test_run ();
}
