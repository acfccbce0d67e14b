/* srv-store-private.h: the SQLite store's handle, shared by the files of
 * its implementation (srv-store-sqlite.c, srv-store-console.c). */
#pragma once

/* In mendian-server the SrvStore callers hold is the front of
 * srv-store-front.h: a file using this handle is compiled as the SQLite
 * backend, under the generated srv-store-sqlite-names.h (as
 * srv-store-console-sqlite-impl.c does), and its functions' header is read
 * by gen-backends.py (server/store/meson.build). Compiled directly it
 * would take the front for this struct. */

#include "mdn-db.h"
#include "srv-store.h"

struct _SrvStore
{
  MdnDb     *db;
  char      *timezone;
  /* The feed rows of the open write transaction, (entry id, addressee or
   * NULL) pairs in the order appended: written by a few multi-row inserts
   * before it commits (srv-store-sqlite.c, feed_flush), dropped with a
   * rollback. */
  GPtrArray *feed_pending;
};
