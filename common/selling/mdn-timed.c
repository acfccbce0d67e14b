/* mdn-timed.c: timed consumption (计时消费). A resource (a table, a room)
 * is billed by the time it is used, under its rate plan.
 *
 * timed.start is an entry, so an open session is a projection of the
 * ledger (timed_sessions) and survives a restart. The plan's terms are
 * copied into the start entry: changing a plan does not reprice a session
 * that is already running. */
#define G_LOG_DOMAIN "mdn-timed"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-money.h"
#include "mdn-op.h"
#include "mdn-selling.h"
#include "mdn-timed.h"
#include "mdn-commission.h"

#define MINUTES_MAX ((gint64) 525600)   /* a year */

typedef struct
{
  gint64 unit_minutes;
  gint64 unit_price_fen;
  gint64 free_minutes;
  gint64 min_minutes;
  gint64 cap_fen;          /* -1: no cap */
} Terms;

typedef struct
{
  gint64 seconds;
  gint64 minutes;
  gint64 billable_minutes;
  gint64 units;
  gint64 gross_fen;
} Charge;

/* minutes = ceil (seconds / 60); billable = max (minutes - free, 0), raised
 * to min_minutes when some but fewer; units = ceil (billable / unit_minutes);
 * gross = units × unit price, capped at cap_fen when set. */
static gboolean
compute_charge (const Terms *t,
                gint64       seconds,
                Charge      *c,
                GError     **error)
{
  memset (c, 0, sizeof *c);
  c->seconds = MAX (seconds, 0);
  c->minutes = mdn_div_ceil (c->seconds, 60);
  c->billable_minutes = MAX (c->minutes - t->free_minutes, 0);
  if (c->billable_minutes > 0 && c->billable_minutes < t->min_minutes)
    c->billable_minutes = t->min_minutes;
  c->units = mdn_div_ceil (c->billable_minutes, t->unit_minutes);
  if (!mdn_money_mul (c->units, t->unit_price_fen, &c->gross_fen, error))
    return FALSE;
  if (t->cap_fen >= 0 && c->gross_fen > t->cap_fen)
    c->gross_fen = t->cap_fen;
  return TRUE;
}

static gint64
seconds_between (const char *from_iso,
                 const char *to_iso)
{
  g_autoptr(GDateTime) from = mdn_clock_parse (from_iso);
  g_autoptr(GDateTime) to = mdn_clock_parse (to_iso);

  if (from == NULL || to == NULL)
    return 0;
  return g_date_time_difference (to, from) / G_TIME_SPAN_SECOND;
}

static void
terms_to_json (const Terms *t,
               JsonObject  *o)
{
  json_object_set_int_member (o, "unit_minutes", t->unit_minutes);
  json_object_set_int_member (o, "unit_price_fen", t->unit_price_fen);
  json_object_set_int_member (o, "free_minutes", t->free_minutes);
  json_object_set_int_member (o, "min_minutes", t->min_minutes);
  if (t->cap_fen >= 0)
    json_object_set_int_member (o, "cap_fen", t->cap_fen);
  else
    json_object_set_null_member (o, "cap_fen");
}

static void
charge_to_json (const Charge *c,
                JsonObject   *o)
{
  json_object_set_int_member (o, "seconds", c->seconds);
  json_object_set_int_member (o, "minutes", c->minutes);
  json_object_set_int_member (o, "billable_minutes", c->billable_minutes);
  json_object_set_int_member (o, "units", c->units);
  json_object_set_int_member (o, "gross_fen", c->gross_fen);
}

static gboolean
terms_from_body (JsonObject *b,
                 Terms      *t)
{
  t->unit_minutes = mdn_body_int (b, "unit_minutes", 0);
  t->unit_price_fen = mdn_body_int (b, "unit_price_fen", -1);
  t->free_minutes = mdn_body_int (b, "free_minutes", 0);
  t->min_minutes = mdn_body_int (b, "min_minutes", 0);
  t->cap_fen = mdn_body_int (b, "cap_fen", -1);
  return t->unit_minutes > 0 && t->unit_price_fen >= 0 && t->free_minutes >= 0 && t->min_minutes >= 0;
}

/* Plans and resources ------------------------------------------------------------- */

