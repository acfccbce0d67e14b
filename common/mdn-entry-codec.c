/* srv-codec.c: reads the body of a push, {"entries": [entry, ...]}, straight
 * into MdnEntry structs.
 *
 * This is the server's hottest path (every entry of every branch), and a
 * generic JSON tree costs more than everything else the push does: a hash
 * table per object, a node per value, then freeing it all. So the envelope
 * of each entry is read field by field into the struct, and only the body
 * (free-form per kind, needed as a JsonObject by the apply code and the
 * hash) becomes a json-glib tree. Strict RFC 8259 JSON; the shape checks are
 * those of mdn_entry_from_json (same messages), which stays the reference:
 * null counts as absent, unknown members are ignored, and every entry's
 * hash is still verified by srv_store_push over its canonical form.
 *
 * The caller has checked that the body is valid UTF-8.
 */
#define G_LOG_DOMAIN "srv-codec"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-ledger.h"
#include "srv-codec.h"

#define MAX_DEPTH 32

typedef struct
{
  const char *start;
  const char *p;
  const char *end;
  guint       depth;
  GError    **error;
} Lex;

static gboolean
syntax (Lex        *lex,
        const char *what)
{
  if (lex->error && *lex->error == NULL)
    g_set_error (lex->error, SRV_CODEC_ERROR, SRV_CODEC_ERROR_SYNTAX,
                 _("The request is not valid JSON: %s at byte %u"), what,
                 (guint) MIN ((gsize) (lex->p - lex->start), G_MAXUINT));
  return FALSE;
}

static void
skip_ws (Lex *lex)
{
  while (lex->p < lex->end && (*lex->p == ' ' || *lex->p == '\n' || *lex->p == '\r' || *lex->p == '\t'))
    lex->p++;
}

/* Skips whitespace and consumes @c if it comes next. */
static gboolean
accept (Lex  *lex,
        char  c)
{
  skip_ws (lex);
  if (lex->p < lex->end && *lex->p == c)
    {
      lex->p++;
      return TRUE;
    }
  return FALSE;
}

static gboolean
expect (Lex  *lex,
        char  c)
{
  char what[] = "expected ' '";

  if (accept (lex, c))
    return TRUE;
  what[10] = c;
  return syntax (lex, what);
}

/* A member name into @buf when it is short and has no escapes (every name
 * of an entry), else a new string in *heap; returns the name or NULL. */
static const char *read_string_into (Lex *lex, char *buf, gsize size, char **heap);

static int
hex4 (const char *p)
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

/* A string (the opening quote next); a new UTF-8 string, or NULL. */
static char *
read_string (Lex *lex)
{
  const char *start;
  GString *s;

  skip_ws (lex);
  if (lex->p >= lex->end || *lex->p != '"')
    return syntax (lex, "expected a string"), NULL;
  start = ++lex->p;
  /* The common case: no escapes. */
  while (lex->p < lex->end && *lex->p != '"' && *lex->p != '\\' && (guchar) *lex->p >= 0x20)
    lex->p++;
  if (lex->p < lex->end && *lex->p == '"')
    return g_strndup (start, lex->p++ - start);

  s = g_string_new_len (start, lex->p - start);
  while (lex->p < lex->end && *lex->p != '"')
    {
      guchar c = (guchar) *lex->p;

      if (c < 0x20)
        goto fail_syntax;
      if (c != '\\')
        {
          g_string_append_c (s, (char) c);
          lex->p++;
          continue;
        }
      if (lex->end - lex->p < 2)
        goto fail_syntax;
      lex->p += 2;
      switch (lex->p[-1])
        {
        case '"':  g_string_append_c (s, '"'); break;
        case '\\': g_string_append_c (s, '\\'); break;
        case '/':  g_string_append_c (s, '/'); break;
        case 'b':  g_string_append_c (s, '\b'); break;
        case 'f':  g_string_append_c (s, '\f'); break;
        case 'n':  g_string_append_c (s, '\n'); break;
        case 'r':  g_string_append_c (s, '\r'); break;
        case 't':  g_string_append_c (s, '\t'); break;
        case 'u':
          {
            int u;

            if (lex->end - lex->p < 4 || (u = hex4 (lex->p)) < 0)
              goto fail_syntax;
            lex->p += 4;
            if (u >= 0xD800 && u <= 0xDBFF)
              {
                int lo;

                if (lex->end - lex->p < 6 || lex->p[0] != '\\' || lex->p[1] != 'u' ||
                    (lo = hex4 (lex->p + 2)) < 0xDC00 || lo > 0xDFFF)
                  goto fail_syntax;
                lex->p += 6;
                u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
              }
            else if ((u >= 0xDC00 && u <= 0xDFFF) || u == 0)
              goto fail_syntax;
            g_string_append_unichar (s, (gunichar) u);
          }
          break;
        default:
          goto fail_syntax;
        }
    }
  if (lex->p >= lex->end)
    goto fail_syntax;
  lex->p++;
  return g_string_free (s, FALSE);

fail_syntax:
  g_string_free (s, TRUE);
  return syntax (lex, "bad string"), NULL;
}

