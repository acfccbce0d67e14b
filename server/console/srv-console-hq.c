/* srv-console-hq.c: the console's own head-office terminal.
 *
 * Master data and write-offs are entries written at an HQ terminal and
 * nowhere else. So that a console edit is exactly such an entry, the server
 * keeps a branch database of its own, registered as an HQ terminal (code
 * WEB), and runs the operation of common/ there, through the same
 * permission check and transaction (mdn_ops_run_def). Then it does what
 * the HQ terminal's sync does, in-process: it pushes the new entries into
 * the server store with srv_push (srv-push.c: the same checks, apply, feed and
 * rollups as a push over HTTP) and tells the branches that the feed moved.
 * Before each operation the terminal catches up with the feed, applying
 * the other terminals' entries with mdn_ledger_apply, as a branch's pull
 * does, so it decides on the chain's figures (a write-off needs them).
 *
 * Only the families that hold master data (and message.add, for the
 * member's own page, srv-member-page.c) are linked (mdn_ops_find over
 * their tables): not the registry, not the checkout, not the sync client
 * (test server-no-branch). */
#define G_LOG_DOMAIN "srv-console"

#include <glib/gi18n-lib.h>
#include <inttypes.h>

#include "mdn-catalog.h"
#include "mdn-error.h"
#include "mdn-exceptions.h"
#include "mdn-id.h"
#include "mdn-master.h"
#include "mdn-member-filter.h"
#include "mdn-messages.h"
#include "mdn-sms.h"
#include "mdn-settings.h"
#include "mdn-ops.h"
#include "mdn-store.h"
#include "mdn-timed.h"
#include "srv-console-private.h"
#include "srv-push.h"
#include "srv-store-console.h"


struct _SrvConsoleHq
{
  SrvStore *store;   /* the server's */
  MdnStore *hq;      /* the terminal's own database */
  char     *code;    /* its branch code: SRV_CONSOLE_HQ_CODE or serve --console-hq-code */
};

static const struct
{
  const char     *name;
  const MdnOpDef *table;
} hq_ops[] = {
  { "product.upsert",      mdn_catalog_ops },
  { "category.upsert",     mdn_catalog_ops },
  { "level.upsert",        mdn_master_ops },
  { "deposit_rule.upsert", mdn_master_ops },
  { "plan.upsert",         mdn_plan_ops },
  { "exception.write_off", mdn_exception_ops },
  { "settings.set",        mdn_settings_ops },   /* setting.chain at an HQ terminal */
  { "sms.campaign",        mdn_sms_ops },        /* preview, or the campaign entry */
  { "member.filter",       mdn_member_filter_ops },
  { "message.reply",       mdn_message_ops },    /* a shared entry: every branch sees it */
  { "message.add",         mdn_message_ops },    /* left on the member's own page */
};

void
srv_console_hq_free (SrvConsoleHq *hq)
{
  if (hq == NULL)
    return;
  g_clear_pointer (&hq->hq, mdn_store_free);
  g_free (hq->code);
  g_free (hq);
}

/* Registers the terminal at the server under the highest free number. */
static gboolean
register_terminal (SrvStore   *store,
                   const char *code,
                   gint64     *number,
                   GError    **error)
{
  g_autoptr(GPtrArray) list = srv_store_branch_list (store, error);
  gboolean used[1000] = { FALSE };
  g_autofree char *token = NULL;

  if (list == NULL)
    return FALSE;
  for (guint i = 0; i < list->len; i++)
    {
      SrvBranchInfo *b = g_ptr_array_index (list, i);

      if (g_str_equal (b->code, code))
        {
          g_set_error (error, SRV_ERROR, SRV_ERROR_INVALID,
                       _("Branch %s (the console's head-office terminal) is registered, but its database is "
                         "missing; give its file with --console-hq"),
                       code);
          return FALSE;
        }
      if (b->number >= 0 && b->number < 1000)
        used[b->number] = TRUE;
    }
  for (*number = 999; *number > 0 && used[*number]; (*number)--)
    ;
  if (used[*number])
    {
      g_set_error_literal (error, SRV_ERROR, SRV_ERROR_INVALID, _("No branch number is free for the console"));
      return FALSE;
    }
  token = srv_store_branch_add (store, code, _("Head-office console"), *number, TRUE, error);
  return token != NULL;   /* it pushes in-process: the token is never used */
}

