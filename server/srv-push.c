/* srv-push.c: a branch's push, checked and applied (srv-push.h). The
 * rules live here; every read and write goes through the storage
 * interface (srv-store.h), inside the one transaction of the push. */
#define G_LOG_DOMAIN "srv-push"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-entry-check.h"
#include "mdn-error.h"
#include "mdn-figures.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-members.h"
#include "mdn-money.h"
#include "srv-push.h"
#include "srv-rules.h"
#include "srv-sms.h"

static char *
now_iso (void)
{
  g_autoptr(GDateTime) now = mdn_clock_now ();

  return mdn_clock_format (now);
}

/* What one push changes, kept until it commits: the rollups per business
 * date (one upsert per day instead of one per entry), and the members with
 * an open exception (so that only entries that could open or settle one
 * look at the member's accounts). */
typedef struct
{
  GHashTable *days;          /* business_date → MdnFigures of the branch-day */
  GHashTable *open_members;  /* member_id set */
  GHashTable *moved;         /* member_id → the last MdnEntry of the push moving their accounts */
  char       *now;           /* ISO time of the push */
} PushBatch;

static void
push_batch_clear (PushBatch *batch)
{
  g_clear_pointer (&batch->days, g_hash_table_unref);
  g_clear_pointer (&batch->open_members, g_hash_table_unref);
  g_clear_pointer (&batch->moved, g_hash_table_unref);
  g_clear_pointer (&batch->now, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PushBatch, push_batch_clear)

static gboolean
push_batch_init (SrvStore  *store,
                 PushBatch *batch,
                 GError   **error)
{
  g_auto(GStrv) holds = NULL;

  batch->days = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  batch->open_members = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  batch->moved = g_hash_table_new (g_str_hash, g_str_equal);
  batch->now = now_iso ();
  holds = srv_store_holds (store, error);
  if (holds == NULL)
    return FALSE;
  for (guint i = 0; holds[i]; i++)
    g_hash_table_add (batch->open_members, g_strdup (holds[i]));
  return TRUE;
}

/* Adds what @entry contributes to its branch's day (mdn-figures.h: the
 * branch's day end sums the same way). Runs exactly once per entry, inside
 * the push transaction, so the figures are exact. @hq: the HQ terminal
 * pushed it. */
static void
rollup_entry (PushBatch *batch,
              MdnEntry  *entry,
              gboolean   hq)
{
  MdnFigures *r = g_hash_table_lookup (batch->days, entry->business_date);

  if (r == NULL)
    {
      r = g_new0 (MdnFigures, 1);
      g_hash_table_insert (batch->days, g_strdup (entry->business_date), r);
    }
  mdn_figures_add_entry (r, entry, hq ? MDN_FIGURES_HQ : MDN_FIGURES_NONE);
}

/* Writes the push's rollups, in the push's transaction: each branch-day's
 * row plus the push's figures, added by mdn_figures_add, so a day whose
 * figures would overflow refuses the push instead of wrapping. */
static gboolean
rollup_flush (SrvStore   *store,
              PushBatch  *batch,
              const char *branch_code,
              GError    **error)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, batch->days);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      MdnFigures day = { 0 };

      if (!srv_store_rollup_get (store, branch_code, key, &day, error))
        return FALSE;
      mdn_figures_add (&day, value);
      if (day.overflow)
        {
          g_set_error (error, SRV_ERROR, SRV_ERROR_INVALID,
                       _("The figures of branch %s on %s would be too large to add up"),
                       branch_code, (const char *) key);
          return FALSE;
        }
      if (!srv_store_rollup_put (store, branch_code, key, &day, error))
        return FALSE;
    }
  return TRUE;
}

/* After @entry moved a member's accounts: each account below zero is an
 * overdraft (offline spending the server learns of late) with an open
 * exception of its own, which puts the card on hold; an exception whose
 * account is back at zero or above is settled by the entry. So after every
 * entry the open exceptions are exactly the member's accounts below zero,
 * whatever order the entries came in. */
