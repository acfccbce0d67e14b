/* mdn-reminders.c: reminder.list, reminder.member (the checkout's hints)
 * and reminder.done.
 *
 * Every reminder has a member, a kind and the date it is due on; a list
 * runs from today (the business date) to today + days, inclusive, nearest
 * first, and leaves out those this branch marked done (reminder.done with
 * the same member, kind and due date):
 *
 *   birthday        the next solar birthday and the next lunar birthday
 *                   (mdn-birthday.h) on or after today;
 *   low_balance     a card whose balance (principal + bonus) is at or below
 *                   reminder.low_balance_fen and that has had stored value
 *                   at all; due on the business date of the last change of
 *                   its balance, which may be before today;
 *   inactive        a card whose last visit (or its issue, if none) is
 *                   reminder.inactive_days or more before today + days;
 *                   due on the day it became inactive, which may be before
 *                   today;
 *   expiry          a card that expires within the window;
 *   package_expiry  a package lot with uses left that expires within it.
 *
 * For expiry and package_expiry the window is reminder.expiry_days unless
 * days is given. Only active cards are reminded of. */
#define G_LOG_DOMAIN "mdn-reminders"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <string.h>

#include "mdn-birthday.h"
#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-members.h"
#include "mdn-money.h"
#include "mdn-reminders.h"
#include "mdn-settings.h"

static const char *const reminder_kinds[] = {
  "birthday", "low_balance", "inactive", "expiry", "package_expiry", NULL,
};

#define DAYS_MAX 366

typedef struct
{
  MdnOpCtx   *ctx;
  const char *member_id;    /* only this member (the checkout), or NULL */
  const char *today;        /* YYYY-MM-DD */
  const char *last;         /* today + days */
  GDate       from;
  GHashTable *done;         /* "member_id due_on" of the kind, or NULL */
  GPtrArray  *out;          /* of JsonObject */
} Scan;

static void
date_of (const char *ymd,
         GDate      *out)
{
  g_date_clear (out, 1);
  g_date_set_dmy (out, (GDateDay) g_ascii_strtoull (ymd + 8, NULL, 10),
                  (GDateMonth) g_ascii_strtoull (ymd + 5, NULL, 10),
                  (GDateYear) g_ascii_strtoull (ymd, NULL, 10));
}

static char *
ymd_of (const GDate *d)
{
  char buf[16];

  g_date_strftime (buf, sizeof buf, "%Y-%m-%d", d);
  return g_strdup (buf);
}

static gint64
days_between (const char *from,
              const char *to)
{
  GDate a, b;

  date_of (from, &a);
  date_of (to, &b);
  return g_date_days_between (&a, &b);
}

static gboolean
load_done (Scan       *s,
           const char *kind,
           GError    **error)
{
  sqlite3_stmt *stmt;
  int rc;

  s->done = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  stmt = mdn_db_query (s->ctx->db, error, "SELECT member_id, due_on FROM reminder_done WHERE kind = ?",
                       "s", kind);
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (s->ctx->db, stmt, error)) == SQLITE_ROW)
    g_hash_table_add (s->done, g_strdup_printf ("%s %s", mdn_db_col_text (stmt, 0),
                                                mdn_db_col_text (stmt, 1)));
  sqlite3_reset (stmt);
  return rc == SQLITE_DONE;
}

/* Adds a reminder from the row's first four columns (id, card_no, name,
 * phone), unless it was marked done. */
static JsonObject *
add (Scan         *s,
     sqlite3_stmt *stmt,
     const char   *kind,
     const char   *due_on,
     const char   *detail)
{
  const char *member_id = mdn_db_col_text (stmt, 0);
  JsonObject *o;

  if (s->done)
    {
      g_autofree char *key = g_strdup_printf ("%s %s", member_id, due_on);

      if (g_hash_table_contains (s->done, key))
        return NULL;
    }
  o = json_object_new ();
  json_object_set_string_member (o, "member_id", member_id);
  json_object_set_string_member (o, "card_no", mdn_db_col_text (stmt, 1));
  json_object_set_string_member (o, "name", mdn_db_col_text (stmt, 2));
  json_object_set_string_member (o, "phone", mdn_db_col_text (stmt, 3));
  json_object_set_string_member (o, "kind", kind);
  json_object_set_string_member (o, "due_on", due_on);
  json_object_set_int_member (o, "days", days_between (s->today, due_on));
  json_object_set_string_member (o, "detail", detail);
  g_ptr_array_add (s->out, o);
  return o;
}

