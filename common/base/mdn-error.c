/* mdn-error.c */
#define G_LOG_DOMAIN "mdn-error"

#include "mdn-error.h"

G_DEFINE_QUARK (mdn-error-quark, mdn_error)

static const char *const code_names[MDN_ERROR_LAST] = {
  [MDN_ERROR_INTERNAL] = "internal",
  [MDN_ERROR_INVALID_ARGUMENT] = "invalid_argument",
  [MDN_ERROR_MALFORMED_MONEY] = "malformed_money",
  [MDN_ERROR_MONEY_OVERFLOW] = "money_overflow",
  [MDN_ERROR_UNKNOWN_OP] = "unknown_op",
  [MDN_ERROR_UNKNOWN_CARD] = "unknown_card",
  [MDN_ERROR_INVALID_CARD_NUMBER] = "invalid_card_number",
  [MDN_ERROR_AMBIGUOUS_CARD] = "ambiguous_card",
  [MDN_ERROR_CARD_LOST] = "card_lost",
  [MDN_ERROR_CARD_REPLACED] = "card_replaced",
  [MDN_ERROR_CARD_EXPIRED] = "card_expired",
  [MDN_ERROR_CARD_NOT_LOST] = "card_not_lost",
  [MDN_ERROR_FORGED_QR] = "forged_qr",
  [MDN_ERROR_INSUFFICIENT_BALANCE] = "insufficient_balance",
  [MDN_ERROR_INSUFFICIENT_PRINCIPAL] = "insufficient_principal",
  [MDN_ERROR_INSUFFICIENT_POINTS] = "insufficient_points",
  [MDN_ERROR_INSUFFICIENT_PACKAGE] = "insufficient_package",
  [MDN_ERROR_PIN_REQUIRED] = "pin_required",
  [MDN_ERROR_WRONG_PIN] = "wrong_pin",
  [MDN_ERROR_PERMISSION_DENIED] = "permission_denied",
  [MDN_ERROR_AUTH_FAILED] = "auth_failed",
  [MDN_ERROR_STAFF_DISABLED] = "staff_disabled",
  [MDN_ERROR_UNKNOWN_STAFF] = "unknown_staff",
  [MDN_ERROR_DUPLICATE] = "duplicate",
  [MDN_ERROR_UNKNOWN_LEVEL] = "unknown_level",
  [MDN_ERROR_UNKNOWN_PRODUCT] = "unknown_product",
  [MDN_ERROR_UNKNOWN_PLAN] = "unknown_plan",
  [MDN_ERROR_UNKNOWN_RESOURCE] = "unknown_resource",
  [MDN_ERROR_UNKNOWN_SESSION] = "unknown_session",
  [MDN_ERROR_UNKNOWN_ENTRY] = "unknown_entry",
  [MDN_ERROR_RESOURCE_BUSY] = "resource_busy",
  [MDN_ERROR_TENDER_MISMATCH] = "tender_mismatch",
  [MDN_ERROR_CARD_REQUIRED] = "card_required",
  [MDN_ERROR_RETURN_EXCEEDS] = "return_exceeds",
  [MDN_ERROR_PACKAGE_CONSUMED] = "package_consumed",
  [MDN_ERROR_NOT_INITIALIZED] = "not_initialized",
  [MDN_ERROR_ALREADY_INITIALIZED] = "already_initialized",
  [MDN_ERROR_SCHEMA_TOO_NEW] = "schema_too_new",
  [MDN_ERROR_DATABASE] = "database",
  [MDN_ERROR_CORRUPT] = "corrupt",
  [MDN_ERROR_HQ_ONLY] = "hq_only",
  [MDN_ERROR_NOT_LINKED] = "not_linked",
  [MDN_ERROR_OFFLINE] = "offline",
  [MDN_ERROR_SYNC_REFUSED] = "sync_refused",
  [MDN_ERROR_HISTORY_BEHIND] = "history_behind",
  [MDN_ERROR_CARD_ON_HOLD] = "card_on_hold",
  [MDN_ERROR_OFFLINE_LIMIT] = "offline_limit",
  [MDN_ERROR_PIN_LOCKED] = "pin_locked",
  [MDN_ERROR_STAFF_LOCKED] = "staff_locked",
  [MDN_ERROR_INSUFFICIENT_STOCK] = "insufficient_stock",
  [MDN_ERROR_UNKNOWN_TRANSFER] = "unknown_transfer",
  [MDN_ERROR_UNKNOWN_STOCKTAKE] = "unknown_stocktake",
  [MDN_ERROR_WRONG_STATE] = "wrong_state",
  [MDN_ERROR_RECEIVE_EXCEEDS] = "receive_exceeds",
  [MDN_ERROR_IMPORT_REFUSED] = "import_refused",
};

const char *
mdn_error_code_name (int code)
{
  if (code < 0 || code >= MDN_ERROR_LAST || code_names[code] == NULL)
    return "internal";
  return code_names[code];
}

const char *
mdn_error_name (const GError *error)
{
  g_return_val_if_fail (error != NULL, "internal");

  if (error->domain != MDN_ERROR)
    return "internal";
  return mdn_error_code_name (error->code);
}
