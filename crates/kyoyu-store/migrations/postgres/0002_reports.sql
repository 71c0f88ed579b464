-- Incident reports (情報連絡): threads of editions, each edition in versions (the original, an
-- anonymised one, corrections), the transmissions along the route, attachments, in-app
-- notifications.

-- Whether an item has been released beyond its originating side (see policy::ItemScope).
ALTER TABLE scope_items ADD COLUMN shared BIGINT NOT NULL DEFAULT 1;

CREATE TABLE reports (
    id BIGINT PRIMARY KEY REFERENCES scope_items(id),
    number BIGINT UNIQUE,
    sector TEXT NOT NULL,
    origin_org_id BIGINT NOT NULL REFERENCES orgs(id),
    origin_user_id BIGINT NOT NULL REFERENCES users(id),
    ceptoar_org_id BIGINT REFERENCES orgs(id),
    anonymize BIGINT NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    numbered_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX reports_origin ON reports(origin_org_id);

CREATE TABLE report_versions (
    id BIGSERIAL PRIMARY KEY,
    report_id BIGINT NOT NULL REFERENCES reports(id),
    edition BIGINT NOT NULL,
    version BIGINT NOT NULL,
    form TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('draft', 'sent')),
    released BIGINT NOT NULL DEFAULT 0,
    anonymized BIGINT NOT NULL DEFAULT 0,
    author_user_id BIGINT NOT NULL REFERENCES users(id),
    author_org_id BIGINT NOT NULL REFERENCES orgs(id),
    created_at TEXT NOT NULL,
    sent_at TEXT,
    UNIQUE (report_id, edition, version)
);

CREATE TABLE report_transmissions (
    id BIGSERIAL PRIMARY KEY,
    report_id BIGINT NOT NULL REFERENCES reports(id),
    version_id BIGINT NOT NULL REFERENCES report_versions(id),
    edition BIGINT NOT NULL,
    from_org_id BIGINT NOT NULL REFERENCES orgs(id),
    to_org_id BIGINT NOT NULL REFERENCES orgs(id),
    by_user_id BIGINT NOT NULL REFERENCES users(id),
    at TEXT NOT NULL,
    anonymized BIGINT NOT NULL DEFAULT 0,
    tlp TEXT NOT NULL,
    forwarded BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX report_transmissions_to ON report_transmissions(to_org_id, forwarded);
CREATE INDEX report_transmissions_report ON report_transmissions(report_id);

-- Attachment contents, content-addressed, kept in the database so that every server process
-- sees them and a backup of the database is a backup of everything.
CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size BIGINT NOT NULL,
    data BYTEA NOT NULL
);

CREATE TABLE report_attachments (
    id BIGSERIAL PRIMARY KEY,
    report_id BIGINT NOT NULL REFERENCES reports(id),
    edition BIGINT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('document', 'sample')),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    sha1 TEXT NOT NULL,
    md5 TEXT NOT NULL,
    uploaded_by_user BIGINT NOT NULL REFERENCES users(id),
    uploaded_by_org BIGINT NOT NULL REFERENCES orgs(id),
    at TEXT NOT NULL
);
CREATE INDEX report_attachments_report ON report_attachments(report_id);

CREATE TABLE notifications (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    kind TEXT NOT NULL,
    item_id BIGINT REFERENCES scope_items(id),
    message TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX notifications_org ON notifications(org_id);
