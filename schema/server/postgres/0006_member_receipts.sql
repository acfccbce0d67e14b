-- Mendian server on PostgreSQL, version 6: what the members report
-- (common/reports/mdn-report-defs.c, run_members) reads of a member's
-- receipts, kept per member on apply (srv-store-pg-report.c,
-- srv_pg_report_applied, in the push's transaction) instead of summed over
-- every receipt of history at each run: the last business date with a
-- receipt and the receipts' total (a return's is its refund, negative), as
-- the SQLite server's receipts table gives them (MAX (business_date),
-- SUM (total_fen) of mdn_receipt_apply's rows).
CREATE TABLE srv_member_receipts (
  member_id  text PRIMARY KEY,
  last_visit date NOT NULL,
  spent_fen  bigint NOT NULL DEFAULT 0
);

-- What the ledger held before this version, the same way.
INSERT INTO srv_member_receipts (member_id, last_visit, spent_fen)
SELECT k.member_id, max (k.business_date),
       sum (CASE WHEN k.kind = 'sale.return' THEN -coalesce ((e.doc::json -> 'body' ->> 'refund_fen')::bigint, 0)
                 ELSE coalesce ((e.doc::json -> 'body' ->> 'total_fen')::bigint, 0) END)
  FROM entry_keys k JOIN entries e ON e.business_date = k.business_date AND e.id = k.id
 WHERE k.projected AND k.member_id IS NOT NULL AND k.receipt_no IS NOT NULL
   AND k.kind IN ('sale', 'sale.quick', 'sale.return', 'timed.stop', 'timed.prepay', 'timed.extend')
 GROUP BY k.member_id;
