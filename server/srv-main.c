/* mendian-server: merges every branch's ledger; command line and main(). */
#define G_LOG_DOMAIN "srv-main"

#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <errno.h>
#include <locale.h>
#include <string.h>

#include "mdn-db.h"
#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-ops.h"
#include "mdn-store.h"
#include "srv-authorize.h"
#include "srv-server.h"
#include "srv-sms.h"
#include "srv-store.h"
#include "srv-store-console.h"

static char *opt_db = NULL;

static const char usage_text[] =
  "Commands:\n"
  "  init                  create the server database and the chain key\n"
  "  chain-key             print the chain's QR key (hex) for “mendian-cli init --chain-key-file”\n"
  "  branch add --code B01 --name NAME --number N [--hq]\n"
  "                        register a branch (or, with --hq, the head-office terminal);\n"
  "                        prints {\"token\": ...}, shown only this once\n"
  "  branch revoke --code B01   the branch's token stops working at once\n"
  "  branch rotate --code B01   a new token for the branch (the old one stops working)\n"
  "  branch list           the branches with their high-water marks\n"
  "  token add --name NAME --role hq\n"
  "                        a head-office API token (reports, exceptions, metrics)\n"
  "  user add --name NAME --role hq-admin|hq-viewer|region --password-file FILE\n"
  "           [--branches B01,B02]\n"
  "                        a web console account (region: only those branches)\n"
  "  serve --listen HOST:PORT [--tls-cert PEM --tls-key PEM] [--insecure]\n"
  "        [--max-body BYTES] [--auth-ttl SECONDS] [--idle-timeout SECONDS]\n"
  "        [--header-timeout SECONDS] [--ws-ping SECONDS]\n"
  "        [--sms-retry-base SECONDS]\n"
  "        [--console-hq FILE] [--console-hq-code CODE] [--console-idle SECONDS]\n"
  "        [--report-dsn postgresql://...]\n"
  "                        serve the API; prints “listening on URL” first\n"
  "  sms gateway --driver aliyun|tencent|webhook|log [--url URL] [--key-id ID]\n"
  "              [--secret-file F] [--sign-name NAME] [--app-id ID]\n"
  "                        the gateway the server sends SMS through (the secret is kept, never shown)\n"
  "  sms template --event EVENT (--text TEXT | --template-code CODE)\n"
  "  sms outbox [--status queued|sending|retrying|sent|failed]\n"
  "  backup --to FILE [--console-hq FILE]\n"
  "                        SQLite: a consistent copy of the server database while it serves,\n"
  "                        and of the console's head-office terminal beside it (FILE-console-hq.db);\n"
  "                        on PostgreSQL use pg_dump or a base backup (docs/server.md, Backup and restore)\n"
  "  restore --from FILE   SQLite, the server stopped: put the database back from such a copy\n"
  "                        (the one it replaces is kept as DB.replaced-TIME) and mark it restored\n"
  "  restored              mark a database put back from a backup (pg_restore ...): every branch\n"
  "                        pulls the feed again from the start at its next sync\n"
  "\n"
  "See docs/server.md.\n";

static int
fail (const GError *error)
{
  g_printerr ("mendian-server: %s (%s)\n", error->message, srv_error_code_name (error));
  return 2;
}

static int
print_token (const char *token)
{
  g_autoptr(JsonObject) out = json_object_new ();

  json_object_set_string_member (out, "token", token);
  mdn_json_print (out);
  return 0;
}

static int
cmd_init (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SrvStore) store = srv_store_open (opt_db, TRUE, &error);
  g_autoptr(JsonObject) out = srv_json_ok (json_object_new ());

  if (store == NULL)
    return fail (error);
  if (!srv_store_feed_epoch_renew (store, FALSE, &error))
    return fail (error);
  json_object_set_string_member (out, "db", opt_db);
  mdn_json_print (out);
  return 0;
}

/* restored: the database was put back from a backup; a new feed epoch
 * makes every branch pull the feed again from 0, so that no entry that
 * gets a feed position they have seen already is missed. */
static int
cmd_restored (SrvStore *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) out = srv_json_ok (json_object_new ());
  g_autofree char *epoch = NULL;

  if (!srv_store_feed_epoch_renew (store, FALSE, &error))
    return fail (error);
  epoch = srv_store_feed_epoch_dup (store);
  json_object_set_string_member (out, "feed_epoch", epoch);
  mdn_json_print (out);
  return 0;
}

