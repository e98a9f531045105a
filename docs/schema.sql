--
-- PostgreSQL database dump
--



SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: engine; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA engine;


--
-- Name: bump_data_version(); Type: FUNCTION; Schema: engine; Owner: -
--

CREATE FUNCTION engine.bump_data_version() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    UPDATE data_version SET version = version + 1;
    RETURN NULL;
END
$$;


--
-- Name: conversations_truncated(); Type: FUNCTION; Schema: engine; Owner: -
--

CREATE FUNCTION engine.conversations_truncated() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('omnireports_fold_changes'));
    TRUNCATE agg_department, agg_source, agg_source_scoped, agg_source_unit, agg_status, agg_status_scoped, agg_status_unit, agg_tag, agg_tag_scoped, agg_tag_unit, agg_agent, agg_agent_scoped, agg_agent_unit, agg_department_keys, agg_department_packed, agg_source_keys, agg_source_packed, agg_status_keys, agg_status_packed, agg_tag_keys, agg_tag_packed, agg_agent_keys, agg_agent_packed, conversation_changes;
    RETURN NULL;
END
$$;


--
-- Name: department_moved(); Type: FUNCTION; Schema: engine; Owner: -
--

CREATE FUNCTION engine.department_moved() RETURNS trigger
    LANGUAGE plpgsql
    SET jit TO 'off'
    AS $$
DECLARE
    old_id text;
    old_units text[] := '{}';
    new_id text;
    new_units text[] := '{}';
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
    WITH moves AS (SELECT department, unit, sum(sign) AS sign FROM (
            SELECT DISTINCT old_id AS department, u AS unit, -1 AS sign FROM unnest(old_units) AS u
            UNION ALL SELECT DISTINCT new_id, u, 1 FROM unnest(new_units) AS u) AS x
          WHERE department IS NOT NULL GROUP BY department, unit HAVING sum(sign) <> 0)
    INSERT INTO agg_source_unit AS a (level, bucket, unit, source_type, source_alias, n)
    SELECT s.level, s.bucket, m.unit, source_type, source_alias, sum(s.n * m.sign)
    FROM moves AS m JOIN agg_source_scoped AS s ON s.level = ANY ('{0,3,1,4,2}')
      AND s.department_id = m.department AND NOT s.department_ancestors @> ARRAY[m.unit]
    GROUP BY s.level, s.bucket, m.unit, source_type, source_alias
    ON CONFLICT ON CONSTRAINT agg_source_unit_key DO UPDATE SET n = a.n + excluded.n;
    WITH moves AS (SELECT department, unit, sum(sign) AS sign FROM (
            SELECT DISTINCT old_id AS department, u AS unit, -1 AS sign FROM unnest(old_units) AS u
            UNION ALL SELECT DISTINCT new_id, u, 1 FROM unnest(new_units) AS u) AS x
          WHERE department IS NOT NULL GROUP BY department, unit HAVING sum(sign) <> 0)
    INSERT INTO agg_status_unit AS a (level, bucket, unit, open, on_hold, served, closed, n)
    SELECT s.level, s.bucket, m.unit, open, on_hold, served, closed, sum(s.n * m.sign)
    FROM moves AS m JOIN agg_status_scoped AS s ON s.level = ANY ('{0,3,1,4,2}')
      AND s.department_id = m.department AND NOT s.department_ancestors @> ARRAY[m.unit]
    GROUP BY s.level, s.bucket, m.unit, open, on_hold, served, closed
    ON CONFLICT ON CONSTRAINT agg_status_unit_key DO UPDATE SET n = a.n + excluded.n;
    WITH moves AS (SELECT department, unit, sum(sign) AS sign FROM (
            SELECT DISTINCT old_id AS department, u AS unit, -1 AS sign FROM unnest(old_units) AS u
            UNION ALL SELECT DISTINCT new_id, u, 1 FROM unnest(new_units) AS u) AS x
          WHERE department IS NOT NULL GROUP BY department, unit HAVING sum(sign) <> 0)
    INSERT INTO agg_tag_unit AS a (level, bucket, unit, tag, n)
    SELECT s.level, s.bucket, m.unit, tag, sum(s.n * m.sign)
    FROM moves AS m JOIN agg_tag_scoped AS s ON s.level = ANY ('{0,3,1,4,2}')
      AND s.department_id = m.department AND NOT s.department_ancestors @> ARRAY[m.unit]
    GROUP BY s.level, s.bucket, m.unit, tag
    ON CONFLICT ON CONSTRAINT agg_tag_unit_key DO UPDATE SET n = a.n + excluded.n;
    WITH moves AS (SELECT department, unit, sum(sign) AS sign FROM (
            SELECT DISTINCT old_id AS department, u AS unit, -1 AS sign FROM unnest(old_units) AS u
            UNION ALL SELECT DISTINCT new_id, u, 1 FROM unnest(new_units) AS u) AS x
          WHERE department IS NOT NULL GROUP BY department, unit HAVING sum(sign) <> 0)
    INSERT INTO agg_agent_unit AS a (level, bucket, unit, served_by_id, n)
    SELECT s.level, s.bucket, m.unit, served_by_id, sum(s.n * m.sign)
    FROM moves AS m JOIN agg_agent_scoped AS s ON s.level = ANY ('{0,3,1,4,2}')
      AND s.department_id = m.department AND NOT s.department_ancestors @> ARRAY[m.unit]
    GROUP BY s.level, s.bucket, m.unit, served_by_id
    ON CONFLICT ON CONSTRAINT agg_agent_unit_key DO UPDATE SET n = a.n + excluded.n;
    RETURN NULL;
END
$$;


--
-- Name: departments_truncated(); Type: FUNCTION; Schema: engine; Owner: -
--

CREATE FUNCTION engine.departments_truncated() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('omnireports_fold_changes'));
    PERFORM engine.refill_units();
    RETURN NULL;
END
$$;


--
-- Name: fold_changes(integer); Type: FUNCTION; Schema: engine; Owner: -
--

CREATE FUNCTION engine.fold_changes(max_rows integer DEFAULT 100000) RETURNS bigint
    LANGUAGE plpgsql
    SET work_mem TO '256MB'
    SET jit TO 'off'
    AS $$
DECLARE
    folded bigint;
