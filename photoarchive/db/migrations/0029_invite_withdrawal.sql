-- An administrator may withdraw an invite link before it is used (one mailed to the wrong
-- address): when, so that its link can say it was withdrawn rather than that it is unknown
-- (accounts/invites.py). A table of its own, not a column of invites: CREATE TABLE IF NOT
-- EXISTS runs again unharmed when an archive's user_version is rewound.
CREATE TABLE IF NOT EXISTS invite_withdrawals (
    invite_id     INTEGER PRIMARY KEY REFERENCES invites(id) ON DELETE CASCADE,
    withdrawn_at  REAL NOT NULL
);
