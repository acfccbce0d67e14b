/* mdn-reports.c: read-only figures for the counter: the shift summary
 * (day end) by tender, by staff and by kind of business.
 *
 * What each entry adds to which figure is mdn-figures.h's to say (the
 * server's rollups read the same code). Money taken (net_fen) is what
 * changed hands: the tenders of sales, quick sales and timed sessions
 * (cash net of change), minus the tenders refunded by returns, plus
 * deposits and minus withdrawals by their tender. A member's balance
 * paying for a sale is listed by tender but is not money taken that day:
 * it came in with the deposit, which is counted when it is made. */
#define G_LOG_DOMAIN "mdn-reports"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-db.h"
#include "mdn-error.h"
#include "mdn-figures.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-op.h"
#include "mdn-report-export.h"
#include "mdn-reports.h"
#include "mdn-store.h"

static gboolean
too_large (GError **error)
{
  g_set_error_literal (error, MDN_ERROR, MDN_ERROR_MONEY_OVERFLOW,
                       _("The day's figures are too large to add up"));
  return FALSE;
}

/* The figures of one staff member or one kind, by key. */
static MdnFigures *
figures_of (GHashTable *table,
            const char *key)
{
  MdnFigures *f = g_hash_table_lookup (table, key);

  if (f == NULL)
    {
      f = g_new0 (MdnFigures, 1);
      g_hash_table_insert (table, g_strdup (key), f);
    }
  return f;
}

/* by_staff rows also carry the staff member's name. */
static gboolean
add_staff_names (MdnOpCtx   *ctx,
                 JsonArray  *by_staff,
                 GError    **error)
{
  for (guint i = 0; i < json_array_get_length (by_staff); i++)
    {
      JsonObject *o = json_array_get_object_element (by_staff, i);
      sqlite3_stmt *stmt;
      int rc;

      stmt = mdn_db_query (ctx->db, error, "SELECT name FROM staff WHERE code = ?", "s",
                           json_object_get_string_member (o, "staff"));
      if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) < 0)
        return FALSE;
      if (rc == SQLITE_ROW)
        json_object_set_string_member (o, "name", mdn_db_col_text (stmt, 0));
      sqlite3_reset (stmt);
    }
  return TRUE;
}

/* {key, count, amount_fen} per key with counted entries, sorted by key:
 * amount_fen is the money taken (net_fen), or the kind's gross. */
static JsonArray *
rows_json (GHashTable *table,
           const char *key_name,
           gboolean    gross,
           GError    **error)
{
  g_autoptr(JsonArray) list = json_array_new ();
  g_autoptr(GList) keys = g_list_sort (g_hash_table_get_keys (table), (GCompareFunc) g_strcmp0);

  for (GList *l = keys; l; l = l->next)
    {
      MdnFigures *f = g_hash_table_lookup (table, l->data);
      JsonObject *o;
      gint64 amount = f->net_fen;

      if (f->counted_entries == 0)
        continue;
      if (gross && !mdn_figures_gross_fen (f, &amount))
        return too_large (error), NULL;
      o = json_object_new ();
      json_object_set_string_member (o, key_name, l->data);
      json_object_set_int_member (o, "count", f->counted_entries);
      json_object_set_int_member (o, "amount_fen", amount);
      json_array_add_object_element (list, o);
    }
  return g_steal_pointer (&list);
}

/* {tender, count, amount_fen} per tender used, sorted by name. */
static JsonArray *
tenders_json (const MdnFigures *f)
{
  JsonArray *list = json_array_new ();
  MdnTenderKind order[MDN_N_TENDERS];

  for (int t = 0; t < MDN_N_TENDERS; t++)
    order[t] = (MdnTenderKind) t;
  /* A handful: insertion sort by name. */
  for (int i = 1; i < MDN_N_TENDERS; i++)
    for (int j = i; j > 0 && strcmp (mdn_tender_name (order[j - 1]), mdn_tender_name (order[j])) > 0; j--)
      {
        MdnTenderKind x = order[j];

        order[j] = order[j - 1];
        order[j - 1] = x;
      }
  for (int i = 0; i < MDN_N_TENDERS; i++)
    {
      const MdnTenderSum *t = &f->tenders[order[i]];
      JsonObject *o;

      if (t->count == 0)
        continue;
      o = json_object_new ();
      json_object_set_string_member (o, "tender", mdn_tender_name (order[i]));
      json_object_set_int_member (o, "count", t->count);
      json_object_set_int_member (o, "amount_fen", t->amount_fen);
      json_array_add_object_element (list, o);
    }
  return list;
}

