/* mdn-report-private.h: what the report definitions (mdn-report-*.c)
 * share with the framework (mdn-report.c). */
#pragma once

#include "mdn-figures.h"
#include "mdn-ledger.h"
#include "mdn-report.h"

G_BEGIN_DECLS

struct _MdnReportRun
{
  MdnDb                *db;
  const MdnReportDef   *def;
  const MdnReportQuery *q;
  MdnReportSink        *sink;
  guint                 n_columns;
  guint                 next_column;  /* where the next cell's search starts */
  MdnReportCell        *cells;
  gint64               *totals;
  gint64                n_rows;
  char                 *member_id;   /* q->member resolved */
  GHashTable           *members;     /* member_id → MdnReportMember, bounded */
  gboolean              chain_db;    /* the server's database (srv_rollup_day) */
};

typedef struct
{
  char *card_no;
  char *name;
} MdnReportMember;

/* Sets the cell @key of the row being built (a key the report has no
 * column for is ignored). */
void     mdn_report_text  (MdnReportRun *run,
                           const char   *key,
                           const char   *value);
void     mdn_report_int   (MdnReportRun *run,
                           const char   *key,
                           gint64        value);
/* Filters (staff, member, sku, category), adds to the totals and hands
 * the row to the sink; the row is cleared either way. */
gboolean mdn_report_emit  (MdnReportRun *run,
                           GError      **error);
/* The date, time, branch, staff and member cells of @entry. */
void     mdn_report_entry_cells (MdnReportRun   *run,
                                 const MdnEntry *entry);
const MdnReportMember *mdn_report_member (MdnReportRun *run,
                                          const char   *member_id);

typedef gboolean (*MdnReportEntryFunc) (MdnReportRun   *run,
                                        const MdnEntry *entry,
                                        gpointer        data,
                                        GError        **error);
/* Calls @func on every entry of the period (and branch, and member) whose
 * kind is one of @kinds (NULL: every kind), in (date, branch, seq) order. */
gboolean mdn_report_each_entry (MdnReportRun       *run,
                                const char *const  *kinds,
                                MdnReportEntryFunc  func,
                                gpointer            data,
                                GError            **error);

typedef gboolean (*MdnReportDayFunc) (MdnReportRun     *run,
                                      const char       *date,
                                      const char       *branch,
                                      const MdnFigures *f,
                                      gpointer          data,
                                      GError          **error);
/* The figures of every branch-day from @from to @to (NULL: from the
 * beginning), in (date, branch) order: rollup rows at the server, the
 * days' entries summed at a branch. */
gboolean mdn_report_each_day (MdnReportRun     *run,
                              const char       *from,
                              const char       *to,
                              MdnReportDayFunc  func,
                              gpointer          data,
                              GError          **error);

/* The same, reading only the figures @figures names (NULL-terminated; the
 * others are 0) from the server's rollup: a narrower read. At a branch the
 * days' entries are summed whole. */
gboolean mdn_report_each_day_of (MdnReportRun       *run,
                                 const char         *from,
                                 const char         *to,
                                 const char *const  *figures,
                                 MdnReportDayFunc    func,
                                 gpointer            data,
                                 GError            **error);

gboolean mdn_report_too_large (GError **error);

extern const MdnReportDef mdn_report_income, mdn_report_deposits, mdn_report_package_sales,
  mdn_report_consumption, mdn_report_product_sales, mdn_report_returns, mdn_report_package_uses,
  mdn_report_points_redeemed, mdn_report_points_adjusted, mdn_report_stock_moves,
  mdn_report_products, mdn_report_members, mdn_report_commission, mdn_report_timed,
  mdn_report_summary, mdn_report_liability, mdn_report_settlement;

G_END_DECLS
