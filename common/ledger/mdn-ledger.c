/* mdn-ledger.c */
#define G_LOG_DOMAIN "mdn-ledger"

#include <glib/gi18n-lib.h>
#include <nettle/sha2.h>
#include <string.h>

#include "mdn-entry-check.h"
#include "mdn-entry-codec.h"
#include "mdn-error.h"
#include "mdn-id.h"
#include "mdn-json.h"
#include "mdn-ledger.h"
#include "mdn-op.h"
#include "mdn-store.h"

/* Every family's entry kinds, registered by the operation registry at
 * mdn_library_init (ops/): the ledger names no family. A kind not
 * registered is refused by apply. */
#define MAX_KIND_TABLES 32
static const MdnKindDef *kind_tables[MAX_KIND_TABLES];
static guint n_kind_tables;
/* kind → its definition, the first registered of a name (as a search of
 * the tables in order finds it): every entry read, checked and applied
 * looks its kind up several times. Written only while registering, at
 * start-up, before any thread reads it. */
static GHashTable *kinds_by_name;

void
mdn_ledger_register_kinds (const MdnKindDef *table)
{
  g_return_if_fail (table != NULL);

  for (guint t = 0; t < n_kind_tables; t++)
    if (kind_tables[t] == table)
      return;
  g_return_if_fail (n_kind_tables < MAX_KIND_TABLES);
  kind_tables[n_kind_tables++] = table;
  if (kinds_by_name == NULL)
    kinds_by_name = g_hash_table_new (g_str_hash, g_str_equal);
  for (const MdnKindDef *k = table; k->kind; k++)
    if (!g_hash_table_contains (kinds_by_name, k->kind))
      g_hash_table_insert (kinds_by_name, (gpointer) k->kind, (gpointer) k);
}

/* Tables that are branch-local bookkeeping, not projections of entries. */
static const char *const local_tables[] = {
  "meta", "counters", "staff", "oplog", "lockouts", "entries", "movements",
  "reminder_done",   /* crm: reminders this branch marked done */
};

const MdnKindDef *
mdn_ledger_lookup_kind (const char *kind)
{
  g_return_val_if_fail (n_kind_tables > 0, NULL);   /* mdn_library_init () first */

  return kind ? g_hash_table_lookup (kinds_by_name, kind) : NULL;
}

/* Master data (products, prices, levels, rules, plans ...) is what the
 * head-office terminal writes: the kinds flagged MDN_KIND_MASTER (the
 * registry checks that their operations carry MDN_OP_HQ). A branch's own
 * master entries stay in its ledger and its projections; only the HQ
 * terminal's reach the chain. */
gboolean
mdn_ledger_kind_is_master (const char *kind)
{
  const MdnKindDef *def;

  g_return_val_if_fail (kind != NULL, FALSE);

  def = mdn_ledger_lookup_kind (kind);
  return def != NULL && (def->flags & MDN_KIND_MASTER) != 0;
}

gboolean
mdn_entry_malformed (MdnEntry   *entry,
                     const char *what,
                     GError    **error)
{
  g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
               _("The entry is malformed: %s %s"), entry->kind, what);
  return FALSE;
}

/* Whether @entry touches state shared by the chain (a member, a member's
 * balance, points or packages, or master data) and so travels to other
 * branches through the server's feed. Stock-only and other branch-local
 * entries stay at their branch. Master entries are shared only when the
 * HQ terminal wrote them, which the caller knows. */
gboolean
mdn_entry_is_shared (MdnEntry *entry)
{
  g_return_val_if_fail (entry != NULL, FALSE);

  if (entry->member_id != NULL || mdn_ledger_kind_is_master (entry->kind))
    return TRUE;
  for (guint i = 0; i < entry->movements->len; i++)
    if (g_array_index (entry->movements, MdnMovement, i).member_id != NULL)
      return TRUE;
  return FALSE;
}

const char *
mdn_entry_addressee (MdnEntry *entry)
{
  const MdnKindDef *def;

  g_return_val_if_fail (entry != NULL, NULL);

  def = mdn_ledger_lookup_kind (entry->kind);
  if (def == NULL || (def->flags & MDN_KIND_ADDRESSED) == 0)
    return NULL;
  return mdn_body_string (entry->body, "deliver_to");
}

static void
movement_clear (gpointer data)
{
  MdnMovement *m = data;

  g_free (m->member_id);
  g_free (m->account);
  g_free (m->item);
  g_free (m->lot);
  g_free (m->expires_on);
}

MdnEntry *
mdn_entry_new (const char *kind,
               const char *member_id)
{
  MdnEntry *entry = g_new0 (MdnEntry, 1);

  g_return_val_if_fail (kind != NULL, NULL);

  entry->kind = g_strdup (kind);
  entry->member_id = g_strdup (member_id);
  entry->body = json_object_new ();
  entry->movements = g_array_new (FALSE, TRUE, sizeof (MdnMovement));
  g_array_set_clear_func (entry->movements, movement_clear);
  return entry;
}

void
mdn_entry_free (MdnEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->id);
  g_free (entry->branch);
  g_free (entry->kind);
  g_free (entry->at);
  g_free (entry->business_date);
  g_free (entry->staff);
  g_free (entry->member_id);
  g_clear_pointer (&entry->body, json_object_unref);
  g_clear_pointer (&entry->movements, g_array_unref);
  g_free (entry->prev_hash);
  g_free (entry->hash);
  g_free (entry->canonical_body);
  g_free (entry->canonical);
  g_free (entry);
}

