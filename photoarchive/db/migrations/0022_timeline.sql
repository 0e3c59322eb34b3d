-- The timeline (library/timeline.py) places a photo by its date taken, else its upload time,
-- and a month is the leading YYYY-MM of that text. A page walks the first index from a month
-- down; the month list counts the second without reading a photo's row (owner_id is what the
-- access rule asks of it); memories look a day of the year up in the third.
CREATE INDEX IF NOT EXISTS photos_timeline ON photos((COALESCE(taken_at, created_at)));
CREATE INDEX IF NOT EXISTS photos_months
    ON photos((substr(COALESCE(taken_at, created_at), 1, 7)), owner_id);
CREATE INDEX IF NOT EXISTS photos_taken_day ON photos((substr(taken_at, 6, 5)));
