-- The department-scoped tables keyed scope first: (level, department, ancestors, bucket, …)
-- instead of bucket first. A monitor's query then reads only the buckets of the scopes it may
-- see, instead of every department's rows of each bucket (about 3,000 per bucket for agents).
-- agg_department keeps its order: it serves unrestricted callers too, and holds one row per
-- department per bucket.
ALTER TABLE agg_source_scoped DROP CONSTRAINT agg_source_scoped_key;
ALTER TABLE agg_source_scoped ADD CONSTRAINT agg_source_scoped_key
    UNIQUE NULLS NOT DISTINCT (level, department_id, department_ancestors, bucket, source_type, source_alias) INCLUDE (n);
ALTER TABLE agg_status_scoped DROP CONSTRAINT agg_status_scoped_key;
ALTER TABLE agg_status_scoped ADD CONSTRAINT agg_status_scoped_key
    UNIQUE NULLS NOT DISTINCT (level, department_id, department_ancestors, bucket, open, on_hold, served, closed) INCLUDE (n);
ALTER TABLE agg_tag_scoped DROP CONSTRAINT agg_tag_scoped_key;
ALTER TABLE agg_tag_scoped ADD CONSTRAINT agg_tag_scoped_key
    UNIQUE NULLS NOT DISTINCT (level, department_id, department_ancestors, bucket, tag) INCLUDE (n);
ALTER TABLE agg_agent_scoped DROP CONSTRAINT agg_agent_scoped_key;
ALTER TABLE agg_agent_scoped ADD CONSTRAINT agg_agent_scoped_key
    UNIQUE NULLS NOT DISTINCT (level, department_id, department_ancestors, bucket, served_by_id) INCLUDE (n);
