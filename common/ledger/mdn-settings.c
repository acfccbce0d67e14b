/* mdn-settings.c: the system settings (系统设置 / 常规参数): one fixed table
 * of typed keys with defaults, the entries that change them and the
 * operations settings.list / settings.set. */
#define G_LOG_DOMAIN "mdn-settings"

#include <glib/gi18n-lib.h>
#include <stdlib.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-settings.h"

static const char *const rounding_choices[] = { "none", "jiao", "yuan", NULL };
static const char *const pin_length_choices[] = { "4", "6", NULL };

#define FEN_MAX G_GINT64_CONSTANT (1000000000000)

/* The one list of settings. Append a row for a new key; never change a
 * key's meaning (its entries stay in every ledger). */
static const MdnSettingDef settings[] = {
  { "checkout.cash_rounding", MDN_SETTING_CHOICE, MDN_SETTING_BRANCH, "none", 0, 0, rounding_choices,
    "checkout", N_("Cash rounding"),
    N_("Cash payments drop the fen (jiao) or the jiao and fen (yuan) of the amount due, recorded as a discount") },
  { "stock.refuse_negative", MDN_SETTING_BOOL, MDN_SETTING_BRANCH, "false", 0, 0, NULL,
    "stock", N_("Refuse negative stock"),
    N_("A sale that would take a product's stock below zero is refused instead of warned about") },
  { "member.pin_length", MDN_SETTING_CHOICE, MDN_SETTING_CHAIN, "6", 0, 0, pin_length_choices,
    "member", N_("PIN length"),
    N_("How many digits a new card PIN has (4 or 6); PINs set before keep working") },
  { "member.pin_lockout_attempts", MDN_SETTING_INT, MDN_SETTING_CHAIN, "5", 3, 10, NULL,
    "member", N_("Wrong PINs before a card locks"),
    N_("After this many wrong PINs in a row the card cannot spend for 15 minutes") },
  { "reminder.low_balance_fen", MDN_SETTING_FEN, MDN_SETTING_CHAIN, "2000", 0, FEN_MAX, NULL,
    "reminder", N_("Low balance"),
    N_("A member whose balance is below this amount is reminded to top up") },
  { "reminder.inactive_days", MDN_SETTING_INT, MDN_SETTING_CHAIN, "60", 1, 3650, NULL,
    "reminder", N_("Inactive after days"),
    N_("A member who has not visited for this many days is listed as inactive") },
  { "reminder.expiry_days", MDN_SETTING_INT, MDN_SETTING_CHAIN, "30", 1, 365, NULL,
    "reminder", N_("Expiry warning days"),
    N_("Cards and packages that expire within this many days are listed") },
  { "sms.on_issue", MDN_SETTING_BOOL, MDN_SETTING_CHAIN, "false", 0, 0, NULL,
    "sms", N_("Text on card issue"), N_("Send the member a text message when a card is issued") },
  { "sms.on_deposit", MDN_SETTING_BOOL, MDN_SETTING_CHAIN, "false", 0, 0, NULL,
    "sms", N_("Text on deposit"), N_("Send the member a text message with the new balance after a deposit") },
  { "sms.on_spend", MDN_SETTING_BOOL, MDN_SETTING_CHAIN, "false", 0, 0, NULL,
    "sms", N_("Text on spending"), N_("Send the member a text message when the balance pays for a sale") },
  { "sms.on_withdraw", MDN_SETTING_BOOL, MDN_SETTING_CHAIN, "false", 0, 0, NULL,
    "sms", N_("Text on withdrawal"), N_("Send the member a text message when money is taken off the card") },
  { "sms.on_lost", MDN_SETTING_BOOL, MDN_SETTING_CHAIN, "false", 0, 0, NULL,
    "sms", N_("Text on reporting lost"), N_("Send the member a text message when the card is reported lost") },
  { "sms.birthday", MDN_SETTING_BOOL, MDN_SETTING_CHAIN, "false", 0, 0, NULL,
    "sms", N_("Birthday greeting"), N_("Send members a birthday greeting on their (solar or lunar) birthday") },
  { "sms.daily_cap", MDN_SETTING_INT, MDN_SETTING_CHAIN, "2", 1, 100, NULL,
    "sms", N_("Marketing texts per number a day"),
    N_("At most this many marketing text messages reach one phone number in a day; the rest wait for the next") },
  { "member.public_url", MDN_SETTING_STRING, MDN_SETTING_CHAIN, "", 0, 200, NULL,
    "member", N_("Member page address"),
    N_("The web address of the page where members see their own card (balance, points, packages), such as https://vip.example.com; empty: no member page"),
    MDN_SETTING_URL },
  { "backup.daily", MDN_SETTING_BOOL, MDN_SETTING_BRANCH, "true", 0, 0, NULL,
    "backup", N_("Daily backup"),
    N_("While the POS runs it backs up the ledger once every business day") },
  { "backup.dir", MDN_SETTING_STRING, MDN_SETTING_BRANCH, "", 0, 500, NULL,
    "backup", N_("Backup folder"),
    N_("The folder the backups are written to, from the root (/…); empty: a backups folder beside the ledger"),
    MDN_SETTING_PATH },
  { "backup.keep", MDN_SETTING_INT, MDN_SETTING_BRANCH, "14", 1, 365, NULL,
    "backup", N_("Backups kept"),
    N_("Only the newest this many backups in the folder are kept; older ones are deleted") },
  { "timed.warn_minutes", MDN_SETTING_INT, MDN_SETTING_BRANCH, "5", 1, 60, NULL,
    "checkout", N_("Warn before prepaid time ends"),
    N_("A prepaid table or room is marked, and the cashier warned, this many minutes before its time is up") },
  { NULL }
};

