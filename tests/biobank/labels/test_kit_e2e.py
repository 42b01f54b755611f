"""In Chromium: a technician prepares a visit kit from the demo data, downloads its labels as a
PDF, the PDF's barcodes are exactly the kit's IDs, and scanning one registers its collection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from biobank import get_db
from biobank.models import AuditEvent, Participant, Specimen, VisitDefinition
from tests.conftest import browser_login

from .conftest import decode_pdf

pytestmark = pytest.mark.e2e


def _kit(live_server: Any, participant: str, visit: str) -> list[tuple[str, str]]:
    with get_db(live_server.app).transaction() as s:
        rows = s.execute(
            select(Specimen.barcode, Specimen.status).join(Participant)
            .join(VisitDefinition, Specimen.visit_id == VisitDefinition.id)
            .where(Participant.code == participant, VisitDefinition.code == visit,
                   Specimen.parent_id.is_(None))
            .order_by(Specimen.id)
        ).all()
    return [(r[0], r[1]) for r in rows]


def test_technician_prints_a_visit_kit_and_scans_a_label(
    page: Any, live_server: Any, tmp_path: Path
) -> None:
    assert _kit(live_server, "S01-0002", "C1D1") == []
    browser_login(page, "s01.tech")
    page.goto("/participants/")
    page.get_by_role("link", name="S01-0002").click()
    row = page.locator("tr", has_text="Cycle 1 day 1")
    # S01-0002 is still in screening: the page says so and asks for an override reason.
    assert "still in screening" in row.inner_text()
    row.get_by_label("Reason to prepare this kit anyway").fill("enrolment confirmed today")
    row.get_by_role("button", name="Prepare visit kit anyway").click()
    page.wait_for_url("**/labels/kits/S01-0002/C1D1")
    assert "Visit kit ready" in page.locator("main").inner_text()

    kit = _kit(live_server, "S01-0002", "C1D1")
    assert kit and all(status == "expected" for _c, status in kit)
    codes = [c for c, _s in kit]
    # Each label of the kit is previewed (an <img> served by the app, no inline script).
    for code in codes:
        page.wait_for_function(
            "src => { const el = document.querySelector(`img[src$=\"${src}\"]`);"
            " return el && el.complete && el.naturalWidth > 0; }",
            arg=f"/labels/specimens/{code}.png")

    page.select_option("#stock", "cryovial-a4")
    with page.expect_download() as info:
        page.get_by_role("button", name="Download PDF").click()
    download = info.value
    assert download.suggested_filename == "kit-S01-0002-C1D1.pdf"
    pdf = Path(download.path()).read_bytes()
    assert decode_pdf(pdf, tmp_path, "cryovial-a4", count=len(codes)) == codes
    # ... and nothing else is on the sheet.
    assert decode_pdf(pdf, tmp_path / "all", "cryovial-a4") == codes
    with get_db(live_server.app).transaction() as s:
        printed = s.execute(select(AuditEvent.entity_id).where(
            AuditEvent.action == "label.print", AuditEvent.actor == "s01.tech")).scalars().all()
        override = s.execute(select(AuditEvent).where(
            AuditEvent.action == "kit.override", AuditEvent.entity_id == "S01-0002")).scalar_one()
    assert sorted(printed) == sorted(codes)
    assert override.actor == "s01.tech" and override.reason == "enrolment confirmed today"
    assert override.changes["visit"] == "C1D1"

    # The label goes on the tube; at collection the technician scans it.
    page.goto("/scan")
    page.keyboard.type(codes[0])
    page.keyboard.press("Enter")
    result = page.locator("#scan-result .result")
    result.wait_for()
    assert "Collection registered" in result.inner_text()
    assert dict(_kit(live_server, "S01-0002", "C1D1"))[codes[0]] == "collected"
