-- Mendian server on PostgreSQL, version 3: the software version each
-- branch reports (server/0012_branch_version.sql), shown on the console's
-- 门店 page.
ALTER TABLE srv_branches ADD COLUMN version text;
ALTER TABLE srv_branches ADD COLUMN version_at text;
