/* srv-console-private.h: what the console's files share: the console, a
 * page request, the layout, the HQ terminal (srv-console-hq.c) and each
 * page's handler (srv-console-pages.c, srv-console-master.c). */
#pragma once

#include "srv-console.h"
#include "srv-html.h"
#include "srv-store-console.h"

G_BEGIN_DECLS

/* The branch code of the console's head-office terminal unless serve
 * --console-hq-code names another (one per server process on PostgreSQL). */
#define SRV_CONSOLE_HQ_CODE "WEB"

typedef struct _SrvConsoleHq SrvConsoleHq;

struct _SrvConsole
{
  SrvServer    *srv;
  SrvStore     *store;
  char         *hq_path;
  char         *hq_code;       /* serve --console-hq-code; NULL: SRV_CONSOLE_HQ_CODE */
  SrvConsoleHq *hq;      /* opened at the first write */
  gint64        idle;    /* seconds */
  GTimeZone    *tz;      /* the chain's, for times shown; may be NULL */
};

/* One request to a console page. */
typedef struct
{
  SrvRequest     *req;
  SrvConsole     *console;
  SrvConsoleUser *user;
  GHashTable     *form;    /* a POST's fields (may be NULL) */
  const char     *sub;     /* the path after /console/ */
} SrvPage;

typedef void (*SrvPageFunc) (SrvPage *page);

/* Replies with the layout around @content (taken), @nav the current tab. */
void      srv_page_reply        (SrvPage     *page,
                                 const char  *nav,
                                 const char  *title,
                                 SrvHtml     *content);
/* A 403 (refused), 404 or 400 page with @message. */
void      srv_page_error        (SrvPage     *page,
                                 guint        status,
                                 const char  *message);
/* 303 to @location (a path of ours). */
void      srv_page_redirect     (SrvPage     *page,
                                 const char  *location);
/* The hidden csrf_token input of every form. */
SrvHtml  *srv_page_csrf_input   (SrvPage     *page);
/* A POST field or a GET query value, or NULL. */
const char *srv_page_arg        (SrvPage     *page,
                                 const char  *name);
/* hq-admin and region users may write (region: its branches only). */
gboolean  srv_page_may_write    (SrvPage     *page);
gboolean  srv_page_sees_branch  (SrvPage     *page,
                                 const char  *branch);
/* NULL for every branch, else the user's branches (for the store). */
const char *const *srv_page_branches (SrvPage *page);
/* A line of the audit log by the page's user. */
void      srv_page_audit        (SrvPage     *page,
                                 const char  *action,
                                 const char  *target,
                                 gboolean     ok,
                                 const char  *detail,
                                 const char  *entry_id);
/* "2026-12-01 20:38:22" of an ISO 8601 time, in the chain's time zone. */
char     *srv_page_time         (SrvPage     *page,
                                 const char  *iso);
/* A notice above the content (?done=...), escaped. */
SrvHtml  *srv_page_notice       (SrvPage     *page);

/* Pages (srv-console-pages.c). */
void srv_console_dashboard      (SrvPage *page);
void srv_console_branches       (SrvPage *page);
void srv_console_branch_post    (SrvPage *page);
void srv_console_members        (SrvPage *page);
void srv_console_member         (SrvPage *page);
void srv_console_exceptions     (SrvPage *page);
void srv_console_exception      (SrvPage *page);
void srv_console_write_off      (SrvPage *page);
void srv_console_audit_page     (SrvPage *page);
/* Reports (srv-console-reports.c). */
void srv_console_reports        (SrvPage *page);
void srv_console_report         (SrvPage *page);
/* Stock and the branches' operation logs (srv-console-chain.c). */
void srv_console_stock          (SrvPage *page);
void srv_console_oplog          (SrvPage *page);
/* SMS (srv-console-sms.c). */
void srv_console_sms            (SrvPage *page);
void srv_console_sms_preview    (SrvPage *page);
void srv_console_sms_send       (SrvPage *page);
/* A member's messages: HQ's reply (srv-console-pages.c). */
void srv_console_message_reply  (SrvPage *page);
/* Master data (srv-console-master.c). */
void srv_console_master         (SrvPage *page);
void srv_console_master_edit    (SrvPage *page);
void srv_console_master_post    (SrvPage *page);

/* Runs a head-office operation at the console's HQ terminal and pushes
 * its entries (srv-console-hq.c); the branches are told the feed moved. */
JsonObject *srv_console_run_hq  (SrvPage     *page,
                                 const char  *op,
                                 JsonObject  *args,
                                 GError     **error);

/* The terminal in @path (made, and registered under @code, if missing);
 * @code NULL: SRV_CONSOLE_HQ_CODE. */
SrvConsoleHq *srv_console_hq_open (SrvStore   *store,
                                   const char *path,
                                   const char *code,
                                   GError    **error);
void        srv_console_hq_free (SrvConsoleHq *hq);
gboolean    srv_console_hq_known (const char  *op);
JsonObject *srv_console_hq_run  (SrvConsoleHq *hq,
                                 const char   *op,
                                 JsonObject   *args,
                                 gint64       *feed_head,
                                 GError      **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvConsoleHq, srv_console_hq_free)

G_END_DECLS
