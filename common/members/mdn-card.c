/* mdn-card.c: package uses, holds and the spend authorization of a card
 * (mdn-card.h). The package rule is described in mdn-packages.c. */
#define G_LOG_DOMAIN "mdn-card"

#include <glib/gi18n-lib.h>
#include <inttypes.h>

#include "mdn-card.h"
#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-money.h"

gboolean
mdn_member_on_hold (MdnStore   *store,
                    const char *member_id)
{
  g_autofree char *text = mdn_db_meta_dup (store->db, "sync_holds");
  g_autoptr(JsonParser) parser = NULL;
  JsonNode *root;

  if (text == NULL || member_id == NULL)
    return FALSE;
  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, text, -1, NULL))
    return FALSE;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_ARRAY (root))
    return FALSE;
  for (guint i = 0; i < json_array_get_length (json_node_get_array (root)); i++)
    if (g_strcmp0 (json_array_get_string_element (json_node_get_array (root), i), member_id) == 0)
      return TRUE;
  return FALSE;
}

/* Package uses ------------------------------------------------------------------------ */

/* The net rule above, as SQL over member_packages; ?3 is the date. */
#define AVAILABLE_SUM \
  "SUM (CASE WHEN remaining < 0 THEN remaining WHEN expires_on IS NULL OR expires_on >= ?3 " \
  "THEN remaining ELSE 0 END)"

gboolean
mdn_package_available (MdnDb      *db,
                       const char *member_id,
                       const char *item,
                       const char *date,
                       gint64     *out,
                       GError    **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (db != NULL && member_id != NULL && item != NULL && date != NULL, FALSE);

  stmt = mdn_db_query (db, error,
                       "SELECT COALESCE (" AVAILABLE_SUM ", 0) FROM member_packages "
                       "WHERE member_id = ?1 AND item = ?2", "sss", member_id, item, date);
  if (stmt == NULL || mdn_db_step (db, stmt, error) != SQLITE_ROW)
    return FALSE;
  *out = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return TRUE;
}

/* The uses of @item left net across all of @member_id's lots, expired or
 * not: below zero is an overdraft. */
gboolean
mdn_package_net (MdnDb      *db,
                 const char *member_id,
                 const char *item,
                 gint64     *out,
                 GError    **error)
{
  sqlite3_stmt *stmt;

  g_return_val_if_fail (db != NULL && member_id != NULL && item != NULL, FALSE);

  stmt = mdn_db_query (db, error,
                       "SELECT COALESCE (SUM (remaining), 0) FROM member_packages WHERE member_id = ? AND item = ?",
                       "ss", member_id, item);
  if (stmt == NULL || mdn_db_step (db, stmt, error) != SQLITE_ROW)
    return FALSE;
  *out = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return TRUE;
}

/* The services @member_id has used more of than bought, across all lots:
 * {sku, owed} objects, by sku. */
