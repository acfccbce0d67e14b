/* mdn-sync.c: push, state check, pull; link; watch. */
#define G_LOG_DOMAIN "mdn-sync"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <libsoup/soup.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-entry-codec.h"
#include "mdn-error.h"
#include "mdn-id.h"
#include "mdn-json.h"
#include "mdn-card.h"
#include "mdn-ledger.h"
#include "mdn-lockout.h"
#include "mdn-money.h"
#include "mdn-stock-chain.h"
#include "mdn-sync-private.h"
#include "mdn-sync.h"
#include "mdn-backup.h"

#define PUSH_BATCH 500
#define PULL_PAGE  500

void
mdn_sync_client_clear (Client *c)
{
  g_clear_object (&c->session);
  g_clear_pointer (&c->base, g_free);
  g_clear_pointer (&c->token, g_free);
  g_clear_pointer (&c->pin, g_free);
}


static gint64
meta_int_db (MdnDb      *db,
             const char *key)
{
  g_autofree char *text = mdn_db_meta_dup (db, key);

  return text ? g_ascii_strtoll (text, NULL, 10) : 0;
}

/* Link -------------------------------------------------------------------------- */

static gboolean
url_acceptable (const char *url,
                GError    **error)
{
  g_autoptr(GUri) uri = g_uri_parse (url, G_URI_FLAGS_NONE, NULL);
  const char *scheme = uri ? g_uri_get_scheme (uri) : NULL;
  const char *host = uri ? g_uri_get_host (uri) : NULL;

  if (uri == NULL || host == NULL || (g_strcmp0 (scheme, "http") != 0 && g_strcmp0 (scheme, "https") != 0))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a server address; write it like https://hq.example.com:8443/"), url);
      return FALSE;
    }
  if (g_str_equal (scheme, "http"))
    {
      g_autoptr(GInetAddress) addr = g_inet_address_new_from_string (host);

      if (!g_str_equal (host, "localhost") && (addr == NULL || !g_inet_address_get_is_loopback (addr)))
        {
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                               _("Plain http:// is only for a server on this computer; use https://"));
          return FALSE;
        }
    }
  return TRUE;
}

/* Checks a link's arguments; *out_pin is the pin normalized (lower-case
 * hex, no colons or spaces), or NULL. */
static gboolean
link_check (const char *url,
            const char *token,
            const char *ca_file,
            const char *pin_sha256,
            char      **out_pin,
            GError    **error)
{
  g_autofree char *pin = NULL;

  *out_pin = NULL;
  if (url == NULL || !url_acceptable (url, error))
    {
      if (url == NULL)
        g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("Give the server URL"));
      return FALSE;
    }
  if (token == NULL || strlen (token) < 32)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("Give the branch token printed by “mendian-server branch add”"));
      return FALSE;
    }
  if (ca_file && pin_sha256)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("Give either --ca or --pin-sha256, not both"));
      return FALSE;
    }
  if (pin_sha256)
    {
      pin = g_ascii_strdown (pin_sha256, -1);
      g_strdelimit (pin, ":", ' ');
      {
        g_autoptr(GString) clean = g_string_new (NULL);

        for (const char *p = pin; *p; p++)
          if (*p != ' ')
            g_string_append_c (clean, *p);
        g_free (pin);
        pin = g_string_free (g_steal_pointer (&clean), FALSE);
      }
      if (strlen (pin) != 64 || strspn (pin, "0123456789abcdef") != 64)
        {
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                               _("--pin-sha256 is the SHA-256 of the server certificate: 64 hex digits"));
          return FALSE;
        }
    }
  if (ca_file && !g_file_test (ca_file, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("No CA file at %s"), ca_file);
      return FALSE;
    }
  *out_pin = g_steal_pointer (&pin);
  return TRUE;
}

/* Stores a checked link, inside the caller's write transaction. */
static gboolean
link_store (MdnDb      *db,
            const char *url,
            const char *token,
            const char *ca_file,
            const char *pin,
            GError    **error)
{
  g_autofree char *old_url = mdn_db_meta_dup (db, "sync_url");
  gboolean new_server = g_strcmp0 (old_url, url) != 0;

  return mdn_db_meta_set (db, "sync_url", url, error) &&
         mdn_db_meta_set (db, "sync_token", token, error) &&
         mdn_db_meta_set (db, "sync_ca", ca_file ? ca_file : "", error) &&
         mdn_db_meta_set (db, "sync_pin_sha256", pin ? pin : "", error) &&
         (!new_server || (mdn_db_meta_set (db, "sync_feed_position", "0", error) &&
                          mdn_db_meta_set (db, "sync_feed_epoch", "", error) &&
                          mdn_db_meta_set (db, "sync_last_at", "", error)));
}

/* Points the branch at a server. Running it again changes the server or
 * the token; the sync progress is kept (it is this branch's history, not
 * the server's), except that a new server starts the feed from 0. This
 * acts on the database file directly, like mendian-cli link; a front end
 * with a logged-in staff member runs the operation "sync.link", which only
 * an administrator may. */
gboolean
mdn_sync_link (MdnStore   *store,
               const char *url,
               const char *token,
               const char *ca_file,
               const char *pin_sha256,
               GError    **error)
{
  g_autofree char *pin = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  if (!link_check (url, token, ca_file, pin_sha256, &pin, error))
    return FALSE;
  if (!mdn_db_begin (store->db, TRUE, error))
    return FALSE;
  if (!link_store (store->db, url, token, ca_file, pin, error))
    {
      mdn_db_rollback (store->db);
      return FALSE;
    }
  return mdn_db_commit (store->db, error);
}

