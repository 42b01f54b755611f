"""``Idempotency-Key`` for API writes and scan-screen posts: a retried request (a scanner that
resent after a timeout, a script re-run, a scan screen's resend after a lost connection) gets
the original answer, and the work is done once.

The record is written in the same transaction as the work itself, so either both land or
neither does; a concurrent duplicate loses on the unique (user, key) constraint and gets 409.
"""

from __future__ import annotations

import hashlib

from flask import Flask, Response, g, request
from flask_login import current_user
from sqlalchemy import select

from ..errors import ValidationError
from ..models.idempotency import IdempotencyRecord
from .transaction import db_session, keep_answer

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MAX_KEY_LENGTH = 128


def _request_hash() -> str:
    h = hashlib.sha256()
    h.update(request.method.encode())
    h.update(b"\0" + request.path.encode() + b"\0")
    h.update(request.get_data(cache=True))
    return h.hexdigest()


def init_app(app: Flask) -> None:
    @app.before_request
    def _replay() -> Response | None:
        key = request.headers.get("Idempotency-Key")
        user = g.get("api_user")
        if user is None and key and current_user.is_authenticated:
            # A scan screen (scanqueue.js) sends each scan with its own key and resends it
            # after a lost connection: the signed-in user's resend is answered the same way.
            user = current_user
        if not key or request.method not in WRITE_METHODS or user is None:
            return None
        if len(key) > MAX_KEY_LENGTH or not key.isascii() or not key.isprintable():
            raise ValidationError("Idempotency-Key must be printable ASCII, at most 128 "
                                  "characters", code="bad_idempotency_key")
        digest = _request_hash()
        record = db_session().execute(
            select(IdempotencyRecord).where(IdempotencyRecord.user_id == user.id,
                                            IdempotencyRecord.key == key)
        ).scalar_one_or_none()
        if record is None:
            g.idempotency = (user.id, key, digest)
            return None
        if record.request_hash != digest:
            raise ValidationError("this Idempotency-Key was used for a different request",
                                  code="idempotency_key_reused")
        replay = Response(record.body, status=record.status, content_type=record.content_type)
        replay.headers["Idempotent-Replayed"] = "true"
        return replay

    @app.after_request
    def _remember(response: Response) -> Response:
        pending = g.pop("idempotency", None)
        # Only final answers are remembered: a 5xx or 503 "retry" must be retried for real.
        if pending is None or response.status_code >= 500 or response.is_streamed:
            return response
        user_id, key, digest = pending
        session = db_session()
        if response.status_code >= 400 or g.get("request_failed"):
            # The refusal is the answer to remember (the refused work was rolled back when
            # its exception escaped the view; a scan screen shows its refusal with 200).
            keep_answer()
        session.add(IdempotencyRecord(
            user_id=user_id, key=key, request_hash=digest, status=response.status_code,
            content_type=response.content_type or "application/json",
            body=response.get_data(),
        ))
        return response
