-- Photos stored before migration 0002 have no patches to blank their location ('[]'), so anyone
-- could download their originals with the location in them. Where the database knows of a
-- location, the original is withheld from everyone but its owner instead ('null'), as it is
-- for new uploads whose location cannot be blanked. The photo itself stays visible as usual.
UPDATE photos SET location_patches = 'null'
 WHERE location_patches = '[]' AND gps_lat IS NOT NULL;
