/* pos-views.c: the parsers of the answers in pos-views.h. With
 * pos-member-view.c and pos-cart.c, the only places in the POS that know
 * the fields of an operation's answer. */
#define G_LOG_DOMAIN "pos-views"

#include "pos-reader.h"
#include "pos-views.h"

static void
sold_line_free (PosSoldLine *line)
{
  g_free (line->sku);
  g_free (line->name);
  g_free (line->kind);
  g_free (line);
}

static GPtrArray *
read_lines (PosReader  *r,
            JsonArray  *lines,
            gboolean    returnable)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) sold_line_free);

  for (guint i = 0; lines && i < json_array_get_length (lines); i++)
    {
      JsonObject *o = pos_reader_element (r, lines, i);
      PosSoldLine *l = g_new0 (PosSoldLine, 1);

      l->sku = pos_reader_dup_string (r, o, "sku");
      l->name = pos_reader_dup_string (r, o, "name");
      l->qty = pos_reader_int (r, o, "qty");
      l->unit_price_fen = pos_reader_int (r, o, "unit_price_fen");
      l->amount_fen = pos_reader_int (r, o, "amount_fen");
      if (returnable)
        {
          l->returnable_qty = pos_reader_int (r, o, "returnable_qty");
          l->returned_qty = pos_reader_int (r, o, "returned_qty");
          l->kind = pos_reader_dup_opt_string (r, o, "kind");
        }
      g_ptr_array_add (out, l);
    }
  return out;
}

/* Payments ------------------------------------------------------------------ */

void
pos_paid_free (PosPaid *paid)
{
  if (paid == NULL)
    return;
  g_free (paid->receipt_no);
  g_clear_pointer (&paid->lines, g_ptr_array_unref);
  g_free (paid->resource_name);
  g_free (paid->started_at);
  g_free (paid->stopped_at);
  g_free (paid);
}

PosPaid *
pos_paid_parse (JsonObject *result,
                const char *op,
                GError    **error)
{
  PosReader r;
  g_autoptr(PosPaid) paid = g_new0 (PosPaid, 1);

  g_return_val_if_fail (result != NULL && op != NULL, NULL);
  pos_reader_init (&r, op);
  paid->receipt_no = pos_reader_dup_string (&r, result, "receipt_no");
  paid->total_fen = pos_reader_int (&r, result, "total_fen");
  paid->change_fen = pos_reader_int (&r, result, "change_fen");
  paid->points_earned = pos_reader_int (&r, result, "points_earned");
  /* Only a spend made offline says so. */
  paid->offline = pos_reader_opt_bool (&r, result, "offline");
  /* A timed session's lines are the goods added to its table, if any. */
  paid->lines = read_lines (&r, g_str_equal (op, "sale") ? pos_reader_array (&r, result, "lines")
                                : g_str_equal (op, "timed.stop") && pos_reader_has (result, "lines")
                                ? pos_reader_array (&r, result, "lines") : NULL, FALSE);
  if (g_str_has_prefix (op, "timed.") && !g_str_equal (op, "timed.stop"))
    {
      /* timed.prepay, timed.extend: the time bought and all there is. */
      paid->minutes = pos_reader_int (&r, result, "minutes");
      paid->prepaid_minutes = pos_reader_int (&r, result, "prepaid_minutes");
      paid->resource_name = pos_reader_dup_opt_string (&r, result, "resource_name");
    }
  if (g_str_equal (op, "timed.stop"))
    {
      paid->prepaid_minutes = pos_reader_opt_int (&r, result, "prepaid_minutes", -1);
      paid->time_fen = pos_reader_opt_int (&r, result, "time_fen", 0);
      paid->minutes = pos_reader_int (&r, result, "minutes");
      paid->resource_name = pos_reader_dup_opt_string (&r, result, "resource_name");
      paid->started_at = pos_reader_dup_string (&r, result, "started_at");
      paid->stopped_at = pos_reader_dup_string (&r, result, "stopped_at");
    }
  if (!pos_reader_finish (&r, error))
    return NULL;
  return g_steal_pointer (&paid);
}

gboolean
pos_spent_offline (JsonObject *result)
{
  PosReader r;
  gboolean offline;

  if (result == NULL)
    return FALSE;
  pos_reader_init (&r, "spend");
  offline = pos_reader_opt_bool (&r, result, "offline");
  if (!pos_reader_finish (&r, NULL))
    g_warning ("a spend's “offline” is not a boolean");
  return offline;
}

/* The timed board -------------------------------------------------------------- */

void
pos_resource_free (PosResource *resource)
{
  if (resource == NULL)
    return;
  g_free (resource->code);
  g_free (resource->name);
  g_free (resource->plan);
  g_free (resource->plan_name);
  g_free (resource);
}

