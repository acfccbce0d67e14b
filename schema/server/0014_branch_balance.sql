-- Each branch's stored-value liability now (the sum of its rollups' balance
-- changes), kept by a trigger on srv_rollup_day, so that the summary's
-- liability at the end of a period reads only the days after it, not the
-- whole history (docs/server.md, "Benchmark"). The server's only writer of
-- srv_rollup_day is an INSERT OR REPLACE: the trigger runs before it, while
-- the day's old row is still there.
CREATE TABLE srv_branch_balance (
  branch       TEXT PRIMARY KEY,
  principal_fen INTEGER NOT NULL DEFAULT 0,
  bonus_fen     INTEGER NOT NULL DEFAULT 0
);

INSERT INTO srv_branch_balance (branch, principal_fen, bonus_fen)
  SELECT branch, SUM (principal_delta_fen), SUM (bonus_delta_fen) FROM srv_rollup_day GROUP BY branch;

CREATE TRIGGER srv_rollup_day_balance BEFORE INSERT ON srv_rollup_day
BEGIN
  -- No conflict possible (the outer INSERT OR REPLACE would impose its REPLACE
  -- on this statement's conflicts): the row only when it isn't there.
  INSERT INTO srv_branch_balance (branch)
    SELECT NEW.branch WHERE NOT EXISTS (SELECT 1 FROM srv_branch_balance WHERE branch = NEW.branch);
  UPDATE srv_branch_balance
     SET principal_fen = principal_fen + NEW.principal_delta_fen
           - COALESCE ((SELECT r.principal_delta_fen FROM srv_rollup_day r
                         WHERE r.business_date = NEW.business_date AND r.branch = NEW.branch), 0),
         bonus_fen = bonus_fen + NEW.bonus_delta_fen
           - COALESCE ((SELECT r.bonus_delta_fen FROM srv_rollup_day r
                         WHERE r.business_date = NEW.business_date AND r.branch = NEW.branch), 0)
   WHERE branch = NEW.branch;
END;
