/* pos-timed.c: the timed consumption board: every resource a tile, free
 * or running with its elapsed time and current charge, updated live. */
#define G_LOG_DOMAIN "pos-timed"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-money.h"
#include "pos-forms.h"
#include "pos-member-view.h"
#include "pos-pay-dialog.h"
#include "pos-printer.h"
#include "pos-timed.h"
#include "pos-views.h"

struct _PosTimed
{
  AdwBin      parent_instance;

  PosSession *session;
  GPtrArray  *resources;     /* of PosResource */
  GPtrArray  *sessions;      /* of PosTimedSession */
  guint       tick_id;
  guint       ticks;
  GHashTable *warned;        /* session ids warned of their prepaid end */

  GtkWidget  *stack;
  GtkWidget  *board;
};

G_DEFINE_FINAL_TYPE (PosTimed, pos_timed, ADW_TYPE_BIN)

static PosTimedSession *
session_for (PosTimed   *self,
             const char *resource)
{
  for (guint i = 0; self->sessions && i < self->sessions->len; i++)
    {
      PosTimedSession *s = g_ptr_array_index (self->sessions, i);

      if (g_strcmp0 (s->resource, resource) == 0)
        return s;
    }
  return NULL;
}

static char *
elapsed_text (const char *started_at)
{
  g_autoptr(GDateTime) start = mdn_clock_parse (started_at);
  g_autoptr(GDateTime) now = mdn_clock_now ();
  gint64 s;

  if (start == NULL)
    return g_strdup ("");
  s = MAX (g_date_time_difference (now, start) / G_TIME_SPAN_SECOND, 0);
  return g_strdup_printf ("%" PRId64 ":%02d:%02d", s / 3600, (int) (s / 60 % 60), (int) (s % 60));
}

/* "0:25:00" left of a prepaid session, "+0:03:10" in overtime. */
static char *
countdown_text (gint64 left)
{
  gint64 s = ABS (left);

  return g_strdup_printf ("%s%" PRId64 ":%02d:%02d", left < 0 ? "+" : "", s / 3600, (int) (s / 60 % 60), (int) (s % 60));
}

static GtkWidget *
tile_new (PosTimed    *self,
          PosResource *resource)
{
  const char *code = resource->code;
  PosTimedSession *s = session_for (self, code);
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 4);
  GtkWidget *name = gtk_label_new (resource->name);
  GtkWidget *state, *elapsed, *charge;

  gtk_widget_add_css_class (box, "card");
  gtk_widget_add_css_class (box, "tile");
  gtk_widget_add_css_class (name, "tile-name");
  gtk_label_set_xalign (GTK_LABEL (name), 0);
  gtk_box_append (GTK_BOX (box), name);
  if (s)
    {
      /* The clock shows the time that ran: from a start moved on by the
         pauses, standing still while paused. */
      g_autoptr(GDateTime) now = mdn_clock_now ();
      g_autoptr(GDateTime) from = g_date_time_add_seconds (now, (gdouble) -s->run_seconds);
      g_autofree char *run_start = mdn_clock_format (from);
      g_autofree char *e = elapsed_text (run_start);
      g_autofree char *money = pos_money (s->charge_fen);
      g_autofree char *c = s->items > 0 ? g_strdup_printf (_("%s · %" PRId64 " items"), money, s->items)
                           : g_strdup (money);
      const char *card = s->card_no;
      const char *member = s->member_name;
      gboolean prepaid = s->prepaid_minutes >= 0;
      g_autofree char *who = s->paused ? (member ? g_strdup_printf (_("Paused · %s"), member) : g_strdup (_("Paused")))
                             : prepaid && s->remaining_seconds < 0 ? g_strdup (_("Prepaid time is up"))
                             : prepaid && s->ending ? g_strdup (_("Prepaid · ending soon"))
                             : prepaid ? (member ? g_strdup_printf (_("Prepaid · %s"), member) : g_strdup (_("Prepaid")))
                             : member ? g_strdup_printf (_("Running · %s"), member)
                             : card ? g_strdup_printf (_("Running · card %s"), card)
                             : g_strdup (_("Running"));

      /* 预付计时 counts down to the end it was paid for. */
      if (prepaid)
        {
          g_clear_pointer (&e, g_free);
          e = countdown_text (s->remaining_seconds);
        }

      gtk_widget_add_css_class (box, "running");
      state = gtk_label_new (who);
      gtk_widget_add_css_class (state, prepaid && s->ending ? "warning" : "accent");
      if (prepaid && s->ending)
        gtk_widget_add_css_class (box, "ending");
      elapsed = gtk_label_new (e);
      gtk_widget_add_css_class (elapsed, "title-2");
      gtk_widget_add_css_class (elapsed, "numeric");
      charge = gtk_label_new (c);
      gtk_widget_add_css_class (charge, "tile-charge");
      gtk_widget_add_css_class (charge, "numeric");
      if (!s->paused && prepaid)
        {
          g_autoptr(GDateTime) end = g_date_time_add_seconds (now, (gdouble) s->remaining_seconds);

          g_object_set_data_full (G_OBJECT (elapsed), "ends", mdn_clock_format (end), g_free);
        }
      else if (!s->paused)
        g_object_set_data_full (G_OBJECT (elapsed), "started", g_strdup (run_start), g_free);
      g_object_set_data (G_OBJECT (box), "elapsed", elapsed);
    }
  else
    {
      state = gtk_label_new (_("Free"));
      gtk_widget_add_css_class (state, "success");
      elapsed = gtk_label_new ("—");
      gtk_widget_add_css_class (elapsed, "title-2");
      gtk_widget_add_css_class (elapsed, "dim-label");
      charge = gtk_label_new (resource->plan_name);
      gtk_widget_add_css_class (charge, "dim-label");
    }
  gtk_label_set_xalign (GTK_LABEL (state), 0);
  gtk_label_set_xalign (GTK_LABEL (elapsed), 0);
  gtk_label_set_xalign (GTK_LABEL (charge), 1);
  gtk_widget_set_vexpand (charge, TRUE);
  gtk_widget_set_valign (charge, GTK_ALIGN_END);
  gtk_box_append (GTK_BOX (box), state);
  gtk_box_append (GTK_BOX (box), elapsed);
  gtk_box_append (GTK_BOX (box), charge);
  g_object_set_data_full (G_OBJECT (box), "code", g_strdup (code), g_free);
  g_object_set_data (G_OBJECT (box), "state", state);
  return box;
}

