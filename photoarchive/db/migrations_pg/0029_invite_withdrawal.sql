-- An administrator may withdraw an invite link before it is used (one mailed to the wrong
-- address): when, so that its link can say it was withdrawn rather than that it is unknown.
ALTER TABLE invites ADD COLUMN withdrawn_at DOUBLE PRECISION;