static gboolean
load_plan (MdnDb      *db,
           const char *code,
           char      **name,
           Terms      *t,
           GError    **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = mdn_db_query (db, error,
                       "SELECT name, unit_minutes, unit_price_fen, free_minutes, min_minutes, "
                       "COALESCE (cap_fen, -1) FROM plans WHERE code = ?", "s", code);
  if (stmt == NULL || (rc = mdn_db_step (db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_PLAN, _("There is no rate plan “%s”"), code);
      return FALSE;
    }
  if (name)
    *name = g_strdup (mdn_db_col_text (stmt, 0));
  t->unit_minutes = sqlite3_column_int64 (stmt, 1);
  t->unit_price_fen = sqlite3_column_int64 (stmt, 2);
  t->free_minutes = sqlite3_column_int64 (stmt, 3);
  t->min_minutes = sqlite3_column_int64 (stmt, 4);
  t->cap_fen = sqlite3_column_int64 (stmt, 5);
  sqlite3_reset (stmt);
  return TRUE;
}

static gboolean
check_minutes (const char *name,
               gint64      value,
               gint64      min,
               GError    **error)
{
  if (value < min || value > MINUTES_MAX)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("“%s” must be a number of minutes from %" PRId64 " to %" PRId64),
                   name, min, MINUTES_MAX);
      return FALSE;
    }
  return TRUE;
}

static gboolean
op_plan_upsert (MdnOpCtx   *ctx,
                JsonObject *args,
                JsonObject *result,
                GError    **error)
{
  const char *code = NULL, *name = NULL;
  Terms t = { 0, 0, 0, 0, -1 };
  g_autofree char *clean_code = NULL;
  g_autofree char *clean_name = NULL;
  g_autoptr(MdnEntry) entry = NULL;

  if (!mdn_args_string (args, "code", TRUE, &code, error) ||
      !mdn_args_string (args, "name", TRUE, &name, error) ||
      !mdn_args_int (args, "unit_minutes", TRUE, &t.unit_minutes, error) ||
      !mdn_args_money (args, "unit_price", TRUE, &t.unit_price_fen, error) ||
      !mdn_args_int (args, "free_minutes", FALSE, &t.free_minutes, error) ||
      !mdn_args_int (args, "min_minutes", FALSE, &t.min_minutes, error) ||
      !mdn_args_money (args, "cap", FALSE, &t.cap_fen, error))
    return FALSE;
  clean_code = g_strstrip (g_strdup (code));
  clean_name = g_strstrip (g_strdup (name));
  if (!check_minutes ("unit_minutes", t.unit_minutes, 1, error) ||
      !check_minutes ("free_minutes", t.free_minutes, 0, error) ||
      !check_minutes ("min_minutes", t.min_minutes, 0, error) ||
      !mdn_money_check_amount (t.unit_price_fen, TRUE, error) ||
      (t.cap_fen != -1 && !mdn_money_check_amount (t.cap_fen, FALSE, error)))
    return FALSE;
  if (strlen (clean_code) > 32 || g_utf8_strlen (clean_name, -1) > 64)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("A plan code has at most 32 characters and a name at most 64"));
      return FALSE;
    }

  entry = mdn_entry_new ("plan.upsert", NULL);
  json_object_set_string_member (entry->body, "code", clean_code);
  json_object_set_string_member (entry->body, "name", clean_name);
  terms_to_json (&t, entry->body);
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "code", clean_code);
  return TRUE;
}

static gboolean
apply_plan_upsert (MdnDb    *db,
                   MdnEntry *entry,
                   GError  **error)
{
  const char *code = mdn_body_string (entry->body, "code");
  const char *name = mdn_body_string (entry->body, "name");
  Terms t;

  if (code == NULL || name == NULL || !terms_from_body (entry->body, &t))
    return mdn_entry_malformed (entry, code ? code : "", error);
  return mdn_db_exec (db, error,
                      "INSERT INTO plans (code, name, unit_minutes, unit_price_fen, free_minutes, "
                      "min_minutes, cap_fen) VALUES (?, ?, ?, ?, ?, ?, NULLIF (?, -1)) "
                      "ON CONFLICT (code) DO UPDATE SET name = excluded.name, "
                      "unit_minutes = excluded.unit_minutes, unit_price_fen = excluded.unit_price_fen, "
                      "free_minutes = excluded.free_minutes, min_minutes = excluded.min_minutes, "
                      "cap_fen = excluded.cap_fen",
                      "ssiiiii", code, name, t.unit_minutes, t.unit_price_fen, t.free_minutes,
                      t.min_minutes, t.cap_fen);
}

