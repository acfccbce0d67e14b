/* Thousands of random selling operations (deposits, sales, quick sales,
 * packages, timed sessions, points, returns, lost cards, price changes)
 * against a model kept by the test. Refusals are allowed where the rules
 * refuse, and then nothing may be written; at the end every balance,
 * point, package use and stock count must match the model, and
 * mendian-cli verify's checks must pass.
 *
 * MENDIAN_TEST_SEED=N repeats a run; MENDIAN_TEST_OPS=N changes its length. */
#include <string.h>

#include "mdn-clock.h"
#include "mdn-db.h"
#include "mdn-json.h"
#include "mdn-money.h"
#include "mdn-test-util.h"
#include "mdn-sync.h"

#define N_MEMBERS 12
#define PIN "135700"

typedef struct
{
  const char *sku;
  const char *kind;
  gint64      price;
  gboolean    no_discount;
  int         service;     /* package: index into services[] */
  gint64      count;       /* package: uses per unit */
} Prod;

static const char *const services[] = { "CUT", "WASH" };

static Prod prods[] = {
  { "TEA",   "goods",   1250, FALSE, -1, 0 },
  { "COLA",  "goods",    300, FALSE, -1, 0 },
  { "GUM",   "goods",    125, FALSE, -1, 0 },
  { "BAG",   "goods",     50, TRUE,  -1, 0 },
  { "CUT",   "service", 3000, FALSE, -1, 0 },
  { "WASH",  "service", 1500, TRUE,  -1, 0 },
  { "CUT10", "package", 25000, FALSE, 0, 10 },
  { "WASH5", "package", 6000, TRUE,   1, 5 },
};

static const struct { const char *code; gint64 pct, ppy; } levels[] = {
  { "normal", 100, 1 }, { "silver", 90, 1 }, { "gold", 88, 2 }, { "vip", 75, 3 },
};

static const char *const resources[] = { "T1", "T2", "R1" };

typedef struct
{
  char       *card;
  int         level;
  gboolean    pin;
  gboolean    lost;
  const char *expires_on;
  gint64      balance;
  gint64      points;
  gint64      uses[G_N_ELEMENTS (services)];
} Member;

typedef struct
{
  int    prod;
  gint64 price;       /* at the time of the sale */
  gint64 qty;
  gint64 pct;
  gint64 back;
} SaleLine;

typedef struct
{
  char    *entry_id;
  int      member;       /* -1: no card */
  gboolean by_lines;
  gint64   total;
  gint64   points;
  gint64   refunded;
  gint64   taken;
  guint    n_lines;
  SaleLine lines[4];
} Sale;

typedef struct
{
  char *id;
  int   member;
} Session;

typedef struct
{
  MdnTestBranch *b;
  MdnOpCtx      *cashier;
  MdnOpCtx      *manager;
  GRand         *rand;
  GDateTime     *now;
  char          *date;
  Member         members[N_MEMBERS];
  GPtrArray     *sales;
  Session        open[G_N_ELEMENTS (resources)];
  gint64         stock[G_N_ELEMENTS (prods)];
  guint          tried[16];
  guint          succeeded[16];
} World;

enum { OP_DEPOSIT, OP_SALE, OP_QUICK, OP_CONSUME, OP_START, OP_STOP, OP_RETURN, OP_REDEEM, OP_ADJUST,
       OP_LOSE, OP_PRICE, N_OPS };
static const char *const op_names[] = { "deposit", "sale", "quick", "consume", "start", "stop", "return",
                                        "redeem", "adjust", "lose", "price" };

static void
sale_free (gpointer data)
{
  Sale *s = data;

  g_free (s->entry_id);
  g_free (s);
}

static gint64
rnd (World *w,
     gint64 lo,
     gint64 hi)
{
  return g_rand_int_range (w->rand, (gint32) lo, (gint32) hi + 1);
}

static void
tick (World *w)
{
  g_autofree char *iso = NULL;
  GDateTime *next = g_date_time_add_seconds (w->now, (gdouble) rnd (w, 0, 600));

  g_date_time_unref (w->now);
  w->now = next;
  iso = g_date_time_format_iso8601 (w->now);
  mdn_test_set_now (iso);
  g_free (w->date);
  w->date = mdn_clock_business_date (w->now, "Asia/Shanghai");
}

static gint64
entries (World *w)
{
  return mdn_test_count (w->b, "SELECT count(*) FROM entries");
}

/* Runs one operation; on a refusal asserts nothing was written and the
 * code is one of @allowed ("a|b|c", "-" for none). With @must it has to be
 * refused. Returns the result when it succeeded. */
static JsonObject *
attempt (World      *w,
         MdnOpCtx   *ctx,
         int         kind,
         const char *allowed,
         gboolean    must,
         const char *format,
         ...) G_GNUC_PRINTF (6, 7);

