/* pos-member-view.c: the parsers of the member answers (see
 * pos-member-view.h). The only place in the POS that knows their fields. */
#define G_LOG_DOMAIN "pos-member-view"

#include <glib/gi18n.h>

#include "pos-member-view.h"
#include "pos-reader.h"

/* Packages ----------------------------------------------------------------- */

void
pos_package_lot_free (PosPackageLot *lot)
{
  if (lot == NULL)
    return;
  g_free (lot->sku);
  g_free (lot->name);
  g_free (lot->expires_on);
  g_free (lot);
}

static PosPackageLot *
read_lot (PosReader  *r,
          JsonObject *o,
          gboolean    with_expiry)
{
  PosPackageLot *lot = g_new0 (PosPackageLot, 1);

  lot->sku = pos_reader_dup_string (r, o, "sku");
  lot->name = pos_reader_dup_opt_string (r, o, "name");
  lot->remaining = pos_reader_int (r, o, "remaining");
  if (with_expiry)
    lot->expires_on = pos_reader_dup_opt_string (r, o, "expires_on");
  return lot;
}

PosPackageLot *
pos_package_use_parse (JsonObject *result,
                       GError    **error)
{
  PosReader r;
  g_autoptr(PosPackageLot) lot = NULL;

  g_return_val_if_fail (result != NULL, NULL);
  pos_reader_init (&r, "package.consume");
  lot = read_lot (&r, result, FALSE);
  if (!pos_reader_finish (&r, error))
    return NULL;
  return g_steal_pointer (&lot);
}

/* Members ------------------------------------------------------------------ */

static void
member_view_clear (PosMemberView *m)
{
  g_free (m->member_id);
  g_free (m->card_no);
  g_free (m->name);
  g_free (m->phone);
  g_free (m->level);
  g_free (m->expires_on);
  g_free (m->replaced_by);
  g_free (m->level_name);
  g_free (m->issued_at);
  g_free (m->issued_branch);
  g_clear_pointer (&m->packages, g_ptr_array_unref);
}

PosMemberView *
pos_member_view_ref (PosMemberView *member)
{
  g_return_val_if_fail (member != NULL, NULL);
  return g_rc_box_acquire (member);
}

void
pos_member_view_unref (PosMemberView *member)
{
  if (member)
    g_rc_box_release_full (member, (GDestroyNotify) member_view_clear);
}

static const char *const status_names[] = {
  [POS_MEMBER_ACTIVE] = "active",
  [POS_MEMBER_LOST] = "lost",
  [POS_MEMBER_REPLACED] = "replaced",
  [POS_MEMBER_EXPIRED] = "expired",
};

const char *
pos_member_status_label (PosMemberStatus status)
{
  switch (status)
    {
    case POS_MEMBER_ACTIVE: return _("Active");
    case POS_MEMBER_LOST: return _("Reported lost");
    case POS_MEMBER_REPLACED: return _("Replaced");
    case POS_MEMBER_EXPIRED: return _("Expired");
    default: g_return_val_if_reached ("");
    }
}

/* The fields member.search and member.show share (member_summary in
 * common/mdn-members.c). */
static PosMemberView *
read_summary (PosReader  *r,
              JsonObject *o)
{
  PosMemberView *m = g_rc_box_new0 (PosMemberView);
  g_autofree char *status = NULL;

  m->packages = g_ptr_array_new_with_free_func ((GDestroyNotify) pos_package_lot_free);
  m->price_percent = 100;
  m->member_id = pos_reader_dup_string (r, o, "member_id");
  m->card_no = pos_reader_dup_string (r, o, "card_no");
  m->name = pos_reader_dup_string (r, o, "name");
  m->phone = pos_reader_dup_string (r, o, "phone");
  m->level = pos_reader_dup_string (r, o, "level");
  status = pos_reader_dup_string (r, o, "status");
  m->balance_fen = pos_reader_int (r, o, "balance_fen");
  m->principal_fen = pos_reader_int (r, o, "principal_fen");
  m->bonus_fen = pos_reader_int (r, o, "bonus_fen");
  m->points = pos_reader_int (r, o, "points");
  m->expires_on = pos_reader_dup_opt_string (r, o, "expires_on");
  if (status)
    {
      guint i;

      for (i = 0; i < G_N_ELEMENTS (status_names); i++)
        if (g_str_equal (status, status_names[i]))
          break;
      if (i == G_N_ELEMENTS (status_names))
        pos_reader_fail (r, "status");
      m->status = i < G_N_ELEMENTS (status_names) ? (PosMemberStatus) i : POS_MEMBER_ACTIVE;
    }
  return m;
}

PosMemberView *
pos_member_view_parse (JsonObject *result,
                       GError    **error)
{
  PosReader r;
  g_autoptr(PosMemberView) m = NULL;
  JsonArray *packages;

  g_return_val_if_fail (result != NULL, NULL);
  pos_reader_init (&r, "member.show");
  m = read_summary (&r, result);
  m->replaced_by = pos_reader_dup_opt_string (&r, result, "replaced_by");
  /* The level's figures are left out when the level is gone. */
  m->level_name = pos_reader_dup_opt_string (&r, result, "level_name");
  if (m->level_name == NULL)
    m->level_name = g_strdup (m->level);
  m->price_percent = pos_reader_opt_int (&r, result, "price_percent", 100);
  m->points_per_yuan = pos_reader_opt_int (&r, result, "points_per_yuan", 0);
  m->has_pin = pos_reader_bool (&r, result, "has_pin");
  m->on_hold = pos_reader_bool (&r, result, "on_hold");
  m->hold_fen = pos_reader_opt_int (&r, result, "hold_fen", 0);
  m->issued_at = pos_reader_dup_string (&r, result, "issued_at");
  m->issued_branch = pos_reader_dup_string (&r, result, "issued_branch");
  packages = pos_reader_array (&r, result, "packages");
  for (guint i = 0; packages && i < json_array_get_length (packages); i++)
    g_ptr_array_add (m->packages, read_lot (&r, pos_reader_element (&r, packages, i), TRUE));
  if (!pos_reader_finish (&r, error))
    return NULL;
  return g_steal_pointer (&m);
}