const MdnSettingDef *
mdn_settings_table (void)
{
  return settings;
}

const MdnSettingDef *
mdn_settings_lookup (const char *key)
{
  g_return_val_if_fail (key != NULL, NULL);

  for (const MdnSettingDef *d = settings; d->key; d++)
    if (g_str_equal (d->key, key))
      return d;
  return NULL;
}

static const char *
type_name (MdnSettingType type)
{
  switch (type)
    {
    case MDN_SETTING_BOOL: return "bool";
    case MDN_SETTING_INT: return "int";
    case MDN_SETTING_FEN: return "fen";
    case MDN_SETTING_CHOICE: return "choice";
    case MDN_SETTING_STRING: return "string";
    default: g_assert_not_reached ();
    }
}

/* Whether a non-empty @text is a web address of http or https with a host
 * and no spaces. */
static gboolean
url_valid (const char *text)
{
  g_autoptr(GUri) uri = NULL;
  const char *host;

  if (g_ascii_strncasecmp (text, "http://", 7) != 0 && g_ascii_strncasecmp (text, "https://", 8) != 0)
    return FALSE;
  for (const char *p = text; *p; p++)
    if (g_ascii_isspace (*p))
      return FALSE;
  uri = g_uri_parse (text, G_URI_FLAGS_NONE, NULL);
  host = uri ? g_uri_get_host (uri) : NULL;
  return host != NULL && *host != '\0';
}

static gboolean
string_valid (const MdnSettingDef *def,
              const char          *text,
              GError             **error)
{
  if (!g_utf8_validate (text, -1, NULL))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not readable text"), _(def->title));
      return FALSE;
    }
  if (g_utf8_strlen (text, -1) > def->max)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("“%s” is at most %u characters long"), _(def->title), (guint) def->max);
      return FALSE;
    }
  for (const char *p = text; *p; p = g_utf8_next_char (p))
    if (g_unichar_iscntrl (g_utf8_get_char (p)))
      {
        g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                     _("“%s” may not contain line breaks, tabs or other control characters"), _(def->title));
        return FALSE;
      }
  if (*text == '\0')
    return TRUE;
  if (def->format == MDN_SETTING_URL && !url_valid (text))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("“%s” is a web address that begins with http:// or https:// and the site's name, "
                     "without spaces, such as https://vip.example.com"), _(def->title));
      return FALSE;
    }
  if (def->format == MDN_SETTING_PATH && !g_path_is_absolute (text))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("“%s” is a folder written from the root, beginning with /, such as /home/shop/backups"),
                   _(def->title));
      return FALSE;
    }
  return TRUE;
}

