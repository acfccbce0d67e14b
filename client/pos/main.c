/* mendian-pos: the cashier's point of sale. */
#include <glib/gi18n.h>
#include <locale.h>

#include "pos-application.h"

int
main (int argc, char **argv)
{
  g_autoptr(PosApplication) app = NULL;

  pos_i18n_init ();
  app = pos_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
