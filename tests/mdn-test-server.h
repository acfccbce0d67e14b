/* mdn-test-server.h: the real mendian-server process for integration tests:
 * started on 127.0.0.1 port 0 on a throwaway database, branches registered
 * with it and linked to it, child processes that die with the test. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "mdn-sync.h"
#include "mdn-test-util.h"

G_BEGIN_DECLS

typedef struct
{
  char        *dir;          /* a temporary directory of its own */
  char        *db;           /* dir/server.db, or a libpq URI (MENDIAN_TEST_BACKEND=pg) */
  GSubprocess *proc;         /* NULL while stopped */
  char        *url;          /* http://127.0.0.1:PORT/ of the last start */
  guint16      port;
  char        *hq_token;     /* API token with role hq, if added */
  GHashTable  *tokens;       /* branch code -> token */
  char        *hq_code;      /* PostgreSQL: serve --console-hq-code (NULL: WEB) */
} MdnTestServer;

/* Spawns argv (NULL-terminated varargs or an array); the child is killed
 * when the test process dies, even when an assertion aborts it. */
GSubprocess   *mdn_test_spawn                (GSubprocessFlags    flags,
                                              GError            **error,
                                              ...) G_GNUC_NULL_TERMINATED;
GSubprocess   *mdn_test_spawnv               (GSubprocessFlags    flags,
                                              const char *const  *argv,
                                              GError            **error);
/* Runs argv to completion (a child that dies with the test); its standard
 * output. Fails the test if it can't be run or doesn't succeed. */
char          *mdn_test_run_ok               (const char *const  *argv);
/* Starts $MENDIAN_CLI --db @db @args... (NULL-terminated); asserts it started. */
GSubprocess   *mdn_test_cli_spawn            (GSubprocessFlags    flags,
                                              const char         *db,
                                              ...) G_GNUC_NULL_TERMINATED;

/* Whether MENDIAN_TEST_BACKEND=pg: servers on PostgreSQL (s->db a libpq
 * URI, mdn_test_server_count a query on it). */
gboolean       mdn_test_backend_pg           (void);
/* $MENDIAN_SERVER; asserts it is set. */
const char    *mdn_test_server_binary        (void);
/* The "token" member of a JSON reply of mendian-server. */
char          *mdn_test_token_of             (const char         *json);

/* A temporary directory mendian-@name-XXXXXX with server.db initialised;
 * not running. */
MdnTestServer *mdn_test_server_init          (const char         *name);
/* init, an hq token (s->hq_token), then start with @extra. */
MdnTestServer *mdn_test_server_new           (const char         *name,
                                              const char         *extra);
/* Kills a running server (SIGKILL) and removes its files unless
 * MENDIAN_KEEP_TEST_DB is set. */
void           mdn_test_server_free          (MdnTestServer      *s);

/* Runs mendian-server --db s->db @args... (NULL-terminated) to completion;
 * its standard output. */
char          *mdn_test_server_cmd           (MdnTestServer      *s,
                                              ...) G_GNUC_NULL_TERMINATED;
/* Adds a token with role hq as s->hq_token. */
void           mdn_test_server_add_hq_token  (MdnTestServer      *s);
/* serve --listen 127.0.0.1:0 [@extra]; waits for its first line
 * "listening on URL" and sets s->url and s->port. */
/* PostgreSQL: a second server process on @a's database, with @a's tokens,
 * started with @extra (may be NULL); @name goes into its connections'
 * application_name, @hq_code is its console terminal's branch code. */
MdnTestServer *mdn_test_server_second        (MdnTestServer      *a,
                                              const char         *name,
                                              const char         *hq_code,
                                              const char         *extra);
void           mdn_test_server_start         (MdnTestServer      *s,
                                              const char         *extra);
/* Sends @sig and waits: the exit status, or -signal if it was killed. */
int            mdn_test_server_stop          (MdnTestServer      *s,
                                              int                 sig);

/* Registers branch @code (branch add, --hq if @hq); its token, also kept
 * in s->tokens. */
const char    *mdn_test_server_add_branch    (MdnTestServer      *s,
                                              const char         *code,
                                              int                 number,
                                              gboolean            hq);
/* mdn_sync_link of @b to @url with @token; asserts it succeeded. */
void           mdn_test_link                 (MdnTestBranch      *b,
                                              const char         *url,
                                              const char         *token);
/* Links @b to the server's current URL with its branch's token. */
void           mdn_test_server_link          (MdnTestServer      *s,
                                              MdnTestBranch      *b);
/* A new branch database (an HQ one if @hq), registered and linked. */
MdnTestBranch *mdn_test_server_branch_new    (MdnTestServer      *s,
                                              const char         *code,
                                              int                 number,
                                              gboolean            hq);

/* The server's projections as a branch database: server.db itself, or
 * (PostgreSQL) the server's ledger applied into a database in memory. */
MdnDb         *mdn_test_server_db            (MdnTestServer      *s);
/* SELECT of one integer on the server's database, read-only. */
gint64         mdn_test_server_count         (MdnTestServer      *s,
                                              const char         *sql);
/* The first column of the first row of @sql (@param, if not NULL, bound to
 * its one "?") on the server's database, read-only; NULL if no row or SQL
 * NULL. On PostgreSQL like mdn_test_server_count: the server's own tables,
 * or the re-projected ledger for what they don't have. */
char          *mdn_test_server_value         (MdnTestServer      *s,
                                              const char         *sql,
                                              const char         *param);
/* PostgreSQL: how many deposits have a kept balance after
 * (srv_deposit_balances) missing, or other than their member's principal
 * and bonus movements of every entry stored up to them, summed from the
 * ledger; how many kept rows name no deposit is added. */
gint64         mdn_test_pg_deposits_drift    (MdnTestServer      *s);
/* A request to the server; @body (@len bytes, or up to NUL if @len < 0)
 * sent as application/json if not NULL, Authorization: Bearer @token if
 * not NULL. The HTTP status; the reply parsed into @out if not NULL. */
guint          mdn_test_http                 (MdnTestServer      *s,
                                              const char         *method,
                                              const char         *path,
                                              const char         *token,
                                              const char         *body,
                                              gssize              len,
                                              JsonObject        **out);

/* mdn_sync_run of @b; g_error() with the message if it fails. */
MdnSyncResult  mdn_test_sync_ok              (MdnTestBranch      *b);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MdnTestServer, mdn_test_server_free)

G_END_DECLS
