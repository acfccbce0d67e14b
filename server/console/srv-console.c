/* srv-console.c: the web console's routes, login and sessions, CSRF, the
 * page layout and the static files. Pages are srv-console-pages.c and
 * srv-console-master.c; the HQ terminal that writes for them is
 * srv-console-hq.c. */
#define G_LOG_DOMAIN "srv-console"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-error.h"
#include "mdn-id.h"
#include "srv-console-private.h"

#define SESSION_COOKIE "mdn_session"
#define LOGIN_COOKIE   "mdn_login"
#define RESOURCE_PATH  "/org/mendian/console/"

SrvConsole *
srv_console_new (SrvServer              *srv,
                 const SrvServerOptions *options,
                 GError                **error)
{
  SrvConsole *c = g_new0 (SrvConsole, 1);

  c->srv = srv;
  c->store = srv_server_store (srv);
  c->hq_path = g_strdup (options->console_hq);
  c->hq_code = g_strdup (options->console_hq_code);
  c->idle = options->console_idle ? options->console_idle : SRV_CONSOLE_IDLE_DEFAULT;
  c->tz = g_time_zone_new_identifier (srv_console_timezone (c->store));
  return c;
}

void
srv_console_free (SrvConsole *console)
{
  if (console == NULL)
    return;
  g_clear_pointer (&console->hq, srv_console_hq_free);
  g_clear_pointer (&console->tz, g_time_zone_unref);
  g_free (console->hq_path);
  g_free (console->hq_code);
  g_free (console);
}

/* Helpers for pages ------------------------------------------------------------ */

static gboolean
secure_request (SrvPage *page)
{
  const char *proto = soup_message_headers_get_one (soup_server_message_get_request_headers (page->req->msg),
                                                    "X-Forwarded-Proto");

  return srv_server_is_tls (page->req->srv) || g_strcmp0 (proto, "https") == 0;
}

