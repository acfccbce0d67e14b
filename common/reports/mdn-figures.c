/* mdn-figures.c: what an entry contributes to the business figures (the
 * rules are written down in mdn-figures.h). */
#define G_LOG_DOMAIN "mdn-figures"

#include <string.h>

#include "mdn-figures.h"
#include "mdn-json.h"
#include "mdn-money.h"

/* Checked adds ----------------------------------------------------------------- */

/* *field += v, unless the sum would leave ±MDN_MONEY_MAX: then nothing
 * changes and the figures are marked short. */
static void
add (MdnFigures *f,
     gint64     *field,
     gint64      v)
{
  gint64 r;

  if (__builtin_add_overflow (*field, v, &r) || r > MDN_MONEY_MAX || r < -MDN_MONEY_MAX)
    f->overflow = TRUE;
  else
    *field = r;
}

/* *field -= v, likewise (v may be any gint64, G_MININT64 included). */
static void
sub (MdnFigures *f,
     gint64     *field,
     gint64      v)
{
  gint64 r;

  if (__builtin_sub_overflow (*field, v, &r) || r > MDN_MONEY_MAX || r < -MDN_MONEY_MAX)
    f->overflow = TRUE;
  else
    *field = r;
}

/* Tenders ---------------------------------------------------------------------- */

/* MdnTenderKind numbers mdn_all_tenders (mdn-money.h) in its order; one
 * past them is "other". */
G_STATIC_ASSERT (MDN_TENDER_OTHER == 5);

MdnTenderKind
mdn_tender_kind (const char *name)
{
  for (int t = 0; mdn_all_tenders[t]; t++)
    if (g_strcmp0 (name, mdn_all_tenders[t]) == 0)
      return (MdnTenderKind) t;
  return MDN_TENDER_OTHER;
}

const char *
mdn_tender_name (MdnTenderKind tender)
{
  g_return_val_if_fail (tender >= 0 && tender < MDN_N_TENDERS, NULL);

  return tender == MDN_TENDER_OTHER ? "other" : mdn_all_tenders[tender];
}

gboolean
mdn_tender_is_money (MdnTenderKind tender)
{
  return tender != MDN_TENDER_BALANCE && tender != MDN_TENDER_OTHER;
}

/* @sign × @amount by @tender: one tender line. */
static void
add_tender (MdnFigures    *f,
            MdnTenderKind  tender,
            gint64         amount,
            int            sign)
{
  MdnTenderSum *t = &f->tenders[tender];

  add (f, &t->count, 1);
  if (sign > 0)
    add (f, &t->amount_fen, amount);
  else
    sub (f, &t->amount_fen, amount);
  if (!mdn_tender_is_money (tender))
    return;
  if (sign > 0)
    add (f, &f->net_fen, amount);
  else
    sub (f, &f->net_fen, amount);
}

/* Every element of the body's "tenders": {type, amount_fen}. */
static void
add_tenders (MdnFigures     *f,
             const MdnEntry *entry,
             int             sign)
{
  JsonArray *list = mdn_body_array (entry->body, "tenders");

  for (guint i = 0; list && i < json_array_get_length (list); i++)
    {
      JsonNode *n = json_array_get_element (list, i);
      JsonObject *t = JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
      const char *type = t ? mdn_body_string (t, "type") : NULL;

      if (type != NULL)
        add_tender (f, mdn_tender_kind (type), mdn_body_int (t, "amount_fen", 0), sign);
    }
}

/* The body's "tender" (cash if none): deposits and withdrawals. */
static MdnTenderKind
body_tender (const MdnEntry *entry)
{
  const char *name = mdn_body_string (entry->body, "tender");

  return mdn_tender_kind (name ? name : "cash");
}

/* The sum of @entry's movements of @account, checked. */
static gint64
movements (MdnFigures     *f,
           const MdnEntry *entry,
           const char     *account)
{
  gint64 sum = 0;

  for (guint i = 0; i < entry->movements->len; i++)
    {
      const MdnMovement *m = &g_array_index (entry->movements, MdnMovement, i);
      gint64 r;

      if (g_strcmp0 (m->account, account) != 0)
        continue;
      if (__builtin_add_overflow (sum, m->delta, &r) || r > MDN_MONEY_MAX || r < -MDN_MONEY_MAX)
        {
          f->overflow = TRUE;
          return 0;
        }
      sum = r;
    }
  return sum;
}

/* Per kind --------------------------------------------------------------------- */

typedef void (*AddFunc) (MdnFigures *f, const MdnEntry *entry, MdnFiguresFlags flags);