static void
reload (PosTimed *self)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) res = NULL;
  g_autoptr(JsonObject) ses = NULL;
  g_autoptr(GPtrArray) resources = NULL;
  g_autoptr(GPtrArray) sessions = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *child;
  int selected = -1;
  GList *sel;

  if (!pos_session_is_logged_in (self->session))
    return;
  sel = gtk_flow_box_get_selected_children (GTK_FLOW_BOX (self->board));
  if (sel)
    selected = gtk_flow_box_child_get_index (sel->data);
  g_list_free (sel);

  res = pos_session_run (self->session, "resource.list", args, &error);
  if (res)
    resources = pos_resource_list_parse (res, &error);
  if (resources)
    ses = pos_session_run (self->session, "timed.list", args, &error);
  if (ses)
    sessions = pos_timed_list_parse (ses, &error);
  g_clear_pointer (&self->resources, g_ptr_array_unref);
  g_clear_pointer (&self->sessions, g_ptr_array_unref);
  if (sessions == NULL)
    {
      g_autofree char *hint = pos_error_dup_hint (error);
      g_warning ("%s", hint);
      gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "empty");
      return;
    }
  self->resources = g_steal_pointer (&resources);
  self->sessions = g_steal_pointer (&sessions);
  while ((child = gtk_widget_get_first_child (self->board)))
    gtk_flow_box_remove (GTK_FLOW_BOX (self->board), child);
  for (guint i = 0; i < self->resources->len; i++)
    gtk_flow_box_append (GTK_FLOW_BOX (self->board),
                         tile_new (self, g_ptr_array_index (self->resources, i)));
  /* A prepaid table near its end: the cashier is told once. */
  for (guint i = 0; i < self->sessions->len; i++)
    {
      PosTimedSession *s = g_ptr_array_index (self->sessions, i);

      if (s->prepaid_minutes >= 0 && s->ending && !g_hash_table_contains (self->warned, s->session_id))
        {
          const char *name = s->resource;
          g_autofree char *msg = NULL;

          for (guint j = 0; j < self->resources->len; j++)
            if (g_str_equal (((PosResource *) g_ptr_array_index (self->resources, j))->code, s->resource))
              name = ((PosResource *) g_ptr_array_index (self->resources, j))->name;
          msg = s->remaining_seconds > 0
                ? g_strdup_printf (_("%s: prepaid time ends in %" PRId64 " min; extend it (Ctrl+E) or stop it"),
                                   name, mdn_div_ceil (s->remaining_seconds, 60))
                : g_strdup_printf (_("%s: prepaid time is up; the overtime is billed at the stop"), name);
          g_hash_table_add (self->warned, g_strdup (s->session_id));
          pos_toast (GTK_WIDGET (self), msg);
        }
    }
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack),
                                    self->resources->len ? "board" : "empty");
  if (selected >= 0)
    {
      GtkFlowBoxChild *c = gtk_flow_box_get_child_at_index (GTK_FLOW_BOX (self->board), selected);
      if (c)
        gtk_flow_box_select_child (GTK_FLOW_BOX (self->board), c);
    }
}