static void
set_headers (SrvPage *page)
{
  SoupMessageHeaders *h = soup_server_message_get_response_headers (page->req->msg);

  soup_message_headers_replace (h, "Content-Security-Policy",
                                "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
  soup_message_headers_replace (h, "X-Content-Type-Options", "nosniff");
  soup_message_headers_replace (h, "X-Frame-Options", "DENY");
  soup_message_headers_replace (h, "Referrer-Policy", "same-origin");
  soup_message_headers_replace (h, "Cache-Control", "no-store");
}

static void
set_cookie (SrvPage    *page,
            const char *name,
            const char *value,
            gint64      max_age)
{
  g_autoptr(GString) c = g_string_new (NULL);

  g_string_append_printf (c, "%s=%s; Path=/console/; HttpOnly; SameSite=Strict", name, value);
  if (max_age >= 0)
    g_string_append_printf (c, "; Max-Age=%" G_GINT64_FORMAT, max_age);
  if (secure_request (page))
    g_string_append (c, "; Secure");
  soup_message_headers_append (soup_server_message_get_response_headers (page->req->msg), "Set-Cookie", c->str);
}

static char *
cookie_dup (SrvPage    *page,
            const char *name)
{
  const char *header = soup_message_headers_get_list (soup_server_message_get_request_headers (page->req->msg),
                                                      "Cookie");
  g_auto(GStrv) parts = NULL;
  gsize len = strlen (name);

  if (header == NULL)
    return NULL;
  parts = g_strsplit_set (header, ";,", -1);
  for (guint i = 0; parts[i]; i++)
    {
      const char *p = parts[i];

      while (*p == ' ')
        p++;
      if (strncmp (p, name, len) == 0 && p[len] == '=')
        return g_strstrip (g_strdup (p + len + 1));
    }
  return NULL;
}

static gboolean
same_token (const char *a,
            const char *b)
{
  gsize la, lb;
  guint diff = 0;

  if (a == NULL || b == NULL)
    return FALSE;
  la = strlen (a);
  lb = strlen (b);
  if (la != lb || la == 0)
    return FALSE;
  for (gsize i = 0; i < la; i++)
    diff |= (guchar) a[i] ^ (guchar) b[i];
  return diff == 0;
}

const char *
srv_page_arg (SrvPage    *page,
              const char *name)
{
  const char *v = page->form ? g_hash_table_lookup (page->form, name) : NULL;

  if (v == NULL)
    v = srv_query_get (page->req, name);
  return v;
}

gboolean
srv_page_may_write (SrvPage *page)
{
  return page->user && (g_str_equal (page->user->role, "hq-admin") || g_str_equal (page->user->role, "region"));
}

gboolean
srv_page_sees_branch (SrvPage    *page,
                      const char *branch)
{
  if (page->user == NULL)
    return FALSE;
  if (!g_str_equal (page->user->role, "region"))
    return TRUE;
  return branch && g_strv_contains ((const char *const *) page->user->branches, branch);
}

const char *const *
srv_page_branches (SrvPage *page)
{
  if (page->user && g_str_equal (page->user->role, "region"))
    return (const char *const *) page->user->branches;
  return NULL;
}

void
srv_page_audit (SrvPage    *page,
                const char *action,
                const char *target,
                gboolean    ok,
                const char *detail,
                const char *entry_id)
{
  srv_console_audit (page->console->store, page->user ? page->user->name : "?", action, target, ok, detail,
                     entry_id);
}

SrvHtml *
srv_page_csrf_input (SrvPage *page)
{
  SrvHtml *h = srv_html_new ();

  srv_html_append (h, "<input type=\"hidden\" name=\"csrf_token\" value=\"%s\">",
                   page->user ? page->user->csrf : "");
  return h;
}

char *
srv_page_time (SrvPage    *page,
               const char *iso)
{
  g_autoptr(GDateTime) dt = iso && *iso ? g_date_time_new_from_iso8601 (iso, NULL) : NULL;
  g_autoptr(GDateTime) local = NULL;

  if (dt == NULL)
    return g_strdup (iso ? iso : "");
  if (page->console->tz)
    local = g_date_time_to_timezone (dt, page->console->tz);
  return g_date_time_format (local ? local : dt, "%Y-%m-%d %H:%M:%S");
}

SrvHtml *
srv_page_notice (SrvPage *page)
{
  const char *done = srv_query_get (page->req, "done");
  SrvHtml *h = srv_html_new ();

  if (done && *done)
    srv_html_append (h, "<p class=\"notice\" role=\"status\">%s</p>", done);
  return h;
}

static void
reply_html (SrvPage *page,
            guint    status,
            SrvHtml *html)
{
  set_headers (page);
  srv_reply_text (page->req, status, "text/html; charset=utf-8", srv_html_steal (html));
}

static const struct
{
  const char *key;
  const char *path;
  const char *label;
} nav_items[] = {
  { "dashboard",  "/console/",           N_("Overview") },
  { "branches",   "/console/branches",   N_("Branches") },
  { "reports",    "/console/reports",    N_("Reports") },
  { "members",    "/console/members",    N_("Members") },
  { "exceptions", "/console/exceptions", N_("Exceptions") },
  { "stock",      "/console/stock",      N_("Stock") },
  { "sms",        "/console/sms",        N_("SMS") },
  { "master",     "/console/master",     N_("Master data") },
  { "oplog",      "/console/oplog",      N_("Operation log") },
  { "audit",      "/console/audit",      N_("Audit log") },
};

static const char *
role_label (const char *role)
{
  if (g_strcmp0 (role, "hq-admin") == 0)
    return _("Head-office administrator");
  if (g_strcmp0 (role, "hq-viewer") == 0)
    return _("Head-office viewer");
  return _("Region manager");
}

void
srv_page_reply (SrvPage    *page,
                const char *nav,
                const char *title,
                SrvHtml    *content)
{
  g_autoptr(GHashTable) vars = srv_vars_new ();
  SrvHtml *menu = srv_html_new ();
  SrvHtml *who = srv_html_new ();

  for (guint i = 0; i < G_N_ELEMENTS (nav_items); i++)
    {
      if (g_strcmp0 (nav, nav_items[i].key) == 0)
        srv_html_append (menu, "<a href=\"%s\" aria-current=\"page\">%s</a>", nav_items[i].path,
                         _(nav_items[i].label));
      else
        srv_html_append (menu, "<a href=\"%s\">%s</a>", nav_items[i].path, _(nav_items[i].label));
    }
  if (page->user)
    {
      g_autoptr(SrvHtml) csrf = srv_page_csrf_input (page);

      srv_html_append (who, "<span class=\"user\">%s · %s</span>", page->user->name,
                       role_label (page->user->role));
      if (page->user->branches && page->user->branches[0])
        {
          g_autofree char *list = g_strjoinv (", ", page->user->branches);

          srv_html_append (who, "<span class=\"user\">%s</span>", list);
        }
      srv_html_append (who,
                       "<form method=\"post\" action=\"/console/logout\" class=\"inline\">%H"
                       "<button type=\"submit\" class=\"link\">%s</button></form>",
                       csrf, _("Log out"));
    }
  srv_vars_text (vars, "title", title);
  srv_vars_html (vars, "nav", menu);
  srv_vars_html (vars, "user", who);
  srv_vars_html (vars, "notice", srv_page_notice (page));
  srv_vars_html (vars, "content", content);
  reply_html (page, SOUP_STATUS_OK, srv_template_render ("layout", vars));
}

void
srv_page_error (SrvPage    *page,
                guint       status,
                const char *message)
{
  g_autoptr(GHashTable) vars = srv_vars_new ();
  g_autoptr(GHashTable) outer = srv_vars_new ();
  SrvHtml *menu = srv_html_new ();
  const char *title = status == SOUP_STATUS_FORBIDDEN ? _("Not allowed")
                    : status == SOUP_STATUS_NOT_FOUND ? _("Not found")
                                                      : _("Not done");

  srv_vars_int (vars, "status", status);
  srv_vars_text (vars, "heading", title);
  srv_vars_text (vars, "message", message);
  for (guint i = 0; page->user && i < G_N_ELEMENTS (nav_items); i++)
    srv_html_append (menu, "<a href=\"%s\">%s</a>", nav_items[i].path, _(nav_items[i].label));
  srv_vars_text (outer, "title", title);
  srv_vars_html (outer, "nav", menu);
  srv_vars_html (outer, "user", srv_html_new ());
  srv_vars_html (outer, "notice", srv_html_new ());
  srv_vars_html (outer, "content", srv_template_render ("error", vars));
  reply_html (page, status, srv_template_render ("layout", outer));
}

void
srv_page_redirect (SrvPage    *page,
                   const char *location)
{
  set_headers (page);
  soup_message_headers_replace (soup_server_message_get_response_headers (page->req->msg), "Location", location);
  srv_reply_text (page->req, SOUP_STATUS_SEE_OTHER, "text/plain; charset=utf-8", g_strdup (""));
}

gboolean
srv_console_has_hq (SrvConsole *c)
{
  return c != NULL && (c->hq != NULL || c->hq_path != NULL);
}

JsonObject *
srv_console_run_hq_op (SrvConsole *c,
                       const char *op,
                       JsonObject *args,
                       GError    **error)
{
  JsonObject *result;
  gint64 head = 0;

  g_return_val_if_fail (c != NULL && op != NULL && args != NULL, NULL);

  if (c->hq == NULL)
    {
      if (c->hq_path == NULL)
        {
          g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID,
                               _("The console has no head-office terminal: start the server with --console-hq FILE"));
          return NULL;
        }
      c->hq = srv_console_hq_open (c->store, c->hq_path, c->hq_code, error);
      if (c->hq == NULL)
        return NULL;
    }
  result = srv_console_hq_run (c->hq, op, args, &head, error);
  if (head > 0)
    srv_notify_feed (c->srv, head);
  return result;
}

