/* srv-store.h: the server's storage, behind one interface so that a
 * PostgreSQL backend can take the place of the embedded SQLite one. It
 * answers with plain structs and rows (their _free functions below), never
 * reply JSON: the handlers in server/api/ build the replies. It decides
 * nothing: the push (srv-push.c) and the authorizations (srv-authorize.c)
 * hold the rules and build on the transactions and row primitives at the
 * end of this file; srv-rules.h has the decisions they share.
 *
 * The SQLite backend (srv-store-sqlite.c) keeps the branch schema (entries, movements and every
 * projection, written by mdn_ledger_apply, the same code the branches run)
 * plus the server tables of schema/server/. Every write is one transaction.
 */
#pragma once

#include <json-glib/json-glib.h>

#include "mdn-figures.h"
#include "mdn-ledger.h"
#include "mdn-report-export.h"
#include "mdn-lockout.h"
#include "mdn-stock.h"

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
  SRV_ERROR_NOT_SUPPORTED,      /* 501 not_supported: not on this store (PostgreSQL) yet */
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

const char *srv_store_get_timezone  (SrvStore    *store);

SrvStore  *srv_store_open           (const char  *path,
                                     gboolean     create,
                                     GError     **error);
/* PostgreSQL: the summary, the metrics, reports, stock and the console's
 * page reads from @uri, a replica of the store's database (serve
 * --report-dsn; docs/server.md says what may be stale). */
gboolean   srv_store_set_report_dsn (SrvStore    *store,
                                     const char  *uri,
                                     GError     **error);
void       srv_store_free           (SrvStore    *store);
/* Whether @path is a libpq URI (postgresql://, postgres://): the
 * PostgreSQL store (srv-store-pg.c); anything else is a SQLite file. */
gboolean   srv_store_is_pg_uri      (const char  *path);
gboolean   srv_store_is_pg          (SrvStore    *store);
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
/* The feed's epoch: a random name the database gets at init, at the first
 * serve of a database that has none, and again when it is marked as
 * restored from a backup (srv_store_feed_epoch_renew), since a restored
 * database may give out feed positions its branches have seen already.
 * A branch that sees another epoch pulls the feed again from 0 (docs/server.md,
 * "Backup and restore"). NULL: none yet. */
char      *srv_store_feed_epoch_dup (SrvStore    *store);
/* SQLite: a consistent copy of the database into the new file @path while
 * it serves (the online backup API). PostgreSQL: refused (pg_dump). */
gboolean   srv_store_backup         (SrvStore    *store,
                                     const char  *path,
                                     GError     **error);
/* A new epoch; @only_if_missing: only for a database that has none. */
gboolean   srv_store_feed_epoch_renew (SrvStore  *store,
                                     gboolean    only_if_missing,
                                     GError     **error);
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
/* At most @limit (clamped to 1..1000) rows after position @after of the
 * feed of @branch: every shared entry, and the entries addressed to it. */
SrvFeedPage *srv_store_feed         (SrvStore    *store,
                                     const char  *branch,
                                     gint64       after,
                                     gint64       limit,
                                     GError     **error);
gint64     srv_store_feed_head      (SrvStore    *store);
/* Calls @moved (on the thread-default main context) whenever another
 * server process on the same database moved the feed: PostgreSQL's
 * LISTEN/NOTIFY. SQLite has one process: it never calls. */
typedef void (*SrvFeedMoved) (gpointer user_data);
gboolean   srv_store_watch_feed     (SrvStore    *store,
                                     SrvFeedMoved moved,
                                     gpointer     user_data,
                                     GError     **error);

/* Stock (mdn-stock.h): every branch's stock, one MdnStockRow per branch and
 * sku, filtered by each of @sku, @category and @branch that is not NULL;
 * and the transfers from or to @branch (any, if NULL) of @status. */
GArray    *srv_store_stock          (SrvStore    *store,
                                     const char  *sku,
                                     const char  *category,
                                     const char  *branch,
                                     GError     **error);
