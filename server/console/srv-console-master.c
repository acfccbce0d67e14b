/* srv-console-master.c: the master data page (资料): products, member
 * levels, deposit bonus rules and rate plans, read from the server's
 * projections; an edit is the head-office operation of common/ run at the
 * console's HQ terminal (srv_console_run_hq), so it becomes a master-data
 * entry in the feed like one written at the HQ terminal. */
#define G_LOG_DOMAIN "srv-console"

#include <glib/gi18n-lib.h>
#include <string.h>

#include "mdn-money.h"
#include "mdn-settings.h"
#include "srv-console-private.h"

typedef enum
{
  FIELD_TEXT,
  FIELD_MONEY,   /* fen in the row, yuan text in the form and the operation */
  FIELD_INT,
  FIELD_BOOL,
  FIELD_KIND,    /* goods, service or package */
} FieldType;

typedef struct
{
  const char *arg;      /* the operation's argument */
  const char *label;
  FieldType   type;
  int         column;   /* in the kind's rows */
  gboolean    key;
  gboolean    required;
} Field;

typedef struct
{
  const char  *name;    /* in the path: /console/master/NAME */
  const char  *op;
  const char  *title;
  const Field *fields;
  SrvRows   *(*rows) (SrvStore *store, GError **error);
} MasterKind;

static const Field product_fields[] = {
  { "sku",           N_("SKU"),                    FIELD_TEXT,  0, TRUE,  TRUE },
  { "name",          N_("Label"),                   FIELD_TEXT,  1, FALSE, TRUE },
  { "kind",          N_("Kind"),                   FIELD_KIND,  2, FALSE, TRUE },
  { "price",         N_("Price"),                  FIELD_MONEY, 3, FALSE, TRUE },
  { "category",      N_("Category"),               FIELD_TEXT,  4, FALSE, FALSE },
  { "barcode",       N_("Barcode"),                FIELD_TEXT,  5, FALSE, FALSE },
  { "no_discount",   N_("No member discount"),     FIELD_BOOL,  6, FALSE, FALSE },
  { "package_sku",   N_("Package of service"),     FIELD_TEXT,  7, FALSE, FALSE },
  { "package_count", N_("Uses in the package"),    FIELD_INT,   8, FALSE, FALSE },
  { "package_days",  N_("Package valid for days"), FIELD_INT,   9, FALSE, FALSE },
  { "active",        N_("On sale"),                FIELD_BOOL, 10, FALSE, FALSE },
  { NULL }
};

static const Field level_fields[] = {
  { "code",            N_("Code"),                          FIELD_TEXT,  0, TRUE,  TRUE },
  { "name",            N_("Label"),                          FIELD_TEXT,  1, FALSE, TRUE },
  { "price_percent",   N_("Pays (percent of the price)"),   FIELD_INT,   2, FALSE, TRUE },
  { "points_per_yuan", N_("Points per yuan"),               FIELD_INT,   3, FALSE, TRUE },
  { "offline_limit",   N_("Offline spending allowance"),    FIELD_MONEY, 4, FALSE, FALSE },
  { NULL }
};

static const Field rule_fields[] = {
  { "min",   N_("Deposit of at least"), FIELD_MONEY, 0, TRUE,  TRUE },
  { "bonus", N_("Bonus"),               FIELD_MONEY, 1, FALSE, TRUE },
  { NULL }
};

static const Field plan_fields[] = {
  { "code",         N_("Code"),                  FIELD_TEXT,  0, TRUE,  TRUE },
  { "name",         N_("Label"),                  FIELD_TEXT,  1, FALSE, TRUE },
  { "unit_minutes", N_("Minutes per unit"),      FIELD_INT,   2, FALSE, TRUE },
  { "unit_price",   N_("Price per unit"),        FIELD_MONEY, 3, FALSE, TRUE },
  { "free_minutes", N_("Free minutes"),          FIELD_INT,   4, FALSE, FALSE },
  { "min_minutes",  N_("Minimum minutes"),       FIELD_INT,   5, FALSE, FALSE },
  { "cap",          N_("Most charged"),          FIELD_MONEY, 6, FALSE, FALSE },
  { NULL }
};

static const Field category_fields[] = {
  { "path", N_("Category path (up to three levels: 饮品/茶/绿茶)"), FIELD_TEXT, 0, TRUE,  TRUE },
  { "name", N_("Label"),                                             FIELD_TEXT, 1, FALSE, FALSE },
  { NULL }
};

