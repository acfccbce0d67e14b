/* mdn-store.h: a branch's ledger database with its identity (code, number,
 * time zone, chain key). Every front end opens one of these. */
#pragma once

#include <glib.h>

#include "mdn-db.h"
#include "mdn-types.h"

G_BEGIN_DECLS

#define MDN_CHAIN_KEY_LEN 32

struct _MdnStore
{
  MdnDb    *db;
  char     *branch_code;
  char     *branch_name;
  int       branch_number;
  gboolean  hq;
  char     *timezone;
  GTimeZone *tz;          /* of @timezone, made once; NULL if unknown here */
  guint8    chain_key[MDN_CHAIN_KEY_LEN];
};

typedef struct
{
  const char *branch_code;
  const char *branch_name;
  int         branch_number;
  gboolean    hq;
  const char *timezone;        /* NULL: Asia/Shanghai */
  const char *admin_password;
  const char *chain_key_hex;   /* NULL: a new random key */
  gboolean    no_entries;      /* no first entry (the level “normal”): a
                                  branch rebuilt from the server's copy of
                                  its entries (mdn_sync_recover_new) */
} MdnStoreInit;

MdnStore *mdn_store_open     (const char          *path,
                              GError             **error);
void      mdn_store_free     (MdnStore            *store);
gboolean  mdn_store_set_chain_key (MdnStore       *store,
                              const char          *hex,
                              GError             **error);
gboolean  mdn_store_reload_chain_key (MdnStore    *store,
                              GError             **error);
char     *mdn_chain_key_id   (const guint8        *key);
char     *mdn_chain_key_id_from_hex (const char   *hex);
/* Whether this branch is linked to a server (mdn_sync_link was run). */
gboolean  mdn_store_is_linked (MdnStore           *store);
/* For mdn_store_init (ops/): reads the identity just written into @store. */
gboolean  mdn_store_load_identity (MdnStore       *store,
                              GError             **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MdnStore, mdn_store_free)

G_END_DECLS
