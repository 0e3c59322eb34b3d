"""Operator commands: bulk import, verify, backup and restore."""
