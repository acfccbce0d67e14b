/* pos-window.c: set-up, login and the five counter pages. */
#define G_LOG_DOMAIN "pos-window"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "mdn-error.h"
#include "mdn-sync.h"
#include "pos-checkout.h"
#include "pos-admin.h"
#include "pos-dayend.h"
#include "pos-reports.h"
#include "pos-forms.h"
#include "pos-login.h"
#include "pos-members.h"
#include "pos-printer.h"
#include "pos-returns.h"
#include "pos-setup.h"
#include "pos-stock.h"
#include "pos-timed.h"
#include "pos-views.h"
#include "pos-window.h"

struct _PosWindow
{
  AdwApplicationWindow parent_instance;

  PosSession *session;
  char       *locked_by;
  char       *locked_name;   /* the name of who locked the screen */
  guint       sync_timer;
  gboolean    syncing;
  gboolean    sync_again;    /* linked anew while a sync was running */
  const char *sync_state;    /* standalone | connecting | online | offline */
  GCancellable *cancellable;
  GDateTime  *last_sync;
  GDateTime  *offline_since;
  char       *sync_error;
  char       *last_toast;

  GtkWidget  *stack;
  GtkWidget  *setup;
  GtkWidget  *login;
  GtkWidget  *switcher;
  GtkWidget  *menu_button;
  GtkWidget  *sync_button;
  GtkWidget  *sync_icon;
  GtkWidget  *sync_label;
  GtkWidget  *sync_detail;
  GtkWidget  *staff_label;
  GtkWidget  *toasts;
  GtkWidget  *view_stack;
  GtkWidget  *checkout;
  GtkWidget  *members;
  GtkWidget  *timed;
  GtkWidget  *returns;
  GtkWidget  *dayend;
  GtkWidget  *admin;
  GtkWidget  *stock;
  GtkWidget  *reports;
};

G_DEFINE_FINAL_TYPE (PosWindow, pos_window, ADW_TYPE_APPLICATION_WINDOW)

PosWindow *
pos_window_from_widget (GtkWidget *widget)
{
  GtkRoot *root = widget ? gtk_widget_get_root (widget) : NULL;

  while (root && !POS_IS_WINDOW (root) && GTK_IS_WINDOW (root))
    {
      GtkWindow *parent = gtk_window_get_transient_for (GTK_WINDOW (root));
      root = parent ? GTK_ROOT (parent) : NULL;
    }
  return POS_IS_WINDOW (root) ? POS_WINDOW (root) : NULL;
}

PosSession *
pos_window_get_session (PosWindow *self)
{
  return self->session;
}

void
pos_window_toast_full (PosWindow        *self,
                       const char       *message,
                       AdwToastPriority  priority,
                       guint             timeout_s)
{
  AdwToast *toast = adw_toast_new (message);

  g_free (self->last_toast);
  self->last_toast = g_strdup (message);
  adw_toast_set_timeout (toast, timeout_s);
  adw_toast_set_priority (toast, priority);
  adw_toast_overlay_add_toast (ADW_TOAST_OVERLAY (self->toasts), toast);
}

void
pos_window_toast (PosWindow  *self,
                  const char *message)
{
  pos_window_toast_full (self, message, ADW_TOAST_PRIORITY_NORMAL, 4);
}

static void
page_shown (PosWindow *self)
{
  const char *name = adw_view_stack_get_visible_child_name (ADW_VIEW_STACK (self->view_stack));

  if (!pos_session_is_logged_in (self->session))
    return;
  if (g_strcmp0 (name, "checkout") == 0)
    pos_checkout_shown (POS_CHECKOUT (self->checkout));
  else if (g_strcmp0 (name, "members") == 0)
    pos_members_shown (POS_MEMBERS (self->members));
  else if (g_strcmp0 (name, "timed") == 0)
    pos_timed_shown (POS_TIMED (self->timed));
  else if (g_strcmp0 (name, "returns") == 0)
    pos_returns_shown (POS_RETURNS (self->returns));
  else if (g_strcmp0 (name, "dayend") == 0)
    pos_day_end_shown (POS_DAY_END (self->dayend));
  else if (g_strcmp0 (name, "admin") == 0)
    pos_admin_shown (POS_ADMIN (self->admin));
  else if (g_strcmp0 (name, "stock") == 0)
    pos_stock_shown (POS_STOCK (self->stock));
  else if (g_strcmp0 (name, "reports") == 0)
    pos_reports_shown (POS_REPORTS (self->reports));
}