static JsonObject *
attempt (World      *w,
         MdnOpCtx   *ctx,
         int         kind,
         const char *allowed,
         gboolean    must,
         const char *format,
         ...)
{
  g_autofree char *line = NULL;
  g_autoptr(JsonObject) out = NULL;
  g_auto(GStrv) codes = g_strsplit (allowed, "|", -1);
  gint64 before = entries (w);
  const char *code;
  va_list ap;

  va_start (ap, format);
  line = g_strdup_vprintf (format, ap);
  va_end (ap);
  w->tried[kind]++;
  out = mdn_ops_run_line (ctx, line);
  if (json_object_get_boolean_member (out, "ok"))
    {
      if (must)
        {
          g_autofree char *text = mdn_json_object_to_string (out);
          g_error ("%s should have been refused (%s): %s\nrequest: %s", op_names[kind], allowed, text, line);
        }
      w->succeeded[kind]++;
      return g_steal_pointer (&out);
    }
  code = json_object_get_string_member (json_object_get_object_member (out, "error"), "code");
  if (!g_strv_contains ((const char *const *) codes, code))
    {
      g_autofree char *text = mdn_json_object_to_string (out);
      g_error ("%s refused unexpectedly: %s\nrequest: %s", op_names[kind], text, line);
    }
  g_assert_cmpint (entries (w), ==, before);
  return NULL;
}

static gboolean
usable (World *w,
        int    m)
{
  Member *mb = &w->members[m];

  return !mb->lost && (mb->expires_on == NULL || strcmp (w->date, mb->expires_on) <= 0);
}

static gint64
pct_of (World *w,
        int    m)
{
  return m < 0 ? 100 : levels[w->members[m].level].pct;
}

static gint64
points_for (World *w,
            int    m,
            gint64 total)
{
  return m < 0 ? 0 : (total / 100) * levels[w->members[m].level].ppy;
}

static gint64
sum_tenders (JsonObject *r,
             const char *type)
{
  JsonArray *a = json_object_get_array_member (r, "tenders");
  gint64 sum = 0;

  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *t = json_array_get_object_element (a, i);

      if (type == NULL || g_str_equal (json_object_get_string_member (t, "type"), type))
        sum += json_object_get_int_member (t, "amount_fen");
    }
  return sum;
}

/* Tenders for @total: exact, with change, split with the balance, or
 * (rarely) wrong on purpose. Sets *wrong when they must be refused. */
static char *
make_tenders (World   *w,
              int      m,
              gint64   total,
              gboolean *wrong,
              gint64   *balance_part,
              char    **pin_arg)
{
  static const char *const others[] = { "wechat", "alipay", "bank" };
  int how = (int) rnd (w, 0, 19);

  *wrong = FALSE;
  *balance_part = 0;
  *pin_arg = g_strdup ("");
  if (total == 0 && how < 18)
    return g_strdup ("[]");
  if (how >= 18)
    {
      *wrong = TRUE;
      if (how == 18 && total > 0)
        return g_strdup_printf ("[{\"type\":\"cash\",\"amount_fen\":%" G_GINT64_FORMAT "}]", total - 1);
      return g_strdup_printf ("[{\"type\":\"wechat\",\"amount_fen\":%" G_GINT64_FORMAT "}]", total + 1);
    }
  if (m >= 0 && how >= 10)
    {
      gint64 part = how >= 15 ? total : MIN (w->members[m].balance, rnd (w, 0, total));

      *balance_part = part;
      if (w->members[m].pin)
        {
          g_free (*pin_arg);
          *pin_arg = rnd (w, 0, 3) == 0 ? g_strdup (",\"pin\":\"" PIN "\"") : g_strdup ("");
        }
      if (part == total)
        return g_strdup_printf ("[{\"type\":\"balance\",\"amount_fen\":%" G_GINT64_FORMAT "}]", part);
      if (part == 0)
        return g_strdup_printf ("[{\"type\":\"cash\",\"amount_fen\":%" G_GINT64_FORMAT "}]", total);
      return g_strdup_printf ("[{\"type\":\"balance\",\"amount_fen\":%" G_GINT64_FORMAT "},"
                              "{\"type\":\"cash\",\"amount_fen\":%" G_GINT64_FORMAT "}]",
                              part, total - part + rnd (w, 0, 2) * 1000);
    }
  if (how < 4)
    return g_strdup_printf ("[{\"type\":\"cash\",\"amount_fen\":%" G_GINT64_FORMAT "}]", total + rnd (w, 0, 5000));
  if (how < 8)
    return g_strdup_printf ("[{\"type\":\"%s\",\"amount_fen\":%" G_GINT64_FORMAT "}]", others[how % 3], total);
  {
    gint64 part = rnd (w, 0, total);

    if (part == 0 || part == total)
      return g_strdup_printf ("[{\"type\":\"cash\",\"amount_fen\":%" G_GINT64_FORMAT "}]", total);
    return g_strdup_printf ("[{\"type\":\"%s\",\"amount_fen\":%" G_GINT64_FORMAT "},"
                            "{\"type\":\"cash\",\"amount_fen\":%" G_GINT64_FORMAT "}]",
                            others[how % 3], part, total - part + rnd (w, 0, 500));
  }
}

