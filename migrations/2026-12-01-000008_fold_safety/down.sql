COMMENT ON FUNCTION omnireports_refill_aggregates() IS NULL;

CREATE OR REPLACE FUNCTION omnireports_conversations_truncated() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    TRUNCATE agg_department, agg_source, agg_source_scoped, agg_status, agg_status_scoped,
             agg_tag, agg_tag_scoped, agg_agent, agg_agent_scoped, conversation_changes;
    RETURN NULL;
END
$fn$;

ALTER TABLE conversation_changes RESET (vacuum_truncate);
