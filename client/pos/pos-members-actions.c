/* pos-members-actions.c: the card jobs at the counter, each a member.*
 * action installed on the Members page (gtk_widget_class_install_action)
 * and enabled from the member on the page and the cashier's role: the
 * one-to-three-field jobs through the generic form (pos-forms.c) from the
 * table below, each running the operation of the same name; a package
 * use; issuing a card and its printable QR card; selling to the member. */
#define G_LOG_DOMAIN "pos-members"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <glib/gstdio.h>

#include "mdn-money.h"
#include "pos-checkout.h"
#include "pos-card.h"
#include "pos-forms.h"
#include "pos-admin.h"
#include "pos-members-private.h"
#include "pos-printer.h"
#include "pos-window.h"

typedef enum { ARG_STRING, ARG_INT, ARG_MONEY, ARG_LEVEL, ARG_TENDER, ARG_STAFF } ArgType;

typedef struct
{
  const char  *key;
  const char  *label;
  PosFieldKind kind;
  ArgType      type;
  gboolean     optional;
} Field;

typedef struct
{
  const char *action;
  const char *op;
  const char *button;
  const char *title;
  const char *accept;
  const char *body;
  gboolean    destructive;
  const char *receipt;      /* receipt title, or NULL for none */
  gboolean    shows_card;   /* the result is a new card: show its QR */
  Field       fields[3];
} Job;

static const Job jobs[] = {
  { "member.deposit", "member.deposit", N_("Deposit"), N_("Deposit"), N_("_Deposit"),
    N_("Money paid onto the card. The bonus of the deposit rules is shown before you confirm."),
    FALSE, N_("Deposit Receipt"), FALSE,
    { { "amount", N_("Amount (yuan)"), POS_FIELD_MONEY, ARG_MONEY },
      { "tender", N_("Paid by"), POS_FIELD_TEXT, ARG_TENDER },
      { "staff", N_("Who served"), POS_FIELD_TEXT, ARG_STAFF, TRUE } } },
  { "member.withdraw", "member.withdraw", N_("Withdraw"), N_("Withdraw"), N_("_Withdraw"),
    N_("Money paid back from the card's principal (a bonus is never paid out)."),
    FALSE, N_("Withdrawal Receipt"), FALSE,
    { { "amount", N_("Amount (yuan)"), POS_FIELD_MONEY, ARG_MONEY },
      { "tender", N_("Paid back by"), POS_FIELD_TEXT, ARG_TENDER },
      { "pin", N_("Member PIN"), POS_FIELD_PASSWORD, ARG_STRING, TRUE } } },
  { "member.replace", "member.replace", N_("Replace Card"), N_("Replace Card"), N_("_Replace"),
    N_("A new card number is issued with the same balance, points and packages. The old card stops working."),
    TRUE, NULL, TRUE, { { NULL } } },
  { "member.extend", "member.extend", N_("Extend"), N_("Extend Validity"), N_("_Extend"),
    NULL, FALSE, NULL, FALSE,
    { { "expires_on", N_("Valid until (YYYY-MM-DD)"), POS_FIELD_DATE, ARG_STRING } } },
  { "member.lose", "member.lose", N_("Report Lost"), N_("Report Card Lost"), N_("_Report Lost"),
    N_("Nobody can pay with this card until it is unlocked or replaced."),
    TRUE, NULL, FALSE, { { NULL } } },
  { "member.unlock", "member.unlock", N_("Unlock"), N_("Unlock Card"), N_("_Unlock"),
    N_("The card found again can be used as before."), FALSE, NULL, FALSE, { { NULL } } },
  { "member.upgrade", "member.upgrade", N_("Change Level"), N_("Change Level"), N_("Change _Level"),
    NULL, FALSE, NULL, FALSE,
    { { "level", N_("Level"), POS_FIELD_TEXT, ARG_LEVEL } } },
  { "member.set-pin", "member.set_pin", N_("Set PIN"), N_("Set Payment PIN"), N_("_Set"),
    N_("The member types the new PIN. Leave it empty to remove the PIN."), FALSE, NULL, FALSE,
    { { "pin", N_("New PIN"), POS_FIELD_PASSWORD, ARG_STRING, TRUE },
      { "old_pin", N_("Current PIN (if there is one)"), POS_FIELD_PASSWORD, ARG_STRING, TRUE } } },
  { "member.redeem", "points.redeem", N_("Redeem Points"), N_("Redeem Points"), N_("_Redeem"),
    NULL, FALSE, NULL, FALSE,
    { { "points", N_("Points"), POS_FIELD_NUMBER, ARG_INT },
      { "gift", N_("Gift"), POS_FIELD_TEXT, ARG_STRING, TRUE } } },
  { "member.adjust-points", "points.adjust", N_("Adjust Points"), N_("Adjust Points"), N_("_Adjust"),
    N_("Add points with a number, take them off with a minus sign."), FALSE, NULL, FALSE,
    { { "delta", N_("Points (+/−)"), POS_FIELD_NUMBER, ARG_INT },
      { "reason", N_("Reason"), POS_FIELD_TEXT, ARG_STRING } } },
};

