/* pos-admin.c: the 系统设置 page (pos-admin.h). Its shell and the fixed
 * widgets of each sub-page are pos-admin.ui; the rows (roles × groups,
 * settings, products, levels, log lines) are made here from the answers
 * of the operations. Edits go through PosForm (pos-forms.h) and the
 * session, so common/ checks every permission. */
#define G_LOG_DOMAIN "pos-admin"

#include <glib/gi18n.h>
#include <inttypes.h>
#include <string.h>

#include "mdn-sync.h"
#include "pos-admin.h"
#include "pos-backup.h"
#include "mdn-money.h"
#include "pos-forms.h"
#include "pos-receipt.h"

struct _PosAdmin
{
  AdwBin      parent_instance;

  PosSession *session;
  JsonObject *groups;        /* permission.groups */
  GHashTable *checks;        /* "role\tgroup" -> GtkCheckButton */
  GHashTable *role_ops;      /* role -> JsonArray of its operations (role.show) */
  GHashTable *settings;      /* key -> widget */
  char       *category;      /* the category shown, NULL: all */
  gint64      log_next;      /* the "before" of the next page, 0: none */
  guint       search_id;

  GtkWidget  *stack;
  GtkWidget  *roles_grid;
  GtkWidget  *staff_list;
  GtkWidget  *settings_box;
  GtkWidget  *shop_name;
  GtkWidget  *shop_address;
  GtkWidget  *shop_phone;
  GtkWidget  *shop_header;
  GtkWidget  *shop_footer;
  GtkWidget  *category_list;
  GtkWidget  *product_search;
  GtkWidget  *product_archived;
  GtkWidget  *product_list;
  GtkWidget  *levels_list;
  GtkWidget  *rules_list;
  GtkWidget  *plans_list;
  GtkWidget  *resources_list;
  GtkWidget  *log_from;
  GtkWidget  *log_to;
  GtkWidget  *log_staff;
  GtkWidget  *log_op;
  GtkWidget  *log_outcome;
  GtkWidget  *log_list;
  GtkWidget  *log_more;
  GtkWidget  *backup_status;
};

G_DEFINE_FINAL_TYPE (PosAdmin, pos_admin, ADW_TYPE_BIN)

static const char *
str (JsonObject *o,
     const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_STRING
         ? json_node_get_string (n) : NULL;
}

static gint64
num (JsonObject *o,
     const char *name,
     gint64      fallback)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n && JSON_NODE_HOLDS_VALUE (n) && json_node_get_value_type (n) == G_TYPE_INT64
         ? json_node_get_int (n) : fallback;
}

static JsonArray *
arr (JsonObject *o,
     const char *name)
{
  JsonNode *n = o ? json_object_get_member (o, name) : NULL;

  return n && JSON_NODE_HOLDS_ARRAY (n) ? json_node_get_array (n) : NULL;
}

static void
clear_list (GtkWidget *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (list)))
    gtk_list_box_remove (GTK_LIST_BOX (list), child);
}

/* Runs @op with @args (NULL: none); shows the error and returns NULL. */
static JsonObject *
run (PosAdmin   *self,
     const char *op,
     JsonObject *args)
{
  g_autoptr(JsonObject) none = json_object_new ();
  g_autoptr(GError) error = NULL;
  JsonObject *r = pos_session_run (self->session, op, args ? args : none, &error);

  if (r == NULL)
    pos_show_error (GTK_WIDGET (self), _("Not done"), error);
  return r;
}

static GtkWidget *
row_new (const char *title,
         const char *subtitle)
{
  GtkWidget *row = adw_action_row_new ();
  g_autofree char *t = g_markup_escape_text (title ? title : "", -1);
  g_autofree char *s = subtitle ? g_markup_escape_text (subtitle, -1) : NULL;

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), t);
  if (s)
    adw_action_row_set_subtitle (ADW_ACTION_ROW (row), s);
  return row;
}

static GtkWidget *
edit_button (const char *label)
{
  GtkWidget *b = gtk_button_new_with_mnemonic (label);

  gtk_widget_set_valign (b, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (b, "flat");
  return b;
}

/* Permissions ---------------------------------------------------------------------------- */

/* Toggling a half-filled box makes it a plain one. */
static void
check_toggled_clear (GtkCheckButton *check,
                     gpointer        user_data)
{
  gtk_check_button_set_inconsistent (check, FALSE);
}

static void
load_roles (PosAdmin *self)
{
  g_autoptr(JsonObject) roles = NULL;
  g_autoptr(JsonObject) args = json_object_new ();
  JsonArray *groups, *list;
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (self->roles_grid)))
    gtk_grid_remove (GTK_GRID (self->roles_grid), child);
  g_hash_table_remove_all (self->checks);
  g_hash_table_remove_all (self->role_ops);
  g_clear_pointer (&self->groups, json_object_unref);
  self->groups = run (self, "permission.groups", NULL);
  json_object_set_boolean_member (args, "detail", TRUE);
  roles = run (self, "role.list", args);
  if (self->groups == NULL || roles == NULL)
    return;
  groups = arr (self->groups, "groups");
  list = arr (roles, "roles");
  for (guint g = 0; g < json_array_get_length (groups); g++)
    {
      JsonObject *go = json_array_get_object_element (groups, g);
      GtkWidget *l = gtk_label_new (str (go, "title"));

      gtk_label_set_wrap (GTK_LABEL (l), TRUE);
      gtk_label_set_max_width_chars (GTK_LABEL (l), 6);
      gtk_label_set_justify (GTK_LABEL (l), GTK_JUSTIFY_CENTER);
      gtk_widget_add_css_class (l, "heading");
      gtk_grid_attach (GTK_GRID (self->roles_grid), l, (int) g + 1, 0, 1, 1);
    }
  for (guint r = 0; r < json_array_get_length (list); r++)
    {
      JsonObject *ro = json_array_get_object_element (list, r);
      const char *code = str (ro, "code");
      g_autofree char *label = g_strdup_printf ("%s", str (ro, "name"));
      GtkWidget *l = gtk_label_new (label);
      JsonArray *held = arr (ro, "groups");
      gboolean admin = g_strcmp0 (code, "admin") == 0;

      gtk_widget_set_tooltip_text (l, code);
      gtk_label_set_xalign (GTK_LABEL (l), 0);
      gtk_grid_attach (GTK_GRID (self->roles_grid), l, 0, (int) r + 1, 1, 1);
      g_hash_table_insert (self->role_ops, g_strdup (code), json_array_ref (arr (ro, "operations")));
      for (guint g = 0; g < json_array_get_length (groups); g++)
        {
          const char *gcode = str (json_array_get_object_element (groups, g), "code");
          GtkWidget *check = gtk_check_button_new ();
          const char *holds = "none";

          for (guint h = 0; held && h < json_array_get_length (held); h++)
            if (g_strcmp0 (str (json_array_get_object_element (held, h), "group"), gcode) == 0)
              holds = str (json_array_get_object_element (held, h), "holds");
          gtk_check_button_set_active (GTK_CHECK_BUTTON (check), g_strcmp0 (holds, "all") == 0);
          gtk_check_button_set_inconsistent (GTK_CHECK_BUTTON (check), g_strcmp0 (holds, "some") == 0);
          gtk_widget_set_halign (check, GTK_ALIGN_CENTER);
          gtk_widget_set_sensitive (check, !admin && pos_session_can (self->session, "role.upsert"));
          g_signal_connect (check, "toggled", G_CALLBACK (check_toggled_clear), NULL);
          gtk_grid_attach (GTK_GRID (self->roles_grid), check, (int) g + 1, (int) r + 1, 1, 1);
          g_hash_table_insert (self->checks, g_strdup_printf ("%s\t%s", code, gcode), check);
        }
    }
}

