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
#include "mdn-settings.h"
#include "mdn-timed.h"
#include "mdn-commission.h"
#include "mdn-pricing.h"
#include "mdn-stock.h"

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
  gint64 prepaid_minutes;  /* 预付计时: paid up front; -1: billed at the stop */
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

/* What the time of @s costs up to @now_iso, before the level's discount:
 * c for the time that ran; a prepaid session (预付计时) bills only the time
 * beyond what was paid for: the charge of max (ran, prepaid) less the
 * charge of the prepaid time, so the plan's rules (free minutes, minimum,
 * cap) hold across the prepay, its extensions and the overtime alike. */
static gboolean
session_charge (const Session *s,
                const char    *now_iso,
                Charge        *c,
                gint64        *gross,
                GError       **error)
{
  gint64 run = active_seconds (s, now_iso);
  Charge paid;

  if (s->prepaid_minutes < 0)
    {
      if (!compute_charge (&s->terms, run, c, error))
        return FALSE;
      *gross = c->gross_fen;
      return TRUE;
    }
  if (!compute_charge (&s->terms, MAX (run, s->prepaid_minutes * 60), c, error) ||
      !compute_charge (&s->terms, s->prepaid_minutes * 60, &paid, error))
    return FALSE;
  c->seconds = run;
  c->minutes = mdn_div_ceil (run, 60);
  *gross = c->gross_fen - paid.gross_fen;
  c->gross_fen = *gross;
  return TRUE;
}

#define SESSION_COLUMNS "id, resource, member_id, plan, unit_minutes, unit_price_fen, free_minutes, " \
                        "min_minutes, COALESCE (cap_fen, -1), started_at, stop_entry, paused_at, paused_seconds, " \
                        "COALESCE (prepaid_minutes, -1)"

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
  s->prepaid_minutes = sqlite3_column_int64 (stmt, 13);
}

/* The table or room @code, free (no open session on it at this branch):
 * its name and rate plan code (@plan may be NULL). Refused, naming the
 * session, when it is in use. */
