"""Errors the domain raises; each carries the HTTP status the web layer answers with."""

from __future__ import annotations


class AppError(Exception):
    status = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class BadRequest(AppError):
    status = 400


class NotAuthenticated(AppError):
    status = 401


class Forbidden(AppError):
    status = 403


class NotFound(AppError):
    status = 404


class Conflict(AppError):
    status = 409


class Gone(AppError):
    """It was there and will not be again (an expired share link)."""

    status = 410


class PayloadTooLarge(AppError):
    status = 413


class UnsupportedMedia(AppError):
    status = 415


class Invalid(AppError):
    status = 422


class TooManyRequests(AppError):
    status = 429

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(AppError):
    status = 503

    def __init__(self, message: str, *, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after  # seconds, when it is known to be worth trying again


class InsufficientStorage(AppError):
    status = 507


class OverQuota(InsufficientStorage):
    """Past the person's quota: sending the same again will not help until they make room."""