JsonObject *
srv_console_run_hq (SrvPage    *page,
                    const char *op,
                    JsonObject *args,
                    GError    **error)
{
  return srv_console_run_hq_op (page->console, op, args, error);
}

/* Login -------------------------------------------------------------------------- */

static void
login_page (SrvPage    *page,
            guint       status,
            const char *message,
            const char *name)
{
  g_autoptr(GHashTable) vars = srv_vars_new ();
  g_autofree char *token = mdn_random_hex (16);
  SrvHtml *msg = srv_html_new ();

  if (message)
    srv_html_append (msg, "<p class=\"error\" role=\"alert\">%s</p>", message);
  set_cookie (page, LOGIN_COOKIE, token, 600);
  srv_vars_text (vars, "csrf", token);
  srv_vars_text (vars, "name", name ? name : "");
  srv_vars_html (vars, "message", msg);
  reply_html (page, status, srv_template_render ("login", vars));
}

static void
login_get (SrvPage *page)
{
  const char *why = srv_query_get (page->req, "why");

  login_page (page, SOUP_STATUS_OK,
              g_strcmp0 (why, "expired") == 0 ? _("Your session ended after a time without use; log in again")
              : g_strcmp0 (why, "out") == 0   ? _("You are logged out")
                                              : NULL,
              NULL);
}

