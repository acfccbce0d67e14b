/* mdn-member-filter.c: member.filter and member.segments (see
 * mdn-member-filter.h, docs/members.md).
 *
 * RFM: over the members with at least one visit on or before as_of,
 * recency is the days from the last visit on or before as_of to as_of,
 * frequency the visits, monetary what they spent: over the whole history
 * (member_figures) when neither as_of nor days is given, otherwise over
 * the days ending at as_of (days: a window; none: every day up to as_of),
 * summed from an index range of member_days (one row per member and
 * business day, kept on apply). Each is "high" against the chain's average (recency:
 * at most the average days; the others: at least the average), and the
 * three give one of the classic eight segments:
 *
 *   R F M   segment               R F M   segment
 *   + + +   important_value       + + -   general_value
 *   + - +   important_development + - -   general_development
 *   - + +   important_retention   - + -   general_retention
 *   - - +   important_winback     - - -   general_winback
 */
#define G_LOG_DOMAIN "mdn-member-filter"

#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-member-filter.h"
#include "mdn-report-private.h"

static const struct { const char *code; const char *name; } segments[] = {
  { "important_value",       N_("Important value") },
  { "important_development", N_("Important development") },
  { "important_retention",   N_("Important retention") },
  { "important_winback",     N_("Important win-back") },
  { "general_value",         N_("General value") },
  { "general_development",   N_("General development") },
  { "general_retention",     N_("General retention") },
  { "general_winback",       N_("General win-back") },
};

/* The averages the segments are judged against, in integers: recency in
 * days, frequency in visits ×1000, monetary in fen. */
typedef struct
{
  gint64 members;
  gint64 recency_days;
  gint64 frequency_milli;
  gint64 monetary_fen;
} Averages;

/* The figures a member (f, member_figures) is scored on, with ?20 as_of
 * and ?24 the window's first day (null: the whole history, as kept in
 * member_figures): the window's sums (w) from the range of member_days. */
#define WINDOW_JOIN \
  "LEFT JOIN (SELECT member_id, sum (visits) AS visits, sum (spent_fen) AS spent_fen FROM member_days " \
  "           WHERE ?24 IS NOT NULL AND business_date >= ?24 AND business_date <= ?20 GROUP BY member_id) w " \
  "ON w.member_id = f.member_id "
/* The last visit on or before as_of (null: none). */
#define R_LAST \
  "(CASE WHEN f.visits IS NULL OR f.visits = 0 THEN NULL WHEN ?24 IS NULL OR f.last_visit <= ?20 THEN f.last_visit " \
  "ELSE (SELECT max (d.business_date) FROM member_days d WHERE d.member_id = f.member_id " \
  "      AND d.business_date <= ?20 AND d.visits > 0) END)"
#define F_VISITS "(CASE WHEN ?24 IS NULL THEN f.visits ELSE coalesce (w.visits, 0) END)"
#define M_SPENT  "(CASE WHEN ?24 IS NULL THEN f.spent_fen ELSE coalesce (w.spent_fen, 0) END)"

static gboolean
bind_window (MdnDb        *db,
             sqlite3_stmt *stmt,
             const char   *as_of,
             const char   *from,
             GError      **error)
{
  if (sqlite3_bind_text (stmt, 20, as_of, -1, SQLITE_TRANSIENT) ||
      (from ? sqlite3_bind_text (stmt, 24, from, -1, SQLITE_TRANSIENT) : sqlite3_bind_null (stmt, 24)))
    {
      sqlite3_reset (stmt);
      mdn_db_set_database_error (db, error);
      return FALSE;
    }
  return TRUE;
}

