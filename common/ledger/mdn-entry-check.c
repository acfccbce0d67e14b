/* mdn-entry-check.c: what an entry of each kind may say, checked with the
 * entry alone, the same way where it is written (mdn_ledger_append, at the
 * branch: a bug is caught where it happens) and where it arrives
 * (srv_push: the server trusts no push).
 *
 * One check per kind, in the table at the end: the body's members, their
 * types and ranges, sums that must add up (tenders to the total, lines to
 * the list total, ...), and the movements the kind and body imply, built
 * here the way the operation builds them and compared with the entry's own
 * (in any order). A kind without a check is refused, so a new kind can't
 * be written before it has one. The bodies are those the operations of
 * mdn-members.c, mdn-sales.c, mdn-selling.c, mdn-timed.c, mdn-packages.c,
 * mdn-points.c, mdn-master.c, mdn-catalog.c, mdn-exceptions.c and
 * mdn-stock.c write.
 *
 * What needs the database (ids already taken, a card number in the pushing
 * branch's range, an authorization of another branch) is the server's, in
 * srv_push.
 */
#define G_LOG_DOMAIN "mdn-entry-check"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-entry-check.h"
#include "mdn-error.h"
#include "mdn-id.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-money.h"
#include "mdn-settings.h"

#define MINUTES_MAX    ((gint64) 525600)       /* a year, as mdn-timed.c */
#define USES_MAX       ((gint64) 100000)       /* package_count, count: as mdn-catalog.c, mdn-packages.c */
#define POINTS_OP_MAX  ((gint64) 1000000000)   /* points.redeem, points.adjust: as mdn-points.c */
#define DAYS_MAX       ((gint64) 36500)
#define STOCK_QTY_MAX  ((gint64) 1000000)      /* one line of a stock entry: as mdn-stock.h */

static const char *const product_kinds[] = { "goods", "service", "package", NULL };
static const char *const sale_kinds[] = { "sale", "sale.quick", "timed.stop", "timed.prepay", "timed.extend", NULL };

/* Its strings are the entry's (or literals): it lives only during the check. */
typedef struct
{
  const char *member_id;
  const char *account;
  const char *item;
  const char *lot;
  const char *expires_on;
  gboolean    any_expiry;   /* expires_on is not implied by the body */
  gint64      delta;
} Expected;

typedef struct
{
  MdnEntry *entry;
  GArray   *expected;    /* of Expected */
  GError  **error;
} Check;

static gboolean
fail (Check      *c,
      int         code,
      const char *format,
      ...) G_GNUC_PRINTF (3, 4);

static gboolean
fail (Check      *c,
      int         code,
      const char *format,
      ...)
{
  va_list ap;
  g_autofree char *message = NULL;

  va_start (ap, format);
  message = g_strdup_vprintf (format, ap);
  va_end (ap);
  if (c->error && *c->error == NULL)
    g_set_error_literal (c->error, MDN_ERROR, code, message);
  return FALSE;
}

/* Body members ------------------------------------------------------------------------ */

/* A string member: required (not blank), or optional (absent or null). */
static gboolean
want_string (Check       *c,
             JsonObject  *o,
             const char  *name,
             gboolean     required,
             const char **out)
{
  const char *value = NULL;

  if (!mdn_args_string (o, name, required, &value, c->error))
    return FALSE;
  if (out)
    *out = value;
  return TRUE;
}

/* A member that, when present, is null: what an entry without a card has. */
static gboolean
want_null (Check      *c,
           JsonObject *o,
           const char *name)
{
  JsonNode *node = json_object_get_member (o, name);

  if (node != NULL && !JSON_NODE_HOLDS_NULL (node))
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” must not be there without a member"), name);
  return TRUE;
}

static gboolean
want_date (Check       *c,
           JsonObject  *o,
           const char  *name,
           gboolean     required,
           const char **out)
{
  const char *value = NULL;

  if (!mdn_args_date (o, name, required, &value, c->error))
    return FALSE;
  if (out)
    *out = value;
  return TRUE;
}

static gboolean
want_bool (Check      *c,
           JsonObject *o,
           const char *name)
{
  gboolean ignored = FALSE;

  return mdn_args_bool (o, name, &ignored, c->error);
}

static gboolean
range_error (Check      *c,
             const char *name,
             gint64      value,
             gint64      min,
             gint64      max)
{
  if (value > max && max >= MDN_ENTRY_AMOUNT_MAX)
    return fail (c, MDN_ERROR_MONEY_OVERFLOW,
                 _("“%s” is %" PRId64 ", more than an entry may hold (%" PRId64 ")"), name, value, max);
  return fail (c, MDN_ERROR_INVALID_ARGUMENT,
               _("“%s” must be a whole number from %" PRId64 " to %" PRId64 ", not %" PRId64),
               name, min, max, value);
}

/* An integer member in [min, max]; an optional one absent (or null) leaves
 * *out at @fallback. */
static gboolean
want_int (Check      *c,
          JsonObject *o,
          const char *name,
          gboolean    required,
          gint64      fallback,
          gint64      min,
          gint64      max,
          gint64     *out)
{
  JsonNode *node = json_object_get_member (o, name);
  gint64 value;

  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    {
      if (required)
        return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” is required"), name);
      value = fallback;
    }
  else if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” must be %s"), name, _("a whole number"));
  else if ((value = json_node_get_int (node)) < min || value > max)
    return range_error (c, name, value, min, max);
  if (out)
    *out = value;
  return TRUE;
}

static gboolean
want_fen (Check      *c,
          JsonObject *o,
          const char *name,
          gint64      min,
          gint64     *out)
{
  return want_int (c, o, name, TRUE, 0, min, MDN_ENTRY_AMOUNT_MAX, out);
}

/* An array member (required), its elements objects. */
static JsonArray *
want_objects (Check      *c,
              JsonObject *o,
              const char *name)
{
  JsonArray *array = mdn_args_array (o, name, TRUE, c->error);

  if (array == NULL)
    return NULL;
  for (guint i = 0; i < json_array_get_length (array); i++)
    if (mdn_args_element_object (array, i, name, c->error) == NULL)
      return NULL;
  return array;
}

static gboolean
want_one_of (Check             *c,
             const char        *name,
             const char        *value,
             const char *const *allowed)
{
  if (value == NULL || !g_strv_contains (allowed, value))
    {
      g_autofree char *list = g_strjoinv (", ", (char **) allowed);

      return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” must be one of %s, not “%s”"),
                   name, list, value ? value : "");
    }
  return TRUE;
}

static gboolean
add (Check      *c,
     const char *what,
     gint64      a,
     gint64      b,
     gint64     *out)
{
  if (__builtin_add_overflow (a, b, out) || *out > MDN_ENTRY_AMOUNT_MAX || *out < -MDN_ENTRY_AMOUNT_MAX)
    return fail (c, MDN_ERROR_MONEY_OVERFLOW, _("“%s” adds up to more than an entry may hold"), what);
  return TRUE;
}

static gboolean
must_equal (Check      *c,
            const char *name,
            gint64      found,
            gint64      implied)
{
  if (found != implied)
    return fail (c, MDN_ERROR_INVALID_ARGUMENT,
                 _("“%s” is %" PRId64 " but the rest of the entry makes it %" PRId64), name, found, implied);
  return TRUE;
}

/* Identity ------------------------------------------------------------------------- */

gboolean
mdn_entry_id_valid (const char *text)
{
  if (text == NULL)
    return FALSE;
  for (int i = 0; i < 36; i++)
    {
      char ch = text[i];

      if (i == 8 || i == 13 || i == 18 || i == 23)
        {
          if (ch != '-')
            return FALSE;
        }
      else if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f')))
        return FALSE;
    }
  return text[36] == '\0';
}

static int
two_digits (const char *p)
{
  return (p[0] - '0') * 10 + (p[1] - '0');
}

/* An ISO 8601 time: at once when it is what mdn_clock_format writes
 * (2026-11-20T10:00:00.000+08:00, every entry's), else parsed. */
static gboolean
time_valid (const char *text)
{
  static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddd+dd:dd";
  gboolean quick = strlen (text) == sizeof shape - 1;

  for (gsize i = 0; quick && i < sizeof shape - 1; i++)
    quick = shape[i] == 'd' ? g_ascii_isdigit (text[i])
                            : shape[i] == '+' ? text[i] == '+' || text[i] == '-' : text[i] == shape[i];
  if (quick)
    return g_date_valid_dmy ((GDateDay) two_digits (text + 8), (GDateMonth) two_digits (text + 5),
                             (GDateYear) (two_digits (text) * 100 + two_digits (text + 2))) &&
           two_digits (text + 11) < 24 && two_digits (text + 14) < 60 && two_digits (text + 17) < 61 &&
           two_digits (text + 24) < 24 && two_digits (text + 27) < 60;
  {
    g_autoptr(GDateTime) dt = mdn_clock_parse (text);

    return dt != NULL;
  }
}

static gboolean
want_id (Check      *c,
         const char *name,
         const char *value)
{
  if (!mdn_entry_id_valid (value))
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” is not an id (“%s”)"), name, value ? value : "");
  return TRUE;
}

static gboolean
want_card_no (Check      *c,
              JsonObject *o,
              const char *name)
{
  const char *card_no = NULL;

  if (!want_string (c, o, name, TRUE, &card_no))
    return FALSE;
  if (!mdn_card_no_valid (card_no))
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” is not a card number (“%s”)"), name, card_no);
  return TRUE;
}

/* BRANCH-YYYYMMDD-NNNN: this branch's, of this business date (mdn_receipt_next). */
static gboolean
want_receipt_no (Check      *c,
                 JsonObject *o,
                 const char *name)
{
  MdnEntry *e = c->entry;
  const char *r = NULL, *p;
  gsize code_len = strlen (e->branch);
  gboolean ok;

  if (!want_string (c, o, name, TRUE, &r))
    return FALSE;
  p = r;
  ok = strncmp (p, e->branch, code_len) == 0 && p[code_len] == '-';
  if (ok)
    {
      const char *d = e->business_date;

      p += code_len + 1;
      /* 2026-11-22 → 20261122 */
      ok = strlen (d) == 10 && strncmp (p, d, 4) == 0 && strncmp (p + 4, d + 5, 2) == 0 &&
           strncmp (p + 6, d + 8, 2) == 0 && p[8] == '-';
      p += ok ? 9 : 0;
    }
  if (ok)
    {
      gsize digits = strspn (p, "0123456789");

      ok = digits >= 4 && digits <= 9 && p[digits] == '\0' && strtol (p, NULL, 10) >= 1;
    }
  if (!ok)
    return fail (c, MDN_ERROR_INVALID_ARGUMENT,
                 _("“%s” is “%s”, not a receipt number of branch %s on %s"), name, r, e->branch,
                 e->business_date);
  return TRUE;
}

