/* mdn-entry-codec.h: the one entry codec of branch and server
 * (mdn-entry-codec.c): pushes and feed pages read straight into entries,
 * and the one canonical writer, which the hash and the push are made of. */
#pragma once

#include <json-glib/json-glib.h>

#include "mdn-types.h"

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

/* A row of a feed page: the entry at its feed position. */
typedef struct
{
  gint64    position;
  MdnEntry *entry;
} MdnFeedRow;

void     mdn_feed_row_free         (MdnFeedRow *row);

/* Reads a feed page {"entries": [{"position": N, "entry": entry}, ...],
 * ...} (@size bytes of valid UTF-8) into @rows (MdnFeedRow, owned by the
 * array) and its other members into *@out_rest. A row that is not
 * {position, entry} is MDN_ENTRY_CODEC_ERROR_NOT_AN_ENTRY. */
gboolean mdn_entry_codec_read_feed (const char  *data,
                                    gsize        size,
                                    GPtrArray   *rows,
                                    JsonObject **out_rest,
                                    GError     **error);

/* Appends @entry's canonical form to @out: its JSON with the members of
 * every object in sorted order, no white space, absent strings as null;
 * with "hash" when @with_hash (what a branch pushes), without it what the
 * hash is taken over (mdn_entry_compute_hash). *@out_body_start and
 * *@out_body_end (may be NULL) receive where the body's text lies in @out. */
void     mdn_entry_codec_write     (GString    *out,
                                    MdnEntry   *entry,
                                    gboolean    with_hash,
                                    gsize      *out_body_start,
                                    gsize      *out_body_end);
/* The form without "hash", as mdn_entry_codec_write (@out, @entry, FALSE,
 * ...), and in *@out_hash_at where "hash" would go. */
void     mdn_entry_codec_write_unhashed (GString  *out,
                                         MdnEntry *entry,
                                         gsize    *out_body_start,
                                         gsize    *out_body_end,
                                         gsize    *out_hash_at);
/* The form with "hash", as mdn_entry_codec_write (@out, @entry, TRUE, NULL,
 * NULL): from the text mdn_entry_compute_hash kept when it ran (the entry
 * unchanged since; the store writes an entry right after its hash is
 * checked), with the hash put in. */
void     mdn_entry_codec_write_hashed (GString  *out,
                                       MdnEntry *entry);

G_END_DECLS
