/* bench-util.h: what several benchmarks share. */
#pragma once

#include "mdn-store.h"

/* Writes @n members (cards 1..n of branch 1, phones 139xxxxxxxx, principal
 * i fen) straight into the projection tables, inside the caller's
 * transaction: lookups only read projections, and a million entries
 * through the ledger would only make the set-up slower. */
void bench_add_members (MdnStore *store,
                        int       n);
