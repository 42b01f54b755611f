"""The one place a request's database work is committed or rolled back.

Views call services through :func:`db_session`; after the view, a successful response (< 400)
commits, anything else rolls back, so no error ever leaves a partial write behind.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, g, request
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from .. import get_db
from ..errors import Conflict, ServiceUnavailable

log = logging.getLogger("biobank.web")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def db_session() -> Session:
    session: Session | None = g.get("db_session")
    if session is None:
        session = get_db(current_app).session(write=request.method not in SAFE_METHODS)
        g.db_session = session
    return session


def is_lock_error(exc: OperationalError) -> bool:
    text = str(exc.orig).lower() if exc.orig is not None else str(exc).lower()
    return "locked" in text or "lock timeout" in text or "could not obtain lock" in text


def init_app(app: Flask) -> None:
    @app.after_request
    def _finish(response: Response) -> Response:
        session: Session | None = g.pop("db_session", None)
        if session is None:
            return response
        from .errors import error_response

        try:
            if response.status_code < 400 or g.get("commit_on_error"):
                session.commit()
            else:
                session.rollback()
        except IntegrityError as exc:
            session.rollback()
            log.warning("commit refused by a database constraint: %s", type(exc.orig).__name__)
            return error_response(Conflict("the change collides with another one just made; "
                                           "reload and try again", code="constraint"))
        except OperationalError as exc:
            session.rollback()
            if is_lock_error(exc):
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
