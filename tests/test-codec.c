/* test-codec.c: the entry codec's readers of pushes and feed pages
 * (mdn-entry-codec.c) against the json-glib path (mdn_json_check_text,
 * json-glib, mdn_entry_from_json) on real entries of every kind and random
 * mutations of them; its canonical writer against mdn_entry_to_json; the strict JSON
 * check; and mdn_entry_check on every kind, forged or not. */
#include <string.h>

#include "mdn-entry-check.h"
#include "mdn-entry-codec.h"
#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-test-push.h"

/* One branch with an entry of every kind, made once for the whole run. */
static MdnTestBranch *corpus_branch;
static GPtrArray *corpus;   /* JsonObject of its entries, as pushed */

static void
corpus_init (void)
{
  if (corpus)
    return;
  corpus_branch = mdn_test_branch_new ("B01", 1);
  mdn_test_every_kind (corpus_branch);
  corpus = mdn_test_own_entries (corpus_branch, 1, -1);
  g_assert_cmpuint (corpus->len, >, 50);
}

/* A copy of @o to change. */
static JsonObject *
copy_entry (JsonObject *o)
{
  g_autofree char *text = mdn_json_object_to_string (o);
  g_autoptr(JsonNode) node = json_from_string (text, NULL);

  return json_node_dup_object (node);
}

static JsonObject *
corpus_json (const char *kind)
{
  corpus_init ();
  for (guint i = 0; i < corpus->len; i++)
    if (g_str_equal (json_object_get_string_member (g_ptr_array_index (corpus, i), "kind"), kind))
      return g_ptr_array_index (corpus, i);
  g_error ("no %s in the corpus", kind);
  return NULL;
}

/* The two readers ------------------------------------------------------------------------ */

static char *
entries_canonical (GPtrArray *entries)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < entries->len; i++)
    {
      g_autoptr(JsonObject) o = mdn_entry_to_json (g_ptr_array_index (entries, i), TRUE);
      g_autofree char *text = mdn_json_object_canonical (o);

      g_string_append (s, text);
      g_string_append_c (s, '\n');
    }
  return g_string_free (s, FALSE);
}

/* What the server reads from a push body: NULL if refused. */
static char *
read_fast (const char *text,
           gsize       len,
           GError    **error)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_entry_free);
  gint index;

  /* handle_request checks UTF-8 before the push handler runs. */
  if (!g_utf8_validate (text, (gssize) len, NULL))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, "not UTF-8");
      return NULL;
    }
  if (!mdn_entry_codec_read_push (text, len, 5000, entries, &index, error))
    return NULL;
  return entries_canonical (entries);
}

/* The same push read the other way: the strict check, json-glib, then
 * mdn_entry_from_json for each entry (integers only in all of it). */
static char *
read_reference (const char *text,
                gsize       len,
                GError    **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_entry_free);
  JsonNode *root, *list;
  JsonArray *array;

  if (!mdn_json_check_text (text, (gssize) len, error) ||
      !json_parser_load_from_data (parser, text, (gssize) len, error))
    return NULL;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, "not an object");
      return NULL;
    }
  if (!mdn_json_object_integers_only (json_node_get_object (root), error))
    return NULL;
  list = json_object_get_member (json_node_get_object (root), "entries");
  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, "no entries");
      return NULL;
    }
  array = json_node_get_array (list);
  if (json_array_get_length (array) > 5000)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, "too many");
      return NULL;
    }
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *e = json_array_get_element (array, i);
      MdnEntry *entry;

      if (!JSON_NODE_HOLDS_OBJECT (e))
        {
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, "not an entry");
          return NULL;
        }
      entry = mdn_entry_from_json (json_node_get_object (e), error);
      if (entry == NULL)
        return NULL;
      g_ptr_array_add (entries, entry);
    }
  return entries_canonical (entries);
}

/* Both readers refuse @text, or both read the same entries from it. */
static gboolean
readers_agree (const char *text,
               gsize       len,
               gboolean   *accepted)
{
  g_autoptr(GError) fast_error = NULL;
  g_autoptr(GError) ref_error = NULL;
  g_autofree char *fast = read_fast (text, len, &fast_error);
  g_autofree char *ref = read_reference (text, len, &ref_error);

  *accepted = fast != NULL;
  if (g_strcmp0 (fast, ref) == 0)
    return TRUE;
  g_test_message ("readers disagree on %.*s", (int) MIN (len, 4000), text);
  g_test_message ("fast: %s", fast ? fast : fast_error->message);
  g_test_message ("json-glib: %s", ref ? ref : ref_error->message);
  return FALSE;
}

static guint
env_uint (const char *name,
          guint       fallback)
{
  const char *text = g_getenv (name);
  guint64 v;

  if (text && g_ascii_string_to_unsigned (text, 10, 1, G_MAXUINT, &v, NULL))
    return (guint) v;
  return fallback;
}

/* Tests ------------------------------------------------------------------------------------- */

/* Every kind's real entries, empty and zero-valued ones too ("tenders":
 * [], a sale of 0.00): both readers read them back as they were. */
static void
test_every_kind (void)
{
  g_autoptr(GPtrArray) kinds = mdn_test_kinds_in (corpus_branch);
  g_autoptr(GPtrArray) all = mdn_test_all_kinds ();
  g_autofree char *text = NULL;
  g_autofree char *fast = NULL;
  g_autofree char *ref = NULL;
  g_autoptr(GError) error = NULL;

  /* Everything but the write-off, which needs an overdraft at HQ. */
  g_assert_cmpuint (kinds->len, ==, all->len - 1);
  text = mdn_test_push_text (corpus);
  g_assert_nonnull (strstr (text, "\"tenders\":[]"));
  fast = read_fast (text, strlen (text), &error);
  g_assert_no_error (error);
  ref = read_reference (text, strlen (text), &error);
  g_assert_no_error (error);
  g_assert_cmpstr (fast, ==, ref);
  for (guint i = 0; i < corpus->len; i++)
    {
      g_autoptr(JsonObject) o = json_object_ref (g_ptr_array_index (corpus, i));
      g_autofree char *canonical = mdn_json_object_canonical (o);

      g_assert_nonnull (strstr (fast, canonical));
    }
}