void
mdn_entry_add_movement (MdnEntry   *entry,
                        const char *member_id,
                        const char *account,
                        const char *item,
                        const char *lot,
                        const char *expires_on,
                        gint64      delta)
{
  MdnMovement m = {
    .member_id = g_strdup (member_id),
    .account = g_strdup (account),
    .item = g_strdup (item ? item : ""),
    .lot = g_strdup (lot ? lot : ""),
    .expires_on = g_strdup (expires_on),
    .delta = delta,
  };

  g_return_if_fail (entry != NULL);
  g_return_if_fail (account != NULL);

  if (delta == 0)
    {
      movement_clear (&m);
      return;
    }
  g_array_append_val (entry->movements, m);
}

JsonObject *
mdn_entry_to_json (MdnEntry *entry,
                   gboolean  with_hash)
{
  JsonObject *o = json_object_new ();
  JsonArray *moves = json_array_new ();

  json_object_set_string_member (o, "id", entry->id);
  json_object_set_string_member (o, "branch", entry->branch);
  json_object_set_int_member (o, "seq", entry->seq);
  json_object_set_string_member (o, "kind", entry->kind);
  json_object_set_string_member (o, "at", entry->at);
  json_object_set_string_member (o, "business_date", entry->business_date);
  json_object_set_string_member (o, "staff", entry->staff);
  mdn_json_set_opt_string (o, "member", entry->member_id);
  json_object_set_object_member (o, "body", json_object_ref (entry->body));
  for (guint i = 0; i < entry->movements->len; i++)
    {
      MdnMovement *m = &g_array_index (entry->movements, MdnMovement, i);
      JsonObject *mo = json_object_new ();

      mdn_json_set_opt_string (mo, "member", m->member_id);
      json_object_set_string_member (mo, "account", m->account);
      json_object_set_string_member (mo, "item", m->item);
      json_object_set_string_member (mo, "lot", m->lot);
      mdn_json_set_opt_string (mo, "expires_on", m->expires_on);
      json_object_set_int_member (mo, "delta", m->delta);
      json_array_add_object_element (moves, mo);
    }
  json_object_set_array_member (o, "movements", moves);
  json_object_set_string_member (o, "prev_hash", entry->prev_hash);
  if (with_hash)
    json_object_set_string_member (o, "hash", entry->hash);
  return o;
}

/* SHA-256 as lowercase hex, like g_compute_checksum_for_data, through
 * nettle: it uses the CPU's SHA instructions where there are some, several
 * times faster than GChecksum (every pushed entry is hashed on ingest). */
static char *
sha256_hex (const char *data,
            gsize       len)
{
  static const char digits[] = "0123456789abcdef";
  struct sha256_ctx ctx;
  guint8 digest[SHA256_DIGEST_SIZE];
  char *hex = g_malloc (2 * SHA256_DIGEST_SIZE + 1);

  sha256_init (&ctx);
  sha256_update (&ctx, len, (const guint8 *) data);
  sha256_digest (&ctx, SHA256_DIGEST_SIZE, digest);
  for (guint i = 0; i < SHA256_DIGEST_SIZE; i++)
    {
      hex[2 * i] = digits[digest[i] >> 4];
      hex[2 * i + 1] = digits[digest[i] & 0xf];
    }
  hex[2 * SHA256_DIGEST_SIZE] = '\0';
  return hex;
}

/* The hash is SHA-256 over the entry's canonical form without "hash",
 * written by the entry codec's one writer (mdn_entry_codec_write; the
 * slow path through a JSON tree, mdn_json_object_canonical (mdn_entry_to_json
 * (entry, FALSE)), is the test's oracle: /ledger/hash/direct-canonical).
 * The body's canonical text is kept in entry->canonical_body, so that apply
 * stores exactly the hashed bytes. */
char *
mdn_entry_compute_hash (MdnEntry *entry)
{
  GString *s = g_string_sized_new (1024);
  gsize body_start, body_end, hash_at;
  char *hash;

  g_return_val_if_fail (entry != NULL, NULL);

  mdn_entry_codec_write_unhashed (s, entry, &body_start, &body_end, &hash_at);
  hash = sha256_hex (s->str, s->len);
  g_free (entry->canonical_body);
  entry->canonical_body = g_strndup (s->str + body_start, body_end - body_start);
  /* kept: the form with the hash is this text with one member more
     (mdn_entry_codec_write_hashed) */
  g_free (entry->canonical);
  entry->canonical_hash_at = hash_at;
  entry->canonical = g_string_free (s, FALSE);
  return hash;
}

static gboolean
bad_entry (const char *what,
           GError    **error)
{
  g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
               _("The entry is malformed: %s"), what);
  return FALSE;
}

static gboolean
load_movements (MdnDb    *db,
                MdnEntry *entry,
                GError  **error)
{
  sqlite3_stmt *stmt;
  int rc;

  stmt = mdn_db_query (db, error,
                       "SELECT member_id, account, item, lot, expires_on, delta "
                       "FROM movements WHERE entry_id = ? ORDER BY idx", "s", entry->id);
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (db, stmt, error)) == SQLITE_ROW)
    mdn_entry_add_movement (entry, mdn_db_col_text (stmt, 0), mdn_db_col_text (stmt, 1),
                            mdn_db_col_text (stmt, 2), mdn_db_col_text (stmt, 3),
                            mdn_db_col_text (stmt, 4), sqlite3_column_int64 (stmt, 5));
  sqlite3_reset (stmt);
  return rc == SQLITE_DONE;
}