/* Checks a successful checkout against the model and applies it. */
static void
settled (World      *w,
         JsonObject *r,
         int         m,
         gint64      list_total,
         gint64      total,
         gint64      balance_part)
{
  g_assert_cmpint (mdn_test_int (r, "list_total_fen"), ==, list_total);
  g_assert_cmpint (mdn_test_int (r, "total_fen"), ==, total);
  g_assert_cmpint (sum_tenders (r, NULL), ==, total);
  g_assert_cmpint (sum_tenders (r, "balance"), ==, balance_part);
  g_assert_cmpint (mdn_test_int (r, "points_earned"), ==, points_for (w, m, total));
  if (m >= 0)
    {
      w->members[m].balance -= balance_part;
      w->members[m].points += points_for (w, m, total);
      g_assert_cmpint (mdn_test_int (r, "balance_fen"), ==, w->members[m].balance);
      g_assert_cmpint (mdn_test_int (r, "points"), ==, w->members[m].points);
    }
}

static const char *
card_failures (World   *w,
               int      m,
               gboolean wrong,
               gint64   balance_part,
               const char *pin_arg)
{
  /* What may refuse this checkout, given the model. */
  static char buf[256];

  buf[0] = '\0';
  if (m >= 0 && !usable (w, m))
    g_strlcat (buf, "card_lost|card_expired|", sizeof buf);
  if (wrong)
    g_strlcat (buf, "tender_mismatch|", sizeof buf);
  if (balance_part > 0 && w->members[m].pin && *pin_arg == '\0')
    g_strlcat (buf, "pin_required|", sizeof buf);
  if (balance_part > w->members[m >= 0 ? m : 0].balance)
    g_strlcat (buf, "insufficient_balance|", sizeof buf);
  g_strlcat (buf, "-", sizeof buf);
  return buf;
}

static void
do_deposit (World *w)
{
  int m = (int) rnd (w, 0, N_MEMBERS - 1);
  gint64 amount = rnd (w, 1, 300) * 100;
  g_autoptr(JsonObject) r = attempt (w, w->cashier, OP_DEPOSIT, w->members[m].lost ? "card_lost" : "-",
                                     w->members[m].lost,
                                     "{\"op\":\"member.deposit\",\"card\":\"%s\",\"amount_fen\":%" G_GINT64_FORMAT "}",
                                     w->members[m].card, amount);

  if (r)
    {
      g_assert_false (w->members[m].lost);
      w->members[m].balance += amount + mdn_test_int (r, "bonus_fen");
      g_assert_cmpint (mdn_test_int (r, "balance_fen"), ==, w->members[m].balance);
    }
}

static void
do_sale (World *w)
{
  int m = rnd (w, 0, 9) < 7 ? (int) rnd (w, 0, N_MEMBERS - 1) : -1;
  g_autoptr(GString) lines = g_string_new ("[");
  g_autofree char *tenders = NULL, *pin = NULL, *card = NULL;
  g_autoptr(JsonObject) r = NULL;
  gboolean used[G_N_ELEMENTS (prods)] = { FALSE };
  gboolean wrong;
  gint64 list_total = 0, total = 0, balance_part;
  const char *allowed;
  Sale *s = g_new0 (Sale, 1);

  s->member = m;
  s->by_lines = TRUE;
  s->n_lines = (guint) rnd (w, 1, 4);
  for (guint i = 0; i < s->n_lines; i++)
    {
      SaleLine *l = &s->lines[i];

      do
        l->prod = (int) rnd (w, 0, G_N_ELEMENTS (prods) - 1);
      while (used[l->prod] || (m < 0 && g_str_equal (prods[l->prod].kind, "package")));
      used[l->prod] = TRUE;
      l->qty = rnd (w, 1, 3);
      l->price = prods[l->prod].price;
      l->pct = prods[l->prod].no_discount ? 100 : pct_of (w, m);
      list_total += prods[l->prod].price * l->qty;
      total += mdn_div_round_half_up (prods[l->prod].price * l->qty * l->pct, 100);
      g_string_append_printf (lines, "%s{\"sku\":\"%s\",\"qty\":%" G_GINT64_FORMAT "}",
                              i ? "," : "", prods[l->prod].sku, l->qty);
    }
  g_string_append_c (lines, ']');
  tenders = make_tenders (w, m, total, &wrong, &balance_part, &pin);
  card = m >= 0 ? g_strdup_printf (",\"card\":\"%s\"", w->members[m].card) : g_strdup ("");
  allowed = card_failures (w, m, wrong, balance_part, pin);
  r = attempt (w, w->cashier, OP_SALE, allowed, !g_str_equal (allowed, "-"),
               "{\"op\":\"sale\"%s%s,\"lines\":%s,\"tenders\":%s}", card, pin, lines->str, tenders);
  if (r == NULL)
    {
      sale_free (s);
      return;
    }
  g_assert_false (wrong);
  settled (w, r, m, list_total, total, balance_part);
  for (guint i = 0; i < s->n_lines; i++)
    {
      Prod *p = &prods[s->lines[i].prod];

      if (g_str_equal (p->kind, "goods"))
        w->stock[s->lines[i].prod] -= s->lines[i].qty;
      else if (g_str_equal (p->kind, "package"))
        w->members[m].uses[p->service] += s->lines[i].qty * p->count;
    }
  s->entry_id = g_strdup (mdn_test_str (r, "entry_id"));
  s->total = total;
  s->points = points_for (w, m, total);
  g_ptr_array_add (w->sales, s);
}

