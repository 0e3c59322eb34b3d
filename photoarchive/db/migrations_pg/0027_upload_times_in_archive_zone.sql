-- SQLite's 0027 (../migrations/0027_upload_times_in_archive_zone.sql), which says why: a photo
-- without a date taken is placed by its upload time on the archive's clock, created_local,
-- worked out by library/upload_clock.py (at start for the photos already there). Every
-- expression that placed a photo by COALESCE(taken_at, created_at) now reads
-- COALESCE(taken_at, created_local, created_at): the indexes, the month counts' functions
-- (0023), the search row's number (0025) and the index of photos without a day (0023).
ALTER TABLE photos ADD COLUMN created_local TEXT;
CREATE TABLE archive_clock (
    id    BIGINT PRIMARY KEY CHECK (id = 1),
    zone  TEXT NOT NULL
);
CREATE INDEX photos_created_local_unset ON photos (id) WHERE created_local IS NULL;

DROP INDEX IF EXISTS photos_taken_order;
CREATE INDEX photos_taken_order ON photos((COALESCE(taken_at, created_local, created_at)), id);
DROP INDEX IF EXISTS photos_timeline;
CREATE INDEX photos_timeline ON photos((COALESCE(taken_at, created_local, created_at)));
DROP INDEX IF EXISTS photos_without_day;
CREATE INDEX photos_without_day ON photos (id)
  WHERE search_day(COALESCE(taken_at, created_local, created_at)) = 0;

CREATE OR REPLACE FUNCTION timeline_counts_photo_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO family_months (month, photos)
    SELECT substr(COALESCE(NEW.taken_at, NEW.created_local, NEW.created_at), 1, 7), 1
    WHERE NOT EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = NEW.id)
      AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = NEW.id)
      AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = NEW.id)
    ON CONFLICT (month) DO UPDATE SET photos = family_months.photos + 1;
    INSERT INTO private_months (owner_id, month, photos)
    SELECT NEW.owner_id, substr(COALESCE(NEW.taken_at, NEW.created_local, NEW.created_at), 1, 7), 1
    WHERE EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = NEW.id)
      AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = NEW.id)
      AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = NEW.id)
    ON CONFLICT (owner_id, month) DO UPDATE SET photos = private_months.photos + 1;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION timeline_counts_photo_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE family_months SET photos = photos - 1
    WHERE month = substr(COALESCE(OLD.taken_at, OLD.created_local, OLD.created_at), 1, 7)
      AND NOT EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = OLD.id)
      AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = OLD.id)
      AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = OLD.id);
    UPDATE private_months SET photos = photos - 1
    WHERE owner_id = OLD.owner_id
      AND month = substr(COALESCE(OLD.taken_at, OLD.created_local, OLD.created_at), 1, 7)
      AND EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = OLD.id)
      AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = OLD.id)
      AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = OLD.id);
    RETURN OLD;
END
$$;