static const char *const tender_ids[] = { "cash", "bank", "wechat", "alipay", NULL };

/* Enabling --------------------------------------------------------------------- */

void
pos_members_update_actions (PosMembers *self)
{
  gboolean has = self->member != NULL;
  PosMemberStatus status = has ? self->member->status : POS_MEMBER_ACTIVE;
  gboolean replaced = has && status == POS_MEMBER_REPLACED;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "member.issue",
                                 pos_session_can (self->session, "member.issue"));
  gtk_widget_set_visible (self->issue_button, pos_session_can (self->session, "member.issue"));
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    {
      GtkWidget *b = g_hash_table_lookup (self->buttons, jobs[i].action);
      gboolean allowed = pos_session_can (self->session, jobs[i].op);
      gboolean fits = has && !replaced;

      if (g_str_equal (jobs[i].action, "member.lose"))
        fits = fits && status != POS_MEMBER_LOST;
      else if (g_str_equal (jobs[i].action, "member.unlock"))
        fits = fits && status == POS_MEMBER_LOST;
      gtk_widget_set_visible (gtk_widget_get_parent (b), allowed);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), jobs[i].action, allowed && fits);
    }
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "member.sell", has && status == POS_MEMBER_ACTIVE);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "member.print-card", has && !replaced);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "member.sms-prefs",
                                 has && !replaced && pos_session_can (self->session, "member.sms_prefs"));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "member.consume",
                                 has && pos_session_can (self->session, "package.consume"));
}

/* Jobs ------------------------------------------------------------------------ */

typedef struct
{
  PosMembers *self;
  const Job  *job;
  char       *card;
  char      **levels;
} JobData;

static void
job_data_free (JobData *d)
{
  g_free (d->card);
  g_strfreev (d->levels);
  g_free (d);
}

static void show_card_dialog (PosMembers *self, const char *card, const char *name);

typedef struct
{
  PosMembers *self;
  const Job  *job;
  char       *card;
} JobDone;

static void
job_done_free (JobDone *d)
{
  g_object_unref (d->self);
  g_free (d->card);
  g_free (d);
}

static void
job_done (PosForm    *form,
          JsonObject *result,
          gpointer    user_data)
{
  JobDone *d = user_data;
  PosMembers *self = d->self;
  g_autofree char *done = g_strdup_printf (_("%s: done"), _(d->job->title));

  pos_toast (GTK_WIDGET (self), done);
  if (d->job->receipt)
    pos_printer_print_result (GTK_WIDGET (self), self->session, _(d->job->receipt), result);
  if (d->job->shows_card)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *card = pos_new_card_parse (result, &error);

      if (card == NULL)
        {
          g_warning ("%s", error->message);
          card = g_strdup (d->card);
        }
      pos_members_show_member (self, card, NULL);
      show_card_dialog (self, card, self->member ? self->member->name : "");
    }
  else
    pos_members_show_member (self, d->card, NULL);
}

