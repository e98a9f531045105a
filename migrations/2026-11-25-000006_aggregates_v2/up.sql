-- Cheaper, finer and bulk-capable aggregates (the tables of migration 000003 stay).
--
-- * Levels: besides hour (0), day (1) and month (2), six hours (3, UTC-aligned) and the week of
--   the month (4: days 1-7, 8-14, 15-21, 22-28, 29 to the end). Each level tiles the next
--   coarser one, so a range's edges read a few buckets of each level.
-- * Upkeep: each table's delta is grouped by hour once and every coarser level is grouped from
--   the level below; `date_bin` on the absolute time replaces `date_trunc` on the UTC wall time.
--   The trigger functions are static PL/pgSQL generated from omnireports_aggregate_sql(), so a
--   session prepares their statements once instead of planning nine dynamic ones per write;
--   they run with enough work_mem to group bulk deltas in memory and without JIT. A later
--   migration that changes omnireports_aggregate_sql() must generate them again.
-- * Bulk: a transaction that sets `omnireports.defer_aggregates` to 'on' (SET LOCAL) skips the
--   per-statement upkeep of its writes to conversations and must call
--   omnireports_rebuild_aggregates() before it commits. The rebuild fills fresh copies of the
--   tables from all conversations, indexes each once and swaps them in, so concurrent readers
--   keep the old tables until the commit. It holds off other writers of conversations (SHARE
--   lock) until the commit, since their trigger updates would go to the old tables; a
--   deferring transaction takes that lock before its first write, so that it never waits for
--   a writer that waits for it (on the data_version row).
-- * Scope first: the department-scoped tables are keyed (level, department, ancestors, bucket,
--   ...), so a monitor's query reads only the buckets of the scopes it may see. agg_department
--   keeps bucket first: it serves unrestricted callers too, one row per department per bucket.

-- The start of the week of the month holding the day that starts at `day` (UTC).
CREATE FUNCTION omnireports_week(day timestamptz) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (date_trunc('month', day AT TIME ZONE 'UTC')
            + make_interval(days => least((extract(day FROM day AT TIME ZONE 'UTC')::int - 1) / 7 * 7, 28)))
           AT TIME ZONE 'UTC';

DROP FUNCTION omnireports_aggregate_sql(text);

-- The statements that add the signed rows of `delta` to every aggregate, one per table; with
-- `fresh`, plain INSERTs into empty <table>_fresh copies instead of upserts.
CREATE FUNCTION omnireports_aggregate_sql(delta text, fresh boolean DEFAULT false) RETURNS SETOF text LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
    spec record;
    keys text;
    carried text;
    groups text;
