/* SMS sent by the real mendian-server to a gateway double on 127.0.0.1
 * that speaks the request shapes of 阿里云 (SendSms, RPC signature v1) and
 * 腾讯云 (SendSms 2021-01-11, TC3-HMAC-SHA256) and a webhook
 * (X-Mendian-Signature), checking every signature with code of its own:
 * retry after a 500, a restart while a message is with the gateway (no
 * duplicate), repeated pushes, consent, opt-out and the send window.
 * Waits are on events (a request arrived, a row changed), bounded by a
 * generous deadline that only turns a hang into a failure. */
#include <libpq-fe.h>
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#include "mdn-db.h"
#include "mdn-entry-codec.h"
#include "mdn-json.h"
#include "mdn-member-figures.h"
#include "mdn-test-server.h"

#define SECRET "s3cr3t-key"

typedef struct
{
  SoupServer *server;
  guint16     port;
  GPtrArray  *requests;     /* of JsonObject: what each request asked for */
  guint       fail_first;   /* answer 500 to this many */
  gboolean    hold_first;   /* never answer the first */
  SoupServerMessage *held;
  guint       bad_signatures;
} Gateway;

static char *
pct (const char *s)
{
  return g_uri_escape_string (s, NULL, FALSE);
}

static int
cmp (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* 阿里云 RPC signature v1, computed here from the form as received. */
static gboolean
aliyun_signature_ok (GHashTable *form)
{
  g_autoptr(GPtrArray) pairs = g_ptr_array_new_with_free_func (g_free);
  GHashTableIter it;
  gpointer k, v;
  GString *canon = g_string_new (NULL);
  g_autofree char *canon_text = NULL, *canon_pct = NULL, *to_sign = NULL, *expected = NULL;
  g_autoptr(GHmac) h = g_hmac_new (G_CHECKSUM_SHA1, (const guchar *) SECRET "&", strlen (SECRET) + 1);
  guint8 digest[20];
  gsize len = 20;

  g_hash_table_iter_init (&it, form);
  while (g_hash_table_iter_next (&it, &k, &v))
    if (!g_str_equal (k, "Signature"))
      {
        g_autofree char *pk = pct (k), *pv = pct (v);

        g_ptr_array_add (pairs, g_strdup_printf ("%s=%s", pk, pv));
      }
  g_ptr_array_sort (pairs, cmp);
  for (guint i = 0; i < pairs->len; i++)
    g_string_append_printf (canon, "%s%s", i ? "&" : "", (char *) pairs->pdata[i]);
  canon_text = g_string_free (canon, FALSE);
  canon_pct = pct (canon_text);
  to_sign = g_strconcat ("POST&%2F&", canon_pct, NULL);
  g_hmac_update (h, (const guchar *) to_sign, -1);
  g_hmac_get_digest (h, digest, &len);
  expected = g_base64_encode (digest, len);
  return g_strcmp0 (expected, g_hash_table_lookup (form, "Signature")) == 0 &&
         g_str_equal (g_hash_table_lookup (form, "Action"), "SendSms") &&
         g_str_equal (g_hash_table_lookup (form, "Version"), "2017-05-25") &&
         g_str_equal (g_hash_table_lookup (form, "AccessKeyId"), "AK1") &&
         g_str_equal (g_hash_table_lookup (form, "SignatureMethod"), "HMAC-SHA1");
}

static void
hmac256 (const guint8 *key, gsize key_len, const char *data, guint8 out[32])
{
  g_autoptr(GHmac) h = g_hmac_new (G_CHECKSUM_SHA256, key, key_len);
  gsize len = 32;

  g_hmac_update (h, (const guchar *) data, -1);
  g_hmac_get_digest (h, out, &len);
}

/* 腾讯云 TC3-HMAC-SHA256, from the headers and body as received. */
static gboolean
tencent_signature_ok (SoupMessageHeaders *hdrs,
                      const char         *body)
{
  const char *auth = soup_message_headers_get_one (hdrs, "Authorization");
  const char *ts = soup_message_headers_get_one (hdrs, "X-TC-Timestamp");
  const char *host = soup_message_headers_get_one (hdrs, "Host");
  const char *ctype = soup_message_headers_get_one (hdrs, "Content-Type");
  g_autoptr(GDateTime) t = NULL;
  g_autofree char *date = NULL, *body_hash = NULL, *canonical = NULL, *canonical_hash = NULL;
  g_autofree char *to_sign = NULL, *k0 = NULL, *expected = NULL;
  guint8 kd[32], ks[32], kg[32], sig[32];
  GString *hex = g_string_new (NULL);

  if (!auth || !ts || !host || g_strcmp0 (ctype, "application/json; charset=utf-8") != 0 ||
      g_strcmp0 (soup_message_headers_get_one (hdrs, "X-TC-Action"), "SendSms") != 0 ||
      g_strcmp0 (soup_message_headers_get_one (hdrs, "X-TC-Version"), "2021-01-11") != 0)
    {
      g_string_free (hex, TRUE);
      return FALSE;
    }
  t = g_date_time_new_from_unix_utc (g_ascii_strtoll (ts, NULL, 10));
  date = g_date_time_format (t, "%Y-%m-%d");
  body_hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, body, -1);
  canonical = g_strdup_printf ("POST\n/\n\ncontent-type:%s\nhost:%s\n\ncontent-type;host\n%s", ctype, host, body_hash);
  canonical_hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, canonical, -1);
  to_sign = g_strdup_printf ("TC3-HMAC-SHA256\n%s\n%s/sms/tc3_request\n%s", ts, date, canonical_hash);
  k0 = g_strconcat ("TC3", SECRET, NULL);
  hmac256 ((const guint8 *) k0, strlen (k0), date, kd);
  hmac256 (kd, 32, "sms", ks);
  hmac256 (ks, 32, "tc3_request", kg);
  hmac256 (kg, 32, to_sign, sig);
  for (int i = 0; i < 32; i++)
    g_string_append_printf (hex, "%02x", sig[i]);
  expected = g_strdup_printf ("TC3-HMAC-SHA256 Credential=AKID1/%s/sms/tc3_request, "
                              "SignedHeaders=content-type;host, Signature=%s", date, hex->str);
  g_string_free (hex, TRUE);
  return g_str_equal (expected, auth);
}

static void
handle (SoupServer        *server,
        SoupServerMessage *msg,
        const char        *path,
        GHashTable        *query,
        gpointer           user_data)
{
  Gateway *g = user_data;
  SoupMessageBody *b = soup_server_message_get_request_body (msg);
  g_autoptr(GBytes) bytes = soup_message_body_flatten (b);
  g_autofree char *body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  JsonObject *req = json_object_new ();
  guint n;
  const char *reply = "{}";

  json_object_set_string_member (req, "path", path);
  if (g_str_equal (path, "/aliyun"))
    {
      g_autoptr(GHashTable) form = soup_form_decode (body);

      if (!aliyun_signature_ok (form))
        g->bad_signatures++;
      json_object_set_string_member (req, "phone", g_hash_table_lookup (form, "PhoneNumbers"));
      json_object_set_string_member (req, "template", g_hash_table_lookup (form, "TemplateCode"));
      json_object_set_string_member (req, "params", g_hash_table_lookup (form, "TemplateParam"));
      json_object_set_string_member (req, "sign", g_hash_table_lookup (form, "SignName"));
      reply = "{\"Code\":\"OK\",\"Message\":\"OK\",\"BizId\":\"1\",\"RequestId\":\"r\"}";
    }
  else if (g_str_equal (path, "/tencent"))
    {
      g_autoptr(JsonObject) o = mdn_json_parse_object (body, NULL);

      if (!tencent_signature_ok (soup_server_message_get_request_headers (msg), body) || o == NULL)
        g->bad_signatures++;
      else
        {
          json_object_set_string_member (req, "phone", json_array_get_string_element (
                                           json_object_get_array_member (o, "PhoneNumberSet"), 0));
          json_object_set_string_member (req, "template", json_object_get_string_member (o, "TemplateId"));
          json_object_set_array_member (req, "params",
                                        json_array_ref (json_object_get_array_member (o, "TemplateParamSet")));
        }
      reply = "{\"Response\":{\"SendStatusSet\":[{\"Code\":\"Ok\",\"Message\":\"send success\"}],\"RequestId\":\"r\"}}";
    }
  else
    {
      const char *sig = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                                      "X-Mendian-Signature");
      g_autoptr(GHmac) h = g_hmac_new (G_CHECKSUM_SHA256, (const guchar *) SECRET, strlen (SECRET));
      g_autoptr(JsonObject) o = mdn_json_parse_object (body, NULL);

      g_hmac_update (h, (const guchar *) body, -1);
      if (g_strcmp0 (sig, g_hmac_get_string (h)) != 0 || o == NULL)
        g->bad_signatures++;
      else
        {
          json_object_set_string_member (req, "phone", json_object_get_string_member (o, "phone"));
          json_object_set_string_member (req, "text", json_object_get_string_member (o, "text"));
          json_object_set_string_member (req, "event", json_object_get_string_member (o, "event"));
          json_object_set_int_member (req, "id", json_object_get_int_member (o, "id"));
        }
    }
  g_ptr_array_add (g->requests, req);
  n = g->requests->len;
  if (g->hold_first && n == 1)
    {
      g->held = msg;
      soup_server_message_pause (msg);
      return;
    }
  if (n <= g->fail_first)
    {
      soup_server_message_set_status (msg, 500, NULL);
      soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_STATIC, "{}", 2);
      return;
    }
  soup_server_message_set_status (msg, 200, NULL);
  soup_server_message_set_response (msg, "application/json", SOUP_MEMORY_COPY, reply, strlen (reply));
}