static void
add_sale (MdnFigures      *f,
          const MdnEntry  *entry,
          MdnFiguresFlags  flags)
{
  add (f, &f->sales_fen, mdn_body_int (entry->body, "total_fen", 0));
  add (f, &f->discount_fen, mdn_body_int (entry->body, "discount_fen", 0));
  add_tenders (f, entry, 1);
  add (f, &f->points_earned, movements (f, entry, "points"));
  add (f, &f->package_uses_sold, movements (f, entry, "package"));
  sub (f, &f->stock_sold_qty, movements (f, entry, "stock"));
  sub (f, &f->principal_spent_fen, movements (f, entry, "principal"));
  sub (f, &f->bonus_spent_fen, movements (f, entry, "bonus"));
}

static void
add_return (MdnFigures      *f,
            const MdnEntry  *entry,
            MdnFiguresFlags  flags)
{
  add (f, &f->refund_fen, mdn_body_int (entry->body, "refund_fen", 0));
  add_tenders (f, entry, -1);
  sub (f, &f->points_returned, movements (f, entry, "points"));
  sub (f, &f->package_uses_returned, movements (f, entry, "package"));
  add (f, &f->stock_returned_qty, movements (f, entry, "stock"));
  add (f, &f->principal_refunded_fen, movements (f, entry, "principal"));
  add (f, &f->bonus_refunded_fen, movements (f, entry, "bonus"));
}

static void
add_deposit (MdnFigures      *f,
             const MdnEntry  *entry,
             MdnFiguresFlags  flags)
{
  gint64 amount = mdn_body_int (entry->body, "amount_fen", 0);

  add (f, &f->deposit_principal_fen, amount);
  add (f, &f->deposit_bonus_fen, mdn_body_int (entry->body, "bonus_fen", 0));
  add_tender (f, body_tender (entry), amount, 1);
}

static void
add_withdraw (MdnFigures      *f,
              const MdnEntry  *entry,
              MdnFiguresFlags  flags)
{
  gint64 amount = mdn_body_int (entry->body, "amount_fen", 0);

  add (f, &f->withdraw_fen, amount);
  add_tender (f, body_tender (entry), amount, -1);
}

static void
add_issue (MdnFigures      *f,
           const MdnEntry  *entry,
           MdnFiguresFlags  flags)
{
  add (f, &f->members_issued, 1);
}

static void
add_opening (MdnFigures      *f,
             const MdnEntry  *entry,
             MdnFiguresFlags  flags)
{
  add (f, &f->opening_principal_fen, movements (f, entry, "principal"));
  add (f, &f->opening_bonus_fen, movements (f, entry, "bonus"));
  add (f, &f->opening_points, movements (f, entry, "points"));
}

static void
add_consume (MdnFigures      *f,
             const MdnEntry  *entry,
             MdnFiguresFlags  flags)
{
  sub (f, &f->package_uses_consumed, movements (f, entry, "package"));
}

static void
add_redeem (MdnFigures      *f,
            const MdnEntry  *entry,
            MdnFiguresFlags  flags)
{
  sub (f, &f->points_redeemed, movements (f, entry, "points"));
}

static void
add_adjust (MdnFigures      *f,
            const MdnEntry  *entry,
            MdnFiguresFlags  flags)
{
  add (f, &f->points_adjusted, movements (f, entry, "points"));
}

static void
add_write_off (MdnFigures      *f,
               const MdnEntry  *entry,
               MdnFiguresFlags  flags)
{
  g_assert (flags & MDN_FIGURES_HQ);
  add (f, &f->written_off_fen, mdn_body_int (entry->body, "written_off_fen", 0));
  add (f, &f->points_written_off, movements (f, entry, "points"));
  add (f, &f->package_uses_written_off, movements (f, entry, "package"));
}

static void
add_stock_receive (MdnFigures      *f,
                   const MdnEntry  *entry,
                   MdnFiguresFlags  flags)
{
  add (f, &f->stock_received_qty, movements (f, entry, "stock"));
  add (f, &f->stock_received_cost_fen, mdn_body_int (entry->body, "total_cost_fen", 0));
}

static void
add_stock_issue (MdnFigures      *f,
                 const MdnEntry  *entry,
                 MdnFiguresFlags  flags)
{
  sub (f, &f->stock_issued_qty, movements (f, entry, "stock"));
}

static void
add_stocktake (MdnFigures      *f,
               const MdnEntry  *entry,
               MdnFiguresFlags  flags)
{
  add (f, &f->stock_adjusted_qty, movements (f, entry, "stock"));
}

static void
add_transfer_out (MdnFigures      *f,
                  const MdnEntry  *entry,
                  MdnFiguresFlags  flags)
{
  sub (f, &f->stock_transferred_out_qty, movements (f, entry, "stock"));
}