static MdnEntry *
entry_from_row (MdnDb        *db,
                sqlite3_stmt *stmt,
                GError      **error)
{
  g_autoptr(MdnEntry) entry = NULL;
  g_autoptr(GError) parse_error = NULL;
  g_autoptr(JsonObject) body = NULL;

  /* columns: id, branch, seq, kind, at, business_date, staff, member_id, body, prev_hash, hash */
  entry = mdn_entry_new (mdn_db_col_text (stmt, 3), mdn_db_col_text (stmt, 7));
  entry->id = g_strdup (mdn_db_col_text (stmt, 0));
  entry->branch = g_strdup (mdn_db_col_text (stmt, 1));
  entry->seq = sqlite3_column_int64 (stmt, 2);
  entry->at = g_strdup (mdn_db_col_text (stmt, 4));
  entry->business_date = g_strdup (mdn_db_col_text (stmt, 5));
  entry->staff = g_strdup (mdn_db_col_text (stmt, 6));
  entry->prev_hash = g_strdup (mdn_db_col_text (stmt, 9));
  entry->hash = g_strdup (mdn_db_col_text (stmt, 10));
  body = mdn_json_parse_object (mdn_db_col_text (stmt, 8), &parse_error);
  if (body == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_CORRUPT,
                   _("Entry %s has a damaged body"), entry->id);
      return NULL;
    }
  json_object_unref (entry->body);
  entry->body = g_steal_pointer (&body);
  return g_steal_pointer (&entry);
}

#define ENTRY_COLUMNS "id, branch, seq, kind, at, business_date, staff, member_id, body, prev_hash, hash"

MdnEntry *
mdn_entry_load (MdnDb      *db,
                const char *entry_id,
                GError    **error)
{
  g_autoptr(MdnEntry) entry = NULL;
  sqlite3_stmt *stmt;
  int rc;

  stmt = mdn_db_query (db, error, "SELECT " ENTRY_COLUMNS " FROM entries WHERE id = ?", "s", entry_id);
  if (stmt == NULL)
    return NULL;
  rc = mdn_db_step (db, stmt, error);
  if (rc == SQLITE_DONE)
    g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_ENTRY,
                 _("No entry %s in this branch's ledger"), entry_id);
  if (rc != SQLITE_ROW)
    return NULL;
  entry = entry_from_row (db, stmt, error);
  sqlite3_reset (stmt);
  if (entry == NULL || !load_movements (db, entry, error))
    return NULL;
  return g_steal_pointer (&entry);
}

/* A member's balance deltas within one entry, applied with one UPDATE. */
typedef struct
{
  const char *member_id;
  gint64      principal;
  gint64      bonus;
  gint64      points;
} MemberDelta;

static gboolean
apply_movement (MdnDb       *db,
                MdnEntry    *entry,
                MdnMovement *m,
                GArray      *member_deltas,
                GError     **error)
{
  MemberDelta *d = NULL;

  if (g_str_equal (m->account, "stock"))
    return mdn_db_exec (db, error,
                        "INSERT INTO stock (branch, item, qty) VALUES (?, ?, ?) "
                        "ON CONFLICT (branch, item) DO UPDATE SET qty = qty + excluded.qty",
                        "ssi", entry->branch, m->item, m->delta);
  if (g_str_equal (m->account, "package"))
    return mdn_db_exec (db, error,
                        "INSERT INTO member_packages (member_id, item, lot, expires_on, remaining) "
                        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (member_id, item, lot) "
                        "DO UPDATE SET remaining = remaining + excluded.remaining",
                        "ssssi", m->member_id, m->item, m->lot, m->expires_on, m->delta);

  if (m->member_id == NULL)
    return bad_entry ("movement without a member", error);
  for (guint i = 0; i < member_deltas->len && d == NULL; i++)
    if (g_str_equal (g_array_index (member_deltas, MemberDelta, i).member_id, m->member_id))
      d = &g_array_index (member_deltas, MemberDelta, i);
  if (d == NULL)
    {
      MemberDelta zero = { m->member_id, 0, 0, 0 };

      g_array_append_val (member_deltas, zero);
      d = &g_array_index (member_deltas, MemberDelta, member_deltas->len - 1);
    }
  if (g_str_equal (m->account, "principal"))
    d->principal += m->delta;
  else if (g_str_equal (m->account, "bonus"))
    d->bonus += m->delta;
  else if (g_str_equal (m->account, "points"))
    d->points += m->delta;
  else
    return bad_entry ("account", error);
  return TRUE;
}

/* Held balances (mdn_ledger_hold_balances): per member, what the
 * transaction's entries added since the last write of the row. A member
 * is in the table once an UPDATE of their row changed it in this
 * transaction (so the row is there: no statement deletes a member). */
typedef struct
{
  gint64 principal;
  gint64 bonus;
  gint64 points;
} HeldBalance;

