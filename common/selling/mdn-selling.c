/* mdn-selling.c: the checkout every selling operation shares (tenders,
 * the member's balance and PIN, points, receipt numbers). */
#define G_LOG_DOMAIN "mdn-selling"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <string.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-money.h"
#include "mdn-member-edit.h"
#include "mdn-selling.h"
#include "mdn-settings.h"

/* Malformed entries ---------------------------------------------------------- */

/* Receipts ---------------------------------------------------------------------- */

/* Branch code, business date, sequence of the day: B01-20261122-0001.
 * Unique chain-wide because branch codes are. */
gboolean
mdn_receipt_next (MdnOpCtx *ctx,
                  char    **out,
                  GError  **error)
{
  g_autofree char *counter = g_strconcat ("receipt:", ctx->business_date, NULL);
  g_autofree char *date = g_strdup (ctx->business_date);
  char *w = date;

  g_return_val_if_fail (ctx != NULL && ctx->business_date != NULL, FALSE);

  for (const char *r = ctx->business_date; *r; r++)
    if (*r != '-')
      *w++ = *r;
  *w = '\0';

  for (int attempt = 0; attempt < 1000; attempt++)
    {
      g_autofree char *receipt_no = NULL;
      sqlite3_stmt *stmt;
      gint64 seq;
      int rc;

      if (!mdn_db_counter_next (ctx->db, counter, &seq, error))
        return FALSE;
      receipt_no = g_strdup_printf ("%s-%s-%04" G_GINT64_FORMAT, ctx->store->branch_code, date, seq);
      /* The counter is local; a restored database must not reuse a number. */
      stmt = mdn_db_query (ctx->db, error, "SELECT 1 FROM receipts WHERE receipt_no = ?", "s", receipt_no);
      if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) < 0)
        return FALSE;
      sqlite3_reset (stmt);
      if (rc == SQLITE_DONE)
        {
          *out = g_steal_pointer (&receipt_no);
          return TRUE;
        }
    }
  g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INTERNAL, _("No free receipt number"));
  return FALSE;
}

gboolean
mdn_receipt_apply (MdnDb    *db,
                   MdnEntry *entry,
                   gint64    total_fen,
                   GError  **error)
{
  const char *receipt_no;

  g_return_val_if_fail (entry != NULL, FALSE);

  receipt_no = mdn_body_string (entry->body, "receipt_no");
  if (receipt_no == NULL)
    return mdn_entry_malformed (entry, "receipt_no", error);
  return mdn_db_exec (db, error,
                      "INSERT INTO receipts (receipt_no, entry_id, branch, kind, business_date, member_id, "
                      "total_fen) VALUES (?, ?, ?, ?, ?, ?, ?)",
                      "ssssssi", receipt_no, entry->id, entry->branch, entry->kind, entry->business_date,
                      entry->member_id, total_fen);
}

/* The card ------------------------------------------------------------------------ */

/* A card that is lost or expired is refused for every selling operation,
 * not only for paying from its balance: the member discount and points
 * belong to a card in good standing (see docs/cli.md, “Selling”). */
gboolean
mdn_selling_card (MdnOpCtx   *ctx,
                  const char *card,
                  MdnMember **out,
                  GError    **error)
{
  g_autoptr(MdnMember) m = NULL;
  const char *p;

  g_return_val_if_fail (out != NULL, FALSE);

  *out = NULL;
  for (p = card; p && g_ascii_isspace (*p); p++)
    ;
  if (p == NULL || *p == '\0')
    return TRUE;
  m = mdn_member_resolve (ctx, card, MDN_RESOLVE_DEFAULT, error);
  if (m == NULL || !mdn_member_check_usable (ctx, m, error))
    return FALSE;
  *out = g_steal_pointer (&m);
  return TRUE;
}

/* Online, the server has said (or, probing, will say) whether the chain-wide
 * balance covers the spend: this branch's copy may not have every deposit
 * made elsewhere yet. */
static gboolean
server_vouches (MdnOpCtx *ctx)
{
  return ctx->spend && (ctx->spend->mode == MDN_SPEND_PROBE || ctx->spend->mode == MDN_SPEND_ONLINE);
}

/* The checkout ---------------------------------------------------------------------- */

static void
tender_clear (gpointer data)
{
  MdnTender *t = data;

  g_free (t->type);
}

