-- PostgreSQL's 0036 (../migrations_pg/0036_timeline_counts_locked.sql) makes its month-count
-- functions take the photo's row lock, since two transactions at once could miscount there.
-- SQLite has one writer, so its triggers never did; the counts are made anew here as there.

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
