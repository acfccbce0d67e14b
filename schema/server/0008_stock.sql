-- Mendian server tables, version 8: stock (issue 14).
-- An entry addressed to one branch (MDN_KIND_ADDRESSED, a transfer) is in
-- the feed of that branch only; NULL: every branch's feed.
ALTER TABLE srv_feed ADD COLUMN to_branch TEXT;

-- The stock figures of common/reports/mdn-figures.h (one column each, as
-- version 5); days rolled up before this version have 0 in them.
ALTER TABLE srv_rollup_day ADD COLUMN stock_received_qty INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN stock_received_cost_fen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN stock_issued_qty INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN stock_adjusted_qty INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN stock_transferred_out_qty INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN stock_transferred_in_qty INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN stock_transfer_shortfall_qty INTEGER NOT NULL DEFAULT 0;
