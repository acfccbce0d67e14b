/* srv-store-pg-push.c: a push on PostgreSQL in a few round trips, not
 * several per entry (issue 18, docs/server.md "Benchmark").
 *
 * srv-push.c asks the store entry by entry: is this (branch, seq), id or
 * receipt number taken, store it, lock its member, add it to the feed ...
 * Here, in the push's one transaction:
 *   - srv_pg_push_prepare (the srv_store_push_prepare hint) reads at once
 *     which of the batch's ids, receipt numbers and seqs are taken;
 *   - an entry none of whose keys is taken, and whose apply is movements
 *     only (no timed session, no card change: those go the way they always
 *     went), is held back as a row of column arrays, with its movements,
 *     its members' row locks, its feed row; so are the rollup rows, the
 *     branch's high-water mark and the NOTIFY;
 *   - the first statement that reads (any pq () of the store) or the
 *     commit sends what is held back and itself in one pipeline (libpq's
 *     pipeline mode): the members locked in id order, then one statement
 *     inserting every key, entry, movement, account sum and feed row;
 *   - every STREAM_PART entries held back go ahead in that statement's
 *     form, in the open pipeline, without waiting (stream_part), their
 *     results read with the next read or the commit: PostgreSQL stores them
 *     while srv-push.c checks the rest. The prefetch locked every member of
 *     the push first, in id order, so a part needs no lock of its own.
 * A held-back write that fails (a key another process took meanwhile:
 * SRV_ERROR_DUPLICATE, 409; anything else: a database error) fails that
 * read or the commit, and every later statement of the transaction with
 * the same error: the push rolls back, nothing of it stored, and the
 * branch sends it again. An entry whose id or receipt number is taken
 * (before the push or by an earlier entry of it) is stored at once as
 * before, so that srv-push.c refuses it with the same answer as ever.
 */
#define G_LOG_DOMAIN "srv-store-pg"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-figures.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "srv-store-backends.h"
#include "srv-store-pg-private.h"

enum { E_BRANCH, E_SEQ, E_ID, E_DATE, E_KIND, E_MEMBER, E_SALE, E_RECEIPT, E_HASH, E_PROJECTED, E_AT, E_DOC,
       N_E };
enum { M_DATE, M_ENTRY, M_IDX, M_MEMBER, M_ACCOUNT, M_ITEM, M_LOT, M_EXPIRES, M_DELTA, M_PROJECTED, N_M };
enum { F_ENTRY, F_TO, N_F };

/* One column of the rows held back for the batch statement, as the
 * binary form of a one-dimensional array (PostgreSQL's array_recv): the
 * elements, each a 4-byte length (-1: NULL) and that many bytes in the
 * element type's binary form. PostgreSQL copies them as they are, where a
 * text literal ({"...","..."}) is scanned twice and each element parsed:
 * for the entries' documents that was a third of the batch statement. */
typedef struct
{
  GByteArray *data;
  guint       n;
  gboolean    nulls;
  guint32     oid;     /* the element type (pg_type) */
} Column;

/* The element types of pg_type (catalog/pg_type.dat). */
enum { OID_BOOL = 16, OID_INT8 = 20, OID_INT4 = 23, OID_TEXT = 25, OID_DATE = 1082 };

static const guint32 entry_oids[N_E] = {
  [E_BRANCH] = OID_TEXT, [E_SEQ] = OID_INT8, [E_ID] = OID_TEXT, [E_DATE] = OID_DATE, [E_KIND] = OID_TEXT,
  [E_MEMBER] = OID_TEXT, [E_SALE] = OID_TEXT, [E_RECEIPT] = OID_TEXT, [E_HASH] = OID_TEXT,
  [E_PROJECTED] = OID_BOOL, [E_AT] = OID_TEXT, [E_DOC] = OID_TEXT,
};
static const guint32 movement_oids[N_M] = {
  [M_DATE] = OID_DATE, [M_ENTRY] = OID_TEXT, [M_IDX] = OID_INT4, [M_MEMBER] = OID_TEXT, [M_ACCOUNT] = OID_TEXT,
  [M_ITEM] = OID_TEXT, [M_LOT] = OID_TEXT, [M_EXPIRES] = OID_TEXT, [M_DELTA] = OID_INT8,
  [M_PROJECTED] = OID_BOOL,
};
static const guint32 feed_oids[N_F] = { [F_ENTRY] = OID_TEXT, [F_TO] = OID_TEXT };

/* The batch statement's parameters: every one binary. */
#define N_BATCH (N_E + N_M + N_F)
static const int batch_formats[N_BATCH] = { [0 ... N_BATCH - 1] = 1 };

/* A statement held back: @sql static, @values owned (NULL: SQL NULL);
 * or, with @rows, one whose parameters are arrays, a row of elements
 * appended by each srv_pg_push_defer_row (@values made at the flush). */
typedef struct
{
  const char *sql;
  int         n;
  char      **values;
  GString   **rows;
} Held;

struct _SrvPgPush
{
  gboolean    active;      /* srv_pg_push_prepare ran in this transaction */
  char       *branch;
  GHashTable *ids;         /* entry ids taken before the push or by it */
  GHashTable *receipts;    /* receipt numbers, likewise */
  GHashTable *seqs;        /* seqs of @branch, likewise */
  Column      e[N_E];      /* the entries held back, a column each */
  Column      m[N_M];      /* their movements */
  Column      f[N_F];      /* feed rows */
  guint       n_entries, n_feed;
  GHashTable *lock;        /* members whose srv_members row is locked first */
  GHashTable *prelocked;   /* members the prefetch locked (or found no row of) */
  guint       unread;      /* parts of the batch sent ahead, their results not read yet */
  GPtrArray  *after;       /* Held, sent after the entries */
  GHashTable *row_held;    /* sql → its Held with rows in @after */
  GError     *failed;      /* a held-back write failed: the transaction is lost */
  gboolean    head_known;  /* the feed's stable head read right after the commit */
  gint64      head;
  PGresult   *early[SRV_PG_PUSH_N_EARLY];  /* read with the prefetch, for the calls that come next */
  PGresult   *rollups;     /* the batch's days' rollup rows (business_date, then the figures) */
  GHashTable *days;        /* business_date → row in @rollups + 1, 0 for a day without one */
};