/* Movements ----------------------------------------------------------------------------- */

/* The movement the body implies; none for a delta of 0, as
 * mdn_entry_add_movement does. Its strings must outlive the check. */
static gboolean
expect (Check      *c,
        const char *member_id,
        const char *account,
        const char *item,
        const char *lot,
        const char *expires_on,
        gboolean    any_expiry,
        gint64      delta)
{
  Expected e = { member_id, account, item ? item : "", lot ? lot : "", expires_on, any_expiry, delta };

  if (delta > MDN_ENTRY_AMOUNT_MAX || delta < -MDN_ENTRY_AMOUNT_MAX)
    return fail (c, MDN_ERROR_MONEY_OVERFLOW, _("A movement of %" PRId64 " is more than an entry may hold"), delta);
  if (delta != 0)
    g_array_append_val (c->expected, e);
  return TRUE;
}

static gboolean
expect_member (Check      *c,
               const char *account,
               gint64      delta)
{
  return expect (c, c->entry->member_id, account, NULL, NULL, NULL, FALSE, delta);
}

static int
compare_keys (const char *m1, const char *a1, const char *i1, const char *l1, gint64 d1,
              const char *m2, const char *a2, const char *i2, const char *l2, gint64 d2)
{
  int r;

  if ((r = g_strcmp0 (a1, a2)) != 0 || (r = g_strcmp0 (m1, m2)) != 0 ||
      (r = g_strcmp0 (i1, i2)) != 0 || (r = g_strcmp0 (l1, l2)) != 0)
    return r;
  return d1 < d2 ? -1 : d1 > d2;
}

static int
compare_expected (gconstpointer a,
                  gconstpointer b)
{
  const Expected *x = a, *y = b;

  return compare_keys (x->member_id, x->account, x->item, x->lot, x->delta,
                       y->member_id, y->account, y->item, y->lot, y->delta);
}

static int
compare_movements (gconstpointer a,
                   gconstpointer b)
{
  const MdnMovement *x = *(const MdnMovement *const *) a, *y = *(const MdnMovement *const *) b;

  return compare_keys (x->member_id, x->account, x->item, x->lot, x->delta,
                       y->member_id, y->account, y->item, y->lot, y->delta);
}

static void
describe (GString    *s,
          const char *entry_member,
          const char *member_id,
          const char *account,
          const char *item,
          const char *lot,
          gint64      delta)
{
  if (s->len > 0)
    g_string_append (s, ", ");
  g_string_append (s, account);
  if (item && *item)
    g_string_append_printf (s, " %s", item);
  if (lot && *lot)
    g_string_append_printf (s, " lot %s", lot);
  g_string_append_printf (s, " %+" PRId64, delta);
  if (g_strcmp0 (member_id, entry_member) != 0)
    g_string_append_printf (s, " (member %s)", member_id ? member_id : "none");
}

/* The entry's movements are the expected ones, in any order. */
static gboolean
movements_match (Check *c)
{
  MdnEntry *e = c->entry;
  MdnMovement *few[8];
  g_autofree MdnMovement **many = NULL;
  MdnMovement **found = few;
  guint n = e->movements->len;
  gboolean same;

  if (n > G_N_ELEMENTS (few))
    found = many = g_new (MdnMovement *, n);
  for (guint i = 0; i < n; i++)
    found[i] = &g_array_index (e->movements, MdnMovement, i);
  if (n > 1)
    qsort (found, n, sizeof *found, compare_movements);
  if (c->expected->len > 1)
    g_array_sort (c->expected, compare_expected);

  same = n == c->expected->len;
  for (guint i = 0; same && i < n; i++)
    {
      MdnMovement *m = found[i];
      Expected *x = &g_array_index (c->expected, Expected, i);

      same = compare_keys (m->member_id, m->account, m->item, m->lot, m->delta,
                           x->member_id, x->account, x->item, x->lot, x->delta) == 0 &&
             (x->any_expiry || g_strcmp0 (m->expires_on, x->expires_on) == 0);
    }
  if (!same)
    {
      g_autoptr(GString) want = g_string_new (NULL);
      g_autoptr(GString) have = g_string_new (NULL);

      for (guint i = 0; i < c->expected->len; i++)
        {
          Expected *x = &g_array_index (c->expected, Expected, i);

          describe (want, e->member_id, x->member_id, x->account, x->item, x->lot, x->delta);
        }
      for (guint i = 0; i < n; i++)
        {
          MdnMovement *m = found[i];

          describe (have, e->member_id, m->member_id, m->account, m->item, m->lot, m->delta);
        }
      return fail (c, MDN_ERROR_INVALID_ARGUMENT,
                   _("its movements are not the ones its body implies: expected [%s], found [%s]"),
                   want->str, have->str);
    }
  return TRUE;
}

/* Shared parts of bodies ------------------------------------------------------------------ */

/* The terms of a rate plan, copied into timed entries (mdn-timed.c). */
typedef struct
{
  gint64 unit_minutes, unit_price_fen, free_minutes, min_minutes, cap_fen;
} Terms;

static gboolean
want_terms (Check      *c,
            JsonObject *b,
            Terms      *t)
{
  return want_int (c, b, "unit_minutes", TRUE, 0, 1, MINUTES_MAX, &t->unit_minutes) &&
         want_fen (c, b, "unit_price_fen", 0, &t->unit_price_fen) &&
         want_int (c, b, "free_minutes", TRUE, 0, 0, MINUTES_MAX, &t->free_minutes) &&
         want_int (c, b, "min_minutes", TRUE, 0, 0, MINUTES_MAX, &t->min_minutes) &&
         want_int (c, b, "cap_fen", FALSE, -1, 1, MDN_ENTRY_AMOUNT_MAX, &t->cap_fen);
}

/* Tenders [{type, amount_fen}], each type once; their sum, and what the
 * balance tender (if any) pays. */
static gboolean
want_tenders (Check      *c,
              JsonObject *b,
              gint64     *sum,
              gint64     *balance)
{
  JsonArray *tenders = want_objects (c, b, "tenders");
  g_autoptr(GPtrArray) seen = g_ptr_array_new ();

  *sum = *balance = 0;
  if (tenders == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (tenders); i++)
    {
      JsonObject *t = json_array_get_object_element (tenders, i);
      const char *type = NULL;
      gint64 amount = 0;

      if (!want_string (c, t, "type", TRUE, &type) ||
          !want_one_of (c, "type", type, mdn_all_tenders) ||
          !want_fen (c, t, "amount_fen", 1, &amount) ||
          !add (c, "tenders", *sum, amount, sum))
        return FALSE;
      if (g_ptr_array_find_with_equal_func (seen, type, g_str_equal, NULL))
        return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("The tender “%s” is there twice"), type);
      g_ptr_array_add (seen, (gpointer) type);
      if (g_str_equal (type, "balance"))
        *balance = amount;
    }
  return TRUE;
}

/* 抹零 (selling/mdn-selling.c, checkout.cash_rounding): an optional
 * "rounding_fen" of 1 to 99 fen dropped from a payment in cash only, so
 * the entry's total is what its lines (its amount, its session) cost less
 * it; 0 when absent. In a return, what the return that completes a rounded
 * sale keeps back of its lines' refunds. */
static gboolean
want_rounding (Check      *c,
               JsonObject *b,
               gboolean    cash_only,
               gint64     *rounding)
{
  JsonArray *tenders;

  if (!want_int (c, b, "rounding_fen", FALSE, 0, 1, 99, rounding))
    return FALSE;
  if (*rounding == 0 || !cash_only)
    return TRUE;
  tenders = mdn_body_array (b, "tenders");
  for (guint i = 0; tenders && i < json_array_get_length (tenders); i++)
    if (g_strcmp0 (mdn_body_string (json_array_get_object_element (tenders, i), "type"), "cash") != 0)
      return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("Only a payment in cash alone is rounded"));
  return TRUE;
}

/* A card number when the entry has a member, none when it hasn't. */
static gboolean
want_card_of_member (Check      *c,
                     JsonObject *b)
{
  if (c->entry->member_id)
    return want_string (c, b, "card_no", TRUE, NULL);
  return want_null (c, b, "card_no");
}

/* What every sale-like entry carries (mdn_checkout_settle): the receipt,
 * the level's terms, the totals, the tenders covering the total, the
 * balance drawn as principal and bonus, the points earned, and their
 * movements. *percent is what the member pays of the list price. */
static gboolean
check_checkout (Check  *c,
                gint64 *list_total,
                gint64 *total,
                gint64 *percent)
{
  MdnEntry *e = c->entry;
  JsonObject *b = e->body;
  gint64 discount, given, change, principal, bonus, points, tendered, balance, ppy = 0, sum;

  *percent = 100;
  if (!want_receipt_no (c, b, "receipt_no") || !want_card_of_member (c, b))
    return FALSE;
  if (e->member_id)
    {
      if (!want_string (c, b, "level", TRUE, NULL) ||
          !want_int (c, b, "price_percent", TRUE, 0, 1, 100, percent) ||
          !want_int (c, b, "points_per_yuan", TRUE, 0, 0, 1000, &ppy))
        return FALSE;
    }
  else if (!want_null (c, b, "level") || !want_null (c, b, "price_percent") ||
           !want_null (c, b, "points_per_yuan"))
    return FALSE;
  if (!want_fen (c, b, "list_total_fen", 0, list_total) ||
      !want_int (c, b, "total_fen", TRUE, 0, 0, *list_total, total) ||
      !want_fen (c, b, "discount_fen", 0, &discount) ||
      !must_equal (c, "discount_fen", discount, *list_total - *total) ||
      !want_tenders (c, b, &tendered, &balance) ||
      !must_equal (c, "total_fen", *total, tendered) ||
      !want_fen (c, b, "given_fen", 0, &given) ||
      !want_fen (c, b, "change_fen", 0, &change) ||
      !add (c, "given_fen", *total, change, &sum) ||
      !must_equal (c, "given_fen", given, sum) ||
      !want_fen (c, b, "principal_fen", 0, &principal) ||
      !want_fen (c, b, "bonus_fen", 0, &bonus) ||
      !add (c, "principal_fen", principal, bonus, &sum) ||
      !must_equal (c, "principal_fen + bonus_fen", sum, balance) ||
      !want_fen (c, b, "points_earned", 0, &points) ||
      !want_bool (c, b, "offline") ||
      !want_string (c, b, "auth_id", FALSE, NULL))
    return FALSE;
  if (balance > 0 && e->member_id == NULL)
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("A balance tender needs a member"));
  /* total ≤ 10^12 and points_per_yuan ≤ 1000: no overflow. */
  if (!must_equal (c, "points_earned", points, e->member_id ? mdn_money_points_for (*total, ppy) : 0))
    return FALSE;
  if (e->member_id == NULL)
    return TRUE;
  return expect_member (c, "principal", -principal) &&
         expect_member (c, "bonus", -bonus) &&
         expect_member (c, "points", points);
}