static void
add_transfer_receive (MdnFigures      *f,
                      const MdnEntry  *entry,
                      MdnFiguresFlags  flags)
{
  add (f, &f->stock_transferred_in_qty, movements (f, entry, "stock"));
  add (f, &f->stock_transfer_shortfall_qty, mdn_body_int (entry->body, "shortfall", 0));
}

static void
add_shift (MdnFigures      *f,
           const MdnEntry  *entry,
           MdnFiguresFlags  flags)
{
  JsonArray *list = mdn_body_array (entry->body, "tenders");

  add (f, &f->shifts_closed, 1);
  add (f, &f->over_short_fen, mdn_body_int (entry->body, "over_short_fen", 0));
  for (guint i = 0; list && i < json_array_get_length (list); i++)
    {
      JsonNode *n = json_array_get_element (list, i);
      JsonObject *t = JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;

      if (t && g_strcmp0 (mdn_body_string (t, "tender"), "cash") == 0)
        add (f, &f->cash_over_short_fen, mdn_body_int (t, "over_short_fen", 0));
    }
}

static const struct
{
  const char *kind;
  gboolean    counted;   /* the day end's business */
  gboolean    hq_only;   /* contributes only when the HQ terminal wrote it */
  AddFunc     add;
} kinds[] = {
  { "sale",                TRUE,  FALSE, add_sale },
  { "sale.quick",          TRUE,  FALSE, add_sale },
  { "timed.stop",          TRUE,  FALSE, add_sale },
  { "timed.prepay",        TRUE,  FALSE, add_sale },
  { "timed.extend",        TRUE,  FALSE, add_sale },
  { "sale.return",         TRUE,  FALSE, add_return },
  { "member.deposit",      TRUE,  FALSE, add_deposit },
  { "member.withdraw",     TRUE,  FALSE, add_withdraw },
  { "member.issue",        TRUE,  FALSE, add_issue },
  { "member.opening",      TRUE,  FALSE, add_opening },
  { "package.consume",     TRUE,  FALSE, add_consume },
  { "points.redeem",       FALSE, FALSE, add_redeem },
  { "points.adjust",       FALSE, FALSE, add_adjust },
  { "exception.write_off", FALSE, TRUE,  add_write_off },
  { "stock.receive",       FALSE, FALSE, add_stock_receive },
  { "stock.issue",         FALSE, FALSE, add_stock_issue },
  { "stocktake.finish",    FALSE, FALSE, add_stocktake },
  { "transfer.out",        FALSE, FALSE, add_transfer_out },
  { "transfer.receive",    FALSE, FALSE, add_transfer_receive },
  { "shift.close",         FALSE, FALSE, add_shift },
};

static int
kind_index (const char *kind)
{
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_strcmp0 (kind, kinds[i].kind) == 0)
      return (int) i;
  return -1;
}

gboolean
mdn_figures_kind_counted (const char *kind)
{
  int k = kind_index (kind);

  return k >= 0 && kinds[k].counted;
}

void
mdn_figures_add_entry (MdnFigures      *f,
                       const MdnEntry  *entry,
                       MdnFiguresFlags  flags)
{
  int k;

  g_return_if_fail (f != NULL);
  g_return_if_fail (entry != NULL && entry->kind != NULL && entry->body != NULL && entry->movements != NULL);

  add (f, &f->entries, 1);
  k = kind_index (entry->kind);
  if (k >= 0 && kinds[k].hq_only && !(flags & MDN_FIGURES_HQ))
    return;
  add (f, &f->principal_delta_fen, movements (f, entry, "principal"));
  add (f, &f->bonus_delta_fen, movements (f, entry, "bonus"));
  if (k < 0)
    return;
  if (kinds[k].counted)
    add (f, &f->counted_entries, 1);
  kinds[k].add (f, entry, flags);
}

gint64
mdn_figures_over_refund (gint64 total,
                         gint64 refunded,
                         gint64 refund)
{
  gint64 after, before;

  /* Stored amounts are within ±MDN_MONEY_MAX and their sums far inside
     gint64; figures that are not are damaged and over-refund nothing. */
  if (__builtin_sub_overflow (refunded, total, &after) ||
      __builtin_sub_overflow (after, refund, &before))
    return 0;
  return MAX (after, 0) - MAX (before, 0);
}

void
mdn_figures_add_over_refund (MdnFigures *f,
                             gint64      excess)
{
  g_return_if_fail (f != NULL);

  add (f, &f->over_refund_fen, excess);
}

