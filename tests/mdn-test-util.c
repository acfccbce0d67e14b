/* mdn-test-util.c */
#include <glib/gstdio.h>
#include <stdarg.h>
#include <string.h>

#include "mdn-db.h"
#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-staff.h"
#include "mdn-test-util.h"
#include "mdn-sync.h"

void
mdn_test_set_now (const char *iso)
{
  if (iso)
    g_setenv ("MENDIAN_NOW", iso, TRUE);
  else
    g_unsetenv ("MENDIAN_NOW");
}

MdnTestBranch *
mdn_test_branch_new (const char *code,
                     int         number)
{
  return mdn_test_branch_new_full (code, number, FALSE);
}

MdnTestBranch *
mdn_test_branch_new_full (const char *code,
                          int         number,
                          gboolean    hq)
{
  MdnTestBranch *b = g_new0 (MdnTestBranch, 1);
  g_autoptr(GError) error = NULL;
  MdnStoreInit init = {
    .branch_code = code,
    .branch_name = code,
    .branch_number = number,
    .hq = hq,
    .admin_password = MDN_TEST_PASSWORD,
    .chain_key_hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
  };

  b->dir = g_dir_make_tmp ("mendian-test-XXXXXX", &error);
  g_assert_no_error (error);
  b->path = g_build_filename (b->dir, "branch.db", NULL);
  mdn_branch_init ();
  b->store = mdn_store_init (b->path, &init, &error);
  g_assert_no_error (error);
  b->admin = mdn_op_ctx_new (b->store, "admin", MDN_TEST_PASSWORD, &error);
  g_assert_no_error (error);
  return b;
}

static void
rm_rf (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d && (name = g_dir_read_name (d)))
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);

      if (g_file_test (path, G_FILE_TEST_IS_DIR))
        rm_rf (path);
      else
        g_unlink (path);
    }
  g_rmdir (dir);
}

void
mdn_test_branch_free (MdnTestBranch *b)
{
  if (b == NULL)
    return;
  mdn_op_ctx_free (b->admin);
  mdn_store_free (b->store);
  if (g_getenv ("MENDIAN_KEEP_TEST_DB") == NULL)
    rm_rf (b->dir);
  g_free (b->path);
  g_free (b->dir);
  g_free (b);
}

MdnOpCtx *
mdn_test_staff (MdnTestBranch *b,
                const char    *code,
                const char    *role)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) r = NULL;
  MdnOpCtx *ctx;

  r = mdn_test_ok (b->admin, "{\"op\":\"staff.add\",\"code\":\"%s\",\"name\":\"%s\",\"role\":\"%s\",\"password\":\"%s\"}",
                   code, code, role, MDN_TEST_PASSWORD);
  ctx = mdn_op_ctx_new (b->store, code, MDN_TEST_PASSWORD, &error);
  g_assert_no_error (error);
  return ctx;
}

static JsonObject *
run_va (MdnOpCtx   *ctx,
        const char *format,
        va_list     ap)
{
  g_autofree char *line = g_strdup_vprintf (format, ap);

  return mdn_ops_run_line (ctx, line);
}

JsonObject *
mdn_test_ok (MdnOpCtx   *ctx,
             const char *format,
             ...)
{
  va_list ap;
  JsonObject *out;

  va_start (ap, format);
  out = run_va (ctx, format, ap);
  va_end (ap);
  if (!json_object_get_boolean_member (out, "ok"))
    {
      g_autofree char *text = mdn_json_object_to_string (out);
      g_error ("operation failed: %s", text);
    }
  return out;
}

