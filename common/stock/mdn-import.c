/* mdn-import.c: the product import (商品导入): a CSV file from Excel, UTF-8
 * or GB18030, its header by Chinese or English column names, read by
 * mdn-csv; every row checked as product.upsert checks a product, and the
 * file refused whole when any row is bad, each bad row named by its line.
 * A good file becomes one product.upsert entry per row in one transaction:
 * master data, which reaches the chain when the HQ terminal imports it.
 * Also the template file (product.import_template). */
#define G_LOG_DOMAIN "mdn-import"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-catalog.h"
#include "mdn-csv.h"
#include "mdn-error.h"
#include "mdn-import.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-money.h"
#include "mdn-op.h"

/* The largest file accepted: 16 MB of CSV (some 100,000 products). */
#define IMPORT_MAX_BYTES (16 * 1024 * 1024)
#define IMPORT_MAX_ERRORS 200

static const char *const sku_names[] = { "货号", "sku", "商品编号", "编号", NULL };
static const char *const name_names[] = { "名称", "name", "商品名称", "品名", NULL };
static const char *const price_names[] = { "售价", "price", "零售价", "价格", NULL };
static const char *const category_names[] = { "分类", "category", "类别", NULL };
static const char *const barcode_names[] = { "条码", "barcode", "条形码", NULL };
static const char *const kind_names[] = { "类型", "kind", NULL };
static const char *const cost_names[] = { "进价", "cost", "成本", NULL };

static const MdnCsvColumn columns[] = {
  { "sku",      sku_names,      TRUE },
  { "name",     name_names,     TRUE },
  { "price",    price_names,    TRUE },
  { "category", category_names, FALSE },
  { "barcode",  barcode_names,  FALSE },
  { "kind",     kind_names,     FALSE },
  { "cost",     cost_names,     FALSE },
  { NULL }
};

/* 类型 in words people write: goods / 商品, service / 服务. */
static const char *
kind_of (const char *text)
{
  static const struct { const char *word, *kind; } words[] = {
    { "goods", "goods" }, { "商品", "goods" }, { "实物", "goods" },
    { "service", "service" }, { "服务", "service" }, { "项目", "service" },
  };

  if (text == NULL)
    return "goods";
  for (guint i = 0; i < G_N_ELEMENTS (words); i++)
    if (g_ascii_strcasecmp (text, words[i].word) == 0)
      return words[i].kind;
  return NULL;
}

/* The product.upsert arguments of row @i: the cells given, and for a
 * product that exists what the file has no cell for (a blank cell keeps
 * what the product has). */
static JsonObject *
row_args (MdnDb       *db,
          MdnCsvTable *t,
          guint        i,
          GError     **error)
{
  g_autoptr(JsonObject) args = json_object_new ();
  const char *sku = mdn_csv_get (t, i, "sku");
  const char *kind_text = mdn_csv_get (t, i, "kind");
  const char *kind = kind_of (kind_text);
  g_autoptr(MdnProduct) old = NULL;
  const char *cell;

  if (sku == NULL)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("the SKU (货号) is empty"));
      return NULL;
    }
  if (kind == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("the kind (类型) “%s” is not goods (商品) or service (服务); packages are set up one by one"),
                   kind_text);
      return NULL;
    }
  old = mdn_product_load (db, sku, NULL);
  if (old && g_str_equal (old->kind, "package"))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("%s is a package, which the import doesn't change"), sku);
      return NULL;
    }
  json_object_set_string_member (args, "sku", sku);
  json_object_set_string_member (args, "kind", kind_text ? kind : old ? old->kind : "goods");
  if ((cell = mdn_csv_get (t, i, "name")) || old)
    json_object_set_string_member (args, "name", cell ? cell : old->name);
  if ((cell = mdn_csv_get (t, i, "price")))
    json_object_set_string_member (args, "price", cell);
  else if (old)
    json_object_set_int_member (args, "price_fen", old->price_fen);
  if ((cell = mdn_csv_get (t, i, "category")) || (old && old->category))
    json_object_set_string_member (args, "category", cell ? cell : old->category);
  if ((cell = mdn_csv_get (t, i, "barcode")) || (old && old->barcode))
    json_object_set_string_member (args, "barcode", cell ? cell : old->barcode);
  if ((cell = mdn_csv_get (t, i, "cost")))
    json_object_set_string_member (args, "cost", cell);
  else if (old && old->cost_fen >= 0)
    json_object_set_int_member (args, "cost_fen", old->cost_fen);
  if (old)
    {
      json_object_set_boolean_member (args, "no_discount", old->no_discount);
      json_object_set_boolean_member (args, "active", old->active);
    }
  if (!json_object_has_member (args, "name"))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("the name (名称) is empty"));
      return NULL;
    }
  if (!json_object_has_member (args, "price") && !json_object_has_member (args, "price_fen"))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("the price (售价) is empty"));
      return NULL;
    }
  return g_steal_pointer (&args);
}

