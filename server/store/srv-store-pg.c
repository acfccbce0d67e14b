/* srv-store-pg.c: the PostgreSQL backend of the server's storage
 * (srv-store.h, through the srv_pg_* names of srv-store-backends.h), for
 * chains that run several server processes on one database. It reads and
 * writes rows and leaves the decisions to srv-rules.c and srv-push.c, like
 * the SQLite backend. The schema is schema/server/postgres/; docs/server.md
 * ("PostgreSQL") says how the projections the server reads are kept. */
#define G_LOG_DOMAIN "srv-store-pg"

#include <glib/gi18n-lib.h>
#include <glib-unix.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-db.h"
#include "mdn-entry-codec.h"
#include "mdn-error.h"
#include "mdn-figures.h"
#include "mdn-id.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-card.h"
#include "mdn-lockout.h"
#include "mdn-members.h"
#include "mdn-money.h"
#include "mdn-ops.h"
#include "mdn-sales.h"
#include "mdn-selling.h"
#include "mdn-staff.h"
#include "mdn-stock.h"
#include "mdn-store.h"
#include "srv-rules.h"
#include "srv-store-backends.h"
#include "srv-store-pg-private.h"



void srv_pg_free (SrvPg *pg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvPg, srv_pg_free)

#define PG_SCHEMA_DIR "/org/mendian/schema/server/postgres/"
#define PG_LOCK_CLASS 1835298409   /* mdn_feed_class () of the schema */

/* Queries ------------------------------------------------------------------ */

void
set_pg_error (SrvPg      *pg,
              PGresult   *res,
              GError    **error)
{
  const char *state = res ? PQresultErrorField (res, PG_DIAG_SQLSTATE) : NULL;
  const char *msg = res && *PQresultErrorMessage (res) ? PQresultErrorMessage (res) : PQerrorMessage (pg->conn);
  g_autofree char *text = g_strstrip (g_strdup (msg ? msg : "?"));

  if (state && (g_str_equal (state, "23505") || g_str_equal (state, "40001") || g_str_equal (state, "40P01")))
    g_set_error (error, SRV_ERROR, SRV_ERROR_DUPLICATE,
                 _("Another server process wrote the same rows at the same moment; try again (%s)"), text);
  else
    g_set_error (error, MDN_ERROR, MDN_ERROR_DATABASE, _("Database error: %s"), text);
}

static void
reconnect (SrvPg *pg)
{
  PQreset (pg->conn);
  g_hash_table_remove_all (pg->prepared);
  if (PQstatus (pg->conn) == CONNECTION_OK)
    {
      g_autoptr(PGresult) res = PQexec (pg->conn, "SET client_min_messages = warning");

      g_message ("connected to the database again");
    }
}

/* The name @sql (a static string) is prepared under on this connection,
 * prepared now if it isn't; NULL with @error set. */
const char *
pq_prepared_name (SrvPg      *pg,
                  const char *sql,
                  int         n,
                  GError    **error)
{
  const char *name = g_hash_table_lookup (pg->prepared, sql);
  g_autofree char *fresh = NULL;
  g_autoptr(PGresult) res = NULL;

  if (name)
    return name;
  fresh = g_strdup_printf ("q%u", g_hash_table_size (pg->prepared));
  res = PQprepare (pg->conn, fresh, sql, n, NULL);
  if (PQresultStatus (res) != PGRES_COMMAND_OK)
    {
      set_pg_error (pg, res, error);
      return NULL;
    }
  g_hash_table_insert (pg->prepared, (gpointer) sql, g_steal_pointer (&fresh));
  return g_hash_table_lookup (pg->prepared, sql);
}

/* Runs @sql, a static string, as a statement prepared once per connection,
 * with parameters by @types: 's' a string (NULL is SQL NULL), 'i' a gint64,
 * 'b' a gboolean. The result, or NULL with @error set. */
static PGresult *
pqv (SrvPg      *pg,
     GError    **error,
     const char *sql,
     const char *types,
     va_list     ap)
{
  int n = (int) strlen (types);
  const char *values[32];
  char *owned[32] = { NULL };
  const char *name;
  PGresult *res;
  ExecStatusType st;

  g_assert (n <= 32);
  for (int i = 0; i < n; i++)
    switch (types[i])
      {
      case 's':
        values[i] = va_arg (ap, const char *);
        break;
      case 'i':
        values[i] = owned[i] = g_strdup_printf ("%" G_GINT64_FORMAT, va_arg (ap, gint64));
        break;
      case 'b':
        values[i] = va_arg (ap, gboolean) ? "t" : "f";
        break;
      default:
        g_assert_not_reached ();
      }

  srv_pg_push_forget_head (pg);
  /* A push's writes held back (srv-store-pg-push.c) go first, in one
     round trip with this statement; after one of them failed, every
     statement of the transaction fails the same. */
  if (pg->in_tx && (srv_pg_push_failed (pg, error) || srv_pg_push_pending (pg)))
    {
      res = srv_pg_push_failed (pg, NULL) ? NULL : srv_pg_push_flush (pg, sql, n, values, error);
      for (int i = 0; i < n; i++)
        g_free (owned[i]);
      return res;
    }

  /* A connection lost between transactions (the database restarted, a
     failover, the session terminated) is made again and the statement
     sent once more; inside one, the transaction is lost anyway and the
     caller's error rolls it back. */
  for (int attempt = 0;; attempt++)
    {
      gboolean retry;

      if (PQstatus (pg->conn) == CONNECTION_BAD && !pg->in_tx)
        reconnect (pg);
      name = g_hash_table_lookup (pg->prepared, sql);
      if (name == NULL)
        {
          g_autofree char *fresh = g_strdup_printf ("q%u", g_hash_table_size (pg->prepared));

          res = PQprepare (pg->conn, fresh, sql, n, NULL);
          if (PQresultStatus (res) == PGRES_COMMAND_OK)
            {
              PQclear (res);
              g_hash_table_insert (pg->prepared, (gpointer) sql, g_strdup (fresh));
              name = g_hash_table_lookup (pg->prepared, sql);
              res = PQexecPrepared (pg->conn, name, n, values, NULL, NULL, 0);
            }
        }
      else
        res = PQexecPrepared (pg->conn, name, n, values, NULL, NULL, 0);
      st = PQresultStatus (res);
      if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        break;
      retry = attempt == 0 && !pg->in_tx && PQstatus (pg->conn) == CONNECTION_BAD;
      if (!retry)
        {
          set_pg_error (pg, res, error);
          PQclear (res);
          res = NULL;
          break;
        }
      PQclear (res);
    }
  for (int i = 0; i < n; i++)
    g_free (owned[i]);
  return res;
}

PGresult *
pq (SrvPg      *pg,
    GError    **error,
    const char *sql,
    const char *types,
    ...)
{
  va_list ap;
  PGresult *res;

  va_start (ap, types);
  res = pqv (pg, error, sql, types, ap);
  va_end (ap);
  return res;
}

/* A statement whose rows are not needed. */
gboolean
pq_exec (SrvPg      *pg,
         GError    **error,
         const char *sql,
         const char *types,
         ...)
{
  va_list ap;
  PGresult *res;

  va_start (ap, types);
  res = pqv (pg, error, sql, types, ap);
  va_end (ap);
  PQclear (res);
  return res != NULL;
}

/* How many rows a write changed. */
gint64
pq_changes (SrvPg      *pg,
            GError    **error,
            const char *sql,
            const char *types,
            ...)
{
  va_list ap;
  g_autoptr(PGresult) res = NULL;

  va_start (ap, types);
  res = pqv (pg, error, sql, types, ap);
  va_end (ap);
  if (res == NULL)
    return -1;
  return g_ascii_strtoll (PQcmdTuples (res), NULL, 10);
}

const char *
col (PGresult *res, int row, int column)
{
  return PQgetisnull (res, row, column) ? NULL : PQgetvalue (res, row, column);
}

gint64
col_int (PGresult *res, int row, int column)
{
  return PQgetisnull (res, row, column) ? 0 : g_ascii_strtoll (PQgetvalue (res, row, column), NULL, 10);
}

gboolean
col_bool (PGresult *res, int row, int column)
{
  return !PQgetisnull (res, row, column) && PQgetvalue (res, row, column)[0] == 't';
}

/* A plain statement (BEGIN, COMMIT ...). */
gboolean
pq_simple (SrvPg      *pg,
           const char *sql,
           GError    **error)
{
  g_autoptr(PGresult) res = NULL;

  /* Parts of a push's batch sent ahead: read before leaving the pipeline
     (a failure among them fails the push). */
  if (PQpipelineStatus (pg->conn) != PQ_PIPELINE_OFF)
    srv_pg_push_drain (pg, NULL);
  if (PQstatus (pg->conn) == CONNECTION_BAD && !pg->in_tx)
    reconnect (pg);
  res = PQexec (pg->conn, sql);
  /* BEGIN on a connection found lost: once more on a new one. */
  if (PQresultStatus (res) != PGRES_COMMAND_OK && !pg->in_tx && PQstatus (pg->conn) == CONNECTION_BAD &&
      g_str_has_prefix (sql, "BEGIN"))
    {
      PQclear (res);
      reconnect (pg);
      res = PQexec (pg->conn, sql);
    }

  if (PQresultStatus (res) != PGRES_COMMAND_OK && PQresultStatus (res) != PGRES_TUPLES_OK)
    {
      set_pg_error (pg, res, error);
      return FALSE;
    }
  return TRUE;
}

char *
now_iso (void)
{
  g_autoptr(GDateTime) now = mdn_clock_now ();

  return mdn_clock_format (now);
}

gint64
now_unix (void)
{
  g_autoptr(GDateTime) now = mdn_clock_now ();

  return g_date_time_to_unix (now);
}

static char *
token_hash (const char *token)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
}

static gboolean
valid_code (const char *code)
{
  gsize len = code ? strlen (code) : 0;

  if (len < 1 || len > 16)
    return FALSE;
  for (const char *p = code; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

/* Opening and migrations ---------------------------------------------------------- */

char *
meta_dup (SrvPg      *pg,
          const char *key)
{
  g_autoptr(PGresult) res = pq (pg, NULL, "SELECT value FROM srv_meta WHERE key = $1", "s", key);

  if (res == NULL || PQntuples (res) != 1)
    return NULL;
  return g_strdup (col (res, 0, 0));
}

gboolean
meta_set (SrvPg      *pg,
          const char *key,
          const char *value,
          GError    **error)
{
  return pq_exec (pg, error,
                  "INSERT INTO srv_meta (key, value) VALUES ($1, $2) "
                  "ON CONFLICT (key) DO UPDATE SET value = excluded.value", "ss", key, value);
}

static int
compare_names (gconstpointer a,
               gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Every schema/server/postgres/NNNN_*.sql above the database's version, in
 * one transaction with the version, under a lock: two processes starting
 * at once migrate once. A database newer than this program is refused. */
/* The highest schema/server/postgres/ version this program knows. */
static int
latest_version (void)
{
  g_auto(GStrv) names = g_resources_enumerate_children (PG_SCHEMA_DIR, 0, NULL);
  int latest = 0;

  for (guint i = 0; names && names[i]; i++)
    latest = MAX (latest, atoi (names[i]));
  return latest;
}

static gboolean
migrate (SrvPg   *pg,
         GError **error)
{
  g_auto(GStrv) names = g_resources_enumerate_children (PG_SCHEMA_DIR, 0, NULL);
  int latest = 0, current = 0;

  if (names == NULL)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_DATABASE, _("The PostgreSQL schema is missing"));
      return FALSE;
    }
  qsort (names, g_strv_length (names), sizeof (char *), compare_names);
  for (guint i = 0; names[i]; i++)
    latest = MAX (latest, atoi (names[i]));

  if (!pq_simple (pg, "BEGIN", error))
    return FALSE;
  if (!pq_exec (pg, error, "SELECT pg_advisory_xact_lock ($1, 2)", "i", (gint64) PG_LOCK_CLASS))
    goto fail;
  {
    g_autoptr(PGresult) res = pq (pg, error, "SELECT to_regclass ('srv_meta') IS NOT NULL", "");

    if (res == NULL)
      goto fail;
    if (col_bool (res, 0, 0))
      {
        g_autofree char *v = meta_dup (pg, "schema_version");

        current = v ? atoi (v) : 0;
      }
  }
  if (current > latest)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_SCHEMA_TOO_NEW,
                   _("This server database was written by a newer Mendian (server schema %d, this program knows %d)"),
                   current, latest);
      goto fail;
    }
  for (guint i = 0; names[i]; i++)
    {
      int version = atoi (names[i]);
      g_autofree char *path = NULL;
      g_autoptr(GBytes) bytes = NULL;
      g_autofree char *sql = NULL;
      g_autofree char *bump = NULL;

      if (version <= current || !g_str_has_suffix (names[i], ".sql"))
        continue;
      path = g_strconcat (PG_SCHEMA_DIR, names[i], NULL);
      bytes = g_resources_lookup_data (path, 0, error);
      if (bytes == NULL)
        goto fail;
      sql = g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
      if (!pq_simple (pg, sql, error))
        goto fail;
      bump = g_strdup_printf ("%d", version);
      if (!meta_set (pg, "schema_version", bump, error))
        goto fail;
    }
  return pq_simple (pg, "COMMIT", error);

fail:
  g_prefix_error (error, _("Upgrading the server database failed, nothing was changed: "));
  pq_simple (pg, "ROLLBACK", NULL);
  return FALSE;
}

static void
notice_quiet (void       *arg,
              const char *message)
{
  (void) arg;
  g_debug ("%s", message);
}

SrvPg *
srv_pg_open (const char *path,
             gboolean    create,
             GError    **error)
{
  g_autoptr(SrvPg) pg = g_new0 (SrvPg, 1);
  g_autofree char *role = NULL;

  g_return_val_if_fail (path != NULL, NULL);

  mdn_library_init ();
  pg->prepared = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  pg->uri = g_strdup (path);
  pg->conn = PQconnectdb (path);
  if (PQstatus (pg->conn) != CONNECTION_OK)
    {
      g_autofree char *msg = g_strstrip (g_strdup (PQerrorMessage (pg->conn)));

      g_set_error (error, MDN_ERROR, MDN_ERROR_DATABASE, _("Cannot open the database %s: %s"), path, msg);
      return NULL;
    }
  PQsetNoticeProcessor (pg->conn, notice_quiet, NULL);
  if (!pq_simple (pg, "SET client_min_messages = warning", error))
    return NULL;
  {
    g_autoptr(PGresult) res = pq (pg, error, "SELECT to_regclass ('srv_meta') IS NOT NULL", "");

    if (res == NULL)
      return NULL;
    if (!col_bool (res, 0, 0) && !create)
      {
        g_set_error (error, MDN_ERROR, MDN_ERROR_DATABASE,
                     _("%s is not a server database; run “mendian-server --db URI init” first"), path);
        return NULL;
      }
  }
  if (!migrate (pg, error))
    return NULL;

  role = meta_dup (pg, "role");
  if (role == NULL)
    {
      g_autofree char *key = mdn_random_hex (MDN_CHAIN_KEY_LEN);

      if (!create)
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_DATABASE,
                       _("%s is not a server database; run “mendian-server --db URI init” first"), path);
          return NULL;
        }
      /* ON CONFLICT DO NOTHING: two processes initialising at once make one key. */
      if (!pq_simple (pg, "BEGIN", error))
        return NULL;
      if (!pq_exec (pg, error, "INSERT INTO srv_meta (key, value) VALUES ('chain_key', $1) ON CONFLICT DO NOTHING",
                    "s", key) ||
          !pq_exec (pg, error, "INSERT INTO srv_meta (key, value) VALUES ('timezone', $1) ON CONFLICT DO NOTHING",
                    "s", MDN_DEFAULT_TIMEZONE) ||
          !pq_exec (pg, error, "INSERT INTO srv_meta (key, value) VALUES ('role', 'server') ON CONFLICT DO NOTHING",
                    "") ||
          !pq_simple (pg, "COMMIT", error))
        {
          pq_simple (pg, "ROLLBACK", NULL);
          return NULL;
        }
      memset (key, 0, strlen (key));
    }
  else if (!g_str_equal (role, "server"))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_DATABASE, _("%s is not a server database"), path);
      return NULL;
    }
  pg->timezone = meta_dup (pg, "timezone");
  if (pg->timezone == NULL)
    pg->timezone = g_strdup (MDN_DEFAULT_TIMEZONE);
  return g_steal_pointer (&pg);
}