/* Kinds ----------------------------------------------------------------------------------- */

static gboolean
check_issue (Check *c)
{
  JsonObject *b = c->entry->body;

  if (!want_card_no (c, b, "card_no") ||
      !want_string (c, b, "name", TRUE, NULL) ||
      !want_string (c, b, "phone", TRUE, NULL) ||
      !want_string (c, b, "level", TRUE, NULL) ||
      !want_date (c, b, "birthday", FALSE, NULL) ||
      !want_string (c, b, "birthday_lunar", FALSE, NULL) ||
      !want_string (c, b, "pin_hash", FALSE, NULL) ||
      !want_date (c, b, "expires_on", FALSE, NULL))
    return FALSE;
  return TRUE;
}

static gboolean
check_deposit (Check *c)
{
  JsonObject *b = c->entry->body;
  const char *tender = NULL;
  gint64 amount, bonus;

  return want_string (c, b, "card_no", TRUE, NULL) &&
         want_fen (c, b, "amount_fen", 1, &amount) &&
         want_fen (c, b, "bonus_fen", 0, &bonus) &&
         want_string (c, b, "tender", TRUE, &tender) &&
         want_one_of (c, "tender", tender, mdn_money_tenders) &&
         expect_member (c, "principal", amount) &&
         expect_member (c, "bonus", bonus);
}

static gboolean
check_withdraw (Check *c)
{
  JsonObject *b = c->entry->body;
  const char *tender = NULL;
  gint64 amount;

  return want_string (c, b, "card_no", TRUE, NULL) &&
         want_fen (c, b, "amount_fen", 1, &amount) &&
         want_string (c, b, "tender", TRUE, &tender) &&
         want_one_of (c, "tender", tender, mdn_money_tenders) &&
         expect_member (c, "principal", -amount);
}

static gboolean
check_replace (Check *c)
{
  JsonObject *b = c->entry->body;

  if (!want_string (c, b, "old_card_no", TRUE, NULL) || !want_card_no (c, b, "card_no"))
    return FALSE;
  if (g_str_equal (mdn_body_string (b, "old_card_no"), mdn_body_string (b, "card_no")))
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("A replacement card needs a new number"));
  return TRUE;
}

static gboolean
check_extend (Check *c)
{
  return want_string (c, c->entry->body, "card_no", TRUE, NULL) &&
         want_date (c, c->entry->body, "expires_on", TRUE, NULL);
}

static gboolean
check_card_state (Check *c)
{
  return want_string (c, c->entry->body, "card_no", TRUE, NULL);
}

static gboolean
check_upgrade (Check *c)
{
  return want_string (c, c->entry->body, "card_no", TRUE, NULL) &&
         want_string (c, c->entry->body, "level", TRUE, NULL);
}

static gboolean
check_set_pin (Check *c)
{
  return want_string (c, c->entry->body, "card_no", TRUE, NULL) &&
         want_string (c, c->entry->body, "pin_hash", FALSE, NULL);
}

/* message.add, message.reply (crm/mdn-messages.c): text of at most 500
 * characters, no movements. */
static gboolean
want_message_text (Check *c)
{
  const char *text = NULL;

  if (!want_string (c, c->entry->body, "text", TRUE, &text))
    return FALSE;
  if (!g_utf8_validate (text, -1, NULL) || g_utf8_strlen (text, -1) > 500)
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("A message can have at most %d characters"), 500);
  return TRUE;
}

static gboolean
check_message_add (Check *c)
{
  return want_string (c, c->entry->body, "card_no", TRUE, NULL) && want_message_text (c);
}

static gboolean
check_message_reply (Check *c)
{
  return want_id (c, "message_id", mdn_body_string (c->entry->body, "message_id")) &&
         want_message_text (c);
}

/* member.sms_prefs, sms.campaign (crm/mdn-sms.c). */
static gboolean
want_boolean (Check      *c,
              JsonObject *o,
              const char *name)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_BOOLEAN)
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” must be true or false"), name);
  return TRUE;
}

static gboolean
check_sms_prefs (Check *c)
{
  return want_string (c, c->entry->body, "card_no", TRUE, NULL) &&
         want_boolean (c, c->entry->body, "sms_consent") &&
         want_boolean (c, c->entry->body, "sms_opt_out");
}

static gboolean
check_sms_campaign (Check *c)
{
  JsonObject *b = c->entry->body;
  const char *text = NULL;
  JsonNode *filter = json_object_get_member (b, "filter");
  JsonNode *params = json_object_get_member (b, "params");

  if (!want_string (c, b, "template", TRUE, &text) || !want_string (c, b, "shop", TRUE, NULL))
    return FALSE;
  if (g_utf8_strlen (text, -1) > 300)
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("An SMS can have at most 300 characters"));
  if (filter == NULL || !JSON_NODE_HOLDS_OBJECT (filter))
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” must be an object"), "filter");
  if (params == NULL || !JSON_NODE_HOLDS_OBJECT (params))
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” must be an object"), "params");
  return TRUE;
}

/* sms.send (crm/mdn-sms.c): one reminder SMS to the entry's member. */
static gboolean
check_sms_send (Check *c)
{
  JsonObject *b = c->entry->body;
  const char *event = NULL, *due_on = NULL;
  static const char *const events[] = { "birthday", "low_balance", "inactive", "expiry", "package_expiry" };
  gboolean known = FALSE;

  if (!want_string (c, b, "card_no", TRUE, NULL) || !want_string (c, b, "shop", TRUE, NULL) ||
      !want_string (c, b, "event", TRUE, &event) || !want_string (c, b, "due_on", FALSE, &due_on))
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    known = known || g_str_equal (events[i], event);
  if (!known)
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” is not a reminder an SMS can be sent for"), event);
  if (due_on && !mdn_date_valid (due_on))
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” must be a date, YYYY-MM-DD"), "due_on");
  return TRUE;
}

/* member.opening (crm/mdn-member-import.c): what an imported member brought. */
static gboolean
check_opening (Check *c)
{
  JsonObject *b = c->entry->body;
  gint64 principal, bonus, points;

  return want_string (c, b, "card_no", TRUE, NULL) &&
         want_string (c, b, "old_card_no", FALSE, NULL) &&
         want_fen (c, b, "principal_fen", 0, &principal) &&
         want_fen (c, b, "bonus_fen", 0, &bonus) &&
         want_int (c, b, "points", TRUE, 0, 0, POINTS_OP_MAX, &points) &&
         expect_member (c, "principal", principal) &&
         expect_member (c, "bonus", bonus) &&
         expect_member (c, "points", points);
}

static gboolean
check_level (Check *c)
{
  JsonObject *b = c->entry->body;

  return want_string (c, b, "code", TRUE, NULL) &&
         want_string (c, b, "name", TRUE, NULL) &&
         want_int (c, b, "price_percent", TRUE, 0, 1, 100, NULL) &&
         want_int (c, b, "points_per_yuan", TRUE, 0, 0, 1000, NULL) &&
         want_fen (c, b, "offline_limit_fen", 0, NULL) &&
         want_int (c, b, "upgrade_spent_fen", FALSE, 0, 0, MDN_ENTRY_AMOUNT_MAX, NULL) &&
         want_int (c, b, "upgrade_deposit_fen", FALSE, 0, 0, MDN_ENTRY_AMOUNT_MAX, NULL);
}

static gboolean
check_deposit_rule (Check *c)
{
  JsonObject *b = c->entry->body;

  return want_fen (c, b, "min_fen", 1, NULL) &&
         want_fen (c, b, "bonus_fen", 0, NULL);
}

static gboolean
check_product (Check *c)
{
  JsonObject *b = c->entry->body;
  const char *kind = NULL;

  if (!want_string (c, b, "sku", TRUE, NULL) ||
      !want_string (c, b, "name", TRUE, NULL) ||
      !want_string (c, b, "kind", TRUE, &kind) ||
      !want_one_of (c, "kind", kind, product_kinds) ||
      !want_fen (c, b, "price_fen", 0, NULL) ||
      !want_string (c, b, "category", FALSE, NULL) ||
      !want_string (c, b, "barcode", FALSE, NULL) ||
      !want_bool (c, b, "no_discount") ||
      !want_bool (c, b, "active") ||
      !want_int (c, b, "cost_fen", FALSE, 0, 0, MDN_ENTRY_AMOUNT_MAX, NULL))
    return FALSE;
  if (g_str_equal (kind, "package"))
    return want_string (c, b, "package_sku", TRUE, NULL) &&
           want_int (c, b, "package_count", TRUE, 0, 1, USES_MAX, NULL) &&
           want_int (c, b, "package_days", FALSE, 0, 1, DAYS_MAX, NULL);
  return want_null (c, b, "package_sku") && want_null (c, b, "package_count") &&
         want_null (c, b, "package_days");
}

static gboolean
check_plan (Check *c)
{
  Terms t;

  return want_string (c, c->entry->body, "code", TRUE, NULL) &&
         want_string (c, c->entry->body, "name", TRUE, NULL) &&
         want_terms (c, c->entry->body, &t);
}

static gboolean
check_resource (Check *c)
{
  JsonObject *b = c->entry->body;

  return want_string (c, b, "code", TRUE, NULL) &&
         want_string (c, b, "name", TRUE, NULL) &&
         want_string (c, b, "plan", TRUE, NULL);
}

static gboolean
check_timed_start (Check *c)
{
  JsonObject *b = c->entry->body;
  Terms t;

  return want_string (c, b, "resource", TRUE, NULL) &&
         want_string (c, b, "resource_name", FALSE, NULL) &&
         want_string (c, b, "plan", TRUE, NULL) &&
         want_terms (c, b, &t) &&
         want_card_of_member (c, b);
}

/* The cost a sale or return line records (op_sale, op_sale_return):
 * unit_cost_fen and cost_fen = unit_cost_fen × qty, both or neither (an
 * entry written before costs were recorded has neither). */
