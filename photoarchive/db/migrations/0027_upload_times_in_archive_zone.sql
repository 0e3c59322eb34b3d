-- A photo without a date taken is placed by its upload time: in the month, on the day and in
-- the order that time has on the archive's clock (PHOTOARCHIVE_TIMEZONE), as a date taken is
-- the clock where the photo was taken. Before, the upload time was read in UTC: a photo
-- uploaded at 00:30 on 1 August in Paris (22:30 UTC on 31 July) sat in July.
--
-- created_local is that time as wall-clock text in the archive's zone ("2024-08-01T00:30:00",
-- no offset): ingest writes it with created_at, and library/upload_clock.py works it out
-- again for every photo at start when the archive's zone is not the one archive_clock says
-- the stored times were worked out in (so also at the first start after this migration,
-- which knows no zone: SQL cannot read the tz database). Until then, and for a row written
-- without it (a script), NULL: the photo is placed by created_at, as before.
--
-- Every expression that placed a photo by COALESCE(taken_at, created_at) now reads
-- COALESCE(taken_at, created_local, created_at): the indexes of migrations 0020 and 0022,
-- the month counts' triggers (0023) and the search index's day numbers (0023). A new
-- created_local moves a photo's counts and its index row as a new date taken does.
ALTER TABLE photos ADD COLUMN created_local TEXT;
-- The archive's zone the stored created_local values were worked out in (one row).
CREATE TABLE IF NOT EXISTS archive_clock (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    zone  TEXT NOT NULL
);
-- Photos whose local upload time is still to be worked out: found at start without a scan.
CREATE INDEX IF NOT EXISTS photos_created_local_unset ON photos (id) WHERE created_local IS NULL;

DROP INDEX IF EXISTS photos_taken_order;
CREATE INDEX IF NOT EXISTS photos_taken_order
    ON photos(COALESCE(taken_at, created_local, created_at), id);
DROP INDEX IF EXISTS photos_timeline;
CREATE INDEX IF NOT EXISTS photos_timeline
    ON photos((COALESCE(taken_at, created_local, created_at)));

-- Migration 0023's triggers, the same statements on the new expression. The counts and the
-- index's rows they keep are unchanged by this file: created_local is NULL everywhere yet.
DROP TRIGGER IF EXISTS timeline_counts_photo_insert;
CREATE TRIGGER timeline_counts_photo_insert AFTER INSERT ON photos BEGIN
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
END;

DROP TRIGGER IF EXISTS timeline_counts_photo_delete;
CREATE TRIGGER timeline_counts_photo_delete BEFORE DELETE ON photos BEGIN
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
END;

DROP TRIGGER IF EXISTS timeline_counts_photo_update;
CREATE TRIGGER timeline_counts_photo_update AFTER UPDATE OF taken_at, created_at, created_local, owner_id ON photos BEGIN
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
END;

DROP TRIGGER IF EXISTS timeline_counts_private_insert;
CREATE TRIGGER timeline_counts_private_insert AFTER INSERT ON private_photos BEGIN
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
END;

DROP TRIGGER IF EXISTS timeline_counts_private_delete;
CREATE TRIGGER timeline_counts_private_delete AFTER DELETE ON private_photos BEGIN
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
END;

DROP TRIGGER IF EXISTS timeline_counts_trashed_insert;
CREATE TRIGGER timeline_counts_trashed_insert AFTER INSERT ON trashed_photos BEGIN
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
END;

DROP TRIGGER IF EXISTS timeline_counts_archived_insert;
CREATE TRIGGER timeline_counts_archived_insert AFTER INSERT ON archived_photos BEGIN
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
END;

DROP TRIGGER IF EXISTS timeline_counts_trashed_delete;
CREATE TRIGGER timeline_counts_trashed_delete AFTER DELETE ON trashed_photos BEGIN
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
END;

DROP TRIGGER IF EXISTS timeline_counts_archived_delete;
CREATE TRIGGER timeline_counts_archived_delete AFTER DELETE ON archived_photos BEGIN
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
END;

DROP TRIGGER IF EXISTS photo_words_insert;
CREATE TRIGGER photo_words_insert AFTER INSERT ON photos BEGIN
  INSERT INTO photo_words (rowid, caption, comments, filename, camera, lens)
  VALUES ((CASE WHEN COALESCE(NEW.taken_at, NEW.created_local, NEW.created_at) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
        THEN CAST(substr(COALESCE(NEW.taken_at, NEW.created_local, NEW.created_at), 1, 4) || substr(COALESCE(NEW.taken_at, NEW.created_local, NEW.created_at), 6, 2) || substr(COALESCE(NEW.taken_at, NEW.created_local, NEW.created_at), 9, 2) AS INTEGER)
        ELSE 0 END) * 4294967296 + NEW.id,
          NEW.caption, '', NEW.filename,
          COALESCE(NEW.camera_make, '') || ' ' || COALESCE(NEW.camera_model, ''),
          COALESCE(NEW.lens, ''));