BEGIN
    IF NOT EXISTS (SELECT FROM conversation_changes)
       OR NOT pg_try_advisory_xact_lock(hashtext('omnireports_fold_changes')) THEN
        RETURN 0;
    END IF;
    CREATE TEMP TABLE omnireports_folding (LIKE conversation_changes) ON COMMIT DROP;
    WITH moved AS (
        DELETE FROM conversation_changes
         WHERE ctid = ANY (ARRAY(SELECT ctid FROM conversation_changes LIMIT max_rows))
        RETURNING *)
    INSERT INTO omnireports_folding SELECT * FROM moved;
    GET DIAGNOSTICS folded = ROW_COUNT;
    WITH l5 AS (SELECT date_bin('15 minutes', c.ts, 'epoch') AS bucket, c.department_id AS department_id, c.department_ancestors AS department_ancestors, engine.total(c.sign) AS n FROM (SELECT * FROM omnireports_folding) AS c GROUP BY 1, 2, 3), l0 AS (SELECT date_bin('1 hour', bucket, 'epoch') AS bucket, department_id, department_ancestors, engine.total(n) AS n FROM l5 GROUP BY 1, 2, 3), l3 AS (SELECT date_bin('6 hours', bucket, 'epoch') AS bucket, department_id, department_ancestors, engine.total(n) AS n FROM l0 GROUP BY 1, 2, 3), l1 AS (SELECT date_bin('1 day', bucket, 'epoch') AS bucket, department_id, department_ancestors, engine.total(n) AS n FROM l3 GROUP BY 1, 2, 3), l4 AS (SELECT engine.week(bucket) AS bucket, department_id, department_ancestors, engine.total(n) AS n FROM l1 GROUP BY 1, 2, 3), l2 AS (SELECT engine.month(bucket) AS bucket, department_id, department_ancestors, engine.total(n) AS n FROM l4 GROUP BY 1, 2, 3) INSERT INTO agg_department AS a SELECT 5::smallint, * FROM l5 UNION ALL SELECT 0::smallint, * FROM l0 UNION ALL SELECT 3::smallint, * FROM l3 UNION ALL SELECT 1::smallint, * FROM l1 UNION ALL SELECT 4::smallint, * FROM l4 UNION ALL SELECT 2::smallint, * FROM l2 ON CONFLICT ON CONSTRAINT agg_department_key DO UPDATE SET n = a.n + excluded.n;
    WITH l5 AS (SELECT date_bin('15 minutes', c.ts, 'epoch') AS bucket, c.source_type AS source_type, c.source_alias AS source_alias, engine.total(c.sign) AS n FROM (SELECT * FROM omnireports_folding) AS c GROUP BY 1, 2, 3), l0 AS (SELECT date_bin('1 hour', bucket, 'epoch') AS bucket, source_type, source_alias, engine.total(n) AS n FROM l5 GROUP BY 1, 2, 3), l3 AS (SELECT date_bin('6 hours', bucket, 'epoch') AS bucket, source_type, source_alias, engine.total(n) AS n FROM l0 GROUP BY 1, 2, 3), l1 AS (SELECT date_bin('1 day', bucket, 'epoch') AS bucket, source_type, source_alias, engine.total(n) AS n FROM l3 GROUP BY 1, 2, 3), l4 AS (SELECT engine.week(bucket) AS bucket, source_type, source_alias, engine.total(n) AS n FROM l1 GROUP BY 1, 2, 3), l2 AS (SELECT engine.month(bucket) AS bucket, source_type, source_alias, engine.total(n) AS n FROM l4 GROUP BY 1, 2, 3) INSERT INTO agg_source AS a SELECT 5::smallint, * FROM l5 UNION ALL SELECT 0::smallint, * FROM l0 UNION ALL SELECT 3::smallint, * FROM l3 UNION ALL SELECT 1::smallint, * FROM l1 UNION ALL SELECT 4::smallint, * FROM l4 UNION ALL SELECT 2::smallint, * FROM l2 ON CONFLICT ON CONSTRAINT agg_source_key DO UPDATE SET n = a.n + excluded.n;
    WITH l0 AS (SELECT date_bin('1 hour', c.ts, 'epoch') AS bucket, c.department_id AS department_id, c.department_ancestors AS department_ancestors, c.source_type AS source_type, c.source_alias AS source_alias, engine.total(c.sign) AS n FROM (SELECT * FROM omnireports_folding) AS c GROUP BY 1, 2, 3, 4, 5), l3 AS (SELECT date_bin('6 hours', bucket, 'epoch') AS bucket, department_id, department_ancestors, source_type, source_alias, engine.total(n) AS n FROM l0 GROUP BY 1, 2, 3, 4, 5), l1 AS (SELECT date_bin('1 day', bucket, 'epoch') AS bucket, department_id, department_ancestors, source_type, source_alias, engine.total(n) AS n FROM l3 GROUP BY 1, 2, 3, 4, 5), l4 AS (SELECT engine.week(bucket) AS bucket, department_id, department_ancestors, source_type, source_alias, engine.total(n) AS n FROM l1 GROUP BY 1, 2, 3, 4, 5), l2 AS (SELECT engine.month(bucket) AS bucket, department_id, department_ancestors, source_type, source_alias, engine.total(n) AS n FROM l4 GROUP BY 1, 2, 3, 4, 5) INSERT INTO agg_source_scoped AS a SELECT 0::smallint, * FROM l0 UNION ALL SELECT 3::smallint, * FROM l3 UNION ALL SELECT 1::smallint, * FROM l1 UNION ALL SELECT 4::smallint, * FROM l4 UNION ALL SELECT 2::smallint, * FROM l2 ON CONFLICT ON CONSTRAINT agg_source_scoped_key DO UPDATE SET n = a.n + excluded.n;
    WITH l0 AS (SELECT date_bin('1 hour', c.ts, 'epoch') AS bucket, u.unit AS unit, c.source_type AS source_type, c.source_alias AS source_alias, engine.total(c.sign) AS n FROM (SELECT * FROM omnireports_folding) AS c JOIN (SELECT s.department_id, s.department_ancestors, u.unit FROM (SELECT DISTINCT department_id, department_ancestors FROM (SELECT * FROM omnireports_folding) AS d) AS s CROSS JOIN LATERAL unnest(engine.units(s.department_id, s.department_ancestors)) AS u(unit) OFFSET 0) AS u ON coalesce(u.department_id, '') = coalesce(c.department_id, '') AND u.department_ancestors = c.department_ancestors AND u.department_id IS NOT DISTINCT FROM c.department_id GROUP BY 1, 2, 3, 4), l3 AS (SELECT date_bin('6 hours', bucket, 'epoch') AS bucket, unit, source_type, source_alias, engine.total(n) AS n FROM l0 GROUP BY 1, 2, 3, 4), l1 AS (SELECT date_bin('1 day', bucket, 'epoch') AS bucket, unit, source_type, source_alias, engine.total(n) AS n FROM l3 GROUP BY 1, 2, 3, 4), l4 AS (SELECT engine.week(bucket) AS bucket, unit, source_type, source_alias, engine.total(n) AS n FROM l1 GROUP BY 1, 2, 3, 4), l2 AS (SELECT engine.month(bucket) AS bucket, unit, source_type, source_alias, engine.total(n) AS n FROM l4 GROUP BY 1, 2, 3, 4) INSERT INTO agg_source_unit AS a SELECT 0::smallint, * FROM l0 UNION ALL SELECT 3::smallint, * FROM l3 UNION ALL SELECT 1::smallint, * FROM l1 UNION ALL SELECT 4::smallint, * FROM l4 UNION ALL SELECT 2::smallint, * FROM l2 ON CONFLICT ON CONSTRAINT agg_source_unit_key DO UPDATE SET n = a.n + excluded.n;
    WITH l5 AS (SELECT date_bin('15 minutes', c.ts, 'epoch') AS bucket, c.open AS open, c.on_hold AS on_hold, c.served_by_id IS NOT NULL AS served, coalesce(c.chat_duration <> 0, false) AS closed, engine.total(c.sign) AS n FROM (SELECT * FROM omnireports_folding) AS c GROUP BY 1, 2, 3, 4, 5), l0 AS (SELECT date_bin('1 hour', bucket, 'epoch') AS bucket, open, on_hold, served, closed, engine.total(n) AS n FROM l5 GROUP BY 1, 2, 3, 4, 5), l3 AS (SELECT date_bin('6 hours', bucket, 'epoch') AS bucket, open, on_hold, served, closed, engine.total(n) AS n FROM l0 GROUP BY 1, 2, 3, 4, 5), l1 AS (SELECT date_bin('1 day', bucket, 'epoch') AS bucket, open, on_hold, served, closed, engine.total(n) AS n FROM l3 GROUP BY 1, 2, 3, 4, 5), l4 AS (SELECT engine.week(bucket) AS bucket, open, on_hold, served, closed, engine.total(n) AS n FROM l1 GROUP BY 1, 2, 3, 4, 5), l2 AS (SELECT engine.month(bucket) AS bucket, open, on_hold, served, closed, engine.total(n) AS n FROM l4 GROUP BY 1, 2, 3, 4, 5) INSERT INTO agg_status AS a SELECT 5::smallint, * FROM l5 UNION ALL SELECT 0::smallint, * FROM l0 UNION ALL SELECT 3::smallint, * FROM l3 UNION ALL SELECT 1::smallint, * FROM l1 UNION ALL SELECT 4::smallint, * FROM l4 UNION ALL SELECT 2::smallint, * FROM l2 ON CONFLICT ON CONSTRAINT agg_status_key DO UPDATE SET n = a.n + excluded.n;
    WITH l0 AS (SELECT date_bin('1 hour', c.ts, 'epoch') AS bucket, c.department_id AS department_id, c.department_ancestors AS department_ancestors, c.open AS open, c.on_hold AS on_hold, c.served_by_id IS NOT NULL AS served, coalesce(c.chat_duration <> 0, false) AS closed, engine.total(c.sign) AS n FROM (SELECT * FROM omnireports_folding) AS c GROUP BY 1, 2, 3, 4, 5, 6, 7), l3 AS (SELECT date_bin('6 hours', bucket, 'epoch') AS bucket, department_id, department_ancestors, open, on_hold, served, closed, engine.total(n) AS n FROM l0 GROUP BY 1, 2, 3, 4, 5, 6, 7), l1 AS (SELECT date_bin('1 day', bucket, 'epoch') AS bucket, department_id, department_ancestors, open, on_hold, served, closed, engine.total(n) AS n FROM l3 GROUP BY 1, 2, 3, 4, 5, 6, 7), l4 AS (SELECT engine.week(bucket) AS bucket, department_id, department_ancestors, open, on_hold, served, closed, engine.total(n) AS n FROM l1 GROUP BY 1, 2, 3, 4, 5, 6, 7), l2 AS (SELECT engine.month(bucket) AS bucket, department_id, department_ancestors, open, on_hold, served, closed, engine.total(n) AS n FROM l4 GROUP BY 1, 2, 3, 4, 5, 6, 7) INSERT INTO agg_status_scoped AS a SELECT 0::smallint, * FROM l0 UNION ALL SELECT 3::smallint, * FROM l3 UNION ALL SELECT 1::smallint, * FROM l1 UNION ALL SELECT 4::smallint, * FROM l4 UNION ALL SELECT 2::smallint, * FROM l2 ON CONFLICT ON CONSTRAINT agg_status_scoped_key DO UPDATE SET n = a.n + excluded.n;
    WITH l0 AS (SELECT date_bin('1 hour', c.ts, 'epoch') AS bucket, u.unit AS unit, c.open AS open, c.on_hold AS on_hold, c.served_by_id IS NOT NULL AS served, coalesce(c.chat_duration <> 0, false) AS closed, engine.total(c.sign) AS n FROM (SELECT * FROM omnireports_folding) AS c JOIN (SELECT s.department_id, s.department_ancestors, u.unit FROM (SELECT DISTINCT department_id, department_ancestors FROM (SELECT * FROM omnireports_folding) AS d) AS s CROSS JOIN LATERAL unnest(engine.units(s.department_id, s.department_ancestors)) AS u(unit) OFFSET 0) AS u ON coalesce(u.department_id, '') = coalesce(c.department_id, '') AND u.department_ancestors = c.department_ancestors AND u.department_id IS NOT DISTINCT FROM c.department_id GROUP BY 1, 2, 3, 4, 5, 6), l3 AS (SELECT date_bin('6 hours', bucket, 'epoch') AS bucket, unit, open, on_hold, served, closed, engine.total(n) AS n FROM l0 GROUP BY 1, 2, 3, 4, 5, 6), l1 AS (SELECT date_bin('1 day', bucket, 'epoch') AS bucket, unit, open, on_hold, served, closed, engine.total(n) AS n FROM l3 GROUP BY 1, 2, 3, 4, 5, 6), l4 AS (SELECT engine.week(bucket) AS bucket, unit, open, on_hold, served, closed, engine.total(n) AS n FROM l1 GROUP BY 1, 2, 3, 4, 5, 6), l2 AS (SELECT engine.month(bucket) AS bucket, unit, open, on_hold, served, closed, engine.total(n) AS n FROM l4 GROUP BY 1, 2, 3, 4, 5, 6) INSERT INTO agg_status_unit AS a SELECT 0::smallint, * FROM l0 UNION ALL SELECT 3::smallint, * FROM l3 UNION ALL SELECT 1::smallint, * FROM l1 UNION ALL SELECT 4::smallint, * FROM l4 UNION ALL SELECT 2::smallint, * FROM l2 ON CONFLICT ON CONSTRAINT agg_status_unit_key DO UPDATE SET n = a.n + excluded.n;
    WITH l5 AS (SELECT date_bin('15 minutes', c.ts, 'epoch') AS bucket, t.tag AS tag, engine.total(c.sign) AS n FROM (SELECT * FROM omnireports_folding) AS c LEFT JOIN LATERAL unnest(c.tags) AS t(tag) ON true GROUP BY 1, 2), l0 AS (SELECT date_bin('1 hour', bucket, 'epoch') AS bucket, tag, engine.total(n) AS n FROM l5 GROUP BY 1, 2), l3 AS (SELECT date_bin('6 hours', bucket, 'epoch') AS bucket, tag, engine.total(n) AS n FROM l0 GROUP BY 1, 2), l1 AS (SELECT date_bin('1 day', bucket, 'epoch') AS bucket, tag, engine.total(n) AS n FROM l3 GROUP BY 1, 2), l4 AS (SELECT engine.week(bucket) AS bucket, tag, engine.total(n) AS n FROM l1 GROUP BY 1, 2), l2 AS (SELECT engine.month(bucket) AS bucket, tag, engine.total(n) AS n FROM l4 GROUP BY 1, 2) INSERT INTO agg_tag AS a SELECT 5::smallint, * FROM l5 UNION ALL SELECT 0::smallint, * FROM l0 UNION ALL SELECT 3::smallint, * FROM l3 UNION ALL SELECT 1::smallint, * FROM l1 UNION ALL SELECT 4::smallint, * FROM l4 UNION ALL SELECT 2::smallint, * FROM l2 ON CONFLICT ON CONSTRAINT agg_tag_key DO UPDATE SET n = a.n + excluded.n;
    WITH l0 AS (SELECT date_bin('1 hour', c.ts, 'epoch') AS bucket, c.department_id AS department_id, c.department_ancestors AS department_ancestors, t.tag AS tag, engine.total(c.sign) AS n FROM (SELECT * FROM omnireports_folding) AS c LEFT JOIN LATERAL unnest(c.tags) AS t(tag) ON true GROUP BY 1, 2, 3, 4), l3 AS (SELECT date_bin('6 hours', bucket, 'epoch') AS bucket, department_id, department_ancestors, tag, engine.total(n) AS n FROM l0 GROUP BY 1, 2, 3, 4), l1 AS (SELECT date_bin('1 day', bucket, 'epoch') AS bucket, department_id, department_ancestors, tag, engine.total(n) AS n FROM l3 GROUP BY 1, 2, 3, 4), l4 AS (SELECT engine.week(bucket) AS bucket, department_id, department_ancestors, tag, engine.total(n) AS n FROM l1 GROUP BY 1, 2, 3, 4), l2 AS (SELECT engine.month(bucket) AS bucket, department_id, department_ancestors, tag, engine.total(n) AS n FROM l4 GROUP BY 1, 2, 3, 4) INSERT INTO agg_tag_scoped AS a SELECT 0::smallint, * FROM l0 UNION ALL SELECT 3::smallint, * FROM l3 UNION ALL SELECT 1::smallint, * FROM l1 UNION ALL SELECT 4::smallint, * FROM l4 UNION ALL SELECT 2::smallint, * FROM l2 ON CONFLICT ON CONSTRAINT agg_tag_scoped_key DO UPDATE SET n = a.n + excluded.n;
    WITH l0 AS (SELECT date_bin('1 hour', c.ts, 'epoch') AS bucket, u.unit AS unit, t.tag AS tag, engine.total(c.sign) AS n FROM (SELECT * FROM omnireports_folding) AS c JOIN (SELECT s.department_id, s.department_ancestors, u.unit FROM (SELECT DISTINCT department_id, department_ancestors FROM (SELECT * FROM omnireports_folding) AS d) AS s CROSS JOIN LATERAL unnest(engine.units(s.department_id, s.department_ancestors)) AS u(unit) OFFSET 0) AS u ON coalesce(u.department_id, '') = coalesce(c.department_id, '') AND u.department_ancestors = c.department_ancestors AND u.department_id IS NOT DISTINCT FROM c.department_id LEFT JOIN LATERAL unnest(c.tags) AS t(tag) ON true GROUP BY 1, 2, 3), l3 AS (SELECT date_bin('6 hours', bucket, 'epoch') AS bucket, unit, tag, engine.total(n) AS n FROM l0 GROUP BY 1, 2, 3), l1 AS (SELECT date_bin('1 day', bucket, 'epoch') AS bucket, unit, tag, engine.total(n) AS n FROM l3 GROUP BY 1, 2, 3), l4 AS (SELECT engine.week(bucket) AS bucket, unit, tag, engine.total(n) AS n FROM l1 GROUP BY 1, 2, 3), l2 AS (SELECT engine.month(bucket) AS bucket, unit, tag, engine.total(n) AS n FROM l4 GROUP BY 1, 2, 3) INSERT INTO agg_tag_unit AS a SELECT 0::smallint, * FROM l0 UNION ALL SELECT 3::smallint, * FROM l3 UNION ALL SELECT 1::smallint, * FROM l1 UNION ALL SELECT 4::smallint, * FROM l4 UNION ALL SELECT 2::smallint, * FROM l2 ON CONFLICT ON CONSTRAINT agg_tag_unit_key DO UPDATE SET n = a.n + excluded.n;
    WITH l5 AS (SELECT date_bin('15 minutes', c.ts, 'epoch') AS bucket, c.served_by_id AS served_by_id, engine.total(c.sign) AS n FROM (SELECT * FROM omnireports_folding) AS c GROUP BY 1, 2), l0 AS (SELECT date_bin('1 hour', bucket, 'epoch') AS bucket, served_by_id, engine.total(n) AS n FROM l5 GROUP BY 1, 2), l3 AS (SELECT date_bin('6 hours', bucket, 'epoch') AS bucket, served_by_id, engine.total(n) AS n FROM l0 GROUP BY 1, 2), l1 AS (SELECT date_bin('1 day', bucket, 'epoch') AS bucket, served_by_id, engine.total(n) AS n FROM l3 GROUP BY 1, 2), l4 AS (SELECT engine.week(bucket) AS bucket, served_by_id, engine.total(n) AS n FROM l1 GROUP BY 1, 2), l2 AS (SELECT engine.month(bucket) AS bucket, served_by_id, engine.total(n) AS n FROM l4 GROUP BY 1, 2) INSERT INTO agg_agent AS a SELECT 5::smallint, * FROM l5 UNION ALL SELECT 0::smallint, * FROM l0 UNION ALL SELECT 3::smallint, * FROM l3 UNION ALL SELECT 1::smallint, * FROM l1 UNION ALL SELECT 4::smallint, * FROM l4 UNION ALL SELECT 2::smallint, * FROM l2 ON CONFLICT ON CONSTRAINT agg_agent_key DO UPDATE SET n = a.n + excluded.n;
    WITH l0 AS (SELECT date_bin('1 hour', c.ts, 'epoch') AS bucket, c.department_id AS department_id, c.department_ancestors AS department_ancestors, c.served_by_id AS served_by_id, engine.total(c.sign) AS n FROM (SELECT * FROM omnireports_folding) AS c GROUP BY 1, 2, 3, 4), l3 AS (SELECT date_bin('6 hours', bucket, 'epoch') AS bucket, department_id, department_ancestors, served_by_id, engine.total(n) AS n FROM l0 GROUP BY 1, 2, 3, 4), l1 AS (SELECT date_bin('1 day', bucket, 'epoch') AS bucket, department_id, department_ancestors, served_by_id, engine.total(n) AS n FROM l3 GROUP BY 1, 2, 3, 4), l4 AS (SELECT engine.week(bucket) AS bucket, department_id, department_ancestors, served_by_id, engine.total(n) AS n FROM l1 GROUP BY 1, 2, 3, 4), l2 AS (SELECT engine.month(bucket) AS bucket, department_id, department_ancestors, served_by_id, engine.total(n) AS n FROM l4 GROUP BY 1, 2, 3, 4) INSERT INTO agg_agent_scoped AS a SELECT 0::smallint, * FROM l0 UNION ALL SELECT 3::smallint, * FROM l3 UNION ALL SELECT 1::smallint, * FROM l1 UNION ALL SELECT 4::smallint, * FROM l4 UNION ALL SELECT 2::smallint, * FROM l2 ON CONFLICT ON CONSTRAINT agg_agent_scoped_key DO UPDATE SET n = a.n + excluded.n;
    WITH l0 AS (SELECT date_bin('1 hour', c.ts, 'epoch') AS bucket, u.unit AS unit, c.served_by_id AS served_by_id, engine.total(c.sign) AS n FROM (SELECT * FROM omnireports_folding) AS c JOIN (SELECT s.department_id, s.department_ancestors, u.unit FROM (SELECT DISTINCT department_id, department_ancestors FROM (SELECT * FROM omnireports_folding) AS d) AS s CROSS JOIN LATERAL unnest(engine.units(s.department_id, s.department_ancestors)) AS u(unit) OFFSET 0) AS u ON coalesce(u.department_id, '') = coalesce(c.department_id, '') AND u.department_ancestors = c.department_ancestors AND u.department_id IS NOT DISTINCT FROM c.department_id GROUP BY 1, 2, 3), l3 AS (SELECT date_bin('6 hours', bucket, 'epoch') AS bucket, unit, served_by_id, engine.total(n) AS n FROM l0 GROUP BY 1, 2, 3), l1 AS (SELECT date_bin('1 day', bucket, 'epoch') AS bucket, unit, served_by_id, engine.total(n) AS n FROM l3 GROUP BY 1, 2, 3), l4 AS (SELECT engine.week(bucket) AS bucket, unit, served_by_id, engine.total(n) AS n FROM l1 GROUP BY 1, 2, 3), l2 AS (SELECT engine.month(bucket) AS bucket, unit, served_by_id, engine.total(n) AS n FROM l4 GROUP BY 1, 2, 3) INSERT INTO agg_agent_unit AS a SELECT 0::smallint, * FROM l0 UNION ALL SELECT 3::smallint, * FROM l3 UNION ALL SELECT 1::smallint, * FROM l1 UNION ALL SELECT 4::smallint, * FROM l4 UNION ALL SELECT 2::smallint, * FROM l2 ON CONFLICT ON CONSTRAINT agg_agent_unit_key DO UPDATE SET n = a.n + excluded.n;
    CREATE TEMP TABLE omnireports_touched ON COMMIT DROP AS SELECT DISTINCT t.level, t.bucket FROM omnireports_folding AS c CROSS JOIN LATERAL (VALUES (5::smallint, date_bin('15 minutes', c.ts, 'epoch')), (0::smallint, date_bin('1 hour', c.ts, 'epoch')), (3::smallint, date_bin('6 hours', c.ts, 'epoch')), (1::smallint, date_bin('1 day', c.ts, 'epoch')), (4::smallint, engine.week(c.ts)), (2::smallint, engine.month(c.ts))) AS t(level, bucket);
    ANALYZE omnireports_touched;
    DELETE FROM agg_department_packed p USING omnireports_touched t WHERE p.level = t.level AND p.bucket = t.bucket;
    INSERT INTO agg_department_keys (key, department_id, department_ancestors) SELECT DISTINCT ROW(a.department_id, a.department_ancestors)::text, a.department_id, a.department_ancestors FROM omnireports_touched t JOIN agg_department a ON a.level = t.level AND a.bucket = t.bucket WHERE a.level = 2 AND NOT EXISTS (SELECT FROM agg_department_keys k WHERE k.key = ROW(a.department_id, a.department_ancestors)::text);
    INSERT INTO agg_department_packed (level, bucket, counts) SELECT a.level, a.bucket, string_agg(int4send(k.id) || int8send(a.n), ''::bytea) FROM omnireports_touched t JOIN agg_department a ON a.level = t.level AND a.bucket = t.bucket JOIN agg_department_keys k ON k.key = ROW(a.department_id, a.department_ancestors)::text WHERE a.n <> 0 GROUP BY a.level, a.bucket;
    DELETE FROM agg_source_packed p USING omnireports_touched t WHERE p.level = t.level AND p.bucket = t.bucket;
    INSERT INTO agg_source_keys (key, source_type, source_alias) SELECT DISTINCT ROW(a.source_type, a.source_alias)::text, a.source_type, a.source_alias FROM omnireports_touched t JOIN agg_source a ON a.level = t.level AND a.bucket = t.bucket WHERE a.level = 2 AND NOT EXISTS (SELECT FROM agg_source_keys k WHERE k.key = ROW(a.source_type, a.source_alias)::text);
    INSERT INTO agg_source_packed (level, bucket, counts) SELECT a.level, a.bucket, string_agg(int4send(k.id) || int8send(a.n), ''::bytea) FROM omnireports_touched t JOIN agg_source a ON a.level = t.level AND a.bucket = t.bucket JOIN agg_source_keys k ON k.key = ROW(a.source_type, a.source_alias)::text WHERE a.n <> 0 GROUP BY a.level, a.bucket;
    DELETE FROM agg_status_packed p USING omnireports_touched t WHERE p.level = t.level AND p.bucket = t.bucket;
    INSERT INTO agg_status_keys (key, open, on_hold, served, closed) SELECT DISTINCT ROW(a.open, a.on_hold, a.served, a.closed)::text, a.open, a.on_hold, a.served, a.closed FROM omnireports_touched t JOIN agg_status a ON a.level = t.level AND a.bucket = t.bucket WHERE a.level = 2 AND NOT EXISTS (SELECT FROM agg_status_keys k WHERE k.key = ROW(a.open, a.on_hold, a.served, a.closed)::text);
    INSERT INTO agg_status_packed (level, bucket, counts) SELECT a.level, a.bucket, string_agg(int4send(k.id) || int8send(a.n), ''::bytea) FROM omnireports_touched t JOIN agg_status a ON a.level = t.level AND a.bucket = t.bucket JOIN agg_status_keys k ON k.key = ROW(a.open, a.on_hold, a.served, a.closed)::text WHERE a.n <> 0 GROUP BY a.level, a.bucket;
    DELETE FROM agg_tag_packed p USING omnireports_touched t WHERE p.level = t.level AND p.bucket = t.bucket;
    INSERT INTO agg_tag_keys (key, tag) SELECT DISTINCT ROW(a.tag)::text, a.tag FROM omnireports_touched t JOIN agg_tag a ON a.level = t.level AND a.bucket = t.bucket WHERE a.level = 2 AND NOT EXISTS (SELECT FROM agg_tag_keys k WHERE k.key = ROW(a.tag)::text);
    INSERT INTO agg_tag_packed (level, bucket, counts) SELECT a.level, a.bucket, string_agg(int4send(k.id) || int8send(a.n), ''::bytea) FROM omnireports_touched t JOIN agg_tag a ON a.level = t.level AND a.bucket = t.bucket JOIN agg_tag_keys k ON k.key = ROW(a.tag)::text WHERE a.n <> 0 GROUP BY a.level, a.bucket;
    DELETE FROM agg_agent_packed p USING omnireports_touched t WHERE p.level = t.level AND p.bucket = t.bucket;
    INSERT INTO agg_agent_keys (key, served_by_id) SELECT DISTINCT ROW(a.served_by_id)::text, a.served_by_id FROM omnireports_touched t JOIN agg_agent a ON a.level = t.level AND a.bucket = t.bucket WHERE a.level = 2 AND NOT EXISTS (SELECT FROM agg_agent_keys k WHERE k.key = ROW(a.served_by_id)::text);
    INSERT INTO agg_agent_packed (level, bucket, counts) SELECT a.level, a.bucket, string_agg(int4send(k.id) || int8send(a.n), ''::bytea) FROM omnireports_touched t JOIN agg_agent a ON a.level = t.level AND a.bucket = t.bucket JOIN agg_agent_keys k ON k.key = ROW(a.served_by_id)::text WHERE a.n <> 0 GROUP BY a.level, a.bucket;
    DROP TABLE omnireports_touched;
    DROP TABLE omnireports_folding;
    RETURN folded;
