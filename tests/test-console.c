/* test-console.c: the head-office web console through the real
 * mendian-server on 127.0.0.1: every page and form, escaping of what
 * branches typed, CSRF, the roles (a viewer may not write, a region user
 * sees only its branches), the login lockout, session expiry on a fixed
 * clock (MENDIAN_NOW, the server restarted at later instants), and a master
 * data edit that reaches a branch at its next sync. */
#include <libsoup/soup.h>
#include <signal.h>
#include <string.h>

#include "mdn-report.h"
#include "mdn-test-server.h"

#define PASSWORD "console-pass-1"
#define T0       "2026-11-22T10:00:00+08:00"

typedef struct
{
  MdnTestServer *s;
  SoupSession   *soup;
  char          *session;   /* the mdn_session cookie */
  char          *csrf;      /* the last csrf_token seen in a page */
} Client;

typedef struct
{
  guint  status;
  char  *body;
  char  *location;
  GStrv  cookies;   /* Set-Cookie headers */
} Reply;

static void
reply_clear (Reply *r)
{
  g_clear_pointer (&r->body, g_free);
  g_clear_pointer (&r->location, g_free);
  g_clear_pointer (&r->cookies, g_strfreev);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Reply, reply_clear)

static Client *
client_new (MdnTestServer *s)
{
  Client *c = g_new0 (Client, 1);

  c->s = s;
  c->soup = soup_session_new ();
  return c;
}

static void
client_free (Client *c)
{
  g_object_unref (c->soup);
  g_free (c->session);
  g_free (c->csrf);
  g_free (c);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Client, client_free)

static char *
cookie_value (GStrv cookies, const char *name)
{
  gsize len = strlen (name);

  for (guint i = 0; cookies && cookies[i]; i++)
    if (strncmp (cookies[i], name, len) == 0 && cookies[i][len] == '=')
      {
        const char *v = cookies[i] + len + 1;

        return g_strndup (v, strcspn (v, ";"));
      }
  return NULL;
}

static void
remember_csrf (Client *c, const char *body)
{
  const char *p = body ? strstr (body, "name=\"csrf_token\" value=\"") : NULL;

  if (p)
    {
      p += strlen ("name=\"csrf_token\" value=\"");
      g_free (c->csrf);
      c->csrf = g_strndup (p, strcspn (p, "\""));
    }
}

/* A request with the client's session cookie (and @extra_cookie); a form
 * body for POST. Redirects are not followed. */
static void
request (Client     *c,
         const char *method,
         const char *path,
         const char *form,
         const char *extra_cookie,
         Reply      *out)
{
  g_autofree char *url = g_strconcat (c->s->url, path[0] == '/' ? path + 1 : path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, url);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GString) cookie = g_string_new (NULL);
  g_autoptr(GStrvBuilder) sets = g_strv_builder_new ();
  SoupMessageHeadersIter iter;
  const char *n, *v;

  g_assert_nonnull (msg);
  soup_message_add_flags (msg, SOUP_MESSAGE_NO_REDIRECT);
  if (c->session)
    g_string_append_printf (cookie, "mdn_session=%s", c->session);
  if (extra_cookie)
    g_string_append_printf (cookie, "%s%s", cookie->len ? "; " : "", extra_cookie);
  if (cookie->len)
    soup_message_headers_replace (soup_message_get_request_headers (msg), "Cookie", cookie->str);
  if (form)
    {
      g_autoptr(GBytes) b = g_bytes_new (form, strlen (form));

      soup_message_set_request_body_from_bytes (msg, "application/x-www-form-urlencoded", b);
    }
  bytes = soup_session_send_and_read (c->soup, msg, NULL, &error);
  g_assert_no_error (error);
  memset (out, 0, sizeof *out);
  out->status = soup_message_get_status (msg);
  out->body = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
  out->location = g_strdup (soup_message_headers_get_one (soup_message_get_response_headers (msg), "Location"));
  soup_message_headers_iter_init (&iter, soup_message_get_response_headers (msg));
  while (soup_message_headers_iter_next (&iter, &n, &v))
    if (g_ascii_strcasecmp (n, "Set-Cookie") == 0)
      g_strv_builder_add (sets, v);
  out->cookies = g_strv_builder_end (sets);
  remember_csrf (c, out->body);
}

static guint
get (Client *c, const char *path, Reply *out)
{
  request (c, "GET", path, NULL, NULL, out);
  return out->status;
}

/* A POST of @form (encoded here from NULL-terminated name, value pairs);
 * the client's CSRF token is added unless @with_csrf is FALSE. */
static guint
post (Client *c, const char *path, gboolean with_csrf, Reply *out, ...)
{
  g_autoptr(GHashTable) fields = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_autofree char *body = NULL;
  va_list ap;
  const char *name;

  va_start (ap, out);
  while ((name = va_arg (ap, const char *)) != NULL)
    g_hash_table_insert (fields, (gpointer) name, g_strdup (va_arg (ap, const char *)));
  va_end (ap);
  if (with_csrf && c->csrf)
    g_hash_table_insert (fields, "csrf_token", g_strdup (c->csrf));
  g_hash_table_insert (fields, "x", g_strdup ("1"));   /* never an empty body */
  body = soup_form_encode_hash (fields);
  request (c, "POST", path, body, NULL, out);
  return out->status;
}

static void
add_user (MdnTestServer *s, const char *name, const char *role, const char *branches)
{
  g_autofree char *pw = g_build_filename (s->dir, "pw", NULL);
  g_autofree char *out = NULL;

  g_assert_true (g_file_set_contents (pw, PASSWORD "\n", -1, NULL));
  if (branches)
    out = mdn_test_server_cmd (s, "user", "add", "--name", name, "--role", role, "--password-file", pw,
                               "--branches", branches, NULL);
  else
    out = mdn_test_server_cmd (s, "user", "add", "--name", name, "--role", role, "--password-file", pw, NULL);
  g_assert_nonnull (strstr (out, "\"ok\":true"));
}

/* Logs @c in as @name: the login form's token, then the POST. */
static guint
login_as (Client *c, const char *name, const char *password, Reply *out)
{
  g_auto(Reply) form = { 0 };
  g_autofree char *login_cookie = NULL, *cookie = NULL, *body = NULL;

  g_assert_cmpuint (get (c, "/console/login", &form), ==, 200);
  login_cookie = cookie_value (form.cookies, "mdn_login");
  g_assert_nonnull (login_cookie);
  cookie = g_strconcat ("mdn_login=", login_cookie, NULL);
  body = soup_form_encode ("csrf_token", c->csrf, "name", name, "password", password, NULL);
  request (c, "POST", "/console/login", body, cookie, out);
  if (out->status == 303)
    {
      g_free (c->session);
      c->session = cookie_value (out->cookies, "mdn_session");
      g_assert_nonnull (c->session);
    }
  return out->status;
}

static Client *
logged_in (MdnTestServer *s, const char *name)
{
  Client *c = client_new (s);
  g_auto(Reply) r = { 0 }, page = { 0 };

  g_assert_cmpuint (login_as (c, name, PASSWORD, &r), ==, 303);
  g_assert_cmpstr (r.location, ==, "/console/");
  g_assert_cmpuint (get (c, "/console/", &page), ==, 200);   /* for its csrf_token */
  return c;
}

static gboolean
refused_page (Reply *r)
{
  return r->status == 403 && strstr (r->body, "data-status=\"403\"") != NULL;
}

/* A chain of two branches with a member each, synced. */
typedef struct
{
  MdnTestServer *s;
  MdnTestBranch *b1, *b2;
  char          *card1, *member1, *member2;
  char          *message;   /* busy_chain: the message left at B01 */
} Chain;

static void
chain_free (Chain *ch)
{
  mdn_test_branch_free (ch->b1);
  mdn_test_branch_free (ch->b2);
  mdn_test_server_free (ch->s);
  g_free (ch->card1);
  g_free (ch->member1);
  g_free (ch->member2);
  g_free (ch->message);
  g_free (ch);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Chain, chain_free)

static MdnTestBranch *
branch_new (MdnTestServer *s, const char *code, int number)
{
  MdnTestBranch *b = mdn_test_branch_new (code, number);

  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"level.upsert\",\"code\":\"normal\",\"name\":\"Normal\","
                                            "\"price_percent\":100,\"points_per_yuan\":1,\"offline_limit\":\"80.00\"}"));
  mdn_test_server_add_branch (s, code, number, FALSE);
  mdn_test_server_link (s, b);
  return b;
}

