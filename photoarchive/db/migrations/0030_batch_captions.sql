-- The caption given to a whole upload, kept on its batch (library/batches.py): its post shows
-- it however its photos' own captions change since. A batch without one has no row. A table of
-- its own, not a column of photo_batches: this file runs again unharmed when an archive's
-- user_version is rewound.
CREATE TABLE IF NOT EXISTS batch_captions (
    batch_id    INTEGER PRIMARY KEY REFERENCES photo_batches(id) ON DELETE CASCADE,
    caption     TEXT NOT NULL CHECK (caption <> '')
);

-- Batches added before: the caption every photo of theirs still has, which is what their post
-- showed until now.
INSERT INTO batch_captions (batch_id, caption)
SELECT bp.batch_id, MIN(p.caption) FROM batch_photos bp JOIN photos p ON p.id = bp.photo_id
WHERE true
GROUP BY bp.batch_id
HAVING MIN(p.caption) = MAX(p.caption) AND MIN(p.caption) <> ''
ON CONFLICT (batch_id) DO NOTHING;
