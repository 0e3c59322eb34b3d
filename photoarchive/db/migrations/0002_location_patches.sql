-- Same-length byte patches (JSON: [[offset, base64], ...]) that blank the GPS records inside
-- the stored original; applied when anyone but the owner downloads it.
ALTER TABLE photos ADD COLUMN location_patches TEXT NOT NULL DEFAULT '[]';
