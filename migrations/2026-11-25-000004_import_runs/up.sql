-- One row per committed import (written in the import's own transaction, so a failed or killed
-- import leaves none), and what it did per collection. `/metrics` reads the totals.
CREATE TABLE import_runs (
    id          BIGSERIAL PRIMARY KEY,
    finished_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TABLE import_run_collections (
    run_id     BIGINT NOT NULL REFERENCES import_runs (id) ON DELETE CASCADE,
    collection TEXT   NOT NULL,
    read       BIGINT NOT NULL,
    inserted   BIGINT NOT NULL,
    updated    BIGINT NOT NULL,
    unchanged  BIGINT NOT NULL,
    ignored    BIGINT NOT NULL,
    skipped    BIGINT NOT NULL,
    PRIMARY KEY (run_id, collection)
);
