/* mdn-entry-codec.c: the one entry codec. Its readers take a push,
 * {"entries": [entry, ...]} (the server), and a feed page, {"entries":
 * [{"position", "entry"}, ...], ...} (the branch), straight into MdnEntry
 * structs; its writer, mdn_entry_codec_write, is the one canonical form of
 * an entry, which the hash is taken over and a branch pushes.
 *
 * This is the server's hottest path (every entry of every branch), and a
 * generic JSON tree costs more than everything else the push does: a hash
 * table per object, a node per value, then freeing it all. So the envelope
 * of each entry is read field by field into the struct, and only the body
 * (free-form per kind, needed as a JsonObject by the apply code and the
 * hash) becomes a json-glib tree. Strict RFC 8259 JSON; the shape checks are
 * those of mdn_entry_from_json (same messages; tests/mdn-test-entry.c, the
 * reference):
 * null counts as absent, unknown members are ignored, and every entry's
 * hash is still verified by srv_push over its canonical form.
 *
 * It accepts what mdn_json_check_text followed by json-glib and
 * mdn_entry_from_json accepts, and reads the same entries from it
 * (tests/test-codec.c shows it on random input): nesting at most
 * MDN_JSON_MAX_DEPTH deep counted from the push's outer object, no member
 * name twice in one object, and integers only, in gint64 (an entry's
 * canonical form has no fractions or exponents). Empty arrays and objects
 * are values like any other.
 *
 * The caller has checked that the body is valid UTF-8.
 */