GPtrArray *srv_store_transfers      (SrvStore    *store,
                                     const char  *branch,
                                     const char  *status,
                                     GError     **error);

/* Why a PIN was refused (srv_authorize). */
typedef struct
{
  gint64 attempts_left;   /* wrong_pin: before the card locks */
  gint64 locked_until;    /* pin_locked: unix seconds */
} SrvPinRefusal;

/* A spend authorization (srv_authorize, srv-authorize.h). */
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
  char    *detail;        /* srv_store_authorization_get: a card's number, a return's lines; or NULL */
} SrvAuthorization;

void       srv_authorization_free   (SrvAuthorization *auth);

/* Wrong PINs a branch checked offline, for one member. */
typedef struct
{
  const char *member_id;
  gint64      count;     /* 1 to 100 */
} SrvPinFailure;

#define SRV_MAX_PIN_FAILURES 500   /* in one report */

/* A card or return authorization granted (srv_authorize_card,
 * srv_authorize_return). */
typedef struct
{
  char    *auth_id;
  char    *kind;        /* card or return */
  char    *item;        /* the card op, or the sale's entry id */
  gint64   amount;      /* a card op's rev; a return's refund_fen */
  gboolean duplicate;   /* the same auth_id again: the first answer */
} SrvGrant;

void       srv_grant_free           (SrvGrant    *grant);

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
/* Report @def over the chain's database (query->branch NULL: every
 * branch) into the file @path, in one read transaction (mdn-report.h). */
gboolean   srv_store_report         (SrvStore                     *store,
                                     const MdnReportDef           *def,
                                     const MdnReportQuery         *query,
                                     MdnReportFormat               format,
                                     const char                   *path,
                                     const MdnReportExportOptions *options,
                                     gint64                       *n_rows,
                                     GError                      **error);
gboolean   srv_store_metrics        (SrvStore    *store,
                                     GString     *out,
                                     GError     **error);

/* The primitives the rules above the store build on (srv-push.c): each
 * reads or writes rows and decides nothing. They run inside a transaction
 * the caller opens with srv_store_begin and ends with srv_store_commit or
 * srv_store_rollback; a FALSE return has set @error, and the caller rolls
 * back. */
gboolean   srv_store_begin          (SrvStore    *store,
                                     gboolean     write,
                                     GError     **error);
gboolean   srv_store_commit         (SrvStore    *store,
                                     GError     **error);
void       srv_store_rollback       (SrvStore    *store);

/* NULL for an unknown branch. */
SrvBranch *srv_store_branch_get     (SrvStore    *store,
                                     const char  *code);
/* The branch's high-water mark after a push (@at: ISO time). */
gboolean   srv_store_branch_advance (SrvStore    *store,
                                     const char  *code,
                                     gint64       acked_seq,
                                     const char  *last_hash,
                                     const char  *at,
                                     GError     **error);

/* A storage hint, in the push's transaction before its entries are
 * checked: the store may read at once, for every entry of @entries, what
 * the push asks of each (whether its id, receipt number or (branch, seq)
 * is taken), and hold the push's writes back until a read that could see
 * them or the commit (PostgreSQL: one round trip per batch, not per row;
 * a write held back that fails makes the commit fail, nothing stored). It
 * decides nothing; SQLite ignores it. */
gboolean   srv_store_push_prepare   (SrvStore    *store,
                                     const char  *branch_code,
                                     GPtrArray   *entries,
                                     GError     **error);
/* A hint before serving: the store may make now what it would otherwise
 * make in the first request that needs it (PostgreSQL: the branch schema
 * in memory that card checks and the SMS rules' settings project into,
 * about 10 ms each). Decides nothing; SQLite ignores it. */
void       srv_store_warm_up        (SrvStore    *store);
/* The hash of the entry @branch#@seq the server holds; *@out_hash NULL
 * when it holds none. */
gboolean   srv_store_entry_hash     (SrvStore    *store,
                                     const char  *branch,
                                     gint64       seq,
                                     char       **out_hash,
                                     GError     **error);
