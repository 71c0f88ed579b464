-- The read model: what each view of an item shows, kept as rows with typed columns so that
-- lists, filters, inbox boxes and follow-ups are one indexed query joined with the scope
-- predicate, and the cost of a page does not grow with the corpus. Rows are written in the
-- transaction of every change (the store refreshes each changed item before it commits) and
-- can be rebuilt from the editions with `kyoyu admin reindex`.

-- One row per view of a report thread (own: the originating organisation; full: the author
-- and the reporter's CEPTOAR; released: everyone else). row_id = report_id * 4 + view number,
-- so that rowid order is thread order and a thread's rows are one range.
CREATE TABLE report_list (
    row_id BIGINT PRIMARY KEY,
    report_id BIGINT NOT NULL REFERENCES reports(id),
    view TEXT NOT NULL CHECK (view IN ('own', 'full', 'released')),
    -- The sharing-scope facts, copied from scope_items so that visibility and the view are
    -- decided on this row.
    scope_tlp TEXT NOT NULL,
    shared BIGINT NOT NULL,
    author_user_id BIGINT,
    origin_org_id BIGINT NOT NULL,
    ceptoar_org_id BIGINT,
    sector TEXT NOT NULL,
    -- The view's summary.
    number TEXT,
    edition BIGINT NOT NULL,
    state TEXT NOT NULL,
    shown_tlp TEXT NOT NULL,
    severity TEXT,
    event TEXT,
    title TEXT NOT NULL,
    operator_name TEXT,
    originator_org_id BIGINT NOT NULL,
    anonymized BIGINT NOT NULL,
    exercise BIGINT NOT NULL,
    follow_up_expected BIGINT NOT NULL,
    waiting_since TEXT,
    has_draft BIGINT NOT NULL,
    reported_at TEXT NOT NULL,
    occurred_at TEXT,
    discovered_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX report_list_sector ON report_list(sector, row_id);
CREATE INDEX report_list_tlp ON report_list(shown_tlp, row_id);
CREATE INDEX report_list_severity ON report_list(severity, row_id);
CREATE INDEX report_list_event ON report_list(event, row_id);
CREATE INDEX report_list_reported ON report_list(reported_at);
CREATE INDEX report_list_follow_up ON report_list(waiting_since, row_id) WHERE follow_up_expected = 1;

-- ② causes of the form a view shows, for `?cause=`.
CREATE TABLE report_list_causes (
    cause TEXT NOT NULL,
    row_id BIGINT NOT NULL,
    PRIMARY KEY (cause, row_id)
);
CREATE INDEX report_list_causes_row ON report_list_causes(row_id);

-- The text a free-text query is matched against, per view (kept apart so list rows stay narrow).
CREATE TABLE report_search (
    row_id BIGINT PRIMARY KEY,
    body TEXT NOT NULL
);

-- Inbox boxes: to_forward, received, sent, drafts, per organisation.
CREATE TABLE report_boxes (
    org_id BIGINT NOT NULL,
    box TEXT NOT NULL CHECK (box IN ('to_forward', 'received', 'sent', 'drafts')),
    report_id BIGINT NOT NULL,
    PRIMARY KEY (org_id, box, report_id)
);
CREATE INDEX report_boxes_report ON report_boxes(report_id);

-- One row per advisory.
CREATE TABLE advisory_list (
    advisory_id BIGINT PRIMARY KEY REFERENCES advisories(id),
    scope_tlp TEXT NOT NULL,
    shared BIGINT NOT NULL,
    author_user_id BIGINT,
    number TEXT,
    edition BIGINT NOT NULL,
    state TEXT NOT NULL,
    shown_tlp TEXT NOT NULL,
    severity TEXT,
    basis TEXT,
    exercise BIGINT NOT NULL,
    overview TEXT NOT NULL,
    published_at TEXT,
    updated_at TEXT NOT NULL,
    search_text TEXT NOT NULL
);
CREATE INDEX advisory_list_tlp ON advisory_list(shown_tlp, advisory_id);
CREATE INDEX advisory_list_severity ON advisory_list(severity, advisory_id);
CREATE INDEX advisory_deliveries_org ON advisory_deliveries(org_id, advisory_id);

-- Which version of the read model's rules built the rows; a newer binary rebuilds on start.
CREATE TABLE read_model_state (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO read_model_state (id, version) VALUES (1, 0);

-- Paths of the scope predicate and of lists that had no index.
CREATE INDEX scope_item_orgs_org_item ON scope_item_orgs(org_id, item_id);
DROP INDEX scope_item_orgs_org;
CREATE INDEX scope_items_kind ON scope_items(kind, id);
CREATE INDEX notifications_org_id ON notifications(org_id, id);
DROP INDEX notifications_org;
CREATE INDEX report_versions_report ON report_versions(report_id, edition, version);
CREATE INDEX scope_requests_advisory ON scope_requests(advisory_id);
CREATE INDEX advisory_inquiries_advisory ON advisory_inquiries(advisory_id);
CREATE INDEX advisory_sources_report ON advisory_sources(report_id);