#define MEMBER_COLS "m.id, m.card_no, m.name, m.phone"

/* Birthdays ---------------------------------------------------------------------- */

static gboolean
scan_birthdays (Scan    *s,
                GError **error)
{
  g_autoptr(GHashTable) lunar_cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  sqlite3_stmt *stmt;
  int rc;

  stmt = mdn_db_query (s->ctx->db, error,
                       "SELECT " MEMBER_COLS ", m.birthday, m.birthday_lunar FROM members m "
                       "WHERE m.status = 'active' AND (?1 IS NULL OR m.id = ?1) "
                       "AND (m.birthday IS NOT NULL OR m.birthday_lunar IS NOT NULL)",
                       "s", s->member_id);
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (s->ctx->db, stmt, error)) == SQLITE_ROW)
    {
      const char *solar = mdn_db_col_text (stmt, 4);
      const char *lunar = mdn_db_col_text (stmt, 5);
      MdnLunarDay ld;
      int month, day;

      if (solar && mdn_solar_day_parse (solar, &month, &day))
        {
          GDate next;
          g_autofree char *due = NULL;
          g_autofree char *md = NULL;
          g_autofree char *detail = NULL;

          mdn_solar_day_next (month, day, &s->from, &next);
          due = ymd_of (&next);
          if (strcmp (due, s->last) <= 0)
            {
              JsonObject *o;

              md = g_strdup_printf ("%02d-%02d", month, day);
              detail = g_strdup_printf (_("Birthday %s"), md);
              if ((o = add (s, stmt, "birthday", due, detail)) != NULL)
                json_object_set_boolean_member (o, "lunar", FALSE);
            }
        }
      if (lunar && mdn_lunar_day_parse (lunar, &ld))
        {
          g_autofree char *key = g_strdup_printf ("%s%02d-%02d", ld.leap ? "L" : "", ld.month, ld.day);
          const char *due = g_hash_table_lookup (lunar_cache, key);

          if (due == NULL)
            {
              GDate next;

              if (!mdn_lunar_day_next (&ld, &s->from, &next, error))
                {
                  sqlite3_reset (stmt);
                  return FALSE;
                }
              due = ymd_of (&next);
              g_hash_table_insert (lunar_cache, g_strdup (key), (char *) due);
            }
          if (strcmp (due, s->last) <= 0)
            {
              g_autofree char *name = mdn_lunar_day_name (&ld);
              g_autofree char *detail = g_strdup_printf (_("Lunar birthday %s"), name);
              JsonObject *o = add (s, stmt, "birthday", due, detail);

              if (o)
                {
                  json_object_set_boolean_member (o, "lunar", TRUE);
                  json_object_set_string_member (o, "lunar_day", name);
                }
            }
        }
    }
  sqlite3_reset (stmt);
  return rc == SQLITE_DONE;
}

/* Low balance -------------------------------------------------------------------- */

static gboolean
scan_low_balance (Scan    *s,
                  GError **error)
{
  gint64 threshold = mdn_settings_get_int (s->ctx->db, "reminder.low_balance_fen");
  sqlite3_stmt *stmt;
  int rc;

  /* The last change of the balance: the newest principal or bonus movement. */
  stmt = mdn_db_query (s->ctx->db, error,
                       "SELECT " MEMBER_COLS ", m.principal_fen + m.bonus_fen, "
                       "(SELECT max (e.business_date) FROM movements mv JOIN entries e ON e.id = mv.entry_id "
                       " WHERE mv.member_id = m.id AND mv.account IN ('principal', 'bonus')) AS changed "
                       "FROM members m WHERE m.status = 'active' AND (?1 IS NULL OR m.id = ?1) "
                       "AND m.principal_fen + m.bonus_fen <= ?2 AND changed IS NOT NULL",
                       "si", s->member_id, threshold);
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (s->ctx->db, stmt, error)) == SQLITE_ROW)
    {
      const char *changed = mdn_db_col_text (stmt, 5);
      gint64 balance = sqlite3_column_int64 (stmt, 4);
      g_autofree char *money = mdn_money_format (balance);
      g_autofree char *detail = g_strdup_printf (_("Balance ¥%s"), money);
      JsonObject *o;

      if (strcmp (changed, s->last) > 0)
        continue;
      if ((o = add (s, stmt, "low_balance", changed, detail)) != NULL)
        json_object_set_int_member (o, "balance_fen", balance);
    }
  sqlite3_reset (stmt);
  return rc == SQLITE_DONE;
}

