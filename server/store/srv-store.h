/* srv-store.h: the server's storage, behind one interface so that a
 * PostgreSQL backend can take the place of the embedded SQLite one. It
 * answers with plain structs and rows (their _free functions below), never
 * reply JSON: the handlers in server/api/ build the replies. The decisions
 * it applies are srv-rules.h's, shared by every backend.
 *
 * The SQLite backend (srv-store-sqlite.c) keeps the branch schema (entries, movements and every
 * projection, written by mdn_ledger_apply, the same code the branches run)
 * plus the server tables of schema/server/. Every write is one transaction.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "mdn-figures.h"
#include "mdn-ledger.h"

G_BEGIN_DECLS

#define SRV_ERROR (srv_error_quark ())
GQuark srv_error_quark (void);

/* Each code has a stable name (srv_error_code_name) sent to clients. */
typedef enum {
  SRV_ERROR_INVALID,            /* 400 invalid_request */
  SRV_ERROR_UNAUTHORIZED,       /* 401 unauthorized */
  SRV_ERROR_FORBIDDEN,          /* 403 forbidden */
  SRV_ERROR_WRONG_BRANCH,       /* 403 wrong_branch */
  SRV_ERROR_NOT_FOUND,          /* 404 not_found */
  SRV_ERROR_CONFLICTING_ENTRY,  /* 409 conflicting_entry */
  SRV_ERROR_SEQUENCE_GAP,       /* 409 sequence_gap */
  SRV_ERROR_BROKEN_CHAIN,       /* 409 broken_chain */
  SRV_ERROR_BAD_HASH,           /* 400 bad_hash */
  SRV_ERROR_APPLY_FAILED,       /* 422 apply_failed */
  SRV_ERROR_DUPLICATE,          /* 409 duplicate */
  SRV_ERROR_INSUFFICIENT,       /* 409 insufficient_balance */
  SRV_ERROR_INTERNAL,           /* 500 internal */
  SRV_ERROR_REFUSED_ENTRY,      /* 422 refused_entry: fails its kind's check or takes what isn't its */
} SrvErrorCode;

const char *srv_error_code_name (const GError *error);

typedef struct _SrvStore SrvStore;

typedef struct
{
  char    *code;
  char    *name;
  gint64   number;
  gboolean hq;
  gint64   acked_seq;
  char    *last_hash;
} SrvBranch;

typedef struct
{
  gint64 acked_seq;
  gint64 applied;        /* new entries stored */
  gint64 duplicates;     /* entries the server already held */
  gint64 feed_position;  /* head of the feed after the push */
  gint64 expected_seq;   /* with SRV_ERROR_SEQUENCE_GAP */
  gint64 failed_seq;     /* the entry refused, when one was */
} SrvPushResult;

/* For server/notify/srv-sms.c, whose outbox lives in the SQLite file (a
 * PostgreSQL backend would need it behind this interface). */
MdnDb     *srv_store_get_db         (SrvStore    *store);
const char *srv_store_get_timezone  (SrvStore    *store);

SrvStore  *srv_store_open           (const char  *path,
                                     gboolean     create,
                                     GError     **error);
void       srv_store_free           (SrvStore    *store);
char      *srv_store_chain_key_dup  (SrvStore    *store);

/* Administration (the mendian-server command line). Tokens are returned
 * once; only their SHA-256 is stored. */
char      *srv_store_branch_add     (SrvStore    *store,
                                     const char  *code,
                                     const char  *name,
                                     gint64       number,
                                     gboolean     hq,
                                     GError     **error);
gboolean   srv_store_branch_revoke  (SrvStore    *store,
                                     const char  *code,
                                     GError     **error);
char      *srv_store_branch_rotate  (SrvStore    *store,
                                     const char  *code,
                                     GError     **error);
/* A row of srv_store_branch_list. */
typedef struct
{
  char    *code;
  char    *name;
  gint64   number;
  gboolean hq;
  gboolean revoked;
  gint64   acked_seq;
  char    *last_push_at;   /* NULL before the first push */
} SrvBranchInfo;

