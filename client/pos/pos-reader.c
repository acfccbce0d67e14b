/* pos-reader.c: strict reads of an operation's answer (see pos-reader.h). */
#define G_LOG_DOMAIN "pos-reader"

#include <glib/gi18n.h>

#include "mdn-error.h"
#include "pos-reader.h"

void
pos_reader_init (PosReader  *r,
                 const char *what)
{
  g_return_if_fail (r != NULL && what != NULL);
  r->what = what;
  r->error = NULL;
}

gboolean
pos_reader_finish (PosReader *r,
                   GError   **error)
{
  g_return_val_if_fail (r != NULL, FALSE);
  if (r->error == NULL)
    return TRUE;
  g_propagate_error (error, g_steal_pointer (&r->error));
  return FALSE;
}

void
pos_reader_fail (PosReader  *r,
                 const char *name)
{
  g_return_if_fail (r != NULL && name != NULL);
  if (r->error == NULL)
    g_set_error (&r->error, MDN_ERROR, MDN_ERROR_INTERNAL,
                 _("The answer of %s can't be read: “%s” is missing or not what the POS expects"),
                 r->what, name);
}

/* The member @name of @o: NULL when @o is NULL (a read before it already
 * failed) or when it is absent and @optional; a null counts as absent
 * when @optional. */
static JsonNode *
member (PosReader  *r,
        JsonObject *o,
        const char *name,
        gboolean    optional)
{
  JsonNode *n;

  if (o == NULL)
    return NULL;
  n = json_object_get_member (o, name);
  if (n != NULL && optional && JSON_NODE_HOLDS_NULL (n))
    return NULL;
  if (n == NULL && !optional)
    pos_reader_fail (r, name);
  return n;
}

static gboolean
is_value (JsonNode *n,
          GType     type)
{
  return JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == type;
}

static char *
read_string (PosReader  *r,
             JsonObject *o,
             const char *name,
             gboolean    optional)
{
  JsonNode *n = member (r, o, name, optional);

  if (n == NULL)
    return NULL;
  if (!is_value (n, G_TYPE_STRING))
    {
      pos_reader_fail (r, name);
      return NULL;
    }
  return g_strdup (json_node_get_string (n));
}

char *
pos_reader_dup_string (PosReader  *r,
                       JsonObject *o,
                       const char *name)
{
  return read_string (r, o, name, FALSE);
}

char *
pos_reader_dup_opt_string (PosReader  *r,
                           JsonObject *o,
                           const char *name)
{
  return read_string (r, o, name, TRUE);
}

static gint64
read_int (PosReader  *r,
          JsonObject *o,
          const char *name,
          gboolean    optional,
          gint64      fallback)
{
  JsonNode *n = member (r, o, name, optional);

  if (n == NULL)
    return fallback;
  if (!is_value (n, G_TYPE_INT64))
    {
      pos_reader_fail (r, name);
      return fallback;
    }
  return json_node_get_int (n);
}

gint64
pos_reader_int (PosReader  *r,
                JsonObject *o,
                const char *name)
{
  return read_int (r, o, name, FALSE, 0);
}

gint64
pos_reader_opt_int (PosReader  *r,
                    JsonObject *o,
                    const char *name,
                    gint64      fallback)
{
  return read_int (r, o, name, TRUE, fallback);
}

static gboolean
read_bool (PosReader  *r,
           JsonObject *o,
           const char *name,
           gboolean    optional)
{
  JsonNode *n = member (r, o, name, optional);

  if (n == NULL)
    return FALSE;
  if (!is_value (n, G_TYPE_BOOLEAN))
    {
      pos_reader_fail (r, name);
      return FALSE;
    }
  return json_node_get_boolean (n);
}

gboolean
pos_reader_bool (PosReader  *r,
                 JsonObject *o,
                 const char *name)
{
  return read_bool (r, o, name, FALSE);
}

gboolean
pos_reader_opt_bool (PosReader  *r,
                     JsonObject *o,
                     const char *name)
{
  return read_bool (r, o, name, TRUE);
}

JsonArray *
pos_reader_array (PosReader  *r,
                  JsonObject *o,
                  const char *name)
{
  JsonNode *n = member (r, o, name, FALSE);

  if (n == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_ARRAY (n))
    {
      pos_reader_fail (r, name);
      return NULL;
    }
  return json_node_get_array (n);
}

JsonObject *
pos_reader_opt_object (PosReader  *r,
                       JsonObject *o,
                       const char *name)
{
  JsonNode *n = member (r, o, name, TRUE);

  if (n == NULL)
    return NULL;
  if (!JSON_NODE_HOLDS_OBJECT (n))
    {
      pos_reader_fail (r, name);
      return NULL;
    }
  return json_node_get_object (n);
}

JsonObject *
pos_reader_element (PosReader *r,
                    JsonArray *a,
                    guint      index)
{
  JsonNode *n;

  if (a == NULL || index >= json_array_get_length (a))
    return NULL;
  n = json_array_get_element (a, index);
  if (!JSON_NODE_HOLDS_OBJECT (n))
    {
      pos_reader_fail (r, "[]");
      return NULL;
    }
  return json_node_get_object (n);
}

gboolean
pos_reader_has (JsonObject *o,
                const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n != NULL && !JSON_NODE_HOLDS_NULL (n);
}
