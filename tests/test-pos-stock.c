/* test-pos-stock.c: the POS's stock screens (client/pos/pos-stock-*.c)
 * driven under Xvfb at 1024×768 as a branch manager: receive by scanning,
 * the stock list, a count, a write-off, a transfer out and one received
 * with a shortfall, the import preview of a bad file; and the chain's stock
 * at an HQ terminal linked to a real server. Each saves a screenshot next
 * to the test log (pos-stock-*.png). Skipped without a display. */
#include <glib/gstdio.h>
#include <string.h>

#include "mdn-db.h"
#include "mdn-json.h"
#include "mdn-test-server.h"
#include "mdn-test-ui.h"
#include "pos-application.h"
#include "pos-forms.h"
#include "pos-login.h"
#include "pos-session.h"
#include "pos-stock.h"
#include "pos-stock-chain.h"
#include "pos-stock-count.h"
#include "pos-stock-doc.h"
#include "pos-stock-import.h"
#include "pos-stock-lines.h"
#include "pos-stock-list.h"
#include "pos-stock-transfers.h"
#include "pos-window.h"

static gboolean have_display = FALSE;

static void
pump (guint ms)
{
  mdn_test_ui_pump (ms);
}

static void
screenshot (GtkWidget  *widget,
            const char *name)
{
  g_assert_true (mdn_test_ui_screenshot (widget, "pos-stock", name));
}

static GtkWidget *
find_toplevel (GType type)
{
  GListModel *list = gtk_window_get_toplevels ();

  for (guint i = 0; i < g_list_model_get_n_items (list); i++)
    {
      g_autoptr(GObject) w = g_list_model_get_item (list, i);

      if (G_TYPE_CHECK_INSTANCE_TYPE (w, type) && gtk_widget_get_visible (GTK_WIDGET (w)))
        return GTK_WIDGET (w);
    }
  return NULL;
}

static void
scan (GtkWidget  *lines,
      const char *code)
{
  GtkWidget *entry = pos_stock_lines_get_scan_entry (POS_STOCK_LINES (lines));

  gtk_editable_set_text (GTK_EDITABLE (entry), code);
  g_signal_emit_by_name (entry, "activate");
  pump (50);
}

static gint64
on_hand (MdnTestBranch *b,
         const char    *sku)
{
  g_autoptr(JsonObject) r = mdn_test_ok (b->admin, "{\"op\":\"stock.show\",\"sku\":\"%s\"}", sku);

  return mdn_test_int (r, "on_hand");
}

typedef struct
{
  PosSession *session;
  PosWindow  *window;
  PosStock   *stock;
} Pos;

static void
pos_open (Pos           *p,
          MdnTestBranch *b,
          const char    *staff)
{
  p->session = pos_session_new ();
  p->window = pos_window_new (NULL, p->session, b->path);
  gtk_window_set_default_size (GTK_WINDOW (p->window), 1024, 768);
  gtk_window_present (GTK_WINDOW (p->window));
  pump (200);
  pos_login_submit (POS_LOGIN (pos_window_get_login (p->window)), staff, MDN_TEST_PASSWORD);
  pump (100);
  g_assert_true (pos_session_is_logged_in (p->session));
  pos_window_show_page (p->window, "stock");
  pump (100);
  p->stock = POS_STOCK (pos_window_get_stock (p->window));
}

static void
pos_close (Pos *p)
{
  gtk_window_destroy (GTK_WINDOW (p->window));
  pump (50);
  g_clear_object (&p->session);
}

static MdnTestBranch *
branch_new (const char *code,
            int         number,
            gboolean    hq)
{
  MdnTestBranch *b = mdn_test_branch_new_full (code, number, hq);
  g_autoptr(MdnOpCtx) m = mdn_test_staff (b, "m01", "manager");

  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"product.upsert\",\"sku\":\"COLA\",\"name\":\"可口可乐 330ml\","
                                  "\"price_fen\":350,\"kind\":\"goods\",\"barcode\":\"6901234567892\",\"category\":\"饮品\"}"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"product.upsert\",\"sku\":\"TEA\",\"name\":\"东方树叶 500ml\","
                                  "\"price_fen\":500,\"kind\":\"goods\",\"barcode\":\"6901234567908\",\"category\":\"饮品\"}"));
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"product.upsert\",\"sku\":\"GUM\",\"name\":\"口香糖\","
                                  "\"price_fen\":200,\"kind\":\"goods\",\"category\":\"零食\"}"));
  return b;
}