static gboolean
want_line_cost (Check      *c,
                JsonObject *l,
                gint64      qty)
{
  JsonNode *unit_node = json_object_get_member (l, "unit_cost_fen");
  gint64 unit = 0, cost = 0, implied;

  if (unit_node == NULL || JSON_NODE_HOLDS_NULL (unit_node))
    {
      JsonNode *cost_node = json_object_get_member (l, "cost_fen");

      if (cost_node != NULL && !JSON_NODE_HOLDS_NULL (cost_node))
        return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” is required"), "unit_cost_fen");
      return TRUE;
    }
  if (!want_fen (c, l, "unit_cost_fen", 0, &unit) || !want_fen (c, l, "cost_fen", 0, &cost))
    return FALSE;
  if (__builtin_mul_overflow (unit, qty, &implied) || implied > MDN_ENTRY_AMOUNT_MAX)
    return fail (c, MDN_ERROR_MONEY_OVERFLOW, _("“%s” adds up to more than an entry may hold"), "cost_fen");
  return must_equal (c, "cost_fen", cost, implied);
}

/* The lines of a sale (mdn_pricing_line_json and op_sale): each prices to
 * its amount, they add up to the totals, goods leave the shelf and a
 * package line gives the member its uses in a lot of its own. */
static gboolean
check_lines (Check      *c,
             JsonArray  *lines,
             gint64      percent,
             gboolean    packages,
             gint64     *list_out,
             gint64     *amount_out)
{
  MdnEntry *e = c->entry;
  JsonObject *b = e->body;
  gint64 list_sum = 0, amount_sum = 0;
  g_autoptr(GHashTable) skus = g_hash_table_new (g_str_hash, g_str_equal);
  const char *receipt_no = mdn_body_string (b, "receipt_no");

  for (guint i = 0; i < json_array_get_length (lines); i++)
    {
      JsonObject *l = json_array_get_object_element (lines, i);
      const char *sku = NULL, *kind = NULL;
      gint64 line, qty, unit, line_percent, list, amount, list_fen, amount_fen;

      if (!want_int (c, l, "line", TRUE, 0, i + 1, i + 1, &line) ||
          !want_string (c, l, "sku", TRUE, &sku) ||
          !want_string (c, l, "name", TRUE, NULL) ||
          !want_string (c, l, "staff", FALSE, NULL) ||
          !want_string (c, l, "kind", TRUE, &kind) ||
          !want_one_of (c, "kind", kind, product_kinds) ||
          !want_int (c, l, "qty", TRUE, 0, 1, MDN_ENTRY_QTY_MAX, &qty) ||
          !want_fen (c, l, "unit_price_fen", 0, &unit) ||
          !want_int (c, l, "percent", TRUE, 0, 1, 100, &line_percent) ||
          !want_fen (c, l, "list_fen", 0, &list_fen) ||
          !want_fen (c, l, "amount_fen", 0, &amount_fen) ||
          !want_line_cost (c, l, qty))
        return FALSE;
      if (line_percent != 100 && line_percent != percent)
        return fail (c, MDN_ERROR_INVALID_ARGUMENT,
                     _("Line %" PRId64 " is priced at %" PRId64 "%%, neither the list price nor the level's %" PRId64 "%%"),
                     line, line_percent, percent);
      if (!g_hash_table_add (skus, (gpointer) sku))
        return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("%s is on two lines"), sku);
      if (!mdn_money_line_cost (unit, qty, line_percent, &list, &amount, c->error) ||
          !must_equal (c, "list_fen", list_fen, list) ||
          !must_equal (c, "amount_fen", amount_fen, amount) ||
          !add (c, "list_fen", list_sum, list, &list_sum) ||
          !add (c, "amount_fen", amount_sum, amount, &amount_sum))
        return FALSE;

      if (g_str_equal (kind, "goods"))
        {
          if (!expect (c, NULL, "stock", sku, NULL, NULL, FALSE, -qty))
            return FALSE;
        }
      else if (g_str_equal (kind, "package"))
        {
          g_autofree char *lot = g_strdup_printf ("%s/%" PRId64, receipt_no, line);

          if (!packages)
            return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("A package is not sold on a table"));
          {
          const char *package_sku = NULL, *line_lot = NULL, *expires_on = NULL;
          gint64 count, uses, implied;

          if (e->member_id == NULL)
            return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("A package line needs a member"));
          if (!want_string (c, l, "package_sku", TRUE, &package_sku) ||
              !want_int (c, l, "package_count", TRUE, 0, 1, USES_MAX, &count) ||
              !want_fen (c, l, "uses", 1, &uses) ||
              !want_string (c, l, "lot", TRUE, &line_lot) ||
              !want_date (c, l, "expires_on", FALSE, &expires_on))
            return FALSE;
          if (__builtin_mul_overflow (qty, count, &implied))
            return fail (c, MDN_ERROR_MONEY_OVERFLOW, _("“%s” adds up to more than an entry may hold"), "uses");
          if (!must_equal (c, "uses", uses, implied))
            return FALSE;
          if (!g_str_equal (line_lot, lot))
            return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("The lot of line %" PRId64 " must be %s, not %s"),
                         line, lot, line_lot);
          /* The line's own lot, now known to be the implied one. */
          if (!expect (c, e->member_id, "package", package_sku, line_lot, expires_on, FALSE, uses))
            return FALSE;
          }
        }
    }
  *list_out = list_sum;
  *amount_out = amount_sum;
  return TRUE;
}

static gboolean
check_sale (Check *c)
{
  JsonObject *b = c->entry->body;
  gint64 list_total, total, percent, list_sum = 0, amount_sum = 0, rounding = 0;
  JsonArray *lines;

  if (!check_checkout (c, &list_total, &total, &percent) || (lines = want_objects (c, b, "lines")) == NULL)
    return FALSE;
  if (json_array_get_length (lines) == 0)
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("A sale needs at least one line"));
  return check_lines (c, lines, percent, TRUE, &list_sum, &amount_sum) &&
         must_equal (c, "list_total_fen", list_total, list_sum) &&
         want_rounding (c, b, TRUE, &rounding) &&
         must_equal (c, "total_fen", total, amount_sum - rounding);
}

static gboolean
check_sale_quick (Check *c)
{
  JsonObject *b = c->entry->body;
  gint64 list_total, total, percent, amount, implied, rounding = 0;

  if (!check_checkout (c, &list_total, &total, &percent) ||
      !want_fen (c, b, "amount_fen", 1, &amount) ||
      !want_string (c, b, "note", FALSE, NULL) ||
      !must_equal (c, "list_total_fen", list_total, amount) ||
      !mdn_money_percent (amount, percent, &implied, c->error) ||
      !want_rounding (c, b, TRUE, &rounding))
    return FALSE;
  return must_equal (c, "total_fen", total, implied - rounding);
}

/* The charge of a session (mdn-timed.c compute_charge): minutes =
 * ceil (seconds / 60); billable = minutes - free, raised to min_minutes
 * when some but fewer; units = ceil (billable / unit_minutes); gross =
 * units × unit price, capped. */
/* C (seconds), the charge of a session (mdn-timed.c compute_charge), its
 * minutes, billable minutes and units. */
static gboolean
charge_of (Check       *c,
           const Terms *t,
           gint64       seconds,
           gint64      *billable,
           gint64      *units,
           gint64      *gross)
{
  gint64 b = MAX (mdn_div_ceil (seconds, 60) - t->free_minutes, 0);

  if (b > 0 && b < t->min_minutes)
    b = t->min_minutes;
  *billable = b;
  *units = mdn_div_ceil (b, t->unit_minutes);
  if (!mdn_money_mul (*units, t->unit_price_fen, gross, c->error))
    return FALSE;
  if (t->cap_fen >= 0 && *gross > t->cap_fen)
    *gross = t->cap_fen;
  return TRUE;
}

/* A stop bills C (seconds); a prepaid session's (prepaid_minutes P, 预付计时)
 * C (max (seconds, 60 P)) − C (60 P): only the time beyond what was paid.
 * The goods and services added to the table (timed.add) are its "lines",
 * priced as a sale's (no packages), and "time_fen" is the time's part of
 * the total: total = time_fen + the lines − the rounding. */
static gboolean
check_timed_stop (Check *c)
{
  JsonObject *b = c->entry->body;
  gint64 list_total, total, percent, seconds, minutes, billable, units, gross, implied, want_billable, want_units;
  gint64 prepaid = -1, billed, paid = 0, ignore, time_fen, list_sum = 0, amount_sum = 0, rounding = 0;
  JsonArray *lines = NULL;
  Terms t;

  if (!check_checkout (c, &list_total, &total, &percent) ||
      !want_id (c, "session_id", mdn_body_string (b, "session_id")) ||
      !want_string (c, b, "resource", TRUE, NULL) ||
      !want_string (c, b, "plan", TRUE, NULL) ||
      !want_terms (c, b, &t) ||
      !want_string (c, b, "started_at", TRUE, NULL) ||
      !want_string (c, b, "stopped_at", TRUE, NULL) ||
      !want_fen (c, b, "seconds", 0, &seconds) ||
      !want_int (c, b, "paused_seconds", FALSE, 0, 0, MDN_ENTRY_AMOUNT_MAX, NULL) ||
      !want_int (c, b, "prepaid_minutes", FALSE, -1, 1, MINUTES_MAX, &prepaid) ||
      !want_fen (c, b, "minutes", 0, &minutes) ||
      !want_fen (c, b, "billable_minutes", 0, &billable) ||
      !want_fen (c, b, "units", 0, &units) ||
      !want_fen (c, b, "gross_fen", 0, &gross))
    return FALSE;
  billed = prepaid >= 0 ? MAX (seconds, prepaid * 60) : seconds;
  if (!must_equal (c, "minutes", minutes, mdn_div_ceil (seconds, 60)) ||
      !charge_of (c, &t, billed, &want_billable, &want_units, &implied) ||
      (prepaid >= 0 && !charge_of (c, &t, prepaid * 60, &ignore, &ignore, &paid)) ||
      !must_equal (c, "billable_minutes", billable, want_billable) ||
      !must_equal (c, "units", units, want_units) ||
      !must_equal (c, "gross_fen", gross, implied - paid) ||
      !mdn_money_percent (gross, percent, &time_fen, c->error))
    return FALSE;
  if (json_object_has_member (b, "lines"))
    {
      gint64 stated;

      if ((lines = want_objects (c, b, "lines")) == NULL ||
          !check_lines (c, lines, percent, FALSE, &list_sum, &amount_sum) ||
          !want_fen (c, b, "time_fen", 0, &stated) ||
          !must_equal (c, "time_fen", stated, time_fen))
        return FALSE;
    }
  if (!add (c, "list_total_fen", gross, list_sum, &implied) ||
      !must_equal (c, "list_total_fen", list_total, implied) ||
      !add (c, "total_fen", time_fen, amount_sum, &implied) ||
      !want_rounding (c, b, TRUE, &rounding))
    return FALSE;
  return must_equal (c, "total_fen", total, implied - rounding);
}