void
pos_window_show_page (PosWindow  *self,
                      const char *name)
{
  if (g_strcmp0 (adw_view_stack_get_visible_child_name (ADW_VIEW_STACK (self->view_stack)), name) == 0)
    page_shown (self);
  else
    adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (self->view_stack), name);
}

const char *
pos_window_get_page (PosWindow *self)
{
  if (!g_str_equal (gtk_stack_get_visible_child_name (GTK_STACK (self->stack)), "main"))
    return gtk_stack_get_visible_child_name (GTK_STACK (self->stack));
  return adw_view_stack_get_visible_child_name (ADW_VIEW_STACK (self->view_stack));
}

GtkWidget *pos_window_get_checkout (PosWindow *self) { return self->checkout; }
GtkWidget *pos_window_get_members (PosWindow *self) { return self->members; }
GtkWidget *pos_window_get_timed (PosWindow *self) { return self->timed; }
GtkWidget *pos_window_get_returns (PosWindow *self) { return self->returns; }
GtkWidget *pos_window_get_dayend (PosWindow *self) { return self->dayend; }
GtkWidget *pos_window_get_stock (PosWindow *self) { return self->stock; }
GtkWidget *pos_window_get_reports (PosWindow *self) { return self->reports; }
GtkWidget *pos_window_get_login (PosWindow *self) { return self->login; }
GtkWidget *pos_window_get_setup (PosWindow *self) { return self->setup; }

/* Sync status ------------------------------------------------------------ */

static char *
clock_text (GDateTime *t)
{
  g_autoptr(GDateTime) local = g_date_time_to_local (t);

  return g_date_time_format (local, "%H:%M");
}

/* sync.status, or NULL if it can't be had now. */
static PosSyncStatus *
sync_status (PosWindow *self)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) result = NULL;
  g_autoptr(GError) error = NULL;
  PosSyncStatus *status;

  result = pos_session_run (self->session, "sync.status", args, &error);
  if (result == NULL)
    {
      g_debug ("sync.status: %s", error->message);
      return NULL;
    }
  status = pos_sync_status_parse (result, &error);
  if (status == NULL)
    g_warning ("%s", error->message);
  return status;
}

