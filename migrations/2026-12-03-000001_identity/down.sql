DROP TABLE permissions;
DROP TABLE roles;
DROP TABLE user_tokens;
DROP TABLE users;
