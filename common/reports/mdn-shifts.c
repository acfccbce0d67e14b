/* mdn-shifts.c: the shift handover (交班) and the day end that sums the
 * shifts (日结).
 *
 * A staff member's shift is every entry they wrote at this branch since
 * their last `shift.close` (all of them before their first one). What the
 * drawer should hold per money tender is the sum of those entries' tenders
 * as the figures module counts them (mdn_figures_add_entry: sales and timed
 * sessions net of change, refunds paid back, deposits and withdrawals),
 * plus the float for cash. The cashier counts the drawer (cash by
 * denomination or as a total, the other tenders as totals from their
 * terminals); `shift.close` records expected, counted and the over/short
 * per tender as one entry with no movements: a count changes no balance,
 * and the money it counts was already counted when it changed hands. */
#define G_LOG_DOMAIN "mdn-shifts"

#include <glib/gi18n-lib.h>

#include "mdn-db.h"
#include "mdn-entry-check.h"
#include "mdn-error.h"
#include "mdn-figures.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-money.h"
#include "mdn-op.h"
#include "mdn-shifts.h"
#include "mdn-store.h"

/* The notes and coins a drawer holds, in fen (¥100 … ¥0.1). */
const gint64 mdn_shift_denominations[] = { 10000, 5000, 2000, 1000, 500, 100, 50, 10, 0 };

#define N_MONEY 4   /* cash, bank, wechat, alipay: mdn_money_tenders */

typedef struct
{
  gint64      after_seq;      /* the last close's seq, 0 if none */
  char       *opened_at;      /* the last close's time, NULL if none */
  gint64      entries;        /* counted entries of the shift */
  gint64      last_seq;       /* the shift's last entry, after_seq if none */
  gint64      expected[N_MONEY];
} Shift;

static void
shift_clear (Shift *s)
{
  g_clear_pointer (&s->opened_at, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Shift, shift_clear)

static gboolean
too_large (GError **error)
{
  g_set_error_literal (error, MDN_ERROR, MDN_ERROR_MONEY_OVERFLOW,
                       _("The shift's figures are too large to add up"));
  return FALSE;
}

/* The open shift of @staff at this branch, with @float_fen in the drawer. */
static gboolean
load_shift (MdnOpCtx   *ctx,
            const char *staff,
            gint64      float_fen,
            Shift      *s,
            GError    **error)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  MdnFigures sum = { 0 };
  sqlite3_stmt *stmt;
  int rc;

  stmt = mdn_db_query (ctx->db, error,
                       "SELECT seq, at FROM entries WHERE branch = ? AND staff = ? AND kind = 'shift.close' "
                       "ORDER BY seq DESC LIMIT 1", "ss", ctx->store->branch_code, staff);
  if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      s->after_seq = sqlite3_column_int64 (stmt, 0);
      s->opened_at = g_strdup (mdn_db_col_text (stmt, 1));
    }
  sqlite3_reset (stmt);
  s->last_seq = s->after_seq;

  stmt = mdn_db_query (ctx->db, error,
                       "SELECT id, seq FROM entries WHERE branch = ? AND seq > ? AND staff = ? ORDER BY seq",
                       "sis", ctx->store->branch_code, s->after_seq, staff);
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
    {
      g_ptr_array_add (ids, g_strdup (mdn_db_col_text (stmt, 0)));
      s->last_seq = sqlite3_column_int64 (stmt, 1);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return FALSE;
  for (guint i = 0; i < ids->len; i++)
    {
      g_autoptr(MdnEntry) entry = mdn_entry_load (ctx->db, g_ptr_array_index (ids, i), error);

      if (entry == NULL)
        {
          g_prefix_error (error, _("An entry of the shift can't be read; run “mendian-cli verify”: "));
          return FALSE;
        }
      mdn_figures_add_entry (&sum, entry, MDN_FIGURES_NONE);
    }
  if (sum.overflow)
    return too_large (error);
  s->entries = sum.counted_entries;
  for (int t = 0; t < N_MONEY; t++)
    s->expected[t] = sum.tenders[mdn_tender_kind (mdn_money_tenders[t])].amount_fen;
  if (__builtin_add_overflow (s->expected[0], float_fen, &s->expected[0]) ||
      s->expected[0] > MDN_ENTRY_AMOUNT_MAX || s->expected[0] < -MDN_ENTRY_AMOUNT_MAX)
    return too_large (error);
  return TRUE;
}