static gboolean
check_overdraft (SrvStore   *store,
                 PushBatch  *batch,
                 MdnEntry   *entry,
                 const char *member_id,
                 GError    **error)
{
  g_autoptr(GArray) below = NULL;
  g_autoptr(JsonArray) uses = NULL;
  g_autoptr(GArray) resize = g_array_new (FALSE, FALSE, sizeof (gint64));
  SrvAccounts accounts;
  gboolean found;

  if (!srv_store_member_accounts (store, member_id, &found, &accounts, error))
    return FALSE;
  if (!found)
    return TRUE;
  uses = srv_store_package_overdrawn (store, member_id, error);
  if (uses == NULL)
    return FALSE;

  below = srv_rules_overdrawn (accounts.principal, accounts.bonus, accounts.points, uses);

  if (g_hash_table_contains (batch->open_members, member_id))
    {
      g_autoptr(GPtrArray) open = srv_store_open_overdrafts (store, member_id, error);

      if (open == NULL)
        return FALSE;
      for (guint j = 0; j < open->len; j++)
        {
          SrvException *x = g_ptr_array_index (open, j);
          gboolean still = FALSE;

          for (guint i = 0; i < below->len; i++)
            {
              SrvOverdrawn *o = &g_array_index (below, SrvOverdrawn, i);

              if (g_str_equal (o->account, x->account) && g_str_equal (o->item, x->item ? x->item : ""))
                {
                  still = o->open = TRUE;
                  /* every open row of this account takes its new amount */
                  g_array_append_val (resize, x->id);
                  g_array_append_val (resize, o->amount);
                }
            }
          if (!still && !srv_store_exception_settle (store, x->id, batch->now, entry->id, error))
            return FALSE;
        }
    }

  for (guint i = 0; i + 1 < resize->len; i += 2)
    if (!srv_store_exception_set_amount (store, g_array_index (resize, gint64, i),
                                         g_array_index (resize, gint64, i + 1), error))
      return FALSE;
  for (guint i = 0; i < below->len; i++)
    {
      SrvOverdrawn *o = &g_array_index (below, SrvOverdrawn, i);
      SrvException x = {
        .kind = (char *) "overdraft",
        .member_id = (char *) member_id,
        .entry_id = entry->id,
        .branch = entry->branch,
        .account = (char *) o->account,
        .item = o->item,
        .amount = o->amount,
        .status = (char *) "open",
        .found_at = batch->now,
      };

      if (o->open)
        continue;
      g_message ("member %s: %s%s%s below zero by %" G_GINT64_FORMAT " after entry %s#%" G_GINT64_FORMAT
                 ": exception opened, card on hold", member_id, o->account, *o->item ? " " : "", o->item,
                 o->amount, entry->branch, entry->seq);
      if (!srv_store_exception_add (store, &x, error))
        return FALSE;
    }
  if (below->len > 0)
    g_hash_table_add (batch->open_members, g_strdup (member_id));
  else
    g_hash_table_remove (batch->open_members, member_id);
  return TRUE;
}

/* A return that takes a sale's refunds above its total (two branches
 * returned it without seeing each other's return, one of them offline):
 * an exception on the sale for head office, and the excess in the
 * summary. Over the whole history the excess is max (0, refunds - total)
 * whatever order the returns came in; each return is charged what it
 * added to it. */