static gboolean
job_accepted (PosForm *form,
              gpointer user_data)
{
  JobData *d = user_data;
  PosMembers *self = d->self;
  g_autoptr(JsonObject) args = json_object_new ();
  JobDone *done;

  json_object_set_string_member (args, "card", d->card);
  for (guint i = 0; i < G_N_ELEMENTS (d->job->fields) && d->job->fields[i].key; i++)
    {
      const Field *f = &d->job->fields[i];
      const char *text = pos_form_get (form, f->key);
      gint64 v;

      if (f->optional && (text == NULL || *text == '\0'))
        continue;
      switch (f->type)
        {
        case ARG_MONEY:
          {
            g_autofree char *name = g_strconcat (f->key, "_fen", NULL);

            if (!pos_form_get_money (form, f->key, &v))
              return FALSE;
            json_object_set_int_member (args, name, v);
          }
          break;
        case ARG_INT:
          if (!g_ascii_string_to_signed (text, 10, -MDN_MONEY_MAX, MDN_MONEY_MAX, &v, NULL))
            {
              pos_form_set_error (form, _("Type a whole number"));
              return FALSE;
            }
          json_object_set_int_member (args, f->key, v);
          break;
        case ARG_STRING:
        case ARG_LEVEL:
        case ARG_TENDER:
        case ARG_STAFF:
        default:
          json_object_set_string_member (args, f->key, text);
          break;
        }
    }
  /* points.redeem may ask head office first: the form waits for it. */
  done = g_new0 (JobDone, 1);
  done->self = g_object_ref (self);
  done->job = d->job;
  done->card = g_strdup (d->card);
  pos_form_run_op (form, self->session, d->job->op, args, job_done, done, (GDestroyNotify) job_done_free);
  return FALSE;
}

static void
deposit_preview (PosForm *form)
{
  JobData *d = g_object_get_data (G_OBJECT (form), "job");
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(GError) error = NULL;
  gint64 amount, bonus = 0;

  if (!pos_parse_money (pos_form_get (form, "amount"), &amount) || amount <= 0)
    {
      pos_form_set_hint (form, NULL);
      return;
    }
  json_object_set_int_member (args, "amount_fen", amount);
  r = pos_session_run (d->self->session, "deposit.preview", args, NULL);
  if (r && !pos_deposit_bonus_parse (r, &bonus, &error))
    g_warning ("%s", error->message);
  else if (r)
    {
      g_autofree char *b = pos_money (bonus);
      g_autofree char *t = pos_money (amount + bonus);
      g_autofree char *markup = bonus > 0
        ? g_strdup_printf (_("Bonus %s: the card gets %s"), b, t)
        : g_strdup_printf (_("No bonus for this amount: the card gets %s"), t);

      pos_form_set_hint (form, markup);
    }
}

static char **
load_levels (PosMembers *self,
             char     ***labels_out)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) r = pos_session_run (self->session, "level.list", args, NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) list = r ? pos_level_list_parse (r, &error) : NULL;
  GPtrArray *ids = g_ptr_array_new (), *labels = g_ptr_array_new ();

  if (r && list == NULL)
    g_warning ("%s", error->message);
  for (guint i = 0; list && i < list->len; i++)
    {
      PosLevel *l = g_ptr_array_index (list, i);
      g_ptr_array_add (ids, g_strdup (l->code));
      g_ptr_array_add (labels, g_strdup_printf ("%s (%" PRId64 "%%)", l->name, l->price_percent));
    }
  g_ptr_array_add (ids, NULL);
  g_ptr_array_add (labels, NULL);
  *labels_out = (char **) g_ptr_array_free (labels, FALSE);
  return (char **) g_ptr_array_free (ids, FALSE);
}

