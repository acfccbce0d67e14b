/* mdn-member-figures.c: the per-member figures kept on apply (see
 * mdn-member-figures.h). */
#define G_LOG_DOMAIN "mdn-member-figures"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-error.h"
#include "mdn-figures.h"
#include "mdn-member-figures.h"

static gboolean
is_visit (const char *kind)
{
  return g_str_equal (kind, "sale") || g_str_equal (kind, "sale.quick") ||
         g_str_equal (kind, "timed.stop") || g_str_equal (kind, "package.consume") ||
         g_str_equal (kind, "timed.prepay") || g_str_equal (kind, "timed.extend");
}

gboolean
mdn_member_figures_of (const MdnEntry     *entry,
                       MdnMemberFigureAdd *out,
                       GError            **error)
{
  MdnFigures f = { 0 };

  g_return_val_if_fail (entry != NULL && out != NULL, FALSE);

  memset (out, 0, sizeof *out);
  if (entry->member_id == NULL)
    return TRUE;
  out->visit = is_visit (entry->kind);
  out->deposit = g_str_equal (entry->kind, "member.deposit");
  if (!out->visit && !out->deposit && !g_str_equal (entry->kind, "sale.return"))
    return TRUE;
  mdn_figures_add_entry (&f, entry, MDN_FIGURES_NONE);
  if (f.overflow)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_MONEY_OVERFLOW, _("The amount is too large"));
      return FALSE;
    }
  out->counts = TRUE;
  out->spent_fen = f.sales_fen - f.refund_fen;    /* each within ±MDN_MONEY_MAX */
  return TRUE;
}

gboolean
mdn_member_figures_apply (MdnDb    *db,
                          MdnEntry *entry,
                          GError  **error)
{
  MdnMemberFigureAdd a;
  gboolean visit, deposit, updated = FALSE;
  gint64 spent;

  g_return_val_if_fail (db != NULL && entry != NULL, FALSE);

  if (!mdn_member_figures_of (entry, &a, error))
    return FALSE;
  if (!a.counts)
    return TRUE;
  visit = a.visit;
  deposit = a.deposit;
  spent = a.spent_fen;
  /* spent_fen stays far from overflow: each entry adds at most
     MDN_MONEY_MAX, and SQLite turns an overflowing sum into an error. */
  if (!visit)
    {
      /* A deposit or a return leaves the visit dates as they are: an
         update that doesn't name them (and so leaves member_figures_last
         alone) when the member has a row, which is nearly always. */
      if (!mdn_db_exec (db, error,
                        "UPDATE member_figures SET spent_fen = spent_fen + ?2, deposits = deposits + ?3 "
                        "WHERE member_id = ?1",
                        "sii", entry->member_id, spent, (gint64) (deposit ? 1 : 0)))
        return FALSE;
      updated = sqlite3_changes (mdn_db_handle (db)) == 1;
    }
  if (!updated && !mdn_db_exec (db, error,
                      "INSERT INTO member_figures (member_id, first_visit, last_visit, visits, spent_fen, deposits) "
                      "VALUES (?1, ?2, ?2, ?3, ?4, ?5) "
                      "ON CONFLICT (member_id) DO UPDATE SET "
                      "first_visit = CASE WHEN excluded.first_visit IS NULL THEN first_visit "
                      "  WHEN first_visit IS NULL OR excluded.first_visit < first_visit THEN excluded.first_visit "
                      "  ELSE first_visit END, "
                      "last_visit = CASE WHEN excluded.last_visit IS NULL THEN last_visit "
                      "  WHEN last_visit IS NULL OR excluded.last_visit > last_visit THEN excluded.last_visit "
                      "  ELSE last_visit END, "
                      "visits = visits + excluded.visits, spent_fen = spent_fen + excluded.spent_fen, "
                      "deposits = deposits + excluded.deposits",
                      "ssiii", entry->member_id, visit ? entry->business_date : NULL,
                      (gint64) (visit ? 1 : 0), spent, (gint64) (deposit ? 1 : 0)))
    return FALSE;
  /* By business day, for the windowed segments: visits and returns only
     (a deposit is neither), sums only. */
  if (deposit)
    return TRUE;
  return mdn_db_exec (db, error,
                      "INSERT INTO member_days (member_id, business_date, visits, spent_fen) "
                      "VALUES (?1, ?2, ?3, ?4) "
                      "ON CONFLICT (member_id, business_date) DO UPDATE SET "
                      "visits = visits + excluded.visits, spent_fen = spent_fen + excluded.spent_fen",
                      "ssii", entry->member_id, entry->business_date, (gint64) (visit ? 1 : 0), spent);
}
