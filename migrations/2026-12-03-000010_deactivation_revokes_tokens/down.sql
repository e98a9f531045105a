DROP TRIGGER users_deactivated_revoke_tokens ON users;
DROP FUNCTION omnireports_revoke_tokens_of_deactivated();