/* restore --from FILE (SQLite, the server stopped): the database is put
 * aside (DB.replaced-TIME), FILE copied in its place, and marked restored. */
static int
cmd_restore (int argc, char **argv)
{
  g_autofree char *from = NULL, *aside = NULL;
  GOptionEntry entries[] = {
    { "from", 0, 0, G_OPTION_ARG_FILENAME, &from, "A copy made by backup --to", "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) oc = g_option_context_new ("- put the server database back from a backup");
  g_autoptr(GError) error = NULL;
  g_autoptr(SrvStore) store = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_utc ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");

  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    return fail (error);
  if (srv_store_is_pg_uri (opt_db))
    {
      g_printerr ("mendian-server: %s\n",
                  _("A PostgreSQL chain is restored by PostgreSQL itself; then run “mendian-server --db URI "
                    "restored” before serving (docs/server.md, “Backup and restore”)"));
      return 2;
    }
  if (from == NULL)
    {
      g_printerr ("mendian-server: restore needs --from FILE\n");
      return 2;
    }
  if (!g_file_test (from, G_FILE_TEST_IS_REGULAR))
    {
      g_printerr ("mendian-server: %s: %s\n", from, g_strerror (ENOENT));
      return 2;
    }
  aside = g_strdup_printf ("%s.replaced-%s", opt_db, stamp);
  for (int n = 2; g_file_test (aside, G_FILE_TEST_EXISTS); n++)
    {
      g_free (aside);
      aside = g_strdup_printf ("%s.replaced-%s-%d", opt_db, stamp, n);
    }
  for (const char *const *suffix = (const char *const[]) { "", "-wal", "-shm", NULL }; *suffix; suffix++)
    {
      g_autofree char *path = g_strconcat (opt_db, *suffix, NULL);
      g_autofree char *to = g_strconcat (aside, *suffix, NULL);

      if (g_file_test (path, G_FILE_TEST_EXISTS) && g_rename (path, to) != 0)
        {
          g_printerr ("mendian-server: %s → %s: %s\n", path, to, g_strerror (errno));
          return 2;
        }
    }
  /* The copy, not the backup, is what opening migrates; one that doesn't
     open as a server database puts the old one back. */
  {
    g_autoptr(GFile) src = g_file_new_for_path (from);
    g_autoptr(GFile) dest = g_file_new_for_path (opt_db);

    if (g_file_copy (src, dest, G_FILE_COPY_NONE, NULL, NULL, NULL, &error) && g_chmod (opt_db, 0600) == 0)
      store = srv_store_open (opt_db, FALSE, &error);
    if (store == NULL)
      {
        g_unlink (opt_db);
        for (const char *const *suffix = (const char *const[]) { "", "-wal", "-shm", NULL }; *suffix; suffix++)
          {
            g_autofree char *path = g_strconcat (opt_db, *suffix, NULL);
            g_autofree char *back = g_strconcat (aside, *suffix, NULL);

            if (g_file_test (back, G_FILE_TEST_EXISTS))
              g_rename (back, path);
          }
        if (error == NULL)
          g_set_error (&error, G_FILE_ERROR, G_FILE_ERROR_PERM, "chmod %s: %s", opt_db, g_strerror (errno));
        g_prefix_error (&error, _("%s is not a server database this program can open; nothing changed: "), from);
        return fail (error);
      }
  }
  if (!srv_store_feed_epoch_renew (store, FALSE, &error))
    return fail (error);
  {
    g_autoptr(JsonObject) out = srv_json_ok (json_object_new ());
    g_autofree char *epoch = srv_store_feed_epoch_dup (store);

    json_object_set_string_member (out, "restored", opt_db);
    json_object_set_string_member (out, "replaced", aside);
    json_object_set_string_member (out, "feed_epoch", epoch);
    mdn_json_print (out);
  }
  return 0;
}

static JsonArray *
branch_list_json (GPtrArray *list)
{
  JsonArray *array = json_array_new ();

  for (guint i = 0; i < list->len; i++)
    {
      SrvBranchInfo *info = g_ptr_array_index (list, i);
      JsonObject *o = json_object_new ();

      json_object_set_string_member (o, "code", info->code);
      json_object_set_string_member (o, "name", info->name);
      json_object_set_int_member (o, "number", info->number);
      json_object_set_boolean_member (o, "hq", info->hq);
      json_object_set_boolean_member (o, "revoked", info->revoked);
      json_object_set_int_member (o, "acked_seq", info->acked_seq);
      if (info->last_push_at)
        json_object_set_string_member (o, "last_push_at", info->last_push_at);
      else
        json_object_set_null_member (o, "last_push_at");
      json_array_add_object_element (array, o);
    }
  return array;
}

static int
cmd_branch (SrvStore *store, int argc, char **argv)
{
  g_autofree char *code = NULL, *name = NULL;
  int number = -1;
  gboolean hq = FALSE;
  GOptionEntry entries[] = {
    { "code", 0, 0, G_OPTION_ARG_STRING, &code, "Branch code, like B01", "CODE" },
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, "Branch name", "NAME" },
    { "number", 0, 0, G_OPTION_ARG_INT, &number, "Branch number 0-999", "N" },
    { "hq", 0, 0, G_OPTION_ARG_NONE, &hq, "The head-office terminal", NULL },
    { NULL }
  };
  g_autoptr(GOptionContext) oc = g_option_context_new ("add|revoke|rotate|list - manage branches");
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  const char *sub;

  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    return fail (error);
  sub = argc > 1 ? argv[1] : "";
  if (g_str_equal (sub, "list"))
    {
      g_autoptr(GPtrArray) list = srv_store_branch_list (store, &error);
      g_autoptr(JsonObject) out = json_object_new ();

      if (list == NULL)
        return fail (error);
      json_object_set_array_member (out, "branches", branch_list_json (list));
      mdn_json_print (out);
      return 0;
    }
  if (code == NULL)
    {
      g_printerr ("mendian-server: branch %s needs --code\n", sub);
      return 2;
    }
  if (g_str_equal (sub, "add"))
    token = srv_store_branch_add (store, code, name, number, hq, &error);
  else if (g_str_equal (sub, "rotate"))
    token = srv_store_branch_rotate (store, code, &error);
  else if (g_str_equal (sub, "revoke"))
    {
      g_autoptr(JsonObject) out = srv_json_ok (json_object_new ());

      if (!srv_store_branch_revoke (store, code, &error))
        return fail (error);
      json_object_set_string_member (out, "revoked", code);
      mdn_json_print (out);
      return 0;
    }
  else
    {
      g_printerr ("mendian-server: branch add|revoke|rotate|list\n");
      return 2;
    }
  if (token == NULL)
    return fail (error);
  return print_token (token);
}

static int
cmd_token (SrvStore *store, int argc, char **argv)
{
  g_autofree char *name = NULL, *role = NULL;
  GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, "Who the token is for", "NAME" },
    { "role", 0, 0, G_OPTION_ARG_STRING, &role, "Role: hq", "ROLE" },
    { NULL }
  };
  g_autoptr(GOptionContext) oc = g_option_context_new ("add - head-office API tokens");
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    return fail (error);
  if (argc < 2 || !g_str_equal (argv[1], "add"))
    {
      g_printerr ("mendian-server: token add --name NAME --role hq\n");
      return 2;
    }
  token = srv_store_token_add (store, name, role ? role : "hq", &error);
  if (token == NULL)
    return fail (error);
  return print_token (token);
}