static gboolean
free_resource (MdnOpCtx    *ctx,
               const char  *code,
               char       **name,
               char       **plan,
               GError     **error)
{
  sqlite3_stmt *stmt;
  int rc;

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
  *name = g_strdup (mdn_db_col_text (stmt, 0));
  if (plan != NULL)
    *plan = g_strdup (mdn_db_col_text (stmt, 1));
  sqlite3_reset (stmt);
  return TRUE;
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
  Terms t;

  if (!mdn_args_string (args, "resource", TRUE, &code, error))
    return FALSE;
  if (!free_resource (ctx, code, &resource_name, &plan, error))
    return FALSE;
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

static void
request_clear (gpointer data)
{
  MdnSaleLineRequest *l = data;

  g_free (l->sku);
  g_free (l->staff);
}

/* The goods and services on a session (timed.add), in the order first
 * added, as the lines of a cart. */
static gboolean
load_lines (MdnOpCtx   *ctx,
            const char *session_id,
            GArray    **out,
            GError    **error)
{
  g_autoptr(GArray) lines = g_array_new (FALSE, TRUE, sizeof (MdnSaleLineRequest));
  sqlite3_stmt *stmt;
  int rc;

  g_array_set_clear_func (lines, request_clear);
  stmt = mdn_db_query (ctx->db, error,
                       "SELECT sku, qty, staff FROM timed_lines WHERE session_id = ? AND qty > 0 "
                       "ORDER BY added_seq, sku", "s", session_id);
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
    {
      MdnSaleLineRequest l = {
        g_strdup (mdn_db_col_text (stmt, 0)), sqlite3_column_int64 (stmt, 1), g_strdup (mdn_db_col_text (stmt, 2)),
      };

      g_array_append_val (lines, l);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return FALSE;
  *out = g_steal_pointer (&lines);
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
  g_autoptr(GArray) asked = NULL;
  g_autoptr(GArray) priced = NULL;
  const char *id = NULL, *staff = NULL;
  gint64 gross = 0, time_fen = 0;
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

  if (!session_charge (&s, ctx->now_iso, &c, &gross, error) ||
      !load_lines (ctx, s.id, &asked, error) ||
      !mdn_checkout_init (&co, ctx, "timed.stop", g_steal_pointer (&m), error))
    return FALSE;
  co.list_total_fen = gross;
  if (!mdn_money_percent (gross, mdn_checkout_percent (&co), &co.total_fen, error))
    return FALSE;
  time_fen = co.total_fen;
  /* The goods and services added to the table, priced now like a cart. */
  if (asked->len > 0 && (priced = mdn_pricing_price_lines (&co, ctx, asked, error)) == NULL)
    return FALSE;
  if (!mdn_checkout_settle (&co, &pay, error))
    return FALSE;

  body = co.entry->body;
  if (priced)
    {
      JsonArray *body_lines = json_array_new ();

      json_object_set_array_member (body, "lines", body_lines);
      json_object_set_int_member (body, "time_fen", time_fen);
      for (guint i = 0; i < priced->len; i++)
        {
          MdnPricedLine *l = &g_array_index (priced, MdnPricedLine, i);

          json_array_add_object_element (body_lines, mdn_pricing_line_json (l, i));
          if (g_str_equal (l->product->kind, "goods"))
            mdn_entry_add_movement (co.entry, NULL, "stock", l->product->sku, NULL, NULL, -l->qty);
          if (!mdn_commission_add (ctx, co.entry, "sale_line", l->product->sku, l->staff, i + 1, l->amount_fen,
                                   l->list_fen, l->qty, error))
            return FALSE;
        }
    }
  if (s.prepaid_minutes >= 0)
    json_object_set_int_member (body, "prepaid_minutes", s.prepaid_minutes);
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
  if (!mdn_commission_add (ctx, co.entry, "timed", s.resource, staff, 0,
                           priced ? time_fen : co.total_fen, priced ? gross : co.list_total_fen, 1, error) ||
      (priced && !mdn_stock_check_sale (ctx, co.entry, result, error)) ||
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
  json_object_set_int_member (result, "time_fen", time_fen);
  if (priced)
    json_object_set_array_member (result, "lines", json_array_ref (mdn_body_array (body, "lines")));
  if (s.prepaid_minutes >= 0)
    {
      json_object_set_int_member (result, "prepaid_minutes", s.prepaid_minutes);
      json_object_set_int_member (result, "unused_minutes", MAX (s.prepaid_minutes - c.minutes, 0));
    }
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
  gint64 warn = mdn_settings_get_int (ctx->db, "timed.warn_minutes");
  sqlite3_stmt *stmt;
  int rc;

  json_object_set_array_member (result, "sessions", list);
  json_object_set_int_member (result, "warn_minutes", warn);
  stmt = mdn_db_query (ctx->db, error,
                       "SELECT s.id, s.resource, s.member_id, s.plan, s.unit_minutes, s.unit_price_fen, "
                       "s.free_minutes, s.min_minutes, COALESCE (s.cap_fen, -1), s.started_at, s.stop_entry, "
                       "s.paused_at, s.paused_seconds, COALESCE (s.prepaid_minutes, -1), "
                       "r.name, m.card_no, l.price_percent, m.name, "
                       "(SELECT COALESCE (SUM (t.qty), 0) FROM timed_lines t WHERE t.session_id = s.id) "
                       "FROM timed_sessions s "
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
      gint64 percent = sqlite3_column_type (stmt, 16) == SQLITE_NULL ? 100 : sqlite3_column_int64 (stmt, 16);
      gint64 charge = 0, gross = 0;
      Charge c;

      session_from_row (stmt, &s);
      json_array_add_object_element (list, o);
      json_object_set_string_member (o, "session_id", s.id);
      json_object_set_string_member (o, "resource", s.resource);
      mdn_json_set_opt_string (o, "resource_name", mdn_db_col_text (stmt, 14));
      mdn_json_set_opt_string (o, "card_no", mdn_db_col_text (stmt, 15));
      mdn_json_set_opt_string (o, "member_name", mdn_db_col_text (stmt, 17));
      json_object_set_int_member (o, "items", sqlite3_column_int64 (stmt, 18));
      json_object_set_string_member (o, "plan", s.plan);
      json_object_set_string_member (o, "started_at", s.started_at);
      /* Paused: the time stands still; what ran is billed. */
      json_object_set_boolean_member (o, "paused", s.paused_at != NULL);
      json_object_set_int_member (o, "run_seconds", active_seconds (&s, ctx->now_iso));
      /* Prepaid: what is left of it (below 0: overtime), and whether the
         end is near (the POS warns). */
      if (s.prepaid_minutes >= 0)
        {
          gint64 left = s.prepaid_minutes * 60 - active_seconds (&s, ctx->now_iso);

          json_object_set_int_member (o, "prepaid_minutes", s.prepaid_minutes);
          json_object_set_int_member (o, "remaining_seconds", left);
          json_object_set_boolean_member (o, "ending", left <= warn * 60);
        }
      if (!session_charge (&s, ctx->now_iso, &c, &gross, error) ||
          !mdn_money_percent (gross, percent, &charge, error))
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
  if (!free_resource (ctx, to, &to_name, NULL, error))
    return FALSE;

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

/* Goods on a running table ------------------------------------------------------------ */

/* {session_id, sku, qty?, staff?} → timed.add: a product (goods or a
 * service: a drink, a snack, a cue rental) goes on a running table, to be
 * billed with the time at timed.stop on one receipt. A negative qty takes
 * some back (never below what was added). One entry, no movements: the
 * goods leave the shelf with the stop, which carries them as sale lines
 * (returned by line like a sale's). */
static gboolean
op_timed_add (MdnOpCtx   *ctx,
              JsonObject *args,
              JsonObject *result,
              GError    **error)
{
  g_auto(Session) s = { 0 };
  g_autoptr(MdnEntry) entry = NULL;
  g_autoptr(MdnProduct) p = NULL;
  const char *id = NULL, *sku = NULL, *staff = NULL;
  gint64 qty = 1, on = 0;
  gboolean had = FALSE;
  sqlite3_stmt *stmt;
  int rc;

  if (!mdn_args_string (args, "session_id", TRUE, &id, error) ||
      !mdn_args_string (args, "sku", TRUE, &sku, error) ||
      !mdn_args_int (args, "qty", FALSE, &qty, error) ||
      !mdn_args_string (args, "staff", FALSE, &staff, error) ||
      !load_session (ctx, id, &s, error))
    return FALSE;
  if (s.stop_entry != NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_SESSION,
                   _("Session %s on %s has already been stopped and paid"), id, s.resource);
      return FALSE;
    }
  /* No ABS (): -G_MININT64 does not exist. */
  if (qty == 0 || qty < -1000000 || !mdn_pricing_check_qty (qty < 0 ? -qty : qty, NULL))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("A quantity is a whole number from 1 to 1000000 (less than 0 takes some off the table)"));
      return FALSE;
    }
  if ((p = mdn_product_find (ctx->db, sku, error)) == NULL)
    return FALSE;
  if (!p->active)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_PRODUCT, _("%s (%s) is no longer sold"), p->name, p->sku);
      return FALSE;
    }
  if (g_str_equal (p->kind, "package"))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("%s is a package; sell it at the checkout with the member's card, not on a table"), p->name);
      return FALSE;
    }
  stmt = mdn_db_query (ctx->db, error, "SELECT qty, staff FROM timed_lines WHERE session_id = ? AND sku = ?",
                       "ss", s.id, p->sku);
  if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      had = TRUE;
      on = sqlite3_column_int64 (stmt, 0);
      if (staff && g_strcmp0 (staff, mdn_db_col_text (stmt, 1)) != 0)
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                       _("%s is on the table already, served by other staff"), p->name);
          sqlite3_reset (stmt);
          return FALSE;
        }
    }
  sqlite3_reset (stmt);
  if (on + qty < 0)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("Only %" PRId64 " of %s are on the table; %" PRId64 " cannot be taken off"),
                   on, p->name, -qty);
      return FALSE;
    }
  if (on + qty > 1000000)
    return mdn_pricing_check_qty (on + qty, error);

  entry = mdn_entry_new ("timed.add", NULL);
  json_object_set_string_member (entry->body, "session_id", s.id);
  json_object_set_string_member (entry->body, "resource", s.resource);
  json_object_set_string_member (entry->body, "sku", p->sku);
  json_object_set_string_member (entry->body, "name", p->name);
  json_object_set_string_member (entry->body, "kind", p->kind);
  json_object_set_int_member (entry->body, "qty", qty);
  mdn_json_set_opt_string (entry->body, "staff", had ? NULL : staff);
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "session_id", s.id);
  json_object_set_string_member (result, "sku", p->sku);
  json_object_set_string_member (result, "name", p->name);
  json_object_set_int_member (result, "qty", on + qty);
  return TRUE;
}

