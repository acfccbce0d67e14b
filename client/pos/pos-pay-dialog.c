/* pos-pay-dialog.c */
#define G_LOG_DOMAIN "pos-pay"

#include <glib/gi18n.h>

#include "mdn-error.h"
#include "mdn-money.h"
#include "pos-forms.h"
#include "pos-pay-dialog.h"

struct _PosPayDialog
{
  AdwWindow   parent_instance;

  PosSession *session;
  char       *op;
  JsonObject *args;
  PosMemberView *member;
  gint64      due_fen;
  gint64      rounding_fen;  /* 抹零 when paid in cash alone */
  gint64      change_fen;
  gboolean    has_pin;
  PosPaidFunc paid;
  gpointer    user_data;
  gboolean    busy;          /* the operation is running: its result decides */
  GCancellable *cancellable;
  GtkWidget  *busy_focus;    /* where the focus goes back after a refusal */

  GtkWidget  *confirm_button;
  GtkWidget  *cancel_button;
  GtkWidget  *tenders_group;
  PosBusyLine busy_line;
  GtkWidget  *due_label;
  GtkWidget  *subject_label;
  GtkWidget  *rounding_label;
  GtkWidget  *cash_row;
  GtkWidget  *bank_row;
  GtkWidget  *wechat_row;
  GtkWidget  *alipay_row;
  GtkWidget  *balance_row;
  GtkWidget  *state_title;
  GtkWidget  *state_amount;
  GtkWidget  *error_label;
  GtkWidget  *pin_box;
  GtkWidget  *balance_label;
  GtkWidget  *pin_entry;
  GtkWidget  *staff_row;     /* who served (timed stops), or NULL */
  char      **staff_ids;     /* its choices' staff codes, "" the cashier */
};

G_DEFINE_FINAL_TYPE (PosPayDialog, pos_pay_dialog, ADW_TYPE_WINDOW)

static const char *const tender_names[] = { "cash", "bank", "wechat", "alipay", "balance" };

static GtkWidget *
tender_row (PosPayDialog *self,
            const char   *tender)
{
  if (g_str_equal (tender, "cash")) return self->cash_row;
  if (g_str_equal (tender, "bank")) return self->bank_row;
  if (g_str_equal (tender, "wechat")) return self->wechat_row;
  if (g_str_equal (tender, "alipay")) return self->alipay_row;
  if (g_str_equal (tender, "balance")) return self->balance_row;
  return NULL;
}

static void
set_error (PosPayDialog *self,
           const char   *text)
{
  gtk_label_set_text (GTK_LABEL (self->error_label), text ? text : "");
  gtk_widget_set_visible (self->error_label, text && *text);
}

/* Sums the tenders; FALSE (error shown) when one isn't an amount. */
static gboolean
read_tenders (PosPayDialog *self,
              gint64        amounts[G_N_ELEMENTS (tender_names)],
              gint64       *given)
{
  *given = 0;
  for (guint i = 0; i < G_N_ELEMENTS (tender_names); i++)
    {
      GtkWidget *row = tender_row (self, tender_names[i]);
      const char *text = gtk_editable_get_text (GTK_EDITABLE (row));

      amounts[i] = 0;
      if (!gtk_widget_get_visible (row))
        continue;
      if (!pos_parse_money (text, &amounts[i]) || amounts[i] < 0)
        {
          g_autofree char *msg = g_strdup_printf (_("“%s” is not an amount; type yuan like 100 or 12.50"), text);
          set_error (self, msg);
          return FALSE;
        }
      *given += amounts[i];
    }
  return TRUE;
}

/* What the card's balance can't cover, said exactly: more put on it than
 * it holds is refused here, and a balance that covers only part of the
 * amount due says what is left for another tender. */
