-- Upload batches: photos one person added together (one Upload on the upload page, one API
-- request with several files, one `photoarchive import` run), shown as one entry of the feed
-- (library/batches.py). Tables of their own, not a column of photos: CREATE TABLE IF NOT
-- EXISTS runs again unharmed when an archive's user_version is rewound.
CREATE TABLE IF NOT EXISTS photo_batches (
    id          INTEGER PRIMARY KEY,
    owner_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- 'c:' and the upload page's token, or 's:' and one the server made (never sent out).
    token       TEXT NOT NULL,
    created_at  TEXT NOT NULL   -- a client's token is matched only for a while after this
);
-- A token is looked up for its owner, newest batch first.
CREATE INDEX IF NOT EXISTS photo_batches_token ON photo_batches(owner_id, token, created_at);
CREATE INDEX IF NOT EXISTS photo_batches_owner ON photo_batches(owner_id);

-- Which batch a photo joined; a photo added alone has no row. Deleting the photo or the batch
-- deletes the membership.
CREATE TABLE IF NOT EXISTS batch_photos (
    photo_id    INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    batch_id    INTEGER NOT NULL REFERENCES photo_batches(id) ON DELETE CASCADE
);
-- A batch's photos newest first, and its newest photo (the feed entry's place).
CREATE INDEX IF NOT EXISTS batch_photos_batch ON batch_photos(batch_id, photo_id);