static void
test_empty_containers (void)
{
  static const char *const bodies[] = {
    "{}", "{\"tenders\":[]}", "{\"a\":{},\"b\":[[],{}],\"c\":[{}]}", "{\"lines\":[ ],\"x\":{ }}",
  };

  corpus_init ();
  for (guint i = 0; i < G_N_ELEMENTS (bodies); i++)
    {
      g_autoptr(JsonObject) o = copy_entry (g_ptr_array_index (corpus, 0));
      g_autofree char *text = NULL;
      g_autofree char *fast = NULL;
      g_autoptr(GError) error = NULL;
      gboolean accepted;

      json_object_set_member (o, "body", json_from_string (bodies[i], NULL));
      json_object_set_array_member (o, "movements", json_array_new ());
      {
        g_autoptr(GPtrArray) one = g_ptr_array_new ();

        g_ptr_array_add (one, o);
        text = mdn_test_push_text (one);
      }
      fast = read_fast (text, strlen (text), &error);
      g_assert_no_error (error);
      g_assert_true (readers_agree (text, strlen (text), &accepted));
      g_assert_true (accepted);
    }
  {
    gboolean accepted;

    g_assert_true (readers_agree ("{\"entries\":[]}", 14, &accepted));
    g_assert_true (accepted);
    g_assert_true (readers_agree ("{}", 2, &accepted));
    g_assert_false (accepted);
  }
}

/* A number with a fraction or an exponent, or an integer out of gint64,
 * anywhere in an entry: refused by both (it used to be stored and break
 * the feed for every branch). */
static void
test_non_integers (void)
{
  static const char *const numbers[] = {
    "1.5", "1e999", "-0.0", "1E2", "100.00", "9223372036854775808", "-9223372036854775809",
    "99999999999999999999", "1.0e0",
  };

  corpus_init ();
  for (guint i = 0; i < G_N_ELEMENTS (numbers); i++)
    for (int where = 0; where < 4; where++)
      {
        g_autofree char *base = mdn_json_object_to_string (corpus_json ("member.deposit"));
        g_autofree char *entry = NULL;
        g_autofree char *text = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *fast = NULL;
        gboolean accepted;

        /* In the body, in a movement, as seq, in an unknown member. */
        if (where == 0)
          entry = g_strdup_printf ("%.*s,\"x\":%s}", (int) strlen (base) - 1, base, numbers[i]);
        else
          {
            g_autoptr(JsonObject) o = copy_entry (corpus_json ("member.deposit"));
            g_autofree char *marked = NULL;
            g_auto(GStrv) parts = NULL;

            if (where == 1)
              json_object_set_string_member (json_object_get_object_member (o, "body"), "amount_fen", "@");
            else if (where == 2)
              json_object_set_string_member (o, "seq", "@");
            else
              json_object_set_string_member (json_array_get_object_element (
                json_object_get_array_member (o, "movements"), 0), "delta", "@");
            marked = mdn_json_object_to_string (o);
            parts = g_strsplit (marked, "\"@\"", 2);
            entry = g_strconcat (parts[0], numbers[i], parts[1], NULL);
          }
        text = g_strdup_printf ("{\"entries\":[%s]}", entry);
        fast = read_fast (text, strlen (text), &error);
        g_assert_null (fast);
        g_assert_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT);
        g_assert_true (readers_agree (text, strlen (text), &accepted));
        g_assert_false (accepted);
      }
}

static char *
nested (int         depth,
        const char *inner)
{
  GString *s = g_string_new (NULL);

  for (int i = 0; i < depth; i++)
    g_string_append_c (s, '[');
  g_string_append (s, inner);
  for (int i = 0; i < depth; i++)
    g_string_append_c (s, ']');
  return g_string_free (s, FALSE);
}

/* 32 levels are fine, 33 are refused before anything recurses; 100,000
 * (which crashed json-glib) are refused at once, by both readers. */
static void
test_depth (void)
{
  for (int depth = 30; depth <= 34; depth++)
    {
      g_autofree char *text = nested (depth, "1");
      g_autoptr(GError) error = NULL;
      gboolean ok = mdn_json_check_text (text, -1, &error);

      g_assert_cmpint (ok, ==, depth <= MDN_JSON_MAX_DEPTH);
      if (!ok)
        g_assert_nonnull (strstr (error->message, "32"));
    }
  {
    g_autofree char *deep = nested (100000, "");
    g_autofree char *line = g_strdup_printf ("{\"op\":%s}", deep);
    g_autofree char *push = g_strdup_printf ("{\"entries\":[%s]}", deep);
    g_autoptr(GError) error = NULL;
    gboolean accepted;

    g_assert_null (mdn_json_parse_object (line, &error));
    g_assert_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT);
    g_assert_true (readers_agree (push, strlen (push), &accepted));
    g_assert_false (accepted);
  }
  /* The body of an entry counts from the push's outer object. */
  corpus_init ();
  for (int depth = 27; depth <= 31; depth++)
    {
      g_autoptr(JsonObject) o = copy_entry (g_ptr_array_index (corpus, 0));
      g_autofree char *inner = nested (depth, "1");
      g_autofree char *text = NULL;
      gboolean accepted;

      json_object_set_member (json_object_get_object_member (o, "body"), "deep", json_from_string (inner, NULL));
      {
        g_autoptr(GPtrArray) one = g_ptr_array_new ();

        g_ptr_array_add (one, o);
        text = mdn_test_push_text (one);
      }
      g_assert_true (readers_agree (text, strlen (text), &accepted));
      /* push {, entries [, entry {, body {: 4 levels, then @depth. */
      g_assert_cmpint (accepted, ==, 4 + depth <= MDN_JSON_MAX_DEPTH);
    }
}