END;

DROP TRIGGER IF EXISTS photo_words_update;
CREATE TRIGGER photo_words_update AFTER UPDATE OF caption, filename, camera_make, camera_model, lens, taken_at, created_at,
    created_local ON photos BEGIN
  DELETE FROM photo_words WHERE rowid = (CASE WHEN COALESCE(OLD.taken_at, OLD.created_local, OLD.created_at) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
        THEN CAST(substr(COALESCE(OLD.taken_at, OLD.created_local, OLD.created_at), 1, 4) || substr(COALESCE(OLD.taken_at, OLD.created_local, OLD.created_at), 6, 2) || substr(COALESCE(OLD.taken_at, OLD.created_local, OLD.created_at), 9, 2) AS INTEGER)
        ELSE 0 END) * 4294967296 + OLD.id;
  INSERT INTO photo_words (rowid, caption, comments, filename, camera, lens)
  SELECT (CASE WHEN COALESCE(p.taken_at, p.created_local, p.created_at) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
        THEN CAST(substr(COALESCE(p.taken_at, p.created_local, p.created_at), 1, 4) || substr(COALESCE(p.taken_at, p.created_local, p.created_at), 6, 2) || substr(COALESCE(p.taken_at, p.created_local, p.created_at), 9, 2) AS INTEGER)
        ELSE 0 END) * 4294967296 + p.id,
         p.caption,
         COALESCE((SELECT group_concat(c.text, ' ') FROM comments c WHERE c.photo_id = p.id), ''),
         p.filename,
         COALESCE(p.camera_make, '') || ' ' || COALESCE(p.camera_model, ''),
         COALESCE(p.lens, '') FROM photos p WHERE p.id = NEW.id;
END;

DROP TRIGGER IF EXISTS photo_words_delete;
CREATE TRIGGER photo_words_delete AFTER DELETE ON photos BEGIN
  DELETE FROM photo_words WHERE rowid = (CASE WHEN COALESCE(OLD.taken_at, OLD.created_local, OLD.created_at) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
        THEN CAST(substr(COALESCE(OLD.taken_at, OLD.created_local, OLD.created_at), 1, 4) || substr(COALESCE(OLD.taken_at, OLD.created_local, OLD.created_at), 6, 2) || substr(COALESCE(OLD.taken_at, OLD.created_local, OLD.created_at), 9, 2) AS INTEGER)
        ELSE 0 END) * 4294967296 + OLD.id;
END;

DROP TRIGGER IF EXISTS photo_words_comment_insert;
CREATE TRIGGER photo_words_comment_insert AFTER INSERT ON comments BEGIN
  DELETE FROM photo_words WHERE rowid = (SELECT (CASE WHEN COALESCE(p.taken_at, p.created_local, p.created_at) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
        THEN CAST(substr(COALESCE(p.taken_at, p.created_local, p.created_at), 1, 4) || substr(COALESCE(p.taken_at, p.created_local, p.created_at), 6, 2) || substr(COALESCE(p.taken_at, p.created_local, p.created_at), 9, 2) AS INTEGER)
        ELSE 0 END) * 4294967296 + p.id FROM photos p WHERE p.id = NEW.photo_id);
  INSERT INTO photo_words (rowid, caption, comments, filename, camera, lens)
  SELECT (CASE WHEN COALESCE(p.taken_at, p.created_local, p.created_at) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
        THEN CAST(substr(COALESCE(p.taken_at, p.created_local, p.created_at), 1, 4) || substr(COALESCE(p.taken_at, p.created_local, p.created_at), 6, 2) || substr(COALESCE(p.taken_at, p.created_local, p.created_at), 9, 2) AS INTEGER)
        ELSE 0 END) * 4294967296 + p.id,
         p.caption,
         COALESCE((SELECT group_concat(c.text, ' ') FROM comments c WHERE c.photo_id = p.id), ''),
         p.filename,
         COALESCE(p.camera_make, '') || ' ' || COALESCE(p.camera_model, ''),
         COALESCE(p.lens, '') FROM photos p WHERE p.id = NEW.photo_id;
END;