static void
save_role (PosAdmin   *self,
           JsonObject *role,
           JsonArray  *groups)
{
  const char *code = str (role, "code");
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) r = NULL;
  JsonArray *perms = json_array_new ();
  JsonArray *ops = g_hash_table_lookup (self->role_ops, code);

  json_object_set_string_member (args, "code", code);
  json_object_set_string_member (args, "name", str (role, "name"));
  json_object_set_array_member (args, "permissions", perms);
  for (guint g = 0; g < json_array_get_length (groups); g++)
    {
      JsonObject *go = json_array_get_object_element (groups, g);
      g_autofree char *key = g_strdup_printf ("%s\t%s", code, str (go, "code"));
      GtkCheckButton *check = g_hash_table_lookup (self->checks, key);
      JsonArray *gops = arr (go, "operations");

      if (check == NULL)
        continue;
      if (gtk_check_button_get_inconsistent (check))
        {
          /* Some of the group, as before: its operations by name. */
          for (guint o = 0; gops && o < json_array_get_length (gops); o++)
            {
              const char *op = str (json_array_get_object_element (gops, o), "op");

              for (guint k = 0; ops && k < json_array_get_length (ops); k++)
                if (g_strcmp0 (json_array_get_string_element (ops, k), op) == 0)
                  json_array_add_string_element (perms, op);
            }
        }
      else if (gtk_check_button_get_active (check))
        json_array_add_string_element (perms, str (go, "code"));
    }
  r = run (self, "role.upsert", args);
}

void
pos_admin_save_roles (PosAdmin *self)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) roles = NULL;
  JsonArray *list;

  g_return_if_fail (POS_IS_ADMIN (self));

  if (self->groups == NULL)
    return;
  roles = run (self, "role.list", args);
  list = arr (roles, "roles");
  for (guint r = 0; list && r < json_array_get_length (list); r++)
    {
      JsonObject *ro = json_array_get_object_element (list, r);

      if (g_strcmp0 (str (ro, "code"), "admin") != 0)
        save_role (self, ro, arr (self->groups, "groups"));
    }
  pos_toast (GTK_WIDGET (self), _("Permissions saved"));
  load_roles (self);
}

static void
roles_save_action (GtkWidget *widget, const char *name, GVariant *param)
{
  pos_admin_save_roles (POS_ADMIN (widget));
}

static gboolean
role_new_accepted (PosForm *form, gpointer user_data)
{
  PosAdmin *self = user_data;
  g_autoptr(JsonObject) args = json_object_new ();
  JsonArray *perms = json_array_new ();

  json_object_set_string_member (args, "code", pos_form_get (form, "code"));
  json_object_set_string_member (args, "name", pos_form_get (form, "name"));
  json_array_add_string_element (perms, pos_form_get (form, "base"));
  json_object_set_array_member (args, "permissions", perms);
  pos_form_run_op (form, self->session, "role.upsert", args, NULL, NULL, NULL);
  return FALSE;
}

static void
role_new_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosAdmin *self = POS_ADMIN (widget);
  PosForm *form = pos_form_new (widget, _("New Role"), _("_Create"));
  static const char *const ids[] = { "@cashier", "@manager", NULL };
  const char *labels[] = { _("What a cashier may do"), _("What a manager may do"), NULL };

  pos_form_set_body (form, _("Start from the tasks of a cashier or a manager; change the groups in the matrix afterwards."));
  pos_form_add_field (form, "code", _("Code (letters and digits)"), POS_FIELD_TEXT, NULL);
  pos_form_add_field (form, "name", _("Role name"), POS_FIELD_TEXT, NULL);
  pos_form_add_choice (form, "base", _("Starts with"), ids, labels, 0);
  pos_form_run (form, role_new_accepted, self, NULL);
  g_signal_connect_object (form, "destroy", G_CALLBACK (load_roles), self, G_CONNECT_SWAPPED);
}

/* Staff ---------------------------------------------------------------------------------- */

static void load_staff (PosAdmin *self);

typedef struct
{
  PosAdmin *self;
  char     *code;
} StaffEdit;

static void
staff_edit_free (StaffEdit *e)
{
  g_free (e->code);
  g_free (e);
}

static char **
role_choices (PosAdmin *self,
              char   ***labels)
{
  g_autoptr(JsonObject) roles = run (self, "role.list", NULL);
  JsonArray *list = arr (roles, "roles");
  GPtrArray *ids = g_ptr_array_new (), *names = g_ptr_array_new ();

  for (guint i = 0; list && i < json_array_get_length (list); i++)
    {
      JsonObject *o = json_array_get_object_element (list, i);

      g_ptr_array_add (ids, g_strdup (str (o, "code")));
      g_ptr_array_add (names, g_strdup (str (o, "name")));
    }
  g_ptr_array_add (ids, NULL);
  g_ptr_array_add (names, NULL);
  *labels = (char **) g_ptr_array_free (names, FALSE);
  return (char **) g_ptr_array_free (ids, FALSE);
}

static gboolean
staff_accepted (PosForm *form, gpointer user_data)
{
  StaffEdit *e = user_data;
  g_autoptr(JsonObject) args = json_object_new ();

  json_object_set_string_member (args, "code", e->code ? e->code : pos_form_get (form, "code"));
  json_object_set_string_member (args, "name", pos_form_get (form, "name"));
  json_object_set_string_member (args, "role", pos_form_get (form, "role"));
  if (e->code == NULL)
    json_object_set_string_member (args, "password", pos_form_get (form, "password"));
  pos_form_run_op (form, e->self->session, e->code ? "staff.update" : "staff.add", args, NULL, NULL, NULL);
  return FALSE;
}

static void
staff_form (PosAdmin   *self,
            JsonObject *staff)
{
  PosForm *form = pos_form_new (GTK_WIDGET (self), staff ? _("Change Staff Member") : _("New Staff Member"),
                                staff ? _("_Save") : _("_Add"));
  g_auto(GStrv) labels = NULL;
  g_auto(GStrv) ids = role_choices (self, &labels);
  StaffEdit *e = g_new0 (StaffEdit, 1);
  guint selected = 0;

  e->self = self;
  e->code = staff ? g_strdup (str (staff, "code")) : NULL;
  for (guint i = 0; ids[i]; i++)
    if (g_strcmp0 (ids[i], staff ? str (staff, "role") : "cashier") == 0)
      selected = i;
  if (staff == NULL)
    pos_form_add_field (form, "code", _("Staff code"), POS_FIELD_TEXT, NULL);
  pos_form_add_field (form, "name", _("Name"), POS_FIELD_TEXT, staff ? str (staff, "name") : NULL);
  pos_form_add_choice (form, "role", _("Role"), (const char *const *) ids, (const char *const *) labels, selected);
  if (staff == NULL)
    pos_form_add_field (form, "password", _("Password (at least 6 characters)"), POS_FIELD_PASSWORD, NULL);
  pos_form_run (form, staff_accepted, e, (GDestroyNotify) staff_edit_free);
  g_signal_connect_object (form, "destroy", G_CALLBACK (load_staff), self, G_CONNECT_SWAPPED);
}

static void
staff_new_action (GtkWidget *widget, const char *name, GVariant *param)
{
  staff_form (POS_ADMIN (widget), NULL);
}

static void
staff_edit_clicked (GtkButton *button,
                    PosAdmin  *self)
{
  staff_form (self, g_object_get_data (G_OBJECT (button), "pos-staff"));
}

static void
load_staff (PosAdmin *self)
{
  g_autoptr(JsonObject) r = NULL;
  JsonArray *list;

  clear_list (self->staff_list);
  if (!pos_session_can (self->session, "staff.list"))
    return;
  r = run (self, "staff.list", NULL);
  list = arr (r, "staff");
  for (guint i = 0; list && i < json_array_get_length (list); i++)
    {
      JsonObject *o = json_array_get_object_element (list, i);
      g_autofree char *title = g_strdup_printf ("%s %s", str (o, "name"), str (o, "code"));
      g_autofree char *sub = g_strdup_printf ("%s%s", str (o, "role_name") ? str (o, "role_name") : str (o, "role"),
                                              json_object_get_boolean_member (o, "active") ? "" : _(" · disabled"));
      GtkWidget *row = row_new (title, sub);
      GtkWidget *b = edit_button (_("_Change…"));

      g_object_set_data_full (G_OBJECT (b), "pos-staff", json_object_ref (o), (GDestroyNotify) json_object_unref);
      g_signal_connect (b, "clicked", G_CALLBACK (staff_edit_clicked), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), b);
      gtk_list_box_append (GTK_LIST_BOX (self->staff_list), row);
    }
}

/* Settings ------------------------------------------------------------------------------- */

