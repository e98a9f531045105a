-- A counter of committed changes to what reports read. Every statement that writes
-- conversations, departments (names, ancestors) or users (agent names) bumps it in its own
-- transaction, so two reads that see the same version see the same report data: the API caches
-- report answers by version and never serves one older than the data it could read.
CREATE TABLE data_version (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    version   BIGINT  NOT NULL DEFAULT 0
);
INSERT INTO data_version DEFAULT VALUES;

CREATE FUNCTION omnireports_bump_data_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE data_version SET version = version + 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER conversations_data_version
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON conversations
    FOR EACH STATEMENT EXECUTE FUNCTION omnireports_bump_data_version();
CREATE TRIGGER departments_data_version
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON departments
    FOR EACH STATEMENT EXECUTE FUNCTION omnireports_bump_data_version();
CREATE TRIGGER users_data_version
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION omnireports_bump_data_version();