/* Inactive ----------------------------------------------------------------------- */

static gboolean
scan_inactive (Scan    *s,
               GError **error)
{
  gint64 days = CLAMP (mdn_settings_get_int (s->ctx->db, "reminder.inactive_days"), 1, 36500);
  sqlite3_stmt *stmt;
  int rc;

  stmt = mdn_db_query (s->ctx->db, error,
                       "SELECT " MEMBER_COLS ", f.last_visit, "
                       "date (coalesce (f.last_visit, substr (m.issued_at, 1, 10)), '+' || ?2 || ' days') AS due "
                       "FROM members m LEFT JOIN member_figures f ON f.member_id = m.id "
                       "WHERE m.status = 'active' AND (?1 IS NULL OR m.id = ?1) AND due <= ?3",
                       "sis", s->member_id, days, s->last);
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (s->ctx->db, stmt, error)) == SQLITE_ROW)
    {
      const char *last_visit = mdn_db_col_text (stmt, 4);
      const char *due = mdn_db_col_text (stmt, 5);
      g_autofree char *detail = last_visit ? g_strdup_printf (_("Last visit %s"), last_visit)
                                           : g_strdup (_("No visit since the card was issued"));
      JsonObject *o;

      if (due == NULL)
        continue;
      if ((o = add (s, stmt, "inactive", due, detail)) != NULL)
        mdn_json_set_opt_string (o, "last_visit", last_visit);
    }
  sqlite3_reset (stmt);
  return rc == SQLITE_DONE;
}

/* Expiry ------------------------------------------------------------------------- */

static gboolean
scan_expiry (Scan    *s,
             GError **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = mdn_db_query (s->ctx->db, error,
                       "SELECT " MEMBER_COLS ", m.expires_on FROM members m "
                       "WHERE m.status = 'active' AND (?1 IS NULL OR m.id = ?1) "
                       "AND m.expires_on >= ?2 AND m.expires_on <= ?3",
                       "sss", s->member_id, s->today, s->last);
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (s->ctx->db, stmt, error)) == SQLITE_ROW)
    {
      const char *on = mdn_db_col_text (stmt, 4);
      g_autofree char *detail = g_strdup_printf (_("The card expires on %s"), on + 5);

      add (s, stmt, "expiry", on, detail);
    }
  sqlite3_reset (stmt);
  return rc == SQLITE_DONE;
}

static gboolean
scan_package_expiry (Scan    *s,
                     GError **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = mdn_db_query (s->ctx->db, error,
                       "SELECT " MEMBER_COLS ", mp.expires_on, mp.item, coalesce (p.name, mp.item), "
                       "sum (mp.remaining) FROM members m JOIN member_packages mp ON mp.member_id = m.id "
                       "LEFT JOIN products p ON p.sku = mp.item "
                       "WHERE m.status = 'active' AND (?1 IS NULL OR m.id = ?1) AND mp.remaining > 0 "
                       "AND mp.expires_on >= ?2 AND mp.expires_on <= ?3 "
                       "GROUP BY m.id, mp.item, mp.expires_on",
                       "sss", s->member_id, s->today, s->last);
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (s->ctx->db, stmt, error)) == SQLITE_ROW)
    {
      const char *on = mdn_db_col_text (stmt, 4);
      gint64 uses = sqlite3_column_int64 (stmt, 7);
      g_autofree char *detail = g_strdup_printf (_("%s: %" PRId64 " uses expire on %s"),
                                                 mdn_db_col_text (stmt, 6), uses, on + 5);
      JsonObject *o = add (s, stmt, "package_expiry", on, detail);

      if (o)
        {
          json_object_set_string_member (o, "item", mdn_db_col_text (stmt, 5));
          json_object_set_int_member (o, "remaining", uses);
        }
    }
  sqlite3_reset (stmt);
  return rc == SQLITE_DONE;
}

