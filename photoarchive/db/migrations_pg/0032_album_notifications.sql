-- A member is told when someone adds them to an album (the same change as SQLite's 0032,
-- made in place): a notification of kind 'album' names the album, not a photo.
ALTER TABLE notifications ADD COLUMN album_id BIGINT REFERENCES albums(id) ON DELETE CASCADE;
ALTER TABLE notifications ALTER COLUMN photo_id DROP NOT NULL;
ALTER TABLE notifications DROP CONSTRAINT notifications_kind_check;
ALTER TABLE notifications ADD CONSTRAINT notifications_kind_check
    CHECK (kind IN ('comment', 'like', 'album'));
-- A notification is about a photo or, being added to one, an album: one of the two.
ALTER TABLE notifications ADD CONSTRAINT notifications_album_check
    CHECK ((kind = 'album') = (album_id IS NOT NULL));
ALTER TABLE notifications ADD CONSTRAINT notifications_photo_check
    CHECK ((kind = 'album') = (photo_id IS NULL));
-- One per member and album (a member removed loses theirs: added again, they are told again).
CREATE UNIQUE INDEX notifications_one_album
    ON notifications(album_id, user_id) WHERE kind = 'album';
-- What the album's cascade looks rows up by.
CREATE INDEX notifications_album ON notifications(album_id);
