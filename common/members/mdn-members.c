/* mdn-members.c: the member card lifecycle. */
#define G_LOG_DOMAIN "mdn-members"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-id.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-lockout.h"
#include "mdn-members.h"
#include "mdn-settings.h"
#include "mdn-commission.h"
#include "mdn-money.h"
#include "mdn-staff.h"
#include "mdn-card.h"

void
mdn_member_free (MdnMember *m)
{
  if (m == NULL)
    return;
  g_free (m->id);
  g_free (m->card_no);
  g_free (m->presented);
  g_free (m->name);
  g_free (m->phone);
  g_free (m->level);
  g_free (m->status);
  g_free (m->expires_on);
  g_free (m->pin_hash);
  g_free (m->birthday);
  g_free (m->birthday_lunar);
  g_free (m->issued_at);
  g_free (m->issued_branch);
  g_free (m);
}

void
mdn_level_free (MdnLevel *level)
{
  if (level == NULL)
    return;
  g_free (level->code);
  g_free (level->name);
  g_free (level);
}

#define MEMBER_COLUMNS "id, card_no, name, phone, level, status, expires_on, pin_hash, birthday, " \
                       "birthday_lunar, issued_at, issued_branch, principal_fen, bonus_fen, points"

static gboolean valid_phone  (const char *phone, GError **error);
static gboolean valid_lunar  (const char *text, GError **error);
static gboolean next_card_no (MdnOpCtx *ctx, char **out, GError **error);

static MdnMember *
member_from_row (sqlite3_stmt *stmt)
{
  MdnMember *m = g_new0 (MdnMember, 1);

  m->id = g_strdup (mdn_db_col_text (stmt, 0));
  m->card_no = g_strdup (mdn_db_col_text (stmt, 1));
  m->name = g_strdup (mdn_db_col_text (stmt, 2));
  m->phone = g_strdup (mdn_db_col_text (stmt, 3));
  m->level = g_strdup (mdn_db_col_text (stmt, 4));
  m->status = g_strdup (mdn_db_col_text (stmt, 5));
  m->expires_on = g_strdup (mdn_db_col_text (stmt, 6));
  m->pin_hash = g_strdup (mdn_db_col_text (stmt, 7));
  m->birthday = g_strdup (mdn_db_col_text (stmt, 8));
  m->birthday_lunar = g_strdup (mdn_db_col_text (stmt, 9));
  m->issued_at = g_strdup (mdn_db_col_text (stmt, 10));
  m->issued_branch = g_strdup (mdn_db_col_text (stmt, 11));
  m->principal_fen = sqlite3_column_int64 (stmt, 12);
  m->bonus_fen = sqlite3_column_int64 (stmt, 13);
  m->points = sqlite3_column_int64 (stmt, 14);
  return m;
}

MdnMember *
mdn_member_load (MdnDb      *db,
                 const char *member_id,
                 GError    **error)
{
  sqlite3_stmt *stmt;
  MdnMember *m = NULL;
  int rc;

  stmt = mdn_db_query (db, error, "SELECT " MEMBER_COLUMNS " FROM members WHERE id = ?", "s", member_id);
  if (stmt == NULL || (rc = mdn_db_step (db, stmt, error)) < 0)
    return NULL;
  if (rc == SQLITE_ROW)
    m = member_from_row (stmt);
  else
    g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_CARD, _("No such member"));
  sqlite3_reset (stmt);
  return m;
}

/* 1[3-9] followed by nine digits: a mainland mobile number. */
static gboolean
looks_like_mobile (const char *text)
{
  return mdn_card_no_looks_like (text) && text[0] == '1' && text[1] >= '3';
}

static gboolean
unknown_card (const char *card,
              GError    **error)
{
  /* An 11-digit number that fails the Luhn check was mistyped, unless it
   * may just as well be a phone number nobody has. */
  if (mdn_card_no_looks_like (card) && !mdn_card_no_valid (card) && !looks_like_mobile (card))
    g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_CARD_NUMBER,
                 _("Card number %s has a wrong check digit; it was probably mistyped"), card);
  else
    g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_CARD,
                 _("No member with card or phone “%s”"), card);
  return FALSE;
}

/* A card number, a phone number or a QR payload → the member.
 * A replaced card number is refused unless @flags allow it. */
MdnMember *
mdn_member_resolve (MdnOpCtx       *ctx,
                    const char     *card,
                    MdnResolveFlags flags,
                    GError        **error)
{
  g_autofree char *card_no = NULL;
  g_autofree char *card_status = NULL;
  g_autoptr(MdnMember) m = NULL;
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (card != NULL, NULL);

  card_no = g_strstrip (g_strdup (card));
  if (mdn_qr_is_payload (card_no))
    {
      char *parsed = mdn_qr_parse (ctx->store, card_no, error);

      if (parsed == NULL)
        return NULL;
      g_free (card_no);
      card_no = parsed;
    }

  /* One statement per way in (card, then phone), each returning the member
   * itself: a lookup is a point query or two, not three (bench-lookup).
   * Every number in cards passed mdn_card_no_valid (mdn_card_no_make makes
   * them; the entry check refuses an issue or a replacement with any other,
   * at the branch and at the server), so text that fails it (nine phone
   * numbers in ten) needs no card query. */
  if (mdn_card_no_valid (card_no))
    {
      stmt = mdn_db_query (ctx->db, error,
                           "SELECT " MEMBER_COLUMNS ", card_status FROM "
                           "(SELECT member_id, status AS card_status FROM cards WHERE card_no = ?) "
                           "JOIN members ON id = member_id", "s", card_no);
      if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) < 0)
        return NULL;
      if (rc == SQLITE_ROW)
        {
          m = member_from_row (stmt);
          card_status = g_strdup (mdn_db_col_text (stmt, 15));
        }
      sqlite3_reset (stmt);
    }

  if (m == NULL && !mdn_qr_is_payload (card))
    {
      /* By phone: exactly one member may have it. */
      stmt = mdn_db_query (ctx->db, error, "SELECT " MEMBER_COLUMNS " FROM members WHERE phone = ? LIMIT 2",
                           "s", card_no);
      if (stmt == NULL)
        return NULL;
      while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
        {
          if (m != NULL)
            {
              sqlite3_reset (stmt);
              g_set_error (error, MDN_ERROR, MDN_ERROR_AMBIGUOUS_CARD,
                           _("Several members have phone %s; use the card number"), card_no);
              return NULL;
            }
          m = member_from_row (stmt);
        }
      sqlite3_reset (stmt);
      if (rc < 0)
        return NULL;
    }
  if (m == NULL && !mdn_qr_is_payload (card))
    {
      /* A card number of the old system the member was imported from. */
      stmt = mdn_db_query (ctx->db, error,
                           "SELECT " MEMBER_COLUMNS " FROM "
                           "(SELECT member_id FROM card_aliases WHERE alias = ?) "
                           "JOIN members ON id = member_id", "s", card_no);
      if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) < 0)
        return NULL;
      if (rc == SQLITE_ROW)
        m = member_from_row (stmt);
      sqlite3_reset (stmt);
    }
  if (m == NULL)
    return unknown_card (card_no, error), NULL;

  if (g_strcmp0 (card_status, "replaced") == 0)
    {
      if (!(flags & MDN_RESOLVE_ALLOW_REPLACED))
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_CARD_REPLACED,
                       _("Card %s was replaced by card %s and can no longer be used"),
                       card_no, m->card_no);
          return NULL;
        }
      m->presented = g_strdup (card_no);
    }
  return g_steal_pointer (&m);
}

MdnMember *
mdn_member_resolve_arg (MdnOpCtx   *ctx,
                        JsonObject *args,
                        GError    **error)
{
  const char *card = NULL;

  if (!mdn_args_string (args, "card", TRUE, &card, error))
    return NULL;
  return mdn_member_resolve (ctx, card, MDN_RESOLVE_DEFAULT, error);
}

