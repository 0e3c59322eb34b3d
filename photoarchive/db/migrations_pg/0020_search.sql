-- Search (library/search.py, db/pg_search.py) in PostgreSQL's own full-text search: the words
-- of each photo and of each album's title as tsvectors, kept in step by triggers in the same
-- transaction as the write that changes them, whoever writes it.
--
-- Words are read as SQLite's FTS5 reads them (its unicode61 tokenizer, diacritics removed):
-- accents and case folded, then letters and digits make words and everything else (spaces,
-- punctuation, symbols, emoji) separates them. The 'simple' configuration then keeps every
-- word as it is, unstemmed, so "parties" never finds "party" here either. The separators are
-- listed rather than asked of the server's locale, so that every server reads them alike.
-- One difference remains: unaccent also spells out letters that FTS5 keeps as they are (ß as
-- ss, æ as ae, œ as oe, the ligature ﬁ as fi, ½ as 1/2), so here "strasse" finds "Straße" too.
CREATE EXTENSION IF NOT EXISTS unaccent;

CREATE FUNCTION search_text(value TEXT) RETURNS TEXT
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT regexp_replace(
    lower(unaccent(COALESCE(value, '')) COLLATE "und-x-icu"),
    '[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\xa9\xab-\xb1\xb4\xb6-\xb8\xbb\xbf\xd7\xf7'
    '\u2000-\u206f\u20a0-\u20cf\u2190-\u23ff\u2500-\u27bf\u2900-\u2bff'
    '\u3000-\u3004\u3008-\u3020\ufe00-\ufe1f\ufe30-\ufe6f\uff01-\uff0f\uff1a-\uff20'
    '\uff3b-\uff40\uff5b-\uff65\U0001f000-\U0001faff\U000e0000-\U000e007f]+',
    ' ', 'g')
$$;

CREATE FUNCTION search_vector(value TEXT) RETURNS tsvector
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT to_tsvector('simple', search_text(value))
$$;

-- Several texts as one vector, as FTS5 keeps a row's columns: a phrase never runs from the end
-- of one into the start of the next (a gap of one position, left by a lexeme taken out again).
-- A tsvector holds at most 1 MB, which only a photo's comments can outgrow (each is short, their
-- number is not): a part that does not fit is read from its start, as much of it as fits, so
-- that a comment is never refused for the index's sake. Only a long part can overflow, so only
-- a long one pays for the exception block.
CREATE FUNCTION search_columns(VARIADIC parts TEXT[]) RETURNS tsvector
LANGUAGE plpgsql STABLE PARALLEL SAFE AS $$
DECLARE
  joined tsvector := ''::tsvector;
  part TEXT;
BEGIN
  FOREACH part IN ARRAY parts LOOP
    part := COALESCE(part, '');
    IF length(part) <= 100000 THEN
      joined := joined || ''' '':1'::tsvector || search_vector(part);
      CONTINUE;
    END IF;
    LOOP
      BEGIN
        joined := joined || ''' '':1'::tsvector || search_vector(part);
        EXIT;
      EXCEPTION WHEN program_limit_exceeded THEN
        part := left(part, LEAST(length(part) * 3 / 4, 1000000));
      END;
    END LOOP;
  END LOOP;
  RETURN ts_delete(joined, ' ');
END
$$;

