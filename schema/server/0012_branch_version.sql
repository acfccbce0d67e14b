-- Mendian server tables, version 12: the software version each branch
-- reports (the X-Mendian-Version header of its sync requests; a branch of
-- an older Mendian sends none and its version stays NULL), and when it
-- last reported it. Shown on the console's 门店 page.
ALTER TABLE srv_branches ADD COLUMN version TEXT;
ALTER TABLE srv_branches ADD COLUMN version_at TEXT;