/* active | lost | replaced | expired */
const char *
mdn_member_status (MdnOpCtx  *ctx,
                   MdnMember *m)
{
  if (m->presented != NULL)
    return "replaced";
  if (g_str_equal (m->status, "lost"))
    return "lost";
  if (m->expires_on && ctx->business_date && strcmp (m->expires_on, ctx->business_date) < 0)
    return "expired";
  return "active";
}

/* A lost or expired card can't be used for anything but its own repair. */
gboolean
mdn_member_check_usable (MdnOpCtx  *ctx,
                         MdnMember *m,
                         GError   **error)
{
  const char *status = mdn_member_status (ctx, m);

  if (g_str_equal (status, "lost"))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_CARD_LOST,
                   _("Card %s is reported lost; unlock it or issue a replacement first"), m->card_no);
      return FALSE;
    }
  if (g_str_equal (status, "expired"))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_CARD_EXPIRED,
                   _("Card %s expired on %s; extend it first"), m->card_no, m->expires_on);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_not_lost (MdnOpCtx  *ctx,
                MdnMember *m,
                GError   **error)
{
  if (g_str_equal (mdn_member_status (ctx, m), "lost"))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_CARD_LOST,
                   _("Card %s is reported lost; unlock it or issue a replacement first"), m->card_no);
      return FALSE;
    }
  return TRUE;
}

/* The PIN rule, the same at a branch and at the server: a card with a PIN
 * needs it; a locked card refuses even the right one (pin_locked); a wrong
 * one is wrong_pin, or pin_locked when it is the MDN_LOCKOUT_MAX_FAILURES-th
 * in a row, with *out_wrong set: the caller counts it (mdn_lockout_fail)
 * where the count survives the failed operation. A right one starts the
 * count again. */
gboolean
mdn_pin_verify (MdnDb      *db,
                const char *member_id,
                const char *pin_hash,
                const char *pin,
                gint64      now,
                gboolean   *out_wrong,
                GError    **error)
{
  MdnLockout lock;
  gint64 left;

  g_return_val_if_fail (db != NULL && member_id != NULL && out_wrong != NULL, FALSE);

  *out_wrong = FALSE;
  if (pin_hash == NULL || *pin_hash == '\0')
    return TRUE;
  if (pin == NULL || *pin == '\0')
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_PIN_REQUIRED,
                           _("This card has a PIN; ask the member to enter it"));
      return FALSE;
    }
  if (!mdn_lockout_get (db, "pin", member_id, now, &lock, error))
    return FALSE;
  if (lock.locked_until > now)
    {
      mdn_set_locked_error (error, MDN_ERROR_PIN_LOCKED, lock.locked_until, now);
      return FALSE;
    }
  if (!mdn_secret_verify (pin_hash, pin))
    {
      *out_wrong = TRUE;
      left = mdn_pin_max_failures (db) - lock.failures - 1;
      if (left <= 0)
        mdn_set_locked_error (error, MDN_ERROR_PIN_LOCKED, now + MDN_LOCKOUT_SECONDS, now);
      else
        g_set_error (error, MDN_ERROR, MDN_ERROR_WRONG_PIN,
                     g_dngettext (GETTEXT_PACKAGE,
                                  "Wrong PIN; ask the member to enter it again (%d more wrong try locks "
                                  "paying from this card for 15 minutes)",
                                  "Wrong PIN; ask the member to enter it again (%d more wrong tries lock "
                                  "paying from this card for 15 minutes)", (gulong) left),
                     (int) left);
      return FALSE;
    }
  if (lock.failures > 0 || lock.unreported > 0)
    return mdn_lockout_clear (db, "pin", member_id, now, error);
  return TRUE;
}

/* The PIN of @m for an operation at this branch. At a linked branch a
 * spend's probe only checks that a PIN was given and that the card is not
 * locked: the server checks the PIN itself when it authorizes (it holds the
 * chain-wide count), and a spend it authorized after checking the PIN
 * (spend->pin_checked) is not checked again. Offline, unlinked, or for a
 * withdrawal, the PIN is checked here; a wrong one is left in
 * ctx->failed_pin for mdn_ops_run to count after the rollback. */
gboolean
mdn_member_check_pin (MdnOpCtx   *ctx,
                      MdnMember  *m,
                      const char *pin,
                      GError    **error)
{
  MdnSpend *sp;
  gint64 now;
  gboolean wrong = FALSE;

  g_return_val_if_fail (ctx != NULL && m != NULL, FALSE);

  if (m->pin_hash == NULL || *m->pin_hash == '\0')
    return TRUE;
  sp = ctx->spend;
  now = ctx->now ? g_date_time_to_unix (ctx->now) : mdn_lockout_now ();
  if (sp && sp->mode == MDN_SPEND_PROBE)
    {
      MdnLockout lock;

      if (pin == NULL || *pin == '\0')
        {
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_PIN_REQUIRED,
                               _("This card has a PIN; ask the member to enter it"));
          return FALSE;
        }
      if (!mdn_lockout_get (ctx->db, "pin", m->id, now, &lock, error))
        return FALSE;
      if (lock.locked_until > now)
        {
          mdn_set_locked_error (error, MDN_ERROR_PIN_LOCKED, lock.locked_until, now);
          return FALSE;
        }
      return TRUE;
    }
  if (sp && sp->mode == MDN_SPEND_ONLINE && sp->pin_checked && g_strcmp0 (sp->member_id, m->id) == 0)
    return TRUE;
  if (mdn_pin_verify (ctx->db, m->id, m->pin_hash, pin, now, &wrong, error))
    return TRUE;
  if (wrong)
    {
      g_free (ctx->failed_pin);
      ctx->failed_pin = g_strdup (m->id);
    }
  return FALSE;
}

MdnLevel *
mdn_level_load (MdnDb      *db,
                const char *code,
                GError    **error)
{
  sqlite3_stmt *stmt;
  MdnLevel *level = NULL;
  int rc;

  stmt = mdn_db_query (db, error,
                       "SELECT code, name, price_percent, points_per_yuan, offline_limit_fen "
                       "FROM levels WHERE code = ?", "s", code);
  if (stmt == NULL || (rc = mdn_db_step (db, stmt, error)) < 0)
    return NULL;
  if (rc == SQLITE_ROW)
    {
      level = g_new0 (MdnLevel, 1);
      level->code = g_strdup (mdn_db_col_text (stmt, 0));
      level->name = g_strdup (mdn_db_col_text (stmt, 1));
      level->price_percent = sqlite3_column_int64 (stmt, 2);
      level->points_per_yuan = sqlite3_column_int64 (stmt, 3);
      level->offline_limit_fen = sqlite3_column_int64 (stmt, 4);
    }
  else
    g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_LEVEL,
                 _("There is no member level “%s”"), code);
  sqlite3_reset (stmt);
  return level;
}

gboolean
mdn_tender_valid (const char *tender,
                  gboolean    allow_balance,
                  GError    **error)
{
  if (tender == NULL || !g_strv_contains (mdn_all_tenders, tender) ||
      (!allow_balance && g_str_equal (tender, "balance")))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   allow_balance ? _("Unknown tender “%s”; use balance, cash, bank, wechat or alipay")
                                 : _("Unknown tender “%s”; use cash, bank, wechat or alipay"),
                   tender ? tender : "");
      return FALSE;
    }
  return TRUE;
}

/* Validation helpers -------------------------------------------------------- */

/* Wrong PINs in a row that lock a card: the chain's setting. */
gint64
mdn_pin_max_failures (MdnDb *db)
{
  return CLAMP (mdn_settings_get_int (db, "member.pin_lockout_attempts"), 1, 100);
}

/* A new PIN has the length the chain's setting member.pin_length asks
 * (PINs set before a change keep working). */
static gboolean
valid_pin (MdnDb      *db,
           const char *pin,
           GError    **error)
{
  gsize len = strlen (pin);
  g_autofree char *want = mdn_settings_dup_choice (db, "member.pin_length");
  gsize need = want ? (gsize) g_ascii_strtoull (want, NULL, 10) : 6;

  for (const char *p = pin; *p; p++)
    if (!g_ascii_isdigit (*p))
      len = 0;
  if (len != need)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("A PIN is %d digits here"), (int) need);
      return FALSE;
    }
  return TRUE;
}

