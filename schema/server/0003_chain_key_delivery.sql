-- Mendian server tables, version 3: the chain key is handed to a branch's
-- token at most once. chain_key_at is when the branch received it in a
-- GET /api/v1/sync/state answer, or first proved it already held it
-- (key_id); NULL: neither yet. branch rotate clears it for the new token.
ALTER TABLE srv_branches ADD COLUMN chain_key_at TEXT;
