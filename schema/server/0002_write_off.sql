-- Mendian server tables, version 2: what head office wrote off to settle
-- member exceptions (exception.write_off entries), per branch-day, so the
-- summary report shows it next to the flows it balances.
ALTER TABLE srv_rollup_day ADD COLUMN written_off_fen INTEGER NOT NULL DEFAULT 0;
