-- Mendian branch ledger, version 6: the counter's timed extras
-- (common/selling/mdn-timed.c). A session may be paused (timed.pause) and
-- resumed (timed.resume): paused_at is when the pause running now began
-- (NULL: not paused), paused_seconds the pauses before it, summed. The
-- charge bills the time that ran, not the pauses.
ALTER TABLE timed_sessions ADD COLUMN paused_at TEXT;
ALTER TABLE timed_sessions ADD COLUMN paused_seconds INTEGER NOT NULL DEFAULT 0;
