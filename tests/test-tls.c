/* mendian-server over HTTPS (--tls-cert/--tls-key), with the branch trusting
 * it by certificate pin or by CA file; refusals of a wrong pin and of plain
 * HTTP on a public address; and authorizations released after --auth-ttl. */
#include <signal.h>
#include <glib/gstdio.h>

#include "mdn-error.h"
#include "mdn-test-server.h"
#include "mdn-sync.h"

static char *
data_file (const char *name)
{
  return g_test_build_filename (G_TEST_DIST, "data", name, NULL);
}

/* SHA-256 of the certificate's DER, as `link --pin-sha256` wants it. */
static char *
cert_pin (const char *pem)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GTlsCertificate) cert = g_tls_certificate_new_from_file (pem, &error);
  g_autoptr(GByteArray) der = NULL;

  g_assert_no_error (error);
  g_object_get (cert, "certificate", &der, NULL);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, der->data, der->len);
}

/* serve over HTTPS on 127.0.0.1:0; returns the https:// URL. */
static char *
start_tls (MdnTestServer *s)
{
  g_autofree char *cert = data_file ("test-server.crt");
  g_autofree char *key = data_file ("test-server.key");
  g_autoptr(GError) error = NULL;
  g_autoptr(GDataInputStream) in = NULL;
  g_autofree char *line = NULL;

  s->proc = mdn_test_spawn (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error,
                            mdn_test_server_binary (), "--db", s->db, "serve", "--listen", "127.0.0.1:0",
                            "--tls-cert", cert, "--tls-key", key, NULL);
  g_assert_no_error (error);
  in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (s->proc));
  line = g_data_input_stream_read_line_utf8 (in, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_nonnull (line);
  g_assert_true (g_str_has_prefix (line, "listening on https://127.0.0.1:"));
  return g_strdup (line + strlen ("listening on "));
}

static void
test_https_pin_and_ca (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_init ("tls");
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autofree char *cert = data_file ("test-server.crt");
  g_autofree char *pin = cert_pin (cert);
  g_autofree char *url = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) r = NULL;
  const char *token;
  MdnSyncResult res = { 0 };

  token = mdn_test_server_add_branch (s, "B01", 1, FALSE);
  url = start_tls (s);
  r = mdn_test_ok (b->admin, "{\"op\":\"member.issue\",\"name\":\"张三\",\"phone\":\"13800000001\",\"deposit_fen\":5000}");

  /* Pinned: the entries travel over TLS. */
  g_assert_true (mdn_sync_link (b->store, url, token, NULL, pin, &error));
  g_assert_no_error (error);
  g_assert_true (mdn_sync_run (b->store, &res, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (res.acked_seq, ==, mdn_test_count (b, "SELECT max(seq) FROM entries"));
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM entries WHERE branch = 'B01'"), ==, res.acked_seq);

  /* Another pin: the server is not trusted and nothing is sent. */
  g_assert_true (mdn_sync_link (b->store, url, token, NULL,
                                "0000000000000000000000000000000000000000000000000000000000000000", &error));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"member.deposit\",\"card\":\"13800000001\",\"amount_fen\":100}"));
  g_assert_false (mdn_sync_run (b->store, &res, NULL, &error));
  g_assert_error (error, MDN_ERROR, MDN_ERROR_OFFLINE);
  g_clear_error (&error);

  /* Trusted through the CA file (the self-signed certificate itself). */
  g_assert_true (mdn_sync_link (b->store, url, token, cert, NULL, &error));
  g_assert_no_error (error);
  g_assert_true (mdn_sync_run (b->store, &res, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM entries WHERE branch = 'B01'"), ==,
                   mdn_test_count (b, "SELECT max(seq) FROM entries"));
  g_assert_cmpint (mdn_test_server_stop (s, SIGTERM), ==, 0);
}

/* Plain HTTP only on loopback, unless --insecure; TLS needs both files. */
static void
test_plain_http_refused (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_init ("tls");
  g_autofree char *cert = data_file ("test-server.crt");
  const char *const public_plain[] = { mdn_test_server_binary (), "--db", s->db, "serve",
                                       "--listen", "0.0.0.0:0", NULL };
  const char *const half_tls[] = { mdn_test_server_binary (), "--db", s->db, "serve",
                                   "--listen", "127.0.0.1:0", "--tls-cert", cert, NULL };
  const char *const *cases[] = { public_plain, half_tls };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GSubprocess) p = mdn_test_spawnv (G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                                  cases[i], &error);
      g_autofree char *out = NULL, *err = NULL;

      g_assert_no_error (error);
      g_subprocess_communicate_utf8 (p, NULL, NULL, &out, &err, &error);
      g_assert_no_error (error);
      g_assert_false (g_subprocess_get_successful (p));
      g_assert_false (g_str_has_prefix (out, "listening on"));
      g_assert_true (strstr (err, i == 0 ? "--insecure" : "--tls-key") != NULL);
    }
}

