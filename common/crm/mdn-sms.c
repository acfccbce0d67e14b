/* mdn-sms.c: events, templates and the SMS operations of a terminal (see
 * mdn-sms.h). The outbox and the gateways are the server's
 * (server/notify/srv-sms.c). */
#define G_LOG_DOMAIN "mdn-sms"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-member-filter.h"
#include "mdn-members.h"
#include "mdn-money.h"
#include "mdn-sms.h"

static const struct { const char *event; const char *setting; const char *text; } events[] = {
  { "issue",    "sms.on_issue",    "【{shop}】{name}您好，您的会员卡 {card} 已开通，欢迎光临。" },
  { "deposit",  "sms.on_deposit",  "【{shop}】{name}您好，您的会员卡充值 {amount} 元，当前余额 {balance} 元。" },
  { "spend",    "sms.on_spend",    "【{shop}】{name}您好，您的会员卡消费 {amount} 元，当前余额 {balance} 元。" },
  { "withdraw", "sms.on_withdraw", "【{shop}】{name}您好，您的会员卡取款 {amount} 元，当前余额 {balance} 元。" },
  { "lost",     "sms.on_lost",     "【{shop}】{name}您好，您的会员卡 {card} 已挂失，如非本人操作请致电门店。" },
  { "birthday", "sms.birthday",    "【{shop}】{name}您好，祝您生日快乐！" },
  { "campaign", NULL,              "{text}" },
  /* sms.send from the reminders window (no toggle: a person chose to send). */
  { "low_balance",    NULL, "【{shop}】{name}您好，您的会员卡余额为 {balance} 元，欢迎到店充值。" },
  { "inactive",       NULL, "【{shop}】{name}您好，好久不见，期待您再次光临。" },
  { "expiry",         NULL, "【{shop}】{name}您好，您的会员卡将于 {due_on} 到期，请及时到店办理延期。" },
  { "package_expiry", NULL, "【{shop}】{name}您好，您的套餐将于 {due_on} 到期，请及时使用。" },
};

gboolean
mdn_sms_send_event_valid (const char *event)
{
  static const char *const ok[] = { "birthday", "low_balance", "inactive", "expiry", "package_expiry" };

  for (guint i = 0; event && i < G_N_ELEMENTS (ok); i++)
    if (g_str_equal (ok[i], event))
      return TRUE;
  return FALSE;
}

gboolean
mdn_sms_send_is_marketing (const char *event)
{
  return g_strcmp0 (event, "inactive") == 0;
}

static gboolean
spends_stored_value (MdnEntry *entry)
{
  for (guint i = 0; i < entry->movements->len; i++)
    {
      MdnMovement *m = &g_array_index (entry->movements, MdnMovement, i);

      if ((g_str_equal (m->account, "principal") || g_str_equal (m->account, "bonus")) && m->delta < 0)
        return TRUE;
    }
  return FALSE;
}

const char *
mdn_sms_event_of_entry (MdnEntry *entry)
{
  g_return_val_if_fail (entry != NULL, NULL);

  if (entry->member_id == NULL)
    return NULL;
  if (g_str_equal (entry->kind, "member.issue"))
    return "issue";
  if (g_str_equal (entry->kind, "member.deposit"))
    return "deposit";
  if (g_str_equal (entry->kind, "member.withdraw"))
    return "withdraw";
  if (g_str_equal (entry->kind, "member.lose"))
    return "lost";
  if ((g_str_equal (entry->kind, "sale") || g_str_equal (entry->kind, "sale.quick") ||
       g_str_equal (entry->kind, "timed.stop") || g_str_equal (entry->kind, "timed.prepay") ||
       g_str_equal (entry->kind, "timed.extend")) && spends_stored_value (entry))
    return "spend";
  return NULL;
}

const char *
mdn_sms_setting_of_event (const char *event)
{
  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    if (g_strcmp0 (events[i].event, event) == 0)
      return events[i].setting;
  return NULL;
}

