/* srv-store-pg-report.c: the reports of common/reports/ (srv_pg_report,
 * srv_pg_console_report_page) on the PostgreSQL store, and the per-member
 * receipt figures the members report reads, kept on apply
 * (report_entry_applied, schema/server/postgres/0006_member_receipts.sql).
 *
 * A report definition is SQLite SQL over the branch schema (plus, at the
 * server, srv_rollup_day). So that the same definitions run here
 * unchanged, each run builds a scratch database (scratch_begin: the branch
 * schema in memory, in a transaction that is always rolled back) holding
 * only what that report reads, copied from one snapshot of PostgreSQL,
 * then runs mdn_report_export_file / mdn_report_page on it:
 *
 *   every report     the catalogue (catalog_scratch's replay) and an empty
 *                    srv_rollup_day, which makes it the chain's database
 *   entry reports    the period's entries and movements, day by day
 *                    (partition and index entries_day_branch; the branch
 *                    and member filters applied in PostgreSQL too), each
 *                    with its rowid set to its arrival order (applied), as
 *                    the SQLite server's rowids are; the members they name
 *                    (srv_members) and the card asked for (srv_cards)
 *   deposits         for the balance after each deposit, its kept figure
 *                    (srv_deposit_balances, srv-store-pg-deposits.c): a
 *                    movement on the deposit of what the copied entries
 *                    lack of it
 *   summary, settlement  srv_rollup_day rows of the period
 *   liability        the same, and before the period one row per branch
 *                    summing every earlier day (the opening balance)
 *   products         every branch's stock (stock_scratch's replay)
 *   members          every member (or the one asked for) from srv_members,
 *                    accounts and srv_member_receipts, by pages of ids
 *
 * docs/server.md ("Reports on PostgreSQL") says which of these stay flat as history
 * grows. */
#define G_LOG_DOMAIN "srv-store-pg"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-figures.h"
#include "mdn-json.h"
#include "mdn-report.h"
#include "mdn-report-export.h"
#include "srv-store-backends.h"
#include "srv-store-pg-private.h"

/* Receipt figures kept on apply ---------------------------------------------------- */

/* The kinds whose apply writes a receipt row (mdn_receipt_apply): a
 * return's total is minus its refund, the others' their total_fen. */
static gboolean
receipt_kind (const char *kind)
{
  static const char *const kinds[] = { "sale", "sale.quick", "sale.return", "timed.stop", "timed.prepay",
                                       "timed.extend", NULL };

  return g_strv_contains (kinds, kind);
}

/* After an applied entry is stored (srv_pg_entry_apply): a member's
 * receipt moves its last visit and what it spent (srv_member_receipts). */
gboolean
report_entry_applied (SrvPg    *pg,
                      MdnEntry *entry,
                      GError  **error)
{
  static const char *const sql =
    "INSERT INTO srv_member_receipts (member_id, last_visit, spent_fen) VALUES ($1, $2::date, $3) "
    "ON CONFLICT (member_id) DO UPDATE SET "
    "last_visit = greatest (srv_member_receipts.last_visit, excluded.last_visit), "
    "spent_fen = srv_member_receipts.spent_fen + excluded.spent_fen";
  gint64 total;
  char text[24];
  const char *values[3];
  int held;

  if (entry->member_id == NULL || !receipt_kind (entry->kind) ||
      mdn_body_string (entry->body, "receipt_no") == NULL)
    return TRUE;
  total = g_str_equal (entry->kind, "sale.return") ? -mdn_body_int (entry->body, "refund_fen", 0)
                                                   : mdn_body_int (entry->body, "total_fen", 0);
  /* With the push's other held-back writes when they are (srv-store-pg-push.c). */
  g_snprintf (text, sizeof text, "%" G_GINT64_FORMAT, total);
  values[0] = entry->member_id;
  values[1] = entry->business_date;
  values[2] = text;
  held = srv_pg_push_defer (pg, sql, 3, values, error);
  if (held != 0)
    return held > 0;
  return pq_exec (pg, error, sql, "ssi", entry->member_id, entry->business_date, total);
}

/* Helpers ---------------------------------------------------------------------------- */

