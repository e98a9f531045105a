-- What POST /api/v1/login needs of a user, as a Rocket.Chat export carries it in `services`.

-- `emails`: Rocket.Chat's [{address, verified}], as /api/v1/me shows them.
-- `password_bcrypt`: bcrypt of the lowercase hex SHA-256 of the password (Meteor's format).
-- `totp_secret`: the base32 RFC 6238 secret, set only while two-factor by app is enabled.
ALTER TABLE users
    ADD COLUMN emails           JSONB NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(emails) = 'array'),
    ADD COLUMN status           TEXT NOT NULL DEFAULT 'offline',
    ADD COLUMN password_bcrypt  TEXT,
    ADD COLUMN totp_secret      TEXT,
    ADD COLUMN email_two_factor BOOLEAN NOT NULL DEFAULT FALSE;

-- The addresses a login may name, lowercased: Meteor finds users by e-mail case-insensitively.
CREATE FUNCTION user_email_keys(emails JSONB) RETURNS TEXT[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(lower(e ->> 'address')) FILTER (WHERE e ->> 'address' IS NOT NULL), '{}')
    FROM jsonb_array_elements(emails) AS e
$$;

CREATE INDEX users_email_keys ON users USING gin (user_email_keys(emails));
-- A username matches exactly, else case-insensitively when only one user does (as Meteor).
CREATE INDEX users_lower_username ON users (lower(username));

-- Who issued a token: an import makes a user's Rocket.Chat tokens those of the export, and
-- leaves alone the ones omnireports issued at /api/v1/login.
ALTER TABLE user_tokens
    ADD COLUMN issuer TEXT NOT NULL DEFAULT 'rocketchat'
        CHECK (issuer IN ('rocketchat', 'omnireports'));
