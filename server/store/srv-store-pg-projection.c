/* srv-store-pg-projection.c: the catalogue and every branch's stock on the
 * PostgreSQL store, read without replaying all history (catalog_scratch,
 * stock_scratch; schema/server/postgres/0012_stock_projection.sql).
 *
 * A projection is the scratch database (the branch schema in memory) after
 * the entries it is made of, applied by replay_rows in arrival order
 * (entry_keys.applied) with the rules of common/: the catalogue's entries;
 * or those, the stock family's and every entry that moved stock. Each
 * process keeps it in memory at a position, covers: every entry with
 * applied <= covers is in it. A read applies the entries after covers in
 * a transaction of that database (the caller rolls it back), so it reads
 * what replaying every entry would give.
 *
 * covers moves only to a stable position (mdn_apply_stable_head, read
 * before the snapshot the entries are read in): positions come from a
 * sequence, may have holes, and a lower one may commit later; below the
 * stable head every transaction has ended, so no entry ever turns up
 * below covers. The entries applied only for their stock movements (the
 * sales) are applied and then dropped from its entries and movements:
 * no rule of the stock reads looks at them, and the projection holds the
 * catalogue, stock levels and transfers, not history.
 *
 * The projection is stored as an image (sqlite3_serialize) in
 * srv_projections with its covers, every STORE_STEP positions: a process
 * that starts, or finds another one far ahead, loads it instead of
 * replaying. A database without one (upgraded to version 12) gets it from
 * its first read, replayed from every stored entry. A replica (serve
 * --report-dsn) loads the images the primary stored and applies what came
 * after; it never moves covers (it can't see the primary's transactions).
 * Inside a caller's transaction covers doesn't move either (the caller's
 * snapshot may be older than the stable head). */
#define G_LOG_DOMAIN "srv-store-pg"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-error.h"
#include "srv-store-backends.h"
#include "srv-store-pg-private.h"

/* The positions after covers a read applies before covers is moved first;
 * and how far covers moves past the stored image before it is stored
 * (16 times that). MENDIAN_PG_PROJECTION_STEP sets the first, for tests
 * that move it with a few entries. */
static gint64
advance_step (void)
{
  static gint64 step;
  static gsize once;

  if (g_once_init_enter (&once))
    {
      const char *env = g_getenv ("MENDIAN_PG_PROJECTION_STEP");

      step = env ? g_ascii_strtoll (env, NULL, 10) : 0;
      if (step < 1 || step > 1000000)
        step = 256;
      g_once_init_leave (&once, 1);
    }
  return step;
}
#define ADVANCE_STEP advance_step ()
#define STORE_STEP   (16 * advance_step ())
#define BUILD_CHUNK  20000

enum { PROJ_CATALOG, PROJ_STOCK, N_PROJ };

typedef struct
{
  MdnDb  *db;       /* at covers, no transaction open between reads */
  gint64  covers;
  gint64  stored;   /* covers of the image last seen or stored, -1 none */
} Projection;

struct _SrvPgProjections
{
  Projection p[N_PROJ];
};

static const char *const names[N_PROJ] = { "catalog", "stock" };

/* The entries of each projection with $1 < applied <= $2, in arrival order:
 * (id, projected, doc), as replay_rows reads them. Written so that the
 * plan (a generic one, prepared once) can only go through the few keys
 * after $1 (entry_keys_applied) and, for each, its own rows: the document
 * by its partition's key, the stock movement by movements_stock (OFFSET 0
 * and LIMIT keep them per key; a join or a hashed subplan would read the
 * whole history). */
#define TAIL_SELECT(pred) \
  "SELECT k.id, k.projected, d.doc FROM (SELECT k.id, k.projected, k.business_date, k.applied " \
  "  FROM entry_keys k WHERE k.applied > $1 AND k.applied <= $2 AND (" pred ") OFFSET 0) k " \
  "CROSS JOIN LATERAL (SELECT e.doc FROM entries e WHERE e.business_date = k.business_date " \
  "  AND e.id = k.id OFFSET 0) d ORDER BY k.applied"
static const char *const tails[N_PROJ] = {
  TAIL_SELECT ("k.projected AND " CATALOG_KINDS),
  TAIL_SELECT ("(k.projected AND " CATALOG_KINDS ") OR k.kind LIKE 'stock%' OR k.kind LIKE 'transfer.%' "
               "OR (SELECT 1 FROM movements m WHERE m.business_date = k.business_date AND m.entry_id = k.id "
               "  AND m.account = 'stock' LIMIT 1) IS NOT NULL"),
};

