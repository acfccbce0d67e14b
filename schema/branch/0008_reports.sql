-- Mendian branch ledger, version 8: reports (common/reports/mdn-report.h).
-- Detail reports read the entries of a period through this index (business
-- date, then branch and seq), never the whole ledger; it serves the
-- branch's database and the server's chain database alike.
CREATE INDEX entries_day ON entries (business_date, branch, seq);

-- Commission rules (业务提成), a projection of commission_rule.upsert
-- entries (master data from the HQ terminal). kind: sale_line, card_issue,
-- deposit, package_use, timed. sku / category narrow a rule (NULL: any).
-- base: paid | list. percent_bp basis points of the base, fixed_fen per unit.
CREATE TABLE commission_rules (
  code       TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  kind       TEXT NOT NULL,
  sku        TEXT,
  category   TEXT,
  base       TEXT NOT NULL DEFAULT 'paid',
  percent_bp INTEGER NOT NULL DEFAULT 0,
  fixed_fen  INTEGER NOT NULL DEFAULT 0,
  active     INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;

-- A member's receipts (the members report: last visit, total spent).
CREATE INDEX receipts_member ON receipts (member_id, business_date) WHERE member_id IS NOT NULL;
