/* srv-store-console.h: what the head-office web console (server/console/)
 * keeps and reads: its accounts, sessions and audit log, and the rows of
 * its pages. Rows come back as SrvRows (a GPtrArray of GStrv, one string
 * per column in the order each function documents, "" for SQL NULL), so
 * no SQL leaves the store. @branches, where a function takes it, limits
 * the rows to those branches (a region user's); NULL means every branch. */
#pragma once

#include "mdn-report.h"
#include "srv-store.h"

G_BEGIN_DECLS

/* Idle sessions end after this long (seconds) unless the server is told
 * otherwise (serve --console-idle). */
#define SRV_CONSOLE_IDLE_DEFAULT (30 * 60)

typedef struct
{
  char  *name;
  char  *role;        /* hq-admin, hq-viewer or region */
  GStrv  branches;    /* a region user's branch codes; empty otherwise */
  char  *csrf;        /* in a session: its CSRF token */
} SrvConsoleUser;

void            srv_console_user_free      (SrvConsoleUser *user);

/* A new account, or a new password, role and branches for an existing
 * one (the password is hashed with argon2id). */
gboolean        srv_console_user_add       (SrvStore          *store,
                                            const char        *name,
                                            const char        *role,
                                            const char        *password,
                                            const char *const *branches,
                                            GError           **error);
/* The account if @password is right, else auth_failed (or staff_locked
 * after MDN_LOCKOUT_MAX_FAILURES wrong ones in a row, mdn-lockout.h).
 * Either way the attempt is in the audit log. */
SrvConsoleUser *srv_console_login          (SrvStore          *store,
                                            const char        *name,
                                            const char        *password,
                                            GError           **error);
/* A new session of @name: its id (for the cookie; only its hash is kept)
 * and its CSRF token in *@csrf. */
char           *srv_console_session_new    (SrvStore          *store,
                                            const char        *name,
                                            char             **csrf,
                                            GError           **error);
/* The session's user (with csrf) if it exists and was used less than
 * @idle seconds ago, and then it counts as used now; else NULL (and an
 * idle one is deleted). */
SrvConsoleUser *srv_console_session_get    (SrvStore          *store,
                                            const char        *id,
                                            gint64             idle);
void            srv_console_session_end    (SrvStore          *store,
                                            const char        *id);
gboolean        srv_console_audit          (SrvStore          *store,
                                            const char        *name,
                                            const char        *action,
                                            const char        *target,
                                            gboolean           ok,
                                            const char        *detail,
                                            const char        *entry_id);

typedef GPtrArray SrvRows;   /* of GStrv */

/* at, name, action, target, ok (0/1), detail, entry_id; newest first; only
 * @name's if not NULL. */
SrvRows *srv_console_audit_rows     (SrvStore *store, const char *name, gint64 limit, gint64 offset,
                                     GError **error);
/* business_date, sales_fen, deposit_principal_fen, refund_fen for each day
 * of [from, to] that has figures, by date. */
SrvRows *srv_console_trend_rows     (SrvStore *store, const char *from, const char *to,
                                     const char *const *branches, GError **error);
/* id, card_no, name, phone, level name, status, principal_fen, bonus_fen,
 * points, issued_branch: at most @limit members whose card number, phone
 * or name contains @q (a card or phone given whole first). */
SrvRows *srv_console_member_rows    (SrvStore *store, const char *q, const char *const *branches,
                                     gint64 limit, GError **error);
/* The same columns for one member (by id), then expires_on, issued_at,
 * birthday: one row or none. */
SrvRows *srv_console_member_row     (SrvStore *store, const char *member_id, GError **error);
/* item (sku), product name, lot, expires_on, remaining. */
SrvRows *srv_console_package_rows   (SrvStore *store, const char *member_id, GError **error);
/* id, branch, seq, kind, at, business_date, staff, principal delta, bonus
 * delta, points delta: the member's entries at every branch, newest first. */
