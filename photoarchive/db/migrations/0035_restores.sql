-- When this archive was brought back from a backup (`photoarchive restore`, ops/restore.py).
-- After a restore, the store may hold originals no restored record names: of photos added
-- after the backup, in a store the backup did not copy (S3). They may be the only copies of
-- those photos, so `verify --repair` keeps every unreferenced original of a restored archive
-- (ops/verify.py) instead of deleting it as a failed upload's leftover.
CREATE TABLE IF NOT EXISTS restores (
    id           INTEGER PRIMARY KEY,
    restored_at  TEXT NOT NULL
);
