/* mdn-report-export.c: a report as an Excel, CSV or JSON file
 * (mdn-report-export.h).
 *
 * Excel. libxlsxwriter in constant-memory mode writes each row out as it
 * is finished, so memory stays flat. Its autofilter has to be set before
 * the rows, over a range that is known then; so the rows are first spooled
 * to a temporary file (a few bytes a cell, sequential), counted, and then
 * written: a title row (report, shop or chain, period, time of export), the
 * header (frozen, with the autofilter over it and every data row), the
 * rows, and a totals row. A sheet holds 1,048,576 rows; more continue on
 * a second sheet (and a third …) with the title and header again.
 *
 * Money is exact in every cell: an amount is an integer number of fen
 * (|fen| ≤ 10^15 < 2^53, so the conversion to double is exact), and the
 * cell holds fen / 100.0, one IEEE division, correctly rounded: the double
 * nearest to the decimal amount, which Excel (15 significant digits) shows
 * as that decimal, formatted #,##0.00. Nothing is summed in floating
 * point: the totals row holds the integer total of the column (summed in
 * fen with overflow checks by the framework), divided once the same way;
 * no rounding error can accumulate. Dates are Excel dates (yyyy-mm-dd),
 * times Excel date-times in the shop's wall-clock time (the entry's time
 * with its offset dropped), percentages (basis points) numbers formatted
 * 0.00%.
 *
 * CSV: a UTF-8 BOM, the translated titles as header, one line per row
 * (CRLF), money as 1234.50, quoted by RFC 4180; a text cell beginning with
 * = + - @ gets a leading apostrophe so that a spreadsheet never runs it. */
#define G_LOG_DOMAIN "mdn-report"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <glib/gi18n-lib.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <xlsxwriter.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-money.h"
#include "mdn-report-export.h"

#define EXCEL_ROWS ((gint64) 1048576)
#define PROGRESS_EVERY 4096

gboolean
mdn_report_format_parse (const char      *name,
                         MdnReportFormat *out)
{
  if (g_strcmp0 (name, "json") == 0)
    *out = MDN_REPORT_JSON;
  else if (g_strcmp0 (name, "csv") == 0)
    *out = MDN_REPORT_CSV;
  else if (g_strcmp0 (name, "xlsx") == 0)
    *out = MDN_REPORT_XLSX;
  else
    return FALSE;
  return TRUE;
}

const char *
mdn_report_format_content_type (MdnReportFormat format)
{
  switch (format)
    {
    case MDN_REPORT_CSV:
      return "text/csv; charset=utf-8";
    case MDN_REPORT_XLSX:
      return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    case MDN_REPORT_JSON:
    default:
      return "application/json";
    }
}

static gboolean
io_error (GError    **error,
          const char *path)
{
  int e = errno;

  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (e),
               _("Could not write %s: %s"), path, g_strerror (e));
  return FALSE;
}

typedef struct
{
  const MdnReportExportOptions *options;
  FILE                         *out;
  const char                   *path;
  gint64                        rows;
  gint64                        total_rows;   /* -1 while unknown */
} Writer;

static void
progress (Writer *w,
          gint64  rows)
{
  if (w->options && w->options->progress && rows % PROGRESS_EVERY == 0)
    w->options->progress (rows, w->total_rows > 0 ? (double) rows / (double) w->total_rows : -1,
                          w->options->progress_data);
}

/* CSV -------------------------------------------------------------------------- */

static void
csv_field (GString    *s,
           const char *text,
           gboolean    guard)
{
  gboolean quote = strpbrk (text, ",\"\r\n") != NULL;

  if (quote)
    g_string_append_c (s, '"');
  if (guard && strchr ("=+-@", text[0]) && text[0])
    g_string_append_c (s, '\'');
  for (const char *p = text; *p; p++)
    {
      if (*p == '"')
        g_string_append_c (s, '"');
      g_string_append_c (s, *p);
    }
  if (quote)
    g_string_append_c (s, '"');
}

