-- Mendian server on PostgreSQL, version 14: srv_feed keeps its primary
-- key (the position) and loses the unique index on entry_id
-- (docs/speed.md, "Server ingest on PostgreSQL"). A feed row is written
-- only in the transaction that stores its entry, and entry_keys.id is
-- unique: the index never refused a row, and cost every push an index
-- insert per entry. Readers go from the position to entry_keys by its id.
ALTER TABLE srv_feed DROP CONSTRAINT srv_feed_entry_id_key;