const char *
mdn_sms_default_text (const char *event)
{
  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    if (g_strcmp0 (events[i].event, event) == 0)
      return events[i].text;
  return NULL;
}

char *
mdn_sms_render (const char *text,
                JsonObject *vars)
{
  GString *out = g_string_new (NULL);
  const char *p = text;

  g_return_val_if_fail (text != NULL && vars != NULL, NULL);

  while (*p)
    {
      const char *close;

      if (*p == '{' && (close = strchr (p + 1, '}')) != NULL && close - p < 40)
        {
          g_autofree char *name = g_strndup (p + 1, close - p - 1);
          JsonNode *n = json_object_get_member (vars, name);

          if (n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING)
            {
              g_string_append (out, json_node_get_string (n));
              p = close + 1;
              continue;
            }
        }
      g_string_append_c (out, *p++);
    }
  return g_string_free (out, FALSE);
}

GStrv
mdn_sms_placeholders (const char *text)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const char *p = text;

  g_return_val_if_fail (text != NULL, NULL);

  while ((p = strchr (p, '{')) != NULL)
    {
      const char *close = strchr (p + 1, '}');
      g_autofree char *name = NULL;

      if (close == NULL)
        break;
      name = g_strndup (p + 1, close - p - 1);
      if (*name && !g_hash_table_contains (seen, name))
        {
          g_strv_builder_add (b, name);
          g_hash_table_add (seen, g_steal_pointer (&name));
        }
      p = close + 1;
    }
  return g_strv_builder_end (b);
}

/* member.sms_prefs -------------------------------------------------------------------- */

static gboolean
op_prefs (MdnOpCtx   *ctx,
          JsonObject *args,
          JsonObject *result,
          GError    **error)
{
  g_autoptr(MdnMember) m = NULL;
  g_autoptr(MdnEntry) entry = NULL;
  gboolean consent = FALSE, opt_out = FALSE;
  gboolean has_consent = json_object_has_member (args, "sms_consent");
  gboolean has_opt_out = json_object_has_member (args, "sms_opt_out");
  sqlite3_stmt *stmt;
  int rc;

  if (!mdn_args_bool (args, "sms_consent", &consent, error) || !mdn_args_bool (args, "sms_opt_out", &opt_out, error))
    return FALSE;
  if (!has_consent && !has_opt_out)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("Say whether the member takes marketing SMS (sms_consent) or none at all (sms_opt_out)"));
      return FALSE;
    }
  m = mdn_member_resolve_arg (ctx, args, error);
  if (m == NULL)
    return FALSE;
  /* What is not given stays as it is. */
  stmt = mdn_db_query (ctx->db, error, "SELECT sms_consent, sms_opt_out FROM members WHERE id = ?", "s", m->id);
  if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) != SQLITE_ROW)
    return FALSE;
  if (!has_consent)
    consent = sqlite3_column_int (stmt, 0);
  if (!has_opt_out)
    opt_out = sqlite3_column_int (stmt, 1);
  sqlite3_reset (stmt);

  entry = mdn_entry_new ("member.sms_prefs", m->id);
  json_object_set_string_member (entry->body, "card_no", m->card_no);
  json_object_set_boolean_member (entry->body, "sms_consent", consent);
  json_object_set_boolean_member (entry->body, "sms_opt_out", opt_out);
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "card_no", m->card_no);
  json_object_set_boolean_member (result, "sms_consent", consent);
  json_object_set_boolean_member (result, "sms_opt_out", opt_out);
  return TRUE;
}

/* The latest entry wins, in one order every terminal knows (at, branch,
 * seq). */