static Gateway *
gateway_new (void)
{
  Gateway *g = g_new0 (Gateway, 1);
  g_autoptr(GError) error = NULL;
  GSList *uris;

  g->requests = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  g->server = soup_server_new (NULL, NULL);
  soup_server_add_handler (g->server, NULL, handle, g, NULL);
  g_assert_true (soup_server_listen_local (g->server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (g->server);
  g->port = (guint16) g_uri_get_port (uris->data);
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
  return g;
}

static void
gateway_free (Gateway *g)
{
  if (g->held)
    {
      soup_server_message_set_status (g->held, 200, NULL);
      soup_server_message_unpause (g->held);
    }
  soup_server_disconnect (g->server);
  g_object_unref (g->server);
  g_ptr_array_unref (g->requests);
  g_free (g);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Gateway, gateway_free)

/* Runs the main loop (the double answers in it) until @done, at most a
 * minute: a hang fails, nothing is decided by the clock. */
typedef gboolean (*Done) (gpointer data);

static void
wait_until (Done     done,
            gpointer data)
{
  gint64 deadline = g_get_monotonic_time () + 60 * G_USEC_PER_SEC;

  while (!done (data))
    {
      if (g_get_monotonic_time () > deadline)
        g_error ("timed out waiting");
      g_main_context_iteration (NULL, FALSE);
      g_usleep (2000);
    }
}

typedef struct { Gateway *g; guint n; } Count;

static gboolean
has_requests (gpointer data)
{
  Count *c = data;

  return c->g->requests->len >= c->n;
}

typedef struct { MdnTestServer *s; const char *sql; gint64 want; } Rows;

static gboolean
rows_are (gpointer data)
{
  Rows *r = data;

  g_main_context_iteration (NULL, FALSE);
  return mdn_test_server_count (r->s, r->sql) == r->want;
}

static void
wait_rows (MdnTestServer *s,
           const char    *sql,
           gint64         want)
{
  Rows r = { s, sql, want };

  wait_until (rows_are, &r);
}

/* PostgreSQL: until @n SMS senders hold their id's advisory lock
 * (srv-store-pg-sms.c's SMS_SENDER_CLASS), so that a killed server's
 * session is known to be gone before the next one looks; SQLite: nothing
 * to wait for. */
static void
wait_senders (MdnTestServer *s,
              gint64         n)
{
  if (mdn_test_backend_pg ())
    wait_rows (s, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 2 "
                  "AND classid = 1835298410 AND granted", n);
}

static char *
write_secret (MdnTestServer *s)
{
  char *path = g_build_filename (s->dir, "sms-secret", NULL);

  g_assert_true (g_file_set_contents (path, SECRET "\n", -1, NULL));
  return path;
}

/* A server with the HQ terminal (sms.on_deposit switched on) and a branch. */
static MdnTestServer *
chain_new (const char     *gateway_args,
           MdnTestBranch **hq,
           MdnTestBranch **b1)
{
  MdnTestServer *s = mdn_test_server_init ("sms");

  mdn_test_server_add_hq_token (s);
  (void) gateway_args;
  mdn_test_server_start (s, "--sms-retry-base=0");
  *hq = mdn_test_server_branch_new (s, "HQ", 0, TRUE);
  *b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  json_object_unref (mdn_test_ok ((*hq)->admin, "{\"op\":\"settings.set\",\"key\":\"sms.on_deposit\",\"value\":true}"));
  mdn_test_sync_ok (*hq);
  return s;
}

static void
set_gateway (MdnTestServer *s,
             const char    *driver,
             const char    *url,
             const char    *extra1,
             const char    *extra2)
{
  g_autofree char *secret = write_secret (s);
  g_autofree char *out = mdn_test_server_cmd (s, "sms", "gateway", "--driver", driver, "--url", url,
                                              "--key-id", driver[0] == 't' ? "AKID1" : "AK1",
                                              "--secret-file", secret, "--sign-name", "门店", extra1, extra2, NULL);

  /* The secret is kept, never shown. */
  g_assert_null (strstr (out, SECRET));
  g_assert_nonnull (strstr (out, "\"has_secret\":true"));
}

static void
test_aliyun_retry (void)
{
  g_autoptr(Gateway) g = gateway_new ();
  g_autoptr(MdnTestBranch) hq = NULL, b1 = NULL;
  g_autoptr(MdnTestServer) s = NULL;
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/aliyun", g->port);
  g_autofree char *out = NULL;
  Count c = { g, 2 };
  JsonObject *req;

  mdn_test_set_now ("2026-09-22T10:00:00+08:00");
  s = chain_new (NULL, &hq, &b1);
  set_gateway (s, "aliyun", url, NULL, NULL);
  g_free (mdn_test_server_cmd (s, "sms", "template", "--event", "deposit", "--template-code", "SMS_100", NULL));
  g->fail_first = 1;

  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"张三\",\"phone\":\"13800000001\","
                                             "\"deposit\":\"100.00\"}"));
  mdn_test_sync_ok (b1);
  wait_until (has_requests, &c);
  wait_rows (s, "SELECT count(*) FROM srv_sms_outbox WHERE status = 'sent' AND attempts = 2", 1);
  g_assert_cmpuint (g->bad_signatures, ==, 0);
  req = g_ptr_array_index (g->requests, 1);
  g_assert_cmpstr (json_object_get_string_member (req, "phone"), ==, "13800000001");
  g_assert_cmpstr (json_object_get_string_member (req, "template"), ==, "SMS_100");
  g_assert_cmpstr (json_object_get_string_member (req, "sign"), ==, "门店");
  g_assert_nonnull (strstr (json_object_get_string_member (req, "params"), "\"amount\":\"100.00\""));

  /* A repeated push of everything: nothing new queued or sent. */
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_sms_outbox"), ==, 1);
  {
    g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
    g_autoptr(sqlite3_stmt) stmt = NULL;
    g_autofree char *text = NULL;
    GString *body = g_string_new ("{\"entries\":[");

    g_assert_cmpint (sqlite3_prepare_v2 (mdn_db_handle (b1->store->db),
                                         "SELECT id FROM entries WHERE branch = 'B01' ORDER BY seq", -1, &stmt, NULL),
                     ==, SQLITE_OK);
    for (guint i = 0; sqlite3_step (stmt) == SQLITE_ROW; i++)
      {
        g_autoptr(MdnEntry) e = mdn_entry_load (b1->store->db, (const char *) sqlite3_column_text (stmt, 0), NULL);
        g_autoptr(JsonObject) o = mdn_entry_to_json (e, TRUE);
        g_autofree char *t = mdn_json_object_to_string (o);

        g_string_append_printf (body, "%s%s", i ? "," : "", t);
      }
    g_string_append (body, "]}");
    text = g_string_free (body, FALSE);
    g_assert_cmpuint (mdn_test_http (s, "POST", "/api/v1/sync/push", g_hash_table_lookup (s->tokens, "B01"),
                                     text, -1, NULL), ==, 200);
  }
  mdn_test_sync_ok (b1);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_sms_outbox"), ==, 1);
  out = mdn_test_server_cmd (s, "sms", "outbox", "--status", "sent", NULL);
  g_assert_nonnull (strstr (out, "13800000001"));
  g_assert_cmpuint (g->requests->len, ==, 2);
  mdn_test_set_now (NULL);
}

