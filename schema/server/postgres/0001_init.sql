-- mendian-server on PostgreSQL 15 (server/store/srv-store-pg.c). Version 1.
-- Run in one transaction by the store's migration runner, which records the
-- version in srv_meta ('schema_version'). See docs/server.md, "PostgreSQL".

CREATE TABLE srv_meta (
  key   text PRIMARY KEY,
  value text NOT NULL
);

CREATE TABLE srv_branches (
  code         text PRIMARY KEY,
  name         text NOT NULL,
  number       integer NOT NULL UNIQUE CHECK (number BETWEEN 0 AND 999),
  hq           boolean NOT NULL DEFAULT false,
  token_hash   text NOT NULL UNIQUE,
  revoked      boolean NOT NULL DEFAULT false,
  acked_seq    bigint NOT NULL DEFAULT 0,
  last_hash    text NOT NULL,
  created_at   text NOT NULL,
  last_push_at text,
  chain_key_at text
);

CREATE TABLE srv_tokens (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name       text NOT NULL,
  role       text NOT NULL CHECK (role IN ('hq')),
  token_hash text NOT NULL UNIQUE,
  revoked    boolean NOT NULL DEFAULT false,
  created_at text NOT NULL
);

-- The ledger ----------------------------------------------------------------

-- One row per stored entry, not partitioned: de-duplication on (branch, seq)
-- and lookups by id, which a partitioned table can't enforce (its unique
-- keys must include the partition key). entries holds the entry itself.
CREATE TABLE entry_keys (
  branch        text NOT NULL,
  seq           bigint NOT NULL,
  id            text NOT NULL UNIQUE,
  business_date date NOT NULL,
  kind          text NOT NULL,
  member_id     text,
  sale_entry    text,             -- a return's sale: what a refund check reads
  receipt_no    text,             -- of an applied receipt (srv-push.c refuses one taken)
  hash          text NOT NULL,
  projected     boolean NOT NULL, -- applied (shared), not only kept (a branch's private entry)
  applied       bigint NOT NULL,  -- arrival order at the server (nextval of apply_order)
  PRIMARY KEY (branch, seq)
);
CREATE SEQUENCE apply_order;
CREATE INDEX entry_keys_member ON entry_keys (member_id, applied) WHERE member_id IS NOT NULL;
CREATE INDEX entry_keys_sale ON entry_keys (sale_entry) WHERE sale_entry IS NOT NULL;
CREATE INDEX entry_keys_receipt ON entry_keys (receipt_no) WHERE receipt_no IS NOT NULL;

-- The entries, partitioned by business month (mdn_month_partition makes a
-- month's partitions before the first push into it). doc is the entry's
-- canonical JSON with its hash and movements (mdn_entry_to_json).
CREATE TABLE entries (
  business_date date NOT NULL,
  id            text NOT NULL,
  branch        text NOT NULL,
  seq           bigint NOT NULL,
  kind          text NOT NULL,
  at            text NOT NULL,
  member_id     text,
  doc           text NOT NULL,
  PRIMARY KEY (business_date, id)
) PARTITION BY RANGE (business_date);
-- A one-day detail report: the day's partition, by branch.
CREATE INDEX entries_day_branch ON entries (business_date, branch, seq);

-- Every movement, partitioned like its entry: what the accounts are sums of.
CREATE TABLE movements (
  business_date date NOT NULL,
  entry_id      text NOT NULL,
  idx           integer NOT NULL,
  member_id     text,
  account       text NOT NULL CHECK (account IN ('principal', 'bonus', 'points', 'package', 'stock')),
  item          text NOT NULL DEFAULT '',
  lot           text NOT NULL DEFAULT '',
  expires_on    text,
  delta         bigint NOT NULL,
  PRIMARY KEY (business_date, entry_id, idx)
) PARTITION BY RANGE (business_date);

-- The month of @day gets its partitions of entries and movements; safe to
-- call from several processes at once.
CREATE FUNCTION mdn_month_partition (day date) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  first date := date_trunc ('month', day)::date;
  next  date := (date_trunc ('month', day) + interval '1 month')::date;
  suffix text := to_char (first, 'YYYYMM');
BEGIN
  PERFORM pg_advisory_xact_lock (mdn_feed_class (), 1);
  IF to_regclass ('entries_' || suffix) IS NULL THEN
    EXECUTE format ('CREATE TABLE %I PARTITION OF entries FOR VALUES FROM (%L) TO (%L)',
                    'entries_' || suffix, first, next);
  END IF;
  IF to_regclass ('movements_' || suffix) IS NULL THEN
    EXECUTE format ('CREATE TABLE %I PARTITION OF movements FOR VALUES FROM (%L) TO (%L)',
                    'movements_' || suffix, first, next);
  END IF;
END $$;

-- Projections kept in the push's transaction ---------------------------------

-- Sums of movements per member account (principal, bonus, points; package
-- per item): balances without reading history.
CREATE TABLE accounts (
  member_id text NOT NULL,
  account   text NOT NULL,
  item      text NOT NULL DEFAULT '',
  balance   bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (member_id, account, item)
);

-- The member columns decisions read, from the member's entries; the row a
-- push or an authorization of the member locks first.
CREATE TABLE srv_members (
  id         text PRIMARY KEY,
  card_no    text NOT NULL,
  status     text NOT NULL,
  pin_hash   text,
  level      text NOT NULL
);

-- Every card number ever given (replaced numbers stay, refused).
CREATE TABLE srv_cards (
  card_no   text PRIMARY KEY,
  member_id text NOT NULL
);

-- The chain-wide PIN counts, as the branch schema's lockouts
-- (schema/branch/0003_lockout.sql, common/base/mdn-lockout.c).
CREATE TABLE lockouts (
  what         text NOT NULL CHECK (what IN ('pin', 'staff')),
  key          text NOT NULL,
  failures     bigint NOT NULL DEFAULT 0,
  locked_until bigint NOT NULL DEFAULT 0,
  unreported   bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (what, key)
);

-- The feed ------------------------------------------------------------------

-- Positions come from a sequence: no row every push updates. They may have
-- holes (a push rolled back) and commit out of order; readers page up to
-- mdn_feed_stable_head () only.
CREATE SEQUENCE feed_pos;
CREATE TABLE srv_feed (
  pos      bigint PRIMARY KEY,
  entry_id text NOT NULL UNIQUE
);

-- The advisory lock keys: (class, 0) guards taking positions; each position
-- taken is held as the bigint lock -pos until its transaction ends.
CREATE FUNCTION mdn_feed_class () RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT 1835298409 $$;

-- @n new feed positions for the calling transaction, each locked until it
-- commits or rolls back.
CREATE FUNCTION mdn_feed_take (n integer) RETURNS SETOF bigint
LANGUAGE plpgsql AS $$
DECLARE
  p bigint;
BEGIN
  PERFORM pg_advisory_lock_shared (mdn_feed_class (), 0);
  FOR i IN 1 .. n LOOP
    p := nextval ('feed_pos');
    PERFORM pg_advisory_xact_lock (-p);
    RETURN NEXT p;
  END LOOP;
  PERFORM pg_advisory_unlock_shared (mdn_feed_class (), 0);
END $$;

-- The highest position below which every position taken belongs to a
-- transaction that has ended: a reader that pages up to it, in a snapshot
-- taken after this call, never skips an entry that commits later.
CREATE FUNCTION mdn_feed_stable_head () RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  head bigint;
  held bigint;
BEGIN
  PERFORM pg_advisory_lock (mdn_feed_class (), 0);
  SELECT CASE WHEN is_called THEN last_value ELSE 0 END INTO head FROM feed_pos;
  PERFORM pg_advisory_unlock (mdn_feed_class (), 0);
  -- The bigint form of a lock on -pos: classid the high, objid the low word.
  SELECT min (-k) INTO held
    FROM (SELECT (classid::bigint << 32) | objid::bigint AS k
            FROM pg_locks
           WHERE locktype = 'advisory' AND objsubid = 1 AND granted
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database ())
             AND pid <> pg_backend_pid ()) AS l
   WHERE k < 0;
  IF held IS NOT NULL AND held <= head THEN
    RETURN held - 1;
  END IF;
  RETURN head;
END $$;

-- Rollups, exceptions, authorizations ---------------------------------------

CREATE TABLE srv_rollup_day (
  business_date            date NOT NULL,
  branch                   text NOT NULL,
  entries                  bigint NOT NULL DEFAULT 0,
  sales_fen                bigint NOT NULL DEFAULT 0,
  discount_fen             bigint NOT NULL DEFAULT 0,
  refund_fen               bigint NOT NULL DEFAULT 0,
  deposit_principal_fen    bigint NOT NULL DEFAULT 0,
  deposit_bonus_fen        bigint NOT NULL DEFAULT 0,
  withdraw_fen             bigint NOT NULL DEFAULT 0,
  members_issued           bigint NOT NULL DEFAULT 0,
  principal_delta_fen      bigint NOT NULL DEFAULT 0,
  bonus_delta_fen          bigint NOT NULL DEFAULT 0,
  written_off_fen          bigint NOT NULL DEFAULT 0,
  over_refund_fen          bigint NOT NULL DEFAULT 0,
  counted_entries          bigint NOT NULL DEFAULT 0,
  net_fen                  bigint NOT NULL DEFAULT 0,
  points_earned            bigint NOT NULL DEFAULT 0,
  points_returned          bigint NOT NULL DEFAULT 0,
  points_redeemed          bigint NOT NULL DEFAULT 0,
  points_adjusted          bigint NOT NULL DEFAULT 0,
  points_written_off       bigint NOT NULL DEFAULT 0,
  package_uses_sold        bigint NOT NULL DEFAULT 0,
  package_uses_returned    bigint NOT NULL DEFAULT 0,
  package_uses_consumed    bigint NOT NULL DEFAULT 0,
  package_uses_written_off bigint NOT NULL DEFAULT 0,
  stock_sold_qty           bigint NOT NULL DEFAULT 0,
  stock_returned_qty       bigint NOT NULL DEFAULT 0,
  tender_cash_fen          bigint NOT NULL DEFAULT 0,
  tender_cash_count        bigint NOT NULL DEFAULT 0,
  tender_bank_fen          bigint NOT NULL DEFAULT 0,
  tender_bank_count        bigint NOT NULL DEFAULT 0,
  tender_wechat_fen        bigint NOT NULL DEFAULT 0,
  tender_wechat_count      bigint NOT NULL DEFAULT 0,
  tender_alipay_fen        bigint NOT NULL DEFAULT 0,
  tender_alipay_count      bigint NOT NULL DEFAULT 0,
  tender_balance_fen       bigint NOT NULL DEFAULT 0,
  tender_balance_count     bigint NOT NULL DEFAULT 0,
  tender_other_fen         bigint NOT NULL DEFAULT 0,
  tender_other_count       bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (business_date, branch)
);
-- The summary of one branch over a period.
CREATE INDEX srv_rollup_day_branch ON srv_rollup_day (branch, business_date);

CREATE TABLE srv_exceptions (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind        text NOT NULL DEFAULT 'overdraft'
              CHECK (kind IN ('overdraft', 'over_refund', 'card_conflict')),
  member_id   text NOT NULL,
  entry_id    text NOT NULL,
  branch      text NOT NULL,
  account     text NOT NULL,
  item        text NOT NULL DEFAULT '',
  amount      bigint NOT NULL,
  status      text NOT NULL CHECK (status IN ('open', 'settled', 'noted')),
  found_at    text NOT NULL,
  settled_at  text,
  settled_by  text,
  sale_entry  text,
  detail      text
);
CREATE INDEX srv_exceptions_member ON srv_exceptions (member_id, status);
CREATE INDEX srv_exceptions_sale ON srv_exceptions (sale_entry) WHERE sale_entry IS NOT NULL;
CREATE INDEX srv_exceptions_open ON srv_exceptions (member_id) WHERE status = 'open' AND kind = 'overdraft';

CREATE TABLE srv_authorizations (
  auth_id    text PRIMARY KEY,
  member_id  text NOT NULL,
  branch     text NOT NULL,
  kind       text NOT NULL,
  item       text NOT NULL DEFAULT '',
  amount     bigint NOT NULL,
  status     text NOT NULL CHECK (status IN ('held', 'used', 'released')),
  created_at text NOT NULL,
  expires_at bigint NOT NULL,          -- unix seconds
  entry_id   text,
  detail     text
);
CREATE INDEX srv_authorizations_member ON srv_authorizations (member_id, status);

-- For operators (and the tests' look at the data): the member projection
-- under the branch schema's names.
CREATE VIEW members AS
  SELECT m.id, m.card_no, m.status, m.level, m.pin_hash,
         COALESCE ((SELECT balance FROM accounts a WHERE a.member_id = m.id AND a.account = 'principal'), 0)
           AS principal_fen,
         COALESCE ((SELECT balance FROM accounts a WHERE a.member_id = m.id AND a.account = 'bonus'), 0)
           AS bonus_fen,
         COALESCE ((SELECT balance FROM accounts a WHERE a.member_id = m.id AND a.account = 'points'), 0)
           AS points
    FROM srv_members m;

-- Every branch's operation log (POST /api/v1/sync/oplog), as server/0007.
CREATE TABLE srv_oplog (
  branch   text NOT NULL,
  id       bigint NOT NULL,
  at       text NOT NULL,
  staff    text,
  op       text NOT NULL,
  ok       integer NOT NULL,   -- 1 or 0, as the SQLite table
  detail   text,
  terminal text,
  entry_id text,
  PRIMARY KEY (branch, id)
);
CREATE INDEX srv_oplog_at ON srv_oplog (at);