typedef struct _SrvPgPush SrvPgPush;

/* Entries held back that go ahead of the rest of the batch, in one
 * statement (stream_part). */
#define STREAM_PART 100

/* Locked in one order by every process: no deadlock between two pushes. */
static const char *lock_sql = "SELECT 1 FROM srv_members WHERE id = ANY ($1::text[]) ORDER BY id FOR UPDATE";

/* What store_entry (srv-store-pg.c) writes for one entry, for many: the
 * keys (a taken one fails the statement: 23505, SRV_ERROR_DUPLICATE), the
 * entries in their months' partitions, the movements, the account sums of
 * the projected ones, and the feed rows with positions in their order. */
static const char *batch_sql =
  "WITH x AS (SELECT * FROM unnest ($1::text[], $2::bigint[], $3::text[], $4::date[], $5::text[], $6::text[], "
  "  $7::text[], $8::text[], $9::text[], $10::boolean[], $11::text[], $12::text[]) WITH ORDINALITY "
  "  AS x (branch, seq, id, business_date, kind, member_id, sale_entry, receipt_no, hash, projected, at, doc, o)), "
  "h AS MATERIALIZED (SELECT mdn_apply_hold () AS held), "   /* before the first position (0012) */
  "k AS (INSERT INTO entry_keys (branch, seq, id, business_date, kind, member_id, sale_entry, receipt_no, hash, "
  "  projected, applied) SELECT branch, seq, id, business_date, kind, member_id, sale_entry, receipt_no, hash, "
  "  projected, nextval ('apply_order') FROM x, h WHERE h.held), "
  "e AS (INSERT INTO entries (business_date, id, branch, seq, kind, at, member_id, doc) "
  "  SELECT business_date, id, branch, seq, kind, at, member_id, doc FROM x), "
  "mv AS (SELECT * FROM unnest ($13::date[], $14::text[], $15::integer[], $16::text[], $17::text[], $18::text[], "
  "  $19::text[], $20::text[], $21::bigint[], $22::boolean[]) "
  "  AS m (business_date, entry_id, idx, member_id, account, item, lot, expires_on, delta, projected)), "
  "ins AS (INSERT INTO movements (business_date, entry_id, idx, member_id, account, item, lot, expires_on, delta) "
  "  SELECT business_date, entry_id, idx, member_id, account, item, lot, expires_on, delta FROM mv), "
  "acc AS (INSERT INTO accounts (member_id, account, item, balance) "
  "  SELECT member_id, account, CASE WHEN account = 'package' THEN item ELSE '' END, sum (delta) FROM mv "
  "  WHERE projected AND member_id IS NOT NULL AND account <> 'stock' GROUP BY 1, 2, 3 "
  "  ON CONFLICT (member_id, account, item) DO UPDATE SET balance = accounts.balance + excluded.balance), "
  "f AS (INSERT INTO srv_feed (pos, entry_id, to_branch) SELECT t.pos, y.entry_id, y.to_branch "
  "  FROM unnest ($23::text[], $24::text[]) WITH ORDINALITY AS y (entry_id, to_branch, o) "
  "  JOIN mdn_feed_take (cardinality ($23::text[])) WITH ORDINALITY AS t (pos, o) USING (o)) "
  "SELECT 1";

static const char *notify_sql = "SELECT pg_notify ('mendian_feed', '')";
static const char *head_sql = "SELECT mdn_feed_stable_head ()";
/* What srv_pg_branch_get and srv_pg_holds send (srv-store-pg.c). */
static const char *branch_sql = "SELECT code, name, number, hq, acked_seq, last_hash FROM srv_branches "
                                "WHERE code = $1 FOR UPDATE";
static const char *holds_sql = "SELECT DISTINCT member_id COLLATE \"C\" FROM srv_exceptions "
                               "WHERE status = 'open' AND kind = 'overdraft' ORDER BY 1";
static const char *keys_sql = "SELECT id, receipt_no FROM entry_keys WHERE id = ANY ($1::text[]) "
                              "OR receipt_no = ANY ($2::text[])";

/* Today's partitions, which most pushes write, planned (and so opened). */
static const char *today_sql =
  "SELECT (SELECT count (*) FROM entries WHERE business_date = current_date AND id = '') + "
  "(SELECT count (*) FROM movements WHERE business_date = current_date AND entry_id = '')";

/* srv_rollup_day's rows of a branch on some days, every figure. */
static const char *
rollups_sql (void)
{
  static gsize done = 0;
  static const char *sql;

  if (g_once_init_enter (&done))
    {
      guint n;
      const MdnFigureField *fields = mdn_figures_fields (&n);
      GString *select = g_string_new ("SELECT business_date::text");

      for (guint i = 0; i < n; i++)
        g_string_append_printf (select, ", %s", fields[i].name);
      g_string_append (select, " FROM srv_rollup_day WHERE branch = $1 AND business_date = ANY ($2::date[])");
      sql = g_string_free (select, FALSE);
      g_once_init_leave (&done, 1);
    }
  return sql;
}

typedef struct
{
  const char        *sql;
  int                n;
  const char *const *values;
  const int         *lengths;   /* with @formats: binary parameters */
  const int         *formats;
} Send;

static void hold (SrvPgPush *p, const char *sql, int n, const char *const *values);
static gboolean run (SrvPg *pg, GArray *sends, PGresult **results, guint *ahead, GError **error);
static void stream_part (SrvPg *pg);

static void
column_init (Column  *c,
             guint32  oid)
{
  c->data = g_byte_array_new ();
  c->oid = oid;
}

static void
column_reset (Column *c)
{
  g_byte_array_set_size (c->data, 0);
  c->n = 0;
  c->nulls = FALSE;
}

static void
put32 (GByteArray *a,
       guint32     v)
{
  guint32 be = GUINT32_TO_BE (v);

  g_byte_array_append (a, (const guint8 *) &be, 4);
}

static void
put64 (GByteArray *a,
       guint64     v)
{
  guint64 be = GUINT64_TO_BE (v);

  g_byte_array_append (a, (const guint8 *) &be, 8);
}