/* Elapsed time every second; charges from timed.list every five. */
static gboolean
tick (gpointer user_data)
{
  PosTimed *self = user_data;

  if (++self->ticks % 5 == 0)
    {
      reload (self);
      return G_SOURCE_CONTINUE;
    }
  for (GtkWidget *c = gtk_widget_get_first_child (self->board); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *tile = gtk_flow_box_child_get_child (GTK_FLOW_BOX_CHILD (c));
      GtkWidget *elapsed = g_object_get_data (G_OBJECT (tile), "elapsed");

      if (elapsed && g_object_get_data (G_OBJECT (elapsed), "started"))
        {
          g_autofree char *e = elapsed_text (g_object_get_data (G_OBJECT (elapsed), "started"));
          gtk_label_set_text (GTK_LABEL (elapsed), e);
        }
      else if (elapsed && g_object_get_data (G_OBJECT (elapsed), "ends"))
        {
          g_autoptr(GDateTime) end = mdn_clock_parse (g_object_get_data (G_OBJECT (elapsed), "ends"));
          g_autoptr(GDateTime) now = mdn_clock_now ();
          g_autofree char *e = end ? countdown_text (g_date_time_difference (end, now) / G_TIME_SPAN_SECOND) : NULL;

          if (e)
            gtk_label_set_text (GTK_LABEL (elapsed), e);
        }
    }
  return G_SOURCE_CONTINUE;
}

/* Start ------------------------------------------------------------------ */

static void prepay (PosTimed *self, JsonObject *args, const char *code);

static gboolean
start_accepted (PosForm *form,
                gpointer user_data)
{
  PosTimed *self = user_data;
  const char *code = g_object_get_data (G_OBJECT (form), "code");
  /* A copy: the entry row owns its text (an empty one is a string GTK
     keeps in read-only memory). */
  g_autofree char *card = g_strstrip (g_strdup (pos_form_get (form, "card")));
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(GError) error = NULL;

  json_object_set_string_member (args, "resource", code);
  if (*card)
    json_object_set_string_member (args, "card", card);
  {
    g_autofree char *minutes = g_strstrip (g_strdup (pos_form_get (form, "minutes")));

    /* 预付计时: paid now, counted down. */
    if (*minutes && g_strcmp0 (minutes, "0") != 0)
      {
        gint64 n = 0;

        if (!g_ascii_string_to_signed (minutes, 10, 1, 525600, &n, NULL))
          {
            pos_form_set_error (form, _("Prepaid minutes are a whole number, or 0 to bill by the time used"));
            return FALSE;
          }
        json_object_set_int_member (args, "minutes", n);
        prepay (self, args, code);
        return TRUE;
      }
  }
  r = pos_session_run (self->session, "timed.start", args, &error);
  if (r == NULL)
    {
      g_autofree char *hint = pos_error_dup_hint (error);
      pos_form_set_error (form, hint);
      return FALSE;
    }
  reload (self);
  return TRUE;
}

static void
start (PosTimed    *self,
       PosResource *resource)
{
  PosForm *form = pos_form_new (GTK_WIDGET (self), _("Start"), _("_Start"));
  g_autofree char *body = g_strdup_printf (_("%s, billed by plan %s. Scan a member card to bill "
                                             "at the member's price, or leave it empty."),
                                           resource->name, resource->plan_name);

  pos_form_set_body (form, body);
  pos_form_add_field (form, "card", _("Member card (optional)"), POS_FIELD_TEXT, NULL);
  pos_form_add_field (form, "minutes", _("Prepaid minutes (0: bill the time used)"), POS_FIELD_TEXT, "0");
  g_object_set_data_full (G_OBJECT (form), "code", g_strdup (resource->code), g_free);
  pos_form_run (form, start_accepted, self, NULL);
}

/* Prepaid time (预付计时) and its extension ------------------------------------ */

static void
prepaid (JsonObject *result,
         gpointer    user_data)
{
  PosTimed *self = user_data;
  const char *op = json_object_has_member (result, "session_id") && json_object_has_member (result, "started_at")
                   ? "timed.prepay" : "timed.extend";
  g_autoptr(GError) error = NULL;
  g_autoptr(PosPaid) paid = pos_paid_parse (result, op, &error);
  g_autofree char *msg = NULL;

  if (paid == NULL)
    g_warning ("%s", error->message);
  msg = g_strdup_printf (_("Prepaid: %" PRId64 " min in all"), paid ? paid->prepaid_minutes : 0);
  pos_toast (GTK_WIDGET (self), msg);
  pos_printer_print_result (GTK_WIDGET (self), self->session, _("Prepaid Time"), result);
  reload (self);
}