/* Takes ownership of @member (may be NULL). */
gboolean
mdn_checkout_init (MdnCheckout *co,
                   MdnOpCtx    *ctx,
                   const char  *kind,
                   MdnMember   *member,
                   GError     **error)
{
  g_return_val_if_fail (co != NULL && ctx != NULL && kind != NULL, FALSE);

  memset (co, 0, sizeof *co);
  co->ctx = ctx;
  co->member = member;
  co->tenders = g_array_new (FALSE, TRUE, sizeof (MdnTender));
  g_array_set_clear_func (co->tenders, tender_clear);
  co->entry = mdn_entry_new (kind, member ? member->id : NULL);
  if (member)
    {
      /* The level in force: upgrade by spend may serve a better one. */
      g_autofree char *level = mdn_member_effective_level (ctx->db, member->id, member->level, NULL, error);

      co->level = level ? mdn_level_load (ctx->db, level, error) : NULL;
      if (co->level == NULL)
        return FALSE;
    }
  return TRUE;
}

void
mdn_checkout_clear (MdnCheckout *co)
{
  g_clear_pointer (&co->member, mdn_member_free);
  g_clear_pointer (&co->level, mdn_level_free);
  g_clear_pointer (&co->entry, mdn_entry_free);
  g_clear_pointer (&co->tenders, g_array_unref);
  g_clear_pointer (&co->receipt_no, g_free);
}

/* What the member pays of the list price, in percent: 100 without a card. */
gint64
mdn_checkout_percent (MdnCheckout *co)
{
  return co->level ? co->level->price_percent : 100;
}

gint64
mdn_checkout_points (MdnCheckout *co)
{
  g_return_val_if_fail (co != NULL, 0);

  return co->level ? mdn_money_points_for (co->total_fen, co->level->points_per_yuan) : 0;
}

static MdnTender *
find_tender (GArray     *tenders,
             const char *type)
{
  for (guint i = 0; i < tenders->len; i++)
    {
      MdnTender *t = &g_array_index (tenders, MdnTender, i);

      if (g_str_equal (t->type, type))
        return t;
    }
  return NULL;
}

void
mdn_payment_request_clear (MdnPaymentRequest *req)
{
  g_clear_pointer (&req->card, g_free);
  g_clear_pointer (&req->pin, g_free);
  g_clear_pointer (&req->tenders, g_array_unref);
  req->given_fen = 0;
}

/* {card?, pin?, tenders?: [{type, amount}]}: every tender a known type
 * with an amount of at least 0.01; the same type twice is one tender. */
