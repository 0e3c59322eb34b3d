-- An album holds only photos whose owners are among its members. Before, removing a member
-- (or a member leaving) left their photos in the album, shown to its members and its share
-- links' holders even when private; now they leave with their owner (library/albums.py).
-- This takes out those left behind earlier. Running it again finds nothing to take.
DELETE FROM album_photos
 WHERE NOT EXISTS (
       SELECT 1 FROM photos p JOIN album_members am ON am.user_id = p.owner_id
        WHERE p.id = album_photos.photo_id AND am.album_id = album_photos.album_id);

-- A chosen cover taken out with them goes back to the automatic one.
UPDATE albums SET cover_photo_id = NULL
 WHERE cover_photo_id IS NOT NULL
   AND NOT EXISTS (SELECT 1 FROM album_photos ap
                    WHERE ap.album_id = albums.id AND ap.photo_id = albums.cover_photo_id);