/* Operations ---------------------------------------------------------------------- */

static gboolean
opt_string (JsonObject  *args,
            const char  *name,
            const char **out,
            GError     **error)
{
  *out = NULL;
  if (!mdn_args_string (args, name, FALSE, out, error))
    return FALSE;
  if (*out != NULL && **out == '\0')
    *out = NULL;
  return TRUE;
}

/* {server, token?, ca?, pin_sha256?} → {linked, server, new_server}.
 * mdn_sync_link for a logged-in administrator; token omitted keeps the
 * stored one. ca and pin_sha256 are stored as given (omitted: none). */
static gboolean
op_sync_link (MdnOpCtx   *ctx,
              JsonObject *args,
              JsonObject *result,
              GError    **error)
{
  const char *server = NULL, *token = NULL, *ca = NULL, *pin_arg = NULL;
  g_autofree char *stored_token = NULL;
  g_autofree char *old_url = NULL;
  g_autofree char *pin = NULL;

  if (!mdn_args_string (args, "server", TRUE, &server, error) ||
      !opt_string (args, "token", &token, error) ||
      !opt_string (args, "ca", &ca, error) ||
      !opt_string (args, "pin_sha256", &pin_arg, error))
    return FALSE;
  if (token == NULL)
    token = stored_token = mdn_db_meta_dup (ctx->db, "sync_token");
  if (!link_check (server, token, ca, pin_arg, &pin, error))
    return FALSE;
  old_url = mdn_db_meta_dup (ctx->db, "sync_url");
  if (!link_store (ctx->db, server, token, ca, pin, error))
    return FALSE;
  json_object_set_boolean_member (result, "linked", TRUE);
  json_object_set_string_member (result, "server", server);
  json_object_set_boolean_member (result, "new_server", g_strcmp0 (old_url, server) != 0);
  return TRUE;
}

/* {} → {linked, server?, ca?, pin_sha256?, last_sync_at?, acked_seq,
 * last_seq, waiting}: what the POS header shows. Never the token. */
static gboolean
op_sync_status (MdnOpCtx   *ctx,
                JsonObject *args,
                JsonObject *result,
                GError    **error)
{
  g_autofree char *url = mdn_db_meta_dup (ctx->db, "sync_url");
  g_autofree char *ca = mdn_db_meta_dup (ctx->db, "sync_ca");
  g_autofree char *pin = mdn_db_meta_dup (ctx->db, "sync_pin_sha256");
  g_autofree char *last = mdn_db_meta_dup (ctx->db, "sync_last_at");
  gint64 acked = meta_int_db (ctx->db, "sync_acked_seq");
  gint64 last_seq;
  sqlite3_stmt *stmt;

  stmt = mdn_db_query (ctx->db, error, "SELECT COALESCE (MAX (seq), 0) FROM entries WHERE branch = ?",
                       "s", ctx->store->branch_code);
  if (stmt == NULL || mdn_db_step (ctx->db, stmt, error) != SQLITE_ROW)
    return FALSE;
  last_seq = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);

  json_object_set_boolean_member (result, "linked", url != NULL && *url != '\0');
  if (url && *url)
    json_object_set_string_member (result, "server", url);
  if (ca && *ca)
    json_object_set_string_member (result, "ca", ca);
  if (pin && *pin)
    json_object_set_string_member (result, "pin_sha256", pin);
  if (last && *last)
    json_object_set_string_member (result, "last_sync_at", last);
  json_object_set_int_member (result, "acked_seq", acked);
  json_object_set_int_member (result, "last_seq", last_seq);
  json_object_set_int_member (result, "waiting", MAX (last_seq - acked, 0));
  return TRUE;
}

static const MdnOpDef sync_ops[] = {
  /* Where this branch sends its entries: an administrator's decision. */
  { "sync.link",   MDN_ROLE_ADMIN,   MDN_OP_WRITE, op_sync_link },
  { "sync.status", MDN_ROLE_CASHIER, MDN_OP_READ,  op_sync_status },
  { NULL }
};

/* HTTP ------------------------------------------------------------------------------ */

static gboolean
accept_certificate (SoupMessage          *msg,
                    GTlsCertificate      *cert,
                    GTlsCertificateFlags  errors,
                    gpointer              user_data)
{
  Client *c = user_data;
  g_autoptr(GByteArray) der = NULL;
  g_autofree char *sum = NULL;

  if (c->pin == NULL)
    return FALSE;
  g_object_get (cert, "certificate", &der, NULL);
  if (der == NULL)
    return FALSE;
  sum = g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);
  return g_str_equal (sum, c->pin);
}

