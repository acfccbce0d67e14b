-- Mendian server tables, version 5: srv_rollup_day holds every figure of
-- common/mdn-figures.h (one column per figure, same names), so the
-- summary gives head office what the branches' day end gives them.
-- Days rolled up before this version have 0 in the new columns: the
-- figures count from the upgrade on.
ALTER TABLE srv_rollup_day ADD COLUMN counted_entries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN net_fen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN points_earned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN points_returned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN points_redeemed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN points_adjusted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN points_written_off INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN package_uses_sold INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN package_uses_returned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN package_uses_consumed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN package_uses_written_off INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN stock_sold_qty INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN stock_returned_qty INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN tender_cash_fen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN tender_cash_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN tender_bank_fen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN tender_bank_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN tender_wechat_fen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN tender_wechat_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN tender_alipay_fen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN tender_alipay_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN tender_balance_fen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN tender_balance_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN tender_other_fen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN tender_other_count INTEGER NOT NULL DEFAULT 0;
