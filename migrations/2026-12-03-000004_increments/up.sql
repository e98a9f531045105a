-- Increments: what the trash deleted, and each collection's newest `_updatedAt` (the trash's:
-- `_deletedAt`) per committed import, from which `omnireports next-export` asks for the next.
ALTER TABLE import_run_collections
    ADD COLUMN deleted   BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN watermark TIMESTAMPTZ;