static const struct { const char *topic; const char *title; } topics[] = {
  { "checkout", N_("Checkout") },
  { "stock",    N_("Stock") },
  { "member",   N_("Members") },
  { "reminder", N_("Reminders") },
  { "sms",      N_("SMS to members") },
  { "backup",   N_("Backup") },
};

static void
setting_set (PosAdmin   *self,
             const char *key,
             const char *value)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) r = NULL;

  json_object_set_string_member (args, "key", key);
  json_object_set_string_member (args, "value", value);
  r = run (self, "settings.set", args);
  if (r)
    pos_toast (GTK_WIDGET (self), _("Setting saved"));
}

static void
switch_changed (GtkSwitch  *sw,
                GParamSpec *pspec,
                PosAdmin   *self)
{
  setting_set (self, g_object_get_data (G_OBJECT (sw), "pos-key"), gtk_switch_get_active (sw) ? "true" : "false");
}

static void
spin_changed (GtkSpinButton *spin,
              PosAdmin      *self)
{
  g_autofree char *v = NULL;
  gboolean fen = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (spin), "pos-fen"));
  double d = gtk_spin_button_get_value (spin);

  /* A money value is shown in yuan with 2 decimals and kept in fen. */
  v = g_strdup_printf ("%" PRId64, fen ? (gint64) (d * 100 + (d >= 0 ? 0.5 : -0.5)) : (gint64) d);
  setting_set (self, g_object_get_data (G_OBJECT (spin), "pos-key"), v);
}

/* A text setting is saved when Enter is pressed in it or its button clicked. */
static void
entry_save (GtkWidget *widget,
            PosAdmin  *self)
{
  GtkWidget *entry = g_object_get_data (G_OBJECT (widget), "pos-entry");

  setting_set (self, g_object_get_data (G_OBJECT (entry), "pos-key"), gtk_editable_get_text (GTK_EDITABLE (entry)));
}

static void
drop_changed (GtkDropDown *drop,
              GParamSpec  *pspec,
              PosAdmin    *self)
{
  const char *const *choices = g_object_get_data (G_OBJECT (drop), "pos-choices");
  guint i = gtk_drop_down_get_selected (drop);

  if (choices && i < g_strv_length ((char **) choices))
    setting_set (self, g_object_get_data (G_OBJECT (drop), "pos-key"), choices[i]);
}

static const char *
choice_label (const char *key,
              const char *choice)
{
  if (g_str_equal (key, "checkout.cash_rounding"))
    {
      if (g_str_equal (choice, "none")) return _("No rounding");
      if (g_str_equal (choice, "jiao")) return _("Drop the fen (抹分)");
      if (g_str_equal (choice, "yuan")) return _("Drop the jiao (抹角)");
    }
  if (g_str_equal (key, "member.pin_length"))
    return g_str_equal (choice, "4") ? _("4 digits") : _("6 digits");
  return choice;
}

static void
load_settings (PosAdmin *self)
{
  g_autoptr(JsonObject) r = run (self, "settings.list", NULL);
  JsonArray *list = arr (r, "settings");
  MdnStore *store = pos_session_get_store (self->session);
  gboolean can = pos_session_can (self->session, "settings.set");
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (self->settings_box)))
    gtk_box_remove (GTK_BOX (self->settings_box), child);
  g_hash_table_remove_all (self->settings);
  for (guint t = 0; t < G_N_ELEMENTS (topics); t++)
    {
      GtkWidget *group = adw_preferences_group_new ();
      guint n = 0;

      adw_preferences_group_set_title (ADW_PREFERENCES_GROUP (group), _(topics[t].title));
      for (guint i = 0; list && i < json_array_get_length (list); i++)
        {
          JsonObject *o = json_array_get_object_element (list, i);
          const char *key = str (o, "key"), *type = str (o, "type"), *value = str (o, "value");
          gboolean chain = g_strcmp0 (str (o, "scope"), "chain") == 0;
          g_autofree char *sub = g_strdup_printf ("%s%s", str (o, "help"),
                                                  chain ? _(" (set by head office for the chain)") : "");
          GtkWidget *row, *w;

          if (g_strcmp0 (str (o, "topic"), topics[t].topic) != 0)
            continue;
          row = row_new (str (o, "title"), sub);
          if (g_strcmp0 (type, "bool") == 0)
            {
              w = gtk_switch_new ();
              gtk_switch_set_active (GTK_SWITCH (w), g_strcmp0 (value, "true") == 0);
              g_object_set_data_full (G_OBJECT (w), "pos-key", g_strdup (key), g_free);
              g_signal_connect (w, "notify::active", G_CALLBACK (switch_changed), self);
            }
          else if (g_strcmp0 (type, "choice") == 0)
            {
              JsonArray *choices = arr (o, "choices");
              GPtrArray *ids = g_ptr_array_new_with_free_func (g_free);
              g_autoptr(GtkStringList) labels = gtk_string_list_new (NULL);
              guint selected = 0;

              for (guint c = 0; choices && c < json_array_get_length (choices); c++)
                {
                  const char *id = json_array_get_string_element (choices, c);

                  g_ptr_array_add (ids, g_strdup (id));
                  gtk_string_list_append (labels, choice_label (key, id));
                  if (g_strcmp0 (id, value) == 0)
                    selected = c;
                }
              g_ptr_array_add (ids, NULL);
              w = gtk_drop_down_new (G_LIST_MODEL (g_object_ref (labels)), NULL);
              gtk_drop_down_set_selected (GTK_DROP_DOWN (w), selected);
              g_object_set_data_full (G_OBJECT (w), "pos-choices", g_ptr_array_free (ids, FALSE),
                                      (GDestroyNotify) g_strfreev);
              g_object_set_data_full (G_OBJECT (w), "pos-key", g_strdup (key), g_free);
              g_signal_connect (w, "notify::selected", G_CALLBACK (drop_changed), self);
            }
          else if (g_strcmp0 (type, "string") == 0)
            {
              GtkWidget *save = gtk_button_new_with_mnemonic (_("_Save"));

              w = gtk_entry_new ();
              gtk_editable_set_text (GTK_EDITABLE (w), value ? value : "");
              gtk_editable_set_width_chars (GTK_EDITABLE (w), 26);
              gtk_entry_set_max_length (GTK_ENTRY (w), (int) num (o, "max", 0));
              if (g_strcmp0 (str (o, "format"), "url") == 0)
                {
                  gtk_entry_set_input_purpose (GTK_ENTRY (w), GTK_INPUT_PURPOSE_URL);
                  gtk_entry_set_placeholder_text (GTK_ENTRY (w), "https://vip.example.com");
                }
              else if (g_strcmp0 (str (o, "format"), "path") == 0)
                gtk_entry_set_placeholder_text (GTK_ENTRY (w), _("(beside the ledger)"));
              g_object_set_data_full (G_OBJECT (w), "pos-key", g_strdup (key), g_free);
              g_object_set_data (G_OBJECT (w), "pos-entry", w);
              g_object_set_data (G_OBJECT (save), "pos-entry", w);
              gtk_widget_set_hexpand (w, TRUE);
              g_signal_connect (w, "activate", G_CALLBACK (entry_save), self);
              g_signal_connect (save, "clicked", G_CALLBACK (entry_save), self);
              gtk_widget_set_valign (save, GTK_ALIGN_CENTER);
              gtk_widget_set_sensitive (save, can && (!chain || store->hq));
              adw_action_row_add_suffix (ADW_ACTION_ROW (row), w);
              adw_action_row_add_suffix (ADW_ACTION_ROW (row), save);
              gtk_widget_set_valign (w, GTK_ALIGN_CENTER);
              gtk_widget_set_sensitive (w, can && (!chain || store->hq));
              adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
              g_hash_table_insert (self->settings, g_strdup (key), w);
              n++;
              continue;
            }
          else
            {
              gboolean fen = g_strcmp0 (type, "fen") == 0;
              double div = fen ? 100.0 : 1.0;
              gint64 v = g_ascii_strtoll (value ? value : "0", NULL, 10);

              w = gtk_spin_button_new_with_range ((double) num (o, "min", 0) / div, (double) num (o, "max", 100000) / div,
                                                  fen ? 0.01 : 1);
              gtk_spin_button_set_digits (GTK_SPIN_BUTTON (w), fen ? 2 : 0);
              gtk_spin_button_set_value (GTK_SPIN_BUTTON (w), (double) v / div);
              g_object_set_data (G_OBJECT (w), "pos-fen", GINT_TO_POINTER (fen));
              g_object_set_data_full (G_OBJECT (w), "pos-key", g_strdup (key), g_free);
              g_signal_connect (w, "value-changed", G_CALLBACK (spin_changed), self);
            }
          gtk_widget_set_valign (w, GTK_ALIGN_CENTER);
          /* A chain setting is changed at the head-office terminal only. */
          gtk_widget_set_sensitive (w, can && (!chain || store->hq));
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), w);
          adw_preferences_group_add (ADW_PREFERENCES_GROUP (group), row);
          g_hash_table_insert (self->settings, g_strdup (key), w);
          n++;
        }
      if (n > 0)
        gtk_box_append (GTK_BOX (self->settings_box), group);
      else
        g_object_ref_sink (group), g_object_unref (group);
    }
}

