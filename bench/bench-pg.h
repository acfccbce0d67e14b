/* bench-pg.h: what the PostgreSQL benchmarks share (bench-report-pg,
 * bench-stock-pg): a synthetic history written in SQL. */
#pragma once

#include <glib.h>
#include <libpq-fe.h>

/* History entries of branch B01 numbered [@from, @to) (seq 100000000 + n,
 * id "history-n"), of @kind, on the days from 2024-01-01 on (1054 of them,
 * never the bench's own), each with one movement of -1 TEA in stock. Each
 * document is @doc with "@ID@" and "@SEQ@" replaced by the entry's own. In
 * transactions of 100,000 entries, then ANALYZE. */
void bench_pg_history (PGconn     *conn,
                       gint64      from,
                       gint64      to,
                       const char *kind,
                       gboolean    projected,
                       const char *doc);
