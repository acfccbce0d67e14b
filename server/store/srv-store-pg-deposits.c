/* srv-store-pg-deposits.c: the balance after each deposit on the
 * PostgreSQL store (srv_deposit_balances, schema/server/postgres/
 * 0011_deposit_balances.sql), kept on apply in the push's transaction, and
 * what the deposits report's scratch needs of it.
 *
 * The deposits report (common/reports/mdn-report-defs.c, balance_after)
 * shows the member's stored value (principal + bonus) once the deposit was
 * applied at the server: the member's principal and bonus movements of
 * every entry stored up to it, in arrival order. That is the member's
 * accounts (principal, bonus) right after the deposit was stored, which the
 * apply knows without reading history:
 *
 *   - a deposit stored at once (srv_pg_entry_apply's own statements): the
 *     accounts as they are then, read in one statement after it;
 *   - a deposit held back with the push's other writes
 *     (srv-store-pg-push.c): its row is written by one statement sent right
 *     after the held-back entries (srv_pg_deposits_flush), as the accounts
 *     then less what the entries held back after it moved: this file adds
 *     up, per member, the principal and bonus the held-back entries move.
 *
 * The member's srv_members row is locked before its entries are stored, so
 * no other transaction moves its accounts in between.
 *
 * A report reads the kept figure of each deposit of its period and adds
 * to the scratch, on the deposit itself, the movement that brings the
 * definition's sum over the scratch to it (srv_pg_deposits_fill): the
 * report reads the period's entries only, whatever the members' histories.
 */
#define G_LOG_DOMAIN "srv-store-pg"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-error.h"
#include "srv-store-backends.h"
#include "srv-store-pg-private.h"

typedef struct
{
  char  *entry_id;
  char  *member_id;
  gint64 moved;       /* the member's held-back sum right after the deposit */
} Pending;

struct _SrvPgDeposits
{
  GHashTable *moved;    /* member id → gint64 *: principal + bonus the held-back entries move */
  GArray     *pending;  /* Pending: the held-back deposits, in order */
};

/* Each member's accounts read once, however many deposits it has. */
static const char *flush_sql =
  "INSERT INTO srv_deposit_balances (entry_id, balance_after_fen) "
  "SELECT d.id, COALESCE (s.total, 0) - d.later "
  "FROM unnest ($1::text[], $2::text[], $3::bigint[]) AS d (id, member, later) "
  "LEFT JOIN (SELECT member_id, SUM (balance) AS total FROM accounts "
  "  WHERE member_id = ANY ($2::text[]) AND account IN ('principal', 'bonus') GROUP BY 1) s "
  "  ON s.member_id = d.member";

static const char *now_sql =
  "INSERT INTO srv_deposit_balances (entry_id, balance_after_fen) "
  "SELECT $1, COALESCE (SUM (balance), 0) FROM accounts "
  "WHERE member_id = $2 AND account IN ('principal', 'bonus')";

static void
pending_clear (gpointer data)
{
  Pending *p = data;

  g_free (p->entry_id);
  g_free (p->member_id);
}

static SrvPgDeposits *
deposits_get (SrvPg *pg)
{
  if (pg->deposits == NULL)
    {
      pg->deposits = g_new0 (SrvPgDeposits, 1);
      pg->deposits->moved = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      pg->deposits->pending = g_array_new (FALSE, TRUE, sizeof (Pending));
      g_array_set_clear_func (pg->deposits->pending, pending_clear);
    }
  return pg->deposits;
}

static gboolean
stored_value (const MdnMovement *m)
{
  return m->member_id && (g_str_equal (m->account, "principal") || g_str_equal (m->account, "bonus"));
}

/* *@sum + @delta, refused only beyond gint64: a card's own bound (10^15
 * fen) is the push's rule to refuse, with its own answer, later. */
static gboolean
add (gint64  *sum,
     gint64   delta,
     GError **error)
{
  if (__builtin_add_overflow (*sum, delta, sum))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_MONEY_OVERFLOW, _("The amount is too large"));
      return FALSE;
    }
  return TRUE;
}

static gboolean
is_deposit (const MdnEntry *entry)
{
  return entry->member_id && g_str_equal (entry->kind, "member.deposit");
}

/* After srv_pg_entry_apply stored @entry: @held, with the push's
 * held-back writes (its movements are not in the accounts yet), else at
 * once (they are, and so is everything stored before it). */