/* Shop --------------------------------------------------------------------------------- */

/* What every receipt prints of the shop. */
static void
receipt_shop (JsonObject *r)
{
  g_autoptr(GString) lines = g_string_new (NULL);
  const char *keys[] = { "address", "phone", "receipt_header" };

  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    if (str (r, keys[i]) && *str (r, keys[i]))
      g_string_append_printf (lines, "%s%s", lines->len ? "\n" : "", str (r, keys[i]));
  pos_receipt_set_shop (str (r, "name"), lines->str, str (r, "receipt_footer"));
}

static void
load_shop (PosAdmin *self)
{
  g_autoptr(JsonObject) r = run (self, "shop.show", NULL);

  if (r == NULL)
    return;
  receipt_shop (r);
  gtk_editable_set_text (GTK_EDITABLE (self->shop_name), str (r, "name"));
  gtk_editable_set_text (GTK_EDITABLE (self->shop_address), str (r, "address"));
  gtk_editable_set_text (GTK_EDITABLE (self->shop_phone), str (r, "phone"));
  gtk_editable_set_text (GTK_EDITABLE (self->shop_header), str (r, "receipt_header"));
  gtk_editable_set_text (GTK_EDITABLE (self->shop_footer), str (r, "receipt_footer"));
}

static void
shop_save_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosAdmin *self = POS_ADMIN (widget);
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) r = NULL;

  json_object_set_string_member (args, "name", gtk_editable_get_text (GTK_EDITABLE (self->shop_name)));
  json_object_set_string_member (args, "address", gtk_editable_get_text (GTK_EDITABLE (self->shop_address)));
  json_object_set_string_member (args, "phone", gtk_editable_get_text (GTK_EDITABLE (self->shop_phone)));
  json_object_set_string_member (args, "receipt_header", gtk_editable_get_text (GTK_EDITABLE (self->shop_header)));
  json_object_set_string_member (args, "receipt_footer", gtk_editable_get_text (GTK_EDITABLE (self->shop_footer)));
  r = run (self, "shop.update", args);
  if (r)
    {
      receipt_shop (r);
      pos_toast (widget, _("Shop details saved"));
    }
}

/* Products and categories ---------------------------------------------------------------- */

static void load_products (PosAdmin *self);
static void load_categories (PosAdmin *self);

static void
category_selected (GtkListBox    *list,
                   GtkListBoxRow *row,
                   PosAdmin      *self)
{
  const char *path = row ? g_object_get_data (G_OBJECT (row), "pos-path") : NULL;

  g_free (self->category);
  self->category = g_strdup (path);
  load_products (self);
}

static void
load_categories (PosAdmin *self)
{
  g_autoptr(JsonObject) r = run (self, "category.list", NULL);
  JsonArray *list = arr (r, "categories");
  GtkWidget *all;

  g_signal_handlers_block_by_func (self->category_list, category_selected, self);
  clear_list (self->category_list);
  all = gtk_label_new (_("All products"));
  gtk_label_set_xalign (GTK_LABEL (all), 0);
  gtk_list_box_append (GTK_LIST_BOX (self->category_list), all);
  for (guint i = 0; list && i < json_array_get_length (list); i++)
    {
      JsonObject *o = json_array_get_object_element (list, i);
      g_autofree char *text = g_strdup_printf ("%s  (%" PRId64 ")", str (o, "name"), num (o, "products", 0));
      GtkWidget *l = gtk_label_new (text);
      GtkListBoxRow *row;

      gtk_label_set_xalign (GTK_LABEL (l), 0);
      gtk_widget_set_margin_start (l, 18 * (int) (num (o, "level", 1) - 1));
      gtk_list_box_append (GTK_LIST_BOX (self->category_list), l);
      row = GTK_LIST_BOX_ROW (gtk_widget_get_parent (l));
      g_object_set_data_full (G_OBJECT (row), "pos-path", g_strdup (str (o, "path")), g_free);
      if (g_strcmp0 (self->category, str (o, "path")) == 0)
        gtk_list_box_select_row (GTK_LIST_BOX (self->category_list), row);
    }
  if (self->category == NULL)
    gtk_list_box_select_row (GTK_LIST_BOX (self->category_list),
                             GTK_LIST_BOX_ROW (gtk_widget_get_parent (all)));
  g_signal_handlers_unblock_by_func (self->category_list, category_selected, self);
}

typedef struct
{
  PosAdmin *self;
  char     *sku;    /* NULL: a new product */
} ProductEdit;

static void
product_edit_free (ProductEdit *e)
{
  g_free (e->sku);
  g_free (e);
}

static const char *const kind_ids[] = { "goods", "service", "package", NULL };

static gboolean
product_accepted (PosForm *form, gpointer user_data)
{
  ProductEdit *e = user_data;
  g_autoptr(JsonObject) args = json_object_new ();
  const char *category = pos_form_get (form, "category");
  const char *barcode = pos_form_get (form, "barcode");

  json_object_set_string_member (args, "sku", e->sku ? e->sku : pos_form_get (form, "sku"));
  json_object_set_string_member (args, "name", pos_form_get (form, "name"));
  json_object_set_string_member (args, "price", pos_form_get (form, "price"));
  json_object_set_string_member (args, "kind", pos_form_get (form, "kind"));
  if (category && *category)
    json_object_set_string_member (args, "category", category);
  else if (e->sku)
    json_object_set_null_member (args, "category");
  if (barcode && *barcode)
    json_object_set_string_member (args, "barcode", barcode);
  else if (e->sku)
    json_object_set_null_member (args, "barcode");
  pos_form_run_op (form, e->self->session, e->sku ? "product.update" : "product.upsert", args, NULL, NULL, NULL);
  return FALSE;
}

static GtkWidget *
product_form (PosAdmin   *self,
              JsonObject *p)
{
  PosForm *form = pos_form_new (GTK_WIDGET (self), p ? _("Edit Product") : _("New Product"), p ? _("_Save") : _("_Add"));
  const char *kind_labels[] = { _("Goods"), _("Service"), _("Package of uses"), NULL };
  ProductEdit *e = g_new0 (ProductEdit, 1);
  g_autofree char *price = p ? mdn_money_format (num (p, "price_fen", 0)) : NULL;
  guint kind = 0;

  e->self = self;
  e->sku = p ? g_strdup (str (p, "sku")) : NULL;
  for (guint i = 0; p && kind_ids[i]; i++)
    if (g_strcmp0 (kind_ids[i], str (p, "kind")) == 0)
      kind = i;
  if (p)
    {
      g_autofree char *body = g_strdup_printf (_("Product %s. Only what you change is saved."), str (p, "sku"));
      pos_form_set_body (form, body);
    }
  else
    pos_form_add_field (form, "sku", _("SKU"), POS_FIELD_TEXT, NULL);
  pos_form_add_field (form, "name", _("Product name"), POS_FIELD_TEXT, p ? str (p, "name") : NULL);
  pos_form_add_field (form, "price", _("Price (yuan)"), POS_FIELD_MONEY, price);
  pos_form_add_choice (form, "kind", _("Kind"), kind_ids, kind_labels, kind);
  pos_form_add_field (form, "category", _("Category, like 饮品/茶/绿茶"), POS_FIELD_TEXT,
                      p ? str (p, "category") : self->category);
  pos_form_add_field (form, "barcode", _("Barcode"), POS_FIELD_TEXT, p ? str (p, "barcode") : NULL);
  pos_form_run (form, product_accepted, e, (GDestroyNotify) product_edit_free);
  g_signal_connect_object (form, "destroy", G_CALLBACK (load_products), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (form, "destroy", G_CALLBACK (load_categories), self, G_CONNECT_SWAPPED);
  return GTK_WIDGET (form);
}

static void
product_new_action (GtkWidget *widget, const char *name, GVariant *param)
{
  product_form (POS_ADMIN (widget), NULL);
}

static void
product_edit_clicked (GtkButton *button,
                      PosAdmin  *self)
{
  product_form (self, g_object_get_data (G_OBJECT (button), "pos-product"));
}

static void
product_archive_clicked (GtkButton *button,
                         PosAdmin  *self)
{
  JsonObject *p = g_object_get_data (G_OBJECT (button), "pos-product");
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) r = NULL;
  gboolean active = json_object_get_boolean_member (p, "active");

  json_object_set_string_member (args, "sku", str (p, "sku"));
  r = run (self, active ? "product.archive" : "product.unarchive", args);
  if (r)
    {
      g_autofree char *msg = g_strdup_printf (active ? _("%s archived: it can't be sold, its history stays")
                                                     : _("%s can be sold again"), str (p, "name"));
      pos_toast (GTK_WIDGET (self), msg);
    }
  load_products (self);
}

