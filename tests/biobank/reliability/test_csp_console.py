"""In Chromium: the pages run with no Content-Security-Policy violation. Every page without
URL parameters (so new pages are covered as they land) plus the object pages with scripts,
signed in as the admin (who sees every page); the scan station is used for real. A
``securitypolicyviolation`` listener (installed by the browser, not by an inline script) and
the console both count; the test first proves it sees an injected inline script."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from biobank import get_db
from biobank.models import Specimen
from tests.conftest import browser_login

pytestmark = pytest.mark.e2e

SKIP_SUFFIXES = (".csv", ".json", ".pdf", ".zpl", ".png", ".svg", ".ico")
PATHOLOGIST_ONLY = {"/genotyping/worklist"}
LISTENER = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', e => {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline'));
});
"""


def _pages(app: Any) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.arguments or rule.rule.startswith(
                ("/api/", "/static/")) or rule.rule.endswith(SKIP_SUFFIXES):
            continue
        paths.append(rule.rule)
    return sorted(paths)


def test_pages_run_without_csp_violations(page: Any, live_server: Any) -> None:
    app = live_server.app
    with get_db(app).transaction() as s:
        code = s.execute(select(Specimen.barcode).where(Specimen.status == "collected")
                         .order_by(Specimen.id)).scalars().first()
    console: list[str] = []
    page.on("console", lambda msg: console.append(f"{msg.type}: {msg.text}"))
    page.on("pageerror", lambda exc: console.append(f"pageerror: {exc}"))
    page.add_init_script(LISTENER)
    browser_login(page, "admin")

    # The check can fail: an injected inline script is refused and seen.
    page.goto("/")
    page.evaluate("""() => { const s = document.createElement('script');
        s.textContent = 'window.__ran = 1'; document.body.appendChild(s); }""")
    page.wait_for_function("window.__csp.length > 0")
    assert page.evaluate("window.__ran") is None
    assert any("Content Security Policy" in line for line in console)
    console.clear()

    visited = []
    # The pathologist's worklist is theirs alone: visited below, signed in as them.
    admin_pages = [p for p in _pages(app) if p not in PATHOLOGIST_ONLY]
    for path in [*admin_pages, f"/specimens/{code}", "/participants/S01-0003"]:
        resp = page.goto(path)
        assert resp is not None and resp.status < 400, (path, resp and resp.status)
        page.wait_for_load_state("networkidle")
        violations = page.evaluate("window.__csp")
        assert violations == [], (path, violations)
        visited.append(path)
    page.context.clear_cookies()
    browser_login(page, "pathologist")
    for path in sorted(PATHOLOGIST_ONLY):
        resp = page.goto(path)
        assert resp is not None and resp.status < 400, (path, resp and resp.status)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("window.__csp") == [], path
        visited.append(path)
    page.context.clear_cookies()
    browser_login(page, "admin")
    # The scan station in use: htmx swaps the result in.
    page.goto("/scan")
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.locator("#scan-result .result").wait_for()
    assert page.evaluate("window.__csp") == []
    csp_lines = [line for line in console if "Content Security Policy" in line
                 or "Refused to" in line or line.startswith("pageerror")]
    assert csp_lines == [], csp_lines
    assert {"/", "/scan", "/participants/", "/account/"} <= set(visited)
