/* Money: parsing, formatting, rounding, overflow. */
#include "mdn-error.h"
#include "mdn-money.h"

static void
test_parse_ok (void)
{
  static const struct { const char *text; gint64 fen; } cases[] = {
    { "0", 0 }, { "1", 100 }, { "1234.5", 123450 }, { "1234.50", 123450 },
    { "1,234.50", 123450 }, { "-0.01", -1 }, { "+3", 300 }, { ".5", 50 },
    { " 12.34 ", 1234 }, { "1,000,000", 100000000 }, { "¥12", 1200 }, { "0.07", 7 },
    { "10000000000000", 1000000000000000 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 fen = -999;

      g_assert_true (mdn_money_parse (cases[i].text, &fen, &error));
      g_assert_no_error (error);
      g_assert_cmpint (fen, ==, cases[i].fen);
    }
}

static void
test_parse_malformed (void)
{
  static const char *const bad[] = {
    "", " ", "abc", "1.234", "1,23", "12,34.5", ",123", "1..2", "1.2.3", "--1", "1e3",
    "12.5x", "0x10", "1 000", "1,2345", ".", "-", "1,000,00",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 fen = 42;

      g_assert_false (mdn_money_parse (bad[i], &fen, &error));
      g_assert_error (error, MDN_ERROR, MDN_ERROR_MALFORMED_MONEY);
      g_assert_cmpint (fen, ==, 42);
    }
}

static void
test_parse_overflow (void)
{
  static const char *const big[] = {
    "10000000000000.01", "99999999999999999999", "92233720368547758.08", "-10000000000001",
  };

  for (guint i = 0; i < G_N_ELEMENTS (big); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 fen = 42;

      g_assert_false (mdn_money_parse (big[i], &fen, &error));
      g_assert_error (error, MDN_ERROR, MDN_ERROR_MONEY_OVERFLOW);
    }
}

static void
test_format (void)
{
  static const struct { gint64 fen; const char *grouped; const char *plain; } cases[] = {
    { 0, "0.00", "0.00" }, { 1, "0.01", "0.01" }, { -1, "-0.01", "-0.01" },
    { 123450, "1,234.50", "1234.50" }, { 100000000, "1,000,000.00", "1000000.00" },
    { -123456789, "-1,234,567.89", "-1234567.89" }, { 99999, "999.99", "999.99" },
    { G_MININT64, "-92,233,720,368,547,758.08", "-92233720368547758.08" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *g = mdn_money_format (cases[i].fen);
      g_autofree char *p = mdn_money_format_plain (cases[i].fen);

      g_assert_cmpstr (g, ==, cases[i].grouped);
      g_assert_cmpstr (p, ==, cases[i].plain);
    }
}

static void
test_round_trip (void)
{
  for (gint64 fen = -100000; fen <= 100000; fen += 37)
    {
      g_autofree char *text = mdn_money_format (fen);
      gint64 back = 0;

      g_assert_true (mdn_money_parse (text, &back, NULL));
      g_assert_cmpint (back, ==, fen);
    }
}

static void
test_percent_half_up (void)
{
  static const struct { gint64 fen, percent, expect; } cases[] = {
    { 1000, 90, 900 }, { 1, 50, 1 }, { 3, 50, 2 }, { 5, 90, 5 }, { 15, 90, 14 },
    { 999, 85, 849 }, { 105, 10, 11 }, { 104, 10, 10 }, { -15, 90, -14 }, { 2599, 88, 2287 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      gint64 out = 0;

      g_assert_true (mdn_money_percent (cases[i].fen, cases[i].percent, &out, NULL));
      g_assert_cmpint (out, ==, cases[i].expect);
    }
  g_assert_cmpint (mdn_div_ceil (61, 30), ==, 3);
  g_assert_cmpint (mdn_div_ceil (60, 30), ==, 2);
  g_assert_cmpint (mdn_div_ceil (0, 30), ==, 0);
}

static void
test_arithmetic_overflow (void)
{
  g_autoptr(GError) error = NULL;
  gint64 out = 7;

  g_assert_false (mdn_money_add (MDN_MONEY_MAX, 1, &out, &error));
  g_assert_error (error, MDN_ERROR, MDN_ERROR_MONEY_OVERFLOW);
  g_clear_error (&error);
  g_assert_false (mdn_money_mul (G_MAXINT64 / 2, 3, &out, &error));
  g_assert_error (error, MDN_ERROR, MDN_ERROR_MONEY_OVERFLOW);
  g_clear_error (&error);
  g_assert_false (mdn_money_percent (G_MAXINT64, 90, &out, &error));
  g_assert_error (error, MDN_ERROR, MDN_ERROR_MONEY_OVERFLOW);
  g_assert_cmpint (out, ==, 7);
  g_clear_error (&error);
  g_assert_false (mdn_money_check_amount (0, FALSE, &error));
  g_assert_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  g_assert_false (mdn_money_check_amount (-5, TRUE, &error));
  g_assert_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT);
  g_assert_true (mdn_money_check_amount (0, TRUE, NULL));
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/money/parse/ok", test_parse_ok);
  g_test_add_func ("/money/parse/malformed", test_parse_malformed);
  g_test_add_func ("/money/parse/overflow", test_parse_overflow);
  g_test_add_func ("/money/format", test_format);
  g_test_add_func ("/money/round-trip", test_round_trip);
  g_test_add_func ("/money/percent-half-up", test_percent_half_up);
  g_test_add_func ("/money/overflow", test_arithmetic_overflow);
  return g_test_run ();
}
