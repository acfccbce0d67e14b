-- Mendian server tables, version 10: SMS sent by the server
-- (server/notify/srv-sms.c). Branches never hold the gateway's secret: it
-- is here, in the server's database (created 0600), and never printed.

-- The one gateway: driver aliyun | tencent | webhook | log.
CREATE TABLE srv_sms_gateway (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  driver    TEXT NOT NULL CHECK (driver IN ('aliyun', 'tencent', 'webhook', 'log')),
  url       TEXT,           -- the endpoint (log: the file), default per driver
  key_id    TEXT,           -- AccessKeyId / SecretId
  secret    TEXT,           -- AccessKeySecret / SecretKey / the webhook's HMAC key
  sign_name TEXT,
  app_id    TEXT,           -- Tencent SmsSdkAppId
  set_at    TEXT NOT NULL
);

-- A template per event: the text (log, webhook) and the gateway's
-- template code (aliyun TemplateCode, tencent TemplateId).
CREATE TABLE srv_sms_templates (
  event         TEXT PRIMARY KEY,
  text          TEXT,
  template_code TEXT
) WITHOUT ROWID;

-- The outbox: one message per (entry, event, member), whatever happens
-- to the server or how often a branch pushes the entry again.
--   queued   waiting for its turn (next_at)
--   sending  handed to the gateway; a restart finds it and marks it
--            failed rather than send it twice (gateways are not idempotent)
--   retrying the gateway refused it for a reason that may pass (5xx, network)
--   sent     the gateway took it
--   failed   given up (attempts, a 4xx, interrupted while sending)
CREATE TABLE srv_sms_outbox (
  id          INTEGER PRIMARY KEY,
  entry_id    TEXT NOT NULL,
  event       TEXT NOT NULL,
  member_id   TEXT NOT NULL,
  phone       TEXT NOT NULL,
  text        TEXT NOT NULL,
  params      TEXT NOT NULL,      -- JSON object of the template's variables
  marketing   INTEGER NOT NULL DEFAULT 0,
  status      TEXT NOT NULL DEFAULT 'queued'
              CHECK (status IN ('queued', 'sending', 'retrying', 'sent', 'failed')),
  attempts    INTEGER NOT NULL DEFAULT 0,
  next_at     INTEGER NOT NULL,   -- unix seconds
  last_error  TEXT,
  created_at  TEXT NOT NULL,
  sent_at     TEXT,
  UNIQUE (entry_id, event, member_id)
);
CREATE INDEX srv_sms_outbox_due ON srv_sms_outbox (status, next_at);

-- Messages sent per number and day (the daily cap of marketing).
CREATE TABLE srv_sms_daily (
  phone TEXT NOT NULL,
  day   TEXT NOT NULL,
  sent  INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (phone, day)
) WITHOUT ROWID;

-- The figures of member.opening (common/reports/mdn-figures.h): balances
-- brought from an old system, shown apart from deposits.
ALTER TABLE srv_rollup_day ADD COLUMN opening_principal_fen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN opening_bonus_fen INTEGER NOT NULL DEFAULT 0;
ALTER TABLE srv_rollup_day ADD COLUMN opening_points INTEGER NOT NULL DEFAULT 0;
