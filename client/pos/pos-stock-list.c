/* pos-stock-list.c: the branch's stock (stock.list), with the low-stock
 * filter and the thresholds of a product (stock.limits). */
#define G_LOG_DOMAIN "pos-stock-list"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "pos-forms.h"
#include "pos-stock-list.h"
#include "pos-stock-views.h"

struct _PosStockList
{
  AdwBin      parent_instance;

  PosSession *session;
  guint       n_rows;

  GtkWidget  *category_entry;
  GtkWidget  *low_button;
  GtkWidget  *status_label;
  GtkWidget  *list;
};

G_DEFINE_FINAL_TYPE (PosStockList, pos_stock_list, ADW_TYPE_BIN)

static void reload (PosStockList *self);

/* What a row's thresholds button edits. */
typedef struct
{
  PosStockList *self;     /* a strong reference */
  char         *sku;
  char         *name;
  char         *low;      /* as shown in the form; NULL: none */
  char         *high;
} Limits;

static void
limits_free (gpointer data)
{
  Limits *l = data;

  g_clear_object (&l->self);
  g_free (l->sku);
  g_free (l->name);
  g_free (l->low);
  g_free (l->high);
  g_free (l);
}

static Limits *
limits_copy (const Limits *l)
{
  Limits *c = g_new0 (Limits, 1);

  c->self = g_object_ref (l->self);
  c->sku = g_strdup (l->sku);
  c->name = g_strdup (l->name);
  c->low = g_strdup (l->low);
  c->high = g_strdup (l->high);
  return c;
}

static gboolean
threshold_arg (PosForm    *form,
               JsonObject *args,
               const char *key,
               const char *member)
{
  const char *text = pos_form_get (form, key);
  gint64 v;

  if (text == NULL || *text == '\0')
    return TRUE;
  if (!g_ascii_string_to_signed (text, 10, 0, 1000000, &v, NULL))
    {
      pos_form_set_error (form, _("A threshold is a whole number"));
      return FALSE;
    }
  json_object_set_int_member (args, member, v);
  return TRUE;
}

static gboolean
limits_accepted (PosForm  *form,
                 gpointer  user_data)
{
  Limits *l = user_data;
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(GError) error = NULL;

  json_object_set_string_member (args, "sku", l->sku);
  if (!threshold_arg (form, args, "low", "low_stock") || !threshold_arg (form, args, "high", "high_stock"))
    return FALSE;
  result = pos_session_run (l->self->session, "stock.limits", args, &error);
  if (result == NULL)
    {
      g_autofree char *hint = pos_error_dup_hint (error);

      pos_form_set_error (form, hint);
      return FALSE;
    }
  reload (l->self);
  return TRUE;
}

static void
limits_clicked (GtkButton *button,
                Limits    *l)
{
  PosForm *form = pos_form_new (GTK_WIDGET (l->self), _("Stock Thresholds"), _("_Save"));
  g_autofree char *body = g_strdup_printf (_("%s: below the low threshold it is listed as low stock; "
                                             "leave a field empty for none"), l->name);

  pos_form_set_body (form, body);
  pos_form_add_field (form, "low", _("Low stock below"), POS_FIELD_NUMBER, l->low);
  pos_form_add_field (form, "high", _("High stock above"), POS_FIELD_NUMBER, l->high);
  pos_form_run (form, limits_accepted, limits_copy (l), limits_free);
}

static void
limits_closure_free (gpointer data,
                     GClosure *closure)
{
  Limits *l = data;

  l->self = NULL;   /* borrowed while the row lives */
  limits_free (l);
}

