-- Mendian branch ledger, version 5: the back office.
--
-- roles: a projection of role.upsert / role.remove entries (master data
-- from the head-office terminal), over the three rows every database
-- starts with. permissions is a JSON array of operation names, groups
-- ("members.*", "stock.*") and the default sets "@cashier" and "@manager"
-- (every operation whose least role in the registry is at most that, so
-- operations added later belong to the default roles without an edit);
-- "*" is everything. admin always holds "*".
CREATE TABLE roles (
  code        TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  permissions TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO roles (code, name, permissions) VALUES
  ('cashier', '收银员', '["@cashier"]'),
  ('manager', '店长', '["@manager"]'),
  ('admin', '管理员', '["*"]');

-- staff.role names a row of roles now, not one of three words.
CREATE TABLE staff_v5 (
  code       TEXT PRIMARY KEY,
  name       TEXT NOT NULL,
  role       TEXT NOT NULL,
  pw_hash    TEXT NOT NULL,
  active     INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL
) WITHOUT ROWID;
INSERT INTO staff_v5 (code, name, role, pw_hash, active, created_at)
  SELECT code, name, role, pw_hash, active, created_at FROM staff;
DROP TABLE staff;
ALTER TABLE staff_v5 RENAME TO staff;

-- The operation log says where and what it wrote: the terminal (this
-- program on this host), the entry the operation appended, and whether
-- the server holds the row yet (sent, pushed with the entries).
ALTER TABLE oplog ADD COLUMN terminal TEXT;
ALTER TABLE oplog ADD COLUMN entry_id TEXT;
ALTER TABLE oplog ADD COLUMN sent INTEGER NOT NULL DEFAULT 0;
CREATE INDEX oplog_at ON oplog (at);
CREATE INDEX oplog_unsent ON oplog (id) WHERE sent = 0;

-- The category tree (三级分类): a projection of category.upsert and
-- category.archive entries. path is "饮品/茶/绿茶"; parent the path one
-- level up (NULL at the top).
CREATE TABLE categories (
  path     TEXT PRIMARY KEY,
  name     TEXT NOT NULL,
  parent   TEXT,
  archived INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;

-- A member's note (member.update).
ALTER TABLE members ADD COLUMN note TEXT;

-- Upgrade by spend (会员升级): a member whose cumulative spend or deposits
-- reach a level's threshold is served at that level when it is better
-- than the one assigned (members/mdn-member-edit.c). NULL: no threshold.
ALTER TABLE levels ADD COLUMN upgrade_spent_fen INTEGER;
ALTER TABLE levels ADD COLUMN upgrade_deposit_fen INTEGER;