DROP TRIGGER IF EXISTS photo_words_comment_update;
CREATE TRIGGER photo_words_comment_update AFTER UPDATE OF text ON comments BEGIN
  DELETE FROM photo_words WHERE rowid = (SELECT (CASE WHEN COALESCE(p.taken_at, p.created_local, p.created_at) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
        THEN CAST(substr(COALESCE(p.taken_at, p.created_local, p.created_at), 1, 4) || substr(COALESCE(p.taken_at, p.created_local, p.created_at), 6, 2) || substr(COALESCE(p.taken_at, p.created_local, p.created_at), 9, 2) AS INTEGER)
        ELSE 0 END) * 4294967296 + p.id FROM photos p WHERE p.id = NEW.photo_id);
  INSERT INTO photo_words (rowid, caption, comments, filename, camera, lens)
  SELECT (CASE WHEN COALESCE(p.taken_at, p.created_local, p.created_at) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
        THEN CAST(substr(COALESCE(p.taken_at, p.created_local, p.created_at), 1, 4) || substr(COALESCE(p.taken_at, p.created_local, p.created_at), 6, 2) || substr(COALESCE(p.taken_at, p.created_local, p.created_at), 9, 2) AS INTEGER)
        ELSE 0 END) * 4294967296 + p.id,
         p.caption,
         COALESCE((SELECT group_concat(c.text, ' ') FROM comments c WHERE c.photo_id = p.id), ''),
         p.filename,
         COALESCE(p.camera_make, '') || ' ' || COALESCE(p.camera_model, ''),
         COALESCE(p.lens, '') FROM photos p WHERE p.id = NEW.photo_id;
END;

DROP TRIGGER IF EXISTS photo_words_comment_delete;
CREATE TRIGGER photo_words_comment_delete AFTER DELETE ON comments BEGIN
  DELETE FROM photo_words WHERE rowid = (SELECT (CASE WHEN COALESCE(p.taken_at, p.created_local, p.created_at) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
        THEN CAST(substr(COALESCE(p.taken_at, p.created_local, p.created_at), 1, 4) || substr(COALESCE(p.taken_at, p.created_local, p.created_at), 6, 2) || substr(COALESCE(p.taken_at, p.created_local, p.created_at), 9, 2) AS INTEGER)
        ELSE 0 END) * 4294967296 + p.id FROM photos p WHERE p.id = OLD.photo_id);
  INSERT INTO photo_words (rowid, caption, comments, filename, camera, lens)
  SELECT (CASE WHEN COALESCE(p.taken_at, p.created_local, p.created_at) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
        THEN CAST(substr(COALESCE(p.taken_at, p.created_local, p.created_at), 1, 4) || substr(COALESCE(p.taken_at, p.created_local, p.created_at), 6, 2) || substr(COALESCE(p.taken_at, p.created_local, p.created_at), 9, 2) AS INTEGER)
        ELSE 0 END) * 4294967296 + p.id,
         p.caption,
         COALESCE((SELECT group_concat(c.text, ' ') FROM comments c WHERE c.photo_id = p.id), ''),
         p.filename,
         COALESCE(p.camera_make, '') || ' ' || COALESCE(p.camera_model, ''),
         COALESCE(p.lens, '') FROM photos p WHERE p.id = OLD.photo_id;
END;

-- Counted and indexed afresh by the new expression: the same as before on the first run (no
-- created_local yet); on a rewound archive, 0023 run again has just counted by the old one.
DELETE FROM family_months;
DELETE FROM private_months;
INSERT INTO family_months (month, photos)
SELECT substr(COALESCE(p.taken_at, p.created_local, p.created_at), 1, 7), COUNT(*)
FROM photos p
WHERE NOT EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = p.id)
  AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = p.id)
  AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = p.id)
GROUP BY substr(COALESCE(p.taken_at, p.created_local, p.created_at), 1, 7);
INSERT INTO private_months (owner_id, month, photos)
SELECT p.owner_id, substr(COALESCE(p.taken_at, p.created_local, p.created_at), 1, 7), COUNT(*)
FROM photos p
WHERE EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = p.id)
  AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = p.id)
  AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = p.id)
GROUP BY p.owner_id, substr(COALESCE(p.taken_at, p.created_local, p.created_at), 1, 7);

DELETE FROM photo_words;
INSERT INTO photo_words (rowid, caption, comments, filename, camera, lens)
  SELECT (CASE WHEN COALESCE(p.taken_at, p.created_local, p.created_at) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
        THEN CAST(substr(COALESCE(p.taken_at, p.created_local, p.created_at), 1, 4) || substr(COALESCE(p.taken_at, p.created_local, p.created_at), 6, 2) || substr(COALESCE(p.taken_at, p.created_local, p.created_at), 9, 2) AS INTEGER)
        ELSE 0 END) * 4294967296 + p.id,
         p.caption,
         COALESCE((SELECT group_concat(c.text, ' ') FROM comments c WHERE c.photo_id = p.id), ''),
         p.filename,
         COALESCE(p.camera_make, '') || ' ' || COALESCE(p.camera_model, ''),
         COALESCE(p.lens, '') FROM photos p;
