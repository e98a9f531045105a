ALTER FUNCTION omnireports_recount() RESET ALL;
ALTER FUNCTION omnireports_conversations_changed() RESET ALL;

-- The aggregate statements of migration 000003.
CREATE OR REPLACE FUNCTION omnireports_aggregate_sql(delta text) RETURNS SETOF text LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
    spec record;
    keys text;
    aliases text;
    hour_groups text;
    level_groups text;
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
        SELECT string_agg(format('%s AS k%s', k, i), ', '), string_agg(format('h.k%s', i), ', ')
          INTO keys, aliases
          FROM unnest(spec.key_list) WITH ORDINALITY AS t(k, i);
        hour_groups := array_to_string(ARRAY(SELECT generate_series(1, cardinality(spec.key_list) + 1)), ', ');
        level_groups := array_to_string(ARRAY(SELECT generate_series(1, cardinality(spec.key_list) + 2)), ', ');
        RETURN NEXT format(
            'WITH h AS (SELECT omnireports_bucket(0::smallint, d.ts) AS bucket, %2$s, sum(d.sign) AS n '
            'FROM (%3$s) AS d%4$s GROUP BY %5$s) '
            'INSERT INTO %1$I AS a SELECT l.level, omnireports_bucket(l.level, h.bucket), %6$s, sum(h.n) '
            'FROM h CROSS JOIN (VALUES (0::smallint), (1::smallint), (2::smallint)) AS l(level) '
            'GROUP BY %7$s ON CONFLICT ON CONSTRAINT %1$s_key DO UPDATE SET n = a.n + excluded.n',
            spec.name, keys, delta, spec.joins, hour_groups, aliases, level_groups);
    END LOOP;
END
$fn$;