void
srv_pg_free (SrvPg *pg)
{
  if (pg == NULL)
    return;
  g_clear_handle_id (&pg->listen_id, g_source_remove);
  srv_pg_push_free (pg);
  srv_pg_deposits_free (pg);
  if (pg->listen)
    PQfinish (pg->listen);
  if (pg->conn)
    PQfinish (pg->conn);
  g_free (pg->uri);
  g_clear_pointer (&pg->prepared, g_hash_table_unref);
  g_clear_pointer (&pg->scratch, mdn_db_close);
  g_clear_pointer (&pg->months_made, g_ptr_array_unref);
  srv_pg_projections_free (pg);
  g_free (pg->timezone);
  g_free (pg);
}

gboolean
srv_pg_backup (SrvPg      *pg,
               const char *path,
               GError    **error)
{
  (void) pg, (void) path;
  g_set_error_literal (error, SRV_ERROR, SRV_ERROR_NOT_SUPPORTED,
                       _("A PostgreSQL chain is backed up by PostgreSQL itself: pg_dump, or a base backup with "
                         "WAL archiving (docs/server.md, “Backup and restore”)"));
  return FALSE;
}

char *
srv_pg_feed_epoch_dup (SrvPg *pg)
{
  return meta_dup (pg, "feed_epoch");
}

gboolean
srv_pg_feed_epoch_renew (SrvPg    *pg,
                         gboolean  only_if_missing,
                         GError  **error)
{
  g_autofree char *epoch = mdn_random_hex (16);

  /* Two processes starting at once on a database without one: one wins. */
  if (only_if_missing)
    return pq_exec (pg, error, "INSERT INTO srv_meta (key, value) VALUES ('feed_epoch', $1) ON CONFLICT DO NOTHING",
                    "s", epoch);
  return meta_set (pg, "feed_epoch", epoch, error);
}

char *
srv_pg_chain_key_dup (SrvPg *pg)
{
  return meta_dup (pg, "chain_key");
}

/* Administration ------------------------------------------------------------ */

char *
srv_pg_branch_add (SrvPg      *pg,
                   const char *code,
                   const char *name,
                   gint64      number,
                   gboolean    hq,
                   GError    **error)
{
  g_autofree char *token = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *at = now_iso ();
  g_autoptr(GError) local = NULL;

  g_return_val_if_fail (pg != NULL, NULL);

  if (!valid_code (code))
    {
      g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID,
                           _("The branch code must be 1 to 16 letters, digits, “-” or “_”, like B01"));
      return NULL;
    }
  if (name == NULL || *name == '\0' || number < 0 || number > 999)
    {
      g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID,
                           _("A branch needs a name and a number between 0 and 999"));
      return NULL;
    }
  token = mdn_random_hex (32);
  hash = token_hash (token);
  /* One statement: the unique keys decide between two processes. */
  if (pq_changes (pg, &local,
                  "INSERT INTO srv_branches (code, name, number, hq, token_hash, last_hash, created_at) "
                  "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                  "ssibsss", code, name, number, hq, hash, MDN_GENESIS_HASH, at) == 1)
    return g_steal_pointer (&token);
  if (local)
    g_propagate_error (error, g_steal_pointer (&local));
  else
    g_set_error (error, SRV_ERROR, SRV_ERROR_DUPLICATE,
                 _("There is already a branch with code %s or number %" PRId64), code, number);
  return NULL;
}

static gboolean
update_branch (SrvPg      *pg,
               const char *sql,
               const char *code,
               const char *value,
               GError    **error)
{
  gint64 n = value ? pq_changes (pg, error, sql, "ss", value, code) : pq_changes (pg, error, sql, "s", code);

  if (n < 0)
    return FALSE;
  if (n != 1)
    {
      g_set_error (error, SRV_ERROR, SRV_ERROR_NOT_FOUND, _("There is no branch %s"), code);
      return FALSE;
    }
  return TRUE;
}

gboolean
srv_pg_branch_revoke (SrvPg      *pg,
                      const char *code,
                      GError    **error)
{
  return update_branch (pg, "UPDATE srv_branches SET revoked = true WHERE code = $1", code, NULL, error);
}

char *
srv_pg_branch_rotate (SrvPg      *pg,
                      const char *code,
                      GError    **error)
{
  g_autofree char *token = mdn_random_hex (32);
  g_autofree char *hash = token_hash (token);

  if (!update_branch (pg, "UPDATE srv_branches SET token_hash = $1, revoked = false, chain_key_at = NULL "
                      "WHERE code = $2", code, hash, error))
    return NULL;
  return g_steal_pointer (&token);
}

GPtrArray *
srv_pg_branch_list (SrvPg   *pg,
                    GError **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) srv_branch_info_free);
  g_autoptr(PGresult) res = NULL;

  g_return_val_if_fail (pg != NULL, NULL);

  res = pq (pg, error, "SELECT code, name, number, hq, revoked, acked_seq, last_push_at "
            "FROM srv_branches ORDER BY code COLLATE \"C\"", "");
  if (res == NULL)
    return NULL;
  for (int r = 0; r < PQntuples (res); r++)
    {
      SrvBranchInfo *info = g_new0 (SrvBranchInfo, 1);

      info->code = g_strdup (col (res, r, 0));
      info->name = g_strdup (col (res, r, 1));
      info->number = col_int (res, r, 2);
      info->hq = col_bool (res, r, 3);
      info->revoked = col_bool (res, r, 4);
      info->acked_seq = col_int (res, r, 5);
      info->last_push_at = g_strdup (col (res, r, 6));
      g_ptr_array_add (list, info);
    }
  return g_steal_pointer (&list);
}

char *
srv_pg_token_add (SrvPg      *pg,
                  const char *name,
                  const char *role,
                  GError    **error)
{
  g_autofree char *token = mdn_random_hex (32);
  g_autofree char *hash = token_hash (token);
  g_autofree char *at = now_iso ();

  if (name == NULL || *name == '\0' || g_strcmp0 (role, "hq") != 0)
    {
      g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID, _("A token needs a name and the role hq"));
      return NULL;
    }
  if (!pq_exec (pg, error, "INSERT INTO srv_tokens (name, role, token_hash, created_at) VALUES ($1, $2, $3, $4)",
                "ssss", name, role, hash, at))
    return NULL;
  return g_steal_pointer (&token);
}

/* Authentication ------------------------------------------------------------ */

#define BRANCH_COLUMNS "code, name, number, hq, acked_seq, last_hash"

static SrvBranch *
branch_from (PGresult *res)
{
  SrvBranch *b;

  if (res == NULL || PQntuples (res) != 1)
    return NULL;
  b = g_new0 (SrvBranch, 1);
  b->code = g_strdup (col (res, 0, 0));
  b->name = g_strdup (col (res, 0, 1));
  b->number = col_int (res, 0, 2);
  b->hq = col_bool (res, 0, 3);
  b->acked_seq = col_int (res, 0, 4);
  b->last_hash = g_strdup (col (res, 0, 5));
  return b;
}

SrvBranch *
srv_pg_auth_branch (SrvPg      *pg,
                    const char *token)
{
  g_autofree char *hash = NULL;
  g_autoptr(PGresult) res = NULL;

  if (token == NULL || *token == '\0')
    return NULL;
  hash = token_hash (token);
  res = pq (pg, NULL, "SELECT " BRANCH_COLUMNS " FROM srv_branches WHERE token_hash = $1 AND NOT revoked",
            "s", hash);
  return branch_from (res);
}

gboolean
srv_pg_auth_hq (SrvPg      *pg,
                const char *token)
{
  g_autofree char *hash = NULL;
  g_autoptr(PGresult) res = NULL;

  if (token == NULL || *token == '\0')
    return FALSE;
  hash = token_hash (token);
  res = pq (pg, NULL, "SELECT 1 FROM srv_tokens WHERE token_hash = $1 AND NOT revoked AND role = 'hq'", "s", hash);
  return res && PQntuples (res) == 1;
}

/* Transactions and primitives ---------------------------------------------- */

static void months_end (SrvPg *pg, gboolean committed);

/* READ COMMITTED, with row locks where a decision needs them: a write
 * transaction locks the branch row it reads (srv_pg_branch_get) and the
 * rows of the members it changes. */
gboolean
srv_pg_begin (SrvPg    *pg,
              gboolean  write,
              GError  **error)
{
  g_return_val_if_fail (pg != NULL && !pg->in_tx, FALSE);

  if (!pq_simple (pg, write ? "BEGIN" : "BEGIN READ ONLY", error))
    return FALSE;
  pg->in_tx = TRUE;
  pg->write_tx = write;
  pg->tx_serial++;
  pg->notified = FALSE;
  srv_pg_push_end (pg);
  srv_pg_push_forget_head (pg);
  return TRUE;
}

gboolean
srv_pg_commit (SrvPg   *pg,
               GError **error)
{
  g_return_val_if_fail (pg != NULL && pg->in_tx, FALSE);

  /* Still in the transaction: a lost connection is not made again for
     the COMMIT, which fails. A push's writes held back go with it, in
     one round trip (srv-store-pg-push.c). */
  if (srv_pg_push_pending (pg) || srv_pg_push_failed (pg, NULL))
    {
      if (!srv_pg_push_commit (pg, error))
        {
          pq_simple (pg, "ROLLBACK", NULL);
          srv_pg_push_end (pg);
          months_end (pg, FALSE);
          pg->in_tx = FALSE;
          return FALSE;
        }
    }
  else if (!pq_simple (pg, "COMMIT", error))
    {
      pq_simple (pg, "ROLLBACK", NULL);
      srv_pg_push_end (pg);
      months_end (pg, FALSE);
      pg->in_tx = FALSE;
      return FALSE;
    }
  srv_pg_push_end (pg);
  months_end (pg, TRUE);
  pg->in_tx = FALSE;
  return TRUE;
}

void
srv_pg_rollback (SrvPg *pg)
{
  g_return_if_fail (pg != NULL);

  if (pg->in_tx || PQtransactionStatus (pg->conn) != PQTRANS_IDLE)
    pq_simple (pg, "ROLLBACK", NULL);
  srv_pg_push_end (pg);
  months_end (pg, FALSE);
  pg->in_tx = FALSE;
}

SrvBranch *
srv_pg_branch_get (SrvPg      *pg,
                   const char *code)
{
  g_autoptr(PGresult) res = NULL;

  g_return_val_if_fail (pg != NULL, NULL);

  /* read (and locked) with the push's prefetch (srv-store-pg-push.c) */
  res = srv_pg_push_take_early (pg, SRV_PG_PUSH_BRANCH);
  if (res && (PQntuples (res) == 0 || g_str_equal (col (res, 0, 0), code)))
    return branch_from (res);
  g_clear_pointer (&res, PQclear);
  if (pg->in_tx && pg->write_tx)
    res = pq (pg, NULL, "SELECT " BRANCH_COLUMNS " FROM srv_branches WHERE code = $1 FOR UPDATE", "s", code);
  else
    res = pq (pg, NULL, "SELECT " BRANCH_COLUMNS " FROM srv_branches WHERE code = $1", "s", code);
  return branch_from (res);
}

static const char *branch_advance_sql =
  "UPDATE srv_branches SET acked_seq = $1, last_hash = $2, last_push_at = $3 WHERE code = $4";

gboolean
srv_pg_branch_advance (SrvPg      *pg,
                       const char *code,
                       gint64      acked_seq,
                       const char *last_hash,
                       const char *at,
                       GError    **error)
{
  g_autofree char *seq = g_strdup_printf ("%" G_GINT64_FORMAT, acked_seq);
  const char *values[] = { seq, last_hash, at, code };
  int held = srv_pg_push_defer (pg, branch_advance_sql, 4, values, error);

  if (held != 0)
    return held > 0;
  return pq_exec (pg, error, branch_advance_sql, "isss", acked_seq, last_hash, at, code);
}

gboolean
srv_pg_entry_hash (SrvPg      *pg,
                   const char *branch,
                   gint64      seq,
                   char      **out_hash,
                   GError    **error)
{
  g_autoptr(PGresult) res = pq (pg, error, "SELECT hash FROM entry_keys WHERE branch = $1 AND seq = $2",
                                "si", branch, seq);

  *out_hash = NULL;
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 1)
    *out_hash = g_strdup (col (res, 0, 0));
  return TRUE;
}

/* Entries -------------------------------------------------------------------- */

static GHashTable *months_known;   /* "YYYY-MM" whose partitions exist, committed (this process) */
static GMutex months_lock;

/* The months made by the transaction that ends: known if it committed
 * (a partition made in one that rolled back is gone with it). */
static void
months_end (SrvPg   *pg,
            gboolean committed)
{
  if (pg->months_made == NULL || pg->months_made->len == 0)
    return;
  if (committed)
    {
      g_mutex_lock (&months_lock);
      for (guint i = 0; i < pg->months_made->len; i++)
        g_hash_table_add (months_known, g_strdup (g_ptr_array_index (pg->months_made, i)));
      g_mutex_unlock (&months_lock);
    }
  g_ptr_array_set_size (pg->months_made, 0);
}

gboolean
ensure_month (SrvPg      *pg,
              const char *business_date,
              GError    **error)
{
  g_autofree char *month = g_strndup (business_date, 7);
  gboolean have;

  g_mutex_lock (&months_lock);
  if (months_known == NULL)
    months_known = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  have = g_hash_table_contains (months_known, month);
  g_mutex_unlock (&months_lock);
  if (have || (pg->months_made && g_ptr_array_find_with_equal_func (pg->months_made, month, g_str_equal, NULL)))
    return TRUE;
  if (!pq_exec (pg, error, "SELECT mdn_month_partition ($1::date)", "s", business_date))
    return FALSE;
  if (!pg->in_tx)
    {
      g_mutex_lock (&months_lock);
      g_hash_table_add (months_known, g_steal_pointer (&month));
      g_mutex_unlock (&months_lock);
      return TRUE;
    }
  /* known once this transaction commits */
  if (pg->months_made == NULL)
    pg->months_made = g_ptr_array_new_with_free_func (g_free);
  g_ptr_array_add (pg->months_made, g_steal_pointer (&month));
  return TRUE;
}

char *
entry_doc (MdnEntry *entry)
{
  GString *out = g_string_sized_new (entry->canonical ? strlen (entry->canonical) + 80 : 1024);

  /* from the text its hash was checked over (srv_push), when it was */
  mdn_entry_codec_write_hashed (out, entry);
  return g_string_free (out, FALSE);
}