/* Opens the payment of @op (timed.prepay {resource, minutes, card?} or
 * timed.extend {session_id, minutes}) with what it costs. */
static void
pay_time (PosTimed   *self,
          const char *op,
          JsonObject *args,
          const char *card,
          const char *subject)
{
  g_autoptr(JsonObject) probe = json_object_new ();
  g_autoptr(GList) names = json_object_get_members (args);
  g_autoptr(JsonObject) preview = NULL;
  g_autoptr(PosPaid) due = NULL;
  g_autoptr(PosMemberView) member = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *tenders = json_array_new ();
  JsonObject *cash = json_object_new ();
  PosPayDialog *pay;

  for (GList *l = names; l; l = l->next)
    json_object_set_member (probe, l->data, json_node_copy (json_object_get_member (args, l->data)));
  json_object_set_string_member (cash, "type", "cash");
  json_object_set_int_member (cash, "amount_fen", MDN_MONEY_MAX / 1000);
  json_array_add_object_element (tenders, cash);
  json_object_set_array_member (probe, "tenders", tenders);
  preview = pos_session_preview (self->session, op, probe, &error);
  if (preview)
    due = pos_paid_parse (preview, op, &error);
  if (due == NULL)
    {
      pos_show_error (GTK_WIDGET (self), _("The Time Can't Be Sold"), error);
      return;
    }
  if (card)
    {
      g_autoptr(JsonObject) margs = json_object_new ();
      g_autoptr(JsonObject) shown = NULL;

      json_object_set_string_member (margs, "card", card);
      shown = pos_session_run (self->session, "member.show", margs, NULL);
      member = shown ? pos_member_view_parse (shown, NULL) : NULL;
    }
  pay = pos_pay_dialog_new (GTK_WIDGET (self), self->session, op, args, due->total_fen, member, prepaid, self);
  pos_pay_dialog_set_subject (pay, subject);
}

static void
prepay (PosTimed   *self,
        JsonObject *args,
        const char *code)
{
  const char *name = code;
  g_autofree char *subject = NULL;

  for (guint i = 0; self->resources && i < self->resources->len; i++)
    if (g_str_equal (((PosResource *) g_ptr_array_index (self->resources, i))->code, code))
      name = ((PosResource *) g_ptr_array_index (self->resources, i))->name;
  /* "包间1 · 预付 120 分钟" */
  subject = g_strdup_printf (_("%s · prepaid %" PRId64 " min"), name, json_object_get_int_member (args, "minutes"));
  pay_time (self, "timed.prepay", args, json_object_get_string_member_with_default (args, "card", NULL), subject);
}

static gboolean
extend_accepted (PosForm *form,
                 gpointer user_data)
{
  PosTimed *self = user_data;
  PosTimedSession *s = session_for (self, g_object_get_data (G_OBJECT (form), "code"));
  g_autofree char *minutes = g_strstrip (g_strdup (pos_form_get (form, "minutes")));
  g_autoptr(JsonObject) args = json_object_new ();
  g_autofree char *subject = NULL;
  gint64 n = 0;

  if (s == NULL)
    return TRUE;
  if (!g_ascii_string_to_signed (minutes, 10, 1, 525600, &n, NULL))
    {
      pos_form_set_error (form, _("Give the minutes to add, a whole number from 1"));
      return FALSE;
    }
  json_object_set_string_member (args, "session_id", s->session_id);
  json_object_set_int_member (args, "minutes", n);
  subject = g_strdup_printf (_("%s · %" PRId64 " more min (%" PRId64 " in all)"),
                             (const char *) g_object_get_data (G_OBJECT (form), "name"), n, s->prepaid_minutes + n);
  pay_time (self, "timed.extend", args, s->card_no, subject);
  return TRUE;
}

