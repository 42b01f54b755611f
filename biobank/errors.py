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


class FieldError(ValidationError):
    """A value refused at the input boundary (``biobank/inputs.py``), naming its field.

    ``field`` is the form or JSON name (``quantity``, ``codes[2]``) and is a param of the
    message too. ``errors`` holds every field refused in the same request (this one first), so
    a page can show each message beside its field: :attr:`by_field`.
    """

    def __init__(self, message: str, /, *, field: str, code: str | None = None,
                 **params: object) -> None:
        super().__init__(message, code=code, field=field, **params)
        self.field = field
        self.errors: tuple[FieldError, ...] = (self,)

    @classmethod
    def collect(cls, errors: list[FieldError]) -> FieldError:
        """The first refusal, carrying all of them."""
        first = errors[0]
        first.errors = tuple(errors)
        return first

    @property
    def by_field(self) -> dict[str, Msg]:
        """Field name → its (first) message."""
        out: dict[str, Msg] = {}
        for e in self.errors:
            out.setdefault(e.field, e.message)
        return out
