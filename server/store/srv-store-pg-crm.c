/* srv-store-pg-crm.c: the members' figures on PostgreSQL and the SMS
 * campaign's members read with them (schema/server/postgres/
 * 0010_member_figures.sql).
 *
 * Kept: srv_member_figures (first and last visit, visits, spent, deposits)
 * and srv_member_days (visits and spent by member and business day), as
 * the SQLite server's member_figures and member_days, by the rule its
 * apply hook uses (mdn_member_figures_of), on every applied entry in the
 * push's transaction: with the push's held-back writes when the entry is
 * held back (srv-store-pg-push.c; the held-back entries' figures in one
 * statement over arrays, srv_pg_push_defer_row), so a push that rolls back
 * leaves no figure behind. Every figure is a sum or a min/max: any order of arrival,
 * and two pushes of one member at once (serialized by the row's lock, and
 * by the member's, taken first), give the same row.
 *
 * A campaign's members (srv_pg_sms_campaign_members) are chosen by
 * mdn-member-filter itself, unchanged, over a scratch branch schema holding
 * what the filter reads: the active members (srv_members, the balances and
 * points from accounts), every member's figures (the segments' averages are
 * over all of them), and, for a window (as_of, days), per member at most
 * two member_days rows that give the filter the same window sums and the
 * same last visit on or before as_of as the member's every day would
 * (window_rows). That is one read of the members and one of the figures,
 * by pages, and for a window an index range per member: as much as the
 * SQLite filter reads, never the entries, so it stays flat as history
 * grows. */
#define G_LOG_DOMAIN "srv-store-pg"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-member-figures.h"
#include "mdn-member-filter.h"
#include "srv-store-pg-private.h"

#define PAGE 5000

/* What entries add to their members' figures: one statement for both
 * tables, over arrays (member, business day, visits, spent, deposits; one
 * element an entry), summed by member and by member and day first (one
 * INSERT may not update a row twice). A deposit has no day row. The rows
 * it locks are of members whose srv_members row the push locked first. */
static const char *const figures_sql =
  "WITH x AS (SELECT * FROM unnest ($1::text[], $2::date[], $3::bigint[], $4::bigint[], $5::bigint[]) "
  "  AS x (member_id, business_date, visits, spent_fen, deposits)), "
  "f AS (INSERT INTO srv_member_figures AS t (member_id, first_visit, last_visit, visits, spent_fen, deposits) "
  "  SELECT member_id, min (business_date) FILTER (WHERE visits > 0), max (business_date) FILTER (WHERE visits > 0), "
  "         sum (visits), sum (spent_fen), sum (deposits) FROM x GROUP BY member_id "
  "  ON CONFLICT (member_id) DO UPDATE SET first_visit = least (t.first_visit, excluded.first_visit), "
  "  last_visit = greatest (t.last_visit, excluded.last_visit), visits = t.visits + excluded.visits, "
  "  spent_fen = t.spent_fen + excluded.spent_fen, deposits = t.deposits + excluded.deposits) "
  "INSERT INTO srv_member_days AS d (member_id, business_date, visits, spent_fen) "
  "SELECT member_id, business_date, sum (visits), sum (spent_fen) FROM x WHERE deposits = 0 "
  "GROUP BY member_id, business_date "
  "ON CONFLICT (member_id, business_date) DO UPDATE SET visits = d.visits + excluded.visits, "
  "spent_fen = d.spent_fen + excluded.spent_fen";

/* @value as a one-element array literal. */
static char *
one (const char *value)
{
  GString *s = g_string_new ("{\"");

  for (const char *c = value; *c; c++)
    {
      if (*c == '"' || *c == '\\')
        g_string_append_c (s, '\\');
      g_string_append_c (s, *c);
    }
  g_string_append (s, "\"}");
  return g_string_free (s, FALSE);
}

