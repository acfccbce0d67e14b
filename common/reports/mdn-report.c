/* mdn-report.c: the report framework (mdn-report.h): the list of reports,
 * running one into a sink, the rows' cells and totals, the period's
 * entries and day figures, and the JSON page of report.run. */
#define G_LOG_DOMAIN "mdn-report"

#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <string.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-money.h"
#include "mdn-report-private.h"

static const MdnReportDef *const all_reports[] = {
  &mdn_report_income,
  &mdn_report_deposits,
  &mdn_report_package_sales,
  &mdn_report_consumption,
  &mdn_report_product_sales,
  &mdn_report_returns,
  &mdn_report_package_uses,
  &mdn_report_points_redeemed,
  &mdn_report_points_adjusted,
  &mdn_report_stock_moves,
  &mdn_report_products,
  &mdn_report_members,
  &mdn_report_commission,
  &mdn_report_timed,
  &mdn_report_summary,
  &mdn_report_liability,
  &mdn_report_settlement,
  NULL
};

const MdnReportDef *const *
mdn_reports (void)
{
  return all_reports;
}

const MdnReportDef *
mdn_report_lookup (const char *name)
{
  for (guint i = 0; name && all_reports[i]; i++)
    if (g_str_equal (all_reports[i]->name, name))
      return all_reports[i];
  return NULL;
}

guint
mdn_report_n_columns (const MdnReportDef *def)
{
  guint n = 0;

  g_return_val_if_fail (def != NULL, 0);

  while (def->columns[n].key)
    n++;
  return n;
}

const char *
mdn_report_type_name (MdnColType type)
{
  static const char *const names[] = { "text", "date", "time", "fen", "integer", "percent" };

  g_return_val_if_fail (type <= MDN_COL_PERCENT, "text");
  return names[type];
}

JsonArray *
mdn_report_columns_json (const MdnReportDef *def)
{
  JsonArray *list = json_array_new ();

  for (guint i = 0; def->columns[i].key; i++)
    {
      JsonObject *o = json_object_new ();

      json_object_set_string_member (o, "key", def->columns[i].key);
      json_object_set_string_member (o, "title", _(def->columns[i].title));
      json_object_set_string_member (o, "type", mdn_report_type_name (def->columns[i].type));
      json_array_add_object_element (list, o);
    }
  return list;
}

JsonArray *
mdn_report_list_json (void)
{
  JsonArray *list = json_array_new ();

  for (guint i = 0; all_reports[i]; i++)
    {
      const MdnReportDef *def = all_reports[i];
      JsonObject *o = json_object_new ();
      JsonArray *filters = json_array_new ();

      json_object_set_string_member (o, "name", def->name);
      json_object_set_string_member (o, "title", _(def->title));
      for (guint f = 0; def->filters[f]; f++)
        json_array_add_string_element (filters, def->filters[f]);
      json_object_set_array_member (o, "filters", filters);
      json_object_set_array_member (o, "columns", mdn_report_columns_json (def));
      json_array_add_object_element (list, o);
    }
  return list;
}

JsonNode *
mdn_report_cell_json (const MdnReportColumn *column,
                      const MdnReportCell   *cell)
{
  JsonNode *n = json_node_new (JSON_NODE_VALUE);

  if (!cell->set)
    {
      json_node_init_null (n);
      return n;
    }
  switch (column->type)
    {
    case MDN_COL_TEXT:
    case MDN_COL_DATE:
    case MDN_COL_TIME:
      json_node_set_string (n, cell->s ? cell->s : "");
      break;
    case MDN_COL_FEN:
    case MDN_COL_INT:
    case MDN_COL_PERCENT:
      json_node_set_int (n, cell->i);
      break;
    }
  return n;
}

gboolean
mdn_report_too_large (GError **error)
{
  g_set_error_literal (error, MDN_ERROR, MDN_ERROR_MONEY_OVERFLOW,
                       _("The report's figures are too large to add up"));
  return FALSE;
}

/* Cells ------------------------------------------------------------------------ */

/* Reports set their cells mostly in column order: the search starts at
 * the column after the last one found. */
static int
column_index (MdnReportRun *run,
              const char   *key)
{
  for (guint k = 0; k < run->n_columns; k++)
    {
      guint i = (run->next_column + k) % run->n_columns;

      if (strcmp (run->def->columns[i].key, key) == 0)
        {
          run->next_column = i + 1;
          return (int) i;
        }
    }
  return -1;   /* a common cell (mdn_report_entry_cells) this report has no column for */
}

