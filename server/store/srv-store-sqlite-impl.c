/* srv-store-sqlite-impl.c: srv-store-sqlite.c compiled as the SQLite
 * backend: under srv-store-sqlite-names.h (generated from srv-store.h) its
 * SrvStore is SrvSqlite and its srv_store_* are srv_sqlite_*, which
 * srv-store.c dispatches to. */
#include "srv-store-sqlite-names.h"
#include "srv-store-sqlite.c"