static gboolean
averages (MdnDb      *db,
          const char *as_of,
          const char *from,
          Averages   *out,
          GError    **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = mdn_db_query (db, error,
                       "SELECT count (*), "
                       "coalesce (sum (julianday (?20) - julianday (r)) / count (*), 0), "
                       "coalesce (sum (v) * 1000 / count (*), 0), coalesce (sum (s) / count (*), 0) "
                       "FROM (SELECT " R_LAST " AS r, " F_VISITS " AS v, " M_SPENT " AS s "
                       "      FROM member_figures f " WINDOW_JOIN ") WHERE r IS NOT NULL", "");
  if (stmt == NULL || !bind_window (db, stmt, as_of, from, error) ||
      (rc = mdn_db_step (db, stmt, error)) != SQLITE_ROW)
    return FALSE;
  out->members = sqlite3_column_int64 (stmt, 0);
  out->recency_days = sqlite3_column_int64 (stmt, 1);
  out->frequency_milli = sqlite3_column_int64 (stmt, 2);
  out->monetary_fen = sqlite3_column_int64 (stmt, 3);
  sqlite3_reset (stmt);
  return TRUE;
}

/* The segment of member m (joined to f and w) as SQL, with ?20 as_of, ?21
 * the average days, ?22 the average visits ×1000, ?23 the average spent,
 * ?24 the window's first day. */
#define SEGMENT_SQL \
  "CASE WHEN " R_LAST " IS NULL THEN NULL ELSE " \
  "CASE ((julianday (?20) - julianday (" R_LAST ")) <= ?21) * 4 + (" F_VISITS " * 1000 >= ?22) * 2 + " \
  "     (" M_SPENT " >= ?23) " \
  "WHEN 7 THEN 'important_value' WHEN 5 THEN 'important_development' " \
  "WHEN 3 THEN 'important_retention' WHEN 1 THEN 'important_winback' " \
  "WHEN 6 THEN 'general_value' WHEN 4 THEN 'general_development' " \
  "WHEN 2 THEN 'general_retention' ELSE 'general_winback' END END"

/* One statement for every filter: each condition holds when its parameter
 * is null. */
#define FILTER_WHERE \
  "WHERE m.status != 'replaced' " \
  "AND (?1 IS NULL OR m.level = ?1) " \
  "AND (?2 IS NULL OR m.principal_fen + m.bonus_fen >= ?2) " \
  "AND (?3 IS NULL OR m.principal_fen + m.bonus_fen <= ?3) " \
  "AND (?4 IS NULL OR m.points >= ?4) " \
  "AND (?5 IS NULL OR coalesce (f.last_visit, '') < ?5) " \
  "AND (?6 IS NULL OR f.last_visit > ?6) " \
  "AND (?7 IS NULL OR (m.birthday IS NOT NULL AND " \
  "     CAST (substr (m.birthday, length (m.birthday) - 4, 2) AS INTEGER) = ?7)) " \
  "AND (?8 IS NULL OR coalesce (f.spent_fen, 0) >= ?8) " \
  "AND (?9 IS NULL OR m.issued_at >= ?9) " \
  "AND (?10 IS NULL OR substr (m.issued_at, 1, 10) <= ?10) " \
  "AND (?11 IS NULL OR (" SEGMENT_SQL ") = ?11) " \
  "AND (?12 IS NULL OR m.id > ?12) "

#define FILTER_COLUMNS "m.id, m.card_no, m.name, m.phone, m.level, m.principal_fen + m.bonus_fen, m.points, " \
                       "m.sms_consent, m.sms_opt_out"

typedef struct
{
  const char *level, *last_visit_before, *last_visit_after, *issued_from, *issued_to, *segment, *after;
  gint64 balance_min, balance_max, points_min, birthday_month, spent_min;
  gboolean has_balance_min, has_balance_max, has_points_min, has_birthday_month, has_spent_min;
  Averages avg;
  const char *as_of, *from;   /* the segments' window (from null: whole history) */
  char from_buf[11];
  char issued_buf[2][11];   /* issued_at as issued_from and issued_to */
} Filter;

static gboolean
opt_int (JsonObject *args,
         const char *name,
         gint64     *out,
         gboolean   *has,
         GError    **error)
{
  *has = json_object_has_member (args, name) && !JSON_NODE_HOLDS_NULL (json_object_get_member (args, name));
  return !*has || mdn_args_int (args, name, TRUE, out, error);
}

static gboolean
valid_segment (const char *code,
               GError    **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (segments); i++)
    if (g_str_equal (segments[i].code, code))
      return TRUE;
  g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("“%s” is not a member segment"), code);
  return FALSE;
}