static gboolean
apply_prefs (MdnDb    *db,
             MdnEntry *entry,
             GError  **error)
{
  JsonNode *c = json_object_get_member (entry->body, "sms_consent");
  JsonNode *o = json_object_get_member (entry->body, "sms_opt_out");
  g_autofree char *stamp = NULL;

  if (entry->member_id == NULL || c == NULL || o == NULL || !JSON_NODE_HOLDS_VALUE (c) ||
      json_node_get_value_type (c) != G_TYPE_BOOLEAN || !JSON_NODE_HOLDS_VALUE (o) ||
      json_node_get_value_type (o) != G_TYPE_BOOLEAN)
    return mdn_entry_malformed (entry, "sms_consent", error);
  stamp = g_strdup_printf ("%s %s %012" G_GINT64_FORMAT, entry->at, entry->branch, entry->seq);
  return mdn_db_exec (db, error,
                      "UPDATE members SET sms_consent = ?, sms_opt_out = ?, sms_set_at = ? "
                      "WHERE id = ? AND (sms_set_at IS NULL OR sms_set_at < ?)",
                      "iisss", (gint64) json_node_get_boolean (c), (gint64) json_node_get_boolean (o), stamp,
                      entry->member_id, stamp);
}

/* sms.campaign ------------------------------------------------------------------------ */

typedef struct
{
  gint64      count;
  char       *first_name;
} Preview;

static gboolean
count_member (sqlite3_stmt *row,
              gpointer      user_data)
{
  Preview *p = user_data;

  /* Consent given, not opted out. */
  if (!sqlite3_column_int (row, 7) || sqlite3_column_int (row, 8))
    return TRUE;
  if (p->count++ == 0)
    p->first_name = g_strdup (mdn_db_col_text (row, 2));
  return TRUE;
}

static gboolean
op_campaign (MdnOpCtx   *ctx,
             JsonObject *args,
             JsonObject *result,
             GError    **error)
{
  JsonObject *filter, *params = NULL;
  const char *text = NULL;
  gboolean preview = FALSE;
  Preview p = { 0 };
  g_autoptr(JsonObject) vars = NULL;
  g_autofree char *sample = NULL;
  g_autofree char *full = NULL;
  JsonNode *fnode = json_object_get_member (args, "filter");
  JsonNode *pnode = json_object_get_member (args, "params");
  gboolean ok;

  if (!mdn_args_string (args, "template", TRUE, &text, error) || !mdn_args_bool (args, "preview", &preview, error))
    return FALSE;
  if (fnode && !JSON_NODE_HOLDS_OBJECT (fnode))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("“%s” must be an object"), "filter");
      return FALSE;
    }
  if (pnode && !JSON_NODE_HOLDS_OBJECT (pnode))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("“%s” must be an object"), "params");
      return FALSE;
    }
  if (g_utf8_strlen (text, -1) > 300)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("An SMS can have at most 300 characters"));
      return FALSE;
    }
  filter = fnode ? json_node_get_object (fnode) : NULL;
  params = pnode ? json_node_get_object (pnode) : NULL;
  {
    g_autoptr(JsonObject) empty = json_object_new ();

    ok = mdn_member_filter_each (ctx->db, filter ? filter : empty, ctx->business_date, count_member, &p, error);
  }
  if (!ok)
    {
      g_free (p.first_name);
      return FALSE;
    }
  vars = params ? json_object_ref (params) : json_object_new ();
  json_object_set_string_member (vars, "name", p.first_name ? p.first_name : "");
  json_object_set_string_member (vars, "shop", ctx->store->branch_name);
  sample = mdn_sms_render (text, vars);
  full = g_strconcat (sample, MDN_SMS_OPT_OUT_LINE, NULL);
  json_object_set_int_member (result, "count", p.count);
  json_object_set_string_member (result, "text", full);
  g_free (p.first_name);
  if (preview)
    {
      json_object_set_boolean_member (result, "preview", TRUE);
      return TRUE;
    }
  if (p.count == 0)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("No member of this selection takes marketing SMS"));
      return FALSE;
    }
  {
    g_autoptr(MdnEntry) entry = mdn_entry_new ("sms.campaign", NULL);

    json_object_set_object_member (entry->body, "filter", filter ? json_object_ref (filter) : json_object_new ());
    json_object_set_string_member (entry->body, "template", text);
    json_object_set_object_member (entry->body, "params", params ? json_object_ref (params) : json_object_new ());
    json_object_set_string_member (entry->body, "shop", ctx->store->branch_name);
    if (!mdn_ops_append_entry (ctx, entry, result, error))
      return FALSE;
  }
  json_object_set_boolean_member (result, "preview", FALSE);
  return TRUE;
}

