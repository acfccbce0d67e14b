/* srv-server.h: the HTTP side of mendian-server: listening, one routing
 * table, authentication, JSON replies. One file per resource family in
 * api/ (srv-sync.c, srv-members.c, srv-reports.c) provides a route table. */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "srv-store.h"

G_BEGIN_DECLS

#define SRV_DEFAULT_MAX_BODY (8 * 1024 * 1024)
#define SRV_DEFAULT_WS_PING  30   /* seconds between WebSocket pings */

typedef struct _SrvServer SrvServer;

typedef struct
{
  SrvServer         *srv;
  SrvStore          *store;
  SoupServerMessage *msg;
  const char        *path;
  GHashTable        *query;    /* may be NULL */
  SrvBranch         *branch;   /* with SRV_AUTH_BRANCH */
  JsonNode          *body;     /* parsed JSON body of a POST */
  GBytes            *raw_body; /* the UTF-8 body, with SRV_ROUTE_RAW_BODY */
} SrvRequest;

typedef void (*SrvHandler) (SrvRequest *req);

typedef enum {
  SRV_AUTH_NONE,
  SRV_AUTH_BRANCH,   /* bearer token of a branch (or the HQ terminal) */
  SRV_AUTH_HQ,       /* bearer token made by “token add --role hq” */
  SRV_AUTH_HEAD_OFFICE, /* an hq token, or the HQ terminal's branch token */
} SrvAuth;

typedef enum {
  SRV_ROUTE_RAW_BODY = 1 << 0,  /* the handler reads the (UTF-8) body itself */
} SrvRouteFlags;

typedef struct
{
  const char   *method;
  const char   *path;     /* exact, or a prefix when it ends in '/' */
  SrvAuth       auth;
  SrvHandler    handler;
  SrvRouteFlags flags;
} SrvRoute;

typedef struct
{
  const char *listen;       /* HOST:PORT */
  const char *tls_cert;
  const char *tls_key;
  gboolean    insecure;
  gsize       max_body;
  guint       idle_timeout;     /* seconds; 0: SRV_DEFAULT_IDLE_TIMEOUT */
  guint       header_timeout;   /* seconds; 0: SRV_DEFAULT_HEADER_TIMEOUT */
  guint       ws_ping;          /* seconds; 0: SRV_DEFAULT_WS_PING */
  const char *console_hq;       /* the console's HQ terminal database */
  const char *console_hq_code;  /* its branch code; NULL: SRV_CONSOLE_HQ_CODE */
  guint       console_idle;     /* seconds; 0: SRV_CONSOLE_IDLE_DEFAULT */
  const char *db;               /* the --db value: report workers open their own store with it */
  const char *report_dsn;       /* serve --report-dsn: and their replica reads with this */
} SrvServerOptions;

/* Counters for /metrics, bumped by the handlers. */
typedef struct
{
  guint64 requests;
  guint64 pushes;
  guint64 push_entries;
  guint64 push_duplicates;
  guint64 push_failures;
  guint64 auth_failures;
  guint64 bad_requests;
  guint64 authorizations;
  guint64 notify_clients;
} SrvCounters;

extern const SrvRoute srv_sync_routes[];
extern const SrvRoute srv_member_routes[];
extern const SrvRoute srv_report_routes[];
extern const SrvRoute srv_console_routes[];

typedef struct _SrvConsole SrvConsole;
extern const SrvRoute srv_backoffice_routes[];
extern const SrvRoute srv_stock_routes[];
extern const SrvRoute srv_member_page_routes[];

int          srv_serve           (SrvStore               *store,
                                  const SrvServerOptions *options);

SrvCounters *srv_server_counters (SrvServer   *srv);
/* Connection gauges and counters for /metrics (Prometheus text). */
void         srv_metric          (GString     *out,
                                  const char  *type,
                                  const char  *name,
                                  const char  *help,
                                  guint64      value);
