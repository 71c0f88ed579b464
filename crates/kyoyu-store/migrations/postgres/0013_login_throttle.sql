-- Failed logins, counted where every kyoyu process on the database sees them. A row per
-- key: `addr:<client address>` counts failures from one address in a one-minute window;
-- `account:<e-mail>` counts failures in a row for one e-mail address, whether or not an
-- account has it (so the answer never tells which accounts exist), and holds the time until
-- which clients the account has not seen are kept waiting. Successful logins count nothing.
CREATE TABLE login_failures (
    key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    window_start TEXT NOT NULL,
    last_at TEXT NOT NULL,
    blocked_until TEXT
);
CREATE INDEX login_failures_last ON login_failures(last_at);

-- Browsers an account has logged in from (a random cookie, stored as its SHA-256): while
-- the account is under a guessing attack, they still log in with the right password.
CREATE TABLE login_devices (
    id BIGSERIAL PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_used_at TEXT NOT NULL
);
CREATE UNIQUE INDEX login_devices_user ON login_devices(user_id, token_hash);

-- The per-user lockout columns of 0001 are no longer read.
UPDATE users SET failed_logins = 0, locked_until = NULL;
