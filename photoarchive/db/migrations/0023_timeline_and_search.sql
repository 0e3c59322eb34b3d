-- The timeline's month list (library/month_counts.py) as counts kept up to date, so that a
-- viewer's list is a sum of a few hundred rows, not a pass over every photo with the access
-- rule asked of each. Only photos every list shows are counted: neither in the trash nor
-- archived (timeline.condition). A photo's month is the leading YYYY-MM of its date taken,
-- else its upload time (migration 0022's expression).
--
--   family_months: family photos (no private_photos row), everyone's together, by month.
--   private_months: private photos, by owner and month.
--
-- Triggers keep both in the transaction of every write that changes what is counted: a photo
-- added, deleted, re-dated or given to another owner; a private_photos, trashed_photos or
-- archived_photos row added or taken away. A photo's own delete is counted before it happens
-- (its side rows are still there to say how it was counted); the side rows that then go with it
-- find no photo and change nothing. Months that fall to zero keep their row (at most one per
-- month, per owner); readers leave them out.
CREATE TABLE IF NOT EXISTS family_months (
    month   TEXT PRIMARY KEY,
    photos  INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS private_months (
    owner_id  INTEGER NOT NULL,
    month     TEXT NOT NULL,
    photos    INTEGER NOT NULL,
    PRIMARY KEY (owner_id, month)
);

-- A photo added: counted where its (usually absent) side rows put it.
CREATE TRIGGER IF NOT EXISTS timeline_counts_photo_insert AFTER INSERT ON photos BEGIN
  INSERT INTO family_months (month, photos)
  SELECT substr(COALESCE(NEW.taken_at, NEW.created_at), 1, 7), 1
  WHERE NOT EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = NEW.id)
    AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = NEW.id)
    AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = NEW.id)
  ON CONFLICT (month) DO UPDATE SET photos = family_months.photos + 1;
  INSERT INTO private_months (owner_id, month, photos)
  SELECT NEW.owner_id, substr(COALESCE(NEW.taken_at, NEW.created_at), 1, 7), 1
  WHERE EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = NEW.id)
    AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = NEW.id)
    AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = NEW.id)
  ON CONFLICT (owner_id, month) DO UPDATE SET photos = private_months.photos + 1;
END;

CREATE TRIGGER IF NOT EXISTS timeline_counts_photo_delete BEFORE DELETE ON photos BEGIN
  UPDATE family_months SET photos = photos - 1
  WHERE month = substr(COALESCE(OLD.taken_at, OLD.created_at), 1, 7)
    AND NOT EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = OLD.id)
    AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = OLD.id)
    AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = OLD.id);
  UPDATE private_months SET photos = photos - 1
  WHERE owner_id = OLD.owner_id
    AND month = substr(COALESCE(OLD.taken_at, OLD.created_at), 1, 7)
    AND EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = OLD.id)
    AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = OLD.id)
    AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = OLD.id);
END;

-- A new date taken (or upload time, or owner): out of the old month, into the new one.
CREATE TRIGGER IF NOT EXISTS timeline_counts_photo_update
AFTER UPDATE OF taken_at, created_at, owner_id ON photos BEGIN
  UPDATE family_months SET photos = photos - 1
  WHERE month = substr(COALESCE(OLD.taken_at, OLD.created_at), 1, 7)
    AND NOT EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = OLD.id)
    AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = OLD.id)
    AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = OLD.id);
  UPDATE private_months SET photos = photos - 1
  WHERE owner_id = OLD.owner_id
    AND month = substr(COALESCE(OLD.taken_at, OLD.created_at), 1, 7)
    AND EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = OLD.id)
    AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = OLD.id)
    AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = OLD.id);
  INSERT INTO family_months (month, photos)
  SELECT substr(COALESCE(NEW.taken_at, NEW.created_at), 1, 7), 1
  WHERE NOT EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = NEW.id)
    AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = NEW.id)
    AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = NEW.id)
  ON CONFLICT (month) DO UPDATE SET photos = family_months.photos + 1;
  INSERT INTO private_months (owner_id, month, photos)
  SELECT NEW.owner_id, substr(COALESCE(NEW.taken_at, NEW.created_at), 1, 7), 1
  WHERE EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = NEW.id)
    AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = NEW.id)
    AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = NEW.id)
  ON CONFLICT (owner_id, month) DO UPDATE SET photos = private_months.photos + 1;