static void
show_sync (PosWindow *self)
{
  g_autoptr(PosSyncStatus) backlog = NULL;
  gint64 waiting;
  g_autofree char *detail = NULL;

  if (!pos_session_is_logged_in (self->session))
    return;
  backlog = sync_status (self);
  if (backlog == NULL || !backlog->linked)
    {
      gtk_image_set_from_icon_name (GTK_IMAGE (self->sync_icon), "network-offline-symbolic");
      gtk_label_set_text (GTK_LABEL (self->sync_label), _("Standalone"));
      self->sync_state = "standalone";
      gtk_label_set_text (GTK_LABEL (self->sync_detail),
                          _("This counter is not linked to a head-office server. "
                            "Everything is kept here and is sent once it is linked."));
      return;
    }
  waiting = backlog->waiting;
  if (self->sync_error == NULL && self->last_sync == NULL)
    {
      gtk_image_set_from_icon_name (GTK_IMAGE (self->sync_icon), "network-idle-symbolic");
      gtk_label_set_text (GTK_LABEL (self->sync_label), _("Connecting…"));
      self->sync_state = "connecting";
      detail = g_strdup_printf (_("Linked to %s; connecting to head office. %" PRId64 " entries waiting."),
                                backlog->server, waiting);
    }
  else if (self->sync_error == NULL)
    {
      g_autofree char *at = clock_text (self->last_sync);
      g_autofree char *label = waiting ? g_strdup_printf (_("Online · %" PRId64 " waiting"), waiting)
                                       : g_strdup (_("Online"));

      gtk_image_set_from_icon_name (GTK_IMAGE (self->sync_icon), "network-transmit-receive-symbolic");
      gtk_label_set_text (GTK_LABEL (self->sync_label), label);
      self->sync_state = "online";
      detail = g_strdup_printf (_("Linked to %s. Last synced at %s; %" PRId64 " entries waiting."),
                                backlog->server, at, waiting);
    }
  else
    {
      g_autofree char *since = self->offline_since ? clock_text (self->offline_since) : g_strdup ("—");
      g_autofree char *label = g_strdup_printf (_("Offline since %s · %" PRId64 " waiting"), since, waiting);

      gtk_image_set_from_icon_name (GTK_IMAGE (self->sync_icon), "network-offline-symbolic");
      gtk_label_set_text (GTK_LABEL (self->sync_label), label);
      self->sync_state = "offline";
      detail = g_strdup_printf (_("Head office (%s) can't be reached: %s\nSelling goes on: the %" PRId64
                                  " entries waiting are sent when the server answers. Member balances "
                                  "can be spent offline only up to each card's offline allowance."),
                                backlog->server,
                                self->sync_error ? self->sync_error : _("not tried yet"), waiting);
    }
  gtk_label_set_text (GTK_LABEL (self->sync_detail), detail);
}

static gboolean update_sync (gpointer user_data);

static void
sync_done (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  g_autoptr(PosWindow) self = user_data;
  g_autoptr(GError) error = NULL;
  MdnSyncResult out = { 0 };

  self->syncing = FALSE;
  if (g_cancellable_is_cancelled (self->cancellable))
    return;
  if (self->sync_again)
    {
      /* The server changed while this sync ran: its outcome is stale. */
      self->sync_again = FALSE;
      update_sync (self);
      return;
    }
  if (mdn_sync_run_finish (result, &out, &error))
    {
      MdnStore *store = pos_session_get_store (self->session);
      g_autoptr(GError) key_error = NULL;

      /* The worker may have taken the chain key from the server (a branch
         set up without it): QR cards are checked with it from now on. */
      if (store && !mdn_store_reload_chain_key (store, &key_error))
        g_warning ("%s", key_error->message);
      g_clear_pointer (&self->sync_error, g_free);
      g_clear_pointer (&self->offline_since, g_date_time_unref);
      g_clear_pointer (&self->last_sync, g_date_time_unref);
      self->last_sync = g_date_time_new_now_utc ();
      if (out.pulled > 0)
        g_signal_emit_by_name (self->session, "ledger-changed", "sync");
    }
  else
    {
      g_free (self->sync_error);
      self->sync_error = g_strdup (error->message);
      if (self->offline_since == NULL)
        self->offline_since = g_date_time_new_now_utc ();
    }
  show_sync (self);
}

/* Sync runs in a worker with its own connection: the counter never waits. */
static gboolean
update_sync (gpointer user_data)
{
  PosWindow *self = user_data;
  g_autoptr(PosSyncStatus) backlog = NULL;

  show_sync (self);
  if (self->syncing || !pos_session_is_logged_in (self->session))
    return G_SOURCE_CONTINUE;
  backlog = sync_status (self);
  if (backlog && backlog->linked)
    {
      self->syncing = TRUE;
      mdn_sync_run_async (pos_session_get_path (self->session), self->cancellable,
                          sync_done, g_object_ref (self));
    }
  return G_SOURCE_CONTINUE;
}

const char *
pos_window_get_sync_status (PosWindow *self)
{
  return gtk_label_get_text (GTK_LABEL (self->sync_label));
}

