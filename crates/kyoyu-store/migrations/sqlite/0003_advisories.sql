-- Advisories (情報提供): editions, the source reports they derive from, scope-change requests
-- to those sources, deliveries down the route with receipt and handling, inquiries to NISC.

CREATE TABLE advisories (
    id INTEGER PRIMARY KEY REFERENCES scope_items(id),
    number INTEGER UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('draft', 'published')),
    exercise INTEGER NOT NULL DEFAULT 0,
    created_by INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    published_at TEXT,
    updated_at TEXT NOT NULL
);

CREATE TABLE advisory_editions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    advisory_id INTEGER NOT NULL REFERENCES advisories(id),
    edition INTEGER NOT NULL,
    form TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('draft', 'published')),
    author_user_id INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    published_at TEXT,
    UNIQUE (advisory_id, edition)
);

CREATE TABLE advisory_sources (
    advisory_id INTEGER NOT NULL REFERENCES advisories(id),
    report_id INTEGER NOT NULL REFERENCES reports(id),
    PRIMARY KEY (advisory_id, report_id)
);

CREATE TABLE scope_requests (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    advisory_id INTEGER NOT NULL REFERENCES advisories(id),
    report_id INTEGER NOT NULL REFERENCES reports(id),
    to_org_id INTEGER NOT NULL REFERENCES orgs(id),
    wanted_scope TEXT NOT NULL,
    wanted_sectors TEXT NOT NULL,
    reason TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'declined')),
    requested_by INTEGER NOT NULL REFERENCES users(id),
    requested_at TEXT NOT NULL,
    decided_by INTEGER REFERENCES users(id),
    decided_at TEXT,
    decision_note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX scope_requests_to ON scope_requests(to_org_id, state);

CREATE TABLE advisory_deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    advisory_id INTEGER NOT NULL REFERENCES advisories(id),
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    from_org_id INTEGER NOT NULL REFERENCES orgs(id),
    by_user_id INTEGER NOT NULL REFERENCES users(id),
    delivered_at TEXT NOT NULL,
    received_at TEXT,
    received_by INTEGER REFERENCES users(id),
    handled_at TEXT,
    handled_by INTEGER REFERENCES users(id),
    note TEXT NOT NULL DEFAULT '',
    UNIQUE (advisory_id, org_id)
);

CREATE TABLE advisory_inquiries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    advisory_id INTEGER NOT NULL REFERENCES advisories(id),
    ministry_org_id INTEGER NOT NULL REFERENCES orgs(id),
    author_user_id INTEGER NOT NULL REFERENCES users(id),
    author_org_id INTEGER NOT NULL REFERENCES orgs(id),
    text TEXT NOT NULL,
    at TEXT NOT NULL
);
