/* mdn-test-util.h: a throwaway branch and one-line operations for tests. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "mdn-ledger.h"
#include "mdn-ops.h"
#include "mdn-store.h"
#include "mdn-test-entry.h"

G_BEGIN_DECLS

typedef struct
{
  char     *dir;
  char     *path;
  MdnStore *store;
  MdnOpCtx *admin;
} MdnTestBranch;

#define MDN_TEST_PASSWORD "secret-pass"

MdnTestBranch *mdn_test_branch_new     (const char *code,
                                        int         number);
/* The same, an HQ terminal's database if @hq. */
MdnTestBranch *mdn_test_branch_new_full (const char *code,
                                         int         number,
                                         gboolean    hq);
void           mdn_test_branch_free    (MdnTestBranch *b);
MdnOpCtx      *mdn_test_staff          (MdnTestBranch *b,
                                        const char    *code,
                                        const char    *role);

/* Runs {"op": ...} built from a printf format; asserts it succeeded. */
JsonObject    *mdn_test_ok             (MdnOpCtx   *ctx,
                                        const char *format,
                                        ...) G_GNUC_PRINTF (2, 3);
/* Asserts the operation failed with @code and wrote no entry of the branch. */
void           mdn_test_fails          (MdnOpCtx   *ctx,
                                        const char *code,
                                        const char *format,
                                        ...) G_GNUC_PRINTF (3, 4);
gint64         mdn_test_int            (JsonObject *o,
                                        const char *member);
const char    *mdn_test_str            (JsonObject *o,
                                        const char *member);
gint64         mdn_test_count          (MdnTestBranch *b,
                                        const char    *sql);
guint          mdn_test_verify         (MdnTestBranch *b);
void           mdn_test_set_now        (const char    *iso);

/* Every row of @tables (NULL: every projection table, the branch-local
 * bookkeeping and the server's srv_* tables left out) as sorted text, to
 * compare two databases. */
char          *mdn_test_dump           (MdnDb             *db,
                                        const char *const *tables);
int            mdn_test_compare_strings (gconstpointer a,
                                         gconstpointer b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MdnTestBranch, mdn_test_branch_free)

G_END_DECLS