static void
test_tencent_restart (void)
{
  g_autoptr(Gateway) g = gateway_new ();
  g_autoptr(MdnTestBranch) hq = NULL, b1 = NULL;
  g_autoptr(MdnTestServer) s = NULL;
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/tencent", g->port);
  Count one = { g, 1 }, two = { g, 2 };
  guint first_phone_seen = 0;

  mdn_test_set_now ("2026-09-22T10:00:00+08:00");
  s = chain_new (NULL, &hq, &b1);
  set_gateway (s, "tencent", url, "--app-id", "1400000001");
  g_free (mdn_test_server_cmd (s, "sms", "template", "--event", "deposit", "--template-code", "2000001",
                               "--text", "{name}充值{amount}元，余额{balance}元", NULL));
  g->hold_first = TRUE;

  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"甲\",\"phone\":\"13800000001\","
                                             "\"deposit\":\"10.00\"}"));
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"乙\",\"phone\":\"13800000002\","
                                             "\"deposit\":\"20.00\"}"));
  mdn_test_sync_ok (b1);
  /* The first message is with the gateway, unanswered: the server dies. */
  wait_until (has_requests, &one);
  g_assert_cmpint (mdn_test_server_stop (s, SIGKILL), ==, -SIGKILL);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_sms_outbox WHERE status = 'sending'"), ==, 1);
  wait_senders (s, 0);
  mdn_test_server_start (s, "--sms-retry-base=0");
  mdn_test_server_link (s, b1);
  /* The other goes out; the first is never sent again. */
  wait_until (has_requests, &two);
  wait_rows (s, "SELECT count(*) FROM srv_sms_outbox WHERE status = 'sent'", 1);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_sms_outbox WHERE status = 'failed' "
                                             "AND last_error LIKE 'interrupted%'"), ==, 1);
  mdn_test_sync_ok (b1);
  g_assert_cmpuint (g->bad_signatures, ==, 0);
  for (guint i = 0; i < g->requests->len; i++)
    if (g_strcmp0 (json_object_get_string_member (g_ptr_array_index (g->requests, i), "phone"),
                   json_object_get_string_member (g_ptr_array_index (g->requests, 0), "phone")) == 0)
      first_phone_seen++;
  g_assert_cmpuint (first_phone_seen, ==, 1);
  g_assert_cmpuint (g->requests->len, ==, 2);
  {
    JsonObject *req = g_ptr_array_index (g->requests, 1);
    JsonArray *params = json_object_get_array_member (req, "params");

    g_assert_true (g_str_has_prefix (json_object_get_string_member (req, "phone"), "+86138"));
    g_assert_cmpstr (json_object_get_string_member (req, "template"), ==, "2000001");
    g_assert_cmpuint (json_array_get_length (params), ==, 3);   /* name, amount, balance in order */
  }
  mdn_test_set_now (NULL);
}

static void
test_consent_and_window (void)
{
  g_autoptr(Gateway) g = gateway_new ();
  g_autoptr(MdnTestBranch) hq = NULL, b1 = NULL;
  g_autoptr(MdnTestServer) s = NULL;
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/hook", g->port);
  g_autoptr(JsonObject) preview = NULL;
  g_autoptr(GDateTime) open = NULL;
  g_autofree char *sql = NULL;
  Count one = { g, 1 }, two = { g, 2 };
  JsonObject *req;

  /* 23:00 at the branch and the server: marketing waits for 08:00. */
  mdn_test_set_now ("2026-09-22T23:00:00+08:00");
  s = chain_new (NULL, &hq, &b1);
  set_gateway (s, "webhook", url, NULL, NULL);
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"同意\",\"phone\":\"13800000011\"}"));
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"没说\",\"phone\":\"13800000012\"}"));
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"退订\",\"phone\":\"13800000013\"}"));
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.sms_prefs\",\"card\":\"13800000011\",\"sms_consent\":true}"));
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.sms_prefs\",\"card\":\"13800000013\","
                                             "\"sms_consent\":true,\"sms_opt_out\":true}"));
  /* An event message to the one who opted out is never queued. */
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.deposit\",\"card\":\"13800000013\",\"amount\":\"5.00\"}"));
  mdn_test_sync_ok (b1);
  mdn_test_sync_ok (hq);

  preview = mdn_test_ok (hq->admin, "{\"op\":\"sms.campaign\",\"filter\":{},\"template\":\"{name}，周末{offer}\","
                                    "\"params\":{\"offer\":\"八折\"},\"preview\":true}");
  g_assert_cmpint (mdn_test_int (preview, "count"), ==, 1);
  g_assert_cmpstr (mdn_test_str (preview, "text"), ==, "同意，周末八折拒收请回复R");
  g_assert_cmpint (mdn_test_count (hq, "SELECT count(*) FROM entries WHERE kind = 'sms.campaign'"), ==, 0);
  json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"sms.campaign\",\"filter\":{},\"template\":\"{name}，周末{offer}\","
                                             "\"params\":{\"offer\":\"八折\"}}"));
  mdn_test_sync_ok (hq);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_sms_outbox WHERE event = 'campaign'"), ==, 1);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_sms_outbox WHERE phone = '13800000013'"), ==, 0);
  /* The sender moved it to 08:00 the next morning and sent nothing. */
  open = g_date_time_new_from_iso8601 ("2026-09-23T08:00:00+08:00", NULL);
  sql = g_strdup_printf ("SELECT count(*) FROM srv_sms_outbox WHERE status = 'queued' AND next_at = %" G_GINT64_FORMAT,
                         g_date_time_to_unix (open));
  wait_rows (s, sql, 1);
  g_assert_cmpuint (g->requests->len, ==, 0);

  /* The next morning: it goes, with the opt-out line. */
  g_assert_cmpint (mdn_test_server_stop (s, SIGTERM), ==, 0);
  mdn_test_set_now ("2026-09-23T09:00:00+08:00");
  mdn_test_server_start (s, "--sms-retry-base=0");
  wait_until (has_requests, &one);
  req = g_ptr_array_index (g->requests, 0);
  g_assert_cmpuint (g->bad_signatures, ==, 0);
  g_assert_cmpstr (json_object_get_string_member (req, "phone"), ==, "13800000011");
  g_assert_cmpstr (json_object_get_string_member (req, "text"), ==, "同意，周末八折拒收请回复R");
  g_assert_cmpstr (json_object_get_string_member (req, "event"), ==, "campaign");
  wait_rows (s, "SELECT count(*) FROM srv_sms_outbox WHERE status = 'sent'", 1);

  /* The daily cap (2): a third campaign the same day waits for tomorrow. */
  mdn_test_server_link (s, hq);
  for (int i = 0; i < 2; i++)
    json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"sms.campaign\",\"filter\":{},\"template\":\"第%d次\","
                                               "\"params\":{}}", i + 2));
  mdn_test_sync_ok (hq);
  wait_until (has_requests, &two);
  g_clear_pointer (&sql, g_free);
  g_clear_pointer (&open, g_date_time_unref);
  open = g_date_time_new_from_iso8601 ("2026-09-24T08:00:00+08:00", NULL);
  sql = g_strdup_printf ("SELECT count(*) FROM srv_sms_outbox WHERE status = 'queued' AND next_at = %" G_GINT64_FORMAT,
                         g_date_time_to_unix (open));
  wait_rows (s, sql, 1);
  g_assert_cmpuint (g->requests->len, ==, 2);
  mdn_test_set_now (NULL);
}

/* Two server processes on one PostgreSQL database -------------------------------------- */