static gboolean
apply_timed_add (MdnDb    *db,
                 MdnEntry *entry,
                 GError  **error)
{
  const char *session = mdn_body_string (entry->body, "session_id");
  const char *sku = mdn_body_string (entry->body, "sku");
  gint64 qty = mdn_body_int (entry->body, "qty", 0);

  if (session == NULL || sku == NULL || qty == 0)
    return mdn_entry_malformed (entry, "session_id", error);
  return mdn_db_exec (db, error,
                      "INSERT INTO timed_lines (session_id, sku, staff, qty, added_seq) VALUES (?1, ?2, ?3, ?4, ?5) "
                      "ON CONFLICT (session_id, sku) DO UPDATE SET qty = qty + excluded.qty",
                      "sssii", session, sku, mdn_body_string (entry->body, "staff"), qty, entry->seq) &&
         mdn_db_exec (db, error, "DELETE FROM timed_lines WHERE session_id = ? AND sku = ? AND qty <= 0",
                      "ss", session, sku);
}

/* {session_id} → the goods and services on a running table, priced as the
 * stop would price them now: {lines: [{sku, name, kind, qty, staff?,
 * unit_price_fen}]}. */
static gboolean
op_timed_lines (MdnOpCtx   *ctx,
                JsonObject *args,
                JsonObject *result,
                GError    **error)
{
  static const MdnListColumn columns[] = {
    { "sku", 's' }, { "name", 's' }, { "kind", 's' }, { "qty", 'i' }, { "staff", 's' },
    { "unit_price_fen", 'i' }, { NULL }
  };
  const char *id = NULL;
  sqlite3_stmt *stmt;

  if (!mdn_args_string (args, "session_id", TRUE, &id, error))
    return FALSE;
  stmt = mdn_db_query (ctx->db, error,
                       "SELECT t.sku, p.name, p.kind, t.qty, t.staff, p.price_fen FROM timed_lines t "
                       "LEFT JOIN products p ON p.sku = t.sku WHERE t.session_id = ? AND t.qty > 0 "
                       "ORDER BY t.added_seq, t.sku", "s", id);
  return stmt != NULL && mdn_ops_list_rows (ctx, stmt, columns, result, "lines", error);
}