/* The movements as [{"m":member,"a":account,"i":item,"l":lot,"e":expires_on,"d":delta}]. */
static char *
movements_json (MdnEntry *entry)
{
  GString *s = g_string_new ("[");

  for (guint i = 0; i < entry->movements->len; i++)
    {
      MdnMovement *m = &g_array_index (entry->movements, MdnMovement, i);

      g_string_append (s, i ? ",{\"x\":" : "{\"x\":");
      mdn_json_append_canonical_int (s, i);
      g_string_append (s, ",\"m\":");
      if (m->member_id)
        mdn_json_append_canonical_string (s, m->member_id);
      else
        g_string_append (s, "null");
      g_string_append (s, ",\"a\":");
      mdn_json_append_canonical_string (s, m->account);
      g_string_append (s, ",\"i\":");
      mdn_json_append_canonical_string (s, m->item ? m->item : "");
      g_string_append (s, ",\"l\":");
      mdn_json_append_canonical_string (s, m->lot ? m->lot : "");
      g_string_append (s, ",\"e\":");
      if (m->expires_on)
        mdn_json_append_canonical_string (s, m->expires_on);
      else
        g_string_append (s, "null");
      g_string_append (s, ",\"d\":");
      mdn_json_append_canonical_int (s, m->delta);
      g_string_append_c (s, '}');
    }
  g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

/* The members whose rows a change locks: the entry's and every member a
 * movement names, sorted, so that two pushes lock in one order. */
static GPtrArray *
members_of (MdnEntry *entry)
{
  GPtrArray *ids = g_ptr_array_new ();

  if (entry->member_id)
    g_ptr_array_add (ids, entry->member_id);
  for (guint i = 0; i < entry->movements->len; i++)
    {
      MdnMovement *m = &g_array_index (entry->movements, MdnMovement, i);

      if (m->member_id && !g_ptr_array_find_with_equal_func (ids, m->member_id, g_str_equal, NULL))
        g_ptr_array_add (ids, m->member_id);
    }
  g_ptr_array_sort (ids, compare_names);
  return ids;
}

gboolean
lock_member (SrvPg      *pg,
             const char *member_id,
             GError    **error)
{
  return pq_exec (pg, error, "SELECT 1 FROM srv_members WHERE id = $1 FOR UPDATE", "s", member_id);
}

/* One statement: the key row (the (branch, seq) and id de-duplication),
 * the entry in its month's partition, its movements and, for an applied
 * entry, the sums they add to. A key taken stores nothing and fails with
 * SRV_ERROR_DUPLICATE without aborting the transaction (ON CONFLICT DO
 * NOTHING; the rest hangs on the key row inserted), so that the caller can
 * still look up who holds it, as on SQLite. */
static gboolean
store_entry (SrvPg    *pg,
             MdnEntry *entry,
             gboolean  projected,
             GError  **error)
{
  g_autofree char *doc = entry_doc (entry);
  g_autofree char *moves = movements_json (entry);
  const char *receipt_no = projected ? mdn_body_string (entry->body, "receipt_no") : NULL;
  const char *sale_entry = mdn_body_string (entry->body, "sale_entry");
  g_autoptr(PGresult) res = NULL;

  if (!ensure_month (pg, entry->business_date, error))
    return FALSE;
  res = pq (pg, error,
            "WITH k AS (INSERT INTO entry_keys (branch, seq, id, business_date, kind, member_id, sale_entry, "
            "  receipt_no, hash, projected, applied) "
            "  VALUES ($1, $2, $3, $4::date, $5, $6, $7, $8, $9, $10, "
            "  CASE WHEN mdn_apply_hold () THEN nextval ('apply_order') END) "  /* 0012: held */
            "  ON CONFLICT DO NOTHING RETURNING id), "
            "e AS (INSERT INTO entries (business_date, id, branch, seq, kind, at, member_id, doc) "
            "  SELECT $4::date, $3, $1, $2, $5, $11, $6, $12 FROM k), "
            "mv AS (SELECT * FROM json_to_recordset ($13::json) "
            "  AS x (x integer, m text, a text, i text, l text, e text, d bigint) WHERE EXISTS (SELECT 1 FROM k)), "
            "ins AS (INSERT INTO movements (business_date, entry_id, idx, member_id, account, item, lot, "
            "  expires_on, delta) SELECT $4::date, $3, x, m, a, i, l, e, d FROM mv), "
            "acc AS (INSERT INTO accounts (member_id, account, item, balance) "
            "  SELECT m, a, CASE WHEN a = 'package' THEN i ELSE '' END, sum (d) FROM mv "
            "  WHERE $10 AND m IS NOT NULL AND a <> 'stock' GROUP BY 1, 2, 3 "
            "  ON CONFLICT (member_id, account, item) DO UPDATE SET balance = accounts.balance + excluded.balance) "
            "SELECT count(*) FROM k",
            "sisssssssbsss",
            entry->branch, entry->seq, entry->id, entry->business_date, entry->kind, entry->member_id,
            sale_entry, receipt_no, entry->hash, projected, entry->at, doc, moves);
  if (res == NULL)
    return FALSE;
  if (col_int (res, 0, 0) != 1)
    {
      g_set_error (error, SRV_ERROR, SRV_ERROR_DUPLICATE,
                   _("Entry %s#%" PRId64 " or its id %s is stored already"), entry->branch, entry->seq, entry->id);
      return FALSE;
    }
  return TRUE;
}

/* Entries stored as their canonical JSON (entry_doc), read back with the
 * one entry codec: @docs joined as a push body. */
gboolean
entries_from_docs (GPtrArray  *docs,
                   GPtrArray  *out,
                   GError    **error)
{
  g_autoptr(GString) text = g_string_new ("{\"entries\":[");
  gint index = -1;

  for (guint i = 0; i < docs->len; i++)
    {
      if (i)
        g_string_append_c (text, ',');
      g_string_append (text, g_ptr_array_index (docs, i));
    }
  g_string_append (text, "]}");
  if (!mdn_entry_codec_read_push (text->str, text->len, G_MAXUINT, out, &index, error))
    {
      g_prefix_error (error, _("An entry the server stored can't be read: "));
      if (error && *error)
        (*error)->domain = MDN_ERROR, (*error)->code = MDN_ERROR_CORRUPT;
      return FALSE;
    }
  return TRUE;
}

/* Applies the entries whose documents are column @column of @res, in row
 * order, to the scratch database @db. */
gboolean
apply_docs (PGresult *res,
            int       column,
            MdnDb    *db,
            GError  **error)
{
  g_autoptr(GPtrArray) docs = g_ptr_array_new ();
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_entry_free);

  if (PQntuples (res) == 0)
    return TRUE;
  for (int r = 0; r < PQntuples (res); r++)
    g_ptr_array_add (docs, (gpointer) col (res, r, column));
  if (!entries_from_docs (docs, entries, error))
    return FALSE;
  for (guint i = 0; i < entries->len; i++)
    if (!mdn_ledger_apply (db, g_ptr_array_index (entries, i), error))
      return FALSE;
  return TRUE;
}

MdnEntry *
entry_from_doc (const char *id,
                const char *doc,
                GError    **error)
{
  g_autoptr(GPtrArray) docs = g_ptr_array_new ();
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_entry_free);

  g_ptr_array_add (docs, (gpointer) doc);
  if (!entries_from_docs (docs, out, NULL) || out->len != 1)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_CORRUPT, _("Entry %s has a damaged body"), id);
      return NULL;
    }
  return g_ptr_array_steal_index (out, 0);
}

/* The scratch database: the branch schema in memory, where a member's
 * entries are re-projected with mdn_ledger_apply for the answers only
 * common/ computes (package lots, a sale's refunds, the card fold). Used
 * inside one of its transactions, always rolled back. */
MdnDb *
scratch_begin (SrvPg   *pg,
               GError **error)
{
  if (pg->scratch == NULL)
    {
      /* Only part of the ledger is ever in it: rows another member's or
         entry's apply would reference may be missing. */
      if ((pg->scratch = mdn_db_open (":memory:", "branch", error)) == NULL ||
          !mdn_db_exec_script (pg->scratch, "PRAGMA foreign_keys = OFF", error))
        {
          g_clear_pointer (&pg->scratch, mdn_db_close);
          return NULL;
        }
    }
  if (!mdn_db_begin (pg->scratch, TRUE, error))
    return NULL;
  return pg->scratch;
}

/* Applies in @db, in the order the server applied them, the projected
 * entries of @member_id (may be NULL) and of the sale @sale_id and its
 * returns (may be NULL). */
gboolean
project_into (SrvPg      *pg,
              MdnDb      *db,
              const char *member_id,
              const char *sale_id,
              GError    **error)
{
  g_autoptr(PGresult) res = pq (pg, error,
                                "SELECT k.id, e.doc FROM entry_keys k "
                                "JOIN entries e ON e.business_date = k.business_date AND e.id = k.id "
                                "WHERE k.projected AND (k.member_id = COALESCE ($1, (SELECT s.member_id FROM entry_keys s "
                                "  WHERE s.id = $2)) OR k.id = $2 OR k.sale_entry = $2) "
                                "ORDER BY k.applied", "ss", member_id, sale_id);

  return res != NULL && apply_docs (res, 1, db, error);
}

/* srv_members and srv_cards from the member's entries, after one of them
 * changed the card. */
static gboolean
refresh_member (SrvPg      *pg,
                const char *member_id,
                GError    **error)
{
  MdnDb *db = scratch_begin (pg, error);
  sqlite3_stmt *stmt;
  /* card_no, status, pin_hash, level, name, phone, issued_branch,
     expires_on, issued_at, birthday; birthday_lunar, sms_consent,
     sms_opt_out (what the SMS rules read, srv-store-pg-sms.c) */
  char *c[13] = { NULL };
  g_autoptr(GPtrArray) cards = g_ptr_array_new_with_free_func (g_free);
  gboolean ok = FALSE;

  if (db == NULL)
    return FALSE;
  if (!project_into (pg, db, member_id, NULL, error))
    goto out;
  stmt = mdn_db_query (db, error, "SELECT card_no, status, pin_hash, level, name, phone, issued_branch, expires_on, "
                       "issued_at, birthday, birthday_lunar, CASE WHEN sms_consent THEN 't' ELSE 'f' END, "
                       "CASE WHEN sms_opt_out THEN 't' ELSE 'f' END FROM members WHERE id = ?", "s", member_id);
  if (stmt == NULL)
    goto out;
  if (mdn_db_step (db, stmt, error) == SQLITE_ROW)
    for (int i = 0; i < 13; i++)
      c[i] = g_strdup (mdn_db_col_text (stmt, i));
  sqlite3_reset (stmt);
  stmt = mdn_db_query (db, error, "SELECT card_no FROM cards WHERE member_id = ?", "s", member_id);
  if (stmt == NULL)
    goto out;
  while (mdn_db_step (db, stmt, NULL) == SQLITE_ROW)
    g_ptr_array_add (cards, g_strdup (mdn_db_col_text (stmt, 0)));
  sqlite3_reset (stmt);
  ok = TRUE;

out:
  mdn_db_rollback (db);
  if (ok && c[0] != NULL)
    {
      ok = pq_exec (pg, error,
                    "INSERT INTO srv_members (id, card_no, status, pin_hash, level, name, phone, issued_branch, "
                    "  expires_on, issued_at, birthday) "
                    "VALUES ($1, $2, $3, $4, $5, COALESCE ($6, ''), COALESCE ($7, ''), COALESCE ($8, ''), $9, "
                    "  COALESCE ($10, ''), $11) "
                    "ON CONFLICT (id) DO UPDATE SET card_no = excluded.card_no, status = excluded.status, "
                    "pin_hash = excluded.pin_hash, level = excluded.level, name = excluded.name, "
                    "phone = excluded.phone, issued_branch = excluded.issued_branch, "
                    "expires_on = excluded.expires_on, issued_at = excluded.issued_at, birthday = excluded.birthday",
                    "sssssssssss", member_id, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9]) &&
           pq_exec (pg, error, "UPDATE srv_members SET birthday_lunar = $2, sms_consent = $3::boolean, "
                    "sms_opt_out = $4::boolean WHERE id = $1", "ssss", member_id, c[10], c[11], c[12]);
      for (guint i = 0; ok && i < cards->len; i++)
        ok = pq_exec (pg, error, "INSERT INTO srv_cards (card_no, member_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                      "ss", (const char *) g_ptr_array_index (cards, i), member_id);
    }
  for (int i = 0; i < 13; i++)
    g_free (c[i]);
  return ok;
}

/* What the SQLite server's timed_sessions refuses an applied timed entry
 * by (common/selling/mdn-timed.c's apply): a start or prepay on a table
 * with an open session, a move onto one, a stop of a session stopped
 * already. Each a statement that fails without aborting the transaction. */
static gboolean
apply_timed (SrvPg    *pg,
             MdnEntry *entry,
             GError  **error)
{
  const char *session = mdn_body_string (entry->body, "session_id");
  const char *resource = mdn_body_string (entry->body, "resource");
  gint64 n;

  if (g_str_equal (entry->kind, "timed.start") || g_str_equal (entry->kind, "timed.prepay"))
    {
      if (resource == NULL)
        return mdn_entry_malformed (entry, "resource", error);
      n = pq_changes (pg, error, "INSERT INTO srv_timed_sessions (id, branch, resource) VALUES ($1, $2, $3) "
                      "ON CONFLICT DO NOTHING", "sss", entry->id, entry->branch, resource);
      if (n == 0)
        g_set_error (error, MDN_ERROR, MDN_ERROR_RESOURCE_BUSY,
                     _("Entry %s starts session %s on table %s, which has a session open"), entry->id,
                     entry->id, resource);
      return n == 1;
    }
  if (g_str_equal (entry->kind, "timed.move"))
    {
      if (session == NULL || resource == NULL)
        return mdn_entry_malformed (entry, "session_id", error);
      n = pq_changes (pg, error, "UPDATE srv_timed_sessions s SET resource = $2 WHERE s.id = $1 AND NOT s.stopped "
                      "AND NOT EXISTS (SELECT 1 FROM srv_timed_sessions o WHERE o.branch = s.branch "
                      "AND o.resource = $2 AND NOT o.stopped AND o.id <> s.id)", "ss", session, resource);
      if (n < 0)
        return FALSE;
      if (n == 0)
        {
          g_autoptr(PGresult) res = pq (pg, error, "SELECT count(*) FROM srv_timed_sessions WHERE id = $1 "
                                        "AND NOT stopped", "s", session);

          if (res == NULL)
            return FALSE;
          if (col_int (res, 0, 0) == 0)
            return TRUE;
          g_set_error (error, MDN_ERROR, MDN_ERROR_RESOURCE_BUSY,
                       _("Entry %s moves session %s to table %s, which has a session open"), entry->id, session,
                       resource);
          return FALSE;
        }
      return TRUE;
    }
  if (g_str_equal (entry->kind, "timed.stop"))
    {
      if (session == NULL || resource == NULL)
        return mdn_entry_malformed (entry, "session_id", error);
      n = pq_changes (pg, error, "INSERT INTO srv_timed_sessions (id, branch, resource, stopped) "
                      "VALUES ($1, $2, $3, true) ON CONFLICT (id) DO UPDATE SET stopped = true "
                      "WHERE NOT srv_timed_sessions.stopped", "sss", session, entry->branch, resource);
      if (n == 0)
        g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_SESSION,
                     _("Entry %s stops session %s, which was stopped already"), entry->id, session);
      return n == 1;
    }
  return TRUE;
}

gboolean
srv_pg_entry_apply (SrvPg    *pg,
                    MdnEntry *entry,
                    GError  **error)
{
  g_autoptr(GPtrArray) members = members_of (entry);
  const MdnKindDef *kind = mdn_ledger_lookup_kind (entry->kind);

  g_return_val_if_fail (pg != NULL && pg->in_tx, FALSE);

  if (kind == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("Unknown entry kind “%s”"), entry->kind);
      return FALSE;
    }
  /* Held back to the push's next read or its commit, if it can be. */
  switch (srv_pg_push_defer_entry (pg, entry, TRUE, error))
    {
    case 1: return report_entry_applied (pg, entry, error) &&   /* held back too */
                   crm_entry_applied (pg, entry, error) &&
                   srv_pg_deposits_applied (pg, entry, TRUE, error);
    case -1: return FALSE;
    default: break;
    }
  for (guint i = 0; i < members->len; i++)
    if (!lock_member (pg, g_ptr_array_index (members, i), error))
      return FALSE;
  if (!store_entry (pg, entry, TRUE, error))
    return FALSE;
  /* The members report's receipt figures (srv-store-pg-report.c), the
     deposits report's balance after (srv-store-pg-deposits.c). */
  if (!report_entry_applied (pg, entry, error) || !srv_pg_deposits_applied (pg, entry, FALSE, error))
    return FALSE;
  /* The members' figures a campaign's filter reads (srv-store-pg-crm.c). */
  if (!crm_entry_applied (pg, entry, error))
    return FALSE;
  if (g_str_has_prefix (entry->kind, "timed.") && !apply_timed (pg, entry, error))
    return FALSE;
  /* A member kind with an apply of its own changes the card (issue,
     replace, lose, unlock, upgrade, extend, PIN): the member's entries are
     re-projected with that apply, which refreshes the columns decisions
     read (and refuses what it refuses). Deposits and withdrawals are
     movements only. */
  if (entry->member_id && kind->apply && g_str_has_prefix (entry->kind, "member."))
    return refresh_member (pg, entry->member_id, error);
  return TRUE;
}

gboolean
srv_pg_entry_keep (SrvPg    *pg,
                   MdnEntry *entry,
                   GError  **error)
{
  g_return_val_if_fail (pg != NULL && pg->in_tx, FALSE);

  switch (srv_pg_push_defer_entry (pg, entry, FALSE, error))
    {
    case 1: return TRUE;
    case -1: return FALSE;
    default: break;
    }
  return store_entry (pg, entry, FALSE, error);
}

/* The feed moved: the other processes hear it when this transaction
 * commits (NOTIFY), and not if it rolls back. */
gboolean
srv_pg_feed_append (SrvPg      *pg,
                    const char *entry_id,
                    GError    **error)
{
  return srv_pg_feed_append_to (pg, entry_id, NULL, error);
}

/* @to_branch: in that branch's feed only (an addressed entry); NULL:
 * every branch's. */
gboolean
srv_pg_feed_append_to (SrvPg      *pg,
                       const char *entry_id,
                       const char *to_branch,
                       GError    **error)
{
  int held = srv_pg_push_defer_feed (pg, entry_id, to_branch, error);

  if (held != 0)
    return held > 0;
  if (!pg->notified)
    {
      if (!pq_exec (pg, error, "SELECT pg_notify ('mendian_feed', '')", ""))
        return FALSE;
      pg->notified = TRUE;
    }
  return pq_exec (pg, error, "INSERT INTO srv_feed (pos, entry_id, to_branch) SELECT mdn_feed_take (1), $1, $2",
                  "ss", entry_id, to_branch);
}

