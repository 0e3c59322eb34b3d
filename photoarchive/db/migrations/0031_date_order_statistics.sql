-- PostgreSQL's 0031 gives the planner finer statistics on the photos' date order; SQLite
-- plans by its own statistics (PRAGMA optimize): nothing to do here. (The file keeps the two
-- engines' schema numbers in step, which `db copy` checks.)
SELECT 1;
