-- How many bytes of originals a person may keep; no row: no limit. A table of its own, not a
-- column of users, so that this file runs again unharmed when user_version is rewound.
CREATE TABLE IF NOT EXISTS user_quotas (
    user_id      INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    quota_bytes  INTEGER NOT NULL CHECK (quota_bytes >= 0)
);
-- A person's usage (count and bytes of their photos) read from the index alone.
CREATE INDEX IF NOT EXISTS photos_owner_bytes ON photos(owner_id, bytes);
