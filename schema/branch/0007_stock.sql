-- Mendian branch ledger, version 7: stock (库存, issue 14).
-- Projections of the stock family's entries (common/stock/mdn-stock.c):
-- stock.receive, stock.issue, stock.limits, stocktake.start, stocktake.count,
-- stocktake.finish, stocktake.cancel, transfer.out, transfer.receive. The
-- quantities on hand stay in `stock`, sums of stock movements.

-- The moving average cost per unit of each item at each branch, in fen
-- (stock.receive; the rounding rule is in docs/stock.md).
CREATE TABLE stock_costs (
  branch       TEXT NOT NULL,
  item         TEXT NOT NULL,
  avg_cost_fen INTEGER NOT NULL,
  PRIMARY KEY (branch, item)
) WITHOUT ROWID;

-- Low and high stock thresholds of a branch (stock.limits); NULL: none.
CREATE TABLE stock_limits (
  branch     TEXT NOT NULL,
  item       TEXT NOT NULL,
  low_stock  INTEGER,
  high_stock INTEGER,
  PRIMARY KEY (branch, item)
) WITHOUT ROWID;

-- Counts (盘点): one open count per branch at a time.
CREATE TABLE stocktakes (
  id           TEXT PRIMARY KEY,
  branch       TEXT NOT NULL,
  category     TEXT,
  status       TEXT NOT NULL CHECK (status = 'open' OR status = 'finished' OR status = 'cancelled'),
  started_at   TEXT NOT NULL,
  closed_entry TEXT
) WITHOUT ROWID;

-- The last count of each sku in a count, with the quantity the branch's
-- books held at that moment (what stocktake.finish corrects against).
CREATE TABLE stocktake_counts (
  count_id TEXT NOT NULL,
  item     TEXT NOT NULL,
  counted  INTEGER NOT NULL,
  on_hand  INTEGER NOT NULL,
  entry_id TEXT NOT NULL,
  PRIMARY KEY (count_id, item)
) WITHOUT ROWID;

-- Transfers (调拨) between branches: in transit from transfer.out until the
-- destination's transfer.receive, which records what arrived.
CREATE TABLE transfers (
  id            TEXT PRIMARY KEY,
  doc_no        TEXT NOT NULL,
  from_branch   TEXT NOT NULL,
  to_branch     TEXT NOT NULL,
  status        TEXT NOT NULL CHECK (status = 'in_transit' OR status = 'received' OR status = 'shortfall'),
  sent_at       TEXT NOT NULL,
  note          TEXT,
  out_entry     TEXT NOT NULL,
  receive_entry TEXT,
  received_at   TEXT
) WITHOUT ROWID;
CREATE INDEX transfers_status ON transfers (status);

CREATE TABLE transfer_lines (
  transfer_id TEXT NOT NULL,
  item        TEXT NOT NULL,
  sent        INTEGER NOT NULL,
  received    INTEGER,
  PRIMARY KEY (transfer_id, item)
) WITHOUT ROWID;

-- The standard cost (进价) of a product, from product.upsert's optional
-- cost_fen (the product import's 进价 column): what stock.receive takes
-- for a line without a cost. NULL: none.
ALTER TABLE products ADD COLUMN cost_fen INTEGER;