/* What json-glib would read wrongly or leniently is refused before it. */
static void
test_strict (void)
{
  static const struct { const char *text; gboolean ok; } cases[] = {
    { "{\"a\":1}", TRUE }, { " {\"a\" : [1, -2, 0, -0, true, false, null, \"x\"]} ", TRUE },
    { "{\"a\":\"\\u00e9\\ud83d\\ude00\\/\\b\\f\\n\\r\\t\\\"\\\\\"}", TRUE }, { "[]", TRUE }, { "\"x\"", TRUE },
    { "{\"a\":1.5e-3}", TRUE }, { "{\"\":1}", TRUE }, { "{\"a\":9223372036854775807}", TRUE },
    { "{\"a\":-9223372036854775808}", TRUE },
    { "{\"a\":1,\"a\":2}", FALSE }, { "{\"a\":1,\"\\u0061\":2}", FALSE },
    { "{\"a\":99999999999999999999}", FALSE }, { "{\"a\":9223372036854775808}", FALSE },
    { "{\"a\":01}", FALSE }, { "{\"a\":0x10}", FALSE }, { "{\"a\":'x'}", FALSE }, { "{\"a\":+1}", FALSE },
    { "{\"a\":.5}", FALSE }, { "{\"a\":1.}", FALSE }, { "{\"a\":1}/*c*/", FALSE }, { "{\"a\":1} x", FALSE },
    { "{\"a\":\"\\x41\"}", FALSE }, { "{\"a\":\"\\u0000\"}", FALSE }, { "{\"a\":\"\\ud800\"}", FALSE },
    { "{\"a\":\"\\udc00\"}", FALSE }, { "{\"a\":\"x\ty\"}", FALSE }, { "{\"a\":1,}", FALSE },
    { "[1,]", FALSE }, { "{a:1}", FALSE }, { "{\"a\":nul}", FALSE }, { "{\"a\":TRUE}", FALSE },
    { "{\"a\":\f1}", FALSE }, { "\xef\xbb\xbf{}", FALSE }, { "{\"a\":\"\xff\"}", FALSE }, { "", FALSE },
    { "{", FALSE }, { "{\"a\"", FALSE }, { "{\"a\":", FALSE }, { "[1 2]", FALSE }, { "{\"a\" 1}", FALSE },
    { "{} {}", FALSE }, { "-", FALSE }, { "1e", FALSE }, { "\"abc", FALSE },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      gboolean ok = mdn_json_check_text (cases[i].text, -1, &error);

      if (ok != cases[i].ok)
        g_error ("%s: expected %s, got %s", cases[i].text, cases[i].ok ? "ok" : "refused",
                 ok ? "ok" : error->message);
      if (!ok)
        g_assert_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT);
    }
  /* Many members: still linear, still unique. */
  {
    GString *s = g_string_new ("{");
    g_autofree char *text = NULL;

    for (int i = 0; i < 20000; i++)
      g_string_append_printf (s, "%s\"k%d\":%d", i ? "," : "", i, i);
    g_string_append (s, ",\"k17\":0}");
    text = g_string_free (s, FALSE);
    g_assert_false (mdn_json_check_text (text, -1, NULL));
    text[strlen (text) - 9] = '}';
    text[strlen (text) - 8] = '\0';
    g_assert_true (mdn_json_check_text (text, -1, NULL));
  }
}

/* Random mutations of real pushes: the fast reader and the json-glib one
 * read the same entries or both refuse. Deterministic: fixed seeds
 * (MENDIAN_FUZZ_SEED runs one other), printed. */
static void
test_differential (void)
{
  guint seeds[] = { 1, 2, 3, 20261120 };
  guint iterations = env_uint ("MENDIAN_FUZZ_ITERATIONS", 1500);
  guint n_seeds = G_N_ELEMENTS (seeds);
  guint accepted_count = 0, total = 0;

  corpus_init ();
  if (g_getenv ("MENDIAN_FUZZ_SEED"))
    {
      seeds[0] = env_uint ("MENDIAN_FUZZ_SEED", 1);
      n_seeds = 1;
    }
  for (guint k = 0; k < n_seeds; k++)
    {
      g_autoptr(GRand) rand = g_rand_new_with_seed (seeds[k]);

      g_test_message ("differential: seed %u, %u pushes", seeds[k], iterations);
      for (guint i = 0; i < iterations; i++)
        {
          g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
          guint n = g_rand_int_range (rand, 1, 4);
          g_autofree char *text = NULL;
          gboolean accepted;

          for (guint j = 0; j < n; j++)
            {
              JsonObject *real = g_ptr_array_index (corpus, g_rand_int_range (rand, 0, (gint32) corpus->len));
              JsonObject *o = copy_entry (real);
              int mutations = g_rand_int_range (rand, 0, 4);

              for (int m = 0; m < mutations; m++)
                mdn_test_mutate_entry (rand, o);
              if (g_rand_boolean (rand))
                mdn_test_rehash (o);
              g_ptr_array_add (batch, o);
            }
          text = mdn_test_push_text (batch);
          if (g_rand_int_range (rand, 0, 3) == 0)
            {
              char *bytes = mdn_test_mutate_bytes (rand, text);

              g_free (text);
              text = bytes;
            }
          if (!readers_agree (text, strlen (text), &accepted))
            g_error ("seed %u, push %u: the readers disagree (see the log)", seeds[k], i);
          accepted_count += accepted;
          total++;
        }
    }
  g_test_message ("differential: %u of %u pushes read", accepted_count, total);
  /* The mutations are not all fatal: both paths were exercised. */
  g_assert_cmpuint (accepted_count, >, total / 10);
  g_assert_cmpuint (accepted_count, <, total - total / 10);
}

