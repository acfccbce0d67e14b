/* bench-lookup: member lookup by card number, phone and QR payload among N
 * members (default 1,000,000), as a ratio to a bare indexed SQLite point
 * query measured in the same run. Budget (DESIGN.md): within 2x.
 *
 * The members are written straight into the projection tables
 * (bench_add_members). */
#include <glib/gstdio.h>
#include <stdio.h>

#include "bench-util.h"
#include "mdn-db.h"
#include "mdn-id.h"
#include "mdn-members.h"
#include "mdn-ops.h"
#include "mdn-store.h"
#include "mdn-sync.h"

static void
populate (MdnStore *store,
          int       n)
{
  sqlite3 *db = mdn_db_handle (store->db);

  sqlite3_exec (db, "BEGIN", NULL, NULL, NULL);
  bench_add_members (store, n);
  sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
}

typedef enum { BY_BARE, BY_CARD, BY_PHONE, BY_QR, N_MODES } Mode;

/* @lookups keys for @mode among @n members: card numbers, phones, signed
 * QR payloads, made before any clock starts, so every mode times the
 * lookup alone. */
static char **
make_keys (MdnOpCtx *ctx,
           Mode      mode,
           int       n,
           int       lookups)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (42 + mode);
  char **keys = g_new0 (char *, lookups + 1);

  for (int k = 0; k < lookups; k++)
    {
      int i = g_rand_int_range (rand, 1, n + 1);
      g_autofree char *card = mdn_card_no_make (1, i);

      if (mode == BY_PHONE)
        keys[k] = g_strdup_printf ("139%08d", i);
      else if (mode == BY_QR)
        keys[k] = mdn_qr_payload (ctx->store, card);
      else
        keys[k] = g_steal_pointer (&card);
    }
  return keys;
}

/* Looks up keys[from..to) by @mode; the microseconds it took. */
static gint64
run (MdnOpCtx     *ctx,
     sqlite3_stmt *bare,
     Mode          mode,
     char        **keys,
     int           from,
     int           to)
{
  gint64 start, sum = 0;

  mdn_db_begin (ctx->db, FALSE, NULL);
  start = g_get_monotonic_time ();
  for (int k = from; k < to; k++)
    {
      if (mode == BY_BARE)
        {
          sqlite3_bind_text (bare, 1, keys[k], -1, SQLITE_STATIC);
          if (sqlite3_step (bare) == SQLITE_ROW)
            sum += sqlite3_column_int64 (bare, 8);
          sqlite3_reset (bare);
        }
      else
        {
          g_autoptr(MdnMember) m = mdn_member_resolve (ctx, keys[k], MDN_RESOLVE_DEFAULT, NULL);

          if (m)
            sum += m->principal_fen;
        }
    }
  {
    gint64 us = g_get_monotonic_time () - start;

    mdn_db_rollback (ctx->db);
    g_assert (sum > 0);
    return us;
  }
}

#define ROUNDS 10

int
main (int argc, char **argv)
{
  int n = argc > 1 ? atoi (argv[1]) : 1000000;
  int lookups = argc > 2 ? atoi (argv[2]) : 100000;
  g_autofree char *dir = g_dir_make_tmp ("mendian-bench-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "branch.db", NULL);
  MdnStoreInit init = { .branch_code = "B01", .branch_name = "bench", .branch_number = 1,
                        .admin_password = "bench-password" };
  g_autoptr(GError) error = NULL;
  MdnStore *store;
  MdnOpCtx *ctx;
  double bare, card, phone, qr;
  gint64 t0;

  mdn_branch_init ();
  store = mdn_store_init (path, &init, &error);
  g_assert_no_error (error);
  ctx = mdn_op_ctx_new_trusted (store, "admin", &error);
  g_assert_no_error (error);
  /* Lookups see business_date through the context, as in an operation. */
  ctx->business_date = g_strdup ("2026-11-22");

  t0 = g_get_monotonic_time ();
  populate (store, n);
  printf ("members: %d (written in %.1f s), lookups per mode: %d\n", n,
          (g_get_monotonic_time () - t0) / 1e6, lookups);

  {
    g_autoptr(sqlite3_stmt) bare_stmt = NULL;
    char **keys[N_MODES];
    gint64 spent[N_MODES] = { 0 };

    sqlite3_prepare_v2 (mdn_db_handle (ctx->db),
                        "SELECT id, card_no, name, phone, level, status, expires_on, pin_hash, principal_fen, "
                        "bonus_fen, points FROM members WHERE card_no = ?", -1, &bare_stmt, NULL);
    for (int m = 0; m < N_MODES; m++)
      keys[m] = make_keys (ctx, m, n, lookups);
    /* Rounds of every mode in turn, the first mode rotating: a shared
     * machine's load moves within a minute, and each mode meets it alike. */
    for (int r = 0; r < ROUNDS; r++)
      for (int j = 0; j < N_MODES; j++)
        {
          Mode m = (r + j) % N_MODES;
          int from = (int) ((gint64) lookups * r / ROUNDS), to = (int) ((gint64) lookups * (r + 1) / ROUNDS);

          spent[m] += run (ctx, bare_stmt, m, keys[m], from, to);
        }
    for (int m = 0; m < N_MODES; m++)
      g_strfreev (keys[m]);
    bare = (double) spent[BY_BARE] / lookups;
    card = (double) spent[BY_CARD] / lookups;
    phone = (double) spent[BY_PHONE] / lookups;
    qr = (double) spent[BY_QR] / lookups;
  }

  printf ("bare indexed point query: %8.2f us\n", bare);
  printf ("lookup by card number:    %8.2f us  ratio %.2f (budget 2.00)\n", card, card / bare);
  printf ("lookup by phone:          %8.2f us  ratio %.2f (budget 2.00)\n", phone, phone / bare);
  printf ("lookup by QR payload:     %8.2f us  ratio %.2f (budget 2.00)\n", qr, qr / bare);

  mdn_op_ctx_free (ctx);
  mdn_store_free (store);
  g_unlink (path);
  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (path, "-shm", NULL);
    g_unlink (wal);
    g_unlink (shm);
  }
  g_rmdir (dir);
  return 0;
}
