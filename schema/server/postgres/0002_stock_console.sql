-- Mendian server on PostgreSQL, version 2: what the SQLite server's
-- versions 8 to 11 brought (stock, reports, SMS figures, the web console).
-- SMS's gateway, templates and outbox are not here yet (docs/server.md).

-- An entry addressed to one branch (MDN_KIND_ADDRESSED, a transfer) is in
-- the feed of that branch only; NULL: every branch's (server/0008).
ALTER TABLE srv_feed ADD COLUMN to_branch text;

-- The figures of mdn-figures.h added since version 1 (server/0008, 0009,
-- 0010); days rolled up before this version have 0 in them.
ALTER TABLE srv_rollup_day
  ADD COLUMN stock_received_qty           bigint NOT NULL DEFAULT 0,
  ADD COLUMN stock_received_cost_fen      bigint NOT NULL DEFAULT 0,
  ADD COLUMN stock_issued_qty             bigint NOT NULL DEFAULT 0,
  ADD COLUMN stock_adjusted_qty           bigint NOT NULL DEFAULT 0,
  ADD COLUMN stock_transferred_out_qty    bigint NOT NULL DEFAULT 0,
  ADD COLUMN stock_transferred_in_qty     bigint NOT NULL DEFAULT 0,
  ADD COLUMN stock_transfer_shortfall_qty bigint NOT NULL DEFAULT 0,
  ADD COLUMN principal_spent_fen          bigint NOT NULL DEFAULT 0,
  ADD COLUMN bonus_spent_fen              bigint NOT NULL DEFAULT 0,
  ADD COLUMN principal_refunded_fen       bigint NOT NULL DEFAULT 0,
  ADD COLUMN bonus_refunded_fen           bigint NOT NULL DEFAULT 0,
  ADD COLUMN opening_principal_fen        bigint NOT NULL DEFAULT 0,
  ADD COLUMN opening_bonus_fen            bigint NOT NULL DEFAULT 0,
  ADD COLUMN opening_points               bigint NOT NULL DEFAULT 0;

-- The stock entries (stock movements, and the stock, transfer and product
-- kinds), found without reading every entry: srv_pg_stock re-projects them.
CREATE INDEX entry_keys_kind ON entry_keys (kind, applied);
CREATE INDEX movements_stock ON movements (entry_id) WHERE account = 'stock';

-- The head-office web console (server/0011, srv-store-console.h): its
-- accounts, their sessions and the audit log. Failed logins are counted in
-- `lockouts` (what 'staff', key 'console/NAME').
CREATE TABLE srv_console_users (
  name          text PRIMARY KEY,
  role          text NOT NULL CHECK (role IN ('hq-admin', 'hq-viewer', 'region')),
  password_hash text NOT NULL,
  disabled      bigint NOT NULL DEFAULT 0,
  created_at    text NOT NULL
);

CREATE TABLE srv_console_user_branches (
  name   text NOT NULL REFERENCES srv_console_users (name),
  branch text NOT NULL,
  PRIMARY KEY (name, branch)
);

CREATE TABLE srv_console_sessions (
  id_hash    text PRIMARY KEY,
  name       text NOT NULL REFERENCES srv_console_users (name),
  csrf       text NOT NULL,
  created_at bigint NOT NULL,
  last_seen  bigint NOT NULL
);

CREATE TABLE srv_console_audit (
  id       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at       text NOT NULL,
  name     text NOT NULL,
  action   text NOT NULL,
  target   text,
  ok       bigint NOT NULL,
  detail   text,
  entry_id text
);
CREATE INDEX srv_console_audit_at ON srv_console_audit (at);

-- The member columns the console shows (srv_console_member_rows), kept
-- with the card's by refresh_member (srv-store-pg.c) after a member entry.
ALTER TABLE srv_members
  ADD COLUMN name          text NOT NULL DEFAULT '',
  ADD COLUMN phone         text NOT NULL DEFAULT '',
  ADD COLUMN issued_branch text NOT NULL DEFAULT '',
  ADD COLUMN expires_on    text,
  ADD COLUMN issued_at     text NOT NULL DEFAULT '',
  ADD COLUMN birthday      text;
CREATE INDEX srv_members_phone ON srv_members (phone);
CREATE INDEX srv_members_name ON srv_members (name);