/* Feed pages and the writer ------------------------------------------------------------- */

/* What the branch reads from a feed page: "position\n" + entry per row,
 * then the page's other members; NULL if refused. */
static char *
read_feed_fast (const char *text,
                gsize       len,
                GError    **error)
{
  g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_feed_row_free);
  g_autoptr(GPtrArray) entries = g_ptr_array_new ();
  g_autoptr(JsonObject) rest = NULL;
  g_autofree char *listed = NULL;
  g_autofree char *others = NULL;
  GString *s = g_string_new (NULL);

  if (!g_utf8_validate (text, (gssize) len, NULL))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, "not UTF-8");
      g_string_free (s, TRUE);
      return NULL;
    }
  if (!mdn_entry_codec_read_feed (text, len, rows, &rest, error))
    {
      g_string_free (s, TRUE);
      return NULL;
    }
  for (guint i = 0; i < rows->len; i++)
    {
      MdnFeedRow *row = g_ptr_array_index (rows, i);

      g_string_append_printf (s, "%" G_GINT64_FORMAT "\n", row->position);
      g_ptr_array_add (entries, row->entry);
    }
  listed = entries_canonical (entries);
  others = mdn_json_object_canonical (rest);
  g_string_append (s, listed);
  g_string_append (s, others);
  return g_string_free (s, FALSE);
}

/* The same page read the slow way: the strict check, json-glib (integers
 * only), then mdn_entry_from_json for each row's entry. */
static char *
read_feed_reference (const char *text,
                     gsize       len,
                     GError    **error)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_entry_free);
  g_autoptr(JsonObject) rest = json_object_new ();
  g_autofree char *listed = NULL;
  g_autofree char *others = NULL;
  g_autoptr(GString) s = g_string_new (NULL);
  JsonNode *root, *list;
  JsonArray *array;
  JsonObjectIter iter;
  const char *name;
  JsonNode *value;

  if (!mdn_json_check_text (text, (gssize) len, error) ||
      !json_parser_load_from_data (parser, text, (gssize) len, error))
    return NULL;
  root = json_parser_get_root (parser);
  if (!JSON_NODE_HOLDS_OBJECT (root))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, "not an object");
      return NULL;
    }
  if (!mdn_json_object_integers_only (json_node_get_object (root), error))
    return NULL;
  list = json_object_get_member (json_node_get_object (root), "entries");
  if (list == NULL || !JSON_NODE_HOLDS_ARRAY (list))
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, "no entries");
      return NULL;
    }
  array = json_node_get_array (list);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *r = json_array_get_element (array, i);
      JsonNode *position, *e;
      MdnEntry *entry;

      if (!JSON_NODE_HOLDS_OBJECT (r) ||
          (position = json_object_get_member (json_node_get_object (r), "position")) == NULL ||
          !JSON_NODE_HOLDS_VALUE (position) || json_node_get_value_type (position) != G_TYPE_INT64 ||
          (e = json_object_get_member (json_node_get_object (r), "entry")) == NULL || !JSON_NODE_HOLDS_OBJECT (e))
        {
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, "not a row");
          return NULL;
        }
      entry = mdn_entry_from_json (json_node_get_object (e), error);
      if (entry == NULL)
        return NULL;
      g_string_append_printf (s, "%" G_GINT64_FORMAT "\n", json_node_get_int (position));
      g_ptr_array_add (entries, entry);
    }
  json_object_iter_init (&iter, json_node_get_object (root));
  while (json_object_iter_next (&iter, &name, &value))
    if (!g_str_equal (name, "entries"))
      json_object_set_member (rest, name, json_node_copy (value));
  listed = entries_canonical (entries);
  others = mdn_json_object_canonical (rest);
  g_string_append (s, listed);
  g_string_append (s, others);
  return g_string_free (g_steal_pointer (&s), FALSE);
}

/* A page as the server answers one, of @batch's entries from @first on. */
static char *
feed_text (GPtrArray *batch,
           gint64     first)
{
  g_autoptr(JsonObject) page = json_object_new ();
  JsonArray *list = json_array_new ();
  JsonArray *holds = json_array_new ();

  json_object_set_boolean_member (page, "ok", TRUE);
  json_object_set_array_member (page, "entries", list);
  for (guint i = 0; i < batch->len; i++)
    {
      JsonObject *row = json_object_new ();

      json_object_set_int_member (row, "position", first + i);
      json_object_set_object_member (row, "entry", json_object_ref (g_ptr_array_index (batch, i)));
      json_array_add_object_element (list, row);
    }
  json_array_add_string_element (holds, "M-1");
  json_object_set_array_member (page, "holds", holds);
  json_object_set_int_member (page, "feed_position", first + batch->len - 1);
  json_object_set_boolean_member (page, "more", FALSE);
  return mdn_json_object_to_string (page);
}

/* The codec's writer is the slow path's bytes: the canonical form of
 * mdn_entry_to_json, with the hash and without it (the hashed text). */
static void
test_writer (void)
{
  corpus_init ();
  for (guint i = 0; i < corpus->len; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(MdnEntry) e = mdn_entry_from_json (g_ptr_array_index (corpus, i), &error);

      g_assert_no_error (error);
      for (int with_hash = 0; with_hash < 2; with_hash++)
        {
          g_autoptr(JsonObject) o = mdn_entry_to_json (e, with_hash);
          g_autofree char *slow = mdn_json_object_canonical (o);
          g_autoptr(GString) fast = g_string_new (NULL);
          gsize body_start = 0, body_end = 0;
          g_autofree char *body = mdn_json_object_canonical (e->body);

          mdn_entry_codec_write (fast, e, with_hash, &body_start, &body_end);
          g_assert_cmpstr (fast->str, ==, slow);
          g_assert_cmpuint (body_end - body_start, ==, strlen (body));
          g_assert_true (strncmp (fast->str + body_start, body, strlen (body)) == 0);
        }
    }
}