static gboolean
read_float (JsonObject *args,
            gint64     *float_fen,
            GError    **error)
{
  *float_fen = 0;
  if (!mdn_args_int (args, "float_fen", FALSE, float_fen, error))
    return FALSE;
  if (*float_fen < 0 || *float_fen > MDN_ENTRY_AMOUNT_MAX)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("The float is the change the drawer started with: an amount from 0"));
      return FALSE;
    }
  return TRUE;
}

static void
shift_to_json (MdnOpCtx   *ctx,
               Shift      *s,
               gint64      float_fen,
               JsonObject *result)
{
  JsonArray *tenders = json_array_new ();

  json_object_set_string_member (result, "staff", ctx->staff);
  mdn_json_set_opt_string (result, "opened_at", s->opened_at);
  json_object_set_int_member (result, "after_seq", s->after_seq);
  json_object_set_int_member (result, "entries", s->entries);
  json_object_set_int_member (result, "float_fen", float_fen);
  for (int t = 0; t < N_MONEY; t++)
    {
      JsonObject *o = json_object_new ();

      json_object_set_string_member (o, "tender", mdn_money_tenders[t]);
      json_object_set_int_member (o, "expected_fen", s->expected[t]);
      json_array_add_object_element (tenders, o);
    }
  json_object_set_array_member (result, "tenders", tenders);
}

/* {float_fen?} → the open shift of the logged-in staff member: since when,
 * how many entries, and what the drawer should hold per money tender. */
static gboolean
op_shift_preview (MdnOpCtx   *ctx,
                  JsonObject *args,
                  JsonObject *result,
                  GError    **error)
{
  g_auto(Shift) s = { 0 };
  gint64 float_fen;

  if (!read_float (args, &float_fen, error) ||
      !load_shift (ctx, ctx->staff, float_fen, &s, error))
    return FALSE;
  shift_to_json (ctx, &s, float_fen, result);
  return TRUE;
}

/* The cash counted: Σ value × count of {value_fen, count} (into @denoms,
 * as the entry keeps them), or NULL when the count is not by denomination. */
static gboolean
read_denominations (JsonObject *args,
                    JsonArray **denoms,
                    gint64     *cash,
                    GError    **error)
{
  JsonArray *list = mdn_args_array (args, "denominations", FALSE, error);
  g_autoptr(JsonArray) out = NULL;
  gint64 sum = 0;

  *denoms = NULL;
  if (list == NULL)
    return error == NULL || *error == NULL;
  out = json_array_new ();
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *d = mdn_args_element_object (list, i, "denominations", error);
      gint64 value = 0, count = 0, part;
      gboolean known = FALSE;
      JsonObject *o;

      if (d == NULL ||
          !mdn_args_int (d, "value_fen", TRUE, &value, error) ||
          !mdn_args_int (d, "count", TRUE, &count, error))
        return FALSE;
      for (guint k = 0; mdn_shift_denominations[k]; k++)
        known |= mdn_shift_denominations[k] == value;
      if (!known)
        {
          g_autofree char *v = mdn_money_format (value);

          g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                       _("There is no note or coin of %s; count ¥100, ¥50, ¥20, ¥10, ¥5, ¥1, ¥0.5 and ¥0.1"), v);
          return FALSE;
        }
      if (count < 0 || count > MDN_SHIFT_COUNT_MAX)
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                       _("The count of a note or coin is a whole number from 0 to %d"), MDN_SHIFT_COUNT_MAX);
          return FALSE;
        }
      part = value * count;   /* ≤ 10000 × 1000000: no overflow */
      if (__builtin_add_overflow (sum, part, &sum) || sum > MDN_ENTRY_AMOUNT_MAX)
        return too_large (error);
      if (count == 0)
        continue;
      o = json_object_new ();
      json_object_set_int_member (o, "value_fen", value);
      json_object_set_int_member (o, "count", count);
      json_array_add_object_element (out, o);
    }
  *denoms = g_steal_pointer (&out);
  *cash = sum;
  return TRUE;
}

/* {counted: {cash?, bank?, wechat?, alipay?} (fen), denominations?:
 * [{value_fen, count}], float_fen?} → closes the logged-in staff member's
 * shift: one `shift.close` entry with expected, counted and over/short per
 * money tender. Cash must be counted (by denomination or as a total); a
 * tender not counted is taken as expected and marked so. */