static gboolean
held_balances_flush (MdnDb   *db,
                     gpointer data,
                     GError **error)
{
  GHashTableIter iter;
  gpointer key, value;

  g_hash_table_iter_init (&iter, data);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      HeldBalance *h = value;

      if (h->principal == 0 && h->bonus == 0 && h->points == 0)
        continue;
      if (!mdn_db_exec (db, error,
                        "UPDATE members SET principal_fen = principal_fen + ?, bonus_fen = bonus_fen + ?, "
                        "points = points + ? WHERE id = ?",
                        "iiis", h->principal, h->bonus, h->points, (const char *) key))
        return FALSE;
      if (sqlite3_changes (mdn_db_handle (db)) != 1)
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_INTERNAL,
                       "held balances: member %s is gone", (const char *) key);
          return FALSE;
        }
      memset (h, 0, sizeof *h);
    }
  return TRUE;
}

void
mdn_ledger_hold_balances (MdnDb *db)
{
  mdn_db_hold_writes_by_key (db, "members", held_balances_flush);
}

static gboolean
apply_member_deltas (MdnDb    *db,
                     MdnEntry *entry,
                     GArray   *member_deltas,
                     GError  **error)
{
  GHashTable *held = member_deltas->len > 0 ? mdn_db_held (db, held_balances_flush) : NULL;

  for (guint i = 0; i < member_deltas->len; i++)
    {
      MemberDelta *d = &g_array_index (member_deltas, MemberDelta, i);
      HeldBalance *h = held ? g_hash_table_lookup (held, d->member_id) : NULL;
      gint64 principal, bonus, points;

      /* Held: added to what is held for the member, unless a sum would
         leave gint64 (then written now, after what is held: the UPDATE
         names the table). */
      if (h != NULL &&
          !__builtin_add_overflow (h->principal, d->principal, &principal) &&
          !__builtin_add_overflow (h->bonus, d->bonus, &bonus) &&
          !__builtin_add_overflow (h->points, d->points, &points))
        {
          h->principal = principal;
          h->bonus = bonus;
          h->points = points;
          mdn_db_held_pending (db, held_balances_flush);
          continue;
        }
      if (!mdn_db_exec (db, error,
                        "UPDATE members SET principal_fen = principal_fen + ?, bonus_fen = bonus_fen + ?, "
                        "points = points + ? WHERE id = ?",
                        "iiis", d->principal, d->bonus, d->points, d->member_id))
        return FALSE;
      if (sqlite3_changes (mdn_db_handle (db)) != 1)
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_UNKNOWN_CARD,
                       _("Entry %s moves the balance of member %s, who is not known here"),
                       entry->id, d->member_id);
          return FALSE;
        }
      if (held && h == NULL)
        g_hash_table_insert (held, g_strdup (d->member_id), g_new0 (HeldBalance, 1));
    }
  return TRUE;
}

/* Held movement rows (mdn_ledger_hold_movements): the rows' strings one
 * after another in @text (offsets, NO_TEXT for NULL), written
 * MOVEMENT_CHUNK to an insert. */
#define MOVEMENT_CHUNK 50
#define MOVEMENTS_HELD_MAX 2000
#define NO_TEXT G_MAXUINT

typedef struct
{
  guint  entry_id, member_id, account, item, lot, expires_on;
  gint64 idx;
  gint64 delta;
} HeldMovement;

typedef struct
{
  GByteArray *text;
  GArray     *rows;
} HeldMovements;

#define MOVEMENT_INSERT "INSERT INTO movements (entry_id, idx, member_id, account, item, lot, expires_on, delta) " \
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"

static const char *
movement_chunk_sql (void)
{
  static gsize sql;

  /* Placeholders only, never a value: the text is the same every time. */
  if (g_once_init_enter (&sql))
    {
      GString *s = g_string_new (MOVEMENT_INSERT);

      for (guint i = 1; i < MOVEMENT_CHUNK; i++)
        g_string_append (s, ", (?, ?, ?, ?, ?, ?, ?, ?)");
      g_once_init_leave (&sql, (gsize) g_string_free (s, FALSE));
    }
  return (const char *) sql;
}

static guint
held_text (HeldMovements *h,
           const char    *text)
{
  guint at = h->text->len;

  if (text == NULL)
    return NO_TEXT;
  g_byte_array_append (h->text, (const guint8 *) text, strlen (text) + 1);
  return at;
}

static int
bind_held (sqlite3_stmt  *stmt,
           int            col,
           HeldMovements *h,
           guint          at)
{
  return at == NO_TEXT ? sqlite3_bind_null (stmt, col)
                       : sqlite3_bind_text (stmt, col, (const char *) h->text->data + at, -1, SQLITE_STATIC);
}

