-- Saved searches (検索条件の保存): a user's search, checked now and then as that user; every
-- item it finds is recorded once, so that only new hits are announced (by e-mail through the
-- outbox). `lease_until` lets several kyoyu processes share the checking.
CREATE TABLE saved_searches (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id INTEGER NOT NULL REFERENCES users(id),
    name TEXT NOT NULL,
    params TEXT NOT NULL,
    created_at TEXT NOT NULL,
    checked_at TEXT,
    lease_until TEXT
);
CREATE INDEX saved_searches_user ON saved_searches(user_id, id);

CREATE TABLE saved_search_hits (
    search_id INTEGER NOT NULL REFERENCES saved_searches(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('reports', 'advisories')),
    item_id INTEGER NOT NULL,
    found_at TEXT NOT NULL,
    seen INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (search_id, kind, item_id)
);