void
srv_pg_projections_free (SrvPg *pg)
{
  if (pg->projections == NULL)
    return;
  for (int i = 0; i < N_PROJ; i++)
    g_clear_pointer (&pg->projections->p[i].db, mdn_db_close);
  g_clear_pointer (&pg->projections, g_free);
}

/* The branch schema and image format an image was made with: one made by
 * another version of the schema is replayed again instead. */
static const char *
image_format (void)
{
  static char *format;
  static gsize once;

  if (g_once_init_enter (&once))
    {
      format = g_strdup_printf ("branch-%d/1", mdn_db_schema_version ("branch"));
      g_once_init_leave (&once, 1);
    }
  return format;
}

/* MENDIAN_PG_REPLAY=1: every read replays all history, as before version
 * 12 (the tests' reference for what the projection must equal). */
static gboolean
replay_only (void)
{
  return g_strcmp0 (g_getenv ("MENDIAN_PG_REPLAY"), "1") == 0;
}

static MdnDb *
empty_db (GError **error)
{
  /* Only part of the ledger is ever in it: rows another entry's apply
     would reference may be missing. */
  MdnDb *db = mdn_db_open (":memory:", "branch", error);

  if (db && !mdn_db_exec_script (db, "PRAGMA foreign_keys = OFF", error))
    g_clear_pointer (&db, mdn_db_close);
  return db;
}

/* The database of an image's bytes. */
static MdnDb *
image_db (const guchar *bytes,
          gsize         len,
          GError      **error)
{
  MdnDb *db = empty_db (error);
  unsigned char *copy;
  int rc;

  if (db == NULL)
    return NULL;
  copy = sqlite3_malloc64 (MAX (len, 1));
  if (copy == NULL)
    {
      mdn_db_close (db);
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_DATABASE, _("Out of memory"));
      return NULL;
    }
  memcpy (copy, bytes, len);
  rc = sqlite3_deserialize (mdn_db_handle (db), "main", copy, (sqlite3_int64) len, (sqlite3_int64) len,
                            SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_RESIZEABLE);
  if (rc != SQLITE_OK || !mdn_db_exec_script (db, "PRAGMA foreign_keys = OFF", NULL))
    {
      mdn_db_close (db);
      g_set_error (error, MDN_ERROR, MDN_ERROR_CORRUPT, _("The stored stock projection can't be read (%d)"), rc);
      return NULL;
    }
  return db;
}

/* The image of @which stored if it covers more than @p, in place of @p's
 * database. */
static gboolean
load_image (SrvPg      *pg,
            int         which,
            Projection *p,
            GError    **error)
{
  g_autoptr(PGresult) res = pq (pg, error, "SELECT covers, image FROM srv_projections "
                                "WHERE name = $1 AND format = $2 AND covers > $3", "ssi",
                                names[which], image_format (), p->db ? p->covers : (gint64) -1);
  size_t len = 0;
  guchar *bytes;
  MdnDb *db;

  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 0)
    return TRUE;
  bytes = PQunescapeBytea ((const unsigned char *) col (res, 0, 1), &len);
  if (bytes == NULL)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_DATABASE, _("Out of memory"));
      return FALSE;
    }
  db = image_db (bytes, len, error);
  PQfreemem (bytes);
  if (db == NULL)
    return FALSE;
  g_clear_pointer (&p->db, mdn_db_close);
  p->db = db;
  p->covers = p->stored = col_int (res, 0, 0);
  return TRUE;
}

/* The entries of tails[@which] after @after up to @upto. Planned for
 * these bounds at each call (PQexecParams, the unnamed statement; the
 * values still bound): a generic plan, made for any bounds, went through
 * the whole history once the table was large. Inside a transaction, where
 * a push's held-back writes must go first, through pq. */
