-- Mendian server tables, version 11: the head-office web console
-- (server/console/). Its accounts, their sessions and the audit log of
-- every console login and write.

-- A console account. role: hq-admin (everything), hq-viewer (reads only),
-- region (reads and writes of its branches only, listed in
-- srv_console_user_branches). password_hash is argon2id (libsodium);
-- failed logins are counted in `lockouts` (what 'staff', key
-- 'console/NAME': the server has no staff of its own).
CREATE TABLE srv_console_users (
  name          TEXT PRIMARY KEY,
  role          TEXT NOT NULL CHECK (role IN ('hq-admin', 'hq-viewer', 'region')),
  password_hash TEXT NOT NULL,
  disabled      INTEGER NOT NULL DEFAULT 0,
  created_at    TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE srv_console_user_branches (
  name   TEXT NOT NULL REFERENCES srv_console_users (name),
  branch TEXT NOT NULL,
  PRIMARY KEY (name, branch)
) WITHOUT ROWID;

-- A logged-in session: the SHA-256 of the cookie's random id (the id
-- itself is never stored), its CSRF token, and when it was last used
-- (unix seconds of mdn_clock_now: the idle timeout counts from there).
CREATE TABLE srv_console_sessions (
  id_hash    TEXT PRIMARY KEY,
  name       TEXT NOT NULL REFERENCES srv_console_users (name),
  csrf       TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL
) WITHOUT ROWID;

-- Every console login (and refused login) and every write, with who did
-- it; entry_id is the ledger entry a write made, if any.
CREATE TABLE srv_console_audit (
  id       INTEGER PRIMARY KEY,
  at       TEXT NOT NULL,
  name     TEXT NOT NULL,
  action   TEXT NOT NULL,
  target   TEXT,
  ok       INTEGER NOT NULL,
  detail   TEXT,
  entry_id TEXT
);
CREATE INDEX srv_console_audit_at ON srv_console_audit (at);