GPtrArray *
pos_member_search_parse (JsonObject *result,
                         GError    **error)
{
  PosReader r;
  g_autoptr(GPtrArray) hits = g_ptr_array_new_with_free_func ((GDestroyNotify) pos_member_view_unref);
  JsonArray *list;

  g_return_val_if_fail (result != NULL, NULL);
  pos_reader_init (&r, "member.search");
  list = pos_reader_array (&r, result, "members");
  for (guint i = 0; list && i < json_array_get_length (list); i++)
    g_ptr_array_add (hits, read_summary (&r, pos_reader_element (&r, list, i)));
  if (!pos_reader_finish (&r, error))
    return NULL;
  return g_steal_pointer (&hits);
}

/* History ------------------------------------------------------------------- */

void
pos_member_event_free (PosMemberEvent *event)
{
  if (event == NULL)
    return;
  g_free (event->entry_id);
  g_free (event->kind);
  g_free (event->at);
  g_free (event->branch);
  g_free (event->staff);
  g_free (event->staff_name);
  g_free (event->receipt_no);
  g_free (event);
}

GPtrArray *
pos_member_history_parse (JsonObject *result,
                          GError    **error)
{
  /* An entry's amount, by kind: a sale's total, a deposit's amount, a
     return's refund. */
  static const char *const amounts[] = { "total_fen", "amount_fen", "refund_fen" };
  PosReader r;
  g_autoptr(GPtrArray) events = g_ptr_array_new_with_free_func ((GDestroyNotify) pos_member_event_free);
  JsonArray *list;

  g_return_val_if_fail (result != NULL, NULL);
  pos_reader_init (&r, "member.history");
  list = pos_reader_array (&r, result, "entries");
  for (guint i = 0; list && i < json_array_get_length (list); i++)
    {
      JsonObject *o = pos_reader_element (&r, list, i);
      PosMemberEvent *e = g_new0 (PosMemberEvent, 1);
      JsonObject *body;

      e->entry_id = pos_reader_dup_string (&r, o, "entry_id");
      e->kind = pos_reader_dup_string (&r, o, "kind");
      e->at = pos_reader_dup_string (&r, o, "at");
      e->branch = pos_reader_dup_string (&r, o, "branch");
      e->staff = pos_reader_dup_string (&r, o, "staff");
      e->staff_name = pos_reader_dup_opt_string (&r, o, "staff_name");
      /* The body is the entry's own, different for every kind. */
      body = pos_reader_opt_object (&r, o, "body");
      e->receipt_no = pos_reader_dup_opt_string (&r, body, "receipt_no");
      for (guint j = 0; j < G_N_ELEMENTS (amounts) && !e->has_amount; j++)
        if (pos_reader_has (body, amounts[j]))
          {
            e->has_amount = TRUE;
            e->amount_fen = pos_reader_int (&r, body, amounts[j]);
          }
      g_ptr_array_add (events, e);
    }
  if (!pos_reader_finish (&r, error))
    return NULL;
  return g_steal_pointer (&events);
}

/* Levels, deposits, new cards ---------------------------------------------- */

void
pos_level_free (PosLevel *level)
{
  if (level == NULL)
    return;
  g_free (level->code);
  g_free (level->name);
  g_free (level);
}

GPtrArray *
pos_level_list_parse (JsonObject *result,
                      GError    **error)
{
  PosReader r;
  g_autoptr(GPtrArray) levels = g_ptr_array_new_with_free_func ((GDestroyNotify) pos_level_free);
  JsonArray *list;

  g_return_val_if_fail (result != NULL, NULL);
  pos_reader_init (&r, "level.list");
  list = pos_reader_array (&r, result, "levels");
  for (guint i = 0; list && i < json_array_get_length (list); i++)
    {
      JsonObject *o = pos_reader_element (&r, list, i);
      PosLevel *l = g_new0 (PosLevel, 1);

      l->code = pos_reader_dup_string (&r, o, "code");
      l->name = pos_reader_dup_string (&r, o, "name");
      l->price_percent = pos_reader_int (&r, o, "price_percent");
      g_ptr_array_add (levels, l);
    }
  if (!pos_reader_finish (&r, error))
    return NULL;
  return g_steal_pointer (&levels);
}

gboolean
pos_deposit_bonus_parse (JsonObject *result,
                         gint64     *out_bonus_fen,
                         GError    **error)
{
  PosReader r;

  g_return_val_if_fail (result != NULL && out_bonus_fen != NULL, FALSE);
  pos_reader_init (&r, "deposit.preview");
  *out_bonus_fen = pos_reader_int (&r, result, "bonus_fen");
  return pos_reader_finish (&r, error);
}

char *
pos_new_card_parse (JsonObject *result,
                    GError    **error)
{
  PosReader r;
  g_autofree char *card = NULL;

  g_return_val_if_fail (result != NULL, NULL);
  pos_reader_init (&r, "member card");
  card = pos_reader_dup_string (&r, result, "card_no");
  if (!pos_reader_finish (&r, error))
    return NULL;
  return g_steal_pointer (&card);
}
