/* pos-forms.h: the POS's dialogs: a keyboard-first form (fields, live
 * hint, error line), confirmations, errors and toasts. */
#pragma once

#include <adwaita.h>

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
void        pos_form_add_widget   (PosForm       *self,
                                   GtkWidget     *widget);
const char *pos_form_get          (PosForm       *self,
                                   const char    *key);
gboolean    pos_form_get_money    (PosForm       *self,
                                   const char    *key,
                                   gint64        *out_fen);
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

/* A numeric PIN pad whose keys type into @entry. */
GtkWidget  *pos_pin_pad_new       (GtkEditable   *entry);

void        pos_show_error        (GtkWidget     *widget,
                                   const char    *heading,
                                   const GError  *error);
void        pos_toast             (GtkWidget     *widget,
                                   const char    *message);

typedef void (*PosConfirmed) (gpointer user_data);
void        pos_confirm           (GtkWidget     *widget,
                                   const char    *heading,
                                   const char    *body,
                                   const char    *accept_label,
                                   gboolean       destructive,
                                   PosConfirmed   confirmed,
                                   gpointer       user_data);

G_END_DECLS