static Chain *
chain_new (const char *name1)
{
  Chain *ch = g_new0 (Chain, 1);
  g_autoptr(JsonObject) r1 = NULL, r2 = NULL;
  g_autofree char *escaped = g_strescape (name1, NULL);

  mdn_test_set_now (T0);
  ch->s = mdn_test_server_new ("console", NULL);
  ch->b1 = branch_new (ch->s, "B01", 1);
  ch->b2 = branch_new (ch->s, "B02", 2);
  r1 = mdn_test_ok (ch->b1->admin, "{\"op\":\"member.issue\",\"name\":\"%s\",\"phone\":\"13800000001\","
                                   "\"deposit\":\"100.00\"}", escaped);
  r2 = mdn_test_ok (ch->b2->admin, "{\"op\":\"member.issue\",\"name\":\"Bee\",\"phone\":\"13900000002\","
                                   "\"deposit\":\"50.00\"}");
  ch->card1 = g_strdup (mdn_test_str (r1, "card_no"));
  ch->member1 = g_strdup (mdn_test_str (r1, "member_id"));
  ch->member2 = g_strdup (mdn_test_str (r2, "member_id"));
  mdn_test_sync_ok (ch->b1);
  mdn_test_sync_ok (ch->b2);
  mdn_test_sync_ok (ch->b1);
  add_user (ch->s, "boss", "hq-admin", NULL);
  add_user (ch->s, "viewer", "hq-viewer", NULL);
  add_user (ch->s, "east", "region", "B01");
  return ch;
}

/* An overdraft of member 1's card: 70.00 spent offline at each branch. */
static void
overdraft (Chain *ch)
{
  g_assert_cmpint (mdn_test_server_stop (ch->s, SIGTERM), ==, 0);
  for (int i = 0; i < 2; i++)
    json_object_unref (mdn_test_ok (i ? ch->b2->admin : ch->b1->admin,
                                    "{\"op\":\"sale.quick\",\"card\":\"%s\",\"amount_fen\":7000,"
                                    "\"tenders\":[{\"type\":\"balance\",\"amount_fen\":7000}]}",
                                    ch->card1));
  mdn_test_server_start (ch->s, NULL);
  mdn_test_server_link (ch->s, ch->b1);
  mdn_test_server_link (ch->s, ch->b2);
  mdn_test_sync_ok (ch->b1);
  mdn_test_sync_ok (ch->b2);
  mdn_test_sync_ok (ch->b1);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_exceptions WHERE status = 'open'"), ==, 1);
}

static gint64
exception_id (Chain *ch)
{
  return mdn_test_server_count (ch->s, "SELECT id FROM srv_exceptions WHERE status = 'open'");
}

/* Tests ---------------------------------------------------------------------------- */

static void
test_redirects (void)
{
  g_autoptr(Chain) ch = chain_new ("Ann");
  g_autoptr(Client) c = client_new (ch->s);
  g_auto(Reply) a = { 0 }, b = { 0 }, d = { 0 }, e = { 0 }, f = { 0 };

  g_assert_cmpuint (get (c, "/", &a), ==, 303);
  g_assert_cmpstr (a.location, ==, "/console/");
  g_assert_cmpuint (get (c, "/console/", &b), ==, 303);
  g_assert_cmpstr (b.location, ==, "/console/login");
  g_assert_cmpuint (get (c, "/console/members", &d), ==, 303);
  g_assert_cmpstr (d.location, ==, "/console/login");
  /* a form without a session: refused, not done */
  g_assert_cmpuint (post (c, "/console/master/product", FALSE, &e, "sku", "X", NULL), ==, 403);
  /* the JSON API's answers are unchanged */
  g_assert_cmpuint (get (c, "/nope", &f), ==, 404);
  g_assert_nonnull (strstr (f.body, "\"not_found\""));
}

static void
test_login (void)
{
  g_autoptr(Chain) ch = chain_new ("Ann");
  g_autoptr(Client) c = client_new (ch->s);
  g_autoptr(Client) c2 = client_new (ch->s);
  g_auto(Reply) form = { 0 }, bad = { 0 }, ok = { 0 }, ok2 = { 0 }, nocsrf = { 0 }, out = { 0 }, after = { 0 };
  g_autofree char *first = NULL;
  const char *set;

  g_assert_cmpuint (get (c, "/console/login", &form), ==, 200);
  g_assert_nonnull (strstr (form.body, "name=\"name\""));
  g_assert_nonnull (strstr (form.body, "name=\"password\""));
  g_assert_nonnull (strstr (form.body, "type=\"hidden\" name=\"csrf_token\""));
  /* without the login form's token (no cookie): refused */
  request (c, "POST", "/console/login", "name=boss&password=" PASSWORD "&csrf_token=abc", NULL, &nocsrf);
  g_assert_cmpuint (nocsrf.status, ==, 403);
  g_assert_null (cookie_value (nocsrf.cookies, "mdn_session"));

  g_assert_cmpuint (login_as (c, "boss", "wrong-password", &bad), ==, 403);
  g_assert_nonnull (strstr (bad.body, "Wrong user name or password"));
  g_assert_cmpuint (login_as (c, "boss", PASSWORD, &ok), ==, 303);
  set = NULL;
  for (guint i = 0; ok.cookies[i]; i++)
    if (g_str_has_prefix (ok.cookies[i], "mdn_session="))
      set = ok.cookies[i];
  g_assert_nonnull (set);
  g_assert_nonnull (strstr (set, "HttpOnly"));
  g_assert_nonnull (strstr (set, "SameSite=Strict"));
  g_assert_null (strstr (set, "Secure"));   /* plain HTTP on loopback */
  first = g_strdup (c->session);
  /* a new session id at every login */
  g_assert_cmpuint (login_as (c2, "boss", PASSWORD, &ok2), ==, 303);
  g_assert_cmpstr (first, !=, c2->session);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_console_sessions"), ==, 2);
  /* only the hash of a session id is stored */
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_console_sessions WHERE id_hash = 'x'"),
                   ==, 0);

  /* logout ends the session */
  g_assert_cmpuint (get (c, "/console/", &after), ==, 200);
  g_clear_pointer (&after.body, g_free);
  reply_clear (&after);
  g_assert_cmpuint (post (c, "/console/logout", TRUE, &out, NULL), ==, 303);
  g_assert_cmpuint (get (c, "/console/", &after), ==, 303);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_console_sessions"), ==, 1);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_console_audit WHERE action = 'login' "
                                                 "AND ok = 0 AND name = 'boss'"), ==, 1);
}

static void
test_lockout (void)
{
  g_autoptr(Chain) ch = chain_new ("Ann");
  g_autoptr(Client) c = client_new (ch->s);
  g_auto(Reply) locked = { 0 };

  for (int i = 0; i < 5; i++)
    {
      g_auto(Reply) r = { 0 };

      g_assert_cmpuint (login_as (c, "boss", "wrong-password", &r), ==, 403);
    }
  /* now even the right password is refused */
  g_assert_cmpuint (login_as (c, "boss", PASSWORD, &locked), ==, 403);
  g_assert_null (c->session);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM lockouts WHERE key = 'console/boss' "
                                                 "AND locked_until > 0"), ==, 1);
}

static void
test_pages (void)
{
  g_autoptr(Chain) ch = chain_new ("Ann");
  g_autoptr(Client) c = NULL;
  g_autofree char *member = NULL, *exc = NULL;
  const char *pages[] = { "/console/", "/console/?period=week", "/console/?period=month&branch=B02",
                          "/console/branches", "/console/members", "/console/members?q=138", "/console/exceptions",
                          "/console/exceptions?status=all", "/console/master", "/console/master/product",
                          "/console/master/level", "/console/master/rule", "/console/master/plan",
                          "/console/master/product?key=", "/console/audit", "/console/audit?page=2",
                          "/console/reports", "/console/stock", "/console/stock?sku=X&category=Y",
                          "/console/sms", "/console/sms?status=sent", "/console/sms?status=nonsense",
                          "/console/oplog", "/console/oplog?page=9&op=x&staff=y", "/console/master/category",
                          "/console/reports/summary", "/console/style.css",
                          "/console/console.js" };

  overdraft (ch);
  c = logged_in (ch->s, "boss");
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      g_auto(Reply) r = { 0 };

      g_test_message ("GET %s", pages[i]);
      g_assert_cmpuint (get (c, pages[i], &r), ==, 200);
    }
  member = g_strdup_printf ("/console/members/%s", ch->member1);
  exc = g_strdup_printf ("/console/exceptions/%" G_GINT64_FORMAT, exception_id (ch));
  {
    g_auto(Reply) m = { 0 }, x = { 0 }, nf = { 0 }, nf2 = { 0 }, d = { 0 };

    g_assert_cmpuint (get (c, member, &m), ==, 200);
    g_assert_nonnull (strstr (m.body, ch->card1));
    g_assert_nonnull (strstr (m.body, "class=\"hold\""));   /* on hold */
    g_assert_cmpuint (get (c, exc, &x), ==, 200);
    g_assert_nonnull (strstr (x.body, "name=\"confirm\""));
    g_assert_nonnull (strstr (x.body, "40.00"));   /* 140.00 spent of 100.00 */
    g_assert_cmpuint (get (c, "/console/members/nobody", &nf), ==, 404);
    g_assert_cmpuint (get (c, "/console/no-such-page", &nf2), ==, 404);
    /* every report downloads, as CSV (with its BOM) or Excel */
    {
      g_auto(Reply) list = { 0 }, csv = { 0 }, xlsx = { 0 }, nf3 = { 0 };
      g_autofree char *path = g_strdup_printf ("/console/reports/%s?from=2026-11-01&to=2026-11-30&format=csv",
                                               mdn_reports ()[0]->name);
      g_autofree char *xpath = g_strdup_printf ("/console/reports/%s?from=2026-11-01&to=2026-11-30&format=xlsx",
                                                mdn_reports ()[0]->name);

      g_assert_cmpuint (get (c, "/console/reports", &list), ==, 200);
      g_assert_nonnull (strstr (list.body, "name=\"format\" value=\"xlsx\""));
      g_assert_cmpuint (get (c, path, &csv), ==, 200);
      g_assert_true (g_str_has_prefix (csv.body, "\xef\xbb\xbf"));
      g_assert_cmpuint (get (c, xpath, &xlsx), ==, 200);
      g_assert_true (g_str_has_prefix (xlsx.body, "PK"));
      g_assert_cmpuint (get (c, "/console/reports/nope?from=2026-11-01&to=2026-11-30", &nf3), ==, 404);
    }
    /* the audit log shows the branches' operation logs too */
    {
      g_auto(Reply) log = { 0 };

      g_assert_cmpuint (get (c, "/console/audit", &log), ==, 200);
      g_assert_nonnull (strstr (log.body, "<td>B01</td><td>admin</td>"));
      g_assert_nonnull (strstr (log.body, "<td>B02</td><td>admin</td>"));
    }
    /* the overview has the chart and both branches */
    g_assert_cmpuint (get (c, "/console/", &d), ==, 200);
    g_assert_nonnull (strstr (d.body, "<svg class=\"chart\""));
    g_assert_nonnull (strstr (d.body, "?branch=B01"));
    g_assert_nonnull (strstr (d.body, "?branch=B02"));
  }
}

