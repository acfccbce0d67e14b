/* mdn-report-defs.c: the reports themselves (docs/reports.md lists each
 * one's columns and how every figure is computed). Each is a column table
 * and a run function over the period's entries (mdn_report_each_entry),
 * the day figures (mdn_report_each_day) or a projection table. */
#define G_LOG_DOMAIN "mdn-report"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-money.h"
#include "mdn-report-private.h"

#define COL_DATE   { "date", N_("Business date"), MDN_COL_DATE, FALSE }
#define COL_TIME   { "time", N_("Time"), MDN_COL_TIME, FALSE }
#define COL_BRANCH { "branch", N_("Branch"), MDN_COL_TEXT, FALSE }
#define COL_STAFF  { "staff", N_("Staff"), MDN_COL_TEXT, FALSE }
#define COL_CARD   { "card_no", N_("Card number"), MDN_COL_TEXT, FALSE }
#define COL_MEMBER { "member", N_("Member"), MDN_COL_TEXT, FALSE }
#define COL_END    { NULL }

static const char *const entry_filters[] = { "from", "to", "branch", "staff", "member", NULL };
static const char *const line_filters[] = { "from", "to", "branch", "staff", "member", "sku", "category", NULL };
static const char *const period_filters[] = { "from", "to", "branch", NULL };
static const char *const product_filters[] = { "branch", "sku", "category", NULL };
static const char *const member_filters[] = { "branch", "member", NULL };

/* Labels ------------------------------------------------------------------------ */