/* Another mendian-server process on @a's database, with @a's tokens. */
static MdnTestServer *
second_process (MdnTestServer *a,
                const char    *name)
{
  MdnTestServer *b = g_new0 (MdnTestServer, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *tmpl = g_strdup_printf ("mendian-sms-%s-XXXXXX", name);
  GHashTableIter iter;
  gpointer key, value;

  b->dir = g_dir_make_tmp (tmpl, &error);
  g_assert_no_error (error);
  b->db = g_strdup (a->db);
  b->hq_token = g_strdup (a->hq_token);
  b->tokens = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_iter_init (&iter, a->tokens);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (b->tokens, g_strdup (key), g_strdup (value));
  mdn_test_server_start (b, "--sms-retry-base=0");
  return b;
}

/* Two senders share one outbox: every message is sent exactly once. The
 * double holds the first request unanswered, so one sender is busy with
 * it while the other sends the rest; a third process starting then (its
 * sender looks for messages left by processes that are gone) leaves the
 * held one alone, and it is sent once when the gateway answers. */
static void
test_two_senders (void)
{
  g_autoptr(Gateway) g = NULL;
  g_autoptr(MdnTestBranch) hq = NULL, b1 = NULL;
  g_autoptr(MdnTestServer) a = NULL, b = NULL, c = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_int64_hash, g_int64_equal);
  g_autofree char *url = NULL;
  g_autofree char *card = NULL;
  g_autoptr(JsonObject) m = NULL;
  const guint n = 12;
  Count all = { NULL, n };
  g_autofree gint64 *ids = g_new0 (gint64, n);

  if (!mdn_test_backend_pg ())
    {
      g_test_skip ("several server processes on one database: PostgreSQL only");
      return;
    }
  g = gateway_new ();
  all.g = g;
  url = g_strdup_printf ("http://127.0.0.1:%u/hook", g->port);
  mdn_test_set_now ("2026-09-22T10:00:00+08:00");
  a = chain_new (NULL, &hq, &b1);
  set_gateway (a, "webhook", url, NULL, NULL);
  b = second_process (a, "b");
  wait_senders (a, 2);
  g->hold_first = TRUE;

  /* n deposits in one push through A: n messages due at once for both. */
  m = mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"甲\",\"phone\":\"13800000031\"}");
  card = g_strdup (mdn_test_str (m, "card_no"));
  for (guint i = 0; i < n; i++)
    json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"%u.00\"}",
                                    card, i + 1));
  mdn_test_sync_ok (b1);
  g_assert_cmpint (mdn_test_server_count (a, "SELECT count(*) FROM srv_sms_outbox"), ==, n);
  wait_until (has_requests, &all);
  wait_rows (a, "SELECT count(*) FROM srv_sms_outbox WHERE status = 'sent'", n - 1);
  g_assert_cmpint (mdn_test_server_count (a, "SELECT count(*) FROM srv_sms_outbox WHERE status = 'sending'"), ==, 1);

  /* A third process: the held message's sender is alive, it stays. */
  c = second_process (a, "c");
  g_assert_cmpint (mdn_test_server_count (a, "SELECT count(*) FROM srv_sms_outbox WHERE status = 'sending'"), ==, 1);
  g_assert_cmpint (mdn_test_server_count (a, "SELECT count(*) FROM srv_sms_outbox WHERE status = 'failed'"), ==, 0);

  /* The gateway answers the held one: sent, once. */
  soup_server_message_set_status (g->held, 200, NULL);
  soup_server_message_set_response (g->held, "application/json", SOUP_MEMORY_STATIC, "{}", 2);
  soup_server_message_unpause (g->held);
  g->held = NULL;
  wait_rows (a, "SELECT count(*) FROM srv_sms_outbox WHERE status = 'sent'", n);
  g_assert_cmpuint (g->bad_signatures, ==, 0);
  g_assert_cmpuint (g->requests->len, ==, n);
  for (guint i = 0; i < g->requests->len; i++)
    {
      ids[i] = json_object_get_int_member (g_ptr_array_index (g->requests, i), "id");
      g_assert_false (g_hash_table_contains (seen, &ids[i]));
      g_hash_table_add (seen, &ids[i]);
    }
  g_assert_cmpint (mdn_test_server_count (a, "SELECT count(DISTINCT id) FROM srv_sms_outbox WHERE status = 'sent'"),
                   ==, g_hash_table_size (seen));
  mdn_test_set_now (NULL);
}

/* A PostgreSQL database upgraded to postgres/0007_sms.sql keeps every
 * member's SMS choices stored before it (the latest member.sms_prefs of
 * each), so nobody who opted out is sent anything after the upgrade. */
static void
test_pg_upgrade_choices (void)
{
  g_autoptr(MdnTestBranch) hq = NULL, b1 = NULL;
  g_autoptr(MdnTestServer) s = NULL;
  g_autoptr(JsonObject) out = NULL, in = NULL;
  g_autofree char *sql = NULL;
  PGconn *conn;
  PGresult *res;

  if (!mdn_test_backend_pg ())
    {
      g_test_skip ("a PostgreSQL migration");
      return;
    }
  mdn_test_set_now ("2026-09-22T10:00:00+08:00");
  s = chain_new (NULL, &hq, &b1);
  out = mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"退订\",\"phone\":\"13800000041\"}");
  in = mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"同意\",\"phone\":\"13800000042\"}");
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.sms_prefs\",\"card\":\"13800000041\","
                                             "\"sms_consent\":true}"));
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.sms_prefs\",\"card\":\"13800000041\","
                                             "\"sms_opt_out\":true}"));
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.sms_prefs\",\"card\":\"13800000042\","
                                             "\"sms_consent\":true}"));
  mdn_test_sync_ok (b1);
  g_assert_cmpint (mdn_test_server_stop (s, SIGTERM), ==, 0);

  /* Back to the schema before 0007, the members' rows as they were. */
  conn = PQconnectdb (s->db);
  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  res = PQexec (conn, "BEGIN; DROP TABLE srv_sms_gateway, srv_sms_templates, srv_sms_outbox, srv_sms_daily; "
                      "ALTER TABLE srv_members DROP COLUMN birthday_lunar, DROP COLUMN sms_consent, "
                      "DROP COLUMN sms_opt_out; COMMIT");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COMMAND_OK);
  PQclear (res);
  /* The migration itself (later ones are applied already: the file is
     run, as the migration runner runs it, in one transaction). */
  {
    g_autofree char *file = g_test_build_filename (G_TEST_DIST, "..", "schema", "server", "postgres",
                                                   "0007_sms.sql", NULL);
    g_autofree char *migration = NULL, *script = NULL;

    g_assert_true (g_file_get_contents (file, &migration, NULL, NULL));
    script = g_strconcat ("BEGIN; ", migration, "; COMMIT", NULL);
    res = PQexec (conn, script);
    g_assert_cmpint (PQresultStatus (res), ==, PGRES_COMMAND_OK);
    PQclear (res);
  }
  PQfinish (conn);
  sql = g_strdup_printf ("SELECT count(*) FROM srv_members WHERE id = '%s' AND sms_opt_out AND sms_consent",
                         mdn_test_str (out, "member_id"));
  g_assert_cmpint (mdn_test_server_count (s, sql), ==, 1);
  g_clear_pointer (&sql, g_free);
  sql = g_strdup_printf ("SELECT count(*) FROM srv_members WHERE id = '%s' AND NOT sms_opt_out AND sms_consent",
                         mdn_test_str (in, "member_id"));
  g_assert_cmpint (mdn_test_server_count (s, sql), ==, 1);

  /* A deposit of each: only the one who didn't opt out is texted. */
  mdn_test_server_start (s, "--sms-retry-base=0");
  mdn_test_server_link (s, b1);
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.deposit\",\"card\":\"13800000041\",\"amount\":\"5.00\"}"));
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.deposit\",\"card\":\"13800000042\",\"amount\":\"5.00\"}"));
  mdn_test_sync_ok (b1);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_sms_outbox"), ==, 1);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_sms_outbox WHERE phone = '13800000042'"), ==, 1);
  mdn_test_set_now (NULL);
}

/* Campaigns over the members' figures, on both stores ---------------------------------- */

typedef struct
{
  MdnTestServer *s;
  MdnTestBranch *hq, *b1, *b2;
} FigChain;

static void
fig_chain_free (FigChain *c)
{
  g_clear_pointer (&c->s, mdn_test_server_free);
  g_clear_pointer (&c->b2, mdn_test_branch_free);
  g_clear_pointer (&c->b1, mdn_test_branch_free);
  g_clear_pointer (&c->hq, mdn_test_branch_free);
  g_free (c);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FigChain, fig_chain_free)

static char *
fig_quick (MdnTestBranch *b,
           const char    *when,
           const char    *phone,
           gint64         fen)
{
  g_autoptr(JsonObject) r = NULL;

  mdn_test_set_now (when);
  r = mdn_test_ok (b->admin, "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":%" G_GINT64_FORMAT ","
                             "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":%" G_GINT64_FORMAT "}]}", phone, fen, fen);
  return g_strdup (mdn_test_str (r, "entry_id"));
}

/* Five members of B01 who take marketing SMS (甲 … 戊, 13800000061 …
 * 65), with visits at B01 and B02, two returns and a deposit (test-crm's
 * window, and visits after as_of):
 *   甲  08-01 B01 100.00, 10-10 B02 200.00, 10-20 B01 200.00, 11-04 B02 50.00
 *   乙  10-05 B02 300.00 returned at B02 on 10-06
 *   丙  09-01 B01 500.00, 11-04 B01 50.00, a deposit at B02 on 10-15
 *   丁  10-25 B01 100.00 returned at B01 on 11-05
 *   戊  11-03 B02 400.00
 * then the server restarted on 11-05 (the campaigns' today). */