static PosForm *
open_job (PosMembers *self,
          const Job  *job)
{
  PosForm *form;
  JobData *d;
  const char *tender_labels[] = { _("Cash"), _("Bank card"), _("WeChat Pay"), _("Alipay"), NULL };

  if (self->member == NULL)
    return NULL;
  form = pos_form_new (GTK_WIDGET (self), _(job->title), _(job->accept));
  d = g_new0 (JobData, 1);
  d->self = self;
  d->job = job;
  d->card = g_strdup (pos_members_get_card (self));
  {
    g_autofree char *body = g_strdup_printf ("%s · %s%s%s", self->member->name, d->card,
                                             job->body ? "\n" : "", job->body ? _(job->body) : "");
    pos_form_set_body (form, body);
  }
  pos_form_set_destructive (form, job->destructive);
  for (guint i = 0; i < G_N_ELEMENTS (job->fields) && job->fields[i].key; i++)
    {
      const Field *f = &job->fields[i];

      if (f->type == ARG_TENDER)
        pos_form_add_choice (form, f->key, _(f->label), tender_ids, tender_labels, 0);
      else if (f->type == ARG_STAFF)
        {
          /* Who served (the technician, for commission); the cashier first. */
          g_autoptr(GError) error = NULL;

          if (!pos_form_add_staff_choice (form, self->session, f->key, NULL, &error))
            {
              job_data_free (d);
              gtk_window_destroy (GTK_WINDOW (form));
              pos_show_error (GTK_WIDGET (self), _(job->title), error);
              return NULL;
            }
        }
      else if (f->type == ARG_LEVEL)
        {
          g_auto(GStrv) labels = NULL;
          g_auto(GStrv) ids = load_levels (self, &labels);
          guint sel = 0;

          for (guint j = 0; ids[j]; j++)
            if (g_strcmp0 (ids[j], self->member->level) == 0)
              sel = j;
          pos_form_add_choice (form, f->key, _(f->label), (const char *const *) ids,
                               (const char *const *) labels, sel);
        }
      else
        {
          GtkWidget *row = pos_form_add_field (form, f->key, _(f->label), f->kind, NULL);

          if (g_str_equal (job->action, "member.deposit") && g_str_equal (f->key, "amount"))
            g_signal_connect_swapped (row, "changed", G_CALLBACK (deposit_preview), form);
        }
    }
  g_object_set_data (G_OBJECT (form), "job", d);
  pos_form_run (form, job_accepted, d, (GDestroyNotify) job_data_free);
  return form;
}

static void
job_action (GtkWidget  *widget,
            const char *name,
            GVariant   *param)
{
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    if (g_str_equal (jobs[i].action, name))
      open_job (POS_MEMBERS (widget), &jobs[i]);
}

/* Package uses. */

typedef struct
{
  PosMembers *self;
  char       *card;
  gint64      count;
} ConsumeDone;

static void
consume_done_free (ConsumeDone *d)
{
  g_object_unref (d->self);
  g_free (d->card);
  g_free (d);
}

static void
consume_done (PosForm    *form,
              JsonObject *r,
              gpointer    user_data)
{
  ConsumeDone *d = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PosPackageLot) left = pos_package_use_parse (r, &error);
  g_autofree char *msg = NULL;

  /* The use is written whatever its answer says. */
  if (left == NULL)
    g_warning ("%s", error->message);
  msg = g_strdup_printf (_("Used %" PRId64 " of %s; %" PRId64 " left"), d->count,
                         left ? (left->name ? left->name : left->sku) : "", left ? left->remaining : 0);
  pos_toast (GTK_WIDGET (d->self), msg);
  pos_printer_print_result (GTK_WIDGET (d->self), d->self->session, _("Package Use"), r);
  pos_members_show_member (d->self, d->card, NULL);
}

static gboolean
consume_accepted (PosForm *form,
                  gpointer user_data)
{
  PosMembers *self = user_data;
  g_autoptr(JsonObject) args = json_object_new ();
  ConsumeDone *done;
  guint64 count;

  if (!g_ascii_string_to_unsigned (pos_form_get (form, "count"), 10, 1, 1000, &count, NULL))
    {
      pos_form_set_error (form, _("Type how many uses, from 1"));
      return FALSE;
    }
  done = g_new0 (ConsumeDone, 1);
  done->self = g_object_ref (self);
  done->card = g_strdup (pos_members_get_card (self));
  done->count = (gint64) count;
  json_object_set_string_member (args, "card", done->card);
  json_object_set_string_member (args, "sku", pos_form_get (form, "sku"));
  json_object_set_int_member (args, "count", (gint64) count);
  /* Who served (the technician), when not the cashier. */
  if (*pos_form_get (form, "staff"))
    json_object_set_string_member (args, "staff", pos_form_get (form, "staff"));
  /* At a linked branch head office is asked first: the form waits for it. */
  pos_form_run_op (form, self->session, "package.consume", args, consume_done, done,
                   (GDestroyNotify) consume_done_free);
  return FALSE;
}