static void
balance_hint (PosPayDialog *self,
              gint64        on_balance,
              gint64        given)
{
  gint64 have = MAX (self->member->balance_fen, 0);
  g_autofree char *have_text = pos_money (have);

  if (on_balance > have)
    {
      g_autofree char *short_text = pos_money (on_balance - have);
      g_autofree char *msg = g_strdup_printf (_("%s has only %s on the card, %s short of what is put on it; "
                                                "lower the balance payment or pay the rest another way"),
                                              self->member->name, have_text, short_text);

      set_error (self, msg);
      gtk_widget_set_sensitive (self->confirm_button, FALSE);
    }
  else if (given < self->due_fen && on_balance == have)
    {
      g_autofree char *short_text = pos_money (self->due_fen - given);
      g_autofree char *msg = g_strdup_printf (_("%s has only %s on the card; %s is still to pay: "
                                                "press F5 for cash or another payment key"),
                                              self->member->name, have_text, short_text);

      set_error (self, msg);
    }
}

static void
update (PosPayDialog *self)
{
  gint64 amounts[G_N_ELEMENTS (tender_names)];
  gint64 given, due;
  g_autofree char *text = NULL;

  set_error (self, NULL);
  self->change_fen = 0;
  if (!read_tenders (self, amounts, &given))
    {
      gtk_widget_set_sensitive (self->confirm_button, FALSE);
      return;
    }
  gtk_widget_set_visible (self->pin_box, self->has_pin && amounts[4] > 0);
  /* Cash alone pays the amount due less its rounding (抹零). */
  due = given == amounts[0] ? self->due_fen - self->rounding_fen : self->due_fen;
  gtk_widget_set_visible (self->rounding_label, self->rounding_fen > 0 && due < self->due_fen);
  if (given < due)
    {
      gtk_label_set_text (GTK_LABEL (self->state_title), _("Still to pay"));
      text = pos_money (due - given);
      gtk_widget_remove_css_class (self->state_amount, "success");
      gtk_widget_add_css_class (self->state_amount, "warning");
    }
  else
    {
      self->change_fen = given - due;
      gtk_label_set_text (GTK_LABEL (self->state_title), _("Change"));
      text = pos_money (self->change_fen);
      gtk_widget_remove_css_class (self->state_amount, "warning");
      gtk_widget_add_css_class (self->state_amount, "success");
      if (self->change_fen > amounts[0])
        set_error (self, _("Only cash can be more than the amount due; lower the other payments"));
    }
  gtk_label_set_text (GTK_LABEL (self->state_amount), text);
  gtk_widget_set_sensitive (self->confirm_button, given >= due);
  if (self->member && amounts[4] > 0)
    balance_hint (self, amounts[4], given);
}

/* While the operation runs nothing can be changed, confirmed again or
 * cancelled: it may already be committing, so its result decides. */
static void
set_busy (PosPayDialog *self,
          gboolean      busy,
          gboolean      waiting)
{
  GtkWidget *focus;

  self->busy = busy;
  pos_busy_line_set (&self->busy_line, busy, waiting);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "pay.confirm", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "pay.cancel", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "pay.fill", !busy);
  if (busy)
    {
      focus = gtk_window_get_focus (GTK_WINDOW (self));
      g_set_weak_pointer (&self->busy_focus, focus);
      /* Let go of the entry before it goes insensitive; the keys still
         reach the dialog (Esc says why it can't cancel now). */
      gtk_window_set_focus (GTK_WINDOW (self), NULL);
      set_error (self, NULL);
    }
  gtk_widget_set_sensitive (self->tenders_group, !busy);
  gtk_widget_set_sensitive (self->pin_box, !busy);
  if (self->staff_row)
    gtk_widget_set_sensitive (self->staff_row, !busy);
  if (!busy)
    {
      if (self->busy_focus && gtk_widget_get_sensitive (self->busy_focus))
        gtk_widget_grab_focus (self->busy_focus);
      g_clear_weak_pointer (&self->busy_focus);
      update (self);
    }
}

static void
take_paid (PosPayDialog *self,
      JsonObject   *result)
{
  g_object_ref (self);
  if (self->paid)
    self->paid (result, self->user_data);
  /* The cashier is told the card was charged without head office's word. */
  pos_toast_offline (GTK_WIDGET (self), result);
  gtk_window_close (GTK_WINDOW (self));
  g_object_unref (self);
}

