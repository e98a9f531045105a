-- Back to 000008: no per-unit tables; folds and rebuilds fill the others as before.
SELECT pg_advisory_xact_lock(hashtext('omnireports_fold_changes'));

DROP TRIGGER departments_unit_aggregates_truncate ON departments;
DROP FUNCTION omnireports_departments_truncated();
DROP TRIGGER departments_unit_aggregates ON departments;
DROP FUNCTION omnireports_department_moved();

CREATE OR REPLACE FUNCTION omnireports_conversations_truncated() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('omnireports_fold_changes'));
    TRUNCATE agg_department, agg_source, agg_source_scoped, agg_status, agg_status_scoped,
             agg_tag, agg_tag_scoped, agg_agent, agg_agent_scoped, conversation_changes;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE FUNCTION omnireports_rebuild_aggregates() RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('omnireports_fold_changes'));
    LOCK TABLE conversations IN SHARE MODE;
    DELETE FROM conversation_changes;
    PERFORM omnireports_refill_aggregates();
END
$fn$;

-- The statement function of 000006.
-- The statements that add the signed rows of `delta` to every aggregate, one per table; with
-- `fresh`, plain INSERTs into empty <table>_fresh copies instead of upserts.
CREATE OR REPLACE FUNCTION omnireports_aggregate_sql(delta text, fresh boolean DEFAULT false) RETURNS SETOF text LANGUAGE plpgsql IMMUTABLE AS $fn$
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

DROP FUNCTION omnireports_refill_units();
DROP FUNCTION omnireports_unit_tables();
DROP TABLE agg_source_unit, agg_status_unit, agg_tag_unit, agg_agent_unit;
DROP FUNCTION omnireports_units(text, text[]);
