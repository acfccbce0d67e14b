/* bench-pg.c: see bench-pg.h. */
#include "bench-pg.h"
#include "mdn-test-pg.h"

void
bench_pg_history (PGconn     *conn,
                  gint64      from,
                  gint64      to,
                  const char *kind,
                  gboolean    projected,
                  const char *doc)
{
  const gint64 chunk = 100000;
  const char *params[] = { kind, projected ? "t" : "f", doc };

  for (gint64 a = from; a < to; a += chunk)
    {
      gint64 b = MIN (to, a + chunk);
      g_autofree char *keys = g_strdup_printf (
        "INSERT INTO entry_keys (branch, seq, id, business_date, kind, member_id, hash, projected, applied) "
        "SELECT 'B01', 100000000 + g, 'history-' || g, date '2024-01-01' + (g %% 1054)::int, $1, NULL, "
        "'x', $2::boolean, nextval ('apply_order') FROM generate_series (%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ") g",
        a, b - 1);
      g_autofree char *rows = g_strdup_printf (
        "INSERT INTO entries (business_date, id, branch, seq, kind, at, member_id, doc) "
        "SELECT business_date, id, branch, seq, kind, business_date || 'T10:00:00+08:00', NULL, "
        "replace (replace ($1, '@ID@', id), '@SEQ@', seq::text) "
        "FROM entry_keys WHERE branch = 'B01' AND seq BETWEEN %" G_GINT64_FORMAT " AND %" G_GINT64_FORMAT,
        100000000 + a, 100000000 + b - 1);
      g_autofree char *moves = g_strdup_printf (
        "INSERT INTO movements (business_date, entry_id, idx, member_id, account, item, delta) "
        "SELECT business_date, id, 0, NULL, 'stock', 'TEA', -1 "
        "FROM entry_keys WHERE branch = 'B01' AND seq BETWEEN %" G_GINT64_FORMAT " AND %" G_GINT64_FORMAT,
        100000000 + a, 100000000 + b - 1);
      PGresult *res;

      mdn_test_pg_exec (conn, "BEGIN");
      res = PQexecParams (conn, keys, 2, NULL, params, NULL, NULL, 0);
      if (PQresultStatus (res) != PGRES_COMMAND_OK)
        g_error ("%s", PQerrorMessage (conn));
      PQclear (res);
      res = PQexecParams (conn, rows, 1, NULL, params + 2, NULL, NULL, 0);
      if (PQresultStatus (res) != PGRES_COMMAND_OK)
        g_error ("%s", PQerrorMessage (conn));
      PQclear (res);
      mdn_test_pg_exec (conn, moves);
      mdn_test_pg_exec (conn, "COMMIT");
    }
  mdn_test_pg_exec (conn, "ANALYZE");
}
