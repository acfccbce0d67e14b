-- Mendian server tables, version 8: stock (issue 14).
-- An entry addressed to one branch (MDN_KIND_ADDRESSED, a transfer) is in
-- the feed of that branch only; NULL: every branch's feed.
ALTER TABLE srv_feed ADD COLUMN to_branch TEXT;