/* @ids as a PostgreSQL text[] literal ({"a","b"}). */
char *
text_array (GPtrArray *ids)
{
  GString *s = g_string_new ("{");

  for (guint i = 0; i < ids->len; i++)
    {
      g_string_append (s, i ? ",\"" : "\"");
      for (const char *p = g_ptr_array_index (ids, i); *p; p++)
        {
          if (*p == '"' || *p == '\\')
            g_string_append_c (s, '\\');
          g_string_append_c (s, *p);
        }
      g_string_append_c (s, '"');
    }
  g_string_append_c (s, '}');
  return g_string_free (s, FALSE);
}

static gboolean
sqlite_failed (MdnDb   *db,
               GError **error)
{
  return mdn_db_set_database_error (db, error);
}

/* What a report reads besides the catalogue. */
typedef struct
{
  gboolean entries;   /* the period's entries */
  gboolean deposits;  /* and the deposits' kept balances after */
  gboolean rollup;    /* srv_rollup_day of the period */
  gboolean opening;   /* and its sum before the period */
  gboolean stock;
  gboolean members;
} Needs;

static Needs
needs_of (const MdnReportDef *def)
{
  Needs n = { 0 };
  const char *name = def->name;

  if (g_str_equal (name, "summary") || g_str_equal (name, "settlement"))
    n.rollup = TRUE;
  else if (g_str_equal (name, "liability"))
    n.rollup = n.opening = TRUE;
  else if (g_str_equal (name, "products"))
    n.stock = TRUE;
  else if (g_str_equal (name, "members"))
    n.members = TRUE;
  else
    {
      /* Every other report reads the period's entries (a new one too). */
      n.entries = TRUE;
      n.deposits = g_str_equal (name, "deposits");
    }
  return n;
}

/* The period's entries ---------------------------------------------------------------- */

typedef struct
{
  GHashTable       *members;  /* member ids the copied entries name */
  SrvPgDepositRows *deposits; /* for the deposits' balance after, or NULL */
} Copied;

/* The entries of @day (branch and member filters as the report's) into
 * @db, each with rowid = its arrival order. */
static gboolean
copy_day (SrvPg       *pg,
          MdnDb       *db,
          const char  *day,
          const char  *branch,
          const char  *member_id,
          Copied      *copied,
          GError     **error)
{
  g_autoptr(PGresult) res = pq (pg, error,
                                /* applied through entry_keys' id index, row by row:
                                   a join may scan entry_keys, all of history */
                                "SELECT (SELECT k.applied FROM entry_keys k WHERE k.id = e.id) AS applied, e.doc "
                                "FROM entries e "
                                "WHERE e.business_date = $1::date AND ($2::text IS NULL OR e.branch = $2) "
                                "AND ($3::text IS NULL OR e.member_id = $3) ORDER BY applied",
                                "sss", day, branch, member_id);
  g_autoptr(GPtrArray) docs = g_ptr_array_new ();
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_entry_free);

  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 0)
    return TRUE;
  for (int r = 0; r < PQntuples (res); r++)
    g_ptr_array_add (docs, (gpointer) col (res, r, 1));
  if (!entries_from_docs (docs, entries, error))
    return FALSE;
  for (guint i = 0; i < entries->len; i++)
    {
      MdnEntry *entry = g_ptr_array_index (entries, i);
      gint64 applied = col_int (res, (int) i, 0);

      sqlite3_stmt *have = mdn_db_query (db, error, "SELECT 1 FROM entries WHERE id = ?", "s", entry->id);
      int rc;

      /* An entry of the catalogue or of stock is there already (replayed). */
      if (have == NULL || (rc = mdn_db_step (db, have, error)) < 0)
        return FALSE;
      sqlite3_reset (have);
      if ((rc != SQLITE_ROW && !mdn_ledger_store (db, entry, error)) ||
          !mdn_db_exec (db, error, "UPDATE entries SET rowid = ? WHERE id = ?", "is", applied, entry->id))
        return FALSE;
      if (entry->member_id)
        g_hash_table_add (copied->members, g_strdup (entry->member_id));
      if (copied->deposits)
        srv_pg_deposit_rows_add (copied->deposits, entry, applied);
    }
  return TRUE;
}

/* The members the copied entries name: card number and name, as
 * mdn_report_member reads them. */