END
$$;


--
-- Name: log_deleted(); Type: FUNCTION; Schema: engine; Owner: -
--

CREATE FUNCTION engine.log_deleted() RETURNS trigger
    LANGUAGE plpgsql
    SET jit TO 'off'
    AS $$
BEGIN
    IF current_setting('omnireports.defer_aggregates', true) IS DISTINCT FROM 'on' THEN
        INSERT INTO conversation_changes (sign, ts, department_id, department_ancestors, source_type, source_alias, open, on_hold, served_by_id, chat_duration, tags) SELECT -1, ts, department_id, department_ancestors, source_type, source_alias, open, on_hold, served_by_id, chat_duration, tags FROM old_rows;
    END IF;
    RETURN NULL;
END
$$;


--
-- Name: log_inserted(); Type: FUNCTION; Schema: engine; Owner: -
--

CREATE FUNCTION engine.log_inserted() RETURNS trigger
    LANGUAGE plpgsql
    SET jit TO 'off'
    AS $$
BEGIN
    IF current_setting('omnireports.defer_aggregates', true) IS DISTINCT FROM 'on' THEN
        INSERT INTO conversation_changes (sign, ts, department_id, department_ancestors, source_type, source_alias, open, on_hold, served_by_id, chat_duration, tags) SELECT 1, ts, department_id, department_ancestors, source_type, source_alias, open, on_hold, served_by_id, chat_duration, tags FROM new_rows;
    END IF;
    RETURN NULL;
