/* srv-push.h: a branch's push, checked and applied above the storage
 * interface: the rules the server holds a pushed entry to, the feed, the
 * overdraft and card exceptions a push opens or settles, and the rollups
 * it adds to, all in one store transaction (srv-store.h's primitives). */
#pragma once

#include "srv-store.h"

G_BEGIN_DECLS

typedef struct
{
  gint64 acked_seq;
  gint64 applied;        /* new entries stored */
  gint64 duplicates;     /* entries the server already held */
  gint64 feed_position;  /* head of the feed after the push */
  gint64 expected_seq;   /* with SRV_ERROR_SEQUENCE_GAP */
  gint64 failed_seq;     /* the entry refused, when one was */
} SrvPushResult;

/* Stores a batch of @branch_code's entries, MdnEntry in seq order,
 * idempotently, in one transaction: entries the server holds with the same
 * hash are no-ops; the same seq with another hash, a gap, a broken chain,
 * an entry of another branch or one the rules refuse refuse the whole
 * batch. */
gboolean   srv_push                 (SrvStore      *store,
                                     const char    *branch_code,
                                     GPtrArray     *entries,
                                     SrvPushResult *result,
                                     GError       **error);

G_END_DECLS
