/* pos-handover.c: the shift handover (交班). The cashier counts the drawer
 * (cash by note and coin, or its total; the other tenders from their
 * terminals' totals), shift.close records it, the POS shows expected vs
 * counted and the over/short per tender, prints the slip, and the next
 * cashier logs in to a new shift. Refused while a sale is open. */
#define G_LOG_DOMAIN "pos-handover"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "mdn-error.h"
#include "mdn-money.h"
#include "mdn-shifts.h"
#include "pos-checkout.h"
#include "pos-forms.h"
#include "pos-handover.h"
#include "pos-printer.h"
#include "pos-receipt.h"
#include "pos-views.h"
#include "pos-window.h"

#define N_DENOMS 8

typedef struct
{
  PosSession *session;
  GtkWidget  *parent;          /* the page that opened it (strong) */
  GtkWidget  *spins[N_DENOMS];
  GtkWidget  *sum_label;
  PosForm    *form;            /* weak: the form owns this */
} Handover;

static void
handover_free (Handover *h)
{
  g_clear_object (&h->session);
  g_clear_object (&h->parent);
  g_free (h);
}

/* Σ value × count of the spin buttons. */
static gint64
denominations_sum (Handover *h,
                   JsonArray *out)
{
  gint64 sum = 0;

  for (guint i = 0; i < N_DENOMS; i++)
    {
      gint64 count = gtk_spin_button_get_value_as_int (GTK_SPIN_BUTTON (h->spins[i]));

      sum += count * mdn_shift_denominations[i];   /* ≤ 8 × 10000 × 100000 */
      if (out && count > 0)
        {
          JsonObject *o = json_object_new ();

          json_object_set_int_member (o, "value_fen", mdn_shift_denominations[i]);
          json_object_set_int_member (o, "count", count);
          json_array_add_object_element (out, o);
        }
    }
  return sum;
}

static void
denominations_changed (Handover *h)
{
  gint64 sum = denominations_sum (h, NULL);
  g_autofree char *text = pos_money (sum);
  g_autofree char *line = g_strdup_printf (_("Notes and coins: %s"), text);

  gtk_label_set_text (GTK_LABEL (h->sum_label), line);
  /* Counted by note and coin: that is the cash total. */
  if (sum > 0)
    {
      g_autofree char *plain = mdn_money_format_plain (sum);
      gtk_editable_set_text (GTK_EDITABLE (pos_form_get_widget (h->form, "cash")), plain);
    }
}

static GtkWidget *
denominations_grid (Handover *h)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 6);
  GtkWidget *grid = gtk_grid_new ();

  gtk_grid_set_column_spacing (GTK_GRID (grid), 12);
  gtk_grid_set_row_spacing (GTK_GRID (grid), 6);
  for (guint i = 0; i < N_DENOMS; i++)
    {
      g_autofree char *value = pos_money (mdn_shift_denominations[i]);
      GtkWidget *label = gtk_label_new (value);
      GtkWidget *spin = gtk_spin_button_new_with_range (0, 100000, 1);

      gtk_widget_add_css_class (label, "numeric");
      gtk_label_set_xalign (GTK_LABEL (label), 1);
      gtk_spin_button_set_numeric (GTK_SPIN_BUTTON (spin), TRUE);
      gtk_widget_set_tooltip_text (spin, value);
      g_signal_connect_swapped (spin, "value-changed", G_CALLBACK (denominations_changed), h);
      h->spins[i] = spin;
      gtk_grid_attach (GTK_GRID (grid), label, (i % 4) * 2, i / 4, 1, 1);
      gtk_grid_attach (GTK_GRID (grid), spin, (i % 4) * 2 + 1, i / 4, 1, 1);
    }
  h->sum_label = gtk_label_new (NULL);
  gtk_label_set_xalign (GTK_LABEL (h->sum_label), 0);
  gtk_widget_add_css_class (h->sum_label, "dim-label");
  gtk_box_append (GTK_BOX (box), grid);
  gtk_box_append (GTK_BOX (box), h->sum_label);
  return box;
}

/* The result, as the cashier reads it: per tender expected, counted and
 * over/short. */
