/* mdn-catalog.c: products (master data) and looking them up at the counter. */
#define G_LOG_DOMAIN "mdn-catalog"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-money.h"
#include "mdn-op.h"
#include "mdn-catalog.h"

#define PRODUCT_COLUMNS "p.sku, p.name, p.kind, p.price_fen, p.category, p.barcode, p.no_discount, " \
                        "p.package_sku, p.package_count, p.package_days, p.active, COALESCE (p.cost_fen, -1)"

static const char *const kinds[] = { "goods", "service", "package", NULL };

void
mdn_product_free (MdnProduct *p)
{
  if (p == NULL)
    return;
  g_free (p->sku);
  g_free (p->name);
  g_free (p->kind);
  g_free (p->category);
  g_free (p->barcode);
  g_free (p->package_sku);
  g_free (p);
}

static MdnProduct *
product_from_row (sqlite3_stmt *stmt)
{
  MdnProduct *p = g_new0 (MdnProduct, 1);

  p->sku = g_strdup (mdn_db_col_text (stmt, 0));
  p->name = g_strdup (mdn_db_col_text (stmt, 1));
  p->kind = g_strdup (mdn_db_col_text (stmt, 2));
  p->price_fen = sqlite3_column_int64 (stmt, 3);
  p->category = g_strdup (mdn_db_col_text (stmt, 4));
  p->barcode = g_strdup (mdn_db_col_text (stmt, 5));
  p->no_discount = sqlite3_column_int (stmt, 6) != 0;
  p->package_sku = g_strdup (mdn_db_col_text (stmt, 7));
  p->package_count = sqlite3_column_int64 (stmt, 8);
  p->package_days = sqlite3_column_int64 (stmt, 9);
  p->active = sqlite3_column_int (stmt, 10) != 0;
  p->cost_fen = sqlite3_column_int64 (stmt, 11);
  return p;
}

static MdnProduct *
product_query (MdnDb      *db,
               const char *sql,
               const char *key,
               GError    **error)
{
  sqlite3_stmt *stmt = mdn_db_query (db, error, sql, "s", key);
  MdnProduct *p = NULL;
  int rc;

  if (stmt == NULL || (rc = mdn_db_step (db, stmt, error)) < 0)
    return NULL;
  if (rc == SQLITE_ROW)
    p = product_from_row (stmt);
  else
    g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_PRODUCT, _("There is no product “%s”"), key);
  sqlite3_reset (stmt);
  return p;
}

MdnProduct *
mdn_product_load (MdnDb      *db,
                  const char *sku,
                  GError    **error)
{
  g_return_val_if_fail (sku != NULL, NULL);
  return product_query (db, "SELECT " PRODUCT_COLUMNS " FROM products p WHERE p.sku = ?", sku, error);
}

/* By SKU, else by barcode (what a scanner types). */
MdnProduct *
mdn_product_find (MdnDb      *db,
                  const char *code,
                  GError    **error)
{
  g_autoptr(GError) local_error = NULL;
  MdnProduct *p;

  g_return_val_if_fail (code != NULL, NULL);

  p = mdn_product_load (db, code, &local_error);
  if (p != NULL || local_error->code != MDN_ERROR_UNKNOWN_PRODUCT)
    {
      if (p == NULL)
        g_propagate_error (error, g_steal_pointer (&local_error));
      return p;
    }
  return product_query (db, "SELECT " PRODUCT_COLUMNS " FROM products p WHERE p.barcode = ? LIMIT 1",
                        code, error);
}

/* Validation -------------------------------------------------------------------- */

static gboolean
invalid (GError    **error,
         const char *message)
{
  g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, message);
  return FALSE;
}

/* A code (SKU, barcode): 1 to 64 printable characters without spaces. */
static gboolean
valid_code (const char *what,
            const char *code,
            GError    **error)
{
  gsize len = strlen (code);
  gboolean ok = len >= 1 && len <= 64;

  for (const guchar *p = (const guchar *) code; *p && ok; p++)
    ok = *p > 0x20 && *p != 0x7f;
  if (!ok)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a valid %s: use 1 to 64 letters, digits or signs, without spaces"),
                   code, what);
      return FALSE;
    }
  return TRUE;
}

