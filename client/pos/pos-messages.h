/* pos-messages.h: the member messages window of the Members page (会员留言):
 * the chain's messages (message.list, open or replied), a reply to one
 * (message.reply, at any branch or head office), and a new message for the
 * member on the page (message.add). */
#pragma once

#include <adwaita.h>

#include "pos-session.h"

G_BEGIN_DECLS

#define POS_TYPE_MESSAGES (pos_messages_get_type ())
G_DECLARE_FINAL_TYPE (PosMessages, pos_messages, POS, MESSAGES, AdwWindow)

/* @card: the member on the page, whose message may be added; NULL: none. */
PosMessages *pos_messages_new        (GtkWidget   *parent,
                                      PosSession  *session,
                                      const char  *card);
/* For tests, what the window's controls do. @status: "open", "replied" or
 * NULL for all. */
guint        pos_messages_show       (PosMessages *self,
                                      const char  *status,
                                      GError     **error);
/* Replies to the message of row @index with @text (NULL index: G_MAXUINT
 * adds a message for the card instead). */
gboolean     pos_messages_send       (PosMessages *self,
                                      guint        index,
                                      const char  *text,
                                      GError     **error);

G_END_DECLS
