/* srv-console-pages.c: the console's pages that read the chain and the
 * writes they offer: overview (概览), branches (门店), members (会员),
 * exceptions (异常), the audit log (日志), and the places of the pages
 * still to come (报表, 库存, 短信). Master data is srv-console-master.c. */
#define G_LOG_DOMAIN "srv-console"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-money.h"
#include "mdn-roles.h"
#include "srv-console-private.h"

#define TREND_DAYS 30

/* Overview ------------------------------------------------------------------------ */

typedef struct
{
  MdnFigures flows;
  gint64     principal;
  gint64     bonus;
} Totals;

/* The summary of [from, to] limited to the page's branches (and @only if
 * given): the total into @total, the rows kept into @rows. */
static gboolean
summary_for (SrvPage    *page,
             const char *from,
             const char *to,
             const char *only,
             Totals     *total,
             GPtrArray **rows,
             GError    **error)
{
  g_autoptr(SrvSummary) s = srv_store_summary (page->console->store, from, to, only, error);

  memset (total, 0, sizeof *total);
  if (s == NULL)
    return FALSE;
  if (rows)
    *rows = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < s->branches->len; i++)
    {
      SrvSummaryRow *r = g_ptr_array_index (s->branches, i);

      if (!srv_page_sees_branch (page, r->branch))
        continue;
      mdn_figures_add (&total->flows, &r->flows);
      total->principal += r->principal;
      total->bonus += r->bonus;
      if (rows)
        {
          /* a copy whose code is interned: the rows are freed with g_free */
          SrvSummaryRow *copy = g_new0 (SrvSummaryRow, 1);

          *copy = *r;
          copy->branch = (char *) g_intern_string (r->branch);
          g_ptr_array_add (*rows, copy);
        }
    }
  return TRUE;
}

static char *
date_add (const char *ymd,
          int         days)
{
  GDate d;

  g_date_clear (&d, 1);
  g_date_set_parse (&d, ymd);
  if (!g_date_valid (&d))
    return g_strdup (ymd);
  if (days >= 0)
    g_date_add_days (&d, (guint) days);
  else
    g_date_subtract_days (&d, (guint) -days);
  return g_strdup_printf ("%04d-%02d-%02d", g_date_get_year (&d), g_date_get_month (&d), g_date_get_day (&d));
}

static char *
week_start (const char *ymd)
{
  GDate d;

  g_date_clear (&d, 1);
  g_date_set_parse (&d, ymd);
  if (!g_date_valid (&d))
    return g_strdup (ymd);
  return date_add (ymd, -(int) (g_date_get_weekday (&d) - G_DATE_MONDAY));
}

static void
figure_card (SrvHtml      *h,
             const char   *title,
             const char   *from,
             const char   *to,
             const Totals *t)
{
  srv_html_append (h,
                   "<section class=\"card\"><h3>%s</h3><p class=\"period\">%s – %s</p><dl>"
                   "<dt>%s</dt><dd class=\"big\">¥%M</dd>"
                   "<dt>%s</dt><dd>¥%M <small>%s ¥%M</small></dd>"
                   "<dt>%s</dt><dd>¥%M</dd>"
                   "<dt>%s</dt><dd>¥%M</dd>"
                   "<dt>%s</dt><dd>%L</dd>"
                   "<dt>%s</dt><dd>¥%M</dd>"
                   "</dl></section>",
                   title, from, to,
                   _("Sales"), t->flows.sales_fen,
                   _("Deposits (principal)"), t->flows.deposit_principal_fen, _("bonus"), t->flows.deposit_bonus_fen,
                   _("Withdrawals"), t->flows.withdraw_fen,
                   _("Refunds"), t->flows.refund_fen,
                   _("New members"), t->flows.members_issued,
                   _("Stored-value liability"), t->principal + t->bonus);
}

/* A 30-day chart: sales as a line, deposits as bars, drawn here. */
static SrvHtml *
trend_svg (SrvRows    *rows,
           const char *first)
{
  const int W = 900, H = 200, L = 70, R = 16, T = 16, B = 34;
  gint64 sales[TREND_DAYS] = { 0 }, deposits[TREND_DAYS] = { 0 }, max = 0;
  g_autoptr(GString) line = g_string_new (NULL);
  SrvHtml *h = srv_html_new ();
  double step = (double) (W - L - R) / TREND_DAYS;

  for (guint i = 0; i < rows->len; i++)
    {
      char **row = g_ptr_array_index (rows, i);

      for (int d = 0; d < TREND_DAYS; d++)
        {
          g_autofree char *day = date_add (first, d);

          if (g_str_equal (day, row[0]))
            {
              sales[d] = g_ascii_strtoll (row[1], NULL, 10);
              deposits[d] = g_ascii_strtoll (row[2], NULL, 10);
            }
        }
    }
  for (int d = 0; d < TREND_DAYS; d++)
    max = MAX (max, MAX (sales[d], deposits[d]));
  if (max <= 0)
    max = 10000;
  srv_html_append (h,
                   "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"%s\" "
                   "xmlns=\"http://www.w3.org/2000/svg\">",
                   W, H, _("Sales and deposits of the last 30 days"));
  for (int g = 0; g <= 4; g++)
    {
      int y = T + (H - T - B) * g / 4;
      gint64 v = max - max * g / 4;
      g_autofree char *label = mdn_money_format (v - v % 100);

      srv_html_append (h, "<line class=\"grid\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", L, y, W - R, y);
      srv_html_append (h, "<text class=\"axis\" x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>", L - 6, y + 4,
                       label);
    }
  for (int d = 0; d < TREND_DAYS; d++)
    {
      int x = L + (int) (step * d);
      int bh = (int) ((double) deposits[d] / (double) max * (H - T - B));
      double cx = L + step * d + step / 2;
      double cy = T + (H - T - B) - (double) sales[d] / (double) max * (H - T - B);
      g_autofree char *day = date_add (first, d);

      if (deposits[d] > 0)
        srv_html_append (h, "<rect class=\"bar\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\"><title>%s %s ¥%M</title></rect>",
                         x + 2, H - B - bh, MAX (1, (int) step - 4), bh, day, _("Deposits"), deposits[d]);
      g_string_append_printf (line, "%s%.1f,%.1f", d ? " " : "", cx, cy);
      if (d % 5 == 0 || d == TREND_DAYS - 1)
        srv_html_append (h, "<text class=\"axis\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">%s</text>", (int) cx,
                         H - B + 18, day + 5);
    }
  srv_html_append (h, "<polyline class=\"line\" points=\"%s\"/>", line->str);
  for (int d = 0; d < TREND_DAYS; d++)
    if (sales[d] > 0)
      {
        g_autofree char *day = date_add (first, d);
        g_autofree char *cx = g_strdup_printf ("%.1f", L + step * d + step / 2);
        g_autofree char *cy = g_strdup_printf ("%.1f", T + (H - T - B) - (double) sales[d] / (double) max * (H - T - B));

        srv_html_append (h, "<circle class=\"dot\" cx=\"%s\" cy=\"%s\" r=\"3\"><title>%s %s ¥%M</title></circle>", cx,
                         cy, day, _("Sales"), sales[d]);
      }
  srv_html_append (h,
                   "<g class=\"legend\"><rect class=\"bar\" x=\"%d\" y=\"4\" width=\"12\" height=\"10\"/>"
                   "<text x=\"%d\" y=\"13\">%s</text>"
                   "<line class=\"line\" x1=\"%d\" y1=\"9\" x2=\"%d\" y2=\"9\"/><text x=\"%d\" y=\"13\">%s</text></g>",
                   W - 220, W - 204, _("Deposits"), W - 120, W - 100, W - 94, _("Sales"));
  srv_html_append (h, "</svg>");
  return h;
}

