/* mdn-member-import.c: member.import and the entry kind member.opening.
 *
 * member.import {data_base64, dry_run?, preview?}: the file's bytes (UTF-8 or
 * GB18030), a header naming the columns in Chinese or English:
 *   姓名/name (required), 手机/phone (required), 等级/level, 生日/birthday,
 *   农历生日/birthday_lunar, 本金/principal, 赠送/bonus (yuan, 123.45),
 *   积分/points, 旧卡号/old_card_no.
 * All or nothing: every row is checked first (and against the members the
 * branch has), every problem is reported with its line, and nothing is
 * written if there is one. A phone number twice in the file or already a
 * member's is a problem (duplicates by phone are reported, never merged).
 * Then each row becomes a member.issue and, if it brings a balance, bonus,
 * points or an old card number, a member.opening: reports show it apart
 * from deposits (no tender, no money taken today).
 * preview: true checks only, and answers the problems as errors: [{line,
 * reason}] (the file's line) and the first 500 rows as rows: [{line, name,
 * phone, level, principal_fen, bonus_fen, points, old_card_no}], even when
 * there are problems: what the POS import dialog shows. */
#define G_LOG_DOMAIN "mdn-member-import"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-csv.h"
#include "mdn-error.h"
#include "mdn-id.h"
#include "mdn-member-import.h"
#include "mdn-json.h"
#include "mdn-members.h"
#include "mdn-money.h"

#define MAX_ROWS 100000
#define MAX_PROBLEMS 50

static const char *const n_name[] = { "姓名", "name", "会员姓名", NULL };
static const char *const n_phone[] = { "手机", "phone", "手机号", "电话", "mobile", NULL };
static const char *const n_level[] = { "等级", "level", "会员等级", NULL };
static const char *const n_birthday[] = { "生日", "birthday", NULL };
static const char *const n_lunar[] = { "农历生日", "birthday_lunar", NULL };
static const char *const n_principal[] = { "本金", "principal", "余额", "balance", NULL };
static const char *const n_bonus[] = { "赠送", "bonus", "赠送金额", NULL };
static const char *const n_points[] = { "积分", "points", NULL };
static const char *const n_old[] = { "旧卡号", "old_card_no", "卡号", "card_no", NULL };

static const MdnCsvColumn columns[] = {
  { "name", n_name, TRUE },
  { "phone", n_phone, TRUE },
  { "level", n_level, FALSE },
  { "birthday", n_birthday, FALSE },
  { "birthday_lunar", n_lunar, FALSE },
  { "principal", n_principal, FALSE },
  { "bonus", n_bonus, FALSE },
  { "points", n_points, FALSE },
  { "old_card_no", n_old, FALSE },
  { NULL }
};

typedef struct
{
  guint  line;
  const char *name, *phone, *level, *birthday, *lunar, *old_card_no;
  gint64 principal, bonus, points;
} Row;

/* The problems found: as one message, and as [{line, reason}] for a
 * preview (list NULL otherwise). */
typedef struct
{
  GString   *text;
  JsonArray *list;
} Problems;

static void
problem (Problems   *problems,
         guint      *n,
         guint       line,
         const char *message)
{
  if (++*n > MAX_PROBLEMS)
    return;
  if (problems->list)
    {
      JsonObject *o = json_object_new ();

      json_object_set_int_member (o, "line", line);
      json_object_set_string_member (o, "reason", message);
      json_array_add_object_element (problems->list, o);
    }
  if (problems->text->len)
    g_string_append_c (problems->text, '\n');
  g_string_append_printf (problems->text, _("line %u: %s"), line, message);
}

static gboolean
exists (MdnDb      *db,
        const char *sql,
        const char *value)
{
  sqlite3_stmt *stmt = mdn_db_query (db, NULL, sql, "s", value);
  gboolean found = stmt && mdn_db_step (db, stmt, NULL) == SQLITE_ROW;

  if (stmt)
    sqlite3_reset (stmt);
  return found;
}

