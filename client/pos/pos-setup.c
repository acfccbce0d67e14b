/* pos-setup.c */
#define G_LOG_DOMAIN "pos-setup"

#include <glib/gi18n.h>

#include "mdn-sync.h"
#include "pos-forms.h"
#include "pos-setup.h"

struct _PosSetup
{
  AdwBin      parent_instance;
  PosSession *session;
  GtkWidget  *path_row;
  GtkWidget  *message_label;
  GtkWidget  *code_row;
  GtkWidget  *name_row;
  GtkWidget  *number_row;
  GtkWidget  *hq_switch;
  GtkWidget  *password_row;
  GtkWidget  *password2_row;
  GtkWidget  *url_row;
  GtkWidget  *token_row;
  GtkWidget  *pin_row;
};

G_DEFINE_FINAL_TYPE (PosSetup, pos_setup, ADW_TYPE_BIN)

enum { SIGNAL_DONE, N_SIGNALS };
static guint signals[N_SIGNALS];

static const char *
text_of (GtkWidget *row)
{
  return gtk_editable_get_text (GTK_EDITABLE (row));
}

void
pos_setup_set_message (PosSetup   *self,
                       const char *message)
{
  gtk_label_set_text (GTK_LABEL (self->message_label), message ? message : "");
  gtk_widget_set_visible (self->message_label, message && *message);
}

static gboolean
save_link (PosSetup *self,
           GError  **error)
{
  /* Copies: the rows own their text (a pasted token may carry blanks). */
  g_autofree char *url = g_strstrip (g_strdup (text_of (self->url_row)));
  g_autofree char *token = g_strstrip (g_strdup (text_of (self->token_row)));
  g_autofree char *pin = g_strstrip (g_strdup (text_of (self->pin_row)));
  gboolean ok;

  if (*url == '\0')
    return TRUE;
  if (!g_str_has_prefix (url, "https://") && !g_str_has_prefix (url, "http://"))
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("The server address must start with https://"));
      return FALSE;
    }
  /* Kept in the branch database (0600), where the sync worker reads it;
     the token goes no further than this process. */
  ok = mdn_sync_link (pos_session_get_store (self->session), url, token, NULL,
                      *pin ? pin : NULL, error);
  if (ok)
    gtk_editable_set_text (GTK_EDITABLE (self->token_row), "");
  return ok;
}

static void
open_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosSetup *self = POS_SETUP (widget);
  g_autoptr(GError) error = NULL;

  if (!pos_session_open (self->session, text_of (self->path_row), &error))
    {
      pos_setup_set_message (self, error->message);
      return;
    }
  pos_session_set_setting (self->session, "database", text_of (self->path_row), NULL);
  g_signal_emit (self, signals[SIGNAL_DONE], 0);
}

static void
create_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosSetup *self = POS_SETUP (widget);
  g_autoptr(GError) error = NULL;
  MdnStoreInit init = { 0 };
  const char *number = text_of (self->number_row);
  guint64 n = 0;

  if (!g_str_equal (text_of (self->password_row), text_of (self->password2_row)))
    {
      pos_setup_set_message (self, _("The two passwords differ; type them again"));
      gtk_widget_grab_focus (self->password_row);
      return;
    }
  if (!g_ascii_string_to_unsigned (number, 10, 0, 999, &n, NULL))
    {
      pos_setup_set_message (self, _("The branch number must be a number from 0 to 999"));
      gtk_widget_grab_focus (self->number_row);
      return;
    }
  init.branch_code = text_of (self->code_row);
  init.branch_name = text_of (self->name_row);
  init.branch_number = (int) n;
  init.hq = gtk_switch_get_active (GTK_SWITCH (self->hq_switch));
  init.admin_password = text_of (self->password_row);
  if (*init.branch_name == '\0')
    {
      pos_setup_set_message (self, _("Give the branch a name"));
      gtk_widget_grab_focus (self->name_row);
      return;
    }
  if (!pos_session_create (self->session, text_of (self->path_row), &init, &error) ||
      !save_link (self, &error))
    {
      pos_setup_set_message (self, error->message);
      return;
    }
  pos_session_set_setting (self->session, "database", text_of (self->path_row), NULL);
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  gtk_editable_set_text (GTK_EDITABLE (self->password2_row), "");
  g_signal_emit (self, signals[SIGNAL_DONE], 0);
}

static void
pos_setup_dispose (GObject *object)
{
  PosSetup *self = POS_SETUP (object);

  g_clear_object (&self->session);
  gtk_widget_dispose_template (GTK_WIDGET (self), POS_TYPE_SETUP);
  G_OBJECT_CLASS (pos_setup_parent_class)->dispose (object);
}

static void
pos_setup_class_init (PosSetupClass *klass)
{
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);

  pos_ensure_resources ();
  G_OBJECT_CLASS (klass)->dispose = pos_setup_dispose;
  signals[SIGNAL_DONE] = g_signal_new ("done", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                                       0, NULL, NULL, NULL, G_TYPE_NONE, 0);
  gtk_widget_class_set_template_from_resource (wc, "/org/mendian/Pos/pos-setup.ui");
  gtk_widget_class_bind_template_child (wc, PosSetup, path_row);
  gtk_widget_class_bind_template_child (wc, PosSetup, message_label);
  gtk_widget_class_bind_template_child (wc, PosSetup, code_row);
  gtk_widget_class_bind_template_child (wc, PosSetup, name_row);
  gtk_widget_class_bind_template_child (wc, PosSetup, number_row);
  gtk_widget_class_bind_template_child (wc, PosSetup, hq_switch);
  gtk_widget_class_bind_template_child (wc, PosSetup, password_row);
  gtk_widget_class_bind_template_child (wc, PosSetup, password2_row);
  gtk_widget_class_bind_template_child (wc, PosSetup, url_row);
  gtk_widget_class_bind_template_child (wc, PosSetup, token_row);
  gtk_widget_class_bind_template_child (wc, PosSetup, pin_row);
  gtk_widget_class_install_action (wc, "setup.create", NULL, create_action);
  gtk_widget_class_install_action (wc, "setup.open", NULL, open_action);
}

static void
pos_setup_init (PosSetup *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

void
pos_setup_set_session (PosSetup   *self,
                       PosSession *session,
                       const char *db_path)
{
  g_set_object (&self->session, session);
  gtk_editable_set_text (GTK_EDITABLE (self->path_row), db_path ? db_path : "");
}