static gboolean
listen_connect (SrvPg   *pg,
                GError **error)
{
  g_autoptr(PGresult) res = NULL;

  if (pg->listen)
    PQfinish (pg->listen);
  pg->listen = PQconnectdb (pg->uri);
  if (PQstatus (pg->listen) != CONNECTION_OK)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_DATABASE, _("Database error: %s"), PQerrorMessage (pg->listen));
      return FALSE;
    }
  res = PQexec (pg->listen, "LISTEN mendian_feed");
  if (PQresultStatus (res) != PGRES_COMMAND_OK)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_DATABASE, _("Database error: %s"), PQerrorMessage (pg->listen));
      return FALSE;
    }
  return TRUE;
}

static gboolean listen_ready (int fd, GIOCondition condition, gpointer data);

static gboolean
listen_watch (SrvPg   *pg,
              GError **error)
{
  if (!listen_connect (pg, error))
    return FALSE;
  pg->listen_id = g_unix_fd_add (PQsocket (pg->listen), G_IO_IN | G_IO_HUP | G_IO_ERR, listen_ready, pg);
  return TRUE;
}

/* Notifications from other processes' pushes (this process's own push
 * has told its WebSockets already). A lost connection is made again. */
static gboolean
listen_ready (int          fd,
              GIOCondition condition,
              gpointer     data)
{
  SrvPg *pg = data;
  gboolean moved = FALSE;
  int self = PQbackendPID (pg->conn);
  PGnotify *n;

  if (!PQconsumeInput (pg->listen))
    {
      g_autoptr(GError) error = NULL;

      g_warning ("the feed's LISTEN connection was lost (%s); connecting again", PQerrorMessage (pg->listen));
      pg->listen_id = 0;
      if (!listen_watch (pg, &error))
        g_warning ("no notifications from other server processes: %s", error->message);
      if (pg->moved)
        pg->moved (pg->moved_data);   /* what happened meanwhile */
      return G_SOURCE_REMOVE;
    }
  while ((n = PQnotifies (pg->listen)) != NULL)
    {
      moved |= n->be_pid != self;
      PQfreemem (n);
    }
  if (moved && pg->moved)
    pg->moved (pg->moved_data);
  return G_SOURCE_CONTINUE;
}

gboolean
srv_pg_watch_feed (SrvPg        *pg,
                   SrvFeedMoved  moved,
                   gpointer      user_data,
                   GError      **error)
{
  g_return_val_if_fail (pg != NULL && pg->listen == NULL, FALSE);

  pg->moved = moved;
  pg->moved_data = user_data;
  return listen_watch (pg, error);
}

MdnEntry *
srv_pg_entry_load (SrvPg      *pg,
                   const char *entry_id,
                   GError    **error)
{
  g_autoptr(PGresult) res = pq (pg, error,
                                "SELECT e.doc FROM entry_keys k "
                                "JOIN entries e ON e.business_date = k.business_date AND e.id = k.id "
                                "WHERE k.id = $1", "s", entry_id);

  if (res == NULL)
    return NULL;
  if (PQntuples (res) != 1)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_ENTRY, _("No entry %s in this branch's ledger"), entry_id);
      return NULL;
    }
  return entry_from_doc (entry_id, col (res, 0, 0), error);
}

gboolean
srv_pg_entry_ref (SrvPg       *pg,
                  const char  *entry_id,
                  SrvEntryRef *out,
                  GError     **error)
{
  g_autoptr(PGresult) res = pq (pg, error, "SELECT branch, seq, kind FROM entry_keys WHERE id = $1", "s", entry_id);

  memset (out, 0, sizeof *out);
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 1)
    {
      out->found = TRUE;
      out->branch = g_strdup (col (res, 0, 0));
      out->seq = col_int (res, 0, 1);
      out->kind = g_strdup (col (res, 0, 2));
    }
  return TRUE;
}

/* The first column of the row @sql finds for @key (*@found: whether one did). */
static gboolean
lookup_text (SrvPg      *pg,
             const char *sql,
             const char *key,
             gboolean   *found,
             char      **out,
             GError    **error)
{
  g_autoptr(PGresult) res = pq (pg, error, sql, "s", key);

  if (out)
    *out = NULL;
  if (res == NULL)
    return FALSE;
  *found = PQntuples (res) > 0;
  if (*found && out)
    *out = g_strdup (col (res, 0, 0));
  return TRUE;
}

gboolean
srv_pg_receipt_entry (SrvPg      *pg,
                      const char *receipt_no,
                      char      **out_entry_id,
                      GError    **error)
{
  gboolean found;

  return lookup_text (pg, "SELECT id FROM entry_keys WHERE receipt_no = $1 AND projected LIMIT 1", receipt_no,
                      &found, out_entry_id, error);
}

gboolean
srv_pg_member_exists (SrvPg      *pg,
                      const char *member_id,
                      gboolean   *out_found,
                      GError    **error)
{
  return lookup_text (pg, "SELECT id FROM srv_members WHERE id = $1", member_id, out_found, NULL, error);
}

gboolean
srv_pg_card_taken (SrvPg      *pg,
                   const char *card_no,
                   gboolean   *out_taken,
                   GError    **error)
{
  return lookup_text (pg, "SELECT member_id FROM srv_cards WHERE card_no = $1", card_no, out_taken, NULL, error);
}

gboolean
srv_pg_member_accounts (SrvPg       *pg,
                        const char  *member_id,
                        gboolean    *out_found,
                        SrvAccounts *out,
                        GError     **error)
{
  g_autoptr(PGresult) res = pq (pg, error,
                                "SELECT (SELECT balance FROM accounts WHERE member_id = m.id AND account = 'principal'), "
                                "(SELECT balance FROM accounts WHERE member_id = m.id AND account = 'bonus'), "
                                "(SELECT balance FROM accounts WHERE member_id = m.id AND account = 'points') "
                                "FROM srv_members m WHERE m.id = $1", "s", member_id);

  *out_found = FALSE;
  memset (out, 0, sizeof *out);
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 1)
    {
      *out_found = TRUE;
      out->principal = col_int (res, 0, 0);
      out->bonus = col_int (res, 0, 1);
      out->points = col_int (res, 0, 2);
    }
  return TRUE;
}

JsonArray *
srv_pg_package_overdrawn (SrvPg      *pg,
                          const char *member_id,
                          GError    **error)
{
  g_autoptr(PGresult) res = pq (pg, error, "SELECT 1 FROM accounts WHERE member_id = $1 AND account = 'package' "
                                "LIMIT 1", "s", member_id);
  MdnDb *db;
  JsonArray *owed = NULL;

  if (res == NULL)
    return NULL;
  /* No package account: nothing can be overdrawn, no history to read. */
  if (PQntuples (res) == 0)
    return json_array_new ();
  if ((db = scratch_begin (pg, error)) == NULL)
    return NULL;
  if (project_into (pg, db, member_id, NULL, error))
    owed = mdn_package_overdrawn (db, member_id, error);
  mdn_db_rollback (db);
  return owed;
}

gboolean
srv_pg_accounts_bounded (SrvPg      *pg,
                         const char *member_id,
                         gint64      bound,
                         gboolean   *out_ok,
                         GError    **error)
{
  g_autoptr(PGresult) res = pq (pg, error,
                                "SELECT 1 FROM accounts WHERE member_id = $1 AND balance NOT BETWEEN -$2::bigint AND $2 "
                                "LIMIT 1", "si", member_id, bound);

  if (res == NULL)
    return FALSE;
  *out_ok = PQntuples (res) == 0;
  return TRUE;
}

gboolean
srv_pg_sale_refunded (SrvPg      *pg,
                      const char *sale_id,
                      gint64     *out_total,
                      gint64     *out_refunded,
                      GError    **error)
{
  MdnDb *db = scratch_begin (pg, error);
  gboolean ok;

  if (db == NULL)
    return FALSE;
  ok = project_into (pg, db, NULL, sale_id, error) &&
       mdn_sale_refunded (db, sale_id, out_total, out_refunded, error);
  mdn_db_rollback (db);
  return ok;
}

GPtrArray *
srv_pg_card_conflicts (SrvPg      *pg,
                       const char *member_id,
                       GError    **error)
{
  MdnDb *db = scratch_begin (pg, error);
  GPtrArray *conflicts = NULL;

  if (db == NULL)
    return NULL;
  if (project_into (pg, db, member_id, NULL, error))
    conflicts = mdn_member_card_conflicts (db, member_id, error);
  mdn_db_rollback (db);
  return conflicts;
}

/* Exceptions ------------------------------------------------------------------ */

static GStrv
strv_of (PGresult *res)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();

  for (int r = 0; r < PQntuples (res); r++)
    g_strv_builder_add (b, col (res, r, 0));
  return g_strv_builder_end (b);
}

static GStrv
load_holds (SrvPg   *pg,
            GError **error)
{
  g_autoptr(PGresult) res = pq (pg, error,
                                "SELECT DISTINCT member_id COLLATE \"C\" FROM srv_exceptions "
                                "WHERE status = 'open' AND kind = 'overdraft' ORDER BY 1", "");

  return res ? strv_of (res) : NULL;
}

GStrv
srv_pg_holds (SrvPg   *pg,
              GError **error)
{
  /* read with the push's prefetch (srv-store-pg-push.c) */
  g_autoptr(PGresult) res = srv_pg_push_take_early (pg, SRV_PG_PUSH_HOLDS);

  if (res)
    return strv_of (res);
  return load_holds (pg, error);
}

GPtrArray *
srv_pg_open_overdrafts (SrvPg      *pg,
                        const char *member_id,
                        GError    **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) srv_exception_free);
  g_autoptr(PGresult) res = pq (pg, error,
                                "SELECT id, account, item FROM srv_exceptions WHERE member_id = $1 "
                                "AND kind = 'overdraft' AND status = 'open' ORDER BY id", "s", member_id);

  if (res == NULL)
    return NULL;
  for (int r = 0; r < PQntuples (res); r++)
    {
      SrvException *x = g_new0 (SrvException, 1);

      x->id = col_int (res, r, 0);
      x->kind = g_strdup ("overdraft");
      x->member_id = g_strdup (member_id);
      x->account = g_strdup (col (res, r, 1));
      x->item = g_strdup (col (res, r, 2));
      x->status = g_strdup ("open");
      g_ptr_array_add (list, x);
    }
  return g_steal_pointer (&list);
}

gboolean
srv_pg_exception_add (SrvPg              *pg,
                      const SrvException *x,
                      GError            **error)
{
  return pq_exec (pg, error,
                  "INSERT INTO srv_exceptions (kind, member_id, entry_id, branch, account, item, amount, "
                  "status, found_at, sale_entry, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                  "ssssssissss", x->kind, x->member_id, x->entry_id, x->branch, x->account,
                  x->item ? x->item : "", x->amount, x->status, x->found_at, x->sale_entry, x->detail);
}

gboolean
srv_pg_exception_set_amount (SrvPg   *pg,
                             gint64   id,
                             gint64   amount,
                             GError **error)
{
  return pq_exec (pg, error, "UPDATE srv_exceptions SET amount = $1 WHERE id = $2", "ii", amount, id);
}

gboolean
srv_pg_exception_settle (SrvPg      *pg,
                         gint64      id,
                         const char *at,
                         const char *settled_by,
                         GError    **error)
{
  return pq_exec (pg, error,
                  "UPDATE srv_exceptions SET status = 'settled', settled_at = $1, settled_by = $2 WHERE id = $3",
                  "ssi", at, settled_by, id);
}

gboolean
srv_pg_exceptions_settle_sale (SrvPg      *pg,
                               const char *kind,
                               const char *sale_entry,
                               const char *at,
                               const char *settled_by,
                               GError    **error)
{
  return pq_exec (pg, error,
                  "UPDATE srv_exceptions SET status = 'settled', settled_at = $1, settled_by = $2 "
                  "WHERE kind = $3 AND sale_entry = $4 AND status = 'open'", "ssss", at, settled_by, kind, sale_entry);
}

GStrv
srv_pg_exception_entries (SrvPg      *pg,
                          const char *member_id,
                          const char *kind,
                          GError    **error)
{
  g_autoptr(PGresult) res = pq (pg, error, "SELECT entry_id FROM srv_exceptions WHERE member_id = $1 AND kind = $2 "
                                "ORDER BY id", "ss", member_id, kind);

  return res ? strv_of (res) : NULL;
}

gboolean
srv_pg_exception_remove (SrvPg      *pg,
                         const char *member_id,
                         const char *kind,
                         const char *entry_id,
                         GError    **error)
{
  return pq_exec (pg, error, "DELETE FROM srv_exceptions WHERE member_id = $1 AND kind = $2 AND entry_id = $3",
                  "sss", member_id, kind, entry_id);
}

GPtrArray *
srv_pg_exceptions (SrvPg      *pg,
                   const char *status,
                   GError    **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) srv_exception_free);
  g_autoptr(PGresult) res = pq (pg, error,
                                "SELECT x.id, x.member_id, m.card_no, x.entry_id, x.branch, x.account, x.amount, "
                                "x.status, x.found_at, x.settled_at, x.settled_by, s.kind, x.kind, x.item, "
                                "x.sale_entry, x.detail, r.receipt_no FROM srv_exceptions x "
                                "LEFT JOIN entry_keys r ON r.id = x.sale_entry "
                                "LEFT JOIN srv_members m ON m.id = x.member_id "
                                "LEFT JOIN entry_keys s ON s.id = x.settled_by "
                                "WHERE $1::text IS NULL OR x.status = $1 ORDER BY x.id", "s", status);

  if (res == NULL)
    return NULL;
  for (int r = 0; r < PQntuples (res); r++)
    {
      SrvException *x = g_new0 (SrvException, 1);
      const char *item = col (res, r, 13);

      x->id = col_int (res, r, 0);
      x->member_id = g_strdup (col (res, r, 1));
      x->card_no = g_strdup (col (res, r, 2));
      x->entry_id = g_strdup (col (res, r, 3));
      x->branch = g_strdup (col (res, r, 4));
      x->account = g_strdup (col (res, r, 5));
      x->amount = col_int (res, r, 6);
      x->status = g_strdup (col (res, r, 7));
      x->found_at = g_strdup (col (res, r, 8));
      x->settled_at = g_strdup (col (res, r, 9));
      x->settled_by = g_strdup (col (res, r, 10));
      x->settled_by_kind = g_strdup (col (res, r, 11));
      x->kind = g_strdup (col (res, r, 12));
      x->item = item && *item ? g_strdup (item) : NULL;
      x->sale_entry = g_strdup (col (res, r, 14));
      x->detail = g_strdup (col (res, r, 15));
      x->sale_receipt_no = g_strdup (col (res, r, 16));
      g_ptr_array_add (list, x);
    }
  return g_steal_pointer (&list);
}

/* Rollups ------------------------------------------------------------------------ */

/* The statements over every figure of mdn_figures_fields, made once: the
 * column names are the figures'. */
static const char *rollup_select_sql, *rollup_upsert_sql, *summary_sql;

static void
rollup_sql_init (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      guint n;
      const MdnFigureField *fields = mdn_figures_fields (&n);
      GString *select = g_string_new ("SELECT ");
      GString *insert = g_string_new ("INSERT INTO srv_rollup_day (branch, business_date");
      GString *values = g_string_new (") VALUES ($1, $2::date");
      GString *update = g_string_new (" ON CONFLICT (business_date, branch) DO UPDATE SET ");
      GString *sum = g_string_new ("SELECT branch");

      for (guint i = 0; i < n; i++)
        {
          g_string_append_printf (select, "%s%s", i ? ", " : "", fields[i].name);
          g_string_append_printf (insert, ", %s", fields[i].name);
          g_string_append_printf (values, ", $%u", i + 3);
          g_string_append_printf (update, "%s%s = excluded.%s", i ? ", " : "", fields[i].name, fields[i].name);
          g_string_append_printf (sum, ", SUM (%s)", fields[i].name);
        }
      g_string_append (select, " FROM srv_rollup_day WHERE business_date = $1::date AND branch = $2");
      g_string_append (values, ")");
      g_string_append (insert, values->str);
      g_string_append (insert, update->str);
      g_string_append (sum, " FROM srv_rollup_day WHERE business_date BETWEEN $1::date AND $2::date "
                       "AND ($3::text IS NULL OR branch = $3) GROUP BY branch");
      g_string_free (values, TRUE);
      g_string_free (update, TRUE);
      rollup_select_sql = g_string_free (select, FALSE);
      rollup_upsert_sql = g_string_free (insert, FALSE);
      summary_sql = g_string_free (sum, FALSE);
      g_once_init_leave (&done, 1);
    }
}

