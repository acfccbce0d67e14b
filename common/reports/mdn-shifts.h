/* mdn-shifts.h: the shift handover (shift.preview, shift.close) and the
 * day end over the shifts (shift.list), in mdn-shifts.c. */
#pragma once

#include "mdn-ledger.h"
#include "mdn-op.h"

G_BEGIN_DECLS

/* The most of one note or coin a count may give. */
#define MDN_SHIFT_COUNT_MAX 1000000

/* The notes and coins a drawer is counted in, fen, 0-terminated. */
extern const gint64     mdn_shift_denominations[];

extern const MdnOpDef   mdn_shift_ops[];
extern const MdnKindDef mdn_shift_kinds[];

G_END_DECLS
