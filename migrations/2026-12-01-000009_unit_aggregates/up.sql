-- Per-unit counts, so that a monitor of one unit reads one row per bucket and key instead of
-- one per visible department (12 departments × 52 agents per bucket in `make bench`).
--
-- A conversation counts under every unit that may see it: its own `department_ancestors` and
-- the current `ancestors` of its department (`omnireports_units`). Folds add logged changes
-- here like everywhere else. Since the second half of that set lives in `departments`, a
-- change of a department's ancestors (or id, or its creation or deletion) moves the counts of
-- its conversations between units, from the department-scoped tables, in the same
-- transaction; it waits for a running fold first, like a rebuild, so every change is either
-- folded before the move or after it, with the new units. A rebuild derives these tables from
-- the department-scoped ones it has just filled (much smaller than the conversations).
--
-- The department report keeps reading agg_department: it has one row per department anyway.

-- No fold runs and no department changes while the tables are filled.
SELECT pg_advisory_xact_lock(hashtext('omnireports_fold_changes'));
LOCK TABLE departments IN SHARE ROW EXCLUSIVE MODE;

-- The units that may see a conversation of `department` whose own ancestors are `ancestors`.
CREATE FUNCTION omnireports_units(department text, ancestors text[]) RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN ARRAY(SELECT DISTINCT u FROM unnest(ancestors || coalesce(
        (SELECT d.ancestors FROM departments d WHERE d.id = department), '{}')) AS u);

-- Columns in the order the aggregate statements insert them: level, bucket, keys, n.
CREATE TABLE agg_source_unit (
    level smallint NOT NULL, bucket timestamptz NOT NULL, unit text NOT NULL,
    source_type text, source_alias text, n bigint NOT NULL,
    CONSTRAINT agg_source_unit_key
        UNIQUE NULLS NOT DISTINCT (level, unit, bucket, source_type, source_alias) INCLUDE (n));
CREATE TABLE agg_status_unit (
    level smallint NOT NULL, bucket timestamptz NOT NULL, unit text NOT NULL,
    open boolean NOT NULL, on_hold boolean NOT NULL, served boolean NOT NULL,
    closed boolean NOT NULL, n bigint NOT NULL,
    CONSTRAINT agg_status_unit_key
        UNIQUE NULLS NOT DISTINCT (level, unit, bucket, open, on_hold, served, closed) INCLUDE (n));
CREATE TABLE agg_tag_unit (
    level smallint NOT NULL, bucket timestamptz NOT NULL, unit text NOT NULL, tag text,
    n bigint NOT NULL,
    CONSTRAINT agg_tag_unit_key UNIQUE NULLS NOT DISTINCT (level, unit, bucket, tag) INCLUDE (n));
CREATE TABLE agg_agent_unit (
    level smallint NOT NULL, bucket timestamptz NOT NULL, unit text NOT NULL, served_by_id text,
    n bigint NOT NULL,
    CONSTRAINT agg_agent_unit_key
        UNIQUE NULLS NOT DISTINCT (level, unit, bucket, served_by_id) INCLUDE (n));

-- Each per-unit table, the department-scoped table it derives from, and their shared keys.
CREATE FUNCTION omnireports_unit_tables() RETURNS TABLE (unit_table text, scoped_table text, keys text)
    LANGUAGE sql IMMUTABLE AS $$
    VALUES ('agg_source_unit', 'agg_source_scoped', 'source_type, source_alias'),
           ('agg_status_unit', 'agg_status_scoped', 'open, on_hold, served, closed'),
           ('agg_tag_unit', 'agg_tag_scoped', 'tag'),
           ('agg_agent_unit', 'agg_agent_scoped', 'served_by_id')
$$;

-- Fills the per-unit tables anew from the department-scoped ones. The units are looked up
-- once per scope (department and ancestors), not once per row: every scope has month rows in
-- agg_department, filled by the same folds and rebuilds.
CREATE FUNCTION omnireports_refill_units() RETURNS void LANGUAGE plpgsql
    SET work_mem = '256MB' SET jit = off AS $fn$
DECLARE
    t record;
