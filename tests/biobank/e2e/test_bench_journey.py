"""In Chromium, the whole bench journey at scanner speed (issue 16): every scan screen is driven
as a keyboard-wedge scanner drives it — labels typed at 5 ms a character, 20 ms apart, never
waiting for an answer — and the technician looks only when the burst is done.

S01 collects four labelled tubes (three EDTA blood tubes and an FFPE block) and aliquots the
blood into serum, plasma and buffy coat; packs the thirteen tubes (a misread label and a tube
packed by mistake among them; the wrong tube is taken out on the page) and ships. CB receives
them: a condition card from the printed sheet before one tube (for that tube only), a wrong
card before another (the flag is cleared later), a tube of S01 that is not on the manifest
(accepted into custody), one tube left in the box (the shipment label scanned twice, the first
time naming the count, makes it missing); resolves each with a reason and closes. Everything
received is scanned into a −80 °C box (the FFPE block is refused there and goes to the ambient
cabinet); four tubes are checked out and back in.

At the end the database and the audit trail must agree with the scans: each tube's status and
place, the audit order equal to the scan order on each screen, the discrepancies with their
reasons, and nothing recorded twice."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from biobank import get_db
from biobank.models import (
    AuditEvent,
    ExpectedSpecimen,
    Participant,
    Shipment,
    ShipmentItem,
    Site,
    SpecimenEvent,
)
from biobank.services import shipments as svc
from biobank.services import specimens, storage
from tests.biobank.shipments import helpers as shipping
from tests.biobank.storage.conftest import make_freezer
from tests.conftest import browser_login, needs

from .scanning import misread, recorded, scan_fast, screen_log, specimen, user

pytestmark = [pytest.mark.e2e,
              needs(shutil.which("pdftotext") is None, "poppler-utils not installed")]

#: The audit actions of the receive screen's tube scans.
RECEIVE_ACTIONS = ("shipment.item_received", "shipment.item_damaged", "shipment.extra")


def _labels(app: Flask) -> list[str]:
    """Labels printed for one S01 participant's visit: three EDTA tubes and an FFPE block."""
    with get_db(app).transaction() as s:
        tech = user(s, "s01.tech")
        participant = s.execute(
            select(Participant).join(Site, Participant.site_id == Site.id)
            .where(Site.code == "S01").order_by(Participant.id)).scalars().first()
        assert participant is not None

        def expected(kind: str) -> ExpectedSpecimen:
            found = s.execute(select(ExpectedSpecimen).where(
                ExpectedSpecimen.specimen_type == kind).order_by(ExpectedSpecimen.id)).scalars()
            return next(iter(found))

        made = [specimens.create_expected(s, tech, participant, expected("whole_blood_edta"),
                                          200 + i) for i in range(3)]
        made.append(specimens.create_expected(s, tech, participant, expected("ffpe_block"),
                                              200))
        return [sp.barcode for sp in made]


def _aliquots(app: Flask, blood: list[str]) -> list[str]:
    """Serum, plasma and buffy coat from each collected blood tube, as S01 processes it."""
    with get_db(app).transaction() as s:
        tech = user(s, "s01.tech")
        return [specimens.create_derivative(
            s, tech, specimen(s, parent), specimen_type=kind, container="cryovial_0_5ml",
            quantity=Decimal("0.5"), unit="mL").barcode
            for parent in blood for kind in ("serum", "plasma", "buffy_coat")]


def _cards_on_sheet(page: Any, tmp_path: Path) -> str:
    """The text of the condition-card sheet CB prints for the bench."""
    pdf = tmp_path / "conditions.pdf"
    pdf.write_bytes(page.request.get("/shipments/conditions.pdf").body())
    return subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


def _counts(page: Any) -> dict[str, str]:
    return dict(page.evaluate(
        "() => [...document.querySelectorAll('[data-count]')].map(e =>"
        " [e.dataset.count, e.textContent.trim()])"))


def _entry_text(page: Any, n: int) -> str:
    """The text of the ``n``-th entry of the scan list, oldest first."""
    entries = page.locator("[data-scan-log] > li")
    return str(entries.nth(entries.count() - 1 - n).inner_text())


def _each(codes: list[str], outcome: str) -> list[tuple[str, str]]:
    return [(c, outcome) for c in codes]


