-- Search (library/search.py, db/search.py): the words of each photo and of each album's title,
-- in FTS5 tables kept in step by triggers, so that every write that changes a caption, a
-- comment or a title changes the index in the same transaction, whoever writes it.
-- Accents and case are folded by the tokenizer ("cafe" finds "Café").
--
-- A photo's row: its id is the rowid. The columns are kept apart so that `camera:` and `lens:`
-- can ask one of them; album titles have a table of their own, because who may match a title
-- (the album's members) is not who may see the photo.
CREATE VIRTUAL TABLE IF NOT EXISTS photo_text USING fts5(
    caption, comments, filename, camera, lens,
    tokenize = 'unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE IF NOT EXISTS album_text USING fts5(
    title,
    tokenize = 'unicode61 remove_diacritics 2'
);

-- Results come newest date taken first (upload time where the camera gave none).
CREATE INDEX IF NOT EXISTS photos_taken_order ON photos(COALESCE(taken_at, created_at), id);

CREATE TRIGGER IF NOT EXISTS photo_text_insert AFTER INSERT ON photos BEGIN
  INSERT INTO photo_text (rowid, caption, comments, filename, camera, lens)
  VALUES (NEW.id, NEW.caption, '', NEW.filename,
          COALESCE(NEW.camera_make, '') || ' ' || COALESCE(NEW.camera_model, ''),
          COALESCE(NEW.lens, ''));
END;

CREATE TRIGGER IF NOT EXISTS photo_text_update
AFTER UPDATE OF caption, filename, camera_make, camera_model, lens ON photos BEGIN
  DELETE FROM photo_text WHERE rowid = OLD.id;
  INSERT INTO photo_text (rowid, caption, comments, filename, camera, lens)
  SELECT NEW.id, NEW.caption,
         COALESCE((SELECT group_concat(c.text, ' ') FROM comments c WHERE c.photo_id = NEW.id), ''),
         NEW.filename,
         COALESCE(NEW.camera_make, '') || ' ' || COALESCE(NEW.camera_model, ''),
         COALESCE(NEW.lens, '');
END;

CREATE TRIGGER IF NOT EXISTS photo_text_delete AFTER DELETE ON photos BEGIN
  DELETE FROM photo_text WHERE rowid = OLD.id;
END;

-- A comment added, changed or removed: its photo's row again, with all of its comments.
CREATE TRIGGER IF NOT EXISTS photo_text_comment_insert AFTER INSERT ON comments BEGIN
  DELETE FROM photo_text WHERE rowid = NEW.photo_id;
  INSERT INTO photo_text (rowid, caption, comments, filename, camera, lens)
  SELECT p.id, p.caption,
         COALESCE((SELECT group_concat(c.text, ' ') FROM comments c WHERE c.photo_id = p.id), ''),
         p.filename,
         COALESCE(p.camera_make, '') || ' ' || COALESCE(p.camera_model, ''),
         COALESCE(p.lens, '')
  FROM photos p WHERE p.id = NEW.photo_id;
END;

CREATE TRIGGER IF NOT EXISTS photo_text_comment_update AFTER UPDATE OF text ON comments BEGIN
  DELETE FROM photo_text WHERE rowid = NEW.photo_id;
  INSERT INTO photo_text (rowid, caption, comments, filename, camera, lens)
  SELECT p.id, p.caption,
         COALESCE((SELECT group_concat(c.text, ' ') FROM comments c WHERE c.photo_id = p.id), ''),
         p.filename,
         COALESCE(p.camera_make, '') || ' ' || COALESCE(p.camera_model, ''),
         COALESCE(p.lens, '')
  FROM photos p WHERE p.id = NEW.photo_id;
END;

-- (When the photo itself is being deleted, its row is gone already and nothing is re-added.)
CREATE TRIGGER IF NOT EXISTS photo_text_comment_delete AFTER DELETE ON comments BEGIN
  DELETE FROM photo_text WHERE rowid = OLD.photo_id;
  INSERT INTO photo_text (rowid, caption, comments, filename, camera, lens)
  SELECT p.id, p.caption,
         COALESCE((SELECT group_concat(c.text, ' ') FROM comments c WHERE c.photo_id = p.id), ''),
         p.filename,
         COALESCE(p.camera_make, '') || ' ' || COALESCE(p.camera_model, ''),
         COALESCE(p.lens, '')
  FROM photos p WHERE p.id = OLD.photo_id;
END;

CREATE TRIGGER IF NOT EXISTS album_text_insert AFTER INSERT ON albums BEGIN
  INSERT INTO album_text (rowid, title) VALUES (NEW.id, NEW.title);
END;

CREATE TRIGGER IF NOT EXISTS album_text_update AFTER UPDATE OF title ON albums BEGIN
  DELETE FROM album_text WHERE rowid = OLD.id;
  INSERT INTO album_text (rowid, title) VALUES (NEW.id, NEW.title);
END;

CREATE TRIGGER IF NOT EXISTS album_text_delete AFTER DELETE ON albums BEGIN
  DELETE FROM album_text WHERE rowid = OLD.id;
END;

-- What was there before this migration, indexed afresh: emptied first, so that running this
-- file again (user_version rewound) leaves one row per photo and per album.
DELETE FROM photo_text;
INSERT INTO photo_text (rowid, caption, comments, filename, camera, lens)
SELECT p.id, p.caption,
       COALESCE((SELECT group_concat(c.text, ' ') FROM comments c WHERE c.photo_id = p.id), ''),
       p.filename,
       COALESCE(p.camera_make, '') || ' ' || COALESCE(p.camera_model, ''),
       COALESCE(p.lens, '')
FROM photos p;
DELETE FROM album_text;
INSERT INTO album_text (rowid, title) SELECT id, title FROM albums;
