-- Deactivating a user revokes every token they hold, personal access tokens included, as
-- Rocket.Chat unsets a deactivated user's loginTokens: activating them again gives none back.
CREATE FUNCTION omnireports_revoke_tokens_of_deactivated() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    DELETE FROM user_tokens WHERE user_id = NEW.id;
    RETURN NULL;
END
$fn$;

CREATE TRIGGER users_deactivated_revoke_tokens
    AFTER UPDATE OF active ON users
    FOR EACH ROW WHEN (OLD.active AND NOT NEW.active)
    EXECUTE FUNCTION omnireports_revoke_tokens_of_deactivated();

-- Tokens an inactive user still holds from before this migration.
DELETE FROM user_tokens t USING users u WHERE u.id = t.user_id AND NOT u.active;
