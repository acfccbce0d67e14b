/* pos-reports.c: the 报表 page (pos-reports.h). Showing and exporting run
 * in a worker thread with its own connection to the branch database and
 * its own context for the logged-in staff member (as pos_session_run_async
 * does), so a year of rows never blocks the counter; the permission checks
 * are common/'s (report.run, mdn_report_branch_export, mdn_sync_report_*). */
#define G_LOG_DOMAIN "pos-reports"

#include <glib/gi18n.h>
#include <inttypes.h>

#include "mdn-clock.h"
#include "mdn-json.h"
#include "mdn-ops.h"
#include "mdn-report.h"
#include "mdn-reports.h"
#include "mdn-sync-reports.h"
#include "pos-forms.h"
#include "pos-reports.h"

/* Rows shown on screen; an export has every row. */
#define SHOWN_ROWS 500

struct _PosReports
{
  AdwBin        parent_instance;

  PosSession   *session;
  GCancellable *cancellable;     /* of the running job, NULL when idle */
  guint         n_rows;
  gboolean      filled;

  GtkWidget    *report_dropdown;
  GtkWidget    *period_dropdown;
  GtkWidget    *from_entry;
  GtkWidget    *to_entry;
  GtkWidget    *staff_entry;
  GtkWidget    *member_entry;
  GtkWidget    *sku_entry;
  GtkWidget    *category_entry;
  GtkWidget    *branch_entry;    /* the HQ terminal's: one branch or the chain */
  GtkWidget    *format_dropdown;
  GtkWidget    *status_label;
  GtkWidget    *progress_box;
  GtkWidget    *progress_bar;
  GtkWidget    *scroller;
  GtkWidget    *grid;
};

G_DEFINE_FINAL_TYPE (PosReports, pos_reports, ADW_TYPE_BIN)

enum { LOADED, EXPORTED, N_SIGNALS };
static guint signals[N_SIGNALS];

/* The job --------------------------------------------------------------------------- */

typedef struct
{
  char          *db_path;
  char          *staff;
  gboolean       hq;
  char          *name;
  char          *from, *to, *served_by, *member, *sku, *category, *branch;
  gboolean       export;
  MdnReportFormat format;
  char          *out_path;
  PosReports    *self;          /* a ref, for progress */
} Job;

static void
job_free (Job *j)
{
  g_free (j->db_path);
  g_free (j->staff);
  g_free (j->name);
  g_free (j->from);
  g_free (j->to);
  g_free (j->served_by);
  g_free (j->member);
  g_free (j->sku);
  g_free (j->category);
  g_free (j->branch);
  g_free (j->out_path);
  g_clear_object (&j->self);
  g_free (j);
}

typedef struct
{
  PosReports *self;
  gint64      rows;
  double      fraction;
} Progress;

static gboolean
progress_on_main (gpointer data)
{
  Progress *p = data;

  if (p->self->cancellable)
    {
      g_autofree char *text = g_strdup_printf (_("%" PRId64 " rows"), p->rows);

      if (p->fraction < 0)
        gtk_progress_bar_pulse (GTK_PROGRESS_BAR (p->self->progress_bar));
      else
        gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (p->self->progress_bar), p->fraction);
      gtk_progress_bar_set_text (GTK_PROGRESS_BAR (p->self->progress_bar), text);
    }
  g_object_unref (p->self);
  g_free (p);
  return G_SOURCE_REMOVE;
}

/* In the worker: hands the count to the main loop. */
static void
progress_from_worker (gint64   rows,
                      double   fraction,
                      gpointer data)
{
  Job *j = data;
  Progress *p = g_new0 (Progress, 1);

  p->self = g_object_ref (j->self);
  p->rows = rows;
  p->fraction = fraction;
  g_main_context_invoke (NULL, progress_on_main, p);
}

