/* mdn-init.c */
#include <glib/gi18n-lib.h>
#include <locale.h>
#include <sodium.h>

#include "mdn-init.h"

void
mdn_base_init (void)
{
  static gsize once = 0;

  if (g_once_init_enter (&once))
    {
      if (sodium_init () < 0)
        g_error ("libsodium could not be initialised");
      const char *localedir = g_getenv ("MENDIAN_LOCALEDIR");

      /* MENDIAN_LOCALEDIR: translations of an uninstalled build (<build>/locale). */
      bindtextdomain (GETTEXT_PACKAGE, localedir && *localedir ? localedir : LOCALEDIR);
      bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
      g_once_init_leave (&once, 1);
    }
}
