/* pos-window.h */
#pragma once

#include <adwaita.h>

#include "pos-session.h"

G_BEGIN_DECLS

#define POS_TYPE_WINDOW (pos_window_get_type ())
G_DECLARE_FINAL_TYPE (PosWindow, pos_window, POS, WINDOW, AdwApplicationWindow)

PosWindow  *pos_window_new            (GtkApplication *app,
                                       PosSession     *session,
                                       const char     *db_path);
PosSession *pos_window_get_session    (PosWindow      *self);
void        pos_window_toast          (PosWindow      *self,
                                       const char     *message);
void        pos_window_toast_full     (PosWindow      *self,
                                       const char     *message,
                                       AdwToastPriority priority,
                                       guint           timeout_s);
void        pos_window_show_page      (PosWindow      *self,
                                       const char     *name);
const char *pos_window_get_page       (PosWindow      *self);
GtkWidget  *pos_window_get_checkout   (PosWindow      *self);
GtkWidget  *pos_window_get_members    (PosWindow      *self);
GtkWidget  *pos_window_get_timed      (PosWindow      *self);
GtkWidget  *pos_window_get_returns    (PosWindow      *self);
GtkWidget  *pos_window_get_dayend     (PosWindow      *self);
GtkWidget  *pos_window_get_stock      (PosWindow      *self);
GtkWidget  *pos_window_get_reports    (PosWindow      *self);
GtkWidget  *pos_window_get_login      (PosWindow      *self);
GtkWidget  *pos_window_get_setup      (PosWindow      *self);
/* The sync status in the header: "Standalone", "Online", "Offline since …". */
const char *pos_window_get_sync_status (PosWindow     *self);
/* The same as a word for tests: standalone, connecting, online or offline. */
const char *pos_window_get_sync_state (PosWindow      *self);
const char *pos_window_get_last_toast (PosWindow      *self);

/* Walks up from any widget of the window. */
PosWindow  *pos_window_from_widget    (GtkWidget      *widget);

G_END_DECLS