static void
run_job (GTask        *task,
         gpointer      source,
         gpointer      task_data,
         GCancellable *cancellable)
{
  Job *j = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MdnStore) store = mdn_store_open (j->db_path, &error);
  g_autoptr(MdnOpCtx) ctx = NULL;
  MdnReportQuery q = { j->from, j->to, j->hq ? j->branch : NULL, j->served_by, j->member, j->sku, j->category };

  if (store)
    ctx = mdn_op_ctx_new_trusted (store, j->staff, &error);
  if (ctx == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (j->export)
    {
      MdnReportExportOptions o = { NULL, NULL, progress_from_worker, j, cancellable };
      gboolean ok = j->hq ? mdn_sync_report_download (ctx, j->name, &q, j->format, j->out_path,
                                                      progress_from_worker, j, cancellable, &error)
                          : mdn_report_branch_export (ctx, j->name, &q, j->format, j->out_path, &o, NULL, &error);

      if (!ok)
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_boolean (task, TRUE);
      return;
    }
  if (j->hq)
    {
      JsonObject *page = mdn_sync_report_fetch (ctx, j->name, &q, cancellable, &error);

      if (page == NULL)
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_pointer (task, page, (GDestroyNotify) json_object_unref);
    }
  else
    {
      g_autoptr(JsonObject) args = json_object_new ();
      JsonObject *page;

      json_object_set_string_member (args, "name", j->name);
      json_object_set_string_member (args, "from", j->from);
      json_object_set_string_member (args, "to", j->to);
      mdn_json_set_opt_string (args, "staff", j->served_by);
      mdn_json_set_opt_string (args, "member", j->member);
      mdn_json_set_opt_string (args, "sku", j->sku);
      mdn_json_set_opt_string (args, "category", j->category);
      json_object_set_int_member (args, "limit", SHOWN_ROWS);
      page = mdn_ops_run (ctx, "report.run", args, &error);
      if (page == NULL)
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_pointer (task, page, (GDestroyNotify) json_object_unref);
    }
}

/* The form ------------------------------------------------------------------------- */

static const MdnReportDef *
picked (PosReports *self)
{
  guint i = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->report_dropdown));
  const MdnReportDef *const *all = mdn_reports ();

  for (guint k = 0; all[k]; k++)
    if (k == i)
      return all[k];
  return all[0];
}

static char *
entry_text (GtkWidget *entry)
{
  const char *t = gtk_editable_get_text (GTK_EDITABLE (entry));
  g_autofree char *s = g_strstrip (g_strdup (t));

  return *s ? g_steal_pointer (&s) : NULL;
}

/* Today, this week (from Monday), this month, or the dates typed. */
static void
period_changed (PosReports *self)
{
  guint p = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->period_dropdown));
  MdnStore *store = self->session ? pos_session_get_store (self->session) : NULL;
  g_autoptr(GDateTime) now = mdn_clock_now ();
  g_autoptr(GDateTime) local = store && store->tz ? g_date_time_to_timezone (now, store->tz) : g_date_time_ref (now);
  g_autoptr(GDateTime) start = NULL;
  g_autofree char *from = NULL, *to = NULL;
  gboolean custom = p == 3;

  gtk_widget_set_sensitive (self->from_entry, custom);
  gtk_widget_set_sensitive (self->to_entry, custom);
  if (custom)
    return;
  if (p == 1)
    start = g_date_time_add_days (local, 1 - g_date_time_get_day_of_week (local));
  else if (p == 2)
    start = g_date_time_add_days (local, 1 - g_date_time_get_day_of_month (local));
  else
    start = g_date_time_ref (local);
  from = g_date_time_format (start, "%Y-%m-%d");
  to = g_date_time_format (local, "%Y-%m-%d");
  gtk_editable_set_text (GTK_EDITABLE (self->from_entry), from);
  gtk_editable_set_text (GTK_EDITABLE (self->to_entry), to);
}

static Job *
job_new (PosReports *self)
{
  Job *j = g_new0 (Job, 1);

  j->db_path = g_strdup (pos_session_get_path (self->session));
  j->staff = g_strdup (pos_session_get_staff (self->session));
  j->hq = pos_session_get_store (self->session)->hq;
  j->name = g_strdup (picked (self)->name);
  j->from = entry_text (self->from_entry);
  j->to = entry_text (self->to_entry);
  j->served_by = entry_text (self->staff_entry);
  j->member = entry_text (self->member_entry);
  j->sku = entry_text (self->sku_entry);
  j->category = entry_text (self->category_entry);
  j->branch = entry_text (self->branch_entry);
  j->self = g_object_ref (self);
  if (j->to == NULL)
    j->to = g_strdup (j->from);
  return j;
}

static void
set_busy (PosReports *self,
          gboolean    busy,
          const char *what)
{
  gtk_widget_set_visible (self->progress_box, busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "reports.show", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "reports.export", !busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "reports.cancel", busy);
  if (busy)
    {
      gtk_progress_bar_set_fraction (GTK_PROGRESS_BAR (self->progress_bar), 0);
      gtk_progress_bar_set_text (GTK_PROGRESS_BAR (self->progress_bar), what);
    }
  else
    g_clear_object (&self->cancellable);
}