void
mdn_report_text (MdnReportRun *run,
                 const char   *key,
                 const char   *value)
{
  int i = column_index (run, key);
  MdnReportCell *c;

  if (i < 0)
    return;
  c = &run->cells[i];
  g_clear_pointer (&c->s, g_free);
  c->set = value != NULL;
  c->s = g_strdup (value);
}

void
mdn_report_int (MdnReportRun *run,
                const char   *key,
                gint64        value)
{
  int i = column_index (run, key);
  MdnReportCell *c;

  if (i < 0)
    return;
  c = &run->cells[i];
  c->set = TRUE;
  c->i = value;
}

static void
clear_cells (MdnReportRun *run)
{
  for (guint i = 0; i < run->n_columns; i++)
    {
      g_clear_pointer (&run->cells[i].s, g_free);
      run->cells[i].set = FALSE;
      run->cells[i].i = 0;
    }
}

/* Whether the row passes the query's filter on column @key: a filter the
 * report has no column for passes; a row with the column but no value in
 * it (a line without a category, a sale without a card) does not.
 * @prefix: a category path matches its sub-categories. */
static gboolean
passes (MdnReportRun *run,
        const char   *key,
        const char   *want,
        gboolean      prefix)
{
  for (guint i = 0; want && i < run->n_columns; i++)
    if (g_str_equal (run->def->columns[i].key, key))
      {
        const char *have = run->cells[i].s ? run->cells[i].s : "";

        if (!run->cells[i].set)
          return FALSE;

        if (prefix)
          return g_str_equal (have, want) ||
                 (g_str_has_prefix (have, want) && have[strlen (want)] == '/');
        return g_str_equal (have, want);
      }
  return TRUE;
}

gboolean
mdn_report_emit (MdnReportRun *run,
                 GError      **error)
{
  const MdnReportQuery *q = run->q;
  gboolean ok = TRUE;

  if (g_cancellable_set_error_if_cancelled (run->sink->cancellable, error))
    {
      clear_cells (run);
      return FALSE;
    }
  if (passes (run, "staff", q->staff, FALSE) && passes (run, "card_no", q->member, FALSE) &&
      passes (run, "sku", q->sku, FALSE) && passes (run, "category", q->category, TRUE))
    {
      for (guint i = 0; i < run->n_columns; i++)
        if (run->def->columns[i].total && run->cells[i].set)
          {
            gint64 r;

            if (__builtin_add_overflow (run->totals[i], run->cells[i].i, &r) ||
                r > MDN_MONEY_MAX || r < -MDN_MONEY_MAX)
              {
                clear_cells (run);
                return mdn_report_too_large (error);
              }
            run->totals[i] = r;
          }
      run->n_rows++;
      ok = run->sink->row (run->sink->data, run->def, run->cells, error);
    }
  clear_cells (run);
  return ok;
}

static void
member_free (gpointer p)
{
  MdnReportMember *m = p;

  g_free (m->card_no);
  g_free (m->name);
  g_free (m);
}

const MdnReportMember *
mdn_report_member (MdnReportRun *run,
                   const char   *member_id)
{
  MdnReportMember *m;
  sqlite3_stmt *stmt;

  if (member_id == NULL)
    return NULL;
  m = g_hash_table_lookup (run->members, member_id);
  if (m)
    return m;
  /* Bounded: a member report over a million cards holds no more than this. */
  if (g_hash_table_size (run->members) > 20000)
    g_hash_table_remove_all (run->members);
  m = g_new0 (MdnReportMember, 1);
  stmt = mdn_db_query (run->db, NULL, "SELECT card_no, name FROM members WHERE id = ?", "s", member_id);
  if (stmt && mdn_db_step (run->db, stmt, NULL) == SQLITE_ROW)
    {
      m->card_no = g_strdup (mdn_db_col_text (stmt, 0));
      m->name = g_strdup (mdn_db_col_text (stmt, 1));
    }
  if (stmt)
    sqlite3_reset (stmt);
  g_hash_table_insert (run->members, g_strdup (member_id), m);
  return m;
}