/* The segments' window: as_of (default today) and days ending there
 * (default: every day up to as_of; neither: the whole history). */
static gboolean
read_window (JsonObject *args,
             const char *today,
             Filter     *f,
             GError    **error)
{
  const char *as_of = NULL;
  gint64 days = 0;
  gboolean has_days;
  GDate date;

  if (!mdn_args_date (args, "as_of", FALSE, &as_of, error) ||
      !opt_int (args, "days", &days, &has_days, error))
    return FALSE;
  f->as_of = as_of ? as_of : today;
  f->from = NULL;
  if (has_days && (days < 1 || days > 3660))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("days is the length of the window, 1 to 3660 days"));
      return FALSE;
    }
  if (has_days)
    {
      g_date_clear (&date, 1);
      g_date_set_parse (&date, f->as_of);
      if (!g_date_valid (&date) || g_date_get_julian (&date) <= (guint32) days)
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("“%s” is not a date"), f->as_of);
          return FALSE;
        }
      g_date_subtract_days (&date, (guint) days - 1);
      g_snprintf (f->from_buf, sizeof f->from_buf, "%04d-%02d-%02d", g_date_get_year (&date),
                  g_date_get_month (&date), g_date_get_day (&date));
      f->from = f->from_buf;
    }
  else if (as_of)
    f->from = "0000-00-00";
  return TRUE;
}

gboolean
mdn_member_filter_window (JsonObject *filter,
                          const char *today,
                          char      **out_as_of,
                          char      **out_from,
                          GError    **error)
{
  Filter f;

  g_return_val_if_fail (filter != NULL && today != NULL && out_as_of != NULL && out_from != NULL, FALSE);

  memset (&f, 0, sizeof f);
  *out_as_of = *out_from = NULL;
  if (!read_window (filter, today, &f, error))
    return FALSE;
  *out_as_of = g_strdup (f.as_of);
  *out_from = g_strdup (f.from);
  return TRUE;
}

static gboolean
read_filter (MdnDb      *db,
             JsonObject *args,
             const char *today,
             Filter     *f,
             GError    **error)
{
  memset (f, 0, sizeof *f);
  if (!read_window (args, today, f, error) ||
      !mdn_args_string (args, "level", FALSE, &f->level, error) ||
      !opt_int (args, "balance_min_fen", &f->balance_min, &f->has_balance_min, error) ||
      !opt_int (args, "balance_max_fen", &f->balance_max, &f->has_balance_max, error) ||
      !opt_int (args, "points_min", &f->points_min, &f->has_points_min, error) ||
      !mdn_args_date (args, "last_visit_before", FALSE, &f->last_visit_before, error) ||
      !mdn_args_date (args, "last_visit_after", FALSE, &f->last_visit_after, error) ||
      !opt_int (args, "birthday_month", &f->birthday_month, &f->has_birthday_month, error) ||
      !opt_int (args, "spent_min_fen", &f->spent_min, &f->has_spent_min, error) ||
      !mdn_args_date (args, "issued_from", FALSE, &f->issued_from, error) ||
      !mdn_args_date (args, "issued_to", FALSE, &f->issued_to, error) ||
      !mdn_args_string (args, "segment", FALSE, &f->segment, error) ||
      !mdn_args_string (args, "after", FALSE, &f->after, error))
    return FALSE;
  /* issued_at: a month (YYYY-MM) or a day the card was issued in, read as
     issued_from and issued_to (which it may not be given with). */
  {
    const char *issued = NULL;
    int y, m, d;
    char extra;

    if (!mdn_args_string (args, "issued_at", FALSE, &issued, error))
      return FALSE;
    if (issued && (f->issued_from || f->issued_to))
      {
        g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                             _("Give either issued_at or issued_from and issued_to"));
        return FALSE;
      }
    if (issued && strlen (issued) == 7 && sscanf (issued, "%4d-%2d%c", &y, &m, &extra) == 2 &&
        y >= 1900 && y <= 9999 && m >= 1 && m <= 12)
      {
        g_snprintf (f->issued_buf[0], sizeof f->issued_buf[0], "%04d-%02d-01", y, m);
        g_snprintf (f->issued_buf[1], sizeof f->issued_buf[1], "%04d-%02d-%02d", y, m,
                    g_date_get_days_in_month ((GDateMonth) m, (GDateYear) y));
      }
    else if (issued && strlen (issued) == 10 && sscanf (issued, "%4d-%2d-%2d%c", &y, &m, &d, &extra) == 3 &&
             g_date_valid_dmy ((GDateDay) d, (GDateMonth) m, (GDateYear) y))
      {
        g_strlcpy (f->issued_buf[0], issued, sizeof f->issued_buf[0]);
        g_strlcpy (f->issued_buf[1], issued, sizeof f->issued_buf[1]);
      }
    else if (issued)
      {
        g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                     _("issued_at is a month (2026-09) or a day (2026-09-01), not “%s”"), issued);
        return FALSE;
      }
    if (issued)
      {
        f->issued_from = f->issued_buf[0];
        f->issued_to = f->issued_buf[1];
      }
  }
  if (f->has_birthday_month && (f->birthday_month < 1 || f->birthday_month > 12))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("birthday_month is a month, 1 to 12"));
      return FALSE;
    }
  if ((f->segment && !valid_segment (f->segment, error)) || !averages (db, f->as_of, f->from, &f->avg, error))
    return FALSE;
  return TRUE;
}

