/* mdn-spend.c: the spend protocol of a linked branch (mdn-sync.h,
 * "Spending stored value at a linked branch"): mdn_spend_prepare asks the
 * server before an MDN_OP_SPEND operation, mdn_spend_finish after it. The
 * registry calls them through the hooks mdn_branch_init installs. */
#define G_LOG_DOMAIN "mdn-spend"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <string.h>

#include "mdn-card.h"
#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-id.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-lockout.h"
#include "mdn-members.h"
#include "mdn-money.h"
#include "mdn-ops.h"
#include "mdn-sync-private.h"
#include "mdn-sync.h"

/* Spending at a linked branch --------------------------------------------------------- */

static void
spend_free (MdnSpend *sp)
{
  g_clear_pointer (&sp->now, g_date_time_unref);
  g_free (sp->member_id);
  g_free (sp->kind);
  g_free (sp->item);
  g_free (sp->auth_id);
  g_clear_pointer (&sp->detail, json_object_unref);
  g_free (sp);
}

/* The server's 409: the chain-wide figure can't cover it. Another branch
 * spent it meanwhile (or this branch hasn't pulled that yet). */
static void
set_insufficient (MdnSpend *sp,
                  GError  **error)
{
  if (g_str_equal (sp->kind, "points"))
    g_set_error (error, MDN_ERROR, MDN_ERROR_INSUFFICIENT_POINTS,
                 _("The card hasn't %" PRId64 " points left across the chain (they were used at "
                   "another branch); redeem fewer"), sp->amount);
  else if (g_str_equal (sp->kind, "package"))
    g_set_error (error, MDN_ERROR, MDN_ERROR_INSUFFICIENT_PACKAGE,
                 _("The card hasn't %" PRId64 " uses of %s left across the chain (they were used at "
                   "another branch)"), sp->amount, sp->item);
  else
    {
      g_autofree char *want = mdn_money_format (sp->amount);

      g_set_error (error, MDN_ERROR, MDN_ERROR_INSUFFICIENT_BALANCE,
                   _("The card hasn't %s left across the chain (it was spent at another branch); "
                     "pay the rest another way"), want);
    }
}

/* The server's refusal of a PIN (it checks it, and counts it chain-wide):
 * the cashier's message, in this branch's language. A lock is kept here
 * too, so that it holds if the server can't be reached next time. */
static gboolean
pin_refused (MdnOpCtx   *ctx,
             MdnSpend   *sp,
             const char *code,
             JsonObject *e,
             GError    **error)
{
  gint64 now = g_date_time_to_unix (sp->now);

  if (g_str_equal (code, "pin_required"))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_PIN_REQUIRED,
                           _("This card has a PIN; ask the member to enter it"));
      return TRUE;
    }
  if (g_str_equal (code, "pin_locked"))
    {
      gint64 until = json_object_get_int_member_with_default (e, "locked_until", 0);
      g_autoptr(GError) local_error = NULL;

      if (until <= now)
        until = now + MDN_LOCKOUT_SECONDS;
      if (!mdn_lockout_mirror (ctx->db, "pin", sp->member_id, until, &local_error))
        g_warning ("PIN lock not kept: %s", local_error->message);
      mdn_set_locked_error (error, MDN_ERROR_PIN_LOCKED, until, now);
      return TRUE;
    }
  if (g_str_equal (code, "wrong_pin"))
    {
      gint64 left = CLAMP (json_object_get_int_member_with_default (e, "attempts_left", 1), 1,
                           mdn_pin_max_failures (ctx->db));

      g_set_error (error, MDN_ERROR, MDN_ERROR_WRONG_PIN,
                   g_dngettext (GETTEXT_PACKAGE,
                                "Wrong PIN; ask the member to enter it again (%d more wrong try locks "
                                "paying from this card for 15 minutes)",
                                "Wrong PIN; ask the member to enter it again (%d more wrong tries lock "
                                "paying from this card for 15 minutes)", (gulong) left),
                   (int) left);
      return TRUE;
    }
  return FALSE;
}