/* "饮品 / 茶/绿茶" → "饮品/茶/绿茶": one to three non-empty levels. */
static char *
normalize_category (const char *text,
                    GError    **error)
{
  g_auto(GStrv) parts = g_strsplit (text, "/", -1);
  guint n = g_strv_length (parts);

  for (guint i = 0; i < n; i++)
    {
      g_strstrip (parts[i]);
      if (*parts[i] == '\0' || g_utf8_strlen (parts[i], -1) > 32)
        n = 0;
    }
  if (n < 1 || n > 3)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a category: write up to three levels like 饮品/茶/绿茶"), text);
      return NULL;
    }
  return g_strjoinv ("/", parts);
}

/* Another product already answering to @code as SKU or barcode? */
static gboolean
check_code_free (MdnDb      *db,
                 const char *sku,
                 const char *code,
                 GError    **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = mdn_db_query (db, error,
                       "SELECT sku FROM products WHERE (sku = ?1 OR barcode = ?1) AND sku <> ?2 LIMIT 1",
                       "ss", code, sku);
  if (stmt == NULL || (rc = mdn_db_step (db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_DUPLICATE,
                   _("Product %s already uses the code %s"), mdn_db_col_text (stmt, 0), code);
      sqlite3_reset (stmt);
      return FALSE;
    }
  sqlite3_reset (stmt);
  return TRUE;
}

/* product.upsert ---------------------------------------------------------------- */

/* The product is replaced by what is sent: optional fields left out are
 * cleared, so send the whole product when changing one field. */
MdnEntry *
mdn_product_entry_new (MdnDb      *db,
                       JsonObject *args,
                       GError    **error)
{
  const char *sku = NULL, *name = NULL, *kind = NULL, *category = NULL, *barcode = NULL;
  const char *package_sku = NULL;
  gint64 price = 0, package_count = 0, package_days = 0, cost = -1;
  gboolean no_discount = FALSE, active = TRUE;
  g_autofree char *clean_sku = NULL;
  g_autofree char *clean_name = NULL;
  g_autofree char *clean_category = NULL;
  g_autofree char *clean_barcode = NULL;
  g_autoptr(MdnEntry) entry = NULL;
  JsonObject *body;

  if (!mdn_args_string (args, "sku", TRUE, &sku, error) ||
      !mdn_args_string (args, "name", TRUE, &name, error) ||
      !mdn_args_money (args, "price", TRUE, &price, error) ||
      !mdn_args_string (args, "kind", TRUE, &kind, error) ||
      !mdn_args_string (args, "category", FALSE, &category, error) ||
      !mdn_args_string (args, "barcode", FALSE, &barcode, error) ||
      !mdn_args_bool (args, "no_discount", &no_discount, error) ||
      !mdn_args_bool (args, "active", &active, error) ||
      !mdn_args_string (args, "package_sku", FALSE, &package_sku, error) ||
      !mdn_args_int (args, "package_count", FALSE, &package_count, error) ||
      !mdn_args_int (args, "package_days", FALSE, &package_days, error) ||
      !mdn_args_money (args, "cost", FALSE, &cost, error))
    return NULL;

  clean_sku = g_strstrip (g_strdup (sku));
  clean_name = g_strstrip (g_strdup (name));
  if (!valid_code (_("SKU"), clean_sku, error))
    return NULL;
  if (g_utf8_strlen (clean_name, -1) > 128)
    return invalid (error, _("A product name can have at most 128 characters")), NULL;
  if (!g_strv_contains (kinds, kind))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("Unknown product kind “%s”; use goods, service or package"), kind);
      return NULL;
    }
  if (!mdn_money_check_amount (price, TRUE, error) ||
      (cost != -1 && !mdn_money_check_amount (cost, TRUE, error)))
    return NULL;
  if (category && *category && (clean_category = normalize_category (category, error)) == NULL)
    return NULL;
  if (barcode && *barcode)
    {
      clean_barcode = g_strstrip (g_strdup (barcode));
      if (!valid_code (_("barcode"), clean_barcode, error) ||
          !check_code_free (db, clean_sku, clean_barcode, error))
        return NULL;
    }
  if (!check_code_free (db, clean_sku, clean_sku, error))
    return NULL;

  if (g_str_equal (kind, "package"))
    {
      g_autoptr(MdnProduct) service = NULL;

      if (package_sku == NULL)
        return invalid (error, _("A package needs “package_sku”: the service it buys uses of")), NULL;
      service = mdn_product_load (db, package_sku, error);
      if (service == NULL)
        return NULL;
      if (!g_str_equal (service->kind, "service"))
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                       _("A package buys uses of a service; %s is %s"), service->sku, service->kind);
          return NULL;
        }
      if (package_count < 1 || package_count > 100000)
        return invalid (error, _("“package_count” is the number of uses, from 1 to 100000")), NULL;
      if (package_days < 0 || package_days > 36500)
        return invalid (error, _("“package_days” is the validity in days, from 1 to 36500 (0 or none: no expiry)")), NULL;
    }
  else if (package_sku || package_count || package_days)
    return invalid (error, _("Only a product of kind package has package_sku, package_count and package_days")), NULL;

  entry = mdn_entry_new ("product.upsert", NULL);
  body = entry->body;
  json_object_set_string_member (body, "sku", clean_sku);
  json_object_set_string_member (body, "name", clean_name);
  json_object_set_string_member (body, "kind", kind);
  json_object_set_int_member (body, "price_fen", price);
  mdn_json_set_opt_string (body, "category", clean_category);
  mdn_json_set_opt_string (body, "barcode", clean_barcode);
  json_object_set_boolean_member (body, "no_discount", no_discount);
  json_object_set_boolean_member (body, "active", active);
  if (cost >= 0)
    json_object_set_int_member (body, "cost_fen", cost);
  if (g_str_equal (kind, "package"))
    {
      json_object_set_string_member (body, "package_sku", package_sku);
      json_object_set_int_member (body, "package_count", package_count);
      if (package_days > 0)
        json_object_set_int_member (body, "package_days", package_days);
    }
  return g_steal_pointer (&entry);
}