/* Prepaid count-down sessions (预付计时) ------------------------------------------------- */

/* The charge of @minutes of prepaid time after @before minutes already
 * paid for: C (before + minutes) − C (before), C the plan's charge. */
static gboolean
prepaid_charge (const Terms *t,
                gint64       before,
                gint64       minutes,
                gint64      *gross,
                GError     **error)
{
  Charge upto, paid;

  if (!compute_charge (t, (before + minutes) * 60, &upto, error) ||
      !compute_charge (t, before * 60, &paid, error))
    return FALSE;
  *gross = upto.gross_fen - paid.gross_fen;
  return TRUE;
}

static gboolean
want_prepaid_minutes (JsonObject *args,
                      gint64     *minutes,
                      GError    **error)
{
  if (!mdn_args_int (args, "minutes", TRUE, minutes, error))
    return FALSE;
  return check_minutes (_("minutes"), *minutes, 1, error);
}

/* {resource, minutes, card?, pin?, tenders, staff?} → timed.prepay: a
 * table or room paid up front for @minutes (预付计时, the KTV room of two
 * hours). One entry starts the session (its id is the session's) and pays
 * for the time like a sale, with a receipt. The POS counts down and warns
 * timed.warn_minutes before the end; timed.extend buys more; timed.stop
 * ends it and bills only the time beyond what was paid. Time not used when
 * it ends early is not paid back by itself: a manager refunds it, if the
 * shop does, by returning the prepay receipt by amount (sale.return). */