/* sms gateway|template|outbox (server/notify/srv-sms.c). */
static int
cmd_sms (SrvStore *store, int argc, char **argv)
{
  g_autofree char *driver = NULL, *url = NULL, *key_id = NULL, *secret_file = NULL, *sign_name = NULL;
  g_autofree char *app_id = NULL, *event = NULL, *text = NULL, *code = NULL, *status = NULL;
  GOptionEntry entries[] = {
    { "driver", 0, 0, G_OPTION_ARG_STRING, &driver, "aliyun, tencent, webhook or log", "DRIVER" },
    { "url", 0, 0, G_OPTION_ARG_STRING, &url, "The gateway's endpoint (log: the file)", "URL" },
    { "key-id", 0, 0, G_OPTION_ARG_STRING, &key_id, "AccessKeyId / SecretId", "ID" },
    { "secret-file", 0, 0, G_OPTION_ARG_FILENAME, &secret_file, "File holding the secret (first line)", "FILE" },
    { "sign-name", 0, 0, G_OPTION_ARG_STRING, &sign_name, "The SMS signature (签名)", "NAME" },
    { "app-id", 0, 0, G_OPTION_ARG_STRING, &app_id, "Tencent SmsSdkAppId", "ID" },
    { "event", 0, 0, G_OPTION_ARG_STRING, &event, "issue, deposit, spend, withdraw, lost, birthday, campaign", "EVENT" },
    { "text", 0, 0, G_OPTION_ARG_STRING, &text, "The message with {name} {card} {amount} {balance} {shop}", "TEXT" },
    { "template-code", 0, 0, G_OPTION_ARG_STRING, &code, "The gateway's template code or id", "CODE" },
    { "status", 0, 0, G_OPTION_ARG_STRING, &status, "Only messages in this state", "S" },
    { NULL }
  };
  g_autoptr(GOptionContext) oc = g_option_context_new ("gateway|template|outbox - SMS");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) out = NULL;
  const char *sub;

  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    return fail (error);
  sub = argc > 1 ? argv[1] : "";
  if (g_str_equal (sub, "gateway"))
    {
      g_autofree char *secret = NULL;
      SrvSmsGatewayConfig config = { driver, url, key_id, NULL, sign_name, app_id };

      if (secret_file)
        {
          if (!g_file_get_contents (secret_file, &secret, NULL, &error))
            return fail (error);
          g_strdelimit (secret, "\r\n", '\0');
          config.secret = secret;
        }
      if (driver && !srv_sms_set_gateway (store, &config, &error))
        return fail (error);
      if (secret)
        memset (secret, 0, strlen (secret));
      out = srv_sms_gateway_show (store, &error);
    }
  else if (g_str_equal (sub, "template"))
    {
      if (!srv_sms_set_template (store, event, text, code, &error))
        return fail (error);
      out = json_object_new ();
      json_object_set_string_member (out, "event", event);
    }
  else if (g_str_equal (sub, "outbox"))
    {
      JsonArray *list = srv_sms_outbox_list (store, status, &error);

      if (list == NULL)
        return fail (error);
      out = json_object_new ();
      json_object_set_array_member (out, "messages", list);
    }
  else
    {
      g_printerr ("mendian-server: sms gateway|template|outbox\n");
      return 2;
    }
  if (out == NULL)
    return fail (error);
  out = srv_json_ok (g_steal_pointer (&out));
  mdn_json_print (out);
  return 0;
}