static const char *
read_string_into (Lex   *lex,
                  char  *buf,
                  gsize  size,
                  char **heap)
{
  const char *q;

  skip_ws (lex);
  if (lex->p < lex->end && *lex->p == '"')
    {
      for (q = lex->p + 1; q < lex->end && (gsize) (q - lex->p) < size; q++)
        if (*q == '"' || *q == '\\' || (guchar) *q < 0x20)
          break;
      if (q < lex->end && *q == '"' && (gsize) (q - lex->p) < size)
        {
          gsize len = q - lex->p - 1;

          memcpy (buf, lex->p + 1, len);
          buf[len] = '\0';
          lex->p = q + 1;
          return buf;
        }
    }
  *heap = read_string (lex);
  return *heap;
}

/* A number: an integer that fits gint64 becomes one, anything with a
 * fraction or exponent a double (as json-glib reads them). */
static JsonNode *
read_number (Lex *lex)
{
  const char *start = lex->p;
  gboolean integer = TRUE;
  char buf[64];
  gsize len;

  if (lex->p < lex->end && *lex->p == '-')
    lex->p++;
  if (lex->p >= lex->end || !g_ascii_isdigit (*lex->p))
    return syntax (lex, "bad number"), NULL;
  if (*lex->p == '0')
    lex->p++;
  else
    while (lex->p < lex->end && g_ascii_isdigit (*lex->p))
      lex->p++;
  if (lex->p < lex->end && *lex->p == '.')
    {
      integer = FALSE;
      lex->p++;
      if (lex->p >= lex->end || !g_ascii_isdigit (*lex->p))
        return syntax (lex, "bad number"), NULL;
      while (lex->p < lex->end && g_ascii_isdigit (*lex->p))
        lex->p++;
    }
  if (lex->p < lex->end && (*lex->p == 'e' || *lex->p == 'E'))
    {
      integer = FALSE;
      lex->p++;
      if (lex->p < lex->end && (*lex->p == '+' || *lex->p == '-'))
        lex->p++;
      if (lex->p >= lex->end || !g_ascii_isdigit (*lex->p))
        return syntax (lex, "bad number"), NULL;
      while (lex->p < lex->end && g_ascii_isdigit (*lex->p))
        lex->p++;
    }
  len = lex->p - start;
  if (len >= sizeof buf)
    return syntax (lex, "number too long"), NULL;
  memcpy (buf, start, len);
  buf[len] = '\0';
  if (integer)
    {
      gint64 v;

      if (!g_ascii_string_to_signed (buf, 10, G_MININT64, G_MAXINT64, &v, NULL))
        return syntax (lex, "integer out of range"), NULL;
      return json_node_init_int (json_node_alloc (), v);
    }
  return json_node_init_double (json_node_alloc (), g_ascii_strtod (buf, NULL));
}

