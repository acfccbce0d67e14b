/* mdn-report.h: the report framework (报表). A report is a definition
 * (name, Chinese title, typed columns, the filters it takes, which columns
 * have totals) and a run function that emits rows; the same definition
 * runs on a branch database and on the server's chain database, because
 * both hold the same `entries`, `movements` and projection tables.
 *
 * Detail reports read the entries of the period through the index
 * entries_day (business_date, branch, seq) and never the whole ledger;
 * summaries (summary, liability, settlement) read day figures: the
 * server's rollup srv_rollup_day where it exists, or, at a branch, the
 * day's entries summed by the same figures module (mdn-figures.h) that
 * fills the rollup, so both agree to the fen.
 *
 * Rows go to a sink one at a time (an export writes every row, in
 * constant memory); totals are summed by the framework over every row
 * emitted, with checked integer adds. The list of reports is in
 * docs/reports.md. */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "mdn-db.h"

G_BEGIN_DECLS

typedef enum
{
  MDN_COL_TEXT,
  MDN_COL_DATE,      /* "YYYY-MM-DD" */
  MDN_COL_TIME,      /* ISO 8601 with its offset, as the entry has it */
  MDN_COL_FEN,       /* integer fen */
  MDN_COL_INT,       /* a count: quantity, points, uses, minutes */
  MDN_COL_PERCENT,   /* integer basis points: 1234 = 12.34 % */
} MdnColType;

typedef struct
{
  const char *key;       /* NULL ends the columns */
  const char *title;     /* N_(): translated when shown */
  MdnColType  type;
  gboolean    total;     /* summed into the totals */
} MdnReportColumn;

/* One cell of the row being emitted. */
typedef struct
{
  gboolean set;
  gint64   i;
  char    *s;    /* TEXT, DATE, TIME */
} MdnReportCell;

typedef struct _MdnReportRun MdnReportRun;
typedef struct _MdnReportDef MdnReportDef;

/* What a report is asked for. from/to: inclusive business dates.
 * branch NULL: the whole chain (the server). */
typedef struct
{
  const char *from;
  const char *to;
  const char *branch;
  const char *staff;
  const char *member;     /* card number */
  const char *sku;
  const char *category;   /* a category path or its prefix */
  JsonObject *args;       /* a report's own arguments (crm's member list: member.filter's) */
} MdnReportQuery;

/* Where rows go: @row is called once per row, in the report's order. */
typedef struct
{
  gboolean (*row) (gpointer               data,
                   const MdnReportDef    *def,
                   const MdnReportCell   *cells,
                   GError               **error);
  gpointer data;
  GCancellable *cancellable;
} MdnReportSink;

struct _MdnReportDef
{
  const char            *name;
  const char            *title;      /* N_() */
  const MdnReportColumn *columns;
  const char *const     *filters;    /* of from, to, branch, staff, member, sku, category */
  gboolean             (*run) (MdnReportRun *run, GError **error);
};

/* Every report, NULL-terminated. */
const MdnReportDef  *const *mdn_reports (void);
const MdnReportDef  *mdn_report_lookup  (const char *name);
guint                mdn_report_n_columns (const MdnReportDef *def);

/* Runs @def over @db, every row to @sink; @totals (n_columns gint64s,
 * zeroed here) gets the sums of the total columns and *@n_rows the rows
 * emitted. An unknown member or a bad date is an error; nothing written. */
gboolean             mdn_report_run     (MdnDb                 *db,
                                         const MdnReportDef    *def,
                                         const MdnReportQuery  *query,
                                         MdnReportSink         *sink,
                                         gint64                *totals,
                                         gint64                *n_rows,
                                         GError               **error);

/* {reports:[{name, title, filters, columns}]} */
JsonArray           *mdn_report_list_json (void);
/* [{key, title, type}] */
JsonArray           *mdn_report_columns_json (const MdnReportDef *def);
const char          *mdn_report_type_name (MdnColType type);
/* A cell as JSON (null when unset). */
JsonNode            *mdn_report_cell_json (const MdnReportColumn *column,
                                           const MdnReportCell   *cell);

/* Runs @def and answers one page: {columns, rows (at most @limit from
 * the @after'th; @limit 0: all), totals (of every row), next}; next is
 * the token of the following page, null on the last. */
JsonObject          *mdn_report_page    (MdnDb                 *db,
                                         const MdnReportDef    *def,
                                         const MdnReportQuery  *query,
                                         gint64                 limit,
                                         const char            *after,
                                         GError               **error);

G_END_DECLS
