/* srv-console-chain.c: the pages that read what every branch pushed: 库存
 * stock (srv_store_stock, srv_store_transfers: the server's stock
 * projection) and 操作日志 the branches' operation logs (srv_oplog). A
 * region user sees its own branches only. */
#define G_LOG_DOMAIN "srv-console"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-money.h"
#include "mdn-roles.h"
#include "mdn-stock.h"
#include "srv-console-private.h"

static const char *
opt_arg (SrvPage    *page,
         const char *name)
{
  const char *v = srv_page_arg (page, name);

  return v && *v ? v : NULL;
}

/* The branch asked for, checked: NULL for every branch the user sees; a
 * region user of one branch always gets it. FALSE (a 403 page sent) for
 * another region's. */
static gboolean
asked_branch (SrvPage     *page,
              const char **out)
{
  const char *only = opt_arg (page, "branch");
  const char *const *mine = srv_page_branches (page);

  if (only == NULL && mine && mine[0] && !mine[1])
    only = mine[0];
  if (only && !srv_page_sees_branch (page, only))
    {
      srv_page_audit (page, "refused", only, FALSE, "another region's branch", NULL);
      srv_page_error (page, SOUP_STATUS_FORBIDDEN, _("This branch is not one of yours"));
      return FALSE;
    }
  *out = only;
  return TRUE;
}

/* 库存 ----------------------------------------------------------------------------- */

static const char *
transfer_status (const char *status)
{
  if (g_strcmp0 (status, "in_transit") == 0)
    return _("In transit");
  if (g_strcmp0 (status, "shortfall") == 0)
    return _("Received short");
  return _("Received");
}

static void
transfer_table (SrvPage   *page,
                SrvHtml   *h,
                GPtrArray *transfers,
                gboolean   short_only)
{
  guint shown = 0;

  srv_html_append (h,
                   "<table><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
                   "<th>%s</th></tr></thead><tbody>",
                   _("Document"), _("From branch"), _("To branch"), _("Sent on"), _("Received on"),
                   _("Lines (sent → received)"),
                   _("State"));
  for (guint i = 0; i < transfers->len; i++)
    {
      MdnTransfer *t = g_ptr_array_index (transfers, i);
      g_autoptr(SrvHtml) lines = srv_html_new ();
      g_autofree char *sent = srv_page_time (page, t->sent_at);
      g_autofree char *received = t->received_at ? srv_page_time (page, t->received_at) : g_strdup ("—");

      if (!srv_page_sees_branch (page, t->from) && !srv_page_sees_branch (page, t->to))
        continue;
      if (short_only && t->shortfall <= 0)
        continue;
      for (guint j = 0; j < t->lines->len; j++)
        {
          MdnTransferLine *l = &g_array_index (t->lines, MdnTransferLine, j);

          if (l->received >= 0)
            srv_html_append (lines, "%s%s %s: %L → %L", j ? "<br>" : "", l->sku, l->name ? l->name : "", l->sent,
                             l->received);
          else
            srv_html_append (lines, "%s%s %s: %L", j ? "<br>" : "", l->sku, l->name ? l->name : "", l->sent);
        }
      srv_html_append (h,
                       "<tr class=\"%s\"><td><code>%s</code></td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%H</td>"
                       "<td>%s</td></tr>",
                       t->shortfall > 0 ? "short" : "", t->doc_no, t->from, t->to, sent, received, lines,
                       transfer_status (t->status));
      shown++;
    }
  srv_html_append (h, "</tbody></table>");
  if (shown == 0)
    srv_html_append (h, "<p class=\"empty\">%s</p>", _("None."));
}

/* Stock that is short: below zero (sold before it was received) or under
 * the product's low mark where the server knows it. */
static gboolean
short_of (const MdnStockRow *r)
{
  return r->on_hand < 0 || (r->has_low && r->on_hand < r->low_stock);
}

static gint
compare_codes (gconstpointer a,
               gconstpointer b)
{
  return g_strcmp0 (*(const char *const *) a, *(const char *const *) b);
}

/* GET /console/stock?sku=&category=&branch=: a product per row, a column
 * per branch (on hand, with what is on its way in), the chain's total;
 * below, the transfers in transit and the shortfalls (transfers received
 * short, and stock under its low mark). */
