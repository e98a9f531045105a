-- Back to bucket-first keys (migration 000003).
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
