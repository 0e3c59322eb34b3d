"""Photoarchive: a self-hosted photo archive for families and homelabs."""

__version__ = "0.1.0"
