/* srv-html.h: HTML for the web console, escaped by construction.
 *
 * SrvHtml is markup that is safe to send: it only grows by escaped text
 * (srv_html_text), by literal markup of a format string written in the
 * source, or by another SrvHtml. srv_html_append's format takes
 *   %s  text, escaped            %d  int        %L  gint64
 *   %M  gint64 fen as money      %H  an SrvHtml (already safe)   %%
 * and nothing else (an unknown conversion aborts in development). The
 * format itself must be a literal of the program, never data.
 *
 * Templates (server/console/templates/NAME.html in the GResource) are
 * rendered with SrvVars: {{name}} inserts a variable, which is an SrvHtml
 * (text set with srv_vars_text is escaped when set); {{_("English")}}
 * inserts the translation (gettext), escaped. Nothing else is special.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _SrvHtml SrvHtml;
typedef GHashTable SrvVars;

SrvHtml    *srv_html_new        (void);
SrvHtml    *srv_html_new_text   (const char *text);
void        srv_html_free       (SrvHtml    *html);
char       *srv_html_steal      (SrvHtml    *html);   /* frees @html */
const char *srv_html_get        (SrvHtml    *html);
void        srv_html_text       (SrvHtml    *html,
                                 const char *text);
void        srv_html_append     (SrvHtml    *html,
                                 const char *format,
                                 ...);
void        srv_html_append_valist (SrvHtml *html,
                                 const char *format,
                                 va_list     ap);
/* Appends the escaped form of @text to @out (for attribute and text). */
void        srv_html_escape_into (GString   *out,
                                 const char *text);

SrvVars    *srv_vars_new        (void);
void        srv_vars_text       (SrvVars    *vars,
                                 const char *name,
                                 const char *text);
void        srv_vars_int        (SrvVars    *vars,
                                 const char *name,
                                 gint64      value);
/* Takes @html. */
void        srv_vars_html       (SrvVars    *vars,
                                 const char *name,
                                 SrvHtml    *html);
/* Renders template @name with @vars into a new SrvHtml. */
SrvHtml    *srv_template_render (const char *name,
                                 SrvVars    *vars);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (SrvHtml, srv_html_free)

G_END_DECLS