static gboolean
check_over_refund (SrvStore  *store,
                   PushBatch *batch,
                   MdnEntry  *entry,
                   GError   **error)
{
  const char *sale = mdn_body_string (entry->body, "sale_entry");
  gint64 refund = mdn_body_int (entry->body, "refund_fen", 0);
  g_autoptr(GError) local_error = NULL;
  g_autofree char *detail = NULL;
  gint64 total = 0, refunded = 0, excess;
  MdnFigures *r;
  SrvException x = { 0 };

  if (sale == NULL || entry->member_id == NULL)
    return TRUE;
  if (!srv_store_sale_refunded (store, sale, &total, &refunded, &local_error))
    {
      if (g_error_matches (local_error, MDN_ERROR, MDN_ERROR_UNKNOWN_ENTRY))
        return TRUE;   /* a sale the chain does not share */
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  excess = mdn_figures_over_refund (total, refunded, refund);
  if (excess <= 0)
    return TRUE;
  g_message ("sale %s refunded %" G_GINT64_FORMAT " fen above its total by entry %s#%" G_GINT64_FORMAT,
             sale, excess, entry->branch, entry->seq);
  r = g_hash_table_lookup (batch->days, entry->business_date);
  g_assert (r != NULL);
  mdn_figures_add_over_refund (r, excess);
  detail = g_strdup_printf ("{\"total_fen\":%" G_GINT64_FORMAT ",\"refunded_fen\":%" G_GINT64_FORMAT "}",
                            total, refunded);
  x.kind = (char *) "over_refund";
  x.member_id = entry->member_id;
  x.entry_id = entry->id;
  x.branch = entry->branch;
  x.account = (char *) "refund";
  x.amount = excess;
  x.status = (char *) "open";
  x.found_at = batch->now;
  x.sale_entry = (char *) sale;
  x.detail = detail;
  return srv_store_exception_add (store, &x, error);
}

/* After a card operation: the card conflicts of the member, as the fold
 * over every state entry the server holds sees them now ('noted'
 * exceptions for head office; an entry that arrived late can make an
 * earlier one a conflict, or stop one being one). */
static gboolean
note_card_conflicts (SrvStore   *store,
                     PushBatch  *batch,
                     const char *member_id,
                     GError    **error)
{
  g_autoptr(GPtrArray) conflicts = srv_store_card_conflicts (store, member_id, error);
  g_auto(GStrv) noted = NULL;

  if (conflicts == NULL)
    return FALSE;
  noted = srv_store_exception_entries (store, member_id, "card_conflict", error);
  if (noted == NULL)
    return FALSE;

  for (guint i = 0; noted[i]; i++)
    {
      gboolean still = FALSE;

      for (guint j = 0; j < conflicts->len && !still; j++)
        still = g_str_equal (((MdnCardConflict *) g_ptr_array_index (conflicts, j))->entry_id, noted[i]);
      if (!still && !srv_store_exception_remove (store, member_id, "card_conflict", noted[i], error))
        return FALSE;
    }
  for (guint j = 0; j < conflicts->len; j++)
    {
      MdnCardConflict *c = g_ptr_array_index (conflicts, j);
      g_autoptr(JsonObject) d = NULL;
      g_autofree char *detail = NULL;
      SrvException x = { 0 };

      if (g_strv_contains ((const char *const *) noted, c->entry_id))
        continue;
      d = json_object_new ();
      json_object_set_string_member (d, "kind", c->kind);
      json_object_set_string_member (d, "reason", c->reason);
      mdn_json_set_opt_string (d, "card_no", c->card_no);
      mdn_json_set_opt_string (d, "current_card_no", c->current_card_no);
      detail = mdn_json_object_canonical (d);
      g_message ("member %s: card conflict %s (%s#%" G_GINT64_FORMAT ")", member_id, c->reason,
                 c->branch, c->seq);
      x.kind = (char *) "card_conflict";
      x.member_id = (char *) member_id;
      x.entry_id = c->entry_id;
      x.branch = c->branch;
      x.account = (char *) "card";
      x.amount = 0;
      x.status = (char *) "noted";
      x.found_at = batch->now;
      x.detail = detail;
      if (!srv_store_exception_add (store, &x, error))
        return FALSE;
    }
  return TRUE;
}

/* Whether @entry can change @member_id's exception: it can open one only by
 * moving one of the member's accounts down, and settle or resize one only
 * when one is open. A member below zero always has an open exception (the
 * entry that took them there opened it), so nothing else needs a look. */
static gboolean
may_change_exception (PushBatch  *batch,
                      MdnEntry   *entry,
                      const char *member_id)
{
  if (g_hash_table_contains (batch->open_members, member_id))
    return TRUE;
  for (guint i = 0; i < entry->movements->len; i++)
    {
      MdnMovement *m = &g_array_index (entry->movements, MdnMovement, i);

      if (m->delta < 0 && g_strcmp0 (m->member_id, member_id) == 0 && !g_str_equal (m->account, "stock"))
        return TRUE;
    }
  return FALSE;
}

static gboolean
apply_pushed (SrvStore  *store,
              PushBatch *batch,
              SrvBranch *branch,
              MdnEntry  *entry,
              GError   **error)
{
  gboolean master = mdn_ledger_kind_is_master (entry->kind);
  gboolean shared = mdn_entry_is_shared (entry) && (!master || branch->hq);
  const char *to_branch = mdn_entry_addressee (entry);
  const char *auth_id = mdn_body_string (entry->body, "auth_id");
  g_autoptr(GPtrArray) members = NULL;

  if (to_branch != NULL)
    {
      g_autoptr(GError) apply_error = NULL;
      g_autoptr(SrvBranch) addressee = srv_store_branch_get (store, to_branch);

      /* Addressed to one branch (a transfer): applied here, so head office
         sees it, and in the feed of that branch only. */
      if (addressee == NULL)
        {
          g_set_error (error, SRV_ERROR, SRV_ERROR_APPLY_FAILED,
                       _("Entry %s#%" PRId64 " (%s) is addressed to %s, which is not a branch of this chain"),
                       entry->branch, entry->seq, entry->kind, to_branch);
          return FALSE;
        }
      if (!srv_store_entry_apply (store, entry, &apply_error))
        {
          g_set_error (error, SRV_ERROR, SRV_ERROR_APPLY_FAILED,
                       _("Entry %s#%" PRId64 " (%s) cannot be applied: %s"),
                       entry->branch, entry->seq, entry->kind, apply_error->message);
          return FALSE;
        }
      if (!srv_store_feed_append_to (store, entry->id, to_branch, error))
        return FALSE;
      rollup_entry (batch, entry, branch->hq);
      return TRUE;
    }
  if (shared)
    {
      g_autoptr(GError) apply_error = NULL;

      if (!srv_store_entry_apply (store, entry, &apply_error))
        {
          g_set_error (error, SRV_ERROR, SRV_ERROR_APPLY_FAILED,
                       _("Entry %s#%" PRId64 " (%s) cannot be applied: %s"),
                       entry->branch, entry->seq, entry->kind, apply_error->message);
          return FALSE;
        }
      if (!srv_store_feed_append (store, entry->id, error))
        return FALSE;
    }
  else if (!srv_store_entry_keep (store, entry, error))
    return FALSE;

  /* The SMS it calls for, queued in the same transaction: once per
     (entry, event, member), however often it is pushed. */
  if (!srv_sms_note_entry (store, entry, error))
    return FALSE;

  rollup_entry (batch, entry, branch->hq);

  /* The sale that used an authorization: its movements now debit the
   * balance, so the hold stops counting. */
  if (auth_id && !srv_store_authorization_use (store, auth_id, entry->id, error))
    return FALSE;

  if (!shared)
    return TRUE;
  if (g_str_equal (entry->kind, "sale.return") && !check_over_refund (store, batch, entry, error))
    return FALSE;
  if (g_str_equal (entry->kind, "exception.write_off") && mdn_body_string (entry->body, "sale_entry") &&
      !srv_store_exceptions_settle_sale (store, "over_refund", mdn_body_string (entry->body, "sale_entry"),
                                         batch->now, entry->id, error))
    return FALSE;
  if (entry->member_id &&
      (g_str_equal (entry->kind, "member.replace") || g_str_equal (entry->kind, "member.lose") ||
       g_str_equal (entry->kind, "member.unlock")) &&
      !note_card_conflicts (store, batch, entry->member_id, error))
    return FALSE;
  /* The members this entry touches, each once. */
  members = g_ptr_array_new ();
  if (entry->member_id)
    g_ptr_array_add (members, entry->member_id);
  for (guint i = 0; i < entry->movements->len; i++)
    {
      MdnMovement *m = &g_array_index (entry->movements, MdnMovement, i);

      if (m->member_id && !g_str_equal (m->account, "stock") &&
          !g_ptr_array_find_with_equal_func (members, m->member_id, g_str_equal, NULL))
        g_ptr_array_add (members, m->member_id);
    }
  for (guint i = 0; i < members->len; i++)
    {
      const char *member_id = g_ptr_array_index (members, i);

      if (may_change_exception (batch, entry, member_id) &&
          !check_overdraft (store, batch, entry, member_id, error))
        return FALSE;
    }
  return TRUE;
}

/* What the server checks of a pushed entry ------------------------------------------ */

static gboolean
refuse (GError    **error,
        MdnEntry   *entry,
        const char *format,
        ...) G_GNUC_PRINTF (3, 4);

static gboolean
refuse (GError    **error,
        MdnEntry   *entry,
        const char *format,
        ...)
{
  va_list ap;
  g_autofree char *reason = NULL;

  va_start (ap, format);
  reason = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, SRV_ERROR, SRV_ERROR_REFUSED_ENTRY, _("Entry %s#%" PRId64 " (%s) is refused: %s"),
               entry->branch, entry->seq, entry->kind, reason);
  return FALSE;
}