static gboolean
op_shift_close (MdnOpCtx   *ctx,
                JsonObject *args,
                JsonObject *result,
                GError    **error)
{
  g_auto(Shift) s = { 0 };
  g_autoptr(MdnEntry) entry = NULL;
  g_autoptr(JsonArray) denoms = NULL;
  JsonObject *counted = NULL;
  JsonArray *tenders;
  gint64 float_fen, by_denoms = 0, over_short = 0;

  if (!read_float (args, &float_fen, error) ||
      !read_denominations (args, &denoms, &by_denoms, error))
    return FALSE;
  if (json_object_has_member (args, "counted"))
    {
      JsonNode *n = json_object_get_member (args, "counted");

      if (!JSON_NODE_HOLDS_OBJECT (n))
        {
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                               _("“counted” is what the drawer holds per tender in fen, like {cash: 52000}"));
          return FALSE;
        }
      counted = json_node_get_object (n);
    }
  if (denoms == NULL && (counted == NULL || !json_object_has_member (counted, "cash")))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("Count the cash in the drawer first, by note and coin or as a total"));
      return FALSE;
    }
  if (!load_shift (ctx, ctx->staff, float_fen, &s, error))
    return FALSE;

  entry = mdn_entry_new ("shift.close", NULL);
  json_object_set_int_member (entry->body, "after_seq", s.after_seq);
  json_object_set_int_member (entry->body, "last_seq", s.last_seq);
  mdn_json_set_opt_string (entry->body, "opened_at", s.opened_at);
  json_object_set_int_member (entry->body, "entries", s.entries);
  json_object_set_int_member (entry->body, "float_fen", float_fen);
  tenders = json_array_new ();
  json_object_set_array_member (entry->body, "tenders", tenders);
  for (int t = 0; t < N_MONEY; t++)
    {
      const char *name = mdn_money_tenders[t];
      JsonObject *o = json_object_new ();
      gboolean was_counted = FALSE;
      gint64 have = s.expected[t], diff;

      if (t == 0 && denoms)
        {
          have = by_denoms;
          was_counted = TRUE;
          if (counted && json_object_has_member (counted, "cash") &&
              mdn_body_int (counted, "cash", -1) != by_denoms)
            {
              json_object_unref (o);
              g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                                   _("The cash total is not what the notes and coins add up to; count again"));
              return FALSE;
            }
        }
      else if (counted && json_object_has_member (counted, name))
        {
          if (!mdn_args_int (counted, name, TRUE, &have, error))
            {
              json_object_unref (o);
              return FALSE;
            }
          if (have < 0 || have > MDN_ENTRY_AMOUNT_MAX)
            {
              json_object_unref (o);
              g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("What was counted for %s is an amount from 0"), name);
              return FALSE;
            }
          was_counted = TRUE;
        }
      if (__builtin_sub_overflow (have, s.expected[t], &diff) ||
          __builtin_add_overflow (over_short, diff, &over_short) ||
          over_short > MDN_ENTRY_AMOUNT_MAX || over_short < -MDN_ENTRY_AMOUNT_MAX)
        {
          json_object_unref (o);
          return too_large (error);
        }
      json_object_set_string_member (o, "tender", name);
      json_object_set_int_member (o, "expected_fen", s.expected[t]);
      json_object_set_int_member (o, "counted_fen", have);
      json_object_set_int_member (o, "over_short_fen", diff);
      json_object_set_boolean_member (o, "counted", was_counted);
      json_array_add_object_element (tenders, o);
    }
  if (denoms)
    json_object_set_array_member (entry->body, "denominations", json_array_ref (denoms));
  json_object_set_int_member (entry->body, "over_short_fen", over_short);
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;

  json_object_set_string_member (result, "staff", ctx->staff);
  json_object_set_string_member (result, "closed_at", entry->at);
  json_object_set_string_member (result, "business_date", entry->business_date);
  mdn_json_set_opt_string (result, "opened_at", s.opened_at);
  json_object_set_int_member (result, "entries", s.entries);
  json_object_set_int_member (result, "float_fen", float_fen);
  json_object_set_array_member (result, "tenders", json_array_ref (tenders));
  if (denoms)
    json_object_set_array_member (result, "denominations", json_array_ref (denoms));
  json_object_set_int_member (result, "over_short_fen", over_short);
  return TRUE;
}

/* {date?} → the day end (日结): every shift closed at this branch that
 * business day (any earlier day by "date"), oldest first, each with its
 * staff member's name, and the sums of their tenders. */
