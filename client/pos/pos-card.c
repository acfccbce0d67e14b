/* pos-card.c: the printable member card (see pos-card.h). */
#define G_LOG_DOMAIN "pos-card"

#include <glib/gi18n.h>

#include "pos-card.h"

#define CARD_RATIO (54.0 / 85.6)

static void
text_at (cairo_t    *cr,
         const char *text,
         double      x,
         double      y,
         double      size,
         gboolean    bold,
         double      max_width)
{
  PangoLayout *layout = pango_cairo_create_layout (cr);
  PangoFontDescription *font = pango_font_description_new ();

  pango_font_description_set_family (font, "Sans");
  pango_font_description_set_absolute_size (font, size * PANGO_SCALE);
  if (bold)
    pango_font_description_set_weight (font, PANGO_WEIGHT_BOLD);
  pango_layout_set_font_description (layout, font);
  pango_layout_set_width (layout, (int) (max_width * PANGO_SCALE));
  pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
  pango_layout_set_text (layout, text ? text : "", -1);
  cairo_move_to (cr, x, y);
  pango_cairo_show_layout (cr, layout);
  pango_font_description_free (font);
  g_object_unref (layout);
}

void
pos_card_draw (cairo_t           *cr,
               double             width,
               const PosCardInfo *info)
{
  double h = width * CARD_RATIO, m = width * 0.05, qr = h * 0.62;
  double text_w = width - qr - 3 * m;
  cairo_surface_t *img = info->qr_png ? cairo_image_surface_create_from_png (info->qr_png) : NULL;

  cairo_save (cr);
  /* The card: white with a rounded border and a coloured band. */
  cairo_new_sub_path (cr);
  cairo_arc (cr, width - m / 2, m / 2, m / 2, -G_PI / 2, 0);
  cairo_arc (cr, width - m / 2, h - m / 2, m / 2, 0, G_PI / 2);
  cairo_arc (cr, m / 2, h - m / 2, m / 2, G_PI / 2, G_PI);
  cairo_arc (cr, m / 2, m / 2, m / 2, G_PI, 3 * G_PI / 2);
  cairo_close_path (cr);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_fill_preserve (cr);
  cairo_set_source_rgb (cr, 0.6, 0.6, 0.6);
  cairo_set_line_width (cr, width / 400);
  cairo_stroke (cr);
  cairo_rectangle (cr, 0, h * 0.72, width - qr - 2 * m, h * 0.03);
  cairo_set_source_rgb (cr, 0.75, 0.12, 0.12);
  cairo_fill (cr);

  cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
  text_at (cr, info->shop, m, m, h * 0.09, TRUE, text_w);
  text_at (cr, _("Member Card"), m, m + h * 0.13, h * 0.06, FALSE, text_w);
  text_at (cr, info->name, m, h * 0.40, h * 0.085, TRUE, text_w);
  if (info->level)
    text_at (cr, info->level, m, h * 0.55, h * 0.06, FALSE, text_w);
  text_at (cr, info->card_no, m, h * 0.80, h * 0.065, FALSE, text_w);

  if (img && cairo_surface_status (img) == CAIRO_STATUS_SUCCESS && cairo_image_surface_get_width (img) > 0)
    {
      double s = qr / cairo_image_surface_get_width (img);

      cairo_save (cr);
      cairo_translate (cr, width - m - qr, (h - qr) / 2);
      cairo_scale (cr, s, s);
      cairo_set_source_surface (cr, img, 0, 0);
      cairo_pattern_set_filter (cairo_get_source (cr), CAIRO_FILTER_NEAREST);
      cairo_paint (cr);
      cairo_restore (cr);
    }
  if (img)
    cairo_surface_destroy (img);
  cairo_restore (cr);
}

gboolean
pos_card_write_png (const PosCardInfo *info,
                    const char        *path,
                    GError           **error)
{
  const int w = 1012, h = 638;
  cairo_surface_t *surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, w, h);
  cairo_t *cr = cairo_create (surface);
  cairo_status_t status;

  pos_card_draw (cr, w, info);
  cairo_destroy (cr);
  status = cairo_surface_write_to_png (surface, path);
  cairo_surface_destroy (surface);
  if (status != CAIRO_STATUS_SUCCESS)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, _("The card can't be written to %s: %s"),
                   path, cairo_status_to_string (status));
      return FALSE;
    }
  return TRUE;
}