static void
csv_cell (GString               *s,
          const MdnReportColumn *c,
          const MdnReportCell   *cell)
{
  if (!cell->set)
    return;
  switch (c->type)
    {
    case MDN_COL_FEN:
      {
        g_autofree char *t = mdn_money_format_plain (cell->i);

        g_string_append (s, t);
      }
      break;
    case MDN_COL_INT:
      g_string_append_printf (s, "%" G_GINT64_FORMAT, cell->i);
      break;
    case MDN_COL_PERCENT:
      {
        /* Basis points as a percentage with two decimals: the money format. */
        g_autofree char *t = mdn_money_format_plain (cell->i);

        g_string_append_printf (s, "%s%%", t);
      }
      break;
    default:
      csv_field (s, cell->s ? cell->s : "", c->type == MDN_COL_TEXT);
    }
}

static gboolean
csv_row (gpointer             data,
         const MdnReportDef  *def,
         const MdnReportCell *cells,
         GError             **error)
{
  Writer *w = data;
  g_autoptr(GString) s = g_string_new (NULL);

  for (guint i = 0; def->columns[i].key; i++)
    {
      if (i)
        g_string_append_c (s, ',');
      csv_cell (s, &def->columns[i], &cells[i]);
    }
  g_string_append (s, "\r\n");
  if (fwrite (s->str, 1, s->len, w->out) != s->len)
    return io_error (error, w->path);
  progress (w, ++w->rows);
  return TRUE;
}

static gboolean
csv_header (Writer             *w,
            const MdnReportDef *def,
            GError            **error)
{
  g_autoptr(GString) s = g_string_new ("\xEF\xBB\xBF");

  for (guint i = 0; def->columns[i].key; i++)
    {
      if (i)
        g_string_append_c (s, ',');
      csv_field (s, _(def->columns[i].title), FALSE);
    }
  g_string_append (s, "\r\n");
  if (fwrite (s->str, 1, s->len, w->out) != s->len)
    return io_error (error, w->path);
  return TRUE;
}

/* JSON ------------------------------------------------------------------------- */

static gboolean
json_write (Writer     *w,
            const char *text,
            GError    **error)
{
  gsize len = strlen (text);

  if (fwrite (text, 1, len, w->out) != len)
    return io_error (error, w->path);
  return TRUE;
}

static gboolean
json_row (gpointer             data,
          const MdnReportDef  *def,
          const MdnReportCell *cells,
          GError             **error)
{
  Writer *w = data;
  g_autoptr(JsonObject) o = json_object_new ();
  g_autofree char *text = NULL;

  for (guint i = 0; def->columns[i].key; i++)
    json_object_set_member (o, def->columns[i].key, mdn_report_cell_json (&def->columns[i], &cells[i]));
  text = mdn_json_object_to_string (o);
  if (!json_write (w, w->rows ? "," : "", error) || !json_write (w, text, error))
    return FALSE;
  progress (w, ++w->rows);
  return TRUE;
}

static char *
json_value (JsonNode *node)
{
  g_autoptr(JsonGenerator) gen = json_generator_new ();

  json_generator_set_root (gen, node);
  return json_generator_to_data (gen, NULL);
}

static gboolean
json_head (Writer               *w,
           const MdnReportDef   *def,
           const MdnReportQuery *q,
           GError              **error)
{
  g_autoptr(JsonObject) head = json_object_new ();
  g_autoptr(JsonNode) cols = json_node_new (JSON_NODE_ARRAY);
  g_autofree char *text = NULL, *columns = NULL;

  json_node_take_array (cols, mdn_report_columns_json (def));
  columns = json_value (cols);
  json_object_set_string_member (head, "name", def->name);
  json_object_set_string_member (head, "title", _(def->title));
  json_object_set_string_member (head, "from", q->from);
  json_object_set_string_member (head, "to", q->to);
  mdn_json_set_opt_string (head, "branch", q->branch);
  text = mdn_json_object_to_string (head);
  /* {"name": …, "to": …} → {"name": …, "to": …, "columns": […], "rows": [ */
  text[strlen (text) - 1] = '\0';
  return json_write (w, text, error) && json_write (w, ",\"columns\":", error) &&
         json_write (w, columns, error) && json_write (w, ",\"rows\":[", error);
}