END;

-- Made private: a counted photo moves from the family's month to its owner's.
CREATE TRIGGER IF NOT EXISTS timeline_counts_private_insert AFTER INSERT ON private_photos BEGIN
  UPDATE family_months SET photos = photos - 1
  WHERE month = (SELECT substr(COALESCE(p.taken_at, p.created_at), 1, 7)
                 FROM photos p WHERE p.id = NEW.photo_id)
    AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = NEW.photo_id)
    AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = NEW.photo_id);
  INSERT INTO private_months (owner_id, month, photos)
  SELECT p.owner_id, substr(COALESCE(p.taken_at, p.created_at), 1, 7), 1
  FROM photos p
  WHERE p.id = NEW.photo_id
    AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = NEW.photo_id)
    AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = NEW.photo_id)
  ON CONFLICT (owner_id, month) DO UPDATE SET photos = private_months.photos + 1;
END;

-- Made family again: back from its owner's month to the family's.
CREATE TRIGGER IF NOT EXISTS timeline_counts_private_delete AFTER DELETE ON private_photos BEGIN
  UPDATE private_months SET photos = photos - 1
  WHERE owner_id = (SELECT p.owner_id FROM photos p WHERE p.id = OLD.photo_id)
    AND month = (SELECT substr(COALESCE(p.taken_at, p.created_at), 1, 7)
                 FROM photos p WHERE p.id = OLD.photo_id)
    AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = OLD.photo_id)
    AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = OLD.photo_id);
  INSERT INTO family_months (month, photos)
  SELECT substr(COALESCE(p.taken_at, p.created_at), 1, 7), 1
  FROM photos p
  WHERE p.id = OLD.photo_id
    AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = OLD.photo_id)
    AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = OLD.photo_id)
  ON CONFLICT (month) DO UPDATE SET photos = family_months.photos + 1;
END;

-- Into the trash, or archived: no longer counted (if the other did not already keep it out).
CREATE TRIGGER IF NOT EXISTS timeline_counts_trashed_insert AFTER INSERT ON trashed_photos BEGIN
  UPDATE family_months SET photos = photos - 1
  WHERE month = (SELECT substr(COALESCE(p.taken_at, p.created_at), 1, 7)
                 FROM photos p WHERE p.id = NEW.photo_id)
    AND NOT EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = NEW.photo_id)
    AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = NEW.photo_id);
  UPDATE private_months SET photos = photos - 1
  WHERE owner_id = (SELECT p.owner_id FROM photos p WHERE p.id = NEW.photo_id)
    AND month = (SELECT substr(COALESCE(p.taken_at, p.created_at), 1, 7)
                 FROM photos p WHERE p.id = NEW.photo_id)
    AND EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = NEW.photo_id)
    AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = NEW.photo_id);
END;

CREATE TRIGGER IF NOT EXISTS timeline_counts_archived_insert AFTER INSERT ON archived_photos BEGIN
  UPDATE family_months SET photos = photos - 1
  WHERE month = (SELECT substr(COALESCE(p.taken_at, p.created_at), 1, 7)
                 FROM photos p WHERE p.id = NEW.photo_id)
    AND NOT EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = NEW.photo_id)
    AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = NEW.photo_id);
  UPDATE private_months SET photos = photos - 1
  WHERE owner_id = (SELECT p.owner_id FROM photos p WHERE p.id = NEW.photo_id)
    AND month = (SELECT substr(COALESCE(p.taken_at, p.created_at), 1, 7)
                 FROM photos p WHERE p.id = NEW.photo_id)
    AND EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = NEW.photo_id)
    AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = NEW.photo_id);
END;