gboolean
mdn_card_no_next (MdnOpCtx *ctx,
                  char    **out,
                  GError  **error)
{
  return next_card_no (ctx, out, error);
}

static gboolean
valid_phone (const char *phone,
             GError    **error)
{
  gsize len = strlen (phone);
  gboolean ok = len >= 3 && len <= 20;

  for (const char *p = phone; *p && ok; p++)
    ok = g_ascii_isdigit (*p) || (*p == '-' && p != phone);
  if (!ok || mdn_qr_is_payload (phone))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a phone number; use digits only"), phone);
      return FALSE;
    }
  return TRUE;
}

gboolean
mdn_member_valid_phone (const char *phone,
                        GError    **error)
{
  g_return_val_if_fail (phone != NULL, FALSE);
  return valid_phone (phone, error);
}

static gboolean valid_lunar (const char *text, GError **error);

gboolean
mdn_member_valid_lunar (const char *text,
                        GError    **error)
{
  g_return_val_if_fail (text != NULL, FALSE);
  return valid_lunar (text, error);
}

/* Lunar birthday: MM-DD or YYYY-MM-DD in the Chinese calendar; a leap month
 * is written with an “L” before the month (L04-15). */
static gboolean
valid_lunar (const char *text,
             GError    **error)
{
  const char *md = text;
  int month, day;

  if (strlen (text) == 10 || strlen (text) == 11)
    {
      if (!g_ascii_isdigit (text[0]) || text[4] != '-')
        goto bad;
      md = text + 5;
    }
  if (*md == 'L')
    md++;
  if (strlen (md) != 5 || md[2] != '-' || !g_ascii_isdigit (md[0]) || !g_ascii_isdigit (md[1]) ||
      !g_ascii_isdigit (md[3]) || !g_ascii_isdigit (md[4]))
    goto bad;
  month = (md[0] - '0') * 10 + (md[1] - '0');
  day = (md[3] - '0') * 10 + (md[4] - '0');
  if (month >= 1 && month <= 12 && day >= 1 && day <= 30)
    return TRUE;
bad:
  g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
               _("“%s” is not a lunar birthday; write it like 08-15 (L04-15 for a leap month)"), text);
  return FALSE;
}

static gint64
balance_of (MdnMember *m)
{
  return m->principal_fen + m->bonus_fen;
}

/* Deposit ------------------------------------------------------------------- */