/* {date?, staff?} → the money of this branch's business day (one staff
 * member's shift when @staff is given): by_tender, by_staff (with each
 * one's name), by_kind, net, and every figure of the day (mdn-figures.h)
 * as "figures". Everything is summed by mdn_figures_add_entry, the same
 * code as the server's rollups. */
static gboolean
op_report_shift (MdnOpCtx   *ctx,
                 JsonObject *args,
                 JsonObject *result,
                 GError    **error)
{
  const char *date = NULL, *staff = NULL;
  MdnFiguresFlags flags = ctx->store->hq ? MDN_FIGURES_HQ : MDN_FIGURES_NONE;
  g_autoptr(GHashTable) by_staff = NULL;
  g_autoptr(GHashTable) by_kind = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(JsonArray) staff_rows = NULL;
  g_autoptr(JsonArray) kind_rows = NULL;
  MdnFigures day = { 0 };
  JsonObject *figures;
  sqlite3_stmt *stmt;
  int rc;

  if (!mdn_args_date (args, "date", FALSE, &date, error) ||
      !mdn_args_string (args, "staff", FALSE, &staff, error))
    return FALSE;
  if (date == NULL)
    date = ctx->business_date;
  by_staff = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  by_kind = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);

  stmt = mdn_db_query (ctx->db, error,
                       "SELECT id FROM entries WHERE branch = ? AND business_date = ? "
                       "AND (?3 IS NULL OR staff = ?3) ORDER BY seq",
                       "sss", ctx->store->branch_code, date, staff);
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
    g_ptr_array_add (ids, g_strdup (mdn_db_col_text (stmt, 0)));
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return FALSE;

  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(MdnEntry) entry = mdn_entry_load (ctx->db, g_ptr_array_index (ids, i), error);
      MdnFigures one = { 0 };

      if (entry == NULL)
        {
          g_prefix_error (error, _("An entry of the day can't be read; run “mendian-cli verify”: "));
          return FALSE;
        }
      mdn_figures_add_entry (&one, entry, flags);
      mdn_figures_add (&day, &one);
      mdn_figures_add (figures_of (by_staff, entry->staff), &one);
      mdn_figures_add (figures_of (by_kind, entry->kind), &one);
    }
  if (day.overflow)
    return too_large (error);

  staff_rows = rows_json (by_staff, "staff", FALSE, error);
  kind_rows = staff_rows ? rows_json (by_kind, "kind", TRUE, error) : NULL;
  if (kind_rows == NULL)
    return FALSE;
  json_object_set_string_member (result, "date", date);
  if (staff)
    json_object_set_string_member (result, "staff", staff);
  json_object_set_string_member (result, "branch", ctx->store->branch_code);
  json_object_set_int_member (result, "entries", day.counted_entries);
  json_object_set_int_member (result, "net_fen", day.net_fen);
  json_object_set_array_member (result, "by_tender", tenders_json (&day));
  json_object_set_array_member (result, "by_staff", json_array_ref (staff_rows));
  if (!add_staff_names (ctx, staff_rows, error))
    return FALSE;
  json_object_set_array_member (result, "by_kind", json_array_ref (kind_rows));
  figures = json_object_new ();
  mdn_figures_to_json (&day, figures, FALSE);
  json_object_set_object_member (result, "figures", figures);
  return TRUE;
}

/* report.list → {reports: [{name, title, filters, columns}]}: the reports
 * of mdn-report.h. */
static gboolean
op_report_list (MdnOpCtx   *ctx,
                JsonObject *args,
                JsonObject *result,
                GError    **error)
{
  json_object_set_array_member (result, "reports", mdn_report_list_json ());
  return TRUE;
}

/* report.run {name, from, to, branch?, staff?, member?, sku?, category?,
 * limit?, after?} → {columns, rows, totals, next, …} (mdn_report_page): a
 * report of this branch (a branch's database holds only its own business
 * whole; the chain's reports are the server's). */