def _burst(page: Any, steps: list[tuple[str, str]],
           before: Sequence[tuple[str, str]] = ()) -> None:
    """Scan the codes of ``steps`` at scanner speed; once all are answered the screen's
    scan list (after the ``before`` entries already on it) shows each against its
    outcome."""
    scan_fast(page, [c for c, _o in steps])
    assert screen_log(page, len(before) + len(steps)) == [*before, *steps]


def _box_map(page: Any) -> dict[str, str]:
    """Specimen → position, as the box map on the page shows it."""
    return dict(page.evaluate(
        "() => [...document.querySelectorAll('#box-grid td[data-specimen]')].map(td =>"
        " [td.dataset.specimen, td.dataset.position])"))


def _place(s: Any, code: str) -> tuple[str, str] | None:
    pos = storage.position_of(s, specimen(s, code))
    return None if pos is None else (pos.box.barcode, storage.position_name(pos.row_no,
                                                                            pos.col_no))


def test_bench_journey_at_scanner_speed(page: Any, live_server: Any, tmp_path: Path) -> None:
    app = live_server.app
    labels = _labels(app)
    blood, block = labels[:3], labels[3]
    # Two collected S01 tubes of the demo data: one packed by mistake, one that travels in
    # the box without being on the manifest.
    wrong, stray = shipping.tubes(app, 2)

    # --- S01 scan station: the four labels registered as collected.
    browser_login(page, "s01.tech")
    page.goto("/scan")
    scan_fast(page, labels)
    assert screen_log(page, len(labels)) == [(c, "collected") for c in labels]
    aliquots = _aliquots(app, blood)
    ship = [*blood, block, *aliquots]  # the thirteen tubes S01 ships

    # --- S01 packs at speed: a label read twice, a misread label (then read right) and a
    # tube that does not belong, taken out on the page before shipping.
    code = shipping.create_on_page(page)
    packed = [*ship[:5], wrong, *ship[5:]]
    steps = [*_each(packed[:2], "packed"), (packed[1], "already_packed"),
             *_each(packed[2:8], "packed"), (misread(packed[8]), "bad_check"),
             *_each(packed[8:], "packed")]
    _burst(page, steps)
    assert _counts(page)["manifest"] == str(len(packed))
    shipping.unpack_on_page(page, wrong)
    assert _counts(page)["manifest"] == str(len(ship))
    shipping.to_ship_confirmation(page, "SF-JOURNEY-16")
    assert page.locator("[data-ship-confirm] [data-count=manifest]").inner_text() == "13"
    page.fill("#ship-dry-ice", "3")  # the dry ice weighed as the outer box is closed
    page.click("#confirm-ship")
    page.wait_for_selector('[data-shipment-status="shipped"]')

    # --- CB receives at speed. The cards scanned are the ones printed on the sheet.
    page.context.clear_cookies()
    browser_login(page, "cb.tech")
    haemolysed, thawed = svc.condition_code("haemolysed"), svc.condition_code("thawed")
    sheet = _cards_on_sheet(page, tmp_path)
    assert haemolysed in sheet and thawed in sheet
    shipping.open_receipt(page, code)
    damaged, flagged, missing = ship[2], ship[4], ship[-1]
    # Each card applies to the tube after it only: the next tube is received intact. A tube
    # read twice is recorded once. The shipment label with a tube still in the box (the last
    # one) names the count and finishes nothing; the scanner reads it twice, and the second
    # read, made before the count was on the screen, does not finish either. The label's
    # first answer is held back until both reads are made (a scanner's double read is
    # milliseconds apart, faster than this machine's server or the typing here).
    held: list[Any] = []

    def hold_label(route: Any) -> None:
        if not held and f"code={code}" in (route.request.post_data or ""):
            held.append(route)
        else:
            route.continue_()

    page.route(f"**/shipments/{code}/receive", hold_label)
    steps = [*_each(ship[:2], "received"), (haemolysed, "condition"), (damaged, "damaged"),
             (ship[3], "received"), (thawed, "condition"), (flagged, "damaged"),
             *_each(ship[5:7], "received"), (ship[6], "duplicate"), (stray, "extra"),
             *_each(ship[7:-1], "received"), *_each([code, code], "confirm_finish")]
    burst = [c for c, _o in steps]
    scan_fast(page, burst)
    for _turn in range(1200):  # its first read is sent once the tubes before it are answered
        if held:
            break
        page.wait_for_timeout(50)
    assert held, "the shipment label's first read was never sent"
    held[0].continue_()
    assert screen_log(page, len(steps)) == steps
    page.unroute(f"**/shipments/{code}/receive")
    last = page.locator("[data-scan-log] > li").first
    assert last.locator("[data-outcome]").get_attribute("data-missing") == "1"
    assert "1 tubes not scanned yet" in last.inner_text()
    assert page.locator("#finish-receipt").get_attribute("data-missing") == "1"
    assert page.url.endswith(f"/shipments/{code}/receive")
    counts = _counts(page)
    assert [counts[k] for k in ("received", "damaged", "extra", "packed")] == ["10", "2", "1",
                                                                              "1"]
    # Each card's entry says what the next tube will be recorded with.
    assert "Next tube: Haemolysed" in _entry_text(page, burst.index(haemolysed))
    assert "Next tube: Thawed" in _entry_text(page, burst.index(thawed))
    # Scanned again: the receipt finishes and the unscanned tube is missing.
    scan_fast(page, [code])
    page.wait_for_url(f"**/shipments/{code}")
    page.wait_for_selector('[data-shipment-status="partially_received"]')
    states = {t: page.locator(f'[data-item="{t}"]').get_attribute("data-state")
              for t in (missing, stray, damaged, flagged)}
    assert states == {missing: "missing", stray: "extra", damaged: "damaged",
                      flagged: "damaged"}

    # --- Each discrepancy resolved with a reason, then the shipment closed.
    reasons = {damaged: ("noted", "Haemolysed; kept for DNA extraction"),
               flagged: ("cleared", "Frozen solid on arrival; the thawed card was a slip"),
               missing: ("lost", "S01 confirms the vial broke before packing"),
               stray: ("accepted", "S01 confirms it belongs to this visit; sent by mistake")}
    for tube, (action, reason) in reasons.items():
        shipping.resolve_on_page(page, tube, action, reason)
    assert page.locator(f'[data-item="{flagged}"]').get_attribute("data-state") == "received"
    page.click("#op-close")
    page.wait_for_selector('[data-shipment-status="closed"]')
    body = page.locator("main").inner_text()
    assert all(reason in body for _a, reason in reasons.values())

    # --- Store everything received at speed; the −80 °C box refuses the FFPE block, which
    # goes to the ambient cabinet.
    freezer = make_freezer(app, name="Journey box").box
    cabinet = make_freezer(app, box_type="block_box_5x10", kind="ffpe_cabinet",
                           unit_name="FFPE cabinet", name="Journey blocks").box
    received = [c for c in dict.fromkeys(burst) if c in {*ship, stray}]
    frozen = [c for c in received if c != block]
    page.goto(f"/storage/boxes/{freezer}")
    _burst(page, [*_each(received[:3], "stored"), (received[2], "already_there"),
                  *[(c, "storage_refused" if c == block else "stored") for c in received[3:]]])
    # The box map shows each tube where the server put it: in the order scanned.
    with get_db(app).transaction() as s:
        b = storage.get_box(s, user(s, "cb.tech"), freezer)
        fill = [storage.position_name(r, c) for r, c in storage.fill_sequence(b)]
    assert _box_map(page) == {c: fill[n] for n, c in enumerate(frozen)}
    page.goto(f"/storage/boxes/{cabinet}")
    _burst(page, [(block, "stored")])
    assert _box_map(page) == {block: "A1"}

    # --- Check four tubes out at speed, then back in.
    used = [stray, damaged, flagged, frozen[0]]
    page.goto("/storage/use")
    out = [*_each(used[:2], "check_out"), (used[1], "invalid_transition"),
           *_each(used[2:], "check_out")]
    _burst(page, out)
    # The mode is switched once every answer is in: each scan carries the mode it was
    # scanned in, so the switch does not race the scans still queued.
    page.check("input[name=mode][value=check_in]")
    _burst(page, _each(used, "check_in"), before=out)

    # --- The record agrees with the scans, screen by screen.
    assert recorded(app, "specimen.collect", labels) == labels
    assert recorded(app, "shipment.pack", packed) == packed
    assert recorded(app, "shipment.unpack", packed) == [wrong]
    assert recorded(app, RECEIVE_ACTIONS, [*ship, stray]) == received
    assert recorded(app, "specimen.store", received) == [*frozen, block]
    assert recorded(app, "specimen.check_out", used) == used
    assert recorded(app, "specimen.check_in", used) == used

    with get_db(app).transaction() as s:
        sh = s.execute(select(Shipment).where(Shipment.barcode == code)).scalar_one()
        assert sh.status == "closed"
        # The frozen tubes fill the box in the order scanned; the block is in the cabinet.
        places = {c: _place(s, c) for c in [*ship, stray, wrong]}
        assert places == {**{c: (freezer, fill[n]) for n, c in enumerate(frozen)},
                          block: (cabinet, "A1"), missing: None, wrong: None}
        status = {c: specimen(s, c).status for c in places}
        assert status == {**{c: "stored" for c in received}, missing: "lost",
                          wrong: "collected"}
        site = {c: specimen(s, c).site.code for c in places}
        assert site == {**{c: "CB" for c in received}, missing: "S01", wrong: "S01"}
        assert {c: specimen(s, c).freeze_thaw_count for c in used} == dict.fromkeys(used, 1)

        # The discrepancies, with what the technician said.
        items = {it.specimen.barcode: it for it in s.execute(
            select(ShipmentItem).where(ShipmentItem.shipment_id == sh.id)).scalars()}
        assert wrong not in items and set(items) == {*ship, stray}
        facts = {c: (it.state, it.damage, it.extra, it.resolution)
                 for c, it in items.items() if it.resolution}
        assert facts == {
            damaged: ("damaged", "haemolysed", False, "noted: " + reasons[damaged][1]),
            flagged: ("received", None, False, "cleared: " + reasons[flagged][1]),
            missing: ("missing", None, False, "lost: " + reasons[missing][1]),
            stray: ("extra", None, True, "accepted: " + reasons[stray][1])}
        audit = list(s.execute(select(AuditEvent).where(
            AuditEvent.entity_id == code).order_by(AuditEvent.id)).scalars())
        flags = [(e.changes["specimen"], e.changes["damage"]) for e in audit
                 if e.action == "shipment.item_damaged"]
        assert flags == [(damaged, "haemolysed"), (flagged, "thawed")]
        assert [e.changes["specimen"] for e in audit if e.action == "shipment.extra"] == [stray]
        assert [e.changes["missing"] for e in audit
                if e.action == "shipment.partially_received"] == [[missing]]
        resolved = [(e.changes["specimen"], e.changes["action"], e.reason) for e in audit
                    if e.action == "shipment.resolve"]
        assert resolved == [(c, a, r) for c, (a, r) in reasons.items()]
        cleared = next(e for e in audit if e.action == "shipment.resolve"
                       and e.changes["action"] == "cleared")
        assert cleared.changes["state"] == ["damaged", "received"]
        assert cleared.changes["damage"] == ["thawed", None]

        # Nothing recorded twice: one audit row per tube and scan action, and each tube's
        # history holds each step once, in the order of the journey.
        twice = Counter((e.action, str(e.changes.get("specimen") or e.entity_id))
                        for e in s.execute(select(AuditEvent)).scalars())
        for action in ("specimen.collect", "shipment.pack", *RECEIVE_ACTIONS,
                       "specimen.store", "specimen.check_out", "specimen.check_in",
                       "shipment.resolve"):
            assert all(twice[(action, c)] <= 1 for c in places), action

        def history(c: str) -> list[str]:
            return [e.kind for e in s.execute(
                select(SpecimenEvent).where(SpecimenEvent.specimen_id == specimen(s, c).id)
                .order_by(SpecimenEvent.id)).scalars() if e.kind != "derivative_taken"]

        travel = ["ship", "receive", "store"]
        assert history(blood[1]) == ["label_printed", "collect", *travel]
        assert history(block) == ["label_printed", "collect", *travel]
        assert history(flagged) == ["derived", *travel, "check_out", "check_in"]
        assert history(missing) == ["derived", "ship", "lose"]
        assert history(stray)[-5:] == [*travel, "check_out", "check_in"]
        assert "ship" not in history(wrong)
