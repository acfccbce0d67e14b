/* mdn-entry-codec.h: a push body read straight into entries (mdn-entry-codec.c). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define MDN_ENTRY_CODEC_ERROR (mdn_entry_codec_error_quark ())
GQuark mdn_entry_codec_error_quark (void);

/* Envelope problems; an entry's shape problems are MDN_ERROR. */
typedef enum {
  MDN_ENTRY_CODEC_ERROR_SYNTAX,        /* not JSON (message says where) */
  MDN_ENTRY_CODEC_ERROR_NO_ENTRIES,    /* no "entries" array */
  MDN_ENTRY_CODEC_ERROR_NOT_AN_ENTRY,  /* an element that is not an object */
  MDN_ENTRY_CODEC_ERROR_TOO_MANY,      /* more than max_entries */
} MdnEntryCodecError;

/* Reads {"entries": [entry, ...]} (@size bytes of valid UTF-8) into
 * @entries (MdnEntry, owned by the array). On failure *out_index is the
 * entry at fault, or -1 when the envelope is. */
gboolean mdn_entry_codec_read_push (const char *data,
                                    gsize       size,
                                    guint       max_entries,
                                    GPtrArray  *entries,
                                    gint       *out_index,
                                    GError    **error);

G_END_DECLS