/* Stores @entry and projects it (mdn_ledger_apply, the branches' apply
 * path): the error is the apply's own. */
gboolean   srv_store_entry_apply    (SrvStore    *store,
                                     MdnEntry    *entry,
                                     GError     **error);
/* Stores a branch's private entry, projecting only its stock (head
 * office's view of every branch's stock). */
gboolean   srv_store_entry_keep     (SrvStore    *store,
                                     MdnEntry    *entry,
                                     GError     **error);
gboolean   srv_store_feed_append    (SrvStore    *store,
                                     const char  *entry_id,
                                     GError     **error);
/* The same, in the feed of @to_branch only (an MDN_KIND_ADDRESSED entry);
 * NULL: every branch's. */
gboolean   srv_store_feed_append_to (SrvStore    *store,
                                     const char  *entry_id,
                                     const char  *to_branch,
                                     GError     **error);
/* MDN_ERROR_UNKNOWN_ENTRY for an entry the server doesn't hold. */
MdnEntry  *srv_store_entry_load     (SrvStore    *store,
                                     const char  *entry_id,
                                     GError     **error);

/* Where the entry with an id is, if the server holds one. */
typedef struct
{
  gboolean found;
  char    *branch;
  gint64   seq;
  char    *kind;
} SrvEntryRef;

void       srv_entry_ref_clear      (SrvEntryRef *ref);
gboolean   srv_store_entry_ref      (SrvStore    *store,
                                     const char  *entry_id,
                                     SrvEntryRef *out,
                                     GError     **error);
/* The entry holding receipt number @receipt_no; NULL when none does. */
gboolean   srv_store_receipt_entry  (SrvStore    *store,
                                     const char  *receipt_no,
                                     char       **out_entry_id,
                                     GError     **error);
gboolean   srv_store_member_exists  (SrvStore    *store,
                                     const char  *member_id,
                                     gboolean    *out_found,
                                     GError     **error);
/* Whether a card was ever given number @card_no. */
gboolean   srv_store_card_taken     (SrvStore    *store,
                                     const char  *card_no,
                                     gboolean    *out_taken,
                                     GError     **error);

/* A member's projected accounts. */
typedef struct
{
  gint64 principal;
  gint64 bonus;
  gint64 points;
} SrvAccounts;

gboolean   srv_store_member_accounts (SrvStore   *store,
                                     const char  *member_id,
                                     gboolean    *out_found,
                                     SrvAccounts *out,
                                     GError     **error);
/* The member's package services used beyond their lots, [{sku, owed}]
 * (mdn_package_overdrawn). */
JsonArray *srv_store_package_overdrawn (SrvStore *store,
                                     const char  *member_id,
                                     GError     **error);
/* Whether each of the member's accounts and package counts is an integer
 * within ±@bound (*@out_ok). */
gboolean   srv_store_accounts_bounded (SrvStore  *store,
                                     const char  *member_id,
                                     gint64       bound,
                                     gboolean    *out_ok,
                                     GError     **error);
/* A shared sale's total and what its returns gave back so far
 * (mdn_sale_refunded); MDN_ERROR_UNKNOWN_ENTRY for a sale not shared. */
gboolean   srv_store_sale_refunded  (SrvStore    *store,
                                     const char  *sale_id,
                                     gint64      *out_total,
                                     gint64      *out_refunded,
                                     GError     **error);
/* The member's card conflicts as the fold over every state entry sees
 * them now: MdnCardConflict (mdn_member_card_conflicts). */
GPtrArray *srv_store_card_conflicts (SrvStore    *store,
                                     const char  *member_id,
                                     GError     **error);

/* Exceptions. The members with an open overdraft, by id (the holds). */
GStrv      srv_store_holds          (SrvStore    *store,
                                     GError     **error);
/* The member's open overdrafts: SrvException with id, account and item
 * filled in. */
GPtrArray *srv_store_open_overdrafts (SrvStore   *store,
                                     const char  *member_id,
                                     GError     **error);
/* A new exception from @x's kind, member_id, entry_id, branch, account,
 * item, amount, status, found_at, sale_entry and detail. */