/* A birthday as a spreadsheet writes it: 1990-05-01 or 1990/5/1. */
static char *
clean_date (const char *text)
{
  int y, m, d;
  char sep1, sep2, extra;

  if (sscanf (text, "%d%c%d%c%d%c", &y, &sep1, &m, &sep2, &d, &extra) != 5 || sep1 != sep2 ||
      (sep1 != '-' && sep1 != '/' && sep1 != '.') || !g_date_valid_dmy (d, m, y) || y < 1900)
    return NULL;
  return g_strdup_printf ("%04d-%02d-%02d", y, m, d);
}

static gboolean
check_row (MdnOpCtx    *ctx,
           MdnCsvTable *t,
           guint        i,
           Row         *r,
           GHashTable  *phones,
           GHashTable  *olds,
           GPtrArray   *keep,
           Problems    *problems,
           guint       *n)
{
  const char *principal = mdn_csv_get (t, i, "principal");
  const char *bonus = mdn_csv_get (t, i, "bonus");
  const char *points = mdn_csv_get (t, i, "points");
  g_autoptr(GError) error = NULL;
  gboolean ok = TRUE;

  r->line = mdn_csv_line (t, i);
  r->name = mdn_csv_get (t, i, "name");
  r->phone = mdn_csv_get (t, i, "phone");
  r->level = mdn_csv_get (t, i, "level");
  r->birthday = mdn_csv_get (t, i, "birthday");
  r->lunar = mdn_csv_get (t, i, "birthday_lunar");
  r->old_card_no = mdn_csv_get (t, i, "old_card_no");
  if (r->name == NULL)
    ok = (problem (problems, n, r->line, _("the name is empty")), FALSE);
  else if (g_utf8_strlen (r->name, -1) > 64)
    ok = (problem (problems, n, r->line, _("A name can have at most 64 characters")), FALSE);
  if (r->phone == NULL)
    ok = (problem (problems, n, r->line, _("the phone number is empty")), FALSE);
  else if (!mdn_member_valid_phone (r->phone, &error))
    {
      ok = (problem (problems, n, r->line, error->message), FALSE);
      g_clear_error (&error);
    }
  else if (g_hash_table_contains (phones, r->phone))
    {
      g_autofree char *m = g_strdup_printf (_("phone %s is also on line %u"), r->phone,
                                            GPOINTER_TO_UINT (g_hash_table_lookup (phones, r->phone)));

      ok = (problem (problems, n, r->line, m), FALSE);
    }
  else if (exists (ctx->db, "SELECT 1 FROM members WHERE phone = ?", r->phone))
    {
      g_autofree char *m = g_strdup_printf (_("phone %s is already a member's"), r->phone);

      ok = (problem (problems, n, r->line, m), FALSE);
    }
  if (r->phone)
    g_hash_table_insert (phones, (gpointer) r->phone, GUINT_TO_POINTER (r->line));
  if (r->level && !exists (ctx->db, "SELECT 1 FROM levels WHERE code = ? OR name = ?", r->level))
    {
      g_autofree char *m = g_strdup_printf (_("there is no member level “%s”"), r->level);

      ok = (problem (problems, n, r->line, m), FALSE);
    }
  if (r->birthday)
    {
      char *clean = clean_date (r->birthday);

      if (clean == NULL)
        {
          g_autofree char *m = g_strdup_printf (_("“%s” is not a date (1990-05-01)"), r->birthday);

          ok = (problem (problems, n, r->line, m), FALSE);
        }
      else
        {
          g_ptr_array_add (keep, clean);
          r->birthday = clean;
        }
    }
  if (r->lunar && !mdn_member_valid_lunar (r->lunar, &error))
    {
      ok = (problem (problems, n, r->line, error->message), FALSE);
      g_clear_error (&error);
    }
  r->principal = r->bonus = r->points = 0;
  if (principal && (!mdn_money_parse (principal, &r->principal, &error) ||
                    !mdn_money_check_amount (r->principal, TRUE, &error)))
    {
      ok = (problem (problems, n, r->line, error->message), FALSE);
      g_clear_error (&error);
    }
  if (bonus && (!mdn_money_parse (bonus, &r->bonus, &error) || !mdn_money_check_amount (r->bonus, TRUE, &error)))
    {
      ok = (problem (problems, n, r->line, error->message), FALSE);
      g_clear_error (&error);
    }
  if (points)
    {
      char *end = NULL;
      gint64 v = g_ascii_strtoll (points, &end, 10);

      if (end == points || *end != '\0' || v < 0 || v > 1000000000)
        {
          g_autofree char *m = g_strdup_printf (_("“%s” is not a number of points"), points);

          ok = (problem (problems, n, r->line, m), FALSE);
        }
      else
        r->points = v;
    }
  if (r->old_card_no)
    {
      if (g_hash_table_contains (olds, r->old_card_no) ||
          exists (ctx->db, "SELECT 1 FROM card_aliases WHERE alias = ?", r->old_card_no) ||
          exists (ctx->db, "SELECT 1 FROM cards WHERE card_no = ?", r->old_card_no))
        {
          g_autofree char *m = g_strdup_printf (_("old card number %s is taken"), r->old_card_no);

          ok = (problem (problems, n, r->line, m), FALSE);
        }
      g_hash_table_add (olds, (gpointer) r->old_card_no);
    }
  return ok;
}

