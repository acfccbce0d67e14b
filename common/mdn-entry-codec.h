/* srv-codec.h: the push body read straight into entries (srv-codec.c). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define SRV_CODEC_ERROR (srv_codec_error_quark ())
GQuark srv_codec_error_quark (void);

/* Envelope problems; an entry's shape problems are MDN_ERROR. */
typedef enum {
  SRV_CODEC_ERROR_SYNTAX,        /* not JSON (message says where) */
  SRV_CODEC_ERROR_NO_ENTRIES,    /* no "entries" array */
  SRV_CODEC_ERROR_NOT_AN_ENTRY,  /* an element that is not an object */
  SRV_CODEC_ERROR_TOO_MANY,      /* more than max_entries */
} SrvCodecError;

gboolean srv_codec_read_push (const char *data,
                              gsize       size,
                              guint       max_entries,
                              GPtrArray  *entries,
                              gint       *out_index,
                              GError    **error);

G_END_DECLS
