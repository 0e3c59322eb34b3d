-- The originals a restore found in the store with no restored record naming them
-- (`photoarchive restore`, ops/restore.py): of photos added after the backup, in a store the
-- backup did not copy (S3), and maybe the only copies of those photos. `verify --repair` keeps
-- these (ops/verify.py) instead of deleting them as a failed upload's leftovers; a digest is
-- forgotten here once a photo names it again (brought back by `photoarchive import`), so that
-- deleting that photo later deletes its file as usual.
CREATE TABLE IF NOT EXISTS restore_kept (
    sha256   TEXT PRIMARY KEY,
    kept_at  TEXT NOT NULL
);
