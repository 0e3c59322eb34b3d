-- The words of a photo's place as `place:` compares them: SQLite's 0028.
CREATE TABLE place_words (
    photo_id  BIGINT PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    words     TEXT NOT NULL
);
