-- One trigger function per event, with the aggregate statements as static SQL: PL/pgSQL
-- prepares them once per session instead of parsing and planning nine dynamic statements on
-- every write, which made a one-row INSERT several times slower than it needs to be.
-- The bodies are generated from omnireports_aggregate_sql(), the single definition of the
-- statements: a migration that changes it must run this generation again.
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

CREATE OR REPLACE TRIGGER conversations_aggregate_insert AFTER INSERT ON conversations
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION omnireports_conversations_inserted();
CREATE OR REPLACE TRIGGER conversations_aggregate_update AFTER UPDATE ON conversations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION omnireports_conversations_updated();
CREATE OR REPLACE TRIGGER conversations_aggregate_delete AFTER DELETE ON conversations
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION omnireports_conversations_deleted();
DROP FUNCTION omnireports_conversations_changed();
