/* srv-store-pg-private.h: what the files of the PostgreSQL store
 * (srv-store-pg*.c) share: the store itself, its statement helpers and the
 * scratch database (an in-memory branch schema where entries are
 * re-projected with the rules of common/). Not for anything outside
 * server/store/. */
#pragma once

#include <libpq-fe.h>

#include "mdn-db.h"
#include "mdn-ledger.h"
#include "srv-store-backends.h"

G_BEGIN_DECLS

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PGresult, PQclear)

struct _SrvPg
{
  PGconn     *conn;
  GHashTable *prepared;    /* SQL text (static) -> statement name */
  char       *timezone;
  gboolean    in_tx;
  gboolean    write_tx;
  guint64     tx_serial;   /* which transaction: one more at each begin */
  MdnDb      *scratch;     /* in-memory branch schema: a member's entries re-projected */
  gboolean    notified;    /* this transaction sent NOTIFY mendian_feed */
  char       *uri;
  PGconn     *listen;      /* LISTEN mendian_feed (srv_pg_watch_feed) */
  guint       listen_id;
  SrvFeedMoved moved;
  gpointer    moved_data;
  struct _SrvPgPush *push; /* the push's prefetch and held-back writes (srv-store-pg-push.c) */
  GPtrArray  *months_made; /* "YYYY-MM" whose partitions the open transaction made (ensure_month) */
  struct _SrvPgProjections *projections; /* catalogue and stock images (srv-store-pg-projection.c) */
  struct _SrvPgDeposits *deposits; /* the held-back deposits' balances (srv-store-pg-deposits.c) */
};

/* replay()'s select (id, projected, doc) and the catalogue's kinds. */
#define REPLAY_SELECT \
  "SELECT k.id, k.projected, e.doc FROM entry_keys k " \
  "JOIN entries e ON e.business_date = k.business_date AND e.id = k.id "
#define CATALOG_KINDS \
  "(k.kind LIKE 'product.%' OR k.kind LIKE 'category.%' OR k.kind LIKE 'level.%' " \
  "OR k.kind LIKE 'deposit_rule.%' OR k.kind LIKE 'plan.%' OR k.kind = 'setting.chain')"

G_GNUC_INTERNAL void set_pg_error (SrvPg *pg, PGresult *res, GError **error);
G_GNUC_INTERNAL PGresult * pq (SrvPg *pg, GError **error, const char *sql, const char *types, ...);
G_GNUC_INTERNAL gboolean pq_exec (SrvPg *pg, GError **error, const char *sql, const char *types, ...);
G_GNUC_INTERNAL gint64 pq_changes (SrvPg *pg, GError **error, const char *sql, const char *types, ...);
G_GNUC_INTERNAL const char * col (PGresult *res, int row, int column);
G_GNUC_INTERNAL gint64 col_int (PGresult *res, int row, int column);
G_GNUC_INTERNAL gboolean col_bool (PGresult *res, int row, int column);
G_GNUC_INTERNAL gboolean pq_simple (SrvPg *pg, const char *sql, GError **error);
G_GNUC_INTERNAL char * now_iso (void);
G_GNUC_INTERNAL gint64 now_unix (void);
G_GNUC_INTERNAL char * meta_dup (SrvPg *pg, const char *key);
G_GNUC_INTERNAL gboolean meta_set (SrvPg *pg, const char *key, const char *value, GError **error);
G_GNUC_INTERNAL char * entry_doc (MdnEntry *entry);
G_GNUC_INTERNAL gboolean entries_from_docs (GPtrArray *docs, GPtrArray *out, GError **error);
G_GNUC_INTERNAL gboolean apply_docs (PGresult *res, int column, MdnDb *db, GError **error);
G_GNUC_INTERNAL MdnEntry * entry_from_doc (const char *id, const char *doc, GError **error);
G_GNUC_INTERNAL MdnDb * scratch_begin (SrvPg *pg, GError **error);
G_GNUC_INTERNAL gboolean project_into (SrvPg *pg, MdnDb *db, const char *member_id, const char *sale_id, GError **error);
G_GNUC_INTERNAL gboolean lock_member (SrvPg *pg, const char *member_id, GError **error);
G_GNUC_INTERNAL gboolean replay (SrvPg *pg, MdnDb *db, const char *sql, GError **error);
G_GNUC_INTERNAL gboolean replay_rows (PGresult *res, MdnDb *db, GPtrArray *partial, GError **error);
G_GNUC_INTERNAL gboolean project_settings (SrvPg *pg, MdnDb *db, GError **error);
G_GNUC_INTERNAL MdnDb * catalog_scratch (SrvPg *pg, GError **error);
G_GNUC_INTERNAL MdnDb * stock_scratch (SrvPg *pg, GError **error);
/* srv-store-pg-projection.c: the images catalog_scratch and stock_scratch
 * start from, and what the store frees of them. */
G_GNUC_INTERNAL void srv_pg_projections_free (SrvPg *pg);
G_GNUC_INTERNAL gboolean ensure_month (SrvPg *pg, const char *business_date, GError **error);
/* srv-store-pg-report.c: what an applied entry adds to the members
 * report's receipt figures (srv_member_receipts). */