static gboolean
op_plan_list (MdnOpCtx   *ctx,
              JsonObject *args,
              JsonObject *result,
              GError    **error)
{
  JsonArray *list = json_array_new ();
  sqlite3_stmt *stmt;
  int rc;

  json_object_set_array_member (result, "plans", list);
  stmt = mdn_db_query (ctx->db, error,
                       "SELECT code, name, unit_minutes, unit_price_fen, free_minutes, min_minutes, "
                       "COALESCE (cap_fen, -1) FROM plans ORDER BY code", "");
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
    {
      JsonObject *o = json_object_new ();
      Terms t = {
        sqlite3_column_int64 (stmt, 2), sqlite3_column_int64 (stmt, 3), sqlite3_column_int64 (stmt, 4),
        sqlite3_column_int64 (stmt, 5), sqlite3_column_int64 (stmt, 6),
      };

      json_object_set_string_member (o, "code", mdn_db_col_text (stmt, 0));
      json_object_set_string_member (o, "name", mdn_db_col_text (stmt, 1));
      terms_to_json (&t, o);
      json_array_add_object_element (list, o);
    }
  sqlite3_reset (stmt);
  return rc == SQLITE_DONE;
}

static gboolean
op_resource_upsert (MdnOpCtx   *ctx,
                    JsonObject *args,
                    JsonObject *result,
                    GError    **error)
{
  const char *code = NULL, *name = NULL, *plan = NULL;
  g_autofree char *clean_code = NULL;
  g_autofree char *clean_name = NULL;
  g_autoptr(MdnEntry) entry = NULL;
  Terms t;

  if (!mdn_args_string (args, "code", TRUE, &code, error) ||
      !mdn_args_string (args, "name", TRUE, &name, error) ||
      !mdn_args_string (args, "plan", TRUE, &plan, error))
    return FALSE;
  clean_code = g_strstrip (g_strdup (code));
  clean_name = g_strstrip (g_strdup (name));
  if (strlen (clean_code) > 32 || g_utf8_strlen (clean_name, -1) > 64)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("A resource code has at most 32 characters and a name at most 64"));
      return FALSE;
    }
  if (!load_plan (ctx->db, plan, NULL, &t, error))
    return FALSE;

  entry = mdn_entry_new ("resource.upsert", NULL);
  json_object_set_string_member (entry->body, "code", clean_code);
  json_object_set_string_member (entry->body, "name", clean_name);
  json_object_set_string_member (entry->body, "plan", plan);
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "code", clean_code);
  return TRUE;
}

static gboolean
apply_resource_upsert (MdnDb    *db,
                       MdnEntry *entry,
                       GError  **error)
{
  const char *code = mdn_body_string (entry->body, "code");
  const char *name = mdn_body_string (entry->body, "name");
  const char *plan = mdn_body_string (entry->body, "plan");

  if (code == NULL || name == NULL || plan == NULL)
    return mdn_entry_malformed (entry, code ? code : "", error);
  return mdn_db_exec (db, error,
                      "INSERT INTO resources (code, name, plan) VALUES (?, ?, ?) "
                      "ON CONFLICT (code) DO UPDATE SET name = excluded.name, plan = excluded.plan",
                      "sss", code, name, plan);
}

/* Sessions ---------------------------------------------------------------------- */

typedef struct
{
  char  *id;
  char  *resource;
  char  *member_id;
  char  *plan;
  Terms  terms;
  char  *started_at;
  char  *stop_entry;
  char  *paused_at;        /* the pause running now; NULL: not paused */
  gint64 paused_seconds;   /* the pauses before it */
} Session;

static void
session_clear (Session *s)
{
  g_free (s->id);
  g_free (s->resource);
  g_free (s->member_id);
  g_free (s->plan);
  g_free (s->started_at);
  g_free (s->stop_entry);
  g_free (s->paused_at);
}

/* The seconds the session ran up to @now_iso, its pauses left out. */
static gint64
active_seconds (const Session *s,
                const char    *now_iso)
{
  gint64 run = seconds_between (s->started_at, now_iso) - s->paused_seconds;

  if (s->paused_at)
    run -= seconds_between (s->paused_at, now_iso);
  return MAX (run, 0);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Session, session_clear)

#define SESSION_COLUMNS "id, resource, member_id, plan, unit_minutes, unit_price_fen, free_minutes, " \
                        "min_minutes, COALESCE (cap_fen, -1), started_at, stop_entry, paused_at, paused_seconds"

static void
session_from_row (sqlite3_stmt *stmt,
                  Session      *s)
{
  s->id = g_strdup (mdn_db_col_text (stmt, 0));
  s->resource = g_strdup (mdn_db_col_text (stmt, 1));
  s->member_id = g_strdup (mdn_db_col_text (stmt, 2));
  s->plan = g_strdup (mdn_db_col_text (stmt, 3));
  s->terms.unit_minutes = sqlite3_column_int64 (stmt, 4);
  s->terms.unit_price_fen = sqlite3_column_int64 (stmt, 5);
  s->terms.free_minutes = sqlite3_column_int64 (stmt, 6);
  s->terms.min_minutes = sqlite3_column_int64 (stmt, 7);
  s->terms.cap_fen = sqlite3_column_int64 (stmt, 8);
  s->started_at = g_strdup (mdn_db_col_text (stmt, 9));
  s->stop_entry = g_strdup (mdn_db_col_text (stmt, 10));
  s->paused_at = g_strdup (mdn_db_col_text (stmt, 11));
  s->paused_seconds = sqlite3_column_int64 (stmt, 12);
}