static gboolean
op_product_upsert (MdnOpCtx   *ctx,
                   JsonObject *args,
                   JsonObject *result,
                   GError    **error)
{
  g_autoptr(MdnEntry) entry = mdn_product_entry_new (ctx->db, args, error);
  g_autofree char *sku = NULL;

  if (entry == NULL)
    return FALSE;
  sku = g_strdup (mdn_body_string (entry->body, "sku"));
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "sku", sku);
  return TRUE;
}

static gboolean
apply_product_upsert (MdnDb    *db,
                      MdnEntry *entry,
                      GError  **error)
{
  JsonObject *b = entry->body;
  const char *sku = mdn_body_string (b, "sku");
  const char *name = mdn_body_string (b, "name");
  const char *kind = mdn_body_string (b, "kind");
  gint64 price = mdn_body_int (b, "price_fen", -1);
  const char *package_sku = mdn_body_string (b, "package_sku");
  gint64 count = mdn_body_int (b, "package_count", 0);
  gint64 days = mdn_body_int (b, "package_days", 0);
  gboolean no_discount = FALSE, active = TRUE;

  if (sku == NULL || name == NULL || kind == NULL || !g_strv_contains (kinds, kind) || price < 0 ||
      !mdn_args_bool (b, "no_discount", &no_discount, NULL) || !mdn_args_bool (b, "active", &active, NULL) ||
      (g_str_equal (kind, "package") && (package_sku == NULL || count < 1)))
    return mdn_entry_malformed (entry, sku ? sku : "", error);

  /* NULL package fields for anything but a package, binding NULL for 0 days. */
  return mdn_db_exec (db, error,
                      "INSERT INTO products (sku, name, kind, price_fen, category, barcode, no_discount, "
                      "package_sku, package_count, package_days, active, cost_fen) "
                      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULLIF (?9, 0), NULLIF (?10, 0), ?11, NULLIF (?12, -1)) "
                      "ON CONFLICT (sku) DO UPDATE SET name = excluded.name, kind = excluded.kind, "
                      "price_fen = excluded.price_fen, category = excluded.category, "
                      "barcode = excluded.barcode, no_discount = excluded.no_discount, "
                      "package_sku = excluded.package_sku, package_count = excluded.package_count, "
                      "package_days = excluded.package_days, active = excluded.active, "
                      "cost_fen = excluded.cost_fen",
                      "sssissisiiii", sku, name, kind, price, mdn_body_string (b, "category"),
                      mdn_body_string (b, "barcode"), (gint64) no_discount, package_sku,
                      count, days, (gint64) active, mdn_body_int (b, "cost_fen", -1));
}