void
srv_console_stock (SrvPage *page)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) rows = NULL;
  g_autoptr(GPtrArray) moving = NULL, shortfalls = NULL;
  g_autoptr(GHashTable) vars = srv_vars_new ();
  g_autoptr(GPtrArray) branches = g_ptr_array_new ();   /* codes, in order */
  g_autoptr(GPtrArray) skus = g_ptr_array_new ();
  g_autoptr(GHashTable) seen_branch = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) seen_sku = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) cell = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *sku = opt_arg (page, "sku"), *category = opt_arg (page, "category"), *branch = NULL;
  SrvHtml *form, *table, *transit, *shorts;
  guint low = 0;

  if (!asked_branch (page, &branch))
    return;
  rows = srv_store_stock (page->console->store, sku, category, branch, &error);
  moving = rows ? srv_store_transfers (page->console->store, branch, "in_transit", &error) : NULL;
  shortfalls = moving ? srv_store_transfers (page->console->store, branch, "shortfall", &error) : NULL;
  if (shortfalls == NULL)
    {
      srv_page_error (page, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  for (guint i = 0; i < rows->len; i++)
    {
      MdnStockRow *r = &g_array_index (rows, MdnStockRow, i);

      if (!srv_page_sees_branch (page, r->branch))
        continue;
      if (g_hash_table_add (seen_branch, r->branch))
        g_ptr_array_add (branches, r->branch);
      if (g_hash_table_add (seen_sku, r->sku))
        g_ptr_array_add (skus, r);
      g_hash_table_insert (cell, g_strconcat (r->sku, "\n", r->branch, NULL), r);
    }
  g_ptr_array_sort (branches, compare_codes);

  form = srv_html_new ();
  srv_html_append (form,
                   "<form method=\"get\" action=\"/console/stock\" class=\"filters\">"
                   "<label>%s <input name=\"sku\" size=\"10\" value=\"%s\"></label>"
                   "<label>%s <input name=\"category\" size=\"14\" value=\"%s\"></label>"
                   "<label>%s <input name=\"branch\" size=\"6\" value=\"%s\"></label>"
                   "<button type=\"submit\">%s</button></form>",
                   _("Product code"), sku ? sku : "", _("Category"), category ? category : "", _("Branch"),
                   branch ? branch : "", _("Show"));

  table = srv_html_new ();
  srv_html_append (table, "<table class=\"stock\"><thead><tr><th>%s</th><th>%s</th>", _("Product code"),
                   _("Product"));
  for (guint b = 0; b < branches->len; b++)
    srv_html_append (table, "<th class=\"num\">%s</th>", (const char *) g_ptr_array_index (branches, b));
  srv_html_append (table, "<th class=\"num\">%s</th></tr></thead><tbody>", _("Chain"));
  for (guint i = 0; i < skus->len; i++)
    {
      MdnStockRow *first = g_ptr_array_index (skus, i);
      gint64 total = 0;
      gboolean overflow = FALSE;

      srv_html_append (table, "<tr><td><code>%s</code></td><td>%s</td>", first->sku, first->name ? first->name : "");
      for (guint b = 0; b < branches->len; b++)
        {
          g_autofree char *key = g_strconcat (first->sku, "\n", (const char *) g_ptr_array_index (branches, b), NULL);
          MdnStockRow *r = g_hash_table_lookup (cell, key);

          if (r == NULL)
            {
              srv_html_append (table, "<td class=\"num\">—</td>");
              continue;
            }
          if (!overflow && !mdn_money_add (total, r->on_hand, &total, NULL))
            overflow = TRUE;
          if (short_of (r))
            low++;
          srv_html_append (table, "<td class=\"num%s\">%L", short_of (r) ? " low" : "", r->on_hand);
          if (r->in_transit_in > 0)
            srv_html_append (table, "<br><small>+%L %s</small>", r->in_transit_in, _("on the way"));
          srv_html_append (table, "</td>");
        }
      if (overflow)
        srv_html_append (table, "<td class=\"num\">—</td></tr>");
      else
        srv_html_append (table, "<td class=\"num\"><strong>%L</strong></td></tr>", total);
    }
  srv_html_append (table, "</tbody></table>");
  if (skus->len == 0)
    srv_html_append (table, "<p class=\"empty\">%s</p>", _("No stock is recorded for this selection."));

  transit = srv_html_new ();
  transfer_table (page, transit, moving, FALSE);
  shorts = srv_html_new ();
  transfer_table (page, shorts, shortfalls, TRUE);
  if (low > 0)
    {
      srv_html_append (shorts, "<h3>%s</h3><table><thead><tr><th>%s</th><th>%s</th><th>%s</th>"
                               "<th class=\"num\">%s</th><th class=\"num\">%s</th></tr></thead><tbody>",
                       _("Below zero or under the low mark"), _("Branch"), _("Product code"), _("Product"), _("On hand"),
                       _("Low mark"));
      for (guint i = 0; i < rows->len; i++)
        {
          MdnStockRow *r = &g_array_index (rows, MdnStockRow, i);

          if (!srv_page_sees_branch (page, r->branch) || !short_of (r))
            continue;
          srv_html_append (shorts,
                           "<tr class=\"short\"><td>%s</td><td><code>%s</code></td><td>%s</td><td class=\"num\">%L</td>"
                           "<td class=\"num\">%L</td></tr>",
                           r->branch, r->sku, r->name ? r->name : "", r->on_hand, r->has_low ? r->low_stock : 0);
        }
      srv_html_append (shorts, "</tbody></table>");
    }
  srv_vars_html (vars, "form", form);
  srv_vars_html (vars, "table", table);
  srv_vars_html (vars, "transit", transit);
  srv_vars_html (vars, "shortfalls", shorts);
  srv_page_reply (page, "stock", _("Stock"), srv_template_render ("stock", vars));
}

/* 操作日志 -------------------------------------------------------------------------- */

#define OPLOG_ROWS 100

/* GET /console/oplog?branch=&staff=&op=&outcome=done|refused&from=&to=&page=N: every branch's
 * operation log (#12: every operation attempted, refusals and logins too),
 * newest first, OPLOG_ROWS a page. */
void
srv_console_oplog (SrvPage *page)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(SrvRows) rows = NULL, ops = NULL;
  g_autoptr(GHashTable) vars = srv_vars_new ();
  g_autoptr(GHashTable) q = g_hash_table_new (g_str_hash, g_str_equal);
  g_autofree char *query = NULL;
  const char *branch = NULL, *staff = opt_arg (page, "staff"), *op = opt_arg (page, "op");
  const char *from = opt_arg (page, "from"), *to = opt_arg (page, "to"), *p = srv_page_arg (page, "page");
  const char *outcome = opt_arg (page, "outcome");
  SrvHtml *form, *table, *pager, *choice, *results;
  gint64 n = 1;

  if (!asked_branch (page, &branch))
    return;
  if (p == NULL || !g_ascii_string_to_signed (p, 10, 1, 100000, &n, NULL))
    n = 1;
  if ((from && !mdn_date_valid (from)) || (to && !mdn_date_valid (to)))
    {
      srv_page_error (page, SOUP_STATUS_BAD_REQUEST, _("Give the dates as YYYY-MM-DD"));
      return;
    }
  if (outcome && !g_str_equal (outcome, "done") && !g_str_equal (outcome, "refused"))
    outcome = NULL;
  rows = srv_console_oplog_rows (page->console->store, srv_page_branches (page), branch, from, to, staff, op,
                                 outcome == NULL ? -1 : g_str_equal (outcome, "done") ? 1 : 0, OPLOG_ROWS + 1,
                                 (n - 1) * OPLOG_ROWS, &error);
  ops = rows ? srv_console_oplog_ops (page->console->store, &error) : NULL;
  if (ops == NULL)
    {
      srv_page_error (page, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  choice = srv_html_new ();
  srv_html_append (choice, "<option value=\"\">%s</option>", _("Every operation"));
  for (guint i = 0; i < ops->len; i++)
    {
      const char *name = ((char **) g_ptr_array_index (ops, i))[0];

      if (g_strcmp0 (name, op) == 0)
        srv_html_append (choice, "<option value=\"%s\" selected>%s (%s)</option>", name, mdn_op_title (name), name);
      else
        srv_html_append (choice, "<option value=\"%s\">%s (%s)</option>", name, mdn_op_title (name), name);
    }
  results = srv_html_new ();
  srv_html_append (results, "<option value=\"\">%s</option>", _("Either"));
  for (guint i = 0; i < 2; i++)
    {
      const char *v = i ? "refused" : "done";

      if (g_strcmp0 (outcome, v) == 0)
        srv_html_append (results, "<option value=\"%s\" selected>%s</option>", v, i ? _("refused") : _("done"));
      else
        srv_html_append (results, "<option value=\"%s\">%s</option>", v, i ? _("refused") : _("done"));
    }
  form = srv_html_new ();
  srv_html_append (form,
                   "<form method=\"get\" action=\"/console/oplog\" class=\"filters\">"
                   "<label>%s <input name=\"branch\" size=\"6\" value=\"%s\"></label>"
                   "<label>%s <input name=\"staff\" size=\"8\" value=\"%s\"></label>"
                   "<label>%s <select name=\"op\">%H</select></label>"
                   "<label>%s <select name=\"outcome\">%H</select></label>"
                   "<label>%s <input type=\"date\" name=\"from\" value=\"%s\"></label>"
                   "<label>%s <input type=\"date\" name=\"to\" value=\"%s\"></label>"
                   "<button type=\"submit\">%s</button></form>",
                   _("Branch"), branch ? branch : "", _("Staff"), staff ? staff : "", _("Operation"), choice,
                   _("Result"), results,
                   _("From"), from ? from : "", _("To"), to ? to : "", _("Show"));
  srv_html_free (choice);
  srv_html_free (results);

  table = srv_html_new ();
  srv_html_append (table,
                   "<table><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th>"
                   "<th>%s</th><th>%s</th></tr></thead><tbody>",
                   _("Time"), _("Branch"), _("Terminal"), _("Staff"), _("Operation"), _("Result"), _("Detail"),
                   _("Entry"));
  for (guint i = 0; i < rows->len && i < OPLOG_ROWS; i++)
    {
      char **r = g_ptr_array_index (rows, i);
      g_autofree char *at = srv_page_time (page, r[2]);
      gboolean ok = g_str_equal (r[5], "1");

      srv_html_append (table,
                       "<tr class=\"%s\"><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td title=\"%s\">%s <small>%s</small></td><td>%s</td>"
                       "<td>%s</td><td><code>%s</code></td></tr>",
                       ok ? "done" : "refused", at, r[0], r[7], r[3], r[4], mdn_op_title (r[4]), r[4],
                       ok ? _("done") : _("refused"), r[6], r[8]);
    }
  srv_html_append (table, "</tbody></table>");
  if (rows->len == 0)
    srv_html_append (table, "<p class=\"empty\">%s</p>", _("None."));

  if (branch)
    g_hash_table_insert (q, "branch", (gpointer) branch);
  if (staff)
    g_hash_table_insert (q, "staff", (gpointer) staff);
  if (op)
    g_hash_table_insert (q, "op", (gpointer) op);
  if (from)
    g_hash_table_insert (q, "from", (gpointer) from);
  if (to)
    g_hash_table_insert (q, "to", (gpointer) to);
  if (outcome)
    g_hash_table_insert (q, "outcome", (gpointer) outcome);
  query = soup_form_encode_hash (q);
  pager = srv_html_new ();
  if (n > 1)
    srv_html_append (pager, "<a rel=\"prev\" href=\"/console/oplog?%s&amp;page=%L\">%s</a> ", query, n - 1,
                     _("Newer"));
  if (rows->len > OPLOG_ROWS)
    srv_html_append (pager, "<a rel=\"next\" href=\"/console/oplog?%s&amp;page=%L\">%s</a>", query, n + 1,
                     _("Older"));
  srv_vars_html (vars, "form", form);
  srv_vars_html (vars, "table", table);
  srv_vars_html (vars, "pager", pager);
  srv_page_reply (page, "oplog", _("Operation log"), srv_template_render ("oplog", vars));
}
