/* mdn-qr.h: the member QR code (mdn-qr.c): a signed payload naming a card,
 * and its PNG. */
#pragma once

#include <glib.h>

#include "mdn-types.h"

G_BEGIN_DECLS

/* QR member card payloads: MDN1.<card_no>.<base64url HMAC-SHA256>. */
char       *mdn_qr_payload         (MdnStore    *store,
                                    const char  *card_no);
/* What a new or reprinted card's QR encodes: URL/m/<payload> when the
 * chain set member.public_url (its member page), the bare payload
 * otherwise. Both scan (mdn_qr_parse), and so do old cards. */
char       *mdn_qr_card_text       (MdnStore    *store,
                                    const char  *card_no);
char       *mdn_qr_parse           (MdnStore    *store,
                                    const char  *payload,
                                    GError     **error);
/* The same with the chain key itself (the server's member page). Both
 * accept the payload inside a member page address, URL/m/MDN1.…. */
char       *mdn_qr_parse_with_key  (const guint8 *key,
                                    const char  *payload,
                                    GError     **error);
gboolean    mdn_qr_is_payload      (const char  *text);
gboolean    mdn_qr_write_png       (const char  *payload,
                                    const char  *path,
                                    GError     **error);

G_END_DECLS
