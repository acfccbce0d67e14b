/* Ids: UUIDv7, Luhn card numbers, QR payloads, the clock. */
#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-id.h"
#include "mdn-members.h"
#include "mdn-test-util.h"
#include "mdn-sync.h"

static void
test_uuid7 (void)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  mdn_test_set_now ("2026-11-22T10:00:00+08:00");
  for (int i = 0; i < 2000; i++)
    {
      char *id = mdn_uuid7_new ();

      g_assert_true (g_uuid_string_is_valid (id));
      g_assert_cmpint (id[14], ==, '7');
      g_assert_true (strchr ("89ab", id[19]) != NULL);
      /* 2026-11-22T02:00:00Z in Unix milliseconds is 0x01a200fb5100 */
      g_assert_true (g_str_has_prefix (id, "01a200fb-5100-"));
      g_assert_false (g_hash_table_contains (seen, id));
      g_hash_table_add (seen, id);
    }
  mdn_test_set_now (NULL);
}

static void
test_card_numbers (void)
{
  g_autofree char *a = mdn_card_no_make (1, 1);
  g_autofree char *b = mdn_card_no_make (12, 3456789);

  g_assert_cmpstr (a, ==, "00100000017");
  g_assert_cmpint (strlen (b), ==, 11);
  g_assert_true (g_str_has_prefix (b, "0123456789"));
  g_assert_true (mdn_card_no_valid (a));
  g_assert_true (mdn_card_no_valid (b));
  /* Any single-digit change or adjacent swap is caught by Luhn. */
  for (int pos = 0; pos < 11; pos++)
    for (char d = '0'; d <= '9'; d++)
      {
        char t[12];

        memcpy (t, a, 12);
        if (t[pos] == d)
          continue;
        t[pos] = d;
        g_assert_false (mdn_card_no_valid (t));
      }
  g_assert_false (mdn_card_no_valid ("0010000001"));
  g_assert_false (mdn_card_no_valid ("0010000001x"));
  g_assert_cmpint (mdn_luhn_check_digit ("7992739871"), ==, 3);
}

static void
test_clock (void)
{
  g_autoptr(GDateTime) now = NULL;
  g_autofree char *date = NULL;
  g_autofree char *iso = NULL;

  mdn_test_set_now ("2026-11-22T23:30:00+00:00");
  now = mdn_clock_now ();
  iso = mdn_clock_format (now);
  g_assert_cmpstr (iso, ==, "2026-11-22T23:30:00.000+00:00");
  date = mdn_clock_business_date (now, "Asia/Shanghai");
  g_assert_cmpstr (date, ==, "2026-11-23");
  g_free (date);
  date = mdn_clock_business_date (now, "Europe/London");
  g_assert_cmpstr (date, ==, "2026-11-22");
  mdn_test_set_now (NULL);

  g_assert_true (mdn_date_valid ("2024-02-29"));
  g_assert_false (mdn_date_valid ("2023-02-29"));
  g_assert_false (mdn_date_valid ("2023-2-28"));
  g_assert_false (mdn_date_valid ("2023-13-01"));
  g_free (date);
  date = mdn_date_add_days ("2026-12-30", 3);
  g_assert_cmpstr (date, ==, "2027-01-02");
}

static void
test_qr (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(MdnTestBranch) other = mdn_test_branch_new ("B02", 2);
  g_autoptr(GError) error = NULL;
  g_autofree char *payload = mdn_qr_payload (b->store, "00100000017");
  g_autofree char *card = NULL;
  g_autofree char *tampered = NULL;

  card = mdn_qr_parse (b->store, payload, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (card, ==, "00100000017");

  /* Same chain key: another branch of the chain accepts it. */
  g_free (card);
  card = mdn_qr_parse (other->store, payload, &error);
  g_assert_no_error (error);

  /* Another card number under the same signature. */
  tampered = g_strdup (payload);
  tampered[strlen ("MDN1.0010000002")] = '5';
  g_assert_null (mdn_qr_parse (b->store, tampered, &error));
  g_assert_error (error, MDN_ERROR, MDN_ERROR_FORGED_QR);
  g_clear_error (&error);

  /* A different chain key. */
  g_assert_true (mdn_store_set_chain_key (other->store,
                 "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100", NULL));
  g_assert_null (mdn_qr_parse (other->store, payload, &error));
  g_assert_error (error, MDN_ERROR, MDN_ERROR_FORGED_QR);
  g_clear_error (&error);

  g_assert_null (mdn_qr_parse (b->store, "MDN1.00100000017", &error));
  g_assert_error (error, MDN_ERROR, MDN_ERROR_FORGED_QR);
}

static void
test_qr_png (void)
{
  g_autoptr(MdnTestBranch) b = mdn_test_branch_new ("B01", 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *payload = mdn_qr_payload (b->store, "00100000017");
  g_autofree char *path = g_build_filename (b->dir, "card.png", NULL);
  g_autofree char *data = NULL;
  gsize len = 0;

  g_assert_true (mdn_qr_write_png (payload, path, &error));
  g_assert_no_error (error);
  g_assert_true (g_file_get_contents (path, &data, &len, NULL));
  g_assert_cmpuint (len, >, 100);
  g_assert_cmpmem (data, 8, "\x89PNG\r\n\x1a\n", 8);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  mdn_branch_init ();
  g_test_add_func ("/ids/uuid7", test_uuid7);
  g_test_add_func ("/ids/card-number-luhn", test_card_numbers);
  g_test_add_func ("/ids/clock-business-date", test_clock);
  g_test_add_func ("/ids/qr/signature", test_qr);
  g_test_add_func ("/ids/qr/png", test_qr_png);
  return g_test_run ();
}