-- A phrase as a query: its words in order (`<->`); with `prefix`, the last may be the start
-- of a longer word. The words are read by search_vector, as the index's were, and only ever
-- become lexemes, never query syntax. No words: an empty query, which matches nothing.
CREATE FUNCTION search_phrase(value TEXT, prefix BOOLEAN) RETURNS tsquery
LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT COALESCE(
    (SELECT string_agg('''' || w.lexeme || '''', ' <-> ' ORDER BY w.position)
       FROM (SELECT v.lexeme, unnest(v.positions) AS position
               FROM unnest(search_vector(value)) AS v) AS w)
    || CASE WHEN prefix THEN ':*' ELSE '' END,
    ''
  )::tsquery
$$;

-- A photo's words: `words` all of them (caption, comments, original file name, camera, lens),
-- `camera` and `lens` apart so that `camera:` and `lens:` can ask one. Album titles have a
-- table of their own, because who may match a title (the album's members) is not who may see
-- the photo.
CREATE TABLE photo_text (
    photo_id  BIGINT PRIMARY KEY REFERENCES photos(id) ON DELETE CASCADE,
    words     tsvector NOT NULL,
    camera    tsvector NOT NULL,
    lens      tsvector NOT NULL
);
CREATE INDEX photo_text_words ON photo_text USING gin (words);
CREATE INDEX photo_text_camera ON photo_text USING gin (camera);
CREATE INDEX photo_text_lens ON photo_text USING gin (lens);
CREATE TABLE album_text (
    album_id  BIGINT PRIMARY KEY REFERENCES albums(id) ON DELETE CASCADE,
    title     tsvector NOT NULL
);
CREATE INDEX album_text_title ON album_text USING gin (title);

-- Results come newest date taken first (upload time where the camera gave none).
CREATE INDEX photos_taken_order ON photos((COALESCE(taken_at, created_at)), id);

-- One photo's row made again from what is there now. The photo's row is locked first, so that
-- two writers (a caption here, a comment there, on two instances) take turns: the second then
-- reads the first one's committed words rather than writing a row without them. Gone (being
-- deleted): nothing to write, its row goes with it.
CREATE FUNCTION photo_text_refresh(photo BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM photos WHERE id = photo FOR NO KEY UPDATE;
  INSERT INTO photo_text (photo_id, words, camera, lens)
  SELECT p.id,
         search_columns(
           p.caption,
           (SELECT string_agg(c.text, ' ' ORDER BY c.id) FROM comments c WHERE c.photo_id = p.id),
           p.filename,
           COALESCE(p.camera_make, '') || ' ' || COALESCE(p.camera_model, ''),
           p.lens),
         search_vector(COALESCE(p.camera_make, '') || ' ' || COALESCE(p.camera_model, '')),
         search_vector(p.lens)
  FROM photos p WHERE p.id = photo
  ON CONFLICT (photo_id) DO UPDATE
    SET words = EXCLUDED.words, camera = EXCLUDED.camera, lens = EXCLUDED.lens;
END
$$;

CREATE FUNCTION photo_text_of_photo() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM photo_text_refresh(NEW.id);
  RETURN NULL;
END
$$;
CREATE TRIGGER photo_text_insert AFTER INSERT ON photos
  FOR EACH ROW EXECUTE FUNCTION photo_text_of_photo();
CREATE TRIGGER photo_text_update
  AFTER UPDATE OF caption, filename, camera_make, camera_model, lens ON photos
  FOR EACH ROW EXECUTE FUNCTION photo_text_of_photo();

-- A comment added, changed or removed: its photo's row again, with all of its comments.
CREATE FUNCTION photo_text_of_comment() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM photo_text_refresh(OLD.photo_id);
  ELSE
    PERFORM photo_text_refresh(NEW.photo_id);
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER photo_text_comment AFTER INSERT OR DELETE OR UPDATE OF text ON comments
  FOR EACH ROW EXECUTE FUNCTION photo_text_of_comment();

CREATE FUNCTION album_text_of_album() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO album_text (album_id, title) VALUES (NEW.id, search_vector(NEW.title))
  ON CONFLICT (album_id) DO UPDATE SET title = EXCLUDED.title;
  RETURN NULL;
END
$$;
CREATE TRIGGER album_text_insert AFTER INSERT ON albums
  FOR EACH ROW EXECUTE FUNCTION album_text_of_album();
CREATE TRIGGER album_text_update AFTER UPDATE OF title ON albums
  FOR EACH ROW EXECUTE FUNCTION album_text_of_album();

-- What was there before this migration, indexed.
SELECT photo_text_refresh(id) FROM photos;
INSERT INTO album_text (album_id, title) SELECT id, search_vector(title) FROM albums;