/* product.search --------------------------------------------------------------- */

static JsonObject *
product_json (sqlite3_stmt *stmt,
              const char   *match)
{
  g_autoptr(MdnProduct) p = product_from_row (stmt);
  JsonObject *o = json_object_new ();

  json_object_set_string_member (o, "sku", p->sku);
  json_object_set_string_member (o, "name", p->name);
  json_object_set_string_member (o, "kind", p->kind);
  json_object_set_int_member (o, "price_fen", p->price_fen);
  mdn_json_set_opt_string (o, "category", p->category);
  mdn_json_set_opt_string (o, "barcode", p->barcode);
  json_object_set_boolean_member (o, "no_discount", p->no_discount);
  json_object_set_boolean_member (o, "active", p->active);
  if (g_str_equal (p->kind, "package"))
    {
      json_object_set_string_member (o, "package_sku", p->package_sku);
      json_object_set_int_member (o, "package_count", p->package_count);
      if (p->package_days > 0)
        json_object_set_int_member (o, "package_days", p->package_days);
      else
        json_object_set_null_member (o, "package_days");
    }
  if (g_str_equal (p->kind, "goods"))
    json_object_set_int_member (o, "stock", sqlite3_column_int64 (stmt, 12));
  json_object_set_string_member (o, "match", match);
  return o;
}

/* @category is @cat or below it; anything is in no category filter. */
static gboolean
in_category (const char *category,
             const char *cat)
{
  gsize len;

  if (cat == NULL)
    return TRUE;
  if (category == NULL)
    return FALSE;
  len = strlen (cat);
  return strncmp (category, cat, len) == 0 && (category[len] == '\0' || category[len] == '/');
}

static char *
like_escape (const char *text)
{
  GString *s = g_string_new ("%");

  for (const char *p = text; *p; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (s, '\\');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '%');
  return g_string_free (s, FALSE);
}

/* An exact SKU or barcode first (a scanner's Enter: two index lookups),
 * then names starting with the query, then names or SKUs containing it. */
