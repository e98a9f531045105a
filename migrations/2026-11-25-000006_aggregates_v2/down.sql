-- Back to migration 000003: three levels, dynamic trigger statements, bucket-first keys.
CREATE FUNCTION omnireports_conversations_changed() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    statement text;
BEGIN
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

CREATE OR REPLACE TRIGGER conversations_aggregate_insert AFTER INSERT ON conversations
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION omnireports_conversations_changed();
CREATE OR REPLACE TRIGGER conversations_aggregate_update AFTER UPDATE ON conversations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION omnireports_conversations_changed();
CREATE OR REPLACE TRIGGER conversations_aggregate_delete AFTER DELETE ON conversations
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION omnireports_conversations_changed();
DROP FUNCTION omnireports_conversations_inserted();
DROP FUNCTION omnireports_conversations_updated();
DROP FUNCTION omnireports_conversations_deleted();

ALTER TABLE agg_source_scoped DROP CONSTRAINT agg_source_scoped_key;
ALTER TABLE agg_source_scoped ADD CONSTRAINT agg_source_scoped_key
    UNIQUE NULLS NOT DISTINCT (level, bucket, department_id, department_ancestors, source_type, source_alias) INCLUDE (n);
ALTER TABLE agg_status_scoped DROP CONSTRAINT agg_status_scoped_key;
ALTER TABLE agg_status_scoped ADD CONSTRAINT agg_status_scoped_key
    UNIQUE NULLS NOT DISTINCT (level, bucket, department_id, department_ancestors, open, on_hold, served, closed) INCLUDE (n);
ALTER TABLE agg_tag_scoped DROP CONSTRAINT agg_tag_scoped_key;
ALTER TABLE agg_tag_scoped ADD CONSTRAINT agg_tag_scoped_key
    UNIQUE NULLS NOT DISTINCT (level, bucket, department_id, department_ancestors, tag) INCLUDE (n);
ALTER TABLE agg_agent_scoped DROP CONSTRAINT agg_agent_scoped_key;
ALTER TABLE agg_agent_scoped ADD CONSTRAINT agg_agent_scoped_key
    UNIQUE NULLS NOT DISTINCT (level, bucket, department_id, department_ancestors, served_by_id) INCLUDE (n);

DROP FUNCTION omnireports_recount();
DROP FUNCTION omnireports_rebuild_aggregates();
DROP FUNCTION omnireports_aggregate_sql(text, boolean);

CREATE FUNCTION omnireports_aggregate_sql(delta text) RETURNS SETOF text LANGUAGE plpgsql IMMUTABLE AS $fn$
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

CREATE FUNCTION omnireports_recount() RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
    statement text;
BEGIN
    TRUNCATE agg_department, agg_source, agg_source_scoped, agg_status, agg_status_scoped,
             agg_tag, agg_tag_scoped, agg_agent, agg_agent_scoped;
    FOR statement IN SELECT omnireports_aggregate_sql('SELECT *, 1::bigint AS sign FROM conversations')
    LOOP
        EXECUTE statement;
    END LOOP;
END
$fn$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['agg_department', 'agg_source', 'agg_source_scoped', 'agg_status',
                             'agg_status_scoped', 'agg_tag', 'agg_tag_scoped', 'agg_agent',
                             'agg_agent_scoped'] LOOP
        EXECUTE format('DELETE FROM %I WHERE level IN (3, 4)', t);
    END LOOP;
END
$$;

DROP FUNCTION omnireports_week(timestamptz);