static gboolean
json_tail (Writer             *w,
           const MdnReportDef *def,
           const gint64       *totals,
           gint64              n_rows,
           GError            **error)
{
  g_autoptr(JsonObject) tail = json_object_new ();
  JsonObject *t = json_object_new ();
  g_autofree char *text = NULL;

  for (guint i = 0; def->columns[i].key; i++)
    if (def->columns[i].total)
      json_object_set_int_member (t, def->columns[i].key, totals[i]);
  json_object_set_object_member (tail, "totals", t);
  json_object_set_int_member (tail, "count", n_rows);
  json_object_set_null_member (tail, "next");
  text = mdn_json_object_to_string (tail);
  /* {"totals": …} → ],"totals": …} */
  text[0] = ',';
  return json_write (w, "]", error) && json_write (w, text, error);
}

/* Excel ------------------------------------------------------------------------ */

/* The spool: per cell a tag byte (0 empty, 1 integer, 2 text) then the
 * integer (8 bytes) or the text's length (4 bytes) and bytes. */
static gboolean
spool_row (gpointer             data,
           const MdnReportDef  *def,
           const MdnReportCell *cells,
           GError             **error)
{
  Writer *w = data;

  for (guint i = 0; def->columns[i].key; i++)
    {
      const MdnReportCell *c = &cells[i];
      guint8 tag = !c->set ? 0 : (def->columns[i].type >= MDN_COL_FEN ? 1 : 2);
      gboolean ok = fwrite (&tag, 1, 1, w->out) == 1;

      if (ok && tag == 1)
        ok = fwrite (&c->i, sizeof c->i, 1, w->out) == 1;
      else if (ok && tag == 2)
        {
          guint32 len = c->s ? (guint32) strlen (c->s) : 0;

          ok = fwrite (&len, sizeof len, 1, w->out) == 1 && (len == 0 || fwrite (c->s, 1, len, w->out) == len);
        }
      if (!ok)
        return io_error (error, w->path);
    }
  progress (w, ++w->rows);
  return TRUE;
}

typedef struct
{
  lxw_workbook *wb;
  lxw_format   *title, *header, *money, *integer, *percent, *date, *time, *total_label,
               *total_money, *total_integer;
} Book;

/* "2026-11-22" or "2026-11-22T10:00:00+08:00" → the wall-clock fields. */
static gboolean
parse_datetime (const char   *text,
                lxw_datetime *dt)
{
  int y, mo, d, h = 0, mi = 0, s = 0;
  int n = sscanf (text, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &s);

  if (n != 3 && n != 6)
    return FALSE;
  if (y < 1900 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59)
    return FALSE;
  *dt = (lxw_datetime) { y, mo, d, h, mi, s };
  return TRUE;
}

static lxw_error
write_cell (lxw_worksheet         *ws,
            Book                  *b,
            lxw_row_t              row,
            lxw_col_t              col,
            const MdnReportColumn *c,
            guint8                 tag,
            gint64                 i,
            const char            *s)
{
  lxw_datetime dt;

  if (tag == 0)
    return LXW_NO_ERROR;
  switch (c->type)
    {
    case MDN_COL_FEN:
      return worksheet_write_number (ws, row, col, (double) i / 100.0, b->money);
    case MDN_COL_INT:
      return worksheet_write_number (ws, row, col, (double) i, b->integer);
    case MDN_COL_PERCENT:
      return worksheet_write_number (ws, row, col, (double) i / 10000.0, b->percent);
    case MDN_COL_DATE:
    case MDN_COL_TIME:
      if (s && parse_datetime (s, &dt))
        return worksheet_write_datetime (ws, row, col, &dt, c->type == MDN_COL_DATE ? b->date : b->time);
      G_GNUC_FALLTHROUGH;
    case MDN_COL_TEXT:
    default:
      return worksheet_write_string (ws, row, col, s ? s : "", NULL);
    }
}

static lxw_worksheet *
new_sheet (Book                 *b,
           const MdnReportDef   *def,
           const char           *title,
           guint                 sheet,
           gint64                rows)
{
  g_autofree char *name = sheet == 0 ? g_strdup (_("Report")) : g_strdup_printf (_("Report (%u)"), sheet + 1);
  lxw_worksheet *ws = workbook_add_worksheet (b->wb, name);
  guint n = mdn_report_n_columns (def);

  if (ws == NULL)
    return NULL;
  for (guint c = 0; c < n; c++)
    {
      double width = def->columns[c].type == MDN_COL_TIME ? 20 : def->columns[c].type == MDN_COL_TEXT ? 16 : 13;

      worksheet_set_column (ws, (lxw_col_t) c, (lxw_col_t) c, width, NULL);
    }
  worksheet_freeze_panes (ws, 2, 0);
  /* Before any row: constant-memory mode writes rows out as they come. */
  worksheet_autofilter (ws, 1, 0, (lxw_row_t) (1 + rows), (lxw_col_t) (n - 1));
  worksheet_write_string (ws, 0, 0, title, b->title);
  for (guint c = 0; c < n; c++)
    worksheet_write_string (ws, 1, (lxw_col_t) c, _(def->columns[c].title), b->header);
  return ws;
}

