-- How each person wants the archive shown to them; for now the time zone that upload, comment
-- and sign-in times are rendered in. '' (or no row) means automatic: the server renders UTC and
-- the browser's script rewrites each time into the zone of the device it runs on.
-- A table of its own rather than a column of users: CREATE TABLE IF NOT EXISTS runs again
-- unharmed when an archive's user_version is rewound, where ADD COLUMN would fail.
CREATE TABLE IF NOT EXISTS user_preferences (
    user_id    INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    time_zone  TEXT NOT NULL DEFAULT ''  -- an IANA name from the server's tz database, or ''
);