static void
load_products (PosAdmin *self)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) r = NULL;
  JsonArray *list;
  gboolean can;

  if (self->session == NULL || !pos_session_is_logged_in (self->session))
    return;
  can = pos_session_can (self->session, "product.update");
  clear_list (self->product_list);
  json_object_set_string_member (args, "query", gtk_editable_get_text (GTK_EDITABLE (self->product_search)));
  if (self->category)
    json_object_set_string_member (args, "category", self->category);
  json_object_set_boolean_member (args, "include_inactive",
                                  gtk_check_button_get_active (GTK_CHECK_BUTTON (self->product_archived)));
  json_object_set_int_member (args, "limit", 200);
  r = run (self, "product.search", args);
  list = arr (r, "products");
  for (guint i = 0; list && i < json_array_get_length (list); i++)
    {
      JsonObject *p = json_array_get_object_element (list, i);
      g_autofree char *price = pos_money (num (p, "price_fen", 0));
      gboolean active = json_object_get_boolean_member (p, "active");
      g_autofree char *sub = g_strdup_printf ("%s · %s%s%s%s", str (p, "sku"), price,
                                              str (p, "category") ? " · " : "",
                                              str (p, "category") ? str (p, "category") : "",
                                              active ? "" : _(" · archived"));
      GtkWidget *row = row_new (str (p, "name"), sub);
      GtkWidget *edit = edit_button (_("_Edit…"));
      GtkWidget *archive = edit_button (active ? _("_Archive") : _("_Bring Back"));

      gtk_widget_set_sensitive (edit, can);
      gtk_widget_set_sensitive (archive, can);
      g_object_set_data_full (G_OBJECT (edit), "pos-product", json_object_ref (p), (GDestroyNotify) json_object_unref);
      g_object_set_data_full (G_OBJECT (archive), "pos-product", json_object_ref (p), (GDestroyNotify) json_object_unref);
      g_signal_connect (edit, "clicked", G_CALLBACK (product_edit_clicked), self);
      g_signal_connect (archive, "clicked", G_CALLBACK (product_archive_clicked), self);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), edit);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), archive);
      gtk_list_box_append (GTK_LIST_BOX (self->product_list), row);
    }
  if (list && json_array_get_length (list) == 0)
    gtk_list_box_append (GTK_LIST_BOX (self->product_list), row_new (_("No products here"), NULL));
}

static gboolean
search_now (gpointer data)
{
  PosAdmin *self = data;

  self->search_id = 0;
  load_products (self);
  return G_SOURCE_REMOVE;
}

static void
search_changed (PosAdmin *self)
{
  g_clear_handle_id (&self->search_id, g_source_remove);
  self->search_id = g_timeout_add (200, search_now, self);
}

static gboolean
category_accepted (PosForm *form, gpointer user_data)
{
  PosAdmin *self = user_data;
  g_autoptr(JsonObject) args = json_object_new ();

  json_object_set_string_member (args, "path", pos_form_get (form, "path"));
  pos_form_run_op (form, self->session, "category.upsert", args, NULL, NULL, NULL);
  return FALSE;
}

static void
category_new_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosAdmin *self = POS_ADMIN (widget);
  PosForm *form = pos_form_new (widget, _("New Category"), _("_Add"));
  g_autofree char *initial = self->category ? g_strconcat (self->category, "/", NULL) : NULL;

  pos_form_set_body (form, _("Up to three levels, the levels separated by “/”: 饮品, 饮品/茶, 饮品/茶/绿茶."));
  pos_form_add_field (form, "path", _("Category"), POS_FIELD_TEXT, initial);
  pos_form_run (form, category_accepted, self, NULL);
  g_signal_connect_object (form, "destroy", G_CALLBACK (load_categories), self, G_CONNECT_SWAPPED);
}

static void
category_archived (gpointer user_data)
{
  PosAdmin *self = user_data;
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) r = NULL;

  json_object_set_string_member (args, "path", self->category);
  r = run (self, "category.archive", args);
  g_clear_pointer (&self->category, g_free);
  load_categories (self);
  load_products (self);
}

static void
category_archive_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosAdmin *self = POS_ADMIN (widget);
  g_autofree char *body = NULL;

  if (self->category == NULL)
    return;
  body = g_strdup_printf (_("%s and the categories below it leave the tree. Their products keep their category and are still sold."),
                          self->category);
  pos_confirm (widget, _("Archive the category?"), body, _("_Archive"), TRUE, category_archived, self);
}

/* Levels, rules, plans, tables ------------------------------------------------------------ */

typedef struct
{
  const char  *key;       /* the argument; a money one is listed as key_fen */
  const char  *label;
  PosFieldKind kind;
  gboolean     fixed;     /* the code: not changed when editing */
  gboolean     optional;
} Field;

typedef struct
{
  const char  *list_op;
  const char  *array;
  const char  *upsert_op;
  const char  *title_new;
  const char  *title_edit;
  const Field *fields;
} Table;

static const Field level_fields[] = {
  { "code", N_("Code"), POS_FIELD_TEXT, TRUE },
  { "name", N_("Display name"), POS_FIELD_TEXT },
  { "price_percent", N_("Price paid, in % (90 is ten percent off)"), POS_FIELD_NUMBER },
  { "points_per_yuan", N_("Points per yuan"), POS_FIELD_NUMBER },
  { "offline_limit", N_("Offline allowance (yuan)"), POS_FIELD_MONEY, FALSE, TRUE },
  { "upgrade_spent", N_("Reached by spending (yuan, empty: never)"), POS_FIELD_MONEY, FALSE, TRUE },
  { "upgrade_deposit", N_("Reached by topping up (yuan, empty: never)"), POS_FIELD_MONEY, FALSE, TRUE },
  { NULL }
};
static const Field rule_fields[] = {
  { "min", N_("Top-up of at least (yuan)"), POS_FIELD_MONEY, TRUE },
  { "bonus", N_("Bonus (yuan, 0 removes the rule)"), POS_FIELD_MONEY },
  { NULL }
};
static const Field plan_fields[] = {
  { "code", N_("Code"), POS_FIELD_TEXT, TRUE },
  { "name", N_("Display name"), POS_FIELD_TEXT },
  { "unit_minutes", N_("Minutes per unit"), POS_FIELD_NUMBER },
  { "unit_price", N_("Price per unit (yuan)"), POS_FIELD_MONEY },
  { "free_minutes", N_("Free minutes"), POS_FIELD_NUMBER, FALSE, TRUE },
  { "min_minutes", N_("Least minutes charged"), POS_FIELD_NUMBER, FALSE, TRUE },
  { "cap", N_("Most charged (yuan, empty: no cap)"), POS_FIELD_MONEY, FALSE, TRUE },
  { NULL }
};
static const Field resource_fields[] = {
  { "code", N_("Code"), POS_FIELD_TEXT, TRUE },
  { "name", N_("Display name"), POS_FIELD_TEXT },
  { "plan", N_("Rate plan code"), POS_FIELD_TEXT },
  { NULL }
};

