-- Bulk (re)building of the aggregates, for a write that changes a large part of the data, such
-- as a first import: filling each table anew without its index and then indexing it once is
-- several times faster than upserting the same rows one by one into the index.
--
-- A transaction that sets `omnireports.defer_aggregates` to 'on' (SET LOCAL) skips the
-- per-statement maintenance of its writes to conversations, and must call
-- omnireports_rebuild_aggregates() before it commits. The rebuild fills fresh copies of the
-- tables from all conversations and swaps them in, so concurrent readers keep reading the old
-- tables until the commit and wait only for the swap itself. It holds off other writers of
-- conversations (SHARE lock) until the commit: their trigger updates would go to the old
-- tables. A deferring transaction takes that lock before its first write, so that it never
-- waits for a writer that waits for it (on the data_version row).

DROP FUNCTION omnireports_aggregate_sql(text);

-- As in migration 000006; with `fresh`, the statements fill the empty <table>_fresh copies
-- with plain INSERTs instead of upserting into the tables.
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
            'dd AS (SELECT date_bin(''1 day'', bucket, ''epoch'') AS bucket, %6$s, sum(n) AS n FROM h GROUP BY %5$s), '
            'm AS (SELECT omnireports_bucket(2::smallint, bucket) AS bucket, %6$s, sum(n) AS n FROM dd GROUP BY %5$s) '
            'INSERT INTO %1$I AS a '
                'SELECT 0::smallint, * FROM h UNION ALL SELECT 1::smallint, * FROM dd '
                'UNION ALL SELECT 2::smallint, * FROM m%7$s',
            CASE WHEN fresh THEN spec.name || '_fresh' ELSE spec.name END,
            keys, delta, spec.joins, groups, carried,
            CASE WHEN fresh THEN ''
                 ELSE format(' ON CONFLICT ON CONSTRAINT %s_key DO UPDATE SET n = a.n + excluded.n', spec.name)
            END);
    END LOOP;
END
$fn$;

CREATE OR REPLACE FUNCTION omnireports_conversations_changed() RETURNS trigger LANGUAGE plpgsql
    SET work_mem = '64MB' SET jit = off AS $fn$
DECLARE
    statement text;
BEGIN
    IF current_setting('omnireports.defer_aggregates', true) = 'on' THEN
        RETURN NULL;
    END IF;
    FOR statement IN SELECT omnireports_aggregate_sql(CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT *, 1::bigint AS sign FROM new_rows'
        WHEN 'DELETE' THEN 'SELECT *, -1::bigint AS sign FROM old_rows'
        ELSE 'SELECT *, 1::bigint AS sign FROM new_rows UNION ALL SELECT *, -1::bigint FROM old_rows'
    END)
    LOOP
        EXECUTE statement;
    END LOOP;
    RETURN NULL;
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
