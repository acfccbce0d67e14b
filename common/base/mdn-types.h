/* mdn-types.h: forward typedefs shared by every part of libmendian. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _MdnDb     MdnDb;
typedef struct _MdnStore  MdnStore;
typedef struct _MdnEntry  MdnEntry;
typedef struct _MdnOpCtx  MdnOpCtx;

G_END_DECLS
