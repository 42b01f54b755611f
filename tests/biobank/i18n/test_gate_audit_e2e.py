"""In Chromium, in English and Chinese: the coordinator follows every link of a demo
participant's gate to the record it cites; the monitor filters the audit trail on a 1280 px
screen and exports exactly the filtered events. axe-core finds no serious or critical
violation on the gate, a cited criteria record, the participants list and the audit page."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from biobank import get_db
from biobank.models import AuditEvent, User
from biobank.services import audit
from tests.biobank.genotyping.conftest import demo_specimens
from tests.biobank.genotyping.test_gate_sources import make_eligible
from tests.conftest import browser_login, login

from .test_bench_e2e import _serious_violations, _switch_to

pytestmark = pytest.mark.e2e


def _clients(app: Flask) -> Any:
    def make(username: str) -> FlaskClient:
        c = app.test_client()
        assert login(c, username).status_code == 302
        return c
    return make


def _one_line(page: Any, selector: str) -> list[str]:
    """The cells of ``selector`` whose text wraps onto a second line (CJK per character)."""
    return page.evaluate("""s => [...document.querySelectorAll(s)].filter(td => {
        const range = document.createRange(); range.selectNodeContents(td);
        const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
        return tops.size > 1; }).map(td => td.textContent.trim())""", selector)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_coordinator_follows_every_gate_link(axe_page: Any, live_server: Any,
                                             lang: str) -> None:
    app = live_server.app
    demo = demo_specimens(app)
    analysis_id = make_eligible(app, _clients(app), demo, {demo.blood: "haemolysed"})
    page = axe_page
    page.set_viewport_size({"width": 1280, "height": 900})
    browser_login(page, "s01.coord")
    _switch_to(page, lang)
    gate_url = f"/genotyping/participants/{demo.participant}/gate"
    page.goto(gate_url)
    assert page.locator("#decision").get_attribute("data-decision") == "eligible"
    blood = page.locator("tr[data-criterion='baseline_whole_blood_edta']")
    assert blood.get_attribute("data-flag") == "1"
    assert ("met, with a caution" if lang == "en" else "满足（需注意）") in blood.inner_text()
    assert ("haemolysed" if lang == "en" else "溶血") in blood.inner_text()
    assert not _one_line(page, "td.status-cell"), "a status wraps"
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert not _serious_violations(page), _serious_violations(page)

    links = page.eval_on_selector_all(
        "a[data-link-kind]", "els => els.map(a => [a.dataset.linkKind, a.getAttribute('href'),"
        " a.textContent.trim()])")
    kinds = {k for k, _h, _t in links}
    assert {"report_version", "file", "specimen", "assessment", "participant"} <= kinds
    # Times beside the sources are the site's, never raw UTC.
    times = page.locator("table.gate time").all_inner_texts()
    assert times and all(t.endswith("CST") for t in times)
    if lang == "zh":
        assert all("年" in t for t in times)
    for kind, href, text in links:
        page.goto("about:blank")  # each link a fresh load, even to the same page's anchor
        resp = page.goto(live_server.url + href)
        assert resp is not None and resp.status == 200, (kind, href)
        path, _h, anchor = href.partition("#")
        if kind == "report_version":
            assert path == f"/genotyping/analyses/{analysis_id}"
            row = page.locator(f"#{anchor}")
            assert row.get_attribute("data-version") == "1"
            assert "Demo Molecular Pathologist" in row.inner_text()
        elif kind == "file":
            assert anchor[len("file-"):] in page.locator(f"#{anchor}").inner_text()
        elif kind == "specimen":
            assert path.rsplit("/", 1)[1] in page.locator("h1").inner_text()
            assert path.rsplit("/", 1)[1] in text
        elif kind == "assessment":
            assert "lab report 2026-11-20" in page.locator("#assessment").inner_text()
            assert not _serious_violations(page), _serious_violations(page)
        elif kind == "participant":
            assert demo.participant in page.locator("h1").inner_text()
        elif kind == "analysis":
            assert path == f"/genotyping/analyses/{analysis_id}"
    page.goto("/participants/")
    assert not _serious_violations(page), _serious_violations(page)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_a_pending_gate_is_a_summary_a_screen_high(axe_page: Any, live_server: Any,
                                                  lang: str) -> None:
    """Nothing recorded yet (every criterion missing): the banner says who acts next in a few
    lines, not the wall of 29 items it was; the full list opens on demand."""
    demo = demo_specimens(live_server.app)
    page = axe_page
    page.set_viewport_size({"width": 1280, "height": 900})
    browser_login(page, "s01.coord")
    _switch_to(page, lang)
    page.goto(f"/genotyping/participants/{demo.participant}/gate")
    assert page.locator("#decision").get_attribute("data-decision") == "pending"
    missing = page.locator("[data-missing]").count()
    assert missing >= 20
    banner = page.locator("#pending-summary").bounding_box()
    assert banner is not None and banner["height"] < 300, banner
    assert not page.locator("[data-missing]").first.is_visible()
    groups = page.locator("#pending-summary [data-next-actor]").all_inner_texts()
    assert len(groups) == 3, groups
    page.click("#pending-all summary")
    assert page.locator("[data-missing]").last.is_visible()
    opened = page.locator("#pending-summary").bounding_box()
    assert opened is not None and opened["height"] > banner["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert not _serious_violations(page), _serious_violations(page)


def _long_events(app: Flask) -> None:
    """What made the old page 1,854 px wide: long unbroken values and many changed fields."""
    with get_db(app).transaction() as s:
        tech = s.execute(select(User).where(User.username == "s01.tech")).scalar_one()
        for i in range(3):
            audit.record(s, tech, "specimen.correct", "specimen", f"SPLONG{i}",
                         {"sha256": [None, "ab" * 64], "note": ["", "x" * 300],
                          "volume": [None, 54], **{f"field_{k}": [k, k + 1] for k in range(8)}},
                         "re-measured " * 20)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_monitor_filters_the_audit_and_exports_it(axe_page: Any, live_server: Any,
                                                  lang: str, tmp_path: Any) -> None:
    app = live_server.app
    _long_events(app)
    page = axe_page
    page.set_viewport_size({"width": 1280, "height": 900})
    browser_login(page, "monitor")
    _switch_to(page, lang)
    page.goto("/audit/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 1280, width
    change = page.locator("table.audit th").nth(5)
    box = change.bounding_box()
    assert box is not None and box["x"] + box["width"] <= 1280 and box["width"] > 250
    assert change.is_visible()
    assert "None" not in page.locator("table.audit").inner_text()
    long_row = page.locator("tr[data-event]", has_text="SPLONG2")
    sep = ": " if lang == "en" else "："  # the history's own words (biobank/history.py)
    assert f"volume{sep}— → 54" in long_row.inner_text()
    empty = "(empty)" if lang == "en" else "（空）"
    assert f"note{sep}{empty} → xxx" in long_row.inner_text()  # emptied, not never set
    assert not _serious_violations(page), _serious_violations(page)

    # The site's day (Beijing), not the server's UTC date: the filter is by local days.
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    page.fill("#actor", "s01.tech")
    page.select_option("#entity_type", "specimen")
    page.fill("#since", today)
    page.fill("#until", today)
    page.click("#audit-filter button[type=submit]")
    page.wait_for_url(lambda url: "actor=s01.tech" in url)
    rows = page.locator("tr[data-event]")
    assert rows.count() > 0
    for i in range(rows.count()):
        cells = rows.nth(i).locator("td").all_inner_texts()
        record = "Specimen " if lang == "en" else "标本 "
        assert cells[2] == "s01.tech" and cells[4].startswith(record)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    assert not _serious_violations(page), _serious_violations(page)

    with page.expect_download() as info:
        page.click("#export")
    path = tmp_path / "audit.csv"
    info.value.save_as(path)
    # The headings are the reader's words; the cells keep the stored codes.
    lines = list(csv.reader(io.StringIO(path.read_text())))
    exported = [dict(zip(audit.EXPORT_HEADER, row, strict=True)) for row in lines[1:]]
    with get_db(app).transaction() as s:
        expected = list(s.execute(
            select(AuditEvent.id).where(AuditEvent.actor == "s01.tech",
                                        AuditEvent.entity_type == "specimen")
            .order_by(AuditEvent.id)).scalars())
    assert [int(r["id"]) for r in exported] == expected
    assert {(r["actor"], r["entity_type"]) for r in exported} == {("s01.tech", "specimen")}
