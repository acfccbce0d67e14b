-- Mendian server tables, version 1, on top of the branch schema: the server
-- keeps every branch's entries in `entries`/`movements` and projects them
-- with the same apply code into the chain-wide members, levels, ... tables.
-- Tracked by meta key server_schema, not PRAGMA user_version (that one
-- belongs to the branch schema).

-- A branch (or the HQ terminal) and the hash of its sync token. acked_seq
-- and last_hash are its high-water mark: the server holds seq 1..acked_seq.
CREATE TABLE srv_branches (
  code         TEXT PRIMARY KEY,
  name         TEXT NOT NULL,
  number       INTEGER NOT NULL UNIQUE,
  hq           INTEGER NOT NULL DEFAULT 0,
  token_hash   TEXT NOT NULL UNIQUE,
  revoked      INTEGER NOT NULL DEFAULT 0,
  acked_seq    INTEGER NOT NULL DEFAULT 0,
  last_hash    TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  last_push_at TEXT
) WITHOUT ROWID;

-- Head-office API tokens (reports, exceptions).
CREATE TABLE srv_tokens (
  id         INTEGER PRIMARY KEY,
  name       TEXT NOT NULL,
  role       TEXT NOT NULL CHECK (role IN ('hq')),
  token_hash TEXT NOT NULL UNIQUE,
  revoked    INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);

-- The chain-wide feed: a server-assigned position over every entry that
-- touches shared state, in the order the server applied them.
CREATE TABLE srv_feed (
  pos      INTEGER PRIMARY KEY,
  entry_id TEXT NOT NULL UNIQUE REFERENCES entries (id)
);

-- Daily figures per branch, updated when an entry is applied (exactly once),
-- so reports never scan history. *_delta_fen are the net change of members'
-- stored value made at that branch that day; the liability at the end of a
-- period is their sum up to it.
CREATE TABLE srv_rollup_day (
  branch                TEXT NOT NULL,
  business_date         TEXT NOT NULL,
  entries               INTEGER NOT NULL DEFAULT 0,
  sales_fen             INTEGER NOT NULL DEFAULT 0,
  discount_fen          INTEGER NOT NULL DEFAULT 0,
  refund_fen            INTEGER NOT NULL DEFAULT 0,
  deposit_principal_fen INTEGER NOT NULL DEFAULT 0,
  deposit_bonus_fen     INTEGER NOT NULL DEFAULT 0,
  withdraw_fen          INTEGER NOT NULL DEFAULT 0,
  members_issued        INTEGER NOT NULL DEFAULT 0,
  principal_delta_fen   INTEGER NOT NULL DEFAULT 0,
  bonus_delta_fen       INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (business_date, branch)
) WITHOUT ROWID;

-- Online authorizations: a conditional hold on a member's chain-wide
-- balance, idempotent by auth_id, used by the sale entry that carries it or
-- released when it expires.
CREATE TABLE srv_authorizations (
  auth_id    TEXT PRIMARY KEY,
  member_id  TEXT NOT NULL,
  branch     TEXT NOT NULL,
  kind       TEXT NOT NULL,
  item       TEXT NOT NULL DEFAULT '',
  amount     INTEGER NOT NULL,
  status     TEXT NOT NULL CHECK (status IN ('held', 'used', 'released')),
  created_at TEXT NOT NULL,
  expires_at INTEGER NOT NULL,          -- unix seconds
  entry_id   TEXT
) WITHOUT ROWID;
CREATE INDEX srv_authorizations_member ON srv_authorizations (member_id, status);

-- Overdrafts found after merging offline spending: shown to head office,
-- and the card is on hold at every branch until settled.
CREATE TABLE srv_exceptions (
  id          INTEGER PRIMARY KEY,
  member_id   TEXT NOT NULL,
  entry_id    TEXT NOT NULL,
  branch      TEXT NOT NULL,
  account     TEXT NOT NULL,
  amount      INTEGER NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('open', 'settled')),
  found_at    TEXT NOT NULL,
  settled_at  TEXT,
  settled_by  TEXT
);
CREATE INDEX srv_exceptions_member ON srv_exceptions (member_id, status);