BEGIN
    TRUNCATE agg_source_unit, agg_status_unit, agg_tag_unit, agg_agent_unit;
    CREATE TEMP TABLE omnireports_scope_units ON COMMIT DROP AS
        SELECT s.department_id, s.department_ancestors, u.unit
        FROM (SELECT DISTINCT department_id, department_ancestors FROM agg_department
               WHERE level = 2) AS s
        CROSS JOIN LATERAL unnest(omnireports_units(s.department_id, s.department_ancestors)) AS u(unit);
    ANALYZE omnireports_scope_units;
    -- Scopes without a department (`=` never matches NULL) have their own ancestors as units.
    FOR t IN SELECT * FROM omnireports_unit_tables() LOOP
        EXECUTE format(
            'INSERT INTO %1$I (level, bucket, unit, %3$s, n) '
            'SELECT level, bucket, unit, %3$s, sum(n) FROM ('
                'SELECT s.level, s.bucket, u.unit, %3$s, s.n FROM %2$I AS s '
                'JOIN omnireports_scope_units AS u ON u.department_id = s.department_id '
                 'AND u.department_ancestors = s.department_ancestors '
                'UNION ALL '
                'SELECT s.level, s.bucket, u.unit, %3$s, s.n FROM %2$I AS s '
                'CROSS JOIN LATERAL (SELECT DISTINCT unnest(s.department_ancestors)) AS u(unit) '
                'WHERE s.level = ANY (''{0,1,2,3,4}'') AND s.department_id IS NULL'
            ') AS x GROUP BY level, bucket, unit, %3$s HAVING sum(n) <> 0',
            t.unit_table, t.scoped_table, t.keys);
    END LOOP;
    DROP TABLE omnireports_scope_units;
END
$fn$;

-- The statements that add the signed rows of `delta` to every aggregate (000006), now with
-- the per-unit tables; with `fresh`, plain INSERTs into the empty copies of the others, from
-- which a rebuild then derives the per-unit tables (omnireports_refill_units).
CREATE OR REPLACE FUNCTION omnireports_aggregate_sql(delta text, fresh boolean DEFAULT false) RETURNS SETOF text LANGUAGE plpgsql IMMUTABLE AS $fn$
DECLARE
    spec record;
    keys text;
    carried text;
    groups text;
    -- The units of each scope of the delta, looked up once per scope (OFFSET 0: not pulled up
    -- into a lookup per row) and hash-joined to its rows (coalesce makes the key hashable;
    -- IS NOT DISTINCT FROM keeps it exact).
    units text := ' JOIN (SELECT s.department_id, s.department_ancestors, u.unit FROM ('
        'SELECT DISTINCT department_id, department_ancestors FROM (' || delta || ') AS d) AS s '
        'CROSS JOIN LATERAL unnest(omnireports_units(s.department_id, s.department_ancestors)) AS u(unit) '
        'OFFSET 0) AS u '
        'ON coalesce(u.department_id, '''') = coalesce(d.department_id, '''') '
        'AND u.department_ancestors = d.department_ancestors '
        'AND u.department_id IS NOT DISTINCT FROM d.department_id';
    tags text := ' LEFT JOIN LATERAL unnest(d.tags) AS t(tag) ON true';
BEGIN
    FOR spec IN SELECT * FROM (VALUES
        ('agg_department', ARRAY['d.department_id', 'd.department_ancestors'], '', false),
        ('agg_source', ARRAY['d.source_type', 'd.source_alias'], '', false),
        ('agg_source_scoped', ARRAY['d.department_id', 'd.department_ancestors', 'd.source_type', 'd.source_alias'], '', false),
        ('agg_source_unit', ARRAY['u.unit', 'd.source_type', 'd.source_alias'], units, true),
        ('agg_status', ARRAY['d.open', 'd.on_hold', 'd.served_by_id IS NOT NULL', 'coalesce(d.chat_duration <> 0, false)'], '', false),
        ('agg_status_scoped', ARRAY['d.department_id', 'd.department_ancestors', 'd.open', 'd.on_hold', 'd.served_by_id IS NOT NULL', 'coalesce(d.chat_duration <> 0, false)'], '', false),
        ('agg_status_unit', ARRAY['u.unit', 'd.open', 'd.on_hold', 'd.served_by_id IS NOT NULL', 'coalesce(d.chat_duration <> 0, false)'], units, true),
        ('agg_tag', ARRAY['t.tag'], tags, false),
        ('agg_tag_scoped', ARRAY['d.department_id', 'd.department_ancestors', 't.tag'], tags, false),
        ('agg_tag_unit', ARRAY['u.unit', 't.tag'], units || tags, true),
        ('agg_agent', ARRAY['d.served_by_id'], '', false),
        ('agg_agent_scoped', ARRAY['d.department_id', 'd.department_ancestors', 'd.served_by_id'], '', false),
        ('agg_agent_unit', ARRAY['u.unit', 'd.served_by_id'], units, true)
    ) AS s(name, key_list, joins, per_unit)
    WHERE NOT (fresh AND per_unit)
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