static PGresult *
tail_rows (SrvPg   *pg,
           int      which,
           gint64   after,
           gint64   upto,
           GError **error)
{
  char a[32], u[32];
  const char *values[2] = { a, u };
  PGresult *res;

  if (pg->in_tx || PQstatus (pg->conn) != CONNECTION_OK)
    return pq (pg, error, tails[which], "ii", after, upto);
  g_snprintf (a, sizeof a, "%" G_GINT64_FORMAT, after);
  g_snprintf (u, sizeof u, "%" G_GINT64_FORMAT, upto);
  res = PQexecParams (pg->conn, tails[which], 2, NULL, values, NULL, NULL, 0);
  if (PQresultStatus (res) != PGRES_TUPLES_OK)
    {
      set_pg_error (pg, res, error);
      PQclear (res);
      return NULL;
    }
  return res;
}

/* Applies to @db, in its open transaction, the entries of @which with
 * @after < applied <= @upto; drops those applied only for their stock
 * movements from its entries when @prune. */
static gboolean
apply_tail (SrvPg   *pg,
            int      which,
            MdnDb   *db,
            gint64   after,
            gint64   upto,
            gboolean prune,
            GError **error)
{
  g_autoptr(PGresult) res = tail_rows (pg, which, after, upto, error);
  g_autoptr(GPtrArray) partial = g_ptr_array_new_with_free_func (g_free);

  if (res == NULL || !replay_rows (res, db, prune ? partial : NULL, error))
    return FALSE;
  for (guint i = 0; i < partial->len; i++)
    if (!mdn_db_exec (db, error, "DELETE FROM movements WHERE entry_id = ?", "s",
                      (const char *) g_ptr_array_index (partial, i)) ||
        !mdn_db_exec (db, error, "DELETE FROM entries WHERE id = ?", "s",
                      (const char *) g_ptr_array_index (partial, i)))
      return FALSE;
  return TRUE;
}

/* @db without free pages, when a quarter of it or more is free. */
static gboolean
vacuumed (MdnDb *db)
{
  g_autoptr(GError) error = NULL;
  sqlite3_stmt *stmt = mdn_db_query (db, &error, "SELECT (SELECT freelist_count FROM pragma_freelist_count), "
                                     "(SELECT page_count FROM pragma_page_count)", "");
  gint64 free_pages = 0, pages = 0;

  if (stmt && mdn_db_step (db, stmt, &error) == SQLITE_ROW)
    {
      free_pages = sqlite3_column_int64 (stmt, 0);
      pages = sqlite3_column_int64 (stmt, 1);
    }
  if (stmt)
    sqlite3_reset (stmt);
  if (error == NULL && free_pages > 0 && free_pages * 4 >= pages)
    mdn_db_exec_script (db, "VACUUM", &error);
  if (error)
    g_message ("the projection was not compacted: %s", error->message);
  return error == NULL;
}

/* Stores @p's image unless one covering as much is there. A failure is
 * only logged: the image is an optimisation, the entries the truth. */
static void
store_image (SrvPg      *pg,
             int         which,
             Projection *p)
{
  g_autoptr(GError) error = NULL;
  sqlite3_int64 size = 0;
  unsigned char *image;
  g_autofree char *built_at = now_iso ();
  size_t hex_len = 0;
  unsigned char *hex;
  gboolean ok;

  /* The pages the dropped sales took are free, not gone: the image is
     made of the projection's own, without them. */
  if (!vacuumed (p->db))
    return;
  image = sqlite3_serialize (mdn_db_handle (p->db), "main", &size, 0);
  if (image == NULL)
    return;
  hex = PQescapeByteaConn (pg->conn, image, (size_t) size, &hex_len);
  sqlite3_free (image);
  if (hex == NULL)
    return;
  ok = pq_exec (pg, &error,
                "INSERT INTO srv_projections (name, format, covers, image, built_at) "
                "VALUES ($1, $2, $3, $4::bytea, $5) ON CONFLICT (name) DO UPDATE "
                "SET format = excluded.format, covers = excluded.covers, image = excluded.image, "
                "built_at = excluded.built_at "
                "WHERE srv_projections.format <> excluded.format OR srv_projections.covers < excluded.covers",
                "ssiss", names[which], image_format (), p->covers, (const char *) hex, built_at);
  PQfreemem (hex);
  if (ok)
    p->stored = p->covers;
  else
    g_message ("the %s projection's image was not stored: %s", names[which], error->message);
}

/* Moves @p's covers to the stable head, applying the entries up to it for
 * good; stores the image when it is far enough past the stored one. */