static void
refused (PosPayDialog *self,
         const GError *error)
{
  g_autofree char *hint = pos_error_dup_hint (error);

  set_error (self, hint);
  gtk_widget_error_bell (GTK_WIDGET (self));
  if (g_error_matches (error, MDN_ERROR, MDN_ERROR_WRONG_PIN) ||
      g_error_matches (error, MDN_ERROR, MDN_ERROR_PIN_REQUIRED) ||
      g_error_matches (error, MDN_ERROR, MDN_ERROR_PIN_LOCKED))
    {
      gtk_widget_set_visible (self->pin_box, TRUE);
      gtk_editable_set_text (GTK_EDITABLE (self->pin_entry), "");
      gtk_widget_grab_focus (self->pin_entry);
    }
}

static void
run_done (GObject      *source,
          GAsyncResult *res,
          gpointer      user_data)
{
  g_autoptr(PosPayDialog) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) result = pos_session_run_finish (POS_SESSION (source), res, &error);

  /* Destroyed meanwhile (its window closed): nothing left to show. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  set_busy (self, FALSE, FALSE);
  if (result == NULL)
    refused (self, error);
  else
    take_paid (self, result);
}

void
pos_pay_dialog_confirm (PosPayDialog *self)
{
  gint64 amounts[G_N_ELEMENTS (tender_names)];
  gint64 given;
  g_autoptr(JsonObject) args = json_object_new ();
  JsonArray *tenders;
  g_autoptr(GList) members = NULL;

  if (self->busy || self->session == NULL || !read_tenders (self, amounts, &given))
    return;
  members = json_object_get_members (self->args);
  for (GList *l = members; l; l = l->next)
    json_object_set_member (args, l->data, json_node_copy (json_object_get_member (self->args, l->data)));
  tenders = json_array_new ();
  for (guint i = 0; i < G_N_ELEMENTS (tender_names); i++)
    if (amounts[i] > 0)
      {
        JsonObject *t = json_object_new ();

        json_object_set_string_member (t, "type", tender_names[i]);
        json_object_set_int_member (t, "amount_fen", amounts[i]);
        json_array_add_object_element (tenders, t);
      }
  json_object_set_array_member (args, "tenders", tenders);
  if (amounts[4] > 0 && *gtk_editable_get_text (GTK_EDITABLE (self->pin_entry)))
    json_object_set_string_member (args, "pin", gtk_editable_get_text (GTK_EDITABLE (self->pin_entry)));
  {
    const char *staff = pos_pay_dialog_get_staff (self);

    if (staff && *staff)
      json_object_set_string_member (args, "staff", staff);
  }

  /* At a linked branch a balance payment is authorized by head office
     first: a worker does it, and this dialog waits for the answer. */
  set_busy (self, TRUE, pos_session_op_may_wait (self->session, self->op));
  pos_session_run_async (self->session, self->op, args, self->cancellable, run_done, g_object_ref (self));
}

static void
confirm_action (GtkWidget *widget, const char *name, GVariant *param)
{
  pos_pay_dialog_confirm (POS_PAY_DIALOG (widget));
}

/* Ctrl+T: to the who-served choice, when the dialog has one. */
static void
served_by_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosPayDialog *self = POS_PAY_DIALOG (widget);

  if (self->staff_row && !self->busy)
    gtk_widget_grab_focus (self->staff_row);
}

/* Esc: cancel, except while the payment runs. */
static void
escape_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosPayDialog *self = POS_PAY_DIALOG (widget);

  if (self->busy)
    {
      gtk_label_set_text (GTK_LABEL (self->busy_line.label),
                          _("Checking with head office… The payment can't be cancelled now; "
                            "wait for the outcome."));
      gtk_widget_error_bell (widget);
      return;
    }
  gtk_window_close (GTK_WINDOW (widget));
}

static gboolean
close_request (PosPayDialog *self)
{
  if (self->busy)
    {
      escape_action (GTK_WIDGET (self), NULL, NULL);
      return TRUE;
    }
  return FALSE;
}

static void
cancel_action (GtkWidget *widget, const char *name, GVariant *param)
{
  gtk_window_close (GTK_WINDOW (widget));
}

