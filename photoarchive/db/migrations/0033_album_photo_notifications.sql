-- A member is told when someone else adds photos to an album they are in
-- (library/notifications.py): a notification of kind 'album_photos' names the album and who
-- added, and `since_at` is when that run of additions began; how many photos it tells of is
-- counted when it is read (those of the album the actor added from `since_at` on, up to
-- `read_at` once read, that the person may still see), so a photo taken out or trashed
-- since is never counted. SQLite cannot change a CHECK in place, so the table is built again
-- with the same rows, as 0032 did.
-- The column is added first, so that a rewound archive running this file again keeps what it
-- has (the line is left out when the column is there).
ALTER TABLE notifications ADD COLUMN since_at TEXT;

CREATE TABLE notifications_0033 (
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
    -- About a photo, or (added to one, or photos added to it) an album: one of the two.
    CHECK ((kind IN ('album', 'album_photos')) = (album_id IS NOT NULL)),
    CHECK ((kind IN ('album', 'album_photos')) = (photo_id IS NULL)),
    CHECK ((kind = 'album_photos') = (since_at IS NOT NULL))
);
INSERT INTO notifications_0033
    (id, user_id, actor_id, kind, photo_id, comment_id, created_at, read_at, album_id,
     since_at)
SELECT id, user_id, actor_id, kind, photo_id, comment_id, created_at, read_at, album_id,
       since_at
FROM notifications;
-- The counter carries over: an id given once, its row deleted since, is never given again.
INSERT INTO sqlite_sequence (name, seq)
SELECT 'notifications_0033', 0
WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'notifications_0033');
UPDATE sqlite_sequence SET seq = MAX(
    seq,
    COALESCE((SELECT s.seq FROM sqlite_sequence s WHERE s.name = 'notifications'), 0),
    (SELECT COALESCE(MAX(through_id), 0) FROM digests)
) WHERE name = 'notifications_0033';
DROP TABLE notifications;
ALTER TABLE notifications_0033 RENAME TO notifications;

-- 0011's and 0032's indexes, gone with the table.
CREATE INDEX IF NOT EXISTS notifications_list ON notifications(user_id, id);
CREATE INDEX IF NOT EXISTS notifications_unread ON notifications(user_id, read_at, photo_id);
CREATE UNIQUE INDEX IF NOT EXISTS notifications_one_like
    ON notifications(photo_id, actor_id) WHERE kind = 'like';
CREATE INDEX IF NOT EXISTS notifications_photo ON notifications(photo_id);
CREATE INDEX IF NOT EXISTS notifications_comment ON notifications(comment_id);
CREATE INDEX IF NOT EXISTS notifications_actor ON notifications(actor_id);
CREATE UNIQUE INDEX IF NOT EXISTS notifications_one_album
    ON notifications(album_id, user_id) WHERE kind = 'album';
CREATE INDEX IF NOT EXISTS notifications_album ON notifications(album_id);
-- One unread run of additions per album, member and person adding: more photos added
-- before it is read join it.
CREATE UNIQUE INDEX IF NOT EXISTS notifications_one_album_run
    ON notifications(album_id, user_id, actor_id) WHERE kind = 'album_photos' AND read_at IS NULL;
