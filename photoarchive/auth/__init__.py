"""Accounts: password hashing, sessions, and the identity providers."""