static int
compare_sales (gconstpointer a,
               gconstpointer b)
{
  const SrvSummaryRow *ra = *(SrvSummaryRow *const *) a;
  const SrvSummaryRow *rb = *(SrvSummaryRow *const *) b;

  if (ra->flows.sales_fen != rb->flows.sales_fen)
    return ra->flows.sales_fen > rb->flows.sales_fen ? -1 : 1;
  return strcmp (ra->branch, rb->branch);
}

void
srv_console_dashboard (SrvPage *page)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *today = srv_console_today (page->console->store);
  g_autofree char *monday = week_start (today);
  g_autofree char *first = g_strdup (today);
  g_autofree char *trend_from = date_add (today, -(TREND_DAYS - 1));
  const char *only = srv_page_arg (page, "branch");
  const char *period = srv_page_arg (page, "period");
  g_autoptr(GHashTable) vars = srv_vars_new ();
  g_autoptr(GPtrArray) rows = NULL;
  g_autoptr(SrvRows) trend = NULL;
  g_autoptr(GPtrArray) branch_list = NULL;
  Totals t_day, t_week, t_month, t_period;
  const char *pfrom, *plabel;
  SrvHtml *cards = srv_html_new ();
  SrvHtml *ranking = srv_html_new ();
  SrvHtml *filter = srv_html_new ();
  const char *only_list[2] = { NULL, NULL };
  gint64 best = 0;

  if (only && *only == '\0')
    only = NULL;
  if (only && !srv_page_sees_branch (page, only))
    {
      srv_page_audit (page, "refused", only, FALSE, "branch of another region", NULL);
      srv_page_error (page, SOUP_STATUS_FORBIDDEN, _("This branch is not one of yours"));
      return;
    }
  first[8] = '0';
  first[9] = '1';
  if (!summary_for (page, today, today, only, &t_day, NULL, &error) ||
      !summary_for (page, monday, today, only, &t_week, NULL, &error) ||
      !summary_for (page, first, today, only, &t_month, NULL, &error))
    goto fail;
  figure_card (cards, _("Today"), today, today, &t_day);
  figure_card (cards, _("This week"), monday, today, &t_week);
  figure_card (cards, _("This month"), first, today, &t_month);

  if (g_strcmp0 (period, "week") == 0)
    pfrom = monday, plabel = _("This week");
  else if (g_strcmp0 (period, "month") == 0)
    pfrom = first, plabel = _("This month");
  else
    pfrom = today, plabel = _("Today"), period = "day";
  if (!summary_for (page, pfrom, today, NULL, &t_period, &rows, &error))
    goto fail;
  g_ptr_array_sort (rows, compare_sales);
  for (guint i = 0; i < rows->len; i++)
    best = MAX (best, ((SrvSummaryRow *) g_ptr_array_index (rows, i))->flows.sales_fen);
  srv_html_append (ranking,
                   "<table><thead><tr><th>%s</th><th>%s</th><th class=\"num\">%s</th><th></th>"
                   "<th class=\"num\">%s</th><th class=\"num\">%s</th><th class=\"num\">%s</th>"
                   "<th class=\"num\">%s</th><th class=\"num\">%s</th><th class=\"num\">%s</th></tr></thead><tbody>",
                   _("Rank"), _("Branch"), _("Sales"), _("Deposits (principal)"), _("bonus"), _("Withdrawals"),
                   _("Refunds"), _("New members"), _("Stored-value liability"));
  for (guint i = 0; i < rows->len; i++)
    {
      SrvSummaryRow *r = g_ptr_array_index (rows, i);
      int width = best > 0 ? (int) (r->flows.sales_fen * 100 / best) : 0;

      srv_html_append (ranking,
                       "<tr><td>%d</td><td><a href=\"/console/?branch=%s\">%s</a></td><td class=\"num\">¥%M</td>"
                       "<td class=\"barcell\"><svg viewBox=\"0 0 100 10\" preserveAspectRatio=\"none\" class=\"hbar\">"
                       "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"10\"/></svg></td>"
                       "<td class=\"num\">¥%M</td><td class=\"num\">¥%M</td><td class=\"num\">¥%M</td>"
                       "<td class=\"num\">¥%M</td><td class=\"num\">%L</td><td class=\"num\">¥%M</td></tr>",
                       (int) i + 1, r->branch, r->branch, r->flows.sales_fen, width, r->flows.deposit_principal_fen,
                       r->flows.deposit_bonus_fen, r->flows.withdraw_fen, r->flows.refund_fen,
                       r->flows.members_issued, r->principal + r->bonus);
    }
  srv_html_append (ranking,
                   "</tbody><tfoot><tr><th></th><th>%s</th><th class=\"num\">¥%M</th><th></th><th class=\"num\">¥%M</th>"
                   "<th class=\"num\">¥%M</th><th class=\"num\">¥%M</th><th class=\"num\">¥%M</th>"
                   "<th class=\"num\">%L</th><th class=\"num\">¥%M</th></tr></tfoot></table>",
                   _("Total"), t_period.flows.sales_fen, t_period.flows.deposit_principal_fen,
                   t_period.flows.deposit_bonus_fen, t_period.flows.withdraw_fen, t_period.flows.refund_fen,
                   t_period.flows.members_issued, t_period.principal + t_period.bonus);

  only_list[0] = only;
  trend = srv_console_trend_rows (page->console->store, trend_from, today,
                                  only ? only_list : srv_page_branches (page), &error);
  if (trend == NULL)
    goto fail;

  branch_list = srv_store_branch_list (page->console->store, &error);
  if (branch_list == NULL)
    goto fail;
  srv_html_append (filter, "<form method=\"get\" action=\"/console/\" class=\"filters\"><label>%s <select name=\"branch\">"
                   "<option value=\"\">%s</option>", _("Branch"), _("All my branches"));
  for (guint i = 0; i < branch_list->len; i++)
    {
      SrvBranchInfo *b = g_ptr_array_index (branch_list, i);

      if (!srv_page_sees_branch (page, b->code))
        continue;
      srv_html_append (filter, g_strcmp0 (only, b->code) == 0 ? "<option value=\"%s\" selected>%s %s</option>"
                                                               : "<option value=\"%s\">%s %s</option>",
                       b->code, b->code, b->name);
    }
  srv_html_append (filter, "</select></label><label>%s <select name=\"period\">", _("Ranking of"));
  srv_html_append (filter, g_str_equal (period, "day") ? "<option value=\"day\" selected>%s</option>"
                                                       : "<option value=\"day\">%s</option>", _("Today"));
  srv_html_append (filter, g_str_equal (period, "week") ? "<option value=\"week\" selected>%s</option>"
                                                        : "<option value=\"week\">%s</option>", _("This week"));
  srv_html_append (filter, g_str_equal (period, "month") ? "<option value=\"month\" selected>%s</option>"
                                                         : "<option value=\"month\">%s</option>", _("This month"));
  srv_html_append (filter, "</select></label><button type=\"submit\">%s</button></form>", _("Show"));

  srv_vars_html (vars, "filter", filter);
  srv_vars_html (vars, "cards", cards);
  srv_vars_text (vars, "scope", only ? only : _("The whole chain"));
  srv_vars_html (vars, "chart", trend_svg (trend, trend_from));
  srv_vars_text (vars, "ranking_title", plabel);
  srv_vars_html (vars, "ranking", ranking);
  srv_page_reply (page, "dashboard", _("Overview"), srv_template_render ("dashboard", vars));
  return;