static gboolean
op_product_search (MdnOpCtx   *ctx,
                   JsonObject *args,
                   JsonObject *result,
                   GError    **error)
{
  const char *query = "", *category = NULL;
  gint64 limit = 20;
  gboolean inactive = FALSE, exact = FALSE;
  g_autofree char *q = NULL;
  g_autofree char *upper = NULL;
  g_autofree char *pattern = NULL;
  g_autofree char *cat = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  JsonArray *list;
  sqlite3_stmt *stmt;
  int rc;

  if (!mdn_args_string (args, "query", FALSE, &query, error) ||
      !mdn_args_string (args, "category", FALSE, &category, error) ||
      !mdn_args_int (args, "limit", FALSE, &limit, error) ||
      !mdn_args_bool (args, "include_inactive", &inactive, error) ||
      !mdn_args_bool (args, "exact", &exact, error))
    return FALSE;
  if (category && *category && (cat = normalize_category (category, error)) == NULL)
    return FALSE;
  limit = CLAMP (limit, 1, 500);
  q = g_strstrip (g_strdup (query));
  list = json_array_new ();
  json_object_set_array_member (result, "products", list);

  if (*q)
    {
      stmt = mdn_db_query (ctx->db, error,
                           "SELECT " PRODUCT_COLUMNS ", COALESCE (s.qty, 0) FROM products p "
                           "LEFT JOIN stock s ON s.branch = ?2 AND s.item = p.sku WHERE p.sku = ?1 "
                           "UNION ALL SELECT " PRODUCT_COLUMNS ", COALESCE (s.qty, 0) FROM products p "
                           "LEFT JOIN stock s ON s.branch = ?2 AND s.item = p.sku WHERE p.barcode = ?1",
                           "ss", q, ctx->store->branch_code);
      if (stmt == NULL)
        return FALSE;
      while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
        {
          const char *sku = mdn_db_col_text (stmt, 0);

          if ((!inactive && !sqlite3_column_int (stmt, 10)) || g_hash_table_contains (seen, sku) ||
              !in_category (mdn_db_col_text (stmt, 4), cat))
            continue;
          g_hash_table_add (seen, g_strdup (sku));
          json_array_add_object_element (list, product_json (stmt, g_str_equal (sku, q) ? "sku" : "barcode"));
        }
      sqlite3_reset (stmt);
      if (rc != SQLITE_DONE)
        return FALSE;
    }
  /* "exact": the SKU or barcode only, what a scanner types: two index
     lookups, without the name search over every product. */
  if (exact)
    return TRUE;

  upper = g_strconcat (q, "\xf4\x8f\xbf\xbf", NULL);
  pattern = like_escape (q);
  stmt = mdn_db_query (ctx->db, error,
                       "SELECT " PRODUCT_COLUMNS ", COALESCE (s.qty, 0), "
                       "(p.name >= ?1 AND p.name < ?2) AS prefix FROM products p "
                       "LEFT JOIN stock s ON s.branch = ?7 AND s.item = p.sku "
                       "WHERE (?1 = '' OR p.name LIKE ?3 ESCAPE '\\' OR p.sku LIKE ?3 ESCAPE '\\') "
                       "AND (?4 IS NULL OR p.category = ?4 OR substr (p.category, 1, length (?4) + 1) = ?4 || '/') "
                       "AND (p.active OR ?5) "
                       "ORDER BY prefix DESC, p.name, p.sku LIMIT ?6",
                       "ssssiis", q, upper, pattern, cat, (gint64) inactive, limit,
                       ctx->store->branch_code);
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
    {
      const char *sku = mdn_db_col_text (stmt, 0);

      if (g_hash_table_contains (seen, sku) || json_array_get_length (list) >= (guint) limit)
        continue;
      g_hash_table_add (seen, g_strdup (sku));
      json_array_add_object_element (list, product_json (stmt, *q == '\0' ? "list" :
                                                sqlite3_column_int (stmt, 13) ? "name" : "contains"));
    }
  sqlite3_reset (stmt);
  return rc == SQLITE_DONE;
}

/* product.update, .archive, .unarchive ------------------------------------------------ */

/* {sku, name?, price?|price_fen?, kind?, category?, barcode?, no_discount?,
 * active?, package_sku?, package_count?, package_days?}: the product as it
 * is, with what is given changed (null clears category or barcode); the
 * same product.upsert entry a whole product makes. */
static gboolean
op_product_update (MdnOpCtx   *ctx,
                   JsonObject *args,
                   JsonObject *result,
                   GError    **error)
{
  static const char *const fields[] = { "name", "kind", "category", "barcode", "no_discount", "active",
                                        "package_sku", "package_count", "package_days", NULL };
  const char *sku = NULL;
  g_autoptr(MdnProduct) p = NULL;
  g_autoptr(JsonObject) merged = json_object_new ();
  gboolean package;

  if (!mdn_args_string (args, "sku", TRUE, &sku, error))
    return FALSE;
  p = mdn_product_load (ctx->db, sku, error);
  if (p == NULL)
    return FALSE;
  json_object_set_string_member (merged, "sku", p->sku);
  json_object_set_string_member (merged, "name", p->name);
  json_object_set_string_member (merged, "kind", p->kind);
  json_object_set_int_member (merged, "price_fen", p->price_fen);
  if (p->category)
    json_object_set_string_member (merged, "category", p->category);
  if (p->barcode)
    json_object_set_string_member (merged, "barcode", p->barcode);
  json_object_set_boolean_member (merged, "no_discount", p->no_discount);
  json_object_set_boolean_member (merged, "active", p->active);
  if (g_str_equal (p->kind, "package"))
    {
      json_object_set_string_member (merged, "package_sku", p->package_sku);
      json_object_set_int_member (merged, "package_count", p->package_count);
      if (p->package_days > 0)
        json_object_set_int_member (merged, "package_days", p->package_days);
    }
  if (json_object_has_member (args, "price") || json_object_has_member (args, "price_fen"))
    {
      json_object_remove_member (merged, "price_fen");
      if (json_object_has_member (args, "price"))
        json_object_set_member (merged, "price", json_node_copy (json_object_get_member (args, "price")));
      if (json_object_has_member (args, "price_fen"))
        json_object_set_member (merged, "price_fen", json_node_copy (json_object_get_member (args, "price_fen")));
    }
  for (guint i = 0; fields[i]; i++)
    {
      JsonNode *n = json_object_get_member (args, fields[i]);

      if (n == NULL)
        continue;
      if (JSON_NODE_HOLDS_NULL (n))
        json_object_remove_member (merged, fields[i]);
      else
        json_object_set_member (merged, fields[i], json_node_copy (n));
    }
  /* A product that stops being a package loses its package fields. */
  package = g_strcmp0 (json_object_get_string_member_with_default (merged, "kind", ""), "package") == 0;
  if (!package)
    for (guint i = 6; fields[i]; i++)
      json_object_remove_member (merged, fields[i]);
  return op_product_upsert (ctx, merged, result, error);
}