/* A card number the pushing branch may give out: its own range (the first
 * three digits are its number, mdn_card_no_make) and not given before. */
static gboolean
check_new_card (SrvStore   *store,
                SrvBranch  *branch,
                MdnEntry   *entry,
                const char *card_no,
                GError    **error)
{
  char prefix[8];
  gboolean taken;

  g_snprintf (prefix, sizeof prefix, "%03" PRId64, branch->number);
  if (!g_str_has_prefix (card_no, prefix))
    return refuse (error, entry, _("card number %s is not in the range of branch %s (%s…)"),
                   card_no, branch->code, prefix);
  if (!srv_store_card_taken (store, card_no, &taken, error))
    return FALSE;
  if (taken)
    return refuse (error, entry, _("card number %s was given out before"), card_no);
  return TRUE;
}

/* What an entry made under an authorization took: its kind at the server
 * (srv_authorize, _card, _return), the item and the amount. FALSE
 * for a kind that is made under no authorization. */
static gboolean
spent_under_auth (MdnEntry    *entry,
                  const char **kind,
                  const char **item,
                  gint64      *amount)
{
  JsonObject *b = entry->body;

  *item = "";
  if (g_str_equal (entry->kind, "sale.return"))
    {
      /* srv_authorize_return: held against the sale */
      *kind = "return";
      *item = mdn_body_string (b, "sale_entry");
      *amount = mdn_body_int (b, "refund_fen", 0);
    }
  else if (g_str_equal (entry->kind, "member.lose") || g_str_equal (entry->kind, "member.unlock") ||
           g_str_equal (entry->kind, "member.replace"))
    {
      /* srv_authorize_card: the amount is the rev it gave */
      *kind = "card";
      *item = entry->kind;
      *amount = mdn_body_int (b, "rev", 0);
    }
  else if (g_str_equal (entry->kind, "package.consume"))
    {
      *kind = "package";
      *item = mdn_body_string (b, "sku");
      *amount = mdn_body_int (b, "count", 0);
    }
  else if (g_str_equal (entry->kind, "points.redeem"))
    {
      *kind = "points";
      *amount = mdn_body_int (b, "points", 0);
    }
  else if (g_str_equal (entry->kind, "sale") || g_str_equal (entry->kind, "sale.quick") ||
           g_str_equal (entry->kind, "timed.stop") || g_str_equal (entry->kind, "timed.prepay") ||
           g_str_equal (entry->kind, "timed.extend"))
    {
      /* Both within MDN_ENTRY_AMOUNT_MAX (mdn_entry_check): no overflow. */
      *kind = "balance";
      *amount = mdn_body_int (b, "principal_fen", 0) + mdn_body_int (b, "bonus_fen", 0);
    }
  else
    return FALSE;
  return TRUE;
}

