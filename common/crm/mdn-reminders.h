/* mdn-reminders.h: reminders of members to call or message (birthdays,
 * low balance, inactivity, card and package expiry), the hints the
 * checkout shows for one member, and marking a reminder done. The rules
 * are in mdn-reminders.c and docs/members.md. */
#pragma once

#include "mdn-op.h"

G_BEGIN_DECLS

extern const MdnOpDef mdn_reminder_ops[];

G_END_DECLS