static void
do_quick (World *w)
{
  int m = rnd (w, 0, 9) < 6 ? (int) rnd (w, 0, N_MEMBERS - 1) : -1;
  gint64 amount = rnd (w, 1, 30000);
  gint64 total = mdn_div_round_half_up (amount * pct_of (w, m), 100);
  g_autofree char *tenders = NULL, *pin = NULL, *card = NULL;
  g_autoptr(JsonObject) r = NULL;
  gboolean wrong;
  gint64 balance_part;
  const char *allowed;
  Sale *s;

  tenders = make_tenders (w, m, total, &wrong, &balance_part, &pin);
  card = m >= 0 ? g_strdup_printf (",\"card\":\"%s\"", w->members[m].card) : g_strdup ("");
  allowed = card_failures (w, m, wrong, balance_part, pin);
  r = attempt (w, w->cashier, OP_QUICK, allowed, !g_str_equal (allowed, "-"),
               "{\"op\":\"sale.quick\"%s%s,\"amount_fen\":%" G_GINT64_FORMAT ",\"tenders\":%s}",
               card, pin, amount, tenders);
  if (r == NULL)
    return;
  g_assert_false (wrong);
  settled (w, r, m, amount, total, balance_part);
  s = g_new0 (Sale, 1);
  s->entry_id = g_strdup (mdn_test_str (r, "entry_id"));
  s->member = m;
  s->total = total;
  s->points = points_for (w, m, total);
  g_ptr_array_add (w->sales, s);
}

static void
do_consume (World *w)
{
  int m = (int) rnd (w, 0, N_MEMBERS - 1);
  int svc = (int) rnd (w, 0, G_N_ELEMENTS (services) - 1);
  gint64 count = rnd (w, 1, 4);
  Member *mb = &w->members[m];
  g_autoptr(JsonObject) r = NULL;
  const char *allowed = !usable (w, m) ? "card_lost|card_expired"
                        : count > mb->uses[svc] ? "insufficient_package" : "-";

  r = attempt (w, w->cashier, OP_CONSUME, allowed, !g_str_equal (allowed, "-"),
               "{\"op\":\"package.consume\",\"card\":\"%s\",\"sku\":\"%s\",\"count\":%" G_GINT64_FORMAT "}",
               mb->card, services[svc], count);
  if (r)
    {
      g_assert_true (usable (w, m));
      mb->uses[svc] -= count;
      g_assert_cmpint (mdn_test_int (r, "remaining"), ==, mb->uses[svc]);
    }
}

static void
do_start (World *w)
{
  int res = (int) rnd (w, 0, G_N_ELEMENTS (resources) - 1);
  int m = rnd (w, 0, 1) ? (int) rnd (w, 0, N_MEMBERS - 1) : -1;
  g_autofree char *card = m >= 0 ? g_strdup_printf (",\"card\":\"%s\"", w->members[m].card) : g_strdup ("");
  g_autoptr(JsonObject) r = NULL;
  const char *allowed = w->open[res].id ? "resource_busy" : (m >= 0 && !usable (w, m)) ? "card_lost|card_expired" : "-";

  r = attempt (w, w->cashier, OP_START, allowed, !g_str_equal (allowed, "-"),
               "{\"op\":\"timed.start\",\"resource\":\"%s\"%s}",
               resources[res], card);
  if (r)
    {
      g_assert_null (w->open[res].id);
      w->open[res].id = g_strdup (mdn_test_str (r, "session_id"));
      w->open[res].member = m;
    }
}

