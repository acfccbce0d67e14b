-- Mendian server tables, version 9: the stored value spent and refunded by
-- sales and returns, per branch-day (mdn-figures.h), for the liability and
-- settlement reports; and an index for one branch's days.
-- Days rolled up before this version have 0 in the new columns.
ALTER TABLE srv_rollup_day ADD COLUMN principal_spent_fen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN bonus_spent_fen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN principal_refunded_fen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN bonus_refunded_fen INTEGER NOT NULL DEFAULT 0;
CREATE INDEX srv_rollup_day_branch ON srv_rollup_day (branch, business_date);
