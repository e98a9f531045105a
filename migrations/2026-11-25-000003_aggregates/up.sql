-- Pre-aggregated conversation counts, kept exact by statement-level triggers in the same
-- transaction as every INSERT, UPDATE or DELETE on conversations, whoever runs it.
--
-- Each table counts conversations per bucket at three levels (0 = hour, 1 = day, 2 = month,
-- UTC-aligned) and per report dimension. A report sums whole buckets and counts the rows of the
-- partial hours at the range's edges, so any [start, end) gives exactly the raw count.
-- Tables suffixed _scoped also carry the conversation's department and department ancestors,
-- for the livechat-monitor restriction; department names and ancestors are joined at query
-- time, so renaming, moving or deleting a department needs no aggregate change.

-- date_trunc on the UTC wall time: several times faster than date_trunc(unit, ts, 'UTC').
CREATE FUNCTION omnireports_bucket(level smallint, ts timestamptz) RETURNS timestamptz
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN date_trunc(CASE level WHEN 0 THEN 'hour' WHEN 1 THEN 'day' ELSE 'month' END,
                      ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';

CREATE TABLE agg_department (
    level                smallint NOT NULL,
    bucket               timestamptz NOT NULL,
    department_id        text,
    department_ancestors text[] NOT NULL,
    n                    bigint NOT NULL,
    CONSTRAINT agg_department_key UNIQUE NULLS NOT DISTINCT (level, bucket, department_id, department_ancestors) INCLUDE (n)
);

CREATE TABLE agg_source (
    level        smallint NOT NULL,
    bucket       timestamptz NOT NULL,
    source_type  text,
    source_alias text,
    n            bigint NOT NULL,
    CONSTRAINT agg_source_key UNIQUE NULLS NOT DISTINCT (level, bucket, source_type, source_alias) INCLUDE (n)
);

CREATE TABLE agg_source_scoped (
    level                smallint NOT NULL,
    bucket               timestamptz NOT NULL,
    department_id        text,
    department_ancestors text[] NOT NULL,
    source_type          text,
    source_alias         text,
    n                    bigint NOT NULL,
    CONSTRAINT agg_source_scoped_key UNIQUE NULLS NOT DISTINCT (level, bucket, department_id, department_ancestors, source_type, source_alias) INCLUDE (n)
);

CREATE TABLE agg_status (
    level   smallint NOT NULL,
    bucket  timestamptz NOT NULL,
    open    boolean NOT NULL,
    on_hold boolean NOT NULL,
    served  boolean NOT NULL,
    closed  boolean NOT NULL,
    n       bigint NOT NULL,
    CONSTRAINT agg_status_key UNIQUE (level, bucket, open, on_hold, served, closed) INCLUDE (n)
);

CREATE TABLE agg_status_scoped (
    level                smallint NOT NULL,
    bucket               timestamptz NOT NULL,
    department_id        text,
    department_ancestors text[] NOT NULL,
    open                 boolean NOT NULL,
    on_hold              boolean NOT NULL,
    served               boolean NOT NULL,
    closed               boolean NOT NULL,
    n                    bigint NOT NULL,
    CONSTRAINT agg_status_scoped_key UNIQUE NULLS NOT DISTINCT (level, bucket, department_id, department_ancestors, open, on_hold, served, closed) INCLUDE (n)
);

-- tag NULL counts untagged conversations.
CREATE TABLE agg_tag (
    level  smallint NOT NULL,
    bucket timestamptz NOT NULL,
    tag    text,
    n      bigint NOT NULL,
    CONSTRAINT agg_tag_key UNIQUE NULLS NOT DISTINCT (level, bucket, tag) INCLUDE (n)
);

CREATE TABLE agg_tag_scoped (
    level                smallint NOT NULL,
    bucket               timestamptz NOT NULL,
    department_id        text,
    department_ancestors text[] NOT NULL,
    tag                  text,
    n                    bigint NOT NULL,
    CONSTRAINT agg_tag_scoped_key UNIQUE NULLS NOT DISTINCT (level, bucket, department_id, department_ancestors, tag) INCLUDE (n)
);

-- served_by_id NULL counts conversations served by nobody.
CREATE TABLE agg_agent (
    level        smallint NOT NULL,
    bucket       timestamptz NOT NULL,
    served_by_id text,
    n            bigint NOT NULL,
    CONSTRAINT agg_agent_key UNIQUE NULLS NOT DISTINCT (level, bucket, served_by_id) INCLUDE (n)
);

CREATE TABLE agg_agent_scoped (
    level                smallint NOT NULL,
    bucket               timestamptz NOT NULL,
    department_id        text,
    department_ancestors text[] NOT NULL,
    served_by_id         text,
    n                    bigint NOT NULL,
    CONSTRAINT agg_agent_scoped_key UNIQUE NULLS NOT DISTINCT (level, bucket, department_id, department_ancestors, served_by_id) INCLUDE (n)
);

-- The statements that add the signed rows of `delta` (a query yielding conversations columns
-- plus `sign`) to every aggregate: one grouped upsert per table, so bulk writes stay bulk.
-- They are returned rather than run because transition tables are visible only to the trigger
-- function itself.
-- The statements that add the signed rows of `delta` (a query yielding conversations columns
-- plus `sign`) to every aggregate: per table, one pass groups the delta by hour, and one upsert
-- adds the hour, day and month rows derived from it, so bulk writes stay bulk. They are
-- returned rather than run because transition tables are visible only to the trigger function.
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

-- PostgreSQL allows transition tables only on single-event triggers, hence three.
CREATE TRIGGER conversations_aggregate_insert AFTER INSERT ON conversations
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION omnireports_conversations_changed();
CREATE TRIGGER conversations_aggregate_update AFTER UPDATE ON conversations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION omnireports_conversations_changed();
CREATE TRIGGER conversations_aggregate_delete AFTER DELETE ON conversations
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION omnireports_conversations_changed();

-- TRUNCATE bypasses row triggers: empty the aggregates with it.
CREATE FUNCTION omnireports_conversations_truncated() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    TRUNCATE agg_department, agg_source, agg_source_scoped, agg_status, agg_status_scoped,
             agg_tag, agg_tag_scoped, agg_agent, agg_agent_scoped;
    RETURN NULL;
END
$fn$;

CREATE TRIGGER conversations_aggregate_truncate AFTER TRUNCATE ON conversations
    FOR EACH STATEMENT EXECUTE FUNCTION omnireports_conversations_truncated();

-- Recounts every aggregate from the raw rows: run once here for existing rows, and available to
-- operators (and the benchmark, which loads its rows with the triggers off).
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

SELECT omnireports_recount();