/* Puts everything still due on @tender (param), taking it off cash. */
static void
fill_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosPayDialog *self = POS_PAY_DIALOG (widget);
  const char *tender = g_variant_get_string (param, NULL);
  GtkWidget *row = tender_row (self, tender);
  gint64 amounts[G_N_ELEMENTS (tender_names)];
  gint64 given, others = 0, put;
  g_autofree char *text = NULL;

  if (row == NULL || !gtk_widget_get_visible (row) || !read_tenders (self, amounts, &given))
    return;
  for (guint i = 1; i < G_N_ELEMENTS (tender_names); i++)
    if (!g_str_equal (tender_names[i], tender))
      others += amounts[i];
  put = MAX (self->due_fen - others, 0);
  if (g_str_equal (tender, "cash") && others == 0)
    put -= self->rounding_fen;
  /* The balance pays what it can; the rest stays due for another tender. */
  if (g_str_equal (tender, "balance") && self->member)
    put = MIN (put, MAX (self->member->balance_fen, 0));
  if (!g_str_equal (tender, "cash"))
    gtk_editable_set_text (GTK_EDITABLE (self->cash_row), "");
  text = mdn_money_format_plain (put);
  gtk_editable_set_text (GTK_EDITABLE (row), text);
  gtk_widget_grab_focus (row);
  update (self);
  if (g_str_equal (tender, "balance") && self->has_pin)
    gtk_widget_grab_focus (self->pin_entry);
}

static void
pos_pay_dialog_dispose (GObject *object)
{
  PosPayDialog *self = POS_PAY_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  pos_busy_line_clear (&self->busy_line);
  g_clear_weak_pointer (&self->busy_focus);
  g_clear_object (&self->session);
  g_clear_pointer (&self->args, json_object_unref);
  g_clear_pointer (&self->member, pos_member_view_unref);
  g_clear_pointer (&self->op, g_free);
  g_clear_pointer (&self->staff_ids, g_strfreev);
  gtk_widget_dispose_template (GTK_WIDGET (self), POS_TYPE_PAY_DIALOG);
  G_OBJECT_CLASS (pos_pay_dialog_parent_class)->dispose (object);
}

static void
pos_pay_dialog_class_init (PosPayDialogClass *klass)
{
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);
  static const guint keys[] = { GDK_KEY_F5, GDK_KEY_F6, GDK_KEY_F7, GDK_KEY_F8, GDK_KEY_F9 };

  pos_ensure_resources ();
  G_OBJECT_CLASS (klass)->dispose = pos_pay_dialog_dispose;
  gtk_widget_class_set_template_from_resource (wc, "/org/mendian/Pos/pos-pay-dialog.ui");
  gtk_widget_class_bind_template_child (wc, PosPayDialog, confirm_button);
  gtk_widget_class_bind_template_child (wc, PosPayDialog, cancel_button);
  gtk_widget_class_bind_template_child (wc, PosPayDialog, tenders_group);
  gtk_widget_class_bind_template_child_full (wc, "busy_box", FALSE,
                                             G_STRUCT_OFFSET (PosPayDialog, busy_line.box));
  gtk_widget_class_bind_template_child_full (wc, "spinner", FALSE,
                                             G_STRUCT_OFFSET (PosPayDialog, busy_line.spinner));
  gtk_widget_class_bind_template_child_full (wc, "busy_label", FALSE,
                                             G_STRUCT_OFFSET (PosPayDialog, busy_line.label));
  gtk_widget_class_bind_template_child (wc, PosPayDialog, due_label);
  gtk_widget_class_bind_template_child (wc, PosPayDialog, cash_row);
  gtk_widget_class_bind_template_child (wc, PosPayDialog, bank_row);
  gtk_widget_class_bind_template_child (wc, PosPayDialog, wechat_row);
  gtk_widget_class_bind_template_child (wc, PosPayDialog, alipay_row);
  gtk_widget_class_bind_template_child (wc, PosPayDialog, balance_row);
  gtk_widget_class_bind_template_child (wc, PosPayDialog, state_title);
  gtk_widget_class_bind_template_child (wc, PosPayDialog, state_amount);
  gtk_widget_class_bind_template_child (wc, PosPayDialog, error_label);
  gtk_widget_class_bind_template_child (wc, PosPayDialog, pin_box);
  gtk_widget_class_bind_template_child (wc, PosPayDialog, balance_label);
  gtk_widget_class_bind_template_child (wc, PosPayDialog, subject_label);
  gtk_widget_class_bind_template_child (wc, PosPayDialog, rounding_label);
  gtk_widget_class_bind_template_child (wc, PosPayDialog, pin_entry);
  gtk_widget_class_install_action (wc, "pay.confirm", NULL, confirm_action);
  gtk_widget_class_install_action (wc, "pay.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (wc, "pay.fill", "s", fill_action);
  gtk_widget_class_install_action (wc, "pay.escape", NULL, escape_action);
  gtk_widget_class_install_action (wc, "pay.served-by", NULL, served_by_action);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_t, GDK_CONTROL_MASK, "pay.served-by", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_Escape, 0, "pay.escape", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_F12, 0, "pay.confirm", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    gtk_widget_class_add_binding_action (wc, keys[i], 0, "pay.fill", "s", tender_names[i]);
}