static gboolean
held_movements_flush (MdnDb   *db,
                      gpointer data,
                      GError **error)
{
  HeldMovements *h = data;
  guint n = h->rows->len, done = 0;

  while (done < n)
    {
      guint take = n - done >= MOVEMENT_CHUNK ? MOVEMENT_CHUNK : 1;
      sqlite3_stmt *stmt = mdn_db_query (db, error, take == MOVEMENT_CHUNK ? movement_chunk_sql ()
                                         : MOVEMENT_INSERT, "");
      int rc = SQLITE_OK;

      if (stmt == NULL)
        return FALSE;
      for (guint i = 0; i < take && rc == SQLITE_OK; i++)
        {
          HeldMovement *m = &g_array_index (h->rows, HeldMovement, done + i);
          int col = 8 * i + 1;

          if ((rc = bind_held (stmt, col, h, m->entry_id)) == SQLITE_OK &&
              (rc = sqlite3_bind_int64 (stmt, col + 1, m->idx)) == SQLITE_OK &&
              (rc = bind_held (stmt, col + 2, h, m->member_id)) == SQLITE_OK &&
              (rc = bind_held (stmt, col + 3, h, m->account)) == SQLITE_OK &&
              (rc = bind_held (stmt, col + 4, h, m->item)) == SQLITE_OK &&
              (rc = bind_held (stmt, col + 5, h, m->lot)) == SQLITE_OK &&
              (rc = bind_held (stmt, col + 6, h, m->expires_on)) == SQLITE_OK)
            rc = sqlite3_bind_int64 (stmt, col + 7, m->delta);
        }
      if (rc != SQLITE_OK)
        return mdn_db_set_database_error (db, error);
      rc = mdn_db_step (db, stmt, error);
      sqlite3_reset (stmt);
      sqlite3_clear_bindings (stmt);
      if (rc != SQLITE_DONE)
        return FALSE;
      done += take;
    }
  g_array_set_size (h->rows, 0);
  g_byte_array_set_size (h->text, 0);
  return TRUE;
}

static void
held_movements_end (gpointer data,
                    gpointer db)
{
  HeldMovements *h = data;

  g_array_set_size (h->rows, 0);
  g_byte_array_set_size (h->text, 0);
}

static void
held_movements_free (gpointer data)
{
  HeldMovements *h = data;

  g_array_unref (h->rows);
  g_byte_array_unref (h->text);
  g_free (h);
}

void
mdn_ledger_hold_movements (MdnDb *db)
{
  HeldMovements *h;

  g_return_if_fail (db != NULL);

  if (mdn_db_held (db, held_movements_flush) != NULL)
    return;
  h = g_new0 (HeldMovements, 1);
  h->text = g_byte_array_new ();
  h->rows = g_array_new (FALSE, FALSE, sizeof (HeldMovement));
  mdn_db_hold_writes (db, "movements", held_movements_flush, held_movements_end, h, held_movements_free);
}

/* A row held only when none of its constraints could refuse it: a known
 * account, item and lot given (its entry's row went in just before, its
 * key is new with it). Any other row goes in at once, failing as before. */
static gboolean
movement_holdable (const MdnMovement *m)
{
  return m->item != NULL && m->lot != NULL && m->account != NULL &&
         (g_str_equal (m->account, "principal") || g_str_equal (m->account, "bonus") ||
          g_str_equal (m->account, "points") || g_str_equal (m->account, "package") ||
          g_str_equal (m->account, "stock"));
}

/* Stores the entry and its movement rows, projecting nothing. */
gboolean
mdn_ledger_store (MdnDb    *db,
                  MdnEntry *entry,
                  GError  **error)
{
  g_autofree char *body = NULL;
  HeldMovements *held;

  g_return_val_if_fail (mdn_db_in_transaction (db), FALSE);

  /* The body bytes the hash was computed over, when it was. */
  if (entry->canonical_body == NULL)
    body = mdn_json_object_canonical (entry->body);
  if (!mdn_db_exec (db, error,
                    "INSERT INTO entries (" ENTRY_COLUMNS ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    "ssissssssss", entry->id, entry->branch, entry->seq, entry->kind, entry->at,
                    entry->business_date, entry->staff, entry->member_id,
                    body ? body : entry->canonical_body,
                    entry->prev_hash, entry->hash))
    return FALSE;

  held = entry->movements->len > 0 && entry->id != NULL ? mdn_db_held (db, held_movements_flush) : NULL;
  for (guint i = 0; i < entry->movements->len; i++)
    {
      MdnMovement *m = &g_array_index (entry->movements, MdnMovement, i);

      if (held != NULL && movement_holdable (m))
        {
          HeldMovement row = {
            .entry_id = held_text (held, entry->id),
            .member_id = held_text (held, m->member_id),
            .account = held_text (held, m->account),
            .item = held_text (held, m->item),
            .lot = held_text (held, m->lot),
            .expires_on = held_text (held, m->expires_on),
            .idx = i,
            .delta = m->delta,
          };

          g_array_append_val (held->rows, row);
          mdn_db_held_pending (db, held_movements_flush);
          continue;
        }
      if (!mdn_db_exec (db, error, MOVEMENT_INSERT,
                        "sisssssi", entry->id, (gint64) i, m->member_id, m->account, m->item,
                        m->lot, m->expires_on, m->delta))
        return FALSE;
    }
  /* A long transaction (a replay) doesn't keep them all. */
  if (held != NULL && held->rows->len >= MOVEMENTS_HELD_MAX)
    return mdn_db_held_flush (db, held_movements_flush, error);
  return TRUE;
}

/* The one apply path: store the entry and its movements and update every
 * projection. Runs inside the caller's transaction. */
#define MAX_APPLY_HOOKS 4
static MdnApplyFunc apply_hooks[MAX_APPLY_HOOKS];
static guint n_apply_hooks;

void
mdn_ledger_add_apply_hook (MdnApplyFunc hook)
{
  g_return_if_fail (hook != NULL && n_apply_hooks < MAX_APPLY_HOOKS);

  for (guint i = 0; i < n_apply_hooks; i++)
    if (apply_hooks[i] == hook)
      return;
  apply_hooks[n_apply_hooks++] = hook;
}

