/* pos-members.c: find a member (card, phone, name, QR) and their page:
 * balance, points, packages, the card's details and its recent history.
 * The card jobs are the member.* actions of pos-members-actions.c. */
#define G_LOG_DOMAIN "pos-members"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "pos-forms.h"
#include "pos-members-private.h"
#include "pos-printer.h"
#include "pos-returns.h"
#include "pos-window.h"

G_DEFINE_FINAL_TYPE (PosMembers, pos_members, ADW_TYPE_BIN)

static void refresh_member (PosMembers *self);

static const char *
card_of (PosMembers *self)
{
  return self->member ? self->member->card_no : NULL;
}

/* Search ------------------------------------------------------------------ */

static void
clear_list (GtkWidget *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (list)))
    gtk_list_box_remove (GTK_LIST_BOX (list), child);
}

gboolean
pos_members_show_member (PosMembers *self,
                         const char *card,
                         GError    **error)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) shown = NULL;
  PosMemberView *m;

  json_object_set_string_member (args, "card", card);
  shown = pos_session_run (self->session, "member.show", args, error);
  if (shown == NULL)
    return FALSE;
  m = pos_member_view_parse (shown, error);
  if (m == NULL)
    return FALSE;
  g_clear_pointer (&self->member, pos_member_view_unref);
  self->member = m;
  refresh_member (self);
  return TRUE;
}

void
pos_members_show_card (PosMembers *self,
                       const char *card)
{
  g_autoptr(GError) error = NULL;

  if (!pos_members_show_member (self, card, &error))
    pos_show_error (GTK_WIDGET (self), _("Member Not Found"), error);
}

static void
run_search (PosMembers *self)
{
  const char *q = gtk_editable_get_text (GTK_EDITABLE (self->search_entry));
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) found = NULL;
  g_autoptr(GError) error = NULL;

  clear_list (self->results_list);
  g_clear_pointer (&self->results, g_ptr_array_unref);
  if (*q == '\0' || !pos_session_is_logged_in (self->session))
    return;
  json_object_set_string_member (args, "query", q);
  json_object_set_int_member (args, "limit", 30);
  found = pos_session_run (self->session, "member.search", args, &error);
  if (found)
    self->results = pos_member_search_parse (found, &error);
  if (self->results == NULL)
    {
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *hint = pos_error_dup_hint (error);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), hint);
      gtk_list_box_append (GTK_LIST_BOX (self->results_list), row);
      return;
    }
  for (guint i = 0; i < self->results->len; i++)
    {
      PosMemberView *m = g_ptr_array_index (self->results, i);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *title = g_markup_escape_text (m->name, -1);
      g_autofree char *sub = g_strdup_printf ("%s · %s", m->card_no, m->phone);
      g_autofree char *bal = pos_money (m->balance_fen);
      GtkWidget *label = gtk_label_new (bal);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), sub);
      gtk_widget_add_css_class (label, "numeric");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      gtk_list_box_append (GTK_LIST_BOX (self->results_list), row);
    }
  if (self->results->len == 0)
    {
      GtkWidget *row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No member found"));
      gtk_list_box_append (GTK_LIST_BOX (self->results_list), row);
    }
}

static gboolean
search_timeout (gpointer user_data)
{
  PosMembers *self = user_data;

  self->search_id = 0;
  run_search (self);
  return G_SOURCE_REMOVE;
}

static void
search_changed (PosMembers *self)
{
  g_clear_handle_id (&self->search_id, g_source_remove);
  self->search_id = g_timeout_add (150, search_timeout, self);
}

/* Enter (a scanner's too): the first result, or the exact card. */
static void
search_activated (PosMembers *self)
{
  g_clear_handle_id (&self->search_id, g_source_remove);
  run_search (self);
  if (self->results && self->results->len > 0)
    {
      PosMemberView *m = g_ptr_array_index (self->results, 0);
      g_autofree char *card = g_strdup (m->card_no);

      pos_members_show_card (self, card);
    }
}

static void
result_activated (PosMembers    *self,
                  GtkListBoxRow *row)
{
  guint i = gtk_list_box_row_get_index (row);

  if (self->results && i < self->results->len)
    {
      PosMemberView *m = g_ptr_array_index (self->results, i);
      g_autofree char *card = g_strdup (m->card_no);

      pos_members_show_card (self, card);
    }
}

