-- A photo turned by its owner: clockwise, on top of the way its EXIF orientation stands it up.
-- No row means not turned (0). The original's bytes never change: its renditions are made again
-- from it, stored under keys that name the turn (see storage.rendition_key). A table of its own,
-- not a column of photos, so that this file runs again unharmed when user_version is rewound.
CREATE TABLE IF NOT EXISTS photo_rotations (
    photo_id    INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    rotation    INTEGER NOT NULL CHECK (rotation IN (90, 180, 270)),
    rotated_at  TEXT NOT NULL
);