static gboolean
set_archived (MdnOpCtx   *ctx,
              JsonObject *args,
              JsonObject *result,
              gboolean    archived,
              GError    **error)
{
  const char *sku = NULL;
  g_autoptr(JsonObject) change = json_object_new ();

  if (!mdn_args_string (args, "sku", TRUE, &sku, error))
    return FALSE;
  json_object_set_string_member (change, "sku", sku);
  json_object_set_boolean_member (change, "active", !archived);
  if (!op_product_update (ctx, change, result, error))
    return FALSE;
  json_object_set_boolean_member (result, "archived", archived);
  return TRUE;
}

/* An archived product can't be sold, and is left out of searches unless
 * include_inactive; its sales, returns and stock stay. */
static gboolean
op_product_archive (MdnOpCtx *ctx, JsonObject *args, JsonObject *result, GError **error)
{
  return set_archived (ctx, args, result, TRUE, error);
}

static gboolean
op_product_unarchive (MdnOpCtx *ctx, JsonObject *args, JsonObject *result, GError **error)
{
  return set_archived (ctx, args, result, FALSE, error);
}

/* Categories (三级分类) ---------------------------------------------------------------- */

/* {path, name?} → {path}: a node of the tree; its parent must exist (as a
 * category or as the category of a product). name defaults to the last
 * level of the path. */
static gboolean
op_category_upsert (MdnOpCtx   *ctx,
                    JsonObject *args,
                    JsonObject *result,
                    GError    **error)
{
  const char *path = NULL, *name = NULL;
  g_autofree char *clean = NULL;
  g_autofree char *parent = NULL;
  g_autoptr(MdnEntry) entry = NULL;
  const char *slash;

  if (!mdn_args_string (args, "path", TRUE, &path, error) ||
      !mdn_args_string (args, "name", FALSE, &name, error))
    return FALSE;
  clean = normalize_category (path, error);
  if (clean == NULL)
    return FALSE;
  slash = strrchr (clean, '/');
  if (slash)
    {
      sqlite3_stmt *stmt;
      int rc;

      parent = g_strndup (clean, slash - clean);
      stmt = mdn_db_query (ctx->db, error,
                           "SELECT 1 FROM categories WHERE path = ?1 AND NOT archived "
                           "UNION ALL SELECT 1 FROM products WHERE category = ?1 OR substr (category, 1, length (?1) + 1) = ?1 || '/' "
                           "LIMIT 1", "s", parent);
      if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) < 0)
        return FALSE;
      sqlite3_reset (stmt);
      if (rc != SQLITE_ROW)
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                       _("There is no category “%s”: add it first"), parent);
          return FALSE;
        }
    }
  if (name && (*name == '\0' || g_utf8_strlen (name, -1) > 32))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("A category name is 1 to 32 characters"));
      return FALSE;
    }
  entry = mdn_entry_new ("category.upsert", NULL);
  json_object_set_string_member (entry->body, "path", clean);
  json_object_set_string_member (entry->body, "name", name ? name : (slash ? slash + 1 : clean));
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "path", clean);
  return TRUE;
}

