/* mdn-member-edit.h: member.update and the level in force
 * (mdn-member-edit.c). Internal to libmendian; front ends go through
 * mdn_ops_run(). */
#pragma once

#include "mdn-db.h"
#include "mdn-op.h"

G_BEGIN_DECLS

/* What the member's receipts add up to (returns taken off; never below 0)
 * and what their deposits do. */
gboolean  mdn_member_sums            (MdnDb       *db,
                                      const char  *member_id,
                                      gint64      *out_spent_fen,
                                      gint64      *out_deposited_fen,
                                      GError     **error);
/* The level in force: @assigned, or the best level whose
 * upgrade_spent_fen or upgrade_deposit_fen the member's sums reached, if
 * better; @out_reason: "assigned", "spent" or "deposited". */
char     *mdn_member_effective_level (MdnDb       *db,
                                      const char  *member_id,
                                      const char  *assigned,
                                      char       **out_reason,
                                      GError     **error);

extern const MdnOpDef   mdn_member_edit_ops[];
extern const MdnKindDef mdn_member_edit_kinds[];

G_END_DECLS
