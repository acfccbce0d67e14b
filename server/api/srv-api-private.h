/* srv-api-private.h: JSON of store rows that more than one resource
 * replies with (defined in srv-members.c). */
#pragma once

#include <json-glib/json-glib.h>

#include "srv-store.h"

G_BEGIN_DECLS

/* [member_id, ...] */
JsonArray *srv_json_holds     (const char *const *holds);
/* [{"member_id", "locked_until"}, ...] of SrvPinLock */
JsonArray *srv_json_pin_locks (GPtrArray         *locks);

G_END_DECLS