static gboolean
scan_kind (Scan       *s,
           const char *kind,
           GError    **error)
{
  if (g_str_equal (kind, "birthday"))
    return scan_birthdays (s, error);
  if (g_str_equal (kind, "low_balance"))
    return scan_low_balance (s, error);
  if (g_str_equal (kind, "inactive"))
    return scan_inactive (s, error);
  if (g_str_equal (kind, "expiry"))
    return scan_expiry (s, error);
  return scan_package_expiry (s, error);
}

static int
compare_reminders (gconstpointer a,
                   gconstpointer b)
{
  JsonObject *x = *(JsonObject *const *) a;
  JsonObject *y = *(JsonObject *const *) b;
  int c = strcmp (json_object_get_string_member (x, "due_on"), json_object_get_string_member (y, "due_on"));

  if (c == 0)
    c = strcmp (json_object_get_string_member (x, "card_no"), json_object_get_string_member (y, "card_no"));
  return c;
}

static gboolean
valid_kind (const char *kind,
            GError    **error)
{
  if (kind == NULL || !g_strv_contains (reminder_kinds, kind))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a kind of reminder (birthday, low_balance, inactive, expiry, package_expiry)"),
                   kind ? kind : "");
      return FALSE;
    }
  return TRUE;
}

static void
scan_clear (Scan *s)
{
  g_clear_pointer (&s->done, g_hash_table_unref);
  g_clear_pointer (&s->out, g_ptr_array_unref);
}

static gboolean
op_list (MdnOpCtx   *ctx,
         JsonObject *args,
         JsonObject *result,
         GError    **error)
{
  const char *kind = NULL;
  gint64 days = 7;
  g_autofree char *last = NULL;
  Scan s = { ctx };
  JsonArray *list;
  gboolean ok;

  if (!mdn_args_string (args, "kind", TRUE, &kind, error) || !valid_kind (kind, error))
    return FALSE;
  if ((g_str_equal (kind, "expiry") || g_str_equal (kind, "package_expiry")) &&
      !json_object_has_member (args, "days"))
    days = mdn_settings_get_int (ctx->db, "reminder.expiry_days");
  if (!mdn_args_int (args, "days", FALSE, &days, error))
    return FALSE;
  if (days < 0 || days > DAYS_MAX)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("“days” must be between 0 and %d"), DAYS_MAX);
      return FALSE;
    }
  last = mdn_date_add_days (ctx->business_date, (int) days);
  s.today = ctx->business_date;
  s.last = last;
  date_of (ctx->business_date, &s.from);
  s.out = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  ok = load_done (&s, kind, error) && scan_kind (&s, kind, error);
  if (ok)
    {
      g_ptr_array_sort (s.out, compare_reminders);
      list = json_array_new ();
      for (guint i = 0; i < s.out->len; i++)
        json_array_add_object_element (list, json_object_ref (g_ptr_array_index (s.out, i)));
      json_object_set_array_member (result, "reminders", list);
      json_object_set_string_member (result, "kind", kind);
      json_object_set_string_member (result, "from", s.today);
      json_object_set_string_member (result, "to", s.last);
    }
  scan_clear (&s);
  return ok;
}

/* The counts of every kind over its default window, for the badge. */
static gboolean
op_counts (MdnOpCtx   *ctx,
           JsonObject *args,
           JsonObject *result,
           GError    **error)
{
  JsonObject *counts = json_object_new ();
  gint64 total = 0;

  json_object_set_object_member (result, "counts", counts);
  for (guint k = 0; reminder_kinds[k]; k++)
    {
      g_autoptr(JsonObject) a = json_object_new ();
      g_autoptr(JsonObject) r = json_object_new ();
      guint n;

      json_object_set_string_member (a, "kind", reminder_kinds[k]);
      if (!op_list (ctx, a, r, error))
        return FALSE;
      n = json_array_get_length (json_object_get_array_member (r, "reminders"));
      json_object_set_int_member (counts, reminder_kinds[k], n);
      total += n;
    }
  json_object_set_int_member (result, "total", total);
  return TRUE;
}

static void
add_hint (JsonArray  *hints,
          const char *kind,
          const char *text,
          const char *due_on)
{
  JsonObject *o = json_object_new ();

  json_object_set_string_member (o, "kind", kind);
  json_object_set_string_member (o, "text", text);
  json_object_set_string_member (o, "due_on", due_on);
  json_array_add_object_element (hints, o);
}

/* What the checkout says of the member it has: a birthday within 7 days,
 * a balance below the threshold, a card or package expiring within
 * reminder.expiry_days. Done marks do not hide them. */
