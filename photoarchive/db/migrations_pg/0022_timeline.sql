-- The timeline (library/timeline.py): SQLite's 0022. A page walks the first index from a month
-- down; the month list counts the second without reading a photo's row; memories look a day of
-- the year up in the third.
CREATE INDEX photos_timeline ON photos((COALESCE(taken_at, created_at)));
CREATE INDEX photos_months
    ON photos((substr(COALESCE(taken_at, created_at), 1, 7)), owner_id);
CREATE INDEX photos_taken_day ON photos((substr(taken_at, 6, 5)));
