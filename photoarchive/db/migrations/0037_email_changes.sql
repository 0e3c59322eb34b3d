-- A new email waiting to be confirmed from its own inbox (accounts/email_changes.py): at most
-- one a person, replaced by a newer one; only the link's SHA-256 is stored, as for sessions.
CREATE TABLE IF NOT EXISTS email_changes (
    user_id     INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    token_hash  BLOB NOT NULL UNIQUE,
    created_at  REAL NOT NULL,
    expires_at  REAL NOT NULL
);
