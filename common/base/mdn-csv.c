/* mdn-csv.c: CSV import through libcsv, with the encoding found, the header
 * mapped by name and every row's line of the file. */
#define G_LOG_DOMAIN "mdn-csv"

#include <csv.h>
#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-csv.h"
#include "mdn-error.h"

#define MAX_PROBLEMS 20

typedef struct
{
  guint      line;
  GPtrArray *cells;   /* char *, trimmed */
} Row;

struct _MdnCsvTable
{
  const char *encoding;
  GArray     *rows;        /* Row, the data rows */
  int        *index;       /* per column of the importer: cell index or -1 */
  const MdnCsvColumn *columns;
};

/* The parse in progress. */
typedef struct
{
  guint      line;         /* of the chunk being parsed */
  guint      row_line;     /* where the current row starts */
  GPtrArray *cells;        /* the current row's cells */
  GArray    *rows;         /* every row, the header first */
} Parse;

static void
row_clear (gpointer data)
{
  Row *row = data;

  g_clear_pointer (&row->cells, g_ptr_array_unref);
}

static void
on_field (void  *s,
          size_t len,
          void  *data)
{
  Parse *p = data;
  char *cell = g_strstrip (g_strndup (s ? s : "", s ? len : 0));

  if (p->cells == NULL)
    {
      guint newlines = 0;

      for (size_t i = 0; s != NULL && i < len; i++)
        newlines += ((const char *) s)[i] == '\n';
      p->cells = g_ptr_array_new_with_free_func (g_free);
      p->row_line = p->line - newlines;
    }
  g_ptr_array_add (p->cells, cell);
}

static void
on_row (int   c,
        void *data)
{
  Parse *p = data;
  Row row = { 0 };
  gboolean blank = TRUE;

  if (p->cells == NULL)
    return;
  for (guint i = 0; i < p->cells->len && blank; i++)
    blank = *(const char *) g_ptr_array_index (p->cells, i) == '\0';
  row.line = p->row_line;
  row.cells = g_steal_pointer (&p->cells);
  if (blank)
    g_ptr_array_unref (row.cells);
  else
    g_array_append_val (p->rows, row);
}

/* The text of @data as UTF-8 and what it was. */
static char *
decode (const char  *data,
        gsize        len,
        const char **encoding,
        GError     **error)
{
  g_autoptr(GError) local_error = NULL;
  char *text;

  if (len >= 3 && memcmp (data, "\xEF\xBB\xBF", 3) == 0)
    {
      data += 3;
      len -= 3;
      if (!g_utf8_validate_len (data, len, NULL))
        {
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                               _("The file says it is UTF-8 but is not: save it again as CSV UTF-8"));
          return NULL;
        }
      *encoding = "UTF-8";
      return g_strndup (data, len);
    }
  if (g_utf8_validate_len (data, len, NULL) && memchr (data, '\0', len) == NULL)
    {
      *encoding = "UTF-8";
      return g_strndup (data, len);
    }
  text = g_convert (data, len, "UTF-8", "GB18030", NULL, NULL, &local_error);
  if (text == NULL || memchr (data, '\0', len) != NULL)
    {
      g_free (text);
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("The file is neither UTF-8 nor GB18030 text: save it from Excel as CSV"));
      return NULL;
    }
  *encoding = "GB18030";
  return text;
}

static gboolean
name_matches (const char *header,
              const char *name)
{
  g_autofree char *a = g_utf8_casefold (header, -1);
  g_autofree char *b = g_utf8_casefold (name, -1);

  return g_str_equal (a, b);
}

/* "货号/sku": a column's names as a person reads them. */
static char *
column_names (const MdnCsvColumn *column)
{
  return g_strjoinv ("/", (char **) column->names);
}

static void
add_problem (GString    *problems,
             guint      *n,
             const char *text)
{
  if (*n < MAX_PROBLEMS)
    g_string_append_printf (problems, "%s%s", problems->len ? "；" : "", text);
  (*n)++;
}

