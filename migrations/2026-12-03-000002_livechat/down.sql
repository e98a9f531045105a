DROP TABLE data_version;
DROP TABLE import_run_collections;
DROP TABLE import_runs;
DROP TABLE conversations;
DROP TABLE unit_monitors;
DROP TABLE departments;