END
$$;


--
-- Name: log_updated(); Type: FUNCTION; Schema: engine; Owner: -
--

CREATE FUNCTION engine.log_updated() RETURNS trigger
    LANGUAGE plpgsql
    SET jit TO 'off'
    AS $$
BEGIN
    IF current_setting('omnireports.defer_aggregates', true) IS DISTINCT FROM 'on' THEN
        INSERT INTO conversation_changes (sign, ts, department_id, department_ancestors, source_type, source_alias, open, on_hold, served_by_id, chat_duration, tags) (SELECT 1, ts, department_id, department_ancestors, source_type, source_alias, open, on_hold, served_by_id, chat_duration, tags FROM new_rows EXCEPT ALL SELECT 1, ts, department_id, department_ancestors, source_type, source_alias, open, on_hold, served_by_id, chat_duration, tags FROM old_rows) UNION ALL (SELECT -1, ts, department_id, department_ancestors, source_type, source_alias, open, on_hold, served_by_id, chat_duration, tags FROM old_rows EXCEPT ALL SELECT -1, ts, department_id, department_ancestors, source_type, source_alias, open, on_hold, served_by_id, chat_duration, tags FROM new_rows);
    END IF;
    RETURN NULL;
END
$$;


--
-- Name: month(timestamp with time zone); Type: FUNCTION; Schema: engine; Owner: -
--

CREATE FUNCTION engine.month(ts timestamp with time zone) RETURNS timestamp with time zone
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN (date_trunc('month'::text, (ts AT TIME ZONE 'UTC'::text)) AT TIME ZONE 'UTC'::text);


--
-- Name: rebuild_aggregates(); Type: FUNCTION; Schema: engine; Owner: -
--

CREATE FUNCTION engine.rebuild_aggregates() RETURNS void
    LANGUAGE plpgsql
    AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('omnireports_fold_changes'));
    LOCK TABLE conversations IN SHARE MODE;
    DELETE FROM conversation_changes;
    PERFORM engine.refill_aggregates();
    PERFORM engine.refill_units();
END
$$;


--
-- Name: refill_aggregates(); Type: FUNCTION; Schema: engine; Owner: -
--

CREATE FUNCTION engine.refill_aggregates() RETURNS void
    LANGUAGE plpgsql
    SET work_mem TO '256MB'
    SET jit TO 'off'
    AS $$
DECLARE
    tables text[] := ARRAY['agg_department', 'agg_source', 'agg_source_scoped', 'agg_status', 'agg_status_scoped', 'agg_tag', 'agg_tag_scoped', 'agg_agent', 'agg_agent_scoped'];
    t text;
    grant_row record;
