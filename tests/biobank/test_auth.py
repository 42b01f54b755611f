"""Sign-in, lockout, idle timeout, CSRF, cookies and bearer tokens."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select, update

from biobank import get_db
from biobank.models import AuditEvent
from tests.conftest import DEMO_PASSWORD, csrf_token, login, post_form


def test_login_and_logout(app: Flask) -> None:
    c = app.test_client()
    assert c.get("/").status_code == 302  # to the login page
    resp = login(c, "s01.tech")
    assert resp.status_code == 302
    assert "s01.tech" not in resp.headers.get("Location", "")
    assert c.get("/").status_code == 200
    post_form(c, "/logout", {})
    assert c.get("/").status_code == 302


def test_wrong_password_is_refused_without_saying_which_part(app: Flask) -> None:
    c = app.test_client()
    for user in ("s01.tech", "nobody"):
        resp = login(c, user, "wrong-password")
        assert resp.status_code == 401
        assert "wrong username or password" in resp.get_data(as_text=True)


def test_backoff_after_five_failures_even_with_right_password(app: Flask) -> None:
    c = app.test_client()
    for _ in range(5):
        assert login(c, "s02.tech", "wrong-password").status_code == 401
    resp = login(c, "s02.tech", DEMO_PASSWORD)
    assert resp.status_code == 401  # blocked from this address, the same answer as a bad one
    assert "wrong username or password" in resp.get_data(as_text=True)
    with get_db(app).transaction() as s:
        blocked = s.execute(select(AuditEvent).where(
            AuditEvent.action == "user.login_blocked")).scalars().one()
        assert blocked.entity_id == "s02.tech" and blocked.changes["seconds"] == 60


def test_session_cookie_flags(app: Flask) -> None:
    app.config["SESSION_COOKIE_SECURE"] = True
    c = app.test_client()
    resp = c.get("/login", base_url="https://localhost")
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "Secure" in cookie and "SameSite=Lax" in cookie


def test_idle_session_expires(app: Flask) -> None:
    c = app.test_client()
    login(c, "s01.tech")
    with c.session_transaction() as sess:
        sess["last_seen"] = sess["last_seen"] - app.config["IDLE_TIMEOUT_SECONDS"] - 5
    resp = c.get("/participants/")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    assert c.get("/").status_code == 302


def test_form_without_csrf_token_is_refused_and_writes_nothing(
    client_as: Any, app: Flask
) -> None:
    c = client_as("s01.coord")
    before = _audit_count(app)
    resp = c.post("/participants/S01-0001/visits/C1D1/kit", data={})
    assert resp.status_code == 400
    assert "security token" in resp.get_data(as_text=True)
    assert _audit_count(app) == before


def test_login_form_needs_csrf(app: Flask) -> None:
    c = app.test_client()
    resp = c.post("/login", data={"username": "s01.tech", "password": DEMO_PASSWORD})
    assert resp.status_code == 400


def test_open_redirect_after_login_is_ignored(app: Flask) -> None:
    c = app.test_client()
    token = csrf_token(c)
    resp = c.post("/login?next=//evil.example/x",
                  data={"username": "s01.tech", "password": DEMO_PASSWORD, "csrf_token": token})
    assert resp.headers["Location"] == "/"


def test_api_without_token_is_401_json(app: Flask) -> None:
    c = app.test_client()
    resp = c.get("/api/v1/participants")
    assert resp.status_code == 401
    assert resp.json["error"]["code"] == "unauthenticated"
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")


def test_api_ignores_session_cookie(client_as: Any) -> None:
    # The API is CSRF-exempt, so a browser session must not authenticate it.
    c = client_as("s01.tech")
    assert c.get("/api/v1/participants").status_code == 401


def test_api_token_works_until_revoked(app: Flask, api_token: Any, client_as: Any) -> None:
    token = api_token("s01.tech")
    c = app.test_client()
    h = {"Authorization": f"Bearer {token}"}
    assert c.get("/api/v1/me", headers=h).json["username"] == "s01.tech"
    assert c.get("/api/v1/me", headers={"Authorization": "Bearer bbk_forged"}).status_code == 401
    web = client_as("s01.tech")
    page = web.get("/account/").get_data(as_text=True)
    assert token not in page  # only a prefix is ever shown again
    from biobank.models import ApiToken

    with get_db(app).transaction() as s:
        tok = s.execute(select(ApiToken)).scalars().all()[-1]
        assert tok.token_hash != token and len(tok.token_hash) == 64
        tid = tok.id
    assert post_form(web, f"/account/tokens/{tid}/revoke", {}).status_code == 302
    assert c.get("/api/v1/me", headers=h).status_code == 401


def test_monitor_is_read_only(api_token: Any, app: Flask, db: Any) -> None:
    from biobank.models import Specimen

    code = db.execute(select(Specimen.barcode).where(Specimen.status == "collected")).first()[0]
    c = app.test_client()
    h = {"Authorization": f"Bearer {api_token('monitor')}"}
    assert c.get(f"/api/v1/specimens/{code}", headers=h).status_code == 200
    resp = c.post(f"/api/v1/specimens/{code}/transitions", headers=h,
                  json={"action": "dispose", "reason": "test"})
    assert resp.status_code == 403
    assert resp.json["error"]["code"] == "forbidden"


def test_request_cannot_set_its_own_role_or_site(app: Flask, api_token: Any) -> None:
    c = app.test_client()
    h = {"Authorization": f"Bearer {api_token('s01.tech')}"}
    for body in ({"role": "admin"}, {"site": "CB"}, {"site_id": 1, "locale": "zh"}):
        resp = c.patch("/api/v1/me", headers=h, json=body)
        assert resp.status_code == 422
        assert resp.json["error"]["code"] == "forbidden_field"
    me = c.get("/api/v1/me", headers=h).json
    assert me["role"] == "technician" and me["site"] == "S01" and me["locale"] is None
    assert c.patch("/api/v1/me", headers=h, json={"locale": "zh"}).json["locale"] == "zh"


def _audit_count(app: Flask) -> int:
    with get_db(app).transaction() as s:
        return len(s.execute(select(AuditEvent.id)).all())


def test_backoff_doubles_to_its_cap_and_the_unlock_command_clears_it(app: Flask) -> None:
    """The policy in docs/RELIABILITY.md: 5 failures free, then 60 s doubling with each further
    failure up to LOCKOUT_MINUTES (15 min); an administrator's `flask unlock-user` clears it.
    The wait is made to elapse by moving blocked_until, not by sleeping."""
    from biobank.models import AuthThrottle, utcnow

    def wrong() -> int:
        c = app.test_client()
        return int(login(c, "s02.tech", "wrong-password").status_code)

    def blocked_seconds() -> int:
        with get_db(app).transaction() as s:
            row = s.execute(select(AuthThrottle)).scalar_one()
            assert row.blocked_until is not None
            seconds = round((row.blocked_until - row.updated_at).total_seconds())
            s.execute(update(AuthThrottle).values(blocked_until=utcnow()))  # the wait elapses
            return seconds

    for _ in range(4):
        assert wrong() == 401
    seen = []
    for _ in range(6):
        assert wrong() == 401
        seen.append(blocked_seconds())
    assert seen == [60, 120, 240, 480, 900, 900]
    # One more failure blocks again: now even the right password is refused ...
    assert wrong() == 401
    assert login(app.test_client(), "s02.tech").status_code == 401
    # ... until an administrator clears the back-off.
    runner = app.test_cli_runner()
    done = runner.invoke(args=["unlock-user", "s02.tech"])
    assert done.exit_code == 0, done.output
    assert login(app.test_client(), "s02.tech").status_code == 302
    with get_db(app).transaction() as s:
        assert s.execute(select(AuditEvent.entity_id).where(
            AuditEvent.action == "user.unlock")).scalars().all() == ["s02.tech"]
    ghost = runner.invoke(args=["unlock-user", "ghost"])
    assert ghost.exit_code != 0 and "no user 'ghost'" in ghost.output
