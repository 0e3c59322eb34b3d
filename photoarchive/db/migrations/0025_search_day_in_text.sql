-- PostgreSQL's 0025 keeps each photo's day in its search row, as SQLite's photo_words has
-- numbered its rows by day since 0023: nothing to do here. (The file keeps the two engines'
-- schema numbers in step, which `db copy` checks.)
SELECT 1;
