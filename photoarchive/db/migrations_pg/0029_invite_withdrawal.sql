-- An administrator may withdraw an invite link before it is used (one mailed to the wrong
-- address): when, so that its link can say it was withdrawn rather than that it is unknown
-- (the same table as SQLite's 0029).
CREATE TABLE IF NOT EXISTS invite_withdrawals (
    invite_id     BIGINT PRIMARY KEY REFERENCES invites(id) ON DELETE CASCADE,
    withdrawn_at  DOUBLE PRECISION NOT NULL
);