static gboolean
op_timed_prepay (MdnOpCtx   *ctx,
                 JsonObject *args,
                 JsonObject *result,
                 GError    **error)
{
  g_auto(MdnCheckout) co = { 0 };
  g_auto(MdnPaymentRequest) pay = { 0 };
  g_autoptr(MdnMember) m = NULL;
  g_autofree char *resource_name = NULL;
  g_autofree char *plan = NULL;
  const char *code = NULL, *staff = NULL;
  gint64 minutes = 0, gross = 0;
  Terms t;

  if (!mdn_args_string (args, "resource", TRUE, &code, error) ||
      !want_prepaid_minutes (args, &minutes, error) ||
      !mdn_args_string (args, "staff", FALSE, &staff, error) ||
      !mdn_payment_request_parse (args, &pay, error))
    return FALSE;
  if (!free_resource (ctx, code, &resource_name, &plan, error))
    return FALSE;
  if (!load_plan (ctx->db, plan, NULL, &t, error) ||
      !prepaid_charge (&t, 0, minutes, &gross, error) ||
      !mdn_selling_card (ctx, pay.card, &m, error) ||
      !mdn_checkout_init (&co, ctx, "timed.prepay", g_steal_pointer (&m), error))
    return FALSE;
  co.list_total_fen = gross;
  if (!mdn_money_percent (gross, mdn_checkout_percent (&co), &co.total_fen, error) ||
      !mdn_checkout_settle (&co, &pay, error))
    return FALSE;
  json_object_set_string_member (co.entry->body, "resource", code);
  json_object_set_string_member (co.entry->body, "resource_name", resource_name);
  json_object_set_string_member (co.entry->body, "plan", plan);
  terms_to_json (&t, co.entry->body);
  json_object_set_int_member (co.entry->body, "minutes", minutes);
  json_object_set_int_member (co.entry->body, "gross_fen", gross);
  mdn_json_set_opt_string (co.entry->body, "staff", staff);
  if (!mdn_commission_add (ctx, co.entry, "timed", code, staff, 0, co.total_fen, co.list_total_fen, 1, error) ||
      !mdn_checkout_commit (&co, result, error))
    return FALSE;
  json_object_set_string_member (result, "session_id", co.entry->id);
  json_object_set_string_member (result, "started_at", co.entry->at);
  json_object_set_string_member (result, "resource", code);
  json_object_set_string_member (result, "resource_name", resource_name);
  json_object_set_string_member (result, "plan", plan);
  json_object_set_int_member (result, "minutes", minutes);
  json_object_set_int_member (result, "prepaid_minutes", minutes);
  return TRUE;
}

static gboolean
apply_timed_prepay (MdnDb    *db,
                    MdnEntry *entry,
                    GError  **error)
{
  const char *resource = mdn_body_string (entry->body, "resource");
  const char *plan = mdn_body_string (entry->body, "plan");
  gint64 minutes = mdn_body_int (entry->body, "minutes", -1);
  gint64 total = mdn_body_int (entry->body, "total_fen", -1);
  Terms t;

  if (resource == NULL || plan == NULL || minutes < 1 || total < 0 || !terms_from_body (entry->body, &t))
    return mdn_entry_malformed (entry, "resource", error);
  return mdn_db_exec (db, error,
                      "INSERT INTO timed_sessions (id, branch, resource, member_id, plan, unit_minutes, "
                      "unit_price_fen, free_minutes, min_minutes, cap_fen, started_at, prepaid_minutes) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULLIF (?, -1), ?, ?)",
                      "sssssiiiiisi", entry->id, entry->branch, resource, entry->member_id, plan, t.unit_minutes,
                      t.unit_price_fen, t.free_minutes, t.min_minutes, t.cap_fen, entry->at, minutes) &&
         mdn_receipt_apply (db, entry, total, error);
}

/* {session_id, minutes, card?, pin?, tenders, staff?} → timed.extend: more
 * prepaid time on a prepaid session (续时), paid now like a sale: the
 * charge of the time up to the new end less that of the time paid for. */
