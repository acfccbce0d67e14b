-- Mendian branch ledger, version 9: keeping members (common/crm/).
-- The server's database carries the branch schema, so it gets these too.

-- Whether a member takes marketing SMS (default no) and has opted out of
-- every SMS; and the instant of the entry that set them (the latest wins).
ALTER TABLE members ADD COLUMN sms_consent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN sms_opt_out INTEGER NOT NULL DEFAULT 0;
ALTER TABLE members ADD COLUMN sms_set_at TEXT;

-- Per-member figures, a projection kept on apply (mdn-member-figures.c):
-- business dates of the first and last visit (a sale, quick sale, timed
-- stop or package use), visits, what the member spent (sales less
-- refunds), deposits made. Inactivity and the RFM segments read them.
CREATE TABLE member_figures (
  member_id   TEXT PRIMARY KEY,
  first_visit TEXT,
  last_visit  TEXT,
  visits      INTEGER NOT NULL DEFAULT 0,
  spent_fen   INTEGER NOT NULL DEFAULT 0,
  deposits    INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE INDEX member_figures_last ON member_figures (last_visit);

-- What the ledger held before this version, the same way.
INSERT INTO member_figures (member_id, first_visit, last_visit, visits, spent_fen, deposits)
SELECT member_id,
       min (CASE WHEN kind IN ('sale', 'sale.quick', 'timed.stop', 'package.consume') THEN business_date END),
       max (CASE WHEN kind IN ('sale', 'sale.quick', 'timed.stop', 'package.consume') THEN business_date END),
       sum (kind IN ('sale', 'sale.quick', 'timed.stop', 'package.consume')),
       sum (CASE WHEN kind IN ('sale', 'sale.quick', 'timed.stop') THEN coalesce (json_extract (body, '$.total_fen'), 0)
                 WHEN kind = 'sale.return' THEN -coalesce (json_extract (body, '$.refund_fen'), 0)
                 ELSE 0 END),
       sum (kind = 'member.deposit')
FROM entries WHERE member_id IS NOT NULL
GROUP BY member_id
HAVING sum (kind IN ('sale', 'sale.quick', 'timed.stop', 'package.consume', 'sale.return', 'member.deposit')) > 0;

-- Member messages and their replies (shared entries message.add and
-- message.reply, projected at every terminal). A reply may arrive before
-- its message: they are joined when read.
CREATE TABLE member_messages (
  id        TEXT PRIMARY KEY,     -- the message.add entry
  member_id TEXT NOT NULL,
  branch    TEXT NOT NULL,
  at        TEXT NOT NULL,
  staff     TEXT NOT NULL,
  text      TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX member_messages_member ON member_messages (member_id, at);
CREATE INDEX member_messages_at ON member_messages (at);

CREATE TABLE member_message_replies (
  id         TEXT PRIMARY KEY,    -- the message.reply entry
  message_id TEXT NOT NULL,
  member_id  TEXT NOT NULL,
  branch     TEXT NOT NULL,
  at         TEXT NOT NULL,
  staff      TEXT NOT NULL,
  text       TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX member_message_replies_message ON member_message_replies (message_id, at);

-- Card numbers of an old system (member import: member.opening), which
-- the scanner and every card lookup find as well.
CREATE TABLE card_aliases (
  alias     TEXT PRIMARY KEY,
  member_id TEXT NOT NULL
) WITHOUT ROWID;

-- Not a projection (like oplog): reminders this branch marked done, by the
-- date they were due on, so the same reminder does not come back.
CREATE TABLE reminder_done (
  member_id TEXT NOT NULL,
  kind      TEXT NOT NULL,
  due_on    TEXT NOT NULL,
  at        TEXT NOT NULL,
  staff     TEXT NOT NULL,
  PRIMARY KEY (member_id, kind, due_on)
) WITHOUT ROWID;