BEGIN
    FOREACH t IN ARRAY tables LOOP
        EXECUTE format('CREATE TABLE %I (LIKE %I)', t || '_fresh', t);
    END LOOP;
    WITH l5 AS (SELECT date_bin('15 minutes', c.ts, 'epoch') AS bucket, c.department_id AS department_id, c.department_ancestors AS department_ancestors, engine.total(c.sign) AS n FROM (SELECT *, 1::bigint AS sign FROM conversations) AS c GROUP BY 1, 2, 3), l0 AS (SELECT date_bin('1 hour', bucket, 'epoch') AS bucket, department_id, department_ancestors, engine.total(n) AS n FROM l5 GROUP BY 1, 2, 3), l3 AS (SELECT date_bin('6 hours', bucket, 'epoch') AS bucket, department_id, department_ancestors, engine.total(n) AS n FROM l0 GROUP BY 1, 2, 3), l1 AS (SELECT date_bin('1 day', bucket, 'epoch') AS bucket, department_id, department_ancestors, engine.total(n) AS n FROM l3 GROUP BY 1, 2, 3), l4 AS (SELECT engine.week(bucket) AS bucket, department_id, department_ancestors, engine.total(n) AS n FROM l1 GROUP BY 1, 2, 3), l2 AS (SELECT engine.month(bucket) AS bucket, department_id, department_ancestors, engine.total(n) AS n FROM l4 GROUP BY 1, 2, 3) INSERT INTO agg_department_fresh AS a SELECT 5::smallint, * FROM l5 UNION ALL SELECT 0::smallint, * FROM l0 UNION ALL SELECT 3::smallint, * FROM l3 UNION ALL SELECT 1::smallint, * FROM l1 UNION ALL SELECT 4::smallint, * FROM l4 UNION ALL SELECT 2::smallint, * FROM l2;
    WITH l5 AS (SELECT date_bin('15 minutes', c.ts, 'epoch') AS bucket, c.source_type AS source_type, c.source_alias AS source_alias, engine.total(c.sign) AS n FROM (SELECT *, 1::bigint AS sign FROM conversations) AS c GROUP BY 1, 2, 3), l0 AS (SELECT date_bin('1 hour', bucket, 'epoch') AS bucket, source_type, source_alias, engine.total(n) AS n FROM l5 GROUP BY 1, 2, 3), l3 AS (SELECT date_bin('6 hours', bucket, 'epoch') AS bucket, source_type, source_alias, engine.total(n) AS n FROM l0 GROUP BY 1, 2, 3), l1 AS (SELECT date_bin('1 day', bucket, 'epoch') AS bucket, source_type, source_alias, engine.total(n) AS n FROM l3 GROUP BY 1, 2, 3), l4 AS (SELECT engine.week(bucket) AS bucket, source_type, source_alias, engine.total(n) AS n FROM l1 GROUP BY 1, 2, 3), l2 AS (SELECT engine.month(bucket) AS bucket, source_type, source_alias, engine.total(n) AS n FROM l4 GROUP BY 1, 2, 3) INSERT INTO agg_source_fresh AS a SELECT 5::smallint, * FROM l5 UNION ALL SELECT 0::smallint, * FROM l0 UNION ALL SELECT 3::smallint, * FROM l3 UNION ALL SELECT 1::smallint, * FROM l1 UNION ALL SELECT 4::smallint, * FROM l4 UNION ALL SELECT 2::smallint, * FROM l2;
    WITH l0 AS (SELECT date_bin('1 hour', c.ts, 'epoch') AS bucket, c.department_id AS department_id, c.department_ancestors AS department_ancestors, c.source_type AS source_type, c.source_alias AS source_alias, engine.total(c.sign) AS n FROM (SELECT *, 1::bigint AS sign FROM conversations) AS c GROUP BY 1, 2, 3, 4, 5), l3 AS (SELECT date_bin('6 hours', bucket, 'epoch') AS bucket, department_id, department_ancestors, source_type, source_alias, engine.total(n) AS n FROM l0 GROUP BY 1, 2, 3, 4, 5), l1 AS (SELECT date_bin('1 day', bucket, 'epoch') AS bucket, department_id, department_ancestors, source_type, source_alias, engine.total(n) AS n FROM l3 GROUP BY 1, 2, 3, 4, 5), l4 AS (SELECT engine.week(bucket) AS bucket, department_id, department_ancestors, source_type, source_alias, engine.total(n) AS n FROM l1 GROUP BY 1, 2, 3, 4, 5), l2 AS (SELECT engine.month(bucket) AS bucket, department_id, department_ancestors, source_type, source_alias, engine.total(n) AS n FROM l4 GROUP BY 1, 2, 3, 4, 5) INSERT INTO agg_source_scoped_fresh AS a SELECT 0::smallint, * FROM l0 UNION ALL SELECT 3::smallint, * FROM l3 UNION ALL SELECT 1::smallint, * FROM l1 UNION ALL SELECT 4::smallint, * FROM l4 UNION ALL SELECT 2::smallint, * FROM l2;
    WITH l5 AS (SELECT date_bin('15 minutes', c.ts, 'epoch') AS bucket, c.open AS open, c.on_hold AS on_hold, c.served_by_id IS NOT NULL AS served, coalesce(c.chat_duration <> 0, false) AS closed, engine.total(c.sign) AS n FROM (SELECT *, 1::bigint AS sign FROM conversations) AS c GROUP BY 1, 2, 3, 4, 5), l0 AS (SELECT date_bin('1 hour', bucket, 'epoch') AS bucket, open, on_hold, served, closed, engine.total(n) AS n FROM l5 GROUP BY 1, 2, 3, 4, 5), l3 AS (SELECT date_bin('6 hours', bucket, 'epoch') AS bucket, open, on_hold, served, closed, engine.total(n) AS n FROM l0 GROUP BY 1, 2, 3, 4, 5), l1 AS (SELECT date_bin('1 day', bucket, 'epoch') AS bucket, open, on_hold, served, closed, engine.total(n) AS n FROM l3 GROUP BY 1, 2, 3, 4, 5), l4 AS (SELECT engine.week(bucket) AS bucket, open, on_hold, served, closed, engine.total(n) AS n FROM l1 GROUP BY 1, 2, 3, 4, 5), l2 AS (SELECT engine.month(bucket) AS bucket, open, on_hold, served, closed, engine.total(n) AS n FROM l4 GROUP BY 1, 2, 3, 4, 5) INSERT INTO agg_status_fresh AS a SELECT 5::smallint, * FROM l5 UNION ALL SELECT 0::smallint, * FROM l0 UNION ALL SELECT 3::smallint, * FROM l3 UNION ALL SELECT 1::smallint, * FROM l1 UNION ALL SELECT 4::smallint, * FROM l4 UNION ALL SELECT 2::smallint, * FROM l2;
    WITH l0 AS (SELECT date_bin('1 hour', c.ts, 'epoch') AS bucket, c.department_id AS department_id, c.department_ancestors AS department_ancestors, c.open AS open, c.on_hold AS on_hold, c.served_by_id IS NOT NULL AS served, coalesce(c.chat_duration <> 0, false) AS closed, engine.total(c.sign) AS n FROM (SELECT *, 1::bigint AS sign FROM conversations) AS c GROUP BY 1, 2, 3, 4, 5, 6, 7), l3 AS (SELECT date_bin('6 hours', bucket, 'epoch') AS bucket, department_id, department_ancestors, open, on_hold, served, closed, engine.total(n) AS n FROM l0 GROUP BY 1, 2, 3, 4, 5, 6, 7), l1 AS (SELECT date_bin('1 day', bucket, 'epoch') AS bucket, department_id, department_ancestors, open, on_hold, served, closed, engine.total(n) AS n FROM l3 GROUP BY 1, 2, 3, 4, 5, 6, 7), l4 AS (SELECT engine.week(bucket) AS bucket, department_id, department_ancestors, open, on_hold, served, closed, engine.total(n) AS n FROM l1 GROUP BY 1, 2, 3, 4, 5, 6, 7), l2 AS (SELECT engine.month(bucket) AS bucket, department_id, department_ancestors, open, on_hold, served, closed, engine.total(n) AS n FROM l4 GROUP BY 1, 2, 3, 4, 5, 6, 7) INSERT INTO agg_status_scoped_fresh AS a SELECT 0::smallint, * FROM l0 UNION ALL SELECT 3::smallint, * FROM l3 UNION ALL SELECT 1::smallint, * FROM l1 UNION ALL SELECT 4::smallint, * FROM l4 UNION ALL SELECT 2::smallint, * FROM l2;
    WITH l5 AS (SELECT date_bin('15 minutes', c.ts, 'epoch') AS bucket, t.tag AS tag, engine.total(c.sign) AS n FROM (SELECT *, 1::bigint AS sign FROM conversations) AS c LEFT JOIN LATERAL unnest(c.tags) AS t(tag) ON true GROUP BY 1, 2), l0 AS (SELECT date_bin('1 hour', bucket, 'epoch') AS bucket, tag, engine.total(n) AS n FROM l5 GROUP BY 1, 2), l3 AS (SELECT date_bin('6 hours', bucket, 'epoch') AS bucket, tag, engine.total(n) AS n FROM l0 GROUP BY 1, 2), l1 AS (SELECT date_bin('1 day', bucket, 'epoch') AS bucket, tag, engine.total(n) AS n FROM l3 GROUP BY 1, 2), l4 AS (SELECT engine.week(bucket) AS bucket, tag, engine.total(n) AS n FROM l1 GROUP BY 1, 2), l2 AS (SELECT engine.month(bucket) AS bucket, tag, engine.total(n) AS n FROM l4 GROUP BY 1, 2) INSERT INTO agg_tag_fresh AS a SELECT 5::smallint, * FROM l5 UNION ALL SELECT 0::smallint, * FROM l0 UNION ALL SELECT 3::smallint, * FROM l3 UNION ALL SELECT 1::smallint, * FROM l1 UNION ALL SELECT 4::smallint, * FROM l4 UNION ALL SELECT 2::smallint, * FROM l2;
    WITH l0 AS (SELECT date_bin('1 hour', c.ts, 'epoch') AS bucket, c.department_id AS department_id, c.department_ancestors AS department_ancestors, t.tag AS tag, engine.total(c.sign) AS n FROM (SELECT *, 1::bigint AS sign FROM conversations) AS c LEFT JOIN LATERAL unnest(c.tags) AS t(tag) ON true GROUP BY 1, 2, 3, 4), l3 AS (SELECT date_bin('6 hours', bucket, 'epoch') AS bucket, department_id, department_ancestors, tag, engine.total(n) AS n FROM l0 GROUP BY 1, 2, 3, 4), l1 AS (SELECT date_bin('1 day', bucket, 'epoch') AS bucket, department_id, department_ancestors, tag, engine.total(n) AS n FROM l3 GROUP BY 1, 2, 3, 4), l4 AS (SELECT engine.week(bucket) AS bucket, department_id, department_ancestors, tag, engine.total(n) AS n FROM l1 GROUP BY 1, 2, 3, 4), l2 AS (SELECT engine.month(bucket) AS bucket, department_id, department_ancestors, tag, engine.total(n) AS n FROM l4 GROUP BY 1, 2, 3, 4) INSERT INTO agg_tag_scoped_fresh AS a SELECT 0::smallint, * FROM l0 UNION ALL SELECT 3::smallint, * FROM l3 UNION ALL SELECT 1::smallint, * FROM l1 UNION ALL SELECT 4::smallint, * FROM l4 UNION ALL SELECT 2::smallint, * FROM l2;
    WITH l5 AS (SELECT date_bin('15 minutes', c.ts, 'epoch') AS bucket, c.served_by_id AS served_by_id, engine.total(c.sign) AS n FROM (SELECT *, 1::bigint AS sign FROM conversations) AS c GROUP BY 1, 2), l0 AS (SELECT date_bin('1 hour', bucket, 'epoch') AS bucket, served_by_id, engine.total(n) AS n FROM l5 GROUP BY 1, 2), l3 AS (SELECT date_bin('6 hours', bucket, 'epoch') AS bucket, served_by_id, engine.total(n) AS n FROM l0 GROUP BY 1, 2), l1 AS (SELECT date_bin('1 day', bucket, 'epoch') AS bucket, served_by_id, engine.total(n) AS n FROM l3 GROUP BY 1, 2), l4 AS (SELECT engine.week(bucket) AS bucket, served_by_id, engine.total(n) AS n FROM l1 GROUP BY 1, 2), l2 AS (SELECT engine.month(bucket) AS bucket, served_by_id, engine.total(n) AS n FROM l4 GROUP BY 1, 2) INSERT INTO agg_agent_fresh AS a SELECT 5::smallint, * FROM l5 UNION ALL SELECT 0::smallint, * FROM l0 UNION ALL SELECT 3::smallint, * FROM l3 UNION ALL SELECT 1::smallint, * FROM l1 UNION ALL SELECT 4::smallint, * FROM l4 UNION ALL SELECT 2::smallint, * FROM l2;
    WITH l0 AS (SELECT date_bin('1 hour', c.ts, 'epoch') AS bucket, c.department_id AS department_id, c.department_ancestors AS department_ancestors, c.served_by_id AS served_by_id, engine.total(c.sign) AS n FROM (SELECT *, 1::bigint AS sign FROM conversations) AS c GROUP BY 1, 2, 3, 4), l3 AS (SELECT date_bin('6 hours', bucket, 'epoch') AS bucket, department_id, department_ancestors, served_by_id, engine.total(n) AS n FROM l0 GROUP BY 1, 2, 3, 4), l1 AS (SELECT date_bin('1 day', bucket, 'epoch') AS bucket, department_id, department_ancestors, served_by_id, engine.total(n) AS n FROM l3 GROUP BY 1, 2, 3, 4), l4 AS (SELECT engine.week(bucket) AS bucket, department_id, department_ancestors, served_by_id, engine.total(n) AS n FROM l1 GROUP BY 1, 2, 3, 4), l2 AS (SELECT engine.month(bucket) AS bucket, department_id, department_ancestors, served_by_id, engine.total(n) AS n FROM l4 GROUP BY 1, 2, 3, 4) INSERT INTO agg_agent_scoped_fresh AS a SELECT 0::smallint, * FROM l0 UNION ALL SELECT 3::smallint, * FROM l3 UNION ALL SELECT 1::smallint, * FROM l1 UNION ALL SELECT 4::smallint, * FROM l4 UNION ALL SELECT 2::smallint, * FROM l2;
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
        -- The comment records the table's levels (install).
        EXECUTE format('COMMENT ON TABLE %I IS %L', t || '_fresh',
                       obj_description(t::regclass, 'pg_class'));
        EXECUTE format('DROP TABLE %I', t);
        EXECUTE format('ALTER TABLE %I RENAME TO %I', t || '_fresh', t);
        EXECUTE format('ALTER TABLE %I RENAME CONSTRAINT %I TO %I', t, t || '_fresh_key', t || '_key');
    END LOOP;
    TRUNCATE agg_department_keys, agg_department_packed RESTART IDENTITY;
    INSERT INTO agg_department_keys (key, department_id, department_ancestors) SELECT DISTINCT ROW(a.department_id, a.department_ancestors)::text, a.department_id, a.department_ancestors FROM agg_department a WHERE a.level = 2 AND NOT EXISTS (SELECT FROM agg_department_keys k WHERE k.key = ROW(a.department_id, a.department_ancestors)::text);
    INSERT INTO agg_department_packed (level, bucket, counts) SELECT a.level, a.bucket, string_agg(int4send(k.id) || int8send(a.n), ''::bytea) FROM agg_department a JOIN agg_department_keys k ON k.key = ROW(a.department_id, a.department_ancestors)::text WHERE a.n <> 0 GROUP BY a.level, a.bucket;
    ANALYZE agg_department_keys;
    ANALYZE agg_department_packed;
    TRUNCATE agg_source_keys, agg_source_packed RESTART IDENTITY;
    INSERT INTO agg_source_keys (key, source_type, source_alias) SELECT DISTINCT ROW(a.source_type, a.source_alias)::text, a.source_type, a.source_alias FROM agg_source a WHERE a.level = 2 AND NOT EXISTS (SELECT FROM agg_source_keys k WHERE k.key = ROW(a.source_type, a.source_alias)::text);
    INSERT INTO agg_source_packed (level, bucket, counts) SELECT a.level, a.bucket, string_agg(int4send(k.id) || int8send(a.n), ''::bytea) FROM agg_source a JOIN agg_source_keys k ON k.key = ROW(a.source_type, a.source_alias)::text WHERE a.n <> 0 GROUP BY a.level, a.bucket;
    ANALYZE agg_source_keys;
    ANALYZE agg_source_packed;
    TRUNCATE agg_status_keys, agg_status_packed RESTART IDENTITY;
    INSERT INTO agg_status_keys (key, open, on_hold, served, closed) SELECT DISTINCT ROW(a.open, a.on_hold, a.served, a.closed)::text, a.open, a.on_hold, a.served, a.closed FROM agg_status a WHERE a.level = 2 AND NOT EXISTS (SELECT FROM agg_status_keys k WHERE k.key = ROW(a.open, a.on_hold, a.served, a.closed)::text);
    INSERT INTO agg_status_packed (level, bucket, counts) SELECT a.level, a.bucket, string_agg(int4send(k.id) || int8send(a.n), ''::bytea) FROM agg_status a JOIN agg_status_keys k ON k.key = ROW(a.open, a.on_hold, a.served, a.closed)::text WHERE a.n <> 0 GROUP BY a.level, a.bucket;
    ANALYZE agg_status_keys;
    ANALYZE agg_status_packed;
    TRUNCATE agg_tag_keys, agg_tag_packed RESTART IDENTITY;
    INSERT INTO agg_tag_keys (key, tag) SELECT DISTINCT ROW(a.tag)::text, a.tag FROM agg_tag a WHERE a.level = 2 AND NOT EXISTS (SELECT FROM agg_tag_keys k WHERE k.key = ROW(a.tag)::text);
    INSERT INTO agg_tag_packed (level, bucket, counts) SELECT a.level, a.bucket, string_agg(int4send(k.id) || int8send(a.n), ''::bytea) FROM agg_tag a JOIN agg_tag_keys k ON k.key = ROW(a.tag)::text WHERE a.n <> 0 GROUP BY a.level, a.bucket;
    ANALYZE agg_tag_keys;
    ANALYZE agg_tag_packed;
    TRUNCATE agg_agent_keys, agg_agent_packed RESTART IDENTITY;
    INSERT INTO agg_agent_keys (key, served_by_id) SELECT DISTINCT ROW(a.served_by_id)::text, a.served_by_id FROM agg_agent a WHERE a.level = 2 AND NOT EXISTS (SELECT FROM agg_agent_keys k WHERE k.key = ROW(a.served_by_id)::text);
    INSERT INTO agg_agent_packed (level, bucket, counts) SELECT a.level, a.bucket, string_agg(int4send(k.id) || int8send(a.n), ''::bytea) FROM agg_agent a JOIN agg_agent_keys k ON k.key = ROW(a.served_by_id)::text WHERE a.n <> 0 GROUP BY a.level, a.bucket;
    ANALYZE agg_agent_keys;
    ANALYZE agg_agent_packed;