static sqlite3_stmt *
filter_query (MdnDb      *db,
              const char *sql,
              Filter     *f,
              gint64      limit,
              GError    **error)
{
  sqlite3_stmt *stmt = mdn_db_query (db, error, sql, "");

  if (stmt == NULL)
    return NULL;
#define BIND_TEXT(i, v) ((v) ? sqlite3_bind_text (stmt, (i), (v), -1, SQLITE_TRANSIENT) : sqlite3_bind_null (stmt, (i)))
#define BIND_INT(i, has, v) ((has) ? sqlite3_bind_int64 (stmt, (i), (v)) : sqlite3_bind_null (stmt, (i)))
  if (BIND_TEXT (1, f->level) || BIND_INT (2, f->has_balance_min, f->balance_min) ||
      BIND_INT (3, f->has_balance_max, f->balance_max) || BIND_INT (4, f->has_points_min, f->points_min) ||
      BIND_TEXT (5, f->last_visit_before) || BIND_TEXT (6, f->last_visit_after) ||
      BIND_INT (7, f->has_birthday_month, f->birthday_month) || BIND_INT (8, f->has_spent_min, f->spent_min) ||
      BIND_TEXT (9, f->issued_from) || BIND_TEXT (10, f->issued_to) || BIND_TEXT (11, f->segment) ||
      BIND_TEXT (12, f->after) || BIND_INT (13, limit > 0, limit) ||
      BIND_TEXT (20, f->as_of) || sqlite3_bind_int64 (stmt, 21, f->avg.recency_days) ||
      sqlite3_bind_int64 (stmt, 22, f->avg.frequency_milli) || sqlite3_bind_int64 (stmt, 23, f->avg.monetary_fen) ||
      BIND_TEXT (24, f->from))
    {
      sqlite3_reset (stmt);
      mdn_db_set_database_error (db, error);
      return NULL;
    }
#undef BIND_TEXT
#undef BIND_INT
  return stmt;
}

gboolean
mdn_member_filter_each (MdnDb        *db,
                        JsonObject   *filter,
                        const char   *today,
                        MdnMemberFunc func,
                        gpointer      user_data,
                        GError      **error)
{
  Filter f;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (db != NULL && filter != NULL && today != NULL && func != NULL, FALSE);

  if (!read_filter (db, filter, today, &f, error))
    return FALSE;
  f.after = NULL;
  stmt = filter_query (db, "SELECT " FILTER_COLUMNS " FROM members m "
                           "LEFT JOIN member_figures f ON f.member_id = m.id " WINDOW_JOIN FILTER_WHERE
                           "AND m.status = 'active' ORDER BY m.id LIMIT coalesce (?13, -1)", &f, 0, error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (db, stmt, error)) == SQLITE_ROW)
    if (!func (stmt, user_data))
      break;
  sqlite3_reset (stmt);
  return rc >= 0;
}