static const MasterKind kinds[] = {
  { "product", "product.upsert",      N_("Products and prices"), product_fields, srv_console_product_rows },
  { "category", "category.upsert",    N_("Product categories"),  category_fields, srv_console_category_rows },
  { "level",   "level.upsert",        N_("Member levels"),       level_fields,   srv_console_level_rows },
  { "rule",    "deposit_rule.upsert", N_("Deposit bonus rules"), rule_fields,    srv_console_rule_rows },
  { "plan",    "plan.upsert",         N_("Rate plans"),          plan_fields,    srv_console_plan_rows },
};

static const MasterKind *
kind_named (const char *name)
{
  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    if (g_strcmp0 (kinds[i].name, name) == 0)
      return &kinds[i];
  return NULL;
}

static const char *
product_kind_label (const char *kind)
{
  if (g_strcmp0 (kind, "goods") == 0)
    return _("Goods");
  if (g_strcmp0 (kind, "service") == 0)
    return _("Service");
  if (g_strcmp0 (kind, "package") == 0)
    return _("Package");
  return kind;
}

static void
cell (SrvHtml     *h,
      const Field *f,
      const char  *value)
{
  if (f->type == FIELD_MONEY)
    {
      if (*value)
        srv_html_append (h, "<td class=\"num\">¥%M</td>", g_ascii_strtoll (value, NULL, 10));
      else
        srv_html_append (h, "<td class=\"num\">—</td>");
    }
  else if (f->type == FIELD_BOOL)
    srv_html_append (h, "<td>%s</td>", g_str_equal (value, "1") ? _("yes") : "");
  else if (f->type == FIELD_KIND)
    srv_html_append (h, "<td>%s</td>", product_kind_label (value));
  else if (f->type == FIELD_INT)
    srv_html_append (h, "<td class=\"num\">%s</td>", value);
  else
    srv_html_append (h, "<td>%s</td>", value);
}

static char *
key_value (const MasterKind *k,
           char            **row)
{
  for (const Field *f = k->fields; f->arg; f++)
    if (f->key)
      {
        if (f->type == FIELD_MONEY)
          return mdn_money_format_plain (g_ascii_strtoll (row[f->column], NULL, 10));
        return g_strdup (row[f->column]);
      }
  return g_strdup ("");
}

static gboolean
table_of (SrvPage          *page,
          const MasterKind *k,
          SrvHtml          *h,
          GError          **error)
{
  g_autoptr(SrvRows) rows = k->rows (page->console->store, error);
  gboolean admin = g_str_equal (page->user->role, "hq-admin");

  if (rows == NULL)
    return FALSE;
  srv_html_append (h, "<section class=\"master\" id=\"%s\"><h2>%s</h2>", k->name, _(k->title));
  if (admin)
    srv_html_append (h, "<p><a class=\"button\" href=\"/console/master/%s\">%s</a></p>", k->name, _("New…"));
  srv_html_append (h, "<table><thead><tr>");
  for (const Field *f = k->fields; f->arg; f++)
    srv_html_append (h, f->type == FIELD_MONEY || f->type == FIELD_INT ? "<th class=\"num\">%s</th>" : "<th>%s</th>",
                     _(f->label));
  srv_html_append (h, "<th></th></tr></thead><tbody>");
  for (guint i = 0; i < rows->len; i++)
    {
      char **row = g_ptr_array_index (rows, i);
      g_autofree char *key = key_value (k, row);
      g_autofree char *escaped = g_uri_escape_string (key, NULL, FALSE);

      srv_html_append (h, "<tr>");
      for (const Field *f = k->fields; f->arg; f++)
        cell (h, f, row[f->column]);
      if (admin)
        srv_html_append (h, "<td><a href=\"/console/master/%s?key=%s\">%s</a></td></tr>", k->name, escaped,
                         _("Edit"));
      else
        srv_html_append (h, "<td></td></tr>");
    }
  if (rows->len == 0)
    srv_html_append (h, "<tr><td colspan=\"20\" class=\"empty\">%s</td></tr>", _("None."));
  srv_html_append (h, "</tbody></table></section>");
  return TRUE;
}