gboolean
crm_entry_applied (SrvPg    *pg,
                   MdnEntry *entry,
                   GError  **error)
{
  MdnMemberFigureAdd a;
  char visits[4], spent[24], deposits[4];
  const char *values[5];
  char *v[5];
  gboolean ok;
  int held;

  if (!mdn_member_figures_of (entry, &a, error))
    return FALSE;
  if (!a.counts)
    return TRUE;
  g_snprintf (visits, sizeof visits, "%d", a.visit ? 1 : 0);
  g_snprintf (spent, sizeof spent, "%" G_GINT64_FORMAT, a.spent_fen);
  g_snprintf (deposits, sizeof deposits, "%d", a.deposit ? 1 : 0);
  values[0] = entry->member_id;
  values[1] = entry->business_date;
  values[2] = visits;
  values[3] = spent;
  values[4] = deposits;
  /* With the push's held-back writes, the push's entries in one statement. */
  held = srv_pg_push_defer_row (pg, figures_sql, 5, values, error);
  if (held != 0)
    return held > 0;
  for (int i = 0; i < 5; i++)
    v[i] = one (values[i]);
  ok = pq_exec (pg, error, figures_sql, "sssss", v[0], v[1], v[2], v[3], v[4]);
  for (int i = 0; i < 5; i++)
    g_free (v[i]);
  return ok;
}

/* The campaign's members ------------------------------------------------------------ */

/* The active members, as the branch schema's members table holds them. */
static const char *const members_sql =
  "SELECT m.id, m.card_no, m.name, m.phone, m.level, m.birthday, m.status, m.expires_on, m.issued_at, "
  "m.issued_branch, coalesce (sum (a.balance) FILTER (WHERE a.account = 'principal'), 0), "
  "coalesce (sum (a.balance) FILTER (WHERE a.account = 'bonus'), 0), "
  "coalesce (sum (a.balance) FILTER (WHERE a.account = 'points'), 0), m.sms_consent::integer, "
  "m.sms_opt_out::integer "
  "FROM srv_members m LEFT JOIN accounts a ON a.member_id = m.id AND a.item = '' "
  "  AND a.account IN ('principal', 'bonus', 'points') "
  "WHERE m.status = 'active' AND m.id > $1 GROUP BY m.id ORDER BY m.id LIMIT " G_STRINGIFY (PAGE);

/* Every member's figures, and with $2 as_of (NULL: no window) the last
 * visit on or before it and the sums of the days in [$3 (NULL: the
 * first), $2]. */
static const char *const figures_page_sql =
  "SELECT f.member_id, to_char (f.first_visit, 'YYYY-MM-DD'), to_char (f.last_visit, 'YYYY-MM-DD'), f.visits, "
  "f.spent_fen, f.deposits, "
  "to_char (CASE WHEN $2::date IS NULL OR f.visits = 0 THEN NULL WHEN f.last_visit <= $2::date THEN f.last_visit "
  "  ELSE (SELECT max (d.business_date) FROM srv_member_days d WHERE d.member_id = f.member_id "
  "        AND d.business_date <= $2::date AND d.visits > 0) END, 'YYYY-MM-DD'), "
  "w.n, coalesce (w.v, 0), coalesce (w.s, 0) "
  "FROM srv_member_figures f LEFT JOIN LATERAL (SELECT count (*) AS n, sum (d.visits) AS v, sum (d.spent_fen) AS s "
  "  FROM srv_member_days d WHERE $2::date IS NOT NULL AND d.member_id = f.member_id "
  "  AND d.business_date <= $2::date AND ($3::date IS NULL OR d.business_date >= $3::date)) w ON true "
  "WHERE f.member_id > $1 ORDER BY f.member_id LIMIT " G_STRINGIFY (PAGE);

static gboolean
copy_members (SrvPg   *pg,
              MdnDb   *db,
              GError **error)
{
  g_autofree char *after = g_strdup ("");

  for (;;)
    {
      g_autoptr(PGresult) res = pq (pg, error, members_sql, "s", after);
      int n;

      if (res == NULL)
        return FALSE;
      n = PQntuples (res);
      for (int r = 0; r < n; r++)
        if (!mdn_db_exec (db, error,
                          "INSERT INTO members (id, card_no, name, phone, level, birthday, status, expires_on, "
                          "issued_at, issued_branch, principal_fen, bonus_fen, points, sms_consent, sms_opt_out) "
                          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
                          "ssssssssssiiiii", col (res, r, 0), col (res, r, 1), col (res, r, 2), col (res, r, 3),
                          col (res, r, 4), col (res, r, 5), col (res, r, 6), col (res, r, 7), col (res, r, 8),
                          col (res, r, 9), col_int (res, r, 10), col_int (res, r, 11), col_int (res, r, 12),
                          col_int (res, r, 13), col_int (res, r, 14)))
          return FALSE;
      if (n < PAGE)
        return TRUE;
      g_free (after);
      after = g_strdup (col (res, n - 1, 0));
    }
}