static gboolean
op_report_run (MdnOpCtx   *ctx,
               JsonObject *args,
               JsonObject *result,
               GError    **error)
{
  const char *name = NULL, *branch = NULL, *after = NULL;
  MdnReportQuery q = { 0 };
  gint64 limit = 0;
  const MdnReportDef *def;
  g_autoptr(JsonObject) page = NULL;
  g_autoptr(GList) members = NULL;

  if (!mdn_args_string (args, "name", TRUE, &name, error) ||
      !mdn_args_date (args, "from", FALSE, &q.from, error) ||
      !mdn_args_date (args, "to", FALSE, &q.to, error) ||
      !mdn_args_string (args, "branch", FALSE, &branch, error) ||
      !mdn_args_string (args, "staff", FALSE, &q.staff, error) ||
      !mdn_args_string (args, "member", FALSE, &q.member, error) ||
      !mdn_args_string (args, "sku", FALSE, &q.sku, error) ||
      !mdn_args_string (args, "category", FALSE, &q.category, error) ||
      !mdn_args_int (args, "limit", FALSE, &limit, error) ||
      !mdn_args_string (args, "after", FALSE, &after, error))
    return FALSE;
  def = mdn_report_lookup (name);
  if (def == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("There is no report “%s”"), name);
      return FALSE;
    }
  if (branch && !g_str_equal (branch, ctx->store->branch_code))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("This terminal reports on branch %s only; head office's reports cover the other branches"),
                   ctx->store->branch_code);
      return FALSE;
    }
  if (limit < 0 || limit > 100000)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("A page has 1 to 100000 rows (0: all)"));
      return FALSE;
    }
  q.from = q.from ? q.from : ctx->business_date;
  q.to = q.to ? q.to : q.from;
  q.branch = ctx->store->branch_code;
  page = mdn_report_page (ctx->db, def, &q, limit, after, error);
  if (page == NULL)
    return FALSE;
  members = json_object_get_members (page);
  for (GList *l = members; l; l = l->next)
    json_object_set_member (result, l->data, json_node_copy (json_object_get_member (page, l->data)));
  return TRUE;
}

gboolean
mdn_report_branch_export (MdnOpCtx                     *ctx,
                          const char                   *name,
                          const MdnReportQuery         *query,
                          MdnReportFormat               format,
                          const char                   *path,
                          const MdnReportExportOptions *options,
                          gint64                       *n_rows,
                          GError                      **error)
{
  const MdnReportDef *def = mdn_report_lookup (name);
  MdnReportQuery q = *query;
  MdnReportExportOptions o = { 0 };
  g_autofree char *shop = NULL, *exported = NULL;

  g_return_val_if_fail (ctx != NULL && query != NULL && path != NULL, FALSE);

  if (ctx->role < MDN_ROLE_MANAGER)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_PERMISSION_DENIED,
                           _("Only a manager may export reports"));
      return FALSE;
    }
  if (def == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("There is no report “%s”"), name);
      return FALSE;
    }
  if (q.branch && !g_str_equal (q.branch, ctx->store->branch_code))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("This terminal reports on branch %s only; head office's reports cover the other branches"),
                   ctx->store->branch_code);
      return FALSE;
    }
  q.branch = ctx->store->branch_code;
  /* The title row names the shop and the time of export. */
  if (options)
    o = *options;
  if (o.shop == NULL)
    o.shop = shop = g_strdup_printf ("%s %s", ctx->store->branch_code, ctx->store->branch_name);
  if (o.exported_at == NULL)
    {
      g_autoptr(GDateTime) now = mdn_clock_now ();

      o.exported_at = exported = g_date_time_format (now, "%Y-%m-%d %H:%M");
    }
  return mdn_report_export_file (ctx->db, def, &q, format, path, &o, n_rows, error);
}

const MdnOpDef mdn_report_ops[] = {
  { "report.shift",        MDN_ROLE_CASHIER, MDN_OP_READ, op_report_shift },
  { "report.list",         MDN_ROLE_MANAGER, MDN_OP_READ, op_report_list },
  { "report.run",          MDN_ROLE_MANAGER, MDN_OP_READ, op_report_run },
  { NULL }
};
