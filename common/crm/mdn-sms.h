/* mdn-sms.h: what SMS a ledger entry calls for, and its text, decided the
 * same way wherever it is read (the server sends; branches never hold a
 * gateway's secret). Plus the operations a branch or the HQ terminal runs:
 * a member's SMS preferences (member.sms_prefs) and a campaign to a
 * filtered set (sms.campaign, an entry the server turns into messages). */
#pragma once

#include "mdn-op.h"

G_BEGIN_DECLS

/* The event of an entry: issue, deposit, spend, withdraw, lost; NULL for
 * an entry that sends nothing. */
const char *mdn_sms_event_of_entry   (MdnEntry    *entry);
/* The settings toggle of @event (sms.on_deposit …, sms.birthday). */
const char *mdn_sms_setting_of_event (const char  *event);
/* The text used when head office set none for @event. */
const char *mdn_sms_default_text     (const char  *event);
/* @text with every {name} replaced by the string member @name of @vars
 * (unknown names are left as they are). */
char       *mdn_sms_render           (const char  *text,
                                      JsonObject  *vars);
/* The {names} of @text in order of first appearance (Tencent's positional
 * parameters). */
GStrv       mdn_sms_placeholders     (const char  *text);

/* sms.send {member_id | card, event, due_on?}: one reminder SMS chosen at
 * the reminders window; @event is birthday, low_balance, inactive, expiry
 * or package_expiry. An sms.send entry the server turns into a message. */
gboolean    mdn_sms_send_event_valid (const char *event);
/* Whether sms.send's @event is marketing (consent, window, cap, opt-out
 * line): inactive; the others are about the member's own card. */
gboolean    mdn_sms_send_is_marketing (const char *event);

/* What is appended to every marketing message. */
#define MDN_SMS_OPT_OUT_LINE "拒收请回复R"

extern const MdnOpDef   mdn_sms_ops[];
extern const MdnKindDef mdn_sms_kinds[];

G_END_DECLS
