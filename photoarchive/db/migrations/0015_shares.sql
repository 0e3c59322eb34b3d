-- Share links (library/shares.py): a link to an album, or to some of its creator's photos, for
-- people with no account. The database keeps no usable token: `token_hash` (SHA-256 of the
-- token) is what a request is looked up by, and `token_seed` is random bytes the token is
-- derived from with the archive's secret key (HMAC), so that its creator can be shown the
-- link again while a copy of this file alone opens nothing.
-- CREATE ... IF NOT EXISTS runs again unharmed when an archive's user_version is rewound.
CREATE TABLE IF NOT EXISTS shares (
    id              INTEGER PRIMARY KEY,
    creator_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash      TEXT NOT NULL UNIQUE,
    token_seed      TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('album', 'photos')),
    -- An album's link dies with its album.
    album_id        INTEGER REFERENCES albums(id) ON DELETE CASCADE,
    expires_at      TEXT,            -- UTC, ISO 8601 with a Z; NULL: never
    password_hash   TEXT,            -- argon2id; NULL: no password
    allow_download  INTEGER NOT NULL DEFAULT 0,
    show_metadata   INTEGER NOT NULL DEFAULT 0,
    view_count      INTEGER NOT NULL DEFAULT 0,
    revoked_at      TEXT,            -- set once: a revoked link is gone for good
    created_at      TEXT NOT NULL,
    CHECK ((kind = 'album') = (album_id IS NOT NULL))
);
-- One's own links, newest first (GET /api/v1/shares, /settings).
CREATE INDEX IF NOT EXISTS shares_creator ON shares(creator_id, id);
CREATE INDEX IF NOT EXISTS shares_album ON shares(album_id);

-- The photos of a photo link, in the order they were given. A deleted photo leaves it.
CREATE TABLE IF NOT EXISTS share_photos (
    share_id    INTEGER NOT NULL REFERENCES shares(id) ON DELETE CASCADE,
    photo_id    INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    PRIMARY KEY (share_id, photo_id)
);
CREATE INDEX IF NOT EXISTS share_photos_photo ON share_photos(photo_id);