void
mdn_report_entry_cells (MdnReportRun   *run,
                        const MdnEntry *entry)
{
  const MdnReportMember *m = mdn_report_member (run, entry->member_id);

  mdn_report_text (run, "date", entry->business_date);
  mdn_report_text (run, "time", entry->at);
  mdn_report_text (run, "branch", entry->branch);
  mdn_report_text (run, "staff", entry->staff);
  if (m)
    {
      const char *card = mdn_body_string (entry->body, "card_no");

      mdn_report_text (run, "card_no", card ? card : m->card_no);
      mdn_report_text (run, "member", m->name);
    }
}

/* The period ------------------------------------------------------------------- */

gboolean
mdn_report_each_entry (MdnReportRun       *run,
                       const char *const  *kinds,
                       MdnReportEntryFunc  func,
                       gpointer            data,
                       GError            **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  sqlite3 *h = mdn_db_handle (run->db);
  int rc;

  /* Its own statement, not the cache's: a report's row function may run
     any cached query, even one that lists entries itself. */
  if (sqlite3_prepare_v2 (h, "SELECT id, kind FROM entries INDEXED BY entries_day "
                             "WHERE business_date BETWEEN ?1 AND ?2 AND (?3 IS NULL OR branch = ?3) "
                             "AND (?4 IS NULL OR member_id = ?4) ORDER BY business_date, branch, seq",
                          -1, &stmt, NULL) != SQLITE_OK)
    return mdn_db_set_database_error (run->db, error);
  sqlite3_bind_text (stmt, 1, run->q->from, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, run->q->to, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, run->q->branch, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, run->member_id, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *kind = (const char *) sqlite3_column_text (stmt, 1);
      g_autoptr(MdnEntry) entry = NULL;

      if (kinds && !g_strv_contains (kinds, kind))
        continue;
      entry = mdn_entry_load (run->db, (const char *) sqlite3_column_text (stmt, 0), error);
      if (entry == NULL || !func (run, entry, data, error))
        return FALSE;
    }
  if (rc != SQLITE_DONE)
    return mdn_db_set_database_error (run->db, error);
  return TRUE;
}

/* "SELECT business_date, branch, f1, f2 … FROM srv_rollup_day …" over the
 * figures @figures names (NULL: every figure; the rollup's columns are the
 * figures' names); @picked gets the fields read, in the columns' order. */
static char *
rollup_sql (const char *const *figures,
            GPtrArray         *picked)
{
  GString *s = g_string_new ("SELECT business_date, branch");
  const MdnFigureField *fields;
  guint n;

  fields = mdn_figures_fields (&n);
  for (guint i = 0; i < n; i++)
    if (figures == NULL || g_strv_contains (figures, fields[i].name))
      {
        g_string_append_printf (s, ", %s", fields[i].name);
        g_ptr_array_add (picked, (gpointer) &fields[i]);
      }
  g_string_append (s, " FROM srv_rollup_day WHERE business_date BETWEEN ?1 AND ?2 "
                      "AND (?3 IS NULL OR branch = ?3) ORDER BY business_date, branch");
  return g_string_free (s, FALSE);
}

static gboolean
each_rollup_day (MdnReportRun       *run,
                 const char         *from,
                 const char         *to,
                 const char *const  *figures,
                 MdnReportDayFunc    func,
                 gpointer            data,
                 GError            **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) picked = g_ptr_array_new ();
  g_autofree char *sql = rollup_sql (figures, picked);
  MdnFigures f = { 0 };
  int rc;

  if (sqlite3_prepare_v2 (mdn_db_handle (run->db), sql, -1, &stmt, NULL) != SQLITE_OK)
    return mdn_db_set_database_error (run->db, error);
  sqlite3_bind_text (stmt, 1, from ? from : "0000-00-00", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, to, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, run->q->branch, -1, SQLITE_STATIC);
  /* The figures not read stay 0 for every row. */
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      for (guint i = 0; i < picked->len; i++)
        mdn_figures_set (&f, picked->pdata[i], sqlite3_column_int64 (stmt, 2 + (int) i));
      if (!func (run, (const char *) sqlite3_column_text (stmt, 0),
                 (const char *) sqlite3_column_text (stmt, 1), &f, data, error))
        return FALSE;
    }
  if (rc != SQLITE_DONE)
    return mdn_db_set_database_error (run->db, error);
  return TRUE;
}