static void
test_escaping (void)
{
  g_autoptr(Chain) ch = chain_new ("<script>alert(1)</script>");
  g_autoptr(Client) c = NULL;
  g_autofree char *member = NULL;
  g_auto(Reply) search = { 0 }, page = { 0 }, saved = { 0 }, master = { 0 }, q = { 0 };

  c = logged_in (ch->s, "boss");
  g_assert_cmpuint (get (c, "/console/members?q=%3Cscript%3E", &search), ==, 200);
  g_assert_null (strstr (search.body, "<script>alert"));
  g_assert_nonnull (strstr (search.body, "&lt;script&gt;alert(1)&lt;/script&gt;"));
  /* the query itself, put back into the search box */
  g_assert_cmpuint (get (c, "/console/members?q=%22%3E%3Cb%3E", &q), ==, 200);
  g_assert_null (strstr (q.body, "\"><b>"));
  g_assert_nonnull (strstr (q.body, "&quot;&gt;&lt;b&gt;"));
  member = g_strdup_printf ("/console/members/%s", ch->member1);
  g_assert_cmpuint (get (c, member, &page), ==, 200);
  g_assert_null (strstr (page.body, "<script>alert"));
  g_assert_nonnull (strstr (page.body, "<h1>&lt;script&gt;alert(1)&lt;/script&gt;</h1>"));
  /* a product named with markup, through the console's own form */
  g_assert_cmpuint (post (c, "/console/master/product", TRUE, &saved, "sku", "XSS", "name",
                          "<img src=x onerror=alert(1)>", "kind", "goods", "price", "1.00", "active", "1", NULL),
                    ==, 303);
  g_assert_cmpuint (get (c, "/console/master", &master), ==, 200);
  g_assert_null (strstr (master.body, "<img src=x"));
  g_assert_nonnull (strstr (master.body, "&lt;img src=x onerror=alert(1)&gt;"));
}

static void
test_csrf (void)
{
  g_autoptr(Chain) ch = chain_new ("Ann");
  g_autoptr(Client) c = NULL;
  g_auto(Reply) none = { 0 }, wrong = { 0 }, other = { 0 }, add = { 0 };
  g_autoptr(Client) c2 = NULL;

  c = logged_in (ch->s, "boss");
  c2 = logged_in (ch->s, "boss");
  g_assert_cmpuint (post (c, "/console/master/product", FALSE, &none, "sku", "NEW", "name", "New", "kind", "goods",
                          "price", "2.00", NULL), ==, 403);
  g_assert_true (refused_page (&none));
  g_free (c->csrf);
  c->csrf = g_strdup ("0000000000000000000000000000000000000000000000000000000000000000");
  g_assert_cmpuint (post (c, "/console/branches/add", TRUE, &wrong, "code", "B09", "name", "Nine", "number", "9",
                          NULL), ==, 403);
  /* another session's token is not this one's */
  g_free (c->csrf);
  c->csrf = g_strdup (c2->csrf);
  g_assert_cmpuint (post (c, "/console/branches/add", TRUE, &other, "code", "B09", "name", "Nine", "number", "9",
                          NULL), ==, 403);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM products WHERE sku = 'NEW'"), ==, 0);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_branches WHERE code = 'B09'"), ==, 0);
  /* with its own token the same form is done, and the token shown once */
  g_assert_cmpuint (post (c2, "/console/branches/add", TRUE, &add, "code", "B09", "name", "Nine", "number", "9",
                          NULL), ==, 200);
  g_assert_nonnull (strstr (add.body, "<pre class=\"secret\">"));
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_branches WHERE code = 'B09'"), ==, 1);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_console_audit WHERE action = 'csrf'"),
                   ==, 3);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_console_audit WHERE action = 'branch.add' "
                                                 "AND name = 'boss' AND ok = 1"), ==, 1);
}

static void
test_viewer (void)
{
  g_autoptr(Chain) ch = chain_new ("Ann");
  g_autoptr(Client) c = NULL;
  g_autofree char *exc = NULL;
  g_auto(Reply) r1 = { 0 }, r2 = { 0 }, r3 = { 0 }, r4 = { 0 }, page = { 0 };

  overdraft (ch);
  c = logged_in (ch->s, "viewer");
  g_assert_cmpuint (get (c, "/console/master", &page), ==, 200);
  g_assert_null (strstr (page.body, "/console/master/product?key="));   /* no edit links */
  g_assert_cmpuint (post (c, "/console/master/product", TRUE, &r1, "sku", "COLA", "name", "Cola", "kind", "goods",
                          "price", "3.00", NULL), ==, 403);
  g_assert_true (refused_page (&r1));
  g_assert_cmpuint (post (c, "/console/branches/revoke", TRUE, &r2, "code", "B01", NULL), ==, 403);
  exc = g_strdup_printf ("/console/exceptions/%" G_GINT64_FORMAT, exception_id (ch));
  g_assert_cmpuint (post (c, exc, TRUE, &r3, "reason", "no", "confirm", "yes", NULL), ==, 403);
  g_assert_cmpuint (post (c, "/console/branches/rotate", TRUE, &r4, "code", "B02", NULL), ==, 403);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM products"), ==, 0);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_branches WHERE CAST (revoked AS INTEGER) = 1"), ==, 0);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_exceptions WHERE status = 'open'"), ==, 1);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_console_audit WHERE name = 'viewer' "
                                                 "AND action = 'refused'"), ==, 4);
}

static void
test_region (void)
{
  g_autoptr(Chain) ch = chain_new ("Ann");
  g_autoptr(Client) c = NULL;
  g_autofree char *other = NULL, *own = NULL;
  g_auto(Reply) r1 = { 0 }, r2 = { 0 }, r3 = { 0 }, r4 = { 0 }, r5 = { 0 }, r6 = { 0 }, r7 = { 0 };

  c = logged_in (ch->s, "east");
  g_assert_cmpuint (get (c, "/console/?branch=B02", &r1), ==, 403);
  g_assert_true (refused_page (&r1));
  g_assert_cmpuint (get (c, "/console/?branch=B01", &r2), ==, 200);
  other = g_strdup_printf ("/console/members/%s", ch->member2);
  own = g_strdup_printf ("/console/members/%s", ch->member1);
  g_assert_cmpuint (get (c, other, &r3), ==, 403);
  g_assert_cmpuint (get (c, own, &r4), ==, 200);
  /* the search shows its branches' members only */
  g_assert_cmpuint (get (c, "/console/members?q=1", &r5), ==, 200);
  g_assert_nonnull (strstr (r5.body, ch->member1));
  g_assert_null (strstr (r5.body, ch->member2));
  /* the overview and the branch list leave B02 out */
  g_assert_cmpuint (get (c, "/console/branches", &r6), ==, 200);
  g_assert_null (strstr (r6.body, "<td>B02</td>"));
  g_assert_nonnull (strstr (r6.body, "<td>B01</td>"));
  /* nor download another region's reports */
  {
    g_auto(Reply) rep = { 0 };
    g_autofree char *path = g_strdup_printf ("/console/reports/%s?from=2026-11-01&to=2026-11-30&branch=B02",
                                             mdn_reports ()[0]->name);

    g_assert_cmpuint (get (c, path, &rep), ==, 403);
  }
  /* nor may it manage branches or master data */
  g_assert_cmpuint (post (c, "/console/branches/revoke", TRUE, &r7, "code", "B02", NULL), ==, 403);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_branches WHERE CAST (revoked AS INTEGER) = 1"), ==, 0);
  /* the audit log shows it its own lines only */
  {
    g_autoptr(Client) boss = logged_in (ch->s, "boss");
    g_auto(Reply) log = { 0 };

    g_assert_cmpuint (get (c, "/console/audit", &log), ==, 200);
    g_assert_nonnull (strstr (log.body, "<td>east</td>"));
    g_assert_null (strstr (log.body, "<td>boss</td>"));
  }
}

