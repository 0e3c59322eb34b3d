-- Password-reset links an administrator hands out: single use, expiring; only the token's
-- SHA-256 is stored, as for sessions.
CREATE TABLE IF NOT EXISTS password_resets (
    id            INTEGER PRIMARY KEY,
    token_hash    BLOB NOT NULL UNIQUE,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_by    INTEGER REFERENCES users(id) ON DELETE SET NULL,  -- NULL: from the command line
    created_at    REAL NOT NULL,
    expires_at    REAL NOT NULL,
    used_at       REAL
);
CREATE INDEX IF NOT EXISTS password_resets_user ON password_resets(user_id);
