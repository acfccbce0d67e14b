/* srv-store-front.h: what srv-store.c and the generated dispatcher share:
 * a store is one of the two backends. */
#pragma once

#include "srv-store-backends.h"

struct _SrvStore
{
  SrvSqlite *sqlite;   /* --db FILE */
  SrvPg     *pg;       /* --db postgresql://... */
  SrvPg     *report;   /* serve --report-dsn: a replica for the reads gen-backends.py lists */
};
