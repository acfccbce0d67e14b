-- Mendian server on PostgreSQL, version 7: SMS sent by the server, as the
-- SQLite server's schema/server/0010_sms.sql (server/notify/srv-sms.c holds
-- the rules, server/store/srv-store-pg-sms.c the statements). Several
-- server processes share one outbox: a sender claims a message with a row
-- lock (FOR UPDATE SKIP LOCKED), so two never send one message; each
-- sender holds an advisory lock on its id (claimed_by) while it runs, so a
-- message left "sending" by a process that is gone is told from one in
-- flight at another.

-- The one gateway: driver aliyun | tencent | webhook | log. The secret is
-- never printed.
CREATE TABLE srv_sms_gateway (
  id        integer PRIMARY KEY CHECK (id = 1),
  driver    text NOT NULL CHECK (driver IN ('aliyun', 'tencent', 'webhook', 'log')),
  url       text,
  key_id    text,
  secret    text,
  sign_name text,
  app_id    text,
  set_at    text NOT NULL
);

-- A template per event: the text (log, webhook) and the gateway's
-- template code (aliyun TemplateCode, tencent TemplateId).
CREATE TABLE srv_sms_templates (
  event         text PRIMARY KEY,
  text          text,
  template_code text
);

-- The outbox: one message per (entry, event, member); the states as
-- 0010_sms.sql's (queued, sending, retrying, sent, failed).
CREATE TABLE srv_sms_outbox (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  entry_id    text NOT NULL,
  event       text NOT NULL,
  member_id   text NOT NULL,
  phone       text NOT NULL,
  text        text NOT NULL,
  params      text NOT NULL,
  marketing   integer NOT NULL DEFAULT 0,
  status      text NOT NULL DEFAULT 'queued'
              CHECK (status IN ('queued', 'sending', 'retrying', 'sent', 'failed')),
  attempts    bigint NOT NULL DEFAULT 0,
  next_at     bigint NOT NULL,
  last_error  text,
  created_at  text NOT NULL,
  sent_at     text,
  claimed_by  integer,            -- the sender that has it "sending"
  UNIQUE (entry_id, event, member_id)
);
CREATE INDEX srv_sms_outbox_due ON srv_sms_outbox (next_at, id) WHERE status IN ('queued', 'retrying');
CREATE INDEX srv_sms_outbox_sending ON srv_sms_outbox (claimed_by) WHERE status = 'sending';

-- Messages sent per number and day (the daily cap of marketing).
CREATE TABLE srv_sms_daily (
  phone text NOT NULL,
  day   text NOT NULL,
  sent  bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (phone, day)
);

-- What the SMS rules read of a member besides name, phone and birthday,
-- kept by refresh_member (srv-store-pg.c) after each member entry.
ALTER TABLE srv_members
  ADD COLUMN birthday_lunar text,
  ADD COLUMN sms_consent    boolean NOT NULL DEFAULT false,
  ADD COLUMN sms_opt_out    boolean NOT NULL DEFAULT false;

-- The members' choices stored before this version: the latest
-- member.sms_prefs of each (in the order every terminal knows: at,
-- branch, seq), so nobody who opted out is sent anything.
UPDATE srv_members m
   SET sms_consent = coalesce ((p.doc::jsonb #>> '{body,sms_consent}')::boolean, false),
       sms_opt_out = coalesce ((p.doc::jsonb #>> '{body,sms_opt_out}')::boolean, false)
  FROM (SELECT DISTINCT ON (e.member_id) e.member_id, e.doc
          FROM entry_keys k JOIN entries e ON e.business_date = k.business_date AND e.id = k.id
         WHERE k.projected AND k.kind = 'member.sms_prefs'
         ORDER BY e.member_id, e.at DESC, e.branch DESC, e.seq DESC) p
 WHERE p.member_id = m.id;