static void
test_region_write_off (void)
{
  g_autoptr(Chain) ch = chain_new ("Ann");
  g_autoptr(Client) west = NULL;
  g_autofree char *exc = NULL;
  g_auto(Reply) r1 = { 0 }, r2 = { 0 };

  overdraft (ch);
  /* the exception was found at the second push: B02's, not east's */
  west = logged_in (ch->s, "east");
  exc = g_strdup_printf ("/console/exceptions/%" G_GINT64_FORMAT, exception_id (ch));
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_exceptions WHERE branch = 'B02'"), ==, 1);
  g_assert_cmpuint (get (west, exc, &r1), ==, 403);
  g_assert_cmpuint (post (west, exc, TRUE, &r2, "reason", "not mine", "confirm", "yes", NULL), ==, 403);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_exceptions WHERE status = 'open'"), ==, 1);
}

static void
test_write_off (void)
{
  g_autoptr(Chain) ch = chain_new ("Ann");
  g_autoptr(Client) c = NULL;
  g_autofree char *exc = NULL;
  g_autoptr(JsonObject) shown = NULL;
  g_auto(Reply) noconfirm = { 0 }, stale = { 0 }, done = { 0 }, list = { 0 };

  overdraft (ch);
  c = logged_in (ch->s, "boss");
  exc = g_strdup_printf ("/console/exceptions/%" G_GINT64_FORMAT, exception_id (ch));
  g_assert_cmpuint (post (c, exc, TRUE, &noconfirm, "reason", "double spend", "amount_fen", "4000", NULL), ==, 400);
  /* a figure the HQ terminal does not hold: refused by the operation */
  g_assert_cmpuint (post (c, exc, TRUE, &stale, "reason", "double spend", "amount_fen", "3000", "confirm", "yes",
                          NULL), ==, 400);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_exceptions WHERE status = 'open'"), ==, 1);
  g_assert_cmpuint (post (c, exc, TRUE, &done, "reason", "double spend", "amount_fen", "4000", "confirm", "yes", NULL),
                    ==, 303);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_exceptions WHERE status = 'open'"), ==, 0);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM entries WHERE branch = 'WEB' "
                                                 "AND kind = 'exception.write_off'"), ==, 1);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_console_audit WHERE "
                                                 "action = 'exception.write_off' AND ok = 1 AND entry_id IS NOT NULL"),
                   ==, 1);
  g_assert_cmpuint (get (c, "/console/exceptions?status=all", &list), ==, 200);
  g_assert_nonnull (strstr (list.body, "Settled"));
  /* the hold is lifted at the branch at its next sync */
  mdn_test_sync_ok (ch->b1);
  shown = mdn_test_ok (ch->b1->admin, "{\"op\":\"member.show\",\"card\":\"%s\"}", ch->card1);
  g_assert_false (json_object_get_boolean_member (shown, "on_hold"));
  g_assert_cmpint (mdn_test_int (shown, "balance_fen"), ==, 0);
}

/* PostgreSQL: two server processes on one database, each with a terminal
 * of its own (serve --console-hq-code): a master-data change through
 * either process reaches the branches, and a terminal catches up with the
 * other's entries before it writes (a price set at A, changed through B). */
static void
test_two_processes (void)
{
  g_autoptr(Chain) ch = NULL;
  g_autoptr(Client) a = NULL, b = NULL;
  g_auto(Reply) r1 = { 0 }, r2 = { 0 }, r3 = { 0 }, master = { 0 };
  g_autoptr(JsonObject) one = NULL, two = NULL;
  MdnTestServer *second;
  JsonObject *p;

  if (!mdn_test_backend_pg ())
    {
      g_test_skip ("Two server processes share one database on PostgreSQL only");
      return;
    }
  ch = chain_new ("Ann");
  second = mdn_test_server_second (ch->s, "srvB", "WEB2", NULL);
  a = logged_in (ch->s, "boss");
  b = logged_in (second, "boss");
  g_assert_cmpuint (post (a, "/console/master/product", TRUE, &r1, "sku", "P1", "name", "一号", "kind", "goods",
                          "price", "1.00", "active", "1", NULL), ==, 303);
  g_assert_cmpuint (post (b, "/console/master/product", TRUE, &r2, "sku", "P2", "name", "二号", "kind", "goods",
                          "price", "2.00", "active", "1", NULL), ==, 303);
  /* B's terminal has A's product before it changes it */
  g_assert_cmpuint (get (b, "/console/master", &master), ==, 200);
  g_assert_nonnull (strstr (master.body, "一号"));
  g_assert_cmpuint (post (b, "/console/master/product", TRUE, &r3, "sku", "P1", "name", "一号", "kind", "goods",
                          "price", "1.50", "active", "1", NULL), ==, 303);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_branches WHERE hq "
                                                 "AND code IN ('WEB', 'WEB2')"), ==, 2);

  mdn_test_sync_ok (ch->b1);
  one = mdn_test_ok (ch->b1->admin, "{\"op\":\"product.search\",\"query\":\"P1\",\"exact\":true}");
  p = json_array_get_object_element (json_object_get_array_member (one, "products"), 0);
  g_assert_cmpint (json_object_get_int_member (p, "price_fen"), ==, 150);
  two = mdn_test_ok (ch->b1->admin, "{\"op\":\"product.search\",\"query\":\"P2\",\"exact\":true}");
  p = json_array_get_object_element (json_object_get_array_member (two, "products"), 0);
  g_assert_cmpint (json_object_get_int_member (p, "price_fen"), ==, 200);
  mdn_test_server_free (second);
}

static void
test_master_reaches_branch (void)
{
  g_autoptr(Chain) ch = chain_new ("Ann");
  g_autoptr(Client) c = NULL;
  g_autoptr(JsonObject) found = NULL, level = NULL, plans = NULL;
  g_auto(Reply) r1 = { 0 }, r2 = { 0 }, r3 = { 0 }, r4 = { 0 }, r5 = { 0 }, bad = { 0 }, edit = { 0 };
  JsonObject *p;

  c = logged_in (ch->s, "boss");
  g_assert_cmpuint (post (c, "/console/master/product", TRUE, &r1, "sku", "COLA", "name", "Cola 330ml", "kind",
                          "goods", "price", "3.50", "category", "Drinks", "active", "1", NULL), ==, 303);
  g_assert_cmpuint (post (c, "/console/master/product", TRUE, &r2, "sku", "COLA", "name", "Cola 330ml", "kind",
                          "goods", "price", "4.20", "category", "Drinks", "active", "1", NULL), ==, 303);
  g_assert_cmpuint (post (c, "/console/master/level", TRUE, &r3, "code", "gold", "name", "Gold", "price_percent", "90",
                          "points_per_yuan", "2", "offline_limit", "100.00", NULL), ==, 303);
  g_assert_cmpuint (post (c, "/console/master/rule", TRUE, &r4, "min", "100", "bonus", "10", NULL), ==, 303);
  g_assert_cmpuint (post (c, "/console/master/plan", TRUE, &r5, "code", "HOUR", "name", "Hourly", "unit_minutes",
                          "60", "unit_price", "30.00", NULL), ==, 303);
  {
    g_auto(Reply) cat = { 0 }, form = { 0 }, top = { 0 }, orphan = { 0 };

    g_assert_cmpuint (get (c, "/console/master/category", &form), ==, 200);
    /* a level below one that is not there: the operation's refusal, on the form */
    g_assert_cmpuint (post (c, "/console/master/category", TRUE, &orphan, "path", "零食/坚果", NULL), ==, 200);
    g_assert_nonnull (strstr (orphan.body, "class=\"error\""));
    g_assert_cmpuint (post (c, "/console/master/category", TRUE, &top, "path", "饮品", NULL), ==, 303);
    g_assert_cmpuint (post (c, "/console/master/category", TRUE, &cat, "path", "饮品/茶", "name", "茶饮", NULL), ==, 303);
    g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM categories WHERE path = '饮品/茶' "
                                                   "AND name = '茶饮'"), ==, 1);
  }
  /* a refused one shows the form again with the operation's message, writes nothing */
  g_assert_cmpuint (post (c, "/console/master/product", TRUE, &bad, "sku", "BAD", "name", "Bad", "kind", "goods",
                          "price", "abc", NULL), ==, 200);
  g_assert_nonnull (strstr (bad.body, "class=\"error\""));
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM products WHERE sku = 'BAD'"), ==, 0);
  g_assert_cmpuint (get (c, "/console/master/product?key=COLA", &edit), ==, 200);
  g_assert_nonnull (strstr (edit.body, "value=\"4.20\""));

  /* master data entries of the console's HQ terminal, in the feed */
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT price_fen FROM products WHERE sku = 'COLA'"), ==, 420);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM entries e JOIN srv_feed f ON f.entry_id = e.id "
                                                 "WHERE e.branch = 'WEB' AND e.kind = 'product.upsert'"), ==, 2);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT CAST (hq AS INTEGER) FROM srv_branches WHERE code = 'WEB'"), ==, 1);

  /* B01 receives them at its next sync, as from the HQ terminal */
  mdn_test_sync_ok (ch->b1);
  found = mdn_test_ok (ch->b1->admin, "{\"op\":\"product.search\",\"query\":\"COLA\",\"exact\":true}");
  p = json_array_get_object_element (json_object_get_array_member (found, "products"), 0);
  g_assert_cmpint (json_object_get_int_member (p, "price_fen"), ==, 420);
  level = mdn_test_ok (ch->b1->admin, "{\"op\":\"level.list\"}");
  {
    g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), level);
    g_autofree char *text = json_to_string (node, FALSE);

    g_assert_nonnull (strstr (text, "\"gold\""));
    /* B01's own level "normal" (offline 80.00) is not replaced by the console's terminal */
    g_assert_nonnull (strstr (text, "\"offline_limit_fen\":8000"));
  }
  {
    g_autoptr(JsonObject) cats = mdn_test_ok (ch->b1->admin, "{\"op\":\"category.list\"}");
    g_autoptr(JsonNode) node = json_node_init_object (json_node_alloc (), cats);
    g_autofree char *text = json_to_string (node, FALSE);

    g_assert_nonnull (strstr (text, "茶饮"));
  }
  plans = mdn_test_ok (ch->b1->admin, "{\"op\":\"plan.list\"}");
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (plans, "plans")), ==, 1);
  g_assert_cmpuint (mdn_test_verify (ch->b1), ==, 0);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_console_audit WHERE "
                                                 "action = 'product.upsert' AND ok = 1"), ==, 2);
}

