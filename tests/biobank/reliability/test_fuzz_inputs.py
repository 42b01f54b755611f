"""Hypothesis over what scanners and instruments type into the app: the barcode/scan parser,
the scan endpoints, and the rack-scanner CSV importer. Bounded here; ``FUZZ_EXAMPLES=N``
scales every test (``python bench/fuzz_long.py`` runs them long)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from biobank.errors import BiobankError, ValidationError
from biobank.services import scan
from biobank.services.storage import parse_rack_csv
from labels import ids

SCALE = int(os.environ.get("FUZZ_EXAMPLES", "0"))


def examples(default: int) -> Any:
    return settings(max_examples=SCALE or default, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


PREFIXES = sorted(ids.KINDS)
scanner_noise = st.sampled_from(["", "\r", "\n", "\r\n", "\t"])
issued = st.builds(lambda p, n: (p, n), st.sampled_from(PREFIXES),
                   st.integers(min_value=1, max_value=10**ids.DIGITS - 1))


@examples(500)
@given(st.text(max_size=300))
def test_clean_accepts_only_valid_ids(raw: str) -> None:
    try:
        code = scan.clean(raw)
    except ValidationError as exc:
        assert exc.status == 422 and exc.code
        return
    assert ids.is_valid(code)
    assert code == code.strip() and len(code) <= scan.MAX_SCAN_LENGTH


@examples(300)
@given(issued, scanner_noise, st.sampled_from(["", "]C1", "~"]))
def test_every_issued_id_scans_back_to_itself(pn: tuple[str, int], tail: str,
                                              prefix: str) -> None:
    prefix_code, number = pn
    assume(ids.is_issuable(prefix_code, number))
    code = ids.format_id(prefix_code, number)
    assert scan.clean(prefix + code + tail, prefixes=(prefix,) if prefix else ()) == code


@examples(300)
@given(issued, st.data())
def test_one_wrong_character_is_caught(pn: tuple[str, int], data: st.DataObject) -> None:
    """A misread of one character never yields another valid ID: the check character."""
    assume(ids.is_issuable(*pn))
    code = ids.format_id(*pn)
    i = data.draw(st.integers(min_value=2, max_value=len(code) - 1))
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    c = data.draw(st.sampled_from(alphabet).filter(lambda ch: ch != code[i]))
    with pytest.raises(ValidationError):
        scan.clean(code[:i] + c + code[i + 1:])


@examples(40)
@given(raw=st.text(max_size=150))
def test_scan_endpoints_never_fail_on_any_input(raw: str, app: Any, api_token: Any,
                                                client_as: Any, request: Any) -> None:
    """Page (htmx and plain) and API: any typed text gives a considered answer, never 5xx."""
    cache = request.node.__dict__.setdefault("_clients", {})
    if not cache:
        cache["token"] = api_token("s01.tech")
        cache["page"] = client_as("s01.tech")
        from tests.conftest import csrf_token

        cache["csrf"] = csrf_token(cache["page"], "/")
    api = app.test_client().post("/api/v1/scan", json={"code": raw},
                                 headers={"Authorization": f"Bearer {cache['token']}"})
    assert api.status_code in {200, 404, 409, 422}, (raw, api.status_code)
    if api.status_code != 200:
        assert api.json["error"]["code"]
    for htmx in ({}, {"HX-Request": "true"}):
        page = cache["page"].post("/scan", data={"code": raw, "csrf_token": cache["csrf"]},
                                  headers=htmx)
        assert page.status_code < 500, (raw, page.status_code)
        assert "data-outcome" in page.get_data(as_text=True) or page.status_code >= 400


# --- the rack-scanner CSV importer (storage area) --------------------------------------------

cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "NO READ", "NOREAD", "EMPTY", "A01", "H12", "RK0001", "SP00000012K"]),
    st.builds(lambda p, n: ids.format_id(p, n) if ids.is_issuable(p, n) else "x",
              st.sampled_from(PREFIXES), st.integers(1, 10**6)),
)
headers = st.sampled_from(["Rack,Position,Tube", "rack_id,well,tube barcode",
                           "Tube,Rack,Position", "Rack;Position;Tube", "", "Rack,Position"])
rack_files = st.builds(
    lambda h, rows, eol, bom: ("\ufeff" if bom else "") + eol.join(
        [h] + [",".join(r) for r in rows]),
    headers, st.lists(st.lists(cell, min_size=0, max_size=5), max_size=30),
    st.sampled_from(["\n", "\r\n", "\r"]), st.booleans())


# These found that the importer let csv.Error escape (a 500) for a CR-only or stray-CR file
# ("\r0") and for a field over 128 KiB; storage now answers 422 bad_csv for both.


@examples(400)
@given(st.one_of(rack_files, st.text(max_size=400)))
def test_rack_csv_parser_refuses_cleanly(text: str) -> None:
    try:
        lines = parse_rack_csv(text)
    except BiobankError as exc:
        assert exc.status == 422 and exc.message
        return
    tubes = [line.tube for line in lines]
    positions = [(line.rack, line.position) for line in lines]
    assert len(set(tubes)) == len(tubes) and len(set(positions)) == len(positions)
    assert all(t == t.strip().upper() and t for t in tubes)


def test_rack_csv_with_a_huge_field_is_refused_cleanly() -> None:
    """Python's csv module raises csv.Error past 128 KiB in one field: that must be a 422."""
    with pytest.raises(BiobankError):
        parse_rack_csv("Rack,Position,Tube\nRK1,A01," + "9" * 200_000 + "\n")
