/* mdn-ledger.h: immutable entries, their movements, and the one apply path
 * that turns them into projections (balances, points, package uses, stock,
 * member state, master data).
 *
 * Applying the same set of entries in any causal order gives the same
 * projections: balances, points, package lots and stock are sums of
 * movements, and a member's card state is re-derived from the member's
 * state entries in one total order (see mdn-members.c, "Member state").
 *
 * An entry's hash is SHA-256 over its canonical JSON without "hash"
 * (mdn_entry_codec_write, the one writer), which includes prev_hash and
 * the movements, so editing, removing or reordering any row is detected by
 * mdn_ledger_verify().
 */
#pragma once

#include <json-glib/json-glib.h>

#include "mdn-db.h"
#include "mdn-types.h"

G_BEGIN_DECLS

#define MDN_GENESIS_HASH "0000000000000000000000000000000000000000000000000000000000000000"

typedef struct
{
  char  *member_id;    /* NULL for stock */
  char  *account;      /* principal | bonus | points | package | stock */
  char  *item;         /* sku for package and stock, "" otherwise */
  char  *lot;          /* package lot: the entry that bought the uses */
  char  *expires_on;   /* package lot expiry, or NULL */
  gint64 delta;
} MdnMovement;

struct _MdnEntry
{
  char       *id;
  char       *branch;
  gint64      seq;
  char       *kind;
  char       *at;
  char       *business_date;
  char       *staff;
  char       *member_id;
  JsonObject *body;
  GArray     *movements;   /* of MdnMovement */
  char       *prev_hash;
  char       *hash;
  char       *canonical_body;  /* cache: the body's canonical JSON, set by
                                * mdn_entry_compute_hash; apply stores it */
  char       *canonical;       /* cache: the text the hash was computed over
                                * (mdn_entry_compute_hash), and where its
                                * "hash" member would go */
  gsize       canonical_hash_at;
};

MdnEntry   *mdn_entry_new           (const char  *kind,
                                     const char  *member_id);
void        mdn_entry_free          (MdnEntry    *entry);
void        mdn_entry_add_movement  (MdnEntry    *entry,
                                     const char  *member_id,
                                     const char  *account,
                                     const char  *item,
                                     const char  *lot,
                                     const char  *expires_on,
                                     gint64       delta);
JsonObject *mdn_entry_to_json       (MdnEntry    *entry,
                                     gboolean     with_hash);
char       *mdn_entry_compute_hash  (MdnEntry    *entry);
MdnEntry   *mdn_entry_load          (MdnDb       *db,
                                     const char  *entry_id,
                                     GError     **error);

gboolean    mdn_ledger_append       (MdnStore    *store,
                                     MdnOpCtx    *ctx,
                                     MdnEntry    *entry,
                                     GError     **error);
gboolean    mdn_ledger_store        (MdnDb       *db,
                                     MdnEntry    *entry,
                                     GError     **error);
gboolean    mdn_ledger_apply        (MdnDb       *db,
                                     MdnEntry    *entry,
                                     GError     **error);
/* From now on @db holds back the members' balance UPDATEs of
 * mdn_ledger_apply (mdn_db_hold_writes): a member's first in a
 * transaction is made at once (it finds the row, or the entry is refused
 * as before), later ones add up in memory until a statement names
 * `members` or the transaction commits. Same rows, same values for every
 * reader; the server's SQLite store only, never a branch. */
void        mdn_ledger_hold_balances (MdnDb      *db);
/* The same for the movement rows mdn_ledger_store writes: held until a
 * statement names `movements` or the transaction commits, then written 50
 * to an insert (same rows). A row one of the table's constraints could
 * refuse (an unknown account, no item or lot) goes in at once, as before. */
void        mdn_ledger_hold_movements (MdnDb     *db);
/* Stores the entry and projects only its stock movements: what the server
 * does with a branch-local entry, so that it holds every branch's stock. */
gboolean    mdn_ledger_apply_stock  (MdnDb       *db,
                                     MdnEntry    *entry,
                                     GError     **error);

/* Apply functions for an entry kind's non-movement state. */
typedef gboolean (*MdnApplyFunc) (MdnDb *db, MdnEntry *entry, GError **error);

typedef enum {
  MDN_KIND_MASTER = 1 << 0,   /* master data: written at the head-office
                                 terminal (its operation is MDN_OP_HQ) */
  MDN_KIND_ADDRESSED = 1 << 1, /* addressed to one branch: the body's
                                  "deliver_to" names it; the server applies
                                  it and its feed gives it to that branch
                                  only (a stock transfer) */
} MdnKindFlags;

typedef struct
{
  const char  *kind;
  MdnApplyFunc apply;      /* NULL: movements only */
  MdnKindFlags flags;
} MdnKindDef;

/* Each family's NULL-terminated kind table is registered once, by the
 * operation registry (mdn_library_init); the ledger names no family. */
void              mdn_ledger_register_kinds (const MdnKindDef *table);
const MdnKindDef *mdn_ledger_lookup_kind (const char *kind);
gboolean          mdn_ledger_kind_is_master (const char *kind);
/* A function run after every entry's apply, whatever its kind (per-member
 * figures, crm/mdn-member-figures.c), registered once at start by
 * mdn_library_init like the kind tables. */
void              mdn_ledger_add_apply_hook (MdnApplyFunc hook);
gboolean          mdn_entry_is_shared    (MdnEntry *entry);
/* The branch an MDN_KIND_ADDRESSED entry is delivered to (its body's
 * "deliver_to"); NULL for an entry of any other kind. */
const char       *mdn_entry_addressee    (MdnEntry *entry);
/* For apply functions: an entry that lacks what its kind needs. */
gboolean          mdn_entry_malformed    (MdnEntry    *entry,
                                          const char  *what,
                                          GError     **error);

typedef void (*MdnVerifyFunc) (const char *what,
                               const char *expected,
                               const char *found,
                               gpointer    user_data);

gboolean    mdn_ledger_verify       (MdnStore     *store,
                                     MdnVerifyFunc report,
                                     gpointer      user_data,
                                     guint        *n_mismatches,
                                     GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MdnEntry, mdn_entry_free)

G_END_DECLS