gboolean   srv_store_exception_add  (SrvStore    *store,
                                     const SrvException *x,
                                     GError     **error);
gboolean   srv_store_exception_set_amount (SrvStore *store,
                                     gint64       id,
                                     gint64       amount,
                                     GError     **error);
/* Settled at @at by the entry @settled_by. */
gboolean   srv_store_exception_settle (SrvStore  *store,
                                     gint64       id,
                                     const char  *at,
                                     const char  *settled_by,
                                     GError     **error);
/* Settles every open exception of @kind on the sale @sale_entry. */
gboolean   srv_store_exceptions_settle_sale (SrvStore *store,
                                     const char  *kind,
                                     const char  *sale_entry,
                                     const char  *at,
                                     const char  *settled_by,
                                     GError     **error);
/* The entries the member's exceptions of @kind name, any status. */
GStrv      srv_store_exception_entries (SrvStore *store,
                                     const char  *member_id,
                                     const char  *kind,
                                     GError     **error);
gboolean   srv_store_exception_remove (SrvStore  *store,
                                     const char  *member_id,
                                     const char  *kind,
                                     const char  *entry_id,
                                     GError     **error);

/* Rollups: a branch-day's figures (all zero before its first entry), and
 * its row written back whole. */
gboolean   srv_store_rollup_get     (SrvStore    *store,
                                     const char  *branch,
                                     const char  *business_date,
                                     MdnFigures  *out,
                                     GError     **error);
gboolean   srv_store_rollup_put     (SrvStore    *store,
                                     const char  *branch,
                                     const char  *business_date,
                                     const MdnFigures *day,
                                     GError     **error);

/* Authorizations. NULL, with @error untouched, for an unknown @auth_id. */
SrvAuthorization *srv_store_authorization_get (SrvStore *store,
                                     const char  *auth_id,
                                     GError     **error);
/* The entry @entry_id used the authorization (if it wasn't used before). */
gboolean   srv_store_authorization_use (SrvStore *store,
                                     const char  *auth_id,
                                     const char  *entry_id,
                                     GError     **error);

/* Authorizations held (status 'held') of @kind for @member_id and @item
 * (NULL: any), SrvAuthorization with detail, by amount then age. */
GPtrArray *srv_store_authorizations_held (SrvStore *store,
                                     const char  *member_id,
                                     const char  *kind,
                                     const char  *item,
                                     GError     **error);
/* The member's holds whose expires_at is at or before @now become
 * 'released'. */
gboolean   srv_store_authorizations_release_expired (SrvStore *store,
                                     const char  *member_id,
                                     gint64       now,
                                     GError     **error);
/* A new authorization from @auth's auth_id, member_id, branch, kind, item,
 * amount, status, expires_at and detail, made at @created_at. */
gboolean   srv_store_authorization_hold (SrvStore *store,
                                     const SrvAuthorization *auth,
                                     const char  *created_at,
                                     GError     **error);

/* Members, for the authorizations (srv-authorize.c). The business date's
 * time zone of the chain. */
const char *srv_store_timezone      (SrvStore    *store);
/* What the member can use of a package service on @date, net across its
 * lots (mdn_package_available). */
gboolean   srv_store_package_available (SrvStore *store,
                                     const char  *member_id,
                                     const char  *item,
                                     const char  *date,
                                     gint64      *out,
                                     GError     **error);
/* The card's PIN hash ("" or NULL: no PIN); SRV_ERROR_NOT_FOUND for an
 * unknown member. */
gboolean   srv_store_member_pin_hash (SrvStore   *store,
                                     const char  *member_id,
                                     char       **out_hash,
                                     GError     **error);
/* mdn_pin_verify over the chain-wide count of wrong PINs. */
gboolean   srv_store_pin_verify     (SrvStore    *store,
                                     const char  *member_id,
                                     const char  *pin_hash,
                                     const char  *pin,
                                     gint64       now,
                                     gboolean    *out_wrong,
                                     GError     **error);
