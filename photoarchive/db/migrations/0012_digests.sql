-- The daily e-mail summary of new comments and likes on a person's photos (library/digests.py).
-- One row per person who has touched the setting; no row means off, the default.
-- A table of its own, not columns of user_preferences: CREATE TABLE IF NOT EXISTS runs again
-- unharmed when an archive's user_version is rewound, where ADD COLUMN would fail.
CREATE TABLE IF NOT EXISTS digests (
    user_id     INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    enabled     INTEGER NOT NULL DEFAULT 0,  -- 1: mail the summary
    enabled_at  TEXT NOT NULL,               -- when it was last turned on (or first turned off)
    sent_at     TEXT,                        -- when the last summary was claimed; NULL: none yet
    -- The newest notification id the last summary covered (at first, the newest when it was
    -- turned on): the next one covers only newer ids. Claiming a summary moves it, in the
    -- transaction that sets sent_at, so that no two processes send the same one.
    through_id  INTEGER NOT NULL DEFAULT 0,
    comments    INTEGER NOT NULL DEFAULT 0,  -- what the last summary told of
    likes       INTEGER NOT NULL DEFAULT 0
);
-- Who may be due, asked at every wake-up of the sender.
CREATE INDEX IF NOT EXISTS digests_due ON digests(enabled, sent_at);
