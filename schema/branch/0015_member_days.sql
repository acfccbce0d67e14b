-- Mendian branch ledger, version 15: per-member figures by business day
-- (common/crm/mdn-member-figures.c), so that member.segments {days} scores
-- frequency and monetary value over a window by reading an index range of
-- this table, never the entries. The server's database carries the branch
-- schema, so it gets this too, and keeps it on the same apply hook.
--
-- One row per member and business day that had a visit (a sale, quick
-- sale, timed stop or package use) or a return: visits that day, what the
-- member spent (sales less the refunds of returns made that day). Only
-- sums, so any order of arrival gives the same rows.
CREATE TABLE member_days (
  member_id     TEXT NOT NULL,
  business_date TEXT NOT NULL,
  visits        INTEGER NOT NULL DEFAULT 0,
  spent_fen     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (member_id, business_date)
) WITHOUT ROWID;
-- The window's range: covering, by day.
CREATE INDEX member_days_date ON member_days (business_date, member_id, visits, spent_fen);

-- What the ledger held before this version, the same way as 0009 did for
-- member_figures.
INSERT INTO member_days (member_id, business_date, visits, spent_fen)
SELECT member_id, business_date,
       sum (kind IN ('sale', 'sale.quick', 'timed.stop', 'package.consume')),
       sum (CASE WHEN kind IN ('sale', 'sale.quick', 'timed.stop') THEN coalesce (json_extract (body, '$.total_fen'), 0)
                 WHEN kind = 'sale.return' THEN -coalesce (json_extract (body, '$.refund_fen'), 0)
                 ELSE 0 END)
FROM entries
WHERE member_id IS NOT NULL AND kind IN ('sale', 'sale.quick', 'timed.stop', 'package.consume', 'sale.return')
GROUP BY member_id, business_date;