/* sms.send ----------------------------------------------------------------------------- */

static gboolean
op_send (MdnOpCtx   *ctx,
         JsonObject *args,
         JsonObject *result,
         GError    **error)
{
  const char *member_id = NULL, *event = NULL, *due_on = NULL;
  g_autoptr(MdnMember) m = NULL;
  g_autoptr(JsonObject) vars = json_object_new ();
  g_autofree char *balance = NULL, *text = NULL;
  gboolean consent = FALSE, opt_out = FALSE;

  if (!mdn_args_string (args, "member_id", FALSE, &member_id, error) ||
      !mdn_args_string (args, "event", TRUE, &event, error) ||
      !mdn_args_date (args, "due_on", FALSE, &due_on, error))
    return FALSE;
  if (!mdn_sms_send_event_valid (event))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a reminder an SMS can be sent for"), event);
      return FALSE;
    }
  m = member_id ? mdn_member_load (ctx->db, member_id, error) : mdn_member_resolve_arg (ctx, args, error);
  if (m == NULL)
    return FALSE;
  if (m->phone == NULL || *m->phone == '\0')
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("%s has no phone number"), m->name);
      return FALSE;
    }
  {
    sqlite3_stmt *stmt = mdn_db_query (ctx->db, error, "SELECT sms_consent, sms_opt_out FROM members WHERE id = ?",
                                       "s", m->id);

    if (stmt == NULL)
      return FALSE;
    if (mdn_db_step (ctx->db, stmt, NULL) == SQLITE_ROW)
      {
        consent = sqlite3_column_int (stmt, 0) != 0;
        opt_out = sqlite3_column_int (stmt, 1) != 0;
      }
    sqlite3_reset (stmt);
  }
  if (opt_out)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("%s has opted out of SMS"), m->name);
      return FALSE;
    }
  if (mdn_sms_send_is_marketing (event) && !consent)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("%s has not agreed to receive marketing SMS"), m->name);
      return FALSE;
    }
  /* What the member will read, unless head office set a template. */
  balance = mdn_money_format (m->principal_fen + m->bonus_fen);
  json_object_set_string_member (vars, "name", m->name);
  json_object_set_string_member (vars, "card", m->card_no);
  json_object_set_string_member (vars, "balance", balance);
  json_object_set_string_member (vars, "shop", ctx->store->branch_name);
  json_object_set_string_member (vars, "due_on", due_on ? due_on : "");
  text = mdn_sms_render (mdn_sms_default_text (event), vars);
  {
    g_autoptr(MdnEntry) entry = mdn_entry_new ("sms.send", m->id);

    json_object_set_string_member (entry->body, "card_no", m->card_no);
    json_object_set_string_member (entry->body, "event", event);
    mdn_json_set_opt_string (entry->body, "due_on", due_on);
    json_object_set_string_member (entry->body, "shop", ctx->store->branch_name);
    if (!mdn_ops_append_entry (ctx, entry, result, error))
      return FALSE;
  }
  json_object_set_string_member (result, "text", text);
  json_object_set_boolean_member (result, "marketing", mdn_sms_send_is_marketing (event));
  return TRUE;
}

const MdnOpDef mdn_sms_ops[] = {
  { "member.sms_prefs", MDN_ROLE_CASHIER, MDN_OP_WRITE, op_prefs },
  { "sms.send",         MDN_ROLE_CASHIER, MDN_OP_WRITE, op_send },
  { "sms.campaign",     MDN_ROLE_MANAGER, MDN_OP_WRITE, op_campaign },
  { NULL }
};

const MdnKindDef mdn_sms_kinds[] = {
  { "member.sms_prefs", apply_prefs },
  { "sms.campaign",     NULL },
  { "sms.send",         NULL },
  { NULL }
};