END
$$;


--
-- Name: refill_units(); Type: FUNCTION; Schema: engine; Owner: -
--

CREATE FUNCTION engine.refill_units() RETURNS void
    LANGUAGE plpgsql
    SET work_mem TO '256MB'
    SET jit TO 'off'
    AS $$
BEGIN
    TRUNCATE agg_source_unit, agg_status_unit, agg_tag_unit, agg_agent_unit;
    CREATE TEMP TABLE omnireports_scope_units ON COMMIT DROP AS
        SELECT s.department_id, s.department_ancestors, u.unit
        FROM (SELECT DISTINCT department_id, department_ancestors FROM agg_department
               WHERE level = 2) AS s
        CROSS JOIN LATERAL unnest(engine.units(s.department_id, s.department_ancestors)) AS u(unit);
    ANALYZE omnireports_scope_units;
    INSERT INTO agg_source_unit (level, bucket, unit, source_type, source_alias, n)
        SELECT level, bucket, unit, source_type, source_alias, engine.total(n) FROM (
            SELECT s.level, s.bucket, u.unit, source_type, source_alias, s.n FROM agg_source_scoped AS s
            JOIN omnireports_scope_units AS u ON u.department_id = s.department_id
             AND u.department_ancestors = s.department_ancestors
            UNION ALL
            SELECT s.level, s.bucket, u.unit, source_type, source_alias, s.n FROM agg_source_scoped AS s
            CROSS JOIN LATERAL (SELECT DISTINCT unnest(s.department_ancestors)) AS u(unit)
            WHERE s.department_id IS NULL
        ) AS x GROUP BY level, bucket, unit, source_type, source_alias HAVING engine.total(n) <> 0;
    INSERT INTO agg_status_unit (level, bucket, unit, open, on_hold, served, closed, n)
        SELECT level, bucket, unit, open, on_hold, served, closed, engine.total(n) FROM (
            SELECT s.level, s.bucket, u.unit, open, on_hold, served, closed, s.n FROM agg_status_scoped AS s
            JOIN omnireports_scope_units AS u ON u.department_id = s.department_id
             AND u.department_ancestors = s.department_ancestors
            UNION ALL
            SELECT s.level, s.bucket, u.unit, open, on_hold, served, closed, s.n FROM agg_status_scoped AS s
            CROSS JOIN LATERAL (SELECT DISTINCT unnest(s.department_ancestors)) AS u(unit)
            WHERE s.department_id IS NULL
        ) AS x GROUP BY level, bucket, unit, open, on_hold, served, closed HAVING engine.total(n) <> 0;
    INSERT INTO agg_tag_unit (level, bucket, unit, tag, n)
        SELECT level, bucket, unit, tag, engine.total(n) FROM (
            SELECT s.level, s.bucket, u.unit, tag, s.n FROM agg_tag_scoped AS s
            JOIN omnireports_scope_units AS u ON u.department_id = s.department_id
             AND u.department_ancestors = s.department_ancestors
            UNION ALL
            SELECT s.level, s.bucket, u.unit, tag, s.n FROM agg_tag_scoped AS s
            CROSS JOIN LATERAL (SELECT DISTINCT unnest(s.department_ancestors)) AS u(unit)
            WHERE s.department_id IS NULL
        ) AS x GROUP BY level, bucket, unit, tag HAVING engine.total(n) <> 0;
    INSERT INTO agg_agent_unit (level, bucket, unit, served_by_id, n)
        SELECT level, bucket, unit, served_by_id, engine.total(n) FROM (
            SELECT s.level, s.bucket, u.unit, served_by_id, s.n FROM agg_agent_scoped AS s
            JOIN omnireports_scope_units AS u ON u.department_id = s.department_id
             AND u.department_ancestors = s.department_ancestors
            UNION ALL
            SELECT s.level, s.bucket, u.unit, served_by_id, s.n FROM agg_agent_scoped AS s
            CROSS JOIN LATERAL (SELECT DISTINCT unnest(s.department_ancestors)) AS u(unit)
            WHERE s.department_id IS NULL
        ) AS x GROUP BY level, bucket, unit, served_by_id HAVING engine.total(n) <> 0;
    DROP TABLE omnireports_scope_units;
END
$$;


--
-- Name: revoke_tokens_of_deactivated(); Type: FUNCTION; Schema: engine; Owner: -
--

CREATE FUNCTION engine.revoke_tokens_of_deactivated() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    DELETE FROM user_tokens WHERE user_id = NEW.id;
    RETURN NULL;
END
$$;


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: departments; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.departments (
    id text NOT NULL,
    name text NOT NULL,
    enabled boolean DEFAULT true NOT NULL,
    type text DEFAULT 'd'::text NOT NULL,
    ancestors text[] DEFAULT '{}'::text[] NOT NULL
);


--
-- Name: units(text, text[]); Type: FUNCTION; Schema: engine; Owner: -
--

CREATE FUNCTION engine.units(department text, ancestors text[]) RETURNS text[]
    LANGUAGE sql STABLE PARALLEL SAFE
    RETURN ARRAY(SELECT DISTINCT u.u FROM unnest((units.ancestors || COALESCE((SELECT d.ancestors FROM public.departments d WHERE (d.id = units.department)), '{}'::text[]))) u(u));


--
-- Name: week(timestamp with time zone); Type: FUNCTION; Schema: engine; Owner: -
--

CREATE FUNCTION engine.week(day timestamp with time zone) RETURNS timestamp with time zone
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    RETURN ((date_trunc('month'::text, (day AT TIME ZONE 'UTC'::text)) + make_interval(days => LEAST(((((EXTRACT(day FROM (day AT TIME ZONE 'UTC'::text)))::integer - 1) / 7) * 7), 28))) AT TIME ZONE 'UTC'::text);


--
-- Name: user_email_keys(jsonb); Type: FUNCTION; Schema: public; Owner: -
--

CREATE FUNCTION public.user_email_keys(emails jsonb) RETURNS text[]
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
    SELECT coalesce(array_agg(lower(e ->> 'address')) FILTER (WHERE e ->> 'address' IS NOT NULL), '{}')
    FROM jsonb_array_elements(emails) AS e