/* An authorization an entry names is one this branch was given, for this
 * member and spend, not used before, and covers what the entry takes. */
static gboolean
check_auth (SrvStore   *store,
            SrvBranch  *branch,
            MdnEntry   *entry,
            const char *auth_id,
            GError    **error)
{
  g_autofree char *prefix = g_strconcat (branch->code, "-", NULL);
  g_autoptr(SrvAuthorization) held = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *kind, *item;
  gint64 amount;

  if (!g_str_has_prefix (auth_id, prefix))
    return refuse (error, entry, _("authorization %s is not one of branch %s"), auth_id, branch->code);
  if (!spent_under_auth (entry, &kind, &item, &amount))
    return refuse (error, entry, _("an entry of this kind is made under no authorization"));
  held = srv_store_authorization_get (store, auth_id, &local_error);
  if (local_error)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  /* Unknown here: a server restored from a backup may have lost it; the
     entry's movements do the debit all the same. */
  if (held == NULL)
    return TRUE;
  if (!g_str_equal (held->branch, branch->code))
    return refuse (error, entry, _("authorization %s was given to branch %s"), auth_id, held->branch);
  if (g_strcmp0 (held->member_id, entry->member_id) != 0)
    return refuse (error, entry, _("authorization %s is for another member"), auth_id);
  if (!g_str_equal (held->kind, kind) || g_strcmp0 (held->item, item) != 0)
    return refuse (error, entry, _("authorization %s is for another kind of spending"), auth_id);
  if (g_str_equal (kind, "card") ? amount != held->amount : amount > held->amount)
    return refuse (error, entry, _("it takes %" PRId64 " under authorization %s, which is for %" PRId64),
                   amount, auth_id, held->amount);
  if (g_str_equal (held->status, "used"))
    return refuse (error, entry, _("authorization %s was used before"), auth_id);
  return TRUE;
}

