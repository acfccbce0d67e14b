/* srv-store-private.h: the SQLite store's handle, shared by the files of
 * its implementation (srv-store-sqlite.c, srv-store-console.c). */
#pragma once

#include "mdn-db.h"
#include "srv-store.h"

struct _SrvStore
{
  MdnDb *db;
  char  *timezone;
};