/* A text element (NULL: SQL NULL). */
static void
column_text (Column     *c,
             const char *value)
{
  c->n++;
  if (value == NULL)
    {
      c->nulls = TRUE;
      put32 (c->data, (guint32) -1);
      return;
    }
  {
    gsize len = strlen (value);

    put32 (c->data, (guint32) len);
    g_byte_array_append (c->data, (const guint8 *) value, (guint) len);
  }
}

static void
column_int8 (Column *c,
             gint64  value)
{
  c->n++;
  put32 (c->data, 8);
  put64 (c->data, (guint64) value);
}

static void
column_int4 (Column *c,
             gint32  value)
{
  c->n++;
  put32 (c->data, 4);
  put32 (c->data, (guint32) value);
}

static void
column_bool (Column   *c,
             gboolean  value)
{
  guint8 b = value ? 1 : 0;

  c->n++;
  put32 (c->data, 1);
  g_byte_array_append (c->data, &b, 1);
}

/* A date element: days since 2000-01-01 (PostgreSQL's date_recv). */
static void
column_date (Column *c,
             gint32  days)
{
  column_int4 (c, days);
}

/* @iso (YYYY-MM-DD, a valid day) as PostgreSQL's binary date; FALSE if it
 * is not one. */
static gboolean
pg_date (const char *iso,
         gint32     *days)
{
  static guint32 epoch;
  GDate day;

  if (!mdn_date_valid (iso))
    return FALSE;
  if (epoch == 0)
    {
      GDate e;

      g_date_clear (&e, 1);
      g_date_set_dmy (&e, 1, G_DATE_JANUARY, 2000);
      epoch = g_date_get_julian (&e);
    }
  g_date_clear (&day, 1);
  g_date_set_dmy (&day, (GDateDay) g_ascii_strtoull (iso + 8, NULL, 10),
                  (GDateMonth) g_ascii_strtoull (iso + 5, NULL, 10), (GDateYear) g_ascii_strtoull (iso, NULL, 10));
  *days = (gint32) ((gint64) g_date_get_julian (&day) - (gint64) epoch);
  return TRUE;
}

/* @c as a parameter: the array's header (one dimension of @c->n elements
 * from 1; none: an empty array) and its elements, in a buffer for
 * @owned; its length in *@length. */
static const char *
column_param (Column    *c,
              int       *length,
              GPtrArray *owned)
{
  GByteArray *a = g_byte_array_sized_new (20 + c->data->len);

  put32 (a, c->n > 0 ? 1 : 0);
  put32 (a, c->nulls ? 1 : 0);
  put32 (a, c->oid);
  if (c->n > 0)
    {
      put32 (a, c->n);
      put32 (a, 1);
      g_byte_array_append (a, c->data->data, c->data->len);
    }
  *length = (int) a->len;
  g_ptr_array_add (owned, a);
  return (const char *) a->data;
}

/* The held-back columns as the batch statement's parameters, in order;
 * the buffers are @owned's (a GPtrArray freeing GByteArrays). */
static int
batch_params (SrvPgPush   *p,
              const char **values,
              int         *lengths,
              GPtrArray   *owned)
{
  int k = 0;

  for (int i = 0; i < N_E; i++, k++)
    values[k] = column_param (&p->e[i], &lengths[k], owned);
  for (int i = 0; i < N_M; i++, k++)
    values[k] = column_param (&p->m[i], &lengths[k], owned);
  for (int i = 0; i < N_F; i++, k++)
    values[k] = column_param (&p->f[i], &lengths[k], owned);
  return k;
}

static void
columns_reset (SrvPgPush *p)
{
  for (int i = 0; i < N_E; i++)
    column_reset (&p->e[i]);
  for (int i = 0; i < N_M; i++)
    column_reset (&p->m[i]);
  for (int i = 0; i < N_F; i++)
    column_reset (&p->f[i]);
}

static void
held_free (Held *h)
{
  for (int i = 0; i < h->n; i++)
    {
      g_free (h->values[i]);
      if (h->rows)
        g_string_free (h->rows[i], TRUE);
    }
  g_free (h->values);
  g_free (h->rows);
  g_free (h);
}

static SrvPgPush *
push_get (SrvPg *pg)
{
  SrvPgPush *p = pg->push;

  if (p == NULL)
    {
      p = pg->push = g_new0 (SrvPgPush, 1);
      p->ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      p->receipts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      p->seqs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      p->lock = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      p->prelocked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      p->after = g_ptr_array_new_with_free_func ((GDestroyNotify) held_free);
      p->row_held = g_hash_table_new (g_direct_hash, g_direct_equal);
      p->days = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      for (int i = 0; i < N_E; i++)
        column_init (&p->e[i], entry_oids[i]);
      for (int i = 0; i < N_M; i++)
        column_init (&p->m[i], movement_oids[i]);
      for (int i = 0; i < N_F; i++)
        column_init (&p->f[i], feed_oids[i]);
    }
  return p;
}

/* What is held back, dropped (sent, or the transaction ended). */
static void
push_clear_pending (SrvPgPush *p)
{
  columns_reset (p);
  p->n_entries = p->n_feed = 0;
  g_hash_table_remove_all (p->lock);
  g_hash_table_remove_all (p->row_held);
  g_ptr_array_set_size (p->after, 0);
}

/* The transaction ended: nothing held back, nothing known. */
void
srv_pg_push_end (SrvPg *pg)
{
  SrvPgPush *p = pg->push;

  srv_pg_deposits_forget (pg);
  if (p == NULL)
    return;
  if (p->unread > 0)
    srv_pg_push_drain (pg, NULL);
  push_clear_pending (p);
  g_hash_table_remove_all (p->prelocked);
  g_hash_table_remove_all (p->ids);
  g_hash_table_remove_all (p->receipts);
  g_hash_table_remove_all (p->seqs);
  g_clear_pointer (&p->branch, g_free);
  g_clear_error (&p->failed);
  p->active = FALSE;
  for (int i = 0; i < SRV_PG_PUSH_N_EARLY; i++)
    g_clear_pointer (&p->early[i], PQclear);
  g_clear_pointer (&p->rollups, PQclear);
  g_hash_table_remove_all (p->days);
}