gboolean
mdn_figures_gross_fen (const MdnFigures *f,
                       gint64           *out)
{
  MdnFigures g = { 0 };

  g_return_val_if_fail (f != NULL && out != NULL, FALSE);

  add (&g, &g.net_fen, f->sales_fen);
  sub (&g, &g.net_fen, f->refund_fen);
  add (&g, &g.net_fen, f->deposit_principal_fen);
  sub (&g, &g.net_fen, f->withdraw_fen);
  *out = g.net_fen;
  return !g.overflow;
}

/* By name ---------------------------------------------------------------------- */

#define FIELD(name) { #name, G_STRUCT_OFFSET (MdnFigures, name), FALSE }
#define TENDER(t, name) \
  { "tender_" name "_fen", G_STRUCT_OFFSET (MdnFigures, tenders[t].amount_fen), FALSE }, \
  { "tender_" name "_count", G_STRUCT_OFFSET (MdnFigures, tenders[t].count), FALSE }

static const MdnFigureField fields[] = {
  FIELD (entries),
  FIELD (counted_entries),
  FIELD (sales_fen),
  FIELD (discount_fen),
  FIELD (refund_fen),
  { "over_refund_fen", G_STRUCT_OFFSET (MdnFigures, over_refund_fen), TRUE },
  FIELD (deposit_principal_fen),
  FIELD (deposit_bonus_fen),
  FIELD (withdraw_fen),
  FIELD (written_off_fen),
  FIELD (net_fen),
  FIELD (principal_delta_fen),
  FIELD (bonus_delta_fen),
  FIELD (members_issued),
  FIELD (points_earned),
  FIELD (points_returned),
  FIELD (points_redeemed),
  FIELD (points_adjusted),
  FIELD (points_written_off),
  FIELD (package_uses_sold),
  FIELD (package_uses_returned),
  FIELD (package_uses_consumed),
  FIELD (package_uses_written_off),
  FIELD (stock_sold_qty),
  FIELD (stock_returned_qty),
  FIELD (stock_received_qty),
  FIELD (stock_received_cost_fen),
  FIELD (stock_issued_qty),
  FIELD (stock_adjusted_qty),
  FIELD (stock_transferred_out_qty),
  FIELD (stock_transferred_in_qty),
  FIELD (stock_transfer_shortfall_qty),
  FIELD (principal_spent_fen),
  FIELD (bonus_spent_fen),
  FIELD (principal_refunded_fen),
  FIELD (bonus_refunded_fen),
  FIELD (opening_principal_fen),
  FIELD (opening_bonus_fen),
  FIELD (opening_points),
  FIELD (shifts_closed),
  FIELD (over_short_fen),
  FIELD (cash_over_short_fen),
  TENDER (MDN_TENDER_CASH, "cash"),
  TENDER (MDN_TENDER_BANK, "bank"),
  TENDER (MDN_TENDER_WECHAT, "wechat"),
  TENDER (MDN_TENDER_ALIPAY, "alipay"),
  TENDER (MDN_TENDER_BALANCE, "balance"),
  TENDER (MDN_TENDER_OTHER, "other"),
};

/* Every gint64 of MdnFigures is in the table, once. */
G_STATIC_ASSERT (G_N_ELEMENTS (fields) * sizeof (gint64) == G_STRUCT_OFFSET (MdnFigures, overflow));

const MdnFigureField *
mdn_figures_fields (guint *n_fields)
{
  g_return_val_if_fail (n_fields != NULL, NULL);

  *n_fields = G_N_ELEMENTS (fields);
  return fields;
}

gint64
mdn_figures_get (const MdnFigures     *f,
                 const MdnFigureField *field)
{
  g_return_val_if_fail (f != NULL && field != NULL, 0);

  return G_STRUCT_MEMBER (gint64, f, field->offset);
}

void
mdn_figures_set (MdnFigures           *f,
                 const MdnFigureField *field,
                 gint64                value)
{
  g_return_if_fail (f != NULL && field != NULL);

  G_STRUCT_MEMBER (gint64, f, field->offset) = value;
}

void
mdn_figures_add (MdnFigures       *into,
                 const MdnFigures *from)
{
  g_return_if_fail (into != NULL && from != NULL);

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    add (into, G_STRUCT_MEMBER_P (into, fields[i].offset), G_STRUCT_MEMBER (gint64, from, fields[i].offset));
  if (from->overflow)
    into->overflow = TRUE;
}

void
mdn_figures_to_json (const MdnFigures *f,
                     JsonObject       *o,
                     gboolean          with_chain)
{
  g_return_if_fail (f != NULL && o != NULL);

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (with_chain || !fields[i].chain)
      json_object_set_int_member (o, fields[i].name, G_STRUCT_MEMBER (gint64, f, fields[i].offset));
}
