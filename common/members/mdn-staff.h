/* mdn-staff.h: staff members, roles and passwords (argon2id via libsodium). */
#pragma once

#include "mdn-db.h"
#include "mdn-op.h"
#include "mdn-role.h"

G_BEGIN_DECLS

/* The pw_hash of a staff member who has no password yet (one restored by a
 * recovery, mdn_sync_restore_staff): no password matches it. */
#define MDN_STAFF_NO_PASSWORD "!"

gboolean  mdn_password_acceptable (const char *password,
                                   GError    **error);
char     *mdn_secret_hash         (const char *secret,
                                   GError    **error);
gboolean  mdn_secret_verify       (const char *hash,
                                   const char *secret);
/* The hash an unknown staff code is verified against; whether @hash was
 * made with today's argon2id parameters; how many verifications this
 * process ran (tests: an unknown code costs one, like a known one). */
const char *mdn_secret_dummy_hash (void);
gboolean  mdn_secret_hash_current (const char *hash);
guint     mdn_secret_verifications (void);
gboolean  mdn_staff_check_role    (MdnDb      *db,
                                   const char *role,
                                   GError    **error);
gboolean  mdn_staff_insert        (MdnDb      *db,
                                   const char *code,
                                   const char *name,
                                   const char *role,
                                   const char *password,
                                   GError    **error);
/* The code of the staff member's role (a row of roles, ops/mdn-roles.h). */
gboolean  mdn_staff_lookup_role   (MdnDb      *db,
                                   const char *code,
                                   const char *password,
                                   char      **out_role,
                                   GError    **error);

extern const MdnOpDef   mdn_staff_ops[];

G_END_DECLS