/* A return names a sale this server holds, of its member and kind, and
 * gives back no more than that sale took (each return on its own: two
 * branches may each return the same sale while offline, and refusing the
 * second would stop that branch's sync for good). */
static gboolean
check_return_of_sale (SrvStore  *store,
                      MdnEntry  *entry,
                      GError   **error)
{
  g_autoptr(MdnEntry) sale = NULL;
  g_autoptr(GError) load_error = NULL;
  const char *sale_id = mdn_body_string (entry->body, "sale_entry");
  JsonObject *b = entry->body;

  sale = srv_store_entry_load (store, sale_id, &load_error);
  if (sale == NULL)
    {
      if (g_error_matches (load_error, MDN_ERROR, MDN_ERROR_UNKNOWN_ENTRY))
        return refuse (error, entry, _("it returns sale %s, which the server does not hold"), sale_id);
      g_propagate_error (error, g_steal_pointer (&load_error));
      return FALSE;
    }
  if (!g_str_equal (sale->kind, mdn_body_string (b, "sale_kind")) ||
      g_strcmp0 (sale->member_id, entry->member_id) != 0)
    return refuse (error, entry, _("it returns %s as a %s of another member or kind"), sale_id, sale->kind);
  if (mdn_body_int (b, "refund_fen", 0) > mdn_body_int (sale->body, "total_fen", 0) ||
      mdn_body_int (b, "principal_fen", 0) + mdn_body_int (b, "bonus_fen", 0) >
        mdn_body_int (sale->body, "principal_fen", 0) + mdn_body_int (sale->body, "bonus_fen", 0) ||
      mdn_body_int (b, "points_taken", 0) > mdn_body_int (sale->body, "points_earned", 0))
    return refuse (error, entry, _("it gives back more than sale %s took"), sale_id);
  return TRUE;
}

/* A timed session is stopped by the branch that started it. */
static gboolean
check_session (SrvStore  *store,
               SrvBranch *branch,
               MdnEntry  *entry,
               GError   **error)
{
  const char *session = mdn_body_string (entry->body, "session_id");
  g_auto(SrvEntryRef) start = { 0 };

  if (!srv_store_entry_ref (store, session, &start, error))
    return FALSE;
  if (!start.found || !g_str_equal (start.branch, branch->code) ||
      (!g_str_equal (start.kind, "timed.start") && !g_str_equal (start.kind, "timed.prepay")))
    return refuse (error, entry, _("it stops session %s, which branch %s did not start"), session, branch->code);
  return TRUE;
}

/* Before a pushed entry is applied: its kind's check (mdn_entry_check,
 * what the branch ran when it wrote it), then what only the server can
 * see: ids and numbers already taken, card numbers out of the branch's
 * range, another branch's authorization or session, a write-off not from
 * the HQ terminal. */
