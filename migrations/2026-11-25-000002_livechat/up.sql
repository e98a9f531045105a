-- Departments, units, unit monitors and livechat conversations.

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

-- Every report filters on the creation time; by-department groups by department within it.
CREATE INDEX conversations_ts_idx ON conversations (ts);
CREATE INDEX conversations_department_ts_idx ON conversations (department_id, ts);
