/* pos-stock-views.c: the stock operations' answers as typed views. A field
 * missing or of the wrong type fails the parse with its name. */
#define G_LOG_DOMAIN "pos-stock-views"

#include <gio/gio.h>
#include <glib/gi18n.h>

#include "mdn-json.h"
#include "pos-stock-views.h"

static gboolean
want_int (JsonObject *o, const char *name, gint64 *out, GError **error)
{
  return mdn_args_int (o, name, TRUE, out, error);
}

static gboolean
want_str (JsonObject *o, const char *name, gboolean required, char **out, GError **error)
{
  const char *s = NULL;

  if (!mdn_args_string (o, name, required, &s, error))
    return FALSE;
  *out = g_strdup (s);
  return TRUE;
}

/* An integer member that may be null: *has says which. */
static gboolean
want_opt_int (JsonObject *o, const char *name, gboolean *has, gint64 *out, GError **error)
{
  JsonNode *n = json_object_get_member (o, name);

  *has = n != NULL && !JSON_NODE_HOLDS_NULL (n);
  return !*has || mdn_args_int (o, name, TRUE, out, error);
}

gboolean
pos_stock_scan_parse (JsonObject *result,
                      const char *code,
                      char      **sku,
                      char      **name,
                      GError    **error)
{
  JsonArray *a = mdn_args_array (result, "products", TRUE, error);
  JsonObject *o;
  const char *kind = NULL;

  if (a == NULL)
    return FALSE;
  if (json_array_get_length (a) == 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, _("No product has the code %s"), code);
      return FALSE;
    }
  if ((o = mdn_args_element_object (a, 0, "products", error)) == NULL ||
      !mdn_args_string (o, "kind", TRUE, &kind, error) ||
      !want_str (o, "sku", TRUE, sku, error) || !want_str (o, "name", TRUE, name, error))
    return FALSE;
  if (!g_str_equal (kind, "goods"))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, _("%s is not goods and has no stock"), *name);
      return FALSE;
    }
  return TRUE;
}

static void
item_free (PosStockItem *i)
{
  g_free (i->branch);
  g_free (i->sku);
  g_free (i->name);
  g_free (i);
}

GPtrArray *
pos_stock_items_parse (JsonObject *result,
                       const char *member,
                       GError    **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) item_free);
  JsonArray *a = mdn_args_array (result, member, TRUE, error);

  if (a == NULL)
    return NULL;
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *o = mdn_args_element_object (a, i, member, error);
      PosStockItem *it = g_new0 (PosStockItem, 1);
      gboolean b = FALSE;

      g_ptr_array_add (out, it);
      if (o == NULL || !want_str (o, "branch", FALSE, &it->branch, error) ||
          !want_str (o, "sku", TRUE, &it->sku, error) || !want_str (o, "name", FALSE, &it->name, error) ||
          !want_int (o, "on_hand", &it->on_hand, error) || !want_int (o, "in_transit_in", &it->in_transit_in, error) ||
          !want_int (o, "in_transit_out", &it->in_transit_out, error) ||
          !want_opt_int (o, "low_stock", &it->has_low, &it->low_stock, error) ||
          !want_opt_int (o, "high_stock", &it->has_high, &it->high_stock, error) ||
          !mdn_args_bool (o, "below_low", &b, error) ||
          !want_opt_int (o, "avg_cost_fen", &b, &it->avg_cost_fen, error))
        return NULL;
      mdn_args_bool (o, "below_low", &it->below_low, NULL);
    }
  return g_steal_pointer (&out);
}

static void
transfer_line_free (PosTransferLine *l)
{
  g_free (l->sku);
  g_free (l->name);
  g_free (l);
}

static void
transfer_free (PosTransfer *t)
{
  g_free (t->id);
  g_free (t->doc_no);
  g_free (t->from);
  g_free (t->to);
  g_free (t->direction);
  g_free (t->status);
  g_free (t->sent_at);
  g_clear_pointer (&t->lines, g_ptr_array_unref);
  g_free (t);
}

GPtrArray *
pos_transfers_parse (JsonObject *result,
                     GError    **error)
{
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) transfer_free);
  JsonArray *a = mdn_args_array (result, "transfers", TRUE, error);

  if (a == NULL)
    return NULL;
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *o = mdn_args_element_object (a, i, "transfers", error);
      PosTransfer *t = g_new0 (PosTransfer, 1);
      JsonArray *lines;

      g_ptr_array_add (out, t);
      t->lines = g_ptr_array_new_with_free_func ((GDestroyNotify) transfer_line_free);
      if (o == NULL || !want_str (o, "transfer_id", TRUE, &t->id, error) ||
          !want_str (o, "doc_no", TRUE, &t->doc_no, error) || !want_str (o, "from", TRUE, &t->from, error) ||
          !want_str (o, "to", TRUE, &t->to, error) || !want_str (o, "direction", FALSE, &t->direction, error) ||
          !want_str (o, "status", TRUE, &t->status, error) || !want_str (o, "sent_at", TRUE, &t->sent_at, error) ||
          !want_int (o, "shortfall", &t->shortfall, error) ||
          (lines = mdn_args_array (o, "lines", TRUE, error)) == NULL)
        return NULL;
      for (guint j = 0; j < json_array_get_length (lines); j++)
        {
          JsonObject *lo = mdn_args_element_object (lines, j, "lines", error);
          PosTransferLine *l = g_new0 (PosTransferLine, 1);
          gboolean has = FALSE;

          g_ptr_array_add (t->lines, l);
          if (lo == NULL || !want_str (lo, "sku", TRUE, &l->sku, error) ||
              !want_str (lo, "name", FALSE, &l->name, error) || !want_int (lo, "sent", &l->sent, error) ||
              !want_opt_int (lo, "received", &has, &l->received, error))
            return NULL;
          if (!has)
            l->received = -1;
        }
    }
  return g_steal_pointer (&out);
}