static gboolean
check_pushed (SrvStore  *store,
              SrvBranch *branch,
              MdnEntry  *entry,
              GError   **error)
{
  g_autoptr(GError) check_error = NULL;
  const char *kind = entry->kind;
  const char *auth_id = mdn_body_string (entry->body, "auth_id");
  gboolean found;

  if (!mdn_entry_check (entry, &check_error))
    return refuse (error, entry, "%s", check_error->message);

  if (g_str_equal (kind, "member.issue"))
    {
      if (!srv_store_member_exists (store, entry->member_id, &found, error))
        return FALSE;
      if (found)
        return refuse (error, entry, _("member id %s is taken"), entry->member_id);
      if (!check_new_card (store, branch, entry, mdn_body_string (entry->body, "card_no"), error))
        return FALSE;
    }
  else if (g_str_equal (kind, "member.replace"))
    {
      if (!check_new_card (store, branch, entry, mdn_body_string (entry->body, "card_no"), error))
        return FALSE;
    }
  else if (g_str_equal (kind, "exception.write_off") && !branch->hq)
    return refuse (error, entry, _("only the head-office terminal writes exceptions off"));
  else if ((g_str_equal (kind, "timed.stop") || g_str_equal (kind, "timed.extend") ||
            g_str_equal (kind, "timed.add")) && !check_session (store, branch, entry, error))
    return FALSE;
  else if (g_str_equal (kind, "sale.return") && !check_return_of_sale (store, entry, error))
    return FALSE;

  if (auth_id && !check_auth (store, branch, entry, auth_id, error))
    return FALSE;
  return TRUE;
}

/* After @entry failed to apply: whether that was because its id or its
 * receipt number is taken (a UNIQUE constraint), said as a refusal. Looked
 * at only then, so that the ingest path pays nothing for it; what this
 * entry itself stored before it failed doesn't count. FALSE with @error
 * set if so. */
static gboolean
refuse_taken (SrvStore  *store,
              MdnEntry  *entry,
              GError   **error)
{
  const char *receipt_no = mdn_body_string (entry->body, "receipt_no");
  g_auto(SrvEntryRef) held = { 0 };
  g_autofree char *holder = NULL;

  if (!srv_store_entry_ref (store, entry->id, &held, error))
    return FALSE;
  if (held.found && (!g_str_equal (held.branch, entry->branch) || held.seq != entry->seq))
    return refuse (error, entry, _("its id %s is taken by an entry of branch %s"), entry->id, held.branch);
  if (receipt_no == NULL)
    return TRUE;
  if (!srv_store_receipt_entry (store, receipt_no, &holder, error))
    return FALSE;
  if (holder != NULL && !g_str_equal (holder, entry->id))
    return refuse (error, entry, _("receipt number %s is taken"), receipt_no);
  return TRUE;
}

/* After a push's entries are applied: the balances they moved stay far
 * from gint64 (each entry moves at most MDN_ENTRY_AMOUNT_MAX, a push holds
 * at most 5000, so nothing wraps before this looks), or the push is
 * refused: a database could turn an overflowing sum into something else. */
static gboolean
check_balances (SrvStore  *store,
                PushBatch *batch,
                gint64    *failed_seq,
                GError   **error)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, batch->moved);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      gboolean ok;

      if (!srv_store_accounts_bounded (store, key, MDN_MONEY_MAX, &ok, error))
        return FALSE;
      if (!ok)
        {
          *failed_seq = ((MdnEntry *) value)->seq;
          return refuse (error, value, _("it takes the accounts of member %s beyond what a card can hold"),
                         (const char *) key);
        }
    }
  return TRUE;
}