JsonArray *
mdn_package_overdrawn (MdnDb      *db,
                       const char *member_id,
                       GError    **error)
{
  g_autoptr(JsonArray) list = json_array_new ();
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (db != NULL && member_id != NULL, NULL);

  stmt = mdn_db_query (db, error,
                       "SELECT item, -SUM (remaining) FROM member_packages WHERE member_id = ? "
                       "GROUP BY item HAVING SUM (remaining) < 0 ORDER BY item", "s", member_id);
  if (stmt == NULL)
    return NULL;
  while ((rc = mdn_db_step (db, stmt, error)) == SQLITE_ROW)
    {
      JsonObject *o = json_object_new ();

      json_object_set_string_member (o, "sku", mdn_db_col_text (stmt, 0));
      json_object_set_int_member (o, "owed", sqlite3_column_int64 (stmt, 1));
      json_array_add_object_element (list, o);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return NULL;
  return g_steal_pointer (&list);
}

/* member.show's "packages": per service what can be used today, the first
 * expiry among usable lots, and the uses taken beyond their own lot
 * ("overdrawn_uses", 0 unless a lot is below zero): covered by the other
 * lots, or owed, with the card on hold, when "remaining" is below zero;
 * "name" is the service's name (null for a service this branch doesn't know). */
gboolean
mdn_package_summary (MdnOpCtx   *ctx,
                     const char *member_id,
                     JsonObject *result,
                     GError    **error)
{
  static const MdnListColumn columns[] = {
    { "sku", 's' }, { "remaining", 'i' }, { "expires_on", 's' }, { "overdrawn_uses", 'i' }, { "name", 's' },
    { NULL }
  };
  sqlite3_stmt *stmt;

  g_return_val_if_fail (ctx != NULL && member_id != NULL && result != NULL, FALSE);

  /* ?2 is not used: AVAILABLE_SUM takes the date as ?3. */
  stmt = mdn_db_query (ctx->db, error,
                       "SELECT item, " AVAILABLE_SUM " AS available, "
                       "MIN (CASE WHEN remaining > 0 AND (expires_on IS NULL OR expires_on >= ?3) "
                       "THEN expires_on END), -SUM (CASE WHEN remaining < 0 THEN remaining ELSE 0 END) AS owed, "
                       "(SELECT name FROM products p WHERE p.sku = item) "
                       "FROM member_packages WHERE member_id = ?1 "
                       "GROUP BY item HAVING available != 0 OR owed > 0 ORDER BY item",
                       "sss", member_id, "", ctx->business_date);
  return stmt != NULL && mdn_ops_list_rows (ctx, stmt, columns, result, "packages", error);
}

/* Holds, authorizations, the offline allowance ------------------------------------------ */

/* A hold lifts when what made it is made good: a deposit for a balance
 * below zero, points earned back for points below zero, a package of the
 * service for uses used beyond what was bought; or head office writes it
 * off (exception.write_off, which handles all three). The message says
 * which, from this branch's merged view. */
gboolean
mdn_card_check_hold (MdnOpCtx  *ctx,
                        MdnMember *m,
                        GError   **error)
{
  g_autoptr(JsonArray) uses = NULL;
  gint64 balance;

  g_return_val_if_fail (ctx != NULL && m != NULL, FALSE);

  if (!mdn_member_on_hold (ctx->store, m->id))
    return TRUE;
  /* This branch has merged the chain's entries up to its last sync, so an
     account below zero here is the overdraft head office found. */
  balance = m->principal_fen + m->bonus_fen;
  uses = mdn_package_overdrawn (ctx->db, m->id, NULL);
  if (balance < 0)
    {
      g_autofree char *owed = mdn_money_format (-balance);

      g_set_error (error, MDN_ERROR, MDN_ERROR_CARD_ON_HOLD,
                   _("Card %s is on hold: spending at several branches while offline overdrew it by %s. "
                     "It can't pay from its balance, packages or points until a deposit of at least %s "
                     "clears it (the hold lifts at the next sync), or head office settles it"),
                   m->card_no, owed, owed);
    }
  else if (m->points < 0)
    g_set_error (error, MDN_ERROR, MDN_ERROR_CARD_ON_HOLD,
                 _("Card %s is on hold: %" PRId64 " more points were redeemed or taken back than it had. "
                   "It can't pay from its balance, packages or points until it earns them back (the hold "
                   "lifts at the next sync), or head office writes them off"),
                 m->card_no, -m->points);
  else if (uses && json_array_get_length (uses) > 0)
    {
      JsonObject *o = json_array_get_object_element (uses, 0);

      g_set_error (error, MDN_ERROR, MDN_ERROR_CARD_ON_HOLD,
                   _("Card %s is on hold: %" PRId64 " uses of %s were used beyond what was bought. "
                     "It can't pay from its balance, packages or points until a package of %s is bought "
                     "(the hold lifts at the next sync), or head office writes the uses off"),
                   m->card_no, json_object_get_int_member (o, "owed"), json_object_get_string_member (o, "sku"),
                   json_object_get_string_member (o, "sku"));
    }
  else
    g_set_error (error, MDN_ERROR, MDN_ERROR_CARD_ON_HOLD,
                 _("Card %s is on hold: head office found it overdrawn after offline spending. It can't "
                   "pay from its balance, packages or points until that is settled; a deposit made here "
                   "lifts the hold at the next sync, otherwise ask head office"), m->card_no);
  return FALSE;
}

/* What @member_id spent from the balance offline at this branch on @date:
 * the entries marked "offline" by mdn_card_spend(), from the ledger. */
static gboolean
offline_spent (MdnOpCtx   *ctx,
               const char *member_id,
               gint64     *out,
               GError    **error)
{
  sqlite3_stmt *stmt;

  stmt = mdn_db_query (ctx->db, error,
                       "SELECT COALESCE (SUM (-mv.delta), 0) FROM entries e "
                       "JOIN movements mv ON mv.entry_id = e.id "
                       "WHERE e.member_id = ?1 AND e.branch = ?2 AND e.business_date = ?3 "
                       "AND json_extract (e.body, '$.offline') = 1 "
                       "AND mv.member_id = ?1 AND mv.account IN ('principal', 'bonus') AND mv.delta < 0",
                       "sss", member_id, ctx->store->branch_code, ctx->business_date);
  if (stmt == NULL || mdn_db_step (ctx->db, stmt, error) != SQLITE_ROW)
    return FALSE;
  *out = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return TRUE;
}

static gboolean
check_offline_allowance (MdnOpCtx   *ctx,
                         MdnMember  *m,
                         const char *kind,
                         gint64      amount,
                         GError    **error)
{
  g_autoptr(MdnLevel) level = mdn_level_load (ctx->db, m->level, error);
  gint64 spent = 0;

  if (level == NULL)
    return FALSE;
  if (level->offline_limit_fen <= 0)
    {
      if (g_str_equal (kind, "balance"))
        g_set_error (error, MDN_ERROR, MDN_ERROR_OFFLINE_LIMIT,
                     _("The server can't be reached and card %s may not pay from its balance offline "
                       "(its level has no offline allowance); pay another way, or wait for the connection"),
                     m->card_no);
      else
        g_set_error (error, MDN_ERROR, MDN_ERROR_OFFLINE_LIMIT,
                     _("The server can't be reached and card %s may not use its packages or points "
                       "offline (its level has no offline allowance); wait for the connection"),
                     m->card_no);
      return FALSE;
    }
  /* Package uses and points have no price in fen: a level that allows
     offline spending allows them; overdrafts are caught after merging. */
  if (!g_str_equal (kind, "balance"))
    return TRUE;
  if (!offline_spent (ctx, m->id, &spent, error))
    return FALSE;
  if (amount > level->offline_limit_fen - spent)
    {
      g_autofree char *limit = mdn_money_format (level->offline_limit_fen);
      g_autofree char *done = mdn_money_format (spent);
      g_autofree char *left = mdn_money_format (MAX (level->offline_limit_fen - spent, 0));

      g_set_error (error, MDN_ERROR, MDN_ERROR_OFFLINE_LIMIT,
                   _("The server can't be reached and card %s has reached its offline allowance: "
                     "%s a day at this branch, %s spent offline today, %s left; pay the rest another way"),
                   m->card_no, limit, done, left);
      return FALSE;
    }
  return TRUE;
}

/* The probe's record: one spend (or chain change) per operation, what the
 * server will be asked for. */
static void
spend_record (MdnSpend   *sp,
              const char *member_id,
              const char *kind,
              const char *item,
              gint64      amount,
              JsonObject *detail)
{
  g_assert (!sp->recorded);
  sp->recorded = TRUE;
  sp->member_id = g_strdup (member_id);
  sp->kind = g_strdup (kind);
  sp->item = g_strdup (item);
  sp->amount = amount;
  sp->detail = detail ? json_object_ref (detail) : NULL;
}

gboolean
mdn_card_spend (MdnOpCtx   *ctx,
                MdnMember  *m,
                const char *kind,
                const char *item,
                gint64      amount,
                JsonObject *body,
                GError    **error)
{
  MdnSpend *sp;

  g_return_val_if_fail (ctx != NULL && m != NULL && kind != NULL && body != NULL, FALSE);

  sp = ctx->spend;
  if (sp == NULL || amount <= 0)
    return TRUE;    /* not linked (single-store mode), or a preview */

  switch (sp->mode)
    {
    case MDN_SPEND_PROBE:
      spend_record (sp, m->id, kind, item, amount, NULL);
      return TRUE;

    case MDN_SPEND_ONLINE:
      if (!g_str_equal (sp->member_id, m->id) || !g_str_equal (sp->kind, kind) ||
          g_strcmp0 (sp->item, item) != 0 || amount > sp->amount)
        break;
      json_object_set_string_member (body, "auth_id", sp->auth_id);
      sp->used = TRUE;
      return TRUE;

    case MDN_SPEND_OFFLINE:
      if (!check_offline_allowance (ctx, m, kind, amount, error))
        return FALSE;
      json_object_set_boolean_member (body, "offline", TRUE);
      sp->used = TRUE;
      return TRUE;

    case MDN_SPEND_LOCAL:
      sp->used = TRUE;
      return TRUE;

    case MDN_SPEND_NONE:
    default:
      break;
    }
  /* The database changed between the probe and the real run (a sync
     applied meanwhile): what was authorized is not what would be spent. */
  g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INTERNAL,
                       _("The card changed while the server was authorizing this; run it again"));
  return FALSE;
}

