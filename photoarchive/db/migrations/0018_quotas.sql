-- How many bytes of originals a person may keep; no row: no limit. A table of its own, not a
-- column of users, so that this file runs again unharmed when user_version is rewound.
-- (A person's usage is summed over photos_owner: an index on (owner_id, bytes) as well would
-- tempt the planner away from the feed's scan by id, see tests/test_query_plans.py.)
CREATE TABLE IF NOT EXISTS user_quotas (
    user_id      INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    quota_bytes  INTEGER NOT NULL CHECK (quota_bytes >= 0)
);