/* Extends the prepaid session on @code (续时, Ctrl+E). */
void
pos_timed_extend_tile (PosTimed   *self,
                       const char *code)
{
  PosTimedSession *s;
  PosForm *form;
  g_autofree char *body = NULL;
  const char *name = code;

  g_return_if_fail (POS_IS_TIMED (self));
  s = session_for (self, code);
  if (s == NULL || s->prepaid_minutes < 0)
    {
      pos_toast (GTK_WIDGET (self), _("Choose a prepaid table to extend"));
      return;
    }
  for (guint i = 0; self->resources && i < self->resources->len; i++)
    if (g_str_equal (((PosResource *) g_ptr_array_index (self->resources, i))->code, code))
      name = ((PosResource *) g_ptr_array_index (self->resources, i))->name;
  form = pos_form_new (GTK_WIDGET (self), _("Extend Prepaid Time"), _("_Extend"));
  body = g_strdup_printf (_("%s is prepaid for %" PRId64 " min. How many minutes more?"), name, s->prepaid_minutes);
  pos_form_set_body (form, body);
  pos_form_add_field (form, "minutes", _("Minutes"), POS_FIELD_TEXT, "60");
  g_object_set_data_full (G_OBJECT (form), "code", g_strdup (code), g_free);
  g_object_set_data_full (G_OBJECT (form), "name", g_strdup (name), g_free);
  pos_form_run (form, extend_accepted, self, NULL);
}

/* Goods on a running table (timed.add) ----------------------------------------- */

static gboolean
add_accepted (PosForm *form,
              gpointer user_data)
{
  PosTimed *self = user_data;
  g_autofree char *sku = g_strstrip (g_strdup (pos_form_get (form, "sku")));
  g_autofree char *qty = g_strstrip (g_strdup (pos_form_get (form, "qty")));
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *msg = NULL;
  gint64 n = 1;

  if (*qty && (!g_ascii_string_to_signed (qty, 10, -1000000, 1000000, &n, NULL) || n == 0))
    {
      pos_form_set_error (form, _("A quantity is a whole number (less than 0 takes some off the table)"));
      return FALSE;
    }
  json_object_set_string_member (args, "session_id", g_object_get_data (G_OBJECT (form), "session"));
  json_object_set_string_member (args, "sku", sku);
  json_object_set_int_member (args, "qty", n);
  r = pos_session_run (self->session, "timed.add", args, &error);
  if (r == NULL)
    {
      g_autofree char *hint = pos_error_dup_hint (error);
      pos_form_set_error (form, hint);
      return FALSE;
    }
  msg = g_strdup_printf (_("%s: %s × %" PRId64 " on the table, billed at the stop"),
                         (const char *) g_object_get_data (G_OBJECT (form), "name"),
                         json_object_get_string_member_with_default (r, "name", sku),
                         json_object_get_int_member_with_default (r, "qty", n));
  pos_toast (GTK_WIDGET (self), msg);
  reload (self);
  return TRUE;
}

/* Adds goods or a service to the running table on @code (F4). */
void
pos_timed_add_tile (PosTimed   *self,
                    const char *code)
{
  PosTimedSession *s;
  PosForm *form;
  g_autofree char *body = NULL;
  const char *name = code;

  g_return_if_fail (POS_IS_TIMED (self));
  s = session_for (self, code);
  if (s == NULL)
    {
      pos_toast (GTK_WIDGET (self), _("Choose a running table to add goods to"));
      return;
    }
  for (guint i = 0; self->resources && i < self->resources->len; i++)
    if (g_str_equal (((PosResource *) g_ptr_array_index (self->resources, i))->code, code))
      name = ((PosResource *) g_ptr_array_index (self->resources, i))->name;
  form = pos_form_new (GTK_WIDGET (self), _("Add to Table"), _("_Add"));
  body = g_strdup_printf (_("Goods and services for %s go on its bill and are paid with the time, "
                            "on one receipt. Scan or type the product."), name);
  pos_form_set_body (form, body);
  pos_form_add_field (form, "sku", _("Product (barcode or code)"), POS_FIELD_TEXT, NULL);
  pos_form_add_field (form, "qty", _("Quantity"), POS_FIELD_TEXT, "1");
  g_object_set_data_full (G_OBJECT (form), "session", g_strdup (s->session_id), g_free);
  g_object_set_data_full (G_OBJECT (form), "name", g_strdup (name), g_free);
  pos_form_run (form, add_accepted, self, NULL);
}

static const char *
selected_code (PosTimed *self)
{
  GList *sel = gtk_flow_box_get_selected_children (GTK_FLOW_BOX (self->board));
  int i = sel ? gtk_flow_box_child_get_index (sel->data) : -1;

  g_list_free (sel);
  if (self->resources && i >= 0 && (guint) i < self->resources->len)
    return ((PosResource *) g_ptr_array_index (self->resources, i))->code;
  return NULL;
}

static void
add_selected_action (GtkWidget *widget, const char *name, GVariant *param)
{
  const char *code = selected_code (POS_TIMED (widget));

  if (code)
    pos_timed_add_tile (POS_TIMED (widget), code);
}