static gboolean
deposit_bonus (MdnDb  *db,
               gint64  amount,
               gint64 *bonus,
               GError **error)
{
  sqlite3_stmt *stmt;
  int rc;

  *bonus = 0;
  stmt = mdn_db_query (db, error,
                       "SELECT bonus_fen FROM deposit_rules WHERE min_fen <= ? "
                       "ORDER BY min_fen DESC LIMIT 1", "i", amount);
  if (stmt == NULL || (rc = mdn_db_step (db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    *bonus = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return TRUE;
}

static gboolean
append_deposit (MdnOpCtx   *ctx,
                MdnMember  *m,
                gint64      amount,
                const char *tender,
                const char *staff,
                JsonObject *result,
                GError    **error)
{
  g_autoptr(MdnEntry) entry = NULL;
  gint64 bonus, balance;

  if (!mdn_money_check_amount (amount, FALSE, error) ||
      !mdn_tender_valid (tender, FALSE, error) ||
      !deposit_bonus (ctx->db, amount, &bonus, error) ||
      !mdn_money_add (balance_of (m), amount + bonus, &balance, error))
    return FALSE;

  entry = mdn_entry_new ("member.deposit", m->id);
  json_object_set_string_member (entry->body, "card_no", m->card_no);
  json_object_set_int_member (entry->body, "amount_fen", amount);
  json_object_set_int_member (entry->body, "bonus_fen", bonus);
  json_object_set_string_member (entry->body, "tender", tender);
  mdn_entry_add_movement (entry, m->id, "principal", NULL, NULL, NULL, amount);
  mdn_entry_add_movement (entry, m->id, "bonus", NULL, NULL, NULL, bonus);
  if (!mdn_commission_add (ctx, entry, "deposit", NULL, staff, 0, amount, amount, 1, error) ||
      !mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;

  m->principal_fen += amount;
  m->bonus_fen += bonus;
  json_object_set_int_member (result, "amount_fen", amount);
  json_object_set_int_member (result, "bonus_fen", bonus);
  mdn_json_set_opt_string (result, "tender", tender);
  json_object_set_int_member (result, "balance_fen", balance);
  json_object_set_int_member (result, "principal_fen", m->principal_fen);
  json_object_set_int_member (result, "bonus_balance_fen", m->bonus_fen);
  return TRUE;
}

static gboolean
op_deposit (MdnOpCtx   *ctx,
            JsonObject *args,
            JsonObject *result,
            GError    **error)
{
  g_autoptr(MdnMember) m = NULL;
  const char *tender = "cash", *staff = NULL;
  gint64 amount = 0;

  if (!mdn_args_money (args, "amount", TRUE, &amount, error) ||
      !mdn_args_string (args, "tender", FALSE, &tender, error) ||
      !mdn_args_string (args, "staff", FALSE, &staff, error))
    return FALSE;
  m = mdn_member_resolve_arg (ctx, args, error);
  if (m == NULL || !check_not_lost (ctx, m, error))
    return FALSE;
  json_object_set_string_member (result, "card_no", m->card_no);
  return append_deposit (ctx, m, amount, tender, staff, result, error);
}

/* What a deposit of this amount would earn, to show before confirming. */
static gboolean
op_deposit_preview (MdnOpCtx   *ctx,
                    JsonObject *args,
                    JsonObject *result,
                    GError    **error)
{
  gint64 amount = 0, bonus = 0;

  if (!mdn_args_money (args, "amount", TRUE, &amount, error) ||
      !mdn_money_check_amount (amount, FALSE, error) ||
      !deposit_bonus (ctx->db, amount, &bonus, error))
    return FALSE;
  json_object_set_int_member (result, "amount_fen", amount);
  json_object_set_int_member (result, "bonus_fen", bonus);
  return TRUE;
}

static gboolean
op_withdraw (MdnOpCtx   *ctx,
             JsonObject *args,
             JsonObject *result,
             GError    **error)
{
  g_autoptr(MdnMember) m = NULL;
  g_autoptr(MdnEntry) entry = NULL;
  const char *tender = "cash", *pin = NULL;
  gint64 amount = 0;

  if (!mdn_args_money (args, "amount", TRUE, &amount, error) ||
      !mdn_args_string (args, "tender", FALSE, &tender, error) ||
      !mdn_args_string (args, "pin", FALSE, &pin, error) ||
      !mdn_money_check_amount (amount, FALSE, error) ||
      !mdn_tender_valid (tender, FALSE, error))
    return FALSE;
  m = mdn_member_resolve_arg (ctx, args, error);
  if (m == NULL || !check_not_lost (ctx, m, error) || !mdn_card_check_hold (ctx, m, error) ||
      !mdn_member_check_pin (ctx, m, pin, error))
    return FALSE;
  if (amount > m->principal_fen)
    {
      g_autofree char *have = mdn_money_format (m->principal_fen);

      g_set_error (error, MDN_ERROR, MDN_ERROR_INSUFFICIENT_PRINCIPAL,
                   _("Only money paid in can be withdrawn; card %s has %s of it"), m->card_no, have);
      return FALSE;
    }

  entry = mdn_entry_new ("member.withdraw", m->id);
  json_object_set_string_member (entry->body, "card_no", m->card_no);
  json_object_set_int_member (entry->body, "amount_fen", amount);
  json_object_set_string_member (entry->body, "tender", tender);
  mdn_entry_add_movement (entry, m->id, "principal", NULL, NULL, NULL, -amount);
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "card_no", m->card_no);
  json_object_set_int_member (result, "amount_fen", amount);
  json_object_set_int_member (result, "principal_fen", m->principal_fen - amount);
  json_object_set_int_member (result, "balance_fen", balance_of (m) - amount);
  return TRUE;
}

/* Issue ------------------------------------------------------------------ */

static gboolean
next_card_no (MdnOpCtx *ctx,
              char    **out,
              GError  **error)
{
  for (int attempt = 0; attempt < 1000; attempt++)
    {
      g_autofree char *card_no = NULL;
      sqlite3_stmt *stmt;
      gint64 seq;
      int rc;

      if (!mdn_db_counter_next (ctx->db, "card_seq", &seq, error))
        return FALSE;
      if (seq > 9999999)
        {
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INTERNAL,
                               _("This branch has used up its card numbers"));
          return FALSE;
        }
      card_no = mdn_card_no_make (ctx->store->branch_number, seq);
      stmt = mdn_db_query (ctx->db, error, "SELECT 1 FROM cards WHERE card_no = ?", "s", card_no);
      if (stmt == NULL || (rc = mdn_db_step (ctx->db, stmt, error)) < 0)
        return FALSE;
      sqlite3_reset (stmt);
      if (rc == SQLITE_DONE)
        {
          *out = g_steal_pointer (&card_no);
          return TRUE;
        }
    }
  g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INTERNAL, _("No free card number"));
  return FALSE;
}

static gboolean
op_issue (MdnOpCtx   *ctx,
          JsonObject *args,
          JsonObject *result,
          GError    **error)
{
  const char *name = NULL, *phone = NULL, *level_code = "normal", *birthday = NULL;
  const char *lunar = NULL, *pin = NULL, *tender = "cash", *expires_on = NULL, *staff = NULL;
  g_autoptr(MdnLevel) level = NULL;
  g_autoptr(MdnEntry) entry = NULL;
  g_autoptr(MdnMember) m = NULL;
  g_autofree char *card_no = NULL;
  g_autofree char *member_id = NULL;
  g_autofree char *pin_hash = NULL;
  g_autofree char *clean_name = NULL;
  g_autofree char *qr = NULL;
  gint64 deposit = 0;

  if (!mdn_args_string (args, "name", TRUE, &name, error) ||
      !mdn_args_string (args, "phone", TRUE, &phone, error) ||
      !mdn_args_string (args, "level", FALSE, &level_code, error) ||
      !mdn_args_date (args, "birthday", FALSE, &birthday, error) ||
      !mdn_args_string (args, "birthday_lunar", FALSE, &lunar, error) ||
      !mdn_args_string (args, "pin", FALSE, &pin, error) ||
      !mdn_args_money (args, "deposit", FALSE, &deposit, error) ||
      !mdn_args_string (args, "tender", FALSE, &tender, error) ||
      !mdn_args_string (args, "staff", FALSE, &staff, error) ||
      !mdn_args_date (args, "expires_on", FALSE, &expires_on, error))
    return FALSE;

  clean_name = g_strstrip (g_strdup (name));
  if (g_utf8_strlen (clean_name, -1) > 64)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("A name can have at most 64 characters"));
      return FALSE;
    }
  if (!valid_phone (phone, error) ||
      (lunar && !valid_lunar (lunar, error)) ||
      (pin && !valid_pin (ctx->db, pin, error)) ||
      (deposit != 0 && (!mdn_money_check_amount (deposit, FALSE, error) ||
                        !mdn_tender_valid (tender, FALSE, error))))
    return FALSE;
  if (expires_on && strcmp (expires_on, ctx->business_date) < 0)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("The card cannot expire in the past (%s)"), expires_on);
      return FALSE;
    }
  level = mdn_level_load (ctx->db, level_code, error);
  if (level == NULL)
    return FALSE;
  if (pin && (pin_hash = mdn_secret_hash (pin, error)) == NULL)
    return FALSE;
  if (!next_card_no (ctx, &card_no, error))
    return FALSE;

  member_id = mdn_uuid7_new ();
  entry = mdn_entry_new ("member.issue", member_id);
  json_object_set_string_member (entry->body, "card_no", card_no);
  json_object_set_string_member (entry->body, "name", clean_name);
  json_object_set_string_member (entry->body, "phone", phone);
  json_object_set_string_member (entry->body, "level", level->code);
  mdn_json_set_opt_string (entry->body, "birthday", birthday);
  mdn_json_set_opt_string (entry->body, "birthday_lunar", lunar);
  mdn_json_set_opt_string (entry->body, "pin_hash", pin_hash);
  mdn_json_set_opt_string (entry->body, "expires_on", expires_on);
  if (!mdn_commission_add (ctx, entry, "card_issue", NULL, staff, 0, 0, 0, 1, error) ||
      !mdn_ledger_append (ctx->store, ctx, entry, error))
    return FALSE;

  qr = mdn_qr_card_text (ctx->store, card_no);
  json_object_set_string_member (result, "member_id", member_id);
  json_object_set_string_member (result, "card_no", card_no);
  json_object_set_string_member (result, "qr", qr);
  {
    g_autofree char *payload = mdn_qr_payload (ctx->store, card_no);

    json_object_set_string_member (result, "payload", payload);
  }
  json_object_set_string_member (result, "entry_id", entry->id);

  if (deposit > 0)
    {
      g_autoptr(JsonObject) dep = json_object_new ();

      m = mdn_member_load (ctx->db, member_id, error);
      if (m == NULL || !append_deposit (ctx, m, deposit, tender, staff, dep, error))
        return FALSE;
      json_object_set_string_member (result, "deposit_entry_id",
                                     json_object_get_string_member (dep, "entry_id"));
      /* The deposit's receipt prints from this answer: its amount and tender. */
      json_object_set_int_member (result, "amount_fen", json_object_get_int_member (dep, "amount_fen"));
      json_object_set_int_member (result, "bonus_fen", json_object_get_int_member (dep, "bonus_fen"));
      mdn_json_set_opt_string (result, "tender", json_object_get_string_member_with_default (dep, "tender", NULL));
      json_object_set_int_member (result, "balance_fen", json_object_get_int_member (dep, "balance_fen"));
    }
  else
    json_object_set_int_member (result, "balance_fen", 0);
  return TRUE;
}

static gboolean
apply_issue (MdnDb    *db,
             MdnEntry *entry,
             GError  **error)
{
  JsonObject *b = entry->body;
  const char *card_no = mdn_body_string (b, "card_no");

  if (entry->member_id == NULL || card_no == NULL || mdn_body_string (b, "name") == NULL ||
      mdn_body_string (b, "phone") == NULL || mdn_body_string (b, "level") == NULL)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("The entry is malformed: member.issue"));
      return FALSE;
    }
  return mdn_db_exec (db, error,
                      "INSERT INTO members (id, card_no, name, phone, level, birthday, birthday_lunar, "
                      "pin_hash, status, expires_on, issued_at, issued_branch) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?)",
                      "sssssssssss", entry->member_id, card_no, mdn_body_string (b, "name"),
                      mdn_body_string (b, "phone"), mdn_body_string (b, "level"),
                      mdn_body_string (b, "birthday"), mdn_body_string (b, "birthday_lunar"),
                      mdn_body_string (b, "pin_hash"), mdn_body_string (b, "expires_on"),
                      entry->at, entry->branch) &&
         mdn_db_exec (db, error,
                      "INSERT INTO cards (card_no, member_id, status) VALUES (?, ?, 'current')",
                      "ss", card_no, entry->member_id);
}