static gboolean
op_member (MdnOpCtx   *ctx,
           JsonObject *args,
           JsonObject *result,
           GError    **error)
{
  g_autoptr(MdnMember) m = NULL;
  gint64 expiry_days = CLAMP (mdn_settings_get_int (ctx->db, "reminder.expiry_days"), 0, DAYS_MAX);
  static const char *const kinds[] = { "birthday", "low_balance", "expiry", "package_expiry", NULL };
  JsonArray *hints;
  gboolean ok = TRUE;

  m = mdn_member_resolve_arg (ctx, args, error);
  if (m == NULL)
    return FALSE;
  hints = json_array_new ();
  json_object_set_array_member (result, "hints", hints);
  json_object_set_string_member (result, "member_id", m->id);
  for (guint k = 0; kinds[k] && ok; k++)
    {
      g_autofree char *last = mdn_date_add_days (ctx->business_date,
                                                 g_str_equal (kinds[k], "birthday") ? 7 : (int) expiry_days);
      Scan s = { ctx, m->id, ctx->business_date, last };

      date_of (ctx->business_date, &s.from);
      s.out = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
      ok = scan_kind (&s, kinds[k], error);
      g_ptr_array_sort (s.out, compare_reminders);
      for (guint i = 0; ok && i < s.out->len; i++)
        {
          JsonObject *r = g_ptr_array_index (s.out, i);
          const char *due = json_object_get_string_member (r, "due_on");
          gint64 days = json_object_get_int_member (r, "days");
          g_autofree char *text = NULL;

          if (g_str_equal (kinds[k], "birthday"))
            {
              gboolean lunar = json_object_get_boolean_member (r, "lunar");

              if (days == 0)
                text = g_strdup (lunar ? _("Lunar birthday today") : _("Birthday today"));
              else if (lunar)
                text = g_strdup_printf (_("Lunar %s birthday (in %" PRId64 " days)"),
                                        json_object_get_string_member (r, "lunar_day"), days);
              else
                text = g_strdup_printf (_("Birthday on %s (in %" PRId64 " days)"), due + 5, days);
            }
          else if (g_str_equal (kinds[k], "low_balance"))
            {
              g_autofree char *money = mdn_money_format (json_object_get_int_member (r, "balance_fen"));

              text = g_strdup_printf (_("Low balance ¥%s"), money);
            }
          else if (g_str_equal (kinds[k], "expiry"))
            text = g_strdup_printf (_("The card expires on %s"), due + 5);
          else
            text = g_strdup (json_object_get_string_member (r, "detail"));
          add_hint (hints, kinds[k], text, due);
        }
      scan_clear (&s);
    }
  return ok;
}

static gboolean
op_done (MdnOpCtx   *ctx,
         JsonObject *args,
         JsonObject *result,
         GError    **error)
{
  const char *member_id = NULL, *kind = NULL, *due_on = NULL;
  g_autoptr(MdnMember) m = NULL;

  if (!mdn_args_string (args, "member_id", TRUE, &member_id, error) ||
      !mdn_args_string (args, "kind", TRUE, &kind, error) ||
      !mdn_args_date (args, "due_on", TRUE, &due_on, error) ||
      !valid_kind (kind, error))
    return FALSE;
  m = mdn_member_load (ctx->db, member_id, error);
  if (m == NULL)
    return FALSE;
  if (!mdn_db_exec (ctx->db, error,
                    "INSERT INTO reminder_done (member_id, kind, due_on, at, staff) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT DO NOTHING",
                    "sssss", m->id, kind, due_on, ctx->now_iso, ctx->staff))
    return FALSE;
  json_object_set_string_member (result, "member_id", m->id);
  json_object_set_string_member (result, "kind", kind);
  json_object_set_string_member (result, "due_on", due_on);
  return TRUE;
}

const MdnOpDef mdn_reminder_ops[] = {
  { "reminder.list",   MDN_ROLE_CASHIER, MDN_OP_READ,  op_list },
  { "reminder.counts", MDN_ROLE_CASHIER, MDN_OP_READ,  op_counts },
  { "reminder.member", MDN_ROLE_CASHIER, MDN_OP_READ,  op_member },
  { "reminder.done",   MDN_ROLE_CASHIER, MDN_OP_WRITE, op_done },
  { NULL }
};
