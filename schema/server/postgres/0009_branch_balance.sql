-- Each branch's stored-value liability now (the sum of its rollups' balance
-- changes), kept by a trigger on srv_rollup_day in the push's transaction,
-- so that the summary's liability at the end of a period reads only the days
-- after it, not the whole history (as schema/server/0014_branch_balance.sql).
-- The row is the branch's own: pushes of one branch are serialized by its
-- srv_branches row already, so it adds no wait between branches.
CREATE TABLE srv_branch_balance (
  branch        text PRIMARY KEY,
  principal_fen bigint NOT NULL DEFAULT 0,
  bonus_fen     bigint NOT NULL DEFAULT 0
);

INSERT INTO srv_branch_balance (branch, principal_fen, bonus_fen)
  SELECT branch, SUM (principal_delta_fen), SUM (bonus_delta_fen) FROM srv_rollup_day GROUP BY branch;

CREATE FUNCTION mdn_rollup_balance () RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
  dp bigint := NEW.principal_delta_fen;
  db bigint := NEW.bonus_delta_fen;
BEGIN
  IF TG_OP = 'UPDATE' THEN
    dp := dp - OLD.principal_delta_fen;
    db := db - OLD.bonus_delta_fen;
  END IF;
  IF dp <> 0 OR db <> 0 OR TG_OP = 'INSERT' THEN
    INSERT INTO srv_branch_balance AS b (branch, principal_fen, bonus_fen) VALUES (NEW.branch, dp, db)
      ON CONFLICT (branch) DO UPDATE SET principal_fen = b.principal_fen + excluded.principal_fen,
                                         bonus_fen = b.bonus_fen + excluded.bonus_fen;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER srv_rollup_day_balance AFTER INSERT OR UPDATE ON srv_rollup_day
  FOR EACH ROW EXECUTE FUNCTION mdn_rollup_balance ();