/* Asks the server to hold sp->amount for this spend. Only a definite “not
 * enough” or a PIN refusal refuses; a server that can't be reached (or answers nonsense)
 * leaves the spend to the offline allowance. */
static gboolean
spend_authorize (MdnOpCtx   *ctx,
                 MdnSpend   *sp,
                 const char *pin,
                 GError    **error)
{
  g_auto(Client) c = { 0 };
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(JsonObject) refusal = NULL;
  g_autofree char *uuid = mdn_uuid7_new ();
  g_autofree char *member = g_uri_escape_string (sp->member_id, NULL, FALSE);
  g_autofree char *path = g_strdup_printf ("/api/v1/members/%s/authorize", member);

  sp->auth_id = g_strconcat (ctx->store->branch_code, "-", uuid, NULL);
  json_object_set_string_member (body, "auth_id", sp->auth_id);
  json_object_set_int_member (body, "amount_fen", sp->amount);
  json_object_set_string_member (body, "kind", sp->kind);
  if (sp->item)
    json_object_set_string_member (body, "item", sp->item);
  /* Over TLS (or loopback) only; the server checks it and counts wrong ones. */
  if (pin && *pin && g_str_equal (sp->kind, "balance"))
    json_object_set_string_member (body, "pin", pin);

  if (mdn_sync_client_init (&c, ctx->store, &local_error))
    {
      /* The cashier is waiting: a server that doesn't answer at once is
         treated as down. */
      gint64 acked = 0;
      MdnSyncResult pushed = { 0 };

      soup_session_set_timeout (c.session, MDN_SPEND_TIMEOUT_S);
      soup_session_set_idle_timeout (c.session, MDN_SPEND_TIMEOUT_S);
      /* The server judges by what it holds: this branch's own entries go
         first, so that a deposit or points earned here a moment ago count. */
      if (mdn_sync_check_state (&c, NULL, &acked, &local_error) &&
                                mdn_sync_push (&c, acked, &pushed, NULL, &local_error) &&
                                mdn_sync_report_pin_failures (&c, NULL, &local_error))
        answer = mdn_sync_client_call (&c, "POST", path, body, NULL, &refusal, &local_error);
    }
  if (answer && json_object_get_boolean_member_with_default (answer, "granted", FALSE))
    {
      sp->mode = MDN_SPEND_ONLINE;
      sp->pin_checked = json_object_get_boolean_member_with_default (answer, "pin_checked", FALSE);
      return TRUE;
    }
  g_clear_pointer (&sp->auth_id, g_free);
  if (refusal && json_object_has_member (refusal, "error"))
    {
      JsonObject *e = json_object_get_object_member (refusal, "error");
      const char *code = json_object_get_string_member_with_default (e, "code", "");

      if (g_str_equal (code, "insufficient_balance"))
        {
          set_insufficient (sp, error);
          return FALSE;
        }
      if (pin_refused (ctx, sp, code, e, error))
        return FALSE;
      if (g_str_equal (code, "not_found"))
        {
          /* Issued here and not pushed yet: no other branch knows the card,
             so what this branch holds is all of it. */
          sp->mode = MDN_SPEND_LOCAL;
          return TRUE;
        }
    }
  g_message ("spending offline: %s", local_error ? local_error->message : "no authorization");
  sp->mode = MDN_SPEND_OFFLINE;
  return TRUE;
}

/* Changes the server authorizes: card operations and returns ------------------------ */

