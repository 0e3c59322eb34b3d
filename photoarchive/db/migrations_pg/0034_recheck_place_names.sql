-- The location blanked in originals for everyone but their owner now takes places by name too
-- (IPTC's city, sub-location, state and country; XMP's photoshop:City and IPTC's location
-- structures), not only positions. Patches stored before left those in: every photo waits for
-- its patches to be computed again (rechecks.py, run by the server in the background);
-- meanwhile its original goes to its owner only.
UPDATE photos SET location_patches = '"recheck"';