static gboolean
literal (Lex        *lex,
         const char *word)
{
  gsize len = strlen (word);

  if ((gsize) (lex->end - lex->p) < len || memcmp (lex->p, word, len) != 0)
    return syntax (lex, "unexpected character");
  lex->p += len;
  return TRUE;
}

static JsonNode *read_value (Lex *lex);

static JsonNode *
read_object (Lex *lex)
{
  g_autoptr(JsonObject) object = json_object_new ();

  if (!expect (lex, '{'))
    return NULL;
  if (++lex->depth > MAX_DEPTH)
    return syntax (lex, "nested too deeply"), NULL;
  if (!accept (lex, '}'))
    do
      {
        g_autofree char *key = read_string (lex);
        JsonNode *value;

        if (key == NULL || !expect (lex, ':') || (value = read_value (lex)) == NULL)
          return NULL;
        json_object_set_member (object, key, value);
      }
    while (accept (lex, ','));
  if (!expect (lex, '}'))
    return NULL;
  lex->depth--;
  return json_node_init_object (json_node_alloc (), object);
}

static JsonNode *
read_array (Lex *lex)
{
  g_autoptr(JsonArray) array = json_array_new ();

  if (!expect (lex, '['))
    return NULL;
  if (++lex->depth > MAX_DEPTH)
    return syntax (lex, "nested too deeply"), NULL;
  if (!accept (lex, ']'))
    do
      {
        JsonNode *value = read_value (lex);

        if (value == NULL)
          return NULL;
        json_array_add_element (array, value);
      }
    while (accept (lex, ','));
  if (!expect (lex, ']'))
    return NULL;
  lex->depth--;
  return json_node_init_array (json_node_alloc (), array);
}

static JsonNode *
read_value (Lex *lex)
{
  skip_ws (lex);
  if (lex->p >= lex->end)
    return syntax (lex, "unexpected end"), NULL;
  switch (*lex->p)
    {
    case '{':
      return read_object (lex);
    case '[':
      return read_array (lex);
    case '"':
      {
        char *s = read_string (lex);
        JsonNode *node;

        if (s == NULL)
          return NULL;
        node = json_node_init_string (json_node_alloc (), s);
        g_free (s);
        return node;
      }
    case 't':
      return literal (lex, "true") ? json_node_init_boolean (json_node_alloc (), TRUE) : NULL;
    case 'f':
      return literal (lex, "false") ? json_node_init_boolean (json_node_alloc (), FALSE) : NULL;
    case 'n':
      return literal (lex, "null") ? json_node_init_null (json_node_alloc ()) : NULL;
    default:
      return read_number (lex);
    }
}

/* Shape errors: the messages of mdn_entry_from_json's argument checks. */
static gboolean
missing (const char *name,
         GError    **error)
{
  g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("“%s” is required"), name);
  return FALSE;
}

static gboolean
wrong_type (const char *name,
            const char *expected,
            GError    **error)
{
  g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("“%s” must be %s"), name, expected);
  return FALSE;
}

static gboolean
bad_entry (const char *what,
           GError    **error)
{
  g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("The entry is malformed: %s"), what);
  return FALSE;
}

/* A member's value: a string (*out set, owned), null (nothing), or another
 * value (a type error). Returns FALSE on a syntax or type error. */
static gboolean
read_opt_string (Lex        *lex,
                 const char *name,
                 char      **out)
{
  skip_ws (lex);
  if (lex->p < lex->end && *lex->p == 'n')
    {
      g_clear_pointer (out, g_free);
      return literal (lex, "null");
    }
  if (lex->p < lex->end && *lex->p == '"')
    {
      char *s = read_string (lex);

      if (s == NULL)
        return FALSE;
      g_free (*out);
      *out = s;
      return TRUE;
    }
  return wrong_type (name, _("text"), lex->error);
}

