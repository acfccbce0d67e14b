/* mdn-store-init.c: a new branch database. In ops/, not with mdn-store.c in
 * ledger/, because it creates the admin staff member (members/) and the
 * default member level by running the operation level.upsert. */
#define G_LOG_DOMAIN "mdn-store"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-id.h"
#include "mdn-master.h"
#include "mdn-ops.h"
#include "mdn-staff.h"
#include "mdn-store.h"

static gboolean
valid_branch_code (const char *code)
{
  gsize len = code ? strlen (code) : 0;

  if (len < 1 || len > 16)
    return FALSE;
  for (const char *p = code; *p; p++)
    if (!g_ascii_isalnum (*p) && *p != '-' && *p != '_')
      return FALSE;
  return TRUE;
}

/* Creates a new branch database: identity, chain key, the admin staff member
 * and the default member level “normal”, all in one transaction. */
MdnStore *
mdn_store_init (const char         *path,
                const MdnStoreInit *init,
                GError            **error)
{
  g_autoptr(MdnStore) store = g_new0 (MdnStore, 1);
  g_autoptr(MdnOpCtx) ctx = NULL;
  g_autoptr(JsonObject) args = NULL;
  g_autoptr(JsonObject) result = NULL;
  g_autofree char *key = NULL;
  g_autofree char *number = NULL;
  g_autofree char *existing = NULL;
  g_autoptr(GTimeZone) tz = NULL;

  g_return_val_if_fail (path != NULL && init != NULL, NULL);

  mdn_library_init ();

  if (!valid_branch_code (init->branch_code))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("The branch code must be 1 to 16 letters, digits, “-” or “_”, like B01"));
      return NULL;
    }
  if (init->branch_name == NULL || *init->branch_name == '\0')
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("The branch needs a name"));
      return NULL;
    }
  if (init->branch_number < 0 || init->branch_number > 999)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("The branch number must be between 0 and 999"));
      return NULL;
    }
  if (init->timezone && (tz = g_time_zone_new_identifier (init->timezone)) == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("Unknown time zone “%s”; use a name like Asia/Shanghai"), init->timezone);
      return NULL;
    }
  if (!mdn_password_acceptable (init->admin_password, error))
    return NULL;

  store->db = mdn_db_open (path, "branch", error);
  if (store->db == NULL)
    return NULL;
  existing = mdn_db_meta_dup (store->db, "branch_code");
  if (existing != NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_ALREADY_INITIALIZED,
                   _("%s is already the database of branch %s"), path, existing);
      return NULL;
    }

  key = init->chain_key_hex ? g_strdup (init->chain_key_hex) : mdn_random_hex (MDN_CHAIN_KEY_LEN);
  number = g_strdup_printf ("%d", init->branch_number);

  if (!mdn_db_begin (store->db, TRUE, error))
    return NULL;
  if (!mdn_db_meta_set (store->db, "branch_code", init->branch_code, error) ||
      !mdn_db_meta_set (store->db, "branch_name", init->branch_name, error) ||
      !mdn_db_meta_set (store->db, "branch_number", number, error) ||
      !mdn_db_meta_set (store->db, "hq", init->hq ? "1" : "0", error) ||
      !mdn_db_meta_set (store->db, "timezone", init->timezone ? init->timezone : MDN_DEFAULT_TIMEZONE, error) ||
      !mdn_store_set_chain_key (store, key, error) ||
      !mdn_store_load_identity (store, error) ||
      !mdn_staff_insert (store->db, "admin", _("Administrator"), "admin",
                         init->admin_password, error))
    goto fail;

  if (init->no_entries)
    {
      if (!mdn_db_commit (store->db, error))
        goto fail;
      return g_steal_pointer (&store);
    }
  ctx = mdn_op_ctx_new_trusted (store, "admin", error);
  if (ctx == NULL)
    goto fail;
  args = json_object_new ();
  json_object_set_string_member (args, "code", "normal");
  json_object_set_string_member (args, "name", _("Normal member"));
  json_object_set_int_member (args, "price_percent", 100);
  json_object_set_int_member (args, "points_per_yuan", 1);
  result = mdn_ops_call_in_transaction (ctx, mdn_ops_find (mdn_master_ops, "level.upsert"), args, error);
  if (result == NULL || !mdn_db_commit (store->db, error))
    goto fail;

  return g_steal_pointer (&store);

fail:
  mdn_db_rollback (store->db);
  return NULL;
}
