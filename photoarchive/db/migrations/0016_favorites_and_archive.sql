-- A person's favorites: private to them (nobody else reads or counts them), of any photo they
-- may see; the list is newest favorite first, keyset on (created_at, photo_id).
CREATE TABLE IF NOT EXISTS favorites (
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    photo_id    INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (user_id, photo_id)
);
CREATE INDEX IF NOT EXISTS favorites_list ON favorites(user_id, created_at, photo_id);
-- Deleting a photo finds its favorites by this (the key leads with the person).
CREATE INDEX IF NOT EXISTS favorites_photo ON favorites(photo_id);

-- Photos their owner archived: out of the feed and the profile grid for everyone, still in
-- albums and share links. A table of its own (like private_photos), not a column of photos,
-- so that this file runs again unharmed when an archive's user_version is rewound.
CREATE TABLE IF NOT EXISTS archived_photos (
    photo_id     INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    archived_at  TEXT NOT NULL
);