gboolean
srv_push (SrvStore      *store,
          const char    *branch_code,
          GPtrArray     *entries,
          SrvPushResult *result,
          GError       **error)
{
  g_autoptr(SrvBranch) branch = NULL;
  g_auto(PushBatch) batch = { NULL };
  g_autofree char *at = now_iso ();
  gint64 acked;
  g_autofree char *last_hash = NULL;

  g_return_val_if_fail (store != NULL && entries != NULL && result != NULL, FALSE);

  memset (result, 0, sizeof *result);
  if (!srv_store_begin (store, TRUE, error))
    return FALSE;
  /* A storage hint (srv-store.h): what the push reads, at once. */
  if (!srv_store_push_prepare (store, branch_code, entries, error))
    goto fail;
  if (!push_batch_init (store, &batch, error))
    goto fail;
  /* Read inside the write transaction: another server process may have
   * moved the high-water mark meanwhile. */
  branch = srv_store_branch_get (store, branch_code);
  if (branch == NULL)
    {
      g_set_error (error, SRV_ERROR, SRV_ERROR_UNAUTHORIZED, _("Unknown branch %s"), branch_code);
      goto fail;
    }
  acked = branch->acked_seq;
  last_hash = g_strdup (branch->last_hash);

  for (guint i = 0; i < entries->len; i++)
    {
      MdnEntry *entry = g_ptr_array_index (entries, i);
      g_autofree char *hash = NULL;
      g_autoptr(GError) apply_error = NULL;

      result->failed_seq = entry->seq;
      if (!g_str_equal (entry->branch, branch_code))
        {
          g_set_error (error, SRV_ERROR, SRV_ERROR_WRONG_BRANCH,
                       _("Entry %s#%" PRId64 " belongs to branch %s, not to %s; "
                         "each branch pushes only its own entries"),
                       entry->branch, entry->seq, entry->branch, branch_code);
          goto fail;
        }
      hash = mdn_entry_compute_hash (entry);
      if (!g_str_equal (hash, entry->hash))
        {
          g_set_error (error, SRV_ERROR, SRV_ERROR_BAD_HASH,
                       _("Entry %s#%" PRId64 " does not match its hash; it was altered"),
                       entry->branch, entry->seq);
          goto fail;
        }
      if (entry->seq <= acked)
        {
          g_autofree char *held = NULL;

          if (!srv_store_entry_hash (store, branch_code, entry->seq, &held, error))
            goto fail;
          if (g_strcmp0 (held, entry->hash) != 0)
            {
              g_set_error (error, SRV_ERROR, SRV_ERROR_CONFLICTING_ENTRY,
                           _("The server holds another entry %s#%" PRId64 "; "
                             "this branch's history has forked (restored from a backup?)"),
                           entry->branch, entry->seq);
              g_warning ("ALARM: branch %s pushed a conflicting entry at seq %" G_GINT64_FORMAT,
                         branch_code, entry->seq);
              goto fail;
            }
          result->duplicates++;
          continue;
        }
      if (entry->seq != acked + 1)
        {
          result->expected_seq = acked + 1;
          g_set_error (error, SRV_ERROR, SRV_ERROR_SEQUENCE_GAP,
                       _("Entry %s#%" PRId64 " leaves a gap; the server expects seq %" PRId64),
                       entry->branch, entry->seq, acked + 1);
          goto fail;
        }
      if (!g_str_equal (entry->prev_hash, last_hash))
        {
          g_set_error (error, SRV_ERROR, SRV_ERROR_BROKEN_CHAIN,
                       _("Entry %s#%" PRId64 " does not follow the entry before it (prev_hash)"),
                       entry->branch, entry->seq);
          goto fail;
        }
      if (!check_pushed (store, branch, entry, error))
        goto fail;
      if (!apply_pushed (store, &batch, branch, entry, &apply_error))
        {
          if (refuse_taken (store, entry, error))
            g_propagate_error (error, g_steal_pointer (&apply_error));
          goto fail;
        }
      for (guint m = 0; m < entry->movements->len; m++)
        {
          MdnMovement *mv = &g_array_index (entry->movements, MdnMovement, m);

          if (mv->member_id)
            g_hash_table_insert (batch.moved, mv->member_id, entry);
        }
      acked = entry->seq;
      g_free (last_hash);
      last_hash = g_strdup (entry->hash);
      result->applied++;
    }
  if (!check_balances (store, &batch, &result->failed_seq, error))
    goto fail;
  result->failed_seq = 0;

  if (!rollup_flush (store, &batch, branch_code, error))
    goto fail;
  if (result->applied > 0 && !srv_store_branch_advance (store, branch_code, acked, last_hash, at, error))
    goto fail;
  if (!srv_store_commit (store, error))
    return FALSE;
  result->acked_seq = acked;
  result->feed_position = srv_store_feed_head (store);
  return TRUE;

fail:
  srv_store_rollback (store);
  return FALSE;
}
