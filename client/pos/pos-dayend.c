/* pos-dayend.c: the day end (日结): the shifts handed over that day with
 * their over/short (shift.list), and the summary by tender, staff and kind
 * of business (report.shift), for today or an earlier day picked on the
 * calendar, on screen and on the receipt printer. The shift handover
 * (交班, Ctrl+H) starts here (pos-handover.c). */
#define G_LOG_DOMAIN "pos-dayend"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <string.h>

#include "pos-dayend.h"
#include "pos-forms.h"
#include "pos-handover.h"
#include "pos-printer.h"
#include "pos-receipt.h"
#include "pos-views.h"

struct _PosDayEnd
{
  AdwBin      parent_instance;

  PosSession *session;
  PosShift   *report;       /* report.shift */
  PosShiftList *shifts;     /* shift.list */
  char       *date;         /* the day shown; NULL: today */

  GtkWidget  *title_label;
  GtkWidget  *net_label;
  GtkWidget  *count_label;
  GtkWidget  *mine_button;
  GtkWidget  *all_button;
  GtkWidget  *tender_list;
  GtkWidget  *staff_list;
  GtkWidget  *kind_list;
  GtkWidget  *date_button;
  GtkWidget  *calendar;
  GtkWidget  *shifts_group;
  GtkWidget  *shifts_list;
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
fill_shifts (PosDayEnd *self)
{
  GtkWidget *child;
  GPtrArray *list = self->shifts ? self->shifts->shifts : NULL;

  while ((child = gtk_widget_get_first_child (self->shifts_list)))
    gtk_list_box_remove (GTK_LIST_BOX (self->shifts_list), child);
  for (guint i = 0; list && i < list->len; i++)
    {
      PosHandover *h = g_ptr_array_index (list, i);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *from = h->opened_at ? pos_session_branch_time (self->session, h->opened_at) : NULL;
      g_autofree char *to = pos_session_branch_time (self->session, h->closed_at);
      g_autofree char *title = NULL, *markup = NULL, *diff = pos_money (h->over_short_fen);
      g_autoptr(GString) sub = g_string_new (NULL);
      GtkWidget *l;

      /* "王小丽 · 10:00–14:00" (from the day's start for a first shift). */
      title = g_strdup_printf (_("%s · %s–%s"), h->staff_name ? h->staff_name : h->staff,
                               from ? (strlen (from) > 11 ? from + 11 : from) : _("start"),
                               strlen (to) > 11 ? to + 11 : to);
      markup = g_markup_escape_text (title, -1);
      for (guint k = 0; k < h->tenders->len; k++)
        {
          PosTenderCount *t = g_ptr_array_index (h->tenders, k);
          g_autofree char *e = pos_money (t->expected_fen);
          g_autofree char *c = pos_money (t->counted_fen);

          if (!t->counted && t->expected_fen == 0)
            continue;
          g_string_append_printf (sub, "%s%s %s → %s", sub->len ? " · " : "", pos_tender_label (t->tender), e,
                                  t->counted ? c : _("not counted"));
        }
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), markup);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), sub->str);
      l = gtk_label_new (diff);
      gtk_widget_add_css_class (l, "title-4");
      gtk_widget_add_css_class (l, "numeric");
      if (h->over_short_fen != 0)
        gtk_widget_add_css_class (l, h->over_short_fen > 0 ? "warning" : "error");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), l);
      gtk_list_box_append (GTK_LIST_BOX (self->shifts_list), row);
    }
  if (list == NULL || list->len == 0)
    {
      GtkWidget *row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("No shift handed over yet (Ctrl+H)"));
      gtk_list_box_append (GTK_LIST_BOX (self->shifts_list), row);
    }
  else
    {
      g_autofree char *total = pos_money (self->shifts->over_short_fen);
      g_autofree char *desc = g_strdup_printf (_("%u shifts · over/short of the day %s"), list->len, total);

      adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self->shifts_group), desc);
      return;
    }
  adw_preferences_group_set_description (ADW_PREFERENCES_GROUP (self->shifts_group), NULL);
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
  if (self->date)
    json_object_set_string_member (args, "date", self->date);
  {
    g_autoptr(JsonObject) largs = json_object_new ();
    g_autoptr(JsonObject) listed = NULL;
    g_autoptr(GError) list_error = NULL;

    if (self->date)
      json_object_set_string_member (largs, "date", self->date);
    g_clear_pointer (&self->shifts, pos_shift_list_free);
    listed = pos_session_run (self->session, "shift.list", largs, &list_error);
    if (listed)
      self->shifts = pos_shift_list_parse (listed, &list_error);
    if (self->shifts == NULL && list_error)
      g_warning ("%s", list_error->message);
    fill_shifts (self);
  }
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
  gtk_menu_button_set_label (GTK_MENU_BUTTON (self->date_button), self->report->date);
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
  if (self->shifts && self->shifts->shifts->len > 0)
    {
      g_autofree char *n = g_strdup_printf ("%u", self->shifts->shifts->len);

      pos_receipt_add_rule (r);
      pos_receipt_add_pair (r, _("Shifts handed over"), n);
      for (guint i = 0; i < self->shifts->totals->len; i++)
        {
          PosTenderCount *t = g_ptr_array_index (self->shifts->totals, i);
          g_autofree char *left = g_strdup_printf (_("  %s over/short"), pos_tender_label (t->tender));

          if (t->expected_fen != 0 || t->counted_fen != 0)
            pos_receipt_add_money (r, left, t->over_short_fen);
        }
      pos_receipt_add_money (r, _("Over/short of the day"), self->shifts->over_short_fen);
    }
  pos_printer_print (widget, self->session, r);
  pos_toast (widget, _("Shift summary sent to the printer"));
}