gboolean
mdn_ledger_apply (MdnDb    *db,
                  MdnEntry *entry,
                  GError  **error)
{
  const MdnKindDef *kind;
  g_autoptr(GArray) member_deltas = NULL;

  g_return_val_if_fail (mdn_db_in_transaction (db), FALSE);

  kind = mdn_ledger_lookup_kind (entry->kind);
  if (kind == NULL)
    {
      g_set_error (error, MDN_ERROR, MDN_ERROR_INVALID_ARGUMENT,
                   _("Unknown entry kind “%s”"), entry->kind);
      return FALSE;
    }

  if (!mdn_ledger_store (db, entry, error))
    return FALSE;
  if (kind->apply && !kind->apply (db, entry, error))
    return FALSE;

  member_deltas = g_array_new (FALSE, FALSE, sizeof (MemberDelta));
  for (guint i = 0; i < entry->movements->len; i++)
    if (!apply_movement (db, entry, &g_array_index (entry->movements, MdnMovement, i),
                         member_deltas, error))
      return FALSE;
  if (!apply_member_deltas (db, entry, member_deltas, error))
    return FALSE;
  for (guint i = 0; i < n_apply_hooks; i++)
    if (!apply_hooks[i] (db, entry, error))
      return FALSE;
  return TRUE;
}

gboolean
mdn_ledger_apply_stock (MdnDb    *db,
                        MdnEntry *entry,
                        GError  **error)
{
  g_return_val_if_fail (mdn_db_in_transaction (db), FALSE);

  if (!mdn_ledger_store (db, entry, error))
    return FALSE;
  for (guint i = 0; i < entry->movements->len; i++)
    {
      MdnMovement *m = &g_array_index (entry->movements, MdnMovement, i);

      if (g_str_equal (m->account, "stock") && !apply_movement (db, entry, m, NULL, error))
        return FALSE;
    }
  return TRUE;
}

/* Gives @entry its identity and place in this branch's chain, then applies it. */
gboolean
mdn_ledger_append (MdnStore *store,
                   MdnOpCtx *ctx,
                   MdnEntry *entry,
                   GError  **error)
{
  sqlite3_stmt *stmt;
  int rc;

  g_return_val_if_fail (entry->id == NULL, FALSE);

  stmt = mdn_db_query (store->db, error,
                       "SELECT seq, hash FROM entries WHERE branch = ? ORDER BY seq DESC LIMIT 1",
                       "s", store->branch_code);
  if (stmt == NULL || (rc = mdn_db_step (store->db, stmt, error)) < 0)
    return FALSE;
  if (rc == SQLITE_ROW)
    {
      entry->seq = sqlite3_column_int64 (stmt, 0) + 1;
      entry->prev_hash = g_strdup (mdn_db_col_text (stmt, 1));
    }
  else
    {
      entry->seq = 1;
      entry->prev_hash = g_strdup (MDN_GENESIS_HASH);
    }
  sqlite3_reset (stmt);

  entry->id = mdn_uuid7_new ();
  entry->branch = g_strdup (store->branch_code);
  entry->at = g_strdup (ctx->now_iso);
  entry->business_date = g_strdup (ctx->business_date);
  entry->staff = g_strdup (ctx->staff);

  /* What the server will check of it, checked here first: an entry the
   * server would refuse would stop this branch's sync for good. */
  {
    g_autoptr(GError) check_error = NULL;

    if (!mdn_entry_check (entry, &check_error))
      {
        if (g_error_matches (check_error, MDN_ERROR, MDN_ERROR_MONEY_OVERFLOW))
          g_propagate_error (error, g_steal_pointer (&check_error));
        else
          g_set_error (error, MDN_ERROR, MDN_ERROR_INTERNAL,
                       _("This operation made an entry that is not right, so nothing was written "
                         "(please report it): %s %s"), entry->kind, check_error->message);
        return FALSE;
      }
  }
  entry->hash = mdn_entry_compute_hash (entry);

  return mdn_ledger_apply (store->db, entry, error);
}

/* Verification ------------------------------------------------------------ */

typedef struct
{
  MdnVerifyFunc report;
  gpointer      user_data;
  guint         count;
} Verify;

static void
mismatch (Verify     *v,
          const char *what,
          const char *expected,
          const char *found)
{
  v->count++;
  if (v->report)
    v->report (what, expected, found, v->user_data);
}

/* A branch holds its own chain whole. Other branches' chains arrive
 * through the feed with gaps (their local entries stay at home), so there a
 * gap is expected and prev_hash is checked only across contiguous seqs;
 * every entry's own hash is still checked. */
