-- A member is told when someone adds them to an album (library/notifications.py): a
-- notification of kind 'album' names the album, not a photo. SQLite cannot drop a column's
-- NOT NULL or change a CHECK in place, so the table is built again with the same rows.
-- AUTOINCREMENT now: a deleted notification's id is never given again (a digest remembers
-- the newest id it told of, and a member removed and added again must be news again).
-- The column is added first, so that a rewound archive running this file again copies the
-- album notifications it already has (the line is left out when the column is there).
ALTER TABLE notifications ADD COLUMN album_id INTEGER REFERENCES albums(id) ON DELETE CASCADE;

CREATE TABLE notifications_0032 (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,     -- who is told
    actor_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,     -- who acted
    kind        TEXT NOT NULL CHECK (kind IN ('comment', 'like', 'album')),
    photo_id    INTEGER REFERENCES photos(id) ON DELETE CASCADE,            -- comment, like
    comment_id  INTEGER REFERENCES comments(id) ON DELETE CASCADE,          -- for 'comment'
    created_at  TEXT NOT NULL,
    read_at     TEXT,                                                       -- NULL: unread
    album_id    INTEGER REFERENCES albums(id) ON DELETE CASCADE,            -- for 'album'
    -- A notification is about a photo or, being added to one, an album: one of the two.
    CHECK ((kind = 'album') = (album_id IS NOT NULL)),
    CHECK ((kind = 'album') = (photo_id IS NULL))
);
INSERT INTO notifications_0032
    (id, user_id, actor_id, kind, photo_id, comment_id, created_at, read_at, album_id)
SELECT id, user_id, actor_id, kind, photo_id, comment_id, created_at, read_at, album_id
FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_0032 RENAME TO notifications;

-- 0011's indexes, gone with the table.
CREATE INDEX IF NOT EXISTS notifications_list ON notifications(user_id, id);
CREATE INDEX IF NOT EXISTS notifications_unread ON notifications(user_id, read_at, photo_id);
CREATE UNIQUE INDEX IF NOT EXISTS notifications_one_like
    ON notifications(photo_id, actor_id) WHERE kind = 'like';
CREATE INDEX IF NOT EXISTS notifications_photo ON notifications(photo_id);
CREATE INDEX IF NOT EXISTS notifications_comment ON notifications(comment_id);
CREATE INDEX IF NOT EXISTS notifications_actor ON notifications(actor_id);
-- One per member and album (a member removed loses theirs: added again, they are told again).
CREATE UNIQUE INDEX IF NOT EXISTS notifications_one_album
    ON notifications(album_id, user_id) WHERE kind = 'album';
-- What the album's cascade looks rows up by.
CREATE INDEX IF NOT EXISTS notifications_album ON notifications(album_id);
-- The counter starts past every id given so far that a digest may remember (the rows'
-- largest id follows by itself; a deleted one above it is in digests.through_id).
INSERT INTO sqlite_sequence (name, seq)
SELECT 'notifications', 0
WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'notifications');
UPDATE sqlite_sequence SET seq = MAX(seq, (SELECT COALESCE(MAX(through_id), 0) FROM digests))
WHERE name = 'notifications';
