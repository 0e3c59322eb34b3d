-- The caption given to a whole upload, kept on its batch (the same table as SQLite's 0030).
CREATE TABLE IF NOT EXISTS batch_captions (
    batch_id    BIGINT PRIMARY KEY REFERENCES photo_batches(id) ON DELETE CASCADE,
    caption     TEXT NOT NULL CHECK (caption <> '')
);

-- Batches added before: the caption every photo of theirs still has, which is what their post
-- showed until now.
INSERT INTO batch_captions (batch_id, caption)
SELECT bp.batch_id, MIN(p.caption) FROM batch_photos bp JOIN photos p ON p.id = bp.photo_id
GROUP BY bp.batch_id
HAVING MIN(p.caption) = MAX(p.caption) AND MIN(p.caption) <> ''
ON CONFLICT (batch_id) DO NOTHING;