/* Rotate and revoke from the branches page. */
static void
test_branch_forms (void)
{
  g_autoptr(Chain) ch = chain_new ("Ann");
  g_autoptr(Client) c = logged_in (ch->s, "boss");
  g_autofree char *old_token = g_strdup (g_hash_table_lookup (ch->s->tokens, "B02"));
  g_auto(Reply) rot = { 0 }, rev = { 0 }, dup = { 0 };
  g_autofree char *shown = NULL;
  const char *p;

  g_assert_cmpuint (post (c, "/console/branches/rotate", TRUE, &rot, "code", "B02", NULL), ==, 200);
  p = strstr (rot.body, "<pre class=\"secret\">");
  g_assert_nonnull (p);
  p += strlen ("<pre class=\"secret\">");
  shown = g_strndup (p, strcspn (p, "<"));
  g_assert_cmpuint (strlen (shown), ==, 64);
  g_assert_cmpstr (shown, !=, old_token);
  g_assert_cmpuint (mdn_test_http (ch->s, "GET", "/api/v1/sync/state", old_token, NULL, 0, NULL), ==, 401);
  g_assert_cmpuint (mdn_test_http (ch->s, "GET", "/api/v1/sync/state", shown, NULL, 0, NULL), ==, 200);
  g_assert_cmpuint (post (c, "/console/branches/revoke", TRUE, &rev, "code", "B02", NULL), ==, 303);
  g_assert_cmpuint (mdn_test_http (ch->s, "GET", "/api/v1/sync/state", shown, NULL, 0, NULL), ==, 401);
  /* a branch number already taken: the store's message on the error page, nothing added */
  g_assert_cmpuint (post (c, "/console/branches/add", TRUE, &dup, "code", "B03", "name", "Three", "number", "1",
                          NULL), ==, 409);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_branches WHERE code = 'B03'"), ==, 0);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_console_audit WHERE name = 'boss' AND "
                                                 "action IN ('branch.rotate', 'branch.revoke') AND ok = 1"), ==, 2);
}

typedef struct
{
  SoupWebsocketConnection *ws;
  gboolean                 hello;
  GError                  *error;
} Watch;

static void
watch_message (SoupWebsocketConnection *ws, gint type, GBytes *message, gpointer user_data)
{
  ((Watch *) user_data)->hello = TRUE;
}

static void
watch_connected (GObject *source, GAsyncResult *res, gpointer user_data)
{
  Watch *w = user_data;

  w->ws = soup_session_websocket_connect_finish (SOUP_SESSION (source), res, &w->error);
  if (w->ws)
    g_signal_connect (w->ws, "message", G_CALLBACK (watch_message), w);
}

/* The branches page: who is online (a notify WebSocket open now), where it
 * last read the feed, with which program. */
static void
test_branches_online (void)
{
  g_autoptr(Chain) ch = chain_new ("Ann");
  g_autoptr(Client) c = NULL;
  g_autoptr(SoupSession) soup = soup_session_new ();
  g_autofree char *url = g_strconcat (ch->s->url, "api/v1/sync/notify", NULL);
  g_autofree char *auth = g_strconcat ("Bearer ", (const char *) g_hash_table_lookup (ch->s->tokens, "B01"), NULL);
  g_autoptr(SoupMessage) msg = soup_message_new ("GET", url);
  g_auto(Reply) page = { 0 };
  Watch w = { 0 };
  const char *b01, *b02;

  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_session_websocket_connect_async (soup, msg, NULL, NULL, G_PRIORITY_DEFAULT, NULL, watch_connected, &w);
  while (!w.hello && w.error == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_assert_no_error (w.error);
  c = logged_in (ch->s, "boss");
  g_assert_cmpuint (get (c, "/console/branches", &page), ==, 200);
  b01 = strstr (page.body, "<td>B01</td>");
  b02 = strstr (page.body, "<td>B02</td>");
  g_assert_nonnull (b01);
  g_assert_nonnull (b02);
  g_assert_true (b01 < b02);
  g_assert_nonnull (g_strstr_len (b01, b02 - b01, "<td>online</td>"));
  g_assert_nonnull (g_strstr_len (b01, b02 - b01, "mendian-sync/"));   /* it read the feed with it */
  g_assert_nonnull (strstr (b02, "<td>offline</td>"));
  soup_websocket_connection_close (w.ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  while (soup_websocket_connection_get_state (w.ws) != SOUP_WEBSOCKET_STATE_CLOSED)
    g_main_context_iteration (NULL, TRUE);
  g_object_unref (w.ws);
}

/* A chain setting is a setting.chain entry of the console's HQ terminal. */
static void
test_settings (void)
{
  g_autoptr(Chain) ch = chain_new ("Ann");
  g_autoptr(Client) c = NULL;
  g_autoptr(Client) v = NULL;
  g_autoptr(JsonObject) list = NULL;
  g_auto(Reply) page = { 0 }, form = { 0 }, r1 = { 0 }, r2 = { 0 }, r3 = { 0 }, bad = { 0 }, refused = { 0 };
  JsonArray *settings;
  gboolean seen = FALSE;

  c = logged_in (ch->s, "boss");
  g_assert_cmpuint (get (c, "/console/master", &page), ==, 200);
  g_assert_nonnull (strstr (page.body, "/console/master/setting?key=reminder.low_balance_fen"));
  g_assert_null (strstr (page.body, "key=checkout.cash_rounding"));   /* a branch's own */
  g_assert_cmpuint (get (c, "/console/master/setting?key=reminder.low_balance_fen", &form), ==, 200);
  g_assert_cmpuint (post (c, "/console/master/setting", TRUE, &r1, "key", "reminder.low_balance_fen",
                          "value", "50.00", NULL), ==, 303);
  g_assert_cmpuint (post (c, "/console/master/setting", TRUE, &r2, "key", "sms.on_deposit", "value", "true", NULL),
                    ==, 303);
  g_assert_cmpuint (post (c, "/console/master/setting", TRUE, &r3, "key", "reminder.inactive_days", "value", "90",
                          NULL), ==, 303);
  g_assert_cmpuint (post (c, "/console/master/setting", TRUE, &bad, "key", "reminder.inactive_days", "value",
                          "99999", NULL), ==, 200);
  g_assert_nonnull (strstr (bad.body, "class=\"error\""));
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM entries WHERE branch = 'WEB' "
                                                 "AND kind = 'setting.chain'"), ==, 3);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT value FROM settings WHERE key = 'reminder.inactive_days'"),
                   ==, 90);
  v = logged_in (ch->s, "viewer");
  g_assert_cmpuint (post (v, "/console/master/setting", TRUE, &refused, "key", "sms.on_spend", "value", "true", NULL),
                    ==, 403);

  mdn_test_sync_ok (ch->b1);
  list = mdn_test_ok (ch->b1->admin, "{\"op\":\"settings.list\"}");
  settings = json_object_get_array_member (list, "settings");
  for (guint i = 0; i < json_array_get_length (settings); i++)
    {
      JsonObject *o = json_array_get_object_element (settings, i);

      if (g_str_equal (json_object_get_string_member (o, "key"), "reminder.low_balance_fen"))
        {
          g_assert_cmpstr (json_object_get_string_member (o, "value"), ==, "5000");
          seen = TRUE;
        }
      if (g_str_equal (json_object_get_string_member (o, "key"), "sms.on_spend"))
        g_assert_cmpstr (json_object_get_string_member (o, "value"), ==, "false");
    }
  g_assert_true (seen);
}

