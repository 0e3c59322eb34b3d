-- The timeline's month counts: migration 0023 of SQLite (../migrations/0023_timeline_and_search.sql),
-- which says what is counted and why. The same tables, and its triggers as plpgsql functions
-- doing the same statements; the photo's own delete is counted BEFORE it (its side rows still
-- say how it was counted), so that function hands the row on (RETURN OLD).
--
-- The search half of SQLite's 0023 numbers each photo's FTS5 row by its day so that the index
-- hands matches over newest day first, and keeps search_words so that a prefix is read lazily.
-- Here the day is an expression of the photo's own row, search_day, which db/pg_search.py asks
-- where SQLite reads the rowid (same days, same results); the server's own prefix search needs
-- no word list.
CREATE FUNCTION search_day(stamp TEXT) RETURNS INTEGER
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE WHEN stamp ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}'
    THEN (substr(stamp, 1, 4) || substr(stamp, 6, 2) || substr(stamp, 9, 2))::INTEGER
    ELSE 0 END
$$;
-- Each photo's number as SQLite numbers its index row (the day times 2^32, plus the id): search
-- walks it newest first, and a range of days is a range of it.
CREATE INDEX photos_search_code
  ON photos ((search_day(COALESCE(taken_at, created_at))::BIGINT * 4294967296 + id));
-- The few photos without a day (if any): whether there are is asked before every search.
CREATE INDEX photos_without_day ON photos (id)
  WHERE search_day(COALESCE(taken_at, created_at)) = 0;

CREATE TABLE family_months (
    month   TEXT PRIMARY KEY,
    photos  BIGINT NOT NULL
);
CREATE TABLE private_months (
    owner_id  BIGINT NOT NULL,
    month     TEXT NOT NULL,
    photos    BIGINT NOT NULL,
    PRIMARY KEY (owner_id, month)
);

-- A photo added: counted where its (usually absent) side rows put it.
CREATE FUNCTION timeline_counts_photo_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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
    RETURN NULL;
END
$$;
CREATE TRIGGER timeline_counts_photo_insert AFTER INSERT ON photos FOR EACH ROW EXECUTE FUNCTION timeline_counts_photo_insert();

CREATE FUNCTION timeline_counts_photo_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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
    RETURN OLD;
END
$$;
CREATE TRIGGER timeline_counts_photo_delete BEFORE DELETE ON photos FOR EACH ROW EXECUTE FUNCTION timeline_counts_photo_delete();

-- A new date taken (or upload time, or owner): out of the old month, into the new one.
CREATE FUNCTION timeline_counts_photo_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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
    RETURN NULL;
END
$$;
CREATE TRIGGER timeline_counts_photo_update AFTER UPDATE OF taken_at, created_at, owner_id ON photos FOR EACH ROW EXECUTE FUNCTION timeline_counts_photo_update();

-- Made private: a counted photo moves from the family's month to its owner's.
CREATE FUNCTION timeline_counts_private_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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
    RETURN NULL;
END
$$;
CREATE TRIGGER timeline_counts_private_insert AFTER INSERT ON private_photos FOR EACH ROW EXECUTE FUNCTION timeline_counts_private_insert();

-- Made family again: back from its owner's month to the family's.
CREATE FUNCTION timeline_counts_private_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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
    RETURN NULL;
END
$$;
CREATE TRIGGER timeline_counts_private_delete AFTER DELETE ON private_photos FOR EACH ROW EXECUTE FUNCTION timeline_counts_private_delete();

-- Into the trash, or archived: no longer counted (if the other did not already keep it out).
CREATE FUNCTION timeline_counts_trashed_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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
    RETURN NULL;
END
$$;
CREATE TRIGGER timeline_counts_trashed_insert AFTER INSERT ON trashed_photos FOR EACH ROW EXECUTE FUNCTION timeline_counts_trashed_insert();

CREATE FUNCTION timeline_counts_archived_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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
    RETURN NULL;
END
$$;
CREATE TRIGGER timeline_counts_archived_insert AFTER INSERT ON archived_photos FOR EACH ROW EXECUTE FUNCTION timeline_counts_archived_insert();

-- Restored from the trash, or unarchived: counted again (unless the other still keeps it out).
CREATE FUNCTION timeline_counts_trashed_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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
    RETURN NULL;
END
$$;
CREATE TRIGGER timeline_counts_trashed_delete AFTER DELETE ON trashed_photos FOR EACH ROW EXECUTE FUNCTION timeline_counts_trashed_delete();

CREATE FUNCTION timeline_counts_archived_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
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
    RETURN NULL;
END
$$;
CREATE TRIGGER timeline_counts_archived_delete AFTER DELETE ON archived_photos FOR EACH ROW EXECUTE FUNCTION timeline_counts_archived_delete();

-- What was there before this migration, counted.
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
