/* mdn-error.h: the one error domain every operation reports in.
 *
 * Each code has a stable snake_case name (mdn_error_code_name) that the CLI,
 * the server and scripts rely on; the GError message is for the cashier.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MDN_ERROR (mdn_error_quark ())
GQuark mdn_error_quark (void);

typedef enum {
  MDN_ERROR_INTERNAL,
  MDN_ERROR_INVALID_ARGUMENT,
  MDN_ERROR_MALFORMED_MONEY,
  MDN_ERROR_MONEY_OVERFLOW,
  MDN_ERROR_UNKNOWN_OP,
  MDN_ERROR_UNKNOWN_CARD,
  MDN_ERROR_INVALID_CARD_NUMBER,
  MDN_ERROR_AMBIGUOUS_CARD,
  MDN_ERROR_CARD_LOST,
  MDN_ERROR_CARD_REPLACED,
  MDN_ERROR_CARD_EXPIRED,
  MDN_ERROR_CARD_NOT_LOST,
  MDN_ERROR_FORGED_QR,
  MDN_ERROR_INSUFFICIENT_BALANCE,
  MDN_ERROR_INSUFFICIENT_PRINCIPAL,
  MDN_ERROR_INSUFFICIENT_POINTS,
  MDN_ERROR_INSUFFICIENT_PACKAGE,
  MDN_ERROR_PIN_REQUIRED,
  MDN_ERROR_WRONG_PIN,
  MDN_ERROR_PERMISSION_DENIED,
  MDN_ERROR_AUTH_FAILED,
  MDN_ERROR_STAFF_DISABLED,
  MDN_ERROR_UNKNOWN_STAFF,
  MDN_ERROR_DUPLICATE,
  MDN_ERROR_UNKNOWN_LEVEL,
  MDN_ERROR_UNKNOWN_PRODUCT,
  MDN_ERROR_UNKNOWN_PLAN,
  MDN_ERROR_UNKNOWN_RESOURCE,
  MDN_ERROR_UNKNOWN_SESSION,
  MDN_ERROR_UNKNOWN_ENTRY,
  MDN_ERROR_RESOURCE_BUSY,
  MDN_ERROR_TENDER_MISMATCH,
  MDN_ERROR_CARD_REQUIRED,
  MDN_ERROR_RETURN_EXCEEDS,
  MDN_ERROR_PACKAGE_CONSUMED,
  MDN_ERROR_NOT_INITIALIZED,
  MDN_ERROR_ALREADY_INITIALIZED,
  MDN_ERROR_SCHEMA_TOO_NEW,
  MDN_ERROR_DATABASE,
  MDN_ERROR_CORRUPT,
  MDN_ERROR_HQ_ONLY,
  MDN_ERROR_NOT_LINKED,      /* sync: no server linked */
  MDN_ERROR_OFFLINE,         /* sync: the server can't be reached */
  MDN_ERROR_SYNC_REFUSED,    /* sync: the server refused (token, conflict) */
  MDN_ERROR_HISTORY_BEHIND,  /* sync: the server holds more of this branch than it has */
  MDN_ERROR_CARD_ON_HOLD,    /* sync: head office put the card on hold (overdraft) */
  MDN_ERROR_OFFLINE_LIMIT,   /* sync: offline, the card reached its offline allowance */
  MDN_ERROR_PIN_LOCKED,      /* too many wrong PINs in a row: balance spending locked a while */
  MDN_ERROR_STAFF_LOCKED,    /* too many wrong passwords in a row: that login locked a while */
  MDN_ERROR_INSUFFICIENT_STOCK, /* stock: less on hand than an issue or transfer takes */
  MDN_ERROR_UNKNOWN_TRANSFER,   /* stock: no such transfer to this branch */
  MDN_ERROR_UNKNOWN_STOCKTAKE,  /* stock: no such count */
  MDN_ERROR_WRONG_STATE,        /* stock: a count already closed, a transfer already received */
  MDN_ERROR_RECEIVE_EXCEEDS,    /* stock: more received than was sent */
  MDN_ERROR_IMPORT_REFUSED,     /* import: a bad row refuses the whole file */
  MDN_ERROR_LAST
} MdnErrorCode;

const char *mdn_error_code_name (int code);
const char *mdn_error_name      (const GError *error);

G_END_DECLS
