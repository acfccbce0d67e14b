/* srv-authorize.c: spend, card and return authorizations and the wrong
 * PINs of offline branches (srv-authorize.h), over the storage interface. */
#define G_LOG_DOMAIN "srv-authorize"

#include <glib/gi18n-lib.h>

#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-lockout.h"
#include "mdn-money.h"
#include "mdn-sales.h"
#include "srv-authorize.h"
#include "srv-rules.h"

static gint64 auth_ttl_seconds = 600;

void
srv_authorize_set_ttl (gint64 seconds)
{
  auth_ttl_seconds = MAX (seconds, 1);
}

static char *
now_iso (void)
{
  g_autoptr(GDateTime) now = mdn_clock_now ();

  return mdn_clock_format (now);
}

static gint64
now_unix (void)
{
  g_autoptr(GDateTime) now = mdn_clock_now ();

  return g_date_time_to_unix (now);
}

static SrvAuthorization *
auth_new (const char *auth_id,
          const char *member_id,
          const char *branch,
          const char *kind,
          const char *item,
          gint64      amount,
          const char *status,
          gint64      expires_at)
{
  SrvAuthorization *auth = g_new0 (SrvAuthorization, 1);

  auth->auth_id = g_strdup (auth_id);
  auth->member_id = g_strdup (member_id);
  auth->branch = g_strdup (branch);
  auth->kind = g_strdup (kind);
  auth->item = g_strdup (item);
  auth->amount = amount;
  auth->status = g_strdup (status);
  auth->expires_at = expires_at;
  return auth;
}

/* What the member's live holds of @kind and @item add up to. */
static gboolean
held_sum (SrvStore   *store,
          const char *member_id,
          const char *kind,
          const char *item,
          gint64     *out,
          GError    **error)
{
  g_autoptr(GPtrArray) held = srv_store_authorizations_held (store, member_id, kind, item, error);

  *out = 0;
  if (held == NULL)
    return FALSE;
  for (guint i = 0; i < held->len; i++)
    if (!mdn_money_add (*out, ((SrvAuthorization *) g_ptr_array_index (held, i))->amount, out, error))
      return FALSE;
  return TRUE;
}

/* A conditional debit against the chain-wide balance: granted when what the
 * member holds, less what other live authorizations hold, covers @amount.
 * The same @auth_id again returns the first answer and holds nothing more. */
SrvAuthorization *
srv_authorize (SrvStore      *store,
               const char    *branch_code,
               const char    *member_id,
               const char    *auth_id,
               const char    *kind,
               const char    *item,
               gint64         amount,
               const char    *pin,
               SrvPinRefusal *refusal,
               GError       **error)
{
  g_autoptr(SrvAuthorization) out = NULL;
  g_autoptr(SrvAuthorization) earlier = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *at = now_iso ();
  g_autofree char *today = NULL;
  gint64 now = now_unix (), available = 0, held = 0;
  gboolean pin_checked = FALSE, found;
  SrvAccounts accounts;

  g_return_val_if_fail (store != NULL, NULL);

  if (refusal)
    refusal->locked_until = refusal->attempts_left = 0;
  if (!srv_rules_check_spend_request (kind, item, amount, error))
    return NULL;
  if (item == NULL)
    item = "";
  {
    g_autoptr(GDateTime) dt = mdn_clock_now ();
    today = mdn_clock_business_date (dt, srv_store_timezone (store));
  }

  if (!srv_store_begin (store, TRUE, error))
    return NULL;

  earlier = srv_store_authorization_get (store, auth_id, &local_error);
  if (local_error)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      goto fail;
    }
  if (earlier)
    {
      gboolean same = g_str_equal (earlier->member_id, member_id) && g_str_equal (earlier->kind, kind) &&
                      g_str_equal (earlier->item, item) && earlier->amount == amount;

      srv_store_rollback (store);
      if (!same)
        {
          g_set_error (error, SRV_ERROR, SRV_ERROR_DUPLICATE,
                       _("Authorization %s was already given for something else"), auth_id);
          return NULL;
        }
      earlier->duplicate = TRUE;
      return g_steal_pointer (&earlier);
    }

  /* Expired holds release themselves. */
  if (!srv_store_authorizations_release_expired (store, member_id, now, error))
    goto fail;

  if (g_str_equal (kind, "package") &&
      /* Net across the service's lots, as the branch judges it. */
      !srv_store_package_available (store, member_id, item, today, &available, error))
    goto fail;
  if (!srv_store_member_accounts (store, member_id, &found, &accounts, error))
    goto fail;
  if (!found)
    {
      g_set_error (error, SRV_ERROR, SRV_ERROR_NOT_FOUND, _("No member %s in the chain"), member_id);
      goto fail;
    }
  if (g_str_equal (kind, "points"))
    available = accounts.points;
  else if (!g_str_equal (kind, "package"))
    available = accounts.principal + accounts.bonus;   /* each within MDN_MONEY_MAX (srv_push) */

  /* Stored value needs the card's PIN, checked here against the hash the
     chain holds, with the chain-wide count of wrong ones (mdn_pin_verify,
     the branches' rule). A wrong one is counted and committed. */
  if (g_str_equal (kind, "balance"))
    {
      g_autofree char *pin_hash = NULL;
      gboolean wrong = FALSE;

      if (!srv_store_member_pin_hash (store, member_id, &pin_hash, error))
        goto fail;
      pin_checked = pin_hash != NULL && *pin_hash != '\0';
      if (!srv_store_pin_verify (store, member_id, pin_hash, pin, now, &wrong, error))
        {
          MdnLockout after = { 0 }, before = { 0 };

          if (!wrong)
            srv_store_pin_lockout (store, member_id, now, &before, NULL);
          if (wrong && (!srv_store_pin_fail (store, member_id, now, 1, &after, NULL) ||
                        !srv_store_commit (store, NULL)))
            g_warning ("a wrong PIN for %s was not counted", member_id);
          srv_store_rollback (store);
          if (refusal)
            {
              refusal->locked_until = wrong ? after.locked_until : before.locked_until;
              refusal->attempts_left = srv_store_pin_max_failures (store) - after.failures;
            }
          return NULL;
        }
    }

  if (!held_sum (store, member_id, kind, item, &held, error))
    goto fail;
  if (!srv_rules_check_spend (available, held, amount, error))
    goto fail;
  out = auth_new (auth_id, member_id, branch_code, kind, item, amount, "held", now + auth_ttl_seconds);
  if (!srv_store_authorization_hold (store, out, at, error))
    goto fail;
  if (!srv_store_commit (store, error))
    return NULL;

  out->duplicate = FALSE;
  out->pin_checked = pin_checked;
  out->available = available - held - amount;
  return g_steal_pointer (&out);