static gboolean
advance (SrvPg      *pg,
         int         which,
         Projection *p,
         GError    **error)
{
  g_autoptr(PGresult) res = NULL;
  gint64 head;

  /* The stable head first, then the entries in a snapshot taken after it. */
  if ((res = pq (pg, error, "SELECT mdn_apply_stable_head ()", "")) == NULL)
    return FALSE;
  head = col_int (res, 0, 0);
  /* By chunks of positions (the first build of a long history holds one
     chunk's documents at a time): each one stable, so each one for good. */
  while (p->covers < head)
    {
      gint64 upto = MIN (head, p->covers + BUILD_CHUNK);

      if (!mdn_db_begin (p->db, TRUE, error))
        return FALSE;
      if (!apply_tail (pg, which, p->db, p->covers, upto, TRUE, error) || !mdn_db_commit (p->db, error))
        {
          mdn_db_rollback (p->db);
          return FALSE;
        }
      p->covers = upto;
      /* Stored as it goes: a first build that is stopped (a long history,
         a process killed) goes on from there. */
      if (p->stored < 0 || p->covers - p->stored >= STORE_STEP)
        store_image (pg, which, p);
    }
  return TRUE;
}

/* @which in a transaction of its database, with every entry up to the
 * current snapshot applied; the caller rolls it back. */
static MdnDb *
projection_begin (SrvPg   *pg,
                  int      which,
                  GError **error)
{
  Projection *p;
  g_autoptr(PGresult) res = NULL;
  const char *ro = PQparameterStatus (pg->conn, "default_transaction_read_only");
  const char *standby = PQparameterStatus (pg->conn, "in_hot_standby");
  gboolean primary = g_strcmp0 (ro, "on") != 0 && g_strcmp0 (standby, "on") != 0;
  gboolean idle = !pg->in_tx && PQtransactionStatus (pg->conn) == PQTRANS_IDLE;
  gint64 last, stored;

  if (pg->projections == NULL)
    {
      pg->projections = g_new0 (struct _SrvPgProjections, 1);
      for (int i = 0; i < N_PROJ; i++)
        pg->projections->p[i].stored = -1;
    }
  p = &pg->projections->p[which];
  if (replay_only ())
    {
      g_clear_pointer (&p->db, mdn_db_close);
      if ((p->db = empty_db (error)) == NULL)
        return NULL;
      p->covers = 0;
    }
  else
    {
      /* How far the image stored and the arrivals are. */
      res = pq (pg, error, "SELECT (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM apply_order), "
                "(SELECT covers FROM srv_projections WHERE name = $1 AND format = $2)", "ss", names[which],
                image_format ());
      if (res == NULL)
        return NULL;
      last = col_int (res, 0, 0);
      stored = PQgetisnull (res, 0, 1) ? -1 : col_int (res, 0, 1);
      if ((p->db == NULL || stored > p->covers + ADVANCE_STEP) && stored >= 0 &&
          !load_image (pg, which, p, error))
        return NULL;
      if (p->db == NULL)
        {
          if ((p->db = empty_db (error)) == NULL)
            return NULL;
          p->covers = 0;
        }
      if (stored < 0 && p->stored >= 0)
        p->stored = -1;   /* the image was removed: stored again */
      if (idle && primary && last - p->covers >= ADVANCE_STEP && !advance (pg, which, p, error))
        return NULL;
      /* The first read of a database without an image stores one. */
      if (idle && primary && p->stored < 0 && !advance (pg, which, p, error))
        return NULL;
      if (idle && primary && p->stored < 0 && p->covers > 0)
        store_image (pg, which, p);
    }
  if (!mdn_db_begin (p->db, TRUE, error))
    return NULL;
  if (!apply_tail (pg, which, p->db, p->covers, G_MAXINT64, FALSE, error))
    {
      mdn_db_rollback (p->db);
      return NULL;
    }
  return p->db;
}

/* The catalogue and the chain's settings, as the SQLite server holds them. */
MdnDb *
catalog_scratch (SrvPg   *pg,
                 GError **error)
{
  return projection_begin (pg, PROJ_CATALOG, error);
}

/* The catalogue and every entry that moved stock or is of the stock
 * family: every branch's stock and transfers as the SQLite server holds
 * them. */
MdnDb *
stock_scratch (SrvPg   *pg,
               GError **error)
{
  return projection_begin (pg, PROJ_STOCK, error);
}
