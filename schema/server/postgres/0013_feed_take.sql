-- Mendian server on PostgreSQL, version 13: a push's feed positions taken
-- in one query instead of a PL/pgSQL loop (docs/speed.md, "Server ingest
-- on PostgreSQL"): mdn_feed_take (500) took 2–5 ms of the batch statement
-- on a loaded machine, nextval over a series 0.3–0.5 ms. The same
-- positions in the same order, the same locks: the shared lock (class, 0)
-- held while they are taken, and the transaction's first position held as
-- the advisory lock -pos (0008_ingest.sql) unless it holds one already.
CREATE OR REPLACE FUNCTION mdn_feed_take (n integer) RETURNS SETOF bigint
LANGUAGE plpgsql AS $$
DECLARE
  first bigint;
BEGIN
  IF n < 1 THEN
    RETURN;
  END IF;
  PERFORM pg_advisory_lock_shared (mdn_feed_class (), 0);
  first := nextval ('feed_pos');
  IF coalesce (current_setting ('mendian.feed_held', true), '') <> 'y' THEN
    PERFORM pg_advisory_xact_lock (-first);
    PERFORM set_config ('mendian.feed_held', 'y', true);
  END IF;
  RETURN NEXT first;
  RETURN QUERY SELECT nextval ('feed_pos') FROM generate_series (2, n);
  PERFORM pg_advisory_unlock_shared (mdn_feed_class (), 0);
END $$;