gboolean
srv_pg_deposits_applied (SrvPg    *pg,
                         MdnEntry *entry,
                         gboolean  held,
                         GError  **error)
{
  SrvPgDeposits *d;

  if (!held)
    return !is_deposit (entry) || pq_exec (pg, error, now_sql, "ss", entry->id, entry->member_id);

  d = deposits_get (pg);
  for (guint i = 0; i < entry->movements->len; i++)
    {
      const MdnMovement *m = &g_array_index (entry->movements, MdnMovement, i);
      gint64 *sum;

      if (!stored_value (m))
        continue;
      sum = g_hash_table_lookup (d->moved, m->member_id);
      if (sum == NULL)
        {
          sum = g_new0 (gint64, 1);
          g_hash_table_insert (d->moved, g_strdup (m->member_id), sum);
        }
      if (!add (sum, m->delta, error))
        return FALSE;
    }
  if (is_deposit (entry))
    {
      gint64 *sum = g_hash_table_lookup (d->moved, entry->member_id);
      Pending p = { g_strdup (entry->id), g_strdup (entry->member_id), sum ? *sum : 0 };

      g_array_append_val (d->pending, p);
    }
  return TRUE;
}

/* The held-back entries are being sent: the statement that writes their
 * deposits' rows, to be sent right after them (@values, three array
 * literals added to @owned), or NULL when they hold none. What is held is
 * forgotten: the flush sends it or the transaction is lost. */
const char *
srv_pg_deposits_flush (SrvPg       *pg,
                       const char **values,
                       GPtrArray   *owned)
{
  SrvPgDeposits *d = pg->deposits;
  g_autoptr(GPtrArray) ids = NULL, members = NULL;
  g_autoptr(GString) later = NULL;

  if (d == NULL || d->pending->len == 0)
    {
      srv_pg_deposits_forget (pg);
      return NULL;
    }
  ids = g_ptr_array_new ();
  members = g_ptr_array_new ();
  later = g_string_new ("{");
  for (guint i = 0; i < d->pending->len; i++)
    {
      Pending *p = &g_array_index (d->pending, Pending, i);
      gint64 *sum = g_hash_table_lookup (d->moved, p->member_id);

      g_ptr_array_add (ids, p->entry_id);
      g_ptr_array_add (members, p->member_id);
      /* what the entries held back after it moved (each checked within an
         entry's bound: no overflow); none when nothing held back moved the
         member's principal or bonus */
      g_string_append_printf (later, "%s%" G_GINT64_FORMAT, i ? "," : "", sum ? *sum - p->moved : 0);
    }
  g_string_append_c (later, '}');
  g_ptr_array_add (owned, text_array (ids));
  values[0] = g_ptr_array_index (owned, owned->len - 1);
  g_ptr_array_add (owned, text_array (members));
  values[1] = g_ptr_array_index (owned, owned->len - 1);
  g_ptr_array_add (owned, g_string_free (g_steal_pointer (&later), FALSE));
  values[2] = g_ptr_array_index (owned, owned->len - 1);
  srv_pg_deposits_forget (pg);
  return flush_sql;
}

/* The transaction ended, or its held-back writes were sent. */
void
srv_pg_deposits_forget (SrvPg *pg)
{
  if (pg->deposits == NULL)
    return;
  g_hash_table_remove_all (pg->deposits->moved);
  g_array_set_size (pg->deposits->pending, 0);
}

void
srv_pg_deposits_free (SrvPg *pg)
{
  if (pg->deposits == NULL)
    return;
  g_hash_table_unref (pg->deposits->moved);
  g_array_unref (pg->deposits->pending);
  g_clear_pointer (&pg->deposits, g_free);
}

/* The report's scratch ------------------------------------------------------------ */

/* A principal or bonus movement of a copied entry, or (@entry_id set) a
 * copied deposit. */
typedef struct
{
  gint64      applied;
  const char *member_id;
  gint64      delta;
  const char *entry_id;
  guint       n_movements;
} Row;

struct _SrvPgDepositRows
{
  GArray     *rows;
  GStringChunk *strings;
  guint       n_deposits;
};

SrvPgDepositRows *
srv_pg_deposit_rows_new (void)
{
  SrvPgDepositRows *r = g_new0 (SrvPgDepositRows, 1);

  r->rows = g_array_new (FALSE, FALSE, sizeof (Row));
  r->strings = g_string_chunk_new (4096);
  return r;
}

