-- Mendian server tables: the over/short of shift handovers (长短款,
-- shift.close, common/reports/mdn-shifts.c) in the day rollup, as the
-- figures count it (common/reports/mdn-figures.h): shifts_closed,
-- over_short_fen over every money tender, cash_over_short_fen.
ALTER TABLE srv_rollup_day ADD COLUMN shifts_closed INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN over_short_fen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN cash_over_short_fen INTEGER NOT NULL DEFAULT 0;