static const char *
kind_label (const char *kind)
{
  static const struct { const char *kind; const char *label; } labels[] = {
    { "sale", N_("Sale") },
    { "sale.quick", N_("Quick sale") },
    { "sale.return", N_("Return") },
    { "timed.stop", N_("Timed session") },
    { "timed.prepay", N_("Prepaid time") },
    { "timed.extend", N_("More prepaid time") },
    { "member.deposit", N_("Deposit") },
    { "member.withdraw", N_("Withdrawal") },
    { "member.issue", N_("Card issued") },
    { "package.consume", N_("Package use") },
    { "stock.receive", N_("Stock received") },
    { "stock.issue", N_("Stock issued") },
    { "stock.transfer", N_("Stock transfer") },
    { "stock.count", N_("Stocktake") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    if (g_str_equal (labels[i].kind, kind))
      return _(labels[i].label);
  return kind;
}

static const char *
tender_label (const char *tender)
{
  if (g_strcmp0 (tender, "cash") == 0) return _("Cash");
  if (g_strcmp0 (tender, "bank") == 0) return _("Bank card");
  if (g_strcmp0 (tender, "wechat") == 0) return _("WeChat Pay");
  if (g_strcmp0 (tender, "alipay") == 0) return _("Alipay");
  if (g_strcmp0 (tender, "balance") == 0) return _("Member balance");
  return tender ? tender : "";
}

/* goods, service, package in words. */
static const char *
product_kind_label (const char *kind)
{
  if (g_strcmp0 (kind, "goods") == 0) return _("Goods");
  if (g_strcmp0 (kind, "service") == 0) return _("Service");
  if (g_strcmp0 (kind, "package") == 0) return _("Package");
  return kind;
}

static gboolean
checked_add (gint64  *sum,
             gint64   v,
             GError **error)
{
  gint64 r;

  if (__builtin_add_overflow (*sum, v, &r) || r > MDN_MONEY_MAX || r < -MDN_MONEY_MAX)
    return mdn_report_too_large (error);
  *sum = r;
  return TRUE;
}

static JsonObject *
element_object (JsonArray *a,
                guint      i)
{
  JsonNode *n = json_array_get_element (a, i);

  return JSON_NODE_HOLDS_OBJECT (n) ? json_node_get_object (n) : NULL;
}

/* The product's name and category, as the catalogue has them now. */
static void
product_cells (MdnReportRun *run,
               const char   *sku,
               gboolean      with_category)
{
  sqlite3_stmt *stmt;

  if (sku == NULL)
    return;
  stmt = mdn_db_query (run->db, NULL, "SELECT name, category FROM products WHERE sku = ?", "s", sku);
  if (stmt && mdn_db_step (run->db, stmt, NULL) == SQLITE_ROW)
    {
      mdn_report_text (run, "name", mdn_db_col_text (stmt, 0));
      if (with_category)
        mdn_report_text (run, "category", mdn_db_col_text (stmt, 1));
    }
  if (stmt)
    sqlite3_reset (stmt);
}

/* income 收支明细 ----------------------------------------------------------------- */

static const MdnReportColumn income_columns[] = {
  COL_DATE, COL_TIME, COL_BRANCH,
  { "receipt_no", N_("Receipt"), MDN_COL_TEXT, FALSE },
  { "business", N_("Business"), MDN_COL_TEXT, FALSE },
  COL_CARD, COL_MEMBER, COL_STAFF,
  { "tender", N_("Tender"), MDN_COL_TEXT, FALSE },
  { "amount_fen", N_("Amount"), MDN_COL_FEN, TRUE },
  { "running_fen", N_("Running total of the tender"), MDN_COL_FEN, FALSE },
  COL_END
};

static gboolean
income_row (MdnReportRun   *run,
            const MdnEntry *entry,
            const char     *tender,
            gint64          amount,
            gint64         *running,
            GError        **error)
{
  MdnTenderKind t = mdn_tender_kind (tender);

  mdn_report_entry_cells (run, entry);
  mdn_report_text (run, "receipt_no", mdn_body_string (entry->body, "receipt_no"));
  mdn_report_text (run, "business", kind_label (entry->kind));
  mdn_report_text (run, "tender", tender_label (tender));
  mdn_report_int (run, "amount_fen", amount);
  /* The running total counts the rows shown: the staff and member
     filters apply before it. */
  if ((run->q->staff == NULL || g_strcmp0 (run->q->staff, entry->staff) == 0))
    {
      if (!checked_add (&running[t], amount, error))
        return FALSE;
      mdn_report_int (run, "running_fen", running[t]);
    }
  return mdn_report_emit (run, error);
}

static gboolean
income_entry (MdnReportRun   *run,
              const MdnEntry *entry,
              gpointer        data,
              GError        **error)
{
  gint64 *running = data;
  gboolean deposit = g_str_equal (entry->kind, "member.deposit");

  if (deposit || g_str_equal (entry->kind, "member.withdraw"))
    {
      const char *tender = mdn_body_string (entry->body, "tender");
      gint64 amount = mdn_body_int (entry->body, "amount_fen", 0);

      return income_row (run, entry, tender ? tender : "cash", deposit ? amount : -amount, running, error);
    }
  else
    {
      JsonArray *tenders = mdn_body_array (entry->body, "tenders");
      int sign = g_str_equal (entry->kind, "sale.return") ? -1 : 1;

      for (guint i = 0; tenders && i < json_array_get_length (tenders); i++)
        {
          JsonObject *t = element_object (tenders, i);
          const char *type = t ? mdn_body_string (t, "type") : NULL;

          if (type && !income_row (run, entry, type, sign * mdn_body_int (t, "amount_fen", 0), running, error))
            return FALSE;
        }
    }
  return TRUE;
}

static gboolean
run_income (MdnReportRun *run,
            GError      **error)
{
  static const char *const kinds[] = { "sale", "sale.quick", "timed.stop", "sale.return",
                                       "member.deposit", "member.withdraw", "timed.prepay", "timed.extend", NULL };
  gint64 running[MDN_N_TENDERS] = { 0 };

  return mdn_report_each_entry (run, kinds, income_entry, running, error);
}

const MdnReportDef mdn_report_income = {
  "income", N_("Income and payments"), income_columns, entry_filters, run_income
};

/* deposits 存款明细 --------------------------------------------------------------- */

static const MdnReportColumn deposit_columns[] = {
  COL_DATE, COL_TIME, COL_BRANCH, COL_CARD, COL_MEMBER,
  { "principal_fen", N_("Principal"), MDN_COL_FEN, TRUE },
  { "bonus_fen", N_("Bonus"), MDN_COL_FEN, TRUE },
  { "tender", N_("Tender"), MDN_COL_TEXT, FALSE },
  COL_STAFF,
  { "balance_after_fen", N_("Balance after"), MDN_COL_FEN, FALSE },
  COL_END
};

/* The member's stored value (principal + bonus) once @entry was applied
 * here: the movements of the entries applied before it and itself. */
static gboolean
balance_after (MdnReportRun   *run,
               const MdnEntry *entry,
               gint64         *out,
               GError        **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = mdn_db_query (run->db, error,
                       "SELECT COALESCE (SUM (m.delta), 0) FROM movements m JOIN entries e ON e.id = m.entry_id "
                       "WHERE m.member_id = ?1 AND (m.account = 'principal' OR m.account = 'bonus') "
                       "AND e.rowid <= (SELECT rowid FROM entries WHERE id = ?2)",
                       "ss", entry->member_id, entry->id);
  if (stmt == NULL || (rc = mdn_db_step (run->db, stmt, error)) != SQLITE_ROW)
    return FALSE;
  *out = sqlite3_column_int64 (stmt, 0);
  sqlite3_reset (stmt);
  return TRUE;
}

static gboolean
deposit_entry (MdnReportRun   *run,
               const MdnEntry *entry,
               gpointer        data,
               GError        **error)
{
  const char *tender = mdn_body_string (entry->body, "tender");
  gint64 after = 0;

  if (entry->member_id && !balance_after (run, entry, &after, error))
    return FALSE;
  mdn_report_entry_cells (run, entry);
  mdn_report_int (run, "principal_fen", mdn_body_int (entry->body, "amount_fen", 0));
  mdn_report_int (run, "bonus_fen", mdn_body_int (entry->body, "bonus_fen", 0));
  mdn_report_text (run, "tender", tender_label (tender ? tender : "cash"));
  mdn_report_int (run, "balance_after_fen", after);
  return mdn_report_emit (run, error);
}

static gboolean
run_deposits (MdnReportRun *run,
              GError      **error)
{
  static const char *const kinds[] = { "member.deposit", NULL };

  return mdn_report_each_entry (run, kinds, deposit_entry, NULL, error);
}

const MdnReportDef mdn_report_deposits = {
  "deposits", N_("Deposits"), deposit_columns, entry_filters, run_deposits
};

/* consumption 消费明细 and package_sales 计次续费 ------------------------------------ */

static const MdnReportColumn consumption_columns[] = {
  COL_DATE, COL_TIME, COL_BRANCH,
  { "receipt_no", N_("Receipt"), MDN_COL_TEXT, FALSE },
  COL_CARD, COL_MEMBER,
  { "sku", N_("Product code"), MDN_COL_TEXT, FALSE },
  { "name", N_("Product"), MDN_COL_TEXT, FALSE },
  { "category", N_("Category"), MDN_COL_TEXT, FALSE },
  { "kind", N_("Kind"), MDN_COL_TEXT, FALSE },
  { "qty", N_("Quantity"), MDN_COL_INT, TRUE },
  { "list_fen", N_("List amount"), MDN_COL_FEN, TRUE },
  { "discount_fen", N_("Discount"), MDN_COL_FEN, TRUE },
  { "paid_fen", N_("Paid"), MDN_COL_FEN, TRUE },
  COL_STAFF,
  COL_END
};

static const MdnReportColumn package_sale_columns[] = {
  COL_DATE, COL_TIME, COL_BRANCH,
  { "receipt_no", N_("Receipt"), MDN_COL_TEXT, FALSE },
  COL_CARD, COL_MEMBER,
  { "sku", N_("Product code"), MDN_COL_TEXT, FALSE },
  { "name", N_("Product"), MDN_COL_TEXT, FALSE },
  { "service", N_("Service"), MDN_COL_TEXT, FALSE },
  { "qty", N_("Quantity"), MDN_COL_INT, TRUE },
  { "uses", N_("Uses"), MDN_COL_INT, TRUE },
  { "expires_on", N_("Valid until"), MDN_COL_DATE, FALSE },
  { "list_fen", N_("List amount"), MDN_COL_FEN, TRUE },
  { "discount_fen", N_("Discount"), MDN_COL_FEN, TRUE },
  { "paid_fen", N_("Paid"), MDN_COL_FEN, TRUE },
  COL_STAFF,
  COL_END
};

/* The staff member who served a line: the line's own, else the cashier. */
static const char *
line_staff (const MdnEntry *entry,
            JsonObject     *line)
{
  const char *s = line ? mdn_body_string (line, "staff") : NULL;

  return s ? s : entry->staff;
}

static gboolean
consumption_entry (MdnReportRun   *run,
                   const MdnEntry *entry,
                   gpointer        data,
                   GError        **error)
{
  gboolean packages_only = GPOINTER_TO_INT (data);
  JsonArray *lines = mdn_body_array (entry->body, "lines");

  if (!g_str_equal (entry->kind, "sale"))
    {
      /* A quick sale or a timed session: one line, no product. */
      gint64 list = mdn_body_int (entry->body, "list_total_fen", 0);
      gint64 paid = mdn_body_int (entry->body, "total_fen", 0);
      gboolean timed = g_str_has_prefix (entry->kind, "timed.");

      /* A session with goods on it (timed.add): its time, then its lines. */
      if (lines && timed)
        {
          list = mdn_body_int (entry->body, "gross_fen", 0);
          paid = mdn_body_int (entry->body, "time_fen", 0);
        }
      if (packages_only)
        return TRUE;
      mdn_report_entry_cells (run, entry);
      mdn_report_text (run, "receipt_no", mdn_body_string (entry->body, "receipt_no"));
      if (timed)
        {
          mdn_report_text (run, "sku", mdn_body_string (entry->body, "resource"));
          mdn_report_text (run, "kind", _("timed"));
          mdn_report_int (run, "qty", mdn_body_int (entry->body, "minutes", 0));
        }
      else
        {
          mdn_report_text (run, "name", mdn_body_string (entry->body, "note"));
          mdn_report_text (run, "kind", _("quick"));
          mdn_report_int (run, "qty", 1);
        }
      mdn_report_int (run, "list_fen", list);
      mdn_report_int (run, "discount_fen", list - paid);
      mdn_report_int (run, "paid_fen", paid);
      if (!mdn_report_emit (run, error))
        return FALSE;
      if (!timed || lines == NULL)
        return TRUE;
    }

  for (guint i = 0; lines && i < json_array_get_length (lines); i++)
    {
      JsonObject *l = element_object (lines, i);
      const char *kind = l ? mdn_body_string (l, "kind") : NULL;
      gint64 list, paid;

      if (l == NULL || (packages_only && g_strcmp0 (kind, "package") != 0))
        continue;
      list = mdn_body_int (l, "list_fen", 0);
      paid = mdn_body_int (l, "amount_fen", 0);
      mdn_report_entry_cells (run, entry);
      mdn_report_text (run, "staff", line_staff (entry, l));
      mdn_report_text (run, "receipt_no", mdn_body_string (entry->body, "receipt_no"));
      mdn_report_text (run, "sku", mdn_body_string (l, "sku"));
      mdn_report_text (run, "name", mdn_body_string (l, "name"));
      mdn_report_int (run, "qty", mdn_body_int (l, "qty", 0));
      mdn_report_int (run, "list_fen", list);
      mdn_report_int (run, "discount_fen", list - paid);
      mdn_report_int (run, "paid_fen", paid);
      if (packages_only)
        {
          mdn_report_text (run, "service", mdn_body_string (l, "package_sku"));
          mdn_report_int (run, "uses", mdn_body_int (l, "uses", 0));
          mdn_report_text (run, "expires_on", mdn_body_string (l, "expires_on"));
        }
      else
        {
          product_cells (run, mdn_body_string (l, "sku"), TRUE);
          mdn_report_text (run, "name", mdn_body_string (l, "name"));
          mdn_report_text (run, "kind", product_kind_label (kind));
        }
      if (!mdn_report_emit (run, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
run_consumption (MdnReportRun *run,
                 GError      **error)
{
  static const char *const kinds[] = { "sale", "sale.quick", "timed.stop", "timed.prepay", "timed.extend", NULL };

  return mdn_report_each_entry (run, kinds, consumption_entry, GINT_TO_POINTER (FALSE), error);
}

static gboolean
run_package_sales (MdnReportRun *run,
                   GError      **error)
{
  static const char *const kinds[] = { "sale", NULL };

  return mdn_report_each_entry (run, kinds, consumption_entry, GINT_TO_POINTER (TRUE), error);
}

const MdnReportDef mdn_report_consumption = {
  "consumption", N_("Sales by line"), consumption_columns, line_filters, run_consumption
};

const MdnReportDef mdn_report_package_sales = {
  "package_sales", N_("Package sales"), package_sale_columns, line_filters, run_package_sales
};

/* product_sales 商品销售统计 -------------------------------------------------------- */

static const MdnReportColumn product_sales_columns[] = {
  { "category", N_("Category"), MDN_COL_TEXT, FALSE },
  { "sku", N_("Product code"), MDN_COL_TEXT, FALSE },
  { "name", N_("Product"), MDN_COL_TEXT, FALSE },
  { "qty_sold", N_("Quantity sold"), MDN_COL_INT, TRUE },
  { "qty_returned", N_("Quantity returned"), MDN_COL_INT, TRUE },
  { "qty_net", N_("Net quantity"), MDN_COL_INT, TRUE },
  { "list_fen", N_("List amount"), MDN_COL_FEN, TRUE },
  { "discount_fen", N_("Discount"), MDN_COL_FEN, TRUE },
  { "sold_fen", N_("Sold"), MDN_COL_FEN, TRUE },
  { "refund_fen", N_("Refunded"), MDN_COL_FEN, TRUE },
  { "net_fen", N_("Net amount"), MDN_COL_FEN, TRUE },
  { "cost_fen", N_("Cost"), MDN_COL_FEN, TRUE },
  { "margin_fen", N_("Gross margin"), MDN_COL_FEN, TRUE },
  { "margin_percent", N_("Margin %"), MDN_COL_PERCENT, FALSE },
  COL_END
};

typedef struct
{
  char  *sku;
  char  *name;
  gint64 qty_sold, qty_returned, list, sold, refund;
  gint64 cost;              /* of the lines sold less the lines returned */
  gboolean cost_unknown;    /* a line without a recorded cost (written before costs were) */
} SkuSum;

static void
sku_sum_free (gpointer p)
{
  SkuSum *s = p;

  g_free (s->sku);
  g_free (s->name);
  g_free (s);
}

static SkuSum *
sku_sum (GHashTable *table,
         const char *sku,
         const char *name)
{
  SkuSum *s = g_hash_table_lookup (table, sku);

  if (s == NULL)
    {
      s = g_new0 (SkuSum, 1);
      s->sku = g_strdup (sku);
      g_hash_table_insert (table, s->sku, s);
    }
  if (s->name == NULL && name)
    s->name = g_strdup (name);
  return s;
}

static gboolean
product_sales_entry (MdnReportRun   *run,
                     const MdnEntry *entry,
                     gpointer        data,
                     GError        **error)
{
  GHashTable *table = data;
  JsonArray *lines = mdn_body_array (entry->body, "lines");
  gboolean ret = g_str_equal (entry->kind, "sale.return");

  /* The staff and member filters pick the sales they count. */
  if (run->q->staff && g_strcmp0 (run->q->staff, entry->staff) != 0)
    return TRUE;
  for (guint i = 0; lines && i < json_array_get_length (lines); i++)
    {
      JsonObject *l = element_object (lines, i);
      const char *sku = l ? mdn_body_string (l, "sku") : NULL;
      SkuSum *s;

      if (sku == NULL)
        continue;
      s = sku_sum (table, sku, mdn_body_string (l, "name"));
      if (!json_object_has_member (l, "cost_fen"))
        s->cost_unknown = TRUE;
      else if (!checked_add (&s->cost, ret ? -mdn_body_int (l, "cost_fen", 0) : mdn_body_int (l, "cost_fen", 0), error))
        return FALSE;
      if (ret)
        {
          if (!checked_add (&s->qty_returned, mdn_body_int (l, "qty", 0), error) ||
              !checked_add (&s->refund, mdn_body_int (l, "refund_fen", 0), error))
            return FALSE;
        }
      else if (!checked_add (&s->qty_sold, mdn_body_int (l, "qty", 0), error) ||
               !checked_add (&s->list, mdn_body_int (l, "list_fen", 0), error) ||
               !checked_add (&s->sold, mdn_body_int (l, "amount_fen", 0), error))
        return FALSE;
    }
  return TRUE;
}

typedef struct
{
  char   *category;
  SkuSum *sum;
} SkuRow;

static int
compare_sku_rows (gconstpointer a,
                  gconstpointer b)
{
  const SkuRow *x = a, *y = b;
  int c = g_strcmp0 (x->category, y->category);

  return c ? c : strcmp (x->sum->sku, y->sum->sku);
}

static gboolean
run_product_sales (MdnReportRun *run,
                   GError      **error)
{
  static const char *const kinds[] = { "sale", "sale.return", NULL };
  g_autoptr(GHashTable) table = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, sku_sum_free);
  g_autoptr(GArray) rows = g_array_new (FALSE, FALSE, sizeof (SkuRow));
  GHashTableIter it;
  gpointer value;
  gboolean ok = TRUE;

  if (!mdn_report_each_entry (run, kinds, product_sales_entry, table, error))
    return FALSE;
  g_hash_table_iter_init (&it, table);
  while (g_hash_table_iter_next (&it, NULL, &value))
    {
      SkuRow r = { NULL, value };
      sqlite3_stmt *stmt = mdn_db_query (run->db, NULL, "SELECT category, name FROM products WHERE sku = ?",
                                         "s", r.sum->sku);

      if (stmt && mdn_db_step (run->db, stmt, NULL) == SQLITE_ROW)
        {
          r.category = g_strdup (mdn_db_col_text (stmt, 0));
          if (r.sum->name == NULL)
            r.sum->name = g_strdup (mdn_db_col_text (stmt, 1));
        }
      if (stmt)
        sqlite3_reset (stmt);
      g_array_append_val (rows, r);
    }
  g_array_sort (rows, compare_sku_rows);
  for (guint i = 0; i < rows->len; i++)
    {
      SkuRow *r = &g_array_index (rows, SkuRow, i);
      SkuSum *s = r->sum;

      if (ok)
        {
          mdn_report_text (run, "category", r->category);
          mdn_report_text (run, "sku", s->sku);
          mdn_report_text (run, "name", s->name);
          mdn_report_int (run, "qty_sold", s->qty_sold);
          mdn_report_int (run, "qty_returned", s->qty_returned);
          mdn_report_int (run, "qty_net", s->qty_sold - s->qty_returned);
          mdn_report_int (run, "list_fen", s->list);
          mdn_report_int (run, "discount_fen", s->list - s->sold);
          mdn_report_int (run, "sold_fen", s->sold);
          mdn_report_int (run, "refund_fen", s->refund);
          mdn_report_int (run, "net_fen", s->sold - s->refund);
          /* Margin = net − cost, and its share of the net in basis points;
             unknown (empty, not 0) when a line has no recorded cost. */
          if (!s->cost_unknown)
            {
              gint64 net = s->sold - s->refund, margin, bp;

              mdn_report_int (run, "cost_fen", s->cost);
              if (__builtin_sub_overflow (net, s->cost, &margin) || margin > MDN_MONEY_MAX || margin < -MDN_MONEY_MAX)
                ok = mdn_report_too_large (error);
              else
                {
                  mdn_report_int (run, "margin_fen", margin);
                  if (net > 0 && !mdn_money_mul_div (margin, 10000, net, TRUE, &bp, NULL))
                    ok = mdn_report_too_large (error);
                  else if (net > 0)
                    mdn_report_int (run, "margin_percent", bp);
                }
            }
          ok = ok && mdn_report_emit (run, error);
        }
      g_free (r->category);
    }
  return ok;
}

const MdnReportDef mdn_report_product_sales = {
  "product_sales", N_("Sales by product"), product_sales_columns, line_filters, run_product_sales
};

/* returns 退货明细 ---------------------------------------------------------------- */

static const MdnReportColumn return_columns[] = {
  COL_DATE, COL_TIME, COL_BRANCH,
  { "receipt_no", N_("Receipt"), MDN_COL_TEXT, FALSE },
  { "sale_receipt_no", N_("Receipt returned"), MDN_COL_TEXT, FALSE },
  COL_CARD, COL_MEMBER,
  { "lines", N_("Lines returned"), MDN_COL_TEXT, FALSE },
  { "refund_fen", N_("Refund"), MDN_COL_FEN, TRUE },
  { "principal_fen", N_("To principal"), MDN_COL_FEN, TRUE },
  { "bonus_fen", N_("To bonus"), MDN_COL_FEN, TRUE },
  { "points_taken", N_("Points taken back"), MDN_COL_INT, TRUE },
  { "tenders", N_("Paid back by"), MDN_COL_TEXT, FALSE },
  COL_STAFF,
  { "reason", N_("Reason"), MDN_COL_TEXT, FALSE },
  COL_END
};

static gboolean
return_entry (MdnReportRun   *run,
              const MdnEntry *entry,
              gpointer        data,
              GError        **error)
{
  JsonArray *lines = mdn_body_array (entry->body, "lines");
  JsonArray *tenders = mdn_body_array (entry->body, "tenders");
  g_autoptr(GString) l = g_string_new (NULL);
  g_autoptr(GString) t = g_string_new (NULL);

  for (guint i = 0; lines && i < json_array_get_length (lines); i++)
    {
      JsonObject *o = element_object (lines, i);

      if (o)
        g_string_append_printf (l, "%s%s×%" G_GINT64_FORMAT, l->len ? ", " : "",
                                mdn_body_string (o, "sku"), mdn_body_int (o, "qty", 0));
    }
  for (guint i = 0; tenders && i < json_array_get_length (tenders); i++)
    {
      JsonObject *o = element_object (tenders, i);
      g_autofree char *a = o ? mdn_money_format (mdn_body_int (o, "amount_fen", 0)) : NULL;

      if (o)
        g_string_append_printf (t, "%s%s %s", t->len ? ", " : "", tender_label (mdn_body_string (o, "type")), a);
    }
  mdn_report_entry_cells (run, entry);
  mdn_report_text (run, "receipt_no", mdn_body_string (entry->body, "receipt_no"));
  mdn_report_text (run, "sale_receipt_no", mdn_body_string (entry->body, "sale_receipt_no"));
  mdn_report_text (run, "lines", l->str);
  mdn_report_int (run, "refund_fen", mdn_body_int (entry->body, "refund_fen", 0));
  mdn_report_int (run, "principal_fen", mdn_body_int (entry->body, "principal_fen", 0));
  mdn_report_int (run, "bonus_fen", mdn_body_int (entry->body, "bonus_fen", 0));
  mdn_report_int (run, "points_taken", mdn_body_int (entry->body, "points_taken", 0));
  mdn_report_text (run, "tenders", t->str);
  mdn_report_text (run, "reason", mdn_body_string (entry->body, "reason"));
  return mdn_report_emit (run, error);
}

static gboolean
run_returns (MdnReportRun *run,
             GError      **error)
{
  static const char *const kinds[] = { "sale.return", NULL };

  return mdn_report_each_entry (run, kinds, return_entry, NULL, error);
}

const MdnReportDef mdn_report_returns = {
  "returns", N_("Returns"), return_columns, entry_filters, run_returns
};

/* package_uses 计次消费 ------------------------------------------------------------ */

static const MdnReportColumn package_use_columns[] = {
  COL_DATE, COL_TIME, COL_BRANCH, COL_CARD, COL_MEMBER,
  { "sku", N_("Service code"), MDN_COL_TEXT, FALSE },
  { "name", N_("Service"), MDN_COL_TEXT, FALSE },
  { "uses", N_("Uses"), MDN_COL_INT, TRUE },
  { "remaining", N_("Uses left"), MDN_COL_INT, FALSE },
  COL_STAFF,
  COL_END
};

static gboolean
package_use_entry (MdnReportRun   *run,
                   const MdnEntry *entry,
                   gpointer        data,
                   GError        **error)
{
  mdn_report_entry_cells (run, entry);
  mdn_report_text (run, "staff", line_staff (entry, entry->body));
  mdn_report_text (run, "sku", mdn_body_string (entry->body, "sku"));
  product_cells (run, mdn_body_string (entry->body, "sku"), FALSE);
  mdn_report_int (run, "uses", mdn_body_int (entry->body, "count", 0));
  mdn_report_int (run, "remaining", mdn_body_int (entry->body, "remaining", 0));
  return mdn_report_emit (run, error);
}

static gboolean
run_package_uses (MdnReportRun *run,
                  GError      **error)
{
  static const char *const kinds[] = { "package.consume", NULL };

  return mdn_report_each_entry (run, kinds, package_use_entry, NULL, error);
}

const MdnReportDef mdn_report_package_uses = {
  "package_uses", N_("Package uses"), package_use_columns, entry_filters, run_package_uses
};

/* points_redeemed 积分兑换, points_adjusted 加减积分 -------------------------------- */

static const MdnReportColumn points_redeemed_columns[] = {
  COL_DATE, COL_TIME, COL_BRANCH, COL_CARD, COL_MEMBER,
  { "points", N_("Points"), MDN_COL_INT, TRUE },
  { "gift", N_("Gift"), MDN_COL_TEXT, FALSE },
  COL_STAFF,
  COL_END
};

static const MdnReportColumn points_adjusted_columns[] = {
  COL_DATE, COL_TIME, COL_BRANCH, COL_CARD, COL_MEMBER,
  { "points", N_("Points"), MDN_COL_INT, TRUE },
  { "reason", N_("Reason"), MDN_COL_TEXT, FALSE },
  COL_STAFF,
  COL_END
};

static gint64
points_of (const MdnEntry *entry)
{
  gint64 sum = 0;

  for (guint i = 0; i < entry->movements->len; i++)
    {
      const MdnMovement *m = &g_array_index (entry->movements, MdnMovement, i);

      if (g_strcmp0 (m->account, "points") == 0)
        sum += m->delta;   /* checked by mdn_entry_check */
    }
  return sum;
}

static gboolean
points_entry (MdnReportRun   *run,
              const MdnEntry *entry,
              gpointer        data,
              GError        **error)
{
  gboolean redeem = g_str_equal (entry->kind, "points.redeem");

  mdn_report_entry_cells (run, entry);
  mdn_report_int (run, "points", redeem ? -points_of (entry) : points_of (entry));
  if (redeem)
    mdn_report_text (run, "gift", mdn_body_string (entry->body, "gift"));
  else
    mdn_report_text (run, "reason", mdn_body_string (entry->body, "reason"));
  return mdn_report_emit (run, error);
}

static gboolean
run_points_redeemed (MdnReportRun *run,
                     GError      **error)
{
  static const char *const kinds[] = { "points.redeem", NULL };

  return mdn_report_each_entry (run, kinds, points_entry, NULL, error);
}

static gboolean
run_points_adjusted (MdnReportRun *run,
                     GError      **error)
{
  static const char *const kinds[] = { "points.adjust", NULL };

  return mdn_report_each_entry (run, kinds, points_entry, NULL, error);
}

const MdnReportDef mdn_report_points_redeemed = {
  "points_redeemed", N_("Points redeemed"), points_redeemed_columns, entry_filters, run_points_redeemed
};

const MdnReportDef mdn_report_points_adjusted = {
  "points_adjusted", N_("Points adjusted"), points_adjusted_columns, entry_filters, run_points_adjusted
};

/* stock_moves 进出库明细 ------------------------------------------------------------ */

static const MdnReportColumn stock_move_columns[] = {
  COL_DATE, COL_TIME, COL_BRANCH,
  { "business", N_("Business"), MDN_COL_TEXT, FALSE },
  { "reference", N_("Reference"), MDN_COL_TEXT, FALSE },
  { "sku", N_("Product code"), MDN_COL_TEXT, FALSE },
  { "name", N_("Product"), MDN_COL_TEXT, FALSE },
  { "category", N_("Category"), MDN_COL_TEXT, FALSE },
  { "qty_in", N_("In"), MDN_COL_INT, TRUE },
  { "qty_out", N_("Out"), MDN_COL_INT, TRUE },
  COL_STAFF,
  COL_END
};

/* Every stock movement, whatever kind wrote it: sales and returns, and
 * the stock kinds (receive, issue, transfer, count) as they come. */
static gboolean
stock_entry (MdnReportRun   *run,
             const MdnEntry *entry,
             gpointer        data,
             GError        **error)
{
  for (guint i = 0; i < entry->movements->len; i++)
    {
      const MdnMovement *m = &g_array_index (entry->movements, MdnMovement, i);
      const char *reference = mdn_body_string (entry->body, "receipt_no");

      if (g_strcmp0 (m->account, "stock") != 0)
        continue;
      mdn_report_entry_cells (run, entry);
      mdn_report_text (run, "business", kind_label (entry->kind));
      mdn_report_text (run, "reference", reference ? reference : mdn_body_string (entry->body, "reference"));
      mdn_report_text (run, "sku", m->item);
      product_cells (run, m->item, TRUE);
      if (m->delta >= 0)
        mdn_report_int (run, "qty_in", m->delta);
      else
        mdn_report_int (run, "qty_out", -m->delta);
      if (!mdn_report_emit (run, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
run_stock_moves (MdnReportRun *run,
                 GError      **error)
{
  return mdn_report_each_entry (run, NULL, stock_entry, NULL, error);
}

const MdnReportDef mdn_report_stock_moves = {
  "stock_moves", N_("Stock movements"), stock_move_columns, line_filters, run_stock_moves
};

/* products 商品明细 --------------------------------------------------------------- */

static const MdnReportColumn product_columns[] = {
  { "sku", N_("Product code"), MDN_COL_TEXT, FALSE },
  { "name", N_("Product"), MDN_COL_TEXT, FALSE },
  { "kind", N_("Kind"), MDN_COL_TEXT, FALSE },
  { "category", N_("Category"), MDN_COL_TEXT, FALSE },
  { "barcode", N_("Barcode"), MDN_COL_TEXT, FALSE },
  { "price_fen", N_("Price"), MDN_COL_FEN, FALSE },
  { "cost_fen", N_("Standard cost"), MDN_COL_FEN, FALSE },
  { "avg_cost_fen", N_("Average cost"), MDN_COL_FEN, FALSE },
  { "stock", N_("Stock"), MDN_COL_INT, TRUE },
  { "low_stock", N_("Low stock at"), MDN_COL_INT, FALSE },
  { "high_stock", N_("High stock at"), MDN_COL_INT, FALSE },
  { "active", N_("On sale"), MDN_COL_TEXT, FALSE },
  COL_END
};

static gboolean
run_products (MdnReportRun *run,
              GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  /* Goods carry stock (summed over the chain when no branch is given);
     services and packages have none. The moving average cost and the
     thresholds are a branch's (empty for the whole chain). In key order:
     no sort, so a million products export in constant memory (temp_store
     is MEMORY). */
  if (sqlite3_prepare_v2 (mdn_db_handle (run->db),
                          "SELECT p.sku, p.name, p.kind, p.category, p.barcode, p.price_fen, p.active, "
                          "(SELECT SUM (s.qty) FROM stock s WHERE s.item = p.sku AND (?1 IS NULL OR s.branch = ?1)), "
                          "p.cost_fen, "
                          "(SELECT c.avg_cost_fen FROM stock_costs c WHERE c.branch = ?1 AND c.item = p.sku), "
                          "(SELECT k.low_stock FROM stock_limits k WHERE k.branch = ?1 AND k.item = p.sku), "
                          "(SELECT k.high_stock FROM stock_limits k WHERE k.branch = ?1 AND k.item = p.sku) "
                          "FROM products p ORDER BY p.sku", -1, &stmt, NULL) != SQLITE_OK)
    return mdn_db_set_database_error (run->db, error);
  sqlite3_bind_text (stmt, 1, run->q->branch, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *kind = (const char *) sqlite3_column_text (stmt, 2);

      mdn_report_text (run, "sku", (const char *) sqlite3_column_text (stmt, 0));
      mdn_report_text (run, "name", (const char *) sqlite3_column_text (stmt, 1));
      mdn_report_text (run, "kind", product_kind_label (kind));
      mdn_report_text (run, "category", (const char *) sqlite3_column_text (stmt, 3));
      mdn_report_text (run, "barcode", (const char *) sqlite3_column_text (stmt, 4));
      mdn_report_int (run, "price_fen", sqlite3_column_int64 (stmt, 5));
      mdn_report_text (run, "active", sqlite3_column_int (stmt, 6) ? _("yes") : _("no"));
      if (sqlite3_column_type (stmt, 8) != SQLITE_NULL)
        mdn_report_int (run, "cost_fen", sqlite3_column_int64 (stmt, 8));
      if (g_strcmp0 (kind, "goods") == 0)
        {
          mdn_report_int (run, "stock", sqlite3_column_int64 (stmt, 7));
          for (int c = 9; c <= 11; c++)
            if (sqlite3_column_type (stmt, c) != SQLITE_NULL)
              mdn_report_int (run, c == 9 ? "avg_cost_fen" : c == 10 ? "low_stock" : "high_stock",
                              sqlite3_column_int64 (stmt, c));
        }
      if (!mdn_report_emit (run, error))
        return FALSE;
    }
  if (rc != SQLITE_DONE)
    return mdn_db_set_database_error (run->db, error);
  return TRUE;
}

const MdnReportDef mdn_report_products = {
  "products", N_("Products"), product_columns, product_filters, run_products
};

/* members 会员信息 ---------------------------------------------------------------- */

static const MdnReportColumn member_columns[] = {
  COL_CARD,
  COL_MEMBER,
  { "phone", N_("Phone"), MDN_COL_TEXT, FALSE },
  { "level", N_("Level"), MDN_COL_TEXT, FALSE },
  { "status", N_("Status"), MDN_COL_TEXT, FALSE },
  { "principal_fen", N_("Principal"), MDN_COL_FEN, TRUE },
  { "bonus_fen", N_("Bonus"), MDN_COL_FEN, TRUE },
  { "balance_fen", N_("Balance"), MDN_COL_FEN, TRUE },
  { "points", N_("Points"), MDN_COL_INT, TRUE },
  { "package_uses", N_("Package uses left"), MDN_COL_INT, TRUE },
  { "issued_at", N_("Issued at"), MDN_COL_TIME, FALSE },
  { "branch", N_("Issued by branch"), MDN_COL_TEXT, FALSE },
  { "last_visit", N_("Last visit"), MDN_COL_DATE, FALSE },
  { "spent_fen", N_("Total spent"), MDN_COL_FEN, TRUE },
  COL_END
};

static gboolean
run_members (MdnReportRun *run,
             GError      **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  /* Every member this database knows. Visits and spending come from the
     receipts (index receipts_member); a return's receipt is negative. */
  if (sqlite3_prepare_v2 (mdn_db_handle (run->db),
                          "SELECT m.card_no, m.name, m.phone, COALESCE (l.name, m.level), m.status, "
                          "m.principal_fen, m.bonus_fen, m.points, "
                          "(SELECT SUM (p.remaining) FROM member_packages p WHERE p.member_id = m.id), "
                          "m.issued_at, m.issued_branch, "
                          "(SELECT MAX (r.business_date) FROM receipts r WHERE r.member_id = m.id), "
                          "(SELECT SUM (r.total_fen) FROM receipts r WHERE r.member_id = m.id) "
                          "FROM members m LEFT JOIN levels l ON l.code = m.level "
                          "WHERE (?1 IS NULL OR m.id = ?1) ORDER BY m.card_no", -1, &stmt, NULL) != SQLITE_OK)
    return mdn_db_set_database_error (run->db, error);
  sqlite3_bind_text (stmt, 1, run->member_id, -1, SQLITE_STATIC);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *status = (const char *) sqlite3_column_text (stmt, 4);
      gint64 principal = sqlite3_column_int64 (stmt, 5), bonus = sqlite3_column_int64 (stmt, 6);

      mdn_report_text (run, "card_no", (const char *) sqlite3_column_text (stmt, 0));
      mdn_report_text (run, "member", (const char *) sqlite3_column_text (stmt, 1));
      mdn_report_text (run, "phone", (const char *) sqlite3_column_text (stmt, 2));
      mdn_report_text (run, "level", (const char *) sqlite3_column_text (stmt, 3));
      mdn_report_text (run, "status", g_strcmp0 (status, "active") == 0 ? _("In use")
                                      : g_strcmp0 (status, "lost") == 0 ? _("Reported lost") : _("Replaced"));
      mdn_report_int (run, "principal_fen", principal);
      mdn_report_int (run, "bonus_fen", bonus);
      mdn_report_int (run, "balance_fen", principal + bonus);   /* each within MDN_MONEY_MAX */
      mdn_report_int (run, "points", sqlite3_column_int64 (stmt, 7));
      mdn_report_int (run, "package_uses", sqlite3_column_int64 (stmt, 8));
      mdn_report_text (run, "issued_at", (const char *) sqlite3_column_text (stmt, 9));
      mdn_report_text (run, "branch", (const char *) sqlite3_column_text (stmt, 10));
      mdn_report_text (run, "last_visit", (const char *) sqlite3_column_text (stmt, 11));
      mdn_report_int (run, "spent_fen", sqlite3_column_int64 (stmt, 12));
      if (!mdn_report_emit (run, error))
        return FALSE;
    }
  if (rc != SQLITE_DONE)
    return mdn_db_set_database_error (run->db, error);
  return TRUE;
}

const MdnReportDef mdn_report_members = {
  "members", N_("Members"), member_columns, member_filters, run_members
};

/* commission 业务提成 -------------------------------------------------------------- */

static const MdnReportColumn commission_columns[] = {
  COL_DATE, COL_TIME, COL_BRANCH, COL_STAFF,
  { "business", N_("Business"), MDN_COL_TEXT, FALSE },
  { "receipt_no", N_("Receipt"), MDN_COL_TEXT, FALSE },
  COL_CARD, COL_MEMBER,
  { "sku", N_("Product code"), MDN_COL_TEXT, FALSE },
  { "rule", N_("Rule"), MDN_COL_TEXT, FALSE },
  { "base_fen", N_("Base"), MDN_COL_FEN, TRUE },
  { "qty", N_("Quantity"), MDN_COL_INT, TRUE },
  { "percent_bp", N_("Rate"), MDN_COL_PERCENT, FALSE },
  { "fixed_fen", N_("Per unit"), MDN_COL_FEN, FALSE },
  { "commission_fen", N_("Commission"), MDN_COL_FEN, TRUE },
  COL_END
};

/* The body's "commission" list: what the rule in force gave each staff
 * member when the entry was written (a return's are negative). */
static gboolean
commission_entry (MdnReportRun   *run,
                  const MdnEntry *entry,
                  gpointer        data,
                  GError        **error)
{
  JsonArray *list = mdn_body_array (entry->body, "commission");

  for (guint i = 0; list && i < json_array_get_length (list); i++)
    {
      JsonObject *c = element_object (list, i);

      if (c == NULL)
        continue;
      mdn_report_entry_cells (run, entry);
      mdn_report_text (run, "staff", mdn_body_string (c, "staff"));
      mdn_report_text (run, "business", kind_label (entry->kind));
      mdn_report_text (run, "receipt_no", mdn_body_string (entry->body, "receipt_no"));
      mdn_report_text (run, "sku", mdn_body_string (c, "sku"));
      mdn_report_text (run, "rule", mdn_body_string (c, "rule"));
      mdn_report_int (run, "base_fen", mdn_body_int (c, "base_fen", 0));
      mdn_report_int (run, "qty", mdn_body_int (c, "qty", 0));
      mdn_report_int (run, "percent_bp", mdn_body_int (c, "percent_bp", 0));
      mdn_report_int (run, "fixed_fen", mdn_body_int (c, "fixed_fen", 0));
      mdn_report_int (run, "commission_fen", mdn_body_int (c, "amount_fen", 0));
      if (!mdn_report_emit (run, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
run_commission (MdnReportRun *run,
                GError      **error)
{
  return mdn_report_each_entry (run, NULL, commission_entry, NULL, error);
}

const MdnReportDef mdn_report_commission = {
  "commission", N_("Staff commission"), commission_columns, line_filters, run_commission
};

/* timed 计时消费 ------------------------------------------------------------------- */

static const MdnReportColumn timed_columns[] = {
  COL_DATE, COL_BRANCH,
  { "receipt_no", N_("Receipt"), MDN_COL_TEXT, FALSE },
  { "resource", N_("Table or room"), MDN_COL_TEXT, FALSE },
  { "plan", N_("Rate plan"), MDN_COL_TEXT, FALSE },
  COL_CARD, COL_MEMBER,
  { "started_at", N_("Started"), MDN_COL_TIME, FALSE },
  { "time", N_("Stopped"), MDN_COL_TIME, FALSE },
  { "minutes", N_("Minutes"), MDN_COL_INT, TRUE },
  { "list_fen", N_("Charge"), MDN_COL_FEN, TRUE },
  { "discount_fen", N_("Discount"), MDN_COL_FEN, TRUE },
  { "paid_fen", N_("Paid"), MDN_COL_FEN, TRUE },
  COL_STAFF,
  COL_END
};

static gboolean
timed_entry (MdnReportRun   *run,
             const MdnEntry *entry,
             gpointer        data,
             GError        **error)
{
  gint64 list = mdn_body_int (entry->body, "list_total_fen", 0);
  gint64 paid = mdn_body_int (entry->body, "total_fen", 0);

  mdn_report_entry_cells (run, entry);
  mdn_report_text (run, "staff", line_staff (entry, entry->body));
  mdn_report_text (run, "receipt_no", mdn_body_string (entry->body, "receipt_no"));
  mdn_report_text (run, "resource", mdn_body_string (entry->body, "resource"));
  mdn_report_text (run, "plan", mdn_body_string (entry->body, "plan"));
  mdn_report_text (run, "started_at", mdn_body_string (entry->body, "started_at"));
  mdn_report_int (run, "minutes", mdn_body_int (entry->body, "minutes", 0));
  mdn_report_int (run, "list_fen", list);
  mdn_report_int (run, "discount_fen", list - paid);
  mdn_report_int (run, "paid_fen", paid);
  return mdn_report_emit (run, error);
}

static gboolean
run_timed (MdnReportRun *run,
           GError      **error)
{
  static const char *const kinds[] = { "timed.stop", NULL };

  return mdn_report_each_entry (run, kinds, timed_entry, NULL, error);
}

const MdnReportDef mdn_report_timed = {
  "timed", N_("Timed sessions"), timed_columns, entry_filters, run_timed
};

/* summary 汇总明细 ----------------------------------------------------------------- */

static const MdnReportColumn summary_columns[] = {
  COL_DATE, COL_BRANCH,
  { "entries", N_("Transactions"), MDN_COL_INT, TRUE },
  { "sales_fen", N_("Sales"), MDN_COL_FEN, TRUE },
  { "discount_fen", N_("Discounts"), MDN_COL_FEN, TRUE },
  { "refund_fen", N_("Refunds"), MDN_COL_FEN, TRUE },
  { "deposit_principal_fen", N_("Principal deposited"), MDN_COL_FEN, TRUE },
  { "deposit_bonus_fen", N_("Deposit bonus"), MDN_COL_FEN, TRUE },
  { "withdraw_fen", N_("Withdrawals"), MDN_COL_FEN, TRUE },
  { "members_issued", N_("New members"), MDN_COL_INT, TRUE },
  { "tender_cash_fen", N_("Cash"), MDN_COL_FEN, TRUE },
  { "tender_bank_fen", N_("Bank card"), MDN_COL_FEN, TRUE },
  { "tender_wechat_fen", N_("WeChat Pay"), MDN_COL_FEN, TRUE },
  { "tender_alipay_fen", N_("Alipay"), MDN_COL_FEN, TRUE },
  { "tender_balance_fen", N_("Member balance"), MDN_COL_FEN, TRUE },
  { "net_fen", N_("Money taken"), MDN_COL_FEN, TRUE },
  { "shifts_closed", N_("Shifts handed over"), MDN_COL_INT, TRUE },
  { "over_short_fen", N_("Over/short"), MDN_COL_FEN, TRUE },
  COL_END
};

static gboolean
summary_day (MdnReportRun     *run,
             const char       *date,
             const char       *branch,
             const MdnFigures *f,
             gpointer          data,
             GError          **error)
{
  mdn_report_text (run, "date", date);
  mdn_report_text (run, "branch", branch);
  mdn_report_int (run, "entries", f->counted_entries);
  mdn_report_int (run, "sales_fen", f->sales_fen);
  mdn_report_int (run, "discount_fen", f->discount_fen);
  mdn_report_int (run, "refund_fen", f->refund_fen);
  mdn_report_int (run, "deposit_principal_fen", f->deposit_principal_fen);
  mdn_report_int (run, "deposit_bonus_fen", f->deposit_bonus_fen);
  mdn_report_int (run, "withdraw_fen", f->withdraw_fen);
  mdn_report_int (run, "members_issued", f->members_issued);
  mdn_report_int (run, "tender_cash_fen", f->tenders[MDN_TENDER_CASH].amount_fen);
  mdn_report_int (run, "tender_bank_fen", f->tenders[MDN_TENDER_BANK].amount_fen);
  mdn_report_int (run, "tender_wechat_fen", f->tenders[MDN_TENDER_WECHAT].amount_fen);
  mdn_report_int (run, "tender_alipay_fen", f->tenders[MDN_TENDER_ALIPAY].amount_fen);
  mdn_report_int (run, "tender_balance_fen", f->tenders[MDN_TENDER_BALANCE].amount_fen);
  mdn_report_int (run, "net_fen", f->net_fen);
  /* 长短款: from the rollup, as every figure here. */
  mdn_report_int (run, "shifts_closed", f->shifts_closed);
  mdn_report_int (run, "over_short_fen", f->over_short_fen);
  return mdn_report_emit (run, error);
}

static gboolean
run_summary (MdnReportRun *run,
             GError      **error)
{
  /* Only the figures it shows: a third of the rollup's columns. */
  static const char *const figures[] = {
    "counted_entries", "sales_fen", "discount_fen", "refund_fen", "deposit_principal_fen",
    "deposit_bonus_fen", "withdraw_fen", "members_issued", "tender_cash_fen", "tender_bank_fen",
    "tender_wechat_fen", "tender_alipay_fen", "tender_balance_fen", "net_fen", "shifts_closed", "over_short_fen",
    NULL
  };

  return mdn_report_each_day_of (run, run->q->from, run->q->to, figures, summary_day, NULL, error);
}

const MdnReportDef mdn_report_summary = {
  "summary", N_("Daily summary"), summary_columns, period_filters, run_summary
};

/* liability 储值余额 and settlement 跨店结算 ---------------------------------------- */

typedef struct
{
  GHashTable *opening;   /* branch → MdnFigures before the period */
  GHashTable *period;    /* branch → MdnFigures of the period */
  GHashTable *target;
} Branches;

static gboolean
branch_day (MdnReportRun     *run,
            const char       *date,
            const char       *branch,
            const MdnFigures *f,
            gpointer          data,
            GError          **error)
{
  Branches *b = data;
  MdnFigures *sum = g_hash_table_lookup (b->target, branch);

  if (sum == NULL)
    {
      sum = g_new0 (MdnFigures, 1);
      g_hash_table_insert (b->target, g_strdup (branch), sum);
    }
  mdn_figures_add (sum, f);
  if (sum->overflow)
    return mdn_report_too_large (error);
  return TRUE;
}

/* Every branch's figures before the period (if @opening) and in it,
 * and the sorted list of branches that have either. */
static gboolean
collect_branches (MdnReportRun *run,
                  Branches     *b,
                  gboolean      opening,
                  GList       **out,
                  GError      **error)
{
  GList *keys;

  b->opening = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  b->period = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  if (opening)
    {
      g_autoptr(GDate) d = g_date_new ();
      char before[16];

      g_date_set_parse (d, run->q->from);
      g_date_subtract_days (d, 1);
      g_date_strftime (before, sizeof before, "%Y-%m-%d", d);
      b->target = b->opening;
      if (!mdn_report_each_day (run, NULL, before, branch_day, b, error))
        return FALSE;
    }
  b->target = b->period;
  if (!mdn_report_each_day (run, run->q->from, run->q->to, branch_day, b, error))
    return FALSE;
  keys = g_hash_table_get_keys (b->period);
  for (GList *l = g_hash_table_get_keys (b->opening); l; l = g_list_delete_link (l, l))
    if (!g_hash_table_contains (b->period, l->data))
      keys = g_list_prepend (keys, l->data);
  *out = g_list_sort (keys, (GCompareFunc) strcmp);
  return TRUE;
}

static void
branches_clear (Branches *b)
{
  g_clear_pointer (&b->opening, g_hash_table_unref);
  g_clear_pointer (&b->period, g_hash_table_unref);
}

static const MdnReportColumn liability_columns[] = {
  COL_BRANCH,
  { "opening_principal_fen", N_("Opening principal"), MDN_COL_FEN, TRUE },
  { "deposit_principal_fen", N_("Deposited"), MDN_COL_FEN, TRUE },
  { "principal_spent_fen", N_("Spent"), MDN_COL_FEN, TRUE },
  { "withdraw_fen", N_("Withdrawn"), MDN_COL_FEN, TRUE },
  { "principal_refunded_fen", N_("Refunded to cards"), MDN_COL_FEN, TRUE },
  { "principal_corrections_fen", N_("Corrections"), MDN_COL_FEN, TRUE },
  { "closing_principal_fen", N_("Closing principal"), MDN_COL_FEN, TRUE },
  { "opening_bonus_fen", N_("Opening bonus"), MDN_COL_FEN, TRUE },
  { "deposit_bonus_fen", N_("Bonus given"), MDN_COL_FEN, TRUE },
  { "bonus_spent_fen", N_("Bonus spent"), MDN_COL_FEN, TRUE },
  { "bonus_refunded_fen", N_("Bonus refunded"), MDN_COL_FEN, TRUE },
  { "bonus_corrections_fen", N_("Bonus corrections"), MDN_COL_FEN, TRUE },
  { "closing_bonus_fen", N_("Closing bonus"), MDN_COL_FEN, TRUE },
  COL_END
};

/* closing = opening + the period's change of stored value made at the
 * branch (principal_delta_fen); corrections are what of that change is
 * not a deposit, spend, withdrawal or refund (write-offs at head office). */
static gboolean
run_liability (MdnReportRun *run,
               GError      **error)
{
  Branches b = { 0 };
  GList *keys = NULL;
  gboolean ok = collect_branches (run, &b, TRUE, &keys, error);

  for (GList *l = keys; ok && l; l = l->next)
    {
      static const MdnFigures zero = { 0 };
      const MdnFigures *o = g_hash_table_lookup (b.opening, l->data);
      const MdnFigures *p = g_hash_table_lookup (b.period, l->data);
      gint64 pc, bc;

      o = o ? o : &zero;
      p = p ? p : &zero;
      /* Every figure is within ±MDN_MONEY_MAX (2^53): these few sums stay in gint64. */
      pc = p->principal_delta_fen - p->deposit_principal_fen + p->principal_spent_fen + p->withdraw_fen -
           p->principal_refunded_fen;
      bc = p->bonus_delta_fen - p->deposit_bonus_fen + p->bonus_spent_fen - p->bonus_refunded_fen;
      mdn_report_text (run, "branch", l->data);
      mdn_report_int (run, "opening_principal_fen", o->principal_delta_fen);
      mdn_report_int (run, "deposit_principal_fen", p->deposit_principal_fen);
      mdn_report_int (run, "principal_spent_fen", p->principal_spent_fen);
      mdn_report_int (run, "withdraw_fen", p->withdraw_fen);
      mdn_report_int (run, "principal_refunded_fen", p->principal_refunded_fen);
      mdn_report_int (run, "principal_corrections_fen", pc);
      mdn_report_int (run, "closing_principal_fen", o->principal_delta_fen + p->principal_delta_fen);
      mdn_report_int (run, "opening_bonus_fen", o->bonus_delta_fen);
      mdn_report_int (run, "deposit_bonus_fen", p->deposit_bonus_fen);
      mdn_report_int (run, "bonus_spent_fen", p->bonus_spent_fen);
      mdn_report_int (run, "bonus_refunded_fen", p->bonus_refunded_fen);
      mdn_report_int (run, "bonus_corrections_fen", bc);
      mdn_report_int (run, "closing_bonus_fen", o->bonus_delta_fen + p->bonus_delta_fen);
      ok = mdn_report_emit (run, error);
    }
  g_list_free (keys);
  branches_clear (&b);
  return ok;
}

const MdnReportDef mdn_report_liability = {
  "liability", N_("Stored value liability"), liability_columns, period_filters, run_liability
};

static const MdnReportColumn settlement_columns[] = {
  COL_BRANCH,
  { "deposit_principal_fen", N_("Principal deposited"), MDN_COL_FEN, TRUE },
  { "withdraw_fen", N_("Principal withdrawn"), MDN_COL_FEN, TRUE },
  { "principal_spent_fen", N_("Principal spent"), MDN_COL_FEN, TRUE },
  { "principal_refunded_fen", N_("Principal refunded"), MDN_COL_FEN, TRUE },
  { "net_fen", N_("Net"), MDN_COL_FEN, TRUE },
  { "direction", N_("Settlement"), MDN_COL_TEXT, FALSE },
  { "deposit_bonus_fen", N_("Bonus given"), MDN_COL_FEN, TRUE },
  { "bonus_spent_fen", N_("Bonus spent"), MDN_COL_FEN, TRUE },
  { "bonus_refunded_fen", N_("Bonus refunded"), MDN_COL_FEN, TRUE },
  COL_END
};

/* Head office is the hub: net = deposited − withdrawn − spent + refunded
 * at the branch. Positive: the branch took in members' money that others
 * served and owes it to head office; negative: head office owes it. */
static gboolean
run_settlement (MdnReportRun *run,
                GError      **error)
{
  Branches b = { 0 };
  GList *keys = NULL;
  gboolean ok = collect_branches (run, &b, FALSE, &keys, error);

  for (GList *l = keys; ok && l; l = l->next)
    {
      const MdnFigures *p = g_hash_table_lookup (b.period, l->data);
      gint64 net = p->deposit_principal_fen - p->withdraw_fen - p->principal_spent_fen + p->principal_refunded_fen;
      g_autofree char *amount = mdn_money_format (net < 0 ? -net : net);
      g_autofree char *direction = net > 0 ? g_strdup_printf (_("owes head office %s"), amount)
                                 : net < 0 ? g_strdup_printf (_("head office owes %s"), amount)
                                 : g_strdup (_("settled"));

      mdn_report_text (run, "branch", l->data);
      mdn_report_int (run, "deposit_principal_fen", p->deposit_principal_fen);
      mdn_report_int (run, "withdraw_fen", p->withdraw_fen);
      mdn_report_int (run, "principal_spent_fen", p->principal_spent_fen);
      mdn_report_int (run, "principal_refunded_fen", p->principal_refunded_fen);
      mdn_report_int (run, "net_fen", net);
      mdn_report_text (run, "direction", direction);
      mdn_report_int (run, "deposit_bonus_fen", p->deposit_bonus_fen);
      mdn_report_int (run, "bonus_spent_fen", p->bonus_spent_fen);
      mdn_report_int (run, "bonus_refunded_fen", p->bonus_refunded_fen);
      ok = mdn_report_emit (run, error);
    }
  g_list_free (keys);
  branches_clear (&b);
  return ok;
}

const MdnReportDef mdn_report_settlement = {
  "settlement", N_("Settlement between branches"), settlement_columns, period_filters, run_settlement
};