static gboolean
verify_chain (MdnDb      *db,
              const char *own_branch,
              Verify     *v,
              GError    **error)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify) mdn_entry_free);
  sqlite3_stmt *stmt;
  g_autofree char *branch = NULL;
  g_autofree char *last_hash = NULL;
  gint64 expected_seq = 0;
  int rc;

  stmt = mdn_db_query (db, error, "SELECT " ENTRY_COLUMNS " FROM entries ORDER BY branch, seq", "");
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (db, stmt, error)) == SQLITE_ROW)
    {
      MdnEntry *entry = entry_from_row (db, stmt, NULL);

      if (entry == NULL)
        {
          mismatch (v, mdn_db_col_text (stmt, 0), "a JSON body", "damaged body");
          continue;
        }
      g_ptr_array_add (entries, entry);
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return FALSE;

  for (guint i = 0; i < entries->len; i++)
    {
      MdnEntry *entry = g_ptr_array_index (entries, i);
      g_autofree char *what = NULL;
      g_autofree char *hash = NULL;

      if (branch == NULL || !g_str_equal (branch, entry->branch))
        {
          g_free (branch);
          branch = g_strdup (entry->branch);
          g_free (last_hash);
          last_hash = g_strdup (MDN_GENESIS_HASH);
          expected_seq = 1;
        }
      what = g_strdup_printf ("entry %s#%" G_GINT64_FORMAT " (%s)", entry->branch, entry->seq, entry->id);
      if (!load_movements (db, entry, error))
        return FALSE;

      if (entry->seq != expected_seq && g_strcmp0 (entry->branch, own_branch) != 0)
        {
          /* A gap in another branch's chain: resynchronise on this entry. */
          g_free (last_hash);
          last_hash = g_strdup (entry->prev_hash);
        }
      else if (entry->seq != expected_seq)
        {
          g_autofree char *e = g_strdup_printf ("seq %" G_GINT64_FORMAT, expected_seq);
          g_autofree char *f = g_strdup_printf ("seq %" G_GINT64_FORMAT, entry->seq);
          g_autofree char *w = g_strdup_printf ("%s sequence", what);

          mismatch (v, w, e, f);
        }
      if (!g_str_equal (entry->prev_hash, last_hash))
        {
          g_autofree char *w = g_strdup_printf ("%s prev_hash", what);

          mismatch (v, w, last_hash, entry->prev_hash);
        }
      hash = mdn_entry_compute_hash (entry);
      if (!g_str_equal (hash, entry->hash))
        {
          g_autofree char *w = g_strdup_printf ("%s hash", what);

          mismatch (v, w, hash, entry->hash);
        }
      g_free (last_hash);
      last_hash = g_strdup (entry->hash);
      expected_seq = entry->seq + 1;
    }
  return TRUE;
}

/* Projections of sums, checked straight against the movements. */
static const struct {
  const char *what;
  const char *sql;   /* rows: key, expected, found */
} sum_checks[] = {
  { "principal_fen",
    "SELECT m.card_no, COALESCE (s.v, 0), m.principal_fen FROM members m LEFT JOIN "
    "(SELECT member_id, SUM (delta) v FROM movements WHERE account = 'principal' GROUP BY member_id) s "
    "ON s.member_id = m.id WHERE m.principal_fen IS NOT COALESCE (s.v, 0)" },
  { "bonus_fen",
    "SELECT m.card_no, COALESCE (s.v, 0), m.bonus_fen FROM members m LEFT JOIN "
    "(SELECT member_id, SUM (delta) v FROM movements WHERE account = 'bonus' GROUP BY member_id) s "
    "ON s.member_id = m.id WHERE m.bonus_fen IS NOT COALESCE (s.v, 0)" },
  { "points",
    "SELECT m.card_no, COALESCE (s.v, 0), m.points FROM members m LEFT JOIN "
    "(SELECT member_id, SUM (delta) v FROM movements WHERE account = 'points' GROUP BY member_id) s "
    "ON s.member_id = m.id WHERE m.points IS NOT COALESCE (s.v, 0)" },
  { "movement of an unknown member",
    "SELECT entry_id || '/' || idx, member_id, 'no such member' FROM movements "
    "WHERE member_id IS NOT NULL AND member_id NOT IN (SELECT id FROM members)" },
  { "package uses",
    "SELECT COALESCE (p.member_id, s.member_id) || ' ' || COALESCE (p.item, s.item) || ' lot ' || "
    "COALESCE (p.lot, s.lot), COALESCE (s.v, 0), COALESCE (p.remaining, 0) FROM member_packages p "
    "FULL OUTER JOIN (SELECT member_id, item, lot, SUM (delta) v FROM movements "
    "WHERE account = 'package' GROUP BY member_id, item, lot) s "
    "ON s.member_id = p.member_id AND s.item = p.item AND s.lot = p.lot "
    "WHERE COALESCE (p.remaining, 0) IS NOT COALESCE (s.v, 0)" },
  { "stock",
    "SELECT COALESCE (k.branch, s.branch) || ' ' || COALESCE (k.item, s.item), COALESCE (s.v, 0), "
    "COALESCE (k.qty, 0) FROM stock k FULL OUTER JOIN "
    "(SELECT e.branch, m.item, SUM (m.delta) v FROM movements m JOIN entries e ON e.id = m.entry_id "
    "WHERE m.account = 'stock' GROUP BY e.branch, m.item) s "
    "ON s.branch = k.branch AND s.item = k.item WHERE COALESCE (k.qty, 0) IS NOT COALESCE (s.v, 0)" },
};

static gboolean
verify_sums (MdnDb   *db,
             Verify  *v,
             GError **error)
{
  for (guint i = 0; i < G_N_ELEMENTS (sum_checks); i++)
    {
      sqlite3_stmt *stmt = mdn_db_query (db, error, sum_checks[i].sql, "");
      int rc;

      if (stmt == NULL)
        return FALSE;
      while ((rc = mdn_db_step (db, stmt, error)) == SQLITE_ROW)
        {
          g_autofree char *what = g_strdup_printf ("%s %s", sum_checks[i].what, mdn_db_col_text (stmt, 0));

          mismatch (v, what, mdn_db_col_text (stmt, 1), mdn_db_col_text (stmt, 2));
        }
      sqlite3_reset (stmt);
      if (rc != SQLITE_DONE)
        return FALSE;
    }
  return TRUE;
}