/* Whether @text is a valid value of @def, as stored (canonical text). */
gboolean
mdn_settings_value_valid (const MdnSettingDef *def,
                          const char          *text,
                          GError             **error)
{
  g_return_val_if_fail (def != NULL && text != NULL, FALSE);

  gint64 n = 0;
  char *end = NULL;

  switch (def->type)
    {
    case MDN_SETTING_BOOL:
      if (g_str_equal (text, "true") || g_str_equal (text, "false"))
        return TRUE;
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("“%s” is on or off: give true or false"), _(def->title));
      return FALSE;
    case MDN_SETTING_INT:
    case MDN_SETTING_FEN:
      if (*text != '\0' && (g_ascii_isdigit (*text) || *text == '-'))
        n = g_ascii_strtoll (text, &end, 10);
      if (end == NULL || *end != '\0' || end == text || n < def->min || n > def->max ||
          (text[0] == '0' && text[1] != '\0') || (text[0] == '-' && text[1] == '0'))
        {
          g_autofree char *lo = g_strdup_printf ("%" G_GINT64_FORMAT, def->min);
          g_autofree char *hi = g_strdup_printf ("%" G_GINT64_FORMAT, def->max);

          if (def->type == MDN_SETTING_FEN)
            g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                         _("“%s” is an amount in fen, a whole number from %s to %s"), _(def->title), lo, hi);
          else
            g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                         _("“%s” is a whole number from %s to %s"), _(def->title), lo, hi);
          return FALSE;
        }
      return TRUE;
    case MDN_SETTING_CHOICE:
      if (g_strv_contains ((const char *const *) def->choices, text))
        return TRUE;
      {
        g_autofree char *words = g_strjoinv (", ", (char **) def->choices);

        g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                     _("“%s” is one of: %s"), _(def->title), words);
      }
      return FALSE;
    case MDN_SETTING_STRING:
      return string_valid (def, text, error);
    default:
      g_assert_not_reached ();
    }
}

/* The stored text of @key, or its default. */
static char *
value_dup (MdnDb               *db,
           const MdnSettingDef *def)
{
  sqlite3_stmt *stmt;
  char *value = NULL;

  stmt = mdn_db_query (db, NULL, "SELECT value FROM settings WHERE key = ?", "s", def->key);
  if (stmt != NULL)
    {
      if (mdn_db_step (db, stmt, NULL) == SQLITE_ROW)
        value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
      sqlite3_reset (stmt);
    }
  /* A stored value this program would refuse (written by a newer one with a
     wider range) reads as the default rather than as nonsense. */
  if (value != NULL && !mdn_settings_value_valid (def, value, NULL))
    g_clear_pointer (&value, g_free);
  return value != NULL ? value : g_strdup (def->def);
}

static const MdnSettingDef *
lookup_typed (const char     *key,
              MdnSettingType  type,
              MdnSettingType  also)
{
  const MdnSettingDef *def = mdn_settings_lookup (key);

  if (def == NULL)
    g_error ("unknown setting %s", key);
  if (def->type != type && def->type != also)
    g_error ("setting %s is of type %s", key, type_name (def->type));
  return def;
}

