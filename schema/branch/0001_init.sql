-- Mendian branch ledger, version 1.
-- Entries and movements are the facts; every other table except meta, staff,
-- oplog and counters is a projection of them, rebuilt by the same apply code.

CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE counters (
  name  TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE staff (
  code     TEXT PRIMARY KEY,
  name     TEXT NOT NULL,
  role     TEXT NOT NULL CHECK (role IN ('cashier', 'manager', 'admin')),
  pw_hash  TEXT NOT NULL,
  active   INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL
) WITHOUT ROWID;

-- Operation log: who did what, including refused attempts and staff changes.
CREATE TABLE oplog (
  id      INTEGER PRIMARY KEY,
  at      TEXT NOT NULL,
  staff   TEXT,
  op      TEXT NOT NULL,
  ok      INTEGER NOT NULL,
  detail  TEXT
);

CREATE TABLE entries (
  id            TEXT PRIMARY KEY,
  branch        TEXT NOT NULL,
  seq           INTEGER NOT NULL,
  kind          TEXT NOT NULL,
  at            TEXT NOT NULL,
  business_date TEXT NOT NULL,
  staff         TEXT NOT NULL,
  member_id     TEXT,
  body          TEXT NOT NULL,
  prev_hash     TEXT NOT NULL,
  hash          TEXT NOT NULL,
  UNIQUE (branch, seq)
);
CREATE INDEX entries_member ON entries (member_id, branch, seq) WHERE member_id IS NOT NULL;

CREATE TABLE movements (
  entry_id   TEXT NOT NULL REFERENCES entries (id),
  idx        INTEGER NOT NULL,
  member_id  TEXT,
  -- Written as ORs, not IN (...): SQLite evaluates a longer IN list through a
  -- temporary table on every insert.
  account    TEXT NOT NULL CHECK (account = 'principal' OR account = 'bonus' OR account = 'points'
                                  OR account = 'package' OR account = 'stock'),
  item       TEXT NOT NULL DEFAULT '',
  lot        TEXT NOT NULL DEFAULT '',
  expires_on TEXT,
  delta      INTEGER NOT NULL,
  PRIMARY KEY (entry_id, idx)
) WITHOUT ROWID;
CREATE INDEX movements_member ON movements (member_id, account) WHERE member_id IS NOT NULL;

-- Projections -----------------------------------------------------------

CREATE TABLE levels (
  code              TEXT PRIMARY KEY,
  name              TEXT NOT NULL,
  price_percent     INTEGER NOT NULL,
  points_per_yuan   INTEGER NOT NULL,
  offline_limit_fen INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

CREATE TABLE deposit_rules (
  min_fen   INTEGER PRIMARY KEY,
  bonus_fen INTEGER NOT NULL
);

CREATE TABLE members (
  id             TEXT PRIMARY KEY,
  card_no        TEXT NOT NULL UNIQUE,
  name           TEXT NOT NULL,
  phone          TEXT NOT NULL,
  level          TEXT NOT NULL,
  birthday       TEXT,
  birthday_lunar TEXT,
  pin_hash       TEXT,
  status         TEXT NOT NULL CHECK (status IN ('active', 'lost', 'replaced')),
  expires_on     TEXT,
  issued_at      TEXT NOT NULL,
  issued_branch  TEXT NOT NULL,
  principal_fen  INTEGER NOT NULL DEFAULT 0,
  bonus_fen      INTEGER NOT NULL DEFAULT 0,
  points         INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX members_phone ON members (phone);
CREATE INDEX members_name ON members (name);

-- Every card number a member ever had; replaced numbers stay, refused.
CREATE TABLE cards (
  card_no   TEXT PRIMARY KEY,
  member_id TEXT NOT NULL REFERENCES members (id),
  status    TEXT NOT NULL CHECK (status IN ('current', 'replaced'))
) WITHOUT ROWID;

-- Package uses per purchase lot (the entry that bought them).
CREATE TABLE member_packages (
  member_id  TEXT NOT NULL REFERENCES members (id),
  item       TEXT NOT NULL,
  lot        TEXT NOT NULL,
  expires_on TEXT,
  remaining  INTEGER NOT NULL,
  PRIMARY KEY (member_id, item, lot)
) WITHOUT ROWID;

-- Stock per branch and item: a branch also applies other branches' entries
-- (a member's sale elsewhere), whose goods left that branch's shelves.
CREATE TABLE stock (
  branch TEXT NOT NULL,
  item   TEXT NOT NULL,
  qty    INTEGER NOT NULL,
  PRIMARY KEY (branch, item)
) WITHOUT ROWID;