$$;


--
-- Name: total(bigint); Type: AGGREGATE; Schema: engine; Owner: -
--

CREATE AGGREGATE engine.total(bigint) (
    SFUNC = int8pl,
    STYPE = bigint,
    INITCOND = '0',
    COMBINEFUNC = int8pl,
    PARALLEL = safe
);


--
-- Name: __diesel_schema_migrations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.__diesel_schema_migrations (
    version character varying(50) NOT NULL,
    run_on timestamp without time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);


--
-- Name: agg_agent; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agg_agent (
    level smallint NOT NULL,
    bucket timestamp with time zone NOT NULL,
    served_by_id text,
    n bigint NOT NULL
);


--
-- Name: TABLE agg_agent; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.agg_agent IS 'omnireports levels 5,0,3,1,4,2';


--
-- Name: agg_agent_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agg_agent_keys (
    id integer NOT NULL,
    key text NOT NULL,
    served_by_id text
);


--
-- Name: agg_agent_keys_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.agg_agent_keys ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.agg_agent_keys_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: agg_agent_packed; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agg_agent_packed (
    level smallint NOT NULL,
    bucket timestamp with time zone NOT NULL,
    counts bytea NOT NULL
);


--
-- Name: agg_agent_scoped; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agg_agent_scoped (
    level smallint NOT NULL,
    bucket timestamp with time zone NOT NULL,
    department_id text,
    department_ancestors text[] NOT NULL,
    served_by_id text,
    n bigint NOT NULL
);


--
-- Name: TABLE agg_agent_scoped; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.agg_agent_scoped IS 'omnireports levels 0,3,1,4,2';


--
-- Name: agg_agent_unit; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agg_agent_unit (
    level smallint NOT NULL,
    bucket timestamp with time zone NOT NULL,
    unit text NOT NULL,
    served_by_id text,
    n bigint NOT NULL
);


--
-- Name: TABLE agg_agent_unit; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.agg_agent_unit IS 'omnireports levels 0,3,1,4,2';


--
-- Name: agg_department; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agg_department (
    level smallint NOT NULL,
    bucket timestamp with time zone NOT NULL,
    department_id text,
    department_ancestors text[] NOT NULL,
    n bigint NOT NULL
);


--
-- Name: TABLE agg_department; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.agg_department IS 'omnireports levels 5,0,3,1,4,2';


--
-- Name: agg_department_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agg_department_keys (
    id integer NOT NULL,
    key text NOT NULL,
    department_id text,
    department_ancestors text[] NOT NULL
);


--
-- Name: agg_department_keys_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.agg_department_keys ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.agg_department_keys_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: agg_department_packed; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agg_department_packed (
    level smallint NOT NULL,
    bucket timestamp with time zone NOT NULL,
    counts bytea NOT NULL
);


--
-- Name: agg_source; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agg_source (
    level smallint NOT NULL,
    bucket timestamp with time zone NOT NULL,
    source_type text,
    source_alias text,
    n bigint NOT NULL
);


--
-- Name: TABLE agg_source; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.agg_source IS 'omnireports levels 5,0,3,1,4,2';


--
-- Name: agg_source_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agg_source_keys (
    id integer NOT NULL,
    key text NOT NULL,
    source_type text,
    source_alias text
);


--
-- Name: agg_source_keys_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.agg_source_keys ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.agg_source_keys_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: agg_source_packed; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agg_source_packed (
    level smallint NOT NULL,
    bucket timestamp with time zone NOT NULL,
    counts bytea NOT NULL
);


--
-- Name: agg_source_scoped; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agg_source_scoped (
    level smallint NOT NULL,
    bucket timestamp with time zone NOT NULL,
    department_id text,
    department_ancestors text[] NOT NULL,
    source_type text,
    source_alias text,
    n bigint NOT NULL
);


--
-- Name: TABLE agg_source_scoped; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.agg_source_scoped IS 'omnireports levels 0,3,1,4,2';


--
-- Name: agg_source_unit; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agg_source_unit (
    level smallint NOT NULL,
    bucket timestamp with time zone NOT NULL,
    unit text NOT NULL,
    source_type text,
    source_alias text,
    n bigint NOT NULL
);


--
-- Name: TABLE agg_source_unit; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.agg_source_unit IS 'omnireports levels 0,3,1,4,2';


--
-- Name: agg_status; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agg_status (
    level smallint NOT NULL,
    bucket timestamp with time zone NOT NULL,
    open boolean NOT NULL,
    on_hold boolean NOT NULL,
    served boolean NOT NULL,
    closed boolean NOT NULL,
    n bigint NOT NULL
);


--
-- Name: TABLE agg_status; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.agg_status IS 'omnireports levels 5,0,3,1,4,2';


--
-- Name: agg_status_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agg_status_keys (
    id integer NOT NULL,
    key text NOT NULL,
    open boolean NOT NULL,
    on_hold boolean NOT NULL,
    served boolean NOT NULL,
    closed boolean NOT NULL
);


--
-- Name: agg_status_keys_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.agg_status_keys ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.agg_status_keys_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: agg_status_packed; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agg_status_packed (
    level smallint NOT NULL,
    bucket timestamp with time zone NOT NULL,
    counts bytea NOT NULL
);


--
-- Name: agg_status_scoped; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agg_status_scoped (
    level smallint NOT NULL,
    bucket timestamp with time zone NOT NULL,
    department_id text,
    department_ancestors text[] NOT NULL,
    open boolean NOT NULL,
    on_hold boolean NOT NULL,
    served boolean NOT NULL,
    closed boolean NOT NULL,
    n bigint NOT NULL
);


--
-- Name: TABLE agg_status_scoped; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.agg_status_scoped IS 'omnireports levels 0,3,1,4,2';


--
-- Name: agg_status_unit; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agg_status_unit (
    level smallint NOT NULL,
    bucket timestamp with time zone NOT NULL,
    unit text NOT NULL,
    open boolean NOT NULL,
    on_hold boolean NOT NULL,
    served boolean NOT NULL,
    closed boolean NOT NULL,
    n bigint NOT NULL
);


--
-- Name: TABLE agg_status_unit; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.agg_status_unit IS 'omnireports levels 0,3,1,4,2';


--
-- Name: agg_tag; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agg_tag (
    level smallint NOT NULL,
    bucket timestamp with time zone NOT NULL,
    tag text,
    n bigint NOT NULL
);


--
-- Name: TABLE agg_tag; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.agg_tag IS 'omnireports levels 5,0,3,1,4,2';


--
-- Name: agg_tag_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agg_tag_keys (
    id integer NOT NULL,
    key text NOT NULL,
    tag text
);


--
-- Name: agg_tag_keys_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

ALTER TABLE public.agg_tag_keys ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME public.agg_tag_keys_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: agg_tag_packed; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agg_tag_packed (
    level smallint NOT NULL,
    bucket timestamp with time zone NOT NULL,
    counts bytea NOT NULL
);


--
-- Name: agg_tag_scoped; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agg_tag_scoped (
    level smallint NOT NULL,
    bucket timestamp with time zone NOT NULL,
    department_id text,
    department_ancestors text[] NOT NULL,
    tag text,
    n bigint NOT NULL
);


--
-- Name: TABLE agg_tag_scoped; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.agg_tag_scoped IS 'omnireports levels 0,3,1,4,2';


--
-- Name: agg_tag_unit; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.agg_tag_unit (
    level smallint NOT NULL,
    bucket timestamp with time zone NOT NULL,
    unit text NOT NULL,
    tag text,
    n bigint NOT NULL
);


--
-- Name: TABLE agg_tag_unit; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.agg_tag_unit IS 'omnireports levels 0,3,1,4,2';


--
-- Name: conversation_changes; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.conversation_changes (
    sign smallint,
    ts timestamp with time zone,
    department_id text,
    department_ancestors text[],
    source_type text,
    source_alias text,
    open boolean,
    on_hold boolean,
    served_by_id text,
    chat_duration double precision,
    tags text[]
)
WITH (autovacuum_vacuum_scale_factor='0', autovacuum_vacuum_threshold='1000', autovacuum_vacuum_insert_scale_factor='0', autovacuum_vacuum_insert_threshold='10000', vacuum_truncate='false');


--
-- Name: conversations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.conversations (
    id text NOT NULL,
    ts timestamp with time zone NOT NULL,
    department_id text,
    department_ancestors text[] DEFAULT '{}'::text[] NOT NULL,
    source_type text,
    source_alias text,
    open boolean DEFAULT false NOT NULL,
    on_hold boolean DEFAULT false NOT NULL,
    served_by_id text,
    served_by_username text,
    tags text[] DEFAULT '{}'::text[] NOT NULL,
    chat_duration double precision,
    closed_at timestamp with time zone
);


--
-- Name: data_version; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.data_version (
    singleton boolean DEFAULT true NOT NULL,
    version bigint DEFAULT 0 NOT NULL,
    CONSTRAINT data_version_singleton_check CHECK (singleton)
);


--
-- Name: import_run_collections; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.import_run_collections (
    run_id bigint NOT NULL,
    collection text NOT NULL,
    read bigint NOT NULL,
    inserted bigint NOT NULL,
    updated bigint NOT NULL,
    unchanged bigint NOT NULL,
    ignored bigint NOT NULL,
    skipped bigint NOT NULL,
    deleted bigint DEFAULT 0 NOT NULL,
    watermark timestamp with time zone
);


--
-- Name: import_runs; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.import_runs (
    id bigint NOT NULL,
    finished_at timestamp with time zone DEFAULT now() NOT NULL
);


--
-- Name: import_runs_id_seq; Type: SEQUENCE; Schema: public; Owner: -
--

CREATE SEQUENCE public.import_runs_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: import_runs_id_seq; Type: SEQUENCE OWNED BY; Schema: public; Owner: -
--

ALTER SEQUENCE public.import_runs_id_seq OWNED BY public.import_runs.id;


--
-- Name: permissions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.permissions (
    id text NOT NULL,
    roles text[] DEFAULT '{}'::text[] NOT NULL
);


--
-- Name: roles; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.roles (
    id text NOT NULL,
    name text NOT NULL,
    description text DEFAULT ''::text NOT NULL,
    scope text DEFAULT 'Users'::text NOT NULL
);


--
-- Name: unit_monitors; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.unit_monitors (
    id text NOT NULL,
    monitor_id text NOT NULL,
    unit_id text NOT NULL,
    username text
);


--
-- Name: user_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.user_tokens (
    user_id text NOT NULL,
    hashed_token text NOT NULL,
    kind text DEFAULT 'login'::text NOT NULL,
    name text,
    issued_at timestamp with time zone DEFAULT now() NOT NULL,
    issuer text DEFAULT 'rocketchat'::text NOT NULL,
    CONSTRAINT user_tokens_issuer_check CHECK ((issuer = ANY (ARRAY['rocketchat'::text, 'omnireports'::text]))),
    CONSTRAINT user_tokens_kind_check CHECK ((kind = ANY (ARRAY['login'::text, 'personalAccessToken'::text])))
);


