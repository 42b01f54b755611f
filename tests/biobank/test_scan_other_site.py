"""A tube of another site scanned at a site: the technician holds it, so the answer names it as
another site's tube (not "unknown code"), tells them what to do, and says nothing of whose it
is or where it belongs; the scan is audited at the scanning site and nothing else changes."""

from __future__ import annotations

import html
from typing import Any

import pytest
from sqlalchemy import select

from biobank.models import AuditEvent, Specimen
from biobank.services import shipments, storage
from tests.biobank.helpers import events_of, specimen_code, user
from tests.conftest import post_form


def _screen(db: Any, screen: str) -> tuple[str, dict[str, str]]:
    """The scan screen's post path and its other fields, made ready for s01.tech."""
    tech = user(db, "s01.tech")
    if screen == "pack":
        sh = shipments.create(db, tech, conditions=next(iter(shipments.CONDITIONS)))
        db.commit()
        return f"/shipments/{sh.barcode}/pack", {}
    if screen == "store":
        box = storage.create_box(db, tech, box_type="cryobox_9x9", name="S01 box")
        db.commit()
        return f"/storage/boxes/{box.barcode}/store", {}
    if screen == "use":
        return "/storage/use", {"mode": "check_out"}
    return "/scan", {}


@pytest.mark.parametrize("screen", ["scan", "pack", "store", "use"])
def test_another_sites_tube_is_named_without_saying_whose(app: Any, client_as: Any, db: Any,
                                                          screen: str) -> None:
    foreign = specimen_code(db, status="collected", site="S02")
    sp = db.execute(select(Specimen).where(Specimen.barcode == foreign)).scalar_one()
    participant, status = sp.participant.code, sp.status
    before = len(events_of(db, foreign))
    path, extra = _screen(db, screen)
    c = client_as("s01.tech")
    resp = post_form(c, path, {"code": foreign, **extra}, headers={"HX-Request": "true"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert 'data-outcome="other_site"' in body
    assert "Another site's tube — set it aside" in html.unescape(body)
    assert "registered to another site" in body and "tell your trial coordinator" in body
    assert "Unknown code" not in body
    # Nothing the technician may not know: not whose tube, not which site.
    for secret in (participant, "S02", "Shanghai"):
        assert secret not in body
    db.rollback()  # a fresh read: what the request committed
    again = db.execute(select(Specimen).where(Specimen.barcode == foreign)).scalar_one()
    assert again.status == status and len(events_of(db, foreign)) == before
    seen = db.execute(select(AuditEvent).where(
        AuditEvent.action == "specimen.scanned_at_other_site",
        AuditEvent.entity_id == foreign)).scalars().all()
    assert [(e.actor, e.changes) for e in seen] == [("s01.tech", {"scanned_at": "S01"})]


def test_the_full_page_answer_is_a_refusal(client_as: Any, db: Any) -> None:
    """Without JavaScript the scan station answers the same, as a 403 page."""
    foreign = specimen_code(db, status="collected", site="S02")
    c = client_as("s01.tech")
    resp = post_form(c, "/scan", {"code": foreign})
    assert resp.status_code == 403
    assert 'data-outcome="other_site"' in resp.get_data(as_text=True)


def test_in_chinese(client_as: Any, db: Any) -> None:
    foreign = specimen_code(db, status="collected", site="S02")
    c = client_as("s01.tech")
    post_form(c, "/language", {"lang": "zh", "next": "/scan"})
    body = post_form(c, "/scan", {"code": foreign},
                     headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "其他中心的标本管——请放在一旁" in body and "告知试验协调员" in body


def test_a_code_never_issued_is_still_unknown(client_as: Any, db: Any) -> None:
    from labels import ids

    c = client_as("s01.tech")
    body = post_form(c, "/scan", {"code": ids.format_id("SP", 99_999_999)},
                     headers={"HX-Request": "true"}).get_data(as_text=True)
    assert 'data-outcome="unknown_code"' in body and "Unknown code" in body
