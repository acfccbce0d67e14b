-- Mendian branch ledger, version 11: what a sale writes that it need not.
--
-- movements_member (member_id, account) cost every member sale one or two
-- WAL pages of its own (a member's principal and points rows sit at two
-- places in it; bench/bench-sale with BENCH_SALE_KEEP=1 and
-- bench/wal-pages.py count them). No point query of the branch needs it:
-- a member's offline spending of the day is found through entries_member
-- (member_id, branch, seq) and the movements' primary key, and the ledger
-- check's sums scan the movements in any case.
DROP INDEX IF EXISTS movements_member;
