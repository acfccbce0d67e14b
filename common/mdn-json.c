/* mdn-json.c */
#define G_LOG_DOMAIN "mdn-json"

#include <glib/gi18n-lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-money.h"

/* Runs of bytes that need no escape are copied at once: this is on the
 * server's ingest path (every pushed entry is hashed). */
static void
append_string (GString    *s,
               const char *str)
{
  const guchar *run = (const guchar *) str;
  const guchar *p;

  g_string_append_c (s, '"');
  for (p = run; *p; p++)
    {
      const char *esc;

      if (*p >= 0x20 && *p != '"' && *p != '\\')
        continue;
      if (p > run)
        g_string_append_len (s, (const char *) run, p - run);
      run = p + 1;
      switch (*p)
        {
        case '"':  esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        default:   esc = NULL; break;
        }
      if (esc)
        g_string_append (s, esc);
      else
        g_string_append_printf (s, "\\u%04x", *p);
    }
  if (p > run)
    g_string_append_len (s, (const char *) run, p - run);
  g_string_append_c (s, '"');
}

/* The decimal digits of @v, as "%" G_GINT64_FORMAT prints them. */
static void
append_int (GString *s,
            gint64   v)
{
  char buf[24];
  char *p = buf + sizeof buf;
  guint64 u = v < 0 ? -(guint64) v : (guint64) v;

  do
    *--p = (char) ('0' + u % 10);
  while ((u /= 10) != 0);
  if (v < 0)
    *--p = '-';
  g_string_append_len (s, p, buf + sizeof buf - p);
}

typedef struct
{
  const char *key;
  JsonNode   *node;
} Member;

static int
compare_members (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (((const Member *) a)->key, ((const Member *) b)->key);
}

static void append_node (GString *s, JsonNode *node);

static void
append_object (GString    *s,
               JsonObject *object)
{
  guint n = json_object_get_size (object);
  Member stack[16];
  g_autofree Member *heap = n > G_N_ELEMENTS (stack) ? g_new (Member, n) : NULL;
  Member *members = heap ? heap : stack;
  JsonObjectIter iter;
  guint i = 0;

  json_object_iter_init (&iter, object);
  while (i < n && json_object_iter_next (&iter, &members[i].key, &members[i].node))
    i++;
  g_assert (i == n);
  qsort (members, n, sizeof (Member), compare_members);

  g_string_append_c (s, '{');
  for (i = 0; i < n; i++)
    {
      if (i > 0)
        g_string_append_c (s, ',');
      append_string (s, members[i].key);
      g_string_append_c (s, ':');
      append_node (s, members[i].node);
    }
  g_string_append_c (s, '}');
}

static void
append_node (GString  *s,
             JsonNode *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      append_object (s, json_node_get_object (node));
      break;
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);
        guint n = json_array_get_length (array);

        g_string_append_c (s, '[');
        for (guint i = 0; i < n; i++)
          {
            if (i > 0)
              g_string_append_c (s, ',');
            append_node (s, json_array_get_element (array, i));
          }
        g_string_append_c (s, ']');
      }
      break;
    case JSON_NODE_NULL:
      g_string_append (s, "null");
      break;
    case JSON_NODE_VALUE:
      switch (json_node_get_value_type (node))
        {
        case G_TYPE_INT64:
          append_int (s, json_node_get_int (node));
          break;
        case G_TYPE_BOOLEAN:
          g_string_append (s, json_node_get_boolean (node) ? "true" : "false");
          break;
        case G_TYPE_STRING:
          append_string (s, json_node_get_string (node));
          break;
        default:
          {
            char buf[G_ASCII_DTOSTR_BUF_SIZE];
            g_string_append (s, g_ascii_dtostr (buf, sizeof buf, json_node_get_double (node)));
          }
          break;
        }
      break;
    default:
      g_assert_not_reached ();
    }
}

/* Sorted keys, no whitespace, integers only: the bytes that get hashed. */
char *
mdn_json_canonical (JsonNode *node)
{
  GString *s = g_string_new (NULL);

  g_return_val_if_fail (node != NULL, NULL);
  append_node (s, node);
  return g_string_free (s, FALSE);
}

/* Appends the canonical form of @object / the JSON string @str to @s: for
 * callers that build a larger canonical text piece by piece (the entry hash). */
void
mdn_json_append_canonical_object (GString    *s,
                                  JsonObject *object)
{
  g_return_if_fail (s != NULL && object != NULL);
  append_object (s, object);
}

void
mdn_json_append_canonical_string (GString    *s,
                                  const char *str)
{
  g_return_if_fail (s != NULL && str != NULL);
  append_string (s, str);
}

void
mdn_json_append_canonical_int (GString *s,
                               gint64   value)
{
  g_return_if_fail (s != NULL);
  append_int (s, value);
}

char *
mdn_json_object_canonical (JsonObject *object)
{
  GString *s = g_string_new (NULL);

  g_return_val_if_fail (object != NULL, NULL);
  append_object (s, object);
  return g_string_free (s, FALSE);
}

char *
mdn_json_object_to_string (JsonObject *object)
{
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);

  json_node_set_object (node, object);
  return json_to_string (node, FALSE);
}

