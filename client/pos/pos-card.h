/* pos-card.h: the printable member card (会员卡): shop name, member name,
 * level, card number and the QR code on a card of ID-1 size (85.6 × 54 mm),
 * drawn with cairo for a PNG file and for the GTK print dialog. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef struct
{
  const char *shop;
  const char *name;
  const char *level;       /* NULL: none shown */
  const char *card_no;
  const char *qr_png;      /* the QR code alone, from member.qr */
} PosCardInfo;

/* Draws the card at the origin, @width wide (its height is 54/85.6 of it). */
void      pos_card_draw        (cairo_t           *cr,
                                double             width,
                                const PosCardInfo *info);
/* Writes the card as a PNG of 1012 × 638 pixels (300 dpi) to @path. */
gboolean  pos_card_write_png   (const PosCardInfo *info,
                                const char        *path,
                                GError           **error);

G_END_DECLS
