/* srv-console-sms.c: the 短信 page: the gateway's state, the outbox
 * (srv-sms.c's table, the newest 100, through the store), and campaigns: a filter of members
 * (member.filter) → a preview (sms.campaign with preview, at the
 * console's HQ terminal: how many members take marketing SMS and the text
 * the first one gets) → a confirmed send (sms.campaign: the entry, pushed
 * like every HQ terminal's; the server expands it over the chain's
 * members into the outbox when it arrives, srv_sms_note_entry). SMS are
 * head office's: a region user is refused the page. */
#define G_LOG_DOMAIN "srv-console"

#include <glib/gi18n-lib.h>
#include <inttypes.h>
#include <string.h>

#include "mdn-clock.h"
#include "mdn-error.h"
#include "mdn-money.h"
#include "srv-console-private.h"
#include "srv-sms.h"

#define OUTBOX_ROWS 100

static const char *
opt_arg (SrvPage    *page,
         const char *name)
{
  const char *v = srv_page_arg (page, name);

  return v && *v ? v : NULL;
}

static gboolean
head_office (SrvPage *page)
{
  if (g_str_equal (page->user->role, "region"))
    {
      srv_page_audit (page, "refused", page->sub, FALSE, "SMS are head office's", NULL);
      srv_page_error (page, SOUP_STATUS_FORBIDDEN, _("SMS are sent by head office; a region account may not"));
      return FALSE;
    }
  return TRUE;
}

static const char *
status_label (const char *status)
{
  if (g_strcmp0 (status, "queued") == 0)
    return _("Queued");
  if (g_strcmp0 (status, "sending") == 0)
    return _("Sending");
  if (g_strcmp0 (status, "retrying") == 0)
    return _("Retrying");
  if (g_strcmp0 (status, "sent") == 0)
    return _("Sent");
  return _("Failed");
}

static const char *
event_label (const char *event)
{
  static const struct { const char *event, *label; } events[] = {
    { "issue",    N_("Card issued") },
    { "deposit",  N_("Deposit") },
    { "spend",    N_("Spending") },
    { "withdraw", N_("Withdrawal") },
    { "lost",     N_("Card lost") },
    { "birthday", N_("Birthday") },
    { "campaign", N_("Campaign") },
  };

  for (guint i = 0; i < G_N_ELEMENTS (events); i++)
    if (g_strcmp0 (event, events[i].event) == 0)
      return _(events[i].label);
  return event ? event : "";
}

/* The campaign's filter from the form (member.filter's arguments); NULL
 * with @error for a bad value. */
static JsonObject *
filter_of (SrvPage *page,
           GError **error)
{
  g_autoptr(JsonObject) f = json_object_new ();
  const char *level = opt_arg (page, "level"), *month = opt_arg (page, "birthday_month");
  const char *before = opt_arg (page, "last_visit_before"), *balance = opt_arg (page, "balance_min");
  const char *points = opt_arg (page, "points_min");
  gint64 v;

  if (level)
    json_object_set_string_member (f, "level", level);
  if (month)
    {
      if (!g_ascii_string_to_signed (month, 10, 1, 12, &v, NULL))
        {
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("The birthday month is 1 to 12"));
          return NULL;
        }
      json_object_set_int_member (f, "birthday_month", v);
    }
  if (before)
    {
      if (!mdn_date_valid (before))
        {
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("Give the dates as YYYY-MM-DD"));
          return NULL;
        }
      json_object_set_string_member (f, "last_visit_before", before);
    }
  if (balance)
    {
      if (!mdn_money_parse (balance, &v, error))
        return NULL;
      json_object_set_int_member (f, "balance_min_fen", v);
    }
  if (points)
    {
      if (!g_ascii_string_to_signed (points, 10, 0, G_MAXINT32, &v, NULL))
        {
          g_set_error_literal (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("Points are a whole number"));
          return NULL;
        }
      json_object_set_int_member (f, "points_min", v);
    }
  return g_steal_pointer (&f);
}

/* The campaign form's fields, as inputs (@hidden: to carry them to the
 * confirmation). */