/* timed.add (selling/mdn-timed.c): a product on a running table; no
 * member, no movements (the stop carries it as a line). */
static gboolean
check_timed_add (Check *c)
{
  JsonObject *b = c->entry->body;
  const char *kind = NULL;
  gint64 qty;

  if (!want_id (c, "session_id", mdn_body_string (b, "session_id")) ||
      !want_string (c, b, "resource", TRUE, NULL) ||
      !want_string (c, b, "sku", TRUE, NULL) ||
      !want_string (c, b, "name", TRUE, NULL) ||
      !want_string (c, b, "kind", TRUE, &kind) ||
      !want_string (c, b, "staff", FALSE, NULL) ||
      !want_int (c, b, "qty", TRUE, 0, -MDN_ENTRY_QTY_MAX, MDN_ENTRY_QTY_MAX, &qty))
    return FALSE;
  if (g_strcmp0 (kind, "goods") != 0 && g_strcmp0 (kind, "service") != 0)
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("Only goods and services go on a table, not “%s”"), kind);
  if (qty == 0)
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” must not be 0"), "qty");
  return TRUE;
}

/* timed.prepay and timed.extend (selling/mdn-timed.c, 预付计时): paid like
 * a sale; the prepay starts a session of "minutes" paid up front and bills
 * C (60 minutes); an extension after "prepaid_before" minutes bills
 * C (60 (before + minutes)) − C (60 before). */
static gboolean
check_timed_prepay (Check *c)
{
  JsonObject *b = c->entry->body;
  gboolean extend = g_str_equal (c->entry->kind, "timed.extend");
  gint64 list_total, total, percent, minutes, before = 0, gross, upto, paid = 0, ignore, implied, rounding = 0;
  Terms t;

  if (!check_checkout (c, &list_total, &total, &percent) ||
      (extend && !want_id (c, "session_id", mdn_body_string (b, "session_id"))) ||
      !want_string (c, b, "resource", TRUE, NULL) ||
      (!extend && !want_string (c, b, "resource_name", FALSE, NULL)) ||
      !want_string (c, b, "plan", TRUE, NULL) ||
      !want_string (c, b, "staff", FALSE, NULL) ||
      !want_terms (c, b, &t) ||
      !want_int (c, b, "minutes", TRUE, 0, 1, MINUTES_MAX, &minutes) ||
      (extend && !want_int (c, b, "prepaid_before", TRUE, 0, 1, MINUTES_MAX, &before)) ||
      !want_fen (c, b, "gross_fen", 0, &gross))
    return FALSE;
  if (before + minutes > MINUTES_MAX)
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("A session is prepaid for at most %" PRId64 " minutes"), MINUTES_MAX);
  if (!charge_of (c, &t, (before + minutes) * 60, &ignore, &ignore, &upto) ||
      !charge_of (c, &t, before * 60, &ignore, &ignore, &paid) ||
      !must_equal (c, "gross_fen", gross, upto - paid) ||
      !must_equal (c, "list_total_fen", list_total, gross) ||
      !mdn_money_percent (gross, percent, &implied, c->error) ||
      !want_rounding (c, b, TRUE, &rounding))
    return FALSE;
  return must_equal (c, "total_fen", total, implied - rounding);
}

/* A return (op_sale_return): the refund goes back over tenders, the
 * balance part as principal and bonus; points earned are taken back;
 * returned goods come back to the shelf and returned package uses leave
 * the lot the sale made (whose expiry is the sale's, not in this body). */
static gboolean
check_return (Check *c)
{
  MdnEntry *e = c->entry;
  JsonObject *b = e->body;
  const char *sale_kind = NULL;
  gint64 refund, principal, bonus, points, tendered, balance, sum;
  JsonNode *lines_node;

  if (!want_receipt_no (c, b, "receipt_no") ||
      !want_id (c, "sale_entry", mdn_body_string (b, "sale_entry")) ||
      !want_string (c, b, "sale_kind", TRUE, &sale_kind) ||
      !want_one_of (c, "sale_kind", sale_kind, sale_kinds) ||
      !want_string (c, b, "sale_receipt_no", TRUE, NULL) ||
      !want_card_of_member (c, b) ||
      !want_fen (c, b, "refund_fen", 0, &refund) ||
      !want_fen (c, b, "principal_fen", 0, &principal) ||
      !want_fen (c, b, "bonus_fen", 0, &bonus) ||
      !want_fen (c, b, "points_taken", 0, &points) ||
      !want_bool (c, b, "complete") ||
      !want_tenders (c, b, &tendered, &balance) ||
      !must_equal (c, "refund_fen", refund, tendered) ||
      !add (c, "principal_fen", principal, bonus, &sum) ||
      !must_equal (c, "principal_fen + bonus_fen", sum, balance))
    return FALSE;
  if (e->member_id == NULL && (balance > 0 || points > 0))
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("A refund to a balance or of points needs a member"));
  if (e->member_id &&
      (!expect_member (c, "principal", principal) ||
       !expect_member (c, "bonus", bonus) ||
       !expect_member (c, "points", -points)))
    return FALSE;

  lines_node = json_object_get_member (b, "lines");
  /* A timed session's goods (timed.add) come back by line, its time by
     amount. */
  if (g_str_equal (sale_kind, "timed.stop") && (lines_node == NULL || JSON_NODE_HOLDS_NULL (lines_node)))
    return TRUE;
  if (!g_str_equal (sale_kind, "sale") && !g_str_equal (sale_kind, "timed.stop"))
    return want_null (c, b, "lines");
  if (lines_node == NULL)
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” is required"), "lines");
  {
    JsonArray *lines = want_objects (c, b, "lines");
    g_autoptr(GHashTable) skus = g_hash_table_new (g_str_hash, g_str_equal);
    gint64 line_sum = 0;

    if (lines == NULL)
      return FALSE;
    if (json_array_get_length (lines) == 0)
      return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("A return of goods needs at least one line"));
    for (guint i = 0; i < json_array_get_length (lines); i++)
      {
        JsonObject *l = json_array_get_object_element (lines, i);
        const char *sku = NULL, *kind = NULL;
        gint64 qty, line_refund;

        if (!want_int (c, l, "line", TRUE, 0, 1, G_MAXINT32, NULL) ||
            !want_string (c, l, "sku", TRUE, &sku) ||
            !want_string (c, l, "name", FALSE, NULL) ||
            !want_string (c, l, "kind", FALSE, &kind) ||
            (kind && !want_one_of (c, "kind", kind, product_kinds)) ||
            !want_int (c, l, "qty", TRUE, 0, 1, MDN_ENTRY_QTY_MAX, &qty) ||
            !want_fen (c, l, "refund_fen", 0, &line_refund) ||
            !want_line_cost (c, l, qty) ||
            !add (c, "refund_fen", line_sum, line_refund, &line_sum))
          return FALSE;
        if (!g_hash_table_add (skus, (gpointer) sku))
          return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("%s is on two lines"), sku);
        if (g_strcmp0 (kind, "goods") == 0)
          {
            if (!expect (c, NULL, "stock", sku, NULL, NULL, FALSE, qty))
              return FALSE;
          }
        else if (g_strcmp0 (kind, "package") == 0)
          {
            const char *package_sku = NULL, *lot = NULL;
            gint64 uses;

            if (e->member_id == NULL)
              return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("A package line needs a member"));
            if (!want_string (c, l, "package_sku", TRUE, &package_sku) ||
                !want_fen (c, l, "uses", 0, &uses) ||
                !want_string (c, l, "lot", TRUE, &lot) ||
                !expect (c, e->member_id, "package", package_sku, lot, NULL, TRUE, -uses))
              return FALSE;
          }
      }
    {
      gint64 rounding = 0;

      if (!want_rounding (c, b, FALSE, &rounding))
        return FALSE;
      if (rounding > 0 && !json_object_get_boolean_member_with_default (b, "complete", FALSE))
        return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("Only the return that completes a sale keeps its rounding back"));
      return must_equal (c, "refund_fen", refund, line_sum - rounding);
    }
  }
}

static gboolean
check_package_consume (Check *c)
{
  MdnEntry *e = c->entry;
  JsonObject *b = e->body;
  const char *sku = NULL;
  gint64 count, sum = 0;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  JsonArray *lots;

  if (!want_string (c, b, "card_no", TRUE, NULL) ||
      !want_string (c, b, "sku", TRUE, &sku) ||
      !want_int (c, b, "count", TRUE, 0, 1, USES_MAX, &count) ||
      !want_fen (c, b, "remaining", 0, NULL) ||
      !want_bool (c, b, "offline") ||
      !want_string (c, b, "auth_id", FALSE, NULL) ||
      (lots = want_objects (c, b, "lots")) == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (lots); i++)
    {
      JsonObject *l = json_array_get_object_element (lots, i);
      const char *lot = NULL, *expires_on = NULL;
      gint64 take;

      if (!want_string (c, l, "lot", TRUE, &lot) ||
          !want_date (c, l, "expires_on", FALSE, &expires_on) ||
          !want_int (c, l, "count", TRUE, 0, 1, count, &take) ||
          !add (c, "count", sum, take, &sum) ||
          !expect (c, e->member_id, "package", sku, lot, expires_on, FALSE, -take))
        return FALSE;
      if (!g_hash_table_add (seen, (gpointer) lot))
        return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("The lot %s is there twice"), lot);
    }
  return must_equal (c, "count", count, sum);
}

static gboolean
check_points_redeem (Check *c)
{
  JsonObject *b = c->entry->body;
  gint64 points;

  return want_string (c, b, "card_no", TRUE, NULL) &&
         want_int (c, b, "points", TRUE, 0, 1, POINTS_OP_MAX, &points) &&
         want_string (c, b, "gift", FALSE, NULL) &&
         want_bool (c, b, "offline") &&
         want_string (c, b, "auth_id", FALSE, NULL) &&
         expect_member (c, "points", -points);
}

static gboolean
check_points_adjust (Check *c)
{
  JsonObject *b = c->entry->body;
  gint64 delta;

  if (!want_string (c, b, "card_no", TRUE, NULL) ||
      !want_int (c, b, "delta", TRUE, 0, -POINTS_OP_MAX, POINTS_OP_MAX, &delta) ||
      !want_string (c, b, "reason", TRUE, NULL))
    return FALSE;
  if (delta == 0)
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” must not be 0"), "delta");
  return expect_member (c, "points", delta);
}

/* timed.move (selling/mdn-timed.c): a running session to another table;
 * no member, no movements. */
