-- Mendian server on PostgreSQL, version 10: the per-member figures an SMS
-- campaign's member filter reads (common/crm/mdn-member-filter.c), as the
-- SQLite server keeps them in member_figures (branch 0009) and member_days
-- (branch 0015) on its apply hook: here kept on apply in the push's
-- transaction (srv-store-pg-crm.c, by mdn_member_figures_of, the rule the
-- hook uses) and copied into a scratch branch schema when a campaign is
-- expanded, so the filter itself runs unchanged.
--
-- srv_member_figures: business dates of the first and last visit (a sale,
-- quick sale, timed stop, prepay or extension, or a package use), visits,
-- what the member spent (sales less refunds), deposits made.
CREATE TABLE srv_member_figures (
  member_id   text PRIMARY KEY,
  first_visit date,
  last_visit  date,
  visits      bigint NOT NULL DEFAULT 0,
  spent_fen   bigint NOT NULL DEFAULT 0,
  deposits    bigint NOT NULL DEFAULT 0
);

-- srv_member_days: by member and business day of a visit or a return,
-- visits and spent that day. The window's range by day; a member's days
-- by its primary key.
CREATE TABLE srv_member_days (
  member_id     text NOT NULL,
  business_date date NOT NULL,
  visits        bigint NOT NULL DEFAULT 0,
  spent_fen     bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (member_id, business_date)
);
CREATE INDEX srv_member_days_date ON srv_member_days (business_date, member_id) INCLUDE (visits, spent_fen);

-- Both from the applied entries (entry_keys.projected), the way
-- mdn_member_figures_of counts them (a visit kind, a return, a deposit;
-- spent: a sale's total_fen, a return's refund_fen negated, an integer or
-- 0). A function, so that a test can check it against what apply kept.
CREATE FUNCTION srv_member_figures_fill () RETURNS void LANGUAGE sql AS $fill$
  WITH a AS (
    SELECT k.member_id, k.business_date,
           k.kind IN ('sale', 'sale.quick', 'timed.stop', 'timed.prepay', 'timed.extend', 'package.consume') AS visit,
           k.kind = 'member.deposit' AS deposit,
           CASE WHEN k.kind IN ('sale', 'sale.quick', 'timed.stop', 'timed.prepay', 'timed.extend')
                     AND jsonb_typeof (e.doc::jsonb -> 'body' -> 'total_fen') = 'number'
                  THEN (e.doc::jsonb -> 'body' ->> 'total_fen')::bigint
                WHEN k.kind = 'sale.return' AND jsonb_typeof (e.doc::jsonb -> 'body' -> 'refund_fen') = 'number'
                  THEN -(e.doc::jsonb -> 'body' ->> 'refund_fen')::bigint
                ELSE 0 END AS spent
      FROM entry_keys k JOIN entries e ON e.business_date = k.business_date AND e.id = k.id
     WHERE k.projected AND k.member_id IS NOT NULL
       AND k.kind IN ('sale', 'sale.quick', 'timed.stop', 'timed.prepay', 'timed.extend', 'package.consume',
                      'sale.return', 'member.deposit')),
  f AS (
    INSERT INTO srv_member_figures (member_id, first_visit, last_visit, visits, spent_fen, deposits)
    SELECT member_id, min (business_date) FILTER (WHERE visit), max (business_date) FILTER (WHERE visit),
           count (*) FILTER (WHERE visit), sum (spent), count (*) FILTER (WHERE deposit)
      FROM a GROUP BY member_id)
  INSERT INTO srv_member_days (member_id, business_date, visits, spent_fen)
  SELECT member_id, business_date, count (*) FILTER (WHERE visit), sum (spent)
    FROM a WHERE NOT deposit GROUP BY member_id, business_date;
$fill$;

SELECT srv_member_figures_fill ();
