/* mdn-packages.c: count-based consumption (计次消费). A member's uses of a
 * service are bought by a sale with a package line (mdn-sales.c), one lot
 * per sale line: lot "<receipt_no>/<line>", expiring on the sale's business
 * date plus the package's days. Using them takes from the lot that expires
 * first (lots without expiry last), skipping expired ones.
 *
 * A lot is the sum of its movements and can go below zero: two branches
 * took from it at once, each authorized against the service's uses across
 * every lot, or a package was returned after some of its uses were used
 * elsewhere. Uses are judged per service, net across lots:
 *
 *   available (what can be used today)  = the uses left in lots not
 *       expired, less what lots below zero owe
 *   overdrawn (an exception, a hold)   = the sum over every lot of the
 *       service is below zero
 *
 * so a lot at -2 beside a lot with 5 leaves 3 to use and no exception. */
#define G_LOG_DOMAIN "mdn-packages"

#include <glib/gi18n-lib.h>
#include <inttypes.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-members.h"
#include "mdn-op.h"
#include "mdn-packages.h"
#include "mdn-commission.h"
#include "mdn-money.h"
#include "mdn-selling.h"

#define COUNT_MAX ((gint64) 100000)

typedef struct
{
  char  *lot;
  char  *expires_on;
  gint64 remaining;
} Lot;

static void
lot_clear (gpointer data)
{
  Lot *l = data;

  g_free (l->lot);
  g_free (l->expires_on);
}

/* The member's usable lots of @item, in the order they are used. */
static GArray *
usable_lots (MdnOpCtx   *ctx,
             const char *member_id,
             const char *item,
             GError    **error)
{
  g_autoptr(GArray) lots = g_array_new (FALSE, TRUE, sizeof (Lot));
  sqlite3_stmt *stmt;
  int rc;

  g_array_set_clear_func (lots, lot_clear);
  stmt = mdn_db_query (ctx->db, error,
                       "SELECT lot, expires_on, remaining FROM member_packages "
                       "WHERE member_id = ? AND item = ? AND remaining > 0 "
                       "AND (expires_on IS NULL OR expires_on >= ?) "
                       "ORDER BY expires_on IS NULL, expires_on, lot",
                       "sss", member_id, item, ctx->business_date);
  if (stmt == NULL)
    return NULL;
  while ((rc = mdn_db_step (ctx->db, stmt, error)) == SQLITE_ROW)
    {
      Lot l = {
        g_strdup (mdn_db_col_text (stmt, 0)),
        g_strdup (mdn_db_col_text (stmt, 1)),
        sqlite3_column_int64 (stmt, 2),
      };

      g_array_append_val (lots, l);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return NULL;
  return g_steal_pointer (&lots);
}

static gboolean
op_package_consume (MdnOpCtx   *ctx,
                    JsonObject *args,
                    JsonObject *result,
                    GError    **error)
{
  g_autoptr(MdnMember) m = NULL;
  g_autoptr(MdnProduct) product = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(GArray) lots = NULL;
  g_autoptr(MdnEntry) entry = NULL;
  g_autofree char *item = NULL;
  g_autofree char *name = NULL;
  const char *sku = NULL, *staff = NULL;
  gint64 count = 0, available = 0, left, list = 0;
  JsonArray *taken;

  if (!mdn_args_string (args, "sku", TRUE, &sku, error) ||
      !mdn_args_int (args, "count", TRUE, &count, error) ||
      !mdn_args_string (args, "staff", FALSE, &staff, error))
    return FALSE;
  if (count < 1 || count > COUNT_MAX)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("“count” is the number of uses, a whole number from 1"));
      return FALSE;
    }
  m = mdn_member_resolve_arg (ctx, args, error);
  if (m == NULL || !mdn_member_check_usable (ctx, m, error) || !mdn_card_check_hold (ctx, m, error))
    return FALSE;

  /* The service, or the package product that sells it. */
  product = mdn_product_find (ctx->db, sku, &local_error);
  if (product == NULL && local_error->code != MDN_ERROR_UNKNOWN_PRODUCT)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (product && g_str_equal (product->kind, "package"))
    item = g_strdup (product->package_sku);
  else
    item = g_strdup (product ? product->sku : sku);

  lots = usable_lots (ctx, m->id, item, error);
  if (lots == NULL || !mdn_package_available (ctx->db, m->id, item, ctx->business_date, &available, error))
    return FALSE;
  if (product == NULL && available <= 0 && lots->len == 0)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  /* The service as people call it (足疗, not MASSAGE). */
  if (product == NULL || g_str_equal (product->kind, "package"))
    {
      g_autoptr(MdnProduct) service = mdn_product_load (ctx->db, item, NULL);

      name = g_strdup (service ? service->name : item);
    }
  else
    name = g_strdup (product->name);
  if (count > available)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INSUFFICIENT_PACKAGE,
                   _("Card %s has %" PRId64 " uses of %s left, not %" PRId64),
                   m->card_no, MAX (available, 0), name, count);
      return FALSE;
    }

  entry = mdn_entry_new ("package.consume", m->id);
  taken = json_array_new ();
  json_object_set_string_member (entry->body, "card_no", m->card_no);
  json_object_set_string_member (entry->body, "sku", item);
  json_object_set_int_member (entry->body, "count", count);
  json_object_set_array_member (entry->body, "lots", taken);
  left = count;
  for (guint i = 0; i < lots->len && left > 0; i++)
    {
      Lot *l = &g_array_index (lots, Lot, i);
      gint64 take = MIN (left, l->remaining);
      JsonObject *o = json_object_new ();

      json_object_set_string_member (o, "lot", l->lot);
      mdn_json_set_opt_string (o, "expires_on", l->expires_on);
      json_object_set_int_member (o, "count", take);
      json_array_add_object_element (taken, o);
      mdn_entry_add_movement (entry, m->id, "package", item, l->lot, l->expires_on, -take);
      left -= take;
    }
  json_object_set_int_member (entry->body, "remaining", available - count);
  /* Commission on a use: nothing is paid; its list value is the service's price. */
  mdn_json_set_opt_string (entry->body, "staff", staff);
  if (product && g_str_equal (product->sku, item) && !mdn_money_mul (product->price_fen, count, &list, error))
    return FALSE;
  if (!mdn_commission_add (ctx, entry, "package_use", item, staff, 0, 0, list, count, error) ||
      !mdn_card_spend (ctx, m, "package", item, count, entry->body, error) ||
      !mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "card_no", m->card_no);
  json_object_set_string_member (result, "sku", item);
  json_object_set_string_member (result, "name", name);
  json_object_set_int_member (result, "count", count);
  json_object_set_int_member (result, "remaining", available - count);
  json_object_set_array_member (result, "lots", json_array_ref (taken));
  return TRUE;
}