static void
row_activated (PosPayDialog *self)
{
  pos_pay_dialog_confirm (self);
}

static void
pos_pay_dialog_init (PosPayDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();
  g_signal_connect (self, "close-request", G_CALLBACK (close_request), NULL);
  for (guint i = 0; i < G_N_ELEMENTS (tender_names); i++)
    {
      GtkWidget *row = tender_row (self, tender_names[i]);

      g_signal_connect_swapped (row, "changed", G_CALLBACK (update), self);
      g_signal_connect_swapped (row, "entry-activated", G_CALLBACK (row_activated), self);
    }
  g_signal_connect_swapped (self->pin_entry, "activate", G_CALLBACK (row_activated), self);
  gtk_box_append (GTK_BOX (self->pin_box), pos_pin_pad_new (GTK_EDITABLE (self->pin_entry)));
}

PosPayDialog *
pos_pay_dialog_new (GtkWidget   *parent,
                    PosSession  *session,
                    const char  *op,
                    JsonObject  *args,
                    gint64       due_fen,
                    PosMemberView *member,
                    PosPaidFunc  paid,
                    gpointer     user_data)
{
  PosPayDialog *self = g_object_new (POS_TYPE_PAY_DIALOG, NULL);
  GtkRoot *root = parent ? gtk_widget_get_root (parent) : NULL;
  g_autofree char *due = pos_money (due_fen);
  g_autofree char *cash = mdn_money_format_plain (due_fen);

  if (GTK_IS_WINDOW (root))
    gtk_window_set_transient_for (GTK_WINDOW (self), GTK_WINDOW (root));
  self->session = g_object_ref (session);
  self->op = g_strdup (op);
  self->args = json_object_ref (args);
  self->due_fen = due_fen;
  self->paid = paid;
  self->user_data = user_data;
  gtk_label_set_text (GTK_LABEL (self->due_label), due);
  self->rounding_fen = pos_session_cash_rounding (session, due_fen);
  if (self->rounding_fen > 0)
    {
      g_autofree char *dropped = pos_money (self->rounding_fen);
      g_autofree char *in_cash = pos_money (due_fen - self->rounding_fen);
      g_autofree char *line = g_strdup_printf (_("In cash alone: %s (rounding %s off)"), in_cash, dropped);

      gtk_label_set_text (GTK_LABEL (self->rounding_label), line);
      g_free (cash);
      cash = mdn_money_format_plain (due_fen - self->rounding_fen);
    }
  if (member)
    {
      g_autofree char *bal = pos_money (member->balance_fen);
      g_autofree char *sub = g_strdup_printf (_("%s has %s"), member->name, bal);

      self->member = pos_member_view_ref (member);
      self->has_pin = member->has_pin;
      gtk_widget_set_visible (self->balance_row, TRUE);
      gtk_label_set_text (GTK_LABEL (self->balance_label), sub);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->balance_row), sub);
    }
  /* The fastest cash sale: the amount due is already there; Enter pays it,
     or type what the customer handed over to see the change. */
  gtk_editable_set_text (GTK_EDITABLE (self->cash_row), cash);
  update (self);
  gtk_window_present (GTK_WINDOW (self));
  gtk_widget_grab_focus (self->cash_row);
  gtk_editable_select_region (GTK_EDITABLE (self->cash_row), 0, -1);
  return self;
}