static void
campaign_fields (SrvPage *page,
                 SrvHtml *h,
                 gboolean hidden)
{
  static const struct { const char *name, *label, *type; } fields[] = {
    { "level",             N_("Level code"),                 "text" },
    { "birthday_month",    N_("Birthday month (1–12)"),      "number" },
    { "last_visit_before", N_("Last visit before"),          "date" },
    { "balance_min",       N_("Balance at least (yuan)"),    "text" },
    { "points_min",        N_("Points at least"),            "number" },
  };
  const char *text = srv_page_arg (page, "template");

  for (guint i = 0; i < G_N_ELEMENTS (fields); i++)
    {
      const char *v = srv_page_arg (page, fields[i].name);

      if (hidden)
        srv_html_append (h, "<input type=\"hidden\" name=\"%s\" value=\"%s\">", fields[i].name, v ? v : "");
      else
        srv_html_append (h, "<label>%s <input type=\"%s\" name=\"%s\" value=\"%s\"></label>", _(fields[i].label),
                         fields[i].type, fields[i].name, v ? v : "");
    }
  if (hidden)
    srv_html_append (h, "<input type=\"hidden\" name=\"template\" value=\"%s\">", text ? text : "");
  else
    srv_html_append (h,
                     "<label class=\"wide\">%s <textarea name=\"template\" rows=\"3\" maxlength=\"300\" required>%s"
                     "</textarea></label>",
                     _("Text ({name}, {card} and {shop} are filled in; the opt-out line is added)"),
                     text ? text : _("Dear {name}, {shop} has new offers for members this week."));
}

static void
sms_page (SrvPage *page,
          SrvHtml *preview)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) gateway = srv_sms_gateway_show (page->console->store, &error);
  g_autoptr(SrvRows) outbox = NULL, counts = NULL;
  g_autoptr(GHashTable) vars = srv_vars_new ();
  const char *status = opt_arg (page, "status");
  static const char *const statuses[] = { "queued", "sending", "retrying", "sent", "failed", NULL };
  SrvHtml *gw, *box, *form, *tabs;

  if (status && !g_strv_contains (statuses, status))
    status = NULL;
  outbox = gateway ? srv_console_sms_rows (page->console->store, status, OUTBOX_ROWS, &error) : NULL;
  counts = outbox ? srv_console_sms_counts (page->console->store, &error) : NULL;
  if (counts == NULL)
    {
      if (preview)
        srv_html_free (preview);
      srv_page_error (page, srv_error_status (error), error->message);
      return;
    }

  gw = srv_html_new ();
  {
    const char *driver = json_object_get_string_member_with_default (gateway, "driver", "log");
    const char *sign = json_object_get_string_member_with_default (gateway, "sign_name", NULL);
    const char *set_at = json_object_get_string_member_with_default (gateway, "set_at", NULL);
    g_autofree char *at = set_at ? srv_page_time (page, set_at) : NULL;

    srv_html_append (gw, "<dl class=\"facts\"><dt>%s</dt><dd><strong>%s</strong>%s</dd>", _("Gateway"), driver,
                     g_str_equal (driver, "log") ? _(" (writes messages to a file, sends none)") : "");
    if (sign)
      srv_html_append (gw, "<dt>%s</dt><dd>%s</dd>", _("Signature"), sign);
    srv_html_append (gw, "<dt>%s</dt><dd>%s</dd>", _("Secret"),
                     json_object_get_boolean_member_with_default (gateway, "has_secret", FALSE) ? _("set")
                                                                                                : _("not set"));
    if (at)
      srv_html_append (gw, "<dt>%s</dt><dd>%s</dd>", _("Configured"), at);
    for (guint i = 0; statuses[i]; i++)
      {
        const char *n = "0", *last_error = NULL;

        for (guint k = 0; k < counts->len; k++)
          {
            char **c = g_ptr_array_index (counts, k);

            if (g_str_equal (c[0], statuses[i]))
              n = c[1], last_error = *c[2] ? c[2] : NULL;
          }
        if (last_error)
          srv_html_append (gw, "<dt>%s</dt><dd>%s <span class=\"bad\">%s: %s</span></dd>", status_label (statuses[i]),
                           n, _("Last error"), last_error);
        else
          srv_html_append (gw, "<dt>%s</dt><dd>%s</dd>", status_label (statuses[i]), n);
      }
    srv_html_append (gw, "</dl><p class=\"hint\">%s</p>",
                     _("The gateway is set on the server: mendian-server sms gateway (docs/members.md, “SMS”)."));
  }

  tabs = srv_html_new ();
  if (status)
    srv_html_append (tabs, "<nav class=\"filters\"><a href=\"/console/sms\">%s</a>", _("All"));
  else
    srv_html_append (tabs, "<nav class=\"filters\"><a href=\"/console/sms\" aria-current=\"page\">%s</a>", _("All"));
  for (guint i = 0; statuses[i]; i++)
    if (g_strcmp0 (status, statuses[i]) == 0)
      srv_html_append (tabs, "<a href=\"/console/sms?status=%s\" aria-current=\"page\">%s</a>", statuses[i],
                       status_label (statuses[i]));
    else
      srv_html_append (tabs, "<a href=\"/console/sms?status=%s\">%s</a>", statuses[i], status_label (statuses[i]));
  srv_html_append (tabs, "</nav>");

  box = srv_html_new ();
  srv_html_append (box,
                   "<table><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th>%s</th><th class=\"num\">%s</th>"
                   "<th>%s</th></tr></thead><tbody>",
                   _("Queued at"), _("Event"), _("Phone"), _("Text"), _("State"), _("Attempts"), _("Sent at"));
  for (guint i = 0; i < outbox->len; i++)
    {
      char **m = g_ptr_array_index (outbox, i);
      g_autofree char *at = srv_page_time (page, m[0]);
      g_autofree char *sent = *m[6] ? srv_page_time (page, m[6]) : g_strdup ("");

      srv_html_append (box,
                       "<tr><td>%s</td><td>%s</td><td>%s</td><td class=\"sms-text\">%s</td><td title=\"%s\">%s</td>"
                       "<td class=\"num\">%s</td><td>%s</td></tr>",
                       at, event_label (m[1]), m[2], m[3], m[7], status_label (m[4]), m[5], sent);
    }
  srv_html_append (box, "</tbody></table>");
  if (outbox->len == 0)
    srv_html_append (box, "<p class=\"empty\">%s</p>", _("None."));

  form = srv_html_new ();
  {
    g_autoptr(SrvHtml) csrf = srv_page_csrf_input (page);
    g_autoptr(SrvHtml) fields = srv_html_new ();

    campaign_fields (page, fields, FALSE);
    srv_html_append (form,
                     "<form method=\"post\" action=\"/console/sms/preview\" class=\"grid\">%H%H"
                     "<div class=\"buttons\"><button type=\"submit\">%s</button></div></form>",
                     csrf, fields, _("Preview"));
  }
  srv_vars_html (vars, "gateway", gw);
  srv_vars_html (vars, "tabs", tabs);
  srv_vars_html (vars, "outbox", box);
  srv_vars_html (vars, "campaign", form);
  srv_vars_html (vars, "preview", preview ? preview : srv_html_new ());
  srv_page_reply (page, "sms", _("SMS"), srv_template_render ("sms", vars));
}