gboolean
mdn_sync_client_init (Client   *c,
                      MdnStore *store,
                      GError  **error)
{
  g_autofree char *url = mdn_db_meta_dup (store->db, "sync_url");
  g_autofree char *ca = mdn_db_meta_dup (store->db, "sync_ca");
  g_autofree char *pin = mdn_db_meta_dup (store->db, "sync_pin_sha256");

  c->store = store;
  c->token = mdn_db_meta_dup (store->db, "sync_token");
  if (url == NULL || c->token == NULL)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_NOT_LINKED,
                           _("This branch is not linked to a server; run “mendian-cli link” first"));
      return FALSE;
    }
  c->base = g_strdup (url);
  while (g_str_has_suffix (c->base, "/"))
    c->base[strlen (c->base) - 1] = '\0';
  c->session = soup_session_new_with_options ("timeout", 30, "idle-timeout", 60,
                                              "user-agent", "mendian-sync/1", NULL);
  if (pin && *pin)
    {
      c->pin = g_steal_pointer (&pin);
      /* No trust store: every certificate goes through accept-certificate,
       * where only the pinned one passes. */
      soup_session_set_tls_database (c->session, NULL);
    }
  else if (ca && *ca)
    {
      g_autoptr(GTlsDatabase) db = g_tls_file_database_new (ca, error);

      if (db == NULL)
        return FALSE;
      soup_session_set_tls_database (c->session, db);
    }
  return TRUE;
}

SoupMessage *
mdn_sync_client_message (Client     *c,
                         const char *method,
                         const char *path_and_query)
{
  g_autofree char *url = g_strconcat (c->base, path_and_query, NULL);
  g_autofree char *auth = g_strconcat ("Bearer ", c->token, NULL);
  SoupMessage *msg = soup_message_new (method, url);

  if (msg == NULL)
    return NULL;
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  /* The branch's software version, shown on the console's 门店 page
   * (an older server ignores the header). */
  soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Mendian-Version", MDN_VERSION);
  g_signal_connect (msg, "accept-certificate", G_CALLBACK (accept_certificate), c);
  return msg;
}

/* Sends a request (@body_text: a JSON text, or NULL) and returns the
 * answer's bytes when it is 200 OK. A refusal by the server (4xx with a
 * JSON error) is MDN_ERROR_SYNC_REFUSED, with its code in *out_code and
 * the answer in *out_refusal; no answer at all is MDN_ERROR_OFFLINE. */
static GBytes *
client_send (Client        *c,
             const char    *method,
             const char    *path_and_query,
             char          *body_text,
             GCancellable  *cancellable,
             JsonObject   **out_refusal,
             GError       **error)
{
  g_autoptr(SoupMessage) msg = mdn_sync_client_message (c, method, path_and_query);
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonObject) answer = NULL;
  g_autofree char *json = body_text;
  g_autofree char *text = NULL;
  guint status;

  if (out_refusal)
    *out_refusal = NULL;
  if (msg == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("Bad server URL %s"), c->base);
      return NULL;
    }
  if (json)
    {
      gsize len = strlen (json);
      g_autoptr(GBytes) bytes = g_bytes_new_take (g_steal_pointer (&json), len);

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  reply = soup_session_send_and_read (c->session, msg, cancellable, &local_error);
  if (reply == NULL)
    {
      if (g_error_matches (local_error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_propagate_error (error, g_steal_pointer (&local_error));
      else
        g_set_error (error, MDN_ERROR, MDN_ERROR_OFFLINE,
                     _("The server at %s can't be reached: %s"), c->base, local_error->message);
      return NULL;
    }
  status = soup_message_get_status (msg);
  if (status == SOUP_STATUS_OK)
    return g_steal_pointer (&reply);
  text = g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
  answer = mdn_json_parse_object (text, NULL);

  if (answer && json_object_has_member (answer, "error") && status >= 400 && status < 500)
    {
      JsonObject *e = json_object_get_object_member (answer, "error");

      g_set_error (error, MDN_ERROR, MDN_ERROR_SYNC_REFUSED, _("The server refused: %s (%s)"),
                   json_object_get_string_member_with_default (e, "message", "?"),
                   json_object_get_string_member_with_default (e, "code", "?"));
      if (out_refusal)
        *out_refusal = g_steal_pointer (&answer);
      return NULL;
    }
  g_set_error (error, MDN_ERROR, status >= 500 ? MDN_ERROR_OFFLINE : MDN_ERROR_SYNC_REFUSED,
               _("The server answered %u %s"), status, soup_message_get_reason_phrase (msg));
  return NULL;
}

/* Sends a request and parses the JSON answer (client_send's errors). */
static JsonObject *
client_call_text (Client        *c,
                  const char    *method,
                  const char    *path_and_query,
                  char          *body_text,
                  GCancellable  *cancellable,
                  JsonObject   **out_refusal,
                  GError       **error)
{
  g_autoptr(GBytes) reply = client_send (c, method, path_and_query, body_text, cancellable, out_refusal, error);
  g_autofree char *text = NULL;
  JsonObject *answer;

  if (reply == NULL)
    return NULL;
  text = g_strndup (g_bytes_get_data (reply, NULL), g_bytes_get_size (reply));
  answer = mdn_json_parse_object (text, NULL);
  if (answer == NULL)
    g_set_error (error, MDN_ERROR, MDN_ERROR_SYNC_REFUSED, _("The server answered %u %s"),
                 SOUP_STATUS_OK, soup_status_get_phrase (SOUP_STATUS_OK));
  return answer;
}

JsonObject *
mdn_sync_client_call (Client        *c,
                      const char    *method,
                      const char    *path_and_query,
                      JsonObject    *body,
                      GCancellable  *cancellable,
                      JsonObject   **out_refusal,
                      GError       **error)
{
  return client_call_text (c, method, path_and_query, body ? mdn_json_object_to_string (body) : NULL,
                           cancellable, out_refusal, error);
}

/* Steps ------------------------------------------------------------------------------ */

static gint64
meta_int (MdnStore   *store,
          const char *key)
{
  return meta_int_db (store->db, key);
}

static gboolean
meta_set_int (MdnStore   *store,
              const char *key,
              gint64      value,
              GError    **error)
{
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, value);

  return mdn_db_meta_set (store->db, key, text, error);
}

static gboolean
save_holds (MdnStore   *store,
            JsonObject *answer,
            GError    **error)
{
  JsonNode *holds = json_object_get_member (answer, "holds");
  g_autofree char *text = NULL;

  if (holds == NULL || !JSON_NODE_HOLDS_ARRAY (holds))
    return TRUE;
  text = mdn_json_canonical (holds);
  return mdn_db_meta_set (store->db, "sync_holds", text, error);
}

/* The last seq and hash of this branch's own chain. */
static gboolean
local_head (MdnStore *store,
            gint64    seq,
            gint64   *out_max,
            char    **out_hash_at_seq,
            GError  **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = mdn_db_query (store->db, error, "SELECT COALESCE (MAX (seq), 0) FROM entries WHERE branch = ?",
                       "s", store->branch_code);
  if (stmt == NULL || mdn_db_step (store->db, stmt, error) != SQLITE_ROW)
    return FALSE;
  *out_max = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);

  *out_hash_at_seq = NULL;
  stmt = mdn_db_query (store->db, error, "SELECT hash FROM entries WHERE branch = ? AND seq = ?",
                       "si", store->branch_code, seq);
  if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    *out_hash_at_seq = g_strdup (mdn_db_col_text (stmt, 0));
  sqlite3_reset (stmt);
  return TRUE;
}