/* The last toast shown (for the tests). */
const char *
pos_window_get_last_toast (PosWindow *self)
{
  return self->last_toast;
}

const char *
pos_window_get_sync_state (PosWindow *self)
{
  return self->sync_state ? self->sync_state : "standalone";
}

/* Server link (admin) ------------------------------------------------------ */

static gboolean
link_accepted (PosForm *form,
               gpointer user_data)
{
  PosWindow *self = user_data;
  g_autofree char *url = g_strstrip (g_strdup (pos_form_get (form, "url")));
  g_autofree char *token = g_strstrip (g_strdup (pos_form_get (form, "token")));
  g_autofree char *pin = g_strstrip (g_strdup (pos_form_get (form, "pin")));
  g_autofree char *message = NULL;
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(PosSyncStatus) status = NULL;
  g_autoptr(JsonObject) linked = NULL;
  g_autoptr(GError) error = NULL;

  if (*url == '\0')
    {
      pos_form_set_error (form, _("Type the server's address, like https://hq.example.com:8443/"));
      return FALSE;
    }
  json_object_set_string_member (args, "server", url);
  /* Empty keeps the token this counter already has. */
  if (*token != '\0')
    json_object_set_string_member (args, "token", token);
  if (*pin != '\0')
    json_object_set_string_member (args, "pin_sha256", pin);
  else
    {
      /* A CA file set with mendian-cli link --ca stays. */
      status = sync_status (self);
      if (status && status->ca)
        json_object_set_string_member (args, "ca", status->ca);
    }
  /* Only an administrator may: common/ checks the role again, so a staff
     member demoted meanwhile is refused here too. */
  linked = pos_session_run (self->session, "sync.link", args, &error);
  if (linked == NULL)
    {
      g_autofree char *hint = pos_error_dup_hint (error);

      pos_form_set_error (form, hint);
      return FALSE;
    }
  /* What was known about the old link no longer holds. */
  g_clear_pointer (&self->sync_error, g_free);
  g_clear_pointer (&self->offline_since, g_date_time_unref);
  g_clear_pointer (&self->last_sync, g_date_time_unref);
  self->sync_again = self->syncing;
  update_sync (self);
  message = g_strdup_printf (_("Linked to %s; syncing now"), url);
  pos_window_toast (self, message);
  return TRUE;
}

static void
link_action (GtkWidget  *widget,
             const char *name,
             GVariant   *param)
{
  PosWindow *self = POS_WINDOW (widget);
  MdnStore *store = pos_session_get_store (self->session);
  g_autoptr(PosSyncStatus) status = NULL;
  const char *url, *pin;
  g_autofree char *body = NULL;
  PosForm *form;

  if (store == NULL || !pos_session_can (self->session, "sync.link"))
    return;
  status = sync_status (self);
  url = status ? status->server : NULL;
  pin = status ? status->pin_sha256 : NULL;
  if (url)
    body = g_strdup_printf (_("This counter (%s, %s) sends its sales to %s and receives the chain's "
                              "members, products and prices from it. Change the address or the token "
                              "here; leave the token empty to keep the current one."),
                            store->branch_code, store->branch_name, url);
  else
    body = g_strdup_printf (_("This counter (%s, %s) works alone. Link it to the head-office server "
                              "with the branch token printed by “mendian-server branch add”: its sales "
                              "are sent there, and the chain's members, products and prices come here."),
                            store->branch_code, store->branch_name);
  form = pos_form_new (widget, _("Head-Office Server"), _("_Link"));
  pos_form_set_body (form, body);
  pos_form_add_field (form, "url", _("Server address (https://…)"), POS_FIELD_TEXT, url ? url : "");
  pos_form_add_field (form, "token", _("Branch token"), POS_FIELD_PASSWORD, "");
  pos_form_add_field (form, "pin", _("Certificate pin (SHA-256, optional)"), POS_FIELD_TEXT, pin ? pin : "");
  pos_form_run (form, link_accepted, g_object_ref (self), g_object_unref);
}