CREATE OR REPLACE FUNCTION timeline_counts_photo_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE family_months SET photos = photos - 1
    WHERE month = substr(COALESCE(OLD.taken_at, OLD.created_local, OLD.created_at), 1, 7)
      AND NOT EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = OLD.id)
      AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = OLD.id)
      AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = OLD.id);
    UPDATE private_months SET photos = photos - 1
    WHERE owner_id = OLD.owner_id
      AND month = substr(COALESCE(OLD.taken_at, OLD.created_local, OLD.created_at), 1, 7)
      AND EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = OLD.id)
      AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = OLD.id)
      AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = OLD.id);
    INSERT INTO family_months (month, photos)
    SELECT substr(COALESCE(NEW.taken_at, NEW.created_local, NEW.created_at), 1, 7), 1
    WHERE NOT EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = NEW.id)
      AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = NEW.id)
      AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = NEW.id)
    ON CONFLICT (month) DO UPDATE SET photos = family_months.photos + 1;
    INSERT INTO private_months (owner_id, month, photos)
    SELECT NEW.owner_id, substr(COALESCE(NEW.taken_at, NEW.created_local, NEW.created_at), 1, 7), 1
    WHERE EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = NEW.id)
      AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = NEW.id)
      AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = NEW.id)
    ON CONFLICT (owner_id, month) DO UPDATE SET photos = private_months.photos + 1;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION timeline_counts_private_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE family_months SET photos = photos - 1
    WHERE month = (SELECT substr(COALESCE(p.taken_at, p.created_local, p.created_at), 1, 7)
                   FROM photos p WHERE p.id = NEW.photo_id)
      AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = NEW.photo_id)
      AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = NEW.photo_id);
    INSERT INTO private_months (owner_id, month, photos)
    SELECT p.owner_id, substr(COALESCE(p.taken_at, p.created_local, p.created_at), 1, 7), 1
    FROM photos p
    WHERE p.id = NEW.photo_id
      AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = NEW.photo_id)
      AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = NEW.photo_id)
    ON CONFLICT (owner_id, month) DO UPDATE SET photos = private_months.photos + 1;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION timeline_counts_private_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE private_months SET photos = photos - 1
    WHERE owner_id = (SELECT p.owner_id FROM photos p WHERE p.id = OLD.photo_id)
      AND month = (SELECT substr(COALESCE(p.taken_at, p.created_local, p.created_at), 1, 7)
                   FROM photos p WHERE p.id = OLD.photo_id)
      AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = OLD.photo_id)
      AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = OLD.photo_id);
    INSERT INTO family_months (month, photos)
    SELECT substr(COALESCE(p.taken_at, p.created_local, p.created_at), 1, 7), 1
    FROM photos p
    WHERE p.id = OLD.photo_id
      AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = OLD.photo_id)
      AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = OLD.photo_id)
    ON CONFLICT (month) DO UPDATE SET photos = family_months.photos + 1;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION timeline_counts_trashed_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE family_months SET photos = photos - 1
    WHERE month = (SELECT substr(COALESCE(p.taken_at, p.created_local, p.created_at), 1, 7)
                   FROM photos p WHERE p.id = NEW.photo_id)
      AND NOT EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = NEW.photo_id)
      AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = NEW.photo_id);
    UPDATE private_months SET photos = photos - 1
    WHERE owner_id = (SELECT p.owner_id FROM photos p WHERE p.id = NEW.photo_id)
      AND month = (SELECT substr(COALESCE(p.taken_at, p.created_local, p.created_at), 1, 7)
                   FROM photos p WHERE p.id = NEW.photo_id)
      AND EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = NEW.photo_id)
      AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = NEW.photo_id);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION timeline_counts_archived_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE family_months SET photos = photos - 1
    WHERE month = (SELECT substr(COALESCE(p.taken_at, p.created_local, p.created_at), 1, 7)
                   FROM photos p WHERE p.id = NEW.photo_id)
      AND NOT EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = NEW.photo_id)
      AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = NEW.photo_id);
    UPDATE private_months SET photos = photos - 1
    WHERE owner_id = (SELECT p.owner_id FROM photos p WHERE p.id = NEW.photo_id)
      AND month = (SELECT substr(COALESCE(p.taken_at, p.created_local, p.created_at), 1, 7)
                   FROM photos p WHERE p.id = NEW.photo_id)
      AND EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = NEW.photo_id)
      AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = NEW.photo_id);
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION timeline_counts_trashed_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO family_months (month, photos)
    SELECT substr(COALESCE(p.taken_at, p.created_local, p.created_at), 1, 7), 1
    FROM photos p
    WHERE p.id = OLD.photo_id
      AND NOT EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = OLD.photo_id)
      AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = OLD.photo_id)
    ON CONFLICT (month) DO UPDATE SET photos = family_months.photos + 1;
    INSERT INTO private_months (owner_id, month, photos)
    SELECT p.owner_id, substr(COALESCE(p.taken_at, p.created_local, p.created_at), 1, 7), 1
    FROM photos p
    WHERE p.id = OLD.photo_id
      AND EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = OLD.photo_id)
      AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = OLD.photo_id)
    ON CONFLICT (owner_id, month) DO UPDATE SET photos = private_months.photos + 1;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION timeline_counts_archived_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO family_months (month, photos)
    SELECT substr(COALESCE(p.taken_at, p.created_local, p.created_at), 1, 7), 1
    FROM photos p
    WHERE p.id = OLD.photo_id
      AND NOT EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = OLD.photo_id)
      AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = OLD.photo_id)
    ON CONFLICT (month) DO UPDATE SET photos = family_months.photos + 1;
    INSERT INTO private_months (owner_id, month, photos)
    SELECT p.owner_id, substr(COALESCE(p.taken_at, p.created_local, p.created_at), 1, 7), 1
    FROM photos p
    WHERE p.id = OLD.photo_id
      AND EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = OLD.photo_id)
      AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = OLD.photo_id)
    ON CONFLICT (owner_id, month) DO UPDATE SET photos = private_months.photos + 1;
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS timeline_counts_photo_update ON photos;
CREATE TRIGGER timeline_counts_photo_update
  AFTER UPDATE OF taken_at, created_at, created_local, owner_id ON photos
  FOR EACH ROW EXECUTE FUNCTION timeline_counts_photo_update();

-- 0025's search row number, on the new expression.
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
         search_day(COALESCE(p.taken_at, p.created_local, p.created_at))::BIGINT * 4294967296
           + p.id
  FROM photos p WHERE p.id = photo
  ON CONFLICT (photo_id) DO UPDATE
    SET words = EXCLUDED.words, camera = EXCLUDED.camera, lens = EXCLUDED.lens,
        code = EXCLUDED.code;
END
$$;

CREATE OR REPLACE FUNCTION photo_text_of_date() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE photo_text
     SET code = search_day(COALESCE(NEW.taken_at, NEW.created_local, NEW.created_at))::BIGINT
                * 4294967296 + NEW.id
   WHERE photo_id = NEW.id;
  RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS photo_text_date ON photos;
CREATE TRIGGER photo_text_date AFTER UPDATE OF taken_at, created_at, created_local ON photos
  FOR EACH ROW EXECUTE FUNCTION photo_text_of_date();