-- The rebuild of 000007, which then derives the per-unit counts.
CREATE OR REPLACE FUNCTION omnireports_rebuild_aggregates() RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('omnireports_fold_changes'));
    LOCK TABLE conversations IN SHARE MODE;
    DELETE FROM conversation_changes;
    PERFORM omnireports_refill_aggregates();
    PERFORM omnireports_refill_units();
END
$fn$;

CREATE OR REPLACE FUNCTION omnireports_conversations_truncated() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('omnireports_fold_changes'));
    TRUNCATE agg_department, agg_source, agg_source_scoped, agg_status, agg_status_scoped,
             agg_tag, agg_tag_scoped, agg_agent, agg_agent_scoped, agg_source_unit,
             agg_status_unit, agg_tag_unit, agg_agent_unit, conversation_changes;
    RETURN NULL;
END
$fn$;

-- A department's units changed: its folded conversations leave the units it no longer has
-- and join the new ones, except under the units their own ancestors name (counted there
-- anyway).
CREATE FUNCTION omnireports_department_moved() RETURNS trigger LANGUAGE plpgsql
    SET jit = off AS $fn$
DECLARE
    old_id text;
    old_units text[] := '{}';
    new_id text;
    new_units text[] := '{}';
    t record;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        old_id := OLD.id;
        old_units := OLD.ancestors;
    END IF;
    IF TG_OP <> 'DELETE' THEN
        new_id := NEW.id;
        new_units := NEW.ancestors;
    END IF;
    -- An upsert that leaves the units alone (an import's) moves nothing and waits for no fold.
    IF old_id IS NOT DISTINCT FROM new_id
       AND ARRAY(SELECT DISTINCT u FROM unnest(old_units) AS u ORDER BY u)
           = ARRAY(SELECT DISTINCT u FROM unnest(new_units) AS u ORDER BY u) THEN
        RETURN NULL;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('omnireports_fold_changes'));
    FOR t IN SELECT * FROM omnireports_unit_tables() LOOP
        EXECUTE format(
            'WITH moves AS (SELECT department, unit, sum(sign) AS sign FROM ('
                'SELECT DISTINCT $1 AS department, u AS unit, -1 AS sign FROM unnest($2::text[]) AS u '
                'UNION ALL SELECT DISTINCT $3, u, 1 FROM unnest($4::text[]) AS u) AS x '
              'WHERE department IS NOT NULL GROUP BY department, unit HAVING sum(sign) <> 0) '
            'INSERT INTO %1$I AS a (level, bucket, unit, %3$s, n) '
            'SELECT s.level, s.bucket, m.unit, %3$s, sum(s.n * m.sign) '
            'FROM moves AS m JOIN %2$I AS s ON s.level = ANY (''{0,1,2,3,4}'') '
              'AND s.department_id = m.department AND NOT s.department_ancestors @> ARRAY[m.unit] '
            'GROUP BY s.level, s.bucket, m.unit, %3$s '
            'ON CONFLICT ON CONSTRAINT %1$s_key DO UPDATE SET n = a.n + excluded.n',
            t.unit_table, t.scoped_table, t.keys)
        USING old_id, old_units, new_id, new_units;
    END LOOP;
    RETURN NULL;
END
$fn$;

CREATE TRIGGER departments_unit_aggregates AFTER INSERT OR DELETE OR UPDATE OF id, ancestors
    ON departments FOR EACH ROW EXECUTE FUNCTION omnireports_department_moved();

-- Without departments, a conversation counts only under its own ancestors: derive anew.
CREATE FUNCTION omnireports_departments_truncated() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('omnireports_fold_changes'));
    PERFORM omnireports_refill_units();
    RETURN NULL;
END
$fn$;

CREATE TRIGGER departments_unit_aggregates_truncate AFTER TRUNCATE ON departments
    FOR EACH STATEMENT EXECUTE FUNCTION omnireports_departments_truncated();

SELECT omnireports_refill_units();
