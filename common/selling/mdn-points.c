/* mdn-points.c: redeeming points (积分兑换) and a manager's corrections
 * (加减积分). Points are earned by the checkout in mdn-selling.c. */
#define G_LOG_DOMAIN "mdn-points"

#include <glib/gi18n-lib.h>
#include <inttypes.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-members.h"
#include "mdn-op.h"
#include "mdn-points.h"
#include "mdn-selling.h"

#define POINTS_MAX ((gint64) 1000000000)

static gboolean
op_points_redeem (MdnOpCtx   *ctx,
                  JsonObject *args,
                  JsonObject *result,
                  GError    **error)
{
  g_autoptr(MdnMember) m = NULL;
  g_autoptr(MdnEntry) entry = NULL;
  g_autofree char *clean_gift = NULL;
  const char *gift = NULL;
  gint64 points = 0;

  if (!mdn_args_int (args, "points", TRUE, &points, error) ||
      !mdn_args_string (args, "gift", FALSE, &gift, error))
    return FALSE;
  if (points < 1 || points > POINTS_MAX)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("The points to redeem must be a whole number greater than zero"));
      return FALSE;
    }
  if (gift)
    {
      clean_gift = g_strstrip (g_strdup (gift));
      if (g_utf8_strlen (clean_gift, -1) > 128)
        {
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                               _("The gift can be described in at most 128 characters"));
          return FALSE;
        }
    }
  m = mdn_member_resolve_arg (ctx, args, error);
  if (m == NULL || !mdn_member_check_usable (ctx, m, error) || !mdn_card_check_hold (ctx, m, error))
    return FALSE;
  if (points > m->points)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INSUFFICIENT_POINTS,
                   _("Card %s has %" PRId64 " points, not enough to redeem %" PRId64),
                   m->card_no, m->points, points);
      return FALSE;
    }

  entry = mdn_entry_new ("points.redeem", m->id);
  json_object_set_string_member (entry->body, "card_no", m->card_no);
  json_object_set_int_member (entry->body, "points", points);
  mdn_json_set_opt_string (entry->body, "gift", clean_gift && *clean_gift ? clean_gift : NULL);
  mdn_entry_add_movement (entry, m->id, "points", NULL, NULL, NULL, -points);
  if (!mdn_card_spend (ctx, m, "points", NULL, points, entry->body, error) ||
      !mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "card_no", m->card_no);
  json_object_set_int_member (result, "points_redeemed", points);
  json_object_set_int_member (result, "points", m->points - points);
  return TRUE;
}

/* A correction by a manager, with the reason on record. It may not take a
 * member below zero points (only a return can). */
static gboolean
op_points_adjust (MdnOpCtx   *ctx,
                  JsonObject *args,
                  JsonObject *result,
                  GError    **error)
{
  g_autoptr(MdnMember) m = NULL;
  g_autoptr(MdnEntry) entry = NULL;
  g_autofree char *clean_reason = NULL;
  const char *reason = NULL;
  gint64 delta = 0;

  if (!mdn_args_int (args, "delta", TRUE, &delta, error) ||
      !mdn_args_string (args, "reason", TRUE, &reason, error))
    return FALSE;
  if (delta == 0 || delta > POINTS_MAX || delta < -POINTS_MAX)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("“delta” is the points to add (or to take away, negative), not zero"));
      return FALSE;
    }
  clean_reason = g_strstrip (g_strdup (reason));
  if (g_utf8_strlen (clean_reason, -1) > 256)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("The reason can have at most 256 characters"));
      return FALSE;
    }
  m = mdn_member_resolve_arg (ctx, args, error);
  if (m == NULL)
    return FALSE;
  if (delta < 0 && m->points + delta < 0)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INSUFFICIENT_POINTS,
                   _("Card %s has %" PRId64 " points; %" PRId64 " cannot be taken away"),
                   m->card_no, m->points, -delta);
      return FALSE;
    }

  entry = mdn_entry_new ("points.adjust", m->id);
  json_object_set_string_member (entry->body, "card_no", m->card_no);
  json_object_set_int_member (entry->body, "delta", delta);
  json_object_set_string_member (entry->body, "reason", clean_reason);
  mdn_entry_add_movement (entry, m->id, "points", NULL, NULL, NULL, delta);
  if (!mdn_ops_append_entry (ctx, entry, result, error))
    return FALSE;
  json_object_set_string_member (result, "card_no", m->card_no);
  json_object_set_int_member (result, "delta", delta);
  json_object_set_int_member (result, "points", m->points + delta);
  return TRUE;
}

const MdnOpDef mdn_points_ops[] = {
  { "points.redeem", MDN_ROLE_CASHIER, MDN_OP_WRITE | MDN_OP_SPEND, op_points_redeem },
  { "points.adjust", MDN_ROLE_MANAGER, MDN_OP_WRITE, op_points_adjust },
  { NULL }
};

const MdnKindDef mdn_points_kinds[] = {
  { "points.redeem", NULL },
  { "points.adjust", NULL },
  { NULL }
};
