-- Mendian server tables, version 4: the chain agrees whatever order entries
-- arrive in.
--
-- srv_exceptions holds three kinds now, and one row per account:
--   overdraft      a member's stored value (account 'balance'), points
--                  ('points') or one service's package uses ('package',
--                  item = the service sku; net across its lots) below zero.
--                  Open ones put the card on hold; settled when the account
--                  is back at zero or above.
--   over_refund    a sale refunded beyond what it took in (returns at two
--                  branches that had not seen each other's): entry_id is
--                  the return that went over, sale_entry the sale, amount
--                  the fen above the sale's total. No hold; settled by head
--                  office's write-off naming the sale.
--   card_conflict  a card operation at odds with the card state at its
--                  place in the chain-wide order (two replacements of one
--                  card, a loss report of a replaced number, an unlock of a
--                  card that was not lost): status 'noted', detail says
--                  which (reason, card_no, current_card_no). No hold.
CREATE TABLE srv_exceptions_v3 (
  id          INTEGER PRIMARY KEY,
  kind        TEXT NOT NULL DEFAULT 'overdraft'
              CHECK (kind IN ('overdraft', 'over_refund', 'card_conflict')),
  member_id   TEXT NOT NULL,
  entry_id    TEXT NOT NULL,
  branch      TEXT NOT NULL,
  account     TEXT NOT NULL,
  item        TEXT NOT NULL DEFAULT '',
  amount      INTEGER NOT NULL,
  status      TEXT NOT NULL CHECK (status IN ('open', 'settled', 'noted')),
  found_at    TEXT NOT NULL,
  settled_at  TEXT,
  settled_by  TEXT,
  sale_entry  TEXT,
  detail      TEXT
);
INSERT INTO srv_exceptions_v3 (id, member_id, entry_id, branch, account, amount, status, found_at,
                               settled_at, settled_by)
  SELECT id, member_id, entry_id, branch, account, amount, status, found_at, settled_at, settled_by
  FROM srv_exceptions;
DROP TABLE srv_exceptions;
ALTER TABLE srv_exceptions_v3 RENAME TO srv_exceptions;
CREATE INDEX srv_exceptions_member ON srv_exceptions (member_id, status);
CREATE INDEX srv_exceptions_sale ON srv_exceptions (sale_entry) WHERE sale_entry IS NOT NULL;

-- Authorizations of card operations (kind 'card', item = the entry kind,
-- amount = the rev given) and of returns (kind 'return', item = the sale
-- entry, amount = the refund in fen) carry what they were given for.
ALTER TABLE srv_authorizations ADD COLUMN detail TEXT;

-- Refunds beyond a sale's total, per branch-day of the return that went
-- over, for the summary next to the refunds.
ALTER TABLE srv_rollup_day ADD COLUMN over_refund_fen INTEGER NOT NULL DEFAULT 0;