BEGIN
    FOR spec IN SELECT * FROM (VALUES
        ('agg_department', ARRAY['d.department_id', 'd.department_ancestors'], ''),
        ('agg_source', ARRAY['d.source_type', 'd.source_alias'], ''),
        ('agg_source_scoped', ARRAY['d.department_id', 'd.department_ancestors', 'd.source_type', 'd.source_alias'], ''),
        ('agg_status', ARRAY['d.open', 'd.on_hold', 'd.served_by_id IS NOT NULL', 'coalesce(d.chat_duration <> 0, false)'], ''),
        ('agg_status_scoped', ARRAY['d.department_id', 'd.department_ancestors', 'd.open', 'd.on_hold', 'd.served_by_id IS NOT NULL', 'coalesce(d.chat_duration <> 0, false)'], ''),
        ('agg_tag', ARRAY['t.tag'], ' LEFT JOIN LATERAL unnest(d.tags) AS t(tag) ON true'),
        ('agg_tag_scoped', ARRAY['d.department_id', 'd.department_ancestors', 't.tag'], ' LEFT JOIN LATERAL unnest(d.tags) AS t(tag) ON true'),
        ('agg_agent', ARRAY['d.served_by_id'], ''),
        ('agg_agent_scoped', ARRAY['d.department_id', 'd.department_ancestors', 'd.served_by_id'], '')
    ) AS s(name, key_list, joins)
    LOOP
        SELECT string_agg(format('%s AS k%s', k, i), ', '), string_agg(format('k%s', i), ', ')
          INTO keys, carried
          FROM unnest(spec.key_list) WITH ORDINALITY AS t(k, i);
        groups := array_to_string(ARRAY(SELECT generate_series(1, cardinality(spec.key_list) + 1)), ', ');
        RETURN NEXT format(
            'WITH h AS (SELECT date_bin(''1 hour'', d.ts, ''epoch'') AS bucket, %2$s, sum(d.sign) AS n '
                'FROM (%3$s) AS d%4$s GROUP BY %5$s), '
            's AS (SELECT date_bin(''6 hours'', bucket, ''epoch'') AS bucket, %6$s, sum(n) AS n FROM h GROUP BY %5$s), '
            'dd AS (SELECT date_bin(''1 day'', bucket, ''epoch'') AS bucket, %6$s, sum(n) AS n FROM s GROUP BY %5$s), '
            'w AS (SELECT omnireports_week(bucket) AS bucket, %6$s, sum(n) AS n FROM dd GROUP BY %5$s), '
            'm AS (SELECT omnireports_bucket(2::smallint, bucket) AS bucket, %6$s, sum(n) AS n FROM w GROUP BY %5$s) '
            'INSERT INTO %1$I AS a '
                'SELECT 0::smallint, * FROM h UNION ALL SELECT 3::smallint, * FROM s '
                'UNION ALL SELECT 1::smallint, * FROM dd UNION ALL SELECT 4::smallint, * FROM w '
                'UNION ALL SELECT 2::smallint, * FROM m%7$s',
            CASE WHEN fresh THEN spec.name || '_fresh' ELSE spec.name END,
            keys, delta, spec.joins, groups, carried,
            CASE WHEN fresh THEN ''
                 ELSE format(' ON CONFLICT ON CONSTRAINT %s_key DO UPDATE SET n = a.n + excluded.n', spec.name)
            END);
    END LOOP;
END
$fn$;

CREATE FUNCTION omnireports_rebuild_aggregates() RETURNS void LANGUAGE plpgsql
    SET work_mem = '256MB' SET jit = off AS $fn$
DECLARE
    tables text[] := ARRAY['agg_department', 'agg_source', 'agg_source_scoped', 'agg_status',
                           'agg_status_scoped', 'agg_tag', 'agg_tag_scoped', 'agg_agent',
                           'agg_agent_scoped'];
    t text;
    statement text;
    grant_row record;
BEGIN
    LOCK TABLE conversations IN SHARE MODE;
    FOREACH t IN ARRAY tables LOOP
        EXECUTE format('CREATE TABLE %I (LIKE %I)', t || '_fresh', t);
    END LOOP;
    FOR statement IN SELECT omnireports_aggregate_sql('SELECT *, 1::bigint AS sign FROM conversations', true)
    LOOP
        EXECUTE statement;
    END LOOP;
    FOREACH t IN ARRAY tables LOOP
        EXECUTE format('ALTER TABLE %I ADD CONSTRAINT %I %s', t || '_fresh', t || '_fresh_key',
                       (SELECT pg_get_constraintdef(oid) FROM pg_constraint
                         WHERE conrelid = t::regclass AND conname = t || '_key'));
        -- Whoever could read the old table (a separate read-only role) can read the new one.
        FOR grant_row IN SELECT a.privilege_type, a.grantee FROM pg_class c, aclexplode(c.relacl) a
                          WHERE c.oid = t::regclass AND a.grantee <> c.relowner LOOP
            EXECUTE format('GRANT %s ON %I TO %s', grant_row.privilege_type, t || '_fresh',
                           CASE grant_row.grantee WHEN 0 THEN 'PUBLIC'
                                ELSE quote_ident(pg_get_userbyid(grant_row.grantee)) END);
        END LOOP;
        EXECUTE format('ANALYZE %I', t || '_fresh');
    END LOOP;
    FOREACH t IN ARRAY tables LOOP
        EXECUTE format('DROP TABLE %I', t);
        EXECUTE format('ALTER TABLE %I RENAME TO %I', t || '_fresh', t);
        EXECUTE format('ALTER TABLE %I RENAME CONSTRAINT %I TO %I', t, t || '_fresh_key', t || '_key');
    END LOOP;
END
$fn$;

-- Recounting everything is a rebuild.
CREATE OR REPLACE FUNCTION omnireports_recount() RETURNS void LANGUAGE sql
    RETURN omnireports_rebuild_aggregates();