void
pos_timed_session_free (PosTimedSession *session)
{
  if (session == NULL)
    return;
  g_free (session->session_id);
  g_free (session->resource);
  g_free (session->started_at);
  g_free (session->card_no);
  g_free (session->member_name);
  g_free (session);
}

GPtrArray *
pos_resource_list_parse (JsonObject *result,
                         GError    **error)
{
  PosReader r;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) pos_resource_free);
  JsonArray *list;

  g_return_val_if_fail (result != NULL, NULL);
  pos_reader_init (&r, "resource.list");
  list = pos_reader_array (&r, result, "resources");
  for (guint i = 0; list && i < json_array_get_length (list); i++)
    {
      JsonObject *o = pos_reader_element (&r, list, i);
      PosResource *res = g_new0 (PosResource, 1);

      res->code = pos_reader_dup_string (&r, o, "code");
      res->name = pos_reader_dup_string (&r, o, "name");
      res->plan = pos_reader_dup_string (&r, o, "plan");
      res->plan_name = pos_reader_dup_opt_string (&r, o, "plan_name");
      if (res->plan_name == NULL)
        res->plan_name = g_strdup (res->plan);
      g_ptr_array_add (out, res);
    }
  if (!pos_reader_finish (&r, error))
    return NULL;
  return g_steal_pointer (&out);
}

GPtrArray *
pos_timed_list_parse (JsonObject *result,
                      GError    **error)
{
  PosReader r;
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) pos_timed_session_free);
  JsonArray *list;

  g_return_val_if_fail (result != NULL, NULL);
  pos_reader_init (&r, "timed.list");
  list = pos_reader_array (&r, result, "sessions");
  for (guint i = 0; list && i < json_array_get_length (list); i++)
    {
      JsonObject *o = pos_reader_element (&r, list, i);
      PosTimedSession *s = g_new0 (PosTimedSession, 1);

      s->session_id = pos_reader_dup_string (&r, o, "session_id");
      s->resource = pos_reader_dup_string (&r, o, "resource");
      s->started_at = pos_reader_dup_string (&r, o, "started_at");
      s->charge_fen = pos_reader_int (&r, o, "charge_fen");
      s->card_no = pos_reader_dup_opt_string (&r, o, "card_no");
      s->member_name = pos_reader_dup_opt_string (&r, o, "member_name");
      s->paused = pos_reader_bool (&r, o, "paused");
      s->run_seconds = pos_reader_int (&r, o, "run_seconds");
      s->items = pos_reader_opt_int (&r, o, "items", 0);
      s->prepaid_minutes = pos_reader_opt_int (&r, o, "prepaid_minutes", -1);
      s->remaining_seconds = pos_reader_opt_int (&r, o, "remaining_seconds", 0);
      s->ending = pos_reader_opt_bool (&r, o, "ending");
      g_ptr_array_add (out, s);
    }
  if (!pos_reader_finish (&r, error))
    return NULL;
  return g_steal_pointer (&out);
}

/* A receipt and its return -------------------------------------------------------- */

void
pos_sale_record_free (PosSaleRecord *sale)
{
  if (sale == NULL)
    return;
  g_free (sale->kind);
  g_free (sale->receipt_no);
  g_free (sale->entry_id);
  g_free (sale->at);
  g_free (sale->staff);
  g_free (sale->staff_name);
  g_free (sale->card_no);
  g_clear_pointer (&sale->lines, g_ptr_array_unref);
  g_free (sale);
}

PosSaleRecord *
pos_sale_record_parse (JsonObject *result,
                       GError    **error)
{
  PosReader r;
  g_autoptr(PosSaleRecord) sale = g_new0 (PosSaleRecord, 1);
  gboolean is_sale;

  g_return_val_if_fail (result != NULL, NULL);
  pos_reader_init (&r, "receipt.show");
  sale->kind = pos_reader_dup_string (&r, result, "kind");
  sale->receipt_no = pos_reader_dup_opt_string (&r, result, "receipt_no");
  sale->entry_id = pos_reader_dup_string (&r, result, "entry_id");
  sale->at = pos_reader_dup_string (&r, result, "at");
  sale->staff = pos_reader_dup_string (&r, result, "staff");
  sale->staff_name = pos_reader_dup_opt_string (&r, result, "staff_name");
  /* A table's receipt with goods on it (timed.add) returns them by line. */
  is_sale = g_strcmp0 (sale->kind, "sale") == 0 ||
            (g_strcmp0 (sale->kind, "timed.stop") == 0 && pos_reader_has (result, "lines"));
  if (is_sale)
    {
      sale->card_no = pos_reader_dup_opt_string (&r, result, "card_no");
      sale->total_fen = pos_reader_int (&r, result, "total_fen");
    }
  sale->lines = read_lines (&r, is_sale ? pos_reader_array (&r, result, "lines") : NULL, TRUE);
  if (!pos_reader_finish (&r, error))
    return NULL;
  return g_steal_pointer (&sale);
}