fail:
  srv_html_free (cards);
  srv_html_free (ranking);
  srv_html_free (filter);
  srv_page_error (page, SOUP_STATUS_BAD_REQUEST, error->message);
}

/* Branches ------------------------------------------------------------------------ */

static void
branches_page (SrvPage    *page,
               const char *token_for,
               const char *token)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = srv_store_branch_list (page->console->store, &error);
  g_autoptr(GHashTable) vars = srv_vars_new ();
  SrvHtml *table, *shown = srv_html_new ();
  gboolean admin = g_str_equal (page->user->role, "hq-admin");
  g_autoptr(SrvRows) versions = srv_console_branch_versions (page->console->store, NULL);
  g_autoptr(GHashTable) version_of = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; versions && i < versions->len; i++)
    {
      char **v = g_ptr_array_index (versions, i);

      g_hash_table_insert (version_of, v[0], v);
    }
  if (list == NULL)
    {
      srv_html_free (shown);
      srv_page_error (page, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  table = srv_html_new ();
  srv_html_append (table,
                   "<table><thead><tr><th>%s</th><th>%s</th><th class=\"num\">%s</th><th>%s</th><th>%s</th>"
                   "<th class=\"num\">%s</th><th class=\"num\">%s</th><th>%s</th><th>%s</th><th></th></tr></thead><tbody>",
                   _("Code"), _("Label"), _("Number"), _("State"), _("Last push"), _("Entries held"),
                   _("Feed read to"), _("Online now"), _("Version"));
  for (guint i = 0; i < list->len; i++)
    {
      SrvBranchInfo *b = g_ptr_array_index (list, i);
      g_autoptr(SrvHtml) actions = srv_html_new ();
      const char *agent = NULL;
      gint64 seen = srv_server_feed_seen (page->console->srv, b->code, &agent);
      guint online = srv_server_online (page->console->srv, b->code);
      g_autoptr(SrvHtml) feed = srv_html_new ();
      g_autofree char *pushed = b->last_push_at ? srv_page_time (page, b->last_push_at) : g_strdup (_("never"));

      if (!srv_page_sees_branch (page, b->code))
        continue;
      char **v = g_hash_table_lookup (version_of, b->code);
      g_autoptr(SrvHtml) version = srv_html_new ();

      if (v)
        {
          g_autofree char *at = srv_page_time (page, v[2]);

          srv_html_append (version, "<span class=\"version\">%s</span><br><small>%s</small>", v[1], at);
        }
      else
        srv_html_append (version, "—");
      if (agent)
        srv_html_append (version, "<br><small>%s</small>", agent);
      if (seen >= 0)
        srv_html_append (feed, "%L", seen);
      else
        srv_html_append (feed, "—");
      if (admin)
        {
          g_autoptr(SrvHtml) c1 = srv_page_csrf_input (page);
          g_autoptr(SrvHtml) c2 = srv_page_csrf_input (page);

          srv_html_append (actions,
                           "<details class=\"actions\"><summary>%s</summary>"
                           "<form method=\"post\" action=\"/console/branches/rotate\">%H"
                           "<input type=\"hidden\" name=\"code\" value=\"%s\">"
                           "<button type=\"submit\">%s</button></form>",
                           _("Token…"), c1, b->code, _("Rotate the token (the old one stops working)"));
          if (!b->revoked)
            srv_html_append (actions,
                             "<form method=\"post\" action=\"/console/branches/revoke\">%H"
                             "<input type=\"hidden\" name=\"code\" value=\"%s\">"
                             "<button type=\"submit\" class=\"danger\">%s</button></form>",
                             c2, b->code, _("Revoke (the branch can no longer sync)"));
          srv_html_append (actions, "</details>");
        }
      srv_html_append (table,
                       "<tr><td>%s</td><td>%s%s</td><td class=\"num\">%L</td><td>%s</td><td>%s</td>"
                       "<td class=\"num\">%L</td><td class=\"num\">%H</td><td>%s</td><td>%H</td><td>%H</td></tr>",
                       b->code, b->name, b->hq ? _(" (head office)") : "", b->number,
                       b->revoked ? _("Revoked") : _("Active"), pushed,
                       b->acked_seq, feed, online > 0 ? _("online") : _("offline"), version, actions);
    }
  srv_html_append (table, "</tbody></table>");
  if (token)
    srv_html_append (shown,
                     "<section class=\"token\" role=\"status\"><h3>%s</h3><p>%s</p><pre class=\"secret\">%s</pre>"
                     "<p><code>mendian-cli --db branch.db link --server URL --token-file FILE</code></p></section>",
                     token_for, _("This token is shown only this once; give it to the branch now."), token);
  srv_vars_html (vars, "token", shown);
  srv_vars_html (vars, "table", table);
  if (admin)
    {
      SrvHtml *form = srv_html_new ();
      g_autoptr(SrvHtml) csrf = srv_page_csrf_input (page);

      srv_html_append (form,
                       "<form method=\"post\" action=\"/console/branches/add\" class=\"grid\">%H"
                       "<label>%s <input name=\"code\" required maxlength=\"16\" pattern=\"[A-Za-z0-9_-]+\" placeholder=\"B03\"></label>"
                       "<label>%s <input name=\"name\" required maxlength=\"64\"></label>"
                       "<label>%s <input name=\"number\" required type=\"number\" min=\"0\" max=\"999\"></label>"
                       "<label class=\"check\"><input type=\"checkbox\" name=\"hq\" value=\"1\"> %s</label>"
                       "<div class=\"buttons\"><button type=\"submit\">%s</button></div></form>",
                       csrf, _("Code"), _("Label"), _("Number (starts its card numbers)"),
                       _("Head-office terminal"), _("Add the branch"));
      srv_vars_html (vars, "add", form);
    }
  else
    srv_vars_html (vars, "add", srv_html_new_text (_("Only a head-office administrator adds branches.")));
  srv_page_reply (page, "branches", _("Branches"), srv_template_render ("branches", vars));
}

void
srv_console_branches (SrvPage *page)
{
  branches_page (page, NULL, NULL);
}

void
srv_console_branch_post (SrvPage *page)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;
  const char *action = page->sub + strlen ("branches/");
  const char *code = srv_page_arg (page, "code");
  g_autofree char *heading = NULL;

  if (!g_str_equal (page->user->role, "hq-admin"))
    {
      srv_page_audit (page, action, code, FALSE, "not hq-admin", NULL);
      srv_page_error (page, SOUP_STATUS_FORBIDDEN, _("Only a head-office administrator manages branches"));
      return;
    }
  if (code == NULL || *code == '\0')
    {
      srv_page_error (page, SOUP_STATUS_BAD_REQUEST, _("Give the branch code"));
      return;
    }
  if (g_str_equal (action, "add"))
    {
      const char *number = srv_page_arg (page, "number");
      gint64 n = -1;

      if (number == NULL || !g_ascii_string_to_signed (number, 10, 0, 999, &n, NULL))
        n = -1;
      token = srv_store_branch_add (page->console->store, code, srv_page_arg (page, "name"), n,
                                    g_strcmp0 (srv_page_arg (page, "hq"), "1") == 0, &error);
      heading = g_strdup_printf (_("The token of new branch %s"), code);
    }
  else if (g_str_equal (action, "rotate"))
    {
      token = srv_store_branch_rotate (page->console->store, code, &error);
      heading = g_strdup_printf (_("The new token of branch %s"), code);
    }
  else if (g_str_equal (action, "revoke"))
    {
      gboolean ok = srv_store_branch_revoke (page->console->store, code, &error);
      g_autofree char *done = NULL, *location = NULL;
      g_autofree char *escaped = NULL;

      srv_page_audit (page, "branch.revoke", code, ok, ok ? NULL : error->message, NULL);
      if (!ok)
        {
          srv_page_error (page, srv_error_status (error), error->message);
          return;
        }
      done = g_strdup_printf (_("Branch %s is revoked: it can no longer sync"), code);
      escaped = g_uri_escape_string (done, NULL, FALSE);
      location = g_strconcat ("/console/branches?done=", escaped, NULL);
      srv_page_redirect (page, location);
      return;
    }
  else
    {
      srv_page_error (page, SOUP_STATUS_NOT_FOUND, _("There is no such page"));
      return;
    }
  {
    g_autofree char *what = g_strconcat ("branch.", action, NULL);

    srv_page_audit (page, what, code, token != NULL, token ? NULL : error->message, NULL);
  }
  if (token == NULL)
    {
      srv_page_error (page, srv_error_status (error), error->message);
      return;
    }
  branches_page (page, heading, token);
}

