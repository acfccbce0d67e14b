/* mdn-store.c */
#define G_LOG_DOMAIN "mdn-store"

#include <glib/gi18n-lib.h>
#include <locale.h>
#include <sodium.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-id.h"
#include "mdn-init.h"
#include "mdn-store.h"

void
mdn_store_free (MdnStore *store)
{
  if (store == NULL)
    return;
  g_clear_pointer (&store->db, mdn_db_close);
  g_free (store->branch_code);
  g_free (store->branch_name);
  g_free (store->timezone);
  g_clear_pointer (&store->tz, g_time_zone_unref);
  sodium_memzero (store->chain_key, sizeof store->chain_key);
  g_free (store);
}

gboolean
mdn_store_load_identity (MdnStore *store,
               GError  **error)
{
  g_autofree char *number = NULL;
  g_autofree char *hq = NULL;
  g_autofree char *key = NULL;
  gsize key_len = 0;

  store->branch_code = mdn_db_meta_dup (store->db, "branch_code");
  if (store->branch_code == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_NOT_INITIALIZED,
                   _("%s is not a Mendian branch database; create it with “mendian-cli init”"),
                   mdn_db_path (store->db));
      return FALSE;
    }
  store->branch_name = mdn_db_meta_dup (store->db, "branch_name");
  number = mdn_db_meta_dup (store->db, "branch_number");
  store->branch_number = number ? atoi (number) : 0;
  hq = mdn_db_meta_dup (store->db, "hq");
  store->hq = g_strcmp0 (hq, "1") == 0;
  store->timezone = mdn_db_meta_dup (store->db, "timezone");
  if (store->timezone == NULL)
    store->timezone = g_strdup (MDN_DEFAULT_TIMEZONE);
  /* Made once rather than per operation: loading a zone reads and parses
   * its tzfile. */
  g_clear_pointer (&store->tz, g_time_zone_unref);
  store->tz = g_time_zone_new_identifier (store->timezone);
  key = mdn_db_meta_dup (store->db, "chain_key");
  if (key == NULL ||
      sodium_hex2bin (store->chain_key, sizeof store->chain_key, key, strlen (key),
                      NULL, &key_len, NULL) != 0 || key_len != MDN_CHAIN_KEY_LEN)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_CORRUPT,
                           _("The branch database has no valid chain key"));
      return FALSE;
    }
  return TRUE;
}

MdnStore *
mdn_store_open (const char *path,
                GError    **error)
{
  g_autoptr(MdnStore) store = g_new0 (MdnStore, 1);

  g_return_val_if_fail (path != NULL, NULL);

  mdn_base_init ();
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_NOT_INITIALIZED,
                   _("There is no branch database at %s; create it with “mendian-cli init”"), path);
      return NULL;
    }
  store->db = mdn_db_open (path, "branch", error);
  if (store->db == NULL || !mdn_store_load_identity (store, error))
    return NULL;
  return g_steal_pointer (&store);
}

gboolean
mdn_store_set_chain_key (MdnStore   *store,
                         const char *hex,
                         GError    **error)
{
  guint8 key[MDN_CHAIN_KEY_LEN];
  gsize len = 0;

  if (hex == NULL || sodium_hex2bin (key, sizeof key, hex, strlen (hex), NULL, &len, NULL) != 0 ||
      len != MDN_CHAIN_KEY_LEN)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("The chain key must be 64 hexadecimal digits"));
      return FALSE;
    }
  if (!mdn_db_meta_set (store->db, "chain_key", hex, error))
    return FALSE;
  memcpy (store->chain_key, key, sizeof key);
  return TRUE;
}

/* What names a chain key without giving it away: the hex HMAC-SHA256 of a
 * fixed text under the key. A branch proves with it that it holds the
 * chain's key (GET /api/v1/sync/state?key_id=), so the server never sends
 * the key to a branch that has it. */
char *
mdn_chain_key_id (const guint8 *key)
{
  static const char label[] = "mendian chain key id 1";
  g_autoptr(GHmac) hmac = NULL;

  g_return_val_if_fail (key != NULL, NULL);

  hmac = g_hmac_new (G_CHECKSUM_SHA256, key, MDN_CHAIN_KEY_LEN);
  g_hmac_update (hmac, (const guchar *) label, strlen (label));
  return g_strdup (g_hmac_get_string (hmac));
}

char *
mdn_chain_key_id_from_hex (const char *hex)
{
  guint8 key[MDN_CHAIN_KEY_LEN];
  gsize len = 0;
  char *id;

  if (hex == NULL || sodium_hex2bin (key, sizeof key, hex, strlen (hex), NULL, &len, NULL) != 0 ||
      len != MDN_CHAIN_KEY_LEN)
    return NULL;
  id = mdn_chain_key_id (key);
  sodium_memzero (key, sizeof key);
  return id;
}

/* Reads the chain key again: another connection (the POS's sync worker)
 * may have stored the one the server handed over. */
gboolean
mdn_store_reload_chain_key (MdnStore *store,
                            GError  **error)
{
  g_autofree char *key = NULL;
  guint8 bin[MDN_CHAIN_KEY_LEN];
  gsize len = 0;

  g_return_val_if_fail (store != NULL, FALSE);

  key = mdn_db_meta_dup (store->db, "chain_key");
  if (key == NULL || sodium_hex2bin (bin, sizeof bin, key, strlen (key), NULL, &len, NULL) != 0 ||
      len != MDN_CHAIN_KEY_LEN)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_CORRUPT,
                           _("The branch database has no valid chain key"));
      return FALSE;
    }
  memcpy (store->chain_key, bin, sizeof bin);
  sodium_memzero (bin, sizeof bin);
  sodium_memzero (key, strlen (key));
  return TRUE;
}

/* Whether this branch is linked to a server (mdn_sync_link was run). */
gboolean
mdn_store_is_linked (MdnStore *store)
{
  g_autofree char *url = NULL;

  g_return_val_if_fail (store != NULL, FALSE);

  url = mdn_db_meta_dup (store->db, "sync_url");
  return url != NULL && *url != '\0';
}