/* The commit of a push with writes held back: them, COMMIT and the feed's
 * stable head, which srv-push.c asks for next (srv_pg_push_head), in one
 * round trip. */
gboolean
srv_pg_push_commit (SrvPg   *pg,
                    GError **error)
{
  g_autoptr(PGresult) res = NULL;

  pg->push->head_known = FALSE;
  if (!srv_pg_push_failed (pg, NULL))
    hold (pg->push, "COMMIT", 0, NULL);
  res = srv_pg_push_flush (pg, head_sql, 0, NULL, error);
  if (res == NULL)
    return FALSE;
  pg->push->head = col_int (res, 0, 0);
  pg->push->head_known = TRUE;
  return TRUE;
}

/* Any other statement, or a new transaction: the head read with the last
 * commit may be old. */
void
srv_pg_push_forget_head (SrvPg *pg)
{
  if (pg->push)
    {
      pg->push->head_known = FALSE;
      for (int i = 0; i < SRV_PG_PUSH_N_EARLY; i++)
        g_clear_pointer (&pg->push->early[i], PQclear);
    }
}

/* What the prefetch read for the call that comes next (@what), if no
 * other statement ran since: the caller's to PQclear. */
PGresult *
srv_pg_push_take_early (SrvPg *pg,
                        int    what)
{
  PGresult *res;

  if (pg->push == NULL || !pg->in_tx)
    return NULL;
  res = pg->push->early[what];
  pg->push->early[what] = NULL;
  return res;
}

/* @branch's rollup row of @business_date as the prefetch read it: the
 * push holds the branch's row, and only the branch's pushes write its
 * rollups. FALSE if the prefetch didn't read it; else *@res and *@row
 * (-1: no row yet). */
gboolean
srv_pg_push_rollup (SrvPg      *pg,
                    const char *branch,
                    const char *business_date,
                    PGresult  **res,
                    int        *row)
{
  SrvPgPush *p = pg->push;
  gpointer value;

  if (p == NULL || !p->active || !pg->in_tx || p->rollups == NULL || !g_str_equal (branch, p->branch) ||
      !g_hash_table_lookup_extended (p->days, business_date, NULL, &value))
    return FALSE;
  *res = p->rollups;
  *row = GPOINTER_TO_INT (value) - 1;
  return TRUE;
}

/* The stable head read with the last commit, if nothing ran since; once. */
gboolean
srv_pg_push_head (SrvPg  *pg,
                  gint64 *out_head)
{
  if (pg->push == NULL || !pg->push->head_known || pg->in_tx)
    return FALSE;
  pg->push->head_known = FALSE;
  *out_head = pg->push->head;
  return TRUE;
}

void
srv_pg_push_free (SrvPg *pg)
{
  SrvPgPush *p = pg->push;

  if (p == NULL)
    return;
  srv_pg_push_end (pg);
  g_hash_table_unref (p->ids);
  g_hash_table_unref (p->receipts);
  g_hash_table_unref (p->seqs);
  g_hash_table_unref (p->lock);
  g_hash_table_unref (p->prelocked);
  g_hash_table_unref (p->days);
  g_hash_table_unref (p->row_held);
  g_ptr_array_unref (p->after);
  for (int i = 0; i < N_E; i++)
    g_byte_array_unref (p->e[i].data);
  for (int i = 0; i < N_M; i++)
    g_byte_array_unref (p->m[i].data);
  for (int i = 0; i < N_F; i++)
    g_byte_array_unref (p->f[i].data);
  g_free (p);
  pg->push = NULL;
}

gboolean
srv_pg_push_pending (SrvPg *pg)
{
  SrvPgPush *p = pg->push;

  return p && (p->n_entries > 0 || p->n_feed > 0 || p->after->len > 0 || p->unread > 0);
}

gboolean
srv_pg_push_failed (SrvPg   *pg,
                    GError **error)
{
  SrvPgPush *p = pg->push;

  if (p == NULL || p->failed == NULL)
    return FALSE;
  if (error)
    *error = g_error_copy (p->failed);
  return TRUE;
}

/* One element of an array literal: quoted (NULL: NULL), or as it is. */
static void
add_elem (GString    *a,
          const char *value,
          gboolean    quote)
{
  if (a->len > 0)
    g_string_append_c (a, ',');
  if (value == NULL)
    {
      g_string_append (a, "NULL");
      return;
    }
  if (!quote)
    {
      g_string_append (a, value);
      return;
    }
  {
    /* one pass into room for the worst case (every byte escaped) */
    gsize n = strlen (value), at = a->len;
    char *out;

    g_string_set_size (a, at + 2 * n + 2);
    out = a->str + at;
    *out++ = '"';
    for (gsize i = 0; i < n; i++)
      {
        char c = value[i];

        if (c == '"' || c == '\\')
          *out++ = '\\';
        *out++ = c;
      }
    *out++ = '"';
    g_string_truncate (a, (gsize) (out - a->str));
  }
}

static char *
literal (GString *a)
{
  return g_strconcat ("{", a->str, "}", NULL);
}