/* A member's member_days rows for the window [@from, @as_of]: what the
 * filter reads of them is the window's sums (visits, spent) and the last
 * day on or before as_of with a visit (@last, when the member's last visit
 * is after as_of). One row of the sums on @last when it lies in the window
 * (it has a visit, so its visits are > 0), else on @from (then the window
 * has no visit: its visits are 0); and a row of one visit on @last when it
 * lies before the window. The window's sums and the latest day with a
 * visit on or before as_of are the member's own. */
static gboolean
window_rows (MdnDb      *db,
             PGresult   *res,
             int         r,
             const char *from,
             GError    **error)
{
  const char *member = col (res, r, 0), *last = col (res, r, 6);

  if (col_int (res, r, 7) > 0 &&
      !mdn_db_exec (db, error, "INSERT INTO member_days (member_id, business_date, visits, spent_fen) "
                               "VALUES (?1, ?2, ?3, ?4)", "ssii", member,
                    last && strcmp (last, from) >= 0 ? last : from, col_int (res, r, 8), col_int (res, r, 9)))
    return FALSE;
  if (last && strcmp (last, from) < 0 &&
      !mdn_db_exec (db, error, "INSERT INTO member_days (member_id, business_date, visits, spent_fen) "
                               "VALUES (?1, ?2, 1, 0)", "ss", member, last))
    return FALSE;
  return TRUE;
}

static gboolean
copy_figures (SrvPg      *pg,
              MdnDb      *db,
              const char *as_of,
              const char *from,
              GError    **error)
{
  g_autofree char *after = g_strdup ("");
  /* "0000-00-00" (every day up to as_of) is no PostgreSQL date. */
  const char *lower = from && strcmp (from, "0000-00-00") != 0 ? from : NULL;

  for (;;)
    {
      g_autoptr(PGresult) res = pq (pg, error, figures_page_sql, "sss", after, from ? as_of : NULL, lower);
      int n;

      if (res == NULL)
        return FALSE;
      n = PQntuples (res);
      for (int r = 0; r < n; r++)
        {
          if (!mdn_db_exec (db, error,
                            "INSERT INTO member_figures (member_id, first_visit, last_visit, visits, spent_fen, "
                            "deposits) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", "sssiii", col (res, r, 0), col (res, r, 1),
                            col (res, r, 2), col_int (res, r, 3), col_int (res, r, 4), col_int (res, r, 5)))
            return FALSE;
          if (from && !window_rows (db, res, r, from, error))
            return FALSE;
        }
      if (n < PAGE)
        return TRUE;
      g_free (after);
      after = g_strdup (col (res, n - 1, 0));
    }
}

gboolean
srv_pg_sms_campaign_members (SrvPg           *pg,
                             JsonObject      *filter,
                             const char      *today,
                             SrvSmsMemberFunc each,
                             gpointer         user_data,
                             GError         **error)
{
  g_autofree char *as_of = NULL, *from = NULL;
  MdnDb *db;
  gboolean ok;

  g_return_val_if_fail (pg != NULL && filter != NULL && today != NULL && each != NULL, FALSE);

  /* A bad window is refused here as the filter would refuse it. */
  if (!mdn_member_filter_window (filter, today, &as_of, &from, error))
    return FALSE;
  if ((db = scratch_begin (pg, error)) == NULL)
    return FALSE;
  ok = copy_members (pg, db, error) && copy_figures (pg, db, as_of, from, error) &&
       srv_sms_filter_members (db, filter, today, each, user_data, error);
  mdn_db_rollback (db);
  return ok;
}