void       srv_branch_info_free     (SrvBranchInfo *info);
/* Every branch by code: a GPtrArray of SrvBranchInfo. */
GPtrArray *srv_store_branch_list    (SrvStore    *store,
                                     GError     **error);
char      *srv_store_token_add      (SrvStore    *store,
                                     const char  *name,
                                     const char  *role,
                                     GError     **error);

/* Authentication: NULL / FALSE for an unknown or revoked token. */
SrvBranch *srv_store_auth_branch    (SrvStore    *store,
                                     const char  *token);
gboolean   srv_store_auth_hq        (SrvStore    *store,
                                     const char  *token);
void       srv_branch_free          (SrvBranch   *branch);

/* Sync. @entries are MdnEntry, in seq order, all of @branch. */
gboolean   srv_store_push           (SrvStore    *store,
                                     const char  *branch_code,
                                     GPtrArray   *entries,
                                     SrvPushResult *result,
                                     GError     **error);
/* A card whose PIN is locked chain-wide. */
typedef struct
{
  char  *member_id;
  gint64 locked_until;   /* unix seconds */
} SrvPinLock;

void       srv_pin_lock_free        (SrvPinLock  *lock);

/* What a branch learns of itself and the chain (srv_store_state). */
typedef struct
{
  char      *branch;
  gboolean   hq;
  gint64     acked_seq;
  char      *last_hash;
  gint64     feed_position;  /* head of the feed */
  GStrv      holds;          /* members with an open overdraft, by id */
  GPtrArray *pin_locks;      /* SrvPinLock, locked now, by member id */
  char      *chain_key;      /* hex, in the one answer that hands it; else NULL */
  gboolean   chain_key_ok;   /* the branch proved it holds the key */
} SrvState;

void       srv_state_free           (SrvState    *state);
/* @key_id: mdn_chain_key_id of the key the branch holds, or NULL. */
SrvState  *srv_store_state          (SrvStore    *store,
                                     const char  *branch_code,
                                     const char  *key_id,
                                     GError     **error);
/* A row of the chain-wide feed. */
typedef struct
{
  gint64    position;
  MdnEntry *entry;
} SrvFeedRow;

/* A page of the feed (srv_store_feed). */
typedef struct
{
  gint64     after;
  GPtrArray *rows;           /* SrvFeedRow, by position */
  GStrv      holds;          /* members with an open overdraft, by id */
  gint64     feed_position;  /* the last position read (a damaged row is skipped) */
  gint64     head;
  gboolean   more;           /* feed_position < head */
} SrvFeedPage;

void       srv_feed_page_free       (SrvFeedPage *page);
/* At most @limit (clamped to 1..1000) rows after position @after. */
SrvFeedPage *srv_store_feed         (SrvStore    *store,
                                     gint64       after,
                                     gint64       limit,
                                     GError     **error);
gint64     srv_store_feed_head      (SrvStore    *store);

/* Members. An authorization not used by a sale entry within @seconds
 * (default 600) is released. */
void       srv_store_set_auth_ttl   (gint64       seconds);
/* Members. A balance authorization of a card with a PIN needs @pin:
 * pin_required, wrong_pin or pin_locked (MDN_ERROR) otherwise, with
 * @refusal (may be NULL) filled in. */
typedef struct
{
  gint64 attempts_left;   /* wrong_pin: before the card locks */
  gint64 locked_until;    /* pin_locked: unix seconds */
} SrvPinRefusal;

/* A spend authorization (srv_store_authorize). */
typedef struct
{
  char    *auth_id;
  char    *member_id;
  char    *branch;
  char    *kind;          /* balance, points or package */
  char    *item;          /* "" unless a package */
  gint64   amount;
  char    *status;        /* held, used, released */
  gint64   expires_at;    /* unix seconds */
  gboolean duplicate;     /* the same auth_id again: the first answer */
  gboolean pin_checked;   /* a new one: the card's PIN was checked */
  gint64   available;     /* a new one: what remains chain-wide */
} SrvAuthorization;

void       srv_authorization_free   (SrvAuthorization *auth);

