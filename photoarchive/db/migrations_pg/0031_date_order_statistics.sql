-- A page walked by date reads the newest photos through photos_taken_order (or counts them
-- through photos_timeline) from some day on. Their key is a text stamp, and within one of
-- ANALYZE's hundred buckets PostgreSQL places a string by its characters as if they were
-- digits: the month's digit changing inside the last bucket weighs as the whole bucket. At
-- 100,000 photos it took the 728 photos from 2024-12-05 on for 2, planned a search page as a
-- nested loop comparing each of them with every match, and spent 18 ms there. A thousand
-- buckets (as photo_text.code has had since 0025) put the estimate at 736 and that page at
-- about half its time. Analysed at once, so the first page is planned by them.
ALTER INDEX photos_taken_order ALTER COLUMN 1 SET STATISTICS 1000;
ALTER INDEX photos_timeline ALTER COLUMN 1 SET STATISTICS 1000;
ANALYZE photos;