static FigChain *
fig_chain_new (void)
{
  FigChain *c = g_new0 (FigChain, 1);
  static const char *const names[] = { "甲", "乙", "丙", "丁", "戊" };
  g_autofree char *b_sale = NULL, *d_sale = NULL;

  mdn_test_set_now ("2026-07-01T10:00:00+08:00");
  c->s = chain_new (NULL, &c->hq, &c->b1);
  c->b2 = mdn_test_server_branch_new (c->s, "B02", 2, FALSE);
  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      json_object_unref (mdn_test_ok (c->b1->admin, "{\"op\":\"member.issue\",\"name\":\"%s\",\"phone\":\"1380000006%u\"}",
                                      names[i], i + 1));
      json_object_unref (mdn_test_ok (c->b1->admin, "{\"op\":\"member.sms_prefs\",\"card\":\"1380000006%u\","
                                                    "\"sms_consent\":true}", i + 1));
    }
  mdn_test_sync_ok (c->b1);
  mdn_test_sync_ok (c->b2);
  g_free (fig_quick (c->b1, "2026-08-01T10:00:00+08:00", "13800000061", 10000));
  g_free (fig_quick (c->b1, "2026-09-01T10:00:00+08:00", "13800000063", 50000));
  b_sale = fig_quick (c->b2, "2026-10-05T10:00:00+08:00", "13800000062", 30000);
  mdn_test_set_now ("2026-10-06T10:00:00+08:00");
  json_object_unref (mdn_test_ok (c->b2->admin, "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}", b_sale));
  g_free (fig_quick (c->b2, "2026-10-10T10:00:00+08:00", "13800000061", 20000));
  mdn_test_set_now ("2026-10-15T10:00:00+08:00");
  json_object_unref (mdn_test_ok (c->b2->admin, "{\"op\":\"member.deposit\",\"card\":\"13800000063\",\"amount\":\"80.00\"}"));
  g_free (fig_quick (c->b1, "2026-10-20T10:00:00+08:00", "13800000061", 20000));
  d_sale = fig_quick (c->b1, "2026-10-25T10:00:00+08:00", "13800000064", 10000);
  g_free (fig_quick (c->b2, "2026-11-03T10:00:00+08:00", "13800000065", 40000));
  g_free (fig_quick (c->b2, "2026-11-04T10:00:00+08:00", "13800000061", 5000));
  g_free (fig_quick (c->b1, "2026-11-04T11:00:00+08:00", "13800000063", 5000));
  mdn_test_set_now ("2026-11-05T10:00:00+08:00");
  json_object_unref (mdn_test_ok (c->b1->admin, "{\"op\":\"sale.return\",\"entry_id\":\"%s\"}", d_sale));
  mdn_test_sync_ok (c->b1);
  mdn_test_sync_ok (c->b2);
  g_assert_cmpint (mdn_test_server_stop (c->s, SIGTERM), ==, 0);
  mdn_test_server_start (c->s, "--sms-retry-base=0");
  mdn_test_server_link (c->s, c->hq);
  mdn_test_server_link (c->s, c->b1);
  mdn_test_server_link (c->s, c->b2);
  mdn_test_sync_ok (c->hq);
  return c;
}

/* Sends a campaign to @filter from the HQ terminal; asserts the server
 * queued it to exactly @phones (comma-separated last digits of
 * 1380000006x, "" for nobody). */
static void
fig_campaign (FigChain   *c,
              const char *filter,
              const char *digits)
{
  g_autoptr(JsonObject) r = NULL;
  g_autofree char *all = NULL, *some = NULL;
  g_autoptr(GString) in = g_string_new ("''");
  guint n = 0;

  g_test_message ("campaign to %s", filter);
  r = mdn_test_ok (c->hq->admin, "{\"op\":\"sms.campaign\",\"filter\":%s,\"template\":\"好消息\","
                                  "\"params\":{}}", filter);

  mdn_test_sync_ok (c->hq);
  for (const char *d = digits; *d; d++)
    if (*d != ',')
      {
        g_string_append_printf (in, ", '1380000006%c'", *d);
        n++;
      }
  all = g_strdup_printf ("SELECT count(*) FROM srv_sms_outbox WHERE entry_id = '%s' AND event = 'campaign'",
                         mdn_test_str (r, "entry_id"));
  some = g_strdup_printf ("SELECT count(*) FROM srv_sms_outbox WHERE entry_id = '%s' AND event = 'campaign' "
                          "AND phone IN (%s)", mdn_test_str (r, "entry_id"), in->str);
  if (mdn_test_server_count (c->s, all) != n || mdn_test_server_count (c->s, some) != n)
    g_error ("campaign %s: %" G_GINT64_FORMAT " queued, %" G_GINT64_FORMAT " of them to %s", filter,
             mdn_test_server_count (c->s, all), mdn_test_server_count (c->s, some), digits);
}

/* The same members on both stores for the same filter: the window's
 * segments (30 days to 10-31: 甲 important_value, 乙 general_retention,
 * 丙 general_winback with its last visit before the window and one after
 * as_of, 丁 general_value, 戊 not scored), as_of alone (丙
 * important_winback), the whole history at 11-05 (甲 丙 important_value),
 * spent (returns subtracted), the last visit. */
static void
test_campaign_figures (void)
{
  g_autoptr(FigChain) c = fig_chain_new ();

  fig_campaign (c, "{\"segment\":\"important_value\",\"as_of\":\"2026-10-31\",\"days\":30}", "1");
  fig_campaign (c, "{\"segment\":\"general_retention\",\"as_of\":\"2026-10-31\",\"days\":30}", "2");
  fig_campaign (c, "{\"segment\":\"general_winback\",\"as_of\":\"2026-10-31\",\"days\":30}", "3");
  fig_campaign (c, "{\"segment\":\"general_value\",\"as_of\":\"2026-10-31\",\"days\":30}", "4");
  fig_campaign (c, "{\"segment\":\"important_winback\",\"as_of\":\"2026-10-31\"}", "3");
  fig_campaign (c, "{\"segment\":\"general_development\",\"as_of\":\"2026-10-31\"}", "4");
  fig_campaign (c, "{\"segment\":\"important_value\"}", "1,3");
  fig_campaign (c, "{\"segment\":\"important_development\"}", "5");
  fig_campaign (c, "{\"spent_min_fen\":40000}", "1,3,5");
  fig_campaign (c, "{\"last_visit_before\":\"2026-11-01\"}", "2,4");
  fig_campaign (c, "{\"last_visit_after\":\"2026-11-03\"}", "1,3");
  mdn_test_set_now (NULL);
}

/* The server's member_figures and member_days as text, one line a row. */
static char *
pg_figures_text (const char *uri)
{
  PGconn *conn = PQconnectdb (uri);
  PGresult *res;
  GString *out = g_string_new (NULL);

  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  res = PQexec (conn, "SELECT t FROM (SELECT 'f ' || member_id || ' ' || coalesce (to_char (first_visit, 'YYYY-MM-DD'), '-') || ' ' || "
                      "coalesce (to_char (last_visit, 'YYYY-MM-DD'), '-') || ' ' || visits || ' ' || spent_fen || ' ' || "
                      "deposits FROM srv_member_figures "
                      "UNION ALL SELECT 'd ' || member_id || ' ' || to_char (business_date, 'YYYY-MM-DD') || ' ' || "
                      "visits || ' ' || spent_fen FROM srv_member_days) x (t) ORDER BY t COLLATE \"C\"");
  if (PQresultStatus (res) != PGRES_TUPLES_OK)
    g_error ("the figures: %s", PQerrorMessage (conn));
  for (int r = 0; r < PQntuples (res); r++)
    g_string_append_printf (out, "%s\n", PQgetvalue (res, r, 0));
  PQclear (res);
  PQfinish (conn);
  return g_string_free (out, FALSE);
}

/* The figures of every entry the server applied, computed here from its
 * history with the rule itself (mdn_member_figures_apply, in a branch
 * schema in memory), in pg_figures_text's form. */
static char *
history_figures_text (const char *uri)
{
  PGconn *conn = PQconnectdb (uri);
  PGresult *res;
  g_autoptr(GString) push = g_string_new ("{\"entries\":[");
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_entry_free);
  g_autoptr(GError) error = NULL;
  GString *out = g_string_new (NULL);
  MdnDb *db;
  sqlite3_stmt *stmt;
  gint index = -1;

  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  res = PQexec (conn, "SELECT e.doc FROM entry_keys k JOIN entries e ON e.business_date = k.business_date "
                      "AND e.id = k.id WHERE k.projected ORDER BY k.applied");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_TUPLES_OK);
  for (int r = 0; r < PQntuples (res); r++)
    g_string_append_printf (push, "%s%s", r ? "," : "", PQgetvalue (res, r, 0));
  g_string_append (push, "]}");
  g_assert_cmpint (PQntuples (res), >, 20);
  PQclear (res);
  PQfinish (conn);
  g_assert_true (mdn_entry_codec_read_push (push->str, push->len, G_MAXUINT, entries, &index, &error));
  g_assert_no_error (error);
  db = mdn_db_open (":memory:", "branch", &error);
  g_assert_no_error (error);
  g_assert_true (mdn_db_begin (db, TRUE, &error));
  for (guint i = 0; i < entries->len; i++)
    {
      g_assert_true (mdn_member_figures_apply (db, g_ptr_array_index (entries, i), &error));
      g_assert_no_error (error);
    }
  stmt = mdn_db_query (db, &error,
                       "SELECT 'f ' || member_id || ' ' || coalesce (first_visit, '-') || ' ' || "
                       "coalesce (last_visit, '-') || ' ' || visits || ' ' || spent_fen || ' ' || deposits "
                       "FROM member_figures UNION ALL SELECT 'd ' || member_id || ' ' || business_date || ' ' || "
                       "visits || ' ' || spent_fen FROM member_days ORDER BY 1", "");
  g_assert_no_error (error);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_string_append_printf (out, "%s\n", (const char *) sqlite3_column_text (stmt, 0));
  sqlite3_reset (stmt);
  mdn_db_rollback (db);
  mdn_db_close (db);
  return g_string_free (out, FALSE);
}

