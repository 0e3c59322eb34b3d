-- A member is told when someone else adds photos to an album they are in (the same change
-- as SQLite's 0033, made in place): kind 'album_photos' names the album and who added;
-- `since_at` is when that run of additions began (the photos are counted when read).
ALTER TABLE notifications ADD COLUMN since_at TEXT;
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('comment', 'like', 'album', 'album_photos'));
ALTER TABLE notifications DROP CONSTRAINT notifications_album_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_album_check
    CHECK ((kind IN ('album', 'album_photos')) = (album_id IS NOT NULL));
ALTER TABLE notifications DROP CONSTRAINT notifications_photo_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_photo_check
    CHECK ((kind IN ('album', 'album_photos')) = (photo_id IS NULL));
ALTER TABLE notifications ADD CONSTRAINT notifications_since_check
    CHECK ((kind = 'album_photos') = (since_at IS NOT NULL));
-- One unread run of additions per album, member and person adding: more photos added
-- before it is read join it.
CREATE UNIQUE INDEX notifications_one_album_run
    ON notifications(album_id, user_id, actor_id) WHERE kind = 'album_photos' AND read_at IS NULL;
