-- The redactor now decides what to blank in XMP packets from their parsed structure, and finds
-- packets wherever each container keeps them; patches stored before could miss positions in
-- unusual forms. Every photo waits for its patches to be computed again (rechecks.py, run by
-- the server in the background); meanwhile its original goes to its owner only.
UPDATE photos SET location_patches = '"recheck"';
