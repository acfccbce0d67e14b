/* mdn-exceptions.c: settling a member exception by writing it off (核销).
 *
 * An overdraft the server finds after merging offline spending opens a
 * member exception and puts the card on hold at every branch (see
 * mdn-sync.h): stored value (principal and bonus together) below zero,
 * points below zero, or a service's package uses below zero net across its
 * lots. It is settled by what makes it good (a deposit, points earned, a
 * package of the service bought), or by head office writing it off: an
 * entry at the HQ terminal whose movements bring the member's stored value,
 * points and overdrawn package uses back to zero, with the reason given.
 * The server applies it like any entry, sees the accounts no longer below
 * zero, settles the exceptions and lifts the hold; its reports count it as
 * written_off_fen. Nothing is corrected silently: the overdraft entries
 * stay, and the write-off is a fact of its own.
 *
 * A sale refunded beyond what it took in (returned at two branches that had
 * not seen each other's return) is an exception on the sale, without a
 * hold; head office closes it with a write-off naming the sale ("sale"),
 * which moves nothing and records that the chain bears the difference.
 */
#define G_LOG_DOMAIN "mdn-exceptions"

#include <glib/gi18n-lib.h>
#include <inttypes.h>

#include "mdn-error.h"
#include "mdn-exceptions.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-members.h"
#include "mdn-money.h"
#include "mdn-sales.h"
#include "mdn-op.h"
#include "mdn-selling.h"

#define REASON_MAX_CHARS 200

static gboolean
check_hq (MdnOpCtx *ctx,
          GError  **error)
{
  if (!ctx->store->hq)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_HQ_ONLY,
                           _("Only the head-office terminal can write off a member exception"));
      return FALSE;
    }
  return TRUE;
}

/* The lots of @item with uses, or owing them, as {lot, expires_on, remaining}. */
static JsonArray *
lots_of (MdnDb      *db,
         const char *member_id,
         const char *item,
         GError    **error)
{
  g_autoptr(JsonArray) lots = json_array_new ();
  sqlite3_stmt *stmt;
  int rc;

  stmt = mdn_db_query (db, error,
                       "SELECT lot, expires_on, remaining FROM member_packages "
                       "WHERE member_id = ? AND item = ? AND remaining != 0 ORDER BY lot", "ss", member_id, item);
  if (stmt == NULL)
    return NULL;
  while ((rc = mdn_db_step (db, stmt, error)) == SQLITE_ROW)
    {
      JsonObject *o = json_object_new ();

      json_object_set_string_member (o, "lot", mdn_db_col_text (stmt, 0));
      mdn_json_set_opt_string (o, "expires_on", mdn_db_col_text (stmt, 1));
      json_object_set_int_member (o, "remaining", sqlite3_column_int64 (stmt, 2));
      json_array_add_object_element (lots, o);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return NULL;
  return g_steal_pointer (&lots);
}

/* exception.write_off {sale, reason}: a sale refunded beyond its total. */
static gboolean
write_off_sale (MdnOpCtx   *ctx,
                const char *sale,
                const char *reason,
                JsonObject *result,
                GError    **error)
{
  g_autoptr(MdnEntry) entry = NULL;
  g_autoptr(MdnEntry) sold = NULL;
  g_autofree char *sale_id = NULL;
  gint64 total = 0, refunded = 0;
  sqlite3_stmt *stmt;
  int rc;

  stmt = mdn_db_query (ctx->db, error, "SELECT entry_id FROM receipts WHERE receipt_no = ?1 OR entry_id = ?1",
                       "s", sale);
  if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    sale_id = g_strdup (mdn_db_col_text (stmt, 0));
  sqlite3_reset (stmt);
  if (sale_id == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_ENTRY, _("There is no receipt %s here"), sale);
      return FALSE;
    }
  sold = mdn_entry_load (ctx->db, sale_id, error);
  if (sold == NULL || !mdn_sale_refunded (ctx->db, sale_id, &total, &refunded, error))
    return FALSE;
  if (refunded <= total)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("Receipt %s was not refunded beyond what it took in; there is nothing to write off"),
                   mdn_body_string (sold->body, "receipt_no"));
      return FALSE;
    }
  entry = mdn_entry_new ("exception.write_off", sold->member_id);
  json_object_set_string_member (entry->body, "reason", reason);
  json_object_set_string_member (entry->body, "sale_entry", sale_id);
  json_object_set_string_member (entry->body, "sale_receipt_no", mdn_body_string (sold->body, "receipt_no"));
  json_object_set_int_member (entry->body, "written_off_fen", refunded - total);
  json_object_set_int_member (entry->body, "written_off_points", 0);
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  g_message ("receipt %s: %" PRId64 " fen over-refunded written off by %s",
             mdn_body_string (sold->body, "receipt_no"), refunded - total, ctx->staff);
  json_object_set_string_member (result, "sale_entry", sale_id);
  json_object_set_string_member (result, "sale_receipt_no", mdn_body_string (sold->body, "receipt_no"));
  json_object_set_int_member (result, "written_off_fen", refunded - total);
  return TRUE;
}

/* exception.write_off {card | sale, reason, amount_fen | amount?}: manager,
 * HQ terminal only. amount, when given, must be what the terminal's view
 * says the card owes in fen, so a write-off decided on stale figures is
 * refused. */