void
pos_members_use_package (PosMembers *self,
                 const char *sku)
{
  GPtrArray *list = self->member ? self->member->packages : NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  PosForm *form;
  guint sel = 0;

  if (list == NULL || list->len == 0)
    {
      pos_toast (GTK_WIDGET (self), _("This member has no package uses"));
      return;
    }
  for (guint i = 0; i < list->len; i++)
    {
      PosPackageLot *p = g_ptr_array_index (list, i);

      if (g_strcmp0 (sku, p->sku) == 0)
        sel = i;
      g_ptr_array_add (ids, g_strdup (p->sku));
      g_ptr_array_add (labels, g_strdup_printf (_("%s (%" PRId64 " left)"), p->name ? p->name : p->sku,
                                                p->remaining));
    }
  g_ptr_array_add (ids, NULL);
  g_ptr_array_add (labels, NULL);
  form = pos_form_new (GTK_WIDGET (self), _("Use Package"), _("_Use"));
  pos_form_set_body (form, self->member->name);
  pos_form_add_choice (form, "sku", _("Service"), (const char *const *) ids->pdata,
                       (const char *const *) labels->pdata, sel);
  pos_form_add_field (form, "count", _("Uses"), POS_FIELD_NUMBER, "1");
  {
    g_autoptr(GError) error = NULL;

    if (!pos_form_add_staff_choice (form, self->session, "staff", NULL, &error))
      {
        gtk_window_destroy (GTK_WINDOW (form));
        pos_show_error (GTK_WIDGET (self), _("Use Package"), error);
        return;
      }
  }
  pos_form_run (form, consume_accepted, self, NULL);
}

static void
consume_action (GtkWidget *widget, const char *name, GVariant *param)
{
  pos_members_use_package (POS_MEMBERS (widget), NULL);
}

/* Issuing a card and its printable QR card. */

static void
save_png_response (GtkNativeDialog *dialog,
                   int              response,
                   gpointer         user_data)
{
  char *src = user_data;

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) dest = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autoptr(GFile) from = g_file_new_for_path (src);
      g_autoptr(GError) error = NULL;

      if (!g_file_copy (from, dest, G_FILE_COPY_OVERWRITE, NULL, NULL, NULL, &error))
        g_warning ("%s", error->message);
    }
  g_free (src);
  g_object_unref (dialog);
}

static void
save_png_clicked (GtkButton *button,
                  GtkWidget *window)
{
  const char *png = g_object_get_data (G_OBJECT (window), "png");
  const char *card = g_object_get_data (G_OBJECT (window), "card");
  GtkFileChooserNative *chooser = gtk_file_chooser_native_new (_("Save Member Card"), GTK_WINDOW (window),
                                                               GTK_FILE_CHOOSER_ACTION_SAVE, _("_Save"), _("_Cancel"));
  g_autofree char *name = g_strdup_printf ("%s.png", card);

  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), name);
  g_signal_connect (chooser, "response", G_CALLBACK (save_png_response), g_strdup (png));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
card_draw_page (GtkPrintOperation *op,
                GtkPrintContext   *context,
                int                page,
                GtkWidget         *window)
{
  cairo_t *cr = gtk_print_context_get_cairo_context (context);
  PosCardInfo info = {
    g_object_get_data (G_OBJECT (window), "shop"),
    g_object_get_data (G_OBJECT (window), "name"),
    g_object_get_data (G_OBJECT (window), "level"),
    g_object_get_data (G_OBJECT (window), "card"),
    g_object_get_data (G_OBJECT (window), "qr-png"),
  };
  /* ID-1 size: 85.6 mm at the printer's resolution. */
  double width = 85.6 / 25.4 * gtk_print_context_get_dpi_x (context);

  pos_card_draw (cr, width, &info);
}

static void
print_card_clicked (GtkButton *button,
                    GtkWidget *window)
{
  g_autoptr(GtkPrintOperation) op = gtk_print_operation_new ();

  gtk_print_operation_set_n_pages (op, 1);
  g_signal_connect (op, "draw-page", G_CALLBACK (card_draw_page), window);
  gtk_print_operation_run (op, GTK_PRINT_OPERATION_ACTION_PRINT_DIALOG, GTK_WINDOW (window), NULL);
}

