-- Photos in their owner's trash: seen by nobody, their owner aside (on the trash page only),
-- until restored or purged. Everything else about the photo stays as it was (albums, comments,
-- likes, favorites, its files), so restoring it is taking this row away. A table of its own,
-- not a column of photos, so that this file runs again unharmed when user_version is rewound.
CREATE TABLE IF NOT EXISTS trashed_photos (
    photo_id    INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    trashed_at  TEXT NOT NULL,
    trashed_by  INTEGER REFERENCES users(id) ON DELETE SET NULL
);
-- The purge finds what has waited long enough by this.
CREATE INDEX IF NOT EXISTS trashed_photos_at ON trashed_photos(trashed_at);
