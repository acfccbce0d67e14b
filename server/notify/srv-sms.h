/* srv-sms.h: SMS sent by the server: the gateway (aliyun, tencent, webhook,
 * log), the templates, the outbox and its sender. Branches never hold a
 * gateway's secret; see docs/members.md, “SMS”. */
#pragma once

#include <json-glib/json-glib.h>

#include "mdn-ledger.h"
#include "srv-store.h"

G_BEGIN_DECLS

typedef struct
{
  const char *driver;      /* aliyun | tencent | webhook | log */
  const char *url;         /* NULL: the driver's default (log: required, the file) */
  const char *key_id;
  const char *secret;      /* read from --secret-file; stored, never printed */
  const char *sign_name;
  const char *app_id;
} SrvSmsGatewayConfig;

/* Called by the push (srv-push.c) for every newly stored pushed entry,
 * inside its transaction: queues the event message the chain's settings
 * ask for (sms.on_*), or a campaign's messages (sms.campaign). Idempotent
 * by (entry, event, member). */
gboolean    srv_sms_note_entry     (SrvStore    *store,
                                    MdnEntry    *entry,
                                    GError     **error);

/* Queues the birthday greetings of @today (YYYY-MM-DD, the chain's zone)
 * if sms.birthday is on, in one transaction; idempotent (outbox key
 * "birthday:YEAR"), in several processes at once too. The sender calls it
 * once a day from 09:00. */
gboolean    srv_sms_queue_birthdays (SrvStore   *store,
                                    const char  *today,
                                    GError     **error);

gboolean    srv_sms_set_gateway    (SrvStore    *store,
                                    const SrvSmsGatewayConfig *config,
                                    GError     **error);
/* The gateway as configured, without its secret (has_secret instead). */
JsonObject *srv_sms_gateway_show   (SrvStore    *store,
                                    GError     **error);
gboolean    srv_sms_set_template   (SrvStore    *store,
                                    const char  *event,
                                    const char  *text,
                                    const char  *template_code,
                                    GError     **error);
/* The outbox, newest first; @status NULL for every state. */
JsonArray  *srv_sms_outbox_list    (SrvStore    *store,
                                    const char  *status,
                                    GError     **error);

/* The sender: runs in the server's main loop, one message at a time. A
 * message left "sending" by a process that is gone is marked failed, never
 * sent again; several processes on one PostgreSQL database share the
 * outbox, each message sent by one of them (srv-store-sms.h). NULL if the
 * store can't give it a sender id. @retry_base_s: the first retry's
 * delay, doubled per attempt. */
typedef struct _SrvSmsSender SrvSmsSender;

SrvSmsSender *srv_sms_sender_start (SrvStore    *store,
                                    const char  *timezone,
                                    gint64       retry_base_s);
void          srv_sms_sender_free  (SrvSmsSender *sender);

G_END_DECLS