static gboolean
op_timed_start (MdnOpCtx   *ctx,
                JsonObject *args,
                JsonObject *result,
                GError    **error)
{
  g_autoptr(MdnMember) m = NULL;
  g_autoptr(MdnEntry) entry = NULL;
  g_autofree char *resource_name = NULL;
  g_autofree char *plan = NULL;
  g_autofree char *plan_name = NULL;
  const char *code = NULL, *card = NULL;
  sqlite3_stmt *stmt;
  Terms t;
  int rc;

  if (!mdn_args_string (args, "resource", TRUE, &code, error))
    return FALSE;
  stmt = mdn_db_query (ctx->db, error,
                       "SELECT r.name, r.plan, s.id FROM resources r LEFT JOIN timed_sessions s "
                       "ON s.branch = ?1 AND s.resource = r.code AND s.stop_entry IS NULL WHERE r.code = ?2",
                       "ss", ctx->store->branch_code, code);
  if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_RESOURCE, _("There is no table or room “%s”"), code);
      return FALSE;
    }
  if (mdn_db_col_text (stmt, 2) != NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_RESOURCE_BUSY,
                   _("%s is in use (session %s); stop that session first"),
                   mdn_db_col_text (stmt, 0), mdn_db_col_text (stmt, 2));
      sqlite3_reset (stmt);
      return FALSE;
    }
  resource_name = g_strdup (mdn_db_col_text (stmt, 0));
  plan = g_strdup (mdn_db_col_text (stmt, 1));
  sqlite3_reset (stmt);
  if (!load_plan (ctx->db, plan, &plan_name, &t, error) ||
      !mdn_args_string (args, "card", FALSE, &card, error) ||
      !mdn_selling_card (ctx, card, &m, error))
    return FALSE;

  entry = mdn_entry_new ("timed.start", m ? m->id : NULL);
  json_object_set_string_member (entry->body, "resource", code);
  json_object_set_string_member (entry->body, "resource_name", resource_name);
  json_object_set_string_member (entry->body, "plan", plan);
  terms_to_json (&t, entry->body);
  mdn_json_set_opt_string (entry->body, "card_no", m ? m->card_no : NULL);
  if (!mdn_ledger_append (ctx->store, ctx, entry, error))
    return FALSE;

  json_object_set_string_member (result, "session_id", entry->id);
  json_object_set_string_member (result, "entry_id", entry->id);
  json_object_set_string_member (result, "started_at", entry->at);
  json_object_set_string_member (result, "resource", code);
  json_object_set_string_member (result, "plan", plan);
  if (m)
    json_object_set_string_member (result, "card_no", m->card_no);
  return TRUE;
}

static gboolean
apply_timed_start (MdnDb    *db,
                   MdnEntry *entry,
                   GError  **error)
{
  const char *resource = mdn_body_string (entry->body, "resource");
  const char *plan = mdn_body_string (entry->body, "plan");
  Terms t;

  if (resource == NULL || plan == NULL || !terms_from_body (entry->body, &t))
    return mdn_entry_malformed (entry, "resource", error);
  return mdn_db_exec (db, error,
                      "INSERT INTO timed_sessions (id, branch, resource, member_id, plan, unit_minutes, "
                      "unit_price_fen, free_minutes, min_minutes, cap_fen, started_at) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF (?, -1), ?)",
                      "sssssiiiiis", entry->id, entry->branch, resource, entry->member_id, plan, t.unit_minutes,
                      t.unit_price_fen, t.free_minutes, t.min_minutes, t.cap_fen, entry->at);
}

/* A session of this branch (a member's sessions elsewhere are known here
 * too, but stopped where they run). */
