/* pos-dayend.c: the shift summary for the day end, by tender, staff and
 * kind of business (report.shift), on screen and on the receipt printer. */
#define G_LOG_DOMAIN "pos-dayend"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "pos-dayend.h"
#include "pos-forms.h"
#include "pos-printer.h"
#include "pos-receipt.h"
#include "pos-views.h"

struct _PosDayEnd
{
  AdwBin      parent_instance;

  PosSession *session;
  PosShift   *report;       /* report.shift */

  GtkWidget  *title_label;
  GtkWidget  *net_label;
  GtkWidget  *count_label;
  GtkWidget  *mine_button;
  GtkWidget  *all_button;
  GtkWidget  *tender_list;
  GtkWidget  *staff_list;
  GtkWidget  *kind_list;
};

G_DEFINE_FINAL_TYPE (PosDayEnd, pos_day_end, ADW_TYPE_BIN)

typedef const char *(*LabelFunc) (const char *);

static const char *
same (const char *s)
{
  return s;
}

/* A row's title: a staff member by name and code, the rest by label. */
static char *
row_title (PosShiftSum *s,
           LabelFunc    label)
{
  if (s->name && *s->name && g_strcmp0 (s->name, s->code) != 0)
    return g_strdup_printf ("%s %s", s->name, s->code);
  return g_strdup (label (s->code));
}

static void
fill (GtkWidget  *list,
      GPtrArray  *sums,
      LabelFunc   label)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (list)))
    gtk_list_box_remove (GTK_LIST_BOX (list), child);
  for (guint i = 0; sums && i < sums->len; i++)
    {
      PosShiftSum *s = g_ptr_array_index (sums, i);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *amount = pos_money (s->amount_fen);
      g_autofree char *count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%" PRId64 " time",
                                                              "%" PRId64 " times", s->count),
                                                s->count);
      GtkWidget *l = gtk_label_new (amount);
      g_autofree char *title = row_title (s, label);
      g_autofree char *markup = g_markup_escape_text (title, -1);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), markup);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), count);
      gtk_widget_add_css_class (l, "title-4");
      gtk_widget_add_css_class (l, "numeric");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), l);
      gtk_list_box_append (GTK_LIST_BOX (list), row);
    }
  if (sums == NULL || sums->len == 0)
    {
      GtkWidget *row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Nothing yet"));
      gtk_list_box_append (GTK_LIST_BOX (list), row);
    }
}

static void
reload (PosDayEnd *self)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) report = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL, *net = NULL, *count = NULL;
  gboolean mine = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->mine_button));

  if (!pos_session_is_logged_in (self->session))
    return;
  if (mine)
    json_object_set_string_member (args, "staff", pos_session_get_staff (self->session));
  g_clear_pointer (&self->report, pos_shift_free);
  report = pos_session_run (self->session, "report.shift", args, &error);
  if (report)
    self->report = pos_shift_parse (report, &error);
  if (self->report == NULL)
    {
      g_autofree char *hint = pos_error_dup_hint (error);
      gtk_label_set_text (GTK_LABEL (self->title_label), hint);
      return;
    }
  if (mine)
    {
      g_autoptr(JsonObject) none = json_object_new ();
      g_autoptr(JsonObject) me = pos_session_run (self->session, "staff.me", none, NULL);
      g_autoptr(GError) me_error = NULL;
      g_autofree char *name = me ? pos_staff_name_parse (me, &me_error) : NULL;

      if (me && name == NULL)
        g_warning ("%s", me_error->message);
      title = g_strdup_printf (_("Shift of %s, %s"), name ? name : pos_session_get_staff (self->session),
                               self->report->date);
    }
  else
    title = g_strdup_printf (_("Branch %s, %s"), pos_session_get_store (self->session)->branch_name,
                             self->report->date);
  net = pos_money (self->report->net_fen);
  count = g_strdup_printf (_("Money taken, net of refunds and withdrawals · %" PRId64 " transactions"),
                           self->report->entries);
  gtk_label_set_text (GTK_LABEL (self->title_label), title);
  gtk_label_set_text (GTK_LABEL (self->net_label), net);
  gtk_label_set_text (GTK_LABEL (self->count_label), count);
  fill (self->tender_list, self->report->by_tender, pos_tender_label);
  fill (self->staff_list, self->report->by_staff, same);
  fill (self->kind_list, self->report->by_kind, pos_kind_label);
}

