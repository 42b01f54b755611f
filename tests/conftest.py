"""Shared fixtures: an app on SQLite and (where reachable) PostgreSQL, seeded with the demo
trial; clients that sign in like a person (CSRF token included) or with an API token."""

from __future__ import annotations

import logging
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from biobank import create_app, get_db
from biobank.db import make_engine
from biobank.migrate import upgrade
from biobank.services import demo

PG_ADMIN_URL = os.environ.get(
    "BIOBANK_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
DEMO_PASSWORD = "demo-Passw0rd!"
_CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def _pg_reason() -> str | None:
    try:
        eng = create_engine(PG_ADMIN_URL, connect_args={"connect_timeout": 3})
        with eng.connect() as c:
            c.execute(text("select 1"))
        eng.dispose()
    except Exception as exc:  # any failure means: no PostgreSQL for this run
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"
    return None


PG_SKIP_REASON = _pg_reason()
#: In CI (``CI=true``) a missing dependency fails the run: nothing that needs PostgreSQL,
#: Chromium or poppler may turn into a skip there (a regression would pass unseen).
IN_CI = os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}


def missing_dependency(reason: str) -> NoReturn:
    """Skip the test on a developer's machine; fail it under CI."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: a missing dependency fails the run)", pytrace=False)
    pytest.skip(reason)


def needs(missing: bool, reason: str) -> pytest.MarkDecorator:
    """A skip marker that holds only outside CI (under CI the test runs, and fails)."""
    return pytest.mark.skipif(missing and not IN_CI, reason=reason)


def _seed(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    from sqlalchemy.orm import Session

    with Session(engine) as s:
        demo.seed_demo(s, DEMO_PASSWORD)
        s.commit()
    engine.dispose()


class PgDatabases:
    """Creates databases on the local server: a seeded template once, then a copy per test."""

    def __init__(self) -> None:
        self.admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        self.prefix = f"bbt_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.created: list[str] = []
        self.template: str | None = None

    def url_for(self, name: str) -> str:
        return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def create(self, template: str | None = None) -> str:
        name = f"{self.prefix}_{len(self.created)}"
        with self.admin.connect() as c:
            c.execute(text(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"'
                                                           if template else "")))
        self.created.append(name)
        return name

    def seeded(self) -> str:
        if self.template is None:
            self.template = self.create()
            _seed(self.url_for(self.template))
        return self.create(self.template)

    def drop(self, name: str) -> None:
        with self.admin.connect() as c:
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        for name in reversed(self.created):
            self.drop(name)
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_databases() -> Iterator[PgDatabases]:
    if PG_SKIP_REASON:
        missing_dependency(PG_SKIP_REASON)
    dbs = PgDatabases()
    yield dbs
    dbs.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "seeded.db"
    _seed(f"sqlite:///{path}")
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A seeded demo database, fresh for each test, on each engine."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "biobank.db"
        shutil.copy(template, path)
        yield f"sqlite:///{path}"
    else:
        dbs: PgDatabases = request.getfixturevalue("pg_databases")
        name = dbs.seeded()
        yield dbs.url_for(name)
        dbs.drop(name)


def make_app(url: str, tmp_path: Path, **extra: Any) -> Flask:
    config = {
        "TESTING": True,
        "DATABASE_URL": url,
        "SECRET_KEY": "test-secret",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "DEMO_PASSWORD": DEMO_PASSWORD,
    }
    config.update(extra)
    instance = tmp_path / "instance"
    instance.mkdir(exist_ok=True)
    app = create_app(config)
    app.instance_path = str(instance)
    return app


@pytest.fixture
def app(db_url: str, tmp_path: Path) -> Iterator[Flask]:
    application = make_app(db_url, tmp_path)
    yield application
    get_db(application).dispose()


@pytest.fixture
def db(app: Flask) -> Iterator[Any]:
    """A read session on the test database for checking state (writes go through
    ``get_db(app).transaction()`` so that they never hold SQLite's write lock open)."""
    session = get_db(app).session(write=False)
    yield session
    session.rollback()
    session.close()


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    m = _CSRF.search(page)
    assert m, f"no CSRF token on {path}"
    return m.group(1)


def login(client: FlaskClient, username: str, password: str = DEMO_PASSWORD) -> Any:
    token = csrf_token(client)
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token})


@pytest.fixture
def client_as(app: Flask) -> Any:
    """``client_as("s01.tech")`` → a test client signed in as that demo user."""

    def make(username: str) -> FlaskClient:
        c = app.test_client()
        resp = login(c, username)
        assert resp.status_code == 302, resp.get_data(as_text=True)[:500]
        return c

    return make


def open_session(app: Flask, client: FlaskClient, username: str) -> str:
    """Sign ``client`` in as ``username`` without the sign-in page (for tests about something
    else): a server-side session row and the cookie that names it. Returns the session id."""
    from sqlalchemy import select

    from biobank.models import User
    from biobank.services import sessions

    with get_db(app).transaction() as s:
        user = s.execute(select(User).where(User.username == username)).scalar_one()
        sid = sessions.start(s, user)
        user_id = user.id
    write_session_cookie(client, user_id, sid)
    return sid