/* The chain key, handed over until the branch proves it holds it
 * (docs/server.md): a branch that does not hold it yet (made without
 * --chain-key-file) takes it from the state answer (*@took) and proves it at
 * once; one that holds another key after a holder of its token proved the
 * key stops, because someone else with this token may have taken it. */
static gboolean
take_chain_key (MdnStore   *store,
                JsonObject *state,
                gboolean   *took,
                GError    **error)
{
  const char *key = json_object_get_string_member_with_default (state, "chain_key", NULL);

  *took = FALSE;
  if (key != NULL)
    {
      g_autofree char *id = mdn_chain_key_id_from_hex (key);

      if (id == NULL)
        {
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_SYNC_REFUSED, _("The server's answer is malformed"));
          return FALSE;
        }
      if (!mdn_store_set_chain_key (store, key, error))
        return FALSE;
      g_message ("branch %s now holds the chain key of its server", store->branch_code);
      *took = TRUE;
      return TRUE;
    }
  if (json_object_get_boolean_member_with_default (state, "chain_key_ok", TRUE))
    return TRUE;
  g_set_error_literal (error, MDN_ERROR, MDN_ERROR_SYNC_REFUSED,
                       _("This branch's QR key is not the chain's, and head office has already handed "
                         "the chain key out for this branch's token: the token may have been copied. "
                         "Ask head office for a new token (mendian-server branch rotate) and link again"));
  return FALSE;
}

/* Cards whose PIN the server locked (wrong PINs anywhere in the chain):
 * locked here too, also if the server can't be reached later. */
static gboolean
save_pin_locks (MdnStore   *store,
                JsonObject *answer,
                GError    **error)
{
  JsonNode *node = json_object_get_member (answer, "pin_locks");
  JsonArray *locks;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return TRUE;
  locks = json_node_get_array (node);
  for (guint i = 0; i < json_array_get_length (locks); i++)
    {
      JsonNode *item = json_array_get_element (locks, i);
      JsonObject *o = JSON_NODE_HOLDS_OBJECT (item) ? json_node_get_object (item) : NULL;
      const char *member = o ? json_object_get_string_member_with_default (o, "member_id", NULL) : NULL;
      gint64 until = o ? json_object_get_int_member_with_default (o, "locked_until", 0) : 0;

      if (member == NULL || until <= 0)
        continue;
      if (!mdn_lockout_mirror (store->db, "pin", member, until, error))
        return FALSE;
    }
  return TRUE;
}

/* Wrong PINs checked at this branch while the server could not be asked:
 * the server adds them to its chain-wide count, and answers its locks. */
