-- Back to migration 000006: fold what is logged, then upsert per statement again. Writes wait
-- until this commits, so none logs a change after the last fold.
LOCK TABLE conversations IN SHARE ROW EXCLUSIVE MODE;
SELECT pg_advisory_xact_lock(hashtext('omnireports_fold_changes'));
SELECT omnireports_fold_changes(NULL);

-- Replaced, not dropped and created again, so that its grants stay.
CREATE OR REPLACE FUNCTION omnireports_recount() RETURNS void LANGUAGE sql
    RETURN omnireports_refill_aggregates();
DROP FUNCTION omnireports_rebuild_aggregates();
ALTER FUNCTION omnireports_refill_aggregates() RENAME TO omnireports_rebuild_aggregates;
DROP FUNCTION omnireports_fold_changes(integer);

CREATE OR REPLACE FUNCTION omnireports_conversations_truncated() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    TRUNCATE agg_department, agg_source, agg_source_scoped, agg_status, agg_status_scoped,
             agg_tag, agg_tag_scoped, agg_agent, agg_agent_scoped;
    RETURN NULL;
END
$fn$;

-- The static trigger functions of 000006, generated from the statement function again.
DO $do$
DECLARE
    event record;
    body text;
BEGIN
    FOR event IN SELECT * FROM (VALUES
        ('inserted', 'SELECT *, 1::bigint AS sign FROM new_rows'),
        ('deleted', 'SELECT *, -1::bigint AS sign FROM old_rows'),
        ('updated', 'SELECT *, 1::bigint AS sign FROM new_rows UNION ALL SELECT *, -1::bigint FROM old_rows')
    ) AS e(name, delta)
    LOOP
        SELECT string_agg(s, E';\n    ') INTO body FROM omnireports_aggregate_sql(event.delta) AS s;
        EXECUTE format($f$
CREATE OR REPLACE FUNCTION %I() RETURNS trigger LANGUAGE plpgsql
    SET work_mem = '64MB' SET jit = off AS $body$
BEGIN
    IF current_setting('omnireports.defer_aggregates', true) = 'on' THEN
        RETURN NULL;
    END IF;
    %s;
    RETURN NULL;
END
$body$$f$, 'omnireports_conversations_' || event.name, body);
    END LOOP;
END
$do$;

DROP TABLE conversation_changes;
