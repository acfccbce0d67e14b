/* mdn-member-import.h: members brought from an old system (member.import): a CSV
 * file read by mdn-csv, checked whole before anything is written, each
 * member issued with an opening entry (member.opening) for the balance,
 * bonus and points it had, and its old card number kept as an alias. */
#pragma once

#include "mdn-op.h"

G_BEGIN_DECLS

extern const MdnOpDef   mdn_member_import_ops[];
extern const MdnKindDef mdn_member_import_kinds[];

G_END_DECLS
