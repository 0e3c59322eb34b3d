-- A new email waiting to be confirmed from its own inbox: as ../migrations/0037.
CREATE TABLE IF NOT EXISTS email_changes (
    user_id     BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    email       TEXT NOT NULL,
    token_hash  BYTEA NOT NULL UNIQUE,
    created_at  DOUBLE PRECISION NOT NULL,
    expires_at  DOUBLE PRECISION NOT NULL
);