static char *
row_text (sqlite3_stmt *stmt)
{
  GString *s = g_string_new (NULL);

  for (int c = 0; c < sqlite3_column_count (stmt); c++)
    {
      const char *t = mdn_db_col_text (stmt, c);

      if (c > 0)
        g_string_append (s, " | ");
      g_string_append_printf (s, "%s=%s", sqlite3_column_name (stmt, c), t ? t : "NULL");
    }
  return g_string_free (s, FALSE);
}

static gboolean
compare_table (sqlite3    *mem,
               const char *table,
               Verify     *v,
               GError    **error)
{
  /* Identifiers come from our own schema, never from input. */
  for (int side = 0; side < 2; side++)
    {
      g_autofree char *sql = NULL;
      g_autoptr(sqlite3_stmt) stmt = NULL;

      sql = g_strdup_printf ("SELECT * FROM %s.\"%s\" EXCEPT SELECT * FROM %s.\"%s\"",
                             side == 0 ? "main" : "live", table,
                             side == 0 ? "live" : "main", table);
      if (sqlite3_prepare_v2 (mem, sql, -1, &stmt, NULL) != SQLITE_OK)
        {
          g_set_error (error, MDN_ERROR, MDN_ERROR_DATABASE, "verify: %s", sqlite3_errmsg (mem));
          return FALSE;
        }
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          g_autofree char *row = row_text (stmt);
          g_autofree char *what = g_strdup_printf ("projection %s", table);

          if (side == 0)
            mismatch (v, what, row, "(missing or different)");
          else
            mismatch (v, what, "(no such row)", row);
        }
    }
  return TRUE;
}

/* Replays every entry into an empty database with the same apply code and
 * compares every projection table with the live one. The replay goes in
 * arrival order (rowid), a causal order like every real one; sums do not
 * depend on it, and a member's card state is re-derived on each state entry
 * from all of them in the one order every terminal knows (mdn-members.c,
 * "Member state"), so the replay gives what any terminal holding these
 * entries shows. */
static gboolean
verify_replay (MdnStore *store,
               Verify   *v,
               GError  **error)
{
  g_autoptr(MdnDb) mem = NULL;
  sqlite3_stmt *stmt;
  g_autoptr(GPtrArray) tables = g_ptr_array_new_with_free_func (g_free);
  int rc;

  mem = mdn_db_open (":memory:", "branch", error);
  if (mem == NULL)
    return FALSE;
  if (!mdn_db_begin (mem, TRUE, error))
    return FALSE;

  stmt = mdn_db_query (store->db, error, "SELECT " ENTRY_COLUMNS " FROM entries ORDER BY rowid", "");
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (store->db, stmt, error)) == SQLITE_ROW)
    {
      g_autoptr(MdnEntry) entry = entry_from_row (store->db, stmt, NULL);
      g_autoptr(GError) apply_error = NULL;

      if (entry == NULL)
        continue;   /* reported by verify_chain */
      if (!load_movements (store->db, entry, error))
        return FALSE;
      if (!mdn_ledger_apply (mem, entry, &apply_error))
        {
          g_autofree char *what = g_strdup_printf ("entry %s#%" G_GINT64_FORMAT " replay",
                                                   entry->branch, entry->seq);

          mismatch (v, what, "applies cleanly", apply_error->message);
        }
    }
  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    return FALSE;
  if (!mdn_db_commit (mem, error))
    return FALSE;

  if (!mdn_db_exec (mem, error, "ATTACH DATABASE ? AS live", "s", mdn_db_path (store->db)))
    return FALSE;

  stmt = mdn_db_query (mem, error,
                       "SELECT name FROM main.sqlite_schema WHERE type = 'table' "
                       "AND name NOT LIKE 'sqlite_%' ORDER BY name", "");
  if (stmt == NULL)
    return FALSE;
  while ((rc = mdn_db_step (mem, stmt, error)) == SQLITE_ROW)
    {
      const char *name = mdn_db_col_text (stmt, 0);
      gboolean local = FALSE;

      for (guint i = 0; i < G_N_ELEMENTS (local_tables); i++)
        local |= g_str_equal (local_tables[i], name);
      if (!local)
        g_ptr_array_add (tables, g_strdup (name));
    }
  sqlite3_reset (stmt);

  for (guint i = 0; i < tables->len; i++)
    if (!compare_table (mdn_db_handle (mem), g_ptr_array_index (tables, i), v, error))
      return FALSE;

  return mdn_db_exec (mem, error, "DETACH DATABASE live", "");
}

/* Checks the hash chain of every branch, every sum projection against the
 * movements, and every state projection against a full replay. Mismatches
 * go to @report; returns FALSE only when verification itself failed. */
gboolean
mdn_ledger_verify (MdnStore     *store,
                   MdnVerifyFunc report,
                   gpointer      user_data,
                   guint        *n_mismatches,
                   GError      **error)
{
  Verify v = { report, user_data, 0 };
  gboolean ok;

  if (!mdn_db_begin (store->db, FALSE, error))
    return FALSE;
  ok = verify_chain (store->db, store->branch_code, &v, error) &&
       verify_sums (store->db, &v, error) &&
       verify_replay (store, &v, error);
  mdn_db_rollback (store->db);
  if (n_mismatches)
    *n_mismatches = v.count;
  return ok;
}
