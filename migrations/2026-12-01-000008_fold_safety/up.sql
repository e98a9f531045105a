-- Two hazards of the change log of 000007.
--
-- VACUUM truncates a table's empty tail under an ACCESS EXCLUSIVE lock, which stalls every
-- report reading the log (and, replayed, every query on a replica). The log is emptied every
-- second, so its tail is often empty: keep the pages instead; they are reused at once.
ALTER TABLE conversation_changes SET (vacuum_truncate = false);

-- TRUNCATE conversations locked the aggregates and then the log, a fold locks the log and then
-- the aggregates: the two could deadlock. The truncation now waits for a running fold first,
-- as a rebuild does.
CREATE OR REPLACE FUNCTION omnireports_conversations_truncated() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('omnireports_fold_changes'));
    TRUNCATE agg_department, agg_source, agg_source_scoped, agg_status, agg_status_scoped,
             agg_tag, agg_tag_scoped, agg_agent, agg_agent_scoped, conversation_changes;
    RETURN NULL;
END
$fn$;

COMMENT ON FUNCTION omnireports_refill_aggregates() IS
    'Internal step of omnireports_rebuild_aggregates(): alone, it would count the logged, '
    'unfolded changes twice. Call omnireports_rebuild_aggregates() instead.';
