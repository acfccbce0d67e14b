/* test-csv.c: CSV import (common/base/mdn-csv.c): encodings, the header by
 * name, line numbers of rows (quoted line breaks, blank and CRLF lines),
 * refusals that name their lines, and the writer read back. */
#include <glib.h>
#include <string.h>

#include "mdn-csv.h"
#include "mdn-error.h"

static const char *const sku_names[] = { "sku", "货号", NULL };
static const char *const name_names[] = { "name", "名称", NULL };
static const char *const price_names[] = { "price", "售价", NULL };
static const char *const note_names[] = { "note", "备注", NULL };

static const MdnCsvColumn columns[] = {
  { "sku", sku_names, TRUE },
  { "name", name_names, TRUE },
  { "price", price_names, FALSE },
  { "note", note_names, FALSE },
  { NULL }
};

static MdnCsvTable *
read_ok (const char *text,
         gssize      len)
{
  g_autoptr(GError) error = NULL;
  MdnCsvTable *t = mdn_csv_read (text, len < 0 ? strlen (text) : (gsize) len, columns, &error);

  g_assert_no_error (error);
  g_assert_nonnull (t);
  return t;
}

static char *
read_fails (const char *text)
{
  g_autoptr(GError) error = NULL;
  MdnCsvTable *t = mdn_csv_read (text, strlen (text), columns, &error);

  g_assert_null (t);
  g_assert_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT);
  return g_strdup (error->message);
}

static void
test_utf8 (void)
{
  /* BOM, Chinese headers in another order, CRLF, a blank line, a quoted
     cell with a comma and one with a line break. */
  g_autoptr(MdnCsvTable) t =
    read_ok ("\xEF\xBB\xBF" "名称, 货号 ,SALE\r\n"
             "洗发水,A001,x\r\n"
             "\r\n"
             "\"护发素, 大瓶\",A002,\r\n"
             "\"两行\n的名字\",A003,\r\n"
             "最后,A004", -1);

  g_assert_cmpstr (mdn_csv_encoding (t), ==, "UTF-8");
  g_assert_cmpuint (mdn_csv_n_rows (t), ==, 4);
  g_assert_cmpstr (mdn_csv_get (t, 0, "sku"), ==, "A001");
  g_assert_cmpstr (mdn_csv_get (t, 0, "name"), ==, "洗发水");
  g_assert_null (mdn_csv_get (t, 0, "price"));   /* no such column */
  g_assert_cmpuint (mdn_csv_line (t, 0), ==, 2);
  g_assert_cmpstr (mdn_csv_get (t, 1, "name"), ==, "护发素, 大瓶");
  g_assert_cmpuint (mdn_csv_line (t, 1), ==, 4);
  g_assert_cmpstr (mdn_csv_get (t, 2, "name"), ==, "两行\n的名字");
  g_assert_cmpuint (mdn_csv_line (t, 2), ==, 5);
  g_assert_cmpuint (mdn_csv_line (t, 3), ==, 7);
  g_assert_cmpstr (mdn_csv_get (t, 3, "sku"), ==, "A004");
}

static void
test_gb18030 (void)
{
  const char *utf8 = "货号,名称,售价,备注\n" "B001,足疗,128.00,\n" "B002,\"精油 按摩\",298,热门\n";
  gsize len = 0;
  g_autofree char *gb = g_convert (utf8, -1, "GB18030", "UTF-8", NULL, &len, NULL);
  g_autoptr(MdnCsvTable) t = NULL;

  g_assert_nonnull (gb);
  g_assert_false (g_utf8_validate_len (gb, len, NULL));
  t = read_ok (gb, len);
  g_assert_cmpstr (mdn_csv_encoding (t), ==, "GB18030");
  g_assert_cmpuint (mdn_csv_n_rows (t), ==, 2);
  g_assert_cmpstr (mdn_csv_get (t, 0, "name"), ==, "足疗");
  g_assert_cmpstr (mdn_csv_get (t, 1, "name"), ==, "精油 按摩");
  g_assert_cmpstr (mdn_csv_get (t, 1, "price"), ==, "298");
  g_assert_cmpstr (mdn_csv_get (t, 1, "note"), ==, "热门");
  g_assert_null (mdn_csv_get (t, 0, "note"));
  g_assert_cmpuint (mdn_csv_line (t, 1), ==, 3);
}

static void
test_refusals (void)
{
  g_autofree char *missing = read_fails ("货号,价格\nA1,3\n");
  g_autofree char *twice = read_fails ("sku,货号,name\nA1,A1,x\n");
  g_autofree char *unclosed = read_fails ("sku,name\nA1,x\nA2,\"y\nA3,z\n");
  g_autofree char *extra = read_fails ("sku,name\nA1,x\nA2,y,z\nA3,w\nA4,v,,u\n");
  g_autofree char *empty = read_fails ("\n\n");
  g_autoptr(GError) error = NULL;
  g_autoptr(MdnCsvTable) t = NULL;

  g_assert_nonnull (strstr (missing, "name/名称"));
  g_assert_nonnull (strstr (missing, "1"));
  g_assert_nonnull (strstr (twice, "sku/货号"));
  g_assert_nonnull (strstr (unclosed, "3"));
  g_assert_nonnull (strstr (extra, "3"));
  g_assert_nonnull (strstr (extra, "5"));
  g_assert_null (strstr (extra, "4"));
  g_assert_nonnull (empty);
  /* Bytes that are no text in either encoding. */
  t = mdn_csv_read ("sku,name\n\xff\xff\xff,x\n", 15, columns, &error);
  g_assert_null (t);
  g_assert_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT);
  g_clear_error (&error);
  t = mdn_csv_read ("sku,name\n\0,x\n", 13, columns, &error);
  g_assert_null (t);
  g_assert_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT);
}

static void
test_writer (void)
{
  static const char *const header[] = { "货号", "名称", "备注", NULL };
  static const char *const row1[] = { "A1", "a, b", "say \"hi\"", NULL };
  static const char *const row2[] = { "A2", "two\nlines", " padded ", NULL };
  g_autoptr(GString) out = g_string_new (NULL);
  g_autoptr(MdnCsvTable) t = NULL;

  mdn_csv_append_row (out, header);
  mdn_csv_append_row (out, row1);
  mdn_csv_append_row (out, row2);
  g_assert_cmpstr (out->str, ==,
                   "货号,名称,备注\r\nA1,\"a, b\",\"say \"\"hi\"\"\"\r\nA2,\"two\nlines\",\" padded \"\r\n");
  t = read_ok (out->str, out->len);
  g_assert_cmpuint (mdn_csv_n_rows (t), ==, 2);
  g_assert_cmpstr (mdn_csv_get (t, 0, "name"), ==, "a, b");
  g_assert_cmpstr (mdn_csv_get (t, 0, "note"), ==, "say \"hi\"");
  g_assert_cmpstr (mdn_csv_get (t, 1, "name"), ==, "two\nlines");
  g_assert_cmpuint (mdn_csv_line (t, 1), ==, 3);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/csv/utf8", test_utf8);
  g_test_add_func ("/csv/gb18030", test_gb18030);
  g_test_add_func ("/csv/refusals", test_refusals);
  g_test_add_func ("/csv/writer", test_writer);
  return g_test_run ();
}
