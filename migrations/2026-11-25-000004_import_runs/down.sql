DROP TABLE import_run_collections;
DROP TABLE import_runs;
