/* srv-rules.c: the server's business decisions, apart from any storage
 * (srv-rules.h). */
#define G_LOG_DOMAIN "srv-rules"

#include <glib/gi18n-lib.h>
#include <inttypes.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "srv-rules.h"
#include "srv-store.h"

gboolean
srv_rules_check_spend_request (const char *kind,
                               const char *item,
                               gint64      amount,
                               GError    **error)
{
  g_return_val_if_fail (kind != NULL, FALSE);

  if (!g_str_equal (kind, "balance") && !g_str_equal (kind, "points") && !g_str_equal (kind, "package"))
    {
      g_set_error (error, SRV_ERROR, SRV_ERROR_INVALID,
                   _("Unknown authorization kind “%s”; use balance, points or package"), kind);
      return FALSE;
    }
  if (amount <= 0 || amount > 1000000000000000 || (g_str_equal (kind, "package") && (item == NULL || *item == '\0')))
    {
      g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID,
                           _("An authorization needs a positive amount (and item for a package)"));
      return FALSE;
    }
  return TRUE;
}

gboolean
srv_rules_check_spend (gint64  available,
                       gint64  held,
                       gint64  amount,
                       GError **error)
{
  if (available - held < amount)
    {
      g_set_error (error, SRV_ERROR, SRV_ERROR_INSUFFICIENT,
                   _("Not enough: the member has %" PRId64 " available chain-wide, %"
                     PRId64 " is asked"), available - held, amount);
      return FALSE;
    }
  return TRUE;
}

gboolean
srv_rules_check_card_request (const char *auth_id,
                              const char *op,
                              const char *card_no,
                              gint64      rev,
                              GError    **error)
{
  if (op == NULL || (!g_str_equal (op, "member.lose") && !g_str_equal (op, "member.unlock") &&
                     !g_str_equal (op, "member.replace")) ||
      card_no == NULL || *card_no == '\0' || auth_id == NULL || *auth_id == '\0' || rev < 0 || rev > G_MAXINT32)
    {
      g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID,
                           _("A card authorization needs auth_id, op (member.lose, member.unlock or "
                             "member.replace), card_no and rev"));
      return FALSE;
    }
  return TRUE;
}

void
srv_card_state_clear (SrvCardState *state)
{
  g_clear_pointer (&state->pending_branch, g_free);
}

void
srv_rules_card_fold (SrvCardState *state,
                     const char   *held_op,
                     const char   *branch,
                     gint64        rev)
{
  g_return_if_fail (state != NULL && held_op != NULL);

  state->max_rev = MAX (state->max_rev, rev);
  if (g_str_equal (held_op, "member.lose"))
    state->lost = TRUE;
  else if (g_str_equal (held_op, "member.unlock"))
    state->lost = FALSE;
  else if (g_str_equal (held_op, "member.replace"))
    {
      g_free (state->pending_branch);
      state->pending_branch = g_strdup (branch);
      state->lost = FALSE;
    }
}

gboolean
srv_rules_check_card (const SrvCardState *state,
                      const char         *current,
                      const char         *op,
                      const char         *card_no,
                      GError            **error)
{
  g_return_val_if_fail (state != NULL && current != NULL && op != NULL && card_no != NULL, FALSE);

  if (!g_str_equal (current, card_no))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_CARD_REPLACED,
                   _("Card %s was replaced by card %s at another branch; use card %s"), card_no, current, current);
      return FALSE;
    }
  if (state->pending_branch)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_CARD_REPLACED,
                   _("Card %s is being replaced at branch %s right now; sync and look again"),
                   card_no, state->pending_branch);
      return FALSE;
    }
  if (g_str_equal (op, "member.lose") && state->lost)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_CARD_LOST,
                   _("Card %s has already been reported lost (at another branch)"), card_no);
      return FALSE;
    }
  if (g_str_equal (op, "member.unlock") && !state->lost)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_CARD_NOT_LOST,
                   _("Card %s is not reported lost (it was unlocked at another branch)"), card_no);
      return FALSE;
    }
  return TRUE;
}

gint64
srv_rules_card_rev (const SrvCardState *state,
                    gint64              rev)
{
  g_return_val_if_fail (state != NULL, rev);

  return MAX (rev, state->max_rev + 1);
}

gboolean
srv_rules_check_return_request (const char *auth_id,
                                gint64      refund_fen,
                                JsonArray  *lines,
                                GError    **error)
{
  g_return_val_if_fail (auth_id != NULL && lines != NULL, FALSE);

  if (*auth_id == '\0' || refund_fen < 0 || refund_fen > 1000000000000000)
    {
      g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID,
                           _("A return authorization needs auth_id and refund_fen"));
      return FALSE;
    }
  for (guint i = 0; i < json_array_get_length (lines); i++)
    {
      JsonNode *n = json_array_get_element (lines, i);
      JsonObject *o = JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
      const char *sku = NULL;
      gint64 qty = 0;

      if (o == NULL || !mdn_args_string (o, "sku", TRUE, &sku, NULL) ||
          !mdn_args_int (o, "qty", TRUE, &qty, NULL) || qty < 1 || qty > 1000000)
        {
          g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID,
                               _("Each returned line is {\"sku\", \"qty\"} with a quantity from 1"));
          return FALSE;
        }
    }
  return TRUE;
}

static void
overdrawn_clear (gpointer data)
{
  g_free (((SrvOverdrawn *) data)->item);
}

GArray *
srv_rules_overdrawn (gint64     principal,
                     gint64     bonus,
                     gint64     points,
                     JsonArray *uses)
{
  GArray *below = g_array_new (FALSE, TRUE, sizeof (SrvOverdrawn));

  g_array_set_clear_func (below, overdrawn_clear);
  if (principal + bonus < 0)
    {
      SrvOverdrawn o = { "balance", g_strdup (""), -(principal + bonus), FALSE };
      g_array_append_val (below, o);
    }
  if (points < 0)
    {
      SrvOverdrawn o = { "points", g_strdup (""), -points, FALSE };
      g_array_append_val (below, o);
    }
  for (guint i = 0; uses && i < json_array_get_length (uses); i++)
    {
      JsonObject *u = json_array_get_object_element (uses, i);
      SrvOverdrawn o = { "package", g_strdup (json_object_get_string_member (u, "sku")),
                         json_object_get_int_member (u, "owed"), FALSE };
      g_array_append_val (below, o);
    }
  return below;
}