static void
show_card_dialog (PosMembers *self,
                  const char *card,
                  const char *name)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (g_get_user_cache_dir (), "mendian", NULL);
  g_autofree char *file = g_strdup_printf ("qr-%s.png", card);
  g_autofree char *qr_png = g_build_filename (dir, file, NULL);
  g_autofree char *card_file = g_strdup_printf ("card-%s.png", card);
  g_autofree char *png = g_build_filename (dir, card_file, NULL);
  MdnStore *store = pos_session_get_store (self->session);
  const char *level = self->member && g_strcmp0 (self->member->card_no, card) == 0 ? self->member->level_name : NULL;
  PosCardInfo info = { store->branch_name, name, level, card, qr_png };
  PosForm *form;
  GtkWidget *picture, *box, *save, *print, *label;
  g_autofree char *text = NULL;

  g_mkdir_with_parents (dir, 0700);
  json_object_set_string_member (args, "card", card);
  json_object_set_string_member (args, "png", qr_png);
  r = pos_session_run (self->session, "member.qr", args, &error);
  /* The printable card: shop, member, level, card number and the QR. */
  if (r == NULL || !pos_card_write_png (&info, png, &error))
    {
      pos_show_error (GTK_WIDGET (self), _("QR Card Not Made"), error);
      return;
    }
  form = pos_form_new (GTK_WIDGET (self), _("Member Card"), _("_Done"));
  /* Nothing to cancel: the card is issued; Done (or Esc) closes. */
  pos_form_set_info_only (form);
  text = g_strdup_printf (_("%s · card %s. The member scans this QR code at any branch."), name, card);
  pos_form_set_body (form, text);
  picture = gtk_picture_new_for_filename (png);
  gtk_widget_set_size_request (picture, 381, 240);
  gtk_picture_set_can_shrink (GTK_PICTURE (picture), TRUE);
  box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 12);
  gtk_widget_set_halign (box, GTK_ALIGN_CENTER);
  save = gtk_button_new_with_mnemonic (_("Save as _Image…"));
  print = gtk_button_new_with_mnemonic (_("_Print…"));
  gtk_box_append (GTK_BOX (box), save);
  gtk_box_append (GTK_BOX (box), print);
  label = gtk_label_new (card);
  gtk_widget_add_css_class (label, "title-2");
  pos_form_add_widget (form, box);
  pos_form_add_widget (form, label);
  pos_form_add_widget (form, picture);
  g_object_set_data_full (G_OBJECT (form), "png", g_strdup (png), g_free);
  g_object_set_data_full (G_OBJECT (form), "card", g_strdup (card), g_free);
  g_object_set_data_full (G_OBJECT (form), "name", g_strdup (name), g_free);
  g_object_set_data_full (G_OBJECT (form), "shop", g_strdup (store->branch_name), g_free);
  g_object_set_data_full (G_OBJECT (form), "level", g_strdup (level), g_free);
  g_object_set_data_full (G_OBJECT (form), "qr-png", g_strdup (qr_png), g_free);
  g_signal_connect (save, "clicked", G_CALLBACK (save_png_clicked), form);
  g_signal_connect (print, "clicked", G_CALLBACK (print_card_clicked), form);
  pos_form_run (form, NULL, NULL, NULL);
}

static void
print_card_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosMembers *self = POS_MEMBERS (widget);

  if (self->member)
    show_card_dialog (self, pos_members_get_card (self), self->member->name);
}

static gboolean
issue_accepted (PosForm *form,
                gpointer user_data)
{
  PosMembers *self = user_data;
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(GError) error = NULL;
  gint64 deposit = 0;
  g_autofree char *card = NULL;

  json_object_set_string_member (args, "name", pos_form_get (form, "name"));
  json_object_set_string_member (args, "phone", pos_form_get (form, "phone"));
  json_object_set_string_member (args, "level", pos_form_get (form, "level"));
  if (*pos_form_get (form, "pin"))
    json_object_set_string_member (args, "pin", pos_form_get (form, "pin"));
  {
    g_autofree char *birthday = g_strstrip (g_strdup (pos_form_get (form, "birthday")));
    g_autofree char *expires = g_strstrip (g_strdup (pos_form_get (form, "expires_on")));

    if (*birthday)
      json_object_set_string_member (args, g_str_equal (pos_form_get (form, "calendar"), "lunar")
                                           ? "birthday_lunar" : "birthday", birthday);
    if (*expires)
      json_object_set_string_member (args, "expires_on", expires);
  }
  if (!pos_form_get_money (form, "deposit", &deposit))
    return FALSE;
  if (deposit > 0)
    {
      json_object_set_int_member (args, "deposit_fen", deposit);
      json_object_set_string_member (args, "tender", pos_form_get (form, "tender"));
    }
  /* Who served (the technician): the issue's and its deposit's commission. */
  if (*pos_form_get (form, "staff"))
    json_object_set_string_member (args, "staff", pos_form_get (form, "staff"));
  r = pos_session_run (self->session, "member.issue", args, &error);
  if (r == NULL)
    {
      g_autofree char *hint = pos_error_dup_hint (error);
      pos_form_set_error (form, hint);
      return FALSE;
    }
  if (deposit > 0)
    pos_printer_print_result (GTK_WIDGET (self), self->session, _("Deposit Receipt"), r);
  card = pos_new_card_parse (r, &error);
  if (card == NULL)
    {
      /* The card is issued whatever its answer says. */
      g_warning ("%s", error->message);
      return TRUE;
    }
  pos_members_show_member (self, card, NULL);
  show_card_dialog (self, card, pos_form_get (form, "name"));
  return TRUE;
}

