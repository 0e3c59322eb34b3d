-- A member is told when someone adds them to an album (library/notifications.py): a
-- notification of kind 'album' names the album, not a photo. SQLite cannot drop a column's
-- NOT NULL or change a CHECK in place, so the table is built again with the same rows.
-- AUTOINCREMENT now: a deleted notification's id is never given again (a digest remembers
-- the newest id it told of, and a member removed and added again must be news again).
-- The column is added first, so that a rewound archive running this file again copies the
-- album notifications it already has (the line is left out when the column is there).
-- The table it builds also takes what 0033 added (news of photos added to an album: its kind
-- and `since_at`), so that it runs again on a rewound archive holding such rows.
ALTER TABLE notifications ADD COLUMN album_id INTEGER REFERENCES albums(id) ON DELETE CASCADE;
ALTER TABLE notifications ADD COLUMN since_at TEXT;

CREATE TABLE notifications_0032 (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,     -- who is told
    actor_id    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,     -- who acted
    kind        TEXT NOT NULL
                CHECK (kind IN ('comment', 'like', 'album', 'album_photos')),
    photo_id    INTEGER REFERENCES photos(id) ON DELETE CASCADE,            -- comment, like
    comment_id  INTEGER REFERENCES comments(id) ON DELETE CASCADE,          -- for 'comment'
    created_at  TEXT NOT NULL,
    read_at     TEXT,                                                       -- NULL: unread
    album_id    INTEGER REFERENCES albums(id) ON DELETE CASCADE,            -- album kinds
    since_at    TEXT,                                                       -- 'album_photos'
    -- A notification is about a photo or, being added to one, an album: one of the two.
    CHECK ((kind IN ('album', 'album_photos')) = (album_id IS NOT NULL)),
    CHECK ((kind IN ('album', 'album_photos')) = (photo_id IS NULL)),
    CHECK ((kind = 'album_photos') = (since_at IS NOT NULL))
);
INSERT INTO notifications_0032
    (id, user_id, actor_id, kind, photo_id, comment_id, created_at, read_at, album_id,
     since_at)
SELECT id, user_id, actor_id, kind, photo_id, comment_id, created_at, read_at, album_id,
       since_at
FROM notifications;
-- Run again on a rewound archive, the table it replaces counts its own ids: carried over.
INSERT INTO sqlite_sequence (name, seq)
SELECT 'notifications_0032', 0
WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'notifications_0032');
UPDATE sqlite_sequence SET seq = MAX(
    seq, COALESCE((SELECT s.seq FROM sqlite_sequence s WHERE s.name = 'notifications'), 0)
) WHERE name = 'notifications_0032';
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
