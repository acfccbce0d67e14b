-- Mendian branch ledger, version 2: selling.
-- Every table here is a projection of entries (product.upsert, plan.upsert,
-- resource.upsert, sale, sale.quick, sale.return, timed.start, timed.stop),
-- rebuilt by the same apply code when the ledger is verified.

-- The catalogue. category is a path of up to three levels, "饮品/茶/绿茶".
-- A package product sells package_count uses of the service package_sku,
-- valid package_days days from the day of sale (NULL: no expiry).
CREATE TABLE products (
  sku           TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  kind          TEXT NOT NULL CHECK (kind IN ('goods', 'service', 'package')),
  price_fen     INTEGER NOT NULL,
  category      TEXT,
  barcode       TEXT,
  no_discount   INTEGER NOT NULL DEFAULT 0,
  package_sku   TEXT,
  package_count INTEGER,
  package_days  INTEGER,
  active        INTEGER NOT NULL DEFAULT 1
) WITHOUT ROWID;
CREATE INDEX products_barcode ON products (barcode) WHERE barcode IS NOT NULL;
CREATE INDEX products_name ON products (name);
CREATE INDEX products_category ON products (category) WHERE category IS NOT NULL;

-- Rate plans for timed consumption and the resources (tables, rooms) billed by them.
CREATE TABLE plans (
  code           TEXT PRIMARY KEY,
  name           TEXT NOT NULL,
  unit_minutes   INTEGER NOT NULL,
  unit_price_fen INTEGER NOT NULL,
  free_minutes   INTEGER NOT NULL DEFAULT 0,
  min_minutes    INTEGER NOT NULL DEFAULT 0,
  cap_fen        INTEGER
) WITHOUT ROWID;

CREATE TABLE resources (
  code TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  plan TEXT NOT NULL
) WITHOUT ROWID;

-- One row per timed session (id = its timed.start entry's id), at the
-- branch whose resource it uses: a member's sessions elsewhere arrive
-- through the feed too. The plan's terms are copied at the start: a price
-- change does not touch a running session. stop_entry is the timed.stop
-- entry, NULL while the session is open.
CREATE TABLE timed_sessions (
  id             TEXT PRIMARY KEY,
  branch         TEXT NOT NULL,
  resource       TEXT NOT NULL,
  member_id      TEXT,
  plan           TEXT NOT NULL,
  unit_minutes   INTEGER NOT NULL,
  unit_price_fen INTEGER NOT NULL,
  free_minutes   INTEGER NOT NULL,
  min_minutes    INTEGER NOT NULL,
  cap_fen        INTEGER,
  started_at     TEXT NOT NULL,
  stop_entry     TEXT,
  stopped_at     TEXT,
  minutes        INTEGER,
  charge_fen     INTEGER
) WITHOUT ROWID;
CREATE UNIQUE INDEX timed_sessions_open ON timed_sessions (branch, resource) WHERE stop_entry IS NULL;

-- Every entry with a receipt number: sale, sale.quick, timed.stop and
-- sale.return (total_fen negative: money paid back).
CREATE TABLE receipts (
  receipt_no    TEXT PRIMARY KEY,
  entry_id      TEXT NOT NULL UNIQUE,
  branch        TEXT NOT NULL,
  kind          TEXT NOT NULL,
  business_date TEXT NOT NULL,
  member_id     TEXT,
  total_fen     INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX receipts_date ON receipts (branch, business_date, receipt_no);

-- sale.return entries by the entry they return, so a return finds the
-- earlier ones without scanning the ledger.
CREATE TABLE sale_returns (
  entry_id   TEXT PRIMARY KEY,
  sale_entry TEXT NOT NULL,
  refund_fen INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sale_returns_sale ON sale_returns (sale_entry);