/* Runs the operation as a probe, on what the branch holds now. */
static gboolean
chain_probe (MdnOpCtx       *ctx,
             const MdnOpDef *def,
             JsonObject     *args,
             MdnSpend       *sp,
             GError        **error)
{
  g_autoptr(JsonObject) probe = NULL;

  g_clear_pointer (&sp->member_id, g_free);
  g_clear_pointer (&sp->kind, g_free);
  g_clear_pointer (&sp->item, g_free);
  g_clear_pointer (&sp->detail, json_object_unref);
  sp->amount = 0;
  sp->recorded = FALSE;
  sp->mode = MDN_SPEND_PROBE;
  if (!mdn_db_begin (ctx->db, TRUE, error))
    return FALSE;
  probe = mdn_ops_call_in_transaction (ctx, def, args, error);
  mdn_db_rollback (ctx->db);
  return probe != NULL;
}

/* The refusals of the server that the branch passes on as they are. */
static gboolean
chain_refusal (JsonObject *refusal,
               GError    **error)
{
  static const int passed_on[] = {
    MDN_ERROR_RETURN_EXCEEDS, MDN_ERROR_PACKAGE_CONSUMED, MDN_ERROR_CARD_LOST,
    MDN_ERROR_CARD_NOT_LOST, MDN_ERROR_CARD_REPLACED,
  };
  JsonObject *e;
  const char *code;

  if (refusal == NULL || !json_object_has_member (refusal, "error"))
    return FALSE;
  e = json_object_get_object_member (refusal, "error");
  code = e ? json_object_get_string_member_with_default (e, "code", "") : "";
  for (guint i = 0; i < G_N_ELEMENTS (passed_on); i++)
    if (g_str_equal (code, mdn_error_code_name (passed_on[i])))
      {
        g_set_error_literal (error, MDN_ERROR, passed_on[i],
                             json_object_get_string_member_with_default (e, "message", code));
        return TRUE;
      }
  return FALSE;
}

/* A card operation or a return at a linked branch (MDN_OP_CHAIN). What
 * another branch did to the card or the sale must count, so the branch
 * first brings its view up to date (push, then pull the feed) and runs the
 * probe on it: a return of what another branch returned already, or a loss
 * report of a card replaced elsewhere, is refused here with the local
 * rules' message.
 * Then the server authorizes it against the chain-wide state, idempotently
 * by auth_id (POST /api/v1/members/{id}/card, /api/v1/sales/{entry}/return):
 * granted → online; refused (return_exceeds, package_consumed, card_lost,
 * card_not_lost, card_replaced) → refused with the server's message;
 * 404 (the sale or card is only here) → local; no answer → offline. */