static void
tender_amount_free (PosTenderAmount *t)
{
  g_free (t->type);
  g_free (t);
}

void
pos_refund_free (PosRefund *refund)
{
  if (refund == NULL)
    return;
  g_clear_pointer (&refund->tenders, g_ptr_array_unref);
  g_free (refund);
}

PosRefund *
pos_refund_parse (JsonObject *result,
                  GError    **error)
{
  PosReader r;
  g_autoptr(PosRefund) refund = g_new0 (PosRefund, 1);
  JsonArray *tenders;

  g_return_val_if_fail (result != NULL, NULL);
  pos_reader_init (&r, "sale.return");
  refund->tenders = g_ptr_array_new_with_free_func ((GDestroyNotify) tender_amount_free);
  refund->refund_fen = pos_reader_int (&r, result, "refund_fen");
  refund->points_taken = pos_reader_int (&r, result, "points_taken");
  tenders = pos_reader_array (&r, result, "tenders");
  for (guint i = 0; tenders && i < json_array_get_length (tenders); i++)
    {
      JsonObject *o = pos_reader_element (&r, tenders, i);
      PosTenderAmount *t = g_new0 (PosTenderAmount, 1);

      t->type = pos_reader_dup_string (&r, o, "type");
      t->amount_fen = pos_reader_int (&r, o, "amount_fen");
      g_ptr_array_add (refund->tenders, t);
    }
  if (!pos_reader_finish (&r, error))
    return NULL;
  return g_steal_pointer (&refund);
}

/* The shift summary ----------------------------------------------------------------- */

static void
shift_sum_free (PosShiftSum *s)
{
  g_free (s->code);
  g_free (s->name);
  g_free (s);
}

void
pos_shift_free (PosShift *shift)
{
  if (shift == NULL)
    return;
  g_free (shift->date);
  g_clear_pointer (&shift->by_tender, g_ptr_array_unref);
  g_clear_pointer (&shift->by_staff, g_ptr_array_unref);
  g_clear_pointer (&shift->by_kind, g_ptr_array_unref);
  g_free (shift);
}

/* @key: what the sums are by; a staff member's sum has their name too. */
static GPtrArray *
read_sums (PosReader  *r,
           JsonObject *o,
           const char *array,
           const char *key)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) shift_sum_free);
  JsonArray *list = pos_reader_array (r, o, array);
  gboolean named = g_str_equal (key, "staff");

  for (guint i = 0; list && i < json_array_get_length (list); i++)
    {
      JsonObject *e = pos_reader_element (r, list, i);
      PosShiftSum *s = g_new0 (PosShiftSum, 1);

      s->code = pos_reader_dup_string (r, e, key);
      if (named)
        s->name = pos_reader_dup_opt_string (r, e, "name");
      s->count = pos_reader_int (r, e, "count");
      s->amount_fen = pos_reader_int (r, e, "amount_fen");
      g_ptr_array_add (out, s);
    }
  return out;
}

PosShift *
pos_shift_parse (JsonObject *result,
                 GError    **error)
{
  PosReader r;
  g_autoptr(PosShift) shift = g_new0 (PosShift, 1);

  g_return_val_if_fail (result != NULL, NULL);
  pos_reader_init (&r, "report.shift");
  shift->date = pos_reader_dup_string (&r, result, "date");
  shift->net_fen = pos_reader_int (&r, result, "net_fen");
  shift->entries = pos_reader_int (&r, result, "entries");
  shift->by_tender = read_sums (&r, result, "by_tender", "tender");
  shift->by_staff = read_sums (&r, result, "by_staff", "staff");
  shift->by_kind = read_sums (&r, result, "by_kind", "kind");
  if (!pos_reader_finish (&r, error))
    return NULL;
  return g_steal_pointer (&shift);
}

/* Head office and staff --------------------------------------------------------------- */

void
pos_sync_status_free (PosSyncStatus *status)
{
  if (status == NULL)
    return;
  g_free (status->server);
  g_free (status->ca);
  g_free (status->pin_sha256);
  g_free (status);
}

PosSyncStatus *
pos_sync_status_parse (JsonObject *result,
                       GError    **error)
{
  PosReader r;
  g_autoptr(PosSyncStatus) status = g_new0 (PosSyncStatus, 1);

  g_return_val_if_fail (result != NULL, NULL);
  pos_reader_init (&r, "sync.status");
  status->linked = pos_reader_bool (&r, result, "linked");
  status->server = pos_reader_dup_opt_string (&r, result, "server");
  status->ca = pos_reader_dup_opt_string (&r, result, "ca");
  status->pin_sha256 = pos_reader_dup_opt_string (&r, result, "pin_sha256");
  status->waiting = pos_reader_int (&r, result, "waiting");
  if (!pos_reader_finish (&r, error))
    return NULL;
  return g_steal_pointer (&status);
}