static gboolean
check_timed_move (Check *c)
{
  JsonObject *b = c->entry->body;
  const char *from = NULL, *to = NULL;

  if (!want_id (c, "session_id", mdn_body_string (b, "session_id")) ||
      !want_string (c, b, "from", TRUE, &from) ||
      !want_string (c, b, "resource", TRUE, &to) ||
      !want_string (c, b, "resource_name", FALSE, NULL))
    return FALSE;
  if (g_str_equal (from, to))
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("A session moves to another table, not to %s"), to);
  return TRUE;
}

/* timed.pause and timed.resume (selling/mdn-timed.c): no member, no
 * movements; a resume says when its pause began and how long it lasted. */
static gboolean
check_timed_pause (Check *c)
{
  JsonObject *b = c->entry->body;

  if (!want_id (c, "session_id", mdn_body_string (b, "session_id")) ||
      !want_string (c, b, "resource", TRUE, NULL))
    return FALSE;
  if (g_str_equal (c->entry->kind, "timed.pause"))
    return TRUE;
  return want_string (c, b, "paused_at", TRUE, NULL) &&
         want_int (c, b, "seconds", TRUE, 0, 0, G_MAXINT32, NULL);
}

/* shift.close (reports/mdn-shifts.c): a count of the drawer, no member, no
 * movements. Per money tender, once each: what the shift's entries say the
 * drawer holds (signed: refunds can exceed takings), what was counted
 * (≥ 0), and over/short = counted − expected; over_short_fen is their sum.
 * Cash counted by note and coin adds up to its counted_fen exactly, with
 * only the notes and coins of the yuan (¥100 … ¥0.1). */
static gboolean
check_shift_close (Check *c)
{
  static const gint64 denominations[] = { 10000, 5000, 2000, 1000, 500, 100, 50, 10 };
  JsonObject *b = c->entry->body;
  JsonArray *tenders, *denoms = NULL;
  gint64 after = 0, last = 0, sum = 0, total = 0, cash_counted = -1;
  gboolean seen[8] = { FALSE };

  if (!want_int (c, b, "after_seq", TRUE, 0, 0, G_MAXINT64, &after) ||
      !want_int (c, b, "last_seq", TRUE, 0, 0, G_MAXINT64, &last) ||
      !want_string (c, b, "opened_at", FALSE, NULL) ||
      !want_int (c, b, "entries", TRUE, 0, 0, G_MAXINT64, NULL) ||
      !want_fen (c, b, "float_fen", 0, NULL) ||
      !want_int (c, b, "over_short_fen", TRUE, 0, -MDN_ENTRY_AMOUNT_MAX, MDN_ENTRY_AMOUNT_MAX, &total) ||
      (tenders = want_objects (c, b, "tenders")) == NULL)
    return FALSE;
  if (last < after || (c->entry->seq > 0 && last >= c->entry->seq))
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("A shift ends after it starts and before its count"));
  if (json_array_get_length (tenders) == 0)
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” is required"), "tenders");
  for (guint i = 0; i < json_array_get_length (tenders); i++)
    {
      JsonObject *t = json_array_get_object_element (tenders, i);
      const char *tender = NULL;
      gint64 expected, counted, diff, want;
      guint k;

      if (!want_string (c, t, "tender", TRUE, &tender) ||
          !want_one_of (c, "tender", tender, mdn_money_tenders) ||
          !want_int (c, t, "expected_fen", TRUE, 0, -MDN_ENTRY_AMOUNT_MAX, MDN_ENTRY_AMOUNT_MAX, &expected) ||
          !want_fen (c, t, "counted_fen", 0, &counted) ||
          !want_int (c, t, "over_short_fen", TRUE, 0, -2 * MDN_ENTRY_AMOUNT_MAX, 2 * MDN_ENTRY_AMOUNT_MAX, &diff) ||
          !want_bool (c, t, "counted"))
        return FALSE;
      for (k = 0; mdn_money_tenders[k] && !g_str_equal (mdn_money_tenders[k], tender); k++)
        ;
      if (seen[k])
        return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("Tender “%s” is counted twice"), tender);
      seen[k] = TRUE;
      want = counted - expected;   /* both within ±MDN_ENTRY_AMOUNT_MAX */
      if (diff != want)
        return fail (c, MDN_ERROR_INVALID_ARGUMENT,
                     _("The over/short of %s is %" PRId64 ", not %" PRId64), tender, want, diff);
      if (!add (c, "over_short_fen", sum, diff, &sum))
        return FALSE;
      if (k == 0)
        cash_counted = counted;
    }
  if (sum != total)
    return fail (c, MDN_ERROR_INVALID_ARGUMENT,
                 _("“over_short_fen” is %" PRId64 ", not the %" PRId64 " of its tenders"), total, sum);
  if (json_object_has_member (b, "denominations") &&
      (denoms = want_objects (c, b, "denominations")) == NULL)
    return FALSE;
  if (denoms)
    {
      gint64 cash = 0;

      for (guint i = 0; i < json_array_get_length (denoms); i++)
        {
          JsonObject *d = json_array_get_object_element (denoms, i);
          gint64 value, count;
          gboolean known = FALSE;

          if (!want_int (c, d, "value_fen", TRUE, 0, 1, 10000, &value) ||
              !want_int (c, d, "count", TRUE, 0, 1, 1000000, &count))
            return FALSE;
          for (guint k = 0; k < G_N_ELEMENTS (denominations); k++)
            known |= denominations[k] == value;
          if (!known)
            return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("There is no note or coin of %" PRId64 " fen"), value);
          if (!add (c, "denominations", cash, value * count, &cash))
            return FALSE;
        }
      if (cash != cash_counted)
        return fail (c, MDN_ERROR_INVALID_ARGUMENT,
                     _("The notes and coins add up to %" PRId64 ", not the %" PRId64 " counted in cash"),
                     cash, cash_counted);
    }
  return TRUE;
}

/* exception.write_off, of a card or of a sale (mdn-exceptions.c).
 *
 * Of a card: principal and bonus go to zero, and every lot of an overdrawn
 * service too, so how the net overdraft splits between them (or between
 * the lots) is the member's state when it was written, not in the body;
 * what they add up to is: written_off_fen, and for each service of
 * written_off_uses its uses.
 *
 * Of a sale refunded beyond what it took (an over-refund exception): the
 * amount is written off the sale's books; no account moves. */
static gboolean
check_write_off (Check *c)
{
  MdnEntry *e = c->entry;
  JsonObject *b = e->body;
  JsonArray *uses = NULL;
  g_autofree gint64 *uses_moved = NULL;
  gint64 fen, points, moved = 0;
  guint principal = 0, bonus = 0, n_uses = 0;
  const char *sale = NULL;

  if (!want_string (c, b, "reason", TRUE, NULL) ||
      !want_string (c, b, "sale_entry", FALSE, &sale) ||
      !want_fen (c, b, "written_off_fen", 0, &fen) ||
      !want_fen (c, b, "written_off_points", 0, &points))
    return FALSE;
  if (sale)
    {
      if (!want_id (c, "sale_entry", sale) || !want_string (c, b, "sale_receipt_no", TRUE, NULL))
        return FALSE;
      if (fen == 0 || points != 0)
        return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("A write-off of a sale writes off fen, and only fen"));
      return TRUE;   /* no movements */
    }
  if (!want_string (c, b, "card_no", TRUE, NULL))
    return FALSE;
  if (json_object_has_member (b, "written_off_uses"))
    {
      uses = want_objects (c, b, "written_off_uses");
      if (uses == NULL)
        return FALSE;
      n_uses = json_array_get_length (uses);
      uses_moved = g_new0 (gint64, n_uses + 1);
      for (guint i = 0; i < n_uses; i++)
        {
          JsonObject *u = json_array_get_object_element (uses, i);

          if (!want_string (c, u, "sku", TRUE, NULL) ||
              !want_int (c, u, "uses", TRUE, 0, 1, MDN_ENTRY_QTY_MAX, NULL))
            return FALSE;
          for (guint j = 0; j < i; j++)
            if (g_str_equal (mdn_body_string (u, "sku"),
                             mdn_body_string (json_array_get_object_element (uses, j), "sku")))
              return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("A write-off names a service's uses once"));
        }
    }
  if (fen == 0 && points == 0 && n_uses == 0)
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("A write-off writes off something"));
  for (guint i = 0; i < e->movements->len; i++)
    {
      MdnMovement *m = &g_array_index (e->movements, MdnMovement, i);

      if (m->delta < -MDN_ENTRY_AMOUNT_MAX || m->delta > MDN_ENTRY_AMOUNT_MAX)
        continue;   /* left unexpected: refused by movements_match */
      if (fen > 0 && (g_str_equal (m->account, "principal") || g_str_equal (m->account, "bonus")))
        {
          /* Taken as found, one of each; their total is checked below. */
          if ((g_str_equal (m->account, "principal") ? principal++ : bonus++) > 0)
            return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("A write-off moves principal and bonus once each"));
          if (!expect (c, e->member_id, m->account, NULL, NULL, NULL, FALSE, m->delta) ||
              !add (c, "written_off_fen", moved, m->delta, &moved))
            return FALSE;
        }
      else if (g_str_equal (m->account, "package") && m->item)
        {
          /* Each lot of a written-off service as found; each service's
             lots add up to its uses. */
          for (guint j = 0; j < n_uses; j++)
            if (g_str_equal (m->item, mdn_body_string (json_array_get_object_element (uses, j), "sku")))
              {
                if (!expect (c, e->member_id, "package", m->item, m->lot, m->expires_on, TRUE, m->delta) ||
                    !add (c, "written_off_uses", uses_moved[j], m->delta, &uses_moved[j]))
                  return FALSE;
                break;
              }
        }
    }
  if (!must_equal (c, "written_off_fen", fen, moved))
    return FALSE;
  for (guint j = 0; j < n_uses; j++)
    if (!must_equal (c, "uses", mdn_body_int (json_array_get_object_element (uses, j), "uses", 0), uses_moved[j]))
      return FALSE;
  return expect_member (c, "points", points);
}

/* The back office (ops/mdn-roles.c, catalog/mdn-catalog.c, members/mdn-members.c). */

static gboolean
want_strings (Check      *c,
              JsonObject *o,
              const char *name,
              guint       max)
{
  JsonArray *a = mdn_body_array (o, name);

  if (a == NULL)
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” must be a list"), name);
  if (json_array_get_length (a) > max)
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” has too many elements"), name);
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonNode *n = json_array_get_element (a, i);

      if (!JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING ||
          *json_node_get_string (n) == '\0')
        return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” must be a list of text"), name);
    }
  return TRUE;
}

static gboolean
check_role_upsert (Check *c)
{
  return want_string (c, c->entry->body, "code", TRUE, NULL) &&
         want_string (c, c->entry->body, "name", TRUE, NULL) &&
         want_strings (c, c->entry->body, "permissions", 256);
}