/* Member state: one order every terminal knows ------------------------------------ *
 *
 * Balances, points and package uses are sums of movements: any order of
 * arrival gives the same figures. A member's card state is not a sum: the
 * current card number, lost or active, expiry, level and PIN hash. It is a
 * fold of the member's state entries (member.replace, .lose, .unlock,
 * .extend, .upgrade, .set_pin) over their member.issue, taken in one total
 * order that every terminal computes from the entries alone:
 *
 *   (rev, at, branch, seq)
 *
 * rev is a per-member Lamport counter in the entry body: one more than the
 * highest rev of the member's state entries the writing branch knew, or,
 * for a card operation the server authorized, the rev the server gave (one
 * more than every state entry and live card authorization it knows). So
 * operations made online one after the other are ordered as they happened
 * whatever the branches' clocks say; only operations made concurrently
 * (offline) fall back on time, branch and seq. Each state entry applied
 * re-derives the member's state from all of them, so an entry arriving out
 * of order (a branch back online after hours) ends in the same state as
 * everywhere else. The rules of the fold:
 *
 *   replace  the new card is current and active; every other number of the
 *            member is replaced. Replacing a card that was no longer the
 *            current one (two replacements of one card) still makes the new
 *            number current: the last replacement in the order wins.
 *   lose     the member's current card is lost, also when the branch named
 *            an older number it did not know had been replaced: a loss
 *            report protects the balance, so it reaches the replacement too
 *            (unlock it, or replace it again).
 *   unlock   the current card is active.
 *   extend, upgrade, set_pin   the field takes the entry's value.
 *
 * The conflicts (a replacement of a card already replaced, a loss report of
 * a replaced number, an unlock of a card that was not lost at its place in
 * the order) change nothing in these rules; mdn_member_card_conflicts()
 * lists them for head office.
 */

typedef struct
{
  char   *id;
  char   *branch;
  gint64  seq;
  char   *kind;
  gint64  rev;
  gint64  at_usec;
  char   *at;
  /* What the fold reads of the body: */
  char   *card_no;
  char   *old_card_no;
  char   *expires_on;
  char   *level;
  char   *pin_hash;
} StateEntry;

static void
state_entry_clear (gpointer data)
{
  StateEntry *e = data;

  g_free (e->id);
  g_free (e->branch);
  g_free (e->kind);
  g_free (e->at);
  g_free (e->card_no);
  g_free (e->old_card_no);
  g_free (e->expires_on);
  g_free (e->level);
  g_free (e->pin_hash);
}

static gint64
at_usec (const char *at)
{
  g_autoptr(GDateTime) dt = at ? g_date_time_new_from_iso8601 (at, NULL) : NULL;

  if (dt == NULL)
    return G_MININT64;
  return g_date_time_to_unix (dt) * G_USEC_PER_SEC + g_date_time_get_microsecond (dt);
}

static int
state_entry_compare (gconstpointer a,
                     gconstpointer b)
{
  const StateEntry *x = a, *y = b;
  int c;

  if (g_str_equal (x->kind, "member.issue") != g_str_equal (y->kind, "member.issue"))
    return g_str_equal (x->kind, "member.issue") ? -1 : 1;
  if (x->rev != y->rev)
    return x->rev < y->rev ? -1 : 1;
  if (x->at_usec != y->at_usec)
    return x->at_usec < y->at_usec ? -1 : 1;
  if ((c = g_strcmp0 (x->at, y->at)) != 0)
    return c;
  if ((c = strcmp (x->branch, y->branch)) != 0)
    return c;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

#define STATE_KINDS "'member.issue', 'member.replace', 'member.lose', 'member.unlock', " \
                    "'member.extend', 'member.upgrade', 'member.set_pin'"

/* The member's issue and state entries, in the fold's order. */
static GArray *
load_state_entries (MdnDb      *db,
                    const char *member_id,
                    GError    **error)
{
  g_autoptr(GArray) list = g_array_new (FALSE, TRUE, sizeof (StateEntry));
  sqlite3_stmt *stmt;
  int rc;

  g_array_set_clear_func (list, state_entry_clear);
  /* The body's fields through SQLite's JSON functions: the fold runs on
     every state entry applied, and parsing each body whole would cost more
     than the rest of the apply. */
  stmt = mdn_db_query (db, error,
                       "SELECT id, branch, seq, kind, at, json_extract (body, '$.rev'), "
                       "json_extract (body, '$.card_no'), json_extract (body, '$.old_card_no'), "
                       "json_extract (body, '$.expires_on'), json_extract (body, '$.level'), "
                       "json_extract (body, '$.pin_hash') FROM entries "
                       "WHERE member_id = ? AND kind IN (" STATE_KINDS ")", "s", member_id);
  if (stmt == NULL)
    return NULL;
  while ((rc = mdn_db_step (db, stmt, error)) == SQLITE_ROW)
    {
      StateEntry e = {
        .id = g_strdup (mdn_db_col_text (stmt, 0)),
        .branch = g_strdup (mdn_db_col_text (stmt, 1)),
        .seq = sqlite3_column_int64 (stmt, 2),
        .kind = g_strdup (mdn_db_col_text (stmt, 3)),
        .at = g_strdup (mdn_db_col_text (stmt, 4)),
        .rev = sqlite3_column_type (stmt, 5) == SQLITE_INTEGER ? sqlite3_column_int64 (stmt, 5) : 0,
        .card_no = g_strdup (mdn_db_col_text (stmt, 6)),
        .old_card_no = g_strdup (mdn_db_col_text (stmt, 7)),
        .expires_on = g_strdup (mdn_db_col_text (stmt, 8)),
        .level = g_strdup (mdn_db_col_text (stmt, 9)),
        .pin_hash = g_strdup (mdn_db_col_text (stmt, 10)),
      };

      e.at_usec = at_usec (e.at);
      g_array_append_val (list, e);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return NULL;
  g_array_sort (list, state_entry_compare);
  return g_steal_pointer (&list);
}

typedef struct
{
  char      *card_no;
  gboolean   lost;
  char      *expires_on;
  char      *level;
  char      *pin_hash;
  GPtrArray *conflicts;   /* MdnCardConflict, or NULL: not wanted */
} MemberState;

static void
member_state_clear (MemberState *st)
{
  g_clear_pointer (&st->card_no, g_free);
  g_clear_pointer (&st->expires_on, g_free);
  g_clear_pointer (&st->level, g_free);
  g_clear_pointer (&st->pin_hash, g_free);
  g_clear_pointer (&st->conflicts, g_ptr_array_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (MemberState, member_state_clear)

void
mdn_card_conflict_free (MdnCardConflict *c)
{
  if (c == NULL)
    return;
  g_free (c->entry_id);
  g_free (c->branch);
  g_free (c->kind);
  g_free (c->reason);
  g_free (c->card_no);
  g_free (c->current_card_no);
  g_free (c);
}

static void
conflict (MemberState *st,
          StateEntry  *e,
          const char  *reason,
          const char  *card_no)
{
  MdnCardConflict *c;

  if (st->conflicts == NULL)
    return;
  c = g_new0 (MdnCardConflict, 1);
  c->entry_id = g_strdup (e->id);
  c->branch = g_strdup (e->branch);
  c->seq = e->seq;
  c->kind = g_strdup (e->kind);
  c->reason = g_strdup (reason);
  c->card_no = g_strdup (card_no);
  c->current_card_no = g_strdup (st->card_no);
  g_ptr_array_add (st->conflicts, c);
}

static void
set_str (char      **field,
         const char *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

/* Folds @entries (issue first) into @st. FALSE when there is no issue. */
static gboolean
fold_state (GArray      *entries,
            MemberState *st)
{
  for (guint i = 0; i < entries->len; i++)
    {
      StateEntry *e = &g_array_index (entries, StateEntry, i);

      if (i == 0)
        {
          if (!g_str_equal (e->kind, "member.issue") || e->card_no == NULL)
            return FALSE;
          set_str (&st->card_no, e->card_no);
          set_str (&st->expires_on, e->expires_on);
          set_str (&st->level, e->level);
          set_str (&st->pin_hash, e->pin_hash);
          st->lost = FALSE;
        }
      else if (g_str_equal (e->kind, "member.replace"))
        {
          if (g_strcmp0 (e->old_card_no, st->card_no) != 0)
            conflict (st, e, "replaced_twice", e->old_card_no);
          set_str (&st->card_no, e->card_no);
          st->lost = FALSE;
        }
      else if (g_str_equal (e->kind, "member.lose"))
        {
          if (e->card_no && g_strcmp0 (e->card_no, st->card_no) != 0)
            conflict (st, e, "lost_after_replace", e->card_no);
          st->lost = TRUE;
        }
      else if (g_str_equal (e->kind, "member.unlock"))
        {
          if (!st->lost)
            conflict (st, e, "unlock_not_lost", e->card_no);
          st->lost = FALSE;
        }
      else if (g_str_equal (e->kind, "member.extend"))
        set_str (&st->expires_on, e->expires_on);
      else if (g_str_equal (e->kind, "member.upgrade") && e->level)
        set_str (&st->level, e->level);
      else if (g_str_equal (e->kind, "member.set_pin"))
        set_str (&st->pin_hash, e->pin_hash);
    }
  return entries->len > 0;
}

/* Apply: the member of @entry (just stored) gets the state of the fold. */
static gboolean
rederive_member (MdnDb    *db,
                 MdnEntry *entry,
                 GError  **error)
{
  g_auto(MemberState) st = { 0 };
  g_autoptr(GArray) entries = NULL;

  if (entry->member_id == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("The entry is malformed: %s"), entry->kind);
      return FALSE;
    }
  entries = load_state_entries (db, entry->member_id, error);
  if (entries == NULL)
    return FALSE;
  if (!fold_state (entries, &st))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_CARD,
                   _("Entry %s changes member %s, who is not known here"), entry->id, entry->member_id);
      return FALSE;
    }
  if (!mdn_db_exec (db, error,
                    "UPDATE members SET card_no = ?, status = ?, expires_on = ?, level = ?, pin_hash = ? "
                    "WHERE id = ?", "ssssss", st.card_no, st.lost ? "lost" : "active", st.expires_on,
                    st.level, st.pin_hash, entry->member_id))
    return FALSE;
  if (sqlite3_changes (mdn_db_handle (db)) != 1)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_CARD,
                   _("Entry %s changes member %s, who is not known here"), entry->id, entry->member_id);
      return FALSE;
    }
  return mdn_db_exec (db, error,
                      "UPDATE cards SET status = CASE WHEN card_no = ?1 THEN 'current' ELSE 'replaced' END "
                      "WHERE member_id = ?2 AND status IS NOT (CASE WHEN card_no = ?1 THEN 'current' "
                      "ELSE 'replaced' END)", "ss", st.card_no, entry->member_id);
}