/* The card's PIN lockout now, and @count wrong PINs added to it. */
gboolean   srv_store_pin_lockout    (SrvStore    *store,
                                     const char  *member_id,
                                     gint64       now,
                                     MdnLockout  *out,
                                     GError     **error);
/* Wrong PINs in a row that lock a card (member.pin_lockout_attempts). */
gint64     srv_store_pin_max_failures (SrvStore  *store);
gboolean   srv_store_pin_fail       (SrvStore    *store,
                                     const char  *member_id,
                                     gint64       now,
                                     gint64       count,
                                     MdnLockout  *out_after,
                                     GError     **error);
/* Every PIN locked at @now, SrvPinLock by member id. */
GPtrArray *srv_store_pin_locks      (SrvStore    *store,
                                     gint64       now,
                                     GError     **error);
/* The member's card now; *@out_card_no NULL for an unknown member. */
gboolean   srv_store_member_card    (SrvStore    *store,
                                     const char  *member_id,
                                     char       **out_card_no,
                                     gboolean    *out_lost,
                                     GError     **error);
/* The highest rev of the member's state entries (mdn_member_state_rev);
 * -1 on error. */
gint64     srv_store_member_state_rev (SrvStore  *store,
                                     const char  *member_id,
                                     GError     **error);
/* The member a shared sale was made to; NULL when the chain holds no sale
 * @sale_id with a card. */
gboolean   srv_store_sale_member    (SrvStore    *store,
                                     const char  *sale_id,
                                     char       **out_member_id,
                                     GError     **error);
/* The branches' return rule (mdn_sale_return_check) over the returns this
 * store holds, less what live authorizations hold (MdnSaleLineRequest
 * arrays, mdn-sales.h). */
gboolean   srv_store_return_check   (SrvStore    *store,
                                     const char  *sale_id,
                                     gint64       refund_fen,
                                     GArray      *lines,
                                     gint64       held_refund,
                                     GArray      *held_lines,
                                     GArray      *held_uses,
                                     GError     **error);

/* The back office: every branch's operation log, and a branch's own
 * entries for its recovery. */
typedef struct
{
  gint64      id;        /* the branch's row id */
  const char *at;
  const char *staff;
  const char *op;
  gboolean    ok;
  const char *detail;
  const char *terminal;
  const char *entry_id;
  const char *branch;    /* srv_store_oplog_list: the row's branch */
} SrvOplogRow;

/* Stores @n rows of @branch_code's log (a row held already is left);
 * @out_stored: how many were new. */
gboolean   srv_store_oplog_add      (SrvStore    *store,
                                     const char  *branch_code,
                                     const SrvOplogRow *rows,
                                     guint        n,
                                     gint64      *out_stored,
                                     GError     **error);
/* Rows newest first (by at, then branch, then id from the highest),
 * filtered (NULL: any), from the one after row (@before_branch,
 * @before_id) in that order (@before_branch NULL: from the newest); a
 * GPtrArray of SrvOplogRow with its strings owned by the array (free with
 * g_ptr_array_unref). */
GPtrArray *srv_store_oplog_list     (SrvStore    *store,
                                     const char  *branch_code,
                                     const char  *from,
                                     const char  *to,
                                     const char  *staff,
                                     const char  *op,
                                     gint64       limit,
                                     const char  *before_branch,
                                     gint64       before_id,
                                     GError     **error);
/* @branch_code's own entries with seq > @after, by seq, at most @limit
 * (MdnEntry); @out_more when there are more. */
GPtrArray *srv_store_own_entries    (SrvStore    *store,
                                     const char  *branch_code,
                                     gint64       after,
                                     gint64       limit,
                                     gboolean    *out_more,
                                     GError     **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvStore, srv_store_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvBranch, srv_branch_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvBranchInfo, srv_branch_info_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvState, srv_state_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvFeedPage, srv_feed_page_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvSummary, srv_summary_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvAuthorization, srv_authorization_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvGrant, srv_grant_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvException, srv_exception_free)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (SrvEntryRef, srv_entry_ref_clear)

G_END_DECLS
