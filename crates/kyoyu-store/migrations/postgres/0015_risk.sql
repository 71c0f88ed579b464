-- The risk process of seed 004, per organisation. Every row carries the owning organisation
-- and every statement of the store's risk module binds it (policy::risk::RiskOwner).
CREATE TABLE risk_criteria (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    UNIQUE (org_id, version)
);

CREATE TABLE risk_assets (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    body TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL
);
CREATE INDEX risk_assets_org ON risk_assets(org_id, id);

CREATE TABLE risk_issues (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    body TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL
);
CREATE INDEX risk_issues_org ON risk_issues(org_id, id);

-- `body` is the whole risk as the core keeps it; the columns beside it are what lists sort
-- and filter on and what an arriving advisory is matched against.
CREATE TABLE risks (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    event TEXT NOT NULL,
    state TEXT NOT NULL,
    priority TEXT NOT NULL,
    criteria_version BIGINT,
    body TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX risks_org ON risks(org_id, id);
CREATE INDEX risks_event ON risks(event);

CREATE TABLE risk_causes (
    risk_id BIGINT NOT NULL REFERENCES risks(id),
    cause TEXT NOT NULL,
    PRIMARY KEY (risk_id, cause)
);
CREATE INDEX risk_causes_cause ON risk_causes(cause, risk_id);

CREATE TABLE risk_sectors (
    risk_id BIGINT NOT NULL REFERENCES risks(id),
    sector TEXT NOT NULL,
    PRIMARY KEY (risk_id, sector)
);

CREATE TABLE risk_history (
    id BIGSERIAL PRIMARY KEY,
    risk_id BIGINT NOT NULL REFERENCES risks(id),
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    user_id BIGINT REFERENCES users(id),
    at TEXT NOT NULL
);
CREATE INDEX risk_history_risk ON risk_history(risk_id, id);

-- A review task (6.): opened by an advisory that matches the risk, by a user linking one, or
-- by the risk's review date; closed with a note.
CREATE TABLE risk_reviews (
    id BIGSERIAL PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES orgs(id),
    risk_id BIGINT NOT NULL REFERENCES risks(id),
    reason TEXT NOT NULL,
    advisory_id BIGINT,
    opened_at TEXT NOT NULL,
    closed_at TEXT,
    closed_by BIGINT REFERENCES users(id),
    note TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX risk_reviews_once ON risk_reviews(risk_id, advisory_id);
CREATE INDEX risk_reviews_open ON risk_reviews(org_id, closed_at, id);