char *
pos_staff_name_parse (JsonObject *result,
                      GError    **error)
{
  PosReader r;
  g_autofree char *name = NULL;

  g_return_val_if_fail (result != NULL, NULL);
  pos_reader_init (&r, "staff.me");
  name = pos_reader_dup_string (&r, result, "name");
  if (!pos_reader_finish (&r, error))
    return NULL;
  return g_steal_pointer (&name);
}

/* The shift handover ------------------------------------------------------------------ */

static void
tender_count_free (PosTenderCount *t)
{
  g_free (t->tender);
  g_free (t);
}

static GPtrArray *
read_counts (PosReader  *r,
             JsonArray  *list,
             gboolean    with_counted,
             gboolean    with_flag)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) tender_count_free);

  for (guint i = 0; list && i < json_array_get_length (list); i++)
    {
      JsonObject *o = pos_reader_element (r, list, i);
      PosTenderCount *t = g_new0 (PosTenderCount, 1);

      t->tender = pos_reader_dup_string (r, o, "tender");
      t->expected_fen = pos_reader_int (r, o, "expected_fen");
      if (with_counted)
        {
          t->counted_fen = pos_reader_int (r, o, "counted_fen");
          t->over_short_fen = pos_reader_int (r, o, "over_short_fen");
        }
      if (with_flag)
        t->counted = pos_reader_bool (r, o, "counted");
      g_ptr_array_add (out, t);
    }
  return out;
}

void
pos_handover_free (PosHandover *h)
{
  if (h == NULL)
    return;
  g_free (h->staff);
  g_free (h->staff_name);
  g_free (h->opened_at);
  g_free (h->closed_at);
  g_clear_pointer (&h->tenders, g_ptr_array_unref);
  g_free (h);
}

static PosHandover *
read_handover (PosReader  *r,
               JsonObject *o,
               gboolean    closed,
               gboolean    listed)
{
  PosHandover *h = g_new0 (PosHandover, 1);

  h->staff = pos_reader_dup_string (r, o, "staff");
  if (listed)
    h->staff_name = pos_reader_dup_opt_string (r, o, "staff_name");
  h->opened_at = pos_reader_dup_opt_string (r, o, "opened_at");
  if (closed)
    {
      h->closed_at = pos_reader_dup_string (r, o, "closed_at");
      h->over_short_fen = pos_reader_int (r, o, "over_short_fen");
    }
  h->entries = pos_reader_int (r, o, "entries");
  h->float_fen = pos_reader_int (r, o, "float_fen");
  h->tenders = read_counts (r, pos_reader_array (r, o, "tenders"), closed, closed);
  return h;
}

PosHandover *
pos_handover_parse (JsonObject  *result,
                    const char  *op,
                    GError     **error)
{
  PosReader r;
  g_autoptr(PosHandover) h = NULL;

  g_return_val_if_fail (result != NULL && op != NULL, NULL);
  pos_reader_init (&r, op);
  h = read_handover (&r, result, g_str_equal (op, "shift.close"), FALSE);
  if (!pos_reader_finish (&r, error))
    return NULL;
  return g_steal_pointer (&h);
}

void
pos_shift_list_free (PosShiftList *list)
{
  if (list == NULL)
    return;
  g_free (list->date);
  g_clear_pointer (&list->shifts, g_ptr_array_unref);
  g_clear_pointer (&list->totals, g_ptr_array_unref);
  g_free (list);
}

PosShiftList *
pos_shift_list_parse (JsonObject  *result,
                      GError     **error)
{
  PosReader r;
  g_autoptr(PosShiftList) list = g_new0 (PosShiftList, 1);
  JsonArray *shifts;

  g_return_val_if_fail (result != NULL, NULL);
  pos_reader_init (&r, "shift.list");
  list->date = pos_reader_dup_string (&r, result, "date");
  list->shifts = g_ptr_array_new_with_free_func ((GDestroyNotify) pos_handover_free);
  shifts = pos_reader_array (&r, result, "shifts");
  for (guint i = 0; shifts && i < json_array_get_length (shifts); i++)
    g_ptr_array_add (list->shifts, read_handover (&r, pos_reader_element (&r, shifts, i), TRUE, TRUE));
  list->totals = read_counts (&r, pos_reader_array (&r, result, "totals"), TRUE, FALSE);
  list->over_short_fen = pos_reader_int (&r, result, "over_short_fen");
  if (!pos_reader_finish (&r, error))
    return NULL;
  return g_steal_pointer (&list);
}
