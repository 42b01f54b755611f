"""The application's domain errors: one small tree, mapped to HTTP in ``web/errors.py`` only."""

from __future__ import annotations


class BiobankError(Exception):
    """Base of every error a service raises on purpose. ``code`` is a stable machine word."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class ValidationError(BiobankError):
    status = 422
    code = "invalid"


class NotFound(BiobankError):
    status = 404
    code = "not_found"


class PermissionDenied(BiobankError):
    status = 403
    code = "forbidden"


class Unauthenticated(BiobankError):
    status = 401
    code = "unauthenticated"


class Conflict(BiobankError):
    """The request is valid but collides with the current state (duplicate, already done)."""

    status = 409
    code = "conflict"


class InvalidTransition(Conflict):
    code = "invalid_transition"


class TooManyRequests(BiobankError):
    status = 429
    code = "rate_limited"


class ServiceUnavailable(BiobankError):
    """The database is busy beyond its timeout: the client should retry."""

    status = 503
    code = "busy"
