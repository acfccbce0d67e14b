/* srv-store-sms-sqlite-impl.c: srv-store-sms-sqlite.c compiled as the
 * SQLite backend of the SMS outbox's store (srv-store-sms.h), under
 * srv-store-sqlite-names.h like srv-store-console-sqlite-impl.c: its
 * srv_store_sms_* are srv_sqlite_sms_*, which srv-store.c dispatches to. */
#include "srv-store-sqlite-names.h"
#include "srv-store-sms-sqlite.c"