static gboolean
op_timed_extend (MdnOpCtx   *ctx,
                 JsonObject *args,
                 JsonObject *result,
                 GError    **error)
{
  g_auto(Session) s = { 0 };
  g_auto(MdnCheckout) co = { 0 };
  g_auto(MdnPaymentRequest) pay = { 0 };
  g_autoptr(MdnMember) m = NULL;
  const char *id = NULL, *staff = NULL;
  gint64 minutes = 0, gross = 0;

  if (!mdn_args_string (args, "session_id", TRUE, &id, error) ||
      !want_prepaid_minutes (args, &minutes, error) ||
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
  if (s.prepaid_minutes < 0)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("The session on %s is billed by the time it runs, not prepaid; there is nothing to extend"),
                   s.resource);
      return FALSE;
    }
  if (!check_minutes (_("minutes"), s.prepaid_minutes + minutes, 1, error))
    return FALSE;
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
  if (!prepaid_charge (&s.terms, s.prepaid_minutes, minutes, &gross, error) ||
      !mdn_checkout_init (&co, ctx, "timed.extend", g_steal_pointer (&m), error))
    return FALSE;
  co.list_total_fen = gross;
  if (!mdn_money_percent (gross, mdn_checkout_percent (&co), &co.total_fen, error) ||
      !mdn_checkout_settle (&co, &pay, error))
    return FALSE;
  json_object_set_string_member (co.entry->body, "session_id", s.id);
  json_object_set_string_member (co.entry->body, "resource", s.resource);
  json_object_set_string_member (co.entry->body, "plan", s.plan);
  terms_to_json (&s.terms, co.entry->body);
  json_object_set_int_member (co.entry->body, "prepaid_before", s.prepaid_minutes);
  json_object_set_int_member (co.entry->body, "minutes", minutes);
  json_object_set_int_member (co.entry->body, "gross_fen", gross);
  mdn_json_set_opt_string (co.entry->body, "staff", staff);
  if (!mdn_commission_add (ctx, co.entry, "timed", s.resource, staff, 0, co.total_fen, co.list_total_fen, 1,
                           error) ||
      !mdn_checkout_commit (&co, result, error))
    return FALSE;
  json_object_set_string_member (result, "session_id", s.id);
  json_object_set_string_member (result, "resource", s.resource);
  if (!set_resource_name (ctx, s.resource, result, error))
    return FALSE;
  json_object_set_int_member (result, "minutes", minutes);
  json_object_set_int_member (result, "prepaid_minutes", s.prepaid_minutes + minutes);
  return TRUE;
}

static gboolean
apply_timed_extend (MdnDb    *db,
                    MdnEntry *entry,
                    GError  **error)
{
  const char *session = mdn_body_string (entry->body, "session_id");
  gint64 minutes = mdn_body_int (entry->body, "minutes", -1);
  gint64 total = mdn_body_int (entry->body, "total_fen", -1);

  if (session == NULL || minutes < 1 || total < 0)
    return mdn_entry_malformed (entry, "session_id", error);
  /* A member's session elsewhere is known here when its prepay was;
     a session without a card is not, and has nothing to update. */
  return mdn_db_exec (db, error,
                      "UPDATE timed_sessions SET prepaid_minutes = prepaid_minutes + ?2 "
                      "WHERE id = ?1 AND stop_entry IS NULL AND prepaid_minutes IS NOT NULL",
                      "si", session, minutes) &&
         mdn_receipt_apply (db, entry, total, error);
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
  { "timed.add",       MDN_ROLE_CASHIER, MDN_OP_WRITE,             op_timed_add },
  { "timed.lines",     MDN_ROLE_CASHIER, MDN_OP_READ,              op_timed_lines },
  { "timed.prepay",    MDN_ROLE_CASHIER, MDN_OP_WRITE | MDN_OP_SPEND, op_timed_prepay },
  { "timed.extend",    MDN_ROLE_CASHIER, MDN_OP_WRITE | MDN_OP_SPEND, op_timed_extend },
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
  { "timed.add",       apply_timed_add },
  { "timed.prepay",    apply_timed_prepay },
  { "timed.extend",    apply_timed_extend },
  { NULL }
};