/* At a branch: its own entries of the days, summed by the figures module
 * as the server's rollup is. Only the HQ terminal's own write-offs count
 * (MDN_FIGURES_HQ), as in report.shift. */
static gboolean
each_entry_day (MdnReportRun     *run,
                const char       *from,
                const char       *to,
                MdnReportDayFunc  func,
                gpointer          data,
                GError          **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autofree char *hq = mdn_db_meta_dup (run->db, "hq");
  MdnFiguresFlags flags = g_strcmp0 (hq, "1") == 0 ? MDN_FIGURES_HQ : MDN_FIGURES_NONE;
  g_autofree char *date = NULL, *branch = NULL;
  MdnFigures day = { 0 };
  int rc;

  if (sqlite3_prepare_v2 (mdn_db_handle (run->db),
                          "SELECT id, business_date, branch FROM entries INDEXED BY entries_day "
                          "WHERE business_date BETWEEN ?1 AND ?2 AND branch = ?3 "
                          "ORDER BY business_date, branch, seq", -1, &stmt, NULL) != SQLITE_OK)
    return mdn_db_set_database_error (run->db, error);
  sqlite3_bind_text (stmt, 1, from ? from : "0000-00-00", -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, to, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, run->q->branch, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *d = (const char *) sqlite3_column_text (stmt, 1);
      const char *b = (const char *) sqlite3_column_text (stmt, 2);
      g_autoptr(MdnEntry) entry = NULL;

      if (date && (!g_str_equal (date, d) || !g_str_equal (branch, b)))
        {
          if (day.overflow)
            return mdn_report_too_large (error);
          if (!func (run, date, branch, &day, data, error))
            return FALSE;
          memset (&day, 0, sizeof day);
        }
      if (date == NULL || !g_str_equal (date, d) || !g_str_equal (branch, b))
        {
          g_free (date);
          g_free (branch);
          date = g_strdup (d);
          branch = g_strdup (b);
        }
      entry = mdn_entry_load (run->db, (const char *) sqlite3_column_text (stmt, 0), error);
      if (entry == NULL)
        return FALSE;
      mdn_figures_add_entry (&day, entry, flags);
    }
  if (rc != SQLITE_DONE)
    return mdn_db_set_database_error (run->db, error);
  if (date)
    {
      if (day.overflow)
        return mdn_report_too_large (error);
      return func (run, date, branch, &day, data, error);
    }
  return TRUE;
}

gboolean
mdn_report_each_day (MdnReportRun     *run,
                     const char       *from,
                     const char       *to,
                     MdnReportDayFunc  func,
                     gpointer          data,
                     GError          **error)
{
  return mdn_report_each_day_of (run, from, to, NULL, func, data, error);
}

gboolean
mdn_report_each_day_of (MdnReportRun       *run,
                        const char         *from,
                        const char         *to,
                        const char *const  *figures,
                        MdnReportDayFunc    func,
                        gpointer            data,
                        GError            **error)
{
  if (run->chain_db)
    return each_rollup_day (run, from, to, figures, func, data, error);
  return each_entry_day (run, from, to, func, data, error);
}

/* Running ---------------------------------------------------------------------- */

static gboolean
valid_date (const char *text)
{
  int y, m, d;
  char tail;

  return text && strlen (text) == 10 && sscanf (text, "%4d-%2d-%2d%c", &y, &m, &d, &tail) == 3 &&
         g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y);
}

static gboolean
table_exists (MdnDb      *db,
              const char *name)
{
  sqlite3_stmt *stmt = mdn_db_query (db, NULL, "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?",
                                     "s", name);
  gboolean found;

  if (stmt == NULL)
    return FALSE;
  found = mdn_db_step (db, stmt, NULL) == SQLITE_ROW;
  sqlite3_reset (stmt);
  return found;
}