static gboolean
chain_prepare (MdnOpCtx       *ctx,
               const MdnOpDef *def,
               JsonObject     *args,
               MdnSpend       *sp,
               GError        **error)
{
  g_auto(Client) c = { 0 };
  g_autoptr(GError) local_error = NULL;
  g_autoptr(JsonObject) body = json_object_new ();
  g_autoptr(JsonObject) answer = NULL;
  g_autoptr(JsonObject) refusal = NULL;
  g_autofree char *uuid = mdn_uuid7_new ();
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  gboolean reachable = FALSE;

  if (mdn_sync_client_init (&c, ctx->store, &local_error))
    {
      gint64 acked = 0;
      MdnSyncResult synced = { 0 };

      soup_session_set_timeout (c.session, MDN_SPEND_TIMEOUT_S);
      soup_session_set_idle_timeout (c.session, MDN_SPEND_TIMEOUT_S);
      reachable = mdn_sync_check_state (&c, NULL, &acked, &local_error) &&
                  mdn_sync_push (&c, acked, &synced, NULL, &local_error) &&
                  mdn_sync_pull (&c, &synced, NULL, &local_error);
    }
  /* On the view as it is now (also after a pull cut short). */
  if (!chain_probe (ctx, def, args, sp, error))
    return FALSE;
  if (!sp->recorded)
    {
      sp->mode = MDN_SPEND_NONE;
      return TRUE;
    }
  if (reachable)
    {
      sp->auth_id = g_strconcat (ctx->store->branch_code, "-", uuid, NULL);
      json_object_set_string_member (body, "auth_id", sp->auth_id);
      if (g_str_equal (sp->kind, "card"))
        {
          escaped = g_uri_escape_string (sp->member_id, NULL, FALSE);
          path = g_strdup_printf ("/api/v1/members/%s/card", escaped);
          json_object_set_string_member (body, "op", sp->item);
          json_object_set_int_member (body, "rev", sp->amount);
        }
      else
        {
          escaped = g_uri_escape_string (sp->item, NULL, FALSE);
          path = g_strdup_printf ("/api/v1/sales/%s/return", escaped);
          json_object_set_int_member (body, "refund_fen", sp->amount);
        }
      if (sp->detail)
        {
          g_autoptr(GList) names = json_object_get_members (sp->detail);

          for (GList *l = names; l; l = l->next)
            json_object_set_member (body, l->data, json_node_copy (json_object_get_member (sp->detail, l->data)));
        }
      answer = mdn_sync_client_call (&c, "POST", path, body, NULL, &refusal, &local_error);
    }
  if (answer && json_object_get_boolean_member_with_default (answer, "granted", FALSE))
    {
      sp->mode = MDN_SPEND_ONLINE;
      sp->granted = json_object_get_int_member_with_default (answer, "rev", 0);
      return TRUE;
    }
  g_clear_pointer (&sp->auth_id, g_free);
  if (chain_refusal (refusal, error))
    return FALSE;
  if (refusal && json_object_has_member (refusal, "error"))
    {
      JsonObject *e = json_object_get_object_member (refusal, "error");

      if (e && g_str_equal (json_object_get_string_member_with_default (e, "code", ""), "not_found"))
        {
          sp->mode = MDN_SPEND_LOCAL;
          return TRUE;
        }
    }
  g_message ("%s offline: %s", def->name, local_error ? local_error->message : "no authorization");
  sp->mode = MDN_SPEND_OFFLINE;
  return TRUE;
}

/* See mdn-sync.h. On failure ctx->spend is left for mdn_spend_finish(). */
gboolean
mdn_spend_prepare (MdnOpCtx       *ctx,
                   const MdnOpDef *def,
                   JsonObject     *args,
                   GError        **error)
{
  g_autoptr(JsonObject) probe = NULL;
  MdnSpend *sp;

  g_return_val_if_fail (ctx != NULL && def != NULL, FALSE);
  g_return_val_if_fail (ctx->spend == NULL, FALSE);

  if (!mdn_sync_is_linked (ctx->store))
    return TRUE;
  sp = ctx->spend = g_new0 (MdnSpend, 1);
  sp->mode = MDN_SPEND_PROBE;
  sp->now = mdn_clock_now ();
  if (def->flags & MDN_OP_CHAIN)
    return chain_prepare (ctx, def, args, sp, error);

  if (!mdn_db_begin (ctx->db, TRUE, error))
    return FALSE;
  probe = mdn_ops_call_in_transaction (ctx, def, args, error);
  mdn_db_rollback (ctx->db);
  if (probe == NULL)
    return FALSE;
  if (!sp->recorded)
    {
      sp->mode = MDN_SPEND_NONE;
      return TRUE;
    }
  return spend_authorize (ctx, sp, mdn_body_string (args, "pin"), error);
}

/* Tells the caller how the spend went ("offline", "auth_id") and forgets
 * it. @result is NULL when the operation failed. */
void
mdn_spend_finish (MdnOpCtx   *ctx,
                  JsonObject *result)
{
  MdnSpend *sp;

  g_return_if_fail (ctx != NULL);

  sp = g_steal_pointer (&ctx->spend);
  if (sp == NULL)
    return;
  if (result && sp->used)
    {
      json_object_set_boolean_member (result, "offline", sp->mode == MDN_SPEND_OFFLINE);
      if (sp->mode == MDN_SPEND_ONLINE)
        json_object_set_string_member (result, "auth_id", sp->auth_id);
    }
  spend_free (sp);
}