static int
cmd_user (SrvStore *store, int argc, char **argv)
{
  g_autofree char *name = NULL, *role = NULL, *password_file = NULL, *branches = NULL;
  GOptionEntry entries[] = {
    { "name", 0, 0, G_OPTION_ARG_STRING, &name, "The user's login name", "NAME" },
    { "role", 0, 0, G_OPTION_ARG_STRING, &role, "hq-admin, hq-viewer or region", "ROLE" },
    { "password-file", 0, 0, G_OPTION_ARG_FILENAME, &password_file, "File whose first line is the password", "FILE" },
    { "branches", 0, 0, G_OPTION_ARG_STRING, &branches, "A region user's branches", "B01,B02" },
    { NULL }
  };
  g_autoptr(GOptionContext) oc = g_option_context_new ("add - web console accounts");
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  g_auto(GStrv) list = NULL;
  g_autoptr(JsonObject) out = NULL;
  char *nl;

  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    return fail (error);
  if (argc < 2 || !g_str_equal (argv[1], "add") || name == NULL || role == NULL || password_file == NULL)
    {
      g_printerr ("mendian-server: user add --name NAME --role hq-admin|hq-viewer|region --password-file FILE "
                  "[--branches B01,B02]\n");
      return 2;
    }
  if (!g_file_get_contents (password_file, &text, NULL, &error))
    return fail (error);
  if ((nl = strpbrk (text, "\r\n")) != NULL)
    *nl = '\0';
  if (branches)
    {
      list = g_strsplit (branches, ",", -1);
      for (guint i = 0; list[i]; i++)
        g_strstrip (list[i]);
    }
  if (!srv_console_user_add (store, name, role, text, (const char *const *) list, &error))
    return fail (error);
  out = srv_json_ok (json_object_new ());
  json_object_set_string_member (out, "user", name);
  json_object_set_string_member (out, "role", role);
  mdn_json_print (out);
  return 0;
}

/* backup --to FILE [--console-hq FILE]: the online backup API, so the
 * server keeps serving; the copies are 0600 like the databases. */
