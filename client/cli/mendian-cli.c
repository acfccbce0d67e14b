/* mendian-cli: the scriptable front end of a branch. JSON lines in, JSON
 * lines out, over the same operations as the POS. */
#define G_LOG_DOMAIN "mendian-cli"

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <glib/gi18n-lib.h>
#include <locale.h>
#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "mdn-backup.h"
#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-member-filter.h"
#include "mdn-ops.h"
#include "mdn-reports.h"
#include "mdn-store.h"
#include "mdn-sync.h"

static char *opt_db = NULL;
static char *opt_staff = NULL;

/* The commands, a block each (translated one by one). */
static const char *const usage_blocks[] = {
  N_("Commands:\n"),
  N_("  init --branch-code B01 --branch-name NAME --branch-number N --admin-password-file FILE\n"
     "       [--hq] [--timezone Asia/Shanghai] [--chain-key-file FILE]\n"
     "                        create a new branch database\n"),
  N_("  exec                  read JSON operations from standard input, one per line,\n"
     "                        write one JSON result per line (needs --staff and\n"
     "                        MENDIAN_PASSWORD); exit status 1 if any failed\n"),
  N_("  verify                recompute every projection and check the hash chain;\n"
     "                        exit status 1 on any mismatch\n"),
  N_("  backup --to FILE      consistent copy of the database while it is in use\n"),
  N_("  backup --to-dir DIR [--keep N]\n"
     "                        the same into DIR named by branch and time, keeping the\n"
     "                        newest N (a daily backup from cron or a systemd timer)\n"),
  N_("  restore --from FILE   replace the database by a backup of the same branch that\n"
     "                        verifies clean; the database it replaces is kept beside it\n"),
  N_("  recover               fetch this branch's own entries the server holds beyond\n"
     "                        this database (a restored backup) and sync\n"),
  N_("  recover --server URL --token-file FILE --admin-password-file FILE\n"
     "       [--chain-key-file FILE] [--timezone TZ] [--ca FILE | --pin-sha256 HEX]\n"
     "                        no database yet: build it from the server's copy\n"),
  N_("  import members FILE.csv [--dry-run]\n"
     "                        issue the members of an old system's CSV (UTF-8 or\n"
     "                        GB18030) with their opening balances; all or nothing\n"
     "                        (needs --staff and MENDIAN_PASSWORD)\n"),
  N_("  export members --out FILE [--format csv|xlsx] [--filter JSON]\n"
     "                        the members member.filter selects (JSON: its arguments;\n"
     "                        none: every member), every row, as CSV with a BOM or\n"
     "                        Excel (needs --staff, a manager, and MENDIAN_PASSWORD)\n"),
  N_("  ops                   list the operations exec accepts, with the least role\n"
     "                        that may run each\n"),
  N_("  link --server URL --token-file FILE [--ca FILE | --pin-sha256 HEX]\n"
     "                        link the branch to mendian-server (again to change it);\n"
     "                        the token is the first line of FILE (- reads standard\n"
     "                        input); --token T still works but shows it to ps\n"),
  N_("  import products FILE.csv [--preview]\n"
     "                        import products from CSV (UTF-8 or GB18030, header by\n"
     "                        Chinese or English names): all rows or none, every bad\n"
     "                        row named by its line; --preview checks only (needs\n"
     "                        --staff and MENDIAN_PASSWORD)\n"),
  N_("  import template FILE.csv  write the import's template file\n"),
  N_("  report NAME --from D --to D [--format json|csv|xlsx] [--out FILE]\n"
     "       [--member CARD] [--served-by CODE] [--sku SKU] [--category PATH]\n"
     "                        a report of this branch, every row (needs --staff, a\n"
     "                        manager, and MENDIAN_PASSWORD); json or csv go to\n"
     "                        standard output without --out; report list names them\n"),
  N_("  sync [--watch]        push this branch's entries, pull the chain's; prints\n"
     "                        {pushed, pulled, acked_seq, feed_position}; --watch keeps\n"
     "                        syncing (one JSON line per sync) until interrupted\n"),
  "\n",
  N_("Environment:\n"
     "  MENDIAN_PASSWORD      the staff member's password for exec\n"
     "  MENDIAN_NOW           ISO 8601 time to use instead of the clock (tests, replays)\n"),
  "\n",
  N_("See docs/cli.md for every operation with an example.\n"),
};

static int
fail (const GError *error)
{
  g_printerr ("mendian-cli: %s (%s)\n", error->message, mdn_error_name (error));
  return 2;
}

