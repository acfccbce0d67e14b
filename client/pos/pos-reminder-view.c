/* pos-reminder-view.c: the parsers of pos-reminder-view.h. */
#define G_LOG_DOMAIN "pos-reminder-view"

#include <glib/gi18n.h>

#include "mdn-error.h"
#include "pos-reminder-view.h"

static gboolean
missing (const char *what,
         GError    **error)
{
  g_set_error (error, MDN_ERROR, MDN_ERROR_INTERNAL, _("The answer lacks “%s”"), what);
  return FALSE;
}

static gboolean
get_str (JsonObject  *o,
         const char  *name,
         char       **out,
         GError     **error)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_STRING)
    return missing (name, error);
  *out = g_strdup (json_node_get_string (n));
  return TRUE;
}

static gboolean
get_int (JsonObject *o,
         const char *name,
         gint64     *out,
         GError    **error)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_VALUE (n) || json_node_get_value_type (n) != G_TYPE_INT64)
    return missing (name, error);
  *out = json_node_get_int (n);
  return TRUE;
}

void
pos_reminder_free (PosReminder *r)
{
  if (r == NULL)
    return;
  g_free (r->member_id);
  g_free (r->card_no);
  g_free (r->name);
  g_free (r->phone);
  g_free (r->kind);
  g_free (r->due_on);
  g_free (r->detail);
  g_free (r);
}

static JsonArray *
get_array (JsonObject *o,
           const char *name,
           GError    **error)
{
  JsonNode *n = json_object_get_member (o, name);

  if (n == NULL || !JSON_NODE_HOLDS_ARRAY (n))
    {
      missing (name, error);
      return NULL;
    }
  return json_node_get_array (n);
}

GPtrArray *
pos_reminder_list_parse (JsonObject *result,
                         GError    **error)
{
  g_autoptr(GPtrArray) list = g_ptr_array_new_with_free_func ((GDestroyNotify) pos_reminder_free);
  JsonArray *a;

  g_return_val_if_fail (result != NULL, NULL);

  if ((a = get_array (result, "reminders", error)) == NULL)
    return NULL;
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonNode *n = json_array_get_element (a, i);
      g_autoptr(PosReminder) r = g_new0 (PosReminder, 1);
      JsonObject *o;

      if (!JSON_NODE_HOLDS_OBJECT (n))
        {
          missing ("reminders", error);
          return NULL;
        }
      o = json_node_get_object (n);
      if (!get_str (o, "member_id", &r->member_id, error) || !get_str (o, "card_no", &r->card_no, error) ||
          !get_str (o, "name", &r->name, error) || !get_str (o, "phone", &r->phone, error) ||
          !get_str (o, "kind", &r->kind, error) || !get_str (o, "due_on", &r->due_on, error) ||
          !get_int (o, "days", &r->days, error) || !get_str (o, "detail", &r->detail, error))
        return NULL;
      g_ptr_array_add (list, g_steal_pointer (&r));
    }
  return g_steal_pointer (&list);
}

gboolean
pos_reminder_total_parse (JsonObject *result,
                          gint64     *total,
                          GError    **error)
{
  g_return_val_if_fail (result != NULL && total != NULL, FALSE);
  return get_int (result, "total", total, error);
}

GStrv
pos_reminder_hints_parse (JsonObject *result,
                          GError    **error)
{
  g_autoptr(GStrvBuilder) b = g_strv_builder_new ();
  JsonArray *a;

  g_return_val_if_fail (result != NULL, NULL);

  if ((a = get_array (result, "hints", error)) == NULL)
    return NULL;
  for (guint i = 0; i < json_array_get_length (a); i++)
    {
      JsonNode *n = json_array_get_element (a, i);
      g_autofree char *text = NULL;

      if (!JSON_NODE_HOLDS_OBJECT (n) || !get_str (json_node_get_object (n), "text", &text, error))
        return NULL;
      g_strv_builder_add (b, text);
    }
  return g_strv_builder_end (b);
}