void
pos_pay_dialog_set_tender (PosPayDialog *self,
                           const char   *tender,
                           const char   *amount)
{
  GtkWidget *row = tender_row (self, tender);

  g_return_if_fail (row != NULL);
  gtk_editable_set_text (GTK_EDITABLE (row), amount);
}

/* What is being paid, under the amount due (a table and its time). */
void
pos_pay_dialog_set_subject (PosPayDialog *self,
                            const char   *text)
{
  g_return_if_fail (POS_IS_PAY_DIALOG (self));

  gtk_label_set_text (GTK_LABEL (self->subject_label), text ? text : "");
  gtk_widget_set_visible (self->subject_label, text && *text);
}

const char *
pos_pay_dialog_get_subject (PosPayDialog *self)
{
  g_return_val_if_fail (POS_IS_PAY_DIALOG (self), NULL);

  return gtk_widget_get_visible (self->subject_label)
         ? gtk_label_get_text (GTK_LABEL (self->subject_label)) : NULL;
}

void
pos_pay_dialog_set_pin (PosPayDialog *self,
                        const char   *pin)
{
  gtk_editable_set_text (GTK_EDITABLE (self->pin_entry), pin);
}

gint64
pos_pay_dialog_get_change (PosPayDialog *self)
{
  return self->change_fen;
}

/* Whether the payment is running (its result decides what happens). */
gboolean
pos_pay_dialog_is_busy (PosPayDialog *self)
{
  g_return_val_if_fail (POS_IS_PAY_DIALOG (self), FALSE);

  return self->busy;
}

/* The busy line while the operation waits for head office, else NULL. */
const char *
pos_pay_dialog_get_busy (PosPayDialog *self)
{
  g_return_val_if_fail (POS_IS_PAY_DIALOG (self), NULL);

  return self->busy ? pos_busy_line_get_text (&self->busy_line) : NULL;
}

const char *
pos_pay_dialog_get_error (PosPayDialog *self)
{
  return gtk_widget_get_visible (self->error_label)
         ? gtk_label_get_text (GTK_LABEL (self->error_label)) : NULL;
}

/* Who served (the technician, for commission): the cashier first, then
 * the branch's active staff; the choice goes to the operation as staff. */
gboolean
pos_pay_dialog_add_staff_choice (PosPayDialog *self,
                                 GError      **error)
{
  g_auto(GStrv) labels = NULL;
  g_autoptr(GtkStringList) model = NULL;
  GtkWidget *group;

  g_return_val_if_fail (POS_IS_PAY_DIALOG (self), FALSE);

  if (self->staff_row)
    return TRUE;
  if (!pos_staff_choices (self->session, NULL, &self->staff_ids, &labels, NULL, error))
    return FALSE;
  model = gtk_string_list_new ((const char *const *) labels);
  self->staff_row = adw_combo_row_new ();
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->staff_row), _("Who served (Ctrl+T)"));
  adw_combo_row_set_model (ADW_COMBO_ROW (self->staff_row), G_LIST_MODEL (model));
  /* Its own group under the tenders (not one of them). */
  group = adw_preferences_group_new ();
  adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), self->staff_row);
  gtk_box_insert_child_after (GTK_BOX (gtk_widget_get_parent (self->tenders_group)), group, self->tenders_group);
  return TRUE;
}

GtkWidget *
pos_pay_dialog_get_staff_row (PosPayDialog *self)
{
  g_return_val_if_fail (POS_IS_PAY_DIALOG (self), NULL);
  return self->staff_row;
}

const char *
pos_pay_dialog_get_staff (PosPayDialog *self)
{
  guint i;

  g_return_val_if_fail (POS_IS_PAY_DIALOG (self), NULL);
  if (self->staff_row == NULL || self->staff_ids == NULL)
    return NULL;
  i = adw_combo_row_get_selected (ADW_COMBO_ROW (self->staff_row));
  return i < g_strv_length (self->staff_ids) ? self->staff_ids[i] : NULL;
}
