-- Mendian server on PostgreSQL, version 11: the balance after each deposit,
-- what the deposits report (common/reports/mdn-report-defs.c, balance_after)
-- shows, kept on apply (server/store/srv-store-pg-deposits.c, in the push's
-- transaction) instead of read from the depositing member's own history at
-- each run: the member's stored value (principal + bonus) once the deposit
-- was applied, in the server's arrival order (entry_keys.applied), as the
-- SQLite server's report sums it (every principal and bonus movement of the
-- member in an entry stored up to the deposit).
CREATE TABLE srv_deposit_balances (
  entry_id          text PRIMARY KEY,   -- a member.deposit's id (entry_keys.id)
  balance_after_fen bigint NOT NULL
);

-- What the ledger held before this version, the same way: each member's
-- running sum of its principal and bonus movements in arrival order, taken
-- at each of its deposits (a zero row per deposit, so that one without such
-- a movement has its row too).
INSERT INTO srv_deposit_balances (entry_id, balance_after_fen)
SELECT DISTINCT ON (id) id, balance
  FROM (SELECT r.id, r.kind, r.member_id, r.mover,
               sum (r.delta) OVER (PARTITION BY r.mover ORDER BY r.applied) AS balance
          FROM (SELECT k.id, k.kind, k.member_id, k.applied, m.member_id AS mover, sum (m.delta) AS delta
                  FROM entry_keys k
                  JOIN movements m ON m.business_date = k.business_date AND m.entry_id = k.id
                 WHERE m.member_id IS NOT NULL AND m.account IN ('principal', 'bonus')
                 GROUP BY k.id, k.kind, k.member_id, k.applied, m.member_id
                UNION ALL
                SELECT k.id, k.kind, k.member_id, k.applied, k.member_id, 0
                  FROM entry_keys k WHERE k.kind = 'member.deposit' AND k.member_id IS NOT NULL) r) s
 WHERE s.kind = 'member.deposit' AND s.member_id = s.mover
 ORDER BY id;