static gboolean
op_write_off (MdnOpCtx   *ctx,
              JsonObject *args,
              JsonObject *result,
              GError    **error)
{
  g_autoptr(MdnMember) m = NULL;
  g_autoptr(MdnEntry) entry = NULL;
  g_autoptr(JsonArray) overdrawn = NULL;
  g_autofree char *clean_reason = NULL;
  const char *reason = NULL, *sale = NULL;
  gint64 expected = -1, owed_fen, owed_points;
  JsonArray *uses;

  if (!check_hq (ctx, error))
    return FALSE;
  if (!mdn_args_string (args, "reason", TRUE, &reason, error) ||
      !mdn_args_string (args, "sale", FALSE, &sale, error) ||
      !mdn_args_money (args, "amount", FALSE, &expected, error))
    return FALSE;
  clean_reason = g_strstrip (g_strdup (reason));
  if (g_utf8_strlen (clean_reason, -1) > REASON_MAX_CHARS)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("The reason can be at most %d characters"), REASON_MAX_CHARS);
      return FALSE;
    }
  if (sale)
    return write_off_sale (ctx, sale, clean_reason, result, error);
  m = mdn_member_resolve_arg (ctx, args, error);
  if (m == NULL)
    return FALSE;

  owed_fen = m->principal_fen + m->bonus_fen < 0 ? -(m->principal_fen + m->bonus_fen) : 0;
  owed_points = m->points < 0 ? -m->points : 0;
  overdrawn = mdn_package_overdrawn (ctx->db, m->id, error);
  if (overdrawn == NULL)
    return FALSE;
  if (owed_fen == 0 && owed_points == 0 && json_array_get_length (overdrawn) == 0)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("Card %s owes nothing: its balance, points and package uses are not below zero"),
                   m->card_no);
      return FALSE;
    }
  if (expected >= 0 && expected != owed_fen)
    {
      g_autofree char *owed = mdn_money_format (owed_fen);
      g_autofree char *asked = mdn_money_format (expected);

      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("Card %s owes %s here, not %s; sync and look again before writing it off"),
                   m->card_no, owed, asked);
      return FALSE;
    }

  entry = mdn_entry_new ("exception.write_off", m->id);
  json_object_set_string_member (entry->body, "card_no", m->card_no);
  json_object_set_string_member (entry->body, "reason", clean_reason);
  json_object_set_int_member (entry->body, "written_off_fen", owed_fen);
  json_object_set_int_member (entry->body, "written_off_points", owed_points);
  /* Principal and bonus both end at zero: a bonus still above zero offsets
   * the principal owed, so exactly the net overdraft is written off. */
  if (owed_fen > 0)
    {
      mdn_entry_add_movement (entry, m->id, "principal", NULL, NULL, NULL, -m->principal_fen);
      mdn_entry_add_movement (entry, m->id, "bonus", NULL, NULL, NULL, -m->bonus_fen);
    }
  if (owed_points > 0)
    mdn_entry_add_movement (entry, m->id, "points", NULL, NULL, NULL, owed_points);
  /* Likewise every lot of an overdrawn service ends at zero: the lots with
   * uses left offset the ones below zero, so exactly the net is written off. */
  uses = json_array_new ();
  json_object_set_array_member (entry->body, "written_off_uses", uses);
  for (guint i = 0; i < json_array_get_length (overdrawn); i++)
    {
      JsonObject *o = json_array_get_object_element (overdrawn, i);
      const char *sku = json_object_get_string_member (o, "sku");
      g_autoptr(JsonArray) lots = lots_of (ctx->db, m->id, sku, error);
      JsonObject *u;

      if (lots == NULL)
        return FALSE;
      for (guint j = 0; j < json_array_get_length (lots); j++)
        {
          JsonObject *l = json_array_get_object_element (lots, j);

          mdn_entry_add_movement (entry, m->id, "package", sku, json_object_get_string_member (l, "lot"),
                                  mdn_body_string (l, "expires_on"),
                                  -json_object_get_int_member (l, "remaining"));
        }
      u = json_object_new ();
      json_object_set_string_member (u, "sku", sku);
      json_object_set_int_member (u, "uses", json_object_get_int_member (o, "owed"));
      json_array_add_object_element (uses, u);
    }
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;

  g_message ("card %s: %" PRId64 " fen, %" PRId64 " points and %u services' uses written off by %s",
             m->card_no, owed_fen, owed_points, json_array_get_length (uses), ctx->staff);
  json_object_set_string_member (result, "member_id", m->id);
  json_object_set_string_member (result, "card_no", m->card_no);
  json_object_set_int_member (result, "written_off_fen", owed_fen);
  json_object_set_int_member (result, "written_off_points", owed_points);
  json_object_set_array_member (result, "written_off_uses", json_array_ref (uses));
  json_object_set_int_member (result, "balance_fen", owed_fen > 0 ? 0 : m->principal_fen + m->bonus_fen);
  json_object_set_int_member (result, "points", owed_points > 0 ? 0 : m->points);
  return TRUE;
}

const MdnOpDef mdn_exception_ops[] = {
  { "exception.write_off", MDN_ROLE_MANAGER, MDN_OP_WRITE | MDN_OP_HQ, op_write_off },
  { NULL }
};

/* Movements only: the balances are the sums of movements. */
const MdnKindDef mdn_exception_kinds[] = {
  { "exception.write_off", NULL, MDN_KIND_MASTER },
  { NULL }
};
