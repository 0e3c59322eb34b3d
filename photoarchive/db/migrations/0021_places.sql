-- Where a photo was taken, as a town and a country: looked up offline from its coordinates
-- (library/places.py) at upload, and for older photos by a backfill. A side table of its own,
-- so that this file runs again unharmed when an archive's user_version is rewound.
CREATE TABLE IF NOT EXISTS photo_places (
    photo_id      INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    city          TEXT,
    region        TEXT,
    country       TEXT,
    country_code  TEXT
);
CREATE INDEX IF NOT EXISTS photo_places_country ON photo_places(country_code, city);
-- People who chose to show the town and country of their photos to others (off by default).
CREATE TABLE IF NOT EXISTS place_sharing (
    user_id  INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    since    TEXT NOT NULL
);