static gboolean
copy_named_members (SrvPg      *pg,
                    MdnDb      *db,
                    GHashTable *members,
                    GError    **error)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new ();
  g_autofree char *array = NULL;
  g_autoptr(PGresult) res = NULL;
  GHashTableIter it;
  gpointer key;

  if (g_hash_table_size (members) == 0)
    return TRUE;
  g_hash_table_iter_init (&it, members);
  while (g_hash_table_iter_next (&it, &key, NULL))
    g_ptr_array_add (ids, key);
  array = text_array (ids);
  res = pq (pg, error, "SELECT id, card_no, name, phone, level, status, issued_at, issued_branch "
                       "FROM srv_members WHERE id = ANY ($1::text[])", "s", array);
  if (res == NULL)
    return FALSE;
  for (int r = 0; r < PQntuples (res); r++)
    if (!mdn_db_exec (db, error,
                      "INSERT OR IGNORE INTO members (id, card_no, name, phone, level, status, issued_at, issued_branch) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                      "ssssssss", col (res, r, 0), col (res, r, 1), col (res, r, 2), col (res, r, 3),
                      col (res, r, 4), col (res, r, 5), col (res, r, 6), col (res, r, 7)))
      return FALSE;
  return TRUE;
}

static gboolean
copy_period (SrvPg                *pg,
             MdnDb                *db,
             const MdnReportQuery *q,
             const char           *member_id,
             gboolean              deposits,
             GError              **error)
{
  g_autoptr(GHashTable) members = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(SrvPgDepositRows) rows = deposits ? srv_pg_deposit_rows_new () : NULL;
  Copied copied = { members, rows };
  g_autoptr(PGresult) span = NULL;
  GDate day, last;
  char text[16];

  /* The days of the period that have entries at all (the ends of each
     month partition's index): a period of years asks only for those. */
  span = pq (pg, error, "SELECT to_char (min (business_date), 'YYYY-MM-DD'), to_char (max (business_date), 'YYYY-MM-DD') "
                        "FROM entries WHERE business_date BETWEEN $1::date AND $2::date", "ss", q->from, q->to);
  if (span == NULL)
    return FALSE;

  /* The replayed catalogue's rows out of the way of the arrival order
     (applied, from 1): they hold no member's movements. */
  if (!mdn_db_exec (db, error, "UPDATE entries SET rowid = -rowid", ""))
    return FALSE;
  g_date_clear (&day, 1);
  g_date_clear (&last, 1);
  if (col (span, 0, 0))
    {
      g_date_set_parse (&day, col (span, 0, 0));
      g_date_set_parse (&last, col (span, 0, 1));
    }
  for (; col (span, 0, 0) && g_date_compare (&day, &last) <= 0; g_date_add_days (&day, 1))
    {
      g_date_strftime (text, sizeof text, "%Y-%m-%d", &day);
      if (!copy_day (pg, db, text, q->branch, member_id, &copied, error))
        return FALSE;
    }
  if (rows && !srv_pg_deposits_fill (pg, db, rows, error))
    return FALSE;
  return copy_named_members (pg, db, members, error);
}

/* Rollups ---------------------------------------------------------------------------- */

/* The scratch's srv_rollup_day (a column per figure, as the server's) and
 * the statements that fill it from PostgreSQL's, made once. */
static const char *rollup_create_sql, *rollup_insert_sql, *rollup_period_sql, *rollup_opening_sql;

static void
rollup_sql_once (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      guint n;
      const MdnFigureField *fields = mdn_figures_fields (&n);
      GString *create = g_string_new ("CREATE TABLE srv_rollup_day (business_date TEXT NOT NULL, branch TEXT NOT NULL");
      GString *insert = g_string_new ("INSERT INTO srv_rollup_day (business_date, branch");
      GString *values = g_string_new ("?, ?");
      GString *period = g_string_new ("SELECT to_char (business_date, 'YYYY-MM-DD'), branch");
      GString *opening = g_string_new ("SELECT to_char ($1::date - 1, 'YYYY-MM-DD'), branch");

      for (guint i = 0; i < n; i++)
        {
          g_string_append_printf (create, ", %s INTEGER NOT NULL DEFAULT 0", fields[i].name);
          g_string_append_printf (insert, ", %s", fields[i].name);
          g_string_append (values, ", ?");
          g_string_append_printf (period, ", %s", fields[i].name);
          g_string_append_printf (opening, ", sum (%s)::bigint", fields[i].name);
        }
      g_string_append (create, ", PRIMARY KEY (business_date, branch))");
      g_string_append_printf (insert, ") VALUES (%s)", values->str);
      g_string_append (period, " FROM srv_rollup_day WHERE business_date BETWEEN $1::date AND $2::date "
                               "AND ($3::text IS NULL OR branch = $3)");
      g_string_append (opening, " FROM srv_rollup_day WHERE business_date < $1::date "
                                "AND ($2::text IS NULL OR branch = $2) GROUP BY branch");
      g_string_free (values, TRUE);
      rollup_create_sql = g_string_free (create, FALSE);
      rollup_insert_sql = g_string_free (insert, FALSE);
      rollup_period_sql = g_string_free (period, FALSE);
      rollup_opening_sql = g_string_free (opening, FALSE);
      g_once_init_leave (&done, 1);
    }
}