gboolean
mdn_settings_get_bool (MdnDb      *db,
                       const char *key)
{
  const MdnSettingDef *def;
  g_autofree char *value = NULL;

  g_return_val_if_fail (db != NULL && key != NULL, FALSE);

  def = lookup_typed (key, MDN_SETTING_BOOL, MDN_SETTING_BOOL);
  value = value_dup (db, def);
  return g_str_equal (value, "true");
}

gint64
mdn_settings_get_int (MdnDb      *db,
                      const char *key)
{
  const MdnSettingDef *def;
  g_autofree char *value = NULL;

  g_return_val_if_fail (db != NULL && key != NULL, 0);

  def = lookup_typed (key, MDN_SETTING_INT, MDN_SETTING_FEN);
  value = value_dup (db, def);
  return g_ascii_strtoll (value, NULL, 10);
}

char *
mdn_settings_dup_choice (MdnDb      *db,
                         const char *key)
{
  g_return_val_if_fail (db != NULL && key != NULL, NULL);

  return value_dup (db, lookup_typed (key, MDN_SETTING_CHOICE, MDN_SETTING_CHOICE));
}

char *
mdn_settings_dup_string (MdnDb      *db,
                         const char *key)
{
  g_return_val_if_fail (db != NULL && key != NULL, NULL);

  return value_dup (db, lookup_typed (key, MDN_SETTING_STRING, MDN_SETTING_STRING));
}

/* The value given to settings.set, as canonical text: a string as it is, a
 * boolean as true/false, an integer in decimal. */
static char *
arg_value_dup (JsonObject *args,
               GError    **error)
{
  JsonNode *node = json_object_get_member (args, "value");

  if (node != NULL && JSON_NODE_HOLDS_VALUE (node))
    switch (json_node_get_value_type (node))
      {
      case G_TYPE_STRING:
        return g_strstrip (g_strdup (json_node_get_string (node)));
      case G_TYPE_BOOLEAN:
        return g_strdup (json_node_get_boolean (node) ? "true" : "false");
      case G_TYPE_INT64:
        return g_strdup_printf ("%" G_GINT64_FORMAT, json_node_get_int (node));
      default:
        break;
      }
  g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
               _("“%s” is required: a text, true or false, or a whole number"), "value");
  return NULL;
}

static gboolean
op_settings_set (MdnOpCtx   *ctx,
                 JsonObject *args,
                 JsonObject *result,
                 GError    **error)
{
  const char *key = NULL;
  const MdnSettingDef *def;
  g_autofree char *value = NULL;
  g_autoptr(MdnEntry) entry = NULL;
  gboolean chain;

  if (!mdn_args_string (args, "key", TRUE, &key, error))
    return FALSE;
  def = mdn_settings_lookup (key);
  if (def == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("There is no setting “%s”; settings.list shows every setting"), key);
      return FALSE;
    }
  value = arg_value_dup (args, error);
  if (value == NULL || !mdn_settings_value_valid (def, value, error))
    return FALSE;

  chain = def->scope == MDN_SETTING_CHAIN;
  if (chain && !ctx->store->hq)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_HQ_ONLY,
                   _("“%s” is set by head office for the whole chain; change it at the head-office terminal"),
                   _(def->title));
      return FALSE;
    }
  entry = mdn_entry_new (chain ? "setting.chain" : "setting.branch", NULL);
  json_object_set_string_member (entry->body, "key", key);
  json_object_set_string_member (entry->body, "value", value);
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "key", key);
  json_object_set_string_member (result, "value", value);
  return TRUE;
}

