-- Mendian branch ledger, version 4: system settings (common/ledger/mdn-settings.c).
-- A projection of the setting.chain and setting.branch entries: the value in
-- force of each key that was ever set, as canonical text; a key that is not
-- here reads as its default from the settings table in the code.
CREATE TABLE settings (
  key      TEXT PRIMARY KEY,
  value    TEXT NOT NULL,
  entry_id TEXT NOT NULL
) WITHOUT ROWID;