static gboolean
insert_rollups (MdnDb    *db,
                PGresult *res,
                GError  **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int n = PQnfields (res);

  if (PQntuples (res) == 0)
    return TRUE;
  if (sqlite3_prepare_v2 (mdn_db_handle (db), rollup_insert_sql, -1, &stmt, NULL) != SQLITE_OK)
    return sqlite_failed (db, error);
  for (int r = 0; r < PQntuples (res); r++)
    {
      sqlite3_bind_text (stmt, 1, col (res, r, 0), -1, SQLITE_TRANSIENT);
      sqlite3_bind_text (stmt, 2, col (res, r, 1), -1, SQLITE_TRANSIENT);
      for (int c = 2; c < n; c++)
        sqlite3_bind_int64 (stmt, c + 1, col_int (res, r, c));
      if (sqlite3_step (stmt) != SQLITE_DONE)
        return sqlite_failed (db, error);
      sqlite3_reset (stmt);
    }
  return TRUE;
}

static gboolean
copy_rollups (SrvPg                *pg,
              MdnDb                *db,
              const MdnReportQuery *q,
              gboolean              opening,
              GError              **error)
{
  g_autoptr(PGresult) period = pq (pg, error, rollup_period_sql, "sss", q->from, q->to, q->branch);

  if (period == NULL || !insert_rollups (db, period, error))
    return FALSE;
  if (opening)
    {
      g_autoptr(PGresult) before = pq (pg, error, rollup_opening_sql, "ss", q->from, q->branch);

      if (before == NULL || !insert_rollups (db, before, error))
        return FALSE;
    }
  return TRUE;
}

/* Members ---------------------------------------------------------------------------- */

/* Every member (or @member_id) with its balances (accounts), package uses
 * left and receipt figures (srv_member_receipts: one receipt row in the
 * scratch carries the last visit and the total spent). */
static gboolean
copy_members (SrvPg      *pg,
              MdnDb      *db,
              const char *member_id,
              GError    **error)
{
  g_autofree char *after = g_strdup ("");

  for (;;)
    {
      g_autoptr(PGresult) res = pq (pg, error,
                                    "SELECT m.id, m.card_no, m.name, m.phone, m.level, m.birthday, m.status, "
                                    "m.expires_on, m.issued_at, m.issued_branch, "
                                    "COALESCE ((SELECT balance FROM accounts a WHERE a.member_id = m.id "
                                    "  AND a.account = 'principal' AND a.item = ''), 0), "
                                    "COALESCE ((SELECT balance FROM accounts a WHERE a.member_id = m.id "
                                    "  AND a.account = 'bonus' AND a.item = ''), 0), "
                                    "COALESCE ((SELECT balance FROM accounts a WHERE a.member_id = m.id "
                                    "  AND a.account = 'points' AND a.item = ''), 0), "
                                    "(SELECT sum (balance)::bigint FROM accounts a WHERE a.member_id = m.id "
                                    "  AND a.account = 'package'), "
                                    "to_char (r.last_visit, 'YYYY-MM-DD'), r.spent_fen "
                                    "FROM srv_members m LEFT JOIN srv_member_receipts r ON r.member_id = m.id "
                                    "WHERE ($1::text IS NULL OR m.id = $1) AND m.id > $2 "
                                    "ORDER BY m.id LIMIT 5000",
                                    "ss", member_id, after);

      if (res == NULL)
        return FALSE;
      for (int r = 0; r < PQntuples (res); r++)
        {
          const char *id = col (res, r, 0);

          if (!mdn_db_exec (db, error,
                            "INSERT INTO members (id, card_no, name, phone, level, birthday, status, expires_on, "
                            "issued_at, issued_branch, principal_fen, bonus_fen, points) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                            "ssssssssssiii", id, col (res, r, 1), col (res, r, 2), col (res, r, 3),
                            col (res, r, 4), col (res, r, 5), col (res, r, 6), col (res, r, 7), col (res, r, 8),
                            col (res, r, 9), col_int (res, r, 10), col_int (res, r, 11), col_int (res, r, 12)))
            return FALSE;
          if (col (res, r, 13) &&
              !mdn_db_exec (db, error, "INSERT INTO member_packages (member_id, item, lot, remaining) "
                            "VALUES (?, '', '', ?)", "si", id, col_int (res, r, 13)))
            return FALSE;
          if (col (res, r, 14) &&
              !mdn_db_exec (db, error, "INSERT INTO receipts (receipt_no, entry_id, branch, kind, business_date, "
                            "member_id, total_fen) VALUES (?1, ?1, '', 'sale', ?2, ?1, ?3)",
                            "ssi", id, col (res, r, 14), col_int (res, r, 15)))
            return FALSE;
        }
      if (PQntuples (res) < 5000)
        return TRUE;
      g_free (after);
      after = g_strdup (col (res, PQntuples (res) - 1, 0));
    }
}