gboolean
mdn_sync_report_pin_failures (Client        *c,
                              GCancellable  *cancellable,
                              GError       **error)
{
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(JsonObject) refusal = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GArray) counts = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GError) local_error = NULL;
  JsonArray *list = json_array_new ();
  MdnDb *db = c->store->db;
  sqlite3_stmt *stmt;
  int rc;

  json_object_set_array_member (body, "failures", list);
  stmt = mdn_db_query (db, error,
                       "SELECT key, unreported FROM lockouts WHERE what = 'pin' AND unreported > 0 "
                       "ORDER BY key LIMIT 500", "");
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (db, stmt, error)) == SQLITE_ROW)
    {
      JsonObject *o = json_object_new ();
      gint64 n = sqlite3_column_int64 (stmt, 1);

      json_object_set_string_member (o, "member_id", mdn_db_col_text (stmt, 0));
      json_object_set_int_member (o, "count", n);
      json_array_add_object_element (list, o);
      g_ptr_array_add (ids, g_strdup (mdn_db_col_text (stmt, 0)));
      g_array_append_val (counts, n);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return FALSE;
  if (ids->len == 0)
    return TRUE;
  answer = mdn_sync_client_call (c, "POST", "/api/v1/sync/pin-failures", body, cancellable, &refusal, &local_error);
  if (answer == NULL)
    {
      /* Refused (nothing a retry cures): kept, the sync goes on. */
      if (g_error_matches (local_error, MDN_ERROR, MDN_ERROR_SYNC_REFUSED))
        {
          g_warning ("wrong PINs not reported: %s", local_error->message);
          return TRUE;
        }
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  for (guint i = 0; i < ids->len; i++)
    if (!mdn_lockout_reported (db, "pin", g_ptr_array_index (ids, i), g_array_index (counts, gint64, i), error))
      return FALSE;
  return save_pin_locks (c->store, answer, error);
}

/* The server's view of this branch must be a prefix of the local chain. A
 * branch restored from an old backup (or with a forked history) stops here
 * instead of writing a second history over the first. */

/* The server's feed epoch (GET /api/v1/sync/state): another one than the
 * branch saw last means the server's database was put back from a backup
 * and may give out feed positions this branch has passed already, so the
 * feed is pulled again from 0 (what is here already is skipped). The first
 * epoch seen, or one after a new link, is only noted. */
static gboolean
follow_feed_epoch (MdnStore   *store,
                   const char *epoch,
                   GError    **error)
{
  MdnDb *db = store->db;
  g_autofree char *seen = mdn_db_meta_dup (db, "sync_feed_epoch");
  gboolean again = seen != NULL && *seen != '\0';

  if (g_strcmp0 (seen ? seen : "", epoch ? epoch : "") == 0)
    return TRUE;
  if (!mdn_db_begin (db, TRUE, error))
    return FALSE;
  if (!mdn_db_meta_set (db, "sync_feed_epoch", epoch ? epoch : "", error) ||
      (again && !mdn_db_meta_set (db, "sync_feed_position", "0", error)) ||
      !mdn_db_commit (db, error))
    {
      mdn_db_rollback (db);
      return FALSE;
    }
  if (again)
    g_message ("the server's database was restored from a backup: pulling its feed again from the start");
  return TRUE;
}
static gboolean
check_state (Client        *c,
             GCancellable  *cancellable,
             gint64        *out_acked,
             gboolean      *took_key,
             GError       **error)
{
  g_autofree char *key_id = NULL;
  g_autofree char *path = NULL;
  g_autoptr(JsonObject) state = NULL;
  g_autofree char *local_hash = NULL;
  const char *server_hash, *branch;
  gint64 acked, local_max;

  /* As stored: another process on this database (the POS's sync worker, a
     mendian-cli sync) may have taken the chain key meanwhile. */
  if (!mdn_store_reload_chain_key (c->store, error))
    return FALSE;
  key_id = mdn_chain_key_id (c->store->chain_key);
  path = g_strconcat ("/api/v1/sync/state?key_id=", key_id, NULL);
  state = mdn_sync_client_call (c, "GET", path, NULL, cancellable, NULL, error);
  if (state == NULL)
    return FALSE;
  acked = json_object_get_int_member_with_default (state, "acked_seq", -1);
  server_hash = json_object_get_string_member_with_default (state, "last_hash", NULL);
  branch = json_object_get_string_member_with_default (state, "branch", NULL);
  if (acked < 0 || server_hash == NULL || branch == NULL)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_SYNC_REFUSED, _("The server's answer is malformed"));
      return FALSE;
    }
  if (!g_str_equal (branch, c->store->branch_code))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_SYNC_REFUSED,
                   _("The token belongs to branch %s, but this is branch %s; link with this branch's token"),
                   branch, c->store->branch_code);
      return FALSE;
    }
  if (!local_head (c->store, acked, &local_max, &local_hash, error))
    return FALSE;
  if (acked > local_max)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_HISTORY_BEHIND,
                   _("The server holds %" PRId64 " entries of branch %s but this database only %"
                     PRId64 ": it was restored from an old backup. Sync is stopped so that no "
                     "history is forked; restore the newest backup or ask head office"),
                   acked, c->store->branch_code, local_max);
      return FALSE;
    }
  if (acked > 0 && g_strcmp0 (local_hash, server_hash) != 0)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_HISTORY_BEHIND,
                   _("Entry %s#%" PRId64 " differs between this database and the server: the "
                     "histories have forked. Sync is stopped; ask head office"),
                   c->store->branch_code, acked);
      return FALSE;
    }
  if (!take_chain_key (c->store, state, took_key, error) ||
      !save_holds (c->store, state, error) ||
      !save_pin_locks (c->store, state, error) ||
      !follow_feed_epoch (c->store, json_object_get_string_member_with_default (state, "feed_epoch", NULL), error))
    return FALSE;
  *out_acked = acked;
  return TRUE;
}

gboolean
mdn_sync_check_state (Client        *c,
                      GCancellable  *cancellable,
                      gint64        *out_acked,
                      GError       **error)
{
  gboolean took_key = FALSE;

  if (!check_state (c, cancellable, out_acked, &took_key, error))
    return FALSE;
  if (!took_key)
    return TRUE;
  /* Just taken: proven at once, so that the server stops handing it to this
     token (a copy of it) now, not only at the next sync. If this answer is
     lost too, the next sync proves it. */
  if (!check_state (c, cancellable, out_acked, &took_key, error))
    return FALSE;
  if (took_key)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_SYNC_REFUSED, _("The server's answer is malformed"));
      return FALSE;
    }
  return TRUE;
}