static const Table tables[] = {
  { "level.list", "levels", "level.upsert", N_("New Member Level"), N_("Edit Member Level"), level_fields },
  { "deposit_rule.list", "rules", "deposit_rule.upsert", N_("New Top-Up Rule"), N_("Edit Top-Up Rule"), rule_fields },
  { "plan.list", "plans", "plan.upsert", N_("New Rate Plan"), N_("Edit Rate Plan"), plan_fields },
  { "resource.list", "resources", "resource.upsert", N_("New Table or Room"), N_("Edit Table or Room"), resource_fields },
};

static GtkWidget *
table_list (PosAdmin *self, guint t)
{
  GtkWidget *lists[] = { self->levels_list, self->rules_list, self->plans_list, self->resources_list };

  return lists[t];
}

/* A field's value in a listed row, as the form shows it. */
static char *
field_text (JsonObject  *row,
            const Field *f)
{
  if (f->kind == POS_FIELD_MONEY)
    {
      g_autofree char *k = g_strconcat (f->key, "_fen", NULL);
      gint64 v = num (row, k, -1);

      return v >= 0 ? mdn_money_format (v) : NULL;
    }
  if (f->kind == POS_FIELD_NUMBER)
    {
      gint64 v = num (row, f->key, G_MININT64);

      return v != G_MININT64 ? g_strdup_printf ("%" PRId64, v) : NULL;
    }
  return g_strdup (str (row, f->key));
}

typedef struct
{
  PosAdmin *self;
  guint     table;
  gboolean  editing;
} TableEdit;

static void load_tables (PosAdmin *self);

static gboolean
table_accepted (PosForm *form, gpointer user_data)
{
  TableEdit *e = user_data;
  const Table *t = &tables[e->table];
  g_autoptr(JsonObject) args = json_object_new ();

  for (const Field *f = t->fields; f->key; f++)
    {
      const char *v = pos_form_get (form, f->key);

      if (v == NULL || *v == '\0')
        continue;
      if (f->kind == POS_FIELD_NUMBER)
        json_object_set_int_member (args, f->key, g_ascii_strtoll (v, NULL, 10));
      else
        json_object_set_string_member (args, f->key, v);
    }
  pos_form_run_op (form, e->self->session, t->upsert_op, args, NULL, NULL, NULL);
  return FALSE;
}

static void
table_form (PosAdmin   *self,
            guint       table,
            JsonObject *row)
{
  const Table *t = &tables[table];
  PosForm *form = pos_form_new (GTK_WIDGET (self), row ? _(t->title_edit) : _(t->title_new), row ? _("_Save") : _("_Add"));
  TableEdit *e = g_new0 (TableEdit, 1);

  e->self = self;
  e->table = table;
  e->editing = row != NULL;
  for (const Field *f = t->fields; f->key; f++)
    {
      g_autofree char *v = row ? field_text (row, f) : NULL;
      GtkWidget *w = pos_form_add_field (form, f->key, _(f->label), f->kind, v);

      if (row && f->fixed)
        gtk_widget_set_sensitive (w, FALSE);
    }
  pos_form_run (form, table_accepted, e, g_free);
  g_signal_connect_object (form, "destroy", G_CALLBACK (load_tables), self, G_CONNECT_SWAPPED);
}

static void
table_edit_clicked (GtkButton *button,
                    PosAdmin  *self)
{
  table_form (self, GPOINTER_TO_UINT (g_object_get_data (G_OBJECT (button), "pos-table")),
              g_object_get_data (G_OBJECT (button), "pos-row"));
}

static void
load_tables (PosAdmin *self)
{
  for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
    {
      g_autoptr(JsonObject) r = run (self, tables[t].list_op, NULL);
      JsonArray *list = arr (r, tables[t].array);
      GtkWidget *box = table_list (self, t);
      gboolean can = pos_session_can (self->session, tables[t].upsert_op);

      clear_list (box);
      for (guint i = 0; list && i < json_array_get_length (list); i++)
        {
          JsonObject *o = json_array_get_object_element (list, i);
          g_autoptr(GString) sub = g_string_new (NULL);
          g_autofree char *title = field_text (o, &tables[t].fields[t == 1 ? 0 : 1]);
          GtkWidget *row, *b;

          for (const Field *f = tables[t].fields + (t == 1 ? 1 : 2); f->key; f++)
            {
              g_autofree char *v = field_text (o, f);

              if (v == NULL)
                continue;
              if (sub->len)
                g_string_append (sub, " · ");
              g_string_append_printf (sub, "%s %s", _(f->label), v);
            }
          if (t == 1)
            {
              g_autofree char *min = g_strdup_printf (_("From ¥%s"), title);
              row = row_new (min, sub->str);
            }
          else
            row = row_new (title, sub->str);
          b = edit_button (_("_Edit…"));
          gtk_widget_set_sensitive (b, can);
          g_object_set_data (G_OBJECT (b), "pos-table", GUINT_TO_POINTER (t));
          g_object_set_data_full (G_OBJECT (b), "pos-row", json_object_ref (o), (GDestroyNotify) json_object_unref);
          g_signal_connect (b, "clicked", G_CALLBACK (table_edit_clicked), self);
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), b);
          gtk_list_box_append (GTK_LIST_BOX (box), row);
        }
      if (list && json_array_get_length (list) == 0)
        gtk_list_box_append (GTK_LIST_BOX (box), row_new (_("None yet"), NULL));
    }
}

static void level_new_action (GtkWidget *w, const char *n, GVariant *p) { table_form (POS_ADMIN (w), 0, NULL); }
static void rule_new_action (GtkWidget *w, const char *n, GVariant *p) { table_form (POS_ADMIN (w), 1, NULL); }
static void plan_new_action (GtkWidget *w, const char *n, GVariant *p) { table_form (POS_ADMIN (w), 2, NULL); }
static void resource_new_action (GtkWidget *w, const char *n, GVariant *p) { table_form (POS_ADMIN (w), 3, NULL); }

/* Operation log ----------------------------------------------------------------------------- */

static void
load_log (PosAdmin *self,
          gboolean  more)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) r = NULL;
  static const char *const outcomes[] = { NULL, "ok", "refused" };
  const char *fields[][2] = {
    { "from", gtk_editable_get_text (GTK_EDITABLE (self->log_from)) },
    { "to", gtk_editable_get_text (GTK_EDITABLE (self->log_to)) },
    { "staff", gtk_editable_get_text (GTK_EDITABLE (self->log_staff)) },
    { "operation", gtk_editable_get_text (GTK_EDITABLE (self->log_op)) },
  };
  guint outcome = gtk_drop_down_get_selected (GTK_DROP_DOWN (self->log_outcome));
  JsonArray *list;

  if (!pos_session_can (self->session, "oplog.list"))
    return;
  if (!more)
    clear_list (self->log_list);
  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    if (fields[i][1] && *fields[i][1])
      json_object_set_string_member (args, fields[i][0], fields[i][1]);
  if (outcome < G_N_ELEMENTS (outcomes) && outcomes[outcome])
    json_object_set_string_member (args, "outcome", outcomes[outcome]);
  if (more && self->log_next > 0)
    json_object_set_int_member (args, "before", self->log_next);
  json_object_set_int_member (args, "limit", 50);
  r = run (self, "oplog.list", args);
  list = arr (r, "rows");
  for (guint i = 0; list && i < json_array_get_length (list); i++)
    {
      JsonObject *o = json_array_get_object_element (list, i);
      gboolean ok = json_object_get_boolean_member (o, "ok");
      g_autofree char *title = g_strdup_printf ("%s  %s", str (o, "staff") ? str (o, "staff") : "", str (o, "title"));
      g_autofree char *sub = g_strdup_printf ("%.19s · %s%s%s", str (o, "at"), str (o, "terminal") ? str (o, "terminal") : "",
                                              ok ? "" : " · ", ok ? "" : (str (o, "detail") ? str (o, "detail") : ""));
      GtkWidget *row = row_new (title, sub);
      GtkWidget *badge = gtk_label_new (ok ? _("Done") : _("Refused"));

      gtk_widget_add_css_class (badge, ok ? "success" : "error");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), badge);
      gtk_list_box_append (GTK_LIST_BOX (self->log_list), row);
    }
  self->log_next = num (r, "next", 0);
  gtk_widget_set_visible (self->log_more, self->log_next > 0);
}

