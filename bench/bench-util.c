/* bench-util.c */
#include "bench-util.h"
#include "mdn-db.h"
#include "mdn-id.h"

void
bench_add_members (MdnStore *store,
                   int       n)
{
  sqlite3 *db = mdn_db_handle (store->db);
  g_autoptr(sqlite3_stmt) m = NULL;
  g_autoptr(sqlite3_stmt) c = NULL;

  sqlite3_prepare_v2 (db, "INSERT INTO members (id, card_no, name, phone, level, status, issued_at, issued_branch, "
                          "principal_fen) VALUES (?, ?, ?, ?, 'normal', 'active', '2026-01-01T00:00:00+08:00', 'B01', ?)",
                      -1, &m, NULL);
  sqlite3_prepare_v2 (db, "INSERT INTO cards (card_no, member_id, status) VALUES (?, ?, 'current')", -1, &c, NULL);
  for (int i = 1; i <= n; i++)
    {
      g_autofree char *id = g_strdup_printf ("00000000-0000-7000-8000-%012d", i);
      g_autofree char *card = mdn_card_no_make (1, i);
      g_autofree char *name = g_strdup_printf ("会员%d", i);
      g_autofree char *phone = g_strdup_printf ("139%08d", i);

      sqlite3_bind_text (m, 1, id, -1, SQLITE_STATIC);
      sqlite3_bind_text (m, 2, card, -1, SQLITE_STATIC);
      sqlite3_bind_text (m, 3, name, -1, SQLITE_STATIC);
      sqlite3_bind_text (m, 4, phone, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (m, 5, i);
      if (sqlite3_step (m) != SQLITE_DONE)
        g_error ("bench: %s", sqlite3_errmsg (db));
      sqlite3_reset (m);
      sqlite3_bind_text (c, 1, card, -1, SQLITE_STATIC);
      sqlite3_bind_text (c, 2, id, -1, SQLITE_STATIC);
      if (sqlite3_step (c) != SQLITE_DONE)
        g_error ("bench: %s", sqlite3_errmsg (db));
      sqlite3_reset (c);
    }
}
