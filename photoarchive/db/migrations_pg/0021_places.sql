-- Where a photo was taken, as a town and a country (library/places.py), and who shows theirs
-- to others: SQLite's 0021.
CREATE TABLE photo_places (
    photo_id      BIGINT PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    city          TEXT,
    region        TEXT,
    country       TEXT,
    country_code  TEXT
);
CREATE INDEX photo_places_country ON photo_places(country_code, city);
CREATE TABLE place_sharing (
    user_id  BIGINT PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    since    TEXT NOT NULL
);