static gboolean
op_shift_list (MdnOpCtx   *ctx,
               JsonObject *args,
               JsonObject *result,
               GError    **error)
{
  const char *date = NULL;
  gint64 expected[N_MONEY] = { 0 }, counted[N_MONEY] = { 0 }, over_short = 0;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  JsonArray *shifts, *totals;
  sqlite3_stmt *stmt;
  int rc;

  if (!mdn_args_date (args, "date", FALSE, &date, error))
    return FALSE;
  if (date == NULL)
    date = ctx->business_date;
  stmt = mdn_db_query (ctx->db, error,
                       "SELECT e.id, s.name FROM entries e LEFT JOIN staff s ON s.code = e.staff "
                       "WHERE e.branch = ? AND e.business_date = ? AND e.kind = 'shift.close' ORDER BY e.seq",
                       "ss", ctx->store->branch_code, date);
  if (stmt == NULL)
    return FALSE;
  shifts = json_array_new ();
  json_object_set_array_member (result, "shifts", shifts);
  while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
    {
      g_ptr_array_add (ids, g_strdup (mdn_db_col_text (stmt, 0)));
      g_ptr_array_add (ids, g_strdup (mdn_db_col_text (stmt, 1)));
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return FALSE;
  for (guint i = 0; i < ids->len; i += 2)
    {
      g_autoptr(MdnEntry) e = mdn_entry_load (ctx->db, g_ptr_array_index (ids, i), error);
      JsonObject *o;
      JsonArray *tenders;
      gint64 os;

      if (e == NULL)
        return FALSE;
      tenders = mdn_body_array (e->body, "tenders");
      o = json_object_new ();
      json_object_set_string_member (o, "entry_id", e->id);
      json_object_set_string_member (o, "staff", e->staff);
      mdn_json_set_opt_string (o, "staff_name", g_ptr_array_index (ids, i + 1));
      mdn_json_set_opt_string (o, "opened_at", mdn_body_string (e->body, "opened_at"));
      json_object_set_string_member (o, "closed_at", e->at);
      json_object_set_int_member (o, "entries", mdn_body_int (e->body, "entries", 0));
      json_object_set_int_member (o, "float_fen", mdn_body_int (e->body, "float_fen", 0));
      os = mdn_body_int (e->body, "over_short_fen", 0);
      json_object_set_int_member (o, "over_short_fen", os);
      json_object_set_array_member (o, "tenders", tenders ? json_array_ref (tenders) : json_array_new ());
      json_array_add_object_element (shifts, o);
      /* Checked entries: every amount within MDN_ENTRY_AMOUNT_MAX. */
      for (guint k = 0; tenders && k < json_array_get_length (tenders); k++)
        {
          JsonObject *t = json_array_get_object_element (tenders, k);

          for (int m = 0; m < N_MONEY; m++)
            if (g_strcmp0 (mdn_body_string (t, "tender"), mdn_money_tenders[m]) == 0 &&
                (__builtin_add_overflow (expected[m], mdn_body_int (t, "expected_fen", 0), &expected[m]) ||
                 __builtin_add_overflow (counted[m], mdn_body_int (t, "counted_fen", 0), &counted[m])))
              return too_large (error);
        }
      if (__builtin_add_overflow (over_short, os, &over_short))
        return too_large (error);
    }
  totals = json_array_new ();
  for (int m = 0; m < N_MONEY; m++)
    {
      JsonObject *t = json_object_new ();

      json_object_set_string_member (t, "tender", mdn_money_tenders[m]);
      json_object_set_int_member (t, "expected_fen", expected[m]);
      json_object_set_int_member (t, "counted_fen", counted[m]);
      json_object_set_int_member (t, "over_short_fen", counted[m] - expected[m]);
      json_array_add_object_element (totals, t);
    }
  json_object_set_string_member (result, "date", date);
  json_object_set_string_member (result, "branch", ctx->store->branch_code);
  json_object_set_array_member (result, "totals", totals);
  json_object_set_int_member (result, "over_short_fen", over_short);
  return TRUE;
}

const MdnOpDef mdn_shift_ops[] = {
  { "shift.preview", MDN_ROLE_CASHIER, MDN_OP_READ,  op_shift_preview },
  { "shift.close",   MDN_ROLE_CASHIER, MDN_OP_WRITE, op_shift_close },
  { "shift.list",    MDN_ROLE_CASHIER, MDN_OP_READ,  op_shift_list },
  { NULL }
};

/* A count of the drawer: no movements, nothing to project. */
const MdnKindDef mdn_shift_kinds[] = {
  { "shift.close", NULL, 0 },
  { NULL }
};