gboolean
srv_pg_rollup_get (SrvPg      *pg,
                   const char *branch,
                   const char *business_date,
                   MdnFigures *out,
                   GError    **error)
{
  guint n;
  const MdnFigureField *fields = mdn_figures_fields (&n);
  g_autoptr(PGresult) res = NULL;

  memset (out, 0, sizeof *out);
  rollup_sql_init ();
  /* read with the push's prefetch (srv-store-pg-push.c) */
  {
    PGresult *held;
    int row;

    if (srv_pg_push_rollup (pg, branch, business_date, &held, &row))
      {
        if (row >= 0)
          for (guint i = 0; i < n; i++)
            mdn_figures_set (out, &fields[i], col_int (held, row, (int) i + 1));
        return TRUE;
      }
  }
  res = pq (pg, error, rollup_select_sql, "ss", business_date, branch);
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 1)
    for (guint i = 0; i < n; i++)
      mdn_figures_set (out, &fields[i], col_int (res, 0, (int) i));
  return TRUE;
}

gboolean
srv_pg_rollup_put (SrvPg            *pg,
                   const char       *branch,
                   const char       *business_date,
                   const MdnFigures *day,
                   GError          **error)
{
  guint n;
  const MdnFigureField *fields = mdn_figures_fields (&n);
  g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func (g_free);
  const char **values = g_newa (const char *, n + 2);
  const char *name;
  g_autoptr(PGresult) res = NULL;

  rollup_sql_init ();
  values[0] = branch;
  values[1] = business_date;
  for (guint i = 0; i < n; i++)
    {
      char *v = g_strdup_printf ("%" G_GINT64_FORMAT, mdn_figures_get (day, &fields[i]));

      g_ptr_array_add (owned, v);
      values[i + 2] = v;
    }
  switch (srv_pg_push_defer (pg, rollup_upsert_sql, (int) n + 2, values, error))
    {
    case 1: return TRUE;
    case -1: return FALSE;
    default: break;
    }
  /* More parameters than pq takes: prepared here. */
  name = g_hash_table_lookup (pg->prepared, rollup_upsert_sql);
  if (name == NULL)
    {
      g_autoptr(PGresult) prep = PQprepare (pg->conn, "rollup_put", rollup_upsert_sql, (int) n + 2, NULL);

      if (PQresultStatus (prep) != PGRES_COMMAND_OK)
        {
          set_pg_error (pg, prep, error);
          return FALSE;
        }
      g_hash_table_insert (pg->prepared, (gpointer) rollup_upsert_sql, g_strdup ("rollup_put"));
      name = "rollup_put";
    }
  res = PQexecPrepared (pg->conn, name, (int) n + 2, values, NULL, NULL, 0);
  if (PQresultStatus (res) != PGRES_COMMAND_OK)
    {
      set_pg_error (pg, res, error);
      return FALSE;
    }
  return TRUE;
}

/* Authorizations (the rows) ---------------------------------------------------------- */

#define AUTH_COLUMNS "auth_id, member_id, branch, kind, item, amount, status, expires_at, detail"

static SrvAuthorization *
auth_from (PGresult *res,
           int       r)
{
  SrvAuthorization *auth = g_new0 (SrvAuthorization, 1);

  auth->auth_id = g_strdup (col (res, r, 0));
  auth->member_id = g_strdup (col (res, r, 1));
  auth->branch = g_strdup (col (res, r, 2));
  auth->kind = g_strdup (col (res, r, 3));
  auth->item = g_strdup (col (res, r, 4));
  auth->amount = col_int (res, r, 5);
  auth->status = g_strdup (col (res, r, 6));
  auth->expires_at = col_int (res, r, 7);
  auth->detail = g_strdup (col (res, r, 8));
  return auth;
}

SrvAuthorization *
srv_pg_authorization_get (SrvPg      *pg,
                          const char *auth_id,
                          GError    **error)
{
  g_autoptr(PGresult) res = pq (pg, error, "SELECT " AUTH_COLUMNS " FROM srv_authorizations WHERE auth_id = $1",
                                "s", auth_id);

  if (res == NULL || PQntuples (res) != 1)
    return NULL;
  return auth_from (res, 0);
}

gboolean
srv_pg_authorization_use (SrvPg      *pg,
                          const char *auth_id,
                          const char *entry_id,
                          GError    **error)
{
  return pq_exec (pg, error, "UPDATE srv_authorizations SET status = 'used', entry_id = $1 "
                  "WHERE auth_id = $2 AND status <> 'used'", "ss", entry_id, auth_id);
}

/* The feed ------------------------------------------------------------------------ */

/* The highest position a reader may page to: below it every position taken
 * belongs to a transaction that has ended (mdn_feed_stable_head). */
gint64
srv_pg_feed_head (SrvPg *pg)
{
  g_autoptr(PGresult) res = NULL;
  gint64 head;

  /* read with the push's commit (srv-store-pg-push.c) */
  if (srv_pg_push_head (pg, &head))
    return head;
  res = pq (pg, NULL, "SELECT mdn_feed_stable_head ()", "");

  return res ? col_int (res, 0, 0) : 0;
}

static void
feed_row_free (SrvFeedRow *row)
{
  mdn_entry_free (row->entry);
  g_free (row);
}

/* Not in a transaction: the stable head is read first, then the rows in a
 * later snapshot (READ COMMITTED), so every position up to it that
 * committed is seen. */
SrvFeedPage *
srv_pg_feed (SrvPg      *pg,
             const char *branch,
             gint64      after,
             gint64      limit,
             GError    **error)
{
  g_autoptr(SrvFeedPage) out = g_new0 (SrvFeedPage, 1);
  g_autoptr(PGresult) res = NULL;
  gint64 head, last = after;

  g_return_val_if_fail (pg != NULL && !pg->in_tx, NULL);

  limit = CLAMP (limit, 1, 1000);
  head = srv_pg_feed_head (pg);
  res = pq (pg, error,
            "SELECT f.pos, f.entry_id, e.doc FROM srv_feed f JOIN entry_keys k ON k.id = f.entry_id "
            "JOIN entries e ON e.business_date = k.business_date AND e.id = k.id "
            "WHERE f.pos > $1 AND f.pos <= $2 AND (f.to_branch IS NULL OR f.to_branch = $4) "
            "ORDER BY f.pos LIMIT $3", "iiis", after, head, limit, branch);
  if (res == NULL)
    return NULL;
  out->rows = g_ptr_array_new_with_free_func ((GDestroyNotify) feed_row_free);
  for (int r = 0; r < PQntuples (res); r++)
    {
      g_autoptr(GError) load_error = NULL;
      MdnEntry *entry = entry_from_doc (col (res, r, 1), col (res, r, 2), &load_error);
      SrvFeedRow *row;

      last = col_int (res, r, 0);
      if (entry == NULL)
        {
          g_warning ("ALARM: feed position %" G_GINT64_FORMAT " (entry %s) can't be read and is skipped: %s",
                     last, col (res, r, 1), load_error->message);
          continue;
        }
      row = g_new0 (SrvFeedRow, 1);
      row->position = last;
      row->entry = entry;
      g_ptr_array_add (out->rows, row);
    }
  /* A page shorter than the limit read everything up to the stable head:
     the holes below it are holes for good, and what lies between is
     addressed to other branches. */
  if (PQntuples (res) < limit)
    last = MAX (last, head);
  if ((out->holds = load_holds (pg, error)) == NULL)
    return NULL;
  out->after = after;
  out->feed_position = last;
  out->head = head;
  out->more = last < head;
  return g_steal_pointer (&out);
}

/* PIN locks and state ----------------------------------------------------------------- */

static GPtrArray *
load_pin_locks (SrvPg   *pg,
                gint64   now,
                GError **error)
{
  g_autoptr(GPtrArray) locks = g_ptr_array_new_with_free_func ((GDestroyNotify) srv_pin_lock_free);
  g_autoptr(PGresult) res = pq (pg, error,
                                "SELECT key, locked_until FROM lockouts WHERE what = 'pin' AND locked_until > $1 "
                                "ORDER BY key COLLATE \"C\"", "i", now);

  if (res == NULL)
    return NULL;
  for (int r = 0; r < PQntuples (res); r++)
    {
      SrvPinLock *lock = g_new0 (SrvPinLock, 1);

      lock->member_id = g_strdup (col (res, r, 0));
      lock->locked_until = col_int (res, r, 1);
      g_ptr_array_add (locks, lock);
    }
  return g_steal_pointer (&locks);
}

SrvState *
srv_pg_state (SrvPg      *pg,
              const char *branch_code,
              const char *key_id,
              GError    **error)
{
  g_autoptr(SrvState) out = NULL;
  g_autoptr(SrvBranch) branch = NULL;
  g_autofree char *key = srv_pg_chain_key_dup (pg);
  g_autofree char *our_id = mdn_chain_key_id_from_hex (key);
  g_autofree char *at = now_iso ();
  g_autoptr(PGresult) res = NULL;
  gboolean holds_key = key_id != NULL && our_id != NULL && g_str_equal (key_id, our_id);

  g_return_val_if_fail (pg != NULL && branch_code != NULL, NULL);

  if (our_id == NULL)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_CORRUPT, _("The server database has no valid chain key"));
      return NULL;
    }
  branch = srv_pg_branch_get (pg, branch_code);
  if (branch == NULL)
    {
      g_set_error (error, SRV_ERROR, SRV_ERROR_NOT_FOUND, _("There is no branch %s"), branch_code);
      return NULL;
    }
  out = g_new0 (SrvState, 1);
  out->branch = g_strdup (branch->code);
  out->hq = branch->hq;
  out->acked_seq = branch->acked_seq;
  out->last_hash = g_strdup (branch->last_hash);
  out->feed_position = srv_pg_feed_head (pg);
  if ((out->holds = load_holds (pg, error)) == NULL ||
      (out->pin_locks = load_pin_locks (pg, now_unix (), error)) == NULL)
    return NULL;
  /* The key goes to the token until a holder of it proves it holds the
     key (chain_key_at set): a lost answer that carried it must never
     leave a branch unable to sync (as srv-store-sqlite.c). */
  if (holds_key)
    {
      gint64 proven = pq_changes (pg, error,
                                  "UPDATE srv_branches SET chain_key_at = $1 WHERE code = $2 AND chain_key_at IS NULL",
                                  "ss", at, branch_code);

      if (proven < 0)
        return NULL;
      if (proven == 1)
        g_message ("branch %s proved it holds the chain key", branch_code);
    }
  else
    {
      g_autoptr(PGresult) proof = pq (pg, error, "SELECT chain_key_at IS NOT NULL FROM srv_branches WHERE code = $1",
                                      "s", branch_code);

      if (proof == NULL)
        return NULL;
      if (PQntuples (proof) == 1 && !col_bool (proof, 0, 0))
        {
          g_message ("branch %s was handed the chain key", branch_code);
          out->chain_key = g_steal_pointer (&key);
        }
    }
  out->chain_key_ok = holds_key;
  return g_steal_pointer (&out);
}

/* Reports ------------------------------------------------------------------------ */

static void
summary_row_free (gpointer data)
{
  SrvSummaryRow *row = data;

  g_free (row->branch);
  g_free (row);
}

/* As the SQLite store: flows over [from, to] and the liability at the end
 * of @to, from rollup rows only. */
SrvSummary *
srv_pg_summary (SrvPg      *pg,
                const char *from,
                const char *to,
                const char *branch_code,
                GError    **error)
{
  g_autoptr(SrvSummary) out = NULL;
  g_autoptr(GHashTable) by_branch = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) order = g_ptr_array_new_with_free_func (summary_row_free);
  g_autoptr(PGresult) branches = NULL, flows = NULL, liability = NULL;
  MdnFigures chain = { 0 };
  gint64 chain_principal = 0, chain_bonus = 0, chain_total = 0;
  gboolean too_large = FALSE;
  guint n;
  const MdnFigureField *fields = mdn_figures_fields (&n);

  g_return_val_if_fail (pg != NULL && from != NULL && to != NULL, NULL);

  if (!mdn_date_valid (from) || !mdn_date_valid (to) || strcmp (from, to) > 0)
    {
      g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID,
                           _("from and to must be dates YYYY-MM-DD with from not after to"));
      return NULL;
    }
  rollup_sql_init ();
  /* One snapshot for the three reads. */
  if (!pq_simple (pg, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", error))
    return NULL;
  branches = pq (pg, error, "SELECT code FROM srv_branches WHERE $1::text IS NULL OR code = $1 "
                 "ORDER BY code COLLATE \"C\"", "s", branch_code);
  if (branches)
    flows = pq (pg, error, summary_sql, "sss", from, to, branch_code);
  if (flows)
    liability = pq (pg, error,
                    /* The liability now less the days after the period
                       (srv_branch_balance, postgres/0009): flat as history
                       grows. The days after it are read once, a range of
                       the rollups' key, not twice per branch; its upper
                       bound (no day is later) makes it a range the planner
                       reads by the key even before the table's first
                       ANALYZE (a lone "> $1" is a third of the table then). */
                    "SELECT b.branch, b.principal_fen - COALESCE (a.principal, 0), "
                    "b.bonus_fen - COALESCE (a.bonus, 0) FROM srv_branch_balance b "
                    "LEFT JOIN (SELECT branch, SUM (principal_delta_fen) AS principal, "
                    "  SUM (bonus_delta_fen) AS bonus FROM srv_rollup_day WHERE business_date > $1::date "
                    "  AND business_date <= 'infinity' AND ($2::text IS NULL OR branch = $2) "
                    "  GROUP BY branch) a ON a.branch = b.branch "
                    "WHERE $2::text IS NULL OR b.branch = $2",
                    "ss", to, branch_code);
  pq_simple (pg, "ROLLBACK", NULL);
  if (liability == NULL)
    return NULL;

  for (int r = 0; r < PQntuples (branches); r++)
    {
      SrvSummaryRow *row = g_new0 (SrvSummaryRow, 1);

      row->branch = g_strdup (col (branches, r, 0));
      g_hash_table_insert (by_branch, row->branch, row);
      g_ptr_array_add (order, row);
    }
  if (branch_code && order->len == 0)
    {
      g_set_error (error, SRV_ERROR, SRV_ERROR_NOT_FOUND, _("There is no branch %s"), branch_code);
      return NULL;
    }
  for (int r = 0; r < PQntuples (flows); r++)
    {
      SrvSummaryRow *row = g_hash_table_lookup (by_branch, col (flows, r, 0));
      MdnFigures f = { 0 };

      for (guint i = 0; i < n; i++)
        {
          const char *v = col (flows, r, (int) i + 1);
          char *end = NULL;
          gint64 x = v ? g_ascii_strtoll (v, &end, 10) : 0;

          /* A numeric SUM beyond gint64 (the SQLite store's SUM fails instead). */
          if (v && (*end != '\0' || x == G_MAXINT64 || x == G_MININT64))
            too_large = TRUE;
          mdn_figures_set (&f, &fields[i], x);
        }
      if (row)
        row->flows = f;
      mdn_figures_add (&chain, &f);
    }
  for (int r = 0; r < PQntuples (liability); r++)
    {
      SrvSummaryRow *row = g_hash_table_lookup (by_branch, col (liability, r, 0));
      gint64 p = col_int (liability, r, 1), q = col_int (liability, r, 2), t;

      if (!mdn_money_add (p, q, &t, NULL) ||
          !mdn_money_add (chain_principal, p, &chain_principal, NULL) ||
          !mdn_money_add (chain_bonus, q, &chain_bonus, NULL))
        too_large = TRUE;
      if (row)
        {
          row->principal = p;
          row->bonus = q;
        }
    }
  if (chain.overflow || too_large || !mdn_money_add (chain_principal, chain_bonus, &chain_total, NULL))
    {
      g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INTERNAL, _("The summary's figures are too large to add up"));
      return NULL;
    }
  out = g_new0 (SrvSummary, 1);
  out->branches = g_steal_pointer (&order);
  out->chain.flows = chain;
  out->chain.principal = chain_principal;
  out->chain.bonus = chain_bonus;
  return g_steal_pointer (&out);
}

