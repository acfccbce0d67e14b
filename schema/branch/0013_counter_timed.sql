-- Mendian branch ledger, version 13: more of the counter's timed extras
-- (common/selling/mdn-timed.c).
--
-- Goods and services added to a running table (timed.add): one row per
-- product on a session, its quantity the sum of the adds (a negative add
-- takes some back; a row at 0 is gone). They are priced and billed with
-- the session's time at timed.stop, whose entry carries them as lines.
CREATE TABLE timed_lines (
  session_id TEXT NOT NULL,
  sku        TEXT NOT NULL,
  staff      TEXT,
  qty        INTEGER NOT NULL,
  added_seq  INTEGER NOT NULL,   -- the seq of its first timed.add: the order on the receipt
  PRIMARY KEY (session_id, sku)
) WITHOUT ROWID;

-- A prepaid count-down session (预付计时, timed.prepay): prepaid_minutes
-- paid up front (timed.extend adds to it); NULL for a session billed at
-- the stop. The stop bills only the time beyond it.
ALTER TABLE timed_sessions ADD COLUMN prepaid_minutes INTEGER;