/* PostgreSQL keeps the figures on apply (postgres/0010) as the rule
 * computes them from the history: two branches, a return of each, a
 * deposit, visits out of date order. */
static void
test_pg_figures_kept (void)
{
  g_autoptr(FigChain) c = NULL;
  g_autoptr(JsonObject) start = NULL;
  g_autofree char *kept = NULL, *computed = NULL;

  if (!mdn_test_backend_pg ())
    {
      g_test_skip ("the PostgreSQL store's figures");
      return;
    }
  c = fig_chain_new ();
  /* A timed session of 戊 at B02: a timed entry is stored at once, never
     held back (srv-store-pg-push.c), and its figures with it. */
  json_object_unref (mdn_test_ok (c->hq->admin, "{\"op\":\"plan.upsert\",\"code\":\"BIL\",\"name\":\"台球\","
                                                "\"unit_minutes\":30,\"unit_price_fen\":1500}"));
  mdn_test_sync_ok (c->hq);
  mdn_test_sync_ok (c->b2);
  json_object_unref (mdn_test_ok (c->b2->admin, "{\"op\":\"resource.upsert\",\"code\":\"T1\",\"name\":\"一号台\","
                                                "\"plan\":\"BIL\"}"));
  mdn_test_set_now ("2026-11-05T12:00:00+08:00");
  start = mdn_test_ok (c->b2->admin, "{\"op\":\"timed.start\",\"resource\":\"T1\",\"card\":\"13800000065\"}");
  mdn_test_set_now ("2026-11-05T13:00:00+08:00");
  json_object_unref (mdn_test_ok (c->b2->admin, "{\"op\":\"timed.stop\",\"session_id\":\"%s\","
                                                "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":3000}]}",
                                  mdn_test_str (start, "session_id")));
  mdn_test_sync_ok (c->b2);
  kept = pg_figures_text (c->s->db);
  computed = history_figures_text (c->s->db);
  g_assert_cmpstr (kept, ==, computed);
  /* 5 members with a row each; 甲's four visits; 丙's deposit; 乙's day
     of the return; 丁's return after the window, on its own day. */
  g_assert_nonnull (strstr (kept, " 2026-08-01 2026-11-04 4 55000 0\n"));
  g_assert_nonnull (strstr (kept, " 2026-09-01 2026-11-04 2 55000 1\n"));
  g_assert_nonnull (strstr (kept, " 2026-10-06 0 -30000\n"));
  g_assert_nonnull (strstr (kept, " 2026-11-05 0 -10000\n"));
  g_assert_nonnull (strstr (kept, " 2026-11-03 2026-11-05 2 43000 0\n"));   /* 戊 and the session */
  g_assert_cmpint (mdn_test_server_count (c->s, "SELECT count(*) FROM srv_member_figures"), ==, 5);
  mdn_test_set_now (NULL);
}

/* A database upgraded to postgres/0010 gets the figures of the entries it
 * held (the migration fills them from entry_keys and entries): the same
 * rows apply keeps, and a campaign after the upgrade chooses by them. */
static void
test_pg_figures_migration (void)
{
  g_autoptr(FigChain) c = NULL;
  g_autofree char *kept = NULL, *filled = NULL;
  PGconn *conn;
  PGresult *res;

  if (!mdn_test_backend_pg ())
    {
      g_test_skip ("a PostgreSQL migration");
      return;
    }
  c = fig_chain_new ();
  kept = pg_figures_text (c->s->db);
  g_assert_cmpint (mdn_test_server_stop (c->s, SIGTERM), ==, 0);

  /* Back to the schema before 0010, then the migration as the runner runs
     it (one transaction). */
  conn = PQconnectdb (c->s->db);
  g_assert_cmpint (PQstatus (conn), ==, CONNECTION_OK);
  res = PQexec (conn, "BEGIN; DROP TABLE srv_member_figures, srv_member_days; "
                      "DROP FUNCTION srv_member_figures_fill (); COMMIT");
  g_assert_cmpint (PQresultStatus (res), ==, PGRES_COMMAND_OK);
  PQclear (res);
  {
    g_autofree char *file = g_test_build_filename (G_TEST_DIST, "..", "schema", "server", "postgres",
                                                   "0010_member_figures.sql", NULL);
    g_autofree char *migration = NULL, *script = NULL;

    g_assert_true (g_file_get_contents (file, &migration, NULL, NULL));
    script = g_strconcat ("BEGIN; ", migration, "; COMMIT", NULL);
    res = PQexec (conn, script);
    if (PQresultStatus (res) != PGRES_COMMAND_OK)
      g_error ("0010: %s", PQerrorMessage (conn));
    PQclear (res);
  }
  PQfinish (conn);
  filled = pg_figures_text (c->s->db);
  g_assert_cmpstr (filled, ==, kept);

  mdn_test_server_start (c->s, "--sms-retry-base=0");
  mdn_test_server_link (c->s, c->hq);
  fig_campaign (c, "{\"segment\":\"general_winback\",\"as_of\":\"2026-10-31\",\"days\":30}", "3");
  fig_campaign (c, "{\"spent_min_fen\":40000}", "1,3,5");
  mdn_test_set_now (NULL);
}

/* Birthday greetings and sms.send ------------------------------------------------------ */

static gboolean
webhook_has_phone (Gateway    *g,
                   const char *phone)
{
  for (guint i = 0; i < g->requests->len; i++)
    if (g_strcmp0 (json_object_get_string_member (g_ptr_array_index (g->requests, i), "phone"), phone) == 0)
      return TRUE;
  return FALSE;
}

static void
test_birthdays_and_send (void)
{
  g_autoptr(Gateway) g = gateway_new ();
  g_autoptr(MdnTestBranch) hq = NULL, b1 = NULL;
  g_autoptr(MdnTestServer) s = NULL;
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u/hook", g->port);
  g_autoptr(JsonObject) sent = NULL;
  Count three = { g, 3 };

  /* 10:00 on 2026-09-22 (lunar 8/12) in the chain's zone. */
  mdn_test_set_now ("2026-09-22T10:00:00+08:00");
  s = chain_new (NULL, &hq, &b1);
  set_gateway (s, "webhook", url, NULL, NULL);
  json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"settings.set\",\"key\":\"sms.on_deposit\",\"value\":false}"));
  mdn_test_sync_ok (hq);
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"阳历\",\"phone\":\"13800000021\","
                                             "\"birthday\":\"1990-09-22\"}"));
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"农历\",\"phone\":\"13800000022\","
                                             "\"birthday_lunar\":\"08-12\"}"));
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"退订\",\"phone\":\"13800000023\","
                                             "\"birthday\":\"1985-09-22\"}"));
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.sms_prefs\",\"card\":\"13800000023\",\"sms_opt_out\":true}"));
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"明天\",\"phone\":\"13800000024\","
                                             "\"birthday\":\"1990-09-23\",\"deposit\":\"8.00\"}"));
  mdn_test_sync_ok (b1);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_sms_outbox"), ==, 0);

  /* Head office switches the greeting on: today's two birthdays, once. */
  json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"settings.set\",\"key\":\"sms.birthday\",\"value\":true}"));
  mdn_test_sync_ok (hq);
  wait_rows (s, "SELECT count(*) FROM srv_sms_outbox WHERE event = 'birthday' AND status = 'sent'", 2);
  g_assert_true (webhook_has_phone (g, "13800000021"));
  g_assert_true (webhook_has_phone (g, "13800000022"));
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_sms_outbox WHERE entry_id = 'birthday:2026'"), ==, 2);

  /* sms.send from the reminders window: a low balance (about the card:
     no consent needed); inactivity is marketing and needs consent. */
  sent = mdn_test_ok (b1->admin, "{\"op\":\"sms.send\",\"card\":\"13800000024\",\"event\":\"low_balance\"}");
  g_assert_nonnull (strstr (mdn_test_str (sent, "text"), "8.00"));
  mdn_test_fails (b1->admin, "invalid_argument", "{\"op\":\"sms.send\",\"card\":\"13800000024\",\"event\":\"inactive\"}");
  mdn_test_fails (b1->admin, "invalid_argument", "{\"op\":\"sms.send\",\"card\":\"13800000023\",\"event\":\"expiry\"}");
  mdn_test_fails (b1->admin, "invalid_argument", "{\"op\":\"sms.send\",\"card\":\"13800000024\",\"event\":\"deposit\"}");
  mdn_test_sync_ok (b1);
  wait_until (has_requests, &three);
  g_assert_true (webhook_has_phone (g, "13800000024"));

  /* A member issued after today's scan is greeted by the next process's
     scan (a restart the same day), and the others are not greeted twice. */
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"新客\",\"phone\":\"13800000025\","
                                             "\"birthday\":\"2000-09-22\"}"));
  mdn_test_sync_ok (b1);
  g_assert_cmpint (mdn_test_server_stop (s, SIGTERM), ==, 0);
  mdn_test_set_now ("2026-09-22T11:00:00+08:00");
  mdn_test_server_start (s, "--sms-retry-base=0");
  wait_rows (s, "SELECT count(*) FROM srv_sms_outbox WHERE event = 'birthday' AND phone = '13800000025' "
                "AND status = 'sent'", 1);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_sms_outbox WHERE event = 'birthday'"), ==, 3);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_sms_outbox WHERE event = 'birthday' "
                                             "AND phone = '13800000021'"), ==, 1);

  /* The next year: greeted again, once. */
  g_assert_cmpint (mdn_test_server_stop (s, SIGTERM), ==, 0);
  mdn_test_set_now ("2027-09-22T09:30:00+08:00");
  mdn_test_server_start (s, "--sms-retry-base=0");
  wait_rows (s, "SELECT count(*) FROM srv_sms_outbox WHERE entry_id = 'birthday:2027' AND phone = '13800000021'", 1);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_sms_outbox WHERE event = 'birthday' "
                                             "AND phone = '13800000023'"), ==, 0);
  mdn_test_set_now (NULL);
}

