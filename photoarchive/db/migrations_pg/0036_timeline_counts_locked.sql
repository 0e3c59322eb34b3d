-- The timeline's month counts (0023, 0027) stay right when two changes to one photo's place in
-- them meet. Each count function decides where the photo is counted from private_photos,
-- trashed_photos and archived_photos as its own statement's snapshot shows them; two
-- transactions at once (made private as its date is shifted, restored as it is made private)
-- each missed the other's row, and a month kept counting a private photo as the family's
-- for good (GET /api/v1/timeline/buckets showed it to everyone). Each function now first takes
-- the photo's row lock, as photo_text_refresh does, so the second waits for the first and
-- reads what it committed; a change of the photo's own date holds that lock already.
-- SQLite (one writer) needs no lock: its 0036 only counts anew, as this one does at its end.

CREATE OR REPLACE FUNCTION timeline_counts_private_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM photos WHERE id = NEW.photo_id FOR NO KEY UPDATE;
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
    PERFORM 1 FROM photos WHERE id = OLD.photo_id FOR NO KEY UPDATE;
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
    PERFORM 1 FROM photos WHERE id = NEW.photo_id FOR NO KEY UPDATE;
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

CREATE OR REPLACE FUNCTION timeline_counts_trashed_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM photos WHERE id = OLD.photo_id FOR NO KEY UPDATE;
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

CREATE OR REPLACE FUNCTION timeline_counts_archived_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM photos WHERE id = NEW.photo_id FOR NO KEY UPDATE;
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

CREATE OR REPLACE FUNCTION timeline_counts_archived_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM photos WHERE id = OLD.photo_id FOR NO KEY UPDATE;
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

-- Counts that drifted before this migration (two such changes at once), made anew.
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
