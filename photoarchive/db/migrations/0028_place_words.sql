-- The words of a photo's town, region and country as `place:` compares them: without accents,
-- in lower case, split at every mark that is no letter or digit (library/places.py folds them,
-- in Python: SQLite's LOWER folds A-Z alone). Written with the place; places kept before are
-- folded at start. A table of its own, so that this file runs again unharmed when an
-- archive's user_version is rewound.
CREATE TABLE IF NOT EXISTS place_words (
    photo_id  INTEGER PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    words     TEXT NOT NULL
);
