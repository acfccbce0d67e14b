/* pos-dayend.c: the shift summary for the day end, by tender, staff and
 * kind of business (report.shift), on screen and on the receipt printer. */
#define G_LOG_DOMAIN "pos-dayend"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "pos-dayend.h"
#include "pos-forms.h"
#include "pos-printer.h"
#include "pos-receipt.h"

struct _PosDayEnd
{
  AdwBin      parent_instance;

  PosSession *session;
  JsonObject *report;

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
row_title (JsonObject *s,
           const char *key,
           LabelFunc   label)
{
  const char *name = pos_json_str (s, "name", NULL);

  if (name && *name && g_strcmp0 (name, pos_json_str (s, key, NULL)) != 0)
    return g_strdup_printf ("%s %s", name, pos_json_str (s, key, ""));
  return g_strdup (label (pos_json_str (s, key, "")));
}

static void
fill (GtkWidget  *list,
      JsonArray  *sums,
      const char *key,
      LabelFunc   label)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (list)))
    gtk_list_box_remove (GTK_LIST_BOX (list), child);
  for (guint i = 0; sums && i < json_array_get_length (sums); i++)
    {
      JsonObject *s = json_array_get_object_element (sums, i);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *amount = pos_money (pos_json_int (s, "amount_fen", 0));
      g_autofree char *count = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%" PRId64 " time",
                                                              "%" PRId64 " times",
                                                              pos_json_int (s, "count", 0)),
                                                pos_json_int (s, "count", 0));
      GtkWidget *l = gtk_label_new (amount);
      g_autofree char *title = row_title (s, key, label);
      g_autofree char *markup = g_markup_escape_text (title, -1);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), markup);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), count);
      gtk_widget_add_css_class (l, "title-4");
      gtk_widget_add_css_class (l, "numeric");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), l);
      gtk_list_box_append (GTK_LIST_BOX (list), row);
    }
  if (sums == NULL || json_array_get_length (sums) == 0)
    {
      GtkWidget *row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), _("Nothing yet"));
      gtk_list_box_append (GTK_LIST_BOX (list), row);
    }
}

static JsonArray *
array (JsonObject *o, const char *name)
{
  return o && json_object_has_member (o, name) ? json_object_get_array_member (o, name) : NULL;
}

static void
reload (PosDayEnd *self)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *title = NULL, *net = NULL, *count = NULL;
  gboolean mine = gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->mine_button));

  if (!pos_session_is_logged_in (self->session))
    return;
  if (mine)
    json_object_set_string_member (args, "staff", pos_session_get_staff (self->session));
  g_clear_pointer (&self->report, json_object_unref);
  self->report = pos_session_run (self->session, "report.shift", args, &error);
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

      title = g_strdup_printf (_("Shift of %s, %s"), pos_json_str (me, "name", pos_session_get_staff (self->session)),
                               pos_json_str (self->report, "date", ""));
    }
  else
    title = g_strdup_printf (_("Branch %s, %s"), pos_session_get_store (self->session)->branch_name,
                             pos_json_str (self->report, "date", ""));
  net = pos_money (pos_json_int (self->report, "net_fen", 0));
  count = g_strdup_printf (_("Money taken, net of refunds and withdrawals · %" PRId64 " transactions"),
                           pos_json_int (self->report, "entries", 0));
  gtk_label_set_text (GTK_LABEL (self->title_label), title);
  gtk_label_set_text (GTK_LABEL (self->net_label), net);
  gtk_label_set_text (GTK_LABEL (self->count_label), count);
  fill (self->tender_list, array (self->report, "by_tender"), "tender", pos_tender_label);
  fill (self->staff_list, array (self->report, "by_staff"), "staff", same);
  fill (self->kind_list, array (self->report, "by_kind"), "kind", pos_kind_label);
}

static void
print_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosDayEnd *self = POS_DAY_END (widget);
  g_autoptr(PosReceipt) r = NULL;
  MdnStore *store = pos_session_get_store (self->session);
  struct { const char *array; const char *key; LabelFunc label; const char *title; } parts[] = {
    { "by_tender", "tender", pos_tender_label, _("By tender") },
    { "by_staff", "staff", same, _("By staff") },
    { "by_kind", "kind", pos_kind_label, _("By business") },
  };

  reload (self);
  if (self->report == NULL)
    return;
  r = pos_receipt_new (pos_printer_width (self->session));
  pos_receipt_add_title (r, store->branch_name);
  pos_receipt_add_center (r, gtk_label_get_text (GTK_LABEL (self->title_label)));
  pos_receipt_add_rule (r);
  for (guint p = 0; p < G_N_ELEMENTS (parts); p++)
    {
      JsonArray *sums = array (self->report, parts[p].array);

      pos_receipt_add_text (r, parts[p].title);
      for (guint i = 0; sums && i < json_array_get_length (sums); i++)
        {
          JsonObject *s = json_array_get_object_element (sums, i);
          g_autofree char *title = row_title (s, parts[p].key, parts[p].label);
          g_autofree char *left = g_strdup_printf ("  %s ×%" PRId64, title, pos_json_int (s, "count", 0));
          pos_receipt_add_money (r, left, pos_json_int (s, "amount_fen", 0));
        }
      pos_receipt_add_rule (r);
    }
  pos_receipt_add_big (r, _("Net"), pos_json_int (self->report, "net_fen", 0));
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
  g_clear_pointer (&self->report, json_object_unref);
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