static void
login_post (SrvPage *page)
{
  g_autofree char *expected = cookie_dup (page, LOGIN_COOKIE);
  g_autoptr(GError) error = NULL;
  g_autoptr(SrvConsoleUser) user = NULL;
  g_autofree char *id = NULL, *csrf = NULL;
  const char *name = srv_page_arg (page, "name");
  const char *password = srv_page_arg (page, "password");

  if (!same_token (expected, srv_page_arg (page, "csrf_token")))
    {
      login_page (page, SOUP_STATUS_FORBIDDEN, _("The form has expired; log in again"), name);
      return;
    }
  user = srv_console_login (page->console->store, name, password, &error);
  if (user == NULL)
    {
      login_page (page, SOUP_STATUS_FORBIDDEN, error->message, name);
      return;
    }
  /* A new session id at every login: a planted cookie is worth nothing. */
  id = srv_console_session_new (page->console->store, user->name, &csrf, &error);
  if (id == NULL)
    {
      srv_page_error (page, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  srv_console_audit (page->console->store, user->name, "login", NULL, TRUE, NULL, NULL);
  set_cookie (page, SESSION_COOKIE, id, -1);
  set_cookie (page, LOGIN_COOKIE, "", 0);
  srv_page_redirect (page, "/console/");
}

static void
logout_post (SrvPage *page)
{
  g_autofree char *id = cookie_dup (page, SESSION_COOKIE);

  srv_page_audit (page, "logout", NULL, TRUE, NULL, NULL);
  srv_console_session_end (page->console->store, id);
  set_cookie (page, SESSION_COOKIE, "", 0);
  srv_page_redirect (page, "/console/login?why=out");
}

/* Static files ------------------------------------------------------------------ */

static gboolean
static_file (SrvRequest *req,
             const char *sub)
{
  static const struct { const char *name, *type; } files[] = {
    { "style.css", "text/css; charset=utf-8" },
    { "console.js", "text/javascript; charset=utf-8" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (files); i++)
    if (g_str_equal (sub, files[i].name))
      {
        g_autofree char *path = g_strconcat (RESOURCE_PATH, files[i].name, NULL);
        g_autoptr(GBytes) bytes = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
        gsize size = 0;
        const char *data = g_bytes_get_data (bytes, &size);

        soup_message_headers_replace (soup_server_message_get_response_headers (req->msg), "Cache-Control",
                                      "max-age=3600");
        soup_message_headers_replace (soup_server_message_get_response_headers (req->msg), "X-Content-Type-Options",
                                      "nosniff");
        srv_reply_text (req, SOUP_STATUS_OK, files[i].type, g_strndup (data, size));
        return TRUE;
      }
  return FALSE;
}

/* Dispatch ------------------------------------------------------------------------ */

typedef struct
{
  const char *path;   /* after /console/; a prefix when it ends in '/' */
  gboolean    write;  /* a POST that changes something */
  SrvPageFunc func;
} SrvPageRoute;

static const SrvPageRoute get_pages[] = {
  { "",             FALSE, srv_console_dashboard },
  { "branches",     FALSE, srv_console_branches },
  { "members",      FALSE, srv_console_members },
  { "members/",     FALSE, srv_console_member },
  { "exceptions",   FALSE, srv_console_exceptions },
  { "exceptions/",  FALSE, srv_console_exception },
  { "master",       FALSE, srv_console_master },
  { "master/",      FALSE, srv_console_master_edit },
  { "audit",        FALSE, srv_console_audit_page },
  { "reports",      FALSE, srv_console_reports },
  { "reports/",     FALSE, srv_console_report },
  { "stock",        FALSE, srv_console_stock },
  { "sms",          FALSE, srv_console_sms },
  { "oplog",        FALSE, srv_console_oplog },
  { NULL }
};

static const SrvPageRoute post_pages[] = {
  { "logout",            FALSE, logout_post },
  { "branches/",         TRUE,  srv_console_branch_post },
  { "exceptions/",       TRUE,  srv_console_write_off },
  { "master/",           TRUE,  srv_console_master_post },
  { "sms/preview",       FALSE, srv_console_sms_preview },
  { "sms/send",          TRUE,  srv_console_sms_send },
  { "members/",          TRUE,  srv_console_message_reply },
  { NULL }
};

static const SrvPageRoute *
find_page (const SrvPageRoute *table,
           const char         *sub)
{
  for (const SrvPageRoute *r = table; r->path; r++)
    {
      gsize len = strlen (r->path);

      if (len > 0 && r->path[len - 1] == '/' ? g_str_has_prefix (sub, r->path) && sub[len] != '\0'
                                             : g_str_equal (sub, r->path))
        return r;
    }
  return NULL;
}

static void
dispatch (SrvRequest *req,
          gboolean    post)
{
  SrvPage page = { .req = req, .console = srv_server_console (req->srv) };
  g_autoptr(SrvConsoleUser) user = NULL;
  g_autoptr(GHashTable) form = NULL;
  g_autofree char *sid = NULL;
  const SrvPageRoute *route;

  page.sub = req->path + strlen ("/console/");
  if (post)
    {
      gsize size = 0;
      const char *data = req->raw_body ? g_bytes_get_data (req->raw_body, &size) : NULL;
      g_autofree char *text = data ? g_strndup (data, size) : g_strdup ("");

      form = soup_form_decode (text);
      page.form = form;
    }

  if (!post && static_file (req, page.sub))
    return;
  if (g_str_equal (page.sub, "login"))
    {
      if (post)
        login_post (&page);
      else
        login_get (&page);
      return;
    }

  route = find_page (post ? post_pages : get_pages, page.sub);
  sid = cookie_dup (&page, SESSION_COOKIE);
  user = sid ? srv_console_session_get (page.console->store, sid, page.console->idle) : NULL;
  if (user == NULL)
    {
      if (sid)
        set_cookie (&page, SESSION_COOKIE, "", 0);
      if (post)
        srv_page_error (&page, SOUP_STATUS_FORBIDDEN, _("Your session has ended; log in again"));
      else
        srv_page_redirect (&page, sid ? "/console/login?why=expired" : "/console/login");
      return;
    }
  page.user = user;
  if (route == NULL)
    {
      srv_page_error (&page, SOUP_STATUS_NOT_FOUND, _("There is no such page"));
      return;
    }
  if (post)
    {
      /* Every form carries the session's CSRF token. */
      if (!same_token (user->csrf, srv_page_arg (&page, "csrf_token")))
        {
          srv_page_audit (&page, "csrf", page.sub, FALSE, NULL, NULL);
          srv_page_error (&page, SOUP_STATUS_FORBIDDEN,
                          _("This form is not from this session (its security token is missing or old); "
                            "open the page again"));
          return;
        }
      if (route->write && !srv_page_may_write (&page))
        {
          srv_page_audit (&page, "refused", page.sub, FALSE, "read-only role", NULL);
          srv_page_error (&page, SOUP_STATUS_FORBIDDEN, _("Your account may look but not change anything"));
          return;
        }
    }
  route->func (&page);
}

static void
console_get (SrvRequest *req)
{
  dispatch (req, FALSE);
}

static void
console_post (SrvRequest *req)
{
  dispatch (req, TRUE);
}

static void
to_console (SrvRequest *req)
{
  if (!g_str_equal (req->path, "/") && !g_str_equal (req->path, "/console"))
    {
      srv_reply_error (req, SOUP_STATUS_NOT_FOUND, "not_found", _("No such resource"));
      return;
    }
  soup_message_headers_replace (soup_server_message_get_response_headers (req->msg), "Location", "/console/");
  srv_reply_text (req, SOUP_STATUS_SEE_OTHER, "text/plain; charset=utf-8", g_strdup (""));
}

const SrvRoute srv_console_routes[] = {
  { "GET",  "/",          SRV_AUTH_NONE, to_console },
  { "GET",  "/console",   SRV_AUTH_NONE, to_console },
  { "GET",  "/console/",  SRV_AUTH_NONE, console_get },
  { "POST", "/console/",  SRV_AUTH_NONE, console_post, SRV_ROUTE_RAW_BODY },
  { NULL }
};