/* Card operations and returns at a linked branch: authorized by the server
 * against the chain-wide state (mdn-sync.h, "Changes the server
 * authorizes"). Offline they are made and marked "offline": true;
 * conflicts they cause are resolved on merging by the rules of
 * mdn-members.c (cards) and found as exceptions by the server (returns). */
gboolean
mdn_card_chain_check (MdnOpCtx   *ctx,
                      const char *member_id,
                      const char *kind,
                      const char *item,
                      gint64      amount,
                      JsonObject *detail,
                      JsonObject *body,
                      GError    **error)
{
  MdnSpend *sp;

  g_return_val_if_fail (ctx != NULL && kind != NULL && item != NULL && body != NULL, FALSE);

  sp = ctx->spend;
  if (sp == NULL || member_id == NULL)
    return TRUE;    /* not linked (single-store mode), or a sale without a card */

  switch (sp->mode)
    {
    case MDN_SPEND_PROBE:
      spend_record (sp, member_id, kind, item, amount, detail);
      return TRUE;

    case MDN_SPEND_ONLINE:
      {
        g_autofree char *asked = sp->detail ? mdn_json_object_canonical (sp->detail) : NULL;
        g_autofree char *now = detail ? mdn_json_object_canonical (detail) : NULL;

        if (!g_str_equal (sp->member_id, member_id) || !g_str_equal (sp->kind, kind) ||
            g_strcmp0 (sp->item, item) != 0 || g_strcmp0 (asked, now) != 0 ||
            (g_str_equal (kind, "return") && amount != sp->amount))
          break;
        json_object_set_string_member (body, "auth_id", sp->auth_id);
        if (g_str_equal (kind, "card") && sp->granted > 0)
          json_object_set_int_member (body, "rev", sp->granted);
        sp->used = TRUE;
        return TRUE;
      }

    case MDN_SPEND_OFFLINE:
      json_object_set_boolean_member (body, "offline", TRUE);
      sp->used = TRUE;
      return TRUE;

    case MDN_SPEND_LOCAL:
      sp->used = TRUE;
      return TRUE;

    case MDN_SPEND_NONE:
    default:
      break;
    }
  g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INTERNAL,
                       _("The card changed while the server was authorizing this; run it again"));
  return FALSE;
}
