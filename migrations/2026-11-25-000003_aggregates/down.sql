DROP TRIGGER conversations_aggregate_truncate ON conversations;
DROP TRIGGER conversations_aggregate_delete ON conversations;
DROP TRIGGER conversations_aggregate_update ON conversations;
DROP TRIGGER conversations_aggregate_insert ON conversations;
DROP FUNCTION omnireports_recount();
DROP FUNCTION omnireports_conversations_truncated();
DROP FUNCTION omnireports_conversations_changed();
DROP FUNCTION omnireports_aggregate_sql(text);
DROP TABLE agg_department, agg_source, agg_source_scoped, agg_status, agg_status_scoped,
           agg_tag, agg_tag_scoped, agg_agent, agg_agent_scoped;
DROP FUNCTION omnireports_bucket(smallint, timestamptz);