-- Restored from the trash, or unarchived: counted again (unless the other still keeps it out).
CREATE TRIGGER IF NOT EXISTS timeline_counts_trashed_delete AFTER DELETE ON trashed_photos BEGIN
  INSERT INTO family_months (month, photos)
  SELECT substr(COALESCE(p.taken_at, p.created_at), 1, 7), 1
  FROM photos p
  WHERE p.id = OLD.photo_id
    AND NOT EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = OLD.photo_id)
    AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = OLD.photo_id)
  ON CONFLICT (month) DO UPDATE SET photos = family_months.photos + 1;
  INSERT INTO private_months (owner_id, month, photos)
  SELECT p.owner_id, substr(COALESCE(p.taken_at, p.created_at), 1, 7), 1
  FROM photos p
  WHERE p.id = OLD.photo_id
    AND EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = OLD.photo_id)
    AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = OLD.photo_id)
  ON CONFLICT (owner_id, month) DO UPDATE SET photos = private_months.photos + 1;
END;

CREATE TRIGGER IF NOT EXISTS timeline_counts_archived_delete AFTER DELETE ON archived_photos BEGIN
  INSERT INTO family_months (month, photos)
  SELECT substr(COALESCE(p.taken_at, p.created_at), 1, 7), 1
  FROM photos p
  WHERE p.id = OLD.photo_id
    AND NOT EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = OLD.photo_id)
    AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = OLD.photo_id)
  ON CONFLICT (month) DO UPDATE SET photos = family_months.photos + 1;
  INSERT INTO private_months (owner_id, month, photos)
  SELECT p.owner_id, substr(COALESCE(p.taken_at, p.created_at), 1, 7), 1
  FROM photos p
  WHERE p.id = OLD.photo_id
    AND EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = OLD.photo_id)
    AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = OLD.photo_id)
  ON CONFLICT (owner_id, month) DO UPDATE SET photos = private_months.photos + 1;
END;

-- What was there before this migration, counted afresh: emptied first, so that running this
-- file again (user_version rewound) counts every photo once.
DELETE FROM family_months;
DELETE FROM private_months;
INSERT INTO family_months (month, photos)
SELECT substr(COALESCE(p.taken_at, p.created_at), 1, 7), COUNT(*)
FROM photos p
WHERE NOT EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = p.id)
  AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = p.id)
  AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = p.id)
GROUP BY substr(COALESCE(p.taken_at, p.created_at), 1, 7);
INSERT INTO private_months (owner_id, month, photos)
SELECT p.owner_id, substr(COALESCE(p.taken_at, p.created_at), 1, 7), COUNT(*)
FROM photos p
WHERE EXISTS (SELECT 1 FROM private_photos s WHERE s.photo_id = p.id)
  AND NOT EXISTS (SELECT 1 FROM trashed_photos s WHERE s.photo_id = p.id)
  AND NOT EXISTS (SELECT 1 FROM archived_photos s WHERE s.photo_id = p.id)
GROUP BY p.owner_id, substr(COALESCE(p.taken_at, p.created_at), 1, 7);