void         srv_server_write_metrics (SrvServer *srv,
                                       GString   *out);
void         srv_notify_feed     (SrvServer   *srv,
                                  gint64       head);

void         srv_reply_json      (SrvRequest  *req,
                                  guint        status,
                                  JsonObject  *object);
/* Adds "ok": true to @object and replies 200 with it: every success reply. */
void         srv_reply_ok        (SrvRequest  *req,
                                  JsonObject  *object);
/* Adds "ok": true to @object and returns it (the command line's outputs). */
JsonObject  *srv_json_ok         (JsonObject  *object);
void         srv_reply_error     (SrvRequest  *req,
                                  guint        status,
                                  const char  *code,
                                  const char  *message);
void         srv_reply_gerror    (SrvRequest  *req,
                                  const GError *error);
JsonObject  *srv_error_json      (const char  *code,
                                  const char  *message);
guint        srv_error_status    (const GError *error);
void         srv_reply_text      (SrvRequest  *req,
                                  guint        status,
                                  const char  *content_type,
                                  char        *text);
const char  *srv_query_get       (SrvRequest  *req,
                                  const char  *name);

/* Websocket notify (srv-sync.c). */
void         srv_sync_notify_handler (SoupServer              *server,
                                      SoupServerMessage       *msg,
                                      const char              *path,
                                      SoupWebsocketConnection *connection,
                                      gpointer                 user_data);
SrvStore    *srv_server_store    (SrvServer   *srv);
void         srv_server_websocket_started (SrvServer *srv,
                                          SoupServerMessage *msg);
void         srv_server_add_socket (SrvServer *srv,
                                    SoupWebsocketConnection *connection,
                                    const char *branch);
/* Notify WebSockets of @branch open now. */
guint        srv_server_online    (SrvServer   *srv,
                                   const char  *branch);
/* The feed position @branch last asked to read after (-1: not since the
 * server started) and the User-Agent it asked with (NULL), and noting
 * them (srv-sync.c). */
gint64       srv_server_feed_seen (SrvServer   *srv,
                                   const char  *branch,
                                   const char **agent);
void         srv_server_note_feed (SrvServer   *srv,
                                   const char  *branch,
                                   gint64       after,
                                   const char  *agent);
SrvConsole  *srv_server_console   (SrvServer   *srv);
gboolean     srv_server_is_tls    (SrvServer   *srv);
/* The --db value the server was started with (NULL when not known). */
const char  *srv_server_db_path   (SrvServer   *srv);
/* Its --report-dsn (NULL: none). */
const char  *srv_server_report_dsn (SrvServer  *srv);
/* Report workers (srv-reports.c), counted on the main thread: take fails
 * when @max are already running. */
gboolean     srv_server_report_slot_take (SrvServer *srv,
                                          guint      max);
void         srv_server_report_slot_give (SrvServer *srv);
/* @msg is answered later by a worker: no idle timeout meanwhile
 * (srv_conns_hold). */
void         srv_server_hold_request (SrvServer         *srv,
                                      SoupServerMessage *msg,
                                      gboolean           held);
/* srv-reports.c: builds report @def in a worker thread (its own store,
 * opened from the server's --db) and answers @msg, paused meanwhile, with
 * the file; @download adds the console's no-store headers. FALSE when it
 * could not start: *@busy when the workers are all taken (the caller
 * answers 503), else @error. */
gboolean     srv_report_start     (SrvServer            *srv,
                                   SoupServerMessage    *msg,
                                   const MdnReportDef   *def,
                                   const MdnReportQuery *q,
                                   MdnReportFormat       format,
                                   const char           *shop,
                                   gboolean              download,
                                   gboolean              hold,
                                   gboolean             *busy,
                                   GError              **error);
#define SRV_REPORTS_AT_ONCE    2     /* report workers at once */
#define SRV_REPORT_RETRY_AFTER "5"   /* seconds, in a 503's Retry-After */

G_END_DECLS