static int
cmd_backup (SrvStore *store, int argc, char **argv)
{
  g_autofree char *to = NULL, *console_hq = NULL, *hq_to = NULL;
  GOptionEntry entries[] = {
    { "to", 0, 0, G_OPTION_ARG_FILENAME, &to, "The copy of the server database", "FILE" },
    { "console-hq", 0, 0, G_OPTION_ARG_FILENAME, &console_hq, "The console's head-office terminal (default DB-console-hq.db)", "FILE" },
    { NULL }
  };
  g_autoptr(GOptionContext) oc = g_option_context_new ("- copy the server database while it serves");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) out = NULL;

  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    return fail (error);
  if (to == NULL)
    {
      g_printerr ("mendian-server: backup needs --to FILE\n");
      return 2;
    }
  if (g_file_test (to, G_FILE_TEST_EXISTS))
    {
      g_printerr ("mendian-server: %s\n", _("The backup file exists already: give a new name"));
      return 2;
    }
  if (!srv_store_backup (store, to, &error))
    return fail (error);
  if (console_hq == NULL)
    console_hq = g_strconcat (opt_db, "-console-hq.db", NULL);
  if (g_file_test (console_hq, G_FILE_TEST_EXISTS))
    {
      g_autoptr(MdnDb) hq = mdn_db_open (console_hq, "branch", &error);

      hq_to = g_strconcat (to, "-console-hq.db", NULL);
      if (hq == NULL || !mdn_db_backup (hq, hq_to, &error))
        return fail (error);
    }
  out = srv_json_ok (json_object_new ());
  json_object_set_string_member (out, "server", to);
  mdn_json_set_opt_string (out, "console_hq", hq_to);
  mdn_json_print (out);
  return 0;
}

static int
cmd_serve (SrvStore *store, int argc, char **argv)
{
  g_autofree char *listen = NULL, *cert = NULL, *key = NULL, *console_hq = NULL, *report_dsn = NULL;
  g_autofree char *console_hq_code = NULL;
  gint console_idle = 0;
  gboolean insecure = FALSE;
  gint64 max_body = 0, auth_ttl = 0;
  gint idle_timeout = 0, header_timeout = 0, ws_ping = 0;
  gint64 sms_retry_base = 30;
  SrvSmsSender *sms = NULL;
  int rc;
  GOptionEntry entries[] = {
    { "sms-retry-base", 0, 0, G_OPTION_ARG_INT64, &sms_retry_base, "Seconds before an SMS is tried again, doubled each time (default 30)", "S" },
    { "listen", 0, 0, G_OPTION_ARG_STRING, &listen, "Address to listen on (default 127.0.0.1:8080)", "HOST:PORT" },
    { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &cert, "TLS certificate (PEM)", "FILE" },
    { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &key, "TLS private key (PEM)", "FILE" },
    { "insecure", 0, 0, G_OPTION_ARG_NONE, &insecure, "Allow plain HTTP on a non-loopback address", NULL },
    { "max-body", 0, 0, G_OPTION_ARG_INT64, &max_body, "Largest request body in bytes (default 8 MiB)", "BYTES" },
    { "auth-ttl", 0, 0, G_OPTION_ARG_INT64, &auth_ttl, "Seconds before an unused authorization is released (default 600)", "S" },
    { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &idle_timeout, "Close a kept-alive connection idle this long (default 60)", "S" },
    { "header-timeout", 0, 0, G_OPTION_ARG_INT, &header_timeout, "Drop a request whose headers take longer (default 10)", "S" },
    { "ws-ping", 0, 0, G_OPTION_ARG_INT, &ws_ping, "Seconds between WebSocket pings; 3 unanswered drop it (default 30)", "S" },
    { "console-hq", 0, 0, G_OPTION_ARG_FILENAME, &console_hq, "The web console's head-office terminal database (default DB-console-hq.db)", "FILE" },
    { "console-hq-code", 0, 0, G_OPTION_ARG_STRING, &console_hq_code, "The branch code that terminal is registered under (default WEB; one per server process on PostgreSQL)", "CODE" },
    { "console-idle", 0, 0, G_OPTION_ARG_INT, &console_idle, "Log a console session out after this long unused (default 1800)", "S" },
    { "report-dsn", 0, 0, G_OPTION_ARG_STRING, &report_dsn, "PostgreSQL: reports, stock and console reads from this replica", "URI" },
    { NULL }
  };
  g_autoptr(GOptionContext) oc = g_option_context_new ("- serve the API");
  g_autoptr(GError) error = NULL;
  SrvServerOptions options = { 0 };

  g_option_context_add_main_entries (oc, entries, NULL);
  if (!g_option_context_parse (oc, &argc, &argv, &error))
    return fail (error);
  if (max_body < 0 || auth_ttl < 0 || idle_timeout < 0 || header_timeout < 0 || ws_ping < 0 || console_idle < 0)
    {
      g_printerr ("mendian-server: --max-body, --auth-ttl, --idle-timeout, --header-timeout and --ws-ping "
                  "must be positive\n");
      return 2;
    }
  if (report_dsn && !srv_store_set_report_dsn (store, report_dsn, &error))
    return fail (error);
  /* A database from before feed epochs gets one before any branch asks. */
  if (!srv_store_feed_epoch_renew (store, TRUE, &error))
    return fail (error);
  if (auth_ttl > 0)
    srv_authorize_set_ttl (auth_ttl);
  options.listen = listen;
  options.tls_cert = cert;
  options.tls_key = key;
  options.insecure = insecure;
  options.max_body = (gsize) max_body;
  options.idle_timeout = (guint) idle_timeout;
  options.header_timeout = (guint) header_timeout;
  options.ws_ping = (guint) ws_ping;
  /* On PostgreSQL the console's terminal is a file given by --console-hq
     (one server process's: docs/server.md); its writes say so without. */
  if (console_hq == NULL && !srv_store_is_pg_uri (opt_db))
    console_hq = g_strconcat (opt_db, "-console-hq.db", NULL);
  options.console_hq = console_hq;
  options.console_hq_code = console_hq_code;
  options.console_idle = (guint) console_idle;
  options.db = opt_db;
  options.report_dsn = report_dsn;
  /* Every process sends: on PostgreSQL they share the outbox, each
     message claimed by one (srv-store-sms.h). */
  srv_store_warm_up (store);
  sms = srv_sms_sender_start (store, srv_store_get_timezone (store), MAX (sms_retry_base, 0));
  rc = srv_serve (store, &options);
  srv_sms_sender_free (sms);
  return rc;
}

