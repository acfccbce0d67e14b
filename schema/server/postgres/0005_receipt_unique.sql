-- Mendian server on PostgreSQL, version 5: a receipt number is held by one
-- applied entry, as the SQLite server's receipts table (receipt_no PRIMARY
-- KEY) holds it: a second one stores nothing (store_entry's ON CONFLICT DO
-- NOTHING) and srv-push.c refuses it as taken.
DROP INDEX entry_keys_receipt;
CREATE UNIQUE INDEX entry_keys_receipt ON entry_keys (receipt_no) WHERE receipt_no IS NOT NULL;
