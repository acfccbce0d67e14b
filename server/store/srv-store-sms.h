/* srv-store-sms.h: the storage of the SMS outbox, its gateway and templates,
 * and the member data the SMS rules read (server/notify/srv-sms.c holds the
 * rules: which event calls for which message, the templates' filling, the
 * sender's retries and the gateways' drivers). The SQLite backend is
 * srv-store-sms-sqlite.c over schema/server/0010_sms.sql; the PostgreSQL one
 * srv-store-pg-sms.c over schema/server/postgres/0007_sms.sql. Unless it
 * says otherwise, a function runs inside the caller's transaction if there
 * is one, else on its own. */
#pragma once

#include "srv-store.h"
#include "srv-store-console.h"

G_BEGIN_DECLS

/* The one gateway: driver aliyun | tencent | webhook | log. */
typedef struct
{
  char *driver;
  char *url;
  char *key_id;
  char *secret;
  char *sign_name;
  char *app_id;
  char *set_at;
} SrvSmsGateway;

/* A message of the outbox, as claimed for sending. */
typedef struct
{
  gint64   id;
  char    *entry_id;
  char    *event;
  char    *member_id;
  char    *phone;
  char    *text;
  char    *params;      /* JSON object of the template's variables */
  gint64   attempts;    /* this one included */
  gboolean marketing;
  char    *status;      /* before the claim: queued or retrying */
} SrvSmsMessage;

/* What the SMS rules read of a member. */
typedef struct
{
  char    *id;
  char    *card_no;
  char    *name;
  char    *phone;
  char    *issued_branch;
  gint64   balance_fen;   /* principal + bonus */
  gboolean consent;       /* takes marketing SMS */
  gboolean opt_out;       /* takes none */
} SrvSmsMember;

typedef gboolean (*SrvSmsMemberFunc) (const SrvSmsMember *member,
                                      gpointer            user_data);

/* Queues a message, once per (@key, @event, @member_id): a second time is
 * a no-op. @key is the entry's id (or "birthday:YEAR"); @failed NULL
 * queues it for @next_at (unix seconds), else stores it failed with that
 * reason (a campaign this store can't expand). */
gboolean srv_store_sms_enqueue (SrvStore *store, const char *key, const char *event, const char *member_id,
                                const char *phone, const char *text, const char *params, gboolean marketing,
                                const char *failed, gint64 next_at, const char *created_at, GError **error);
/* The template of @event: its text and the gateway's template code, each
 * NULL when not set. */
gboolean srv_store_sms_template (SrvStore *store, const char *event, char **out_text, char **out_code,
                                 GError **error);
/* Sets the template of @event; NULL keeps what is there. Its own transaction. */
gboolean srv_store_sms_template_set (SrvStore *store, const char *event, const char *text,
                                     const char *template_code, GError **error);
/* The gateway as set (@out_found FALSE: never set). */
gboolean srv_store_sms_gateway (SrvStore *store, SrvSmsGateway *out, gboolean *out_found, GError **error);
/* Replaces the gateway. Its own transaction. */
gboolean srv_store_sms_gateway_set (SrvStore *store, const SrvSmsGateway *gateway, GError **error);
/* id, entry_id, event, member_id, phone, text, marketing (0/1), status,
 * attempts, last_error, created_at, sent_at: the outbox newest first, of
 * @status (NULL: any). */
SrvRows *srv_store_sms_outbox (SrvStore *store, const char *status, GError **error);

/* Member @member_id as the SMS rules read it; @out_found FALSE if unknown. */
gboolean srv_store_sms_member (SrvStore *store, const char *member_id, SrvSmsMember *out, gboolean *out_found,
                               GError **error);
/* The name of branch @code, NULL if unknown. */
char    *srv_store_sms_shop (SrvStore *store, const char *code);
/* A setting.chain entry was stored in this transaction: what
 * srv_store_sms_setting_* answer is read again (PostgreSQL: in this process
 * at once, in the others once the transaction commits). */
gboolean srv_store_sms_settings_changed (SrvStore *store, GError **error);
/* A chain setting in force (mdn-settings.h: its default if never set). */
gboolean srv_store_sms_setting_bool (SrvStore *store, const char *key);
gint64   srv_store_sms_setting_int (SrvStore *store, const char *key);
/* id, birthday, birthday_lunar, issued_branch: the active members with a
 * phone, not opted out, with a solar or lunar birthday, by id. */
SrvRows *srv_store_sms_birthday_candidates (SrvStore *store, GError **error);
/* Calls @each for every member a campaign's @filter (member.filter's
 * arguments, as of business day @today) selects, until it answers FALSE:
 * mdn-member-filter over the members and their figures kept on apply (on
 * PostgreSQL copied into a scratch branch schema, srv-store-pg-crm.c). */
gboolean srv_store_sms_campaign_members (SrvStore *store, JsonObject *filter, const char *today,
                                         SrvSmsMemberFunc each, gpointer user_data, GError **error);
/* The members @filter chooses in @db (the branch schema: members,
 * member_figures, member_days) by mdn_member_filter_each, each given to
 * @each: both backends' campaign_members (PostgreSQL's over its scratch
 * copy). Not a store function: it reads the SQLite database it is given. */
gboolean srv_sms_filter_members (MdnDb *db, JsonObject *filter, const char *today, SrvSmsMemberFunc each,
                                 gpointer user_data, GError **error);

/* The sender. A process's sender has an id (@out_sender) that marks what
 * it claims; on PostgreSQL it is held by the connection (an advisory
 * lock), so that another process can tell a sender that is gone. */
gboolean srv_store_sms_sender_begin (SrvStore *store, gint64 *out_sender, GError **error);
/* Marks failed, never to be sent again, the messages left "sending" by a
 * sender that is gone (SQLite, one process: every one but @busy, this
 * sender's message in flight, 0 none). How many, or -1. */
gint64   srv_store_sms_recover (SrvStore *store, gint64 sender, gint64 busy, GError **error);
/* Claims the next due message (queued or retrying, next_at <= @now, by
 * next_at and id) for @sender: it becomes "sending" with one attempt more.
 * Two senders, in any processes, never claim one message. @out_found
 * FALSE: none due. */
gboolean srv_store_sms_claim (SrvStore *store, gint64 sender, gint64 now, SrvSmsMessage *out, gboolean *out_found,
                              GError **error);
/* Gives claimed message @id back, as @status with @attempts, due at @next_at. */
gboolean srv_store_sms_release (SrvStore *store, gint64 id, const char *status, gint64 attempts, gint64 next_at,
                                GError **error);
/* The outcome of sending message @id: @status (sent, retrying, failed),
 * next try at @next_at, @last_error; "sent" also counts the phone's
 * messages of @day (the chain's zone) and sets sent_at to @at. One
 * transaction. */
gboolean srv_store_sms_finish (SrvStore *store, gint64 id, const char *status, gint64 next_at,
                               const char *last_error, const char *at, const char *day, GError **error);
/* How many messages @phone was sent on @day. */
gboolean srv_store_sms_daily_sent (SrvStore *store, const char *phone, const char *day, gint64 *out,
                                   GError **error);

G_END_DECLS
