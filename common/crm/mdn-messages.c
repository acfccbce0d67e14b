/* mdn-messages.c: message.add, message.reply, message.list and the apply
 * functions of their entries (tables member_messages and
 * member_message_replies, schema/branch/0009). A reply names its message
 * and carries the message's member, so it is shared like the message; it
 * may arrive before the message it answers (another branch's feed order),
 * so the two are joined only when read. */
#define G_LOG_DOMAIN "mdn-messages"

#include <glib/gi18n-lib.h>

#include "mdn-error.h"
#include "mdn-id.h"
#include "mdn-json.h"
#include "mdn-members.h"
#include "mdn-messages.h"

static gboolean
clean_text (const char  *text,
            char       **out,
            GError     **error)
{
  g_autofree char *clean = g_strstrip (g_strdup (text));

  if (*clean == '\0')
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("The message is empty"));
      return FALSE;
    }
  if (g_utf8_strlen (clean, -1) > MDN_MESSAGE_MAX_CHARS)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("A message can have at most %d characters"), MDN_MESSAGE_MAX_CHARS);
      return FALSE;
    }
  *out = g_steal_pointer (&clean);
  return TRUE;
}

static gboolean
op_add (MdnOpCtx   *ctx,
        JsonObject *args,
        JsonObject *result,
        GError    **error)
{
  g_autoptr(MdnMember) m = NULL;
  g_autoptr(MdnEntry) entry = NULL;
  g_autofree char *text = NULL;
  const char *raw = NULL;

  if (!mdn_args_string (args, "text", TRUE, &raw, error) || !clean_text (raw, &text, error))
    return FALSE;
  m = mdn_member_resolve_arg (ctx, args, error);
  if (m == NULL)
    return FALSE;
  entry = mdn_entry_new ("message.add", m->id);
  json_object_set_string_member (entry->body, "card_no", m->card_no);
  json_object_set_string_member (entry->body, "text", text);
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "message_id", entry->id);
  json_object_set_string_member (result, "member_id", m->id);
  json_object_set_string_member (result, "card_no", m->card_no);
  return TRUE;
}

static gboolean
op_reply (MdnOpCtx   *ctx,
          JsonObject *args,
          JsonObject *result,
          GError    **error)
{
  g_autoptr(MdnEntry) entry = NULL;
  g_autofree char *text = NULL;
  g_autofree char *member_id = NULL;
  const char *message_id = NULL, *raw = NULL;
  sqlite3_stmt *stmt;
  int rc;

  if (!mdn_args_string (args, "message_id", TRUE, &message_id, error) ||
      !mdn_args_string (args, "text", TRUE, &raw, error) || !clean_text (raw, &text, error))
    return FALSE;
  stmt = mdn_db_query (ctx->db, error, "SELECT member_id FROM member_messages WHERE id = ?", "s", message_id);
  if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    member_id = g_strdup (mdn_db_col_text (stmt, 0));
  sqlite3_reset (stmt);
  if (member_id == NULL)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_UNKNOWN_ENTRY, _("There is no such message"));
      return FALSE;
    }
  entry = mdn_entry_new ("message.reply", member_id);
  json_object_set_string_member (entry->body, "message_id", message_id);
  json_object_set_string_member (entry->body, "text", text);
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "message_id", message_id);
  json_object_set_string_member (result, "reply_id", entry->id);
  return TRUE;
}

static gboolean
add_replies (MdnOpCtx   *ctx,
             const char *message_id,
             JsonObject *o,
             GError    **error)
{
  JsonArray *replies = json_array_new ();
  sqlite3_stmt *stmt;
  int rc;

  json_object_set_array_member (o, "replies", replies);
  stmt = mdn_db_query (ctx->db, error,
                       "SELECT id, branch, at, staff, text FROM member_message_replies "
                       "WHERE message_id = ? ORDER BY at, id", "s", message_id);
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
    {
      JsonObject *r = json_object_new ();

      json_object_set_string_member (r, "reply_id", mdn_db_col_text (stmt, 0));
      json_object_set_string_member (r, "branch", mdn_db_col_text (stmt, 1));
      json_object_set_string_member (r, "at", mdn_db_col_text (stmt, 2));
      json_object_set_string_member (r, "staff", mdn_db_col_text (stmt, 3));
      json_object_set_string_member (r, "text", mdn_db_col_text (stmt, 4));
      json_array_add_object_element (replies, r);
    }
  sqlite3_reset (stmt);
  return rc == SQLITE_DONE;
}