void
mdn_json_print (JsonObject *object)
{
  g_autofree char *text = NULL;

  g_return_if_fail (object != NULL);

  text = mdn_json_object_to_string (object);
  fputs (text, stdout);
  fputc ('\n', stdout);
  fflush (stdout);
}

JsonObject *
mdn_json_parse_object (const char *text,
                       GError    **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;

  if (!json_parser_load_from_data (parser, text, -1, &local_error))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("The request is not valid JSON: %s"), local_error->message);
      return NULL;
    }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("The request must be a JSON object"));
      return NULL;
    }
  return json_object_ref (json_node_get_object (root));
}

static gboolean
missing (const char *name,
         GError    **error)
{
  g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
               _("“%s” is required"), name);
  return FALSE;
}

static gboolean
wrong_type (const char *name,
            const char *expected,
            GError    **error)
{
  g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
               _("“%s” must be %s"), name, expected);
  return FALSE;
}

static JsonNode *
get_member (JsonObject *args,
            const char *name)
{
  JsonNode *node = json_object_get_member (args, name);

  if (node != NULL && JSON_NODE_HOLDS_NULL (node))
    return NULL;
  return node;
}

/* @out is left untouched when the optional field is absent. */
gboolean
mdn_args_string (JsonObject  *args,
                 const char  *name,
                 gboolean     required,
                 const char **out,
                 GError     **error)
{
  JsonNode *node = get_member (args, name);
  const char *value;

  if (node == NULL)
    return required ? missing (name, error) : TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return wrong_type (name, _("text"), error);
  value = json_node_get_string (node);
  if (!g_utf8_validate (value, -1, NULL))
    return wrong_type (name, _("valid UTF-8 text"), error);
  if (required)
    {
      const char *p = value;

      while (g_ascii_isspace (*p))
        p++;
      if (*p == '\0')
        return missing (name, error);
    }
  *out = value;
  return TRUE;
}

gboolean
mdn_args_int (JsonObject *args,
              const char *name,
              gboolean    required,
              gint64     *out,
              GError    **error)
{
  JsonNode *node = get_member (args, name);

  if (node == NULL)
    return required ? missing (name, error) : TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return wrong_type (name, _("a whole number"), error);
  *out = json_node_get_int (node);
  return TRUE;
}

gboolean
mdn_args_bool (JsonObject *args,
               const char *name,
               gboolean   *out,
               GError    **error)
{
  JsonNode *node = get_member (args, name);

  if (node == NULL)
    return TRUE;
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_BOOLEAN)
    return wrong_type (name, _("true or false"), error);
  *out = json_node_get_boolean (node);
  return TRUE;
}

/* Reads NAME_fen (integer fen) or NAME (text such as "1,234.50"). */
gboolean
mdn_args_money (JsonObject *args,
                const char *name,
                gboolean    required,
                gint64     *out_fen,
                GError    **error)
{
  g_autofree char *fen_name = g_strdup_printf ("%s_fen", name);
  const char *text = NULL;

  if (get_member (args, fen_name) != NULL)
    return mdn_args_int (args, fen_name, TRUE, out_fen, error);
  if (get_member (args, name) == NULL)
    return required ? missing (fen_name, error) : TRUE;
  if (!mdn_args_string (args, name, TRUE, &text, error))
    return FALSE;
  return mdn_money_parse (text, out_fen, error);
}

gboolean
mdn_args_date (JsonObject  *args,
               const char  *name,
               gboolean     required,
               const char **out,
               GError     **error)
{
  const char *value = NULL;

  if (!mdn_args_string (args, name, required, &value, error))
    return FALSE;
  if (value == NULL)
    return TRUE;
  if (!mdn_date_valid (value))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("“%s” must be a date like 2026-01-31, not “%s”"), name, value);
      return FALSE;
    }
  *out = value;
  return TRUE;
}

JsonArray *
mdn_args_array (JsonObject *args,
                const char *name,
                gboolean    required,
                GError    **error)
{
  JsonNode *node = get_member (args, name);

  if (node == NULL)
    {
      if (required)
        missing (name, error);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      wrong_type (name, _("a list"), error);
      return NULL;
    }
  return json_node_get_array (node);
}

JsonObject *
mdn_args_element_object (JsonArray  *array,
                         guint       index,
                         const char *what,
                         GError    **error)
{
  JsonNode *node = json_array_get_element (array, index);

  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("Each of “%s” must be an object"), what);
      return NULL;
    }
  return json_node_get_object (node);
}

/* Entry bodies ---------------------------------------------------------------- */

const char *
mdn_body_string (JsonObject *body,
                 const char *name)
{
  JsonNode *node = body ? json_object_get_member (body, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

gint64
mdn_body_int (JsonObject *body,
              const char *name,
              gint64      fallback)
{
  JsonNode *node = body ? json_object_get_member (body, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return fallback;
  return json_node_get_int (node);
}

JsonArray *
mdn_body_array (JsonObject *body,
                const char *name)
{
  JsonNode *node = body ? json_object_get_member (body, name) : NULL;

  if (node == NULL || !JSON_NODE_HOLDS_ARRAY (node))
    return NULL;
  return json_node_get_array (node);
}

void
mdn_json_set_opt_string (JsonObject *o,
                         const char *name,
                         const char *value)
{
  if (value)
    json_object_set_string_member (o, name, value);
  else
    json_object_set_null_member (o, name);
}