/* The rows -------------------------------------------------------------------------- */

static char *
cell_text (const char *type,
           JsonNode   *node)
{
  if (node == NULL || JSON_NODE_HOLDS_NULL (node))
    return g_strdup ("");
  if (g_strcmp0 (type, "fen") == 0)
    return pos_money (json_node_get_int (node));
  if (g_strcmp0 (type, "percent") == 0)
    {
      gint64 bp = json_node_get_int (node);

      return g_strdup_printf ("%s%" PRId64 ".%02" PRId64 "%%", bp < 0 ? "-" : "", ABS (bp) / 100, ABS (bp) % 100);
    }
  if (g_strcmp0 (type, "integer") == 0)
    return g_strdup_printf ("%" PRId64, json_node_get_int (node));
  if (g_strcmp0 (type, "time") == 0)
    {
      /* "2026-11-22T10:00:00.000+08:00" → "2026-11-22 10:00" */
      const char *s = json_node_get_string (node);
      char *t = g_strndup (s, 16);

      if (strlen (t) > 10)
        t[10] = ' ';
      return t;
    }
  return g_strdup (json_node_get_string (node));
}

static void
add_cell (GtkGrid    *grid,
          int         col,
          int         row,
          const char *text,
          gboolean    number,
          const char *css)
{
  GtkWidget *l = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (l), number ? 1 : 0);
  /* Full text, no ellipsis: the grid scrolls sideways when it is wide. */
  if (number)
    gtk_widget_add_css_class (l, "numeric");
  if (css)
    gtk_widget_add_css_class (l, css);
  gtk_grid_attach (grid, l, col, row, 1, 1);
}

static void
fill (PosReports *self,
      JsonObject *page)
{
  GtkGrid *grid = GTK_GRID (self->grid);
  JsonArray *columns = json_object_get_array_member (page, "columns");
  JsonArray *rows = json_object_get_array_member (page, "rows");
  JsonObject *totals = json_object_get_object_member (page, "totals");
  GtkWidget *child;
  guint n_cols = json_array_get_length (columns), n = json_array_get_length (rows), shown = MIN (n, SHOWN_ROWS);
  gint64 count = json_object_get_int_member_with_default (page, "count", n);
  g_autofree char *status = NULL;

  while ((child = gtk_widget_get_first_child (self->grid)))
    gtk_grid_remove (grid, child);
  for (guint c = 0; c < n_cols; c++)
    {
      JsonObject *col = json_array_get_object_element (columns, c);
      const char *type = json_object_get_string_member (col, "type");

      add_cell (grid, (int) c, 0, json_object_get_string_member (col, "title"),
                g_strcmp0 (type, "text") != 0 && g_strcmp0 (type, "date") != 0 && g_strcmp0 (type, "time") != 0,
                "heading");
      for (guint r = 0; r < shown; r++)
        {
          JsonObject *o = json_array_get_object_element (rows, r);
          g_autofree char *text = cell_text (type, json_object_get_member (o, json_object_get_string_member (col, "key")));

          add_cell (grid, (int) c, (int) r + 1, text,
                    g_strcmp0 (type, "fen") == 0 || g_strcmp0 (type, "integer") == 0 || g_strcmp0 (type, "percent") == 0,
                    NULL);
        }
      if (totals && json_object_has_member (totals, json_object_get_string_member (col, "key")))
        {
          g_autofree char *text = cell_text (type, json_object_get_member (totals, json_object_get_string_member (col, "key")));

          add_cell (grid, (int) c, (int) shown + 1, text, TRUE, "heading");
        }
      else if (c == 0)
        add_cell (grid, 0, (int) shown + 1, _("Total"), FALSE, "heading");
    }
  self->n_rows = shown;
  if (count > shown)
    status = g_strdup_printf (_("%s: %" PRId64 " rows, the first %u shown; Export writes every row"),
                              json_object_get_string_member (page, "title"), count, shown);
  else
    status = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%s: %" PRId64 " row", "%s: %" PRId64 " rows", count),
                              json_object_get_string_member (page, "title"), count);
  gtk_label_set_text (GTK_LABEL (self->status_label), status);
}

static void
loaded (GObject      *source,
        GAsyncResult *result,
        gpointer      data)
{
  PosReports *self = POS_REPORTS (source);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) page = g_task_propagate_pointer (G_TASK (result), &error);

  set_busy (self, FALSE, NULL);
  if (page == NULL)
    {
      g_autofree char *hint = pos_error_dup_hint (error);

      gtk_label_set_text (GTK_LABEL (self->status_label), hint);
    }
  else
    fill (self, page);
  g_signal_emit (self, signals[LOADED], 0);
}