gboolean
mdn_payment_request_parse (JsonObject        *args,
                           MdnPaymentRequest *out,
                           GError           **error)
{
  g_autoptr(GError) local_error = NULL;
  const char *card = NULL, *pin = NULL;
  JsonArray *list;

  g_return_val_if_fail (args != NULL && out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  out->tenders = g_array_new (FALSE, TRUE, sizeof (MdnTender));
  g_array_set_clear_func (out->tenders, tender_clear);
  if (!mdn_args_string (args, "card", FALSE, &card, error) ||
      !mdn_args_string (args, "pin", FALSE, &pin, error))
    return FALSE;
  out->card = g_strdup (card);
  out->pin = g_strdup (pin);
  list = mdn_args_array (args, "tenders", FALSE, &local_error);
  if (local_error)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  for (guint i = 0; list && i < json_array_get_length (list); i++)
    {
      JsonObject *o = mdn_args_element_object (list, i, "tenders", error);
      const char *type = NULL;
      gint64 amount = 0;
      MdnTender *t;

      if (o == NULL ||
          !mdn_args_string (o, "type", TRUE, &type, error) ||
          !mdn_tender_valid (type, TRUE, error) ||
          !mdn_args_money (o, "amount", TRUE, &amount, error) ||
          !mdn_money_check_amount (amount, FALSE, error) ||
          !mdn_money_add (out->given_fen, amount, &out->given_fen, error))
        return FALSE;
      t = find_tender (out->tenders, type);
      if (t == NULL)
        {
          MdnTender nt = { g_strdup (type), 0 };

          g_array_append_val (out->tenders, nt);
          t = &g_array_index (out->tenders, MdnTender, out->tenders->len - 1);
        }
      t->amount_fen += amount;
    }
  return TRUE;
}

/* The tenders must cover the total exactly, except cash, which may exceed
 * it by the change. Balance needs a usable card, its PIN and enough money;
 * it draws principal first, then bonus. */
static gboolean
settle_tenders (MdnCheckout             *co,
                const MdnPaymentRequest *pay,
                GError                 **error)
{
  const char *pin = pay->pin;
  MdnTender *cash, *balance;
  gint64 cash_fen, other_fen;

  /* The checkout's own copy: cash is netted of the change below. */
  for (guint i = 0; i < pay->tenders->len; i++)
    {
      const MdnTender *t = &g_array_index (pay->tenders, MdnTender, i);
      MdnTender copy = { g_strdup (t->type), t->amount_fen };

      g_array_append_val (co->tenders, copy);
    }
  co->given_fen = pay->given_fen;

  cash = find_tender (co->tenders, "cash");
  cash_fen = cash ? cash->amount_fen : 0;
  other_fen = co->given_fen - cash_fen;
  if (co->given_fen < co->total_fen)
    {
      g_autofree char *given = mdn_money_format (co->given_fen);
      g_autofree char *total = mdn_money_format (co->total_fen);

      g_set_error (error, MDN_ERROR, MDN_ERROR_TENDER_MISMATCH,
                   _("The payment adds up to %s but the total is %s; take the rest"), given, total);
      return FALSE;
    }
  if (other_fen > co->total_fen)
    {
      g_autofree char *other = mdn_money_format (other_fen);
      g_autofree char *total = mdn_money_format (co->total_fen);

      g_set_error (error, MDN_ERROR, MDN_ERROR_TENDER_MISMATCH,
                   _("Only cash can be more than the total: the other payments add up to %s "
                     "and the total is %s"), other, total);
      return FALSE;
    }
  co->change_fen = co->given_fen - co->total_fen;
  if (cash)
    {
      cash->amount_fen -= co->change_fen;
      if (cash->amount_fen == 0)
        {
          /* All of the cash went back as change: it paid nothing. */
          for (guint i = 0; i < co->tenders->len; i++)
            if (&g_array_index (co->tenders, MdnTender, i) == cash)
              {
                g_array_remove_index (co->tenders, i);
                break;
              }
        }
    }

  balance = find_tender (co->tenders, "balance");
  if (balance)
    {
      MdnMember *m = co->member;

      if (m == NULL)
        {
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_CARD_REQUIRED,
                               _("Paying from a balance needs the member's card"));
          return FALSE;
        }
      /* A timed session may have started on a card that has since expired
         or been reported lost; it can't pay from its balance any more. */
      if (!mdn_member_check_usable (co->ctx, m, error) ||
          !mdn_card_check_hold (co->ctx, m, error) ||
          !mdn_member_check_pin (co->ctx, m, pin, error))
        return FALSE;
      if (balance->amount_fen > m->principal_fen + m->bonus_fen && !server_vouches (co->ctx))
        {
          g_autofree char *have = mdn_money_format (m->principal_fen + m->bonus_fen);
          g_autofree char *want = mdn_money_format (balance->amount_fen);

          g_set_error (error, MDN_ERROR, MDN_ERROR_INSUFFICIENT_BALANCE,
                       _("Card %s has %s on it, not enough to pay %s; pay the rest another way"),
                       m->card_no, have, want);
          return FALSE;
        }
      /* Principal first, then bonus; what the server vouches for beyond
         what this branch has seen yet was paid in elsewhere: principal. */
      co->principal_fen = CLAMP (m->principal_fen, 0, balance->amount_fen);
      co->bonus_fen = MIN (balance->amount_fen - co->principal_fen, MAX (m->bonus_fen, 0));
      co->principal_fen = balance->amount_fen - co->bonus_fen;
      if (!mdn_card_spend (co->ctx, m, "balance", NULL, balance->amount_fen, co->entry->body, error))
        return FALSE;
    }
  return TRUE;
}

static JsonArray *
tenders_json (GArray *tenders)
{
  JsonArray *list = json_array_new ();

  for (guint i = 0; i < tenders->len; i++)
    {
      MdnTender *t = &g_array_index (tenders, MdnTender, i);
      JsonObject *o = json_object_new ();

      json_object_set_string_member (o, "type", t->type);
      json_object_set_int_member (o, "amount_fen", t->amount_fen);
      json_array_add_object_element (list, o);
    }
  return list;
}

gint64
mdn_cash_rounding (MdnDb  *db,
                   gint64  total_fen)
{
  g_autofree char *mode = NULL;
  gint64 unit;

  g_return_val_if_fail (db != NULL, 0);

  mode = mdn_settings_dup_choice (db, "checkout.cash_rounding");
  if (g_strcmp0 (mode, "jiao") == 0)
    unit = 10;
  else if (g_strcmp0 (mode, "yuan") == 0)
    unit = 100;
  else
    return 0;
  if (total_fen < unit)
    return 0;
  return total_fen % unit;
}

