/* pos-reader.h: reads an operation's answer strictly, for the view-model
 * parsers (pos-member-view.c, pos-cart.c, pos-views.c) and nothing else.
 * A field that is missing or of another type is an error naming the
 * operation and the field, so a field renamed in common/ fails in its one
 * parser (and its test), never as an empty label on screen.
 *
 * The reads collect the first error and go on with a zero value, so a
 * parser reads its fields one after another and asks once at the end. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

typedef struct
{
  const char *what;      /* the operation, for the message */
  GError     *error;     /* the first field that was wrong */
} PosReader;

void        pos_reader_init           (PosReader   *r,
                                       const char  *what);
/* TRUE if every read found its field; else sets @error (MDN_ERROR_INTERNAL). */
gboolean    pos_reader_finish         (PosReader   *r,
                                       GError     **error);

/* Required: present and of the type. */
char       *pos_reader_dup_string     (PosReader   *r,
                                       JsonObject  *o,
                                       const char  *name);
gint64      pos_reader_int            (PosReader   *r,
                                       JsonObject  *o,
                                       const char  *name);
gboolean    pos_reader_bool           (PosReader   *r,
                                       JsonObject  *o,
                                       const char  *name);
JsonArray  *pos_reader_array          (PosReader   *r,
                                       JsonObject  *o,
                                       const char  *name);
/* The @index-th element of @a, an object. */
JsonObject *pos_reader_element        (PosReader   *r,
                                       JsonArray   *a,
                                       guint        index);

/* Optional: absent or null gives NULL (or @fallback); another type is an error. */
char       *pos_reader_dup_opt_string (PosReader   *r,
                                       JsonObject  *o,
                                       const char  *name);
gint64      pos_reader_opt_int        (PosReader   *r,
                                       JsonObject  *o,
                                       const char  *name,
                                       gint64       fallback);
gboolean    pos_reader_opt_bool       (PosReader   *r,
                                       JsonObject  *o,
                                       const char  *name);
JsonObject *pos_reader_opt_object     (PosReader   *r,
                                       JsonObject  *o,
                                       const char  *name);
gboolean    pos_reader_has            (JsonObject  *o,
                                       const char  *name);
/* A field read whose value the parser doesn't know (a new status, say). */
void        pos_reader_fail           (PosReader   *r,
                                       const char  *name);

G_END_DECLS