gboolean
srv_pg_metrics (SrvPg   *pg,
                GString *out,
                GError **error)
{
  g_autoptr(GDateTime) now = mdn_clock_now ();
  g_autoptr(PGresult) res = NULL, counts = NULL;

  g_string_append (out,
                   "# HELP mendian_feed_position Head of the chain-wide feed.\n"
                   "# TYPE mendian_feed_position gauge\n");
  g_string_append_printf (out, "mendian_feed_position %" G_GINT64_FORMAT "\n", srv_pg_feed_head (pg));
  g_string_append (out,
                   "# HELP mendian_branch_acked_seq Highest contiguous seq the server holds per branch.\n"
                   "# TYPE mendian_branch_acked_seq gauge\n"
                   "# HELP mendian_branch_lag_seconds Seconds since the branch last pushed an entry (-1: never).\n"
                   "# TYPE mendian_branch_lag_seconds gauge\n");
  res = pq (pg, error, "SELECT code, acked_seq, last_push_at FROM srv_branches ORDER BY code COLLATE \"C\"", "");
  if (res == NULL)
    return FALSE;
  for (int r = 0; r < PQntuples (res); r++)
    {
      const char *code = col (res, r, 0);
      const char *last = col (res, r, 2);
      g_autoptr(GDateTime) last_dt = last ? mdn_clock_parse (last) : NULL;
      gint64 lag = last_dt ? g_date_time_difference (now, last_dt) / G_TIME_SPAN_SECOND : -1;

      /* Branch codes are [A-Za-z0-9_-]: safe inside a label value. */
      g_string_append_printf (out, "mendian_branch_acked_seq{branch=\"%s\"} %" G_GINT64_FORMAT "\n",
                              code, col_int (res, r, 1));
      g_string_append_printf (out, "mendian_branch_lag_seconds{branch=\"%s\"} %" G_GINT64_FORMAT "\n", code, lag);
    }
  counts = pq (pg, error, "SELECT (SELECT count(*) FROM entry_keys), "
               "(SELECT count(*) FROM srv_exceptions WHERE status = 'open')", "");
  if (counts == NULL)
    return FALSE;
  g_string_append_printf (out,
                          "# HELP mendian_entries_stored Entries the server holds, all branches.\n"
                          "# TYPE mendian_entries_stored gauge\n"
                          "mendian_entries_stored %" G_GINT64_FORMAT "\n"
                          "# HELP mendian_exceptions_open Member exceptions not yet settled.\n"
                          "# TYPE mendian_exceptions_open gauge\n"
                          "mendian_exceptions_open %" G_GINT64_FORMAT "\n",
                          col_int (counts, 0, 0), col_int (counts, 0, 1));
  return TRUE;
}

/* Authorizations and PINs: the rows srv-authorize.c decides on ------------------------- */

/* The first member-scoped write of every authorization (spend, card,
 * return): it locks the member's row, so two authorizations of one member
 * through two server processes decide one after the other, each seeing
 * the other's hold. */
gboolean
srv_pg_authorizations_release_expired (SrvPg      *pg,
                                       const char *member_id,
                                       gint64      now,
                                       GError    **error)
{
  return lock_member (pg, member_id, error) &&
         pq_exec (pg, error, "UPDATE srv_authorizations SET status = 'released' "
                  "WHERE member_id = $1 AND status = 'held' AND expires_at <= $2", "si", member_id, now);
}

GPtrArray *
srv_pg_authorizations_held (SrvPg      *pg,
                            const char *member_id,
                            const char *kind,
                            const char *item,
                            GError    **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) srv_authorization_free);
  g_autoptr(PGresult) res = pq (pg, error,
                                "SELECT " AUTH_COLUMNS " FROM srv_authorizations WHERE status = 'held' AND kind = $2 "
                                "AND ($1::text IS NULL OR member_id = $1) AND ($3::text IS NULL OR item = $3) "
                                "ORDER BY amount, created_at, auth_id COLLATE \"C\"", "sss", member_id, kind, item);

  if (res == NULL)
    return NULL;
  for (int r = 0; r < PQntuples (res); r++)
    g_ptr_array_add (list, auth_from (res, r));
  return g_steal_pointer (&list);
}

gboolean
srv_pg_authorization_hold (SrvPg                  *pg,
                           const SrvAuthorization *auth,
                           const char             *created_at,
                           GError                **error)
{
  return pq_exec (pg, error,
                  "INSERT INTO srv_authorizations (auth_id, member_id, branch, kind, item, amount, status, "
                  "created_at, expires_at, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                  "sssssissis",
                  auth->auth_id, auth->member_id, auth->branch, auth->kind, auth->item ? auth->item : "",
                  auth->amount, auth->status, created_at, auth->expires_at, auth->detail);
}

const char *
srv_pg_timezone (SrvPg *pg)
{
  return pg->timezone;
}

gboolean
srv_pg_package_available (SrvPg      *pg,
                          const char *member_id,
                          const char *item,
                          const char *date,
                          gint64     *out,
                          GError    **error)
{
  MdnDb *db = scratch_begin (pg, error);
  gboolean ok;

  *out = 0;
  if (db == NULL)
    return FALSE;
  ok = project_into (pg, db, member_id, NULL, error) && mdn_package_available (db, member_id, item, date, out, error);
  mdn_db_rollback (db);
  return ok;
}

gboolean
srv_pg_member_pin_hash (SrvPg      *pg,
                        const char *member_id,
                        char      **out_hash,
                        GError    **error)
{
  g_autoptr(PGresult) res = pq (pg, error, "SELECT pin_hash FROM srv_members WHERE id = $1", "s", member_id);

  *out_hash = NULL;
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) != 1)
    {
      g_set_error (error, SRV_ERROR, SRV_ERROR_NOT_FOUND, _("No member %s in the chain"), member_id);
      return FALSE;
    }
  *out_hash = g_strdup (col (res, 0, 0));
  return TRUE;
}

/* The chain-wide lockout row of @key copied into the scratch database, so
 * that common/'s lockout and PIN rules (mdn-lockout.c, mdn_pin_verify) run
 * on it unchanged; lockout_push writes back what they left. */
/* The chain's settings (setting.chain entries, in the order the server
 * applied them) into the scratch database: the PIN rules read
 * member.pin_lockout_attempts from there. */
gboolean
project_settings (SrvPg   *pg,
                  MdnDb   *db,
                  GError **error)
{
  g_autoptr(PGresult) res = pq (pg, error,
                                "SELECT k.id, e.doc FROM entry_keys k "
                                "JOIN entries e ON e.business_date = k.business_date AND e.id = k.id "
                                "WHERE k.projected AND k.kind = 'setting.chain' ORDER BY k.applied", "");
  return res != NULL && apply_docs (res, 1, db, error);
}

static gboolean
lockout_pull_what (SrvPg      *pg,
                   MdnDb      *db,
                   const char *what,
                   const char *key,
                   GError    **error)
{
  g_autoptr(PGresult) res = pq (pg, error, "SELECT failures, locked_until, unreported FROM lockouts "
                                "WHERE what = $2 AND key = $1", "ss", key, what);

  if (res == NULL || !project_settings (pg, db, error))
    return FALSE;
  if (PQntuples (res) == 0)
    return TRUE;
  return mdn_db_exec (db, error, "INSERT INTO lockouts (what, key, failures, locked_until, unreported) "
                      "VALUES (?, ?, ?, ?, ?)", "ssiii", what, key, col_int (res, 0, 0), col_int (res, 0, 1),
                      col_int (res, 0, 2));
}

static gboolean
lockout_pull (SrvPg      *pg,
              MdnDb      *db,
              const char *key,
              GError    **error)
{
  return lockout_pull_what (pg, db, "pin", key, error);
}

static gboolean
lockout_push_what (SrvPg      *pg,
                   MdnDb      *db,
                   const char *what,
                   const char *key,
                   GError    **error)
{
  sqlite3_stmt *stmt = mdn_db_query (db, error, "SELECT failures, locked_until, unreported FROM lockouts "
                                     "WHERE what = ? AND key = ?", "ss", what, key);
  gint64 failures, locked_until, unreported;
  int rc;

  if (stmt == NULL || (rc = mdn_db_step (db, stmt, error)) < 0)
    return FALSE;
  if (rc != SQLITE_ROW)
    {
      sqlite3_reset (stmt);
      return pq_exec (pg, error, "DELETE FROM lockouts WHERE what = $2 AND key = $1", "ss", key, what);
    }
  failures = sqlite3_column_int64 (stmt, 0);
  locked_until = sqlite3_column_int64 (stmt, 1);
  unreported = sqlite3_column_int64 (stmt, 2);
  sqlite3_reset (stmt);
  return pq_exec (pg, error, "INSERT INTO lockouts (what, key, failures, locked_until, unreported) "
                  "VALUES ($5, $1, $2, $3, $4) ON CONFLICT (what, key) DO UPDATE SET "
                  "failures = excluded.failures, locked_until = excluded.locked_until, "
                  "unreported = excluded.unreported", "siiis", key, failures, locked_until, unreported, what);
}

static gboolean
lockout_push (SrvPg      *pg,
              MdnDb      *db,
              const char *key,
              GError    **error)
{
  return lockout_push_what (pg, db, "pin", key, error);
}

gboolean
srv_pg_pin_verify (SrvPg      *pg,
                   const char *member_id,
                   const char *pin_hash,
                   const char *pin,
                   gint64      now,
                   gboolean   *out_wrong,
                   GError    **error)
{
  MdnDb *db = scratch_begin (pg, error);
  gboolean ok;

  *out_wrong = FALSE;
  if (db == NULL)
    return FALSE;
  ok = lockout_pull (pg, db, member_id, error);
  if (ok)
    {
      ok = mdn_pin_verify (db, member_id, pin_hash, pin, now, out_wrong, error);
      /* A right PIN may have cleared the count. */
      if (ok && !lockout_push (pg, db, member_id, error))
        ok = FALSE;
    }
  mdn_db_rollback (db);
  return ok;
}

gboolean
srv_pg_pin_lockout (SrvPg      *pg,
                    const char *member_id,
                    gint64      now,
                    MdnLockout *out,
                    GError    **error)
{
  MdnDb *db = scratch_begin (pg, error);
  gboolean ok;

  if (db == NULL)
    return FALSE;
  ok = lockout_pull (pg, db, member_id, error) && mdn_lockout_get (db, "pin", member_id, now, out, error);
  mdn_db_rollback (db);
  return ok;
}

/* Under the member's row lock: wrong PINs from two processes add up. */
gboolean
srv_pg_pin_fail (SrvPg      *pg,
                 const char *member_id,
                 gint64      now,
                 gint64      count,
                 MdnLockout *out_after,
                 GError    **error)
{
  MdnDb *db;
  gboolean ok;

  if (!lock_member (pg, member_id, error) || (db = scratch_begin (pg, error)) == NULL)
    return FALSE;
  /* The chain's setting member.pin_lockout_attempts, as at the branches. */
  ok = lockout_pull (pg, db, member_id, error) &&
       mdn_lockout_fail_max (db, "pin", member_id, now, count, FALSE, mdn_pin_max_failures (db), out_after, error) &&
       lockout_push (pg, db, member_id, error);
  mdn_db_rollback (db);
  return ok;
}

GPtrArray *
srv_pg_pin_locks (SrvPg   *pg,
                  gint64   now,
                  GError **error)
{
  return load_pin_locks (pg, now, error);
}

gboolean
srv_pg_member_card (SrvPg      *pg,
                    const char *member_id,
                    char      **out_card_no,
                    gboolean   *out_lost,
                    GError    **error)
{
  g_autoptr(PGresult) res = pq (pg, error, "SELECT card_no, status = 'lost' FROM srv_members WHERE id = $1",
                                "s", member_id);

  *out_card_no = NULL;
  *out_lost = FALSE;
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 1)
    {
      *out_card_no = g_strdup (col (res, 0, 0));
      *out_lost = col_bool (res, 0, 1);
    }
  return TRUE;
}

gint64
srv_pg_member_state_rev (SrvPg      *pg,
                         const char *member_id,
                         GError    **error)
{
  MdnDb *db = scratch_begin (pg, error);
  gint64 rev;

  if (db == NULL)
    return -1;
  rev = project_into (pg, db, member_id, NULL, error) ? mdn_member_state_rev (db, member_id, error) : -1;
  mdn_db_rollback (db);
  return rev;
}

gboolean
srv_pg_sale_member (SrvPg      *pg,
                    const char *sale_id,
                    char      **out_member_id,
                    GError    **error)
{
  g_autoptr(PGresult) res = pq (pg, error, "SELECT member_id FROM entry_keys WHERE id = $1 AND projected "
                                "AND receipt_no IS NOT NULL AND member_id IS NOT NULL", "s", sale_id);

  *out_member_id = NULL;
  if (res == NULL)
    return FALSE;
  if (PQntuples (res) == 1)
    *out_member_id = g_strdup (col (res, 0, 0));
  return TRUE;
}

gboolean
srv_pg_return_check (SrvPg      *pg,
                     const char *sale_id,
                     gint64      refund_fen,
                     GArray     *lines,
                     gint64      held_refund,
                     GArray     *held_lines,
                     GArray     *held_uses,
                     GError    **error)
{
  MdnDb *db = scratch_begin (pg, error);
  gboolean ok;

  if (db == NULL)
    return FALSE;
  ok = project_into (pg, db, NULL, sale_id, error) &&
       mdn_sale_return_check (db, sale_id, refund_fen, lines, held_refund, held_lines, held_uses, error);
  mdn_db_rollback (db);
  return ok;
}

gint64
srv_pg_pin_max_failures (SrvPg *pg)
{
  MdnDb *db = scratch_begin (pg, NULL);
  gint64 max = MDN_LOCKOUT_MAX_FAILURES;

  if (db == NULL)
    return max;
  if (project_settings (pg, db, NULL))
    max = mdn_pin_max_failures (db);
  mdn_db_rollback (db);
  return max;
}

/* The back office ------------------------------------------------------------------ */

gboolean
srv_pg_oplog_add (SrvPg             *pg,
                  const char        *branch_code,
                  const SrvOplogRow *rows,
                  guint              n,
                  gint64            *out_stored,
                  GError           **error)
{
  gint64 stored = 0;

  g_return_val_if_fail (pg != NULL && branch_code != NULL && (rows != NULL || n == 0), FALSE);

  if (!pq_simple (pg, "BEGIN", error))
    return FALSE;
  for (guint i = 0; i < n; i++)
    {
      const SrvOplogRow *r = &rows[i];
      gint64 changed = pq_changes (pg, error,
                                   "INSERT INTO srv_oplog (branch, id, at, staff, op, ok, detail, terminal, entry_id) "
                                   "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (branch, id) DO NOTHING",
                                   "sisssisss", branch_code, r->id, r->at, r->staff, r->op, (gint64) (r->ok != 0), r->detail,
                                   r->terminal, r->entry_id);

      if (changed < 0)
        {
          pq_simple (pg, "ROLLBACK", NULL);
          return FALSE;
        }
      stored += changed;
    }
  if (!pq_simple (pg, "COMMIT", error))
    return FALSE;
  if (out_stored)
    *out_stored = stored;
  return TRUE;
}

static void
oplog_row_free (gpointer data)
{
  SrvOplogRow *r = data;

  g_free ((char *) r->at);
  g_free ((char *) r->staff);
  g_free ((char *) r->op);
  g_free ((char *) r->detail);
  g_free ((char *) r->terminal);
  g_free ((char *) r->entry_id);
  g_free ((char *) r->branch);
  g_free (r);
}

GPtrArray *
srv_pg_oplog_list (SrvPg      *pg,
                   const char *branch_code,
                   const char *from,
                   const char *to,
                   const char *staff,
                   const char *op,
                   gint64      limit,
                   const char *before_branch,
                   gint64      before_id,
                   GError    **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func (oplog_row_free);
  g_autoptr(PGresult) res = NULL;

  g_return_val_if_fail (pg != NULL, NULL);

  /* Newest first by the time the branch wrote them, as the SQLite store. */
  res = pq (pg, error,
            "SELECT branch, id, at, staff, op, ok, detail, terminal, entry_id FROM srv_oplog o "
            "WHERE ($1::text IS NULL OR branch = $1) AND ($2::text IS NULL OR substr (at, 1, 10) >= $2) "
            "AND ($3::text IS NULL OR substr (at, 1, 10) <= $3) AND ($4::text IS NULL OR staff = $4) "
            "AND ($5::text IS NULL OR op = $5) AND ($8::text IS NULL OR EXISTS (SELECT 1 FROM srv_oplog c "
            "  WHERE c.branch = $8 AND c.id = $7::bigint AND (o.at COLLATE \"C\" < c.at COLLATE \"C\" "
            "  OR (o.at = c.at AND (o.branch COLLATE \"C\" > c.branch COLLATE \"C\" "
            "  OR (o.branch = c.branch AND o.id < c.id)))))) "
            "ORDER BY at COLLATE \"C\" DESC, branch COLLATE \"C\", id DESC LIMIT $6",
            "sssssiis", branch_code, from, to, staff, op, CLAMP (limit, 1, 1000), before_id, before_branch);
  if (res == NULL)
    return NULL;
  for (int i = 0; i < PQntuples (res); i++)
    {
      SrvOplogRow *r = g_new0 (SrvOplogRow, 1);

      r->branch = g_strdup (col (res, i, 0));
      r->id = col_int (res, i, 1);
      r->at = g_strdup (col (res, i, 2));
      r->staff = g_strdup (col (res, i, 3));
      r->op = g_strdup (col (res, i, 4));
      r->ok = col_int (res, i, 5) != 0;
      r->detail = g_strdup (col (res, i, 6));
      r->terminal = g_strdup (col (res, i, 7));
      r->entry_id = g_strdup (col (res, i, 8));
      g_ptr_array_add (rows, r);
    }
  return g_steal_pointer (&rows);
}