MdnCsvTable *
mdn_csv_read (const char          *data,
              gsize                len,
              const MdnCsvColumn  *columns,
              GError             **error)
{
  g_autofree char *text = NULL;
  const char *encoding = NULL;
  struct csv_parser parser;
  Parse p = { 0 };
  g_autoptr(GArray) rows = NULL;
  g_autoptr(GString) problems = g_string_new (NULL);
  guint n_problems = 0, n_columns = 0;
  MdnCsvTable *t;
  Row *header;
  int *index;

  g_return_val_if_fail (data != NULL || len == 0, NULL);
  g_return_val_if_fail (columns != NULL, NULL);

  text = decode (data ? data : "", len, &encoding, error);
  if (text == NULL)
    return NULL;

  rows = g_array_new (FALSE, TRUE, sizeof (Row));
  g_array_set_clear_func (rows, row_clear);
  p.rows = rows;
  p.line = 1;
  if (csv_init (&parser, CSV_STRICT | CSV_STRICT_FINI) != 0)
    g_error ("csv_init failed");
  /* One line at a time, so that a row knows the line it starts on. */
  for (const char *s = text; *s; )
    {
      const char *nl = strchr (s, '\n');
      size_t n = nl ? (size_t) (nl - s + 1) : strlen (s);

      if (csv_parse (&parser, s, n, on_field, on_row, &p) != n)
        break;
      s += n;
      if (nl)
        p.line++;
    }
  if (csv_error (&parser) == CSV_SUCCESS)
    csv_fini (&parser, on_field, on_row, &p);
  if (csv_error (&parser) != CSV_SUCCESS)
    {
      guint line = p.cells ? p.row_line : p.line;
      int failure = csv_error (&parser);

      csv_free (&parser);
      g_clear_pointer (&p.cells, g_ptr_array_unref);
      if (failure == CSV_EPARSE)
        g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                     _("Line %u: a quoted cell is not closed or has text after its closing quote"), line);
      else
        g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                     _("The file could not be read: %s"), csv_strerror (failure));
      return NULL;
    }
  csv_free (&parser);
  g_clear_pointer (&p.cells, g_ptr_array_unref);

  if (rows->len == 0)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                           _("The file is empty: the first line must name the columns"));
      return NULL;
    }

  /* The header. */
  header = &g_array_index (rows, Row, 0);
  for (const MdnCsvColumn *c = columns; c->field; c++)
    n_columns++;
  index = g_new (int, n_columns);
  for (guint i = 0; i < n_columns; i++)
    {
      index[i] = -1;
      for (guint h = 0; h < header->cells->len; h++)
        for (guint k = 0; columns[i].names[k]; k++)
          if (name_matches (g_ptr_array_index (header->cells, h), columns[i].names[k]))
            {
              if (index[i] >= 0 && index[i] != (int) h)
                {
                  g_autofree char *names = column_names (&columns[i]);
                  g_autofree char *msg = g_strdup_printf (_("Line %u: the column “%s” is there twice"),
                                                          header->line, names);
                  add_problem (problems, &n_problems, msg);
                }
              index[i] = h;
            }
      if (index[i] < 0 && columns[i].required)
        {
          g_autofree char *names = column_names (&columns[i]);
          g_autofree char *msg = g_strdup_printf (_("Line %u: the column “%s” is missing"), header->line, names);
          add_problem (problems, &n_problems, msg);
        }
    }
  for (guint r = 1; r < rows->len; r++)
    {
      Row *row = &g_array_index (rows, Row, r);

      for (guint c = header->cells->len; c < row->cells->len; c++)
        if (*(const char *) g_ptr_array_index (row->cells, c) != '\0')
          {
            g_autofree char *msg = g_strdup_printf (_("Line %u: more cells than the header has columns"),
                                                    row->line);
            add_problem (problems, &n_problems, msg);
            break;
          }
    }
  if (n_problems > 0)
    {
      g_free (index);
      if (n_problems > MAX_PROBLEMS)
        g_string_append_printf (problems, _("; and %u more"), n_problems - MAX_PROBLEMS);
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, problems->str);
      return NULL;
    }

  g_array_remove_index (rows, 0);
  t = g_new0 (MdnCsvTable, 1);
  t->encoding = encoding;
  t->rows = g_steal_pointer (&rows);
  t->index = index;
  t->columns = columns;
  return t;
}

guint
mdn_csv_n_rows (MdnCsvTable *t)
{
  g_return_val_if_fail (t != NULL, 0);

  return t->rows->len;
}

const char *
mdn_csv_get (MdnCsvTable *t,
             guint        row,
             const char  *field)
{
  Row *r;

  g_return_val_if_fail (t != NULL && field != NULL, NULL);
  g_return_val_if_fail (row < t->rows->len, NULL);

  r = &g_array_index (t->rows, Row, row);
  for (guint i = 0; t->columns[i].field; i++)
    if (g_str_equal (t->columns[i].field, field))
      {
        const char *cell;

        if (t->index[i] < 0 || (guint) t->index[i] >= r->cells->len)
          return NULL;
        cell = g_ptr_array_index (r->cells, t->index[i]);
        return *cell ? cell : NULL;
      }
  g_return_val_if_reached (NULL);
}

guint
mdn_csv_line (MdnCsvTable *t,
              guint        row)
{
  g_return_val_if_fail (t != NULL, 0);
  g_return_val_if_fail (row < t->rows->len, 0);

  return g_array_index (t->rows, Row, row).line;
}

const char *
mdn_csv_encoding (MdnCsvTable *t)
{
  g_return_val_if_fail (t != NULL, NULL);

  return t->encoding;
}

void
mdn_csv_table_free (MdnCsvTable *t)
{
  if (t == NULL)
    return;
  g_array_unref (t->rows);
  g_free (t->index);
  g_free (t);
}

void
mdn_csv_append_row (GString           *out,
                    const char *const *fields)
{
  g_return_if_fail (out != NULL && fields != NULL);

  for (guint i = 0; fields[i]; i++)
    {
      const char *f = fields[i];
      gsize n = strlen (f);
      gboolean quote = strpbrk (f, ",\"\r\n") != NULL ||
                       (n > 0 && (g_ascii_isspace (f[0]) || g_ascii_isspace (f[n - 1])));

      if (i > 0)
        g_string_append_c (out, ',');
      if (!quote)
        {
          g_string_append (out, f);
          continue;
        }
      g_string_append_c (out, '"');
      for (const char *s = f; *s; s++)
        {
          if (*s == '"')
            g_string_append_c (out, '"');
          g_string_append_c (out, *s);
        }
      g_string_append_c (out, '"');
    }
  g_string_append (out, "\r\n");
}
