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

/* Held deposits (mdn_member_figures_hold): per member whose figures row an
 * UPDATE changed in this transaction (so it is there: no statement
 * deletes one), the deposits made since the row was last written. Only a
 * deposit that adds nothing to spent_fen is held: the count is all it
 * changes. */
static gboolean
held_deposits_flush (MdnDb   *db,
                     gpointer data,
                     GError **error)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, data);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      gint64 *deposits = value;

      if (*deposits == 0)
        continue;
      if (!mdn_db_exec (db, error, "UPDATE member_figures SET deposits = deposits + ?2 WHERE member_id = ?1",
                        "si", (const char *) key, *deposits))
        return FALSE;
      if (sqlite3_changes (mdn_db_handle (db)) != 1)
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_INTERNAL,
                       "held figures: the row of member %s is gone", (const char *) key);
          return FALSE;
        }
      *deposits = 0;
    }
  return TRUE;
}

void
mdn_member_figures_hold (MdnDb *db)
{
  mdn_db_hold_writes_by_key (db, "member_figures", held_deposits_flush);
}

gboolean
mdn_member_figures_apply (MdnDb    *db,
                          MdnEntry *entry,
                          GError  **error)
{
  MdnMemberFigureAdd a;
  gboolean visit, deposit, updated = FALSE;
  gint64 spent;
  GHashTable *held;

  g_return_val_if_fail (db != NULL && entry != NULL, FALSE);

  if (!mdn_member_figures_of (entry, &a, error))
    return FALSE;
  if (!a.counts)
    return TRUE;
  visit = a.visit;
  deposit = a.deposit;
  spent = a.spent_fen;
  held = deposit && spent == 0 ? mdn_db_held (db, held_deposits_flush) : NULL;
  {
    gint64 *deposits = held ? g_hash_table_lookup (held, entry->member_id) : NULL;

    /* Held (a push's count is far from overflow): written before the
       next statement that names member_figures, or at commit. */
    if (deposits != NULL)
      {
        (*deposits)++;
        mdn_db_held_pending (db, held_deposits_flush);
        return TRUE;
      }
  }
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
  /* The row found or made here is there for the rest of the
     transaction: the member's next deposits are held. */
  if (held != NULL)
    g_hash_table_insert (held, g_strdup (entry->member_id), g_new0 (gint64, 1));
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