void
srv_pg_deposit_rows_free (SrvPgDepositRows *r)
{
  if (r == NULL)
    return;
  g_array_unref (r->rows);
  g_string_chunk_free (r->strings);
  g_free (r);
}

/* @entry was copied into the scratch under rowid @applied. */
void
srv_pg_deposit_rows_add (SrvPgDepositRows *r,
                         const MdnEntry   *entry,
                         gint64            applied)
{
  for (guint i = 0; i < entry->movements->len; i++)
    {
      const MdnMovement *m = &g_array_index (entry->movements, MdnMovement, i);
      Row row = { applied, NULL, m->delta, NULL, 0 };

      if (!stored_value (m))
        continue;
      row.member_id = g_string_chunk_insert_const (r->strings, m->member_id);
      g_array_append_val (r->rows, row);
    }
  if (is_deposit (entry))
    {
      Row row = { applied, g_string_chunk_insert_const (r->strings, entry->member_id), 0,
                  g_string_chunk_insert_const (r->strings, entry->id), entry->movements->len };

      g_array_append_val (r->rows, row);
      r->n_deposits++;
    }
}

/* In arrival order; at one entry, its movements before the deposit. */
static int
compare_rows (gconstpointer a,
              gconstpointer b)
{
  const Row *x = a, *y = b;

  if (x->applied != y->applied)
    return x->applied < y->applied ? -1 : 1;
  return (x->entry_id != NULL) - (y->entry_id != NULL);
}

/* Each copied deposit's kept balance after (srv_deposit_balances) into
 * @db: a principal movement on the deposit itself of what the member's
 * principal and bonus movements in @db, up to and with the deposit, lack
 * of it (the member's entries outside the period, the branch or the card
 * asked for, and before it), so that the report's balance_after sums to
 * the kept figure. */
gboolean
srv_pg_deposits_fill (SrvPg            *pg,
                      MdnDb            *db,
                      SrvPgDepositRows *r,
                      GError          **error)
{
  g_autoptr(GPtrArray) ids = NULL;
  g_autoptr(GHashTable) kept = NULL, sums = NULL;
  g_autoptr(PGresult) res = NULL;
  g_autofree char *array = NULL;

  if (r->n_deposits == 0)
    return TRUE;
  ids = g_ptr_array_new ();
  for (guint i = 0; i < r->rows->len; i++)
    {
      Row *row = &g_array_index (r->rows, Row, i);

      if (row->entry_id)
        g_ptr_array_add (ids, (gpointer) row->entry_id);
    }
  array = text_array (ids);
  res = pq (pg, error, "SELECT entry_id, balance_after_fen FROM srv_deposit_balances WHERE entry_id = ANY ($1::text[])",
            "s", array);
  if (res == NULL)
    return FALSE;
  kept = g_hash_table_new (g_str_hash, g_str_equal);
  for (int i = 0; i < PQntuples (res); i++)
    g_hash_table_insert (kept, (gpointer) col (res, i, 0), GINT_TO_POINTER (i + 1));

  g_array_sort (r->rows, compare_rows);
  sums = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  for (guint i = 0; i < r->rows->len; i++)
    {
      Row *row = &g_array_index (r->rows, Row, i);
      gint64 *sum = g_hash_table_lookup (sums, row->member_id);
      int at;
      gint64 after, lack;

      if (sum == NULL)
        {
          sum = g_new0 (gint64, 1);
          g_hash_table_insert (sums, (gpointer) row->member_id, sum);
        }
      if (row->entry_id == NULL)
        {
          if (!add (sum, row->delta, error))
            return FALSE;
          continue;
        }
      at = GPOINTER_TO_INT (g_hash_table_lookup (kept, row->entry_id));
      if (at == 0)
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_CORRUPT,
                       _("The balance after deposit %s is not kept on the server"), row->entry_id);
          return FALSE;
        }
      after = col_int (res, at - 1, 1);
      lack = after;
      if (*sum == G_MININT64 || !add (&lack, -*sum, error))
        return FALSE;
      if (lack != 0 &&
          !mdn_db_exec (db, error, "INSERT INTO movements (entry_id, idx, member_id, account, delta) "
                                   "VALUES (?, ?, ?, 'principal', ?)",
                        "sisi", row->entry_id, (gint64) row->n_movements, row->member_id, lack))
        return FALSE;
      *sum = after;
    }
  return TRUE;
}
