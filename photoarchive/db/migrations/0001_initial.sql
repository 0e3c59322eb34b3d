-- Users, sessions, invites, photos, comments and likes.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL,
    username_key  TEXT NOT NULL UNIQUE,          -- lower-cased, for case-insensitive uniqueness
    email         TEXT NOT NULL,
    email_key     TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL DEFAULT '',
    password_hash TEXT,                          -- NULL for externally managed accounts
    external_id   TEXT UNIQUE,                   -- identity provider subject, when not local
    is_admin      INTEGER NOT NULL DEFAULT 0,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL
);

CREATE TABLE sessions (
    id            INTEGER PRIMARY KEY,
    token_hash    BLOB NOT NULL UNIQUE,          -- sha256 of the token; the token itself is never stored
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind          TEXT NOT NULL CHECK (kind IN ('cookie', 'bearer')),
    created_at    REAL NOT NULL,
    last_seen_at  REAL NOT NULL,
    user_agent    TEXT NOT NULL DEFAULT '',
    client_ip     TEXT NOT NULL DEFAULT '',
    refresh_token TEXT
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE invites (
    id            INTEGER PRIMARY KEY,
    token_hash    BLOB NOT NULL UNIQUE,
    created_by    INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at    REAL NOT NULL,
    expires_at    REAL NOT NULL,
    used_by       INTEGER REFERENCES users(id) ON DELETE SET NULL,
    used_at       REAL
);

CREATE TABLE photos (
    id            INTEGER PRIMARY KEY,
    owner_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    sha256        TEXT NOT NULL,
    bytes         INTEGER NOT NULL,
    content_type  TEXT NOT NULL,
    filename      TEXT NOT NULL DEFAULT '',
    caption       TEXT NOT NULL DEFAULT '',
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    preview_width INTEGER NOT NULL,
    taken_at      TEXT,
    camera_make   TEXT,
    camera_model  TEXT,
    lens          TEXT,
    focal_length  REAL,
    aperture      REAL,
    exposure_time TEXT,
    iso           INTEGER,
    gps_lat       REAL,
    gps_lon       REAL,
    placeholder   TEXT NOT NULL DEFAULT '',
    like_count    INTEGER NOT NULL DEFAULT 0,
    comment_count INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    UNIQUE (owner_id, sha256)
);
CREATE INDEX photos_owner ON photos(owner_id, id);
CREATE INDEX photos_sha256 ON photos(sha256);

CREATE TABLE comments (
    id            INTEGER PRIMARY KEY,
    photo_id      INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    author_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    text          TEXT NOT NULL,
    created_at    TEXT NOT NULL
);
CREATE INDEX comments_photo ON comments(photo_id, id);
CREATE INDEX comments_author ON comments(author_id);

CREATE TABLE likes (
    photo_id      INTEGER NOT NULL REFERENCES photos(id) ON DELETE CASCADE,
    user_id       INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at    TEXT NOT NULL,
    PRIMARY KEY (photo_id, user_id)
) WITHOUT ROWID;
CREATE INDEX likes_user ON likes(user_id, photo_id);