static gboolean
check_code_only (Check *c)
{
  return want_string (c, c->entry->body, "code", TRUE, NULL);
}

static gboolean
check_member_update (Check *c)
{
  JsonObject *b = c->entry->body;
  guint n = 0;

  if (!want_string (c, b, "card_no", TRUE, NULL) ||
      !want_date (c, b, "birthday", FALSE, NULL) ||
      !want_string (c, b, "birthday_lunar", FALSE, NULL) ||
      !want_string (c, b, "note", FALSE, NULL))
    return FALSE;
  /* name and phone, when there, are not blank */
  for (const char *const *f = (const char *const[]) { "name", "phone", NULL }; *f; f++)
    if (json_object_has_member (b, *f) && !want_string (c, b, *f, TRUE, NULL))
      return FALSE;
  for (const char *const *f = (const char *const[]) { "name", "phone", "birthday", "birthday_lunar", "note", NULL }; *f; f++)
    n += json_object_has_member (b, *f);
  if (n == 0)
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("A member.update changes nothing"));
  return TRUE;
}

/* A category path: one to three non-blank levels. */
static gboolean
check_category (Check *c)
{
  const char *path = NULL;
  g_auto(GStrv) parts = NULL;
  guint n;

  if (!want_string (c, c->entry->body, "path", TRUE, &path))
    return FALSE;
  if (g_str_equal (c->entry->kind, "category.upsert") && !want_string (c, c->entry->body, "name", TRUE, NULL))
    return FALSE;
  parts = g_strsplit (path, "/", -1);
  n = g_strv_length (parts);
  for (guint i = 0; i < n; i++)
    if (*parts[i] == '\0')
      n = 0;
  if (n < 1 || n > 3)
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” is not a category: write up to three levels like 饮品/茶/绿茶"), path);
  return TRUE;
}

/* Stock (mdn-stock.c) ------------------------------------------------------------------- */

static const char *const issue_reasons[] = { "damage", "internal", "other", NULL };

/* A branch code as mdn-stock.c accepts one. */
static gboolean
want_branch (Check       *c,
             JsonObject  *b,
             const char  *name,
             const char **out)
{
  const char *code = NULL;
  gsize len;

  if (!want_string (c, b, name, TRUE, &code))
    return FALSE;
  len = strlen (code);
  for (const char *p = code; *p && len <= 16; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      len = 0;
  if (len < 1 || len > 16)
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” is not a branch code (“%s”)"), name, code);
  if (g_str_equal (code, c->entry->branch))
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” is the entry's own branch"), name);
  *out = code;
  return TRUE;
}

/* "lines": at least one, each {sku, name?, <qty>} with <qty> in
 * [min, STOCK_QTY_MAX]; each expects a stock movement of sign × qty.
 * With @unique, no sku twice. */
static JsonArray *
want_stock_lines (Check      *c,
                  const char *qty_name,
                  gint64      min,
                  int         sign,
                  gboolean    unique)
{
  JsonArray *lines = want_objects (c, c->entry->body, "lines");
  guint n;

  if (lines == NULL)
    return NULL;
  n = json_array_get_length (lines);
  if (n == 0 || n > 1000)
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” must have 1 to 1000 lines"), "lines"), NULL;
  for (guint i = 0; i < n; i++)
    {
      JsonObject *l = json_array_get_object_element (lines, i);
      const char *sku = NULL;
      gint64 qty = 0;

      if (!want_string (c, l, "sku", TRUE, &sku) || !want_string (c, l, "name", FALSE, NULL) ||
          !want_int (c, l, qty_name, TRUE, 0, min, STOCK_QTY_MAX, &qty))
        return NULL;
      for (guint j = 0; unique && j < i; j++)
        if (g_str_equal (mdn_body_string (json_array_get_object_element (lines, j), "sku"), sku))
          return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("%s is on two lines"), sku), NULL;
      if (sign != 0 && !expect (c, NULL, "stock", sku, NULL, NULL, FALSE, sign * qty))
        return NULL;
    }
  return lines;
}

static gboolean
check_stock_receive (Check *c)
{
  JsonObject *b = c->entry->body;
  JsonArray *lines;
  gint64 total = 0, sum = 0;

  if (!want_string (c, b, "doc_no", TRUE, NULL) || !want_string (c, b, "supplier", FALSE, NULL) ||
      !want_string (c, b, "note", FALSE, NULL) || !want_fen (c, b, "total_cost_fen", 0, &total) ||
      (lines = want_stock_lines (c, "qty", 1, 1, FALSE)) == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (lines); i++)
    {
      JsonObject *l = json_array_get_object_element (lines, i);
      gint64 cost = 0, value;

      if (!want_fen (c, l, "cost_fen", 0, &cost))
        return FALSE;
      if (__builtin_mul_overflow (cost, mdn_body_int (l, "qty", 0), &value) || !add (c, "total_cost_fen", sum, value, &sum))
        return fail (c, MDN_ERROR_MONEY_OVERFLOW, _("“%s” adds up to more than an entry may hold"), "total_cost_fen");
    }
  return must_equal (c, "total_cost_fen", total, sum);
}

static gboolean
check_stock_issue (Check *c)
{
  JsonObject *b = c->entry->body;
  const char *reason = NULL;

  return want_string (c, b, "doc_no", TRUE, NULL) && want_string (c, b, "reason", TRUE, &reason) &&
         want_one_of (c, "reason", reason, issue_reasons) && want_string (c, b, "note", FALSE, NULL) &&
         want_stock_lines (c, "qty", 1, -1, FALSE) != NULL;
}

static gboolean
check_stock_limits (Check *c)
{
  JsonObject *b = c->entry->body;
  gint64 low = -1, high = -1;

  if (!want_string (c, b, "sku", TRUE, NULL) ||
      !want_int (c, b, "low_stock", FALSE, -1, 0, STOCK_QTY_MAX, &low) ||
      !want_int (c, b, "high_stock", FALSE, -1, 0, STOCK_QTY_MAX, &high))
    return FALSE;
  if (low >= 0 && high >= 0 && low > high)
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("“low_stock” is above “high_stock”"));
  return TRUE;
}

static gboolean
check_stocktake_start (Check *c)
{
  JsonObject *b = c->entry->body;

  return want_id (c, "count_id", mdn_body_string (b, "count_id")) && want_string (c, b, "doc_no", TRUE, NULL) &&
         want_string (c, b, "category", FALSE, NULL);
}

static gboolean
check_stocktake_count (Check *c)
{
  JsonArray *lines;

  if (!want_id (c, "count_id", mdn_body_string (c->entry->body, "count_id")) ||
      (lines = want_stock_lines (c, "counted", 0, 0, TRUE)) == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (lines); i++)
    if (!want_int (c, json_array_get_object_element (lines, i), "on_hand", TRUE, 0,
                   -MDN_ENTRY_AMOUNT_MAX, MDN_ENTRY_AMOUNT_MAX, NULL))
      return FALSE;
  return TRUE;
}

/* Each counted sku moves by counted - counted_on_hand: set to what was
 * counted, corrected for what moved between its count and the finish. */
static gboolean
check_stocktake_finish (Check *c)
{
  JsonObject *b = c->entry->body;
  JsonArray *lines;

  if (!want_id (c, "count_id", mdn_body_string (b, "count_id")) || !want_string (c, b, "doc_no", TRUE, NULL))
    return FALSE;
  if ((lines = mdn_args_array (b, "lines", TRUE, c->error)) == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (lines); i++)
    {
      JsonObject *l = mdn_args_element_object (lines, i, "lines", c->error);
      const char *sku = NULL;
      gint64 counted = 0, at_count = 0, delta = 0;

      if (l == NULL || !want_string (c, l, "sku", TRUE, &sku) || !want_string (c, l, "name", FALSE, NULL) ||
          !want_int (c, l, "counted", TRUE, 0, 0, STOCK_QTY_MAX, &counted) ||
          !want_int (c, l, "counted_on_hand", TRUE, 0, -MDN_ENTRY_AMOUNT_MAX, MDN_ENTRY_AMOUNT_MAX, &at_count) ||
          !want_int (c, l, "on_hand", TRUE, 0, -MDN_ENTRY_AMOUNT_MAX, MDN_ENTRY_AMOUNT_MAX, NULL) ||
          !want_int (c, l, "delta", TRUE, 0, -MDN_ENTRY_AMOUNT_MAX, MDN_ENTRY_AMOUNT_MAX, &delta) ||
          !must_equal (c, "delta", delta, counted - at_count) ||
          !expect (c, NULL, "stock", sku, NULL, NULL, FALSE, delta))
        return FALSE;
    }
  return TRUE;
}

static gboolean
check_stocktake_cancel (Check *c)
{
  return want_id (c, "count_id", mdn_body_string (c->entry->body, "count_id"));
}

/* Addressed: "deliver_to" is the destination. */
static gboolean
check_transfer_out (Check *c)
{
  JsonObject *b = c->entry->body;
  const char *to = NULL, *deliver_to = NULL;

  if (!want_id (c, "transfer_id", mdn_body_string (b, "transfer_id")) || !want_string (c, b, "doc_no", TRUE, NULL) ||
      !want_branch (c, b, "to", &to) || !want_branch (c, b, "deliver_to", &deliver_to) ||
      !want_string (c, b, "note", FALSE, NULL))
    return FALSE;
  if (!g_str_equal (to, deliver_to))
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("A transfer is delivered to its destination, not to %s"), deliver_to);
  return want_stock_lines (c, "qty", 1, -1, TRUE) != NULL;
}

/* Addressed back to the source ("from"): each line received ≤ sent, the
 * shortfall their difference, stock up by what was received. */
static gboolean
check_transfer_receive (Check *c)
{
  JsonObject *b = c->entry->body;
  const char *from = NULL, *deliver_to = NULL;
  JsonArray *lines;
  gint64 shortfall = 0, sum = 0;

  if (!want_id (c, "transfer_id", mdn_body_string (b, "transfer_id")) || !want_string (c, b, "doc_no", TRUE, NULL) ||
      !want_branch (c, b, "from", &from) || !want_branch (c, b, "deliver_to", &deliver_to) ||
      !want_int (c, b, "shortfall", TRUE, 0, 0, MDN_ENTRY_AMOUNT_MAX, &shortfall))
    return FALSE;
  if (!g_str_equal (from, deliver_to))
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("A receipt of a transfer is delivered to its source, not to %s"), deliver_to);
  if ((lines = want_stock_lines (c, "sent", 1, 0, TRUE)) == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (lines); i++)
    {
      JsonObject *l = json_array_get_object_element (lines, i);
      gint64 sent = mdn_body_int (l, "sent", 0), received = 0;

      if (!want_int (c, l, "received", TRUE, 0, 0, sent, &received) ||
          !add (c, "shortfall", sum, sent - received, &sum) ||
          !expect (c, NULL, "stock", mdn_body_string (l, "sku"), NULL, NULL, FALSE, received))
        return FALSE;
    }
  return must_equal (c, "shortfall", shortfall, sum);
}