static gboolean
op_filter (MdnOpCtx   *ctx,
           JsonObject *args,
           JsonObject *result,
           GError    **error)
{
  Filter f;
  gint64 limit = 100, count = 0;
  g_autofree char *last = NULL;
  JsonArray *list;
  sqlite3_stmt *stmt;
  int rc;
  guint n = 0;

  if (!mdn_args_int (args, "limit", FALSE, &limit, error) || !read_filter (ctx->db, args, ctx->business_date, &f, error))
    return FALSE;
  limit = CLAMP (limit, 1, 10000);
  {
    const char *after = f.after;

    f.after = NULL;
    stmt = filter_query (ctx->db, "SELECT count (*) FROM members m "
                                  "LEFT JOIN member_figures f ON f.member_id = m.id " WINDOW_JOIN FILTER_WHERE
                                  "AND coalesce (?13, 0) = coalesce (?13, 0)", &f, 0, error);
    if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) != SQLITE_ROW)
      return FALSE;
    count = sqlite3_column_int64 (stmt, 0);
    sqlite3_reset (stmt);
    f.after = after;
  }
  stmt = filter_query (ctx->db, "SELECT " FILTER_COLUMNS ", m.status, m.expires_on, f.last_visit, "
                                "coalesce (f.visits, 0), coalesce (f.spent_fen, 0), " SEGMENT_SQL " FROM members m "
                                "LEFT JOIN member_figures f ON f.member_id = m.id " WINDOW_JOIN FILTER_WHERE
                                "ORDER BY m.id LIMIT ?13", &f, limit + 1, error);
  if (stmt == NULL)
    return FALSE;
  list = json_array_new ();
  json_object_set_array_member (result, "members", list);
  while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
    {
      JsonObject *o;

      if (++n > limit)
        break;
      o = json_object_new ();
      json_object_set_string_member (o, "member_id", mdn_db_col_text (stmt, 0));
      json_object_set_string_member (o, "card_no", mdn_db_col_text (stmt, 1));
      json_object_set_string_member (o, "name", mdn_db_col_text (stmt, 2));
      json_object_set_string_member (o, "phone", mdn_db_col_text (stmt, 3));
      json_object_set_string_member (o, "level", mdn_db_col_text (stmt, 4));
      json_object_set_int_member (o, "balance_fen", sqlite3_column_int64 (stmt, 5));
      json_object_set_int_member (o, "points", sqlite3_column_int64 (stmt, 6));
      json_object_set_boolean_member (o, "sms_consent", sqlite3_column_int (stmt, 7));
      json_object_set_boolean_member (o, "sms_opt_out", sqlite3_column_int (stmt, 8));
      json_object_set_string_member (o, "status", mdn_db_col_text (stmt, 9));
      mdn_json_set_opt_string (o, "expires_on", mdn_db_col_text (stmt, 10));
      mdn_json_set_opt_string (o, "last_visit", mdn_db_col_text (stmt, 11));
      json_object_set_int_member (o, "visits", sqlite3_column_int64 (stmt, 12));
      json_object_set_int_member (o, "spent_fen", sqlite3_column_int64 (stmt, 13));
      mdn_json_set_opt_string (o, "segment", mdn_db_col_text (stmt, 14));
      json_array_add_object_element (list, o);
      g_free (last);
      last = g_strdup (mdn_db_col_text (stmt, 0));
    }
  sqlite3_reset (stmt);
  if (rc < 0)
    return FALSE;
  json_object_set_int_member (result, "count", count);
  mdn_json_set_opt_string (result, "next", n > limit ? last : NULL);
  return TRUE;
}

