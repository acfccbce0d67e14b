/* pos-members-private.h: what pos-members.c (the search and the member's
 * page) and pos-members-actions.c (the card jobs, installed as widget
 * actions) share. Nothing else includes it. */
#pragma once

#include "pos-member-view.h"
#include "pos-members.h"

G_BEGIN_DECLS

struct _PosMembers
{
  AdwBin      parent_instance;

  PosSession *session;
  PosMemberView *member;    /* the member on the page */
  GPtrArray  *results;      /* of PosMemberView: the search hits */
  guint       search_id;
  GHashTable *buttons;      /* action name → button */

  GtkWidget  *search_entry;
  GtkWidget  *results_list;
  GtkWidget  *issue_button;
  GtkWidget  *reminders_button;
  GtkWidget  *detail_stack;
  GtkWidget  *avatar;
  GtkWidget  *name_label;
  GtkWidget  *card_label;
  GtkWidget  *status_label;
  GtkWidget  *balance_label;
  GtkWidget  *split_label;
  GtkWidget  *points_label;
  GtkWidget  *level_label;
  GtkWidget  *actions_box;
  GtkWidget  *phone_row;
  GtkWidget  *validity_row;
  GtkWidget  *pin_row;
  GtkWidget  *issued_row;
  GtkWidget  *packages_group;
  GtkWidget  *packages_list;
  GtkWidget  *history_list;
};

/* pos-members.c */
/* Shows the member of @card on the page (member.show). */
gboolean pos_members_show_member         (PosMembers     *self,
                                          const char     *card,
                                          GError        **error);

/* pos-members-reminders.c */
/* member.reminders: the reminders window, the page's badge updated after. */
void     pos_members_filter_action       (GtkWidget      *widget,
                                          const char     *action_name,
                                          GVariant       *parameter);
/* member.sms-prefs: the member's SMS choices (member.sms_prefs). */
void     pos_members_sms_prefs_action    (GtkWidget      *widget,
                                          const char     *action_name,
                                          GVariant       *parameter);
void     pos_members_messages_action     (GtkWidget      *widget,
                                          const char     *action_name,
                                          GVariant       *parameter);
void     pos_members_import_action       (GtkWidget      *widget,
                                          const char     *action_name,
                                          GVariant       *parameter);
void     pos_members_reminders_action    (GtkWidget      *widget,
                                          const char     *action_name,
                                          GVariant       *parameter);

/* pos-members-actions.c */
/* Installs the member.* actions and their keys on the class. */
void     pos_members_class_add_actions   (GtkWidgetClass *wc);
/* The buttons of the card jobs, in the page's actions box. */
void     pos_members_add_action_buttons  (PosMembers     *self);
/* Enables each action from the member on the page and the cashier's role. */
void     pos_members_update_actions      (PosMembers     *self);
/* The Use button of a package row: the package use form for @sku. */
void     pos_members_use_package         (PosMembers     *self,
                                          const char     *sku);

G_END_DECLS
