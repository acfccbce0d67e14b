-- Mendian branch ledger, version 11: what a sale writes that it need not.
--
-- movements_member was (member_id, account): a member sale's principal
-- and points rows sat at two places in it, often two WAL pages
-- (bench/bench-sale with BENCH_SALE_KEEP=1 and bench/wal-pages.py count
-- them). By member alone, the key of this WITHOUT ROWID table (entry_id,
-- a UUIDv7, then idx) orders a member's rows by time, so one entry's rows
-- are neighbours: one page. The queries by member and account (a member's
-- offline spending of the day, the balance before an entry in reports)
-- still seek the member and filter the account among their rows.
DROP INDEX IF EXISTS movements_member;
CREATE INDEX movements_member ON movements (member_id) WHERE member_id IS NOT NULL;