/* Sessions end after --console-idle seconds without use, on the fixed
 * clock: the server restarted at later instants of MENDIAN_NOW. */
static void
test_expiry (void)
{
  g_autoptr(Chain) ch = chain_new ("Ann");
  g_autoptr(Client) c = NULL;
  g_auto(Reply) r1 = { 0 }, r2 = { 0 }, r3 = { 0 };

  g_assert_cmpint (mdn_test_server_stop (ch->s, SIGTERM), ==, 0);
  mdn_test_set_now ("2026-11-22T10:00:00+08:00");
  mdn_test_server_start (ch->s, "--console-idle=1800");
  c = logged_in (ch->s, "boss");

  g_assert_cmpint (mdn_test_server_stop (ch->s, SIGTERM), ==, 0);
  mdn_test_set_now ("2026-11-22T10:29:00+08:00");   /* 29 minutes later: still in */
  mdn_test_server_start (ch->s, "--console-idle=1800");
  g_assert_cmpuint (get (c, "/console/members", &r1), ==, 200);

  g_assert_cmpint (mdn_test_server_stop (ch->s, SIGTERM), ==, 0);
  mdn_test_set_now ("2026-11-22T10:59:00+08:00");   /* 30 minutes after its last use: ended */
  mdn_test_server_start (ch->s, "--console-idle=1800");
  g_assert_cmpuint (get (c, "/console/members", &r2), ==, 303);
  g_assert_cmpstr (r2.location, ==, "/console/login?why=expired");
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_console_sessions"), ==, 0);
  /* and a form of the ended session is refused */
  g_assert_cmpuint (post (c, "/console/master/product", TRUE, &r3, "sku", "X", "name", "X", "kind", "goods",
                          "price", "1", NULL), ==, 403);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM products"), ==, 0);
  mdn_test_set_now (NULL);
}

static void
test_user_add (void)
{
  g_autoptr(MdnTestServer) s = mdn_test_server_init ("console-users");
  g_autofree char *pw = g_build_filename (s->dir, "pw", NULL);
  const char *server = mdn_test_server_binary ();
  struct { const char *role, *branches, *password; } bad[] = {
    { "boss", NULL, PASSWORD },          /* no such role */
    { "region", NULL, PASSWORD },        /* a region without branches */
    { "region", "B77", PASSWORD },       /* an unknown branch */
    { "hq-admin", NULL, "short" },       /* too short a password */
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GSubprocess) p = NULL;
      g_autoptr(GError) error = NULL;

      g_assert_true (g_file_set_contents (pw, bad[i].password, -1, NULL));
      if (bad[i].branches)
        p = mdn_test_spawn (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error, server,
                            "--db", s->db, "user", "add", "--name", "u", "--role", bad[i].role, "--password-file", pw,
                            "--branches", bad[i].branches, NULL);
      else
        p = mdn_test_spawn (G_SUBPROCESS_FLAGS_STDOUT_SILENCE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, &error, server,
                            "--db", s->db, "user", "add", "--name", "u", "--role", bad[i].role, "--password-file", pw,
                            NULL);
      g_assert_no_error (error);
      g_assert_true (g_subprocess_wait (p, NULL, NULL));
      g_assert_cmpint (g_subprocess_get_exit_status (p), ==, 2);
    }
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_console_users"), ==, 0);
  add_user (s, "boss", "hq-admin", NULL);
  g_assert_cmpint (mdn_test_server_count (s, "SELECT count(*) FROM srv_console_users WHERE password_hash "
                                             "LIKE '$argon2id$%'"), ==, 1);
}


/* The rows of the page's first <tbody>. */
static guint
tbody_rows (const char *body, const char *table_class)
{
  g_autofree char *open = g_strdup_printf ("<table class=\"%s\">", table_class);
  const char *t = strstr (body, open);
  const char *b = t ? strstr (t, "<tbody>") : NULL;
  const char *e = b ? strstr (b, "</tbody>") : NULL;
  guint n = 0;

  g_assert_nonnull (e);
  for (const char *p = b; (p = strstr (p, "<tr>")) && p < e; p++)
    n++;
  return n;
}

static char *
tfoot_of (const char *body)
{
  const char *b = strstr (body, "<tfoot>");
  const char *e = b ? strstr (b, "</tfoot>") : NULL;

  g_assert_nonnull (e);
  return g_strndup (b, e - b);
}

static gboolean
has (const Reply *r, const char *text)
{
  return strstr (r->body, text) != NULL;
}

/* A chain with enough business to page: 110 deposits at B01, a message,
 * stock received, one transfer received short and one still in transit,
 * a member who takes marketing SMS. */
static Chain *
busy_chain (void)
{
  Chain *ch = chain_new ("Ann");
  g_autoptr(Client) c = logged_in (ch->s, "boss");
  g_autoptr(JsonObject) t1 = NULL, t2 = NULL;
  g_auto(Reply) r = { 0 };

  for (int i = 0; i < 110; i++)
    json_object_unref (mdn_test_ok (ch->b1->admin, "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"1.00\"}",
                                    ch->card1));
  {
    g_autoptr(JsonObject) m = mdn_test_ok (ch->b1->admin, "{\"op\":\"message.add\",\"card\":\"%s\","
                                                          "\"text\":\"<b>周六有位吗</b>\"}", ch->card1);

    ch->message = g_strdup (mdn_test_str (m, "message_id"));
  }
  json_object_unref (mdn_test_ok (ch->b1->admin, "{\"op\":\"member.sms_prefs\",\"card\":\"%s\",\"sms_consent\":true}",
                                  ch->card1));
  g_assert_cmpuint (post (c, "/console/master/product", TRUE, &r, "sku", "TEA", "name", "绿茶", "kind", "goods",
                          "price", "15.00", "category", "饮品/茶", "active", "1", NULL), ==, 303);
  mdn_test_sync_ok (ch->b1);
  mdn_test_sync_ok (ch->b2);
  json_object_unref (mdn_test_ok (ch->b1->admin, "{\"op\":\"stock.receive\",\"lines\":[{\"sku\":\"TEA\",\"qty\":30,"
                                                 "\"cost\":\"6.00\"}]}"));
  json_object_unref (mdn_test_ok (ch->b1->admin, "{\"op\":\"stock.limits\",\"sku\":\"TEA\",\"low_stock\":50}"));
  t1 = mdn_test_ok (ch->b1->admin, "{\"op\":\"transfer.out\",\"to\":\"B02\",\"lines\":[{\"sku\":\"TEA\",\"qty\":10}]}");
  t2 = mdn_test_ok (ch->b1->admin, "{\"op\":\"transfer.out\",\"to\":\"B02\",\"lines\":[{\"sku\":\"TEA\",\"qty\":5}]}");
  mdn_test_sync_ok (ch->b1);
  mdn_test_sync_ok (ch->b2);
  json_object_unref (mdn_test_ok (ch->b2->admin, "{\"op\":\"transfer.receive\",\"transfer_id\":\"%s\","
                                                 "\"lines\":[{\"sku\":\"TEA\",\"qty\":9}]}",
                                  mdn_test_str (t1, "transfer_id")));
  /* B02 sells 10 of what it has 9 of: -1 */
  json_object_unref (mdn_test_ok (ch->b2->admin, "{\"op\":\"sale\",\"lines\":[{\"sku\":\"TEA\",\"qty\":10}],"
                                                 "\"tenders\":[{\"type\":\"cash\",\"amount_fen\":15000}]}"));
  mdn_test_sync_ok (ch->b2);
  mdn_test_sync_ok (ch->b1);
  return ch;
}