/* An integer member; *seen tells null (absent) from a number. */
static gboolean
read_opt_int (Lex        *lex,
              const char *name,
              gint64     *out,
              gboolean   *seen)
{
  g_autoptr(JsonNode) node = NULL;

  skip_ws (lex);
  if (lex->p < lex->end && (*lex->p == '-' || g_ascii_isdigit (*lex->p)))
    {
      /* The common case, a plain integer: no node. */
      const char *q = lex->p + (*lex->p == '-');
      guint64 v = 0;
      gsize digits = 0;

      while (q < lex->end && g_ascii_isdigit (*q) && digits < 18)
        {
          v = v * 10 + (guint64) (*q - '0');
          q++;
          digits++;
        }
      if (digits > 0 && (digits == 1 || lex->p[*lex->p == '-'] != '0') &&
          (q >= lex->end || (!g_ascii_isdigit (*q) && *q != '.' && *q != 'e' && *q != 'E')))
        {
          *out = *lex->p == '-' ? -(gint64) v : (gint64) v;
          *seen = TRUE;
          lex->p = q;
          return TRUE;
        }
    }
  node = read_value (lex);
  if (node == NULL)
    return FALSE;
  if (JSON_NODE_HOLDS_NULL (node))
    {
      *seen = FALSE;
      return TRUE;
    }
  if (!JSON_NODE_HOLDS_VALUE (node) || json_node_get_value_type (node) != G_TYPE_INT64)
    return wrong_type (name, _("a whole number"), lex->error);
  *out = json_node_get_int (node);
  *seen = TRUE;
  return TRUE;
}

static gboolean
blank (const char *s)
{
  while (g_ascii_isspace (*s))
    s++;
  return *s == '\0';
}

static gboolean
check_required (const char *name,
                const char *value,
                GError    **error)
{
  if (value == NULL || blank (value))
    return missing (name, error);
  return TRUE;
}

static gboolean
check_date (const char *name,
            const char *value,
            GError    **error)
{
  if (value != NULL && !mdn_date_valid (value))
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("“%s” must be a date like 2026-01-31, not “%s”"), name, value);
      return FALSE;
    }
  return TRUE;
}

static const char *const accounts[] = { "principal", "bonus", "points", "package", "stock", NULL };

typedef struct
{
  char  *member, *account, *item, *lot, *expires_on;
  gint64 delta;
  gboolean has_delta;
} Movement;

static void
movement_clear (Movement *m)
{
  g_free (m->member);
  g_free (m->account);
  g_free (m->item);
  g_free (m->lot);
  g_free (m->expires_on);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Movement, movement_clear)

static gboolean
read_movement (Lex      *lex,
               MdnEntry *entry)
{
  g_auto(Movement) m = { NULL };

  if (!expect (lex, '{'))
    return FALSE;
  if (!accept (lex, '}'))
    do
      {
        char buf[32];
        g_autofree char *heap = NULL;
        const char *key = read_string_into (lex, buf, sizeof buf, &heap);
        gboolean ok;

        if (key == NULL || !expect (lex, ':'))
          return FALSE;
        if (g_str_equal (key, "member"))
          ok = read_opt_string (lex, "member", &m.member);
        else if (g_str_equal (key, "account"))
          ok = read_opt_string (lex, "account", &m.account);
        else if (g_str_equal (key, "item"))
          ok = read_opt_string (lex, "item", &m.item);
        else if (g_str_equal (key, "lot"))
          ok = read_opt_string (lex, "lot", &m.lot);
        else if (g_str_equal (key, "expires_on"))
          ok = read_opt_string (lex, "expires_on", &m.expires_on);
        else if (g_str_equal (key, "delta"))
          ok = read_opt_int (lex, "delta", &m.delta, &m.has_delta);
        else
          {
            JsonNode *ignored = read_value (lex);

            ok = ignored != NULL;
            g_clear_pointer (&ignored, json_node_unref);
          }
        if (!ok)
          return FALSE;
      }
    while (accept (lex, ','));
  if (!expect (lex, '}'))
    return FALSE;

  if (!check_required ("account", m.account, lex->error) ||
      !check_date ("expires_on", m.expires_on, lex->error))
    return FALSE;
  if (!m.has_delta)
    return missing ("delta", lex->error);
  if (!g_strv_contains (accounts, m.account) || m.delta == 0)
    return bad_entry ("movement", lex->error);
  mdn_entry_add_movement (entry, m.member, m.account, m.item ? m.item : "", m.lot ? m.lot : "",
                          m.expires_on, m.delta);
  return TRUE;
}