fail:
  srv_store_rollback (store);
  return NULL;
}

/* Wrong PINs a branch checked while it could not ask (offline): added to
 * the chain-wide count of each card. Unknown members are skipped (a card
 * not pushed yet). The answer is every PIN lock now. */
GPtrArray *
srv_pin_failures (SrvStore            *store,
                  const SrvPinFailure *failures,
                  guint                n_failures,
                  gint64              *counted,
                  GError             **error)
{
  g_autoptr(GPtrArray) locks = NULL;
  gint64 now = now_unix (), total = 0;

  g_return_val_if_fail (store != NULL && (failures != NULL || n_failures == 0), NULL);
  g_return_val_if_fail (counted != NULL, NULL);

  if (n_failures > SRV_MAX_PIN_FAILURES)
    {
      g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID, _("At most 500 failures in one report"));
      return NULL;
    }
  for (guint i = 0; i < n_failures; i++)
    if (failures[i].member_id == NULL || failures[i].count < 1 || failures[i].count > 100)
      {
        g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID, _("A count of wrong PINs is 1 to 100"));
        return NULL;
      }
  if (!srv_store_begin (store, TRUE, error))
    return NULL;
  for (guint i = 0; i < n_failures; i++)
    {
      const char *member = failures[i].member_id;
      gboolean found;

      if (!srv_store_member_exists (store, member, &found, error))
        goto fail;
      if (!found)
        continue;
      if (!srv_store_pin_fail (store, member, now, failures[i].count, NULL, error))
        goto fail;
      total += failures[i].count;
    }
  if ((locks = srv_store_pin_locks (store, now, error)) == NULL || !srv_store_commit (store, error))
    goto fail;
  *counted = total;
  return g_steal_pointer (&locks);

fail:
  srv_store_rollback (store);
  return NULL;
}

/* An earlier authorization with @auth_id: *out_same says whether it was
 * given for the same thing (then *out_amount is what it held); FALSE on a
 * database error. */
static gboolean
auth_lookup (SrvStore   *store,
             const char *auth_id,
             const char *member_id,
             const char *kind,
             const char *item,
             const char *detail,
             gboolean   *out_found,
             gboolean   *out_same,
             gint64     *out_amount,
             GError    **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autoptr(SrvAuthorization) earlier = srv_store_authorization_get (store, auth_id, &local_error);

  *out_found = *out_same = FALSE;
  if (local_error)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (earlier)
    {
      *out_found = TRUE;
      *out_same = g_strcmp0 (earlier->member_id, member_id) == 0 && g_str_equal (earlier->kind, kind) &&
                  g_str_equal (earlier->item, item) && g_strcmp0 (earlier->detail, detail) == 0;
      *out_amount = earlier->amount;
    }
  return TRUE;
}

