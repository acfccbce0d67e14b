/* mdn-backoffice.h: the shop's details and the operation log
 * (mdn-backoffice.c). Internal to libmendian; front ends go through
 * mdn_ops_run(). */
#pragma once

#include "mdn-ledger.h"
#include "mdn-op.h"

G_BEGIN_DECLS

/* What a row of the operation log did, in words: an operation's title, or
 * a login, lock, unlock or switch. */
const char *mdn_oplog_title (const char *op);

extern const MdnOpDef mdn_backoffice_ops[];
extern const MdnKindDef mdn_backoffice_kinds[];

G_END_DECLS