GPtrArray *
srv_pg_own_entries (SrvPg      *pg,
                    const char *branch_code,
                    gint64      after,
                    gint64      limit,
                    gboolean   *out_more,
                    GError    **error)
{
  g_autoptr(PGresult) res = NULL;
  g_autoptr(GPtrArray) docs = g_ptr_array_new ();
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_entry_free);

  g_return_val_if_fail (pg != NULL && branch_code != NULL, NULL);

  limit = CLAMP (limit, 1, 1000);
  res = pq (pg, error,
            "SELECT e.doc FROM entry_keys k JOIN entries e ON e.business_date = k.business_date AND e.id = k.id "
            "WHERE k.branch = $1 AND k.seq > $2 ORDER BY k.seq LIMIT $3", "sii", branch_code, after, limit + 1);
  if (res == NULL)
    return NULL;
  if (out_more)
    *out_more = PQntuples (res) > limit;
  for (int r = 0; r < PQntuples (res) && r < limit; r++)
    g_ptr_array_add (docs, (gpointer) col (res, r, 0));
  if (docs->len > 0 && !entries_from_docs (docs, entries, error))
    return NULL;
  return g_steal_pointer (&entries);
}

const char *
srv_pg_get_timezone (SrvPg *pg)
{
  return pg->timezone ? pg->timezone : MDN_DEFAULT_TIMEZONE;
}

/* Re-projections into the scratch database ---------------------------------------- */

/* The entries of @res (id, projected, doc; in the order the server applied
 * them) applied in @db as the SQLite store applied them: a shared entry of
 * the catalogue, settings or stock families in full (mdn_ledger_apply),
 * any other only its stock movements (mdn_ledger_apply_stock, like a
 * branch's private entry there). The ids of those applied only so are
 * added to @partial (may be NULL). */
gboolean
replay_rows (PGresult  *res,
             MdnDb     *db,
             GPtrArray *partial,
             GError   **error)
{
  g_autoptr(GPtrArray) docs = g_ptr_array_new ();
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_entry_free);
  static const char *const whole[] = {
    "product.", "category.", "level.", "deposit_rule.", "plan.", "setting.chain", "stock.", "stocktake.",
    "transfer.", NULL
  };

  for (int r = 0; r < PQntuples (res); r++)
    g_ptr_array_add (docs, (gpointer) col (res, r, 2));
  if (docs->len && !entries_from_docs (docs, entries, error))
    return FALSE;
  for (guint i = 0; i < entries->len; i++)
    {
      MdnEntry *entry = g_ptr_array_index (entries, i);
      gboolean full = FALSE;

      for (guint w = 0; whole[w] && col_bool (res, (int) i, 1); w++)
        full |= g_str_has_prefix (entry->kind, whole[w]);
      if (!(full ? mdn_ledger_apply (db, entry, error) : mdn_ledger_apply_stock (db, entry, error)))
        return FALSE;
      if (!full && partial)
        g_ptr_array_add (partial, g_strdup (entry->id));
    }
  return TRUE;
}

/* The same for the entries @sql selects. */
gboolean
replay (SrvPg      *pg,
        MdnDb      *db,
        const char *sql,
        GError    **error)
{
  g_autoptr(PGresult) res = pq (pg, error, sql, "");

  return res != NULL && replay_rows (res, db, NULL, error);
}

/* catalog_scratch and stock_scratch (the catalogue and the chain's
 * settings; those with every branch's stock and transfers, as the SQLite
 * server holds them) are in srv-store-pg-projection.c: an image kept of
 * their projection and the entries after it, not all history. */

GArray *
srv_pg_stock (SrvPg      *pg,
              const char *sku,
              const char *category,
              const char *branch,
              GError    **error)
{
  MdnDb *db = stock_scratch (pg, error);
  GArray *rows;

  if (db == NULL)
    return NULL;
  rows = mdn_stock_chain_rows (db, sku, category, branch, error);
  mdn_db_rollback (db);
  return rows;
}

GPtrArray *
srv_pg_transfers (SrvPg      *pg,
                  const char *branch,
                  const char *status,
                  GError    **error)
{
  MdnDb *db = stock_scratch (pg, error);
  GPtrArray *transfers;

  if (db == NULL)
    return NULL;
  transfers = mdn_stock_transfers (db, branch, NULL, status, error);
  mdn_db_rollback (db);
  return transfers;
}

/* The console's store (srv-store-console.h) ----------------------------------------- */

#define CONSOLE_LOCKOUT "staff"

static gboolean
console_valid_name (const char *name)
{
  gsize len = name ? strlen (name) : 0;

  if (len < 1 || len > 64 || !g_utf8_validate (name, -1, NULL))
    return FALSE;
  for (const char *p = name; *p; p++)
    if ((guchar) *p < 0x20 || *p == '/' || *p == ' ')
      return FALSE;
  return TRUE;
}

/* @ok: commit, else roll back. */
static gboolean
console_done (SrvPg    *pg,
              gboolean  ok,
              GError  **error)
{
  if (ok && srv_pg_commit (pg, error))
    return TRUE;
  srv_pg_rollback (pg);
  return FALSE;
}

gboolean
srv_pg_console_user_add (SrvPg             *pg,
                         const char        *name,
                         const char        *role,
                         const char        *password,
                         const char *const *branches,
                         GError           **error)
{
  g_autofree char *hash = NULL, *at = now_iso ();
  gboolean ok;

  if (!console_valid_name (name))
    {
      g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID,
                           _("A console user name is 1 to 64 characters without spaces or “/”"));
      return FALSE;
    }
  if (g_strcmp0 (role, "hq-admin") != 0 && g_strcmp0 (role, "hq-viewer") != 0 && g_strcmp0 (role, "region") != 0)
    {
      g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID, _("The role is hq-admin, hq-viewer or region"));
      return FALSE;
    }
  if (password == NULL || g_utf8_strlen (password, -1) < 8)
    {
      g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID, _("A console password has at least 8 characters"));
      return FALSE;
    }
  if (g_str_equal (role, "region") && (branches == NULL || branches[0] == NULL))
    {
      g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID,
                           _("A region user needs its branches (--branches B01,B02)"));
      return FALSE;
    }
  hash = mdn_secret_hash (password, error);
  if (hash == NULL || !srv_pg_begin (pg, TRUE, error))
    return FALSE;
  for (guint i = 0; branches && branches[i]; i++)
    {
      g_autoptr(PGresult) res = pq (pg, error, "SELECT 1 FROM srv_branches WHERE code = $1", "s", branches[i]);

      if (res == NULL)
        return console_done (pg, FALSE, error);
      if (PQntuples (res) == 0)
        {
          g_set_error (error, SRV_ERROR, SRV_ERROR_NOT_FOUND, _("There is no branch %s"), branches[i]);
          return console_done (pg, FALSE, error);
        }
    }
  ok = pq_exec (pg, error,
                "INSERT INTO srv_console_users (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4) "
                "ON CONFLICT (name) DO UPDATE SET role = $2, password_hash = $3, disabled = 0",
                "ssss", name, role, hash, at) &&
       pq_exec (pg, error, "DELETE FROM srv_console_user_branches WHERE name = $1", "s", name);
  for (guint i = 0; ok && g_str_equal (role, "region") && branches[i]; i++)
    ok = pq_exec (pg, error,
                  "INSERT INTO srv_console_user_branches (name, branch) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                  "ss", name, branches[i]);
  return console_done (pg, ok, error);
}

static GStrv
console_branches (SrvPg      *pg,
                  const char *name)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  g_autoptr(PGresult) res = pq (pg, NULL,
                                "SELECT branch FROM srv_console_user_branches WHERE name = $1 "
                                "ORDER BY branch COLLATE \"C\"", "s", name);

  for (int r = 0; res && r < PQntuples (res); r++)
    g_strv_builder_add (b, col (res, r, 0));
  return g_strv_builder_end (b);
}

gboolean
srv_pg_console_audit (SrvPg      *pg,
                      const char *name,
                      const char *action,
                      const char *target,
                      gboolean    ok,
                      const char *detail,
                      const char *entry_id)
{
  g_autofree char *at = now_iso ();
  g_autoptr(GError) error = NULL;

  /* In the caller's transaction if there is one (it commits with it). */
  if (!pq_exec (pg, &error,
                "INSERT INTO srv_console_audit (at, name, action, target, ok, detail, entry_id) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7)",
                "ssssiss", at, name ? name : "", action, target, (gint64) ok, detail, entry_id))
    {
      g_warning ("the console's audit log could not be written: %s", error->message);
      return FALSE;
    }
  return TRUE;
}

SrvConsoleUser *
srv_pg_console_login (SrvPg      *pg,
                      const char *name,
                      const char *password,
                      GError    **error)
{
  g_autofree char *key = NULL, *hash = NULL, *role = NULL;
  g_autoptr(SrvConsoleUser) user = NULL;
  MdnLockout lock = { 0 }, after = { 0 };
  gint64 now = mdn_lockout_now ();
  gboolean found = FALSE, right, ok;
  MdnDb *db;

  if (name == NULL || password == NULL || !console_valid_name (name))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_AUTH_FAILED, _("Wrong user name or password"));
      srv_pg_console_audit (pg, name && g_utf8_validate (name, -1, NULL) ? name : "?", "login", NULL, FALSE,
                            "invalid", NULL);
      return NULL;
    }
  key = g_strconcat ("console/", name, NULL);
  {
    g_autoptr(PGresult) res = pq (pg, error, "SELECT locked_until FROM lockouts WHERE what = 'staff' AND key = $1",
                                  "s", key);

    if (res == NULL)
      return NULL;
    lock.locked_until = PQntuples (res) ? col_int (res, 0, 0) : 0;
  }
  if (lock.locked_until > now)
    {
      mdn_set_locked_error (error, MDN_ERROR_STAFF_LOCKED, lock.locked_until, now);
      srv_pg_console_audit (pg, name, "login", NULL, FALSE, "locked", NULL);
      return NULL;
    }
  {
    g_autoptr(PGresult) res = pq (pg, error, "SELECT password_hash, role FROM srv_console_users "
                                  "WHERE name = $1 AND disabled = 0", "s", name);

    if (res == NULL)
      return NULL;
    if (PQntuples (res) == 1)
      {
        found = TRUE;
        hash = g_strdup (col (res, 0, 0));
        role = g_strdup (col (res, 0, 1));
      }
  }
  /* An unknown name costs one verification too, and locks like a known one. */
  right = mdn_secret_verify (found ? hash : mdn_secret_dummy_hash (), password) && found;
  /* common/'s lockout rule on the row (mdn-lockout.c), one process at a
     time per name. */
  if (!srv_pg_begin (pg, TRUE, error))
    return NULL;
  if (!pq_exec (pg, error, "SELECT pg_advisory_xact_lock ($1, hashtext ($2))", "is", (gint64) PG_LOCK_CLASS, key) ||
      (db = scratch_begin (pg, error)) == NULL)
    return console_done (pg, FALSE, error), NULL;
  ok = lockout_pull_what (pg, db, CONSOLE_LOCKOUT, key, error) &&
       (right ? mdn_lockout_clear (db, CONSOLE_LOCKOUT, key, now, error)
              : mdn_lockout_fail (db, CONSOLE_LOCKOUT, key, now, 1, FALSE, &after, error)) &&
       lockout_push_what (pg, db, CONSOLE_LOCKOUT, key, error);
  mdn_db_rollback (db);
  if (!console_done (pg, ok, error))
    return NULL;
  if (!right)
    {
      srv_pg_console_audit (pg, name, "login", NULL, FALSE, after.locked_until > now ? "locked" : "wrong password",
                            NULL);
      if (after.locked_until > now)
        mdn_set_locked_error (error, MDN_ERROR_STAFF_LOCKED, after.locked_until, now);
      else
        g_set_error_literal (error, MDN_ERROR, MDN_ERROR_AUTH_FAILED, _("Wrong user name or password"));
      return NULL;
    }
  user = g_new0 (SrvConsoleUser, 1);
  user->name = g_strdup (name);
  user->role = g_steal_pointer (&role);
  user->branches = console_branches (pg, name);
  return g_steal_pointer (&user);
}

char *
srv_pg_console_session_new (SrvPg      *pg,
                            const char *name,
                            char      **csrf,
                            GError    **error)
{
  g_autofree char *id = mdn_random_hex (32);
  g_autofree char *token = mdn_random_hex (32);
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, id, -1);
  gint64 now = mdn_lockout_now ();

  g_return_val_if_fail (name != NULL && csrf != NULL, NULL);

  if (!pq_exec (pg, error,
                "INSERT INTO srv_console_sessions (id_hash, name, csrf, created_at, last_seen) "
                "VALUES ($1, $2, $3, $4, $5)", "sssii", hash, name, token, now, now))
    return NULL;
  *csrf = g_steal_pointer (&token);
  return g_steal_pointer (&id);
}

SrvConsoleUser *
srv_pg_console_session_get (SrvPg      *pg,
                            const char *id,
                            gint64      idle)
{
  g_autofree char *hash = NULL;
  g_autoptr(SrvConsoleUser) user = NULL;
  g_autoptr(PGresult) res = NULL;
  gint64 now = mdn_lockout_now (), seen;

  if (id == NULL || strlen (id) != 64)
    return NULL;
  hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, id, -1);
  res = pq (pg, NULL,
            "SELECT s.name, s.csrf, s.last_seen, u.role FROM srv_console_sessions s "
            "JOIN srv_console_users u ON u.name = s.name AND u.disabled = 0 WHERE s.id_hash = $1", "s", hash);
  if (res == NULL || PQntuples (res) != 1)
    return NULL;
  seen = col_int (res, 0, 2);
  if (now - seen >= idle || now < seen - 300)
    {
      srv_pg_console_session_end (pg, id);
      return NULL;
    }
  if (now > seen)
    pq_exec (pg, NULL, "UPDATE srv_console_sessions SET last_seen = $1 WHERE id_hash = $2", "is", now, hash);
  user = g_new0 (SrvConsoleUser, 1);
  user->name = g_strdup (col (res, 0, 0));
  user->csrf = g_strdup (col (res, 0, 1));
  user->role = g_strdup (col (res, 0, 3));
  user->branches = console_branches (pg, user->name);
  return g_steal_pointer (&user);
}

void
srv_pg_console_session_end (SrvPg      *pg,
                            const char *id)
{
  g_autofree char *hash = NULL;

  if (id == NULL)
    return;
  hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, id, -1);
  pq_exec (pg, NULL, "DELETE FROM srv_console_sessions WHERE id_hash = $1", "s", hash);
}

/* Rows as srv-store-console.c gives them: "" for SQL NULL. */
SrvRows *
console_rows (PGresult *res)
{
  GPtrArray *rows;
  int n;

  if (res == NULL)
    return NULL;
  rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  n = PQnfields (res);
  for (int r = 0; r < PQntuples (res); r++)
    {
      char **row = g_new0 (char *, n + 1);

      for (int i = 0; i < n; i++)
        row[i] = g_strdup (col (res, r, i) ? col (res, r, i) : "");
      g_ptr_array_add (rows, row);
    }
  PQclear (res);
  return rows;
}

