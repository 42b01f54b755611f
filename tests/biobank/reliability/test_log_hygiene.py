"""The log-hygiene check itself: it must catch what it is meant to catch (the real check runs
over every record of the suite at session end, in tests/conftest.py); and request logs (the
app's access log, the security log, Werkzeug's request lines) name route templates, never the
participant code or specimen ID in a URL (defect 8 of issue 15)."""

from __future__ import annotations

import contextlib
import logging
import urllib.error
import urllib.request
from typing import Any

import pytest

from biobank.web import logpaths
from tests.conftest import DEMO_PASSWORD, log_hygiene_violations


def test_detects_each_kind_of_leak() -> None:
    leaks = [
        f"biobank.security: login refused for password={DEMO_PASSWORD}",
        "biobank.web: token bbk_abcdefghijklmnopqrstuvwxyz0123 used",
        "variant_calling: bad record 11\t64804546\t.\tC\tT\t50\tPASS",
        "biobank.genotyping: S01-0003 carries NM_001370259.2:c.1378C>T",
        "biobank.access: GET /participants/S01-0003 200 3.1ms user=s01.tech",
        'werkzeug: 127.0.0.1 - - [27/Nov/2026] "GET /participants/S01-0003 HTTP/1.1" 200 -',
        "biobank.security: refused GET /participants/S02-0001 -> 404 not_found (user=s01.coord)",
    ]
    assert len(log_hygiene_violations(leaks)) == len(leaks)


def test_ordinary_lines_pass() -> None:
    fine = [
        "biobank.security: refused POST /scan -> 422 bad_check (user=s01.tech)",
        "biobank.security: refused GET /participants/<code> -> 404 not_found (user=s01.coord)",
        "biobank.access: GET /participants/<code> 200 3.1ms user=s01.tech",
        "biobank.web: commit refused by a database constraint: UniqueViolation",
    ]
    assert log_hygiene_violations(fine) == []


@pytest.mark.parametrize(("path", "logged"), [
    ("/participants/S01-0001", "/participants/<code>"),
    ("/participants/S01-0001?next=S01-0001", "/participants/<code>"),
    ("/participants/S01-0001/gate", "/participants/<redacted>/gate"),
    ("/genotyping/participants/S01-0003/gate", "/genotyping/participants/<code>/gate"),
    ("/no/such/S01-0001/page", "/no/such/<redacted>/page"),
])
def test_a_path_is_logged_as_its_route(path: str, logged: str) -> None:
    from biobank import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})
    assert logpaths.route_of_path(app.url_map, "GET", path) == logged


def test_defect8_request_logs_of_a_served_app_carry_no_codes(live_server: Any,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    for path in ("/participants/S01-0001", "/specimens/SP00000001X", "/no/S01-0001"):
        with contextlib.suppress(urllib.error.HTTPError):
            urllib.request.urlopen(live_server.url + path, timeout=10).read()
    lines = [f"{r.name}: {r.getMessage()}" for r in caplog.records
             if r.name in ("werkzeug", "biobank.access", "biobank.security")]
    werkzeug = [line for line in lines if line.startswith("werkzeug:")]
    access = [line for line in lines if line.startswith("biobank.access:")]
    assert any("/participants/<code>" in line for line in werkzeug), lines
    assert any("GET /participants/<code> 302" in line for line in access), lines
    assert any("/specimens/<barcode>" in line for line in access), lines
    assert not any(code in line for line in lines
                   for code in ("S01-0001", "SP00000001X")), lines
    assert log_hygiene_violations(lines) == []


def test_defect8_a_signed_in_users_requests_log_routes_not_codes(
        app: Any, client_as: Any, caplog: pytest.LogCaptureFixture) -> None:
    """Defect 8 as it was found: pages a coordinator opens (200, not a redirect to sign in),
    with the participant code in the path and in the query string, refused or not."""
    caplog.set_level(logging.INFO)
    c = client_as("s01.coord")
    opened = {"/participants/S01-0001": 200, "/genotyping/participants/S01-0003": 200,
              "/participants/S02-0001": 404,  # another site's participant: refused
              "/participants/?q=S01-0002": 200}
    for path, status in opened.items():
        assert c.get(path).status_code == status, path
    access = [r.getMessage() for r in caplog.records if r.name == "biobank.access"]
    assert "GET /participants/<code> 200" in " ".join(access), access
    assert "GET /genotyping/participants/<code> 200" in " ".join(access), access
    lines = [f"{r.name}: {r.getMessage()}" for r in caplog.records
             if r.name in ("biobank.access", "biobank.security", "werkzeug")]
    assert not any(code in line for line in lines
                   for code in ("S01-0001", "S01-0002", "S01-0003", "S02-0001")), lines
    assert log_hygiene_violations(lines) == []
