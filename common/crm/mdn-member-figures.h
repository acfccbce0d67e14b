/* mdn-member-figures.h: per-member figures (first and last visit, visits,
 * spent, deposits) in the table member_figures, kept up to date on apply
 * at every terminal and at the server, so that inactivity reminders and the
 * RFM segments never scan the history. A visit is a sale, a quick sale, a
 * timed stop or a package use; spent is what mdn-figures.c says those
 * sales charged, less what returns refunded. Every figure is a sum or a
 * min/max, so any order of arrival gives the same row. The same figures
 * (visits, spent) are kept by member and business day in member_days, for
 * member.segments {days}: a return counts on the day it was made. */
#pragma once

#include "mdn-ledger.h"

G_BEGIN_DECLS

/* What @entry adds to its member's figures (the one rule: the apply
 * hook below and the PostgreSQL server store keep their tables by it):
 * @counts FALSE when it adds nothing (no member, or a kind that is neither
 * a visit, a return nor a deposit); else whether it is a visit (first and
 * last visit move to its business day, visits + 1, and that day's visits
 * + 1) or a deposit (deposits + 1, no day row), and what it adds to spent
 * (sales less refunds; a deposit adds 0 and no day row). */
typedef struct
{
  gboolean counts;
  gboolean visit;
  gboolean deposit;
  gint64   spent_fen;
} MdnMemberFigureAdd;

gboolean mdn_member_figures_of (const MdnEntry     *entry,
                                MdnMemberFigureAdd *out,
                                GError            **error);

/* From now on @db holds back the deposits count of a member's deposits
 * after their first in a transaction (mdn_db_hold_writes: written before
 * the next statement naming member_figures, or at commit): the server's
 * SQLite store only, never a branch. */
void     mdn_member_figures_hold  (MdnDb    *db);

/* The ledger's apply hook (mdn_ledger_add_apply_hook). */
gboolean mdn_member_figures_apply (MdnDb    *db,
                                   MdnEntry *entry,
                                   GError  **error);

G_END_DECLS
