-- A session is one login: its access tokens carry its id, its refresh tokens are the family
-- of the same id. Ending it (logout, password change, deactivation) ends both at once.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP
);
CREATE INDEX sessions_user ON sessions (user_id);

-- When an API token last authenticated (kept to the minute, not written per request).
ALTER TABLE api_tokens ADD COLUMN last_used_at TIMESTAMP;

-- Failed logins, one row per key they count against (`pair:`, `address:`, `account:`), shared
-- by every instance of the service; rows older than the window are purged.
CREATE TABLE login_failures (
    id INTEGER PRIMARY KEY,
    key TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures (key, at);
CREATE INDEX login_failures_at ON login_failures (at);
