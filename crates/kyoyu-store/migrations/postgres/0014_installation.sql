-- This installation's own name: a random key made once, when the database is created, and
-- kept by backup and restore. Exchanged objects (STIX ids) are derived from it, so two kyoyu
-- installations never give different items the same id, and one installation always gives
-- an item the same id.
CREATE TABLE installation (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    key TEXT NOT NULL
);
INSERT INTO installation (id, key) VALUES (1, md5(random()::text || clock_timestamp()::text));

-- The TAXII collections page through what changed, oldest first.
CREATE INDEX report_list_changed ON report_list(updated_at, row_id);
CREATE INDEX advisory_list_changed ON advisory_list(updated_at, advisory_id);
