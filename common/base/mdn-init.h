/* mdn-init.h: what the process needs once before any of base/ runs. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* gettext's text domain and libsodium; idempotent and thread-safe. The
 * whole library is initialised by mdn_library_init (ops/mdn-ops.h), which
 * calls this. */
void mdn_base_init (void);

G_END_DECLS
