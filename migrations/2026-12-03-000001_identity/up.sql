-- Users, their hashed tokens, roles and permissions (Rocket.Chat's model, relational).
-- The engine (omnireports_db::engine) adds its triggers on every migration: the data version,
-- and deactivation revoking a user's tokens.

CREATE TABLE users (
    id         TEXT PRIMARY KEY,
    username   TEXT UNIQUE,
    name       TEXT,
    active     BOOLEAN NOT NULL DEFAULT TRUE,
    roles      TEXT[] NOT NULL DEFAULT '{}',
    created_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Only base64(SHA-256(token)) is stored, as Meteor's _hashLoginToken does.
-- kind 'login' expires `login_expiration_days` after issued_at; 'personalAccessToken' never does.
CREATE TABLE user_tokens (
    user_id      TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hashed_token TEXT NOT NULL,
    kind         TEXT NOT NULL DEFAULT 'login' CHECK (kind IN ('login', 'personalAccessToken')),
    name         TEXT,
    issued_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, hashed_token)
);

CREATE TABLE roles (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    scope       TEXT NOT NULL DEFAULT 'Users'
);

-- A permission is held by a user when one of the user's roles is in `roles`.
CREATE TABLE permissions (
    id    TEXT PRIMARY KEY,
    roles TEXT[] NOT NULL DEFAULT '{}'
);

INSERT INTO roles (id, name, description) VALUES
    ('admin', 'admin', 'Admin'),
    ('user', 'user', 'User'),
    ('bot', 'bot', 'Bot'),
    ('app', 'app', 'App'),
    ('guest', 'guest', 'Guest'),
    ('anonymous', 'anonymous', 'Anonymous'),
    ('livechat-agent', 'livechat-agent', 'Livechat Agent'),
    ('livechat-manager', 'livechat-manager', 'Livechat Manager'),
    ('livechat-monitor', 'livechat-monitor', 'Livechat Monitor'),
    ('livechat-guest', 'livechat-guest', 'Livechat Guest');

INSERT INTO permissions (id, roles) VALUES
    ('view-livechat-reports', '{admin,livechat-manager,livechat-monitor}'),
    ('api-bypass-rate-limit', '{admin}');