SrvAuthorization *srv_store_authorize (SrvStore  *store,
                                     const char  *branch_code,
                                     const char  *member_id,
                                     const char  *auth_id,
                                     const char  *kind,
                                     const char  *item,
                                     gint64       amount,
                                     const char  *pin,
                                     SrvPinRefusal *refusal,
                                     GError     **error);
/* Wrong PINs a branch checked offline, for one member. */
typedef struct
{
  const char *member_id;
  gint64      count;     /* 1 to 100 */
} SrvPinFailure;

#define SRV_MAX_PIN_FAILURES 500   /* in one report */

/* Adds @failures to the chain-wide counts (*@counted: how many wrong PINs
 * were counted, unknown members are skipped) and returns every PIN lock
 * now, SrvPinLock. */
GPtrArray *srv_store_pin_failures   (SrvStore            *store,
                                     const SrvPinFailure *failures,
                                     guint                n_failures,
                                     gint64              *counted,
                                     GError             **error);
/* A card or return authorization granted (srv_store_authorize_card,
 * srv_store_authorize_return). */
typedef struct
{
  char    *auth_id;
  char    *kind;        /* card or return */
  char    *item;        /* the card op, or the sale's entry id */
  gint64   amount;      /* a card op's rev; a return's refund_fen */
  gboolean duplicate;   /* the same auth_id again: the first answer */
} SrvGrant;

void       srv_grant_free           (SrvGrant    *grant);

SrvGrant  *srv_store_authorize_card (SrvStore    *store,
                                     const char  *branch_code,
                                     const char  *member_id,
                                     const char  *auth_id,
                                     const char  *op,
                                     const char  *card_no,
                                     gint64       rev,
                                     GError     **error);
SrvGrant  *srv_store_authorize_return (SrvStore *store,
                                     const char  *branch_code,
                                     const char  *sale_id,
                                     const char  *auth_id,
                                     gint64       refund_fen,
                                     JsonArray   *lines,
                                     GError     **error);
/* A member exception head office settles (srv_store_exceptions). Text
 * fields that may be missing are NULL. */
typedef struct
{
  gint64  id;
  char   *kind;             /* overdraft, ... */
  char   *item;             /* NULL when the exception has none */
  char   *sale_entry;
  char   *sale_receipt_no;  /* the sale's receipt, with sale_entry */
  char   *detail;           /* a JSON object's text, or NULL */
  char   *member_id;
  char   *card_no;
  char   *entry_id;
  char   *branch;
  char   *account;
  gint64  amount;
  char   *status;           /* open, settled or noted */
  char   *found_at;
  char   *settled_at;       /* NULL while open */
  char   *settled_by;       /* the entry that cleared it */
  char   *settled_by_kind;  /* exception.write_off, member.deposit, ... */
} SrvException;

void       srv_exception_free       (SrvException *exception);
/* Exceptions by id, of @status (open, settled, noted) or all with NULL:
 * a GPtrArray of SrvException. */
GPtrArray *srv_store_exceptions     (SrvStore    *store,
                                     const char  *status,
                                     GError     **error);

/* Reports. One branch's (or the chain's) line of the summary: flows over
 * the period, stored-value liability at its end. */
typedef struct
{
  char       *branch;      /* NULL for the chain */
  MdnFigures  flows;
  gint64      principal;   /* liability at the end of the period */
  gint64      bonus;       /* principal + bonus fits in a gint64 */
} SrvSummaryRow;

typedef struct
{
  GPtrArray     *branches;   /* SrvSummaryRow, by code */
  SrvSummaryRow  chain;
} SrvSummary;

void       srv_summary_free         (SrvSummary  *summary);
/* @from, @to: YYYY-MM-DD; @branch_code: one branch or NULL for all. */
SrvSummary *srv_store_summary       (SrvStore    *store,
                                     const char  *from,
                                     const char  *to,
                                     const char  *branch_code,
                                     GError     **error);
gboolean   srv_store_metrics        (SrvStore    *store,
                                     GString     *out,
                                     GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvStore, srv_store_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvBranch, srv_branch_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvBranchInfo, srv_branch_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvState, srv_state_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvFeedPage, srv_feed_page_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvSummary, srv_summary_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvAuthorization, srv_authorization_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvGrant, srv_grant_free)

G_END_DECLS
