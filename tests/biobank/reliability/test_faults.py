"""Faults a deployment meets: a database locked beyond its timeout, a login spray."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from biobank import get_db
from tests.conftest import DEMO_PASSWORD, csrf_token, make_app


def test_locked_database_gives_503_with_retry_after(sqlite_template: Path, tmp_path: Path) -> None:
    import shutil

    path = tmp_path / "locked.db"
    shutil.copy(sqlite_template, path)
    app = make_app(f"sqlite:///{path}", tmp_path, SQLITE_BUSY_TIMEOUT_MS=200)
    from sqlalchemy import select

    from biobank.models import User
    from biobank.services import users

    with get_db(app).transaction() as s:
        tech = s.execute(select(User).where(User.username == "cb.tech")).scalar_one()
        token, _t = users.create_token(s, tech, tech, "t")
    blocker = sqlite3.connect(path, isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock
    try:
        resp = app.test_client().post("/api/v1/scan", json={"code": "SP00000001X"},
                                      headers={"Authorization": f"Bearer {token}"})
        assert resp.status_code == 503
        assert resp.headers["Retry-After"].isdigit()
        assert resp.json["error"]["code"] == "busy"
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    ok = app.test_client().post("/api/v1/scan", json={"code": "SP00000001X"},
                                headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code in {404, 422}
    get_db(app).dispose()


def test_login_is_rate_limited_per_address(app: Any) -> None:
    app.config["LOGIN_RATE_LIMIT"] = 3
    c = app.test_client()
    token = csrf_token(c)
    codes = [
        c.post("/login",
               data={"username": f"u{i}", "password": "x", "csrf_token": token}).status_code
        for i in range(4)
    ]
    assert codes == [401, 401, 401, 429]
    right = c.post("/login", data={"username": "s01.tech", "password": DEMO_PASSWORD,
                                   "csrf_token": token})
    assert right.status_code == 429 and right.headers["Retry-After"] == "60"