/* One entry object; its fields in any order, as mdn_entry_from_json reads
 * them. */
static MdnEntry *
read_entry (Lex *lex)
{
  g_autoptr(MdnEntry) entry = mdn_entry_new ("?", NULL);
  g_autoptr(JsonNode) body = NULL;
  gboolean has_seq = FALSE, has_moves = FALSE;

  if (!expect (lex, '{'))
    return NULL;
  if (!accept (lex, '}'))
    do
      {
        char buf[32];
        g_autofree char *heap = NULL;
        const char *key = read_string_into (lex, buf, sizeof buf, &heap);
        gboolean ok = TRUE;

        if (key == NULL || !expect (lex, ':'))
          return NULL;
        if (g_str_equal (key, "id"))
          ok = read_opt_string (lex, "id", &entry->id);
        else if (g_str_equal (key, "branch"))
          ok = read_opt_string (lex, "branch", &entry->branch);
        else if (g_str_equal (key, "seq"))
          ok = read_opt_int (lex, "seq", &entry->seq, &has_seq);
        else if (g_str_equal (key, "kind"))
          {
            g_autofree char *kind = NULL;

            ok = read_opt_string (lex, "kind", &kind);
            if (ok)
              {
                g_free (entry->kind);
                entry->kind = g_steal_pointer (&kind);
              }
          }
        else if (g_str_equal (key, "at"))
          ok = read_opt_string (lex, "at", &entry->at);
        else if (g_str_equal (key, "business_date"))
          ok = read_opt_string (lex, "business_date", &entry->business_date);
        else if (g_str_equal (key, "staff"))
          ok = read_opt_string (lex, "staff", &entry->staff);
        else if (g_str_equal (key, "member"))
          ok = read_opt_string (lex, "member", &entry->member_id);
        else if (g_str_equal (key, "prev_hash"))
          ok = read_opt_string (lex, "prev_hash", &entry->prev_hash);
        else if (g_str_equal (key, "hash"))
          ok = read_opt_string (lex, "hash", &entry->hash);
        else if (g_str_equal (key, "body"))
          {
            g_clear_pointer (&body, json_node_unref);
            ok = (body = read_value (lex)) != NULL;
          }
        else if (g_str_equal (key, "movements"))
          {
            skip_ws (lex);
            if (lex->p < lex->end && *lex->p == 'n')
              ok = literal (lex, "null");
            else if (lex->p < lex->end && *lex->p == '[' && !has_moves)
              {
                has_moves = TRUE;
                lex->p++;
                if (!accept (lex, ']'))
                  {
                    do
                      ok = read_movement (lex, entry);
                    while (ok && accept (lex, ','));
                    ok = ok && expect (lex, ']');
                  }
              }
            else
              ok = wrong_type ("movements", _("a list"), lex->error);
          }
        else
          {
            JsonNode *ignored = read_value (lex);

            ok = ignored != NULL;
            g_clear_pointer (&ignored, json_node_unref);
          }
        if (!ok)
          return NULL;
      }
    while (accept (lex, ','));
  if (!expect (lex, '}'))
    return NULL;

  if (!check_required ("id", entry->id, lex->error) ||
      !check_required ("branch", entry->branch, lex->error))
    return NULL;
  if (!has_seq)
    return missing ("seq", lex->error), NULL;
  if (!check_required ("kind", g_str_equal (entry->kind, "?") ? NULL : entry->kind, lex->error) ||
      !check_required ("at", entry->at, lex->error) ||
      !check_required ("business_date", entry->business_date, lex->error) ||
      !check_date ("business_date", entry->business_date, lex->error) ||
      !check_required ("staff", entry->staff, lex->error) ||
      !check_required ("prev_hash", entry->prev_hash, lex->error) ||
      !check_required ("hash", entry->hash, lex->error))
    return NULL;
  if (entry->seq < 1)
    return bad_entry ("seq", lex->error), NULL;
  if (mdn_ledger_lookup_kind (entry->kind) == NULL)
    {
      g_set_error (lex->error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("Unknown entry kind “%s”"), entry->kind);
      return NULL;
    }
  if (body == NULL || !JSON_NODE_HOLDS_OBJECT (body))
    return bad_entry ("body", lex->error), NULL;
  if (!has_moves)
    return missing ("movements", lex->error), NULL;
  json_object_unref (entry->body);
  entry->body = json_node_dup_object (body);
  return g_steal_pointer (&entry);
}

