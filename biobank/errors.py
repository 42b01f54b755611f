"""The application's domain errors: one small tree, mapped to HTTP in ``web/errors.py`` only."""

from __future__ import annotations

from .i18n import Msg


class BiobankError(Exception):
    """Base of every error a service raises on purpose. ``code`` is a stable machine word.

    ``message`` is a gettext format and the other keyword arguments are its params:
    ``NotFound("no site with code %(site)r", site=site_code, code="bad_site")``. ``code`` is
    reserved for the machine word, so a param never takes that name. ``str(exc)`` and
    ``exc.message`` are the English text (a :class:`~biobank.i18n.Msg`, which web/errors.py
    shows in the request's language); ``exc.params`` are the data, for API clients.
    """

    status = 400
    code = "bad_request"

    def __init__(self, message: str, /, *, code: str | None = None, **params: object) -> None:
        # A Msg passed on from another error (re-raised as this class) keeps its params.
        msg = message if isinstance(message, Msg) and not params else Msg(message, **params)
        super().__init__(str(msg))
        self.message: Msg = msg
        if code is not None:
            self.code = code

    @property
    def params(self) -> dict[str, object]:
        return self.message.params


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
