-- Failed sign-ins, kept for the throttling window: per account and per client address.
CREATE TABLE login_failures (
    id            INTEGER PRIMARY KEY,
    account_key   TEXT NOT NULL,                 -- 'user:<id>' for an account, else the login typed
    client_ip     TEXT NOT NULL,
    failed_at     REAL NOT NULL
);
CREATE INDEX login_failures_account ON login_failures(account_key, failed_at);
CREATE INDEX login_failures_client ON login_failures(client_ip, failed_at);
CREATE INDEX login_failures_age ON login_failures(failed_at);
