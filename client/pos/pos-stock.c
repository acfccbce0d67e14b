/* pos-stock.c: the Stock page: a sidebar of the stock screens, each shown
 * to the roles that may use it (a cashier sees the stock; a manager every
 * branch screen; the HQ terminal the chain's stock too). */
#define G_LOG_DOMAIN "pos-stock"

#include <glib/gi18n.h>

#include "pos-stock.h"
#include "pos-stock-chain.h"
#include "pos-stock-count.h"
#include "pos-stock-doc.h"
#include "pos-stock-import.h"
#include "pos-stock-list.h"
#include "pos-stock-transfers.h"

struct _PosStock
{
  AdwBin      parent_instance;

  PosSession *session;

  GtkWidget  *stack;
  GtkWidget  *list;
  GtkWidget  *receive;
  GtkWidget  *issue;
  GtkWidget  *count;
  GtkWidget  *transfer;
  GtkWidget  *incoming;
  GtkWidget  *import;
  GtkWidget  *chain;
  GtkStackPage *receive_page;
  GtkStackPage *issue_page;
  GtkStackPage *count_page;
  GtkStackPage *transfer_page;
  GtkStackPage *incoming_page;
  GtkStackPage *import_page;
  GtkStackPage *chain_page;
};

G_DEFINE_FINAL_TYPE (PosStock, pos_stock, ADW_TYPE_BIN)

static void
screen_shown (PosStock *self)
{
  GtkWidget *w = gtk_stack_get_visible_child (GTK_STACK (self->stack));

  if (self->session == NULL || !pos_session_is_logged_in (self->session) || w == NULL)
    return;
  if (w == self->list)
    pos_stock_list_shown (POS_STOCK_LIST (w));
  else if (w == self->count)
    pos_stock_count_shown (POS_STOCK_COUNT (w));
  else if (w == self->incoming)
    pos_stock_transfers_shown (POS_STOCK_TRANSFERS (w));
  else if (w == self->import)
    pos_stock_import_shown (POS_STOCK_IMPORT (w));
  else if (w == self->chain)
    pos_stock_chain_shown (POS_STOCK_CHAIN (w));
  else
    pos_stock_doc_shown (POS_STOCK_DOC (w));
}

void
pos_stock_shown (PosStock *self)
{
  gboolean hq;

  if (self->session == NULL || !pos_session_is_logged_in (self->session))
    return;
  hq = pos_session_get_store (self->session)->hq;
  gtk_stack_page_set_visible (self->receive_page, pos_session_can (self->session, "stock.receive"));
  gtk_stack_page_set_visible (self->issue_page, pos_session_can (self->session, "stock.issue"));
  gtk_stack_page_set_visible (self->count_page, pos_session_can (self->session, "stocktake.start"));
  gtk_stack_page_set_visible (self->transfer_page, pos_session_can (self->session, "transfer.out"));
  gtk_stack_page_set_visible (self->incoming_page, pos_session_can (self->session, "transfer.list"));
  gtk_stack_page_set_visible (self->import_page, pos_session_can (self->session, "product.import"));
  gtk_stack_page_set_visible (self->chain_page, hq && pos_session_can (self->session, "stock.chain"));
  screen_shown (self);
}

void
pos_stock_show_screen (PosStock   *self,
                       const char *name)
{
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), name);
  screen_shown (self);
}

GtkWidget *
pos_stock_get_screen (PosStock   *self,
                      const char *name)
{
  return gtk_stack_get_child_by_name (GTK_STACK (self->stack), name);
}

void
pos_stock_set_session (PosStock   *self,
                       PosSession *session)
{
  g_set_object (&self->session, session);
  pos_stock_list_set_session (POS_STOCK_LIST (self->list), session);
  pos_stock_doc_setup (POS_STOCK_DOC (self->receive), session, POS_STOCK_DOC_RECEIVE);
  pos_stock_doc_setup (POS_STOCK_DOC (self->issue), session, POS_STOCK_DOC_ISSUE);
  pos_stock_doc_setup (POS_STOCK_DOC (self->transfer), session, POS_STOCK_DOC_TRANSFER);
  pos_stock_count_set_session (POS_STOCK_COUNT (self->count), session);
  pos_stock_transfers_set_session (POS_STOCK_TRANSFERS (self->incoming), session);
  pos_stock_import_set_session (POS_STOCK_IMPORT (self->import), session);
  pos_stock_chain_set_session (POS_STOCK_CHAIN (self->chain), session);
}

static void
pos_stock_dispose (GObject *object)
{
  PosStock *self = POS_STOCK (object);

  g_clear_object (&self->session);
  gtk_widget_dispose_template (GTK_WIDGET (self), POS_TYPE_STOCK);
  G_OBJECT_CLASS (pos_stock_parent_class)->dispose (object);
}

static void
pos_stock_class_init (PosStockClass *klass)
{
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);

  pos_ensure_resources ();
  g_type_ensure (POS_TYPE_STOCK_LIST);
  g_type_ensure (POS_TYPE_STOCK_DOC);
  g_type_ensure (POS_TYPE_STOCK_COUNT);
  g_type_ensure (POS_TYPE_STOCK_TRANSFERS);
  g_type_ensure (POS_TYPE_STOCK_IMPORT);
  g_type_ensure (POS_TYPE_STOCK_CHAIN);
  G_OBJECT_CLASS (klass)->dispose = pos_stock_dispose;
  gtk_widget_class_set_template_from_resource (wc, "/org/mendian/Pos/pos-stock.ui");
  gtk_widget_class_bind_template_child (wc, PosStock, stack);
  gtk_widget_class_bind_template_child (wc, PosStock, list);
  gtk_widget_class_bind_template_child (wc, PosStock, receive);
  gtk_widget_class_bind_template_child (wc, PosStock, issue);
  gtk_widget_class_bind_template_child (wc, PosStock, count);
  gtk_widget_class_bind_template_child (wc, PosStock, transfer);
  gtk_widget_class_bind_template_child (wc, PosStock, incoming);
  gtk_widget_class_bind_template_child (wc, PosStock, import);
  gtk_widget_class_bind_template_child (wc, PosStock, chain);
  gtk_widget_class_bind_template_child (wc, PosStock, receive_page);
  gtk_widget_class_bind_template_child (wc, PosStock, issue_page);
  gtk_widget_class_bind_template_child (wc, PosStock, count_page);
  gtk_widget_class_bind_template_child (wc, PosStock, transfer_page);
  gtk_widget_class_bind_template_child (wc, PosStock, incoming_page);
  gtk_widget_class_bind_template_child (wc, PosStock, import_page);
  gtk_widget_class_bind_template_child (wc, PosStock, chain_page);
}

static void
pos_stock_init (PosStock *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->stack, "notify::visible-child", G_CALLBACK (screen_shown), self);
}