/* The scratch of one run ---------------------------------------------------------------- */

/* The scratch database holding what @def reads for @q, in its open
 * transaction (the caller rolls it back), every row from one snapshot. A
 * query the framework refuses (bad dates, an unknown card) gets the bare
 * catalogue, so that the framework says why, as on SQLite. */
static MdnDb *
report_scratch (SrvPg                *pg,
                const MdnReportDef   *def,
                const MdnReportQuery *q,
                GError              **error)
{
  Needs need = needs_of (def);
  gboolean own_tx = !pg->in_tx;
  gboolean valid = q->from && q->to && mdn_date_valid (q->from) && mdn_date_valid (q->to) &&
                   strcmp (q->from, q->to) <= 0;
  g_autofree char *member_id = NULL;
  MdnDb *db = NULL;
  gboolean ok = FALSE;

  rollup_sql_once ();
  if (own_tx && !pq_simple (pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", error))
    return NULL;
  db = need.stock ? stock_scratch (pg, error) : catalog_scratch (pg, error);
  if (db == NULL)
    goto out;
  if (!mdn_db_exec_script (db, rollup_create_sql, error))
    goto out;
  if (q->member)
    {
      g_autoptr(PGresult) card = pq (pg, error, "SELECT member_id FROM srv_cards WHERE card_no = $1", "s", q->member);

      if (card == NULL)
        goto out;
      if (PQntuples (card) == 1)
        {
          member_id = g_strdup (col (card, 0, 0));
          if (!mdn_db_exec (db, error, "INSERT INTO cards (card_no, member_id, status) VALUES (?, ?, 'current')",
                            "ss", q->member, member_id))
            goto out;
        }
    }
  ok = TRUE;
  if (valid && (member_id || q->member == NULL))
    {
      if (need.entries)
        ok = copy_period (pg, db, q, member_id, need.deposits, error);
      else if (need.rollup)
        ok = copy_rollups (pg, db, q, need.opening, error);
      else if (need.members)
        ok = copy_members (pg, db, member_id, error);
    }

out:
  if (own_tx)
    pq_simple (pg, "ROLLBACK", NULL);
  if (!ok && db)
    {
      mdn_db_rollback (db);
      db = NULL;
    }
  return db;
}

gboolean
srv_pg_report (SrvPg                        *pg,
               const MdnReportDef           *def,
               const MdnReportQuery         *query,
               MdnReportFormat               format,
               const char                   *path,
               const MdnReportExportOptions *options,
               gint64                       *n_rows,
               GError                      **error)
{
  MdnDb *db;
  gboolean ok;

  g_return_val_if_fail (pg != NULL && def != NULL && query != NULL && path != NULL, FALSE);

  if (n_rows)
    *n_rows = 0;
  if ((db = report_scratch (pg, def, query, error)) == NULL)
    return FALSE;
  ok = mdn_report_export_file (db, def, query, format, path, options, n_rows, error);
  mdn_db_rollback (db);
  return ok;
}

JsonObject *
srv_pg_console_report_page (SrvPg                *pg,
                            const MdnReportDef   *def,
                            const MdnReportQuery *query,
                            gint64                limit,
                            const char           *after,
                            GError              **error)
{
  MdnDb *db;
  JsonObject *page;

  g_return_val_if_fail (pg != NULL && def != NULL && query != NULL, NULL);

  if ((db = report_scratch (pg, def, query, error)) == NULL)
    return NULL;
  page = mdn_report_page (db, def, query, limit, after, error);
  mdn_db_rollback (db);
  return page;
}