/* A member's own page ----------------------------------------------------------------- */

static char *
get_page (MdnTestServer *s,
          const char    *path,
          guint         *status)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", s->port, path);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read (session, msg, NULL, &error);

  g_assert_no_error (error);
  *status = soup_message_get_status (msg);
  return g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
}

static char *
post_page_from (MdnTestServer *s,
                const char    *path,
                const char    *form,
                const char    *forwarded_for,
                guint         *status);

static char *
post_page (MdnTestServer *s,
           const char    *path,
           const char    *form,
           guint         *status)
{
  return post_page_from (s, path, form, NULL, status);
}

static char *
post_page_from (MdnTestServer *s,
                const char    *path,
                const char    *form,
                const char    *forwarded_for,
                guint         *status)
{
  g_autoptr(SoupSession) session = soup_session_new ();
  g_autofree char *url = g_strdup_printf ("http://127.0.0.1:%u%s", s->port, path);
  g_autoptr(SoupMessage) msg = soup_message_new ("POST", url);
  g_autoptr(GBytes) req = g_bytes_new (form, strlen (form));
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;

  soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", req);
  if (forwarded_for)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "X-Forwarded-For", forwarded_for);
  body = soup_session_send_and_read (session, msg, NULL, &error);
  g_assert_no_error (error);
  *status = soup_message_get_status (msg);
  return g_strndup (g_bytes_get_data (body, NULL), g_bytes_get_size (body));
}

/* History and messages behind the PIN, with the counter's lockout; a
 * message left there reaches the branches; the PIN never in the address
 * nor in the server's log. */
static void
test_member_page_pin (void)
{
  g_autoptr(MdnTestBranch) hq = NULL, b1 = NULL;
  g_autoptr(MdnTestServer) s = NULL;
  g_autoptr(JsonObject) m = NULL, list = NULL;
  g_autofree char *path = NULL, *page = NULL;
  guint status = 0;

  mdn_test_set_now ("2026-09-22T10:00:00+08:00");
  s = chain_new (NULL, &hq, &b1);
  mdn_test_sync_ok (b1);
  m = mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"李四\",\"phone\":\"13800000002\","
                              "\"deposit\":\"50.00\",\"pin\":\"246810\"}");
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"sale.quick\",\"card\":\"13800000002\",\"amount_fen\":1250,"
                                             "\"pin\":\"246810\",\"tenders\":[{\"type\":\"balance\",\"amount_fen\":1250}]}"));
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"message.add\",\"card\":\"13800000002\",\"text\":\"周末营业吗\"}"));
  mdn_test_sync_ok (b1);
  path = g_strdup_printf ("/m/%s", mdn_test_str (m, "qr"));
  page = get_page (s, path, &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (page, "name=\"pin\""));
  g_assert_null (strstr (page, "12.50"));         /* no history without the PIN */
  g_clear_pointer (&page, g_free);

  /* A wrong PIN is counted (chain-wide, as at the counter). */
  page = post_page (s, path, "pin=111111", &status);
  g_assert_cmpuint (status, ==, 403);
  g_assert_null (strstr (page, "12.50"));
  g_clear_pointer (&page, g_free);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT coalesce (sum (failures), 0) FROM lockouts WHERE what = 'pin'"), ==, 1);

  page = post_page (s, path, "pin=246810", &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (page, "12.50"));      /* the purchase */
  g_assert_nonnull (strstr (page, "50.00"));      /* the top-up */
  g_assert_nonnull (strstr (page, "周末营业吗"));  /* the member's message */
  g_assert_nonnull (strstr (page, "name=\"message\""));
  g_assert_null (strstr (page, "246810"));        /* the PIN is not echoed */
  g_assert_cmpint (mdn_test_server_count (s, "SELECT coalesce (sum (failures), 0) FROM lockouts WHERE what = 'pin'"), ==, 0);
  g_clear_pointer (&page, g_free);

  /* A message left on the page: a shared entry the branch reads. */
  page = post_page (s, path, "pin=246810&message=%E5%8F%AF%E4%BB%A5%E9%A2%84%E7%BA%A6%3Cb%3E", &status);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (page, "可以预约&lt;b&gt;"));
  g_assert_null (strstr (page, "可以预约<b>"));
  g_clear_pointer (&page, g_free);
  mdn_test_sync_ok (b1);
  list = mdn_test_ok (b1->admin, "{\"op\":\"message.list\",\"card\":\"13800000002\"}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (list, "messages")), ==, 2);

  /* Five wrong in a row lock the card, here and at the counter. */
  for (int i = 0; i < 5; i++)
    {
      page = post_page (s, path, "pin=000000", &status);
      g_assert_cmpuint (status, ==, 403);
      g_clear_pointer (&page, g_free);
    }
  page = post_page (s, path, "pin=246810", &status);
  g_assert_cmpuint (status, ==, 403);
  g_assert_null (strstr (page, "12.50"));
  g_clear_pointer (&page, g_free);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count (*) FROM lockouts WHERE what = 'pin' AND locked_until > 0"), ==, 1);

  /* Rate limit: the eleventh post of the minute from one address. */
  for (int i = 0; i < 4; i++)
    g_free (post_page (s, path, "pin=000000", &status));
  g_assert_cmpuint (status, ==, 429);
  /* Behind a reverse proxy on this host, each forwarded client has its own
     count: another phone is not held back (the card is still locked). */
  g_free (post_page_from (s, path, "pin=246810", "203.0.113.7, 198.51.100.9", &status));
  g_assert_cmpuint (status, ==, 403);

  mdn_test_set_now (NULL);
}

static void
test_member_page (void)
{
  g_autoptr(MdnTestBranch) hq = NULL, b1 = NULL;
  g_autoptr(MdnTestServer) s = NULL;
  g_autoptr(JsonObject) m = NULL, shown = NULL;
  g_autofree char *path = NULL, *page = NULL, *forged = NULL, *bad = NULL, *url = NULL;
  guint status = 0;

  mdn_test_set_now ("2026-09-22T10:00:00+08:00");
  s = chain_new (NULL, &hq, &b1);
  mdn_test_sync_ok (b1);     /* the chain's key reaches the branch */
  m = mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"<b>张三</b>\",\"phone\":\"13800000001\","
                              "\"deposit\":\"88.50\",\"expires_on\":\"2027-12-31\"}");
  mdn_test_sync_ok (b1);
  path = g_strdup_printf ("/m/%s", mdn_test_str (m, "qr"));
  page = get_page (s, path, &status);
  if (status != 200)
    g_test_message ("page %s: %s", path, page);
  g_assert_cmpuint (status, ==, 200);
  g_assert_nonnull (strstr (page, "88.50"));
  g_assert_nonnull (strstr (page, "2027-12-31"));
  g_assert_nonnull (strstr (page, "&lt;b&gt;张三&lt;/b&gt;"));   /* escaped */
  g_assert_null (strstr (page, "<b>张三"));
  /* A forged signature is not a card. */
  forged = g_strdup (path);
  forged[strlen (forged) - 2] = forged[strlen (forged) - 2] == 'A' ? 'B' : 'A';
  bad = get_page (s, forged, &status);
  g_assert_cmpuint (status, ==, 404);
  /* The branch's scanner takes the page's address as well as the payload. */
  url = g_strdup_printf ("https://m.example.com%s", path);
  shown = mdn_test_ok (b1->admin, "{\"op\":\"member.show\",\"card\":\"%s\"}", url);
  g_assert_cmpstr (mdn_test_str (shown, "card_no"), ==, mdn_test_str (m, "card_no"));

  /* The chain's public URL: new and reprinted cards encode URL/m/<payload>;
     the old card's bare payload and the new address both scan. */
  {
    g_autoptr(JsonObject) m2 = NULL, reprint = NULL, by_url = NULL, by_old = NULL;
    g_autofree char *png = g_build_filename (s->dir, "card.png", NULL);
    g_autofree char *path2 = NULL, *page2 = NULL;

    json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"settings.set\",\"key\":\"member.public_url\","
                                               "\"value\":\"https://vip.example.com/\"}"));
    mdn_test_sync_ok (hq);
    mdn_test_sync_ok (b1);
    m2 = mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"王五\",\"phone\":\"13800000003\"}");
    g_assert_true (g_str_has_prefix (mdn_test_str (m2, "qr"), "https://vip.example.com/m/MDN1."));
    g_assert_true (g_str_has_suffix (mdn_test_str (m2, "qr"), mdn_test_str (m2, "payload")));
    reprint = mdn_test_ok (b1->admin, "{\"op\":\"member.qr\",\"card\":\"%s\",\"png\":\"%s\"}",
                           mdn_test_str (m, "card_no"), png);
    g_assert_true (g_str_has_prefix (mdn_test_str (reprint, "qr"), "https://vip.example.com/m/MDN1."));
    g_assert_true (g_file_test (png, G_FILE_TEST_EXISTS));
    by_url = mdn_test_ok (b1->admin, "{\"op\":\"member.show\",\"card\":\"%s\"}", mdn_test_str (m2, "qr"));
    g_assert_cmpstr (mdn_test_str (by_url, "card_no"), ==, mdn_test_str (m2, "card_no"));
    by_old = mdn_test_ok (b1->admin, "{\"op\":\"member.show\",\"card\":\"%s\"}", mdn_test_str (m, "qr"));
    g_assert_cmpstr (mdn_test_str (by_old, "card_no"), ==, mdn_test_str (m, "card_no"));
    mdn_test_sync_ok (b1);
    path2 = g_strdup_printf ("/m/%s", mdn_test_str (m2, "payload"));
    page2 = get_page (s, path2, &status);
    g_assert_cmpuint (status, ==, 200);
    g_assert_nonnull (strstr (page2, "王五"));
  }
  mdn_test_set_now (NULL);
}