SrvRows *srv_console_history_rows   (SrvStore *store, const char *member_id, gint64 limit, GError **error);
/* sku, name, kind, price_fen, category, barcode, no_discount, package_sku,
 * package_count, package_days, active; by sku. */
SrvRows *srv_console_product_rows   (SrvStore *store, GError **error);
/* path, name: the product categories in use (not archived), by path. */
SrvRows *srv_console_category_rows  (SrvStore *store, GError **error);
/* code, name, price_percent, points_per_yuan, offline_limit_fen. */
SrvRows *srv_console_level_rows     (SrvStore *store, GError **error);
/* min_fen, bonus_fen. */
SrvRows *srv_console_rule_rows      (SrvStore *store, GError **error);
/* code, name, unit_minutes, unit_price_fen, free_minutes, min_minutes, cap_fen. */
SrvRows *srv_console_plan_rows      (SrvStore *store, GError **error);
/* key, value: the settings in force at the server (the chain's, from
 * setting.chain entries); a key not there is at its default. */
SrvRows *srv_console_setting_rows   (SrvStore *store, GError **error);
/* The chain's time zone (Asia/Shanghai). */
const char *srv_console_timezone    (SrvStore *store);
/* Today's business date (YYYY-MM-DD) in the chain's time zone. */
char    *srv_console_today          (SrvStore *store);
/* The branch that issued member @member_id, or NULL. */
char    *srv_console_member_branch  (SrvStore *store, const char *member_id);
/* The member whose current card is @card_no, or NULL (a member's own
 * page, server/api/srv-member-page.c). */
char    *srv_console_card_member    (SrvStore *store, const char *card_no);

/* The page of report @def the console shows (mdn_report_page over the
 * chain's database, in one read transaction): {columns, rows (at most
 * @limit from the @after'th), totals, count, next}. */
JsonObject *srv_console_report_page (SrvStore *store, const MdnReportDef *def, const MdnReportQuery *query,
                                     gint64 limit, const char *after, GError **error);
/* message id, branch, at, staff, text: the member's messages (会员留言),
 * newest first. */
SrvRows *srv_console_message_rows   (SrvStore *store, const char *member_id, GError **error);
/* message id, reply id, branch, at, staff, text: the replies to the
 * member's messages, oldest first. */
SrvRows *srv_console_reply_rows     (SrvStore *store, const char *member_id, GError **error);
/* branch, id, at, staff, op, ok (0/1), detail, terminal, entry_id: the
 * branches' operation logs (srv_oplog) newest first, each filter NULL for
 * any (@from, @to: business dates of `at`; @ok 1 done, 0 refused, -1
 * either), at most @limit from the @offset'th. */
SrvRows *srv_console_oplog_rows     (SrvStore *store, const char *const *branches, const char *branch,
                                     const char *from, const char *to, const char *staff, const char *op,
                                     int ok, gint64 limit, gint64 offset, GError **error);
/* op: every operation name the operation logs hold, by name. */
SrvRows *srv_console_oplog_ops      (SrvStore *store, GError **error);
/* Notes the software version @branch_code reported (NULL or "": none). */
gboolean srv_console_branch_note_version (SrvStore *store, const char *branch_code, const char *version,
                                          GError **error);
/* code, version, version_at: each branch that ever reported its version. */
SrvRows *srv_console_branch_versions (SrvStore *store, GError **error);
/* created_at, event, phone, text, status, attempts, sent_at, last_error:
 * the newest @limit messages of the SMS outbox (srv-store-sms.h), of
 * @status (NULL: any). */
SrvRows *srv_console_sms_rows       (SrvStore *store, const char *status, gint64 limit, GError **error);
/* status, count, the newest last_error of that status: the outbox by status. */
SrvRows *srv_console_sms_counts     (SrvStore *store, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvConsoleUser, srv_console_user_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvRows, g_ptr_array_unref)

G_END_DECLS