static char *
read_secret_file (const char *path,
                  GError    **error)
{
  char *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  /* Only the line ending goes; a password may contain spaces. */
  text[strcspn (text, "\r\n")] = '\0';
  return text;
}

static int
cmd_init (int argc, char **argv)
{
  g_autofree char *code = NULL, *name = NULL, *pw_file = NULL, *tz = NULL, *key_file = NULL;
  g_autofree char *password = NULL, *key = NULL;
  int number = -1;
  gboolean hq = FALSE;
  GOptionEntry entries[] = {
    { "branch-code", 0, 0, G_OPTION_ARG_STRING, &code, "Branch code, like B01", "CODE" },
    { "branch-name", 0, 0, G_OPTION_ARG_STRING, &name, "Branch name", "NAME" },
    { "branch-number", 0, 0, G_OPTION_ARG_INT, &number, "Branch number 0-999 (first digits of its card numbers)", "N" },
    { "admin-password-file", 0, 0, G_OPTION_ARG_FILENAME, &pw_file, "File holding the admin password", "FILE" },
    { "hq", 0, 0, G_OPTION_ARG_NONE, &hq, "This is the head-office terminal", NULL },
    { "timezone", 0, 0, G_OPTION_ARG_STRING, &tz, "Time zone of business dates (default Asia/Shanghai)", "TZ" },
    { "chain-key-file", 0, 0, G_OPTION_ARG_FILENAME, &key_file, "File holding the chain's QR key (64 hex digits)", "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) oc = g_option_context_new ("- create a branch database");
  g_autoptr(GError) error = NULL;
  g_autoptr(MdnStore) store = NULL;
  g_autoptr(JsonObject) out = json_object_new ();
  MdnStoreInit init = { 0 };

  g_option_context_set_translation_domain (oc, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (oc, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    return fail (error);
  if (code == NULL || name == NULL || number < 0 || pw_file == NULL)
    {
      g_printerr ("mendian-cli: init needs --branch-code, --branch-name, --branch-number and --admin-password-file\n");
      return 2;
    }
  password = read_secret_file (pw_file, &error);
  if (password == NULL)
    return fail (error);
  if (key_file && (key = read_secret_file (key_file, &error)) == NULL)
    return fail (error);

  init.branch_code = code;
  init.branch_name = name;
  init.branch_number = number;
  init.hq = hq;
  init.timezone = tz;
  init.admin_password = password;
  init.chain_key_hex = key;
  store = mdn_store_init (opt_db, &init, &error);
  if (store == NULL)
    return fail (error);

  json_object_set_boolean_member (out, "ok", TRUE);
  json_object_set_string_member (out, "branch_code", store->branch_code);
  json_object_set_int_member (out, "branch_number", store->branch_number);
  json_object_set_boolean_member (out, "hq", store->hq);
  json_object_set_string_member (out, "admin", "admin");
  mdn_json_print (out);
  return 0;
}

/* The longest operation line exec reads; a longer one is read to its end
 * and refused, never held whole. */
#define EXEC_LINE_MAX (1024 * 1024)

/* One line of @in into @line, without its newline, of at most
 * EXEC_LINE_MAX bytes (*too_long if there was more). FALSE at the end. */
static gboolean
read_line (FILE     *in,
           GString  *line,
           gboolean *too_long)
{
  gboolean any = FALSE;
  int c;

  g_string_truncate (line, 0);
  *too_long = FALSE;
  while ((c = getc (in)) != EOF)
    {
      any = TRUE;
      if (c == '\n')
        return TRUE;
      if (line->len < EXEC_LINE_MAX)
        g_string_append_c (line, (char) c);
      else
        *too_long = TRUE;
    }
  return any;
}

static void
print_refusal (const char *code,
               const char *message)
{
  g_autoptr(JsonObject) out = json_object_new ();
  JsonObject *e = json_object_new ();

  json_object_set_boolean_member (out, "ok", FALSE);
  json_object_set_string_member (e, "code", code);
  json_object_set_string_member (e, "message", message);
  json_object_set_object_member (out, "error", e);
  mdn_json_print (out);
}

static int
cmd_exec (MdnStore *store)
{
  const char *password = g_getenv ("MENDIAN_PASSWORD");
  g_autoptr(GError) error = NULL;
  g_autoptr(MdnOpCtx) ctx = NULL;
  g_autoptr(GString) line = g_string_new (NULL);
  gboolean too_long;
  int status = 0;

  if (opt_staff == NULL)
    {
      g_printerr ("mendian-cli: exec needs --staff CODE and the password in MENDIAN_PASSWORD\n");
      return 2;
    }
  ctx = mdn_op_ctx_new (store, opt_staff, password, &error);
  if (ctx == NULL)
    return fail (error);

  while (read_line (stdin, line, &too_long))
    {
      g_autoptr(JsonObject) out = NULL;
      char *text;

      if (too_long)
        {
          g_autofree char *message = g_strdup_printf (_("The line is longer than %d bytes; nothing was done"),
                                                      EXEC_LINE_MAX);

          print_refusal ("invalid_argument", message);
          status = 1;
          continue;
        }
      /* A NUL byte would cut the line short unseen. */
      if (memchr (line->str, '\0', line->len) != NULL)
        {
          print_refusal ("invalid_argument", _("The line has a NUL byte; nothing was done"));
          status = 1;
          continue;
        }
      text = g_strstrip (line->str);
      if (*text == '\0' || *text == '#')
        continue;
      out = mdn_ops_run_line (ctx, text);
      if (!json_object_get_boolean_member (out, "ok"))
        status = 1;
      mdn_json_print (out);
    }
  if (ferror (stdin))
    {
      g_printerr ("mendian-cli: reading standard input: %s\n", g_strerror (errno));
      return 2;
    }
  return status;
}

/* import members FILE.csv [--dry-run]: the operation member.import with
 * the file's bytes. */
static int
cmd_import_members (MdnStore *store,
                    int       argc,
                    char    **argv)
{
  const char *password = g_getenv ("MENDIAN_PASSWORD");
  g_autoptr(GError) error = NULL;
  g_autoptr(MdnOpCtx) ctx = NULL;
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) out = NULL;
  g_autofree char *data = NULL;
  g_autofree char *b64 = NULL;
  gsize len = 0;
  gboolean dry_run = argc > 3 && g_str_equal (argv[3], "--dry-run");

  if (argc < 3 || !g_str_equal (argv[1], "members") || (argc > 3 && !dry_run) || argc > 4)
    {
      g_printerr ("mendian-cli: import members FILE.csv [--dry-run]\n");
      return 2;
    }
  if (opt_staff == NULL)
    {
      g_printerr ("mendian-cli: import needs --staff CODE and the password in MENDIAN_PASSWORD\n");
      return 2;
    }
  ctx = mdn_op_ctx_new (store, opt_staff, password, &error);
  if (ctx == NULL)
    return fail (error);
  if (!g_file_get_contents (argv[2], &data, &len, &error))
    return fail (error);
  b64 = g_base64_encode ((const guchar *) data, len);
  json_object_set_string_member (args, "data_base64", b64);
  json_object_set_boolean_member (args, "dry_run", dry_run);
  out = mdn_ops_run (ctx, "member.import", args, &error);
  if (out == NULL)
    {
      print_refusal (mdn_error_code_name (error->code), error->message);
      return 1;
    }
  json_object_set_boolean_member (out, "ok", TRUE);
  mdn_json_print (out);
  return 0;
}

static void
report_mismatch (const char *what,
                 const char *expected,
                 const char *found,
                 gpointer    user_data)
{
  g_print ("MISMATCH %s: expected %s, found %s\n", what, expected ? expected : "NULL",
           found ? found : "NULL");
}

static int
cmd_verify (MdnStore *store)
{
  g_autoptr(GError) error = NULL;
  guint n = 0;

  if (!mdn_ledger_verify (store, report_mismatch, NULL, &n, &error))
    return fail (error);
  if (n > 0)
    {
      g_print ("verify: %u mismatch%s\n", n, n == 1 ? "" : "es");
      return 1;
    }
  g_print ("verify: ok\n");
  return 0;
}

static int
cmd_backup (MdnStore *store, int argc, char **argv)
{
  g_autofree char *to = NULL, *to_dir = NULL;
  int keep = 0;
  GOptionEntry entries[] = {
    { "to", 0, 0, G_OPTION_ARG_FILENAME, &to, "Destination file", "FILE" },
    { "to-dir", 0, 0, G_OPTION_ARG_FILENAME, &to_dir, "Destination folder: a file named by branch and time", "DIR" },
    { "keep", 0, 0, G_OPTION_ARG_INT, &keep, "With --to-dir: keep the newest N backups of this branch there", "N" },
    { NULL }
  };
  g_autoptr(GOptionContext) oc = g_option_context_new ("- back up the branch database");
  g_autoptr(GError) error = NULL;

  g_option_context_set_translation_domain (oc, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (oc, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    return fail (error);
  if ((to == NULL) == (to_dir == NULL) || keep < 0 || (keep > 0 && to_dir == NULL))
    {
      g_printerr ("mendian-cli: backup needs --to FILE or --to-dir DIR [--keep N]\n");
      return 2;
    }
  if (to_dir)
    {
      /* A daily backup (cron, a systemd timer): mendian-B01-20261122-230000-000123.db,
         and only the newest N of this branch's kept (common/sync/mdn-backup.c, as the
         POS's daily backup). */
      g_autoptr(GDateTime) now = mdn_clock_now ();
      g_autoptr(GDateTime) local = store->tz ? g_date_time_to_timezone (now, store->tz) : g_date_time_to_local (now);

      if (!mdn_backup_to_dir (store->db, store->branch_code, to_dir, (guint) keep, local, FALSE, &to, &error))
        return fail (error);
      g_print ("{\"ok\":true,\"backup\":\"%s\"}\n", to);
      return 0;
    }
  if (!mdn_db_backup (store->db, to, &error))
    return fail (error);
  g_print ("{\"ok\":true,\"backup\":\"%s\"}\n", to);
  return 0;
}

/* The first line of @path, or of standard input for "-", without the
 * blanks around it (a token is hex). */
static char *
read_token_file (const char *path,
                 GError    **error)
{
  char *text = NULL;

  if (g_str_equal (path, "-"))
    {
      char line[1024];

      if (fgets (line, sizeof line, stdin) == NULL)
        {
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                               _("No token on standard input"));
          return NULL;
        }
      text = g_strdup (line);
      sodium_memzero (line, sizeof line);
    }
  else if (!g_file_get_contents (path, &text, NULL, error))
    return NULL;
  text[strcspn (text, "\r\n")] = '\0';
  return g_strstrip (text);
}

static int
cmd_restore (int argc, char **argv)
{
  g_autofree char *from = NULL;
  g_autofree char *side = NULL;
  GOptionEntry entries[] = {
    { "from", 0, 0, G_OPTION_ARG_FILENAME, &from, "Backup file", "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) oc = g_option_context_new ("- restore the branch database from a backup");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) out = json_object_new ();

  g_option_context_set_translation_domain (oc, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (oc, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    return fail (error);
  if (from == NULL)
    {
      g_printerr ("mendian-cli: restore needs --from FILE\n");
      return 2;
    }
  if (!mdn_store_restore (opt_db, from, &side, &error))
    return fail (error);
  json_object_set_boolean_member (out, "ok", TRUE);
  json_object_set_string_member (out, "restored", from);
  mdn_json_set_opt_string (out, "previous", side);
  mdn_json_print (out);
  return 0;
}

static int
cmd_recover (int argc, char **argv)
{
  g_autofree char *server = NULL, *token_file = NULL, *ca = NULL, *pin = NULL;
  g_autofree char *admin_file = NULL, *key_file = NULL, *tz = NULL;
  GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_STRING, &server, "Server URL (no database yet)", "URL" },
    { "token-file", 0, 0, G_OPTION_ARG_FILENAME, &token_file, "File whose first line is this branch's token", "FILE" },
    { "admin-password-file", 0, 0, G_OPTION_ARG_FILENAME, &admin_file, "Password of the new database's admin", "FILE" },
    { "chain-key-file", 0, 0, G_OPTION_ARG_FILENAME, &key_file, "The chain key (hex) head office holds", "FILE" },
    { "timezone", 0, 0, G_OPTION_ARG_STRING, &tz, "Time zone of the branch (default Asia/Shanghai)", "TZ" },
    { "ca", 0, 0, G_OPTION_ARG_FILENAME, &ca, "CA certificate(s) to verify the server with (PEM)", "FILE" },
    { "pin-sha256", 0, 0, G_OPTION_ARG_STRING, &pin, "SHA-256 of the server certificate (DER), hex", "HEX" },
    { NULL }
  };
  g_autoptr(GOptionContext) oc = g_option_context_new ("- rebuild this branch from the server's copy");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) out = json_object_new ();
  g_autoptr(MdnStore) store = NULL;
  gint64 recovered = 0;

  g_option_context_set_translation_domain (oc, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (oc, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    return fail (error);
  if (server == NULL)
    {
      store = mdn_store_open (opt_db, &error);
      if (store == NULL || !mdn_sync_recover (store, &recovered, NULL, &error))
        return fail (error);
    }
  else
    {
      g_autofree char *token = NULL, *password = NULL, *key = NULL;

      if (token_file == NULL || admin_file == NULL)
        {
          g_printerr ("mendian-cli: recover --server needs --token-file and --admin-password-file\n");
          return 2;
        }
      if ((token = read_token_file (token_file, &error)) == NULL ||
          (password = read_secret_file (admin_file, &error)) == NULL ||
          (key_file && (key = read_secret_file (key_file, &error)) == NULL))
        return fail (error);
      store = mdn_sync_recover_new (opt_db, server, token, ca, pin, password, key ? g_strstrip (key) : NULL,
                                    tz, &recovered, &error);
      sodium_memzero (token, strlen (token));
      sodium_memzero (password, strlen (password));
      if (store == NULL)
        return fail (error);
    }
  json_object_set_boolean_member (out, "ok", TRUE);
  json_object_set_string_member (out, "branch_code", store->branch_code);
  json_object_set_int_member (out, "recovered", recovered);
  mdn_json_print (out);
  return 0;
}

static int
cmd_link (MdnStore *store, int argc, char **argv)
{
  g_autofree char *server = NULL, *token = NULL, *token_file = NULL, *ca = NULL, *pin = NULL;
  GOptionEntry entries[] = {
    { "server", 0, 0, G_OPTION_ARG_STRING, &server, "Server URL, like https://hq.example.com:8443/", "URL" },
    { "token-file", 0, 0, G_OPTION_ARG_FILENAME, &token_file,
      "File whose first line is this branch's token from “mendian-server branch add” (- for standard input)", "FILE" },
    { "token", 0, 0, G_OPTION_ARG_STRING, &token, "The token itself (visible to other users in ps: prefer --token-file)", "T" },
    { "ca", 0, 0, G_OPTION_ARG_FILENAME, &ca, "CA certificate(s) to verify the server with (PEM)", "FILE" },
    { "pin-sha256", 0, 0, G_OPTION_ARG_STRING, &pin, "SHA-256 of the server certificate (DER), hex", "HEX" },
    { NULL }
  };
  g_autoptr(GOptionContext) oc = g_option_context_new ("- link the branch to the server");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) out = json_object_new ();
  gboolean ok;

  g_option_context_set_translation_domain (oc, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (oc, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    return fail (error);
  if (token && token_file)
    {
      g_printerr ("mendian-cli: give either --token-file or --token, not both\n");
      return 2;
    }
  if (token)
    g_printerr ("mendian-cli: warning: --token shows the token to every user of this computer "
                "(ps, shell history); use --token-file FILE or --token-file - instead\n");
  else if (token_file && (token = read_token_file (token_file, &error)) == NULL)
    return fail (error);
  ok = mdn_sync_link (store, server, token, ca, pin, &error);
  if (token)
    sodium_memzero (token, strlen (token));
  if (!ok)
    return fail (error);
  json_object_set_boolean_member (out, "ok", TRUE);
  json_object_set_string_member (out, "server", server);
  json_object_set_string_member (out, "branch_code", store->branch_code);
  mdn_json_print (out);
  return 0;
}

static void
print_sync (const MdnSyncResult *r,
            const GError        *error,
            gpointer             user_data)
{
  g_autoptr(JsonObject) out = json_object_new ();

  json_object_set_boolean_member (out, "ok", r != NULL);
  if (r)
    {
      json_object_set_int_member (out, "pushed", r->pushed);
      json_object_set_int_member (out, "pulled", r->pulled);
      json_object_set_int_member (out, "acked_seq", r->acked_seq);
      json_object_set_int_member (out, "feed_position", r->feed_position);
    }
  else
    {
      JsonObject *e = json_object_new ();

      json_object_set_string_member (e, "code", mdn_error_name (error));
      json_object_set_string_member (e, "message", error->message);
      json_object_set_object_member (out, "error", e);
    }
  mdn_json_print (out);
}

static gboolean
stop_watch (gpointer user_data)
{
  g_cancellable_cancel (user_data);
  return G_SOURCE_CONTINUE;
}

static int
cmd_sync (MdnStore *store, int argc, char **argv)
{
  gboolean watch = FALSE;
  int interval = 10;
  GOptionEntry entries[] = {
    { "watch", 0, 0, G_OPTION_ARG_NONE, &watch, "Keep syncing until interrupted", NULL },
    { "interval", 0, 0, G_OPTION_ARG_INT, &interval, "With --watch: seconds between syncs besides notices (default 10)", "S" },
    { NULL }
  };
  g_autoptr(GOptionContext) oc = g_option_context_new ("- sync with the server");
  g_autoptr(GError) error = NULL;
  MdnSyncResult result = { 0 };

  g_option_context_set_translation_domain (oc, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (oc, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    return fail (error);
  if (watch)
    {
      g_autoptr(GCancellable) cancellable = g_cancellable_new ();
      guint term = g_unix_signal_add (SIGTERM, stop_watch, cancellable);
      guint intr = g_unix_signal_add (SIGINT, stop_watch, cancellable);
      gboolean ok = mdn_sync_watch (store, (guint) MAX (interval, 1), print_sync, NULL, cancellable, &error);

      g_source_remove (term);
      g_source_remove (intr);
      if (!ok)
        return fail (error);
      return 0;
    }
  if (!mdn_sync_run (store, &result, NULL, &error))
    {
      print_sync (NULL, error, NULL);
      return fail (error);
    }
  print_sync (&result, NULL, NULL);
  return 0;
}

/* import products FILE.csv [--preview] | import template FILE.csv: the
 * file goes to product.import as base64 (it may be GB18030, not UTF-8). */
static int
cmd_import_products (MdnStore *store, int argc, char **argv)
{
  gboolean preview = FALSE;
  GOptionEntry entries[] = {
    { "preview", 0, 0, G_OPTION_ARG_NONE, &preview, "Check the file, import nothing", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) oc = g_option_context_new ("products FILE.csv | template FILE.csv");
  g_autoptr(GError) error = NULL;
  g_autoptr(MdnOpCtx) ctx = NULL;
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) out = NULL;
  g_autofree char *data = NULL;
  g_autofree char *b64 = NULL;
  gsize len = 0;
  gboolean template;

  g_option_context_set_translation_domain (oc, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (oc, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    return fail (error);
  if (argc != 3 || !(g_str_equal (argv[1], "products") || g_str_equal (argv[1], "template")))
    {
      g_printerr ("mendian-cli: import products FILE.csv [--preview] | import template FILE.csv\n");
      return 2;
    }
  template = g_str_equal (argv[1], "template");
  if (opt_staff == NULL)
    {
      g_printerr ("mendian-cli: import needs --staff CODE and the password in MENDIAN_PASSWORD\n");
      return 2;
    }
  ctx = mdn_op_ctx_new (store, opt_staff, g_getenv ("MENDIAN_PASSWORD"), &error);
  if (ctx == NULL)
    return fail (error);
  if (template)
    {
      g_autofree char *line = NULL;

      json_object_set_string_member (args, "op", "product.import_template");
      line = mdn_json_object_to_string (args);
      out = mdn_ops_run_line (ctx, line);
      if (json_object_get_boolean_member (out, "ok") &&
          !g_file_set_contents (argv[2], json_object_get_string_member (out, "csv"), -1, &error))
        return fail (error);
      if (json_object_get_boolean_member (out, "ok"))
        {
          json_object_remove_member (out, "csv");
          json_object_set_string_member (out, "file", argv[2]);
        }
    }
  else
    {
      if (!g_file_get_contents (argv[2], &data, &len, &error))
        return fail (error);
      b64 = g_base64_encode ((const guchar *) data, len);
      json_object_set_string_member (args, "data_base64", b64);
      json_object_set_boolean_member (args, "preview", preview);
      json_object_set_string_member (args, "op", "product.import");
      {
        g_autofree char *line = mdn_json_object_to_string (args);

        out = mdn_ops_run_line (ctx, line);
      }
    }
  mdn_json_print (out);
  return json_object_get_boolean_member (out, "ok") ? 0 : 1;
}

/* import members … | import products … | import template …. */
static int
cmd_import (MdnStore *store,
            int       argc,
            char    **argv)
{
  if (argc >= 2 && g_str_equal (argv[1], "members"))
    return cmd_import_members (store, argc, argv);
  return cmd_import_products (store, argc, argv);
}

/* export members --out FILE [--format csv|xlsx] [--filter JSON]. */
static int
cmd_export (MdnStore *store, int argc, char **argv)
{
  g_autofree char *format_name = NULL, *out = NULL, *filter_text = NULL;
  GOptionEntry entries[] = {
    { "format", 0, 0, G_OPTION_ARG_STRING, &format_name, "csv (default) or xlsx", "FORMAT" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "Write to FILE", "FILE" },
    { "filter", 0, 0, G_OPTION_ARG_STRING, &filter_text, "member.filter's arguments as JSON", "JSON" },
    { NULL }
  };
  g_autoptr(GOptionContext) oc = g_option_context_new ("members - the member list as a file");
  g_autoptr(GError) error = NULL;
  g_autoptr(MdnOpCtx) ctx = NULL;
  g_autoptr(JsonObject) filter = NULL;
  MdnReportFormat format = MDN_REPORT_CSV;
  gint64 rows = 0;

  g_option_context_set_translation_domain (oc, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (oc, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    return fail (error);
  if (argc != 2 || !g_str_equal (argv[1], "members") || out == NULL)
    {
      g_printerr ("mendian-cli: export members --out FILE [--format csv|xlsx] [--filter JSON]\n");
      return 2;
    }
  if (format_name && (!mdn_report_format_parse (format_name, &format) || format == MDN_REPORT_JSON))
    {
      g_printerr ("mendian-cli: --format is csv or xlsx\n");
      return 2;
    }
  if (filter_text)
    {
      g_autoptr(JsonNode) node = json_from_string (filter_text, &error);

      if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
        {
          g_printerr ("mendian-cli: --filter is a JSON object of member.filter's arguments\n");
          return 2;
        }
      filter = json_object_ref (json_node_get_object (node));
    }
  if (opt_staff == NULL)
    {
      g_printerr ("mendian-cli: export needs --staff CODE and the password in MENDIAN_PASSWORD\n");
      return 2;
    }
  ctx = mdn_op_ctx_new (store, opt_staff, g_getenv ("MENDIAN_PASSWORD"), &error);
  if (ctx == NULL)
    return fail (error);
  if (!mdn_member_filter_export (ctx, filter, format, out, NULL, &rows, &error))
    {
      print_refusal (mdn_error_code_name (error->code), error->message);
      return 1;
    }
  g_print ("{\"ok\":true,\"rows\":%" G_GINT64_FORMAT "}\n", rows);
  return 0;
}

static int
cmd_report (MdnStore *store, int argc, char **argv)
{
  g_autofree char *from = NULL, *to = NULL, *format_name = NULL, *out = NULL;
  g_autofree char *member = NULL, *served_by = NULL, *sku = NULL, *category = NULL;
  GOptionEntry entries[] = {
    { "from", 0, 0, G_OPTION_ARG_STRING, &from, "First business date", "YYYY-MM-DD" },
    { "to", 0, 0, G_OPTION_ARG_STRING, &to, "Last business date (default: --from)", "YYYY-MM-DD" },
    { "format", 0, 0, G_OPTION_ARG_STRING, &format_name, "json (default), csv or xlsx", "FORMAT" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "Write to FILE (needed for xlsx)", "FILE" },
    { "member", 0, 0, G_OPTION_ARG_STRING, &member, "Only this card", "CARD" },
    { "served-by", 0, 0, G_OPTION_ARG_STRING, &served_by, "Only rows of this staff member", "CODE" },
    { "sku", 0, 0, G_OPTION_ARG_STRING, &sku, "Only this product", "SKU" },
    { "category", 0, 0, G_OPTION_ARG_STRING, &category, "Only this category and those under it", "PATH" },
    { NULL }
  };
  g_autoptr(GOptionContext) oc = g_option_context_new ("NAME - a report of this branch");
  g_autoptr(GError) error = NULL;
  g_autoptr(MdnOpCtx) ctx = NULL;
  g_autofree char *tmp = NULL;
  MdnReportFormat format = MDN_REPORT_JSON;
  MdnReportQuery q = { 0 };
  gint64 rows = 0;

  g_option_context_set_translation_domain (oc, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (oc, entries, GETTEXT_PACKAGE);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    return fail (error);
  if (argc == 2 && g_str_equal (argv[1], "list"))
    {
      const MdnReportDef *const *all = mdn_reports ();

      for (guint i = 0; all[i]; i++)
        g_print ("%-16s %s\n", all[i]->name, _(all[i]->title));
      return 0;
    }
  if (argc != 2 || from == NULL)
    {
      g_printerr ("mendian-cli: report needs a report name and --from YYYY-MM-DD (mendian-cli report list)\n");
      return 2;
    }
  if (format_name && !mdn_report_format_parse (format_name, &format))
    {
      g_printerr ("mendian-cli: --format is json, csv or xlsx\n");
      return 2;
    }
  if (format == MDN_REPORT_XLSX && out == NULL)
    {
      g_printerr ("mendian-cli: an xlsx report needs --out FILE\n");
      return 2;
    }
  if (opt_staff == NULL)
    {
      g_printerr ("mendian-cli: report needs --staff CODE and the password in MENDIAN_PASSWORD\n");
      return 2;
    }
  ctx = mdn_op_ctx_new (store, opt_staff, g_getenv ("MENDIAN_PASSWORD"), &error);
  if (ctx == NULL)
    return fail (error);
  q.from = from;
  q.to = to ? to : from;
  q.member = member;
  q.staff = served_by;
  q.sku = sku;
  q.category = category;
  if (out == NULL)
    {
      int fd = g_file_open_tmp ("mendian-report-XXXXXX", &tmp, &error);

      if (fd < 0)
        return fail (error);
      close (fd);
    }
  if (!mdn_report_branch_export (ctx, argv[1], &q, format, out ? out : tmp, NULL, &rows, &error))
    {
      if (tmp)
        g_unlink (tmp);
      return fail (error);
    }
  if (tmp)
    {
      g_autofree char *text = NULL;
      gsize len = 0;
      gboolean ok = g_file_get_contents (tmp, &text, &len, &error);

      g_unlink (tmp);
      if (!ok)
        return fail (error);
      fwrite (text, 1, len, stdout);
      if (format == MDN_REPORT_JSON)
        fputc ('\n', stdout);
      fflush (stdout);
    }
  else
    g_printerr ("mendian-cli: %" G_GINT64_FORMAT " rows written to %s\n", rows, out);
  return 0;
}

int
main (int argc, char **argv)
{
  GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &opt_db, N_("Branch database file"), N_("FILE") },
    { "staff", 0, 0, G_OPTION_ARG_STRING, &opt_staff, N_("Acting staff code (password in MENDIAN_PASSWORD)"), N_("CODE") },
    { NULL }
  };
  g_autoptr(GOptionContext) oc = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(MdnStore) store = NULL;
  const char *command;

  setlocale (LC_ALL, "");
  mdn_branch_init ();
  textdomain (GETTEXT_PACKAGE);

  oc = g_option_context_new (N_("COMMAND [OPTIONS] - Mendian branch command line"));
  {
    g_autoptr(GString) usage = g_string_new (NULL);

    for (guint i = 0; i < G_N_ELEMENTS (usage_blocks); i++)
      g_string_append (usage, usage_blocks[i][0] == '\n' ? usage_blocks[i] : _(usage_blocks[i]));
    g_option_context_set_description (oc, usage->str);
  }
  g_option_context_set_translation_domain (oc, GETTEXT_PACKAGE);
  g_option_context_add_main_entries (oc, entries, GETTEXT_PACKAGE);
  g_option_context_set_strict_posix (oc, TRUE);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    return fail (error);
  if (argc < 2)
    {
      g_autofree char *help = g_option_context_get_help (oc, TRUE, NULL);
      g_printerr ("%s", help);
      return 2;
    }
  command = argv[1];

  if (g_str_equal (command, "ops"))
    {
      g_autoptr(GPtrArray) defs = mdn_ops_list_all ();

      for (guint i = 0; i < defs->len; i++)
        {
          const MdnOpDef *d = g_ptr_array_index (defs, i);

          g_print ("%-22s %-8s %s%s\n", d->name, mdn_role_name (d->min_role),
                   (d->flags & MDN_OP_WRITE) ? "writes" : "reads",
                   (d->flags & MDN_OP_HQ) ? ", master data" : "");
        }
      return 0;
    }
  if (opt_db == NULL)
    {
      g_printerr ("mendian-cli: --db FILE is required\n");
      return 2;
    }
  if (g_str_equal (command, "init"))
    return cmd_init (argc - 1, argv + 1);
  if (g_str_equal (command, "restore"))
    return cmd_restore (argc - 1, argv + 1);
  if (g_str_equal (command, "recover"))
    return cmd_recover (argc - 1, argv + 1);

  store = mdn_store_open (opt_db, &error);
  if (store == NULL)
    return fail (error);
  if (g_str_equal (command, "exec"))
    return cmd_exec (store);
  if (g_str_equal (command, "verify"))
    return cmd_verify (store);
  if (g_str_equal (command, "backup"))
    return cmd_backup (store, argc - 1, argv + 1);
  if (g_str_equal (command, "link"))
    return cmd_link (store, argc - 1, argv + 1);
  if (g_str_equal (command, "sync"))
    return cmd_sync (store, argc - 1, argv + 1);
  if (g_str_equal (command, "report"))
    return cmd_report (store, argc - 1, argv + 1);
  if (g_str_equal (command, "import"))
    return cmd_import (store, argc - 1, argv + 1);
  if (g_str_equal (command, "export"))
    return cmd_export (store, argc - 1, argv + 1);

  g_printerr ("mendian-cli: unknown command “%s”; run mendian-cli --help\n", command);
  return 2;
}