#define G_LOG_DOMAIN "mdn-entry-codec"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-entry-codec.h"
#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-ledger.h"

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
    g_set_error (lex->error, MDN_ENTRY_CODEC_ERROR, MDN_ENTRY_CODEC_ERROR_SYNTAX,
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

/* The member names of one object so far: those the reader knows by their
 * bit in @known, any others in @others (made when the first one comes). */
typedef struct
{
  guint32     known;
  GHashTable *others;
} Names;

static void
names_clear (Names *n)
{
  g_clear_pointer (&n->others, g_hash_table_unref);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (Names, names_clear)

static gboolean
duplicate (Lex        *lex,
           const char *key)
{
  g_autofree char *shown = g_utf8_strlen (key, -1) > 32 ? g_utf8_substring (key, 0, 32) : g_strdup (key);
  g_autofree char *what = g_strdup_printf (_("the member “%s” twice"), shown);

  return syntax (lex, what);
}

/* Records @key, the reader's member @bit (or -1 for one it ignores);
 * FALSE, a syntax error, if the object had it already. */
static gboolean
names_add (Lex        *lex,
           Names      *n,
           int         bit,
           const char *key)
{
  if (bit >= 0)
    {
      if (n->known & (1u << bit))
        return duplicate (lex, key);
      n->known |= 1u << bit;
      return TRUE;
    }
  if (n->others == NULL)
    n->others = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (!g_hash_table_add (n->others, g_strdup (key)))
    return duplicate (lex, key);
  return TRUE;
}

/* Enters an array or object (its opening character consumed). */
static gboolean
enter (Lex *lex)
{
  if (++lex->depth > MDN_JSON_MAX_DEPTH)
    {
      g_autofree char *what = g_strdup_printf (_("nested more than %d levels deep"), MDN_JSON_MAX_DEPTH);

      return syntax (lex, what);
    }
  return TRUE;
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
  lex->p += mdn_json_plain_run (lex->p, lex->end - lex->p);
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
      q = lex->p + 1 + mdn_json_plain_run (lex->p + 1, MIN ((gsize) (lex->end - lex->p - 1), size));
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

/* A number: an integer that fits gint64. A fraction or an exponent is
 * refused, as an integer out of range is (an entry's canonical form has
 * neither; json-glib would read one as a double, the other wrapped). */
static JsonNode *
read_number (Lex *lex)
{
  const char *start = lex->p;
  gboolean integer = TRUE;
  char buf[24];
  gsize len;
  gint64 v;

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
  if (!integer)
    {
      if (lex->error && *lex->error == NULL)
        g_set_error (lex->error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                     _("The entry is malformed: %.*s is not a whole number (entries hold integers only)"),
                     (int) MIN (len, 32), start);
      return NULL;
    }
  if (len < sizeof buf)
    {
      memcpy (buf, start, len);
      buf[len] = '\0';
    }
  if (len >= sizeof buf || !g_ascii_string_to_signed (buf, 10, G_MININT64, G_MAXINT64, &v, NULL))
    {
      if (lex->error && *lex->error == NULL)
        g_set_error (lex->error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                     _("The entry is malformed: the number %.*s is out of range"), (int) MIN (len, 32), start);
      return NULL;
    }
  return json_node_init_int (json_node_alloc (), v);
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

/* {} and [] are values like any other: a timed session stopped within its
 * free minutes pays with "tenders": []. Reads the members into @object
 * (empty). */
static gboolean
read_object_into (Lex        *lex,
                  JsonObject *object)
{
  if (!expect (lex, '{') || !enter (lex))
    return FALSE;
  if (!accept (lex, '}'))
    {
      do
        {
          char buf[64];
          g_autofree char *heap = NULL;
          const char *key = read_string_into (lex, buf, sizeof buf, &heap);
          JsonNode *value;

          if (key == NULL)
            return FALSE;
          if (json_object_has_member (object, key))
            return duplicate (lex, key);
          if (!expect (lex, ':') || (value = read_value (lex)) == NULL)
            return FALSE;
          json_object_set_member (object, key, value);
        }
      while (accept (lex, ','));
      if (!expect (lex, '}'))
        return FALSE;
    }
  lex->depth--;
  return TRUE;
}

static JsonNode *
read_object (Lex *lex)
{
  g_autoptr(JsonObject) object = json_object_new ();

  if (!read_object_into (lex, object))
    return NULL;
  return json_node_init_object (json_node_alloc (), object);
}

static JsonNode *
read_array (Lex *lex)
{
  g_autoptr(JsonArray) array = json_array_new ();

  if (!expect (lex, '[') || !enter (lex))
    return NULL;
  if (!accept (lex, ']'))
    {
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
    }
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

/* Skips a member the reader does not know (its value is still checked). */
static gboolean
skip_value (Lex *lex)
{
  JsonNode *ignored = read_value (lex);

  if (ignored == NULL)
    return FALSE;
  json_node_unref (ignored);
  return TRUE;
}

static const char *const movement_members[] = {
  "member", "account", "item", "lot", "expires_on", "delta", NULL
};

static int
member_bit (const char *const *members,
            const char        *key)
{
  /* the first byte first: a strcmp only for the one or two names that
     start alike (every key of every entry comes here) */
  for (int i = 0; members[i]; i++)
    if (members[i][0] == key[0] && strcmp (members[i], key) == 0)
      return i;
  return -1;
}

static gboolean
read_movement (Lex      *lex,
               MdnEntry *entry)
{
  g_auto(Movement) m = { NULL };
  g_auto(Names) names = { 0 };

  if (!expect (lex, '{') || !enter (lex))
    return FALSE;
  if (!accept (lex, '}'))
    {
      do
        {
          char buf[32];
          g_autofree char *heap = NULL;
          const char *key = read_string_into (lex, buf, sizeof buf, &heap);
          int bit;
          gboolean ok;

          if (key == NULL)
            return FALSE;
          bit = member_bit (movement_members, key);
          if (!names_add (lex, &names, bit, key) || !expect (lex, ':'))
            return FALSE;
          switch (bit)
            {
            case 0: ok = read_opt_string (lex, "member", &m.member); break;
            case 1: ok = read_opt_string (lex, "account", &m.account); break;
            case 2: ok = read_opt_string (lex, "item", &m.item); break;
            case 3: ok = read_opt_string (lex, "lot", &m.lot); break;
            case 4: ok = read_opt_string (lex, "expires_on", &m.expires_on); break;
            case 5: ok = read_opt_int (lex, "delta", &m.delta, &m.has_delta); break;
            default: ok = skip_value (lex); break;
            }
          if (!ok)
            return FALSE;
        }
      while (accept (lex, ','));
      if (!expect (lex, '}'))
        return FALSE;
    }
  lex->depth--;

  if (!check_required ("account", m.account, lex->error) ||
      !check_date ("expires_on", m.expires_on, lex->error))
    return FALSE;
  if (!m.has_delta)
    return missing ("delta", lex->error);
  if (!g_strv_contains (accounts, m.account) || m.delta == 0)
    return bad_entry ("movement", lex->error);
  {
    /* What mdn_entry_add_movement stores, without copying the strings
       again. */
    MdnMovement mv = {
      .member_id = g_steal_pointer (&m.member),
      .account = g_steal_pointer (&m.account),
      .item = m.item ? g_steal_pointer (&m.item) : g_strdup (""),
      .lot = m.lot ? g_steal_pointer (&m.lot) : g_strdup (""),
      .expires_on = g_steal_pointer (&m.expires_on),
      .delta = m.delta,
    };

    g_array_append_val (entry->movements, mv);
  }
  return TRUE;
}

enum {
  E_ID, E_BRANCH, E_SEQ, E_KIND, E_AT, E_DATE, E_STAFF, E_MEMBER, E_PREV, E_HASH, E_BODY, E_MOVES
};

static const char *const entry_members[] = {
  "id", "branch", "seq", "kind", "at", "business_date", "staff", "member", "prev_hash", "hash",
  "body", "movements", NULL
};

/* One entry object; its fields in any order, as mdn_entry_from_json reads
 * them. */
static MdnEntry *
read_entry (Lex *lex)
{
  g_autoptr(MdnEntry) entry = mdn_entry_new ("?", NULL);
  g_auto(Names) names = { 0 };
  gboolean has_seq = FALSE, has_moves = FALSE, has_body = FALSE;

  if (!expect (lex, '{') || !enter (lex))
    return NULL;
  if (!accept (lex, '}'))
    {
      do
        {
          char buf[32];
          g_autofree char *heap = NULL;
          const char *key = read_string_into (lex, buf, sizeof buf, &heap);
          gboolean ok = TRUE;
          int bit;

          if (key == NULL)
            return NULL;
          bit = member_bit (entry_members, key);
          if (!names_add (lex, &names, bit, key) || !expect (lex, ':'))
            return NULL;
          switch (bit)
            {
            case E_ID:     ok = read_opt_string (lex, "id", &entry->id); break;
            case E_BRANCH: ok = read_opt_string (lex, "branch", &entry->branch); break;
            case E_SEQ:    ok = read_opt_int (lex, "seq", &entry->seq, &has_seq); break;
            case E_KIND:
              {
                g_autofree char *kind = NULL;

                ok = read_opt_string (lex, "kind", &kind);
                if (ok)
                  {
                    g_free (entry->kind);
                    entry->kind = kind ? g_steal_pointer (&kind) : g_strdup ("?");
                  }
              }
              break;
            case E_AT:     ok = read_opt_string (lex, "at", &entry->at); break;
            case E_DATE:   ok = read_opt_string (lex, "business_date", &entry->business_date); break;
            case E_STAFF:  ok = read_opt_string (lex, "staff", &entry->staff); break;
            case E_MEMBER: ok = read_opt_string (lex, "member", &entry->member_id); break;
            case E_PREV:   ok = read_opt_string (lex, "prev_hash", &entry->prev_hash); break;
            case E_HASH:   ok = read_opt_string (lex, "hash", &entry->hash); break;
            case E_BODY:
              /* Read into the entry's (empty) body: names_add has seen to
                 it that this is the first "body". */
              skip_ws (lex);
              if (lex->p < lex->end && *lex->p == '{')
                ok = has_body = read_object_into (lex, entry->body);
              else
                ok = skip_value (lex);
              break;
            case E_MOVES:
              skip_ws (lex);
              if (lex->p < lex->end && *lex->p == 'n')
                ok = literal (lex, "null");
              else if (lex->p < lex->end && *lex->p == '[')
                {
                  has_moves = TRUE;
                  lex->p++;
                  if (!enter (lex))
                    return NULL;
                  if (!accept (lex, ']'))
                    {
                      do
                        ok = read_movement (lex, entry);
                      while (ok && accept (lex, ','));
                      ok = ok && expect (lex, ']');
                    }
                  lex->depth--;
                }
              else
                {
                  /* Still a value to read, for the syntax: its type is wrong. */
                  ok = skip_value (lex) && wrong_type ("movements", _("a list"), lex->error);
                }
              break;
            default:
              ok = skip_value (lex);
              break;
            }
          if (!ok)
            return NULL;
        }
      while (accept (lex, ','));
      if (!expect (lex, '}'))
        return NULL;
    }
  lex->depth--;

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
  if (!has_body)
    return bad_entry ("body", lex->error), NULL;
  if (!has_moves)
    return missing ("movements", lex->error), NULL;
  return g_steal_pointer (&entry);
}

/* Reads {"entries": [...]} (other members are ignored) into @entries.
 * On failure, *out_index is the entry at fault (or -1 for the envelope). */
gboolean
mdn_entry_codec_read_push (const char *data,
                           gsize       size,
                           guint       max_entries,
                           GPtrArray  *entries,
                           gint       *out_index,
                           GError    **error)
{
  Lex lex = { .start = data, .p = data, .end = data + size, .error = error };
  g_auto(Names) names = { 0 };
  static const char *const push_members[] = { "entries", NULL };

  g_return_val_if_fail (data != NULL && entries != NULL && out_index != NULL, FALSE);

  *out_index = -1;
  if (!expect (&lex, '{') || !enter (&lex))
    return FALSE;
  if (!accept (&lex, '}'))
    {
      do
        {
          g_autofree char *key = read_string (&lex);
          int bit;

          if (key == NULL)
            return FALSE;
          bit = member_bit (push_members, key);
          if (!names_add (&lex, &names, bit, key) || !expect (&lex, ':'))
            return FALSE;
          skip_ws (&lex);
          if (bit != 0)
            {
              if (!skip_value (&lex))
                return FALSE;
              continue;
            }
          if (lex.p >= lex.end || *lex.p != '[')
            {
              /* Still a value to read, for the syntax. */
              if (!skip_value (&lex))
                return FALSE;
              g_set_error_literal (error, MDN_ENTRY_CODEC_ERROR, MDN_ENTRY_CODEC_ERROR_NO_ENTRIES,
                                   "entries is not an array");
              return FALSE;
            }
          lex.p++;
          if (!enter (&lex))
            return FALSE;
          if (!accept (&lex, ']'))
            {
              do
                {
                  MdnEntry *entry;

                  *out_index = (gint) entries->len;
                  if (entries->len >= max_entries)
                    {
                      g_set_error_literal (error, MDN_ENTRY_CODEC_ERROR, MDN_ENTRY_CODEC_ERROR_TOO_MANY,
                                           "too many entries");
                      return FALSE;
                    }
                  skip_ws (&lex);
                  if (lex.p >= lex.end)
                    return syntax (&lex, "unexpected end");
                  if (*lex.p != '{')
                    {
                      if (!skip_value (&lex))
                        return FALSE;
                      g_set_error_literal (error, MDN_ENTRY_CODEC_ERROR, MDN_ENTRY_CODEC_ERROR_NOT_AN_ENTRY,
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
          lex.depth--;
        }
      while (accept (&lex, ','));
      if (!expect (&lex, '}'))
        return FALSE;
    }
  skip_ws (&lex);
  if (lex.p != lex.end)
    return syntax (&lex, "trailing data");
  if (names.known == 0)
    {
      g_set_error_literal (error, MDN_ENTRY_CODEC_ERROR, MDN_ENTRY_CODEC_ERROR_NO_ENTRIES, "no entries array");
      return FALSE;
    }
  return TRUE;
}

G_DEFINE_QUARK (mdn-entry-codec-error-quark, mdn_entry_codec_error)

/* Feed pages -------------------------------------------------------------------- */

void
mdn_feed_row_free (MdnFeedRow *row)
{
  if (row == NULL)
    return;
  g_clear_pointer (&row->entry, mdn_entry_free);
  g_free (row);
}

static gboolean
not_a_row (Lex *lex)
{
  g_set_error_literal (lex->error, MDN_ENTRY_CODEC_ERROR, MDN_ENTRY_CODEC_ERROR_NOT_AN_ENTRY,
                       "not a feed row {position, entry}");
  return FALSE;
}

/* One {"position": N, "entry": {...}} (other members ignored). */
static MdnFeedRow *
read_feed_row (Lex *lex)
{
  static const char *const row_members[] = { "position", "entry", NULL };
  g_autoptr(MdnEntry) entry = NULL;
  g_auto(Names) names = { 0 };
  gint64 position = 0;
  gboolean has_position = FALSE;
  MdnFeedRow *row;

  skip_ws (lex);
  if (lex->p >= lex->end)
    return syntax (lex, "unexpected end"), NULL;
  if (*lex->p != '{')
    {
      if (skip_value (lex))
        not_a_row (lex);
      return NULL;
    }
  if (!expect (lex, '{') || !enter (lex))
    return NULL;
  if (!accept (lex, '}'))
    {
      do
        {
          g_autofree char *key = read_string (lex);
          int bit;

          if (key == NULL)
            return NULL;
          bit = member_bit (row_members, key);
          if (!names_add (lex, &names, bit, key) || !expect (lex, ':'))
            return NULL;
          skip_ws (lex);
          if (bit == 0)
            {
              g_autoptr(JsonNode) value = read_value (lex);

              if (value == NULL)
                return NULL;
              if (JSON_NODE_HOLDS_VALUE (value) && json_node_get_value_type (value) == G_TYPE_INT64)
                {
                  position = json_node_get_int (value);
                  has_position = TRUE;
                }
            }
          else if (bit == 1 && lex->p < lex->end && *lex->p == '{')
            {
              if ((entry = read_entry (lex)) == NULL)
                return NULL;
            }
          else if (!skip_value (lex))
            return NULL;
        }
      while (accept (lex, ','));
      if (!expect (lex, '}'))
        return NULL;
    }
  lex->depth--;
  if (!has_position || entry == NULL)
    return not_a_row (lex), NULL;
  row = g_new0 (MdnFeedRow, 1);
  row->position = position;
  row->entry = g_steal_pointer (&entry);
  return row;
}

/* Reads a feed page: "entries" row by row into @rows, every other member
 * as a JSON value into *out_rest. */
gboolean
mdn_entry_codec_read_feed (const char  *data,
                           gsize        size,
                           GPtrArray   *rows,
                           JsonObject **out_rest,
                           GError     **error)
{
  Lex lex = { .start = data, .p = data, .end = data + size, .error = error };
  g_autoptr(JsonObject) rest = json_object_new ();
  gboolean has_entries = FALSE;

  g_return_val_if_fail (data != NULL && rows != NULL && out_rest != NULL, FALSE);

  *out_rest = NULL;
  if (!expect (&lex, '{') || !enter (&lex))
    return FALSE;
  if (!accept (&lex, '}'))
    {
      do
        {
          g_autofree char *key = read_string (&lex);

          if (key == NULL)
            return FALSE;
          if ((has_entries && g_str_equal (key, "entries")) || json_object_has_member (rest, key))
            return duplicate (&lex, key);
          if (!expect (&lex, ':'))
            return FALSE;
          skip_ws (&lex);
          if (g_str_equal (key, "entries") && lex.p < lex.end && *lex.p == '[')
            {
              has_entries = TRUE;
              lex.p++;
              if (!enter (&lex))
                return FALSE;
              if (!accept (&lex, ']'))
                {
                  do
                    {
                      MdnFeedRow *row = read_feed_row (&lex);

                      if (row == NULL)
                        return FALSE;
                      g_ptr_array_add (rows, row);
                    }
                  while (accept (&lex, ','));
                  if (!expect (&lex, ']'))
                    return FALSE;
                }
              lex.depth--;
            }
          else
            {
              JsonNode *value = read_value (&lex);

              if (value == NULL)
                return FALSE;
              json_object_set_member (rest, key, value);
            }
        }
      while (accept (&lex, ','));
      if (!expect (&lex, '}'))
        return FALSE;
    }
  skip_ws (&lex);
  if (lex.p != lex.end)
    return syntax (&lex, "trailing data");
  if (!has_entries)
    {
      g_set_error_literal (error, MDN_ENTRY_CODEC_ERROR, MDN_ENTRY_CODEC_ERROR_NO_ENTRIES, "no entries array");
      return FALSE;
    }
  *out_rest = g_steal_pointer (&rest);
  return TRUE;
}

/* The canonical writer ------------------------------------------------------------ */

/* Appends @n bytes of @p: one length check, no strlen (the GLib of
 * Debian 12 has no inline g_string_append_len). */
static inline void
put (GString    *s,
     const char *p,
     gsize       n)
{
  gsize at = s->len;

  if (at + n >= s->allocated_len)
    {
      g_string_set_size (s, at + n);
      s->len = at;
    }
  memcpy (s->str + at, p, n);
  s->len = at + n;
  s->str[s->len] = '\0';
}

#define PUT(s, literal) put ((s), (literal), sizeof (literal) - 1)

/* @name_part is the member's name with its quotes and colon (and the comma
 * before it): ,"branch": */
static void
append_member (GString    *s,
               const char *name_part,
               gsize       name_len,
               const char *value)
{
  gsize len;

  put (s, name_part, name_len);
  if (value == NULL)
    {
      PUT (s, "null");
      return;
    }
  len = strlen (value);
  if (mdn_json_plain_run (value, len) == len)
    {
      /* Nothing to escape: the bytes themselves. */
      put (s, "\"", 1);
      put (s, value, len);
      put (s, "\"", 1);
    }
  else
    mdn_json_append_canonical_string (s, value);
}

#define MEMBER(s, name_part, value) append_member ((s), (name_part), sizeof (name_part) - 1, (value))

/* The bytes of mdn_json_object_canonical (mdn_entry_to_json (entry,
 * with_hash)), written directly, keys in sorted order, without building
 * the JSON tree: every entry is hashed when it is written, pushed and
 * received (/ledger/hash/direct-canonical checks both give the same
 * text). */
static void
write_entry (GString  *s,
             MdnEntry *entry,
             gboolean  with_hash,
             gsize    *out_body_start,
             gsize    *out_body_end,
             gsize    *out_hash_at)
{
  MEMBER (s, "{\"at\":", entry->at);
  PUT (s, ",\"body\":");
  if (out_body_start)
    *out_body_start = s->len;
  mdn_json_append_canonical_object (s, entry->body);
  if (out_body_end)
    *out_body_end = s->len;
  MEMBER (s, ",\"branch\":", entry->branch);
  MEMBER (s, ",\"business_date\":", entry->business_date);
  if (out_hash_at)
    *out_hash_at = s->len;
  if (with_hash)
    MEMBER (s, ",\"hash\":", entry->hash);
  MEMBER (s, ",\"id\":", entry->id);
  MEMBER (s, ",\"kind\":", entry->kind);
  MEMBER (s, ",\"member\":", entry->member_id);
  PUT (s, ",\"movements\":[");
  for (guint i = 0; i < entry->movements->len; i++)
    {
      MdnMovement *m = &g_array_index (entry->movements, MdnMovement, i);

      if (i > 0)
        PUT (s, ",");
      MEMBER (s, "{\"account\":", m->account);
      PUT (s, ",\"delta\":");
      mdn_json_append_canonical_int (s, m->delta);
      MEMBER (s, ",\"expires_on\":", m->expires_on);
      MEMBER (s, ",\"item\":", m->item);
      MEMBER (s, ",\"lot\":", m->lot);
      MEMBER (s, ",\"member\":", m->member_id);
      PUT (s, "}");
    }
  MEMBER (s, "],\"prev_hash\":", entry->prev_hash);
  PUT (s, ",\"seq\":");
  mdn_json_append_canonical_int (s, entry->seq);
  MEMBER (s, ",\"staff\":", entry->staff);
  PUT (s, "}");
}

void
mdn_entry_codec_write (GString  *s,
                       MdnEntry *entry,
                       gboolean  with_hash,
                       gsize    *out_body_start,
                       gsize    *out_body_end)
{
  g_return_if_fail (s != NULL && entry != NULL);

  write_entry (s, entry, with_hash, out_body_start, out_body_end, NULL);
}

void
mdn_entry_codec_write_unhashed (GString  *s,
                                MdnEntry *entry,
                                gsize    *out_body_start,
                                gsize    *out_body_end,
                                gsize    *out_hash_at)
{
  g_return_if_fail (s != NULL && entry != NULL);

  write_entry (s, entry, FALSE, out_body_start, out_body_end, out_hash_at);
}

void
mdn_entry_codec_write_hashed (GString  *s,
                              MdnEntry *entry)
{
  g_return_if_fail (s != NULL && entry != NULL);

  if (entry->canonical == NULL || entry->hash == NULL)
    {
      write_entry (s, entry, TRUE, NULL, NULL, NULL);
      return;
    }
  g_string_append_len (s, entry->canonical, (gssize) entry->canonical_hash_at);
  MEMBER (s, ",\"hash\":", entry->hash);
  g_string_append (s, entry->canonical + entry->canonical_hash_at);
}
