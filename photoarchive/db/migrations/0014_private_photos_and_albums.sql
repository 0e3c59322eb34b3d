-- Who may see a photo (library/access.py): every member ("family", the default: no row) or only
-- its owner and the members of albums holding it ("private": a row here). Share links will
-- grant their photos to a link's holder. Tables of their own, not columns of photos:
-- CREATE ... IF NOT EXISTS runs again unharmed when an archive's user_version is rewound.
CREATE TABLE IF NOT EXISTS private_photos (
    photo_id    INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    made_at     TEXT NOT NULL
);

-- What a person's new photos are unless they say otherwise on upload; no row means 'family'.
CREATE TABLE IF NOT EXISTS upload_defaults (
    user_id     INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    visibility  TEXT NOT NULL DEFAULT 'family' CHECK (visibility IN ('family', 'private'))
);

-- Albums: one owner, some members; the photos stay their owners' (an album only holds them).
CREATE TABLE IF NOT EXISTS albums (
    id              INTEGER PRIMARY KEY,
    owner_id        INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    cover_photo_id  INTEGER REFERENCES photos(id) ON DELETE SET NULL,
    sort            TEXT NOT NULL DEFAULT 'taken_desc'
                    CHECK (sort IN ('taken_desc', 'taken_asc', 'added_desc')),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS albums_owner ON albums(owner_id, id);
CREATE INDEX IF NOT EXISTS albums_cover ON albums(cover_photo_id);

-- Everyone who may open an album, its owner included (role 'owner'): "a member of an album
-- holding this photo" is then one join, whoever the member is.
CREATE TABLE IF NOT EXISTS album_members (
    album_id    INTEGER NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role        TEXT NOT NULL CHECK (role IN ('owner', 'contributor', 'viewer')),
    added_at    TEXT NOT NULL,
    PRIMARY KEY (album_id, user_id)
);
-- The albums a person belongs to (their list of albums).
CREATE INDEX IF NOT EXISTS album_members_user ON album_members(user_id, album_id);

CREATE TABLE IF NOT EXISTS album_photos (
    album_id    INTEGER NOT NULL REFERENCES albums(id) ON DELETE CASCADE,
    photo_id    INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    added_by    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    added_at    TEXT NOT NULL,
    PRIMARY KEY (album_id, photo_id)
);
-- The albums holding a photo: with album_members' key, "is this viewer a member of an album
-- holding this photo" is two index lookups (access.visible_sql, photos.PHOTO_COLUMNS).
CREATE INDEX IF NOT EXISTS album_photos_photo ON album_photos(photo_id, album_id);
CREATE INDEX IF NOT EXISTS album_photos_added_by ON album_photos(added_by);