/* Chain settings ------------------------------------------------------------------
 * The settings head office decides (mdn-settings.h, scope chain): settings.set
 * at the console's HQ terminal writes a setting.chain entry, which reaches
 * every branch through the feed. */

static char *
setting_value_dup (GHashTable          *values,
                   const MdnSettingDef *d)
{
  const char *v = values ? g_hash_table_lookup (values, d->key) : NULL;

  return g_strdup (v ? v : d->def);
}

static char *
setting_shown (const MdnSettingDef *d,
               const char          *value)
{
  if (d->type == MDN_SETTING_FEN)
    {
      g_autofree char *money = mdn_money_format (g_ascii_strtoll (value, NULL, 10));

      return g_strconcat ("¥", money, NULL);
    }
  if (d->type == MDN_SETTING_BOOL)
    return g_strdup (g_str_equal (value, "true") ? _("yes") : _("no"));
  return g_strdup (value);
}

static GHashTable *
setting_values (SrvPage *page,
                GError **error)
{
  g_autoptr(SrvRows) rows = srv_console_setting_rows (page->console->store, error);
  GHashTable *values;

  if (rows == NULL)
    return NULL;
  values = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  for (guint i = 0; i < rows->len; i++)
    {
      char **r = g_ptr_array_index (rows, i);

      g_hash_table_insert (values, g_strdup (r[0]), g_strdup (r[1]));
    }
  return values;
}

static gboolean
settings_table (SrvPage *page,
                SrvHtml *h,
                GError **error)
{
  g_autoptr(GHashTable) values = setting_values (page, error);
  gboolean admin = g_str_equal (page->user->role, "hq-admin");

  if (values == NULL)
    return FALSE;
  srv_html_append (h, "<section class=\"master\" id=\"setting\"><h2>%s</h2><table><thead><tr><th>%s</th><th>%s</th>"
                   "<th>%s</th><th></th></tr></thead><tbody>",
                   _("Chain settings"), _("Setting"), _("Value"), _("Default"));
  for (const MdnSettingDef *d = mdn_settings_table (); d->key; d++)
    {
      g_autofree char *value = NULL, *shown = NULL, *def = NULL;

      if (d->scope != MDN_SETTING_CHAIN)
        continue;
      value = setting_value_dup (values, d);
      shown = setting_shown (d, value);
      def = setting_shown (d, d->def);
      srv_html_append (h, "<tr><td>%s<br><small>%s</small></td><td>%s</td><td>%s</td>", _(d->title), _(d->help),
                       shown, def);
      if (admin)
        srv_html_append (h, "<td><a href=\"/console/master/setting?key=%s\">%s</a></td></tr>", d->key, _("Edit"));
      else
        srv_html_append (h, "<td></td></tr>");
    }
  srv_html_append (h, "</tbody></table></section>");
  return TRUE;
}

static void
setting_form (SrvPage             *page,
              const MdnSettingDef *d,
              const char          *value,
              const char          *message)
{
  g_autoptr(GHashTable) vars = srv_vars_new ();
  g_autoptr(SrvHtml) csrf = srv_page_csrf_input (page);
  SrvHtml *form = srv_html_new ();
  SrvHtml *msg = srv_html_new ();

  if (message)
    srv_html_append (msg, "<p class=\"error\" role=\"alert\">%s</p>", message);
  srv_html_append (form,
                   "<form method=\"post\" action=\"/console/master/setting\" class=\"grid\">%H"
                   "<input type=\"hidden\" name=\"key\" value=\"%s\"><p class=\"hint\">%s</p>",
                   csrf, d->key, _(d->help));
  switch (d->type)
    {
    case MDN_SETTING_BOOL:
      srv_html_append (form, g_strcmp0 (value, "true") == 0
                               ? "<label class=\"check\"><input type=\"checkbox\" name=\"value\" value=\"true\" checked> %s</label>"
                               : "<label class=\"check\"><input type=\"checkbox\" name=\"value\" value=\"true\"> %s</label>",
                       _(d->title));
      break;
    case MDN_SETTING_CHOICE:
      srv_html_append (form, "<label>%s <select name=\"value\">", _(d->title));
      for (guint i = 0; d->choices && d->choices[i]; i++)
        srv_html_append (form, g_strcmp0 (value, d->choices[i]) == 0 ? "<option selected>%s</option>"
                                                                     : "<option>%s</option>",
                         d->choices[i]);
      srv_html_append (form, "</select></label>");
      break;
    case MDN_SETTING_FEN:
      {
        g_autofree char *yuan = value && *value ? mdn_money_format_plain (g_ascii_strtoll (value, NULL, 10))
                                                : g_strdup ("");

        srv_html_append (form, "<label>%s <input name=\"value\" value=\"%s\" inputmode=\"decimal\" required></label>",
                         _(d->title), message ? value : yuan);
      }
      break;
    case MDN_SETTING_STRING:
      /* Empty is a value (the default): not required. */
      srv_html_append (form, "<label>%s <input name=\"value\" value=\"%s\" maxlength=\"%d\"></label>",
                       _(d->title), value ? value : "", (int) d->max);
      break;
    default:
      srv_html_append (form, "<label>%s <input name=\"value\" value=\"%s\" inputmode=\"numeric\" required></label>",
                       _(d->title), value ? value : "");
    }
  srv_html_append (form, "<div class=\"buttons\"><button type=\"submit\">%s</button> "
                   "<a href=\"/console/master#setting\">%s</a></div></form>",
                   _("Save for the whole chain"), _("Cancel"));
  srv_vars_text (vars, "title", _(d->title));
  srv_vars_html (vars, "message", msg);
  srv_vars_html (vars, "form", form);
  srv_page_reply (page, "master", _("Chain settings"), srv_template_render ("master-edit", vars));
}