static void
do_stop (World *w)
{
  int res = (int) rnd (w, 0, G_N_ELEMENTS (resources) - 1);
  Session *session = &w->open[res];
  g_autoptr(JsonObject) list = NULL;
  g_autoptr(JsonObject) r = NULL;
  g_autofree char *tenders = NULL, *pin = NULL;
  JsonArray *sessions;
  gint64 gross = -1, total, balance_part;
  gboolean wrong;
  int m = session->member;
  const char *allowed;
  Sale *s;

  if (session->id == NULL)
    return;
  list = mdn_test_ok (w->b->admin, "{\"op\":\"timed.list\"}");
  sessions = json_object_get_array_member (list, "sessions");
  for (guint i = 0; i < json_array_get_length (sessions); i++)
    {
      JsonObject *o = json_array_get_object_element (sessions, i);

      if (g_str_equal (json_object_get_string_member (o, "session_id"), session->id))
        gross = json_object_get_int_member (o, "gross_fen");
    }
  g_assert_cmpint (gross, >=, 0);
  total = mdn_div_round_half_up (gross * pct_of (w, m), 100);
  tenders = make_tenders (w, m, total, &wrong, &balance_part, &pin);
  /* A card lost during the session still gets its price, but can't pay. */
  allowed = card_failures (w, m, wrong, balance_part, pin);
  if (m >= 0 && !usable (w, m) && balance_part == 0)
    allowed = wrong ? "tender_mismatch" : "-";
  r = attempt (w, w->cashier, OP_STOP, allowed, !g_str_equal (allowed, "-"),
               "{\"op\":\"timed.stop\",\"session_id\":\"%s\"%s,\"tenders\":%s}",
               session->id, pin, tenders);
  if (r == NULL)
    return;
  g_assert_false (wrong);
  settled (w, r, m, gross, total, balance_part);
  g_assert_cmpint (mdn_test_int (r, "charge_fen"), ==, total);
  s = g_new0 (Sale, 1);
  s->entry_id = g_strdup (mdn_test_str (r, "entry_id"));
  s->member = m;
  s->total = total;
  s->points = points_for (w, m, total);
  g_ptr_array_add (w->sales, s);
  g_clear_pointer (&session->id, g_free);
}

static gint64
line_cost (SaleLine *l,
           gint64    qty)
{
  return mdn_div_round_half_up (l->price * qty * l->pct, 100);
}

static void
do_return (World *w)
{
  Sale *s;
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(GString) lines = g_string_new (NULL);
  gint64 want[4] = { 0 }, refund = 0, points;
  gboolean exceeds = FALSE, has_package = FALSE, complete = TRUE;
  int how = (int) rnd (w, 0, 9);

  if (w->sales->len == 0)
    return;
  s = g_ptr_array_index (w->sales, rnd (w, 0, w->sales->len - 1));
  if (s->by_lines)
    {
      if (how < 4)
        {
          /* Everything still returnable. */
          for (guint i = 0; i < s->n_lines; i++)
            want[i] = s->lines[i].qty - s->lines[i].back;
          exceeds = TRUE;
          for (guint i = 0; i < s->n_lines; i++)
            exceeds &= want[i] == 0;
        }
      else
        {
          guint i = (guint) rnd (w, 0, s->n_lines - 1);
          gint64 left = s->lines[i].qty - s->lines[i].back;

          want[i] = left == 0 ? 1 : rnd (w, 1, left + (how == 9 ? 1 : 0));
          exceeds = want[i] > s->lines[i].qty - s->lines[i].back;
          g_string_printf (lines, ",\"lines\":[{\"sku\":\"%s\",\"qty\":%" G_GINT64_FORMAT "}]",
                           prods[s->lines[i].prod].sku, want[i]);
        }
      for (guint i = 0; i < s->n_lines; i++)
        {
          SaleLine *l = &s->lines[i];

          if (want[i] > 0 && !exceeds)
            refund += line_cost (l, l->back + want[i]) - line_cost (l, l->back);
          has_package |= want[i] > 0 && g_str_equal (prods[l->prod].kind, "package");
          complete &= l->back + want[i] >= l->qty;
        }
    }
  else
    {
      gint64 left = s->total - s->refunded;

      if (how < 4 || left == 0)
        refund = left;
      else
        refund = rnd (w, 1, left + (how == 9 ? 1 : 0));
      exceeds = left == 0 || refund > left;
      if (how >= 4 && left > 0)
        g_string_printf (lines, ",\"amount_fen\":%" G_GINT64_FORMAT, refund);
      complete = s->refunded + refund == s->total;
    }

  r = attempt (w, w->manager, OP_RETURN, exceeds ? "return_exceeds" : has_package ? "package_consumed" : "-",
               exceeds,
               "{\"op\":\"sale.return\",\"entry_id\":\"%s\"%s}", s->entry_id, lines->str);
  if (r == NULL)
    return;
  g_assert_false (exceeds);
  g_assert_cmpint (mdn_test_int (r, "refund_fen"), ==, refund);
  g_assert_cmpint (sum_tenders (r, NULL), ==, refund);
  points = complete ? s->points - s->taken : (s->total ? s->points * refund / s->total : 0);
  g_assert_cmpint (mdn_test_int (r, "points_taken"), ==, points);
  g_assert_cmpint (json_object_get_boolean_member (r, "complete"), ==, complete);
  s->refunded += refund;
  s->taken += points;
  if (s->member >= 0)
    {
      Member *mb = &w->members[s->member];

      mb->balance += sum_tenders (r, "balance");
      mb->points -= points;
      g_assert_cmpint (mdn_test_int (r, "balance_fen"), ==, mb->balance);
      g_assert_cmpint (mdn_test_int (r, "points"), ==, mb->points);
    }
  for (guint i = 0; s->by_lines && i < s->n_lines; i++)
    {
      SaleLine *l = &s->lines[i];
      Prod *p = &prods[l->prod];

      l->back += want[i];
      if (g_str_equal (p->kind, "goods"))
        w->stock[l->prod] += want[i];
      else if (g_str_equal (p->kind, "package"))
        w->members[s->member].uses[p->service] -= want[i] * p->count;
    }
}