static SrvGrant *
chain_granted (const char *auth_id,
               const char *kind,
               const char *item,
               gint64      amount,
               gboolean    duplicate)
{
  SrvGrant *out = g_new0 (SrvGrant, 1);

  out->auth_id = g_strdup (auth_id);
  out->kind = g_strdup (kind);
  out->item = g_strdup (item);
  out->amount = amount;
  out->duplicate = duplicate;
  return out;
}

/* A card operation (@op: member.lose, member.unlock or member.replace) of
 * the card @card_no at a branch, against the chain-wide card state: the
 * member's projected card, then the card operations other branches were
 * authorized for and have not pushed yet, in the order of their revs.
 * Refused with card_replaced (the branch is behind: the card was replaced,
 * or is being replaced, elsewhere), card_lost (reported lost already) or
 * card_not_lost (unlocked already). Granted, it holds like a spend and
 * gives the entry's rev: one more than every state entry and card
 * authorization of the member, so operations authorized one after the
 * other are ordered as they happened whatever the branches' clocks say.
 * The same @auth_id again gives the first answer. */
SrvGrant *
srv_authorize_card (SrvStore   *store,
                    const char *branch_code,
                    const char *member_id,
                    const char *auth_id,
                    const char *op,
                    const char *card_no,
                    gint64      rev,
                    GError    **error)
{
  g_autofree char *at = now_iso ();
  g_autofree char *current = NULL;
  g_auto(SrvCardState) card = { FALSE, NULL, 0 };
  g_autoptr(GPtrArray) held = NULL;
  g_autoptr(SrvAuthorization) hold = NULL;
  gint64 now = now_unix (), amount = 0;
  gboolean found, same;

  g_return_val_if_fail (store != NULL && member_id != NULL && auth_id != NULL, NULL);

  if (!srv_rules_check_card_request (auth_id, op, card_no, rev, error))
    return NULL;
  if (!srv_store_begin (store, TRUE, error))
    return NULL;
  if (!auth_lookup (store, auth_id, member_id, "card", op, card_no, &found, &same, &amount, error))
    goto fail;
  if (found)
    {
      srv_store_rollback (store);
      if (!same)
        {
          g_set_error (error, SRV_ERROR, SRV_ERROR_DUPLICATE,
                       _("Authorization %s was already given for something else"), auth_id);
          return NULL;
        }
      return chain_granted (auth_id, "card", op, amount, TRUE);
    }
  if (!srv_store_authorizations_release_expired (store, member_id, now, error))
    goto fail;

  if (!srv_store_member_card (store, member_id, &current, &card.lost, error))
    goto fail;
  if (current == NULL)
    {
      g_set_error (error, SRV_ERROR, SRV_ERROR_NOT_FOUND, _("No member %s in the chain"), member_id);
      goto fail;
    }
  card.max_rev = srv_store_member_state_rev (store, member_id, error);
  if (card.max_rev < 0)
    goto fail;

  held = srv_store_authorizations_held (store, member_id, "card", NULL, error);
  if (held == NULL)
    goto fail;
  for (guint i = 0; i < held->len; i++)
    {
      SrvAuthorization *h = g_ptr_array_index (held, i);

      srv_rules_card_fold (&card, h->item, h->branch, h->amount);
    }

  if (!srv_rules_check_card (&card, current, op, card_no, error))
    goto fail;

  rev = srv_rules_card_rev (&card, rev);
  hold = auth_new (auth_id, member_id, branch_code, "card", op, rev, "held", now + auth_ttl_seconds);
  hold->detail = g_strdup (card_no);
  if (!srv_store_authorization_hold (store, hold, at, error) || !srv_store_commit (store, error))
    goto fail;
  return chain_granted (auth_id, "card", op, rev, FALSE);

fail:
  srv_store_rollback (store);
  return NULL;
}

/* A return of @refund_fen (and, for a sale by lines, of @lines
 * [{sku, qty}]) of @sale_id at a branch, against what remains returnable
 * of it chain-wide: what the returns the server holds left, less what live
 * return authorizations hold (mdn_sale_return_check, the branch's rules).
 * Refused with return_exceeds or package_consumed; 404 for a sale the
 * chain does not share (no card: only its own branch knows it). */
