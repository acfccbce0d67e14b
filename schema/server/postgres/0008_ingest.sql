-- Mendian server on PostgreSQL, version 8: what two server processes
-- ingesting at once queued on (docs/server.md, "Benchmark").
--
-- A feed position is held, until its transaction ends, by an advisory lock
-- on -pos that mdn_feed_stable_head () reads in pg_locks. Only the lowest
-- position a transaction holds decides the stable head (its later ones
-- are higher), so each transaction now locks only the first position it
-- takes: a push of 5000 entries holds one lock instead of 5000 (which
-- filled the shared lock table and made every stable-head call read them
-- all). The transaction-local setting mendian.feed_held says it has its
-- lock; it ends (or is undone with a rolled-back subtransaction) together
-- with the lock.
CREATE OR REPLACE FUNCTION mdn_feed_take (n integer) RETURNS SETOF bigint
LANGUAGE plpgsql AS $$
DECLARE
  p bigint;
BEGIN
  PERFORM pg_advisory_lock_shared (mdn_feed_class (), 0);
  FOR i IN 1 .. n LOOP
    p := nextval ('feed_pos');
    IF coalesce (current_setting ('mendian.feed_held', true), '') <> 'y' THEN
      PERFORM pg_advisory_xact_lock (-p);
      PERFORM set_config ('mendian.feed_held', 'y', true);
    END IF;
    RETURN NEXT p;
  END LOOP;
  PERFORM pg_advisory_unlock_shared (mdn_feed_class (), 0);
END $$;

-- A month's partitions that exist already are found without the lock that
-- makes them (held to the end of the caller's transaction: a second
-- process's first push of the month waited for the whole first push).
-- Under the lock pg_class is read by a query, which sees what another
-- transaction committed while this one waited: to_regclass would answer
-- from this session's catalogue cache, which still holds the miss.
CREATE OR REPLACE FUNCTION mdn_month_partition (day date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  first date := date_trunc ('month', day)::date;
  next  date := (date_trunc ('month', day) + interval '1 month')::date;
  suffix text := to_char (first, 'YYYYMM');
BEGIN
  IF to_regclass ('entries_' || suffix) IS NOT NULL AND to_regclass ('movements_' || suffix) IS NOT NULL THEN
    RETURN;
  END IF;
  PERFORM pg_advisory_xact_lock (mdn_feed_class (), 1);
  IF NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.relname = 'entries_' || suffix AND pg_table_is_visible (c.oid)) THEN
    EXECUTE format ('CREATE TABLE %I PARTITION OF entries FOR VALUES FROM (%L) TO (%L)',
                    'entries_' || suffix, first, next);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.relname = 'movements_' || suffix AND pg_table_is_visible (c.oid)) THEN
    EXECUTE format ('CREATE TABLE %I PARTITION OF movements FOR VALUES FROM (%L) TO (%L)',
                    'movements_' || suffix, first, next);
  END IF;
END $$;
