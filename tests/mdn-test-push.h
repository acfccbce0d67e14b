/* mdn-test-push.h: what the push tests share: a branch's ledger with an
 * entry of every kind (empty and zero-valued variants too), its entries as
 * pushed, mutations of them for the fuzzer and the differential test, and
 * a look at the server's database. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "mdn-test-server.h"

G_BEGIN_DECLS

/* Every entry kind the ledger knows, sorted. */
GPtrArray  *mdn_test_all_kinds          (void);
/* Runs at @b operations making an entry of every kind but
 * exception.write_off (which needs an overdraft seen at the HQ terminal),
 * with empty and zero-valued variants: a timed session stopped within its
 * free minutes ("tenders": []), sales and returns of a 0.00 product, a
 * card issued with nothing optional, a PIN removed, a rule of bonus 0 ...
 * Spending goes through the server when @b is linked. Sets MENDIAN_NOW. */
void        mdn_test_every_kind         (MdnTestBranch *b);
/* The kinds in @b's ledger (all branches' entries it holds), sorted, once each. */
GPtrArray  *mdn_test_kinds_in           (MdnTestBranch *b);
/* @b's own entries with seq in [from, to] as pushed (mdn_entry_to_json
 * with the hash), in seq order; to < 0: up to the last. */
GPtrArray  *mdn_test_own_entries        (MdnTestBranch *b,
                                         gint64         from,
                                         gint64         to);
/* {"entries": [@entries...]} as text. */
char       *mdn_test_push_text          (GPtrArray     *entries);
/* Gives @o (an entry's JSON) the hash of what it now says, if it reads as
 * an entry; returns whether it did. */
gboolean    mdn_test_rehash             (JsonObject    *o);
/* One structural mutation of @o, an entry's JSON (a number, a string, a
 * movement, a member taken away, added or retyped, nesting, a float ...);
 * what it did, for the log. */
const char *mdn_test_mutate_entry       (GRand         *rand,
                                         JsonObject    *o);
/* @text with bytes flipped, inserted, removed or repeated. */
char       *mdn_test_mutate_bytes       (GRand         *rand,
                                         const char    *text);
/* The first column of @sql's first row on the server's database (read
 * only), as text (NULL for NULL or no row). */
char       *mdn_test_server_text        (MdnTestServer *s,
                                         const char    *sql);
/* A digest of everything the server stores, to compare before and after a
 * refused push. */
char       *mdn_test_server_digest      (MdnTestServer *s);

G_END_DECLS