/* The canonical escaping, byte by byte: the oracle for the eight-bytes-
 * at-a-time paths. */
static char *
naive_canonical_string (const char *str)
{
  GString *s = g_string_new ("\"");

  for (const guchar *p = (const guchar *) str; *p; p++)
    switch (*p)
      {
      case '"':  g_string_append (s, "\\\""); break;
      case '\\': g_string_append (s, "\\\\"); break;
      case '\n': g_string_append (s, "\\n"); break;
      case '\r': g_string_append (s, "\\r"); break;
      case '\t': g_string_append (s, "\\t"); break;
      default:
        if (*p < 0x20)
          g_string_append_printf (s, "\\u%04x", *p);
        else
          g_string_append_c (s, (char) *p);
      }
  g_string_append_c (s, '"');
  return g_string_free (s, FALSE);
}

/* Random byte strings, mostly plain with now and then a byte a JSON
 * string must escape, a NUL or a non-ASCII one, at every offset:
 * mdn_json_plain_run against a byte loop, mdn_json_utf8_valid against
 * g_utf8_validate, the canonical string writer and the entry writer
 * against the byte-by-byte escaping. */
static void
test_plain_runs (void)
{
  static const char specials[] = { '"', '\\', '\n', '\t', 0x01, 0x1f, 0x7f, '\0', (char) 0xc3, (char) 0xa9,
                                   (char) 0xe4, (char) 0xb8, (char) 0xad, (char) 0xff, '/', ' ' };
  g_autoptr(GRand) rand = g_rand_new_with_seed (env_uint ("MENDIAN_FUZZ_SEED", 11));

  for (guint i = 0; i < 20000; i++)
    {
      gsize len = g_rand_int_range (rand, 0, 70);
      g_autofree char *buf = g_malloc (len + 1);
      g_autofree char *oracle = NULL;
      g_autoptr(GString) fast = g_string_new (NULL);

      for (gsize k = 0; k < len; k++)
        buf[k] = g_rand_int_range (rand, 0, 12) == 0 ? specials[g_rand_int_range (rand, 0, G_N_ELEMENTS (specials))]
                                                     : (char) g_rand_int_range (rand, 0x20, 0x7f);
      buf[len] = '\0';
      for (gsize off = 0; off <= MIN (len, 9); off++)
        {
          gsize plain = len - off;

          for (gsize k = off; k < len; k++)
            if ((guchar) buf[k] < 0x20 || buf[k] == '"' || buf[k] == '\\')
              {
                plain = k - off;
                break;
              }
          g_assert_cmpuint (mdn_json_plain_run (buf + off, len - off), ==, plain);
          g_assert_cmpint (mdn_json_utf8_valid (buf + off, len - off), ==,
                           g_utf8_validate (buf + off, (gssize) (len - off), NULL));
        }
      /* The writers take C strings: up to the first NUL. */
      oracle = naive_canonical_string (buf);
      mdn_json_append_canonical_string (fast, buf);
      g_assert_cmpstr (fast->str, ==, oracle);
      if (i % 20 == 0)
        {
          g_autoptr(MdnEntry) e = mdn_entry_new ("member.deposit", buf);
          g_autoptr(GString) written = g_string_new (NULL);
          g_autoptr(JsonObject) o = NULL;
          g_autofree char *slow = NULL;

          e->id = g_strdup (buf);
          e->branch = g_strdup ("B01");
          e->at = g_strdup (buf);
          e->business_date = g_strdup ("2026-01-31");
          e->staff = g_strdup (buf);
          e->prev_hash = g_strdup (buf);
          e->hash = g_strdup (buf);
          json_object_set_string_member (e->body, buf, buf);
          mdn_entry_add_movement (e, buf, "principal", buf, buf, NULL, 5);
          o = mdn_entry_to_json (e, TRUE);
          slow = mdn_json_object_canonical (o);
          mdn_entry_codec_write (written, e, TRUE, NULL, NULL);
          g_assert_cmpstr (written->str, ==, slow);
          g_assert_nonnull (strstr (written->str, oracle));
        }
    }
}

/* Random mutations of real feed pages: the codec and json-glib +
 * mdn_entry_from_json read the same rows and members or both refuse. */
static void
test_feed_differential (void)
{
  guint seed = env_uint ("MENDIAN_FUZZ_SEED", 7);
  guint iterations = env_uint ("MENDIAN_FUZZ_ITERATIONS", 1500);
  g_autoptr(GRand) rand = g_rand_new_with_seed (seed);
  guint accepted_count = 0;

  corpus_init ();
  g_test_message ("feed differential: seed %u, %u pages", seed, iterations);
  for (guint i = 0; i < iterations; i++)
    {
      g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
      guint n = g_rand_int_range (rand, 0, 4);
      g_autofree char *text = NULL;
      g_autoptr(GError) fast_error = NULL;
      g_autoptr(GError) ref_error = NULL;
      g_autofree char *fast = NULL;
      g_autofree char *ref = NULL;

      for (guint j = 0; j < n; j++)
        {
          JsonObject *o = copy_entry (g_ptr_array_index (corpus, g_rand_int_range (rand, 0, (gint32) corpus->len)));
          int mutations = g_rand_int_range (rand, 0, 3);

          for (int m = 0; m < mutations; m++)
            mdn_test_mutate_entry (rand, o);
          g_ptr_array_add (batch, o);
        }
      text = feed_text (batch, g_rand_int_range (rand, 1, 1000));
      if (g_rand_int_range (rand, 0, 3) == 0)
        {
          char *bytes = mdn_test_mutate_bytes (rand, text);

          g_free (text);
          text = bytes;
        }
      fast = read_feed_fast (text, strlen (text), &fast_error);
      ref = read_feed_reference (text, strlen (text), &ref_error);
      if (g_strcmp0 (fast, ref) != 0)
        {
          g_test_message ("readers disagree on %.*s", (int) MIN (strlen (text), 4000), text);
          g_test_message ("codec: %s", fast ? fast : fast_error->message);
          g_test_message ("json-glib: %s", ref ? ref : ref_error->message);
          g_error ("seed %u, page %u: the feed readers disagree (see the log)", seed, i);
        }
      accepted_count += fast != NULL;
    }
  g_test_message ("feed differential: %u of %u pages read", accepted_count, iterations);
  g_assert_cmpuint (accepted_count, >, iterations / 10);
  g_assert_cmpuint (accepted_count, <, iterations - iterations / 10);
}