static int
compare_ids (gconstpointer a,
             gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The ids of @set, sorted, as an array literal. */
static char *
sorted_literal (GHashTable *set)
{
  g_autoptr(GPtrArray) ids = g_ptr_array_new ();
  g_autoptr(GString) a = g_string_new (NULL);
  GHashTableIter iter;
  gpointer key;

  g_hash_table_iter_init (&iter, set);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    g_ptr_array_add (ids, key);
  g_ptr_array_sort (ids, compare_ids);
  for (guint i = 0; i < ids->len; i++)
    add_elem (a, g_ptr_array_index (ids, i), TRUE);
  return literal (a);
}

gboolean
srv_pg_push_prepare (SrvPg      *pg,
                     const char *branch_code,
                     GPtrArray  *entries,
                     GError    **error)
{
  SrvPgPush *p;
  g_autoptr(GString) ids = g_string_new (NULL);
  g_autoptr(GString) receipts = g_string_new (NULL);
  g_autoptr(GString) dates = g_string_new (NULL);
  g_autoptr(GArray) sends = g_array_new (FALSE, TRUE, sizeof (Send));
  g_autofree char *ids_lit = NULL, *receipts_lit = NULL, *dates_lit = NULL, *members_lit = NULL;
  const char *branch_values[1], *keys_values[2], *rollup_values[2], *lock_values[1];
  PGresult *results[5] = { NULL };

  g_return_val_if_fail (pg != NULL && pg->in_tx && pg->write_tx, FALSE);

  p = push_get (pg);
  srv_pg_push_end (pg);
  if (entries->len == 0)
    return TRUE;
  for (guint i = 0; i < entries->len; i++)
    {
      MdnEntry *entry = g_ptr_array_index (entries, i);
      const char *receipt_no = mdn_body_string (entry->body, "receipt_no");

      add_elem (ids, entry->id, TRUE);
      if (receipt_no)
        add_elem (receipts, receipt_no, TRUE);
      if (!g_hash_table_contains (p->days, entry->business_date))
        {
          g_hash_table_insert (p->days, g_strdup (entry->business_date), GINT_TO_POINTER (0));
          add_elem (dates, entry->business_date, TRUE);
        }
      /* every member an entry of the push could lock */
      if (entry->member_id && !g_hash_table_contains (p->prelocked, entry->member_id))
        g_hash_table_add (p->prelocked, g_strdup (entry->member_id));
      for (guint m = 0; m < entry->movements->len; m++)
        {
          const char *member = g_array_index (entry->movements, MdnMovement, m).member_id;

          if (member && !g_hash_table_contains (p->prelocked, member))
            g_hash_table_add (p->prelocked, g_strdup (member));
        }
    }
  ids_lit = literal (ids);
  receipts_lit = literal (receipts);
  dates_lit = literal (dates);
  members_lit = sorted_literal (p->prelocked);
  /* One round trip: the branch's row locked (what srv-push.c reads next),
     then the rows of every member the push names, in id order (as every
     push and authorization locks them: no deadlock), the holds, the taken
     keys and the days' rollups, read under those locks. With the members
     locked here, parts of the batch can go ahead of the rest
     (stream_part). */
  branch_values[0] = branch_code;
  lock_values[0] = members_lit;
  keys_values[0] = ids_lit;
  keys_values[1] = receipts_lit;
  rollup_values[0] = branch_code;
  rollup_values[1] = dates_lit;
  g_array_append_val (sends, ((Send) { branch_sql, 1, branch_values }));
  g_array_append_val (sends, ((Send) { lock_sql, 1, lock_values }));
  g_array_append_val (sends, ((Send) { holds_sql, 0, NULL }));
  g_array_append_val (sends, ((Send) { keys_sql, 2, keys_values }));
  g_array_append_val (sends, ((Send) { rollups_sql (), 2, rollup_values }));
  /* The months' partitions first: making one locks the parent tables,
     which preparing the batch's statement (now: a part sent ahead goes in
     an open pipeline) holds a lock on to the end of the transaction. */
  {
    GHashTableIter iter;
    gpointer day;
    gboolean ok = TRUE;

    g_hash_table_iter_init (&iter, p->days);
    while (ok && g_hash_table_iter_next (&iter, &day, NULL))
      ok = ensure_month (pg, day, error);
    if (!ok)
      {
        g_hash_table_remove_all (p->days);
        g_hash_table_remove_all (p->prelocked);
        return FALSE;
      }
  }
  if (pq_prepared_name (pg, batch_sql, N_E + N_M + N_F, error) == NULL ||
      !run (pg, sends, results, NULL, error))
    {
      g_hash_table_remove_all (p->days);
      g_hash_table_remove_all (p->prelocked);
      return FALSE;
    }
  p->early[SRV_PG_PUSH_BRANCH] = results[0];
  PQclear (results[1]);
  p->early[SRV_PG_PUSH_HOLDS] = results[2];
  for (int r = 0; r < PQntuples (results[3]); r++)
    {
      g_hash_table_add (p->ids, g_strdup (col (results[3], r, 0)));
      if (col (results[3], r, 1))
        g_hash_table_add (p->receipts, g_strdup (col (results[3], r, 1)));
    }
  PQclear (results[3]);
  p->rollups = results[4];
  for (int r = 0; r < PQntuples (p->rollups); r++)
    g_hash_table_insert (p->days, g_strdup (col (p->rollups, r, 0)), GINT_TO_POINTER (r + 1));
  p->branch = g_strdup (branch_code);
  p->active = TRUE;
  return TRUE;
}

/* Made before the first push of a process instead of in it: the scratch
 * database (a member.issue's card fold) and the SMS rules' settings, each
 * the branch schema migrated in memory; and a push's statements prepared
 * on the connection (the batch statement's analysis opens every table it
 * writes: a first push took 10–15 ms more than the next). */
void
srv_pg_warm_up (SrvPg *pg)
{
  g_autoptr(GError) error = NULL;
  MdnDb *db;

  if (pg->in_tx)
    return;
  if ((db = scratch_begin (pg, &error)) != NULL)
    mdn_db_rollback (db);
  else
    g_message ("the scratch database could not be made yet: %s", error->message);
  (void) srv_pg_sms_setting_bool (pg, "sms.birthday");
  /* Prepared (run prepares the others) and run once on nothing, in a
     transaction rolled back: the backend plans them and reads the tables'
     and indexes' descriptions now. */
  if (pq_prepared_name (pg, notify_sql, 0, &error) == NULL)
    {
      g_message ("a push's statements could not be prepared yet: %s", error->message);
      return;
    }
  {
    SrvPgPush *p = push_get (pg);
    g_autoptr(GArray) sends = g_array_new (FALSE, TRUE, sizeof (Send));
    g_autoptr(GPtrArray) buffers = g_ptr_array_new_with_free_func ((GDestroyNotify) g_byte_array_unref);
    const char *none[] = { "", "{}", "{}" };
    const char *batch_values[N_BATCH];
    int batch_lengths[N_BATCH];
    PGresult *results[9] = { NULL };
    int k;

    columns_reset (p);
    k = batch_params (p, batch_values, batch_lengths, buffers);
    g_array_append_val (sends, ((Send) { "BEGIN", 0, NULL }));
    g_array_append_val (sends, ((Send) { branch_sql, 1, none }));
    g_array_append_val (sends, ((Send) { lock_sql, 1, none + 1 }));
    g_array_append_val (sends, ((Send) { holds_sql, 0, NULL }));
    g_array_append_val (sends, ((Send) { keys_sql, 2, none + 1 }));
    g_array_append_val (sends, ((Send) { rollups_sql (), 2, none }));
    g_array_append_val (sends, ((Send) { batch_sql, k, batch_values, batch_lengths, batch_formats }));
    g_array_append_val (sends, ((Send) { today_sql, 0, NULL }));
    g_array_append_val (sends, ((Send) { head_sql, 0, NULL }));
    g_assert (sends->len == G_N_ELEMENTS (results));
    if (run (pg, sends, results, NULL, &error))
      for (guint i = 0; i < G_N_ELEMENTS (results); i++)
        g_clear_pointer (&results[i], PQclear);
    else
      g_message ("a push's statements could not be tried yet: %s", error->message);
    pq_simple (pg, "ROLLBACK", NULL);
  }
}

/* Marks @key taken; whether it was. */
static gboolean
take (GHashTable *set,
      const char *key)
{
  if (key == NULL)
    return FALSE;
  if (g_hash_table_contains (set, key))
    return TRUE;
  g_hash_table_add (set, g_strdup (key));
  return FALSE;
}

int
srv_pg_push_defer_entry (SrvPg    *pg,
                         MdnEntry *entry,
                         gboolean  projected,
                         GError  **error)
{
  SrvPgPush *p = pg->push;
  const char *receipt_no = projected ? mdn_body_string (entry->body, "receipt_no") : NULL;
  const char *sale_entry = mdn_body_string (entry->body, "sale_entry");
  g_autofree char *doc = NULL;
  char seq[24];
  gint32 day = 0;
  gboolean defer = TRUE;

  if (p == NULL || !p->active || !pg->in_tx || p->failed)
    return 0;
  if (p->n_entries >= STREAM_PART)
    stream_part (pg);
  if (p->failed)
    return 0;
  if (projected)
    {
      const MdnKindDef *kind = mdn_ledger_lookup_kind (entry->kind);

      /* What srv_pg_entry_apply does beyond store_entry. */
      if (kind == NULL || g_str_has_prefix (entry->kind, "timed.") ||
          (entry->member_id && kind->apply && g_str_has_prefix (entry->kind, "member.")))
        defer = FALSE;
    }
  g_snprintf (seq, sizeof seq, "%" G_GINT64_FORMAT, entry->seq);
  /* Each of what it takes counts as taken from here on (every one marked,
     whichever way it goes): a later entry of the push with the same id or
     receipt number is stored at once, and refused as taken. */
  if (take (p->ids, entry->id))
    defer = FALSE;
  if (take (p->receipts, receipt_no))
    defer = FALSE;
  if (!g_str_equal (entry->branch, p->branch) || take (p->seqs, seq))
    defer = FALSE;
  /* one PostgreSQL would refuse goes at once, to be refused as ever */
  if (!pg_date (entry->business_date, &day))
    defer = FALSE;
  if (!defer)
    return 0;
  if (!ensure_month (pg, entry->business_date, error))
    return -1;

  doc = entry_doc (entry);
  column_text (&p->e[E_BRANCH], entry->branch);
  column_int8 (&p->e[E_SEQ], entry->seq);
  column_text (&p->e[E_ID], entry->id);
  column_date (&p->e[E_DATE], day);
  column_text (&p->e[E_KIND], entry->kind);
  column_text (&p->e[E_MEMBER], entry->member_id);
  column_text (&p->e[E_SALE], sale_entry);
  column_text (&p->e[E_RECEIPT], receipt_no);
  column_text (&p->e[E_HASH], entry->hash);
  column_bool (&p->e[E_PROJECTED], projected);
  column_text (&p->e[E_AT], entry->at);
  column_text (&p->e[E_DOC], doc);
  p->n_entries++;
  if (projected && entry->member_id)
    take (p->lock, entry->member_id);
  for (guint i = 0; i < entry->movements->len; i++)
    {
      MdnMovement *m = &g_array_index (entry->movements, MdnMovement, i);

      column_date (&p->m[M_DATE], day);
      column_text (&p->m[M_ENTRY], entry->id);
      column_int4 (&p->m[M_IDX], (gint32) i);
      column_text (&p->m[M_MEMBER], m->member_id);
      column_text (&p->m[M_ACCOUNT], m->account);
      column_text (&p->m[M_ITEM], m->item ? m->item : "");
      column_text (&p->m[M_LOT], m->lot ? m->lot : "");
      column_text (&p->m[M_EXPIRES], m->expires_on);
      column_int8 (&p->m[M_DELTA], m->delta);
      column_bool (&p->m[M_PROJECTED], projected);
      if (projected && m->member_id)
        take (p->lock, m->member_id);
    }
  return 1;
}

static void
hold (SrvPgPush         *p,
      const char        *sql,
      int                n,
      const char *const *values)
{
  Held *h = g_new0 (Held, 1);

  h->sql = sql;
  h->n = n;
  h->values = g_new0 (char *, MAX (n, 1));
  for (int i = 0; i < n; i++)
    h->values[i] = g_strdup (values[i]);
  g_ptr_array_add (p->after, h);
}

int
srv_pg_push_defer_feed (SrvPg      *pg,
                        const char *entry_id,
                        const char *to_branch,
                        GError    **error)
{
  SrvPgPush *p = pg->push;

  if (p == NULL || !p->active || !pg->in_tx || p->failed)
    return 0;
  if (!pg->notified)
    {
      hold (p, notify_sql, 0, NULL);
      pg->notified = TRUE;
    }
  column_text (&p->f[F_ENTRY], entry_id);
  column_text (&p->f[F_TO], to_branch);
  p->n_feed++;
  return 1;
}

int
srv_pg_push_defer (SrvPg             *pg,
                   const char        *sql,
                   int                n,
                   const char *const *values,
                   GError           **error)
{
  SrvPgPush *p = pg->push;

  if (p == NULL || !p->active || !pg->in_tx || p->failed)
    return 0;
  hold (p, sql, n, values);
  return 1;
}

int
srv_pg_push_defer_row (SrvPg             *pg,
                       const char        *sql,
                       int                n,
                       const char *const *values,
                       GError           **error)
{
  SrvPgPush *p = pg->push;
  Held *h;

  if (p == NULL || !p->active || !pg->in_tx || p->failed)
    return 0;
  h = g_hash_table_lookup (p->row_held, sql);
  if (h == NULL)
    {
      h = g_new0 (Held, 1);
      h->sql = sql;
      h->n = n;
      h->values = g_new0 (char *, MAX (n, 1));
      h->rows = g_new0 (GString *, MAX (n, 1));
      for (int i = 0; i < n; i++)
        h->rows[i] = g_string_new (NULL);
      g_ptr_array_add (p->after, h);
      g_hash_table_insert (p->row_held, (gpointer) sql, h);
    }
  g_assert (h->n == n);
  for (int i = 0; i < n; i++)
    add_elem (h->rows[i], values[i], TRUE);
  return 1;
}

/* Out of pipeline mode whatever happened: the results read to the sync,
 * or a lost connection made again (its transaction is gone anyway). */
static void
pipeline_leave (SrvPg *pg)
{
  guint nulls = 0;

  if (PQpipelineStatus (pg->conn) == PQ_PIPELINE_OFF)
    return;
  while (PQstatus (pg->conn) == CONNECTION_OK && nulls < 1000)
    {
      PGresult *res = PQgetResult (pg->conn);

      if (res == NULL)
        {
          if (PQexitPipelineMode (pg->conn) == 1)
            return;
          nulls++;
          continue;
        }
      PQclear (res);
    }
  if (PQexitPipelineMode (pg->conn) != 1)
    {
      PQreset (pg->conn);
      g_hash_table_remove_all (pg->prepared);
    }
}

/* COMMIT and BEGIN go as they are, not prepared. */
static gboolean
simple_sql (const char *sql)
{
  return g_str_equal (sql, "COMMIT") || g_str_equal (sql, "BEGIN");
}

/* @sends in one pipeline: each one's result in @results (the caller's to
 * PQclear), or FALSE with @error set by the first that failed (the rest
 * were skipped). *@ahead (if not NULL): parts of the batch sent before in
 * the open pipeline (stream_part), whose results are read first; a
 * failure among them is the first. */
static gboolean
run (SrvPg     *pg,
     GArray    *sends,
     PGresult **results,
     guint     *ahead,
     GError   **error)
{
  g_autoptr(GError) failure = NULL;
  guint sent = 0, before = ahead ? *ahead : 0;

  /* Prepared (once per connection) before the pipeline starts. One not
     prepared yet while parts are out: those read first (a round trip
     more, once per connection and statement). */
  for (guint i = 0; i < sends->len && before > 0; i++)
    {
      Send *s = &g_array_index (sends, Send, i);

      if (!simple_sql (s->sql) && g_hash_table_lookup (pg->prepared, s->sql) == NULL)
        {
          if (!srv_pg_push_drain (pg, error))
            return FALSE;
          before = 0;
        }
    }
  for (guint i = 0; i < sends->len && before == 0; i++)
    {
      Send *s = &g_array_index (sends, Send, i);

      if (!simple_sql (s->sql) && pq_prepared_name (pg, s->sql, s->n, error) == NULL)
        return FALSE;
    }
  if (PQenterPipelineMode (pg->conn) != 1)
    {
      set_pg_error (pg, NULL, error);
      return FALSE;
    }
  for (; sent < sends->len; sent++)
    {
      Send *s = &g_array_index (sends, Send, sent);
      int ok;

      if (simple_sql (s->sql))
        ok = PQsendQueryParams (pg->conn, s->sql, 0, NULL, NULL, NULL, NULL, 0);
      else
        ok = PQsendQueryPrepared (pg->conn, pq_prepared_name (pg, s->sql, s->n, NULL), s->n, s->values,
                                  s->lengths, s->formats, 0);
      if (ok != 1)
        break;
    }
  if (sent < sends->len || PQpipelineSync (pg->conn) != 1)
    {
      set_pg_error (pg, NULL, error);
      if (ahead)
        *ahead = 0;
      pipeline_leave (pg);
      return FALSE;
    }
  for (guint i = 0; i < before && PQstatus (pg->conn) == CONNECTION_OK; i++)
    {
      PGresult *res = PQgetResult (pg->conn);
      ExecStatusType st = res ? PQresultStatus (res) : PGRES_FATAL_ERROR;

      if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && failure == NULL)
        set_pg_error (pg, res, &failure);
      PQclear (res);
      while (res != NULL && (res = PQgetResult (pg->conn)) != NULL)
        PQclear (res);
    }
  if (ahead)
    *ahead = 0;
  for (guint i = 0; i < sent && PQstatus (pg->conn) == CONNECTION_OK; i++)
    {
      PGresult *res = PQgetResult (pg->conn);
      ExecStatusType st = res ? PQresultStatus (res) : PGRES_FATAL_ERROR;

      if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        {
          if (failure == NULL)
            set_pg_error (pg, res, &failure);
          PQclear (res);
        }
      else
        results[i] = res;
      /* each statement's results end with a NULL */
      while (res != NULL && (res = PQgetResult (pg->conn)) != NULL)
        PQclear (res);
    }
  if (failure == NULL && PQstatus (pg->conn) != CONNECTION_OK)
    set_pg_error (pg, NULL, &failure);
  pipeline_leave (pg);
  if (failure)
    {
      for (guint i = 0; i < sends->len; i++)
        g_clear_pointer (&results[i], PQclear);
      g_propagate_error (error, g_steal_pointer (&failure));
      return FALSE;
    }
  return TRUE;
}