static void
do_redeem (World *w)
{
  int m = (int) rnd (w, 0, N_MEMBERS - 1);
  Member *mb = &w->members[m];
  gint64 points = rnd (w, 1, MAX (mb->points, 0) + 20);
  g_autoptr(JsonObject) r = NULL;

  r = attempt (w, w->cashier, OP_REDEEM,
               !usable (w, m) ? "card_lost|card_expired" : points > mb->points ? "insufficient_points" : "-",
               !usable (w, m) || points > mb->points,
               "{\"op\":\"points.redeem\",\"card\":\"%s\",\"points\":%" G_GINT64_FORMAT ",\"gift\":\"礼品\"}",
               mb->card, points);
  if (r)
    {
      mb->points -= points;
      g_assert_cmpint (mdn_test_int (r, "points"), ==, mb->points);
    }
}

static void
do_adjust (World *w)
{
  int m = (int) rnd (w, 0, N_MEMBERS - 1);
  Member *mb = &w->members[m];
  gint64 delta = rnd (w, -60, 59);
  g_autoptr(JsonObject) r = NULL;

  if (delta >= 0)
    delta++;
  r = attempt (w, w->manager, OP_ADJUST, delta < 0 && mb->points + delta < 0 ? "insufficient_points" : "-",
               delta < 0 && mb->points + delta < 0,
               "{\"op\":\"points.adjust\",\"card\":\"%s\",\"delta\":%" G_GINT64_FORMAT ",\"reason\":\"随机调整\"}",
               mb->card, delta);
  if (r)
    {
      mb->points += delta;
      g_assert_cmpint (mdn_test_int (r, "points"), ==, mb->points);
    }
}

/* At most one card is lost at a time: report one, or find the lost one. */
static void
do_lose (World *w)
{
  int m = (int) rnd (w, 0, N_MEMBERS - 1);
  g_autoptr(JsonObject) r = NULL;

  for (int i = 0; i < N_MEMBERS; i++)
    if (w->members[i].lost)
      m = i;
  if (w->members[m].lost)
    r = attempt (w, w->b->admin, OP_LOSE, "-", FALSE, "{\"op\":\"member.unlock\",\"card\":\"%s\"}",
                 w->members[m].card);
  else
    r = attempt (w, w->cashier, OP_LOSE, "-", FALSE, "{\"op\":\"member.lose\",\"card\":\"%s\"}",
                 w->members[m].card);
  w->members[m].lost = !w->members[m].lost;
}

static void
do_price (World *w)
{
  int p = (int) rnd (w, 0, 3);
  g_autoptr(JsonObject) r = NULL;

  prods[p].price = rnd (w, 1, 5000);
  r = attempt (w, w->manager, OP_PRICE, "-", FALSE,
               "{\"op\":\"product.upsert\",\"sku\":\"%s\",\"name\":\"%s\",\"kind\":\"goods\","
               "\"price_fen\":%" G_GINT64_FORMAT ",\"no_discount\":%s}",
               prods[p].sku, prods[p].sku, prods[p].price, prods[p].no_discount ? "true" : "false");
}