static lxw_format *
format (lxw_workbook *wb,
        const char   *num,
        gboolean      bold)
{
  lxw_format *f = workbook_add_format (wb);

  if (num)
    format_set_num_format (f, num);
  if (bold)
    format_set_bold (f);
  return f;
}

static gboolean
read_exact (FILE    *in,
            void    *buf,
            gsize    len)
{
  return len == 0 || fread (buf, 1, len, in) == len;
}

static gboolean
xlsx_write (Writer               *w,
            const MdnReportDef   *def,
            const MdnReportQuery *q,
            FILE                 *spool,
            const gint64         *totals,
            GError              **error)
{
  const MdnReportExportOptions *o = w->options;
  gint64 per_sheet = (o && o->sheet_rows > 2 ? o->sheet_rows : EXCEL_ROWS) - 2;   /* title, header */
  lxw_workbook_options wo = { .constant_memory = LXW_TRUE, .tmpdir = NULL, .use_zip64 = LXW_TRUE };
  g_autofree char *tmpdir = g_strdup (g_get_tmp_dir ());
  g_autofree char *title = NULL;
  g_autofree char *buf = NULL;
  gsize buf_len = 0;
  guint n = mdn_report_n_columns (def);
  Book b = { 0 };
  lxw_worksheet *ws = NULL;
  gint64 left = w->total_rows, done = 0;
  guint sheet = 0;
  lxw_row_t row = 0;
  lxw_error rc;

  title = g_strdup_printf (_("%s · %s · %s to %s · exported %s"), _(def->title),
                           o && o->shop ? o->shop : (q->branch ? q->branch : _("whole chain")),
                           q->from, q->to, o && o->exported_at ? o->exported_at : "");
  wo.tmpdir = tmpdir;
  b.wb = workbook_new_opt (w->path, &wo);
  if (b.wb == NULL)
    return io_error (error, w->path);
  b.title = format (b.wb, NULL, TRUE);
  format_set_font_size (b.title, 13);
  b.header = format (b.wb, NULL, TRUE);
  format_set_bottom (b.header, LXW_BORDER_THIN);
  format_set_bg_color (b.header, 0xEEEEEE);
  b.money = format (b.wb, "#,##0.00", FALSE);
  b.integer = format (b.wb, "0", FALSE);
  b.percent = format (b.wb, "0.00%", FALSE);
  b.date = format (b.wb, "yyyy-mm-dd", FALSE);
  b.time = format (b.wb, "yyyy-mm-dd hh:mm:ss", FALSE);
  b.total_label = format (b.wb, NULL, TRUE);
  b.total_money = format (b.wb, "#,##0.00", TRUE);
  b.total_integer = format (b.wb, "0", TRUE);

  rewind (spool);
  /* Sheet by sheet; the last keeps one row for the totals. */
  do
    {
      /* The totals row must fit under the last sheet's rows. */
      gint64 here = left < per_sheet ? left : left == per_sheet ? per_sheet - 1 : per_sheet;

      ws = new_sheet (&b, def, title, sheet++, here);
      if (ws == NULL)
        goto fail;
      row = 2;
      for (gint64 r = 0; r < here; r++, row++)
        {
          for (guint c = 0; c < n; c++)
            {
              guint8 tag;
              gint64 i = 0;
              guint32 len = 0;

              if (!read_exact (spool, &tag, 1))
                goto fail;
              if (tag == 1 && !read_exact (spool, &i, sizeof i))
                goto fail;
              if (tag == 2)
                {
                  if (!read_exact (spool, &len, sizeof len))
                    goto fail;
                  if (len + 1 > buf_len)
                    {
                      buf_len = len + 1;
                      buf = g_realloc (buf, buf_len);
                    }
                  if (!read_exact (spool, buf, len))
                    goto fail;
                  buf[len] = '\0';
                }
              if ((rc = write_cell (ws, &b, row, (lxw_col_t) c, &def->columns[c], tag, i, buf)) != LXW_NO_ERROR)
                goto fail;
            }
          if (++done % PROGRESS_EVERY == 0)
            {
              if (g_cancellable_set_error_if_cancelled (o ? o->cancellable : NULL, error))
                {
                  workbook_close (b.wb);
                  return FALSE;
                }
              if (o && o->progress)
                o->progress (done, 0.5 + 0.5 * (double) done / (double) MAX (w->total_rows, 1), o->progress_data);
            }
        }
      left -= here;
    }
  while (left > 0);

  /* The totals row, on the last sheet. */
  worksheet_write_string (ws, row, 0, _("Total"), b.total_label);
  for (guint c = 0; c < n; c++)
    if (def->columns[c].total)
      {
        if (def->columns[c].type == MDN_COL_FEN)
          worksheet_write_number (ws, row, (lxw_col_t) c, (double) totals[c] / 100.0, b.total_money);
        else
          worksheet_write_number (ws, row, (lxw_col_t) c, (double) totals[c], b.total_integer);
      }
  if ((rc = workbook_close (b.wb)) != LXW_NO_ERROR)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INTERNAL, _("Could not write %s: %s"), w->path,
                   lxw_strerror (rc));
      return FALSE;
    }
  return TRUE;

