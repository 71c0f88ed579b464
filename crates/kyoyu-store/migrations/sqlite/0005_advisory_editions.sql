-- Follow-up editions of an advisory (T1-2, …) are delivered again: each delivery remembers the
-- edition it is about, and receipt and handling are recorded for that edition.
ALTER TABLE advisory_deliveries ADD COLUMN edition INTEGER NOT NULL DEFAULT 1;