gboolean
mdn_report_run (MdnDb                *db,
                const MdnReportDef   *def,
                const MdnReportQuery *query,
                MdnReportSink        *sink,
                gint64               *totals,
                gint64               *n_rows,
                GError              **error)
{
  MdnReportRun run = { 0 };
  gboolean ok;

  g_return_val_if_fail (db != NULL && def != NULL && query != NULL && sink != NULL, FALSE);

  if (!valid_date (query->from) || !valid_date (query->to))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("Give the period as two dates, YYYY-MM-DD"));
      return FALSE;
    }
  if (strcmp (query->from, query->to) > 0)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("The period starts (%s) after it ends (%s)"), query->from, query->to);
      return FALSE;
    }

  run.db = db;
  run.def = def;
  run.q = query;
  run.sink = sink;
  run.n_columns = mdn_report_n_columns (def);
  run.cells = g_new0 (MdnReportCell, run.n_columns);
  run.totals = totals;
  memset (totals, 0, run.n_columns * sizeof (gint64));
  run.members = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, member_free);
  run.chain_db = table_exists (db, "srv_rollup_day");

  ok = TRUE;
  if (query->member)
    {
      sqlite3_stmt *stmt = mdn_db_query (db, error, "SELECT member_id FROM cards WHERE card_no = ?",
                                         "s", query->member);
      int rc;

      ok = stmt != NULL && (rc = mdn_db_step (db, stmt, error)) >= 0;
      if (ok && rc == SQLITE_ROW)
        run.member_id = g_strdup (mdn_db_col_text (stmt, 0));
      else if (ok)
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_CARD, _("No member has card %s"), query->member);
          ok = FALSE;
        }
      if (stmt)
        sqlite3_reset (stmt);
    }
  if (ok && !run.chain_db && query->branch == NULL)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("A branch's reports are of one branch"));
      ok = FALSE;
    }
  if (ok)
    ok = def->run (&run, error);

  clear_cells (&run);
  g_free (run.cells);
  g_free (run.member_id);
  g_hash_table_unref (run.members);
  if (n_rows)
    *n_rows = run.n_rows;
  return ok;
}

/* The JSON page ---------------------------------------------------------------- */

typedef struct
{
  gint64     skip;
  gint64     limit;
  gint64     seen;
  JsonArray *rows;
} Page;

static gboolean
page_row (gpointer             data,
          const MdnReportDef  *def,
          const MdnReportCell *cells,
          GError             **error)
{
  Page *p = data;
  JsonObject *o;

  p->seen++;
  if (p->seen <= p->skip || (p->limit > 0 && p->seen > p->skip + p->limit))
    return TRUE;
  o = json_object_new ();
  for (guint i = 0; def->columns[i].key; i++)
    json_object_set_member (o, def->columns[i].key, mdn_report_cell_json (&def->columns[i], &cells[i]));
  json_array_add_object_element (p->rows, o);
  return TRUE;
}

JsonObject *
mdn_report_page (MdnDb                *db,
                 const MdnReportDef   *def,
                 const MdnReportQuery *query,
                 gint64                limit,
                 const char           *after,
                 GError              **error)
{
  g_autoptr(JsonObject) out = json_object_new ();
  g_autofree gint64 *totals = g_new0 (gint64, mdn_report_n_columns (def));
  Page page = { 0, limit, 0, json_array_new () };
  MdnReportSink sink = { page_row, &page, NULL };
  JsonObject *t;
  gint64 n_rows;

  if (after)
    {
      char *end = NULL;

      page.skip = g_ascii_strtoll (after, &end, 10);
      if (end == after || *end != '\0' || page.skip < 0)
        {
          json_array_unref (page.rows);
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                               _("“after” is not a page of this report"));
          return NULL;
        }
    }
  if (!mdn_report_run (db, def, query, &sink, totals, &n_rows, error))
    {
      json_array_unref (page.rows);
      return NULL;
    }
  json_object_set_string_member (out, "name", def->name);
  json_object_set_string_member (out, "title", _(def->title));
  json_object_set_string_member (out, "from", query->from);
  json_object_set_string_member (out, "to", query->to);
  mdn_json_set_opt_string (out, "branch", query->branch);
  json_object_set_array_member (out, "columns", mdn_report_columns_json (def));
  json_object_set_array_member (out, "rows", page.rows);
  t = json_object_new ();
  for (guint i = 0; def->columns[i].key; i++)
    if (def->columns[i].total)
      json_object_set_int_member (t, def->columns[i].key, totals[i]);
  json_object_set_object_member (out, "totals", t);
  json_object_set_int_member (out, "count", n_rows);
  if (limit > 0 && page.skip + limit < n_rows)
    {
      g_autofree char *next = g_strdup_printf ("%" G_GINT64_FORMAT, page.skip + limit);

      json_object_set_string_member (out, "next", next);
    }
  else
    json_object_set_null_member (out, "next");
  return g_steal_pointer (&out);
}