fail:
  workbook_close (b.wb);
  g_set_error (error, MDN_ERROR, MDN_ERROR_INTERNAL, _("Could not write %s"), w->path);
  return FALSE;
}

/* The export ------------------------------------------------------------------- */

gboolean
mdn_report_export_file (MdnDb                        *db,
                        const MdnReportDef           *def,
                        const MdnReportQuery         *query,
                        MdnReportFormat               fmt,
                        const char                   *path,
                        const MdnReportExportOptions *options,
                        gint64                       *n_rows,
                        GError                      **error)
{
  g_autofree char *part = g_strdup_printf ("%s.part", path);
  g_autofree gint64 *totals = g_new0 (gint64, mdn_report_n_columns (def));
  Writer w = { options, NULL, part, 0, -1 };
  MdnReportSink sink = { NULL, &w, options ? options->cancellable : NULL };
  FILE *spool = NULL;
  gint64 rows = 0;
  gboolean ok;
  int fd;

  g_return_val_if_fail (db != NULL && def != NULL && query != NULL && path != NULL, FALSE);

  if (fmt == MDN_REPORT_XLSX)
    {
      spool = tmpfile ();
      if (spool == NULL)
        return io_error (error, g_get_tmp_dir ());
      w.out = spool;
      sink.row = spool_row;
      ok = mdn_report_run (db, def, query, &sink, totals, &rows, error);
      if (ok)
        {
          w.total_rows = rows;
          ok = xlsx_write (&w, def, query, spool, totals, error);
        }
      fclose (spool);
      if (ok && g_chmod (part, 0600) < 0)
        ok = io_error (error, part);
    }
  else
    {
      fd = g_open (part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      if (fd < 0 || (w.out = fdopen (fd, "wb")) == NULL)
        {
          if (fd >= 0)
            close (fd);
          return io_error (error, path);
        }
      if (fmt == MDN_REPORT_CSV)
        {
          sink.row = csv_row;
          ok = csv_header (&w, def, error) && mdn_report_run (db, def, query, &sink, totals, &rows, error);
        }
      else
        {
          sink.row = json_row;
          ok = json_head (&w, def, query, error) && mdn_report_run (db, def, query, &sink, totals, &rows, error) &&
               json_tail (&w, def, totals, rows, error);
        }
      if (fflush (w.out) != 0 && ok)
        ok = io_error (error, path);
      if (fclose (w.out) != 0 && ok)
        ok = io_error (error, path);
    }
  if (ok && g_rename (part, path) < 0)
    ok = io_error (error, path);
  if (!ok)
    g_unlink (part);
  else if (options && options->progress)
    options->progress (rows, 1.0, options->progress_data);
  if (n_rows)
    *n_rows = rows;
  return ok;
}
