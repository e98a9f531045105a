-- Cheaper aggregate maintenance, same aggregates. Each table's delta is grouped by hour once,
-- the day rows are grouped from the hour rows and the month rows from the day rows, instead of
-- deriving all three levels from every hour row. `date_bin` on the absolute time replaces
-- `date_trunc` on the UTC wall time for hours and days (both are UTC-aligned; months still need
-- the calendar). The trigger and the recount run with enough work_mem that bulk deltas are
-- grouped in memory, and without JIT, whose compile time outweighs what it saves here.
CREATE OR REPLACE FUNCTION omnireports_aggregate_sql(delta text) RETURNS SETOF text LANGUAGE plpgsql IMMUTABLE AS $fn$
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
                'UNION ALL SELECT 2::smallint, * FROM m '
            'ON CONFLICT ON CONSTRAINT %1$s_key DO UPDATE SET n = a.n + excluded.n',
            spec.name, keys, delta, spec.joins, groups, carried);
    END LOOP;
END
$fn$;

ALTER FUNCTION omnireports_conversations_changed() SET work_mem = '64MB' SET jit = off;
ALTER FUNCTION omnireports_recount() SET work_mem = '256MB' SET jit = off;