/* Every lot of a member with uses left, expired ones marked, and every lot
 * below zero, marked "overdrawn" (the other lots of the service cover it,
 * or the card is on hold). */
static gboolean
op_package_list (MdnOpCtx   *ctx,
                 JsonObject *args,
                 JsonObject *result,
                 GError    **error)
{
  static const MdnListColumn columns[] = {
    { "sku", 's' }, { "name", 's' }, { "lot", 's' }, { "expires_on", 's' }, { "remaining", 'i' },
    { "expired", 'b' }, { "overdrawn", 'b' }, { NULL }
  };
  g_autoptr(MdnMember) m = NULL;
  const char *card = NULL;
  sqlite3_stmt *stmt;

  if (!mdn_args_string (args, "card", TRUE, &card, error))
    return FALSE;
  m = mdn_member_resolve (ctx, card, MDN_RESOLVE_ALLOW_REPLACED, error);
  if (m == NULL)
    return FALSE;
  json_object_set_string_member (result, "card_no", m->card_no);
  stmt = mdn_db_query (ctx->db, error,
                       "SELECT mp.item, p.name, mp.lot, mp.expires_on, mp.remaining, "
                       "mp.expires_on IS NOT NULL AND mp.expires_on < ?, mp.remaining < 0 "
                       "FROM member_packages mp LEFT JOIN products p ON p.sku = mp.item "
                       "WHERE mp.member_id = ? AND mp.remaining != 0 "
                       "ORDER BY mp.item, mp.expires_on IS NULL, mp.expires_on, mp.lot",
                       "ss", ctx->business_date, m->id);
  return stmt != NULL && mdn_ops_list_rows (ctx, stmt, columns, result, "lots", error);
}

const MdnOpDef mdn_package_ops[] = {
  { "package.consume", MDN_ROLE_CASHIER, MDN_OP_WRITE | MDN_OP_SPEND, op_package_consume },
  { "package.list",    MDN_ROLE_CASHIER, MDN_OP_READ,  op_package_list },
  { NULL }
};

const MdnKindDef mdn_package_kinds[] = {
  { "package.consume", NULL },
  { NULL }
};