static void
add_error (JsonArray  *errors,
           GString    *message,
           guint       line,
           const char *reason)
{
  JsonObject *o = json_object_new ();

  json_object_set_int_member (o, "line", line);
  json_object_set_string_member (o, "reason", reason);
  json_array_add_object_element (errors, o);
  if (json_array_get_length (errors) <= 20)
    {
      if (message->len > 0)
        g_string_append (message, "; ");
      g_string_append_printf (message, _("line %u: %s"), line, reason);
    }
}

/* {data_base64, preview?} → {encoding, rows:[…], errors:[{line, reason}],
 * imported}. */
static gboolean
op_product_import (MdnOpCtx   *ctx,
                   JsonObject *args,
                   JsonObject *result,
                   GError    **error)
{
  const char *b64 = NULL;
  gboolean preview = FALSE;
  g_autofree guchar *data = NULL;
  gsize len = 0;
  g_autoptr(MdnCsvTable) t = NULL;
  g_autoptr(GError) read_error = NULL;
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_entry_free);
  g_autoptr(GHashTable) codes = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GString) message = g_string_new (NULL);
  JsonArray *rows, *errors;
  gint64 created = 0;

  if (!mdn_args_string (args, "data_base64", TRUE, &b64, error) || !mdn_args_bool (args, "preview", &preview, error))
    return FALSE;
  if (strlen (b64) > (IMPORT_MAX_BYTES / 3 + 1) * 4)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("The file is larger than %d MB"),
                   IMPORT_MAX_BYTES / (1024 * 1024));
      return FALSE;
    }
  data = g_base64_decode (b64, &len);
  if ((t = mdn_csv_read ((const char *) data, len, columns, &read_error)) == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_IMPORT_REFUSED, _("The file can't be imported: %s"),
                   read_error->message);
      return FALSE;
    }
  if (mdn_csv_n_rows (t) == 0)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_IMPORT_REFUSED, _("The file has no products under its header"));
      return FALSE;
    }

  rows = json_array_new ();
  errors = json_array_new ();
  json_object_set_string_member (result, "encoding", mdn_csv_encoding (t));
  json_object_set_array_member (result, "rows", rows);
  json_object_set_array_member (result, "errors", errors);
  for (guint i = 0; i < mdn_csv_n_rows (t); i++)
    {
      g_autoptr(GError) row_error = NULL;
      g_autoptr(JsonObject) row = row_args (ctx->db, t, i, &row_error);
      g_autoptr(MdnEntry) entry = NULL;
      guint line = mdn_csv_line (t, i);
      const char *sku, *barcode;
      gboolean exists;

      if (row == NULL || (entry = mdn_product_entry_new (ctx->db, row, &row_error)) == NULL)
        {
          if (json_array_get_length (errors) < IMPORT_MAX_ERRORS)
            add_error (errors, message, line, row_error->message);
          continue;
        }
      /* Two rows of one file that answer to the same code. */
      sku = mdn_body_string (entry->body, "sku");
      barcode = mdn_body_string (entry->body, "barcode");
      if (g_hash_table_contains (codes, sku) || (barcode && g_hash_table_contains (codes, barcode)))
        {
          g_autofree char *reason = NULL;
          const char *code = g_hash_table_contains (codes, sku) ? sku : barcode;

          reason = g_strdup_printf (_("the code %s is also on line %u"), code,
                                    GPOINTER_TO_UINT (g_hash_table_lookup (codes, code)));
          add_error (errors, message, line, reason);
          continue;
        }
      g_hash_table_insert (codes, g_strdup (sku), GUINT_TO_POINTER (line));
      if (barcode && !g_str_equal (barcode, sku))
        g_hash_table_insert (codes, g_strdup (barcode), GUINT_TO_POINTER (line));

      {
        g_autoptr(MdnProduct) p = mdn_product_load (ctx->db, sku, NULL);
        JsonObject *o = json_object_new ();

        exists = p != NULL;
        json_object_set_int_member (o, "line", line);
        json_object_set_string_member (o, "sku", sku);
        json_object_set_string_member (o, "name", mdn_body_string (entry->body, "name"));
        json_object_set_string_member (o, "kind", mdn_body_string (entry->body, "kind"));
        json_object_set_int_member (o, "price_fen", mdn_body_int (entry->body, "price_fen", 0));
        mdn_json_set_opt_string (o, "category", mdn_body_string (entry->body, "category"));
        mdn_json_set_opt_string (o, "barcode", barcode);
        if (json_object_has_member (entry->body, "cost_fen"))
          json_object_set_int_member (o, "cost_fen", mdn_body_int (entry->body, "cost_fen", 0));
        else
          json_object_set_null_member (o, "cost_fen");
        json_object_set_boolean_member (o, "new", !exists);
        json_array_add_object_element (rows, o);
        created += !exists;
      }
      g_ptr_array_add (entries, g_steal_pointer (&entry));
    }
  json_object_set_int_member (result, "created", created);
  json_object_set_int_member (result, "updated", (gint64) entries->len - created);
  if (preview)
    {
      json_object_set_int_member (result, "imported", 0);
      return TRUE;
    }
  if (json_array_get_length (errors) > 0)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_IMPORT_REFUSED,
                   _("Nothing was imported: wrong rows: %u (%s)"),
                   json_array_get_length (errors), message->str);
      return FALSE;
    }
  for (guint i = 0; i < entries->len; i++)
    if (!mdn_ops_append_entry (ctx, g_ptr_array_index (entries, i), result, error))
      return FALSE;
  json_object_remove_member (result, "entry_id");
  json_object_set_int_member (result, "imported", entries->len);
  return TRUE;
}

/* The template: the header in Chinese and an example row, UTF-8 with a
 * byte-order mark (Excel opens it as UTF-8). */
static gboolean
op_product_import_template (MdnOpCtx   *ctx,
                            JsonObject *args,
                            JsonObject *result,
                            GError    **error)
{
  static const char *const header[] = { "货号", "名称", "售价", "分类", "条码", "类型", "进价", NULL };
  static const char *const example[] = { "TEA001", "绿茶 500ml", "3.50", "饮品/茶", "6901234567890", "商品", "2.10", NULL };
  g_autoptr(GString) out = g_string_new ("\xef\xbb\xbf");

  mdn_csv_append_row (out, header);
  mdn_csv_append_row (out, example);
  json_object_set_string_member (result, "csv", out->str);
  json_object_set_string_member (result, "file_name", "products-template.csv");
  return TRUE;
}

const MdnOpDef mdn_import_ops[] = {
  { "product.import",          MDN_ROLE_MANAGER, MDN_OP_WRITE | MDN_OP_HQ, op_product_import },
  { "product.import_template", MDN_ROLE_MANAGER, MDN_OP_READ,              op_product_import_template },
  { NULL }
};
