/* pos-session.c */
#define G_LOG_DOMAIN "pos-session"

#include <glib/gi18n.h>

#include <gtk/gtk.h>

#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-json.h"
#include "mdn-money.h"
#include "mdn-selling.h"
#include "mdn-sync.h"
#include "pos-resources.h"
#include "mdn-roles.h"
#include "pos-session.h"
#include "pos-views.h"

struct _PosSession
{
  GObject    parent_instance;
  char      *path;
  MdnStore  *store;
  MdnOpCtx  *ctx;
  GKeyFile  *settings;
  char      *settings_path;
  char      *staff_name;     /* of the logged-in staff member (staff.me) */
};

G_DEFINE_FINAL_TYPE (PosSession, pos_session, G_TYPE_OBJECT)

enum { SIGNAL_LEDGER_CHANGED, SIGNAL_LOGIN_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void
pos_session_finalize (GObject *object)
{
  PosSession *self = POS_SESSION (object);

  g_clear_pointer (&self->ctx, mdn_op_ctx_free);
  g_clear_pointer (&self->store, mdn_store_free);
  g_clear_pointer (&self->settings, g_key_file_unref);
  g_free (self->settings_path);
  g_free (self->staff_name);
  g_free (self->path);
  G_OBJECT_CLASS (pos_session_parent_class)->finalize (object);
}

static void
pos_session_class_init (PosSessionClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = pos_session_finalize;

  /* A write operation succeeded: pages showing balances refresh. */
  signals[SIGNAL_LEDGER_CHANGED] =
    g_signal_new ("ledger-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_LOGIN_CHANGED] =
    g_signal_new ("login-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST,
                  0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void
pos_session_init (PosSession *self)
{
  const char *env = g_getenv ("MENDIAN_POS_CONFIG");

  self->settings = g_key_file_new ();
  self->settings_path = env ? g_strdup (env)
                            : g_build_filename (g_get_user_config_dir (), "mendian", "pos.ini", NULL);
  g_key_file_load_from_file (self->settings, self->settings_path, G_KEY_FILE_KEEP_COMMENTS, NULL);
}

PosSession *
pos_session_new (void)
{
  return g_object_new (POS_TYPE_SESSION, NULL);
}

gboolean
pos_session_open (PosSession *self,
                  const char *path,
                  GError    **error)
{
  MdnStore *store;

  g_return_val_if_fail (POS_IS_SESSION (self), FALSE);
  g_return_val_if_fail (path != NULL, FALSE);

  store = mdn_store_open (path, error);
  if (store == NULL)
    return FALSE;
  pos_session_logout (self);
  g_clear_pointer (&self->store, mdn_store_free);
  self->store = store;
  g_free (self->path);
  self->path = g_strdup (path);
  return TRUE;
}

gboolean
pos_session_create (PosSession         *self,
                    const char         *path,
                    const MdnStoreInit *init,
                    GError            **error)
{
  MdnStore *store;
  g_autofree char *dir = NULL;

  g_return_val_if_fail (POS_IS_SESSION (self), FALSE);
  g_return_val_if_fail (path != NULL && init != NULL, FALSE);

  dir = g_path_get_dirname (path);
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_DATABASE,
                   _("The folder %s can't be created; choose another place for the database"), dir);
      return FALSE;
    }
  store = mdn_store_init (path, init, error);
  if (store == NULL)
    return FALSE;
  pos_session_logout (self);
  g_clear_pointer (&self->store, mdn_store_free);
  self->store = store;
  g_free (self->path);
  self->path = g_strdup (path);
  return TRUE;
}

gboolean
pos_session_is_open (PosSession *self)
{
  return self->store != NULL;
}

const char *
pos_session_get_path (PosSession *self)
{
  return self->path;
}

MdnStore *
pos_session_get_store (PosSession *self)
{
  return self->store;
}

gboolean
pos_session_login (PosSession *self,
                   const char *staff,
                   const char *password,
                   GError    **error)
{
  MdnOpCtx *ctx;

  g_return_val_if_fail (POS_IS_SESSION (self), FALSE);
  g_return_val_if_fail (self->store != NULL, FALSE);

  ctx = mdn_op_ctx_new (self->store, staff, password, error);
  if (ctx == NULL)
    return FALSE;
  g_clear_pointer (&self->ctx, mdn_op_ctx_free);
  self->ctx = ctx;
  g_clear_pointer (&self->staff_name, g_free);
  {
    g_autoptr(JsonObject) none = json_object_new ();
    g_autoptr(JsonObject) me = pos_session_run (self, "staff.me", none, NULL);

    self->staff_name = me ? pos_staff_name_parse (me, NULL) : NULL;
  }
  g_signal_emit (self, signals[SIGNAL_LOGIN_CHANGED], 0);
  return TRUE;
}

void
pos_session_logout (PosSession *self)
{
  if (self->ctx == NULL)
    return;
  g_clear_pointer (&self->ctx, mdn_op_ctx_free);
  g_signal_emit (self, signals[SIGNAL_LOGIN_CHANGED], 0);
}

gboolean
pos_session_is_logged_in (PosSession *self)
{
  return self->ctx != NULL;
}

const char *
pos_session_get_staff (PosSession *self)
{
  return self->ctx ? self->ctx->staff : NULL;
}

/* The logged-in staff member's name, as receipts and screens show them
 * (their code if staff.me could not say). */
const char *
pos_session_get_staff_name (PosSession *self)
{
  if (self->ctx == NULL)
    return NULL;
  return self->staff_name ? self->staff_name : self->ctx->staff;
}

/* @iso (or now, when NULL) in the branch's time zone, "2026-11-22 10:00":
 * every time the POS shows or prints. */
char *
pos_session_branch_time (PosSession *self,
                         const char *iso)
{
  g_autoptr(GDateTime) dt = iso ? mdn_clock_parse (iso) : mdn_clock_now ();
  g_autoptr(GTimeZone) fallback = NULL;
  g_autoptr(GDateTime) local = NULL;
  GTimeZone *tz = self->store ? self->store->tz : NULL;

  if (dt == NULL)
    return g_strdup (iso ? iso : "");
  if (tz == NULL)
    tz = fallback = g_time_zone_new_identifier (MDN_DEFAULT_TIMEZONE);
  if (tz == NULL)
    tz = fallback = g_time_zone_new_utc ();
  local = g_date_time_to_timezone (dt, tz);
  return g_date_time_format (local, "%Y-%m-%d %H:%M");
}

/* What a payment of @due_fen in cash alone drops (抹零,
 * checkout.cash_rounding); the sale itself drops the same in common/. */
gint64
pos_session_cash_rounding (PosSession *self,
                           gint64      due_fen)
{
  g_return_val_if_fail (POS_IS_SESSION (self), 0);

  return self->store ? mdn_cash_rounding (self->store->db, due_fen) : 0;
}

MdnRole
pos_session_get_role (PosSession *self)
{
  return self->ctx ? self->ctx->role : 0;
}

/* Whether the cashier's role may run @op (and it exists in this build):
 * what a role may not do is hidden; common/ refuses it anyway. */
void
pos_session_log_event (PosSession *self,
                       const char *what)
{
  g_return_if_fail (POS_IS_SESSION (self));

  if (self->ctx != NULL)
    mdn_ops_log_event (self->ctx, what, TRUE, NULL);
}

gboolean
pos_session_can (PosSession *self,
                 const char *op)
{
  g_return_val_if_fail (POS_IS_SESSION (self), FALSE);

  return self->ctx != NULL && mdn_ops_allowed (self->ctx, op);
}

static gboolean
check_logged_in (PosSession *self,
                 GError    **error)
{
  if (self->ctx == NULL)
    {
      g_set_error_literal (error, MDN_ERROR, MDN_ERROR_AUTH_FAILED,
                           _("Nobody is logged in; log in first"));
      return FALSE;
    }
  return TRUE;
}

static void
emit_changed (PosSession *self,
              const char *op)
{
  const MdnOpDef *def = mdn_ops_lookup (op);

  if (def != NULL && (def->flags & MDN_OP_WRITE))
    g_signal_emit (self, signals[SIGNAL_LEDGER_CHANGED], 0, op);
}

gboolean
pos_session_op_may_wait (PosSession *self,
                         const char *op)
{
  const MdnOpDef *def;

  g_return_val_if_fail (POS_IS_SESSION (self), FALSE);
  g_return_val_if_fail (op != NULL, FALSE);

  def = mdn_ops_lookup (op);
  return def != NULL && (def->flags & (MDN_OP_SPEND | MDN_OP_NETWORK)) && self->store != NULL &&
         mdn_sync_is_linked (self->store);
}

/* Runs @op exactly as mendian-cli would: permission check, one
 * transaction, durable when it returns. On the calling thread: an
 * operation that may wait for the server goes through
 * pos_session_run_async() instead. */
JsonObject *
pos_session_run (PosSession *self,
                 const char *op,
                 JsonObject *args,
                 GError    **error)
{
  JsonObject *result;

  g_return_val_if_fail (POS_IS_SESSION (self), NULL);
  g_return_val_if_fail (op != NULL && args != NULL, NULL);

  if (!check_logged_in (self, error))
    return NULL;
  if (pos_session_op_may_wait (self, op))
    g_warning ("“%s” may wait for the server on the UI thread; use pos_session_run_async()", op);
  result = mdn_ops_run (self->ctx, op, args, error);
  if (result != NULL)
    emit_changed (self, op);
  return result;
}

/* Async ------------------------------------------------------------------------ */

typedef struct
{
  char *path;
  char *staff;
  char *op;
  char *args;       /* JSON text: the worker parses its own copy */
} RunData;

static void
run_data_free (RunData *d)
{
  g_free (d->path);
  g_free (d->staff);
  g_free (d->op);
  g_free (d->args);
  g_free (d);
}

/* The worker has its own MdnStore on the same file (WAL lets the two
 * connections work side by side; the UI thread's is never touched here)
 * and its own context for the staff member already logged in. */
static void
run_in_worker (GTask        *task,
               gpointer      source,
               gpointer      task_data,
               GCancellable *cancellable)
{
  RunData *d = task_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(MdnStore) store = NULL;
  g_autoptr(MdnOpCtx) ctx = NULL;
  g_autoptr(JsonObject) args = NULL;
  JsonObject *result = NULL;

  store = mdn_store_open (d->path, &error);
  if (store != NULL)
    ctx = mdn_op_ctx_new_trusted (store, d->staff, &error);
  if (ctx != NULL)
    args = mdn_json_parse_object (d->args, &error);
  if (args != NULL)
    result = mdn_ops_run (ctx, d->op, args, &error);
  if (result == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, result, (GDestroyNotify) json_object_unref);
}

/* Back on the main thread: the ledger changed whether or not the caller
 * still wants the result. */
static void
worker_done (GObject      *source,
             GAsyncResult *res,
             gpointer      user_data)
{
  PosSession *self = POS_SESSION (source);
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  JsonObject *result = g_task_propagate_pointer (G_TASK (res), &error);

  if (result == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  emit_changed (self, g_task_get_task_data (task));
  g_task_return_pointer (task, result, (GDestroyNotify) json_object_unref);
}

void
pos_session_run_async (PosSession         *self,
                       const char         *op,
                       JsonObject         *args,
                       GCancellable       *cancellable,
                       GAsyncReadyCallback callback,
                       gpointer            user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) worker = NULL;
  g_autoptr(GError) error = NULL;
  RunData *d;

  g_return_if_fail (POS_IS_SESSION (self));
  g_return_if_fail (op != NULL && args != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, pos_session_run_async);
  g_task_set_task_data (task, g_strdup (op), g_free);
  if (!check_logged_in (self, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!pos_session_op_may_wait (self, op))
    {
      JsonObject *result = pos_session_run (self, op, args, &error);

      if (result == NULL)
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_pointer (task, result, (GDestroyNotify) json_object_unref);
      return;
    }

  d = g_new0 (RunData, 1);
  d->path = g_strdup (self->path);
  d->staff = g_strdup (self->ctx->staff);
  d->op = g_strdup (op);
  d->args = mdn_json_object_to_string (args);
  /* No cancellable: once started, the operation runs to its end. */
  worker = g_task_new (self, NULL, worker_done, g_steal_pointer (&task));
  g_task_set_source_tag (worker, run_in_worker);
  g_task_set_task_data (worker, d, (GDestroyNotify) run_data_free);
  g_task_run_in_thread (worker, run_in_worker);
}

JsonObject *
pos_session_run_finish (PosSession   *self,
                        GAsyncResult *result,
                        GError      **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* Runs @op with the real rules inside a transaction that is rolled back:
 * the figures a cashier sees before confirming (totals, discount, refund
 * split) are the ones the operation will write. Nothing is kept. */
JsonObject *
pos_session_preview (PosSession *self,
                     const char *op,
                     JsonObject *args,
                     GError    **error)
{
  const MdnOpDef *def;
  JsonObject *result;

  g_return_val_if_fail (POS_IS_SESSION (self), NULL);

  if (!check_logged_in (self, error))
    return NULL;
  def = mdn_ops_lookup (op);
  if (def == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_OP,
                   _("Unknown operation “%s”"), op);
      return NULL;
    }
  if (!mdn_ops_allowed (self->ctx, op))
    {
      g_autofree char *who = mdn_roles_dup_who_may (self->store->db, def);
      const char *role = self->ctx->role_name ? self->ctx->role_name : self->ctx->role_code;

      if (who != NULL)
        g_set_error (error, MDN_ERROR, MDN_ERROR_PERMISSION_DENIED,
                     _("A %s may not %s; ask a %s"), role, mdn_op_title (op), who);
      else
        g_set_error (error, MDN_ERROR, MDN_ERROR_PERMISSION_DENIED,
                     _("A %s may not %s; ask someone whose role allows it"), role, mdn_op_title (op));
      return NULL;
    }
  if (!mdn_db_begin (self->store->db, (def->flags & MDN_OP_WRITE) != 0, error))
    return NULL;
  result = mdn_ops_call_in_transaction (self->ctx, def, args, error);
  mdn_db_rollback (self->store->db);
  return result;
}

/* Terminal settings (printer, server link) live in a key file, not in
 * the ledger: they belong to this PC, not to the chain. */
char *
pos_session_dup_setting (PosSession *self,
                         const char *key)
{
  return g_key_file_get_string (self->settings, "pos", key, NULL);
}

gboolean
pos_session_set_setting (PosSession *self,
                         const char *key,
                         const char *value,
                         GError    **error)
{
  g_autofree char *dir = g_path_get_dirname (self->settings_path);

  if (value)
    g_key_file_set_string (self->settings, "pos", key, value);
  else
    g_key_file_remove_key (self->settings, "pos", key, NULL);
  g_mkdir_with_parents (dir, 0700);
  return g_key_file_save_to_file (self->settings, self->settings_path, error);
}

/* What to do about an error, for the cashier. The message of an MdnError
 * already says what happened; this adds the next step when it isn't obvious. */
char *
pos_error_dup_hint (const GError *error)
{
  if (error->domain != MDN_ERROR)
    return g_strdup (error->message);
  switch (error->code)
    {
    case MDN_ERROR_UNKNOWN_OP:
      return g_strdup_printf (_("%s. This function is not available in this version of Mendian; "
                                "nothing was recorded."), error->message);
    case MDN_ERROR_DATABASE:
    case MDN_ERROR_INTERNAL:
    case MDN_ERROR_CORRUPT:
      return g_strdup_printf (_("%s. Nothing was recorded. Try again; if it happens again, "
                                "call the manager."), error->message);
    case MDN_ERROR_PERMISSION_DENIED:
      return g_strdup_printf (_("%s. A manager can log in with Switch Cashier (Ctrl+Shift+L)."),
                              error->message);
    default:
      return g_strdup (error->message);
    }
}

/* What to tell the cashier about a spend made while head office couldn't
 * be reached (the result's "offline": true), or NULL. */
char *
pos_offline_notice (JsonObject *result)
{
  if (!pos_spent_offline (result))
    return NULL;
  return g_strdup (_("Offline spending: head office can't be reached, so the card's offline "
                     "allowance was used; it is reported to head office when the connection is back"));
}

char *
pos_money (gint64 fen)
{
  g_autofree char *s = mdn_money_format (fen);

  /* "-¥6.80", not "¥-6.80" */
  if (s[0] == '-')
    return g_strdup_printf ("-¥%s", s + 1);
  return g_strdup_printf ("¥%s", s);
}

/* Accepts "12", "12.5", "12.50"; FALSE for anything else. */
gboolean
pos_parse_money (const char *text,
                 gint64     *out_fen)
{
  g_autofree char *t = g_strstrip (g_strdup (text ? text : ""));

  if (*t == '\0')
    {
      *out_fen = 0;
      return TRUE;
    }
  return mdn_money_parse (t, out_fen, NULL);
}

const char *
pos_tender_label (const char *tender)
{
  if (g_strcmp0 (tender, "cash") == 0) return _("Cash");
  if (g_strcmp0 (tender, "bank") == 0) return _("Bank card");
  if (g_strcmp0 (tender, "wechat") == 0) return _("WeChat Pay");
  if (g_strcmp0 (tender, "alipay") == 0) return _("Alipay");
  if (g_strcmp0 (tender, "balance") == 0) return _("Member balance");
  if (g_strcmp0 (tender, "package") == 0) return _("Package uses");
  return tender ? tender : "";
}

const char *
pos_kind_label (const char *kind)
{
  static const struct { const char *kind; const char *label; } labels[] = {
    { "member.issue", N_("Card issued") },
    { "member.deposit", N_("Deposit") },
    { "member.withdraw", N_("Withdrawal") },
    { "member.replace", N_("Card replaced") },
    { "member.extend", N_("Validity extended") },
    { "member.lose", N_("Reported lost") },
    { "member.unlock", N_("Unlocked") },
    { "member.upgrade", N_("Level changed") },
    { "member.set_pin", N_("PIN changed") },
    { "sale", N_("Sale") },
    { "sale.quick", N_("Quick sale") },
    { "sale.return", N_("Return") },
    { "package.consume", N_("Package use") },
    { "package.buy", N_("Package bought") },
    { "timed.start", N_("Timed session started") },
    { "timed.stop", N_("Timed session") },
    { "timed.prepay", N_("Prepaid time") },
    { "timed.extend", N_("More prepaid time") },
    { "points.redeem", N_("Points redeemed") },
    { "points.adjust", N_("Points adjusted") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
    if (g_strcmp0 (kind, labels[i].kind) == 0)
      return _(labels[i].label);
  return kind ? kind : "";
}

void
pos_ensure_resources (void)
{
  static gsize done = 0;

  if (g_once_init_enter (&done))
    {
      pos_register_resource ();
      g_once_init_leave (&done, 1);
    }
}

/* The POS's own style sheet, for the window with or without an
 * application (the UI tests make windows without one). */
void
pos_ensure_style (void)
{
  static gboolean done = FALSE;
  GdkDisplay *display = gdk_display_get_default ();

  if (!done && display)
    {
      g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

      pos_ensure_resources ();
      gtk_css_provider_load_from_resource (css, "/org/mendian/Pos/pos.css");
      gtk_style_context_add_provider_for_display (display, GTK_STYLE_PROVIDER (css),
                                                  GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
      done = TRUE;
    }
}
