-- Sign-up attempts per client (an IPv4 address or an IPv6 /64), for the sign-up throttle.
CREATE TABLE IF NOT EXISTS signup_attempts (
    id          INTEGER PRIMARY KEY,
    client_key  TEXT NOT NULL,
    at          REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS signup_attempts_client ON signup_attempts(client_key, at);
CREATE INDEX IF NOT EXISTS signup_attempts_age ON signup_attempts(at);