SrvConsoleHq *
srv_console_hq_open (SrvStore   *store,
                     const char *path,
                     const char *code,
                     GError    **error)
{
  g_autoptr(SrvConsoleHq) hq = g_new0 (SrvConsoleHq, 1);

  g_return_val_if_fail (store != NULL && path != NULL, NULL);

  hq->store = store;
  hq->code = g_strdup (code ? code : SRV_CONSOLE_HQ_CODE);
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_autofree char *key = srv_store_chain_key_dup (store);
      g_autofree char *password = mdn_random_hex (32);
      MdnStoreInit init = { 0 };
      gint64 number = 0;

      if (!register_terminal (store, hq->code, &number, error))
        return NULL;
      init.branch_code = hq->code;
      init.branch_name = _("Head-office console");
      init.branch_number = (int) number;
      init.hq = TRUE;
      init.admin_password = password;   /* nobody logs in: the console acts as its admin */
      init.chain_key_hex = key;
      init.timezone = srv_console_timezone (store);
      /* Its first entry must not be a level "normal" of its own, which
         would replace the chain's: it receives the chain's from the feed. */
      init.no_entries = TRUE;
      hq->hq = mdn_store_init (path, &init, error);
    }
  else
    hq->hq = mdn_store_open (path, error);
  if (hq->hq == NULL)
    return NULL;
  if (!hq->hq->hq || g_strcmp0 (hq->hq->branch_code, hq->code) != 0)
    {
      g_set_error (error, SRV_ERROR, SRV_ERROR_INVALID,
                   _("%s is not the console's head-office terminal (%s)"), path, hq->code);
      return NULL;
    }
  /* The terminal is the server's own code: its version is the server's. */
  if (!srv_console_branch_note_version (store, hq->code, MDN_VERSION, error))
    return NULL;
  return g_steal_pointer (&hq);
}

static gint64
meta_int (MdnDb      *db,
          const char *key)
{
  g_autofree char *v = mdn_db_meta_dup (db, key);

  return v ? g_ascii_strtoll (v, NULL, 10) : 0;
}

/* Applies the feed the terminal has not seen, a page per transaction. */
static gboolean
catch_up (SrvConsoleHq *hq,
          GError      **error)
{
  MdnDb *db = hq->hq->db;
  gint64 pos = meta_int (db, "sync_feed_position");

  for (;;)
    {
      g_autoptr(SrvFeedPage) page = srv_store_feed (hq->store, hq->hq->branch_code, pos, 500, error);
      g_autofree char *text = NULL;

      if (page == NULL || !mdn_db_begin (db, TRUE, error))
        return FALSE;
      for (guint i = 0; i < page->rows->len; i++)
        {
          SrvFeedRow *row = g_ptr_array_index (page->rows, i);
          sqlite3_stmt *stmt;
          int rc;

          if (g_str_equal (row->entry->branch, hq->hq->branch_code))
            continue;
          stmt = mdn_db_query (db, error, "SELECT 1 FROM entries WHERE id = ?", "s", row->entry->id);
          if (stmt == NULL || (rc = mdn_db_step (db, stmt, error)) < 0)
            goto fail;
          sqlite3_reset (stmt);
          if (rc == SQLITE_ROW)
            continue;
          if (!mdn_ledger_apply (db, row->entry, error))
            {
              g_prefix_error (error, _("Applying %s#%" PRId64 " from the server: "), row->entry->branch,
                              row->entry->seq);
              goto fail;
            }
        }
      text = g_strdup_printf ("%" G_GINT64_FORMAT, page->feed_position);
      if (!mdn_db_meta_set (db, "sync_feed_position", text, error) || !mdn_db_commit (db, error))
        goto fail;
      pos = page->feed_position;
      if (!page->more)
        return TRUE;
      continue;

    fail:
      mdn_db_rollback (db);
      return FALSE;
    }
}

