-- The foundation schema (SQLite). Times are RFC 3339 UTC text with a fixed width so that they
-- sort as text; flags are 0/1 integers so that one SQL text serves both backends.

CREATE TABLE reference_data (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    doc TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by INTEGER
);

CREATE TABLE orgs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    code TEXT NOT NULL UNIQUE,
    name_ja TEXT NOT NULL,
    name_en TEXT NOT NULL DEFAULT '',
    ministry TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE org_roles (
    org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    PRIMARY KEY (org_id, role)
);

CREATE TABLE org_sectors (
    org_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    sector TEXT NOT NULL,
    PRIMARY KEY (org_id, sector)
);

CREATE TABLE ceptoar_members (
    ceptoar_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    member_id INTEGER NOT NULL REFERENCES orgs(id) ON DELETE CASCADE,
    PRIMARY KEY (ceptoar_id, member_id)
);
CREATE INDEX ceptoar_members_member ON ceptoar_members(member_id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER REFERENCES orgs(id),
    email TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    is_contact INTEGER NOT NULL DEFAULT 0,
    is_admin INTEGER NOT NULL DEFAULT 0,
    disabled INTEGER NOT NULL DEFAULT 0,
    totp_secret TEXT,
    totp_enabled INTEGER NOT NULL DEFAULT 0,
    totp_last_step INTEGER NOT NULL DEFAULT 0,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX users_org ON users(org_id);

CREATE TABLE tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('session', 'api')),
    name TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    expires_at TEXT,
    last_used_at TEXT,
    revoked_at TEXT
);
CREATE INDEX tokens_user ON tokens(user_id);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor_user INTEGER,
    actor_org INTEGER,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);

CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);

-- Every shareable item (report thread, advisory) has one row here: the facts the sharing-scope
-- predicate reads. Item tables reference it by id.
CREATE TABLE scope_items (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL CHECK (kind IN ('report', 'advisory')),
    tlp TEXT NOT NULL CHECK (tlp IN ('red', 'amber', 'green', 'white')),
    author_user_id INTEGER REFERENCES users(id),
    created_at TEXT NOT NULL
);

CREATE TABLE scope_item_sectors (
    item_id INTEGER NOT NULL REFERENCES scope_items(id) ON DELETE CASCADE,
    sector TEXT NOT NULL,
    PRIMARY KEY (item_id, sector)
);

CREATE TABLE scope_item_orgs (
    item_id INTEGER NOT NULL REFERENCES scope_items(id) ON DELETE CASCADE,
    org_id INTEGER NOT NULL REFERENCES orgs(id),
    relation TEXT NOT NULL CHECK (relation IN ('route', 'recipient', 'named', 'partner')),
    PRIMARY KEY (item_id, org_id, relation)
);
CREATE INDEX scope_item_orgs_org ON scope_item_orgs(org_id);

-- The audit log is append-only: the service never updates or deletes a record. (Someone with
-- direct database access can drop these triggers; `kyoyu audit verify` catches what they do.)
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