void
srv_console_sms (SrvPage *page)
{
  if (!head_office (page))
    return;
  sms_page (page, NULL);
}

/* POST /console/sms/preview: who the campaign reaches and what they read,
 * nothing written; then a confirmation form for the send. */
void
srv_console_sms_preview (SrvPage *page)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) filter = NULL, args = NULL, result = NULL, members = NULL, margs = NULL;
  const char *text = opt_arg (page, "template");
  SrvHtml *h;

  if (!head_office (page))
    return;
  h = srv_html_new ();
  filter = filter_of (page, &error);
  if (filter && text == NULL)
    g_set_error_literal (&error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("Write the text of the SMS"));
  if (filter && text)
    {
      args = json_object_new ();
      json_object_set_object_member (args, "filter", json_object_ref (filter));
      json_object_set_string_member (args, "template", text);
      json_object_set_boolean_member (args, "preview", TRUE);
      result = srv_console_run_hq (page, "sms.campaign", args, &error);
    }
  if (result)
    {
      g_autoptr(GList) names = json_object_get_members (filter);

      margs = json_object_new ();
      for (GList *l = names; l; l = l->next)
        json_object_set_member (margs, l->data, json_node_copy (json_object_get_member (filter, l->data)));
      json_object_set_int_member (margs, "limit", 20);
      members = srv_console_run_hq (page, "member.filter", margs, &error);
    }
  if (members == NULL)
    {
      srv_html_append (h, "<section class=\"problem\"><h2>%s</h2><p class=\"error\" role=\"alert\">%s</p></section>",
                       _("The campaign cannot go like this"), error->message);
      sms_page (page, h);
      return;
    }
  {
    gint64 count = json_object_get_int_member (result, "count");
    JsonArray *list = json_object_get_array_member (members, "members");
    g_autoptr(SrvHtml) csrf = srv_page_csrf_input (page);
    g_autoptr(SrvHtml) hidden = srv_html_new ();
    g_autofree char *reach = g_strdup_printf (_("%" PRId64 " members take marketing SMS and will get it"),
                                              count);

    srv_html_append (h, "<section class=\"preview\" id=\"preview\"><h2>%s</h2><p class=\"big\">%s</p>"
                        "<p>%s</p><pre class=\"sms\">%s</pre>",
                     _("Preview"), reach, _("The first of them reads:"), json_object_get_string_member (result, "text"));
    srv_html_append (h, "<h3>%s</h3><table><thead><tr><th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr></thead><tbody>",
                     _("Members of the selection (the first 20)"), _("Card number"), _("Name"), _("Level"),
                     _("Takes marketing SMS"));
    for (guint i = 0; i < json_array_get_length (list); i++)
      {
        JsonObject *m = json_array_get_object_element (list, i);
        gboolean takes = json_object_get_boolean_member_with_default (m, "sms_consent", FALSE) &&
                         !json_object_get_boolean_member_with_default (m, "sms_opt_out", FALSE);

        srv_html_append (h, "<tr><td>%s</td><td>%s</td><td>%s</td><td>%s</td></tr>",
                         json_object_get_string_member_with_default (m, "card_no", ""),
                         json_object_get_string_member_with_default (m, "name", ""),
                         json_object_get_string_member_with_default (m, "level", ""), takes ? _("yes") : _("no"));
      }
    srv_html_append (h, "</tbody></table>");
    campaign_fields (page, hidden, TRUE);
    if (count > 0 && srv_page_may_write (page))
      srv_html_append (h,
                       "<form method=\"post\" action=\"/console/sms/send\" class=\"confirm\" data-confirm=\"%s\">%H%H"
                       "<label class=\"check\"><input type=\"checkbox\" name=\"confirm\" value=\"1\" required> %s</label>"
                       "<button type=\"submit\" class=\"danger\">%s</button></form>",
                       _("Send this campaign now? It cannot be called back."), csrf, hidden,
                       _("I have checked who gets it and what they read"),
                       _("Send the campaign"));
    else if (count > 0)
      srv_html_append (h, "<p class=\"hint\">%s</p>", _("Your account may look but not change anything"));
    srv_html_append (h, "</section>");
  }
  sms_page (page, h);
}