gboolean
mdn_sync_push (Client        *c,
               gint64         acked,
               MdnSyncResult *result,
               GCancellable  *cancellable,
               GError       **error)
{
  for (;;)
    {
      g_autoptr(GString) body = g_string_new ("{\"entries\":[");
      g_autoptr(JsonObject) answer = NULL;
      g_autoptr(JsonObject) refusal = NULL;
      g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
      sqlite3_stmt *stmt;
      int rc;

      stmt = mdn_db_query (c->store->db, error,
                           "SELECT id FROM entries WHERE branch = ? AND seq > ? ORDER BY seq LIMIT ?",
                           "sii", c->store->branch_code, acked, (gint64) PUSH_BATCH);
      if (stmt == NULL)
        return FALSE;
      while ((rc = mdn_db_step (c->store->db, stmt, error)) == SQLITE_ROW)
        g_ptr_array_add (ids, g_strdup (mdn_db_col_text (stmt, 0)));
      sqlite3_reset (stmt);
      if (rc != SQLITE_DONE)
        return FALSE;
      if (ids->len == 0)
        break;
      for (guint i = 0; i < ids->len; i++)
        {
          g_autoptr(MdnEntry) entry = mdn_entry_load (c->store->db, g_ptr_array_index (ids, i), error);

          if (entry == NULL)
            return FALSE;
          /* The codec's canonical form, as the server's codec reads it. */
          if (i > 0)
            g_string_append_c (body, ',');
          mdn_entry_codec_write (body, entry, TRUE, NULL, NULL);
        }

      g_string_append (body, "]}");
      answer = client_call_text (c, "POST", "/api/v1/sync/push", g_string_free (g_steal_pointer (&body), FALSE),
                                 cancellable, &refusal, error);
      if (answer == NULL)
        return FALSE;
      result->pushed += json_object_get_int_member_with_default (answer, "applied", 0);
      acked = json_object_get_int_member_with_default (answer, "acked_seq", acked);
      if (!meta_set_int (c->store, "sync_acked_seq", acked, error))
        return FALSE;
      if (ids->len < PUSH_BATCH)
        break;
    }
  result->acked_seq = acked;
  return TRUE;
}

static gboolean
entry_known (MdnDb      *db,
             const char *id,
             gboolean   *known,
             GError    **error)
{
  sqlite3_stmt *stmt = mdn_db_query (db, error, "SELECT 1 FROM entries WHERE id = ?", "s", id);
  int rc;

  if (stmt == NULL || (rc = mdn_db_step (db, stmt, error)) < 0)
    return FALSE;
  sqlite3_reset (stmt);
  *known = rc == SQLITE_ROW;
  return TRUE;
}

/* Applies one page of the feed (MdnFeedRow, read by the entry codec) in
 * one transaction, with the new position. */
static gboolean
apply_page (MdnStore   *store,
            GPtrArray  *rows,
            gint64     *position,
            gint64     *pulled,
            GError    **error)
{
  MdnDb *db = store->db;
  gint64 pos = *position, n = 0;

  if (!mdn_db_begin (db, TRUE, error))
    return FALSE;
  for (guint i = 0; i < rows->len; i++)
    {
      MdnFeedRow *row = g_ptr_array_index (rows, i);
      MdnEntry *entry = row->entry;
      g_autofree char *hash = NULL;
      gboolean known = FALSE;

      if (row->position <= pos)
        {
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_SYNC_REFUSED, _("The server's feed is malformed"));
          goto fail;
        }
      hash = mdn_entry_compute_hash (entry);
      if (!g_str_equal (hash, entry->hash))
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_CORRUPT,
                       _("Entry %s#%" PRId64 " from the server does not match its hash"),
                       entry->branch, entry->seq);
          goto fail;
        }
      pos = row->position;
      if (g_str_equal (entry->branch, store->branch_code))
        continue;   /* our own, already here */
      if (!entry_known (db, entry->id, &known, error))
        goto fail;
      if (known)
        continue;
      if (!mdn_ledger_apply (db, entry, error))
        {
          g_prefix_error (error, _("Applying %s#%" PRId64 " from the server: "), entry->branch, entry->seq);
          goto fail;
        }
      n++;
    }
  if (!meta_set_int (store, "sync_feed_position", pos, error) || !mdn_db_commit (db, error))
    goto fail;
  *position = pos;
  *pulled += n;
  return TRUE;

fail:
  mdn_db_rollback (db);
  return FALSE;
}