-- The existing aggregates get their six-hour and week rows from their hour and day rows.
DO $$
DECLARE
    t text;
    keys text;
BEGIN
    FOREACH t IN ARRAY ARRAY['agg_department', 'agg_source', 'agg_source_scoped', 'agg_status',
                             'agg_status_scoped', 'agg_tag', 'agg_tag_scoped', 'agg_agent',
                             'agg_agent_scoped'] LOOP
        SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) INTO keys
          FROM pg_attribute
         WHERE attrelid = t::regclass AND attnum > 0 AND NOT attisdropped
           AND attname NOT IN ('level', 'bucket', 'n');
        EXECUTE format('INSERT INTO %1$I (level, bucket, %2$s, n) '
                       'SELECT 3, date_bin(''6 hours'', bucket, ''epoch''), %2$s, sum(n) FROM %1$I '
                       'WHERE level = 0 GROUP BY 2, %2$s', t, keys);
        EXECUTE format('INSERT INTO %1$I (level, bucket, %2$s, n) '
                       'SELECT 4, omnireports_week(bucket), %2$s, sum(n) FROM %1$I '
                       'WHERE level = 1 GROUP BY 2, %2$s', t, keys);
    END LOOP;
END
$$;

ALTER TABLE agg_source_scoped DROP CONSTRAINT agg_source_scoped_key;
ALTER TABLE agg_source_scoped ADD CONSTRAINT agg_source_scoped_key
    UNIQUE NULLS NOT DISTINCT (level, department_id, department_ancestors, bucket, source_type, source_alias) INCLUDE (n);
ALTER TABLE agg_status_scoped DROP CONSTRAINT agg_status_scoped_key;
ALTER TABLE agg_status_scoped ADD CONSTRAINT agg_status_scoped_key
    UNIQUE NULLS NOT DISTINCT (level, department_id, department_ancestors, bucket, open, on_hold, served, closed) INCLUDE (n);
ALTER TABLE agg_tag_scoped DROP CONSTRAINT agg_tag_scoped_key;
ALTER TABLE agg_tag_scoped ADD CONSTRAINT agg_tag_scoped_key
    UNIQUE NULLS NOT DISTINCT (level, department_id, department_ancestors, bucket, tag) INCLUDE (n);
ALTER TABLE agg_agent_scoped DROP CONSTRAINT agg_agent_scoped_key;
ALTER TABLE agg_agent_scoped ADD CONSTRAINT agg_agent_scoped_key
    UNIQUE NULLS NOT DISTINCT (level, department_id, department_ancestors, bucket, served_by_id) INCLUDE (n);

DO $do$
DECLARE
    event record;
    body text;
BEGIN
    FOR event IN SELECT * FROM (VALUES
        ('inserted', 'SELECT *, 1::bigint AS sign FROM new_rows'),
        ('deleted', 'SELECT *, -1::bigint AS sign FROM old_rows'),
        ('updated', 'SELECT *, 1::bigint AS sign FROM new_rows UNION ALL SELECT *, -1::bigint FROM old_rows')
    ) AS e(name, delta)
    LOOP
        SELECT string_agg(s, E';\n    ') INTO body FROM omnireports_aggregate_sql(event.delta) AS s;
        EXECUTE format($f$
CREATE OR REPLACE FUNCTION %I() RETURNS trigger LANGUAGE plpgsql
    SET work_mem = '64MB' SET jit = off AS $body$
BEGIN
    IF current_setting('omnireports.defer_aggregates', true) = 'on' THEN
        RETURN NULL;
    END IF;
    %s;
    RETURN NULL;
END
$body$$f$, 'omnireports_conversations_' || event.name, body);
    END LOOP;
END
$do$;

CREATE OR REPLACE TRIGGER conversations_aggregate_insert AFTER INSERT ON conversations
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION omnireports_conversations_inserted();
CREATE OR REPLACE TRIGGER conversations_aggregate_update AFTER UPDATE ON conversations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION omnireports_conversations_updated();
CREATE OR REPLACE TRIGGER conversations_aggregate_delete AFTER DELETE ON conversations
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION omnireports_conversations_deleted();
DROP FUNCTION omnireports_conversations_changed();