/* Pushes the terminal's entries the server does not hold yet. */
static gboolean
push (SrvConsoleHq *hq,
      gint64       *feed_head,
      GError      **error)
{
  g_autoptr(GPtrArray) list = srv_store_branch_list (hq->store, error);
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_entry_free);
  SrvPushResult result = { 0 };
  gint64 acked = -1;
  sqlite3_stmt *stmt;
  int rc;

  if (list == NULL)
    return FALSE;
  for (guint i = 0; i < list->len; i++)
    {
      SrvBranchInfo *b = g_ptr_array_index (list, i);

      if (g_str_equal (b->code, hq->hq->branch_code))
        acked = b->revoked ? -1 : b->acked_seq;
    }
  if (acked < 0)
    {
      g_set_error (error, SRV_ERROR, SRV_ERROR_UNAUTHORIZED,
                   _("The console's head-office terminal %s is revoked or not registered"), hq->hq->branch_code);
      return FALSE;
    }
  stmt = mdn_db_query (hq->hq->db, error, "SELECT id FROM entries WHERE branch = ? AND seq > ? ORDER BY seq", "si",
                       hq->hq->branch_code, acked);
  if (stmt == NULL)
    return FALSE;
  {
    g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);

    while ((rc = mdn_db_step (hq->hq->db, stmt, error)) == SQLITE_ROW)
      g_ptr_array_add (ids, g_strdup (mdn_db_col_text (stmt, 0)));
    sqlite3_reset (stmt);
    if (rc != SQLITE_DONE)
      return FALSE;
    for (guint i = 0; i < ids->len; i++)
      {
        MdnEntry *e = mdn_entry_load (hq->hq->db, g_ptr_array_index (ids, i), error);

        if (e == NULL)
          return FALSE;
        g_ptr_array_add (entries, e);
      }
  }
  if (entries->len == 0)
    {
      *feed_head = srv_store_feed_head (hq->store);
      return TRUE;
    }
  if (!srv_push (hq->store, hq->hq->branch_code, entries, &result, error))
    return FALSE;
  *feed_head = result.feed_position;
  return TRUE;
}

gboolean
srv_console_hq_known (const char *op)
{
  for (guint i = 0; i < G_N_ELEMENTS (hq_ops); i++)
    if (g_str_equal (hq_ops[i].name, op))
      return TRUE;
  return FALSE;
}

JsonObject *
srv_console_hq_run (SrvConsoleHq *hq,
                    const char   *op,
                    JsonObject   *args,
                    gint64       *feed_head,
                    GError      **error)
{
  g_autoptr(MdnOpCtx) ctx = NULL;
  g_autoptr(JsonObject) result = NULL;
  const MdnOpDef *def = NULL;

  g_return_val_if_fail (hq != NULL && op != NULL && args != NULL && feed_head != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (hq_ops) && def == NULL; i++)
    if (g_str_equal (hq_ops[i].name, op))
      def = mdn_ops_find (hq_ops[i].table, op);
  if (def == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_OP, _("Unknown operation “%s”"), op);
      return NULL;
    }
  /* Whatever an earlier push left behind goes first, then the feed. */
  if (!push (hq, feed_head, error) || !catch_up (hq, error))
    return NULL;
  ctx = mdn_op_ctx_new_trusted (hq->hq, "admin", error);
  if (ctx == NULL)
    return NULL;
  result = mdn_ops_run_def (ctx, def, args, error);
  if (result == NULL)
    return NULL;
  if (!push (hq, feed_head, error))
    return NULL;
  return g_steal_pointer (&result);
}