static gboolean
apply_category_upsert (MdnDb    *db,
                       MdnEntry *entry,
                       GError  **error)
{
  const char *path = mdn_body_string (entry->body, "path");
  const char *name = mdn_body_string (entry->body, "name");
  const char *slash = path ? strrchr (path, '/') : NULL;
  g_autofree char *parent = slash ? g_strndup (path, slash - path) : NULL;

  if (path == NULL || name == NULL)
    return mdn_entry_malformed (entry, path ? path : "", error);
  return mdn_db_exec (db, error,
                      "INSERT INTO categories (path, name, parent, archived) VALUES (?, ?, ?, 0) "
                      "ON CONFLICT (path) DO UPDATE SET name = excluded.name, archived = 0",
                      "sss", path, name, parent);
}

/* {path} → {path}: the category and everything below it leave the tree;
 * their products keep their category (archive them one by one). */
static gboolean
op_category_archive (MdnOpCtx   *ctx,
                     JsonObject *args,
                     JsonObject *result,
                     GError    **error)
{
  const char *path = NULL;
  g_autofree char *clean = NULL;
  g_autoptr(MdnEntry) entry = NULL;

  if (!mdn_args_string (args, "path", TRUE, &path, error))
    return FALSE;
  clean = normalize_category (path, error);
  if (clean == NULL)
    return FALSE;
  entry = mdn_entry_new ("category.archive", NULL);
  json_object_set_string_member (entry->body, "path", clean);
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "path", clean);
  return TRUE;
}

static gboolean
apply_category_archive (MdnDb    *db,
                        MdnEntry *entry,
                        GError  **error)
{
  const char *path = mdn_body_string (entry->body, "path");

  if (path == NULL)
    return mdn_entry_malformed (entry, "", error);
  /* A product's category that has no row yet gets one, archived. */
  return mdn_db_exec (db, error,
                      "INSERT INTO categories (path, name, parent, archived) VALUES (?1, "
                      "CASE WHEN instr (?1, '/') THEN replace (?1, rtrim (?1, replace (?1, '/', '')), '') ELSE ?1 END, "
                      "NULL, 1) ON CONFLICT (path) DO NOTHING", "s", path) &&
         mdn_db_exec (db, error,
                      "UPDATE categories SET archived = 1 WHERE path = ?1 OR substr (path, 1, length (?1) + 1) = ?1 || '/'",
                      "s", path);
}

static int
compare_paths (gconstpointer a,
               gconstpointer b,
               gpointer      user_data)
{
  return strcmp (a, b);
}

/* {include_archived?} → {categories: [{path, name, parent, level, archived,
 * products}]}: the tree in path order, with the categories products name
 * that were never added themselves. */