/* Members ------------------------------------------------------------------------- */

static const char *
status_label (const char *status)
{
  if (g_strcmp0 (status, "lost") == 0)
    return _("Reported lost");
  if (g_strcmp0 (status, "replaced") == 0)
    return _("Replaced");
  return _("Active");
}

void
srv_console_members (SrvPage *page)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) vars = srv_vars_new ();
  const char *q = srv_page_arg (page, "q");
  SrvHtml *results = srv_html_new ();

  if (q && *q)
    {
      g_autoptr(SrvRows) rows = srv_console_member_rows (page->console->store, q, srv_page_branches (page), 100,
                                                         &error);

      if (rows == NULL)
        {
          srv_html_free (results);
          srv_page_error (page, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
          return;
        }
      if (rows->len == 0)
        srv_html_append (results, "<p class=\"empty\">%s</p>", _("No member matches."));
      else
        {
          srv_html_append (results,
                           "<table><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
                           "<th class=\"num\">%s</th><th class=\"num\">%s</th><th>%s</th></tr></thead><tbody>",
                           _("Card"), _("Name"), _("Phone"), _("Level"), _("State"), _("Balance"), _("Points"),
                           _("Issued at"));
          for (guint i = 0; i < rows->len; i++)
            {
              char **r = g_ptr_array_index (rows, i);

              srv_html_append (results,
                               "<tr><td><a href=\"/console/members/%s\">%s</a></td><td>%s</td><td>%s</td><td>%s</td>"
                               "<td>%s</td><td class=\"num\">¥%M</td><td class=\"num\">%s</td><td>%s</td></tr>",
                               r[0], r[1], r[2], r[3], r[4], status_label (r[5]),
                               g_ascii_strtoll (r[6], NULL, 10) + g_ascii_strtoll (r[7], NULL, 10), r[8], r[9]);
            }
          srv_html_append (results, "</tbody></table>");
        }
    }
  srv_vars_text (vars, "q", q ? q : "");
  srv_vars_html (vars, "results", results);
  srv_page_reply (page, "members", _("Members"), srv_template_render ("members", vars));
}

