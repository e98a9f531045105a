-- Writes log their changes; the aggregates take them in later, in batches.
--
-- Until now every statement on conversations upserted its rows into nine aggregate tables at
-- five levels: about 45 index upserts per row that lands in a new bucket, 10-14 times the cost
-- of the write itself. Now the triggers only append each statement's rows, signed, to
-- conversation_changes, in the writer's transaction: one unindexed heap row per row written.
-- omnireports_fold_changes() moves logged rows into the aggregates (grouped, so many writes to
-- the same buckets cost one upsert) and deletes them in one transaction; the API server calls it
-- every second. A report adds the logged rows of its whole-bucket pieces to the aggregates', in
-- the same snapshot, so answers stay exact whether or not a change has been folded yet.
--
-- Rows whose counted columns an UPDATE leaves alone (closing time, usernames) log nothing.
-- A rebuild (a first import) counts every conversation, so it drops the logged changes.

CREATE TABLE conversation_changes (
    sign                 smallint NOT NULL,
    ts                   timestamptz NOT NULL,
    department_id        text,
    department_ancestors text[] NOT NULL,
    source_type          text,
    source_alias         text,
    open                 boolean NOT NULL,
    on_hold              boolean NOT NULL,
    served_by_id         text,
    tags                 text[] NOT NULL,
    chat_duration        double precision
) WITH (
    -- Rows live for about a second: vacuum the folded ones early, so scans stay short.
    autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 10000
);

DO $do$
DECLARE
    columns text := 'ts, department_id, department_ancestors, source_type, source_alias, open, '
                    'on_hold, served_by_id, tags, chat_duration';
    event record;
BEGIN
    FOR event IN SELECT * FROM (VALUES
        ('inserted', format('SELECT 1, %s FROM new_rows', columns)),
        ('deleted', format('SELECT -1, %s FROM old_rows', columns)),
        ('updated', format('(SELECT 1, %1$s FROM new_rows EXCEPT ALL SELECT 1, %1$s FROM old_rows) '
                           'UNION ALL '
                           '(SELECT -1, %1$s FROM old_rows EXCEPT ALL SELECT -1, %1$s FROM new_rows)',
                           columns))
    ) AS e(name, logged)
    LOOP
        EXECUTE format($f$
CREATE OR REPLACE FUNCTION %I() RETURNS trigger LANGUAGE plpgsql SET jit = off AS $body$
BEGIN
    IF current_setting('omnireports.defer_aggregates', true) IS DISTINCT FROM 'on' THEN
        INSERT INTO conversation_changes (sign, %s) %s;
    END IF;
    RETURN NULL;
END
$body$$f$, 'omnireports_conversations_' || event.name, columns, event.logged);
    END LOOP;
END
$do$;

CREATE OR REPLACE FUNCTION omnireports_conversations_truncated() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    TRUNCATE agg_department, agg_source, agg_source_scoped, agg_status, agg_status_scoped,
             agg_tag, agg_tag_scoped, agg_agent, agg_agent_scoped, conversation_changes;
    RETURN NULL;
END
$fn$;

-- Moves up to `max_rows` logged changes (all with NULL) into the aggregates and returns how
-- many. One folder at a time: it returns 0 at once while another one (or a rebuild) runs.
CREATE FUNCTION omnireports_fold_changes(max_rows integer DEFAULT 100000) RETURNS bigint
    LANGUAGE plpgsql SET work_mem = '256MB' SET jit = off AS $fn$
DECLARE
    folded bigint;
    statement text;
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
    FOR statement IN SELECT omnireports_aggregate_sql('SELECT * FROM omnireports_folding') LOOP
        EXECUTE statement;
    END LOOP;
    DROP TABLE omnireports_folding;
    RETURN folded;
END
$fn$;

-- A rebuild counts every conversation: it waits for a running fold and drops the log.
ALTER FUNCTION omnireports_rebuild_aggregates() RENAME TO omnireports_refill_aggregates;
CREATE FUNCTION omnireports_rebuild_aggregates() RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('omnireports_fold_changes'));
    LOCK TABLE conversations IN SHARE MODE;
    DELETE FROM conversation_changes;
    PERFORM omnireports_refill_aggregates();
END
$fn$;

-- Its SQL body is bound to the function it called, now renamed: bind it to the new one.
CREATE OR REPLACE FUNCTION omnireports_recount() RETURNS void LANGUAGE sql
    RETURN omnireports_rebuild_aggregates();