/* An authorization no sale used is released after --auth-ttl seconds.
 * The server's clock is MENDIAN_NOW (fixed for a process): the holds are
 * made at T, and the server restarted at T + 2 minutes finds them expired.
 * No real time has to pass, so a slow machine can't let one expire early. */
static void
test_authorization_released (void)
{
  g_autofree char *old_now = g_strdup (g_getenv ("MENDIAN_NOW"));
  g_autoptr(MdnTestServer) s = NULL;
  g_autoptr(MdnTestBranch) b1 = NULL;
  g_autoptr(MdnTestBranch) b2 = NULL;
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(JsonObject) out = NULL;
  g_autofree char *path = NULL;
  const char *t2;

  g_setenv ("MENDIAN_NOW", "2026-11-20T10:00:00.000+08:00", TRUE);
  s = mdn_test_server_new ("tls", "--auth-ttl=60");
  b1 = mdn_test_server_branch_new (s, "B01", 1, FALSE);
  b2 = mdn_test_server_branch_new (s, "B02", 2, FALSE);
  t2 = g_hash_table_lookup (s->tokens, "B02");
  r = mdn_test_ok (b1->admin, "{\"op\":\"member.issue\",\"name\":\"M\",\"phone\":\"13800000001\",\"deposit\":\"100.00\"}");
  path = g_strdup_printf ("/api/v1/members/%s/authorize", mdn_test_str (r, "member_id"));

  mdn_test_sync_ok (b1);
  g_assert_cmpuint (mdn_test_http (s, "POST", path, t2, "{\"auth_id\":\"B02-t1\",\"amount_fen\":10000,\"kind\":\"balance\"}", -1, &out), ==, 200);
  g_clear_pointer (&out, json_object_unref);
  /* All 100 held: nothing more now. */
  g_assert_cmpuint (mdn_test_http (s, "POST", path, t2, "{\"auth_id\":\"B02-t2\",\"amount_fen\":1,\"kind\":\"balance\"}", -1, &out), ==, 409);
  g_clear_pointer (&out, json_object_unref);
  /* No sale used it: past the time limit the 100 are free again. */
  mdn_test_server_stop (s, SIGTERM);
  g_setenv ("MENDIAN_NOW", "2026-11-20T10:02:00.000+08:00", TRUE);
  mdn_test_server_start (s, "--auth-ttl=60");
  g_assert_cmpuint (mdn_test_http (s, "POST", path, t2, "{\"auth_id\":\"B02-t3\",\"amount_fen\":10000,\"kind\":\"balance\"}", -1, &out), ==, 200);
  g_assert_true (json_object_get_boolean_member (out, "granted"));
  (void) b2;   /* registered B02, whose token asks */
  if (old_now)
    g_setenv ("MENDIAN_NOW", old_now, TRUE);
  else
    g_unsetenv ("MENDIAN_NOW");
}

int
main (int argc, char **argv)
{
  const char *asan = g_getenv ("ASAN_OPTIONS");
  g_autofree char *no_leaks = g_strconcat (asan ? asan : "", asan && *asan ? ":" : "", "detect_leaks=0", NULL);

  /* Under AddressSanitizer, LeakSanitizer's tracer crashes at exit on the
   * threads glib-networking's TLS backend leaves behind (signal 11 in the
   * tracer, not in our code); the servers started here skip the leak check.
   * The server's leaks are checked by every other server suite. */
  g_setenv ("ASAN_OPTIONS", no_leaks, TRUE);
  g_test_init (&argc, &argv, NULL);
  mdn_branch_init ();
  g_test_add_func ("/tls/https-pin-and-ca", test_https_pin_and_ca);
  g_test_add_func ("/tls/plain-http-refused", test_plain_http_refused);
  g_test_add_func ("/tls/authorization-released", test_authorization_released);
  return g_test_run ();
}