static const char *
kind_label (const char *kind)
{
  static const struct { const char *kind, *label; } kinds[] = {
    { "member.issue", N_("Card issued") },
    { "member.deposit", N_("Deposit") },
    { "member.withdraw", N_("Withdrawal") },
    { "member.replace", N_("Card replaced") },
    { "member.extend", N_("Validity extended") },
    { "member.lose", N_("Reported lost") },
    { "member.unlock", N_("Unlocked") },
    { "member.upgrade", N_("Level changed") },
    { "member.set_pin", N_("PIN set") },
    { "sale", N_("Sale") },
    { "sale.quick", N_("Quick sale") },
    { "sale.return", N_("Return") },
    { "package.consume", N_("Package use") },
    { "timed.start", N_("Timed start") },
    { "timed.stop", N_("Timed charge") },
    { "timed.prepay", N_("Prepaid time") },
    { "timed.extend", N_("More prepaid time") },
    { "points.redeem", N_("Points redeemed") },
    { "points.adjust", N_("Points adjusted") },
    { "exception.write_off", N_("Written off") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_str_equal (kinds[i].kind, kind))
      return _(kinds[i].label);
  return kind;
}

/* What an exception is, in words. */
static char *
exception_what (SrvException *x)
{
  g_autofree char *money = mdn_money_format (x->amount);
  g_autofree char *count = g_strdup_printf ("%" G_GINT64_FORMAT, x->amount);

  if (g_strcmp0 (x->kind, "over_refund") == 0)
    return g_strdup_printf (_("Refunded ¥%s beyond the sale"), money);
  if (g_strcmp0 (x->kind, "card_conflict") == 0)
    return g_strdup (_("Card operations in conflict"));
  if (g_strcmp0 (x->account, "points") == 0)
    return g_strdup_printf (_("Points overdrawn by %s"), count);
  if (g_strcmp0 (x->account, "package") == 0)
    return g_strdup_printf (_("Uses of %s overdrawn by %s"), x->item ? x->item : "", count);
  return g_strdup_printf (_("Stored value overdrawn by ¥%s"), money);
}

static void
exception_rows (SrvPage    *page,
                SrvHtml    *h,
                GPtrArray  *list,
                const char *member_id,
                gboolean    with_member)
{
  guint shown = 0;

  srv_html_append (h,
                   "<table><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
                   "<th>%s</th><th>%s</th><th></th></tr></thead><tbody>",
                   _("No."), _("Found"), _("Branch"), _("Card"), _("What"), _("State"), _("Settled by"));
  for (guint i = 0; i < list->len; i++)
    {
      SrvException *x = g_ptr_array_index (list, i);
      g_autoptr(SrvHtml) link = srv_html_new ();
      g_autoptr(SrvHtml) card = srv_html_new ();
      g_autofree char *what = exception_what (x);
      g_autofree char *found = srv_page_time (page, x->found_at);

      if (member_id && g_strcmp0 (x->member_id, member_id) != 0)
        continue;
      if (!srv_page_sees_branch (page, x->branch))
        continue;
      if (g_strcmp0 (x->status, "open") == 0 && srv_page_may_write (page))
        srv_html_append (link, "<a class=\"button\" href=\"/console/exceptions/%L\">%s</a>", x->id, _("Write off…"));
      if (with_member && x->member_id)
        srv_html_append (card, "<a href=\"/console/members/%s\">%s</a>", x->member_id, x->card_no ? x->card_no : "");
      else
        srv_html_text (card, x->card_no ? x->card_no : x->sale_receipt_no);
      srv_html_append (h,
                       "<tr><td>%L</td><td>%s</td><td>%s</td><td>%H</td><td>%s</td>"
                       "<td>%s</td><td>%s</td><td>%H</td></tr>",
                       x->id, found, x->branch, card, what,
                       g_strcmp0 (x->status, "open") == 0 ? _("Open") : g_strcmp0 (x->status, "settled") == 0
                                                                            ? _("Settled") : _("Noted"),
                       x->settled_by_kind ? kind_label (x->settled_by_kind) : "", link);
      shown++;
    }
  srv_html_append (h, "</tbody></table>");
  if (shown == 0)
    srv_html_append (h, "<p class=\"empty\">%s</p>", _("None."));
}

static gboolean message_threads (SrvPage *page, const char *member_id, SrvHtml *h, GError **error);

void
srv_console_member (SrvPage *page)
{
  g_autoptr(GError) error = NULL;
  const char *id = page->sub + strlen ("members/");
  g_autoptr(SrvRows) rows = NULL, packages = NULL, history = NULL;
  g_autoptr(GPtrArray) exceptions = NULL;
  g_autoptr(GHashTable) vars = srv_vars_new ();
  SrvHtml *info, *pk, *hist, *exc;
  g_autofree char *issued = NULL;
  gboolean on_hold = FALSE;
  char **m;

  rows = srv_console_member_row (page->console->store, id, &error);
  if (rows == NULL)
    {
      srv_page_error (page, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  if (rows->len == 0)
    {
      srv_page_error (page, SOUP_STATUS_NOT_FOUND, _("There is no such member"));
      return;
    }
  m = g_ptr_array_index (rows, 0);
  if (!srv_page_sees_branch (page, m[9]))
    {
      srv_page_audit (page, "refused", m[9], FALSE, "member of another region", NULL);
      srv_page_error (page, SOUP_STATUS_FORBIDDEN, _("This member belongs to a branch that is not one of yours"));
      return;
    }
  packages = srv_console_package_rows (page->console->store, id, &error);
  history = packages ? srv_console_history_rows (page->console->store, id, 200, &error) : NULL;
  exceptions = history ? srv_store_exceptions (page->console->store, NULL, &error) : NULL;
  if (exceptions == NULL)
    {
      srv_page_error (page, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  for (guint i = 0; i < exceptions->len; i++)
    {
      SrvException *x = g_ptr_array_index (exceptions, i);

      if (g_strcmp0 (x->member_id, id) == 0 && g_strcmp0 (x->status, "open") == 0)
        on_hold = TRUE;
    }

  issued = srv_page_time (page, m[11]);
  info = srv_html_new ();
  srv_html_append (info,
                   "<dl class=\"facts\"><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>%s</dd>"
                   "<dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd class=\"big\">¥%M</dd>"
                   "<dt>%s</dt><dd>¥%M</dd><dt>%s</dt><dd>¥%M</dd><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>%s %s</dd>"
                   "<dt>%s</dt><dd>%s</dd></dl>",
                   _("Card"), m[1], _("Phone"), m[3], _("Level"), m[4], _("Birthday"), *m[12] ? m[12] : "—",
                   _("State"), status_label (m[5]),
                   _("Balance"), g_ascii_strtoll (m[6], NULL, 10) + g_ascii_strtoll (m[7], NULL, 10),
                   _("of it principal"), g_ascii_strtoll (m[6], NULL, 10), _("bonus"), g_ascii_strtoll (m[7], NULL, 10),
                   _("Points"), m[8], _("Issued"), m[9], issued, _("Valid until"), *m[10] ? m[10] : _("no end"));
  if (on_hold)
    srv_html_append (info, "<p class=\"hold\" role=\"alert\">%s</p>",
                     _("On hold at every branch until its exception is settled"));

  pk = srv_html_new ();
  if (packages->len == 0)
    srv_html_append (pk, "<p class=\"empty\">%s</p>", _("None."));
  else
    {
      srv_html_append (pk, "<table><thead><tr><th>%s</th><th>%s</th><th class=\"num\">%s</th></tr></thead><tbody>",
                       _("Service"), _("Valid until"), _("Uses left"));
      for (guint i = 0; i < packages->len; i++)
        {
          char **p = g_ptr_array_index (packages, i);

          srv_html_append (pk, "<tr><td>%s</td><td>%s</td><td class=\"num\">%s</td></tr>", p[1],
                           *p[3] ? p[3] : _("no end"), p[4]);
        }
      srv_html_append (pk, "</tbody></table>");
    }

  hist = srv_html_new ();
  srv_html_append (hist,
                   "<table><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th class=\"num\">%s</th>"
                   "<th class=\"num\">%s</th><th class=\"num\">%s</th></tr></thead><tbody>",
                   _("Time"), _("Branch"), _("What"), _("Staff"), _("Principal"), _("Bonus"), _("Points"));
  for (guint i = 0; i < history->len; i++)
    {
      char **e = g_ptr_array_index (history, i);
      g_autofree char *at = srv_page_time (page, e[4]);

      srv_html_append (hist,
                       "<tr><td>%s</td><td>%s #%s</td><td>%s</td><td>%s</td><td class=\"num\">%M</td>"
                       "<td class=\"num\">%M</td><td class=\"num\">%s</td></tr>",
                       at, e[1], e[2], kind_label (e[3]), e[6], g_ascii_strtoll (e[7], NULL, 10),
                       g_ascii_strtoll (e[8], NULL, 10), e[9]);
    }
  srv_html_append (hist, "</tbody></table>");

  exc = srv_html_new ();
  exception_rows (page, exc, exceptions, id, FALSE);

  srv_vars_text (vars, "name", m[2]);
  srv_vars_html (vars, "info", info);
  srv_vars_html (vars, "packages", pk);
  srv_vars_html (vars, "history", hist);
  srv_vars_html (vars, "exceptions", exc);
  {
    SrvHtml *msgs = srv_html_new ();

    if (!message_threads (page, id, msgs, &error))
      {
        srv_html_free (msgs);
        srv_page_error (page, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
        return;
      }
    srv_vars_html (vars, "messages", msgs);
  }
  srv_page_reply (page, "members", m[2], srv_template_render ("member", vars));
}

/* The member's messages (会员留言, message.add at any branch) each with its
 * replies; under each, a reply form for those who may write. */
static gboolean
message_threads (SrvPage    *page,
                 const char *member_id,
                 SrvHtml    *h,
                 GError    **error)
{
  g_autoptr(SrvRows) messages = srv_console_message_rows (page->console->store, member_id, error);
  g_autoptr(SrvRows) replies = messages ? srv_console_reply_rows (page->console->store, member_id, error) : NULL;

  if (replies == NULL)
    return FALSE;
  if (messages->len == 0)
    {
      srv_html_append (h, "<p class=\"empty\">%s</p>", _("None."));
      return TRUE;
    }
  for (guint i = 0; i < messages->len; i++)
    {
      char **msg = g_ptr_array_index (messages, i);
      g_autofree char *at = srv_page_time (page, msg[2]);
      guint n = 0;

      srv_html_append (h,
                       "<article class=\"thread\" id=\"m-%s\"><p class=\"said\"><strong>%s</strong> "
                       "<small>%s · %s · %s</small></p><p class=\"text\">%s</p>",
                       msg[0], _("Member's message"), msg[1], msg[3], at, msg[4]);
      for (guint j = 0; j < replies->len; j++)
        {
          char **r = g_ptr_array_index (replies, j);
          g_autofree char *rat = NULL;

          if (!g_str_equal (r[0], msg[0]))
            continue;
          rat = srv_page_time (page, r[3]);
          srv_html_append (h, "<blockquote class=\"reply\"><p><strong>%s</strong> <small>%s · %s · %s</small></p>"
                              "<p class=\"text\">%s</p></blockquote>",
                           _("Reply"), r[2], r[4], rat, r[5]);
          n++;
        }
      if (n == 0)
        srv_html_append (h, "<p class=\"hint\">%s</p>", _("Not answered yet."));
      if (srv_page_may_write (page))
        {
          g_autoptr(SrvHtml) csrf = srv_page_csrf_input (page);

          srv_html_append (h,
                           "<form method=\"post\" action=\"/console/members/%s/reply\" class=\"filters\">%H"
                           "<input type=\"hidden\" name=\"message_id\" value=\"%s\">"
                           "<label class=\"wide\">%s <textarea name=\"text\" rows=\"2\" maxlength=\"500\" required>"
                           "</textarea></label><button type=\"submit\">%s</button></form>",
                           member_id, csrf, msg[0], _("Head office's reply (every branch sees it)"), _("Reply"));
        }
      srv_html_append (h, "</article>");
    }
  return TRUE;
}

/* POST /console/members/ID/reply {message_id, text}: message.reply at the
 * console's HQ terminal, a shared entry that reaches every branch;
 * audited. A region user only for its branches' members. */
void
srv_console_message_reply (SrvPage *page)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) args = NULL, result = NULL;
  g_autofree char *id = NULL, *branch = NULL, *location = NULL, *escaped = NULL;
  const char *rest = page->sub + strlen ("members/");
  const char *slash = strchr (rest, '/');
  const char *message_id = srv_page_arg (page, "message_id");
  const char *text = srv_page_arg (page, "text");

  if (slash == NULL || !g_str_equal (slash, "/reply"))
    {
      srv_page_error (page, SOUP_STATUS_NOT_FOUND, _("There is no such page"));
      return;
    }
  id = g_strndup (rest, slash - rest);
  branch = srv_console_member_branch (page->console->store, id);
  if (branch == NULL)
    {
      srv_page_error (page, SOUP_STATUS_NOT_FOUND, _("There is no such member"));
      return;
    }
  if (!srv_page_sees_branch (page, branch))
    {
      srv_page_audit (page, "refused", branch, FALSE, "member of another region", NULL);
      srv_page_error (page, SOUP_STATUS_FORBIDDEN, _("This member belongs to a branch that is not one of yours"));
      return;
    }
  args = json_object_new ();
  json_object_set_string_member (args, "message_id", message_id ? message_id : "");
  json_object_set_string_member (args, "text", text ? text : "");
  result = srv_console_run_hq (page, "message.reply", args, &error);
  srv_page_audit (page, "message.reply", message_id, result != NULL, result ? NULL : error->message,
                  result ? json_object_get_string_member_with_default (result, "entry_id", NULL) : NULL);
  if (result == NULL)
    {
      srv_page_error (page, srv_error_status (error), error->message);
      return;
    }
  escaped = g_uri_escape_string (_("The reply is written; every branch receives it at its next sync"), NULL, FALSE);
  location = g_strconcat ("/console/members/", id, "?done=", escaped, NULL);
  srv_page_redirect (page, location);
}

/* Exceptions ---------------------------------------------------------------------- */

void
srv_console_exceptions (SrvPage *page)
{
  g_autoptr(GError) error = NULL;
  const char *which = srv_page_arg (page, "status");
  g_autoptr(GPtrArray) list = NULL;
  g_autoptr(GHashTable) vars = srv_vars_new ();
  SrvHtml *table;

  if (which == NULL || (!g_str_equal (which, "settled") && !g_str_equal (which, "noted") && !g_str_equal (which, "all")))
    which = "open";
  list = srv_store_exceptions (page->console->store, g_str_equal (which, "all") ? NULL : which, &error);
  if (list == NULL)
    {
      srv_page_error (page, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  table = srv_html_new ();
  exception_rows (page, table, list, NULL, TRUE);
  srv_vars_html (vars, "table", table);
  srv_vars_text (vars, "status", which);
  srv_page_reply (page, "exceptions", _("Exceptions"), srv_template_render ("exceptions", vars));
}

static SrvException *
find_exception (SrvPage    *page,
                GPtrArray  *list,
                const char *id_text)
{
  gint64 id = 0;

  if (!g_ascii_string_to_signed (id_text, 10, 1, G_MAXINT64, &id, NULL))
    return NULL;
  for (guint i = 0; i < list->len; i++)
    {
      SrvException *x = g_ptr_array_index (list, i);

      if (x->id == id)
        return x;
    }
  return NULL;
}

/* What the member owes in stored value now (the server's figure). */
static gint64
owed_fen (SrvPage      *page,
          SrvException *x)
{
  g_autoptr(SrvRows) rows = x->member_id ? srv_console_member_row (page->console->store, x->member_id, NULL) : NULL;
  gint64 balance;

  if (rows == NULL || rows->len == 0)
    return 0;
  balance = g_ascii_strtoll (((char **) g_ptr_array_index (rows, 0))[6], NULL, 10) +
            g_ascii_strtoll (((char **) g_ptr_array_index (rows, 0))[7], NULL, 10);
  return balance < 0 ? -balance : 0;
}

void
srv_console_exception (SrvPage *page)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = srv_store_exceptions (page->console->store, NULL, &error);
  g_autoptr(GHashTable) vars = srv_vars_new ();
  g_autoptr(SrvHtml) csrf = NULL;
  SrvException *x;
  SrvHtml *facts, *form;
  g_autofree char *what = NULL, *found = NULL;
  gint64 owed;

  if (list == NULL)
    {
      srv_page_error (page, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  x = find_exception (page, list, page->sub + strlen ("exceptions/"));
  if (x == NULL)
    {
      srv_page_error (page, SOUP_STATUS_NOT_FOUND, _("There is no such exception"));
      return;
    }
  if (!srv_page_sees_branch (page, x->branch))
    {
      srv_page_audit (page, "refused", x->branch, FALSE, "exception of another region", NULL);
      srv_page_error (page, SOUP_STATUS_FORBIDDEN, _("This exception belongs to a branch that is not one of yours"));
      return;
    }
  owed = owed_fen (page, x);
  what = exception_what (x);
  found = srv_page_time (page, x->found_at);
  facts = srv_html_new ();
  srv_html_append (facts,
                   "<dl class=\"facts\"><dt>%s</dt><dd>%L</dd><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>%s</dd>"
                   "<dt>%s</dt><dd>%s</dd><dt>%s</dt><dd>%s</dd><dt>%s</dt><dd class=\"big\">¥%M</dd></dl>",
                   _("No."), x->id, _("Found"), found, _("Branch"), x->branch, _("Card"),
                   x->card_no ? x->card_no : (x->sale_receipt_no ? x->sale_receipt_no : ""), _("What"), what,
                   _("Owed in stored value now"), owed);
  form = srv_html_new ();
  csrf = srv_page_csrf_input (page);
  if (g_strcmp0 (x->status, "open") != 0)
    srv_html_append (form, "<p class=\"notice\">%s</p>", _("This exception is no longer open."));
  else
    srv_html_append (form,
                     "<form method=\"post\" action=\"/console/exceptions/%L\" class=\"confirm\" data-confirm=\"%s\">%H"
                     "<input type=\"hidden\" name=\"amount_fen\" value=\"%L\">"
                     "<label>%s <input name=\"reason\" required maxlength=\"200\" size=\"60\"></label>"
                     "<label class=\"check\"><input type=\"checkbox\" name=\"confirm\" value=\"yes\" required> %s</label>"
                     "<button type=\"submit\" class=\"danger\">%s</button> <a href=\"/console/exceptions\">%s</a></form>",
                     x->id, _("Write this exception off?"), csrf, owed, _("Reason (kept in the ledger)"),
                     _("I confirm: the owed amount above is written off, and the card's hold is lifted at every "
                       "branch at its next sync"),
                     _("Write off"), _("Cancel"));
  srv_vars_html (vars, "facts", facts);
  srv_vars_html (vars, "form", form);
  srv_page_reply (page, "exceptions", _("Write off an exception"), srv_template_render ("write-off", vars));
}

void
srv_console_write_off (SrvPage *page)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = srv_store_exceptions (page->console->store, NULL, &error);
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) result = NULL;
  g_autofree char *target = NULL, *done = NULL, *escaped = NULL, *location = NULL;
  const char *reason = srv_page_arg (page, "reason");
  const char *amount = srv_page_arg (page, "amount_fen");
  SrvException *x;
  gint64 fen = 0;

  if (list == NULL)
    {
      srv_page_error (page, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  x = find_exception (page, list, page->sub + strlen ("exceptions/"));
  if (x == NULL)
    {
      srv_page_error (page, SOUP_STATUS_NOT_FOUND, _("There is no such exception"));
      return;
    }
  target = g_strdup_printf ("%" G_GINT64_FORMAT, x->id);
  if (!srv_page_sees_branch (page, x->branch))
    {
      srv_page_audit (page, "exception.write_off", target, FALSE, "exception of another region", NULL);
      srv_page_error (page, SOUP_STATUS_FORBIDDEN, _("This exception belongs to a branch that is not one of yours"));
      return;
    }
  if (g_strcmp0 (srv_page_arg (page, "confirm"), "yes") != 0)
    {
      srv_page_error (page, SOUP_STATUS_BAD_REQUEST, _("Tick the confirmation to write it off"));
      return;
    }
  json_object_set_string_member (args, "reason", reason ? reason : "");
  if (x->sale_entry && x->card_no == NULL)
    json_object_set_string_member (args, "sale", x->sale_entry);
  else
    {
      json_object_set_string_member (args, "card", x->card_no ? x->card_no : "");
      if (amount && g_ascii_string_to_signed (amount, 10, 0, MDN_MONEY_MAX, &fen, NULL) && fen > 0)
        json_object_set_int_member (args, "amount_fen", fen);
    }
  result = srv_console_run_hq (page, "exception.write_off", args, &error);
  srv_page_audit (page, "exception.write_off", target, result != NULL, result ? reason : error->message,
                  result ? json_object_get_string_member_with_default (result, "entry_id", NULL) : NULL);
  if (result == NULL)
    {
      srv_page_error (page, srv_error_status (error), error->message);
      return;
    }
  done = g_strdup_printf (_("Exception %s is written off"), target);
  escaped = g_uri_escape_string (done, NULL, FALSE);
  location = g_strconcat ("/console/exceptions?status=all&done=", escaped, NULL);
  srv_page_redirect (page, location);
}

/* Audit log ----------------------------------------------------------------------- */

static const char *
action_label (const char *action)
{
  static const struct { const char *action, *label; } actions[] = {
    { "login", N_("Logged in") },
    { "logout", N_("Logged out") },
    { "csrf", N_("Form without its security token") },
    { "refused", N_("Refused") },
    { "branch.add", N_("Added a branch") },
    { "branch.rotate", N_("Rotated a branch token") },
    { "branch.revoke", N_("Revoked a branch") },
    { "exception.write_off", N_("Wrote off an exception") },
    { "product.upsert", N_("Saved a product") },
    { "level.upsert", N_("Saved a member level") },
    { "deposit_rule.upsert", N_("Saved a deposit rule") },
    { "plan.upsert", N_("Saved a rate plan") },
    { "settings.set", N_("Saved a chain setting") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (actions); i++)
    if (g_str_equal (actions[i].action, action))
      return _(actions[i].label);
  return action;
}

/* The branches' own operation logs (操作日志, pushed with their entries):
 * the newest 100 rows, of one branch with ?branch=. */
static gboolean
branch_oplog (SrvPage *page,
              SrvHtml *h,
              GError **error)
{
  const char *only = srv_page_arg (page, "branch");
  const char *const *mine = srv_page_branches (page);
  g_autoptr(GPtrArray) rows = NULL;
  guint shown = 0;

  if (only && *only == '\0')
    only = NULL;
  if (only == NULL && mine && mine[0] && !mine[1])
    only = mine[0];
  rows = srv_store_oplog_list (page->console->store, only, NULL, NULL, NULL, NULL, 100, NULL, 0, error);
  if (rows == NULL)
    return FALSE;
  srv_html_append (h,
                   "</section><section><h2>%s</h2><form method=\"get\" action=\"/console/audit\" class=\"filters\">"
                   "<label>%s <input name=\"branch\" value=\"%s\" size=\"8\"></label><button type=\"submit\">%s</button>"
                   "</form><table><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
                   "<th>%s</th></tr></thead><tbody>",
                   _("Operation logs of the branches"), _("Branch"), only ? only : "", _("Show"), _("Time"),
                   _("Branch"), _("Staff"), _("Action"), _("Result"), _("Detail"), _("Entry"));
  for (guint i = 0; i < rows->len; i++)
    {
      SrvOplogRow *r = g_ptr_array_index (rows, i);
      g_autofree char *at = NULL;

      if (!srv_page_sees_branch (page, r->branch))
        continue;
      at = srv_page_time (page, r->at);
      srv_html_append (h,
                       "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td><code>%s</code></td></tr>",
                       at, r->branch, r->staff ? r->staff : "", mdn_op_title (r->op),
                       r->ok ? _("done") : _("refused"), r->detail ? r->detail : "", r->entry_id ? r->entry_id : "");
      shown++;
    }
  srv_html_append (h, "</tbody></table>");
  if (shown == 0)
    srv_html_append (h, "<p class=\"empty\">%s</p>", _("None."));
  return TRUE;
}

void
srv_console_audit_page (SrvPage *page)
{
  g_autoptr(GError) error = NULL;
  const char *p = srv_page_arg (page, "page");
  gint64 n = 1;
  g_autoptr(SrvRows) rows = NULL;
  g_autoptr(GHashTable) vars = srv_vars_new ();
  SrvHtml *table, *pager;

  if (p == NULL || !g_ascii_string_to_signed (p, 10, 1, 100000, &n, NULL))
    n = 1;
  /* a region user sees its own lines; head office every line */
  rows = srv_console_audit_rows (page->console->store,
                                 g_str_equal (page->user->role, "region") ? page->user->name : NULL, 101,
                                 (n - 1) * 100, &error);
  if (rows == NULL)
    {
      srv_page_error (page, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  table = srv_html_new ();
  srv_html_append (table,
                   "<table><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
                   "<th>%s</th></tr></thead><tbody>",
                   _("Time"), _("User"), _("Action"), _("On"), _("Result"), _("Detail"), _("Entry"));
  for (guint i = 0; i < rows->len && i < 100; i++)
    {
      char **r = g_ptr_array_index (rows, i);
      g_autofree char *at = srv_page_time (page, r[0]);

      srv_html_append (table,
                       "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td><code>%s</code></td></tr>",
                       at, r[1], action_label (r[2]), r[3], g_str_equal (r[4], "1") ? _("done") : _("refused"), r[5], r[6]);
    }
  srv_html_append (table, "</tbody></table>");
  if (!branch_oplog (page, table, &error))
    {
      srv_html_free (table);
      srv_page_error (page, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  pager = srv_html_new ();
  if (n > 1)
    srv_html_append (pager, "<a href=\"/console/audit?page=%L\">%s</a> ", n - 1, _("Newer"));
  if (rows->len > 100)
    srv_html_append (pager, "<a href=\"/console/audit?page=%L\">%s</a>", n + 1, _("Older"));
  srv_vars_html (vars, "table", table);
  srv_vars_html (vars, "pager", pager);
  srv_page_reply (page, "audit", _("Audit log"), srv_template_render ("audit", vars));
}
