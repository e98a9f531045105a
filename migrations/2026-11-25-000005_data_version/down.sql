DROP TRIGGER users_data_version ON users;
DROP TRIGGER departments_data_version ON departments;
DROP TRIGGER conversations_data_version ON conversations;
DROP FUNCTION omnireports_bump_data_version();
DROP TABLE data_version;