static gboolean
op_segments (MdnOpCtx   *ctx,
             JsonObject *args,
             JsonObject *result,
             GError    **error)
{
  Filter f = { 0 };
  JsonArray *list;
  g_autoptr(GHashTable) index = g_hash_table_new (g_str_hash, g_str_equal);
  sqlite3_stmt *stmt;
  int rc;

  if (!read_window (args, ctx->business_date, &f, error) || !averages (ctx->db, f.as_of, f.from, &f.avg, error))
    return FALSE;
  list = json_array_new ();
  json_object_set_array_member (result, "segments", list);
  for (guint i = 0; i < G_N_ELEMENTS (segments); i++)
    {
      JsonObject *o = json_object_new ();

      json_object_set_string_member (o, "segment", segments[i].code);
      json_object_set_string_member (o, "name", _(segments[i].name));
      json_object_set_int_member (o, "count", 0);
      json_object_set_object_member (o, "branches", json_object_new ());
      json_array_add_object_element (list, o);
      g_hash_table_insert (index, (gpointer) segments[i].code, o);
    }
  stmt = filter_query (ctx->db, "SELECT seg, m.issued_branch, count (*) FROM (SELECT " SEGMENT_SQL " AS seg, "
                                "m.issued_branch FROM members m JOIN member_figures f ON f.member_id = m.id " WINDOW_JOIN
                                FILTER_WHERE "AND coalesce (?13, 0) = coalesce (?13, 0)) m "
                                "WHERE seg IS NOT NULL GROUP BY seg, m.issued_branch", &f, 0, error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
    {
      JsonObject *o = g_hash_table_lookup (index, mdn_db_col_text (stmt, 0));
      gint64 n = sqlite3_column_int64 (stmt, 2);

      if (o == NULL)
        continue;
      json_object_set_int_member (o, "count", json_object_get_int_member (o, "count") + n);
      json_object_set_int_member (json_object_get_object_member (o, "branches"), mdn_db_col_text (stmt, 1), n);
    }
  sqlite3_reset (stmt);
  if (rc < 0)
    return FALSE;
  json_object_set_string_member (result, "as_of", f.as_of);
  mdn_json_set_opt_string (result, "from", f.from == f.from_buf ? f.from : NULL);
  json_object_set_int_member (result, "members", f.avg.members);
  json_object_set_int_member (result, "average_recency_days", f.avg.recency_days);
  json_object_set_int_member (result, "average_visits_milli", f.avg.frequency_milli);
  json_object_set_int_member (result, "average_spent_fen", f.avg.monetary_fen);
  return TRUE;
}

/* Export: member.filter's set, every row, through the report export
 * (mdn-report-export.c: CSV with a BOM, xlsx in constant memory). ------- */

static const MdnReportColumn export_columns[] = {
  { "card_no",     N_("Card"),         MDN_COL_TEXT },
  { "name",        N_("Name"),         MDN_COL_TEXT },
  { "phone",       N_("Phone"),        MDN_COL_TEXT },
  { "level",       N_("Level"),        MDN_COL_TEXT },
  { "balance_fen", N_("Balance"),      MDN_COL_FEN, TRUE },
  { "points",      N_("Points"),       MDN_COL_INT, TRUE },
  { "status",      N_("Status"),       MDN_COL_TEXT },
  { "expires_on",  N_("Valid until"),  MDN_COL_DATE },
  { "last_visit",  N_("Last visit"),   MDN_COL_DATE },
  { "visits",      N_("Visits"),       MDN_COL_INT },
  { "spent_fen",   N_("Spent"),        MDN_COL_FEN, TRUE },
  { "segment",     N_("Segment"),      MDN_COL_TEXT },
  { "sms_consent", N_("SMS consent"),  MDN_COL_TEXT },
  { NULL }
};

static const char *
segment_name (const char *code)
{
  for (guint i = 0; code && i < G_N_ELEMENTS (segments); i++)
    if (g_str_equal (segments[i].code, code))
      return _(segments[i].name);
  return NULL;
}

static gboolean
export_run (MdnReportRun *run,
            GError      **error)
{
  Filter f;
  sqlite3_stmt *stmt;
  int rc;

  if (!read_filter (run->db, run->q->args, run->q->to, &f, error))
    return FALSE;
  f.after = NULL;
  stmt = filter_query (run->db, "SELECT " FILTER_COLUMNS ", m.status, m.expires_on, f.last_visit, "
                                "coalesce (f.visits, 0), coalesce (f.spent_fen, 0), " SEGMENT_SQL ", "
                                "coalesce (l.name, m.level) FROM members m "
                                "LEFT JOIN member_figures f ON f.member_id = m.id " WINDOW_JOIN
                                "LEFT JOIN levels l ON l.code = m.level " FILTER_WHERE
                                "ORDER BY m.id LIMIT coalesce (?13, -1)", &f, 0, error);
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (run->db, stmt, error)) == SQLITE_ROW)
    {
      const char *status = mdn_db_col_text (stmt, 9);

      mdn_report_text (run, "card_no", mdn_db_col_text (stmt, 1));
      mdn_report_text (run, "name", mdn_db_col_text (stmt, 2));
      mdn_report_text (run, "phone", mdn_db_col_text (stmt, 3));
      mdn_report_text (run, "level", mdn_db_col_text (stmt, 15));
      mdn_report_int (run, "balance_fen", sqlite3_column_int64 (stmt, 5));
      mdn_report_int (run, "points", sqlite3_column_int64 (stmt, 6));
      mdn_report_text (run, "status", g_strcmp0 (status, "lost") == 0 ? _("reported lost")
                                      : g_strcmp0 (status, "active") == 0 ? _("active") : status);
      if (mdn_db_col_text (stmt, 10))
        mdn_report_text (run, "expires_on", mdn_db_col_text (stmt, 10));
      if (mdn_db_col_text (stmt, 11))
        mdn_report_text (run, "last_visit", mdn_db_col_text (stmt, 11));
      mdn_report_int (run, "visits", sqlite3_column_int64 (stmt, 12));
      mdn_report_int (run, "spent_fen", sqlite3_column_int64 (stmt, 13));
      if (segment_name (mdn_db_col_text (stmt, 14)))
        mdn_report_text (run, "segment", segment_name (mdn_db_col_text (stmt, 14)));
      mdn_report_text (run, "sms_consent", sqlite3_column_int (stmt, 8) ? _("opted out")
                                           : sqlite3_column_int (stmt, 7) ? _("yes") : _("no"));
      if (!mdn_report_emit (run, error))
        {
          sqlite3_reset (stmt);
          return FALSE;
        }
    }
  sqlite3_reset (stmt);
  return rc >= 0;
}

