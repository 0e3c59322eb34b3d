-- The originals a restore kept; see ../migrations/0035_restores.sql.
CREATE TABLE IF NOT EXISTS restore_kept (
    sha256   TEXT PRIMARY KEY,
    kept_at  TEXT NOT NULL
);