static void
log_search_action (GtkWidget *widget, const char *name, GVariant *param)
{
  load_log (POS_ADMIN (widget), FALSE);
}

static void
log_more_action (GtkWidget *widget, const char *name, GVariant *param)
{
  load_log (POS_ADMIN (widget), TRUE);
}

/* Backup and recovery ------------------------------------------------------------------------ */

static void
set_status (PosAdmin   *self,
            const char *text)
{
  gtk_label_set_text (GTK_LABEL (self->backup_status), text);
}

/* The last backup and where the daily ones go; in red after a failure. */
static void
load_backup_status (PosAdmin *self)
{
  gboolean failed = FALSE;
  g_autofree char *text = NULL;

  if (self->session == NULL || !pos_session_is_open (self->session))
    return;
  text = pos_backup_dup_status (pos_backup_get (self->session), &failed);
  set_status (self, text);
  if (failed)
    {
      gtk_widget_remove_css_class (self->backup_status, "dim-label");
      gtk_widget_add_css_class (self->backup_status, "error");
    }
  else
    {
      gtk_widget_remove_css_class (self->backup_status, "error");
      gtk_widget_add_css_class (self->backup_status, "dim-label");
    }
}

static void
backup_finished (PosBackup  *backup,
                 gboolean    ok,
                 const char *detail,
                 PosAdmin   *self)
{
  load_backup_status (self);
  if (ok)
    {
      g_autofree char *msg = g_strdup_printf (_("Backed up to %s"), detail);

      pos_toast (GTK_WIDGET (self), msg);
    }
}

/* 备份现在: into the daily folder, in a worker thread. */
static void
backup_now_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosAdmin *self = POS_ADMIN (widget);
  g_autoptr(GError) error = NULL;

  if (!pos_backup_start_now (pos_backup_get (self->session), &error))
    {
      pos_show_error (widget, _("No backup was made"), error);
      return;
    }
  load_backup_status (self);
}

static void
backup_chosen (GtkNativeDialog *dialog,
               int              response,
               PosAdmin        *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GFile) dir = NULL;
  g_autoptr(GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = NULL, *name = NULL, *path = NULL, *msg = NULL;
  MdnStore *store = pos_session_get_store (self->session);

  if (response == GTK_RESPONSE_ACCEPT)
    dir = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  g_object_unref (dialog);
  if (dir == NULL)
    return;
  stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");
  name = g_strdup_printf ("mendian-%s-%s.db", store->branch_code, stamp);
  path = g_build_filename (g_file_peek_path (dir), name, NULL);
  if (!mdn_db_backup (store->db, path, &error))
    {
      pos_show_error (GTK_WIDGET (self), _("No backup was made"), error);
      return;
    }
  msg = g_strdup_printf (_("Backed up to %s"), path);
  set_status (self, msg);
  pos_toast (GTK_WIDGET (self), msg);
}

static gboolean
admin_only (PosAdmin *self)
{
  if (pos_session_get_role (self->session) >= MDN_ROLE_ADMIN)
    return TRUE;
  pos_toast (GTK_WIDGET (self), _("Only an administrator backs up, restores and recovers the database"));
  return FALSE;
}

static GtkFileChooserNative *
chooser (PosAdmin            *self,
         const char          *title,
         GtkFileChooserAction action,
         const char          *accept)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));

  return gtk_file_chooser_native_new (title, GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL, action, accept, _("_Cancel"));
}

static void
backup_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosAdmin *self = POS_ADMIN (widget);
  GtkFileChooserNative *d;

  if (!admin_only (self))
    return;
  d = chooser (self, _("Back Up To Folder"), GTK_FILE_CHOOSER_ACTION_SELECT_FOLDER, _("_Back Up"));
  g_signal_connect (d, "response", G_CALLBACK (backup_chosen), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (d));
}

typedef struct
{
  PosAdmin *self;
  char     *file;
} Restore;

static void
restore_confirmed (gpointer user_data)
{
  Restore *r = user_data;
  PosAdmin *self = r->self;
  g_autoptr(GError) error = NULL;
  g_autofree char *side = NULL;
  g_autofree char *path = g_strdup (pos_session_get_path (self->session));

  if (!mdn_store_restore (path, r->file, &side, &error) || !pos_session_open (self->session, path, &error))
    pos_show_error (GTK_WIDGET (self), _("Not restored"), error);
  g_free (r->file);
  g_free (r);
}

static void
restore_chosen (GtkNativeDialog *dialog,
                int              response,
                PosAdmin        *self)
{
  g_autoptr(GFile) file = NULL;
  Restore *r;
  g_autofree char *body = NULL;

  if (response == GTK_RESPONSE_ACCEPT)
    file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
  g_object_unref (dialog);
  if (file == NULL)
    return;
  r = g_new0 (Restore, 1);
  r->self = self;
  r->file = g_file_get_path (file);
  body = g_strdup_printf (_("This database is replaced by %s and kept beside it. Everyone is logged out. "
                            "Recover from head office afterwards to get back what was sold since the backup."), r->file);
  pos_confirm (GTK_WIDGET (self), _("Restore the backup?"), body, _("_Restore"), TRUE, restore_confirmed, r);
}

static void
restore_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosAdmin *self = POS_ADMIN (widget);
  GtkFileChooserNative *d;

  if (!admin_only (self))
    return;
  d = chooser (self, _("Restore Backup"), GTK_FILE_CHOOSER_ACTION_OPEN, _("_Restore"));
  g_signal_connect (d, "response", G_CALLBACK (restore_chosen), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (d));
}

static void
recover_confirmed (gpointer user_data)
{
  PosAdmin *self = user_data;
  g_autoptr(GError) error = NULL;
  gint64 n = 0;

  if (!mdn_sync_recover (pos_session_get_store (self->session), &n, NULL, &error))
    pos_show_error (GTK_WIDGET (self), _("Not recovered"), error);
  else
    {
      g_autofree char *msg = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "%" PRId64 " entry recovered from head office",
                                                           "%" PRId64 " entries recovered from head office", (gulong) n), n);
      set_status (self, msg);
      pos_toast (GTK_WIDGET (self), msg);
    }
}

static void
recover_action (GtkWidget *widget, const char *name, GVariant *param)
{
  PosAdmin *self = POS_ADMIN (widget);

  if (!admin_only (self))
    return;
  pos_confirm (widget, _("Recover from head office?"),
               _("Head office sends back what this branch wrote that this database does not hold (after a restore), "
                 "then the branch syncs. It can take a while."),
               _("Re_cover"), FALSE, recover_confirmed, self);
}

/* Member edit ------------------------------------------------------------------------------- */

typedef struct
{
  PosSession *session;
  char       *card;
} MemberEdit;

static void
member_edit_free (MemberEdit *e)
{
  g_clear_object (&e->session);
  g_free (e->card);
  g_free (e);
}

static gboolean
member_accepted (PosForm *form, gpointer user_data)
{
  MemberEdit *e = user_data;
  g_autoptr(JsonObject) args = json_object_new ();
  static const char *const keys[] = { "name", "phone", "birthday", "birthday_lunar", "note", NULL };

  json_object_set_string_member (args, "card", e->card);
  for (guint i = 0; keys[i]; i++)
    {
      const char *v = pos_form_get (form, keys[i]);

      if (v && *v)
        json_object_set_string_member (args, keys[i], v);
      else if (i >= 2)
        json_object_set_null_member (args, keys[i]);
    }
  pos_form_run_op (form, e->session, "member.update", args, NULL, NULL, NULL);
  return FALSE;
}