/* The same from a query of the scratch database. */
static SrvRows *
scratch_rows (MdnDb        *db,
              sqlite3_stmt *stmt,
              GError      **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  int rc, n;

  if (stmt == NULL)
    return NULL;
  n = sqlite3_column_count (stmt);
  while ((rc = mdn_db_step (db, stmt, error)) == SQLITE_ROW)
    {
      char **row = g_new0 (char *, n + 1);

      for (int i = 0; i < n; i++)
        row[i] = g_strdup (mdn_db_col_text (stmt, i) ? mdn_db_col_text (stmt, i) : "");
      g_ptr_array_add (rows, row);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return NULL;
  return g_steal_pointer (&rows);
}

/* The branch codes as a text[] literal for = ANY, or NULL for every branch. */
static char *
console_branch_array (const char *const *branches)
{
  GString *s;

  if (branches == NULL)
    return NULL;
  s = g_string_new ("{");
  for (guint i = 0; branches[i]; i++)
    {
      g_string_append (s, i ? ",\"" : "\"");
      for (const char *p = branches[i]; *p; p++)
        {
          if (*p == '"' || *p == '\\')
            g_string_append_c (s, '\\');
          g_string_append_c (s, *p);
        }
      g_string_append_c (s, '"');
    }
  g_string_append_c (s, '}');
  return g_string_free (s, FALSE);
}

SrvRows *
srv_pg_console_audit_rows (SrvPg      *pg,
                           const char *name,
                           gint64      limit,
                           gint64      offset,
                           GError    **error)
{
  return console_rows (pq (pg, error,
                           "SELECT at, name, action, target, ok, detail, entry_id FROM srv_console_audit "
                           "WHERE $1::text IS NULL OR name = $1 ORDER BY id DESC LIMIT $2 OFFSET $3",
                           "sii", name, limit, offset));
}

SrvRows *
srv_pg_console_trend_rows (SrvPg             *pg,
                           const char        *from,
                           const char        *to,
                           const char *const *branches,
                           GError           **error)
{
  g_autofree char *only = console_branch_array (branches);

  return console_rows (pq (pg, error,
                           "SELECT to_char (business_date, 'YYYY-MM-DD'), SUM (sales_fen), "
                           "SUM (deposit_principal_fen), SUM (refund_fen) "
                           "FROM srv_rollup_day WHERE business_date BETWEEN $1::date AND $2::date "
                           "AND ($3::text[] IS NULL OR branch = ANY ($3::text[])) "
                           "GROUP BY business_date ORDER BY business_date",
                           "sss", from, to, only));
}

/* One query of the catalogue's scratch projection. */
static SrvRows *
catalog_rows (SrvPg      *pg,
              const char *sql,
              GError    **error)
{
  MdnDb *db = catalog_scratch (pg, error);
  SrvRows *rows;

  if (db == NULL)
    return NULL;
  rows = scratch_rows (db, mdn_db_query (db, error, sql, ""), error);
  mdn_db_rollback (db);
  return rows;
}

SrvRows *
srv_pg_console_product_rows (SrvPg   *pg,
                             GError **error)
{
  return catalog_rows (pg, "SELECT sku, name, kind, price_fen, category, barcode, no_discount, package_sku, "
                       "package_count, package_days, active FROM products ORDER BY sku", error);
}

SrvRows *
srv_pg_console_level_rows (SrvPg   *pg,
                           GError **error)
{
  return catalog_rows (pg, "SELECT code, name, price_percent, points_per_yuan, offline_limit_fen FROM levels "
                       "ORDER BY price_percent DESC, code", error);
}

SrvRows *
srv_pg_console_rule_rows (SrvPg   *pg,
                          GError **error)
{
  return catalog_rows (pg, "SELECT min_fen, bonus_fen FROM deposit_rules ORDER BY min_fen", error);
}

SrvRows *
srv_pg_console_plan_rows (SrvPg   *pg,
                          GError **error)
{
  return catalog_rows (pg, "SELECT code, name, unit_minutes, unit_price_fen, free_minutes, min_minutes, cap_fen "
                       "FROM plans ORDER BY code", error);
}

SrvRows *
srv_pg_console_setting_rows (SrvPg   *pg,
                             GError **error)
{
  return catalog_rows (pg, "SELECT key, value FROM settings ORDER BY key", error);
}

char *
srv_pg_console_today (SrvPg *pg)
{
  g_autoptr(GDateTime) now = mdn_clock_now ();

  return mdn_clock_business_date (now, pg->timezone);
}

const char *
srv_pg_console_timezone (SrvPg *pg)
{
  return pg->timezone;
}

/* The level names of the catalogue (code -> name), for the member rows. */
static GHashTable *
level_names (SrvPg   *pg,
             GError **error)
{
  g_autoptr(SrvRows) rows = catalog_rows (pg, "SELECT code, name FROM levels", error);
  GHashTable *names;

  if (rows == NULL)
    return NULL;
  names = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < rows->len; i++)
    {
      char **row = g_ptr_array_index (rows, i);

      g_hash_table_insert (names, g_strdup (row[0]), g_strdup (row[1]));
    }
  return names;
}

/* Member rows from @res with column 4 the level's code: its name instead
 * (COALESCE (l.name, m.level) of srv-store-console.c). */
static SrvRows *
member_rows_named (SrvPg    *pg,
                   PGresult *res,
                   GError  **error)
{
  g_autoptr(GHashTable) names = NULL;
  SrvRows *rows = console_rows (res);

  if (rows == NULL || rows->len == 0)
    return rows;
  if ((names = level_names (pg, error)) == NULL)
    {
      g_ptr_array_unref (rows);
      return NULL;
    }
  for (guint i = 0; i < rows->len; i++)
    {
      char **row = g_ptr_array_index (rows, i);
      const char *name = g_hash_table_lookup (names, row[4]);

      if (name)
        {
          g_free (row[4]);
          row[4] = g_strdup (name);
        }
    }
  return rows;
}

#define PG_MEMBER_COLUMNS \
  "m.id, m.card_no, m.name, m.phone, m.level, m.status, " \
  "COALESCE ((SELECT balance FROM accounts a WHERE a.member_id = m.id AND a.account = 'principal' AND a.item = ''), 0), " \
  "COALESCE ((SELECT balance FROM accounts a WHERE a.member_id = m.id AND a.account = 'bonus' AND a.item = ''), 0), " \
  "COALESCE ((SELECT balance FROM accounts a WHERE a.member_id = m.id AND a.account = 'points' AND a.item = ''), 0), " \
  "m.issued_branch"

SrvRows *
srv_pg_console_member_rows (SrvPg             *pg,
                            const char        *q,
                            const char *const *branches,
                            gint64             limit,
                            GError           **error)
{
  g_autofree char *only = console_branch_array (branches);
  g_autoptr(GString) like = g_string_new ("%");

  for (const char *p = q ? q : ""; *p; p++)
    {
      if (*p == '%' || *p == '_' || *p == '\\')
        g_string_append_c (like, '\\');
      g_string_append_c (like, *p);
    }
  g_string_append_c (like, '%');
  /* ILIKE: SQLite's LIKE ignores the case of ASCII letters. */
  return member_rows_named (pg, pq (pg, error,
                                    "SELECT " PG_MEMBER_COLUMNS " FROM srv_members m "
                                    "WHERE (m.card_no = $1 OR m.phone = $1 OR m.name = $1 "
                                    "       OR m.card_no ILIKE $2 ESCAPE '\\' OR m.phone ILIKE $2 ESCAPE '\\' "
                                    "       OR m.name ILIKE $2 ESCAPE '\\' "
                                    "       OR m.id IN (SELECT member_id FROM srv_cards WHERE card_no = $1)) "
                                    "AND ($3::text[] IS NULL OR m.issued_branch = ANY ($3::text[])) "
                                    "ORDER BY (m.card_no = $1 OR m.phone = $1) DESC, m.name COLLATE \"C\", "
                                    "m.card_no COLLATE \"C\" LIMIT $4",
                                    "sssi", q ? q : "", like->str, only, limit), error);
}

SrvRows *
srv_pg_console_member_row (SrvPg      *pg,
                           const char *member_id,
                           GError    **error)
{
  return member_rows_named (pg, pq (pg, error,
                                    "SELECT " PG_MEMBER_COLUMNS ", m.expires_on, m.issued_at, m.birthday "
                                    "FROM srv_members m WHERE m.id = $1", "s", member_id), error);
}

char *
srv_pg_console_member_branch (SrvPg      *pg,
                              const char *member_id)
{
  g_autoptr(PGresult) res = pq (pg, NULL, "SELECT issued_branch FROM srv_members WHERE id = $1", "s", member_id);

  return res && PQntuples (res) == 1 ? g_strdup (col (res, 0, 0)) : NULL;
}

/* srv_members.card_no is the member's current card (refresh_member). */
char *
srv_pg_console_card_member (SrvPg      *pg,
                            const char *card_no)
{
  g_autoptr(PGresult) res = pq (pg, NULL, "SELECT id FROM srv_members WHERE card_no = $1", "s", card_no);

  return res && PQntuples (res) == 1 ? g_strdup (col (res, 0, 0)) : NULL;
}

/* The member's lots from its entries re-projected (with the catalogue, for
 * the products' names), as the SQLite server's member_packages. */
SrvRows *
srv_pg_console_package_rows (SrvPg      *pg,
                             const char *member_id,
                             GError    **error)
{
  MdnDb *db = catalog_scratch (pg, error);
  SrvRows *rows = NULL;

  if (db == NULL)
    return NULL;
  if (project_into (pg, db, member_id, NULL, error))
    rows = scratch_rows (db, mdn_db_query (db, error,
                                           "SELECT p.item, COALESCE (pr.name, p.item), p.lot, p.expires_on, p.remaining "
                                           "FROM member_packages p LEFT JOIN products pr ON pr.sku = p.item "
                                           "WHERE p.member_id = ? ORDER BY p.item, p.expires_on", "s", member_id),
                         error);
  mdn_db_rollback (db);
  return rows;
}

SrvRows *
srv_pg_console_history_rows (SrvPg      *pg,
                             const char *member_id,
                             gint64      limit,
                             GError    **error)
{
  return console_rows (pq (pg, error,
                           "SELECT e.id, e.branch, e.seq, e.kind, e.at, to_char (e.business_date, 'YYYY-MM-DD'), "
                           "  COALESCE (e.doc::jsonb ->> 'staff', ''), "
                           "  (SELECT COALESCE (SUM (delta), 0) FROM movements v WHERE v.entry_id = e.id "
                           "     AND v.business_date = e.business_date AND v.member_id = $1 AND v.account = 'principal'), "
                           "  (SELECT COALESCE (SUM (delta), 0) FROM movements v WHERE v.entry_id = e.id "
                           "     AND v.business_date = e.business_date AND v.member_id = $1 AND v.account = 'bonus'), "
                           "  (SELECT COALESCE (SUM (delta), 0) FROM movements v WHERE v.entry_id = e.id "
                           "     AND v.business_date = e.business_date AND v.member_id = $1 AND v.account = 'points') "
                           "FROM entries e WHERE e.id IN (SELECT id FROM entry_keys WHERE member_id = $1 "
                           "  UNION SELECT entry_id FROM movements WHERE member_id = $1) "
                           "ORDER BY e.at COLLATE \"C\" DESC, e.branch COLLATE \"C\", e.seq DESC LIMIT $2",
                           "si", member_id, limit));
}

/* What the generated srv-store-pg-missing.c answers for a function of the
 * interface this store doesn't have yet. */
void
srv_pg_not_supported (GError    **error,
                      const char *function)
{
  g_set_error (error, SRV_ERROR, SRV_ERROR_NOT_SUPPORTED, _("%s is not available on the PostgreSQL store yet"),
               function);
}

/* A replica (serve --report-dsn): read-only, never migrated; its schema
 * must be the one this program writes (a replica that hasn't replayed a
 * migration yet is refused). */
SrvPg *
srv_pg_open_replica (const char *uri,
                     GError    **error)
{
  g_autoptr(SrvPg) pg = g_new0 (SrvPg, 1);
  g_autofree char *version = NULL, *role = NULL;

  mdn_library_init ();
  pg->prepared = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  pg->uri = g_strdup (uri);
  pg->conn = PQconnectdb (uri);
  if (PQstatus (pg->conn) != CONNECTION_OK)
    {
      g_autofree char *msg = g_strstrip (g_strdup (PQerrorMessage (pg->conn)));

      g_set_error (error, MDN_ERROR, MDN_ERROR_DATABASE, _("Cannot open the database %s: %s"), uri, msg);
      return NULL;
    }
  PQsetNoticeProcessor (pg->conn, notice_quiet, NULL);
  if (!pq_simple (pg, "SET client_min_messages = warning", error) ||
      !pq_simple (pg, "SET default_transaction_read_only = on", error))
    return NULL;
  {
    g_autoptr(PGresult) res = pq (pg, error, "SELECT to_regclass ('srv_meta') IS NOT NULL", "");

    if (res == NULL)
      return NULL;
    if (col_bool (res, 0, 0))
      {
        version = meta_dup (pg, "schema_version");
        role = meta_dup (pg, "role");
      }
  }
  if (g_strcmp0 (role, "server") != 0)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_DATABASE, _("%s is not a server database"), uri);
      return NULL;
    }
  if (version == NULL || atoi (version) != latest_version ())
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_DATABASE,
                   _("The report replica %s has server schema %s, this program writes %d"), uri,
                   version ? version : "?", latest_version ());
      return NULL;
    }
  pg->timezone = meta_dup (pg, "timezone");
  if (pg->timezone == NULL)
    pg->timezone = g_strdup (MDN_DEFAULT_TIMEZONE);
  g_message ("reports and console reads from a replica (--report-dsn)");
  return g_steal_pointer (&pg);
}

/* The console's later pages (messages, operation logs, branch versions,
 * categories; reports on the page are in srv-store-pg-report.c; SMS is not
 * on PostgreSQL yet). */

/* The member's entries re-projected, then @sql (one ? for the member). */
static SrvRows *
member_scratch_rows (SrvPg      *pg,
                     const char *member_id,
                     const char *sql,
                     GError    **error)
{
  MdnDb *db = scratch_begin (pg, error);
  SrvRows *rows = NULL;

  if (db == NULL)
    return NULL;
  if (project_into (pg, db, member_id, NULL, error))
    rows = scratch_rows (db, mdn_db_query (db, error, sql, "s", member_id), error);
  mdn_db_rollback (db);
  return rows;
}

SrvRows *
srv_pg_console_message_rows (SrvPg      *pg,
                             const char *member_id,
                             GError    **error)
{
  return member_scratch_rows (pg, member_id,
                              "SELECT id, branch, at, staff, text FROM member_messages "
                              "WHERE member_id = ? ORDER BY at DESC, id DESC LIMIT 200", error);
}

SrvRows *
srv_pg_console_reply_rows (SrvPg      *pg,
                           const char *member_id,
                           GError    **error)
{
  return member_scratch_rows (pg, member_id,
                              "SELECT message_id, id, branch, at, staff, text FROM member_message_replies "
                              "WHERE member_id = ? ORDER BY at, id", error);
}

SrvRows *
srv_pg_console_oplog_rows (SrvPg             *pg,
                           const char *const *branches,
                           const char        *branch,
                           const char        *from,
                           const char        *to,
                           const char        *staff,
                           const char        *op,
                           int                ok,
                           gint64             limit,
                           gint64             offset,
                           GError           **error)
{
  g_autofree char *only = console_branch_array (branches);

  return console_rows (pq (pg, error,
                           "SELECT branch, id, at, staff, op, ok, detail, terminal, entry_id FROM srv_oplog "
                           "WHERE ($1::text[] IS NULL OR branch = ANY ($1::text[])) "
                           "AND ($2::text IS NULL OR branch = $2) AND ($3::text IS NULL OR substr (at, 1, 10) >= $3) "
                           "AND ($4::text IS NULL OR substr (at, 1, 10) <= $4) AND ($5::text IS NULL OR staff = $5) "
                           "AND ($6::text IS NULL OR op = $6) AND ($9::bigint < 0 OR ok = $9) "
                           "ORDER BY at COLLATE \"C\" DESC, branch COLLATE \"C\", id DESC LIMIT $7 OFFSET $8",
                           "ssssssiii", only, branch, from, to, staff, op, CLAMP (limit, 1, 1001), MAX (offset, 0),
                           (gint64) ok));
}

SrvRows *
srv_pg_console_oplog_ops (SrvPg   *pg,
                          GError **error)
{
  return console_rows (pq (pg, error, "SELECT DISTINCT op COLLATE \"C\" FROM srv_oplog ORDER BY 1", ""));
}

gboolean
srv_pg_console_branch_note_version (SrvPg      *pg,
                                    const char *branch_code,
                                    const char *version,
                                    GError    **error)
{
  g_autofree char *at = NULL;

  if (version == NULL || *version == '\0')
    return TRUE;
  at = now_iso ();
  return pq_exec (pg, error,
                  "UPDATE srv_branches SET version = $2, version_at = $3 "
                  "WHERE code = $1 AND (version IS DISTINCT FROM $2 OR version_at IS NULL OR version_at < $3)",
                  "sss", branch_code, version, at);
}

SrvRows *
srv_pg_console_branch_versions (SrvPg   *pg,
                                GError **error)
{
  return console_rows (pq (pg, error,
                           "SELECT code, version, version_at FROM srv_branches WHERE version IS NOT NULL "
                           "ORDER BY code COLLATE \"C\"", ""));
}

SrvRows *
srv_pg_console_category_rows (SrvPg   *pg,
                              GError **error)
{
  return catalog_rows (pg, "SELECT path, name FROM categories WHERE NOT archived ORDER BY path", error);
}