/* The SQLite store keeps the chain settings the SMS rules read per entry
 * (srv-store-sms-sqlite.c): a setting written by another connection to the
 * file, or applied by a push, is what the next push reads. */
static void
test_settings_cache (void)
{
  g_autoptr(MdnTestBranch) hq = NULL, b1 = NULL;
  g_autoptr(MdnTestServer) s = NULL;
  const char *deposits = "SELECT count(*) FROM srv_sms_outbox WHERE event = 'deposit'";
  sqlite3 *other = NULL;

  if (mdn_test_backend_pg ())
    {
      g_test_skip ("the SQLite store's cache (PostgreSQL: LISTEN, /sms/two-processes)");
      return;
    }
  s = chain_new (NULL, &hq, &b1);
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"存款\",\"phone\":\"13800000051\"}"));
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.deposit\",\"card\":\"13800000051\",\"amount\":\"5.00\"}"));
  mdn_test_sync_ok (b1);
  g_assert_cmpint (mdn_test_server_count (s, deposits), ==, 1);

  /* Another connection switches it off (as a restore of the file would). */
  g_assert_cmpint (sqlite3_open (s->db, &other), ==, SQLITE_OK);
  sqlite3_busy_timeout (other, 5000);
  g_assert_cmpint (sqlite3_exec (other, "UPDATE settings SET value = 'false' WHERE key = 'sms.on_deposit'",
                                 NULL, NULL, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_changes (other), ==, 1);
  sqlite3_close (other);
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.deposit\",\"card\":\"13800000051\",\"amount\":\"6.00\"}"));
  mdn_test_sync_ok (b1);
  g_assert_cmpint (mdn_test_server_count (s, deposits), ==, 1);

  /* Head office switches it on again: its push, then the branch's. */
  json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"settings.set\",\"key\":\"sms.on_deposit\",\"value\":true}"));
  mdn_test_sync_ok (hq);
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.deposit\",\"card\":\"13800000051\",\"amount\":\"7.00\"}"));
  mdn_test_sync_ok (b1);
  g_assert_cmpint (mdn_test_server_count (s, deposits), ==, 2);

  /* And off, by head office. */
  json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"settings.set\",\"key\":\"sms.on_deposit\",\"value\":false}"));
  mdn_test_sync_ok (hq);
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.deposit\",\"card\":\"13800000051\",\"amount\":\"8.00\"}"));
  mdn_test_sync_ok (b1);
  g_assert_cmpint (mdn_test_server_count (s, deposits), ==, 2);
}

/* On PostgreSQL each process keeps the chain settings the SMS rules read
 * (srv-store-pg-sms.c), values too, and looks for a change once per
 * transaction: head office switching a setting through one process is what
 * the next push through the other reads, and a push that carries the
 * change itself reads it for its later entries. */
static void
test_pg_settings_kept (void)
{
  g_autoptr(MdnTestBranch) hq = NULL, b1 = NULL;
  g_autoptr(MdnTestServer) s = NULL;
  MdnTestServer *b;
  const char *deposits = "SELECT count(*) FROM srv_sms_outbox WHERE event = 'deposit'";

  if (!mdn_test_backend_pg ())
    {
      g_test_skip ("PostgreSQL only (the SQLite store: /sms/settings/seen-when-changed)");
      return;
    }
  s = chain_new (NULL, &hq, &b1);
  b = second_process (s, "settings");
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"存款\",\"phone\":\"13800000061\"}"));
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.deposit\",\"card\":\"13800000061\",\"amount\":\"5.00\"}"));
  mdn_test_link (b1, b->url, g_hash_table_lookup (b->tokens, "B01"));
  mdn_test_sync_ok (b1);                       /* through the second: on, kept there */
  g_assert_cmpint (mdn_test_server_count (s, deposits), ==, 1);

  /* Off through the first; the second's next push reads it. */
  json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"settings.set\",\"key\":\"sms.on_deposit\",\"value\":false}"));
  mdn_test_sync_ok (hq);
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.deposit\",\"card\":\"13800000061\",\"amount\":\"6.00\"}"));
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.deposit\",\"card\":\"13800000061\",\"amount\":\"6.50\"}"));
  mdn_test_sync_ok (b1);
  g_assert_cmpint (mdn_test_server_count (s, deposits), ==, 1);

  /* On again through the first, twice read by the second. */
  json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"settings.set\",\"key\":\"sms.on_deposit\",\"value\":true}"));
  mdn_test_sync_ok (hq);
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.deposit\",\"card\":\"13800000061\",\"amount\":\"7.00\"}"));
  mdn_test_sync_ok (b1);
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"member.deposit\",\"card\":\"13800000061\",\"amount\":\"7.50\"}"));
  mdn_test_sync_ok (b1);
  g_assert_cmpint (mdn_test_server_count (s, deposits), ==, 3);

  /* Head office's own push through the second: a deposit, the switch off,
     a deposit; the one after the switch sends nothing. */
  mdn_test_link (hq, b->url, g_hash_table_lookup (b->tokens, "HQ"));
  json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"member.deposit\",\"card\":\"13800000061\",\"amount\":\"1.00\"}"));
  json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"settings.set\",\"key\":\"sms.on_deposit\",\"value\":false}"));
  json_object_unref (mdn_test_ok (hq->admin, "{\"op\":\"member.deposit\",\"card\":\"13800000061\",\"amount\":\"2.00\"}"));
  g_assert_cmpint (mdn_test_sync_ok (hq).pushed, >=, 3);
  g_assert_cmpint (mdn_test_server_count (s, deposits), ==, 4);
  mdn_test_server_free (b);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  mdn_branch_init ();
  g_test_add_func ("/sms/aliyun/retry-after-500-and-repeated-push", test_aliyun_retry);
  g_test_add_func ("/sms/tencent/restart-mid-send", test_tencent_restart);
  g_test_add_func ("/sms/webhook/consent-window-and-cap", test_consent_and_window);
  g_test_add_func ("/sms/birthday-once-a-year-and-send", test_birthdays_and_send);
  g_test_add_func ("/sms/two-processes/each-message-once", test_two_senders);
  g_test_add_func ("/sms/pg-upgrade-keeps-choices", test_pg_upgrade_choices);
  g_test_add_func ("/sms/campaign/figures-segments-window", test_campaign_figures);
  g_test_add_func ("/sms/pg/figures-kept-as-history", test_pg_figures_kept);
  g_test_add_func ("/sms/pg/figures-migration-fill", test_pg_figures_migration);
  g_test_add_func ("/sms/settings/seen-when-changed", test_settings_cache);
  g_test_add_func ("/sms/pg/settings-kept-across-processes", test_pg_settings_kept);
  g_test_add_func ("/member-page/balance-escaped-forged", test_member_page);
  g_test_add_func ("/member-page/pin-history-messages", test_member_page_pin);
  return g_test_run ();
}
