/* mdn-test-ui.h: what the POS's UI tests under Xvfb share (mdn-test-ui.c):
 * letting GTK lay out and draw, and a screenshot of a widget's window. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Runs the main loop for about @ms milliseconds: a few frames' worth. */
void     mdn_test_ui_pump       (guint       ms);
/* Saves @widget's window as $G_TEST_BUILDDIR/@prefix-@name.png (the
 * folder made if missing) after a pump; FALSE, and nothing saved, when the
 * window has drawn nothing yet. */
gboolean mdn_test_ui_screenshot (GtkWidget  *widget,
                                 const char *prefix,
                                 const char *name);

G_END_DECLS
