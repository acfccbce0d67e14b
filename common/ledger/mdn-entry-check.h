/* mdn-entry-check.h: what an entry of each kind may say (mdn-entry-check.c). */
#pragma once

#include <glib.h>

#include "mdn-types.h"

G_BEGIN_DECLS

/* The largest amount of money (fen), points or package uses one entry may
 * name or move: 10^12 (ten billion yuan). With at most a few movements per
 * member per entry, sums over a push can't come near gint64. */
#define MDN_ENTRY_AMOUNT_MAX ((gint64) 1000000000000)
/* The largest quantity of one line. */
#define MDN_ENTRY_QTY_MAX    ((gint64) 1000000)

/* Checks @entry (with its identity: id, branch, seq, at ...) against the
 * rules of its kind, using nothing but the entry: its body has the members
 * the kind needs, of their types and in range; sums add up without
 * overflow; and its movements are exactly the ones the kind and body imply
 * (a deposit moves principal by amount_fen and bonus by bonus_fen; a
 * balance tender of N moves principal + bonus by -N; ...). The branch runs
 * it before it appends an entry, the server before it applies a pushed
 * one. An amount out of range is MDN_ERROR_MONEY_OVERFLOW; anything else
 * MDN_ERROR_INVALID_ARGUMENT, the message saying what is wrong. */
gboolean mdn_entry_check (MdnEntry  *entry,
                          GError   **error);

/* Whether @text is an id as mdn_uuid7_new writes them. */
gboolean mdn_entry_id_valid (const char *text);

G_END_DECLS