static const MdnSettingDef *
chain_setting (const char *key)
{
  const MdnSettingDef *d = key ? mdn_settings_lookup (key) : NULL;

  return d && d->scope == MDN_SETTING_CHAIN ? d : NULL;
}

static void
setting_edit (SrvPage *page)
{
  g_autoptr(GError) error = NULL;
  const MdnSettingDef *d = chain_setting (srv_page_arg (page, "key"));
  g_autoptr(GHashTable) values = NULL;
  g_autofree char *value = NULL;

  if (d == NULL)
    {
      srv_page_error (page, SOUP_STATUS_NOT_FOUND, _("There is no such entry in the master data"));
      return;
    }
  values = setting_values (page, &error);
  if (values == NULL)
    {
      srv_page_error (page, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  value = setting_value_dup (values, d);
  setting_form (page, d, value, NULL);
}

static void
setting_post (SrvPage *page)
{
  g_autoptr(GError) error = NULL;
  const char *key = srv_page_arg (page, "key");
  const MdnSettingDef *d = chain_setting (key);
  const char *typed = page->form ? g_hash_table_lookup (page->form, "value") : NULL;
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) result = NULL;
  g_autofree char *done = NULL, *escaped = NULL, *location = NULL;
  gint64 fen = 0;

  if (d == NULL)
    {
      srv_page_error (page, SOUP_STATUS_NOT_FOUND, _("There is no such entry in the master data"));
      return;
    }
  json_object_set_string_member (args, "key", d->key);
  if (d->type == MDN_SETTING_BOOL)
    json_object_set_boolean_member (args, "value", g_strcmp0 (typed, "true") == 0);
  else if (d->type == MDN_SETTING_FEN && typed && mdn_money_parse (typed, &fen, NULL))
    json_object_set_int_member (args, "value", fen);
  else
    json_object_set_string_member (args, "value", typed ? typed : "");   /* the operation refuses a wrong one */
  result = srv_console_run_hq (page, "settings.set", args, &error);
  srv_page_audit (page, "settings.set", d->key, result != NULL, result ? typed : error->message,
                  result ? json_object_get_string_member_with_default (result, "entry_id", NULL) : NULL);
  if (result == NULL)
    {
      setting_form (page, d, typed, error->message);
      return;
    }
  done = g_strdup_printf (_("Saved %s: the branches receive it at their next sync"), _(d->title));
  escaped = g_uri_escape_string (done, NULL, FALSE);
  location = g_strconcat ("/console/master?done=", escaped, NULL);
  srv_page_redirect (page, location);
}

void
srv_console_master (SrvPage *page)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) vars = srv_vars_new ();
  SrvHtml *tables = srv_html_new ();
  SrvHtml *toc = srv_html_new ();

  for (guint i = 0; i < G_N_ELEMENTS (kinds); i++)
    {
      srv_html_append (toc, "<a href=\"#%s\">%s</a>", kinds[i].name, _(kinds[i].title));
      if (!table_of (page, &kinds[i], tables, &error))
        {
          srv_html_free (tables);
          srv_html_free (toc);
          srv_page_error (page, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
          return;
        }
    }
  srv_html_append (toc, "<a href=\"#setting\">%s</a>", _("Chain settings"));
  if (!settings_table (page, tables, &error))
    {
      srv_html_free (tables);
      srv_html_free (toc);
      srv_page_error (page, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
      return;
    }
  srv_vars_html (vars, "toc", toc);
  srv_vars_html (vars, "tables", tables);
  srv_page_reply (page, "master", _("Master data"), srv_template_render ("master", vars));
}

static void
input (SrvHtml     *h,
       const Field *f,
       const char  *value,
       gboolean     editing)
{
  g_autofree char *shown = NULL;

  if (f->type == FIELD_MONEY && value && *value)
    shown = mdn_money_format_plain (g_ascii_strtoll (value, NULL, 10));
  else
    shown = g_strdup (value ? value : "");
  if (f->type == FIELD_BOOL)
    {
      gboolean on = value ? g_str_equal (value, "1") : g_str_equal (f->arg, "active");

      srv_html_append (h, on ? "<label class=\"check\"><input type=\"checkbox\" name=\"%s\" value=\"1\" checked> %s</label>"
                             : "<label class=\"check\"><input type=\"checkbox\" name=\"%s\" value=\"1\"> %s</label>",
                       f->arg, _(f->label));
      return;
    }
  srv_html_append (h, "<label>%s ", _(f->label));
  if (f->type == FIELD_KIND)
    {
      static const char *const product_kinds[] = { "goods", "service", "package" };

      srv_html_append (h, "<select name=\"%s\">", f->arg);
      for (guint i = 0; i < G_N_ELEMENTS (product_kinds); i++)
        srv_html_append (h, g_strcmp0 (shown, product_kinds[i]) == 0 ? "<option value=\"%s\" selected>%s</option>"
                                                                     : "<option value=\"%s\">%s</option>",
                         product_kinds[i], product_kind_label (product_kinds[i]));
      srv_html_append (h, "</select></label>");
      return;
    }
  if (f->key && editing)
    srv_html_append (h, "<input name=\"%s\" value=\"%s\" readonly></label>", f->arg, shown);
  else
    srv_html_append (h,
                     f->required ? "<input name=\"%s\" value=\"%s\" inputmode=\"%s\" required></label>"
                                 : "<input name=\"%s\" value=\"%s\" inputmode=\"%s\"></label>",
                     f->arg, shown,
                     f->type == FIELD_MONEY ? "decimal" : f->type == FIELD_INT ? "numeric" : "text");
}

static void
edit_form (SrvPage          *page,
           const MasterKind *k,
           char            **row,
           GHashTable       *typed,
           const char       *message)
{
  g_autoptr(GHashTable) vars = srv_vars_new ();
  g_autoptr(SrvHtml) csrf = srv_page_csrf_input (page);
  SrvHtml *form = srv_html_new ();
  SrvHtml *msg = srv_html_new ();

  if (message)
    srv_html_append (msg, "<p class=\"error\" role=\"alert\">%s</p>", message);
  srv_html_append (form, "<form method=\"post\" action=\"/console/master/%s\" class=\"grid\">%H", k->name, csrf);
  for (const Field *f = k->fields; f->arg; f++)
    {
      const char *value = typed ? g_hash_table_lookup (typed, f->arg) : row ? row[f->column] : NULL;

      if (typed && f->type == FIELD_MONEY)
        {
          /* what was typed, as typed */
          srv_html_append (form, f->required ? "<label>%s <input name=\"%s\" value=\"%s\" required></label>"
                                             : "<label>%s <input name=\"%s\" value=\"%s\"></label>",
                           _(f->label), f->arg, value ? value : "");
          continue;
        }
      if (typed && f->type == FIELD_BOOL)
        value = value ? "1" : "0";
      input (form, f, value, row != NULL || (typed && f->key && message == NULL));
    }
  srv_html_append (form, "<div class=\"buttons\"><button type=\"submit\">%s</button> "
                   "<a href=\"/console/master#%s\">%s</a></div></form>",
                   _("Save for the whole chain"), k->name, _("Cancel"));
  srv_vars_text (vars, "title", _(k->title));
  srv_vars_html (vars, "message", msg);
  srv_vars_html (vars, "form", form);
  srv_page_reply (page, "master", _(k->title), srv_template_render ("master-edit", vars));
}

void
srv_console_master_edit (SrvPage *page)
{
  g_autoptr(GError) error = NULL;
  const MasterKind *k = kind_named (page->sub + strlen ("master/"));
  const char *key = srv_page_arg (page, "key");
  g_autoptr(SrvRows) rows = NULL;
  char **row = NULL;

  if (k == NULL && g_str_equal (page->sub, "master/setting"))
    {
      if (g_str_equal (page->user->role, "hq-admin"))
        setting_edit (page);
      else
        srv_page_error (page, SOUP_STATUS_FORBIDDEN, _("Only a head-office administrator edits master data"));
      return;
    }
  if (k == NULL)
    {
      srv_page_error (page, SOUP_STATUS_NOT_FOUND, _("There is no such page"));
      return;
    }
  if (!g_str_equal (page->user->role, "hq-admin"))
    {
      srv_page_error (page, SOUP_STATUS_FORBIDDEN, _("Only a head-office administrator edits master data"));
      return;
    }
  if (key && *key)
    {
      rows = k->rows (page->console->store, &error);
      if (rows == NULL)
        {
          srv_page_error (page, SOUP_STATUS_INTERNAL_SERVER_ERROR, error->message);
          return;
        }
      for (guint i = 0; i < rows->len && row == NULL; i++)
        {
          g_autofree char *v = key_value (k, g_ptr_array_index (rows, i));

          if (g_str_equal (v, key))
            row = g_ptr_array_index (rows, i);
        }
      if (row == NULL)
        {
          srv_page_error (page, SOUP_STATUS_NOT_FOUND, _("There is no such entry in the master data"));
          return;
        }
    }
  edit_form (page, k, row, NULL, NULL);
}

void
srv_console_master_post (SrvPage *page)
{
  g_autoptr(GError) error = NULL;
  const MasterKind *k = kind_named (page->sub + strlen ("master/"));
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) result = NULL;
  g_autofree char *done = NULL, *escaped = NULL, *location = NULL;
  const char *key = NULL;

  if (k == NULL && !g_str_equal (page->sub, "master/setting"))
    {
      srv_page_error (page, SOUP_STATUS_NOT_FOUND, _("There is no such page"));
      return;
    }
  if (!g_str_equal (page->user->role, "hq-admin"))
    {
      srv_page_audit (page, k ? k->op : "settings.set", NULL, FALSE, "not hq-admin", NULL);
      srv_page_error (page, SOUP_STATUS_FORBIDDEN, _("Only a head-office administrator edits master data"));
      return;
    }
  if (k == NULL)
    {
      setting_post (page);
      return;
    }
  for (const Field *f = k->fields; f->arg; f++)
    {
      const char *v = page->form ? g_hash_table_lookup (page->form, f->arg) : NULL;
      g_autofree char *trimmed = v ? g_strstrip (g_strdup (v)) : NULL;
      gint64 n;

      if (f->key)
        key = v;
      if (f->type == FIELD_BOOL)
        {
          json_object_set_boolean_member (args, f->arg, g_strcmp0 (v, "1") == 0);
          continue;
        }
      if (trimmed == NULL || *trimmed == '\0')
        continue;   /* the operation says what is missing */
      if (f->type == FIELD_INT && g_ascii_string_to_signed (trimmed, 10, G_MININT64, G_MAXINT64, &n, NULL))
        json_object_set_int_member (args, f->arg, n);
      else
        json_object_set_string_member (args, f->arg, trimmed);   /* an operation refuses a wrong one */
    }
  result = srv_console_run_hq (page, k->op, args, &error);
  srv_page_audit (page, k->op, key, result != NULL, result ? NULL : error->message,
                  result ? json_object_get_string_member_with_default (result, "entry_id", NULL) : NULL);
  if (result == NULL)
    {
      edit_form (page, k, NULL, page->form, error->message);
      return;
    }
  done = g_strdup_printf (_("Saved %s: the branches receive it at their next sync"), key ? key : "");
  escaped = g_uri_escape_string (done, NULL, FALSE);
  location = g_strconcat ("/console/master?done=", escaped, NULL);
  srv_page_redirect (page, location);
}
