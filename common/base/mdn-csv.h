/* mdn-csv.h: CSV files as people bring them from Excel (mdn-csv.c): read
 * through libcsv, UTF-8 (with or without a byte-order mark) or GB18030
 * (what Excel saves in China), a header row whose columns are found by
 * name (Chinese or English aliases, case and surrounding spaces ignored),
 * and each data row with the line of the file it starts on, so an importer
 * can name every bad row. Also the writer of CSV rows for templates. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const char        *field;     /* the name the importer asks by; NULL ends */
  const char *const *names;     /* header names that mean it, NULL-terminated */
  gboolean           required;  /* the header must have it */
} MdnCsvColumn;

typedef struct _MdnCsvTable MdnCsvTable;

/* Reads @len bytes of @data. Fails (nothing returned) when the text is
 * neither UTF-8 nor GB18030, a quote is not closed, the header lacks a
 * required column or names one twice, or rows have more cells than the
 * header: the message names every such line. Rows whose cells are all
 * empty are left out. */
MdnCsvTable *mdn_csv_read       (const char          *data,
                                 gsize                len,
                                 const MdnCsvColumn  *columns,
                                 GError             **error);
guint        mdn_csv_n_rows     (MdnCsvTable         *t);
/* The cell of @field in data row @row (from 0), trimmed; NULL when empty
 * or when the header has no such column. */
const char  *mdn_csv_get        (MdnCsvTable         *t,
                                 guint                row,
                                 const char          *field);
/* The 1-based line of the file data row @row starts on (the header is on
 * line 1 unless blank lines precede it). */
guint        mdn_csv_line       (MdnCsvTable         *t,
                                 guint                row);
/* "UTF-8" or "GB18030": what the file was read as. */
const char  *mdn_csv_encoding   (MdnCsvTable         *t);
void         mdn_csv_table_free (MdnCsvTable         *t);

/* Appends one row of @fields (NULL-terminated; NULL-free) to @out, quoted
 * where needed, ended by CRLF. */
void         mdn_csv_append_row (GString             *out,
                                 const char *const   *fields);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (MdnCsvTable, mdn_csv_table_free)

G_END_DECLS
