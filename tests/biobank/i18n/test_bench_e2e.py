"""In Chromium, from the keyboard alone: sign in, switch to Chinese, scan, read the answers,
switch back; and an automated accessibility check (axe-core) of the bench screens in both
languages finds no serious or critical violation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from biobank import get_db
from biobank.models import Participant, Site, Specimen, User
from biobank.services import storage
from labels import ids
from tests.conftest import DEMO_PASSWORD

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "vendor" / "axe.min.js"


def _expected_code(live_server: Any) -> str:
    with get_db(live_server.app).transaction() as s:
        return str(s.execute(
            select(Specimen.barcode).join(Participant).join(Site, Participant.site_id == Site.id)
            .where(Specimen.status == "expected", Site.code == "S01").order_by(Specimen.id)
        ).scalars().first())


def _keyboard_login(page: Any, username: str) -> None:
    page.goto("/login")
    page.focus("#username")
    page.keyboard.type(username)
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/login" not in url)


def _tab_to(page: Any, selector: str, *, backwards: bool = False, limit: int = 40) -> None:
    """Press Tab (or Shift+Tab) until ``selector`` has focus, as a keyboard user would."""
    for _ in range(limit):
        if page.evaluate("s => document.activeElement && document.activeElement.matches(s)",
                         selector):
            return
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
    raise AssertionError(f"{selector} not reachable with the keyboard")


def _scan(page: Any, code: str, outcome: str, result: str = "#scan-result") -> Any:
    """Type a scan and wait for its own answer in ``result`` (a previous answer may sit in
    the same place)."""
    page.keyboard.type(code)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "([o, sel]) => { const r = document.querySelector(sel + ' .result');"
        " return r && r.dataset.outcome === o; }", arg=[outcome, result])
    return page.locator(f"{result} .result").first


def _serious_violations(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                       nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    return [f"{v['impact']} {v['id']}: {v['help']} at {v['nodes']}" for v in violations
            if v["impact"] in ("serious", "critical")]


def test_keyboard_only_switch_language_and_scan(axe_page: Any, live_server: Any) -> None:
    page = axe_page
    code = _expected_code(live_server)
    _keyboard_login(page, "s01.tech")
    page.goto("/scan")
    assert page.locator("h1").inner_text() == "Scan station"

    # Reach the language switch from the scan input with Shift+Tab; focus is not stolen back.
    _tab_to(page, "button[name=lang]", backwards=True)
    page.wait_for_timeout(1700)  # longer than the scan page's focus keeper interval
    assert page.evaluate("document.activeElement.matches('button[name=lang]')")
    page.keyboard.press("Enter")
    page.wait_for_function("document.documentElement.lang === 'zh-Hans'")
    assert page.locator("h1").inner_text() == "扫描工作站"
    scan = page.locator("[data-scan-input]")
    assert scan.evaluate("el => el === document.activeElement")

    ok = _scan(page, code, "collected")
    assert "采集已登记" in ok.inner_text() and ok.get_attribute("data-sound") == "ok"
    assert "✔" in ok.inner_text()  # an icon and words, not colour alone
    assert "采集" in page.locator("#scan-result table.history").first.inner_text()
    assert scan.evaluate("el => el === document.activeElement && el.value === ''")
    assert not _serious_violations(page), _serious_violations(page)

    bad = _scan(page, code[:-1] + ("0" if code[-1] != "0" else "1"), "bad_check")
    assert "校验位错误" in bad.inner_text() and bad.get_attribute("data-sound") == "bad_check"
    assert "✖" in bad.inner_text()
    unknown = _scan(page, ids.format_id("SP", 99_999_999), "unknown_code")
    assert "未知编号" in unknown.inner_text() and unknown.get_attribute("data-sound") == "unknown"
    assert not _serious_violations(page), _serious_violations(page)

    # Escape brings the keyboard back to an empty scan input from anywhere.
    page.keyboard.type("half-typed")
    _tab_to(page, "button[name=lang]", backwards=True)
    page.keyboard.press("Escape")
    assert scan.evaluate("el => el === document.activeElement && el.value === ''")

    # Back to English, still from the keyboard.
    _tab_to(page, "button[name=lang]", backwards=True)
    page.keyboard.press("Enter")
    page.wait_for_function("document.documentElement.lang === 'en'")
    assert page.locator("h1").inner_text() == "Scan station"
    found = _scan(page, code, "found")
    assert "Found" in found.inner_text() and "Collected" in found.inner_text()
    assert not _serious_violations(page), _serious_violations(page)
    with get_db(live_server.app).transaction() as s:
        assert s.execute(select(User.locale).where(User.username == "s01.tech")).scalar_one() \
            == "en"


def test_sounds_differ_for_each_outcome(axe_page: Any, live_server: Any) -> None:
    """Each kind of answer has its own sound file, served to the browser."""
    page = axe_page
    _keyboard_login(page, "s01.tech")
    sizes = set()
    for name in ("ok", "unknown", "bad_check", "refused"):
        resp = page.request.get(f"/static/sounds/{name}.wav")
        assert resp.ok and resp.body()[:4] == b"RIFF"
        sizes.add(resp.body())
    assert len(sizes) == 4


def _box(live_server: Any) -> str:
    """A box at the central biobank holding a tube that came in by shipment (filled and free
    cells, the next-free marker)."""
    from biobank.services import shipments

    code = _shipped(live_server)
    with get_db(live_server.app).transaction() as s:
        tech = s.execute(select(User).where(User.username == "cb.tech")).scalar_one()
        sh = shipments.get(s, tech, code)
        shipments.start_receipt(s, tech, sh)
        barcode = shipments.items(s, sh)[0].specimen.barcode
        shipments.receive_scan(s, tech, sh, barcode)
        box = storage.create_box(s, tech, box_type="cryobox_9x9", name="Axe box")
        storage.store(s, tech, box, s.execute(select(Specimen)
                                              .where(Specimen.barcode == barcode)).scalar_one())
        return str(box.barcode)


def _switch_to(page: Any, lang: str) -> None:
    if lang == "zh":
        page.goto("/scan")
        page.click("button[name=lang]")
        page.wait_for_function("document.documentElement.lang === 'zh-Hans'")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_scan_page_has_no_serious_accessibility_violations(axe_page: Any, live_server: Any,
                                                          lang: str) -> None:
    page = axe_page
    _keyboard_login(page, "s01.tech")
    _switch_to(page, lang)
    page.goto("/scan")
    assert not _serious_violations(page), _serious_violations(page)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_box_map_has_no_serious_accessibility_violations(axe_page: Any, live_server: Any,
                                                         lang: str) -> None:
    box = _box(live_server)
    page = axe_page
    _keyboard_login(page, "cb.tech")
    _switch_to(page, lang)
    page.goto(f"/storage/boxes/{box}")
    assert page.locator("table.box-map").count() == 1
    assert page.locator("td.cell.full").count() == 1 and page.locator("td.cell.free").count() == 80
    assert not _serious_violations(page), _serious_violations(page)


def _shipped(live_server: Any) -> str:
    """A shipment S01 → CB in transit with one collected tube, made through the services."""
    from biobank.services import shipments

    with get_db(live_server.app).transaction() as s:
        tech = s.execute(select(User).where(User.username == "s01.tech")).scalar_one()
        code = s.execute(
            select(Specimen.barcode).join(Participant).join(Site, Participant.site_id == Site.id)
            .where(Specimen.status == "collected", Site.code == "S01").order_by(Specimen.id)
        ).scalars().first()
        sh = shipments.create(s, tech, conditions=next(iter(shipments.CONDITIONS)),
                              courier="SF Express", tracking_number="SF1234567890")
        shipments.pack(s, tech, sh, str(code))
        shipments.mark_ready(s, tech, sh)
        shipments.ship(s, tech, sh)
        return str(sh.barcode)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_receive_pages_have_no_serious_accessibility_violations(axe_page: Any, live_server: Any,
                                                              lang: str) -> None:
    shipment = _shipped(live_server)
    assert shipment
    page = axe_page
    _keyboard_login(page, "cb.tech")
    _switch_to(page, lang)
    problems = {}
    resp = page.goto("/shipments/receive")
    assert resp is not None and resp.status == 200
    assert page.locator("[data-scan-input]").count() == 1
    problems["/shipments/receive"] = _serious_violations(page)
    # The scanner opens the receipt: the shipment's barcode, then Enter.
    page.focus("[data-scan-input]")
    page.keyboard.type(shipment)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/shipments/{shipment}/receive")
    assert page.locator("[data-scan-input]").count() == 1
    problems["/shipments/<code>/receive"] = _serious_violations(page)
    problems = {k: v for k, v in problems.items() if v}
    assert not problems, problems