static void
extend_selected_action (GtkWidget *widget, const char *name, GVariant *param)
{
  const char *code = selected_code (POS_TIMED (widget));

  if (code)
    pos_timed_extend_tile (POS_TIMED (widget), code);
}

/* Stop and pay ------------------------------------------------------------ */

static void
stopped (JsonObject *result,
         gpointer    user_data)
{
  PosTimed *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(PosPaid) paid = pos_paid_parse (result, "timed.stop", &error);
  g_autofree char *total = NULL;
  g_autofree char *msg = NULL;

  /* The session is paid whatever its answer says: the board goes on. */
  if (paid == NULL)
    g_warning ("%s", error->message);
  total = pos_money (paid ? paid->total_fen : 0);
  msg = g_strdup_printf (_("Session paid: %s"), total);

  pos_toast (GTK_WIDGET (self), msg);
  pos_printer_print_result (GTK_WIDGET (self), self->session, _("Timed Session"), result);
  reload (self);
}

static void
stop (PosTimed        *self,
      PosTimedSession *s)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) probe = json_object_new ();
  g_autoptr(JsonObject) preview = NULL;
  g_autoptr(PosPaid) due = NULL;
  g_autoptr(PosMemberView) member = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *tenders = json_array_new ();
  JsonObject *cash = json_object_new ();
  const char *card = s->card_no;

  json_object_set_string_member (args, "session_id", s->session_id);
  /* The amount due, from timed.stop itself in a transaction rolled back. */
  json_object_set_string_member (probe, "session_id", s->session_id);
  json_object_set_string_member (cash, "type", "cash");
  json_object_set_int_member (cash, "amount_fen", MDN_MONEY_MAX / 1000);
  json_array_add_object_element (tenders, cash);
  json_object_set_array_member (probe, "tenders", tenders);
  preview = pos_session_preview (self->session, "timed.stop", probe, &error);
  if (preview)
    due = pos_paid_parse (preview, "timed.stop", &error);
  if (due == NULL)
    {
      pos_show_error (GTK_WIDGET (self), _("The Session Can't Be Stopped"), error);
      return;
    }
  if (card)
    {
      g_autoptr(JsonObject) margs = json_object_new ();
      g_autoptr(JsonObject) shown = NULL;

      json_object_set_string_member (margs, "card", card);
      shown = pos_session_run (self->session, "member.show", margs, NULL);
      member = shown ? pos_member_view_parse (shown, &error) : NULL;
      if (shown && member == NULL)
        g_warning ("%s", error->message);
    }
  {
    PosPayDialog *pay = pos_pay_dialog_new (GTK_WIDGET (self), self->session, "timed.stop", args,
                                            due->total_fen, member, stopped, self);
    g_autofree char *from = pos_session_branch_time (self->session, due->started_at);
    g_autofree char *to = pos_session_branch_time (self->session, due->stopped_at);
    g_autofree char *subject = NULL;

    /* "台球 1 号台 · 85 分钟 · 14:00–15:25": which table, for how long. */
    subject = g_strdup_printf (_("%s · %" PRId64 " min · %s–%s"),
                               due->resource_name ? due->resource_name : s->resource, due->minutes,
                               strlen (from) > 11 ? from + 11 : from, strlen (to) > 11 ? to + 11 : to);
    /* What else is on the bill: the goods, the prepaid time. */
    if (due->lines->len > 0)
      {
        g_autofree char *time = pos_money (due->time_fen);
        g_autofree char *more = NULL;
        gint64 items = 0;

        for (guint i = 0; i < due->lines->len; i++)
          items += ((PosSoldLine *) g_ptr_array_index (due->lines, i))->qty;
        more = g_strdup_printf (_("%s · time %s + %" PRId64 " items"), subject, time, items);

        g_free (subject);
        subject = g_steal_pointer (&more);
      }
    if (due->prepaid_minutes >= 0)
      {
        g_autofree char *more = g_strdup_printf (_("%s · %" PRId64 " min prepaid"), subject, due->prepaid_minutes);

        g_free (subject);
        subject = g_steal_pointer (&more);
      }
    pos_pay_dialog_set_subject (pay, subject);
    /* Who served the table (the technician, for commission): Ctrl+T. */
    {
      g_autoptr(GError) staff_error = NULL;

      if (!pos_pay_dialog_add_staff_choice (pay, &staff_error))
        g_warning ("%s", staff_error->message);
    }
  }
}

static void
tile_activated (PosTimed        *self,
                GtkFlowBoxChild *child)
{
  int i = gtk_flow_box_child_get_index (child);
  PosResource *resource;
  PosTimedSession *s;

  if (self->resources == NULL || i < 0 || (guint) i >= self->resources->len)
    return;
  resource = g_ptr_array_index (self->resources, i);
  s = session_for (self, resource->code);
  if (s)
    stop (self, s);
  else
    start (self, resource);
}

