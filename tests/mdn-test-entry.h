/* mdn-test-entry.h: the slow reader of an entry (mdn-test-entry.c), the
 * oracle of the entry codec. */
#pragma once

#include <json-glib/json-glib.h>

#include "mdn-ledger.h"

G_BEGIN_DECLS

/* Parses an entry as a branch sends it; checks shape, not business rules. */
MdnEntry *mdn_entry_from_json (JsonObject *object,
                               GError    **error);

G_END_DECLS
