/* pos-forms.h: the POS's dialogs: a keyboard-first form (fields, live
 * hint, error line), confirmations, errors and toasts. */
#pragma once

#include <adwaita.h>

#include "pos-session.h"

G_BEGIN_DECLS

typedef enum {
  POS_FIELD_TEXT,
  POS_FIELD_MONEY,
  POS_FIELD_NUMBER,
  POS_FIELD_DATE,
  POS_FIELD_PASSWORD,
} PosFieldKind;

#define POS_TYPE_FORM (pos_form_get_type ())
G_DECLARE_FINAL_TYPE (PosForm, pos_form, POS, FORM, AdwWindow)

/* Return TRUE to close the form; FALSE keeps it open (after
 * pos_form_set_error) so the cashier can correct a field. */
typedef gboolean (*PosFormAccept) (PosForm *form, gpointer user_data);

PosForm    *pos_form_new          (GtkWidget     *parent,
                                   const char    *title,
                                   const char    *accept_label);
void        pos_form_set_body     (PosForm       *self,
                                   const char    *text);
void        pos_form_set_hint     (PosForm       *self,
                                   const char    *markup);
void        pos_form_set_error    (PosForm       *self,
                                   const char    *text);
GtkWidget  *pos_form_add_field    (PosForm       *self,
                                   const char    *key,
                                   const char    *label,
                                   PosFieldKind   kind,
                                   const char    *initial);
GtkWidget  *pos_form_add_choice   (PosForm       *self,
                                   const char    *key,
                                   const char    *label,
                                   const char *const *ids,
                                   const char *const *labels,
                                   guint          selected);
/* A "Who served" choice (the technician, who earns the commission): the
 * branch's active staff (sale.staff), the cashier first with id "";
 * @current preselected. FALSE with @error when the list can't be read. */
gboolean    pos_form_add_staff_choice (PosForm   *self,
                                   PosSession    *session,
                                   const char    *key,
                                   const char    *current,
                                   GError       **error);
/* The same choice as two NULL-terminated arrays (free with g_strfreev):
 * ids ("" first: the cashier) and labels, with the index of @current. */
gboolean    pos_staff_choices     (PosSession    *session,
                                   const char    *current,
                                   char        ***ids_out,
                                   char        ***labels_out,
                                   guint         *selected_out,
                                   GError       **error);
/* The shown label of choice @key's selection. */
const char *pos_form_get_label    (PosForm       *self,
                                   const char    *key);
void        pos_form_add_widget   (PosForm       *self,
                                   GtkWidget     *widget);
const char *pos_form_get          (PosForm       *self,
                                   const char    *key);
gboolean    pos_form_get_money    (PosForm       *self,
                                   const char    *key,
                                   gint64        *out_fen);
/* A form that only shows something: its one button closes it (no Cancel). */
void        pos_form_set_info_only (PosForm      *self);
void        pos_form_set_destructive (PosForm    *self,
                                   gboolean       destructive);
void        pos_form_run          (PosForm       *self,
                                   PosFormAccept  accept,
                                   gpointer       user_data,
                                   GDestroyNotify destroy);
void        pos_form_accept       (PosForm       *self);
GtkWidget  *pos_form_get_widget   (PosForm       *self,
                                   const char    *key);
const char *pos_form_get_hint     (PosForm       *self);

/* Runs @op for the form through pos_session_run_async(). One that may
 * wait for head office shows a spinner and "Checking with head office…";
 * meanwhile the form can't be changed, accepted again or cancelled (the
 * operation may already be committing: its result decides). Done, @done
 * is called with the result, a spend made offline is told in a toast, and
 * the form closes; refused, the error is shown and the form stays open.
 * Call it from the PosFormAccept and return FALSE. */
typedef void (*PosFormDone) (PosForm *form, JsonObject *result, gpointer user_data);

void        pos_form_run_op       (PosForm       *self,
                                   PosSession    *session,
                                   const char    *op,
                                   JsonObject    *args,
                                   PosFormDone    done,
                                   gpointer       user_data,
                                   GDestroyNotify destroy);
gboolean    pos_form_is_busy      (PosForm       *self);
/* The busy line while the operation waits for head office, else NULL. */
const char *pos_form_get_busy     (PosForm       *self);
const char *pos_form_get_error    (PosForm       *self);

/* The "Checking with head office…" line of a window whose operation may
 * wait for head office (pos_session_op_may_wait ()): its spinner shows only
 * after a short delay, as a quick answer would just make it flash. The
 * three widgets are the window's template children. */
typedef struct
{
  GtkWidget *box;
  GtkWidget *spinner;
  GtkWidget *label;
  guint      delay_id;
} PosBusyLine;

void        pos_busy_line_set     (PosBusyLine   *line,
                                   gboolean       busy,
                                   gboolean       waiting);
/* The line's text while it is shown, else NULL. */
const char *pos_busy_line_get_text (PosBusyLine  *line);
/* For dispose. */
void        pos_busy_line_clear   (PosBusyLine   *line);

/* A numeric PIN pad whose keys type into @entry. */
GtkWidget  *pos_pin_pad_new       (GtkEditable   *entry);

void        pos_show_error        (GtkWidget     *widget,
                                   const char    *heading,
                                   const GError  *error);
void        pos_toast             (GtkWidget     *widget,
                                   const char    *message);
/* Tells the cashier, at once and for longer than other toasts, that a
 * spend in @result was made offline; nothing when it wasn't. */
void        pos_toast_offline     (GtkWidget     *widget,
                                   JsonObject    *result);

typedef void (*PosConfirmed) (gpointer user_data);
void        pos_confirm           (GtkWidget     *widget,
                                   const char    *heading,
                                   const char    *body,
                                   const char    *accept_label,
                                   gboolean       destructive,
                                   PosConfirmed   confirmed,
                                   gpointer       user_data);

G_END_DECLS