static gboolean
load_session (MdnOpCtx   *ctx,
              const char *id,
              Session    *s,
              GError    **error)
{
  MdnDb *db = ctx->db;
  sqlite3_stmt *stmt;
  int rc;

  stmt = mdn_db_query (db, error, "SELECT " SESSION_COLUMNS " FROM timed_sessions WHERE id = ? AND branch = ?",
                       "ss", id, ctx->store->branch_code);
  if (stmt == NULL || (rc = mdn_db_step (db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_SESSION, _("There is no timed session %s"), id);
      return FALSE;
    }
  session_from_row (stmt, s);
  sqlite3_reset (stmt);
  return TRUE;
}

/* "resource_name": the table's name, for the receipt (台球 1 号台, not T1). */
static gboolean
set_resource_name (MdnOpCtx   *ctx,
                   const char *code,
                   JsonObject *result,
                   GError    **error)
{
  sqlite3_stmt *stmt = mdn_db_query (ctx->db, error, "SELECT name FROM resources WHERE code = ?", "s", code);
  int rc;

  if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) < 0)
    return FALSE;
  mdn_json_set_opt_string (result, "resource_name", rc == SQLITE_ROW ? mdn_db_col_text (stmt, 0) : NULL);
  sqlite3_reset (stmt);
  return TRUE;
}

static gboolean
op_timed_stop (MdnOpCtx   *ctx,
               JsonObject *args,
               JsonObject *result,
               GError    **error)
{
  g_auto(Session) s = { 0 };
  g_auto(MdnCheckout) co = { 0 };
  g_auto(MdnPaymentRequest) pay = { 0 };
  g_autoptr(MdnMember) m = NULL;
  const char *id = NULL, *staff = NULL;
  JsonObject *body;
  Charge c;

  if (!mdn_args_string (args, "session_id", TRUE, &id, error) ||
      !mdn_args_string (args, "staff", FALSE, &staff, error) ||
      !mdn_payment_request_parse (args, &pay, error) ||
      !load_session (ctx, id, &s, error))
    return FALSE;
  if (s.stop_entry != NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_SESSION,
                   _("Session %s on %s has already been stopped and paid"), id, s.resource);
      return FALSE;
    }

  /* The card given at the start, or one shown now. The start checked it;
     the balance tender checks again that it can still pay. */
  if (s.member_id)
    {
      g_autoptr(MdnMember) shown = NULL;

      m = mdn_member_load (ctx->db, s.member_id, error);
      if (m == NULL || !mdn_selling_card (ctx, pay.card, &shown, error))
        return FALSE;
      if (shown && !g_str_equal (shown->id, m->id))
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                       _("This session was started on card %s, not %s"), m->card_no, shown->card_no);
          return FALSE;
        }
    }
  else if (!mdn_selling_card (ctx, pay.card, &m, error))
    return FALSE;

  if (!compute_charge (&s.terms, active_seconds (&s, ctx->now_iso), &c, error) ||
      !mdn_checkout_init (&co, ctx, "timed.stop", g_steal_pointer (&m), error))
    return FALSE;
  co.list_total_fen = c.gross_fen;
  if (!mdn_money_percent (c.gross_fen, mdn_checkout_percent (&co), &co.total_fen, error) ||
      !mdn_checkout_settle (&co, &pay, error))
    return FALSE;

  body = co.entry->body;
  json_object_set_string_member (body, "session_id", s.id);
  json_object_set_string_member (body, "resource", s.resource);
  json_object_set_string_member (body, "plan", s.plan);
  terms_to_json (&s.terms, body);
  json_object_set_string_member (body, "started_at", s.started_at);
  json_object_set_string_member (body, "stopped_at", ctx->now_iso);
  /* "seconds" is the time that ran; the pauses, when there were any. */
  if (s.paused_at || s.paused_seconds > 0)
    json_object_set_int_member (body, "paused_seconds",
                                seconds_between (s.started_at, ctx->now_iso) - c.seconds);
  charge_to_json (&c, body);
  mdn_json_set_opt_string (body, "staff", staff);
  if (!mdn_commission_add (ctx, co.entry, "timed", s.resource, staff, 0, co.total_fen, co.list_total_fen, 1, error) ||
      !mdn_checkout_commit (&co, result, error))
    return FALSE;

  json_object_set_string_member (result, "session_id", s.id);
  json_object_set_string_member (result, "resource", s.resource);
  if (!set_resource_name (ctx, s.resource, result, error))
    return FALSE;
  json_object_set_string_member (result, "started_at", s.started_at);
  json_object_set_string_member (result, "stopped_at", ctx->now_iso);
  charge_to_json (&c, result);
  json_object_set_int_member (result, "charge_fen", co.total_fen);
  return TRUE;
}

