-- Mendian server on PostgreSQL, version 5: a receipt number is held by one
-- applied entry, as the SQLite server's receipts table (receipt_no PRIMARY
-- KEY) holds it: a second one stores nothing (store_entry's ON CONFLICT DO
-- NOTHING) and srv-push.c refuses it as taken.
DROP INDEX entry_keys_receipt;
CREATE UNIQUE INDEX entry_keys_receipt ON entry_keys (receipt_no) WHERE receipt_no IS NOT NULL;

-- The timed sessions (common/selling/mdn-timed.c) of applied entries, what
-- the SQLite server's timed_sessions refuses by: one open session per
-- branch and table (timed_sessions_open), a session stopped once. Kept by
-- srv-store-pg.c's apply of timed.start, .prepay, .move and .stop.
CREATE TABLE srv_timed_sessions (
  id       text PRIMARY KEY,
  branch   text NOT NULL,
  resource text NOT NULL,
  stopped  boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX srv_timed_sessions_open ON srv_timed_sessions (branch, resource) WHERE NOT stopped;