/* The highest rev of @member_id's state entries here (0: none has one),
 * or -1 with @error set. */
gint64
mdn_member_state_rev (MdnDb      *db,
                      const char *member_id,
                      GError    **error)
{
  sqlite3_stmt *stmt;
  gint64 rev;

  g_return_val_if_fail (db != NULL && member_id != NULL, -1);

  stmt = mdn_db_query (db, error,
                       "SELECT COALESCE (MAX (json_extract (body, '$.rev')), 0) FROM entries "
                       "WHERE member_id = ? AND kind IN (" STATE_KINDS ")", "s", member_id);
  if (stmt == NULL || mdn_db_step (db, stmt, error) != SQLITE_ROW)
    return -1;
  rev = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return rev;
}

/* The card-state entries of @member_id the fold found at odds with the
 * state at their place in the order (see above), in that order. */
GPtrArray *
mdn_member_card_conflicts (MdnDb      *db,
                           const char *member_id,
                           GError    **error)
{
  g_auto(MemberState) st = { 0 };
  g_autoptr(GArray) entries = NULL;

  g_return_val_if_fail (db != NULL && member_id != NULL, NULL);

  entries = load_state_entries (db, member_id, error);
  if (entries == NULL)
    return NULL;
  st.conflicts = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_card_conflict_free);
  fold_state (entries, &st);
  return g_steal_pointer (&st.conflicts);
}

/* Card state ------------------------------------------------------------------ */

/* Lose, unlock and replace change what every branch accepts: at a linked
 * branch the server authorizes them against the chain-wide card state
 * first, like a spend (mdn_card_chain_check), and gives their rev. */
static gboolean
is_card_op (const char *kind)
{
  return g_str_equal (kind, "member.lose") || g_str_equal (kind, "member.unlock") ||
         g_str_equal (kind, "member.replace");
}

/* Gives @entry (a state entry of @m) its rev and, for a card operation,
 * the server's authorization. */
static gboolean
prepare_state_entry (MdnOpCtx  *ctx,
                     MdnMember *m,
                     MdnEntry  *entry,
                     GError   **error)
{
  gint64 rev = mdn_member_state_rev (ctx->db, m->id, error);

  if (rev < 0)
    return FALSE;
  json_object_set_int_member (entry->body, "rev", rev + 1);
  if (is_card_op (entry->kind))
    {
      g_autoptr(JsonObject) detail = json_object_new ();

      json_object_set_string_member (detail, "card_no", m->card_no);
      if (!mdn_card_chain_check (ctx, m->id, "card", entry->kind, rev + 1, detail, entry->body, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
append_state (MdnOpCtx   *ctx,
              MdnMember  *m,
              const char *kind,
              const char *field,
              const char *value,
              JsonObject *result,
              GError    **error)
{
  g_autoptr(MdnEntry) entry = mdn_entry_new (kind, m->id);

  json_object_set_string_member (entry->body, "card_no", m->card_no);
  if (field)
    mdn_json_set_opt_string (entry->body, field, value);
  if (!prepare_state_entry (ctx, m, entry, error) ||
      !mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "card_no", m->card_no);
  return TRUE;
}

static gboolean
op_replace (MdnOpCtx   *ctx,
            JsonObject *args,
            JsonObject *result,
            GError    **error)
{
  g_autoptr(MdnMember) m = mdn_member_resolve_arg (ctx, args, error);
  g_autoptr(MdnEntry) entry = NULL;
  g_autofree char *card_no = NULL;
  g_autofree char *qr = NULL;

  if (m == NULL || !next_card_no (ctx, &card_no, error))
    return FALSE;

  entry = mdn_entry_new ("member.replace", m->id);
  json_object_set_string_member (entry->body, "old_card_no", m->card_no);
  json_object_set_string_member (entry->body, "card_no", card_no);
  if (!prepare_state_entry (ctx, m, entry, error) ||
      !mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;

  qr = mdn_qr_card_text (ctx->store, card_no);
  json_object_set_string_member (result, "old_card_no", m->card_no);
  json_object_set_string_member (result, "card_no", card_no);
  json_object_set_string_member (result, "qr", qr);
  {
    g_autofree char *payload = mdn_qr_payload (ctx->store, card_no);

    json_object_set_string_member (result, "payload", payload);
  }
  return TRUE;
}

static gboolean
apply_replace (MdnDb    *db,
               MdnEntry *entry,
               GError  **error)
{
  const char *old_no = mdn_body_string (entry->body, "old_card_no");
  const char *new_no = mdn_body_string (entry->body, "card_no");

  if (old_no == NULL || new_no == NULL || entry->member_id == NULL)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("The entry is malformed: member.replace"));
      return FALSE;
    }
  /* The new number is the member's for good; which one is current is the
     fold's decision (rederive_member). */
  return mdn_db_exec (db, error, "INSERT INTO cards (card_no, member_id, status) VALUES (?, ?, 'replaced')",
                      "ss", new_no, entry->member_id) &&
         rederive_member (db, entry, error);
}

static gboolean
op_extend (MdnOpCtx   *ctx,
           JsonObject *args,
           JsonObject *result,
           GError    **error)
{
  g_autoptr(MdnMember) m = NULL;
  const char *expires_on = NULL;

  if (!mdn_args_date (args, "expires_on", TRUE, &expires_on, error))
    return FALSE;
  m = mdn_member_resolve_arg (ctx, args, error);
  if (m == NULL || !check_not_lost (ctx, m, error))
    return FALSE;
  if (strcmp (expires_on, ctx->business_date) < 0)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("The new expiry date %s is in the past"), expires_on);
      return FALSE;
    }
  if (!append_state (ctx, m, "member.extend", "expires_on", expires_on, result, error))
    return FALSE;
  json_object_set_string_member (result, "expires_on", expires_on);
  return TRUE;
}

static gboolean
op_lose (MdnOpCtx   *ctx,
         JsonObject *args,
         JsonObject *result,
         GError    **error)
{
  g_autoptr(MdnMember) m = mdn_member_resolve_arg (ctx, args, error);

  if (m == NULL || !check_not_lost (ctx, m, error))
    return FALSE;
  if (!append_state (ctx, m, "member.lose", NULL, NULL, result, error))
    return FALSE;
  json_object_set_string_member (result, "status", "lost");
  return TRUE;
}

static gboolean
op_unlock (MdnOpCtx   *ctx,
           JsonObject *args,
           JsonObject *result,
           GError    **error)
{
  g_autoptr(MdnMember) m = mdn_member_resolve_arg (ctx, args, error);

  if (m == NULL)
    return FALSE;
  if (!g_str_equal (m->status, "lost"))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_CARD_NOT_LOST,
                   _("Card %s is not reported lost"), m->card_no);
      return FALSE;
    }
  if (!append_state (ctx, m, "member.unlock", NULL, NULL, result, error))
    return FALSE;
  json_object_set_string_member (result, "status", "active");
  return TRUE;
}