static gboolean
op_list (MdnOpCtx   *ctx,
         JsonObject *args,
         JsonObject *result,
         GError    **error)
{
  const char *status = NULL, *card = NULL;
  g_autoptr(MdnMember) m = NULL;
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  gint64 limit = 100;
  JsonArray *list;
  sqlite3_stmt *stmt;
  int rc;

  if (!mdn_args_string (args, "status", FALSE, &status, error) ||
      !mdn_args_string (args, "card", FALSE, &card, error) ||
      !mdn_args_int (args, "limit", FALSE, &limit, error))
    return FALSE;
  if (status && !g_str_equal (status, "open") && !g_str_equal (status, "replied"))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a message status (open, replied)"), status);
      return FALSE;
    }
  if (card && (m = mdn_member_resolve (ctx, card, MDN_RESOLVE_ALLOW_REPLACED, error)) == NULL)
    return FALSE;
  stmt = mdn_db_query (ctx->db, error,
                       "SELECT mm.id, mm.member_id, m.card_no, m.name, m.phone, mm.branch, mm.at, mm.staff, "
                       "mm.text, EXISTS (SELECT 1 FROM member_message_replies r WHERE r.message_id = mm.id) AS replied "
                       "FROM member_messages mm JOIN members m ON m.id = mm.member_id "
                       "WHERE (?1 IS NULL OR mm.member_id = ?1) "
                       "AND (?2 IS NULL OR replied = (?2 = 'replied')) "
                       "ORDER BY mm.at DESC, mm.id DESC LIMIT ?3",
                       "ssi", m ? m->id : NULL, status, CLAMP (limit, 1, 1000));
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
    {
      JsonObject *o = json_object_new ();

      json_object_set_string_member (o, "message_id", mdn_db_col_text (stmt, 0));
      json_object_set_string_member (o, "member_id", mdn_db_col_text (stmt, 1));
      json_object_set_string_member (o, "card_no", mdn_db_col_text (stmt, 2));
      json_object_set_string_member (o, "name", mdn_db_col_text (stmt, 3));
      json_object_set_string_member (o, "phone", mdn_db_col_text (stmt, 4));
      json_object_set_string_member (o, "branch", mdn_db_col_text (stmt, 5));
      json_object_set_string_member (o, "at", mdn_db_col_text (stmt, 6));
      json_object_set_string_member (o, "staff", mdn_db_col_text (stmt, 7));
      json_object_set_string_member (o, "text", mdn_db_col_text (stmt, 8));
      json_object_set_string_member (o, "status", sqlite3_column_int (stmt, 9) ? "replied" : "open");
      g_ptr_array_add (rows, o);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return FALSE;
  list = json_array_new ();
  json_object_set_array_member (result, "messages", list);
  for (guint i = 0; i < rows->len; i++)
    {
      JsonObject *o = g_ptr_array_index (rows, i);

      if (!add_replies (ctx, json_object_get_string_member (o, "message_id"), o, error))
        return FALSE;
      json_array_add_object_element (list, json_object_ref (o));
    }
  return TRUE;
}

static gboolean
apply_add (MdnDb    *db,
           MdnEntry *entry,
           GError  **error)
{
  const char *text = mdn_body_string (entry->body, "text");

  if (entry->member_id == NULL || text == NULL)
    return mdn_entry_malformed (entry, "text", error);
  return mdn_db_exec (db, error,
                      "INSERT INTO member_messages (id, member_id, branch, at, staff, text) "
                      "VALUES (?, ?, ?, ?, ?, ?)",
                      "ssssss", entry->id, entry->member_id, entry->branch, entry->at, entry->staff, text);
}

static gboolean
apply_reply (MdnDb    *db,
             MdnEntry *entry,
             GError  **error)
{
  const char *text = mdn_body_string (entry->body, "text");
  const char *message_id = mdn_body_string (entry->body, "message_id");

  if (entry->member_id == NULL || text == NULL || message_id == NULL)
    return mdn_entry_malformed (entry, "message_id", error);
  return mdn_db_exec (db, error,
                      "INSERT INTO member_message_replies (id, message_id, member_id, branch, at, staff, text) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?)",
                      "sssssss", entry->id, message_id, entry->member_id, entry->branch, entry->at,
                      entry->staff, text);
}

const MdnOpDef mdn_message_ops[] = {
  { "message.add",   MDN_ROLE_CASHIER, MDN_OP_WRITE, op_add },
  { "message.reply", MDN_ROLE_CASHIER, MDN_OP_WRITE, op_reply },
  { "message.list",  MDN_ROLE_CASHIER, MDN_OP_READ,  op_list },
  { NULL }
};

const MdnKindDef mdn_message_kinds[] = {
  { "message.add",   apply_add },
  { "message.reply", apply_reply },
  { NULL }
};