/* The member page ------------------------------------------------------------ */

static void
history_reprint (GtkButton *button,
                 PosMembers *self)
{
  const char *receipt = g_object_get_data (G_OBJECT (button), "receipt");

  if (receipt)
    pos_printer_reprint (GTK_WIDGET (self), self->session, receipt);
  else
    pos_printer_reprint_entry (GTK_WIDGET (self), self->session, g_object_get_data (G_OBJECT (button), "entry"));
}

/* Entries without a receipt number that still had a receipt printed. */
static gboolean
reprintable (const char *kind)
{
  static const char *const kinds[] = {
    "member.deposit", "member.withdraw", "package.consume", NULL
  };

  return g_strv_contains (kinds, kind);
}

static void
history_return (GtkButton  *button,
                PosMembers *self)
{
  PosWindow *win = pos_window_from_widget (GTK_WIDGET (self));
  const char *receipt = g_object_get_data (G_OBJECT (button), "receipt");

  if (win == NULL)
    return;
  pos_window_show_page (win, "returns");
  pos_returns_find (POS_RETURNS (pos_window_get_returns (win)), receipt);
}

static void
fill_history (PosMembers *self)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) hist = NULL;
  g_autoptr(GPtrArray) events = NULL;
  g_autoptr(GError) error = NULL;

  clear_list (self->history_list);
  json_object_set_string_member (args, "card", card_of (self));
  json_object_set_int_member (args, "limit", 15);
  hist = pos_session_run (self->session, "member.history", args, &error);
  if (hist)
    events = pos_member_history_parse (hist, &error);
  if (events == NULL)
    {
      if (hist)
        g_warning ("%s", error->message);
      return;
    }
  for (guint i = 0; i < events->len; i++)
    {
      PosMemberEvent *e = g_ptr_array_index (events, i);
      GtkWidget *row = adw_action_row_new ();
      const char *receipt = e->receipt_no;
      const char *kind = e->kind;
      g_autofree char *when = pos_session_branch_time (self->session, e->at);
      g_autofree char *sub = NULL;

      sub = g_strdup_printf ("%s · %s · %s%s%s", when, e->branch, e->staff_name ? e->staff_name : e->staff,
                             receipt ? " · " : "", receipt ? receipt : "");
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), pos_kind_label (kind));
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), sub);
      if (e->has_amount)
        {
          g_autofree char *text = pos_money (e->amount_fen);
          GtkWidget *label = gtk_label_new (text);

          gtk_widget_add_css_class (label, "numeric");
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
        }
      if (receipt == NULL && reprintable (kind))
        {
          GtkWidget *b = gtk_button_new_from_icon_name ("printer-symbolic");

          gtk_widget_set_tooltip_text (b, _("Reprint"));
          gtk_widget_set_valign (b, GTK_ALIGN_CENTER);
          gtk_widget_add_css_class (b, "flat");
          g_object_set_data_full (G_OBJECT (b), "entry", g_strdup (e->entry_id), g_free);
          g_signal_connect (b, "clicked", G_CALLBACK (history_reprint), self);
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), b);
        }
      if (receipt)
        {
          GtkWidget *b = gtk_button_new_from_icon_name ("printer-symbolic");

          gtk_widget_set_tooltip_text (b, _("Reprint"));
          gtk_widget_set_valign (b, GTK_ALIGN_CENTER);
          gtk_widget_add_css_class (b, "flat");
          g_object_set_data_full (G_OBJECT (b), "receipt", g_strdup (receipt), g_free);
          g_signal_connect (b, "clicked", G_CALLBACK (history_reprint), self);
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), b);
          if (g_str_equal (kind, "sale") && pos_session_can (self->session, "sale.return"))
            {
              b = gtk_button_new_from_icon_name ("edit-undo-symbolic");
              gtk_widget_set_tooltip_text (b, _("Return items of this sale"));
              gtk_widget_set_valign (b, GTK_ALIGN_CENTER);
              gtk_widget_add_css_class (b, "flat");
              g_object_set_data_full (G_OBJECT (b), "receipt", g_strdup (receipt), g_free);
              g_signal_connect (b, "clicked", G_CALLBACK (history_return), self);
              adw_action_row_add_suffix (ADW_ACTION_ROW (row), b);
            }
        }
      gtk_list_box_append (GTK_LIST_BOX (self->history_list), row);
    }
  if (events->len == 0)
    {
      GtkWidget *row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Nothing yet"));
      gtk_list_box_append (GTK_LIST_BOX (self->history_list), row);
    }
}