SrvGrant *
srv_authorize_return (SrvStore   *store,
                      const char *branch_code,
                      const char *sale_id,
                      const char *auth_id,
                      gint64      refund_fen,
                      JsonArray  *lines,
                      GError    **error)
{
  g_autoptr(GArray) asked = mdn_return_lines_new ();
  g_autoptr(GArray) held_lines = mdn_return_lines_new ();
  g_autoptr(GArray) held_uses = mdn_return_lines_new ();
  g_autoptr(JsonNode) node = json_node_init_array (json_node_alloc (), lines);
  g_autoptr(GPtrArray) returns = NULL;
  g_autoptr(GPtrArray) uses = NULL;
  g_autoptr(SrvAuthorization) hold = NULL;
  g_autofree char *at = now_iso ();
  g_autofree char *detail = NULL;
  g_autofree char *member_id = NULL;
  gint64 now = now_unix (), held_refund = 0, amount = 0;
  gboolean found, same;

  g_return_val_if_fail (store != NULL && sale_id != NULL && auth_id != NULL && lines != NULL, NULL);

  if (!srv_rules_check_return_request (auth_id, refund_fen, lines, error))
    return NULL;
  detail = mdn_json_canonical (node);
  /* Checked well formed (srv_rules_check_return_request): read once. */
  if (!mdn_return_lines_parse (lines, asked, error))
    return NULL;
  if (!srv_store_begin (store, TRUE, error))
    return NULL;

  if (!srv_store_sale_member (store, sale_id, &member_id, error))
    goto fail;
  if (member_id == NULL)
    {
      g_set_error (error, SRV_ERROR, SRV_ERROR_NOT_FOUND, _("No sale %s with a card in the chain"), sale_id);
      goto fail;
    }
  if (!auth_lookup (store, auth_id, member_id, "return", sale_id, detail, &found, &same, &amount, error))
    goto fail;
  if (found)
    {
      srv_store_rollback (store);
      if (!same || amount != refund_fen)
        {
          g_set_error (error, SRV_ERROR, SRV_ERROR_DUPLICATE,
                       _("Authorization %s was already given for something else"), auth_id);
          return NULL;
        }
      return chain_granted (auth_id, "return", sale_id, amount, TRUE);
    }
  if (!srv_store_authorizations_release_expired (store, member_id, now, error))
    goto fail;

  /* The other returns of the sale held now, whoever holds them. */
  returns = srv_store_authorizations_held (store, NULL, "return", sale_id, error);
  if (returns == NULL)
    goto fail;
  for (guint r = 0; r < returns->len; r++)
    {
      SrvAuthorization *h = g_ptr_array_index (returns, r);
      g_autoptr(JsonParser) parser = json_parser_new ();
      JsonNode *root;

      held_refund += h->amount;
      /* The lines it holds, as it was asked for them (its detail). */
      if (h->detail && json_parser_load_from_data (parser, h->detail, -1, NULL) &&
          (root = json_parser_get_root (parser)) != NULL && JSON_NODE_HOLDS_ARRAY (root))
        {
          g_autoptr(GArray) one = mdn_return_lines_new ();

          if (mdn_return_lines_parse (json_node_get_array (root), one, NULL))
            for (guint i = 0; i < one->len; i++)
              {
                MdnSaleLineRequest *l = &g_array_index (one, MdnSaleLineRequest, i);
                MdnSaleLineRequest copy = { g_strdup (l->sku), l->qty };

                g_array_append_val (held_lines, copy);
              }
        }
    }

  /* Package uses other branches were authorized to spend and have not
     pushed yet: a return of a package must leave them covered. */
  uses = srv_store_authorizations_held (store, member_id, "package", NULL, error);
  if (uses == NULL)
    goto fail;
  for (guint i = 0; i < uses->len; i++)
    {
      SrvAuthorization *h = g_ptr_array_index (uses, i);
      MdnSaleLineRequest use = { g_strdup (h->item), h->amount };

      g_array_append_val (held_uses, use);
    }

  if (!srv_store_return_check (store, sale_id, refund_fen, asked, held_refund, held_lines, held_uses, error))
    goto fail;
  hold = auth_new (auth_id, member_id, branch_code, "return", sale_id, refund_fen, "held", now + auth_ttl_seconds);
  hold->detail = g_steal_pointer (&detail);
  if (!srv_store_authorization_hold (store, hold, at, error) || !srv_store_commit (store, error))
    goto fail;
  return chain_granted (auth_id, "return", sale_id, refund_fen, FALSE);

fail:
  srv_store_rollback (store);
  return NULL;
}