static void
handover_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosDayEnd *self = POS_DAY_END (widget);

  pos_handover_run (widget, self->session);
}

static void
day_selected (PosDayEnd *self)
{
  g_autoptr(GDateTime) d = gtk_calendar_get_date (GTK_CALENDAR (self->calendar));

  g_free (self->date);
  self->date = g_date_time_format (d, "%Y-%m-%d");
  gtk_menu_button_popdown (GTK_MENU_BUTTON (self->date_button));
  reload (self);
}

/* Shows the day end of @date (YYYY-MM-DD), or of today when NULL. */
void
pos_day_end_set_date (PosDayEnd  *self,
                      const char *date)
{
  g_return_if_fail (POS_IS_DAY_END (self));

  g_free (self->date);
  self->date = g_strdup (date);
  reload (self);
}

/* The shifts shown (shift.list of the day), or NULL. */
PosShiftList *
pos_day_end_get_shifts (PosDayEnd *self)
{
  g_return_val_if_fail (POS_IS_DAY_END (self), NULL);

  return self->shifts;
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
  g_clear_pointer (&self->shifts, pos_shift_list_free);
  g_clear_pointer (&self->date, g_free);
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
  gtk_widget_class_bind_template_child (wc, PosDayEnd, date_button);
  gtk_widget_class_bind_template_child (wc, PosDayEnd, calendar);
  gtk_widget_class_bind_template_child (wc, PosDayEnd, shifts_group);
  gtk_widget_class_bind_template_child (wc, PosDayEnd, shifts_list);
  gtk_widget_class_install_action (wc, "dayend.handover", NULL, handover_action);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_h, GDK_CONTROL_MASK, "dayend.handover", NULL);
  gtk_widget_class_install_action (wc, "dayend.print", NULL, print_action);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_p, GDK_CONTROL_MASK, "dayend.print", NULL);
}

static void
pos_day_end_init (PosDayEnd *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->mine_button, "toggled", G_CALLBACK (reload), self);
  g_signal_connect_swapped (self->calendar, "day-selected", G_CALLBACK (day_selected), self);
}
