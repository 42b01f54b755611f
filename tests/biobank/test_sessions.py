"""Sessions end: sign-out closes the session server-side (a saved cookie, replayed, opens
nothing), a new id at each sign-in, the idle timeout and the absolute lifetime (defect 4 of
issue 15). Replays use the cookie exactly as the browser held it."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from biobank import get_db
from biobank.models import UserSession, utcnow
from tests.biobank.helpers import row_counts, specimen_code
from tests.conftest import csrf_token, login, post_form

COOKIE = "biobank_session"


def _cookie(c: FlaskClient) -> str:
    cookie = c.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value


def _replay(app: Flask, value: str) -> FlaskClient:
    c = app.test_client()
    c.set_cookie(COOKIE, value)
    return c


def _signed_in(c: FlaskClient) -> bool:
    return c.get("/participants/").status_code == 200


def test_defect4_a_cookie_saved_before_sign_out_opens_nothing_after(app: Flask,
                                                                   db: Any) -> None:
    c = app.test_client()
    assert login(c, "s01.tech").status_code == 302
    token = csrf_token(c, "/")  # the page's CSRF token (its secret is in the cookie) ...
    saved = _cookie(c)  # ... and the cookie, saved together
    tube = specimen_code(db, status="expected", site="S01")
    assert _signed_in(_replay(app, saved))
    post_form(c, "/logout", {})
    thief = _replay(app, saved)
    r = thief.get("/participants/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]
    # A scan replayed with the saved cookie AND its valid CSRF token: sent to sign in (not a
    # 400 for a missing token, which would prove nothing about the session), nothing written.
    before = row_counts(app)
    scan = _replay(app, saved).post("/scan", data={"code": tube, "csrf_token": token})
    assert scan.status_code == 302 and "/login" in scan.headers["Location"]
    assert row_counts(app) == before
    with get_db(app).transaction() as s:
        ended = s.execute(select(UserSession.end_reason)).scalars().all()
    assert ended == ["logout"]


def test_defect4_the_same_scan_before_sign_out_is_accepted(app: Flask, db: Any) -> None:
    """The control for the replay above: the same cookie and token, before signing out,
    collect the tube (so the replay's refusal is the session's end, not a bad request)."""
    c = app.test_client()
    login(c, "s01.tech")
    token = csrf_token(c, "/")
    saved = _cookie(c)
    tube = specimen_code(db, status="expected", site="S01")
    scan = _replay(app, saved).post("/scan", data={"code": tube, "csrf_token": token})
    assert scan.status_code == 200 and "Collection registered" in scan.get_data(as_text=True)


def test_a_new_session_id_at_each_sign_in_and_the_old_one_ends(app: Flask) -> None:
    c = app.test_client()
    login(c, "s01.tech")
    first = _cookie(c)
    login(c, "s01.tech")
    second = _cookie(c)
    with c.session_transaction() as sess:
        sid2 = sess["sid"]
    c1 = _replay(app, first)
    with c1.session_transaction() as sess:
        assert sess["sid"] != sid2
    assert not _signed_in(_replay(app, first))
    assert _signed_in(_replay(app, second))


def test_defect4_a_cookie_replayed_after_the_idle_timeout_opens_nothing(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    c = app.test_client()
    login(c, "s01.tech")
    saved = _cookie(c)
    idle = app.config["IDLE_TIMEOUT_SECONDS"]
    assert idle == 30 * 60
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + idle - 60)
    assert _signed_in(_replay(app, saved))  # 29 minutes: still open
    monkeypatch.setattr(time, "time", lambda: now + idle + 60)
    r = _replay(app, saved).get("/participants/")
    assert r.status_code == 302 and "/login" in r.headers["Location"]


def test_the_idle_timeout_is_configurable(db_url: str, tmp_path: Any,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import make_app

    app = make_app(db_url, tmp_path, IDLE_TIMEOUT_SECONDS=120)
    c = app.test_client()
    login(c, "s01.tech")
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 100)
    assert _signed_in(c)  # activity moves last_seen on
    monkeypatch.setattr(time, "time", lambda: now + 100 + 121)
    assert not _signed_in(c)
    get_db(app).dispose()


def test_the_absolute_lifetime_ends_even_an_active_session(app: Flask) -> None:
    c = app.test_client()
    login(c, "s01.tech")
    assert _signed_in(c)
    lifetime = app.config["SESSION_ABSOLUTE_LIFETIME"]
    assert lifetime == timedelta(hours=12)
    with get_db(app).transaction() as s:  # the session began just over 12 hours ago
        s.execute(update(UserSession).values(
            created_at=utcnow() - lifetime - timedelta(minutes=1)))
    assert not _signed_in(c)


def test_a_disabled_account_is_signed_out_at_once(app: Flask) -> None:
    from biobank.models import User

    c = app.test_client()
    login(c, "s01.tech")
    with get_db(app).transaction() as s:
        s.execute(update(User).where(User.username == "s01.tech").values(active=False))
    assert not _signed_in(c)