gint64
mdn_test_count (MdnTestBranch *b,
                const char    *sql)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 n;

  g_assert_cmpint (sqlite3_prepare_v2 (mdn_db_handle (b->store->db), sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  return n;
}

void
mdn_test_fails (MdnOpCtx   *ctx,
                const char *code,
                const char *format,
                ...)
{
  va_list ap;
  g_autoptr(JsonObject) out = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 before, after;
  JsonObject *err;

  /* The branch's own entries: a refused operation at a linked branch may
     still have pulled other branches' entries (a return, a card change). */
  sqlite3_prepare_v2 (mdn_db_handle (ctx->db), "SELECT count(*) FROM entries WHERE branch = ?", -1, &stmt, NULL);
  sqlite3_bind_text (stmt, 1, ctx->store->branch_code, -1, SQLITE_TRANSIENT);
  sqlite3_step (stmt);
  before = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);

  va_start (ap, format);
  out = run_va (ctx, format, ap);
  va_end (ap);
  if (json_object_get_boolean_member (out, "ok"))
    {
      g_autofree char *text = mdn_json_object_to_string (out);
      g_error ("expected %s, operation succeeded: %s", code, text);
    }
  err = json_object_get_object_member (out, "error");
  g_assert_cmpstr (json_object_get_string_member (err, "code"), ==, code);
  g_assert_cmpstr (json_object_get_string_member (err, "message"), !=, "");

  sqlite3_step (stmt);
  after = sqlite3_column_int64 (stmt, 0);
  g_assert_cmpint (before, ==, after);
}

gint64
mdn_test_int (JsonObject *o,
              const char *member)
{
  g_assert_true (json_object_has_member (o, member));
  return json_object_get_int_member (o, member);
}

const char *
mdn_test_str (JsonObject *o,
              const char *member)
{
  g_assert_true (json_object_has_member (o, member));
  return json_object_get_string_member (o, member);
}

static void
print_mismatch (const char *what, const char *expected, const char *found, gpointer user_data)
{
  g_test_message ("mismatch %s: expected %s, found %s", what, expected, found);
}

guint
mdn_test_verify (MdnTestBranch *b)
{
  g_autoptr(GError) error = NULL;
  guint n = 0;

  g_assert_true (mdn_ledger_verify (b->store, print_mismatch, NULL, &n, &error));
  g_assert_no_error (error);
  return n;
}

/* Projections as text ------------------------------------------------------------------ */

static const char *const local_tables[] = {
  "meta", "counters", "staff", "oplog", "entries", "movements", "reminder_done", NULL,
};

char *
mdn_test_dump (MdnDb             *db,
               const char *const *tables)
{
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
  GString *out = g_string_new (NULL);
  sqlite3 *h = mdn_db_handle (db);

  if (tables == NULL)
    {
      g_autoptr(sqlite3_stmt) stmt = NULL;

      g_assert_cmpint (sqlite3_prepare_v2 (h, "SELECT name FROM sqlite_schema WHERE type = 'table' "
                                              "AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'srv_%' "
                                              "ORDER BY name", -1, &stmt, NULL), ==, SQLITE_OK);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          const char *name = (const char *) sqlite3_column_text (stmt, 0);

          if (!g_strv_contains (local_tables, name))
            g_ptr_array_add (names, g_strdup (name));
        }
    }
  else
    for (const char *const *t = tables; *t; t++)
      g_ptr_array_add (names, g_strdup (*t));

  for (guint i = 0; i < names->len; i++)
    {
      g_autoptr(sqlite3_stmt) stmt = NULL;
      g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (g_free);
      /* Table names come from the schema or the test, never from input. */
      g_autofree char *sql = g_strdup_printf ("SELECT * FROM \"%s\"", (char *) g_ptr_array_index (names, i));

      g_assert_cmpint (sqlite3_prepare_v2 (h, sql, -1, &stmt, NULL), ==, SQLITE_OK);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          GString *row = g_string_new (NULL);

          for (int c = 0; c < sqlite3_column_count (stmt); c++)
            {
              const char *v = (const char *) sqlite3_column_text (stmt, c);

              g_string_append_printf (row, "%s%s=%s", c ? " | " : "", sqlite3_column_name (stmt, c),
                                      v ? v : "NULL");
            }
          g_ptr_array_add (rows, g_string_free (row, FALSE));
        }
      g_ptr_array_sort (rows, (GCompareFunc) mdn_test_compare_strings);
      g_string_append_printf (out, "[%s]\n", (char *) g_ptr_array_index (names, i));
      for (guint r = 0; r < rows->len; r++)
        g_string_append_printf (out, "%s\n", (char *) g_ptr_array_index (rows, r));
    }
  return g_string_free (out, FALSE);
}

int
mdn_test_compare_strings (gconstpointer a,
                          gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}
