/* pos-stock-doc.c: receive, issue and transfer-out screens: one widget,
 * three modes, each writing its operation (stock.receive, stock.issue,
 * transfer.out) with the lines scanned in. */
#define G_LOG_DOMAIN "pos-stock-doc"

#include <glib/gi18n.h>

#include "pos-forms.h"
#include "pos-stock-doc.h"
#include "pos-stock-lines.h"

struct _PosStockDoc
{
  AdwBin          parent_instance;

  PosSession     *session;
  PosStockDocMode mode;

  GtkWidget      *title_label;
  GtkWidget      *supplier_row;
  GtkWidget      *reason_row;
  GtkWidget      *to_row;
  GtkWidget      *note_row;
  GtkWidget      *lines;
  GtkWidget      *status_label;
  GtkWidget      *commit_button;
};

G_DEFINE_FINAL_TYPE (PosStockDoc, pos_stock_doc, ADW_TYPE_BIN)

static const char *const reasons[] = { "damage", "internal", "other" };

static void
set_text (GtkWidget  *row,
          const char *text)
{
  gtk_editable_set_text (GTK_EDITABLE (row), text);
}

static char *
row_text (GtkWidget *row)
{
  return g_strstrip (g_strdup (gtk_editable_get_text (GTK_EDITABLE (row))));
}

static void
commit_action (GtkWidget  *widget,
               const char *action,
               GVariant   *param)
{
  PosStockDoc *self = POS_STOCK_DOC (widget);
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *note = row_text (self->note_row);
  g_autofree char *message = NULL;
  JsonArray *lines;
  const char *op;

  if (pos_stock_lines_count (POS_STOCK_LINES (self->lines)) == 0)
    {
      gtk_label_set_text (GTK_LABEL (self->status_label), _("Scan the goods first"));
      return;
    }
  if ((lines = pos_stock_lines_to_json (POS_STOCK_LINES (self->lines), &error)) == NULL)
    {
      gtk_label_set_text (GTK_LABEL (self->status_label), error->message);
      return;
    }
  json_object_set_array_member (args, "lines", lines);
  if (*note)
    json_object_set_string_member (args, "note", note);
  switch (self->mode)
    {
    case POS_STOCK_DOC_RECEIVE:
      {
        g_autofree char *supplier = row_text (self->supplier_row);

        op = "stock.receive";
        if (*supplier)
          json_object_set_string_member (args, "supplier", supplier);
      }
      break;
    case POS_STOCK_DOC_ISSUE:
      op = "stock.issue";
      json_object_set_string_member (args, "reason",
                                     reasons[MIN (adw_combo_row_get_selected (ADW_COMBO_ROW (self->reason_row)), 2)]);
      break;
    case POS_STOCK_DOC_TRANSFER:
    default:
      {
        g_autofree char *to = row_text (self->to_row);
        g_autofree char *code = g_ascii_strup (to, -1);

        op = "transfer.out";
        json_object_set_string_member (args, "to", code);
      }
      break;
    }
  result = pos_session_run (self->session, op, args, &error);
  if (result == NULL)
    {
      g_autofree char *hint = pos_error_dup_hint (error);

      gtk_label_set_text (GTK_LABEL (self->status_label), hint);
      return;
    }
  message = g_strdup_printf (self->mode == POS_STOCK_DOC_RECEIVE ? _("Received: %s") :
                             self->mode == POS_STOCK_DOC_ISSUE ? _("Issued: %s") : _("Sent, in transit: %s"),
                             json_object_get_string_member (result, "doc_no"));
  gtk_label_set_text (GTK_LABEL (self->status_label), message);
  pos_toast (widget, message);
  pos_stock_lines_clear (POS_STOCK_LINES (self->lines));
  set_text (self->note_row, "");
  set_text (self->supplier_row, "");
  pos_stock_lines_focus (POS_STOCK_LINES (self->lines));
}

void
pos_stock_doc_setup (PosStockDoc     *self,
                     PosSession      *session,
                     PosStockDocMode  mode)
{
  static const char *const titles[] = { N_("Receive Goods"), N_("Issue or Write Off"), N_("Transfer to Another Branch") };
  static const char *const buttons[] = { N_("_Receive"), N_("_Issue"), N_("_Send") };

  g_set_object (&self->session, session);
  self->mode = mode;
  pos_stock_lines_set_session (POS_STOCK_LINES (self->lines), session);
  pos_stock_lines_set_mode (POS_STOCK_LINES (self->lines), mode == POS_STOCK_DOC_RECEIVE, 1, "qty");
  gtk_label_set_text (GTK_LABEL (self->title_label), _(titles[mode]));
  gtk_button_set_label (GTK_BUTTON (self->commit_button), _(buttons[mode]));
  gtk_widget_set_visible (self->supplier_row, mode == POS_STOCK_DOC_RECEIVE);
  gtk_widget_set_visible (self->reason_row, mode == POS_STOCK_DOC_ISSUE);
  gtk_widget_set_visible (self->to_row, mode == POS_STOCK_DOC_TRANSFER);
}

void
pos_stock_doc_shown (PosStockDoc *self)
{
  pos_stock_lines_focus (POS_STOCK_LINES (self->lines));
}

GtkWidget *
pos_stock_doc_get_lines (PosStockDoc *self)
{
  return self->lines;
}

static void
pos_stock_doc_dispose (GObject *object)
{
  PosStockDoc *self = POS_STOCK_DOC (object);

  g_clear_object (&self->session);
  gtk_widget_dispose_template (GTK_WIDGET (self), POS_TYPE_STOCK_DOC);
  G_OBJECT_CLASS (pos_stock_doc_parent_class)->dispose (object);
}

static void
pos_stock_doc_class_init (PosStockDocClass *klass)
{
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);

  pos_ensure_resources ();
  g_type_ensure (POS_TYPE_STOCK_LINES);
  G_OBJECT_CLASS (klass)->dispose = pos_stock_doc_dispose;
  gtk_widget_class_set_template_from_resource (wc, "/org/mendian/Pos/pos-stock-doc.ui");
  gtk_widget_class_bind_template_child (wc, PosStockDoc, title_label);
  gtk_widget_class_bind_template_child (wc, PosStockDoc, supplier_row);
  gtk_widget_class_bind_template_child (wc, PosStockDoc, reason_row);
  gtk_widget_class_bind_template_child (wc, PosStockDoc, to_row);
  gtk_widget_class_bind_template_child (wc, PosStockDoc, note_row);
  gtk_widget_class_bind_template_child (wc, PosStockDoc, lines);
  gtk_widget_class_bind_template_child (wc, PosStockDoc, status_label);
  gtk_widget_class_bind_template_child (wc, PosStockDoc, commit_button);
  gtk_widget_class_install_action (wc, "doc.commit", NULL, commit_action);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_Return, GDK_CONTROL_MASK, "doc.commit", NULL);
}

static void
pos_stock_doc_init (PosStockDoc *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}
