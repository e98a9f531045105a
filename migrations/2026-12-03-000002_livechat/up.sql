-- Departments, units, unit monitors, livechat conversations, the record of committed imports and
-- the data version. The aggregate tables, the change log and every trigger on these tables are
-- the engine's (omnireports_db::engine), laid out from its declarations on every migration.

-- Units share the table with departments, as in Rocket.Chat: type 'u' is a unit.
CREATE TABLE departments (
    id        TEXT PRIMARY KEY,
    name      TEXT NOT NULL,
    enabled   BOOLEAN NOT NULL DEFAULT TRUE,
    type      TEXT NOT NULL DEFAULT 'd',
    ancestors TEXT[] NOT NULL DEFAULT '{}'
);

CREATE INDEX departments_ancestors_idx ON departments USING GIN (ancestors);

CREATE TABLE unit_monitors (
    id         TEXT PRIMARY KEY,
    monitor_id TEXT NOT NULL,
    unit_id    TEXT NOT NULL,
    username   TEXT
);

CREATE INDEX unit_monitors_monitor_idx ON unit_monitors (monitor_id);

-- No foreign key to departments: deleting a department must not delete or hide history.
CREATE TABLE conversations (
    id                   TEXT PRIMARY KEY,
    ts                   TIMESTAMPTZ NOT NULL,
    department_id        TEXT,
    department_ancestors TEXT[] NOT NULL DEFAULT '{}',
    source_type          TEXT,
    source_alias         TEXT,
    open                 BOOLEAN NOT NULL DEFAULT FALSE,
    on_hold              BOOLEAN NOT NULL DEFAULT FALSE,
    served_by_id         TEXT,
    served_by_username   TEXT,
    tags                 TEXT[] NOT NULL DEFAULT '{}',
    chat_duration        DOUBLE PRECISION,
    closed_at            TIMESTAMPTZ
);

-- Every raw read filters on the creation time; by-department groups by department within it.
CREATE INDEX conversations_ts_idx ON conversations (ts);
CREATE INDEX conversations_department_ts_idx ON conversations (department_id, ts);

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

-- A counter of committed changes to what reports read: every statement that writes
-- conversations, departments or users moves it in its own transaction (the engine's triggers),
-- so two reads that see the same version see the same report data.
CREATE TABLE data_version (
    singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
    version   BIGINT  NOT NULL DEFAULT 0
);
INSERT INTO data_version DEFAULT VALUES;
