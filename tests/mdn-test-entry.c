/* mdn-test-entry.c: the slow reader of an entry, a json-glib object read
 * field by field (mdn-test-entry.h). The entry codec (mdn-entry-codec.c)
 * is the one reader of branch and server; this is its oracle in
 * tests/test-codec.c, and the tests' way to read back an entry they
 * changed. Its messages are the codec's. */
#include <glib/gi18n-lib.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-test-entry.h"

static gboolean
bad_entry (const char *what,
           GError    **error)
{
  g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
               _("The entry is malformed: %s"), what);
  return FALSE;
}

static const char *const accounts[] = { "principal", "bonus", "points", "package", "stock", NULL };

/* Parses an entry as sent by a branch; checks shape, not business rules. */
MdnEntry *
mdn_entry_from_json (JsonObject *o,
                     GError    **error)
{
  g_autoptr(MdnEntry) entry = NULL;
  const char *id = NULL, *branch = NULL, *kind = NULL, *at = NULL, *date = NULL;
  const char *staff = NULL, *member = NULL, *prev = NULL, *hash = NULL;
  gint64 seq = 0;
  JsonNode *body;
  JsonArray *moves;

  /* Integers only, anywhere in it: a fraction has no canonical form. */
  if (!mdn_json_object_integers_only (o, error))
    return NULL;
  if (!mdn_args_string (o, "id", TRUE, &id, error) ||
      !mdn_args_string (o, "branch", TRUE, &branch, error) ||
      !mdn_args_int (o, "seq", TRUE, &seq, error) ||
      !mdn_args_string (o, "kind", TRUE, &kind, error) ||
      !mdn_args_string (o, "at", TRUE, &at, error) ||
      !mdn_args_date (o, "business_date", TRUE, &date, error) ||
      !mdn_args_string (o, "staff", TRUE, &staff, error) ||
      !mdn_args_string (o, "member", FALSE, &member, error) ||
      !mdn_args_string (o, "prev_hash", TRUE, &prev, error) ||
      !mdn_args_string (o, "hash", TRUE, &hash, error))
    return NULL;
  if (seq < 1)
    return bad_entry ("seq", error), NULL;
  if (mdn_ledger_lookup_kind (kind) == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("Unknown entry kind “%s”"), kind);
      return NULL;
    }
  body = json_object_get_member (o, "body");
  if (body == NULL || !JSON_NODE_HOLDS_OBJECT (body))
    return bad_entry ("body", error), NULL;

  entry = mdn_entry_new (kind, member);
  json_object_unref (entry->body);
  entry->body = json_object_ref (json_node_get_object (body));
  entry->id = g_strdup (id);
  entry->branch = g_strdup (branch);
  entry->seq = seq;
  entry->at = g_strdup (at);
  entry->business_date = g_strdup (date);
  entry->staff = g_strdup (staff);
  entry->prev_hash = g_strdup (prev);
  entry->hash = g_strdup (hash);

  moves = mdn_args_array (o, "movements", TRUE, error);
  if (moves == NULL)
    return NULL;
  for (guint i = 0; i < json_array_get_length (moves); i++)
    {
      JsonObject *mo = mdn_args_element_object (moves, i, "movements", error);
      const char *m_member = NULL, *account = NULL, *item = "", *lot = "", *exp = NULL;
      gint64 delta = 0;

      if (mo == NULL ||
          !mdn_args_string (mo, "member", FALSE, &m_member, error) ||
          !mdn_args_string (mo, "account", TRUE, &account, error) ||
          !mdn_args_string (mo, "item", FALSE, &item, error) ||
          !mdn_args_string (mo, "lot", FALSE, &lot, error) ||
          !mdn_args_date (mo, "expires_on", FALSE, &exp, error) ||
          !mdn_args_int (mo, "delta", TRUE, &delta, error))
        return NULL;
      if (!g_strv_contains (accounts, account) || delta == 0)
        return bad_entry ("movement", error), NULL;
      mdn_entry_add_movement (entry, m_member, account, item, lot, exp, delta);
    }
  return g_steal_pointer (&entry);
}
