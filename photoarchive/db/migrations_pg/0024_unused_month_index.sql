-- SQLite's 0024: migration 0022's photos_months, which nothing reads since 0023's month counts.
DROP INDEX IF EXISTS photos_months;