/* Login state ------------------------------------------------------------ */

static void
refresh_staff (PosWindow *self)
{
  MdnStore *store = pos_session_get_store (self->session);
  const char *staff = pos_session_get_staff (self->session);

  if (staff && store)
    {
      g_autoptr(JsonObject) args = json_object_new ();
      g_autoptr(JsonObject) me = pos_session_run (self->session, "staff.me", args, NULL);
      g_autoptr(GError) error = NULL;
      g_autofree char *name = me ? pos_staff_name_parse (me, &error) : NULL;
      g_autofree char *text = NULL;

      if (me && name == NULL)
        g_warning ("%s", error->message);
      text = g_strdup_printf ("%s · %s", store->branch_name, name ? name : staff);

      gtk_label_set_text (GTK_LABEL (self->staff_label), text);
      gtk_widget_set_tooltip_text (self->staff_label, staff);
    }
}

static void
login_changed (PosWindow *self)
{
  gboolean in = pos_session_is_logged_in (self->session);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "pos.lock", in);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "pos.switch-cashier", in);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "pos.page", in);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "pos.link", in && pos_session_can (self->session, "sync.link"));
  if (in)
    {
      /* Logged in at a locked till: the log's unlock (who, by the row). */
      if (self->locked_by != NULL)
        pos_session_log_event (self->session, "unlock");
      g_clear_pointer (&self->locked_by, g_free);
  g_clear_pointer (&self->locked_name, g_free);
      refresh_staff (self);
      update_sync (self);
      pos_members_refresh_reminders (POS_MEMBERS (self->members));
      gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "main");
      page_shown (self);
    }
}

static void
go_login (PosWindow *self)
{
  pos_login_reset (POS_LOGIN (self->login), self->locked_by, self->locked_name);
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "login");
  pos_login_reset (POS_LOGIN (self->login), self->locked_by, self->locked_name);
}

static void
setup_done (PosWindow *self)
{
  go_login (self);
}

static void
lock_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosWindow *self = POS_WINDOW (widget);

  g_free (self->locked_by);
  self->locked_by = g_strdup (pos_session_get_staff (self->session));
  g_free (self->locked_name);
  self->locked_name = g_strdup (pos_session_get_staff_name (self->session));
  pos_session_log_event (self->session, "lock");
  pos_session_logout (self->session);
  go_login (self);
}

static void
switch_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosWindow *self = POS_WINDOW (widget);

  g_clear_pointer (&self->locked_by, g_free);
  g_clear_pointer (&self->locked_name, g_free);
  pos_session_log_event (self->session, "switch");
  pos_session_logout (self->session);
  go_login (self);
}

static void
page_action (GtkWidget *widget, const char *name, GVariant *param)
{
  pos_window_show_page (POS_WINDOW (widget), g_variant_get_string (param, NULL));
}

static void
fullscreen_action (GtkWidget *widget, const char *name, GVariant *param)
{
  if (gtk_window_is_fullscreen (GTK_WINDOW (widget)))
    gtk_window_unfullscreen (GTK_WINDOW (widget));
  else
    gtk_window_fullscreen (GTK_WINDOW (widget));
}

static void
printer_action (GtkWidget *widget, const char *name, GVariant *param)
{
  pos_printer_show_settings (widget, POS_WINDOW (widget)->session);
}

static void
view_changed (PosWindow *self)
{
  page_shown (self);
}