gboolean
mdn_sync_pull (Client        *c,
               MdnSyncResult *result,
               GCancellable  *cancellable,
               GError       **error)
{
  gint64 position = meta_int (c->store, "sync_feed_position");

  for (;;)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/sync/feed?after=%" G_GINT64_FORMAT "&limit=%d",
                                               position, PULL_PAGE);
      g_autoptr(GBytes) reply = client_send (c, "GET", path, NULL, cancellable, NULL, error);
      g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_feed_row_free);
      g_autoptr(JsonObject) page = NULL;
      g_autoptr(GError) read_error = NULL;
      gsize size = 0;
      const char *data;

      if (reply == NULL)
        return FALSE;
      /* Read by the entry codec, the server's reader of pushes; an entry
         of the wrong shape is refused with its message. */
      data = g_bytes_get_data (reply, &size);
      if (size == 0 || !g_utf8_validate_len (data, size, NULL) ||
          !mdn_entry_codec_read_feed (data, size, rows, &page, &read_error))
        {
          if (read_error && read_error->domain == MDN_ERROR)
            g_propagate_error (error, g_steal_pointer (&read_error));
          else
            g_set_error_literal (error, MDN_ERROR, MDN_ERROR_SYNC_REFUSED, _("The server's feed is malformed"));
          return FALSE;
        }
      if (!apply_page (c->store, rows, &position, &result->pulled, error) ||
          !save_holds (c->store, page, error))
        return FALSE;
      if (!json_object_get_boolean_member_with_default (page, "more", FALSE) || rows->len == 0)
        break;
    }
  result->feed_position = position;
  return TRUE;
}

/* One sync: state check, push, pull. Safe to repeat at any time and after
 * any failure: the server ignores what it already holds, and the feed
 * position moves only with the entries it covers. */
gboolean
mdn_sync_run (MdnStore      *store,
              MdnSyncResult *result,
              GCancellable  *cancellable,
              GError       **error)
{
  g_auto(Client) c = { 0 };
  MdnSyncResult local = { 0 };
  gint64 acked = 0;

  g_return_val_if_fail (store != NULL, FALSE);

  if (!mdn_sync_client_init (&c, store, error) ||
                             !mdn_sync_check_state (&c, cancellable, &acked, error))
    return FALSE;
  local.acked_seq = acked;
  if (!mdn_sync_push (&c, acked, &local, cancellable, error) ||
                      !mdn_sync_report_pin_failures (&c, cancellable, error) ||
                      !mdn_sync_push_oplog (&c, cancellable, error) ||
                      !mdn_sync_pull (&c, &local, cancellable, error))
    return FALSE;
  {
    /* For sync.status: when this branch last heard from the server. */
    g_autoptr(GDateTime) now = mdn_clock_now ();
    g_autofree char *at = mdn_clock_format (now);
    g_autoptr(GError) local_error = NULL;

    if (!mdn_db_meta_set (store->db, "sync_last_at", at, &local_error))
      g_warning ("sync_last_at not stored: %s", local_error->message);
  }
  if (result)
    *result = local;
  return TRUE;
}

gboolean
mdn_sync_member_on_hold (MdnStore   *store,
                         const char *member_id)
{
  return mdn_member_on_hold (store, member_id);
}

gboolean
mdn_sync_is_linked (MdnStore *store)
{
  return mdn_store_is_linked (store);
}

/* Async ------------------------------------------------------------------------------ */

static void
run_thread (GTask        *task,
            gpointer      source,
            gpointer      task_data,
            GCancellable *cancellable)
{
  g_autoptr(MdnStore) store = NULL;
  g_autoptr(GError) error = NULL;
  MdnSyncResult *result = g_new0 (MdnSyncResult, 1);

  store = mdn_store_open (task_data, &error);
  if (store == NULL || !mdn_sync_run (store, result, cancellable, &error))
    {
      g_free (result);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  g_task_return_pointer (task, result, g_free);
}

void
mdn_sync_run_async (const char          *db_path,
                    GCancellable        *cancellable,
                    GAsyncReadyCallback  callback,
                    gpointer             user_data)
{
  g_autoptr(GTask) task = g_task_new (NULL, cancellable, callback, user_data);

  g_return_if_fail (db_path != NULL);

  g_task_set_source_tag (task, mdn_sync_run_async);
  g_task_set_task_data (task, g_strdup (db_path), g_free);
  g_task_run_in_thread (task, run_thread);
}

gboolean
mdn_sync_run_finish (GAsyncResult  *result,
                     MdnSyncResult *out,
                     GError       **error)
{
  g_autofree MdnSyncResult *r = NULL;

  g_return_val_if_fail (g_task_is_valid (result, NULL), FALSE);

  r = g_task_propagate_pointer (G_TASK (result), error);
  if (r == NULL)
    return FALSE;
  if (out)
    *out = *r;
  return TRUE;
}

/* Watch -------------------------------------------------------------------------------- */

typedef struct
{
  MdnStore                *store;
  Client                   client;
  GMainLoop               *loop;
  GCancellable            *cancellable;
  SoupWebsocketConnection *ws;
  guint                    interval_s;
  guint                    backoff_s;
  guint                    timer;
  gboolean                 connecting;
  MdnSyncReportFunc        report;
  gpointer                 user_data;
  GError                  *fatal;
} Watch;

static void watch_connect (Watch *w);

static gboolean
fatal_error (const GError *error)
{
  return g_error_matches (error, MDN_ERROR, MDN_ERROR_NOT_LINKED) ||
         g_error_matches (error, MDN_ERROR, MDN_ERROR_HISTORY_BEHIND) ||
         g_error_matches (error, MDN_ERROR, MDN_ERROR_CORRUPT);
}

/* Returns whether the server answered. */
static gboolean
watch_sync (Watch *w)
{
  g_autoptr(GError) error = NULL;
  MdnSyncResult result = { 0 };
  gboolean ok = mdn_sync_run (w->store, &result, w->cancellable, &error);

  if (w->report)
    w->report (ok ? &result : NULL, error, w->user_data);
  if (!ok && fatal_error (error))
    {
      w->fatal = g_steal_pointer (&error);
      g_main_loop_quit (w->loop);
    }
  return ok || !g_error_matches (error, MDN_ERROR, MDN_ERROR_OFFLINE);
}

static gboolean
watch_tick (gpointer user_data)
{
  Watch *w = user_data;

  w->timer = 0;
  if (watch_sync (w))
    w->backoff_s = 1;
  else
    w->backoff_s = MIN (w->backoff_s * 2, 60);
  if (w->ws == NULL && !w->connecting)
    watch_connect (w);
  else
    w->timer = g_timeout_add_seconds (w->ws ? w->interval_s : w->backoff_s, watch_tick, w);
  return G_SOURCE_REMOVE;
}

static void
watch_schedule (Watch *w,
                guint  seconds)
{
  g_clear_handle_id (&w->timer, g_source_remove);
  w->timer = g_timeout_add_seconds (seconds, watch_tick, w);
}

static void
ws_message (SoupWebsocketConnection *ws,
            gint                     type,
            GBytes                  *message,
            gpointer                 user_data)
{
  Watch *w = user_data;

  /* Any notice means the feed moved (or we just connected): sync now. */
  if (watch_sync (w))
    w->backoff_s = 1;
  watch_schedule (w, w->interval_s);
}

static void
ws_closed (SoupWebsocketConnection *ws,
           gpointer                 user_data)
{
  Watch *w = user_data;

  g_signal_handlers_disconnect_by_data (ws, w);
  g_clear_object (&w->ws);
  watch_schedule (w, w->backoff_s);
}

static void
ws_connected (GObject      *source,
              GAsyncResult *res,
              gpointer      user_data)
{
  Watch *w = user_data;
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *ws;

  w->connecting = FALSE;
  ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), res, &error);
  if (ws == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      /* Server down or no WebSocket: keep polling with backoff. */
      watch_schedule (w, w->backoff_s);
      w->backoff_s = MIN (w->backoff_s * 2, 60);
      return;
    }
  w->ws = ws;
  soup_websocket_connection_set_keepalive_interval (ws, 20);
  g_signal_connect (ws, "message", G_CALLBACK (ws_message), w);
  g_signal_connect (ws, "closed", G_CALLBACK (ws_closed), w);
}