-- Search's index again (replacing photo_text of 0020), with each photo's row numbered so that
-- the index's own order is the results' order, newest first, by day: rowid = the day of the
-- photo's date taken, else its upload time (YYYYMMDD, 0 for a stamp of another shape), times
-- 2^32, plus the photo's id. A search then reads the index newest first and stops when a page
-- is full (library/search.py), instead of reading every match and sorting it. A photo given
-- another date takes another rowid: its row is moved.
DROP TRIGGER IF EXISTS photo_text_insert;
DROP TRIGGER IF EXISTS photo_text_update;
DROP TRIGGER IF EXISTS photo_text_delete;
DROP TRIGGER IF EXISTS photo_text_comment_insert;
DROP TRIGGER IF EXISTS photo_text_comment_update;
DROP TRIGGER IF EXISTS photo_text_comment_delete;
DROP TABLE IF EXISTS photo_text;
CREATE VIRTUAL TABLE IF NOT EXISTS photo_words USING fts5(
    caption, comments, filename, camera, lens,
    tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER IF NOT EXISTS photo_words_insert AFTER INSERT ON photos BEGIN
  INSERT INTO photo_words (rowid, caption, comments, filename, camera, lens)
  VALUES ((CASE WHEN COALESCE(NEW.taken_at, NEW.created_at) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
        THEN CAST(substr(COALESCE(NEW.taken_at, NEW.created_at), 1, 4) || substr(COALESCE(NEW.taken_at, NEW.created_at), 6, 2) || substr(COALESCE(NEW.taken_at, NEW.created_at), 9, 2) AS INTEGER)
        ELSE 0 END) * 4294967296 + NEW.id,
          NEW.caption, '', NEW.filename,
          COALESCE(NEW.camera_make, '') || ' ' || COALESCE(NEW.camera_model, ''),
          COALESCE(NEW.lens, ''));
END;

CREATE TRIGGER IF NOT EXISTS photo_words_update
AFTER UPDATE OF caption, filename, camera_make, camera_model, lens, taken_at, created_at
ON photos BEGIN
  DELETE FROM photo_words WHERE rowid = (CASE WHEN COALESCE(OLD.taken_at, OLD.created_at) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
        THEN CAST(substr(COALESCE(OLD.taken_at, OLD.created_at), 1, 4) || substr(COALESCE(OLD.taken_at, OLD.created_at), 6, 2) || substr(COALESCE(OLD.taken_at, OLD.created_at), 9, 2) AS INTEGER)
        ELSE 0 END) * 4294967296 + OLD.id;
  INSERT INTO photo_words (rowid, caption, comments, filename, camera, lens)
  SELECT (CASE WHEN COALESCE(p.taken_at, p.created_at) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
        THEN CAST(substr(COALESCE(p.taken_at, p.created_at), 1, 4) || substr(COALESCE(p.taken_at, p.created_at), 6, 2) || substr(COALESCE(p.taken_at, p.created_at), 9, 2) AS INTEGER)
        ELSE 0 END) * 4294967296 + p.id,
         p.caption,
         COALESCE((SELECT group_concat(c.text, ' ') FROM comments c WHERE c.photo_id = p.id), ''),
         p.filename,
         COALESCE(p.camera_make, '') || ' ' || COALESCE(p.camera_model, ''),
         COALESCE(p.lens, '') FROM photos p WHERE p.id = NEW.id;
END;

CREATE TRIGGER IF NOT EXISTS photo_words_delete AFTER DELETE ON photos BEGIN
  DELETE FROM photo_words WHERE rowid = (CASE WHEN COALESCE(OLD.taken_at, OLD.created_at) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
        THEN CAST(substr(COALESCE(OLD.taken_at, OLD.created_at), 1, 4) || substr(COALESCE(OLD.taken_at, OLD.created_at), 6, 2) || substr(COALESCE(OLD.taken_at, OLD.created_at), 9, 2) AS INTEGER)
        ELSE 0 END) * 4294967296 + OLD.id;
END;

-- A comment added, changed or removed: its photo's row again, with all of its comments.
-- (When the photo itself is being deleted, its row is gone already and nothing is re-added.)
CREATE TRIGGER IF NOT EXISTS photo_words_comment_insert AFTER INSERT ON comments BEGIN
  DELETE FROM photo_words WHERE rowid = (SELECT (CASE WHEN COALESCE(p.taken_at, p.created_at) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
        THEN CAST(substr(COALESCE(p.taken_at, p.created_at), 1, 4) || substr(COALESCE(p.taken_at, p.created_at), 6, 2) || substr(COALESCE(p.taken_at, p.created_at), 9, 2) AS INTEGER)
        ELSE 0 END) * 4294967296 + p.id FROM photos p WHERE p.id = NEW.photo_id);
  INSERT INTO photo_words (rowid, caption, comments, filename, camera, lens)
  SELECT (CASE WHEN COALESCE(p.taken_at, p.created_at) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
        THEN CAST(substr(COALESCE(p.taken_at, p.created_at), 1, 4) || substr(COALESCE(p.taken_at, p.created_at), 6, 2) || substr(COALESCE(p.taken_at, p.created_at), 9, 2) AS INTEGER)
        ELSE 0 END) * 4294967296 + p.id,
         p.caption,
         COALESCE((SELECT group_concat(c.text, ' ') FROM comments c WHERE c.photo_id = p.id), ''),
         p.filename,
         COALESCE(p.camera_make, '') || ' ' || COALESCE(p.camera_model, ''),
         COALESCE(p.lens, '') FROM photos p WHERE p.id = NEW.photo_id;
END;

CREATE TRIGGER IF NOT EXISTS photo_words_comment_update AFTER UPDATE OF text ON comments BEGIN
  DELETE FROM photo_words WHERE rowid = (SELECT (CASE WHEN COALESCE(p.taken_at, p.created_at) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
        THEN CAST(substr(COALESCE(p.taken_at, p.created_at), 1, 4) || substr(COALESCE(p.taken_at, p.created_at), 6, 2) || substr(COALESCE(p.taken_at, p.created_at), 9, 2) AS INTEGER)
        ELSE 0 END) * 4294967296 + p.id FROM photos p WHERE p.id = NEW.photo_id);
  INSERT INTO photo_words (rowid, caption, comments, filename, camera, lens)
  SELECT (CASE WHEN COALESCE(p.taken_at, p.created_at) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
        THEN CAST(substr(COALESCE(p.taken_at, p.created_at), 1, 4) || substr(COALESCE(p.taken_at, p.created_at), 6, 2) || substr(COALESCE(p.taken_at, p.created_at), 9, 2) AS INTEGER)
        ELSE 0 END) * 4294967296 + p.id,
         p.caption,
         COALESCE((SELECT group_concat(c.text, ' ') FROM comments c WHERE c.photo_id = p.id), ''),
         p.filename,
         COALESCE(p.camera_make, '') || ' ' || COALESCE(p.camera_model, ''),
         COALESCE(p.lens, '') FROM photos p WHERE p.id = NEW.photo_id;
END;

CREATE TRIGGER IF NOT EXISTS photo_words_comment_delete AFTER DELETE ON comments BEGIN
  DELETE FROM photo_words WHERE rowid = (SELECT (CASE WHEN COALESCE(p.taken_at, p.created_at) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
        THEN CAST(substr(COALESCE(p.taken_at, p.created_at), 1, 4) || substr(COALESCE(p.taken_at, p.created_at), 6, 2) || substr(COALESCE(p.taken_at, p.created_at), 9, 2) AS INTEGER)
        ELSE 0 END) * 4294967296 + p.id FROM photos p WHERE p.id = OLD.photo_id);
  INSERT INTO photo_words (rowid, caption, comments, filename, camera, lens)
  SELECT (CASE WHEN COALESCE(p.taken_at, p.created_at) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
        THEN CAST(substr(COALESCE(p.taken_at, p.created_at), 1, 4) || substr(COALESCE(p.taken_at, p.created_at), 6, 2) || substr(COALESCE(p.taken_at, p.created_at), 9, 2) AS INTEGER)
        ELSE 0 END) * 4294967296 + p.id,
         p.caption,
         COALESCE((SELECT group_concat(c.text, ' ') FROM comments c WHERE c.photo_id = p.id), ''),
         p.filename,
         COALESCE(p.camera_make, '') || ' ' || COALESCE(p.camera_model, ''),
         COALESCE(p.lens, '') FROM photos p WHERE p.id = OLD.photo_id;
END;

-- Every photo indexed afresh: emptied first, so that running this file again (user_version
-- rewound) leaves one row per photo.
DELETE FROM photo_words;
INSERT INTO photo_words (rowid, caption, comments, filename, camera, lens)
  SELECT (CASE WHEN COALESCE(p.taken_at, p.created_at) GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
        THEN CAST(substr(COALESCE(p.taken_at, p.created_at), 1, 4) || substr(COALESCE(p.taken_at, p.created_at), 6, 2) || substr(COALESCE(p.taken_at, p.created_at), 9, 2) AS INTEGER)
        ELSE 0 END) * 4294967296 + p.id,
         p.caption,
         COALESCE((SELECT group_concat(c.text, ' ') FROM comments c WHERE c.photo_id = p.id), ''),
         p.filename,
         COALESCE(p.camera_make, '') || ' ' || COALESCE(p.camera_model, ''),
         COALESCE(p.lens, '') FROM photos p;

-- Search (db/search.py): every word ever indexed for photos, as the index's tokenizer folds it.
-- A word typed as the start of a longer one ("birth") is asked of the index as the words it
-- may be ("birth" OR "birthday"): FTS5 answers a prefix by merging every matching word's whole
-- list first, which grows with the archive; a plain word's list is read only as far as needed.
-- Kept by triggers from search_scratch, an empty index of the same tokenizer: a new text is
-- put in, its words copied out, and it is emptied again. A word is never taken away (one no
-- longer in any photo finds nothing), so the list only grows with the archive's vocabulary.
CREATE TABLE IF NOT EXISTS search_words (
    term  TEXT PRIMARY KEY
);
CREATE VIRTUAL TABLE IF NOT EXISTS search_scratch USING fts5(
    words, content = '', tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE IF NOT EXISTS search_scratch_terms USING fts5vocab(search_scratch, 'row');

CREATE TRIGGER IF NOT EXISTS search_words_photo_insert AFTER INSERT ON photos BEGIN
  INSERT INTO search_scratch (rowid, words)
  VALUES (1, COALESCE(NEW.caption, '') || ' ' || COALESCE(NEW.filename, '') || ' '
             || COALESCE(NEW.camera_make, '') || ' ' || COALESCE(NEW.camera_model, '') || ' '
             || COALESCE(NEW.lens, ''));
  INSERT INTO search_words (term) SELECT term FROM search_scratch_terms WHERE true
  ON CONFLICT (term) DO NOTHING;
  INSERT INTO search_scratch (search_scratch) VALUES ('delete-all');
END;

CREATE TRIGGER IF NOT EXISTS search_words_photo_update
AFTER UPDATE OF caption, filename, camera_make, camera_model, lens ON photos BEGIN
  INSERT INTO search_scratch (rowid, words)
  VALUES (1, COALESCE(NEW.caption, '') || ' ' || COALESCE(NEW.filename, '') || ' '
             || COALESCE(NEW.camera_make, '') || ' ' || COALESCE(NEW.camera_model, '') || ' '
             || COALESCE(NEW.lens, ''));
  INSERT INTO search_words (term) SELECT term FROM search_scratch_terms WHERE true
  ON CONFLICT (term) DO NOTHING;
  INSERT INTO search_scratch (search_scratch) VALUES ('delete-all');
END;

CREATE TRIGGER IF NOT EXISTS search_words_comment_insert AFTER INSERT ON comments BEGIN
  INSERT INTO search_scratch (rowid, words) VALUES (1, COALESCE(NEW.text, ''));
  INSERT INTO search_words (term) SELECT term FROM search_scratch_terms WHERE true
  ON CONFLICT (term) DO NOTHING;
  INSERT INTO search_scratch (search_scratch) VALUES ('delete-all');
END;

CREATE TRIGGER IF NOT EXISTS search_words_comment_update AFTER UPDATE OF text ON comments BEGIN
  INSERT INTO search_scratch (rowid, words) VALUES (1, COALESCE(NEW.text, ''));
  INSERT INTO search_words (term) SELECT term FROM search_scratch_terms WHERE true
  ON CONFLICT (term) DO NOTHING;
  INSERT INTO search_scratch (search_scratch) VALUES ('delete-all');
END;

-- The words of what is indexed already (the index's own copy of each photo's text).
INSERT INTO search_scratch (search_scratch) VALUES ('delete-all');
INSERT INTO search_scratch (rowid, words)
SELECT rowid, caption || ' ' || comments || ' ' || filename || ' ' || camera || ' ' || lens
FROM photo_words;
INSERT INTO search_words (term) SELECT term FROM search_scratch_terms WHERE true
ON CONFLICT (term) DO NOTHING;
INSERT INTO search_scratch (search_scratch) VALUES ('delete-all');
