ALTER TABLE user_tokens DROP COLUMN issuer;
DROP INDEX users_lower_username;
DROP INDEX users_email_keys;
DROP FUNCTION user_email_keys(JSONB);
ALTER TABLE users
    DROP COLUMN emails,
    DROP COLUMN status,
    DROP COLUMN password_bcrypt,
    DROP COLUMN totp_secret,
    DROP COLUMN email_two_factor;