static gboolean
op_category_list (MdnOpCtx   *ctx,
                  JsonObject *args,
                  JsonObject *result,
                  GError    **error)
{
  gboolean archived = FALSE;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GTree) tree = g_tree_new_full (compare_paths, NULL, g_free, (GDestroyNotify) json_object_unref);
  JsonArray *list;
  sqlite3_stmt *stmt;
  int rc;

  if (!mdn_args_bool (args, "include_archived", &archived, error))
    return FALSE;
  stmt = mdn_db_query (ctx->db, error, "SELECT path, name, archived FROM categories", "");
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
    {
      JsonObject *o = json_object_new ();

      json_object_set_string_member (o, "name", mdn_db_col_text (stmt, 1));
      json_object_set_boolean_member (o, "archived", sqlite3_column_int (stmt, 2) != 0);
      g_tree_insert (tree, g_strdup (mdn_db_col_text (stmt, 0)), o);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return FALSE;
  /* Every level above a category is a node too (a product's category
     names them without rows). */
  {
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func (g_free);
    GTreeNode *node;

    for (node = g_tree_node_first (tree); node; node = g_tree_node_next (node))
      g_ptr_array_add (paths, g_strdup (g_tree_node_key (node)));
    for (guint i = 0; i < paths->len; i++)
      {
        g_autofree char *up = g_strdup (g_ptr_array_index (paths, i));
        char *slash;

        while ((slash = strrchr (up, '/')) != NULL)
          {
            *slash = '\0';
            if (g_tree_lookup (tree, up) == NULL)
              {
                JsonObject *o = json_object_new ();
                const char *last = strrchr (up, '/');

                json_object_set_string_member (o, "name", last ? last + 1 : up);
                json_object_set_boolean_member (o, "archived", FALSE);
                g_tree_insert (tree, g_strdup (up), o);
              }
          }
      }
  }
  /* Every level of every product's category is a node too. */
  stmt = mdn_db_query (ctx->db, error,
                       "SELECT category, count (*) FROM products WHERE category IS NOT NULL AND active "
                       "GROUP BY category", "");
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
    {
      g_auto(GStrv) parts = g_strsplit (mdn_db_col_text (stmt, 0), "/", 3);
      g_autoptr(GString) path = g_string_new (NULL);

      for (guint i = 0; parts[i]; i++)
        {
          JsonObject *o;

          if (i > 0)
            g_string_append_c (path, '/');
          g_string_append (path, parts[i]);
          o = g_tree_lookup (tree, path->str);
          if (o == NULL)
            {
              o = json_object_new ();
              json_object_set_string_member (o, "name", parts[i]);
              json_object_set_boolean_member (o, "archived", FALSE);
              g_tree_insert (tree, g_strdup (path->str), o);
            }
          json_object_set_int_member (o, "products", json_object_get_int_member_with_default (o, "products", 0) +
                                                     sqlite3_column_int64 (stmt, 1));
        }
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return FALSE;

  list = json_array_new ();
  json_object_set_array_member (result, "categories", list);
  {
    GTreeNode *node;

    for (node = g_tree_node_first (tree); node; node = g_tree_node_next (node))
      {
        const char *path = g_tree_node_key (node);
        JsonObject *src = g_tree_node_value (node);
        JsonObject *o;
        const char *slash = strrchr (path, '/');
        guint level = 1;

        if (!archived && json_object_get_boolean_member (src, "archived"))
          continue;
        for (const char *p = path; *p; p++)
          level += *p == '/';
        o = json_object_new ();
        json_object_set_string_member (o, "path", path);
        json_object_set_string_member (o, "name", json_object_get_string_member (src, "name"));
        if (slash)
          {
            g_autofree char *parent = g_strndup (path, slash - path);
            json_object_set_string_member (o, "parent", parent);
          }
        else
          json_object_set_null_member (o, "parent");
        json_object_set_int_member (o, "level", level);
        json_object_set_boolean_member (o, "archived", json_object_get_boolean_member (src, "archived"));
        json_object_set_int_member (o, "products", json_object_get_int_member_with_default (src, "products", 0));
        json_array_add_object_element (list, o);
      }
  }
  return TRUE;
}

const MdnOpDef mdn_catalog_ops[] = {
  { "product.upsert", MDN_ROLE_MANAGER, MDN_OP_WRITE | MDN_OP_HQ, op_product_upsert },
  { "product.search", MDN_ROLE_CASHIER, MDN_OP_READ,              op_product_search },
  { "product.update",    MDN_ROLE_MANAGER, MDN_OP_WRITE | MDN_OP_HQ, op_product_update },
  { "product.archive",   MDN_ROLE_MANAGER, MDN_OP_WRITE | MDN_OP_HQ, op_product_archive },
  { "product.unarchive", MDN_ROLE_MANAGER, MDN_OP_WRITE | MDN_OP_HQ, op_product_unarchive },
  { "category.upsert",   MDN_ROLE_MANAGER, MDN_OP_WRITE | MDN_OP_HQ, op_category_upsert },
  { "category.archive",  MDN_ROLE_MANAGER, MDN_OP_WRITE | MDN_OP_HQ, op_category_archive },
  { "category.list",     MDN_ROLE_CASHIER, MDN_OP_READ,              op_category_list },
  { NULL }
};

const MdnKindDef mdn_catalog_kinds[] = {
  { "product.upsert", apply_product_upsert, MDN_KIND_MASTER },
  { "category.upsert", apply_category_upsert, MDN_KIND_MASTER },
  { "category.archive", apply_category_archive, MDN_KIND_MASTER },
  { NULL }
};