static const MdnReportDef export_def = {
  "members", N_("Members"), export_columns, NULL, export_run,
};

gboolean
mdn_member_filter_export (MdnOpCtx                     *ctx,
                          JsonObject                   *filter,
                          MdnReportFormat               format,
                          const char                   *path,
                          const MdnReportExportOptions *options,
                          gint64                       *n_rows,
                          GError                      **error)
{
  g_autoptr(JsonObject) empty = json_object_new ();
  g_autofree char *shop = NULL, *exported = NULL, *today = NULL;
  g_autoptr(GDateTime) now = mdn_clock_now ();
  MdnReportQuery q = { 0 };
  MdnReportExportOptions o = { 0 };

  g_return_val_if_fail (ctx != NULL && path != NULL, FALSE);

  if (ctx->role < MDN_ROLE_MANAGER)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_PERMISSION_DENIED,
                           _("Only a manager may export the member list"));
      return FALSE;
    }
  q.from = q.to = today = mdn_clock_business_date (now, ctx->store->timezone);
  q.branch = ctx->store->branch_code;
  q.args = filter ? filter : empty;
  if (options)
    o = *options;
  if (o.shop == NULL)
    o.shop = shop = g_strdup_printf ("%s %s", ctx->store->branch_code, ctx->store->branch_name);
  if (o.exported_at == NULL)
    o.exported_at = exported = g_date_time_format (now, "%Y-%m-%d %H:%M");
  return mdn_report_export_file (ctx->db, &export_def, &q, format, path, &o, n_rows, error);
}

const MdnOpDef mdn_member_filter_ops[] = {
  { "member.filter",   MDN_ROLE_MANAGER, MDN_OP_READ, op_filter },
  { "member.segments", MDN_ROLE_MANAGER, MDN_OP_READ, op_segments },
  { NULL }
};