/* mdn_entry_check -------------------------------------------------------------------------- */

static MdnEntry *
corpus_entry (const char *kind,
              guint       nth)
{
  corpus_init ();
  for (guint i = 0; i < corpus->len; i++)
    {
      JsonObject *o = g_ptr_array_index (corpus, i);

      if (g_str_equal (json_object_get_string_member (o, "kind"), kind) && nth-- == 0)
        {
          g_autoptr(GError) error = NULL;
          g_autoptr(JsonObject) copy = copy_entry (o);
          MdnEntry *e = mdn_entry_from_json (copy, &error);

          g_assert_no_error (error);
          return e;
        }
    }
  g_error ("no %s in the corpus", kind);
  return NULL;
}

static void
assert_refused (MdnEntry   *e,
                const char *why)
{
  g_autoptr(GError) error = NULL;

  if (mdn_entry_check (e, &error))
    g_error ("%s: a forged %s passes the check", why, e->kind);
  g_test_message ("%s: %s", why, error->message);
}

/* Every real entry passes; a kind without a check is refused. */
static void
test_check_real (void)
{
  g_autoptr(GPtrArray) all = mdn_test_all_kinds ();
  g_autoptr(MdnEntry) odd = NULL;
  g_autoptr(GError) error = NULL;

  corpus_init ();
  for (guint i = 0; i < corpus->len; i++)
    {
      g_autoptr(MdnEntry) e = mdn_entry_from_json (g_ptr_array_index (corpus, i), &error);

      g_assert_no_error (error);
      if (!mdn_entry_check (e, &error))
        g_error ("%s#%" G_GINT64_FORMAT " (%s): %s", e->branch, e->seq, e->kind, error->message);
    }
  /* Every kind the ledger knows has a check. */
  for (guint i = 0; i < all->len; i++)
    {
      g_autoptr(MdnEntry) e = corpus_entry ("member.deposit", 0);

      g_free (e->kind);
      e->kind = g_strdup (g_ptr_array_index (all, i));
      if (!mdn_entry_check (e, &error))
        {
          g_assert_null (strstr (error->message, "no check"));
          g_clear_error (&error);
        }
    }
  odd = corpus_entry ("member.deposit", 0);
  g_free (odd->kind);
  odd->kind = g_strdup ("member.steal");
  g_assert_false (mdn_entry_check (odd, &error));
  g_assert_nonnull (strstr (error->message, "no check"));
}

static void
set_delta (MdnEntry   *e,
           const char *account,
           gint64      delta)
{
  for (guint i = 0; i < e->movements->len; i++)
    {
      MdnMovement *m = &g_array_index (e->movements, MdnMovement, i);

      if (g_str_equal (m->account, account))
        {
          m->delta = delta;
          return;
        }
    }
  mdn_entry_add_movement (e, e->member_id, account, NULL, NULL, NULL, delta);
}

