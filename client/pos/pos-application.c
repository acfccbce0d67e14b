/* pos-application.c: options, translations and the one window. */
#define G_LOG_DOMAIN "pos-application"

#include <glib/gi18n.h>
#include <locale.h>

#include "mdn-store.h"
#include "mdn-sync.h"
#include "pos-application.h"
#include "pos-backup.h"
#include "pos-window.h"

struct _PosApplication
{
  AdwApplication parent_instance;
  char          *db_path;
  gboolean       fullscreen;
};

G_DEFINE_FINAL_TYPE (PosApplication, pos_application, ADW_TYPE_APPLICATION)

/* The UI follows the system language. Run uninstalled, MENDIAN_LOCALEDIR
 * points at the build tree's locale directory (BUILD/locale, written by
 * po/meson.build), as for mendian-cli and mendian-server. */
void
pos_i18n_init (void)
{
  const char *dir = g_getenv ("MENDIAN_LOCALEDIR");

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, dir && *dir ? dir : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  mdn_branch_init ();
}

char *
pos_default_db_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "mendian", "branch.db", NULL);
}

static void
pos_application_activate (GApplication *app)
{
  PosApplication *self = POS_APPLICATION (app);
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    {
      g_autoptr(PosSession) session = pos_session_new ();

      window = GTK_WINDOW (pos_window_new (GTK_APPLICATION (app), session, self->db_path));
      /* The daily backup while the POS runs (pos-backup.h). */
      pos_backup_schedule (pos_backup_get (session), GTK_WIDGET (window));
      if (self->fullscreen)
        gtk_window_fullscreen (window);
    }
  gtk_window_present (window);
}

static int
pos_application_handle_local_options (GApplication *app,
                                      GVariantDict *options)
{
  PosApplication *self = POS_APPLICATION (app);
  const char *db = NULL;

  if (g_variant_dict_lookup (options, "version", "b", NULL))
    {
      g_print ("mendian-pos %s\n", PACKAGE_VERSION);
      return 0;
    }
  if (g_variant_dict_lookup (options, "db", "^&ay", &db))
    {
      g_free (self->db_path);
      self->db_path = g_canonicalize_filename (db, NULL);
    }
  if (g_variant_dict_lookup (options, "fullscreen", "b", NULL))
    self->fullscreen = TRUE;
  return -1;
}

static void
quit_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  g_application_quit (G_APPLICATION (user_data));
}

static void
about_activated (GSimpleAction *action, GVariant *param, gpointer user_data)
{
  GtkApplication *app = GTK_APPLICATION (user_data);
  GtkWidget *about = adw_about_window_new ();

  adw_about_window_set_application_name (ADW_ABOUT_WINDOW (about), _("Mendian POS"));
  adw_about_window_set_application_icon (ADW_ABOUT_WINDOW (about), "org.mendian.Pos");
  adw_about_window_set_version (ADW_ABOUT_WINDOW (about), PACKAGE_VERSION);
  adw_about_window_set_comments (ADW_ABOUT_WINDOW (about),
                                 _("Point of sale and membership for chain stores"));
  adw_about_window_set_license_type (ADW_ABOUT_WINDOW (about), GTK_LICENSE_GPL_3_0);
  gtk_window_set_transient_for (GTK_WINDOW (about), gtk_application_get_active_window (app));
  gtk_window_present (GTK_WINDOW (about));
}

static void
pos_application_startup (GApplication *app)
{
  static const GActionEntry entries[] = {
    { "quit", quit_activated },
    { "about", about_activated },
  };
  static const char *quit_accels[] = { "<Control>q", NULL };
  static const char *help_accels[] = { "F1", "<Control>question", NULL };

  pos_ensure_resources ();
  G_APPLICATION_CLASS (pos_application_parent_class)->startup (app);
  g_action_map_add_action_entries (G_ACTION_MAP (app), entries, G_N_ELEMENTS (entries), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "win.show-help-overlay", help_accels);
}

static void
pos_application_finalize (GObject *object)
{
  PosApplication *self = POS_APPLICATION (object);

  g_free (self->db_path);
  G_OBJECT_CLASS (pos_application_parent_class)->finalize (object);
}

static void
pos_application_class_init (PosApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  G_OBJECT_CLASS (klass)->finalize = pos_application_finalize;
  app_class->activate = pos_application_activate;
  app_class->startup = pos_application_startup;
  app_class->handle_local_options = pos_application_handle_local_options;
}

static void
pos_application_init (PosApplication *self)
{
  static const GOptionEntry options[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, NULL, N_("Branch database file"), N_("FILE") },
    { "fullscreen", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Start full screen"), NULL },
    { "version", 0, 0, G_OPTION_ARG_NONE, NULL, N_("Show the version"), NULL },
    { NULL }
  };

  self->db_path = pos_default_db_path ();
  g_application_add_main_option_entries (G_APPLICATION (self), options);
}

PosApplication *
pos_application_new (void)
{
  return g_object_new (POS_TYPE_APPLICATION,
                       "application-id", "org.mendian.Pos",
                       "flags", G_APPLICATION_NON_UNIQUE,
                       "resource-base-path", "/org/mendian/Pos",
                       NULL);
}
