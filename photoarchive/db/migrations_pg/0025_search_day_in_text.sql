-- Search takes the newest matches from photo_text alone: each row keeps the number SQLite's
-- photo_words numbers its row by (migration 0023: the day of the photo's date taken, else of
-- its upload, times 2^32, plus its id), kept in step by triggers whenever that date changes.
-- Before, every match was joined to its photo to be dated, and the rare word's thousand
-- matches were all read, dated and sorted for one page. photo_text is derived (its triggers
-- write it, `db copy` never does), so a column of it is no fact of a photo's of its own.
ALTER TABLE photo_text ADD COLUMN IF NOT EXISTS code BIGINT;
UPDATE photo_text pt
   SET code = search_day(COALESCE(p.taken_at, p.created_at))::BIGINT * 4294967296 + p.id
  FROM photos p
 WHERE p.id = pt.photo_id AND pt.code IS DISTINCT FROM
       search_day(COALESCE(p.taken_at, p.created_at))::BIGINT * 4294967296 + p.id;
ALTER TABLE photo_text ALTER COLUMN code SET NOT NULL;
CREATE INDEX IF NOT EXISTS photo_text_code ON photo_text (code);
-- A page's few days are a sliver of the number's range: with ANALYZE's default hundred
-- buckets the planner took the hundred photos of two days for a thousand, and read a common
-- word's whole list from the words' index to intersect with them (a page took 6 ms rather
-- than 1.4 at 100,000 photos). A thousand buckets (ANALYZE then samples up to 300,000 rows)
-- see them. Analysed at once: search plans by these statistics from the first page on.
ALTER TABLE photo_text ALTER COLUMN code SET STATISTICS 1000;
ANALYZE photo_text;

-- As in 0020, and the number too.
CREATE OR REPLACE FUNCTION photo_text_refresh(photo BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM photos WHERE id = photo FOR NO KEY UPDATE;
  INSERT INTO photo_text (photo_id, words, camera, lens, code)
  SELECT p.id,
         search_columns(
           p.caption,
           (SELECT string_agg(c.text, ' ' ORDER BY c.id) FROM comments c WHERE c.photo_id = p.id),
           p.filename,
           COALESCE(p.camera_make, '') || ' ' || COALESCE(p.camera_model, ''),
           p.lens),
         search_vector(COALESCE(p.camera_make, '') || ' ' || COALESCE(p.camera_model, '')),
         search_vector(p.lens),
         search_day(COALESCE(p.taken_at, p.created_at))::BIGINT * 4294967296 + p.id
  FROM photos p WHERE p.id = photo
  ON CONFLICT (photo_id) DO UPDATE
    SET words = EXCLUDED.words, camera = EXCLUDED.camera, lens = EXCLUDED.lens,
        code = EXCLUDED.code;
END
$$;

-- A new date taken (set, shifted, another offset) or upload time: the row's number again. The
-- UPDATE of photos holds the photo's row, so a refresh of its words (which locks it first)
-- waits and then reads the new date.
CREATE OR REPLACE FUNCTION photo_text_of_date() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE photo_text
     SET code = search_day(COALESCE(NEW.taken_at, NEW.created_at))::BIGINT * 4294967296 + NEW.id
   WHERE photo_id = NEW.id;
  RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS photo_text_date ON photos;
CREATE TRIGGER photo_text_date AFTER UPDATE OF taken_at, created_at ON photos
  FOR EACH ROW EXECUTE FUNCTION photo_text_of_date();

-- 0023's index of the same number on photos: nothing asks it any more.
DROP INDEX IF EXISTS photos_search_code;

-- search_phrase (0020) as the planner may work out once, while planning, from the bound text:
-- the query is then a constant, which it weighs against the column's statistics and the index
-- answers, and which no row pays for again. Not truly immutable (unaccent's rules and ICU's
-- case folding could change with the server), so never for an index or a stored column: a
-- statement that uses it is planned afresh each time (db/pg_search.py), and reads today's rules.
CREATE OR REPLACE FUNCTION search_phrase_folded(value TEXT, prefix BOOLEAN) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT search_phrase(value, prefix)
$$;