static void
setup (World *w)
{
  const char *fixed[] = {
    "{\"op\":\"level.upsert\",\"code\":\"silver\",\"name\":\"Silver\",\"price_percent\":90,\"points_per_yuan\":1}",
    "{\"op\":\"level.upsert\",\"code\":\"gold\",\"name\":\"Gold\",\"price_percent\":88,\"points_per_yuan\":2}",
    "{\"op\":\"level.upsert\",\"code\":\"vip\",\"name\":\"VIP\",\"price_percent\":75,\"points_per_yuan\":3}",
    "{\"op\":\"deposit_rule.upsert\",\"min_fen\":10000,\"bonus_fen\":1500}",
    "{\"op\":\"deposit_rule.upsert\",\"min_fen\":20000,\"bonus_fen\":4000}",
    "{\"op\":\"plan.upsert\",\"code\":\"BIL\",\"name\":\"台球\",\"unit_minutes\":30,\"unit_price_fen\":1500,"
    "\"free_minutes\":5,\"min_minutes\":60,\"cap_fen\":10000}",
    "{\"op\":\"plan.upsert\",\"code\":\"HOUR\",\"name\":\"包间\",\"unit_minutes\":60,\"unit_price_fen\":2000}",
  };

  for (guint i = 0; i < G_N_ELEMENTS (fixed); i++)
    json_object_unref (mdn_test_ok (w->b->admin, "%s", fixed[i]));
  for (guint i = 0; i < G_N_ELEMENTS (prods); i++)
    {
      Prod *p = &prods[i];
      g_autofree char *extra = p->service >= 0
        ? g_strdup_printf (",\"package_sku\":\"%s\",\"package_count\":%" G_GINT64_FORMAT "%s",
                           services[p->service], p->count, p->service == 0 ? ",\"package_days\":60" : "")
        : g_strdup ("");

      json_object_unref (mdn_test_ok (w->b->admin, "{\"op\":\"product.upsert\",\"sku\":\"%s\",\"name\":\"%s\","
                                      "\"kind\":\"%s\",\"price_fen\":%" G_GINT64_FORMAT ",\"no_discount\":%s%s}",
                                      p->sku, p->sku, p->kind, p->price, p->no_discount ? "true" : "false", extra));
    }
  for (guint i = 0; i < G_N_ELEMENTS (resources); i++)
    json_object_unref (mdn_test_ok (w->b->admin, "{\"op\":\"resource.upsert\",\"code\":\"%s\",\"name\":\"%s\","
                                    "\"plan\":\"%s\"}", resources[i], resources[i], i < 2 ? "BIL" : "HOUR"));
  for (int m = 0; m < N_MEMBERS; m++)
    {
      Member *mb = &w->members[m];
      g_autoptr(JsonObject) r = NULL;

      mb->level = m % G_N_ELEMENTS (levels);
      mb->pin = m < 2;
      mb->expires_on = m >= N_MEMBERS - 2 ? "2026-11-25" : NULL;
      r = mdn_test_ok (w->b->admin, "{\"op\":\"member.issue\",\"name\":\"M%d\",\"phone\":\"1390000%04d\","
                       "\"level\":\"%s\"%s%s%s}", m, m, levels[mb->level].code,
                       mb->pin ? ",\"pin\":\"" PIN "\"" : "",
                       mb->expires_on ? ",\"expires_on\":\"" : "", mb->expires_on ? "2026-11-25\"" : "");
      mb->card = g_strdup (mdn_test_str (r, "card_no"));
    }
}

static void
check_model (World *w)
{
  for (int m = 0; m < N_MEMBERS; m++)
    {
      Member *mb = &w->members[m];
      g_autoptr(JsonObject) show = mdn_test_ok (w->b->admin, "{\"op\":\"member.show\",\"card\":\"%s\"}", mb->card);
      g_autofree char *sql = NULL;

      g_assert_cmpint (mdn_test_int (show, "balance_fen"), ==, mb->balance);
      g_assert_cmpint (mdn_test_int (show, "points"), ==, mb->points);
      g_assert_cmpint (mdn_test_int (show, "principal_fen"), >=, 0);
      g_assert_cmpint (mdn_test_int (show, "bonus_fen"), >=, 0);
      for (guint s = 0; s < G_N_ELEMENTS (services); s++)
        {
          sql = g_strdup_printf ("SELECT COALESCE (SUM (p.remaining), 0) FROM member_packages p "
                                 "JOIN members m ON m.id = p.member_id WHERE m.card_no = '%s' AND p.item = '%s'",
                                 mb->card, services[s]);
          g_assert_cmpint (mdn_test_count (w->b, sql), ==, mb->uses[s]);
          g_clear_pointer (&sql, g_free);
        }
    }
  for (guint p = 0; p < G_N_ELEMENTS (prods); p++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT COALESCE (SUM (qty), 0) FROM stock WHERE item = '%s'",
                                              prods[p].sku);

      g_assert_cmpint (mdn_test_count (w->b, sql), ==, w->stock[p]);
    }
}

