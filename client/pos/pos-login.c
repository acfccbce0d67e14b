/* pos-login.c */
#define G_LOG_DOMAIN "pos-login"

#include <glib/gi18n.h>

#include "pos-login.h"

struct _PosLogin
{
  AdwBin      parent_instance;
  PosSession *session;
  GtkWidget  *window_title;
  GtkWidget  *status;
  GtkWidget  *staff_row;
  GtkWidget  *password_row;
  GtkWidget  *error_label;
};

G_DEFINE_FINAL_TYPE (PosLogin, pos_login, ADW_TYPE_BIN)

void
pos_login_submit (PosLogin   *self,
                  const char *staff,
                  const char *password)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *code = g_strstrip (g_strdup (staff));

  if (*code == '\0')
    {
      gtk_label_set_text (GTK_LABEL (self->error_label), _("Type your staff code"));
      gtk_widget_set_visible (self->error_label, TRUE);
      gtk_widget_grab_focus (self->staff_row);
      return;
    }
  if (!pos_session_login (self->session, code, password, &error))
    {
      gtk_label_set_text (GTK_LABEL (self->error_label), error->message);
      gtk_widget_set_visible (self->error_label, TRUE);
      gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
      gtk_widget_grab_focus (self->password_row);
      gtk_widget_error_bell (GTK_WIDGET (self));
      return;
    }
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  gtk_widget_set_visible (self->error_label, FALSE);
}

static void
submit_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosLogin *self = POS_LOGIN (widget);

  pos_login_submit (self, gtk_editable_get_text (GTK_EDITABLE (self->staff_row)),
                    gtk_editable_get_text (GTK_EDITABLE (self->password_row)));
}

static void
staff_activated (PosLogin *self)
{
  gtk_widget_grab_focus (self->password_row);
}

static void
password_activated (PosLogin *self)
{
  gtk_widget_activate_action (GTK_WIDGET (self), "login.submit", NULL);
}

static void
pos_login_dispose (GObject *object)
{
  PosLogin *self = POS_LOGIN (object);

  g_clear_object (&self->session);
  gtk_widget_dispose_template (GTK_WIDGET (self), POS_TYPE_LOGIN);
  G_OBJECT_CLASS (pos_login_parent_class)->dispose (object);
}

static void
pos_login_class_init (PosLoginClass *klass)
{
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);

  pos_ensure_resources ();
  G_OBJECT_CLASS (klass)->dispose = pos_login_dispose;
  gtk_widget_class_set_template_from_resource (wc, "/org/mendian/Pos/pos-login.ui");
  gtk_widget_class_bind_template_child (wc, PosLogin, window_title);
  gtk_widget_class_bind_template_child (wc, PosLogin, status);
  gtk_widget_class_bind_template_child (wc, PosLogin, staff_row);
  gtk_widget_class_bind_template_child (wc, PosLogin, password_row);
  gtk_widget_class_bind_template_child (wc, PosLogin, error_label);
  gtk_widget_class_install_action (wc, "login.submit", NULL, submit_action);
}

static void
pos_login_init (PosLogin *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect_swapped (self->staff_row, "entry-activated", G_CALLBACK (staff_activated), self);
  g_signal_connect_swapped (self->password_row, "entry-activated", G_CALLBACK (password_activated), self);
}

void
pos_login_set_session (PosLogin   *self,
                       PosSession *session)
{
  g_set_object (&self->session, session);
}

const char *
pos_login_get_message (PosLogin *self)
{
  g_return_val_if_fail (POS_IS_LOGIN (self), NULL);

  return adw_status_page_get_description (ADW_STATUS_PAGE (self->status));
}

void
pos_login_reset (PosLogin   *self,
                 const char *locked_by,
                 const char *locked_name)
{
  MdnStore *store = pos_session_get_store (self->session);

  if (store)
    {
      g_autofree char *sub = g_strdup_printf ("%s (%s)", store->branch_name, store->branch_code);
      adw_window_title_set_subtitle (ADW_WINDOW_TITLE (self->window_title), sub);
    }
  gtk_widget_set_visible (self->error_label, FALSE);
  gtk_editable_set_text (GTK_EDITABLE (self->password_row), "");
  if (locked_by)
    {
      g_autofree char *desc = g_strdup_printf (_("Locked by %s. Type the password to go on, "
                                                 "or another staff code to switch cashier."),
                                               locked_name ? locked_name : locked_by);
      adw_status_page_set_title (ADW_STATUS_PAGE (self->status), _("Screen Locked"));
      adw_status_page_set_description (ADW_STATUS_PAGE (self->status), desc);
      gtk_editable_set_text (GTK_EDITABLE (self->staff_row), locked_by);
      gtk_widget_grab_focus (self->password_row);
    }
  else
    {
      adw_status_page_set_title (ADW_STATUS_PAGE (self->status), _("Log In"));
      adw_status_page_set_description (ADW_STATUS_PAGE (self->status),
                                       _("Type your staff code and password."));
      gtk_editable_set_text (GTK_EDITABLE (self->staff_row), "");
      gtk_widget_grab_focus (self->staff_row);
    }
}