/* The parts of the batch sent ahead: their results read, the pipeline
 * left. FALSE with @error set (and the push failed) if one failed. */
gboolean
srv_pg_push_drain (SrvPg   *pg,
                   GError **error)
{
  SrvPgPush *p = pg->push;
  g_autoptr(GError) failure = NULL;

  if (p == NULL || p->unread == 0)
    return TRUE;
  if (PQpipelineSync (pg->conn) != 1)
    set_pg_error (pg, NULL, &failure);
  for (guint i = 0; failure == NULL && i < p->unread && PQstatus (pg->conn) == CONNECTION_OK; i++)
    {
      PGresult *res = PQgetResult (pg->conn);
      ExecStatusType st = res ? PQresultStatus (res) : PGRES_FATAL_ERROR;

      if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
        set_pg_error (pg, res, &failure);
      PQclear (res);
      while (res != NULL && (res = PQgetResult (pg->conn)) != NULL)
        PQclear (res);
    }
  if (failure == NULL && PQstatus (pg->conn) != CONNECTION_OK)
    set_pg_error (pg, NULL, &failure);
  p->unread = 0;
  pipeline_leave (pg);
  if (failure == NULL)
    return TRUE;
  if (p->failed == NULL)
    {
      g_message ("a push's writes held back failed, nothing of it is stored: %s", failure->message);
      p->failed = g_error_copy (failure);
    }
  g_propagate_error (error, g_steal_pointer (&failure));
  return FALSE;
}