static void
issue_deposit_preview (PosForm *form)
{
  PosMembers *self = g_object_get_data (G_OBJECT (form), "members");
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(GError) error = NULL;
  gint64 amount, bonus = 0;

  if (!pos_parse_money (pos_form_get (form, "deposit"), &amount) || amount <= 0)
    {
      pos_form_set_hint (form, NULL);
      return;
    }
  json_object_set_int_member (args, "amount_fen", amount);
  r = pos_session_run (self->session, "deposit.preview", args, NULL);
  if (r && !pos_deposit_bonus_parse (r, &bonus, &error))
    {
      g_warning ("%s", error->message);
      bonus = 0;
    }
  if (r && bonus > 0)
    {
      g_autofree char *b = pos_money (bonus);
      g_autofree char *t = pos_money (amount + bonus);
      g_autofree char *markup = g_strdup_printf (_("Bonus %s: the card gets %s"), b, t);
      pos_form_set_hint (form, markup);
    }
  else
    pos_form_set_hint (form, NULL);
}

static void
issue_action (GtkWidget *widget, const char *name, GVariant *param)
{
  static const char *const calendar_ids[] = { "solar", "lunar", NULL };
  const char *calendar_labels[] = { _("Solar (Gregorian)"), _("Lunar (Chinese calendar)"), NULL };
  PosMembers *self = POS_MEMBERS (widget);
  PosForm *form = pos_form_new (widget, _("Issue a Card"), _("_Issue"));
  g_auto(GStrv) labels = NULL;
  g_auto(GStrv) ids = load_levels (self, &labels);
  const char *tender_labels[] = { _("Cash"), _("Bank card"), _("WeChat Pay"), _("Alipay"), NULL };
  GtkWidget *dep;

  pos_form_add_field (form, "name", _("Name"), POS_FIELD_TEXT, NULL);
  pos_form_add_field (form, "phone", _("Phone"), POS_FIELD_NUMBER, NULL);
  pos_form_add_choice (form, "level", _("Level"), (const char *const *) ids, (const char *const *) labels, 0);
  /* The birthday as the member keeps it: solar (阳历) or lunar (阴历). */
  pos_form_add_choice (form, "calendar", _("Birthday calendar"), calendar_ids, calendar_labels, 0);
  pos_form_add_field (form, "birthday", _("Birthday (optional: 1990-08-15; lunar 08-15, leap month L04-15)"),
                      POS_FIELD_TEXT, NULL);
  pos_form_add_field (form, "expires_on", _("Valid until (optional, YYYY-MM-DD)"), POS_FIELD_DATE, NULL);
  pos_form_add_field (form, "pin", _("Payment PIN (optional)"), POS_FIELD_PASSWORD, NULL);
  dep = pos_form_add_field (form, "deposit", _("First deposit (yuan, optional)"), POS_FIELD_MONEY, NULL);
  pos_form_add_choice (form, "tender", _("Paid by"), tender_ids, tender_labels, 0);
  {
    g_autoptr(GError) error = NULL;

    if (!pos_form_add_staff_choice (form, self->session, "staff", NULL, &error))
      {
        gtk_window_destroy (GTK_WINDOW (form));
        pos_show_error (widget, _("Issue a Card"), error);
        return;
      }
  }
  g_object_set_data (G_OBJECT (form), "members", self);
  g_signal_connect_swapped (dep, "changed", G_CALLBACK (issue_deposit_preview), form);
  pos_form_run (form, issue_accepted, self, NULL);
}