/* A body's "commission" (mdn-commission.h), if any: who earned what under
 * which rule; an accrual's amount is its rule's arithmetic on its base and
 * quantity, a reversal ("reverses") only takes back (≤ 0). */
static gboolean
want_commission (Check      *c,
                 JsonObject *b)
{
  JsonArray *list;

  if (!json_object_has_member (b, "commission"))
    return TRUE;
  if ((list = want_objects (c, b, "commission")) == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (list); i++)
    {
      JsonObject *o = json_array_get_object_element (list, i);
      gint64 base = 0, qty = 0, bp = 0, fixed = 0, amount = 0, want;
      gboolean reverses = FALSE;

      if (!want_string (c, o, "staff", TRUE, NULL) ||
          !want_string (c, o, "rule", TRUE, NULL) ||
          !want_string (c, o, "sku", FALSE, NULL) ||
          !want_int (c, o, "line", FALSE, 0, 1, MDN_ENTRY_QTY_MAX, NULL) ||
          !want_int (c, o, "percent_bp", TRUE, 0, 0, 10000, &bp) ||
          !want_fen (c, o, "fixed_fen", 0, &fixed) ||
          !mdn_args_bool (o, "reverses", &reverses, c->error))
        return FALSE;
      if (reverses)
        {
          if (!want_int (c, o, "qty", TRUE, 0, -MDN_ENTRY_QTY_MAX, 0, &qty) ||
              !want_int (c, o, "base_fen", TRUE, 0, 0, 0, &base) ||
              !want_int (c, o, "amount_fen", TRUE, 0, -MDN_ENTRY_AMOUNT_MAX, -1, &amount))
            return FALSE;
          continue;
        }
      if (!want_int (c, o, "qty", TRUE, 0, 0, MDN_ENTRY_QTY_MAX, &qty) ||
          !want_fen (c, o, "base_fen", 0, &base) ||
          !want_fen (c, o, "amount_fen", 1, &amount))
        return FALSE;
      if (!mdn_money_commission (base, bp, fixed, qty, &want))
        return fail (c, MDN_ERROR_MONEY_OVERFLOW, _("A commission is too large"));
      if (!must_equal (c, "amount_fen", want, amount))
        return FALSE;
    }
  return TRUE;
}

static gboolean
check_commission_rule (Check *c)
{
  static const char *const kinds[] = { "sale_line", "card_issue", "deposit", "package_use", "timed", NULL };
  static const char *const bases[] = { "paid", "list", NULL };
  JsonObject *b = c->entry->body;
  const char *kind = NULL, *base = NULL;

  return want_string (c, b, "code", TRUE, NULL) &&
         want_string (c, b, "name", TRUE, NULL) &&
         want_string (c, b, "kind", TRUE, &kind) &&
         want_one_of (c, "kind", kind, kinds) &&
         want_string (c, b, "sku", FALSE, NULL) &&
         want_string (c, b, "category", FALSE, NULL) &&
         want_string (c, b, "base", TRUE, &base) &&
         want_one_of (c, "base", base, bases) &&
         want_int (c, b, "percent_bp", TRUE, 0, 0, 10000, NULL) &&
         want_fen (c, b, "fixed_fen", 0, NULL) &&
         want_bool (c, b, "active");
}

static gboolean
check_setting (Check *c)
{
  return mdn_settings_check_entry (c->entry, c->error);
}

/* shop.update (common/ops/mdn-backoffice.c): the shop's details given,
 * each text of at most its length; the name not blank. */
static gboolean
check_shop_update (Check *c)
{
  static const struct { const char *field; glong max; } fields[] = {
    { "name", 64 }, { "address", 128 }, { "phone", 32 }, { "receipt_header", 256 }, { "receipt_footer", 256 },
  };
  guint n = 0;

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      const char *value = NULL;

      if (!want_string (c, c->entry->body, fields[i].field, FALSE, &value))
        return FALSE;
      if (value == NULL)
        continue;
      n++;
      if (g_utf8_strlen (value, -1) > fields[i].max)
        return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” can have at most %d characters"),
                     fields[i].field, (int) fields[i].max);
      if (i == 0 && value[strspn (value, " \t")] == '\0')
        return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("The shop needs a name"));
    }
  if (n == 0 || json_object_get_size (c->entry->body) != n)
    return fail (c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” is malformed"), c->entry->kind);
  return TRUE;   /* and no movements: movements_match */
}

typedef gboolean (*CheckFunc) (Check *c);

typedef struct
{
  const char *kind;
  CheckFunc   check;
  gboolean    member;   /* has a member (else has none) */
  gboolean    optional; /* the member is optional */
} KindCheck;

static const KindCheck checks[] = {
  { "member.issue",        check_issue,           TRUE,  FALSE },
  { "member.deposit",      check_deposit,         TRUE,  FALSE },
  { "member.withdraw",     check_withdraw,        TRUE,  FALSE },
  { "member.replace",      check_replace,         TRUE,  FALSE },
  { "member.extend",       check_extend,          TRUE,  FALSE },
  { "member.lose",         check_card_state,      TRUE,  FALSE },
  { "member.unlock",       check_card_state,      TRUE,  FALSE },
  { "member.upgrade",      check_upgrade,         TRUE,  FALSE },
  { "member.set_pin",      check_set_pin,         TRUE,  FALSE },
  { "level.upsert",        check_level,           FALSE, FALSE },
  { "deposit_rule.upsert", check_deposit_rule,    FALSE, FALSE },
  { "product.upsert",      check_product,         FALSE, FALSE },
  { "plan.upsert",         check_plan,            FALSE, FALSE },
  { "resource.upsert",     check_resource,        FALSE, FALSE },
  { "timed.start",         check_timed_start,     TRUE,  TRUE  },
  { "timed.stop",          check_timed_stop,      TRUE,  TRUE  },
  { "sale",                check_sale,            TRUE,  TRUE  },
  { "sale.quick",          check_sale_quick,      TRUE,  TRUE  },
  { "sale.return",         check_return,          TRUE,  TRUE  },
  { "package.consume",     check_package_consume, TRUE,  FALSE },
  { "points.redeem",       check_points_redeem,   TRUE,  FALSE },
  { "points.adjust",       check_points_adjust,   TRUE,  FALSE },
  { "exception.write_off", check_write_off,       TRUE,  FALSE },
  { "commission_rule.upsert", check_commission_rule, FALSE, FALSE },
  { "role.upsert",         check_role_upsert,     FALSE, FALSE },
  { "role.remove",         check_code_only,       FALSE, FALSE },
  { "member.update",       check_member_update,   TRUE,  FALSE },
  { "category.upsert",     check_category,        FALSE, FALSE },
  { "category.archive",    check_category,        FALSE, FALSE },
  { "setting.chain",       check_setting,         FALSE, FALSE },
  { "setting.branch",      check_setting,         FALSE, FALSE },
  { "stock.receive",       check_stock_receive,   FALSE, FALSE },
  { "stock.issue",         check_stock_issue,     FALSE, FALSE },
  { "stock.limits",        check_stock_limits,    FALSE, FALSE },
  { "stocktake.start",     check_stocktake_start, FALSE, FALSE },
  { "stocktake.count",     check_stocktake_count, FALSE, FALSE },
  { "stocktake.finish",    check_stocktake_finish, FALSE, FALSE },
  { "stocktake.cancel",    check_stocktake_cancel, FALSE, FALSE },
  { "transfer.out",        check_transfer_out,    FALSE, FALSE },
  { "transfer.receive",    check_transfer_receive, FALSE, FALSE },
  { "message.add",         check_message_add,     TRUE,  FALSE },
  { "message.reply",       check_message_reply,   TRUE,  FALSE },
  { "member.sms_prefs",    check_sms_prefs,       TRUE,  FALSE },
  { "sms.campaign",        check_sms_campaign,    FALSE, FALSE },
  { "sms.send",            check_sms_send,        TRUE,  FALSE },
  { "member.opening",      check_opening,         TRUE,  FALSE },
  { "shift.close",         check_shift_close,     FALSE, FALSE },
  { "timed.move",          check_timed_move,      FALSE, FALSE },
  { "timed.pause",         check_timed_pause,     FALSE, FALSE },
  { "timed.resume",        check_timed_pause,     FALSE, FALSE },
  { "shop.update",         check_shop_update,     FALSE, FALSE },
  { "timed.add",           check_timed_add,       FALSE, FALSE },
  { "timed.prepay",        check_timed_prepay,    TRUE,  TRUE  },
  { "timed.extend",        check_timed_prepay,    TRUE,  TRUE  },
};

gboolean
mdn_entry_check (MdnEntry *entry,
                 GError  **error)
{
  Check c = { entry, NULL, error };
  const KindCheck *k = NULL;
  gboolean ok;

  g_return_val_if_fail (entry != NULL && entry->kind != NULL && entry->branch != NULL, FALSE);
  g_return_val_if_fail (entry->business_date != NULL && entry->body != NULL, FALSE);

  for (guint i = 0; i < G_N_ELEMENTS (checks) && k == NULL; i++)
    if (g_str_equal (checks[i].kind, entry->kind))
      k = &checks[i];
  if (k == NULL)
    return fail (&c, MDN_ERROR_INVALID_ARGUMENT, _("There is no check for entries of kind “%s”"), entry->kind);
  if (!want_id (&c, "id", entry->id))
    return FALSE;
  /* business_date is a real date: both readers check it. */
  if (entry->at == NULL)
    return fail (&c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” is required"), "at");
  if (!time_valid (entry->at))
    return fail (&c, MDN_ERROR_INVALID_ARGUMENT, _("“%s” is not a time (“%s”)"), "at", entry->at);
  if (k->member && !(k->optional && entry->member_id == NULL))
    {
      if (!want_id (&c, "member", entry->member_id))
        return FALSE;
    }
  else if (entry->member_id != NULL)
    return fail (&c, MDN_ERROR_INVALID_ARGUMENT, _("An entry of kind %s has no member"), entry->kind);

  c.expected = g_array_sized_new (FALSE, TRUE, sizeof (Expected), 8);
  ok = k->check (&c) && want_commission (&c, entry->body) && movements_match (&c);
  g_array_unref (c.expected);
  return ok;
}