static void
print_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosDayEnd *self = POS_DAY_END (widget);
  g_autoptr(PosReceipt) r = NULL;
  MdnStore *store = pos_session_get_store (self->session);
  struct { GPtrArray *sums; LabelFunc label; const char *title; } parts[3] = {
    { NULL, pos_tender_label, _("By tender") },
    { NULL, same, _("By staff") },
    { NULL, pos_kind_label, _("By business") },
  };

  reload (self);
  if (self->report == NULL)
    return;
  parts[0].sums = self->report->by_tender;
  parts[1].sums = self->report->by_staff;
  parts[2].sums = self->report->by_kind;
  r = pos_receipt_new (pos_printer_width (self->session));
  pos_receipt_add_title (r, store->branch_name);
  pos_receipt_add_center (r, gtk_label_get_text (GTK_LABEL (self->title_label)));
  pos_receipt_add_rule (r);
  for (guint p = 0; p < G_N_ELEMENTS (parts); p++)
    {
      GPtrArray *sums = parts[p].sums;

      pos_receipt_add_text (r, parts[p].title);
      for (guint i = 0; i < sums->len; i++)
        {
          PosShiftSum *s = g_ptr_array_index (sums, i);
          g_autofree char *title = row_title (s, parts[p].label);
          g_autofree char *left = g_strdup_printf ("  %s ×%" PRId64, title, s->count);
          pos_receipt_add_money (r, left, s->amount_fen);
        }
      pos_receipt_add_rule (r);
    }
  pos_receipt_add_big (r, _("Net"), self->report->net_fen);
  pos_printer_print (widget, self->session, r);
  pos_toast (widget, _("Shift summary sent to the printer"));
}

void
pos_day_end_set_session (PosDayEnd  *self,
                         PosSession *session)
{
  g_set_object (&self->session, session);
}

void
pos_day_end_shown (PosDayEnd *self)
{
  reload (self);
}

static void
pos_day_end_dispose (GObject *object)
{
  PosDayEnd *self = POS_DAY_END (object);

  g_clear_object (&self->session);
  g_clear_pointer (&self->report, pos_shift_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), POS_TYPE_DAY_END);
  G_OBJECT_CLASS (pos_day_end_parent_class)->dispose (object);
}

static void
pos_day_end_class_init (PosDayEndClass *klass)
{
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);

  pos_ensure_resources ();
  G_OBJECT_CLASS (klass)->dispose = pos_day_end_dispose;
  gtk_widget_class_set_template_from_resource (wc, "/org/mendian/Pos/pos-dayend.ui");
  gtk_widget_class_bind_template_child (wc, PosDayEnd, title_label);
  gtk_widget_class_bind_template_child (wc, PosDayEnd, net_label);
  gtk_widget_class_bind_template_child (wc, PosDayEnd, count_label);
  gtk_widget_class_bind_template_child (wc, PosDayEnd, mine_button);
  gtk_widget_class_bind_template_child (wc, PosDayEnd, all_button);
  gtk_widget_class_bind_template_child (wc, PosDayEnd, tender_list);
  gtk_widget_class_bind_template_child (wc, PosDayEnd, staff_list);
  gtk_widget_class_bind_template_child (wc, PosDayEnd, kind_list);
  gtk_widget_class_install_action (wc, "dayend.print", NULL, print_action);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_p, GDK_CONTROL_MASK, "dayend.print", NULL);
}

static void
pos_day_end_init (PosDayEnd *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->mine_button, "toggled", G_CALLBACK (reload), self);
}