static void
start_show (PosReports *self)
{
  Job *j;
  g_autoptr(GTask) task = NULL;

  if (self->session == NULL || !pos_session_is_logged_in (self->session) || self->cancellable)
    return;
  j = job_new (self);
  self->cancellable = g_cancellable_new ();
  set_busy (self, TRUE, _("Reading…"));
  task = g_task_new (self, self->cancellable, loaded, NULL);
  g_task_set_task_data (task, j, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, run_job);
}

static void
show_action (GtkWidget *widget, const char *name, GVariant *param)
{
  start_show (POS_REPORTS (widget));
}

static void
exported (GObject      *source,
          GAsyncResult *result,
          gpointer      data)
{
  PosReports *self = POS_REPORTS (source);
  g_autoptr(GError) error = NULL;
  g_autofree char *path = data;

  set_busy (self, FALSE, NULL);
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *hint = pos_error_dup_hint (error);

      gtk_label_set_text (GTK_LABEL (self->status_label), hint);
      g_signal_emit (self, signals[EXPORTED], 0, hint);
      return;
    }
  {
    g_autofree char *base = g_path_get_basename (path);
    g_autofree char *msg = g_strdup_printf (_("Exported to %s"), base);

    gtk_label_set_text (GTK_LABEL (self->status_label), msg);
    pos_toast (GTK_WIDGET (self), msg);
  }
  g_signal_emit (self, signals[EXPORTED], 0, NULL);
}

void
pos_reports_export_to (PosReports *self,
                       const char *path)
{
  Job *j;
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (POS_IS_REPORTS (self) && path != NULL);

  if (self->session == NULL || !pos_session_is_logged_in (self->session) || self->cancellable)
    return;
  j = job_new (self);
  j->export = TRUE;
  j->out_path = g_strdup (path);
  j->format = g_str_has_suffix (path, ".csv") ? MDN_REPORT_CSV : MDN_REPORT_XLSX;
  self->cancellable = g_cancellable_new ();
  set_busy (self, TRUE, _("Exporting…"));
  task = g_task_new (self, self->cancellable, exported, g_strdup (path));
  g_task_set_task_data (task, j, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, run_job);
}

static void
chooser_done (GtkNativeDialog *dialog,
              int              response,
              gpointer         data)
{
  PosReports *self = POS_REPORTS (data);

  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr(GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      g_autofree char *path = file ? g_file_get_path (file) : NULL;

      if (path)
        pos_reports_export_to (self, path);
    }
  gtk_native_dialog_destroy (dialog);
  g_object_unref (dialog);
  g_object_unref (self);
}

static void
export_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosReports *self = POS_REPORTS (widget);
  GtkFileChooserNative *chooser;
  gboolean csv = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->format_dropdown)) == 1;
  g_autofree char *from = entry_text (self->from_entry), *to = entry_text (self->to_entry);
  g_autofree char *suggested = g_strdup_printf ("%s-%s-%s.%s", _(picked (self)->title), from ? from : "",
                                                to ? to : "", csv ? "csv" : "xlsx");

  chooser = gtk_file_chooser_native_new (_("Export Report"), GTK_WINDOW (gtk_widget_get_root (widget)),
                                         GTK_FILE_CHOOSER_ACTION_SAVE, _("_Export"), _("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (chooser), suggested);
  gtk_native_dialog_set_modal (GTK_NATIVE_DIALOG (chooser), TRUE);
  g_signal_connect (chooser, "response", G_CALLBACK (chooser_done), g_object_ref (self));
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (chooser));
}

static void
cancel_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosReports *self = POS_REPORTS (widget);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
}

/* The page -------------------------------------------------------------------------- */

void
pos_reports_set_session (PosReports *self,
                         PosSession *session)
{
  g_set_object (&self->session, session);
}

void
pos_reports_shown (PosReports *self)
{
  if (!self->filled)
    {
      g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
      const MdnReportDef *const *all = mdn_reports ();

      for (guint i = 0; all[i]; i++)
        gtk_string_list_append (names, _(all[i]->title));
      gtk_drop_down_set_model (GTK_DROP_DOWN (self->report_dropdown), G_LIST_MODEL (names));
      self->filled = TRUE;
    }
  period_changed (self);
  /* The HQ terminal reports on the chain, or on the branch typed. */
  gtk_widget_set_visible (self->branch_entry, pos_session_get_store (self->session)->hq);
  if (pos_session_get_store (self->session)->hq)
    gtk_label_set_text (GTK_LABEL (self->status_label), _("Head office: the chain's reports, from the server"));
}

