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

#define ONES G_GUINT64_CONSTANT (0x0101010101010101)
#define HIGHS G_GUINT64_CONSTANT (0x8080808080808080)
/* Whether a byte of @w is zero / below @n (n ≤ 0x80): exact for "any". */
#define HAS_ZERO(w) (((w) - ONES) & ~(w) & HIGHS)
#define HAS_LESS(w, n) (((w) - ONES * (n)) & ~(w) & HIGHS)

gsize
mdn_json_plain_run (const char *p,
                    gsize       len)
{
  gsize i = 0;

  for (; i + 8 <= len; i += 8)
    {
      guint64 w, m;

      memcpy (&w, p + i, 8);
      m = HAS_ZERO (w ^ (ONES * '"')) | HAS_ZERO (w ^ (ONES * '\\')) | HAS_LESS (w, 0x20);
      if (m != 0)
        {
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
          /* The lowest flagged byte is the first one that stops the run
             (a borrow can flag a byte only above one that is flagged
             rightly). */
          return i + (gsize) (__builtin_ctzll (m) >> 3);
#else
          break;
#endif
        }
    }
  while (i < len && (guchar) p[i] >= 0x20 && p[i] != '"' && p[i] != '\\')
    i++;
  return i;
}

/* Runs of bytes that need no escape are copied at once: this is on the
 * server's ingest path (every pushed entry is hashed). */
