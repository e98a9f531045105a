-- Back to one trigger function running the statements dynamically (migration 000007).
CREATE FUNCTION omnireports_conversations_changed() RETURNS trigger LANGUAGE plpgsql
    SET work_mem = '64MB' SET jit = off AS $fn$
DECLARE
    statement text;
BEGIN
    IF current_setting('omnireports.defer_aggregates', true) = 'on' THEN
        RETURN NULL;
    END IF;
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