/* Forged entries of every kind with movements or sums: refused. */
static void
test_check_forged (void)
{
  {
    g_autoptr(MdnEntry) e = corpus_entry ("member.deposit", 0);

    set_delta (e, "principal", 10000000);
    assert_refused (e, "deposit moving more than its amount");
  }
  {
    g_autoptr(MdnEntry) e = corpus_entry ("member.deposit", 0);

    mdn_entry_add_movement (e, e->member_id, "principal", NULL, NULL, NULL, G_MAXINT64);
    mdn_entry_add_movement (e, e->member_id, "principal", NULL, NULL, NULL, G_MAXINT64);
    assert_refused (e, "two movements of 2^63-1");
  }
  {
    g_autoptr(MdnEntry) e = corpus_entry ("member.deposit", 0);

    json_object_set_int_member (e->body, "amount_fen", G_MAXINT64);
    set_delta (e, "principal", G_MAXINT64);
    assert_refused (e, "deposit of 2^63-1, consistent");
  }
  {
    g_autoptr(MdnEntry) e = corpus_entry ("member.deposit", 0);

    json_object_set_int_member (e->body, "bonus_fen", -500);
    set_delta (e, "bonus", -500);
    assert_refused (e, "negative bonus");
  }
  {
    g_autoptr(MdnEntry) e = corpus_entry ("member.deposit", 0);

    g_free (g_array_index (e->movements, MdnMovement, 0).member_id);
    g_array_index (e->movements, MdnMovement, 0).member_id = g_strdup ("01900000-0000-7000-8000-000000000000");
    assert_refused (e, "deposit crediting another member");
  }
  {
    g_autoptr(MdnEntry) e = corpus_entry ("member.withdraw", 0);

    mdn_entry_add_movement (e, e->member_id, "bonus", NULL, NULL, NULL, -100);
    assert_refused (e, "withdrawal taking bonus too");
  }
  {
    g_autoptr(MdnEntry) e = corpus_entry ("member.issue", 0);

    mdn_entry_add_movement (e, e->member_id, "principal", NULL, NULL, NULL, 100000);
    assert_refused (e, "issue with money");
  }
  {
    g_autoptr(MdnEntry) e = corpus_entry ("member.issue", 0);

    json_object_set_string_member (e->body, "card_no", "00100000018");
    assert_refused (e, "issue of a card number with a wrong check digit");
  }
  {
    /* The balance sale: principal and bonus by exactly -N. */
    g_autoptr(MdnEntry) e = corpus_entry ("sale", 3);

    g_assert_cmpint (mdn_body_int (e->body, "principal_fen", 0), >, 0);
    set_delta (e, "principal", -1);
    assert_refused (e, "balance sale drawing less than its tender");
  }
  {
    g_autoptr(MdnEntry) e = corpus_entry ("sale", 3);

    json_object_set_int_member (e->body, "points_earned", 100000);
    set_delta (e, "points", 100000);
    assert_refused (e, "sale earning more points than its total");
  }
  {
    g_autoptr(MdnEntry) e = corpus_entry ("sale", 0);

    JsonObject *t = json_array_get_object_element (json_object_get_array_member (e->body, "tenders"), 0);

    json_object_set_int_member (t, "amount_fen", json_object_get_int_member (t, "amount_fen") + 1);
    assert_refused (e, "sale whose tenders don't add up");
  }
  {
    g_autoptr(MdnEntry) e = corpus_entry ("sale", 0);

    set_delta (e, "stock", 5);
    assert_refused (e, "sale putting goods on the shelf");
  }
  {
    /* A line's cost: unit_cost_fen × qty = cost_fen, both or neither;
       a line without them (an entry written before costs) passes. */
    g_autoptr(MdnEntry) e = corpus_entry ("sale", 0);
    JsonObject *l = json_array_get_object_element (json_object_get_array_member (e->body, "lines"), 0);
    gint64 qty = json_object_get_int_member (l, "qty");
    g_autoptr(GError) error = NULL;

    g_assert_false (json_object_has_member (l, "cost_fen"));
    g_assert_true (mdn_entry_check (e, &error));
    json_object_set_int_member (l, "unit_cost_fen", 650);
    json_object_set_int_member (l, "cost_fen", 650 * qty);
    g_assert_true (mdn_entry_check (e, &error));
    g_assert_no_error (error);
    json_object_set_int_member (l, "cost_fen", 650 * qty + 1);
    assert_refused (e, "sale line whose cost is not its unit cost × qty");
    json_object_set_int_member (l, "unit_cost_fen", G_MAXINT64 / 2);
    assert_refused (e, "sale line whose cost overflows");
    json_object_remove_member (l, "unit_cost_fen");
    json_object_set_int_member (l, "cost_fen", 650 * qty);
    assert_refused (e, "sale line with a cost but no unit cost");
    json_object_set_int_member (l, "unit_cost_fen", -1);
    assert_refused (e, "sale line with a negative unit cost");
  }
  {
    g_autoptr(MdnEntry) e = corpus_entry ("sale", 3);

    for (guint i = 0; i < e->movements->len; i++)
      if (g_str_equal (g_array_index (e->movements, MdnMovement, i).account, "package"))
        g_array_index (e->movements, MdnMovement, i).delta = 1000;
    assert_refused (e, "package sale giving more uses");
  }
  {
    g_autoptr(MdnEntry) e = corpus_entry ("sale.quick", 1);

    json_object_set_int_member (e->body, "principal_fen", 0);
    json_object_set_int_member (e->body, "bonus_fen", 0);
    set_delta (e, "principal", 0);
    g_array_set_size (e->movements, 0);
    assert_refused (e, "balance tender that draws nothing");
  }
  {
    g_autoptr(MdnEntry) e = corpus_entry ("sale.return", 4);

    set_delta (e, "principal", 1000000);
    assert_refused (e, "return refunding more to the balance");
  }
  {
    /* A returned line's cost follows the same rule. */
    g_autoptr(MdnEntry) e = NULL;
    JsonObject *l;

    for (guint n = 0; e == NULL; n++)
      {
        e = corpus_entry ("sale.return", n);
        if (mdn_body_array (e->body, "lines") == NULL)
          g_clear_pointer (&e, mdn_entry_free);
      }
    l = json_array_get_object_element (json_object_get_array_member (e->body, "lines"), 0);
    json_object_set_int_member (l, "unit_cost_fen", 300);
    json_object_set_int_member (l, "cost_fen", 300 * json_object_get_int_member (l, "qty"));
    g_assert_true (mdn_entry_check (e, NULL));
    json_object_set_int_member (l, "cost_fen", 0);
    assert_refused (e, "returned line whose cost is not its unit cost × qty");
  }
  {
    g_autoptr(MdnEntry) e = corpus_entry ("timed.stop", 0);

    json_object_set_int_member (e->body, "gross_fen", 100);
    assert_refused (e, "timed charge that doesn't follow its terms");
  }
  {
    g_autoptr(MdnEntry) e = corpus_entry ("timed.stop", 0);

    g_free (e->member_id);
    e->member_id = g_strdup ("01900000-0000-7000-8000-000000000000");
    mdn_entry_add_movement (e, e->member_id, "principal", NULL, NULL, NULL, 100);
    assert_refused (e, "timed stop paying a member");
  }
  {
    g_autoptr(MdnEntry) e = corpus_entry ("package.consume", 0);

    set_delta (e, "package", 5);
    assert_refused (e, "consumption adding uses");
  }
  {
    g_autoptr(MdnEntry) e = corpus_entry ("points.redeem", 0);

    set_delta (e, "points", 10);
    assert_refused (e, "redemption adding points");
  }
  {
    g_autoptr(MdnEntry) e = corpus_entry ("points.adjust", 0);

    json_object_set_int_member (e->body, "delta", 2000000000);
    set_delta (e, "points", 2000000000);
    assert_refused (e, "adjustment beyond the op's limit");
  }
  {
    g_autoptr(MdnEntry) e = corpus_entry ("member.lose", 0);

    mdn_entry_add_movement (e, e->member_id, "points", NULL, NULL, NULL, 1);
    assert_refused (e, "state change with a movement");
  }
  {
    g_autoptr(MdnEntry) e = corpus_entry ("product.upsert", 0);

    g_free (e->member_id);
    e->member_id = g_strdup ("01900000-0000-7000-8000-000000000000");
    assert_refused (e, "master data with a member");
  }
  {
    g_autoptr(MdnEntry) e = corpus_entry ("sale", 0);

    json_object_set_string_member (e->body, "receipt_no", "B02-20261120-0001");
    assert_refused (e, "receipt number of another branch");
  }
  {
    g_autoptr(MdnEntry) e = corpus_entry ("member.deposit", 0);

    g_free (e->id);
    e->id = g_strdup ("not-an-id");
    assert_refused (e, "an id that isn't one");
  }
  {
    /* A write-off: principal + bonus moves add up to written_off_fen. */
    g_autoptr(MdnEntry) e = corpus_entry ("member.deposit", 0);
    g_autoptr(GError) error = NULL;

    g_free (e->kind);
    e->kind = g_strdup ("exception.write_off");
    json_object_unref (e->body);
    e->body = json_object_new ();
    json_object_set_string_member (e->body, "card_no", "00100000017");
    json_object_set_string_member (e->body, "reason", "x");
    json_object_set_int_member (e->body, "written_off_fen", 6000);
    json_object_set_int_member (e->body, "written_off_points", 0);
    g_array_set_size (e->movements, 0);
    mdn_entry_add_movement (e, e->member_id, "principal", NULL, NULL, NULL, 8000);
    mdn_entry_add_movement (e, e->member_id, "bonus", NULL, NULL, NULL, -2000);
    g_assert_true (mdn_entry_check (e, &error));
    g_assert_no_error (error);
    set_delta (e, "bonus", 0);
    g_array_index (e->movements, MdnMovement, 1).delta = -1000;
    assert_refused (e, "write-off moving more than it writes off");
  }
  {
    /* A write-off of package uses: each service's lots add up to its uses. */
    g_autoptr(MdnEntry) e = corpus_entry ("member.deposit", 0);
    g_autoptr(GError) error = NULL;
    JsonArray *uses = json_array_new ();
    JsonObject *u = json_object_new ();

    g_free (e->kind);
    e->kind = g_strdup ("exception.write_off");
    json_object_unref (e->body);
    e->body = json_object_new ();
    json_object_set_string_member (e->body, "card_no", "00100000017");
    json_object_set_string_member (e->body, "reason", "x");
    json_object_set_int_member (e->body, "written_off_fen", 0);
    json_object_set_int_member (e->body, "written_off_points", 0);
    json_object_set_string_member (u, "sku", "CUT");
    json_object_set_int_member (u, "uses", 2);
    json_array_add_object_element (uses, u);
    json_object_set_array_member (e->body, "written_off_uses", uses);
    g_array_set_size (e->movements, 0);
    mdn_entry_add_movement (e, e->member_id, "package", "CUT", e->id, "2027-01-01", -3);
    mdn_entry_add_movement (e, e->member_id, "package", "CUT", "01900000-0000-7000-8000-000000000001", NULL, 5);
    g_assert_true (mdn_entry_check (e, &error));
    g_assert_no_error (error);
    mdn_entry_add_movement (e, e->member_id, "package", "WASH", e->id, NULL, 4);
    assert_refused (e, "write-off giving uses of a service it doesn't name");
    g_array_set_size (e->movements, 2);
    g_array_index (e->movements, MdnMovement, 1).delta = 6;
    assert_refused (e, "write-off giving more uses than it writes off");
  }
  {
    /* A write-off of a sale's over-refund moves nothing. */
    g_autoptr(MdnEntry) e = corpus_entry ("member.deposit", 0);
    g_autoptr(GError) error = NULL;

    g_free (e->kind);
    e->kind = g_strdup ("exception.write_off");
    json_object_unref (e->body);
    e->body = json_object_new ();
    json_object_set_string_member (e->body, "reason", "x");
    json_object_set_string_member (e->body, "sale_entry", e->id);
    json_object_set_string_member (e->body, "sale_receipt_no", "B01-20261120-0001");
    json_object_set_int_member (e->body, "written_off_fen", 3000);
    json_object_set_int_member (e->body, "written_off_points", 0);
    g_array_set_size (e->movements, 0);
    g_assert_true (mdn_entry_check (e, &error));
    g_assert_no_error (error);
    mdn_entry_add_movement (e, e->member_id, "principal", NULL, NULL, NULL, 3000);
    assert_refused (e, "write-off of a sale crediting a balance");
  }
}

int
main (int argc, char **argv)
{
  int rc;

  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/codec/every-kind", test_every_kind);
  g_test_add_func ("/codec/empty-containers", test_empty_containers);
  g_test_add_func ("/codec/non-integers", test_non_integers);
  g_test_add_func ("/codec/depth", test_depth);
  g_test_add_func ("/codec/strict-json", test_strict);
  g_test_add_func ("/codec/differential", test_differential);
  g_test_add_func ("/codec/writer", test_writer);
  g_test_add_func ("/codec/plain-runs", test_plain_runs);
  g_test_add_func ("/codec/feed-differential", test_feed_differential);
  g_test_add_func ("/entry-check/real-entries", test_check_real);
  g_test_add_func ("/entry-check/forged", test_check_forged);
  corpus_init ();
  rc = g_test_run ();
  g_clear_pointer (&corpus, g_ptr_array_unref);
  g_clear_pointer (&corpus_branch, mdn_test_branch_free);
  return rc;
}