int
main (int argc, char **argv)
{
  GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &opt_db, "Server database file, or a PostgreSQL URI postgresql://...", "FILE|URI" },
    { NULL }
  };
  g_autoptr(GOptionContext) oc = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(SrvStore) store = NULL;
  const char *command;

  setlocale (LC_ALL, "");
  mdn_db_library_init ();
  mdn_library_init ();
  textdomain (GETTEXT_PACKAGE);

  oc = g_option_context_new ("COMMAND [OPTIONS] - Mendian chain server");
  g_option_context_set_description (oc, usage_text);
  g_option_context_add_main_entries (oc, entries, NULL);
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
  if (opt_db == NULL)
    {
      g_printerr ("mendian-server: --db FILE (or --db postgresql://...) is required\n");
      return 2;
    }
  if (g_str_equal (command, "init"))
    return cmd_init ();
  if (g_str_equal (command, "restore"))
    return cmd_restore (argc - 1, argv + 1);

  store = srv_store_open (opt_db, FALSE, &error);
  if (store == NULL)
    return fail (error);
  if (g_str_equal (command, "chain-key"))
    {
      g_autofree char *key = srv_store_chain_key_dup (store);

      g_print ("%s\n", key);
      return 0;
    }
  if (g_str_equal (command, "branch"))
    return cmd_branch (store, argc - 1, argv + 1);
  if (g_str_equal (command, "token"))
    return cmd_token (store, argc - 1, argv + 1);
  if (g_str_equal (command, "user"))
    return cmd_user (store, argc - 1, argv + 1);
  if (g_str_equal (command, "serve"))
    return cmd_serve (store, argc - 1, argv + 1);
  if (g_str_equal (command, "sms"))
    return cmd_sms (store, argc - 1, argv + 1);
  if (g_str_equal (command, "backup"))
    return cmd_backup (store, argc - 1, argv + 1);
  if (g_str_equal (command, "restored"))
    return cmd_restored (store);

  g_printerr ("mendian-server: unknown command “%s”; run mendian-server --help\n", command);
  return 2;
}
