/* srv-html.c: escaped-by-construction HTML and the console's templates. */
#define G_LOG_DOMAIN "srv-console"

#include <gio/gio.h>
#include <glib/gi18n-lib.h>
#include <stdarg.h>
#include <string.h>

#include "mdn-money.h"
#include "srv-html.h"

#define TEMPLATE_PATH "/org/mendian/console/templates/"

struct _SrvHtml
{
  GString *s;
};

SrvHtml *
srv_html_new (void)
{
  SrvHtml *h = g_new0 (SrvHtml, 1);

  h->s = g_string_new (NULL);
  return h;
}

SrvHtml *
srv_html_new_text (const char *text)
{
  SrvHtml *h = srv_html_new ();

  srv_html_text (h, text);
  return h;
}

void
srv_html_free (SrvHtml *html)
{
  if (html == NULL)
    return;
  g_string_free (html->s, TRUE);
  g_free (html);
}

char *
srv_html_steal (SrvHtml *html)
{
  char *out = g_string_free (html->s, FALSE);

  g_free (html);
  return out;
}

const char *
srv_html_get (SrvHtml *html)
{
  return html->s->str;
}

void
srv_html_escape_into (GString    *out,
                      const char *text)
{
  if (text == NULL)
    return;
  for (const char *p = text; *p; p++)
    switch (*p)
      {
      case '&': g_string_append (out, "&amp;"); break;
      case '<': g_string_append (out, "&lt;"); break;
      case '>': g_string_append (out, "&gt;"); break;
      case '"': g_string_append (out, "&quot;"); break;
      case '\'': g_string_append (out, "&#39;"); break;
      default:
        if ((guchar) *p < 0x20 && *p != '\n' && *p != '\t')
          g_string_append_c (out, ' ');
        else
          g_string_append_c (out, *p);
      }
}

void
srv_html_text (SrvHtml    *html,
               const char *text)
{
  g_return_if_fail (html != NULL);

  if (text && !g_utf8_validate (text, -1, NULL))
    {
      g_autofree char *valid = g_utf8_make_valid (text, -1);

      srv_html_escape_into (html->s, valid);
      return;
    }
  srv_html_escape_into (html->s, text);
}

void
srv_html_append_valist (SrvHtml    *html,
                        const char *format,
                        va_list     ap)
{
  for (const char *p = format; *p; p++)
    {
      if (*p != '%')
        {
          g_string_append_c (html->s, *p);
          continue;
        }
      p++;
      switch (*p)
        {
        case 's':
          srv_html_text (html, va_arg (ap, const char *));
          break;
        case 'd':
          g_string_append_printf (html->s, "%d", va_arg (ap, int));
          break;
        case 'L':
          g_string_append_printf (html->s, "%" G_GINT64_FORMAT, va_arg (ap, gint64));
          break;
        case 'M':
          {
            g_autofree char *money = mdn_money_format (va_arg (ap, gint64));

            srv_html_text (html, money);
          }
          break;
        case 'H':
          {
            SrvHtml *child = va_arg (ap, SrvHtml *);

            if (child)
              g_string_append (html->s, child->s->str);
          }
          break;
        case '%':
          g_string_append_c (html->s, '%');
          break;
        default:
          g_error ("srv_html_append: unknown conversion in “%s”", format);
        }
    }
}

void
srv_html_append (SrvHtml    *html,
                 const char *format,
                 ...)
{
  va_list ap;

  g_return_if_fail (html != NULL && format != NULL);

  va_start (ap, format);
  srv_html_append_valist (html, format, ap);
  va_end (ap);
}

/* Variables ------------------------------------------------------------------ */

SrvVars *
srv_vars_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, (GDestroyNotify) srv_html_free);
}

void
srv_vars_html (SrvVars    *vars,
               const char *name,
               SrvHtml    *html)
{
  g_hash_table_replace (vars, g_strdup (name), html);
}

void
srv_vars_text (SrvVars    *vars,
               const char *name,
               const char *text)
{
  srv_vars_html (vars, name, srv_html_new_text (text));
}

void
srv_vars_int (SrvVars    *vars,
              const char *name,
              gint64      value)
{
  SrvHtml *h = srv_html_new ();

  srv_html_append (h, "%L", value);
  srv_vars_html (vars, name, h);
}

/* Templates ------------------------------------------------------------------ */

/* {{_("text")}}: the text between the quotes, with \" for a quote. */
static gboolean
translate_marker (const char *inner,
                  gsize       len,
                  GString    *out)
{
  g_autoptr(GString) msgid = NULL;

  if (len < 5 || strncmp (inner, "_(\"", 3) != 0 || strncmp (inner + len - 2, "\")", 2) != 0)
    return FALSE;
  msgid = g_string_new_len (inner + 3, (gssize) len - 5);
  for (gsize i = 0; i + 1 < msgid->len; i++)
    if (msgid->str[i] == '\\' && msgid->str[i + 1] == '"')
      g_string_erase (msgid, (gssize) i, 1);
  srv_html_escape_into (out, _(msgid->str));
  return TRUE;
}

SrvHtml *
srv_template_render (const char *name,
                     SrvVars    *vars)
{
  g_autofree char *path = g_strconcat (TEMPLATE_PATH, name, ".html", NULL);
  g_autoptr(GBytes) bytes = g_resources_lookup_data (path, G_RESOURCE_LOOKUP_FLAGS_NONE, NULL);
  SrvHtml *out = srv_html_new ();
  const char *text, *p;

  if (bytes == NULL)
    g_error ("no console template %s", path);
  text = g_bytes_get_data (bytes, NULL);
  p = text;
  for (;;)
    {
      const char *open = strstr (p, "{{");
      const char *close;
      g_autofree char *key = NULL;
      SrvHtml *value;

      if (open == NULL)
        {
          g_string_append (out->s, p);
          break;
        }
      close = strstr (open + 2, "}}");
      if (close == NULL)
        g_error ("console template %s: “{{” without “}}”", name);
      g_string_append_len (out->s, p, open - p);
      if (!translate_marker (open + 2, close - open - 2, out->s))
        {
          key = g_strstrip (g_strndup (open + 2, close - open - 2));
          value = vars ? g_hash_table_lookup (vars, key) : NULL;
          if (value)
            g_string_append (out->s, value->s->str);
          else if (vars == NULL || !g_hash_table_contains (vars, key))
            g_warning ("console template %s: no value for {{%s}}", name, key);
        }
      p = close + 2;
    }
  return out;
}