static gboolean
op_upgrade (MdnOpCtx   *ctx,
            JsonObject *args,
            JsonObject *result,
            GError    **error)
{
  g_autoptr(MdnMember) m = NULL;
  g_autoptr(MdnLevel) level = NULL;
  const char *code = NULL;

  if (!mdn_args_string (args, "level", TRUE, &code, error))
    return FALSE;
  m = mdn_member_resolve_arg (ctx, args, error);
  if (m == NULL || !check_not_lost (ctx, m, error))
    return FALSE;
  level = mdn_level_load (ctx->db, code, error);
  if (level == NULL)
    return FALSE;
  if (g_str_equal (m->level, level->code))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("Card %s is already at level %s"), m->card_no, level->name);
      return FALSE;
    }
  if (!append_state (ctx, m, "member.upgrade", "level", level->code, result, error))
    return FALSE;
  json_object_set_string_member (result, "old_level", m->level);
  json_object_set_string_member (result, "level", level->code);
  return TRUE;
}

/* Setting a PIN on a card without one needs nothing more; changing or
 * clearing one needs the old PIN, or a manager. */
static gboolean
op_set_pin (MdnOpCtx   *ctx,
            JsonObject *args,
            JsonObject *result,
            GError    **error)
{
  g_autoptr(MdnMember) m = NULL;
  g_autofree char *hash = NULL;
  const char *pin = NULL, *old_pin = NULL;

  if (!mdn_args_string (args, "pin", FALSE, &pin, error) ||
      !mdn_args_string (args, "old_pin", FALSE, &old_pin, error))
    return FALSE;
  if (pin == NULL)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("“pin” is required (an empty pin removes it)"));
      return FALSE;
    }
  m = mdn_member_resolve_arg (ctx, args, error);
  if (m == NULL || !check_not_lost (ctx, m, error))
    return FALSE;
  if (m->pin_hash && ctx->role < MDN_ROLE_MANAGER && !mdn_member_check_pin (ctx, m, old_pin, error))
    return FALSE;
  if (*pin != '\0')
    {
      if (!valid_pin (ctx->db, pin, error) || (hash = mdn_secret_hash (pin, error)) == NULL)
        return FALSE;
    }
  if (!append_state (ctx, m, "member.set_pin", "pin_hash", hash, result, error))
    return FALSE;
  json_object_set_boolean_member (result, "has_pin", hash != NULL);
  return TRUE;
}

static gboolean
apply_extend (MdnDb *db, MdnEntry *entry, GError **error)
{
  if (mdn_body_string (entry->body, "expires_on") == NULL)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("The entry is malformed: member.extend"));
      return FALSE;
    }
  return rederive_member (db, entry, error);
}

static gboolean
apply_state (MdnDb *db, MdnEntry *entry, GError **error)
{
  return rederive_member (db, entry, error);
}

static gboolean
apply_upgrade (MdnDb *db, MdnEntry *entry, GError **error)
{
  if (mdn_body_string (entry->body, "level") == NULL)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("The entry is malformed: member.upgrade"));
      return FALSE;
    }
  return rederive_member (db, entry, error);
}

/* Reading ----------------------------------------------------------------- */

static void
member_summary (MdnOpCtx   *ctx,
                MdnMember  *m,
                JsonObject *o)
{
  json_object_set_string_member (o, "member_id", m->id);
  json_object_set_string_member (o, "card_no", m->presented ? m->presented : m->card_no);
  json_object_set_string_member (o, "name", m->name);
  json_object_set_string_member (o, "phone", m->phone);
  json_object_set_string_member (o, "level", m->level);
  json_object_set_string_member (o, "status", mdn_member_status (ctx, m));
  json_object_set_int_member (o, "balance_fen", balance_of (m));
  json_object_set_int_member (o, "principal_fen", m->principal_fen);
  json_object_set_int_member (o, "bonus_fen", m->bonus_fen);
  json_object_set_int_member (o, "points", m->points);
  mdn_json_set_opt_string (o, "expires_on", m->expires_on);
}

static gboolean
op_show (MdnOpCtx   *ctx,
         JsonObject *args,
         JsonObject *result,
         GError    **error)
{
  g_autoptr(MdnMember) m = NULL;
  g_autoptr(MdnLevel) level = NULL;
  const char *card = NULL;

  if (!mdn_args_string (args, "card", TRUE, &card, error))
    return FALSE;
  m = mdn_member_resolve (ctx, card, MDN_RESOLVE_ALLOW_REPLACED, error);
  if (m == NULL)
    return FALSE;
  member_summary (ctx, m, result);
  if (m->presented)
    json_object_set_string_member (result, "replaced_by", m->card_no);
  level = mdn_level_load (ctx->db, m->level, NULL);
  if (level)
    {
      json_object_set_string_member (result, "level_name", level->name);
      json_object_set_int_member (result, "price_percent", level->price_percent);
      json_object_set_int_member (result, "points_per_yuan", level->points_per_yuan);
    }
  mdn_json_set_opt_string (result, "birthday", m->birthday);
  mdn_json_set_opt_string (result, "birthday_lunar", m->birthday_lunar);
  if (!mdn_member_show_details (ctx, m, result, error))
    return FALSE;
  json_object_set_boolean_member (result, "has_pin", m->pin_hash != NULL);
  /* On hold (head office found an overdraft): hold_fen is what a deposit
     must bring at least to clear it, as far as this branch has merged. */
  if (mdn_member_on_hold (ctx->store, m->id))
    {
      JsonArray *uses = mdn_package_overdrawn (ctx->db, m->id, error);

      if (uses == NULL)
        return FALSE;
      /* What lifts it: a deposit of hold_fen, hold_points earned back, a
         package of each service in hold_uses; or head office's write-off. */
      json_object_set_boolean_member (result, "on_hold", TRUE);
      json_object_set_int_member (result, "hold_fen", MAX (-balance_of (m), 0));
      json_object_set_int_member (result, "hold_points", MAX (-m->points, 0));
      json_object_set_array_member (result, "hold_uses", uses);
    }
  else
    json_object_set_boolean_member (result, "on_hold", FALSE);
  json_object_set_string_member (result, "issued_at", m->issued_at);
  json_object_set_string_member (result, "issued_branch", m->issued_branch);
  return mdn_package_summary (ctx, m->id, result, error);
}

