-- Mendian server on PostgreSQL, version 4: the over/short of shift
-- handovers in the day rollup (server/0013_counter_over_short.sql): a
-- column for each new figure of common/reports/mdn-figures.h.
ALTER TABLE srv_rollup_day
  ADD COLUMN shifts_closed       bigint NOT NULL DEFAULT 0,
  ADD COLUMN over_short_fen      bigint NOT NULL DEFAULT 0,
  ADD COLUMN cash_over_short_fen bigint NOT NULL DEFAULT 0;
