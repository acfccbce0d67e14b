/* mdn-json.h: canonical JSON (for hashing) and typed access to operation
 * arguments with errors a cashier can act on. */
#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* The deepest nesting of arrays and objects any JSON input may have. */
#define MDN_JSON_MAX_DEPTH 32

/* Checks, without recursing or building anything, that @text (@len bytes,
 * or up to its NUL if @len < 0) is valid UTF-8 holding one strict RFC 8259
 * value, nested at most MDN_JSON_MAX_DEPTH deep, with no member name twice
 * in an object, no \u0000 or lone surrogate in a string and no integer
 * outside gint64. json-glib recurses without a limit and is lenient (it
 * wraps big integers, reads comments, hex and single quotes, keeps the last
 * of two members of one name): every untrusted text goes through this
 * first. */
gboolean    mdn_json_check_text     (const char  *text,
                                     gssize       len,
                                     GError     **error);
/* g_utf8_validate (@text, @len, NULL) for @len ≥ 0 (a NUL byte is
 * invalid too), with the ASCII runs that make up nearly all of a push
 * checked eight bytes at a time. */
gboolean    mdn_json_utf8_valid     (const char  *text,
                                     gsize        len);
/* How many of the @len bytes at @p come before the first one a JSON
 * string ends at or must escape (", \\, a control character): the runs the
 * entry codec copies at once, eight bytes at a time. */
gsize       mdn_json_plain_run      (const char  *p,
                                     gsize        len);
/* Whether every number in @object (recursively) is an integer: refuses a
 * fraction or exponent, which has no canonical form. */
gboolean    mdn_json_object_integers_only (JsonObject *object,
                                           GError    **error);

char       *mdn_json_canonical      (JsonNode    *node);
char       *mdn_json_object_canonical (JsonObject *object);
void        mdn_json_append_canonical_object (GString    *s,
                                              JsonObject *object);
void        mdn_json_append_canonical_string (GString    *s,
                                              const char *str);
void        mdn_json_append_canonical_int    (GString    *s,
                                              gint64      value);
/* @text, checked by mdn_json_check_text, as an object. */
JsonObject *mdn_json_parse_object   (const char  *text,
                                     GError     **error);
char       *mdn_json_object_to_string (JsonObject *object);
/* @object as one line on stdout, flushed: what the command-line tools print. */
void        mdn_json_print          (JsonObject  *object);

gboolean mdn_args_string   (JsonObject  *args,
                            const char  *name,
                            gboolean     required,
                            const char **out,
                            GError     **error);
gboolean mdn_args_int      (JsonObject  *args,
                            const char  *name,
                            gboolean     required,
                            gint64      *out,
                            GError     **error);
gboolean mdn_args_bool     (JsonObject  *args,
                            const char  *name,
                            gboolean    *out,
                            GError     **error);
gboolean mdn_args_money    (JsonObject  *args,
                            const char  *name,
                            gboolean     required,
                            gint64      *out_fen,
                            GError     **error);
gboolean mdn_args_date     (JsonObject  *args,
                            const char  *name,
                            gboolean     required,
                            const char **out,
                            GError     **error);
JsonArray *mdn_args_array  (JsonObject  *args,
                            const char  *name,
                            gboolean     required,
                            GError     **error);
JsonObject *mdn_args_element_object (JsonArray *array,
                                     guint      index,
                                     const char *what,
                                     GError   **error);

/* An entry's body, read leniently: a member that is missing or of another
 * type reads as NULL (or @fallback); the apply function decides whether that
 * makes the entry malformed. */
const char *mdn_body_string  (JsonObject  *body,
                              const char  *name);
gint64      mdn_body_int     (JsonObject  *body,
                              const char  *name,
                              gint64       fallback);
JsonArray  *mdn_body_array   (JsonObject  *body,
                              const char  *name);
/* Sets @name to @value, or to null when @value is NULL. */
void        mdn_json_set_opt_string (JsonObject *o,
                                     const char *name,
                                     const char *value);

G_END_DECLS
