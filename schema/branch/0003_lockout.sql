-- Mendian branch ledger, version 3: lockouts against guessing.
-- Not a projection (like staff and oplog): wrong attempts in a row at this
-- database, and the locks they set (common/mdn-lockout.h). what = 'pin'
-- keys a member id (stored-value spending with the card's PIN), 'staff' a
-- staff code as typed at the login (known or not: an unknown code locks
-- like a known one). The server keeps the chain-wide PIN count in the same
-- table of its database. Times are unix seconds.
CREATE TABLE lockouts (
  what         TEXT NOT NULL CHECK (what = 'pin' OR what = 'staff'),
  key          TEXT NOT NULL,
  failures     INTEGER NOT NULL DEFAULT 0,
  locked_until INTEGER NOT NULL DEFAULT 0,
  -- 'pin' at a branch: wrong PINs checked here (offline) that the server
  -- has not been told of yet; sent with the next sync.
  unreported   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (what, key)
) WITHOUT ROWID;