static char *
result_text (PosHandover *r)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < r->tenders->len; i++)
    {
      PosTenderCount *t = g_ptr_array_index (r->tenders, i);
      g_autofree char *expected = pos_money (t->expected_fen);
      g_autofree char *counted = pos_money (t->counted_fen);
      g_autofree char *diff = pos_money (t->over_short_fen);

      if (!t->counted && t->expected_fen == 0)
        continue;
      if (s->len)
        g_string_append_c (s, '\n');
      if (t->counted)
        g_string_append_printf (s, _("%s: expected %s, counted %s, %s %s"), pos_tender_label (t->tender),
                                expected, counted, t->over_short_fen >= 0 ? _("over") : _("short"), diff);
      else
        g_string_append_printf (s, _("%s: expected %s, not counted"), pos_tender_label (t->tender), expected);
    }
  return g_string_free (s, FALSE);
}

static void
show_result (Handover    *h,
             PosHandover *r)
{
  GtkRoot *root = gtk_widget_get_root (h->parent);
  g_autofree char *body = result_text (r);
  g_autofree char *total = pos_money (r->over_short_fen);
  g_autofree char *heading = r->over_short_fen == 0 ? g_strdup (_("Shift Handed Over: the Drawer Agrees"))
                             : g_strdup_printf (r->over_short_fen > 0 ? _("Shift Handed Over: %s Over")
                                                                     : _("Shift Handed Over: %s Short"), total);
  GtkWidget *dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, heading, body);

  adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_OK"));
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "close");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "close");
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
closed (PosForm    *form,
        JsonObject *result,
        gpointer    user_data)
{
  Handover *h = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PosHandover) r = pos_handover_parse (result, "shift.close", &error);
  MdnStore *store = pos_session_get_store (h->session);
  PosWindow *win = pos_window_from_widget (h->parent);

  /* The shift is closed whatever its answer says. */
  if (r == NULL)
    {
      g_warning ("%s", error->message);
      return;
    }
  {
    g_autofree char *opened = r->opened_at ? pos_session_branch_time (h->session, r->opened_at) : NULL;
    g_autofree char *at = pos_session_branch_time (h->session, r->closed_at);
    JsonArray *denoms = json_object_has_member (result, "denominations")
                        ? json_object_get_array_member (result, "denominations") : NULL;
    g_autoptr(PosReceipt) slip = pos_receipt_for_handover (pos_printer_width (h->session), store->branch_name,
                                                           pos_session_get_staff_name (h->session),
                                                           opened, at, r, denoms);

    pos_receipt_set_drawer (slip, TRUE);
    pos_printer_print (h->parent, h->session, slip);
  }
  show_result (h, r);
  /* The next cashier logs in to a new shift. */
  if (win)
    gtk_widget_activate_action (GTK_WIDGET (win), "pos.switch-cashier", NULL);
}

static gboolean
accepted (PosForm *form,
          gpointer user_data)
{
  Handover *h = user_data;
  g_autoptr(JsonObject) args = json_object_new ();
  JsonObject *counted = json_object_new ();
  JsonArray *denoms = json_array_new ();
  static const char *const others[] = { "bank", "wechat", "alipay" };
  gint64 cash = 0, by_denoms, float_fen = 0;

  json_object_set_object_member (args, "counted", counted);
  by_denoms = denominations_sum (h, denoms);
  if (!pos_form_get_money (form, "float", &float_fen))
    {
      json_array_unref (denoms);
      return FALSE;
    }
  json_object_set_int_member (args, "float_fen", float_fen);
  if (by_denoms > 0)
    json_object_set_array_member (args, "denominations", denoms);
  else
    {
      json_array_unref (denoms);
      if (*pos_form_get (form, "cash") == '\0')
        {
          pos_form_set_error (form, _("Count the cash in the drawer first, by note and coin or as a total"));
          return FALSE;
        }
      if (!pos_form_get_money (form, "cash", &cash))
        return FALSE;
      json_object_set_int_member (counted, "cash", cash);
    }
  for (guint i = 0; i < G_N_ELEMENTS (others); i++)
    {
      gint64 amount = 0;

      if (*pos_form_get (form, others[i]) == '\0')
        continue;
      if (!pos_form_get_money (form, others[i], &amount))
        return FALSE;
      json_object_set_int_member (counted, others[i], amount);
    }
  pos_form_run_op (form, h->session, "shift.close", args, closed, h, NULL);
  return FALSE;
}