/* The entries held back so far (with their feed rows) sent ahead of the
 * rest of the batch, in the open pipeline, without waiting: PostgreSQL
 * stores them while srv-push.c checks the next ones. Only when every
 * member they lock was locked by the prefetch (the lock order of every
 * push); a failure shows at the next statement or the commit, as for any
 * held-back write. */
static void
stream_part (SrvPg *pg)
{
  SrvPgPush *p = pg->push;
  const char *name = g_hash_table_lookup (pg->prepared, batch_sql);
  const char *values[N_BATCH];
  int lengths[N_BATCH];
  g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func ((GDestroyNotify) g_byte_array_unref);
  GHashTableIter iter;
  gpointer key;
  int k;
  gboolean ok;

  if (name == NULL || PQstatus (pg->conn) != CONNECTION_OK)
    return;
  g_hash_table_iter_init (&iter, p->lock);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (p->prelocked, key))
      return;
  k = batch_params (p, values, lengths, owned);
  ok = PQenterPipelineMode (pg->conn) == 1 &&
       PQsendQueryPrepared (pg->conn, name, k, values, lengths, batch_formats, 0) == 1 && PQflush (pg->conn) == 0;
  if (!ok)
    {
      /* what was taken out of the batch can't be put back: the push fails */
      g_autoptr(GError) failure = NULL;

      set_pg_error (pg, NULL, &failure);
      if (p->failed == NULL)
        p->failed = g_steal_pointer (&failure);
    }
  else
    p->unread++;
  columns_reset (p);
  p->n_entries = p->n_feed = 0;
  g_hash_table_remove_all (p->lock);
}

