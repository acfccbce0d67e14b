/* srv-store-console-sqlite-impl.c: srv-store-console.c compiled as the
 * SQLite backend of the console's store (srv-store-console.h), under
 * srv-store-sqlite-names.h like srv-store-sqlite-impl.c: its srv_console_*
 * are srv_sqlite_console_*, which srv-store.c dispatches to. */
#include "srv-store-sqlite-names.h"
#include "srv-store-console.c"