static gboolean
level_code (MdnOpCtx   *ctx,
            const char *level,
            char      **out,
            GError    **error)
{
  sqlite3_stmt *stmt = mdn_db_query (ctx->db, error, "SELECT code FROM levels WHERE code = ?1 OR name = ?1 "
                                                     "ORDER BY code = ?1 DESC LIMIT 1", "s", level);

  if (stmt == NULL || mdn_db_step (ctx->db, stmt, error) != SQLITE_ROW)
    return FALSE;
  *out = g_strdup (mdn_db_col_text (stmt, 0));
  sqlite3_reset (stmt);
  return TRUE;
}

static gboolean
import_row (MdnOpCtx *ctx,
            Row      *r,
            GError  **error)
{
  g_autofree char *card_no = NULL;
  g_autofree char *member_id = NULL;
  g_autofree char *level = NULL;
  g_autoptr(MdnEntry) issue = NULL;
  g_autofree char *clean_name = g_strstrip (g_strdup (r->name));

  if (!level_code (ctx, r->level ? r->level : "normal", &level, error) ||
      !mdn_card_no_next (ctx, &card_no, error))
    return FALSE;
  member_id = mdn_uuid7_new ();
  /* The same entry as member.issue writes. */
  issue = mdn_entry_new ("member.issue", member_id);
  json_object_set_string_member (issue->body, "card_no", card_no);
  json_object_set_string_member (issue->body, "name", clean_name);
  json_object_set_string_member (issue->body, "phone", r->phone);
  json_object_set_string_member (issue->body, "level", level);
  mdn_json_set_opt_string (issue->body, "birthday", r->birthday);
  mdn_json_set_opt_string (issue->body, "birthday_lunar", r->lunar);
  mdn_json_set_opt_string (issue->body, "pin_hash", NULL);
  mdn_json_set_opt_string (issue->body, "expires_on", NULL);
  if (!mdn_ledger_append (ctx->store, ctx, issue, error))
    return FALSE;
  if (r->principal || r->bonus || r->points || r->old_card_no)
    {
      g_autoptr(MdnEntry) opening = mdn_entry_new ("member.opening", member_id);

      json_object_set_string_member (opening->body, "card_no", card_no);
      json_object_set_int_member (opening->body, "principal_fen", r->principal);
      json_object_set_int_member (opening->body, "bonus_fen", r->bonus);
      json_object_set_int_member (opening->body, "points", r->points);
      mdn_json_set_opt_string (opening->body, "old_card_no", r->old_card_no);
      mdn_entry_add_movement (opening, member_id, "principal", NULL, NULL, NULL, r->principal);
      mdn_entry_add_movement (opening, member_id, "bonus", NULL, NULL, NULL, r->bonus);
      mdn_entry_add_movement (opening, member_id, "points", NULL, NULL, NULL, r->points);
      if (!mdn_ledger_append (ctx->store, ctx, opening, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
op_import (MdnOpCtx   *ctx,
           JsonObject *args,
           JsonObject *result,
           GError    **error)
{
  const char *b64 = NULL;
  gboolean dry_run = FALSE, preview = FALSE;
  g_autofree guchar *data = NULL;
  gsize len = 0;
  g_autoptr(MdnCsvTable) t = NULL;
  g_autoptr(GHashTable) phones = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) olds = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GString) problem_text = g_string_new (NULL);
  Problems problems_ = { problem_text, NULL }, *problems = &problems_;
  g_autofree Row *rows = NULL;
  gint64 principal = 0, bonus = 0, points = 0;
  guint n = 0, n_rows;

  if (!mdn_args_string (args, "data_base64", TRUE, &b64, error) || !mdn_args_bool (args, "dry_run", &dry_run, error) ||
      !mdn_args_bool (args, "preview", &preview, error))
    return FALSE;
  data = g_base64_decode (b64, &len);
  t = mdn_csv_read ((const char *) data, len, columns, error);
  if (t == NULL)
    return FALSE;
  n_rows = mdn_csv_n_rows (t);
  if (n_rows > MAX_ROWS)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("A file can bring at most %d members; split it"), MAX_ROWS);
      return FALSE;
    }
  rows = g_new0 (Row, MAX (n_rows, 1));
  if (preview)
    {
      problems->list = json_array_new ();
      json_object_set_array_member (result, "errors", problems->list);
    }
  for (guint i = 0; i < n_rows; i++)
    {
      if (check_row (ctx, t, i, &rows[i], phones, olds, keep, problems, &n))
        {
          principal += rows[i].principal;    /* each ≤ MDN_MONEY_MAX, at most MAX_ROWS of them */
          bonus += rows[i].bonus;
          points += rows[i].points;
        }
    }
  if (n > 0)
    {
      if (n > MAX_PROBLEMS)
        g_string_append_printf (problems->text, _("\n… and %u more"), n - MAX_PROBLEMS);
      if (!preview)
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                       _("Nothing was imported: %u problems in the file\n%s"), n, problems->text->str);
          return FALSE;
        }
    }
  json_object_set_int_member (result, "problems", n);
  if (preview)
    {
      /* What would be issued, the first rows: for the POS dialog. */
      JsonArray *list = json_array_new ();

      json_object_set_array_member (result, "rows", list);
      for (guint i = 0; i < n_rows && i < 500; i++)
        {
          JsonObject *o = json_object_new ();

          json_object_set_int_member (o, "line", rows[i].line);
          mdn_json_set_opt_string (o, "name", rows[i].name);
          mdn_json_set_opt_string (o, "phone", rows[i].phone);
          mdn_json_set_opt_string (o, "level", rows[i].level);
          json_object_set_int_member (o, "principal_fen", rows[i].principal);
          json_object_set_int_member (o, "bonus_fen", rows[i].bonus);
          json_object_set_int_member (o, "points", rows[i].points);
          mdn_json_set_opt_string (o, "old_card_no", rows[i].old_card_no);
          json_array_add_object_element (list, o);
        }
      dry_run = TRUE;
    }
  json_object_set_int_member (result, "members", n_rows);
  json_object_set_int_member (result, "principal_fen", principal);
  json_object_set_int_member (result, "bonus_fen", bonus);
  json_object_set_int_member (result, "points", points);
  json_object_set_string_member (result, "encoding", mdn_csv_encoding (t));
  json_object_set_boolean_member (result, "dry_run", dry_run);
  if (dry_run)
    return TRUE;
  for (guint i = 0; i < n_rows; i++)
    if (!import_row (ctx, &rows[i], error))
      {
        g_prefix_error (error, _("line %u: "), rows[i].line);
        return FALSE;
      }
  return TRUE;
}

static gboolean
apply_opening (MdnDb    *db,
               MdnEntry *entry,
               GError  **error)
{
  const char *old = mdn_body_string (entry->body, "old_card_no");

  if (entry->member_id == NULL)
    return mdn_entry_malformed (entry, "member", error);
  return old == NULL ||
         mdn_db_exec (db, error, "INSERT INTO card_aliases (alias, member_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
                      "ss", old, entry->member_id);
}

const MdnOpDef mdn_member_import_ops[] = {
  { "member.import", MDN_ROLE_MANAGER, MDN_OP_WRITE, op_import },
  { NULL }
};

const MdnKindDef mdn_member_import_kinds[] = {
  { "member.opening", apply_opening },
  { NULL }
};