G_GNUC_INTERNAL gboolean report_entry_applied (SrvPg *pg, MdnEntry *entry, GError **error);
/* srv-store-pg-crm.c: what an applied entry adds to its member's figures
 * (srv_member_figures, srv_member_days), held back with the push's writes. */
G_GNUC_INTERNAL gboolean crm_entry_applied (SrvPg *pg, MdnEntry *entry, GError **error);
/* @ids as a PostgreSQL text[] literal. */
G_GNUC_INTERNAL char * text_array (GPtrArray *ids);

/* srv-store-pg-deposits.c: the balance after each deposit
 * (srv_deposit_balances), kept as entries are applied and written with the
 * push's held-back entries; the deposits report's scratch from it. */
typedef struct _SrvPgDeposits SrvPgDeposits;
typedef struct _SrvPgDepositRows SrvPgDepositRows;
G_GNUC_INTERNAL gboolean srv_pg_deposits_applied (SrvPg *pg, MdnEntry *entry, gboolean held, GError **error);
G_GNUC_INTERNAL const char * srv_pg_deposits_flush (SrvPg *pg, const char **values, GPtrArray *owned);
G_GNUC_INTERNAL void srv_pg_deposits_forget (SrvPg *pg);
G_GNUC_INTERNAL void srv_pg_deposits_free (SrvPg *pg);
G_GNUC_INTERNAL SrvPgDepositRows * srv_pg_deposit_rows_new (void);
G_GNUC_INTERNAL void srv_pg_deposit_rows_add (SrvPgDepositRows *rows, const MdnEntry *entry, gint64 applied);
G_GNUC_INTERNAL gboolean srv_pg_deposits_fill (SrvPg *pg, MdnDb *db, SrvPgDepositRows *rows, GError **error);
G_GNUC_INTERNAL void srv_pg_deposit_rows_free (SrvPgDepositRows *rows);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvPgDepositRows, srv_pg_deposit_rows_free)

G_GNUC_INTERNAL const char * pq_prepared_name (SrvPg *pg, const char *sql, int n, GError **error);

/* The write-behind of a push (srv-store-pg-push.c). Each deferring call
 * answers 1 when it held the write back, 0 when the caller writes now,
 * -1 with @error set. */
G_GNUC_INTERNAL void srv_pg_push_free (SrvPg *pg);
G_GNUC_INTERNAL void srv_pg_push_end (SrvPg *pg);
G_GNUC_INTERNAL gboolean srv_pg_push_commit (SrvPg *pg, GError **error);
G_GNUC_INTERNAL gboolean srv_pg_push_head (SrvPg *pg, gint64 *out_head);
G_GNUC_INTERNAL void srv_pg_push_forget_head (SrvPg *pg);
/* What srv_pg_push_prepare read for the calls srv-push.c makes next. */
enum { SRV_PG_PUSH_BRANCH, SRV_PG_PUSH_HOLDS, SRV_PG_PUSH_N_EARLY };
G_GNUC_INTERNAL PGresult * srv_pg_push_take_early (SrvPg *pg, int what);
G_GNUC_INTERNAL gboolean srv_pg_push_rollup (SrvPg *pg, const char *branch, const char *business_date,
                                             PGresult **res, int *row);
G_GNUC_INTERNAL gboolean srv_pg_push_pending (SrvPg *pg);
G_GNUC_INTERNAL gboolean srv_pg_push_failed (SrvPg *pg, GError **error);
/* Reads what parts of a push's batch were sent ahead and leaves the
 * pipeline (before a statement outside it); FALSE if one failed. */
G_GNUC_INTERNAL gboolean srv_pg_push_drain (SrvPg *pg, GError **error);
G_GNUC_INTERNAL PGresult * srv_pg_push_flush (SrvPg *pg, const char *sql, int n, const char *const *values,
                                              GError **error);
G_GNUC_INTERNAL int srv_pg_push_defer_entry (SrvPg *pg, MdnEntry *entry, gboolean projected, GError **error);
G_GNUC_INTERNAL int srv_pg_push_defer_feed (SrvPg *pg, const char *entry_id, const char *to_branch, GError **error);
G_GNUC_INTERNAL int srv_pg_push_defer (SrvPg *pg, const char *sql, int n, const char *const *values, GError **error);
/* Held back as one row of @sql, whose @n parameters are arrays: every row
 * deferred with the same @sql until the next flush goes in one statement,
 * sent where the first was held (so only for writes that commute with the
 * others held back, like sums). */
G_GNUC_INTERNAL int srv_pg_push_defer_row (SrvPg *pg, const char *sql, int n, const char *const *values,
                                           GError **error);

/* Every row of @res as a GStrv, "" for SQL NULL, as the SQLite console
 * store gives them; clears @res (NULL: NULL). */
G_GNUC_INTERNAL SrvRows * console_rows (PGresult *res);

G_END_DECLS