static void
package_use_clicked (GtkButton  *button,
                     PosMembers *self)
{
  pos_members_use_package (self, g_object_get_data (G_OBJECT (button), "sku"));
}

static void
fill_packages (PosMembers *self)
{
  GPtrArray *list = self->member->packages;
  guint n = list->len;

  clear_list (self->packages_list);
  gtk_widget_set_visible (self->packages_group, n > 0);
  for (guint i = 0; i < n; i++)
    {
      PosPackageLot *p = g_ptr_array_index (list, i);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *title = g_strdup_printf (_("%s: %" PRId64 " uses left"), p->name ? p->name : p->sku,
                                                p->remaining);
      const char *exp = p->expires_on;
      g_autofree char *sub = exp ? g_strdup_printf (_("Earliest expiry %s"), exp) : g_strdup (_("No expiry"));
      /* No mnemonic: one button per service, so a letter would repeat. */
      GtkWidget *b = gtk_button_new_with_label (_("Use"));

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), sub);
      gtk_widget_set_valign (b, GTK_ALIGN_CENTER);
      gtk_widget_set_sensitive (b, pos_session_can (self->session, "package.consume"));
      g_object_set_data_full (G_OBJECT (b), "sku", g_strdup (p->sku), g_free);
      g_signal_connect (b, "clicked", G_CALLBACK (package_use_clicked), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), b);
      gtk_list_box_append (GTK_LIST_BOX (self->packages_list), row);
    }
}

static void
refresh_member (PosMembers *self)
{
  PosMemberView *m = self->member;
  g_autofree char *bal = NULL, *split = NULL, *pts = NULL, *principal = NULL, *bonus = NULL;
  g_autofree char *level = NULL, *issued = NULL;

  pos_members_update_actions (self);
  gtk_stack_set_visible_child_name (GTK_STACK (self->detail_stack), m ? "member" : "empty");
  if (m == NULL)
    return;
  adw_avatar_set_text (ADW_AVATAR (self->avatar), m->name);
  gtk_label_set_text (GTK_LABEL (self->name_label), m->name);
  gtk_label_set_text (GTK_LABEL (self->card_label), m->card_no);
  gtk_label_set_text (GTK_LABEL (self->status_label), pos_member_status_label (m->status));
  gtk_widget_remove_css_class (self->status_label, "success");
  gtk_widget_remove_css_class (self->status_label, "error");
  gtk_widget_add_css_class (self->status_label, m->status == POS_MEMBER_ACTIVE ? "success" : "error");
  bal = pos_money (m->balance_fen);
  principal = pos_money (m->principal_fen);
  bonus = pos_money (m->bonus_fen);
  split = g_strdup_printf (_("Principal %s · Bonus %s"), principal, bonus);
  gtk_label_set_text (GTK_LABEL (self->balance_label), bal);
  gtk_label_set_text (GTK_LABEL (self->split_label), split);
  pts = g_strdup_printf ("%" PRId64, m->points);
  gtk_label_set_text (GTK_LABEL (self->points_label), pts);
  level = g_strdup_printf (_("Level %s · %" PRId64 "%% of price · %" PRId64 " points per yuan"),
                           m->level_name, m->price_percent, m->points_per_yuan);
  gtk_label_set_text (GTK_LABEL (self->level_label), level);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->phone_row), m->phone);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->validity_row),
                               m->expires_on ? m->expires_on : _("No expiry"));
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->pin_row),
                               m->has_pin ? _("Set: balance payments ask for it") : _("Not set"));
  issued = g_strdup_printf ("%.10s · %s", m->issued_at, m->issued_branch);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (self->issued_row), issued);
  fill_packages (self);
  fill_history (self);
}

/* Session ------------------------------------------------------------------ */

static void
ledger_changed (PosMembers *self,
                const char *op)
{
  if (self->member && gtk_widget_get_mapped (GTK_WIDGET (self)))
    {
      g_autofree char *card = g_strdup (card_of (self));
      pos_members_show_member (self, card, NULL);
      run_search (self);
    }
}

