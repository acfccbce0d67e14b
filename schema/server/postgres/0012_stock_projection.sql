-- Mendian server on PostgreSQL, version 12: the catalogue and every
-- branch's stock read without replaying all history
-- (server/store/srv-store-pg-projection.c, docs/server.md "Stock and the
-- catalogue on PostgreSQL").
--
-- A projection (the catalogue; the catalogue with every branch's stock and
-- transfers) is the scratch database of the branch schema after the
-- entries it is made of, in arrival order (entry_keys.applied). It is kept
-- as an image (sqlite3_serialize) with the arrival position it covers: the
-- entries up to it are in the image, a read applies the few after it. The
-- first read of a database without an image (an upgraded one) builds it
-- from the stored entries.

CREATE TABLE srv_projections (
  name       text PRIMARY KEY CHECK (name IN ('catalog', 'stock')),
  format     text NOT NULL,       -- the branch schema and image format it was made with
  covers     bigint NOT NULL,     -- every entry with applied <= covers is in it, no other
  image      bytea NOT NULL,
  built_at   text NOT NULL
);

-- The entries after an image's position, found without reading the others.
CREATE INDEX entry_keys_applied ON entry_keys (applied);

-- Arrival positions come from the sequence apply_order: they may have holes
-- (a push rolled back) and commit out of order, like the feed's. An image
-- may cover a position only when every lower one belongs to a transaction
-- that has ended, so each transaction that takes positions holds, until it
-- ends, the bigint advisory lock (1 << 62) + L + 1 (shared: transactions
-- that start at the same L don't wait for each other), L the sequence's
-- value before its first one (all its positions are above L). The two-int lock
-- (mdn_apply_class (), 0) orders taking that lock against reading the head.
-- The feed's locks are negative bigints; these are above 1 << 62.
CREATE FUNCTION mdn_apply_class () RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT 1835298420 $$;

-- Called before the transaction's first nextval ('apply_order') (once per
-- statement is enough: the transaction-local mendian.apply_held says it
-- holds its lock). Always true, so it can gate a query.
CREATE FUNCTION mdn_apply_hold () RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
  last bigint;
BEGIN
  IF coalesce (current_setting ('mendian.apply_held', true), '') = 'y' THEN
    RETURN true;
  END IF;
  PERFORM pg_advisory_lock_shared (mdn_apply_class (), 0);
  SELECT CASE WHEN is_called THEN last_value ELSE 0 END INTO last FROM apply_order;
  PERFORM pg_advisory_xact_lock_shared ((1::bigint << 62) + last + 1);
  PERFORM set_config ('mendian.apply_held', 'y', true);
  PERFORM pg_advisory_unlock_shared (mdn_apply_class (), 0);
  RETURN true;
END $$;

-- The highest arrival position at or below which every position taken
-- belongs to a transaction that has ended: an image built from a snapshot
-- taken after this call, of the entries up to it, misses none.
CREATE FUNCTION mdn_apply_stable_head () RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  head bigint;
  held bigint;
BEGIN
  PERFORM pg_advisory_lock (mdn_apply_class (), 0);
  SELECT CASE WHEN is_called THEN last_value ELSE 0 END INTO head FROM apply_order;
  PERFORM pg_advisory_unlock (mdn_apply_class (), 0);
  SELECT min (k - (1::bigint << 62)) INTO held
    FROM (SELECT (classid::bigint << 32) | objid::bigint AS k
            FROM pg_locks
           WHERE locktype = 'advisory' AND objsubid = 1 AND granted
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database ())
             AND pid <> pg_backend_pid ()) AS l
   WHERE k >= (1::bigint << 62);
  IF held IS NOT NULL AND held <= head THEN
    RETURN held - 1;
  END IF;
  RETURN head;
END $$;