static gboolean
apply_timed_stop (MdnDb    *db,
                  MdnEntry *entry,
                  GError  **error)
{
  JsonObject *b = entry->body;
  const char *session = mdn_body_string (b, "session_id");
  const char *resource = mdn_body_string (b, "resource");
  const char *plan = mdn_body_string (b, "plan");
  const char *started_at = mdn_body_string (b, "started_at");
  const char *stopped_at = mdn_body_string (b, "stopped_at");
  gint64 minutes = mdn_body_int (b, "minutes", -1);
  gint64 total = mdn_body_int (b, "total_fen", -1);
  Terms t;

  if (session == NULL || resource == NULL || plan == NULL || started_at == NULL || stopped_at == NULL ||
      minutes < 0 || total < 0 || !terms_from_body (b, &t))
    return mdn_entry_malformed (entry, "session_id", error);
  /* The stop carries the whole session: at another branch, a session
     started without a card and paid with one is first seen here. */
  if (!mdn_db_exec (db, error,
                    "INSERT INTO timed_sessions (id, branch, resource, member_id, plan, unit_minutes, "
                    "unit_price_fen, free_minutes, min_minutes, cap_fen, started_at, stop_entry, stopped_at, "
                    "minutes, charge_fen) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, NULLIF (?10, -1), ?11, "
                    "?12, ?13, ?14, ?15) ON CONFLICT (id) DO UPDATE SET stop_entry = excluded.stop_entry, "
                    "stopped_at = excluded.stopped_at, minutes = excluded.minutes, "
                    "charge_fen = excluded.charge_fen, member_id = COALESCE (member_id, excluded.member_id) "
                    "WHERE stop_entry IS NULL",
                    "sssssiiiiisssii", session, entry->branch, resource, entry->member_id, plan,
                    t.unit_minutes, t.unit_price_fen, t.free_minutes, t.min_minutes, t.cap_fen,
                    started_at, entry->id, stopped_at, minutes, total))
    return FALSE;
  if (sqlite3_changes (mdn_db_handle (db)) != 1)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_SESSION,
                   _("Entry %s stops session %s, which was stopped already"), entry->id, session);
      return FALSE;
    }
  return mdn_receipt_apply (db, entry, total, error);
}

/* Open sessions with what they would cost if stopped now, and whose card
 * they run on (card_no, member_name). */
static gboolean
op_timed_list (MdnOpCtx   *ctx,
               JsonObject *args,
               JsonObject *result,
               GError    **error)
{
  JsonArray *list = json_array_new ();
  sqlite3_stmt *stmt;
  int rc;

  json_object_set_array_member (result, "sessions", list);
  stmt = mdn_db_query (ctx->db, error,
                       "SELECT s.id, s.resource, s.member_id, s.plan, s.unit_minutes, s.unit_price_fen, "
                       "s.free_minutes, s.min_minutes, COALESCE (s.cap_fen, -1), s.started_at, s.stop_entry, "
                       "s.paused_at, s.paused_seconds, "
                       "r.name, m.card_no, l.price_percent, m.name FROM timed_sessions s "
                       "LEFT JOIN resources r ON r.code = s.resource "
                       "LEFT JOIN members m ON m.id = s.member_id "
                       "LEFT JOIN levels l ON l.code = m.level "
                       "WHERE s.branch = ? AND s.stop_entry IS NULL ORDER BY s.started_at, s.resource",
                       "s", ctx->store->branch_code);
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
    {
      g_auto(Session) s = { 0 };
      JsonObject *o = json_object_new ();
      gint64 percent = sqlite3_column_type (stmt, 15) == SQLITE_NULL ? 100 : sqlite3_column_int64 (stmt, 15);
      gint64 charge = 0;
      Charge c;

      session_from_row (stmt, &s);
      json_array_add_object_element (list, o);
      json_object_set_string_member (o, "session_id", s.id);
      json_object_set_string_member (o, "resource", s.resource);
      mdn_json_set_opt_string (o, "resource_name", mdn_db_col_text (stmt, 13));
      mdn_json_set_opt_string (o, "card_no", mdn_db_col_text (stmt, 14));
      mdn_json_set_opt_string (o, "member_name", mdn_db_col_text (stmt, 16));
      json_object_set_string_member (o, "plan", s.plan);
      json_object_set_string_member (o, "started_at", s.started_at);
      /* Paused: the time stands still; what ran is billed. */
      json_object_set_boolean_member (o, "paused", s.paused_at != NULL);
      json_object_set_int_member (o, "run_seconds", active_seconds (&s, ctx->now_iso));
      if (!compute_charge (&s.terms, active_seconds (&s, ctx->now_iso), &c, error) ||
          !mdn_money_percent (c.gross_fen, percent, &charge, error))
        {
          sqlite3_reset (stmt);
          return FALSE;
        }
      charge_to_json (&c, o);
      json_object_set_int_member (o, "charge_fen", charge);
    }
  sqlite3_reset (stmt);
  return rc == SQLITE_DONE;
}

