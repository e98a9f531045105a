-- Two more bucket levels, so that a range's edges read a few buckets of each level instead of
-- up to fifteen days and twelve hours of them: level 3 is six hours (UTC-aligned, tiling a
-- day) and level 4 a week of the month (days 1-7, 8-14, 15-21, 22-28 and 29 to the end,
-- tiling a month). Existing aggregates get their new rows from their hour and day rows.

-- The start of the week of the month holding the day that starts at `day` (UTC).
CREATE FUNCTION omnireports_week(day timestamptz) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (date_trunc('month', day AT TIME ZONE 'UTC')
            + make_interval(days => least((extract(day FROM day AT TIME ZONE 'UTC')::int - 1) / 7 * 7, 28)))
           AT TIME ZONE 'UTC';

-- As in migration 000007, with the six-hour rows grouped from the hour rows, the day rows from
-- the six-hour rows, the week rows from the day rows and the month rows from the week rows.
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
