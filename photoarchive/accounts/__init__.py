"""People: accounts, passwords, sessions, sign-in throttling, identity providers."""
