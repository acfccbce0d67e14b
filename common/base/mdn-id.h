/* mdn-id.h: entry ids (UUIDv7) and member card numbers. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MDN_CARD_NO_LEN 11

char     *mdn_uuid7_new         (void);
int       mdn_luhn_check_digit  (const char *digits);
char     *mdn_card_no_make      (int         branch_number,
                                 gint64      seq);
gboolean  mdn_card_no_looks_like (const char *text);
gboolean  mdn_card_no_valid     (const char *text);
char     *mdn_random_hex        (gsize       n_bytes);

G_END_DECLS