def write_session_cookie(client: FlaskClient, user_id: int, sid: str) -> None:
    import time

    with client.session_transaction() as sess:
        sess["_user_id"] = str(user_id)
        sess["_fresh"] = True
        sess["sid"] = sid
        sess["last_seen"] = int(time.time())


def post_form(client: FlaskClient, path: str, data: dict[str, Any], **kw: Any) -> Any:
    token = csrf_token(client, "/")
    return client.post(path, data={**data, "csrf_token": token}, **kw)


@pytest.fixture
def api_token(app: Flask) -> Any:
    """``api_token("cb.tech")`` → a bearer token for that demo user."""
    from sqlalchemy import select

    from biobank.models import User
    from biobank.services import users

    def make(username: str) -> str:
        with get_db(app).transaction() as s:
            user = s.execute(select(User).where(User.username == username)).scalar_one()
            plaintext, _t = users.create_token(s, user, user, "tests")
        return plaintext

    return make


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


class LiveServer:
    def __init__(self, app: Flask) -> None:
        import threading

        from werkzeug.serving import make_server

        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=5)


@pytest.fixture
def live_server(sqlite_template: Path, tmp_path: Path) -> Iterator[LiveServer]:
    """The app served over real HTTP on 127.0.0.1 (SQLite, seeded demo data)."""
    path = tmp_path / "live.db"
    shutil.copy(sqlite_template, path)
    app = make_app(f"sqlite:///{path}", tmp_path)
    server = LiveServer(app)
    yield server
    server.stop()
    get_db(app).dispose()


@pytest.fixture
def page(live_server: LiveServer) -> Iterator[Any]:
    """A Playwright page in Debian's Chromium (headless; no downloaded browsers)."""
    if not os.path.exists(CHROMIUM):
        missing_dependency(f"{CHROMIUM} not installed (make test installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(base_url=live_server.url, accept_downloads=True)
        pg = context.new_page()
        pg.set_default_timeout(10_000)
        yield pg
        context.close()
        browser.close()


def browser_login(page: Any, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


# --- Log hygiene: every log record emitted during the whole suite is kept and, at the end,
# searched for secrets and clinical data. A hit fails the run (see pytest_sessionfinish).
class _Collector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.lines.append(f"{record.name}: {record.getMessage()}")
        except Exception:  # a record that cannot format is not our concern here
            self.lines.append(f"{record.name}: {record.msg!r}")


LOG_COLLECTOR = _Collector()
TEST_PASSWORDS = (DEMO_PASSWORD, "long-enough-pw")
_TOKEN = re.compile(r"bbk_[A-Za-z0-9_\-]{16,}")
_VCF_RECORD = re.compile(r"(^|\s)(chr)?[0-9XYM]{1,2}\t\d+\t[^\t]*\t[ACGTN]+\t")
_PARTICIPANT = re.compile(r"\b[A-Z]{1,3}\d{2}-\d{4}\b")
#: Loggers that describe requests: they name route templates, never the codes in a URL.
REQUEST_LOGGERS = ("biobank.access:", "biobank.security:", "werkzeug:")
_GENOTYPE = re.compile(r"c\.[-*]?\d|p\.\(|pathogenic|germline|somatic|\b[01][/|][01]\b", re.I)


def log_hygiene_violations(lines: list[str]) -> list[str]:
    bad = []
    for line in lines:
        if any(p in line for p in TEST_PASSWORDS):
            bad.append(f"password in log: {line[:200]}")
        elif _TOKEN.search(line):
            bad.append(f"API token in log: {line[:200]}")
        elif _VCF_RECORD.search(line):
            bad.append(f"VCF record in log: {line[:200]}")
        elif _PARTICIPANT.search(line) and _GENOTYPE.search(line):
            bad.append(f"participant code next to a genotype in log: {line[:200]}")
        elif line.startswith(REQUEST_LOGGERS) and _PARTICIPANT.search(line):
            bad.append(f"participant code in a request log: {line[:200]}")
    return bad


def pytest_configure(config: pytest.Config) -> None:
    if IN_CI and PG_SKIP_REASON:
        # Fail at once rather than with ~1,400 errors (or, before, ~1,400 quiet skips).
        raise pytest.UsageError(f"CI=true and {PG_SKIP_REASON}; .ci/run installs and starts "
                                "PostgreSQL (Debian packages) and creates the test database")
    logging.getLogger().addHandler(LOG_COLLECTOR)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    logging.getLogger().removeHandler(LOG_COLLECTOR)
    bad = log_hygiene_violations(LOG_COLLECTOR.lines)
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.ensure_newline()
        reporter.write_line(
            f"log hygiene: {len(LOG_COLLECTOR.lines)} log records checked, "
            f"{len(bad)} violation(s)"
        )
        for line in bad[:20]:
            reporter.write_line(f"  {line}", red=True)
    if bad:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
