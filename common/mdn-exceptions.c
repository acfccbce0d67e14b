/* mdn-exceptions.c: settling a member exception by writing it off (核销).
 *
 * An overdraft the server finds after merging offline spending opens a
 * member exception and puts the card on hold at every branch (see
 * mdn-sync.h). It is settled by a deposit that clears it, or by head
 * office writing it off: an entry at the HQ terminal whose movements bring
 * the member's stored value (principal and bonus) and points back to zero,
 * with the reason given. The server applies it like any entry, sees the
 * accounts no longer below zero, settles the exception and lifts the hold;
 * its reports count it as written_off_fen. Nothing is corrected silently:
 * the overdraft entries stay, and the write-off is a fact of its own.
 */
#define G_LOG_DOMAIN "mdn-exceptions"

#include <glib/gi18n-lib.h>
#include <inttypes.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-members.h"
#include "mdn-money.h"
#include "mdn-ops.h"

#define REASON_MAX_CHARS 200

/* exception.write_off {card, reason, amount_fen | amount?}: manager, HQ
 * terminal only. amount, when given, must be what the terminal's view says
 * is owed, so a write-off decided on stale figures is refused. */
static gboolean
op_write_off (MdnOpCtx   *ctx,
              JsonObject *args,
              JsonObject *result,
              GError    **error)
{
  g_autoptr(MdnMember) m = NULL;
  g_autoptr(MdnEntry) entry = NULL;
  g_autofree char *clean_reason = NULL;
  const char *reason = NULL;
  gint64 expected = -1, owed_fen, owed_points;

  if (!ctx->store->hq)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_HQ_ONLY,
                           _("Only the head-office terminal can write off a member exception"));
      return FALSE;
    }
  if (!mdn_args_string (args, "reason", TRUE, &reason, error) ||
      !mdn_args_money (args, "amount", FALSE, &expected, error))
    return FALSE;
  clean_reason = g_strstrip (g_strdup (reason));
  if (g_utf8_strlen (clean_reason, -1) > REASON_MAX_CHARS)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("The reason can be at most %d characters"), REASON_MAX_CHARS);
      return FALSE;
    }
  m = mdn_member_resolve_arg (ctx, args, error);
  if (m == NULL)
    return FALSE;

  owed_fen = m->principal_fen + m->bonus_fen < 0 ? -(m->principal_fen + m->bonus_fen) : 0;
  owed_points = m->points < 0 ? -m->points : 0;
  if (owed_fen == 0 && owed_points == 0)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("Card %s owes nothing: its balance and points are not below zero"), m->card_no);
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
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;

  g_message ("card %s: %" PRId64 " fen and %" PRId64 " points written off by %s",
             m->card_no, owed_fen, owed_points, ctx->staff);
  json_object_set_string_member (result, "member_id", m->id);
  json_object_set_string_member (result, "card_no", m->card_no);
  json_object_set_int_member (result, "written_off_fen", owed_fen);
  json_object_set_int_member (result, "written_off_points", owed_points);
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
  { "exception.write_off", NULL },
  { NULL }
};