/* What is held back, then @sql (a static string, or "COMMIT") with
 * @values, in one pipeline: @sql's result, or NULL with @error set (the
 * first statement that failed; after a held-back one, every later call in
 * the transaction fails the same). */
PGresult *
srv_pg_push_flush (SrvPg             *pg,
                   const char        *sql,
                   int                n,
                   const char *const *values,
                   GError           **error)
{
  SrvPgPush *p = pg->push;
  g_autoptr(GArray) sends = g_array_new (FALSE, TRUE, sizeof (Send));
  g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) after = NULL;
  g_autoptr(GError) failure = NULL;
  const char *lock_values[1];
  g_autoptr(GPtrArray) buffers = g_ptr_array_new_with_free_func ((GDestroyNotify) g_byte_array_unref);
  const char *batch_values[N_BATCH];
  int batch_lengths[N_BATCH];
  const char *deposit_values[3], *deposits_sql;
  PGresult *last = NULL;
  PGresult **results;
  gboolean held;

  g_return_val_if_fail (p != NULL && pg->in_tx, NULL);

  if (srv_pg_push_failed (pg, error))
    return NULL;
  if (g_hash_table_size (p->lock) > 0)
    {
      char *lit = sorted_literal (p->lock);

      g_ptr_array_add (owned, lit);
      lock_values[0] = lit;
      g_array_append_val (sends, ((Send) { lock_sql, 1, lock_values }));
    }
  if (p->n_entries > 0 || p->n_feed > 0)
    {
      int k = batch_params (p, batch_values, batch_lengths, buffers);

      g_array_append_val (sends, ((Send) { batch_sql, k, batch_values, batch_lengths, batch_formats }));
    }
  /* The held-back deposits' balances after, read from the accounts the
     entries just moved (srv-store-pg-deposits.c). */
  deposits_sql = srv_pg_deposits_flush (pg, deposit_values, owned);
  if (deposits_sql)
    g_array_append_val (sends, ((Send) { deposits_sql, 3, deposit_values }));
  after = g_steal_pointer (&p->after);
  p->after = g_ptr_array_new_with_free_func ((GDestroyNotify) held_free);
  g_hash_table_remove_all (p->row_held);
  for (guint i = 0; i < after->len; i++)
    {
      Held *h = g_ptr_array_index (after, i);

      for (int c = 0; h->rows && c < h->n; c++)
        h->values[c] = literal (h->rows[c]);
      g_array_append_val (sends, ((Send) { h->sql, h->n, (const char *const *) h->values }));
    }
  push_clear_pending (p);
  held = sends->len > 0 || p->unread > 0;
  if (sql)
    g_array_append_val (sends, ((Send) { sql, n, values }));

  results = g_new0 (PGresult *, sends->len);
  if (!run (pg, sends, results, &p->unread, &failure))
    {
      /* Any error aborts the transaction: with held-back writes in it,
         every later statement of it answers this one's error. */
      if (held)
        {
          g_message ("a push's writes held back failed, nothing of it is stored: %s", failure->message);
          p->failed = g_error_copy (failure);
        }
      g_propagate_error (error, g_steal_pointer (&failure));
    }
  else if (sql)
    last = g_steal_pointer (&results[sends->len - 1]);
  for (guint i = 0; i < sends->len; i++)
    g_clear_pointer (&results[i], PQclear);
  g_free (results);
  return last;
}