--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    id text NOT NULL,
    username text,
    name text,
    active boolean DEFAULT true NOT NULL,
    roles text[] DEFAULT '{}'::text[] NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    emails jsonb DEFAULT '[]'::jsonb NOT NULL,
    status text DEFAULT 'offline'::text NOT NULL,
    password_bcrypt text,
    totp_secret text,
    email_two_factor boolean DEFAULT false NOT NULL,
    CONSTRAINT users_emails_check CHECK ((jsonb_typeof(emails) = 'array'::text))
);


--
-- Name: import_runs id; Type: DEFAULT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.import_runs ALTER COLUMN id SET DEFAULT nextval('public.import_runs_id_seq'::regclass);


--
-- Name: __diesel_schema_migrations __diesel_schema_migrations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.__diesel_schema_migrations
    ADD CONSTRAINT __diesel_schema_migrations_pkey PRIMARY KEY (version);


--
-- Name: agg_agent agg_agent_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_agent
    ADD CONSTRAINT agg_agent_key UNIQUE NULLS NOT DISTINCT (level, bucket, served_by_id) INCLUDE (n);


--
-- Name: agg_agent_keys agg_agent_keys_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_agent_keys
    ADD CONSTRAINT agg_agent_keys_key_key UNIQUE (key);


--
-- Name: agg_agent_keys agg_agent_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_agent_keys
    ADD CONSTRAINT agg_agent_keys_pkey PRIMARY KEY (id);


--
-- Name: agg_agent_packed agg_agent_packed_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_agent_packed
    ADD CONSTRAINT agg_agent_packed_pkey PRIMARY KEY (level, bucket);


--
-- Name: agg_agent_scoped agg_agent_scoped_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_agent_scoped
    ADD CONSTRAINT agg_agent_scoped_key UNIQUE NULLS NOT DISTINCT (level, department_id, department_ancestors, bucket, served_by_id) INCLUDE (n);


--
-- Name: agg_agent_unit agg_agent_unit_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_agent_unit
    ADD CONSTRAINT agg_agent_unit_key UNIQUE NULLS NOT DISTINCT (level, unit, bucket, served_by_id) INCLUDE (n);


--
-- Name: agg_department agg_department_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_department
    ADD CONSTRAINT agg_department_key UNIQUE NULLS NOT DISTINCT (level, bucket, department_id, department_ancestors) INCLUDE (n);


--
-- Name: agg_department_keys agg_department_keys_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_department_keys
    ADD CONSTRAINT agg_department_keys_key_key UNIQUE (key);


--
-- Name: agg_department_keys agg_department_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_department_keys
    ADD CONSTRAINT agg_department_keys_pkey PRIMARY KEY (id);


--
-- Name: agg_department_packed agg_department_packed_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_department_packed
    ADD CONSTRAINT agg_department_packed_pkey PRIMARY KEY (level, bucket);


--
-- Name: agg_source agg_source_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_source
    ADD CONSTRAINT agg_source_key UNIQUE NULLS NOT DISTINCT (level, bucket, source_type, source_alias) INCLUDE (n);


--
-- Name: agg_source_keys agg_source_keys_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_source_keys
    ADD CONSTRAINT agg_source_keys_key_key UNIQUE (key);


--
-- Name: agg_source_keys agg_source_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_source_keys
    ADD CONSTRAINT agg_source_keys_pkey PRIMARY KEY (id);


--
-- Name: agg_source_packed agg_source_packed_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_source_packed
    ADD CONSTRAINT agg_source_packed_pkey PRIMARY KEY (level, bucket);


--
-- Name: agg_source_scoped agg_source_scoped_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_source_scoped
    ADD CONSTRAINT agg_source_scoped_key UNIQUE NULLS NOT DISTINCT (level, department_id, department_ancestors, bucket, source_type, source_alias) INCLUDE (n);


--
-- Name: agg_source_unit agg_source_unit_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_source_unit
    ADD CONSTRAINT agg_source_unit_key UNIQUE NULLS NOT DISTINCT (level, unit, bucket, source_type, source_alias) INCLUDE (n);


--
-- Name: agg_status agg_status_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_status
    ADD CONSTRAINT agg_status_key UNIQUE NULLS NOT DISTINCT (level, bucket, open, on_hold, served, closed) INCLUDE (n);


--
-- Name: agg_status_keys agg_status_keys_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_status_keys
    ADD CONSTRAINT agg_status_keys_key_key UNIQUE (key);


--
-- Name: agg_status_keys agg_status_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_status_keys
    ADD CONSTRAINT agg_status_keys_pkey PRIMARY KEY (id);


--
-- Name: agg_status_packed agg_status_packed_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_status_packed
    ADD CONSTRAINT agg_status_packed_pkey PRIMARY KEY (level, bucket);


--
-- Name: agg_status_scoped agg_status_scoped_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_status_scoped
    ADD CONSTRAINT agg_status_scoped_key UNIQUE NULLS NOT DISTINCT (level, department_id, department_ancestors, bucket, open, on_hold, served, closed) INCLUDE (n);


--
-- Name: agg_status_unit agg_status_unit_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_status_unit
    ADD CONSTRAINT agg_status_unit_key UNIQUE NULLS NOT DISTINCT (level, unit, bucket, open, on_hold, served, closed) INCLUDE (n);


--
-- Name: agg_tag agg_tag_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_tag
    ADD CONSTRAINT agg_tag_key UNIQUE NULLS NOT DISTINCT (level, bucket, tag) INCLUDE (n);


--
-- Name: agg_tag_keys agg_tag_keys_key_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_tag_keys
    ADD CONSTRAINT agg_tag_keys_key_key UNIQUE (key);


--
-- Name: agg_tag_keys agg_tag_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_tag_keys
    ADD CONSTRAINT agg_tag_keys_pkey PRIMARY KEY (id);


--
-- Name: agg_tag_packed agg_tag_packed_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_tag_packed
    ADD CONSTRAINT agg_tag_packed_pkey PRIMARY KEY (level, bucket);


--
-- Name: agg_tag_scoped agg_tag_scoped_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_tag_scoped
    ADD CONSTRAINT agg_tag_scoped_key UNIQUE NULLS NOT DISTINCT (level, department_id, department_ancestors, bucket, tag) INCLUDE (n);


--
-- Name: agg_tag_unit agg_tag_unit_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.agg_tag_unit
    ADD CONSTRAINT agg_tag_unit_key UNIQUE NULLS NOT DISTINCT (level, unit, bucket, tag) INCLUDE (n);


--
-- Name: conversations conversations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.conversations
    ADD CONSTRAINT conversations_pkey PRIMARY KEY (id);


--
-- Name: data_version data_version_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.data_version
    ADD CONSTRAINT data_version_pkey PRIMARY KEY (singleton);


--
-- Name: departments departments_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.departments
    ADD CONSTRAINT departments_pkey PRIMARY KEY (id);


--
-- Name: import_run_collections import_run_collections_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.import_run_collections
    ADD CONSTRAINT import_run_collections_pkey PRIMARY KEY (run_id, collection);


--
-- Name: import_runs import_runs_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.import_runs
    ADD CONSTRAINT import_runs_pkey PRIMARY KEY (id);


--
-- Name: permissions permissions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.permissions
    ADD CONSTRAINT permissions_pkey PRIMARY KEY (id);


--
-- Name: roles roles_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.roles
    ADD CONSTRAINT roles_pkey PRIMARY KEY (id);


--
-- Name: unit_monitors unit_monitors_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.unit_monitors
    ADD CONSTRAINT unit_monitors_pkey PRIMARY KEY (id);


--
-- Name: user_tokens user_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_tokens
    ADD CONSTRAINT user_tokens_pkey PRIMARY KEY (user_id, hashed_token);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: users users_username_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_username_key UNIQUE (username);


--
-- Name: conversations_department_ts_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX conversations_department_ts_idx ON public.conversations USING btree (department_id, ts);


--
-- Name: conversations_ts_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX conversations_ts_idx ON public.conversations USING btree (ts);


--
-- Name: departments_ancestors_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX departments_ancestors_idx ON public.departments USING gin (ancestors);


--
-- Name: unit_monitors_monitor_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX unit_monitors_monitor_idx ON public.unit_monitors USING btree (monitor_id);


--
-- Name: users_email_keys; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX users_email_keys ON public.users USING gin (public.user_email_keys(emails));


--
-- Name: users_lower_username; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX users_lower_username ON public.users USING btree (lower(username));


--
-- Name: conversations conversations_aggregate_delete; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER conversations_aggregate_delete AFTER DELETE ON public.conversations REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION engine.log_deleted();


--
-- Name: conversations conversations_aggregate_insert; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER conversations_aggregate_insert AFTER INSERT ON public.conversations REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION engine.log_inserted();


--
-- Name: conversations conversations_aggregate_truncate; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER conversations_aggregate_truncate AFTER TRUNCATE ON public.conversations FOR EACH STATEMENT EXECUTE FUNCTION engine.conversations_truncated();


--
-- Name: conversations conversations_aggregate_update; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER conversations_aggregate_update AFTER UPDATE ON public.conversations REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION engine.log_updated();


--
-- Name: conversations conversations_data_version; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER conversations_data_version AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON public.conversations FOR EACH STATEMENT EXECUTE FUNCTION engine.bump_data_version();


--
-- Name: departments departments_data_version; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER departments_data_version AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON public.departments FOR EACH STATEMENT EXECUTE FUNCTION engine.bump_data_version();


--
-- Name: departments departments_unit_aggregates; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER departments_unit_aggregates AFTER INSERT OR DELETE OR UPDATE OF id, ancestors ON public.departments FOR EACH ROW EXECUTE FUNCTION engine.department_moved();


--
-- Name: departments departments_unit_aggregates_truncate; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER departments_unit_aggregates_truncate AFTER TRUNCATE ON public.departments FOR EACH STATEMENT EXECUTE FUNCTION engine.departments_truncated();


--
-- Name: users users_data_version; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER users_data_version AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON public.users FOR EACH STATEMENT EXECUTE FUNCTION engine.bump_data_version();


--
-- Name: users users_deactivated_revoke_tokens; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER users_deactivated_revoke_tokens AFTER UPDATE OF active ON public.users FOR EACH ROW WHEN ((old.active AND (NOT new.active))) EXECUTE FUNCTION engine.revoke_tokens_of_deactivated();


--
-- Name: import_run_collections import_run_collections_run_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.import_run_collections
    ADD CONSTRAINT import_run_collections_run_id_fkey FOREIGN KEY (run_id) REFERENCES public.import_runs(id) ON DELETE CASCADE;


--
-- Name: user_tokens user_tokens_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.user_tokens
    ADD CONSTRAINT user_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--


