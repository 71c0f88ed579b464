-- Attachments (別紙) of advisories; contents in `blobs` like report attachments.
CREATE TABLE advisory_attachments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    advisory_id INTEGER NOT NULL REFERENCES advisories(id),
    kind TEXT NOT NULL CHECK (kind IN ('document', 'sample')),
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    sha1 TEXT NOT NULL,
    md5 TEXT NOT NULL,
    uploaded_by_user INTEGER NOT NULL REFERENCES users(id),
    at TEXT NOT NULL
);
CREATE INDEX advisory_attachments_advisory ON advisory_attachments(advisory_id);