static gboolean
op_settings_list (MdnOpCtx   *ctx,
                  JsonObject *args,
                  JsonObject *result,
                  GError    **error)
{
  JsonArray *list = json_array_new ();

  json_object_set_array_member (result, "settings", list);
  for (const MdnSettingDef *d = settings; d->key; d++)
    {
      JsonObject *o = json_object_new ();
      g_autofree char *value = value_dup (ctx->db, d);

      json_object_set_string_member (o, "key", d->key);
      json_object_set_string_member (o, "value", value);
      json_object_set_string_member (o, "type", type_name (d->type));
      json_object_set_string_member (o, "scope", d->scope == MDN_SETTING_CHAIN ? "chain" : "branch");
      json_object_set_string_member (o, "default", d->def);
      json_object_set_string_member (o, "topic", d->topic);
      json_object_set_string_member (o, "title", _(d->title));
      json_object_set_string_member (o, "help", _(d->help));
      if (d->choices != NULL)
        {
          JsonArray *choices = json_array_new ();

          for (guint i = 0; d->choices[i]; i++)
            json_array_add_string_element (choices, d->choices[i]);
          json_object_set_array_member (o, "choices", choices);
        }
      if (d->type == MDN_SETTING_STRING)
        {
          json_object_set_int_member (o, "max", d->max);
          json_object_set_string_member (o, "format", d->format == MDN_SETTING_URL ? "url"
                                                      : d->format == MDN_SETTING_PATH ? "path" : "text");
        }
      if (d->type == MDN_SETTING_INT || d->type == MDN_SETTING_FEN)
        {
          json_object_set_int_member (o, "min", d->min);
          json_object_set_int_member (o, "max", d->max);
        }
      json_array_add_object_element (list, o);
    }
  return TRUE;
}

/* Both kinds write the projection the same way; a chain entry that arrives
 * for a key this program does not know (a newer head office) is kept in the
 * ledger and left out of the projection. */
static gboolean
apply_setting (MdnDb    *db,
               MdnEntry *entry,
               GError  **error)
{
  const char *key = mdn_body_string (entry->body, "key");
  const char *value = mdn_body_string (entry->body, "value");

  if (key == NULL || value == NULL)
    return mdn_entry_malformed (entry, "key/value", error);
  if (mdn_settings_lookup (key) == NULL)
    return TRUE;
  return mdn_db_exec (db, error,
                      "INSERT INTO settings (key, value, entry_id) VALUES (?, ?, ?) "
                      "ON CONFLICT (key) DO UPDATE SET value = excluded.value, entry_id = excluded.entry_id",
                      "sss", key, value, entry->id);
}

gboolean
mdn_settings_check_entry (MdnEntry *entry,
                          GError  **error)
{
  const char *key = NULL, *value = NULL;
  const MdnSettingDef *def;
  gboolean chain;

  g_return_val_if_fail (entry != NULL, FALSE);

  /* An empty value is a value (a text setting's default). */
  if (!mdn_args_string (entry->body, "key", TRUE, &key, error) ||
      !mdn_args_string (entry->body, "value", FALSE, &value, error))
    return FALSE;
  if (value == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("“%s” is required"), "value");
      return FALSE;
    }
  def = mdn_settings_lookup (key);
  if (def == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("There is no setting “%s”; settings.list shows every setting"), key);
      return FALSE;
    }
  chain = g_str_equal (entry->kind, "setting.chain");
  if (chain != (def->scope == MDN_SETTING_CHAIN))
    {
      if (chain)
        g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                     _("The setting “%s” is a branch's own, not the chain's"), key);
      else
        g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                     _("The setting “%s” is the chain's, not a branch's own"), key);
      return FALSE;
    }
  return mdn_settings_value_valid (def, value, error);
}

const MdnOpDef mdn_settings_ops[] = {
  /* settings.set writes setting.chain (head-office terminal only, checked
     by the operation per key) or setting.branch: not MDN_OP_HQ as a whole. */
  { "settings.set",  MDN_ROLE_MANAGER, MDN_OP_WRITE, op_settings_set },
  { "settings.list", MDN_ROLE_CASHIER, MDN_OP_READ,  op_settings_list },
  { NULL }
};

const MdnKindDef mdn_settings_kinds[] = {
  { "setting.chain",  apply_setting, MDN_KIND_MASTER },
  { "setting.branch", apply_setting, 0 },
  { NULL }
};