static gboolean
op_resource_list (MdnOpCtx   *ctx,
                  JsonObject *args,
                  JsonObject *result,
                  GError    **error)
{
  static const MdnListColumn columns[] = {
    { "code", 's' }, { "name", 's' }, { "plan", 's' }, { "plan_name", 's' }, { "busy", 'b' },
    { "session_id", 's' }, { "started_at", 's' }, { NULL }
  };
  sqlite3_stmt *stmt = mdn_db_query (ctx->db, error,
                                     "SELECT r.code, r.name, r.plan, p.name, s.id IS NOT NULL, s.id, s.started_at "
                                     "FROM resources r LEFT JOIN plans p ON p.code = r.plan "
                                     "LEFT JOIN timed_sessions s ON s.branch = ? AND s.resource = r.code "
                                     "AND s.stop_entry IS NULL ORDER BY r.code", "s", ctx->store->branch_code);

  return stmt != NULL && mdn_ops_list_rows (ctx, stmt, columns, result, "resources", error);
}

/* {session_id, resource} → a running session moves to another free table
 * or room of this branch (换台), with its time and terms: one timed.move
 * entry, no movements; the stop bills it where it ends. */
static gboolean
op_timed_move (MdnOpCtx   *ctx,
               JsonObject *args,
               JsonObject *result,
               GError    **error)
{
  g_auto(Session) s = { 0 };
  g_autoptr(MdnEntry) entry = NULL;
  g_autofree char *to_name = NULL;
  const char *id = NULL, *to = NULL;
  sqlite3_stmt *stmt;
  int rc;

  if (!mdn_args_string (args, "session_id", TRUE, &id, error) ||
      !mdn_args_string (args, "resource", TRUE, &to, error) ||
      !load_session (ctx, id, &s, error))
    return FALSE;
  if (s.stop_entry != NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_SESSION,
                   _("Session %s on %s has already been stopped and paid"), id, s.resource);
      return FALSE;
    }
  if (g_str_equal (to, s.resource))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("The session is on %s already"), to);
      return FALSE;
    }
  stmt = mdn_db_query (ctx->db, error,
                       "SELECT r.name, s.id, (SELECT name FROM resources WHERE code = ?3) FROM resources r "
                       "LEFT JOIN timed_sessions s ON s.branch = ?1 AND s.resource = r.code AND s.stop_entry IS NULL "
                       "WHERE r.code = ?2",
                       "sss", ctx->store->branch_code, to, s.resource);
  if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_DONE)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_RESOURCE, _("There is no table or room “%s”"), to);
      return FALSE;
    }
  if (mdn_db_col_text (stmt, 1) != NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_RESOURCE_BUSY,
                   _("%s is in use (session %s); stop that session first"),
                   mdn_db_col_text (stmt, 0), mdn_db_col_text (stmt, 1));
      sqlite3_reset (stmt);
      return FALSE;
    }
  to_name = g_strdup (mdn_db_col_text (stmt, 0));
  sqlite3_reset (stmt);

  entry = mdn_entry_new ("timed.move", NULL);
  json_object_set_string_member (entry->body, "session_id", s.id);
  json_object_set_string_member (entry->body, "from", s.resource);
  json_object_set_string_member (entry->body, "resource", to);
  json_object_set_string_member (entry->body, "resource_name", to_name);
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "session_id", s.id);
  json_object_set_string_member (result, "from", s.resource);
  json_object_set_string_member (result, "resource", to);
  json_object_set_string_member (result, "resource_name", to_name);
  return TRUE;
}

static gboolean
apply_timed_move (MdnDb    *db,
                  MdnEntry *entry,
                  GError  **error)
{
  const char *session = mdn_body_string (entry->body, "session_id");
  const char *to = mdn_body_string (entry->body, "resource");

  if (session == NULL || to == NULL)
    return mdn_entry_malformed (entry, "session_id", error);
  /* A stopped session keeps the table it was paid on. */
  return mdn_db_exec (db, error,
                      "UPDATE timed_sessions SET resource = ?2 WHERE id = ?1 AND stop_entry IS NULL",
                      "ss", session, to);
}

/* {session_id} → timed.pause: the session's time stands still until
 * timed.resume (a guest who steps out, a room being cleaned). One entry
 * each, no movements; the stop bills the time that ran. */