static void
test_report_pages (void)
{
  g_autoptr(Chain) ch = busy_chain ();
  g_autoptr(Client) c = logged_in (ch->s, "boss");
  g_autoptr(Client) east = logged_in (ch->s, "east");
  g_auto(Reply) list = { 0 }, p1 = { 0 }, p2 = { 0 }, p3 = { 0 }, bad = { 0 }, other = { 0 }, filt = { 0 };
  g_autofree char *f1 = NULL, *f3 = NULL;

  g_assert_cmpuint (get (c, "/console/reports", &list), ==, 200);
  for (const MdnReportDef *const *d = mdn_reports (); *d; d++)
    {
      g_autofree char *link = g_strdup_printf ("href=\"/console/reports/%s?", (*d)->name);
      g_autofree char *path = g_strdup_printf ("/console/reports/%s?from=2026-11-01&to=2026-11-30", (*d)->name);
      g_auto(Reply) one = { 0 };

      g_assert_true (has (&list, link));
      /* every report opens on the page, with its filters and downloads */
      g_test_message ("GET %s", path);
      g_assert_cmpuint (get (c, path, &one), ==, 200);
      g_assert_true (has (&one, "name=\"format\" value=\"xlsx\""));
      g_assert_true (has (&one, "name=\"format\" value=\"csv\""));
    }
  /* 110 deposits and the two cards' first deposits: three pages of 50 */
  g_assert_cmpuint (get (c, "/console/reports/deposits?from=2026-11-01&to=2026-11-30", &p1), ==, 200);
  g_assert_cmpuint (tbody_rows (p1.body, "report"), ==, 50);
  g_assert_true (has (&p1, "rel=\"next\""));
  g_assert_false (has (&p1, "rel=\"prev\""));
  g_assert_true (has (&p1, "after=50"));
  g_assert_true (has (&p1, "name=\"staff\""));   /* its own filters */
  g_assert_cmpuint (get (c, "/console/reports/deposits?from=2026-11-01&to=2026-11-30&after=50", &p2), ==, 200);
  g_assert_cmpuint (tbody_rows (p2.body, "report"), ==, 50);
  g_assert_true (has (&p2, "rel=\"prev\""));
  g_assert_cmpuint (get (c, "/console/reports/deposits?from=2026-11-01&to=2026-11-30&after=100", &p3), ==, 200);
  g_assert_false (has (&p3, "rel=\"next\""));
  g_assert_true (has (&p3, "after=50"));   /* back a page */
  /* the totals are of every row, the same on every page */
  f1 = tfoot_of (p1.body);
  f3 = tfoot_of (p3.body);
  g_assert_cmpstr (f1, ==, f3);
  g_assert_nonnull (strstr (f1, "260.00"));   /* 100.00 + 50.00 + 110 × 1.00 */
  g_assert_cmpuint (tbody_rows (p3.body, "report"), ==,
                    mdn_test_server_count (ch->s, "SELECT count(*) FROM entries WHERE kind = 'member.deposit'") - 100);
  /* a bad page or period is said on the page */
  g_assert_cmpuint (get (c, "/console/reports/deposits?from=2026-11-01&to=2026-11-30&after=x", &bad), ==, 200);
  g_assert_true (has (&bad, "class=\"error\""));
  /* a filter narrows the rows: B02 has one deposit (its card's first) */
  g_assert_cmpuint (get (c, "/console/reports/deposits?from=2026-11-01&to=2026-11-30&branch=B02", &filt), ==, 200);
  g_assert_cmpuint (tbody_rows (filt.body, "report"), ==,
                    mdn_test_server_count (ch->s, "SELECT count(*) FROM entries WHERE kind = 'member.deposit' "
                                                  "AND branch = 'B02'"));
  /* a region user sees its branch's rows only, not another's */
  g_assert_cmpuint (get (east, "/console/reports/deposits?from=2026-11-01&to=2026-11-30&branch=B02", &other), ==, 403);
}

static void
test_stock_page (void)
{
  g_autoptr(Chain) ch = busy_chain ();
  g_autoptr(Client) c = logged_in (ch->s, "boss");
  g_autoptr(Client) east = logged_in (ch->s, "east");
  g_auto(Reply) r = { 0 }, one = { 0 }, mine = { 0 }, other = { 0 };

  g_assert_cmpuint (get (c, "/console/stock", &r), ==, 200);
  g_assert_true (has (&r, "<code>TEA</code>"));
  g_assert_true (has (&r, "<th class=\"num\">B01</th>"));
  g_assert_true (has (&r, "<th class=\"num\">B02</th>"));
  g_assert_true (has (&r, "<td class=\"num\">15</td>"));   /* 30 - 10 - 5 */
  g_assert_true (has (&r, "+5 "));                         /* on its way to B02 */
  g_assert_true (has (&r, "<td class=\"num low\">-1"));   /* 9 received, 10 sold */
  g_assert_true (has (&r, "<strong>14</strong>"));        /* 15 - 1 at the chain */
  g_assert_true (has (&r, "<tr class=\"short\"><td>B02</td><td><code>TEA</code>"));
  g_assert_true (has (&r, "class=\"short\""));            /* 10 sent, 9 received */
  g_assert_true (has (&r, "TEA 绿茶: 10 → 9"));
  g_assert_true (has (&r, "TEA 绿茶: 5"));
  g_assert_cmpuint (get (c, "/console/stock?sku=NONE", &one), ==, 200);
  g_assert_false (has (&one, "<code>TEA</code>"));
  /* a region user: its branch only */
  g_assert_cmpuint (get (east, "/console/stock", &mine), ==, 200);
  g_assert_false (has (&mine, "<th class=\"num\">B02</th>"));
  g_assert_cmpuint (get (east, "/console/stock?branch=B02", &other), ==, 403);
  g_assert_true (refused_page (&other));
}

static void
test_oplog_page (void)
{
  g_autoptr(Chain) ch = busy_chain ();
  g_autoptr(Client) c = logged_in (ch->s, "boss");
  g_autoptr(Client) east = logged_in (ch->s, "east");
  g_auto(Reply) p1 = { 0 }, p2 = { 0 }, b2 = { 0 }, op = { 0 }, day = { 0 }, none = { 0 }, mine = { 0 },
                other = { 0 }, bad = { 0 };

  mdn_test_fails (ch->b1->admin, "malformed_money", "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount\":\"x\"}",
                  ch->card1);
  mdn_test_sync_ok (ch->b1);
  g_assert_cmpuint (get (c, "/console/oplog", &p1), ==, 200);
  g_assert_true (has (&p1, "<td>B01</td>"));
  g_assert_true (has (&p1, "class=\"refused\""));   /* a refused operation is in the log too */
  g_assert_true (has (&p1, "rel=\"next\""));        /* more than 100 rows */
  g_assert_cmpuint (get (c, "/console/oplog?page=2", &p2), ==, 200);
  g_assert_true (has (&p2, "rel=\"prev\""));
  g_assert_cmpuint (get (c, "/console/oplog?branch=B02", &b2), ==, 200);
  g_assert_false (has (&b2, "<td>B01</td>"));
  g_assert_true (has (&b2, "<td>B02</td>"));
  g_assert_cmpuint (get (c, "/console/oplog?op=message.add&staff=admin", &op), ==, 200);
  g_assert_true (has (&op, "title=\"message.add\""));
  g_assert_false (has (&op, "title=\"member.deposit\""));
  g_assert_true (has (&op, "value=\"message.add\" selected"));
  {
    g_auto(Reply) refused = { 0 }, done = { 0 };

    g_assert_cmpuint (get (c, "/console/oplog?outcome=refused", &refused), ==, 200);
    g_assert_true (has (&refused, "class=\"refused\""));
    g_assert_false (has (&refused, "class=\"done\""));
    g_assert_true (has (&refused, "value=\"refused\" selected"));
    g_assert_cmpuint (get (c, "/console/oplog?outcome=done&branch=B01", &done), ==, 200);
    g_assert_false (has (&done, "class=\"refused\""));
  }
  g_assert_cmpuint (get (c, "/console/oplog?from=2026-11-22&to=2026-11-22", &day), ==, 200);
  g_assert_true (has (&day, "<td>B01</td>"));
  g_assert_cmpuint (get (c, "/console/oplog?from=2026-11-23", &none), ==, 200);
  g_assert_false (has (&none, "<td>B01</td>"));
  g_assert_cmpuint (get (c, "/console/oplog?from=nope", &bad), ==, 400);
  /* a region user: its branches' logs only */
  g_assert_cmpuint (get (east, "/console/oplog", &mine), ==, 200);
  g_assert_false (has (&mine, "<td>B02</td>"));
  g_assert_cmpuint (get (east, "/console/oplog?branch=B02", &other), ==, 403);
}

