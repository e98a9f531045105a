ALTER TABLE import_run_collections DROP COLUMN deleted, DROP COLUMN watermark;