static void
watch_connect (Watch *w)
{
  g_autoptr(SoupMessage) msg = mdn_sync_client_message (&w->client, "GET", "/api/v1/sync/notify");

  if (msg == NULL)
    return;
  w->connecting = TRUE;
  soup_session_websocket_connect_async (w->client.session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        w->cancellable, ws_connected, w);
}

static void
watch_cancelled (GCancellable *cancellable,
                 gpointer      user_data)
{
  Watch *w = user_data;

  g_main_loop_quit (w->loop);
}

gboolean
mdn_sync_watch (MdnStore          *store,
                guint              interval_s,
                MdnSyncReportFunc  report,
                gpointer           user_data,
                GCancellable      *cancellable,
                GError           **error)
{
  Watch w = { 0 };
  gulong cancel_id = 0;

  g_return_val_if_fail (store != NULL, FALSE);

  if (!mdn_sync_client_init (&w.client, store, error))
    return FALSE;
  w.store = store;
  w.loop = g_main_loop_new (NULL, FALSE);
  w.cancellable = cancellable ? g_object_ref (cancellable) : g_cancellable_new ();
  w.interval_s = MAX (interval_s, 1);
  w.backoff_s = 1;
  w.report = report;
  w.user_data = user_data;
  cancel_id = g_cancellable_connect (w.cancellable, G_CALLBACK (watch_cancelled), &w, NULL);

  /* First sync at once, then the WebSocket keeps us current. */
  w.timer = g_idle_add (watch_tick, &w);
  g_main_loop_run (w.loop);

  g_cancellable_disconnect (w.cancellable, cancel_id);
  g_clear_handle_id (&w.timer, g_source_remove);
  if (w.ws)
    {
      g_signal_handlers_disconnect_by_data (w.ws, &w);
      if (soup_websocket_connection_get_state (w.ws) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (w.ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
      g_clear_object (&w.ws);
    }
  if (w.connecting)
    {
      /* Let the pending connect see the cancellation. */
      g_cancellable_cancel (w.cancellable);
      while (w.connecting)
        g_main_context_iteration (NULL, TRUE);
    }
  mdn_sync_client_clear (&w.client);
  g_main_loop_unref (w.loop);
  g_object_unref (w.cancellable);
  if (w.fatal)
    {
      g_propagate_error (error, w.fatal);
      return FALSE;
    }
  return TRUE;
}

/* The branch library ------------------------------------------------------------------ */

static const MdnSpendHooks spend_hooks = {
  .prepare = mdn_spend_prepare,
  .finish = mdn_spend_finish,
};

void
mdn_branch_init (void)
{
  static gsize once = 0;

  mdn_library_init ();
  if (g_once_init_enter (&once))
    {
      mdn_ops_check_kinds ();
      mdn_ops_register (sync_ops);
      mdn_ops_register (mdn_stock_chain_ops);
      mdn_ops_register (mdn_backup_ops);
      mdn_ops_set_spend_hooks (&spend_hooks);
      g_once_init_leave (&once, 1);
    }
}