static void
pos_window_dispose (GObject *object)
{
  PosWindow *self = POS_WINDOW (object);

  g_clear_handle_id (&self->sync_timer, g_source_remove);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->last_sync, g_date_time_unref);
  g_clear_pointer (&self->offline_since, g_date_time_unref);
  g_clear_pointer (&self->sync_error, g_free);
  g_clear_pointer (&self->last_toast, g_free);
  if (self->session)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_clear_object (&self->session);
  g_clear_pointer (&self->locked_by, g_free);
  g_clear_pointer (&self->locked_name, g_free);
  /* The switchers let go of the stack before it goes. */
  if (self->switcher)
    {
      adw_view_switcher_set_stack (ADW_VIEW_SWITCHER (self->switcher), NULL);
    }
  gtk_widget_dispose_template (GTK_WIDGET (self), POS_TYPE_WINDOW);
  G_OBJECT_CLASS (pos_window_parent_class)->dispose (object);
}

static void
pos_window_class_init (PosWindowClass *klass)
{
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);
  static const struct { guint key; const char *page; } pages[] = {
    { GDK_KEY_F5, "checkout" }, { GDK_KEY_F6, "members" }, { GDK_KEY_F7, "timed" },
    { GDK_KEY_F8, "returns" }, { GDK_KEY_F9, "dayend" },
  };

  pos_ensure_resources ();
  g_type_ensure (POS_TYPE_SETUP);
  g_type_ensure (POS_TYPE_LOGIN);
  g_type_ensure (POS_TYPE_CHECKOUT);
  g_type_ensure (POS_TYPE_MEMBERS);
  g_type_ensure (POS_TYPE_TIMED);
  g_type_ensure (POS_TYPE_RETURNS);
  g_type_ensure (POS_TYPE_DAY_END);
  g_type_ensure (POS_TYPE_ADMIN);
  g_type_ensure (POS_TYPE_STOCK);
  g_type_ensure (POS_TYPE_REPORTS);

  G_OBJECT_CLASS (klass)->dispose = pos_window_dispose;
  gtk_widget_class_set_template_from_resource (wc, "/org/mendian/Pos/pos-window.ui");
  gtk_widget_class_bind_template_child (wc, PosWindow, stack);
  gtk_widget_class_bind_template_child (wc, PosWindow, setup);
  gtk_widget_class_bind_template_child (wc, PosWindow, login);
  gtk_widget_class_bind_template_child (wc, PosWindow, switcher);
  gtk_widget_class_bind_template_child (wc, PosWindow, menu_button);
  gtk_widget_class_bind_template_child (wc, PosWindow, sync_button);
  gtk_widget_class_bind_template_child (wc, PosWindow, sync_icon);
  gtk_widget_class_bind_template_child (wc, PosWindow, sync_label);
  gtk_widget_class_bind_template_child (wc, PosWindow, sync_detail);
  gtk_widget_class_bind_template_child (wc, PosWindow, staff_label);
  gtk_widget_class_bind_template_child (wc, PosWindow, toasts);
  gtk_widget_class_bind_template_child (wc, PosWindow, view_stack);
  gtk_widget_class_bind_template_child (wc, PosWindow, checkout);
  gtk_widget_class_bind_template_child (wc, PosWindow, members);
  gtk_widget_class_bind_template_child (wc, PosWindow, timed);
  gtk_widget_class_bind_template_child (wc, PosWindow, returns);
  gtk_widget_class_bind_template_child (wc, PosWindow, dayend);
  gtk_widget_class_bind_template_child (wc, PosWindow, admin);
  gtk_widget_class_bind_template_child (wc, PosWindow, stock);
  gtk_widget_class_bind_template_child (wc, PosWindow, reports);

  gtk_widget_class_install_action (wc, "pos.lock", NULL, lock_action);
  gtk_widget_class_install_action (wc, "pos.switch-cashier", NULL, switch_action);
  gtk_widget_class_install_action (wc, "pos.page", "s", page_action);
  gtk_widget_class_install_action (wc, "pos.fullscreen", NULL, fullscreen_action);
  gtk_widget_class_install_action (wc, "pos.printer", NULL, printer_action);
  gtk_widget_class_install_action (wc, "pos.link", NULL, link_action);

  gtk_widget_class_add_binding_action (wc, GDK_KEY_l, GDK_CONTROL_MASK, "pos.lock", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_l, GDK_CONTROL_MASK | GDK_SHIFT_MASK,
                                       "pos.switch-cashier", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_F11, 0, "pos.fullscreen", NULL);
  for (guint i = 0; i < G_N_ELEMENTS (pages); i++)
    {
      gtk_widget_class_add_binding_action (wc, pages[i].key, 0, "pos.page", "s", pages[i].page);
      gtk_widget_class_add_binding_action (wc, GDK_KEY_1 + i, GDK_ALT_MASK, "pos.page", "s", pages[i].page);
    }
  /* Reports: no function key is free; Alt+6 after the five pages. */
  gtk_widget_class_add_binding_action (wc, GDK_KEY_1 + G_N_ELEMENTS (pages), GDK_ALT_MASK, "pos.page", "s", "reports");
}