void
pos_member_edit_form (GtkWidget  *parent,
                      PosSession *session,
                      JsonObject *member)
{
  PosForm *form;
  MemberEdit *e;

  g_return_if_fail (POS_IS_SESSION (session) && member != NULL);

  form = pos_form_new (parent, _("Edit Member"), _("_Save"));
  e = g_new0 (MemberEdit, 1);
  e->session = g_object_ref (session);
  e->card = g_strdup (str (member, "card_no"));
  pos_form_add_field (form, "name", _("Name"), POS_FIELD_TEXT, str (member, "name"));
  pos_form_add_field (form, "phone", _("Phone"), POS_FIELD_TEXT, str (member, "phone"));
  pos_form_add_field (form, "birthday", _("Birthday (YYYY-MM-DD)"), POS_FIELD_DATE, str (member, "birthday"));
  pos_form_add_field (form, "birthday_lunar", _("Lunar birthday (MM-DD)"), POS_FIELD_TEXT, str (member, "birthday_lunar"));
  pos_form_add_field (form, "note", _("Note"), POS_FIELD_TEXT, str (member, "note"));
  pos_form_run (form, member_accepted, e, (GDestroyNotify) member_edit_free);
}

/* The page ------------------------------------------------------------------------------------ */

void
pos_admin_shown (PosAdmin *self)
{
  g_return_if_fail (POS_IS_ADMIN (self));

  if (self->session == NULL || !pos_session_is_logged_in (self->session))
    return;
  load_roles (self);
  load_staff (self);
  load_settings (self);
  load_shop (self);
  load_categories (self);
  load_products (self);
  load_tables (self);
  load_log (self, FALSE);
  load_backup_status (self);
}

void
pos_admin_show (PosAdmin   *self,
                const char *name)
{
  g_return_if_fail (POS_IS_ADMIN (self));
  gtk_stack_set_visible_child_name (GTK_STACK (self->stack), name);
}

const char *
pos_admin_get_backup_status (PosAdmin *self)
{
  g_return_val_if_fail (POS_IS_ADMIN (self), NULL);
  return gtk_label_get_text (GTK_LABEL (self->backup_status));
}

GtkWidget *
pos_admin_get_check (PosAdmin   *self,
                     const char *role,
                     const char *group)
{
  g_autofree char *key = g_strdup_printf ("%s\t%s", role, group);

  g_return_val_if_fail (POS_IS_ADMIN (self), NULL);
  return g_hash_table_lookup (self->checks, key);
}

GtkWidget *
pos_admin_get_setting (PosAdmin   *self,
                       const char *key)
{
  g_return_val_if_fail (POS_IS_ADMIN (self), NULL);
  return g_hash_table_lookup (self->settings, key);
}

GtkWidget *
pos_admin_edit_product (PosAdmin   *self,
                        const char *sku)
{
  g_autoptr(JsonObject) args = json_object_new ();
  g_autoptr(JsonObject) r = NULL;
  JsonArray *list;

  g_return_val_if_fail (POS_IS_ADMIN (self), NULL);

  json_object_set_string_member (args, "query", sku);
  json_object_set_boolean_member (args, "exact", TRUE);
  json_object_set_boolean_member (args, "include_inactive", TRUE);
  r = run (self, "product.search", args);
  list = arr (r, "products");
  if (list == NULL || json_array_get_length (list) == 0)
    return NULL;
  return product_form (self, json_array_get_object_element (list, 0));
}

/* A login: the receipts print the shop's details from now on. */
static void
login_changed (PosAdmin *self)
{
  g_autoptr(JsonObject) none = json_object_new ();
  g_autoptr(JsonObject) r = NULL;

  if (!pos_session_is_logged_in (self->session))
    return;
  r = pos_session_run (self->session, "shop.show", none, NULL);
  if (r)
    receipt_shop (r);
}

void
pos_admin_set_session (PosAdmin   *self,
                       PosSession *session)
{
  g_return_if_fail (POS_IS_ADMIN (self));
  if (self->session)
    g_signal_handlers_disconnect_by_data (self->session, self);
  g_set_object (&self->session, session);
  if (session)
    {
      g_signal_connect_object (session, "login-changed", G_CALLBACK (login_changed), self, G_CONNECT_SWAPPED);
      g_signal_connect_object (pos_backup_get (session), "finished", G_CALLBACK (backup_finished), self, 0);
    }
}

static void
pos_admin_dispose (GObject *object)
{
  PosAdmin *self = POS_ADMIN (object);

  g_clear_handle_id (&self->search_id, g_source_remove);
  if (self->category_list)
    g_signal_handlers_disconnect_by_data (self->category_list, self);
  if (self->product_search)
    g_signal_handlers_disconnect_by_data (self->product_search, self);
  if (self->product_archived)
    g_signal_handlers_disconnect_by_data (self->product_archived, self);
  gtk_widget_dispose_template (GTK_WIDGET (self), POS_TYPE_ADMIN);
  g_clear_object (&self->session);
  g_clear_pointer (&self->groups, json_object_unref);
  G_OBJECT_CLASS (pos_admin_parent_class)->dispose (object);
}

static void
pos_admin_finalize (GObject *object)
{
  PosAdmin *self = POS_ADMIN (object);

  g_hash_table_unref (self->checks);
  g_hash_table_unref (self->role_ops);
  g_hash_table_unref (self->settings);
  g_free (self->category);
  G_OBJECT_CLASS (pos_admin_parent_class)->finalize (object);
}

static void
pos_admin_class_init (PosAdminClass *klass)
{
  GObjectClass *oc = G_OBJECT_CLASS (klass);
  GtkWidgetClass *wc = GTK_WIDGET_CLASS (klass);

  oc->dispose = pos_admin_dispose;
  oc->finalize = pos_admin_finalize;
  gtk_widget_class_set_template_from_resource (wc, "/org/mendian/Pos/pos-admin.ui");
#define BIND(x) gtk_widget_class_bind_template_child (wc, PosAdmin, x)
  BIND (stack);
  BIND (roles_grid);
  BIND (staff_list);
  BIND (settings_box);
  BIND (shop_name);
  BIND (shop_address);
  BIND (shop_phone);
  BIND (shop_header);
  BIND (shop_footer);
  BIND (category_list);
  BIND (product_search);
  BIND (product_archived);
  BIND (product_list);
  BIND (levels_list);
  BIND (rules_list);
  BIND (plans_list);
  BIND (resources_list);
  BIND (log_from);
  BIND (log_to);
  BIND (log_staff);
  BIND (log_op);
  BIND (log_outcome);
  BIND (log_list);
  BIND (log_more);
  BIND (backup_status);
#undef BIND
  gtk_widget_class_install_action (wc, "admin.roles-save", NULL, roles_save_action);
  gtk_widget_class_install_action (wc, "admin.role-new", NULL, role_new_action);
  gtk_widget_class_install_action (wc, "admin.staff-new", NULL, staff_new_action);
  gtk_widget_class_install_action (wc, "admin.shop-save", NULL, shop_save_action);
  gtk_widget_class_install_action (wc, "admin.product-new", NULL, product_new_action);
  gtk_widget_class_install_action (wc, "admin.category-new", NULL, category_new_action);
  gtk_widget_class_install_action (wc, "admin.category-archive", NULL, category_archive_action);
  gtk_widget_class_install_action (wc, "admin.level-new", NULL, level_new_action);
  gtk_widget_class_install_action (wc, "admin.rule-new", NULL, rule_new_action);
  gtk_widget_class_install_action (wc, "admin.plan-new", NULL, plan_new_action);
  gtk_widget_class_install_action (wc, "admin.resource-new", NULL, resource_new_action);
  gtk_widget_class_install_action (wc, "admin.log-search", NULL, log_search_action);
  gtk_widget_class_install_action (wc, "admin.log-more", NULL, log_more_action);
  gtk_widget_class_install_action (wc, "admin.backup", NULL, backup_action);
  gtk_widget_class_install_action (wc, "admin.backup-now", NULL, backup_now_action);
  gtk_widget_class_install_action (wc, "admin.restore", NULL, restore_action);
  gtk_widget_class_install_action (wc, "admin.recover", NULL, recover_action);
}

static void
pos_admin_init (PosAdmin *self)
{
  self->checks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->role_ops = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) json_array_unref);
  self->settings = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (self->category_list, "row-selected", G_CALLBACK (category_selected), self);
  g_signal_connect_swapped (self->product_search, "search-changed", G_CALLBACK (search_changed), self);
  g_signal_connect_swapped (self->product_archived, "toggled", G_CALLBACK (load_products), self);
}
