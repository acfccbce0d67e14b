/* mdn-messages.h: member messages (会员留言) and their replies, as shared
 * entries message.add and message.reply: a message left at one branch is
 * seen and can be answered at every other and at head office. */
#pragma once

#include "mdn-op.h"

G_BEGIN_DECLS

#define MDN_MESSAGE_MAX_CHARS 500

extern const MdnOpDef   mdn_message_ops[];
extern const MdnKindDef mdn_message_kinds[];

G_END_DECLS
