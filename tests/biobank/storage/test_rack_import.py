"""Rack-scanner CSV: a diff against the database (moved, new, missing, unknown), applied all
at once with audit, or refused whole."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import select

from biobank import get_db
from biobank.errors import Conflict, NotFound, ValidationError
from biobank.models import AuditEvent, Specimen
from biobank.services import storage
from tests.biobank.helpers import events_of

from .conftest import Freezer, counts, received, run, specimens_get, store

UNKNOWN = "SP99999994"  # well-formed but never issued in the demo


def _csv(*rows: tuple[str, str, str]) -> str:
    return "Rack,Position,Tube\r\n" + "".join(f"{r},{p},{t}\r\n" for r, p, t in rows)


def _diff(app: Flask, text: str) -> storage.RackDiff:
    return run(app, lambda s, u: storage.rack_diff(s, u, text))  # type: ignore[no-any-return]


def _where(app: Flask, code: str) -> str | None:
    def go(s: object, u: object) -> str | None:
        pos = storage.position_of(s, specimens_get(s, u, code))  # type: ignore[arg-type]
        return storage.position_name(pos.row_no, pos.col_no) if pos else None

    return run(app, go)  # type: ignore[no-any-return]


def test_diff_then_apply(app: Flask, freezer: Freezer) -> None:
    a, b, c, d = received(app, 4)
    store(app, freezer.box, a, "A1")
    store(app, freezer.box, b, "A2")
    store(app, freezer.box, c, "A3")
    # The scanner sees: a unchanged, b moved to B1, c gone, d new at A2.
    text = _csv((freezer.box, "A1", a), (freezer.box, "B01", b), (freezer.box, "A2", d),
                (freezer.box, "C1", ""))
    diff = _diff(app, text)
    assert [i.tube for i in diff.unchanged] == [a]
    assert [(i.tube, i.position, i.was) for i in diff.moved] == [
        (b, "B1", "Freezer A / Rack 2 / Box 1 / A2")]
    assert [(i.tube, i.position) for i in diff.new] == [(d, "A2")]
    assert [i.tube for i in diff.missing] == [c]
    assert diff.unknown == [] and diff.applicable
    # Comparing changed nothing.
    assert (_where(app, b), _where(app, d)) == ("A2", None)

    run(app, lambda s, u: storage.apply_rack(s, u, text, diff.fingerprint))
    assert (_where(app, a), _where(app, b), _where(app, c), _where(app, d)) == (
        "A1", "B1", None, "A2")
    with get_db(app).transaction() as s:
        assert s.execute(select(Specimen.status).where(Specimen.barcode == d)
                         ).scalar_one() == "stored"
        assert events_of(s, c)[-1].kind == "rack_scan_missing"
        assert events_of(s, b)[-1].detail["source"] == "rack_scan"
        summary = s.execute(select(AuditEvent).where(
            AuditEvent.action == "storage.rack_import")).scalar_one()
        assert summary.changes == {"moved": 1, "new": 1, "missing": 1, "unchanged": 1}
    # The same file again: nothing left to change.
    again = _diff(app, text)
    assert again.changes == 0 and len(again.unchanged) == 3


def test_unknown_tube_refuses_the_whole_file(app: Flask, freezer: Freezer) -> None:
    a, b = received(app, 2)
    store(app, freezer.box, a, "A1")
    text = _csv((freezer.box, "B1", a), (freezer.box, "B2", b), (freezer.box, "B3", UNKNOWN))
    diff = _diff(app, text)
    assert [i.tube for i in diff.unknown] == [UNKNOWN] and not diff.applicable
    before = counts(app)
    with pytest.raises(Conflict) as err:
        run(app, lambda s, u: storage.apply_rack(s, u, text, diff.fingerprint))
    assert err.value.code == "rack_refused"
    assert counts(app) == before


def test_stale_comparison_is_refused(app: Flask, freezer: Freezer) -> None:
    a, b = received(app, 2)
    text = _csv((freezer.box, "A1", a))
    diff = _diff(app, text)
    store(app, freezer.box, b, "A1")  # someone stored a tube there meanwhile
    before = counts(app)
    with pytest.raises(Conflict) as err:
        run(app, lambda s, u: storage.apply_rack(s, u, text, diff.fingerprint))
    assert err.value.code == "stale_diff"
    assert counts(app) == before


@pytest.mark.parametrize("text, code", [
    ("Box,Well,Code\r\nBX1,A1,SP1\r\n", "bad_header"),
    ("Rack,Position\r\nBX1,A1\r\n", "bad_header"),
    ("", "empty_file"),
])
def test_bad_files_are_refused_with_a_reason(app: Flask, text: str, code: str) -> None:
    with pytest.raises(ValidationError) as err:
        storage.parse_rack_csv(text)
    assert err.value.code == code


def test_cr_only_files_parse_and_broken_csv_is_a_clean_refusal() -> None:
    lines = storage.parse_rack_csv("Rack,Position,Tube\rBX1,A1,sp1\rBX1,A2,\r")
    assert [(ln.rack, ln.position, ln.tube) for ln in lines] == [("BX1", "A1", "SP1")]
    with pytest.raises(ValidationError) as err:
        storage.parse_rack_csv("Rack,Position,Tube\nBX1,A1," + "9" * 200_000 + "\n")
    assert err.value.code == "bad_csv"


def test_duplicate_tube_and_unread_tube_are_refused(app: Flask, freezer: Freezer) -> None:
    a = received(app, 1)[0]
    before = counts(app)
    with pytest.raises(ValidationError) as err:
        _diff(app, _csv((freezer.box, "A1", a), (freezer.box, "A2", a)))
    assert err.value.code == "duplicate_tube" and "line 3" in err.value.message
    with pytest.raises(ValidationError) as err:
        _diff(app, _csv((freezer.box, "A1", a), (freezer.box, "A1", UNKNOWN)))
    assert err.value.code == "duplicate_position"
    with pytest.raises(ValidationError) as err:
        _diff(app, _csv((freezer.box, "A1", "NO READ")))
    assert err.value.code == "no_read"
    with pytest.raises(ValidationError) as err:
        _diff(app, _csv((freezer.box, "K1", a)))
    assert err.value.code == "outside_box"
    with pytest.raises(NotFound) as nf:
        _diff(app, _csv(("BX99999990", "A1", a)))
    assert nf.value.code == "unknown_rack"
    assert counts(app) == before


def test_specimen_that_cannot_be_stored_is_refused(app: Flask, freezer: Freezer) -> None:
    a = received(app, 1)[0]
    run(app, lambda s, u: storage.finish(s, u, specimens_get(s, u, a), "dispose", "test"))
    diff = _diff(app, _csv((freezer.box, "A1", a)))
    assert [i.tube for i in diff.refused] == [a] and not diff.applicable