static void
login_changed (PosMembers *self)
{
  if (!pos_session_is_logged_in (self->session))
    {
      g_clear_pointer (&self->member, pos_member_view_unref);
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry), "");
    }
  refresh_member (self);
}

void
pos_members_set_session (PosMembers *self,
                         PosSession *session)
{
  g_set_object (&self->session, session);
  g_signal_connect_object (session, "ledger-changed", G_CALLBACK (ledger_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (session, "login-changed", G_CALLBACK (login_changed), self, G_CONNECT_SWAPPED);
  refresh_member (self);
}

void
pos_members_shown (PosMembers *self)
{
  if (self->member)
    {
      g_autofree char *card = g_strdup (card_of (self));
      if (!pos_members_show_member (self, card, NULL))
        g_clear_pointer (&self->member, pos_member_view_unref);
    }
  refresh_member (self);
  pos_members_refresh_reminders (self);
  gtk_widget_grab_focus (self->search_entry);
}

GtkWidget *
pos_members_get_search_entry (PosMembers *self)
{
  return self->search_entry;
}

const char *
pos_members_get_card (PosMembers *self)
{
  return card_of (self);
}

static void
pos_members_dispose (GObject *object)
{
  PosMembers *self = POS_MEMBERS (object);

  g_clear_handle_id (&self->search_id, g_source_remove);
  g_clear_object (&self->session);
  g_clear_pointer (&self->member, pos_member_view_unref);
  g_clear_pointer (&self->results, g_ptr_array_unref);
  g_clear_pointer (&self->buttons, g_hash_table_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), POS_TYPE_MEMBERS);
  G_OBJECT_CLASS (pos_members_parent_class)->dispose (object);
}

static void
pos_members_class_init (PosMembersClass *klass)
{
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);

  pos_ensure_resources ();
  G_OBJECT_CLASS (klass)->dispose = pos_members_dispose;
  gtk_widget_class_set_template_from_resource (wc, "/org/mendian/Pos/pos-members.ui");
  gtk_widget_class_bind_template_child (wc, PosMembers, search_entry);
  gtk_widget_class_bind_template_child (wc, PosMembers, results_list);
  gtk_widget_class_bind_template_child (wc, PosMembers, issue_button);
  gtk_widget_class_bind_template_child (wc, PosMembers, reminders_button);
  gtk_widget_class_bind_template_child (wc, PosMembers, detail_stack);
  gtk_widget_class_bind_template_child (wc, PosMembers, avatar);
  gtk_widget_class_bind_template_child (wc, PosMembers, name_label);
  gtk_widget_class_bind_template_child (wc, PosMembers, card_label);
  gtk_widget_class_bind_template_child (wc, PosMembers, status_label);
  gtk_widget_class_bind_template_child (wc, PosMembers, balance_label);
  gtk_widget_class_bind_template_child (wc, PosMembers, split_label);
  gtk_widget_class_bind_template_child (wc, PosMembers, points_label);
  gtk_widget_class_bind_template_child (wc, PosMembers, level_label);
  gtk_widget_class_bind_template_child (wc, PosMembers, actions_box);
  gtk_widget_class_bind_template_child (wc, PosMembers, phone_row);
  gtk_widget_class_bind_template_child (wc, PosMembers, validity_row);
  gtk_widget_class_bind_template_child (wc, PosMembers, pin_row);
  gtk_widget_class_bind_template_child (wc, PosMembers, issued_row);
  gtk_widget_class_bind_template_child (wc, PosMembers, packages_group);
  gtk_widget_class_bind_template_child (wc, PosMembers, packages_list);
  gtk_widget_class_bind_template_child (wc, PosMembers, history_list);

  pos_members_class_add_actions (wc);
}

static void
pos_members_init (PosMembers *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  pos_members_add_action_buttons (self);
  g_signal_connect_swapped (self->search_entry, "search-changed", G_CALLBACK (search_changed), self);
  g_signal_connect_swapped (self->search_entry, "activate", G_CALLBACK (search_activated), self);
  g_signal_connect_swapped (self->results_list, "row-activated", G_CALLBACK (result_activated), self);
}