static void
sell_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosMembers *self = POS_MEMBERS (widget);
  PosWindow *win = pos_window_from_widget (widget);
  g_autoptr(GError) error = NULL;
  g_autofree char *card = g_strdup (pos_members_get_card (self));

  if (win == NULL || card == NULL)
    return;
  if (!pos_checkout_attach_member (POS_CHECKOUT (pos_window_get_checkout (win)), card, &error))
    {
      pos_show_error (widget, _("Member Not Attached"), error);
      return;
    }
  pos_window_show_page (win, "checkout");
}

/* 修改会员资料: the System page's member form (pos-admin.c). */
static void
edit_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosMembers *self = POS_MEMBERS (widget);
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) m = NULL;
  g_autoptr(GError) error = NULL;

  if (self->member == NULL)
    return;
  json_object_set_string_member (args, "card", pos_members_get_card (self));
  m = pos_session_run (self->session, "member.show", args, &error);
  if (m == NULL)
    {
      pos_show_error (widget, _("Not done"), error);
      return;
    }
  pos_member_edit_form (widget, self->session, m);
}

static void
search_focus_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosMembers *self = POS_MEMBERS (widget);

  gtk_widget_grab_focus (self->search_entry);
  gtk_editable_select_region (GTK_EDITABLE (self->search_entry), 0, -1);
}

/* Installing -------------------------------------------------------------- */

void
pos_members_class_add_actions (GtkWidgetClass *wc)
{
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    gtk_widget_class_install_action (wc, jobs[i].action, NULL, job_action);
  gtk_widget_class_install_action (wc, "member.issue", NULL, issue_action);
  gtk_widget_class_install_action (wc, "member.consume", NULL, consume_action);
  gtk_widget_class_install_action (wc, "member.print-card", NULL, print_card_action);
  gtk_widget_class_install_action (wc, "member.sell", NULL, sell_action);
  gtk_widget_class_install_action (wc, "member.edit", NULL, edit_action);
  gtk_widget_class_install_action (wc, "member.search", NULL, search_focus_action);
  gtk_widget_class_install_action (wc, "member.reminders", NULL, pos_members_reminders_action);
  gtk_widget_class_install_action (wc, "member.import", NULL, pos_members_import_action);
  gtk_widget_class_install_action (wc, "member.filter", NULL, pos_members_filter_action);
  gtk_widget_class_install_action (wc, "member.messages", NULL, pos_members_messages_action);
  gtk_widget_class_install_action (wc, "member.sms-prefs", NULL, pos_members_sms_prefs_action);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_r, GDK_CONTROL_MASK, "member.reminders", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_n, GDK_CONTROL_MASK, "member.issue", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_d, GDK_CONTROL_MASK, "member.deposit", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_u, GDK_CONTROL_MASK, "member.consume", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_f, GDK_CONTROL_MASK, "member.search", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_Return, GDK_CONTROL_MASK, "member.sell", NULL);
}

void
pos_members_add_action_buttons (PosMembers *self)
{
  self->buttons = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < G_N_ELEMENTS (jobs); i++)
    {
      GtkWidget *b = gtk_button_new_with_label (_(jobs[i].button));

      gtk_actionable_set_action_name (GTK_ACTIONABLE (b), jobs[i].action);
      if (g_str_equal (jobs[i].action, "member.deposit"))
        gtk_widget_add_css_class (b, "suggested-action");
      gtk_flow_box_append (GTK_FLOW_BOX (self->actions_box), b);
      g_hash_table_insert (self->buttons, (gpointer) jobs[i].action, b);
    }
  {
    GtkWidget *b = gtk_button_new_with_label (_("Use Package"));
    gtk_actionable_set_action_name (GTK_ACTIONABLE (b), "member.consume");
    gtk_flow_box_append (GTK_FLOW_BOX (self->actions_box), b);
    b = gtk_button_new_with_label (_("QR Card"));
    gtk_actionable_set_action_name (GTK_ACTIONABLE (b), "member.print-card");
    gtk_flow_box_append (GTK_FLOW_BOX (self->actions_box), b);
    b = gtk_button_new_with_label (_("SMS Choices"));
    gtk_actionable_set_action_name (GTK_ACTIONABLE (b), "member.sms-prefs");
    gtk_flow_box_append (GTK_FLOW_BOX (self->actions_box), b);
  }
}