/* The header's tooltips on one line: GTK's own tooltip label wraps, and
 * wraps Chinese (no spaces) a character a line in the header's corner. */
static gboolean
one_line_tooltip (GtkWidget  *widget,
                  int         x,
                  int         y,
                  gboolean    keyboard,
                  GtkTooltip *tooltip,
                  gpointer    user_data)
{
  const char *text = gtk_widget_get_tooltip_text (widget);
  GtkWidget *label;

  if (text == NULL || *text == '\0')
    return FALSE;
  label = gtk_label_new (text);
  gtk_label_set_wrap (GTK_LABEL (label), FALSE);
  gtk_label_set_single_line_mode (GTK_LABEL (label), TRUE);
  gtk_tooltip_set_custom (tooltip, label);
  return TRUE;
}

static void
pos_window_init (PosWindow *self)
{
  pos_ensure_style ();
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->setup, "done", G_CALLBACK (setup_done), self);
  g_signal_connect_swapped (self->view_stack, "notify::visible-child", G_CALLBACK (view_changed), self);
  g_signal_connect (self->menu_button, "query-tooltip", G_CALLBACK (one_line_tooltip), NULL);
  g_signal_connect (self->sync_button, "query-tooltip", G_CALLBACK (one_line_tooltip), NULL);
  g_signal_connect (self->staff_label, "query-tooltip", G_CALLBACK (one_line_tooltip), NULL);
}

PosWindow *
pos_window_new (GtkApplication *app,
                PosSession     *session,
                const char     *db_path)
{
  PosWindow *self = g_object_new (POS_TYPE_WINDOW, "application", app, NULL);
  g_autoptr(GError) error = NULL;

  self->session = g_object_ref (session);
  g_signal_connect_swapped (session, "login-changed", G_CALLBACK (login_changed), self);
  pos_setup_set_session (POS_SETUP (self->setup), session, db_path);
  pos_login_set_session (POS_LOGIN (self->login), session);
  pos_checkout_set_session (POS_CHECKOUT (self->checkout), session);
  pos_members_set_session (POS_MEMBERS (self->members), session);
  pos_timed_set_session (POS_TIMED (self->timed), session);
  pos_returns_set_session (POS_RETURNS (self->returns), session);
  pos_day_end_set_session (POS_DAY_END (self->dayend), session);
  pos_admin_set_session (POS_ADMIN (self->admin), session);
  pos_stock_set_session (POS_STOCK (self->stock), session);
  pos_reports_set_session (POS_REPORTS (self->reports), session);
  login_changed (self);

  self->sync_timer = g_timeout_add_seconds (15, update_sync, self);

  if (db_path && pos_session_open (session, db_path, &error))
    go_login (self);
  else
    {
      gtk_stack_set_visible_child_name (GTK_STACK (self->stack), "setup");
      if (error && !g_error_matches (error, MDN_ERROR, MDN_ERROR_NOT_INITIALIZED))
        pos_setup_set_message (POS_SETUP (self->setup), error->message);
    }
  return self;
}