/* Whether a sale is on the counter (lines in the cart, or its payment open). */
static gboolean
sale_open (GtkWidget *widget)
{
  PosWindow *win = pos_window_from_widget (widget);
  PosCheckout *checkout = win ? POS_CHECKOUT (pos_window_get_checkout (win)) : NULL;

  return checkout && (pos_checkout_get_n_lines (checkout) > 0 || pos_checkout_get_pay_dialog (checkout) != NULL);
}

void
pos_handover_run (GtkWidget  *parent,
                  PosSession *session)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) preview = NULL;
  g_autoptr(PosHandover) open = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *body = NULL, *since = NULL;
  Handover *h;

  g_return_if_fail (GTK_IS_WIDGET (parent) && POS_IS_SESSION (session));

  if (sale_open (parent))
    {
      g_set_error_literal (&error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("A sale is open at the checkout: pay it or void it (F10), then hand over the shift"));
      pos_show_error (parent, _("The Shift Can't Be Handed Over Yet"), error);
      return;
    }
  preview = pos_session_run (session, "shift.preview", args, &error);
  if (preview)
    open = pos_handover_parse (preview, "shift.preview", &error);
  if (open == NULL)
    {
      pos_show_error (parent, _("The Shift Can't Be Handed Over"), error);
      return;
    }
  since = open->opened_at ? pos_session_branch_time (session, open->opened_at) : NULL;
  body = since ? g_strdup_printf (_("%s's shift since %s · %" PRId64 " transactions. Count the drawer: "
                                    "the cash by note and coin (or its total), the other payments from "
                                    "their terminals' totals (left empty: not counted)."),
                                  pos_session_get_staff_name (session), since, open->entries)
               : g_strdup_printf (_("%s's shift · %" PRId64 " transactions. Count the drawer: "
                                    "the cash by note and coin (or its total), the other payments from "
                                    "their terminals' totals (left empty: not counted)."),
                                  pos_session_get_staff_name (session), open->entries);

  h = g_new0 (Handover, 1);
  h->session = g_object_ref (session);
  h->parent = g_object_ref (parent);
  h->form = pos_form_new (parent, _("Hand Over Shift"), _("_Hand Over"));
  pos_form_set_body (h->form, body);
  pos_form_add_widget (h->form, denominations_grid (h));
  pos_form_add_field (h->form, "cash", _("Cash in the drawer"), POS_FIELD_MONEY, "");
  pos_form_add_field (h->form, "float", _("Float it started with (change)"), POS_FIELD_MONEY, "");
  pos_form_add_field (h->form, "bank", _("Bank card total"), POS_FIELD_MONEY, "");
  pos_form_add_field (h->form, "wechat", _("WeChat Pay total"), POS_FIELD_MONEY, "");
  pos_form_add_field (h->form, "alipay", _("Alipay total"), POS_FIELD_MONEY, "");
  denominations_changed (h);
  pos_form_run (h->form, accepted, h, (GDestroyNotify) handover_free);
}

/* For tests: the spin button of the note or coin of @value_fen. */
GtkWidget *
pos_handover_get_denomination (PosForm *form,
                               gint64   value_fen)
{
  GtkWidget *w = GTK_WIDGET (form);

  g_return_val_if_fail (POS_IS_FORM (form), NULL);
  /* Depth-first: the first spin button whose tooltip is the value. */
  {
    g_autofree char *want = pos_money (value_fen);
    GPtrArray *stack = g_ptr_array_new ();
    GtkWidget *found = NULL;

    g_ptr_array_add (stack, w);
    while (stack->len > 0 && found == NULL)
      {
        GtkWidget *cur = g_ptr_array_steal_index (stack, stack->len - 1);

        if (GTK_IS_SPIN_BUTTON (cur) && g_strcmp0 (gtk_widget_get_tooltip_text (cur), want) == 0)
          found = cur;
        for (GtkWidget *c = gtk_widget_get_first_child (cur); c; c = gtk_widget_get_next_sibling (c))
          g_ptr_array_add (stack, c);
      }
    g_ptr_array_unref (stack);
    return found;
  }
}