/* POST /console/sms/send (confirm=1): the campaign entry, audited. */
void
srv_console_sms_send (SrvPage *page)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonObject) filter = NULL, args = NULL, result = NULL;
  const char *text = opt_arg (page, "template");
  const char *entry_id;
  g_autofree char *done = NULL, *escaped = NULL, *location = NULL;

  if (!head_office (page))
    return;
  if (g_strcmp0 (srv_page_arg (page, "confirm"), "1") != 0)
    {
      srv_page_error (page, SOUP_STATUS_BAD_REQUEST, _("Tick the confirmation to send the campaign"));
      return;
    }
  filter = filter_of (page, &error);
  if (filter && text == NULL)
    g_set_error_literal (&error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT, _("Write the text of the SMS"));
  if (filter && text)
    {
      args = json_object_new ();
      json_object_set_object_member (args, "filter", json_object_ref (filter));
      json_object_set_string_member (args, "template", text);
      result = srv_console_run_hq (page, "sms.campaign", args, &error);
    }
  entry_id = result ? json_object_get_string_member_with_default (result, "entry_id", NULL) : NULL;
  srv_page_audit (page, "sms.campaign", text, result != NULL, result ? NULL : error->message, entry_id);
  if (result == NULL)
    {
      srv_page_error (page, srv_error_status (error), error->message);
      return;
    }
  done = g_strdup_printf (_("The campaign is sent to %" PRId64 " members: its messages are in the outbox"),
                          json_object_get_int_member (result, "count"));
  escaped = g_uri_escape_string (done, NULL, FALSE);
  location = g_strconcat ("/console/sms?done=", escaped, NULL);
  srv_page_redirect (page, location);
}