static void
test_messages (void)
{
  g_autoptr(Chain) ch = busy_chain ();
  g_autoptr(Client) c = logged_in (ch->s, "boss");
  g_autoptr(Client) viewer = logged_in (ch->s, "viewer");
  g_autoptr(Client) east = logged_in (ch->s, "east");
  g_autoptr(JsonObject) list = NULL;
  g_autofree char *page = g_strdup_printf ("/console/members/%s", ch->member1);
  g_autofree char *reply = g_strdup_printf ("/console/members/%s/reply", ch->member1);
  g_autofree char *other_reply = g_strdup_printf ("/console/members/%s/reply", ch->member2);
  const char *message = ch->message;
  g_auto(Reply) m = { 0 }, done = { 0 }, after = { 0 }, v = { 0 }, x = { 0 }, e = { 0 }, empty = { 0 }, vm = { 0 };
  JsonArray *replies;

  g_assert_cmpuint (get (c, page, &m), ==, 200);
  g_assert_true (has (&m, "&lt;b&gt;周六有位吗&lt;/b&gt;"));   /* what a branch typed, as text */
  g_assert_true (has (&m, "name=\"message_id\""));
  /* a viewer sees the thread, without a form, and may not reply */
  g_assert_cmpuint (get (viewer, page, &vm), ==, 200);
  g_assert_false (has (&vm, "name=\"message_id\""));
  g_assert_cmpuint (post (viewer, reply, TRUE, &v, "message_id", message, "text", "x", NULL), ==, 403);
  /* without the token: refused */
  g_assert_cmpuint (post (c, reply, FALSE, &x, "message_id", message, "text", "x", NULL), ==, 403);
  /* a region user, for another region's member: refused */
  g_assert_cmpuint (post (east, other_reply, TRUE, &e, "message_id", message, "text", "x", NULL), ==, 403);
  /* an empty reply is the operation's refusal, nothing written */
  g_assert_cmpuint (post (c, reply, TRUE, &empty, "message_id", message, "text", "  ", NULL), ==, 400);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM member_message_replies"), ==, 0);

  g_assert_cmpuint (post (c, reply, TRUE, &done, "message_id", message, "text", "有的，<欢迎>", NULL), ==, 303);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM member_message_replies WHERE branch = 'WEB'"),
                   ==, 1);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_console_audit WHERE action = 'message.reply' "
                                                 "AND ok = 1 AND entry_id IS NOT NULL"), ==, 1);
  g_assert_cmpuint (get (c, page, &after), ==, 200);
  g_assert_true (has (&after, "class=\"reply\""));
  g_assert_true (has (&after, "有的，&lt;欢迎&gt;"));
  /* a shared entry: the branch that took the message gets the reply */
  mdn_test_sync_ok (ch->b1);
  list = mdn_test_ok (ch->b1->admin, "{\"op\":\"message.list\",\"card\":\"%s\"}", ch->card1);
  replies = json_object_get_array_member (json_array_get_object_element (json_object_get_array_member (list, "messages"),
                                                                          0), "replies");
  g_assert_cmpuint (json_array_get_length (replies), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (json_array_get_object_element (replies, 0), "text"), ==,
                   "有的，<欢迎>");
  g_assert_cmpuint (mdn_test_verify (ch->b1), ==, 0);
}

static void
test_sms_page (void)
{
  g_autoptr(Chain) ch = busy_chain ();
  g_autoptr(Client) c = logged_in (ch->s, "boss");
  g_autoptr(Client) viewer = logged_in (ch->s, "viewer");
  g_autoptr(Client) east = logged_in (ch->s, "east");
  g_auto(Reply) page = { 0 }, pre = { 0 }, vpre = { 0 }, vsend = { 0 }, nocheck = { 0 }, sent = { 0 }, box = { 0 },
                bad = { 0 }, none = { 0 }, region = { 0 }, nocsrf = { 0 };

  g_assert_cmpuint (get (c, "/console/sms", &page), ==, 200);
  g_assert_true (has (&page, "<strong>log</strong>"));   /* the gateway */
  g_assert_true (has (&page, "action=\"/console/sms/preview\""));
  /* preview: who and what, nothing written */
  g_assert_cmpuint (post (c, "/console/sms/preview", TRUE, &pre, "template", "{name}: <新品>", "level", "", NULL),
                    ==, 200);
  g_assert_true (has (&pre, "id=\"preview\""));
  g_assert_true (has (&pre, "Ann: &lt;新品&gt;"));
  g_assert_true (has (&pre, ch->card1));
  g_assert_true (has (&pre, "action=\"/console/sms/send\""));
  g_assert_true (has (&pre, "name=\"confirm\""));
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM entries WHERE kind = 'sms.campaign'"), ==, 0);
  /* a selection nobody is in */
  g_assert_cmpuint (post (c, "/console/sms/preview", TRUE, &none, "template", "x", "points_min", "999999", NULL), ==, 200);
  g_assert_false (has (&none, "action=\"/console/sms/send\""));
  g_assert_cmpuint (post (c, "/console/sms/preview", TRUE, &bad, "template", "x", "birthday_month", "13", NULL), ==, 200);
  g_assert_true (has (&bad, "class=\"error\""));
  /* a viewer may preview, not send */
  g_assert_cmpuint (post (viewer, "/console/sms/preview", TRUE, &vpre, "template", "x", NULL), ==, 200);
  g_assert_false (has (&vpre, "action=\"/console/sms/send\""));
  g_assert_cmpuint (post (viewer, "/console/sms/send", TRUE, &vsend, "template", "x", "confirm", "1", NULL), ==, 403);
  /* a region user: not its business */
  g_assert_cmpuint (get (east, "/console/sms", &region), ==, 403);
  /* without the confirmation or the token: not sent */
  g_assert_cmpuint (post (c, "/console/sms/send", TRUE, &nocheck, "template", "{name}: <新品>", NULL), ==, 400);
  g_assert_cmpuint (post (c, "/console/sms/send", FALSE, &nocsrf, "template", "{name}: <新品>", "confirm", "1", NULL),
                    ==, 403);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM entries WHERE kind = 'sms.campaign'"), ==, 0);

  g_assert_cmpuint (post (c, "/console/sms/send", TRUE, &sent, "template", "{name}: <新品>", "level", "",
                          "confirm", "1", NULL), ==, 303);
  g_assert_true (g_str_has_prefix (sent.location, "/console/sms?done="));
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM entries WHERE kind = 'sms.campaign' "
                                                 "AND branch = 'WEB'"), ==, 1);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_sms_outbox WHERE event = 'campaign'"), ==, 1);
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_console_audit WHERE action = 'sms.campaign' "
                                                 "AND ok = 1 AND entry_id IS NOT NULL"), ==, 1);
  g_assert_cmpuint (get (c, "/console/sms", &box), ==, 200);
  g_assert_true (has (&box, "13800000001"));
  g_assert_true (has (&box, "Ann: &lt;新品&gt;"));
}

static void
test_branch_version (void)
{
  g_autoptr(Chain) ch = chain_new ("Ann");
  g_autoptr(Client) c = logged_in (ch->s, "boss");
  g_auto(Reply) r = { 0 };

  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_branches WHERE version = '" MDN_VERSION "'"),
                   ==, 2);
  g_assert_cmpuint (get (c, "/console/branches", &r), ==, 200);
  g_assert_true (has (&r, "<span class=\"version\">" MDN_VERSION "</span>"));
  /* both branches have synced: none is unknown */
  g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_branches WHERE version IS NULL"), ==, 0);
  /* a branch of an older Mendian sends no version: the sync goes, what was noted stays */
  {
    g_autoptr(JsonObject) state = NULL;

    g_assert_cmpuint (mdn_test_http (ch->s, "GET", "/api/v1/sync/state",
                                     g_hash_table_lookup (ch->s->tokens, "B02"), NULL, 0, &state), ==, 200);
    g_assert_cmpint (mdn_test_server_count (ch->s, "SELECT count(*) FROM srv_branches WHERE code = 'B02' "
                                                   "AND version = '" MDN_VERSION "'"), ==, 1);
  }
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  mdn_library_init ();
  mdn_branch_init ();

  g_test_add_func ("/console/redirects", test_redirects);
  g_test_add_func ("/console/login", test_login);
  g_test_add_func ("/console/login/lockout", test_lockout);
  g_test_add_func ("/console/pages", test_pages);
  g_test_add_func ("/console/escaping", test_escaping);
  g_test_add_func ("/console/csrf", test_csrf);
  g_test_add_func ("/console/viewer", test_viewer);
  g_test_add_func ("/console/region", test_region);
  g_test_add_func ("/console/region/write-off", test_region_write_off);
  g_test_add_func ("/console/write-off", test_write_off);
  g_test_add_func ("/console/master/reaches-branch", test_master_reaches_branch);
  g_test_add_func ("/console/master/two-processes", test_two_processes);
  g_test_add_func ("/console/master/settings", test_settings);
  g_test_add_func ("/console/branches/online", test_branches_online);
  g_test_add_func ("/console/branches/forms", test_branch_forms);
  g_test_add_func ("/console/session/expiry", test_expiry);
  g_test_add_func ("/console/user-add", test_user_add);
  g_test_add_func ("/console/reports/pages", test_report_pages);
  g_test_add_func ("/console/stock", test_stock_page);
  g_test_add_func ("/console/oplog", test_oplog_page);
  g_test_add_func ("/console/members/messages", test_messages);
  g_test_add_func ("/console/sms", test_sms_page);
  g_test_add_func ("/console/branches/version", test_branch_version);
  return g_test_run ();
}
