/* pos-receipt.h: a receipt as rows, rendered to ESC/POS bytes for a
 * thermal printer (GB18030 text, cut, cash-drawer kick) or to plain text
 * for the GTK print dialog. Pure: no widgets, no I/O, tested from bytes. */
#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

#include "pos-views.h"

G_BEGIN_DECLS

typedef struct _PosReceipt PosReceipt;

#define POS_RECEIPT_WIDTH_58MM 32
#define POS_RECEIPT_WIDTH_80MM 48

PosReceipt *pos_receipt_new          (int          width);
void        pos_receipt_free         (PosReceipt  *receipt);
void        pos_receipt_set_drawer   (PosReceipt  *receipt,
                                      gboolean     kick);
void        pos_receipt_add_title    (PosReceipt  *receipt,
                                      const char  *text);
void        pos_receipt_add_center   (PosReceipt  *receipt,
                                      const char  *text);
void        pos_receipt_add_text     (PosReceipt  *receipt,
                                      const char  *text);
void        pos_receipt_add_pair     (PosReceipt  *receipt,
                                      const char  *left,
                                      const char  *right);
void        pos_receipt_add_money    (PosReceipt  *receipt,
                                      const char  *left,
                                      gint64       fen);
void        pos_receipt_add_item     (PosReceipt  *receipt,
                                      const char  *name,
                                      gint64       qty,
                                      gint64       unit_fen,
                                      gint64       total_fen);
void        pos_receipt_add_rule     (PosReceipt  *receipt);
void        pos_receipt_add_big      (PosReceipt  *receipt,
                                      const char  *left,
                                      gint64       fen);
void        pos_receipt_add_barcode  (PosReceipt  *receipt,
                                      const char  *code);

/* Display width in printer columns: CJK characters take two. */
int         pos_text_width           (const char  *text);
GBytes     *pos_receipt_render_escpos (PosReceipt *receipt,
                                      GError     **error);
char       *pos_receipt_render_text  (PosReceipt  *receipt);

/* The shop's name, the lines under it (address, phone, header; "\n"
 * between them) and the footer on every receipt; NULL or "": the branch
 * name, nothing, the default thanks. */
void        pos_receipt_set_shop     (const char  *name,
                                      const char  *lines,
                                      const char  *footer);

/* The usual receipts, from the results of the operations. */
PosReceipt *pos_receipt_for_sale     (int          width,
                                      const char  *branch,
                                      const char  *staff,
                                      const char  *at,
                                      JsonObject  *sale,
                                      JsonArray   *lines);
PosReceipt *pos_receipt_for_entry    (int          width,
                                      const char  *branch,
                                      const char  *staff,
                                      const char  *at,
                                      const char  *title,
                                      JsonObject  *result);

/* The handover slip (交班单): per money tender expected, counted and
 * over/short, the notes and coins if counted so, the total over/short.
 * @opened and @closed are branch times ("2026-11-22 10:00"), @opened NULL
 * for a staff member's first shift. */
PosReceipt *pos_receipt_for_handover (int                width,
                                      const char        *branch,
                                      const char        *staff,
                                      const char        *opened,
                                      const char        *closed,
                                      const PosHandover *handover,
                                      JsonArray         *denominations);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (PosReceipt, pos_receipt_free)

G_END_DECLS
