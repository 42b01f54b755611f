"""The one place a request's database work is committed or rolled back.

The rule (after indico's request handler): a request commits when no exception escaped its
view, and rolls back when one did — never decided by the HTTP status. Every error handler
calls :func:`abandon` first; a view that answers a refusal with its own page (the scan screens
show a refused scan in place, with status 200 for htmx) is wrapped in :func:`refusals`, which
does the same. No view rolls back by hand.

The one exception to the rule is explicit: a view whose refusal must itself be recorded (a
failed sign-in or e-signature counts towards the back-off and is audited) calls
:func:`record_refusal` with the refusal's code before the service raises it, and what was
written until then is committed with the refusal; an ``Idempotency-Key`` record of a refused
answer (and a scan screen's state for its next scan) is kept with :func:`keep_answer` after
the refused work was rolled back.

Serialization failures and deadlocks (PostgreSQL SQLSTATE 40001 / 40P01) on the receipt,
storage and signature paths are retried a bounded number of times by :func:`retry_conflicts`;
past that, and at commit, the answer is 503 with ``Retry-After``.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from flask import Flask, Response, current_app, g, make_response, request
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session

from .. import get_db
from ..errors import BiobankError, Conflict, ServiceUnavailable

log = logging.getLogger("biobank.web")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: SQLSTATEs after which the same transaction, run again, may well succeed.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
DEFAULT_CONFLICT_RETRIES = 3

F = TypeVar("F", bound=Callable[..., Any])


def db_session() -> Session:
    session: Session | None = g.get("db_session")
    if session is None:
        session = get_db(current_app).session(write=request.method not in SAFE_METHODS)
        g.db_session = session
    return session


def is_lock_error(exc: OperationalError) -> bool:
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    return "locked" in text or "lock timeout" in text or "could not obtain lock" in text


def is_retryable(exc: BaseException) -> bool:
    """A PostgreSQL serialization failure or deadlock (the transaction may simply be rerun)."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    return getattr(orig, "sqlstate", None) in RETRYABLE_SQLSTATES


def record_refusal(*codes: str) -> None:
    """The explicit flag: a refusal with one of these codes is itself a record (a failed
    sign-in or e-signature counts towards the back-off and is audited), so what the request
    wrote until it was raised is committed with it. Any other exception still rolls back."""
    g.record_refusal = frozenset(codes)


def keep_answer() -> None:
    """Commit this failed request's session as it is now: after the refused work was rolled
    back, what is left to write is the ``Idempotency-Key`` record of the refusal, and on the
    store-by-scan screen what the refused scan means for the next one (a warning waiting for
    the same tube's second scan, or none; ``storage.note_scan``)."""
    g.kept = True


def abandon(exc: BaseException | None = None) -> None:
    """An exception escaped the view: its writes are rolled back now, before the error page is
    rendered (which may read the database again) — unless it is a refusal the view flagged
    with :func:`record_refusal`."""
    g.request_failed = True
    keep = g.get("record_refusal") or frozenset()
    g.kept = isinstance(exc, BiobankError) and exc.code in keep
    session: Session | None = g.get("db_session")
    if session is None or g.kept:
        return
    try:
        session.rollback()
    except Exception:  # a broken connection: the session is discarded after the request
        log.warning("rollback failed", exc_info=True)


def refusals(render: Callable[..., Any],
             when: Callable[[BiobankError], bool] = lambda exc: True) -> Callable[[F], F]:
    """The view's refusals (a :class:`BiobankError` for which ``when(exc)``) are answered by
    ``render(exc, *args, **kwargs)`` (the view's arguments) instead of the error page. The
    refused work is rolled back first, as for any escaped exception; the refusal is logged
    like every other. Other refusals go to the error handlers."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return view(*args, **kwargs)
            except BiobankError as exc:
                from .errors import add_retry_after, log_refusal

                if not when(exc):
                    raise
                abandon(exc)
                log_refusal(exc)
                response = make_response(render(exc, *args, **kwargs))
                add_retry_after(response, exc.status)
                return response

        return cast(F, wrapper)

    return decorator


def retry_conflicts(view: F) -> F:
    """Rerun the view (from a clean session) when PostgreSQL reports a serialization failure
    or a deadlock, up to ``CONFLICT_RETRIES`` times; then 503 with Retry-After. Only for views
    whose whole effect is in the database (no file written, nothing sent to a printer)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        attempts = int(current_app.config.get("CONFLICT_RETRIES", DEFAULT_CONFLICT_RETRIES))
        for attempt in range(attempts + 1):
            try:
                return view(*args, **kwargs)
            except DBAPIError as exc:
                if not is_retryable(exc):
                    raise
                session: Session | None = g.get("db_session")
                if session is not None:
                    session.rollback()
                log.warning("%s on %s, attempt %d of %d", type(exc.orig).__name__,
                            request.endpoint, attempt + 1, attempts + 1)
                if attempt < attempts:
                    time.sleep(random.uniform(0.005, 0.02) * (attempt + 1))
        raise ServiceUnavailable("the database could not complete the change because of "
                                 "concurrent changes; nothing was saved, retry",
                                 code="conflict_retry")

    return cast(F, wrapper)


def init_app(app: Flask) -> None:
    @app.after_request
    def _finish(response: Response) -> Response:
        session: Session | None = g.pop("db_session", None)
        if session is None:
            return response
        from .errors import error_response

        try:
            if g.get("request_failed") and not g.get("kept"):
                session.rollback()
            else:
                session.commit()
        except IntegrityError as exc:
            session.rollback()
            log.warning("commit refused by a database constraint: %s", type(exc.orig).__name__)
            return error_response(Conflict("the change collides with another one just made; "
                                           "reload and try again", code="constraint"))
        except DBAPIError as exc:
            session.rollback()
            if is_retryable(exc) or (isinstance(exc, OperationalError) and is_lock_error(exc)):
                return error_response(ServiceUnavailable("the database is busy; retry shortly"))
            raise
        finally:
            session.close()
        return response

    @app.teardown_request
    def _cleanup(_exc: BaseException | None) -> None:
        session: Session | None = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()