void
pos_reports_set_filter (PosReports *self,
                        const char *key,
                        const char *text)
{
  GtkWidget *entry;

  g_return_if_fail (POS_IS_REPORTS (self) && key != NULL);

  entry = g_str_equal (key, "staff") ? self->staff_entry :
          g_str_equal (key, "member") ? self->member_entry :
          g_str_equal (key, "sku") ? self->sku_entry :
          g_str_equal (key, "category") ? self->category_entry :
          g_str_equal (key, "branch") ? self->branch_entry : NULL;
  g_return_if_fail (entry != NULL);
  gtk_editable_set_text (GTK_EDITABLE (entry), text ? text : "");
}

void
pos_reports_run (PosReports *self,
                 const char *name,
                 const char *from,
                 const char *to)
{
  const MdnReportDef *const *all = mdn_reports ();

  g_return_if_fail (POS_IS_REPORTS (self));

  pos_reports_shown (self);
  for (guint i = 0; all[i]; i++)
    if (g_str_equal (all[i]->name, name))
      gtk_drop_down_set_selected (GTK_DROP_DOWN (self->report_dropdown), i);
  gtk_drop_down_set_selected (GTK_DROP_DOWN (self->period_dropdown), 3);
  gtk_editable_set_text (GTK_EDITABLE (self->from_entry), from);
  gtk_editable_set_text (GTK_EDITABLE (self->to_entry), to);
  start_show (self);
}

guint
pos_reports_get_n_rows (PosReports *self)
{
  g_return_val_if_fail (POS_IS_REPORTS (self), 0);

  return self->n_rows;
}

static void
pos_reports_dispose (GObject *object)
{
  PosReports *self = POS_REPORTS (object);

  if (self->cancellable)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->session);
  gtk_widget_dispose_template (GTK_WIDGET (self), POS_TYPE_REPORTS);
  G_OBJECT_CLASS (pos_reports_parent_class)->dispose (object);
}

static void
pos_reports_class_init (PosReportsClass *klass)
{
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);

  pos_ensure_resources ();
  G_OBJECT_CLASS (klass)->dispose = pos_reports_dispose;
  signals[LOADED] = g_signal_new ("loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                  G_TYPE_NONE, 0);
  signals[EXPORTED] = g_signal_new ("exported", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                    G_TYPE_NONE, 1, G_TYPE_STRING);
  gtk_widget_class_set_template_from_resource (wc, "/org/mendian/Pos/pos-reports.ui");
  gtk_widget_class_bind_template_child (wc, PosReports, report_dropdown);
  gtk_widget_class_bind_template_child (wc, PosReports, period_dropdown);
  gtk_widget_class_bind_template_child (wc, PosReports, from_entry);
  gtk_widget_class_bind_template_child (wc, PosReports, to_entry);
  gtk_widget_class_bind_template_child (wc, PosReports, staff_entry);
  gtk_widget_class_bind_template_child (wc, PosReports, member_entry);
  gtk_widget_class_bind_template_child (wc, PosReports, sku_entry);
  gtk_widget_class_bind_template_child (wc, PosReports, category_entry);
  gtk_widget_class_bind_template_child (wc, PosReports, branch_entry);
  gtk_widget_class_bind_template_child (wc, PosReports, format_dropdown);
  gtk_widget_class_bind_template_child (wc, PosReports, status_label);
  gtk_widget_class_bind_template_child (wc, PosReports, progress_box);
  gtk_widget_class_bind_template_child (wc, PosReports, progress_bar);
  gtk_widget_class_bind_template_child (wc, PosReports, scroller);
  gtk_widget_class_bind_template_child (wc, PosReports, grid);
  gtk_widget_class_install_action (wc, "reports.show", NULL, show_action);
  gtk_widget_class_install_action (wc, "reports.export", NULL, export_action);
  gtk_widget_class_install_action (wc, "reports.cancel", NULL, cancel_action);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_Return, GDK_CONTROL_MASK, "reports.show", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_e, GDK_CONTROL_MASK, "reports.export", NULL);
  gtk_widget_class_add_binding_action (wc, GDK_KEY_Escape, 0, "reports.cancel", NULL);
}

static void
pos_reports_init (PosReports *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "reports.cancel", FALSE);
  g_signal_connect_swapped (self->period_dropdown, "notify::selected", G_CALLBACK (period_changed), self);
}
