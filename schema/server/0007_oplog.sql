-- Mendian server tables, version 7: every branch's operation log (操作日志),
-- pushed with the entries (POST /api/v1/sync/oplog) so head office reads
-- the whole chain's. id is the branch's own row id: a row sent twice is
-- stored once.
CREATE TABLE srv_oplog (
  branch   TEXT NOT NULL,
  id       INTEGER NOT NULL,
  at       TEXT NOT NULL,
  staff    TEXT,
  op       TEXT NOT NULL,
  ok       INTEGER NOT NULL,
  detail   TEXT,
  terminal TEXT,
  entry_id TEXT,
  PRIMARY KEY (branch, id)
) WITHOUT ROWID;
CREATE INDEX srv_oplog_at ON srv_oplog (at);