/* Change table (换台) ------------------------------------------------------ */

static gboolean
move_accepted (PosForm *form,
               gpointer user_data)
{
  PosTimed *self = user_data;
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *msg = NULL;

  json_object_set_string_member (args, "session_id", g_object_get_data (G_OBJECT (form), "session"));
  json_object_set_string_member (args, "resource", pos_form_get (form, "to"));
  r = pos_session_run (self->session, "timed.move", args, &error);
  if (r == NULL)
    {
      g_autofree char *hint = pos_error_dup_hint (error);
      pos_form_set_error (form, hint);
      return FALSE;
    }
  msg = g_strdup_printf (_("Moved to %s; the time goes on"),
                         json_object_get_string_member_with_default (r, "resource_name", pos_form_get (form, "to")));
  pos_toast (GTK_WIDGET (self), msg);
  reload (self);
  return TRUE;
}

/* Moves the session on @from to a free table the cashier picks. */
static void
move (PosTimed   *self,
      const char *from)
{
  PosTimedSession *s = session_for (self, from);
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GPtrArray) labels = g_ptr_array_new_with_free_func (g_free);
  const char *from_name = from;
  g_autofree char *body = NULL;
  PosForm *form;

  if (s == NULL)
    {
      pos_toast (GTK_WIDGET (self), _("Choose a running table to move"));
      return;
    }
  for (guint i = 0; self->resources && i < self->resources->len; i++)
    {
      PosResource *r = g_ptr_array_index (self->resources, i);

      if (g_str_equal (r->code, from))
        from_name = r->name;
      else if (session_for (self, r->code) == NULL)
        {
          g_ptr_array_add (ids, g_strdup (r->code));
          g_ptr_array_add (labels, g_strdup (r->name));
        }
    }
  if (ids->len == 0)
    {
      pos_toast (GTK_WIDGET (self), _("No table is free to move to"));
      return;
    }
  g_ptr_array_add (ids, NULL);
  g_ptr_array_add (labels, NULL);
  form = pos_form_new (GTK_WIDGET (self), _("Change Table"), _("_Move"));
  body = g_strdup_printf (_("The session on %s moves with its time and price; it is paid where it ends."),
                          from_name);
  pos_form_set_body (form, body);
  pos_form_add_choice (form, "to", _("To"), (const char *const *) ids->pdata,
                       (const char *const *) labels->pdata, 0);
  g_object_set_data_full (G_OBJECT (form), "session", g_strdup (s->session_id), g_free);
  pos_form_run (form, move_accepted, self, NULL);
}

static void
move_selected_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosTimed *self = POS_TIMED (widget);
  GList *sel = gtk_flow_box_get_selected_children (GTK_FLOW_BOX (self->board));
  int i = sel ? gtk_flow_box_child_get_index (sel->data) : -1;

  g_list_free (sel);
  if (self->resources && i >= 0 && (guint) i < self->resources->len)
    move (self, ((PosResource *) g_ptr_array_index (self->resources, i))->code);
}

/* Pauses the session on @code, or resumes it when paused (F3). */
void
pos_timed_pause_tile (PosTimed   *self,
                      const char *code)
{
  PosTimedSession *s;
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) r = NULL;
  g_autoptr(GError) error = NULL;

  g_return_if_fail (POS_IS_TIMED (self));
  s = session_for (self, code);
  if (s == NULL)
    {
      pos_toast (GTK_WIDGET (self), _("Choose a running table to pause"));
      return;
    }
  json_object_set_string_member (args, "session_id", s->session_id);
  r = pos_session_run (self->session, s->paused ? "timed.resume" : "timed.pause", args, &error);
  if (r == NULL)
    {
      pos_show_error (GTK_WIDGET (self), _("The Session Can't Be Paused"), error);
      return;
    }
  pos_toast (GTK_WIDGET (self), s->paused ? _("Resumed: the time goes on") : _("Paused: the time stands still"));
  reload (self);
}

static void
pause_selected_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosTimed *self = POS_TIMED (widget);
  GList *sel = gtk_flow_box_get_selected_children (GTK_FLOW_BOX (self->board));
  int i = sel ? gtk_flow_box_child_get_index (sel->data) : -1;

  g_list_free (sel);
  if (self->resources && i >= 0 && (guint) i < self->resources->len)
    pos_timed_pause_tile (self, ((PosResource *) g_ptr_array_index (self->resources, i))->code);
}

