"""The scan station: what a wedge scanner types, what it finds, and collection by scanning."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from biobank import get_db
from biobank.models import AuditEvent, Specimen
from biobank.services import scan
from labels import ids
from tests.biobank.helpers import events_of, specimen_code
from tests.conftest import post_form


def test_clean_strips_scanner_additions() -> None:
    code = ids.format_id("SP", 7)
    assert scan.clean(code + "\r\n") == code
    assert scan.clean(code + "\t") == code
    assert scan.clean("]C0" + code, prefixes=("]C0",)) == code
    assert scan.clean(code + "#", suffixes=("#",)) == code


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("SP0000000\u0417" + "X", "non_ascii"),  # Cyrillic Ze looks like 3
        ("\x00\x01\x02binary", "non_ascii"),
        ("A" * 5000, "too_long"),
        ("hello world", "bad_format"),
    ],
)
def test_clean_rejects_lookalikes_binary_and_junk(raw: str, code: str) -> None:
    with pytest.raises(scan.ScanError) as err:
        scan.clean(raw)
    assert err.value.code == code


def test_scanning_an_expected_label_registers_collection_once(
    client_as: Any, app: Flask, db: Any
) -> None:
    code = specimen_code(db, status="expected", site="S01")
    c = client_as("s01.tech")
    resp = post_form(c, "/scan", {"code": code + "\r\n"})
    page = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Collection registered" in page and 'data-sound="ok"' in page
    # A double read of the same label: shown again, not collected twice.
    again = post_form(c, "/scan", {"code": code}).get_data(as_text=True)
    assert "Found" in again
    db.rollback()  # a new snapshot (SQLite WAL readers keep their first one)
    s = db.execute(select(Specimen).where(Specimen.barcode == code)).scalar_one()
    assert s.status == "collected"
    assert s.collected_by.username == "s01.tech" and s.collected_at is not None
    kinds = [e.kind for e in events_of(db, code)]
    assert kinds.count("collect") == 1


def test_monitor_scan_only_shows(client_as: Any, db: Any) -> None:
    code = specimen_code(db, status="expected", site="S02")
    page = post_form(client_as("monitor"), "/scan", {"code": code}).get_data(as_text=True)
    assert "Found" in page
    db.rollback()  # a new snapshot (SQLite WAL readers keep their first one)
    assert db.execute(select(Specimen.status).where(Specimen.barcode == code)).scalar() == (
        "expected"
    )


def test_other_sites_label_is_named_to_site_staff(client_as: Any, db: Any) -> None:
    """The tube is in the technician's hand: it is another site's, not unknown (the decision
    and the rest of its proof: test_scan_other_site.py)."""
    code = specimen_code(db, status="expected", site="S02")
    resp = post_form(client_as("s01.tech"), "/scan", {"code": code})
    assert resp.status_code == 403
    assert "registered to another site" in resp.get_data(as_text=True)


@pytest.mark.parametrize(
    ("mangle", "status", "text", "sound"),
    [
        (lambda c: c[:-1] + ("0" if c[-1] != "0" else "1"), 422, "Bad check character",
         "bad_check"),
        (lambda c: ids.format_id("SP", 99_999_998) if ids.is_issuable("SP", 99_999_998)
         else ids.format_id("SP", 99_999_997), 404, "Unknown code", "unknown"),
        (lambda c: c + "\u00e9", 422, "Not a valid label", "bad_check"),
    ],
)
def test_refusals_are_loud_and_write_nothing(
    client_as: Any, app: Flask, db: Any, mangle: Any, status: int, text: str, sound: str
) -> None:
    code = specimen_code(db, status="expected", site="S01")
    before = db.execute(select(AuditEvent.id)).all()
    resp = post_form(client_as("s01.tech"), "/scan", {"code": mangle(code)})
    page = resp.get_data(as_text=True)
    assert resp.status_code == status
    assert text in page and f'data-sound="{sound}"' in page and "✖" in page
    db.rollback()  # a new snapshot (SQLite WAL readers keep their first one)
    assert db.execute(select(AuditEvent.id)).all() == before


def test_htmx_scan_returns_a_fragment(client_as: Any, db: Any) -> None:
    code = specimen_code(db, status="collected", site="S01")
    resp = post_form(client_as("s01.tech"), "/scan", {"code": code},
                     headers={"HX-Request": "true"})
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "<html" not in body and code in body


def test_api_scan(app: Flask, api_token: Any, db: Any) -> None:
    code = specimen_code(db, status="expected", site="S02")
    c = app.test_client()
    h = {"Authorization": f"Bearer {api_token('s02.tech')}"}
    resp = c.post("/api/v1/scan", headers=h, json={"code": code})
    assert resp.status_code == 200 and resp.json["outcome"] == "collected"
    assert resp.json["specimen"]["status"] == "collected"
    assert c.post("/api/v1/scan", headers=h, json={"code": code}).json["outcome"] == "found"
    bad = c.post("/api/v1/scan", headers=h, json={"code": code[:-1] + "*"})
    assert bad.status_code == 422 and bad.json["error"]["code"] in {"bad_format", "bad_check"}
    assert c.post("/api/v1/scan", headers=h, json={"code": 12}).status_code == 422
    assert c.post("/api/v1/scan", headers=h, data="not json").status_code == 422
    with get_db(app).transaction() as s:
        n = len(s.execute(select(AuditEvent).where(AuditEvent.entity_id == code,
                                                   AuditEvent.action == "specimen.collect"))
                .all())
    assert n == 1