static gboolean
op_search (MdnOpCtx   *ctx,
           JsonObject *args,
           JsonObject *result,
           GError    **error)
{
  const char *query = NULL;
  gint64 limit = 50;
  JsonArray *list;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autofree char *q = NULL;
  g_autofree char *upper = NULL;
  sqlite3_stmt *stmt;
  int rc;

  if (!mdn_args_string (args, "query", TRUE, &query, error) ||
      !mdn_args_int (args, "limit", FALSE, &limit, error))
    return FALSE;
  limit = CLAMP (limit, 1, 500);
  list = json_array_new ();
  json_object_set_array_member (result, "members", list);
  q = g_strstrip (g_strdup (query));

  /* An exact card, phone or QR first. */
  {
    g_autoptr(GError) local_error = NULL;
    g_autoptr(MdnMember) m = mdn_member_resolve (ctx, q, MDN_RESOLVE_ALLOW_REPLACED, &local_error);

    if (m == NULL && local_error->code == MDN_ERROR_FORGED_QR)
      {
        g_propagate_error (error, g_steal_pointer (&local_error));
        return FALSE;
      }
    if (m != NULL)
      {
        JsonObject *o = json_object_new ();

        member_summary (ctx, m, o);
        json_array_add_object_element (list, o);
        g_hash_table_add (seen, g_strdup (m->id));
      }
  }

  /* Then name prefix, phone prefix and phone suffix (the last digits a member says). */
  upper = g_strconcat (q, "\xf4\x8f\xbf\xbf", NULL);
  stmt = mdn_db_query (ctx->db, error,
                       "SELECT " MEMBER_COLUMNS " FROM members WHERE name >= ?1 AND name < ?2 "
                       "UNION SELECT " MEMBER_COLUMNS " FROM members "
                       "WHERE length (?1) >= 3 AND ?1 NOT GLOB '*[^0-9]*' AND phone >= ?1 AND phone < ?2 "
                       "UNION SELECT " MEMBER_COLUMNS " FROM members "
                       "WHERE length (?1) >= 4 AND ?1 NOT GLOB '*[^0-9]*' AND phone LIKE '%' || ?1 "
                       "LIMIT ?3", "ssi", q, upper, limit);
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
    {
      g_autoptr(MdnMember) m = member_from_row (stmt);
      JsonObject *o;

      if (g_hash_table_contains (seen, m->id))
        continue;
      o = json_object_new ();
      member_summary (ctx, m, o);
      json_array_add_object_element (list, o);
      g_hash_table_add (seen, g_strdup (m->id));
    }
  sqlite3_reset (stmt);
  return rc == SQLITE_DONE;
}

static gboolean
op_qr (MdnOpCtx   *ctx,
       JsonObject *args,
       JsonObject *result,
       GError    **error)
{
  g_autoptr(MdnMember) m = NULL;
  g_autofree char *qr = NULL;
  const char *png = NULL;

  if (!mdn_args_string (args, "png", FALSE, &png, error))
    return FALSE;
  m = mdn_member_resolve_arg (ctx, args, error);
  if (m == NULL || !check_not_lost (ctx, m, error))
    return FALSE;
  qr = mdn_qr_card_text (ctx->store, m->card_no);
  if (png && !mdn_qr_write_png (qr, png, error))
    return FALSE;
  json_object_set_string_member (result, "card_no", m->card_no);
  json_object_set_string_member (result, "qr", qr);
  {
    g_autofree char *payload = mdn_qr_payload (ctx->store, m->card_no);

    json_object_set_string_member (result, "payload", payload);
  }
  if (png)
    json_object_set_string_member (result, "png", png);
  return TRUE;
}

/* Recent ledger entries of a member, newest first, for the member page. */
static gboolean
op_history (MdnOpCtx   *ctx,
            JsonObject *args,
            JsonObject *result,
            GError    **error)
{
  g_autoptr(MdnMember) m = NULL;
  const char *card = NULL;
  gint64 limit = 20;
  JsonArray *list;
  sqlite3_stmt *stmt;
  int rc;

  if (!mdn_args_string (args, "card", TRUE, &card, error) ||
      !mdn_args_int (args, "limit", FALSE, &limit, error))
    return FALSE;
  m = mdn_member_resolve (ctx, card, MDN_RESOLVE_ALLOW_REPLACED, error);
  if (m == NULL)
    return FALSE;
  list = json_array_new ();
  json_object_set_array_member (result, "entries", list);
  stmt = mdn_db_query (ctx->db, error,
                       "SELECT e.id, e.kind, e.at, e.branch, e.staff, e.body, s.name FROM entries e "
                       "LEFT JOIN staff s ON s.code = e.staff AND e.branch = ?3 WHERE e.member_id = ?1 "
                       "ORDER BY e.at DESC, e.seq DESC LIMIT ?2", "sis", m->id, CLAMP (limit, 1, 1000),
                       ctx->store->branch_code);
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
    {
      JsonObject *o = json_object_new ();
      g_autoptr(JsonObject) body = mdn_json_parse_object (mdn_db_col_text (stmt, 5), NULL);

      json_object_set_string_member (o, "entry_id", mdn_db_col_text (stmt, 0));
      json_object_set_string_member (o, "kind", mdn_db_col_text (stmt, 1));
      json_object_set_string_member (o, "at", mdn_db_col_text (stmt, 2));
      json_object_set_string_member (o, "branch", mdn_db_col_text (stmt, 3));
      json_object_set_string_member (o, "staff", mdn_db_col_text (stmt, 4));
      /* The staff member's name when this branch knows them (staff are a
         branch's own): what the member page shows. */
      mdn_json_set_opt_string (o, "staff_name", mdn_db_col_text (stmt, 6));
      if (body)
        {
          json_object_remove_member (body, "pin_hash");
          json_object_set_object_member (o, "body", json_object_ref (body));
        }
      json_array_add_object_element (list, o);
    }
  sqlite3_reset (stmt);
  return rc == SQLITE_DONE;
}

const MdnOpDef mdn_member_ops[] = {
  { "member.issue",     MDN_ROLE_CASHIER, MDN_OP_WRITE, op_issue },
  { "member.show",      MDN_ROLE_CASHIER, MDN_OP_READ,  op_show },
  { "member.search",    MDN_ROLE_CASHIER, MDN_OP_READ,  op_search },
  { "member.history",   MDN_ROLE_CASHIER, MDN_OP_READ,  op_history },
  { "member.qr",        MDN_ROLE_CASHIER, MDN_OP_READ,  op_qr },
  { "member.deposit",   MDN_ROLE_CASHIER, MDN_OP_WRITE, op_deposit },
  { "deposit.preview",  MDN_ROLE_CASHIER, MDN_OP_READ,  op_deposit_preview },
  { "member.withdraw",  MDN_ROLE_MANAGER, MDN_OP_WRITE, op_withdraw },
  { "member.replace",   MDN_ROLE_CASHIER, MDN_OP_WRITE | MDN_OP_SPEND | MDN_OP_CHAIN, op_replace },
  { "member.extend",    MDN_ROLE_MANAGER, MDN_OP_WRITE, op_extend },
  { "member.lose",      MDN_ROLE_CASHIER, MDN_OP_WRITE | MDN_OP_SPEND | MDN_OP_CHAIN, op_lose },
  { "member.unlock",    MDN_ROLE_MANAGER, MDN_OP_WRITE | MDN_OP_SPEND | MDN_OP_CHAIN, op_unlock },
  { "member.upgrade",   MDN_ROLE_MANAGER, MDN_OP_WRITE, op_upgrade },
  { "member.set_pin",   MDN_ROLE_CASHIER, MDN_OP_WRITE, op_set_pin },
  { NULL }
};

const MdnKindDef mdn_member_kinds[] = {
  { "member.issue",    apply_issue },
  { "member.deposit",  NULL },
  { "member.withdraw", NULL },
  { "member.replace",  apply_replace },
  { "member.extend",   apply_extend },
  { "member.lose",     apply_state },
  { "member.unlock",   apply_state },
  { "member.upgrade",  apply_upgrade },
  { "member.set_pin",  apply_state },
  { NULL }
};