/* Opens the change of table for the session on @code. */
void
pos_timed_move_tile (PosTimed   *self,
                     const char *code)
{
  g_return_if_fail (POS_IS_TIMED (self));

  move (self, code);
}

static void
stop_selected_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosTimed *self = POS_TIMED (widget);
  GList *sel = gtk_flow_box_get_selected_children (GTK_FLOW_BOX (self->board));

  if (sel)
    tile_activated (self, sel->data);
  g_list_free (sel);
}

/* Session ----------------------------------------------------------------- */

static void
mapped (PosTimed *self)
{
  if (self->tick_id == 0)
    self->tick_id = g_timeout_add_seconds (1, tick, self);
}

static void
unmapped (PosTimed *self)
{
  g_clear_handle_id (&self->tick_id, g_source_remove);
}

void
pos_timed_set_session (PosTimed   *self,
                       PosSession *session)
{
  g_set_object (&self->session, session);
}

void
pos_timed_shown (PosTimed *self)
{
  GtkFlowBoxChild *first;

  reload (self);
  first = gtk_flow_box_get_child_at_index (GTK_FLOW_BOX (self->board), 0);
  if (first)
    gtk_widget_grab_focus (GTK_WIDGET (first));
}

guint
pos_timed_get_n_tiles (PosTimed *self)
{
  return self->resources ? self->resources->len : 0;
}

static void
pos_timed_dispose (GObject *object)
{
  PosTimed *self = POS_TIMED (object);

  g_clear_handle_id (&self->tick_id, g_source_remove);
  g_clear_object (&self->session);
  g_clear_pointer (&self->resources, g_ptr_array_unref);
  g_clear_pointer (&self->sessions, g_ptr_array_unref);
  g_clear_pointer (&self->warned, g_hash_table_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), POS_TYPE_TIMED);
  G_OBJECT_CLASS (pos_timed_parent_class)->dispose (object);
}

static void
pos_timed_class_init (PosTimedClass *klass)
{
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);

  pos_ensure_resources ();
  G_OBJECT_CLASS (klass)->dispose = pos_timed_dispose;
  gtk_widget_class_set_template_from_resource (wc, "/org/mendian/Pos/pos-timed.ui");
  gtk_widget_class_bind_template_child (wc, PosTimed, stack);
  gtk_widget_class_bind_template_child (wc, PosTimed, board);
  gtk_widget_class_install_action (wc, "timed.stop-selected", NULL, stop_selected_action);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_F12, 0, "timed.stop-selected", NULL);
  gtk_widget_class_install_action (wc, "timed.move-selected", NULL, move_selected_action);
  gtk_widget_class_install_action (wc, "timed.pause-selected", NULL, pause_selected_action);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_F3, 0, "timed.pause-selected", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_m, GDK_CONTROL_MASK, "timed.move-selected", NULL);
  gtk_widget_class_install_action (wc, "timed.add-selected", NULL, add_selected_action);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_F4, 0, "timed.add-selected", NULL);
  gtk_widget_class_install_action (wc, "timed.extend-selected", NULL, extend_selected_action);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_e, GDK_CONTROL_MASK, "timed.extend-selected", NULL);
}

static void
pos_timed_init (PosTimed *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->warned = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_signal_connect_swapped (self->board, "child-activated", G_CALLBACK (tile_activated), self);
  g_signal_connect_swapped (self, "map", G_CALLBACK (mapped), self);
  g_signal_connect_swapped (self, "unmap", G_CALLBACK (unmapped), self);
}

/* Starts or stops the tile of @code, as a click on it would. */
void
pos_timed_activate_tile (PosTimed   *self,
                         const char *code)
{
  for (guint i = 0; self->resources && i < self->resources->len; i++)
    if (g_strcmp0 (((PosResource *) g_ptr_array_index (self->resources, i))->code, code) == 0)
      tile_activated (self, gtk_flow_box_get_child_at_index (GTK_FLOW_BOX (self->board), i));
}

/* The state line of the tile of @code ("Free", "Running · 张三"), or NULL. */
const char *
pos_timed_get_tile_state (PosTimed   *self,
                          const char *code)
{
  for (GtkWidget *c = gtk_widget_get_first_child (self->board); c; c = gtk_widget_get_next_sibling (c))
    {
      GtkWidget *tile = gtk_flow_box_child_get_child (GTK_FLOW_BOX_CHILD (c));

      if (g_strcmp0 (g_object_get_data (G_OBJECT (tile), "code"), code) == 0)
        return gtk_label_get_text (GTK_LABEL (g_object_get_data (G_OBJECT (tile), "state")));
    }
  return NULL;
}