static void
test_branch_screens (void)
{
  g_autoptr(MdnTestBranch) b = NULL;
  g_autoptr(MdnTestBranch) other = NULL;
  g_autoptr(JsonObject) sent = NULL;
  Pos p = { 0 };
  GtkWidget *doc, *list, *count, *incoming, *import;
  PosForm *form;

  if (!have_display)
    {
      g_test_skip ("no display: run under xvfb-run");
      return;
    }
  b = branch_new ("B01", 1, FALSE);
  other = branch_new ("B02", 2, FALSE);
  json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"stock.limits\",\"sku\":\"GUM\",\"low_stock\":10}"));
  pos_open (&p, b, "m01");

  /* Receive: the scanner adds lines, a second scan one more. */
  pos_stock_show_screen (p.stock, "receive");
  doc = pos_stock_get_screen (p.stock, "receive");
  scan (pos_stock_doc_get_lines (POS_STOCK_DOC (doc)), "6901234567892");
  scan (pos_stock_doc_get_lines (POS_STOCK_DOC (doc)), "6901234567892");
  scan (pos_stock_doc_get_lines (POS_STOCK_DOC (doc)), "TEA");
  g_assert_cmpuint (pos_stock_lines_count (POS_STOCK_LINES (pos_stock_doc_get_lines (POS_STOCK_DOC (doc)))), ==, 2);
  screenshot (doc, "receive");
  gtk_widget_activate_action (doc, "doc.commit", NULL);
  pump (50);
  g_assert_cmpint (on_hand (b, "COLA"), ==, 2);
  g_assert_cmpint (on_hand (b, "TEA"), ==, 1);
  g_assert_cmpuint (pos_stock_lines_count (POS_STOCK_LINES (pos_stock_doc_get_lines (POS_STOCK_DOC (doc)))), ==, 0);

  /* Write off one. */
  pos_stock_show_screen (p.stock, "issue");
  doc = pos_stock_get_screen (p.stock, "issue");
  scan (pos_stock_doc_get_lines (POS_STOCK_DOC (doc)), "TEA");
  screenshot (doc, "issue");
  gtk_widget_activate_action (doc, "doc.commit", NULL);
  pump (50);
  g_assert_cmpint (on_hand (b, "TEA"), ==, 0);

  /* The list, and its low-stock filter. */
  pos_stock_show_screen (p.stock, "list");
  list = pos_stock_get_screen (p.stock, "list");
  g_assert_cmpuint (pos_stock_list_count (POS_STOCK_LIST (list)), ==, 3);
  screenshot (list, "list");

  /* A count: start, count the cola as 5, finish. */
  pos_stock_show_screen (p.stock, "count");
  count = pos_stock_get_screen (p.stock, "count");
  gtk_widget_activate_action (count, "count.start", NULL);
  pump (50);
  scan (pos_stock_count_get_lines (POS_STOCK_COUNT (count)), "COLA");
  gtk_widget_activate_action (count, "count.save", NULL);
  pump (50);
  screenshot (count, "count");
  {
    g_autoptr(JsonObject) sheet = mdn_test_ok (b->admin, "{\"op\":\"stocktake.show\"}");

    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (sheet, "counted")), ==, 1);
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (sheet, "uncounted")), ==, 2);
  }

  /* Transfer out two colas. */
  {
    g_autoptr(JsonObject) open = mdn_test_ok (b->admin, "{\"op\":\"stocktake.show\"}");

    json_object_unref (mdn_test_ok (b->admin, "{\"op\":\"stocktake.cancel\",\"count_id\":\"%s\"}",
                                    mdn_test_str (open, "count_id")));
  }
  pos_stock_show_screen (p.stock, "transfer");
  doc = pos_stock_get_screen (p.stock, "transfer");
  scan (pos_stock_doc_get_lines (POS_STOCK_DOC (doc)), "COLA");
  scan (pos_stock_doc_get_lines (POS_STOCK_DOC (doc)), "COLA");
  screenshot (doc, "transfer");

  /* 待收货: a transfer from B02, as the feed brings it; receive 3 of 4. */
  json_object_unref (mdn_test_ok (other->admin, "{\"op\":\"stock.receive\",\"lines\":[{\"sku\":\"GUM\",\"qty\":4}]}"));
  sent = mdn_test_ok (other->admin, "{\"op\":\"transfer.out\",\"to\":\"B01\",\"lines\":[{\"sku\":\"GUM\",\"qty\":4}]}");
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(MdnEntry) e = mdn_entry_load (other->store->db, mdn_test_str (sent, "entry_id"), &error);
    g_autoptr(MdnDb) db = mdn_db_open (b->path, "branch", &error);

    g_assert_no_error (error);
    g_assert_true (mdn_db_begin (db, TRUE, &error));
    g_assert_true (mdn_ledger_apply (db, e, &error));
    g_assert_true (mdn_db_commit (db, &error));
  }
  pos_stock_show_screen (p.stock, "incoming");
  incoming = pos_stock_get_screen (p.stock, "incoming");
  g_assert_cmpuint (pos_stock_transfers_n_waiting (POS_STOCK_TRANSFERS (incoming)), ==, 1);
  screenshot (incoming, "to-receive");
  /* The row's Receive… button opens the form. */
  {
    GtkWidget *w = incoming;
    GtkWidget *button = NULL;

    /* Depth-first search for the first GtkButton labelled with a mnemonic. */
    GPtrArray *todo = g_ptr_array_new ();
    g_ptr_array_add (todo, w);
    while (todo->len && button == NULL)
      {
        GtkWidget *x = g_ptr_array_steal_index (todo, todo->len - 1);

        if (GTK_IS_BUTTON (x) && gtk_button_get_use_underline (GTK_BUTTON (x)) &&
            gtk_widget_has_css_class (x, "suggested-action"))
          button = x;
        for (GtkWidget *c = gtk_widget_get_first_child (x); c; c = gtk_widget_get_next_sibling (c))
          g_ptr_array_add (todo, c);
      }
    g_ptr_array_unref (todo);
    g_assert_nonnull (button);
    g_signal_emit_by_name (button, "clicked");
    pump (100);
  }
  form = POS_FORM (find_toplevel (POS_TYPE_FORM));
  g_assert_nonnull (form);
  gtk_editable_set_text (GTK_EDITABLE (pos_form_get_widget (form, "line0")), "3");
  screenshot (GTK_WIDGET (form), "receive-transfer");
  pos_form_accept (form);
  pump (100);
  g_assert_cmpint (on_hand (b, "GUM"), ==, 3);
  g_assert_cmpuint (pos_stock_transfers_n_waiting (POS_STOCK_TRANSFERS (incoming)), ==, 0);
  screenshot (incoming, "transfers");

  /* The import: a bad line 3 shown, nothing can be imported. */
  pos_stock_show_screen (p.stock, "import");
  import = pos_stock_get_screen (p.stock, "import");
  {
    const char *csv = "货号,名称,售价,分类\n"
                      "NEW1,新品一号,12.00,零食\n"
                      "NEW2,新品二号,十二元,零食\n"
                      "NEW3,新品三号,8.50,饮品\n";
    g_autoptr(GBytes) bytes = g_bytes_new (csv, strlen (csv));

    pos_stock_import_load (POS_STOCK_IMPORT (import), "新品.csv", bytes);
    pump (50);
    g_assert_cmpuint (pos_stock_import_n_errors (POS_STOCK_IMPORT (import)), ==, 1);
    g_assert_cmpuint (pos_stock_import_n_rows (POS_STOCK_IMPORT (import)), ==, 2);
    screenshot (import, "import-errors");
  }
  g_assert_cmpint (mdn_test_count (b, "SELECT COUNT(*) FROM products WHERE sku LIKE 'NEW%'"), ==, 0);
  {
    const char *csv = "货号,名称,售价,分类\nNEW1,新品一号,12.00,零食\nNEW3,新品三号,8.50,饮品\n";
    g_autoptr(GBytes) bytes = g_bytes_new (csv, strlen (csv));

    pos_stock_import_load (POS_STOCK_IMPORT (import), "新品.csv", bytes);
    pump (50);
    screenshot (import, "import-preview");
    gtk_widget_activate_action (import, "import.run", NULL);
    pump (50);
  }
  g_assert_cmpint (mdn_test_count (b, "SELECT COUNT(*) FROM products WHERE sku LIKE 'NEW%'"), ==, 2);
  pos_close (&p);
  g_assert_cmpuint (mdn_test_verify (b), ==, 0);
}