static void
test_random (void)
{
  const char *seed_env = g_getenv ("MENDIAN_TEST_SEED");
  const char *ops_env = g_getenv ("MENDIAN_TEST_OPS");
  guint32 seed = seed_env ? (guint32) g_ascii_strtoull (seed_env, NULL, 10) : (guint32) g_test_rand_int ();
  int n_ops = ops_env ? atoi (ops_env) : 3000;
  static const int weights[N_OPS] = { 8, 26, 10, 9, 7, 8, 14, 5, 4, 2, 2 };
  World w = { 0 };

  g_printerr ("# random selling: MENDIAN_TEST_SEED=%u MENDIAN_TEST_OPS=%d\n", seed, n_ops);
  g_test_message ("MENDIAN_TEST_SEED=%u", seed);
  w.rand = g_rand_new_with_seed (seed);
  w.now = g_date_time_new_from_iso8601 ("2026-11-22T09:00:00+08:00", NULL);
  mdn_test_set_now ("2026-11-22T09:00:00+08:00");
  w.date = g_strdup ("2026-11-22");
  w.b = mdn_test_branch_new ("B01", 1);
  w.cashier = mdn_test_staff (w.b, "c1", "cashier");
  w.manager = mdn_test_staff (w.b, "m1", "manager");
  w.sales = g_ptr_array_new_with_free_func (sale_free);
  setup (&w);

  for (int i = 0; i < n_ops; i++)
    {
      int total = 0, pick, op = 0;

      tick (&w);
      for (int k = 0; k < N_OPS; k++)
        total += weights[k];
      pick = (int) rnd (&w, 0, total - 1);
      while (pick >= weights[op])
        pick -= weights[op++];
      switch (op)
        {
        case OP_DEPOSIT: do_deposit (&w); break;
        case OP_SALE:    do_sale (&w); break;
        case OP_QUICK:   do_quick (&w); break;
        case OP_CONSUME: do_consume (&w); break;
        case OP_START:   do_start (&w); break;
        case OP_STOP:    do_stop (&w); break;
        case OP_RETURN:  do_return (&w); break;
        case OP_REDEEM:  do_redeem (&w); break;
        case OP_ADJUST:  do_adjust (&w); break;
        case OP_LOSE:    do_lose (&w); break;
        case OP_PRICE:   do_price (&w); break;
        default:         g_assert_not_reached ();
        }
    }

  for (int k = 0; k < N_OPS; k++)
    {
      g_test_message ("%-8s %4u tried, %4u done", op_names[k], w.tried[k], w.succeeded[k]);
      /* Every kind of operation got through often enough to mean something. */
      if (n_ops >= 1000 && k != OP_STOP && k != OP_START)
        g_assert_cmpuint (w.succeeded[k] * 4, >=, w.tried[k]);
    }
  check_model (&w);
  g_assert_cmpint (mdn_test_count (w.b, "SELECT count(*) FROM member_packages WHERE remaining < 0"), ==, 0);
  g_assert_cmpint (mdn_test_count (w.b, "SELECT count(*) FROM (SELECT branch, resource FROM timed_sessions "
                                   "WHERE stop_entry IS NULL GROUP BY branch, resource HAVING count(*) > 1)"), ==, 0);
  g_assert_cmpint (mdn_test_count (w.b, "SELECT count(*) FROM receipts r JOIN (SELECT sale_entry, SUM (refund_fen) s "
                                   "FROM sale_returns GROUP BY sale_entry) x ON x.sale_entry = r.entry_id "
                                   "WHERE x.s > r.total_fen"), ==, 0);
  /* A sale's money in equals its total; returns never pay more than came in. */
  g_assert_cmpint (mdn_test_count (w.b, "SELECT COALESCE (SUM (total_fen), 0) < 0 FROM receipts"), ==, 0);
  for (guint i = 0; i < w.sales->len; i++)
    {
      Sale *s = g_ptr_array_index (w.sales, i);
      g_autoptr(JsonObject) shown = mdn_test_ok (w.b->admin, "{\"op\":\"receipt.show\",\"entry_id\":\"%s\"}", s->entry_id);
      JsonArray *tenders = json_object_get_array_member (shown, "tenders");
      gint64 refunded = 0;

      for (guint t = 0; t < json_array_get_length (tenders); t++)
        {
          JsonObject *o = json_array_get_object_element (tenders, t);

          g_assert_cmpint (json_object_get_int_member (o, "refunded_fen"), <=, json_object_get_int_member (o, "amount_fen"));
          refunded += json_object_get_int_member (o, "refunded_fen");
        }
      g_assert_cmpint (refunded, ==, s->refunded);
      g_assert_cmpint (mdn_test_int (shown, "refunded_fen"), ==, s->refunded);
      g_assert_cmpint (mdn_test_int (shown, "points_taken"), ==, s->taken);
    }
  g_assert_cmpuint (mdn_test_verify (w.b), ==, 0);

  /* And the command a branch runs says so too. */
  if (g_getenv ("MENDIAN_CLI"))
    {
      const char *argv[] = { g_getenv ("MENDIAN_CLI"), "--db", w.b->path, "verify", NULL };
      g_autofree char *out = NULL;
      g_autoptr(GError) error = NULL;
      int status = -1;

      g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, NULL, &status, &error);
      g_assert_no_error (error);
      g_assert_true (g_spawn_check_wait_status (status, NULL));
      g_assert_cmpstr (out, ==, "verify: ok\n");
    }

  mdn_test_set_now (NULL);
  g_ptr_array_unref (w.sales);
  for (int m = 0; m < N_MEMBERS; m++)
    g_free (w.members[m].card);
  for (guint i = 0; i < G_N_ELEMENTS (resources); i++)
    g_free (w.open[i].id);
  mdn_op_ctx_free (w.cashier);
  mdn_op_ctx_free (w.manager);
  mdn_test_branch_free (w.b);
  g_date_time_unref (w.now);
  g_free (w.date);
  g_rand_free (w.rand);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  mdn_branch_init ();
  g_test_add_func ("/random/selling", test_random);
  return g_test_run ();
}