static gboolean
pause_or_resume (MdnOpCtx   *ctx,
                 JsonObject *args,
                 JsonObject *result,
                 gboolean    pause,
                 GError    **error)
{
  g_auto(Session) s = { 0 };
  g_autoptr(MdnEntry) entry = NULL;
  const char *id = NULL;

  if (!mdn_args_string (args, "session_id", TRUE, &id, error) ||
      !load_session (ctx, id, &s, error))
    return FALSE;
  if (s.stop_entry != NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_SESSION,
                   _("Session %s on %s has already been stopped and paid"), id, s.resource);
      return FALSE;
    }
  if (pause == (s.paused_at != NULL))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   pause ? _("The session on %s is paused already") : _("The session on %s is not paused"),
                   s.resource);
      return FALSE;
    }
  entry = mdn_entry_new (pause ? "timed.pause" : "timed.resume", NULL);
  json_object_set_string_member (entry->body, "session_id", s.id);
  json_object_set_string_member (entry->body, "resource", s.resource);
  if (!pause)
    {
      json_object_set_string_member (entry->body, "paused_at", s.paused_at);
      json_object_set_int_member (entry->body, "seconds", MAX (seconds_between (s.paused_at, ctx->now_iso), 0));
    }
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "session_id", s.id);
  json_object_set_string_member (result, "resource", s.resource);
  json_object_set_boolean_member (result, "paused", pause);
  return TRUE;
}

static gboolean
op_timed_pause (MdnOpCtx *ctx, JsonObject *args, JsonObject *result, GError **error)
{
  return pause_or_resume (ctx, args, result, TRUE, error);
}

static gboolean
op_timed_resume (MdnOpCtx *ctx, JsonObject *args, JsonObject *result, GError **error)
{
  return pause_or_resume (ctx, args, result, FALSE, error);
}

static gboolean
apply_timed_pause (MdnDb    *db,
                   MdnEntry *entry,
                   GError  **error)
{
  const char *session = mdn_body_string (entry->body, "session_id");

  if (session == NULL)
    return mdn_entry_malformed (entry, "session_id", error);
  return mdn_db_exec (db, error,
                      "UPDATE timed_sessions SET paused_at = ?2 WHERE id = ?1 AND stop_entry IS NULL "
                      "AND paused_at IS NULL", "ss", session, entry->at);
}

static gboolean
apply_timed_resume (MdnDb    *db,
                    MdnEntry *entry,
                    GError  **error)
{
  const char *session = mdn_body_string (entry->body, "session_id");
  gint64 seconds = mdn_body_int (entry->body, "seconds", -1);

  if (session == NULL || seconds < 0)
    return mdn_entry_malformed (entry, "session_id", error);
  return mdn_db_exec (db, error,
                      "UPDATE timed_sessions SET paused_at = NULL, paused_seconds = paused_seconds + ?2 "
                      "WHERE id = ?1 AND stop_entry IS NULL AND paused_at IS NOT NULL", "si", session, seconds);
}

/* Rate plans are master data, in a table of their own so that a program
 * writing master data (the server's console) links them without the
 * checkout that timed.stop runs. */
const MdnOpDef mdn_plan_ops[] = {
  { "plan.upsert",     MDN_ROLE_MANAGER, MDN_OP_WRITE | MDN_OP_HQ, op_plan_upsert },
  { "plan.list",       MDN_ROLE_CASHIER, MDN_OP_READ,              op_plan_list },
  { NULL }
};

const MdnOpDef mdn_timed_ops[] = {
  /* Tables and rooms belong to the branch that has them: not master data. */
  { "resource.upsert", MDN_ROLE_MANAGER, MDN_OP_WRITE,             op_resource_upsert },
  { "resource.list",   MDN_ROLE_CASHIER, MDN_OP_READ,              op_resource_list },
  { "timed.start",     MDN_ROLE_CASHIER, MDN_OP_WRITE,             op_timed_start },
  { "timed.stop",      MDN_ROLE_CASHIER, MDN_OP_WRITE | MDN_OP_SPEND, op_timed_stop },
  { "timed.list",      MDN_ROLE_CASHIER, MDN_OP_READ,              op_timed_list },
  { "timed.move",      MDN_ROLE_CASHIER, MDN_OP_WRITE,             op_timed_move },
  { "timed.pause",     MDN_ROLE_CASHIER, MDN_OP_WRITE,             op_timed_pause },
  { "timed.resume",    MDN_ROLE_CASHIER, MDN_OP_WRITE,             op_timed_resume },
  { NULL }
};

const MdnKindDef mdn_timed_kinds[] = {
  { "plan.upsert",     apply_plan_upsert,     MDN_KIND_MASTER },
  { "resource.upsert", apply_resource_upsert },
  { "timed.start",     apply_timed_start },
  { "timed.stop",      apply_timed_stop },
  { "timed.move",      apply_timed_move },
  { "timed.pause",     apply_timed_pause },
  { "timed.resume",    apply_timed_resume },
  { NULL }
};