static void
count_line_free (PosCountLine *l)
{
  g_free (l->sku);
  g_free (l->name);
  g_free (l);
}

void
pos_count_sheet_free (PosCountSheet *s)
{
  if (s == NULL)
    return;
  g_free (s->count_id);
  g_free (s->status);
  g_free (s->category);
  g_clear_pointer (&s->counted, g_ptr_array_unref);
  g_clear_pointer (&s->uncounted, g_ptr_array_unref);
  g_free (s);
}

static gboolean
count_lines (JsonObject *result, const char *member, gboolean counted, GPtrArray *out, GError **error)
{
  JsonArray *a = mdn_args_array (result, member, TRUE, error);

  if (a == NULL)
    return FALSE;
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonObject *o = mdn_args_element_object (a, i, member, error);
      PosCountLine *l = g_new0 (PosCountLine, 1);

      g_ptr_array_add (out, l);
      l->counted = -1;
      if (o == NULL || !want_str (o, "sku", TRUE, &l->sku, error) || !want_str (o, "name", FALSE, &l->name, error) ||
          !want_int (o, "on_hand", &l->on_hand, error) || (counted && !want_int (o, "counted", &l->counted, error)))
        return FALSE;
    }
  return TRUE;
}

PosCountSheet *
pos_count_sheet_parse (JsonObject *result,
                       GError    **error)
{
  g_autoptr(PosCountSheet) s = g_new0 (PosCountSheet, 1);

  s->counted = g_ptr_array_new_with_free_func ((GDestroyNotify) count_line_free);
  s->uncounted = g_ptr_array_new_with_free_func ((GDestroyNotify) count_line_free);
  if (!want_str (result, "status", TRUE, &s->status, error))
    return NULL;
  if (g_str_equal (s->status, "none"))
    return g_steal_pointer (&s);
  if (!want_str (result, "count_id", TRUE, &s->count_id, error) ||
      !want_str (result, "category", FALSE, &s->category, error) ||
      !count_lines (result, "counted", TRUE, s->counted, error) ||
      !count_lines (result, "uncounted", FALSE, s->uncounted, error))
    return NULL;
  return g_steal_pointer (&s);
}

static void
import_row_free (PosImportRow *r)
{
  g_free (r->sku);
  g_free (r->name);
  g_free (r->kind);
  g_free (r->category);
  g_free (r);
}

static void
import_error_free (PosImportError *e)
{
  g_free (e->reason);
  g_free (e);
}

void
pos_import_preview_free (PosImportPreview *p)
{
  if (p == NULL)
    return;
  g_free (p->encoding);
  g_clear_pointer (&p->rows, g_ptr_array_unref);
  g_clear_pointer (&p->errors, g_ptr_array_unref);
  g_free (p);
}

PosImportPreview *
pos_import_preview_parse (JsonObject *result,
                          GError    **error)
{
  g_autoptr(PosImportPreview) p = g_new0 (PosImportPreview, 1);
  JsonArray *rows, *errors;

  p->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) import_row_free);
  p->errors = g_ptr_array_new_with_free_func ((GDestroyNotify) import_error_free);
  if (!want_str (result, "encoding", TRUE, &p->encoding, error) ||
      !want_int (result, "created", &p->created, error) || !want_int (result, "updated", &p->updated, error) ||
      (rows = mdn_args_array (result, "rows", TRUE, error)) == NULL ||
      (errors = mdn_args_array (result, "errors", TRUE, error)) == NULL)
    return NULL;
  for (guint i = 0; i < json_array_get_length (rows); i++)
    {
      JsonObject *o = mdn_args_element_object (rows, i, "rows", error);
      PosImportRow *r = g_new0 (PosImportRow, 1);
      gint64 line = 0;

      g_ptr_array_add (p->rows, r);
      if (o == NULL || !want_int (o, "line", &line, error) || !want_str (o, "sku", TRUE, &r->sku, error) ||
          !want_str (o, "name", TRUE, &r->name, error) || !want_str (o, "kind", TRUE, &r->kind, error) ||
          !want_str (o, "category", FALSE, &r->category, error) || !want_int (o, "price_fen", &r->price_fen, error) ||
          !mdn_args_bool (o, "new", &r->is_new, error))
        return NULL;
      r->line = (guint) line;
    }
  for (guint i = 0; i < json_array_get_length (errors); i++)
    {
      JsonObject *o = mdn_args_element_object (errors, i, "errors", error);
      PosImportError *e = g_new0 (PosImportError, 1);
      gint64 line = 0;

      g_ptr_array_add (p->errors, e);
      if (o == NULL || !want_int (o, "line", &line, error) || !want_str (o, "reason", TRUE, &e->reason, error))
        return NULL;
      e->line = (guint) line;
    }
  return g_steal_pointer (&p);
}