/* Reads {"entries": [...]} (other members are ignored) into @entries.
 * On failure, *out_index is the entry at fault (or -1 for the envelope). */
gboolean
srv_codec_read_push (const char *data,
                     gsize       size,
                     guint       max_entries,
                     GPtrArray  *entries,
                     gint       *out_index,
                     GError    **error)
{
  Lex lex = { .start = data, .p = data, .end = data + size, .error = error };
  gboolean seen = FALSE;

  g_return_val_if_fail (data != NULL && entries != NULL && out_index != NULL, FALSE);

  *out_index = -1;
  if (!expect (&lex, '{'))
    return FALSE;
  if (!accept (&lex, '}'))
    do
      {
        g_autofree char *key = read_string (&lex);

        if (key == NULL || !expect (&lex, ':'))
          return FALSE;
        skip_ws (&lex);
        if (g_str_equal (key, "entries"))
          {
            if (seen)
              return syntax (&lex, "“entries” twice");
            if (lex.p >= lex.end || *lex.p != '[')
              {
                g_set_error_literal (error, SRV_CODEC_ERROR, SRV_CODEC_ERROR_NO_ENTRIES,
                                     "entries is not an array");
                return FALSE;
              }
            seen = TRUE;
            lex.p++;
            if (!accept (&lex, ']'))
              {
                do
                  {
                    MdnEntry *entry;

                    *out_index = (gint) entries->len;
                    if (entries->len >= max_entries)
                      {
                        g_set_error_literal (error, SRV_CODEC_ERROR, SRV_CODEC_ERROR_TOO_MANY,
                                             "too many entries");
                        return FALSE;
                      }
                    skip_ws (&lex);
                    if (lex.p >= lex.end)
                      return syntax (&lex, "unexpected end");
                    if (*lex.p != '{')
                      {
                        g_set_error_literal (error, SRV_CODEC_ERROR, SRV_CODEC_ERROR_NOT_AN_ENTRY,
                                             "not an entry object");
                        return FALSE;
                      }
                    entry = read_entry (&lex);
                    if (entry == NULL)
                      return FALSE;
                    g_ptr_array_add (entries, entry);
                  }
                while (accept (&lex, ','));
                *out_index = -1;
                if (!expect (&lex, ']'))
                  return FALSE;
              }
          }
        else
          {
            g_autoptr(JsonNode) ignored = read_value (&lex);

            if (ignored == NULL)
              return FALSE;
          }
      }
    while (accept (&lex, ','));
  if (!expect (&lex, '}'))
    return FALSE;
  skip_ws (&lex);
  if (lex.p != lex.end)
    return syntax (&lex, "trailing data");
  if (!seen)
    {
      g_set_error_literal (error, SRV_CODEC_ERROR, SRV_CODEC_ERROR_NO_ENTRIES, "no entries array");
      return FALSE;
    }
  return TRUE;
}

G_DEFINE_QUARK (srv-codec-error-quark, srv_codec_error)