/* Whether every tender handed over is cash (and there is one). */
static gboolean
cash_only (const MdnPaymentRequest *pay)
{
  if (pay->tenders->len == 0)
    return FALSE;
  for (guint i = 0; i < pay->tenders->len; i++)
    if (!g_str_equal (g_array_index (pay->tenders, MdnTender, i).type, "cash"))
      return FALSE;
  return TRUE;
}

/* Checks the payment against co->total_fen, takes a receipt number and
 * writes what every sale-like entry carries. Nothing is written yet. A
 * payment in cash only drops what checkout.cash_rounding says (抹零): the
 * total is lowered by it, kept as "rounding_fen" and counted in the
 * discount. */
gboolean
mdn_checkout_settle (MdnCheckout             *co,
                     const MdnPaymentRequest *pay,
                     GError                 **error)
{
  JsonObject *body;
  MdnMember *m;

  g_return_val_if_fail (co != NULL && co->entry != NULL && pay != NULL, FALSE);
  g_return_val_if_fail (co->total_fen >= 0 && co->total_fen <= co->list_total_fen, FALSE);

  body = co->entry->body;
  m = co->member;

  co->rounding_fen = cash_only (pay) ? mdn_cash_rounding (co->ctx->db, co->total_fen) : 0;
  co->total_fen -= co->rounding_fen;
  if (co->rounding_fen > 0)
    json_object_set_int_member (body, "rounding_fen", co->rounding_fen);
  if (!settle_tenders (co, pay, error) ||
      !mdn_receipt_next (co->ctx, &co->receipt_no, error))
    return FALSE;
  co->points_earned = mdn_checkout_points (co);

  json_object_set_string_member (body, "receipt_no", co->receipt_no);
  mdn_json_set_opt_string (body, "card_no", m ? m->card_no : NULL);
  if (co->level)
    {
      json_object_set_string_member (body, "level", co->level->code);
      json_object_set_int_member (body, "price_percent", co->level->price_percent);
      json_object_set_int_member (body, "points_per_yuan", co->level->points_per_yuan);
    }
  json_object_set_int_member (body, "list_total_fen", co->list_total_fen);
  json_object_set_int_member (body, "total_fen", co->total_fen);
  json_object_set_int_member (body, "discount_fen", co->list_total_fen - co->total_fen);
  json_object_set_array_member (body, "tenders", tenders_json (co->tenders));
  json_object_set_int_member (body, "given_fen", co->given_fen);
  json_object_set_int_member (body, "change_fen", co->change_fen);
  json_object_set_int_member (body, "principal_fen", co->principal_fen);
  json_object_set_int_member (body, "bonus_fen", co->bonus_fen);
  json_object_set_int_member (body, "points_earned", co->points_earned);

  if (m)
    {
      mdn_entry_add_movement (co->entry, m->id, "principal", NULL, NULL, NULL, -co->principal_fen);
      mdn_entry_add_movement (co->entry, m->id, "bonus", NULL, NULL, NULL, -co->bonus_fen);
      mdn_entry_add_movement (co->entry, m->id, "points", NULL, NULL, NULL, co->points_earned);
    }
  return TRUE;
}

gboolean
mdn_checkout_commit (MdnCheckout *co,
                     JsonObject  *result,
                     GError     **error)
{
  MdnMember *m;

  g_return_val_if_fail (co != NULL && co->receipt_no != NULL, FALSE);

  m = co->member;

  if (!mdn_ops_append_entry (co->ctx, co->entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "receipt_no", co->receipt_no);
  json_object_set_int_member (result, "list_total_fen", co->list_total_fen);
  json_object_set_int_member (result, "total_fen", co->total_fen);
  json_object_set_int_member (result, "discount_fen", co->list_total_fen - co->total_fen);
  json_object_set_int_member (result, "rounding_fen", co->rounding_fen);
  json_object_set_int_member (result, "change_fen", co->change_fen);
  json_object_set_int_member (result, "points_earned", co->points_earned);
  json_object_set_array_member (result, "tenders", tenders_json (co->tenders));
  if (m)
    {
      m->principal_fen -= co->principal_fen;
      m->bonus_fen -= co->bonus_fen;
      m->points += co->points_earned;
      json_object_set_string_member (result, "card_no", m->card_no);
      json_object_set_int_member (result, "balance_fen", m->principal_fen + m->bonus_fen);
      json_object_set_int_member (result, "points", m->points);
    }
  return TRUE;
}