static void
reload (PosStockList *self)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(GPtrArray) items = NULL;
  g_autoptr(GError) error = NULL;
  const char *category = gtk_editable_get_text (GTK_EDITABLE (self->category_entry));
  gboolean manager = pos_session_can (self->session, "stock.limits");
  g_autofree char *status = NULL;
  GtkWidget *child;
  guint low = 0;

  if (!pos_session_is_logged_in (self->session))
    return;
  while ((child = GTK_WIDGET (gtk_list_box_get_row_at_index (GTK_LIST_BOX (self->list), 0))))
    gtk_list_box_remove (GTK_LIST_BOX (self->list), child);
  self->n_rows = 0;
  if (*category)
    json_object_set_string_member (args, "category", category);
  json_object_set_boolean_member (args, "below_low", gtk_toggle_button_get_active (GTK_TOGGLE_BUTTON (self->low_button)));
  result = pos_session_run (self->session, "stock.list", args, &error);
  if (result)
    items = pos_stock_items_parse (result, "items", &error);
  if (items == NULL)
    {
      g_autofree char *hint = pos_error_dup_hint (error);

      gtk_label_set_text (GTK_LABEL (self->status_label), hint);
      return;
    }
  for (guint i = 0; i < items->len; i++)
    {
      PosStockItem *it = g_ptr_array_index (items, i);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *title = g_markup_escape_text (it->name ? it->name : it->sku, -1);
      g_autofree char *qty = g_strdup_printf ("%" PRId64, it->on_hand);
      g_autoptr(GString) sub = g_string_new (it->sku);
      GtkWidget *l = gtk_label_new (qty);

      if (it->in_transit_in > 0)
        g_string_append_printf (sub, _(" · %" PRId64 " on the way here"), it->in_transit_in);
      if (it->in_transit_out > 0)
        g_string_append_printf (sub, _(" · %" PRId64 " sent, in transit"), it->in_transit_out);
      if (it->has_low)
        g_string_append_printf (sub, _(" · low below %" PRId64), it->low_stock);
      if (it->has_high)
        g_string_append_printf (sub, _(" · high above %" PRId64), it->high_stock);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), sub->str);
      gtk_widget_add_css_class (l, "title-4");
      gtk_widget_add_css_class (l, "numeric");
      if (it->below_low || it->on_hand < 0)
        {
          gtk_widget_add_css_class (l, "error");
          low++;
        }
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), l);
      if (manager)
        {
          GtkWidget *b = gtk_button_new_from_icon_name ("document-edit-symbolic");

          gtk_widget_set_tooltip_text (b, _("Set the stock thresholds"));
          gtk_widget_set_valign (b, GTK_ALIGN_CENTER);
          gtk_widget_add_css_class (b, "flat");
          Limits *lim = g_new0 (Limits, 1);

          lim->self = self;
          lim->sku = g_strdup (it->sku);
          lim->name = g_strdup (it->name ? it->name : it->sku);
          lim->low = it->has_low ? g_strdup_printf ("%" PRId64, it->low_stock) : NULL;
          lim->high = it->has_high ? g_strdup_printf ("%" PRId64, it->high_stock) : NULL;
          g_signal_connect_data (b, "clicked", G_CALLBACK (limits_clicked), lim, limits_closure_free, 0);
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), b);
        }
      gtk_list_box_append (GTK_LIST_BOX (self->list), row);
      self->n_rows++;
    }
  status = g_strdup_printf (_("%u products · %u low or below zero"), items->len, low);
  gtk_label_set_text (GTK_LABEL (self->status_label), status);
}

void
pos_stock_list_set_session (PosStockList *self,
                            PosSession   *session)
{
  g_set_object (&self->session, session);
}

void
pos_stock_list_shown (PosStockList *self)
{
  reload (self);
}

guint
pos_stock_list_count (PosStockList *self)
{
  return self->n_rows;
}

static void
pos_stock_list_dispose (GObject *object)
{
  PosStockList *self = POS_STOCK_LIST (object);

  g_clear_object (&self->session);
  gtk_widget_dispose_template (GTK_WIDGET (self), POS_TYPE_STOCK_LIST);
  G_OBJECT_CLASS (pos_stock_list_parent_class)->dispose (object);
}

static void
pos_stock_list_class_init (PosStockListClass *klass)
{
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);

  pos_ensure_resources ();
  G_OBJECT_CLASS (klass)->dispose = pos_stock_list_dispose;
  gtk_widget_class_set_template_from_resource (wc, "/org/mendian/Pos/pos-stock-list.ui");
  gtk_widget_class_bind_template_child (wc, PosStockList, category_entry);
  gtk_widget_class_bind_template_child (wc, PosStockList, low_button);
  gtk_widget_class_bind_template_child (wc, PosStockList, status_label);
  gtk_widget_class_bind_template_child (wc, PosStockList, list);
}

static void
pos_stock_list_init (PosStockList *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->low_button, "toggled", G_CALLBACK (reload), self);
  g_signal_connect_swapped (self->category_entry, "search-changed", G_CALLBACK (reload), self);
}
