-- Notifications: a photo's owner is told when someone else comments on it or likes it.
-- Each row lives exactly as long as its cause: deleting the photo, the comment or the account
-- that acted deletes it too (ON DELETE CASCADE), so nothing points at what is gone.
-- Re-runnable (IF NOT EXISTS everywhere): an archive's user_version may be rewound.
CREATE TABLE IF NOT EXISTS notifications (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,     -- who is told
    actor_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,     -- who acted
    kind        TEXT NOT NULL CHECK (kind IN ('comment', 'like')),
    photo_id    INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    comment_id  INTEGER REFERENCES comments(id) ON DELETE CASCADE,          -- for 'comment'
    created_at  TEXT NOT NULL,
    read_at     TEXT                                                        -- NULL: unread
);
-- The list, newest first, a page at a time.
CREATE INDEX IF NOT EXISTS notifications_list ON notifications(user_id, id);
-- The unread count (the navigation asks on every page).
CREATE INDEX IF NOT EXISTS notifications_unread ON notifications(user_id, read_at, photo_id);
-- One like notification per person and photo: liking again after an unlike adds no second one.
CREATE UNIQUE INDEX IF NOT EXISTS notifications_one_like
    ON notifications(photo_id, actor_id) WHERE kind = 'like';
-- What the cascades look rows up by.
CREATE INDEX IF NOT EXISTS notifications_photo ON notifications(photo_id);
CREATE INDEX IF NOT EXISTS notifications_comment ON notifications(comment_id);
CREATE INDEX IF NOT EXISTS notifications_actor ON notifications(actor_id);
