-- What statistics count by, per view of a thread (see kyoyu_domain::stats::stat_facts):
-- whether any edition was sent, the basis and the service-maintenance-level deviation of the
-- form in force, when the first edition says the incident occurred and was reported, and
-- when the thread reached NISC. Advisories: the month (JST) they were published in.
ALTER TABLE report_list ADD COLUMN sent BIGINT NOT NULL DEFAULT 0;
ALTER TABLE report_list ADD COLUMN basis TEXT;
ALTER TABLE report_list ADD COLUMN sml_deviation BIGINT;
ALTER TABLE report_list ADD COLUMN first_occurred_at TEXT;
ALTER TABLE report_list ADD COLUMN first_reported_at TEXT;
ALTER TABLE report_list ADD COLUMN numbered_at TEXT;
ALTER TABLE advisory_list ADD COLUMN published_month TEXT;
