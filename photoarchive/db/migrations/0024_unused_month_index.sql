-- Migration 0022's photos_months (photos by month and owner) served the month list, which
-- migration 0023's trigger-kept counts answer since; no query reads it any more, and every
-- write to photos still kept it up. Safe to run again: nothing left to drop is no error.
DROP INDEX IF EXISTS photos_months;
