-- Benchmark data: :n conversations over the past year with a contact centre's spread.
-- Rows are inserted with the aggregate triggers off and counted afterwards by
-- engine.rebuild_aggregates, which gives the same aggregates as the triggers (the property
-- tests check the triggers).
\set ON_ERROR_STOP on
SET work_mem = '512MB';
SET maintenance_work_mem = '1GB';

INSERT INTO departments (id, name, type) VALUES ('bench-unit', 'Bench unit', 'u');
INSERT INTO departments (id, name, ancestors)
SELECT 'dep' || i, 'Department ' || lpad(i::text, 2, '0'),
       CASE WHEN i % 5 = 0 THEN '{bench-unit}'::text[] ELSE '{}' END
FROM generate_series(1, 60) AS i;

INSERT INTO users (id, username, name, roles)
SELECT 'agent' || i, 'agent' || i, CASE WHEN i % 10 = 0 THEN NULL ELSE 'Agent ' || i END,
       '{livechat-agent}'
FROM generate_series(1, 50) AS i;

ALTER TABLE conversations DISABLE TRIGGER USER;

INSERT INTO conversations (id, ts, department_id, department_ancestors, source_type, source_alias,
                           open, on_hold, served_by_id, tags, chat_duration, closed_at)
SELECT 'room' || i,
       ts,
       CASE WHEN dep IS NULL THEN NULL ELSE 'dep' || dep END,
       CASE WHEN dep % 5 = 0 THEN '{bench-unit}'::text[] ELSE '{}' END,
       (ARRAY['widget', 'widget', 'widget', 'email', 'sms', 'app', 'api', 'other'])[1 + (r1 * 8)::int % 8],
       CASE WHEN r1 > 0.62 AND r1 < 0.75 THEN 'WhatsApp' END,
       is_open,
       is_open AND r2 < 0.1,
       CASE WHEN NOT is_open OR r2 < 0.6 THEN 'agent' || (1 + (r3 * 52)::int) END,
       CASE (r3 * 6)::int % 6 WHEN 1 THEN '{billing}'::text[] WHEN 2 THEN '{refund}'
            WHEN 3 THEN '{bug,vip}' WHEN 4 THEN '{feedback}' ELSE '{}' END,
       CASE WHEN NOT is_open THEN 60 + r2 * 3000 END,
       CASE WHEN NOT is_open THEN ts + interval '20 minutes' END
FROM (
    SELECT i,
           now() - interval '365 days' * power(random(), 1.1) AS ts,
           CASE WHEN random() < 0.1 THEN NULL ELSE 1 + (random() * 59)::int END AS dep,
           random() AS r1, random() AS r2, random() AS r3,
           random() < 0.03 AS is_open
    FROM generate_series(1, :n) AS i
) AS g
-- Rocket.Chat creates rooms as they happen, so rows lie in time order on disk.
ORDER BY ts;

SELECT engine.rebuild_aggregates();

ALTER TABLE conversations ENABLE TRIGGER USER;
VACUUM ANALYZE;
-- Write the generated pages out now, not during the measurements.
CHECKPOINT;