/* The HQ terminal's chain stock, from a real server. */
static void
test_chain_screen (void)
{
  g_autoptr(MdnTestServer) s = NULL;
  g_autoptr(MdnTestBranch) hq = NULL;
  g_autoptr(MdnTestBranch) b1 = NULL;
  Pos p = { 0 };
  GtkWidget *chain;

  if (!have_display)
    {
      g_test_skip ("no display: run under xvfb-run");
      return;
    }
  s = mdn_test_server_new ("pos-stock", NULL);
  hq = branch_new ("HQ", 0, TRUE);
  b1 = branch_new ("B01", 1, FALSE);
  mdn_test_server_add_branch (s, "HQ", 0, TRUE);
  mdn_test_server_link (s, hq);
  mdn_test_server_add_branch (s, "B01", 1, FALSE);
  mdn_test_server_link (s, b1);
  mdn_test_server_add_branch (s, "B02", 2, FALSE);
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"stock.receive\",\"lines\":[{\"sku\":\"COLA\",\"qty\":24},"
                                             "{\"sku\":\"TEA\",\"qty\":12}]}"));
  json_object_unref (mdn_test_ok (b1->admin, "{\"op\":\"transfer.out\",\"to\":\"B02\",\"lines\":[{\"sku\":\"COLA\",\"qty\":6}]}"));
  mdn_test_sync_ok (b1);

  pos_open (&p, hq, "m01");
  pos_stock_show_screen (p.stock, "chain");
  chain = pos_stock_get_screen (p.stock, "chain");
  pos_stock_chain_search (POS_STOCK_CHAIN (chain));
  /* asked off the UI thread: the page says so until the answer is in */
  g_assert_true (pos_stock_chain_busy (POS_STOCK_CHAIN (chain)));
  while (pos_stock_chain_busy (POS_STOCK_CHAIN (chain)))
    g_main_context_iteration (NULL, TRUE);
  pump (5);
  g_assert_cmpuint (pos_stock_chain_n_rows (POS_STOCK_CHAIN (chain)), ==, 3);   /* B01 ×2, B02 in transit */
  screenshot (chain, "chain");
  pos_close (&p);
}

/* Under LeakSanitizer: fontconfig and the GL drivers keep process-lifetime
 * caches that are never freed (as test-pos-ui.c). */
const char *__lsan_default_suppressions (void);

const char *
__lsan_default_suppressions (void)
{
  return "leak:libfontconfig.so\n"
         "leak:libEGL_mesa.so\n"
         "leak:libGLX_mesa.so\n";
}

int
main (int   argc,
      char *argv[])
{
  const char *display = g_getenv ("DISPLAY");
  const char *wayland = g_getenv ("WAYLAND_DISPLAY");

  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  g_setenv ("GDK_DEBUG", "gl-disable", FALSE);
  g_setenv ("GTK_A11Y", "none", FALSE);
  g_setenv ("ADW_DISABLE_PORTAL", "1", TRUE);
  g_test_init (&argc, &argv, NULL);
  pos_i18n_init ();
  mdn_branch_init ();
  if ((display && *display) || (wayland && *wayland))
    {
      have_display = gtk_init_check ();
      if (have_display)
        adw_init ();
    }
  g_test_add_func ("/pos/stock/branch-screens", test_branch_screens);
  g_test_add_func ("/pos/stock/chain", test_chain_screen);
  return g_test_run ();
}