static void
append_string (GString    *s,
               const char *str)
{
  gsize len = strlen (str);
  gsize plain = mdn_json_plain_run (str, len);
  const guchar *run = (const guchar *) str + plain;
  const guchar *p;

  g_string_append_c (s, '"');
  if (plain == len)
    {
      g_string_append_len (s, str, (gssize) len);
      g_string_append_c (s, '"');
      return;
    }
  g_string_append_len (s, str, (gssize) plain);
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

gboolean
mdn_json_utf8_valid (const char *text,
                     gsize       len)
{
  gsize i = 0;

  g_return_val_if_fail (text != NULL || len == 0, FALSE);

  /* A word with no byte ≥ 0x80 and no NUL byte is eight ASCII
     characters; from the first other one on, GLib's validator. */
  for (; i + 8 <= len; i += 8)
    {
      guint64 w;

      memcpy (&w, text + i, 8);
      if (((w & HIGHS) | HAS_ZERO (w)) != 0)
        break;
    }
  return g_utf8_validate (text + i, (gssize) (len - i), NULL);
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

/* Strict checking ------------------------------------------------------------------ */

typedef struct
{
  const char *start;
  const char *p;
  const char *end;
  GError    **error;
} Scan;

/* One open array or object; an object's member names so far (a few in
 * @names, all of them in @set once there are many). */
typedef struct
{
  gboolean    object;
  GPtrArray  *names;
  GHashTable *set;
} Level;

#define FEW_NAMES 16

static gboolean
scan_fail (Scan       *s,
           const char *what)
{
  if (s->error && *s->error == NULL)
    g_set_error (s->error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                 _("The request is not valid JSON: %s at byte %u"), what,
                 (guint) MIN ((gsize) (s->p - s->start), G_MAXUINT));
  return FALSE;
}

static void
scan_ws (Scan *s)
{
  while (s->p < s->end && (*s->p == ' ' || *s->p == '\n' || *s->p == '\r' || *s->p == '\t'))
    s->p++;
}

static int
scan_hex4 (const char *p)
{
  int v = 0;

  for (int i = 0; i < 4; i++)
    {
      int d = g_ascii_xdigit_value (p[i]);

      if (d < 0)
        return -1;
      v = v * 16 + d;
    }
  return v;
}

/* A string, the opening quote next; decoded into @out if not NULL. */
static gboolean
scan_string (Scan    *s,
             GString *out)
{
  s->p++;
  for (;;)
    {
      guchar c;

      if (s->p >= s->end)
        return scan_fail (s, "unterminated string");
      c = (guchar) *s->p;
      if (c == '"')
        {
          s->p++;
          return TRUE;
        }
      if (c < 0x20)
        return scan_fail (s, "control character in a string");
      if (c != '\\')
        {
          const char *run = s->p;

          while (s->p < s->end && *s->p != '"' && *s->p != '\\' && (guchar) *s->p >= 0x20)
            s->p++;
          if (out)
            g_string_append_len (out, run, s->p - run);
          continue;
        }
      if (s->end - s->p < 2)
        return scan_fail (s, "bad escape");
      switch (s->p[1])
        {
        case '"':  c = '"'; break;
        case '\\': c = '\\'; break;
        case '/':  c = '/'; break;
        case 'b':  c = '\b'; break;
        case 'f':  c = '\f'; break;
        case 'n':  c = '\n'; break;
        case 'r':  c = '\r'; break;
        case 't':  c = '\t'; break;
        case 'u':
          {
            int u, lo;

            if (s->end - s->p < 6 || (u = scan_hex4 (s->p + 2)) < 0)
              return scan_fail (s, "bad escape");
            s->p += 6;
            if (u >= 0xD800 && u <= 0xDBFF)
              {
                if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' ||
                    (lo = scan_hex4 (s->p + 2)) < 0xDC00 || lo > 0xDFFF)
                  return scan_fail (s, "lone surrogate");
                s->p += 6;
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
              }
            else if (u >= 0xDC00 && u <= 0xDFFF)
              return scan_fail (s, "lone surrogate");
            else if (u == 0)
              return scan_fail (s, "\\u0000 in a string");
            if (out)
              g_string_append_unichar (out, (gunichar) u);
            continue;
          }
        default:
          return scan_fail (s, "bad escape");
        }
      if (out)
        g_string_append_c (out, (char) c);
      s->p += 2;
    }
}

static gboolean
scan_digits (Scan *s)
{
  if (s->p >= s->end || !g_ascii_isdigit (*s->p))
    return scan_fail (s, "bad number");
  while (s->p < s->end && g_ascii_isdigit (*s->p))
    s->p++;
  return TRUE;
}

/* A number; an integer must fit gint64 (json-glib would wrap it). */
static gboolean
scan_number (Scan *s)
{
  const char *start = s->p;
  gboolean integer = TRUE;

  if (*s->p == '-')
    s->p++;
  if (s->p < s->end && *s->p == '0')
    s->p++;
  else if (!scan_digits (s))
    return FALSE;
  if (s->p < s->end && *s->p == '.')
    {
      integer = FALSE;
      s->p++;
      if (!scan_digits (s))
        return FALSE;
    }
  if (s->p < s->end && (*s->p == 'e' || *s->p == 'E'))
    {
      integer = FALSE;
      s->p++;
      if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
        s->p++;
      if (!scan_digits (s))
        return FALSE;
    }
  if (integer)
    {
      char buf[24];
      gsize len = s->p - start;

      if (len >= sizeof buf)
        return scan_fail (s, "integer out of range");
      memcpy (buf, start, len);
      buf[len] = '\0';
      if (!g_ascii_string_to_signed (buf, 10, G_MININT64, G_MAXINT64, NULL, NULL))
        return scan_fail (s, "integer out of range");
    }
  return TRUE;
}

static gboolean
scan_literal (Scan       *s,
              const char *word)
{
  gsize len = strlen (word);

  if ((gsize) (s->end - s->p) < len || memcmp (s->p, word, len) != 0)
    return scan_fail (s, "unexpected character");
  s->p += len;
  return TRUE;
}

static void
level_clear (Level *l)
{
  g_clear_pointer (&l->names, g_ptr_array_unref);
  g_clear_pointer (&l->set, g_hash_table_unref);
}

/* Adds @name to the object's names; FALSE if it was there already. */
static gboolean
level_add_name (Level      *l,
                const char *name)
{
  if (l->set == NULL)
    {
      if (l->names == NULL)
        l->names = g_ptr_array_new_with_free_func (g_free);
      for (guint i = 0; i < l->names->len; i++)
        if (g_str_equal (g_ptr_array_index (l->names, i), name))
          return FALSE;
      if (l->names->len < FEW_NAMES)
        {
          g_ptr_array_add (l->names, g_strdup (name));
          return TRUE;
        }
      /* Many members: a set from now on, so that a big object costs
       * linear time, not quadratic. */
      l->set = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
      for (guint i = 0; i < l->names->len; i++)
        g_hash_table_add (l->set, g_strdup (g_ptr_array_index (l->names, i)));
      g_clear_pointer (&l->names, g_ptr_array_unref);
    }
  if (g_hash_table_contains (l->set, name))
    return FALSE;
  g_hash_table_add (l->set, g_strdup (name));
  return TRUE;
}

gboolean
mdn_json_check_text (const char *text,
                     gssize      len,
                     GError    **error)
{
  Level stack[MDN_JSON_MAX_DEPTH];
  g_autoptr(GString) name = g_string_new (NULL);
  const char *bad = NULL;
  guint depth = 0;
  gboolean ok = FALSE;
  Scan s;

  g_return_val_if_fail (text != NULL, FALSE);

  if (len < 0)
    len = (gssize) strlen (text);
  s.start = s.p = text;
  s.end = text + len;
  s.error = error;
  if (!g_utf8_validate (text, len, &bad))
    {
      s.p = bad;
      return scan_fail (&s, "not UTF-8");
    }

value:
  scan_ws (&s);
  if (s.p >= s.end)
    {
      scan_fail (&s, "unexpected end");
      goto out;
    }
  switch (*s.p)
    {
    case '{':
    case '[':
      if (depth == MDN_JSON_MAX_DEPTH)
        {
          g_autofree char *what = g_strdup_printf (_("nested more than %d levels deep"), MDN_JSON_MAX_DEPTH);

          scan_fail (&s, what);
          goto out;
        }
      stack[depth].object = *s.p == '{';
      stack[depth].names = NULL;
      stack[depth].set = NULL;
      depth++;
      s.p++;
      scan_ws (&s);
      if (s.p < s.end && *s.p == (stack[depth - 1].object ? '}' : ']'))
        {
          s.p++;
          level_clear (&stack[--depth]);
          goto after;
        }
      if (stack[depth - 1].object)
        goto member;
      goto value;
    case '"':
      if (!scan_string (&s, NULL))
        goto out;
      goto after;
    case 't':
      if (!scan_literal (&s, "true"))
        goto out;
      goto after;
    case 'f':
      if (!scan_literal (&s, "false"))
        goto out;
      goto after;
    case 'n':
      if (!scan_literal (&s, "null"))
        goto out;
      goto after;
    default:
      if (*s.p != '-' && !g_ascii_isdigit (*s.p))
        {
          scan_fail (&s, "unexpected character");
          goto out;
        }
      if (!scan_number (&s))
        goto out;
      goto after;
    }

member:
  /* An object's member: its name, a colon, then its value. */
  scan_ws (&s);
  if (s.p >= s.end || *s.p != '"')
    {
      scan_fail (&s, "expected a member name");
      goto out;
    }
  g_string_truncate (name, 0);
  if (!scan_string (&s, name))
    goto out;
  if (!level_add_name (&stack[depth - 1], name->str))
    {
      g_autofree char *shown = g_utf8_strlen (name->str, -1) > 32 ? g_utf8_substring (name->str, 0, 32)
                                                                  : g_strdup (name->str);
      g_autofree char *what = g_strdup_printf (_("the member “%s” twice"), shown);

      scan_fail (&s, what);
      goto out;
    }
  scan_ws (&s);
  if (s.p >= s.end || *s.p != ':')
    {
      scan_fail (&s, "expected ':'");
      goto out;
    }
  s.p++;
  goto value;

after:
  /* After a value: the end, or the next element or member, or a close. */
  scan_ws (&s);
  if (depth == 0)
    {
      if (s.p != s.end)
        scan_fail (&s, "trailing data");
      else
        ok = TRUE;
      goto out;
    }
  if (s.p < s.end && *s.p == ',')
    {
      s.p++;
      if (stack[depth - 1].object)
        goto member;
      goto value;
    }
  if (s.p < s.end && *s.p == (stack[depth - 1].object ? '}' : ']'))
    {
      s.p++;
      level_clear (&stack[--depth]);
      goto after;
    }
  scan_fail (&s, s.p >= s.end ? "unexpected end" : stack[depth - 1].object ? "expected ',' or '}'"
                                                                          : "expected ',' or ']'");

out:
  while (depth > 0)
    level_clear (&stack[--depth]);
  return ok;
}

static gboolean
node_integers_only (JsonNode *node)
{
  switch (JSON_NODE_TYPE (node))
    {
    case JSON_NODE_OBJECT:
      {
        JsonObjectIter iter;
        JsonNode *member;

        json_object_iter_init (&iter, json_node_get_object (node));
        while (json_object_iter_next (&iter, NULL, &member))
          if (!node_integers_only (member))
            return FALSE;
        return TRUE;
      }
    case JSON_NODE_ARRAY:
      {
        JsonArray *array = json_node_get_array (node);

        for (guint i = 0; i < json_array_get_length (array); i++)
          if (!node_integers_only (json_array_get_element (array, i)))
            return FALSE;
        return TRUE;
      }
    case JSON_NODE_VALUE:
      {
        GType type = json_node_get_value_type (node);

        return type == G_TYPE_INT64 || type == G_TYPE_BOOLEAN || type == G_TYPE_STRING;
      }
    case JSON_NODE_NULL:
    default:
      return TRUE;
    }
}

gboolean
mdn_json_object_integers_only (JsonObject *object,
                               GError    **error)
{
  g_autoptr(JsonNode) node = NULL;

  g_return_val_if_fail (object != NULL, FALSE);

  node = json_node_init_object (json_node_alloc (), object);
  if (node_integers_only (node))
    return TRUE;
  g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                       _("The entry is malformed: it holds a number that is not a whole number "
                         "(entries hold integers only)"));
  return FALSE;
}

JsonObject *
mdn_json_parse_object (const char *text,
                       GError    **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) local_error = NULL;
  JsonNode *root;

  if (!mdn_json_check_text (text, -1, error))
    return NULL;
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
